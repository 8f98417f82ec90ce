//! Property tests of ragged tensors against naive references written here:
//! `to_tensor` with and without shapes (padding and cutting every dim),
//! `from_tensor` ∘ `to_tensor` round trips, every constructor agreeing with
//! the others, rows, lists and `numpy()` matching the data the tensor was
//! built from, `concat`, `to_sparse` (canonical, the naive entries, and
//! densifying to `to_tensor(0)`) — over ragged rank 1–3, inner dims, empty
//! rows and all-empty tensors, for every dtype — and invalid inputs of every
//! kind answered with `Err`, never a panic.

use proptest::prelude::*;
use tensorbridge::prelude::*;
use tensorbridge::ragged::strategies::{RaggedSpec, invalid_inputs, ragged_specs_of};
use tensorbridge::ragged::{Nested, RaggedTensor, TensorRows};
use tensorbridge::strategies::elements;
use tensorbridge::{Complex, bf16, f16};
use tensorbridge_tests::{here, indices, on_each_device, same};

/// The element of the dense output at `idx` (one index per output dim),
/// worked out from the spec's splits: walk down the ragged levels, then
/// read the inner position, falling back to the default wherever a row or
/// an inner dim is too short.
fn naive_at<T: Element>(
    spec: &RaggedSpec<T>,
    idx: &[usize],
    default: &[T],
    out_inner: &[usize],
) -> T {
    let k = spec.nested_row_splits.len();
    let inner_idx = &idx[k + 1..];
    let mut lin = 0;
    for (&i, &d) in inner_idx.iter().zip(out_inner) {
        lin = lin * d + i;
    }
    let fallback = default[lin % default.len()];
    let mut row = idx[0];
    let nrows = spec.nested_row_splits[0].len() - 1;
    if row >= nrows {
        return fallback;
    }
    for (level, &i) in spec.nested_row_splits.iter().zip(&idx[1..=k]) {
        let (start, end) = (level[row] as usize, level[row + 1] as usize);
        if i >= end - start {
            return fallback;
        }
        row = start + i;
    }
    let mut pos = 0;
    for (&i, &d) in inner_idx.iter().zip(&spec.inner_dims) {
        if i >= d {
            return fallback;
        }
        pos = pos * d + i;
    }
    let per_value: usize = spec.inner_dims.iter().product();
    spec.values[row * per_value + pos]
}

/// The bounding shape, from the splits.
fn naive_bounding<T>(spec: &RaggedSpec<T>) -> Vec<usize> {
    let mut dims = vec![spec.nested_row_splits[0].len() - 1];
    for s in &spec.nested_row_splits {
        dims.push(
            s.windows(2)
                .map(|w| (w[1] - w[0]) as usize)
                .max()
                .unwrap_or(0),
        );
    }
    dims.extend_from_slice(&spec.inner_dims);
    dims
}

/// The whole dense output.
fn naive_dense<T: Element>(
    spec: &RaggedSpec<T>,
    dims: &[usize],
    default: &[T],
    out_inner: &[usize],
) -> Vec<T> {
    indices(dims)
        .iter()
        .map(|idx| naive_at(spec, idx, default, out_inner))
        .collect()
}

/// Where the element at `idx` (one index per dim of the bounding shape)
/// comes from: its position in `spec.values`, or `None` for a position no
/// value fills.
fn naive_entry<T>(spec: &RaggedSpec<T>, idx: &[usize]) -> Option<usize> {
    let k = spec.nested_row_splits.len();
    let mut row = idx[0];
    for (level, &i) in spec.nested_row_splits.iter().zip(&idx[1..=k]) {
        let (start, end) = (level[row] as usize, level[row + 1] as usize);
        if i >= end - start {
            return None;
        }
        row = start + i;
    }
    let mut pos = row;
    for (&i, &d) in idx[k + 1..].iter().zip(&spec.inner_dims) {
        pos = pos * d + i;
    }
    Some(pos)
}

