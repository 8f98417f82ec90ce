//! Walking one to three operands of the same shape together, in C order of
//! the output, for elementwise kernels (casts, copies, unary and binary math,
//! `where_`).
//!
//! [`ZipPlan`] coalesces the operands' axes jointly (two axes merge only when
//! they merge for every operand), so a contiguous operand becomes one long
//! run and a broadcast row becomes a run with stride 0. Output elements are
//! then produced by runs: the kernels specialise the common stride patterns
//! (all 1; 1 with a broadcast 0) so those loops vectorise, and fall back to
//! index arithmetic otherwise.
//!
//! Work is split over output *element* ranges, not rows, so a contiguous
//! tensor (a single coalesced row) is also filled on every core; ranges are
//! aligned to the huge pages of the fresh output buffer.

use crate::copy::par_huge_page_chunks;
use crate::element::Element;
use crate::{Layout, Result, alloc};

/// A joint walk of `N` layouts with the same dims, as runs of equal length.
pub(crate) struct ZipPlan<const N: usize> {
    outer_dims: Vec<usize>,
    outer_strides: Vec<[isize; N]>,
    inner_len: usize,
    inner_strides: [isize; N],
    bases: [isize; N],
}

impl<const N: usize> ZipPlan<N> {
    /// The plan for `layouts`, which must all have the same dims.
    pub(crate) fn new(layouts: [&Layout; N]) -> Self {
        let dims = layouts[0].dims();
        debug_assert!(layouts.iter().all(|l| l.dims() == dims));
        let mut outer_dims: Vec<usize> = Vec::new();
        let mut outer_strides: Vec<[isize; N]> = Vec::new();
        for (axis, &d) in dims.iter().enumerate() {
            if d == 1 {
                continue;
            }
            let s: [isize; N] = std::array::from_fn(|k| layouts[k].strides()[axis]);
            if let (Some(ld), Some(ls)) = (outer_dims.last_mut(), outer_strides.last_mut())
                && (0..N).all(|k| ls[k] == s[k] * d as isize)
            {
                *ld *= d;
                *ls = s;
                continue;
            }
            outer_dims.push(d);
            outer_strides.push(s);
        }
        let (inner_len, inner_strides) = match (outer_dims.pop(), outer_strides.pop()) {
            (Some(d), Some(s)) => (d, s),
            _ => (1, [1; N]),
        };
        ZipPlan {
            outer_dims,
            outer_strides,
            inner_len,
            inner_strides,
            bases: std::array::from_fn(|k| layouts[k].offset() as isize),
        }
    }

    /// The stride of each operand within a run.
    pub(crate) fn inner_strides(&self) -> [isize; N] {
        self.inner_strides
    }

    /// Calls `run(first positions, length)` for the runs covering output
    /// elements `start..start + count`, in order.
    pub(crate) fn for_each_run(
        &self,
        start: usize,
        count: usize,
        mut run: impl FnMut([isize; N], usize),
    ) {
        if count == 0 {
            return;
        }
        let rank = self.outer_dims.len();
        let mut index = vec![0usize; rank];
        let mut pos = self.bases;
        let mut rest = start / self.inner_len;
        for a in (0..rank).rev() {
            index[a] = rest % self.outer_dims[a];
            rest /= self.outer_dims[a];
            for (p, s) in pos.iter_mut().zip(self.outer_strides[a]) {
                *p += index[a] as isize * s;
            }
        }
        let mut col = start % self.inner_len;
        let mut remaining = count;
        loop {
            let n = (self.inner_len - col).min(remaining);
            run(
                std::array::from_fn(|k| pos[k] + col as isize * self.inner_strides[k]),
                n,
            );
            remaining -= n;
            if remaining == 0 {
                return;
            }
            col = 0;
            for a in (0..rank).rev() {
                index[a] += 1;
                for (p, s) in pos.iter_mut().zip(self.outer_strides[a]) {
                    *p += s;
                }
                if index[a] < self.outer_dims[a] {
                    break;
                }
                for (p, s) in pos.iter_mut().zip(self.outer_strides[a]) {
                    *p -= s * index[a] as isize;
                }
                index[a] = 0;
            }
        }
    }
}

/// A fresh output of `numel` elements, filled by `fill(first index, chunk)`
/// over chunks that cover it: on all cores when it is large.
fn fill_output<D: Element>(numel: usize, fill: impl Fn(usize, &mut [D]) + Sync) -> Result<Vec<D>> {
    let mut out = alloc::zeroed_vec::<D>(numel)?;
    par_huge_page_chunks(&mut out, fill);
    Ok(out)
}

/// `f(x)` for every element `x` of `layout` in `a`, as a new C-order `Vec`.
pub(crate) fn map1<A: Copy + Sync, D: Element>(
    a: &[A],
    layout: &Layout,
    f: impl Fn(A) -> D + Sync,
) -> Result<Vec<D>> {
    let plan = ZipPlan::new([layout]);
    let [sa] = plan.inner_strides();
    fill_output(layout.numel(), |start, out: &mut [D]| {
        let mut done = 0;
        plan.for_each_run(start, out.len(), |[pa], n| {
            let out = &mut out[done..done + n];
            done += n;
            if sa == 1 {
                let a = &a[pa as usize..][..n];
                for (o, &x) in out.iter_mut().zip(a) {
                    *o = f(x);
                }
            } else {
                for (j, o) in out.iter_mut().enumerate() {
                    *o = f(a[(pa + j as isize * sa) as usize]);
                }
            }
        });
    })
}

