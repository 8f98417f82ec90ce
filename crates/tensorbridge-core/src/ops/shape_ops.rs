//! Shape operations: [`Tensor::concat`], [`Tensor::stack`], [`Tensor::split`],
//! [`Tensor::split_even`], [`Tensor::pad`], [`Tensor::tile`] and
//! [`Tensor::one_hot`], with TensorFlow's semantics.
//!
//! `split` returns views (no copy); the others write a fresh C-order tensor,
//! row by row with `copy_from_slice`, on all cores when the output is large.
//! Every output size is checked before it is allocated.

use crate::element::{Element, private::Sealed};
use crate::layout::normalize_axis;
use crate::ops::index::{
    IndexInt, check_dtype, checked_len, contiguous_slice, filled, scalar_arg, with_index_slice,
};
use crate::{DType, Error, Result, Shape, SliceArg, Tensor, alloc, dtype::with_dtype};

#[cfg(feature = "parallel")]
use crate::ops::index::{is_large, rows_per_task};

/// Runs `f(first output row, chunk of whole rows)` over `out`, whose rows
/// hold `row_len` elements each: on all cores when `out` is large.
fn for_each_row_chunk<T: Element>(
    out: &mut [T],
    row_len: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    if out.is_empty() || row_len == 0 {
        return;
    }
    #[cfg(feature = "parallel")]
    if is_large::<T>(out.len()) {
        use rayon::prelude::*;
        let per_task = rows_per_task::<T>(row_len);
        out.par_chunks_mut(per_task * row_len)
            .enumerate()
            .for_each(|(c, chunk)| f(c * per_task, chunk));
        return;
    }
    f(0, out);
}

/// The output of concatenation: row `o` of the output is row `o` of every
/// part in turn, part `t` contributing `part_lens[t]` elements per row.
fn concat_rows<T: Element>(parts: &[&[T]], part_lens: &[usize], total: usize) -> Result<Vec<T>> {
    let row: usize = part_lens.iter().sum();
    let mut out = alloc::zeroed_vec::<T>(total)?;
    if total == 0 {
        return Ok(out);
    }
    // Chunks of whole output rows when rows are short, else chunks of a
    // row: any start position works, so the work splits evenly.
    let fill = |start: usize, chunk: &mut [T]| {
        let (mut o, mut within) = (start / row, start % row);
        let mut t = 0;
        while within >= part_lens[t] {
            within -= part_lens[t];
            t += 1;
        }
        let mut done = 0;
        while done < chunk.len() {
            let len = part_lens[t];
            let take = (len - within).min(chunk.len() - done);
            let s = o * len + within;
            chunk[done..done + take].copy_from_slice(&parts[t][s..s + take]);
            done += take;
            within += take;
            // On to the next non-empty piece.
            while within == part_lens[t] {
                within = 0;
                t += 1;
                if t == parts.len() {
                    t = 0;
                    o += 1;
                }
                if done == chunk.len() {
                    break;
                }
            }
        }
    };
    for_each_row_chunk(&mut out, 1, |start, chunk| fill(start, chunk));
    Ok(out)
}

/// Checks the tensors given to concat/stack: at least one, all of the
/// first one's dtype, all on the host.
fn check_parts(op: &'static str, tensors: &[&Tensor]) -> Result<DType> {
    let Some(first) = tensors.first() else {
        return Err(Error::invalid(
            op,
            "the list of tensors is empty; it needs at least one",
        ));
    };
    for t in tensors {
        check_dtype(op, first.dtype(), t)?;
    }
    #[cfg(feature = "cuda")]
    if crate::cuda::placement(op, tensors)? != crate::Device::Cpu {
        return Ok(first.dtype());
    }
    for t in tensors {
        t.cpu_storage(op)?;
    }
    Ok(first.dtype())
}

