//! [`RaggedTensor::to_sparse`]: a ragged tensor as a
//! [`SparseTensor`] of its bounding shape (`tf.RaggedTensor.to_sparse`).

use tensorbridge_core::{DType, Error, Result, Shape, Tensor};
use tensorbridge_sparse::SparseTensor;

use crate::RaggedTensor;
use crate::splits::{alloc_vec, host_i64};

const OP: &str = "RaggedTensor::to_sparse";

/// Index entries written per parallel task.
#[cfg(feature = "parallel")]
const TASK_ENTRIES: usize = 1 << 19;

impl RaggedTensor {
    /// The ragged tensor as a sparse tensor (`rt.to_sparse()`): its
    /// `dense_shape` is the [bounding shape](RaggedTensor::bounding_shape),
    /// it holds one entry per element of the flat values (so a flat value
    /// with inner dims `[d1, d2]` gives `d1 * d2` entries, its inner
    /// positions as the last index columns), the indices are in canonical
    /// row-major order ([`SparseTensor::is_canonical`]), and the values
    /// are the flat values flattened in C order, on the flat values'
    /// device. The positions the ragged tensor does not fill are simply
    /// absent, so `to_sparse()?.to_dense()` equals `to_tensor` with a zero
    /// default.
    ///
    /// The indices are computed on the host from the row splits (one pass
    /// over the values, on all cores when large) and moved to the values'
    /// device.
    ///
    /// **Errors**: [`Error::ShapeOverflow`] when the index buffer
    /// (`entries × rank` int64s) cannot be counted or addressed, checked
    /// before anything is allocated; [`Error::OutOfMemory`]; the errors of
    /// [`SparseTensor::new`] for a bounding shape it refuses (a dim past
    /// `i64::MAX`, possible only for empty tensors with huge inner dims).
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    /// use tensorbridge_ragged::ragged;
    ///
    /// // tf.ragged.constant([[1, 2], [], [3]]).to_sparse()
    /// let st = ragged![[1, 2], [], [3]].to_sparse()?;
    /// assert_eq!(st.indices().to_vec::<i64>()?, [0, 0, 0, 1, 2, 0]);
    /// assert_eq!(st.values().to_vec::<i32>()?, [1, 2, 3]);
    /// assert_eq!(st.dense_shape().dims(), [3, 2]);
    /// assert!(st.is_canonical());
    /// assert_eq!(st.to_dense()?.to_vec::<i32>()?, [1, 2, 0, 0, 3, 0]);
    ///
    /// // Ragged rank 2: one index column per ragged dim.
    /// let st = ragged![[[1, 2], [3]], [[4]]].to_sparse()?;
    /// assert_eq!(st.indices().to_vec::<i64>()?, [0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0]);
    /// assert_eq!(st.dense_shape().dims(), [2, 2, 2]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn to_sparse(&self) -> Result<SparseTensor> {
        let dense_shape = self.bounding_shape()?;
        let rank = dense_shape.len();
        let entries = self.flat_values.numel();
        let len = entries
            .checked_mul(rank)
            .ok_or_else(|| Error::ShapeOverflow {
                op: OP,
                dims: vec![entries, rank],
                dtype: DType::I64,
                what: "the index count (entries × rank) does not fit in usize",
            })?;
        Shape::from([entries, rank])
            .byte_size(DType::I64)
            .map_err(|_| Error::ShapeOverflow {
                op: OP,
                dims: vec![entries, rank],
                dtype: DType::I64,
                what: "the indices' byte size does not fit in isize",
            })?;
        let mut idx = alloc_vec::<i64>(len)?;
        if entries > 0 {
            self.fill_indices(&mut idx, rank)?;
        }
        let device = self.flat_values.device();
        let indices = Tensor::from(idx)
            .reshape([entries, rank])?
            .to_device(device)?;
        let values = self.flat_values.reshape([entries])?;
        SparseTensor::new(indices, values, dense_shape)
    }

    /// Writes the `[entries, rank]` indices of a non-empty tensor into
    /// `out` in row-major order.
    fn fill_indices(&self, out: &mut [i64], rank: usize) -> Result<()> {
        let k = self.ragged_rank();
        let inner = self.inner_dims();
        let nvals = self.nvals();
        // Non-empty, so nvals > 0 and the inner dims multiply to a count
        // no larger than `entries`.
        let per_value = self.flat_values.numel() / nvals;
        let splits = self
            .splits
            .iter()
            .map(host_i64)
            .collect::<Result<Vec<_>>>()?;
        // rowids[j][t]: the row of level j that holds item t of level j + 1
        // (item = flat value for the innermost level).
        let mut rowids = Vec::with_capacity(k);
        for s in &splits {
            let mut ids = alloc_vec::<i64>(s[s.len() - 1] as usize)?;
            for (r, w) in s.windows(2).enumerate() {
                ids[w[0] as usize..w[1] as usize].fill(r as i64);
            }
            rowids.push(ids);
        }
        // The inner positions of one flat value, in C order.
        let m = inner.len();
        let mut table = alloc_vec::<i64>(per_value * m)?;
        for (p, pos) in table.chunks_exact_mut(m.max(1)).take(per_value).enumerate() {
            let mut rest = p;
            for (a, &d) in inner.iter().enumerate().rev() {
                pos[a] = (rest % d) as i64;
                rest /= d;
            }
        }
        let walk = Walk {
            splits: &splits,
            rowids: &rowids,
            table: &table,
            per_value,
            rank,
        };
        #[cfg(feature = "parallel")]
        if out.len() >= 2 * TASK_ENTRIES && rayon::current_num_threads() > 1 {
            use rayon::prelude::*;
            let row_len = per_value * rank;
            let vals_per_task = (TASK_ENTRIES / row_len).max(1);
            out.par_chunks_mut(vals_per_task * row_len)
                .enumerate()
                .for_each(|(t, chunk)| walk.fill(t * vals_per_task, chunk));
            return Ok(());
        }
        walk.fill(0, out);
        Ok(())
    }
}

