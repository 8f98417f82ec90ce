//! Shape ops suite: concat, stack, split, split_even, pad, tile and one_hot
//! against naive references (index by index, on `i64` values, cast to the
//! dtype under test at the end) over random shapes, layouts and dtypes;
//! TensorFlow's documented examples; and every validation rule broken once.

#[path = "views_helper.rs"]
mod views_helper;

use proptest::prelude::*;
use tensorbridge::prelude::*;
use tensorbridge_tests::{for_each_device, here, on_each_device};
use views_helper::*;

/// Asserts `e` is `InvalidArgument` and its message contains `needle`.
fn assert_invalid(e: Error, needle: &str) {
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e:?}");
    assert!(e.to_string().contains(needle), "{e}");
}

// ---------------------------------------------------------------- concat

/// Inputs for concat: per tensor, its dims (equal except along the axis),
/// values and layout.
#[derive(Debug, Clone)]
struct ConcatCase {
    axis: isize,
    parts: Vec<(Vec<usize>, Vec<i64>, Kind)>,
    dtype: DType,
}

fn concat_cases() -> impl Strategy<Value = ConcatCase> {
    (dims(1, 4, 3), 1usize..5, dtypes())
        .prop_flat_map(|(base, k, dtype)| {
            let rank = base.len() as isize;
            (
                Just(base),
                -rank..rank,
                proptest::collection::vec(0usize..4, k),
                Just(dtype),
            )
        })
        .prop_flat_map(|(base, axis, lens, dtype)| {
            let a = axis.rem_euclid(base.len() as isize) as usize;
            let parts: Vec<_> = lens
                .iter()
                .map(|&len| {
                    let mut d = base.clone();
                    d[a] = len;
                    let n = d.iter().product();
                    (Just(d), values(n), kinds())
                })
                .collect();
            (Just(axis), parts, Just(dtype))
        })
        .prop_map(|(axis, parts, dtype)| ConcatCase { axis, parts, dtype })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn concat_matches_reference(c in concat_cases()) {
        // On every device: the inputs are made under its scope.
        on_each_device(|_| {
        let inputs: Vec<(Tensor, Vec<i64>)> = c
            .parts
            .iter()
            .map(|(d, v, kind)| input(v, d, *kind, c.dtype))
            .collect();
        let refs: Vec<&Tensor> = inputs.iter().map(|(t, _)| t).collect();
        let got = Tensor::concat(&refs, c.axis).unwrap();
        let a = c.axis.rem_euclid(c.parts[0].0.len() as isize) as usize;
        let mut odims = c.parts[0].0.clone();
        odims[a] = c.parts.iter().map(|(d, _, _)| d[a]).sum();
        let want: Vec<i64> = indices_of(&odims)
            .map(|mut i| {
                let mut t = 0;
                while i[a] >= c.parts[t].0[a] {
                    i[a] -= c.parts[t].0[a];
                    t += 1;
                }
                inputs[t].1[ravel(&i, &c.parts[t].0)]
            })
            .collect();
        prop_assert!(same(&got, &expected(want, &odims, c.dtype)), "{:?}", got.numpy());
        Ok(())
        })?;
    }
}

#[test]
fn concat_tf_doc_examples() {
    for_each_device(|_device| {
        let t1 = here([[1, 2, 3], [4, 5, 6]]);
        let t2 = here([[7, 8, 9], [10, 11, 12]]);
        let c = Tensor::concat(&[&t1, &t2], 0).unwrap();
        assert_eq!(c.dims(), [4, 3]);
        assert_eq!(c.to_vec::<i32>().unwrap(), (1..=12).collect::<Vec<_>>());
        let c = Tensor::concat(&[&t1, &t2], 1).unwrap();
        assert_eq!(c.dims(), [2, 6]);
        assert_eq!(
            c.to_vec::<i32>().unwrap(),
            [1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12]
        );
        let t1 = here([[[1, 2], [2, 3]], [[4, 4], [5, 3]]]);
        let t2 = here([[[7, 4], [8, 4]], [[2, 10], [15, 11]]]);
        let c = Tensor::concat(&[&t1, &t2], -1).unwrap();
        assert_eq!(c.dims(), [2, 2, 4]);
        assert_eq!(
            c.to_vec::<i32>().unwrap(),
            [1, 2, 7, 4, 2, 3, 8, 4, 4, 4, 2, 10, 5, 3, 15, 11]
        );
    });
}

