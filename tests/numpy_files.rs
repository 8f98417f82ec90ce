//! `.npy`/`.npz` files: round trips of every dtype, hand-built files of
//! every kind NumPy writes, the malformed corpus (each an error naming the
//! problem, none a panic), SciPy sparse layout rules, memory-mapped loads,
//! and a proptest mutation test of both readers.

use std::io::Cursor;
use std::path::PathBuf;

use proptest::prelude::*;
use tensorbridge::numpy::{
    NpzReader, NpzWriter, ScipySparse, load_npy, load_npy_as, load_npy_mmap, load_npz,
    load_scipy_sparse_npz, read_npy, save_npy, save_npz, save_npz_compressed,
    save_scipy_sparse_npz, write_npy,
};
use tensorbridge::{Complex, DType, Error, Tensor, bf16, f16, s};
use tensorbridge_tests::as_c128;
use tensorbridge_tests::npy_corpus::{self, Kind, Member, dict, npy, npy_version};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tb-npy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A tensor of `dtype` with distinct values, `n` elements shaped `[2, n/2]`.
fn sample(dtype: DType) -> Tensor {
    Tensor::arange(0i64, 12, 1)
        .unwrap()
        .reshape([3, 4])
        .unwrap()
        .cast(dtype)
        .unwrap()
}

