//! Matrix products: [`Tensor::matmul`] (`np.matmul`, `tf.linalg.matmul`)
//! and [`Tensor::dot`] (the inner product of two vectors).
//!
//! Every operand is seen as a stack of matrices with a row stride, a column
//! stride and one stride per batch dim (0 where the batch dims broadcast), so
//! the float kernels read transposed, strided, negative-step and broadcast
//! views in place, without a copy:
//!
//! - f32, f64, complex64 and complex128 go straight to `matrixmultiply`'s
//!   packed, SIMD gemm kernels (`sgemm`, `dgemm`, `cgemm`, `zgemm`), which
//!   accept arbitrary (negative and zero included) strides for both inputs;
//!   matrices of at most 512 multiply-adds (`SMALL_WORK`) are multiplied element
//!   by element instead, since packing would cost more than the product;
//! - f16 and bf16 operands are widened to f32 in one pass, multiplied with
//!   `sgemm` (accumulating in f32) and rounded once to the output dtype;
//! - integers are multiplied exactly with wrapping arithmetic, in an i-k-j
//!   loop over contiguous rows of the right operand (copied contiguous first
//!   when its rows are strided), blocked over k to stay in cache.
//!
//! Large products run on all cores (feature `parallel`): one task per batch
//! entry when there are enough of them, otherwise blocks of rows of each
//! matrix. Small products stay on the calling thread.
#![expect(
    unsafe_code,
    reason = "matrixmultiply's gemm entry points take raw pointers and strides"
)]

use half::{bf16, f16};
use num_complex::Complex;
use num_traits::{WrappingAdd, WrappingMul};

use crate::element::{Element, private::Sealed};
use crate::layout::contiguous_strides;
use crate::storage::CpuStorage;
use crate::{DType, Error, Layout, Result, Shape, Tensor, alloc, copy};

/// Products with at least this many multiply-adds run on all cores.
#[cfg(feature = "parallel")]
const PARALLEL_MIN_WORK: usize = 1 << 19;

/// A row block of a matrix split over threads has at least this many rows,
/// so that repacking the right operand per block stays negligible.
#[cfg(feature = "parallel")]
const MIN_BLOCK_ROWS: usize = 32;

/// Matrices with at most this many multiply-adds (`m * k * n`) skip gemm,
/// whose packing buffers and packing passes cost more than the product.
const SMALL_WORK: usize = 512;

/// Bytes of the right operand that one k-block of the integer kernel keeps
/// in cache.
const INT_BLOCK_BYTES: usize = 128 << 10;

