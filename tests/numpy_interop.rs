//! tensorbridge against the real NumPy and SciPy, both ways: files NumPy and
//! SciPy write load in tensorbridge equal to the values Python recorded, and
//! files tensorbridge writes load in NumPy/SciPy equal to the values Python
//! computes itself (tests/python/numpy_interop.py).
//!
//! The interpreter comes from `TENSORBRIDGE_PYTHON` (`cargo xtask test` sets
//! it to the venv it creates). Unset, the suite prints a loud skip line;
//! with `TENSORBRIDGE_EXPECT_PYTHON=1` (set by xtask and CI) a missing
//! interpreter fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tensorbridge::numpy::{
    NpzReader, ScipySparse, ScipySparseFormat, load_npy, load_npy_as, load_npz,
    load_scipy_sparse_npz, load_sparse_npz, save_npy, save_npz, save_npz_compressed,
    save_scipy_sparse_npz, save_sparse_npz,
};
use tensorbridge::sparse::SparseTensor;
use tensorbridge::{Complex, DType, Tensor, bf16, f16};
use tensorbridge_tests::as_c128;

/// The interpreter, or `None` after printing why the suite is skipped.
fn python() -> Option<PathBuf> {
    match std::env::var_os("TENSORBRIDGE_PYTHON") {
        Some(p) if !p.is_empty() => {
            let p = PathBuf::from(p);
            assert!(
                p.exists(),
                "TENSORBRIDGE_PYTHON={} does not exist",
                p.display()
            );
            Some(p)
        }
        _ => {
            assert!(
                std::env::var("TENSORBRIDGE_EXPECT_PYTHON").as_deref() != Ok("1"),
                "TENSORBRIDGE_EXPECT_PYTHON=1 but TENSORBRIDGE_PYTHON is not set: the NumPy/SciPy \
                 interop suite cannot run (run `cargo xtask test`, which creates the venv)"
            );
            // Straight to stderr, past the test harness's output capture, so
            // the skip is seen even when the test passes.
            let _ = writeln!(
                std::io::stderr(),
                "\n!!!!! SKIPPED: NumPy/SciPy interop suite: TENSORBRIDGE_PYTHON is not set. \
                 `cargo xtask test` creates .venv with numpy, scipy, ml_dtypes and runs it. !!!!!\n"
            );
            None
        }
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python/numpy_interop.py")
}

fn run_python(python: &Path, cmd: &str, dir: &Path) {
    let out = Command::new(python)
        .arg(script())
        .arg(cmd)
        .arg(dir)
        .output()
        .expect("starting the Python interpreter");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "python {cmd} failed:\n{text}");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tb-interop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The elements in C order as little-endian bytes, as hex.
fn le_hex(t: &Tensor) -> String {
    fn hex(bytes: impl IntoIterator<Item = u8>) -> String {
        bytes.into_iter().map(|b| format!("{b:02x}")).collect()
    }
    macro_rules! le {
        ($T:ty) => {
            hex(t
                .to_vec::<$T>()
                .unwrap()
                .into_iter()
                .flat_map(|x| x.to_le_bytes()))
        };
    }
    match t.dtype() {
        DType::Bool => hex(t.to_vec::<bool>().unwrap().into_iter().map(u8::from)),
        DType::U8 => le!(u8),
        DType::U16 => le!(u16),
        DType::U32 => le!(u32),
        DType::U64 => le!(u64),
        DType::I8 => le!(i8),
        DType::I16 => le!(i16),
        DType::I32 => le!(i32),
        DType::I64 => le!(i64),
        DType::F16 => le!(f16),
        DType::BF16 => le!(bf16),
        DType::F32 => le!(f32),
        DType::F64 => le!(f64),
        DType::C64 => hex(t
            .to_vec::<Complex<f32>>()
            .unwrap()
            .into_iter()
            .flat_map(|z| [z.re.to_le_bytes(), z.im.to_le_bytes()].concat())),
        DType::C128 => hex(t
            .to_vec::<Complex<f64>>()
            .unwrap()
            .into_iter()
            .flat_map(|z| [z.re.to_le_bytes(), z.im.to_le_bytes()].concat())),
    }
}

/// The `"shape"` of a manifest case.
fn dims_of(case: &Value) -> Vec<usize> {
    case["shape"]
        .as_array()
        .expect("a manifest case has a shape list")
        .iter()
        .map(|d| d.as_u64().expect("dims are non-negative integers") as usize)
        .collect()
}

fn assert_matches(what: &str, t: &Tensor, case: &Value) {
    assert_eq!(
        t.dtype().name(),
        case["dtype"].as_str().unwrap(),
        "{what}: dtype"
    );
    assert_eq!(t.dims(), dims_of(case), "{what}: shape");
    assert_eq!(le_hex(t), case["hex"].as_str().unwrap(), "{what}: values");
}

#[test]
fn numpy_and_scipy_files_load_in_tensorbridge() {
    let Some(python) = python() else { return };
    let dir = temp_dir("from-numpy");
    run_python(&python, "write", &dir);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let mut checked = 0;
    for case in manifest["npy"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let path = dir.join(file);
        let t = match case.get("load_as").and_then(Value::as_str) {
            Some("bfloat16") => {
                assert!(
                    load_npy(&path).is_err(),
                    "{file}: raw <V2 needs load_npy_as"
                );
                load_npy_as(&path, DType::BF16).unwrap()
            }
            _ => load_npy(&path).unwrap_or_else(|e| panic!("{file}: {e}")),
        };
        assert_matches(file, &t, case);
        checked += 1;
    }
    for archive in manifest["npz"].as_array().unwrap() {
        let file = archive["file"].as_str().unwrap();
        let loaded = load_npz(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let members = archive["members"].as_array().unwrap();
        assert_eq!(loaded.len(), members.len(), "{file}");
        for ((name, t), case) in loaded.iter().zip(members) {
            assert_eq!(
                name,
                case["name"].as_str().unwrap(),
                "{file}: archive order"
            );
            assert_matches(&format!("{file}:{name}"), t, case);
            checked += 1;
        }
        // The streaming reader reads a member by name.
        let mut r = NpzReader::open(dir.join(file)).unwrap();
        assert_matches(
            &format!("{file}:first"),
            &r.read("first").unwrap(),
            &members[0],
        );
    }
    for case in manifest["sparse"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let m = load_scipy_sparse_npz(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            m.format().name(),
            case["format"].as_str().unwrap(),
            "{file}"
        );
        assert_eq!(m.is_sparray(), case["sparray"].as_bool().unwrap(), "{file}");
        assert_eq!(
            m.data().dtype().name(),
            case["dtype"].as_str().unwrap(),
            "{file}"
        );
        let shape = dims_of(case);
        assert_eq!(m.shape().to_vec(), shape, "{file}");
        let (re, im) = naive_dense(&m);
        let want = |key: &str| -> Vec<f64> {
            case[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        };
        assert_eq!(re, want("dense_re"), "{file}: real parts");
        assert_eq!(im, want("dense_im"), "{file}: imaginary parts");
        // The same archive as a SparseTensor, canonical, densified.
        let st = load_sparse_npz(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(st.is_canonical(), "{file}");
        assert_eq!(st.dense_shape().dims(), shape, "{file}");
        let dense = as_c128(&st.to_dense().unwrap());
        let st_re: Vec<f64> = dense.iter().map(|z| z.re).collect();
        let st_im: Vec<f64> = dense.iter().map(|z| z.im).collect();
        assert_eq!(st_re, want("dense_re"), "{file}: SparseTensor real parts");
        assert_eq!(
            st_im,
            want("dense_im"),
            "{file}: SparseTensor imaginary parts"
        );
        checked += 1;
    }
    println!("checked {checked} arrays written by NumPy and SciPy");
    assert!(
        checked >= 90,
        "only {checked} cases: the manifest is incomplete"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The dense matrix of `m` (real and imaginary parts, C order), summing
/// duplicates as SciPy does.
fn naive_dense(m: &ScipySparse) -> (Vec<f64>, Vec<f64>) {
    let [rows, cols] = m.shape();
    let data = as_c128(m.data());
    let ints = |t: &Tensor| t.cast(DType::I64).unwrap().to_vec::<i64>().unwrap();
    let mut dense = vec![Complex::new(0.0, 0.0); rows * cols];
    match m.format() {
        ScipySparseFormat::Coo => {
            let (r, c) = (ints(m.row().unwrap()), ints(m.col().unwrap()));
            for k in 0..data.len() {
                dense[r[k] as usize * cols + c[k] as usize] += data[k];
            }
        }
        f => {
            let (idx, ptr) = (ints(m.indices().unwrap()), ints(m.indptr().unwrap()));
            for major in 0..ptr.len() - 1 {
                for k in ptr[major] as usize..ptr[major + 1] as usize {
                    let minor = idx[k] as usize;
                    let at = if f == ScipySparseFormat::Csr {
                        major * cols + minor
                    } else {
                        minor * cols + major
                    };
                    dense[at] += data[k];
                }
            }
        }
    }
    (
        dense.iter().map(|z| z.re).collect(),
        dense.iter().map(|z| z.im).collect(),
    )
}

/// The values the Python side expects for element `k` of dtype `d`
/// (`formula` in numpy_interop.py).
fn formula(d: DType, n: usize) -> Tensor {
    let ks = 0..n as i64;
    let int = |k: i64, signed: bool| (k * 37 + 5) % 200 - if signed { 100 } else { 0 };
    let real = |k: i64| k as f64 * 0.25 - 3.0;
    match d {
        DType::Bool => Tensor::from(ks.map(|k| k % 3 == 0).collect::<Vec<_>>()),
        DType::U8 => Tensor::from(ks.map(|k| int(k, false) as u8).collect::<Vec<_>>()),
        DType::U16 => Tensor::from(ks.map(|k| int(k, false) as u16).collect::<Vec<_>>()),
        DType::U32 => Tensor::from(ks.map(|k| int(k, false) as u32).collect::<Vec<_>>()),
        DType::U64 => Tensor::from(
            ks.map(|k| (int(k, false) + (k << 33)) as u64)
                .collect::<Vec<_>>(),
        ),
        DType::I8 => Tensor::from(ks.map(|k| int(k, true) as i8).collect::<Vec<_>>()),
        DType::I16 => Tensor::from(ks.map(|k| int(k, true) as i16).collect::<Vec<_>>()),
        DType::I32 => Tensor::from(ks.map(|k| int(k, true) as i32).collect::<Vec<_>>()),
        DType::I64 => Tensor::from(ks.map(|k| int(k, true) + (k << 33)).collect::<Vec<_>>()),
        DType::F16 => Tensor::from(ks.map(|k| f16::from_f64(real(k))).collect::<Vec<_>>()),
        DType::BF16 => Tensor::from(ks.map(|k| bf16::from_f64(real(k))).collect::<Vec<_>>()),
        DType::F32 => Tensor::from(ks.map(|k| real(k) as f32).collect::<Vec<_>>()),
        DType::F64 => Tensor::from(ks.map(real).collect::<Vec<_>>()),
        DType::C64 => Tensor::from(
            ks.map(|k| Complex::new(k as f32 * 0.5, -(k as f32 + 0.25)))
                .collect::<Vec<_>>(),
        ),
        DType::C128 => Tensor::from(
            ks.map(|k| Complex::new(k as f64 * 0.5, -(k as f64 + 0.25)))
                .collect::<Vec<_>>(),
        ),
    }
}

#[test]
fn tensorbridge_files_load_in_numpy_and_scipy() {
    let Some(python) = python() else { return };
    let dir = temp_dir("to-numpy");
    for d in DType::ALL {
        let t = formula(d, 24).reshape([2, 3, 4]).unwrap();
        save_npy(dir.join(format!("tb_{}.npy", d.name())), &t).unwrap();
    }
    let m = formula(DType::F32, 12).reshape([3, 4]).unwrap();
    save_npy(dir.join("tb_transposed.npy"), &m.t().unwrap()).unwrap();
    save_npy(dir.join("tb_scalar.npy"), &Tensor::from(2.5f64)).unwrap();
    save_npy(
        dir.join("tb_empty.npy"),
        &Tensor::zeros([0, 3], DType::I32).unwrap(),
    )
    .unwrap();
    let a = formula(DType::F32, 6).reshape([2, 3]).unwrap();
    let b = formula(DType::I64, 5);
    let flag = Tensor::from(true);
    let members = [("a", &a), ("b", &b), ("flag", &flag)];
    save_npz(dir.join("tb_stored.npz"), &members).unwrap();
    save_npz_compressed(dir.join("tb_deflated.npz"), &members).unwrap();
    // [[1, 0, 2, 0], [0, 0, 3, 0], [4, 5, 0, 6]]
    let csr = ScipySparse::csr(
        [3, 4],
        Tensor::from([1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0]),
        Tensor::from([0i32, 2, 2, 0, 1, 3]),
        Tensor::from([0i32, 2, 3, 6]),
    )
    .unwrap();
    save_scipy_sparse_npz(dir.join("tb_csr.npz"), &csr, true).unwrap();
    // Column by column: rows 0 and 2 of column 0 hold 1 and 4, ...
    let csc = ScipySparse::csc(
        [3, 4],
        Tensor::from([1.0f64, 4.0, 5.0, 2.0, 3.0, 6.0]),
        Tensor::from([0i64, 2, 2, 0, 1, 2]),
        Tensor::from([0i64, 2, 3, 5, 6]),
    )
    .unwrap();
    save_scipy_sparse_npz(dir.join("tb_csc.npz"), &csc, false).unwrap();
    // COO with a duplicate at (2, 0): SciPy sums 1 + 3 = 4.
    let coo = ScipySparse::coo(
        [3, 4],
        Tensor::from([1.0f64, 2.0, 3.0, 1.0, 3.0, 5.0, 6.0]),
        Tensor::from([0i32, 0, 1, 2, 2, 2, 2]),
        Tensor::from([0i32, 2, 2, 0, 0, 1, 3]),
    )
    .unwrap()
    .with_sparray(true);
    save_scipy_sparse_npz(dir.join("tb_coo.npz"), &coo, true).unwrap();
    // The same matrix as a SparseTensor with its entries out of order.
    let st = SparseTensor::new(
        Tensor::from([[2i64, 3], [0, 0], [2, 1], [1, 2], [0, 2], [2, 0]]),
        Tensor::from([6.0f64, 1.0, 5.0, 3.0, 2.0, 4.0]),
        [3, 4],
    )
    .unwrap();
    for format in [
        ScipySparseFormat::Csr,
        ScipySparseFormat::Csc,
        ScipySparseFormat::Coo,
    ] {
        let path = dir.join(format!("tb_st_{}.npz", format.name()));
        save_sparse_npz(&path, &st, format).unwrap();
    }
    run_python(&python, "check", &dir);
    std::fs::remove_dir_all(&dir).unwrap();
}
