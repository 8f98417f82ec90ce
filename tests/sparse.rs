//! Sparse tensors: the scenario users bring from TensorFlow
//! (`tf.sparse.SparseTensor` → `tf.sparse.to_dense(...).numpy()`), and
//! hand-worked cases of every operation, on every device.

use ndarray::{arr1, arr2};
use num_complex::Complex32;
use tensorbridge::prelude::*;
use tensorbridge::sparse::{SparseTensor, sparse_dense_matmul, sprs};
use tensorbridge_tests::{for_each_device, here};

fn st2(rows: &[[i64; 2]], values: Tensor, shape: [usize; 2]) -> SparseTensor {
    let indices = Tensor::from_vec(rows.concat(), [rows.len(), 2]).unwrap();
    SparseTensor::new(indices, values, shape).unwrap()
}

/// Scenario 01, example 3, with the dense_shape [3, 3] and the
/// article's [2, 3].
#[test]
fn scenario_sparse_to_dense_numpy() {
    for_each_device(|device| {
        let indices = Tensor::new([[0i64, 0], [1, 2]]).unwrap();
        let values = Tensor::new([1, 2]).unwrap();
        let st = SparseTensor::new(indices.clone(), values.clone(), [3, 3]).unwrap();
        assert_eq!(st.device(), device);
        let dense = st.to_dense().unwrap().to_array::<i32>().unwrap();
        assert_eq!(dense, arr2(&[[1, 0, 0], [0, 0, 2], [0, 0, 0]]).into_dyn());
        let article = SparseTensor::new(indices, values, [2, 3]).unwrap();
        assert_eq!(
            article.to_dense().unwrap().to_array::<i32>().unwrap(),
            arr2(&[[1, 0, 0], [0, 0, 2]]).into_dyn()
        );
        // print(sparse_tensor): the parts, not a dense array.
        let text = st.to_string();
        assert!(text.starts_with(
            "SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 3]"
        ));
        // sparse_tensor.numpy(): (indices, values, dense_shape), nothing dense.
        let (i, v, s) = st.numpy().unwrap();
        assert_eq!(
            i.into_typed::<i64>().unwrap(),
            arr2(&[[0i64, 0], [1, 2]]).into_dyn()
        );
        assert_eq!(v.into_typed::<i32>().unwrap(), arr1(&[1, 2]).into_dyn());
        assert_eq!(s.into_typed::<i64>().unwrap(), arr1(&[3i64, 3]).into_dyn());
    });
}

#[test]
fn to_dense_any_order_and_default() {
    for_each_device(|_device| {
        let st = st2(&[[2, 1], [0, 3], [1, 0]], here([7.5f32, -1.0, 2.0]), [3, 4]);
        assert_eq!(
            st.to_dense_with_default(&here(9.0f32))
                .unwrap()
                .to_array::<f32>()
                .unwrap(),
            arr2(&[
                [9.0, 9.0, 9.0, -1.0],
                [2.0, 9.0, 9.0, 9.0],
                [9.0, 7.5, 9.0, 9.0]
            ])
            .into_dyn()
        );
        // Rank 3 and rank 1.
        let r3 =
            SparseTensor::new(here([[1i64, 0, 1], [0, 1, 0]]), here([1u8, 2]), [2, 2, 2]).unwrap();
        assert_eq!(
            r3.to_dense().unwrap().to_vec::<u8>().unwrap(),
            [0, 0, 2, 0, 0, 1, 0, 0]
        );
        let r1 = SparseTensor::new(here([[3i64]]), here([true]), [4]).unwrap();
        assert_eq!(
            r1.to_dense().unwrap().to_vec::<bool>().unwrap(),
            [false, false, false, true]
        );
    });
}

