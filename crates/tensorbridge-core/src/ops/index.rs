//! Indexing: [`Tensor::index_select`], [`Tensor::gather`], and the primitives
//! sparse and ragged tensors are built on: [`Tensor::gather_with_padding`],
//! [`Tensor::pad_segments`], [`Tensor::scatter_nd`] and
//! [`Tensor::segment_sum`].
//!
//! Every index comes from user data, so every index is checked before it is
//! used to address memory; a bad one is [`Error::IndexOutOfBounds`] naming
//! where it was read (`indices[1, 0] = 7`), never a panic. Output sizes are
//! checked before any allocation.
//!
//! The kernels copy whole contiguous inner rows with `copy_from_slice`,
//! merge runs of consecutive indices into one copy, and fill large outputs
//! on all cores (feature `parallel`) in chunks of whole rows, so that the
//! page faults of a fresh output are spread over the cores too.

use std::any::Any;

use half::{bf16, f16};
use num_complex::Complex;

use crate::cast::Repr;
use crate::element::{Element, private::Sealed};
use crate::layout::normalize_axis;
use crate::{DType, Error, Layout, Result, Shape, Tensor, alloc, copy, dtype::with_dtype};

/// Outputs at least this large are computed on all cores.
#[cfg(feature = "parallel")]
pub(super) const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// Bytes of output per parallel task: two huge pages.
#[cfg(feature = "parallel")]
pub(super) const TASK_BYTES: usize = 4 << 20;

/// Rows of `row_elems` elements of `T` per parallel task (at least one).
#[cfg(feature = "parallel")]
pub(super) fn rows_per_task<T>(row_elems: usize) -> usize {
    (TASK_BYTES / (row_elems.max(1) * size_of::<T>().max(1))).max(1)
}

/// Whether an output of `n` elements of `T` is worth splitting over threads.
#[cfg(feature = "parallel")]
pub(super) fn is_large<T>(n: usize) -> bool {
    n.saturating_mul(size_of::<T>()) >= PARALLEL_MIN_BYTES
}

/// How [`Tensor::scatter_nd`] treats two rows of `indices` that name the
/// same position.
///
/// ```
/// use tensorbridge_core::{ScatterMode, Tensor};
///
/// let indices = Tensor::from([[1i64], [1]]);
/// let updates = Tensor::from([5, 7]);
/// let fill = Tensor::scalar(0);
/// let last = Tensor::scatter_nd(&indices, &updates, [3], &fill, ScatterMode::Last)?;
/// assert_eq!(last.to_vec::<i32>()?, [0, 7, 0]);
/// let sum = Tensor::scatter_nd(&indices, &updates, [3], &fill, ScatterMode::Add)?;
/// assert_eq!(sum.to_vec::<i32>()?, [0, 12, 0]);
/// assert!(Tensor::scatter_nd(&indices, &updates, [3], &fill, ScatterMode::Error).is_err());
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScatterMode {
    /// A repeated position is an [`Error::InvalidArgument`] naming the first
    /// row that repeats an earlier one (what a sparse tensor's `to_dense`
    /// needs: TensorFlow rejects repeated sparse indices).
    Error,
    /// The last row naming a position wins.
    Last,
    /// The rows naming a position are summed onto the fill value, in row
    /// order (`tf.scatter_nd`'s rule when the fill is 0; f16/bf16 sum in f32
    /// and round once, integers wrap). Not defined for bool.
    Add,
}

/// An integer type indices can be given in.
pub(super) trait IndexInt: Element {
    fn as_i64(self) -> i64;
}

impl IndexInt for i32 {
    #[inline(always)]
    fn as_i64(self) -> i64 {
        self as i64
    }
}

impl IndexInt for i64 {
    #[inline(always)]
    fn as_i64(self) -> i64 {
        self
    }
}

/// Runs `$body` with `$idx` bound to the elements of the index tensor `$t`
/// in C order, as `&[i32]` or `&[i64]`; any other dtype is an error naming
/// the argument `$name` of `$op`.
macro_rules! with_index_slice {
    ($op:expr, $name:expr, $t:expr, $idx:ident => $body:expr) => {{
        let contiguous = $t.contiguous()?;
        match contiguous.dtype() {
            $crate::DType::I32 => {
                let $idx = $crate::ops::index::contiguous_slice::<i32>(&contiguous, $op)?;
                $body
            }
            $crate::DType::I64 => {
                let $idx = $crate::ops::index::contiguous_slice::<i64>(&contiguous, $op)?;
                $body
            }
            other => Err($crate::ops::index::index_dtype_error($op, $name, other)),
        }
    }};
}
pub(super) use with_index_slice;

/// The error for an index tensor of a dtype other than int32/int64.
pub(crate) fn index_dtype_error(op: &'static str, name: &str, found: DType) -> Error {
    Error::invalid(
        op,
        format!(
            "{name} must be int32 or int64, found {found}; convert them with .cast(DType::I64) first"
        ),
    )
}

/// The elements of a contiguous host tensor as a slice.
pub(super) fn contiguous_slice<'a, T: Element>(t: &'a Tensor, op: &'static str) -> Result<&'a [T]> {
    let data = t.host_slice::<T>(op)?;
    if t.numel() == 0 {
        return Ok(&[]);
    }
    let range = t
        .layout()
        .contiguous_range()
        .expect("callers pass contiguous tensors");
    Ok(&data[range])
}

/// `"name[1, 0]"`: where element `flat` (C order) of a tensor of `dims` sits.
pub(crate) fn location(name: &str, flat: usize, dims: &[usize]) -> String {
    if dims.is_empty() {
        return name.to_owned();
    }
    let mut index = vec![0usize; dims.len()];
    let mut rest = flat;
    for (i, &d) in index.iter_mut().zip(dims).rev() {
        *i = rest % d.max(1);
        rest /= d.max(1);
    }
    let parts: Vec<String> = index.iter().map(|i| i.to_string()).collect();
    format!("{name}[{}]", parts.join(", "))
}

/// The out-of-bounds error for element `flat` of index tensor `name`.
fn out_of_bounds(
    op: &'static str,
    name: &str,
    flat: usize,
    idx_dims: &[usize],
    value: i64,
    axis: usize,
    size: usize,
) -> Error {
    Error::IndexOutOfBounds {
        op,
        index: value as isize,
        axis,
        size,
        location: Some(location(name, flat, idx_dims)),
    }
}

/// The value of a rank-0 tensor `t` of dtype `dtype`, the argument `name` of `op`.
pub(super) fn scalar_arg<T: Element>(t: &Tensor, op: &'static str, name: &str) -> Result<T> {
    if t.rank() != 0 {
        return Err(Error::invalid(
            op,
            format!(
                "{name} must be a scalar (rank 0), got a tensor of shape {}",
                t.shape()
            ),
        ));
    }
    #[cfg(feature = "cuda")]
    if t.cuda_storage().is_some() {
        // One element read back from the device.
        return crate::cuda::download_vec::<T>(t, op).map(|v| v[0]);
    }
    let data = t.host_slice::<T>(op)?;
    Ok(data[t.layout().offset()])
}

/// Checks that `t` has dtype `expected`, as argument `name` of `op`.
pub(super) fn check_dtype(op: &'static str, expected: DType, t: &Tensor) -> Result<()> {
    if t.dtype() == expected {
        Ok(())
    } else {
        Err(Error::DTypeMismatch {
            op,
            expected,
            found: t.dtype(),
        })
    }
}

/// The element count of `shape` for dtype `dtype`, checking that its bytes
/// can be addressed at all.
pub(super) fn checked_len(op: &'static str, shape: &Shape, dtype: DType) -> Result<usize> {
    shape.checked_byte_size(op, dtype)?;
    shape.checked_numel(op, dtype)
}

/// Whether every byte of `v` is zero (`-0.0` is not), so that a zeroed
/// buffer already holds it.
pub(super) fn is_zero_bits<T: Element>(v: T) -> bool {
    match v.to_repr() {
        Repr::Bool(b) => !b,
        Repr::Int(i) => i == 0,
        Repr::Float(f) => f.to_bits() == 0,
        Repr::Complex(re, im) => re.to_bits() == 0 && im.to_bits() == 0,
    }
}

