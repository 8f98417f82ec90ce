//! Reduction suite: `sum mean prod max min argmax argmin all any` over any
//! set of axes, and `cumsum`/`cumprod`, against naive references written
//! here (index by index, through ndarray views of the inputs), over random
//! shapes (rank 0–5, empty and size-1 dims), random axis sets (negative,
//! unordered, empty = all), `keepdims` both ways, and transposed, reversed,
//! stepped, offset and broadcast views as inputs.

use std::fmt::Debug;

use ndarray::Dimension;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use tensorbridge::prelude::*;
use tensorbridge::{Complex, bf16, f16};
use tensorbridge_tests::{for_each_device, here, on_each_device};

// ---------------------------------------------------------------------------
// Inputs.

/// A base tensor's elements and dims, a chain of view seeds, an axis-set
/// seed and `keepdims`.
#[derive(Debug, Clone)]
struct Input<T> {
    data: Vec<T>,
    dims: Vec<usize>,
    views: Vec<(u8, u64)>,
    axes: (u64, u64, u64),
    keepdims: bool,
}

/// A small deterministic generator for the choices a seed stands for.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }
}

fn permutation(rank: usize, seed: u64) -> Vec<usize> {
    let mut g = Lcg(seed);
    let mut p: Vec<usize> = (0..rank).collect();
    for i in (1..rank).rev() {
        p.swap(i, g.next(i + 1));
    }
    p
}

/// One full axis, `:`.
fn full(n: usize) -> Vec<SliceArg> {
    vec![SliceArg::FULL; n]
}

/// `input`'s tensor made on the host, for the references.
fn host_tensor<T: Element>(input: &Input<T>) -> Tensor {
    let _cpu = Device::Cpu.scope();
    input.tensor()
}

impl<T: Element> Input<T> {
    /// The base tensor with the views applied.
    fn tensor(&self) -> Tensor {
        let mut t = Tensor::from_vec(self.data.clone(), self.dims.clone()).unwrap();
        for &(kind, seed) in &self.views {
            let rank = t.rank();
            let mut g = Lcg(seed);
            t = match kind {
                0 => t.transpose(&permutation(rank, seed)).unwrap(),
                1..=3 if rank > 0 => {
                    let axis = g.next(rank);
                    let arg = match kind {
                        1 => SliceArg::range(None, None, -1),
                        2 => SliceArg::range(Some(g.next(2) as isize), None, 2),
                        _ => SliceArg::range(Some(1), None, if g.next(2) == 0 { 1 } else { -1 }),
                    };
                    let mut args = full(axis);
                    args.push(arg);
                    t.slice(args).unwrap()
                }
                4 if rank < 5 && t.numel() <= 700 => {
                    let axis = g.next(rank + 1);
                    let mut dims = t.dims().to_vec();
                    dims.insert(axis, 1 + g.next(3));
                    t.expand_dims(axis as isize)
                        .unwrap()
                        .broadcast_to(dims)
                        .unwrap()
                }
                _ => t,
            };
        }
        t
    }

    /// The axes to reduce for a tensor of `rank`: a subset, some negative,
    /// in random order (empty means every axis).
    fn axes(&self, rank: usize) -> Vec<isize> {
        let (pick, neg, order) = self.axes;
        let mut axes: Vec<isize> = (0..rank)
            .filter(|a| pick >> a & 1 == 1)
            .map(|a| {
                if neg >> a & 1 == 1 {
                    a as isize - rank as isize
                } else {
                    a as isize
                }
            })
            .collect();
        let p = permutation(axes.len(), order);
        axes = p.iter().map(|&i| axes[i]).collect();
        axes
    }
}

fn shapes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(
        prop_oneof![1 => Just(0usize), 2 => Just(1), 6 => 2usize..=4],
        0..=5,
    )
}

fn inputs<T: Debug + Clone + 'static>(elem: BoxedStrategy<T>) -> BoxedStrategy<Input<T>> {
    (
        shapes(),
        prop::collection::vec((0u8..5, any::<u64>()), 0..=3),
        any::<(u64, u64, u64)>(),
        any::<bool>(),
    )
        .prop_flat_map(move |(dims, views, axes, keepdims)| {
            let n = dims.iter().product::<usize>();
            (
                prop::collection::vec(elem.clone(), n),
                Just(dims),
                Just(views),
                Just(axes),
                Just(keepdims),
            )
        })
        .prop_map(|(data, dims, views, axes, keepdims)| Input {
            data,
            dims,
            views,
            axes,
            keepdims,
        })
        .boxed()
}

// ---------------------------------------------------------------------------
// The naive reference: every element with its index, and where it lands.

/// Every element of `t` with its index, in C order (through ndarray).
fn elements<T: Element>(t: &Tensor) -> Vec<(Vec<usize>, T)> {
    t.view::<T>()
        .unwrap()
        .indexed_iter()
        .map(|(i, &x)| (i.as_array_view().to_vec(), x))
        .collect()
}

/// Which axes `axes` reduces (empty: all), by the documented rules.
fn mask_of(axes: &[isize], rank: usize) -> Vec<bool> {
    let mut mask = vec![axes.is_empty(); rank];
    for &a in axes {
        let a = if a < 0 { a + rank as isize } else { a };
        mask[a as usize] = true;
    }
    mask
}

fn expected_dims(dims: &[usize], mask: &[bool], keepdims: bool) -> Vec<usize> {
    let mut out = Vec::new();
    for (&d, &m) in dims.iter().zip(mask) {
        if !m {
            out.push(d);
        } else if keepdims {
            out.push(1);
        }
    }
    out
}

/// C-order position of the output that element `index` reduces into.
fn out_pos(index: &[usize], dims: &[usize], mask: &[bool]) -> usize {
    let mut o = 0;
    for ((&i, &d), &m) in index.iter().zip(dims).zip(mask) {
        if !m {
            o = o * d + i;
        }
    }
    o
}

/// Folds every element into its output with `f`, from `init`.
fn fold_ref<T: Element, A: Clone>(
    t: &Tensor,
    mask: &[bool],
    init: A,
    mut f: impl FnMut(&mut A, T),
) -> Vec<A> {
    let out_n: usize = expected_dims(t.dims(), mask, false).iter().product();
    let mut out = vec![init; out_n];
    for (i, x) in elements::<T>(t) {
        f(&mut out[out_pos(&i, t.dims(), mask)], x);
    }
    out
}