#[test]
fn repeats_name_the_first_repeat_in_row_order() {
    for_each_device(|_device| {
        let st = st2(
            &[[1, 1], [0, 2], [1, 2], [0, 2], [1, 1]],
            here([1, 2, 3, 4, 5]),
            [2, 3],
        );
        let e = st.to_dense().unwrap_err().to_string();
        assert!(
            e.starts_with("SparseTensor::to_dense: indices[3] = [0, 2] repeats indices[1]"),
            "{e}"
        );
        let e = st.to_csr::<i32>().unwrap_err().to_string();
        assert!(e.contains("indices[3] = [0, 2] repeats indices[1]"), "{e}");
        let e = st.to_csc::<i32>().unwrap_err().to_string();
        assert!(e.contains("indices[3] = [0, 2] repeats indices[1]"), "{e}");
    });
}

#[test]
fn from_dense_keeps_nan_and_drops_negative_zero() {
    for_each_device(|_device| {
        let dense = here([[0.0f32, f32::NAN], [-0.0, 2.0]]);
        let st = SparseTensor::from_dense(&dense).unwrap();
        assert_eq!(st.indices().to_vec::<i64>().unwrap(), [0, 1, 1, 1]);
        let v = st.values().to_vec::<f32>().unwrap();
        assert!(v[0].is_nan() && v[1] == 2.0);
    });
}

#[test]
fn reorder_is_stable_for_repeats() {
    for_each_device(|_device| {
        let st = st2(
            &[[1, 0], [0, 5], [1, 0], [0, 1]],
            here([1, 2, 3, 4]),
            [2, 6],
        );
        let r = st.reorder().unwrap();
        assert_eq!(
            r.indices().to_vec::<i64>().unwrap(),
            [0, 1, 0, 5, 1, 0, 1, 0]
        );
        assert_eq!(r.values().to_vec::<i32>().unwrap(), [4, 2, 1, 3]);
        assert!(!r.is_canonical()); // [1, 0] twice
    });
}

#[test]
fn sprs_round_trips() {
    for_each_device(|device| {
        let st = st2(
            &[[2, 0], [0, 1], [1, 2], [0, 0]],
            here([4.0f64, 2.0, 3.0, 1.0]),
            [3, 3],
        );
        let csr = st.to_csr::<f64>().unwrap();
        assert_eq!(csr.indptr().raw_storage(), [0, 2, 3, 4]);
        assert_eq!(csr.indices(), [0, 1, 2, 0]);
        assert_eq!(csr.data(), [1.0, 2.0, 3.0, 4.0]);
        // sprs's own dense form agrees with ours (both ndarray 0.17).
        assert_eq!(
            csr.to_dense().into_dyn(),
            st.to_dense().unwrap().to_array::<f64>().unwrap()
        );
        let back = SparseTensor::from_csr(&csr).unwrap();
        assert_eq!(
            back.indices().to_vec::<i64>().unwrap(),
            [0, 0, 0, 1, 1, 2, 2, 0]
        );
        let csc = st.to_csc::<f64>().unwrap();
        assert_eq!(csc.indptr().raw_storage(), [0, 2, 3, 4]);
        assert_eq!(csc.indices(), [0, 2, 0, 1]);
        assert_eq!(csc.data(), [1.0, 4.0, 2.0, 3.0]);
        assert_eq!(
            SparseTensor::from_csr(&csc)
                .unwrap()
                .values()
                .to_vec::<f64>()
                .unwrap(),
            [1.0, 2.0, 3.0, 4.0]
        );
        let tri = st.to_triplets::<f64>().unwrap();
        assert_eq!(tri.row_inds(), [2, 0, 1, 0]);
        let again = SparseTensor::from_triplets(&tri).unwrap();
        assert_eq!(
            again.indices().to_vec::<i64>().unwrap(),
            st.indices().to_vec::<i64>().unwrap()
        );
        // A TriMat with a repeat: kept by from_triplets, summed through CSR.
        let mut t = sprs::TriMat::new((1, 2));
        t.add_triplet(0, 1, 1.0f32);
        t.add_triplet(0, 1, 2.0);
        assert!(SparseTensor::from_triplets(&t).unwrap().to_dense().is_err());
        let summed = SparseTensor::from_csr(&t.to_csr()).unwrap();
        assert_eq!(
            summed.to_dense().unwrap().to_vec::<f32>().unwrap(),
            [0.0, 3.0]
        );
        // from_csr_owned moves the data buffer.
        let ptr = csr.data().as_ptr();
        let moved = SparseTensor::from_csr_owned(csr).unwrap();
        // Made where the scope says, as Tensor::from_vec; on the host the
        // very buffer.
        assert_eq!(moved.values().device(), device);
        if device == Device::Cpu {
            assert_eq!(moved.values().view::<f64>().unwrap().as_ptr(), ptr);
        }
        // The parts of a device sparse tensor are not borrowed: view refuses.
        if device != Device::Cpu {
            assert!(matches!(
                st.values().view::<f64>(),
                Err(Error::NotOnHost { .. })
            ));
        }
    });
}

