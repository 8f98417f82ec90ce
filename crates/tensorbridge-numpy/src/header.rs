//! The `.npy` header: magic, version, length and the Python dict literal
//! `{'descr': ..., 'fortran_order': ..., 'shape': (...), }`, parsed strictly
//! and written byte for byte as NumPy writes it.

use crate::descr::{Descr, parse_descr};

/// `\x93NUMPY`.
pub(crate) const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// NumPy's default `max_header_size`: longer headers are refused before
/// they are read.
pub const MAX_HEADER_LEN: usize = 10_000;

/// The most dims an array may have (NumPy's `NPY_MAXDIMS`).
pub const MAX_DIMS: usize = 64;

/// NumPy aligns the data to 64 bytes from the start of the file.
const ALIGN: usize = 64;

/// NumPy pads the header so that the first dim can grow to 21 digits in place.
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// What a header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) descr: Descr,
    pub(crate) fortran_order: bool,
    pub(crate) shape: Vec<usize>,
}

/// The preamble: the bytes before the header dict.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Preamble {
    /// Major version: 1, 2 or 3.
    pub(crate) major: u8,
    /// The header dict's length in bytes (padding included).
    pub(crate) header_len: usize,
}

impl Preamble {
    /// Bytes before the header dict: magic, 2 version bytes, 2 or 4 length bytes.
    pub(crate) fn len(self) -> usize {
        if self.major == 1 { 10 } else { 12 }
    }

    /// Where the data starts.
    pub(crate) fn data_offset(self) -> usize {
        self.len() + self.header_len
    }
}

/// Parses the first 8 bytes (magic and version); returns the major version
/// and how many length bytes follow.
pub(crate) fn parse_magic(first: &[u8; 8]) -> Result<(u8, usize), String> {
    if &first[..6] != MAGIC {
        return Err(format!(
            "not a .npy file: it starts with {:?}, expected the magic \\x93NUMPY",
            String::from_utf8_lossy(&first[..6])
        ));
    }
    match (first[6], first[7]) {
        (1, 0) => Ok((1, 2)),
        (2 | 3, 0) => Ok((first[6], 4)),
        (major, minor) => Err(format!(
            "format version {major}.{minor} is not one of 1.0, 2.0, 3.0"
        )),
    }
}

/// The header length from its length bytes, checked against the cap.
pub(crate) fn parse_header_len(bytes: &[u8]) -> Result<usize, String> {
    let len = match bytes.len() {
        2 => u16::from_le_bytes([bytes[0], bytes[1]]) as usize,
        _ => u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize,
    };
    if len > MAX_HEADER_LEN {
        return Err(format!(
            "header length {len} exceeds the limit of {MAX_HEADER_LEN} bytes (NumPy's max_header_size)"
        ));
    }
    Ok(len)
}

