//! [proptest](https://docs.rs/proptest) strategies for property tests of
//! code that uses tensors: arbitrary shapes, elements and host tensors of
//! every dtype, chains of views that a test can replay with a naive
//! reference, and arguments that each break exactly one rule of a view
//! operation.
//!
//! Enabled by the `proptest` feature.
//!
//! ```
//! use proptest::prelude::*;
//! use proptest::test_runner::TestRunner;
//! use tensorbridge_core::strategies::{invalid_perms, tensors_of, views};
//!
//! let mut runner = TestRunner::default();
//! // Any f32 tensor (NaN, infinities and -0.0 included) copies out whole.
//! runner
//!     .run(&tensors_of::<f32>(), |t| {
//!         let v = t.to_vec::<f32>().unwrap();
//!         prop_assert_eq!(v.len(), t.numel());
//!         Ok(())
//!     })
//!     .unwrap();
//! // A random chain of views never addresses more elements than it shows.
//! runner
//!     .run(&views(), |chain| {
//!         let t = chain.tensor().unwrap();
//!         prop_assert_eq!(t.to_vec::<i64>().unwrap().len(), t.numel());
//!         Ok(())
//!     })
//!     .unwrap();
//! // A permutation that breaks a rule is an error, never a panic.
//! runner
//!     .run(&invalid_perms(), |case| {
//!         prop_assert!(case.tensor().transpose(&case.arg).is_err());
//!         Ok(())
//!     })
//!     .unwrap();
//! ```

use std::any::Any;

use half::{bf16, f16};
use num_complex::Complex;
use proptest::prelude::*;
use proptest::sample::select;

use crate::element::Element;
use crate::{DType, Result, Shape, SliceArg, Tensor, dtype::with_dtype};

/// Largest element count of the tensors [`tensors`] and [`tensors_of`] make.
pub const MAX_TENSOR_NUMEL: usize = 1024;

/// Largest element count of a base tensor of [`views`].
const MAX_BASE_NUMEL: usize = 360;

/// Largest element count anywhere along a chain of [`views`] (broadcasts
/// grow tensors; they stop at this size).
pub const MAX_VIEW_NUMEL: usize = 2048;

/// Most view operations in one chain of [`views`].
pub const MAX_VIEW_OPS: usize = 6;

