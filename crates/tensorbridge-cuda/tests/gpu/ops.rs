//! Elementwise ops, casts, where, reductions, scans, matmul, image.

use half::{bf16, f16};
use tensorbridge_cuda::{
    ArgOp, BinaryOp, CudaDevice, CudaError, CumOp, DeviceBuffer, ElemType, ReduceOp, StridedLayout,
    UnaryOp,
};

use crate::common::{self, C64, Elem, bytes, close32, close64, down, strides, up};

type IntOp = (BinaryOp, fn(i32, i32) -> i32);
type FloatOp = (BinaryOp, fn(f32, f32) -> f32);
type UnaryF = (UnaryOp, fn(f32) -> f32);

fn binary<T: Elem, O: Elem>(
    dev: &CudaDevice,
    op: BinaryOp,
    a: &[T],
    b: &[T],
) -> Result<Vec<O>, CudaError> {
    let n = a.len();
    let (ab, bb) = (up(dev, a), up(dev, b));
    let mut out = dev.alloc(n * O::E.size_bytes())?;
    let l = StridedLayout::new(std::slice::from_ref(&n), &[1]);
    dev.binary(op, T::E, &ab, l, &bb, l, &mut out)?;
    Ok(down(dev, &out, n))
}

fn unary<T: Elem, O: Elem>(dev: &CudaDevice, op: UnaryOp, a: &[T]) -> Vec<O> {
    let n = a.len();
    let ab = up(dev, a);
    let mut out = dev.alloc(n * O::E.size_bytes()).unwrap();
    dev.unary(op, T::E, &ab, StridedLayout::new(&[n], &[1]), &mut out)
        .unwrap();
    down(dev, &out, n)
}

fn floor_div(x: i32, y: i32) -> i32 {
    let q = x.wrapping_div(y);
    if x.wrapping_rem(y) != 0 && ((x < 0) != (y < 0)) {
        q.wrapping_sub(1)
    } else {
        q
    }
}
fn floor_rem(x: i32, y: i32) -> i32 {
    let r = x.wrapping_rem(y);
    if r != 0 && ((r < 0) != (y < 0)) {
        r.wrapping_add(y)
    } else {
        r
    }
}

#[test]
fn integer_binary_ops_match_numpy_rules() {
    let dev = gpu!();
    let a = [7, -7, 7, -7, i32::MIN, i32::MAX, 0, 5, -8, 3];
    let b = [2, 2, -2, -2, -1, 1, 3, -3, 3, 30];
    let ops: [IntOp; 7] = [
        (BinaryOp::Add, i32::wrapping_add),
        (BinaryOp::Sub, i32::wrapping_sub),
        (BinaryOp::Mul, i32::wrapping_mul),
        (BinaryOp::Div, floor_div),
        (BinaryOp::Rem, floor_rem),
        (BinaryOp::Maximum, i32::max),
        (BinaryOp::Minimum, i32::min),
    ];
    for (op, f) in ops {
        let want: Vec<i32> = a.iter().zip(&b).map(|(&x, &y)| f(x, y)).collect();
        assert_eq!(
            binary::<i32, i32>(&dev, op, &a, &b).unwrap(),
            want,
            "{op:?}"
        );
    }
    // Powers wrap; exponent 0 gives 1.
    let base = [2i32, 3, -2, 0, 7];
    let exp = [31, 21, 7, 0, 0];
    let want: Vec<i32> = base
        .iter()
        .zip(&exp)
        .map(|(&x, &e)| x.wrapping_pow(e as u32))
        .collect();
    assert_eq!(
        binary::<i32, i32>(&dev, BinaryOp::Pow, &base, &exp).unwrap(),
        want
    );
    // u8 wraps; i64 floor division.
    assert_eq!(
        binary::<u8, u8>(&dev, BinaryOp::Sub, &[5, 0], &[1, 1]).unwrap(),
        [4, 255]
    );
    assert_eq!(
        binary::<u8, u8>(&dev, BinaryOp::Pow, &[2, 3], &[9, 5]).unwrap(),
        [0, 243]
    );
    assert_eq!(
        binary::<i64, i64>(&dev, BinaryOp::Div, &[-9, i64::MIN], &[4, -1]).unwrap(),
        [-3, i64::MIN]
    );
    assert_eq!(
        binary::<i8, i8>(&dev, BinaryOp::Rem, &[-7, 7], &[3, -3]).unwrap(),
        [2, -2]
    );
    // Comparisons give bools.
    let cmp = binary::<i32, bool>(&dev, BinaryOp::Lt, &[1, 5, 3], &[2, 5, 1]).unwrap();
    assert_eq!(cmp, [true, false, false]);
    let ge = binary::<u64, bool>(&dev, BinaryOp::Ge, &[1, 5, u64::MAX], &[2, 5, 1]).unwrap();
    assert_eq!(ge, [false, true, true]);
}

#[test]
fn integer_division_by_zero_and_negative_powers_are_errors() {
    let dev = gpu!();
    let e = binary::<i32, i32>(&dev, BinaryOp::Div, &[1, 2, 3], &[1, 1, 0]).unwrap_err();
    assert!(
        matches!(&e, CudaError::InvalidArgument(m) if m.contains("division by zero") && m.contains("element 2")),
        "{e}"
    );
    let e = binary::<u16, u16>(&dev, BinaryOp::Rem, &[1], &[0]).unwrap_err();
    assert!(e.to_string().contains("division by zero"), "{e}");
    let e = binary::<i64, i64>(&dev, BinaryOp::Pow, &[2, 2], &[1, -1]).unwrap_err();
    assert!(e.to_string().contains("negative"), "{e}");
    // Floats divide by zero to inf.
    assert_eq!(
        binary::<f32, f32>(&dev, BinaryOp::Div, &[1.0], &[0.0]).unwrap(),
        [f32::INFINITY]
    );
}

