//! Random and image suite: `random::normal`, `random::uniform` (Philox
//! known answers, the documented bit mapping, determinism across seeds and
//! thread counts, statistics over 10^6 samples, every validation rule) and
//! `image::rgb_to_grayscale` (hand-worked pixels, a naive reference over
//! random shapes, dtypes and views, every validation rule).

use half::{bf16, f16};
use ndarray::{ArrayD, Dimension, IxDyn};
use num_complex::Complex;
use proptest::prelude::*;
use tensorbridge::prelude::*;
use tensorbridge::random::philox4x32_10;
use tensorbridge::{image, random};
use tensorbridge_tests::{for_each_device, here, on_each_device};

// ---------------------------------------------------------------- helpers

/// The Philox words of block `b` under `seed`, as the module docs define.
fn block(seed: u64, b: u64) -> [u32; 4] {
    philox4x32_10(
        [b as u32, (b >> 32) as u32, 0, 0],
        [seed as u32, (seed >> 32) as u32],
    )
}

fn bits32(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn bits64(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// The `InvalidArgument` message of `r`, panicking on anything else.
fn invalid_msg(r: Result<Tensor>) -> String {
    match r {
        Err(e @ Error::InvalidArgument { .. }) => e.to_string(),
        Err(other) => panic!("expected InvalidArgument, got {other:?}"),
        Ok(t) => panic!("expected an error, got a tensor of shape {:?}", t.dims()),
    }
}

/// erf(x) from Numerical Recipes' Chebyshev fit of erfc (|error| < 1.2e-7
/// everywhere), plenty for a KS bound of ~1.6e-3.
fn erf(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let erfc = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { 1.0 - erfc } else { erfc - 1.0 }
}

/// The standard normal CDF.
fn phi(x: f64) -> f64 {
    0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

/// The Kolmogorov–Smirnov statistic D of `samples` against `cdf`.
fn ks_statistic(mut samples: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let n = samples.len() as f64;
    samples
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).max((i + 1) as f64 / n - f)
        })
        .fold(0.0, f64::max)
}

