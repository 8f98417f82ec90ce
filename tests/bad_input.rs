//! Bad-input suite: every validation rule broken once, checking the error
//! variant and that the message names the argument and its values, and
//! that nothing a caller passes in panics or aborts.
//!
//! Every rule is checked on every device of `for_each_device` (inputs made
//! under the device's scope): a device must refuse bad input with the same
//! variant and message as the CPU. `view()` of a device tensor is
//! `NotOnHost` (checked here too); `Symbolic` is checked by the graph suite,
//! `Format` and `Io` by the NumPy file suites.

use std::collections::BTreeSet;

use proptest::prelude::*;
use tensorbridge::prelude::*;
use tensorbridge::s;
use tensorbridge::strategies::{
    Broken, invalid_broadcasts, invalid_expand_dims, invalid_perms, invalid_reshapes,
    invalid_slices, invalid_squeezes, overflowing_shapes,
};
use tensorbridge::{Complex, bf16, f16};
use tensorbridge_tests::{for_each_device, here, on_each_device};

const BIG: usize = 1 << 32;
/// [2^32, 2^32, 2^32]: 2^96 elements, far beyond usize.
const HUGE: [usize; 3] = [BIG, BIG, BIG];
const HUGE_TEXT: &str = "[4294967296, 4294967296, 4294967296]";

/// Asserts `text` contains every one of `parts`.
#[track_caller]
fn assert_names(e: &Error, parts: &[&str]) {
    let text = e.to_string();
    for part in parts {
        assert!(
            text.contains(part),
            "the message should name {part:?}: {text}"
        );
    }
}

#[test]
fn overflowing_shapes_are_shape_overflow_errors() {
    for_each_device(|_device| {
        let e = Tensor::zeros(HUGE, DType::U8).unwrap_err();
        assert!(
            matches!(&e, Error::ShapeOverflow { op: "zeros", dims, dtype: DType::U8, .. } if dims == &HUGE),
            "{e:?}"
        );
        assert_names(&e, &["zeros", HUGE_TEXT, "uint8", "does not fit in usize"]);

        let e = Tensor::from_vec(vec![0u8; 4], HUGE).unwrap_err();
        assert!(
            matches!(&e, Error::ShapeOverflow { op: "from_vec", dims, .. } if dims == &HUGE),
            "{e:?}"
        );
        assert_names(&e, &["from_vec", HUGE_TEXT]);

        let e = Tensor::from_slice(&[0i32; 4], HUGE).unwrap_err();
        assert!(
            matches!(
                e,
                Error::ShapeOverflow {
                    op: "from_slice",
                    ..
                }
            ),
            "{e:?}"
        );

        let e = Tensor::full(HUGE, 1.5f32).unwrap_err();
        assert!(
            matches!(e, Error::ShapeOverflow { op: "full", .. }),
            "{e:?}"
        );
        let e = Tensor::ones(HUGE, DType::C128).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
        assert_names(&e, &[HUGE_TEXT, "complex128"]);
        let e = Tensor::eye(BIG, DType::U8).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { op: "eye", .. }), "{e:?}");
        assert_names(&e, &["[4294967296, 4294967296]"]);

        let e = here([7u8]).broadcast_to(HUGE).unwrap_err();
        assert!(
            matches!(&e, Error::ShapeOverflow { op: "broadcast_to", dims, .. } if dims == &HUGE),
            "{e:?}"
        );
        assert_names(&e, &["broadcast_to", HUGE_TEXT]);

        // Reshape refuses the target before comparing counts; the variant is
        // not ShapeMismatch (the counts are not even computable).
        let e = here([1u8, 2]).reshape(HUGE).unwrap_err();
        assert!(
            matches!(
                e,
                Error::ShapeOverflow { op: "reshape", .. }
                    | Error::InvalidArgument { op: "reshape", .. }
            ),
            "{e:?}"
        );
        assert_names(&e, &["reshape", HUGE_TEXT, "overflow"]);
    });
}