#[test]
fn float_binary_ops_are_ieee_and_propagate_nan() {
    let dev = gpu!();
    let a = [1.5f32, -7.5, 7.5, 0.1, f32::NAN, 3.0, -0.0, 1e30];
    let b = [2.25f32, 2.0, -2.0, 0.2, 1.0, f32::NAN, 0.0, 1e30];
    let exact: [FloatOp; 4] = [
        (BinaryOp::Add, |x, y| x + y),
        (BinaryOp::Sub, |x, y| x - y),
        (BinaryOp::Mul, |x, y| x * y),
        (BinaryOp::Div, |x, y| x / y),
    ];
    for (op, f) in exact {
        let got = binary::<f32, f32>(&dev, op, &a, &b).unwrap();
        for (i, (&g, (&x, &y))) in got.iter().zip(a.iter().zip(&b)).enumerate() {
            let w = f(x, y);
            assert!(
                g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                "{op:?}[{i}]: {g} vs {w}"
            );
        }
    }
    let rem =
        binary::<f64, f64>(&dev, BinaryOp::Rem, &[-7.5, 7.5, 6.0], &[2.0, -2.0, 3.0]).unwrap();
    assert_eq!(rem, [0.5, -0.5, 0.0]);
    let mx = binary::<f32, f32>(&dev, BinaryOp::Maximum, &a, &b).unwrap();
    assert!(mx[4].is_nan() && mx[5].is_nan());
    assert_eq!(mx[0], 2.25);
    let mn = binary::<f64, f64>(&dev, BinaryOp::Minimum, &[1.0, f64::NAN], &[2.0, 0.0]).unwrap();
    assert_eq!(mn[0], 1.0);
    assert!(mn[1].is_nan());
    let p = binary::<f64, f64>(&dev, BinaryOp::Pow, &[2.0, 9.0, 1.1], &[10.0, 0.5, 3.3]).unwrap();
    for (g, w) in p.iter().zip([1024.0, 3.0, 1.1f64.powf(3.3)]) {
        assert!(close64(*g, w, 2), "{g} vs {w}");
    }
    // NaN equals nothing.
    let eq = binary::<f32, bool>(
        &dev,
        BinaryOp::Eq,
        &[f32::NAN, 1.0, -0.0],
        &[f32::NAN, 1.0, 0.0],
    )
    .unwrap();
    assert_eq!(eq, [false, true, true]);
    let ne = binary::<f32, bool>(&dev, BinaryOp::Ne, &[f32::NAN], &[f32::NAN]).unwrap();
    assert_eq!(ne, [true]);
}

#[test]
fn half_floats_compute_in_f32_and_round_once() {
    let dev = gpu!();
    let a: Vec<f16> = [1.0f32, 2.0, -3.5, 65504.0, 0.1]
        .map(f16::from_f32)
        .to_vec();
    let b: Vec<f16> = [2f32.powi(-11), 3.0, 1.25, 65504.0, 0.2]
        .map(f16::from_f32)
        .to_vec();
    for (op, f) in [
        (BinaryOp::Add, (|x, y| x + y) as fn(f32, f32) -> f32),
        (BinaryOp::Mul, |x, y| x * y),
        (BinaryOp::Div, |x, y| x / y),
    ] {
        let got = binary::<f16, f16>(&dev, op, &a, &b).unwrap();
        let want: Vec<f16> = a
            .iter()
            .zip(&b)
            .map(|(x, y)| f16::from_f32(f(x.to_f32(), y.to_f32())))
            .collect();
        assert_eq!(got, want, "{op:?}");
    }
    // Sign-only ops keep the bits.
    let neg: Vec<f16> = unary(&dev, UnaryOp::Neg, &a);
    assert_eq!(neg, a.iter().map(|&x| -x).collect::<Vec<_>>());
    let abs: Vec<f16> = unary(&dev, UnaryOp::Abs, &neg);
    assert_eq!(abs[2], f16::from_f32(3.5));
    if dev.compute_capability().0 >= 8 {
        let a: Vec<bf16> = [1.0f32, 3.0, -1e30].map(bf16::from_f32).to_vec();
        let b: Vec<bf16> = [1e-3f32, 7.0, 2.0].map(bf16::from_f32).to_vec();
        let got = binary::<bf16, bf16>(&dev, BinaryOp::Sub, &a, &b).unwrap();
        let want: Vec<bf16> = a
            .iter()
            .zip(&b)
            .map(|(x, y)| bf16::from_f32(x.to_f32() - y.to_f32()))
            .collect();
        assert_eq!(got, want);
    } else {
        let e = binary::<bf16, bf16>(&dev, BinaryOp::Add, &[bf16::ONE], &[bf16::ONE]).unwrap_err();
        assert!(matches!(e, CudaError::Unsupported(_)), "{e}");
    }
}

