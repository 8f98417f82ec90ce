//! Gather, pad_segments, scatter_nd, segment_sum, segment ids, and their
//! device-side index validation.

use tensorbridge_cuda::{CudaError, ElemType, Indices, ScatterMode, StridedLayout};

use crate::common::{self, down, strides, up, view};

#[test]
fn gather_along_any_axis_with_both_index_types() {
    let dev = gpu!();
    let dims = [2usize, 3, 4];
    let data: Vec<u16> = (0..24).collect();
    let p = up(&dev, &data);
    let idx32 = up(&dev, &[2i32, 0, 2, 1]);
    let idx = Indices::new(&idx32, ElemType::I32, 4).unwrap();
    let mut out = dev.alloc(2 * 4 * 4 * 2).unwrap();
    dev.gather(
        ElemType::U16,
        &p,
        StridedLayout::new(&dims, &strides(&dims)),
        1,
        idx,
        None,
        &mut out,
    )
    .unwrap();
    let mut want = Vec::new();
    for i in 0..2 {
        for &j in &[2usize, 0, 2, 1] {
            for k in 0..4 {
                want.push(data[i * 12 + j * 4 + k]);
            }
        }
    }
    assert_eq!(down::<u16>(&dev, &out, 32), want);
    // Axis 0 of a transposed view, int64 indices.
    let idx64 = up(&dev, &[3i64, 3, 0]);
    let idx = Indices::new(&idx64, ElemType::I64, 3).unwrap();
    let (td, ts) = ([4usize, 6], [1isize, 4]);
    let mut out = dev.alloc(3 * 6 * 2).unwrap();
    dev.gather(
        ElemType::U16,
        &p,
        StridedLayout::new(&td, &ts),
        0,
        idx,
        None,
        &mut out,
    )
    .unwrap();
    let t = view(&data, &td, &ts, 0);
    let want: Vec<u16> = [3usize, 3, 0]
        .iter()
        .flat_map(|&r| t[r * 6..r * 6 + 6].to_vec())
        .collect();
    assert_eq!(down::<u16>(&dev, &out, 18), want);
}

#[test]
fn gather_reports_the_first_bad_index_and_pads_with_fill() {
    let dev = gpu!();
    let p = up(&dev, &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]); // [3, 2]
    let l = StridedLayout::new(&[3, 2], &[2, 1]);
    let bad = up(&dev, &[0i64, 2, 7, -4, 3]);
    let mut out = dev.alloc(5 * 2 * 4).unwrap();
    let e = dev
        .gather(
            ElemType::F32,
            &p,
            l,
            0,
            Indices::new(&bad, ElemType::I64, 5).unwrap(),
            None,
            &mut out,
        )
        .unwrap_err();
    match e {
        CudaError::IndexOutOfBounds {
            what,
            position,
            value,
            bound,
        } => {
            assert_eq!((what, position, value), ("indices", 2, 7));
            assert_eq!(bound, "0..3");
        }
        other => panic!("expected IndexOutOfBounds, got {other}"),
    }
    // -1 is padding only with a fill row.
    let pad = up(&dev, &[1i32, -1, 0]);
    let e = dev
        .gather(
            ElemType::F32,
            &p,
            l,
            0,
            Indices::new(&pad, ElemType::I32, 3).unwrap(),
            None,
            &mut out,
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            CudaError::IndexOutOfBounds {
                position: 1,
                value: -1,
                ..
            }
        ),
        "{e}"
    );
    let fill = up(&dev, &[-9.0f32, -8.0]);
    dev.gather(
        ElemType::F32,
        &p,
        l,
        0,
        Indices::new(&pad, ElemType::I32, 3).unwrap(),
        Some(&fill),
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<f32>(&dev, &out, 6), [3.0, 4.0, -9.0, -8.0, 1.0, 2.0]);
    let e = dev
        .gather(
            ElemType::F32,
            &p,
            l,
            0,
            Indices::new(&bad, ElemType::I64, 5).unwrap(),
            Some(&fill),
            &mut out,
        )
        .unwrap_err();
    assert!(
        matches!(&e, CudaError::IndexOutOfBounds { bound, .. } if bound.contains("-1")),
        "{e}"
    );
    assert!(
        dev.gather(
            ElemType::F32,
            &p,
            l,
            2,
            Indices::new(&pad, ElemType::I32, 3).unwrap(),
            None,
            &mut out
        )
        .is_err()
    );
}