/// A new `Vec` of `n` copies of `value`, filled on all cores when large.
/// (Unlike a `value == 0` test, `-0.0` keeps its sign.)
pub(super) fn filled<T: Element>(n: usize, value: T) -> Result<Vec<T>> {
    let mut out = alloc::zeroed_vec::<T>(n)?;
    if !is_zero_bits(value) {
        #[cfg(feature = "parallel")]
        if is_large::<T>(n) {
            use rayon::prelude::*;
            out.par_chunks_mut(rows_per_task::<T>(1))
                .for_each(|c| c.fill(value));
            return Ok(out);
        }
        out.fill(value);
    }
    Ok(out)
}

/// Addition with the accumulator TensorFlow uses: f16/bf16 in f32 (rounded
/// once at the end), integers wrapping, complex componentwise.
pub(super) trait SumElem: Element {
    /// The type sums are kept in.
    type Acc: Element;
    /// `self` as an accumulator value.
    fn to_acc(self) -> Self::Acc;
    /// An accumulator rounded back to `Self`.
    fn from_acc(a: Self::Acc) -> Self;
    /// `a + b`.
    fn acc_add(a: Self::Acc, b: Self::Acc) -> Self::Acc;
}

macro_rules! sum_same {
    ($($t:ty => |$a:ident, $b:ident| $add:expr;)*) => {$(
        impl SumElem for $t {
            type Acc = $t;
            #[inline(always)]
            fn to_acc(self) -> $t { self }
            #[inline(always)]
            fn from_acc(a: $t) -> $t { a }
            #[inline(always)]
            fn acc_add($a: $t, $b: $t) -> $t { $add }
        }
    )*};
}
sum_same! {
    // Never reached: sums of bool are refused before any kernel runs.
    bool => |a, b| a | b;
    u8 => |a, b| a.wrapping_add(b);
    u16 => |a, b| a.wrapping_add(b);
    u32 => |a, b| a.wrapping_add(b);
    u64 => |a, b| a.wrapping_add(b);
    i8 => |a, b| a.wrapping_add(b);
    i16 => |a, b| a.wrapping_add(b);
    i32 => |a, b| a.wrapping_add(b);
    i64 => |a, b| a.wrapping_add(b);
    f32 => |a, b| a + b;
    f64 => |a, b| a + b;
    Complex<f32> => |a, b| a + b;
    Complex<f64> => |a, b| a + b;
}

macro_rules! sum_half {
    ($($t:ty),*) => {$(
        impl SumElem for $t {
            type Acc = f32;
            #[inline(always)]
            fn to_acc(self) -> f32 { self.to_f32() }
            #[inline(always)]
            fn from_acc(a: f32) -> $t { <$t>::from_f32(a) }
            #[inline(always)]
            fn acc_add(a: f32, b: f32) -> f32 { a + b }
        }
    )*};
}
sum_half!(f16, bf16);

/// Accumulators turned into the output: the same buffer when `T` sums in
/// itself, a rounding pass (f16/bf16) otherwise.
fn from_acc_vec<T: SumElem>(acc: Vec<T::Acc>) -> Result<Vec<T>> {
    let boxed: Box<dyn Any> = Box::new(acc);
    match boxed.downcast::<Vec<T>>() {
        Ok(same) => Ok(*same),
        Err(boxed) => {
            let acc = boxed
                .downcast::<Vec<T::Acc>>()
                .expect("the box holds the accumulators it was made from");
            let layout = Layout::contiguous(Shape::from([acc.len()]));
            copy::map_to_vec(&acc, &layout, T::from_acc)
        }
    }
}

/// The error for a sum over bool elements.
fn bool_sum_error(op: &'static str) -> Error {
    Error::invalid(
        op,
        "sums are not defined for bool; cast to an integer dtype first (.cast(DType::I32))",
    )
}

