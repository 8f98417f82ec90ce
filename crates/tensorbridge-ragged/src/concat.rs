//! [`RaggedTensor::concat`] along rows and [`RaggedTensor::map_flat_values`].

use tensorbridge_core::{Error, Result, Tensor};

use crate::RaggedTensor;
use crate::splits::{alloc_vec, host_i64, i64_tensor_on, invalid};

impl RaggedTensor {
    /// The rows of every tensor of `tensors`, one after the other
    /// (`tf.concat(rts, axis=0)`). The tensors must agree in dtype, ragged
    /// rank and inner dims.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for an empty list or tensors
    /// of different ragged ranks or inner dims (naming the first that
    /// differs); [`Error::DTypeMismatch`]; [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_ragged::{ragged, RaggedTensor};
    ///
    /// let a = ragged![[1, 2], [3]];
    /// let b = ragged![[], [4, 5, 6]];
    /// let c = RaggedTensor::concat(&[&a, &b])?;
    /// assert_eq!(c.to_string(), "<tf.RaggedTensor [[1, 2], [3], [], [4, 5, 6]]>");
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn concat(tensors: &[&RaggedTensor]) -> Result<RaggedTensor> {
        const OP: &str = "RaggedTensor::concat";
        let Some(first) = tensors.first() else {
            return Err(invalid(
                OP,
                "tensors is empty; give at least one ragged tensor",
            ));
        };
        for (i, t) in tensors.iter().enumerate().skip(1) {
            if t.dtype() != first.dtype() {
                return Err(Error::DTypeMismatch {
                    op: OP,
                    expected: first.dtype(),
                    found: t.dtype(),
                });
            }
            if t.ragged_rank() != first.ragged_rank() || t.inner_dims() != first.inner_dims() {
                return Err(invalid(
                    OP,
                    format!(
                        "tensors[{i}] has shape {} but tensors[0] has shape {}; ragged rank and \
                         inner dims must agree",
                        t.shape_string(),
                        first.shape_string()
                    ),
                ));
            }
        }
        let values: Vec<&Tensor> = tensors.iter().map(|t| &t.flat_values).collect();
        let values = Tensor::concat(&values, 0)?;
        let splits = (0..first.ragged_rank())
            .map(|level| {
                let parts = tensors
                    .iter()
                    .map(|t| host_i64(&t.splits[level]))
                    .collect::<Result<Vec<_>>>()?;
                let len = 1 + parts.iter().map(|p| p.len() - 1).sum::<usize>();
                let mut out = alloc_vec::<i64>(len)?;
                let (mut o, mut offset) = (1usize, 0i64);
                for p in &parts {
                    for &x in &p[1..] {
                        out[o] = x + offset;
                        o += 1;
                    }
                    offset += p[p.len() - 1];
                }
                i64_tensor_on(values.device(), out)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RaggedTensor::from_parts(values, splits))
    }

    /// The same rows with `f` applied to the flat values
    /// (`tf.ragged.map_flat_values`), for elementwise operations: `f` must
    /// return one value (row of inner dims) per flat value.
    ///
    /// **Errors**: those of `f`; [`Error::InvalidArgument`] when its result
    /// does not keep the number of flat values.
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// let rt = ragged![[1, 2, 3], [4, 5], [6]];
    /// let doubled = rt.map_flat_values(|v| v.mul_scalar(2))?;
    /// assert_eq!(doubled.to_string(), "<tf.RaggedTensor [[2, 4, 6], [8, 10], [12]]>");
    /// assert!(rt.map_flat_values(|v| v.sum_all()).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn map_flat_values(
        &self,
        f: impl FnOnce(&Tensor) -> Result<Tensor>,
    ) -> Result<RaggedTensor> {
        let out = f(&self.flat_values)?;
        if out.rank() == 0 || out.dims()[0] != self.nvals() {
            return Err(invalid(
                "map_flat_values",
                format!(
                    "f returned a tensor of shape {} but the ragged tensor has {} flat values; \
                     f must keep the first dim",
                    out.shape(),
                    self.nvals()
                ),
            ));
        }
        if out.device() != self.flat_values.device() {
            return Err(invalid(
                "map_flat_values",
                format!(
                    "f returned a tensor on {} but the row splits live on {}; a ragged tensor's \
                     parts share one device: move the ragged tensor with .to_device() instead",
                    out.device(),
                    self.flat_values.device()
                ),
            ));
        }
        Ok(RaggedTensor::from_parts(out, self.splits.clone()))
    }
}
