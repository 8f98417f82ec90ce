//! Conversion suite: round trips of every dtype through every conversion,
//! when conversions copy and when they must not, the cast rules on
//! hand-worked values, `ToNumpy` on nested structures, and display.

use std::collections::{BTreeMap, HashMap};

use ndarray::{Array2, ArrayD, IxDyn, arr1, arr2};
use tensorbridge::prelude::*;
use tensorbridge::{Complex, bf16, f16, s};
use tensorbridge_tests::{for_each_device, here, same};

/// A C-order `ArrayD` of `data` with `dims`.
fn array<T: Clone>(dims: &[usize], data: &[T]) -> ArrayD<T> {
    ArrayD::from_shape_vec(IxDyn(dims), data.to_vec()).unwrap()
}

/// The elements of an array in logical (C) order.
fn elements<T: Copy>(a: ndarray::ArrayViewD<'_, T>) -> Vec<T> {
    a.iter().copied().collect()
}

/// Every conversion of a [2, 3] tensor of `data` gives `data` back, bit
/// for bit, on every device.
fn round_trip<T: Element>(data: [T; 6]) {
    let data = data.to_vec();
    for_each_device(|device| {
        let t = Tensor::from_vec(data.clone(), [2, 3]).unwrap();
        assert_eq!(t.device(), device);
        assert_eq!(t.dtype(), T::DTYPE);
        assert_eq!(t.dims(), [2, 3]);

        if device == Device::Cpu {
            let v = t.view::<T>().unwrap();
            assert_eq!(v.shape(), [2, 3]);
            assert!(same(&elements(v), &data), "view");
        } else {
            // A device tensor cannot be borrowed: the error says how to copy.
            let e = t.view::<T>().unwrap_err();
            assert!(matches!(e, Error::NotOnHost { .. }), "{e:?}");
        }

        let a = t.to_array::<T>().unwrap();
        assert_eq!(a.shape(), [2, 3]);
        assert!(a.is_standard_layout());
        assert!(same(a.as_slice().unwrap(), &data), "to_array");

        assert!(same(&t.to_vec::<T>().unwrap(), &data), "to_vec");

        let d = t.numpy().unwrap();
        assert_eq!(
            (d.dtype(), d.shape(), d.len()),
            (T::DTYPE, &[2usize, 3][..], 6)
        );
        assert!(
            same(&elements(d.view_typed::<T>().unwrap()), &data),
            "numpy"
        );
        let back = d.clone().into_tensor().unwrap();
        assert!(same(&back.to_vec::<T>().unwrap(), &data), "into_tensor");
        let typed = d.into_typed::<T>().unwrap();
        assert!(same(typed.as_slice().unwrap(), &data), "into_typed");

        // Element (1, 2) is the sixth, seen through an integer index.
        let last = t.slice(s![1, 2]).unwrap();
        assert_eq!(last.rank(), 0);
        assert!(
            same(&[last.to_scalar::<T>().unwrap()], &data[5..]),
            "to_scalar"
        );

        let from_slice = Tensor::from_slice(&data, [3, 2]).unwrap();
        assert!(
            same(&from_slice.to_vec::<T>().unwrap(), &data),
            "from_slice"
        );
        let from_array = Tensor::from_array(a).unwrap();
        assert!(
            same(&from_array.to_vec::<T>().unwrap(), &data),
            "from_array"
        );

        let moved = t.into_array::<T>().unwrap();
        assert_eq!(moved.shape(), [2, 3]);
        assert!(same(moved.as_slice().unwrap(), &data), "into_array");
    });
}

macro_rules! round_trips {
    ($($name:ident: $t:ty = $data:expr;)*) => {$(
        #[test]
        fn $name() {
            let data: [$t; 6] = $data;
            round_trip(data);
        }
    )*};
}

fn c64(re: f32, im: f32) -> Complex<f32> {
    Complex::new(re, im)
}

fn c128(re: f64, im: f64) -> Complex<f64> {
    Complex::new(re, im)
}

