//! Index ops suite: gather, index_select, gather_with_padding,
//! pad_segments, scatter_nd and segment_sum against naive references (index by index, on `i64`
//! values, cast to the dtype under test at the end) over random shapes,
//! layouts, dtypes and index dtypes; TensorFlow's documented examples; and
//! every validation rule broken once.

#[path = "views_helper.rs"]
mod views_helper;

use proptest::prelude::*;
use tensorbridge::ScatterMode;
use tensorbridge::prelude::*;
use tensorbridge_tests::{for_each_device, here, on_each_device};
use views_helper::*;

/// The position (as `"name[i, j]"`) of element `flat` of a tensor of `dims`.
fn loc(name: &str, flat: usize, dims: &[usize]) -> String {
    if dims.is_empty() {
        return name.to_owned();
    }
    let parts: Vec<String> = unravel(flat, dims).iter().map(|i| i.to_string()).collect();
    format!("{name}[{}]", parts.join(", "))
}

/// Asserts that `e` is `IndexOutOfBounds` with exactly this message.
fn assert_oob(e: &Error, message: &str) {
    assert!(
        matches!(e, Error::IndexOutOfBounds { .. }),
        "expected IndexOutOfBounds, got {e:?}"
    );
    assert_eq!(e.to_string(), message);
}

// ---------------------------------------------------------------- gather

/// A gather case: params, an axis, indices (some maybe out of bounds).
#[derive(Debug, Clone)]
struct GatherCase {
    pdims: Vec<usize>,
    pdata: Vec<i64>,
    pkind: Kind,
    dtype: DType,
    axis: isize,
    idims: Vec<usize>,
    idx: Vec<i64>,
    ikind: Kind,
    as_i32: bool,
}

fn gather_cases(max_index_rank: usize) -> impl Strategy<Value = GatherCase> {
    (dims(1, 4, 4), kinds(), dtypes())
        .prop_flat_map(move |(pdims, pkind, dtype)| {
            let n: usize = pdims.iter().product();
            let rank = pdims.len() as isize;
            (
                Just(pdims),
                values(n),
                Just(pkind),
                Just(dtype),
                -rank..rank,
                dims(if max_index_rank == 1 { 1 } else { 0 }, max_index_rank, 4),
                kinds(),
                any::<bool>(),
            )
        })
        .prop_flat_map(|(pdims, pdata, pkind, dtype, axis, idims, ikind, as_i32)| {
            let a = axis.rem_euclid(pdims.len() as isize) as usize;
            let n = pdims[a] as i64;
            let m: usize = idims.iter().product();
            let index = prop_oneof![12 => 0..n.max(1), 1 => -3..n + 3];
            (
                Just((pdims, pdata, pkind, dtype, axis, idims, ikind, as_i32)),
                proptest::collection::vec(index, m),
            )
        })
        .prop_map(
            |((pdims, pdata, pkind, dtype, axis, idims, ikind, as_i32), idx)| GatherCase {
                pdims,
                pdata,
                pkind,
                dtype,
                axis,
                idims,
                idx,
                ikind,
                as_i32,
            },
        )
}

/// The naive gather: `Ok((values, dims))`, or `Err(position)` of the first
/// index outside `0..n` (`-1` allowed when `padding` is given, meaning a
/// row of `padding`).
fn gather_ref(
    p: &[i64],
    pdims: &[usize],
    idx: &[i64],
    idims: &[usize],
    axis: usize,
    padding: Option<&[i64]>,
) -> Result<(Vec<i64>, Vec<usize>), usize> {
    let n = pdims[axis] as i64;
    if let Some(bad) = idx
        .iter()
        .position(|&k| !((0..n).contains(&k) || (k == -1 && padding.is_some())))
    {
        return Err(bad);
    }
    let mut odims = pdims[..axis].to_vec();
    odims.extend_from_slice(idims);
    odims.extend_from_slice(&pdims[axis + 1..]);
    let inner_dims = &pdims[axis + 1..];
    let out = indices_of(&odims)
        .map(|o| {
            let (outer, rest) = o.split_at(axis);
            let (ii, inner) = rest.split_at(idims.len());
            let k = idx[ravel(ii, idims)];
            if k == -1 {
                return padding.unwrap()[ravel(inner, inner_dims)];
            }
            let mut pi = outer.to_vec();
            pi.push(k as usize);
            pi.extend_from_slice(inner);
            p[ravel(&pi, pdims)]
        })
        .collect();
    Ok((out, odims))
}