#[test]
fn concat_validation() {
    for_each_device(|_device| {
        let a = here([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
        assert_invalid(
            Tensor::concat(&[], 0).unwrap_err(),
            "list of tensors is empty",
        );
        assert_invalid(
            Tensor::concat(&[&here(1.0f32)], 0).unwrap_err(),
            "cannot concatenate scalars",
        );
        let e = Tensor::concat(&[&a, &here([[1.0f64, 2.0, 3.0]])], 0).unwrap_err();
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
        let b = Tensor::zeros([2, 4], DType::F32).unwrap();
        let e = Tensor::concat(&[&a, &a, &b], 0).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e:?}");
        assert!(
            e.to_string()
                .contains("tensors[2] has shape [2, 4] but tensors[0] has shape [2, 3]"),
            "{e}"
        );
        // Along axis 1 the same tensors fit.
        assert_eq!(Tensor::concat(&[&a, &a, &b], 1).unwrap().dims(), [2, 10]);
        let e = Tensor::concat(&[&a, &here([1.0f32, 2.0, 3.0])], 0).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e:?}");
        assert!(e.to_string().contains("tensors[1] has shape [3]"), "{e}");
        assert_invalid(
            Tensor::concat(&[&a, &a], 2).unwrap_err(),
            "axis 2 is out of range for rank 2",
        );
        // An axis length that overflows usize, from broadcast (empty) views.
        let huge = Tensor::zeros([0, 1], DType::U8)
            .unwrap()
            .broadcast_to([0, isize::MAX as usize])
            .unwrap();
        let e = Tensor::concat(&[&huge, &huge, &huge], 1).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
        // An output larger than the machine.
        let wide = here(1.0f64).broadcast_to([1usize << 19, 1 << 20]).unwrap();
        let e = Tensor::concat(&[&wide, &wide], 0).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
    });
}

// ----------------------------------------------------------------- stack

#[derive(Debug, Clone)]
struct StackCase {
    dims: Vec<usize>,
    axis: isize,
    parts: Vec<(Vec<i64>, Kind)>,
    dtype: DType,
}

