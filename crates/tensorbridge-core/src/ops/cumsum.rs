//! Running sums and products along an axis: [`Tensor::cumsum`] and
//! [`Tensor::cumprod`] (`tf.math.cumsum`, `tf.math.cumprod`).
//!
//! The input is read in C order (a strided input is gathered first). An
//! axis with inner elements (`axis` not last) is scanned row by row: a row
//! of running accumulators is advanced by whole input rows (vectorised adds),
//! in parallel over outer blocks or, for few blocks, over column ranges. A
//! last axis is scanned per row, in parallel over rows.

use super::reduce::{AccNum, Arith, bool_arith_error};
use crate::dtype::with_numeric_dtype;
use crate::layout::normalize_axis;
use crate::{Error, Result, Tensor, alloc, copy};

/// Scans with fewer elements than this stay on the calling thread.
#[cfg(feature = "parallel")]
const PARALLEL_MIN_ELEMS: usize = 1 << 15;

/// The options of a scan.
#[derive(Clone, Copy)]
struct Scan {
    exclusive: bool,
    reverse: bool,
}

/// The identity of a running sum, or (`PROD`) of a running product.
#[inline(always)]
fn identity<A: AccNum, const PROD: bool>() -> A {
    if PROD { A::ONE } else { A::ZERO }
}

/// One step of a running sum, or (`PROD`) of a running product.
#[inline(always)]
fn fold<A: AccNum, const PROD: bool>(a: A, b: A) -> A {
    if PROD { a.acc_mul(b) } else { a.acc_add(b) }
}

impl Tensor {
    /// The running sum along `axis` (`tf.math.cumsum`): element `i` of the
    /// result is the sum of elements `0..=i` along the axis; with `exclusive`
    /// of `0..i` (the first is 0); with `reverse` the sums run from the end
    /// (`i..n`, or `i+1..n` with `exclusive`). Negative axes count from the
    /// end.
    ///
    /// The dtype is kept: integers wrap on overflow; f16/bf16 run in f32 and
    /// each output is rounded once; complex is supported.
    ///
    /// **Errors**: [`Error::InvalidArgument`] for an axis out of range, a
    /// scalar (it has no axis) or a bool tensor (cast it to a number first);
    /// [`Error::OutOfMemory`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([[1, 2, 3], [4, 5, 6]]);
    /// assert_eq!(t.cumsum(1, false, false)?.to_vec::<i32>()?, [1, 3, 6, 4, 9, 15]);
    /// assert_eq!(t.cumsum(0, false, false)?.to_vec::<i32>()?, [1, 2, 3, 5, 7, 9]);
    /// let v = Tensor::from([1.0f32, 2.0, 3.0]);
    /// assert_eq!(v.cumsum(0, true, false)?.to_vec::<f32>()?, [0.0, 1.0, 3.0]);
    /// assert_eq!(v.cumsum(-1, true, true)?.to_vec::<f32>()?, [5.0, 3.0, 0.0]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn cumsum(&self, axis: isize, exclusive: bool, reverse: bool) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::Scan {
                prod: false,
                axis,
                exclusive,
                reverse
            },
            self
        );
        const OP: &str = "cumsum";
        with_numeric_dtype!(self.dtype(), T => scan::<T, false>(self, OP, axis, Scan { exclusive, reverse }), bool => Err(bool_arith_error(OP)))
    }

    /// The running product along `axis` (`tf.math.cumprod`), with the
    /// `exclusive` and `reverse` options and the dtype rules of
    /// [`Tensor::cumsum`] (the exclusive product starts at 1).
    ///
    /// **Errors**: as [`Tensor::cumsum`].
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let t = Tensor::from([1i64, 2, 3, 4]);
    /// assert_eq!(t.cumprod(0, false, false)?.to_vec::<i64>()?, [1, 2, 6, 24]);
    /// assert_eq!(t.cumprod(0, true, false)?.to_vec::<i64>()?, [1, 1, 2, 6]);
    /// assert_eq!(t.cumprod(0, false, true)?.to_vec::<i64>()?, [24, 24, 12, 4]);
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn cumprod(&self, axis: isize, exclusive: bool, reverse: bool) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(
            crate::graph::Op::Scan {
                prod: true,
                axis,
                exclusive,
                reverse
            },
            self
        );
        const OP: &str = "cumprod";
        with_numeric_dtype!(self.dtype(), T => scan::<T, true>(self, OP, axis, Scan { exclusive, reverse }), bool => Err(bool_arith_error(OP)))
    }
}