/// Parses the header dict (version 1/2: latin-1, version 3: UTF-8; either
/// way tensorbridge accepts ASCII only, which is all NumPy writes for the
/// dtypes it reads).
pub(crate) fn parse_header(bytes: &[u8]) -> Result<Header, String> {
    if let Some(i) = bytes.iter().position(|b| !b.is_ascii()) {
        return Err(format!("header byte {i} is 0x{:02x}, not ASCII", bytes[i]));
    }
    let mut p = Parser { s: bytes, pos: 0 };
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != bytes.len() {
        return Err(format!(
            "header has {:?} after the dict at byte {}",
            String::from_utf8_lossy(&bytes[p.pos..bytes.len().min(p.pos + 20)]),
            p.pos
        ));
    }
    let Value::Dict(entries) = value else {
        return Err(format!("header is {}, not a dict", value.kind()));
    };
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    for (key, v) in entries {
        let slot = match key.as_str() {
            "descr" => &mut descr,
            "fortran_order" => &mut fortran,
            "shape" => &mut shape,
            other => {
                return Err(format!(
                    "header has the unknown key {other:?}; expected exactly 'descr', 'fortran_order', 'shape'"
                ));
            }
        };
        if slot.is_some() {
            return Err(format!("header has the key {key:?} twice"));
        }
        *slot = Some(v);
    }
    let missing = |k: &str| format!("header has no {k:?} key");
    let descr = match descr.ok_or_else(|| missing("descr"))? {
        Value::Str(s) => parse_descr(&s)?,
        Value::List => {
            return Err(
                "descr is a list: a structured dtype, which tensorbridge does not read".into(),
            );
        }
        other => {
            return Err(format!(
                "descr is {}, expected a dtype string such as '<f4'",
                other.kind()
            ));
        }
    };
    let fortran_order = match fortran.ok_or_else(|| missing("fortran_order"))? {
        Value::Bool(b) => b,
        other => {
            return Err(format!(
                "fortran_order is {}, expected True or False",
                other.describe()
            ));
        }
    };
    let shape = match shape.ok_or_else(|| missing("shape"))? {
        Value::Tuple(items) => {
            if items.len() > MAX_DIMS {
                return Err(format!(
                    "shape has {} dims, more than the limit of {MAX_DIMS}",
                    items.len()
                ));
            }
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Int(n) if n < 0 => Err(format!("shape[{i}] = {n} is negative")),
                    Value::Int(n) => usize::try_from(n)
                        .map_err(|_| format!("shape[{i}] = {n} does not fit in usize")),
                    other => Err(format!(
                        "shape[{i}] is {}, expected an int",
                        other.describe()
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?
        }
        other => {
            return Err(format!(
                "shape is {}, expected a tuple of ints",
                other.describe()
            ));
        }
    };
    Ok(Header {
        descr,
        fortran_order,
        shape,
    })
}

/// The header bytes NumPy writes for `header`: preamble, dict, padding to a
/// multiple of 64 bytes, newline. Version 1.0 unless the header is too long
/// for it (then 2.0).
pub(crate) fn write_header(header: &Header) -> Vec<u8> {
    let shape = python_tuple(&header.shape);
    let mut dict = format!(
        "{{'descr': '{}', 'fortran_order': {}, 'shape': {shape}, }}",
        header.descr.to_descr_string(),
        if header.fortran_order {
            "True"
        } else {
            "False"
        },
    );
    let growth_axis = if header.fortran_order {
        header.shape.last()
    } else {
        header.shape.first()
    };
    if let Some(d) = growth_axis {
        let digits = d.to_string().len();
        dict.push_str(&" ".repeat(GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits)));
    }
    let hlen = dict.len() + 1;
    let (major, prefix) = if 10 + hlen + ALIGN <= u16::MAX as usize {
        (1u8, 10)
    } else {
        (2u8, 12)
    };
    let pad = ALIGN - (prefix + hlen) % ALIGN;
    let total_len = hlen + pad;
    let mut out = Vec::with_capacity(prefix + total_len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[major, 0]);
    if major == 1 {
        out.extend_from_slice(&(total_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(total_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(out.len() + pad, b' ');
    out.push(b'\n');
    out
}

/// `repr` of a Python tuple of ints: `()`, `(3,)`, `(3, 4)`.
pub(crate) fn python_tuple(dims: &[usize]) -> String {
    match dims {
        [] => "()".to_owned(),
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            dims.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The subset of Python literals a header may hold.
#[derive(Debug)]
enum Value {
    Str(String),
    Bool(bool),
    Int(i128),
    None,
    Tuple(Vec<Value>),
    List,
    Dict(Vec<(String, Value)>),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Bool(_) => "a bool",
            Value::Int(_) => "an int",
            Value::None => "None",
            Value::Tuple(_) => "a tuple",
            Value::List => "a list",
            Value::Dict(_) => "a dict",
        }
    }

    fn describe(&self) -> String {
        match self {
            Value::Str(s) => format!("the string {s:?}"),
            Value::Int(n) => format!("the int {n}"),
            Value::Bool(b) => (if *b { "True" } else { "False" }).to_owned(),
            other => other.kind().to_owned(),
        }
    }
}

/// Nesting deeper than this is refused (headers are flat; this only stops
/// a hostile header from recursing).
const MAX_DEPTH: usize = 16;

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && matches!(self.s[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.pos).copied()
    }

    fn err(&self, what: &str) -> String {
        match self.s.get(self.pos) {
            Some(&b) => format!("header: {what} at byte {}, found {:?}", self.pos, b as char),
            None => format!("header: {what} at byte {}, found the end", self.pos),
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected {:?}", b as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        match self.peek() {
            Some(b'\'' | b'"') => self.string().map(Value::Str),
            Some(b'{') => self.dict(depth),
            Some(b'(') => self.tuple(depth),
            Some(b'[') => self.list(depth),
            Some(b'-' | b'+' | b'0'..=b'9') => self.int(),
            Some(b'A'..=b'Z' | b'a'..=b'z' | b'_') => {
                let start = self.pos;
                while self.pos < self.s.len()
                    && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_')
                {
                    self.pos += 1;
                }
                match &self.s[start..self.pos] {
                    b"True" => Ok(Value::Bool(true)),
                    b"False" => Ok(Value::Bool(false)),
                    b"None" => Ok(Value::None),
                    word => {
                        self.pos = start;
                        Err(self.err(&format!(
                            "unexpected name {:?}",
                            String::from_utf8_lossy(word)
                        )))
                    }
                }
            }
            _ => Err(self.err("expected a value")),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.s[self.pos];
        let start = self.pos + 1;
        let mut i = start;
        while i < self.s.len() && self.s[i] != quote {
            if self.s[i] == b'\\' || self.s[i] == b'\n' {
                self.pos = i;
                return Err(self.err("escapes and newlines are not allowed in header strings"));
            }
            i += 1;
        }
        if i == self.s.len() {
            self.pos = i;
            return Err(self.err("unterminated string"));
        }
        self.pos = i + 1;
        Ok(String::from_utf8_lossy(&self.s[start..i]).into_owned())
    }

    fn int(&mut self) -> Result<Value, String> {
        let start = self.pos;
        if matches!(self.s[self.pos], b'-' | b'+') {
            self.pos += 1;
        }
        let digits = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
            self.pos += 1;
        }
        if self.pos == digits {
            return Err(self.err("expected digits"));
        }
        if self
            .s
            .get(self.pos)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'.')
        {
            return Err(self.err("expected an int"));
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).expect("ASCII was checked");
        text.parse::<i128>()
            .map(Value::Int)
            .map_err(|_| format!("header: the int {text} is too large"))
    }

    /// Comma-separated values up to `close`; whether a comma was seen.
    fn items(&mut self, close: u8, depth: usize) -> Result<(Vec<Value>, bool), String> {
        self.pos += 1;
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok((items, comma));
            }
            items.push(self.value(depth + 1)?);
            match self.peek() {
                Some(b',') => {
                    comma = true;
                    self.pos += 1;
                }
                Some(c) if c == close => {}
                _ => return Err(self.err(&format!("expected ',' or {:?}", close as char))),
            }
        }
    }

    fn tuple(&mut self, depth: usize) -> Result<Value, String> {
        let (mut items, comma) = self.items(b')', depth)?;
        // `(3)` is just 3 in Python: a tuple needs a comma (or no items).
        if items.len() == 1 && !comma {
            return Ok(items.pop().expect("one item"));
        }
        Ok(Value::Tuple(items))
    }

    fn list(&mut self, depth: usize) -> Result<Value, String> {
        self.items(b']', depth)?;
        Ok(Value::List)
    }

    fn dict(&mut self, depth: usize) -> Result<Value, String> {
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Value::Dict(entries));
            }
            let key = match self.peek() {
                Some(b'\'' | b'"') => self.string()?,
                _ => return Err(self.err("expected a string key")),
            };
            self.expect(b':')?;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tensorbridge_core::DType;

    use super::*;
    use crate::descr::ByteOrder;

    fn h(descr: Descr, fortran_order: bool, shape: &[usize]) -> Header {
        Header {
            descr,
            fortran_order,
            shape: shape.to_vec(),
        }
    }

    #[test]
    fn writes_what_numpy_writes() {
        // Bytes taken from `np.save` of np.zeros((3, 4), np.float32) (NumPy 2.4).
        let bytes = write_header(&h(
            Descr::Plain(DType::F32, ByteOrder::Little),
            false,
            &[3, 4],
        ));
        let mut expected =
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"
                .to_vec();
        expected.resize(127, b' ');
        expected.push(b'\n');
        assert_eq!(bytes, expected);
        // A scalar: no growth padding.
        let bytes = write_header(&h(Descr::Plain(DType::F64, ByteOrder::Little), false, &[]));
        assert_eq!(bytes.len(), 128);
        assert!(bytes.starts_with(
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (), }   "
        ));
        assert_eq!(python_tuple(&[2]), "(2,)");
    }

    #[test]
    fn lengths_are_multiples_of_64_and_long_headers_use_version_2() {
        for rank in 0..=MAX_DIMS {
            let shape = vec![usize::MAX; rank];
            let bytes = write_header(&h(
                Descr::Plain(DType::U8, ByteOrder::Little),
                false,
                &shape,
            ));
            assert_eq!(bytes.len() % 64, 0);
            assert_eq!(bytes[6], 1);
            assert_eq!(*bytes.last().unwrap(), b'\n');
            let parsed = parse_header(&bytes[10..]).unwrap();
            assert_eq!(parsed.shape, shape);
        }
    }

    #[test]
    fn parses_numpy_variants() {
        let p = |s: &str| parse_header(s.as_bytes());
        let hd = p("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }    \n").unwrap();
        assert_eq!(
            hd,
            h(Descr::Plain(DType::F32, ByteOrder::Little), false, &[3, 4])
        );
        // Any key order, double quotes, no trailing comma, 1-tuple, empty tuple.
        let hd = p("{\"shape\": (5,), \"fortran_order\": True, \"descr\": \">i2\"}").unwrap();
        assert_eq!(hd, h(Descr::Plain(DType::I16, ByteOrder::Big), true, &[5]));
        let hd = p("{'descr':'|b1','fortran_order':False,'shape':()}\n").unwrap();
        assert_eq!(hd.shape, Vec::<usize>::new());
    }

    #[test]
    fn every_rule_refuses_its_breaker() {
        let p = |s: &str| parse_header(s.as_bytes()).unwrap_err();
        assert!(p("{'descr': '<f4', 'fortran_order': False}").contains("no \"shape\" key"));
        assert!(
            p("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}")
                .contains("unknown key \"x\"")
        );
        assert!(
            p("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}")
                .contains("twice")
        );
        assert!(
            p("{'descr': '<f4', 'fortran_order': 'yes', 'shape': (1,)}")
                .contains("fortran_order is the string \"yes\"")
        );
        assert!(
            p("{'descr': '<f4', 'fortran_order': False, 'shape': (3)}")
                .contains("shape is the int 3")
        );
        assert!(
            p("{'descr': '<f4', 'fortran_order': False, 'shape': [3]}").contains("shape is a list")
        );
        assert_eq!(
            p("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1)}"),
            "shape[1] = -1 is negative"
        );
        assert!(
            p("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}")
                .contains("does not fit")
        );
        assert!(p("{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999999999999999999999999999999999,)}").contains("too large"));
        assert!(
            p("{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,)}")
                .contains("expected an int")
        );
        assert!(
            p("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}")
                .contains("structured")
        );
        assert!(p("{'descr': '<i3', 'fortran_order': False, 'shape': (1,)}").contains("<i3"));
        assert!(p("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}").contains("unpickling"));
        assert!(
            p("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x")
                .contains("after the dict")
        );
        assert!(
            p("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)").contains("found the end")
        );
        assert!(p("['descr']").contains("not a dict"));
        assert!(p("{'descr': '<f\\x34'}").contains("escapes"));
        assert!(p("{'descr': __import__('os')}").contains("unexpected"));
        assert!(p(&format!("{}1{}", "(".repeat(40), ")".repeat(40))).contains("too deep"));
        let shape65 = format!("({})", vec!["1"; 65].join(", "));
        assert!(
            p(&format!(
                "{{'descr': '<f4', 'fortran_order': False, 'shape': {shape65}}}"
            ))
            .contains("more than the limit of 64")
        );
        let e =
            parse_header(b"{'descr': '<f4\xe9', 'fortran_order': False, 'shape': ()}").unwrap_err();
        assert_eq!(e, "header byte 14 is 0xe9, not ASCII");
    }

    #[test]
    fn magic_and_lengths() {
        assert_eq!(parse_magic(b"\x93NUMPY\x01\x00").unwrap(), (1, 2));
        assert_eq!(parse_magic(b"\x93NUMPY\x03\x00").unwrap(), (3, 4));
        assert!(
            parse_magic(b"\x93NUMPY\x04\x00")
                .unwrap_err()
                .contains("4.0")
        );
        assert!(
            parse_magic(b"PK\x03\x04abcd")
                .unwrap_err()
                .contains("not a .npy")
        );
        assert_eq!(parse_header_len(&[0x76, 0]).unwrap(), 118);
        assert!(
            parse_header_len(&[0x11, 0x27, 0, 0])
                .unwrap_err()
                .contains("10001")
        );
    }
}
