//! proptest strategies for ragged tensors (feature `proptest`): arbitrary
//! valid ragged tensors (ragged rank 1–3, inner uniform dims, empty rows,
//! all-empty tensors, every dtype) with the plain data they were built
//! from, and deliberately invalid inputs to every constructor and
//! conversion, each breaking one named rule.
//!
//! ```
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//! use tensorbridge_ragged::strategies::{invalid_inputs, ragged_specs_of};
//!
//! let mut runner = TestRunner::default();
//! let spec = ragged_specs_of::<i32>().new_tree(&mut runner).unwrap().current();
//! let rt = spec.tensor();
//! assert_eq!(rt.ragged_rank(), spec.nested_row_splits.len());
//! let bad = invalid_inputs().new_tree(&mut runner).unwrap().current();
//! assert!(bad.run().is_err(), "{bad:?}");
//! ```

use proptest::prelude::*;
use tensorbridge_core::strategies::{dtypes, elements};
use tensorbridge_core::{DType, Element, Result, Tensor};

use crate::{Nested, RaggedTensor, TensorRows};
use tensorbridge_core::with_dtype;

/// Longest row of a generated level.
pub const MAX_ROW_LEN: usize = 3;
/// Most rows of a generated tensor.
pub const MAX_ROWS: usize = 5;

/// The plain data of a ragged tensor: everything a test needs to compute
/// expected results by itself.
#[derive(Debug, Clone, PartialEq)]
pub struct RaggedSpec<T> {
    /// The flat values' elements in C order (`nvals * product(inner_dims)`).
    pub values: Vec<T>,
    /// The uniform dims of each flat value.
    pub inner_dims: Vec<usize>,
    /// The row splits of each level, outermost first.
    pub nested_row_splits: Vec<Vec<i64>>,
}

impl<T: Element> RaggedSpec<T> {
    /// The number of flat values.
    pub fn nvals(&self) -> usize {
        *self
            .nested_row_splits
            .last()
            .and_then(|s| s.last())
            .unwrap_or(&0) as usize
    }

    /// The flat values as a tensor of shape `[nvals, ...inner_dims]`.
    pub fn values_tensor(&self) -> Tensor {
        let mut dims = vec![self.nvals()];
        dims.extend_from_slice(&self.inner_dims);
        Tensor::from_vec(self.values.clone(), dims).expect("a spec's values fill its dims")
    }

    /// The row splits as int64 tensors.
    pub fn splits_tensors(&self) -> Vec<Tensor> {
        self.nested_row_splits
            .iter()
            .map(|s| Tensor::from(s.clone()))
            .collect()
    }

    /// The ragged tensor (through `from_nested_row_splits`).
    ///
    /// **Panics**: never for the specs this module makes (they are valid).
    pub fn tensor(&self) -> RaggedTensor {
        RaggedTensor::from_nested_row_splits(self.values_tensor(), self.splits_tensors())
            .expect("a generated spec is valid")
    }
}

/// Splits from lengths.
fn splits_of(lengths: &[usize]) -> Vec<i64> {
    let mut s = vec![0i64];
    for &l in lengths {
        s.push(s[s.len() - 1] + l as i64);
    }
    s
}

/// The partition of a ragged tensor: `ragged_rank` levels of splits from a
/// pool of random lengths, an empty innermost level now and then.
fn partitions() -> impl Strategy<Value = Vec<Vec<i64>>> {
    let row_len = prop_oneof![1 => Just(0usize), 3 => 0..=MAX_ROW_LEN];
    let pool_len = MAX_ROWS * (1 + MAX_ROW_LEN + MAX_ROW_LEN.pow(2));
    (
        1usize..=3,
        0..=MAX_ROWS,
        proptest::collection::vec(row_len, pool_len),
        prop_oneof![9 => Just(false), 1 => Just(true)],
    )
        .prop_map(|(k, nrows, pool, all_empty)| {
            let mut rows = nrows;
            let mut at = 0;
            let mut levels = Vec::with_capacity(k);
            for level in 0..k {
                let mut lengths = pool[at..at + rows].to_vec();
                at += rows;
                if all_empty && level == k - 1 {
                    lengths.fill(0);
                }
                let s = splits_of(&lengths);
                rows = s[s.len() - 1] as usize;
                levels.push(s);
            }
            levels
        })
}

