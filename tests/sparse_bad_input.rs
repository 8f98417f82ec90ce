//! Bad input to sparse tensors: every validation rule of `SparseTensor::new`
//! and of each operation, by hand (the message names the argument and the
//! values) and as properties over generated invalid input (always an
//! `Err`, never a panic, never an allocation of the dense size).

use proptest::prelude::*;
use proptest::sample::select;
use tensorbridge::prelude::*;
use tensorbridge::sparse::strategies::{BrokenRule, invalid_sparse_parts, sparse_tensors};
use tensorbridge::sparse::{SparseTensor, sparse_dense_matmul};
use tensorbridge_tests::{for_each_device, here, on_each_device, sparse_on};

fn st(rows: &[&[i64]], values: Tensor, shape: &[usize]) -> SparseTensor {
    let k = shape.len();
    let flat: Vec<i64> = rows.concat();
    SparseTensor::new(
        Tensor::from_vec(flat, [rows.len(), k]).unwrap(),
        values,
        shape,
    )
    .unwrap()
}

fn err<T: std::fmt::Debug>(r: Result<T>) -> String {
    r.expect_err("bad input must be an error").to_string()
}

#[test]
fn new_names_each_rule() {
    for_each_device(|_device| {
        let i = |v: Vec<i64>, d: [usize; 2]| Tensor::from_vec(v, d).unwrap();
        let cases: Vec<(Result<SparseTensor>, &str)> = vec![
            (
                SparseTensor::new(here([[0u8, 1]]), here([1]), [2, 2]),
                "indices must be int64, found uint8",
            ),
            (
                SparseTensor::new(here([[[0i64]]]), here([1]), [2]),
                "indices must have rank 2",
            ),
            (
                SparseTensor::new(i(vec![0, 1], [1, 2]), here(1), [2, 2]),
                "values must have rank 1 ([nnz]), got shape []",
            ),
            (
                SparseTensor::new(i(vec![0, 1], [1, 2]), here([1, 2]), [2, 2]),
                "indices has 1 rows (shape [1, 2]) but values has 2 elements",
            ),
            (
                SparseTensor::new(i(vec![0, 1], [1, 2]), here([1]), [2]),
                "indices rows have 2 entries (shape [1, 2]) but dense_shape [2] has rank 1",
            ),
            (
                SparseTensor::new(i(vec![0, 1, 2, 5], [2, 2]), here([1, 2]), [3, 5]),
                "indices[1] = [2, 5] is out of bounds for dense_shape [3, 5]",
            ),
            (
                SparseTensor::new(i(vec![-3, 1], [1, 2]), here([1]), [3, 5]),
                "indices[0] = [-3, 1] is out of bounds for dense_shape [3, 5]",
            ),
            (
                SparseTensor::new(i(vec![0, 0], [1, 2]), here([1]), [3, 0]),
                "indices[0] = [0, 0] is out of bounds for dense_shape [3, 0]",
            ),
            (
                SparseTensor::new(
                    i(vec![], [0, 2]),
                    Tensor::zeros([0], DType::F32).unwrap(),
                    [1usize << 63, 1],
                ),
                "dense_shape[0] = 9223372036854775808 exceeds the largest int64",
            ),
        ];
        for (r, expected) in cases {
            let e = err(r);
            assert!(e.starts_with("SparseTensor::new: "), "{e}");
            assert!(e.contains(expected), "{e:?} should contain {expected:?}");
        }
    });
}

#[test]
fn to_dense_rules() {
    for_each_device(|_device| {
        // Overflow of the dense size: an error before anything is allocated.
        let huge = st(&[&[1, 2]], here([1.0f32]), &[1 << 40, 1 << 40]);
        let e = huge.to_dense().unwrap_err();
        assert!(
            matches!(
                e,
                Error::ShapeOverflow {
                    op: "SparseTensor::to_dense",
                    ..
                }
            ),
            "{e}"
        );
        // Fits in addresses, not in this machine.
        let big = st(&[&[1, 2]], here([1.0f32]), &[1 << 21, 1 << 21]);
        assert!(matches!(
            big.to_dense().unwrap_err(),
            Error::OutOfMemory { .. }
        ));
        let small = st(&[&[1, 2]], here([1.0f32]), &[2, 3]);
        assert!(
            err(small.to_dense_with_default(&here([0.0f32])))
                .contains("default_value must be a scalar (rank 0), got a tensor of shape [1]")
        );
        assert!(matches!(
            small.to_dense_with_default(&here(0i32)),
            Err(Error::DTypeMismatch { .. })
        ));
    });
}

