//! The one allocation path for tensor storage.
//!
//! Buffers are plain `Vec`s, so `into_array` can hand them to ndarray without
//! a copy, and they are allocated the way NumPy allocates: every request is
//! checked first (a request larger than the machine's memory is
//! [`Error::OutOfMemory`], never an abort or an OOM kill later), and large
//! buffers get transparent huge pages advised on their 2 MiB-aligned interior
//! *before* their first write. On Linux with THP in `madvise` mode that makes
//! first-touch page faults 512 times rarer: a fresh 256 MiB copy drops from
//! ~165 ms to ~37 ms on the project's 2-core machines.
//!
//! Even with huge pages, fresh memory costs the kernel's zeroing of every
//! page on first touch, which is several times a `memset` of memory already
//! mapped. So, like PyTorch's caching allocators, the buffers of large
//! dropped tensors are kept (a few, bounded in bytes: see [`recycle`]) and
//! handed to the next zeroed allocation of exactly the same layout, which
//! zeroes them on all cores instead of faulting fresh pages in.
//! [`release_cached_buffers`] gives them back to the system.
#![expect(
    unsafe_code,
    reason = "zeroed allocation handed to Vec::from_raw_parts, recycled raw buffers, madvise and sysconf are FFI"
)]

use std::alloc::Layout;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ptr::NonNull;
use std::sync::{Mutex, OnceLock};

use crate::element::Element;
use crate::{Error, Result};

/// Huge pages are 2 MiB on x86-64 and (with 4 KiB base pages) on aarch64.
const HUGE_PAGE: usize = 2 << 20;

/// Below this, advising is pointless: no aligned 2 MiB page fits reliably.
const ADVISE_MIN_BYTES: usize = 2 * HUGE_PAGE;

/// A `Vec<T>` of `n` zeros, from zeroed memory (fresh pages from the kernel
/// for large sizes, so nothing is written until the caller writes).
pub(crate) fn zeroed_vec<T: Element>(n: usize) -> Result<Vec<T>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let layout = array_layout::<T>(n)?;
    if let Some(ptr) = take_recycled(layout) {
        // SAFETY: `ptr` is an allocation of exactly `layout` that the pool
        // owned alone and now hands over; its bytes are seen as
        // `MaybeUninit<u8>`, which any bytes (or none written yet) are.
        let bytes = unsafe {
            std::slice::from_raw_parts_mut(ptr.as_ptr().cast::<MaybeUninit<u8>>(), layout.size())
        };
        crate::copy::par_huge_page_chunks(bytes, |_, chunk| chunk.fill(MaybeUninit::new(0)));
        // SAFETY: as for a fresh allocation below: the global allocator's
        // allocation with the layout of `[T; n]`, every byte now zero.
        return Ok(unsafe { Vec::from_raw_parts(ptr.as_ptr().cast::<T>(), n, n) });
    }
    // SAFETY: `layout` has a non-zero size (n > 0 and every Element type is at
    // least one byte).
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if ptr.is_null() {
        return Err(out_of_memory(layout.size()));
    }
    advise_huge_pages(ptr.cast(), layout.size());
    // SAFETY: `ptr` was allocated by the global allocator with the layout of
    // `[T; n]`, which is what `Vec<T>` with capacity `n` deallocates with; all
    // `n` elements are initialised because all-zero bytes are a valid value of
    // every `Element` type (bool false, integers and floats zero, complex 0+0i),
    // and the sealed `Element` trait admits no other types.
    Ok(unsafe { Vec::from_raw_parts(ptr, n, n) })
}

/// Dropped buffers at least this large are kept for reuse.
const RECYCLE_MIN_BYTES: usize = 32 << 20;

/// At most this many bytes are kept, and never more than an eighth of the
/// machine's memory.
const RECYCLE_MAX_BYTES: usize = 1 << 30;

/// At most this many buffers are kept.
const RECYCLE_MAX_BUFFERS: usize = 4;

/// A buffer kept for reuse: an allocation of the global allocator that no
/// one else points to.
struct Recycled {
    ptr: NonNull<u8>,
    layout: Layout,
}

// SAFETY: a `Recycled` owns its allocation alone, like a `Vec<u8>` does, so
// moving it to another thread is as safe as moving that `Vec`.
unsafe impl Send for Recycled {}

/// The kept buffers, oldest first.
static RECYCLED: Mutex<Vec<Recycled>> = Mutex::new(Vec::new());

