//! `cargo xtask fuzz`: the `.npy`/`.npz` readers' fuzzer.
//!
//! cargo-fuzz (libFuzzer) needs a nightly compiler for its sanitizer flags,
//! and this project builds on stable only, so the fuzzer is a stable
//! equivalent: `tests/fuzz/numpy.rs`, a mutation fuzzer (not coverage
//! guided) that mutates the valid and malformed corpus for a fixed time,
//! feeding every input to `read_npy` and `NpzReader`, and fails on a panic
//! or on an allocation larger than the input plus a small constant. A
//! failing input is saved under `target/fuzz-failures/`.

use crate::{Result, cargo};

/// Runs the fuzzer binary in release mode with the given options.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut seconds = "60".to_owned();
    let mut seed: Option<String> = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("`fuzz {name}` needs a value"))
        };
        match arg.as_str() {
            "--seconds" => seconds = value("--seconds")?,
            "--seed" => seed = Some(value("--seed")?),
            other => {
                return Err(format!(
                    "`fuzz` takes --seconds N and --seed S, got `{other}` (see `cargo xtask help`)"
                ));
            }
        }
    }
    if seconds.parse::<u64>().is_err() {
        return Err(format!("--seconds must be a whole number, got `{seconds}`"));
    }
    let mut cargo_args = vec![
        "run",
        "--release",
        "-p",
        "tensorbridge-tests",
        "--bin",
        "fuzz-numpy",
        "--",
        "--seconds",
        &seconds,
    ];
    if let Some(seed) = &seed {
        cargo_args.extend(["--seed", seed]);
    }
    let status = cargo(&cargo_args)
        .status()
        .map_err(|e| format!("could not start the fuzzer: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "the fuzzer found a failing input ({status}); see target/fuzz-failures/"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_and_bad_arguments() {
        let e = run(&["--minutes".to_owned()]).unwrap_err();
        assert!(e.contains("--minutes"), "{e}");
        let e = run(&["--seconds".to_owned(), "ten".to_owned()]).unwrap_err();
        assert!(e.contains("ten"), "{e}");
        let e = run(&["--seed".to_owned()]).unwrap_err();
        assert!(e.contains("needs a value"), "{e}");
    }
}
