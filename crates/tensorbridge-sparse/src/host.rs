//! Host access to the parts of a sparse tensor, and the one allocation path
//! for buffers whose size comes from user input.
//!
//! Nothing here looks at the device: a tensor whose bytes are on the host
//! is borrowed, any other is copied to the host by core's conversions.

use std::borrow::Cow;

use tensorbridge_core::{Device, Element, Error, Result, Shape, Tensor};

/// The elements of `t` in C order: borrowed when they already lie on the
/// host in one slice, copied otherwise.
pub(crate) fn host_slice<T: Element>(t: &Tensor) -> Result<Cow<'_, [T]>> {
    match t.view::<T>() {
        Ok(view) => match view.to_slice() {
            Some(s) => Ok(Cow::Borrowed(s)),
            None => Ok(Cow::Owned(t.to_vec::<T>()?)),
        },
        Err(Error::NotOnHost { .. }) => Ok(Cow::Owned(t.to_vec::<T>()?)),
        Err(e) => Err(e),
    }
}

/// A `Vec` of `n` zeros allocated through core's checked allocation path
/// (huge pages for large buffers; a size the machine cannot hold is
/// [`Error::OutOfMemory`] before anything is allocated).
pub(crate) fn zeroed<T: Element>(n: usize) -> Result<Vec<T>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    // A host buffer, whatever the current device scope.
    let _host = Device::Cpu.scope();
    let t = Tensor::zeros([n], T::DTYPE)?;
    Ok(t.into_array::<T>()?.into_raw_vec_and_offset().0)
}

/// A tensor over `data` on `device` (the host buffer is moved in, then
/// copied to the device when that is not the host).
pub(crate) fn tensor_on<T: Element>(
    data: Vec<T>,
    shape: impl Into<Shape>,
    device: Device,
) -> Result<Tensor> {
    Tensor::from_vec(data, shape)?.to_device(device)
}

/// An index row as it appears in messages: `[1, 7]`.
pub(crate) fn row_text(row: &[i64]) -> String {
    format!("{row:?}")
}

/// `n * k` for sizes of buffers derived from user input.
pub(crate) fn checked_mul(op: &'static str, n: usize, k: usize, what: &str) -> Result<usize> {
    n.checked_mul(k).ok_or_else(|| Error::InvalidArgument {
        op,
        what: format!("{what}: {n} * {k} overflows usize"),
    })
}
