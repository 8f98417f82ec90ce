//! hostcuda: the CUDA driver, NVRTC and cuBLAS emulated on the host
//! (`crates/tensorbridge-cuda/emulation/hostcuda/`), so that the device
//! suites run their GPU iterations on a machine without a GPU. Built into
//! `target/hostcuda`; a command runs against it with that folder first on
//! `LD_LIBRARY_PATH` (cudarc loads the three libraries by name).

use std::path::PathBuf;
use std::process::Command;

use crate::{Result, workspace_root};

/// How the build reads in messages.
pub(crate) const DESCRIPTION: &str =
    "bash crates/tensorbridge-cuda/emulation/hostcuda/build.sh target/hostcuda";

/// Where the libraries are built.
pub(crate) fn lib_dir() -> PathBuf {
    workspace_root().join("target").join("hostcuda")
}

/// Builds the three libraries (g++, a few seconds).
pub(crate) fn build() -> Result<()> {
    let script = workspace_root().join("crates/tensorbridge-cuda/emulation/hostcuda/build.sh");
    crate::run_command(
        Command::new("bash").arg(&script).arg(lib_dir()),
        &format!("`{DESCRIPTION}`"),
    )
}

/// Points `command` at the emulated device: the libraries first on the
/// loader's path, and the PTX cache in its own folder (the emulated NVRTC's
/// "PTX" must never meet a real driver).
pub(crate) fn configure(command: &mut Command) {
    let current = std::env::var_os("LD_LIBRARY_PATH");
    command.env(
        "LD_LIBRARY_PATH",
        crate::venv::prepend_path(&lib_dir(), current.as_deref()),
    );
    command.env("XDG_CACHE_HOME", lib_dir().join("cache"));
}