impl Tensor {
    /// The slices of `self` at `indices` along `axis`, in the order given
    /// (`torch.index_select`; `tf.gather` with rank-1 indices). The output
    /// has the shape of `self` with dim `axis` replaced by `indices.len()`.
    /// Indices may repeat; negative indices are out of bounds (they do not
    /// count from the end).
    ///
    /// **Errors**: [`Error::InvalidArgument`] when `indices` is not rank 1 or
    /// not int32/int64, or `axis` is out of range;
    /// [`Error::IndexOutOfBounds`] naming the first bad index
    /// (`"indices[1] = 7 is out of bounds for axis 0 with size 5"`);
    /// [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[1, 2, 3], [4, 5, 6]]);
    /// let cols = t.index_select(1, &Tensor::from([2i64, 0, 2]))?;
    /// assert_eq!(cols.to_array::<i32>()?, ndarray::arr2(&[[3, 1, 3], [6, 4, 6]]).into_dyn());
    /// assert!(t.index_select(0, &Tensor::from([2i64])).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn index_select(&self, axis: isize, indices: &Tensor) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::IndexSelect(axis), self, indices);
        const OP: &str = "index_select";
        if indices.rank() != 1 {
            return Err(Error::invalid(
                OP,
                format!(
                    "indices must have rank 1, got shape {}; use gather for indices of any rank",
                    indices.shape()
                ),
            ));
        }
        self.gather_impl(OP, indices, axis, false, None)
    }

    /// Slices of `self` along `axis` picked by `indices` of any shape
    /// (`tf.gather(params, indices, axis)` with `batch_dims=0`). The output
    /// shape is `self.shape[..axis] + indices.shape + self.shape[axis + 1..]`.
    ///
    /// Indices are int32 or int64 and must lie in `0..self.dims()[axis]`; as
    /// in TensorFlow on the CPU, a negative index is out of bounds, not
    /// counted from the end.
    ///
    /// **On a GPU** (all three operands there) the coordinates are checked
    /// by the kernel, with the same errors as on the CPU; `ScatterMode::Add`
    /// of floats adds repeats in another order (within ulps of the CPU).
    ///
    /// **Errors**: [`Error::InvalidArgument`] for indices of another dtype or
    /// an axis out of range (a scalar has no axis to gather along);
    /// [`Error::IndexOutOfBounds`] naming the first bad index, its position
    /// in `indices`, the axis and its size (`"gather: indices[1, 0] = 7 is
    /// out of bounds for axis 0 with size 5"`); [`Error::ShapeOverflow`] and
    /// [`Error::OutOfMemory`] for an output that cannot exist.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// // The tf.gather documentation's examples.
    /// let params = Tensor::from([0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0]);
    /// let g = params.gather(&Tensor::from([2i64, 0, 2, 5]), 0)?;
    /// assert_eq!(g.to_vec::<f32>()?, [2.0, 0.0, 2.0, 5.0]);
    /// let g = params.gather(&Tensor::from([[2i32, 0], [2, 5]]), 0)?;
    /// assert_eq!(g.dims(), [2, 2]);
    ///
    /// let params = Tensor::from([[0, 1, 2], [3, 4, 5]]);
    /// let g = params.gather(&Tensor::from([[2i64, 0], [1, 1]]), 1)?;
    /// assert_eq!(g.dims(), [2, 2, 2]);
    /// assert_eq!(g.to_vec::<i32>()?, [2, 0, 1, 1, 5, 3, 4, 4]);
    ///
    /// let err = params.gather(&Tensor::from([[0i64], [7]]), 0).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "gather: indices[1, 0] = 7 is out of bounds for axis 0 with size 2"
    /// );
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn gather(&self, indices: &Tensor, axis: isize) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::Gather(axis), self, indices);
        self.gather_impl("gather", indices, axis, false, None)
    }

    /// Rows of `self` (slices along axis 0) picked by `indices` of any
    /// shape, where the index `-1` stands for a row of `fill`: what a ragged
    /// tensor's `to_tensor(default_value)` is built on. The output shape is
    /// `indices.shape + self.shape[1..]`.
    ///
    /// Contract: `self` has rank ≥ 1; `indices` are int32 or int64, each
    /// either `-1` or in `0..self.dims()[0]`; `fill` has the dtype of `self`
    /// and broadcasts to `self.shape[1..]` (a scalar always does). Runs of
    /// consecutive indices are copied as one block, runs of `-1` filled as
    /// one block, and large outputs are written on all cores.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a scalar `self` or indices
    /// of another dtype; [`Error::DTypeMismatch`] when `fill` has another
    /// dtype; [`Error::ShapeMismatch`] when `fill` does not broadcast to a
    /// row; [`Error::IndexOutOfBounds`] naming the first index that is
    /// neither `-1` nor a row (`"indices[3] = -2 is out of bounds for axis 0
    /// with size 4"`); [`Error::ShapeOverflow`], [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// // Ragged [[1, 2, 3], [4, 5], [6]] padded with 0.
    /// let values = Tensor::from([1, 2, 3, 4, 5, 6]);
    /// let indices = Tensor::from([[0i64, 1, 2], [3, 4, -1], [5, -1, -1]]);
    /// let padded = values.gather_with_padding(&indices, &Tensor::scalar(0))?;
    /// assert_eq!(padded.to_vec::<i32>()?, [1, 2, 3, 4, 5, 0, 6, 0, 0]);
    /// assert!(values.gather_with_padding(&Tensor::from([-2i64]), &Tensor::scalar(0)).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn gather_with_padding(&self, indices: &Tensor, fill: &Tensor) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::GatherWithPadding, self, indices, fill);
        const OP: &str = "gather_with_padding";
        if self.rank() == 0 {
            return Err(Error::invalid(
                OP,
                "the gathered tensor is a scalar; it needs at least one axis of rows",
            ));
        }
        let fill_row = self.fill_row(OP, fill)?;
        self.gather_impl(OP, indices, 0, true, Some(&fill_row))
    }

    /// Consecutive segments of the rows of `self`, each padded with `fill`
    /// (or cut) to `width` rows: segment `r` is rows
    /// `row_splits[r]..row_splits[r + 1]`. This is a ragged tensor's
    /// `to_tensor(default_value)` for one ragged dimension (`self` the flat
    /// values, `row_splits` the row partition), done in one write pass with
    /// no index tensor: each output row is one `copy_from_slice` of the
    /// segment's contiguous rows and a fill, on all cores when large.
    ///
    /// Contract: `self` has shape `[nvals, ...]` (rank ≥ 1); `row_splits`
    /// is int32 or int64 of shape `[nrows + 1]` (at least one entry), never
    /// decreasing, every entry in `0..=nvals` (it need not start at 0 or end
    /// at `nvals`); `fill` has the dtype of `self` and broadcasts to
    /// `self.shape[1..]`. The output has shape
    /// `[nrows, width] + self.shape[1..]`; segments longer than `width` keep
    /// their first `width` rows, as `to_tensor(shape=...)` does.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a scalar `self`, splits of
    /// another dtype or rank or with no entry, a split outside `0..=nvals`
    /// (`"row_splits[3] = 9 is outside 0..=8 (the number of values)"`) or
    /// smaller than the one before (`"row_splits[2] = 3 is less than
    /// row_splits[1] = 5; row splits must not decrease"`);
    /// [`Error::DTypeMismatch`] and [`Error::ShapeMismatch`] for `fill` as
    /// in [`Tensor::gather_with_padding`]; [`Error::ShapeOverflow`],
    /// [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// // Ragged [[1, 2, 3], [4, 5], [6]] padded with 0, then cut to width 2.
    /// let values = Tensor::from([1, 2, 3, 4, 5, 6]);
    /// let splits = Tensor::from([0i64, 3, 5, 6]);
    /// let dense = values.pad_segments(&splits, 3, &Tensor::scalar(0))?;
    /// assert_eq!(dense.to_vec::<i32>()?, [1, 2, 3, 4, 5, 0, 6, 0, 0]);
    /// let cut = values.pad_segments(&splits, 2, &Tensor::scalar(0))?;
    /// assert_eq!(cut.to_vec::<i32>()?, [1, 2, 4, 5, 6, 0]);
    /// assert!(values.pad_segments(&Tensor::from([0i64, 4, 2]), 3, &Tensor::scalar(0)).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn pad_segments(&self, row_splits: &Tensor, width: usize, fill: &Tensor) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::PadSegments(width),
            self,
            row_splits,
            fill
        );
        const OP: &str = "pad_segments";
        if self.rank() == 0 {
            return Err(Error::invalid(
                OP,
                "the values are a scalar; they need at least one axis of rows",
            ));
        }
        if row_splits.rank() != 1 || row_splits.numel() == 0 {
            return Err(Error::invalid(
                OP,
                format!(
                    "row_splits must have shape [nrows + 1] (rank 1, at least one entry), got {}",
                    row_splits.shape()
                ),
            ));
        }
        let fill_row = self.fill_row(OP, fill)?;
        #[cfg(feature = "cuda")]
        let on_device =
            crate::cuda::placement(OP, &[self, row_splits, &fill_row])? != crate::Device::Cpu;
        #[cfg(not(feature = "cuda"))]
        let on_device = false;
        if !on_device {
            self.cpu_storage(OP)?;
        }
        let nvals = self.dims()[0];
        let nrows = row_splits.numel() - 1;
        let mut out_dims = vec![nrows, width];
        out_dims.extend_from_slice(&self.dims()[1..]);
        let out_shape = Shape::from(out_dims);
        let total = checked_len(OP, &out_shape, self.dtype())?;
        let inner: usize = self.dims()[1..].iter().product();
        #[cfg(feature = "cuda")]
        if on_device {
            return crate::cuda::pad_segments(OP, self, row_splits, width, &fill_row, out_shape);
        }
        let values = self.contiguous()?;
        let out = with_index_slice!(OP, "row_splits", row_splits, splits => {
            let mut prev = 0i64;
            for (r, &v) in splits.iter().enumerate() {
                let v = v.as_i64();
                if !(0..=nvals as i64).contains(&v) {
                    return Err(Error::invalid(
                        OP,
                        format!("row_splits[{r}] = {v} is outside 0..={nvals} (the number of values)"),
                    ));
                }
                if r > 0 && v < prev {
                    return Err(Error::invalid(
                        OP,
                        format!(
                            "row_splits[{r}] = {v} is less than row_splits[{}] = {prev}; row \
                             splits must not decrease",
                            r - 1
                        ),
                    ));
                }
                prev = v;
            }
            with_dtype!(values.dtype(), T => {
                let src = contiguous_slice::<T>(&values, OP)?;
                let pad = contiguous_slice::<T>(&fill_row, OP)?;
                pad_segments_kernel(src, splits, width, inner, pad, total).map(T::into_storage)
            })
        })?;
        Ok(Tensor::from_cpu_storage(out, out_shape))
    }

    /// `fill` of the dtype of `self`, broadcast to one row of `self` (the
    /// shape after axis 0) and made contiguous.
    fn fill_row(&self, op: &'static str, fill: &Tensor) -> Result<Tensor> {
        check_dtype(op, self.dtype(), fill)?;
        let row_shape = Shape::from(&self.dims()[1..]);
        fill.broadcast_to(&row_shape)
            .map_err(|_| {
                Error::shape_mismatch(
                    op,
                    fill.dims(),
                    row_shape.dims(),
                    format!(
                        "fill of shape {} does not broadcast to the rows of shape {row_shape}",
                        fill.shape()
                    ),
                )
            })?
            .contiguous()
    }

    /// The shared body of gather, index_select and gather_with_padding.
    fn gather_impl(
        &self,
        op: &'static str,
        indices: &Tensor,
        axis: isize,
        padded: bool,
        fill_row: Option<&Tensor>,
    ) -> Result<Tensor> {
        let axis = normalize_axis(op, axis, self.rank())?;
        #[cfg(feature = "cuda")]
        let on_device = {
            let mut all = vec![self, indices];
            all.extend(fill_row);
            crate::cuda::placement(op, &all)? != crate::Device::Cpu
        };
        #[cfg(not(feature = "cuda"))]
        let on_device = false;
        if !on_device {
            self.cpu_storage(op)?;
        }
        let dims = self.dims();
        let n = dims[axis];
        let inner: usize = dims[axis + 1..].iter().product();
        let mut out_dims = dims[..axis].to_vec();
        out_dims.extend_from_slice(indices.dims());
        out_dims.extend_from_slice(&dims[axis + 1..]);
        let out_shape = Shape::from(out_dims);
        let total = checked_len(op, &out_shape, self.dtype())?;
        let idx_dims = indices.dims().to_vec();
        #[cfg(feature = "cuda")]
        if on_device {
            return crate::cuda::gather(
                op,
                self,
                indices,
                axis,
                fill_row.filter(|_| padded),
                out_shape,
            );
        }
        let out = with_index_slice!(op, "indices", indices, idx => {
            let bad = |i: usize| {
                out_of_bounds(op, "indices", i, &idx_dims, idx[i].as_i64(), axis, n)
            };
            with_dtype!(self.dtype(), T => {
                let pad = match fill_row {
                    Some(f) => Some(contiguous_slice::<T>(f, op)?),
                    None => None,
                };
                let spec = GatherSpec { n, inner, pad: padded.then_some(pad.unwrap_or(&[])) };
                let gathered = if self.is_contiguous() {
                    gather_rows(contiguous_slice::<T>(self, op)?, idx, total, &spec)
                } else {
                    // Strided params are read where they are: copying them
                    // first could cost far more than the output.
                    gather_strided(self.host_slice::<T>(op)?, self.layout(), axis, idx, total, &spec)
                };
                gathered.map_err(|e| e.into_error(&bad)).map(T::into_storage)
            })
        })?;
        Ok(Tensor::from_cpu_storage(out, out_shape))
    }

    /// A tensor of `shape` holding `fill` everywhere except at the positions
    /// named by the rows of `indices`, which hold the matching `updates`:
    /// `tf.scatter_nd` into a filled output, what a sparse tensor's
    /// `to_dense(default_value)` is built on.
    ///
    /// Contract (every rule is checked; the inputs may be user data):
    /// - `indices` is int64 (or int32) of shape `[n, k]` with
    ///   `k <= shape.len()`; row `i` names the slice
    ///   `out[indices[i, 0], ..., indices[i, k - 1]]`, and every entry must lie
    ///   in `0..shape[j]` (negative entries are out of bounds);
    /// - `updates` has shape `[n] + shape[k..]` and the dtype of `fill`;
    /// - `fill` is a scalar (rank 0);
    /// - rows naming the same position are treated as `mode` says
    ///   ([`ScatterMode::Error`], [`ScatterMode::Last`],
    ///   [`ScatterMode::Add`]).
    ///
    /// Cost: one pass over `indices` (which also notices whether they are
    /// already sorted), an O(n log n) sort of the positions only when they
    /// are not, and one write pass over the output, on all cores when it is
    /// large. Extra memory is O(n); nothing of the dense size is allocated
    /// besides the output.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for indices of another dtype or
    /// rank, `k > shape.len()`, a non-scalar `fill`, `ScatterMode::Add` on
    /// bool, or (with `ScatterMode::Error`) a repeated position, naming the
    /// first row that repeats an earlier one (`"indices[3] = [1, 2] repeats
    /// indices[1]"`); [`Error::DTypeMismatch`] when `updates` and `fill`
    /// differ; [`Error::ShapeMismatch`] for `updates` of the wrong shape;
    /// [`Error::IndexOutOfBounds`] naming the row and entry of the first bad
    /// index (`"indices[2, 1] = 5 is out of bounds for axis 1 with size 3"`);
    /// [`Error::ShapeOverflow`] and [`Error::OutOfMemory`] for an output that
    /// cannot exist.
    ///
    /// ```
    /// use tensorbridge_core::{ScatterMode, Tensor};
    ///
    /// // tf.scatter_nd's documentation example, into a zero fill.
    /// let indices = Tensor::from([[4i64], [3], [1], [7]]);
    /// let updates = Tensor::from([9, 10, 11, 12]);
    /// let out = Tensor::scatter_nd(&indices, &updates, [8], &Tensor::scalar(0), ScatterMode::Add)?;
    /// assert_eq!(out.to_vec::<i32>()?, [0, 11, 0, 10, 9, 0, 0, 12]);
    ///
    /// // A sparse [2, 3] matrix made dense with default value -1.
    /// let indices = Tensor::from([[0i64, 1], [1, 2]]);
    /// let values = Tensor::from([5.0f32, 6.0]);
    /// let dense = Tensor::scatter_nd(&indices, &values, [2, 3], &Tensor::scalar(-1.0f32),
    ///                                ScatterMode::Error)?;
    /// assert_eq!(dense.to_vec::<f32>()?, [-1.0, 5.0, -1.0, -1.0, -1.0, 6.0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn scatter_nd(
        indices: &Tensor,
        updates: &Tensor,
        shape: impl Into<Shape>,
        fill: &Tensor,
        mode: ScatterMode,
    ) -> Result<Tensor> {
        const OP: &str = "scatter_nd";
        let shape: Shape = shape.into();
        crate::graph::record_if_symbolic!(
            crate::graph::Op::ScatterNd {
                shape: shape.clone(),
                mode
            },
            indices,
            updates,
            fill
        );
        if indices.rank() != 2 {
            return Err(Error::invalid(
                OP,
                format!(
                    "indices must have rank 2 ([n, k]: one row per update), got shape {}",
                    indices.shape()
                ),
            ));
        }
        if !matches!(indices.dtype(), DType::I32 | DType::I64) {
            return Err(index_dtype_error(OP, "indices", indices.dtype()));
        }
        let (n, k) = (indices.dims()[0], indices.dims()[1]);
        let dtype = updates.dtype();
        check_dtype(OP, dtype, fill)?;
        if fill.rank() != 0 {
            return Err(Error::invalid(
                OP,
                format!(
                    "fill must be a scalar (rank 0), got a tensor of shape {}",
                    fill.shape()
                ),
            ));
        }
        if k > shape.rank() {
            return Err(Error::invalid(
                OP,
                format!(
                    "indices of shape {} have {k} entries per row, more than the {} axes of shape {shape}",
                    indices.shape(),
                    shape.rank()
                ),
            ));
        }
        let mut expected = vec![n];
        expected.extend_from_slice(&shape.dims()[k..]);
        if updates.dims() != expected {
            return Err(Error::shape_mismatch(
                OP,
                updates.dims(),
                &expected,
                format!(
                    "updates must have shape [n] + shape[k..] = {expected:?} for indices of shape {} \
                     into shape {shape}, got {}",
                    indices.shape(),
                    updates.shape()
                ),
            ));
        }
        if mode == ScatterMode::Add && dtype == DType::Bool {
            return Err(bool_sum_error(OP));
        }
        #[cfg(feature = "cuda")]
        let device = crate::cuda::placement(OP, &[indices, updates, fill])?;
        #[cfg(not(feature = "cuda"))]
        let device = crate::Device::Cpu;
        let total = checked_len(OP, &shape, dtype)?;
        let inner: usize = shape.dims()[k..].iter().product();
        let dims = &shape.dims()[..k];
        let idx_dims = indices.dims().to_vec();
        if k == 0 && total == 0 {
            // Every row names the one (empty) slice; `n` is not bounded by
            // any buffer here, so nothing of size `n` is allocated.
            if mode == ScatterMode::Error && n >= 2 {
                return Err(Error::invalid(
                    OP,
                    "indices[1] = [] repeats indices[0]; each position may be named once \
                     (ScatterMode::Last or ScatterMode::Add combine repeats)",
                ));
            }
            // Made where the operands live, whatever the current scope.
            let _here = device.scope();
            return Tensor::zeros(shape, dtype);
        }
        #[cfg(feature = "cuda")]
        if device != crate::Device::Cpu {
            return crate::cuda::scatter_nd(indices, updates, shape, fill, mode);
        }
        let positions = with_index_slice!(OP, "indices", indices, idx => {
            scatter_positions(idx, n, dims, &idx_dims)
        })?;
        let exact = positions.exact;
        let order = positions.sorted()?;
        if mode == ScatterMode::Error && exact {
            if let Some((row, first)) = order.first_repeat() {
                let describe = |r: usize| {
                    with_index_slice!(OP, "indices", indices, idx => {
                        Ok::<_, Error>(row_text(&idx[r * k..(r + 1) * k]))
                    })
                };
                return Err(Error::invalid(
                    OP,
                    format!(
                        "indices[{row}] = {} repeats indices[{first}]; each position may be \
                         named once (ScatterMode::Last or ScatterMode::Add combine repeats)",
                        describe(row)?
                    ),
                ));
            }
        }
        let updates = updates.contiguous()?;
        let out = with_dtype!(dtype, T => {
            let fill = scalar_arg::<T>(fill, OP, "fill")?;
            let ups = contiguous_slice::<T>(&updates, OP)?;
            T::into_storage(scatter_write(&order, ups, inner, total, fill, mode == ScatterMode::Add)?)
        });
        Ok(Tensor::from_cpu_storage(out, shape))
    }

    /// Sums of the rows of `self` grouped by `segment_ids`
    /// (`tf.math.unsorted_segment_sum(data, segment_ids, num_segments)`):
    /// row `s` of the output is the sum of the rows `i` with
    /// `segment_ids[i] == s`, zero for a segment no row names.
    ///
    /// Contract: `self` has shape `[n, ...]` (rank ≥ 1); `segment_ids` is
    /// int32 or int64 of shape `[n]`, each id in `0..num_segments`; the
    /// output has shape `[num_segments] + self.shape[1..]`. Rows are added
    /// in row order whatever the thread count, so results are reproducible;
    /// f16/bf16 sum in f32 and round once; integers wrap.
    ///
    /// **On a GPU** the ids are checked by the kernel (same errors as on the
    /// CPU) and each segment is summed in an unspecified order: integers
    /// agree with the CPU bit for bit, floats within ulps.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for a scalar `self`, ids of
    /// another dtype, or bool data; [`Error::ShapeMismatch`] when
    /// `segment_ids` is not of shape `[n]`; [`Error::IndexOutOfBounds`]
    /// naming the first bad id (`"segment_ids[4] = 3 is out of bounds for
    /// axis 0 with size 3"`); [`Error::ShapeOverflow`],
    /// [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// // tf.math.unsorted_segment_sum's documentation example.
    /// let c = Tensor::from([[1, 2, 3, 4], [5, 6, 7, 8], [4, 3, 2, 1]]);
    /// let s = c.segment_sum(&Tensor::from([0i32, 1, 0]), 2)?;
    /// assert_eq!(s.to_array::<i32>()?,
    ///            ndarray::arr2(&[[5, 5, 5, 5], [5, 6, 7, 8]]).into_dyn());
    /// assert!(c.segment_sum(&Tensor::from([0i32, 2, 0]), 2).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn segment_sum(&self, segment_ids: &Tensor, num_segments: usize) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::SegmentSum(num_segments),
            self,
            segment_ids
        );
        const OP: &str = "segment_sum";
        if self.rank() == 0 {
            return Err(Error::invalid(
                OP,
                "data is a scalar; it needs an axis of rows to sum",
            ));
        }
        let n = self.dims()[0];
        if segment_ids.dims() != [n] {
            return Err(Error::shape_mismatch(
                OP,
                segment_ids.dims(),
                &[n],
                format!(
                    "segment_ids must have shape [{n}] (one id per row of data of shape {}), got {}",
                    self.shape(),
                    segment_ids.shape()
                ),
            ));
        }
        if self.dtype() == DType::Bool {
            return Err(bool_sum_error(OP));
        }
        #[cfg(feature = "cuda")]
        let on_device = crate::cuda::placement(OP, &[self, segment_ids])? != crate::Device::Cpu;
        #[cfg(not(feature = "cuda"))]
        let on_device = false;
        if !on_device {
            self.cpu_storage(OP)?;
        }
        let mut out_dims = vec![num_segments];
        out_dims.extend_from_slice(&self.dims()[1..]);
        let out_shape = Shape::from(out_dims);
        let total = checked_len(OP, &out_shape, self.dtype())?;
        let inner: usize = self.dims()[1..].iter().product();
        #[cfg(feature = "cuda")]
        if on_device {
            return crate::cuda::segment_sum(self, segment_ids, num_segments, out_shape);
        }
        let data = self.contiguous()?;
        let out = with_index_slice!(OP, "segment_ids", segment_ids, ids => {
            if let Some(i) = ids
                .iter()
                .position(|&s| !(0..num_segments as i64).contains(&s.as_i64()))
            {
                return Err(out_of_bounds(OP, "segment_ids", i, &[n], ids[i].as_i64(), 0, num_segments));
            }
            with_dtype!(data.dtype(), T => {
                let src = contiguous_slice::<T>(&data, OP)?;
                segment_sum_kernel(src, ids, num_segments, inner, total).map(T::into_storage)
            })
        })?;
        Ok(Tensor::from_cpu_storage(out, out_shape))
    }
}

