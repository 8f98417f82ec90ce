//! `Display` of a sparse tensor: its indices, values and dense shape.

use std::fmt;

use tensorbridge_core::Element;

use crate::SparseTensor;
use crate::host::host_slice;
use crate::num::with_any;

/// Entries shown in full up to this many; beyond, the first and last three.
const SUMMARY: usize = 20;

/// TensorFlow's `SparseTensor(indices=..., values=..., dense_shape=...)`
/// text, with the dtype and device; long tensors are summarised with `...`.
///
/// ```
/// use tensorbridge_sparse::SparseTensor;
/// use tensorbridge_core::Tensor;
///
/// let st = SparseTensor::new(Tensor::from([[0i64, 0], [1, 2]]), Tensor::from([1, 2]), [3, 3])?;
/// assert_eq!(
///     st.to_string(),
///     "SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 3], dtype=int32, device=cpu)"
/// );
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
impl fmt::Display for SparseTensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.rank();
        let indices = match host_slice::<i64>(self.indices()) {
            Ok(idx) => list(self.nnz(), |e| format!("{:?}", &idx[e * k..(e + 1) * k])),
            Err(_) => "<unavailable>".into(),
        };
        let values: Result<String, tensorbridge_core::Error> = with_any!(self.dtype(), T => {
            host_slice::<T>(self.values()).map(|v| list(v.len(), |e| show::<T>(v[e])))
        });
        write!(
            f,
            "SparseTensor(indices={indices}, values={}, dense_shape={}, dtype={}, device={})",
            values.unwrap_or_else(|_| "<unavailable>".into()),
            self.dense_shape(),
            self.dtype(),
            self.device()
        )
    }
}

fn show<T: Element>(v: T) -> String {
    v.to_string()
}

/// `[a, b, c]`, or `[a, b, c, ..., x, y, z]` for more than [`SUMMARY`] items.
fn list(n: usize, item: impl Fn(usize) -> String) -> String {
    let shown: Vec<String> = if n > SUMMARY {
        (0..3)
            .map(&item)
            .chain(std::iter::once("...".to_string()))
            .chain((n - 3..n).map(&item))
            .collect()
    } else {
        (0..n).map(item).collect()
    };
    format!("[{}]", shown.join(", "))
}
