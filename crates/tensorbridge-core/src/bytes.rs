//! Elements seen as the bytes the backend moves.
#![expect(
    unsafe_code,
    reason = "element slices are reinterpreted as their bytes for transfers"
)]

use crate::Element;

/// The bytes of `v` (every [`Element`] type is plain data without padding:
/// bool, integers, IEEE floats of 2, 4 and 8 bytes, and `#[repr(C)]`
/// complex pairs of floats).
pub(crate) fn as_bytes<T: Element>(v: &[T]) -> &[u8] {
    // SAFETY: `v` covers `size_of_val(v)` initialised bytes (no element type
    // has padding, see above), u8 has alignment 1, and the borrow keeps `v`
    // alive and unwritten for the returned lifetime.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), size_of_val(v)) }
}

/// The bytes of `v`, writable: only for the backend's downloads of a device
/// buffer of the same dtype, whose bytes are valid values of `T` (device
/// buffers are only ever written with such values: uploads of host
/// elements, and kernels that write their output dtype; bool kernels write
/// 0 or 1 only).
#[cfg(feature = "cuda")]
pub(crate) fn as_bytes_mut<T: Element>(v: &mut [T]) -> &mut [u8] {
    let len = size_of_val(v);
    // SAFETY: `v` covers `len` initialised bytes, u8 has alignment 1, and
    // the exclusive borrow is handed on. Every byte pattern is a valid
    // integer or float; for bool the callers write only 0/1 (see the doc).
    unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), len) }
}
