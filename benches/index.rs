//! Workloads W3 and W4 of BENCHMARKS.md, and the sparse rows W3b/W3c:
//!
//! - W3, sparse `to_dense` of [8192, 8192] with 1% sorted nnz, is
//!   `SparseTensor::to_dense` (built on core's
//!   `Tensor::scatter_nd(.., ScatterMode::Error)`).
//! - W3b, `SparseTensor::to_csr` of the same data, against sprs used
//!   directly: `TriMat::to_csr` of the same triplets (the limit).
//! - W3c, `sparse_dense_matmul` of the same data times a dense
//!   [8192, 64], against sprs's own `&CsMat * &Array2` product (the limit;
//!   sprs 0.11 uses the same ndarray 0.17).
//! - W4, ragged `to_tensor(0)` of 1e6 rows of 0..=64 values, is
//!   `RaggedTensor::to_tensor(0)` ("workload"), which finds the bounding
//!   width and runs `values.pad_segments(row_splits, 64, 0)`: one pass
//!   driven by the row splits. For comparison, `pad_segments` alone
//!   ("pad_segments"), and the same through `gather_with_padding` with the
//!   `[1e6, 64]` int64 index tensor (`-1` for padding) already built
//!   ("gather_with_padding"), and with that index tensor built inside the
//!   timing ("gather_with_index_build"): the index tensor is twice the
//!   output's size, so that route moves about three times the bytes.
//!
//! Run with `cargo xtask bench 'W3|W4'`.

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tensorbridge::prelude::Tensor;
use tensorbridge::ragged::RaggedTensor;
use tensorbridge::sparse::{SparseTensor, sparse_dense_matmul, sprs};

use support::{LIMIT, Lazy, WORKLOAD, large_group, warm_buffer};

/// Dense side of W3.
const DENSE: usize = 8192;

/// Rows of W4.
const ROWS: usize = 1_000_000;

/// Longest row of W4, and the padded width.
const WIDTH: usize = 64;

/// A small deterministic generator (SplitMix64) for bench inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// W3's input: 1% of the positions of [8192, 8192], distinct and sorted
/// (one at a random place in each run of 100), as flat offsets, `[nnz, 2]`
/// indices and values.
struct SparseInput {
    offsets: Vec<usize>,
    indices: Tensor,
    values: Tensor,
}

fn sparse_input() -> SparseInput {
    let mut rng = Rng(3);
    let offsets: Vec<usize> = (0..DENSE * DENSE / 100)
        .map(|i| i * 100 + rng.below(100) as usize)
        .collect();
    let nnz = offsets.len();
    let flat: Vec<i64> = offsets
        .iter()
        .flat_map(|&o| [(o / DENSE) as i64, (o % DENSE) as i64])
        .collect();
    let values: Vec<f32> = (0..nnz).map(|i| i as f32 + 1.0).collect();
    SparseInput {
        indices: Tensor::from_vec(flat, [nnz, 2]).expect("W3 indices"),
        values: Tensor::from_vec(values.clone(), [nnz]).expect("W3 values"),
        offsets,
    }
}

/// W3: sparse to_dense; limit: zero a warm output and write the nnz values
/// through precomputed offsets.
fn w3_sparse_to_dense(c: &mut Criterion) {
    let input = Lazy::new(sparse_input);
    let mut group = large_group(c, "W3", Some(DENSE * DENSE * 4));
    let mut dst = None;
    group.bench_function(LIMIT, |b| {
        let input = input.get();
        let values = input.values.view::<f32>().expect("f32 values");
        let values = values.as_slice().expect("contiguous values");
        let dst = dst.get_or_insert_with(|| warm_buffer(DENSE * DENSE, 1.0f32));
        b.iter_with_large_drop(|| {
            dst.fill(0.0);
            for (&o, &v) in input.offsets.iter().zip(values) {
                dst[o] = v;
            }
            black_box(dst.as_mut_ptr());
        });
    });
    group.bench_function(WORKLOAD, |b| {
        let sparse = SparseTensor::new(
            input.get().indices.clone(),
            input.get().values.clone(),
            [DENSE, DENSE],
        )
        .expect("W3 sparse tensor");
        b.iter_with_large_drop(|| sparse.to_dense().expect("W3 to_dense"));
    });
    group.finish();
}

/// Columns of W3c's dense operand.
const W3C_COLS: usize = 64;

/// W3's data as a sprs triplet matrix (row, col, value in sorted order).
fn triplets(input: &SparseInput) -> sprs::TriMat<f32> {
    let values = input.values.to_vec::<f32>().expect("f32 values");
    let rows = input.offsets.iter().map(|&o| o / DENSE).collect();
    let cols = input.offsets.iter().map(|&o| o % DENSE).collect();
    sprs::TriMat::from_triplets((DENSE, DENSE), rows, cols, values)
}

/// W3b: to_csr of W3's data; limit: sprs's own triplet-to-CSR conversion of
/// the same triplets.
fn w3b_sparse_to_csr(c: &mut Criterion) {
    let input = Lazy::new(sparse_input);
    let mut group = large_group(c, "W3b", None);
    group.bench_function(LIMIT, |b| {
        let tri = triplets(input.get());
        b.iter_with_large_drop(|| tri.to_csr::<usize>());
    });
    group.bench_function(WORKLOAD, |b| {
        let input = input.get();
        let sparse = SparseTensor::new(input.indices.clone(), input.values.clone(), [DENSE, DENSE])
            .expect("W3b sparse tensor");
        b.iter_with_large_drop(|| sparse.to_csr::<f32>().expect("W3b to_csr"));
    });
    group.finish();
}

