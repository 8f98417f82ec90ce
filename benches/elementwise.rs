//! Elementwise workloads W2a, W2b and W8a of BENCHMARKS.md: a scalar add, a
//! broadcasting add, and the per-call overhead of a tiny eager add.
//!
//! Run with `cargo xtask bench W2` (or `W8a`).

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tensorbridge::prelude::Tensor;

use support::{LIMIT, Lazy, WORKLOAD, f32_data, large_group, small_group, warm_buffer};

/// Elements of W2a's input: 2^24 (64 MiB of f32).
const W2A_LEN: usize = 1 << 24;

/// Side of W2b's square operand: [4096, 4096] + [4096].
const W2B_SIDE: usize = 4096;

/// W2a: `t + 1.0` on 2^24 elements; limit: one read/write pass into a warm
/// output.
fn w2a_add_scalar(c: &mut Criterion) {
    let data = Lazy::new(|| f32_data(W2A_LEN, 0));
    let t = Lazy::new(|| Tensor::from_vec(data.get().clone(), [W2A_LEN]).expect("W2a input"));
    let mut group = large_group(c, "W2a", Some(W2A_LEN * 4));
    let mut out = None;
    group.bench_function(LIMIT, |b| {
        let src = data.get();
        let out = out.get_or_insert_with(|| warm_buffer(W2A_LEN, 0.0f32));
        b.iter_with_large_drop(|| {
            for (o, &x) in out.iter_mut().zip(black_box(src)) {
                *o = x + 1.0;
            }
            black_box(out.as_mut_ptr());
        });
    });
    group.bench_function(WORKLOAD, |b| {
        let t = t.get();
        b.iter_with_large_drop(|| t.add_scalar(1.0f32).expect("t + 1.0"));
    });
    group.finish();
}

/// W2b: `a + b` broadcasting [4096, 4096] + [4096]; limit: the same pass
/// into a warm output.
fn w2b_broadcast_add(c: &mut Criterion) {
    let n = W2B_SIDE * W2B_SIDE;
    let data = Lazy::new(|| (f32_data(n, 0), f32_data(W2B_SIDE, 7)));
    let tensors = Lazy::new(|| {
        let (a, b) = data.get();
        (
            Tensor::from_vec(a.clone(), [W2B_SIDE, W2B_SIDE]).expect("W2b a"),
            Tensor::from_vec(b.clone(), [W2B_SIDE]).expect("W2b b"),
        )
    });
    let mut group = large_group(c, "W2b", Some(n * 4));
    let mut out = None;
    group.bench_function(LIMIT, |bench| {
        let (a, b) = data.get();
        let out = out.get_or_insert_with(|| warm_buffer(n, 0.0f32));
        bench.iter_with_large_drop(|| {
            for (orow, arow) in out
                .chunks_exact_mut(W2B_SIDE)
                .zip(black_box(a).chunks_exact(W2B_SIDE))
            {
                for ((o, &x), &y) in orow.iter_mut().zip(arow).zip(black_box(b)) {
                    *o = x + y;
                }
            }
            black_box(out.as_mut_ptr());
        });
    });
    group.bench_function(WORKLOAD, |bench| {
        let (a, b) = tensors.get();
        bench.iter_with_large_drop(|| a.add(b).expect("a + b"));
    });
    group.finish();
}

/// W8a: eager `add` of two 2-element tensors, then `to_array` (absolute
/// target: under 1 µs per call).
fn w8a_tiny_add(c: &mut Criterion) {
    let a = Tensor::from([1.0f32, 2.0]);
    let b = Tensor::from([3.0f32, 4.0]);
    let mut group = small_group(c, "W8a");
    group.bench_function(WORKLOAD, |bench| {
        bench.iter(|| {
            let sum = black_box(&a).add(black_box(&b)).expect("tiny add");
            sum.to_array::<f32>().expect("tiny to_array")
        });
    });
    group.finish();
}

criterion_group!(
    name = elementwise;
    config = Criterion::default();
    targets = w2a_add_scalar, w2b_broadcast_add, w8a_tiny_add
);
criterion_main!(elementwise);
