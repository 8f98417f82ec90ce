//! Reductions over any set of axes: [`Tensor::sum`], [`Tensor::mean`],
//! [`Tensor::prod`], [`Tensor::max`], [`Tensor::min`], [`Tensor::argmax`],
//! [`Tensor::argmin`], [`Tensor::all`] and [`Tensor::any`].
//!
//! How a reduction runs, for any layout and without copying the input:
//!
//! 1. The axes split into *kept* axes (the output, in C order) and
//!    *reduced* axes. The reduced axes are a set, so they are reordered
//!    freely: negative strides are flipped, broadcast (stride 0) axes go
//!    outermost, the rest by decreasing stride; then each group is
//!    coalesced. A reduction of a transposed or reversed tensor over all its
//!    axes becomes one contiguous run.
//! 2. When the innermost reduced axis has stride 1, every output folds
//!    contiguous runs ("rows"): sixteen independent accumulators, so LLVM
//!    vectorises the loop, and pairwise summation over blocks of 512 for
//!    floats (NumPy's scheme, error O(log n · ε)).
//! 3. Otherwise, when the innermost kept axis has stride 1 (`axis=0` of a C
//!    array, or a transposed input), whole rows of input are accumulated into
//!    a block of outputs at once ("columns"): vectorised adds, no strided
//!    gathers.
//! 4. Anything else folds strided runs per output.
//!
//! Large work runs on all cores: over blocks of outputs when there are many,
//! otherwise over a fixed split of the outermost reduced axis whose partial
//! results are combined pairwise in a fixed order. The split depends only on
//! the sizes, never on the thread count, so results are bitwise identical
//! with and without the `parallel` feature and on any number of threads.

use std::marker::PhantomData;

use half::{bf16, f16};
use num_complex::Complex;

use crate::element::{Element, private::Sealed};
use crate::layout::normalize_axis;
use crate::{DType, Error, Layout, Result, Shape, Tensor, alloc};

/// Element types that sums and products accumulate in. Integers wrap.
pub(crate) trait AccNum: Element {
    /// The additive identity.
    const ZERO: Self;
    /// The multiplicative identity.
    const ONE: Self;
    /// Whether sums use pairwise summation (floats and complex).
    const PAIRWISE: bool;
    /// `self + other` (wrapping for integers).
    fn acc_add(self, other: Self) -> Self;
    /// `self * other` (wrapping for integers).
    fn acc_mul(self, other: Self) -> Self;
}

macro_rules! int_acc {
    ($($t:ty),*) => {$(
        impl AccNum for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            const PAIRWISE: bool = false;
            #[inline(always)]
            fn acc_add(self, other: Self) -> Self { self.wrapping_add(other) }
            #[inline(always)]
            fn acc_mul(self, other: Self) -> Self { self.wrapping_mul(other) }
        }
    )*};
}
int_acc!(u8, u16, u32, u64, i8, i16, i32, i64);

macro_rules! float_acc {
    ($($t:ty => $zero:expr, $one:expr;)*) => {$(
        impl AccNum for $t {
            const ZERO: Self = $zero;
            const ONE: Self = $one;
            const PAIRWISE: bool = true;
            #[inline(always)]
            fn acc_add(self, other: Self) -> Self { self + other }
            #[inline(always)]
            fn acc_mul(self, other: Self) -> Self { self * other }
        }
    )*};
}
float_acc! {
    f32 => 0.0, 1.0;
    f64 => 0.0, 1.0;
    Complex<f32> => Complex::new(0.0, 0.0), Complex::new(1.0, 0.0);
    Complex<f64> => Complex::new(0.0, 0.0), Complex::new(1.0, 0.0);
}

/// Element types that sum, prod, mean, cumsum and cumprod apply to: every
/// dtype but bool (TensorFlow's rule).
pub(crate) trait Arith: Element {
    /// What sums and products accumulate in: the type itself, f32 for
    /// f16/bf16.
    type Acc: AccNum;
    /// The element as an accumulator (exact).
    fn to_acc(self) -> Self::Acc;
    /// An accumulator rounded back to the element type (once).
    fn from_acc(acc: Self::Acc) -> Self;
    /// The element type of a mean: f64 for integers (NumPy's rule), the
    /// type itself otherwise.
    type Mean: Element;
    /// What a mean accumulates in.
    type MeanAcc: AccNum;
    /// The element as a mean accumulator.
    fn to_mean_acc(self) -> Self::MeanAcc;
    /// The mean of `n` elements whose sum is `sum` (NaN for `n == 0`).
    fn mean_of(sum: Self::MeanAcc, n: usize) -> Self::Mean;
}

macro_rules! int_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            type Acc = $t;
            #[inline(always)]
            fn to_acc(self) -> $t { self }
            #[inline(always)]
            fn from_acc(acc: $t) -> $t { acc }
            type Mean = f64;
            type MeanAcc = f64;
            #[inline(always)]
            fn to_mean_acc(self) -> f64 { self as f64 }
            #[inline]
            fn mean_of(sum: f64, n: usize) -> f64 { sum / n as f64 }
        }
    )*};
}
int_arith!(u8, u16, u32, u64, i8, i16, i32, i64);

macro_rules! half_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            type Acc = f32;
            #[inline(always)]
            fn to_acc(self) -> f32 { self.to_f32() }
            #[inline(always)]
            fn from_acc(acc: f32) -> $t { <$t>::from_f32(acc) }
            type Mean = $t;
            type MeanAcc = f32;
            #[inline(always)]
            fn to_mean_acc(self) -> f32 { self.to_f32() }
            #[inline]
            fn mean_of(sum: f32, n: usize) -> $t { <$t>::from_f32(sum / n as f32) }
        }
    )*};
}
half_arith!(f16, bf16);

macro_rules! self_arith {
    ($($t:ty => $real:ty),*) => {$(
        impl Arith for $t {
            type Acc = $t;
            #[inline(always)]
            fn to_acc(self) -> $t { self }
            #[inline(always)]
            fn from_acc(acc: $t) -> $t { acc }
            type Mean = $t;
            type MeanAcc = $t;
            #[inline(always)]
            fn to_mean_acc(self) -> $t { self }
            #[inline]
            fn mean_of(sum: $t, n: usize) -> $t { sum / n as $real }
        }
    )*};
}
self_arith!(f32 => f32, f64 => f64, Complex<f32> => f32, Complex<f64> => f64);

/// Element types with an order: every dtype but complex. Floats order by
/// value with NaN propagating (NumPy's `max`/`min`).
pub(crate) trait Ordered: Element {
    /// What comparisons run on: the type itself, f32 for f16/bf16 (exact).
    type Key: Copy + Send + Sync + PartialOrd;
    /// The least key (identity of `max`).
    const LOWEST: Self::Key;
    /// The greatest key (identity of `min`).
    const HIGHEST: Self::Key;
    /// The element as a key.
    fn key(self) -> Self::Key;
    /// A key back as an element (exact: every key came from an element).
    fn from_key(key: Self::Key) -> Self;
    /// Whether the key is NaN.
    fn key_is_nan(key: Self::Key) -> bool;
}

macro_rules! int_ordered {
    ($($t:ty => $lo:expr, $hi:expr;)*) => {$(
        impl Ordered for $t {
            type Key = $t;
            const LOWEST: $t = $lo;
            const HIGHEST: $t = $hi;
            #[inline(always)]
            fn key(self) -> $t { self }
            #[inline(always)]
            fn from_key(key: $t) -> $t { key }
            #[inline(always)]
            fn key_is_nan(_: $t) -> bool { false }
        }
    )*};
}
int_ordered! {
    u8 => u8::MIN, u8::MAX;
    u16 => u16::MIN, u16::MAX;
    u32 => u32::MIN, u32::MAX;
    u64 => u64::MIN, u64::MAX;
    i8 => i8::MIN, i8::MAX;
    i16 => i16::MIN, i16::MAX;
    i32 => i32::MIN, i32::MAX;
    i64 => i64::MIN, i64::MAX;
    bool => false, true;
}