round_trips! {
    round_trip_bool: bool = [true, false, false, true, true, false];
    round_trip_u8: u8 = [0, 1, 127, 128, 254, u8::MAX];
    round_trip_u16: u16 = [0, 1, 255, 256, 65534, u16::MAX];
    round_trip_u32: u32 = [0, 1, 1 << 16, 7, u32::MAX - 1, u32::MAX];
    round_trip_u64: u64 = [0, 1, 1 << 32, 42, u64::MAX - 1, u64::MAX];
    round_trip_i8: i8 = [i8::MIN, -1, 0, 1, 100, i8::MAX];
    round_trip_i16: i16 = [i16::MIN, -1, 0, 1, 300, i16::MAX];
    round_trip_i32: i32 = [i32::MIN, -1, 0, 1, 1 << 20, i32::MAX];
    round_trip_i64: i64 = [i64::MIN, -1, 0, 1, 1 << 40, i64::MAX];
    round_trip_f16: f16 = [f16::NAN, f16::NEG_INFINITY, f16::NEG_ZERO,
                           f16::MIN_POSITIVE_SUBNORMAL, f16::from_f32(0.1), f16::MAX];
    round_trip_bf16: bf16 = [bf16::NAN, bf16::INFINITY, bf16::NEG_ZERO,
                             bf16::MIN_POSITIVE_SUBNORMAL, bf16::from_f32(0.1), bf16::MIN];
    round_trip_f32: f32 = [f32::NAN, f32::NEG_INFINITY, -0.0, 1e-45, 0.1, f32::MAX];
    round_trip_f64: f64 = [f64::NAN, f64::INFINITY, -0.0, 5e-324, 0.1, f64::MIN];
    round_trip_c64: Complex<f32> = [c64(1.0, -2.0), c64(f32::NAN, 0.0), c64(-0.0, f32::INFINITY),
                                    c64(0.1, 1e-45), c64(f32::MAX, f32::MIN), c64(0.0, 0.0)];
    round_trip_c128: Complex<f64> = [c128(1.0, -2.0), c128(f64::NAN, 0.0), c128(-0.0, f64::INFINITY),
                                     c128(0.1, 5e-324), c128(f64::MAX, f64::MIN), c128(0.0, 0.0)];
}

#[test]
fn into_array_moves_a_uniquely_owned_contiguous_buffer() {
    for_each_device(|device| {
        let data: Vec<f64> = (0..12).map(f64::from).collect();
        let ptr = data.as_ptr();
        let a = Tensor::from_vec(data, [3, 4])
            .unwrap()
            .into_array::<f64>()
            .unwrap();
        assert_eq!(
            a,
            array(&[3, 4], &(0..12).map(f64::from).collect::<Vec<_>>())
        );
        if device == Device::Cpu {
            assert_eq!(a.as_ptr(), ptr, "the buffer was copied");
        }
    });
}

#[test]
fn into_array_of_a_prefix_view_moves_the_buffer_too() {
    // Rows 0..2 of a [3, 4] tensor start at offset 0 and are contiguous:
    // once the parent handle is gone, the buffer moves, cut to 8 elements.
    let data: Vec<i32> = (0..12).collect();
    let ptr = data.as_ptr();
    let t = Tensor::from_vec(data, [3, 4]).unwrap();
    let rows = t.slice(s![..2]).unwrap();
    drop(t);
    let a = rows.into_array::<i32>().unwrap();
    assert_eq!(a, array(&[2, 4], &(0..8).collect::<Vec<_>>()));
    assert_eq!(a.as_ptr(), ptr);
}

