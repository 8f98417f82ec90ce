//! Random numbers: core's Philox stream, reproduced to the bit for the
//! conversions that need no polynomial (uniform floats and integers), and
//! determinism, lane mapping and statistics for the normals.

use tensorbridge_cuda::{CudaDevice, CudaError, Distribution, ElemType};

use crate::common::{self, Elem, down};

/// Philox4x32-10 as core's random.rs defines it.
fn philox(block: u64, key: [u32; 2]) -> [u32; 4] {
    let (mut k0, mut k1) = (key[0], key[1]);
    let mut c = [block as u32, (block >> 32) as u32, 0, 0];
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(0x9E37_79B9);
            k1 = k1.wrapping_add(0xBB67_AE85);
        }
        let p0 = u64::from(0xD251_1F53u32) * u64::from(c[0]);
        let p1 = u64::from(0xCD9E_8D57u32) * u64::from(c[2]);
        c = [
            (p1 >> 32) as u32 ^ c[1] ^ k0,
            p1 as u32,
            (p0 >> 32) as u32 ^ c[3] ^ k1,
            p0 as u32,
        ];
    }
    c
}

fn draw<T: Elem>(
    dev: &CudaDevice,
    d: Distribution,
    key: [u32; 2],
    first: u64,
    n: usize,
) -> Result<Vec<T>, CudaError> {
    let mut out = dev.alloc(n * T::E.size_bytes())?;
    dev.random(d, T::E, key, first, &mut out)?;
    Ok(down(dev, &out, n))
}

