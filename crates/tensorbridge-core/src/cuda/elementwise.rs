//! Elementwise ops on the device: binary with broadcasting, unary, `where_`,
//! casts, complex parts and C-order copies of strided views.
//!
//! The host validated dtypes, shapes and arguments before these run; each
//! function here only sizes the output, broadcasts the layouts (stride 0)
//! and launches one kernel.

use tensorbridge_cuda::{BinaryOp, UnaryOp};

use super::create::{output, wrap};
use super::transfer::device_storage;
use super::{backend, elem, map_err, strided};
use crate::ops::binary::broadcast_shapes;
use crate::{DType, Error, Result, Shape, Tensor};

/// The backend's binary op for a core method name.
pub(crate) fn binary_op(op: &'static str) -> Result<BinaryOp> {
    Ok(match op {
        "add" => BinaryOp::Add,
        "sub" => BinaryOp::Sub,
        "mul" => BinaryOp::Mul,
        "div" => BinaryOp::Div,
        "rem" => BinaryOp::Rem,
        "pow" => BinaryOp::Pow,
        "maximum" => BinaryOp::Maximum,
        "minimum" => BinaryOp::Minimum,
        "eq" => BinaryOp::Eq,
        "ne" => BinaryOp::Ne,
        "lt" => BinaryOp::Lt,
        "le" => BinaryOp::Le,
        "gt" => BinaryOp::Gt,
        "ge" => BinaryOp::Ge,
        "logical_and" => BinaryOp::LogicalAnd,
        "logical_or" => BinaryOp::LogicalOr,
        "logical_xor" => BinaryOp::LogicalXor,
        other => return Err(no_kernel(other)),
    })
}

/// The backend's unary op for a core method name.
pub(crate) fn unary_op(op: &'static str) -> Result<UnaryOp> {
    Ok(match op {
        "neg" => UnaryOp::Neg,
        "abs" => UnaryOp::Abs,
        "sign" => UnaryOp::Sign,
        "exp" => UnaryOp::Exp,
        "log" => UnaryOp::Log,
        "sqrt" => UnaryOp::Sqrt,
        "rsqrt" => UnaryOp::Rsqrt,
        "sin" => UnaryOp::Sin,
        "cos" => UnaryOp::Cos,
        "tanh" => UnaryOp::Tanh,
        "sigmoid" => UnaryOp::Sigmoid,
        "relu" => UnaryOp::Relu,
        "floor" => UnaryOp::Floor,
        "ceil" => UnaryOp::Ceil,
        "round" => UnaryOp::Round,
        "logical_not" => UnaryOp::LogicalNot,
        other => return Err(no_kernel(other)),
    })
}

/// An op that has no device kernel (a bug: every core op is mapped).
fn no_kernel(op: &'static str) -> Error {
    Error::invalid(
        op,
        "this operation has no CUDA kernel; move the tensor with .cpu() first",
    )
}

/// `a op b` with NumPy broadcasting on the device of both (checked by the
/// caller, as are the dtypes); the output has dtype `out`.
pub(crate) fn binary(op: &'static str, a: &Tensor, b: &Tensor, out: DType) -> Result<Tensor> {
    let shape = if a.dims() == b.dims() {
        a.shape().clone()
    } else {
        broadcast_shapes(op, a.dims(), b.dims())?
    };
    let (la, lb) = (
        a.layout().broadcast_to(&shape)?,
        b.layout().broadcast_to(&shape)?,
    );
    let (sa, sb) = (device_storage(a, op)?, device_storage(b, op)?);
    let device = sa.device();
    let mut buffer = output(op, device, &shape, out)?;
    if la.numel() > 0 {
        backend(device)?
            .binary(
                binary_op(op)?,
                elem(a.dtype()),
                sa.buffer(),
                strided(&la),
                sb.buffer(),
                strided(&lb),
                &mut buffer,
            )
            .map_err(|e| map_err(op, device, e))?;
    }
    Ok(wrap(buffer, device, shape, out))
}

/// `op(t)` elementwise on the device; the output has dtype `out`.
pub(crate) fn unary(op: &'static str, t: &Tensor, out: DType) -> Result<Tensor> {
    let s = device_storage(t, op)?;
    let device = s.device();
    let mut buffer = output(op, device, t.shape(), out)?;
    if t.numel() > 0 {
        backend(device)?
            .unary(
                unary_op(op)?,
                elem(t.dtype()),
                s.buffer(),
                strided(t.layout()),
                &mut buffer,
            )
            .map_err(|e| map_err(op, device, e))?;
    }
    Ok(wrap(buffer, device, t.shape().clone(), out))
}

