//! The CUDA device (feature `cuda`): results on the GPU against the CPU,
//! transfers of strided views, the device scope, error mapping and the
//! refusal to mix devices.
//!
//! Two kinds of tests:
//! - the *no-GPU* tests check what a build with `--features cuda` does on a
//!   machine without a usable GPU (CI): `Device::Cuda(0)` is unavailable
//!   with the backend's reason, creation under a GPU scope is refused,
//!   `devices()` is `[Cpu]`, nothing panics. On a GPU machine they check
//!   the positive side instead.
//! - the *GPU* tests compare every op on the device with the same op on the
//!   CPU: bit for bit for integers, bools, and the float ops IEEE rounds
//!   exactly (add, sub, mul, div, sqrt, comparisons, min/max, casts,
//!   copies); within documented ulps for transcendental functions (CUDA's
//!   `expf`/`logf`/`sinf`/... are within 2 ulps of the exact value, Rust's
//!   within 1, so the two may differ by [`TRANSCENDENTAL_ULPS`]) and within
//!   a relative bound for float reductions and matmul (the summation order
//!   differs): sums and means (real, and complex part by part) within a
//!   fraction of the sum of magnitudes ([`sum_rel`]), float and complex
//!   products on factors near 1 within the first-order bound of
//!   [`assert_close_prod`]; running sums and products bit for bit. Without a GPU they print `SKIPPED` (or fail under
//!   `TENSORBRIDGE_EXPECT_CUDA=1`).
//!
//! Run on a GPU machine with
//! `TENSORBRIDGE_EXPECT_CUDA=1 cargo test -p tensorbridge-tests --features cuda --test cuda -- --test-threads=1`.
#![cfg(feature = "cuda")]

use ndarray::arr2;
use proptest::prelude::*;
use tensorbridge::prelude::*;
use tensorbridge::{PendingArray, ScatterMode, image, random, s};
use tensorbridge_tests::{TRANSCENDENTAL_ULPS, as_c128, cuda_or_skip, expect_cuda, same, ulps};

/// `t` on GPU 0.
fn gpu(t: &Tensor) -> Tensor {
    let g = t.to_device(Device::Cuda(0)).expect("upload");
    assert_eq!(g.device(), Device::Cuda(0));
    g
}

/// Asserts that `dev` is on the GPU with the dims and dtype of `host`: the
/// frame every value comparison below starts from.
#[track_caller]
fn assert_same_frame(what: &str, host: &Tensor, dev: &Tensor) {
    assert_eq!(
        dev.device(),
        Device::Cuda(0),
        "{what}: result not on the GPU"
    );
    assert_eq!(host.dims(), dev.dims(), "{what}: dims");
    assert_eq!(host.dtype(), dev.dtype(), "{what}: dtype");
}

/// Asserts that `dev` (a device result) equals `host` (the CPU result) bit
/// for bit: same dims, dtype and elements (NaN equals NaN, -0.0 differs
/// from 0.0).
#[track_caller]
fn assert_same(what: &str, host: &Tensor, dev: &Tensor) {
    assert_same_frame(what, host, dev);
    tensorbridge::with_dtype!(host.dtype(), T => {
        let (h, d) = (host.to_vec::<T>().unwrap(), dev.to_vec::<T>().unwrap());
        assert!(same(&h, &d), "{what}: CPU {h:?}\n GPU {d:?}");
    });
}

/// Asserts that float results agree within `max_ulps` ulps elementwise.
#[track_caller]
fn assert_close_ulps(what: &str, host: &Tensor, dev: &Tensor, max_ulps: u64) {
    assert_same_frame(what, host, dev);
    let precision = match host.dtype() {
        DType::F16 => 11,
        DType::BF16 => 8,
        DType::F32 => 24,
        DType::F64 => 53,
        other => panic!("{what}: {other} is not a float dtype"),
    };
    let h = host.cast(DType::F64).unwrap().to_vec::<f64>().unwrap();
    let d = dev.cast(DType::F64).unwrap().to_vec::<f64>().unwrap();
    for (i, (&x, &y)) in h.iter().zip(&d).enumerate() {
        let u = ulps(x, y, precision);
        assert!(
            u <= max_ulps,
            "{what}[{i}]: CPU {x} GPU {y} ({u} ulps > {max_ulps})"
        );
    }
}

/// Asserts that float results agree within `rel` of the sum of magnitudes
/// (the bound of a sum computed in another order).
#[track_caller]
fn assert_close_rel(what: &str, host: &Tensor, dev: &Tensor, scale: f64, rel: f64) {
    assert_eq!(
        dev.device(),
        Device::Cuda(0),
        "{what}: result not on the GPU"
    );
    assert_eq!(host.dims(), dev.dims(), "{what}: dims");
    let h = host.cast(DType::F64).unwrap().to_vec::<f64>().unwrap();
    let d = dev.cast(DType::F64).unwrap().to_vec::<f64>().unwrap();
    for (i, (&x, &y)) in h.iter().zip(&d).enumerate() {
        assert!(
            (x - y).abs() <= rel * scale.max(1.0) || (x.is_nan() && y.is_nan()),
            "{what}[{i}]: CPU {x} GPU {y}"
        );
    }
}

/// The relative bound of [`assert_close_rel`] for a sum of `dtype`
/// computed in another order (f16/bf16 accumulate in f32 on both devices
/// and round once; the bound covers that rounding).
fn sum_rel(dtype: DType) -> f64 {
    match dtype {
        DType::F16 => 1e-2,
        DType::BF16 => 2e-2,
        DType::F32 | DType::C64 => 1e-5,
        _ => 1e-12,
    }
}

/// Asserts that complex results agree part by part within `rel` of
/// `scale`, the sum of the magnitudes of the parts that were added (the
/// bound of a complex sum computed in another order: real and imaginary
/// parts are two independent real sums).
#[track_caller]
fn assert_close_rel_complex(what: &str, host: &Tensor, dev: &Tensor, scale: f64, rel: f64) {
    assert_same_frame(what, host, dev);
    let (h, d) = (as_c128(host), as_c128(dev));
    let close =
        |x: f64, y: f64| (x - y).abs() <= rel * scale.max(1.0) || (x.is_nan() && y.is_nan());
    for (i, (x, y)) in h.iter().zip(&d).enumerate() {
        assert!(
            close(x.re, y.re) && close(x.im, y.im),
            "{what}[{i}]: CPU {x} GPU {y}"
        );
    }
}

/// Asserts that float or complex products of `n` factors agree. Each of
/// the two is within `(n - 1)·c·ε/2` of the exact product `p` relative to
/// `|p|` (first order; `ε` the machine epsilon of the accumulator, f32 for
/// f16/bf16/f32/c64 and f64 for f64/c128; `c` = 1 for a real product and
/// `√5` for a complex one, Higham's normwise bound of one complex
/// multiplication), then rounds once to the dtype (half an ulp, `ε_dtype/2`):
/// so they differ by at most `(n - 1)·c·ε + ε_dtype` of `|p|`. The check
/// allows twice that, for the higher-order terms, normwise for complex.
#[track_caller]
fn assert_close_prod(what: &str, host: &Tensor, dev: &Tensor, n: usize) {
    assert_same_frame(what, host, dev);
    let dtype = host.dtype();
    let (eps_acc, eps_dtype) = match dtype {
        DType::F16 => (f64::from(f32::EPSILON), 2f64.powi(-10)),
        DType::BF16 => (f64::from(f32::EPSILON), 2f64.powi(-7)),
        DType::F32 | DType::C64 => (f64::from(f32::EPSILON), f64::from(f32::EPSILON)),
        DType::F64 | DType::C128 => (f64::EPSILON, f64::EPSILON),
        other => panic!("{what}: {other} is not a float or complex dtype"),
    };
    let c = if dtype.is_complex() { 5f64.sqrt() } else { 1.0 };
    let rel = 2.0 * (n.saturating_sub(1) as f64 * c * eps_acc + eps_dtype);
    let (h, d) = (as_c128(host), as_c128(dev));
    for (i, (x, y)) in h.iter().zip(&d).enumerate() {
        let bound = rel * x.norm().max(y.norm());
        assert!(
            (x - y).norm() <= bound,
            "{what}[{i}]: CPU {x} GPU {y} (|difference| {} > {bound})",
            (x - y).norm()
        );
    }
}

