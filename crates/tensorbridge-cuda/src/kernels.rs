//! The kernel sources (`kernels/*.cu`, each compiled with
//! `kernels/prelude.cuh` prepended) and their compilation by NVRTC: for
//! the device's architecture, on first use, cached in memory and on disk.
//!
//! The disk cache lives in `$XDG_CACHE_HOME/tensorbridge/ptx` (or
//! `~/.cache/tensorbridge/ptx`); a file is named by a hash of the source,
//! the arch and the NVRTC version, and starts with a header holding that key
//! and a checksum of the PTX. A file whose header, key or checksum does not
//! match (corrupt, truncated, from another build) is ignored and rewritten;
//! an unreadable or unwritable cache directory just means compiling again.
#![expect(
    unsafe_code,
    reason = "nvrtcVersion is an unsafe fn of cudarc's raw bindings"
)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::driver::CudaFunction;
use cudarc::nvrtc::{CompileOptions, Ptx, compile_ptx_with_opts};

#[cfg(test)]
use crate::elem::ElemType;
use crate::error::{DriverContext, compile_error};
use crate::{CudaDevice, CudaError, Result};

/// Prepended to every kernel file.
pub(crate) const PRELUDE: &str = include_str!("../kernels/prelude.cuh");

/// One `.cu` file and the kernel entries it must define.
#[derive(Debug)]
pub(crate) struct KernelFile {
    /// The file name (also NVRTC's program name).
    pub(crate) name: &'static str,
    /// Its text.
    pub(crate) source: &'static str,
}

/// The per-element functions of the elementwise ops (see the file), shared
/// by `elementwise.cu` and the generated fused kernels (`fused.rs`).
pub(crate) const ELEMENTWISE_OPS: &str = include_str!("../kernels/elementwise_ops.cuh");

pub(crate) const ELEMENTWISE: KernelFile = KernelFile {
    name: "elementwise.cu",
    source: concat!(
        include_str!("../kernels/elementwise_ops.cuh"),
        "\n",
        include_str!("../kernels/elementwise.cu")
    ),
};
pub(crate) const REDUCE: KernelFile = KernelFile {
    name: "reduce.cu",
    source: include_str!("../kernels/reduce.cu"),
};
pub(crate) const MATMUL: KernelFile = KernelFile {
    name: "matmul.cu",
    source: include_str!("../kernels/matmul.cu"),
};
pub(crate) const RANDOM: KernelFile = KernelFile {
    name: "random.cu",
    source: include_str!("../kernels/random.cu"),
};
pub(crate) const IMAGE: KernelFile = KernelFile {
    name: "image.cu",
    source: include_str!("../kernels/image.cu"),
};
pub(crate) const INDEX: KernelFile = KernelFile {
    name: "index.cu",
    source: include_str!("../kernels/index.cu"),
};

#[cfg(test)]
/// Every kernel file.
pub(crate) const FILES: [&KernelFile; 6] =
    [&ELEMENTWISE, &REDUCE, &MATMUL, &RANDOM, &IMAGE, &INDEX];

#[cfg(test)]
/// The element-size suffixes of the type-agnostic kernels.
pub(crate) const SIZES: [usize; 5] = [1, 2, 4, 8, 16];

#[cfg(test)]
fn suffixes(pred: impl Fn(ElemType) -> bool) -> Vec<&'static str> {
    ElemType::ALL
        .into_iter()
        .filter(|&e| pred(e))
        .map(ElemType::suffix)
        .collect()
}

