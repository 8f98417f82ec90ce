//! Reduction workload W2c of BENCHMARKS.md: `sum` over axis 1 of a
//! contiguous [4096, 4096] f32 tensor.
//!
//! Run with `cargo xtask bench W2c`, which prints the workload against its
//! same-run limit; `cargo test -p tensorbridge-benches --benches` runs every
//! routine once as a smoke test.

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tensorbridge::prelude::Tensor;

use support::{LIMIT, Lazy, MIB, WORKLOAD, f32_len, large_group};

/// Shape of the 64 MiB f32 input of W2c.
const SHAPE: [usize; 2] = [4096, 4096];

/// Independent accumulators of the limit's loop (as many as the workload's
/// kernel uses, so both can fill the vector registers).
const LANES: usize = 16;

/// The limit: one read pass over `data`, summing it with a simple
/// multi-accumulator loop on one thread.
fn read_pass(data: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let mut chunks = data.chunks_exact(LANES);
    for c in &mut chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    acc.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>()
}

/// W2c: `sum(&[1], false)` of a [4096, 4096] f32 tensor (64 MiB); limit:
/// one read pass over the same 64 MiB.
fn w2c_sum_axis1(c: &mut Criterion) {
    let n = f32_len(64 * MIB);
    // Values with a fractional part, so that the sums round.
    let data = Lazy::new(|| {
        (0..n)
            .map(|i| (i % 1000) as f32 * 0.001)
            .collect::<Vec<f32>>()
    });
    let t = Lazy::new(|| Tensor::from_vec(data.get().clone(), SHAPE).expect("bench input tensor"));
    let mut group = large_group(c, "W2c", Some(64 * MIB));
    group.bench_function(LIMIT, |b| {
        let data = data.get();
        b.iter(|| read_pass(black_box(data)));
    });
    group.bench_function(WORKLOAD, |b| {
        let t = t.get();
        b.iter_with_large_drop(|| t.sum(&[1], false).expect("sum over axis 1"));
    });
    group.finish();
}

criterion_group!(
    name = reduce;
    config = Criterion::default();
    targets = w2c_sum_axis1
);
criterion_main!(reduce);