#[test]
fn sprs_rules() {
    for_each_device(|_device| {
        let r3 = st(&[&[0, 0, 0]], here([1.0f32]), &[1, 1, 1]);
        assert!(
            err(r3.to_csr::<f32>())
                .contains("needs a rank-2 sparse tensor, got dense_shape [1, 1, 1] (rank 3)")
        );
        assert!(err(r3.to_csc::<f32>()).contains("rank 3"));
        assert!(err(r3.to_triplets::<f32>()).contains("rank 3"));
        let m = st(&[&[0, 0]], here([1.0f32]), &[1, 1]);
        assert!(matches!(
            m.to_csr::<f64>(),
            Err(Error::DTypeMismatch { .. })
        ));
        assert!(matches!(
            m.to_triplets::<i32>(),
            Err(Error::DTypeMismatch { .. })
        ));
        // A row pointer array larger than any memory is an error, not an abort.
        let tall = st(&[&[0, 0]], here([1.0f32]), &[1 << 62, 1]);
        assert!(tall.to_csr::<f32>().is_err());
        assert!(tall.to_csc::<f32>().is_ok()); // one column: tiny
    });
}

#[test]
fn matmul_rules() {
    for_each_device(|_device| {
        let a = st(&[&[0, 1]], here([1.0f32]), &[2, 3]);
        let b = Tensor::zeros([3, 4], DType::F32).unwrap();
        let r3 = st(&[&[0, 0, 0]], here([1.0f32]), &[1, 1, 1]);
        assert!(
            err(sparse_dense_matmul(&r3, &b, false, false))
                .contains("a must be a rank-2 sparse tensor")
        );
        assert!(
            err(sparse_dense_matmul(
                &a,
                &Tensor::zeros([3], DType::F32).unwrap(),
                false,
                false
            ))
            .contains("b must be a matrix (rank 2), got shape [3]")
        );
        assert!(matches!(
            sparse_dense_matmul(&a, &b.cast(DType::F64).unwrap(), false, false),
            Err(Error::DTypeMismatch { .. })
        ));
        let e = err(sparse_dense_matmul(&a, &b, true, false));
        assert!(
            e.contains("inner dims differ: op(a) is [3, 2]") && e.contains("op(b) is [3, 4]"),
            "{e}"
        );
        let e = err(sparse_dense_matmul(&a, &b, false, true));
        assert!(e.contains("op(b) is [4, 3]"), "{e}");
        assert!(sparse_dense_matmul(&a, &b.t().unwrap(), false, true).is_ok());
        let bools = st(&[&[0, 1]], here([true]), &[2, 3]);
        assert!(
            err(bools.matmul(&Tensor::zeros([3, 1], DType::Bool).unwrap(), false, false))
                .contains("bool")
        );
        // An output beyond addresses or memory.
        let tall = st(&[&[0, 0]], here([1.0f32]), &[1 << 62, 2]);
        assert!(matches!(
            tall.matmul(&Tensor::zeros([2, 8], DType::F32).unwrap(), false, false),
            Err(Error::ShapeOverflow { .. })
        ));
        let tall = st(&[&[0, 0]], here([1.0f32]), &[1 << 42, 2]);
        assert!(
            tall.matmul(&Tensor::zeros([2, 1], DType::F32).unwrap(), false, false)
                .is_err()
        );
    });
}