macro_rules! float_ordered {
    ($($t:ty => $key:ty, $to:expr, $from:expr;)*) => {$(
        impl Ordered for $t {
            type Key = $key;
            const LOWEST: $key = <$key>::NEG_INFINITY;
            const HIGHEST: $key = <$key>::INFINITY;
            #[inline(always)]
            fn key(self) -> $key { $to(self) }
            #[inline(always)]
            fn from_key(key: $key) -> $t { $from(key) }
            #[inline(always)]
            fn key_is_nan(key: $key) -> bool { key.is_nan() }
        }
    )*};
}
float_ordered! {
    f16 => f32, f16::to_f32, f16::from_f32;
    bf16 => f32, bf16::to_f32, bf16::from_f32;
    f32 => f32, std::convert::identity, std::convert::identity;
    f64 => f64, std::convert::identity, std::convert::identity;
}

/// The truth of an element for `all`/`any`: `!= 0` (NaN is true), bool as is.
pub(crate) trait Truth: Element {
    /// Whether the element is non-zero.
    fn truth(self) -> bool;
}

macro_rules! truth {
    ($($t:ty => |$x:ident| $e:expr;)*) => {$(
        impl Truth for $t {
            #[inline(always)]
            fn truth(self) -> bool { let $x = self; $e }
        }
    )*};
}
truth! {
    bool => |x| x;
    u8 => |x| x != 0;
    u16 => |x| x != 0;
    u32 => |x| x != 0;
    u64 => |x| x != 0;
    i8 => |x| x != 0;
    i16 => |x| x != 0;
    i32 => |x| x != 0;
    i64 => |x| x != 0;
    // Any bit but the sign bit set: not ±0 (NaN included).
    f16 => |x| x.to_bits() & 0x7fff != 0;
    bf16 => |x| x.to_bits() & 0x7fff != 0;
    f32 => |x| x != 0.0;
    f64 => |x| x != 0.0;
    Complex<f32> => |x| x.re != 0.0 || x.im != 0.0;
    Complex<f64> => |x| x.re != 0.0 || x.im != 0.0;
}

/// Runs `$body` with `$T` bound to the element type of `$dtype` for every
/// dtype but complex; evaluates `$complex` for complex.
macro_rules! with_ordered_dtype {
    ($dtype:expr, $T:ident => $body:expr, complex => $complex:expr) => {
        match $dtype {
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            real => $crate::dtype::with_real_dtype!(real, $T => $body, _complex => $complex),
        }
    };
}

/// The error for arithmetic reductions of bool tensors (TensorFlow refuses
/// them too).
pub(crate) fn bool_arith_error(op: &'static str) -> Error {
    Error::invalid(
        op,
        format!(
            "{op} is not defined for dtype bool (TensorFlow's rule); cast to a number first, \
             e.g. .cast(DType::I64)?.{op}(...)"
        ),
    )
}

/// The error for ordering reductions of complex tensors.
fn complex_order_error(op: &'static str, dtype: DType) -> Error {
    Error::invalid(
        op,
        format!(
            "{op} needs an order, and dtype {dtype} has none; reduce .real() or .imag() \
             (or a magnitude) instead"
        ),
    )
}

// ---------------------------------------------------------------------------
// The reduction engine.

/// Independent accumulators of a contiguous fold: enough for LLVM to fill
/// the vector registers and hide the latency of each add.
const LANES: usize = 16;

/// Pairwise summation recurses down to blocks of this many elements, each
/// summed with [`LANES`] accumulators.
const PAIRWISE_BLOCK: usize = 512;

/// Outputs per block of the columns kernel (its scratch stays in L1/L2).
const COLUMN_BLOCK: usize = 4096;

/// The columns kernel pays off from this many contiguous outputs on.
const COLUMNS_MIN: usize = 2;

/// Most accumulators (parts × outputs) a split of a columns reduction
/// keeps: below it, the reduced axes are split, so that every task streams
/// whole input rows instead of short strided segments.
const SPLIT_COLUMNS_MAX_ACCS: usize = 1 << 20;

/// Elements per block of the blocked argmax/argmin of contiguous runs.
const ARG_BLOCK: usize = 256;

/// Reductions reading fewer elements than this stay on the calling thread,
/// and fewer outputs than [`SPLIT_MAX_OUTPUTS`] are never split.
const PARALLEL_MIN_ELEMS: usize = 1 << 15;

/// Fewer outputs than this, with enough work, split the reduced axes
/// instead of the outputs.
const SPLIT_MAX_OUTPUTS: usize = 64;

/// Most parts a split reduction has (fixed, so results do not depend on the
/// thread count).
const SPLIT_MAX_PARTS: usize = 32;

/// Least elements per part of a split reduction, and per parallel task.
const TASK_MIN_ELEMS: usize = 1 << 14;

/// One reduction: how to fold elements into an accumulator and turn the
/// accumulator into an output element.
///
/// `combine(init, a) == a`, and `combine` is associative up to rounding.
pub(crate) trait Reducer: Sync {
    /// The input element.
    type In: Copy + Send + Sync;
    /// The accumulator.
    type Acc: Copy + Send + Sync;
    /// The output element.
    type Out: Element;
    /// The accumulator of nothing.
    fn init(&self) -> Self::Acc;
    /// Folds one element in.
    fn step(&self, acc: Self::Acc, x: Self::In) -> Self::Acc;
    /// Joins two accumulators of disjoint parts.
    fn combine(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
    /// Folds a contiguous run.
    #[inline]
    fn fold_slice(&self, xs: &[Self::In]) -> Self::Acc {
        fold_lanes(self, xs)
    }
    /// The output element of an accumulator.
    fn finish(&self, acc: Self::Acc) -> Self::Out;
}

/// Folds `xs` with [`LANES`] independent accumulators (vectorisable).
#[inline(always)]
fn fold_lanes<R: Reducer + ?Sized>(r: &R, xs: &[R::In]) -> R::Acc {
    if xs.len() < 2 * LANES {
        return xs.iter().fold(r.init(), |a, &x| r.step(a, x));
    }
    let mut lanes = [r.init(); LANES];
    let mut chunks = xs.chunks_exact(LANES);
    for c in &mut chunks {
        let c: &[R::In; LANES] = c.try_into().expect("chunks_exact gives LANES elements");
        for (l, &x) in lanes.iter_mut().zip(c) {
            *l = r.step(*l, x);
        }
    }
    // Joined in order: a tree here would make LLVM vectorise the loop above
    // two lanes wide instead of four.
    let acc = lanes[1..].iter().fold(lanes[0], |a, &l| r.combine(a, l));
    chunks.remainder().iter().fold(acc, |a, &x| r.step(a, x))
}

/// Pairwise summation: halves down to blocks of [`PAIRWISE_BLOCK`].
fn fold_pairwise<R: Reducer + ?Sized>(r: &R, xs: &[R::In]) -> R::Acc {
    if xs.len() <= PAIRWISE_BLOCK {
        return fold_lanes(r, xs);
    }
    let (a, b) = xs.split_at((xs.len() / 2).next_multiple_of(LANES));
    r.combine(fold_pairwise(r, a), fold_pairwise(r, b))
}

/// Folds the run of `n` elements from `pos` with `stride`.
#[inline]
fn fold_run<R: Reducer>(r: &R, src: &[R::In], pos: isize, n: usize, stride: isize) -> R::Acc {
    if stride == 1 {
        let start = pos as usize;
        let xs = &src[start..start + n];
        if n < 2 * LANES {
            return xs.iter().fold(r.init(), |a, &x| r.step(a, x));
        }
        return r.fold_slice(xs);
    }
    let mut acc = r.init();
    let mut p = pos;
    for _ in 0..n {
        acc = r.step(acc, src[p as usize]);
        p = p.wrapping_add(stride);
    }
    acc
}

/// Nested loops over a group of axes (dims never 0 when walked).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axes {
    /// Sizes, outermost first.
    pub(crate) dims: Vec<usize>,
    /// Strides in elements.
    pub(crate) strides: Vec<isize>,
}

