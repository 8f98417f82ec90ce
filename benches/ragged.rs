//! Workload W4b of BENCHMARKS.md: a ragged tensor built from nested
//! `Vec<Vec<i64>>` (`tf.ragged.constant` of Python lists, which takes
//! TensorFlow seconds at this size): 1e6 rows, 10M values in all, row
//! lengths 0..=20.
//!
//! The limit is the copy itself: the rows flattened one after the other
//! into a warm buffer of 10M `i64`. The workload,
//! `RaggedTensor::from_nested(&rows)`, also sums the lengths into row
//! splits, allocates a fresh buffer and faults its pages in.
//!
//! Run with `cargo xtask bench W4b`.

mod support;

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tensorbridge::ragged::RaggedTensor;

use support::{LIMIT, Lazy, WORKLOAD, large_group, warm_buffer};

/// Rows of W4b.
const ROWS: usize = 1_000_000;

/// Values of W4b: ten per row on average.
const VALUES: usize = 10_000_000;

/// W4b's input: row lengths `10 + d` and `10 - d` in pairs (d uniform in
/// 0..=10, from a SplitMix64 stream), so the total is exactly 10M; the
/// values count up from 0.
fn nested_rows() -> Vec<Vec<i64>> {
    let mut state = 5u64;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut rows = Vec::with_capacity(ROWS);
    let mut v = 0i64;
    for _ in 0..ROWS / 2 {
        let d = (next() % 11) as usize;
        for len in [10 + d, 10 - d] {
            rows.push((v..v + len as i64).collect());
            v += len as i64;
        }
    }
    debug_assert_eq!(v as usize, VALUES);
    rows
}

/// W4b: from_nested of 1e6 rows, 10M i64; limit: flatten the rows into a
/// warm buffer.
fn w4b_ragged_from_nested(c: &mut Criterion) {
    let rows = Lazy::new(nested_rows);
    let mut group = large_group(c, "W4b", Some(VALUES * 8));
    let mut dst = None;
    group.bench_function(LIMIT, |b| {
        let rows = rows.get();
        let dst = dst.get_or_insert_with(|| warm_buffer(VALUES, 1i64));
        b.iter_with_large_drop(|| {
            let mut off = 0;
            for row in rows {
                dst[off..off + row.len()].copy_from_slice(row);
                off += row.len();
            }
            black_box(dst.as_mut_ptr());
        });
    });
    group.bench_function(WORKLOAD, |b| {
        let rows = rows.get();
        b.iter_with_large_drop(|| RaggedTensor::from_nested(rows).expect("W4b from_nested"));
    });
    group.finish();
}

criterion_group!(
    name = ragged;
    config = Criterion::default();
    targets = w4b_ragged_from_nested
);
criterion_main!(ragged);
