//! [proptest](https://docs.rs/proptest) strategies for property tests of
//! code that uses sparse tensors: valid sparse tensors by rank, dtype and
//! density (entries in canonical or shuffled order), and parts that break
//! exactly one rule of [`SparseTensor::new`].
//!
//! Enabled by the `proptest` feature (the facade's `proptest` feature
//! turns it on).
//!
//! ```
//! use proptest::test_runner::TestRunner;
//! use tensorbridge_core::DType;
//! use tensorbridge_sparse::SparseTensor;
//! use tensorbridge_sparse::strategies::{invalid_sparse_parts, sparse_tensors};
//!
//! let mut runner = TestRunner::default();
//! // Any valid f32 sparse tensor of rank 1..=3 with ~30% of positions set
//! // turns dense, and back, with the same entries.
//! runner
//!     .run(&sparse_tensors(1..=3, DType::F32, 0.3), |st| {
//!         let dense = st.to_dense().unwrap();
//!         assert_eq!(dense.dims(), st.dense_shape().dims());
//!         Ok(())
//!     })
//!     .unwrap();
//! // Parts that break a rule are an error, never a panic.
//! runner
//!     .run(&invalid_sparse_parts(), |bad| {
//!         assert!(SparseTensor::new(bad.indices, bad.values, bad.dense_shape).is_err());
//!         Ok(())
//!     })
//!     .unwrap();
//! ```

use std::ops::RangeInclusive;

use proptest::prelude::*;
use proptest::sample::select;
use tensorbridge_core::strategies::elements;
use tensorbridge_core::{DType, Tensor};

use crate::SparseTensor;
use crate::num::with_any;

/// Largest dim of the dense shapes generated here.
pub const MAX_DIM: usize = 5;

/// Sparse tensors of a rank in `ranks` (at most 4 is sensible: dims go up
/// to [`MAX_DIM`]), values of `dtype` drawn from core's `elements` (NaN,
/// infinities, extremes included), each position stored with probability
/// `density` (0.0 to 1.0), no position twice, in canonical order about
/// half the time and shuffled otherwise.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// use tensorbridge_core::DType;
/// use tensorbridge_sparse::strategies::sparse_tensors;
///
/// let st = sparse_tensors(2..=2, DType::I64, 1.0).new_tree(&mut TestRunner::default()).unwrap().current();
/// assert_eq!(st.rank(), 2);
/// assert_eq!(st.nnz(), st.dense_shape().dims().iter().product::<usize>()); // density 1: every position
/// ```
pub fn sparse_tensors(
    ranks: RangeInclusive<usize>,
    dtype: DType,
    density: f64,
) -> BoxedStrategy<SparseTensor> {
    build(ranks, dtype, density, false)
}

/// As [`sparse_tensors`], with small integer values (`-3..=3`, `0..=4` for
/// unsigned dtypes, any bool) in every dtype, so that sums and products
/// are exact and a test can compare them with a naive reference exactly.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// use tensorbridge_core::DType;
/// use tensorbridge_sparse::strategies::sparse_tensors_exact;
///
/// let st = sparse_tensors_exact(1..=4, DType::F16, 0.5).new_tree(&mut TestRunner::default()).unwrap().current();
/// let v = st.values().cast(DType::F32).unwrap().to_vec::<f32>().unwrap();
/// assert!(v.iter().all(|x| x.fract() == 0.0 && x.abs() <= 4.0));
/// ```
pub fn sparse_tensors_exact(
    ranks: RangeInclusive<usize>,
    dtype: DType,
    density: f64,
) -> BoxedStrategy<SparseTensor> {
    build(ranks, dtype, density, true)
}

/// Sparse tensors of any rank `0..=4`, any dtype and any density.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// use tensorbridge_sparse::strategies::any_sparse_tensors;
///
/// let st = any_sparse_tensors().new_tree(&mut TestRunner::default()).unwrap().current();
/// assert!(st.rank() <= 4);
/// ```
pub fn any_sparse_tensors() -> BoxedStrategy<SparseTensor> {
    (
        select(DType::ALL.to_vec()),
        select(vec![0.0, 0.1, 0.5, 1.0]),
    )
        .prop_flat_map(|(dtype, density)| sparse_tensors(0..=4, dtype, density))
        .boxed()
}