#[cfg(test)]
/// The entry names `file` must define (the NVRTC test checks each is in the
/// PTX; the launches use the same names).
pub(crate) fn expected_entries(file: &KernelFile) -> Vec<String> {
    let numeric = suffixes(|e| e != ElemType::Bool);
    let real = suffixes(|e| e.is_int() || e.is_float());
    let ints = suffixes(ElemType::is_int);
    let all = suffixes(|_| true);
    let mut out = Vec::new();
    let mut add = |prefix: &str, list: &[&str]| {
        out.extend(list.iter().map(|s| format!("{prefix}{s}")));
    };
    let sizes: Vec<String> = SIZES.iter().map(|s| format!("b{s}")).collect();
    let sizes: Vec<&str> = sizes.iter().map(String::as_str).collect();
    match file.name {
        "elementwise.cu" => {
            add("copy_", &sizes);
            add("fill_", &sizes);
            add("where_", &sizes);
            add("binary_", &all);
            add("unary_", &all);
            add("cast_from_", &all);
        }
        "reduce.cu" => {
            add("reduce_sum_", &numeric);
            add("reduce_ext_", &real);
            add("reduce_ext_", &["bool"]);
            add("reduce_truth_", &all);
            add("arg_", &real);
            add("arg_", &["bool"]);
            add("scan_", &numeric);
        }
        "matmul.cu" => {
            add("matmul_", &ints);
            add("matmul_", &["c64", "c128"]);
        }
        "random.cu" => {
            add("normal_", &["f16", "bf16", "f32", "f64"]);
            add("uniform_", &["f16", "bf16", "f32", "f64"]);
            add("uniform_int64_", &ints);
            add("uniform_int128_", &ints);
        }
        "image.cu" => add("gray_", &real),
        "index.cu" => {
            add(
                "",
                &[
                    "check_range",
                    "check_splits",
                    "check_coords",
                    "scatter_claim",
                ],
            );
            add("", &["scatter_repeats", "ids_from_splits"]);
            add("gather_", &sizes);
            add("pad_", &sizes);
            add("scatter_last_", &sizes);
            add("scatter_write_", &sizes);
            add("", &["scatter_mark"]);
            let direct = ["u32", "i32", "u64", "i64", "f32", "f64", "c64", "c128"];
            add("scatter_add_direct_", &direct);
            add("scatter_add_", &numeric);
            add("scatter_finish_", &numeric);
            add("segment_add_", &numeric);
            add("segment_finish_", &numeric);
        }
        _ => {}
    }
    out
}

/// The source NVRTC compiles for `file`: the prelude, then the file.
pub(crate) fn full_source(file: &KernelFile) -> String {
    format!("{PRELUDE}\n#line 1 \"{}\"\n{}", file.name, file.source)
}

/// The NVRTC arch for a compute capability: the newest one NVRTC 13 knows
/// that is not newer than the device (PTX for an older arch runs on newer
/// devices through the driver's JIT).
pub(crate) fn arch_for(cc: (u32, u32)) -> Result<&'static str> {
    const ARCHES: [((u32, u32), &str); 11] = [
        ((7, 5), "sm_75"),
        ((8, 0), "sm_80"),
        ((8, 6), "sm_86"),
        ((8, 7), "sm_87"),
        ((8, 9), "sm_89"),
        ((9, 0), "sm_90"),
        ((10, 0), "sm_100"),
        ((10, 3), "sm_103"),
        ((11, 0), "sm_110"),
        ((12, 0), "sm_120"),
        ((12, 1), "sm_121"),
    ];
    ARCHES
        .iter()
        .rev()
        .find(|(c, _)| *c <= cc)
        .map(|(_, a)| *a)
        .ok_or_else(|| {
            CudaError::Unsupported(format!(
                "compute capability {}.{} is below 7.5, the oldest CUDA 13 supports",
                cc.0, cc.1
            ))
        })
}