fn check_gather(case: &GatherCase, select: bool) {
    let (params, logical) = input(&case.pdata, &case.pdims, case.pkind, case.dtype);
    let idtype = if case.as_i32 { DType::I32 } else { DType::I64 };
    let (indices, idx) = input(&case.idx, &case.idims, case.ikind, idtype);
    let axis = case.axis.rem_euclid(case.pdims.len() as isize) as usize;
    let (op, got) = if select {
        ("index_select", params.index_select(case.axis, &indices))
    } else {
        ("gather", params.gather(&indices, case.axis))
    };
    match gather_ref(&logical, &case.pdims, &idx, &case.idims, axis, None) {
        Ok((want, odims)) => {
            let got = got.unwrap();
            assert!(
                same(&got, &expected(want, &odims, case.dtype)),
                "{case:?}: got {:?}",
                got.numpy()
            );
            assert!(got.is_contiguous());
        }
        Err(bad) => assert_oob(
            &got.unwrap_err(),
            &format!(
                "{op}: {} = {} is out of bounds for axis {axis} with size {}",
                loc("indices", bad, &case.idims),
                idx[bad],
                case.pdims[axis]
            ),
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn gather_matches_reference(case in gather_cases(3)) {
        for_each_device(|_| check_gather(&case, false));
    }

    #[test]
    fn index_select_matches_reference(case in gather_cases(1)) {
        for_each_device(|_| check_gather(&case, true));
    }
}

#[test]
fn gather_tf_doc_examples() {
    for_each_device(|_device| {
        // tf.gather: params = tf.constant(['p0', ..., 'p5']) stands here as 0..6.
        let params = here([0i32, 1, 2, 3, 4, 5]);
        assert_eq!(
            params
                .gather(&here(3i64), 0)
                .unwrap()
                .to_vec::<i32>()
                .unwrap(),
            [3]
        );
        let g = params.gather(&here([2i64, 0, 2, 5]), 0).unwrap();
        assert_eq!(g.to_vec::<i32>().unwrap(), [2, 0, 2, 5]);
        let g = params.gather(&here([[2i64, 0], [2, 5]]), 0).unwrap();
        assert_eq!(g.dims(), [2, 2]);
        assert_eq!(g.to_vec::<i32>().unwrap(), [2, 0, 2, 5]);
        // A scalar index drops the axis.
        assert_eq!(params.gather(&here(3i32), 0).unwrap().dims(), [0; 0]);

        // params = [[0, 1.0, 2.0], [10.0, 11.0, 12.0], [20.0, 21.0, 22.0], [30.0, 31.0, 32.0]]
        let params = here([
            [0.0f64, 1.0, 2.0],
            [10.0, 11.0, 12.0],
            [20.0, 21.0, 22.0],
            [30.0, 31.0, 32.0],
        ]);
        let g = params.gather(&here([3i64, 1]), 0).unwrap();
        assert_eq!(
            g.to_vec::<f64>().unwrap(),
            [30.0, 31.0, 32.0, 10.0, 11.0, 12.0]
        );
        let g = params.gather(&here([2i64, 1]), 1).unwrap();
        assert_eq!(
            g.to_vec::<f64>().unwrap(),
            [2.0, 1.0, 12.0, 11.0, 22.0, 21.0, 32.0, 31.0]
        );
        // tf.gather(params, [[2, 0], [1, 1]], axis=1): shape [4, 2, 2].
        let g = params.gather(&here([[2i64, 0], [1, 1]]), 1).unwrap();
        assert_eq!(g.dims(), [4, 2, 2]);
        assert_eq!(
            g.to_vec::<f64>().unwrap()[..8],
            [2.0, 0.0, 1.0, 1.0, 12.0, 10.0, 11.0, 11.0]
        );
        // index_select picks columns like torch.index_select.
        let s = params.index_select(-1, &here([0i32, 0])).unwrap();
        assert_eq!(s.dims(), [4, 2]);
        assert_eq!(
            s.to_vec::<f64>().unwrap(),
            [0.0, 0.0, 10.0, 10.0, 20.0, 20.0, 30.0, 30.0]
        );
    });
}

#[test]
fn gather_validation() {
    for_each_device(|_device| {
        let params = here([
            [1.0f32, 2.0],
            [3.0, 4.0],
            [5.0, 6.0],
            [7.0, 8.0],
            [9.0, 10.0],
        ]);
        // Out of bounds, with the position in indices.
        let e = params.gather(&here([[0i64], [7]]), 0).unwrap_err();
        assert_oob(
            &e,
            "gather: indices[1, 0] = 7 is out of bounds for axis 0 with size 5",
        );
        assert!(matches!(
            e,
            Error::IndexOutOfBounds {
                index: 7,
                axis: 0,
                size: 5,
                ..
            }
        ));
        // Negative indices do not wrap.
        let e = params.gather(&here([1i32, -1]), 0).unwrap_err();
        assert_oob(
            &e,
            "gather: indices[1] = -1 is out of bounds for axis 0 with size 5",
        );
        // The first bad index is reported; along axis 1 the size is 2.
        let e = params.gather(&here([0i64, 2, 3]), 1).unwrap_err();
        assert_oob(
            &e,
            "gather: indices[1] = 2 is out of bounds for axis 1 with size 2",
        );
        // A scalar index is named without brackets.
        let e = params.gather(&here(9i64), 0).unwrap_err();
        assert_oob(
            &e,
            "gather: indices = 9 is out of bounds for axis 0 with size 5",
        );
        // Indices of a float dtype.
        let e = params.gather(&here([0.0f32]), 0).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
        assert!(
            e.to_string().contains("int32 or int64, found float32"),
            "{e}"
        );
        // Axis out of range, and scalar params.
        let e = params.gather(&here([0i64]), 2).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }));
        assert!(
            e.to_string().contains("axis 2 is out of range for rank 2"),
            "{e}"
        );
        let e = here(1.0f32).gather(&here([0i64]), 0).unwrap_err();
        assert!(e.to_string().contains("out of range for rank 0"), "{e}");
        // Indices into an empty axis are all out of bounds.
        let empty = Tensor::zeros([0, 3], DType::F32).unwrap();
        assert_oob(
            &empty.gather(&here([0i64]), 0).unwrap_err(),
            "gather: indices[0] = 0 is out of bounds for axis 0 with size 0",
        );
        // ... even when the output would be empty.
        assert_oob(
            &empty.gather(&here([5i64]), 1).unwrap_err(),
            "gather: indices[0] = 5 is out of bounds for axis 1 with size 3",
        );
        // An output whose size overflows.
        let huge = here(1.0f32).broadcast_to([1usize << 31, 1 << 31]).unwrap();
        let big_idx = here(0i64).broadcast_to([1usize << 31, 1 << 31]).unwrap();
        let e = huge.gather(&big_idx, 0).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
        // An output larger than any machine: the allocator refuses it.
        let wide = here(1.0f32).broadcast_to([1usize << 20, 1 << 20]).unwrap();
        let many = here(0i64).broadcast_to([1usize << 20]).unwrap();
        let e = wide.gather(&many, 0).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
    });
}

