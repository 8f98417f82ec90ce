//! [`PendingArray`]: a copy to the host that was started and can be waited
//! for later ([`Tensor::to_array_async`]).

use std::marker::PhantomData;

use ndarray::ArrayD;

use crate::{Element, Result, Tensor};

/// A conversion to an owned array that runs while the caller does other
/// work: for a device tensor the download was queued on the GPU's stream
/// and [`PendingArray::wait`] waits for it (the backend hands the bytes over
/// in its own buffer, which `wait` copies once into the array); for a host
/// tensor the copy was already made.
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::{Tensor, s};

    proptest! {
        /// For any host view, the pending copy and the written bytes are the
        /// elements `to_array` gives.
        #[test]
        fn async_copies_and_bytes_equal_to_array(
            rows in 0usize..9,
            cols in 1usize..9,
            step in 1isize..4,
            reversed in any::<bool>(),
            transposed in any::<bool>(),
        ) {
            let t = Tensor::from_vec((0..(rows * cols) as i64).collect(), [rows, cols]).unwrap();
            let step = if reversed { -step } else { step };
            let mut v = t.slice(s![..;step, ..]).unwrap();
            if transposed {
                v = v.t().unwrap();
            }
            let want = v.to_array::<i64>().unwrap();
            prop_assert_eq!(v.to_array_async::<i64>().unwrap().wait().unwrap(), want.clone());
            let mut bytes = Vec::new();
            v.write_c_order(&mut bytes).unwrap();
            let from_bytes: Vec<i64> = bytes
                .chunks_exact(8)
                .map(|c| i64::from_ne_bytes(c.try_into().unwrap()))
                .collect();
            prop_assert_eq!(from_bytes, want.iter().copied().collect::<Vec<_>>());
        }
    }
}