#[test]
fn philox_matches_the_published_known_answer() {
    // Random123's kat_vectors: philox4x32_10, counter 0, key 0.
    assert_eq!(
        philox(0, [0, 0]),
        [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
    );
}

#[test]
fn uniform_floats_and_integers_equal_core_bit_for_bit() {
    let dev = gpu!();
    let key = [42, 7];
    let n = 1001;
    let got = draw::<f32>(
        &dev,
        Distribution::Uniform {
            low: -2.0,
            high: 3.0,
        },
        key,
        0,
        n,
    )
    .unwrap();
    let hi = f64::from(3.0f32.next_down());
    for (i, g) in got.iter().enumerate() {
        let w = philox((i / 4) as u64, key)[i % 4];
        let u = f64::from(w >> 8) * f64::from(1.0f32 / 16_777_216.0);
        let v = (-2.0 + u * 5.0).max(-2.0).min(hi) as f32;
        assert_eq!(g.to_bits(), v.to_bits(), "element {i}");
    }
    let got = draw::<f64>(
        &dev,
        Distribution::Uniform {
            low: 0.0,
            high: 1.0,
        },
        key,
        0,
        n,
    )
    .unwrap();
    for (i, g) in got.iter().enumerate() {
        let w = philox((i / 2) as u64, key);
        let h = i % 2;
        let bits = (u64::from(w[2 * h]) << 32) | u64::from(w[2 * h + 1]);
        let v = ((bits >> 11) as f64 / 9_007_199_254_740_992.0)
            .max(0.0)
            .min(1.0f64.next_down());
        assert_eq!(g.to_bits(), v.to_bits(), "element {i}");
    }
    let got = draw::<i16>(
        &dev,
        Distribution::Uniform {
            low: -10.0,
            high: 10.0,
        },
        key,
        0,
        n,
    )
    .unwrap();
    for (i, g) in got.iter().enumerate() {
        let w = philox((i / 2) as u64, key);
        let h = i % 2;
        let x = (u64::from(w[2 * h]) << 32) | u64::from(w[2 * h + 1]);
        let d = ((u128::from(x) * 20) >> 64) as u64;
        assert_eq!(*g, ((-10i64 as u64).wrapping_add(d)) as i16, "element {i}");
    }
    // Wide 64-bit ranges use all 128 bits per element.
    let got = draw::<u64>(
        &dev,
        Distribution::Uniform {
            low: 0.0,
            high: 18446744073709551616.0,
        },
        key,
        0,
        9,
    )
    .unwrap();
    for (i, g) in got.iter().enumerate() {
        let w = philox(i as u64, key);
        assert_eq!(*g, (u64::from(w[0]) << 32) | u64::from(w[1]));
    }
    let range: u128 = 3 << 40;
    let got = draw::<i64>(
        &dev,
        Distribution::Uniform {
            low: 0.0,
            high: range as f64,
        },
        key,
        0,
        9,
    )
    .unwrap();
    for (i, g) in got.iter().enumerate() {
        let w = philox(i as u64, key);
        let hi = (u64::from(w[0]) << 32) | u64::from(w[1]);
        let lo = (u64::from(w[2]) << 32) | u64::from(w[3]);
        let d = ((u128::from(hi) * range + ((u128::from(lo) * range) >> 64)) >> 64) as i64;
        assert_eq!(*g, d, "element {i}");
    }
}

#[test]
fn normals_are_deterministic_lane_mapped_and_standard() {
    let dev = gpu!();
    let d = Distribution::Normal {
        mean: 0.0,
        std: 1.0,
    };
    let n = 1 << 20;
    let a = draw::<f32>(&dev, d, [1, 2], 0, n).unwrap();
    let b = draw::<f32>(&dev, d, [1, 2], 0, n).unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    let c = draw::<f32>(&dev, d, [1, 3], 0, 8).unwrap();
    assert_ne!(c, a[..8].to_vec());
    // Block 1 onwards is the same stream shifted by 4 elements.
    let shifted = draw::<f32>(&dev, d, [1, 2], 1, 8).unwrap();
    assert_eq!(shifted, a[4..12].to_vec());
    let mean = a.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
    let var = a
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n as f64;
    assert!(
        mean.abs() < 0.01 && (var - 1.0).abs() < 0.01,
        "mean {mean} var {var}"
    );
    let d64 = draw::<f64>(
        &dev,
        Distribution::Normal {
            mean: 5.0,
            std: 0.5,
        },
        [9, 9],
        0,
        100_000,
    )
    .unwrap();
    let m64 = d64.iter().sum::<f64>() / 1e5;
    assert!((m64 - 5.0).abs() < 0.01, "{m64}");
    let h = draw::<half::f16>(&dev, d, [1, 2], 0, 8).unwrap();
    assert_eq!(
        h,
        a[..8]
            .iter()
            .map(|&x| half::f16::from_f32(x))
            .collect::<Vec<_>>()
    );
    // Odd lengths fill every element.
    let odd = draw::<f64>(&dev, d, [1, 2], 0, 3).unwrap();
    assert_eq!(odd.len(), 3);
    assert!(odd.iter().all(|x| x.is_finite()));
}

#[test]
fn random_parameters_are_checked() {
    let dev = gpu!();
    let e = draw::<f32>(
        &dev,
        Distribution::Normal {
            mean: 0.0,
            std: -1.0,
        },
        [0, 0],
        0,
        4,
    )
    .unwrap_err();
    assert!(matches!(e, CudaError::InvalidArgument(_)), "{e}");
    let e = draw::<u8>(
        &dev,
        Distribution::Uniform {
            low: 0.0,
            high: 300.0,
        },
        [0, 0],
        0,
        4,
    )
    .unwrap_err();
    assert!(e.to_string().contains("out of range"), "{e}");
    assert!(matches!(
        draw::<bool>(
            &dev,
            Distribution::Uniform {
                low: 0.0,
                high: 1.0
            },
            [0, 0],
            0,
            4
        ),
        Err(CudaError::Unsupported(_))
    ));
    let mut odd = dev.alloc(6).unwrap();
    assert!(
        dev.random(
            Distribution::Uniform {
                low: 0.0,
                high: 1.0
            },
            ElemType::F32,
            [0, 0],
            0,
            &mut odd
        )
        .is_err()
    );
    let _ = common::strides(&[1]);
}