/// What writing the index rows of a run of flat values needs.
struct Walk<'a, S: AsRef<[i64]>> {
    splits: &'a [S],
    rowids: &'a [Vec<i64>],
    table: &'a [i64],
    per_value: usize,
    rank: usize,
}

impl<S: AsRef<[i64]> + Sync> Walk<'_, S> {
    /// The rows of flat values `first..` into `out` (a whole number of
    /// values' worth of rows).
    fn fill(&self, first: usize, out: &mut [i64]) {
        let k = self.splits.len();
        let m = self.rank - k - 1;
        let mut prefix = vec![0i64; k + 1];
        for (v, block) in out.chunks_exact_mut(self.per_value * self.rank).enumerate() {
            // Walk up from the value: its position in its innermost row,
            // then that row's position in its parent, up to the top row.
            let mut item = (first + v) as i64;
            for j in (0..k).rev() {
                let row = self.rowids[j][item as usize];
                prefix[j + 1] = item - self.splits[j].as_ref()[row as usize];
                item = row;
            }
            prefix[0] = item;
            for (p, row) in block.chunks_exact_mut(self.rank).enumerate() {
                row[..=k].copy_from_slice(&prefix);
                row[k + 1..].copy_from_slice(&self.table[p * m..(p + 1) * m]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tensorbridge_core::{DType, Error, SliceArg, Tensor};

    use crate::{RaggedTensor, ragged};

    fn parts(rt: &RaggedTensor) -> (Vec<i64>, Vec<usize>) {
        let st = rt.to_sparse().unwrap();
        assert!(st.is_canonical());
        (
            st.indices().to_vec::<i64>().unwrap(),
            st.dense_shape().dims().to_vec(),
        )
    }

    #[test]
    fn ragged_rank_one_with_an_empty_row() {
        // [[1, 2], [], [3]]: entries (0,0), (0,1), (2,0); bounding [3, 2].
        let rt = ragged![[1, 2], [], [3]];
        assert_eq!(parts(&rt), (vec![0, 0, 0, 1, 2, 0], vec![3, 2]));
        let st = rt.to_sparse().unwrap();
        assert_eq!(st.values().to_vec::<i32>().unwrap(), [1, 2, 3]);
        assert_eq!(st.dtype(), DType::I32);
        assert_eq!(st.indices().dims(), [3, 2]);
    }

    #[test]
    fn ragged_rank_two() {
        // [[[1, 2], [3]], [], [[], [4, 5, 6]]]: rows 0 and 2 have two
        // sub-rows each; the longest sub-row has 3 values.
        let rt = RaggedTensor::from_nested_row_splits(
            Tensor::from([1.5f64, 2.5, 3.5, 4.5, 5.5, 6.5]),
            vec![
                Tensor::from([0i64, 2, 2, 4]),
                Tensor::from([0i64, 2, 3, 3, 6]),
            ],
        )
        .unwrap();
        let (idx, shape) = parts(&rt);
        assert_eq!(shape, [3, 2, 3]);
        #[rustfmt::skip]
        assert_eq!(idx, [
            0, 0, 0,
            0, 0, 1,
            0, 1, 0,
            2, 1, 0,
            2, 1, 1,
            2, 1, 2,
        ]);
        let st = rt.to_sparse().unwrap();
        assert_eq!(
            st.values().to_vec::<f64>().unwrap(),
            [1.5, 2.5, 3.5, 4.5, 5.5, 6.5]
        );
    }

    #[test]
    fn inner_dims_become_index_columns() {
        // Values of shape [3, 2]: rows [[a, b]] and [[c, d], [e, f]].
        let values = Tensor::from([[10u8, 11], [20, 21], [30, 31]]);
        let rt = RaggedTensor::from_row_splits(values, Tensor::from([0i64, 1, 3])).unwrap();
        let (idx, shape) = parts(&rt);
        assert_eq!(shape, [2, 2, 2]);
        #[rustfmt::skip]
        assert_eq!(idx, [
            0, 0, 0,
            0, 0, 1,
            1, 0, 0,
            1, 0, 1,
            1, 1, 0,
            1, 1, 1,
        ]);
        let st = rt.to_sparse().unwrap();
        assert_eq!(
            st.values().to_vec::<u8>().unwrap(),
            [10, 11, 20, 21, 30, 31]
        );
        assert_eq!(
            st.to_dense().unwrap().to_vec::<u8>().unwrap(),
            [10, 11, 0, 0, 20, 21, 30, 31]
        );
    }

    #[test]
    fn strided_values_are_read_in_c_order() {
        // The transpose of [[1, 2, 3], [4, 5, 6]] is [[1, 4], [2, 5], [3, 6]].
        let values = Tensor::from([[1i16, 2, 3], [4, 5, 6]]).t().unwrap();
        let rt = RaggedTensor::from_row_splits(values, Tensor::from([0i64, 3])).unwrap();
        let st = rt.to_sparse().unwrap();
        assert_eq!(st.values().to_vec::<i16>().unwrap(), [1, 4, 2, 5, 3, 6]);
        assert_eq!(st.dense_shape().dims(), [1, 3, 2]);
    }

    #[test]
    fn empty_tensors_have_no_entries() {
        let all_empty = RaggedTensor::from_row_splits(
            Tensor::zeros([0], DType::F32).unwrap(),
            Tensor::from([0i64, 0, 0]),
        )
        .unwrap();
        assert_eq!(parts(&all_empty), (vec![], vec![2, 0]));
        assert_eq!(all_empty.to_sparse().unwrap().indices().dims(), [0, 2]);
        let no_rows = RaggedTensor::from_row_splits(
            Tensor::zeros([0], DType::Bool).unwrap(),
            Tensor::from([0i64]),
        )
        .unwrap();
        assert_eq!(parts(&no_rows), (vec![], vec![0, 0]));
        // Values present, but an inner dim of size 0: no entries.
        let zero_inner = RaggedTensor::from_row_splits(
            Tensor::zeros([3, 0], DType::I64).unwrap(),
            Tensor::from([0i64, 2, 3]),
        )
        .unwrap();
        let st = zero_inner.to_sparse().unwrap();
        assert_eq!(st.indices().dims(), [0, 3]);
        assert_eq!(st.dense_shape().dims(), [2, 2, 0]);
        assert_eq!(st.to_dense().unwrap().dims(), [2, 2, 0]);
    }

    #[test]
    fn an_index_count_that_overflows_is_an_error() {
        // 2^60 flat values (a broadcast view: nothing is stored) with inner
        // dims [2, 2]: 2^62 entries of rank 4, 2^64 int64s.
        let values = Tensor::scalar(1u8)
            .broadcast_to([1usize << 60, 2, 2])
            .unwrap();
        let rt = RaggedTensor::from_row_splits(values, Tensor::from([0i64, 1 << 60])).unwrap();
        let e = rt.to_sparse().unwrap_err();
        assert!(
            matches!(&e, Error::ShapeOverflow { dims, .. } if dims == &[1usize << 62, 4]),
            "{e:?}"
        );
        assert!(e.to_string().contains("entries × rank"), "{e}");
        // Countable but far too large to allocate: refused before allocating.
        let values = Tensor::scalar(1u8).broadcast_to([1usize << 40]).unwrap();
        let rt = RaggedTensor::from_row_splits(values, Tensor::from([0i64, 1 << 40])).unwrap();
        let e = rt.to_sparse().unwrap_err();
        assert!(matches!(e, Error::OutOfMemory { .. }), "{e:?}");
        // Byte size past isize::MAX.
        let values = Tensor::scalar(1u8).broadcast_to([1usize << 61]).unwrap();
        let rt = RaggedTensor::from_row_splits(values, Tensor::from([0i64, 1 << 61])).unwrap();
        let e = rt.to_sparse().unwrap_err();
        assert!(
            matches!(&e, Error::ShapeOverflow { dims, .. } if dims == &[1usize << 61, 2]),
            "{e:?}"
        );
    }

    #[test]
    fn a_sliced_row_converts_on_its_own() {
        let rt = ragged![[1, 2, 3], [4, 5], [6]];
        let tail = rt
            .flat_values()
            .slice([SliceArg::range(Some(3), None, 1)])
            .unwrap();
        let rt = RaggedTensor::from_row_splits(tail, Tensor::from([0i64, 2, 3])).unwrap();
        assert_eq!(parts(&rt), (vec![0, 0, 0, 1, 1, 0], vec![2, 2]));
    }
}