/// Shapes of rank `0..=max_rank` with dims in `0..=max_dim`, biased towards
/// the dims that break code most often: 0 (empty) and 1 (broadcastable,
/// squeezable).
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// use tensorbridge_core::strategies::shapes;
///
/// let dims = shapes(3, 4).new_tree(&mut TestRunner::default()).unwrap().current();
/// assert!(dims.len() <= 3 && dims.iter().all(|&d| d <= 4));
/// ```
pub fn shapes(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Vec<usize>> {
    let dim = prop_oneof![
        1 => Just(0),
        2 => Just(1.min(max_dim)),
        5 => 0..=max_dim,
    ];
    proptest::collection::vec(dim, 0..=max_rank)
}

/// [`shapes`] holding at most `max_numel` elements.
fn small_shapes(max_rank: usize, max_dim: usize, max_numel: usize) -> BoxedStrategy<Vec<usize>> {
    shapes(max_rank, max_dim)
        .prop_filter("too many elements", move |d| {
            d.iter().product::<usize>() <= max_numel
        })
        .boxed()
}

/// Every [`DType`], uniformly.
pub fn dtypes() -> impl Strategy<Value = DType> {
    select(DType::ALL.to_vec())
}

/// Arbitrary elements of type `T`: for integers the extremes, 0 and ±1
/// often; for floats (f16 and bf16 included) NaN, ±inf, -0.0, subnormals
/// and the largest finite values often; for complex numbers both parts so.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// use tensorbridge_core::strategies::elements;
///
/// let mut runner = TestRunner::default();
/// let mut seen_extreme = false;
/// for _ in 0..200 {
///     let x = elements::<i8>().new_tree(&mut runner).unwrap().current();
///     seen_extreme |= x == i8::MIN || x == i8::MAX;
/// }
/// assert!(seen_extreme);
/// ```
pub fn elements<T: Element>() -> BoxedStrategy<T> {
    with_dtype!(T::DTYPE, U => <U as ArbitraryElement>::strategy()
        .prop_map(|u| {
            *(&u as &dyn Any)
                .downcast_ref::<T>()
                .expect("U is the Rust type of T::DTYPE, which is T")
        })
        .boxed())
}

/// The element strategy of each Rust element type.
trait ArbitraryElement: Element {
    fn strategy() -> BoxedStrategy<Self>;
}

impl ArbitraryElement for bool {
    fn strategy() -> BoxedStrategy<Self> {
        any::<bool>().boxed()
    }
}

macro_rules! arbitrary_int {
    ($($t:ty),*) => {$(
        impl ArbitraryElement for $t {
            fn strategy() -> BoxedStrategy<Self> {
                prop_oneof![
                    4 => any::<$t>(),
                    3 => (0 as $t)..=(9 as $t),
                    2 => select(vec![<$t>::MIN, <$t>::MAX, 0 as $t, 1 as $t,
                                     <$t>::MIN.wrapping_add(1), <$t>::MAX - 1,
                                     (0 as $t).wrapping_sub(1)]),
                ]
                .boxed()
            }
        }
    )*};
}
arbitrary_int!(u8, u16, u32, u64, i8, i16, i32, i64);

macro_rules! arbitrary_float {
    ($($t:ident),*) => {$(
        impl ArbitraryElement for $t {
            fn strategy() -> BoxedStrategy<Self> {
                prop_oneof![
                    4 => (-1000.0 as $t)..(1000.0 as $t),
                    2 => proptest::num::$t::ANY,
                    1 => select(vec![
                        $t::NAN, $t::INFINITY, $t::NEG_INFINITY, -0.0, 0.0, 1.0, -1.0,
                        $t::MAX, $t::MIN, $t::MIN_POSITIVE, $t::MIN_POSITIVE / 4.0,
                        $t::EPSILON,
                    ]),
                ]
                .boxed()
            }
        }
    )*};
}
arbitrary_float!(f32, f64);

macro_rules! arbitrary_half {
    ($($t:ident),*) => {$(
        impl ArbitraryElement for $t {
            fn strategy() -> BoxedStrategy<Self> {
                prop_oneof![
                    4 => (-1000.0f32..1000.0).prop_map($t::from_f32),
                    // Every bit pattern: subnormals and NaN payloads too.
                    2 => any::<u16>().prop_map($t::from_bits),
                    1 => select(vec![
                        $t::NAN, $t::INFINITY, $t::NEG_INFINITY, $t::NEG_ZERO, $t::ZERO,
                        $t::ONE, $t::NEG_ONE, $t::MAX, $t::MIN, $t::MIN_POSITIVE,
                        $t::MIN_POSITIVE_SUBNORMAL, $t::EPSILON,
                    ]),
                ]
                .boxed()
            }
        }
    )*};
}
arbitrary_half!(f16, bf16);

macro_rules! arbitrary_complex {
    ($($t:ident),*) => {$(
        impl ArbitraryElement for Complex<$t> {
            fn strategy() -> BoxedStrategy<Self> {
                (<$t as ArbitraryElement>::strategy(), <$t as ArbitraryElement>::strategy())
                    .prop_map(|(re, im)| Complex::new(re, im))
                    .boxed()
            }
        }
    )*};
}
arbitrary_complex!(f32, f64);

/// The elements (in C order) and dims of an arbitrary tensor of `T`: rank
/// 0–6, at most [`MAX_TENSOR_NUMEL`] elements, empty and size-1 dims often,
/// values from [`elements`]. For tests that build the tensor themselves
/// (`Tensor::from_vec(data, dims)`) and need the input to compare with.
pub fn tensor_data<T: Element>() -> impl Strategy<Value = (Vec<T>, Vec<usize>)> {
    small_shapes(6, 4, MAX_TENSOR_NUMEL).prop_flat_map(|dims| {
        let n = dims.iter().product::<usize>();
        (proptest::collection::vec(elements::<T>(), n), Just(dims))
    })
}

/// Arbitrary contiguous host tensors of `T` (see [`tensor_data`] for the
/// shapes and values).
pub fn tensors_of<T: Element>() -> impl Strategy<Value = Tensor> {
    tensor_data::<T>().prop_map(|(data, dims)| host_tensor(data, &dims))
}

/// Arbitrary contiguous host tensors of `dtype` (see [`tensor_data`] for the
/// shapes and values).
pub fn tensors(dtype: DType) -> BoxedStrategy<Tensor> {
    with_dtype!(dtype, T => tensors_of::<T>().boxed())
}

/// Arbitrary contiguous host tensors of any dtype.
pub fn any_tensors() -> impl Strategy<Value = Tensor> {
    dtypes().prop_flat_map(tensors)
}

/// A host tensor over `data` in C order; `dims` must hold `data.len()`
/// elements.
fn host_tensor<T: Element>(data: Vec<T>, dims: &[usize]) -> Tensor {
    Tensor::from_cpu_storage(T::into_storage(data), Shape::from(dims))
}

/// One O(1) view operation on a tensor, as [`views`] chains them. A test
/// replays it with [`ViewOp::apply`] on the tensor and with its own naive
/// code on a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewOp {
    /// [`Tensor::slice`] with these arguments (NumPy basic indexing).
    Slice(Vec<SliceArg>),
    /// [`Tensor::transpose`] with this permutation.
    Transpose(Vec<usize>),
    /// [`Tensor::broadcast_to`] these dims.
    BroadcastTo(Vec<usize>),
    /// [`Tensor::expand_dims`] at this axis.
    ExpandDims(isize),
    /// [`Tensor::squeeze`]: every size-1 axis dropped.
    Squeeze,
    /// [`Tensor::squeeze_axes`] with these axes (each of size 1).
    SqueezeAxes(Vec<isize>),
    /// [`Tensor::reshape`] to these dims (`None`: inferred, NumPy's -1).
    Reshape(Vec<Option<usize>>),
}