#[test]
fn complex_arithmetic_follows_num_complex() {
    let dev = gpu!();
    let a = [C64(1.0, 2.0), C64(-3.0, 0.5), C64(0.0, 0.0)];
    let b = [C64(3.0, -1.0), C64(2.0, 2.0), C64(1.0, 1.0)];
    let mul = binary::<C64, C64>(&dev, BinaryOp::Mul, &a, &b).unwrap();
    for (g, (x, y)) in mul.iter().zip(a.iter().zip(&b)) {
        assert_eq!(*g, C64(x.0 * y.0 - x.1 * y.1, x.0 * y.1 + x.1 * y.0));
    }
    let div = binary::<C64, C64>(&dev, BinaryOp::Div, &a, &b).unwrap();
    for (g, (x, y)) in div.iter().zip(a.iter().zip(&b)) {
        let d = y.0 * y.0 + y.1 * y.1;
        assert_eq!(
            *g,
            C64((x.0 * y.0 + x.1 * y.1) / d, (x.1 * y.0 - x.0 * y.1) / d)
        );
    }
    // 0 ** (2 + 0i) == 0; 0 ** 0 == 1.
    let p = binary::<C64, C64>(
        &dev,
        BinaryOp::Pow,
        &[C64(0.0, 0.0), C64(0.0, 0.0)],
        &[C64(2.0, 0.0), C64(0.0, 0.0)],
    )
    .unwrap();
    assert_eq!(p, [C64(0.0, 0.0), C64(1.0, 0.0)]);
    let eq = binary::<C64, bool>(&dev, BinaryOp::Eq, &a, &a).unwrap();
    assert_eq!(eq, [true; 3]);
    assert!(matches!(
        binary::<C64, bool>(&dev, BinaryOp::Lt, &a, &b),
        Err(CudaError::Unsupported(_))
    ));
    let abs: Vec<f32> = unary(&dev, UnaryOp::Abs, &a);
    assert!(close32(abs[0], 5f32.sqrt(), 1));
}

#[test]
fn broadcast_operands_read_stride_zero() {
    let dev = gpu!();
    let a: Vec<i32> = (0..6).collect(); // [2, 3]
    let b = [10i32, 20, 30]; // [3] broadcast over rows
    let (ab, bb) = (up(&dev, &a), up(&dev, &b));
    let mut out = dev.alloc(24).unwrap();
    dev.binary(
        BinaryOp::Add,
        ElemType::I32,
        &ab,
        StridedLayout::new(&[2, 3], &[3, 1]),
        &bb,
        StridedLayout::new(&[2, 3], &[0, 1]),
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<i32>(&dev, &out, 6), [10, 21, 32, 13, 24, 35]);
    // Transposed lhs.
    dev.binary(
        BinaryOp::Mul,
        ElemType::I32,
        &ab,
        StridedLayout::new(&[3, 2], &[1, 3]),
        &bb,
        StridedLayout::new(&[3, 2], &[1, 0]),
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<i32>(&dev, &out, 6), [0, 30, 20, 80, 60, 150]);
    // Logical ops on bools.
    let x = up(&dev, &[true, true, false, false]);
    let y = up(&dev, &[true, false, true, false]);
    let l = StridedLayout::new(&[4], &[1]);
    let mut o = dev.alloc(4).unwrap();
    for (op, want) in [
        (BinaryOp::LogicalAnd, [true, false, false, false]),
        (BinaryOp::LogicalOr, [true, true, true, false]),
        (BinaryOp::LogicalXor, [false, true, true, false]),
    ] {
        dev.binary(op, ElemType::Bool, &x, l, &y, l, &mut o)
            .unwrap();
        assert_eq!(down::<bool>(&dev, &o, 4), want, "{op:?}");
    }
    // Too small an output.
    let mut small = dev.alloc(3).unwrap();
    assert!(
        dev.binary(
            BinaryOp::LogicalAnd,
            ElemType::Bool,
            &x,
            l,
            &y,
            l,
            &mut small
        )
        .is_err()
    );
}

#[test]
fn unary_ops_match_core() {
    let dev = gpu!();
    let ints = [-5i32, 0, 7, i32::MIN];
    assert_eq!(
        unary::<i32, i32>(&dev, UnaryOp::Neg, &ints),
        [5, 0, -7, i32::MIN]
    );
    assert_eq!(
        unary::<i32, i32>(&dev, UnaryOp::Abs, &ints),
        [5, 0, 7, i32::MIN]
    );
    assert_eq!(
        unary::<i32, i32>(&dev, UnaryOp::Sign, &ints),
        [-1, 0, 1, -1]
    );
    assert_eq!(unary::<i32, i32>(&dev, UnaryOp::Relu, &ints), [0, 0, 7, 0]);
    assert_eq!(unary::<i32, i32>(&dev, UnaryOp::Floor, &ints), ints);
    assert_eq!(unary::<u8, u8>(&dev, UnaryOp::Sign, &[0, 9]), [0, 1]);
    let xs = [0.5f32, 1.0, 2.5, -1.5, 100.0, -0.0, 3.0];
    let exact: [UnaryF; 7] = [
        (UnaryOp::Sqrt, f32::sqrt),
        (UnaryOp::Rsqrt, |x| 1.0 / x.sqrt()),
        (UnaryOp::Floor, f32::floor),
        (UnaryOp::Ceil, f32::ceil),
        (UnaryOp::Round, f32::round_ties_even),
        (UnaryOp::Neg, |x| -x),
        (UnaryOp::Relu, |x| if x < 0.0 { 0.0 } else { x }),
    ];
    for (op, f) in exact {
        let got: Vec<f32> = unary(&dev, op, &xs);
        for (g, &x) in got.iter().zip(&xs) {
            let w = f(x);
            assert!(
                g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                "{op:?}({x}): {g} vs {w}"
            );
        }
    }
    let approx: [UnaryF; 7] = [
        (UnaryOp::Exp, f32::exp),
        (UnaryOp::Log, f32::ln),
        (UnaryOp::Sin, f32::sin),
        (UnaryOp::Cos, f32::cos),
        (UnaryOp::Tanh, f32::tanh),
        (UnaryOp::Sigmoid, |x| 1.0 / (1.0 + (-x).exp())),
        (UnaryOp::Abs, f32::abs),
    ];
    for (op, f) in approx {
        let got: Vec<f32> = unary(&dev, op, &xs);
        for (g, &x) in got.iter().zip(&xs) {
            assert!(close32(*g, f(x), 4), "{op:?}({x}): {g} vs {}", f(x));
        }
    }
    let d = [0.3f64, 2.0, 10.0];
    let got: Vec<f64> = unary(&dev, UnaryOp::Exp, &d);
    for (g, &x) in got.iter().zip(&d) {
        assert!(close64(*g, x.exp(), 2));
    }
    assert_eq!(
        unary::<bool, bool>(&dev, UnaryOp::LogicalNot, &[true, false]),
        [false, true]
    );
    // NaN passes relu and sign.
    let nan: Vec<f32> = unary(&dev, UnaryOp::Relu, &[f32::NAN]);
    assert!(nan[0].is_nan());
}

