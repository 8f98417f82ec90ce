//! Tensors over read-only host bytes that someone else owns: a memory-mapped
//! file today, a DLPack capsule or a NumPy buffer later. The tensor reads the
//! bytes in place and keeps their owner alive; nothing is copied.
#![expect(
    unsafe_code,
    reason = "reading a checked, aligned byte range of a kept-alive owner as typed elements"
)]

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::dtype::with_dtype;
use crate::element::private::Sealed;
use crate::{DType, Error, Result, Shape, Tensor};

/// The owner of foreign bytes: anything that hands out a byte slice and can
/// be shared between threads (`memmap2::Mmap`, `Vec<u8>`, `Box<[u8]>`, ...).
pub type ForeignOwner = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// `len` elements of type `T` read in place from bytes kept alive by `owner`.
pub struct ForeignSlice<T> {
    owner: ForeignOwner,
    ptr: *const T,
    len: usize,
    _elements: PhantomData<T>,
}

// SAFETY: a `ForeignSlice` only ever reads its elements (shared access), the
// elements are `Send + Sync` (every `Element` type is), and its owner, which
// keeps the bytes alive, is `Send + Sync` itself; the raw pointer is what
// stops the auto traits, not any thread-affine state.
unsafe impl<T: Sync> Send for ForeignSlice<T> {}
// SAFETY: as above: `&ForeignSlice` only gives out `&[T]`.
unsafe impl<T: Sync> Sync for ForeignSlice<T> {}

// The owner is only held to keep the bytes alive: it is never called after
// construction, so no state of it can be observed half-updated after a panic.
// The bytes themselves are immutable. (Without these, `Tensor` would lose
// `UnwindSafe`/`RefUnwindSafe` because of the `dyn` owner.)
impl<T: std::panic::RefUnwindSafe> std::panic::UnwindSafe for ForeignSlice<T> {}
impl<T: std::panic::RefUnwindSafe> std::panic::RefUnwindSafe for ForeignSlice<T> {}

