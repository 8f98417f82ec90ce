//! [`SparseTensor`]: `indices`, `values` and `dense_shape`, validated once.

use tensorbridge_core::{DType, Device, Error, Result, Shape, Tensor};

use crate::host::{host_slice, row_text};

/// A sparse tensor, as `tf.sparse.SparseTensor`: the non-default entries of
/// a dense tensor of shape `dense_shape`, given as `indices` (int64, shape
/// `[nnz, rank]`, one row per entry) and `values` (shape `[nnz]`).
///
/// Both parts are ordinary [`Tensor`]s, so a sparse tensor lives wherever
/// its parts live, and cloning it copies two pointers. Every rule of the
/// parts is checked by [`SparseTensor::new`]; once made, no input to any
/// method can make it panic. Indices may come in any order and may repeat
/// (as TensorFlow allows); the operations that need one value per position
/// ([`SparseTensor::to_dense`], the sprs conversions) reject repeats.
///
/// ```
/// use tensorbridge_sparse::SparseTensor;
/// use tensorbridge_core::Tensor;
///
/// // tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 4])
/// let st = SparseTensor::new(Tensor::from([[0i64, 0], [1, 2]]), Tensor::from([1, 2]), [3, 4])?;
/// assert_eq!((st.nnz(), st.rank()), (2, 2));
/// assert_eq!(st.to_dense()?.to_vec::<i32>()?, [1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SparseTensor {
    indices: Tensor,
    values: Tensor,
    dense_shape: Shape,
}

