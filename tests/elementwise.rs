//! Elementwise operations: binary math with NumPy broadcasting, comparisons,
//! logical operations, `where_`, unary math and the operator sugar, against
//! naive references written here (element by element, from NumPy's and
//! TensorFlow's documented rules), over views of every kind as inputs.

use half::{bf16, f16};
use num_complex::Complex;
use proptest::prelude::*;
use tensorbridge::prelude::*;
use tensorbridge::strategies::{ViewChain, views};
use tensorbridge_tests::{
    Naive, TRANSCENDENTAL_ULPS, chain_on, close_on, for_each_device, here, indices, on_each_device,
    same, ulps,
};

/// The naive array a view chain denotes, replayed op by op.
fn naive_of(chain: &ViewChain<i64>) -> Naive<i64> {
    chain
        .ops
        .iter()
        .fold(Naive::new(chain.data.clone(), &chain.dims), |n, op| {
            n.apply(op)
        })
}

/// NumPy's broadcast of two shapes, or None.
fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    (0..rank)
        .map(|i| {
            let da = (i + a.len()).checked_sub(rank).map_or(1, |j| a[j]);
            let db = (i + b.len()).checked_sub(rank).map_or(1, |j| b[j]);
            match (da, db) {
                _ if da == db => Some(da),
                (1, _) => Some(db),
                (_, 1) => Some(da),
                _ => None,
            }
        })
        .collect()
}

/// `f` of the broadcast elements of two naive arrays.
fn naive_zip<T: Copy, U: Clone>(
    a: &Naive<T>,
    b: &Naive<T>,
    f: impl Fn(T, T) -> U,
) -> Option<Naive<U>> {
    let dims = broadcast(&a.dims, &b.dims)?;
    let (a, b) = (a.broadcast_to(&dims)?, b.broadcast_to(&dims)?);
    Some(Naive::new(
        a.data.iter().zip(&b.data).map(|(&x, &y)| f(x, y)).collect(),
        &dims,
    ))
}

