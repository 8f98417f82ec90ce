//! DType ⇄ DLPack's `DLDataType` (code, bits, lanes).

use dlpark::ffi::{DLDataType, DLDataTypeCode};
use tensorbridge_core::{DType, Result};

use super::invalid;

/// The DLPack data type of `dtype`: `bool` is `kDLBool` with 8 bits,
/// `bfloat16` is `kDLBfloat`, complex is `kDLComplex` with the bits of the
/// whole pair; always one lane.
///
/// ```
/// use tensorbridge_core::DType;
/// use tensorbridge_numpy::dlpack::to_dl_dtype;
///
/// let dt = to_dl_dtype(DType::C64);
/// assert_eq!((dt.code.0, dt.bits, dt.lanes), (5, 64, 1)); // kDLComplex, 64 bits
/// ```
pub fn to_dl_dtype(dtype: DType) -> DLDataType {
    let code = match dtype {
        DType::Bool => DLDataTypeCode::BOOL,
        DType::U8 | DType::U16 | DType::U32 | DType::U64 => DLDataTypeCode::UINT,
        DType::I8 | DType::I16 | DType::I32 | DType::I64 => DLDataTypeCode::INT,
        DType::F16 | DType::F32 | DType::F64 => DLDataTypeCode::FLOAT,
        DType::BF16 => DLDataTypeCode::BFLOAT,
        DType::C64 | DType::C128 => DLDataTypeCode::COMPLEX,
    };
    // Every element type is at most 16 bytes, so its bit count fits in u8.
    let bits = (dtype.size_in_bytes() * 8) as u8;
    DLDataType::scalar(code, bits)
}

/// The dtype of a DLPack data type.
///
/// **Errors**: [`tensorbridge_core::Error::InvalidArgument`] for vector
/// types (`lanes != 1`), for codes tensorbridge has no dtype for (fp8, fp6,
/// fp4, opaque handles) and for bit widths a code does not come in.
///
/// ```
/// use tensorbridge_core::DType;
/// use tensorbridge_numpy::dlpack::{DLDataType, from_dl_dtype, to_dl_dtype};
///
/// assert_eq!(from_dl_dtype(to_dl_dtype(DType::BF16))?, DType::BF16);
/// let float4 = DLDataType { lanes: 4, ..to_dl_dtype(DType::F32) };
/// assert!(from_dl_dtype(float4).is_err());
/// # Ok::<(), tensorbridge_core::Error>(())
/// ```
pub fn from_dl_dtype(dt: DLDataType) -> Result<DType> {
    const OP: &str = "from_dlpack";
    if dt.lanes != 1 {
        return Err(invalid(
            OP,
            format!(
                "dtype (code {}, bits {}, lanes {}) is a vector type; only lanes = 1 is supported",
                dt.code.0, dt.bits, dt.lanes
            ),
        ));
    }
    let dtype = match (dt.code, dt.bits) {
        (DLDataTypeCode::BOOL, 8) => DType::Bool,
        (DLDataTypeCode::UINT, 8) => DType::U8,
        (DLDataTypeCode::UINT, 16) => DType::U16,
        (DLDataTypeCode::UINT, 32) => DType::U32,
        (DLDataTypeCode::UINT, 64) => DType::U64,
        (DLDataTypeCode::INT, 8) => DType::I8,
        (DLDataTypeCode::INT, 16) => DType::I16,
        (DLDataTypeCode::INT, 32) => DType::I32,
        (DLDataTypeCode::INT, 64) => DType::I64,
        (DLDataTypeCode::FLOAT, 16) => DType::F16,
        (DLDataTypeCode::FLOAT, 32) => DType::F32,
        (DLDataTypeCode::FLOAT, 64) => DType::F64,
        (DLDataTypeCode::BFLOAT, 16) => DType::BF16,
        (DLDataTypeCode::COMPLEX, 64) => DType::C64,
        (DLDataTypeCode::COMPLEX, 128) => DType::C128,
        (code, bits) => {
            return Err(invalid(
                OP,
                format!(
                    "dtype (code {}, bits {bits}) has no tensorbridge dtype; supported: bool (code \
                     6, 8 bits), int/uint (codes 0/1, 8-64 bits), float (code 2, 16/32/64 bits), \
                     bfloat (code 4, 16 bits), complex (code 5, 64/128 bits)",
                    code.0
                ),
            ));
        }
    };
    Ok(dtype)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_dlpack_header() {
        // (code, bits) from dlpack.h's DLDataTypeCode, written out by hand.
        let expected: [(u8, u8); 15] = [
            (6, 8),
            (1, 8),
            (1, 16),
            (1, 32),
            (1, 64),
            (0, 8),
            (0, 16),
            (0, 32),
            (0, 64),
            (2, 16),
            (4, 16),
            (2, 32),
            (2, 64),
            (5, 64),
            (5, 128),
        ];
        for (dtype, (code, bits)) in DType::ALL.into_iter().zip(expected) {
            let dt = to_dl_dtype(dtype);
            assert_eq!((dt.code.0, dt.bits, dt.lanes), (code, bits, 1), "{dtype}");
            assert_eq!(from_dl_dtype(dt).unwrap(), dtype);
        }
    }

    #[test]
    fn refuses_lanes_unknown_codes_and_odd_widths() {
        let e = from_dl_dtype(DLDataType::new(DLDataTypeCode::FLOAT, 32, 4)).unwrap_err();
        assert!(e.to_string().contains("lanes 4"), "{e}");
        let e = from_dl_dtype(DLDataType::new(DLDataTypeCode::FLOAT, 32, 0)).unwrap_err();
        assert!(e.to_string().contains("lanes 0"), "{e}");
        let e = from_dl_dtype(DLDataType::scalar(DLDataTypeCode::FLOAT8_E4M3FN, 8)).unwrap_err();
        assert!(e.to_string().contains("code 10, bits 8"), "{e}");
        let e = from_dl_dtype(DLDataType::scalar(DLDataTypeCode::INT, 24)).unwrap_err();
        assert!(e.to_string().contains("code 0, bits 24"), "{e}");
        let e = from_dl_dtype(DLDataType::scalar(DLDataTypeCode::BOOL, 1)).unwrap_err();
        assert!(e.to_string().contains("code 6, bits 1"), "{e}");
        let e = from_dl_dtype(DLDataType::scalar(DLDataTypeCode(200), 8)).unwrap_err();
        assert!(e.to_string().contains("code 200"), "{e}");
    }
}
