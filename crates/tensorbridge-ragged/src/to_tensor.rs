//! [`RaggedTensor::to_tensor`]: padding (or cutting) a ragged tensor into a
//! dense one, with TensorFlow's semantics.

use tensorbridge_core::{DType, Error, Result, Shape, SliceArg, Tensor};

use crate::RaggedTensor;
use crate::splits::{alloc_vec, host_i64, invalid};

const OP: &str = "to_tensor";

impl RaggedTensor {
    /// The dense tensor of the bounding shape
    /// ([`RaggedTensor::bounding_shape`]) holding every value at its place
    /// and `default_value` everywhere else (`rt.to_tensor(default_value)`).
    ///
    /// `default_value` has the dtype of the values and is a scalar or
    /// broadcasts to the inner dims (`flat_values.shape[1..]`). Every
    /// element of the output is written, value or default. For ragged rank
    /// 1 this is one write pass driven by the row splits
    /// ([`Tensor::pad_segments`]); deeper tensors gather through one index
    /// per output row ([`Tensor::gather_with_padding`]).
    ///
    /// **Errors**: as [`RaggedTensor::to_tensor_with_shape`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    /// use tensorbridge_ragged::ragged;
    ///
    /// let rt = ragged![[1, 2, 3], [4, 5], [6]];
    /// let dense = rt.to_tensor(&Tensor::scalar(0))?;
    /// assert_eq!(dense.to_array::<i32>()?, ndarray::arr2(&[[1, 2, 3], [4, 5, 0], [6, 0, 0]]).into_dyn());
    /// let rt = ragged![[[1, 2], [3]], [[4, 5, 6]]];
    /// assert_eq!(rt.to_tensor(&Tensor::scalar(-1))?.to_vec::<i32>()?,
    ///            [1, 2, -1, 3, -1, -1, 4, 5, 6, -1, -1, -1]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_tensor(&self, default_value: &Tensor) -> Result<Tensor> {
        self.to_tensor_with_shape(default_value, &vec![None; self.rank()])
    }

    /// As [`RaggedTensor::to_tensor`] into a shape of your choosing
    /// (`rt.to_tensor(default_value, shape=shape)`): `shape[i] = Some(n)`
    /// pads dim `i` with `default_value` or cuts it to `n` (rows, ragged
    /// dims and inner dims alike); `None` keeps the bounding size. The
    /// default value must broadcast to the output's inner dims.
    ///
    /// **Errors**: [`Error::DTypeMismatch`] when `default_value` has another
    /// dtype; [`Error::InvalidArgument`] when `shape` does not have one
    /// entry per dim of the ragged tensor, or `default_value` does not
    /// broadcast to the inner dims; [`Error::ShapeOverflow`] or
    /// [`Error::OutOfMemory`] for an output that cannot exist (checked
    /// before anything is allocated).
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    /// use tensorbridge_ragged::ragged;
    ///
    /// let rt = ragged![[1, 2, 3], [4, 5], [6]];
    /// let cut = rt.to_tensor_with_shape(&Tensor::scalar(0), &[Some(2), Some(2)])?;
    /// assert_eq!(cut.to_vec::<i32>()?, [1, 2, 4, 5]);
    /// let padded = rt.to_tensor_with_shape(&Tensor::scalar(9), &[Some(4), None])?;
    /// assert_eq!(padded.dims(), [4, 3]);
    /// assert_eq!(padded.to_vec::<i32>()?, [1, 2, 3, 4, 5, 9, 6, 9, 9, 9, 9, 9]);
    /// assert!(rt.to_tensor_with_shape(&Tensor::scalar(0), &[None]).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_tensor_with_shape(
        &self,
        default_value: &Tensor,
        shape: &[Option<usize>],
    ) -> Result<Tensor> {
        let dtype = self.dtype();
        if default_value.dtype() != dtype {
            return Err(Error::DTypeMismatch {
                op: OP,
                expected: dtype,
                found: default_value.dtype(),
            });
        }
        if shape.len() != self.rank() {
            return Err(invalid(
                OP,
                format!(
                    "shape has {} entries but the ragged tensor has rank {} (shape {}); give one \
                     entry per dim, None to keep the bounding size",
                    shape.len(),
                    self.rank(),
                    self.shape_string()
                ),
            ));
        }
        // The default value and the splits are used where the values live
        // (small uploads when they were made on the host).
        let device = self.flat_values.device();
        let default_value = &default_value.to_device(device)?;
        let k = self.ragged_rank();
        let max_lengths = if shape[1..=k].iter().any(Option::is_none) {
            self.max_lengths()?
        } else {
            vec![0; k]
        };
        let mut dims = vec![shape[0].unwrap_or(self.nrows())];
        dims.extend((0..k).map(|j| shape[1 + j].unwrap_or(max_lengths[j])));
        dims.extend(
            self.inner_dims()
                .iter()
                .zip(&shape[k + 1..])
                .map(|(&d, s)| s.unwrap_or(d)),
        );
        let out_shape = Shape::from(dims.clone());
        out_shape.byte_size(dtype)?;
        let out_inner = &dims[k + 1..];
        let default_full = default_value.broadcast_to(out_inner).map_err(|_| {
            invalid(
                OP,
                format!(
                    "default_value of shape {} does not broadcast to the inner dims {out_inner:?} \
                     of the output; give a scalar or a tensor of those dims",
                    default_value.shape()
                ),
            )
        })?;
        if out_shape.numel()? == 0 {
            // Where the values live, whatever the current device scope.
            let _here = self.flat_values.device().scope();
            return Tensor::zeros(out_shape, dtype);
        }
        let values = if out_inner == self.inner_dims() {
            self.flat_values.clone()
        } else {
            resize_inner(&self.flat_values, out_inner, &default_full)?
        };
        if k == 1 {
            let splits = rows_splits(&self.splits[0], dims[0])?.to_device(device)?;
            return values.pad_segments(&splits, dims[1], &default_full);
        }
        let cells = Shape::from(&dims[..=k]);
        cells.byte_size(DType::I64)?;
        let index = cell_index(&self.splits, &dims[..=k])?;
        // Built on the host from the splits, used where the values live.
        let index = {
            let _host = tensorbridge_core::Device::Cpu.scope();
            Tensor::from_vec(index, cells)?
        }
        .to_device(values.device())?;
        values.gather_with_padding(&index, &default_full)
    }
}