fn recycled() -> std::sync::MutexGuard<'static, Vec<Recycled>> {
    // The pool is consistent at every point a panic could leave it.
    RECYCLED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Takes the buffer of a dropped tensor: large ones are kept for the next
/// zeroed allocation of the same layout (oldest evicted past
/// [`RECYCLE_MAX_BUFFERS`] buffers or the byte limit), others are freed.
pub(crate) fn recycle<T: Element>(v: Vec<T>) {
    let Ok(layout) = Layout::array::<T>(v.capacity()) else {
        return;
    };
    let limit = physical_memory().map_or(RECYCLE_MAX_BYTES, |p| (p / 8).min(RECYCLE_MAX_BYTES));
    if layout.size() < RECYCLE_MIN_BYTES || layout.size() > limit {
        return;
    }
    let mut v = ManuallyDrop::new(v);
    let Some(ptr) = NonNull::new(v.as_mut_ptr().cast::<u8>()) else {
        return;
    };
    let evicted = {
        let mut pool = recycled();
        pool.push(Recycled { ptr, layout });
        let mut evicted = Vec::new();
        while pool.len() > RECYCLE_MAX_BUFFERS
            || pool.iter().map(|r| r.layout.size()).sum::<usize>() > limit
        {
            evicted.push(pool.remove(0));
        }
        evicted
    };
    free(evicted);
}

/// A kept buffer of exactly `layout`, if there is one.
fn take_recycled(layout: Layout) -> Option<NonNull<u8>> {
    if layout.size() < RECYCLE_MIN_BYTES {
        return None;
    }
    let mut pool = recycled();
    let i = pool.iter().position(|r| r.layout == layout)?;
    Some(pool.remove(i).ptr)
}

/// Gives the buffers of dropped tensors that tensorbridge keeps for reuse
/// back to the system, and returns how many bytes that was.
///
/// tensorbridge keeps a few large buffers (at least 32 MiB each, at most
/// 1 GiB and an eighth of the machine's memory in all) of tensors that were
/// dropped, because zeroing memory already mapped is several times faster
/// than faulting in fresh pages (PyTorch's caching allocators do the same).
/// Call this after a burst of large work to return that memory at once.
///
/// ```
/// use tensorbridge_core::{DType, Tensor, release_cached_buffers};
///
/// drop(Tensor::zeros([64 << 20], DType::U8)?);   // 64 MiB, kept for reuse
/// let _ = release_cached_buffers();              // given back
/// assert_eq!(release_cached_buffers(), 0);        // nothing left to give
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn release_cached_buffers() -> usize {
    let kept = std::mem::take(&mut *recycled());
    let bytes = kept.iter().map(|r| r.layout.size()).sum();
    free(kept);
    bytes
}

fn free(buffers: Vec<Recycled>) {
    for r in buffers {
        // SAFETY: `r` owns an allocation the global allocator made with
        // `r.layout` (a `Vec`'s buffer, taken whole in `recycle`), and it
        // is freed once, here.
        unsafe { std::alloc::dealloc(r.ptr.as_ptr(), r.layout) };
    }
}

/// An empty `Vec<T>` with room for exactly `n` elements, advised for huge
/// pages, for callers that fill it sequentially with `extend`/`push`.
pub(crate) fn vec_with_capacity<T: Element>(n: usize) -> Result<Vec<T>> {
    let layout = array_layout::<T>(n)?;
    let mut v: Vec<T> = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| out_of_memory(layout.size()))?;
    advise_huge_pages(v.as_mut_ptr().cast(), layout.size());
    Ok(v)
}

/// The layout of `[T; n]`, refusing sizes the machine cannot hold.
fn array_layout<T>(n: usize) -> Result<std::alloc::Layout> {
    let layout = std::alloc::Layout::array::<T>(n)
        .map_err(|_| out_of_memory(n.saturating_mul(size_of::<T>())))?;
    if let Some(total) = physical_memory()
        && layout.size() > total
    {
        return Err(Error::OutOfMemory {
            requested_bytes: layout.size(),
            available_bytes: Some(total),
        });
    }
    Ok(layout)
}

fn out_of_memory(requested_bytes: usize) -> Error {
    Error::OutOfMemory {
        requested_bytes,
        available_bytes: physical_memory(),
    }
}

/// Total physical memory of the machine, read once.
pub(crate) fn physical_memory() -> Option<usize> {
    static TOTAL: OnceLock<Option<usize>> = OnceLock::new();
    *TOTAL.get_or_init(read_physical_memory)
}