/// The contiguous version of each tensor, and each one's elements.
fn concat_parts(
    op: &'static str,
    tensors: &[&Tensor],
    part_len: impl Fn(&Tensor) -> usize,
    out_shape: Shape,
    dtype: DType,
) -> Result<Tensor> {
    let total = checked_len(op, &out_shape, dtype)?;
    let contiguous = tensors
        .iter()
        .map(|t| t.contiguous())
        .collect::<Result<Vec<_>>>()?;
    let lens: Vec<usize> = tensors.iter().map(|t| part_len(t)).collect();
    #[cfg(feature = "cuda")]
    if first_on_device(tensors) {
        return crate::cuda::concat_rows(op, &contiguous, &lens, out_shape, dtype);
    }
    let out = with_dtype!(dtype, T => {
        let parts = contiguous
            .iter()
            .map(|t| contiguous_slice::<T>(t, op))
            .collect::<Result<Vec<_>>>()?;
        T::into_storage(concat_rows(&parts, &lens, total)?)
    });
    Ok(Tensor::from_cpu_storage(out, out_shape))
}

/// Whether the (same-device, already checked) parts live on a GPU.
#[cfg(feature = "cuda")]
fn first_on_device(tensors: &[&Tensor]) -> bool {
    tensors.first().is_some_and(|t| t.cuda_storage().is_some())
}

