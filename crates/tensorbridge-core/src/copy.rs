//! Materialising elements: copies into fresh buffers, element maps (casts)
//! and fills, on all cores for large buffers.
//!
//! Large outputs come from [`alloc::zeroed_vec`] (untouched pages, advised
//! for huge pages) and are filled in parallel chunks aligned to those huge
//! pages, so the page faults of a fresh buffer are spread over every core
//! too. Strided walks are [`zip`](crate::zip)'s.

use crate::element::Element;
use crate::{Layout, Result, alloc, zip};

/// Outputs at least this large are filled on all cores.
#[cfg(feature = "parallel")]
const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// Bytes per parallel task: two huge pages, so that each page of a fresh
/// buffer is faulted in (and zeroed by the kernel) by one thread only.
#[cfg(feature = "parallel")]
const TASK_BYTES: usize = 4 << 20;

/// A new C-order `Vec` holding `f(x)` for every element `x` of `layout` in
/// `src`.
pub(crate) fn map_to_vec<S: Copy + Sync, D: Element>(
    src: &[S],
    layout: &Layout,
    f: impl Fn(S) -> D + Sync,
) -> Result<Vec<D>> {
    zip::map1(src, layout, f)
}

/// A new C-order `Vec` with the elements of `layout` in `src`.
pub(crate) fn gather<T: Element>(src: &[T], layout: &Layout) -> Result<Vec<T>> {
    match layout.contiguous_range() {
        Some(range) => copy_slice(&src[range]),
        None => map_to_vec(src, layout, |x| x),
    }
}

/// A fresh copy of `src`.
pub(crate) fn copy_slice<T: Element>(src: &[T]) -> Result<Vec<T>> {
    #[cfg(feature = "parallel")]
    if size_of_val(src) >= PARALLEL_MIN_BYTES {
        let mut out = alloc::zeroed_vec::<T>(src.len())?;
        par_huge_page_chunks(&mut out, |start, o| {
            o.copy_from_slice(&src[start..start + o.len()]);
        });
        return Ok(out);
    }
    let mut out = alloc::vec_with_capacity::<T>(src.len())?;
    out.extend_from_slice(src);
    Ok(out)
}

/// A new `Vec` of `n` copies of `value`.
pub(crate) fn filled<T: Element>(n: usize, value: T) -> Result<Vec<T>> {
    let mut out = alloc::zeroed_vec::<T>(n)?;
    // The buffer is all zero bits already; any other value (-0.0 included,
    // which equals 0.0 but is not zero bits) must be written.
    if !is_zero_bits(value) {
        par_huge_page_chunks(&mut out, |_, c| c.fill(value));
    }
    Ok(out)
}

/// Whether `value` is represented by all-zero bytes.
fn is_zero_bits<T: Element>(value: T) -> bool {
    use crate::cast::Repr;
    match value.to_repr() {
        Repr::Bool(b) => !b,
        Repr::Int(i) => i == 0,
        Repr::Float(f) => f.to_bits() == 0,
        Repr::Complex(re, im) => re.to_bits() == 0 && im.to_bits() == 0,
    }
}

/// Runs `f(first index, chunk)` over chunks covering `dst`: with feature
/// `parallel`, on all cores, in chunks whose boundaries fall on huge-page
/// boundaries of the buffer's addresses (a chunk up to the first 2 MiB
/// boundary, then chunks of [`TASK_BYTES`]); without it, in one call.
pub(crate) fn par_huge_page_chunks<T: Send>(dst: &mut [T], f: impl Fn(usize, &mut [T]) + Sync) {
    #[cfg(feature = "parallel")]
    if size_of_val(dst) >= PARALLEL_MIN_BYTES {
        par_page_aligned_chunks(dst, TASK_BYTES, f);
        return;
    }
    f(0, dst);
}

/// The size of a huge page, at whose address boundaries parallel fills cut.
#[cfg(feature = "parallel")]
pub(crate) const HUGE_PAGE: usize = 2 << 20;

/// Runs `f(first index, chunk)` on all cores over `dst` cut at the
/// [`HUGE_PAGE`] boundaries of its addresses (a chunk up to the first
/// boundary, then chunks of `task_bytes`), so that each huge page of a fresh
/// buffer is faulted in by one thread.
#[cfg(feature = "parallel")]
pub(crate) fn par_page_aligned_chunks<T: Send>(
    dst: &mut [T],
    task_bytes: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    use rayon::prelude::*;
    let size = size_of::<T>().max(1);
    let address = dst.as_ptr() as usize;
    let head = ((address.next_multiple_of(HUGE_PAGE) - address) / size).min(dst.len());
    let (first, rest) = dst.split_at_mut(head);
    let per_task = (task_bytes / size).max(1);
    rayon::join(
        || f(0, first),
        || {
            rest.par_chunks_mut(per_task)
                .enumerate()
                .for_each(|(i, c)| f(head + i * per_task, c));
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Shape, SliceArg};

    fn naive<T: Copy>(src: &[T], layout: &Layout) -> Vec<T> {
        layout.offsets().map(|o| src[o]).collect()
    }

    #[test]
    fn gather_matches_naive_walk_small_and_large() {
        for dims in [[3usize, 4, 5], [64, 64, 80]] {
            let n: usize = dims.iter().product();
            let src: Vec<u32> = (0..n as u32).collect();
            let base = Layout::contiguous(Shape::from(dims));
            let views = [
                base.clone(),
                base.transpose(&[2, 0, 1]).unwrap(),
                base.slice(&[
                    SliceArg::range(None, None, -1),
                    SliceArg::range(Some(1), None, 2),
                ])
                .unwrap(),
                base.slice(&[SliceArg::Index(1)]).unwrap(),
                base.slice(&[SliceArg::Index(-1), SliceArg::FULL, SliceArg::Index(0)])
                    .unwrap()
                    .broadcast_to(&Shape::from([7, dims[1]]))
                    .unwrap(),
            ];
            for v in &views {
                assert_eq!(gather(&src, v).unwrap(), naive(&src, v), "{v:?}");
            }
        }
    }

    #[test]
    fn fill_keeps_negative_zero() {
        let v = filled(3, -0.0f32).unwrap();
        assert!(v.iter().all(|x| x.to_bits() == (-0.0f32).to_bits()));
        let h = filled(2, -half::f16::ZERO).unwrap();
        assert!(h.iter().all(|x| x.is_sign_negative()));
    }

    #[test]
    fn fill_and_copy() {
        assert_eq!(filled(3, 2.5f32).unwrap(), [2.5, 2.5, 2.5]);
        let big = filled(1 << 19, 7u64).unwrap();
        assert!(big.iter().all(|&x| x == 7));
        assert_eq!(copy_slice(&big).unwrap(), big);
        assert!(filled::<f32>(0, 1.0).unwrap().is_empty());
    }
}