#[test]
fn pad_segments_pads_truncates_and_checks_splits() {
    let dev = gpu!();
    let v = up(&dev, &[1i64, 2, 3, 4, 5, 6]); // [3, 2]: rows (1,2) (3,4) (5,6)
    let vl = StridedLayout::new(&[3, 2], &[2, 1]);
    let splits = up(&dev, &[0i32, 2, 2, 3]);
    let fill = up(&dev, &[0i64, -1]);
    let mut out = dev.alloc(3 * 2 * 8).unwrap();
    // width 1: the first row of each segment, truncated.
    dev.pad_segments(
        ElemType::I64,
        &v,
        vl,
        Indices::new(&splits, ElemType::I32, 4).unwrap(),
        1,
        &fill,
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<i64>(&dev, &out, 6), [1, 2, 0, -1, 5, 6]);
    let mut out = dev.alloc(3 * 3 * 2 * 8).unwrap();
    dev.pad_segments(
        ElemType::I64,
        &v,
        vl,
        Indices::new(&splits, ElemType::I32, 4).unwrap(),
        3,
        &fill,
        &mut out,
    )
    .unwrap();
    assert_eq!(
        down::<i64>(&dev, &out, 18),
        [1, 2, 3, 4, 0, -1, 0, -1, 0, -1, 0, -1, 5, 6, 0, -1, 0, -1]
    );
    let dec = up(&dev, &[0i64, 2, 1, 3]);
    let e = dev
        .pad_segments(
            ElemType::I64,
            &v,
            vl,
            Indices::new(&dec, ElemType::I64, 4).unwrap(),
            2,
            &fill,
            &mut out,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid argument: row_splits[2] = 1 is less than row_splits[1] = 2; row splits must not decrease"
    );
    let past = up(&dev, &[0i64, 4]);
    let e = dev
        .pad_segments(
            ElemType::I64,
            &v,
            vl,
            Indices::new(&past, ElemType::I64, 2).unwrap(),
            2,
            &fill,
            &mut out,
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("row_splits[1] = 4 is outside 0..=3"),
        "{e}"
    );
}

#[test]
fn scatter_modes_last_add_and_error() {
    let dev = gpu!();
    // Into [3, 2] rows (k = 1, inner = 2), filled with 100.
    let idx = up(&dev, &[2i64, 0, 2]);
    let ups = up(&dev, &[1i32, 2, 3, 4, 5, 6]);
    let fresh = || {
        let mut o = dev.alloc(24).unwrap();
        dev.fill(ElemType::I32, &mut o, &100i32.to_ne_bytes())
            .unwrap();
        o
    };
    let indices = Indices::new(&idx, ElemType::I64, 3).unwrap();
    let mut out = fresh();
    dev.scatter_nd(
        ElemType::I32,
        ScatterMode::Last,
        indices,
        1,
        &ups,
        &[3, 2],
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<i32>(&dev, &out, 6), [3, 4, 100, 100, 5, 6]);
    let mut out = fresh();
    dev.scatter_nd(
        ElemType::I32,
        ScatterMode::Add,
        indices,
        1,
        &ups,
        &[3, 2],
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<i32>(&dev, &out, 6), [103, 104, 100, 100, 106, 108]);
    let mut out = fresh();
    let e = dev
        .scatter_nd(
            ElemType::I32,
            ScatterMode::Error,
            indices,
            1,
            &ups,
            &[3, 2],
            &mut out,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid argument: indices[2] = [2] repeats indices[0]; each position may be named once \
         (ScatterMode::Last or ScatterMode::Add combine repeats)"
    );
    // Unique positions in mode Error write like Last; k = 2 coordinates.
    let idx2 = up(&dev, &[0i32, 1, 2, 0]);
    let vals = up(&dev, &[7.5f32, -1.0]);
    let mut m = dev.alloc_zeroed(3 * 2 * 4).unwrap();
    dev.scatter_nd(
        ElemType::F32,
        ScatterMode::Error,
        Indices::new(&idx2, ElemType::I32, 4).unwrap(),
        2,
        &vals,
        &[3, 2],
        &mut m,
    )
    .unwrap();
    assert_eq!(down::<f32>(&dev, &m, 6), [0.0, 7.5, 0.0, 0.0, -1.0, 0.0]);
    // A coordinate out of its dim.
    let oob = up(&dev, &[0i32, 1, 1, 2]);
    let e = dev
        .scatter_nd(
            ElemType::F32,
            ScatterMode::Last,
            Indices::new(&oob, ElemType::I32, 4).unwrap(),
            2,
            &vals,
            &[3, 2],
            &mut m,
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            CudaError::IndexOutOfBounds {
                position: 3,
                value: 2,
                ..
            }
        ),
        "{e}"
    );
    // Bool sums are refused; float adds accumulate (f16 in f32).
    assert!(matches!(
        dev.scatter_nd(
            ElemType::Bool,
            ScatterMode::Add,
            indices,
            1,
            &ups,
            &[3, 2],
            &mut m
        ),
        Err(CudaError::Unsupported(_))
    ));
    let hidx = up(&dev, &[0i64, 0, 0]);
    let h = up(&dev, &[half::f16::from_f32(1.0); 3]);
    let mut hout = dev.alloc(2).unwrap();
    dev.fill(
        ElemType::F16,
        &mut hout,
        &half::f16::from_f32(2048.0).to_bits().to_ne_bytes(),
    )
    .unwrap();
    dev.scatter_nd(
        ElemType::F16,
        ScatterMode::Add,
        Indices::new(&hidx, ElemType::I64, 3).unwrap(),
        1,
        &h,
        &[1],
        &mut hout,
    )
    .unwrap();
    // 2048 + 3 in f32 = 2051, rounded once to f16 = 2052 (an f16 running sum would stay 2048).
    assert_eq!(
        down::<half::f16>(&dev, &hout, 1),
        [half::f16::from_f32(2052.0)]
    );
}