/// NVRTC's `(major, minor)` version.
pub(crate) fn nvrtc_version() -> Result<(i32, i32)> {
    if !crate::probe::nvrtc_present() {
        return Err(CudaError::Unavailable(
            "libnvrtc (CUDA 13) was not found; put the CUDA toolkit's lib64 (or the pip wheel \
             nvidia-cuda-nvrtc's nvidia/cu13/lib) on LD_LIBRARY_PATH"
                .into(),
        ));
    }
    let (mut major, mut minor) = (0, 0);
    // SAFETY: nvrtcVersion writes two ints through valid pointers; the
    // library was found above, so the symbol lookup cannot panic for lack of it.
    let status = unsafe { cudarc::nvrtc::sys::nvrtcVersion(&mut major, &mut minor) };
    if status != cudarc::nvrtc::sys::nvrtcResult::NVRTC_SUCCESS {
        return Err(CudaError::KernelCompile(format!(
            "nvrtcVersion failed: {status:?}"
        )));
    }
    Ok((major, minor))
}

/// Compiles `file` for `arch` with NVRTC (no cache).
pub(crate) fn compile(file: &KernelFile, arch: &'static str) -> Result<String> {
    compile_source(file.name, full_source(file), arch)
}

/// Compiles the complete `source` (named `name` in NVRTC's log) for `arch`
/// with NVRTC (no cache).
pub(crate) fn compile_source(name: &str, source: String, arch: &'static str) -> Result<String> {
    nvrtc_version()?;
    let opts = CompileOptions {
        arch: Some(arch),
        // No fused multiply-add: every product and sum rounds on its own,
        // as in Rust, so random numbers and casts match core to the bit.
        fmad: Some(false),
        options: vec!["--std=c++17".into()],
        name: Some(name.into()),
        ..Default::default()
    };
    compile_ptx_with_opts(source, opts)
        .map(|p| p.to_src())
        .map_err(|e| compile_error(name, arch, e))
}

/// FNV-1a, 64 bits: a hash that is the same in every build and on every
/// platform (the cache key must not depend on std's hasher).
pub(crate) fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // Separate the parts, so ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The cache key of a source compiled for `arch` by NVRTC `version`.
pub(crate) fn cache_key(source: &str, arch: &str, version: (i32, i32)) -> u64 {
    let v = format!("{}.{}", version.0, version.1);
    fnv1a(&[
        source.as_bytes(),
        arch.as_bytes(),
        v.as_bytes(),
        b"fmad=false c++17",
    ])
}

/// The disk cache directory, from the environment (`None` without a home).
pub(crate) fn cache_dir_from(xdg: Option<&str>, home: Option<&str>) -> Option<PathBuf> {
    match (xdg, home) {
        (Some(x), _) if !x.is_empty() => Some(Path::new(x).join("tensorbridge").join("ptx")),
        (_, Some(h)) if !h.is_empty() => {
            Some(Path::new(h).join(".cache").join("tensorbridge").join("ptx"))
        }
        _ => None,
    }
}

fn cache_dir() -> Option<PathBuf> {
    let xdg = std::env::var("XDG_CACHE_HOME").ok();
    let home = std::env::var("HOME").ok();
    cache_dir_from(xdg.as_deref(), home.as_deref())
}

const HEADER: &str = "// tensorbridge-cuda ptx cache";

/// The text of a cache file for `ptx` under `key`.
pub(crate) fn cache_file_text(key: u64, ptx: &str) -> String {
    format!(
        "{HEADER} {key:016x} {:016x}\n{ptx}",
        fnv1a(&[ptx.as_bytes()])
    )
}

/// The PTX of a cache file, if its header names `key` and its checksum
/// matches; anything else (corrupt, truncated, other key) is `None`.
pub(crate) fn parse_cache_file(key: u64, text: &str) -> Option<&str> {
    let (header, ptx) = text.split_once('\n')?;
    let rest = header.strip_prefix(HEADER)?.trim();
    let (k, sum) = rest.split_once(' ')?;
    if u64::from_str_radix(k, 16).ok()? != key {
        return None;
    }
    if u64::from_str_radix(sum, 16).ok()? != fnv1a(&[ptx.as_bytes()]) {
        return None;
    }
    // cudarc hands PTX to the driver as a C string: a NUL inside would
    // panic there, so such a file is never trusted.
    if !ptx.contains(".entry") || ptx.contains('\0') {
        return None;
    }
    Some(ptx)
}