#[test]
fn into_array_copies_when_it_must() {
    let data: Vec<i32> = (0..6).collect();
    let ptr = data.as_ptr();
    let t = Tensor::from_vec(data, [2, 3]).unwrap();

    // Another handle shares the buffer: moving it out would change `keep`.
    let keep = t.clone();
    let a = t.into_array::<i32>().unwrap();
    assert_ne!(a.as_ptr(), ptr);
    assert_eq!(a, array(&[2, 3], &[0, 1, 2, 3, 4, 5]));
    assert_eq!(keep.view::<i32>().unwrap().as_ptr(), ptr);
    assert_eq!(keep.to_vec::<i32>().unwrap(), [0, 1, 2, 3, 4, 5]);

    // A view starting at an offset: t[1:] is rows [3, 4, 5].
    let tail = keep.slice(s![1..]).unwrap();
    let base = keep.clone();
    drop(keep);
    drop(base);
    let a = tail.into_array::<i32>().unwrap();
    assert_ne!(a.as_ptr(), ptr);
    assert_eq!(a, array(&[1, 3], &[3, 4, 5]));

    // A transposed view: its elements are not in C order in the buffer.
    let data: Vec<i32> = (0..6).collect();
    let ptr = data.as_ptr();
    let tt = Tensor::from_vec(data, [2, 3]).unwrap().t().unwrap();
    let a = tt.into_array::<i32>().unwrap();
    assert_ne!(a.as_ptr(), ptr);
    assert!(a.is_standard_layout());
    assert_eq!(a, array(&[3, 2], &[0, 3, 1, 4, 2, 5]));

    // A broadcast view: its elements repeat.
    let b = Tensor::from([1u8, 2]).broadcast_to([2, 2]).unwrap();
    assert_eq!(b.into_array::<u8>().unwrap(), array(&[2, 2], &[1, 2, 1, 2]));
}

#[test]
fn from_array_takes_owned_buffers_in_any_layout() {
    // C order: taken as is, and moved out again by into_array.
    let a = Array2::from_shape_vec((2, 3), vec![1.5f32, 2.5, 3.5, 4.5, 5.5, 6.5]).unwrap();
    let ptr = a.as_ptr();
    let t = Tensor::from_array(a).unwrap();
    assert_eq!(t.view::<f32>().unwrap().as_ptr(), ptr);
    assert!(t.is_contiguous());
    let back = t.into_array::<f32>().unwrap();
    assert_eq!(back.as_ptr(), ptr);
    assert_eq!(
        back,
        arr2(&[[1.5f32, 2.5, 3.5], [4.5, 5.5, 6.5]]).into_dyn()
    );

    // Fortran order: taken as is; a copy only when C order is asked for.
    let f = Array2::from_shape_vec((3, 2), vec![1i64, 2, 3, 4, 5, 6])
        .unwrap()
        .reversed_axes();
    let ptr = f.as_ptr();
    let t = Tensor::from_array(f).unwrap();
    assert_eq!(t.dims(), [2, 3]);
    assert_eq!(t.view::<i64>().unwrap().as_ptr(), ptr);
    assert!(!t.is_contiguous());
    let c = t.into_array::<i64>().unwrap();
    assert_ne!(c.as_ptr(), ptr);
    assert_eq!(c, arr2(&[[1i64, 3, 5], [2, 4, 6]]).into_dyn());

    // An owned array whose first element is not at the buffer's start.
    let mut whole = Array2::from_shape_vec((3, 2), vec![0u16, 1, 2, 3, 4, 5]).unwrap();
    whole.slice_collapse(ndarray::s![1.., ..]);
    let ptr = whole.as_ptr();
    let t = Tensor::from_array(whole).unwrap();
    assert_eq!(t.view::<u16>().unwrap().as_ptr(), ptr);
    assert_eq!(t.to_vec::<u16>().unwrap(), [2, 3, 4, 5]);
    assert_eq!(t.layout().offset(), 2);

    // Reversed axes (negative strides).
    let mut r = arr1(&[1i8, 2, 3]);
    r.invert_axis(ndarray::Axis(0));
    let ptr = r.as_ptr();
    let t = Tensor::from_array(r).unwrap();
    assert_eq!(t.view::<i8>().unwrap().as_ptr(), ptr);
    assert_eq!(t.layout().strides(), [-1]);
    assert_eq!(t.to_vec::<i8>().unwrap(), [3, 2, 1]);
}

#[test]
fn from_array_copies_what_it_does_not_own() {
    let a = arr2(&[[1u32, 2], [3, 4]]);
    // A view: borrowed, so copied.
    let t = Tensor::from_array(a.view()).unwrap();
    assert_ne!(t.view::<u32>().unwrap().as_ptr(), a.as_ptr());
    assert_eq!(t.to_vec::<u32>().unwrap(), [1, 2, 3, 4]);
    // A transposed view, copied in its own C order.
    let t = Tensor::from_array_view(&a.t()).unwrap();
    assert_eq!(t.to_vec::<u32>().unwrap(), [1, 3, 2, 4]);
    assert!(t.is_contiguous());
    // A shared ArcArray with another handle alive: copied.
    let shared = a.clone().into_shared();
    let other = shared.clone();
    let t = Tensor::from_array(shared).unwrap();
    assert_ne!(t.view::<u32>().unwrap().as_ptr(), other.as_ptr());
    assert_eq!(t.to_vec::<u32>().unwrap(), [1, 2, 3, 4]);
}

