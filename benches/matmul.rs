//! Matrix products against ndarray's `dot` (matrixmultiply, one thread):
//! not workloads of BENCHMARKS.md, so `cargo xtask bench` prints no rows for
//! them; read criterion's own output (`cargo bench -p tensorbridge-benches
//! --bench matmul`). Each group benchmarks ndarray as "limit" and
//! `Tensor::matmul` as "workload".
//!
//! - MM1: [512, 512] @ [512, 512] f32.
//! - MM2: [512, 512] @ [512, 512]ᵀ f32 (a transposed view as rhs).
//! - MM3: [256, 32, 32] @ [256, 32, 32] f32 (a batch of small matrices;
//!   ndarray: `general_mat_mul` per matrix into a fresh `zeros` output).
//! - MM4: [16384, 4, 4] @ [16384, 4, 4] f32 (a batch of tiny matrices, the
//!   same ndarray loop).
//! - MM5: [512, 512] @ [512, 512] i32 (exact, wrapping; ndarray's `dot` for
//!   integers is its generic loop).

mod support;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::{Array2, Array3, Axis, linalg::general_mat_mul};
use tensorbridge::prelude::Tensor;

use support::{LIMIT, Lazy, WORKLOAD, small_group};

/// Side of the square matrices of MM1 and MM2.
const N: usize = 512;

/// Deterministic values in [-1, 1).
fn values(len: usize, seed: usize) -> Vec<f32> {
    (0..len)
        .map(|i| ((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.5 - 1.0)
        .collect()
}

fn square(seed: usize) -> Array2<f32> {
    Array2::from_shape_vec((N, N), values(N * N, seed)).expect("square input")
}

/// MM1 and MM2: a 512 × 512 product, the rhs transposed for MM2.
fn mm_square(c: &mut Criterion, id: &str, transposed: bool) {
    let arrays = Lazy::new(|| (square(1), square(2)));
    let tensors = Lazy::new(|| {
        let (a, b) = arrays.get();
        let ta = Tensor::from_array(a.clone()).expect("tensor a");
        let tb = Tensor::from_array(b.clone()).expect("tensor b");
        (ta, tb)
    });
    let mut group = small_group(c, id);
    group.throughput(Throughput::Elements((2 * N * N * N) as u64));
    group.bench_function(LIMIT, |bch| {
        let (a, b) = arrays.get();
        bch.iter_with_large_drop(|| {
            if transposed {
                black_box(a).dot(&black_box(b).t())
            } else {
                black_box(a).dot(black_box(b))
            }
        });
    });
    group.bench_function(WORKLOAD, |bch| {
        let (a, b) = tensors.get();
        let b = if transposed {
            b.t().expect("transposed view")
        } else {
            b.clone()
        };
        bch.iter_with_large_drop(|| black_box(a).matmul(black_box(&b)).expect("matmul"));
    });
    group.finish();
}

/// MM5: a 512 × 512 i32 product.
fn mm5(c: &mut Criterion) {
    let int_square = |seed| square(seed).mapv(|x| (x * 100.0) as i32);
    let arrays = Lazy::new(|| (int_square(5), int_square(6)));
    let tensors = Lazy::new(|| {
        let (a, b) = arrays.get();
        (
            Tensor::from_array(a.clone()).expect("tensor a"),
            Tensor::from_array(b.clone()).expect("tensor b"),
        )
    });
    let mut group = small_group(c, "MM5");
    group.throughput(Throughput::Elements((2 * N * N * N) as u64));
    group.bench_function(LIMIT, |bch| {
        let (a, b) = arrays.get();
        bch.iter_with_large_drop(|| black_box(a).dot(black_box(b)));
    });
    group.bench_function(WORKLOAD, |bch| {
        let (a, b) = tensors.get();
        bch.iter_with_large_drop(|| black_box(a).matmul(black_box(b)).expect("matmul"));
    });
    group.finish();
}

fn mm1(c: &mut Criterion) {
    mm_square(c, "MM1", false);
}

fn mm2(c: &mut Criterion) {
    mm_square(c, "MM2", true);
}

/// A batch of `batch` products of `side` × `side` matrices.
fn mm_batch(c: &mut Criterion, id: &str, batch: usize, side: usize) {
    let shape = (batch, side, side);
    let len = batch * side * side;
    let arrays = Lazy::new(|| {
        (
            Array3::from_shape_vec(shape, values(len, 3)).expect("batch a"),
            Array3::from_shape_vec(shape, values(len, 4)).expect("batch b"),
        )
    });
    let tensors = Lazy::new(|| {
        let (a, b) = arrays.get();
        (
            Tensor::from_array(a.clone()).expect("tensor a"),
            Tensor::from_array(b.clone()).expect("tensor b"),
        )
    });
    let mut group = small_group(c, id);
    group.throughput(Throughput::Elements((2 * len * side) as u64));
    group.bench_function(LIMIT, |bch| {
        let (a, b) = arrays.get();
        bch.iter_with_large_drop(|| {
            let mut out = Array3::<f32>::zeros(shape);
            for ((a, b), mut c) in a
                .axis_iter(Axis(0))
                .zip(b.axis_iter(Axis(0)))
                .zip(out.axis_iter_mut(Axis(0)))
            {
                general_mat_mul(1.0, &a, &b, 0.0, &mut c);
            }
            out
        });
    });
    group.bench_function(WORKLOAD, |bch| {
        let (a, b) = tensors.get();
        bch.iter_with_large_drop(|| black_box(a).matmul(black_box(b)).expect("matmul"));
    });
    group.finish();
}

fn mm3(c: &mut Criterion) {
    mm_batch(c, "MM3", 256, 32);
}

fn mm4(c: &mut Criterion) {
    mm_batch(c, "MM4", 16384, 4);
}

criterion_group!(
    name = matmul;
    config = Criterion::default();
    targets = mm1, mm2, mm3, mm4, mm5
);
criterion_main!(matmul);