fn load_from_disk(dir: &Path, key: u64) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(format!("{key:016x}.ptx"))).ok()?;
    parse_cache_file(key, &text).map(str::to_owned)
}

fn store_to_disk(dir: &Path, key: u64, ptx: &str) {
    // Best effort: a cache that cannot be written only costs a recompile.
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = dir.join(format!("{key:016x}.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, cache_file_text(key, ptx)).is_ok() {
        let _ = std::fs::rename(&tmp, dir.join(format!("{key:016x}.ptx")));
    }
    let _ = std::fs::remove_file(&tmp);
}

/// The PTX of `file` for `arch`: from memory, else from disk, else compiled
/// (and then stored in both).
pub(crate) fn ptx_for(file: &KernelFile, arch: &'static str) -> Result<Arc<String>> {
    type Memory = Mutex<HashMap<(&'static str, &'static str), Arc<String>>>;
    static MEMORY: OnceLock<Memory> = OnceLock::new();
    let memory = MEMORY.get_or_init(Default::default);
    if let Some(p) = memory
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&(file.name, arch))
    {
        return Ok(Arc::clone(p));
    }
    let version = nvrtc_version()?;
    let source = full_source(file);
    let key = cache_key(&source, arch, version);
    let dir = cache_dir();
    let ptx = match dir.as_deref().and_then(|d| load_from_disk(d, key)) {
        Some(p) => p,
        None => {
            let p = compile(file, arch)?;
            if let Some(d) = dir.as_deref() {
                store_to_disk(d, key, &p);
            }
            p
        }
    };
    let ptx = Arc::new(ptx);
    memory
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert((file.name, arch), Arc::clone(&ptx));
    Ok(ptx)
}

/// The PTX of a generated `source` (complete, prelude included; `name` for
/// NVRTC's log) for `arch`: from memory, else from disk, else compiled, as
/// [`ptx_for`] does for the kernel files; both caches are keyed by
/// [`cache_key`] (the source's hash, the arch and the NVRTC version).
pub(crate) fn ptx_for_source(name: &str, source: &str, arch: &'static str) -> Result<Arc<String>> {
    static MEMORY: OnceLock<Mutex<HashMap<u64, Arc<String>>>> = OnceLock::new();
    let memory = MEMORY.get_or_init(Default::default);
    let version = nvrtc_version()?;
    let key = cache_key(source, arch, version);
    if let Some(p) = memory.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(Arc::clone(p));
    }
    let dir = cache_dir();
    let ptx = match dir.as_deref().and_then(|d| load_from_disk(d, key)) {
        Some(p) => p,
        None => {
            let p = compile_source(name, source.to_owned(), arch)?;
            if let Some(d) = dir.as_deref() {
                store_to_disk(d, key, &p);
            }
            p
        }
    };
    let ptx = Arc::new(ptx);
    memory
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, Arc::clone(&ptx));
    Ok(ptx)
}

impl CudaDevice {
    /// The kernel `entry` of `file`, loading the module for this device's
    /// arch on first use.
    pub(crate) fn function(&self, file: &KernelFile, entry: &str) -> Result<CudaFunction> {
        if let Some(f) = self
            .functions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(entry)
        {
            return Ok(f.clone());
        }
        let module = {
            let mut modules = self.modules.lock().unwrap_or_else(|p| p.into_inner());
            match modules.get(file.name) {
                Some(m) => Arc::clone(m),
                None => {
                    let arch = arch_for(self.compute_capability())?;
                    let ptx = ptx_for(file, arch)?;
                    let m = self
                        .ctx
                        .load_module(Ptx::from_src(ptx.as_str()))
                        .ctx(&format!("loading the PTX of {} for {arch}", file.name))?;
                    modules.insert(file.name, Arc::clone(&m));
                    m
                }
            }
        };
        let f = module
            .load_function(entry)
            .ctx(&format!("finding kernel {entry} in {}", file.name))?;
        self.functions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(entry.to_owned(), f.clone());
        Ok(f)
    }
}