#[test]
fn dyn_arrays_move_in_and_out_without_copies() {
    let a = array(&[2, 2], &[1u8, 2, 3, 4]);
    let ptr = a.as_ptr();
    let d = DynArray::from(a);
    assert_eq!((d.dtype(), d.ndim(), d.is_empty()), (DType::U8, 2, false));
    assert_eq!(d.view_typed::<u8>().unwrap().as_ptr(), ptr);
    let typed = d.clone().into_typed::<u8>().unwrap();
    assert_eq!(typed.as_slice().unwrap(), [1, 2, 3, 4]);
    let t = d.into_tensor().unwrap();
    assert_eq!(t.view::<u8>().unwrap().as_ptr(), ptr);
    // And out again, still the same buffer.
    let typed = t.numpy().unwrap().into_typed::<u8>().unwrap();
    assert_eq!(typed.as_slice().unwrap(), [1, 2, 3, 4]);
    let moved = t.into_array::<u8>().unwrap();
    assert_eq!(moved.as_ptr(), ptr);
    let empty = Tensor::zeros([0, 2], DType::C64).unwrap().numpy().unwrap();
    assert!(empty.is_empty());
    assert_eq!(
        (empty.dtype(), empty.shape()),
        (DType::C64, &[0usize, 2][..])
    );
}

#[test]
fn view_borrows_without_copying_for_every_layout() {
    let t = Tensor::from_vec((0..24).collect::<Vec<i16>>(), [2, 3, 4]).unwrap();
    let base = t.view::<i16>().unwrap().as_ptr();
    // t[::-1, 1, ::2]: rows reversed, one column of each, every other entry.
    let v = t.slice(s![..;-1, 1, ..;2]).unwrap();
    let view = v.view::<i16>().unwrap();
    assert_eq!(view, arr2(&[[16i16, 18], [4, 6]]).into_dyn());
    // The view points into the same buffer (at 16, the element it starts at).
    assert_eq!(view.as_ptr(), base.wrapping_add(16));
    // A broadcast view repeats elements without repeating memory.
    let b = Tensor::from([7i16, 8]).broadcast_to([3, 2]).unwrap();
    let bv = b.view::<i16>().unwrap();
    assert_eq!(bv.strides(), [0, 1]);
    assert_eq!(bv, arr2(&[[7i16, 8], [7, 8], [7, 8]]).into_dyn());
}

/// Casts one tensor of `from` values and compares with `to`, bit for bit.
fn cast_is<S: Element, D: Element>(from: &[S], to: &[D]) {
    let got = Tensor::from(from.to_vec())
        .cast(D::DTYPE)
        .unwrap_or_else(|e| panic!("{} -> {}: {e}", S::DTYPE, D::DTYPE))
        .to_vec::<D>()
        .unwrap();
    assert!(
        same(&got, to),
        "{} -> {}: {from:?} gave {got:?}, expected {to:?}",
        S::DTYPE,
        D::DTYPE
    );
}

#[test]
fn every_dtype_pair_casts_zero_and_one_or_refuses() {
    for_each_device(|_device| {
        for from in DType::ALL {
            for to in DType::ALL {
                let refused = from.is_complex() && !to.is_complex() && to != DType::Bool;
                for make in [Tensor::zeros, Tensor::ones] {
                    let t = make([2], from).unwrap();
                    match t.cast(to) {
                        Ok(c) => {
                            assert!(!refused, "{from} -> {to} must be refused");
                            assert_eq!(c.dtype(), to);
                            let want = make([2], to).unwrap().numpy().unwrap();
                            assert_eq!(c.numpy().unwrap(), want, "{from} -> {to}");
                        }
                        Err(e) => {
                            assert!(refused, "{from} -> {to}: {e}");
                            assert!(matches!(e, Error::InvalidArgument { op: "cast", .. }));
                        }
                    }
                }
            }
        }
    });
}