/// `to_sparse` holds exactly the filled positions of the bounding shape,
/// in C order (so canonical), with their values, and densifies to
/// `to_tensor` with a zero default.
fn check_to_sparse<T: Element>(spec: &RaggedSpec<T>) -> std::result::Result<(), TestCaseError> {
    let rt = tensor_here(spec);
    let bounding = naive_bounding(spec);
    let st = rt.to_sparse().unwrap();
    prop_assert_eq!(st.device(), Device::current());
    prop_assert!(st.is_canonical());
    prop_assert_eq!(st.dense_shape().dims(), &bounding[..]);
    prop_assert_eq!(st.dtype(), T::DTYPE);
    let (mut want_idx, mut want_vals) = (Vec::new(), Vec::new());
    for idx in indices(&bounding) {
        if let Some(p) = naive_entry(spec, &idx) {
            want_idx.extend(idx.iter().map(|&i| i as i64));
            want_vals.push(spec.values[p]);
        }
    }
    prop_assert_eq!(want_vals.len(), spec.values.len());
    prop_assert_eq!(st.indices().dims(), &[want_vals.len(), bounding.len()][..]);
    prop_assert_eq!(st.indices().to_vec::<i64>().unwrap(), want_idx);
    prop_assert!(same(&st.values().to_vec::<T>().unwrap(), &want_vals));
    let zero = Tensor::zeros(Shape::scalar(), T::DTYPE).unwrap();
    let dense = st.to_dense().unwrap();
    let padded = rt.to_tensor(&zero).unwrap();
    prop_assert_eq!(dense.dims(), padded.dims());
    prop_assert!(same(
        &dense.to_vec::<T>().unwrap(),
        &padded.to_vec::<T>().unwrap()
    ));
    Ok(())
}

/// The ragged tensor of `spec` with its values and every level of row
/// splits made on the device of the current scope (`spec.tensor()` leaves
/// the splits on the host).
fn tensor_here<T: Element>(spec: &RaggedSpec<T>) -> RaggedTensor {
    let splits = spec
        .nested_row_splits
        .iter()
        .map(|s| here(s.clone()))
        .collect();
    let rt = RaggedTensor::from_nested_row_splits(spec.values_tensor(), splits).unwrap();
    assert_eq!(rt.flat_values().device(), Device::current());
    rt
}

fn parts(rt: &RaggedTensor) -> (Vec<Vec<i64>>, Vec<usize>) {
    let splits = rt
        .nested_row_splits()
        .iter()
        .map(|s| s.to_vec::<i64>().unwrap())
        .collect();
    (splits, rt.flat_values().dims().to_vec())
}

/// A spec, a requested shape (each dim `None` or a size up to 2 past the
/// bounding one) and a default value: a scalar, or one per position of the
/// output's inner dims.
fn to_tensor_case<T: Element>()
-> impl Strategy<Value = (RaggedSpec<T>, Vec<Option<usize>>, Vec<T>, bool)> {
    ragged_specs_of::<T>().prop_flat_map(|spec| {
        let bounding = naive_bounding(&spec);
        let shape: Vec<BoxedStrategy<Option<usize>>> = bounding
            .iter()
            .map(|&b| prop_oneof![Just(None), (0..=b + 2).prop_map(Some)].boxed())
            .collect();
        (Just(spec), shape, any::<bool>()).prop_flat_map(|(spec, shape, scalar)| {
            let k = spec.nested_row_splits.len();
            let out_inner: Vec<usize> = spec
                .inner_dims
                .iter()
                .zip(&shape[k + 1..])
                .map(|(&d, s)| s.unwrap_or(d))
                .collect();
            let n = if scalar {
                1
            } else {
                out_inner.iter().product()
            };
            (
                Just(spec),
                Just(shape),
                proptest::collection::vec(elements::<T>(), n),
                Just(scalar),
            )
        })
    })
}