impl Axes {
    /// The axes with size-1 axes dropped and adjacent axes merged wherever
    /// the strides allow (the same positions in the same order).
    pub(crate) fn coalesce(pairs: impl IntoIterator<Item = (usize, isize)>) -> Axes {
        let mut dims: Vec<usize> = Vec::new();
        let mut strides: Vec<isize> = Vec::new();
        for (d, s) in pairs {
            if d == 1 {
                continue;
            }
            match (dims.last_mut(), strides.last_mut()) {
                (Some(ld), Some(ls)) if s.checked_mul(d as isize) == Some(*ls) => {
                    *ld *= d;
                    *ls = s;
                }
                _ => {
                    dims.push(d);
                    strides.push(s);
                }
            }
        }
        Axes { dims, strides }
    }

    /// The number of positions.
    pub(crate) fn numel(&self) -> usize {
        self.dims.iter().product()
    }

    /// Calls `f(position)` for the positions `first..first + count` in C
    /// order, positions counted from `base`.
    #[inline]
    pub(crate) fn walk(&self, base: isize, first: usize, count: usize, mut f: impl FnMut(isize)) {
        if count == 0 {
            return;
        }
        let rank = self.dims.len();
        if rank == 0 {
            f(base);
            return;
        }
        if rank == 1 {
            let s = self.strides[0];
            let mut p = base + first as isize * s;
            for _ in 0..count {
                f(p);
                p = p.wrapping_add(s);
            }
            return;
        }
        let mut stack = [0usize; 16];
        let mut heap = Vec::new();
        let index: &mut [usize] = if rank <= stack.len() {
            &mut stack[..rank]
        } else {
            heap.resize(rank, 0);
            &mut heap
        };
        let mut pos = base;
        let mut rest = first;
        for a in (0..rank).rev() {
            index[a] = rest % self.dims[a];
            rest /= self.dims[a];
            pos += index[a] as isize * self.strides[a];
        }
        for i in 0..count {
            f(pos);
            if i + 1 == count {
                break;
            }
            for a in (0..rank).rev() {
                index[a] += 1;
                pos += self.strides[a];
                if index[a] < self.dims[a] {
                    break;
                }
                pos -= self.strides[a] * index[a] as isize;
                index[a] = 0;
            }
        }
    }

    /// The axes without the innermost one, and that one's size and stride
    /// (`(1, 1)` for no axes).
    fn split_inner(&self) -> (Axes, usize, isize) {
        match (self.dims.split_last(), self.strides.split_last()) {
            (Some((&d, dims)), Some((&s, strides))) => (
                Axes {
                    dims: dims.to_vec(),
                    strides: strides.to_vec(),
                },
                d,
                s,
            ),
            _ => (
                Axes {
                    dims: Vec::new(),
                    strides: Vec::new(),
                },
                1,
                1,
            ),
        }
    }
}

/// A reduction of one layout: the output axes, the reduced axes, and where
/// the first element is.
#[derive(Debug, Clone)]
struct Plan {
    /// The kept axes, coalesced, in the output's C order.
    kept: Axes,
    /// The reduced axes, strides made non-negative, reordered and coalesced.
    red: Axes,
    /// Buffer position of the first element of the first output.
    base: isize,
    /// Number of outputs.
    out_n: usize,
    /// Number of elements reduced into each output.
    red_n: usize,
}

impl Plan {
    fn new(layout: &Layout, mask: &[bool]) -> Plan {
        let pairs = || {
            layout
                .dims()
                .iter()
                .copied()
                .zip(layout.strides().iter().copied())
        };
        let kept = Axes::coalesce(pairs().zip(mask).filter(|(_, m)| !**m).map(|(p, _)| p));
        let mut red: Vec<(usize, isize)> = pairs()
            .zip(mask)
            .filter(|(_, m)| **m)
            .map(|(p, _)| p)
            .collect();
        let out_n = kept.numel();
        let red_n = red.iter().map(|&(d, _)| d).product();
        let mut base = layout.offset() as isize;
        if red_n > 0 {
            // The order of a sum is free: walk the reduced axes forwards in
            // memory, broadcast axes outermost, then by decreasing stride.
            for (d, s) in &mut red {
                if *s < 0 {
                    base += (*d as isize - 1) * *s;
                    *s = -*s;
                }
            }
            red.sort_by_key(|&(_, s)| std::cmp::Reverse(if s == 0 { isize::MAX } else { s }));
        }
        Plan {
            kept,
            red: Axes::coalesce(red),
            base,
            out_n,
            red_n,
        }
    }

    /// The plan restricted to indices `lo..hi` of the outermost reduced axis.
    fn part(&self, lo: usize, hi: usize) -> Plan {
        let mut red = self.red.clone();
        red.dims[0] = hi - lo;
        Plan {
            kept: self.kept.clone(),
            base: self.base + lo as isize * red.strides[0],
            red_n: self.red_n / self.red.dims[0] * (hi - lo),
            red,
            out_n: self.out_n,
        }
    }
}

/// Reduces outputs `first..first + out.len()` on this thread, writing
/// `emit(accumulator)` for each.
fn reduce_seq<R: Reducer, X>(
    r: &R,
    src: &[R::In],
    plan: &Plan,
    first: usize,
    out: &mut [X],
    emit: &impl Fn(R::Acc) -> X,
) {
    if uses_columns(plan) {
        reduce_columns(r, src, plan, first, out, emit);
    } else {
        reduce_runs(r, src, plan, first, out, emit);
    }
}

/// Whether `plan` runs on the columns kernel: the innermost kept axis is
/// contiguous and the innermost reduced one is not.
fn uses_columns(plan: &Plan) -> bool {
    let red_inner_stride = plan.red.strides.last().copied().unwrap_or(1);
    let kept_inner = plan.kept.dims.last().zip(plan.kept.strides.last());
    matches!(kept_inner, Some((&m, &1)) if red_inner_stride != 1 && m >= COLUMNS_MIN)
}

/// Each output folds its runs along the innermost reduced axis.
fn reduce_runs<R: Reducer, X>(
    r: &R,
    src: &[R::In],
    plan: &Plan,
    first: usize,
    out: &mut [X],
    emit: &impl Fn(R::Acc) -> X,
) {
    let (outer, n, stride) = plan.red.split_inner();
    let outer_n = outer.numel();
    if outer_n == 1 && plan.kept.dims.len() <= 1 {
        // One run per output, outputs along one axis: a plain loop.
        let step = plan.kept.strides.first().copied().unwrap_or(0);
        let mut pos = plan.base + first as isize * step;
        for slot in out.iter_mut() {
            *slot = emit(fold_run(r, src, pos, n, stride));
            pos = pos.wrapping_add(step);
        }
        return;
    }
    let mut slots = out.iter_mut();
    plan.kept.walk(plan.base, first, slots.len(), |pos| {
        let acc = if outer_n == 1 {
            fold_run(r, src, pos, n, stride)
        } else {
            let mut acc = r.init();
            outer.walk(pos, 0, outer_n, |p| {
                acc = r.combine(acc, fold_run(r, src, p, n, stride));
            });
            acc
        };
        *slots.next().expect("one slot per output") = emit(acc);
    });
}

/// Blocks of contiguous outputs accumulate whole input rows at once.
fn reduce_columns<R: Reducer, X>(
    r: &R,
    src: &[R::In],
    plan: &Plan,
    first: usize,
    out: &mut [X],
    emit: &impl Fn(R::Acc) -> X,
) {
    let (rows, m, _) = plan.kept.split_inner();
    let end = first + out.len();
    let first_row = first / m;
    let last_row = (end - 1) / m;
    let red_n = plan.red.numel();
    let mut acc: Vec<R::Acc> = Vec::with_capacity(COLUMN_BLOCK.min(m));
    let mut written = 0;
    let mut row = first_row;
    rows.walk(plan.base, first_row, last_row - first_row + 1, |row_pos| {
        let c_start = if row == first_row { first % m } else { 0 };
        let c_end = if row == last_row {
            (end - 1) % m + 1
        } else {
            m
        };
        let mut c0 = c_start;
        while c0 < c_end {
            let c1 = (c0 + COLUMN_BLOCK).min(c_end);
            let width = c1 - c0;
            acc.clear();
            acc.resize(width, r.init());
            plan.red.walk(row_pos + c0 as isize, 0, red_n, |p| {
                let start = p as usize;
                for (a, &x) in acc.iter_mut().zip(&src[start..start + width]) {
                    *a = r.step(*a, x);
                }
            });
            for (o, &a) in out[written..written + width].iter_mut().zip(&acc) {
                *o = emit(a);
            }
            written += width;
            c0 = c1;
        }
        row += 1;
    });
}