#[test]
fn float_to_int_truncates_saturates_and_maps_nan_to_zero() {
    for_each_device(|_device| {
        let x = [
            -1.7f32,
            2.5,
            -0.0,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1e10,
            -1e10,
            255.9,
            256.0,
        ];
        cast_is(
            &x,
            &[
                -1i32,
                2,
                0,
                0,
                i32::MAX,
                i32::MIN,
                i32::MAX,
                i32::MIN,
                255,
                256,
            ],
        );
        cast_is(&x, &[0u8, 2, 0, 0, 255, 0, 255, 0, 255, 255]);
        cast_is(&x, &[-1i8, 2, 0, 0, 127, -128, 127, -128, 127, 127]);
        cast_is(&[2f64.powi(63), -9.3e18, 0.999], &[i64::MAX, i64::MIN, 0]);
        cast_is(&[2f64.powi(64), -1.0], &[u64::MAX, 0]);
        cast_is(&[f16::from_f32(-3.5), f16::MAX], &[-3i16, i16::MAX]);
        cast_is(&[bf16::from_f32(-3.5), bf16::NAN], &[-3i64, 0]);
    });
}

#[test]
fn int_to_int_wraps_around() {
    for_each_device(|_device| {
        let x = [300i32, -1, 256, -129, i32::MAX];
        cast_is(&x, &[44u8, 255, 0, 127, 255]);
        cast_is(&x, &[44i8, -1, 0, 127, -1]);
        cast_is(&[-1i64, 1 << 32], &[u32::MAX, 0]);
        cast_is(&[u64::MAX, 1 << 63], &[-1i64, i64::MIN]);
        cast_is(&[0x80u64, 0x17f], &[-128i8, 127]);
        cast_is(&[i8::MIN, -1], &[65408u16, 65535]);
    });
}

#[test]
fn int_and_wide_float_casts_round_to_nearest_even() {
    for_each_device(|_device| {
        // 2^24 + 1 is the tie between 2^24 and 2^24 + 2: even wins.
        cast_is(
            &[16_777_217i32, 16_777_219],
            &[16_777_216.0f32, 16_777_220.0],
        );
        cast_is(&[u64::MAX], &[18_446_744_073_709_551_616.0f32]);
        cast_is(&[0.1f64, 1e300, -1e-50], &[0.1f32, f32::INFINITY, -0.0]);
        cast_is(&[9_007_199_254_740_993i64], &[9_007_199_254_740_992.0f64]);
    });
}

#[test]
fn f16_and_bf16_round_ties_to_even_and_overflow_to_inf() {
    for_each_device(|_device| {
        let p = |e: i32| 2f32.powi(e);
        // f16 keeps 10 fraction bits: 1 + 2^-11 is a tie (-> 1), 1 + 3 * 2^-11
        // one too (-> 1 + 2^-9); 65520 is the tie between 65504 and 65536.
        cast_is(
            &[
                1.0 + p(-11),
                1.0 + 3.0 * p(-11),
                65519.0,
                65520.0,
                -65520.0,
                p(-25),
                3.0 * p(-26),
                -1e-30,
            ],
            &[
                f16::ONE,
                f16::from_f32(1.0 + p(-9)),
                f16::MAX,
                f16::INFINITY,
                f16::NEG_INFINITY,
                f16::ZERO,
                f16::from_f32(p(-24)),
                f16::NEG_ZERO,
            ],
        );
        // bf16 keeps 7: 1 + 2^-8 -> 1, 1 + 3 * 2^-8 -> 1 + 2^-6, f32::MAX -> inf.
        cast_is(
            &[1.0 + p(-8), 1.0 + 3.0 * p(-8), f32::MAX, f32::NAN, -0.0],
            &[
                bf16::ONE,
                bf16::from_f32(1.0 + p(-6)),
                bf16::INFINITY,
                bf16::NAN,
                bf16::NEG_ZERO,
            ],
        );
        // Rounded once from the exact value: 1 + 2^-11 + 2^-40 lies above the
        // tie, though rounding it to f32 first would land on the tie itself.
        cast_is(
            &[1.0 + 2f64.powi(-11) + 2f64.powi(-40)],
            &[f16::from_f32(1.0 + p(-10))],
        );
        // Integers: 2049 is a tie (-> 2048), 2051 too (-> 2052).
        cast_is(
            &[2049i32, 2051, 65504, 70000],
            &[
                f16::from_f32(2048.0),
                f16::from_f32(2052.0),
                f16::MAX,
                f16::INFINITY,
            ],
        );
        // 2^60 + 2^52 + 1 is just above a bf16 tie: up, to 2^60 + 2^53.
        cast_is(
            &[(1i64 << 60) + (1 << 52) + 1],
            &[bf16::from_f64(2f64.powi(60) + 2f64.powi(53))],
        );
        // f16 <-> bf16: 65504 is not a bf16 value (65536 is the nearest).
        cast_is(&[f16::MAX], &[bf16::from_f32(65536.0)]);
    });
}

