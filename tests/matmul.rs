//! `Tensor::matmul` and `Tensor::dot` against a naive reference written
//! here (index by index, NumPy's promotion and broadcasting rules spelled
//! out), over random shapes (empty and size-1 dims, broadcast batch dims,
//! vectors), operand layouts (transposed, strided, negative-step, zero
//! stride) and dtypes; hand-worked cases; and every error rule broken once.

use half::{bf16, f16};
use ndarray::{ArrayD, IxDyn};
use num_complex::Complex;
use proptest::prelude::*;
use tensorbridge::prelude::*;
use tensorbridge_tests::{for_each_device, here, on_each_device};

// ---------------------------------------------------------------------------
// The reference.

/// `np.matmul(a, b)` index by index: vectors promoted (and the added dim
/// removed), batch dims broadcast from the right, `mac(acc, x, y)` folding
/// the products of each output element starting from `zero`.
fn naive<T: Copy>(a: &ArrayD<T>, b: &ArrayD<T>, zero: T, mac: impl Fn(T, T, T) -> T) -> ArrayD<T> {
    let a_vec = a.ndim() == 1;
    let b_vec = b.ndim() == 1;
    let a = if a_vec {
        a.clone().insert_axis(ndarray::Axis(0))
    } else {
        a.clone()
    };
    let b = if b_vec {
        b.clone().insert_axis(ndarray::Axis(1))
    } else {
        b.clone()
    };
    let (ra, rb) = (a.ndim(), b.ndim());
    let (m, k, n) = (a.shape()[ra - 2], a.shape()[ra - 1], b.shape()[rb - 1]);
    assert_eq!(k, b.shape()[rb - 2]);
    let (ab, bb) = (&a.shape()[..ra - 2], &b.shape()[..rb - 2]);
    let rank = ab.len().max(bb.len());
    let dim = |s: &[usize], i: usize| {
        // dim i of the rank-`rank` right-aligned batch shape s
        let lead = rank - s.len();
        if i < lead { 1 } else { s[i - lead] }
    };
    let batch: Vec<usize> = (0..rank).map(|i| dim(ab, i).max(dim(bb, i))).collect();
    let mut out_dims = batch.clone();
    out_dims.extend([m, n]);
    let mut out = ArrayD::from_elem(IxDyn(&out_dims), zero);
    let count: usize = batch.iter().product();
    for flat in 0..count {
        let mut bidx = vec![0usize; rank];
        let mut rest = flat;
        for i in (0..rank).rev() {
            bidx[i] = rest % batch[i];
            rest /= batch[i];
        }
        let pick = |s: &[usize]| -> Vec<usize> {
            let lead = rank - s.len();
            (0..s.len())
                .map(|i| if s[i] == 1 { 0 } else { bidx[lead + i] })
                .collect()
        };
        let (ia, ib) = (pick(ab), pick(bb));
        let (a2, b2) = (matrix(&a, &ia), matrix(&b, &ib));
        for i in 0..m {
            for j in 0..n {
                let mut acc = zero;
                for p in 0..k {
                    acc = mac(acc, a2[[i, p]], b2[[p, j]]);
                }
                let mut xo = bidx.clone();
                xo.extend([i, j]);
                out[IxDyn(&xo)] = acc;
            }
        }
    }
    // Remove the dims added by promotion.
    if b_vec {
        let last = out.ndim() - 1;
        out = out.index_axis_move(ndarray::Axis(last), 0);
    }
    if a_vec {
        // The row axis: last once the column axis of a vector `b` is gone.
        let row = out.ndim() - 1 - usize::from(!b_vec);
        out = out.index_axis_move(ndarray::Axis(row), 0);
    }
    out
}

/// The matrix `x[idx..]` of a stack of matrices.
fn matrix<'a, T>(x: &'a ArrayD<T>, idx: &[usize]) -> ndarray::ArrayView2<'a, T> {
    let mut v = x.view();
    for &i in idx {
        v = v.index_axis_move(ndarray::Axis(0), i);
    }
    v.into_dimensionality::<ndarray::Ix2>().unwrap()
}

/// The operands as f64 arrays, from the tensors' own elements.
fn f64_array(t: &Tensor) -> ArrayD<f64> {
    t.cast(DType::F64).unwrap().to_array::<f64>().unwrap()
}