impl ViewOp {
    /// The operation applied to `t`.
    ///
    /// **Errors**: those of the operation (none for the operations
    /// [`views`] makes, which are valid for the shapes they meet).
    pub fn apply(&self, t: &Tensor) -> Result<Tensor> {
        match self {
            ViewOp::Slice(args) => t.slice(args.iter().copied()),
            ViewOp::Transpose(perm) => t.transpose(perm),
            ViewOp::BroadcastTo(dims) => t.broadcast_to(dims),
            ViewOp::ExpandDims(axis) => t.expand_dims(*axis),
            ViewOp::Squeeze => t.squeeze(),
            ViewOp::SqueezeAxes(axes) => t.squeeze_axes(axes),
            ViewOp::Reshape(dims) => t.reshape(dims.clone()),
        }
    }
}

/// A base tensor's elements and dims and a chain of view operations on it:
/// everything a test needs to compute the expected result of the chain by
/// itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewChain<T> {
    /// The base tensor's elements, in C order.
    pub data: Vec<T>,
    /// The base tensor's dims.
    pub dims: Vec<usize>,
    /// The operations, applied first to last.
    pub ops: Vec<ViewOp>,
}

impl<T: Element> ViewChain<T> {
    /// The base tensor: a contiguous host tensor of `data` with `dims`.
    pub fn base(&self) -> Tensor {
        host_tensor(self.data.clone(), &self.dims)
    }

    /// The base tensor with every operation applied.
    ///
    /// **Errors**: the first error of [`ViewOp::apply`] (none for the
    /// chains [`views`] makes).
    pub fn tensor(&self) -> Result<Tensor> {
        self.ops.iter().try_fold(self.base(), |t, op| op.apply(&t))
    }
}

/// A base tensor whose elements are their own C-order positions
/// (`0, 1, 2, ...` as `i64`, so a wrong element shows where it came from)
/// and a random chain of up to [`MAX_VIEW_OPS`] views on it: slices (negative
/// steps, out-of-range and huge bounds, integer indices, `NewAxis`),
/// transposes, broadcasts, `expand_dims`, squeezes and reshapes (with an
/// inferred dim sometimes), each valid for the shape it meets.
pub fn views() -> impl Strategy<Value = ViewChain<i64>> {
    view_chains(|n| Just((0..n as i64).collect::<Vec<_>>()).boxed())
}

/// As [`views`], with arbitrary elements of `T` (see [`elements`]).
pub fn views_of<T: Element>() -> impl Strategy<Value = ViewChain<T>> {
    view_chains(|n| proptest::collection::vec(elements::<T>(), n).boxed())
}