impl Tensor {
    /// The matrix product `self @ other`, with the semantics of `np.matmul`
    /// and `tf.linalg.matmul`.
    ///
    /// - Rank ≥ 2 operands are stacks of matrices: the last two dims are
    ///   the rows and columns, the dims before them are batch dims, which
    ///   broadcast with NumPy's rules. `[.., m, k] @ [.., k, n]` is
    ///   `[batch.., m, n]`.
    /// - A rank-1 operand is promoted as NumPy does: a vector `[k]` on the
    ///   left is a `[1, k]` row, on the right a `[k, 1]` column, and that
    ///   added dim is removed from the result (so vector @ vector is a
    ///   scalar, matrix `[m, k]` @ vector `[k]` is `[m]`).
    /// - f32/f64/complex use packed SIMD gemm kernels (`matrixmultiply`) and
    ///   read strided, transposed, negative-step and broadcast operands in
    ///   place; f16/bf16 accumulate in f32 and are rounded once; integers are
    ///   exact, and overflow wraps (as in NumPy and TensorFlow).
    /// - Complex operands are not conjugated (as in `np.matmul`).
    /// - `k = 0` gives zeros; `m = 0` or `n = 0` gives an empty result.
    ///
    /// The result is a new C-order tensor of the operands' dtype. Large
    /// products run on all cores (feature `parallel`).
    ///
    /// **On a GPU** (both operands on it): cuBLAS for f16/bf16/f32/f64
    /// (f16/bf16 accumulate in f32), a kernel for the other dtypes; integers
    /// are the CPU's bit for bit, floats may differ from the CPU by rounding
    /// order (a few ulps times `k`). Batch dims that do not collapse into
    /// one stride are copied to C order on the device first.
    ///
    /// **Errors**:
    /// [`Error::DTypeMismatch`] when the dtypes differ (never a silent cast);
    /// [`Error::InvalidArgument`] for a rank-0 operand or bool operands;
    /// [`Error::ShapeMismatch`] when `self.dims()[-1] != other.dims()[-2]`
    /// or the batch dims do not broadcast;
    /// [`Error::ShapeOverflow`] / [`Error::OutOfMemory`] when the result
    /// cannot be held; [`Error::InvalidArgument`] naming both devices for
    /// operands on two devices.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let a = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    /// let b = Tensor::from([[5.0f32, 6.0], [7.0, 8.0]]);
    /// assert_eq!(a.matmul(&b)?.to_vec::<f32>()?, [19.0, 22.0, 43.0, 50.0]);
    /// // Transposed views are read in place: a @ b.T
    /// assert_eq!(a.matmul(&b.t()?)?.to_vec::<f32>()?, [17.0, 23.0, 39.0, 53.0]);
    /// // Batch dims broadcast: [2, 1, 3, 4] @ [5, 4, 2] -> [2, 5, 3, 2]
    /// let x = Tensor::ones([2, 1, 3, 4], tensorbridge_core::DType::F64)?;
    /// let y = Tensor::ones([5, 4, 2], tensorbridge_core::DType::F64)?;
    /// assert_eq!(x.matmul(&y)?.dims(), [2, 5, 3, 2]);
    /// // Matrix @ vector is a vector; integers wrap.
    /// let m = Tensor::from([[100i8, 100], [1, 2]]);
    /// let v = Tensor::from([1i8, 1]);
    /// assert_eq!(m.matmul(&v)?.to_vec::<i8>()?, [-56, 3]);
    /// assert!(a.matmul(&Tensor::from([[1.0f64]])).is_err()); // f32 @ f64
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::Matmul, self, other);
        matmul("matmul", self, other)
    }

    /// The inner product of two vectors (`np.dot` / `tf.tensordot(a, b, 1)`
    /// of rank-1 tensors), as a scalar (rank-0) tensor of their dtype. No
    /// complex conjugation, as in NumPy's `dot`.
    ///
    /// **Errors**: [`Error::InvalidArgument`] unless both tensors have rank
    /// 1 (use [`Tensor::matmul`] for matrices), or for bool;
    /// [`Error::ShapeMismatch`] when their lengths differ;
    /// [`Error::DTypeMismatch`] when their dtypes differ.
    ///
    /// ```
    /// use tensorbridge_core::Tensor;
    ///
    /// let a = Tensor::from([1, 2, 3]);
    /// let b = Tensor::from([4, 5, 6]);
    /// let d = a.dot(&b)?;
    /// assert_eq!(d.dims(), [0usize; 0]);
    /// assert_eq!(d.to_scalar::<i32>()?, 32);
    /// assert!(a.dot(&Tensor::from([1, 2])).is_err());
    /// # Ok::<(), tensorbridge_core::Error>(())
    /// ```
    pub fn dot(&self, other: &Tensor) -> Result<Tensor> {
        crate::graph::record_if_symbolic!(crate::graph::Op::Dot, self, other);
        const OP: &str = "dot";
        for (name, t) in [("lhs", self), ("rhs", other)] {
            if t.rank() != 1 {
                return Err(Error::invalid(
                    OP,
                    format!(
                        "{name} has shape {} (rank {}); dot takes two rank-1 tensors \
                         (use matmul for matrices and stacks of matrices)",
                        t.shape(),
                        t.rank()
                    ),
                ));
            }
        }
        if self.dims() != other.dims() {
            return Err(Error::shape_mismatch(
                OP,
                self.dims(),
                other.dims(),
                format!(
                    "lhs shape {} and rhs shape {} differ in length ({} vs {}); \
                     dot needs vectors of the same length",
                    self.shape(),
                    other.shape(),
                    self.dims()[0],
                    other.dims()[0]
                ),
            ));
        }
        matmul(OP, self, other)
    }
}