/// A deterministic tensor of `dims` of `dtype` whose elements lie near 1
/// (real parts in [0.9, 1.1], imaginary parts in [-0.1, 0.1]): products of
/// hundreds of them neither overflow nor underflow in any order, so GPU and
/// CPU products are comparable (float and complex dtypes only).
fn near_one(dims: &[usize], dtype: DType, seed: u64) -> Tensor {
    let re = random::uniform(dims, 0.9, 1.1, DType::F64, Some(seed)).unwrap();
    if !dtype.is_complex() {
        return re.cast(dtype).unwrap();
    }
    let im = random::uniform(dims, -0.1, 0.1, DType::F64, Some(seed + 1))
        .unwrap()
        .cast(DType::C128)
        .unwrap()
        .mul(&Tensor::scalar(num_complex::Complex::new(0.0, 1.0)))
        .unwrap();
    re.cast(DType::C128)
        .unwrap()
        .add(&im)
        .unwrap()
        .cast(dtype)
        .unwrap()
}

/// A deterministic tensor of `dims` with values of every sign and size for
/// `dtype` (from a seeded uniform on the CPU, cast).
fn sample(dims: &[usize], dtype: DType, seed: u64) -> Tensor {
    let wide = random::uniform(dims, -100.0, 100.0, DType::F64, Some(seed)).unwrap();
    match dtype {
        DType::Bool => wide.gt(&Tensor::scalar(0.0f64)).unwrap(),
        d if d.is_unsigned() => wide.abs().unwrap().cast(d).unwrap(),
        DType::C64 | DType::C128 => {
            let re = wide.cast(DType::F64).unwrap();
            let z = re.cast(dtype).unwrap();
            let i = random::uniform(dims, -1.0, 1.0, DType::F64, Some(seed + 1))
                .unwrap()
                .cast(dtype)
                .unwrap()
                .mul(
                    &Tensor::scalar(num_complex::Complex::new(0.0, 1.0))
                        .cast(dtype)
                        .unwrap(),
                )
                .unwrap();
            z.add(&i).unwrap()
        }
        d => wide.cast(d).unwrap(),
    }
}

/// The views the GPU tests run every op on: the tensor itself, a transpose
/// and a reversed step slice (for rank 2 and more).
fn views(t: &Tensor) -> Vec<(&'static str, Tensor)> {
    ["contiguous", "transposed", "step slice"]
        .into_iter()
        .filter_map(|what| view(t, what).map(|v| (what, v)))
        .collect()
}

/// View `what` of `t` (see [`views`]): taken on a device tensor, it is a
/// strided view of device memory, which is what the device ops must read.
fn view(t: &Tensor, what: &str) -> Option<Tensor> {
    match what {
        "contiguous" => Some(t.clone()),
        "transposed" if t.rank() >= 2 => Some(t.t().unwrap()),
        "step slice" if t.rank() >= 2 => Some(t.slice(s![..;-2, 1..]).unwrap()),
        _ => None,
    }
}

/// The same view of the device copy of `base` as `what` is of `base`.
fn gpu_view(base: &Tensor, what: &str) -> Tensor {
    let v = view(&gpu(base), what).expect("a view of the host base exists");
    assert_eq!(v.device(), Device::Cuda(0));
    v
}

// ---------------------------------------------------------------------------
// Without a GPU (these run in CI).