impl<T> ForeignSlice<T> {
    /// The elements.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[T] {
        // SAFETY: `new` checked that `ptr .. ptr + len * size_of::<T>()` lies
        // inside the slice `owner.as_ref()` returned, that `ptr` is aligned for
        // `T` and that every element is a valid `T` (all bit patterns are for
        // every element type but bool, whose bytes were checked to be 0 or 1).
        // The owner is kept alive by `self` and is only ever shared, so the
        // bytes stay where they are and unchanged: a safe `AsRef<[u8]>` type
        // cannot move or mutate memory it has lent out through `&self` while
        // it lives. (For memory-mapped files the mapping's creator promised
        // that the file is not modified while mapped: see the numpy crate.)
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl<T> Clone for ForeignSlice<T> {
    fn clone(&self) -> Self {
        ForeignSlice {
            owner: Arc::clone(&self.owner),
            ptr: self.ptr,
            len: self.len,
            _elements: PhantomData,
        }
    }
}

impl<T> fmt::Debug for ForeignSlice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeignSlice")
            .field("ptr", &self.ptr)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Tensor {
    /// A C-order tensor of `dtype` and `shape` over the bytes
    /// `owner.as_ref()[offset..]`, read in place without a copy: the tensor
    /// keeps `owner` alive and never writes to the bytes. The bytes are in
    /// the machine's native byte order. O(1) in the size, except for bool,
    /// whose bytes are checked to be 0 or 1.
    ///
    /// This is how a memory-mapped `.npy` file becomes a tensor; views of it
    /// are free, and [`Tensor::into_array`] copies (only a buffer tensorbridge
    /// allocated can move into an array).
    ///
    /// **Errors**: [`Error::InvalidArgument`] when the bytes from `offset` on
    /// are fewer than the shape needs, when they are not aligned for the
    /// dtype, or when a bool byte is neither 0 nor 1;
    /// [`Error::ShapeOverflow`] for a shape whose byte size overflows.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// let bytes: Vec<u8> = vec![0, 1, 2, 3, 4, 5];
    /// let t = Tensor::from_host_bytes(Arc::new(bytes), 2, DType::U8, [2, 2])?;
    /// assert_eq!(t.to_vec::<u8>()?, [2, 3, 4, 5]);
    /// assert!(Tensor::from_host_bytes(Arc::new(vec![0u8; 3]), 0, DType::U8, [4]).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn from_host_bytes(
        owner: ForeignOwner,
        offset: usize,
        dtype: DType,
        shape: impl Into<Shape>,
    ) -> Result<Tensor> {
        const OP: &str = "from_host_bytes";
        let shape = shape.into();
        let numel = shape.checked_numel(OP, dtype)?;
        let needed = shape.checked_byte_size(OP, dtype)?;
        let bytes: &[u8] = (*owner).as_ref();
        let available = bytes.len().saturating_sub(offset);
        if offset > bytes.len() || needed > available {
            return Err(Error::invalid(
                OP,
                format!(
                    "shape {shape} of {dtype} needs {needed} bytes from offset {offset}, the \
                     buffer has {available} (it is {} bytes long)",
                    bytes.len()
                ),
            ));
        }
        let data = &bytes[offset..offset + needed];
        let align = with_dtype!(dtype, T => align_of::<T>());
        if (data.as_ptr() as usize) % align != 0 {
            return Err(Error::invalid(
                OP,
                format!(
                    "the bytes at offset {offset} are not aligned for {dtype} (address {:p}, \
                     alignment {align}); copy them instead",
                    data.as_ptr()
                ),
            ));
        }
        if dtype == DType::Bool
            && let Some(i) = data.iter().position(|&b| b > 1)
        {
            return Err(Error::invalid(
                OP,
                format!("bool element {i} is byte {}, not 0 or 1", data[i]),
            ));
        }
        let ptr = data.as_ptr();
        let storage = with_dtype!(dtype, T => T::from_foreign(ForeignSlice {
            owner: Arc::clone(&owner),
            ptr: ptr.cast::<T>(),
            len: numel,
            _elements: PhantomData,
        }));
        Ok(Tensor::from_cpu_storage(storage, shape))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s;

    /// An owner holding `payload` at an offset aligned to `align`, and that
    /// offset. (A `Vec`'s heap bytes stay put when the `Vec` moves.)
    fn aligned(payload: &[u8], align: usize) -> (ForeignOwner, usize) {
        let mut bytes = vec![0u8; payload.len() + align];
        let start = bytes.as_ptr() as usize;
        let offset = start.next_multiple_of(align) - start;
        bytes[offset..offset + payload.len()].copy_from_slice(payload);
        (Arc::new(bytes), offset)
    }

    #[test]
    fn reads_in_place_and_keeps_the_owner_alive() {
        let owner: ForeignOwner = Arc::new((0u8..16).collect::<Vec<u8>>());
        let t = Tensor::from_host_bytes(Arc::clone(&owner), 4, DType::U8, [3, 4]).unwrap();
        assert_eq!(Arc::strong_count(&owner), 2);
        let base = (*owner).as_ref().as_ptr();
        // The view points into the owner's bytes: no copy.
        assert_eq!(t.view::<u8>().unwrap().as_ptr(), base.wrapping_add(4));
        assert_eq!(t.to_vec::<u8>().unwrap(), (4u8..16).collect::<Vec<_>>());
        // Views share the foreign buffer.
        let col = t.slice(s![.., 1]).unwrap();
        assert_eq!(col.to_vec::<u8>().unwrap(), [5, 9, 13]);
        drop(owner);
        drop(t);
        // The view alone keeps the bytes alive.
        assert_eq!(col.to_vec::<u8>().unwrap(), [5, 9, 13]);
    }

    #[test]
    fn into_array_copies_a_foreign_buffer() {
        let owner: ForeignOwner = Arc::new(vec![7u8, 8, 9]);
        let ptr = (*owner).as_ref().as_ptr();
        let t = Tensor::from_host_bytes(Arc::clone(&owner), 0, DType::U8, [3]).unwrap();
        let a = t.into_array::<u8>().unwrap();
        assert_ne!(a.as_ptr(), ptr);
        assert_eq!(a.as_slice().unwrap(), [7, 8, 9]);
        assert_eq!((*owner).as_ref(), [7, 8, 9]);
    }

    #[test]
    fn typed_elements_use_native_byte_order() {
        let values = [1.5f32, -2.0, 1e30];
        let payload: Vec<u8> = values.iter().flat_map(|v| v.to_ne_bytes()).collect();
        let (owner, offset) = aligned(&payload, 4);
        let t = Tensor::from_host_bytes(owner, offset, DType::F32, [3, 1]).unwrap();
        assert_eq!(t.dims(), [3, 1]);
        assert_eq!(t.to_vec::<f32>().unwrap(), values);
        // Ops read foreign buffers like any other.
        assert_eq!(
            t.t()
                .unwrap()
                .contiguous_copy()
                .unwrap()
                .to_vec::<f32>()
                .unwrap(),
            values
        );
        let z = num_complex::Complex::new(1.0f64, -3.0);
        let payload: Vec<u8> = [z.re, z.im].iter().flat_map(|v| v.to_ne_bytes()).collect();
        let (owner, offset) = aligned(&payload, 16);
        let t = Tensor::from_host_bytes(owner, offset, DType::C128, []).unwrap();
        assert_eq!(t.to_scalar::<num_complex::Complex<f64>>().unwrap(), z);
    }

    #[test]
    fn refuses_short_misaligned_and_invalid_bytes() {
        let owner: ForeignOwner = Arc::new(vec![0u8; 10]);
        let e = Tensor::from_host_bytes(Arc::clone(&owner), 4, DType::U8, [7]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "from_host_bytes: shape [7] of uint8 needs 7 bytes from offset 4, the buffer has 6 \
             (it is 10 bytes long)"
        );
        let e = Tensor::from_host_bytes(Arc::clone(&owner), 11, DType::U8, [0]).unwrap_err();
        assert!(e.to_string().contains("offset 11"), "{e}");
        let (owner, offset) = aligned(&[0; 8], 2);
        let e = Tensor::from_host_bytes(owner, offset + 1, DType::U16, [2]).unwrap_err();
        assert!(e.to_string().contains("not aligned for uint16"), "{e}");
        let bools: ForeignOwner = Arc::new(vec![0u8, 1, 2]);
        let e = Tensor::from_host_bytes(bools, 0, DType::Bool, [3]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "from_host_bytes: bool element 2 is byte 2, not 0 or 1"
        );
        let owner: ForeignOwner = Arc::new(vec![0u8; 10]);
        let e = Tensor::from_host_bytes(owner, 0, DType::F64, [usize::MAX, 2]).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e}");
    }

    #[test]
    fn tensors_stay_unwind_safe_and_thread_safe() {
        fn check<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
        check::<Tensor>();
        check::<ForeignSlice<f32>>();
    }

    #[test]
    fn valid_bool_bytes_are_read() {
        let owner: ForeignOwner = Arc::new(vec![1u8, 0, 1]);
        let t = Tensor::from_host_bytes(owner, 0, DType::Bool, [3]).unwrap();
        assert_eq!(t.to_vec::<bool>().unwrap(), [true, false, true]);
    }
}
