//! Inputs in every layout for the index and shape op suites, and the naive
//! index arithmetic their references use.
//!
//! Every input is made from `i64` values: a base tensor of `i64` is cast to
//! the dtype under test and then viewed (transposed, reversed, strided,
//! broadcast). Data-moving ops commute with the cast, and the sums of the
//! suites stay small integers that every dtype holds exactly once rounded,
//! so a reference computed on the `i64` values and cast at the end is the
//! exact expected output for every dtype.

#![allow(
    dead_code,
    reason = "each suite that includes this module uses part of it"
)]

use proptest::prelude::*;
use proptest::sample::select;
use tensorbridge::prelude::*;

/// How an input tensor is laid out over its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// C order, offset 0.
    Contiguous,
    /// A transpose (all axes reversed) of a C-order base.
    Transposed,
    /// Every axis walked backwards (negative strides).
    Reversed,
    /// Every other element of a longer last axis, from offset 1.
    Strided,
    /// A C-order block broadcast along axis 0 (stride 0).
    Broadcast,
}

/// Every layout kind, uniformly.
pub(crate) fn kinds() -> impl Strategy<Value = Kind> {
    select(vec![
        Kind::Contiguous,
        Kind::Transposed,
        Kind::Reversed,
        Kind::Strided,
        Kind::Broadcast,
    ])
}

/// The dtypes the suites run the data-moving ops on.
pub(crate) fn dtypes() -> impl Strategy<Value = DType> {
    select(vec![
        DType::Bool,
        DType::U8,
        DType::I16,
        DType::U32,
        DType::I32,
        DType::I64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
        DType::C64,
        DType::C128,
    ])
}

/// The dtypes sums are defined for.
pub(crate) fn sum_dtypes() -> impl Strategy<Value = DType> {
    select(vec![
        DType::U8,
        DType::I8,
        DType::U64,
        DType::I32,
        DType::I64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
        DType::C64,
    ])
}

/// Dims of rank `min_rank..=max_rank`, each `0..=max_dim`, 0 and 1 often.
pub(crate) fn dims(
    min_rank: usize,
    max_rank: usize,
    max_dim: usize,
) -> impl Strategy<Value = Vec<usize>> {
    let dim = prop_oneof![1 => Just(0usize), 2 => Just(1usize), 5 => 0..=max_dim];
    proptest::collection::vec(dim, min_rank..=max_rank)
}

/// Small values, `-50..50`.
pub(crate) fn values(n: usize) -> impl Strategy<Value = Vec<i64>> {
    proptest::collection::vec(-50i64..50, n)
}

/// The C-order position of `index` in `dims`.
pub(crate) fn ravel(index: &[usize], dims: &[usize]) -> usize {
    index.iter().zip(dims).fold(0, |acc, (&i, &d)| acc * d + i)
}

/// The multi-index of C-order position `flat` in `dims`.
pub(crate) fn unravel(mut flat: usize, dims: &[usize]) -> Vec<usize> {
    let mut index = vec![0; dims.len()];
    for (i, &d) in index.iter_mut().zip(dims).rev() {
        *i = flat % d.max(1);
        flat /= d.max(1);
    }
    index
}

/// Every multi-index of `dims`, in C order.
pub(crate) fn indices_of(dims: &[usize]) -> impl Iterator<Item = Vec<usize>> + '_ {
    (0..dims.iter().product::<usize>()).map(|f| unravel(f, dims))
}

/// A tensor of `dtype` and `dims` laid out as `kind`, and the `i64` values
/// it holds in C order (before the cast). `data` holds `dims`' elements;
/// a broadcast input repeats its first block instead of using all of them.
pub(crate) fn input(data: &[i64], dims: &[usize], kind: Kind, dtype: DType) -> (Tensor, Vec<i64>) {
    let rank = dims.len();
    let n: usize = dims.iter().product();
    assert_eq!(data.len(), n);
    let base = |values: Vec<i64>, base_dims: &[usize]| {
        Tensor::from_vec(values, base_dims)
            .unwrap()
            .cast(dtype)
            .unwrap()
    };
    if rank == 0 {
        return (base(data.to_vec(), dims), data.to_vec());
    }
    let (t, logical) = match kind {
        Kind::Contiguous => (base(data.to_vec(), dims), data.to_vec()),
        Kind::Transposed => {
            let rev: Vec<usize> = dims.iter().rev().copied().collect();
            let values = indices_of(&rev)
                .map(|j| {
                    let i: Vec<usize> = j.iter().rev().copied().collect();
                    data[ravel(&i, dims)]
                })
                .collect();
            let perm: Vec<usize> = (0..rank).rev().collect();
            (base(values, &rev).transpose(&perm).unwrap(), data.to_vec())
        }
        Kind::Reversed => {
            let values = indices_of(dims)
                .map(|i| {
                    let r: Vec<usize> = i.iter().zip(dims).map(|(&i, &d)| d - 1 - i).collect();
                    data[ravel(&r, dims)]
                })
                .collect();
            let args = vec![SliceArg::range(None, None, -1); rank];
            (base(values, dims).slice(args).unwrap(), data.to_vec())
        }
        Kind::Strided => {
            let mut wide = dims.to_vec();
            wide[rank - 1] = 2 * dims[rank - 1] + 1;
            let values = indices_of(&wide)
                .map(|mut i| {
                    let last = i[rank - 1];
                    if last % 2 == 1 {
                        i[rank - 1] = last / 2;
                        data[ravel(&i, dims)]
                    } else {
                        999
                    }
                })
                .collect();
            let mut args = vec![SliceArg::FULL; rank];
            args[rank - 1] = SliceArg::range(Some(1), None, 2);
            (base(values, &wide).slice(args).unwrap(), data.to_vec())
        }
        Kind::Broadcast => {
            let block: usize = dims[1..].iter().product();
            let row = data[..block.min(n)].to_vec();
            let row = if row.len() < block {
                // dims[0] == 0: any block of the right size will do.
                vec![7; block]
            } else {
                row
            };
            let t = base(row.clone(), &dims[1..])
                .expand_dims(0)
                .unwrap()
                .broadcast_to(dims)
                .unwrap();
            let logical = (0..dims[0]).flat_map(|_| row.iter().copied()).collect();
            (t, logical)
        }
    };
    assert_eq!(t.dims(), dims);
    (t, logical)
}

/// The tensor of `dtype` holding the `i64` values `data` with `dims`.
pub(crate) fn expected(data: Vec<i64>, dims: &[usize], dtype: DType) -> Tensor {
    Tensor::from_vec(data, dims).unwrap().cast(dtype).unwrap()
}

/// Whether two tensors have the same dims, dtype and elements.
pub(crate) fn same(a: &Tensor, b: &Tensor) -> bool {
    a.dims() == b.dims() && a.dtype() == b.dtype() && a.numpy().unwrap() == b.numpy().unwrap()
}

/// A scalar of `dtype` holding `v`, made on the current scope's device.
pub(crate) fn scalar(v: i64, dtype: DType) -> Tensor {
    // On the device of the current scope, like the other inputs.
    Tensor::new(v).unwrap().cast(dtype).unwrap()
}

/// Indices as a tensor of int32 or int64.
pub(crate) fn index_tensor(values: &[i64], dims: &[usize], as_i32: bool) -> Tensor {
    let t = Tensor::from_vec(values.to_vec(), dims).unwrap();
    if as_i32 {
        t.cast(DType::I32).unwrap()
    } else {
        t
    }
}