/// `[1, 2]`.
fn row_text<I: IndexInt>(row: &[I]) -> String {
    let parts: Vec<String> = row.iter().map(|v| v.as_i64().to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// The axis being gathered from and what `-1` means.
struct GatherSpec<'a, T> {
    /// Size of the gathered axis.
    n: usize,
    /// Elements per slice (the product of the dims after the axis).
    inner: usize,
    /// For gather_with_padding: the row that index -1 stands for.
    pad: Option<&'a [T]>,
}

/// Why a gather stopped.
enum GatherFail {
    /// The index at this position of `indices` is out of bounds.
    BadIndex(usize),
    /// The output could not be allocated.
    Alloc(Error),
}

impl GatherFail {
    fn into_error(self, bad: &impl Fn(usize) -> Error) -> Error {
        match self {
            GatherFail::BadIndex(i) => bad(i),
            GatherFail::Alloc(e) => e,
        }
    }
}

/// `out[o, i, :] = src[o, idx[i], :]` for every outer index `o` (as many
/// as `total` elements hold), with every index
/// checked as it is read (the first bad one, in the order of `idx`, is
/// reported).
fn gather_rows<T: Element, I: IndexInt>(
    src: &[T],
    idx: &[I],
    total: usize,
    spec: &GatherSpec<'_, T>,
) -> std::result::Result<Vec<T>, GatherFail> {
    if total == 0 {
        // Nothing to copy, but the indices are still checked.
        return match idx.iter().position(|&k| !spec.accepts(k.as_i64())) {
            Some(i) => Err(GatherFail::BadIndex(i)),
            None => Ok(Vec::new()),
        };
    }
    let mut out = alloc::zeroed_vec::<T>(total).map_err(GatherFail::Alloc)?;
    #[cfg(feature = "parallel")]
    if is_large::<T>(total) {
        use rayon::prelude::*;
        let inner = spec.inner;
        let per_task = rows_per_task::<T>(inner);
        let first_bad = out
            .par_chunks_mut(per_task * inner)
            .enumerate()
            .filter_map(|(c, chunk)| gather_chunk(src, idx, spec, c * per_task, chunk))
            .min();
        // The first bad row of the output lies in the first block of
        // `idx.len()` rows, at the position of the first bad index.
        return match first_bad {
            Some(row) => Err(GatherFail::BadIndex(row % idx.len())),
            None => Ok(out),
        };
    }
    match gather_chunk(src, idx, spec, 0, &mut out) {
        Some(row) => Err(GatherFail::BadIndex(row % idx.len())),
        None => Ok(out),
    }
}

impl<T> GatherSpec<'_, T> {
    #[inline(always)]
    fn accepts(&self, k: i64) -> bool {
        (0..self.n as i64).contains(&k) || (k == -1 && self.pad.is_some())
    }
}