#[test]
fn index_select_validation() {
    for_each_device(|_device| {
        let t = here([[1, 2], [3, 4]]);
        let e = t.index_select(0, &here([[0i64, 1]])).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }));
        assert!(e.to_string().contains("rank 1, got shape [1, 2]"), "{e}");
        assert_oob(
            &t.index_select(1, &here([1i64, 2])).unwrap_err(),
            "index_select: indices[1] = 2 is out of bounds for axis 1 with size 2",
        );
        assert!(t.index_select(-3, &here([0i64])).is_err());
    });
}

// --------------------------------------------------- gather_with_padding

#[derive(Debug, Clone)]
struct PadGatherCase {
    pdims: Vec<usize>,
    pdata: Vec<i64>,
    pkind: Kind,
    dtype: DType,
    idims: Vec<usize>,
    idx: Vec<i64>,
    as_i32: bool,
    /// `None`: a scalar fill of 42; `Some`: a whole row of fill.
    fill_row: Option<Vec<i64>>,
}

fn pad_gather_cases() -> impl Strategy<Value = PadGatherCase> {
    (
        dims(1, 3, 4),
        kinds(),
        dtypes(),
        dims(0, 3, 4),
        any::<bool>(),
    )
        .prop_flat_map(|(pdims, pkind, dtype, idims, as_i32)| {
            let n: usize = pdims.iter().product();
            let row: usize = pdims[1..].iter().product();
            let rows = pdims[0] as i64;
            let m: usize = idims.iter().product();
            let index = prop_oneof![8 => 0..rows.max(1), 4 => Just(-1i64), 1 => -3..rows + 3];
            (
                Just((pdims, pkind, dtype, idims, as_i32)),
                values(n),
                proptest::collection::vec(index, m),
                proptest::option::of(values(row)),
            )
        })
        .prop_map(
            |((pdims, pkind, dtype, idims, as_i32), pdata, idx, fill_row)| PadGatherCase {
                pdims,
                pdata,
                pkind,
                dtype,
                idims,
                idx,
                as_i32,
                fill_row,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn gather_with_padding_matches_reference(case in pad_gather_cases()) {
        on_each_device(|_device| {
        let (params, logical) = input(&case.pdata, &case.pdims, case.pkind, case.dtype);
        let indices = index_tensor(&case.idx, &case.idims, case.as_i32);
        let row_dims = &case.pdims[1..];
        let row_len: usize = row_dims.iter().product();
        let (fill, pad) = match &case.fill_row {
            None => (scalar(42, case.dtype), vec![42; row_len]),
            Some(r) => (expected(r.clone(), row_dims, case.dtype), r.clone()),
        };
        let got = params.gather_with_padding(&indices, &fill);
        match gather_ref(&logical, &case.pdims, &case.idx, &case.idims, 0, Some(&pad)) {
            Ok((want, odims)) => {
                let got = got.unwrap();
                prop_assert!(same(&got, &expected(want, &odims, case.dtype)), "{:?}", got.numpy());
            }
            Err(bad) => assert_oob(
                &got.unwrap_err(),
                &format!(
                    "gather_with_padding: {} = {} is out of bounds for axis 0 with size {}",
                    loc("indices", bad, &case.idims),
                    case.idx[bad],
                    case.pdims[0]
                ),
            ),
        }
        Ok(())
        })?;
    }
}

#[test]
fn gather_with_padding_pads_ragged_rows() {
    for_each_device(|_device| {
        // Ragged [[1, 2], [], [3, 4, 5]] of rows of 2 values, padded to 3 with [0, -1].
        let values = here([[1, 10], [2, 20], [3, 30], [4, 40], [5, 50]]);
        let indices = here([[0i64, 1, -1], [-1, -1, -1], [2, 3, 4]]);
        let out = values
            .gather_with_padding(&indices, &here([0, -1]))
            .unwrap();
        assert_eq!(out.dims(), [3, 3, 2]);
        assert_eq!(
            out.to_vec::<i32>().unwrap(),
            [
                1, 10, 2, 20, 0, -1, 0, -1, 0, -1, 0, -1, 3, 30, 4, 40, 5, 50
            ]
        );
        // A scalar fill broadcasts to the row.
        let out = values
            .gather_with_padding(&here([-1i32, 4]), &here(9))
            .unwrap();
        assert_eq!(out.to_vec::<i32>().unwrap(), [9, 9, 5, 50]);
    });
}

#[test]
fn gather_with_padding_validation() {
    for_each_device(|_device| {
        let values = here([1.0f32, 2.0, 3.0, 4.0]);
        let fill = here(0.0f32);
        assert_oob(
            &values
                .gather_with_padding(&here([0i64, 1, 2, -2]), &fill)
                .unwrap_err(),
            "gather_with_padding: indices[3] = -2 is out of bounds for axis 0 with size 4",
        );
        assert_oob(
            &values
                .gather_with_padding(&here([[-1i64, 4]]), &fill)
                .unwrap_err(),
            "gather_with_padding: indices[0, 1] = 4 is out of bounds for axis 0 with size 4",
        );
        // Fill of another dtype: no silent cast.
        let e = values
            .gather_with_padding(&here([0i64]), &here(0i32))
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::DTypeMismatch {
                    expected: DType::F32,
                    found: DType::I32,
                    ..
                }
            ),
            "{e:?}"
        );
        // Fill that does not broadcast to a row.
        let rows = here([[1, 2], [3, 4]]);
        let e = rows
            .gather_with_padding(&here([-1i64]), &here([1, 2, 3]))
            .unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e:?}");
        assert!(
            e.to_string()
                .contains("fill of shape [3] does not broadcast to the rows of shape [2]"),
            "{e}"
        );
        // A scalar has no rows.
        let e = here(1.0f32)
            .gather_with_padding(&here([0i64]), &fill)
            .unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }));
        // Index dtype.
        let e = values.gather_with_padding(&here([0u8]), &fill).unwrap_err();
        assert!(e.to_string().contains("found uint8"), "{e}");
    });
}

