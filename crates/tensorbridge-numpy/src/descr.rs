//! The `descr` of a `.npy` header: NumPy's dtype strings (`'<f4'`, `'|b1'`,
//! `'>i8'`, `'<V2'`, ...) and how each maps to a tensorbridge [`DType`].

use tensorbridge_core::DType;

/// The byte order of a multi-byte element on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    /// The order of this machine.
    pub(crate) const NATIVE: ByteOrder = if cfg!(target_endian = "big") {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };

    fn char(self) -> char {
        match self {
            ByteOrder::Little => '<',
            ByteOrder::Big => '>',
        }
    }
}

/// What a header's `descr` says the elements are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Descr {
    /// One of tensorbridge's dtypes, in the given byte order.
    Plain(DType, ByteOrder),
    /// `'<V2'`/`'>V2'`/`'|V2'`: two raw bytes, which is how NumPy stores
    /// `ml_dtypes.bfloat16`; read as BF16 only when asked to.
    RawV2(ByteOrder),
    /// `'|S<n>'`: bytes strings of length `n` (SciPy's `format` member).
    Bytes(usize),
    /// `'<U<n>'`: UCS-4 strings of `n` characters.
    Unicode(usize, ByteOrder),
}

impl Descr {
    /// Bytes per element.
    pub(crate) fn itemsize(&self) -> usize {
        match self {
            Descr::Plain(d, _) => d.size_in_bytes(),
            Descr::RawV2(_) => 2,
            Descr::Bytes(n) => *n,
            Descr::Unicode(n, _) => n.saturating_mul(4),
        }
    }

    /// The string written into a header, as NumPy writes it.
    pub(crate) fn to_descr_string(&self) -> String {
        match self {
            Descr::Plain(d, order) => {
                let code = type_code(*d);
                if d.size_in_bytes() == 1 {
                    format!("|{code}")
                } else {
                    format!("{}{code}", order.char())
                }
            }
            Descr::RawV2(order) => format!("{}V2", order.char()),
            Descr::Bytes(n) => format!("|S{n}"),
            Descr::Unicode(n, order) => format!("{}U{n}", order.char()),
        }
    }

    /// The descr tensorbridge writes for `dtype`: native byte order, BF16 as
    /// raw `V2` (what NumPy writes for `ml_dtypes.bfloat16`).
    pub(crate) fn for_dtype(dtype: DType) -> Descr {
        if dtype == DType::BF16 {
            Descr::RawV2(ByteOrder::NATIVE)
        } else {
            Descr::Plain(dtype, ByteOrder::NATIVE)
        }
    }
}

/// NumPy's type code of a dtype, without the byte-order character.
fn type_code(d: DType) -> &'static str {
    match d {
        DType::Bool => "b1",
        DType::U8 => "u1",
        DType::U16 => "u2",
        DType::U32 => "u4",
        DType::U64 => "u8",
        DType::I8 => "i1",
        DType::I16 => "i2",
        DType::I32 => "i4",
        DType::I64 => "i8",
        DType::F16 => "f2",
        DType::BF16 => "V2",
        DType::F32 => "f4",
        DType::F64 => "f8",
        DType::C64 => "c8",
        DType::C128 => "c16",
    }
}