/// Number of elements reduced into each output.
fn reduced_count(dims: &[usize], mask: &[bool]) -> usize {
    dims.iter()
        .zip(mask)
        .filter(|(_, m)| **m)
        .map(|(d, _)| d)
        .product()
}

// ---------------------------------------------------------------------------
// Element kinds.

trait IntElem: Element {
    fn to_i128(self) -> i128;
    fn wrap(v: i128) -> Self;
}
macro_rules! int_elem {
    ($($t:ty),*) => {$(
        impl IntElem for $t {
            fn to_i128(self) -> i128 { self as i128 }
            fn wrap(v: i128) -> Self { v as $t }
        }
    )*};
}
int_elem!(u8, u16, u32, u64, i8, i16, i32, i64);

trait FloatElem: Element {
    /// Machine epsilon of the accumulator (f32 for f16/bf16).
    const EPS_ACC: f64;
    /// Machine epsilon of the type itself.
    const EPS: f64;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
}
macro_rules! float_elem {
    ($($t:ty => $acc:expr, $eps:expr, |$x:ident| $to:expr, |$v:ident| $from:expr;)*) => {$(
        impl FloatElem for $t {
            const EPS_ACC: f64 = $acc;
            const EPS: f64 = $eps;
            fn to_f64(self) -> f64 { let $x = self; $to }
            fn from_f64(v: f64) -> Self { let $v = v; $from }
        }
    )*};
}
float_elem! {
    f16 => f32::EPSILON as f64, 0.0009765625, |x| x.to_f64(), |v| f16::from_f64(v);
    bf16 => f32::EPSILON as f64, 0.0078125, |x| x.to_f64(), |v| bf16::from_f64(v);
    f32 => f32::EPSILON as f64, f32::EPSILON as f64, |x| x as f64, |v| v as f32;
    f64 => f64::EPSILON, f64::EPSILON, |x| x, |v| v;
}

/// Finite floats with fractional parts, small enough that no sum of 2048
/// of them overflows f16.
fn float_values<T: FloatElem>() -> BoxedStrategy<T> {
    prop_oneof![
        (-64i32..=64).prop_map(|i| T::from_f64(i as f64 / 8.0)),
        (-15.0f64..15.0).prop_map(T::from_f64),
    ]
    .boxed()
}

/// Floats for max/min/argmax: also NaN, infinities and signed zeros.
fn float_specials<T: FloatElem>() -> BoxedStrategy<T> {
    prop_oneof![
        8 => float_values::<T>(),
        1 => Just(T::from_f64(f64::NAN)),
        1 => prop_oneof![
            Just(T::from_f64(f64::INFINITY)),
            Just(T::from_f64(f64::NEG_INFINITY)),
            Just(T::from_f64(-0.0)),
            Just(T::from_f64(0.0)),
        ],
    ]
    .boxed()
}