/// Every output of `plan` over `src`, in C order, in a fresh buffer.
fn reduce_to_vec<R: Reducer>(r: &R, src: &[R::In], plan: &Plan) -> Result<Vec<R::Out>> {
    let out_n = plan.out_n;
    let mut out = alloc::zeroed_vec::<R::Out>(out_n)?;
    if out_n == 0 {
        return Ok(out);
    }
    if plan.red_n == 0 {
        out.fill(r.finish(r.init()));
        return Ok(out);
    }
    let finish = |a| r.finish(a);
    let work = out_n.saturating_mul(plan.red_n);
    if work < PARALLEL_MIN_ELEMS {
        reduce_seq(r, src, plan, 0, &mut out, &finish);
        return Ok(out);
    }
    let d0 = plan.red.dims.first().copied().unwrap_or(1);
    let parts = d0.min(SPLIT_MAX_PARTS).min(work.div_ceil(TASK_MIN_ELEMS));
    let split = parts > 1
        && (out_n < SPLIT_MAX_OUTPUTS
            || (uses_columns(plan) && out_n.saturating_mul(parts) <= SPLIT_COLUMNS_MAX_ACCS));
    if split {
        // Few outputs (or rows of them): split the outermost reduced axis
        // into a fixed number of parts and combine their partial results in
        // a fixed order.
        let part = |k: usize| {
            let sub = plan.part(d0 * k / parts, d0 * (k + 1) / parts);
            let mut acc = vec![r.init(); out_n];
            reduce_seq(r, src, &sub, 0, &mut acc, &|a| a);
            acc
        };
        #[cfg(feature = "parallel")]
        let partials: Vec<Vec<R::Acc>> = {
            use rayon::prelude::*;
            (0..parts).into_par_iter().map(part).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let partials: Vec<Vec<R::Acc>> = (0..parts).map(part).collect();
        let total = combine_pairwise(r, partials);
        for (o, a) in out.iter_mut().zip(total) {
            *o = r.finish(a);
        }
        return Ok(out);
    }
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        let threads = rayon::current_num_threads();
        // Many small tasks: a core that another process holds up delays
        // only a small one.
        let per_task = out_n
            .div_ceil(16 * threads)
            .max(TASK_MIN_ELEMS.div_ceil(plan.red_n))
            .max(1);
        out.par_chunks_mut(per_task)
            .enumerate()
            .for_each(|(i, chunk)| reduce_seq(r, src, plan, i * per_task, chunk, &finish));
    }
    #[cfg(not(feature = "parallel"))]
    reduce_seq(r, src, plan, 0, &mut out, &finish);
    Ok(out)
}

/// Joins partial results elementwise, pairwise in a fixed order.
fn combine_pairwise<R: Reducer>(r: &R, mut parts: Vec<Vec<R::Acc>>) -> Vec<R::Acc> {
    while parts.len() > 1 {
        let mut next = Vec::with_capacity(parts.len().div_ceil(2));
        let mut it = parts.into_iter();
        while let Some(mut a) = it.next() {
            if let Some(b) = it.next() {
                for (x, y) in a.iter_mut().zip(b) {
                    *x = r.combine(*x, y);
                }
            }
            next.push(a);
        }
        parts = next;
    }
    parts.pop().expect("at least one part")
}

// ---------------------------------------------------------------------------
// The reductions.

/// `sum`: accumulates in [`Arith::Acc`], pairwise for floats.
struct SumR<T>(PhantomData<fn() -> T>);

impl<T: Arith> Reducer for SumR<T> {
    type In = T;
    type Acc = T::Acc;
    type Out = T;
    #[inline(always)]
    fn init(&self) -> T::Acc {
        T::Acc::ZERO
    }
    #[inline(always)]
    fn step(&self, acc: T::Acc, x: T) -> T::Acc {
        acc.acc_add(x.to_acc())
    }
    #[inline(always)]
    fn combine(&self, a: T::Acc, b: T::Acc) -> T::Acc {
        a.acc_add(b)
    }
    #[inline]
    fn fold_slice(&self, xs: &[T]) -> T::Acc {
        if T::Acc::PAIRWISE {
            fold_pairwise(self, xs)
        } else {
            fold_lanes(self, xs)
        }
    }
    #[inline(always)]
    fn finish(&self, acc: T::Acc) -> T {
        T::from_acc(acc)
    }
}

/// `prod`: accumulates in [`Arith::Acc`].
struct ProdR<T>(PhantomData<fn() -> T>);

impl<T: Arith> Reducer for ProdR<T> {
    type In = T;
    type Acc = T::Acc;
    type Out = T;
    #[inline(always)]
    fn init(&self) -> T::Acc {
        T::Acc::ONE
    }
    #[inline(always)]
    fn step(&self, acc: T::Acc, x: T) -> T::Acc {
        acc.acc_mul(x.to_acc())
    }
    #[inline(always)]
    fn combine(&self, a: T::Acc, b: T::Acc) -> T::Acc {
        a.acc_mul(b)
    }
    #[inline(always)]
    fn finish(&self, acc: T::Acc) -> T {
        T::from_acc(acc)
    }
}

/// `mean` of `n` elements per output.
struct MeanR<T> {
    n: usize,
    _t: PhantomData<fn() -> T>,
}

impl<T: Arith> Reducer for MeanR<T> {
    type In = T;
    type Acc = T::MeanAcc;
    type Out = T::Mean;
    #[inline(always)]
    fn init(&self) -> T::MeanAcc {
        T::MeanAcc::ZERO
    }
    #[inline(always)]
    fn step(&self, acc: T::MeanAcc, x: T) -> T::MeanAcc {
        acc.acc_add(x.to_mean_acc())
    }
    #[inline(always)]
    fn combine(&self, a: T::MeanAcc, b: T::MeanAcc) -> T::MeanAcc {
        a.acc_add(b)
    }
    #[inline]
    fn fold_slice(&self, xs: &[T]) -> T::MeanAcc {
        if T::MeanAcc::PAIRWISE {
            fold_pairwise(self, xs)
        } else {
            fold_lanes(self, xs)
        }
    }
    #[inline]
    fn finish(&self, acc: T::MeanAcc) -> T::Mean {
        T::mean_of(acc, self.n)
    }
}

/// `max` (`MAX = true`) or `min`, NaN propagating.
struct ExtremumR<T, const MAX: bool>(PhantomData<fn() -> T>);

/// Whether key `a` is kept over key `b` by `max` (`MAX`) or `min`: NaN wins.
#[inline(always)]
fn keeps<T: Ordered, const MAX: bool>(a: T::Key, b: T::Key) -> bool {
    (if MAX { a > b } else { a < b }) || T::key_is_nan(a)
}