#[cfg(test)]
/// With `TENSORBRIDGE_PTXAS` naming a `ptxas` (CUDA 13.0, e.g. from the
/// `nvidia-cuda-nvcc` wheel), the PTX is also assembled for real, as
/// the driver does when it loads a module: what NVRTC accepts but the
/// assembler rejects (an instruction the arch lacks, too much shared
/// memory) fails here instead of on a GPU.
pub(crate) fn assemble_with_ptxas(ptx: &str, arch: &str, name: &str) -> Option<String> {
    let ptxas = std::env::var_os("TENSORBRIDGE_PTXAS")?;
    // One directory per call: tests assemble in parallel.
    let dir = std::env::temp_dir().join(format!("tb-ptxas-{}-{name}-{arch}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let src = dir.join(format!("{name}.{arch}.ptx"));
    std::fs::write(&src, ptx).ok()?;
    let out = std::process::Command::new(ptxas)
        .args(["-arch", arch, "-o"])
        .arg(dir.join(format!("{name}.{arch}.cubin")))
        .arg(&src)
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    match out {
        Ok(o) if o.status.success() => {
            println!("{name} for {arch}: ptxas ok");
            None
        }
        Ok(o) => Some(format!(
            "ptxas rejected {name} for {arch}: {}",
            String::from_utf8_lossy(&o.stderr)
        )),
        Err(e) => Some(format!("could not run TENSORBRIDGE_PTXAS: {e}")),
    }
}

/// Whether libnvrtc can be loaded for a compile test: `false` (after a
/// printed `SKIPPED` line) when it cannot; a panic instead under
/// `TENSORBRIDGE_EXPECT_NVRTC=1`, which `cargo xtask test` sets, so a CI run
/// without NVRTC fails rather than skips.
#[cfg(test)]
pub(crate) fn nvrtc_or_skip() -> bool {
    let expect = std::env::var("TENSORBRIDGE_EXPECT_NVRTC").is_ok_and(|v| v == "1");
    match nvrtc_version() {
        Ok(_) => true,
        Err(e) => {
            assert!(
                !expect,
                "TENSORBRIDGE_EXPECT_NVRTC=1 but NVRTC is unavailable: {e}"
            );
            println!("SKIPPED: NVRTC unavailable: {e}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_is_the_newest_not_above_the_device() {
        assert_eq!(arch_for((9, 0)).unwrap(), "sm_90");
        assert_eq!(arch_for((8, 0)).unwrap(), "sm_80");
        assert_eq!(arch_for((8, 8)).unwrap(), "sm_87");
        assert_eq!(arch_for((13, 0)).unwrap(), "sm_121");
        assert!(arch_for((7, 0)).is_err());
    }

    #[test]
    fn cache_keys_change_with_source_arch_and_version() {
        let k = cache_key("a", "sm_90", (13, 0));
        assert_eq!(k, cache_key("a", "sm_90", (13, 0)));
        assert_ne!(k, cache_key("b", "sm_90", (13, 0)));
        assert_ne!(k, cache_key("a", "sm_80", (13, 0)));
        assert_ne!(k, cache_key("a", "sm_90", (13, 1)));
        assert_ne!(fnv1a(&[b"ab", b"c"]), fnv1a(&[b"a", b"bc"]));
        // The published FNV-1a test vector for "a" (before our part separator).
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        h ^= u64::from(b'a');
        h = h.wrapping_mul(0x0100_0000_01b3);
        assert_eq!(h, 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn corrupt_cache_files_are_rejected() {
        let ptx = ".version 9.0\n.entry foo()\n{}\n";
        let good = cache_file_text(7, ptx);
        assert_eq!(parse_cache_file(7, &good), Some(ptx));
        assert_eq!(parse_cache_file(8, &good), None, "other key");
        let truncated = &good[..good.len() - 3];
        assert_eq!(parse_cache_file(7, truncated), None, "truncated");
        let flipped = good.replace("foo", "fop");
        assert_eq!(parse_cache_file(7, &flipped), None, "changed byte");
        assert_eq!(parse_cache_file(7, "garbage"), None);
        assert_eq!(parse_cache_file(7, ""), None);
        let no_entry = cache_file_text(7, "nothing");
        assert_eq!(parse_cache_file(7, &no_entry), None);
        let nul = cache_file_text(7, ".entry k()\0");
        assert_eq!(parse_cache_file(7, &nul), None, "a NUL inside");
    }

    #[test]
    fn disk_cache_round_trips_and_ignores_garbage() {
        let dir = std::env::temp_dir().join(format!("tb-cuda-cache-test-{}", std::process::id()));
        let ptx = ".entry k()\n";
        store_to_disk(&dir, 42, ptx);
        assert_eq!(load_from_disk(&dir, 42).as_deref(), Some(ptx));
        std::fs::write(dir.join(format!("{:016x}.ptx", 43u64)), b"\xff\xfe not ptx").unwrap();
        assert_eq!(load_from_disk(&dir, 43), None);
        assert_eq!(load_from_disk(&dir, 44), None, "missing file");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cache_dir_prefers_xdg_then_home() {
        assert_eq!(
            cache_dir_from(Some("/x"), Some("/h")),
            Some(PathBuf::from("/x/tensorbridge/ptx"))
        );
        assert_eq!(
            cache_dir_from(Some(""), Some("/h")),
            Some(PathBuf::from("/h/.cache/tensorbridge/ptx"))
        );
        assert_eq!(cache_dir_from(None, None), None);
    }

    /// Compiles every kernel file for sm_80 and sm_90 and checks that the
    /// PTX defines every expected entry. Needs libnvrtc (CUDA 13), not a GPU:
    /// `cargo xtask test` installs the `nvidia-cuda-nvrtc` wheel, puts it on
    /// `LD_LIBRARY_PATH` and sets `TENSORBRIDGE_EXPECT_NVRTC=1`, which turns
    /// the skip (no libnvrtc) into a failure.
    #[test]
    fn nvrtc_compiles_every_kernel_file_for_sm80_and_sm90() {
        if !crate::kernels::nvrtc_or_skip() {
            return;
        }
        let mut failures = Vec::new();
        for arch in ["sm_80", "sm_90"] {
            for file in FILES {
                match compile(file, arch) {
                    Ok(ptx) => {
                        assert!(
                            ptx.contains(&format!(".target {arch}")),
                            "{} {arch}",
                            file.name
                        );
                        let entries = expected_entries(file);
                        for e in &entries {
                            if !ptx.contains(&format!(".entry {e}(")) {
                                failures.push(format!("{} for {arch}: no entry {e}", file.name));
                            }
                        }
                        println!("{} for {arch}: {} entries", file.name, entries.len());
                        // TENSORBRIDGE_PTX_DUMP=dir keeps the PTX for inspection.
                        if let Some(dir) = std::env::var_os("TENSORBRIDGE_PTX_DUMP") {
                            let path = std::path::Path::new(&dir)
                                .join(format!("{}.{arch}.ptx", file.name));
                            std::fs::write(path, &ptx).expect("writing TENSORBRIDGE_PTX_DUMP");
                        }
                        if let Some(e) = assemble_with_ptxas(&ptx, arch, file.name) {
                            failures.push(e);
                        }
                    }
                    Err(e) => failures.push(e.to_string()),
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn every_file_lists_entries() {
        for f in FILES {
            assert!(!expected_entries(f).is_empty(), "{}", f.name);
        }
        let e = expected_entries(&ELEMENTWISE);
        assert!(e.contains(&"binary_bf16".to_string()));
        assert!(e.contains(&"copy_b16".to_string()));
    }
}
