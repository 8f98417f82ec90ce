//! Ragged tensors (`tensorbridge::ragged`): the scenario of
//! 04-keras-batches-and-ragged, every accessor and conversion on worked
//! examples (values from TensorFlow's documentation or worked out by hand),
//! and one test per validation rule with an input that breaks it.

use ndarray::arr2;
use tensorbridge::prelude::*;
use tensorbridge::ragged::{Nested, NestedArray, RaggedTensor, RaggedValues, TensorRows};
use tensorbridge_tests::{for_each_device, here};

fn splits(rt: &RaggedTensor) -> Vec<Vec<i64>> {
    rt.nested_row_splits()
        .iter()
        .map(|s| s.to_vec::<i64>().unwrap())
        .collect()
}

fn err(r: Result<impl std::fmt::Debug>) -> String {
    r.unwrap_err().to_string()
}

/// 04: `tf.ragged.constant([[1, 2, 3], [4, 5], [6]]).to_tensor(default_value=0).numpy()`
/// is `[[1, 2, 3], [4, 5, 0], [6, 0, 0]]` of shape (3, 3).
#[test]
fn scenario_ragged_constant_to_tensor() {
    for_each_device(|device| {
        // The same ragged tensor built from parts made on the device: its
        // dense form is made there.
        let on_device =
            RaggedTensor::from_row_splits(here([1, 2, 3, 4, 5, 6]), here([0i64, 3, 5, 6])).unwrap();
        let dense = on_device.to_tensor(&here(0)).unwrap();
        assert_eq!(dense.device(), device);
        assert_eq!(
            dense.to_array::<i32>().unwrap(),
            arr2(&[[1, 2, 3], [4, 5, 0], [6, 0, 0]]).into_dyn()
        );
        let ragged_tensor = ragged![[1, 2, 3], [4, 5], [6]];
        let dense_tensor = ragged_tensor.to_tensor(&Tensor::scalar(0)).unwrap();
        let numpy_array = dense_tensor.numpy().unwrap();
        assert_eq!(numpy_array.shape(), [3, 3]);
        assert_eq!(numpy_array.dtype(), DType::I32);
        assert_eq!(
            numpy_array.into_typed::<i32>().unwrap(),
            arr2(&[[1, 2, 3], [4, 5, 0], [6, 0, 0]]).into_dyn()
        );
        assert_eq!(
            ragged_tensor.to_string(),
            "<tf.RaggedTensor [[1, 2, 3], [4, 5], [6]]>"
        );
        // The same through the facade's prelude, numpy() as two dense arrays.
        let (values, row_splits) = ragged_tensor.numpy().unwrap();
        assert_eq!(
            values
                .into_typed::<i32>()
                .unwrap()
                .into_raw_vec_and_offset()
                .0,
            [1, 2, 3, 4, 5, 6]
        );
        assert_eq!(
            row_splits[0]
                .view_typed::<i64>()
                .unwrap()
                .as_slice()
                .unwrap(),
            [0, 3, 5, 6]
        );
    });
}