/// `f(x, y)` for the elements of two layouts with the same dims, as a new
/// C-order `Vec`.
pub(crate) fn map2<A: Copy + Sync, B: Copy + Sync, D: Element>(
    (a, la): (&[A], &Layout),
    (b, lb): (&[B], &Layout),
    f: impl Fn(A, B) -> D + Sync,
) -> Result<Vec<D>> {
    let plan = ZipPlan::new([la, lb]);
    let [sa, sb] = plan.inner_strides();
    fill_output(la.numel(), |start, out: &mut [D]| {
        let mut done = 0;
        plan.for_each_run(start, out.len(), |[pa, pb], n| {
            let out = &mut out[done..done + n];
            done += n;
            match (sa, sb) {
                (1, 1) => {
                    let (a, b) = (&a[pa as usize..][..n], &b[pb as usize..][..n]);
                    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                        *o = f(x, y);
                    }
                }
                (1, 0) => {
                    let (a, y) = (&a[pa as usize..][..n], b[pb as usize]);
                    for (o, &x) in out.iter_mut().zip(a) {
                        *o = f(x, y);
                    }
                }
                (0, 1) => {
                    let (x, b) = (a[pa as usize], &b[pb as usize..][..n]);
                    for (o, &y) in out.iter_mut().zip(b) {
                        *o = f(x, y);
                    }
                }
                _ => {
                    for (j, o) in out.iter_mut().enumerate() {
                        let j = j as isize;
                        *o = f(a[(pa + j * sa) as usize], b[(pb + j * sb) as usize]);
                    }
                }
            }
        });
    })
}

/// `f(x, y, z)` for the elements of three layouts with the same dims, as a
/// new C-order `Vec`.
pub(crate) fn map3<A: Copy + Sync, B: Copy + Sync, C: Copy + Sync, D: Element>(
    (a, la): (&[A], &Layout),
    (b, lb): (&[B], &Layout),
    (c, lc): (&[C], &Layout),
    f: impl Fn(A, B, C) -> D + Sync,
) -> Result<Vec<D>> {
    let plan = ZipPlan::new([la, lb, lc]);
    let [sa, sb, sc] = plan.inner_strides();
    fill_output(la.numel(), |start, out: &mut [D]| {
        let mut done = 0;
        plan.for_each_run(start, out.len(), |[pa, pb, pc], n| {
            let out = &mut out[done..done + n];
            done += n;
            if (sa, sb, sc) == (1, 1, 1) {
                let (a, b, c) = (
                    &a[pa as usize..][..n],
                    &b[pb as usize..][..n],
                    &c[pc as usize..][..n],
                );
                for (((o, &x), &y), &z) in out.iter_mut().zip(a).zip(b).zip(c) {
                    *o = f(x, y, z);
                }
            } else {
                for (j, o) in out.iter_mut().enumerate() {
                    let j = j as isize;
                    *o = f(
                        a[(pa + j * sa) as usize],
                        b[(pb + j * sb) as usize],
                        c[(pc + j * sc) as usize],
                    );
                }
            }
        });
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Shape, SliceArg};

    fn naive<T: Copy>(src: &[T], layout: &Layout) -> Vec<T> {
        layout.offsets().map(|o| src[o]).collect()
    }

    #[test]
    fn runs_cover_any_element_range() {
        let base = Layout::contiguous(Shape::from([4, 5, 6]));
        let t = base.transpose(&[2, 0, 1]).unwrap();
        let plan = ZipPlan::new([&t]);
        let all: Vec<usize> = t.offsets().collect();
        for start in [0, 1, 7, 59, 100] {
            for count in [0, 1, 3, 20, 120 - start] {
                let mut got = Vec::new();
                plan.for_each_run(start, count, |[p], n| {
                    got.extend((0..n).map(|j| (p + j as isize * t.strides()[2]) as usize));
                });
                assert_eq!(got, all[start..start + count], "{start} {count}");
            }
        }
    }

    #[test]
    fn map2_broadcasts_and_strides() {
        let a_data: Vec<i64> = (0..24).collect();
        let b_data: Vec<i64> = (100..106).collect();
        let la = Layout::contiguous(Shape::from([4, 6]))
            .slice(&[SliceArg::range(None, None, -1)])
            .unwrap();
        let lb = Layout::contiguous(Shape::from([6]))
            .broadcast_to(&Shape::from([4, 6]))
            .unwrap();
        let got = map2((&a_data[..], &la), (&b_data[..], &lb), |x, y| x * 1000 + y).unwrap();
        let expected: Vec<i64> = naive(&a_data, &la)
            .into_iter()
            .zip(naive(&b_data, &lb))
            .map(|(x, y)| x * 1000 + y)
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn large_outputs_match_naive() {
        let n = 1 << 19;
        let data: Vec<u32> = (0..n as u32).collect();
        let l = Layout::contiguous(Shape::from([512, 1024]))
            .transpose(&[1, 0])
            .unwrap();
        assert_eq!(map1(&data, &l, |x| x).unwrap(), naive(&data, &l));
        let c = Layout::contiguous(Shape::from([n]));
        let got = map3(
            (&data[..], &c),
            (&data[..], &c),
            (&data[..], &c),
            |x, y, z| x.wrapping_add(y).wrapping_add(z),
        )
        .unwrap();
        assert!(got.iter().enumerate().all(|(i, &v)| v == 3 * i as u32));
    }
}