/// Fills `chunk` (whole output rows, starting at output row `first_row`)
/// and returns the output row of the first bad index met, if any.
#[inline]
fn gather_chunk<T: Element, I: IndexInt>(
    src: &[T],
    idx: &[I],
    spec: &GatherSpec<'_, T>,
    first_row: usize,
    chunk: &mut [T],
) -> Option<usize> {
    let (m, n, inner) = (idx.len(), spec.n, spec.inner);
    let rows = chunk.len() / inner;
    let n64 = n as i64;
    let (mut o, mut i) = (first_row / m, first_row % m);
    let mut r = 0;
    while r < rows {
        let limit = (rows - r).min(m - i);
        let k = idx[i].as_i64();
        let mut len = 1;
        let dst = r * inner;
        if (0..n64).contains(&k) {
            // A run of consecutive indices is one contiguous block of src.
            let limit = limit.min((n64 - k) as usize);
            if len < limit && idx[i + 1].as_i64() == k + 1 {
                len = 2 + run_len(&idx[i + 2..i + limit], |j, v| v == k + 2 + j as i64);
            }
            let s = (o * n + k as usize) * inner;
            if len * inner == 1 {
                chunk[dst] = src[s];
            } else {
                chunk[dst..dst + len * inner].copy_from_slice(&src[s..s + len * inner]);
            }
        } else if let (-1, Some(pad)) = (k, spec.pad) {
            len += run_len(&idx[i + 1..i + limit], |_, v| v == -1);
            let block = &mut chunk[dst..dst + len * inner];
            if inner == 1 {
                block.fill(pad[0]);
            } else {
                for row in block.chunks_exact_mut(inner) {
                    row.copy_from_slice(pad);
                }
            }
        } else {
            return Some(o * m + i);
        }
        r += len;
        i += len;
        if i == m {
            i = 0;
            o += 1;
        }
    }
    None
}