#[test]
fn accessors_follow_tensorflow() {
    for_each_device(|_device| {
        // tf.RaggedTensor.from_row_splits(values=[3, 1, 4, 1, 5, 9, 2, 6],
        //                                 row_splits=[0, 4, 4, 7, 8, 8])
        let rt = RaggedTensor::from_row_splits(
            here([3, 1, 4, 1, 5, 9, 2, 6]),
            here([0i64, 4, 4, 7, 8, 8]),
        )
        .unwrap();
        assert_eq!(rt.nrows(), 5);
        assert_eq!(rt.ragged_rank(), 1);
        assert_eq!(
            rt.row_lengths().unwrap().to_vec::<i64>().unwrap(),
            [4, 0, 3, 1, 0]
        );
        assert_eq!(
            rt.value_rowids().unwrap().to_vec::<i64>().unwrap(),
            [0, 0, 0, 0, 2, 2, 2, 3]
        );
        assert_eq!(rt.bounding_shape().unwrap(), [5, 4]);
        assert_eq!(rt.shape(), [Some(5), None]);
        assert_eq!(
            rt.row(2)
                .unwrap()
                .into_tensor()
                .unwrap()
                .to_vec::<i32>()
                .unwrap(),
            [5, 9, 2]
        );
        assert_eq!(rt.row(1).unwrap().into_tensor().unwrap().dims(), [0]);
        assert_eq!(
            rt.to_nested_vec::<i32>().unwrap(),
            vec![vec![3, 1, 4, 1], vec![], vec![5, 9, 2], vec![6], vec![]]
        );
        let RaggedValues::Tensor(values) = rt.values() else {
            panic!("ragged rank 1 has dense values")
        };
        assert!(values.shares_buffer_with(rt.flat_values()));
    });
}

#[test]
fn nested_accessors_and_rows() {
    for_each_device(|_device| {
        // [[[1, 2], []], [[3, 4, 5]], []]
        let rt = RaggedTensor::from_nested_row_splits(
            here([1, 2, 3, 4, 5]),
            vec![here([0i64, 2, 3, 3]), here([0i64, 2, 2, 5])],
        )
        .unwrap();
        assert_eq!(
            rt.to_string(),
            "<tf.RaggedTensor [[[1, 2], []], [[3, 4, 5]], []]>"
        );
        assert_eq!(rt.bounding_shape().unwrap(), [3, 2, 3]);
        assert_eq!(rt.rank(), 3);
        let row = rt.row(1).unwrap().into_ragged().unwrap();
        assert_eq!(splits(&row), [vec![0, 3]]);
        assert_eq!(row.flat_values().to_vec::<i32>().unwrap(), [3, 4, 5]);
        assert!(row.flat_values().shares_buffer_with(rt.flat_values()));
        assert_eq!(rt.row(2).unwrap().into_ragged().unwrap().nrows(), 0);
        let list = rt.to_list().unwrap();
        assert_eq!(list.len(), 3);
        let NestedArray::List(first) = &list[0] else {
            panic!("rows of ragged rank 2 are lists")
        };
        assert_eq!(first.len(), 2);
        assert_eq!(
            first[0]
                .as_array()
                .unwrap()
                .view_typed::<i32>()
                .unwrap()
                .as_slice()
                .unwrap(),
            [1, 2]
        );
        assert!(first[1].as_array().unwrap().is_empty());
    });
}

#[test]
fn to_tensor_pads_truncates_and_broadcasts() {
    for_each_device(|_device| {
        let rt = ragged![[1, 2, 3], [4, 5], [6]];
        let zero = here(0);
        // Cut both dims; keep the rows, widen the columns.
        let t = rt.to_tensor_with_shape(&zero, &[Some(2), Some(1)]).unwrap();
        assert_eq!(t.to_array::<i32>().unwrap(), arr2(&[[1], [4]]).into_dyn());
        let t = rt
            .to_tensor_with_shape(&here(-1), &[None, Some(4)])
            .unwrap();
        assert_eq!(
            t.to_array::<i32>().unwrap(),
            arr2(&[[1, 2, 3, -1], [4, 5, -1, -1], [6, -1, -1, -1]]).into_dyn()
        );
        // Inner dims: a default per column, broadcast over the padding.
        let rt = RaggedTensor::from_row_splits(here([[1, 2], [3, 4], [5, 6]]), here([0i64, 2, 3]))
            .unwrap();
        let t = rt.to_tensor(&here([-1, -2])).unwrap();
        assert_eq!(t.dims(), [2, 2, 2]);
        assert_eq!(t.to_vec::<i32>().unwrap(), [1, 2, 3, 4, 5, 6, -1, -2]);
        // Inner dim widened to 3 (the default's third column fills it) and cut to 1.
        let t = rt
            .to_tensor_with_shape(&here([-1, -2, -3]), &[None, None, Some(3)])
            .unwrap();
        assert_eq!(
            t.to_vec::<i32>().unwrap(),
            [1, 2, -3, 3, 4, -3, 5, 6, -3, -1, -2, -3]
        );
        let t = rt
            .to_tensor_with_shape(&here(0), &[Some(1), Some(3), Some(1)])
            .unwrap();
        assert_eq!(t.to_vec::<i32>().unwrap(), [1, 3, 0]);
        // An empty tensor pads to [nrows, 0].
        let empty =
            RaggedTensor::from_row_splits(here(Vec::<f32>::new()), here([0i64, 0, 0])).unwrap();
        assert_eq!(empty.to_tensor(&here(1.0f32)).unwrap().dims(), [2, 0]);
        assert_eq!(
            empty
                .to_tensor_with_shape(&here(1.0f32), &[None, Some(2)])
                .unwrap()
                .to_vec::<f32>()
                .unwrap(),
            [1.0; 4]
        );
    });
}