impl<T: Ordered, const MAX: bool> Reducer for ExtremumR<T, MAX> {
    type In = T;
    type Acc = T::Key;
    type Out = T;
    #[inline(always)]
    fn init(&self) -> T::Key {
        if MAX { T::LOWEST } else { T::HIGHEST }
    }
    #[inline(always)]
    fn step(&self, acc: T::Key, x: T) -> T::Key {
        self.combine(acc, x.key())
    }
    #[inline(always)]
    fn combine(&self, a: T::Key, b: T::Key) -> T::Key {
        if keeps::<T, MAX>(a, b) { a } else { b }
    }
    /// Lanes of plain comparisons and, apart, lanes that catch a NaN: both
    /// are selects LLVM vectorises (the NaN-propagating compare is not).
    #[inline]
    fn fold_slice(&self, xs: &[T]) -> T::Key {
        if xs.len() < 2 * LANES {
            return xs.iter().fold(self.init(), |a, &x| self.step(a, x));
        }
        let mut best = [self.init(); LANES];
        let mut nan = [self.init(); LANES];
        let mut chunks = xs.chunks_exact(LANES);
        for c in &mut chunks {
            let c: &[T; LANES] = c.try_into().expect("chunks_exact gives LANES elements");
            for i in 0..LANES {
                let k = c[i].key();
                best[i] = match MAX {
                    true if k > best[i] => k,
                    false if k < best[i] => k,
                    _ => best[i],
                };
                nan[i] = if T::key_is_nan(k) { k } else { nan[i] };
            }
        }
        let mut acc = best.iter().fold(self.init(), |a, &b| self.combine(a, b));
        if let Some(&n) = nan.iter().find(|&&n| T::key_is_nan(n)) {
            acc = n;
        }
        chunks.remainder().iter().fold(acc, |a, &x| self.step(a, x))
    }
    #[inline(always)]
    fn finish(&self, acc: T::Key) -> T {
        T::from_key(acc)
    }
}

/// `all` (`ALL = true`) or `any`.
struct TruthR<T, const ALL: bool>(PhantomData<fn() -> T>);

impl<T: Truth, const ALL: bool> Reducer for TruthR<T, ALL> {
    type In = T;
    type Acc = bool;
    type Out = bool;
    #[inline(always)]
    fn init(&self) -> bool {
        ALL
    }
    #[inline(always)]
    fn step(&self, acc: bool, x: T) -> bool {
        self.combine(acc, x.truth())
    }
    #[inline(always)]
    fn combine(&self, a: bool, b: bool) -> bool {
        if ALL { a & b } else { a | b }
    }
    #[inline(always)]
    fn finish(&self, acc: bool) -> bool {
        acc
    }
}

// ---------------------------------------------------------------------------
// Axes and shapes.

/// Which axes `axes` names, as a mask over `rank` axes (empty: all axes).
fn reduced_mask(op: &'static str, axes: &[isize], rank: usize) -> Result<Vec<bool>> {
    if axes.is_empty() {
        return Ok(vec![true; rank]);
    }
    let mut mask = vec![false; rank];
    for &a in axes {
        let axis = normalize_axis(op, a, rank)?;
        if std::mem::replace(&mut mask[axis], true) {
            return Err(Error::invalid(
                op,
                format!("axes {axes:?} name axis {axis} twice; each axis can be reduced once"),
            ));
        }
    }
    Ok(mask)
}