fn view_chains<T: Element>(
    data: fn(usize) -> BoxedStrategy<Vec<T>>,
) -> impl Strategy<Value = ViewChain<T>> {
    let seeds = proptest::collection::vec((0u8..7, any::<u64>()), 0..=MAX_VIEW_OPS);
    // Mostly non-empty bases: slices empty them often enough.
    let dim = prop_oneof![1 => Just(0usize), 4 => Just(1), 15 => 2usize..=5];
    let base = proptest::collection::vec(dim, 0..=4).prop_filter("too many elements", |d| {
        d.iter().product::<usize>() <= MAX_BASE_NUMEL
    });
    (base, seeds).prop_flat_map(move |(dims, seeds)| {
        let n = dims.iter().product::<usize>();
        let ops = ops_from_seeds(&dims, &seeds);
        (data(n), Just(dims), Just(ops)).prop_map(|(data, dims, ops)| ViewChain { data, dims, ops })
    })
}

/// SplitMix64: the randomness of one operation, from its seed (so that
/// proptest shrinks an operation by shrinking its seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn shuffle<U>(&mut self, v: &mut [U]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// The operations the seeds pick, each made valid for the dims it meets.
fn ops_from_seeds(dims: &[usize], seeds: &[(u8, u64)]) -> Vec<ViewOp> {
    let mut dims = dims.to_vec();
    let mut ops = Vec::with_capacity(seeds.len());
    for &(kind, seed) in seeds {
        let mut rng = Rng(seed);
        let (op, next) = match kind {
            0 => slice_op(&dims, &mut rng),
            1 => {
                let mut perm: Vec<usize> = (0..dims.len()).collect();
                rng.shuffle(&mut perm);
                let next = perm.iter().map(|&p| dims[p]).collect();
                (ViewOp::Transpose(perm), next)
            }
            2 => broadcast_op(&dims, &mut rng),
            3 => {
                let rank = dims.len() as i64;
                let axis = rng.between(-rank - 1, rank);
                let at = if axis < 0 { axis + rank + 1 } else { axis } as usize;
                let mut next = dims.clone();
                next.insert(at, 1);
                (ViewOp::ExpandDims(axis as isize), next)
            }
            4 => {
                let next = dims.iter().copied().filter(|&d| d != 1).collect();
                (ViewOp::Squeeze, next)
            }
            5 => squeeze_axes_op(&dims, &mut rng),
            _ => reshape_op(&dims, &mut rng),
        };
        ops.push(op);
        dims = next;
    }
    ops
}

/// NumPy's length of `start:stop:step` on an axis of `n`.
fn range_len(start: Option<isize>, stop: Option<isize>, step: isize, n: usize) -> usize {
    let (n, step) = (n as i128, step as i128);
    let norm = |v: isize, lo: i128, hi: i128| {
        let v = v as i128;
        (if v < 0 { v + n } else { v }).clamp(lo, hi)
    };
    let (first, end) = if step > 0 {
        (
            start.map_or(0, |s| norm(s, 0, n)),
            stop.map_or(n, |s| norm(s, 0, n)),
        )
    } else {
        (
            start.map_or(n - 1, |s| norm(s, -1, n - 1)),
            stop.map_or(-1, |s| norm(s, -1, n - 1)),
        )
    };
    let span = if step > 0 { end - first } else { first - end };
    if span <= 0 {
        0
    } else {
        ((span + step.abs() - 1) / step.abs()) as usize
    }
}

fn slice_op(dims: &[usize], rng: &mut Rng) -> (ViewOp, Vec<usize>) {
    let consumed = rng.below(dims.len() + 1);
    let mut args = Vec::new();
    let mut next = Vec::new();
    for &n in &dims[..consumed] {
        while rng.chance(6) {
            args.push(SliceArg::NewAxis);
            next.push(1);
        }
        if n > 0 && rng.chance(4) {
            let i = rng.between(-(n as i64), n as i64 - 1) as isize;
            args.push(SliceArg::Index(i));
            continue;
        }
        let bound = |rng: &mut Rng| match rng.below(10) {
            0..=4 => None,
            5 => Some(if rng.chance(2) {
                isize::MIN
            } else {
                isize::MAX
            }),
            _ => Some(rng.between(-(n as i64) - 2, n as i64 + 2) as isize),
        };
        let (mut start, mut stop) = (bound(rng), bound(rng));
        let step = [1, 1, 1, 1, 2, 3, -1, -1, -2, -3][rng.below(10)];
        if range_len(start, stop, step, n) == 0 && !rng.chance(3) {
            // Empty results are common enough; most get the bounds swapped.
            std::mem::swap(&mut start, &mut stop);
        }
        args.push(SliceArg::range(start, stop, step));
        next.push(range_len(start, stop, step, n));
    }
    if rng.chance(4) {
        args.push(SliceArg::NewAxis);
        next.push(1);
    }
    next.extend_from_slice(&dims[consumed..]);
    (ViewOp::Slice(args), next)
}