// ---------------------------------------------------------- pad_segments

#[derive(Debug, Clone)]
struct SegmentsCase {
    vdims: Vec<usize>,
    vdata: Vec<i64>,
    vkind: Kind,
    dtype: DType,
    splits: Vec<i64>,
    skind: Kind,
    as_i32: bool,
    width: usize,
    fill_row: Option<Vec<i64>>,
}

fn segments_cases() -> impl Strategy<Value = SegmentsCase> {
    (
        dims(1, 3, 4),
        kinds(),
        dtypes(),
        kinds(),
        any::<bool>(),
        0usize..5,
    )
        .prop_flat_map(|(vdims, vkind, dtype, skind, as_i32, width)| {
            let n: usize = vdims.iter().product();
            let row: usize = vdims[1..].iter().product();
            let nvals = vdims[0] as i64;
            // Mostly valid splits (sorted draws from 0..=nvals), sometimes any.
            let valid = proptest::collection::vec(0..=nvals, 1..6).prop_map(|mut v| {
                v.sort_unstable();
                v
            });
            let any_splits = proptest::collection::vec(-1..=nvals + 1, 0..6);
            (
                Just((vdims, vkind, dtype, skind, as_i32, width)),
                values(n),
                prop_oneof![6 => valid, 1 => any_splits],
                proptest::option::of(values(row)),
            )
        })
        .prop_map(
            |((vdims, vkind, dtype, skind, as_i32, width), vdata, splits, fill_row)| SegmentsCase {
                vdims,
                vdata,
                vkind,
                dtype,
                splits,
                skind,
                as_i32,
                width,
                fill_row,
            },
        )
}

/// The naive pad_segments: the values and dims, or the expected message.
fn segments_ref(
    c: &SegmentsCase,
    values: &[i64],
    splits: &[i64],
    pad: &[i64],
) -> Result<(Vec<i64>, Vec<usize>), String> {
    let nvals = c.vdims[0] as i64;
    if splits.is_empty() {
        return Err("pad_segments: row_splits must have shape [nrows + 1] (rank 1, at least one entry), got [0]".into());
    }
    for (r, &v) in splits.iter().enumerate() {
        if !(0..=nvals).contains(&v) {
            return Err(format!(
                "pad_segments: row_splits[{r}] = {v} is outside 0..={nvals} (the number of values)"
            ));
        }
        if r > 0 && v < splits[r - 1] {
            return Err(format!(
                "pad_segments: row_splits[{r}] = {v} is less than row_splits[{}] = {}; row splits \
                 must not decrease",
                r - 1,
                splits[r - 1]
            ));
        }
    }
    let row_dims = &c.vdims[1..];
    let mut odims = vec![splits.len() - 1, c.width];
    odims.extend_from_slice(row_dims);
    let out = indices_of(&odims)
        .map(|i| {
            let (r, j, rest) = (i[0], i[1] as i64, &i[2..]);
            if splits[r] + j < splits[r + 1] {
                let mut vi = vec![(splits[r] + j) as usize];
                vi.extend_from_slice(rest);
                values[ravel(&vi, &c.vdims)]
            } else {
                pad[ravel(rest, row_dims)]
            }
        })
        .collect();
    Ok((out, odims))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn pad_segments_matches_reference(c in segments_cases()) {
        on_each_device(|_device| {
        let (values, logical) = input(&c.vdata, &c.vdims, c.vkind, c.dtype);
        let sdtype = if c.as_i32 { DType::I32 } else { DType::I64 };
        let (splits, split_values) = input(&c.splits, &[c.splits.len()], c.skind, sdtype);
        let row_dims = &c.vdims[1..];
        let row_len: usize = row_dims.iter().product();
        let (fill, pad) = match &c.fill_row {
            None => (scalar(-7, c.dtype), vec![-7; row_len]),
            Some(r) => (expected(r.clone(), row_dims, c.dtype), r.clone()),
        };
        let got = values.pad_segments(&splits, c.width, &fill);
        match segments_ref(&c, &logical, &split_values, &pad) {
            Ok((want, odims)) => {
                let got = got.unwrap();
                prop_assert!(same(&got, &expected(want, &odims, c.dtype)), "{:?}", got.numpy());
            }
            Err(message) => {
                let e = got.unwrap_err();
                prop_assert!(matches!(e, Error::InvalidArgument { .. }), "{:?}", e);
                prop_assert_eq!(e.to_string(), message);
            }
        }
        Ok(())
        })?;
    }
}

