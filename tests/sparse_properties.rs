//! Sparse tensors against a naive dense reference: proptest-generated
//! valid sparse tensors of rank 1 to 4 and every numeric dtype (values are
//! small integers, so every sum and product is exact in every dtype), with
//! entries in canonical or shuffled order.
//!
//! The reference works in `Complex<f64>`: each sparse tensor becomes a
//! dense array by writing its entries at their row-major offsets, and each
//! operation is computed from its definition, element by element.

use num_complex::Complex64 as C;
use proptest::prelude::*;
use proptest::sample::select;
use tensorbridge::prelude::*;
use tensorbridge::sparse::strategies::{sparse_pairs, sparse_tensors, sparse_tensors_exact};
use tensorbridge::sparse::{SparseTensor, sparse_dense_matmul};
use tensorbridge::with_dtype;
use tensorbridge_tests::{as_c128 as c, here, on_each_device, same, sparse_on};

fn numeric() -> impl Strategy<Value = DType> {
    select(
        DType::ALL
            .iter()
            .copied()
            .filter(|&d| d != DType::Bool)
            .collect::<Vec<_>>(),
    )
}

fn densities() -> impl Strategy<Value = f64> {
    select(vec![0.0, 0.2, 0.5, 0.9, 1.0])
}

/// Exact-valued sparse tensors of rank 1..=4, any numeric dtype.
fn exact() -> impl Strategy<Value = SparseTensor> {
    (numeric(), densities()).prop_flat_map(|(d, p)| sparse_tensors_exact(1..=4, d, p))
}

/// Exact-valued rank-2 sparse tensors.
fn matrices() -> impl Strategy<Value = SparseTensor> {
    (numeric(), densities()).prop_flat_map(|(d, p)| sparse_tensors_exact(2..=2, d, p))
}

fn rows(st: &SparseTensor) -> Vec<Vec<usize>> {
    let k = st.rank();
    let idx = st.indices().to_vec::<i64>().unwrap();
    (0..st.nnz())
        .map(|e| {
            idx[e * k..(e + 1) * k]
                .iter()
                .map(|&i| i as usize)
                .collect()
        })
        .collect()
}

fn offset(dims: &[usize], index: &[usize]) -> usize {
    index.iter().zip(dims).fold(0, |o, (&i, &d)| o * d + i)
}

fn unravel(dims: &[usize], mut off: usize) -> Vec<usize> {
    let mut index = vec![0; dims.len()];
    for d in (0..dims.len()).rev() {
        index[d] = off % dims[d];
        off /= dims[d];
    }
    index
}

/// The naive dense form: zeros, then every entry written at its offset.
fn naive(st: &SparseTensor) -> Vec<C> {
    let dims = st.dense_shape().dims();
    let mut out = vec![C::new(0.0, 0.0); dims.iter().product()];
    for (r, v) in rows(st).iter().zip(c(st.values())) {
        out[offset(dims, r)] = v;
    }
    out
}