fn stack_cases() -> impl Strategy<Value = StackCase> {
    (dims(0, 3, 3), 1usize..5, dtypes())
        .prop_flat_map(|(d, k, dtype)| {
            let n: usize = d.iter().product();
            let rank = d.len() as isize;
            (
                Just(d),
                -rank - 1..=rank,
                proptest::collection::vec((values(n), kinds()), k),
                Just(dtype),
            )
        })
        .prop_map(|(dims, axis, parts, dtype)| StackCase {
            dims,
            axis,
            parts,
            dtype,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn stack_matches_reference(c in stack_cases()) {
        // On every device: the inputs are made under its scope.
        on_each_device(|_| {
        let inputs: Vec<(Tensor, Vec<i64>)> = c
            .parts
            .iter()
            .map(|(v, kind)| input(v, &c.dims, *kind, c.dtype))
            .collect();
        let refs: Vec<&Tensor> = inputs.iter().map(|(t, _)| t).collect();
        let got = Tensor::stack(&refs, c.axis).unwrap();
        let a = c.axis.rem_euclid(c.dims.len() as isize + 1) as usize;
        let mut odims = c.dims.clone();
        odims.insert(a, c.parts.len());
        let want: Vec<i64> = indices_of(&odims)
            .map(|mut i| {
                let t = i.remove(a);
                inputs[t].1[ravel(&i, &c.dims)]
            })
            .collect();
        prop_assert!(same(&got, &expected(want, &odims, c.dtype)), "{:?}", got.numpy());
        Ok(())
        })?;
    }
}

#[test]
fn stack_tf_doc_example_and_validation() {
    for_each_device(|_device| {
        let (x, y, z) = (here([1, 4]), here([2, 5]), here([3, 6]));
        let s = Tensor::stack(&[&x, &y, &z], 0).unwrap();
        assert_eq!(s.dims(), [3, 2]);
        assert_eq!(s.to_vec::<i32>().unwrap(), [1, 4, 2, 5, 3, 6]);
        let s = Tensor::stack(&[&x, &y, &z], 1).unwrap();
        assert_eq!(s.dims(), [2, 3]);
        assert_eq!(s.to_vec::<i32>().unwrap(), [1, 2, 3, 4, 5, 6]);
        // Scalars stack into a vector.
        let s = Tensor::stack(&[&here(1u8), &here(2u8)], -1).unwrap();
        assert_eq!(s.to_vec::<u8>().unwrap(), [1, 2]);

        assert_invalid(
            Tensor::stack(&[], 0).unwrap_err(),
            "list of tensors is empty",
        );
        let e = Tensor::stack(&[&x, &here([1, 2, 3])], 0).unwrap_err();
        assert!(matches!(e, Error::ShapeMismatch { .. }), "{e:?}");
        assert!(
            e.to_string()
                .contains("tensors[1] has shape [3] but tensors[0] has shape [2]"),
            "{e}"
        );
        let e = Tensor::stack(&[&x, &here([1i64, 2])], 0).unwrap_err();
        assert!(matches!(e, Error::DTypeMismatch { .. }), "{e:?}");
        assert_invalid(
            Tensor::stack(&[&x, &y], 2).unwrap_err(),
            "axis 2 is out of range for stacking tensors of rank 1 (valid: -2 to 1)",
        );
        assert!(Tensor::stack(&[&x, &y], -3).is_err());
        assert_eq!(Tensor::stack(&[&x, &y], -2).unwrap().dims(), [2, 2]);
    });
}

// ----------------------------------------------------------------- split

#[derive(Debug, Clone)]
struct SplitCase {
    dims: Vec<usize>,
    data: Vec<i64>,
    kind: Kind,
    dtype: DType,
    axis: isize,
    sizes: Vec<usize>,
}

fn split_cases() -> impl Strategy<Value = SplitCase> {
    (
        dims(1, 3, 3),
        kinds(),
        dtypes(),
        proptest::collection::vec(0usize..4, 1..5),
    )
        .prop_flat_map(|(d, kind, dtype, sizes)| {
            let rank = d.len() as isize;
            (Just((d, kind, dtype, sizes)), -rank..rank)
        })
        .prop_flat_map(|((mut d, kind, dtype, sizes), axis)| {
            let a = axis.rem_euclid(d.len() as isize) as usize;
            d[a] = sizes.iter().sum();
            let n = d.iter().product();
            (Just((d, kind, dtype, sizes, axis)), values(n))
        })
        .prop_map(|((dims, kind, dtype, sizes, axis), data)| SplitCase {
            dims,
            data,
            kind,
            dtype,
            axis,
            sizes,
        })
}

/// Checks that `parts` are views of `t` holding consecutive pieces of
/// `sizes` along axis `a` of the values `logical`.
fn check_pieces(
    t: &Tensor,
    logical: &[i64],
    dims: &[usize],
    a: usize,
    sizes: &[usize],
    parts: &[Tensor],
) {
    assert_eq!(parts.len(), sizes.len());
    let mut start = 0;
    for (p, &size) in parts.iter().zip(sizes) {
        assert!(p.shares_buffer_with(t), "a piece of split is a view");
        let mut pdims = dims.to_vec();
        pdims[a] = size;
        let want: Vec<i64> = indices_of(&pdims)
            .map(|mut i| {
                i[a] += start;
                logical[ravel(&i, dims)]
            })
            .collect();
        assert!(
            same(p, &expected(want, &pdims, t.dtype())),
            "{:?}",
            p.numpy()
        );
        start += size;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn split_matches_reference(c in split_cases()) {
        // On every device: the inputs are made under its scope.
        on_each_device(|_| {
        let (t, logical) = input(&c.data, &c.dims, c.kind, c.dtype);
        let a = c.axis.rem_euclid(c.dims.len() as isize) as usize;
        let parts = t.split(&c.sizes, c.axis).unwrap();
        check_pieces(&t, &logical, &c.dims, a, &c.sizes, &parts);
        // Concatenating the pieces gives the tensor back.
        let refs: Vec<&Tensor> = parts.iter().collect();
        prop_assert!(same(&Tensor::concat(&refs, c.axis).unwrap(), &expected(logical.clone(), &c.dims, c.dtype)));
        // split_even with every divisor of the dim (and a non-divisor errs).
        let dim = c.dims[a];
        for num in 1..=dim.max(1) + 1 {
            match t.split_even(num, c.axis) {
                Ok(parts) => {
                    prop_assert_eq!(dim % num, 0);
                    check_pieces(&t, &logical, &c.dims, a, &vec![dim / num; num], &parts);
                }
                Err(e) => {
                    prop_assert!(dim % num != 0, "{}", e);
                    prop_assert!(matches!(e, Error::InvalidArgument { .. }), "{:?}", e);
                }
            }
        }
        Ok(())
        })?;
    }
}

#[test]
fn split_tf_doc_example_and_validation() {
    for_each_device(|_device| {
        // x of shape [5, 30]: split [4, 15, 11] along axis 1, and into 3.
        let x = Tensor::arange(0i32, 150, 1)
            .unwrap()
            .reshape([5, 30])
            .unwrap();
        let parts = x.split(&[4, 15, 11], 1).unwrap();
        let shapes: Vec<&[usize]> = parts.iter().map(|p| p.dims()).collect();
        assert_eq!(shapes, [&[5, 4][..], &[5, 15], &[5, 11]]);
        assert_eq!(parts[2].to_vec::<i32>().unwrap()[..3], [19, 20, 21]);
        let parts = x.split_even(3, 1).unwrap();
        assert!(parts.iter().all(|p| p.dims() == [5, 10]));
        assert_eq!(parts[1].to_vec::<i32>().unwrap()[..2], [10, 11]);

        assert_invalid(
            x.split(&[4, 15], 1).unwrap_err(),
            "sizes [4, 15] add up to 19, but axis 1 of shape [5, 30] has size 30",
        );
        assert_invalid(
            x.split(&[usize::MAX, 2], 1).unwrap_err(),
            "add up to more than usize holds",
        );
        assert_invalid(x.split(&[5], 2).unwrap_err(), "axis 2 is out of range");
        assert_invalid(
            x.split_even(4, 1).unwrap_err(),
            "axis 1 of shape [5, 30] has size 30, which cannot be split into 4 equal pieces",
        );
        assert_invalid(x.split_even(0, 0).unwrap_err(), "cannot be split into 0");
        assert!(here(1).split_even(1, 0).is_err());
    });
}

// ------------------------------------------------------------------- pad

#[derive(Debug, Clone)]
struct PadCase {
    dims: Vec<usize>,
    data: Vec<i64>,
    kind: Kind,
    dtype: DType,
    paddings: Vec<(usize, usize)>,
    value: i64,
}

fn pad_cases() -> impl Strategy<Value = PadCase> {
    (dims(0, 3, 3), kinds(), dtypes(), -9i64..9)
        .prop_flat_map(|(d, kind, dtype, value)| {
            let n = d.iter().product();
            let r = d.len();
            (
                Just((d, kind, dtype, value)),
                values(n),
                proptest::collection::vec((0usize..3, 0usize..3), r),
            )
        })
        .prop_map(|((dims, kind, dtype, value), data, paddings)| PadCase {
            dims,
            data,
            kind,
            dtype,
            paddings,
            value,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn pad_matches_reference(c in pad_cases()) {
        // On every device: the inputs are made under its scope.
        on_each_device(|_| {
        let (t, logical) = input(&c.data, &c.dims, c.kind, c.dtype);
        let got = t.pad(&c.paddings, &scalar(c.value, c.dtype)).unwrap();
        let odims: Vec<usize> = c.dims.iter().zip(&c.paddings).map(|(&d, &(b, e))| b + d + e).collect();
        let want: Vec<i64> = indices_of(&odims)
            .map(|i| {
                let src: Option<Vec<usize>> = i
                    .iter()
                    .zip(&c.paddings)
                    .zip(&c.dims)
                    .map(|((&i, &(b, _)), &d)| (i >= b && i - b < d).then(|| i - b))
                    .collect();
                src.map_or(c.value, |s| logical[ravel(&s, &c.dims)])
            })
            .collect();
        prop_assert!(same(&got, &expected(want, &odims, c.dtype)), "{:?}", got.numpy());
        Ok(())
        })?;
    }
}

#[test]
fn pad_tf_doc_example_and_validation() {
    for_each_device(|_device| {
        let t = here([[1, 2, 3], [4, 5, 6]]);
        let p = t.pad(&[(1, 1), (2, 2)], &here(0)).unwrap();
        assert_eq!(p.dims(), [4, 7]);
        assert_eq!(
            p.to_vec::<i32>().unwrap(),
            [
                0, 0, 0, 0, 0, 0, 0, //
                0, 0, 1, 2, 3, 0, 0, //
                0, 0, 4, 5, 6, 0, 0, //
                0, 0, 0, 0, 0, 0, 0,
            ]
        );
        // Padding with -0.0 keeps the sign.
        let p = here([1.0f32]).pad(&[(1, 0)], &here(-0.0f32)).unwrap();
        assert!(p.to_vec::<f32>().unwrap()[0].is_sign_negative());
        // A scalar pads to itself.
        assert_eq!(
            here(3u16)
                .pad(&[], &here(0u16))
                .unwrap()
                .to_vec::<u16>()
                .unwrap(),
            [3]
        );

        assert_invalid(
            t.pad(&[(1, 1)], &here(0)).unwrap_err(),
            "paddings has 1 pairs for a tensor of shape [2, 3] (rank 2)",
        );
        let e = t.pad(&[(1, 1), (0, 0)], &here(0i64)).unwrap_err();
        assert!(
            matches!(
                e,
                Error::DTypeMismatch {
                    expected: DType::I32,
                    found: DType::I64,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_invalid(
            t.pad(&[(1, 1), (0, 0)], &here([0])).unwrap_err(),
            "value must be a scalar (rank 0), got a tensor of shape [1]",
        );
        let e = t.pad(&[(usize::MAX, 0), (0, 0)], &here(0)).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
        let e = t.pad(&[(1 << 40, 0), (1 << 40, 0)], &here(0)).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
        let e = t.pad(&[(1 << 40, 0), (0, 0)], &here(0)).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
    });
}

// ------------------------------------------------------------------ tile

#[derive(Debug, Clone)]
struct TileCase {
    dims: Vec<usize>,
    data: Vec<i64>,
    kind: Kind,
    dtype: DType,
    multiples: Vec<usize>,
}

fn tile_cases() -> impl Strategy<Value = TileCase> {
    (dims(0, 3, 3), kinds(), dtypes())
        .prop_flat_map(|(d, kind, dtype)| {
            let n = d.iter().product();
            let r = d.len();
            (
                Just((d, kind, dtype)),
                values(n),
                proptest::collection::vec(prop_oneof![1 => Just(0usize), 6 => 1usize..4], r),
            )
        })
        .prop_map(|((dims, kind, dtype), data, multiples)| TileCase {
            dims,
            data,
            kind,
            dtype,
            multiples,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn tile_matches_reference(c in tile_cases()) {
        // On every device: the inputs are made under its scope.
        on_each_device(|_| {
        let (t, logical) = input(&c.data, &c.dims, c.kind, c.dtype);
        let got = t.tile(&c.multiples).unwrap();
        let odims: Vec<usize> = c.dims.iter().zip(&c.multiples).map(|(&d, &m)| d * m).collect();
        let want: Vec<i64> = indices_of(&odims)
            .map(|i| {
                let s: Vec<usize> = i.iter().zip(&c.dims).map(|(&i, &d)| i % d).collect();
                logical[ravel(&s, &c.dims)]
            })
            .collect();
        prop_assert!(same(&got, &expected(want, &odims, c.dtype)), "{:?}", got.numpy());
        Ok(())
        })?;
    }
}

#[test]
fn tile_tf_doc_example_and_validation() {
    for_each_device(|_device| {
        let a = here([[1, 2, 3], [4, 5, 6]]);
        assert_eq!(
            a.tile(&[1, 2]).unwrap().to_vec::<i32>().unwrap(),
            [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]
        );
        assert_eq!(
            a.tile(&[2, 1]).unwrap().to_vec::<i32>().unwrap(),
            [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]
        );
        let t = a.tile(&[2, 2]).unwrap();
        assert_eq!(t.dims(), [4, 6]);
        assert_eq!(
            t.to_vec::<i32>().unwrap(),
            [
                1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, //
                1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6,
            ]
        );
        assert_eq!(a.tile(&[0, 5]).unwrap().dims(), [0, 15]);

        assert_invalid(
            a.tile(&[2]).unwrap_err(),
            "multiples [2] has 1 entries for a tensor of shape [2, 3] (rank 2)",
        );
        let e = a.tile(&[usize::MAX, 1]).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
        assert!(e.to_string().contains("a dim times its multiple"), "{e}");
        let e = a.tile(&[1 << 40, 1 << 40]).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
        let e = a.tile(&[1 << 40, 1]).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
    });
}

// --------------------------------------------------------------- one_hot

#[derive(Debug, Clone)]
struct OneHotCase {
    dims: Vec<usize>,
    idx: Vec<i64>,
    kind: Kind,
    as_i32: bool,
    depth: usize,
    axis: isize,
    on: i64,
    off: i64,
    dtype: DType,
}

fn one_hot_cases() -> impl Strategy<Value = OneHotCase> {
    (
        dims(0, 3, 3),
        kinds(),
        any::<bool>(),
        0usize..5,
        -9i64..9,
        -9i64..9,
        dtypes(),
    )
        .prop_flat_map(|(d, kind, as_i32, depth, on, off, dtype)| {
            let n: usize = d.iter().product();
            let r = d.len() as isize;
            (
                Just((d, kind, as_i32, depth, on, off, dtype)),
                proptest::collection::vec(-2i64..depth as i64 + 2, n),
                -1..=r,
            )
        })
        .prop_map(
            |((dims, kind, as_i32, depth, on, off, dtype), idx, axis)| OneHotCase {
                dims,
                idx,
                kind,
                as_i32,
                depth,
                axis,
                on,
                off,
                dtype,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(160))]

    #[test]
    fn one_hot_matches_reference(c in one_hot_cases()) {
        // On every device: the inputs are made under its scope.
        on_each_device(|_| {
        let idtype = if c.as_i32 { DType::I32 } else { DType::I64 };
        let (indices, idx) = input(&c.idx, &c.dims, c.kind, idtype);
        let got = Tensor::one_hot(&indices, c.depth, &scalar(c.on, c.dtype), &scalar(c.off, c.dtype), c.axis)
            .unwrap();
        let a = if c.axis == -1 { c.dims.len() } else { c.axis as usize };
        let mut odims = c.dims.clone();
        odims.insert(a, c.depth);
        let want: Vec<i64> = indices_of(&odims)
            .map(|mut i| {
                let j = i.remove(a) as i64;
                if idx[ravel(&i, &c.dims)] == j { c.on } else { c.off }
            })
            .collect();
        prop_assert!(same(&got, &expected(want, &odims, c.dtype)), "{:?}", got.numpy());
        Ok(())
        })?;
    }
}

#[test]
fn one_hot_tf_doc_examples_and_validation() {
    for_each_device(|_device| {
        let on = here(1.0f32);
        let off = here(0.0f32);
        // indices [0, 1, 2], depth 3: the identity.
        let h = Tensor::one_hot(&here([0i64, 1, 2]), 3, &on, &off, -1).unwrap();
        assert_eq!(
            h.to_vec::<f32>().unwrap(),
            [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
        );
        // indices [0, 2, -1, 1], on 5.0, off 0.0: the -1 row is all off.
        let h = Tensor::one_hot(&here([0i32, 2, -1, 1]), 3, &here(5.0f32), &off, -1).unwrap();
        assert_eq!(h.dims(), [4, 3]);
        assert_eq!(
            h.to_vec::<f32>().unwrap(),
            [5.0, 0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 5.0, 0.0]
        );
        // indices [[0, 2], [1, -1]], depth 3: shape [2, 2, 3].
        let h = Tensor::one_hot(&here([[0i64, 2], [1, -1]]), 3, &on, &off, -1).unwrap();
        assert_eq!(h.dims(), [2, 2, 3]);
        assert_eq!(
            h.to_vec::<f32>().unwrap(),
            [1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
        );
        // axis 0 on a vector: [depth, n].
        let h = Tensor::one_hot(&here([1i64, 3]), 4, &on, &off, 0).unwrap();
        assert_eq!(h.dims(), [4, 2]);
        assert_eq!(
            h.to_vec::<f32>().unwrap(),
            [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]
        );
        // Values set the dtype: bool one-hots.
        let h = Tensor::one_hot(&here([1i64]), 2, &here(true), &here(false), -1).unwrap();
        assert_eq!(h.to_vec::<bool>().unwrap(), [false, true]);

        // Validation.
        assert_invalid(
            Tensor::one_hot(&here([0.0f32]), 3, &on, &off, -1).unwrap_err(),
            "int32 or int64, found float32",
        );
        let e = Tensor::one_hot(&here([0i64]), 3, &on, &here(0.0f64), -1).unwrap_err();
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
        assert_invalid(
            Tensor::one_hot(&here([0i64]), 3, &here([1.0f32]), &off, -1).unwrap_err(),
            "on_value must be a scalar (rank 0), got a tensor of shape [1]",
        );
        assert_invalid(
            Tensor::one_hot(&here([0i64]), 3, &on, &here([[0.0f32]]), -1).unwrap_err(),
            "off_value must be a scalar",
        );
        assert_invalid(
            Tensor::one_hot(&here([0i64]), 3, &on, &off, -2).unwrap_err(),
            "axis -2 is out of range for indices of rank 1",
        );
        assert_invalid(
            Tensor::one_hot(&here([0i64]), 3, &on, &off, 2).unwrap_err(),
            "axis 2 is out of range",
        );
        let e = Tensor::one_hot(&here([0i64, 1]), usize::MAX, &on, &off, -1).unwrap_err();
        assert!(matches!(e, Error::ShapeOverflow { .. }), "{e:?}");
        let e = Tensor::one_hot(&here([0i64, 1]), 1 << 42, &on, &off, -1).unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
    });
}