#[test]
fn byte_sizes_beyond_isize_max_are_shape_overflow_errors() {
    for_each_device(|_device| {
        // 2^61 f64s: the count fits in usize, the 2^64 bytes do not.
        let e = Tensor::zeros([1usize << 61], DType::F64).unwrap_err();
        assert!(
            matches!(
                e,
                Error::ShapeOverflow {
                    op: "zeros",
                    dtype: DType::F64,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_names(&e, &["[2305843009213693952]", "float64", "isize::MAX"]);
        // 2^63 bytes fit in usize but not in isize.
        let e = Tensor::zeros([1usize << 63], DType::U8).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
    });
}

/// NumPy checks the product of the non-zero dims (`np.zeros((0, 2**32,
/// 2**32, 2**32))` is "array is too big"), so the answer cannot depend on
/// where the zero sits. Core accepts the zero-first order, and the tensor
/// it makes panics ("attempt to multiply with overflow") as soon as its
/// axes are permuted.
#[test]
fn overflow_checks_do_not_depend_on_the_order_of_dims() {
    for_each_device(|_device| {
        let orders: [[usize; 4]; 4] = [
            [0, BIG, BIG, BIG],
            [BIG, 0, BIG, BIG],
            [BIG, BIG, 0, BIG],
            [BIG, BIG, BIG, 0],
        ];
        for dims in orders {
            let e = Tensor::zeros(dims, DType::U8).map(|t| t.dims().to_vec());
            assert!(
                matches!(e, Err(Error::ShapeOverflow { .. })),
                "zeros({dims:?}): {e:?}"
            );
            let e = Tensor::from_vec(Vec::<u8>::new(), dims).map(|t| t.dims().to_vec());
            assert!(
                matches!(e, Err(Error::ShapeOverflow { .. })),
                "from_vec({dims:?}): {e:?}"
            );
            let e = here([1u8]).broadcast_to(dims).map(|t| t.dims().to_vec());
            assert!(
                matches!(e, Err(Error::ShapeOverflow { .. })),
                "broadcast_to({dims:?}): {e:?}"
            );
            let e = here(Vec::<u8>::new())
                .reshape(dims)
                .map(|t| t.dims().to_vec());
            assert!(e.is_err(), "reshape to {dims:?}: {e:?}");
        }
    });
}

/// Whatever core decides about such shapes, a tensor it accepts must not
/// panic afterwards: today `[0, 2^32, 2^32, 2^32]` is accepted and
/// `transpose` then overflows in `Layout::numel` (a debug-build panic; a
/// silently wrapped count in release).
#[test]
fn an_accepted_empty_shape_never_panics_later() {
    for_each_device(|_device| {
        let Ok(t) = Tensor::zeros([0, BIG, BIG, BIG], DType::U8) else {
            return;
        };
        let moved = std::panic::catch_unwind(|| {
            t.transpose(&[1, 2, 3, 0]).map(|m| {
                (
                    m.numel(),
                    m.is_contiguous(),
                    m.to_vec::<u8>().map(|v| v.len()),
                )
            })
        });
        let outcome = moved.expect("transpose of an accepted shape panicked");
        if let Ok((numel, contiguous, len)) = outcome {
            assert_eq!(numel, 0);
            assert!(contiguous);
            assert_eq!(len.unwrap(), 0);
        }
    });
}

#[test]
fn a_4_tib_request_is_out_of_memory_not_an_abort() {
    for_each_device(|_device| {
        const FOUR_TIB: usize = 1 << 42;
        let e = Tensor::zeros([FOUR_TIB], DType::U8).unwrap_err();
        assert!(
            matches!(
                e,
                Error::OutOfMemory {
                    requested_bytes: FOUR_TIB,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_names(&e, &["out of memory", "4398046511104 bytes requested"]);
        // The same through the other allocating constructors.
        let e = Tensor::full([FOUR_TIB], 1u8).unwrap_err();
        assert!(
            matches!(
                e,
                Error::OutOfMemory {
                    requested_bytes: FOUR_TIB,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = Tensor::ones([FOUR_TIB / 8], DType::F64).unwrap_err();
        assert!(
            matches!(
                e,
                Error::OutOfMemory {
                    requested_bytes: FOUR_TIB,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = Tensor::eye(1 << 21, DType::U8).unwrap_err();
        assert!(
            matches!(
                e,
                Error::OutOfMemory {
                    requested_bytes: FOUR_TIB,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = Tensor::linspace(0.0f32, 1.0, FOUR_TIB).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
        // 2^63 - 1 integers from arange.
        let e = Tensor::arange(0i64, i64::MAX, 1).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
        let e = Tensor::arange(0.0f64, 1e300, 1e-300).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
        // A 4 TiB broadcast is a view: it allocates nothing until copied.
        let b = here([1u8]).broadcast_to([FOUR_TIB]).unwrap();
        assert_eq!(b.numel(), FOUR_TIB);
        let e = b.to_vec::<u8>().unwrap_err();
        assert!(
            matches!(
                e,
                Error::OutOfMemory {
                    requested_bytes: FOUR_TIB,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = b.contiguous_copy().unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
        let e = b.cast(DType::F32).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
    });
}

#[test]
fn reshape_to_another_count_is_a_shape_mismatch() {
    for_each_device(|_device| {
        let t = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], [3]).unwrap();
        let e = t.reshape([2, 2]).unwrap_err();
        assert!(
            matches!(&e, Error::ShapeMismatch { op: "reshape", lhs, .. } if lhs == &[3]),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "reshape: cannot reshape a tensor of shape [3] (3 elements) into shape [2, 2] (4 elements)"
        );
        let t = Tensor::zeros([2, 3], DType::I16).unwrap();
        let e = t.reshape([Some(4), None]).unwrap_err();
        assert!(
            matches!(e, Error::ShapeMismatch { op: "reshape", .. }),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "reshape: cannot reshape a tensor of shape [2, 3] (6 elements) into shape [4, ?] \
         (a multiple of 4 elements)"
        );
        // An empty tensor cannot infer a dim next to a zero (NumPy refuses too).
        let e = Tensor::zeros([0, 3], DType::U8)
            .unwrap()
            .reshape([Some(0), None])
            .unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e:?}");
        assert_names(&e, &["[0, 3]", "[0, ?]"]);
    });
}

#[test]
fn two_inferred_dims_are_invalid() {
    for_each_device(|_device| {
        let t = Tensor::zeros([2, 3, 4], DType::U8).unwrap();
        let e = t.reshape([None, Some(2), None]).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { op: "reshape", .. }),
            "{e:?}"
        );
        assert_names(&e, &["[?, 2, ?]", "[0, 2]", "at most one"]);
    });
}

#[test]
fn bad_permutations_are_invalid() {
    for_each_device(|_device| {
        let t = Tensor::zeros([2, 3], DType::F32).unwrap();
        let cases: [(&[usize], &[&str]); 4] = [
            (&[0, 5], &["perm [0, 5]", "axis 5", "rank 2"]),
            (&[1, 1], &["perm [1, 1]", "repeats axis 1"]),
            (&[0], &["perm [0]", "1 entries", "rank 2"]),
            (&[2, 1, 0], &["perm [2, 1, 0]", "3 entries", "rank 2"]),
        ];
        for (perm, parts) in cases {
            let e = t.transpose(perm).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidArgument {
                        op: "transpose",
                        ..
                    }
                ),
                "{e:?}"
            );
            assert_names(&e, parts);
        }
        // A scalar has exactly one permutation: the empty one.
        let e = here(1u8).transpose(&[0]).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    });
}

#[test]
fn bad_slices_are_errors() {
    for_each_device(|_device| {
        let t = Tensor::from_vec((0..6).collect::<Vec<i32>>(), [2, 3]).unwrap();
        // A zero step.
        let e = t.slice(s![.., ..;0]).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { op: "slice", .. }),
            "{e:?}"
        );
        assert_names(&e, &["step of axis 1 is 0", "non-zero"]);
        // More indices than axes (new axes do not count).
        let e = t.slice(s![0, 1, 2]).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { op: "slice", .. }),
            "{e:?}"
        );
        assert_names(&e, &["too many indices", "3 given", "[2, 3]", "rank 2"]);
        assert!(t.slice(s![NewAxis, 0, NewAxis, 1]).is_ok());
        let e = here(1.0f64).slice(s![0]).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
        // An index outside its axis, from either end.
        for (args, index, axis, size) in [
            (s![2].to_vec(), 2isize, 0usize, 2usize),
            (s![-3].to_vec(), -3, 0, 2),
            (s![.., 3].to_vec(), 3, 1, 3),
            (s![1, -4].to_vec(), -4, 1, 3),
        ] {
            let e = t.slice(args).unwrap_err();
            assert!(
                matches!(e, Error::IndexOutOfBounds { op: "slice", index: i, axis: a, size: n, .. }
                if (i, a, n) == (index, axis, size)),
                "{e:?}"
            );
            assert_eq!(
                e.to_string(),
                format!("slice: index {index} is out of bounds for axis {axis} with size {size}")
            );
        }
        // Any index of an empty axis is out of bounds; range bounds never are.
        let empty = Tensor::zeros([0], DType::U8).unwrap();
        assert!(matches!(
            empty.slice(s![0]).unwrap_err(),
            Error::IndexOutOfBounds { size: 0, .. }
        ));
        assert_eq!(t.slice(s![5..100, -100..]).unwrap().dims(), [0, 3]);
    });
}

#[test]
fn the_wrong_element_type_is_a_dtype_mismatch_naming_both() {
    for_each_device(|device| {
        let t = Tensor::from_vec(vec![1.0f32, 2.0], [2]).unwrap();
        // `view` borrows host memory: on a device it refuses before looking at
        // the element type, naming the device and the way out.
        let not_on_host = |e: Error| {
            assert!(
                matches!(e, Error::NotOnHost { op: "view", device: d } if d == device),
                "{e:?}"
            );
            assert_names(&e, &["to_array"]);
        };
        let check = |e: Error, op: &str| {
            assert!(
                matches!(
                    e,
                    Error::DTypeMismatch {
                        expected: DType::F64,
                        found: DType::F32,
                        ..
                    }
                ),
                "{e:?}"
            );
            assert_names(
                &e,
                &[
                    op,
                    "expected dtype float64",
                    "found float32",
                    ".cast(DType::F64)",
                ],
            );
        };
        if device == Device::Cpu {
            check(t.view::<f64>().unwrap_err(), "view");
        } else {
            not_on_host(t.view::<f64>().unwrap_err());
        }
        check(t.to_array::<f64>().unwrap_err(), "to_array");
        check(t.clone().into_array::<f64>().unwrap_err(), "into_array");
        check(t.to_vec::<f64>().unwrap_err(), "to_vec");
        check(
            t.slice(s![0]).unwrap().to_scalar::<f64>().unwrap_err(),
            "to_scalar",
        );
        let a = t.numpy().unwrap();
        check(a.view_typed::<f64>().unwrap_err(), "view_typed");
        check(a.into_typed::<f64>().unwrap_err(), "into_typed");
        if device != Device::Cpu {
            not_on_host(here([1i32]).view::<u32>().unwrap_err());
            return;
        }
        // Same width, other kind: still a mismatch.
        let e = here([1i32]).view::<u32>().unwrap_err();
        assert!(matches!(
            e,
            Error::DTypeMismatch {
                expected: DType::U32,
                found: DType::I32,
                ..
            }
        ));
        let e = here([f16::ONE]).view::<bf16>().unwrap_err();
        assert_names(&e, &["bfloat16", "float16"]);
    });
}

#[test]
fn bad_device_strings_are_parse_errors() {
    for input in [
        "tpu:0", "/GPU:x", "", "cpu:1", "gpu:-1", "/device:", "cuda:0:1", "metal",
    ] {
        let e = input.parse::<Device>().unwrap_err();
        assert!(
            matches!(&e, Error::ParseDevice { input: i } if i == input),
            "{input:?}: {e:?}"
        );
        assert_names(
            &e,
            &[
                &format!("cannot parse device {input:?}"),
                "\"/device:GPU:1\"",
            ],
        );
    }
}

#[test]
fn a_gpu_scope_without_a_gpu_makes_creation_fail() {
    if tensorbridge::devices().contains(&Device::Cuda(0)) {
        println!("SKIPPED: cuda:0 is available; creation under its scope succeeds");
        return;
    }
    let _gpu = "/GPU:0".parse::<Device>().unwrap().scope();
    let outcomes: Vec<(&str, Result<Tensor>)> = vec![
        ("zeros", Tensor::zeros([2], DType::F32)),
        ("ones", Tensor::ones([2], DType::F32)),
        ("full", Tensor::full([2], 1u8)),
        ("eye", Tensor::eye(2, DType::F64)),
        ("from_vec", Tensor::from_vec(vec![1i32, 2], [2])),
        ("from_slice", Tensor::from_slice(&[1i32, 2], [2])),
        ("new", Tensor::new([[1.0f32, 2.0], [3.0, 4.0]])),
        ("arange", Tensor::arange(0i32, 4, 1)),
        ("linspace", Tensor::linspace(0.0f32, 1.0, 3)),
        ("from_array", Tensor::from_array(ndarray::arr1(&[1u8, 2]))),
        (
            "from_array_view",
            Tensor::from_array_view(&ndarray::arr1(&[1u8, 2])),
        ),
        ("to_device", Tensor::from([1u8]).to_device(Device::Cuda(0))),
    ];
    for (what, outcome) in outcomes {
        let e = outcome.map(|t| t.device()).unwrap_err();
        assert!(
            matches!(
                e,
                Error::DeviceUnavailable {
                    device: Device::Cuda(0),
                    ..
                }
            ),
            "{what}: {e:?}"
        );
        assert_names(&e, &["device cuda:0 is unavailable"]);
    }
    // Another ordinal is named as given.
    let e = Tensor::from([1u8]).to_device(Device::Cuda(3)).unwrap_err();
    assert_names(&e, &["cuda:3"]);
}

#[test]
fn to_scalar_needs_exactly_one_element() {
    for_each_device(|_device| {
        for dims in [vec![2], vec![0], vec![2, 3]] {
            let t = Tensor::zeros(dims.as_slice(), DType::I64).unwrap();
            let e = t.to_scalar::<i64>().unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidArgument {
                        op: "to_scalar",
                        ..
                    }
                ),
                "{e:?}"
            );
            let n: usize = dims.iter().product();
            assert_names(
                &e,
                &[&format!("shape {dims:?} has {n} elements"), "exactly one"],
            );
        }
    });
}

#[test]
fn a_buffer_that_does_not_fill_the_shape_is_a_shape_mismatch() {
    for_each_device(|_device| {
        let e = Tensor::from_vec(vec![1u8, 2, 3], [2, 2]).unwrap_err();
        assert!(
            matches!(&e, Error::ShapeMismatch { op: "from_vec", lhs, rhs, .. } if lhs == &[3] && rhs == &[2, 2]),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "from_vec: 3 elements cannot fill shape [2, 2], which holds 4"
        );
        let e = Tensor::from_slice(&[1.0f64; 5], [2, 3]).unwrap_err();
        assert!(
            matches!(
                e,
                Error::ShapeMismatch {
                    op: "from_slice",
                    ..
                }
            ),
            "{e:?}"
        );
        assert_names(&e, &["5 elements", "[2, 3]", "holds 6"]);
        let e = Tensor::from_vec(vec![1u8], [0]).unwrap_err();
        assert_names(&e, &["1 elements", "[0]", "holds 0"]);
        // from_array_view takes its shape from the array, so its length always
        // fits: the only length rule is from_vec's and from_slice's.
    });
}

#[test]
fn squeezing_an_axis_that_is_not_1_is_invalid() {
    for_each_device(|_device| {
        let t = Tensor::zeros([1, 3, 1], DType::U8).unwrap();
        let e = t.squeeze_axes(&[1]).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { op: "squeeze", .. }),
            "{e:?}"
        );
        assert_names(&e, &["axis 1 of shape [1, 3, 1] has size 3", "size 1"]);
        let e = t.squeeze_axes(&[-2]).unwrap_err();
        assert_names(&e, &["axis -2", "size 3"]);
        let e = t.squeeze_axes(&[0, -3]).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
        assert_names(&e, &["[0, -3]", "axis 0 twice"]);
        let e = t.squeeze_axes(&[3]).unwrap_err();
        assert_names(&e, &["axis 3 is out of range for rank 3", "-3 to 2"]);
        let e = t.squeeze_axes(&[-4]).unwrap_err();
        assert_names(&e, &["axis -4"]);
    });
}

#[test]
fn expand_dims_out_of_range_is_invalid() {
    for_each_device(|_device| {
        let t = Tensor::zeros([2, 3], DType::U8).unwrap();
        // Valid: -3..=2 (the axis of the rank-3 result).
        assert_eq!(t.expand_dims(2).unwrap().dims(), [2, 3, 1]);
        assert_eq!(t.expand_dims(-3).unwrap().dims(), [1, 2, 3]);
        for axis in [3isize, -4, isize::MAX, isize::MIN] {
            let e = t.expand_dims(axis).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidArgument {
                        op: "expand_dims",
                        ..
                    }
                ),
                "{e:?}"
            );
            assert_names(&e, &[&format!("axis {axis} is out of range"), "-3 to 2"]);
        }
    });
}

#[test]
fn arange_needs_a_step_and_finite_bounds() {
    for_each_device(|_device| {
        let e = Tensor::arange(0i32, 5, 0).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { op: "arange", .. }),
            "{e:?}"
        );
        assert_names(&e, &["step is 0", "non-zero"]);
        let e = Tensor::arange(0.0f32, 1.0, 0.0).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { op: "arange", .. }),
            "{e:?}"
        );
        assert_names(&e, &["step 0", "non-zero"]);
        for (start, stop, step, named) in [
            (f64::NAN, 1.0, 0.5, "start NaN"),
            (0.0, f64::NAN, 0.5, "stop NaN"),
            (0.0, f64::INFINITY, 0.5, "stop inf"),
            (0.0, 1.0, f64::NAN, "step NaN"),
            (0.0, 1.0, f64::NEG_INFINITY, "step -inf"),
        ] {
            let e = Tensor::arange(start, stop, step).unwrap_err();
            assert!(
                matches!(e, Error::InvalidArgument { op: "arange", .. }),
                "{e:?}"
            );
            assert_names(&e, &[named, "finite"]);
        }
        let e = Tensor::arange(f16::NAN, f16::ONE, f16::ONE).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
        // Bool and complex have no order to range over.
        let e = Tensor::arange(false, true, true).unwrap_err();
        assert_names(&e, &["dtype bool is not a real number type"]);
        let one = Complex::new(1.0f32, 0.0);
        let e = Tensor::arange(one, one, one).unwrap_err();
        assert_names(&e, &["dtype complex64"]);
        let e = Tensor::linspace(one, one, 3).unwrap_err();
        assert!(
            matches!(e, Error::InvalidArgument { op: "linspace", .. }),
            "{e:?}"
        );
    });
}