/// Checks a real floating-point product against the f64 reference: each
/// element within `tol` times the sum of |a||b| of its products.
fn check_float(a: &Tensor, b: &Tensor, tol: f64) {
    let got = a.matmul(b).unwrap();
    assert_eq!(got.dtype(), a.dtype());
    let (fa, fb) = (f64_array(a), f64_array(b));
    let want = naive(&fa, &fb, 0.0, |acc, x, y| acc + x * y);
    let bound = naive(&fa, &fb, 0.0, |acc, x, y| acc + (x * y).abs());
    let got = f64_array(&got);
    assert_eq!(got.shape(), want.shape(), "{:?} @ {:?}", a.dims(), b.dims());
    for ((g, w), s) in got.iter().zip(&want).zip(&bound) {
        assert!(
            (g - w).abs() <= tol * s + 1e-30,
            "{} {:?} @ {:?}: got {g}, want {w}",
            a.dtype(),
            a.dims(),
            b.dims()
        );
    }
}

/// Checks an integer product exactly, wrapping as the dtype does.
fn check_int<T: Element>(a: &Tensor, b: &Tensor, mac: impl Fn(T, T, T) -> T) {
    let got = a.matmul(b).unwrap().to_array::<T>().unwrap();
    let want = naive(
        &a.to_array::<T>().unwrap(),
        &b.to_array::<T>().unwrap(),
        T::default(),
        mac,
    );
    assert_eq!(got, want, "{} {:?} @ {:?}", a.dtype(), a.dims(), b.dims());
}

fn check_c64(a: &Tensor, b: &Tensor) {
    let widen = |t: &Tensor| {
        t.to_array::<Complex<f32>>()
            .unwrap()
            .mapv(|z| Complex::new(z.re as f64, z.im as f64))
    };
    let (ca, cb) = (widen(a), widen(b));
    let want = naive(&ca, &cb, Complex::new(0.0, 0.0), |acc, x, y| acc + x * y);
    let bound = naive(
        &ca.mapv(|z| z.norm()),
        &cb.mapv(|z| z.norm()),
        0.0,
        |acc, x, y| acc + x * y,
    );
    let got = widen(&a.matmul(b).unwrap());
    assert_eq!(got.shape(), want.shape());
    for ((g, w), s) in got.iter().zip(&want).zip(&bound) {
        assert!((g - w).norm() <= 1e-5 * s + 1e-30, "c64: got {g}, want {w}");
    }
}

// ---------------------------------------------------------------------------
// Operands in every layout.

/// How an operand's elements are laid out.
#[derive(Debug, Clone, Copy)]
enum View {
    /// C order.
    Contiguous,
    /// The transpose of a C-order tensor with the last two dims swapped.
    Transposed,
    /// Every axis reversed (negative strides).
    Reversed,
    /// Every other column of a tensor twice as wide.
    Strided,
    /// The first axis broadcast from size 1 (stride 0).
    Broadcast,
}

const VIEWS: [View; 5] = [
    View::Contiguous,
    View::Transposed,
    View::Reversed,
    View::Strided,
    View::Broadcast,
];

/// Deterministic pseudo-random values in [0, 1) from `seed`.
fn uniform(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect()
}

