//! Property suite: random shapes (empty and size-1 dims, rank 0 to 6) with
//! random chains of views against a naive index-by-index reference,
//! NumPy's broadcasting rule against a naive one, and the cast rules
//! against references written here from the exact values.

use proptest::prelude::*;
use tensorbridge::prelude::*;
use tensorbridge::strategies::{elements, shapes, tensor_data, views};
use tensorbridge::{Complex, bf16, f16, s};
use tensorbridge_tests::{
    Naive, Positions, broadcastable, for_each_device, here, on_each_device, same,
};

/// `cases` cases per property, no regression files written.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// `numel` split into random factors (rank 0 to 4), from `seed`.
fn factorization(numel: usize, seed: u64) -> Vec<usize> {
    let mut state = seed;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) % n as u64) as usize
    };
    let rank = next(5);
    if numel == 0 {
        let mut dims: Vec<usize> = (0..rank.max(1)).map(|_| next(4)).collect();
        let zero = next(dims.len());
        dims[zero] = 0;
        return dims;
    }
    if rank == 0 && numel == 1 {
        return Vec::new();
    }
    let mut rest = numel;
    let mut dims = Vec::new();
    for _ in 1..rank.max(1) {
        let divisors: Vec<usize> = (1..=rest).filter(|&k| rest / k * k == rest).collect();
        let k = divisors[next(divisors.len())];
        dims.push(k);
        rest /= k;
    }
    dims.push(rest);
    dims
}

proptest! {
    #![proptest_config(config(2000))]

    /// view(), to_array() and to_vec() of any chain of views equal the
    /// reference computed element by element from the base data; the
    /// tensor is contiguous exactly when its elements sit in C order with
    /// no gaps, and shares the base buffer exactly when NumPy would.
    #[test]
    fn view_chains_match_the_naive_reference(chain in views()) {
        let base = chain.base();
        let t = chain.ops.iter().try_fold(base.clone(), |t, op| op.apply(&t))?;
        let mut reference = Naive::new(chain.data.clone(), &chain.dims);
        let mut positions = Positions::new(&chain.dims);
        for op in &chain.ops {
            reference = reference.apply(op);
            positions = positions.apply(op);
        }
        prop_assert_eq!(t.dims(), &reference.dims[..]);
        prop_assert_eq!(t.numel(), reference.data.len());
        let expected = reference.to_array();
        prop_assert_eq!(t.view::<i64>()?, expected.view());
        let owned = t.to_array::<i64>()?;
        prop_assert!(owned.is_standard_layout());
        prop_assert_eq!(owned, reference.to_array());
        prop_assert_eq!(t.to_vec::<i64>()?, reference.data.clone());
        prop_assert_eq!(t.numpy()?.into_typed::<i64>()?, reference.to_array());
        prop_assert_eq!(t.is_contiguous(), positions.is_contiguous());
        prop_assert_eq!(t.shares_buffer_with(&base), !positions.copied);
        // Converting on never changes the elements.
        prop_assert_eq!(t.clone().into_array::<i64>()?, reference.to_array());
    }

    /// Reshaping a view gives the elements of reshaping its materialised
    /// copy, which are its elements in C order.
    #[test]
    fn reshape_of_a_view_equals_reshape_of_its_copy(chain in views(), seed in any::<u64>()) {
        let t = chain.tensor()?;
        let dims = factorization(t.numel(), seed);
        let of_view = t.reshape(dims.as_slice())?;
        let of_copy = t.contiguous_copy()?.reshape(dims.as_slice())?;
        prop_assert_eq!(of_view.dims(), &dims[..]);
        prop_assert_eq!(of_copy.dims(), &dims[..]);
        prop_assert_eq!(of_view.to_vec::<i64>()?, of_copy.to_vec::<i64>()?);
        prop_assert_eq!(of_view.to_vec::<i64>()?, t.to_vec::<i64>()?);
        prop_assert_eq!(of_view.view::<i64>()?, of_copy.view::<i64>()?);
    }

    /// The same chains with arbitrary f32 elements (NaN, -0.0, infinities)
    /// copy out bit for bit.
    #[test]
    fn view_chains_keep_every_bit(chain in tensorbridge::strategies::views_of::<f32>()) {
        let t = chain.tensor()?;
        let mut reference = Naive::new(chain.data.clone(), &chain.dims);
        for op in &chain.ops {
            reference = reference.apply(op);
        }
        prop_assert!(same(&t.to_vec::<f32>()?, &reference.data));
        let viewed: Vec<f32> = t.view::<f32>()?.iter().copied().collect();
        prop_assert!(same(&viewed, &reference.data));
    }

    /// broadcast_to follows NumPy's rule for random shape pairs: compatible
    /// pairs give the naive broadcast (stride 0 on the broadcast axes),
    /// incompatible ones a ShapeMismatch naming both shapes.
    #[test]
    fn broadcast_to_follows_numpys_rule(
        (source, target) in prop_oneof![
            (shapes(4, 3), shapes(5, 3)),
            (shapes(4, 3), any::<u64>()).prop_map(|(s, seed)| {
                // Compatible by construction, unless the seed says to spoil a dim.
                let mut bits = seed;
                let mut take = |n: u64| { let r = bits % n; bits /= n; r as usize };
                let mut t: Vec<usize> = (0..take(3)).map(|_| take(4)).collect();
                for &d in &s {
                    t.push(if d == 1 { take(4) } else { d });
                }
                if take(4) == 0 && !t.is_empty() {
                    let i = take(t.len() as u64);
                    t[i] = take(5);
                }
                (s, t)
            }),
        ]
    ) {
        on_each_device(|_device| {
        let n: usize = source.iter().product();
        let data: Vec<i64> = (0..n as i64).collect();
        let t = Tensor::from_vec(data.clone(), source.as_slice())?;
        let result = t.broadcast_to(target.as_slice());
        match Naive::new(data, &source).broadcast_to(&target) {
            Some(expected) => {
                prop_assert!(broadcastable(&source, &target));
                let b = result?;
                prop_assert_eq!(b.dims(), &target[..]);
                prop_assert_eq!(b.to_vec::<i64>()?, expected.data);
                prop_assert!(b.shares_buffer_with(&t));
                let lead = target.len() - source.len();
                for (a, &d) in target.iter().enumerate() {
                    let stretched = a < lead || source[a - lead] != d;
                    if stretched && d > 1 {
                        prop_assert_eq!(b.layout().strides()[a], 0, "axis {}", a);
                    }
                }
            }
            None => {
                let e = result.expect_err("an incompatible broadcast must fail");
                prop_assert!(matches!(e, Error::ShapeMismatch { .. }), "{e}");
                let msg = e.to_string();
                prop_assert!(msg.contains(&format!("{source:?}")), "{msg}");
                prop_assert!(msg.contains(&format!("{target:?}")), "{msg}");
            }
        }
        Ok(())
        })?;
    }
}

