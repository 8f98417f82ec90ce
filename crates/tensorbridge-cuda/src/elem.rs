//! [`ElemType`]: the element types the backend's kernels know.

/// The element type of a device buffer, one for each of core's dtypes.
///
/// ```
/// use tensorbridge_cuda::ElemType;
///
/// assert_eq!(ElemType::BF16.size_bytes(), 2);
/// assert_eq!(ElemType::C128.name(), "complex128");
/// # Ok::<(), tensorbridge_cuda::CudaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElemType {
    /// `bool`, one byte (0 or 1).
    Bool,
    /// `u8`.
    U8,
    /// `u16`.
    U16,
    /// `u32`.
    U32,
    /// `u64`.
    U64,
    /// `i8`.
    I8,
    /// `i16`.
    I16,
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// IEEE half precision (`half::f16`).
    F16,
    /// bfloat16 (`half::bf16`); kernels need sm_80 or newer.
    BF16,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// Two `f32`s (real, imaginary).
    C64,
    /// Two `f64`s (real, imaginary).
    C128,
}

impl ElemType {
    /// Every element type, in declaration order.
    ///
    /// ```
    /// use tensorbridge_cuda::ElemType;
    ///
    /// assert_eq!(ElemType::ALL.len(), 15);
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub const ALL: [ElemType; 15] = [
        ElemType::Bool,
        ElemType::U8,
        ElemType::U16,
        ElemType::U32,
        ElemType::U64,
        ElemType::I8,
        ElemType::I16,
        ElemType::I32,
        ElemType::I64,
        ElemType::F16,
        ElemType::BF16,
        ElemType::F32,
        ElemType::F64,
        ElemType::C64,
        ElemType::C128,
    ];

    /// Bytes of one element.
    ///
    /// ```
    /// use tensorbridge_cuda::ElemType;
    ///
    /// assert_eq!(ElemType::C64.size_bytes(), 8);
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn size_bytes(self) -> usize {
        match self {
            ElemType::Bool | ElemType::U8 | ElemType::I8 => 1,
            ElemType::U16 | ElemType::I16 | ElemType::F16 | ElemType::BF16 => 2,
            ElemType::U32 | ElemType::I32 | ElemType::F32 => 4,
            ElemType::U64 | ElemType::I64 | ElemType::F64 | ElemType::C64 => 8,
            ElemType::C128 => 16,
        }
    }

    /// The NumPy-style name (`"float32"`, `"bfloat16"`, ...).
    ///
    /// ```
    /// use tensorbridge_cuda::ElemType;
    ///
    /// assert_eq!(ElemType::F16.name(), "float16");
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ElemType::Bool => "bool",
            ElemType::U8 => "uint8",
            ElemType::U16 => "uint16",
            ElemType::U32 => "uint32",
            ElemType::U64 => "uint64",
            ElemType::I8 => "int8",
            ElemType::I16 => "int16",
            ElemType::I32 => "int32",
            ElemType::I64 => "int64",
            ElemType::F16 => "float16",
            ElemType::BF16 => "bfloat16",
            ElemType::F32 => "float32",
            ElemType::F64 => "float64",
            ElemType::C64 => "complex64",
            ElemType::C128 => "complex128",
        }
    }

    /// The suffix of this type's kernel entry names (`binary_f32`, ...).
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            ElemType::Bool => "bool",
            ElemType::U8 => "u8",
            ElemType::U16 => "u16",
            ElemType::U32 => "u32",
            ElemType::U64 => "u64",
            ElemType::I8 => "i8",
            ElemType::I16 => "i16",
            ElemType::I32 => "i32",
            ElemType::I64 => "i64",
            ElemType::F16 => "f16",
            ElemType::BF16 => "bf16",
            ElemType::F32 => "f32",
            ElemType::F64 => "f64",
            ElemType::C64 => "c64",
            ElemType::C128 => "c128",
        }
    }

    /// The code the kernels use for this type (its index in [`ElemType::ALL`]).
    pub(crate) fn code(self) -> u32 {
        ElemType::ALL
            .iter()
            .position(|&e| e == self)
            .expect("ALL lists every variant") as u32
    }

    /// Whether this is an integer type (not bool).
    ///
    /// ```
    /// use tensorbridge_cuda::ElemType;
    ///
    /// assert!(ElemType::U64.is_int() && !ElemType::Bool.is_int());
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn is_int(self) -> bool {
        matches!(
            self,
            ElemType::U8
                | ElemType::U16
                | ElemType::U32
                | ElemType::U64
                | ElemType::I8
                | ElemType::I16
                | ElemType::I32
                | ElemType::I64
        )
    }

    /// Whether this is a real floating-point type (f16, bf16, f32, f64).
    ///
    /// ```
    /// use tensorbridge_cuda::ElemType;
    ///
    /// assert!(ElemType::BF16.is_float() && !ElemType::C64.is_float());
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn is_float(self) -> bool {
        matches!(
            self,
            ElemType::F16 | ElemType::BF16 | ElemType::F32 | ElemType::F64
        )
    }

    /// Whether this is a complex type.
    ///
    /// ```
    /// use tensorbridge_cuda::ElemType;
    ///
    /// assert!(ElemType::C128.is_complex());
    /// # Ok::<(), tensorbridge_cuda::CudaError>(())
    /// ```
    pub fn is_complex(self) -> bool {
        matches!(self, ElemType::C64 | ElemType::C128)
    }
}

impl std::fmt::Display for ElemType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_indices_and_sizes_match_half_and_complex() {
        for (i, e) in ElemType::ALL.iter().enumerate() {
            assert_eq!(e.code() as usize, i);
        }
        assert_eq!(ElemType::F16.size_bytes(), size_of::<half::f16>());
        assert_eq!(ElemType::BF16.size_bytes(), size_of::<half::bf16>());
        assert_eq!(ElemType::C128.size_bytes(), 2 * size_of::<f64>());
        let kinds = ElemType::ALL
            .iter()
            .filter(|e| e.is_int() || e.is_float() || e.is_complex())
            .count();
        assert_eq!(kinds, 14, "every type but bool has exactly one kind");
    }
}