/// core's cast rules for the values used below (host reference).
#[derive(Clone, Copy, Debug)]
enum V {
    Int(i128),
    Float(f64),
    Bool(bool),
}

fn cast_ref(v: V, to: ElemType) -> Vec<u8> {
    macro_rules! int {
        ($t:ty) => {
            match v {
                V::Int(i) => (i as $t).to_ne_bytes().to_vec(),
                V::Float(f) => (f as $t).to_ne_bytes().to_vec(),
                V::Bool(b) => (b as $t).to_ne_bytes().to_vec(),
            }
        };
    }
    let as_f64 = |v: V| match v {
        V::Int(i) => i as f64,
        V::Float(f) => f,
        V::Bool(b) => f64::from(u8::from(b)),
    };
    match to {
        ElemType::Bool => vec![u8::from(match v {
            V::Int(i) => i != 0,
            V::Float(f) => f != 0.0,
            V::Bool(b) => b,
        })],
        ElemType::U8 => int!(u8),
        ElemType::U16 => int!(u16),
        ElemType::U32 => int!(u32),
        ElemType::U64 => int!(u64),
        ElemType::I8 => int!(i8),
        ElemType::I16 => int!(i16),
        ElemType::I32 => int!(i32),
        ElemType::I64 => int!(i64),
        // Values below are exact in f64, so from_f64 is core's single rounding.
        ElemType::F16 => f16::from_f64(as_f64(v)).to_bits().to_ne_bytes().to_vec(),
        ElemType::BF16 => bf16::from_f64(as_f64(v)).to_bits().to_ne_bytes().to_vec(),
        ElemType::F32 => match v {
            V::Int(i) => (i as f32).to_ne_bytes().to_vec(),
            _ => (as_f64(v) as f32).to_ne_bytes().to_vec(),
        },
        ElemType::F64 => as_f64(v).to_ne_bytes().to_vec(),
        ElemType::C64 => {
            let re = match v {
                V::Int(i) => i as f32,
                _ => as_f64(v) as f32,
            };
            bytes(&[C64(re, 0.0)])
        }
        ElemType::C128 => bytes(&[common::C128(as_f64(v), 0.0)]),
    }
}

fn cast_one(dev: &CudaDevice, from: ElemType, src: &[u8], to: ElemType) -> Vec<u8> {
    let b = dev.upload(src).unwrap();
    let mut out = dev.alloc(to.size_bytes()).unwrap();
    dev.cast(from, to, &b, StridedLayout::new(&[1], &[1]), &mut out)
        .unwrap();
    let mut host = vec![0u8; to.size_bytes()];
    dev.download(&out, to, StridedLayout::new(&[1], &[1]), &mut host)
        .unwrap();
    host
}