#[test]
fn matmul_all_adjoint_flags_complex() {
    for_each_device(|_device| {
        let i = Complex32::new(0.0, 1.0);
        let one = Complex32::new(1.0, 0.0);
        // a = [[i, 0], [0, 2]] (2 x 2), b = [[1, i], [2, 0]]
        let a = st2(&[[0, 0], [1, 1]], here(vec![i, one * 2.0]), [2, 2]);
        let b =
            Tensor::from_vec(vec![one, i, one * 2.0, Complex32::new(0.0, 0.0)], [2, 2]).unwrap();
        let c = |a_adj, b_adj| {
            sparse_dense_matmul(&a, &b, a_adj, b_adj)
                .unwrap()
                .to_vec::<Complex32>()
                .unwrap()
        };
        // a·b = [[i, -1], [4, 0]]
        assert_eq!(c(false, false), [i, -one, one * 4.0, one * 0.0]);
        // aᴴ·b = [[-i, 1], [4, 0]]
        assert_eq!(c(true, false), [-i, one, one * 4.0, one * 0.0]);
        // a·bᴴ, bᴴ = [[1, 2], [-i, 0]]: [[i, 2i], [-2i, 0]]
        assert_eq!(c(false, true), [i, i * 2.0, -i * 2.0, one * 0.0]);
        // aᴴ·bᴴ = [[-i, -2i], [-2i, 0]]
        assert_eq!(c(true, true), [-i, -i * 2.0, -i * 2.0, one * 0.0]);
    });
}

#[test]
fn matmul_sums_repeats_and_rounds_halves_once() {
    for_each_device(|_device| {
        let a = st2(&[[0, 1], [0, 1], [1, 0]], here([2, 3, 1]), [2, 2]);
        let b = here([[1, 1], [10, 100]]);
        assert_eq!(
            sparse_dense_matmul(&a, &b, false, false)
                .unwrap()
                .to_vec::<i32>()
                .unwrap(),
            [50, 500, 1, 1]
        );
        // 2048 + 1 + 1 in f16 rounds once: 2050 (stepwise it would stay 2048).
        let h = |x: f32| half::f16::from_f32(x);
        let a = st2(
            &[[0, 0], [0, 1], [0, 2]],
            here(vec![h(1.0), h(1.0), h(1.0)]),
            [1, 3],
        );
        let b = Tensor::from_vec(vec![h(2048.0), h(1.0), h(1.0)], [3, 1]).unwrap();
        assert_eq!(
            sparse_dense_matmul(&a, &b, false, false)
                .unwrap()
                .to_vec::<half::f16>()
                .unwrap(),
            [h(2050.0)]
        );
    });
}

#[test]
fn add_sums_and_unions() {
    for_each_device(|_device| {
        let a = st2(&[[1, 1], [0, 0]], here([1.0f32, 2.0]), [2, 2]);
        let b = st2(&[[0, 0], [0, 1]], here([-2.0f32, 5.0]), [2, 2]);
        let c = a.add(&b).unwrap();
        assert!(c.is_canonical());
        assert_eq!(c.indices().to_vec::<i64>().unwrap(), [0, 0, 0, 1, 1, 1]);
        assert_eq!(c.values().to_vec::<f32>().unwrap(), [0.0, 5.0, 1.0]); // the zero sum stays
        let d = a.add_dense(&here([[1.0f32, 1.0], [1.0, 1.0]])).unwrap();
        assert_eq!(d.to_vec::<f32>().unwrap(), [3.0, 1.0, 1.0, 2.0]);
    });
}

