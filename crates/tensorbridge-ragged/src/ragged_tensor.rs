//! [`RaggedTensor`]: flat values partitioned by nested row splits.

use tensorbridge_core::Tensor;

/// A tensor with one or more ragged dimensions, like `tf.RaggedTensor`.
///
/// It is `flat_values` (a dense tensor of shape `[nvals, ...inner]`, any
/// dtype) and `ragged_rank` levels of row splits (`int64`, rank 1,
/// outermost first). Level `j` splits its rows into rows of level `j + 1`;
/// the innermost level splits the flat values. Row `i` of a level is
/// `splits[i]..splits[i + 1]`.
///
/// Like a [`Tensor`], a `RaggedTensor` is cheap to clone (its parts are
/// handles) and immutable; every constructor checks the splits, so a value
/// of this type is always well formed. Its parts share one device: a
/// constructor refuses row splits (lengths, row ids) on another device
/// than the values, and [`RaggedTensor::to_device`] moves them together.
///
/// ```
/// use tensorbridge_core::Tensor;
/// use tensorbridge_ragged::RaggedTensor;
///
/// // tf.RaggedTensor.from_row_splits(values=[3, 1, 4, 1, 5, 9, 2, 6],
/// //                                 row_splits=[0, 4, 4, 7, 8, 8])
/// let rt = RaggedTensor::from_row_splits(
///     Tensor::from([3, 1, 4, 1, 5, 9, 2, 6]),
///     Tensor::from([0i64, 4, 4, 7, 8, 8]),
/// )?;
/// assert_eq!(rt.to_string(), "<tf.RaggedTensor [[3, 1, 4, 1], [], [5, 9, 2], [6], []]>");
/// assert_eq!(rt.nrows(), 5);
/// assert_eq!(rt.bounding_shape()?, [5, 4]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Clone)]
pub struct RaggedTensor {
    /// The values, `[nvals, ...inner]`.
    pub(crate) flat_values: Tensor,
    /// The row splits, outermost first: each int64, rank 1, contiguous,
    /// validated against the level below.
    pub(crate) splits: Vec<Tensor>,
}

/// What [`RaggedTensor::values`] and [`RaggedTensor::row`] return: a dense
/// tensor when no ragged dimension is left, a ragged tensor otherwise.
///
/// ```
/// use tensorbridge_ragged::{ragged, RaggedValues};
///
/// let rt = ragged![[[1, 2], [3]], [[4]]];
/// let RaggedValues::Ragged(inner) = rt.values() else { unreachable!() };
/// assert_eq!(inner.to_string(), "<tf.RaggedTensor [[1, 2], [3], [4]]>");
/// assert_eq!(inner.values().into_tensor()?.to_vec::<i32>()?, [1, 2, 3, 4]);
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub enum RaggedValues {
    /// No ragged dimension is left: a dense tensor.
    Tensor(Tensor),
    /// At least one ragged dimension is left.
    Ragged(RaggedTensor),
}

impl RaggedValues {
    /// The dense tensor.
    ///
    /// **Errors**: [`Error::InvalidArgument`](tensorbridge_core::Error::InvalidArgument)
    /// when the value is still ragged (naming its shape).
    pub fn into_tensor(self) -> tensorbridge_core::Result<Tensor> {
        match self {
            RaggedValues::Tensor(t) => Ok(t),
            RaggedValues::Ragged(r) => Err(tensorbridge_core::Error::InvalidArgument {
                op: "RaggedValues::into_tensor",
                what: format!(
                    "the value is a ragged tensor of shape {}, not a dense tensor; use into_ragged",
                    r.shape_string()
                ),
            }),
        }
    }

    /// The ragged tensor.
    ///
    /// **Errors**: [`Error::InvalidArgument`](tensorbridge_core::Error::InvalidArgument)
    /// when the value is dense.
    pub fn into_ragged(self) -> tensorbridge_core::Result<RaggedTensor> {
        match self {
            RaggedValues::Ragged(r) => Ok(r),
            RaggedValues::Tensor(t) => Err(tensorbridge_core::Error::InvalidArgument {
                op: "RaggedValues::into_ragged",
                what: format!(
                    "the value is a dense tensor of shape {}, not a ragged tensor; use into_tensor",
                    t.shape()
                ),
            }),
        }
    }
}

impl RaggedTensor {
    /// The same ragged tensor with its flat values and every level of row
    /// splits on `device` (`Tensor::to_device` of each part; parts already
    /// there are shared, not copied).
    ///
    /// **Errors**: [`Error::DeviceUnavailable`](tensorbridge_core::Error::DeviceUnavailable)
    /// when `device` cannot hold tensors in this build or on this machine.
    ///
    /// ```
    /// use tensorbridge_core::Device;
    /// use tensorbridge_ragged::ragged;
    ///
    /// let rt = ragged![[1, 2, 3], [4, 5], [6]];
    /// let same = rt.to_device(Device::Cpu)?;
    /// assert!(same.flat_values().shares_buffer_with(rt.flat_values()));
    /// assert_eq!(rt.to_device(Device::Cuda(0)).is_err(), !Device::Cuda(0).is_available());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_device(
        &self,
        device: tensorbridge_core::Device,
    ) -> tensorbridge_core::Result<RaggedTensor> {
        Ok(RaggedTensor::from_parts(
            self.flat_values.to_device(device)?,
            self.splits
                .iter()
                .map(|s| s.to_device(device))
                .collect::<tensorbridge_core::Result<_>>()?,
        ))
    }

    /// A ragged tensor from parts already validated.
    pub(crate) fn from_parts(flat_values: Tensor, splits: Vec<Tensor>) -> RaggedTensor {
        debug_assert!(!splits.is_empty());
        debug_assert!(
            splits.iter().all(|s| s.device() == flat_values.device()),
            "a ragged tensor's parts share one device"
        );
        RaggedTensor {
            flat_values,
            splits,
        }
    }
}