#[test]
fn casts_follow_core_to_the_bit() {
    let dev = gpu!();
    let bf16_ok = dev.compute_capability().0 >= 8;
    let targets: Vec<ElemType> = ElemType::ALL
        .into_iter()
        .filter(|&e| bf16_ok || e != ElemType::BF16)
        .collect();
    // (source type, bytes, value)
    let mut sources: Vec<(ElemType, Vec<u8>, V)> = Vec::new();
    for x in [
        0.0f64,
        -2.9,
        2.9,
        300.0,
        -5.0,
        1e20,
        -1e20,
        65519.0,
        65520.0,
        0.1,
        1.0 / 3.0,
    ] {
        sources.push((ElemType::F64, x.to_ne_bytes().to_vec(), V::Float(x)));
        sources.push((
            ElemType::F32,
            (x as f32).to_ne_bytes().to_vec(),
            V::Float(f64::from(x as f32)),
        ));
    }
    for i in [
        0i64,
        1,
        -1,
        257,
        -129,
        65535,
        16_777_217,
        -(1 << 40) - 3,
        i64::MIN,
        i64::MAX,
    ] {
        sources.push((
            ElemType::I64,
            i.to_ne_bytes().to_vec(),
            V::Int(i128::from(i)),
        ));
    }
    for u in [0u64, 255, 256, u64::MAX, 1 << 63] {
        sources.push((
            ElemType::U64,
            u.to_ne_bytes().to_vec(),
            V::Int(i128::from(u)),
        ));
    }
    for i in [-128i8, -1, 0, 127] {
        sources.push((
            ElemType::I8,
            i.to_ne_bytes().to_vec(),
            V::Int(i128::from(i)),
        ));
    }
    for b in [false, true] {
        sources.push((ElemType::Bool, vec![u8::from(b)], V::Bool(b)));
    }
    let h = f16::from_f32(-3.5);
    sources.push((
        ElemType::F16,
        h.to_bits().to_ne_bytes().to_vec(),
        V::Float(-3.5),
    ));
    for (from, src, v) in &sources {
        for &to in &targets {
            // Large integers into f16/bf16 go through core's round-to-odd
            // path; the reference here is only exact for values < 2^53.
            if let V::Int(i) = v {
                if matches!(to, ElemType::F16 | ElemType::BF16) && i.unsigned_abs() >= 1 << 53 {
                    continue;
                }
            }
            let got = cast_one(&dev, *from, src, to);
            assert_eq!(got, cast_ref(*v, to), "{from} {v:?} -> {to}");
        }
    }
    // NaN: -> int is 0, -> bool is true.
    let nan = f32::NAN.to_ne_bytes();
    assert_eq!(
        cast_one(&dev, ElemType::F32, &nan, ElemType::I32),
        0i32.to_ne_bytes()
    );
    assert_eq!(cast_one(&dev, ElemType::F32, &nan, ElemType::Bool), [1]);
    assert_eq!(
        cast_one(
            &dev,
            ElemType::F32,
            &f32::INFINITY.to_ne_bytes(),
            ElemType::I64
        ),
        i64::MAX.to_ne_bytes()
    );
    // i64::MAX -> f16 is inf; 2^24 + 1 -> f32 rounds to even.
    assert_eq!(
        cast_one(&dev, ElemType::I64, &i64::MAX.to_ne_bytes(), ElemType::F16),
        f16::INFINITY.to_bits().to_ne_bytes()
    );
    // Complex -> real takes the real part.
    let z = bytes(&[C64(-2.5, 9.0)]);
    assert_eq!(
        cast_one(&dev, ElemType::C64, &z, ElemType::I16),
        (-2i16).to_ne_bytes()
    );
    assert_eq!(cast_one(&dev, ElemType::C64, &z, ElemType::Bool), [1]);
}

#[test]
fn where_selects_with_broadcast() {
    let dev = gpu!();
    let c = up(&dev, &[true, false]);
    let a = up(&dev, &[1.0f64, 2.0, 3.0, 4.0]);
    let b = up(&dev, &[-1.0f64]);
    let mut out = dev.alloc(32).unwrap();
    dev.where_select(
        ElemType::F64,
        &c,
        StridedLayout::new(&[2, 2], &[0, 1]),
        &a,
        StridedLayout::new(&[2, 2], &[2, 1]),
        &b,
        StridedLayout::new(&[2, 2], &[0, 0]),
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<f64>(&dev, &out, 4), [1.0, -1.0, 3.0, -1.0]);
}

fn reduce<T: Elem, O: Elem>(
    dev: &CudaDevice,
    op: ReduceOp,
    data: &[T],
    dims: &[usize],
    s: &[isize],
    rr: usize,
) -> Result<Vec<O>, CudaError> {
    let buf = up(dev, data);
    let nout: usize = dims[..dims.len().saturating_sub(rr)].iter().product();
    let mut out = dev.alloc((nout * O::E.size_bytes()).max(1))?;
    dev.reduce(op, T::E, &buf, StridedLayout::new(dims, s), rr, &mut out)?;
    Ok(down(dev, &out, nout))
}