#[test]
fn pad_segments_examples_and_validation() {
    for_each_device(|_device| {
        // tf.ragged.constant([[[1, 2], [3, 4]], [], [[5, 6]]]).to_tensor(default_value=[0, -1])
        let values = here([[1, 2], [3, 4], [5, 6]]);
        let splits = here([0i32, 2, 2, 3]);
        let dense = values.pad_segments(&splits, 2, &here([0, -1])).unwrap();
        assert_eq!(dense.dims(), [3, 2, 2]);
        assert_eq!(
            dense.to_vec::<i32>().unwrap(),
            [1, 2, 3, 4, 0, -1, 0, -1, 5, 6, 0, -1]
        );
        // Splits of a sliced ragged tensor need not start at 0.
        let dense = values.pad_segments(&here([1i64, 3]), 3, &here(0)).unwrap();
        assert_eq!(dense.to_vec::<i32>().unwrap(), [3, 4, 5, 6, 0, 0]);

        let fill = here(0);
        let invalid = |e: Error, message: &str| {
            assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
            assert_eq!(e.to_string(), message);
        };
        invalid(
            values.pad_segments(&here([0i64, 4]), 2, &fill).unwrap_err(),
            "pad_segments: row_splits[1] = 4 is outside 0..=3 (the number of values)",
        );
        invalid(
            values
                .pad_segments(&here([-1i64, 2]), 2, &fill)
                .unwrap_err(),
            "pad_segments: row_splits[0] = -1 is outside 0..=3 (the number of values)",
        );
        invalid(
            values
                .pad_segments(&here([0i64, 3, 2]), 2, &fill)
                .unwrap_err(),
            "pad_segments: row_splits[2] = 2 is less than row_splits[1] = 3; row splits must not decrease",
        );
        invalid(
            values
                .pad_segments(&here([[0i64, 3]]), 2, &fill)
                .unwrap_err(),
            "pad_segments: row_splits must have shape [nrows + 1] (rank 1, at least one entry), got [1, 2]",
        );
        let e = values
            .pad_segments(&here([0.0f32, 3.0]), 2, &fill)
            .unwrap_err();
        assert!(
            e.to_string().contains("int32 or int64, found float32"),
            "{e}"
        );
        let e = values
            .pad_segments(&here([0i64, 3]), 2, &here(0u8))
            .unwrap_err();
        assert!(matches!(e, Error::DTypeMismatch { .. }), "{e:?}");
        let e = values
            .pad_segments(&here([0i64, 3]), 2, &here([1, 2, 3]))
            .unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e:?}");
        assert!(here(1).pad_segments(&here([0i64]), 2, &fill).is_err());
        let e = values
            .pad_segments(&here([0i64, 3]), usize::MAX, &fill)
            .unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
        let e = values
            .pad_segments(&here([0i64, 3]), 1 << 40, &fill)
            .unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
    });
}

// ------------------------------------------------------------ scatter_nd

#[derive(Debug, Clone)]
struct ScatterCase {
    shape: Vec<usize>,
    k: usize,
    n: usize,
    idx: Vec<i64>,
    ikind: Kind,
    as_i32: bool,
    updates: Vec<i64>,
    ukind: Kind,
    fill: i64,
    dtype: DType,
    mode: ScatterMode,
}

fn scatter_cases() -> impl Strategy<Value = ScatterCase> {
    let modes = proptest::sample::select(vec![
        ScatterMode::Error,
        ScatterMode::Last,
        ScatterMode::Add,
    ]);
    (
        dims(0, 3, 4),
        0usize..7,
        kinds(),
        kinds(),
        any::<bool>(),
        -5i64..5,
        sum_dtypes(),
        modes,
    )
        .prop_flat_map(|(shape, n, ikind, ukind, as_i32, fill, dtype, mode)| {
            let rank = shape.len();
            (
                Just((shape, n, ikind, ukind, as_i32, fill, dtype, mode)),
                0..=rank,
            )
        })
        .prop_flat_map(|((shape, n, ikind, ukind, as_i32, fill, dtype, mode), k)| {
            let entries: Vec<BoxedStrategy<i64>> = (0..n * k)
                .map(|f| {
                    let d = shape[f % k] as i64;
                    prop_oneof![20 => 0..d.max(1), 1 => -2..d + 2].boxed()
                })
                .collect();
            let u: usize = n * shape[k..].iter().product::<usize>();
            (
                Just((shape, n, ikind, ukind, as_i32, fill, dtype, mode, k)),
                entries,
                values(u),
            )
        })
        .prop_map(
            |((shape, n, ikind, ukind, as_i32, fill, dtype, mode, k), idx, updates)| ScatterCase {
                shape,
                k,
                n,
                idx,
                ikind,
                as_i32,
                updates,
                ukind,
                fill,
                dtype,
                mode,
            },
        )
}