fn check_to_tensor<T: Element>(
    spec: &RaggedSpec<T>,
    shape: &[Option<usize>],
    default: &[T],
    scalar: bool,
) -> std::result::Result<(), TestCaseError> {
    let rt = tensor_here(spec);
    let k = spec.nested_row_splits.len();
    let bounding = naive_bounding(spec);
    prop_assert_eq!(rt.bounding_shape().unwrap(), bounding.clone());
    let dims: Vec<usize> = bounding
        .iter()
        .zip(shape)
        .map(|(&b, s)| s.unwrap_or(b))
        .collect();
    let out_inner = dims[k + 1..].to_vec();
    let default_t = if scalar {
        here(default[0])
    } else {
        Tensor::from_vec(default.to_vec(), out_inner.clone()).unwrap()
    };
    // The default shape, then the requested one.
    if shape[k + 1..].iter().all(Option::is_none) {
        let dense = rt.to_tensor(&default_t).unwrap();
        prop_assert_eq!(dense.dims(), &bounding[..]);
        let want = naive_dense(spec, &bounding, default, &out_inner);
        prop_assert!(same(&dense.to_vec::<T>().unwrap(), &want));
    }
    let dense = rt.to_tensor_with_shape(&default_t, shape).unwrap();
    prop_assert_eq!(dense.device(), Device::current());
    prop_assert_eq!(dense.dims(), &dims[..]);
    let want = naive_dense(spec, &dims, default, &out_inner);
    let got = dense.to_vec::<T>().unwrap();
    prop_assert!(same(&got, &want), "got {:?}\nwant {:?}", got, want);
    Ok(())
}

macro_rules! every_dtype {
    ($($name:ident: $t:ty;)*) => {$(
        mod $name {
            use super::*;
            proptest! {
                #![proptest_config(ProptestConfig::with_cases(48))]
                #[test]
                fn to_tensor_matches_naive((spec, shape, default, scalar) in to_tensor_case::<$t>()) {
                    on_each_device(|_| check_to_tensor(&spec, &shape, &default, scalar))?;
                }

                #[test]
                fn parts_rows_and_numpy_match_the_data(spec in ragged_specs_of::<$t>()) {
                    on_each_device(|_| check_parts(&spec))?;
                }

                #[test]
                fn to_sparse_densifies_to_to_tensor(spec in ragged_specs_of::<$t>()) {
                    on_each_device(|_| check_to_sparse(&spec))?;
                }
            }
        }
    )*};
}

every_dtype! {
    bool_: bool;
    u8_: u8;
    u16_: u16;
    u32_: u32;
    u64_: u64;
    i8_: i8;
    i16_: i16;
    i32_: i32;
    i64_: i64;
    f16_: f16;
    bf16_: bf16;
    f32_: f32;
    f64_: f64;
    c64_: Complex<f32>;
    c128_: Complex<f64>;
}