#[test]
fn reductions_over_kept_and_reduced_axes() {
    let dev = gpu!();
    // [3, 4] i32, reduce each row, then each column (transposed view).
    let x: Vec<i32> = vec![1, -2, 3, 4, 5, 6, -7, 8, 9, 10, 11, i32::MAX];
    let rows = reduce::<i32, i32>(&dev, ReduceOp::Sum, &x, &[3, 4], &[4, 1], 1).unwrap();
    assert_eq!(rows, [6, 12, 30i32.wrapping_add(i32::MAX)]);
    let cols = reduce::<i32, i32>(&dev, ReduceOp::Prod, &x, &[4, 3], &[1, 4], 1).unwrap();
    assert_eq!(cols, [45, -120, -231, 32i32.wrapping_mul(i32::MAX)]);
    let mx = reduce::<i32, i32>(&dev, ReduceOp::Max, &x, &[3, 4], &[4, 1], 2).unwrap();
    assert_eq!(mx, [i32::MAX]);
    let mn = reduce::<i32, i32>(&dev, ReduceOp::Min, &x, &[4, 3], &[1, 4], 1).unwrap();
    assert_eq!(mn, [1, -2, -7, 4]);
    let mean = reduce::<i32, f64>(&dev, ReduceOp::Mean, &x[..8], &[2, 4], &[4, 1], 1).unwrap();
    assert_eq!(mean, [1.5, 3.0]);
    let any = reduce::<i32, bool>(&dev, ReduceOp::Any, &[0, 0, 0, 1], &[2, 2], &[2, 1], 1).unwrap();
    assert_eq!(any, [false, true]);
    let all = reduce::<f32, bool>(
        &dev,
        ReduceOp::All,
        &[1.0, f32::NAN, -0.0, 1.0],
        &[2, 2],
        &[2, 1],
        1,
    )
    .unwrap();
    assert_eq!(all, [true, false]);
    // A long f32 sum (many threads per output) within rounding of the exact sum.
    let n = 100_000;
    let long: Vec<f32> = (0..n).map(|i| ((i % 17) as f32) * 0.25).collect();
    let exact: f64 = long.iter().map(|&v| f64::from(v)).sum();
    let s = reduce::<f32, f32>(&dev, ReduceOp::Sum, &long, &[n], &[1], 1).unwrap();
    assert!(
        (f64::from(s[0]) - exact).abs() <= exact * 1e-6,
        "{} vs {exact}",
        s[0]
    );
    // f16 sums accumulate in f32 and round once: 2048 + 1 + 1 = 2050 (an
    // f16 accumulator would stay at 2048).
    let h = [2048.0f32, 1.0, 1.0].map(f16::from_f32);
    let hs = reduce::<f16, f16>(&dev, ReduceOp::Sum, &h, &[3], &[1], 1).unwrap();
    assert_eq!(hs, [f16::from_f32(2050.0)]);
    // NaN propagates through max; bool max is any.
    let nanmax =
        reduce::<f32, f32>(&dev, ReduceOp::Max, &[1.0, f32::NAN, 3.0], &[3], &[1], 1).unwrap();
    assert!(nanmax[0].is_nan());
    let bmax =
        reduce::<bool, bool>(&dev, ReduceOp::Max, &[false, true, false], &[3], &[1], 1).unwrap();
    assert_eq!(bmax, [true]);
    // Complex sums.
    let z = reduce::<C64, C64>(
        &dev,
        ReduceOp::Sum,
        &[C64(1.0, 2.0), C64(3.0, -1.0)],
        &[2],
        &[1],
        1,
    )
    .unwrap();
    assert_eq!(z, [C64(4.0, 1.0)]);
    // Errors: max of an empty axis, reduced_rank past the rank, bool sums.
    let e = reduce::<i32, i32>(&dev, ReduceOp::Max, &[0], &[2, 0], &[1, 1], 1).unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
    assert!(reduce::<i32, i32>(&dev, ReduceOp::Sum, &x, &[3, 4], &[4, 1], 3).is_err());
    assert!(matches!(
        reduce::<bool, bool>(&dev, ReduceOp::Sum, &[true], &[1], &[1], 1),
        Err(CudaError::Unsupported(_))
    ));
    // Sum over an empty axis is 0.
    let empty = reduce::<i64, i64>(&dev, ReduceOp::Sum, &[0], &[2, 0], &[1, 1], 1).unwrap();
    assert_eq!(empty, [0, 0]);
}

#[test]
fn arg_reductions_take_the_first_extremum_and_the_first_nan() {
    let dev = gpu!();
    let x = [3.0f32, 9.0, 9.0, 1.0, 1.0, f32::NAN, 0.0, f32::NAN];
    let b = up(&dev, &x);
    let mut out = dev.alloc(16).unwrap();
    dev.arg_reduce(
        ArgOp::Max,
        ElemType::F32,
        &b,
        StridedLayout::new(&[2, 4], &[4, 1]),
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<i64>(&dev, &out, 2), [1, 1]);
    dev.arg_reduce(
        ArgOp::Min,
        ElemType::F32,
        &b,
        StridedLayout::new(&[2, 4], &[4, 1]),
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<i64>(&dev, &out, 2), [3, 1]);
    // Along a strided axis (columns of [4, 2]).
    dev.arg_reduce(
        ArgOp::Min,
        ElemType::F32,
        &b,
        StridedLayout::new(&[2, 4], &[1, 2]),
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<i64>(&dev, &out, 2), [3, 2]);
    // Long rows: ties across threads still pick the first index.
    let n = 10_000;
    let mut long = vec![5u16; n];
    long[7_777] = 9;
    long[9_000] = 9;
    long[4_000] = 1;
    long[8_000] = 1;
    let lb = up(&dev, &long);
    dev.arg_reduce(
        ArgOp::Max,
        ElemType::U16,
        &lb,
        StridedLayout::new(&[n], &[1]),
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<i64>(&dev, &out, 1), [7_777]);
    dev.arg_reduce(
        ArgOp::Min,
        ElemType::U16,
        &lb,
        StridedLayout::new(&[n], &[1]),
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<i64>(&dev, &out, 1), [4_000]);
    let e = dev
        .arg_reduce(
            ArgOp::Max,
            ElemType::U16,
            &lb,
            StridedLayout::new(&[2, 0], &[0, 1]),
            &mut out,
        )
        .unwrap_err();
    assert!(e.to_string().contains("empty"), "{e}");
}

