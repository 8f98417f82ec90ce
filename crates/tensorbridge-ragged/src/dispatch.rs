//! Reaching typed code from a dtype known only at run time.

/// Runs `$body` with `$T` bound to the Rust element type of `$dtype` (a
/// [`tensorbridge_core::DType`]).
macro_rules! with_dtype {
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
pub(crate) use with_dtype;
