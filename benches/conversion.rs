//! Conversion workloads W1a–W1c of BENCHMARKS.md: dense CPU tensors into
//! ndarray arrays (a view, an owned copy, several tensors at once).
//!
//! Run with `cargo xtask bench W1`, which prints each workload against its
//! same-run limit; `cargo test -p tensorbridge-benches --benches` runs every
//! routine once as a smoke test.

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tensorbridge::prelude::{Tensor, ToNumpy};

use support::{
    LIMIT, Lazy, MIB, WORKLOAD, f32_data, f32_len, large_group, small_group, warm_buffer,
};

/// Shape of the 256 MiB f32 tensor of W1a and W1b: 8192 × 8192.
const BIG_SHAPE: [usize; 2] = [8192, 8192];

/// Shape of each 32 MiB f32 tensor of W1c: 2048 × 4096.
const PART_SHAPE: [usize; 2] = [2048, 4096];

/// Number of tensors converted together in W1c.
const PARTS: usize = 8;

/// A tensor that owns `data`, with the given shape.
fn tensor(data: Vec<f32>, shape: [usize; 2]) -> Tensor {
    Tensor::from_vec(data, shape).expect("bench input tensor")
}

/// W1a: `view::<f32>()` of a 256 MiB tensor (absolute target, no limit).
fn w1a_view(c: &mut Criterion) {
    let t = Lazy::new(|| tensor(f32_data(f32_len(256 * MIB), 0), BIG_SHAPE));
    let mut group = small_group(c, "W1a");
    group.bench_function(WORKLOAD, |b| {
        let t = t.get();
        b.iter_with_large_drop(|| {
            let v = t.view::<f32>().expect("view of an f32 tensor");
            black_box((v.as_ptr(), v.len()));
            v
        });
    });
    group.finish();
}

/// W1b: `to_array::<f32>()` of a 256 MiB tensor; limit: `copy_from_slice`
/// of the same bytes into a warm buffer.
fn w1b_to_array(c: &mut Criterion) {
    let n = f32_len(256 * MIB);
    let data = Lazy::new(|| f32_data(n, 0));
    let t = Lazy::new(|| tensor(data.get().clone(), BIG_SHAPE));
    let mut group = large_group(c, "W1b", Some(256 * MIB));
    let mut dst = None;
    group.bench_function(LIMIT, |b| {
        let src = data.get();
        let dst = dst.get_or_insert_with(|| warm_buffer(n, 0.0f32));
        b.iter_with_large_drop(|| {
            dst.copy_from_slice(black_box(src));
            black_box(dst.as_mut_ptr());
        });
    });
    group.bench_function(WORKLOAD, |b| {
        let t = t.get();
        b.iter_with_large_drop(|| t.to_array::<f32>().expect("to_array of an f32 tensor"));
    });
    group.finish();
}

/// W1c: `numpy()` of a tuple of 8 tensors of 32 MiB through `ToNumpy`;
/// limit: the same 8 copies into 8 warm buffers.
fn w1c_tuple_numpy(c: &mut Criterion) {
    let n = f32_len(32 * MIB);
    let data = Lazy::new(|| (0..PARTS).map(|k| f32_data(n, k * n)).collect::<Vec<_>>());
    let tuple = Lazy::new(|| {
        let [t0, t1, t2, t3, t4, t5, t6, t7]: [Tensor; PARTS] =
            std::array::from_fn(|k| tensor(data.get()[k].clone(), PART_SHAPE));
        (t0, t1, t2, t3, t4, t5, t6, t7)
    });
    let mut group = large_group(c, "W1c", Some(PARTS * 32 * MIB));
    let mut dsts = None;
    group.bench_function(LIMIT, |b| {
        let srcs = data.get();
        let dsts = dsts.get_or_insert_with(|| {
            (0..PARTS)
                .map(|_| warm_buffer(n, 0.0f32))
                .collect::<Vec<_>>()
        });
        b.iter_with_large_drop(|| {
            for (dst, src) in dsts.iter_mut().zip(srcs) {
                dst.copy_from_slice(black_box(src));
                black_box(dst.as_mut_ptr());
            }
        });
    });
    group.bench_function(WORKLOAD, |b| {
        let tuple = tuple.get();
        b.iter_with_large_drop(|| tuple.numpy().expect("numpy() of a tuple of tensors"));
    });
    group.finish();
}

criterion_group!(
    name = conversion;
    config = Criterion::default();
    targets = w1a_view, w1b_to_array, w1c_tuple_numpy
);
criterion_main!(conversion);