/// The output of pad_segments, splits already checked.
fn pad_segments_kernel<T: Element, I: IndexInt>(
    src: &[T],
    splits: &[I],
    width: usize,
    inner: usize,
    pad: &[T],
    total: usize,
) -> Result<Vec<T>> {
    let mut out = alloc::zeroed_vec::<T>(total)?;
    if total == 0 {
        return Ok(out);
    }
    // A zero fill is already there: padding costs no writes at all.
    let pad_needed = !pad.iter().all(|&v| is_zero_bits(v));
    let row_len = width * inner;
    let fill = |first: usize, chunk: &mut [T]| {
        for (r, row) in chunk.chunks_exact_mut(row_len).enumerate() {
            let start = splits[first + r].as_i64() as usize;
            let end = splits[first + r + 1].as_i64() as usize;
            let len = (end - start).min(width) * inner;
            row[..len].copy_from_slice(&src[start * inner..start * inner + len]);
            if pad_needed {
                if inner == 1 {
                    row[len..].fill(pad[0]);
                } else {
                    for p in row[len..].chunks_exact_mut(inner) {
                        p.copy_from_slice(pad);
                    }
                }
            }
        }
    };
    #[cfg(feature = "parallel")]
    if is_large::<T>(total) {
        use rayon::prelude::*;
        let per_task = rows_per_task::<T>(row_len);
        out.par_chunks_mut(per_task * row_len)
            .enumerate()
            .for_each(|(c, chunk)| fill(c * per_task, chunk));
        return Ok(out);
    }
    fill(0, &mut out);
    Ok(out)
}

/// How many leading elements `v` (at offset `j`) of `idx` satisfy
/// `is_next(j, v)`. Checks blocks of 16 with a branch-free loop that
/// vectorises, then finishes one element at a time.
#[inline]
fn run_len<I: IndexInt>(idx: &[I], is_next: impl Fn(usize, i64) -> bool) -> usize {
    const BLOCK: usize = 16;
    let mut len = 0;
    for block in idx.chunks(BLOCK) {
        let all = block
            .iter()
            .enumerate()
            .fold(true, |all, (j, &v)| all & is_next(len + j, v.as_i64()));
        if !all {
            return len
                + block
                    .iter()
                    .enumerate()
                    .take_while(|&(j, &v)| is_next(len + j, v.as_i64()))
                    .count();
        }
        len += block.len();
    }
    len
}

/// `gather_rows` for params of any layout: each element is read through
/// the strides (whole runs with `copy_from_slice` where the slices after
/// the axis are contiguous).
fn gather_strided<T: Element, I: IndexInt>(
    data: &[T],
    layout: &Layout,
    axis: usize,
    idx: &[I],
    total: usize,
    spec: &GatherSpec<'_, T>,
) -> std::result::Result<Vec<T>, GatherFail> {
    if let Some(i) = idx.iter().position(|&k| !spec.accepts(k.as_i64())) {
        return Err(GatherFail::BadIndex(i));
    }
    let mut out = alloc::zeroed_vec::<T>(total).map_err(GatherFail::Alloc)?;
    if total == 0 {
        return Ok(out);
    }
    let (dims, strides) = (layout.dims(), layout.strides());
    let walk = InnerWalk::new(&dims[axis + 1..], &strides[axis + 1..]);
    let (outer_dims, outer_strides) = (&dims[..axis], &strides[..axis]);
    let (m, inner, axis_stride) = (idx.len(), spec.inner, strides[axis]);
    let base = layout.offset() as isize;
    let fill = |first_row: usize, chunk: &mut [T]| {
        let mut o = usize::MAX;
        let mut outer_pos = 0isize;
        for (r, dst) in chunk.chunks_exact_mut(inner).enumerate() {
            let row = first_row + r;
            if row / m != o {
                o = row / m;
                let mut rest = o;
                outer_pos = base;
                for (&d, &s) in outer_dims.iter().zip(outer_strides).rev() {
                    outer_pos += (rest % d) as isize * s;
                    rest /= d;
                }
            }
            let k = idx[row % m].as_i64();
            match spec.pad {
                Some(pad) if k == -1 => dst.copy_from_slice(pad),
                _ => walk.copy(data, outer_pos + k as isize * axis_stride, dst),
            }
        }
    };
    #[cfg(feature = "parallel")]
    if is_large::<T>(total) {
        use rayon::prelude::*;
        let per_task = rows_per_task::<T>(inner);
        out.par_chunks_mut(per_task * inner)
            .enumerate()
            .for_each(|(c, chunk)| fill(c * per_task, chunk));
        return Ok(out);
    }
    fill(0, &mut out);
    Ok(out)
}

/// The elements of one slice of a strided tensor, relative to its first:
/// its axes with size-1 ones dropped and mergeable neighbours merged.
struct InnerWalk {
    dims: Vec<usize>,
    strides: Vec<isize>,
}

impl InnerWalk {
    fn new(dims: &[usize], strides: &[isize]) -> InnerWalk {
        let mut walk = InnerWalk {
            dims: Vec::new(),
            strides: Vec::new(),
        };
        for (&d, &s) in dims.iter().zip(strides) {
            if d == 1 {
                continue;
            }
            match (walk.dims.last_mut(), walk.strides.last_mut()) {
                (Some(ld), Some(ls)) if *ls == s * d as isize => {
                    *ld *= d;
                    *ls = s;
                }
                _ => {
                    walk.dims.push(d);
                    walk.strides.push(s);
                }
            }
        }
        walk
    }

    /// Copies the slice starting at buffer position `start` into `out`.
    fn copy<T: Copy>(&self, data: &[T], start: isize, out: &mut [T]) {
        let Some((&len, outer_dims)) = self.dims.split_last() else {
            out[0] = data[start as usize];
            return;
        };
        let stride = self.strides[self.dims.len() - 1];
        let outer_strides = &self.strides[..outer_dims.len()];
        let mut index = vec![0usize; outer_dims.len()];
        let mut pos = start;
        for run in out.chunks_exact_mut(len) {
            if stride == 1 {
                run.copy_from_slice(&data[pos as usize..pos as usize + len]);
            } else {
                for (j, o) in run.iter_mut().enumerate() {
                    *o = data[(pos + j as isize * stride) as usize];
                }
            }
            for a in (0..index.len()).rev() {
                index[a] += 1;
                pos += outer_strides[a];
                if index[a] < outer_dims[a] {
                    break;
                }
                pos -= outer_strides[a] * index[a] as isize;
                index[a] = 0;
            }
        }
    }
}

/// The linear slice position of every row of scatter_nd's indices, and
/// whether they came sorted.
struct Positions {
    /// `pos[i]`: the slice row `i` names, in C order over `shape[..k]`.
    pos: Vec<usize>,
    /// Whether `pos` never decreases.
    sorted: bool,
    /// Whether `pos` tells positions apart; only an empty output over more
    /// slice positions than `usize` counts has all of them 0 instead.
    exact: bool,
}

/// The rows of scatter_nd's indices in position order.
struct Order {
    /// Positions in increasing order (equal ones adjacent, in row order).
    pos: Vec<usize>,
    /// The row of each entry of `pos`; `None` when it is the identity.
    rows: Option<Vec<usize>>,
}

impl Positions {
    /// The rows in position order: free when they already are, a sort of
    /// (position, row) pairs otherwise (so equal positions keep row order).
    fn sorted(self) -> Result<Order> {
        if self.sorted {
            return Ok(Order {
                pos: self.pos,
                rows: None,
            });
        }
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        pairs
            .try_reserve_exact(self.pos.len())
            .map_err(|_| Error::OutOfMemory {
                requested_bytes: self.pos.len().saturating_mul(16),
                available_bytes: alloc::physical_memory(),
            })?;
        pairs.extend(self.pos.into_iter().enumerate().map(|(r, p)| (p, r)));
        #[cfg(feature = "parallel")]
        if pairs.len() >= 1 << 16 {
            use rayon::prelude::*;
            pairs.par_sort_unstable();
        } else {
            pairs.sort_unstable();
        }
        #[cfg(not(feature = "parallel"))]
        pairs.sort_unstable();
        let (pos, rows) = pairs.into_iter().unzip();
        Ok(Order {
            pos,
            rows: Some(rows),
        })
    }
}

impl Order {
    #[inline(always)]
    fn row(&self, k: usize) -> usize {
        match &self.rows {
            Some(rows) => rows[k],
            None => k,
        }
    }