/// NumPy's floor division of integers, in i128 so it cannot overflow.
fn floor_div(a: i64, b: i64) -> i64 {
    let (a, b) = (a as i128, b as i128);
    let q = a / b;
    (if (a % b != 0) && ((a < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }) as i64
}

/// NumPy's floor modulo of integers.
fn floor_mod(a: i64, b: i64) -> i64 {
    a - floor_div(a, b).wrapping_mul(b)
}

/// A shape the given dims broadcast with: a suffix of them, some dims
/// replaced by 1, sometimes with extra leading dims.
fn partner_dims(dims: Vec<usize>) -> impl Strategy<Value = Vec<usize>> {
    let n = dims.len();
    (
        0..=n,
        proptest::collection::vec(any::<bool>(), n),
        proptest::collection::vec(1usize..=3, 0..=1),
    )
        .prop_map(move |(keep, ones, lead)| {
            // Extra leading dims only make sense in front of the whole shape.
            let mut out = if keep == n { lead } else { Vec::new() };
            out.extend(
                dims[n - keep..]
                    .iter()
                    .zip(&ones[n - keep..])
                    .map(|(&d, &one)| if one { 1 } else { d }),
            );
            out
        })
}

fn lhs_and_rhs() -> impl Strategy<Value = (ViewChain<i64>, Vec<usize>, Vec<i64>)> {
    views()
        .prop_flat_map(|chain| {
            let dims = naive_of(&chain).dims;
            (Just(chain), partner_dims(dims))
        })
        .prop_flat_map(|(chain, rdims)| {
            let n: usize = rdims.iter().product();
            (
                Just(chain),
                Just(rdims),
                proptest::collection::vec(-9i64..=9, n),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Every integer op on any view against any broadcast-compatible
    /// operand equals the naive element-by-element result.
    #[test]
    fn integer_ops_on_views_broadcast_like_numpy((chain, rdims, rdata) in lhs_and_rhs()) {
        // On every device: the view chain runs on that device's copy of the
        // base, the operand is made under its scope.
        on_each_device(|device| {
        let a = chain_on(&chain, device);
        let na = naive_of(&chain);
        let b = Tensor::from_vec(rdata.clone(), rdims.clone()).unwrap();
        prop_assert_eq!(b.device(), device);
        let nb = Naive::new(rdata.clone(), &rdims);
        type Op = (&'static str, fn(&Tensor, &Tensor) -> Result<Tensor>, fn(i64, i64) -> i64);
        let ops: [Op; 5] = [
            ("add", |a, b| a.add(b), i64::wrapping_add),
            ("sub", |a, b| a.sub(b), i64::wrapping_sub),
            ("mul", |a, b| a.mul(b), i64::wrapping_mul),
            ("maximum", |a, b| a.maximum(b), i64::max),
            ("minimum", |a, b| a.minimum(b), i64::min),
        ];
        for (name, op, reference) in ops {
            let got = op(&a, &b).unwrap();
            prop_assert_eq!(got.device(), device);
            let expected = naive_zip(&na, &nb, reference).unwrap();
            prop_assert_eq!(got.dims(), &expected.dims[..], "{}", name);
            prop_assert_eq!(got.to_vec::<i64>().unwrap(), expected.data, "{}", name);
        }
        let cmp = a.lt(&b).unwrap();
        prop_assert_eq!(cmp.to_vec::<bool>().unwrap(), naive_zip(&na, &nb, |x, y| x < y).unwrap().data);
        let divides = rdata.iter().all(|&y| y != 0);
        let out_empty = a.numel() == 0;
        match a.div(&b) {
            Ok(q) => {
                prop_assert!(divides || out_empty);
                prop_assert_eq!(q.to_vec::<i64>().unwrap(), naive_zip(&na, &nb, floor_div).unwrap().data);
                let r = a.rem(&b).unwrap();
                prop_assert_eq!(r.to_vec::<i64>().unwrap(), naive_zip(&na, &nb, floor_mod).unwrap().data);
            }
            Err(e) => {
                prop_assert!(!divides && !out_empty, "{}", e);
                prop_assert!(e.to_string().contains("division by zero"), "{}", e);
            }
        }
        Ok(())
        })?;
    }

    /// Every pair of shapes up to rank 5 broadcasts by NumPy's rule, or is an
    /// error naming both shapes.
    #[test]
    fn incompatible_shapes_are_refused(a in proptest::collection::vec(0usize..4, 0..=5),
                                       b in proptest::collection::vec(0usize..4, 0..=5)) {
        on_each_device(|_device| {
        let ta = Tensor::zeros(a.clone(), DType::F32).unwrap();
        let tb = Tensor::zeros(b.clone(), DType::F32).unwrap();
        match (broadcast(&a, &b), ta.add(&tb)) {
            (Some(dims), Ok(t)) => prop_assert_eq!(t.dims(), &dims[..]),
            (None, Err(Error::ShapeMismatch { msg, .. })) => {
                prop_assert!(msg.contains(&format!("{a:?}")) && msg.contains(&format!("{b:?}")), "{}", msg);
            }
            (expected, got) => prop_assert!(false, "{:?} vs {:?}", expected, got),
        }
        prop_assert_eq!(broadcast(&a, &b).is_some(), Tensor::where_(
            &Tensor::zeros(a.clone(), DType::Bool).unwrap(), &ta, &tb).is_ok());
        Ok(())
        })?;
    }

    /// f32 arithmetic on arbitrary floats (NaN, inf, -0.0 included) is the
    /// IEEE result, bit for bit.
    #[test]
    fn float_ops_are_ieee(x in proptest::collection::vec(any::<f32>(), 1..40), y in any::<f32>()) {
        on_each_device(|device| {
        let t = Tensor::from_vec(x.clone(), [x.len()]).unwrap();
        let s = here(y);
        let check = |got: Tensor, f: fn(f32, f32) -> f32| {
            let expected: Vec<f32> = x.iter().map(|&v| f(v, y)).collect();
            got.device() == device && same(&got.to_vec::<f32>().unwrap(), &expected)
        };
        // pow is transcendental: bit for bit on the CPU, within
        // TRANSCENDENTAL_ULPS (of f32) on another device.
        let check_pow = |got: Tensor| {
            let got = got.to_vec::<f32>().unwrap();
            if device == Device::Cpu {
                let expected: Vec<f32> = x.iter().map(|&v| v.powf(y)).collect();
                return same(&got, &expected);
            }
            got.iter().zip(&x).all(|(&g, &v)| {
                ulps(f64::from(g), f64::from(v.powf(y)), 24) <= TRANSCENDENTAL_ULPS
            })
        };
        prop_assert!(check(t.add(&s).unwrap(), |a, b| a + b));
        prop_assert!(check(t.sub(&s).unwrap(), |a, b| a - b));
        prop_assert!(check(t.mul(&s).unwrap(), |a, b| a * b));
        prop_assert!(check(t.div(&s).unwrap(), |a, b| a / b));
        prop_assert!(check_pow(t.pow(&s).unwrap()));
        let maximum = check(t.maximum(&s).unwrap(), |a, b| if a.is_nan() || b.is_nan() { f32::NAN } else { a.max(b) });
        prop_assert!(maximum);
        let floor_mod = check(t.rem(&s).unwrap(), |a, b| {
            let r = a % b;
            if r != 0.0 && ((r < 0.0) != (b < 0.0)) { r + b } else { r }
        });
        prop_assert!(floor_mod);
        let eq: Vec<bool> = x.iter().map(|&v| v == y).collect();
        prop_assert_eq!(t.eq(&s).unwrap().to_vec::<bool>().unwrap(), eq);
        Ok(())
        })?;
    }

    /// f16 and bf16 compute in f32 and round once.
    #[test]
    fn half_ops_round_once(x in proptest::collection::vec(-1000.0f32..1000.0, 1..30), y in -100.0f32..100.0) {
        on_each_device(|_device| {
        let hx: Vec<f16> = x.iter().map(|&v| f16::from_f32(v)).collect();
        let hy = f16::from_f32(y);
        let got = Tensor::from_vec(hx.clone(), [hx.len()]).unwrap().mul(&here(hy)).unwrap();
        let expected: Vec<f16> = hx.iter().map(|v| f16::from_f32(v.to_f32() * hy.to_f32())).collect();
        prop_assert_eq!(got.to_vec::<f16>().unwrap(), expected);
        let bx: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
        let by = bf16::from_f32(y);
        let got = Tensor::from_vec(bx.clone(), [bx.len()]).unwrap().add(&here(by)).unwrap();
        let expected: Vec<bf16> = bx.iter().map(|v| bf16::from_f32(v.to_f32() + by.to_f32())).collect();
        prop_assert_eq!(got.to_vec::<bf16>().unwrap(), expected);
        Ok(())
        })?;
    }

    /// `where_` picks per element after broadcasting all three operands.
    #[test]
    fn where_selects_per_element(chain in views(), flip in any::<bool>()) {
        on_each_device(|device| {
        let a = chain_on(&chain, device);
        let na = naive_of(&chain);
        let zero = Tensor::new(0i64).unwrap();
        let cond = a.rem_scalar(2i64).unwrap().eq(&zero).unwrap();
        let other = Tensor::new(-1i64).unwrap();
        let got = if flip { Tensor::where_(&cond, &other, &a) } else { Tensor::where_(&cond, &a, &other) }.unwrap();
        prop_assert_eq!(got.device(), device);
        let expected: Vec<i64> = na.data.iter().map(|&x| {
            let even = x.rem_euclid(2) == 0;
            if even != flip { x } else { -1 }
        }).collect();
        prop_assert_eq!(got.to_vec::<i64>().unwrap(), expected);
        Ok(())
        })?;
    }

    /// Unary math equals the std function per element, for any view.
    #[test]
    fn unary_ops_match_std(chain in views()) {
        on_each_device(|device| {
        let t = chain_on(&chain, device).cast(DType::F64).unwrap().div_scalar(7.0).unwrap();
        let x = t.to_vec::<f64>().unwrap();
        // (op, reference, exact: IEEE rounds it once, so every device
        // gives the reference's bits; the others are transcendental).
        type Op = (fn(&Tensor) -> Result<Tensor>, fn(f64) -> f64, bool);
        let ops: [Op; 12] = [
            (Tensor::exp, f64::exp, false), (Tensor::log, f64::ln, false),
            (Tensor::sqrt, f64::sqrt, true), (Tensor::rsqrt, |v| 1.0 / v.sqrt(), false),
            (Tensor::sin, f64::sin, false), (Tensor::cos, f64::cos, false),
            (Tensor::tanh, f64::tanh, false), (Tensor::sigmoid, |v| 1.0 / (1.0 + (-v).exp()), false),
            (Tensor::floor, f64::floor, true), (Tensor::ceil, f64::ceil, true),
            (Tensor::round, f64::round_ties_even, true), (Tensor::abs, f64::abs, true),
        ];
        for (op, reference, exact) in ops {
            let expected: Vec<f64> = x.iter().map(|&v| reference(v)).collect();
            let got = op(&t).unwrap();
            prop_assert_eq!(got.device(), device);
            let got = got.to_vec::<f64>().unwrap();
            if exact {
                prop_assert!(same(&got, &expected));
            } else {
                prop_assert!(close_on(device, &got, &expected), "{:?} vs {:?}", got, expected);
            }
        }
        let neg: Vec<f64> = x.iter().map(|v| -v).collect();
        prop_assert!(same(&t.neg().unwrap().to_vec::<f64>().unwrap(), &neg));
        Ok(())
        })?;
    }
}

#[test]
fn scenario_multiply_then_add() {
    for_each_device(|_device| {
        // tf.multiply(tf.constant([[1, 2], [4, 8]]), 2), then np.add(t, 1)
        let t = Tensor::new([[1, 2], [4, 8]]).unwrap();
        let t = t.mul_scalar(2).unwrap();
        assert_eq!(t.to_vec::<i32>().unwrap(), [2, 4, 8, 16]);
        let a = t.add_scalar(1).unwrap().to_array::<i32>().unwrap();
        assert_eq!(a, ndarray::arr2(&[[3, 5], [9, 17]]).into_dyn());
        // The same with the operators.
        let u = &(&here([[1, 2], [4, 8]]) * 2) + 1;
        assert_eq!(u.to_vec::<i32>().unwrap(), [3, 5, 9, 17]);
    });
}

#[test]
fn integer_rules_by_hand() {
    for_each_device(|_device| {
        let i8s = here([127i8, -128, 100]);
        assert_eq!(
            i8s.add_scalar(1i8).unwrap().to_vec::<i8>().unwrap(),
            [-128, -127, 101]
        );
        assert_eq!(
            i8s.mul_scalar(2i8).unwrap().to_vec::<i8>().unwrap(),
            [-2, 0, -56]
        );
        assert_eq!((-&i8s).to_vec::<i8>().unwrap(), [-127, -128, -100]);
        assert_eq!(i8s.abs().unwrap().to_vec::<i8>().unwrap(), [127, -128, 100]);
        // np.array([7, -7, 7, -7]) // np.array([2, 2, -2, -2]) == [3, -4, -4, 3]; % == [1, 1, -1, -1]
        let a = here([7i32, -7, 7, -7]);
        let b = here([2i32, 2, -2, -2]);
        assert_eq!(a.div(&b).unwrap().to_vec::<i32>().unwrap(), [3, -4, -4, 3]);
        assert_eq!(a.rem(&b).unwrap().to_vec::<i32>().unwrap(), [1, 1, -1, -1]);
        assert_eq!(
            here([3u8, 0])
                .sub_scalar(5u8)
                .unwrap()
                .to_vec::<u8>()
                .unwrap(),
            [254, 251]
        );
        assert_eq!(
            here([2u64])
                .pow_scalar(64u64)
                .unwrap()
                .to_vec::<u64>()
                .unwrap(),
            [0]
        );
        assert_eq!(
            here([-3i16, 0, 4]).sign().unwrap().to_vec::<i16>().unwrap(),
            [-1, 0, 1]
        );
        assert_eq!(
            here([0u32, 9]).sign().unwrap().to_vec::<u32>().unwrap(),
            [0, 1]
        );
        assert_eq!(
            here([-2i64, 3]).relu().unwrap().to_vec::<i64>().unwrap(),
            [0, 3]
        );
        assert_eq!(here([5i32]).floor().unwrap().to_vec::<i32>().unwrap(), [5]);
    });
}

#[test]
fn complex_arithmetic() {
    for_each_device(|_device| {
        let z = here([Complex::new(1.0f64, 2.0), Complex::new(0.0, -1.0)]);
        let w = here(Complex::new(0.0f64, 1.0));
        assert_eq!(
            z.mul(&w).unwrap().to_vec::<Complex<f64>>().unwrap(),
            [Complex::new(-2.0, 1.0), Complex::new(1.0, 0.0)]
        );
        assert_eq!(
            z.add_scalar(1.0f64)
                .unwrap()
                .to_vec::<Complex<f64>>()
                .unwrap()[0],
            Complex::new(2.0, 2.0)
        );
        assert_eq!(z.abs().unwrap().dtype(), DType::F64);
        let e = z.exp().unwrap().to_vec::<Complex<f64>>().unwrap();
        assert!((e[1] - Complex::new(1.0f64.cos(), -1.0f64.sin())).norm() < 1e-15);
        assert_eq!(z.eq(&z).unwrap().to_vec::<bool>().unwrap(), [true, true]);
    });
}

#[test]
fn comparisons_and_logic_by_hand() {
    for_each_device(|_device| {
        let x = here([1.0f32, f32::NAN, 3.0]);
        let y = here([1.0f32, f32::NAN, 2.0]);
        assert_eq!(
            x.eq(&y).unwrap().to_vec::<bool>().unwrap(),
            [true, false, false]
        );
        assert_eq!(
            x.ne(&y).unwrap().to_vec::<bool>().unwrap(),
            [false, true, true]
        );
        assert_eq!(
            x.ge(&y).unwrap().to_vec::<bool>().unwrap(),
            [true, false, true]
        );
        assert_eq!(
            x.gt(&y).unwrap().to_vec::<bool>().unwrap(),
            [false, false, true]
        );
        assert_eq!(
            x.le(&y).unwrap().to_vec::<bool>().unwrap(),
            [true, false, false]
        );
        let p = here([[true], [false]]);
        let q = here([true, false]);
        assert_eq!(
            p.logical_and(&q).unwrap().to_vec::<bool>().unwrap(),
            [true, false, false, false]
        );
        assert_eq!(
            p.logical_or(&q).unwrap().to_vec::<bool>().unwrap(),
            [true, true, true, false]
        );
        assert_eq!(
            p.logical_xor(&q).unwrap().to_vec::<bool>().unwrap(),
            [false, true, true, false]
        );
        assert_eq!(
            q.logical_not().unwrap().to_vec::<bool>().unwrap(),
            [false, true]
        );
        assert_eq!(
            here([false, true])
                .lt(&q)
                .unwrap()
                .to_vec::<bool>()
                .unwrap(),
            [true, false]
        );
    });
}

#[test]
fn rounding_and_special_values() {
    for_each_device(|_device| {
        let t = here([0.5f32, 1.5, 2.5, -2.5, f32::NAN]);
        let r = t.round().unwrap().to_vec::<f32>().unwrap();
        assert!(same(&r, &[0.0, 2.0, 2.0, -2.0, f32::NAN]));
        let relu = t.neg().unwrap().relu().unwrap().to_vec::<f32>().unwrap();
        assert!(same(&relu, &[0.0, 0.0, 0.0, 2.5, f32::NAN]));
        let h = here([bf16::from_f32(4.0)]).sqrt().unwrap();
        assert_eq!(h.to_vec::<bf16>().unwrap(), [bf16::from_f32(2.0)]);
        assert_eq!(
            here([0.0f64, -0.0])
                .sign()
                .unwrap()
                .to_vec::<f64>()
                .unwrap()[1]
                .to_bits(),
            (-0.0f64).to_bits()
        );
    });
}

#[test]
fn large_broadcast_uses_the_parallel_path_correctly() {
    for_each_device(|_device| {
        let (rows, cols) = (1024usize, 777usize);
        let a = Tensor::arange(0i64, (rows * cols) as i64, 1)
            .unwrap()
            .reshape([rows, cols])
            .unwrap();
        let b = Tensor::arange(0i64, cols as i64, 1).unwrap();
        let got = a.t().unwrap().add(&b.expand_dims(-1).unwrap()).unwrap();
        assert_eq!(got.dims(), [cols, rows]);
        let v = got.to_vec::<i64>().unwrap();
        for idx in indices(&[cols, rows]).into_iter().step_by(997) {
            let (j, i) = (idx[0], idx[1]);
            assert_eq!(v[j * rows + i], (i * cols + j) as i64 + j as i64);
        }
    });
}

#[test]
fn every_rule_broken_once() {
    for_each_device(|_device| {
        let i = here([1, 2]);
        let f = here([1.0f32, 2.0]);
        let e = i.add(&f).unwrap_err();
        assert!(matches!(
            e,
            Error::DTypeMismatch {
                expected: DType::I32,
                found: DType::F32,
                ..
            }
        ));
        assert!(e.to_string().contains("cast"), "{e}");
        let e = i.div(&here([0, 1])).unwrap_err();
        assert!(
            e.to_string().contains("division by zero") && e.to_string().contains("int32"),
            "{e}"
        );
        assert!(i.rem_scalar(0).is_err());
        // An empty result divides nothing, so a zero divisor is no error.
        assert!(
            Tensor::zeros([0, 2], DType::I32)
                .unwrap()
                .div(&here([0, 1]))
                .is_ok()
        );
        let e = i.pow_scalar(-1).unwrap_err();
        assert!(e.to_string().contains("negative integer powers"), "{e}");
        assert!(
            here([true])
                .add(&here([true]))
                .unwrap_err()
                .to_string()
                .contains("bool")
        );
        let z = here([Complex::new(1.0f32, 0.0)]);
        assert!(z.lt(&z).unwrap_err().to_string().contains("no order"));
        assert!(z.maximum(&z).is_err());
        assert!(z.rem(&z).is_err());
        assert!(z.relu().is_err());
        assert!(matches!(
            i.logical_and(&i).unwrap_err(),
            Error::DTypeMismatch {
                expected: DType::Bool,
                ..
            }
        ));
        assert!(i.logical_not().is_err());
        assert!(Tensor::where_(&i, &i, &i).is_err());
        assert!(Tensor::where_(&here([true]), &i, &f).is_err());
        let e = i.add_scalar(1.5f64).unwrap_err();
        assert!(
            e.to_string().contains("1.5") && e.to_string().contains("int32"),
            "{e}"
        );
        assert!(here([1u8]).add_scalar(256i32).is_err());
        assert!(i.exp().unwrap_err().to_string().contains("cast"));
        assert!(here([true]).neg().is_err());
        assert!(here([true]).abs().is_err());
        assert!(here([true]).floor().is_err());
        let e = i.add(&here([1, 2, 3])).unwrap_err();
        assert!(
            matches!(e, Error::ShapeMismatch { .. }) && e.to_string().contains("[2] and [3]"),
            "{e}"
        );
    });
}

#[test]
#[should_panic(expected = "expected dtype int32, found float32")]
fn operators_panic_with_the_method_message() {
    let _ = &Tensor::from([1, 2]) + &Tensor::from([1.0f32, 2.0]);
}

#[test]
#[should_panic(expected = "integer division by zero")]
fn operator_division_by_zero_panics_with_the_method_message() {
    let _ = Tensor::from([1, 2]) / 0;
}