#[test]
fn bool_casts_are_nonzero_and_zero_one() {
    for_each_device(|_device| {
        cast_is(&[0i32, 1, -1, 256], &[false, true, true, true]);
        cast_is(&[0.0f32, -0.0, f32::NAN, 0.5], &[false, false, true, true]);
        cast_is(
            &[f16::NEG_ZERO, f16::MIN_POSITIVE_SUBNORMAL],
            &[false, true],
        );
        cast_is(
            &[c64(0.0, 0.0), c64(0.0, 1.0), c64(-0.0, -0.0)],
            &[false, true, false],
        );
        let b = [true, false];
        cast_is(&b, &[1u8, 0]);
        cast_is(&b, &[1i64, 0]);
        cast_is(&b, &[1.0f32, 0.0]);
        cast_is(&b, &[bf16::ONE, bf16::ZERO]);
        cast_is(&b, &[c64(1.0, 0.0), c64(0.0, 0.0)]);
    });
}

#[test]
fn complex_casts_keep_or_add_the_imaginary_part() {
    for_each_device(|_device| {
        cast_is(&[3i32, -4], &[c64(3.0, 0.0), c64(-4.0, 0.0)]);
        cast_is(&[0.1f64, f64::NAN], &[c64(0.1, 0.0), c64(f32::NAN, 0.0)]);
        cast_is(&[f16::from_f32(0.5)], &[c128(0.5, 0.0)]);
        cast_is(&[c128(0.1, -0.2)], &[c64(0.1, -0.2)]);
        cast_is(
            &[c64(1.5, -2.25), c64(0.1, 0.0)],
            &[c128(1.5, -2.25), c128(f64::from(0.1f32), 0.0)],
        );
        // Complex to real is refused (see bad_input.rs); the parts are explicit.
        let z = here([c128(1.0, 2.0), c128(3.0, -4.0)]);
        assert_eq!(z.real().unwrap().to_vec::<f64>().unwrap(), [1.0, 3.0]);
        assert_eq!(z.imag().unwrap().to_vec::<f64>().unwrap(), [2.0, -4.0]);
        let z = here([c64(1.0, 2.0)]).broadcast_to([2, 1]).unwrap();
        assert_eq!(
            z.imag().unwrap().to_array::<f32>().unwrap(),
            array(&[2, 1], &[2.0, 2.0])
        );
        let r = here([1.5f32, -2.0]);
        assert!(r.real().unwrap().shares_buffer_with(&r));
        assert_eq!(r.imag().unwrap().to_vec::<f32>().unwrap(), [0.0, 0.0]);
    });
}