/// Exact sums `exact` as the dtype holds them: integers wrap (two's
/// complement, TensorFlow's rule), floats round once to the nearest value of
/// the dtype (the sparse ops accumulate f16/bf16 in f32 and round at the
/// end). Sums of many small values can leave the exact range of u8 or bf16.
fn in_dtype(exact: Vec<C>, dtype: DType) -> Vec<C> {
    // The reference rounds on the host, whatever device is under test.
    let _host = Device::Cpu.scope();
    if dtype.is_int() {
        let bits = 8 * dtype.size_in_bytes() as u32;
        let wrap = |x: f64| {
            let m = (x as i128).rem_euclid(1i128 << bits);
            let signed_max = (1i128 << (bits - 1)) - 1;
            let v = if !dtype.is_unsigned() && m > signed_max {
                m - (1i128 << bits)
            } else {
                m
            };
            C::new(v as f64, 0.0)
        };
        exact.into_iter().map(|z| wrap(z.re)).collect()
    } else if dtype.is_complex() {
        let n = exact.len();
        c(&Tensor::from_vec(exact, [n]).unwrap().cast(dtype).unwrap())
    } else {
        let re: Vec<f64> = exact.iter().map(|z| z.re).collect();
        let n = re.len();
        c(&Tensor::from_vec(re, [n]).unwrap().cast(dtype).unwrap())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn to_dense_matches_the_reference(st in exact()) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        let dense = st.to_dense().unwrap();
        prop_assert_eq!(dense.dims(), st.dense_shape().dims());
        prop_assert_eq!(c(&dense), naive(&st));
        Ok(())
        })?;
    }

    /// Arbitrary values of every dtype (NaN, -0.0, extremes, bool) land
    /// bit for bit, over any default value.
    #[test]
    fn to_dense_any_values(
        (st, fill) in select(DType::ALL.to_vec())
            .prop_flat_map(|d| (sparse_tensors(1..=4, d, 0.4), Just(d)))
            .prop_map(|(st, d)| (st, d))
            .prop_flat_map(|(st, d)| {
                let fill = with_dtype!(d, T => tensorbridge::strategies::elements::<T>().prop_map(Tensor::scalar).boxed());
                (Just(st), fill)
            })
    ) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        let fill = fill.to_device(device).unwrap();
        with_dtype!(st.dtype(), T => {
            let dims = st.dense_shape().dims().to_vec();
            let f = fill.to_scalar::<T>().unwrap();
            let mut expected = vec![f; dims.iter().product()];
            for (r, &v) in rows(&st).iter().zip(&st.values().to_vec::<T>().unwrap()) {
                expected[offset(&dims, r)] = v;
            }
            let got = st.to_dense_with_default(&fill).unwrap().to_vec::<T>().unwrap();
            prop_assert!(same(&got, &expected), "{:?} vs {:?}", got, expected);
        });
        Ok(())
        })?;
    }

    #[test]
    fn from_dense_round_trip(st in exact()) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        let dense = st.to_dense().unwrap();
        let back = SparseTensor::from_dense(&dense).unwrap();
        prop_assert!(back.is_canonical());
        prop_assert_eq!(c(&back.to_dense().unwrap()), c(&dense));
        // The entries are the non-zeros of the reference, in row-major order.
        let reference = naive(&st);
        let dims = st.dense_shape().dims();
        let nonzero: Vec<usize> = (0..reference.len()).filter(|&o| reference[o] != C::new(0.0, 0.0)).collect();
        let got: Vec<usize> = rows(&back).iter().map(|r| offset(dims, r)).collect();
        prop_assert_eq!(got, nonzero);
        Ok(())
        })?;
    }

    #[test]
    fn reorder_sorts_rows(st in exact()) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        let r = st.reorder().unwrap();
        prop_assert!(r.is_canonical());
        let mut expected: Vec<(Vec<usize>, C)> = rows(&st).into_iter().zip(c(st.values())).collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        let got: Vec<(Vec<usize>, C)> = rows(&r).into_iter().zip(c(r.values())).collect();
        prop_assert_eq!(got, expected);
        prop_assert_eq!(c(&r.to_dense().unwrap()), naive(&st));
        Ok(())
        })?;
    }

    #[test]
    fn sprs_round_trips(st in matrices()) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        let canonical = st.reorder().unwrap();
        with_dtype!(st.dtype(), T => {
            let csr = st.to_csr::<T>().unwrap();
            let csc = st.to_csc::<T>().unwrap();
            let moved = st.clone().into_csr::<T>().unwrap();
            prop_assert_eq!(moved.indptr().raw_storage().to_vec(), csr.indptr().raw_storage().to_vec());
            prop_assert_eq!(moved.indices(), csr.indices());
            prop_assert!(same(moved.data(), csr.data()));
            // Every stored (row, col, value) of the matrices is an entry.
            let dims = st.dense_shape().dims().to_vec();
            let reference = naive(&st);
            for m in [&csr, &csc] {
                prop_assert_eq!(m.nnz(), st.nnz());
                for (v, (i, j)) in m.iter() {
                    let v = Tensor::scalar(*v);
                    prop_assert_eq!(c(&v)[0], reference[offset(&dims, &[i, j])]);
                }
            }
            for back in [SparseTensor::from_csr(&csr).unwrap(), SparseTensor::from_csr(&csc).unwrap(),
                         SparseTensor::from_csr_owned(csr.clone()).unwrap()] {
                prop_assert_eq!(back.indices().to_vec::<i64>().unwrap(), canonical.indices().to_vec::<i64>().unwrap());
                prop_assert!(same(&back.values().to_vec::<T>().unwrap(), &canonical.values().to_vec::<T>().unwrap()));
            }
            let tri = SparseTensor::from_triplets(&st.to_triplets::<T>().unwrap()).unwrap();
            prop_assert_eq!(tri.indices().to_vec::<i64>().unwrap(), st.indices().to_vec::<i64>().unwrap());
            prop_assert!(same(&tri.values().to_vec::<T>().unwrap(), &st.values().to_vec::<T>().unwrap()));
        });
        Ok(())
        })?;
    }

    #[test]
    fn matmul_with_every_adjoint_flag(
        (st, adj_a, adj_b, b) in (matrices(), any::<bool>(), any::<bool>(), 0usize..=4)
            .prop_flat_map(|(st, adj_a, adj_b, n)| {
                let d = st.dense_shape().dims();
                let k = if adj_a { d[0] } else { d[1] };
                let dims = if adj_b { [n, k] } else { [k, n] };
                let dtype = st.dtype();
                let range = if dtype.is_unsigned() { 0i8..=3 } else { -3i8..=3 };
                let b = proptest::collection::vec(range, n * k).prop_map(move |v| {
                    Tensor::from_vec(v, dims).unwrap().cast(dtype).unwrap()
                });
                (Just(st), Just(adj_a), Just(adj_b), b)
            })
    ) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        let b = b.to_device(device).unwrap();
        let d = st.dense_shape().dims().to_vec();
        let a_ref = naive(&st);
        let b_ref = c(&b);
        let (m, k) = if adj_a { (d[1], d[0]) } else { (d[0], d[1]) };
        let n = if adj_b { b.dims()[0] } else { b.dims()[1] };
        let a_at = |i: usize, p: usize| if adj_a { a_ref[p * d[1] + i].conj() } else { a_ref[i * d[1] + p] };
        let b_at = |p: usize, j: usize| if adj_b { b_ref[j * k + p].conj() } else { b_ref[p * n + j] };
        let mut expected = vec![C::new(0.0, 0.0); m * n];
        for i in 0..m {
            for j in 0..n {
                expected[i * n + j] = (0..k).map(|p| a_at(i, p) * b_at(p, j)).sum();
            }
        }
        let got = sparse_dense_matmul(&st, &b, adj_a, adj_b).unwrap();
        prop_assert_eq!(got.dims(), [m, n]);
        prop_assert_eq!(c(&got), expected);
        Ok(())
        })?;
    }

    #[test]
    fn add_is_the_dense_sum(
        (a, b) in (numeric(), densities()).prop_flat_map(|(d, p)| sparse_pairs(1..=4, d, p))
    ) {
        on_each_device(|device| {
        let (a, b) = (sparse_on(&a, device), sparse_on(&b, device));
        let expected: Vec<C> = naive(&a).iter().zip(naive(&b)).map(|(x, y)| x + y).collect();
        let sum = a.add(&b).unwrap();
        prop_assert!(sum.is_canonical());
        prop_assert_eq!(c(&sum.to_dense().unwrap()), expected.clone());
        prop_assert_eq!(c(&a.add_dense(&b.to_dense().unwrap()).unwrap()), expected);
        Ok(())
        })?;
    }

    #[test]
    fn reduce_sum_matches_the_reference(
        (st, mask, keepdims) in exact().prop_flat_map(|st| {
            let r = st.rank();
            (Just(st), proptest::collection::vec(any::<bool>(), r), any::<bool>())
        })
    ) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        let dims = st.dense_shape().dims().to_vec();
        let axes: Vec<isize> = (0..dims.len()).filter(|&d| mask[d]).map(|d| d as isize).collect();
        let reduced: Vec<bool> = if axes.is_empty() { vec![true; dims.len()] } else { mask.clone() };
        let kept: Vec<usize> = (0..dims.len()).filter(|&d| !reduced[d]).collect();
        let out_dims: Vec<usize> = kept.iter().map(|&d| dims[d]).collect();
        let mut expected = vec![C::new(0.0, 0.0); out_dims.iter().product()];
        for (o, v) in naive(&st).into_iter().enumerate() {
            let index = unravel(&dims, o);
            let at: Vec<usize> = kept.iter().map(|&d| index[d]).collect();
            expected[offset(&out_dims, &at)] += v;
        }
        let got = st.reduce_sum(&axes, keepdims).unwrap();
        let shape: Vec<usize> = (0..dims.len()).filter_map(|d| match (reduced[d], keepdims) {
            (false, _) => Some(dims[d]),
            (true, true) => Some(1),
            (true, false) => None,
        }).collect();
        prop_assert_eq!(got.dims(), &shape[..]);
        prop_assert_eq!(c(&got), in_dtype(expected, st.dtype()));
        Ok(())
        })?;
    }

    #[test]
    fn transpose_matches_the_reference(
        (st, perm) in exact().prop_flat_map(|st| {
            let r = st.rank();
            (Just(st), Just((0..r).collect::<Vec<usize>>()).prop_shuffle())
        })
    ) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        let dims = st.dense_shape().dims().to_vec();
        let out_dims: Vec<usize> = perm.iter().map(|&p| dims[p]).collect();
        let reference = naive(&st);
        let expected: Vec<C> = (0..reference.len()).map(|o| {
            let out_index = unravel(&out_dims, o);
            let mut index = vec![0; dims.len()];
            for (d, &p) in perm.iter().enumerate() {
                index[p] = out_index[d];
            }
            reference[offset(&dims, &index)]
        }).collect();
        let t = st.transpose(&perm).unwrap();
        prop_assert!(t.is_canonical());
        prop_assert_eq!(t.dense_shape().dims(), &out_dims[..]);
        prop_assert_eq!(c(&t.to_dense().unwrap()), expected);
        Ok(())
        })?;
    }

    #[test]
    fn slice_matches_the_reference(
        (st, start, size) in exact().prop_flat_map(|st| {
            let dims = st.dense_shape().dims().to_vec();
            let start: Vec<_> = dims.iter().map(|&d| 0..=d).collect();
            let size = proptest::collection::vec(0usize..=7, dims.len());
            (Just(st), start, size)
        })
    ) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        let dims = st.dense_shape().dims().to_vec();
        let out_dims: Vec<usize> = (0..dims.len()).map(|d| size[d].min(dims[d] - start[d])).collect();
        let reference = naive(&st);
        let expected: Vec<C> = (0..out_dims.iter().product()).map(|o| {
            let index: Vec<usize> = unravel(&out_dims, o).iter().zip(&start).map(|(i, s)| i + s).collect();
            reference[offset(&dims, &index)]
        }).collect();
        let s = st.slice(&start, &size).unwrap();
        prop_assert_eq!(s.dense_shape().dims(), &out_dims[..]);
        prop_assert_eq!(c(&s.to_dense().unwrap()), expected);
        Ok(())
        })?;
    }

    #[test]
    fn reshape_keeps_row_major_elements(
        (st, shape) in exact().prop_flat_map(|st| {
            let dims: Vec<i64> = st.dense_shape().dims().iter().map(|&d| d as i64).collect();
            let r = dims.len();
            let numel: i64 = dims.iter().product();
            let shapes = prop_oneof![
                Just(dims.clone()).prop_shuffle(),
                Just(vec![numel]),
                Just(vec![-1]),
                (0..r).prop_map(move |u| {
                    let mut d = dims.clone();
                    if d.iter().all(|&x| x != 0) { d[u] = -1; }
                    d.push(1);
                    d
                }),
            ];
            (Just(st), shapes)
        })
    ) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        let numel: usize = st.dense_shape().dims().iter().product();
        let r = st.reshape(&shape).unwrap();
        prop_assert_eq!(r.dense_shape().dims().iter().product::<usize>(), numel);
        for (d, &s) in shape.iter().enumerate() {
            if s >= 0 {
                prop_assert_eq!(r.dense_shape().dims()[d], s as usize);
            }
        }
        prop_assert_eq!(c(&r.to_dense().unwrap()), naive(&st));
        prop_assert_eq!(r.is_canonical(), st.is_canonical());
        Ok(())
        })?;
    }

    #[test]
    fn retain_keeps_the_masked_entries(
        (st, mask) in exact().prop_flat_map(|st| {
            let n = st.nnz();
            (Just(st), proptest::collection::vec(any::<bool>(), n))
        })
    ) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        let kept = st.retain(&here(mask.clone())).unwrap();
        let expected: Vec<(Vec<usize>, C)> = rows(&st).into_iter().zip(c(st.values()))
            .zip(&mask).filter(|(_, m)| **m).map(|(e, _)| e).collect();
        let got: Vec<(Vec<usize>, C)> = rows(&kept).into_iter().zip(c(kept.values())).collect();
        prop_assert_eq!(got, expected);
        Ok(())
        })?;
    }

    #[test]
    fn fill_empty_rows_fills_exactly_the_empty_rows(st in exact()) {
        on_each_device(|device| {
        let st = sparse_on(&st, device);
        let dims = st.dense_shape().dims().to_vec();
        let has_entry: Vec<bool> = (0..dims[0]).map(|r| rows(&st).iter().any(|e| e[0] == r)).collect();
        let nine = here(9i8).cast(st.dtype()).unwrap();
        let result = st.fill_empty_rows(&nine);
        if dims[1..].contains(&0) && has_entry.contains(&false) {
            prop_assert!(result.is_err());
        } else {
            let (filled, empty) = result.unwrap();
            prop_assert_eq!(empty.to_vec::<bool>().unwrap(), has_entry.iter().map(|h| !h).collect::<Vec<_>>());
            prop_assert_eq!(filled.dtype(), st.dtype());
            let mut expected = naive(&st);
            for (r, &h) in has_entry.iter().enumerate() {
                if !h {
                    let mut index = vec![0; dims.len()];
                    index[0] = r;
                    expected[offset(&dims, &index)] = C::new(9.0, 0.0);
                }
            }
            prop_assert_eq!(filled.nnz(), st.nnz() + has_entry.iter().filter(|h| !**h).count());
            let first_rows: Vec<usize> = rows(&filled).iter().map(|e| e[0]).collect();
            prop_assert!(first_rows.windows(2).all(|w| w[0] <= w[1]));
            prop_assert_eq!(c(&filled.to_dense().unwrap()), expected);
        }
        Ok(())
        })?;
    }
}