/// Accessors, rows, `to_list`, `numpy` and Display length agree with the
/// spec the tensor was built from.
fn check_parts<T: Element>(spec: &RaggedSpec<T>) -> std::result::Result<(), TestCaseError> {
    let rt = tensor_here(spec);
    let k = spec.nested_row_splits.len();
    prop_assert_eq!(rt.ragged_rank(), k);
    prop_assert_eq!(rt.nrows(), spec.nested_row_splits[0].len() - 1);
    prop_assert_eq!(rt.inner_dims(), &spec.inner_dims[..]);
    prop_assert!(same(&rt.flat_values().to_vec::<T>().unwrap(), &spec.values));
    let s0 = &spec.nested_row_splits[0];
    let lengths: Vec<i64> = s0.windows(2).map(|w| w[1] - w[0]).collect();
    prop_assert_eq!(rt.row_lengths().unwrap().to_vec::<i64>().unwrap(), lengths);
    let ids: Vec<i64> = s0
        .windows(2)
        .enumerate()
        .flat_map(|(r, w)| std::iter::repeat_n(r as i64, (w[1] - w[0]) as usize))
        .collect();
    prop_assert_eq!(rt.value_rowids().unwrap().to_vec::<i64>().unwrap(), ids);
    let (values, nested) = rt.numpy().unwrap();
    prop_assert!(same(
        values.view_typed::<T>().unwrap().as_slice().unwrap(),
        &spec.values
    ));
    for (a, s) in nested.iter().zip(&spec.nested_row_splits) {
        let got: Vec<i64> = a.view_typed::<i64>().unwrap().iter().copied().collect();
        prop_assert_eq!(&got, s);
    }
    let per_value: usize = spec.inner_dims.iter().product();
    let list = rt.to_list().unwrap();
    prop_assert_eq!(list.len(), rt.nrows());
    for (i, item) in list.iter().enumerate() {
        // Row i's values: the flat range its splits reach at the innermost level.
        let (mut a, mut b) = (s0[i] as usize, s0[i + 1] as usize);
        for s in &spec.nested_row_splits[1..] {
            (a, b) = (s[a] as usize, s[b] as usize);
        }
        let want = &spec.values[a * per_value..b * per_value];
        let row = rt.row(i).unwrap();
        let row_values = match row {
            tensorbridge::ragged::RaggedValues::Tensor(t) => t,
            tensorbridge::ragged::RaggedValues::Ragged(r) => r.flat_values().clone(),
        };
        prop_assert!(same(&row_values.to_vec::<T>().unwrap(), want));
        if k == 1 {
            let arr = item.as_array().unwrap();
            prop_assert!(same(
                &arr.view_typed::<T>()
                    .unwrap()
                    .iter()
                    .copied()
                    .collect::<Vec<_>>(),
                want
            ));
        } else {
            prop_assert_eq!(item.as_list().unwrap().len(), (s0[i + 1] - s0[i]) as usize);
        }
    }
    prop_assert!(rt.row(rt.nrows()).is_err());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every constructor builds the same tensor from the same partition.
    #[test]
    fn constructors_agree(spec in ragged_specs_of::<i64>()) {
        on_each_device(|_device| {
        let rt = tensor_here(&spec);
        let want = parts(&rt);
        let values = spec.values_tensor();
        let lengths: Vec<Tensor> = spec.nested_row_splits.iter()
            .map(|s| here(s.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>()))
            .collect();
        let by_lengths = RaggedTensor::from_nested_row_lengths(values.clone(), lengths.clone()).unwrap();
        prop_assert_eq!(parts(&by_lengths), want.clone());
        // Innermost level by row splits, lengths, value row ids (int32 too),
        // wrapped in the outer levels.
        let k = spec.nested_row_splits.len();
        let inner = &spec.nested_row_splits[k - 1];
        let nrows = inner.len() - 1;
        let ids: Vec<i32> = inner.windows(2).enumerate()
            .flat_map(|(r, w)| std::iter::repeat_n(r as i32, (w[1] - w[0]) as usize))
            .collect();
        let innermost = [
            RaggedTensor::from_row_splits(values.clone(), here(inner.clone())).unwrap(),
            RaggedTensor::from_row_lengths(values.clone(), lengths[k - 1].clone()).unwrap(),
            RaggedTensor::from_value_rowids(values.clone(), here(ids), Some(nrows)).unwrap(),
        ];
        for r in &innermost {
            let mut levels: Vec<Tensor> = spec.nested_row_splits.iter().map(|s| here(s.clone())).collect();
            levels.pop();
            levels.extend(r.nested_row_splits().iter().cloned());
            let whole = RaggedTensor::from_nested_row_splits(r.flat_values().clone(), levels).unwrap();
            prop_assert_eq!(parts(&whole), want.clone());
        }
        // from_nested of the nested lists (typed and dynamic), when there
        // are no inner dims and the depth is fixed by some value.
        if spec.inner_dims.is_empty() && !spec.values.is_empty() {
            let nested: Nested<i64> = rt.to_nested().unwrap();
            let again = RaggedTensor::from_nested(&nested).unwrap();
            prop_assert_eq!(parts(&again), want.clone());
            prop_assert_eq!(again.flat_values().to_vec::<i64>().unwrap(), spec.values.clone());
            if k == 1 {
                let rows = rt.to_nested_vec::<i64>().unwrap();
                prop_assert_eq!(parts(&RaggedTensor::from_nested(&rows).unwrap()), want.clone());
            }
        }
        // Ragged rank 1 with trailing padding stripped from its dense form
        // (a value with no elements is all padding, vacuously, so those
        // are left out).
        if k == 1 && !spec.inner_dims.contains(&0) {
            let padding = i64::MIN;
            let clean = RaggedTensor::from_row_splits(
                Tensor::from_vec(
                    spec.values.iter().map(|&v| if v == padding { 0 } else { v }).collect::<Vec<_>>(),
                    values.dims().to_vec(),
                ).unwrap(),
                here(inner.clone()),
            ).unwrap();
            let dense = clean.to_tensor(&here(padding)).unwrap();
            let back = RaggedTensor::from_tensor(&dense, TensorRows::Padding(here(padding))).unwrap();
            prop_assert_eq!(parts(&back), parts(&clean));
            prop_assert_eq!(back.flat_values().to_vec::<i64>().unwrap(), clean.flat_values().to_vec::<i64>().unwrap());
        }
        Ok(())
        })?;
    }

    /// to_tensor then from_tensor gives the ragged tensor back (with its
    /// lengths), and from_tensor of any dense tensor pads back to it.
    #[test]
    fn from_tensor_inverts_to_tensor(spec in ragged_specs_of::<f32>(), fill in elements::<f32>()) {
        on_each_device(|_device| {
        let rt = tensor_here(&spec);
        let k = spec.nested_row_splits.len();
        let dense = rt.to_tensor(&here(fill)).unwrap();
        if k == 1 {
            let back = RaggedTensor::from_tensor(&dense, TensorRows::Lengths(rt.row_lengths().unwrap())).unwrap();
            prop_assert_eq!(parts(&back), parts(&rt));
            prop_assert!(same(&back.flat_values().to_vec::<f32>().unwrap(), &spec.values));
        }
        let uniform = RaggedTensor::from_tensor_with_ragged_rank(&dense, TensorRows::All, k).unwrap();
        let again = uniform.to_tensor(&here(fill)).unwrap();
        prop_assert_eq!(again.dims(), dense.dims());
        prop_assert!(same(&again.to_vec::<f32>().unwrap(), &dense.to_vec::<f32>().unwrap()));
        Ok(())
        })?;
    }

    /// concat stacks the rows: splits shifted, values appended.
    #[test]
    fn concat_appends_rows(a in ragged_specs_of::<i32>(), b in ragged_specs_of::<i32>()) {
        on_each_device(|_device| {
        let (ra, rb) = (tensor_here(&a), tensor_here(&b));
        let c = RaggedTensor::concat(&[&ra, &rb]);
        if a.nested_row_splits.len() != b.nested_row_splits.len() || a.inner_dims != b.inner_dims {
            prop_assert!(c.is_err());
        } else {
            let c = c.unwrap();
            let mut values = a.values.clone();
            values.extend(&b.values);
            prop_assert_eq!(c.flat_values().to_vec::<i32>().unwrap(), values);
            for (j, s) in c.nested_row_splits().iter().enumerate() {
                let (sa, sb) = (&a.nested_row_splits[j], &b.nested_row_splits[j]);
                let mut want = sa.clone();
                want.extend(sb[1..].iter().map(|x| x + sa[sa.len() - 1]));
                prop_assert_eq!(s.to_vec::<i64>().unwrap(), want);
            }
        }
        Ok(())
        })?;
    }

    /// Invalid input of every kind is an Err naming the operation, never a
    /// panic.
    #[test]
    fn invalid_inputs_are_errors(bad in invalid_inputs()) {
        let outcome = std::panic::catch_unwind(|| bad.run());
        prop_assert!(outcome.is_ok(), "panicked on {:?} ({})", bad.call, bad.broken);
        let err = outcome.unwrap();
        prop_assert!(err.is_err(), "accepted {:?} ({})", bad.call, bad.broken);
        prop_assert!(!err.unwrap_err().to_string().is_empty());
    }
}