/// The naive scatter: the expected output values, or the expected error
/// message.
fn scatter_ref(c: &ScatterCase) -> Result<Vec<i64>, String> {
    let k = c.k;
    for (f, &v) in c.idx.iter().enumerate() {
        let j = f % k;
        if !(0..c.shape[j] as i64).contains(&v) {
            return Err(format!(
                "scatter_nd: indices[{}, {j}] = {v} is out of bounds for axis {j} with size {}",
                f / k,
                c.shape[j]
            ));
        }
    }
    let row = |r: usize| &c.idx[r * k..(r + 1) * k];
    if c.mode == ScatterMode::Error {
        for j in 0..c.n {
            if let Some(i) = (0..j).find(|&i| row(i) == row(j)) {
                let text: Vec<String> = row(j).iter().map(|v| v.to_string()).collect();
                return Err(format!(
                    "scatter_nd: indices[{j}] = [{}] repeats indices[{i}]; each position may be \
                     named once (ScatterMode::Last or ScatterMode::Add combine repeats)",
                    text.join(", ")
                ));
            }
        }
    }
    let inner: usize = c.shape[k..].iter().product();
    let total: usize = c.shape.iter().product();
    let mut out = vec![c.fill; total];
    let mut touched = vec![false; total];
    for r in 0..c.n {
        let pos: Vec<usize> = row(r).iter().map(|&v| v as usize).collect();
        let start = ravel(&pos, &c.shape[..k]) * inner;
        for e in 0..inner {
            let u = c.updates[r * inner + e];
            out[start + e] = match c.mode {
                ScatterMode::Add => out[start + e] + u,
                _ => u,
            };
            touched[start + e] = true;
        }
    }
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn scatter_nd_matches_reference(c in scatter_cases()) {
        on_each_device(|_| {
        let c = c.clone();
        let idtype = if c.as_i32 { DType::I32 } else { DType::I64 };
        // (A broadcast index tensor repeats its first row: the logical
        // values are what the reference sees.)
        let (indices, idx) = input(&c.idx, &[c.n, c.k], c.ikind, idtype);
        let mut udims = vec![c.n];
        udims.extend_from_slice(&c.shape[c.k..]);
        let (updates, ups) = input(&c.updates, &udims, c.ukind, c.dtype);
        let c = ScatterCase { idx, updates: ups, ..c };
        let got = Tensor::scatter_nd(&indices, &updates, c.shape.clone(), &scalar(c.fill, c.dtype), c.mode);
        match scatter_ref(&c) {
            Ok(want) => {
                let got = got.unwrap();
                prop_assert!(same(&got, &expected(want, &c.shape, c.dtype)), "{:?}", got.numpy());
            }
            Err(message) => {
                let e = got.unwrap_err();
                prop_assert_eq!(e.to_string(), message);
                let variant_ok = if e.to_string().contains("repeats") {
                    matches!(e, Error::InvalidArgument { .. })
                } else {
                    matches!(e, Error::IndexOutOfBounds { .. })
                };
                prop_assert!(variant_ok, "{:?}", e);
            }
        }
        Ok(())
        })?;
    }
}

#[test]
fn scatter_nd_tf_doc_examples() {
    for_each_device(|_device| {
        // tf.scatter_nd: indices [[4], [3], [1], [7]], updates [9, 10, 11, 12], shape [8].
        let out = Tensor::scatter_nd(
            &here([[4i64], [3], [1], [7]]),
            &here([9, 10, 11, 12]),
            [8],
            &here(0),
            ScatterMode::Add,
        )
        .unwrap();
        assert_eq!(out.to_vec::<i32>().unwrap(), [0, 11, 0, 10, 9, 0, 0, 12]);
        // Slices: indices [[0], [2]] into shape [4, 4, 4].
        let slab = [[5, 5, 5, 5], [6, 6, 6, 6], [7, 7, 7, 7], [8, 8, 8, 8]];
        let updates = here([slab, slab]);
        let out = Tensor::scatter_nd(
            &here([[0i64], [2]]),
            &updates,
            [4, 4, 4],
            &here(0),
            ScatterMode::Error,
        )
        .unwrap();
        let a = out.to_array::<i32>().unwrap();
        for i in 0..4 {
            for j in 0..4 {
                for l in 0..4 {
                    let want = if i == 0 || i == 2 { slab[j][l] } else { 0 };
                    assert_eq!(a[[i, j, l]], want);
                }
            }
        }
        // Duplicates sum in tf.scatter_nd.
        let out = Tensor::scatter_nd(
            &here([[1i64], [1], [3]]),
            &here([1.5f32, 2.0, 4.0]),
            [4],
            &here(0.0f32),
            ScatterMode::Add,
        )
        .unwrap();
        assert_eq!(out.to_vec::<f32>().unwrap(), [0.0, 3.5, 0.0, 4.0]);
    });
}