/// The exact value of a finite `f32`: (negative, m, e) with |x| = m * 2^e.
fn decompose(x: f32) -> (bool, u64, i32) {
    let bits = x.to_bits();
    let negative = bits >> 31 == 1;
    let exponent = ((bits >> 23) & 0xff) as i32;
    let fraction = u64::from(bits & 0x7f_ffff);
    if exponent == 0 {
        (negative, fraction, -149)
    } else {
        (negative, fraction | 1 << 23, exponent - 150)
    }
}

/// The finite f32 `x` rounded to nearest, ties to even, into a binary
/// format with `p` fraction bits and exponents `emin..=emax`, computed on
/// the exact value with integers; ±inf past the largest finite value.
/// Returns the result's value (exact in f64).
fn round_to_format(x: f32, p: i32, emin: i32, emax: i32) -> f64 {
    let (negative, m, e) = decompose(x);
    let sign = if negative { -1.0 } else { 1.0 };
    if m == 0 {
        return sign * 0.0;
    }
    let top = 63 - m.leading_zeros() as i32 + e; // exponent of the leading bit
    let quantum = top.max(emin) - p; // the result is a multiple of 2^quantum
    let units = if e >= quantum {
        m << (e - quantum)
    } else {
        let shift = (quantum - e) as u32;
        if shift >= 64 {
            0
        } else {
            let floor = m >> shift;
            let rest = m & ((1u64 << shift) - 1);
            let half = 1u64 << (shift - 1);
            if rest > half || (rest == half && floor & 1 == 1) {
                floor + 1
            } else {
                floor
            }
        }
    };
    let value = units as f64 * 2f64.powi(quantum);
    let largest = ((1u64 << (p + 1)) - 1) as f64 * 2f64.powi(emax - p);
    sign * if value > largest {
        f64::INFINITY
    } else {
        value
    }
}