/// Parses a descr string, refusing what tensorbridge cannot hold by name.
/// The error is the reason only; the caller adds the file.
pub(crate) fn parse_descr(s: &str) -> Result<Descr, String> {
    let refuse = |what: &str| {
        Err(format!(
            "descr '{s}' is {what}, which tensorbridge does not read"
        ))
    };
    let (order, body) = match s.chars().next() {
        Some('<') => (Some(ByteOrder::Little), &s[1..]),
        Some('>') => (Some(ByteOrder::Big), &s[1..]),
        Some('=') => (Some(ByteOrder::NATIVE), &s[1..]),
        Some('|') => (None, &s[1..]),
        _ => (None, s),
    };
    if s.is_empty() || body.is_empty() {
        return Err(format!(
            "descr '{s}' is empty; expected a dtype string such as '<f4'"
        ));
    }
    let kind = body.as_bytes()[0];
    match kind {
        b'O' => return refuse("a Python object array (it needs unpickling)"),
        b'M' => return refuse("a datetime64 dtype"),
        b'm' => return refuse("a timedelta64 dtype"),
        _ => {}
    }
    let digits = &body[1..];
    let size = if digits.is_empty() {
        None
    } else if digits.len() <= 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<usize>().ok()
    } else {
        return Err(format!(
            "descr '{s}' is not a NumPy dtype string (size {digits:?})"
        ));
    };
    let explicit_order = !matches!(s.as_bytes()[0], b'|') && order.is_some();
    let plain = |d: DType| -> Result<Descr, String> {
        if d.size_in_bytes() > 1 && !explicit_order {
            return Err(format!(
                "descr '{s}' has no byte order; multi-byte dtypes need '<' or '>'"
            ));
        }
        Ok(Descr::Plain(d, order.unwrap_or(ByteOrder::NATIVE)))
    };
    match (kind, size) {
        (b'b', Some(1)) => plain(DType::Bool),
        (b'u', Some(1)) => plain(DType::U8),
        (b'u', Some(2)) => plain(DType::U16),
        (b'u', Some(4)) => plain(DType::U32),
        (b'u', Some(8)) => plain(DType::U64),
        (b'i', Some(1)) => plain(DType::I8),
        (b'i', Some(2)) => plain(DType::I16),
        (b'i', Some(4)) => plain(DType::I32),
        (b'i', Some(8)) => plain(DType::I64),
        (b'f', Some(2)) => plain(DType::F16),
        (b'f', Some(4)) => plain(DType::F32),
        (b'f', Some(8)) => plain(DType::F64),
        (b'c', Some(8)) => plain(DType::C64),
        (b'c', Some(16)) => plain(DType::C128),
        (b'f', Some(12 | 16)) | (b'c', Some(24 | 32)) => refuse("extended precision (long double)"),
        (b'V', Some(2)) => Ok(Descr::RawV2(order.unwrap_or(ByteOrder::NATIVE))),
        (b'S', Some(n)) if n > 0 => Ok(Descr::Bytes(n)),
        (b'U', Some(n)) if n > 0 => {
            if !explicit_order {
                return Err(format!(
                    "descr '{s}' has no byte order; unicode strings need '<' or '>'"
                ));
            }
            Ok(Descr::Unicode(n, order.unwrap_or(ByteOrder::NATIVE)))
        }
        (b'S' | b'a' | b'U', _) => refuse("a string dtype"),
        (b'V', _) => refuse("a raw void (structured or opaque) dtype"),
        (b'b' | b'u' | b'i' | b'f' | b'c', _) => Err(format!(
            "descr '{s}' has a size NumPy does not have for its kind"
        )),
        _ => Err(format!("descr '{s}' is not a dtype tensorbridge knows")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dtype_round_trips_through_its_descr() {
        for d in DType::ALL {
            let descr = Descr::for_dtype(d);
            let s = descr.to_descr_string();
            assert_eq!(parse_descr(&s).unwrap(), descr, "{s}");
        }
    }

    #[test]
    fn descr_strings_are_numpys() {
        let le = |d| Descr::Plain(d, ByteOrder::Little).to_descr_string();
        assert_eq!(le(DType::Bool), "|b1");
        assert_eq!(le(DType::U8), "|u1");
        assert_eq!(le(DType::I8), "|i1");
        assert_eq!(le(DType::F16), "<f2");
        assert_eq!(le(DType::C64), "<c8");
        assert_eq!(le(DType::C128), "<c16");
        assert_eq!(Descr::RawV2(ByteOrder::Little).to_descr_string(), "<V2");
        assert_eq!(Descr::Bytes(3).to_descr_string(), "|S3");
        assert_eq!(
            parse_descr(">i8").unwrap(),
            Descr::Plain(DType::I64, ByteOrder::Big)
        );
        assert_eq!(
            parse_descr("<b1").unwrap(),
            Descr::Plain(DType::Bool, ByteOrder::Little)
        );
        assert_eq!(
            parse_descr("<U3").unwrap(),
            Descr::Unicode(3, ByteOrder::Little)
        );
    }

    #[test]
    fn refusals_name_the_kind() {
        let e = |s| parse_descr(s).unwrap_err();
        assert_eq!(
            e("|O"),
            "descr '|O' is a Python object array (it needs unpickling), which tensorbridge does not read"
        );
        assert!(e("<M8[ns]").contains("datetime64"));
        assert!(e("<m8[s]").contains("timedelta64"));
        assert!(e("<f16").contains("long double"));
        assert!(e("|V8").contains("void"));
        assert!(e("<i3").contains("size NumPy does not have"));
        assert!(e("").contains("empty"));
        assert!(e("<").contains("empty"));
        assert!(e("|f4").contains("byte order"));
        assert!(e("f4").contains("byte order"));
        assert!(e("<x4").contains("not a dtype"));
        assert!(e("<f99999999999").contains("not a NumPy dtype string"));
        assert!(e("|S0").contains("string"));
    }
}