    /// The first row (in row order) that names a position an earlier row
    /// named, and that earlier row's index (the first to name it).
    fn first_repeat(&self) -> Option<(usize, usize)> {
        let mut best: Option<(usize, usize)> = None;
        let mut k = 1;
        while k < self.pos.len() {
            if self.pos[k] == self.pos[k - 1] {
                // Rows of equal positions are in row order: the group's
                // first row is the original, its second the first repeat.
                let (first, repeat) = (self.row(k - 1), self.row(k));
                if best.is_none_or(|(r, _)| repeat < r) {
                    best = Some((repeat, first));
                }
                if self.rows.is_none() {
                    // Sorted input: groups come in row order too.
                    return best;
                }
                while k < self.pos.len() && self.pos[k] == self.pos[k - 1] {
                    k += 1;
                }
            }
            k += 1;
        }
        best
    }
}

/// Checks every row of `idx` (`[n, k]` in C order) against `dims` and
/// computes its slice position.
fn scatter_positions<I: IndexInt>(
    idx: &[I],
    n: usize,
    dims: &[usize],
    idx_dims: &[usize],
) -> Result<Positions> {
    const OP: &str = "scatter_nd";
    let k = dims.len();
    // Slice strides in C order over dims. Their product fits in usize
    // whenever the output has elements; when it does not (an empty output),
    // positions are all left 0 and only the bounds are checked.
    let mut strides = vec![0usize; k];
    let exact = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .is_some();
    if exact {
        let mut acc = 1usize;
        for (s, &d) in strides.iter_mut().zip(dims).rev() {
            *s = acc;
            acc *= d;
        }
    }
    let check_rows = |first: usize, pos: &mut [usize]| -> std::result::Result<bool, usize> {
        let mut sorted = true;
        let mut prev = 0usize;
        for (r, p) in pos.iter_mut().enumerate() {
            let row = &idx[(first + r) * k..(first + r + 1) * k];
            let mut linear = 0usize;
            for (j, (&v, (&d, &s))) in row.iter().zip(dims.iter().zip(&strides)).enumerate() {
                let v = v.as_i64();
                if !(0..d as i64).contains(&v) {
                    return Err((first + r) * k + j);
                }
                linear += v as usize * s;
            }
            sorted &= r == 0 || linear >= prev;
            prev = linear;
            *p = linear;
        }
        Ok(sorted)
    };
    let bad = |flat: usize| {
        out_of_bounds(
            OP,
            "indices",
            flat,
            idx_dims,
            idx[flat].as_i64(),
            flat % k.max(1),
            dims[flat % k.max(1)],
        )
    };
    let mut pos = vec![0usize; n];
    #[cfg(feature = "parallel")]
    if n >= 1 << 16 {
        use rayon::prelude::*;
        const ROWS: usize = 1 << 14;
        let results: Vec<std::result::Result<bool, usize>> = pos
            .par_chunks_mut(ROWS)
            .enumerate()
            .map(|(c, chunk)| check_rows(c * ROWS, chunk))
            .collect();
        let mut sorted = true;
        for (c, r) in results.into_iter().enumerate() {
            match r {
                Err(flat) => return Err(bad(flat)),
                Ok(s) => sorted &= s && (c == 0 || pos[c * ROWS] >= pos[c * ROWS - 1]),
            }
        }
        return Ok(Positions { pos, sorted, exact });
    }
    match check_rows(0, &mut pos) {
        Err(flat) => Err(bad(flat)),
        Ok(sorted) => Ok(Positions { pos, sorted, exact }),
    }
}

/// The output of scatter_nd: `fill` everywhere, then each position's rows
/// (the last one, or their sum onto `fill`).
fn scatter_write<T: SumElem>(
    order: &Order,
    updates: &[T],
    inner: usize,
    total: usize,
    fill: T,
    add: bool,
) -> Result<Vec<T>> {
    let mut out = alloc::zeroed_vec::<T>(total)?;
    if total == 0 {
        return Ok(out);
    }
    let fill_needed = !is_zero_bits(fill);
    let write = |p0: usize, chunk: &mut [T]| {
        if fill_needed {
            chunk.fill(fill);
        }
        let p1 = p0 + chunk.len() / inner;
        let pos = &order.pos;
        let mut k = pos.partition_point(|&p| p < p0);
        let mut acc: Vec<T::Acc> = Vec::new();
        while k < pos.len() && pos[k] < p1 {
            let p = pos[k];
            let mut end = k + 1;
            while end < pos.len() && pos[end] == p {
                end += 1;
            }
            let dst = (p - p0) * inner;
            if !add {
                let s = order.row(end - 1) * inner;
                if inner == 1 {
                    chunk[dst] = updates[s];
                } else {
                    chunk[dst..dst + inner].copy_from_slice(&updates[s..s + inner]);
                }
            } else if inner == 1 {
                let mut a = fill.to_acc();
                for kk in k..end {
                    a = T::acc_add(a, updates[order.row(kk)].to_acc());
                }
                chunk[dst] = T::from_acc(a);
            } else {
                acc.clear();
                acc.resize(inner, fill.to_acc());
                for kk in k..end {
                    let s = order.row(kk) * inner;
                    for (a, &u) in acc.iter_mut().zip(&updates[s..s + inner]) {
                        *a = T::acc_add(*a, u.to_acc());
                    }
                }
                for (o, &a) in chunk[dst..dst + inner].iter_mut().zip(&acc) {
                    *o = T::from_acc(a);
                }
            }
            k = end;
        }
    };
    #[cfg(feature = "parallel")]
    if is_large::<T>(total) {
        use rayon::prelude::*;
        let per_task = rows_per_task::<T>(inner);
        out.par_chunks_mut(per_task * inner)
            .enumerate()
            .for_each(|(c, chunk)| write(c * per_task, chunk));
        return Ok(out);
    }
    write(0, &mut out);
    Ok(out)
}

