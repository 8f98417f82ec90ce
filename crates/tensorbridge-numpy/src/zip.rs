//! The ZIP container of `.npz` files: just what NumPy's `savez` and
//! `savez_compressed` write and read (stored or deflated members, ZIP64),
//! parsed defensively. Member names are only ever compared and reported,
//! never used as paths.

use std::io::{self, Read, Seek, SeekFrom, Write};

/// Local file header signature.
const LOCAL_SIG: u32 = 0x0403_4b50;
/// Central directory entry signature.
const CENTRAL_SIG: u32 = 0x0201_4b50;
/// End of central directory record signature.
const EOCD_SIG: u32 = 0x0605_4b50;
/// ZIP64 end of central directory record signature.
const EOCD64_SIG: u32 = 0x0606_4b50;
/// ZIP64 end of central directory locator signature.
const EOCD64_LOCATOR_SIG: u32 = 0x0706_4b50;
/// The ZIP64 extra field's id.
const ZIP64_EXTRA: u16 = 0x0001;
/// Stored and deflated: the two methods NumPy writes.
pub(crate) const STORED: u16 = 0;
pub(crate) const DEFLATED: u16 = 8;
/// A central directory entry is at least this long.
const CENTRAL_MIN: u64 = 46;
/// The end record is 22 bytes plus a comment of at most 65535.
const EOCD_LEN: u64 = 22;
/// DOS date of 1980-01-01 (written for every member, for reproducible files).
const DOS_DATE: u16 = (1 << 5) | 1;

/// Deflate cannot expand data by more than 1032:1 (a 258-byte match costs at
/// least 2 bits); a member claiming more is a zip bomb or corrupt.
pub(crate) const MAX_DEFLATE_RATIO: u64 = 1032;

/// One member, from the central directory.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) method: u16,
    pub(crate) crc32: u32,
    pub(crate) compressed_size: u64,
    pub(crate) size: u64,
    pub(crate) local_offset: u64,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// An error about the archive's structure.
pub(crate) enum ZipError {
    /// The bytes are not a well-formed archive; the message says where.
    Format(String),
    /// Reading failed.
    Io(io::Error),
}

impl From<io::Error> for ZipError {
    fn from(e: io::Error) -> Self {
        ZipError::Io(e)
    }
}

fn bad(msg: impl Into<String>) -> ZipError {
    ZipError::Format(msg.into())
}

fn read_at<R: Read + Seek>(r: &mut R, at: u64, buf: &mut [u8]) -> Result<(), ZipError> {
    r.seek(SeekFrom::Start(at))?;
    let got = crate::read::fill(r, buf)?;
    if got < buf.len() {
        return Err(bad(format!(
            "truncated: {} bytes at offset {at} run past the end",
            buf.len()
        )));
    }
    Ok(())
}