/// Checks the operands, plans the product and runs the kernel of the dtype.
fn matmul(op: &'static str, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    #[cfg(feature = "cuda")]
    let on_device = crate::cuda::placement(op, &[a, b])? != crate::Device::Cpu;
    #[cfg(not(feature = "cuda"))]
    let on_device = false;
    if !on_device {
        a.cpu_storage(op)?;
        b.cpu_storage(op)?;
    }
    let dtype = a.dtype();
    if b.dtype() != dtype {
        return Err(Error::DTypeMismatch {
            op,
            expected: dtype,
            found: b.dtype(),
        });
    }
    if dtype == DType::Bool {
        return Err(Error::invalid(
            op,
            format!(
                "{op} is not defined for dtype bool; cast the operands to an integer or float \
                 dtype first"
            ),
        ));
    }
    let plan = Plan::new(op, a, b, dtype)?;
    #[cfg(feature = "cuda")]
    if on_device {
        return device_matmul(op, a, b, &plan);
    }
    let (la, lb) = (a.layout(), b.layout());
    let out = match dtype {
        DType::F32 => f32::into_storage(gemm_product(a.host_slice(op)?, b.host_slice(op)?, &plan)?),
        DType::F64 => f64::into_storage(gemm_product(a.host_slice(op)?, b.host_slice(op)?, &plan)?),
        DType::C64 => {
            Complex::<f32>::into_storage(gemm_product(a.host_slice(op)?, b.host_slice(op)?, &plan)?)
        }
        DType::C128 => {
            Complex::<f64>::into_storage(gemm_product(a.host_slice(op)?, b.host_slice(op)?, &plan)?)
        }
        DType::F16 => f16::into_storage(half_product(
            (a.host_slice(op)?, la),
            (b.host_slice(op)?, lb),
            &plan,
            f16::to_f32,
            f16::from_f32,
        )?),
        DType::BF16 => bf16::into_storage(half_product(
            (a.host_slice(op)?, la),
            (b.host_slice(op)?, lb),
            &plan,
            bf16::to_f32,
            bf16::from_f32,
        )?),
        DType::U8 => int_storage::<u8>(a, b, &plan, op)?,
        DType::U16 => int_storage::<u16>(a, b, &plan, op)?,
        DType::U32 => int_storage::<u32>(a, b, &plan, op)?,
        DType::U64 => int_storage::<u64>(a, b, &plan, op)?,
        DType::I8 => int_storage::<i8>(a, b, &plan, op)?,
        DType::I16 => int_storage::<i16>(a, b, &plan, op)?,
        DType::I32 => int_storage::<i32>(a, b, &plan, op)?,
        DType::I64 => int_storage::<i64>(a, b, &plan, op)?,
        DType::Bool => unreachable!("bool operands were refused above"),
    };
    Ok(Tensor::from_cpu_storage(out, Shape::from(plan.out_dims)))
}

/// The product on the GPU of `a` and `b`: each operand as a stack of
/// `plan.batches` matrices with one batch stride (0 for a broadcast
/// operand), materialized in C order first when its batch dims do not
/// collapse into one stride.
#[cfg(feature = "cuda")]
fn device_matmul(op: &'static str, a: &Tensor, b: &Tensor, plan: &Plan) -> Result<Tensor> {
    // The one batch stride of an operand's batch dims, if they have one.
    fn one_stride(x: &MatrixOperand, out_batch: &[usize]) -> Option<isize> {
        let mut stride = None;
        let mut expected = 0isize;
        for (&d, &s) in out_batch.iter().zip(&x.batch_strides).rev() {
            if d == 1 {
                continue;
            }
            match stride {
                None => {
                    stride = Some(s);
                    expected = s.checked_mul(d as isize)?;
                }
                Some(_) if s == expected => expected = s.checked_mul(d as isize)?,
                Some(_) => return None,
            }
        }
        Some(stride.unwrap_or(0))
    }
    let operand = |t: &Tensor,
                   x: &MatrixOperand,
                   rows: usize,
                   cols: usize|
     -> Result<(Tensor, Vec<isize>, usize)> {
        match one_stride(x, &plan.out_batch) {
            Some(bs) => Ok((t.clone(), vec![bs, x.rs, x.cs], x.offset as usize)),
            None => {
                // Broadcast to the output batch dims and copy in C order.
                let mut dims = plan.out_batch.clone();
                dims.extend([rows, cols]);
                let promoted = t.reshape(x.dims.clone())?;
                let c = promoted
                    .broadcast_to(Shape::from(dims))?
                    .contiguous_copy()?;
                let (r, k) = (rows as isize, cols as isize);
                Ok((c, vec![r * k, k, 1], 0))
            }
        }
    };
    let (ta, sa, oa) = operand(a, &plan.a, plan.m, plan.k)?;
    let (tb, sb, ob) = operand(b, &plan.b, plan.k, plan.n)?;
    crate::cuda::matmul(
        op,
        (&ta, &sa, oa),
        (&tb, &sb, ob),
        [plan.batches, plan.m, plan.k, plan.n],
        Shape::from(plan.out_dims.clone()),
    )
}

/// One operand as a stack of matrices: where each matrix starts and how its
/// rows and columns are laid out in the buffer.
#[derive(Debug, Clone)]
struct MatrixOperand {
    /// Dims after the promotion of a vector (at least two).
    dims: Vec<usize>,
    /// Buffer position of element `[0, .., 0]`.
    offset: isize,
    /// Distance between rows.
    rs: isize,
    /// Distance between columns.
    cs: isize,
    /// One stride per batch dim of the *output*: 0 where this operand is
    /// broadcast (a missing or size-1 batch dim).
    batch_strides: Vec<isize>,
}