#[test]
fn complex_to_real_casts_are_refused() {
    for_each_device(|_device| {
        let z = here([Complex::new(1.5f32, -2.0)]);
        for dtype in DType::ALL {
            let outcome = z.cast(dtype);
            if dtype.is_complex() || dtype == DType::Bool {
                assert!(outcome.is_ok(), "complex64 -> {dtype}: {outcome:?}");
                continue;
            }
            let e = outcome.unwrap_err();
            assert!(
                matches!(e, Error::InvalidArgument { op: "cast", .. }),
                "{dtype}: {e:?}"
            );
            assert_names(
                &e,
                &[
                    &format!("casting complex64 to {dtype}"),
                    "imaginary part",
                    ".real()",
                    ".imag()",
                ],
            );
        }
        let e = here([Complex::new(0.0f64, 1.0)])
            .cast(DType::F64)
            .unwrap_err();
        assert_names(&e, &["complex128 to float64"]);
        // The parts are there for the asking.
        assert_eq!(z.real().unwrap().to_vec::<f32>().unwrap(), [1.5]);
        assert_eq!(z.imag().unwrap().to_vec::<f32>().unwrap(), [-2.0]);
    });
}

/// The variant each broken rule must give.
fn expected_variant(broken: Broken, e: &Error) -> bool {
    match broken {
        Broken::ReshapeCount | Broken::BroadcastDim | Broken::BroadcastRank => {
            matches!(e, Error::ShapeMismatch { .. })
        }
        Broken::SliceIndexOutOfRange => matches!(e, Error::IndexOutOfBounds { .. }),
        Broken::ReshapeTwoInferred
        | Broken::PermLength
        | Broken::PermOutOfRange
        | Broken::PermRepeated
        | Broken::SliceZeroStep
        | Broken::SliceTooManyIndices
        | Broken::SqueezeNotOne
        | Broken::SqueezeRepeated
        | Broken::AxisOutOfRange => matches!(e, Error::InvalidArgument { .. }),
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn invalid_reshapes_are_refused(case in invalid_reshapes()) {
        on_each_device(|device| {
        let e = case.tensor().to_device(device).unwrap().reshape(case.arg.clone()).unwrap_err();
        prop_assert!(expected_variant(case.broken, &e), "{:?}: {e:?}", case);
        let spec: Vec<String> = case
            .arg
            .iter()
            .map(|d| d.map_or("?".to_string(), |d| d.to_string()))
            .collect();
        prop_assert!(e.to_string().contains(&format!("[{}]", spec.join(", "))), "{e}");
        if case.broken == Broken::ReshapeCount {
            prop_assert!(e.to_string().contains(&format!("{:?}", case.dims)), "{e}");
        }
        Ok(())
        })?;
    }

    #[test]
    fn invalid_perms_are_refused(case in invalid_perms()) {
        on_each_device(|device| {
        let e = case.tensor().to_device(device).unwrap().transpose(&case.arg).unwrap_err();
        prop_assert!(expected_variant(case.broken, &e), "{:?}: {e:?}", case);
        prop_assert!(e.to_string().contains(&format!("perm {:?}", case.arg)), "{e}");
        Ok(())
        })?;
    }

    #[test]
    fn invalid_slices_are_refused(case in invalid_slices()) {
        on_each_device(|device| {
        let e = case.tensor().to_device(device).unwrap().slice(case.arg.iter().copied()).unwrap_err();
        prop_assert!(expected_variant(case.broken, &e), "{:?}: {e:?}", case);
        let text = e.to_string();
        match case.broken {
            Broken::SliceZeroStep => prop_assert!(text.contains("is 0"), "{text}"),
            Broken::SliceTooManyIndices => {
                prop_assert!(text.contains(&format!("{:?}", case.dims)), "{text}");
            }
            _ => {
                let index = case.arg.iter().find_map(|a| match a {
                    SliceArg::Index(i) => Some(*i),
                    _ => None,
                });
                prop_assert!(text.contains(&format!("index {}", index.unwrap())), "{text}");
            }
        }
        Ok(())
        })?;
    }

    #[test]
    fn invalid_broadcasts_are_refused(case in invalid_broadcasts()) {
        on_each_device(|device| {
        let e = case.tensor().to_device(device).unwrap().broadcast_to(case.arg.as_slice()).unwrap_err();
        prop_assert!(expected_variant(case.broken, &e), "{:?}: {e:?}", case);
        let text = e.to_string();
        prop_assert!(text.contains(&format!("{:?}", case.dims)), "{text}");
        prop_assert!(text.contains(&format!("{:?}", case.arg)), "{text}");
        Ok(())
        })?;
    }

    #[test]
    fn invalid_squeezes_are_refused(case in invalid_squeezes()) {
        on_each_device(|device| {
        let e = case.tensor().to_device(device).unwrap().squeeze_axes(&case.arg).unwrap_err();
        prop_assert!(expected_variant(case.broken, &e), "{:?}: {e:?}", case);
        prop_assert!(e.to_string().contains(&format!("axis {}", case.arg[0])) || case.broken == Broken::SqueezeRepeated, "{e}");
        Ok(())
        })?;
    }

    #[test]
    fn invalid_expand_dims_are_refused(case in invalid_expand_dims()) {
        on_each_device(|device| {
        let e = case.tensor().to_device(device).unwrap().expand_dims(case.arg).unwrap_err();
        prop_assert!(expected_variant(case.broken, &e), "{:?}: {e:?}", case);
        prop_assert!(e.to_string().contains(&format!("axis {} is out of range", case.arg)), "{e}");
        Ok(())
        })?;
    }

    #[test]
    fn overflowing_shapes_never_allocate(dims in overflowing_shapes()) {
        on_each_device(|_device| {
        let text = format!("{dims:?}");
        for e in [
            Tensor::zeros(dims.as_slice(), DType::U8).unwrap_err(),
            Tensor::from_vec(vec![0i8; 3], dims.as_slice()).unwrap_err(),
            here([0u8]).broadcast_to(dims.as_slice()).unwrap_err(),
        ] {
            prop_assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
            prop_assert!(e.to_string().contains(&text), "{e}");
        }
        prop_assert!(here([0u8]).reshape(dims.as_slice()).is_err());
        Ok(())
        })?;
    }
}

/// Every strategy of invalid arguments reaches every rule it claims.
#[test]
fn the_invalid_strategies_cover_their_rules() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = BTreeSet::new();
    for _ in 0..400 {
        seen.insert(format!(
            "{:?}",
            invalid_reshapes()
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .broken
        ));
        seen.insert(format!(
            "{:?}",
            invalid_perms()
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .broken
        ));
        seen.insert(format!(
            "{:?}",
            invalid_slices()
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .broken
        ));
        seen.insert(format!(
            "{:?}",
            invalid_broadcasts()
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .broken
        ));
        seen.insert(format!(
            "{:?}",
            invalid_squeezes()
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .broken
        ));
    }
    let all: BTreeSet<String> = [
        "ReshapeCount",
        "ReshapeTwoInferred",
        "PermLength",
        "PermOutOfRange",
        "PermRepeated",
        "SliceZeroStep",
        "SliceTooManyIndices",
        "SliceIndexOutOfRange",
        "BroadcastDim",
        "BroadcastRank",
        "SqueezeNotOne",
        "SqueezeRepeated",
        "AxisOutOfRange",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(seen, all);
}