fn scan<T: Arith, const PROD: bool>(
    t: &Tensor,
    op: &'static str,
    axis: isize,
    s: Scan,
) -> Result<Tensor> {
    if t.rank() == 0 {
        return Err(Error::invalid(
            op,
            format!(
                "axis {axis} cannot be scanned: the input is a scalar (rank 0); reshape it to \
                 shape [1] first"
            ),
        ));
    }
    let axis = normalize_axis(op, axis, t.rank())?;
    #[cfg(feature = "cuda")]
    if t.cuda_storage().is_some() {
        return crate::cuda::cumulative(op, t, axis, PROD, s.exclusive, s.reverse);
    }
    let src = t.host_slice::<T>(op)?;
    let owned;
    let data: &[T] = match t.layout().contiguous_range() {
        Some(range) => &src[range],
        None => {
            owned = copy::gather(src, t.layout())?;
            &owned
        }
    };
    let dims = t.dims();
    let n = dims[axis];
    let inner: usize = dims[axis + 1..].iter().product();
    let mut out = alloc::zeroed_vec::<T>(data.len())?;
    if out.is_empty() {
        return Ok(Tensor::from_cpu_storage(
            T::into_storage(out),
            t.shape().clone(),
        ));
    }
    let block = n * inner;
    #[cfg(feature = "parallel")]
    if out.len() >= PARALLEL_MIN_ELEMS {
        use rayon::prelude::*;
        let blocks = out.len() / block;
        let threads = rayon::current_num_threads();
        if blocks >= 2 * threads || inner < 2 * threads {
            let per_task = blocks.div_ceil(4 * threads).max(1);
            out.par_chunks_mut(per_task * block)
                .zip(data.par_chunks(per_task * block))
                .for_each(|(o, d)| {
                    for (o, d) in o.chunks_mut(block).zip(d.chunks(block)) {
                        scan_block::<T, PROD>(d, o, inner, s);
                    }
                });
        } else {
            // Few blocks: split each block's columns; every part gets its
            // columns of every row.
            let parts = (2 * threads).min(inner);
            for (o, d) in out.chunks_mut(block).zip(data.chunks(block)) {
                let mut columns: Vec<Vec<&mut [T]>> =
                    (0..parts).map(|_| Vec::with_capacity(n)).collect();
                for row in o.chunks_mut(inner) {
                    let mut rest = row;
                    for (p, col) in columns.iter_mut().enumerate() {
                        let width = inner * (p + 1) / parts - inner * p / parts;
                        let (a, b) = rest.split_at_mut(width);
                        col.push(a);
                        rest = b;
                    }
                }
                columns
                    .into_par_iter()
                    .enumerate()
                    .for_each(|(p, mut rows)| {
                        scan_columns::<T, PROD>(d, &mut rows, inner, inner * p / parts, s);
                    });
            }
        }
        return Ok(Tensor::from_cpu_storage(
            T::into_storage(out),
            t.shape().clone(),
        ));
    }
    for (o, d) in out.chunks_mut(block).zip(data.chunks(block)) {
        scan_block::<T, PROD>(d, o, inner, s);
    }
    Ok(Tensor::from_cpu_storage(
        T::into_storage(out),
        t.shape().clone(),
    ))
}

/// Scans one block (rows of `inner` elements) of `data` into `out`.
fn scan_block<T: Arith, const PROD: bool>(data: &[T], out: &mut [T], inner: usize, s: Scan) {
    if inner == 1 {
        let mut acc = identity::<T::Acc, PROD>();
        let mut visit = |o: &mut T, x: T| {
            if s.exclusive {
                *o = T::from_acc(acc);
                acc = fold::<T::Acc, PROD>(acc, x.to_acc());
            } else {
                acc = fold::<T::Acc, PROD>(acc, x.to_acc());
                *o = T::from_acc(acc);
            }
        };
        if s.reverse {
            for (o, &x) in out.iter_mut().zip(data).rev() {
                visit(o, x);
            }
        } else {
            for (o, &x) in out.iter_mut().zip(data) {
                visit(o, x);
            }
        }
        return;
    }
    let mut rows: Vec<&mut [T]> = out.chunks_mut(inner).collect();
    scan_columns::<T, PROD>(data, &mut rows, inner, 0, s);
}