#[test]
fn reduce_sum_over_each_axis_set() {
    for_each_device(|_device| {
        // [[[1, 0], [0, 2]], [[3, 0], [0, 0]]]
        let st = SparseTensor::new(
            here([[0i64, 0, 0], [0, 1, 1], [1, 0, 0]]),
            here([1i64, 2, 3]),
            [2, 2, 2],
        )
        .unwrap();
        assert_eq!(
            st.reduce_sum(&[0], false).unwrap().to_vec::<i64>().unwrap(),
            [4, 0, 0, 2]
        );
        assert_eq!(
            st.reduce_sum(&[1, 2], false)
                .unwrap()
                .to_vec::<i64>()
                .unwrap(),
            [3, 3]
        );
        assert_eq!(st.reduce_sum(&[0, -1], true).unwrap().dims(), [1, 2, 1]);
        assert_eq!(
            st.reduce_sum(&[0, -1], true)
                .unwrap()
                .to_vec::<i64>()
                .unwrap(),
            [4, 2]
        );
        // The output only is allocated: a sum over a dense size beyond memory.
        let huge =
            SparseTensor::new(here([[5i64, 1 << 50]]), here([2.5f32]), [8, 1 << 51]).unwrap();
        assert_eq!(
            huge.reduce_sum(&[1], false)
                .unwrap()
                .to_vec::<f32>()
                .unwrap(),
            [0.0, 0.0, 0.0, 0.0, 0.0, 2.5, 0.0, 0.0]
        );
    });
}

#[test]
fn reshape_transpose_slice_retain_fill() {
    for_each_device(|_device| {
        let st = st2(&[[0, 2], [1, 0], [1, 3]], here([1, 2, 3]), [2, 4]);
        let r = st.reshape(&[4, -1]).unwrap();
        assert_eq!(r.indices().to_vec::<i64>().unwrap(), [1, 0, 2, 0, 3, 1]);
        let t = st.transpose(&[1, 0]).unwrap();
        assert_eq!(
            t.to_dense().unwrap().to_array::<i32>().unwrap(),
            arr2(&[[0, 2], [0, 0], [1, 0], [0, 3]]).into_dyn()
        );
        let s = st.slice(&[1, 1], &[5, 5]).unwrap();
        assert_eq!(s.dense_shape().dims(), [1, 3]);
        assert_eq!(s.to_dense().unwrap().to_vec::<i32>().unwrap(), [0, 0, 3]);
        let kept = st.retain(&here([false, true, false])).unwrap();
        assert_eq!(kept.indices().to_vec::<i64>().unwrap(), [1, 0]);
        let (filled, empty) = st2(&[[2, 1]], here([4]), [3, 2])
            .fill_empty_rows(&here(7))
            .unwrap();
        assert_eq!(
            filled.to_dense().unwrap().to_array::<i32>().unwrap(),
            arr2(&[[7, 0], [7, 0], [0, 4]]).into_dyn()
        );
        assert_eq!(empty.to_vec::<bool>().unwrap(), [true, true, false]);
    });
}

#[test]
fn reorder_and_transpose_where_dense_size_overflows() {
    for_each_device(|_device| {
        let big = (1usize << 62) + 5;
        let st = st2(
            &[[1 << 61, 3], [0, 1 << 62], [1 << 61, 2]],
            here([1, 2, 3]),
            [big, big],
        );
        assert!(st.to_dense().is_err());
        let r = st.reorder().unwrap();
        assert_eq!(r.values().to_vec::<i32>().unwrap(), [2, 3, 1]);
        let t = st.transpose(&[1, 0]).unwrap();
        assert_eq!(t.values().to_vec::<i32>().unwrap(), [3, 1, 2]);
        assert_eq!(
            st.slice(&[1 << 61, 0], &[1, 3])
                .unwrap()
                .values()
                .to_vec::<i32>()
                .unwrap(),
            [3]
        );
    });
}

