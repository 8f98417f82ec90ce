//! [`SparseTensor::fill_empty_rows`]: one default entry in each empty row.

use tensorbridge_core::{Error, Result, Tensor};

use crate::SparseTensor;
use crate::dense::check_default;
use crate::host::{host_slice, tensor_on, zeroed};
use crate::num::with_any;
use crate::order::sort_by_rows;

impl SparseTensor {
    /// The sparse tensor with an entry `default_value` at `[r, 0, ..., 0]`
    /// for every row `r` (index along dim 0) that has no entry, and a bool
    /// tensor of shape `[dense_shape[0]]` that is true for those rows
    /// (`tf.sparse.fill_empty_rows`). The output's entries are ordered by
    /// row, keeping the input's order within a row.
    ///
    /// The row indicator is `dense_shape[0]` bools; that size is checked
    /// before it is allocated.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a rank-0 sparse tensor, a
    /// `default_value` that is not a scalar, or an empty row that cannot
    /// hold an entry because another dim is 0; [`Error::DTypeMismatch`] for
    /// a `default_value` of another dtype; [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let st = SparseTensor::new(Tensor::from([[1i64, 1], [3, 0]]), Tensor::from([5, 6]), [4, 2])?;
    /// let (filled, empty) = st.fill_empty_rows(&Tensor::scalar(-1))?;
    /// assert_eq!(filled.indices().to_vec::<i64>()?, [0, 0, 1, 1, 2, 0, 3, 0]);
    /// assert_eq!(filled.values().to_vec::<i32>()?, [-1, 5, -1, 6]);
    /// assert_eq!(empty.to_vec::<bool>()?, [true, false, true, false]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn fill_empty_rows(&self, default_value: &Tensor) -> Result<(SparseTensor, Tensor)> {
        const OP: &str = "SparseTensor::fill_empty_rows";
        let k = self.rank();
        if k == 0 {
            return Err(Error::InvalidArgument {
                op: OP,
                what: "a rank-0 sparse tensor has no rows to fill".into(),
            });
        }
        check_default(OP, self, default_value)?;
        let rows = self.dense_shape().dims()[0];
        let n = self.nnz();
        let idx = host_slice::<i64>(self.indices())?;
        let mut empty = zeroed::<bool>(rows)?;
        empty.fill(true);
        for e in 0..n {
            empty[idx[e * k] as usize] = false;
        }
        let n_empty = empty.iter().filter(|&&b| b).count();
        if n_empty > 0 {
            if let Some(d) = self.dense_shape().dims()[1..].iter().position(|&s| s == 0) {
                return Err(Error::InvalidArgument {
                    op: OP,
                    what: format!(
                        "{n_empty} rows are empty but dense_shape {} has size 0 in dim {}, so \
                         no entry [r, 0, ...] can be added",
                        self.dense_shape(),
                        d + 1
                    ),
                });
            }
        }
        let total = n + n_empty;
        let device = self.device();
        // Entries by row, stably; then the empty rows merged in.
        let order = sort_by_rows(n, |a, b| idx[a * k].cmp(&idx[b * k]));
        let mut indices = zeroed::<i64>(crate::host::checked_mul(OP, total, k, "output indices")?)?;
        let mut source: Vec<Option<usize>> = Vec::with_capacity(total);
        let mut o = 0;
        let mut write = |row: &[i64], src: Option<usize>, indices: &mut Vec<i64>| {
            indices[o * k..(o + 1) * k].copy_from_slice(row);
            source.push(src);
            o += 1;
        };
        let mut blank = vec![0i64; k];
        let mut next = 0;
        for (r, &is_empty) in empty.iter().enumerate() {
            while next < n && idx[order[next] * k] as usize == r {
                let e = order[next];
                write(&idx[e * k..(e + 1) * k], Some(e), &mut indices);
                next += 1;
            }
            if is_empty {
                blank[0] = r as i64;
                write(&blank, None, &mut indices);
            }
        }
        let values = with_any!(self.dtype(), T => {
            let vals = host_slice::<T>(self.values())?;
            let fill = default_value.to_scalar::<T>()?;
            let out: Vec<T> = source.iter().map(|s| s.map_or(fill, |e| vals[e])).collect();
            tensor_on(out, [total], device)
        })?;
        Ok((
            SparseTensor::from_parts(
                tensor_on(indices, [total, k], device)?,
                values,
                self.dense_shape().clone(),
            ),
            tensor_on(empty, [rows], device)?,
        ))
    }
}