/// W3c: sparse_dense_matmul of W3's data times a dense [8192, 64]; limit:
/// sprs's `&CsMat * &Array2` on the same matrices.
fn w3c_sparse_dense_matmul(c: &mut Criterion) {
    let input = Lazy::new(sparse_input);
    let dense = Lazy::new(|| {
        let data: Vec<f32> = (0..DENSE * W3C_COLS)
            .map(|i| (i % 17) as f32 - 8.0)
            .collect();
        Tensor::from_vec(data, [DENSE, W3C_COLS]).expect("W3c dense operand")
    });
    let mut group = large_group(c, "W3c", None);
    group.bench_function(LIMIT, |b| {
        let csr: sprs::CsMat<f32> = triplets(input.get()).to_csr();
        let rhs = dense
            .get()
            .to_array::<f32>()
            .expect("f32 array")
            .into_dimensionality::<ndarray::Ix2>()
            .expect("a matrix");
        b.iter_with_large_drop(|| &csr * &rhs);
    });
    group.bench_function(WORKLOAD, |b| {
        let input = input.get();
        let sparse = SparseTensor::new(input.indices.clone(), input.values.clone(), [DENSE, DENSE])
            .expect("W3c sparse tensor");
        let rhs = dense.get();
        b.iter_with_large_drop(|| {
            sparse_dense_matmul(&sparse, rhs, false, false).expect("W3c sparse_dense_matmul")
        });
    });
    group.finish();
}

/// W4's input: flat values and row splits of 1e6 rows of 0..=64 values.
struct RaggedInput {
    ragged: RaggedTensor,
    values: Tensor,
    splits: Vec<usize>,
    row_splits: Tensor,
    indices: Tensor,
}

/// The `[rows, 64]` gather indices of a ragged tensor: `start + j` for the
/// row's values, then `-1`.
fn padded_indices(splits: &[usize]) -> Tensor {
    let rows = splits.len() - 1;
    let mut idx = Vec::with_capacity(rows * WIDTH);
    for w in splits.windows(2) {
        idx.extend(w[0] as i64..w[1] as i64);
        idx.extend(std::iter::repeat_n(-1i64, WIDTH - (w[1] - w[0])));
    }
    Tensor::from_vec(idx, [rows, WIDTH]).expect("W4 indices")
}

fn ragged_input() -> RaggedInput {
    let mut rng = Rng(4);
    let mut splits = Vec::with_capacity(ROWS + 1);
    splits.push(0usize);
    for _ in 0..ROWS {
        let len = rng.below(WIDTH as u64 + 1) as usize;
        splits.push(splits.last().expect("starts with 0") + len);
    }
    let n = *splits.last().expect("non-empty");
    let values: Vec<f32> = (0..n).map(|i| i as f32 + 1.0).collect();
    let values = Tensor::from_vec(values, [n]).expect("W4 values");
    let row_splits = Tensor::from(splits.iter().map(|&s| s as i64).collect::<Vec<_>>());
    RaggedInput {
        ragged: RaggedTensor::from_row_splits(values.clone(), row_splits.clone())
            .expect("W4 ragged tensor"),
        values,
        indices: padded_indices(&splits),
        row_splits,
        splits,
    }
}

/// W4: ragged to_tensor(0) (and, for comparison, the pad_segments and
/// gather_with_padding primitives alone); limit: one write pass over a warm output (each
/// row's values, then zeros).
fn w4_ragged_to_tensor(c: &mut Criterion) {
    let input = Lazy::new(ragged_input);
    let zero = Tensor::scalar(0.0f32);
    let mut group = large_group(c, "W4", Some(ROWS * WIDTH * 4));
    let mut dst = None;
    group.bench_function(LIMIT, |b| {
        let input = input.get();
        let values = input.values.view::<f32>().expect("f32 values");
        let values = values.as_slice().expect("contiguous values");
        let dst = dst.get_or_insert_with(|| warm_buffer(ROWS * WIDTH, 1.0f32));
        b.iter_with_large_drop(|| {
            for (row, w) in dst.chunks_exact_mut(WIDTH).zip(input.splits.windows(2)) {
                let len = w[1] - w[0];
                row[..len].copy_from_slice(&values[w[0]..w[1]]);
                row[len..].fill(0.0);
            }
            black_box(dst.as_mut_ptr());
        });
    });
    group.bench_function(WORKLOAD, |b| {
        let input = input.get();
        b.iter_with_large_drop(|| input.ragged.to_tensor(&zero).expect("W4 to_tensor"));
    });
    group.bench_function("pad_segments", |b| {
        let input = input.get();
        b.iter_with_large_drop(|| {
            input
                .values
                .pad_segments(&input.row_splits, WIDTH, &zero)
                .expect("W4 pad_segments")
        });
    });
    group.bench_function("gather_with_padding", |b| {
        let input = input.get();
        b.iter_with_large_drop(|| {
            input
                .values
                .gather_with_padding(&input.indices, &zero)
                .expect("W4 gather_with_padding")
        });
    });
    group.bench_function("gather_with_index_build", |b| {
        let input = input.get();
        b.iter_with_large_drop(|| {
            let indices = padded_indices(&input.splits);
            input
                .values
                .gather_with_padding(&indices, &zero)
                .expect("W4 gather_with_padding")
        });
    });
    group.finish();
}

criterion_group!(
    name = index;
    config = Criterion::default();
    targets = w3_sparse_to_dense, w3b_sparse_to_csr, w3c_sparse_dense_matmul, w4_ragged_to_tensor
);
criterion_main!(index);