#[test]
fn two_sparse_tensors_must_agree() {
    for_each_device(|_device| {
        let a = st(&[&[0, 1]], here([1]), &[2, 3]);
        let b = st(&[&[0, 1]], here([1]), &[3, 2]);
        assert!(err(a.add(&b)).contains("the dense shapes differ: [2, 3] and [3, 2]"));
        let c = st(&[&[0, 1]], here([1i64]), &[2, 3]);
        assert!(matches!(a.add(&c), Err(Error::DTypeMismatch { .. })));
        let bools = st(&[&[0, 1]], here([true]), &[2, 3]);
        assert!(err(bools.add(&bools)).contains("bool"));
        assert!(
            err(a.add_dense(&Tensor::zeros([3, 2], DType::I32).unwrap()))
                .contains("dense has shape [3, 2] but the sparse tensor's dense_shape is [2, 3]")
        );
        assert!(matches!(
            a.add_dense(&Tensor::zeros([2, 3], DType::F32).unwrap()),
            Err(Error::DTypeMismatch { .. })
        ));
    });
}

#[test]
fn shape_op_rules() {
    for_each_device(|_device| {
        let a = st(&[&[0, 1]], here([1]), &[2, 3]);
        assert!(
            err(a.reduce_sum(&[2], false))
                .contains("axis 2 is out of range for a sparse tensor of rank 2")
        );
        assert!(err(a.reduce_sum(&[-3], false)).contains("axis -3 is out of range"));
        assert!(err(a.reduce_sum(&[1, -1], false)).contains("name axis 1 twice"));
        let huge = st(&[&[0, 1]], here([1]), &[1 << 40, 1 << 40]);
        assert!(huge.reduce_sum(&[], true).is_ok());
        assert!(matches!(
            huge.reduce_sum(&[0], false),
            Err(Error::OutOfMemory { .. })
        ));
        assert!(err(a.transpose(&[0])).contains("perm [0] is not a permutation of the 2 dims"));
        assert!(err(a.transpose(&[1, 1])).contains("perm [1, 1]"));
        assert!(err(a.transpose(&[0, 2])).contains("perm [0, 2]"));
        assert!(err(a.slice(&[0], &[1, 1])).contains("must have one entry per dim"));
        assert!(
            err(a.slice(&[3, 0], &[1, 1]))
                .contains("start[0] = 3 lies beyond dim 0 of dense_shape [2, 3] (size 2)")
        );
        assert!(err(a.retain(&here([true, false]))).contains("mask must be bool of shape [1]"));
        assert!(err(a.retain(&here([1u8]))).contains("got uint8 of shape [1]"));
        assert!(
            err(a.reshape(&[4, 2]))
                .contains("cannot reshape dense_shape [2, 3] (6 elements) into [4, 2]")
        );
        assert!(err(a.reshape(&[-1, -1])).contains("at most one dim can be inferred"));
        assert!(err(a.reshape(&[-2, 3])).contains("new_shape[0] = -2"));
        assert!(err(a.reshape(&[4, -1])).contains("cannot reshape"));
        let empty = SparseTensor::new(
            Tensor::zeros([0, 2], DType::I64).unwrap(),
            Tensor::zeros([0], DType::I32).unwrap(),
            [0, 3],
        )
        .unwrap();
        assert!(
            err(empty.reshape(&[0, -1])).contains("has a zero dim, so its -1 cannot be inferred")
        );
        let wide = st(
            &[&[0, 0, 0, 0, 0]],
            here([1]),
            &[1 << 40, 1 << 40, 1 << 40, 1 << 40, 2],
        );
        assert!(err(wide.reshape(&[-1])).contains("overflows u128"));
        let scalar =
            SparseTensor::new(Tensor::zeros([1, 0], DType::I64).unwrap(), here([1]), []).unwrap();
        assert!(err(scalar.fill_empty_rows(&here(0))).contains("rank-0 sparse tensor has no rows"));
        assert!(err(a.fill_empty_rows(&here([0]))).contains("default_value must be a scalar"));
        assert!(matches!(
            a.fill_empty_rows(&here(0u8)),
            Err(Error::DTypeMismatch { .. })
        ));
        let thin = st(&[&[0, 0]], here([1]), &[3, 1]);
        assert!(thin.fill_empty_rows(&here(0)).is_ok());
        let zero_cols = SparseTensor::new(
            Tensor::zeros([0, 2], DType::I64).unwrap(),
            Tensor::zeros([0], DType::I32).unwrap(),
            [2, 0],
        )
        .unwrap();
        assert!(err(zero_cols.fill_empty_rows(&here(0))).contains("has size 0 in dim 1"));
        let tall = st(&[&[0, 0]], here([1]), &[1 << 62, 1]);
        assert!(tall.fill_empty_rows(&here(0)).is_err());
        assert!(err(a.map_values(|v| v.reshape([1, 1]))).contains("one per entry"));
    });
}