impl SparseTensor {
    /// A sparse tensor of shape `dense_shape` holding `values[i]` at the
    /// position `indices[i]`.
    ///
    /// Rules, each checked: `indices` is int64 of rank 2, `values` of rank
    /// 1, `indices.dims()[0] == values.len()`, `indices.dims()[1] ==
    /// dense_shape.rank()`, every dim of `dense_shape` fits int64, both
    /// parts live on one device, and every index lies in its dim
    /// (`0 <= indices[i][d] < dense_shape[d]`, so a zero-sized dim admits no
    /// entries). The dense size is not computed here: a sparse tensor may be
    /// far too large to ever be dense. Rank 0 (`indices` of shape
    /// `[nnz, 0]`) and `nnz == 0` are valid.
    ///
    /// Costs one pass over `indices` (on all cores when large); the parts
    /// are kept as given (made contiguous if they are strided views).
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a dtype, rank or device
    /// that breaks a rule, and for an index out of bounds, naming the first
    /// bad row: `"indices[3] = [1, 7] is out of bounds for dense_shape [2,
    /// 5]"`; [`Error::ShapeMismatch`] when the lengths of the parts or the
    /// rank of `dense_shape` disagree.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let indices = Tensor::from([[0i64, 1], [1, 7]]);
    /// let err = SparseTensor::new(indices, Tensor::from([1.0f32, 2.0]), [2, 5]).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "SparseTensor::new: indices[1] = [1, 7] is out of bounds for dense_shape [2, 5]"
    /// );
    /// // A rank-0 sparse tensor holding one value.
    /// let scalar = SparseTensor::new(Tensor::zeros([1, 0], tensorbridge_core::DType::I64)?,
    ///                                Tensor::from([5u8]), [])?;
    /// assert_eq!(scalar.to_dense()?.to_scalar::<u8>()?, 5);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn new(indices: Tensor, values: Tensor, dense_shape: impl Into<Shape>) -> Result<Self> {
        const OP: &str = "SparseTensor::new";
        let dense_shape = dense_shape.into();
        check_parts(OP, &indices, &values, &dense_shape)?;
        let indices = indices.contiguous()?;
        let values = values.contiguous()?;
        check_bounds(OP, &indices, &dense_shape)?;
        Ok(SparseTensor {
            indices,
            values,
            dense_shape,
        })
    }

    /// Parts already known to follow every rule (made by this crate).
    pub(crate) fn from_parts(indices: Tensor, values: Tensor, dense_shape: Shape) -> Self {
        debug_assert_eq!(indices.dtype(), DType::I64);
        debug_assert_eq!(indices.dims(), [values.numel(), dense_shape.rank()]);
        SparseTensor {
            indices,
            values,
            dense_shape,
        }
    }

    /// The three parts, `(indices, values, dense_shape)`, giving up the
    /// sparse tensor (so a buffer held only by it can move on uncopied).
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::Tensor;
    ///
    /// let st = SparseTensor::new(Tensor::from([[2i64]]), Tensor::from([1.0f32]), [3])?;
    /// let (indices, values, dense_shape) = st.into_parts();
    /// assert_eq!((indices.dims(), values.dims(), dense_shape.dims()), (&[1, 1][..], &[1][..], &[3][..]));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn into_parts(self) -> (Tensor, Tensor, Shape) {
        (self.indices, self.values, self.dense_shape)
    }

    /// The positions of the entries: int64 of shape `[nnz, rank]`.
    pub fn indices(&self) -> &Tensor {
        &self.indices
    }

    /// The entries' values: shape `[nnz]`.
    pub fn values(&self) -> &Tensor {
        &self.values
    }

    /// The shape of the dense tensor this one stands for.
    pub fn dense_shape(&self) -> &Shape {
        &self.dense_shape
    }

    /// The number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.numel()
    }

    /// The rank of the dense tensor (`dense_shape().rank()`).
    pub fn rank(&self) -> usize {
        self.dense_shape.rank()
    }

    /// The dtype of the values.
    pub fn dtype(&self) -> DType {
        self.values.dtype()
    }

    /// Where the parts live.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::{Device, Tensor};
    ///
    /// let st = SparseTensor::new(Tensor::from([[1i64]]), Tensor::from([2.5f32]), [3])?;
    /// assert_eq!(st.device(), Device::Cpu);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn device(&self) -> Device {
        self.values.device()
    }

    /// The same sparse tensor with its indices and values on `device`
    /// (`Tensor::to_device` of each part; parts already there are shared,
    /// not copied). The parts were checked when it was made, so nothing is
    /// checked again.
    ///
    /// **Errors**: [`Error::DeviceUnavailable`] when `device` cannot hold
    /// tensors in this build or on this machine.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::{Device, Tensor};
    ///
    /// let st = SparseTensor::new(Tensor::from([[1i64]]), Tensor::from([2.5f32]), [3])?;
    /// let same = st.to_device(Device::Cpu)?;
    /// assert!(same.values().shares_buffer_with(st.values()));
    /// assert_eq!(st.to_device(Device::Cuda(0)).is_err(), !Device::Cuda(0).is_available());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_device(&self, device: Device) -> Result<SparseTensor> {
        Ok(SparseTensor {
            indices: self.indices.to_device(device)?,
            values: self.values.to_device(device)?,
            dense_shape: self.dense_shape.clone(),
        })
    }

    /// A sparse tensor with the same indices and `f(values)` as values
    /// (`tf.sparse.map_values`): `f` may change the dtype but must keep one
    /// value per entry.
    ///
    /// **Errors**: whatever `f` returns, and [`Error::ShapeMismatch`] when
    /// its result is not of shape `[nnz]`.
    ///
    /// ```
    /// use tensorbridge_sparse::SparseTensor;
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// let st = SparseTensor::new(Tensor::from([[1i64], [3]]), Tensor::from([2, -4]), [5])?;
    /// let doubled = st.map_values(|v| v.mul_scalar(2))?;
    /// assert_eq!(doubled.to_dense()?.to_vec::<i32>()?, [0, 4, 0, -8, 0]);
    /// let floats = st.map_values(|v| v.cast(DType::F64))?;
    /// assert_eq!(floats.dtype(), DType::F64);
    /// assert!(st.map_values(|v| v.sum_all()).is_err()); // no longer one value per entry
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn map_values(&self, f: impl FnOnce(&Tensor) -> Result<Tensor>) -> Result<Self> {
        let values = f(&self.values)?;
        if values.dims() != [self.nnz()] {
            return Err(Error::ShapeMismatch {
                op: "SparseTensor::map_values",
                lhs: values.dims().to_vec(),
                rhs: vec![self.nnz()],
                msg: format!(
                    "the mapped values must have shape [{}] (one per entry), got {}",
                    self.nnz(),
                    values.shape()
                ),
            });
        }
        Ok(SparseTensor {
            indices: self.indices.clone(),
            values: values.contiguous()?,
            dense_shape: self.dense_shape.clone(),
        })
    }
}