/// The output dims: reduced axes dropped, or kept with size 1.
fn reduced_dims(dims: &[usize], mask: &[bool], keepdims: bool) -> Vec<usize> {
    dims.iter()
        .zip(mask)
        .filter_map(|(&d, &m)| match (m, keepdims) {
            (false, _) => Some(d),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect()
}

/// Refuses a reduction of an empty axis by an operation with no identity.
fn check_nonempty(op: &'static str, what: &str, dims: &[usize], mask: &[bool]) -> Result<()> {
    match dims.iter().zip(mask).position(|(&d, &m)| m && d == 0) {
        Some(axis) => Err(Error::invalid(
            op,
            format!(
                "axis {axis} has size 0 (shape {dims:?}); {what} of nothing is undefined. \
                 Reduce a non-empty axis, or use sum/all/any, which have an identity"
            ),
        )),
        None => Ok(()),
    }
}

/// Runs reducer `make(elements per output)` over `t` for `axes`.
fn reduce_tensor<R: Reducer>(
    t: &Tensor,
    op: &'static str,
    axes: &[isize],
    keepdims: bool,
    nonempty: Option<&str>,
    make: impl FnOnce(usize) -> R,
) -> Result<Tensor>
where
    R::In: Element,
{
    let mask = reduced_mask(op, axes, t.rank())?;
    if let Some(what) = nonempty {
        check_nonempty(op, what, t.dims(), &mask)?;
    }
    #[cfg(feature = "cuda")]
    if t.cuda_storage().is_some() {
        return crate::cuda::reduce(op, t, &mask, keepdims, R::Out::DTYPE);
    }
    let src = t.host_slice::<R::In>(op)?;
    let plan = Plan::new(t.layout(), &mask);
    let r = make(plan.red_n);
    let out = reduce_to_vec(&r, src, &plan)?;
    let dims = reduced_dims(t.dims(), &mask, keepdims);
    Ok(Tensor::from_cpu_storage(
        R::Out::into_storage(out),
        Shape::from(dims),
    ))
}

impl Tensor {
    /// The sum over `axes` (`tf.reduce_sum`, `np.sum`); an empty `axes`
    /// slice sums over every axis (NumPy's `axis=None`). Negative axes count
    /// from the end. With `keepdims` the reduced axes stay, with size 1.
    ///
    /// The dtype is kept (TensorFlow's rule): integers wrap on overflow;
    /// f16/bf16 accumulate in f32 and round once; floats and complex use
    /// pairwise summation (NumPy's, error O(log n · ε) along contiguous
    /// runs). The sum of nothing is 0.
    ///
    /// **On a GPU** a tree per output sums in another order than the CPU:
    /// integers (which wrap) agree bit for bit, float sums and means agree
    /// within a few ulps times `log2(n)` of the CPU's; `max`, `min`, `all`,
    /// `any`, `argmax` and `argmin` agree exactly (NaN and ties as on the
    /// CPU).
    ///
    /// **Errors**: [`Error::InvalidArgument`] for an axis out of range, an
    /// axis named twice, or a bool tensor (cast it to a number first).
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[1, 2, 3], [4, 5, 6]]);
    /// assert_eq!(t.sum(&[0], false)?.to_vec::<i32>()?, [5, 7, 9]);
    /// assert_eq!(t.sum(&[-1], true)?.dims(), [2, 1]);
    /// assert_eq!(t.sum(&[], false)?.to_scalar::<i32>()?, 21);     // every axis
    /// assert_eq!(Tensor::from([100i8, 100]).sum(&[], false)?.to_scalar::<i8>()?, -56); // wraps
    /// assert!(t.sum(&[2], false).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn sum(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::Reduce {
                kind: crate::graph::ReduceKind::Sum,
                axes: axes.to_vec(),
                keepdims
            },
            self
        );
        const OP: &str = "sum";
        crate::dtype::with_numeric_dtype!(self.dtype(), T => reduce_tensor(self, OP, axes, keepdims, None, |_| {
            SumR::<T>(PhantomData)
        }), bool => Err(bool_arith_error(OP)))
    }

    /// The sum of every element, as a scalar tensor: `sum(&[], false)`.
    ///
    /// **Errors**: as [`Tensor::sum`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// assert_eq!(Tensor::from([[0.5f32, 1.5], [2.0, 4.0]]).sum_all()?.to_scalar::<f32>()?, 8.0);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn sum_all(&self) -> Result<Tensor> {
        self.sum(&[], false)
    }

    /// The arithmetic mean over `axes` (`np.mean`, `tf.reduce_mean`); an
    /// empty `axes` slice averages every axis.
    ///
    /// The mean of integers is f64 (NumPy's rule: `np.mean([1, 2])` is 1.5,
    /// where TensorFlow would truncate to 1). Floats and complex keep their
    /// dtype; f16/bf16 accumulate in f32 and round once. The mean of nothing
    /// is NaN (NumPy's value, without its warning).
    ///
    /// **Errors**: as [`Tensor::sum`].
    ///
    /// ```
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// let t = Tensor::from([[1, 2], [4, 8]]);
    /// let m = t.mean(&[0], false)?;
    /// assert_eq!(m.dtype(), DType::F64);
    /// assert_eq!(m.to_vec::<f64>()?, [2.5, 5.0]);
    /// assert_eq!(t.mean(&[], false)?.to_scalar::<f64>()?, 3.75);
    /// let empty = Tensor::zeros([0, 3], DType::F32)?;
    /// assert!(empty.mean(&[0], false)?.to_vec::<f32>()?.iter().all(|x| x.is_nan()));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn mean(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::Reduce {
                kind: crate::graph::ReduceKind::Mean,
                axes: axes.to_vec(),
                keepdims
            },
            self
        );
        const OP: &str = "mean";
        crate::dtype::with_numeric_dtype!(self.dtype(), T => reduce_tensor(self, OP, axes, keepdims, None, |n| {
            MeanR::<T> { n, _t: PhantomData }
        }), bool => Err(bool_arith_error(OP)))
    }

    /// The mean of every element, as a scalar tensor: `mean(&[], false)`
    /// (`np.mean(x)`).
    ///
    /// **Errors**: as [`Tensor::mean`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// assert_eq!(Tensor::from([1.0f64, 2.0, 6.0]).mean_all()?.to_scalar::<f64>()?, 3.0);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn mean_all(&self) -> Result<Tensor> {
        self.mean(&[], false)
    }

    /// The product over `axes` (`tf.reduce_prod`, `np.prod`); an empty
    /// `axes` slice multiplies every element. The dtype is kept: integers
    /// wrap, f16/bf16 accumulate in f32. The product of nothing is 1.
    ///
    /// **Errors**: as [`Tensor::sum`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// assert_eq!(t.prod(&[1], false)?.to_vec::<f32>()?, [2.0, 12.0]);
    /// assert_eq!(t.prod(&[], false)?.to_scalar::<f32>()?, 24.0);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn prod(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::Reduce {
                kind: crate::graph::ReduceKind::Prod,
                axes: axes.to_vec(),
                keepdims
            },
            self
        );
        const OP: &str = "prod";
        crate::dtype::with_numeric_dtype!(self.dtype(), T => reduce_tensor(self, OP, axes, keepdims, None, |_| {
            ProdR::<T>(PhantomData)
        }), bool => Err(bool_arith_error(OP)))
    }

    /// The maximum over `axes` (`np.max`, `tf.reduce_max`); an empty `axes`
    /// slice takes the maximum of everything. Any real dtype (bool: `any`).
    /// NaN propagates: a NaN among the elements makes the result NaN
    /// (NumPy's `max`, not `nanmax`).
    ///
    /// **Errors**: [`Error::InvalidArgument`] when a reduced axis has size 0
    /// (a maximum of nothing is undefined; the message names the axis), for
    /// complex dtypes (no order), and for axes out of range or named twice.
    ///
    /// ```
    /// use tensorbridge_core::{DType, Tensor};
    ///
    /// let t = Tensor::from([[1.0f32, 5.0], [3.0, f32::NAN]]);
    /// assert_eq!(t.max(&[0], false)?.to_vec::<f32>()?[0], 3.0);
    /// assert!(t.max(&[0], false)?.to_vec::<f32>()?[1].is_nan());
    /// assert!(Tensor::zeros([2, 0], DType::I32)?.max(&[1], false).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn max(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::Reduce {
                kind: crate::graph::ReduceKind::Max,
                axes: axes.to_vec(),
                keepdims
            },
            self
        );
        const OP: &str = "max";
        with_ordered_dtype!(self.dtype(), T => reduce_tensor(
            self, OP, axes, keepdims, Some("a maximum"), |_| ExtremumR::<T, true>(PhantomData)
        ), complex => Err(complex_order_error(OP, self.dtype())))
    }

    /// The minimum over `axes` (`np.min`, `tf.reduce_min`); the rules of
    /// [`Tensor::max`] (NaN propagates; bool: `all`).
    ///
    /// **Errors**: as [`Tensor::max`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[4u8, 2], [3, 9]]);
    /// assert_eq!(t.min(&[1], true)?.to_array::<u8>()?, ndarray::arr2(&[[2], [3]]).into_dyn());
    /// assert_eq!(t.min(&[], false)?.to_scalar::<u8>()?, 2);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn min(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::Reduce {
                kind: crate::graph::ReduceKind::Min,
                axes: axes.to_vec(),
                keepdims
            },
            self
        );
        const OP: &str = "min";
        with_ordered_dtype!(self.dtype(), T => reduce_tensor(
            self, OP, axes, keepdims, Some("a minimum"), |_| ExtremumR::<T, false>(PhantomData)
        ), complex => Err(complex_order_error(OP, self.dtype())))
    }

    /// Whether every element over `axes` is non-zero (`np.all`,
    /// `tf.reduce_all`), as a bool tensor; an empty `axes` slice tests
    /// everything. Any dtype: an element is true when `!= 0` (NaN is true,
    /// ±0 false, complex when either part is non-zero). `all` of nothing is
    /// true.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for axes out of range or named
    /// twice.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[1.0f32, 0.0], [2.0, -3.0]]);
    /// assert_eq!(t.all(&[1], false)?.to_vec::<bool>()?, [false, true]);
    /// assert!(!t.all(&[], false)?.to_scalar::<bool>()?);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn all(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::Reduce {
                kind: crate::graph::ReduceKind::All,
                axes: axes.to_vec(),
                keepdims
            },
            self
        );
        const OP: &str = "all";
        crate::dtype::with_dtype!(self.dtype(), T => reduce_tensor(
            self, OP, axes, keepdims, None, |_| TruthR::<T, true>(PhantomData)
        ))
    }

    /// Whether any element over `axes` is non-zero (`np.any`,
    /// `tf.reduce_any`); the truth rules of [`Tensor::all`]. `any` of
    /// nothing is false.
    ///
    /// **Errors**: as [`Tensor::all`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[0, 0], [0, 7]]);
    /// assert_eq!(t.any(&[0], false)?.to_vec::<bool>()?, [false, true]);
    /// assert!(t.any(&[], false)?.to_scalar::<bool>()?);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn any(&self, axes: &[isize], keepdims: bool) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::Reduce {
                kind: crate::graph::ReduceKind::Any,
                axes: axes.to_vec(),
                keepdims
            },
            self
        );
        const OP: &str = "any";
        crate::dtype::with_dtype!(self.dtype(), T => reduce_tensor(
            self, OP, axes, keepdims, None, |_| TruthR::<T, false>(PhantomData)
        ))
    }

    /// The index of the maximum along `axis` (`np.argmax`, `tf.argmax`), as
    /// an i64 tensor. Ties go to the first occurrence; NaN counts as the
    /// maximum, so the first NaN wins (NumPy's rule). With `keepdims` the
    /// axis stays, with size 1.
    ///
    /// **Errors**: [`Error::InvalidArgument`] when `axis` is out of range
    /// (a scalar has no axis), has size 0, or the dtype is complex.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[1.0f32, 7.0, 7.0], [f32::NAN, 2.0, f32::NAN]]);
    /// assert_eq!(t.argmax(1, false)?.to_vec::<i64>()?, [1, 0]);
    /// assert_eq!(t.argmax(0, true)?.dims(), [1, 3]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn argmax(&self, axis: isize, keepdims: bool) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::ArgReduce {
                max: true,
                axis,
                keepdims
            },
            self
        );
        const OP: &str = "argmax";
        with_ordered_dtype!(self.dtype(), T => arg_reduce::<T, true>(self, OP, axis, keepdims),
            complex => Err(complex_order_error(OP, self.dtype())))
    }

    /// The index of the minimum along `axis` (`np.argmin`, `tf.argmin`), as
    /// an i64 tensor; the rules of [`Tensor::argmax`] (first occurrence,
    /// first NaN).
    ///
    /// **Errors**: as [`Tensor::argmax`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[3, 1, 1], [0, 5, -2]]);
    /// assert_eq!(t.argmin(-1, false)?.to_vec::<i64>()?, [1, 2]);
    /// assert_eq!(t.argmin(0, false)?.to_vec::<i64>()?, [1, 0, 1]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn argmin(&self, axis: isize, keepdims: bool) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::ArgReduce {
                max: false,
                axis,
                keepdims
            },
            self
        );
        const OP: &str = "argmin";
        with_ordered_dtype!(self.dtype(), T => arg_reduce::<T, false>(self, OP, axis, keepdims),
            complex => Err(complex_order_error(OP, self.dtype())))
    }
}

// ---------------------------------------------------------------------------
// argmax / argmin.