/// Scans columns `c0..c0 + rows[k].len()` of every row `k` of a block of
/// `data` (rows of `inner` elements) into `rows`.
fn scan_columns<T: Arith, const PROD: bool>(
    data: &[T],
    rows: &mut [&mut [T]],
    inner: usize,
    c0: usize,
    s: Scan,
) {
    let width = rows.first().map_or(0, |r| r.len());
    let mut acc = vec![identity::<T::Acc, PROD>(); width];
    let n = rows.len();
    for step in 0..n {
        let k = if s.reverse { n - 1 - step } else { step };
        let x = &data[k * inner + c0..k * inner + c0 + width];
        let o = &mut *rows[k];
        if s.exclusive {
            for ((o, a), &x) in o.iter_mut().zip(acc.iter_mut()).zip(x) {
                *o = T::from_acc(*a);
                *a = fold::<T::Acc, PROD>(*a, x.to_acc());
            }
        } else {
            for ((o, a), &x) in o.iter_mut().zip(acc.iter_mut()).zip(x) {
                *a = fold::<T::Acc, PROD>(*a, x.to_acc());
                *o = T::from_acc(*a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{DType, Tensor};

    /// The running sum of `data` (rows of `dims[1]`, C order) along `axis`,
    /// the obvious way.
    fn naive(
        data: &[i64],
        dims: [usize; 2],
        axis: usize,
        exclusive: bool,
        reverse: bool,
    ) -> Vec<i64> {
        let (r, c) = (dims[0], dims[1]);
        let n = dims[axis];
        let at = |k: usize, other: usize| {
            if axis == 0 {
                data[k * c + other]
            } else {
                data[other * c + k]
            }
        };
        let mut out = vec![0i64; r * c];
        for other in 0..dims[1 - axis] {
            for k in 0..n {
                let range: Vec<usize> = match (reverse, exclusive) {
                    (false, false) => (0..=k).collect(),
                    (false, true) => (0..k).collect(),
                    (true, false) => (k..n).collect(),
                    (true, true) => (k + 1..n).collect(),
                };
                let s = range
                    .into_iter()
                    .map(|j| at(j, other))
                    .fold(0i64, i64::wrapping_add);
                let pos = if axis == 0 {
                    k * c + other
                } else {
                    other * c + k
                };
                out[pos] = s;
            }
        }
        out
    }

    #[test]
    fn every_scan_path_matches_the_naive_sum() {
        // Few tall blocks (column split), many blocks (per block), last axis
        // (per row), in both directions, inclusive and exclusive, and from a
        // transposed input (gathered first).
        for dims in [[400usize, 200], [200, 400], [3, 50]] {
            let n = dims[0] * dims[1];
            let data: Vec<i64> = (0..n as i64).map(|i| (i * 7919) % 1013 - 500).collect();
            let t = Tensor::from_vec(data.clone(), dims).unwrap();
            for axis in 0..2 {
                for (exclusive, reverse) in
                    [(false, false), (true, false), (false, true), (true, true)]
                {
                    let got = t
                        .cumsum(axis as isize, exclusive, reverse)
                        .unwrap()
                        .to_vec::<i64>()
                        .unwrap();
                    assert_eq!(
                        got,
                        naive(&data, dims, axis, exclusive, reverse),
                        "{dims:?} {axis}"
                    );
                }
            }
            let tt = t.t().unwrap();
            let expected = Tensor::from_vec(naive(&data, dims, 0, false, true), dims)
                .unwrap()
                .t()
                .unwrap()
                .to_vec::<i64>()
                .unwrap();
            assert_eq!(
                tt.cumsum(1, false, true).unwrap().to_vec::<i64>().unwrap(),
                expected
            );
        }
    }

    #[test]
    fn half_precision_runs_in_f32() {
        // 4096 halves of 1.0: an f16 running sum would stick at 2048.
        let t = Tensor::ones([4096], DType::F16).unwrap();
        let c = t
            .cumsum(0, false, false)
            .unwrap()
            .to_vec::<half::f16>()
            .unwrap();
        assert_eq!(c[4095].to_f32(), 4096.0);
        assert_eq!(c[2050].to_f32(), 2052.0); // 2051 rounds to even in f16
    }
}