/// The 1% critical value of the KS statistic for `n` samples.
fn ks_critical(n: usize) -> f64 {
    1.63 / (n as f64).sqrt()
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

// ------------------------------------------------------- random: contract

#[test]
fn philox_known_answer_vectors() {
    // Random123 kat_vectors, "philox4x32 10".
    assert_eq!(
        philox4x32_10([0; 4], [0; 2]),
        [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
    );
    assert_eq!(
        philox4x32_10([0xffff_ffff; 4], [0xffff_ffff; 2]),
        [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
    );
    assert_eq!(
        philox4x32_10(
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0]
        ),
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
    );
}

#[test]
fn scenario_shapes() {
    for_each_device(|_device| {
        let x = random::normal([3, 256, 256, 3], 0.0, 1.0, DType::F32, Some(42)).unwrap();
        assert_eq!(x.dims(), [3, 256, 256, 3]);
        assert_eq!(x.dtype(), DType::F32);
        let b = random::normal([32, 28, 28, 1], 0.0, 1.0, DType::F32, Some(42)).unwrap();
        assert_eq!(b.dims(), [32, 28, 28, 1]);
        // The batch is the first 25088 samples of the same stream.
        let first = &x.to_vec::<f32>().unwrap()[..32 * 28 * 28];
        assert_eq!(bits32(first), bits32(&b.to_vec::<f32>().unwrap()));
        // Scalars and empty shapes.
        let s = random::uniform((), 0.0, 1.0, DType::F64, Some(1)).unwrap();
        assert_eq!((s.rank(), s.numel()), (0, 1));
        let e = random::normal([4, 0, 2], 0.0, 1.0, DType::BF16, Some(1)).unwrap();
        assert_eq!((e.dims(), e.numel()), (&[4, 0, 2][..], 0));
    });
}

#[test]
fn uniform_f32_follows_the_documented_bits() {
    // On every device: the draws are made under its scope.
    for_each_device(|_| {
        // Element i: 24 high bits of word i % 4 of block i / 4, times 2^-24,
        // scaled into [minval, maxval).
        let (lo, hi) = (-2.0, 6.0);
        let t = random::uniform([1001], lo, hi, DType::F32, Some(77)).unwrap();
        let got = t.to_vec::<f32>().unwrap();
        for (i, &x) in got.iter().enumerate() {
            let w = block(77, (i / 4) as u64)[i % 4];
            let u = f64::from(w >> 8) / 16_777_216.0;
            let want = (lo + u * (hi - lo)) as f32;
            assert_eq!(x.to_bits(), want.to_bits(), "element {i}");
        }
    });
}

#[test]
fn uniform_int_follows_the_documented_bits() {
    // On every device: the draws are made under its scope.
    for_each_device(|_| {
        // Element i: the 64-bit fraction w0:w1 (even i) or w2:w3 (odd i) of
        // block i / 2, times the range, floored.
        let t = random::uniform([301], -5.0, 1000.0, DType::I16, Some(8)).unwrap();
        for (i, &x) in t.to_vec::<i16>().unwrap().iter().enumerate() {
            let w = block(8, (i / 2) as u64);
            let h = 2 * (i % 2);
            let frac = (u64::from(w[h]) << 32) | u64::from(w[h + 1]);
            let draw = (u128::from(frac) * 1005) >> 64;
            assert_eq!(i128::from(x), -5 + draw as i128, "element {i}");
        }
    });
}

#[test]
fn normal_follows_box_muller_of_the_documented_bits() {
    // On every device: the draws are made under its scope.
    for_each_device(|_| {
        // f64: block k gives (r cos θ, r sin θ), u1 = (53 bits of w0:w1 + 1) / 2^53,
        // θ = 2π · (53 bits of w2:w3) / 2^53; checked against std's ln/sin/cos.
        let t = random::normal([500], 1.5, 2.0, DType::F64, Some(3)).unwrap();
        let got = t.to_vec::<f64>().unwrap();
        for (k, pair) in got.chunks(2).enumerate() {
            let w = block(3, k as u64);
            let a = ((u64::from(w[0]) << 32) | u64::from(w[1])) >> 11;
            let b = ((u64::from(w[2]) << 32) | u64::from(w[3])) >> 11;
            let u1 = (a + 1) as f64 / 2f64.powi(53);
            let theta = 2.0 * std::f64::consts::PI * (b as f64 / 2f64.powi(53));
            let r = (-2.0 * u1.ln()).sqrt();
            for (x, z) in pair.iter().zip([r * theta.cos(), r * theta.sin()]) {
                assert!((x - (1.5 + 2.0 * z)).abs() < 1e-13, "pair {k}: {x} vs {z}");
            }
        }
        // f32: four per block, (w0, w1) then (w2, w3), 24-bit uniforms.
        let t = random::normal([400], 0.0, 1.0, DType::F32, Some(3)).unwrap();
        let got = t.to_vec::<f32>().unwrap();
        for (k, quad) in got.chunks(4).enumerate() {
            let w = block(3, k as u64);
            let mut want = Vec::new();
            for (a, b) in [(w[0], w[1]), (w[2], w[3])] {
                let u1 = f64::from((a >> 8) + 1) / 16_777_216.0;
                let theta = 2.0 * std::f64::consts::PI * f64::from(b >> 8) / 16_777_216.0;
                let r = (-2.0 * u1.ln()).sqrt();
                want.extend([r * theta.cos(), r * theta.sin()]);
            }
            for (x, z) in quad.iter().zip(want) {
                assert!((f64::from(*x) - z).abs() < 4e-6, "block {k}: {x} vs {z}");
            }
        }
    });
}

#[test]
fn same_seed_same_bits_other_seed_other_values() {
    // On every device: the draws are made under its scope.
    for_each_device(|_| {
        let a = random::normal([10_000], 0.0, 1.0, DType::F32, Some(1)).unwrap();
        let b = random::normal([10_000], 0.0, 1.0, DType::F32, Some(1)).unwrap();
        let c = random::normal([10_000], 0.0, 1.0, DType::F32, Some(2)).unwrap();
        let (a, b, c) = (
            a.to_vec::<f32>().unwrap(),
            b.to_vec::<f32>().unwrap(),
            c.to_vec::<f32>().unwrap(),
        );
        assert_eq!(bits32(&a), bits32(&b));
        let same = a.iter().zip(&c).filter(|(x, y)| x == y).count();
        assert!(same < 10, "{same} equal samples between seeds 1 and 2");
        // A seed's high half matters too.
        let hi = random::uniform([64], 0.0, 1.0, DType::F64, Some(1 << 32)).unwrap();
        let lo = random::uniform([64], 0.0, 1.0, DType::F64, Some(0)).unwrap();
        assert_ne!(hi.to_vec::<f64>().unwrap(), lo.to_vec::<f64>().unwrap());
        // No seed: a fresh one per call.
        let x = random::uniform([64], 0.0, 1.0, DType::F64, None).unwrap();
        let y = random::uniform([64], 0.0, 1.0, DType::F64, None).unwrap();
        assert_ne!(x.to_vec::<f64>().unwrap(), y.to_vec::<f64>().unwrap());
    });
}

#[test]
fn thread_count_does_not_change_the_bits() {
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let three = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    // Sizes above the parallel threshold, with ragged tails.
    let draw = || {
        (
            random::normal([1_000_003], 0.0, 1.0, DType::F32, Some(9))
                .unwrap()
                .to_vec::<f32>()
                .unwrap(),
            random::normal([300_001], -1.0, 0.5, DType::F64, Some(9))
                .unwrap()
                .to_vec::<f64>()
                .unwrap(),
            random::normal([500_001], 0.0, 1.0, DType::BF16, Some(9))
                .unwrap()
                .to_vec::<bf16>()
                .unwrap(),
            random::uniform([700_001], 0.0, 256.0, DType::U8, Some(9))
                .unwrap()
                .to_vec::<u8>()
                .unwrap(),
            random::uniform([200_001], -9e18, 9e18, DType::I64, Some(9))
                .unwrap()
                .to_vec::<i64>()
                .unwrap(),
        )
    };
    let reference = one.install(draw);
    for got in [draw(), three.install(draw)] {
        assert_eq!(bits32(&got.0), bits32(&reference.0));
        assert_eq!(bits64(&got.1), bits64(&reference.1));
        assert_eq!(got.2, reference.2);
        assert_eq!(got.3, reference.3);
        assert_eq!(got.4, reference.4);
    }
}

// ---------------------------------------------------- random: statistics

#[test]
fn normal_f32_statistics_over_a_million_samples() {
    for_each_device(|_device| {
        let n = 1_000_000;
        let t = random::normal([n], 0.0, 1.0, DType::F32, Some(2024)).unwrap();
        let v: Vec<f64> = t
            .to_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect();
        let (mean, std) = mean_std(&v);
        // Standard errors: 0.001 for the mean, 0.0007 for the std; 5 of them.
        assert!(mean.abs() < 0.005, "mean {mean}");
        assert!((std - 1.0).abs() < 0.0035, "std {std}");
        let d = ks_statistic(v, phi);
        assert!(d < ks_critical(n), "KS D = {d}");
    });
}

#[test]
fn normal_f64_statistics_with_mean_and_std() {
    for_each_device(|_device| {
        let n = 1_000_000;
        let (mu, sigma) = (-3.0, 2.5);
        let t = random::normal([1000, 1000], mu, sigma, DType::F64, Some(5)).unwrap();
        let v = t.to_vec::<f64>().unwrap();
        let (mean, std) = mean_std(&v);
        assert!((mean - mu).abs() < 5.0 * sigma / 1000.0, "mean {mean}");
        assert!((std - sigma).abs() < 0.0035 * sigma, "std {std}");
        let d = ks_statistic(v, |x| phi((x - mu) / sigma));
        assert!(d < ks_critical(n), "KS D = {d}");
    });
}

#[test]
fn uniform_f32_statistics_over_a_million_samples() {
    for_each_device(|_device| {
        let n = 1_000_000;
        let (lo, hi) = (-1.0, 3.0);
        let t = random::uniform([n], lo, hi, DType::F32, Some(11)).unwrap();
        let v: Vec<f64> = t
            .to_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect();
        assert!(v.iter().all(|&x| (lo..hi).contains(&x)));
        let (mean, std) = mean_std(&v);
        // Uniform on [-1, 3): mean 1, std 4 / sqrt(12) = 1.1547.
        assert!((mean - 1.0).abs() < 5.0 * 1.1547 / 1000.0, "mean {mean}");
        assert!((std - 4.0 / 12f64.sqrt()).abs() < 0.004, "std {std}");
        let d = ks_statistic(v, |x| ((x - lo) / (hi - lo)).clamp(0.0, 1.0));
        assert!(d < ks_critical(n), "KS D = {d}");
    });
}

#[test]
fn uniform_integers_hit_every_value_evenly() {
    for_each_device(|_device| {
        let n = 1_000_000;
        let t = random::uniform([n], -3.0, 7.0, DType::I8, Some(4)).unwrap();
        let mut counts = [0usize; 10];
        for x in t.to_vec::<i8>().unwrap() {
            assert!((-3..7).contains(&x), "{x}");
            counts[(x + 3) as usize] += 1;
        }
        // Each count is Binomial(1e6, 0.1): sd 300; allow 5 sd.
        for (v, &c) in counts.iter().enumerate() {
            assert!(c.abs_diff(100_000) < 1500, "value {}: {c}", v as i32 - 3);
        }
        // The full uint8 range, [0, 256).
        let t = random::uniform([n], 0.0, 256.0, DType::U8, Some(4)).unwrap();
        let mut counts = [0usize; 256];
        for x in t.to_vec::<u8>().unwrap() {
            counts[x as usize] += 1;
        }
        // Binomial(1e6, 1/256): mean 3906, sd 62.4.
        assert!(counts.iter().all(|&c| c.abs_diff(3906) < 320), "{counts:?}");
    });
}

#[test]
fn uniform_extreme_integer_ranges() {
    for_each_device(|_device| {
        // Full 64-bit ranges take the 128-bit path; both halves show up.
        let t = random::uniform([10_000], 0.0, 2f64.powi(64), DType::U64, Some(6)).unwrap();
        let v = t.to_vec::<u64>().unwrap();
        assert!(v.iter().any(|&x| x > 1 << 63) && v.iter().any(|&x| x < 1 << 63));
        let t = random::uniform(
            [10_000],
            -(2f64.powi(63)),
            2f64.powi(63),
            DType::I64,
            Some(6),
        )
        .unwrap();
        let v = t.to_vec::<i64>().unwrap();
        assert!(v.iter().any(|&x| x < 0) && v.iter().any(|&x| x > 0));
        // A single-value range always gives that value.
        let t = random::uniform([100], 41.0, 42.0, DType::U32, Some(6)).unwrap();
        assert!(t.to_vec::<u32>().unwrap().iter().all(|&x| x == 41));
        let t = random::uniform([100], -128.0, -127.0, DType::I8, Some(6)).unwrap();
        assert!(t.to_vec::<i8>().unwrap().iter().all(|&x| x == -128));
    });
}

#[test]
fn uniform_floats_are_half_open_after_rounding() {
    for_each_device(|_device| {
        // In f16, every u >= 1 - 2^-12 rounds to 1.0; those samples are clamped
        // to the largest f16 below 1 (0.99951171875) instead.
        let t = random::uniform([200_000], 0.0, 1.0, DType::F16, Some(12)).unwrap();
        let v = t.to_vec::<f16>().unwrap();
        let below_one = f16::from_f32(0.999_511_7);
        assert!(v.iter().all(|x| x.to_f32() >= 0.0 && x.to_f32() < 1.0));
        assert!(v.contains(&below_one));
        // Bounds that f16 cannot hold: [0.1, 0.3) rounds into [0.1000977, 0.2998047].
        let t = random::uniform([20_000], 0.1, 0.3, DType::F16, Some(12)).unwrap();
        assert!(
            t.to_vec::<f16>()
                .unwrap()
                .iter()
                .all(|x| (0.1..0.3).contains(&x.to_f64()))
        );
        // bf16 and f32 keep to the interval too.
        let t = random::uniform([20_000], -1.0, 1.0, DType::BF16, Some(12)).unwrap();
        assert!(
            t.to_vec::<bf16>()
                .unwrap()
                .iter()
                .all(|x| (-1.0..1.0).contains(&x.to_f32()))
        );
    });
}

#[test]
fn normal_edge_parameters() {
    for_each_device(|_device| {
        let t = random::normal([50], 3.25, 0.0, DType::F32, Some(1)).unwrap();
        assert!(t.to_vec::<f32>().unwrap().iter().all(|&x| x == 3.25));
        // f16 samples are rounded once from f32.
        let h = random::normal([1000], 0.0, 1.0, DType::F16, Some(1)).unwrap();
        let f = random::normal([1000], 0.0, 1.0, DType::F32, Some(1)).unwrap();
        let (h, f) = (h.to_vec::<f16>().unwrap(), f.to_vec::<f32>().unwrap());
        assert!(h.iter().zip(&f).all(|(h, &f)| *h == f16::from_f32(f)));
        // Box–Muller with 24-bit uniforms never leaves |z| < 5.8.
        assert!(f.iter().all(|x| x.abs() < 5.8));
    });
}

// ------------------------------------------------ random: bad arguments

#[test]
fn normal_rejects_bad_parameters() {
    for_each_device(|_device| {
        let m = invalid_msg(random::normal([2], 0.0, -1.0, DType::F32, Some(1)));
        assert!(m.contains("std = -1") && m.contains(">= 0"), "{m}");
        let m = invalid_msg(random::normal([2], f64::NAN, 1.0, DType::F32, Some(1)));
        assert!(m.contains("mean = NaN"), "{m}");
        let m = invalid_msg(random::normal([2], 0.0, f64::INFINITY, DType::F64, Some(1)));
        assert!(m.contains("std = inf"), "{m}");
        let m = invalid_msg(random::normal([2], 1e5, 1.0, DType::F16, Some(1)));
        assert!(m.contains("mean = 100000") && m.contains("float16"), "{m}");
        let m = invalid_msg(random::normal([2], 0.0, 1e39, DType::F32, Some(1)));
        assert!(
            m.contains("std = 1e39") && m.contains("float32 (±3.4028234663852886e38)"),
            "{m}"
        );
        for dtype in [DType::I32, DType::U8, DType::Bool, DType::C64] {
            let m = invalid_msg(random::normal([2], 0.0, 1.0, dtype, Some(1)));
            assert!(m.contains(dtype.name()), "{m}");
        }
    });
}

#[test]
fn uniform_rejects_bad_bounds() {
    for_each_device(|_device| {
        let m = invalid_msg(random::uniform([2], 1.0, 1.0, DType::F32, Some(1)));
        assert!(m.contains("minval = 1") && m.contains("maxval = 1"), "{m}");
        let m = invalid_msg(random::uniform([2], 2.0, -1.0, DType::I32, Some(1)));
        assert!(m.contains("minval = 2") && m.contains("maxval = -1"), "{m}");
        let m = invalid_msg(random::uniform([2], f64::NAN, 1.0, DType::F32, Some(1)));
        assert!(m.contains("minval = NaN"), "{m}");
        let m = invalid_msg(random::uniform(
            [2],
            0.0,
            f64::NEG_INFINITY,
            DType::F64,
            Some(1),
        ));
        assert!(m.contains("maxval = -inf"), "{m}");
        // Integers: whole numbers within [MIN, MAX + 1].
        let m = invalid_msg(random::uniform([2], 0.5, 3.0, DType::U8, Some(1)));
        assert!(m.contains("minval = 0.5") && m.contains("whole"), "{m}");
        let m = invalid_msg(random::uniform([2], 0.0, 257.0, DType::U8, Some(1)));
        assert!(m.contains("maxval = 257") && m.contains("<= 256"), "{m}");
        let m = invalid_msg(random::uniform([2], -129.0, 0.0, DType::I8, Some(1)));
        assert!(m.contains("minval = -129") && m.contains("-128 <="), "{m}");
        let m = invalid_msg(random::uniform([2], -1.0, 5.0, DType::U32, Some(1)));
        assert!(m.contains("minval = -1") && m.contains("uint32"), "{m}");
        // Floats: within the dtype's finite range, holding at least one value.
        let m = invalid_msg(random::uniform([2], 0.0, 1e5, DType::F16, Some(1)));
        assert!(m.contains("maxval = 100000") && m.contains("65504"), "{m}");
        let m = invalid_msg(random::uniform([2], 0.1, 0.10001, DType::F16, Some(1)));
        assert!(
            m.contains("no float16 value") && m.contains("[0.1, 0.10001)"),
            "{m}"
        );
        let m = invalid_msg(random::uniform([2], -1e308, 1e308, DType::F64, Some(1)));
        assert!(m.contains("overflows float64"), "{m}");
        for dtype in [DType::Bool, DType::C64, DType::C128] {
            let m = invalid_msg(random::uniform([2], 0.0, 1.0, dtype, Some(1)));
            assert!(m.contains(dtype.name()), "{m}");
        }
    });
}

#[test]
fn shapes_that_overflow_are_refused_before_allocating() {
    for_each_device(|_device| {
        let huge = [1usize << 40, 1 << 40];
        let e = random::normal(huge, 0.0, 1.0, DType::F32, Some(1)).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
        assert!(
            e.to_string().contains("[1099511627776, 1099511627776]"),
            "{e}"
        );
        let e = random::uniform([1usize << 62], 0.0, 1.0, DType::F64, Some(1)).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
        // Countable but larger than memory.
        let e = random::uniform([1usize << 45], 0.0, 9.0, DType::U8, Some(1)).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
    });
}

#[test]
fn random_tensors_follow_the_device_scope() {
    // With a usable GPU the draws are made there; without one a GPU scope is
    // refused, never ignored.
    let gpu: Device = "/GPU:0".parse().unwrap();
    if gpu.is_available() {
        let _scope = gpu.scope();
        let n = random::normal([2], 0.0, 1.0, DType::F32, Some(1)).unwrap();
        let u = random::uniform([2], 0.0, 1.0, DType::U8, Some(1)).unwrap();
        assert_eq!((n.device(), u.device()), (gpu, gpu));
        return;
    }
    let _scope = gpu.scope();
    let e = random::normal([2], 0.0, 1.0, DType::F32, Some(1)).unwrap_err();
    assert!(matches!(e, Error::DeviceUnavailable { .. }), "{e:?}");
    let e = random::uniform([2], 0.0, 1.0, DType::U8, Some(1)).unwrap_err();
    assert!(matches!(e, Error::DeviceUnavailable { .. }), "{e:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn uniform_ints_stay_in_bounds(
        lo in -200i64..200,
        width in 1i64..300,
        n in 0usize..300,
        seed in any::<u64>(),
    ) {
        on_each_device(|_device| {
        let hi = lo + width;
        for dtype in [DType::I16, DType::I32, DType::I64] {
            let t = random::uniform([n], lo as f64, hi as f64, dtype, Some(seed)).unwrap();
            let v = t.cast(DType::I64).unwrap().to_vec::<i64>().unwrap();
            prop_assert_eq!(v.len(), n);
            prop_assert!(v.iter().all(|x| (lo..hi).contains(x)), "{:?}", v);
        }
        if lo >= 0 && hi <= 256 {
            let t = random::uniform([n], lo as f64, hi as f64, DType::U8, Some(seed)).unwrap();
            prop_assert!(t.to_vec::<u8>().unwrap().iter().all(|&x| (lo..hi).contains(&i64::from(x))));
        }
        Ok(())
        })?;
    }

    #[test]
    fn uniform_floats_stay_in_bounds(
        lo in -1e3f64..1e3,
        width in 1e-3f64..1e3,
        dims in prop::collection::vec(0usize..6, 0..4),
        seed in any::<u64>(),
    ) {
        on_each_device(|_device| {
        let hi = lo + width;
        for dtype in [DType::F16, DType::BF16, DType::F32, DType::F64] {
            let t = match random::uniform(dims.clone(), lo, hi, dtype, Some(seed)) {
                Ok(t) => t,
                // A narrow interval may hold no f16/bf16 value at all.
                Err(Error::InvalidArgument { what, .. }) if what.contains("no ") => continue,
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            };
            prop_assert_eq!(t.dims(), &dims[..]);
            let v = t.cast(DType::F64).unwrap().to_vec::<f64>().unwrap();
            prop_assert!(v.iter().all(|x| (lo..hi).contains(x)), "{:?} {:?}", dtype, v);
        }
        Ok(())
        })?;
    }

    #[test]
    fn a_prefix_of_a_longer_draw_is_the_shorter_draw(
        n in 0usize..2000,
        extra in 0usize..700,
        seed in any::<u64>(),
    ) {
        on_each_device(|_device| {
        // Element i depends on i and the seed only, not on the length.
        let short = random::normal([n], 0.0, 1.0, DType::F32, Some(seed)).unwrap();
        let long = random::normal([n + extra], 0.0, 1.0, DType::F32, Some(seed)).unwrap();
        let (s, l) = (short.to_vec::<f32>().unwrap(), long.to_vec::<f32>().unwrap());
        prop_assert_eq!(bits32(&s), bits32(&l[..n]));
        Ok(())
        })?;
    }
}

// ------------------------------------------------------------------ image

/// TensorFlow's rgb_to_grayscale of one pixel, worked the slow way, in f64
/// where TF uses f32 only where the result depends on it.
fn gray_ref_int(rgb: [f64; 3], max: f64) -> f64 {
    let to_unit = (1.0 / max) as f32;
    let [r, g, b] = rgb.map(|x| x as f32 * to_unit);
    let y = r * 0.2989 + g * 0.5870 + b * 0.1140;
    f64::from(y * (max + 0.5) as f32).trunc()
}

#[test]
fn uint8_pixels_by_hand() {
    for_each_device(|_device| {
        // Each channel x becomes x · f32(1/255); 255 → 1.0, 0 → 0.0, so:
        //   (255, 0, 0):     trunc(0.2989 · 255.5) = trunc(76.37)  = 76
        //   (0, 255, 0):     trunc(0.5870 · 255.5) = trunc(149.98) = 149
        //   (0, 0, 255):     trunc(0.1140 · 255.5) = trunc(29.13)  = 29
        //   (255, 255, 255): trunc(0.9999 · 255.5) = trunc(255.47) = 255
        //   (128, 128, 128): trunc(0.9999 · 128/255 · 255.5)
        //                    = trunc(0.50196 · 0.9999 · 255.5) = trunc(128.24) = 128
        //   (10, 20, 30):    (2.989 + 11.74 + 3.42) / 255 · 255.5 = 18.149 · 1.00196
        //                    = 18.18 → 18
        let px = here([
            [255u8, 0, 0],
            [0, 255, 0],
            [0, 0, 255],
            [255, 255, 255],
            [128, 128, 128],
            [10, 20, 30],
        ]);
        let g = image::rgb_to_grayscale(&px).unwrap();
        assert_eq!(g.dims(), [6, 1]);
        assert_eq!(g.dtype(), DType::U8);
        assert_eq!(g.to_vec::<u8>().unwrap(), [76, 149, 29, 255, 128, 18]);
    });
}

#[test]
fn f32_pixels_by_hand() {
    for_each_device(|_device| {
        // Floats are weighted directly: 0.2989 r + 0.5870 g + 0.1140 b.
        //   (1, 0, 0) → 0.2989; (0, 1, 0) → 0.587; (1, 1, 1) → 0.9999;
        //   (0.5, 0.25, 2) → 0.14945 + 0.14675 + 0.228 = 0.5242.
        let px = here([
            [1.0f32, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [1.0, 1.0, 1.0],
            [0.5, 0.25, 2.0],
        ]);
        let g = image::rgb_to_grayscale(&px)
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        let want = [0.2989, 0.587, 0.9999, 0.5242];
        for (x, w) in g.iter().zip(want) {
            assert!((f64::from(*x) - w).abs() < 1e-6, "{x} vs {w}");
        }
        // The sum in TensorFlow's order, bit for bit.
        assert_eq!(g[3], 0.5f32 * 0.2989 + 0.25 * 0.5870 + 2.0 * 0.1140);
    });
}

#[test]
fn scenario_batch_of_random_images() {
    for_each_device(|_device| {
        let images = random::uniform([3, 256, 256, 3], 0.0, 1.0, DType::F32, Some(42)).unwrap();
        let gray = image::rgb_to_grayscale(&images).unwrap();
        assert_eq!(gray.dims(), [3, 256, 256, 1]);
        let a = images.to_array::<f32>().unwrap();
        let g = gray.to_array::<f32>().unwrap();
        for n in 0..3 {
            for y in (0..256).step_by(17) {
                for x in (0..256).step_by(13) {
                    let [r, gr, b] = [0, 1, 2].map(|c| a[[n, y, x, c]]);
                    let want = r * 0.2989 + gr * 0.5870 + b * 0.1140;
                    assert_eq!(g[[n, y, x, 0]], want, "pixel ({n}, {y}, {x})");
                }
            }
        }
    });
}

#[test]
fn broadcast_and_empty_images() {
    for_each_device(|_device| {
        // One red pixel broadcast over a 4 × 5 image: 76 everywhere.
        let red = here([255u8, 0, 0]).broadcast_to([4, 5, 3]).unwrap();
        let g = image::rgb_to_grayscale(&red).unwrap();
        assert_eq!(g.dims(), [4, 5, 1]);
        assert!(g.to_vec::<u8>().unwrap().iter().all(|&x| x == 76));
        // A rank-1 image is one pixel.
        let one = image::rgb_to_grayscale(&here([0u16, 65535, 0])).unwrap();
        // 0.5870 · 65535.5 = 38469.34 → 38469.
        assert_eq!(
            (one.dims(), one.to_vec::<u16>().unwrap()),
            (&[1][..], vec![38469])
        );
        let empty = Tensor::zeros([0, 7, 3], DType::F64).unwrap();
        assert_eq!(image::rgb_to_grayscale(&empty).unwrap().dims(), [0, 7, 1]);
    });
}

#[test]
fn grayscale_rejects_bad_images() {
    for_each_device(|_device| {
        let m = invalid_msg(image::rgb_to_grayscale(&here(1.0f32)));
        assert!(m.contains("shape []"), "{m}");
        for dims in [[4usize, 4], [2, 1], [3, 0]] {
            let t = Tensor::zeros(dims, DType::U8).unwrap();
            let m = invalid_msg(image::rgb_to_grayscale(&t));
            assert!(m.contains(&format!("{dims:?}")), "{m}");
            assert!(m.contains(&format!("size {}", dims[1])), "{m}");
        }
        let m = invalid_msg(image::rgb_to_grayscale(&here([true, false, true])));
        assert!(m.contains("bool"), "{m}");
        let z = here([Complex::new(1.0f64, 0.0); 3]);
        let m = invalid_msg(image::rgb_to_grayscale(&z));
        assert!(m.contains("complex128"), "{m}");
    });
}

/// The naive reference: index by index over the output, TF's formula per
/// dtype, from the input viewed through ndarray.
fn gray_naive(t: &Tensor) -> ArrayD<f64> {
    let a = t.cast(DType::F64).unwrap().to_array::<f64>().unwrap();
    let dims = t.dims().to_vec();
    let mut out_dims = dims.clone();
    *out_dims.last_mut().unwrap() = 1;
    let max = match t.dtype() {
        DType::U8 => Some(255.0),
        DType::I16 => Some(32767.0),
        DType::U16 => Some(65535.0),
        DType::I32 => Some(2_147_483_647.0),
        _ => None,
    };
    ArrayD::from_shape_fn(IxDyn(&out_dims), |idx| {
        let mut ix = idx.slice().to_vec();
        let rgb = [0, 1, 2].map(|c| {
            *ix.last_mut().unwrap() = c;
            a[IxDyn(&ix)]
        });
        match (t.dtype(), max) {
            (_, Some(max)) => gray_ref_int(rgb, max),
            (DType::F64, _) => rgb[0] * 0.2989 + rgb[1] * 0.5870 + rgb[2] * 0.1140,
            (DType::F32, _) => {
                let [r, g, b] = rgb.map(|x| x as f32);
                f64::from(r * 0.2989 + g * 0.5870 + b * 0.1140)
            }
            (DType::BF16, _) => {
                let [r, g, b] = rgb.map(|x| x as f32);
                bf16::from_f32(r * 0.2989 + g * 0.5870 + b * 0.1140).to_f64()
            }
            (d, _) => unreachable!("{d}"),
        }
    })
}

/// A tensor of `dtype` with dims `dims` (last dim 3) holding varied values.
fn image_of(dtype: DType, dims: &[usize], seed: u64) -> Tensor {
    match dtype {
        DType::U8 | DType::U16 => random::uniform(dims, 0.0, 65536.0, DType::U16, Some(seed))
            .unwrap()
            .cast(dtype)
            .unwrap(),
        DType::I16 | DType::I32 => random::uniform(dims, -32768.0, 32768.0, DType::I32, Some(seed))
            .unwrap()
            .cast(dtype)
            .unwrap(),
        _ => random::normal(dims, 0.5, 0.5, dtype, Some(seed)).unwrap(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn grayscale_matches_the_naive_reference(
        batch in prop::collection::vec(0usize..5, 0..3),
        dtype in prop::sample::select(vec![
            DType::U8, DType::U16, DType::I16, DType::I32, DType::BF16, DType::F32, DType::F64,
        ]),
        view in 0usize..4,
        seed in any::<u64>(),
    ) {
        on_each_device(|_| {
        let mut dims = batch.clone();
        dims.push(3);
        let base = image_of(dtype, &dims, seed);
        // The same pixels seen through a view: as is, channels-first
        // storage transposed back, every axis reversed, or broadcast.
        let t = match view {
            0 => base,
            1 => {
                let rank = dims.len();
                let mut perm: Vec<usize> = (0..rank).collect();
                perm.rotate_right(1);
                let moved = base.transpose(&perm).unwrap().contiguous_copy().unwrap();
                let mut back: Vec<usize> = (1..rank).collect();
                back.push(0);
                moved.transpose(&back).unwrap()
            }
            2 => base
                .slice(vec![SliceArg::with_step(.., -1); dims.len()])
                .unwrap(),
            _ => {
                let mut wide = vec![2];
                wide.extend(&dims);
                base.broadcast_to(wide).unwrap()
            }
        };
        let got = image::rgb_to_grayscale(&t).unwrap();
        prop_assert_eq!(got.dtype(), dtype);
        let got = got.cast(DType::F64).unwrap().to_array::<f64>().unwrap();
        let want = gray_naive(&t);
        prop_assert_eq!(got.shape(), want.shape());
        for (g, w) in got.iter().zip(want.iter()) {
            // f64 is computed in f64 (1 ulp of reassociation allowed).
            let tol = if dtype == DType::F64 { 1e-15 * w.abs().max(1.0) } else { 0.0 };
            prop_assert!((g - w).abs() <= tol, "{} vs {}", g, w);
        }
        Ok(())
        })?;
    }
}
