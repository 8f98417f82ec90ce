//! `cargo xtask`: tensorbridge's project automation, in Rust so it runs
//! wherever cargo does.
//!
//! - `cargo xtask test` runs every check CI runs, cheapest first.
//! - `cargo xtask bench [FILTER] [--json PATH]` runs the criterion benches
//!   and reports each workload of BENCHMARKS.md against its target.
//! - `cargo xtask fuzz [--seconds N] [--seed S]` runs the `.npy`/`.npz`
//!   readers' mutation fuzzer.
//!
//! The alias lives in `.cargo/config.toml`.

mod bench;
mod fuzz;
mod hostcuda;
mod python;
mod test;
mod venv;
mod workloads;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

/// Errors are messages for a person: what failed and what to do.
type Result<T, E = String> = std::result::Result<T, E>;

/// What `cargo xtask help` prints.
const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test                        run every check CI runs, cheapest first:
                              fmt, clippy, facade feature builds, the
                              Python venv (numpy, scipy, ml_dtypes, maturin,
                              pytest), tests (NumPy/SciPy interop included),
                              the Python module (maturin + pytest), benches
                              in test mode, the tour example, docs
  bench [FILTER] [--json PATH]
                              run the criterion benches (only the groups
                              matching FILTER, a regex, when given) and
                              print each workload of BENCHMARKS.md against
                              its target (W1d/W1e: the Python module built
                              in release, timed by benches/python);
                              --json also writes the rows to PATH
  fuzz [--seconds N] [--seed S]
                              fuzz read_npy and the npz reader for N seconds
                              (default 60): mutated valid and malformed
                              files, checking no panic and bounded memory
  help                        print this message
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match command {
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        "test" => test::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of this package's directory.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// A `cargo` command run in the workspace root: the cargo that started
/// xtask (`$CARGO`) when set, else `cargo` from `PATH`.
fn cargo(args: &[&str]) -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    command.args(args).current_dir(workspace_root());
    command
}

/// Runs `command` to its end; the error names `what` and the exit status.
fn run_command(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .status()
        .map_err(|e| format!("could not start {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} exited with {status}"))
    }
}

/// How a command line reads in messages: `cargo test --workspace`, with
/// any environment it sets in front (`RUSTDOCFLAGS="-D warnings" cargo doc`).
fn describe(env: &[(&str, &str)], args: &[&str]) -> String {
    let mut words: Vec<String> = env
        .iter()
        .map(|(key, value)| format!("{key}={}", quote(value)))
        .collect();
    words.push("cargo".to_owned());
    words.extend(args.iter().map(|arg| quote(arg)));
    words.join(" ")
}

/// `word`, in double quotes when it holds a space.
fn quote(word: &str) -> String {
    if word.contains(' ') {
        format!("\"{word}\"")
    } else {
        word.to_owned()
    }
}

/// A duration for a person: `850 ms`, `12.3 s`, `4 min 05 s`.
fn human_duration(elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    if secs < 1.0 {
        format!("{:.0} ms", secs * 1e3)
    } else if secs < 60.0 {
        format!("{secs:.1} s")
    } else {
        let whole = elapsed.as_secs();
        format!("{} min {:02} s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_quotes_words_with_spaces() {
        assert_eq!(
            describe(&[("RUSTDOCFLAGS", "-D warnings")], &["doc", "--no-deps"]),
            "RUSTDOCFLAGS=\"-D warnings\" cargo doc --no-deps"
        );
        assert_eq!(describe(&[], &["fmt", "--all"]), "cargo fmt --all");
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(Duration::from_millis(850)), "850 ms");
        assert_eq!(human_duration(Duration::from_millis(12_345)), "12.3 s");
        assert_eq!(human_duration(Duration::from_secs(245)), "4 min 05 s");
    }

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("xtask").is_dir());
    }
}