impl MatrixOperand {
    /// The operand with `dims` (promoted), `strides` and `offset`, seen
    /// against the output batch dims `out_batch` (which it broadcasts to).
    fn new(dims: Vec<usize>, strides: &[isize], offset: usize, out_batch: &[usize]) -> Self {
        let r = dims.len();
        let own = r - 2;
        let lead = out_batch.len() - own;
        let mut batch_strides = vec![0isize; out_batch.len()];
        for i in 0..own {
            if dims[i] != 1 {
                batch_strides[lead + i] = strides[i];
            }
        }
        MatrixOperand {
            offset: offset as isize,
            rs: strides[r - 2],
            cs: strides[r - 1],
            batch_strides,
            dims,
        }
    }

    /// The same operand read from a C-order copy of its elements.
    fn contiguous(&self, out_batch: &[usize]) -> Self {
        MatrixOperand::new(
            self.dims.clone(),
            &contiguous_strides(&self.dims),
            0,
            out_batch,
        )
    }
}

/// A checked matrix product: dims, output shape and both operands.
#[derive(Debug, Clone)]
struct Plan {
    /// The broadcast batch dims of the output.
    out_batch: Vec<usize>,
    /// The number of matrices in the output (product of `out_batch`).
    batches: usize,
    /// Rows of each output matrix.
    m: usize,
    /// The inner dim.
    k: usize,
    /// Columns of each output matrix.
    n: usize,
    /// The output dims, without the dims added by promoting vectors.
    out_dims: Vec<usize>,
    /// Elements in the output.
    out_numel: usize,
    /// The left operand.
    a: MatrixOperand,
    /// The right operand.
    b: MatrixOperand,
}

impl Plan {
    /// Checks ranks, inner dims and batch dims, and sizes the output.
    fn new(op: &'static str, a: &Tensor, b: &Tensor, dtype: DType) -> Result<Plan> {
        for (name, t) in [("lhs", a), ("rhs", b)] {
            if t.rank() == 0 {
                return Err(Error::invalid(
                    op,
                    format!(
                        "{name} is a scalar (shape []); {op} needs operands of rank >= 1 \
                         (a rank-1 operand is promoted to a matrix as in NumPy); \
                         use mul to scale by a scalar"
                    ),
                ));
            }
        }
        let (ad, bd) = (a.dims(), b.dims());
        let (la, lb) = (a.layout(), b.layout());
        // NumPy's promotion: [k] on the left is [1, k], on the right [k, 1].
        let (a_dims, a_strides) = if a.rank() == 1 {
            (vec![1, ad[0]], vec![0, la.strides()[0]])
        } else {
            (ad.to_vec(), la.strides().to_vec())
        };
        let (b_dims, b_strides) = if b.rank() == 1 {
            (vec![bd[0], 1], vec![lb.strides()[0], 0])
        } else {
            (bd.to_vec(), lb.strides().to_vec())
        };
        let (ra, rb) = (a_dims.len(), b_dims.len());
        let (m, ka) = (a_dims[ra - 2], a_dims[ra - 1]);
        let (kb, n) = (b_dims[rb - 2], b_dims[rb - 1]);
        if ka != kb {
            let lhs_note = if a.rank() == 1 {
                " (a vector on the left is a row)"
            } else {
                ""
            };
            let rhs_note = if b.rank() == 1 {
                " (a vector on the right is a column)"
            } else {
                ""
            };
            return Err(Error::shape_mismatch(
                op,
                ad,
                bd,
                format!(
                    "inner dims differ: lhs shape {} has {ka} columns{lhs_note} but rhs shape {} \
                     has {kb} rows{rhs_note}; {op} needs lhs.dims[-1] == rhs.dims[-2]",
                    a.shape(),
                    b.shape()
                ),
            ));
        }
        let (a_batch, b_batch) = (&a_dims[..ra - 2], &b_dims[..rb - 2]);
        let out_batch = broadcast_batch(a_batch, b_batch).map_err(|(x, y)| {
            Error::shape_mismatch(
                op,
                ad,
                bd,
                format!(
                    "batch dims {a_batch:?} of lhs shape {} and {b_batch:?} of rhs shape {} do not \
                     broadcast: aligned from the right, {x} and {y} differ and neither is 1",
                    a.shape(),
                    b.shape()
                ),
            )
        })?;
        let mut out_dims = out_batch.clone();
        if a.rank() > 1 {
            out_dims.push(m);
        }
        if b.rank() > 1 {
            out_dims.push(n);
        }
        let out_numel =
            Shape::from(&out_dims).checked_byte_size(op, dtype)? / dtype.size_in_bytes();
        let batches = out_batch.iter().product();
        Ok(Plan {
            a: MatrixOperand::new(a_dims, &a_strides, la.offset(), &out_batch),
            b: MatrixOperand::new(b_dims, &b_strides, lb.offset(), &out_batch),
            out_batch,
            batches,
            m,
            k: ka,
            n,
            out_dims,
            out_numel,
        })
    }