/// Whether `x` replaces the best key so far `best` (at a later index).
#[inline(always)]
fn replaces<T: Ordered, const MAX: bool>(x: T::Key, best: T::Key) -> bool {
    // `&`/`|`, not `&&`/`||`: no branches, so loops over it vectorise.
    !T::key_is_nan(best) & ((if MAX { x > best } else { x < best }) | T::key_is_nan(x))
}

/// The index of the best element along one axis, for outputs
/// `first..first + out.len()`.
fn arg_seq<T: Ordered, const MAX: bool>(
    src: &[T],
    kept: &Axes,
    base: isize,
    n: usize,
    stride: isize,
    first: usize,
    out: &mut [i64],
) {
    match kept.dims.last().zip(kept.strides.last()) {
        Some((&m, &1)) if stride != 1 && m >= COLUMNS_MIN => {
            // Whole rows at once: best keys and their indices per column.
            let (rows, m, _) = kept.split_inner();
            let end = first + out.len();
            let first_row = first / m;
            let last_row = (end - 1) / m;
            let mut best: Vec<T::Key> = Vec::with_capacity(COLUMN_BLOCK.min(m));
            let mut written = 0;
            let mut row = first_row;
            rows.walk(base, first_row, last_row - first_row + 1, |row_pos| {
                let c_start = if row == first_row { first % m } else { 0 };
                let c_end = if row == last_row {
                    (end - 1) % m + 1
                } else {
                    m
                };
                let mut c0 = c_start;
                while c0 < c_end {
                    let width = (c_end - c0).min(COLUMN_BLOCK);
                    let idx = &mut out[written..written + width];
                    let start = (row_pos + c0 as isize) as usize;
                    best.clear();
                    best.extend(src[start..start + width].iter().map(|x| x.key()));
                    idx.fill(0);
                    let mut p = row_pos + c0 as isize;
                    for k in 1..n {
                        p += stride;
                        let start = p as usize;
                        for ((b, i), x) in best
                            .iter_mut()
                            .zip(idx.iter_mut())
                            .zip(&src[start..start + width])
                        {
                            // Selects, not branches: this loop vectorises.
                            let x = x.key();
                            let better = replaces::<T, MAX>(x, *b);
                            *b = if better { x } else { *b };
                            *i = if better { k as i64 } else { *i };
                        }
                    }
                    written += width;
                    c0 += width;
                }
                row += 1;
            });
        }
        _ if stride == 1 && n >= 2 * ARG_BLOCK => {
            // Contiguous runs: the extreme of each block (vectorised), and a
            // search inside a block only when it holds a new best.
            let ext = ExtremumR::<T, MAX>(PhantomData);
            let mut slots = out.iter_mut();
            kept.walk(base, first, slots.len(), |pos| {
                let start = pos as usize;
                let run = &src[start..start + n];
                let mut best = run[0].key();
                let mut best_k = 0;
                for (b, block) in run.chunks(ARG_BLOCK).enumerate() {
                    if T::key_is_nan(best) {
                        break;
                    }
                    let m = ext.fold_slice(block);
                    if replaces::<T, MAX>(m, best) {
                        let found = block.iter().position(|x| {
                            let k = x.key();
                            if T::key_is_nan(m) {
                                T::key_is_nan(k)
                            } else {
                                k == m
                            }
                        });
                        best = m;
                        best_k = b * ARG_BLOCK + found.expect("the block holds its extreme");
                    }
                }
                *slots.next().expect("one slot per output") = best_k as i64;
            });
        }
        _ => {
            let mut slots = out.iter_mut();
            kept.walk(base, first, slots.len(), |pos| {
                let mut best = src[pos as usize].key();
                let mut best_k = 0;
                let mut p = pos;
                for k in 1..n {
                    p += stride;
                    let x = src[p as usize].key();
                    if replaces::<T, MAX>(x, best) {
                        best = x;
                        best_k = k;
                    }
                }
                *slots.next().expect("one slot per output") = best_k as i64;
            });
        }
    }
}

