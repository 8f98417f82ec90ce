//! The Python venv of the NumPy/SciPy interop suite and of the Python
//! module's suite: `.venv` at the workspace root with numpy, scipy,
//! ml_dtypes, maturin and pytest from pip
//! (tests/python/requirements.txt), created when missing or incomplete and
//! reused otherwise.

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

/// Whether the venv's interpreter imports all three packages.
fn complete() -> bool {
    Command::new(python())
        .args(["-c", "import numpy, scipy, ml_dtypes, maturin, pytest"])
        .output()
        .is_ok_and(|o| o.status.success())
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
        run(
            Command::new(&base)
                .args(["-m", "venv", ".venv"])
                .current_dir(&root),
            &format!(
                "`{base} -m venv .venv` (install Python 3 with its venv module, e.g. \
                 `apt-get install python3-venv`, or point TENSORBRIDGE_BASE_PYTHON at an interpreter)"
            ),
        )?;
    }
    run(
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
        "pip install of numpy, scipy, ml_dtypes, maturin, pytest into .venv (pip must reach PyPI)",
    )?;
    if !complete() {
        return Err(format!(
            "{} still cannot import numpy, scipy, ml_dtypes, maturin and pytest after pip install",
            python().display()
        ));
    }
    Ok(())
}

fn run(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .status()
        .map_err(|e| format!("could not start {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed with {status}"))
    }
}