/// Arbitrary valid ragged tensors of `T` as plain data: ragged rank 1–3,
/// up to [`MAX_ROWS`] rows of up to [`MAX_ROW_LEN`] items per level, 0–2
/// inner dims of size 0–3, empty rows often and all-empty tensors
/// sometimes; elements from core's `elements` strategy.
pub fn ragged_specs_of<T: Element>() -> impl Strategy<Value = RaggedSpec<T>> {
    let inner_dim = prop_oneof![1 => Just(0usize), 6 => 1usize..=3];
    (
        partitions(),
        prop_oneof![2 => Just(Vec::new()), 1 => proptest::collection::vec(inner_dim, 1..=2)],
    )
        .prop_flat_map(|(splits, inner)| {
            let nvals = *splits[splits.len() - 1]
                .last()
                .expect("splits are non-empty") as usize;
            let n = nvals * inner.iter().product::<usize>();
            (
                proptest::collection::vec(elements::<T>(), n),
                Just(inner),
                Just(splits),
            )
        })
        .prop_map(|(values, inner_dims, nested_row_splits)| RaggedSpec {
            values,
            inner_dims,
            nested_row_splits,
        })
}

/// Arbitrary valid ragged tensors of `T` (see [`ragged_specs_of`]).
pub fn ragged_tensors_of<T: Element>() -> impl Strategy<Value = RaggedTensor> {
    ragged_specs_of::<T>().prop_map(|s| s.tensor())
}

/// Arbitrary valid ragged tensors of `dtype`.
pub fn ragged_tensors(dtype: DType) -> BoxedStrategy<RaggedTensor> {
    with_dtype!(dtype, T => ragged_tensors_of::<T>().boxed())
}

/// Arbitrary valid ragged tensors of every dtype.
pub fn any_ragged_tensors() -> impl Strategy<Value = RaggedTensor> {
    dtypes().prop_flat_map(ragged_tensors)
}

/// A call that must fail: its inputs break the rule named by
/// [`InvalidRagged::broken`].
#[derive(Debug, Clone)]
pub enum RaggedCall {
    /// [`RaggedTensor::from_row_splits`].
    FromRowSplits {
        /// The values.
        values: Tensor,
        /// The splits.
        row_splits: Tensor,
    },
    /// [`RaggedTensor::from_row_lengths`].
    FromRowLengths {
        /// The values.
        values: Tensor,
        /// The lengths.
        row_lengths: Tensor,
    },
    /// [`RaggedTensor::from_value_rowids`].
    FromValueRowids {
        /// The values.
        values: Tensor,
        /// The row ids.
        value_rowids: Tensor,
        /// The number of rows.
        nrows: Option<usize>,
    },
    /// [`RaggedTensor::from_nested_row_splits`].
    FromNestedRowSplits {
        /// The values.
        values: Tensor,
        /// The splits, outermost first.
        nested_row_splits: Vec<Tensor>,
    },
    /// [`RaggedTensor::from_nested`] on a dynamic [`Nested`] list.
    FromNested(Nested<i64>),
    /// [`RaggedTensor::to_tensor_with_shape`].
    ToTensor {
        /// A valid ragged tensor.
        ragged: RaggedTensor,
        /// The default value.
        default_value: Tensor,
        /// The shape asked for.
        shape: Vec<Option<usize>>,
    },
    /// [`RaggedTensor::from_tensor`].
    FromTensor {
        /// The dense tensor.
        tensor: Tensor,
        /// The rows argument.
        rows: TensorRows,
    },
    /// [`RaggedTensor::row`].
    Row {
        /// A valid ragged tensor.
        ragged: RaggedTensor,
        /// The row asked for.
        i: usize,
    },
}

/// A call and the rule its input breaks.
#[derive(Debug, Clone)]
pub struct InvalidRagged {
    /// The call.
    pub call: RaggedCall,
    /// The rule broken, in words (`"row_splits[0] != 0"`).
    pub broken: &'static str,
}

impl InvalidRagged {
    /// Makes the call, discarding a (wrong) success value.
    ///
    /// **Errors**: the error of the call, which a correct implementation
    /// always returns.
    pub fn run(&self) -> Result<()> {
        match &self.call {
            RaggedCall::FromRowSplits { values, row_splits } => {
                RaggedTensor::from_row_splits(values.clone(), row_splits.clone()).map(drop)
            }
            RaggedCall::FromRowLengths {
                values,
                row_lengths,
            } => RaggedTensor::from_row_lengths(values.clone(), row_lengths.clone()).map(drop),
            RaggedCall::FromValueRowids {
                values,
                value_rowids,
                nrows,
            } => RaggedTensor::from_value_rowids(values.clone(), value_rowids.clone(), *nrows)
                .map(drop),
            RaggedCall::FromNestedRowSplits {
                values,
                nested_row_splits,
            } => RaggedTensor::from_nested_row_splits(values.clone(), nested_row_splits.clone())
                .map(drop),
            RaggedCall::FromNested(n) => RaggedTensor::from_nested(n).map(drop),
            RaggedCall::ToTensor {
                ragged,
                default_value,
                shape,
            } => ragged.to_tensor_with_shape(default_value, shape).map(drop),
            RaggedCall::FromTensor { tensor, rows } => {
                RaggedTensor::from_tensor(tensor, rows.clone()).map(drop)
            }
            RaggedCall::Row { ragged, i } => ragged.row(*i).map(drop),
        }
    }
}