fn arg_reduce<T: Ordered, const MAX: bool>(
    t: &Tensor,
    op: &'static str,
    axis: isize,
    keepdims: bool,
) -> Result<Tensor> {
    let rank = t.rank();
    let axis = normalize_axis(op, axis, rank)?;
    let mut mask = vec![false; rank];
    mask[axis] = true;
    check_nonempty(
        op,
        if MAX {
            "the index of a maximum"
        } else {
            "the index of a minimum"
        },
        t.dims(),
        &mask,
    )?;
    #[cfg(feature = "cuda")]
    if t.cuda_storage().is_some() {
        return crate::cuda::arg_reduce(op, t, axis, MAX, keepdims);
    }
    let src = t.host_slice::<T>(op)?;
    let layout = t.layout();
    let n = layout.dims()[axis];
    let stride = layout.strides()[axis];
    let kept = Axes::coalesce(
        layout
            .dims()
            .iter()
            .copied()
            .zip(layout.strides().iter().copied())
            .enumerate()
            .filter(|&(a, _)| a != axis)
            .map(|(_, p)| p),
    );
    let base = layout.offset() as isize;
    let out_n = kept.numel();
    let mut out = alloc::zeroed_vec::<i64>(out_n)?;
    let seq = out_n < 2 || out_n.saturating_mul(n) < PARALLEL_MIN_ELEMS;
    if out_n > 0 && seq {
        arg_seq::<T, MAX>(src, &kept, base, n, stride, 0, &mut out);
    } else if out_n > 0 {
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            let per_task = out_n
                .div_ceil(4 * rayon::current_num_threads())
                .max(TASK_MIN_ELEMS.div_ceil(n));
            out.par_chunks_mut(per_task)
                .enumerate()
                .for_each(|(i, chunk)| {
                    arg_seq::<T, MAX>(src, &kept, base, n, stride, i * per_task, chunk)
                });
        }
        #[cfg(not(feature = "parallel"))]
        arg_seq::<T, MAX>(src, &kept, base, n, stride, 0, &mut out);
    }
    Ok(Tensor::from_cpu_storage(
        i64::into_storage(out),
        Shape::from(reduced_dims(t.dims(), &mask, keepdims)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SliceArg;

    /// The naive sum (in i128) of an i64 tensor over a mask, for checking
    /// the engine's paths on large inputs exactly.
    fn naive_sum(t: &Tensor, mask: &[bool]) -> Vec<i64> {
        let dims = t.dims().to_vec();
        let vals = t.to_vec::<i64>().unwrap();
        let out_dims = reduced_dims(&dims, mask, false);
        let out_n: usize = out_dims.iter().product();
        let mut out = vec![0i128; out_n];
        let mut index = vec![0usize; dims.len()];
        for v in vals {
            let mut o = 0;
            for (a, &i) in index.iter().enumerate() {
                if !mask[a] {
                    o = o * dims[a] + i;
                }
            }
            out[o] += v as i128;
            for a in (0..dims.len()).rev() {
                index[a] += 1;
                if index[a] < dims[a] {
                    break;
                }
                index[a] = 0;
            }
        }
        out.into_iter().map(|x| x as i64).collect()
    }

    fn big(dims: &[usize]) -> Tensor {
        let n: usize = dims.iter().product();
        let data: Vec<i64> = (0..n as i64).map(|i| (i * 7919) % 1013 - 500).collect();
        Tensor::from_vec(data, dims).unwrap()
    }

    fn check(t: &Tensor, axes: &[isize]) {
        let mask = reduced_mask("t", axes, t.rank()).unwrap();
        let got = t.sum(axes, false).unwrap().to_vec::<i64>().unwrap();
        assert_eq!(
            got,
            naive_sum(t, &mask),
            "dims {:?} axes {axes:?}",
            t.dims()
        );
    }

    #[test]
    fn every_engine_path_on_large_inputs() {
        let t = big(&[96, 80, 40]);
        // Runs (inner contiguous), many outputs, parallel over outputs.
        check(&t, &[2]);
        check(&t, &[1, 2]);
        // Few outputs: split of the reduced axes.
        check(&t, &[0, 1]);
        check(&t, &[]);
        // Columns (kept inner contiguous): axis 0 and the middle axis.
        check(&t, &[0]);
        check(&t, &[1]);
        check(&t, &[0, 2]);
        // Transposed, reversed and broadcast views.
        let tt = t.transpose(&[2, 0, 1]).unwrap();
        for axes in [&[0][..], &[1], &[2], &[0, 2], &[]] {
            check(&tt, axes);
        }
        let r = t
            .slice([
                SliceArg::range(None, None, -1),
                SliceArg::range(Some(1), None, 3),
                SliceArg::range(None, None, -2),
            ])
            .unwrap();
        for axes in [&[0][..], &[1], &[2], &[0, 1], &[]] {
            check(&r, axes);
        }
        let b = big(&[1, 300, 1]).broadcast_to([200, 300, 4]).unwrap();
        for axes in [&[0][..], &[1], &[2], &[0, 2], &[]] {
            check(&b, axes);
        }
        // Few, strided outputs with a long reduction.
        let tall = big(&[40000, 3]);
        check(&tall, &[0]);
        check(&tall.t().unwrap(), &[1]);
    }

    #[test]
    fn walk_visits_c_order_from_any_start() {
        let axes = Axes {
            dims: vec![2, 3, 2],
            strides: vec![100, -10, 1],
        };
        let mut all = Vec::new();
        axes.walk(1000, 0, 12, |p| all.push(p));
        let expected: Vec<isize> = (0..2)
            .flat_map(|i| {
                (0..3).flat_map(move |j| (0..2).map(move |k| 1000 + 100 * i - 10 * j + k))
            })
            .collect();
        assert_eq!(all, expected);
        for first in 0..12 {
            let mut part = Vec::new();
            axes.walk(1000, first, 12 - first, |p| part.push(p));
            assert_eq!(part, expected[first..]);
        }
    }

    #[test]
    fn plan_makes_one_run_of_reversed_and_transposed_full_reductions() {
        let layout = Layout::contiguous(Shape::from([4, 5, 6]))
            .transpose(&[2, 0, 1])
            .unwrap()
            .slice(&[SliceArg::range(None, None, -1)])
            .unwrap();
        let plan = Plan::new(&layout, &[true, true, true]);
        assert_eq!(
            plan.red,
            Axes {
                dims: vec![120],
                strides: vec![1]
            }
        );
        assert_eq!(plan.base, 0);
    }

    #[test]
    fn pairwise_sum_is_accurate() {
        // 2^22 copies of 0.1: a running f32 sum drifts (every add past 2^18
        // rounds by up to 1/64); pairwise stays within a few ulps.
        let n = 1usize << 22;
        let x = 0.1f32;
        let exact = x as f64 * n as f64;
        let naive = (0..n).fold(0.0f32, |a, _| a + x);
        let naive_err = (naive as f64 - exact).abs() / exact;
        let s = Tensor::from_vec(vec![x; n], [n])
            .unwrap()
            .sum_all()
            .unwrap();
        let got = s.to_scalar::<f32>().unwrap() as f64;
        let err = (got - exact).abs() / exact;
        assert!(
            err < 1e-6 && err * 1000.0 < naive_err,
            "{got} vs {exact} (naive {naive})"
        );
        // Along an axis too, and for f16 (accumulated in f32).
        let t = Tensor::from_vec(vec![x; n], [4, n / 4]).unwrap();
        for v in t.sum(&[1], false).unwrap().to_vec::<f32>().unwrap() {
            assert!((v as f64 - exact / 4.0).abs() / exact < 1e-6, "{v}");
        }
        let h = Tensor::from_vec(vec![f16::from_f32(0.5); 4096], [4096]).unwrap();
        assert_eq!(
            h.sum_all().unwrap().to_scalar::<f16>().unwrap(),
            f16::from_f32(2048.0)
        );
    }

    #[cfg(feature = "parallel")]
    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let data: Vec<f32> = (0..1i64 << 20)
            .map(|i| ((i * 7919) % 1013) as f32 * 0.37)
            .collect();
        let t = Tensor::from_vec(data, [1 << 10, 1 << 10]).unwrap();
        let run = || {
            (
                t.sum_all().unwrap().to_scalar::<f32>().unwrap(),
                t.sum(&[0], false).unwrap().to_vec::<f32>().unwrap(),
                t.mean(&[1], false).unwrap().to_vec::<f32>().unwrap(),
            )
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(run);
        let three = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap()
            .install(run);
        assert_eq!(one, three);
    }

    /// Max, min, argmax and argmin of one row, the slow obvious way.
    fn naive_row(row: &[f32]) -> (f32, f32, i64, i64) {
        let nan = row.iter().position(|x| x.is_nan());
        let fmax = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let fmin = row.iter().copied().fold(f32::INFINITY, f32::min);
        match nan {
            Some(i) => (f32::NAN, f32::NAN, i as i64, i as i64),
            None => (
                fmax,
                fmin,
                row.iter().position(|&x| x == fmax).unwrap() as i64,
                row.iter().position(|&x| x == fmin).unwrap() as i64,
            ),
        }
    }

    #[test]
    fn blocked_extrema_of_long_runs() {
        // Rows long enough for the lane and block kernels, with ties across
        // blocks and NaNs (or none) at chosen places.
        let n = 1500;
        let mut rows: Vec<Vec<f32>> = Vec::new();
        for r in 0..12usize {
            let mut row: Vec<f32> = (0..n)
                .map(|i| ((i * 37 + r * 11) % 97) as f32 - 40.0)
                .collect();
            if r % 3 == 1 {
                row[(r * 131) % n] = f32::NAN;
                row[(r * 131 + 600) % n] = f32::NAN;
            }
            if r % 4 == 2 {
                row[1400] = 1000.0;
                row[3] = -1000.0;
                row[700] = 1000.0;
            }
            rows.push(row);
        }
        let flat: Vec<f32> = rows.concat();
        let t = Tensor::from_vec(flat, [12, n]).unwrap();
        let max = t.max(&[1], false).unwrap().to_vec::<f32>().unwrap();
        let min = t.min(&[1], false).unwrap().to_vec::<f32>().unwrap();
        let amax = t.argmax(1, false).unwrap().to_vec::<i64>().unwrap();
        let amin = t.argmin(-1, false).unwrap().to_vec::<i64>().unwrap();
        for (r, row) in rows.iter().enumerate() {
            let (emax, emin, eamax, eamin) = naive_row(row);
            assert!(
                max[r] == emax || (max[r].is_nan() && emax.is_nan()),
                "row {r}"
            );
            assert!(
                min[r] == emin || (min[r].is_nan() && emin.is_nan()),
                "row {r}"
            );
            assert_eq!((amax[r], amin[r]), (eamax, eamin), "row {r}");
        }
        // f16 and integers through the same kernels.
        let h = t.cast(DType::F16).unwrap();
        assert_eq!(h.argmax(1, false).unwrap().to_vec::<i64>().unwrap(), amax);
        let i = Tensor::from_vec(
            (0..3000i64).map(|i| (i * 3) % 1001).collect::<Vec<_>>(),
            [3000],
        )
        .unwrap();
        assert_eq!(i.max(&[], false).unwrap().to_scalar::<i64>().unwrap(), 1000);
        assert_eq!(i.argmax(0, false).unwrap().to_scalar::<i64>().unwrap(), 667);
        assert_eq!(i.argmin(0, false).unwrap().to_scalar::<i64>().unwrap(), 0);
    }

    #[test]
    fn argmax_paths_agree() {
        // Columns path (axis 0) and strided path (axis 1 of the transpose).
        let data: Vec<i32> = (0..300 * 50).map(|i| (i * 37) % 101).collect();
        let t = Tensor::from_vec(data.clone(), [300, 50]).unwrap();
        let a0 = t.argmax(0, false).unwrap().to_vec::<i64>().unwrap();
        let b0 = t
            .t()
            .unwrap()
            .argmax(1, false)
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        assert_eq!(a0, b0);
        for (j, &k) in a0.iter().enumerate() {
            let col: Vec<i32> = (0..300).map(|i| data[i * 50 + j]).collect();
            let max = *col.iter().max().unwrap();
            assert_eq!(k as usize, col.iter().position(|&x| x == max).unwrap());
        }
    }
}