/// A tensor of `dtype` with `dims`, laid out as `view`, with values made
/// by `value(u)` from uniform `u` (exactly representable in `dtype`).
fn operand(dims: &[usize], view: View, dtype: DType, seed: u64) -> Tensor {
    let r = dims.len();
    let mut base = dims.to_vec();
    match view {
        View::Transposed if r >= 2 => base.swap(r - 2, r - 1),
        View::Strided => base[r - 1] *= 2,
        View::Broadcast => base[0] = 1,
        _ => {}
    }
    let n: usize = base.iter().product();
    let u = uniform(n, seed);
    let t = if dtype == DType::C64 {
        let v = uniform(n, seed ^ 0xABCD);
        let z: Vec<Complex<f32>> = u
            .iter()
            .zip(&v)
            .map(|(&x, &y)| Complex::new((4.0 * x - 2.0) as f32, (4.0 * y - 2.0) as f32))
            .collect();
        Tensor::from_vec(z, base.clone()).unwrap()
    } else {
        let vals: Vec<f64> = u
            .iter()
            .map(|&x| match dtype {
                // The full range, so that products and sums wrap.
                DType::I8 => (x * 256.0).floor() - 128.0,
                DType::U8 => (x * 256.0).floor(),
                DType::I32 => (x * 4_294_967_296.0).floor() - 2_147_483_648.0,
                _ => 4.0 * x - 2.0,
            })
            .collect();
        Tensor::from_vec(vals, base.clone())
            .unwrap()
            .cast(dtype)
            .unwrap()
    };
    let out = match view {
        View::Contiguous => t,
        View::Transposed => t.t().unwrap(),
        View::Reversed => t.slice(vec![SliceArg::range(None, None, -1); r]).unwrap(),
        View::Strided => {
            let mut args = vec![SliceArg::FULL; r - 1];
            args.push(SliceArg::range(None, None, 2));
            t.slice(args).unwrap()
        }
        View::Broadcast => t.broadcast_to(dims.to_vec()).unwrap(),
    };
    assert_eq!(out.dims(), dims);
    out
}

const DTYPES: [DType; 8] = [
    DType::F32,
    DType::F64,
    DType::F16,
    DType::BF16,
    DType::C64,
    DType::I32,
    DType::I8,
    DType::U8,
];

/// Checks `a @ b` for operands of `dtype` against the reference.
fn check(a_dims: &[usize], b_dims: &[usize], views: (View, View), dtype: DType, seed: u64) {
    let a = operand(a_dims, views.0, dtype, seed);
    let b = operand(b_dims, views.1, dtype, seed.wrapping_add(1));
    match dtype {
        DType::F32 => check_float(&a, &b, 1e-5),
        DType::F64 => check_float(&a, &b, 1e-13),
        // Accumulated in f32, rounded once: within the output's rounding.
        DType::F16 => check_float(&a, &b, 1.5e-3),
        DType::BF16 => check_float(&a, &b, 1e-2),
        DType::C64 => check_c64(&a, &b),
        DType::I32 => check_int::<i32>(&a, &b, |c, x, y| c.wrapping_add(x.wrapping_mul(y))),
        DType::I8 => check_int::<i8>(&a, &b, |c, x, y| c.wrapping_add(x.wrapping_mul(y))),
        DType::U8 => check_int::<u8>(&a, &b, |c, x, y| c.wrapping_add(x.wrapping_mul(y))),
        other => unreachable!("{other} is not tested here"),
    }
}

