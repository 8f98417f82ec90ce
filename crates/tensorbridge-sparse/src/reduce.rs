//! [`SparseTensor::reduce_sum`]: sums over axes, as a dense tensor.

use tensorbridge_core::{Error, Result, Tensor};

use crate::SparseTensor;
use crate::host::{host_slice, tensor_on, zeroed};
use crate::num::{Num, bool_error, with_num};

impl SparseTensor {
    /// The sum over `axes` as a dense tensor (`tf.sparse.reduce_sum`);
    /// like core's `Tensor::sum`, an empty `axes` sums over every axis,
    /// negative axes count from the end, and `keepdims` keeps the reduced
    /// axes with size 1. Positions without an entry count as 0.
    ///
    /// Only the output is allocated (its size is checked first), so the sum
    /// of a sparse tensor too large to ever be dense works when the output
    /// fits. Integers wrap; f16/bf16 sum in f32 and round once.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for an axis out of range or
    /// named twice, or bool values; [`Error::ShapeOverflow`] /
    /// [`Error::OutOfMemory`] for an output that cannot exist.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// // [[1, 0, 2], [0, 0, 3]]
    /// let st = SparseTensor::new(Tensor::from([[0i64, 0], [0, 2], [1, 2]]), Tensor::from([1, 2, 3]), [2, 3])?;
    /// assert_eq!(st.reduce_sum(&[0], false)?.to_vec::<i32>()?, [1, 0, 5]);
    /// assert_eq!(st.reduce_sum(&[-1], true)?.to_array::<i32>()?, ndarray::arr2(&[[3], [3]]).into_dyn());
    /// assert_eq!(st.reduce_sum(&[], false)?.to_scalar::<i32>()?, 6);
    /// assert!(st.reduce_sum(&[2], false).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn reduce_sum(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        const OP: &str = "SparseTensor::reduce_sum";
        let rank = self.rank();
        let mut reduced = vec![axes.is_empty(); rank];
        for &a in axes {
            let axis = if a < 0 { a + rank as isize } else { a };
            if axis < 0 || axis >= rank as isize {
                return Err(Error::InvalidArgument {
                    op: OP,
                    what: format!(
                        "axis {a} is out of range for a sparse tensor of rank {rank} (dense_shape {})",
                        self.dense_shape()
                    ),
                });
            }
            if reduced[axis as usize] {
                return Err(Error::InvalidArgument {
                    op: OP,
                    what: format!("axes {axes:?} name axis {axis} twice"),
                });
            }
            reduced[axis as usize] = true;
        }
        let dims = self.dense_shape().dims();
        let out_dims: Vec<usize> = (0..rank)
            .filter_map(|d| match (reduced[d], keepdims) {
                (false, _) => Some(dims[d]),
                (true, true) => Some(1),
                (true, false) => None,
            })
            .collect();
        // The kept dims, for the output offset of each entry.
        let kept: Vec<(usize, usize)> = (0..rank)
            .filter(|&d| !reduced[d])
            .map(|d| (d, dims[d]))
            .collect();
        let out_shape = tensorbridge_core::Shape::from(out_dims.clone());
        let dtype = self.dtype();
        let total = out_shape
            .byte_size(dtype)
            .map_err(|e| crate::dense::rename(OP, e))?
            / dtype.size_in_bytes();
        let k = rank;
        with_num!(dtype, T => {
            let mut acc = zeroed::<<T as Num>::Acc>(total)?;
            let idx = host_slice::<i64>(self.indices())?;
            let vals = host_slice::<T>(self.values())?;
            for (e, &v) in vals.iter().enumerate() {
                let row = &idx[e * k..(e + 1) * k];
                let off = kept.iter().fold(0usize, |o, &(d, size)| o * size + row[d] as usize);
                acc[off] = T::acc_add(acc[off], v.to_acc());
            }
            let out: Vec<T> = acc.into_iter().map(T::from_acc).collect();
            tensor_on(out, out_dims, self.device())
        }, bool => Err(bool_error(OP, "self")))
    }
}
