//! Dense conversions: [`SparseTensor::to_dense`],
//! [`SparseTensor::to_dense_with_default`] and [`SparseTensor::from_dense`].

use tensorbridge_core::{Element, Error, Result, ScatterMode, Shape, Tensor};

use crate::SparseTensor;
use crate::host::{host_slice, tensor_on, zeroed};
use crate::num::with_any;
use crate::order::{first_repeat, repeat_error};

impl SparseTensor {
    /// The dense tensor, with 0 (`false` for bool) where no entry is stored
    /// (`tf.sparse.to_dense`). Equivalent to
    /// [`to_dense_with_default`](SparseTensor::to_dense_with_default) with a
    /// zero of the values' dtype.
    ///
    /// Entries may be in any order; a position named twice is an error
    /// naming the first repeat (TensorFlow's `validate_indices` rule). Built
    /// on core's `Tensor::scatter_nd` ([`ScatterMode::Error`]): one pass over
    /// the indices (a sort only when they are unsorted) and one write pass
    /// over a freshly zeroed output, on all cores when large.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a repeated position
    /// (`"indices[3] = [1, 2] repeats indices[1]; ..."`);
    /// [`Error::ShapeOverflow`] when the dense size does not fit in memory
    /// addresses, [`Error::OutOfMemory`] when it does not fit in this
    /// machine, both before anything is allocated.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let st = SparseTensor::new(Tensor::from([[0i64, 0], [1, 2]]), Tensor::from([1, 2]), [3, 3])?;
    /// assert_eq!(st.to_dense()?.to_array::<i32>()?,
    ///            ndarray::arr2(&[[1, 0, 0], [0, 0, 2], [0, 0, 0]]).into_dyn());
    /// let repeated = SparseTensor::new(Tensor::from([[1i64], [0], [1]]), Tensor::from([1, 2, 3]), [2])?;
    /// assert!(repeated.to_dense().unwrap_err().to_string().contains("indices[2] = [1] repeats indices[0]"));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_dense(&self) -> Result<Tensor> {
        let zero = Tensor::zeros(Shape::scalar(), self.dtype())?.to_device(self.device())?;
        self.densify("SparseTensor::to_dense", &zero)
    }

    /// The dense tensor with `default_value` where no entry is stored
    /// (`tf.sparse.to_dense(sp, default_value)`); `default_value` is a
    /// scalar of the values' dtype.
    ///
    /// **Errors**: as [`SparseTensor::to_dense`], plus
    /// [`Error::InvalidArgument`] for a `default_value` that is not a scalar
    /// and [`Error::DTypeMismatch`] for one of another dtype.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let st = SparseTensor::new(Tensor::from([[1i64]]), Tensor::from([5.0f32]), [3])?;
    /// assert_eq!(st.to_dense_with_default(&Tensor::scalar(-1.0f32))?.to_vec::<f32>()?, [-1.0, 5.0, -1.0]);
    /// assert!(st.to_dense_with_default(&Tensor::scalar(-1.0f64)).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_dense_with_default(&self, default_value: &Tensor) -> Result<Tensor> {
        const OP: &str = "SparseTensor::to_dense_with_default";
        check_default(OP, self, default_value)?;
        self.densify(OP, default_value)
    }

    fn densify(&self, op: &'static str, fill: &Tensor) -> Result<Tensor> {
        let dtype = self.dtype();
        // The dense size is checked here, before core allocates anything.
        if self.dense_shape().byte_size(dtype).is_err() {
            return Err(Error::ShapeOverflow {
                op,
                dims: self.dense_shape().dims().to_vec(),
                dtype,
                what: "the dense tensor's byte size exceeds isize::MAX; it can never be dense \
                       (use the sparse ops, or slice it first)",
            });
        }
        // A default value made on the host is used where the values live.
        let fill = fill.to_device(self.device())?;
        Tensor::scatter_nd(
            self.indices(),
            self.values(),
            self.dense_shape().clone(),
            &fill,
            ScatterMode::Error,
        )
        .map_err(|e| self.translate(op, e))
    }

    /// Core's scatter errors, reworded for this sparse tensor's arguments.
    fn translate(&self, op: &'static str, e: Error) -> Error {
        match e {
            Error::InvalidArgument { .. } => {
                let (n, k) = (self.nnz(), self.rank());
                match host_slice::<i64>(self.indices()) {
                    Ok(idx) => match first_repeat(&idx, n, k) {
                        Some(rep) => repeat_error(op, &idx, k, rep),
                        None => rename(op, e),
                    },
                    Err(other) => other,
                }
            }
            other => rename(op, other),
        }
    }

    /// The non-zero elements of `dense` as a sparse tensor in canonical
    /// order (`tf.sparse.from_dense`): an element is stored when it differs
    /// from zero (`-0.0` counts as zero, NaN does not; `false` is zero).
    /// A rank-0 `dense` gives a rank-0 sparse tensor.
    ///
    /// One read pass over `dense` to count, one to collect.
    ///
    /// **Errors**: [`Error::OutOfMemory`] only.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let st = SparseTensor::from_dense(&Tensor::from([[0, 7], [0, 0], [3, 0]]))?;
    /// assert_eq!(st.indices().to_vec::<i64>()?, [0, 1, 2, 0]);
    /// assert_eq!(st.values().to_vec::<i32>()?, [7, 3]);
    /// assert_eq!(st.dense_shape().dims(), [3, 2]);
    /// assert!(st.is_canonical());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_dense(dense: &Tensor) -> Result<SparseTensor> {
        let device = dense.device();
        let dims = dense.dims().to_vec();
        with_any!(dense.dtype(), T => {
            let data = host_slice::<T>(dense)?;
            let (indices, values) = nonzeros::<T>(&data, &dims)?;
            let n = values.len();
            SparseTensor::new(
                tensor_on(indices, [n, dims.len()], device)?,
                tensor_on(values, [n], device)?,
                dims,
            )
        })
    }
}