/// Reads the central directory of an archive `len` bytes long.
pub(crate) fn read_directory<R: Read + Seek>(r: &mut R, len: u64) -> Result<Vec<Entry>, ZipError> {
    if len < EOCD_LEN {
        return Err(bad(format!(
            "not a zip archive: {len} bytes is shorter than the 22-byte end record"
        )));
    }
    // The end record sits in the last 22 + 65535 bytes.
    let tail_len = len.min(EOCD_LEN + u16::MAX as u64);
    let tail_start = len - tail_len;
    let mut tail = vec![0u8; tail_len as usize];
    read_at(r, tail_start, &mut tail)?;
    let eocd = (0..=tail.len() - EOCD_LEN as usize)
        .rev()
        .find(|&i| {
            u32_at(&tail, i) == EOCD_SIG
                && i + EOCD_LEN as usize + u16_at(&tail, i + 20) as usize == tail.len()
        })
        .ok_or_else(|| bad("not a zip archive: no end of central directory record"))?;
    let rec = &tail[eocd..];
    if u16_at(rec, 4) != 0 || u16_at(rec, 6) != 0 {
        return Err(bad("multi-disk archives are not supported"));
    }
    let mut count = u16_at(rec, 10) as u64;
    let mut cd_size = u32_at(rec, 12) as u64;
    let mut cd_offset = u32_at(rec, 16) as u64;
    let eocd_pos = tail_start + eocd as u64;
    if count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF {
        // ZIP64: the locator sits right before the end record.
        if eocd_pos < 20 {
            return Err(bad("ZIP64 archive without its end record locator"));
        }
        let mut loc = [0u8; 20];
        read_at(r, eocd_pos - 20, &mut loc)?;
        if u32_at(&loc, 0) != EOCD64_LOCATOR_SIG {
            return Err(bad("ZIP64 fields without a ZIP64 end record locator"));
        }
        let rec64_pos = u64_at(&loc, 8);
        if rec64_pos.checked_add(56).is_none_or(|end| end > eocd_pos) {
            return Err(bad(format!(
                "ZIP64 end record offset {rec64_pos} lies outside the archive"
            )));
        }
        let mut rec64 = [0u8; 56];
        read_at(r, rec64_pos, &mut rec64)?;
        if u32_at(&rec64, 0) != EOCD64_SIG {
            return Err(bad("ZIP64 end record has a wrong signature"));
        }
        count = u64_at(&rec64, 32);
        cd_size = u64_at(&rec64, 40);
        cd_offset = u64_at(&rec64, 48);
    }
    if cd_offset
        .checked_add(cd_size)
        .is_none_or(|end| end > eocd_pos)
    {
        return Err(bad(format!(
            "central directory (offset {cd_offset}, {cd_size} bytes) runs past its end record at {eocd_pos}"
        )));
    }
    if count.saturating_mul(CENTRAL_MIN) > cd_size {
        return Err(bad(format!(
            "{count} members cannot fit in a central directory of {cd_size} bytes"
        )));
    }
    let mut cd = vec![0u8; cd_size as usize];
    read_at(r, cd_offset, &mut cd)?;
    let mut entries = Vec::with_capacity(count as usize);
    let mut at = 0usize;
    for i in 0..count {
        if at + CENTRAL_MIN as usize > cd.len() || u32_at(&cd, at) != CENTRAL_SIG {
            return Err(bad(format!("central directory entry {i} is malformed")));
        }
        let e = &cd[at..];
        let flags = u16_at(e, 8);
        let method = u16_at(e, 10);
        let crc32 = u32_at(e, 16);
        let mut csize = u32_at(e, 20) as u64;
        let mut size = u32_at(e, 24) as u64;
        let name_len = u16_at(e, 28) as usize;
        let extra_len = u16_at(e, 30) as usize;
        let comment_len = u16_at(e, 32) as usize;
        let mut offset = u32_at(e, 42) as u64;
        let total = 46 + name_len + extra_len + comment_len;
        if at + total > cd.len() {
            return Err(bad(format!(
                "central directory entry {i} runs past the directory"
            )));
        }
        let name_bytes = &e[46..46 + name_len];
        let name = decode_name(name_bytes, flags)
            .ok_or_else(|| bad(format!("member {i} has a name that is not valid text")))?;
        if flags & 1 != 0 {
            return Err(bad(format!("member '{name}' is encrypted")));
        }
        // ZIP64 extra: the 64-bit values of the fields that are 0xFFFFFFFF,
        // in the order size, compressed size, offset.
        let mut extra = &e[46 + name_len..46 + name_len + extra_len];
        while extra.len() >= 4 {
            let id = u16_at(extra, 0);
            let len = u16_at(extra, 2) as usize;
            if 4 + len > extra.len() {
                return Err(bad(format!("member '{name}' has a malformed extra field")));
            }
            if id == ZIP64_EXTRA {
                let mut field = &extra[4..4 + len];
                let mut take = |v: &mut u64| -> Result<(), ZipError> {
                    if *v == 0xFFFF_FFFF {
                        if field.len() < 8 {
                            return Err(bad(format!("member '{name}' has a short ZIP64 field")));
                        }
                        *v = u64_at(field, 0);
                        field = &field[8..];
                    }
                    Ok(())
                };
                take(&mut size)?;
                take(&mut csize)?;
                take(&mut offset)?;
            }
            extra = &extra[4 + len..];
        }
        entries.push(Entry {
            name,
            method,
            crc32,
            compressed_size: csize,
            size,
            local_offset: offset,
        });
        at += total;
    }
    Ok(entries)
}