fn int_values<T: IntElem + Arbitrary>() -> BoxedStrategy<T> {
    any::<T>().boxed()
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Checks.

/// The result's dims and elements.
fn result<O: Element>(r: Result<Tensor>) -> (Vec<usize>, Vec<O>) {
    let r = r.unwrap();
    (r.dims().to_vec(), r.to_vec::<O>().unwrap())
}

fn check_int_sum_prod<T: IntElem>(input: &Input<T>) -> Result<(), TestCaseError> {
    // The references from the host tensor; the results on every device (the
    // input made under each device's scope, its views taken there).
    let host = {
        let _cpu = Device::Cpu.scope();
        input.tensor()
    };
    let axes = input.axes(host.rank());
    let mask = mask_of(&axes, host.rank());
    let dims = expected_dims(host.dims(), &mask, input.keepdims);
    let sum = fold_ref::<T, i128>(&host, &mask, 0, |a, x| *a = a.wrapping_add(x.to_i128()));
    let prod = fold_ref::<T, i128>(&host, &mask, 1, |a, x| *a = a.wrapping_mul(x.to_i128()));
    let n = reduced_count(host.dims(), &mask);
    let abs = fold_ref::<T, f64>(&host, &mask, 0.0, |a, x| *a += (x.to_i128() as f64).abs());
    on_each_device(|device| {
        let t = input.tensor();
        prop_assert_eq!(t.device(), device);
        let (d, got) = result::<T>(t.sum(&axes, input.keepdims));
        prop_assert_eq!(&d, &dims);
        prop_assert_eq!(got, sum.iter().map(|&s| T::wrap(s)).collect::<Vec<_>>());
        let (d, got) = result::<T>(t.prod(&axes, input.keepdims));
        prop_assert_eq!(&d, &dims);
        prop_assert_eq!(got, prod.iter().map(|&s| T::wrap(s)).collect::<Vec<_>>());
        // mean: f64 (NumPy's rule), each element rounded to f64 and summed:
        // within (n + 1)·ε·Σ|x| / n of the exact mean.
        let m = t.mean(&axes, input.keepdims).unwrap();
        prop_assert_eq!(m.dtype(), DType::F64);
        prop_assert_eq!(m.dims(), &dims[..]);
        for ((g, s), a) in m.to_vec::<f64>().unwrap().iter().zip(&sum).zip(&abs) {
            if n == 0 {
                prop_assert!(g.is_nan(), "mean of nothing is NaN, got {}", g);
                continue;
            }
            let expected = *s as f64 / n as f64;
            let tol = (n + 1) as f64 * f64::EPSILON * a / n as f64 + expected.abs() * f64::EPSILON;
            prop_assert!((g - expected).abs() <= tol, "mean {} vs {}", g, expected);
        }
        Ok(())
    })
}

fn check_float_sum_mean<T: FloatElem>(input: &Input<T>) -> Result<(), TestCaseError> {
    // The reference from the host tensor, the results on every device
    // (the input made under the device's scope, its views taken there).
    on_each_device(|device| {
        let host = host_tensor(input);
        let t = input.tensor();
        prop_assert_eq!(t.device(), device);
        let axes = input.axes(t.rank());
        let mask = mask_of(&axes, t.rank());
        let dims = expected_dims(t.dims(), &mask, input.keepdims);
        let n = reduced_count(t.dims(), &mask);
        let sums = fold_ref::<T, (f64, f64)>(&host, &mask, (0.0, 0.0), |a, x| {
            a.0 += x.to_f64();
            a.1 += x.to_f64().abs();
        });
        let (d, got) = result::<T>(t.sum(&axes, input.keepdims));
        prop_assert_eq!(&d, &dims);
        prop_assert_eq!(t.sum(&axes, false).unwrap().dtype(), T::DTYPE);
        for (g, &(s, abs)) in got.iter().zip(&sums) {
            // Accumulation error n·ε·Σ|x|, then one rounding to the dtype.
            let tol = n as f64 * T::EPS_ACC * abs + s.abs() * T::EPS;
            prop_assert!(
                (g.to_f64() - s).abs() <= tol,
                "sum {} vs {} (tol {})",
                g,
                s,
                tol
            );
        }
        let (d, got) = result::<T>(t.mean(&axes, input.keepdims));
        prop_assert_eq!(&d, &dims);
        for (g, &(s, abs)) in got.iter().zip(&sums) {
            let g = g.to_f64();
            if n == 0 {
                prop_assert!(g.is_nan(), "mean of nothing is NaN, got {}", g);
                continue;
            }
            let expected = s / n as f64;
            let tol = (T::EPS_ACC * abs + expected.abs() * (T::EPS + T::EPS_ACC)) * 2.0;
            prop_assert!((g - expected).abs() <= tol, "mean {} vs {}", g, expected);
        }
        Ok(())
    })
}

/// Products of ±2^k are exact in every float dtype (until they overflow,
/// which the reference does the same way).
fn check_float_prod<T: FloatElem>(input: &Input<T>) -> Result<(), TestCaseError> {
    // The reference from the host tensor, the results on every device
    // (the input made under the device's scope, its views taken there).
    on_each_device(|device| {
        let host = host_tensor(input);
        let t = input.tensor();
        prop_assert_eq!(t.device(), device);
        let axes = input.axes(t.rank());
        let mask = mask_of(&axes, t.rank());
        let prod = fold_ref::<T, f64>(&host, &mask, 1.0, |a, x| *a *= x.to_f64());
        let (d, got) = result::<T>(t.prod(&axes, input.keepdims));
        prop_assert_eq!(d, expected_dims(t.dims(), &mask, input.keepdims));
        // Through f32 for f16/bf16: the accumulator saturates there first.
        let expected: Vec<T> = prod
            .iter()
            .map(|&p| {
                if T::EPS_ACC == f32::EPSILON as f64 {
                    T::from_f64(p as f32 as f64)
                } else {
                    T::from_f64(p)
                }
            })
            .collect();
        prop_assert_eq!(got, expected);
        Ok(())
    })
}

fn powers_of_two<T: FloatElem>() -> BoxedStrategy<T> {
    (
        prop::sample::select(vec![0.25, 0.5, 1.0, 2.0, 4.0]),
        any::<bool>(),
    )
        .prop_map(|(v, neg)| T::from_f64(if neg { -v } else { v }))
        .boxed()
}

fn check_max_min<T: Element + PartialOrd>(
    input: &Input<T>,
    is_nan: fn(T) -> bool,
) -> Result<(), TestCaseError> {
    // The reference from the host tensor, the results on every device
    // (the input made under the device's scope, its views taken there).
    on_each_device(|device| {
        let host = host_tensor(input);
        let t = input.tensor();
        prop_assert_eq!(t.device(), device);
        let axes = input.axes(t.rank());
        let mask = mask_of(&axes, t.rank());
        let empty_axis = t.dims().iter().zip(&mask).position(|(&d, &m)| m && d == 0);
        for max in [true, false] {
            let r = if max {
                t.max(&axes, input.keepdims)
            } else {
                t.min(&axes, input.keepdims)
            };
            if let Some(axis) = empty_axis {
                let e = r.unwrap_err();
                let is_invalid = matches!(e, Error::InvalidArgument { .. });
                prop_assert!(is_invalid);
                let needle = format!("axis {axis} has size 0");
                prop_assert!(e.to_string().contains(&needle), "{}", e);
                continue;
            }
            let expected = fold_ref::<T, Option<T>>(&host, &mask, None, |a, x| {
                *a = Some(match *a {
                    None => x,
                    Some(b) if is_nan(b) => b,
                    Some(_) if is_nan(x) => x,
                    Some(b) if (max && x > b) || (!max && x < b) => x,
                    Some(b) => b,
                });
            });
            let (d, got) = result::<T>(r);
            prop_assert_eq!(d, expected_dims(t.dims(), &mask, input.keepdims));
            prop_assert_eq!(got.len(), expected.len());
            for (g, e) in got.iter().zip(&expected) {
                let e = e.expect("non-empty reduction");
                prop_assert!(
                    (is_nan(*g) && is_nan(e)) || *g == e,
                    "{} {:?} vs {:?}",
                    if max { "max" } else { "min" },
                    g,
                    e
                );
            }
        }
        Ok(())
    })
}

fn check_argmax_argmin<T: Element + PartialOrd>(
    input: &Input<T>,
    is_nan: fn(T) -> bool,
) -> Result<(), TestCaseError> {
    // The reference from the host tensor, the results on every device
    // (the input made under the device's scope, its views taken there).
    on_each_device(|device| {
        let host = host_tensor(input);
        let t = input.tensor();
        prop_assert_eq!(t.device(), device);
        if t.rank() == 0 {
            prop_assert!(t.argmax(0, false).is_err());
            return Ok(());
        }
        let axis = (input.axes.0 % t.rank() as u64) as usize;
        let arg = if input.axes.1 & 1 == 1 {
            axis as isize - t.rank() as isize
        } else {
            axis as isize
        };
        let mut mask = vec![false; t.rank()];
        mask[axis] = true;
        for max in [true, false] {
            let r = if max {
                t.argmax(arg, input.keepdims)
            } else {
                t.argmin(arg, input.keepdims)
            };
            if t.dims()[axis] == 0 {
                let e = r.unwrap_err();
                let needle = format!("axis {axis} has size 0");
                prop_assert!(e.to_string().contains(&needle), "{}", e);
                continue;
            }
            // A direct reference: for each output, walk the axis by index.
            let v = host.view::<T>().unwrap();
            let out_dims = expected_dims(t.dims(), &mask, false);
            let out_n: usize = out_dims.iter().product();
            let mut reference = Vec::with_capacity(out_n);
            for o in 0..out_n {
                let mut index = vec![0usize; t.rank()];
                let mut rest = o;
                for a in (0..t.rank()).rev() {
                    if a != axis {
                        index[a] = rest % t.dims()[a];
                        rest /= t.dims()[a];
                    }
                }
                let mut best_k = 0;
                for k in 0..t.dims()[axis] {
                    index[axis] = k;
                    let x = v[&index[..]];
                    index[axis] = best_k;
                    let b = v[&index[..]];
                    if k == 0 || is_nan(b) {
                        continue;
                    }
                    if is_nan(x) || (max && x > b) || (!max && x < b) {
                        best_k = k;
                    }
                }
                reference.push(best_k as i64);
            }
            let (d, got) = result::<i64>(r);
            prop_assert_eq!(d, expected_dims(t.dims(), &mask, input.keepdims));
            prop_assert_eq!(got, reference);
        }
        Ok(())
    })
}

fn check_all_any<T: Element>(input: &Input<T>, truth: fn(T) -> bool) -> Result<(), TestCaseError> {
    // The reference from the host tensor, the results on every device
    // (the input made under the device's scope, its views taken there).
    on_each_device(|device| {
        let host = host_tensor(input);
        let t = input.tensor();
        prop_assert_eq!(t.device(), device);
        let axes = input.axes(t.rank());
        let mask = mask_of(&axes, t.rank());
        let dims = expected_dims(t.dims(), &mask, input.keepdims);
        let all = fold_ref::<T, bool>(&host, &mask, true, |a, x| *a = *a && truth(x));
        let any = fold_ref::<T, bool>(&host, &mask, false, |a, x| *a = *a || truth(x));
        let (d, got) = result::<bool>(t.all(&axes, input.keepdims));
        prop_assert_eq!(&d, &dims);
        prop_assert_eq!(got, all);
        let (d, got) = result::<bool>(t.any(&axes, input.keepdims));
        prop_assert_eq!(&d, &dims);
        prop_assert_eq!(got, any);
        Ok(())
    })
}

/// The reference running sum or product of element `index` along `axis`.
fn scan_ref<A: Copy>(
    v: &ndarray::ArrayViewD<'_, A>,
    index: &[usize],
    axis: usize,
    exclusive: bool,
    reverse: bool,
    init: A,
    f: impl Fn(A, A) -> A,
) -> A {
    let n = v.shape()[axis];
    let k = index[axis];
    let range: Vec<usize> = match (reverse, exclusive) {
        (false, false) => (0..=k).collect(),
        (false, true) => (0..k).collect(),
        (true, false) => (k..n).collect(),
        (true, true) => (k + 1..n).collect(),
    };
    let mut j = index.to_vec();
    range.into_iter().fold(init, |a, i| {
        j[axis] = i;
        f(a, v[&j[..]])
    })
}

fn check_int_scan<T: IntElem>(input: &Input<T>) -> Result<(), TestCaseError> {
    // The reference from the host tensor, the results on every device
    // (the input made under the device's scope, its views taken there).
    on_each_device(|device| {
        let host = host_tensor(input);
        let t = input.tensor();
        prop_assert_eq!(t.device(), device);
        if t.rank() == 0 {
            prop_assert!(t.cumsum(0, false, false).is_err());
            return Ok(());
        }
        let axis = (input.axes.0 % t.rank() as u64) as usize;
        let (exclusive, reverse) = (input.axes.1 & 1 == 1, input.axes.1 & 2 == 2);
        let wide = host.view::<T>().unwrap().mapv(|x| x.to_i128());
        let v = wide.view();
        for prod in [false, true] {
            let r = if prod {
                t.cumprod(axis as isize - t.rank() as isize, exclusive, reverse)
            } else {
                t.cumsum(axis as isize, exclusive, reverse)
            };
            let (d, got) = result::<T>(r);
            prop_assert_eq!(&d[..], t.dims());
            let expected: Vec<T> = elements::<T>(&host)
                .iter()
                .map(|(i, _)| {
                    T::wrap(if prod {
                        scan_ref(&v, i, axis, exclusive, reverse, 1, i128::wrapping_mul)
                    } else {
                        scan_ref(&v, i, axis, exclusive, reverse, 0, i128::wrapping_add)
                    })
                })
                .collect();
            prop_assert_eq!(got, expected);
        }
        Ok(())
    })
}

fn check_float_cumsum<T: FloatElem>(input: &Input<T>) -> Result<(), TestCaseError> {
    // The reference from the host tensor, the results on every device
    // (the input made under the device's scope, its views taken there).
    on_each_device(|device| {
        let host = host_tensor(input);
        let t = input.tensor();
        prop_assert_eq!(t.device(), device);
        if t.rank() == 0 {
            return Ok(());
        }
        let axis = (input.axes.0 % t.rank() as u64) as usize;
        let (exclusive, reverse) = (input.axes.1 & 1 == 1, input.axes.1 & 2 == 2);
        let wide = host.view::<T>().unwrap().mapv(|x| x.to_f64());
        let v = wide.view();
        let (d, got) = result::<T>(t.cumsum(axis as isize, exclusive, reverse));
        prop_assert_eq!(&d[..], t.dims());
        let n = t.dims()[axis] as f64;
        for ((i, _), g) in elements::<T>(&host).iter().zip(&got) {
            let s = scan_ref(&v, i, axis, exclusive, reverse, 0.0, |a, b| a + b);
            let abs = scan_ref(&v, i, axis, exclusive, reverse, 0.0, |a, b| a + b.abs());
            let tol = n * T::EPS_ACC * abs + s.abs() * T::EPS;
            prop_assert!((g.to_f64() - s).abs() <= tol, "cumsum {} vs {}", g, s);
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Properties, dtype by dtype.

proptest! {
    #![proptest_config(config())]

    #[test]
    fn int_sum_prod_mean_i8(input in inputs(int_values::<i8>())) { check_int_sum_prod(&input)?; }
    #[test]
    fn int_sum_prod_mean_u8(input in inputs(int_values::<u8>())) { check_int_sum_prod(&input)?; }
    #[test]
    fn int_sum_prod_mean_i32(input in inputs(int_values::<i32>())) { check_int_sum_prod(&input)?; }
    #[test]
    fn int_sum_prod_mean_u64(input in inputs(int_values::<u64>())) { check_int_sum_prod(&input)?; }
    #[test]
    fn int_sum_prod_mean_i64(input in inputs(int_values::<i64>())) { check_int_sum_prod(&input)?; }
    #[test]
    fn int_sum_prod_mean_u16(input in inputs(int_values::<u16>())) { check_int_sum_prod(&input)?; }

    #[test]
    fn float_sum_mean_f16(input in inputs(float_values::<f16>())) { check_float_sum_mean(&input)?; }
    #[test]
    fn float_sum_mean_bf16(input in inputs(float_values::<bf16>())) { check_float_sum_mean(&input)?; }
    #[test]
    fn float_sum_mean_f32(input in inputs(float_values::<f32>())) { check_float_sum_mean(&input)?; }
    #[test]
    fn float_sum_mean_f64(input in inputs(float_values::<f64>())) { check_float_sum_mean(&input)?; }

    #[test]
    fn float_prod_f16(input in inputs(powers_of_two::<f16>())) { check_float_prod(&input)?; }
    #[test]
    fn float_prod_bf16(input in inputs(powers_of_two::<bf16>())) { check_float_prod(&input)?; }
    #[test]
    fn float_prod_f32(input in inputs(powers_of_two::<f32>())) { check_float_prod(&input)?; }
    #[test]
    fn float_prod_f64(input in inputs(powers_of_two::<f64>())) { check_float_prod(&input)?; }

    #[test]
    fn complex_sum_prod_mean_c64(input in inputs(complex_values())) { check_complex(&input)?; }

    #[test]
    fn max_min_i8(input in inputs(int_values::<i8>())) { check_max_min(&input, |_| false)?; }
    #[test]
    fn max_min_u8(input in inputs(int_values::<u8>())) { check_max_min(&input, |_| false)?; }
    #[test]
    fn max_min_i64(input in inputs(int_values::<i64>())) { check_max_min(&input, |_| false)?; }
    #[test]
    fn max_min_bool(input in inputs(any::<bool>().boxed())) { check_max_min(&input, |_| false)?; }
    #[test]
    fn max_min_f16(input in inputs(float_specials::<f16>())) { check_max_min(&input, |x| x.is_nan())?; }
    #[test]
    fn max_min_bf16(input in inputs(float_specials::<bf16>())) { check_max_min(&input, |x| x.is_nan())?; }
    #[test]
    fn max_min_f32(input in inputs(float_specials::<f32>())) { check_max_min(&input, f32::is_nan)?; }
    #[test]
    fn max_min_f64(input in inputs(float_specials::<f64>())) { check_max_min(&input, f64::is_nan)?; }

    #[test]
    fn argmax_argmin_i16(input in inputs((-3i16..3).boxed())) { check_argmax_argmin(&input, |_| false)?; }
    #[test]
    fn argmax_argmin_u8(input in inputs((0u8..4).boxed())) { check_argmax_argmin(&input, |_| false)?; }
    #[test]
    fn argmax_argmin_bool(input in inputs(any::<bool>().boxed())) { check_argmax_argmin(&input, |_| false)?; }
    #[test]
    fn argmax_argmin_f16(input in inputs(float_specials::<f16>())) { check_argmax_argmin(&input, |x| x.is_nan())?; }
    #[test]
    fn argmax_argmin_f32(input in inputs(float_specials::<f32>())) { check_argmax_argmin(&input, f32::is_nan)?; }
    #[test]
    fn argmax_argmin_f64(input in inputs(float_specials::<f64>())) { check_argmax_argmin(&input, f64::is_nan)?; }

    #[test]
    fn all_any_bool(input in inputs(any::<bool>().boxed())) { check_all_any(&input, |x| x)?; }
    #[test]
    fn all_any_u8(input in inputs((0u8..3).boxed())) { check_all_any(&input, |x| x != 0)?; }
    #[test]
    fn all_any_i64(input in inputs((-1i64..=1).boxed())) { check_all_any(&input, |x| x != 0)?; }
    #[test]
    fn all_any_f16(input in inputs(float_specials::<f16>())) {
        check_all_any(&input, |x| x.to_f32() != 0.0 || x.is_nan())?;
    }
    #[test]
    fn all_any_f32(input in inputs(float_specials::<f32>())) {
        check_all_any(&input, |x| x != 0.0 || x.is_nan())?;
    }
    #[test]
    fn all_any_c64(input in inputs(complex_values())) {
        check_all_any(&input, |z| z.re != 0.0 || z.im != 0.0)?;
    }

    #[test]
    fn scan_i8(input in inputs(int_values::<i8>())) { check_int_scan(&input)?; }
    #[test]
    fn scan_u8(input in inputs(int_values::<u8>())) { check_int_scan(&input)?; }
    #[test]
    fn scan_i64(input in inputs(int_values::<i64>())) { check_int_scan(&input)?; }
    #[test]
    fn cumsum_f16(input in inputs(float_values::<f16>())) { check_float_cumsum(&input)?; }
    #[test]
    fn cumsum_bf16(input in inputs(float_values::<bf16>())) { check_float_cumsum(&input)?; }
    #[test]
    fn cumsum_f32(input in inputs(float_values::<f32>())) { check_float_cumsum(&input)?; }
    #[test]
    fn cumsum_f64(input in inputs(float_values::<f64>())) { check_float_cumsum(&input)?; }
}

/// Complex values whose sums are exact and whose products are exact:
/// 0, ±1, ±i, 2 and 1/2 (and a few quarter-integer values for sums).
fn complex_values() -> BoxedStrategy<Complex<f32>> {
    prop::sample::select(vec![
        Complex::new(0.0f32, 0.0),
        Complex::new(1.0, 0.0),
        Complex::new(-1.0, 0.0),
        Complex::new(0.0, 1.0),
        Complex::new(0.0, -1.0),
        Complex::new(2.0, 0.0),
        Complex::new(0.5, 0.0),
        Complex::new(0.0, 0.5),
    ])
    .boxed()
}

fn check_complex(input: &Input<Complex<f32>>) -> Result<(), TestCaseError> {
    // The reference from the host tensor, the results on every device
    // (the input made under the device's scope, its views taken there).
    on_each_device(|device| {
        let host = host_tensor(input);
        let t = input.tensor();
        prop_assert_eq!(t.device(), device);
        let axes = input.axes(t.rank());
        let mask = mask_of(&axes, t.rank());
        let dims = expected_dims(t.dims(), &mask, input.keepdims);
        let n = reduced_count(t.dims(), &mask);
        let c64 = |z: Complex<f32>| Complex::new(z.re as f64, z.im as f64);
        let sum =
            fold_ref::<Complex<f32>, Complex<f64>>(&host, &mask, Complex::new(0.0, 0.0), |a, x| {
                *a += c64(x)
            });
        let prod =
            fold_ref::<Complex<f32>, Complex<f64>>(&host, &mask, Complex::new(1.0, 0.0), |a, x| {
                *a *= c64(x)
            });
        let narrow = |z: &Complex<f64>| Complex::new(z.re as f32, z.im as f32);
        let (d, got) = result::<Complex<f32>>(t.sum(&axes, input.keepdims));
        prop_assert_eq!(&d, &dims);
        prop_assert_eq!(got, sum.iter().map(narrow).collect::<Vec<_>>());
        let (d, got) = result::<Complex<f32>>(t.prod(&axes, input.keepdims));
        prop_assert_eq!(&d, &dims);
        // Exact while |z| stays within f32 (2^1024 would not).
        prop_assert_eq!(got, prod.iter().map(narrow).collect::<Vec<_>>());
        let (d, got) = result::<Complex<f32>>(t.mean(&axes, input.keepdims));
        prop_assert_eq!(&d, &dims);
        for (g, s) in got.iter().zip(&sum) {
            if n == 0 {
                prop_assert!(g.re.is_nan() && g.im.is_nan());
                continue;
            }
            let e = s / n as f64;
            prop_assert!(
                (g.re as f64 - e.re).abs() <= e.re.abs() * 1e-6 + 1e-12,
                "{} vs {}",
                g,
                e
            );
            prop_assert!(
                (g.im as f64 - e.im).abs() <= e.im.abs() * 1e-6 + 1e-12,
                "{} vs {}",
                g,
                e
            );
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Scenarios.

/// `np.mean(batch, axis=0)` of a (32, 28, 28, 1) batch of images: one mean
/// image of shape (28, 28, 1); and `np.mean(batch)`.
#[test]
fn mean_over_the_batch_axis() {
    for_each_device(|device| {
        let dims = [32usize, 28, 28, 1];
        let n: usize = dims.iter().product();
        let data: Vec<f32> = (0..n).map(|i| ((i * 7) % 256) as f32 / 255.0).collect();
        let batch = Tensor::from_vec(data.clone(), dims).unwrap();
        // The CPU sums pairwise; another device sums in its own order, held to
        // tests/cuda.rs's bound for f32 sums: 1e-5 of the sum of magnitudes
        // (at least 1), here divided by the count with the sum.
        let tol = if device == Device::Cpu { 1e-6 } else { 1e-5 };
        let m = batch.mean(&[0], false).unwrap();
        assert_eq!(m.device(), device);
        assert_eq!(m.dims(), [28, 28, 1]);
        assert_eq!(m.dtype(), DType::F32);
        let got = m.to_vec::<f32>().unwrap();
        let image = 28 * 28;
        for (p, g) in got.iter().enumerate() {
            let expected = (0..32).map(|b| data[b * image + p] as f64).sum::<f64>() / 32.0;
            assert!(
                (*g as f64 - expected).abs() < tol,
                "pixel {p}: {g} vs {expected}"
            );
        }
        let all = batch.mean_all().unwrap();
        assert_eq!(all.dims(), [] as [usize; 0]);
        let expected = data.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
        assert!((all.to_scalar::<f32>().unwrap() as f64 - expected).abs() < tol);
        // keepdims keeps a batch axis of 1, for broadcasting back.
        assert_eq!(batch.mean(&[0], true).unwrap().dims(), [1, 28, 28, 1]);
        // Integer images average to f64 (NumPy's rule).
        let bytes = batch.cast(DType::U8).unwrap();
        assert_eq!(bytes.mean(&[0], false).unwrap().dtype(), DType::F64);
    });
}

/// Hand-worked values, NumPy's answers.
#[test]
fn hand_worked_values() {
    for_each_device(|_device| {
        let t = here([[1i32, 2, 3], [4, 5, 6]]);
        assert_eq!(
            t.sum(&[0], false).unwrap().to_vec::<i32>().unwrap(),
            [5, 7, 9]
        );
        assert_eq!(t.sum(&[1], true).unwrap().to_vec::<i32>().unwrap(), [6, 15]);
        assert_eq!(t.sum(&[1], true).unwrap().dims(), [2, 1]);
        assert_eq!(t.sum(&[0, 1], true).unwrap().dims(), [1, 1]);
        assert_eq!(
            t.sum(&[-1, 0], false).unwrap().to_scalar::<i32>().unwrap(),
            21
        );
        assert_eq!(
            t.prod(&[0], false).unwrap().to_vec::<i32>().unwrap(),
            [4, 10, 18]
        );
        assert_eq!(
            t.mean(&[1], false).unwrap().to_vec::<f64>().unwrap(),
            [2.0, 5.0]
        );
        assert_eq!(
            t.max(&[0], false).unwrap().to_vec::<i32>().unwrap(),
            [4, 5, 6]
        );
        assert_eq!(t.min(&[], false).unwrap().to_scalar::<i32>().unwrap(), 1);
        assert_eq!(t.argmax(1, false).unwrap().to_vec::<i64>().unwrap(), [2, 2]);
        assert_eq!(t.argmin(0, true).unwrap().dims(), [1, 3]);
        // i8 wraps: 127 + 1 = -128; u8 products wrap mod 256.
        let i = here([127i8, 1]);
        assert_eq!(i.sum_all().unwrap().to_scalar::<i8>().unwrap(), -128);
        assert_eq!(
            i.cumsum(0, false, false).unwrap().to_vec::<i8>().unwrap(),
            [127, -128]
        );
        let u = here([16u8, 16, 3]);
        assert_eq!(u.prod(&[], false).unwrap().to_scalar::<u8>().unwrap(), 0);
        assert_eq!(
            u.cumprod(0, false, false).unwrap().to_vec::<u8>().unwrap(),
            [16, 0, 0]
        );
        // A scalar reduces to itself.
        let s = here(2.5f64);
        assert_eq!(s.sum(&[], false).unwrap().to_scalar::<f64>().unwrap(), 2.5);
        assert_eq!(s.max(&[], true).unwrap().dims(), [] as [usize; 0]);
        // Empty reductions: sum 0, prod 1, all true, any false, mean NaN.
        let e = Tensor::zeros([2, 0], DType::F32).unwrap();
        assert_eq!(
            e.sum(&[1], false).unwrap().to_vec::<f32>().unwrap(),
            [0.0, 0.0]
        );
        assert_eq!(
            e.prod(&[1], false).unwrap().to_vec::<f32>().unwrap(),
            [1.0, 1.0]
        );
        assert_eq!(
            e.all(&[1], false).unwrap().to_vec::<bool>().unwrap(),
            [true, true]
        );
        assert_eq!(
            e.any(&[1], false).unwrap().to_vec::<bool>().unwrap(),
            [false, false]
        );
        assert!(
            e.mean(&[], false)
                .unwrap()
                .to_scalar::<f32>()
                .unwrap()
                .is_nan()
        );
        // max over a kept empty axis is fine: nothing to compute.
        assert_eq!(e.max(&[0], false).unwrap().dims(), [0]);
        // f16 sums run in f32: 2048 + 1 + 1 is not 2048 (as an f16 running sum would say).
        let h = here([f16::from_f32(2048.0), f16::ONE, f16::ONE]);
        assert_eq!(
            h.sum_all().unwrap().to_scalar::<f16>().unwrap(),
            f16::from_f32(2050.0)
        );
        // Complex sums and means.
        let z = here([Complex::new(1.0f64, 2.0), Complex::new(3.0, -4.0)]);
        assert_eq!(
            z.sum_all().unwrap().to_scalar::<Complex<f64>>().unwrap(),
            Complex::new(4.0, -2.0)
        );
        assert_eq!(
            z.mean_all().unwrap().to_scalar::<Complex<f64>>().unwrap(),
            Complex::new(2.0, -1.0)
        );
        assert_eq!(
            z.prod(&[], false)
                .unwrap()
                .to_scalar::<Complex<f64>>()
                .unwrap(),
            Complex::new(11.0, 2.0)
        );
        // all/any of floats: NaN is true, -0.0 is false.
        let f = here([f32::NAN, -0.0]);
        assert!(f.any(&[], false).unwrap().to_scalar::<bool>().unwrap());
        assert!(!f.all(&[], false).unwrap().to_scalar::<bool>().unwrap());
        // argmax: the first of equal maxima; the first NaN.
        let a = here([1.0f32, 3.0, 3.0, f32::NAN, f32::NAN]);
        assert_eq!(a.argmax(0, false).unwrap().to_scalar::<i64>().unwrap(), 3);
        assert_eq!(a.argmin(0, false).unwrap().to_scalar::<i64>().unwrap(), 3);
        let a = here([1.0f32, 3.0, 3.0]);
        assert_eq!(a.argmax(0, false).unwrap().to_scalar::<i64>().unwrap(), 1);
        // cumsum, tf.math.cumsum's documented examples.
        let c = here([1.0f64, 2.0, 3.0]); // a, b, c
        let cs = |e, r| c.cumsum(0, e, r).unwrap().to_vec::<f64>().unwrap();
        assert_eq!(cs(false, false), [1.0, 3.0, 6.0]);
        assert_eq!(cs(true, false), [0.0, 1.0, 3.0]);
        assert_eq!(cs(false, true), [6.0, 5.0, 3.0]);
        assert_eq!(cs(true, true), [5.0, 3.0, 0.0]);
    });
}

/// Large inputs take the parallel and blocked paths: compare them with a
/// plain loop, exactly (integer-valued f64) or within float tolerance.
#[test]
fn large_inputs_and_views() {
    for_each_device(|device| {
        let (r, c) = (700usize, 300usize);
        let data: Vec<f64> = (0..r * c)
            .map(|i| ((i * 7919) % 1013) as f64 - 500.0)
            .collect();
        let t = Tensor::from_vec(data.clone(), [r, c]).unwrap();
        let at = |i: usize, j: usize| data[i * c + j];
        let row_sums: Vec<f64> = (0..r).map(|i| (0..c).map(|j| at(i, j)).sum()).collect();
        let col_sums: Vec<f64> = (0..c).map(|j| (0..r).map(|i| at(i, j)).sum()).collect();
        assert_eq!(
            t.sum(&[1], false).unwrap().to_vec::<f64>().unwrap(),
            row_sums
        );
        assert_eq!(
            t.sum(&[0], false).unwrap().to_vec::<f64>().unwrap(),
            col_sums
        );
        let tt = t.t().unwrap();
        assert_eq!(
            tt.sum(&[0], false).unwrap().to_vec::<f64>().unwrap(),
            row_sums
        );
        assert_eq!(
            tt.sum(&[1], false).unwrap().to_vec::<f64>().unwrap(),
            col_sums
        );
        let total: f64 = data.iter().sum();
        assert_eq!(tt.sum_all().unwrap().to_scalar::<f64>().unwrap(), total);
        let rev = t.slice([SliceArg::range(None, None, -1)]).unwrap();
        let mut rev_rows = row_sums.clone();
        rev_rows.reverse();
        assert_eq!(
            rev.sum(&[1], false).unwrap().to_vec::<f64>().unwrap(),
            rev_rows
        );
        let col_max: Vec<f64> = (0..c)
            .map(|j| (0..r).map(|i| at(i, j)).fold(f64::MIN, f64::max))
            .collect();
        assert_eq!(
            t.max(&[0], false).unwrap().to_vec::<f64>().unwrap(),
            col_max
        );
        let col_argmax: Vec<i64> = (0..c)
            .map(|j| (0..r).position(|i| at(i, j) == col_max[j]).unwrap() as i64)
            .collect();
        assert_eq!(
            t.argmax(0, false).unwrap().to_vec::<i64>().unwrap(),
            col_argmax
        );
        assert_eq!(
            tt.argmax(1, false).unwrap().to_vec::<i64>().unwrap(),
            col_argmax
        );
        // cumsum along both axes of a large input, against running sums.
        let cs0 = t.cumsum(0, false, false).unwrap().to_vec::<f64>().unwrap();
        let cs1 = t.cumsum(1, true, true).unwrap().to_vec::<f64>().unwrap();
        for j in 0..c {
            let mut acc = 0.0;
            for i in 0..r {
                acc += at(i, j);
                assert_eq!(cs0[i * c + j], acc);
            }
        }
        for i in 0..r {
            let mut acc = 0.0;
            for j in (0..c).rev() {
                assert_eq!(cs1[i * c + j], acc);
                acc += at(i, j);
            }
        }
        // A long f32 row: the pairwise sum stays near the f64 sum.
        let n = 1 << 20;
        let x: Vec<f32> = (0..n).map(|i| (i % 10) as f32 * 0.1).collect();
        let exact: f64 = x.iter().map(|&v| v as f64).sum();
        let got = Tensor::from_vec(x, [n])
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        // (All terms are positive, so the sum of magnitudes is the sum: the
        // bound of tests/cuda.rs for f32 sums off the CPU is relative.)
        let rel = if device == Device::Cpu { 1e-6 } else { 1e-5 };
        assert!((got as f64 - exact).abs() / exact < rel, "{got} vs {exact}");
    });
}

// ---------------------------------------------------------------------------
// Every rule broken once.

fn invalid(r: Result<Tensor>) -> String {
    match r {
        Err(e @ Error::InvalidArgument { .. }) => e.to_string(),
        other => panic!(
            "expected InvalidArgument, got {:?}",
            other.map(|t| t.dims().to_vec())
        ),
    }
}

#[test]
fn bool_arithmetic_is_refused() {
    for_each_device(|_device| {
        let b = here([true, false]);
        for (op, r) in [
            ("sum", b.sum(&[], false)),
            ("mean", b.mean(&[0], false)),
            ("prod", b.prod(&[], true)),
            ("cumsum", b.cumsum(0, false, false)),
            ("cumprod", b.cumprod(0, false, false)),
        ] {
            let msg = invalid(r);
            assert!(msg.starts_with(op), "{msg}");
            assert!(msg.contains("bool") && msg.contains("cast"), "{msg}");
        }
        // Logical reductions and orderings are fine on bool.
        assert!(b.max(&[], false).unwrap().to_scalar::<bool>().unwrap());
        assert_eq!(b.argmin(0, false).unwrap().to_scalar::<i64>().unwrap(), 1);
    });
}

#[test]
fn complex_has_no_order() {
    for_each_device(|_device| {
        let z = here([Complex::new(1.0f32, 0.0), Complex::new(0.0, 1.0)]);
        for (op, r) in [
            ("max", z.max(&[], false)),
            ("min", z.min(&[0], false)),
            ("argmax", z.argmax(0, false)),
            ("argmin", z.argmin(-1, false)),
        ] {
            let msg = invalid(r);
            assert!(msg.starts_with(op) && msg.contains("complex64"), "{msg}");
        }
    });
}

#[test]
fn axes_out_of_range_are_refused() {
    for_each_device(|_device| {
        let t = here([[1.0f32, 2.0], [3.0, 4.0]]);
        let msg = invalid(t.sum(&[2], false));
        assert!(msg.contains("axis 2") && msg.contains("rank 2"), "{msg}");
        let msg = invalid(t.all(&[0, -3], false));
        assert!(msg.contains("axis -3") && msg.contains("rank 2"), "{msg}");
        let msg = invalid(t.argmax(5, false));
        assert!(msg.contains("axis 5"), "{msg}");
        let msg = invalid(here(1.0f32).argmax(0, false));
        assert!(msg.contains("rank 0"), "{msg}");
        let msg = invalid(t.cumsum(-3, false, false));
        assert!(msg.contains("axis -3"), "{msg}");
        let msg = invalid(here(1i32).cumsum(0, false, false));
        assert!(msg.contains("scalar"), "{msg}");
    });
}

#[test]
fn repeated_axes_are_refused() {
    for_each_device(|_device| {
        let t = here([[1u8, 2], [3, 4]]);
        let msg = invalid(t.sum(&[1, -1], false));
        assert!(
            msg.contains("[1, -1]") && msg.contains("axis 1 twice"),
            "{msg}"
        );
        let msg = invalid(t.any(&[0, 0], true));
        assert!(msg.contains("axis 0 twice"), "{msg}");
    });
}

#[test]
fn extrema_of_nothing_are_refused() {
    for_each_device(|_device| {
        let e = Tensor::zeros([3, 0, 2], DType::F32).unwrap();
        let msg = invalid(e.max(&[1], false));
        assert!(msg.starts_with("max: axis 1 has size 0"), "{msg}");
        assert!(msg.contains("a maximum of nothing is undefined"), "{msg}");
        let msg = invalid(e.min(&[], false));
        assert!(msg.starts_with("min: axis 1 has size 0"), "{msg}");
        let msg = invalid(e.argmax(-2, false));
        assert!(msg.starts_with("argmax: axis 1 has size 0"), "{msg}");
        let msg = invalid(Tensor::zeros([0], DType::I32).unwrap().argmin(0, true));
        assert!(msg.starts_with("argmin: axis 0 has size 0"), "{msg}");
        // Reducing the non-empty axes of an empty tensor is fine (empty result).
        assert_eq!(e.max(&[0, 2], false).unwrap().dims(), [0]);
        assert_eq!(e.argmax(2, false).unwrap().dims(), [3, 0]);
    });
}