#[test]
fn segment_sums_and_ids() {
    let dev = gpu!();
    let data = up(&dev, &[1u8, 2, 3, 4, 250, 10]); // [3, 2]
    let ids = up(&dev, &[1i32, 1, 3]);
    let mut out = dev.alloc(4 * 2).unwrap();
    dev.segment_sum(
        ElemType::U8,
        &data,
        StridedLayout::new(&[3, 2], &[2, 1]),
        Indices::new(&ids, ElemType::I32, 3).unwrap(),
        4,
        &mut out,
    )
    .unwrap();
    assert_eq!(down::<u8>(&dev, &out, 8), [0, 0, 4, 6, 0, 0, 250, 10]);
    // Wrapping: 250 + 10 in u8 over a transposed view.
    let ids2 = up(&dev, &[0i64, 0]);
    let mut o2 = dev.alloc(3).unwrap();
    dev.segment_sum(
        ElemType::U8,
        &data,
        StridedLayout::new(&[2, 3], &[1, 2]),
        Indices::new(&ids2, ElemType::I64, 2).unwrap(),
        1,
        &mut o2,
    )
    .unwrap();
    assert_eq!(down::<u8>(&dev, &o2, 3), [3, 7, 4]);
    let bad = up(&dev, &[0i32, 4, 1]);
    let e = dev
        .segment_sum(
            ElemType::U8,
            &data,
            StridedLayout::new(&[3, 2], &[2, 1]),
            Indices::new(&bad, ElemType::I32, 3).unwrap(),
            4,
            &mut out,
        )
        .unwrap_err();
    assert!(
        matches!(
            &e,
            CudaError::IndexOutOfBounds {
                what: "segment_ids",
                position: 1,
                value: 4,
                ..
            }
        ),
        "{e}"
    );
    let f = up(&dev, &[0.5f64, 0.25, 4.0]);
    let fid = up(&dev, &[0i32, 0, 0]);
    let mut fo = dev.alloc(8).unwrap();
    dev.segment_sum(
        ElemType::F64,
        &f,
        StridedLayout::new(&[3], &[1]),
        Indices::new(&fid, ElemType::I32, 3).unwrap(),
        1,
        &mut fo,
    )
    .unwrap();
    assert_eq!(down::<f64>(&dev, &fo, 1), [4.75]);
    // Segment ids from splits, with empty rows.
    let s = up(&dev, &[0i64, 2, 2, 5, 5]);
    let mut ids_out = dev.alloc(5 * 8).unwrap();
    dev.segment_ids_from_splits(Indices::new(&s, ElemType::I64, 5).unwrap(), &mut ids_out)
        .unwrap();
    assert_eq!(down::<i64>(&dev, &ids_out, 5), [0, 0, 2, 2, 2]);
    let s0 = up(&dev, &[1i64, 2]);
    let e = dev
        .segment_ids_from_splits(Indices::new(&s0, ElemType::I64, 2).unwrap(), &mut ids_out)
        .unwrap_err();
    assert!(e.to_string().contains("row_splits[0] = 1 must be 0"), "{e}");
    let neg = up(&dev, &[0i32, -1]);
    assert!(
        dev.segment_ids_from_splits(Indices::new(&neg, ElemType::I32, 2).unwrap(), &mut ids_out)
            .is_err()
    );
}

#[test]
fn index_buffers_are_checked_on_the_host_first() {
    let dev = gpu!();
    let b = dev.alloc(8).unwrap();
    assert!(Indices::new(&b, ElemType::I64, 2).is_err());
    assert!(Indices::new(&b, ElemType::U32, 1).is_err());
    assert!(Indices::new(&b, ElemType::I32, 2).is_ok());
    let _ = common::strides(&[1]);
}