impl Tensor {
    /// The tensors joined along an existing `axis` (`tf.concat(values,
    /// axis)`): all have the same dtype and rank and equal dims except along
    /// `axis`; negative axes count from the end.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for an empty list, scalars
    /// (use [`Tensor::stack`]) or an axis out of range;
    /// [`Error::DTypeMismatch`] when a tensor's dtype differs from the
    /// first's; [`Error::ShapeMismatch`] naming the first tensor whose rank
    /// or dims do not fit (`"tensors[2] has shape [2, 4] but tensors[0] has
    /// shape [2, 3]: ..."`); [`Error::ShapeOverflow`],
    /// [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// // The tf.concat documentation's examples.
    /// let t1 = Tensor::from([[1, 2, 3], [4, 5, 6]]);
    /// let t2 = Tensor::from([[7, 8, 9], [10, 11, 12]]);
    /// let c = Tensor::concat(&[&t1, &t2], 0)?;
    /// assert_eq!(c.dims(), [4, 3]);
    /// let c = Tensor::concat(&[&t1, &t2], -1)?;
    /// assert_eq!(c.to_vec::<i32>()?, [1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12]);
    /// assert!(Tensor::concat(&[&t1, &Tensor::from([1, 2])], 0).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn concat(tensors: &[&Tensor], axis: isize) -> Result<Tensor> {
        if crate::graph::any_symbolic(tensors) {
            return crate::graph::record(crate::graph::Op::Concat(axis), tensors);
        }
        const OP: &str = "concat";
        let dtype = check_parts(OP, tensors)?;
        let first = tensors[0];
        if first.rank() == 0 {
            return Err(Error::invalid(
                OP,
                "cannot concatenate scalars (rank 0); use Tensor::stack to make a new axis",
            ));
        }
        let axis = normalize_axis(OP, axis, first.rank())?;
        let mut axis_len = 0usize;
        for (i, t) in tensors.iter().enumerate() {
            let fits = t.rank() == first.rank()
                && t.dims()
                    .iter()
                    .zip(first.dims())
                    .enumerate()
                    .all(|(a, (x, y))| a == axis || x == y);
            if !fits {
                return Err(Error::shape_mismatch(
                    OP,
                    first.dims(),
                    t.dims(),
                    format!(
                        "tensors[{i}] has shape {} but tensors[0] has shape {}: concatenating \
                         along axis {axis} needs the same rank and equal dims on every other axis",
                        t.shape(),
                        first.shape()
                    ),
                ));
            }
            axis_len =
                axis_len
                    .checked_add(t.dims()[axis])
                    .ok_or_else(|| Error::ShapeOverflow {
                        op: OP,
                        dims: t.dims().to_vec(),
                        dtype,
                        what: "the total size along the axis does not fit in usize",
                    })?;
        }
        let mut out_dims = first.dims().to_vec();
        out_dims[axis] = axis_len;
        let inner: usize = first.dims()[axis + 1..].iter().product();
        concat_parts(
            OP,
            tensors,
            |t| t.dims()[axis] * inner,
            Shape::from(out_dims),
            dtype,
        )
    }

    /// The tensors joined along a new `axis` (`tf.stack(values, axis)`):
    /// all have the same dtype and shape, and the result has one more axis,
    /// of length `tensors.len()`, at `axis` (`-(rank + 1) <= axis <= rank`;
    /// `-1` appends).
    ///
    /// **Errors**: [`Error::InvalidArgument`] for an empty list or an axis
    /// out of range; [`Error::DTypeMismatch`]; [`Error::ShapeMismatch`]
    /// naming the first tensor whose shape differs; [`Error::ShapeOverflow`],
    /// [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// // The tf.stack documentation's example.
    /// let (x, y, z) = (Tensor::from([1, 4]), Tensor::from([2, 5]), Tensor::from([3, 6]));
    /// let s = Tensor::stack(&[&x, &y, &z], 0)?;
    /// assert_eq!(s.to_vec::<i32>()?, [1, 4, 2, 5, 3, 6]);
    /// let s = Tensor::stack(&[&x, &y, &z], 1)?;
    /// assert_eq!((s.dims(), s.to_vec::<i32>()?), (&[2, 3][..], vec![1, 2, 3, 4, 5, 6]));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn stack(tensors: &[&Tensor], axis: isize) -> Result<Tensor> {
        if crate::graph::any_symbolic(tensors) {
            return crate::graph::record(crate::graph::Op::Stack(axis), tensors);
        }
        const OP: &str = "stack";
        let dtype = check_parts(OP, tensors)?;
        let first = tensors[0];
        let rank = first.rank();
        let axis = normalize_axis(OP, axis, rank + 1).map_err(|_| {
            Error::invalid(
                OP,
                format!(
                    "axis {axis} is out of range for stacking tensors of rank {rank} (valid: {} \
                     to {rank})",
                    -(rank as i128) - 1
                ),
            )
        })?;
        for (i, t) in tensors.iter().enumerate() {
            if t.dims() != first.dims() {
                return Err(Error::shape_mismatch(
                    OP,
                    first.dims(),
                    t.dims(),
                    format!(
                        "tensors[{i}] has shape {} but tensors[0] has shape {}; stacked tensors \
                         must have equal shapes",
                        t.shape(),
                        first.shape()
                    ),
                ));
            }
        }
        let mut out_dims = first.dims().to_vec();
        out_dims.insert(axis, tensors.len());
        let inner: usize = first.dims()[axis..].iter().product();
        concat_parts(OP, tensors, |_| inner, Shape::from(out_dims), dtype)
    }

    /// Views of consecutive pieces of `self` along `axis`, of the given
    /// sizes (`tf.split(value, [sizes], axis)`). No element is copied: each
    /// piece shares the buffer of `self`.
    ///
    /// **Errors**: [`Error::InvalidArgument`] when the sizes do not add up
    /// to the dim of `axis`, or the axis is out of range.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::arange(0i32, 10, 1)?;
    /// let parts = t.split(&[3, 0, 7], 0)?;
    /// assert_eq!(parts[0].to_vec::<i32>()?, [0, 1, 2]);
    /// assert_eq!(parts[1].dims(), [0]);
    /// assert!(parts[2].shares_buffer_with(&t));
    /// assert!(t.split(&[3, 3], 0).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn split(&self, sizes: &[usize], axis: isize) -> Result<Vec<Tensor>> {
        if self.is_symbolic() {
            return (0..sizes.len())
                .map(|index| {
                    crate::graph::record(
                        crate::graph::Op::SplitPart {
                            sizes: sizes.to_vec(),
                            axis,
                            index,
                        },
                        &[self],
                    )
                })
                .collect();
        }
        const OP: &str = "split";
        let axis = normalize_axis(OP, axis, self.rank())?;
        let dim = self.dims()[axis];
        let sum = sizes.iter().try_fold(0usize, |a, &s| a.checked_add(s));
        if sum != Some(dim) {
            return Err(Error::invalid(
                OP,
                format!(
                    "sizes {sizes:?} add up to {}, but axis {axis} of shape {} has size {dim}",
                    sum.map_or_else(|| "more than usize holds".to_owned(), |s| s.to_string()),
                    self.shape()
                ),
            ));
        }
        self.split_views(OP, sizes.iter().copied(), axis)
    }

    /// `num` equal views of `self` along `axis` (`tf.split(value, num,
    /// axis)`); no element is copied.
    ///
    /// **Errors**: [`Error::InvalidArgument`] when `num` is 0 or does not
    /// divide the dim of `axis`, or the axis is out of range.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::arange(0i32, 12, 1)?.reshape([2, 6])?;
    /// let parts = t.split_even(3, 1)?;
    /// assert_eq!(parts.len(), 3);
    /// assert_eq!(parts[1].to_vec::<i32>()?, [2, 3, 8, 9]);
    /// assert!(t.split_even(4, 1).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn split_even(&self, num: usize, axis: isize) -> Result<Vec<Tensor>> {
        if self.is_symbolic() {
            // num = 0 still records (and fails to build) one piece.
            return (0..num.max(1))
                .map(|index| {
                    crate::graph::record(
                        crate::graph::Op::SplitEvenPart { num, axis, index },
                        &[self],
                    )
                })
                .collect();
        }
        const OP: &str = "split_even";
        let axis = normalize_axis(OP, axis, self.rank())?;
        let dim = self.dims()[axis];
        if num == 0 || dim % num != 0 {
            return Err(Error::invalid(
                OP,
                format!(
                    "axis {axis} of shape {} has size {dim}, which cannot be split into {num} \
                     equal pieces",
                    self.shape()
                ),
            ));
        }
        self.split_views(OP, std::iter::repeat_n(dim / num, num), axis)
    }

    /// The views of consecutive pieces of the given sizes along `axis`
    /// (sizes already checked to add up to the dim).
    fn split_views(
        &self,
        op: &'static str,
        sizes: impl Iterator<Item = usize>,
        axis: usize,
    ) -> Result<Vec<Tensor>> {
        let to_isize = |v: usize| {
            isize::try_from(v).map_err(|_| {
                Error::invalid(
                    op,
                    format!("a bound of {v} does not fit in isize for slicing"),
                )
            })
        };
        let mut args = vec![SliceArg::FULL; axis + 1];
        let mut start = 0usize;
        let mut views = Vec::new();
        for size in sizes {
            let end = start + size;
            args[axis] = SliceArg::range(Some(to_isize(start)?), Some(to_isize(end)?), 1);
            views.push(self.slice(args.iter().copied())?);
            start = end;
        }
        Ok(views)
    }

    /// `self` surrounded by `value` (`tf.pad(t, paddings,
    /// constant_values=value)`, mode `CONSTANT`): `paddings[a] = (before,
    /// after)` elements are added before and after axis `a`.
    ///
    /// **Errors**: [`Error::InvalidArgument`] unless `paddings` has one pair
    /// per axis and `value` is a scalar (rank 0); [`Error::DTypeMismatch`]
    /// when `value` has another dtype; [`Error::ShapeOverflow`] and
    /// [`Error::OutOfMemory`] for an output that cannot exist.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// // The tf.pad documentation's example (CONSTANT mode).
    /// let t = Tensor::from([[1, 2, 3], [4, 5, 6]]);
    /// let p = t.pad(&[(1, 1), (2, 2)], &Tensor::scalar(0))?;
    /// assert_eq!(p.to_array::<i32>()?, ndarray::arr2(&[
    ///     [0, 0, 0, 0, 0, 0, 0],
    ///     [0, 0, 1, 2, 3, 0, 0],
    ///     [0, 0, 4, 5, 6, 0, 0],
    ///     [0, 0, 0, 0, 0, 0, 0],
    /// ]).into_dyn());
    /// assert!(t.pad(&[(1, 1)], &Tensor::scalar(0)).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn pad(&self, paddings: &[(usize, usize)], value: &Tensor) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::Pad(paddings.to_vec()), self, value);
        const OP: &str = "pad";
        let rank = self.rank();
        if paddings.len() != rank {
            return Err(Error::invalid(
                OP,
                format!(
                    "paddings has {} pairs for a tensor of shape {} (rank {rank}); it needs one \
                     (before, after) pair per axis",
                    paddings.len(),
                    self.shape()
                ),
            ));
        }
        check_dtype(OP, self.dtype(), value)?;
        #[cfg(feature = "cuda")]
        let on_device = crate::cuda::placement(OP, &[self, value])? != crate::Device::Cpu;
        #[cfg(not(feature = "cuda"))]
        let on_device = false;
        if !on_device {
            self.cpu_storage(OP)?;
        }
        let mut out_dims = Vec::with_capacity(rank);
        for (&d, &(before, after)) in self.dims().iter().zip(paddings) {
            let padded = d
                .checked_add(before)
                .and_then(|x| x.checked_add(after))
                .ok_or_else(|| Error::ShapeOverflow {
                    op: OP,
                    dims: self.dims().to_vec(),
                    dtype: self.dtype(),
                    what: "a dim plus its paddings does not fit in usize",
                })?;
            out_dims.push(padded);
        }
        let out_shape = Shape::from(out_dims);
        let total = checked_len(OP, &out_shape, self.dtype())?;
        #[cfg(feature = "cuda")]
        if on_device {
            return crate::cuda::pad(self, paddings, value, out_shape);
        }
        let src = self.contiguous()?;
        let out = with_dtype!(self.dtype(), T => {
            let value = scalar_arg::<T>(value, OP, "value")?;
            let data = contiguous_slice::<T>(&src, OP)?;
            T::into_storage(pad_kernel(data, self.dims(), paddings, out_shape.dims(), total, value)?)
        });
        Ok(Tensor::from_cpu_storage(out, out_shape))
    }

    /// `self` repeated `multiples[a]` times along each axis `a`
    /// (`tf.tile(t, multiples)`).
    ///
    /// **Errors**: [`Error::InvalidArgument`] unless `multiples` has one
    /// entry per axis; [`Error::ShapeOverflow`] when a dim times its
    /// multiple, or the output's size, does not fit; [`Error::OutOfMemory`]
    /// for an output larger than the machine's memory.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// // The tf.tile documentation's example.
    /// let a = Tensor::from([[1, 2, 3], [4, 5, 6]]);
    /// let t = a.tile(&[1, 2])?;
    /// assert_eq!(t.to_vec::<i32>()?, [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
    /// let t = a.tile(&[2, 1])?;
    /// assert_eq!(t.to_vec::<i32>()?, [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    /// assert_eq!(a.tile(&[2, 2])?.dims(), [4, 6]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn tile(&self, multiples: &[usize]) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::Tile(multiples.to_vec()), self);
        const OP: &str = "tile";
        let rank = self.rank();
        if multiples.len() != rank {
            return Err(Error::invalid(
                OP,
                format!(
                    "multiples {multiples:?} has {} entries for a tensor of shape {} (rank \
                     {rank}); it needs one per axis",
                    multiples.len(),
                    self.shape()
                ),
            ));
        }
        #[cfg(feature = "cuda")]
        let on_device = self.cuda_storage().is_some();
        #[cfg(not(feature = "cuda"))]
        let on_device = false;
        if !on_device {
            self.cpu_storage(OP)?;
        }
        let out_dims = self
            .dims()
            .iter()
            .zip(multiples)
            .map(|(&d, &m)| d.checked_mul(m))
            .collect::<Option<Vec<usize>>>()
            .ok_or_else(|| Error::ShapeOverflow {
                op: OP,
                dims: self.dims().to_vec(),
                dtype: self.dtype(),
                what: "a dim times its multiple does not fit in usize",
            })?;
        let out_shape = Shape::from(out_dims);
        let total = checked_len(OP, &out_shape, self.dtype())?;
        #[cfg(feature = "cuda")]
        if on_device {
            return crate::cuda::tile(self, multiples, out_shape);
        }
        let src = self.contiguous()?;
        let out = with_dtype!(self.dtype(), T => {
            let data = contiguous_slice::<T>(&src, OP)?;
            T::into_storage(tile_kernel(data, self.dims(), out_shape.dims(), total)?)
        });
        Ok(Tensor::from_cpu_storage(out, out_shape))
    }

    /// One-hot vectors of length `depth` for `indices` (`tf.one_hot(indices,
    /// depth, on_value, off_value, axis)`): `on_value` where the position
    /// along the new axis equals the index, `off_value` elsewhere. An index
    /// outside `0..depth` (negative ones included) gives a vector of
    /// `off_value` only, as TensorFlow documents.
    ///
    /// The new axis goes at `axis` (`-1` appends, otherwise
    /// `0 <= axis <= indices.rank()`); the output has the dtype of the two
    /// values.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for indices other than
    /// int32/int64, values that are not scalars (rank 0) or an axis out of
    /// range; [`Error::DTypeMismatch`] when the two values' dtypes differ;
    /// [`Error::ShapeOverflow`], [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// // The tf.one_hot documentation's examples.
    /// let on = Tensor::scalar(5.0f32);
    /// let off = Tensor::scalar(0.0f32);
    /// let h = Tensor::one_hot(&Tensor::from([0i64, 2, -1, 1]), 3, &on, &off, -1)?;
    /// assert_eq!(h.to_array::<f32>()?, ndarray::arr2(&[
    ///     [5.0, 0.0, 0.0],
    ///     [0.0, 0.0, 5.0],
    ///     [0.0, 0.0, 0.0],
    ///     [0.0, 5.0, 0.0],
    /// ]).into_dyn());
    /// let h = Tensor::one_hot(&Tensor::from([0i32, 1, 2]), 3,
    ///                         &Tensor::scalar(1.0f32), &Tensor::scalar(0.0f32), 0)?;
    /// assert_eq!(h.to_vec::<f32>()?, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn one_hot(
        indices: &Tensor,
        depth: usize,
        on_value: &Tensor,
        off_value: &Tensor,
        axis: isize,
    ) -> Result<Tensor> {
        const OP: &str = "one_hot";
        crate::graph::record_if_symbolic!(
            crate::graph::Op::OneHot { depth, axis },
            indices,
            on_value,
            off_value
        );
        let rank = indices.rank();
        let axis = match axis {
            -1 => rank,
            a if (0..=rank as isize).contains(&a) => a as usize,
            a => {
                return Err(Error::invalid(
                    OP,
                    format!(
                        "axis {a} is out of range for indices of rank {rank}; it must be -1 \
                         (append) or in 0..={rank}"
                    ),
                ));
            }
        };
        let dtype = on_value.dtype();
        check_dtype(OP, dtype, off_value)?;
        let mut out_dims = indices.dims().to_vec();
        out_dims.insert(axis, depth);
        let out_shape = Shape::from(out_dims);
        let total = checked_len(OP, &out_shape, dtype)?;
        #[cfg(feature = "cuda")]
        if crate::cuda::placement(OP, &[indices, on_value, off_value])? != crate::Device::Cpu {
            return crate::cuda::one_hot(indices, depth, on_value, off_value, axis);
        }
        let suffix: usize = indices.dims()[axis..].iter().product();
        let out = with_index_slice!(OP, "indices", indices, idx => {
            with_dtype!(dtype, T => {
                let on = scalar_arg::<T>(on_value, OP, "on_value")?;
                let off = scalar_arg::<T>(off_value, OP, "off_value")?;
                Ok::<_, Error>(T::into_storage(one_hot_kernel(idx, depth, suffix, total, on, off)?))
            })
        })?;
        Ok(Tensor::from_cpu_storage(out, out_shape))
    }
}