#[test]
fn scans_match_core_in_every_mode() {
    let dev = gpu!();
    let x: Vec<i64> = vec![1, 2, 3, 4, 5, 6];
    let b = up(&dev, &x);
    let mut out = dev.alloc(48).unwrap();
    let cases = [
        (false, false, [1, 3, 6, 4, 9, 15]),
        (true, false, [0, 1, 3, 0, 4, 9]),
        (false, true, [6, 5, 3, 15, 11, 6]),
        (true, true, [5, 3, 0, 11, 6, 0]),
    ];
    for (excl, rev, want) in cases {
        dev.cumulative(
            CumOp::Sum,
            ElemType::I64,
            &b,
            StridedLayout::new(&[2, 3], &[3, 1]),
            excl,
            rev,
            &mut out,
        )
        .unwrap();
        assert_eq!(
            down::<i64>(&dev, &out, 6),
            want,
            "exclusive {excl} reverse {rev}"
        );
    }
    // Along columns (axis 0 moved last): [3, 2] view with strides (1, 3).
    dev.cumulative(
        CumOp::Prod,
        ElemType::I64,
        &b,
        StridedLayout::new(&[3, 2], &[1, 3]),
        false,
        false,
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<i64>(&dev, &out, 6), [1, 4, 2, 10, 3, 18]);
    // f32 scans are sequential: bit-equal to a sequential host sum.
    let f: Vec<f32> = (0..1000).map(|i| 0.1 * i as f32).collect();
    let fb = up(&dev, &f);
    let mut fo = dev.alloc(4000).unwrap();
    dev.cumulative(
        CumOp::Sum,
        ElemType::F32,
        &fb,
        StridedLayout::new(&[1000], &[1]),
        false,
        false,
        &mut fo,
    )
    .unwrap();
    let mut acc = 0.0f32;
    let want: Vec<f32> = f
        .iter()
        .map(|&v| {
            acc += v;
            acc
        })
        .collect();
    assert_eq!(down::<f32>(&dev, &fo, 1000), want);
}

fn naive_matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
        }
    }
    c
}

#[test]
fn matmul_with_cublas_and_the_tiled_kernel() {
    let dev = gpu!();
    let (m, k, n) = (37usize, 53usize, 29usize);
    let a: Vec<f64> = (0..m * k).map(|i| ((i * 7 % 13) as f64) - 6.0).collect();
    let b: Vec<f64> = (0..k * n).map(|i| ((i * 5 % 11) as f64) * 0.5).collect();
    let want = naive_matmul(&a, &b, m, k, n);
    let run = |elem: ElemType,
               ab: &DeviceBuffer,
               al: StridedLayout<'_>,
               bb: &DeviceBuffer,
               bl: StridedLayout<'_>| {
        let mut out = dev.alloc(m * n * elem.size_bytes()).unwrap();
        dev.matmul(elem, ab, al, bb, bl, &mut out).unwrap();
        out
    };
    let (ad, bd) = ([1, m, k], [1, k, n]);
    let (ast, bst) = (strides(&ad), strides(&bd));
    // f64 and f32 (small integers: exact in any order).
    let out = run(
        ElemType::F64,
        &up(&dev, &a),
        StridedLayout::new(&ad, &ast),
        &up(&dev, &b),
        StridedLayout::new(&bd, &bst),
    );
    assert_eq!(down::<f64>(&dev, &out, m * n), want);
    let a32: Vec<f32> = a.iter().map(|&v| v as f32).collect();
    let b32: Vec<f32> = b.iter().map(|&v| v as f32).collect();
    let out = run(
        ElemType::F32,
        &up(&dev, &a32),
        StridedLayout::new(&ad, &ast),
        &up(&dev, &b32),
        StridedLayout::new(&bd, &bst),
    );
    assert_eq!(
        down::<f32>(&dev, &out, m * n),
        want.iter().map(|&v| v as f32).collect::<Vec<_>>()
    );
    // A transposed lhs read in place: a^T stored as [k, m].
    let at: Vec<f32> = (0..k * m).map(|i| a32[(i % m) * k + i / m]).collect();
    let out = run(
        ElemType::F32,
        &up(&dev, &at),
        StridedLayout::new(&ad, &[0, 1, m as isize]),
        &up(&dev, &b32),
        StridedLayout::new(&bd, &bst),
    );
    assert_eq!(
        down::<f32>(&dev, &out, m * n),
        want.iter().map(|&v| v as f32).collect::<Vec<_>>()
    );
    // f16: exact small products accumulate in f32.
    let ah: Vec<f16> = a.iter().map(|&v| f16::from_f64(v)).collect();
    let bh: Vec<f16> = b.iter().map(|&v| f16::from_f64(v)).collect();
    let out = run(
        ElemType::F16,
        &up(&dev, &ah),
        StridedLayout::new(&ad, &ast),
        &up(&dev, &bh),
        StridedLayout::new(&bd, &bst),
    );
    let got = down::<f16>(&dev, &out, m * n);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(*g, f16::from_f64(*w));
    }
    // i32 wraps exactly; broadcast rhs over a batch of 3 (batch stride 0).
    let ai: Vec<i32> = (0..3 * m * k)
        .map(|i| (i as i32).wrapping_mul(1_000_003))
        .collect();
    let bi: Vec<i32> = (0..k * n).map(|i| (i as i32) * 7919 - 100_000).collect();
    let mut out = dev.alloc(3 * m * n * 4).unwrap();
    let a3 = [3, m, k];
    let b3 = [3, k, n];
    dev.matmul(
        ElemType::I32,
        &up(&dev, &ai),
        StridedLayout::new(&a3, &strides(&a3)),
        &up(&dev, &bi),
        StridedLayout::new(&b3, &[0, n as isize, 1]),
        &mut out,
    )
    .unwrap();
    let got = down::<i32>(&dev, &out, 3 * m * n);
    for z in 0..3 {
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0i32;
                for l in 0..k {
                    acc = acc.wrapping_add(ai[z * m * k + i * k + l].wrapping_mul(bi[l * n + j]));
                }
                assert_eq!(got[z * m * n + i * n + j], acc, "batch {z} [{i}, {j}]");
            }
        }
    }
    // Complex, not conjugated.
    let ac = [C64(1.0, 1.0), C64(0.0, 2.0)]; // [1, 2]
    let bc = [C64(3.0, 0.0), C64(1.0, -1.0)]; // [2, 1]
    let mut oc = dev.alloc(8).unwrap();
    dev.matmul(
        ElemType::C64,
        &up(&dev, &ac),
        StridedLayout::new(&[1, 1, 2], &[2, 2, 1]),
        &up(&dev, &bc),
        StridedLayout::new(&[1, 2, 1], &[2, 1, 1]),
        &mut oc,
    )
    .unwrap();
    assert_eq!(down::<C64>(&dev, &oc, 1), [C64(5.0, 5.0)]);
    // k == 0 gives zeros; mismatched inner dims are an error.
    let mut oz = dev.alloc(16).unwrap();
    dev.fill(ElemType::F32, &mut oz, &7.0f32.to_ne_bytes())
        .unwrap();
    let e0 = dev.alloc(0).unwrap();
    dev.matmul(
        ElemType::F32,
        &e0,
        StridedLayout::new(&[1, 2, 0], &[0, 0, 1]),
        &e0,
        StridedLayout::new(&[1, 0, 2], &[0, 2, 1]),
        &mut oz,
    )
    .unwrap();
    assert_eq!(down::<f32>(&dev, &oz, 4), [0.0; 4]);
    let e = dev
        .matmul(
            ElemType::F32,
            &e0,
            StridedLayout::new(&[1, 2, 3], &[0, 0, 0]),
            &e0,
            StridedLayout::new(&[1, 2, 2], &[0, 0, 0]),
            &mut oz,
        )
        .unwrap_err();
    assert!(e.to_string().contains("chain"), "{e}");
}