/// The positions (as index rows) and values of the non-zero elements.
fn nonzeros<T: Element>(data: &[T], dims: &[usize]) -> Result<(Vec<i64>, Vec<T>)> {
    let zero = T::default();
    let n = data.iter().filter(|&&v| v != zero).count();
    let k = dims.len();
    let mut indices = zeroed::<i64>(crate::host::checked_mul(
        "SparseTensor::from_dense",
        n,
        k,
        "indices",
    )?)?;
    let mut values = Vec::with_capacity(n);
    let mut row = 0;
    let mut index = vec![0i64; k];
    for &v in data.iter() {
        if v != zero {
            indices[row * k..(row + 1) * k].copy_from_slice(&index);
            values.push(v);
            row += 1;
        }
        for a in (0..k).rev() {
            index[a] += 1;
            if (index[a] as usize) < dims[a] {
                break;
            }
            index[a] = 0;
        }
    }
    Ok((indices, values))
}

/// The rules of a default value.
pub(crate) fn check_default(op: &'static str, st: &SparseTensor, default: &Tensor) -> Result<()> {
    if default.rank() != 0 {
        return Err(Error::InvalidArgument {
            op,
            what: format!(
                "default_value must be a scalar (rank 0), got a tensor of shape {}",
                default.shape()
            ),
        });
    }
    if default.dtype() != st.dtype() {
        return Err(Error::DTypeMismatch {
            op,
            expected: st.dtype(),
            found: default.dtype(),
        });
    }
    Ok(())
}

/// `e` with its operation renamed to `op`, where it names one.
pub(crate) fn rename(op: &'static str, e: Error) -> Error {
    match e {
        Error::InvalidArgument { what, .. } => Error::InvalidArgument { op, what },
        Error::ShapeMismatch { lhs, rhs, msg, .. } => Error::ShapeMismatch { op, lhs, rhs, msg },
        Error::DTypeMismatch {
            expected, found, ..
        } => Error::DTypeMismatch {
            op,
            expected,
            found,
        },
        Error::ShapeOverflow {
            dims, dtype, what, ..
        } => Error::ShapeOverflow {
            op,
            dims,
            dtype,
            what,
        },
        Error::IndexOutOfBounds {
            index,
            axis,
            size,
            location,
            ..
        } => Error::IndexOutOfBounds {
            op,
            index,
            axis,
            size,
            location,
        },
        other => other,
    }
}