/// The sums of segment_sum, ids already checked.
fn segment_sum_kernel<T: SumElem, I: IndexInt>(
    src: &[T],
    ids: &[I],
    num_segments: usize,
    inner: usize,
    total: usize,
) -> Result<Vec<T>> {
    debug_assert_eq!(total, num_segments * inner);
    let mut acc = alloc::zeroed_vec::<T::Acc>(total)?;
    if total == 0 {
        return Ok(Vec::new());
    }
    let add_row = |dst: &mut [T::Acc], r: usize| {
        for (a, &x) in dst.iter_mut().zip(&src[r * inner..(r + 1) * inner]) {
            *a = T::acc_add(*a, x.to_acc());
        }
    };
    #[cfg(feature = "parallel")]
    if num_segments > 1 && (is_large::<T>(total) || is_large::<T>(src.len())) {
        use rayon::prelude::*;
        // Rows grouped by segment with a counting sort that keeps row
        // order, so each segment adds its rows in the order the
        // single-threaded loop does.
        let mut starts = vec![0usize; num_segments + 1];
        for &s in ids {
            starts[s.as_i64() as usize + 1] += 1;
        }
        for s in 0..num_segments {
            starts[s + 1] += starts[s];
        }
        let mut next = starts.clone();
        let mut rows = vec![0usize; ids.len()];
        for (r, &s) in ids.iter().enumerate() {
            let s = s.as_i64() as usize;
            rows[next[s]] = r;
            next[s] += 1;
        }
        let per_task = rows_per_task::<T::Acc>(inner);
        acc.par_chunks_mut(per_task * inner)
            .enumerate()
            .for_each(|(c, chunk)| {
                for (j, dst) in chunk.chunks_exact_mut(inner).enumerate() {
                    let s = c * per_task + j;
                    for &r in &rows[starts[s]..starts[s + 1]] {
                        add_row(dst, r);
                    }
                }
            });
        return from_acc_vec::<T>(acc);
    }
    for (r, &s) in ids.iter().enumerate() {
        let s = s.as_i64() as usize;
        add_row(&mut acc[s * inner..(s + 1) * inner], r);
    }
    from_acc_vec::<T>(acc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SliceArg;

    #[test]
    fn location_formats_positions() {
        assert_eq!(location("indices", 0, &[]), "indices");
        assert_eq!(location("indices", 3, &[5]), "indices[3]");
        assert_eq!(location("indices", 5, &[2, 3]), "indices[1, 2]");
    }

    #[test]
    fn zero_bits_keeps_negative_zero() {
        assert!(is_zero_bits(0.0f32));
        assert!(!is_zero_bits(-0.0f32));
        assert!(!is_zero_bits(f16::NEG_ZERO));
        assert!(is_zero_bits(false) && !is_zero_bits(true));
        assert!(!is_zero_bits(Complex::new(0.0f64, -0.0)));
        assert_eq!(
            filled(3, -0.0f32).unwrap()[1].to_bits(),
            (-0.0f32).to_bits()
        );
    }

    #[test]
    fn half_sums_round_once() {
        // 2048 + 1 + 1 in f16 step by step stays 2048 (spacing 2); in f32 it is 2050.
        let data = Tensor::from([f16::from_f32(2048.0), f16::ONE, f16::ONE]);
        let s = data.segment_sum(&Tensor::from([0i64, 0, 0]), 1).unwrap();
        assert_eq!(s.to_vec::<f16>().unwrap(), [f16::from_f32(2050.0)]);
        let s = Tensor::scatter_nd(
            &Tensor::from([[0i64], [0]]),
            &Tensor::from([f16::ONE, f16::ONE]),
            [1],
            &Tensor::scalar(f16::from_f32(2048.0)),
            ScatterMode::Add,
        )
        .unwrap();
        assert_eq!(s.to_vec::<f16>().unwrap(), [f16::from_f32(2050.0)]);
    }

    #[test]
    fn first_repeat_in_row_order() {
        // Unsorted: row 3 repeats row 1 and row 4 repeats row 0; row 3 comes first.
        let positions = Positions {
            pos: vec![5, 2, 9, 2, 5],
            sorted: false,
            exact: true,
        };
        assert_eq!(positions.sorted().unwrap().first_repeat(), Some((3, 1)));
        let positions = Positions {
            pos: vec![1, 3, 3, 3, 7],
            sorted: true,
            exact: true,
        };
        assert_eq!(positions.sorted().unwrap().first_repeat(), Some((2, 1)));
        let positions = Positions {
            pos: vec![1, 2],
            sorted: true,
            exact: true,
        };
        assert_eq!(positions.sorted().unwrap().first_repeat(), None);
    }

    /// Several parallel tasks of 4 MiB each: outputs of 8-byte elements
    /// this long span at least three.
    const LARGE: usize = 3 << 19;

    #[test]
    fn large_gathers_span_several_tasks() {
        let n = LARGE;
        let params = Tensor::arange(0i64, n as i64, 1).unwrap();
        let idx: Vec<i64> = (0..n as i64).map(|i| (i * 7919) % n as i64).collect();
        let g = params.gather(&Tensor::from(idx.clone()), 0).unwrap();
        assert_eq!(g.to_vec::<i64>().unwrap(), idx);
        // The first bad index is reported, whichever task meets it first.
        let mut bad = idx.clone();
        bad[n - 3] = -5;
        bad[n / 2] = n as i64;
        let e = params.gather(&Tensor::from(bad), 0).unwrap_err();
        let want = format!("indices[{}] = {n} is out of bounds", n / 2);
        assert!(e.to_string().contains(&want), "{e}");

        // The same through the strided path: params reversed.
        let rev = params.slice([SliceArg::range(None, None, -1)]).unwrap();
        let g = rev.gather(&Tensor::from(idx.clone()), 0).unwrap();
        let got = g.to_vec::<i64>().unwrap();
        assert!(got.iter().zip(&idx).all(|(&g, &i)| g == n as i64 - 1 - i));

        // Rows of 3 with runs and padding: tasks start inside runs.
        let rows = Tensor::arange(0i64, 3 * 1000, 1)
            .unwrap()
            .reshape([1000, 3])
            .unwrap();
        let pidx: Vec<i64> = (0..(LARGE / 3) as i64)
            .map(|i| if i % 7 >= 5 { -1 } else { i % 1000 })
            .collect();
        let p = rows
            .gather_with_padding(&Tensor::from(pidx.clone()), &Tensor::from([7i64, 8, 9]))
            .unwrap();
        let got = p.to_vec::<i64>().unwrap();
        for (r, &i) in pidx.iter().enumerate() {
            let want = if i < 0 {
                [7, 8, 9]
            } else {
                [3 * i, 3 * i + 1, 3 * i + 2]
            };
            assert_eq!(got[3 * r..3 * r + 3], want, "row {r}");
        }
        // Transposed rows (strided path) with padding.
        let cols = rows.t().unwrap().contiguous().unwrap().t().unwrap();
        let p2 = cols
            .gather_with_padding(&Tensor::from(pidx), &Tensor::from([7i64, 8, 9]))
            .unwrap();
        assert_eq!(p2.to_vec::<i64>().unwrap(), got);
    }

    #[test]
    fn large_pad_segments_span_several_tasks() {
        // Rows of 0..=9 values padded to 8 (longer ones cut), f64, non-zero fill.
        let lens: Vec<usize> = (0..LARGE / 8).map(|r| (r * 7) % 10).collect();
        let mut splits = vec![0i64];
        for &l in &lens {
            splits.push(splits.last().unwrap() + l as i64);
        }
        let n = *splits.last().unwrap() as usize;
        let values = Tensor::arange(0.0f64, n as f64, 1.0).unwrap();
        let out = values
            .pad_segments(&Tensor::from(splits.clone()), 8, &Tensor::scalar(-1.0f64))
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        for (r, &l) in lens.iter().enumerate() {
            for j in 0..8 {
                let want = if j < l {
                    (splits[r] + j as i64) as f64
                } else {
                    -1.0
                };
                assert_eq!(out[r * 8 + j], want, "row {r}, column {j}");
            }
        }
    }

    #[test]
    fn large_scatters_span_several_tasks() {
        let m = LARGE;
        for (stride, mode) in [(31i64, ScatterMode::Error), (1, ScatterMode::Last)] {
            // Unsorted (a permutation) and sorted positions, non-zero fill.
            let sidx: Vec<i64> = (0..m as i64).map(|i| (i * stride) % (m as i64)).collect();
            let ups: Vec<f64> = (0..m).map(|i| i as f64).collect();
            let out = Tensor::scatter_nd(
                &Tensor::from_vec(sidx.clone(), [m, 1]).unwrap(),
                &Tensor::from(ups),
                [m + 5],
                &Tensor::scalar(-1.0f64),
                mode,
            )
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
            for (r, &p) in sidx.iter().enumerate() {
                assert_eq!(out[p as usize], r as f64);
            }
            assert_eq!(out[m..], [-1.0; 5]);
        }
        // Repeats across task boundaries: sums, and the last one wins.
        let sidx: Vec<i64> = (0..m as i64).map(|i| i / 2 * 2).collect();
        let idx = Tensor::from_vec(sidx, [m, 1]).unwrap();
        let ups = Tensor::from((0..m as i64).collect::<Vec<_>>());
        let fill = Tensor::scalar(100i64);
        let sum = Tensor::scatter_nd(&idx, &ups, [m], &fill, ScatterMode::Add).unwrap();
        let last = Tensor::scatter_nd(&idx, &ups, [m], &fill, ScatterMode::Last).unwrap();
        let (sum, last) = (sum.to_vec::<i64>().unwrap(), last.to_vec::<i64>().unwrap());
        for p in 0..m {
            let p64 = p as i64;
            let (s, l) = if p % 2 == 0 {
                (100 + 2 * p64 + 1, p64 + 1)
            } else {
                (100, 100)
            };
            assert_eq!((sum[p], last[p]), (s, l), "position {p}");
        }
    }

    #[test]
    fn large_segment_sums_span_several_tasks() {
        let rows = 2 * LARGE;
        let data = Tensor::arange(0i64, rows as i64, 1).unwrap();
        let ids: Vec<i32> = (0..rows).map(|i| ((i * 7) % LARGE) as i32).collect();
        let s = data
            .segment_sum(&Tensor::from(ids.clone()), LARGE)
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        let mut want = vec![0i64; LARGE];
        for (r, &id) in ids.iter().enumerate() {
            want[id as usize] += r as i64;
        }
        assert_eq!(s, want);
    }

    #[test]
    fn strided_params_and_indices() {
        let t = Tensor::arange(0i32, 12, 1)
            .unwrap()
            .reshape([3, 4])
            .unwrap()
            .t()
            .unwrap(); // [4, 3]
        let idx = Tensor::from([3i64, 9, 1, 9, 0])
            .slice([SliceArg::range(None, None, -2)])
            .unwrap(); // [0, 1, 3]
        let g = t.gather(&idx, 0).unwrap();
        assert_eq!(g.to_vec::<i32>().unwrap(), [0, 4, 8, 1, 5, 9, 3, 7, 11]);
    }
}
