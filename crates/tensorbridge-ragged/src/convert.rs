//! Getting the values out: `numpy()` as two dense arrays (flat values and
//! row splits), `to_list()` as one array per row, and nested Rust lists.

use tensorbridge_core::{
    Arrays, Batch, DType, DynArray, Element, Result, SliceArg, Tensor, ToNumpy,
};

use crate::splits::{host_i64, invalid};
use crate::{Nested, RaggedTensor};
use tensorbridge_core::with_dtype;

/// One row of [`RaggedTensor::to_list`]: a dense array when no ragged dim
/// is left below it, a list of rows otherwise (TensorFlow's object-array
/// view of a ragged tensor, without object arrays).
#[derive(Debug, Clone, PartialEq)]
pub enum NestedArray {
    /// A row with no ragged dim left: its values as a dense array.
    Array(DynArray),
    /// A row that is still ragged: its rows.
    List(Vec<NestedArray>),
}

impl NestedArray {
    /// The dense array, when this is one.
    pub fn as_array(&self) -> Option<&DynArray> {
        match self {
            NestedArray::Array(a) => Some(a),
            NestedArray::List(_) => None,
        }
    }

    /// The rows, when this is a list.
    pub fn as_list(&self) -> Option<&[NestedArray]> {
        match self {
            NestedArray::List(v) => Some(v),
            NestedArray::Array(_) => None,
        }
    }
}

/// Groups `items` by `splits` (row `r` takes `splits[r]..splits[r + 1]`).
fn group<X>(items: Vec<X>, splits: &[i64]) -> Vec<Vec<X>> {
    let mut it = items.into_iter();
    splits
        .windows(2)
        .map(|w| it.by_ref().take((w[1] - w[0]) as usize).collect())
        .collect()
}

impl RaggedTensor {
    /// The flat values and every level of row splits as dense arrays
    /// (`(rt.flat_values.numpy(), [s.numpy() for s in rt.nested_row_splits])`):
    /// the Arrow-style view of a ragged tensor, never an object array.
    /// Copies, as `Tensor::numpy` does; [`RaggedTensor::into_numpy`] moves
    /// the buffers out without a copy when it can.
    ///
    /// **Errors**: [`Error::OutOfMemory`](tensorbridge_core::Error::OutOfMemory).
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// let (values, splits) = ragged![[1, 2, 3], [4, 5], [6]].numpy()?;
    /// assert_eq!(values.view_typed::<i32>()?.as_slice(), Some(&[1, 2, 3, 4, 5, 6][..]));
    /// assert_eq!(splits.len(), 1);
    /// assert_eq!(splits[0].view_typed::<i64>()?.as_slice(), Some(&[0, 3, 5, 6][..]));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn numpy(&self) -> Result<(DynArray, Vec<DynArray>)> {
        // One conversion: device values and splits download together.
        ToNumpy::numpy(&(&self.flat_values, &self.splits))
    }

    /// As [`RaggedTensor::numpy`], consuming the ragged tensor: each buffer
    /// this is the only handle on moves into its array without a copy.
    ///
    /// **Errors**: as [`RaggedTensor::numpy`].
    ///
    /// ```
    /// use tensorbridge_ragged::RaggedTensor;
    ///
    /// let rows: Vec<Vec<f32>> = vec![vec![1.0], vec![2.0, 3.0]];
    /// let rt = RaggedTensor::from_nested(&rows)?;
    /// let ptr = rt.flat_values().view::<f32>()?.as_ptr();
    /// let (values, _) = rt.into_numpy()?;
    /// assert_eq!(values.view_typed::<f32>()?.as_ptr(), ptr); // the same buffer
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn into_numpy(self) -> Result<(DynArray, Vec<DynArray>)> {
        fn into_dyn(t: Tensor) -> Result<DynArray> {
            with_dtype!(t.dtype(), T => t.into_array::<T>().map(DynArray::from))
        }
        let RaggedTensor {
            flat_values,
            splits,
        } = self;
        let values = into_dyn(flat_values)?;
        let splits = splits
            .into_iter()
            .map(into_dyn)
            .collect::<Result<Vec<_>>>()?;
        Ok((values, splits))
    }

    /// One entry per row (`rt.to_list()`, or NumPy's object array of
    /// rows): for ragged rank 1 each row is a dense array of shape
    /// `[len] + inner dims`; deeper rows are lists of such rows.
    ///
    /// **Errors**: [`Error::OutOfMemory`](tensorbridge_core::Error::OutOfMemory).
    ///
    /// ```
    /// use tensorbridge_ragged::{ragged, NestedArray};
    ///
    /// let rows = ragged![[1, 2, 3], [4, 5], [6]].to_list()?;
    /// assert_eq!(rows.len(), 3);
    /// let NestedArray::Array(second) = &rows[1] else { unreachable!() };
    /// assert_eq!(second.view_typed::<i32>()?.as_slice(), Some(&[4, 5][..]));
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_list(&self) -> Result<Vec<NestedArray>> {
        let k = self.splits.len();
        let inner = host_i64(&self.splits[k - 1])?;
        let mut level: Vec<NestedArray> = inner
            .windows(2)
            .map(|w| {
                let row = self.flat_values.slice([SliceArg::range(
                    Some(w[0] as isize),
                    Some(w[1] as isize),
                    1,
                )])?;
                Ok(NestedArray::Array(row.numpy()?))
            })
            .collect::<Result<_>>()?;
        for s in self.splits[..k - 1].iter().rev() {
            level = group(level, &host_i64(s)?)
                .into_iter()
                .map(NestedArray::List)
                .collect();
        }
        Ok(level)
    }

    /// The rows as `Vec<Vec<T>>` (`rt.to_list()` in Rust types), for a
    /// ragged tensor of ragged rank 1 with scalar values; see
    /// [`RaggedTensor::to_nested`] for any other.
    ///
    /// **Errors**: [`Error::DTypeMismatch`](tensorbridge_core::Error::DTypeMismatch)
    /// when `T` is not the dtype of the values;
    /// [`Error::InvalidArgument`](tensorbridge_core::Error::InvalidArgument)
    /// for a ragged rank above 1 or inner dims.
    ///
    /// ```
    /// use tensorbridge_ragged::ragged;
    ///
    /// let rt = ragged![[1, 2, 3], [4, 5], [6]];
    /// assert_eq!(rt.to_nested_vec::<i32>()?, vec![vec![1, 2, 3], vec![4, 5], vec![6]]);
    /// assert!(rt.to_nested_vec::<i64>().is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_nested_vec<T: Element>(&self) -> Result<Vec<Vec<T>>> {
        if self.splits.len() != 1 || self.flat_values.rank() != 1 {
            return Err(invalid(
                "to_nested_vec",
                format!(
                    "Vec<Vec<T>> holds ragged rank 1 with scalar values; this ragged tensor has \
                     shape {}; use to_nested for it",
                    self.shape_string()
                ),
            ));
        }
        let values = self.flat_values.to_vec::<T>()?;
        let splits = host_i64(&self.splits[0])?;
        Ok(splits
            .windows(2)
            .map(|w| values[w[0] as usize..w[1] as usize].to_vec())
            .collect())
    }

    /// The whole tensor as a [`Nested`] list (ragged and inner dims alike
    /// become list levels), built without recursion; the inverse of
    /// [`RaggedTensor::from_nested`] for tensors without inner dims.
    ///
    /// **Errors**: [`Error::DTypeMismatch`](tensorbridge_core::Error::DTypeMismatch)
    /// when `T` is not the dtype of the values.
    ///
    /// ```
    /// use tensorbridge_ragged::{ragged, RaggedTensor};
    ///
    /// let rt = ragged![[[1, 2], []], [[3]]];
    /// let n = rt.to_nested::<i32>()?;
    /// assert_eq!(format!("{n:?}"), "[[[1, 2], []], [[3]]]");
    /// assert_eq!(RaggedTensor::from_nested(&n)?.to_string(), rt.to_string());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_nested<T: Element>(&self) -> Result<Nested<T>> {
        const OP: &str = "to_nested";
        let values = self.flat_values.to_vec::<T>()?;
        let mut level: Vec<Nested<T>> = values.into_iter().map(Nested::Scalar).collect();
        let inner = self.inner_dims();
        for m in (0..inner.len()).rev() {
            let d = inner[m];
            let groups = inner[..m]
                .iter()
                .try_fold(self.nvals(), |a, &b| a.checked_mul(b))
                .ok_or_else(|| {
                    invalid(OP, format!("the shape {} overflows", self.shape_string()))
                })?;
            level = regroup(OP, level, groups, |_| d)?;
        }
        for s in self.splits.iter().rev() {
            let s = host_i64(s)?;
            level = regroup(OP, level, s.len() - 1, |r| (s[r + 1] - s[r]) as usize)?;
        }
        Ok(Nested::List(level))
    }

    /// The dtype of the row splits (always int64).
    pub fn row_splits_dtype(&self) -> DType {
        DType::I64
    }
}

