//! Graph mode on a CUDA device (feature `cuda`): a fused elementwise group
//! whose feeds live on the GPU runs as one NVRTC-generated kernel, and its
//! result equals the same ops run eagerly on the GPU bit for bit (the
//! kernel calls the same per-element device code and rounds every
//! intermediate to its op's dtype), and equals the CPU bit for bit for
//! chains of integer, bool and IEEE-exact float ops.
//!
//! Without a GPU every test prints `SKIPPED` (and fails under
//! `TENSORBRIDGE_EXPECT_CUDA=1`). Run on a GPU machine with
//! `TENSORBRIDGE_EXPECT_CUDA=1 cargo test -p tensorbridge-tests --features cuda --test graph_cuda`.
#![cfg(feature = "cuda")]

use tensorbridge::graph::{Graph, Session};
use tensorbridge::prelude::*;
use tensorbridge_tests::{cuda_or_skip, same};

type Chain = fn(&Tensor, &Tensor, &Tensor) -> Result<Tensor>;

/// Asserts equal dims, dtype and bits (NaN equals NaN).
#[track_caller]
fn assert_bits(what: &str, want: &Tensor, got: &Tensor) {
    assert_eq!(want.dims(), got.dims(), "{what}: dims");
    assert_eq!(want.dtype(), got.dtype(), "{what}: dtype");
    tensorbridge::with_dtype!(want.dtype(), T => {
        let (w, g) = (want.to_vec::<T>().unwrap(), got.to_vec::<T>().unwrap());
        let bad = w.iter().zip(&g).position(|(a, b)| !same(std::slice::from_ref(a), std::slice::from_ref(b)));
        assert!(bad.is_none(), "{what}: element {bad:?} differs: want {:?} got {:?}",
            bad.map(|i| &w[i]), bad.map(|i| &g[i]));
    });
}

/// Inputs `[rows, cols]`, `[cols]` (broadcast) and a bool `[rows, cols]`
/// of dtype `d`, from a deterministic spread of values.
fn inputs(d: DType, rows: usize, cols: usize) -> (Tensor, Tensor, Tensor) {
    let n = rows * cols;
    let x = Tensor::arange(0.0f64, n as f64, 1.0)
        .unwrap()
        .mul_scalar(0.37)
        .unwrap()
        .sin()
        .unwrap()
        .mul_scalar(40.0)
        .unwrap()
        .reshape([rows, cols])
        .unwrap();
    let y = Tensor::arange(1.0f64, cols as f64 + 1.0, 1.0)
        .unwrap()
        .mul_scalar(0.71)
        .unwrap()
        .cos()
        .unwrap()
        .mul_scalar(9.0)
        .unwrap();
    let c = x.gt(&Tensor::scalar(0.0f64)).unwrap();
    if d == DType::Bool {
        let yb = y.gt(&Tensor::scalar(0.0f64)).unwrap();
        let xb = x.lt(&Tensor::scalar(10.0f64)).unwrap();
        return (xb, yb, c);
    }
    (x.cast(d).unwrap(), y.cast(d).unwrap(), c)
}

/// The cases: a dtype, a chain (run symbolically and eagerly), and whether
/// the CPU must agree to the bit as well.
fn cases() -> Vec<(&'static str, DType, Chain, bool)> {
    vec![
        (
            "f32 relu(x*y + x) * y",
            DType::F32,
            |x, y, _| x.mul(y)?.add(x)?.relu()?.mul(y),
            true,
        ),
        (
            "f64 where(c, x/y, -x) max y",
            DType::F64,
            |x, y, c| Tensor::where_(c, &x.div(y)?, &x.neg()?)?.maximum(y),
            true,
        ),
        (
            "f16 sigmoid(x*y) + x",
            DType::F16,
            |x, y, _| x.mul(y)?.sigmoid()?.add(x),
            false,
        ),
        (
            "bf16 (x*y + y) as f32",
            DType::BF16,
            |x, y, _| x.mul(y)?.add(y)?.cast(DType::F32),
            true,
        ),
        (
            "i32 (x - y) * x as i8",
            DType::I32,
            |x, y, _| x.sub(y)?.mul(x)?.cast(DType::I8),
            true,
        ),
        (
            "u8 where(c, x + y, x - y)",
            DType::U8,
            |x, y, c| Tensor::where_(c, &x.add(y)?, &x.sub(y)?),
            true,
        ),
        ("i64 abs(x) < y", DType::I64, |x, y, _| x.abs()?.lt(y), true),
        (
            "c64 abs(exp(x*y))",
            DType::C64,
            |x, y, _| x.mul(y)?.exp()?.abs(),
            false,
        ),
        (
            "c128 x*y + x",
            DType::C128,
            |x, y, _| x.mul(y)?.add(x),
            true,
        ),
        (
            "bool !(x ^ y) | c",
            DType::Bool,
            |x, y, c| x.logical_xor(y)?.logical_not()?.logical_or(c),
            true,
        ),
    ]
}