    /// Buffer positions of the first elements of the operands' matrices for
    /// output matrix `batch` (in C order of the output batch dims).
    fn offsets(&self, batch: usize) -> (isize, isize) {
        let (mut oa, mut ob) = (self.a.offset, self.b.offset);
        let mut rest = batch;
        for i in (0..self.out_batch.len()).rev() {
            let d = self.out_batch[i];
            let idx = (rest % d) as isize;
            rest /= d;
            oa += idx * self.a.batch_strides[i];
            ob += idx * self.b.batch_strides[i];
        }
        (oa, ob)
    }

    /// Whether the product has no multiply-adds to do: the output is empty
    /// or all zeros.
    fn is_trivial(&self) -> bool {
        self.out_numel == 0 || self.k == 0
    }
}

/// NumPy's broadcast of two batch shapes, or the first pair of dims that
/// differ with neither 1.
fn broadcast_batch(a: &[usize], b: &[usize]) -> std::result::Result<Vec<usize>, (usize, usize)> {
    let rank = a.len().max(b.len());
    let mut out = vec![1usize; rank];
    for i in 0..rank {
        let x = if i < a.len() { a[a.len() - 1 - i] } else { 1 };
        let y = if i < b.len() { b[b.len() - 1 - i] } else { 1 };
        out[rank - 1 - i] = match (x, y) {
            _ if x == y => x,
            (1, _) => y,
            (_, 1) => x,
            _ => return Err((x, y)),
        };
    }
    Ok(out)
}

/// Runs `kernel(batch, first row, output rows)` over the whole output, each
/// call writing whole rows of one output matrix: on all cores for large
/// products, on the calling thread otherwise.
fn for_each_block<T: Send>(
    plan: &Plan,
    out: &mut [T],
    kernel: impl Fn(usize, usize, &mut [T]) + Sync,
) {
    let (m, n) = (plan.m, plan.n);
    let matrix = m * n;
    #[cfg(feature = "parallel")]
    {
        let work = plan.batches.saturating_mul(matrix).saturating_mul(plan.k);
        let threads = rayon::current_num_threads();
        if work >= PARALLEL_MIN_WORK && threads > 1 {
            use rayon::prelude::*;
            let block_rows = if plan.batches >= threads {
                m
            } else {
                let blocks = (2 * threads).div_ceil(plan.batches);
                m.div_ceil(blocks)
                    .next_multiple_of(8)
                    .max(MIN_BLOCK_ROWS)
                    .min(m)
            };
            out.par_chunks_mut(matrix)
                .enumerate()
                .for_each(|(batch, c)| {
                    if block_rows >= m {
                        kernel(batch, 0, c);
                    } else {
                        c.par_chunks_mut(block_rows * n)
                            .enumerate()
                            .for_each(|(i, rows)| kernel(batch, i * block_rows, rows));
                    }
                });
            return;
        }
    }
    for (batch, c) in (0..plan.batches).zip(out.chunks_mut(matrix)) {
        kernel(batch, 0, c);
    }
}