#[test]
fn casts_read_views_in_order_and_keep_the_dtype_when_asked_twice() {
    for_each_device(|_device| {
        let t = here([[1i32, 2, 3], [4, 5, 6]]);
        let c = t.t().unwrap().cast(DType::F64).unwrap();
        assert_eq!(c.dims(), [3, 2]);
        assert_eq!(c.to_vec::<f64>().unwrap(), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert!(t.cast(DType::I32).unwrap().shares_buffer_with(&t));
    });
}

#[test]
fn to_numpy_converts_nested_structures_in_one_call() {
    for_each_device(|_device| {
        let a = here([1i32, 2]);
        let b = here([[0.5f32]]);
        let nested = (vec![Some(a.clone()), None], [b.clone(), a.clone()], &a);
        let (list, pair, reference) = nested.numpy().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(
            list[0].as_ref().unwrap().view_typed::<i32>().unwrap(),
            arr1(&[1, 2]).into_dyn()
        );
        assert!(list[1].is_none());
        assert_eq!(pair[0].dtype(), DType::F32);
        assert_eq!(pair[0].shape(), [1, 1]);
        assert_eq!(pair[1].dtype(), DType::I32);
        assert_eq!(reference, a.numpy().unwrap());

        let mut by_name: HashMap<&str, Tensor> = HashMap::new();
        by_name.insert("logits", a.clone());
        by_name.insert("boxes", b.clone());
        let arrays = by_name.numpy().unwrap();
        assert_eq!(arrays.len(), 2);
        assert_eq!(arrays["logits"].dtype(), DType::I32);
        assert_eq!(arrays["boxes"].view_typed::<f32>().unwrap()[[0, 0]], 0.5);

        let mut ordered: BTreeMap<String, Vec<Tensor>> = BTreeMap::new();
        ordered.insert("x".into(), vec![a.clone(), b.clone()]);
        ordered.insert("y".into(), Vec::new());
        let arrays = ordered.numpy().unwrap();
        assert_eq!(arrays.keys().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(arrays["x"][1].dtype(), DType::F32);
        assert!(arrays["y"].is_empty());

        let slice: &[Tensor] = &[a.clone(), a.clone()];
        assert_eq!(slice.numpy().unwrap().len(), 2);
        // Views convert to their own elements, not the buffer's.
        let (rev,) = (a.slice(s![..;-1]).unwrap(),).numpy().unwrap();
        assert_eq!(rev.view_typed::<i32>().unwrap(), arr1(&[2, 1]).into_dyn());
    });
}

#[test]
fn tf_constant_numpy() {
    // tf.constant([[1.0, 2.0], [3.0, 4.0]]).numpy(): float32 in TensorFlow.
    for_each_device(|_| {
        let t = Tensor::new([[1.0f32, 2.0], [3.0, 4.0]]).unwrap();
        let a = t.numpy().unwrap();
        assert_eq!(a.dtype(), DType::F32);
        assert_eq!(
            a.into_typed::<f32>().unwrap(),
            arr2(&[[1.0f32, 2.0], [3.0, 4.0]]).into_dyn()
        );
    });
}

#[test]
fn a_tuple_of_outputs_converts_in_one_call() {
    for_each_device(|_device| {
        // (tf.constant([10, 20, 30]), tf.constant([[0.1, 0.2], [0.3, 0.4]])):
        // Rust's literal types give int32 and float64.
        let outputs = (here([10, 20, 30]), here([[0.1, 0.2], [0.3, 0.4]]));
        let (classes, boxes) = outputs.numpy().unwrap();
        assert_eq!(
            (classes.dtype(), classes.shape()),
            (DType::I32, &[3usize][..])
        );
        assert_eq!(
            classes.into_typed::<i32>().unwrap(),
            arr1(&[10, 20, 30]).into_dyn()
        );
        assert_eq!(
            (boxes.dtype(), boxes.shape()),
            (DType::F64, &[2usize, 2][..])
        );
        assert_eq!(
            boxes.into_typed::<f64>().unwrap(),
            arr2(&[[0.1, 0.2], [0.3, 0.4]]).into_dyn()
        );
    });
}

#[test]
fn display_is_numpy_like() {
    for_each_device(|device| {
        // np.array([[1, 10], [100, 2]]): one width for all, right-aligned.
        assert_eq!(
            here([[1, 10], [100, 2]]).to_string(),
            format!(
                "Tensor([[  1,  10],\n        [100,   2]], shape=(2, 2), dtype=int32, device={device})"
            )
        );
        // np.array([1.5, 2.25]): decimal points aligned, padded on the right.
        assert_eq!(
            here([1.5f64, 2.25]).to_string(),
            format!("Tensor([1.5 , 2.25], shape=(2,), dtype=float64, device={device})")
        );
        assert_eq!(
            here([-1i8, 2]).to_string(),
            format!("Tensor([-1,  2], shape=(2,), dtype=int8, device={device})")
        );
        assert_eq!(
            here(2.0f32).to_string(),
            format!("Tensor(2., shape=(), dtype=float32, device={device})")
        );
        assert_eq!(
            here([f16::from_f32(0.1), f16::from_f32(0.5)]).to_string(),
            format!("Tensor([0.1, 0.5], shape=(2,), dtype=float16, device={device})")
        );
        assert_eq!(
            here([false, true]).to_string(),
            format!("Tensor([False,  True], shape=(2,), dtype=bool, device={device})")
        );
        // A view prints its own elements: the transpose of [[1, 2], [3, 4]].
        assert_eq!(
            here([[1u8, 2], [3, 4]]).t().unwrap().to_string(),
            format!(
                "Tensor([[1, 3],\n        [2, 4]], shape=(2, 2), dtype=uint8, device={device})"
            )
        );
    });
}

#[test]
fn an_empty_tensor_prints_as_empty_brackets() {
    for_each_device(|device| {
        // Any array without elements prints as `[]` in NumPy:
        // repr(np.zeros((2, 0), dtype=np.int64)) is
        // "array([], shape=(2, 0), dtype=int64)".
        assert_eq!(
            Tensor::zeros([0, 3], DType::I64).unwrap().to_string(),
            format!("Tensor([], shape=(0, 3), dtype=int64, device={device})")
        );
        assert_eq!(
            Tensor::zeros([2, 0], DType::I64).unwrap().to_string(),
            format!("Tensor([], shape=(2, 0), dtype=int64, device={device})")
        );
        assert_eq!(
            Tensor::zeros([3, 1, 0], DType::F32).unwrap().to_string(),
            format!("Tensor([], shape=(3, 1, 0), dtype=float32, device={device})")
        );
    });
}

#[test]
fn big_tensors_are_summarized_like_numpy() {
    for_each_device(|device| {
        // np.arange(10000).reshape(100, 100), as NumPy prints it.
        let t = Tensor::arange(0i32, 10_000, 1)
            .unwrap()
            .reshape([100, 100])
            .unwrap();
        let expected = format!(
            "Tensor([[   0,    1,    2, ...,   97,   98,   99],\n        \
                    [ 100,  101,  102, ...,  197,  198,  199],\n        \
                    [ 200,  201,  202, ...,  297,  298,  299],\n        \
                    ...,\n        \
                    [9700, 9701, 9702, ..., 9797, 9798, 9799],\n        \
                    [9800, 9801, 9802, ..., 9897, 9898, 9899],\n        \
                    [9900, 9901, 9902, ..., 9997, 9998, 9999]], \
                    shape=(100, 100), dtype=int32, device={device})"
        );
        assert_eq!(t.to_string(), expected);
        // NumPy's threshold: 1000 elements print whole, 1001 are summarized.
        let whole = Tensor::arange(0i32, 1000, 1).unwrap().to_string();
        assert!(!whole.contains("..."));
        assert!(whole.contains(" 500,"));
        let summarized = Tensor::arange(0i32, 1001, 1).unwrap().to_string();
        assert!(
            summarized.contains("[   0,    1,    2, ...,  998,  999, 1000]"),
            "{summarized}"
        );
        // A huge broadcast prints in no time and little text.
        let huge = here([1u8]).broadcast_to([1 << 20, 1 << 20]).unwrap();
        assert!(huge.to_string().len() < 400);
        // On every device the same summary as on the host: the elements
        // printed, not an error from copying all 2^40 of them first.
        let on_host = Tensor::from([1u8])
            .broadcast_to([1 << 20, 1 << 20])
            .unwrap()
            .to_string();
        assert!(
            on_host.starts_with("Tensor([[1, 1, 1, ..., 1, 1, 1],"),
            "{on_host}"
        );
        assert_eq!(
            huge.to_string(),
            on_host.replace("device=cpu", &format!("device={device}"))
        );
        assert!(format!("{huge:?}").len() < 600);
    });
}

/// A tensor is a cheap handle that threads can share (DESIGN: `Send + Sync`,
/// `Clone` copies a pointer).
#[test]
fn tensors_are_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tensor>();
    assert_send_sync::<DynArray>();
    let t = Tensor::zeros([1 << 20], DType::F32).unwrap();
    let c = t.clone();
    assert!(c.shares_buffer_with(&t));
    let sum: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| s.spawn(|| c.view::<f32>().unwrap().len()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(sum, 2 << 20);
}