/// A member name: UTF-8 when flagged (or plain ASCII); other encodings are
/// refused rather than guessed.
fn decode_name(bytes: &[u8], flags: u16) -> Option<String> {
    if bytes.is_ascii() || flags & 0x800 != 0 {
        String::from_utf8(bytes.to_vec()).ok()
    } else {
        None
    }
}

/// The offset of a member's data: after its local header, which must agree
/// with the central directory on the name.
pub(crate) fn data_offset<R: Read + Seek>(r: &mut R, e: &Entry, len: u64) -> Result<u64, ZipError> {
    if e.local_offset.checked_add(30).is_none_or(|end| end > len) {
        return Err(bad(format!(
            "member '{}' has its local header at {}, past the end of the {len}-byte archive",
            e.name, e.local_offset
        )));
    }
    let mut h = [0u8; 30];
    read_at(r, e.local_offset, &mut h)?;
    if u32_at(&h, 0) != LOCAL_SIG {
        return Err(bad(format!(
            "member '{}' has no local header at offset {}",
            e.name, e.local_offset
        )));
    }
    let name_len = u16_at(&h, 26) as u64;
    let extra_len = u16_at(&h, 28) as u64;
    if name_len != e.name.len() as u64 {
        return Err(bad(format!(
            "member '{}': the local header's name differs from the central directory's",
            e.name
        )));
    }
    let mut name = vec![0u8; name_len as usize];
    read_at(r, e.local_offset + 30, &mut name)?;
    if name != e.name.as_bytes() {
        return Err(bad(format!(
            "member '{}': the local header's name differs from the central directory's",
            e.name
        )));
    }
    let start = e.local_offset + 30 + name_len + extra_len;
    if start
        .checked_add(e.compressed_size)
        .is_none_or(|end| end > len)
    {
        return Err(bad(format!(
            "member '{}' ({} bytes at offset {start}) runs past the end of the {len}-byte archive",
            e.name, e.compressed_size
        )));
    }
    Ok(start)
}