/// One call of a sparse operation with an argument that breaks its rules.
#[derive(Debug, Clone)]
enum BadCall {
    ToDenseOverflow,
    ToDenseRepeat,
    DefaultNotScalar,
    DefaultDType,
    AddShapes(usize),
    AddDense(usize),
    MatmulInner(bool, bool),
    MatmulRank,
    ReduceAxis(isize),
    Transpose(Vec<usize>),
    SliceStart(usize),
    SliceLengths,
    Retain(usize),
    Reshape(i64),
    ToCsrRank,
}

fn bad_calls() -> impl Strategy<Value = BadCall> {
    prop_oneof![
        Just(BadCall::ToDenseOverflow),
        Just(BadCall::ToDenseRepeat),
        Just(BadCall::DefaultNotScalar),
        Just(BadCall::DefaultDType),
        (1usize..3).prop_map(BadCall::AddShapes),
        (1usize..3).prop_map(BadCall::AddDense),
        (any::<bool>(), any::<bool>()).prop_map(|(a, b)| BadCall::MatmulInner(a, b)),
        Just(BadCall::MatmulRank),
        prop_oneof![(5isize..9), (-9isize..-5)].prop_map(BadCall::ReduceAxis),
        proptest::collection::vec(0usize..6, 0..6).prop_map(BadCall::Transpose),
        (1usize..4).prop_map(BadCall::SliceStart),
        Just(BadCall::SliceLengths),
        (1usize..4).prop_map(BadCall::Retain),
        (1i64..4).prop_map(BadCall::Reshape),
        Just(BadCall::ToCsrRank),
    ]
}