fn check_case(
    gpu: Device,
    what: &str,
    d: DType,
    chain: Chain,
    cpu_exact: bool,
    rows: usize,
    cols: usize,
) {
    let (x, y, c) = inputs(d, rows, cols);
    let g = Graph::new();
    let px = g.placeholder(d, &[None, Some(cols)]);
    let py = g.placeholder(d, &[Some(cols)]);
    let pc = g.placeholder(DType::Bool, &[None, Some(cols)]);
    let out = chain(&px, &py, &pc).unwrap();
    let (xg, yg, cg) = (
        x.to_device(gpu).unwrap(),
        y.to_device(gpu).unwrap(),
        c.to_device(gpu).unwrap(),
    );
    let feeds = [(&px, &xg), (&py, &yg), (&pc, &cg)];
    let sess = Session::new(&g);
    let (_, fused) = sess.plan_summary(&[&out], &feeds).unwrap();
    assert_eq!(fused, 1, "{what}: the chain is one fused group");
    let got = sess.run_tensors(&[&out], &feeds).unwrap().remove(0);
    assert_eq!(got.device(), gpu, "{what}: the result stays on the GPU");
    let eager_gpu = chain(&xg, &yg, &cg).unwrap();
    assert_bits(&format!("{what}: fused vs eager GPU"), &eager_gpu, &got);
    let unopt = Session::new(&g).with_optimizations(false);
    let plain = unopt.run_tensors(&[&out], &feeds).unwrap().remove(0);
    assert_bits(&format!("{what}: fused vs unoptimized"), &plain, &got);
    if cpu_exact {
        let cpu = chain(&x, &y, &c).unwrap();
        assert_bits(&format!("{what}: fused GPU vs CPU"), &cpu, &got);
    }
}

#[test]
fn fused_groups_on_gpu_feeds_equal_eager_device_code() {
    let Some(gpu) = cuda_or_skip() else { return };
    for (what, d, chain, cpu_exact) in cases() {
        check_case(gpu, what, d, chain, cpu_exact, 37, 29);
    }
}

#[test]
fn a_large_fused_group_covers_every_element_of_a_grid_stride_launch() {
    let Some(gpu) = cuda_or_skip() else { return };
    // 2^24 + 2^17 elements: more than the 2^16 blocks of 256 threads one
    // launch has, so threads loop.
    let (what, d, chain, _) = cases().remove(0);
    check_case(gpu, what, d, chain, true, 4097, 4127);
}

#[test]
fn a_failing_fused_chain_fails_as_eager_code_does() {
    let Some(gpu) = cuda_or_skip() else { return };
    // Integer division is not fused (it checks values): the group around
    // it still runs, and the error is eager code's own.
    let x = Tensor::from([4i32, 5, 6]).to_device(gpu).unwrap();
    let z = Tensor::from([1i32, 0, 2]).to_device(gpu).unwrap();
    let g = Graph::new();
    let (px, pz) = (
        g.placeholder(DType::I32, &[Some(3)]),
        g.placeholder(DType::I32, &[Some(3)]),
    );
    let out = px.add(&px).unwrap().div(&pz).unwrap().neg().unwrap();
    let err = Session::new(&g)
        .run_tensors(&[&out], &[(&px, &x), (&pz, &z)])
        .unwrap_err();
    let eager = x.add(&x).unwrap().div(&z).unwrap_err();
    assert_eq!(err.to_string(), eager.to_string());
    // A graph's constants (made on the host) are placed next to their GPU
    // consumers, as TensorFlow's placer does: the chain runs on the GPU and
    // equals eager code with the constant moved there by hand. Eager code
    // itself still refuses operands on two devices.
    let g = Graph::new();
    let px = g.placeholder(DType::I32, &[Some(3)]);
    let k = g.constant(&Tensor::from([1i32, 2, 3]));
    let out = px.add(&k).unwrap().mul(&px).unwrap().mul_scalar(3).unwrap();
    let got = Session::new(&g).run_tensors(&[&out], &[(&px, &x)]).unwrap();
    assert_eq!(got[0].device(), gpu);
    let k_gpu = Tensor::from([1i32, 2, 3]).to_device(gpu).unwrap();
    let eager = x
        .add(&k_gpu)
        .unwrap()
        .mul(&x)
        .unwrap()
        .mul_scalar(3)
        .unwrap();
    assert_eq!(
        got[0].to_vec::<i32>().unwrap(),
        eager.to_vec::<i32>().unwrap()
    );
    assert!(x.add(&Tensor::from([1i32, 2, 3])).is_err());
}