#[test]
fn from_tensor_lengths_padding_and_ragged_rank() {
    for_each_device(|_device| {
        let dense = here([[5, 7, 0], [0, 3, 0], [6, 0, 0]]);
        // tf.RaggedTensor.from_tensor(dt, lengths=[1, 0, 3]) -> [[5], [], [6, 0, 0]]
        let rt =
            RaggedTensor::from_tensor(&dense, TensorRows::Lengths(here([1i32, 0, 3]))).unwrap();
        assert_eq!(rt.to_string(), "<tf.RaggedTensor [[5], [], [6, 0, 0]]>");
        // tf.RaggedTensor.from_tensor(dt, padding=0) -> [[5, 7], [0, 3], [6]]
        let rt = RaggedTensor::from_tensor(&dense, TensorRows::Padding(here(0))).unwrap();
        assert_eq!(rt.to_string(), "<tf.RaggedTensor [[5, 7], [0, 3], [6]]>");
        let rt = RaggedTensor::from_tensor(&dense, TensorRows::All).unwrap();
        assert_eq!(splits(&rt), [vec![0, 3, 6, 9]]);
        assert!(rt.flat_values().shares_buffer_with(&dense));
        // Padding compares whole inner rows.
        let dense = here([[[1, 0], [0, 0]], [[0, 0], [0, 1]]]);
        let rt = RaggedTensor::from_tensor(&dense, TensorRows::Padding(here([0, 0]))).unwrap();
        assert_eq!(
            rt.to_string(),
            "<tf.RaggedTensor [[[1, 0]], [[0, 0], [0, 1]]]>"
        );
        // Ragged rank 2: lengths for each innermost row.
        let dense = here([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
        let rt = RaggedTensor::from_tensor_with_ragged_rank(
            &dense,
            TensorRows::Lengths(here([[2i64, 0], [1, 2]])),
            2,
        )
        .unwrap();
        assert_eq!(
            rt.to_string(),
            "<tf.RaggedTensor [[[1, 2], []], [[5], [7, 8]]]>"
        );
    });
}

#[test]
fn concat_map_and_numpy() {
    for_each_device(|device| {
        let a = ragged![[[1, 2]], [[3], []]];
        let b = ragged![[], [[4, 5, 6]]];
        let c = RaggedTensor::concat(&[&a, &b]).unwrap();
        assert_eq!(
            c.to_string(),
            "<tf.RaggedTensor [[[1, 2]], [[3], []], [], [[4, 5, 6]]]>"
        );
        assert_eq!(splits(&c), [vec![0, 1, 3, 3, 4], vec![0, 2, 3, 3, 6]]);
        let f = c
            .map_flat_values(|v| v.cast(DType::F64)?.mul_scalar(0.5))
            .unwrap();
        assert_eq!(
            f.flat_values().to_vec::<f64>().unwrap(),
            [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
        );
        let (values, nested) = c.numpy().unwrap();
        assert_eq!(values.len(), 6);
        assert_eq!(nested.len(), 2);
        assert_eq!(
            nested[1].view_typed::<i64>().unwrap().as_slice().unwrap(),
            [0, 2, 3, 3, 6]
        );
        // Moved out without a copy when the ragged tensor holds the only
        // handles (host values; device values are downloaded).
        let rows: Vec<Vec<u8>> = vec![vec![1, 2], vec![3]];
        let rt = RaggedTensor::from_nested(&rows).unwrap();
        let ptr = (device == Device::Cpu).then(|| rt.flat_values().view::<u8>().unwrap().as_ptr());
        let (values, _) = rt.into_numpy().unwrap();
        assert_eq!(
            values.view_typed::<u8>().unwrap().as_slice().unwrap(),
            [1, 2, 3]
        );
        if let Some(ptr) = ptr {
            assert_eq!(values.view_typed::<u8>().unwrap().as_ptr(), ptr);
        }
        // ToNumpy inside a tuple.
        let (x, (v, s)) = (here([1.0f32]), ragged![[1u16], []]).numpy().unwrap();
        assert_eq!((x.len(), v.dtype(), s[0].len()), (1, DType::U16, 3));
    });
}

#[test]
fn from_nested_dynamic_and_typed() {
    for_each_device(|_device| {
        let n = Nested::list([
            Nested::list([Nested::list([Nested::Scalar(1.5f64)]), Nested::list([])]),
            Nested::list([]),
        ]);
        let rt = RaggedTensor::from_nested(&n).unwrap();
        assert_eq!(rt.to_string(), "<tf.RaggedTensor [[[1.5], []], []]>");
        assert_eq!(rt.to_nested::<f64>().unwrap(), n);
        let typed: Vec<Vec<Vec<f64>>> = vec![vec![vec![1.5], vec![]], vec![]];
        let rt2 = RaggedTensor::from_nested(&typed).unwrap();
        assert_eq!(splits(&rt2), splits(&rt));
        let slices: Vec<&[i8]> = vec![&[1, 2], &[], &[3]];
        assert_eq!(
            splits(&RaggedTensor::from_nested(slices).unwrap()),
            [vec![0, 2, 2, 3]]
        );
    });
}

// ---- one test per validation rule ----

#[test]
fn row_splits_rules() {
    for_each_device(|_device| {
        let v = || here([1, 2, 3, 4]);
        let e = |s: Tensor| err(RaggedTensor::from_row_splits(v(), s));
        assert_eq!(
            e(here([[0i64, 4]])),
            "from_row_splits: row_splits must have rank 1, got a tensor of shape [1, 2]"
        );
        assert_eq!(
            e(here(Vec::<i64>::new())),
            "from_row_splits: row_splits must have at least one entry (nrows + 1), got shape [0]"
        );
        assert!(
            e(here([0.0f32, 4.0]))
                .contains("row_splits must be int64 (int32 is widened), found float32")
        );
        assert_eq!(
            e(here([1i64, 4])),
            "from_row_splits: row_splits[0] = 1 must be 0"
        );
        assert_eq!(
            e(here([0i64, 3, 2, 4])),
            "from_row_splits: row_splits[2] = 2 is less than row_splits[1] = 3; row splits must not decrease"
        );
        assert_eq!(
            e(here([0i64, 2, 5])),
            "from_row_splits: row_splits[2] = 5 (the last split) must equal the number of values \
         (values.shape[0]), 4"
        );
        // int32 splits are widened.
        let rt = RaggedTensor::from_row_splits(v(), here([0i32, 1, 4])).unwrap();
        assert_eq!(rt.row_splits().dtype(), DType::I64);
        assert_eq!(
            err(RaggedTensor::from_row_splits(here(1), here([0i64]))),
            "from_row_splits: values must have rank >= 1 (one row per value), got a scalar"
        );
    });
}

#[test]
fn nested_row_splits_rules() {
    for_each_device(|_device| {
        let v = || here([1, 2, 3]);
        assert_eq!(
            err(RaggedTensor::from_nested_row_splits(v(), vec![])),
            "from_nested_row_splits: nested_row_splits is empty; a ragged tensor needs at least one row partition"
        );
        assert_eq!(
            err(RaggedTensor::from_nested_row_splits(
                v(),
                vec![here([0i64, 1]), here([0i64, 1, 3])]
            )),
            "from_nested_row_splits: nested_row_splits[0][1] = 1 (the last split) must equal the \
         number of rows of nested_row_splits[1] (its length - 1), 2"
        );
        assert_eq!(
            err(RaggedTensor::from_nested_row_splits(
                v(),
                vec![here([0i64, 2]), here([0i64, 2, 1])]
            )),
            "from_nested_row_splits: nested_row_splits[1][2] = 1 is less than nested_row_splits[1][1] = 2; \
         row splits must not decrease"
        );
    });
}

#[test]
fn row_lengths_rules() {
    for_each_device(|_device| {
        let v = || here([1, 2, 3]);
        let e = |l: Tensor| err(RaggedTensor::from_row_lengths(v(), l));
        assert_eq!(
            e(here([2i64, -1, 2])),
            "from_row_lengths: row_lengths[1] = -1 is negative; row lengths must be >= 0"
        );
        assert_eq!(
            e(here([2i64, 2])),
            "from_row_lengths: row_lengths sum to 4 but there are 3 values (values.shape[0])"
        );
        assert!(
            e(here([i64::MAX, 1])).contains("row_lengths sum past i64::MAX at row_lengths[1] = 1")
        );
        assert!(e(here([1u8, 2])).contains("row_lengths must be int64"));
        assert_eq!(
            err(RaggedTensor::from_nested_row_lengths(
                v(),
                vec![here([3i64]), here([1i64, 2])]
            )),
            "from_nested_row_lengths: nested_row_lengths[0] sum to 3 but the next level has 2 rows \
         (nested_row_lengths[1] has that many entries)"
        );
    });
}

#[test]
fn value_rowids_rules() {
    for_each_device(|_device| {
        let v = || here([1, 2, 3]);
        let e = |ids: Tensor, n: Option<usize>| err(RaggedTensor::from_value_rowids(v(), ids, n));
        assert_eq!(
            e(here([0i64, -1, 0]), None),
            "from_value_rowids: value_rowids[1] = -1 is negative; row ids must be >= 0"
        );
        assert_eq!(
            e(here([0i64, 2, 1]), None),
            "from_value_rowids: value_rowids[2] = 1 is less than value_rowids[1] = 2; row ids must be sorted"
        );
        assert_eq!(
            e(here([0i64, 1, 2]), Some(2)),
            "from_value_rowids: value_rowids[2] = 2 is not < nrows = 2"
        );
        assert_eq!(
            e(here([0i64, 1]), None),
            "from_value_rowids: value_rowids has 2 entries but there are 3 values (values.shape[0]); \
         each value needs one row id"
        );
        assert!(
            e(here([0i64, 0, 0]), Some(usize::MAX))
                .contains("nrows = 18446744073709551615 is too large")
        );
        // An absurd nrows is refused before anything that size is allocated.
        assert!(matches!(
            RaggedTensor::from_value_rowids(v(), here([0i64, 0, 0]), Some(1 << 60)).unwrap_err(),
            Error::OutOfMemory { .. } | Error::ShapeOverflow { .. }
        ));
    });
}

#[test]
fn from_nested_rules() {
    for_each_device(|_device| {
        let s = Nested::Scalar;
        let e = |n: Nested<i32>| err(RaggedTensor::from_nested(&n));
        assert_eq!(
            e(Nested::list([Nested::list([s(1), Nested::list([s(2)])])])),
            "from_nested: nested[0] mixes scalars and lists: nested[0][0] is a scalar but nested[0][1] is a list"
        );
        assert_eq!(
            e(Nested::list([s(1), Nested::list([s(2)])])),
            "from_nested: nested mixes scalars and lists: nested[0] is a scalar but nested[1] is a list"
        );
        assert!(
            e(Nested::list([
                Nested::list([s(1)]),
                Nested::list([Nested::list([s(2)])])
            ]))
            .starts_with("from_nested: inconsistent depth: nested[0][0] is a scalar at depth 2")
        );
        assert!(e(Nested::list([s(1)])).contains("flat list"));
        assert!(e(s(1)).contains("nested is a scalar (1)"));
    });
}

#[test]
fn to_tensor_rules() {
    for_each_device(|_device| {
        let rt = ragged![[1, 2, 3], [4, 5], [6]];
        assert_eq!(
            err(rt.to_tensor(&here(0i64))),
            "to_tensor: expected dtype int32, found int64; tensorbridge never converts silently: call \
         .cast(DType::I32) first if a conversion is meant"
        );
        assert_eq!(
            err(rt.to_tensor_with_shape(&here(0), &[None, None, None])),
            "to_tensor: shape has 3 entries but the ragged tensor has rank 2 (shape [3, None]); give \
         one entry per dim, None to keep the bounding size"
        );
        assert_eq!(
            err(rt.to_tensor(&here([0, 0]))),
            "to_tensor: default_value of shape [2] does not broadcast to the inner dims [] of the \
         output; give a scalar or a tensor of those dims"
        );
        assert!(matches!(
            rt.to_tensor_with_shape(&here(0), &[Some(usize::MAX / 2), Some(4)])
                .unwrap_err(),
            Error::ShapeOverflow { .. }
        ));
        assert!(matches!(
            rt.to_tensor_with_shape(&here(0), &[Some(1 << 40), Some(1 << 10)])
                .unwrap_err(),
            Error::OutOfMemory { .. }
        ));
        let deep = ragged![[[1]], [[2, 3]]];
        assert!(matches!(
            deep.to_tensor_with_shape(&here(0), &[Some(1 << 20), Some(1 << 20), Some(1 << 20)])
                .unwrap_err(),
            Error::OutOfMemory { .. } | Error::ShapeOverflow { .. }
        ));
    });
}

#[test]
fn from_tensor_rules() {
    for_each_device(|_device| {
        let dense = here([[1, 2], [3, 4]]);
        let e = |rows: TensorRows| err(RaggedTensor::from_tensor(&dense, rows));
        assert_eq!(
            e(TensorRows::Lengths(here([1i64, 3]))),
            "from_tensor: lengths[1] = 3 is outside 0..=2 (the tensor's dim 1)"
        );
        assert_eq!(
            e(TensorRows::Lengths(here([-1i64, 0]))),
            "from_tensor: lengths[0] = -1 is outside 0..=2 (the tensor's dim 1)"
        );
        assert_eq!(
            e(TensorRows::Lengths(here([1i64, 1, 1]))),
            "from_tensor: lengths must have shape [2] (tensor.shape[..ragged_rank], one per row), got [3]"
        );
        assert!(
            e(TensorRows::Padding(here(0.0f32))).contains("expected dtype int32, found float32")
        );
        assert!(
            e(TensorRows::Padding(here([0, 0, 0])))
                .contains("padding of shape [3] does not broadcast")
        );
        assert_eq!(
            err(RaggedTensor::from_tensor(&here([1, 2]), TensorRows::All)),
            "from_tensor: ragged_rank = 1 must be in 1..1 for a tensor of shape [2] (the rows and at \
         least one dim to make ragged)"
        );
    });
}

#[test]
fn other_rules() {
    for_each_device(|_device| {
        let rt = ragged![[1, 2], [3]];
        assert_eq!(
            err(rt.row(2)),
            "RaggedTensor::row: index 2 is out of bounds for axis 0 with size 2"
        );
        assert!(
            err(rt.map_flat_values(|v| v.slice([SliceArg::range(Some(1), None, 1)]))).contains(
                "f returned a tensor of shape [2] but the ragged tensor has 3 flat values"
            )
        );
        assert!(err(RaggedTensor::concat(&[])).contains("tensors is empty"));
        let deep = ragged![[[1]]];
        assert!(
            err(RaggedTensor::concat(&[&rt, &deep]))
                .contains("tensors[1] has shape [1, None, None]")
        );
        assert!(
            err(RaggedTensor::concat(&[&rt, &ragged![[1i64]]])).contains("expected dtype int32")
        );
        assert!(err(deep.to_nested_vec::<i32>()).contains("use to_nested"));
        assert!(err(rt.to_nested_vec::<f32>()).contains("expected dtype float32, found int32"));
    });
}

/// `tf.ragged.constant([[1, 2], [], [3]]).to_sparse()`: indices
/// `[[0, 0], [0, 1], [2, 0]]`, values `[1, 2, 3]`, dense_shape `[3, 2]`;
/// densified, `[[1, 2], [0, 0], [3, 0]]`.
#[test]
fn to_sparse_of_rows_with_an_empty_one() {
    for_each_device(|device| {
        let rt = RaggedTensor::from_row_splits(
            Tensor::from_vec(vec![1, 2, 3], [3]).unwrap(),
            here([0i64, 2, 2, 3]),
        )
        .unwrap();
        let st = rt.to_sparse().unwrap();
        assert_eq!(st.device(), device);
        assert_eq!(
            st.indices().to_array::<i64>().unwrap(),
            arr2(&[[0i64, 0], [0, 1], [2, 0]]).into_dyn()
        );
        assert_eq!(st.values().to_vec::<i32>().unwrap(), [1, 2, 3]);
        assert_eq!(st.dense_shape().dims(), [3, 2]);
        assert!(st.is_canonical());
        assert_eq!(
            st.to_dense().unwrap().to_array::<i32>().unwrap(),
            arr2(&[[1, 2], [0, 0], [3, 0]]).into_dyn()
        );
    });
}

/// Ragged rank 2 with inner dims: `[[[[1, 2]], [[3, 4], [5, 6]]], [[]]]`
/// (values of shape [3, 2]; bounding shape [2, 2, 2, 2]).
#[test]
fn to_sparse_of_ragged_rank_two_with_inner_dims() {
    for_each_device(|_device| {
        let rt = RaggedTensor::from_nested_row_splits(
            here([[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]]),
            vec![here([0i64, 2, 3]), here([0i64, 1, 3, 3])],
        )
        .unwrap();
        let st = rt.to_sparse().unwrap();
        assert_eq!(st.dense_shape().dims(), [2, 2, 2, 2]);
        #[rustfmt::skip]
    let want = [
        [0i64, 0, 0, 0], [0, 0, 0, 1],
        [0, 1, 0, 0], [0, 1, 0, 1],
        [0, 1, 1, 0], [0, 1, 1, 1],
    ];
        assert_eq!(
            st.indices().to_array::<i64>().unwrap(),
            arr2(&want).into_dyn()
        );
        assert_eq!(
            st.values().to_vec::<f32>().unwrap(),
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
        assert!(st.is_canonical());
    });
}

/// A tensor large enough for the indices to be written on all cores:
/// about 450 000 values in rows of 0 to 6 values, each of inner dim 2
/// (2.7 million index entries); every index row checked against the row
/// lengths.
#[test]
fn to_sparse_of_a_large_tensor() {
    for_each_device(|_device| {
        let lengths: Vec<i64> = (0..150_000).map(|r| r % 7).collect();
        let nvals: i64 = lengths.iter().sum();
        let values = Tensor::arange(0i64, 2 * nvals, 1)
            .unwrap()
            .reshape([nvals as usize, 2])
            .unwrap();
        let rt = RaggedTensor::from_row_lengths(values, here(lengths.clone())).unwrap();
        let st = rt.to_sparse().unwrap();
        assert_eq!(st.dense_shape().dims(), [150_000, 6, 2]);
        let idx = st.indices().to_vec::<i64>().unwrap();
        let mut want = Vec::with_capacity(idx.len());
        for (r, &len) in lengths.iter().enumerate() {
            for j in 0..len {
                for c in 0..2 {
                    want.extend([r as i64, j, c]);
                }
            }
        }
        assert_eq!(idx.len(), 3 * 2 * nvals as usize);
        assert!(idx == want, "the index rows differ from the row lengths'");
        assert_eq!(
            st.values().to_vec::<i64>().unwrap(),
            (0..2 * nvals).collect::<Vec<_>>()
        );
    });
}

/// A ragged tensor's parts share one device: a constructor given values
/// on a GPU and a row partition on the host refuses them, naming both, and
/// partitions computed from a device tensor stay on its device.
#[test]
fn parts_on_two_devices_are_refused() {
    for_each_device(|device| {
        if device == Device::Cpu {
            return;
        }
        let values = here([1, 2, 3]);
        let host = |v: &[i64]| Tensor::from(v.to_vec());
        let e = RaggedTensor::from_row_splits(values.clone(), host(&[0, 2, 3])).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "from_row_splits: values live on {device} but row_splits on cpu; a ragged \
                 tensor's parts share one device: move row_splits with \
                 .to_device(Device::{device:?}) first"
            )
        );
        let err = |r: tensorbridge::Result<RaggedTensor>| r.unwrap_err().to_string();
        assert!(
            err(RaggedTensor::from_row_lengths(
                values.clone(),
                host(&[2, 1])
            ))
            .contains("but row_lengths on cpu")
        );
        assert!(
            err(RaggedTensor::from_value_rowids(
                values.clone(),
                host(&[0, 0, 1]),
                None
            ))
            .contains("but value_rowids on cpu")
        );
        assert!(
            err(RaggedTensor::from_nested_row_splits(
                values.clone(),
                vec![host(&[0, 1]), here([0i64, 2, 3])]
            ))
            .contains("but nested_row_splits[0] on cpu")
        );
        assert!(
            err(RaggedTensor::from_nested_row_lengths(
                values.clone(),
                vec![here([1i64]), host(&[2, 1])]
            ))
            .contains("but nested_row_lengths[1] on cpu")
        );
        // On one device, every part and every derived partition stays there.
        let rt = RaggedTensor::from_row_lengths(values, here([2i64, 0, 1])).unwrap();
        assert_eq!(rt.row_splits().device(), device);
        assert_eq!(rt.row_lengths().unwrap().device(), device);
        assert_eq!(
            rt.value_rowids().unwrap().to_vec::<i64>().unwrap(),
            [0, 0, 2]
        );
        assert_eq!(rt.value_rowids().unwrap().device(), device);
        let both = RaggedTensor::concat(&[&rt, &rt]).unwrap();
        assert_eq!(both.row_splits().device(), device);
        assert_eq!(
            both.row_splits().to_vec::<i64>().unwrap(),
            [0, 2, 2, 3, 5, 5, 6]
        );
        assert_eq!(rt.to_string(), "<tf.RaggedTensor [[1, 2], [], [3]]>");
        // f may not move the values away from their splits.
        let e = rt.map_flat_values(|v| v.cpu()).unwrap_err().to_string();
        assert!(
            e.contains(&format!(
                "f returned a tensor on cpu but the row splits live on {device}"
            )),
            "{e}"
        );
    });
}
