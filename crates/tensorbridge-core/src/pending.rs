//! [`PendingArray`]: a copy to the host that was started and can be waited
//! for later ([`Tensor::to_array_async`]).

use std::marker::PhantomData;

use ndarray::ArrayD;

use crate::{Element, Result, Tensor};

/// A conversion to an owned array that runs while the caller does other
/// work: for a device tensor the download was queued on the GPU's stream
/// and [`PendingArray::wait`] waits for it; for a host tensor the copy was
/// already made.
///
/// ```
/// use tensorbridge_core::Tensor;
///
/// let t = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
/// let pending = t.to_array_async::<f32>()?;
/// // ... other work while the bytes travel ...
/// assert_eq!(pending.wait()?, ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]).into_dyn());
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
#[must_use = "the array arrives only through wait()"]
pub struct PendingArray<T: Element> {
    state: State<T>,
    _elem: PhantomData<T>,
}

enum State<T> {
    Ready(ArrayD<T>),
    #[cfg(feature = "cuda")]
    Device(crate::cuda::DevicePending),
}

impl<T: Element> std::fmt::Debug for PendingArray<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Ready(_) => "ready",
            #[cfg(feature = "cuda")]
            State::Device(_) => "in flight on the device",
        };
        f.debug_struct("PendingArray")
            .field("state", &state)
            .finish()
    }
}

impl<T: Element> PendingArray<T> {
    /// Waits for the copy to finish and returns the array (C order).
    ///
    /// **Errors**: the errors of [`Tensor::to_array`] that only show at the
    /// end of the copy (a device fault, [`crate::Error::OutOfMemory`] for
    /// the host array).
    pub fn wait(self) -> Result<ArrayD<T>> {
        match self.state {
            State::Ready(a) => Ok(a),
            #[cfg(feature = "cuda")]
            State::Device(p) => p.wait::<T>(),
        }
    }
}

impl Tensor {
    /// Starts copying the elements into an owned array and returns at once
    /// with a handle to [`PendingArray::wait`] on: for a device tensor the
    /// download is queued on the GPU (only the elements of its view travel)
    /// and the caller's thread is free until it waits; a host tensor is
    /// copied right away, as [`Tensor::to_array`] does.
    ///
    /// **Errors**: [`crate::Error::DTypeMismatch`] when `T` is not the
    /// tensor's element type; the errors of [`Tensor::to_array`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([1u8, 2, 3]);
    /// assert_eq!(t.to_array_async::<u8>()?.wait()?.as_slice(), Some(&[1u8, 2, 3][..]));
    /// assert!(t.to_array_async::<i8>().is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_array_async<T: Element>(&self) -> Result<PendingArray<T>> {
        #[cfg(feature = "cuda")]
        if self.cuda_storage().is_some() {
            return Ok(PendingArray {
                state: State::Device(crate::cuda::DevicePending::start::<T>(self)?),
                _elem: PhantomData,
            });
        }
        Ok(PendingArray {
            state: State::Ready(self.to_array::<T>()?),
            _elem: PhantomData,
        })
    }
}
