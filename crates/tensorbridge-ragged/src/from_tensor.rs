//! [`RaggedTensor::from_tensor`]: a dense tensor made ragged, keeping every
//! column, a prefix of given lengths, or all but the trailing padding.

use tensorbridge_core::{Result, Tensor};

use crate::RaggedTensor;
use crate::splits::{alloc_vec, host_i64, i64_tensor_on, int_vector, invalid, splits_from_lengths};

const OP: &str = "from_tensor";

/// Which part of each row [`RaggedTensor::from_tensor`] keeps, as
/// `tf.RaggedTensor.from_tensor`'s `lengths` and `padding` arguments say.
#[derive(Clone, Debug)]
pub enum TensorRows {
    /// Every column: all rows have the full length.
    All,
    /// Row `i` keeps its first `lengths[i]` columns (int64 or int32, one
    /// entry per row, each in `0..=ncols`).
    Lengths(Tensor),
    /// Each row drops its trailing entries equal to this value (a scalar,
    /// or a tensor broadcasting to the dims after the ragged one). NaN
    /// equals nothing, so a NaN padding drops nothing.
    Padding(Tensor),
}

impl RaggedTensor {
    /// A ragged tensor of ragged rank 1 from the dense `tensor` (rank ≥ 2)
    /// (`tf.RaggedTensor.from_tensor(tensor, lengths=..., padding=...)`).
    ///
    /// **Errors**: as [`RaggedTensor::from_tensor_with_ragged_rank`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    /// use tensorbridge_ragged::{RaggedTensor, TensorRows};
    ///
    /// let dense = Tensor::from([[1, 2, 0], [3, 0, 0], [4, 5, 6]]);
    /// let rt = RaggedTensor::from_tensor(&dense, TensorRows::Padding(Tensor::scalar(0)))?;
    /// assert_eq!(rt.to_string(), "<tf.RaggedTensor [[1, 2], [3], [4, 5, 6]]>");
    /// let rt = RaggedTensor::from_tensor(&dense, TensorRows::Lengths(Tensor::from([1i64, 0, 2])))?;
    /// assert_eq!(rt.to_string(), "<tf.RaggedTensor [[1], [], [4, 5]]>");
    /// let err = RaggedTensor::from_tensor(&dense, TensorRows::Lengths(Tensor::from([1i64, 4, 2])))
    ///     .unwrap_err();
    /// assert_eq!(err.to_string(), "from_tensor: lengths[1] = 4 is outside 0..=3 (the tensor's dim 1)");
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_tensor(tensor: &Tensor, rows: TensorRows) -> Result<RaggedTensor> {
        Self::from_tensor_with_ragged_rank(tensor, rows, 1)
    }