fn broadcast_op(dims: &[usize], rng: &mut Rng) -> (ViewOp, Vec<usize>) {
    // New and stretched dims: 0 now and then, 1 to 3 mostly.
    let stretch = |rng: &mut Rng| if rng.chance(10) { 0 } else { 1 + rng.below(3) };
    let mut target: Vec<usize> = (0..rng.below(3)).map(|_| stretch(rng)).collect();
    for &d in dims {
        target.push(if d == 1 && rng.chance(2) {
            stretch(rng)
        } else {
            d
        });
    }
    if target.iter().product::<usize>() > MAX_VIEW_NUMEL {
        target = dims.to_vec();
    }
    (ViewOp::BroadcastTo(target.clone()), target)
}

fn squeeze_axes_op(dims: &[usize], rng: &mut Rng) -> (ViewOp, Vec<usize>) {
    let rank = dims.len() as isize;
    let mut axes = Vec::new();
    let mut next = Vec::new();
    for (a, &d) in dims.iter().enumerate() {
        if d == 1 && rng.chance(2) {
            let a = a as isize;
            axes.push(if rng.chance(2) { a - rank } else { a });
        } else {
            next.push(d);
        }
    }
    rng.shuffle(&mut axes);
    (ViewOp::SqueezeAxes(axes), next)
}

fn reshape_op(dims: &[usize], rng: &mut Rng) -> (ViewOp, Vec<usize>) {
    let numel: usize = dims.iter().product();
    let rank = rng.below(6);
    let mut next: Vec<usize> = if numel == 0 {
        let mut d: Vec<usize> = (0..rank.max(1)).map(|_| rng.below(4)).collect();
        let zero = rng.below(d.len());
        d[zero] = 0;
        d
    } else if rank == 0 && numel == 1 {
        Vec::new()
    } else {
        // Split `numel` into `rank` (at least 1) random factors.
        let rank = rank.max(1);
        let mut rest = numel;
        let mut d = Vec::with_capacity(rank);
        for _ in 1..rank {
            let divisors: Vec<usize> = (1..=rest).filter(|k| rest % k == 0).collect();
            let k = divisors[rng.below(divisors.len())];
            d.push(k);
            rest /= k;
        }
        d.push(rest);
        rng.shuffle(&mut d);
        d
    };
    if next.iter().product::<usize>() != numel {
        // Only an all-1 target can miss here (rank 0 with numel != 1).
        next = vec![numel];
    }
    let mut spec: Vec<Option<usize>> = next.iter().map(|&d| Some(d)).collect();
    if !spec.is_empty() && rng.chance(3) {
        let u = rng.below(spec.len());
        // Inferring a dim needs the others' product to be non-zero.
        if next.iter().enumerate().all(|(i, &d)| i == u || d != 0) {
            spec[u] = None;
        }
    }
    (ViewOp::Reshape(spec), next)
}

/// The rule an argument of an `invalid_*` strategy breaks (exactly one of
/// its operation's rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// Reshape: the target holds another number of elements.
    ReshapeCount,
    /// Reshape: two or more dims are left to infer.
    ReshapeTwoInferred,
    /// Transpose: the permutation has another length than the rank.
    PermLength,
    /// Transpose: the permutation names an axis `>= rank`.
    PermOutOfRange,
    /// Transpose: the permutation names an axis twice.
    PermRepeated,
    /// Slice: a range has step 0.
    SliceZeroStep,
    /// Slice: more indices and ranges than axes.
    SliceTooManyIndices,
    /// Slice: an integer index outside its axis.
    SliceIndexOutOfRange,
    /// Broadcast: a dim is neither 1 nor the target's.
    BroadcastDim,
    /// Broadcast: the target has fewer dims than the tensor.
    BroadcastRank,
    /// Squeeze: an axis of a size other than 1.
    SqueezeNotOne,
    /// Squeeze: an axis named twice.
    SqueezeRepeated,
    /// Squeeze or expand_dims: an axis out of range.
    AxisOutOfRange,
}