/// Writes the local header of a member whose sizes and CRC are patched in
/// later by [`patch_local`]: ZIP64 sizes always, as NumPy (`force_zip64`)
/// does, so members of any size fit.
pub(crate) fn write_local<W: Write>(w: &mut W, name: &str, method: u16) -> io::Result<()> {
    let mut h = Vec::with_capacity(30 + name.len() + 20);
    h.extend_from_slice(&LOCAL_SIG.to_le_bytes());
    h.extend_from_slice(&45u16.to_le_bytes()); // version needed: ZIP64
    h.extend_from_slice(&name_flags(name).to_le_bytes());
    h.extend_from_slice(&method.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes()); // time
    h.extend_from_slice(&DOS_DATE.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes()); // crc, patched
    h.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    h.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    h.extend_from_slice(&(name.len() as u16).to_le_bytes());
    h.extend_from_slice(&20u16.to_le_bytes());
    h.extend_from_slice(name.as_bytes());
    h.extend_from_slice(&ZIP64_EXTRA.to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(&0u64.to_le_bytes()); // size, patched
    h.extend_from_slice(&0u64.to_le_bytes()); // compressed size, patched
    w.write_all(&h)
}

/// Fills in the CRC and sizes of the local header written at `offset`.
pub(crate) fn patch_local<W: Write + Seek>(
    w: &mut W,
    offset: u64,
    name: &str,
    e: &Entry,
) -> io::Result<()> {
    let end = w.stream_position()?;
    w.seek(SeekFrom::Start(offset + 14))?;
    w.write_all(&e.crc32.to_le_bytes())?;
    w.seek(SeekFrom::Start(offset + 30 + name.len() as u64 + 4))?;
    w.write_all(&e.size.to_le_bytes())?;
    w.write_all(&e.compressed_size.to_le_bytes())?;
    w.seek(SeekFrom::Start(end))?;
    Ok(())
}

fn name_flags(name: &str) -> u16 {
    if name.is_ascii() { 0 } else { 0x800 }
}

/// Writes the central directory and end records for `entries`, starting at
/// the writer's position.
pub(crate) fn write_directory<W: Write + Seek>(w: &mut W, entries: &[Entry]) -> io::Result<()> {
    let cd_offset = w.stream_position()?;
    let mut cd = Vec::new();
    for e in entries {
        let mut extra = Vec::new();
        let mut field32 = |v: u64| -> u32 {
            if v >= 0xFFFF_FFFF {
                extra.extend_from_slice(&v.to_le_bytes());
                0xFFFF_FFFF
            } else {
                v as u32
            }
        };
        let size = field32(e.size);
        let csize = field32(e.compressed_size);
        let offset = field32(e.local_offset);
        cd.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        cd.extend_from_slice(&(45u16 | (3 << 8)).to_le_bytes()); // made by: unix, 4.5
        cd.extend_from_slice(&45u16.to_le_bytes());
        cd.extend_from_slice(&name_flags(&e.name).to_le_bytes());
        cd.extend_from_slice(&e.method.to_le_bytes());
        cd.extend_from_slice(&0u16.to_le_bytes());
        cd.extend_from_slice(&DOS_DATE.to_le_bytes());
        cd.extend_from_slice(&e.crc32.to_le_bytes());
        cd.extend_from_slice(&csize.to_le_bytes());
        cd.extend_from_slice(&size.to_le_bytes());
        cd.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        let extra_len = if extra.is_empty() { 0 } else { 4 + extra.len() };
        cd.extend_from_slice(&(extra_len as u16).to_le_bytes());
        cd.extend_from_slice(&0u16.to_le_bytes()); // comment
        cd.extend_from_slice(&0u16.to_le_bytes()); // disk
        cd.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        cd.extend_from_slice(&(0o100644u32 << 16).to_le_bytes()); // -rw-r--r--
        cd.extend_from_slice(&offset.to_le_bytes());
        cd.extend_from_slice(e.name.as_bytes());
        if !extra.is_empty() {
            cd.extend_from_slice(&ZIP64_EXTRA.to_le_bytes());
            cd.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            cd.extend_from_slice(&extra);
        }
    }
    w.write_all(&cd)?;
    let cd_size = cd.len() as u64;
    let count = entries.len() as u64;
    let needs64 = count >= 0xFFFF || cd_size >= 0xFFFF_FFFF || cd_offset >= 0xFFFF_FFFF;
    if needs64 {
        let rec64_pos = w.stream_position()?;
        let mut r = Vec::with_capacity(76);
        r.extend_from_slice(&EOCD64_SIG.to_le_bytes());
        r.extend_from_slice(&44u64.to_le_bytes());
        r.extend_from_slice(&(45u16 | (3 << 8)).to_le_bytes());
        r.extend_from_slice(&45u16.to_le_bytes());
        r.extend_from_slice(&0u32.to_le_bytes());
        r.extend_from_slice(&0u32.to_le_bytes());
        r.extend_from_slice(&count.to_le_bytes());
        r.extend_from_slice(&count.to_le_bytes());
        r.extend_from_slice(&cd_size.to_le_bytes());
        r.extend_from_slice(&cd_offset.to_le_bytes());
        r.extend_from_slice(&EOCD64_LOCATOR_SIG.to_le_bytes());
        r.extend_from_slice(&0u32.to_le_bytes());
        r.extend_from_slice(&rec64_pos.to_le_bytes());
        r.extend_from_slice(&1u32.to_le_bytes());
        w.write_all(&r)?;
    }
    let mut r = Vec::with_capacity(22);
    r.extend_from_slice(&EOCD_SIG.to_le_bytes());
    r.extend_from_slice(&0u16.to_le_bytes());
    r.extend_from_slice(&0u16.to_le_bytes());
    let count16 = count.min(0xFFFF) as u16;
    r.extend_from_slice(&count16.to_le_bytes());
    r.extend_from_slice(&count16.to_le_bytes());
    r.extend_from_slice(&(cd_size.min(0xFFFF_FFFF) as u32).to_le_bytes());
    r.extend_from_slice(&(cd_offset.min(0xFFFF_FFFF) as u32).to_le_bytes());
    r.extend_from_slice(&0u16.to_le_bytes());
    w.write_all(&r)
}

/// A reader that counts and checksums what passes through it.
pub(crate) struct Checked<R> {
    pub(crate) inner: R,
    pub(crate) count: u64,
    pub(crate) crc: crc32fast::Hasher,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// A writer that counts and checksums what passes through it.
pub(crate) struct Counting<W> {
    pub(crate) inner: W,
    pub(crate) count: u64,
    pub(crate) crc: crc32fast::Hasher,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