#[cfg(unix)]
fn read_physical_memory() -> Option<usize> {
    // SAFETY: sysconf only reads system configuration; it has no preconditions.
    let (pages, page_size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages <= 0 || page_size <= 0 {
        return None;
    }
    (pages as usize).checked_mul(page_size as usize)
}

#[cfg(not(unix))]
fn read_physical_memory() -> Option<usize> {
    None
}

/// Asks the kernel to back the 2 MiB-aligned interior of `[ptr, ptr + len)`
/// with transparent huge pages. Advisory: failures are ignored, and kernels
/// without THP simply keep small pages.
#[cfg(target_os = "linux")]
fn advise_huge_pages(ptr: *mut u8, len: usize) {
    if len < ADVISE_MIN_BYTES {
        return;
    }
    let start = ptr as usize;
    let aligned_start = start.next_multiple_of(HUGE_PAGE);
    let aligned_end = (start + len) / HUGE_PAGE * HUGE_PAGE;
    if aligned_end <= aligned_start {
        return;
    }
    // SAFETY: the range lies inside an allocation this module just made and
    // still owns; MADV_HUGEPAGE changes only how the kernel backs the pages,
    // never their contents or their validity.
    unsafe {
        libc::madvise(
            aligned_start as *mut libc::c_void,
            aligned_end - aligned_start,
            libc::MADV_HUGEPAGE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_ptr: *mut u8, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DType, Tensor};

    // Each reuse test uses a size of its own, so tests running at the same
    // time never take each other's buffers.

    #[test]
    fn a_dropped_large_buffer_is_reused_and_zeroed() {
        const N: usize = (32 << 20) + 3 * 4096;
        let t = Tensor::from_vec(vec![0xAAu8; N], [N]).unwrap();
        let old = t.view::<u8>().unwrap().as_ptr();
        drop(t);
        let z = Tensor::zeros([N], DType::U8).unwrap();
        let v = z.view::<u8>().unwrap();
        assert_eq!(v.as_ptr(), old, "the kept buffer is handed out again");
        assert!(v.iter().all(|&b| b == 0));
    }

    #[test]
    fn a_reused_buffer_is_zeroed_before_it_is_read_as_another_type() {
        const N: usize = (32 << 20) + 5 * 4096;
        recycle(vec![0xFFu8; N]);
        let v = zeroed_vec::<bool>(N).unwrap();
        assert!(v.iter().all(|&b| !b));
    }

    #[test]
    fn small_buffers_and_other_layouts_are_not_kept() {
        const N: usize = (32 << 20) + 7 * 4096;
        recycle(vec![1u8; 4096]);
        assert!(take_recycled(Layout::array::<u8>(4096).unwrap()).is_none());
        recycle(vec![1u8; N]);
        // Same bytes, other alignment: not a match.
        assert!(take_recycled(Layout::array::<u16>(N / 2).unwrap()).is_none());
        let kept = take_recycled(Layout::array::<u8>(N).unwrap()).expect("kept");
        free(vec![Recycled {
            ptr: kept,
            layout: Layout::array::<u8>(N).unwrap(),
        }]);
    }

    #[test]
    fn zeroed_is_zero_and_sized() {
        let v = zeroed_vec::<f32>(3 << 20).unwrap();
        assert_eq!(v.len(), 3 << 20);
        assert!(v.iter().all(|&x| x == 0.0));
        let c = zeroed_vec::<num_complex::Complex<f64>>(5).unwrap();
        assert_eq!(c, vec![num_complex::Complex::new(0.0, 0.0); 5]);
        assert!(zeroed_vec::<bool>(0).unwrap().is_empty());
    }

    #[test]
    fn absurd_requests_are_out_of_memory() {
        // 4 TiB: more than any machine this runs on.
        let e = zeroed_vec::<u8>(4 << 40).unwrap_err();
        assert!(
            matches!(e, Error::OutOfMemory { requested_bytes, .. } if requested_bytes == 4 << 40)
        );
        let e = vec_with_capacity::<f64>(1 << 40).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }));
        // Beyond isize::MAX bytes the layout itself is refused.
        assert!(matches!(
            zeroed_vec::<f64>(usize::MAX / 4).unwrap_err(),
            Error::OutOfMemory { .. }
        ));
    }

    #[test]
    fn capacity_is_exact() {
        let v = vec_with_capacity::<u16>(1000).unwrap();
        assert!(v.is_empty());
        assert!(v.capacity() >= 1000);
    }
}
