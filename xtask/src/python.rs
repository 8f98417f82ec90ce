//! The Python module (`import tensorbridge`): built with maturin into the
//! venv of [`crate::venv`], then its pytest suite (tests/python/test_*.py)
//! runs against real NumPy. `cargo xtask bench` builds it in release for
//! the W1d/W1e rows.

use std::path::PathBuf;
use std::process::Command;

use crate::{Result, venv, workspace_root};

/// How the test step reads in messages and in the list of CI steps.
pub(crate) const DESCRIPTION: &str =
    "(cd python && maturin develop) && .venv/bin/python -m pytest -q tests/python";

/// The venv's `maturin` (installed from tests/python/requirements.txt).
fn maturin() -> PathBuf {
    let python = venv::python();
    let bin = python
        .parent()
        .expect("the interpreter is in the venv's bin");
    bin.join(if cfg!(windows) {
        "maturin.exe"
    } else {
        "maturin"
    })
}

/// Builds the module into the venv (`maturin develop`, debug unless
/// `release`), so that `import tensorbridge` there loads this checkout.
pub(crate) fn develop(release: bool) -> Result<()> {
    let root = workspace_root();
    let venv_dir = venv::python()
        .parent()
        .and_then(|bin| bin.parent())
        .map(PathBuf::from)
        .expect("the venv holds bin/python");
    let mut command = Command::new(maturin());
    command.arg("develop").arg("--quiet");
    if release {
        command.arg("--release");
    }
    crate::run_command(
        command
            .env("VIRTUAL_ENV", venv_dir)
            .current_dir(root.join("python")),
        "`maturin develop` in python/ (pip install maturin into .venv: it is in tests/python/requirements.txt)",
    )
}

/// Builds the module (debug) and runs the pytest suite.
pub(crate) fn test() -> Result<()> {
    develop(false)?;
    let root = workspace_root();
    crate::run_command(
        Command::new(venv::python())
            .args(["-m", "pytest", "-q", "tests/python"])
            .current_dir(&root),
        "pytest of tests/python against the freshly built module",
    )
}

/// How the run on hostcuda reads in messages.
pub(crate) const HOSTCUDA_DESCRIPTION: &str = "LD_LIBRARY_PATH=target/hostcuda TENSORBRIDGE_EXPECT_CUDA=1 \
     .venv/bin/python -m pytest -q tests/python";

/// Runs the pytest suite again (the module built by [`test()`]) with the
/// hostcuda device, so that the module's GPU paths run: device scopes,
/// conversions of device tensors, DLPack of kDLCUDA tensors.
pub(crate) fn test_on_hostcuda() -> Result<()> {
    let mut command = Command::new(venv::python());
    command
        .args(["-m", "pytest", "-q", "tests/python"])
        .current_dir(workspace_root())
        .env("TENSORBRIDGE_EXPECT_CUDA", "1");
    crate::hostcuda::configure(&mut command);
    crate::run_command(&mut command, "pytest of tests/python on hostcuda")
}