#[test]
fn scatter_nd_sparse_to_dense() {
    for_each_device(|_device| {
        // SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 4]).
        let dense = Tensor::scatter_nd(
            &here([[0i64, 0], [1, 2]]),
            &here([1.0f64, 2.0]),
            [3, 4],
            &here(-0.0f64),
            ScatterMode::Error,
        )
        .unwrap();
        let v = dense.to_vec::<f64>().unwrap();
        assert_eq!(
            v,
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        );
        // The default value -0.0 keeps its sign.
        assert!(v[1].is_sign_negative());
        // Unsorted indices and Last mode: the last row naming a position wins.
        let out = Tensor::scatter_nd(
            &here([[2i64, 1], [0, 3], [2, 1]]),
            &here([true, true, false]),
            [3, 4],
            &here(false),
            ScatterMode::Last,
        )
        .unwrap();
        let a = out.to_array::<bool>().unwrap();
        assert!(a[[0, 3]] && !a[[2, 1]]);
        assert_eq!(a.iter().filter(|&&b| b).count(), 1);
    });
}

#[test]
fn scatter_nd_validation() {
    for_each_device(|_device| {
        let fill = here(0.0f32);
        let ups = here([1.0f32, 2.0]);
        let invalid = |e: Error, needle: &str| {
            assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
            assert!(e.to_string().contains(needle), "{e}");
        };
        // indices rank and dtype.
        invalid(
            Tensor::scatter_nd(&here([0i64, 1]), &ups, [3], &fill, ScatterMode::Error).unwrap_err(),
            "indices must have rank 2",
        );
        invalid(
            Tensor::scatter_nd(
                &here([[0.0f64], [1.0]]),
                &ups,
                [3],
                &fill,
                ScatterMode::Error,
            )
            .unwrap_err(),
            "int32 or int64, found float64",
        );
        let idx = here([[0i64], [1]]);
        // fill dtype and rank.
        let e = Tensor::scatter_nd(&idx, &ups, [3], &here(0.0f64), ScatterMode::Error).unwrap_err();
        assert!(
            matches!(
                e,
                Error::DTypeMismatch {
                    expected: DType::F32,
                    found: DType::F64,
                    ..
                }
            ),
            "{e:?}"
        );
        invalid(
            Tensor::scatter_nd(&idx, &ups, [3], &here([0.0f32]), ScatterMode::Error).unwrap_err(),
            "fill must be a scalar (rank 0), got a tensor of shape [1]",
        );
        // More index entries than axes.
        invalid(
            Tensor::scatter_nd(
                &here([[0i64, 0]]),
                &here([1.0f32]),
                [3],
                &fill,
                ScatterMode::Error,
            )
            .unwrap_err(),
            "have 2 entries per row, more than the 1 axes of shape [3]",
        );
        // updates of the wrong shape.
        let e = Tensor::scatter_nd(
            &idx,
            &here([1.0f32, 2.0, 3.0]),
            [3],
            &fill,
            ScatterMode::Error,
        )
        .unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e:?}");
        assert!(
            e.to_string().contains("[2]") && e.to_string().contains("got [3]"),
            "{e}"
        );
        // Out of bounds, negative included, naming the row and entry.
        let e = Tensor::scatter_nd(
            &here([[0i64, 1], [2, -1]]),
            &ups,
            [3, 3],
            &fill,
            ScatterMode::Error,
        )
        .unwrap_err();
        assert_oob(
            &e,
            "scatter_nd: indices[1, 1] = -1 is out of bounds for axis 1 with size 3",
        );
        let e = Tensor::scatter_nd(
            &here([[3i32, 0], [0, 0]]),
            &ups,
            [3, 3],
            &fill,
            ScatterMode::Add,
        )
        .unwrap_err();
        assert_oob(
            &e,
            "scatter_nd: indices[0, 0] = 3 is out of bounds for axis 0 with size 3",
        );
        // Repeats under ScatterMode::Error, unsorted: row 3 repeats row 1.
        let e = Tensor::scatter_nd(
            &here([[2i64, 0], [1, 2], [0, 0], [1, 2], [2, 0]]),
            &here([1.0f32, 2.0, 3.0, 4.0, 5.0]),
            [3, 3],
            &fill,
            ScatterMode::Error,
        )
        .unwrap_err();
        invalid(e, "indices[3] = [1, 2] repeats indices[1]");
        // Add is not defined for bool.
        invalid(
            Tensor::scatter_nd(
                &idx,
                &here([true, false]),
                [3],
                &here(false),
                ScatterMode::Add,
            )
            .unwrap_err(),
            "not defined for bool",
        );
        // Output shapes that cannot exist: overflow, and more than the machine holds.
        let none = Tensor::zeros([0, 1], DType::I64).unwrap();
        let no_updates = Tensor::zeros([0], DType::F32).unwrap();
        let no_rows = Tensor::zeros([0, 1usize << 40], DType::F32).unwrap();
        let e = Tensor::scatter_nd(
            &none,
            &no_rows,
            [1usize << 40, 1 << 40],
            &fill,
            ScatterMode::Error,
        );
        let e = e.unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
        let e = Tensor::scatter_nd(
            &none,
            &no_updates,
            [1usize << 40],
            &fill,
            ScatterMode::Error,
        )
        .unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
        // Huge empty index tensors with k = 0 allocate nothing of their size.
        let many = Tensor::zeros([1usize << 50, 0], DType::I64).unwrap();
        let empty_updates = Tensor::zeros([1usize << 50, 0], DType::F32).unwrap();
        let e =
            Tensor::scatter_nd(&many, &empty_updates, [0], &fill, ScatterMode::Error).unwrap_err();
        invalid(e, "indices[1] = [] repeats indices[0]");
        let out = Tensor::scatter_nd(&many, &empty_updates, [0], &fill, ScatterMode::Last).unwrap();
        assert_eq!(out.dims(), [0]);
    });
}