#[test]
fn facade_numpy_of_a_structure() {
    for_each_device(|_device| {
        let st = st2(&[[0, 1]], here([9u16]), [1, 2]);
        let (d, (i, v, s)) = (here([1u8]), st).numpy().unwrap();
        assert_eq!(
            (d.len(), i.shape(), v.dtype(), s.len()),
            (1, &[1, 2][..], DType::U16, 2)
        );
    });
}

/// A deterministic generator for the large cases below.
fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

/// Sizes that take the parallel paths (sorting, bounds, products), with
/// entries in shuffled order and adjoint flags, against a naive product.
#[test]
fn large_shuffled_matmul_and_reorder() {
    for_each_device(|_device| {
        let (m, k, n) = (400usize, 200usize, 40usize);
        let mut s = 7u64;
        let mut cells: Vec<usize> = (0..m * k).filter(|_| lcg(&mut s) & 1 == 0).collect();
        for i in (1..cells.len()).rev() {
            let j = (lcg(&mut s) as usize) % (i + 1);
            cells.swap(i, j);
        }
        let nnz = cells.len();
        assert!(nnz * n >= 1 << 16 && nnz >= 1 << 15); // the parallel sort and product
        let rows: Vec<i64> = cells
            .iter()
            .flat_map(|&c| [(c / k) as i64, (c % k) as i64])
            .collect();
        let vals: Vec<f64> = (0..nnz).map(|i| (i % 7) as f64 - 3.0).collect();
        let a = SparseTensor::new(
            Tensor::from_vec(rows, [nnz, 2]).unwrap(),
            here(vals.clone()),
            [m, k],
        )
        .unwrap();
        let mut dense_a = vec![0.0f64; m * k];
        for (&c, &v) in cells.iter().zip(&vals) {
            dense_a[c] = v;
        }
        let b: Vec<f64> = (0..k * n).map(|i| (i % 5) as f64 - 2.0).collect();
        let bt = Tensor::from_vec(b.clone(), [k, n]).unwrap();
        let mut expected = vec![0.0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                expected[i * n + j] = (0..k).map(|p| dense_a[i * k + p] * b[p * n + j]).sum();
            }
        }
        assert_eq!(
            sparse_dense_matmul(&a, &bt, false, false)
                .unwrap()
                .to_vec::<f64>()
                .unwrap(),
            expected
        );
        let canonical = a.reorder().unwrap();
        assert!(canonical.is_canonical());
        assert_eq!(
            sparse_dense_matmul(&canonical, &bt, false, false)
                .unwrap()
                .to_vec::<f64>()
                .unwrap(),
            expected
        );
        // (aᵀ)ᵀ·b through adjoint_a on the transposed tensor, and b given as bᵀ.
        let at = a.transpose(&[1, 0]).unwrap();
        let btt = bt.t().unwrap().contiguous_copy().unwrap();
        assert_eq!(
            sparse_dense_matmul(&at, &btt, true, true)
                .unwrap()
                .to_vec::<f64>()
                .unwrap(),
            expected
        );
        // The dense forms agree, and the CSR matrix holds the sorted entries.
        assert_eq!(a.to_dense().unwrap().to_vec::<f64>().unwrap(), dense_a);
        let csr = a.to_csr::<f64>().unwrap();
        let mut sorted = cells.clone();
        sorted.sort();
        let flat: Vec<usize> = csr.iter().map(|(_, (i, j))| i * k + j).collect();
        assert_eq!(flat, sorted);
    });
}

#[test]
fn display_summarises_long_tensors() {
    for_each_device(|device| {
        let n = 25;
        let rows: Vec<i64> = (0..n as i64).collect();
        let st = SparseTensor::new(
            Tensor::from_vec(rows, [n, 1]).unwrap(),
            Tensor::arange(0u8, 25, 1).unwrap(),
            [n],
        )
        .unwrap();
        assert_eq!(
            st.to_string(),
            format!(
                "SparseTensor(indices=[[0], [1], [2], ..., [22], [23], [24]], values=[0, 1, 2, ..., 22, 23, 24], \
                 dense_shape=[25], dtype=uint8, device={device})"
            )
        );
    });
}