#[test]
fn grayscale_uses_core_weights_and_integer_scaling() {
    let dev = gpu!();
    let px = [255u8, 255, 255, 10, 200, 30, 0, 0, 0];
    let b = up(&dev, &px);
    let mut out = dev.alloc(3).unwrap();
    dev.rgb_to_grayscale(
        ElemType::U8,
        &b,
        StridedLayout::new(&[3, 3], &[3, 1]),
        &mut out,
    )
    .unwrap();
    let (to_unit, from_unit) = ((1.0f64 / 255.0) as f32, 255.5f32);
    let want: Vec<u8> = px
        .chunks(3)
        .map(|p| {
            let (r, g, b) = (
                p[0] as f32 * to_unit,
                p[1] as f32 * to_unit,
                p[2] as f32 * to_unit,
            );
            ((r * 0.2989 + g * 0.5870 + b * 0.1140) * from_unit) as u8
        })
        .collect();
    assert_eq!(down::<u8>(&dev, &out, 3), want);
    // Channels-first view ([2 pixels] with channel stride 2).
    let f = [0.5f32, 0.25, 1.0, 0.0, 0.0, 1.0];
    let fb = up(&dev, &f);
    let mut fo = dev.alloc(8).unwrap();
    dev.rgb_to_grayscale(
        ElemType::F32,
        &fb,
        StridedLayout::new(&[2, 3], &[1, 2]),
        &mut fo,
    )
    .unwrap();
    let want = [
        0.5f32 * 0.2989 + 1.0 * 0.5870 + 0.0 * 0.1140,
        0.25 * 0.2989 + 0.0 * 0.5870 + 1.0 * 0.1140,
    ];
    assert_eq!(down::<f32>(&dev, &fo, 2), want);
    assert!(
        dev.rgb_to_grayscale(
            ElemType::F32,
            &fb,
            StridedLayout::new(&[3, 2], &[2, 1]),
            &mut fo
        )
        .is_err()
    );
}

#[test]
fn long_reductions_in_two_passes_match_one_pass_rules() {
    let dev = gpu!();
    // 3 outputs of 2^20 elements each: split into parts, then combined.
    let n = 1usize << 20;
    let x: Vec<i64> = (0..3 * n as i64)
        .map(|i| (i * 2_654_435_761) % 1_000_003 - 500_000)
        .collect();
    let sums = reduce::<i64, i64>(&dev, ReduceOp::Sum, &x, &[3, n], &[n as isize, 1], 1).unwrap();
    for (o, s) in sums.iter().enumerate() {
        let want = x[o * n..(o + 1) * n]
            .iter()
            .fold(0i64, |a, &v| a.wrapping_add(v));
        assert_eq!(*s, want, "output {o}");
    }
    let mx = reduce::<i64, i64>(&dev, ReduceOp::Max, &x, &[3, n], &[n as isize, 1], 2).unwrap();
    assert_eq!(mx, [*x.iter().max().unwrap()]);
    let mean = reduce::<i64, f64>(&dev, ReduceOp::Mean, &x[..n], &[n], &[1], 1).unwrap();
    let exact = x[..n].iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    assert!(
        (mean[0] - exact).abs() <= 1e-9 * exact.abs().max(1.0),
        "{} vs {exact}",
        mean[0]
    );
    let mut f: Vec<f32> = (0..n).map(|i| (i % 1000) as f32).collect();
    f[n - 3] = f32::NAN;
    let fm = reduce::<f32, f32>(&dev, ReduceOp::Max, &f, &[n], &[1], 1).unwrap();
    assert!(fm[0].is_nan());
    let any = reduce::<f32, bool>(&dev, ReduceOp::All, &f, &[n], &[1], 1).unwrap();
    assert_eq!(any, [false]); // f[0] == 0
}