/// `groups` lists taking `len(r)` items each from `items`, in order; an
/// error instead of an abort when the lists cannot be allocated.
fn regroup<T>(
    op: &'static str,
    items: Vec<Nested<T>>,
    groups: usize,
    len: impl Fn(usize) -> usize,
) -> Result<Vec<Nested<T>>> {
    let mut out = Vec::new();
    out.try_reserve_exact(groups)
        .map_err(|_| invalid(op, format!("{groups} lists cannot be allocated")))?;
    let mut it = items.into_iter();
    for r in 0..groups {
        out.push(Nested::List(it.by_ref().take(len(r)).collect()));
    }
    Ok(out)
}

/// `(flat values, nested row splits)` as dense arrays, so a ragged tensor
/// converts inside tuples and `Vec`s with [`ToNumpy`] like any tensor.
///
/// ```
/// use tensorbridge_core::{Tensor, ToNumpy};
/// use tensorbridge_ragged::ragged;
///
/// let (dense, (values, splits)) = (Tensor::from([1, 2]), ragged![[1], [2, 3]]).numpy()?;
/// assert_eq!((dense.len(), values.len(), splits[0].len()), (2, 3, 3));
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
impl ToNumpy for RaggedTensor {
    type Output = (DynArray, Vec<DynArray>);
    fn numpy(&self) -> Result<Self::Output> {
        RaggedTensor::numpy(self)
    }
    // Inside a structure, the parts join the structure's one batch of
    // device downloads.
    fn start(&self, batch: &mut Batch) -> Result<()> {
        (&self.flat_values, &self.splits).start(batch)
    }
    fn assemble(&self, arrays: &mut Arrays) -> Result<Self::Output> {
        (&self.flat_values, &self.splits).assemble(arrays)
    }
}