/// Pairs of sparse tensors with one dense shape (rank in `ranks`) and
/// dtype, small integer values as [`sparse_tensors_exact`], drawn
/// independently: for binary ops such as [`SparseTensor::add`].
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// use tensorbridge_core::DType;
/// use tensorbridge_sparse::strategies::sparse_pairs;
///
/// let (a, b) = sparse_pairs(1..=3, DType::I32, 0.5).new_tree(&mut TestRunner::default()).unwrap().current();
/// assert_eq!(a.dense_shape(), b.dense_shape());
/// ```
pub fn sparse_pairs(
    ranks: RangeInclusive<usize>,
    dtype: DType,
    density: f64,
) -> BoxedStrategy<(SparseTensor, SparseTensor)> {
    proptest::collection::vec(0..=MAX_DIM, ranks)
        .prop_flat_map(move |dims| {
            (
                of_shape(dims.clone(), dtype, density, true),
                of_shape(dims, dtype, density, true),
            )
        })
        .boxed()
}

fn build(
    ranks: RangeInclusive<usize>,
    dtype: DType,
    density: f64,
    exact: bool,
) -> BoxedStrategy<SparseTensor> {
    proptest::collection::vec(0..=MAX_DIM, ranks)
        .prop_flat_map(move |dims| of_shape(dims, dtype, density, exact))
        .boxed()
}

/// Sparse tensors of dense shape `dims`.
fn of_shape(
    dims: Vec<usize>,
    dtype: DType,
    density: f64,
    exact: bool,
) -> BoxedStrategy<SparseTensor> {
    let density = density.clamp(0.0, 1.0);
    Just(dims)
        .prop_flat_map(move |dims| {
            let numel: usize = dims.iter().product();
            let mask = proptest::collection::vec(proptest::bool::weighted(density), numel);
            (Just(dims), mask)
        })
        .prop_flat_map(move |(dims, mask)| {
            let rows: Vec<Vec<i64>> = positions(&dims)
                .into_iter()
                .zip(&mask)
                .filter(|&(_, &m)| m)
                .map(|(p, _)| p)
                .collect();
            let n = rows.len();
            let order = prop_oneof![
                Just((0..n).collect::<Vec<usize>>()),
                Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
            ];
            (Just(dims), Just(rows), order, values(dtype, n, exact))
        })
        .prop_map(|(dims, rows, order, values)| {
            let k = dims.len();
            let n = rows.len();
            let flat: Vec<i64> = order.iter().flat_map(|&r| rows[r].clone()).collect();
            let perm: Vec<i64> = order.iter().map(|&r| r as i64).collect();
            let values = values
                .index_select(0, &Tensor::from(perm))
                .expect("a permutation of the values");
            let indices = Tensor::from_vec(flat, [n, k]).expect("n rows of k entries");
            SparseTensor::new(indices, values, dims).expect("valid by construction")
        })
        .boxed()
}

/// Every position of `dims` in row-major order.
fn positions(dims: &[usize]) -> Vec<Vec<i64>> {
    let numel: usize = dims.iter().product();
    let mut out = Vec::with_capacity(numel);
    let mut index = vec![0i64; dims.len()];
    for _ in 0..numel {
        out.push(index.clone());
        for a in (0..dims.len()).rev() {
            index[a] += 1;
            if (index[a] as usize) < dims[a] {
                break;
            }
            index[a] = 0;
        }
    }
    out
}

/// `n` values of `dtype`: arbitrary, or small integers.
fn values(dtype: DType, n: usize, exact: bool) -> BoxedStrategy<Tensor> {
    if exact && dtype != DType::Bool {
        let range = if dtype.is_unsigned() {
            0i8..=4
        } else {
            -3i8..=3
        };
        return proptest::collection::vec(range, n)
            .prop_map(move |v| {
                Tensor::from_vec(v, [n])
                    .and_then(|t| t.cast(dtype))
                    .expect("small integers cast to any numeric dtype")
            })
            .boxed();
    }
    with_any!(dtype, T => proptest::collection::vec(elements::<T>(), n)
        .prop_map(move |v| Tensor::from_vec(v, [n]).expect("n values"))
        .boxed())
}