/// The element types `matrixmultiply` multiplies.
trait Gemm: Element + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self> {
    /// `C = A B` for an `m`×`k` `A` and a `k`×`n` `B` with arbitrary
    /// strides, into `C` (not read).
    ///
    /// # Safety
    ///
    /// `m`, `k`, `n` are positive; every `a + i * rsa + p * csa` (`i < m`,
    /// `p < k`) and `b + p * rsb + j * csb` (`p < k`, `j < n`) points to an
    /// initialised element of one live allocation, and every
    /// `c + i * rsc + j * csc` to a distinct element of one live allocation
    /// that nothing else reads or writes during the call.
    #[expect(clippy::too_many_arguments, reason = "the BLAS gemm signature")]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

macro_rules! impl_gemm_real {
    ($($ty:ty => $f:ident),*) => {$(
        impl Gemm for $ty {
            unsafe fn gemm(
                m: usize, k: usize, n: usize,
                a: *const Self, rsa: isize, csa: isize,
                b: *const Self, rsb: isize, csb: isize,
                c: *mut Self, rsc: isize, csc: isize,
            ) {
                // SAFETY: the caller upholds matrixmultiply's contract (see
                // `Gemm::gemm`); with beta = 0, C is written, never read.
                unsafe {
                    matrixmultiply::$f(m, k, n, 1.0, a, rsa, csa, b, rsb, csb, 0.0, c, rsc, csc)
                }
            }
        }
    )*};
}
impl_gemm_real!(f32 => sgemm, f64 => dgemm);

macro_rules! impl_gemm_complex {
    ($($re:ty => $f:ident),*) => {$(
        impl Gemm for Complex<$re> {
            unsafe fn gemm(
                m: usize, k: usize, n: usize,
                a: *const Self, rsa: isize, csa: isize,
                b: *const Self, rsb: isize, csb: isize,
                c: *mut Self, rsc: isize, csc: isize,
            ) {
                use matrixmultiply::CGemmOption::Standard;
                // SAFETY: `Complex<T>` is `#[repr(C)] { re: T, im: T }`, the
                // layout of matrixmultiply's `[T; 2]` complex type, so the
                // casts address the same elements; the caller upholds the
                // rest of matrixmultiply's contract (see `Gemm::gemm`); with
                // beta = 0, C is written, never read.
                unsafe {
                    matrixmultiply::$f(
                        Standard, Standard, m, k, n,
                        [1.0, 0.0], a.cast::<[$re; 2]>(), rsa, csa,
                        b.cast::<[$re; 2]>(), rsb, csb,
                        [0.0, 0.0], c.cast::<[$re; 2]>(), rsc, csc,
                    )
                }
            }
        }
    )*};
}
impl_gemm_complex!(f32 => cgemm, f64 => zgemm);

/// The product through `matrixmultiply`, reading the operands in place.
fn gemm_product<T: Gemm>(a: &[T], b: &[T], plan: &Plan) -> Result<Vec<T>> {
    let mut out = alloc::zeroed_vec::<T>(plan.out_numel)?;
    if plan.is_trivial() {
        return Ok(out);
    }
    let (k, n) = (plan.k, plan.n);
    let (pa, pb) = (&plan.a, &plan.b);
    for_each_block(plan, &mut out, |batch, row0, c| {
        let rows = c.len() / n;
        let (oa, ob) = plan.offsets(batch);
        if rows * k * n <= SMALL_WORK {
            small_product(a, b, oa + row0 as isize * pa.rs, ob, plan, c);
            return;
        }
        let a_ptr = a.as_ptr().wrapping_offset(oa + row0 as isize * pa.rs);
        let b_ptr = b.as_ptr().wrapping_offset(ob);
        // SAFETY: rows, k and n are positive (the output is not empty and
        // k > 0). Element (i, p) of this A block is element
        // [batch.., row0 + i, p] of the left operand (promoted, broadcast to
        // the output batch dims), and (p, j) of B element [batch.., p, j] of
        // the right one: their positions are the operands' layouts evaluated
        // at in-range indices, and every layout was checked to stay inside
        // its buffer when the tensor was made (broadcasting adds only zero
        // strides). `c` is a `rows * n` slice borrowed mutably and
        // exclusively by this call, written with strides (n, 1): distinct
        // elements, all inside it.
        unsafe {
            T::gemm(
                rows,
                k,
                n,
                a_ptr,
                pa.rs,
                pa.cs,
                b_ptr,
                pb.rs,
                pb.cs,
                c.as_mut_ptr(),
                n as isize,
                1,
            );
        }
    });
    Ok(out)
}

/// A small product `c += A B`, element by element (`c` arrives zeroed): `A`
/// starts at `oa` in `a` and has the rows of `c`, `B` starts at `ob` in
/// `b`; strides from `plan`. The i-k-j order keeps the columns of a row
/// independent, so they accumulate side by side.
fn small_product<T: Gemm>(a: &[T], b: &[T], oa: isize, ob: isize, plan: &Plan, c: &mut [T]) {
    let (pa, pb) = (&plan.a, &plan.b);
    for (i, c_row) in c.chunks_exact_mut(plan.n).enumerate() {
        let a_row = oa + i as isize * pa.rs;
        for p in 0..plan.k as isize {
            let x = a[(a_row + p * pa.cs) as usize];
            let b_row = ob + p * pb.rs;
            if pb.cs == 1 {
                let start = b_row as usize;
                for (y, &z) in c_row.iter_mut().zip(&b[start..start + plan.n]) {
                    *y = *y + x * z;
                }
            } else {
                for (j, y) in c_row.iter_mut().enumerate() {
                    *y = *y + x * b[(b_row + j as isize * pb.cs) as usize];
                }
            }
        }
    }
}

/// The product of f16/bf16 operands: widened to f32 in one pass each,
/// multiplied with `sgemm` (accumulating in f32), rounded once.
fn half_product<H: Element>(
    (a, la): (&[H], &Layout),
    (b, lb): (&[H], &Layout),
    plan: &Plan,
    widen: fn(H) -> f32,
    round: fn(f32) -> H,
) -> Result<Vec<H>> {
    if plan.is_trivial() {
        return alloc::zeroed_vec::<H>(plan.out_numel);
    }
    let a32 = copy::map_to_vec(a, la, widen)?;
    let b32 = copy::map_to_vec(b, lb, widen)?;
    let plan32 = Plan {
        a: plan.a.contiguous(&plan.out_batch),
        b: plan.b.contiguous(&plan.out_batch),
        ..plan.clone()
    };
    let c32 = gemm_product(&a32, &b32, &plan32)?;
    copy::map_to_vec(
        &c32,
        &Layout::contiguous(Shape::from(&plan.out_dims)),
        round,
    )
}

/// Integer element types: exact products with wrapping arithmetic.
trait IntElement: Element + WrappingAdd + WrappingMul {}
impl<T: Element + WrappingAdd + WrappingMul> IntElement for T {}

/// The integer product as storage, reading the operands of dtype `T`.
fn int_storage<T: IntElement>(
    a: &Tensor,
    b: &Tensor,
    plan: &Plan,
    op: &'static str,
) -> Result<CpuStorage> {
    Ok(T::into_storage(int_product(
        a.host_slice::<T>(op)?,
        (b.host_slice::<T>(op)?, b.layout()),
        plan,
    )?))
}

/// The exact integer product, wrapping on overflow: an i-k-j loop over rows
/// of B (made contiguous first when they are strided), blocked over k so a
/// block of B stays in cache while every row of the output block uses it.
fn int_product<T: IntElement>(a: &[T], (b, lb): (&[T], &Layout), plan: &Plan) -> Result<Vec<T>> {
    let mut out = alloc::zeroed_vec::<T>(plan.out_numel)?;
    if plan.is_trivial() {
        return Ok(out);
    }
    let (k, n) = (plan.k, plan.n);
    let b_copy;
    let contiguous_plan;
    let (b, plan) = if plan.b.cs == 1 || n == 1 {
        (b, plan)
    } else {
        b_copy = copy::gather(b, lb)?;
        contiguous_plan = Plan {
            b: plan.b.contiguous(&plan.out_batch),
            ..plan.clone()
        };
        (&b_copy[..], &contiguous_plan)
    };
    let (pa, pb) = (&plan.a, &plan.b);
    let k_block = (INT_BLOCK_BYTES / (n * size_of::<T>()).max(1)).clamp(1, k);
    for_each_block(plan, &mut out, |batch, row0, c| {
        let (oa, ob) = plan.offsets(batch);
        for p0 in (0..k).step_by(k_block) {
            let p1 = (p0 + k_block).min(k);
            for (i, c_row) in c.chunks_exact_mut(n).enumerate() {
                let a_row = oa + (row0 + i) as isize * pa.rs;
                for p in p0..p1 {
                    let x = a[(a_row + p as isize * pa.cs) as usize];
                    let start = (ob + p as isize * pb.rs) as usize;
                    for (y, &z) in c_row.iter_mut().zip(&b[start..start + n]) {
                        *y = y.wrapping_add(&x.wrapping_mul(&z));
                    }
                }
            }
        }
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s;

    /// `a @ b` of C-order matrices stacks, index by index, in f64.
    fn naive(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    c[i * n + j] += a[i * k + p] * b[p * n + j];
                }
            }
        }
        c
    }