#[test]
fn every_dtype_round_trips_through_npy_npz_and_mmap() {
    let dir = temp_dir("roundtrip");
    for d in DType::ALL {
        let t = sample(d);
        let mut bytes = Vec::new();
        write_npy(&mut bytes, &t).unwrap();
        assert_eq!(bytes.len(), 128 + 12 * d.size_in_bytes(), "{d}");
        let back = if d == DType::BF16 {
            assert!(
                read_npy(&bytes[..]).is_err(),
                "raw <V2 is not read as bf16 silently"
            );
            let path = dir.join("bf16.npy");
            std::fs::write(&path, &bytes).unwrap();
            load_npy_as(&path, DType::BF16).unwrap()
        } else {
            read_npy(&bytes[..]).unwrap()
        };
        assert_eq!(back.dtype(), d);
        assert_eq!(back.dims(), [3, 4]);
        assert_eq!(as_c128(&back), as_c128(&t), "{d}");
        let path = dir.join(format!("{}.npy", d.name()));
        save_npy(&path, &t).unwrap();
        if d != DType::BF16 {
            let loaded = load_npy(&path).unwrap();
            let mapped = load_npy_mmap(&path).unwrap();
            for x in [loaded, mapped] {
                assert_eq!(as_c128(&x), as_c128(&t), "{d}");
            }
        }
    }
    // An archive of all fifteen, stored and deflated, read back in order.
    let tensors: Vec<(String, Tensor)> = DType::ALL
        .iter()
        .map(|d| (d.name().to_owned(), sample(*d)))
        .collect();
    let named: Vec<(&str, &Tensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    for compressed in [false, true] {
        let path = dir.join("all.npz");
        if compressed {
            save_npz_compressed(&path, &named).unwrap()
        } else {
            save_npz(&path, &named).unwrap()
        }
        let mut r = NpzReader::open(&path).unwrap();
        assert_eq!(r.names().collect::<Vec<_>>(), DType::ALL.map(|d| d.name()));
        assert_eq!(
            r.read_as("bfloat16", DType::BF16)
                .unwrap()
                .to_vec::<bf16>()
                .unwrap()[5],
            bf16::from_f32(5.0)
        );
        assert!(
            r.read("nope")
                .unwrap_err()
                .to_string()
                .contains("no array named 'nope'")
        );
        // Streaming: the bf16 member is refused by name, the others load.
        for item in r {
            match item {
                Ok((name, t)) => assert_eq!(t.dtype().name(), name),
                Err(e) => assert!(e.to_string().contains("load_npy_as"), "{e}"),
            }
        }
    }
    let no_bf16: Vec<(&str, &Tensor)> = named
        .iter()
        .copied()
        .filter(|(n, _)| *n != "bfloat16")
        .collect();
    save_npz(dir.join("n.npz"), &no_bf16).unwrap();
    let loaded = load_npz(dir.join("n.npz")).unwrap();
    assert_eq!(loaded.len(), 14);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hand_built_files_read_as_numpy_defines_them() {
    // Big-endian f8 ones.
    let t = read_npy(
        &npy(
            &dict(">f8", false, "(3,)"),
            &[0x3f, 0xf0, 0, 0, 0, 0, 0, 0].repeat(3),
        )[..],
    )
    .unwrap();
    assert_eq!(t.to_vec::<f64>().unwrap(), [1.0; 3]);
    // Fortran order: the bytes 1..6 are the columns of [[1, 3, 5], [2, 4, 6]].
    let t = read_npy(
        &npy(
            &dict("<i2", true, "(2, 3)"),
            &[1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0],
        )[..],
    )
    .unwrap();
    assert_eq!(t.dims(), [2, 3]);
    assert_eq!(t.to_vec::<i16>().unwrap(), [1, 3, 5, 2, 4, 6]);
    // 3-D Fortran order: element (i, j, k) at i + 2j + 6k.
    let data: Vec<u8> = (0u8..24).collect();
    let t = read_npy(&npy(&dict("|u1", true, "(2, 3, 4)"), &data)[..]).unwrap();
    let a = t.to_array::<u8>().unwrap();
    for (i, j, k) in [(1, 2, 3), (0, 1, 2), (1, 0, 0)] {
        assert_eq!(a[[i, j, k]] as usize, i + 2 * j + 6 * k);
    }
    // Big-endian complex: each part swapped.
    let mut c = Vec::new();
    c.extend_from_slice(&1.5f32.to_be_bytes());
    c.extend_from_slice(&(-2.0f32).to_be_bytes());
    let t = read_npy(&npy(&dict(">c8", false, "()"), &c)[..]).unwrap();
    assert_eq!(
        t.to_scalar::<Complex<f32>>().unwrap(),
        Complex::new(1.5, -2.0)
    );
    // f2: 1.0 and -2.0.
    let t = read_npy(&npy(&dict("<f2", false, "(2,)"), &[0, 0x3c, 0, 0xc0])[..]).unwrap();
    assert_eq!(
        t.to_vec::<f16>().unwrap(),
        [f16::from_f32(1.0), f16::from_f32(-2.0)]
    );
    // Versions 2 and 3.
    assert_eq!(
        read_npy(&npy_version(2, &dict("<u2", false, "(2,)"), &[1, 0, 2, 0])[..])
            .unwrap()
            .to_vec::<u16>()
            .unwrap(),
        [1, 2]
    );
    assert_eq!(
        read_npy(&npy_version(3, &dict(">i4", false, "(1,)"), &[0, 0, 1, 0])[..])
            .unwrap()
            .to_vec::<i32>()
            .unwrap(),
        [256]
    );
    // Empty and 0-d.
    let t = read_npy(&npy(&dict("<u8", false, "(0, 5)"), &[])[..]).unwrap();
    assert_eq!((t.dims(), t.numel()), (&[0usize, 5][..], 0));
    let t = read_npy(&npy(&dict("|b1", false, "()"), &[1])[..]).unwrap();
    assert_eq!((t.rank(), t.to_scalar::<bool>().unwrap()), (0, true));
    // Trailing bytes after the data are left in the stream (sequential arrays).
    let mut two = npy(&dict("|i1", false, "(1,)"), &[0xff]);
    two.extend(npy(&dict("|i1", false, "(1,)"), &[5]));
    let mut stream = &two[..];
    assert_eq!(read_npy(&mut stream).unwrap().to_vec::<i8>().unwrap(), [-1]);
    assert_eq!(read_npy(&mut stream).unwrap().to_vec::<i8>().unwrap(), [5]);
}

#[test]
fn the_valid_corpus_reads() {
    for case in npy_corpus::valid() {
        match case.kind {
            Kind::Npy => {
                read_npy(&case.bytes[..]).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            }
            Kind::Npz => {
                let r = NpzReader::new(Cursor::new(case.bytes)).unwrap();
                let all: Vec<_> = r
                    .collect::<Result<_, _>>()
                    .unwrap_or_else(|e| panic!("{}: {e}", case.name));
                assert_eq!(all[0].1.to_vec::<i64>().unwrap(), [7, 9]);
                assert_eq!(all[1].1.to_vec::<u8>().unwrap(), [1, 2, 3]);
            }
        }
    }
}

/// Reads `bytes` with the reader for `kind`: every member of an archive.
fn read_all(kind: Kind, bytes: &[u8]) -> Result<(), Error> {
    match kind {
        Kind::Npy => read_npy(bytes).map(drop),
        Kind::Npz => {
            for item in NpzReader::new(Cursor::new(bytes))? {
                item?;
            }
            Ok(())
        }
    }
}

#[test]
fn every_malformed_file_is_an_error_naming_its_problem() {
    let dir = temp_dir("malformed");
    for case in npy_corpus::malformed() {
        let err = read_all(case.kind, &case.bytes)
            .expect_err(case.name)
            .to_string();
        assert!(err.contains(case.expect), "{}: {err}", case.name);
        // From a file, the error names the file.
        if case.kind == Kind::Npy {
            let path = dir.join("bad.npy");
            std::fs::write(&path, &case.bytes).unwrap();
            let e = load_npy(&path).expect_err(case.name).to_string();
            assert!(e.contains("bad.npy"), "{}: {e}", case.name);
            assert!(load_npy_mmap(&path).is_err(), "{}", case.name);
        } else {
            let path = dir.join("bad.npz");
            std::fs::write(&path, &case.bytes).unwrap();
            let e = load_npz(&path).expect_err(case.name).to_string();
            assert!(e.contains("bad.npz"), "{}: {e}", case.name);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn truncated_data_names_the_file_shape_and_sizes() {
    let dir = temp_dir("trunc");
    let path = dir.join("t.npy");
    std::fs::write(&path, npy(&dict("<f4", false, "(3, 4)"), &[0u8; 40])).unwrap();
    let e = load_npy(&path).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "'{}': shape (3, 4) of '<f4' needs 48 bytes of data, file has 40",
            path.display()
        )
    );
    let e = read_npy(&npy(&dict("<f4", false, "(3, 4)"), &[0u8; 40])[..])
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "the .npy stream: shape (3, 4) of '<f4' needs 48 bytes of data, stream has 40"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn load_npy_as_never_converts() {
    let dir = temp_dir("as");
    let path = dir.join("f.npy");
    save_npy(&path, &Tensor::from([1.0f32])).unwrap();
    assert!(matches!(
        load_npy_as(&path, DType::F64).unwrap_err(),
        Error::DTypeMismatch {
            expected: DType::F64,
            found: DType::F32,
            ..
        }
    ));
    assert_eq!(
        load_npy_as(&path, DType::F32)
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        [1.0]
    );
    let e = load_npy(dir.join("missing.npy")).unwrap_err();
    assert!(
        matches!(e, Error::Io { .. }) && e.to_string().contains("missing.npy"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mmap_reads_in_place_and_refuses_what_it_cannot_map() {
    let dir = temp_dir("mmap");
    let path = dir.join("m.npy");
    let t = Tensor::arange(0.0f32, 1000.0, 1.0)
        .unwrap()
        .reshape([10, 100])
        .unwrap();
    save_npy(&path, &t).unwrap();
    let m = load_npy_mmap(&path).unwrap();
    assert_eq!(m.view::<f32>().unwrap()[[3, 7]], 307.0);
    // Views of the mapped tensor and copies out of it.
    assert_eq!(
        m.slice(s![2, 5..8]).unwrap().to_vec::<f32>().unwrap(),
        [205.0, 206.0, 207.0]
    );
    assert_eq!(m.clone().into_array::<f32>().unwrap()[[9, 99]], 999.0);
    // The file can be replaced by save_npy (a rename) while mapped.
    save_npy(&path, &Tensor::from([1u8])).unwrap();
    assert_eq!(m.view::<f32>().unwrap()[[9, 99]], 999.0);
    for (name, bytes, expect) in [
        (
            "be.npy",
            npy(&dict(">f4", false, "(2,)"), &[0u8; 8]),
            "byte order",
        ),
        (
            "f.npy",
            npy(&dict("<f4", true, "(2, 2)"), &[0u8; 16]),
            "Fortran order",
        ),
        (
            "v2.npy",
            npy(&dict("<V2", false, "(2,)"), &[0u8; 4]),
            "load_npy_as",
        ),
        (
            "bool.npy",
            npy(&dict("|b1", false, "(2,)"), &[0, 3]),
            "not 0 or 1",
        ),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        let e = load_npy_mmap(&p).unwrap_err().to_string();
        assert!(e.contains(expect) && e.contains(name), "{name}: {e}");
    }
    // Fortran order with one non-trivial dim is the same bytes: mapped.
    let p = dir.join("f1.npy");
    std::fs::write(
        &p,
        npy(&dict("<i4", true, "(1, 2)"), &[1, 0, 0, 0, 2, 0, 0, 0]),
    )
    .unwrap();
    assert_eq!(load_npy_mmap(&p).unwrap().to_vec::<i32>().unwrap(), [1, 2]);
    // A file whose data start is not aligned for f8: misaligned, so refused.
    let mut odd = b"\x93NUMPY\x01\x00".to_vec();
    let d = dict("<f8", false, "(1,)");
    odd.extend_from_slice(&((d.len() + 1) as u16).to_le_bytes());
    odd.extend_from_slice(d.as_bytes());
    odd.push(b'\n');
    let aligned = odd.len().is_multiple_of(8);
    odd.extend_from_slice(&2.0f64.to_le_bytes());
    let p = dir.join("odd.npy");
    std::fs::write(&p, &odd).unwrap();
    assert_eq!(load_npy(&p).unwrap().to_vec::<f64>().unwrap(), [2.0]);
    if !aligned {
        assert!(
            load_npy_mmap(&p)
                .unwrap_err()
                .to_string()
                .contains("not aligned")
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn views_are_written_in_c_order_in_bounded_blocks() {
    // 3 MiB of f32 transposed: written through several row blocks.
    let t = Tensor::arange(0i32, 768 * 1024, 1)
        .unwrap()
        .reshape([1024, 768])
        .unwrap()
        .t()
        .unwrap();
    let mut bytes = Vec::new();
    write_npy(&mut bytes, &t).unwrap();
    let back = read_npy(&bytes[..]).unwrap();
    assert_eq!(back.dims(), [768, 1024]);
    let a = back.to_array::<i32>().unwrap();
    assert_eq!(a[[5, 3]], 3 * 768 + 5);
    assert_eq!(a[[767, 1023]], 1023 * 768 + 767);
    let broadcast = Tensor::from([1u16, 2]).broadcast_to([3, 2]).unwrap();
    let mut bytes = Vec::new();
    write_npy(&mut bytes, &broadcast).unwrap();
    assert_eq!(
        read_npy(&bytes[..]).unwrap().to_vec::<u16>().unwrap(),
        [1, 2, 1, 2, 1, 2]
    );
}

#[test]
fn npz_writer_rules() {
    let mut w = NpzWriter::new(Cursor::new(Vec::new()));
    w.add("x", &Tensor::from([1u8])).unwrap();
    let e = w.add("x", &Tensor::from([2u8])).unwrap_err().to_string();
    assert!(e.contains("'x' was already added"), "{e}");
    let long = "n".repeat(70_000);
    assert!(
        w.add(&long, &Tensor::from([2u8]))
            .unwrap_err()
            .to_string()
            .contains("65471")
    );
    // Non-ASCII names are flagged UTF-8 and read back.
    w.add("größe", &Tensor::from([3u8])).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let r = NpzReader::new(Cursor::new(bytes)).unwrap();
    assert_eq!(r.names().collect::<Vec<_>>(), ["x", "größe"]);
    // The cap on the total size.
    let mut w = NpzWriter::new(Cursor::new(Vec::new()));
    w.add("big", &Tensor::zeros([1000], DType::U8).unwrap())
        .unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let e = NpzReader::with_max_total_bytes(Cursor::new(bytes.clone()), 1000)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("cap of 1000 bytes"), "{e}");
    assert!(NpzReader::with_max_total_bytes(Cursor::new(bytes), 1128).is_ok());
}

#[test]
fn scipy_sparse_rules_each_refuse_their_breaker() {
    let f = |v: &[f64]| Tensor::from(v.to_vec());
    let i = |v: &[i32]| Tensor::from(v.to_vec());
    let csr =
        |data: &[f64], idx: &[i32], ptr: &[i32]| ScipySparse::csr([2, 3], f(data), i(idx), i(ptr));
    assert!(csr(&[1.0, 2.0], &[0, 2], &[0, 1, 2]).is_ok());
    let msg = |r: Result<ScipySparse, Error>| r.unwrap_err().to_string();
    assert_eq!(
        msg(csr(&[1.0], &[0], &[0, 1])),
        "ScipySparse::csr: indptr has 2 entries; a csr matrix of shape (2, 3) needs 3"
    );
    assert_eq!(
        msg(csr(&[1.0], &[0], &[1, 1, 1])),
        "ScipySparse::csr: indptr[0] = 1 must be 0"
    );
    assert_eq!(
        msg(csr(&[1.0, 2.0], &[0, 1], &[0, 2, 1])),
        "ScipySparse::csr: indptr[2] = 1 is less than indptr[1] = 2; indptr must not decrease"
    );
    assert_eq!(
        msg(csr(&[1.0, 2.0], &[0], &[0, 1, 2])),
        "ScipySparse::csr: data has 2 values, indices 1, and indptr ends at 2; all three must agree"
    );
    assert_eq!(
        msg(csr(&[1.0], &[-1], &[0, 1, 1])),
        "ScipySparse::csr: indices[0] = -1 is out of bounds for 3 columns"
    );
    assert_eq!(
        msg(ScipySparse::csc(
            [2, 3],
            f(&[1.0]),
            i(&[2]),
            i(&[0, 1, 1, 1])
        )),
        "ScipySparse::csc: indices[0] = 2 is out of bounds for 2 rows"
    );
    assert!(
        msg(ScipySparse::csr(
            [2, 3],
            f(&[1.0]),
            Tensor::from([0u8]),
            i(&[0, 1, 1])
        ))
        .contains("int32 or int64")
    );
    assert!(
        msg(ScipySparse::csr(
            [2, 3],
            Tensor::from([[1.0f32]]),
            i(&[0]),
            i(&[0, 1, 1])
        ))
        .contains("1-D")
    );
    assert!(
        msg(ScipySparse::csr(
            [2, 3],
            Tensor::from([f16::ONE]),
            i(&[0]),
            i(&[0, 1, 1])
        ))
        .contains("float16")
    );
    assert_eq!(
        msg(ScipySparse::coo([2, 3], f(&[1.0]), i(&[2]), i(&[0]))),
        "ScipySparse::coo: row[0] = 2 is out of bounds for 2 rows"
    );
    assert_eq!(
        msg(ScipySparse::coo([2, 3], f(&[1.0]), i(&[1]), i(&[3]))),
        "ScipySparse::coo: col[0] = 3 is out of bounds for 3 columns"
    );
    assert_eq!(
        msg(ScipySparse::coo([2, 3], f(&[1.0]), i(&[1, 0]), i(&[0]))),
        "ScipySparse::coo: row has 2 entries, data has 1; they must agree"
    );
}

#[test]
fn scipy_sparse_archives_are_validated_on_read() {
    let dir = temp_dir("sparse");
    let fmt = |s: &str| npy(&dict(&format!("|S{}", s.len()), false, "()"), s.as_bytes());
    let i32s = |v: &[i32]| {
        npy(
            &dict("<i4", false, &format!("({},)", v.len())),
            &v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>(),
        )
    };
    let shape = npy(
        &dict("<i8", false, "(2,)"),
        &[2i64, 3]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect::<Vec<_>>(),
    );
    let data = npy(&dict("<f8", false, "(1,)"), &1.0f64.to_le_bytes());
    let write = |name: &str, members: &[Member<'_>]| {
        let p = dir.join(name);
        std::fs::write(&p, npy_corpus::zip(members)).unwrap();
        p
    };
    let ok = write(
        "ok.npz",
        &[
            Member::stored("indices.npy", &i32s(&[2])),
            Member::stored("indptr.npy", &i32s(&[0, 0, 1])),
            Member::stored("format.npy", &fmt("csr")),
            Member::stored("shape.npy", &shape),
            Member::stored("data.npy", &data),
        ],
    );
    let m = load_scipy_sparse_npz(&ok).unwrap();
    assert_eq!((m.shape(), m.nnz(), m.is_sparray()), ([2, 3], 1, false));
    let cases: Vec<(&str, Vec<Member<'_>>, &str)> = vec![
        (
            "bad_index.npz",
            vec![
                Member::stored("indices.npy", &i32s(&[3])),
                Member::stored("indptr.npy", &i32s(&[0, 0, 1])),
                Member::stored("format.npy", &fmt("csr")),
                Member::stored("shape.npy", &shape),
                Member::stored("data.npy", &data),
            ],
            "indices[0] = 3 is out of bounds for 3 columns",
        ),
        (
            "bsr.npz",
            vec![
                Member::stored("format.npy", &fmt("bsr")),
                Member::stored("shape.npy", &shape),
            ],
            "format is 'bsr'",
        ),
        (
            "no_format.npz",
            vec![Member::stored("shape.npy", &shape)],
            "no 'format' member",
        ),
        (
            "no_indptr.npz",
            vec![
                Member::stored("indices.npy", &i32s(&[2])),
                Member::stored("format.npy", &fmt("csr")),
                Member::stored("shape.npy", &shape),
                Member::stored("data.npy", &data),
            ],
            "no 'indptr' member",
        ),
        (
            "neg_shape.npz",
            vec![
                Member::stored("format.npy", &fmt("coo")),
                Member::stored(
                    "shape.npy",
                    &npy(
                        &dict("<i8", false, "(2,)"),
                        &[-1i64, 3]
                            .iter()
                            .flat_map(|x| x.to_le_bytes())
                            .collect::<Vec<_>>(),
                    ),
                ),
            ],
            "shape[0] = -1 is negative",
        ),
        (
            "format_array.npz",
            vec![Member::stored("format.npy", &i32s(&[1]))],
            "bytes scalar",
        ),
    ];
    for (name, members, expect) in &cases {
        let p = write(name, members);
        let e = load_scipy_sparse_npz(&p).unwrap_err().to_string();
        assert!(e.contains(expect) && e.contains(name), "{name}: {e}");
    }
    // COO round trip with `_is_array`.
    let coo = ScipySparse::coo(
        [2, 2],
        Tensor::from([true, true]),
        Tensor::from([0i64, 1]),
        Tensor::from([1i64, 0]),
    )
    .unwrap()
    .with_sparray(true);
    let p = dir.join("coo.npz");
    save_scipy_sparse_npz(&p, &coo, false).unwrap();
    let names: Vec<String> = NpzReader::open(&p)
        .unwrap()
        .names()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        names,
        ["row", "col", "format", "shape", "data", "_is_array"]
    );
    let back = load_scipy_sparse_npz(&p).unwrap();
    assert!(back.is_sparray());
    assert_eq!(back.col().unwrap().to_vec::<i64>().unwrap(), [1, 0]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// One mutation of a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len().max(1);
    match m {
        Mutation::Set(at, v) => {
            if !bytes.is_empty() {
                let i = at % n;
                bytes[i] = *v
            }
        }
        Mutation::Flip(at, bit) => {
            if !bytes.is_empty() {
                let i = at % n;
                bytes[i] ^= 1 << (bit % 8)
            }
        }
        Mutation::Truncate(at) => bytes.truncate(at % (n + 1)),
        Mutation::Insert(at, v) => {
            let i = at % (bytes.len() + 1);
            bytes.splice(i..i, v.iter().copied());
        }
        Mutation::Remove(at, len) => {
            let i = at % n;
            let end = (i + len).min(bytes.len());
            if i < end {
                bytes.drain(i..end);
            }
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (
            any::<usize>(),
            prop_oneof![
                Just(0u8),
                Just(0xff),
                Just(b'('),
                Just(b','),
                Just(b'9'),
                any::<u8>()
            ]
        )
            .prop_map(|(a, v)| Mutation::Set(a, v)),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(a, v)| Mutation::Insert(a, v)),
        (any::<usize>(), 1usize..16).prop_map(|(a, l)| Mutation::Remove(a, l)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Mutated valid files never panic either reader: each is read or
    /// refused with an error.
    #[test]
    fn mutated_files_never_panic(case in 0..npy_corpus::valid().len(), muts in prop::collection::vec(mutation(), 1..6)) {
        let c = &npy_corpus::valid()[case];
        let mut bytes = c.bytes.clone();
        for m in &muts {
            apply(&mut bytes, m);
        }
        let _ = read_all(c.kind, &bytes);
        let _ = read_all(if c.kind == Kind::Npy { Kind::Npz } else { Kind::Npy }, &bytes);
    }
}