/// Compatible operand shapes: `[batch_a.., m, k] @ [batch_b.., k, n]`
/// where both batch shapes are right-aligned parts of one batch shape with
/// some dims set to 1, or a vector on either side.
fn shapes() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    // Up to 10 × 10 × 10, so that both the element-by-element kernel of
    // small products (at most 512 multiply-adds) and gemm are exercised.
    (
        0usize..=10,
        0usize..=10,
        0usize..=10,
        prop::collection::vec((1usize..=3, 0u8..3), 0..=3),
        0usize..=3,
        0u8..6,
    )
        .prop_map(|(m, k, n, batch, cut, vector)| {
            let cut = cut.min(batch.len());
            // a takes all of the batch dims, b drops `cut` leading ones;
            // a size-1 marker (kind 1 or 2) broadcasts that dim on one side.
            let a_batch: Vec<usize> = batch
                .iter()
                .map(|&(d, kind)| if kind == 1 { 1 } else { d })
                .collect();
            let b_batch: Vec<usize> = batch[cut..]
                .iter()
                .map(|&(d, kind)| if kind == 2 { 1 } else { d })
                .collect();
            // Either side may be the one with fewer batch dims.
            let (a_batch, b_batch) = if vector == 3 {
                (b_batch, a_batch)
            } else {
                (a_batch, b_batch)
            };
            match vector {
                0 => (vec![k], [b_batch, vec![k, n]].concat()),
                1 => ([a_batch, vec![m, k]].concat(), vec![k]),
                2 => (vec![k], vec![k]),
                _ => (
                    [a_batch, vec![m, k]].concat(),
                    [b_batch, vec![k, n]].concat(),
                ),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn matches_naive_reference(
        (a_dims, b_dims) in shapes(),
        va in 0usize..5,
        vb in 0usize..5,
        seed in any::<u64>(),
    ) {
        for_each_device(|_| {
            for dtype in DTYPES {
                check(&a_dims, &b_dims, (VIEWS[va], VIEWS[vb]), dtype, seed);
            }
        });
    }

    #[test]
    fn incompatible_shapes_are_shape_mismatch(
        m in 1usize..4,
        k in 1usize..4,
        n in 1usize..4,
        extra in 1usize..3,
        batch in 2usize..4,
        inner in any::<bool>(),
    ) {
        on_each_device(|_device| {
        // Either the inner dims differ, or the batch dims do (neither is 1).
        let (a_dims, b_dims) = if inner {
            (vec![m, k], vec![k + extra, n])
        } else {
            (vec![batch, m, k], vec![batch + extra, k, n])
        };
        let a = Tensor::zeros(a_dims.clone(), DType::F32).unwrap();
        let b = Tensor::zeros(b_dims.clone(), DType::F32).unwrap();
        match a.matmul(&b).unwrap_err() {
            Error::ShapeMismatch { op, lhs, rhs, msg } => {
                prop_assert_eq!(op, "matmul");
                prop_assert_eq!(&lhs, &a_dims);
                prop_assert_eq!(&rhs, &b_dims);
                prop_assert!(msg.contains(&format!("{a_dims:?}")), "{}", msg);
                prop_assert!(msg.contains(&format!("{b_dims:?}")), "{}", msg);
            }
            other => prop_assert!(false, "expected ShapeMismatch, got {other:?}"),
        }
        Ok(())
        })?;
    }
}

#[test]
fn every_view_of_every_dtype_on_a_batched_broadcast() {
    // [2, 1, 3, 4] @ [5, 4, 2] -> [2, 5, 3, 2], the example; then
    // matrices large enough for gemm (9 * 8 * 9 multiply-adds each).
    // On every device: the operands are made under its scope.
    for_each_device(|_| {
        for (a_dims, b_dims) in [([2, 1, 3, 4], [5, 4, 2]), ([2, 1, 9, 8], [3, 8, 9])] {
            for dtype in DTYPES {
                for va in VIEWS {
                    for vb in VIEWS {
                        check(&a_dims, &b_dims, (va, vb), dtype, 7);
                    }
                }
            }
        }
    });
}

#[test]
fn large_products_on_every_path() {
    for_each_device(|_device| {
        // Big enough for the parallel paths: a batch of matrices (one task per
        // batch entry) and a single matrix split into row blocks.
        for (a_dims, b_dims) in [
            (vec![3, 70, 50], vec![50, 80]),
            (vec![200, 60], vec![60, 90]),
        ] {
            for (va, vb) in [
                (View::Contiguous, View::Contiguous),
                (View::Transposed, View::Reversed),
                (View::Strided, View::Transposed),
            ] {
                for dtype in [DType::F32, DType::BF16, DType::C64, DType::I8] {
                    check(&a_dims, &b_dims, (va, vb), dtype, 11);
                }
            }
        }
    });
}

// ---------------------------------------------------------------------------
// Hand-worked cases.

#[test]
fn hand_worked_2x2() {
    for_each_device(|_device| {
        let a = here([[1.0f32, 2.0], [3.0, 4.0]]);
        let b = here([[5.0f32, 6.0], [7.0, 8.0]]);
        // [[1*5+2*7, 1*6+2*8], [3*5+4*7, 3*6+4*8]]
        let c = a.matmul(&b).unwrap();
        assert_eq!(c.dims(), [2, 2]);
        assert_eq!(c.to_vec::<f32>().unwrap(), [19.0, 22.0, 43.0, 50.0]);
        // a.T @ b = [[1, 3], [2, 4]] @ b = [[26, 30], [38, 44]]
        assert_eq!(
            a.t().unwrap().matmul(&b).unwrap().to_vec::<f32>().unwrap(),
            [26.0, 30.0, 38.0, 44.0]
        );
        // Integers: the same numbers.
        let ai = here([[1i32, 2], [3, 4]]);
        let bi = here([[5i32, 6], [7, 8]]);
        assert_eq!(
            ai.matmul(&bi).unwrap().to_vec::<i32>().unwrap(),
            [19, 22, 43, 50]
        );
        // f16: [[1, 2], [3, 4]] @ [[0.5, 0.25], [0.125, 1]] = [[0.75, 2.25], [2, 4.75]]
        let h = |v: [[f32; 2]; 2]| {
            Tensor::from_vec(v.concat().into_iter().map(f16::from_f32).collect(), [2, 2]).unwrap()
        };
        let hc = h([[1.0, 2.0], [3.0, 4.0]])
            .matmul(&h([[0.5, 0.25], [0.125, 1.0]]))
            .unwrap();
        assert_eq!(hc.dtype(), DType::F16);
        assert_eq!(
            hc.to_vec::<f16>().unwrap(),
            [0.75, 2.25, 2.0, 4.75].map(f16::from_f32)
        );
        // complex64: [[1+i, 2], [0, i]] @ [[1, i], [1, 0]]
        //   = [[(1+i) + 2, (1+i)i], [i, 0]] = [[3+i, -1+i], [i, 0]]
        let z = |re: f32, im: f32| Complex::new(re, im);
        let ca =
            Tensor::from_vec(vec![z(1., 1.), z(2., 0.), z(0., 0.), z(0., 1.)], [2, 2]).unwrap();
        let cb =
            Tensor::from_vec(vec![z(1., 0.), z(0., 1.), z(1., 0.), z(0., 0.)], [2, 2]).unwrap();
        assert_eq!(
            ca.matmul(&cb).unwrap().to_vec::<Complex<f32>>().unwrap(),
            [z(3., 1.), z(-1., 1.), z(0., 1.), z(0., 0.)]
        );
    });
}

#[test]
fn vectors_follow_numpy_promotion() {
    for_each_device(|_device| {
        let m = here([[1, 2, 3], [4, 5, 6]]); // [2, 3]
        let v3 = here([1, 0, -1]);
        let v2 = here([1, -1]);
        // matrix @ vector: [1-3, 4-6] = [-2, -2], shape [2]
        let mv = m.matmul(&v3).unwrap();
        assert_eq!(mv.dims(), [2]);
        assert_eq!(mv.to_vec::<i32>().unwrap(), [-2, -2]);
        // vector @ matrix: [1-4, 2-5, 3-6], shape [3]
        let vm = v2.matmul(&m).unwrap();
        assert_eq!(vm.dims(), [3]);
        assert_eq!(vm.to_vec::<i32>().unwrap(), [-3, -3, -3]);
        // vector @ vector: a scalar
        let vv = v3.matmul(&v3).unwrap();
        assert_eq!(vv.rank(), 0);
        assert_eq!(vv.to_scalar::<i32>().unwrap(), 2);
        // vector @ batch of matrices: [k] @ [2, k, n] -> [2, n]
        let batch = here([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
        let vb = v2.matmul(&batch).unwrap();
        assert_eq!(vb.dims(), [2, 2]);
        assert_eq!(vb.to_vec::<i32>().unwrap(), [-2, -2, -2, -2]);
        // batch @ vector: [2, m, k] @ [k] -> [2, m]
        let bv = batch.matmul(&v2).unwrap();
        assert_eq!(bv.dims(), [2, 2]);
        assert_eq!(bv.to_vec::<i32>().unwrap(), [-1, -1, -1, -1]);
        // dot
        let d = here([1.5f64, 2.0]).dot(&here([2.0f64, 0.25])).unwrap();
        assert_eq!(d.rank(), 0);
        assert_eq!(d.to_scalar::<f64>().unwrap(), 3.5);
    });
}

#[test]
fn integers_wrap() {
    for_each_device(|_device| {
        // i8: 100*100 + 100*100 = 20000 = 78*256 + 32 -> 32; 100*1 + 100*2 = 300 -> 44
        let a = here([[100i8, 100], [-128, 1]]);
        let b = here([[100i8, 1], [100, 2]]);
        // -128*100 + 100 = -12700 = -50*256 + 100 -> 100; -128 + 2 = -126
        assert_eq!(
            a.matmul(&b).unwrap().to_vec::<i8>().unwrap(),
            [32, 44, 100, -126]
        );
        // u8: 255*255 = 65025 = 254*256 + 1 -> 1; + 255*1 -> 256 -> 0
        let u = here([[255u8, 255]]);
        let w = here([[255u8], [1]]);
        assert_eq!(u.matmul(&w).unwrap().to_vec::<u8>().unwrap(), [0]);
        // i64: (2^62) * 4 wraps to 0
        let x = here([[1i64 << 62]]);
        let y = here([[4i64]]);
        assert_eq!(x.matmul(&y).unwrap().to_vec::<i64>().unwrap(), [0]);
    });
}

#[test]
fn bf16_accumulates_in_f32_and_rounds_once() {
    for_each_device(|_device| {
        // 1 + 4 * 2^-9 = 1 + 2^-7 is a bf16 value; adding 2^-9 to 1 in bf16
        // one product at a time would round back to 1 every time.
        let e = bf16::from_f32(2f32.powi(-9));
        let a = Tensor::from_vec(vec![bf16::ONE, e, e, e, e], [1, 5]).unwrap();
        let b = Tensor::from_vec(vec![bf16::ONE; 5], [5, 1]).unwrap();
        let c = a.matmul(&b).unwrap().to_vec::<bf16>().unwrap();
        assert_eq!(c, [bf16::from_f32(1.0 + 2f32.powi(-7))]);
        assert_ne!(c[0], bf16::ONE);
    });
}

#[test]
fn empty_dims() {
    for_each_device(|_device| {
        // k = 0: zeros, np.matmul(np.ones((2, 0)), np.ones((0, 3))) == zeros((2, 3))
        for dtype in [DType::F32, DType::F16, DType::C64, DType::I8] {
            let a = Tensor::ones([2, 0], dtype).unwrap();
            let b = Tensor::ones([0, 3], dtype).unwrap();
            let c = a.matmul(&b).unwrap();
            assert_eq!(c.dims(), [2, 3]);
            assert_eq!(
                c.numpy().unwrap(),
                Tensor::zeros([2, 3], dtype).unwrap().numpy().unwrap(),
                "{dtype}"
            );
        }
        // m = 0, n = 0, an empty batch
        let f = |d: &[usize]| Tensor::ones(d.to_vec(), DType::F64).unwrap();
        assert_eq!(f(&[0, 4]).matmul(&f(&[4, 3])).unwrap().dims(), [0, 3]);
        assert_eq!(f(&[2, 4]).matmul(&f(&[4, 0])).unwrap().dims(), [2, 0]);
        assert_eq!(f(&[0, 2, 4]).matmul(&f(&[4, 3])).unwrap().dims(), [0, 2, 3]);
        assert_eq!(
            f(&[1, 2, 4]).matmul(&f(&[0, 4, 3])).unwrap().dims(),
            [0, 2, 3]
        );
        let dot = Tensor::zeros([0], DType::I32)
            .unwrap()
            .dot(&Tensor::zeros([0], DType::I32).unwrap());
        assert_eq!(dot.unwrap().to_scalar::<i32>().unwrap(), 0);
    });
}

// ---------------------------------------------------------------------------
// Every rule broken once.

fn message(e: &Error) -> String {
    e.to_string()
}

#[test]
fn rank_zero_is_invalid_argument() {
    for_each_device(|_device| {
        let s = here(2.0f32);
        let m = here([[1.0f32]]);
        for (a, b, side) in [(&s, &m, "lhs"), (&m, &s, "rhs")] {
            let e = a.matmul(b).unwrap_err();
            assert!(
                matches!(e, Error::InvalidArgument { op: "matmul", .. }),
                "{e:?}"
            );
            let msg = message(&e);
            assert!(
                msg.contains(&format!("{side} is a scalar (shape [])")),
                "{msg}"
            );
            assert!(msg.contains("rank >= 1"), "{msg}");
        }
    });
}

#[test]
fn inner_mismatch_names_shapes_and_dims() {
    for_each_device(|_device| {
        let a = Tensor::zeros([2, 3], DType::F32).unwrap();
        let b = Tensor::zeros([4, 5], DType::F32).unwrap();
        let e = a.matmul(&b).unwrap_err();
        assert!(
            matches!(&e, Error::ShapeMismatch { op: "matmul", lhs, rhs, .. } if lhs == &[2, 3] && rhs == &[4, 5]),
            "{e:?}"
        );
        assert_eq!(
            message(&e),
            "matmul: inner dims differ: lhs shape [2, 3] has 3 columns but rhs shape [4, 5] has 4 \
         rows; matmul needs lhs.dims[-1] == rhs.dims[-2]"
        );
        // With a vector operand, the message says how it was promoted.
        let v = Tensor::zeros([4], DType::F32).unwrap();
        let msg = message(&a.matmul(&v).unwrap_err());
        assert!(
            msg.contains("rhs shape [4] has 4 rows (a vector on the right is a column)"),
            "{msg}"
        );
    });
}

#[test]
fn batch_mismatch_names_batch_dims() {
    for_each_device(|_device| {
        let a = Tensor::zeros([2, 3, 4, 5], DType::F64).unwrap();
        let b = Tensor::zeros([4, 5, 6], DType::F64).unwrap();
        let e = a.matmul(&b).unwrap_err();
        assert!(
            matches!(&e, Error::ShapeMismatch { lhs, rhs, .. } if lhs == &[2, 3, 4, 5] && rhs == &[4, 5, 6]),
            "{e:?}"
        );
        assert_eq!(
            message(&e),
            "matmul: batch dims [2, 3] of lhs shape [2, 3, 4, 5] and [4] of rhs shape [4, 5, 6] do \
         not broadcast: aligned from the right, 3 and 4 differ and neither is 1"
        );
    });
}

#[test]
fn mixed_dtypes_are_dtype_mismatch() {
    for_each_device(|_device| {
        let a = here([[1.0f32]]);
        let b = here([[1.0f64]]);
        let e = a.matmul(&b).unwrap_err();
        assert!(
            matches!(
                e,
                Error::DTypeMismatch {
                    op: "matmul",
                    expected: DType::F32,
                    found: DType::F64
                }
            ),
            "{e:?}"
        );
        assert!(message(&e).contains("cast(DType::F32)"), "{e}");
        let e = here([1i32]).dot(&here([1i64])).unwrap_err();
        assert!(matches!(
            e,
            Error::DTypeMismatch {
                op: "dot",
                expected: DType::I32,
                found: DType::I64
            }
        ));
    });
}

#[test]
fn bool_is_invalid_argument() {
    for_each_device(|_device| {
        let a = here([[true, false], [false, true]]);
        let e = a.matmul(&a).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { op: "matmul", .. }),
            "{e:?}"
        );
        assert!(message(&e).contains("not defined for dtype bool"), "{e}");
    });
}

#[test]
fn dot_rules() {
    for_each_device(|_device| {
        let m = here([[1, 2]]);
        let v = here([1, 2]);
        let e = m.dot(&v).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { op: "dot", .. }),
            "{e:?}"
        );
        assert!(message(&e).contains("lhs has shape [1, 2] (rank 2)"), "{e}");
        let e = v.dot(&here([1, 2, 3])).unwrap_err();
        assert!(
            matches!(&e, Error::ShapeMismatch { op: "dot", lhs, rhs, .. } if lhs == &[2] && rhs == &[3]),
            "{e:?}"
        );
        assert!(message(&e).contains("(2 vs 3)"), "{e}");
    });
}

#[test]
fn huge_results_are_refused_before_allocating() {
    for_each_device(|_device| {
        // Batch dims [2^32, 1] and [2^32] broadcast to [2^32, 2^32]: 2^64
        // elements do not fit in usize.
        let one = |rank: usize| Tensor::zeros(vec![1; rank], DType::F32).unwrap();
        let a = one(4).broadcast_to([1usize << 32, 1, 1, 1]).unwrap();
        let b = one(3).broadcast_to([1usize << 32, 1, 1]).unwrap();
        let e = a.matmul(&b).unwrap_err();
        assert!(
            matches!(e, Error::ShapeOverflow { op: "matmul", .. }),
            "{e:?}"
        );
        // 2^40 f32 elements fit in usize but not in memory.
        let a = one(3).broadcast_to([1usize << 40, 1, 1]).unwrap();
        let e = a.matmul(&one(2)).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
    });
}