/// The rules of the parts that do not need to read any index.
fn check_parts(op: &'static str, indices: &Tensor, values: &Tensor, shape: &Shape) -> Result<()> {
    let invalid = |what: String| Err(Error::InvalidArgument { op, what });
    if indices.dtype() != DType::I64 {
        return invalid(format!(
            "indices must be int64, found {}; convert them with .cast(DType::I64) first",
            indices.dtype()
        ));
    }
    if indices.rank() != 2 {
        return invalid(format!(
            "indices must have rank 2 ([nnz, rank]: one row per value), got shape {}",
            indices.shape()
        ));
    }
    if values.rank() != 1 {
        return invalid(format!(
            "values must have rank 1 ([nnz]), got shape {}",
            values.shape()
        ));
    }
    let (n, k) = (indices.dims()[0], indices.dims()[1]);
    if n != values.dims()[0] {
        return Err(Error::ShapeMismatch {
            op,
            lhs: indices.dims().to_vec(),
            rhs: values.dims().to_vec(),
            msg: format!(
                "indices has {n} rows (shape {}) but values has {} elements; each row of \
                 indices is the position of one value",
                indices.shape(),
                values.dims()[0]
            ),
        });
    }
    if k != shape.rank() {
        return Err(Error::ShapeMismatch {
            op,
            lhs: indices.dims().to_vec(),
            rhs: shape.dims().to_vec(),
            msg: format!(
                "indices rows have {k} entries (shape {}) but dense_shape {shape} has rank {}; \
                 each row holds one index per dim",
                indices.shape(),
                shape.rank()
            ),
        });
    }
    if let Some((d, &size)) = shape
        .dims()
        .iter()
        .enumerate()
        .find(|&(_, &s)| s > i64::MAX as usize)
    {
        return invalid(format!(
            "dense_shape[{d}] = {size} exceeds the largest int64 ({}); dense_shape {shape} \
             cannot be indexed by int64 indices",
            i64::MAX
        ));
    }
    if indices.device() != values.device() {
        return invalid(format!(
            "indices live on {} but values on {}; move both to one device with .to_device()",
            indices.device(),
            values.device()
        ));
    }
    Ok(())
}

/// Every index within its dim; the first bad row is named.
fn check_bounds(op: &'static str, indices: &Tensor, shape: &Shape) -> Result<()> {
    let (n, k) = (indices.dims()[0], indices.dims()[1]);
    if k == 0 || n == 0 {
        return Ok(());
    }
    let idx = host_slice::<i64>(indices)?;
    let dims = shape.dims();
    let bad = |r: usize| {
        idx[r * k..(r + 1) * k]
            .iter()
            .zip(dims)
            .any(|(&v, &d)| v < 0 || v as u64 >= d as u64)
    };
    let first = first_row(n, &bad);
    match first {
        None => Ok(()),
        Some(r) => Err(Error::InvalidArgument {
            op,
            what: format!(
                "indices[{r}] = {} is out of bounds for dense_shape {shape}",
                row_text(&idx[r * k..(r + 1) * k])
            ),
        }),
    }
}