/// A tensor's dims and an argument that breaks exactly one rule of an
/// operation on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid<A> {
    /// The dims of the tensor the argument is given to.
    pub dims: Vec<usize>,
    /// The invalid argument.
    pub arg: A,
    /// The rule it breaks.
    pub broken: Broken,
}

impl<A> Invalid<A> {
    /// A host tensor of `u8` zeros with [`Invalid::dims`].
    pub fn tensor(&self) -> Tensor {
        let n = self.dims.iter().product();
        host_tensor(vec![0u8; n], &self.dims)
    }
}

/// Dims with at least one axis, for the rules that need one.
fn invalid_base() -> BoxedStrategy<Vec<usize>> {
    small_shapes(4, 5, MAX_BASE_NUMEL)
        .prop_filter("rank 0", |d| !d.is_empty())
        .boxed()
}

/// Reshape targets that break one rule: the wrong element count, or two
/// (or more) inferred dims.
pub fn invalid_reshapes() -> impl Strategy<Value = Invalid<Vec<Option<usize>>>> {
    (small_shapes(4, 5, MAX_BASE_NUMEL), any::<u64>()).prop_map(|(dims, seed)| {
        let mut rng = Rng(seed);
        let numel: usize = dims.iter().product();
        if rng.chance(3) {
            // Two or more unknowns among dims whose count would otherwise fit.
            let mut spec: Vec<Option<usize>> = vec![None, None];
            spec.extend((0..rng.below(3)).map(|_| Some(1)));
            if rng.chance(2) {
                spec.push(None);
            }
            rng.shuffle(&mut spec);
            return Invalid {
                dims,
                arg: spec,
                broken: Broken::ReshapeTwoInferred,
            };
        }
        let spec = if rng.chance(2) {
            // Known dims only, another count.
            let wrong = if numel == 0 {
                1 + rng.below(5)
            } else {
                numel + 1 + rng.below(numel)
            };
            let mut spec = vec![Some(wrong)];
            spec.extend((0..rng.below(3)).map(|_| Some(1)));
            rng.shuffle(&mut spec);
            spec
        } else {
            // One unknown dim, the known ones not dividing the count (or 0).
            let known = if numel == 0 {
                0
            } else {
                numel + 1 + rng.below(3)
            };
            let mut spec = vec![None, Some(known)];
            rng.shuffle(&mut spec);
            spec
        };
        Invalid {
            dims,
            arg: spec,
            broken: Broken::ReshapeCount,
        }
    })
}

/// Transpose permutations that break one rule: the wrong length (a
/// permutation of fewer axes), an axis out of range, or an axis repeated.
pub fn invalid_perms() -> impl Strategy<Value = Invalid<Vec<usize>>> {
    (invalid_base(), any::<u64>()).prop_map(|(dims, seed)| {
        let mut rng = Rng(seed);
        let rank = dims.len();
        let mut perm: Vec<usize> = (0..rank).collect();
        rng.shuffle(&mut perm);
        let broken = match rng.below(3) {
            0 => {
                perm.pop();
                Broken::PermLength
            }
            1 if rank >= 2 => {
                let (i, j) = (rng.below(rank), rng.below(rank - 1));
                let j = if j >= i { j + 1 } else { j };
                perm[i] = perm[j];
                Broken::PermRepeated
            }
            _ => {
                // Out of range in place of the axis it hides; still distinct.
                let i = rng.below(rank);
                perm[i] = rank + rng.below(3);
                Broken::PermOutOfRange
            }
        };
        Invalid {
            dims,
            arg: perm,
            broken,
        }
    })
}

/// Slicing arguments that break one rule: a zero step, more indices than
/// axes, or an integer index outside its axis.
pub fn invalid_slices() -> impl Strategy<Value = Invalid<Vec<SliceArg>>> {
    (invalid_base(), any::<u64>()).prop_map(|(dims, seed)| {
        let mut rng = Rng(seed);
        let rank = dims.len();
        let mut args = vec![SliceArg::FULL; rank];
        let broken = match rng.below(3) {
            0 => {
                let a = rng.below(rank);
                args[a] = SliceArg::range(None, None, 0);
                args.truncate(a + 1 + rng.below(rank - a));
                Broken::SliceZeroStep
            }
            1 => {
                args.extend((0..1 + rng.below(3)).map(|_| SliceArg::FULL));
                Broken::SliceTooManyIndices
            }
            _ => {
                let a = rng.below(rank);
                let n = dims[a] as isize;
                let i = if rng.chance(2) {
                    n + rng.below(3) as isize
                } else {
                    -n - 1 - rng.below(3) as isize
                };
                args[a] = SliceArg::Index(i);
                args.truncate(a + 1 + rng.below(rank - a));
                Broken::SliceIndexOutOfRange
            }
        };
        if rng.chance(3) {
            args.insert(rng.below(args.len() + 1), SliceArg::NewAxis);
        }
        Invalid {
            dims,
            arg: args,
            broken,
        }
    })
}