/// C-order strides of `dims`, in elements.
fn strides_of(dims: &[usize]) -> Vec<usize> {
    let mut strides = vec![0usize; dims.len()];
    let mut acc = 1usize;
    for (s, &d) in strides.iter_mut().zip(dims).rev() {
        *s = acc;
        acc *= d;
    }
    strides
}

/// The multi-index over `dims` of row `row` (C order).
fn unravel(mut row: usize, dims: &[usize], index: &mut [usize]) {
    for (i, &d) in index.iter_mut().zip(dims).rev() {
        *i = row % d;
        row /= d;
    }
}

/// Steps a multi-index over `dims` to the next position in C order.
fn step(index: &mut [usize], dims: &[usize]) {
    for (i, &d) in index.iter_mut().zip(dims).rev() {
        *i += 1;
        if *i < d {
            return;
        }
        *i = 0;
    }
}

/// The output of pad: rows along the last axis, each either all `value`
/// or `value`s around one input row.
fn pad_kernel<T: Element>(
    src: &[T],
    dims: &[usize],
    paddings: &[(usize, usize)],
    out_dims: &[usize],
    total: usize,
    value: T,
) -> Result<Vec<T>> {
    let Some((&out_last, out_outer)) = out_dims.split_last() else {
        return crate::copy::copy_slice(src);
    };
    let mut out = alloc::zeroed_vec::<T>(total)?;
    let outer = &dims[..dims.len() - 1];
    let in_strides = strides_of(dims);
    let (before_last, _) = paddings[dims.len() - 1];
    let last = dims[dims.len() - 1];
    let fill_value = !crate::ops::index::is_zero_bits(value);
    for_each_row_chunk(&mut out, out_last, |first_row, chunk| {
        let mut index = vec![0usize; out_outer.len()];
        unravel(first_row, out_outer, &mut index);
        for row in chunk.chunks_exact_mut(out_last) {
            // Where the row's input row starts, if it has one.
            let mut src_start = Some(0usize);
            for (a, (&i, &(before, _))) in index.iter().zip(paddings).enumerate() {
                src_start = match src_start {
                    Some(s) if i >= before && i - before < outer[a] => {
                        Some(s + (i - before) * in_strides[a])
                    }
                    _ => None,
                };
            }
            match src_start {
                Some(s) if last > 0 => {
                    if fill_value {
                        row[..before_last].fill(value);
                        row[before_last + last..].fill(value);
                    }
                    row[before_last..before_last + last].copy_from_slice(&src[s..s + last]);
                }
                _ => {
                    if fill_value {
                        row.fill(value);
                    }
                }
            }
            step(&mut index, out_outer);
        }
    });
    Ok(out)
}