#[test]
fn discovery_answers_without_panicking() {
    let gpu0 = Device::Cuda(0);
    let all = tensorbridge::devices();
    assert_eq!(all[0], Device::Cpu);
    if gpu0.is_available() {
        assert!(all.contains(&gpu0));
        // The ordinal after the last GPU is refused with the count.
        let past = Device::Cuda(all.len() - 1);
        let e = past.check_available().unwrap_err();
        assert!(e.to_string().contains("CUDA device(s)"), "{e}");
        return;
    }
    assert!(!expect_cuda(), "TENSORBRIDGE_EXPECT_CUDA=1 but no GPU");
    assert_eq!(all, [Device::Cpu]);
    for ordinal in [0, 1, 7] {
        let d = Device::Cuda(ordinal);
        assert!(!d.is_available());
        let e = d.check_available().unwrap_err();
        match &e {
            Error::DeviceUnavailable { device, reason } => {
                assert_eq!(*device, d);
                assert!(!reason.is_empty());
                // The backend's reason, not the no-feature message.
                assert!(!reason.contains("no CUDA backend"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert!(
            e.to_string()
                .starts_with(&format!("device cuda:{ordinal} is unavailable: "))
        );
    }
}

#[test]
fn a_gpu_scope_without_a_gpu_refuses_every_constructor() {
    if Device::Cuda(0).is_available() {
        println!("SKIPPED: cuda:0 is available; the refusal cannot be shown");
        return;
    }
    let _g = "/GPU:0".parse::<Device>().unwrap().scope();
    let outcomes: Vec<(&str, tensorbridge::Result<Tensor>)> = vec![
        ("zeros", Tensor::zeros([2], DType::F32)),
        ("ones", Tensor::ones([2], DType::I8)),
        ("full", Tensor::full([2], 1.5f64)),
        ("eye", Tensor::eye(3, DType::F32)),
        ("from_vec", Tensor::from_vec(vec![1u8, 2], [2])),
        ("new", Tensor::new([[1, 2], [3, 4]])),
        ("arange", Tensor::arange(0i64, 5, 1)),
        (
            "normal f32",
            random::normal([2], 0.0, 1.0, DType::F32, Some(1)),
        ),
        (
            "normal f16",
            random::normal([2], 0.0, 1.0, DType::F16, Some(1)),
        ),
        (
            "uniform f64",
            random::uniform([2], 0.0, 1.0, DType::F64, Some(1)),
        ),
        (
            "uniform u8",
            random::uniform([2], 0.0, 9.0, DType::U8, Some(1)),
        ),
        ("to_device", Tensor::from([1u8]).to_device(Device::Cuda(0))),
    ];
    for (what, outcome) in outcomes {
        match outcome {
            Err(Error::DeviceUnavailable {
                device: Device::Cuda(0),
                ..
            }) => {}
            other => panic!("{what}: {other:?}"),
        }
    }
    // The host constructors and host tensors are untouched by the scope.
    let host = Tensor::from([1.0f32, 2.0]);
    assert_eq!(host.device(), Device::Cpu);
    assert_eq!(
        host.add(&host).unwrap().to_vec::<f32>().unwrap(),
        [2.0, 4.0]
    );
    assert_eq!(host.cpu().unwrap().device(), Device::Cpu);
}

#[test]
fn to_array_async_of_a_host_tensor_is_ready() {
    let t = Tensor::from([[1i16, 2], [3, 4]]).t().unwrap();
    let pending: PendingArray<i16> = t.to_array_async().unwrap();
    assert_eq!(
        pending.wait().unwrap(),
        arr2(&[[1i16, 3], [2, 4]]).into_dyn()
    );
    assert!(matches!(
        t.to_array_async::<i32>().unwrap_err(),
        Error::DTypeMismatch { .. }
    ));
}

#[test]
fn write_c_order_of_host_views_matches_to_vec() {
    let t = Tensor::from_vec((0..24u32).collect(), [4, 6]).unwrap();
    for (what, v) in views(&t) {
        let mut bytes = Vec::new();
        v.write_c_order(&mut bytes).unwrap();
        let expect: Vec<u8> = v
            .to_vec::<u32>()
            .unwrap()
            .iter()
            .flat_map(|x| x.to_ne_bytes())
            .collect();
        assert_eq!(bytes, expect, "{what}");
    }
}

// ---------------------------------------------------------------------------
// On a GPU.

#[test]
fn device_scope_creates_on_the_gpu() {
    let Some(g) = cuda_or_skip() else { return };
    let _s = g.scope();
    let made = [
        Tensor::zeros([2, 3], DType::F32).unwrap(),
        Tensor::ones([4], DType::C64).unwrap(),
        Tensor::full([2], 7u16).unwrap(),
        Tensor::eye(3, DType::I32).unwrap(),
        Tensor::from_vec(vec![1i64, 2, 3], [3]).unwrap(),
        Tensor::new([[true, false]]).unwrap(),
        Tensor::arange(0.0f32, 1.0, 0.25).unwrap(),
        random::normal([5], 0.0, 1.0, DType::F32, Some(3)).unwrap(),
        random::uniform([5], 0.0, 10.0, DType::U8, Some(3)).unwrap(),
    ];
    for t in &made {
        assert_eq!(t.device(), g, "{t:?}");
    }
    assert_eq!(made[0].to_vec::<f32>().unwrap(), [0.0; 6]);
    assert_eq!(made[2].to_vec::<u16>().unwrap(), [7, 7]);
    assert_eq!(
        made[3].to_vec::<i32>().unwrap(),
        [1, 0, 0, 0, 1, 0, 0, 0, 1]
    );
    assert_eq!(made[6].to_vec::<f32>().unwrap(), [0.0, 0.25, 0.5, 0.75]);
    // From/scalar stay on the host; a nested CPU scope makes host tensors.
    assert_eq!(Tensor::from([1]).device(), Device::Cpu);
    {
        let _cpu = Device::Cpu.scope();
        assert_eq!(Tensor::zeros([1], DType::U8).unwrap().device(), Device::Cpu);
    }
    // Results of ops stay where the operands are.
    let sum = made[4].add_scalar(1i64).unwrap();
    assert_eq!(sum.device(), g);
    assert_eq!(sum.to_vec::<i64>().unwrap(), [2, 3, 4]);
    // cpu() and to_device round-trip.
    let back = sum.cpu().unwrap();
    assert_eq!(back.device(), Device::Cpu);
    assert_eq!(
        back.to_device(g).unwrap().to_vec::<i64>().unwrap(),
        [2, 3, 4]
    );
    assert!(sum.to_device(g).unwrap().shares_buffer_with(&sum));
}

#[test]
fn conversions_copy_only_the_view_and_refuse_borrows() {
    let Some(_) = cuda_or_skip() else { return };
    let host = Tensor::from_vec((0..60i32).collect(), [6, 10]).unwrap();
    let dev = gpu(&host);
    let cases = [
        ("whole", s![.., ..].to_vec()),
        ("rows", s![1..4, ..].to_vec()),
        ("columns", s![.., 2..5].to_vec()),
        ("steps", s![..;2, 1..;3].to_vec()),
        ("reversed", s![..;-1, ..;-2].to_vec()),
        ("one element", s![3, 7].to_vec()),
        ("empty", s![2..2, ..].to_vec()),
    ];
    for (what, args) in cases {
        let h = host.slice(args.clone()).unwrap();
        let d = dev.slice(args).unwrap();
        assert_eq!(d.device(), Device::Cuda(0));
        assert_eq!(
            h.to_array::<i32>().unwrap(),
            d.to_array::<i32>().unwrap(),
            "{what}"
        );
        assert_eq!(
            h.to_vec::<i32>().unwrap(),
            d.to_vec::<i32>().unwrap(),
            "{what}"
        );
        assert_eq!(
            h.to_array::<i32>().unwrap(),
            d.to_array_async::<i32>().unwrap().wait().unwrap(),
            "{what}"
        );
        assert_eq!(h.numpy().unwrap(), d.numpy().unwrap(), "{what}");
        assert_eq!(
            h.clone().into_array::<i32>().unwrap(),
            d.clone().into_array::<i32>().unwrap(),
            "{what}"
        );
        let (mut hb, mut db) = (Vec::new(), Vec::new());
        h.write_c_order(&mut hb).unwrap();
        d.write_c_order(&mut db).unwrap();
        assert_eq!(hb, db, "{what}");
    }
    // Transposed and broadcast views.
    let t = dev.t().unwrap();
    assert_eq!(
        t.to_vec::<i32>().unwrap(),
        host.t().unwrap().to_vec::<i32>().unwrap()
    );
    let b = gpu(&Tensor::from([1u8, 2, 3]))
        .broadcast_to([2, 3])
        .unwrap();
    assert_eq!(b.to_vec::<u8>().unwrap(), [1, 2, 3, 1, 2, 3]);
    // Borrowing is refused with the way out; a wrong T is a dtype error.
    let e = dev.view::<i32>().unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotOnHost {
                device: Device::Cuda(0),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("to_array()"), "{e}");
    assert!(matches!(
        dev.to_vec::<i64>().unwrap_err(),
        Error::DTypeMismatch { .. }
    ));
    assert!(matches!(
        dev.to_array_async::<u8>().unwrap_err(),
        Error::DTypeMismatch { .. }
    ));
    // One element, any rank.
    assert_eq!(dev.slice(s![5, 9]).unwrap().to_scalar::<i32>().unwrap(), 59);
    // A structure of device tensors in one call.
    let (a, b) = (dev.clone(), dev.t().unwrap()).numpy().unwrap();
    assert_eq!(a.shape(), [6, 10]);
    assert_eq!(b.shape(), [10, 6]);
    // Display copies the values.
    assert!(gpu(&Tensor::from([1u8, 2])).to_string().contains("[1, 2]"));
}

#[test]
fn every_dtype_round_trips_bit_for_bit() {
    let Some(_) = cuda_or_skip() else { return };
    for dtype in DType::ALL {
        let host = sample(&[5, 7], dtype, 11);
        for (what, v) in views(&host) {
            // The view uploaded (its elements only), and the same view of
            // the uploaded base (read back through a strided download).
            assert_same(&format!("{dtype} {what}"), &v, &gpu(&v));
            assert_same(
                &format!("{dtype} {what} of the base"),
                &v,
                &gpu_view(&host, what),
            );
        }
    }
}

#[test]
fn binary_ops_match_the_cpu() {
    let Some(_) = cuda_or_skip() else { return };
    type Op = fn(&Tensor, &Tensor) -> tensorbridge::Result<Tensor>;
    let exact: [(&str, Op); 14] = [
        ("add", Tensor::add),
        ("sub", Tensor::sub),
        ("mul", Tensor::mul),
        ("maximum", Tensor::maximum),
        ("minimum", Tensor::minimum),
        ("eq", Tensor::eq),
        ("ne", Tensor::ne),
        ("lt", Tensor::lt),
        ("le", Tensor::le),
        ("gt", Tensor::gt),
        ("ge", Tensor::ge),
        ("logical_and", Tensor::logical_and),
        ("logical_or", Tensor::logical_or),
        ("logical_xor", Tensor::logical_xor),
    ];
    for dtype in DType::ALL {
        let a = sample(&[6, 8], dtype, 1);
        let row = sample(&[8], dtype, 2);
        for (name, op) in exact {
            for (what, v) in views(&a) {
                let b = if v.dims() == [6, 8] {
                    row.clone()
                } else {
                    sample(v.dims(), dtype, 3)
                };
                let host = op(&v, &b);
                let dev = op(&gpu_view(&a, what), &gpu(&b));
                match (host, dev) {
                    (Ok(h), Ok(d)) => assert_same(&format!("{name} {dtype} {what}"), &h, &d),
                    (Err(h), Err(d)) => assert_eq!(
                        std::mem::discriminant(&h),
                        std::mem::discriminant(&d),
                        "{name} {dtype}: {h} vs {d}"
                    ),
                    (h, d) => panic!("{name} {dtype} {what}: CPU {h:?}, GPU {d:?}"),
                }
            }
        }
    }
    // Division: integers floor and refuse 0 exactly as on the CPU; floats
    // are IEEE-exact.
    for dtype in [DType::I8, DType::I32, DType::U64, DType::F32, DType::F64] {
        let a = sample(&[4, 5], dtype, 5);
        let b = sample(&[4, 5], dtype, 6)
            .abs()
            .unwrap()
            .add(&Tensor::ones([], dtype).unwrap())
            .unwrap();
        for (name, op) in [("div", Tensor::div as Op), ("rem", Tensor::rem as Op)] {
            assert_same(
                &format!("{name} {dtype}"),
                &op(&a, &b).unwrap(),
                &op(&gpu(&a), &gpu(&b)).unwrap(),
            );
        }
    }
    let zero = gpu(&Tensor::from([1, 0]));
    let e = gpu(&Tensor::from([4, 4])).div(&zero).unwrap_err();
    assert!(e.to_string().contains("division by zero"), "{e}");
    let e = gpu(&Tensor::from([2, 2]))
        .pow(&gpu(&Tensor::from([1, -1])))
        .unwrap_err();
    assert!(e.to_string().contains("negative"), "{e}");
    // Integer pow is exact; float pow within ulps.
    let base = gpu(&Tensor::from([2i64, -3, 7]));
    assert_eq!(
        base.pow_scalar(3i64).unwrap().to_vec::<i64>().unwrap(),
        [8, -27, 343]
    );
    let fb = sample(&[64], DType::F32, 8).abs().unwrap();
    assert_close_ulps(
        "pow f32",
        &fb.pow_scalar(1.5f32).unwrap(),
        &gpu(&fb).pow_scalar(1.5f32).unwrap(),
        TRANSCENDENTAL_ULPS,
    );
    // where_ with three broadcast operands.
    let cond = gpu(&Tensor::from([[true], [false]]));
    let x = gpu(&Tensor::from([1.0f32, 2.0, 3.0]));
    let y = gpu(&Tensor::scalar(-1.0f32));
    let w = Tensor::where_(&cond, &x, &y).unwrap();
    assert_eq!(w.device(), Device::Cuda(0));
    assert_eq!(
        w.to_vec::<f32>().unwrap(),
        [1.0, 2.0, 3.0, -1.0, -1.0, -1.0]
    );
}

#[test]
fn unary_ops_and_casts_match_the_cpu() {
    let Some(_) = cuda_or_skip() else { return };
    type Op = fn(&Tensor) -> tensorbridge::Result<Tensor>;
    let exact: [(&str, Op); 8] = [
        ("neg", Tensor::neg),
        ("abs", Tensor::abs),
        ("sign", Tensor::sign),
        ("relu", Tensor::relu),
        ("floor", Tensor::floor),
        ("ceil", Tensor::ceil),
        ("round", Tensor::round),
        ("logical_not", Tensor::logical_not),
    ];
    let approx: [(&str, Op); 6] = [
        ("exp", Tensor::exp),
        ("sin", Tensor::sin),
        ("cos", Tensor::cos),
        ("tanh", Tensor::tanh),
        ("sigmoid", Tensor::sigmoid),
        ("sqrt_of_abs", |t| t.abs()?.sqrt()),
    ];
    for dtype in DType::ALL {
        let a = sample(&[5, 6], dtype, 21);
        for (what, v) in views(&a) {
            let d = gpu_view(&a, what);
            for (name, op) in exact {
                match (op(&v), op(&d)) {
                    (Ok(h), Ok(g)) => assert_same(&format!("{name} {dtype} {what}"), &h, &g),
                    (Err(_), Err(_)) => {}
                    (h, g) => panic!("{name} {dtype} {what}: CPU {h:?}, GPU {g:?}"),
                }
            }
            if dtype.is_float() {
                let fifty = Tensor::full([], 50.0f64).unwrap().cast(dtype).unwrap();
                let small = v.div(&fifty).unwrap();
                // The same division on the device, of the strided device view.
                let small_d = d.div(&gpu(&fifty)).unwrap();
                assert_same(&format!("div {dtype} {what}"), &small, &small_d);
                for (name, op) in approx {
                    let ulps = if name == "sqrt_of_abs" {
                        0
                    } else {
                        TRANSCENDENTAL_ULPS
                    };
                    assert_close_ulps(
                        &format!("{name} {dtype} {what}"),
                        &op(&small).unwrap(),
                        &op(&small_d).unwrap(),
                        ulps,
                    );
                }
            }
            for to in DType::ALL {
                match (v.cast(to), d.cast(to)) {
                    (Ok(h), Ok(g)) => assert_same(&format!("cast {dtype}->{to} {what}"), &h, &g),
                    (Err(_), Err(_)) => {}
                    (h, g) => panic!("cast {dtype}->{to}: CPU {h:?}, GPU {g:?}"),
                }
            }
        }
    }
    // Casts at the edges: NaN, infinities, saturation, -0.0.
    let edges = Tensor::from([
        f32::NAN,
        f32::INFINITY,
        -f32::INFINITY,
        1e10,
        -1e10,
        -0.0,
        2.5,
        -2.5,
    ]);
    for to in DType::ALL {
        if let Ok(h) = edges.cast(to) {
            assert_same(
                &format!("edge cast f32->{to}"),
                &h,
                &gpu(&edges).cast(to).unwrap(),
            );
        }
    }
    // Complex parts.
    let z = sample(&[3, 4], DType::C128, 4);
    assert_same("real", &z.real().unwrap(), &gpu(&z).real().unwrap());
    assert_same(
        "imag",
        &z.imag().unwrap(),
        &gpu(&z)
            .t()
            .unwrap()
            .imag()
            .unwrap()
            .t()
            .unwrap()
            .contiguous_copy()
            .unwrap(),
    );
}

#[test]
fn reductions_and_scans_match_the_cpu() {
    let Some(_) = cuda_or_skip() else { return };
    for dtype in DType::ALL {
        let a = sample(&[7, 9, 5], dtype, 31);
        let perm = [2, 0, 1];
        for (what, v, d) in [
            ("contiguous", a.clone(), gpu(&a)),
            (
                "transposed",
                a.transpose(&perm).unwrap(),
                gpu(&a).transpose(&perm).unwrap(),
            ),
        ] {
            for axes in [vec![], vec![0], vec![1, -1], vec![0, 2]] {
                for keepdims in [false, true] {
                    type Red = fn(&Tensor, &[isize], bool) -> tensorbridge::Result<Tensor>;
                    let all: [(&str, Red); 7] = [
                        ("sum", Tensor::sum),
                        ("prod", Tensor::prod),
                        ("mean", Tensor::mean),
                        ("max", Tensor::max),
                        ("min", Tensor::min),
                        ("all", Tensor::all),
                        ("any", Tensor::any),
                    ];
                    for (name, op) in all {
                        let tag = format!("{name}{axes:?} keepdims={keepdims} {dtype} {what}");
                        match (op(&v, &axes, keepdims), op(&d, &axes, keepdims)) {
                            (Ok(h), Ok(g)) => {
                                let float = h.dtype().is_float() || h.dtype().is_complex();
                                let order_matters = matches!(name, "sum" | "mean" | "prod");
                                if !float || !order_matters {
                                    assert_same(&tag, &h, &g);
                                } else if name == "prod" {
                                    // Products of these values overflow in
                                    // some orders: compared below on
                                    // factors near 1.
                                } else if h.dtype().is_complex() {
                                    let scale: f64 =
                                        as_c128(&v).iter().map(|z| z.re.abs() + z.im.abs()).sum();
                                    assert_close_rel_complex(
                                        &tag,
                                        &h,
                                        &g,
                                        scale,
                                        sum_rel(h.dtype()),
                                    );
                                } else {
                                    let scale = v
                                        .abs()
                                        .unwrap()
                                        .cast(DType::F64)
                                        .unwrap()
                                        .sum(&[], false)
                                        .unwrap()
                                        .to_scalar::<f64>()
                                        .unwrap();
                                    assert_close_rel(&tag, &h, &g, scale, sum_rel(h.dtype()));
                                }
                            }
                            (Err(h), Err(g)) => assert_eq!(
                                std::mem::discriminant(&h),
                                std::mem::discriminant(&g),
                                "{tag}"
                            ),
                            (h, g) => panic!("{tag}: CPU {h:?}, GPU {g:?}"),
                        }
                    }
                }
            }
            if dtype != DType::Bool && !dtype.is_complex() {
                for axis in [0isize, 1, -1] {
                    assert_same(
                        &format!("argmax {axis} {dtype} {what}"),
                        &v.argmax(axis, false).unwrap(),
                        &d.argmax(axis, false).unwrap(),
                    );
                    assert_same(
                        &format!("argmin {axis} {dtype} {what}"),
                        &v.argmin(axis, true).unwrap(),
                        &d.argmin(axis, true).unwrap(),
                    );
                }
            }
            if dtype != DType::Bool {
                // Running sums and products walk the axis in order on both
                // devices: bit for bit for every dtype (the backend's
                // documented numerics), overflow to inf included.
                for axis in [0isize, 1, 2] {
                    for (ex, rev) in [(false, false), (true, false), (false, true), (true, true)] {
                        assert_same(
                            &format!("cumsum {axis} {ex} {rev} {dtype}"),
                            &v.cumsum(axis, ex, rev).unwrap(),
                            &d.cumsum(axis, ex, rev).unwrap(),
                        );
                        assert_same(
                            &format!("cumprod {axis} {ex} {rev} {dtype}"),
                            &v.cumprod(axis, ex, rev).unwrap(),
                            &d.cumprod(axis, ex, rev).unwrap(),
                        );
                    }
                }
            }
        }
    }
    // Float and complex products, on factors near 1 so that no order
    // overflows, within the bound of assert_close_prod.
    for dtype in DType::ALL
        .into_iter()
        .filter(|d| d.is_float() || d.is_complex())
    {
        let a = near_one(&[7, 9, 5], dtype, 37);
        let perm = [2, 0, 1];
        for (what, v, d) in [
            ("contiguous", a.clone(), gpu(&a)),
            (
                "transposed",
                a.transpose(&perm).unwrap(),
                gpu(&a).transpose(&perm).unwrap(),
            ),
        ] {
            for axes in [vec![], vec![0isize], vec![1, -1], vec![0, 2]] {
                let n: usize = if axes.is_empty() {
                    v.numel()
                } else {
                    axes.iter()
                        .map(|&x| v.dims()[x.rem_euclid(3) as usize])
                        .product()
                };
                for keepdims in [false, true] {
                    let tag = format!("prod{axes:?} keepdims={keepdims} {dtype} {what}");
                    let (h, g) = (
                        v.prod(&axes, keepdims).unwrap(),
                        d.prod(&axes, keepdims).unwrap(),
                    );
                    assert_close_prod(&tag, &h, &g, n);
                }
            }
        }
    }
    // Ties pick the first index, NaN wins, as on the CPU.
    let t = Tensor::from([1.0f32, 3.0, 3.0, f32::NAN, 2.0]);
    assert_eq!(
        gpu(&t)
            .argmax(0, false)
            .unwrap()
            .to_scalar::<i64>()
            .unwrap(),
        t.argmax(0, false).unwrap().to_scalar::<i64>().unwrap()
    );
    // Empty reductions and their errors.
    let empty = gpu(&Tensor::zeros([0, 3], DType::F32).unwrap());
    assert_eq!(
        empty.sum(&[0], false).unwrap().to_vec::<f32>().unwrap(),
        [0.0; 3]
    );
    assert!(
        empty
            .mean(&[0], false)
            .unwrap()
            .to_vec::<f32>()
            .unwrap()
            .iter()
            .all(|x| x.is_nan())
    );
    assert!(empty.max(&[0], false).is_err());
}

#[test]
fn matmul_matches_the_cpu() {
    let Some(_) = cuda_or_skip() else { return };
    let shapes: [(&[usize], &[usize]); 6] = [
        (&[3, 4], &[4, 5]),
        (&[4], &[4, 2]),
        (&[2, 4], &[4]),
        (&[6], &[6]),
        (&[2, 1, 3, 4], &[5, 4, 2]),
        (&[3, 0], &[0, 2]),
    ];
    for dtype in [
        DType::I32,
        DType::U8,
        DType::I64,
        DType::F32,
        DType::F64,
        DType::F16,
        DType::C64,
    ] {
        for (sa, sb) in shapes {
            let a = sample(sa, dtype, 41);
            let b = sample(sb, dtype, 42);
            let h = a.matmul(&b).unwrap();
            let g = gpu(&a).matmul(&gpu(&b)).unwrap();
            let tag = format!("{dtype} {sa:?} @ {sb:?}");
            if dtype.is_int() {
                assert_same(&tag, &h, &g);
            } else if dtype.is_float() {
                let scale = 100.0 * 100.0 * sa.last().copied().unwrap_or(1) as f64;
                let rel = match dtype {
                    DType::F16 => 1e-2,
                    DType::F32 => 1e-5,
                    _ => 1e-12,
                };
                assert_close_rel(&tag, &h, &g, scale, rel);
            } else {
                assert_eq!(h.dims(), g.dims(), "{tag}");
            }
        }
    }
    // Transposed (strided) operands and a dot product.
    let a = sample(&[5, 3], DType::I32, 43);
    let b = sample(&[5, 4], DType::I32, 44);
    assert_same(
        "aT @ b",
        &a.t().unwrap().matmul(&b).unwrap(),
        &gpu(&a).t().unwrap().matmul(&gpu(&b)).unwrap(),
    );
    let v = sample(&[9], DType::I64, 45);
    assert_same("dot", &v.dot(&v).unwrap(), &gpu(&v).dot(&gpu(&v)).unwrap());
    assert!(gpu(&a).matmul(&gpu(&a)).is_err());
}

#[test]
fn random_numbers_are_the_cpus_for_the_same_seed() {
    let Some(g) = cuda_or_skip() else { return };
    let dims = [3, 1000];
    for dtype in [DType::F16, DType::BF16, DType::F32, DType::F64] {
        let h = random::normal(dims, 0.5, 2.0, dtype, Some(99)).unwrap();
        let d = {
            let _s = g.scope();
            random::normal(dims, 0.5, 2.0, dtype, Some(99)).unwrap()
        };
        assert_same(&format!("normal {dtype}"), &h, &d);
    }
    for (dtype, lo, hi) in [
        (DType::F32, -3.0, 5.0),
        (DType::F64, -3.0, 5.0),
        (DType::U8, 3.0, 200.0),
        (DType::I64, -3.0, 5.0),
        (DType::BF16, -3.0, 5.0),
    ] {
        let h = random::uniform(dims, lo, hi, dtype, Some(7)).unwrap();
        let d = {
            let _s = g.scope();
            random::uniform(dims, lo, hi, dtype, Some(7)).unwrap()
        };
        assert_same(&format!("uniform {dtype}"), &h, &d);
    }
}

#[test]
fn grayscale_matches_the_cpu() {
    let Some(_) = cuda_or_skip() else { return };
    for dtype in [
        DType::U8,
        DType::I32,
        DType::U16,
        DType::F32,
        DType::F64,
        DType::F16,
    ] {
        let img = sample(&[2, 5, 4, 3], dtype, 51).abs().unwrap();
        let h = image::rgb_to_grayscale(&img).unwrap();
        let d = image::rgb_to_grayscale(&gpu(&img)).unwrap();
        if dtype.is_float() {
            // One product and two multiply-adds: a fused multiply-add on the
            // GPU may round once where the CPU rounds twice.
            assert_close_ulps(&format!("gray {dtype}"), &h, &d, 2);
        } else {
            assert_same(&format!("gray {dtype}"), &h, &d);
        }
    }
    assert!(image::rgb_to_grayscale(&gpu(&Tensor::from([1.0f32, 2.0]))).is_err());
}

#[test]
fn shape_ops_match_the_cpu() {
    let Some(_) = cuda_or_skip() else { return };
    let a = sample(&[3, 4], DType::I32, 61);
    let b = sample(&[3, 2], DType::I32, 62);
    let (ga, gb) = (gpu(&a), gpu(&b));
    assert_same(
        "concat",
        &Tensor::concat(&[&a, &b], 1).unwrap(),
        &Tensor::concat(&[&ga, &gb], 1).unwrap(),
    );
    assert_same(
        "concat T",
        &Tensor::concat(&[&a.t().unwrap(), &a.t().unwrap()], 0).unwrap(),
        &Tensor::concat(&[&ga.t().unwrap(), &ga.t().unwrap()], 0).unwrap(),
    );
    assert_same(
        "stack",
        &Tensor::stack(&[&a, &a], 1).unwrap(),
        &Tensor::stack(&[&ga, &ga], 1).unwrap(),
    );
    let pad_v = Tensor::scalar(-7i32);
    assert_same(
        "pad",
        &a.pad(&[(1, 2), (0, 3)], &pad_v).unwrap(),
        &ga.pad(&[(1, 2), (0, 3)], &gpu(&pad_v)).unwrap(),
    );
    assert_same(
        "tile",
        &a.tile(&[2, 3]).unwrap(),
        &ga.tile(&[2, 3]).unwrap(),
    );
    assert_same(
        "tile T",
        &a.t().unwrap().tile(&[1, 2]).unwrap(),
        &ga.t().unwrap().tile(&[1, 2]).unwrap(),
    );
    let parts_h = a.split(&[1, 3], 1).unwrap();
    let parts_g = ga.split(&[1, 3], 1).unwrap();
    for (h, g) in parts_h.iter().zip(&parts_g) {
        assert_same("split", h, g);
    }
    let idx = Tensor::from([[0i64, 2], [5, -1]]);
    let (on, off) = (Tensor::scalar(1.5f32), Tensor::scalar(0.0f32));
    for axis in [-1, 0, 1] {
        assert_same(
            &format!("one_hot {axis}"),
            &Tensor::one_hot(&idx, 4, &on, &off, axis).unwrap(),
            &Tensor::one_hot(&gpu(&idx), 4, &gpu(&on), &gpu(&off), axis).unwrap(),
        );
    }
    assert_same(
        "contiguous_copy",
        &a.t().unwrap().contiguous_copy().unwrap(),
        &ga.t().unwrap().contiguous_copy().unwrap(),
    );
}

#[test]
fn index_ops_match_the_cpu_and_check_indices_on_the_device() {
    let Some(_) = cuda_or_skip() else { return };
    let params = sample(&[5, 3], DType::F64, 71);
    let gp = gpu(&params);
    let idx = Tensor::from([4i64, 0, 0, 2]);
    assert_same(
        "index_select",
        &params.index_select(0, &idx).unwrap(),
        &gp.index_select(0, &gpu(&idx)).unwrap(),
    );
    let idx2 = Tensor::from([[2i32, 1], [0, 2]]);
    assert_same(
        "gather axis 1",
        &params.gather(&idx2, 1).unwrap(),
        &gp.gather(&gpu(&idx2), 1).unwrap(),
    );
    assert_same(
        "gather strided",
        &params.t().unwrap().gather(&idx2, 1).unwrap(),
        &gp.t().unwrap().gather(&gpu(&idx2), 1).unwrap(),
    );
    let padded = Tensor::from([1i64, -1, 3]);
    let fill = Tensor::scalar(9.0f64);
    assert_same(
        "gather_with_padding",
        &params.gather_with_padding(&padded, &fill).unwrap(),
        &gp.gather_with_padding(&gpu(&padded), &gpu(&fill)).unwrap(),
    );
    let splits = Tensor::from([0i64, 2, 2, 5]);
    assert_same(
        "pad_segments",
        &params.pad_segments(&splits, 3, &fill).unwrap(),
        &gp.pad_segments(&gpu(&splits), 3, &gpu(&fill)).unwrap(),
    );
    let ids = Tensor::from([0i64, 2, 2, 1, 0]);
    let ints = sample(&[5, 3], DType::I32, 72);
    assert_same(
        "segment_sum",
        &ints.segment_sum(&ids, 4).unwrap(),
        &gpu(&ints).segment_sum(&gpu(&ids), 4).unwrap(),
    );
    let sidx = Tensor::from([[0i64, 1], [2, 0], [0, 1]]);
    let ups = Tensor::from([1i32, 2, 3]);
    let zero = Tensor::scalar(0i32);
    for mode in [ScatterMode::Last, ScatterMode::Add] {
        assert_same(
            &format!("scatter_nd {mode:?}"),
            &Tensor::scatter_nd(&sidx, &ups, [3, 2], &zero, mode).unwrap(),
            &Tensor::scatter_nd(&gpu(&sidx), &gpu(&ups), [3, 2], &gpu(&zero), mode).unwrap(),
        );
    }
    // Repeats in mode Error, bad indices and bad splits: errors, no faults.
    assert!(
        Tensor::scatter_nd(
            &gpu(&sidx),
            &gpu(&ups),
            [3, 2],
            &gpu(&zero),
            ScatterMode::Error
        )
        .is_err()
    );
    let bad = gpu(&Tensor::from([1i64, 5]));
    match gp.index_select(0, &bad).unwrap_err() {
        Error::IndexOutOfBounds { index, size, .. } => assert_eq!((index, size), (5, 5)),
        other => panic!("{other:?}"),
    }
    assert!(
        gp.gather_with_padding(&gpu(&Tensor::from([-2i64])), &gpu(&fill))
            .is_err()
    );
    assert!(
        gp.pad_segments(&gpu(&Tensor::from([0i64, 3, 2])), 2, &gpu(&fill))
            .is_err()
    );
    assert!(
        gpu(&ints)
            .segment_sum(&gpu(&Tensor::from([0i64, 0, 0, 0, 9])), 4)
            .is_err()
    );
    let out_of_shape = gpu(&Tensor::from([[0i64, 2]]));
    assert!(matches!(
        Tensor::scatter_nd(
            &out_of_shape,
            &gpu(&Tensor::from([1i32])),
            [3, 2],
            &gpu(&zero),
            ScatterMode::Last
        )
        .unwrap_err(),
        Error::IndexOutOfBounds {
            axis: 1,
            size: 2,
            ..
        }
    ));
    // The device still works after the refused launches.
    assert_eq!(
        gpu(&Tensor::from([1u8]))
            .add_scalar(1u8)
            .unwrap()
            .to_vec::<u8>()
            .unwrap(),
        [2]
    );
}

#[test]
fn sparse_and_ragged_densify_on_the_device() {
    let Some(g) = cuda_or_skip() else { return };
    use tensorbridge::ragged::RaggedTensor;
    use tensorbridge::sparse::SparseTensor;
    let indices = Tensor::from([[0i64, 0], [1, 2], [2, 1]]);
    let values = Tensor::from([1.5f32, -2.0, 3.0]);
    let host = SparseTensor::new(indices.clone(), values.clone(), [3, 4]).unwrap();
    let dev = SparseTensor::new(gpu(&indices), gpu(&values), [3, 4]).unwrap();
    assert_eq!(dev.device(), g);
    let (h, d) = (host.to_dense().unwrap(), dev.to_dense().unwrap());
    assert_same("to_dense", &h, &d);
    let rt = RaggedTensor::from_row_splits(
        Tensor::from([1, 2, 3, 4, 5, 6]),
        Tensor::from([0i64, 3, 5, 6]),
    )
    .unwrap();
    let grt = RaggedTensor::from_row_splits(
        gpu(&Tensor::from([1, 2, 3, 4, 5, 6])),
        gpu(&Tensor::from([0i64, 3, 5, 6])),
    )
    .unwrap();
    assert_same(
        "to_tensor",
        &rt.to_tensor(&Tensor::scalar(0)).unwrap(),
        &grt.to_tensor(&gpu(&Tensor::scalar(0))).unwrap(),
    );
}

/// A structure of model outputs on the GPU (a dense tensor, a sparse
/// tensor, a ragged tensor) converts in one call, its device parts in one
/// batch of downloads, to exactly the arrays of the same structure on the
/// host.
#[test]
fn structures_of_sparse_and_ragged_device_tensors_convert_together() {
    let Some(g) = cuda_or_skip() else { return };
    use tensorbridge::ragged::RaggedTensor;
    use tensorbridge::sparse::SparseTensor;
    let dense = Tensor::from([[1.5f32, -2.0], [0.25, 8.0]]);
    let st = SparseTensor::new(
        Tensor::from([[0i64, 1], [2, 0]]),
        Tensor::from([7u8, 9]),
        [3, 2],
    )
    .unwrap();
    let rt = RaggedTensor::from_nested_row_lengths(
        Tensor::from([1i16, 2, 3, 4, 5]),
        vec![Tensor::from([2i64, 1]), Tensor::from([2i64, 0, 3])],
    )
    .unwrap();
    let on_gpu = (
        dense.to_device(g).unwrap(),
        st.to_device(g).unwrap(),
        rt.to_device(g).unwrap(),
    );
    assert_eq!(on_gpu.1.device(), g);
    let want = (&dense, &st, &rt).numpy().unwrap();
    let got = on_gpu.numpy().unwrap();
    assert_eq!(got, want);
    assert_eq!(got.1.0, arr2(&[[0i64, 1], [2, 0]]).into_dyn().into());
    assert_eq!(
        got.2.1[1].view_typed::<i64>().unwrap().as_slice(),
        Some(&[0i64, 2, 2, 5][..])
    );
    // Alone, each converts the same way.
    assert_eq!(on_gpu.1.numpy().unwrap(), want.1);
    assert_eq!(on_gpu.2.numpy().unwrap(), want.2);
}

#[test]
fn mixing_devices_is_an_error_naming_both() {
    let Some(_) = cuda_or_skip() else { return };
    let h = Tensor::from([1.0f32, 2.0]);
    let d = gpu(&h);
    let checks: Vec<(&str, tensorbridge::Result<Tensor>)> = vec![
        ("add", h.add(&d)),
        ("add reversed", d.add(&h)),
        (
            "where_",
            Tensor::where_(&gpu(&Tensor::from([true, false])), &h, &d),
        ),
        (
            "matmul",
            d.reshape([1, 2])
                .unwrap()
                .matmul(&h.reshape([2, 1]).unwrap()),
        ),
        ("concat", Tensor::concat(&[&h, &d], 0)),
        ("index_select", d.index_select(0, &Tensor::from([0i64]))),
        ("pad", d.pad(&[(1, 1)], &Tensor::scalar(0.0f32))),
    ];
    for (what, r) in checks {
        let e = r.unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{what}: {e:?}");
        let msg = e.to_string();
        assert!(
            msg.contains("cpu") && msg.contains("cuda:0") && msg.contains("to_device"),
            "{what}: {msg}"
        );
    }
    // A scalar of the *_scalar forms goes where the tensor is.
    assert_eq!(
        d.mul_scalar(2.0f32).unwrap().to_vec::<f32>().unwrap(),
        [2.0, 4.0]
    );
}

#[test]
fn out_of_device_memory_is_an_error_with_sizes() {
    let Some(g) = cuda_or_skip() else { return };
    let _s = g.scope();
    // 1 PiB: more than any GPU has, but a valid byte size.
    let e = Tensor::zeros([1usize << 50], DType::U8).unwrap_err();
    match e {
        Error::OutOfMemory {
            requested_bytes,
            available_bytes,
        } => {
            assert_eq!(requested_bytes, 1 << 50);
            assert!(available_bytes.is_some_and(|free| free < 1 << 50));
        }
        other => panic!("{other:?}"),
    }
    // The device is still usable afterwards.
    assert_eq!(
        Tensor::full([2], 3i8).unwrap().to_vec::<i8>().unwrap(),
        [3, 3]
    );
}

#[test]
fn save_npy_streams_a_device_tensor() {
    let Some(_) = cuda_or_skip() else { return };
    let dir = std::env::temp_dir().join(format!("tb-cuda-npy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let host = sample(&[64, 33], DType::F32, 81);
    for (what, v) in views(&host) {
        let path = dir.join(format!("{}.npy", what.replace(' ', "_")));
        tensorbridge::numpy::save_npy(&path, &gpu_view(&host, what)).unwrap();
        let back = tensorbridge::numpy::load_npy(&path).unwrap();
        assert_same(what, &v, &gpu(&back));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_graph_fed_on_the_gpu_runs_there() {
    let Some(g) = cuda_or_skip() else { return };
    let graph = Graph::new();
    let p = graph.placeholder(DType::F32, &[None, Some(3)]);
    let y = p
        .mul(&p)
        .unwrap()
        .add(&p)
        .unwrap()
        .exp()
        .unwrap()
        .sum(&[1], false)
        .unwrap();
    let x = sample(&[4096, 3], DType::F32, 91)
        .div(&Tensor::scalar(100.0f32))
        .unwrap();
    let host = Session::new(&graph).run(&[&y], &[(&p, &x)]).unwrap();
    let dev = Session::new(&graph)
        .run(&[&y], &[(&p, &x.to_device(g).unwrap())])
        .unwrap();
    let (h, d) = (
        host[0].view_typed::<f32>().unwrap(),
        dev[0].view_typed::<f32>().unwrap(),
    );
    for (a, b) in h.iter().zip(d.iter()) {
        assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{a} vs {b}");
    }
}

/// Outside any device scope, what an op derives from a GPU tensor stays
/// on that GPU: `zeros_like` (TensorFlow places it with its input), the
/// scalar of `*_scalar`, and the scalar constants a graph records for
/// `*_scalar` nodes when the graph is fed (or a traced function called)
/// with GPU tensors. The device-generic suites run inside
/// `for_each_device`'s scope, where these cannot be told apart.
#[test]
fn derived_tensors_stay_on_the_gpu_without_a_scope() {
    let Some(g) = cuda_or_skip() else { return };
    assert_eq!(Device::current(), Device::Cpu);
    let x = gpu(&Tensor::from([1.5f32, -2.0]));
    let z = x.zeros_like().unwrap();
    assert_eq!(z.device(), g, "zeros_like of a GPU tensor");
    assert_eq!(z.to_vec::<f32>().unwrap(), [0.0, 0.0]);
    let y = x.add_scalar(1.0f32).unwrap();
    assert_eq!(y.device(), g, "add_scalar of a GPU tensor");
    assert_eq!(y.to_vec::<f32>().unwrap(), [2.5, -1.0]);
    let graph = Graph::new();
    let p = graph.placeholder(DType::F32, &[None]);
    let q = p
        .add_scalar(1.0f32)
        .unwrap()
        .mul(&p.zeros_like().unwrap().add(&p).unwrap())
        .unwrap();
    for optimize in [true, false] {
        let out = Session::new(&graph)
            .with_optimizations(optimize)
            .run_tensors(&[&q], &[(&p, &x)])
            .unwrap_or_else(|e| panic!("a graph fed on the GPU (optimize={optimize}): {e}"));
        assert_eq!(out[0].device(), g);
        // (x + 1) * (0 + x)
        assert_eq!(out[0].to_vec::<f32>().unwrap(), [3.75, 2.0]);
    }
    let f = tensorbridge::graph::function(|a: &[Tensor]| Ok(vec![a[0].mul_scalar(2.0f32)?]));
    let out = f
        .call(std::slice::from_ref(&x))
        .unwrap_or_else(|e| panic!("a traced function called with a GPU tensor: {e}"));
    assert_eq!(out[0].device(), g);
    assert_eq!(out[0].to_vec::<f32>().unwrap(), [3.0, -4.0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Any tensor and any view of it come back from the GPU bit for bit.
    #[test]
    fn views_survive_the_round_trip(chain in tensorbridge::strategies::views_of::<i64>()) {
        if !Device::Cuda(0).is_available() {
            assert!(!expect_cuda(), "TENSORBRIDGE_EXPECT_CUDA=1 but no GPU");
            return Ok(());
        }
        let host = chain.tensor().unwrap();
        let dev = gpu(&host);
        prop_assert!(same(&host.to_vec::<i64>().unwrap(), &dev.to_vec::<i64>().unwrap()));
        // The same chain applied to the device copy of the base.
        let on_device = chain
            .ops
            .iter()
            .try_fold(gpu(&chain.base()), |t, op| op.apply(&t))
            .unwrap();
        prop_assert_eq!(on_device.device(), Device::Cuda(0));
        prop_assert!(same(&host.to_vec::<i64>().unwrap(), &on_device.to_vec::<i64>().unwrap()));
    }

    /// Integer elementwise ops agree with the CPU bit for bit.
    #[test]
    fn integer_adds_agree(a in tensorbridge::strategies::tensors_of::<i32>(), b in -5i32..5) {
        if !Device::Cuda(0).is_available() {
            return Ok(());
        }
        let h = a.mul_scalar(b).unwrap().add(&a).unwrap();
        let g = gpu(&a).mul_scalar(b).unwrap().add(&gpu(&a)).unwrap();
        prop_assert!(same(&h.to_vec::<i32>().unwrap(), &g.to_vec::<i32>().unwrap()));
    }
}

#[test]
fn structures_of_device_and_host_tensors_convert_in_one_call() {
    let Some(gpu0) = cuda_or_skip() else { return };
    let host = Tensor::from_vec((0..12i64).collect(), [3, 4]).unwrap();
    let dev = host.to_device(gpu0).unwrap();
    let f = Tensor::from([0.5f32, -1.5]);
    let fd = f.to_device(gpu0).unwrap();
    // Host and device tensors mixed, views, a None, maps: every place gets
    // the array of its own tensor.
    let (list, map, tail) = (
        vec![
            Some(dev.clone()),
            None,
            Some(host.t().unwrap()),
            Some(dev.t().unwrap()),
        ],
        std::collections::BTreeMap::from([("f", fd.clone()), ("h", f.clone())]),
        dev.slice(s![1.., ..;2]).unwrap(),
    )
        .numpy()
        .unwrap();
    assert_eq!(list[0].as_ref().unwrap(), &host.numpy().unwrap());
    assert!(list[1].is_none());
    assert_eq!(
        list[2].as_ref().unwrap(),
        &host.t().unwrap().numpy().unwrap()
    );
    assert_eq!(
        list[3].as_ref().unwrap(),
        &host.t().unwrap().numpy().unwrap()
    );
    assert_eq!(map["f"], f.numpy().unwrap());
    assert_eq!(map["h"], f.numpy().unwrap());
    assert_eq!(
        tail.view_typed::<i64>().unwrap(),
        ndarray::arr2(&[[4i64, 6], [8, 10]]).into_dyn()
    );
    // Many device tensors: all queued, one wait.
    let many: Vec<Tensor> = (0..40)
        .map(|i| {
            Tensor::full([i + 1], i as i32)
                .unwrap()
                .to_device(gpu0)
                .unwrap()
        })
        .collect();
    for (i, a) in many.numpy().unwrap().iter().enumerate() {
        assert_eq!(a.view_typed::<i32>().unwrap().len(), i + 1);
        assert!(
            a.view_typed::<i32>()
                .unwrap()
                .iter()
                .all(|&v| v == i as i32)
        );
    }
}

#[test]
#[expect(unsafe_code, reason = "wrap_foreign takes a raw device address")]
fn foreign_device_buffers_become_tensors_in_place() {
    // Without a GPU: the address of a host tensor is refused, not invented.
    let e = Tensor::from([1, 2]).cuda_data_ptr().unwrap_err();
    assert!(
        e.to_string().contains("expected a tensor on a CUDA device"),
        "{e}"
    );
    let Some(gpu0) = cuda_or_skip() else { return };
    let dev = tensorbridge_cuda::CudaDevice::get(0).unwrap();
    let t = Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]])
        .to_device(gpu0)
        .unwrap();
    let row = t.slice(s![1, ..]).unwrap();
    assert_eq!(
        row.cuda_data_ptr().unwrap(),
        t.cuda_data_ptr().unwrap() + 12
    );
    // Another library's memory: the tensor reads it in place and drops
    // its owner once.
    let drops = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    struct Owner(
        #[expect(dead_code, reason = "held only to keep the memory alive")] Tensor,
        std::sync::Arc<std::sync::atomic::AtomicUsize>,
    );
    impl Drop for Owner {
        fn drop(&mut self) {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let ptr = row.cuda_data_ptr().unwrap();
    let owner = Owner(t.clone(), std::sync::Arc::clone(&drops));
    // SAFETY: the owner keeps `t`, and so the 12 bytes of its row, alive.
    let buf = unsafe { dev.wrap_foreign(ptr, 12, Box::new(owner)) }.unwrap();
    let shared = Tensor::from_cuda_buffer(buf, DType::F32, [3]).unwrap();
    assert_eq!(shared.device(), gpu0);
    assert_eq!(shared.cuda_data_ptr().unwrap(), ptr);
    assert_eq!(shared.to_vec::<f32>().unwrap(), [4.0, 5.0, 6.0]);
    let doubled = shared.add(&shared).unwrap();
    drop(shared);
    assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(doubled.to_vec::<f32>().unwrap(), [8.0, 10.0, 12.0]);
    // Bool bytes are checked on the device.
    let bad = dev.upload(&[0, 1, 2]).unwrap();
    let e = Tensor::from_cuda_buffer(bad, DType::Bool, [3]).unwrap_err();
    assert!(e.to_string().contains("bool byte is 2"), "{e}");
    let short = dev.upload(&[0; 8]).unwrap();
    assert!(Tensor::from_cuda_buffer(short, DType::F64, [2]).is_err());
}

/// Two GPUs: each keeps its tensors, ops run where their operands are,
/// operands on two GPUs are refused naming both, tensors move between them
/// GPU to GPU, and a structure spanning both converts in one call.
/// Skipped (with a printed line) on a machine with one GPU, unless
/// `TENSORBRIDGE_EXPECT_GPUS` asks for two (xtask's hostcuda step).
#[test]
fn two_gpus_keep_their_tensors_apart() {
    let (g0, g1) = (Device::Cuda(0), Device::Cuda(1));
    if !g1.is_available() {
        let wanted = std::env::var("TENSORBRIDGE_EXPECT_GPUS")
            .ok()
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        assert!(
            wanted < 2,
            "TENSORBRIDGE_EXPECT_GPUS={wanted} but cuda:1 is not available"
        );
        println!("SKIPPED: cuda:1 not available: this test needs two GPUs");
        return;
    }
    let x = {
        let _s = g0.scope();
        Tensor::new([[1i32, 2, 3], [4, 5, 6]]).unwrap()
    };
    let y = x.to_device(g1).unwrap();
    assert_eq!((x.device(), y.device()), (g0, g1));
    assert_eq!(y.to_vec::<i32>().unwrap(), [1, 2, 3, 4, 5, 6]);
    let e = x.add(&y).unwrap_err().to_string();
    assert!(e.contains("cuda:0") && e.contains("cuda:1"), "{e}");
    // Kernels of every kind on the second GPU.
    let z = y.mul_scalar(2).unwrap().t().unwrap().contiguous().unwrap();
    assert_eq!(z.device(), g1);
    assert_eq!(z.to_vec::<i32>().unwrap(), [2, 8, 4, 10, 6, 12]);
    assert_eq!(
        y.sum(&[1], false).unwrap().to_vec::<i32>().unwrap(),
        [6, 15]
    );
    let f = y.cast(DType::F32).unwrap();
    assert_eq!(
        f.matmul(&f.t().unwrap()).unwrap().to_vec::<f32>().unwrap(),
        [14.0, 32.0, 32.0, 77.0]
    );
    let picked = y
        .index_select(0, &Tensor::from([1i64, 1, 0]).to_device(g1).unwrap())
        .unwrap();
    assert_eq!(picked.to_vec::<i32>().unwrap(), [4, 5, 6, 4, 5, 6, 1, 2, 3]);
    // Views cross as their elements only: a transposed view, an offset
    // slice, an empty one.
    let moved = y.t().unwrap().to_device(g0).unwrap();
    assert_eq!(moved.device(), g0);
    assert_eq!(moved.to_vec::<i32>().unwrap(), [1, 4, 2, 5, 3, 6]);
    let row = y.slice(s![1.., 1..]).unwrap().to_device(g0).unwrap();
    assert_eq!(row.to_vec::<i32>().unwrap(), [5, 6]);
    let none = y.slice(s![..0, ..]).unwrap().to_device(g0).unwrap();
    assert_eq!((none.dims(), none.device()), (&[0usize, 3][..], g0));
    // Back to the first GPU, and both converted together.
    let back = z.to_device(g0).unwrap();
    assert_eq!(back.device(), g0);
    let (a, b) = (x.clone(), back).numpy().unwrap();
    assert_eq!(a, arr2(&[[1, 2, 3], [4, 5, 6]]).into_dyn().into());
    assert_eq!(b, arr2(&[[2, 8], [4, 10], [6, 12]]).into_dyn().into());
}