/// The rule of [`SparseTensor::new`] that an [`InvalidSparseParts`] breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BrokenRule {
    /// `indices` is not int64.
    IndicesDType,
    /// `indices` is not of rank 2.
    IndicesRank,
    /// `values` is not of rank 1.
    ValuesRank,
    /// `indices.dims()[0] != values.len()`.
    LengthMismatch,
    /// `indices.dims()[1] != dense_shape.rank()`.
    RankMismatch,
    /// An index at or beyond its dim.
    OutOfBounds,
    /// A negative index.
    NegativeIndex,
    /// An entry in a dense shape with a zero-sized dim.
    ZeroSizedDim,
    /// A dense dim beyond int64.
    DimBeyondInt64,
}

/// Parts of a sparse tensor that break exactly one rule of
/// [`SparseTensor::new`]: `SparseTensor::new(indices, values,
/// dense_shape)` must be an error.
#[derive(Debug, Clone)]
pub struct InvalidSparseParts {
    /// The indices.
    pub indices: Tensor,
    /// The values.
    pub values: Tensor,
    /// The dense shape.
    pub dense_shape: Vec<usize>,
    /// The rule broken.
    pub rule: BrokenRule,
}

/// Parts that break each rule of [`SparseTensor::new`], starting from a
/// valid sparse tensor of rank `1..=4` with at least one entry.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// use tensorbridge_sparse::SparseTensor;
/// use tensorbridge_sparse::strategies::invalid_sparse_parts;
///
/// let bad = invalid_sparse_parts().new_tree(&mut TestRunner::default()).unwrap().current();
/// assert!(SparseTensor::new(bad.indices, bad.values, bad.dense_shape).is_err());
/// ```
pub fn invalid_sparse_parts() -> BoxedStrategy<InvalidSparseParts> {
    let rules = select(vec![
        BrokenRule::IndicesDType,
        BrokenRule::IndicesRank,
        BrokenRule::ValuesRank,
        BrokenRule::LengthMismatch,
        BrokenRule::RankMismatch,
        BrokenRule::OutOfBounds,
        BrokenRule::NegativeIndex,
        BrokenRule::ZeroSizedDim,
        BrokenRule::DimBeyondInt64,
    ]);
    let base = (select(DType::ALL.to_vec()), 0.2f64..=1.0)
        .prop_flat_map(|(dtype, density)| sparse_tensors(1..=4, dtype, density))
        .prop_filter("at least one entry", |st| st.nnz() > 0);
    (base, rules, any::<prop::sample::Index>(), 1usize..=3)
        .prop_map(|(st, rule, pick, extra)| breaking(&st, rule, pick, extra))
        .boxed()
}

/// `st`'s parts with `rule` broken at entry `pick`.
fn breaking(
    st: &SparseTensor,
    rule: BrokenRule,
    pick: prop::sample::Index,
    extra: usize,
) -> InvalidSparseParts {
    let (n, k) = (st.nnz(), st.rank());
    let mut idx = st.indices().to_vec::<i64>().expect("host indices");
    let mut dims = st.dense_shape().dims().to_vec();
    let mut values = st.values().clone();
    let mut indices_dims = vec![n, k];
    let mut indices_dtype = DType::I64;
    let e = pick.index(n);
    let d = pick.index(k);
    match rule {
        BrokenRule::IndicesDType => indices_dtype = DType::I32,
        BrokenRule::IndicesRank => indices_dims = vec![n * k],
        BrokenRule::ValuesRank => {
            values = values.reshape([n, 1]).expect("[n] as [n, 1]");
        }
        BrokenRule::LengthMismatch => {
            values = Tensor::concat(
                &[
                    &values,
                    &values
                        .slice([tensorbridge_core::SliceArg::from(0..extra.min(n))])
                        .expect("head"),
                ],
                0,
            )
            .expect("longer values");
        }
        BrokenRule::RankMismatch => dims.push(extra),
        BrokenRule::OutOfBounds => idx[e * k + d] = dims[d] as i64 + extra as i64 - 1,
        BrokenRule::NegativeIndex => idx[e * k + d] = -(extra as i64),
        BrokenRule::ZeroSizedDim => dims[d] = 0,
        BrokenRule::DimBeyondInt64 => dims[d] = i64::MAX as usize + extra,
    }
    let indices = Tensor::from_vec(idx, indices_dims)
        .and_then(|t| t.cast(indices_dtype))
        .expect("indices of n * k entries");
    InvalidSparseParts {
        indices,
        values,
        dense_shape: dims,
        rule,
    }
}