/// The first row `r < n` with `pred(r)`, on all cores when `n` is large.
pub(crate) fn first_row(n: usize, pred: &(impl Fn(usize) -> bool + Sync)) -> Option<usize> {
    #[cfg(feature = "parallel")]
    if n >= 1 << 16 {
        use rayon::prelude::*;
        return (0..n).into_par_iter().find_first(|&r| pred(r));
    }
    (0..n).find(|&r| pred(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(r: Result<SparseTensor>) -> String {
        r.expect_err("an invalid sparse tensor").to_string()
    }

    fn idx(rows: &[[i64; 2]]) -> Tensor {
        Tensor::from_vec(rows.concat(), [rows.len(), 2]).unwrap()
    }

    #[test]
    fn indices_must_be_int64() {
        let e = msg(SparseTensor::new(
            Tensor::from([[0i32, 1]]),
            Tensor::from([1]),
            [2, 2],
        ));
        assert_eq!(
            e,
            "SparseTensor::new: indices must be int64, found int32; convert them with \
             .cast(DType::I64) first"
        );
    }

    #[test]
    fn indices_must_have_rank_2() {
        let e = msg(SparseTensor::new(
            Tensor::from([0i64, 1]),
            Tensor::from([1, 2]),
            [2],
        ));
        assert!(e.contains("indices must have rank 2"), "{e}");
        assert!(e.contains("got shape [2]"), "{e}");
    }

    #[test]
    fn values_must_have_rank_1() {
        let e = msg(SparseTensor::new(
            idx(&[[0, 1]]),
            Tensor::from([[1]]),
            [2, 2],
        ));
        assert!(
            e.contains("values must have rank 1 ([nnz]), got shape [1, 1]"),
            "{e}"
        );
    }

    #[test]
    fn one_value_per_row() {
        let r = SparseTensor::new(idx(&[[0, 1], [1, 1]]), Tensor::from([1, 2, 3]), [2, 2]);
        assert!(matches!(r, Err(Error::ShapeMismatch { .. })));
        assert!(msg(r).contains("indices has 2 rows (shape [2, 2]) but values has 3 elements"));
    }

    #[test]
    fn row_length_is_the_rank() {
        let r = SparseTensor::new(idx(&[[0, 1]]), Tensor::from([1]), [2, 2, 2]);
        assert!(matches!(r, Err(Error::ShapeMismatch { .. })));
        assert!(msg(r).contains("but dense_shape [2, 2, 2] has rank 3"));
    }

    #[test]
    fn indices_in_bounds() {
        let e = msg(SparseTensor::new(
            idx(&[[0, 0], [1, 4], [0, 3], [1, 7]]),
            Tensor::from([1, 2, 3, 4]),
            [2, 5],
        ));
        assert_eq!(
            e,
            "SparseTensor::new: indices[3] = [1, 7] is out of bounds for dense_shape [2, 5]"
        );
        let e = msg(SparseTensor::new(
            idx(&[[0, -1]]),
            Tensor::from([1]),
            [2, 5],
        ));
        assert!(e.contains("indices[0] = [0, -1] is out of bounds"), "{e}");
    }

    #[test]
    fn zero_sized_dims_admit_no_entries() {
        let e = msg(SparseTensor::new(idx(&[[0, 0]]), Tensor::from([1]), [3, 0]));
        assert!(e.contains("indices[0] = [0, 0] is out of bounds for dense_shape [3, 0]"));
        let empty = SparseTensor::new(
            Tensor::zeros([0, 2], DType::I64).unwrap(),
            Tensor::zeros([0], DType::F32).unwrap(),
            [3, 0],
        )
        .unwrap();
        assert_eq!(empty.to_dense().unwrap().dims(), [3, 0]);
    }

    #[test]
    fn dims_fit_int64() {
        let e = msg(SparseTensor::new(
            Tensor::zeros([0, 1], DType::I64).unwrap(),
            Tensor::zeros([0], DType::F32).unwrap(),
            [usize::MAX],
        ));
        assert!(e.contains("dense_shape[0] = 18446744073709551615 exceeds the largest int64"));
    }

    #[test]
    fn bounds_of_many_rows_name_the_first_bad_row() {
        // Enough rows for the parallel check.
        let n = 100_000usize;
        let mut rows: Vec<i64> = (0..n as i64).flat_map(|i| [i % 7, i % 11]).collect();
        rows[2 * 70_001 + 1] = 11;
        rows[2 * 90_000] = 7;
        let e = msg(SparseTensor::new(
            Tensor::from_vec(rows, [n, 2]).unwrap(),
            Tensor::zeros([n], DType::U8).unwrap(),
            [7, 11],
        ));
        assert!(
            e.contains("indices[70001] = [1, 11] is out of bounds"),
            "{e}"
        );
    }

    #[test]
    fn strided_parts_are_made_contiguous() {
        let values = Tensor::from([[1, 2], [3, 4]])
            .t()
            .unwrap()
            .slice([0])
            .unwrap(); // [1, 3]
        let st = SparseTensor::new(idx(&[[0, 0], [1, 1]]), values, [2, 2]).unwrap();
        assert!(st.values().is_contiguous());
        assert_eq!(
            st.to_dense().unwrap().to_vec::<i32>().unwrap(),
            [1, 0, 0, 3]
        );
    }

    #[test]
    fn accessors() {
        let st =
            SparseTensor::new(idx(&[[0, 0], [1, 2]]), Tensor::from([1.5f64, 2.5]), [3, 3]).unwrap();
        assert_eq!((st.nnz(), st.rank(), st.dtype()), (2, 2, DType::F64));
        assert_eq!(st.device(), Device::Cpu);
        assert_eq!(st.dense_shape().dims(), [3, 3]);
        assert_eq!(st.indices().dims(), [2, 2]);
        assert_eq!(st.values().to_vec::<f64>().unwrap(), [1.5, 2.5]);
    }

    #[test]
    fn map_values_keeps_one_value_per_entry() {
        let st = SparseTensor::new(idx(&[[0, 0], [1, 2]]), Tensor::from([1, 2]), [3, 3]).unwrap();
        let e = st
            .map_values(|v| v.reshape([1, 2]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("must have shape [2] (one per entry), got [1, 2]"),
            "{e}"
        );
    }

    #[test]
    fn rank_zero() {
        let one = SparseTensor::new(
            Tensor::zeros([1, 0], DType::I64).unwrap(),
            Tensor::from([7i16]),
            [],
        )
        .unwrap();
        assert_eq!(one.to_dense().unwrap().to_scalar::<i16>().unwrap(), 7);
        let none = SparseTensor::new(
            Tensor::zeros([0, 0], DType::I64).unwrap(),
            Tensor::zeros([0], DType::I16).unwrap(),
            [],
        )
        .unwrap();
        assert_eq!(
            none.to_dense_with_default(&Tensor::scalar(3i16))
                .unwrap()
                .to_scalar::<i16>()
                .unwrap(),
            3
        );
        let two = SparseTensor::new(
            Tensor::zeros([2, 0], DType::I64).unwrap(),
            Tensor::from([1i16, 2]),
            [],
        )
        .unwrap();
        let e = two.to_dense().unwrap_err().to_string();
        assert!(e.contains("indices[1] = [] repeats indices[0]"), "{e}");
        assert!(!two.is_canonical() && one.is_canonical());
        assert_eq!(
            two.reduce_sum(&[], false)
                .unwrap()
                .to_scalar::<i16>()
                .unwrap(),
            3
        );
        assert_eq!(
            two.add(&one).unwrap().values().to_vec::<i16>().unwrap(),
            [10]
        );
        assert_eq!(one.transpose(&[]).unwrap().nnz(), 1);
        assert_eq!(one.slice(&[], &[]).unwrap().nnz(), 1);
        assert_eq!(
            one.reshape(&[1, 1])
                .unwrap()
                .indices()
                .to_vec::<i64>()
                .unwrap(),
            [0, 0]
        );
        assert!(one.fill_empty_rows(&Tensor::scalar(0i16)).is_err());
        let (i, v, s) = one.numpy().unwrap();
        assert_eq!(
            (i.shape(), v.shape(), s.shape()),
            (&[1, 0][..], &[1][..], &[0][..])
        );
        assert_eq!(
            SparseTensor::from_dense(&Tensor::scalar(5u8))
                .unwrap()
                .nnz(),
            1
        );
        assert_eq!(
            two.reorder().unwrap().values().to_vec::<i16>().unwrap(),
            [1, 2]
        );
        let kept = two.retain(&Tensor::from([false, true])).unwrap();
        assert_eq!(kept.to_dense().unwrap().to_scalar::<i16>().unwrap(), 2);
        let sum = two.add_dense(&Tensor::scalar(10i16)).unwrap();
        assert_eq!(sum.to_scalar::<i16>().unwrap(), 13);
        assert_eq!(
            one.to_string(),
            "SparseTensor(indices=[[]], values=[7], dense_shape=[], dtype=int16, device=cpu)"
        );
        let mapped = one.map_values(|v| v.mul_scalar(2i16)).unwrap();
        assert_eq!(mapped.to_dense().unwrap().to_scalar::<i16>().unwrap(), 14);
    }
}
