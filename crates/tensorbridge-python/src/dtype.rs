//! Dtype names ⇄ `DType`, and the per-dtype dispatch of the NumPy bridge.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use tensorbridge_core::DType;

/// The dtype named `name` (NumPy's names: "float32", "bfloat16", ...).
pub(crate) fn from_name(name: &str) -> PyResult<DType> {
    DType::ALL
        .into_iter()
        .find(|d| d.name() == name)
        .ok_or_else(|| {
            PyTypeError::new_err(format!(
                "dtype {name:?} is not supported; tensorbridge has {}",
                DType::ALL.map(DType::name).join(", ")
            ))
        })
}

/// A dtype argument: a name, a `numpy.dtype`, or anything `numpy.dtype()`
/// accepts (`np.float32`, `ml_dtypes.bfloat16`, `float`).
pub(crate) fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<DType> {
    if let Ok(name) = obj.extract::<String>()
        && let Ok(d) = from_name(&name)
    {
        return Ok(d);
    }
    let np = obj.py().import("numpy")?;
    let name: String = np
        .getattr("dtype")?
        .call1((obj,))?
        .getattr("name")?
        .extract()?;
    from_name(&name)
}

/// Runs `$body` with `$T` the element type of `$dtype`.
macro_rules! with_element {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            tensorbridge_core::DType::Bool => {
                type $T = bool;
                $body
            }
            tensorbridge_core::DType::U8 => {
                type $T = u8;
                $body
            }
            tensorbridge_core::DType::U16 => {
                type $T = u16;
                $body
            }
            tensorbridge_core::DType::U32 => {
                type $T = u32;
                $body
            }
            tensorbridge_core::DType::U64 => {
                type $T = u64;
                $body
            }
            tensorbridge_core::DType::I8 => {
                type $T = i8;
                $body
            }
            tensorbridge_core::DType::I16 => {
                type $T = i16;
                $body
            }
            tensorbridge_core::DType::I32 => {
                type $T = i32;
                $body
            }
            tensorbridge_core::DType::I64 => {
                type $T = i64;
                $body
            }
            tensorbridge_core::DType::F16 => {
                type $T = half::f16;
                $body
            }
            tensorbridge_core::DType::BF16 => {
                type $T = half::bf16;
                $body
            }
            tensorbridge_core::DType::F32 => {
                type $T = f32;
                $body
            }
            tensorbridge_core::DType::F64 => {
                type $T = f64;
                $body
            }
            tensorbridge_core::DType::C64 => {
                type $T = num_complex::Complex<f32>;
                $body
            }
            tensorbridge_core::DType::C128 => {
                type $T = num_complex::Complex<f64>;
                $body
            }
        }
    };
}
pub(crate) use with_element;
