//! A `match` over the dtypes with a type alias per arm, for the generic
//! byte plumbing (core keeps its own dispatch macros private).

/// Runs `$body` with `$T` bound to the element type of `$dtype`, for every
/// dtype but bool (`$bool` runs for bool, whose bytes need checking).
macro_rules! with_pod_dtype {
    ($dtype:expr, $T:ident => $body:expr, bool => $bool:expr) => {
        match $dtype {
            tensorbridge_core::DType::Bool => $bool,
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
                type $T = tensorbridge_core::f16;
                $body
            }
            tensorbridge_core::DType::BF16 => {
                type $T = tensorbridge_core::bf16;
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
                type $T = tensorbridge_core::Complex<f32>;
                $body
            }
            tensorbridge_core::DType::C128 => {
                type $T = tensorbridge_core::Complex<f64>;
                $body
            }
        }
    };
}
pub(crate) use with_pod_dtype;