    fn values(len: usize, seed: u64) -> Vec<f64> {
        // Small dyadic values: products and sums are exact in f32 here.
        (0..len as u64)
            .map(|i| (((i * 7919 + seed * 104_729) % 17) as f64 - 8.0) / 4.0)
            .collect()
    }

    #[test]
    fn hand_worked_2x2() {
        let a = Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]);
        let b = Tensor::from([[5.0f64, 6.0], [7.0, 8.0]]);
        assert_eq!(
            a.matmul(&b).unwrap().to_vec::<f64>().unwrap(),
            [19.0, 22.0, 43.0, 50.0]
        );
        let ai = Tensor::from([[1i64, 2], [3, 4]]);
        let bi = Tensor::from([[5i64, 6], [7, 8]]);
        assert_eq!(
            ai.matmul(&bi).unwrap().to_vec::<i64>().unwrap(),
            [19, 22, 43, 50]
        );
        // b[::-1, ::-1] = [[8, 7], [6, 5]]: 1*8+2*6 = 20, 1*7+2*5 = 17, ...
        let r = b.slice(s![..;-1, ..;-1]).unwrap();
        assert_eq!(
            a.matmul(&r).unwrap().to_vec::<f64>().unwrap(),
            [20.0, 17.0, 48.0, 41.0]
        );
        let ri = bi.slice(s![..;-1, ..;-1]).unwrap();
        assert_eq!(
            ai.matmul(&ri).unwrap().to_vec::<i64>().unwrap(),
            [20, 17, 48, 41]
        );
    }

    #[test]
    fn plan_broadcasts_and_promotes() {
        let a = Tensor::zeros([2, 1, 3, 4], DType::F32).unwrap();
        let b = Tensor::zeros([5, 4, 2], DType::F32).unwrap();
        let p = Plan::new("matmul", &a, &b, DType::F32).unwrap();
        assert_eq!(p.out_dims, [2, 5, 3, 2]);
        assert_eq!((p.m, p.k, p.n, p.batches), (3, 4, 2, 10));
        assert_eq!(p.a.batch_strides, [12, 0]);
        assert_eq!(p.b.batch_strides, [0, 8]);
        // Output matrix 7 is batch index [1, 2]: a[1, 0], b[2].
        assert_eq!(p.offsets(7), (12, 16));
        let v = Tensor::zeros([4], DType::F32).unwrap();
        assert_eq!(
            Plan::new("matmul", &v, &b, DType::F32).unwrap().out_dims,
            [5, 2]
        );
        assert_eq!(
            Plan::new("matmul", &a, &v, DType::F32).unwrap().out_dims,
            [2, 1, 3]
        );
        let e: [usize; 0] = [];
        assert_eq!(Plan::new("matmul", &v, &v, DType::F32).unwrap().out_dims, e);
        assert_eq!(broadcast_batch(&[2, 1], &[3, 1, 4]), Ok(vec![3, 2, 4]));
        assert_eq!(broadcast_batch(&[2, 3], &[4]), Err((3, 4)));
    }

    /// Large enough to take the parallel row-block and batch paths.
    #[test]
    fn large_products_match_naive() {
        let (m, k, n) = (150, 70, 90);
        let av = values(m * k, 1);
        let bv = values(k * n, 2);
        let want = naive(&av, &bv, m, k, n);
        let a = Tensor::from_vec(av.iter().map(|&x| x as f32).collect::<Vec<_>>(), [m, k]).unwrap();
        let b = Tensor::from_vec(bv.iter().map(|&x| x as f32).collect::<Vec<_>>(), [k, n]).unwrap();
        let got = a.matmul(&b).unwrap().to_vec::<f32>().unwrap();
        assert!(got.iter().zip(&want).all(|(&g, &w)| g as f64 == w));
        // The same through a transposed copy of b (strides [1, k]).
        let bt = b.t().unwrap().contiguous_copy().unwrap().t().unwrap();
        assert_eq!(a.matmul(&bt).unwrap().to_vec::<f32>().unwrap(), got);
        // Integers, and a batch of 8 matrices (one task per batch entry).
        let ai4 = Tensor::from_vec(
            av.iter().map(|&x| (x * 4.0) as i32).collect::<Vec<_>>(),
            [m, k],
        )
        .unwrap();
        let bi4 = Tensor::from_vec(
            bv.iter().map(|&x| (x * 4.0) as i32).collect::<Vec<_>>(),
            [k, n],
        )
        .unwrap();
        let gi = ai4
            .matmul(&bi4.t().unwrap().contiguous_copy().unwrap().t().unwrap())
            .unwrap();
        let wi: Vec<i32> = want.iter().map(|&w| (w * 16.0) as i32).collect();
        assert_eq!(gi.to_vec::<i32>().unwrap(), wi);
        let batch = ai4.broadcast_to([8, m, k]).unwrap().matmul(&bi4).unwrap();
        assert_eq!(batch.dims(), [8, m, n]);
        assert_eq!(batch.slice(s![5]).unwrap().to_vec::<i32>().unwrap(), wi);
    }

    #[test]
    fn empty_and_zero_k() {
        let a = Tensor::zeros([3, 0], DType::F32).unwrap();
        let b = Tensor::zeros([0, 2], DType::F32).unwrap();
        let c = a.matmul(&b).unwrap();
        assert_eq!(c.dims(), [3, 2]);
        assert_eq!(c.to_vec::<f32>().unwrap(), [0.0; 6]);
        let e = b
            .matmul(&Tensor::zeros([2, 5], DType::F32).unwrap())
            .unwrap();
        assert_eq!(e.dims(), [0, 5]);
        let h = Tensor::zeros([2, 0], DType::BF16).unwrap();
        let hb = Tensor::zeros([0, 1], DType::BF16).unwrap();
        assert_eq!(
            h.matmul(&hb).unwrap().to_vec::<bf16>().unwrap(),
            [bf16::ZERO; 2]
        );
    }
}