/// `t` converted to `dtype` on the device, with [`Tensor::cast`]'s rules
/// (checked by the caller: never complex → real).
pub(crate) fn cast(t: &Tensor, dtype: DType) -> Result<Tensor> {
    const OP: &str = "cast";
    let s = device_storage(t, OP)?;
    let device = s.device();
    let mut buffer = output(OP, device, t.shape(), dtype)?;
    if t.numel() > 0 {
        backend(device)?
            .cast(
                elem(t.dtype()),
                elem(dtype),
                s.buffer(),
                strided(t.layout()),
                &mut buffer,
            )
            .map_err(|e| map_err(OP, device, e))?;
    }
    Ok(wrap(buffer, device, t.shape().clone(), dtype))
}

/// The real (`real == true`) or imaginary part of a complex device tensor,
/// read in place through a view of its buffer as pairs of floats: no kernel
/// but a strided copy.
pub(crate) fn complex_part(t: &Tensor, real: bool) -> Result<Tensor> {
    let op = if real { "real" } else { "imag" };
    let part = match t.dtype() {
        DType::C64 => DType::F32,
        DType::C128 => DType::F64,
        _ => return Ok(t.clone()),
    };
    let s = device_storage(t, op)?;
    let device = s.device();
    // The buffer as floats: element i of the complex layout is float 2i
    // (real) or 2i + 1 (imaginary).
    let strides: Vec<isize> = t.layout().strides().iter().map(|&x| 2 * x).collect();
    let offset = 2 * t.layout().offset() + usize::from(!real);
    let src = tensorbridge_cuda::StridedLayout {
        dims: t.dims(),
        strides: &strides,
        offset,
    };
    let contiguous = crate::layout::contiguous_strides(t.dims());
    let dst = tensorbridge_cuda::StridedLayout {
        dims: t.dims(),
        strides: &contiguous,
        offset: 0,
    };
    let mut buffer = output(op, device, t.shape(), part)?;
    if t.numel() > 0 {
        backend(device)?
            .copy_strided(elem(part), s.buffer(), src, &mut buffer, dst)
            .map_err(|e| map_err(op, device, e))?;
    }
    Ok(wrap(buffer, device, t.shape().clone(), part))
}

/// `where_(cond, a, b)` on the device, the three broadcast to `shape`.
pub(crate) fn where_(cond: &Tensor, a: &Tensor, b: &Tensor, shape: &Shape) -> Result<Tensor> {
    const OP: &str = "where_";
    let (lc, la, lb) = (
        cond.layout().broadcast_to(shape)?,
        a.layout().broadcast_to(shape)?,
        b.layout().broadcast_to(shape)?,
    );
    let (sc, sa, sb) = (
        device_storage(cond, OP)?,
        device_storage(a, OP)?,
        device_storage(b, OP)?,
    );
    let device = sa.device();
    let mut buffer = output(OP, device, shape, a.dtype())?;
    if lc.numel() > 0 {
        backend(device)?
            .where_select(
                elem(a.dtype()),
                sc.buffer(),
                strided(&lc),
                sa.buffer(),
                strided(&la),
                sb.buffer(),
                strided(&lb),
                &mut buffer,
            )
            .map_err(|e| map_err(OP, device, e))?;
    }
    Ok(wrap(buffer, device, shape.clone(), a.dtype()))
}

/// Whether integer device tensor `t` holds a 0 (`negative == false`) or a
/// negative value (`negative == true`): a comparison and an `any` on the
/// device, and one bool read back.
pub(crate) fn any_zero(t: &Tensor, negative: bool) -> Result<bool> {
    let zero = crate::dtype::with_dtype!(t.dtype(), T => Tensor::scalar(T::default()))
        .to_device(t.device())?;
    let hits = if negative { t.lt(&zero)? } else { t.eq(&zero)? };
    hits.any(&[], false)?.to_scalar::<bool>()
}

/// A C-order copy of device tensor `t` on its device; only the elements of
/// its view are read.
pub(crate) fn contiguous_copy(t: &Tensor) -> Result<Tensor> {
    const OP: &str = "contiguous_copy";
    let s = device_storage(t, OP)?;
    let device = s.device();
    let mut buffer = output(OP, device, t.shape(), t.dtype())?;
    if t.numel() > 0 {
        let contiguous = crate::layout::contiguous_strides(t.dims());
        let dst = tensorbridge_cuda::StridedLayout {
            dims: t.dims(),
            strides: &contiguous,
            offset: 0,
        };
        backend(device)?
            .copy_strided(
                elem(t.dtype()),
                s.buffer(),
                strided(t.layout()),
                &mut buffer,
                dst,
            )
            .map_err(|e| map_err(OP, device, e))?;
    }
    Ok(wrap(buffer, device, t.shape().clone(), t.dtype()))
}
