//! `.npy`/`.npz` byte corpora for the NumPy-file suites and the fuzzer:
//! valid files of every kind tensorbridge reads, and malformed files of
//! every kind the numpy issue lists, each built by hand here (not by
//! tensorbridge's writer) so the readers are tested against independent
//! bytes.

use std::io::Write;

/// Which reader a corpus entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `.npy` file.
    Npy,
    /// An `.npz` archive.
    Npz,
}

/// One corpus file.
#[derive(Debug, Clone)]
pub struct Case {
    /// What it is (malformed cases: what is wrong).
    pub name: &'static str,
    /// Which reader it is for.
    pub kind: Kind,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// For malformed cases: a piece of the expected error message.
    pub expect: &'static str,
}

/// A version-1.0 `.npy` file with header dict `dict` (padded as NumPy pads)
/// followed by `data`.
pub fn npy(dict: &str, data: &[u8]) -> Vec<u8> {
    npy_version(1, dict, data)
}

/// As [`npy`], with header version `major` (1, 2 or 3).
pub fn npy_version(major: u8, dict: &str, data: &[u8]) -> Vec<u8> {
    let prefix = if major == 1 { 10 } else { 12 };
    let hlen = dict.len() + 1;
    let pad = 64 - (prefix + hlen) % 64;
    let mut out = b"\x93NUMPY".to_vec();
    out.extend_from_slice(&[major, 0]);
    if major == 1 {
        out.extend_from_slice(&((hlen + pad) as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&((hlen + pad) as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    out.extend_from_slice(data);
    out
}

/// A header dict.
pub fn dict(descr: &str, fortran: bool, shape: &str) -> String {
    let f = if fortran { "True" } else { "False" };
    format!("{{'descr': '{descr}', 'fortran_order': {f}, 'shape': {shape}, }}")
}

/// One member of a hand-built zip archive.
pub struct Member<'a> {
    /// The member's name.
    pub name: &'a str,
    /// The bytes as stored in the archive (compressed for method 8).
    pub stored: Vec<u8>,
    /// 0 (stored) or 8 (deflated), or anything else to test refusals.
    pub method: u16,
    /// The uncompressed size the directory declares.
    pub size: u32,
    /// The CRC-32 the directory declares.
    pub crc: u32,
}

impl<'a> Member<'a> {
    /// A stored member with its true size and CRC.
    pub fn stored(name: &'a str, bytes: &[u8]) -> Self {
        Member {
            name,
            stored: bytes.to_vec(),
            method: 0,
            size: bytes.len() as u32,
            crc: crc32(bytes),
        }
    }

    /// A deflated member with its true size and CRC.
    pub fn deflated(name: &'a str, bytes: &[u8]) -> Self {
        let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(bytes).unwrap();
        Member {
            name,
            stored: enc.finish().unwrap(),
            method: 8,
            size: bytes.len() as u32,
            crc: crc32(bytes),
        }
    }
}

/// CRC-32 (IEEE), bit by bit: an independent reference.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A classic (non-ZIP64) zip archive of `members`, as Python's zipfile
/// writes small archives.
pub fn zip(members: &[Member<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut cd = Vec::new();
    for m in members {
        let offset = out.len() as u32;
        let fields = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
            v.extend_from_slice(&m.method.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
            v.extend_from_slice(&0x21u16.to_le_bytes());
            v.extend_from_slice(&m.crc.to_le_bytes());
            v.extend_from_slice(&(m.stored.len() as u32).to_le_bytes());
            v.extend_from_slice(&m.size.to_le_bytes());
            v.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        fields(&mut out);
        out.extend_from_slice(m.name.as_bytes());
        out.extend_from_slice(&m.stored);
        cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        cd.extend_from_slice(&20u16.to_le_bytes());
        fields(&mut cd);
        cd.extend_from_slice(&[0; 8]); // comment len, disk, internal attrs, external attrs (2 of 4)
        cd.extend_from_slice(&[0; 2]);
        cd.extend_from_slice(&offset.to_le_bytes());
        cd.extend_from_slice(m.name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&cd);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// Valid files: every dtype in both byte orders, Fortran order, header
/// versions 1-3, empty and 0-d arrays, and archives stored and deflated.
pub fn valid() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name, kind, bytes| {
        cases.push(Case {
            name,
            kind,
            bytes,
            expect: "",
        })
    };
    add(
        "f4",
        Kind::Npy,
        npy(&dict("<f4", false, "(2, 3)"), &[0u8; 24]),
    );
    add(
        "f8 big-endian",
        Kind::Npy,
        npy(
            &dict(">f8", false, "(3,)"),
            &[0x3f, 0xf0, 0, 0, 0, 0, 0, 0].repeat(3),
        ),
    );
    add(
        "i2 fortran",
        Kind::Npy,
        npy(
            &dict("<i2", true, "(2, 3)"),
            &[1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0],
        ),
    );
    add(
        "b1",
        Kind::Npy,
        npy(&dict("|b1", false, "(4,)"), &[0, 1, 1, 0]),
    );
    add(
        "c16 scalar",
        Kind::Npy,
        npy(&dict("<c16", false, "()"), &[0x40; 16]),
    );
    add(
        "u8 empty",
        Kind::Npy,
        npy(&dict("<u8", false, "(0, 5)"), &[]),
    );
    add(
        "version 2",
        Kind::Npy,
        npy_version(2, &dict("<u2", false, "(2,)"), &[1, 0, 2, 0]),
    );
    add(
        "version 3",
        Kind::Npy,
        npy_version(3, &dict(">i4", false, "(1,)"), &[0, 0, 1, 0]),
    );
    add(
        "f2",
        Kind::Npy,
        npy(&dict("<f2", false, "(2,)"), &[0, 0x3c, 0, 0xc0]),
    );
    let a = npy(
        &dict("<i8", false, "(2,)"),
        &[7, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0],
    );
    let b = npy(&dict("|u1", false, "(3,)"), &[1, 2, 3]);
    add(
        "npz stored",
        Kind::Npz,
        zip(&[Member::stored("a.npy", &a), Member::stored("b.npy", &b)]),
    );
    add(
        "npz deflated",
        Kind::Npz,
        zip(&[Member::deflated("a.npy", &a), Member::deflated("b.npy", &b)]),
    );
    cases
}

/// Malformed files, one per rule, each with a piece of its expected error.
pub fn malformed() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name, kind, bytes, expect| {
        cases.push(Case {
            name,
            kind,
            bytes,
            expect,
        })
    };
    let good = npy(&dict("<f4", false, "(3, 4)"), &[0u8; 48]);
    let mut wrong_magic = good.clone();
    wrong_magic[1] = b'X';
    add("wrong magic", Kind::Npy, wrong_magic, "not a .npy file");
    add("empty file", Kind::Npy, Vec::new(), "truncated");
    add("truncated header", Kind::Npy, good[..40].to_vec(), "118");
    add(
        "truncated data",
        Kind::Npy,
        good[..good.len() - 8].to_vec(),
        "needs 48 bytes of data",
    );
    let mut past_end = good[..20].to_vec();
    past_end[8..10].copy_from_slice(&5000u16.to_le_bytes());
    add("header length past the end", Kind::Npy, past_end, "5000");
    let mut long = b"\x93NUMPY\x02\x00".to_vec();
    long.extend_from_slice(&(1u32 << 31).to_le_bytes());
    add(
        "header length over the cap",
        Kind::Npy,
        long,
        "exceeds the limit of 10000",
    );
    add(
        "version 4",
        Kind::Npy,
        {
            let mut v = good.clone();
            v[6] = 4;
            v
        },
        "version 4.0",
    );
    add(
        "huge shape",
        Kind::Npy,
        npy(&dict("<f8", false, "(1000000000, 1000000000)"), &[0u8; 16]),
        "needs 8000000000000000000 bytes",
    );
    add(
        "overflowing shape",
        Kind::Npy,
        npy(
            &dict("<f8", false, "(4294967296, 4294967296, 4294967296)"),
            &[],
        ),
        "overflows",
    );
    add(
        "dims over 64",
        Kind::Npy,
        npy(
            &dict("<f8", false, &format!("({})", vec!["1"; 65].join(", "))),
            &[0u8; 8],
        ),
        "more than the limit of 64",
    );
    add(
        "negative dim",
        Kind::Npy,
        npy(&dict("<f4", false, "(3, -4)"), &[0u8; 48]),
        "shape[1] = -4 is negative",
    );
    add(
        "descr <i3",
        Kind::Npy,
        npy(&dict("<i3", false, "(1,)"), &[0u8; 3]),
        "'<i3'",
    );
    add(
        "descr empty",
        Kind::Npy,
        npy(&dict("", false, "(1,)"), &[0u8; 3]),
        "empty",
    );
    add(
        "descr object",
        Kind::Npy,
        npy(&dict("|O", false, "(1,)"), &[0u8; 8]),
        "unpickling",
    );
    add(
        "descr string",
        Kind::Npy,
        npy(&dict("<U5", false, "(1,)"), &[0u8; 20]),
        "string dtype",
    );
    add(
        "descr datetime",
        Kind::Npy,
        npy(&dict("<M8[ns]", false, "(1,)"), &[0u8; 8]),
        "datetime64",
    );
    add(
        "descr structured",
        Kind::Npy,
        npy(
            "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
            &[0u8; 4],
        ),
        "structured",
    );
    add(
        "unknown key",
        Kind::Npy,
        npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1, }",
            &[0u8; 4],
        ),
        "unknown key \"extra\"",
    );
    add(
        "missing key",
        Kind::Npy,
        npy("{'descr': '<f4', 'shape': (1,), }", &[0u8; 4]),
        "no \"fortran_order\" key",
    );
    add(
        "fortran_order 'yes'",
        Kind::Npy,
        npy(
            "{'descr': '<f4', 'fortran_order': 'yes', 'shape': (1,), }",
            &[0u8; 4],
        ),
        "fortran_order is the string \"yes\"",
    );
    let mut non_ascii = npy(&dict("<f4", false, "(1,)"), &[0u8; 4]);
    non_ascii[20] = 0xff;
    add("non-ASCII header byte", Kind::Npy, non_ascii, "not ASCII");
    add(
        "bool byte 2",
        Kind::Npy,
        npy(&dict("|b1", false, "(2,)"), &[1, 2]),
        "not 0 or 1",
    );
    add(
        "code in header",
        Kind::Npy,
        npy(
            "{'descr': __import__('os').system('x'), 'fortran_order': False, 'shape': (1,)}",
            &[],
        ),
        "unexpected name",
    );
    // Archives.
    let member = npy(&dict("<i4", false, "(2,)"), &[1, 0, 0, 0, 2, 0, 0, 0]);
    add(
        "npz member not npy",
        Kind::Npz,
        zip(&[Member::stored("a.npy", b"hello, not an array")]),
        "not a .npy file",
    );
    add(
        "npz duplicate names",
        Kind::Npz,
        zip(&[
            Member::stored("a.npy", &member),
            Member::stored("a.npy", &member),
        ]),
        "twice",
    );
    add(
        "npz a and a.npy",
        Kind::Npz,
        zip(&[
            Member::stored("a", &member),
            Member::stored("a.npy", &member),
        ]),
        "twice",
    );
    let mut bad_crc = Member::stored("a.npy", &member);
    bad_crc.crc ^= 1;
    add("npz CRC mismatch", Kind::Npz, zip(&[bad_crc]), "CRC-32");
    let mut lying = Member::deflated("a.npy", &member);
    lying.size += 64;
    add(
        "npz size larger than the data",
        Kind::Npz,
        zip(&[lying]),
        "bytes",
    );
    let mut bomb = Member::deflated("a.npy", &member);
    bomb.size = u32::MAX - 1;
    add(
        "zip bomb (claimed size)",
        Kind::Npz,
        zip(&[bomb]),
        "zip bomb",
    );
    // A member that claims 10 bytes of u1 but inflates to 16 MiB of zeros.
    let mut big = npy(&dict("|u1", false, "(10,)"), &[0u8; 10]);
    big.resize(16 << 20, 0);
    let mut inflating = Member::deflated("a.npy", &big);
    inflating.size = 128 + 10;
    add(
        "zip bomb (inflates past its size)",
        Kind::Npz,
        zip(&[inflating]),
        "not the 138 its directory entry declares",
    );
    let mut method = Member::stored("a.npy", &member);
    method.method = 12;
    add(
        "npz bzip2 member",
        Kind::Npz,
        zip(&[method]),
        "compression method 12",
    );
    let mut stored_lie = Member::stored("a.npy", &member);
    stored_lie.size += 1;
    add(
        "npz stored size mismatch",
        Kind::Npz,
        zip(&[stored_lie]),
        "claims",
    );
    let ok = zip(&[Member::stored("a.npy", &member)]);
    add(
        "npz truncated",
        Kind::Npz,
        ok[..ok.len() - 30].to_vec(),
        "end of central directory",
    );
    add(
        "npz not a zip",
        Kind::Npz,
        member.clone(),
        "not a zip archive",
    );
    let mut count = ok.clone();
    let n = count.len();
    count[n - 12..n - 10].copy_from_slice(&0xFFFEu16.to_le_bytes());
    add("npz member count too large", Kind::Npz, count, "cannot fit");
    let mut enc = ok.clone();
    enc[6] |= 1;
    let cd = ok.windows(4).position(|w| w == [0x50, 0x4b, 1, 2]).unwrap();
    enc[cd + 8] |= 1;
    add("npz encrypted member", Kind::Npz, enc, "encrypted");
    let mut offset = ok.clone();
    offset[cd + 42..cd + 46].copy_from_slice(&1_000_000u32.to_le_bytes());
    add(
        "npz local header past the end",
        Kind::Npz,
        offset,
        "past the end",
    );
    cases
}