/// The outermost splits cut or extended (with empty rows) to `d0` rows.
fn rows_splits(splits: &Tensor, d0: usize) -> Result<Tensor> {
    let nrows = splits.numel() - 1;
    if d0 <= nrows {
        return splits.slice([SliceArg::range(None, Some(d0 as isize + 1), 1)]);
    }
    let last = host_i64(splits)?[nrows];
    let mut ext = alloc_vec::<i64>(d0 - nrows)?;
    ext.fill(last);
    Tensor::concat(&[splits, &Tensor::from(ext).to_device(splits.device())?], 0)
}

/// For each cell of the dense grid `dims` (rows, then one dim per ragged
/// level), the index of the flat value that lands there, or -1.
fn cell_index(splits: &[Tensor], dims: &[usize]) -> Result<Vec<i64>> {
    let nrows = splits[0].numel() - 1;
    let mut cur = alloc_vec::<i64>(dims[0])?;
    for (i, c) in cur.iter_mut().enumerate() {
        *c = if i < nrows { i as i64 } else { -1 };
    }
    for (level, &width) in splits.iter().zip(&dims[1..]) {
        let s = host_i64(level)?;
        let mut next = alloc_vec::<i64>(cur.len() * width)?;
        for (&row, out) in cur.iter().zip(next.chunks_exact_mut(width.max(1))) {
            if row < 0 {
                out.fill(-1);
                continue;
            }
            let (start, end) = (s[row as usize], s[row as usize + 1]);
            let len = ((end - start) as usize).min(width);
            for (j, o) in out[..len].iter_mut().enumerate() {
                *o = start + j as i64;
            }
            out[len..].fill(-1);
        }
        cur = next;
    }
    Ok(cur)
}

/// The flat values with their inner dims cut or padded (with the matching
/// entries of `default_full`) to `out_inner`.
fn resize_inner(values: &Tensor, out_inner: &[usize], default_full: &Tensor) -> Result<Tensor> {
    let nvals = values.dims()[0];
    let inner = &values.dims()[1..];
    let kept: Vec<usize> = inner
        .iter()
        .zip(out_inner)
        .map(|(&i, &o)| i.min(o))
        .collect();
    let range = |a: usize, b: usize| SliceArg::range(Some(a as isize), Some(b as isize), 1);
    let mut args = vec![SliceArg::FULL];
    args.extend(kept.iter().map(|&k| range(0, k)));
    let mut cur = values.slice(args)?;
    for a in 0..inner.len() {
        if out_inner[a] <= inner[a] {
            continue;
        }
        let args: Vec<SliceArg> = (0..inner.len())
            .map(|b| match b.cmp(&a) {
                std::cmp::Ordering::Less => range(0, out_inner[b]),
                std::cmp::Ordering::Equal => range(inner[a], out_inner[a]),
                std::cmp::Ordering::Greater => range(0, kept[b]),
            })
            .collect();
        let block = default_full.slice(args)?.expand_dims(0)?;
        let mut block_dims = vec![nvals];
        block_dims.extend_from_slice(&block.dims()[1..]);
        let block = block.broadcast_to(block_dims)?;
        cur = Tensor::concat(&[&cur, &block], (a + 1) as isize)?;
    }
    Ok(cur)
}
