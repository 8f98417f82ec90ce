//! Graph-mode workloads W8b, W8c and W10 of BENCHMARKS.md: the per-call
//! overhead of `Session::run` and of a traced function, and a fused
//! elementwise chain against the same chain eager.
//!
//! Run with `cargo xtask bench W8` (or `W10`).

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tensorbridge::graph::{Graph, Session, function};
use tensorbridge::prelude::{DType, Result, Tensor};

use support::{LIMIT, Lazy, WORKLOAD, f32_data, large_group, small_group};

/// Elements of W10's input: 2^24 (64 MiB of f32).
const W10_LEN: usize = 1 << 24;

/// W8b: `Session::run` of a 1-op graph (`x + x`) with one 2-element feed,
/// results as arrays (absolute target: under 5 µs per call).
fn w8b_session_run(c: &mut Criterion) {
    let g = Graph::new();
    let x = g.placeholder(DType::F32, &[Some(2)]);
    let y = x.add(&x).expect("W8b graph");
    let sess = Session::new(&g);
    let value = Tensor::from([1.0f32, 2.0]);
    let mut group = small_group(c, "W8b");
    group.bench_function(WORKLOAD, |bench| {
        bench.iter(|| {
            sess.run(black_box(&[&y]), black_box(&[(&x, &value)]))
                .expect("W8b run")
        });
    });
    group.finish();
}

/// W8c: a call of a traced 1-op function on two 2-element tensors
/// (absolute target: under 5 µs per call).
fn w8c_function_call(c: &mut Criterion) {
    let f = function(|a: &[Tensor]| Ok(vec![a[0].add(&a[1])?]));
    let args = [Tensor::from([1.0f32, 2.0]), Tensor::from([3.0f32, 4.0])];
    f.call(&args).expect("W8c trace");
    let mut group = small_group(c, "W8c");
    group.bench_function(WORKLOAD, |bench| {
        bench.iter(|| f.call(black_box(&args)).expect("W8c call"));
    });
    group.finish();
}

/// The 4-op chain of W10: `relu(x * 2 + 1) * x`.
fn chain(x: &Tensor) -> Result<Tensor> {
    x.mul_scalar(2.0f32)?.add_scalar(1.0f32)?.relu()?.mul(x)
}

/// W10: the chain traced (one fused pass) against the same chain eager
/// (four passes); target ratio ≤ 0.5.
fn w10_fused_chain(c: &mut Criterion) {
    let x = Lazy::new(|| Tensor::from_vec(f32_data(W10_LEN, 1), [W10_LEN]).expect("W10 input"));
    let f = function(|a: &[Tensor]| Ok(vec![chain(&a[0])?]));
    let mut group = large_group(c, "W10", Some(W10_LEN * 4));
    group.bench_function(LIMIT, |bench| {
        let x = x.get();
        bench.iter_with_large_drop(|| chain(black_box(x)).expect("W10 eager"));
    });
    group.bench_function(WORKLOAD, |bench| {
        let args = [x.get().clone()];
        f.call(&args).expect("W10 trace");
        bench.iter_with_large_drop(|| f.call(black_box(&args)).expect("W10 call"));
    });
    group.finish();
}

/// W10's chain on GPU feeds (feature `cuda`; BENCHMARKS.md has no row for
/// it): `relu(x * two + one) * x` on 2^24 f32 in a Session (one generated
/// kernel, one pass over device memory) against the same ops eager on the
/// GPU (four kernels). The scalars are fed as GPU tensors: a graph's own
/// constants live on the host. Without a GPU it prints a skip line.
#[cfg(feature = "cuda")]
fn gpu_fused_chain(c: &mut Criterion) {
    use tensorbridge::prelude::Device;
    let gpu = Device::Cuda(0);
    if let Err(e) = gpu.check_available() {
        println!("SKIPPED: GPU fusion bench: {e}");
        return;
    }
    let dev = tensorbridge_cuda::CudaDevice::get(0).expect("the GPU was found available");
    let up = |t: Tensor| t.to_device(gpu).expect("upload");
    let x = up(Tensor::from_vec(f32_data(W10_LEN, 1), [W10_LEN]).expect("input"));
    let (two, one) = (up(Tensor::scalar(2.0f32)), up(Tensor::scalar(1.0f32)));
    let eager = |x: &Tensor, two: &Tensor, one: &Tensor| -> Result<Tensor> {
        x.mul(two)?.add(one)?.relu()?.mul(x)
    };
    let g = Graph::new();
    let px = g.placeholder(DType::F32, &[None]);
    let p2 = g.placeholder(DType::F32, &[]);
    let p1 = g.placeholder(DType::F32, &[]);
    let out = eager(&px, &p2, &p1).expect("graph");
    let sess = Session::new(&g);
    let feeds = [(&px, &x), (&p2, &two), (&p1, &one)];
    let mut group = large_group(c, "GPU-fused-chain", Some(W10_LEN * 4));
    group.bench_function(LIMIT, |bench| {
        bench.iter_with_large_drop(|| {
            let r = eager(black_box(&x), &two, &one).expect("eager");
            dev.synchronize().expect("sync");
            r
        });
    });
    group.bench_function(WORKLOAD, |bench| {
        sess.run_tensors(&[&out], &feeds)
            .expect("first run compiles");
        bench.iter_with_large_drop(|| {
            let r = sess.run_tensors(&[&out], black_box(&feeds)).expect("fused");
            dev.synchronize().expect("sync");
            r
        });
    });
    group.finish();
}

#[cfg(not(feature = "cuda"))]
criterion_group!(
    name = graph;
    config = Criterion::default();
    targets = w8b_session_run, w8c_function_call, w10_fused_chain
);
#[cfg(feature = "cuda")]
criterion_group!(
    name = graph;
    config = Criterion::default();
    targets = w8b_session_run, w8c_function_call, w10_fused_chain, gpu_fused_chain
);
criterion_main!(graph);