/// Finite f32 values: any bit pattern, and values near the rounding ties
/// of f16 (13 dropped bits) and bf16 (16 dropped bits).
fn finite_f32() -> impl Strategy<Value = f32> {
    let near_tie = |dropped: u32| {
        (any::<bool>(), 100u32..=150, any::<u32>(), -1i64..=1).prop_map(
            move |(neg, exponent, high, delta)| {
                let tie = 1i64 << (dropped - 1);
                let low = (tie + delta) as u32;
                let mantissa = (high << dropped) & 0x7f_ffff | low;
                f32::from_bits(u32::from(neg) << 31 | exponent << 23 | mantissa)
            },
        )
    };
    prop_oneof![
        any::<u32>()
            .prop_map(f32::from_bits)
            .prop_filter("finite", |x| x.is_finite()),
        near_tie(13),
        near_tie(16),
        -70000.0f32..70000.0,
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// f32 → f16 and f32 → bf16 round the exact value to nearest, ties to
    /// even, overflowing to ±inf, signs of zeros kept.
    #[test]
    fn cast_f32_to_half_rounds_to_nearest_even(xs in proptest::collection::vec(finite_f32(), 1..64)) {
        on_each_device(|_device| {
        let t = here(xs.clone());
        let halves = t.cast(DType::F16)?.to_vec::<f16>()?;
        let brains = t.cast(DType::BF16)?.to_vec::<bf16>()?;
        for ((&x, h), b) in xs.iter().zip(halves).zip(brains) {
            let want = round_to_format(x, 10, -14, 15);
            prop_assert_eq!(h.to_f64(), want, "f16 of {:e} ({:#010x})", x, x.to_bits());
            prop_assert_eq!(h.is_sign_negative(), want.is_sign_negative(), "sign of f16 of {:e}", x);
            let want = round_to_format(x, 7, -126, 127);
            prop_assert_eq!(b.to_f64(), want, "bf16 of {:e} ({:#010x})", x, x.to_bits());
            prop_assert_eq!(b.is_sign_negative(), want.is_sign_negative(), "sign of bf16 of {:e}", x);
        }
        Ok(())
        })?;
    }

    /// Widening and narrowing back is the identity: i8 → i64 → i8,
    /// u8 → i16 → u8, i32 → f64 → i32, f16 → f32 → f16, bf16 → f32 → bf16,
    /// f32 → f64 → f32 (NaN stays NaN, -0.0 stays -0.0).
    #[test]
    fn widening_casts_round_trip(
        i8s in proptest::collection::vec(any::<i8>(), 0..64),
        u8s in proptest::collection::vec(any::<u8>(), 0..64),
        i32s in proptest::collection::vec(any::<i32>(), 0..64),
        f16s in proptest::collection::vec(any::<u16>().prop_map(f16::from_bits), 0..64),
        bf16s in proptest::collection::vec(elements::<bf16>(), 0..64),
        f32s in proptest::collection::vec(elements::<f32>(), 0..64),
    ) {
        on_each_device(|_device| {
        let back = |t: Tensor, via: DType, to: DType| t.cast(via)?.cast(to);
        prop_assert_eq!(back(here(i8s.clone()), DType::I64, DType::I8)?.to_vec::<i8>()?, i8s.clone());
        prop_assert_eq!(back(here(u8s.clone()), DType::I16, DType::U8)?.to_vec::<u8>()?, u8s.clone());
        prop_assert_eq!(back(here(i32s.clone()), DType::F64, DType::I32)?.to_vec::<i32>()?, i32s.clone());
        let got = back(here(f16s.clone()), DType::F32, DType::F16)?.to_vec::<f16>()?;
        for (g, w) in got.iter().zip(&f16s) {
            if w.is_nan() {
                prop_assert!(g.is_nan());
            } else {
                prop_assert_eq!(g.to_bits(), w.to_bits());
            }
        }
        prop_assert!(same(&back(here(bf16s.clone()), DType::F32, DType::BF16)?.to_vec::<bf16>()?, &bf16s));
        prop_assert!(same(&back(here(f32s.clone()), DType::F64, DType::F32)?.to_vec::<f32>()?, &f32s));
        Ok(())
        })?;
    }
}

/// `from_vec → into_array` hands the very buffer to ndarray and keeps every
/// element, on every device.
fn into_array_round_trip<T: Element>(data: Vec<T>, dims: Vec<usize>) -> Result<(), TestCaseError> {
    let mut outcome = Ok(());
    for_each_device(|device| {
        let run = || -> Result<(), TestCaseError> {
            let owned = data.clone();
            let ptr = owned.as_ptr();
            let t = Tensor::from_vec(owned, dims.as_slice())?;
            prop_assert_eq!(t.dims(), &dims[..]);
            prop_assert_eq!(t.dtype(), T::DTYPE);
            prop_assert!(same(&t.to_vec::<T>()?, &data));
            if device == Device::Cpu {
                let viewed: Vec<T> = t.view::<T>()?.iter().copied().collect();
                prop_assert!(same(&viewed, &data));
            } else {
                prop_assert!(t.view::<T>().is_err(), "a device tensor was borrowed");
            }
            let a = t.into_array::<T>()?;
            prop_assert_eq!(a.shape(), &dims[..]);
            prop_assert!(a.is_standard_layout());
            if device == Device::Cpu && !data.is_empty() {
                prop_assert_eq!(a.as_ptr(), ptr, "from_vec or into_array copied");
            }
            prop_assert!(same(a.as_slice().expect("standard layout"), &data));
            Ok(())
        };
        if outcome.is_ok() {
            outcome = run();
        }
    });
    outcome
}

macro_rules! round_trip_tests {
    ($($name:ident: $t:ty,)*) => {
        proptest! {
            #![proptest_config(config(64))]
            $(
                #[test]
                fn $name((data, dims) in tensor_data::<$t>()) {
                    into_array_round_trip(data, dims)?;
                }
            )*
        }
    };
}

round_trip_tests! {
    round_trip_bool: bool,
    round_trip_u8: u8,
    round_trip_u16: u16,
    round_trip_u32: u32,
    round_trip_u64: u64,
    round_trip_i8: i8,
    round_trip_i16: i16,
    round_trip_i32: i32,
    round_trip_i64: i64,
    round_trip_f16: f16,
    round_trip_bf16: bf16,
    round_trip_f32: f32,
    round_trip_f64: f64,
    round_trip_c64: Complex<f32>,
    round_trip_c128: Complex<f64>,
}

/// The reference rounding itself, on values worked out by hand.
#[test]
fn the_rounding_reference_is_right() {
    // 1 + 2^-11 is the tie between f16's 1 and 1 + 2^-10: even (1) wins.
    assert_eq!(round_to_format(1.0 + 2f32.powi(-11), 10, -14, 15), 1.0);
    // 1 + 3 * 2^-11 is the tie between 1 + 2^-10 and 1 + 2^-9: even wins.
    assert_eq!(
        round_to_format(1.0 + 3.0 * 2f32.powi(-11), 10, -14, 15),
        1.0 + 2f64.powi(-9)
    );
    // 65504 is f16's largest; 65520 is the tie with 65536: overflow.
    assert_eq!(round_to_format(65504.0, 10, -14, 15), 65504.0);
    assert_eq!(round_to_format(65519.0, 10, -14, 15), 65504.0);
    assert_eq!(round_to_format(65520.0, 10, -14, 15), f64::INFINITY);
    assert_eq!(round_to_format(-65520.0, 10, -14, 15), f64::NEG_INFINITY);
    // 2^-25 is half of f16's smallest subnormal: a tie, to even (0).
    assert_eq!(round_to_format(2f32.powi(-25), 10, -14, 15), 0.0);
    assert_eq!(
        round_to_format(2f32.powi(-25) * 1.5, 10, -14, 15),
        2f64.powi(-24)
    );
    assert!(round_to_format(-1e-30, 10, -14, 15).is_sign_negative());
    // bf16: 1 + 2^-8 is the tie between 1 and 1 + 2^-7: 1.
    assert_eq!(round_to_format(1.0 + 2f32.powi(-8), 7, -126, 127), 1.0);
    assert_eq!(round_to_format(f32::MAX, 7, -126, 127), f64::INFINITY);
    assert_eq!(
        round_to_format(f32::MIN_POSITIVE / 2.0, 7, -126, 127),
        2f64.powi(-127)
    );
}

/// The view reference itself, on results worked out by hand from NumPy.
#[test]
fn the_view_reference_is_right() {
    // a = np.arange(6).reshape(2, 3)
    let a = Naive::new((0..6).collect::<Vec<i64>>(), &[2, 3]);
    // a[::-1, ::2] == [[3, 5], [0, 2]]
    let s = a.slice(&[
        SliceArg::range(None, None, -1),
        SliceArg::range(None, None, 2),
    ]);
    assert_eq!(
        (s.dims.as_slice(), s.data.as_slice()),
        (&[2, 2][..], &[3, 5, 0, 2][..])
    );
    // a[1, np.newaxis, -2:] == [[4, 5]]
    let s = a.slice(&[
        SliceArg::Index(1),
        SliceArg::NewAxis,
        SliceArg::range(Some(-2), None, 1),
    ]);
    assert_eq!(
        (s.dims.as_slice(), s.data.as_slice()),
        (&[1, 2][..], &[4, 5][..])
    );
    // a.T == [[0, 3], [1, 4], [2, 5]]
    assert_eq!(a.transpose(&[1, 0]).data, [0, 3, 1, 4, 2, 5]);
    // np.broadcast_to(a[:, :1], (2, 2, 3))
    let col = a.slice(&[SliceArg::FULL, SliceArg::range(None, Some(1), 1)]);
    let b = col.broadcast_to(&[2, 2, 3]).unwrap();
    assert_eq!(b.data, [0, 0, 0, 3, 3, 3, 0, 0, 0, 3, 3, 3]);
    assert!(a.broadcast_to(&[3, 2]).is_none());
    assert!(a.broadcast_to(&[3]).is_none());
    // a[5:1:-2] on np.arange(10) == [5, 3]
    assert_eq!(
        tensorbridge_tests::range_positions(Some(5), Some(1), -2, 10),
        [5, 3]
    );
    assert_eq!(
        tensorbridge_tests::range_positions(None, Some(-100), -3, 10),
        [9, 6, 3, 0]
    );
    assert!(tensorbridge_tests::range_positions(Some(100), None, 1, 10).is_empty());
    // Positions: a.T is not contiguous, a.T.reshape(6) must copy.
    let p = Positions::new(&[2, 3]).apply(&tensorbridge::strategies::ViewOp::Transpose(vec![1, 0]));
    assert!(!p.is_contiguous() && !p.copied);
    let p = p.apply(&tensorbridge::strategies::ViewOp::Reshape(vec![Some(6)]));
    assert!(p.copied && p.is_contiguous());
}

/// Views and casts of tensors past a few MiB take the parallel copy paths;
/// they must agree with the naive reference as the small ones do.
#[test]
fn large_views_and_casts_match_the_reference() {
    for_each_device(|_device| {
        use tensorbridge::strategies::ViewOp;
        let dims = [96usize, 70, 80]; // 537,600 i64: 4.3 MB
        let n: usize = dims.iter().product();
        let data: Vec<i64> = (0..n as i64).collect();
        let chains: Vec<Vec<ViewOp>> = vec![
            vec![],
            vec![ViewOp::Transpose(vec![2, 0, 1])],
            vec![ViewOp::Slice(vec![
                SliceArg::range(None, None, -1),
                SliceArg::range(Some(1), None, 2),
            ])],
            vec![ViewOp::Slice(vec![SliceArg::range(Some(3), None, 1)])],
            vec![
                ViewOp::Slice(vec![
                    SliceArg::Index(-1),
                    SliceArg::FULL,
                    SliceArg::Index(5),
                ]),
                ViewOp::BroadcastTo(vec![9000, 70]),
            ],
            vec![
                ViewOp::Transpose(vec![1, 0, 2]),
                ViewOp::Reshape(vec![Some(70), None]),
                ViewOp::Slice(vec![SliceArg::FULL, SliceArg::range(None, None, -3)]),
            ],
        ];
        for ops in chains {
            let t = ops
                .iter()
                .try_fold(Tensor::from_vec(data.clone(), dims).unwrap(), |t, op| {
                    op.apply(&t)
                })
                .unwrap();
            let reference = ops
                .iter()
                .fold(Naive::new(data.clone(), &dims), |r, op| r.apply(op));
            assert_eq!(t.dims(), &reference.dims[..], "{ops:?}");
            assert_eq!(t.to_vec::<i64>().unwrap(), reference.data, "{ops:?}");
            let widened: Vec<f64> = reference.data.iter().map(|&x| x as f64).collect();
            assert_eq!(
                t.cast(DType::F64).unwrap().to_vec::<f64>().unwrap(),
                widened,
                "{ops:?}"
            );
            let narrowed: Vec<i16> = reference.data.iter().map(|&x| x as i16).collect();
            assert_eq!(
                t.cast(DType::I16).unwrap().to_vec::<i16>().unwrap(),
                narrowed,
                "{ops:?}"
            );
            assert_eq!(
                t.contiguous_copy().unwrap().to_vec::<i64>().unwrap(),
                reference.data
            );
        }
        // Large fills and copies of contiguous buffers.
        let full = Tensor::full([1 << 19], 2.5f64)
            .unwrap()
            .to_vec::<f64>()
            .unwrap();
        assert!(full.len() == 1 << 19 && full.iter().all(|&x| x == 2.5));
        let copied = Tensor::from_slice(&data, [n]).unwrap();
        assert_eq!(copied.to_vec::<i64>().unwrap(), data);
        let tail = copied.slice(s![12345..]).unwrap().to_vec::<i64>().unwrap();
        assert_eq!(tail, data[12345..]);
    });
}