/// Runs `call` on `st` (a valid sparse tensor of rank 1..=4 whose dims are
/// all at least 1), made invalid the way `call` says; `None` when the call
/// happens to be valid for this `st` (a permutation that is one).
fn run(st: &SparseTensor, call: &BadCall) -> Option<Result<()>> {
    let dims = st.dense_shape().dims().to_vec();
    let r = dims.len();
    let dtype = st.dtype();
    let ok = |x: Result<SparseTensor>| x.map(|_| ());
    Some(match call {
        BadCall::ToDenseOverflow => {
            let mut huge = dims.clone();
            huge[0] = 1 << 62;
            huge.push(1 << 40);
            let mut idx = st.indices().to_vec::<i64>().unwrap();
            idx = idx
                .chunks(r)
                .flat_map(|row| row.iter().copied().chain([0]))
                .collect();
            let big = SparseTensor::new(
                Tensor::from_vec(idx, [st.nnz(), r + 1]).unwrap(),
                st.values().clone(),
                huge,
            )
            .unwrap();
            big.to_dense().map(|_| ())
        }
        BadCall::ToDenseRepeat => {
            if st.nnz() == 0 {
                return None;
            }
            let twice = Tensor::concat(&[st.indices(), st.indices()], 0).unwrap();
            let values = Tensor::concat(&[st.values(), st.values()], 0).unwrap();
            SparseTensor::new(twice, values, dims)
                .unwrap()
                .to_dense()
                .map(|_| ())
        }
        BadCall::DefaultNotScalar => st
            .to_dense_with_default(&Tensor::zeros([1], dtype).unwrap())
            .map(|_| ()),
        BadCall::DefaultDType => {
            let other = if dtype == DType::I8 {
                DType::U8
            } else {
                DType::I8
            };
            st.to_dense_with_default(&Tensor::zeros([], other).unwrap())
                .map(|_| ())
        }
        BadCall::AddShapes(extra) => {
            let mut other_dims = dims.clone();
            other_dims[0] += extra;
            let other =
                SparseTensor::new(st.indices().clone(), st.values().clone(), other_dims).unwrap();
            ok(st.add(&other))
        }
        BadCall::AddDense(extra) => {
            let mut other_dims = dims.clone();
            other_dims[r - 1] += extra;
            st.add_dense(&Tensor::zeros(other_dims, dtype).unwrap())
                .map(|_| ())
        }
        BadCall::MatmulInner(adj_a, adj_b) => {
            if r != 2 {
                return Some(
                    sparse_dense_matmul(st, &Tensor::zeros([1, 1], dtype).unwrap(), *adj_a, *adj_b)
                        .map(|_| ()),
                );
            }
            let k = if *adj_a { dims[0] } else { dims[1] };
            let b_dims = if *adj_b { [2, k + 1] } else { [k + 1, 2] };
            sparse_dense_matmul(st, &Tensor::zeros(b_dims, dtype).unwrap(), *adj_a, *adj_b)
                .map(|_| ())
        }
        BadCall::MatmulRank => st
            .matmul(
                &Tensor::zeros(dims.clone(), dtype)
                    .unwrap()
                    .reshape([dims.iter().product::<usize>()])
                    .unwrap(),
                false,
                false,
            )
            .map(|_| ()),
        BadCall::ReduceAxis(a) => st.reduce_sum(&[*a], false).map(|_| ()),
        BadCall::Transpose(perm) => {
            let mut sorted = perm.clone();
            sorted.sort();
            if sorted == (0..r).collect::<Vec<_>>() {
                return None;
            }
            ok(st.transpose(perm))
        }
        BadCall::SliceStart(extra) => {
            let mut start = vec![0; r];
            start[r - 1] = dims[r - 1] + extra;
            ok(st.slice(&start, &vec![1; r]))
        }
        BadCall::SliceLengths => ok(st.slice(&vec![0; r + 1], &vec![1; r])),
        BadCall::Retain(extra) => {
            ok(st.retain(&Tensor::zeros([st.nnz() + extra], DType::Bool).unwrap()))
        }
        BadCall::Reshape(extra) => {
            let numel: i64 = dims.iter().map(|&d| d as i64).product();
            ok(st.reshape(&[numel + extra]))
        }
        BadCall::ToCsrRank => {
            if r == 2 {
                return None;
            }
            st.to_csr::<f32>().map(|_| ())
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Parts that break a rule of `new`: an error naming the rule's
    /// argument, never a panic.
    #[test]
    fn invalid_parts_are_errors(bad in invalid_sparse_parts()) {
        on_each_device(|device| {
        let rule = bad.rule;
        let e = SparseTensor::new(bad.indices.to_device(device).unwrap(), bad.values.to_device(device).unwrap(), bad.dense_shape.clone()).unwrap_err().to_string();
        let names = match rule {
            BrokenRule::IndicesDType | BrokenRule::IndicesRank => "indices must",
            BrokenRule::ValuesRank => "values must have rank 1",
            BrokenRule::LengthMismatch => "rows (shape",
            BrokenRule::RankMismatch => "has rank",
            BrokenRule::OutOfBounds | BrokenRule::NegativeIndex | BrokenRule::ZeroSizedDim => "is out of bounds for dense_shape",
            BrokenRule::DimBeyondInt64 => "exceeds the largest int64",
        };
        prop_assert!(e.contains(names), "{:?}: {}", rule, e);
        Ok(())
        })?;
    }

    /// Every operation given an argument that breaks its rules: an error.
    #[test]
    fn invalid_calls_are_errors(
        st in (select(DType::ALL.iter().copied().filter(|&d| d != DType::Bool).collect::<Vec<_>>()), 0.0f64..=1.0)
            .prop_flat_map(|(d, p)| sparse_tensors(1..=4, d, p))
            .prop_filter("dims of at least 1", |st| st.dense_shape().dims().iter().all(|&d| d > 0)),
        call in bad_calls(),
    ) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        if let Some(result) = run(&st, &call) {
            prop_assert!(result.is_err(), "{:?} on {} was accepted", call, st);
        }
        Ok(())
        })?;
    }
}