/// The output of tile: rows along the last axis, each an input row
/// repeated.
fn tile_kernel<T: Element>(
    src: &[T],
    dims: &[usize],
    out_dims: &[usize],
    total: usize,
) -> Result<Vec<T>> {
    let Some((&out_last, out_outer)) = out_dims.split_last() else {
        return crate::copy::copy_slice(src);
    };
    let mut out = alloc::zeroed_vec::<T>(total)?;
    let outer = &dims[..dims.len() - 1];
    let in_strides = strides_of(dims);
    let last = dims[dims.len() - 1];
    for_each_row_chunk(&mut out, out_last, |first_row, chunk| {
        let mut index = vec![0usize; out_outer.len()];
        unravel(first_row, out_outer, &mut index);
        for row in chunk.chunks_exact_mut(out_last) {
            let s: usize = index
                .iter()
                .zip(outer)
                .zip(&in_strides)
                .map(|((&i, &d), &st)| (i % d) * st)
                .sum();
            for piece in row.chunks_exact_mut(last) {
                piece.copy_from_slice(&src[s..s + last]);
            }
            step(&mut index, out_outer);
        }
    });
    Ok(out)
}

/// The output of one_hot: `off` everywhere, then `on` at each in-range
/// index. `suffix` is the number of index elements after the new axis.
fn one_hot_kernel<T: Element, I: IndexInt>(
    idx: &[I],
    depth: usize,
    suffix: usize,
    total: usize,
    on: T,
    off: T,
) -> Result<Vec<T>> {
    let mut out = filled(total, off)?;
    if total == 0 {
        return Ok(out);
    }
    for (flat, &k) in idx.iter().enumerate() {
        let k = k.as_i64();
        if (0..depth as i64).contains(&k) {
            let (p, s) = (flat / suffix, flat % suffix);
            out[(p * depth + k as usize) * suffix + s] = on;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_rows_handles_empty_pieces_and_any_chunking() {
        let a = [1, 2, 3, 4];
        let b: [i32; 0] = [];
        let c = [5, 6];
        // Rows: [a0 a1 | c0], [a2 a3 | c1].
        let out = concat_rows(&[&a, &b, &c], &[2, 0, 1], 6).unwrap();
        assert_eq!(out, [1, 2, 5, 3, 4, 6]);
        assert!(
            concat_rows::<i32>(&[&b, &b], &[0, 0], 0)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn large_outputs_span_several_tasks() {
        // i64 outputs of several 4 MiB tasks: concat tasks start inside rows
        // and inside pieces; pad and tile tasks start at later rows.
        let w = 300_007;
        let a = Tensor::arange(0i64, 3 * w as i64, 1)
            .unwrap()
            .reshape([3, w])
            .unwrap();
        let b = Tensor::arange(0i64, 3 * 7, 1)
            .unwrap()
            .reshape([3, 7])
            .unwrap();
        let e = Tensor::zeros([3, 0], DType::I64).unwrap();
        let c = Tensor::concat(&[&a, &e, &b, &a], 1).unwrap();
        let got = c.to_vec::<i64>().unwrap();
        let (av, bv) = (a.to_vec::<i64>().unwrap(), b.to_vec::<i64>().unwrap());
        let mut want = Vec::new();
        for r in 0..3 {
            want.extend_from_slice(&av[r * w..(r + 1) * w]);
            want.extend_from_slice(&bv[r * 7..(r + 1) * 7]);
            want.extend_from_slice(&av[r * w..(r + 1) * w]);
        }
        assert_eq!(got, want);

        let t = Tensor::from([[1i64, 2], [3, 4]]);
        let tiled = t.tile(&[1000, 700]).unwrap().to_vec::<i64>().unwrap();
        for (p, &x) in tiled.iter().enumerate() {
            let (r, c) = (p / 1400, p % 1400);
            assert_eq!(x, [[1, 2], [3, 4]][r % 2][c % 2]);
        }
        let padded = t
            .pad(&[(600, 600), (500, 500)], &Tensor::scalar(9i64))
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        for (p, &x) in padded.iter().enumerate() {
            let (r, c) = (p / 1002, p % 1002);
            let inside = (600..602).contains(&r) && (500..502).contains(&c);
            let want = if inside {
                [[1, 2], [3, 4]][r - 600][c - 500]
            } else {
                9
            };
            assert_eq!(x, want, "({r}, {c})");
        }
    }
}