    /// A ragged tensor whose first `ragged_rank` dims after the rows are
    /// ragged (`from_tensor(..., ragged_rank=k)`): the outer ones keep their
    /// uniform sizes; `rows` decides the length of each innermost ragged
    /// row. With [`TensorRows::Lengths`], `lengths` has shape
    /// `tensor.shape[..ragged_rank]` (one length per innermost row).
    ///
    /// **Errors**: [`Error::InvalidArgument`](tensorbridge_core::Error::InvalidArgument)
    /// when `ragged_rank` is 0 or not below the tensor's rank; lengths not
    /// int64/int32, of the wrong shape, negative or past the dim they cut;
    /// padding of another dtype or not broadcasting to
    /// `tensor.shape[ragged_rank + 1..]`.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    /// use tensorbridge_ragged::{RaggedTensor, TensorRows};
    ///
    /// let dense = Tensor::from([[[1, 0], [2, 3]], [[0, 0], [4, 0]]]);
    /// let rt = RaggedTensor::from_tensor_with_ragged_rank(&dense, TensorRows::Padding(Tensor::scalar(0)), 2)?;
    /// assert_eq!(rt.to_string(), "<tf.RaggedTensor [[[1], [2, 3]], [[], [4]]]>");
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_tensor_with_ragged_rank(
        tensor: &Tensor,
        rows: TensorRows,
        ragged_rank: usize,
    ) -> Result<RaggedTensor> {
        let dims = tensor.dims();
        if ragged_rank == 0 || ragged_rank >= dims.len() {
            return Err(invalid(
                OP,
                format!(
                    "ragged_rank = {ragged_rank} must be in 1..{} for a tensor of shape {} \
                     (the rows and at least one dim to make ragged)",
                    dims.len(),
                    tensor.shape()
                ),
            ));
        }
        let k = ragged_rank;
        let ncols = dims[k];
        let rest = &dims[k + 1..];
        let nrows_inner = dims[..k]
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| invalid(OP, format!("the dims of shape {} overflow", tensor.shape())))?;
        let mut flat_dims = vec![nrows_inner, ncols];
        flat_dims.extend_from_slice(rest);
        let flat = tensor.reshape(flat_dims)?;
        let lengths: Option<Vec<i64>> = match rows {
            TensorRows::All => None,
            TensorRows::Lengths(l) => {
                if l.dims() != &dims[..k] {
                    return Err(invalid(
                        OP,
                        format!(
                            "lengths must have shape {:?} (tensor.shape[..ragged_rank], one per row), \
                             got {}",
                            &dims[..k],
                            l.shape()
                        ),
                    ));
                }
                let l = int_vector(OP, "lengths", &l.reshape([nrows_inner])?)?;
                let l = host_i64(&l)?.into_owned();
                if let Some(i) = l.iter().position(|&x| !(0..=ncols as i64).contains(&x)) {
                    return Err(invalid(
                        OP,
                        format!(
                            "lengths[{}] = {} is outside 0..={ncols} (the tensor's dim {k})",
                            location(i, &dims[..k]),
                            l[i]
                        ),
                    ));
                }
                Some(l)
            }
            TensorRows::Padding(p) => Some(padding_lengths(&flat, &p, rest)?),
        };
        let values_dims = |n: usize| {
            let mut d = vec![n];
            d.extend_from_slice(rest);
            d
        };
        let all = flat.reshape(values_dims(nrows_inner * ncols))?;
        let (values, inner_splits) = match lengths {
            None => {
                let splits: Vec<i64> = (0..=nrows_inner).map(|r| (r * ncols) as i64).collect();
                (all, splits)
            }
            Some(l) => {
                let splits = splits_from_lengths(OP, "lengths", &l)?;
                let total = splits[nrows_inner] as usize;
                let values = if total == nrows_inner * ncols {
                    all
                } else {
                    let mut idx = alloc_vec::<i64>(total)?;
                    let mut o = 0;
                    for (r, &len) in l.iter().enumerate() {
                        for j in 0..len as usize {
                            idx[o] = (r * ncols + j) as i64;
                            o += 1;
                        }
                    }
                    all.index_select(0, &i64_tensor_on(all.device(), idx)?)?
                };
                (values, splits)
            }
        };
        let device = values.device();
        let mut splits: Vec<Tensor> = (1..k)
            .map(|j| {
                let rows: usize = dims[..j].iter().product();
                i64_tensor_on(device, (0..=rows).map(|r| (r * dims[j]) as i64).collect())
            })
            .collect::<Result<_>>()?;
        splits.push(i64_tensor_on(device, inner_splits)?);
        Ok(RaggedTensor::from_parts(values, splits))
    }
}

/// `3` for a rank-1 position, `1, 0` for deeper ones.
fn location(flat: usize, dims: &[usize]) -> String {
    let mut idx = vec![0usize; dims.len()];
    let mut rest = flat;
    for (i, &d) in idx.iter_mut().zip(dims).rev() {
        *i = rest % d.max(1);
        rest /= d.max(1);
    }
    idx.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The length of each row of `flat` (`[nrows, ncols, ...rest]`) once its
/// trailing entries equal to `padding` are dropped.
fn padding_lengths(flat: &Tensor, padding: &Tensor, rest: &[usize]) -> Result<Vec<i64>> {
    if padding.dtype() != flat.dtype() {
        return Err(tensorbridge_core::Error::DTypeMismatch {
            op: OP,
            expected: flat.dtype(),
            found: padding.dtype(),
        });
    }
    padding.broadcast_to(rest).map_err(|_| {
        invalid(
            OP,
            format!(
                "padding of shape {} does not broadcast to the inner dims {rest:?} \
                 (tensor.shape[ragged_rank + 1..])",
                padding.shape()
            ),
        )
    })?;
    let (nrows, ncols) = (flat.dims()[0], flat.dims()[1]);
    let mut is_pad = flat.eq(padding)?;
    if !rest.is_empty() {
        let axes: Vec<isize> = (2..2 + rest.len() as isize).collect();
        is_pad = is_pad.all(&axes, false)?;
    }
    // The mask is read here, on the host (one byte per position).
    let is_pad = is_pad.cpu()?.contiguous()?;
    let mask = is_pad.view::<bool>()?;
    let mask = mask.to_slice().unwrap_or(&[]);
    let mut out = alloc_vec::<i64>(nrows)?;
    if ncols > 0 {
        for (o, row) in out.iter_mut().zip(mask.chunks_exact(ncols)) {
            *o = row.iter().rposition(|&p| !p).map_or(0, |j| j as i64 + 1);
        }
    }
    Ok(out)
}