fn lengths_of(s: &[i64]) -> Vec<i64> {
    s.windows(2).map(|w| w[1] - w[0]).collect()
}

fn ids_of(s: &[i64]) -> Vec<i64> {
    s.windows(2)
        .enumerate()
        .flat_map(|(r, w)| std::iter::repeat_n(r as i64, (w[1] - w[0]) as usize))
        .collect()
}

fn call(call: RaggedCall, broken: &'static str) -> InvalidRagged {
    InvalidRagged { call, broken }
}

/// Invalid inputs of every kind: row splits that are empty, of rank 2, of
/// a float dtype, not starting at 0, decreasing or not ending at the
/// number of values (or an outer level not ending at the inner level's row
/// count); row lengths negative, overflowing or not summing to the values;
/// row ids negative, unsorted, past `nrows` or miscounted; scalar values;
/// nested lists mixing scalars and lists or of inconsistent depth;
/// `to_tensor` shapes of the wrong rank or overflowing, default values of
/// the wrong dtype or shape; `from_tensor` lengths out of range, miscounted
/// or padding of the wrong dtype; rows out of range.
pub fn invalid_inputs() -> impl Strategy<Value = InvalidRagged> {
    (ragged_specs_of::<i64>(), 0usize..24, any::<u64>()).prop_map(|(spec, kind, seed)| {
        let k = spec.nested_row_splits.len();
        let s = spec.nested_row_splits[k - 1].clone();
        let values = spec.values_tensor();
        let nvals = spec.nvals() as i64;
        let pick = |n: usize| (seed as usize) % n.max(1);
        let small = 1 + (seed % 5) as i64;
        let with = |s: Vec<i64>| RaggedCall::FromRowSplits {
            values: values.clone(),
            row_splits: Tensor::from(s),
        };
        match kind {
            0 => call(with(Vec::new()), "row_splits empty"),
            1 => {
                let mut s = s.clone();
                for x in &mut s {
                    *x += small;
                }
                call(with(s), "row_splits[0] != 0")
            }
            2 => {
                let mut s = s.clone();
                s.push(nvals - small);
                s.push(nvals);
                call(with(s), "row_splits decreasing")
            }
            3 => {
                let mut s = s.clone();
                let last = s.len() - 1;
                s[last] += small;
                call(with(s), "row_splits[-1] != nvals")
            }
            4 => call(
                RaggedCall::FromRowSplits {
                    values: values.clone(),
                    row_splits: Tensor::from_vec(s.clone(), [s.len(), 1]).expect("dims"),
                },
                "row_splits of rank 2",
            ),
            5 => call(
                RaggedCall::FromRowSplits {
                    values: values.clone(),
                    row_splits: Tensor::from(s.iter().map(|&x| x as f32).collect::<Vec<_>>()),
                },
                "row_splits of dtype float32",
            ),
            6 => call(
                RaggedCall::FromRowSplits {
                    values: Tensor::scalar(1i64),
                    row_splits: Tensor::from([0i64, 1]),
                },
                "values a scalar",
            ),
            7 => {
                let mut l = lengths_of(&s);
                l.push(-small);
                l.push(small);
                call(
                    RaggedCall::FromRowLengths {
                        values: values.clone(),
                        row_lengths: Tensor::from(l),
                    },
                    "row_lengths negative",
                )
            }
            8 => {
                let mut l = lengths_of(&s);
                l.push(small);
                call(
                    RaggedCall::FromRowLengths {
                        values: values.clone(),
                        row_lengths: Tensor::from(l),
                    },
                    "row_lengths sum != nvals",
                )
            }
            9 => call(
                RaggedCall::FromRowLengths {
                    values: values.clone(),
                    row_lengths: Tensor::from([i64::MAX, small, 0]),
                },
                "row_lengths overflow",
            ),
            10 => {
                let mut ids = ids_of(&s);
                ids.push(-small);
                call(
                    RaggedCall::FromValueRowids {
                        values: Tensor::from(vec![0i64; ids.len()]),
                        value_rowids: Tensor::from(ids),
                        nrows: None,
                    },
                    "value_rowids negative",
                )
            }
            11 => call(
                RaggedCall::FromValueRowids {
                    values: Tensor::from(vec![0i64; 3]),
                    value_rowids: Tensor::from([small, 0, small]),
                    nrows: None,
                },
                "value_rowids unsorted",
            ),
            12 => {
                let mut ids = ids_of(&s);
                if ids.is_empty() {
                    ids.push(small);
                }
                let last = ids[ids.len() - 1] as u64;
                call(
                    RaggedCall::FromValueRowids {
                        values: Tensor::from(vec![0i64; ids.len()]),
                        value_rowids: Tensor::from(ids),
                        nrows: Some((last - seed % (last + 1)) as usize),
                    },
                    "value_rowids >= nrows",
                )
            }
            13 => {
                let mut ids = ids_of(&s);
                ids.push(0);
                call(
                    RaggedCall::FromValueRowids {
                        values: values.clone(),
                        value_rowids: Tensor::from(ids),
                        nrows: None,
                    },
                    "value_rowids count != nvals",
                )
            }
            14 => {
                // An outer level that does not end at the rows of the level
                // below it (the spec's outermost level, not its innermost).
                let mut levels = spec.splits_tensors();
                let outer_rows = (spec.nested_row_splits[0].len() - 1) as i64;
                levels.insert(0, Tensor::from([0i64, outer_rows + small]));
                call(
                    RaggedCall::FromNestedRowSplits {
                        values: values.clone(),
                        nested_row_splits: levels,
                    },
                    "nested_row_splits outer last != inner nrows",
                )
            }
            15 => call(
                RaggedCall::FromNestedRowSplits {
                    values: values.clone(),
                    nested_row_splits: Vec::new(),
                },
                "nested_row_splits empty",
            ),
            16 => {
                let leaf = Nested::list([Nested::Scalar(small)]);
                let items = vec![Nested::list([Nested::Scalar(1), leaf]), Nested::list([])];
                call(
                    RaggedCall::FromNested(Nested::List(items)),
                    "nested mixes scalars and lists",
                )
            }
            17 => {
                let deep = Nested::list([Nested::list([Nested::Scalar(small)])]);
                let mut items: Vec<Nested<i64>> = (0..1 + pick(3))
                    .map(|_| Nested::list([Nested::Scalar(0)]))
                    .collect();
                items.push(deep);
                call(
                    RaggedCall::FromNested(Nested::List(items)),
                    "nested of inconsistent depth",
                )
            }
            18 => {
                let rt = spec.tensor();
                let mut shape = vec![None; rt.rank()];
                if seed % 2 == 0 {
                    shape.pop();
                } else {
                    shape.push(Some(1));
                }
                call(
                    RaggedCall::ToTensor {
                        ragged: rt,
                        default_value: Tensor::scalar(0i64),
                        shape,
                    },
                    "to_tensor shape of the wrong rank",
                )
            }
            19 => {
                let rt = spec.tensor();
                let mut shape = vec![Some(usize::MAX / 2 + 1); rt.rank()];
                shape[0] = Some(usize::MAX / 2 + 1);
                call(
                    RaggedCall::ToTensor {
                        ragged: rt,
                        default_value: Tensor::scalar(0i64),
                        shape,
                    },
                    "to_tensor shape overflowing",
                )
            }
            20 => {
                let rt = spec.tensor();
                let shape = vec![None; rt.rank()];
                let default_value = if seed % 2 == 0 {
                    Tensor::scalar(0.0f32)
                } else {
                    // One more than any inner dim: never broadcasts.
                    Tensor::from(vec![0i64; 5])
                };
                call(
                    RaggedCall::ToTensor {
                        ragged: rt,
                        default_value,
                        shape,
                    },
                    "to_tensor default_value of the wrong dtype or shape",
                )
            }
            21 => {
                let ncols = 1 + pick(3);
                let nrows = 1 + pick(4);
                let tensor = Tensor::from(vec![0i64; nrows * ncols])
                    .reshape([nrows, ncols])
                    .expect("dims");
                let mut lengths = vec![0i64; nrows];
                lengths[pick(nrows)] = if seed % 2 == 0 {
                    ncols as i64 + small
                } else {
                    -small
                };
                if seed % 3 == 0 {
                    lengths.push(0);
                }
                call(
                    RaggedCall::FromTensor {
                        tensor,
                        rows: TensorRows::Lengths(Tensor::from(lengths)),
                    },
                    "from_tensor lengths out of range or miscounted",
                )
            }
            22 => call(
                RaggedCall::FromTensor {
                    tensor: Tensor::from([[1i64, 0], [2, 0]]),
                    rows: TensorRows::Padding(Tensor::scalar(0i32)),
                },
                "from_tensor padding of another dtype",
            ),
            _ => {
                let rt = spec.tensor();
                let i = rt.nrows() + pick(3);
                call(RaggedCall::Row { ragged: rt, i }, "row index >= nrows")
            }
        }
    })
}