/// Broadcast targets that break NumPy's rule: a dim that is neither 1 nor
/// the target's, or fewer dims than the tensor has.
pub fn invalid_broadcasts() -> impl Strategy<Value = Invalid<Vec<usize>>> {
    (invalid_base(), any::<u64>()).prop_map(|(dims, seed)| {
        let mut rng = Rng(seed);
        let rank = dims.len();
        let not_one: Vec<usize> = (0..rank).filter(|&a| dims[a] != 1).collect();
        if not_one.is_empty() || rng.chance(3) {
            // Fewer dims than the tensor: no dim can line up with the first.
            return Invalid {
                arg: dims[1..].to_vec(),
                dims,
                broken: Broken::BroadcastRank,
            };
        }
        let a = not_one[rng.below(not_one.len())];
        let mut target: Vec<usize> = (0..rng.below(3)).map(|_| rng.below(4)).collect();
        let lead = target.len();
        target.extend_from_slice(&dims);
        let d = dims[a];
        target[lead + a] = loop {
            let t = rng.below(d + 3);
            if t != d && t != 1 {
                break t;
            }
        };
        Invalid {
            dims,
            arg: target,
            broken: Broken::BroadcastDim,
        }
    })
}

/// `squeeze_axes` arguments that break one rule: an axis of a size other
/// than 1, an axis named twice, or an axis out of range.
pub fn invalid_squeezes() -> impl Strategy<Value = Invalid<Vec<isize>>> {
    (small_shapes(4, 5, MAX_BASE_NUMEL), any::<u64>()).prop_map(|(dims, seed)| {
        let mut rng = Rng(seed);
        let rank = dims.len() as isize;
        let ones: Vec<isize> = (0..rank).filter(|&a| dims[a as usize] == 1).collect();
        let not_one: Vec<isize> = (0..rank).filter(|&a| dims[a as usize] != 1).collect();
        let (axes, broken) = match rng.below(3) {
            0 if !not_one.is_empty() => {
                let a = not_one[rng.below(not_one.len())];
                (
                    vec![if rng.chance(2) { a - rank } else { a }],
                    Broken::SqueezeNotOne,
                )
            }
            1 if !ones.is_empty() => {
                let a = ones[rng.below(ones.len())];
                (vec![a, a - rank], Broken::SqueezeRepeated)
            }
            _ => {
                let k = rng.below(3) as isize;
                (
                    vec![if rng.chance(2) {
                        rank + k
                    } else {
                        -rank - 1 - k
                    }],
                    Broken::AxisOutOfRange,
                )
            }
        };
        Invalid {
            dims,
            arg: axes,
            broken,
        }
    })
}

/// `expand_dims` axes out of range: above `rank` or below `-(rank + 1)`.
pub fn invalid_expand_dims() -> impl Strategy<Value = Invalid<isize>> {
    (small_shapes(4, 5, MAX_BASE_NUMEL), any::<bool>(), 0isize..3).prop_map(|(dims, above, k)| {
        let rank = dims.len() as isize;
        let axis = if above { rank + 1 + k } else { -rank - 2 - k };
        Invalid {
            dims,
            arg: axis,
            broken: Broken::AxisOutOfRange,
        }
    })
}

/// Shapes whose element count does not fit in `usize`: the product of
/// their dims overflows. None of them has a zero dim.
pub fn overflowing_shapes() -> impl Strategy<Value = Vec<usize>> {
    (
        proptest::collection::vec(1usize..=4, 0..3),
        proptest::collection::vec(1usize << 22..=1 << 40, 2..=4),
        any::<u64>(),
    )
        .prop_filter_map("fits", |(small, big, seed)| {
            let mut dims = small;
            dims.extend(big);
            Rng(seed).shuffle(&mut dims);
            dims.iter()
                .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                .is_none()
                .then_some(dims)
        })
}
