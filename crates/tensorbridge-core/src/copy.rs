//! Materialising elements: strided gathers into fresh buffers, element maps
//! (casts) and fills, on all cores for large buffers.
//!
//! Every strided walk goes through [`RunPlan`]: the layout's axes are
//! coalesced, the last one becomes an inner run, and the rest are visited
//! row by row. A run with stride 1 is a `memcpy`; any other run is a gather.
//! Large outputs come from [`alloc::zeroed_vec`] (untouched pages, advised
//! for huge pages) and are filled in parallel chunks of rows, so the page
//! faults of a fresh buffer are spread over every core too.

use crate::element::Element;
use crate::{Layout, Result, alloc};

/// Outputs at least this large are filled on all cores.
#[cfg(feature = "parallel")]
const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// A strided walk as rows of equal runs.
struct RunPlan {
    /// Sizes of the outer (row) axes.
    outer_dims: Vec<usize>,
    /// Strides of the outer axes.
    outer_strides: Vec<isize>,
    /// Elements per run.
    inner_len: usize,
    /// Distance between the elements of a run.
    inner_stride: isize,
    /// Buffer position of the first element.
    base: isize,
}

impl RunPlan {
    fn new(layout: &Layout) -> RunPlan {
        let (mut dims, mut strides) = layout.coalesced();
        let (inner_len, inner_stride) = match (dims.pop(), strides.pop()) {
            (Some(d), Some(s)) => (d, s),
            _ => (1, 1),
        };
        RunPlan {
            outer_dims: dims,
            outer_strides: strides,
            inner_len,
            inner_stride,
            base: layout.offset() as isize,
        }
    }

    fn rows(&self) -> usize {
        self.outer_dims.iter().product()
    }

    /// Calls `run(position of first element)` for rows `first..first + count`.
    fn for_each_run(&self, first: usize, count: usize, mut run: impl FnMut(isize)) {
        let rank = self.outer_dims.len();
        let mut index = vec![0usize; rank];
        let mut pos = self.base;
        let mut rest = first;
        for a in (0..rank).rev() {
            index[a] = rest % self.outer_dims[a];
            rest /= self.outer_dims[a];
            pos += index[a] as isize * self.outer_strides[a];
        }
        for row in 0..count {
            run(pos);
            if row + 1 == count {
                break;
            }
            for a in (0..rank).rev() {
                index[a] += 1;
                pos += self.outer_strides[a];
                if index[a] < self.outer_dims[a] {
                    break;
                }
                pos -= self.outer_strides[a] * index[a] as isize;
                index[a] = 0;
            }
        }
    }

    /// Writes `f` of the elements of rows `first..` into `dst` (whole rows).
    #[cfg(feature = "parallel")]
    fn map_rows_into<S: Copy, D>(
        &self,
        src: &[S],
        first: usize,
        dst: &mut [D],
        f: &impl Fn(S) -> D,
    ) {
        let rows = dst.len() / self.inner_len.max(1);
        let mut chunks = dst.chunks_exact_mut(self.inner_len.max(1));
        self.for_each_run(first, rows, |pos| {
            let out = chunks.next().expect("one output chunk per row");
            map_run(src, pos, self.inner_stride, out, f);
        });
    }
}

#[cfg(feature = "parallel")]
#[inline]
fn map_run<S: Copy, D>(src: &[S], pos: isize, stride: isize, out: &mut [D], f: &impl Fn(S) -> D) {
    let start = pos as usize;
    let len = out.len();
    if stride == 1 {
        for (o, &s) in out.iter_mut().zip(&src[start..start + len]) {
            *o = f(s);
        }
    } else {
        for (j, o) in out.iter_mut().enumerate() {
            *o = f(src[(pos + j as isize * stride) as usize]);
        }
    }
}

/// A new C-order `Vec` holding `f(x)` for every element `x` of `layout` in
/// `src`.
pub(crate) fn map_to_vec<S: Copy + Sync, D: Element>(
    src: &[S],
    layout: &Layout,
    f: impl Fn(S) -> D + Sync,
) -> Result<Vec<D>> {
    let numel = layout.numel();
    let plan = RunPlan::new(layout);
    #[cfg(feature = "parallel")]
    if numel * size_of::<D>() >= PARALLEL_MIN_BYTES {
        use rayon::prelude::*;
        let mut out = alloc::zeroed_vec::<D>(numel)?;
        let rows_per_chunk = rows_per_task(plan.rows(), plan.inner_len * size_of::<D>());
        out.par_chunks_mut(rows_per_chunk * plan.inner_len)
            .enumerate()
            .for_each(|(i, chunk)| plan.map_rows_into(src, i * rows_per_chunk, chunk, &f));
        return Ok(out);
    }
    let mut out = alloc::vec_with_capacity::<D>(numel)?;
    if numel > 0 {
        let stride = plan.inner_stride;
        plan.for_each_run(0, plan.rows(), |pos| {
            if stride == 1 {
                let start = pos as usize;
                out.extend(src[start..start + plan.inner_len].iter().map(|&s| f(s)));
            } else {
                out.extend(
                    (0..plan.inner_len).map(|j| f(src[(pos + j as isize * stride) as usize])),
                );
            }
        });
    }
    Ok(out)
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
    if value != T::default() {
        #[cfg(feature = "parallel")]
        if n * size_of::<T>() >= PARALLEL_MIN_BYTES {
            par_huge_page_chunks(&mut out, |_, c| c.fill(value));
            return Ok(out);
        }
        out.fill(value);
    }
    Ok(out)
}

/// Bytes per parallel task: two huge pages, so that each page of a fresh
/// buffer is faulted in (and zeroed by the kernel) by one thread only.
#[cfg(feature = "parallel")]
const TASK_BYTES: usize = 4 << 20;

/// Splits `rows` rows of `row_bytes` each into tasks of about
/// [`TASK_BYTES`], at least one row each.
#[cfg(feature = "parallel")]
fn rows_per_task(rows: usize, row_bytes: usize) -> usize {
    (TASK_BYTES / row_bytes.max(1)).clamp(1, rows.max(1))
}

/// Runs `f(first index, chunk)` over `dst` in parallel, in chunks whose
/// boundaries fall on huge-page boundaries of the buffer's addresses: a
/// chunk up to the first 2 MiB boundary, then chunks of [`TASK_BYTES`].
#[cfg(feature = "parallel")]
fn par_huge_page_chunks<T: Send>(dst: &mut [T], f: impl Fn(usize, &mut [T]) + Sync) {
    use rayon::prelude::*;
    let size = size_of::<T>().max(1);
    let address = dst.as_ptr() as usize;
    let head = ((address.next_multiple_of(2 << 20) - address) / size).min(dst.len());
    let (first, rest) = dst.split_at_mut(head);
    let per_task = (TASK_BYTES / size).max(1);
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
    fn fill_and_copy() {
        assert_eq!(filled(3, 2.5f32).unwrap(), [2.5, 2.5, 2.5]);
        let big = filled(1 << 19, 7u64).unwrap();
        assert!(big.iter().all(|&x| x == 7));
        assert_eq!(copy_slice(&big).unwrap(), big);
        assert!(filled::<f32>(0, 1.0).unwrap().is_empty());
    }
}
