//! The Python venv of the NumPy/SciPy interop suite and of the Python
//! module's suite: `.venv` at the workspace root with numpy, scipy,
//! ml_dtypes, maturin and pytest from pip
//! (tests/python/requirements.txt), created when missing or incomplete and
//! reused otherwise. The same requirements bring libnvrtc (the
//! `nvidia-cuda-nvrtc` wheel, CUDA 13.0) for tensorbridge-cuda's kernel
//! compile test, which needs no GPU.

use std::path::PathBuf;
use std::process::Command;

use crate::{Result, workspace_root};

/// How the step reads in messages and in the list of CI steps.
pub(crate) const DESCRIPTION: &str =
    "python3 -m venv .venv && .venv/bin/python -m pip install -r tests/python/requirements.txt";

/// The venv's interpreter (whether or not it exists yet).
pub(crate) fn python() -> PathBuf {
    let venv = workspace_root().join(".venv");
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// Whether the venv's interpreter imports its packages and the NVRTC
/// wheel's library and ptxas are there.
fn complete() -> bool {
    Command::new(python())
        .args(["-c", "import numpy, scipy, ml_dtypes, maturin, pytest"])
        .output()
        .is_ok_and(|o| o.status.success())
        && nvrtc_lib_dir().is_some()
        && ptxas().is_some()
}

/// The venv's `site-packages/nvidia/cu13` directories (one per Python).
fn cu13_dirs() -> Vec<PathBuf> {
    let lib = workspace_root().join(".venv").join("lib");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&lib)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("python"))
        })
        .map(|p| p.join("site-packages").join("nvidia").join("cu13"))
        .collect();
    found.sort();
    found
}

/// The venv's `ptxas` (CUDA 13.0, from the `nvidia-cuda-nvcc` wheel), with
/// which tensorbridge-cuda's NVRTC test assembles its PTX.
pub(crate) fn ptxas() -> Option<PathBuf> {
    cu13_dirs()
        .into_iter()
        .rev()
        .map(|d| d.join("bin").join("ptxas"))
        .find(|p| p.is_file())
}

/// The directory of the venv's `libnvrtc.so.13` (the `nvidia-cuda-nvrtc`
/// wheel puts it in `site-packages/nvidia/cu13/lib`), if installed.
pub(crate) fn nvrtc_lib_dir() -> Option<PathBuf> {
    let lib = workspace_root().join(".venv").join("lib");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&lib)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("python"))
        })
        .map(|p| {
            p.join("site-packages")
                .join("nvidia")
                .join("cu13")
                .join("lib")
        })
        .filter(|d| d.join("libnvrtc.so.13").is_file())
        .collect();
    found.sort();
    found.pop()
}

/// `LD_LIBRARY_PATH` with `dir` in front of `current`.
pub(crate) fn prepend_path(
    dir: &std::path::Path,
    current: Option<&std::ffi::OsStr>,
) -> std::ffi::OsString {
    let mut value = dir.as_os_str().to_owned();
    if let Some(rest) = current.filter(|c| !c.is_empty()) {
        value.push(":");
        value.push(rest);
    }
    value
}

/// Makes sure the venv exists with its packages; the error says what failed
/// and what to install.
pub(crate) fn ensure() -> Result<()> {
    if complete() {
        println!("reusing {}", python().display());
        return Ok(());
    }
    let root = workspace_root();
    if !python().exists() {
        let base = std::env::var("TENSORBRIDGE_BASE_PYTHON").unwrap_or_else(|_| "python3".into());
        crate::run_command(
            Command::new(&base)
                .args(["-m", "venv", ".venv"])
                .current_dir(&root),
            &format!(
                "`{base} -m venv .venv` (install Python 3 with its venv module, e.g. \
                 `apt-get install python3-venv`, or point TENSORBRIDGE_BASE_PYTHON at an interpreter)"
            ),
        )?;
    }
    crate::run_command(
        Command::new(python())
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(root.join("tests/python/requirements.txt"))
            .current_dir(&root),
        "pip install of numpy, scipy, ml_dtypes, maturin, pytest, nvidia-cuda-nvrtc, \
         nvidia-cuda-nvcc into .venv (pip must reach PyPI)",
    )?;
    if !complete() {
        return Err(format!(
            "{} still cannot import numpy, scipy, ml_dtypes, maturin and pytest, or has no \
             nvidia/cu13/lib/libnvrtc.so.13 or nvidia/cu13/bin/ptxas, after pip install",
            python().display()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_dir_goes_in_front_of_the_loader_path() {
        let dir = std::path::Path::new("/v/nvidia/cu13/lib");
        assert_eq!(prepend_path(dir, None), "/v/nvidia/cu13/lib");
        assert_eq!(prepend_path(dir, Some("".as_ref())), "/v/nvidia/cu13/lib");
        assert_eq!(
            prepend_path(dir, Some("/usr/local/cuda/lib64".as_ref())),
            "/v/nvidia/cu13/lib:/usr/local/cuda/lib64"
        );
    }
}