// ------------------------------------------------------------ segment_sum

#[derive(Debug, Clone)]
struct SegmentCase {
    dims: Vec<usize>,
    data: Vec<i64>,
    kind: Kind,
    dtype: DType,
    ids: Vec<i64>,
    as_i32: bool,
    num_segments: usize,
}

fn segment_cases() -> impl Strategy<Value = SegmentCase> {
    (
        dims(1, 3, 5),
        kinds(),
        sum_dtypes(),
        any::<bool>(),
        0usize..5,
    )
        .prop_flat_map(|(dims, kind, dtype, as_i32, num_segments)| {
            let n: usize = dims.iter().product();
            let s = num_segments as i64;
            let id = prop_oneof![15 => 0..s.max(1), 1 => -2..s + 2];
            (
                Just((dims.clone(), kind, dtype, as_i32, num_segments)),
                values(n),
                proptest::collection::vec(id, dims[0]),
            )
        })
        .prop_map(
            |((dims, kind, dtype, as_i32, num_segments), data, ids)| SegmentCase {
                dims,
                data,
                kind,
                dtype,
                ids,
                as_i32,
                num_segments,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn segment_sum_matches_reference(c in segment_cases()) {
        on_each_device(|_| {
        let (data, logical) = input(&c.data, &c.dims, c.kind, c.dtype);
        let ids = index_tensor(&c.ids, &[c.dims[0]], c.as_i32);
        let got = data.segment_sum(&ids, c.num_segments);
        let s = c.num_segments as i64;
        match c.ids.iter().position(|id| !(0..s).contains(id)) {
            Some(bad) => assert_oob(
                &got.unwrap_err(),
                &format!(
                    "segment_sum: segment_ids[{bad}] = {} is out of bounds for axis 0 with size {}",
                    c.ids[bad], c.num_segments
                ),
            ),
            None => {
                let inner: usize = c.dims[1..].iter().product();
                let mut want = vec![0i64; c.num_segments * inner];
                for (r, &id) in c.ids.iter().enumerate() {
                    for e in 0..inner {
                        want[id as usize * inner + e] += logical[r * inner + e];
                    }
                }
                let mut odims = vec![c.num_segments];
                odims.extend_from_slice(&c.dims[1..]);
                let got = got.unwrap();
                prop_assert!(same(&got, &expected(want, &odims, c.dtype)), "{:?}", got.numpy());
            }
        }
        Ok(())
        })?;
    }
}

#[test]
fn segment_sum_tf_doc_example_and_dtypes() {
    for_each_device(|_device| {
        // tf.math.unsorted_segment_sum(c, segment_ids=[0, 1, 0], num_segments=2).
        let c = here([[1, 2, 3, 4], [5, 6, 7, 8], [4, 3, 2, 1]]);
        let s = c.segment_sum(&here([0i32, 1, 0]), 2).unwrap();
        assert_eq!(s.to_vec::<i32>().unwrap(), [5, 5, 5, 5, 5, 6, 7, 8]);
        // Empty segments are zero; integers wrap.
        let s = here([200u8, 100, 7])
            .segment_sum(&here([0i64, 0, 2]), 4)
            .unwrap();
        assert_eq!(s.to_vec::<u8>().unwrap(), [44, 0, 7, 0]);
        // bf16 sums in f32 and rounds once: 256 + 1 + 1 = 258 exactly.
        let b = |x: f32| tensorbridge::bf16::from_f32(x);
        let s = here([b(256.0), b(1.0), b(1.0)])
            .segment_sum(&here([0i64, 0, 0]), 1)
            .unwrap();
        assert_eq!(s.to_vec::<tensorbridge::bf16>().unwrap(), [b(258.0)]);
    });
}

#[test]
fn segment_sum_validation() {
    for_each_device(|_device| {
        let data = here([[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]]);
        assert_oob(
            &data.segment_sum(&here([0i64, 3, 1]), 3).unwrap_err(),
            "segment_sum: segment_ids[1] = 3 is out of bounds for axis 0 with size 3",
        );
        assert_oob(
            &data.segment_sum(&here([0i32, 1, -1]), 3).unwrap_err(),
            "segment_sum: segment_ids[2] = -1 is out of bounds for axis 0 with size 3",
        );
        let e = data.segment_sum(&here([0i64, 1]), 3).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e:?}");
        assert!(e.to_string().contains("must have shape [3]"), "{e}");
        let e = data.segment_sum(&here([0.0f32, 1.0, 2.0]), 3).unwrap_err();
        assert!(
            e.to_string().contains("int32 or int64, found float32"),
            "{e}"
        );
        let e = here([true, false])
            .segment_sum(&here([0i64, 0]), 1)
            .unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }));
        assert!(e.to_string().contains("bool"), "{e}");
        let e = here(1.0f32).segment_sum(&here([0i64]), 1).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }));
        // num_segments too large for memory, or for usize with the row size.
        let e = data.segment_sum(&here([0i64, 0, 0]), 1 << 42).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
        let e = data
            .segment_sum(&here([0i64, 0, 0]), usize::MAX)
            .unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
    });
}
