//! `cargo xtask test`: every check CI runs, cheapest first, stopping at the
//! first failure.

use std::time::{Duration, Instant};

use crate::{Result, cargo, describe, hostcuda, human_duration, python, venv};

/// What an invocation runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Program {
    /// `cargo` with the arguments.
    Cargo,
    /// Creates (or reuses) the Python venv of the NumPy/SciPy interop suite.
    PythonVenv,
    /// Builds the Python module into the venv with maturin and runs pytest.
    PythonModule,
    /// Builds the host-emulated CUDA libraries (hostcuda).
    HostCudaBuild,
    /// `cargo` with the arguments, against the hostcuda device.
    CargoOnHostCuda,
    /// The pytest suite again (the module already built), on hostcuda.
    PythonOnHostCuda,
}

/// One invocation of a step.
struct Invocation {
    /// What runs.
    program: Program,
    /// Environment variables set for it.
    env: &'static [(&'static str, &'static str)],
    /// Arguments after `cargo`.
    args: &'static [&'static str],
}

impl Invocation {
    /// The command line as it reads in messages.
    fn line(&self) -> String {
        match self.program {
            Program::Cargo => describe(self.env, self.args),
            Program::CargoOnHostCuda => format!(
                "LD_LIBRARY_PATH=target/hostcuda {}",
                describe(self.env, self.args)
            ),
            Program::HostCudaBuild => hostcuda::DESCRIPTION.to_owned(),
            Program::PythonOnHostCuda => python::HOSTCUDA_DESCRIPTION.to_owned(),
            Program::PythonVenv => venv::DESCRIPTION.to_owned(),
            Program::PythonModule => python::DESCRIPTION.to_owned(),
        }
    }
}

/// A named check made of one or more cargo invocations.
struct Step {
    /// What the step checks, for headers and failure messages.
    title: &'static str,
    /// The invocations, run in order.
    invocations: &'static [Invocation],
}

/// Shorthand for an invocation without extra environment.
const fn cargo_args(args: &'static [&'static str]) -> Invocation {
    Invocation {
        program: Program::Cargo,
        env: &[],
        args,
    }
}

/// A cargo invocation against the hostcuda device, with GPU skips made
/// failures.
const fn on_hostcuda(args: &'static [&'static str]) -> Invocation {
    Invocation {
        program: Program::CargoOnHostCuda,
        env: &[("TENSORBRIDGE_EXPECT_CUDA", "1")],
        args,
    }
}

/// The steps, cheapest first, so a failure shows up as early as it can.
const STEPS: &[Step] = &[
    Step {
        title: "formatting",
        invocations: &[cargo_args(&["fmt", "--all", "--check"])],
    },
    Step {
        title: "clippy, warnings denied",
        invocations: &[cargo_args(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ])],
    },
    Step {
        title: "facade with no default features and with all features",
        invocations: &[
            cargo_args(&["build", "-p", "tensorbridge", "--no-default-features"]),
            cargo_args(&["build", "-p", "tensorbridge", "--all-features"]),
        ],
    },
    Step {
        title: "Python venv (numpy, scipy, ml_dtypes, maturin, pytest; libnvrtc and ptxas for the CUDA kernel test)",
        invocations: &[Invocation {
            program: Program::PythonVenv,
            env: &[],
            args: &[],
        }],
    },
    Step {
        title: "tests (unit, integration, property, doc; NumPy/SciPy interop, NVRTC and kernel emulation required)",
        invocations: &[Invocation {
            program: Program::Cargo,
            env: &[
                ("TENSORBRIDGE_EXPECT_PYTHON", "1"),
                ("TENSORBRIDGE_EXPECT_NVRTC", "1"),
                ("TENSORBRIDGE_EXPECT_EMULATION", "1"),
            ],
            args: &["test", "--workspace"],
        }],
    },
    Step {
        title: "the Python module against real NumPy (maturin, pytest)",
        invocations: &[Invocation {
            program: Program::PythonModule,
            env: &[],
            args: &[],
        }],
    },
    Step {
        title: "the CUDA feature: every suite built with the backend, the no-GPU paths run",
        invocations: &[cargo_args(&[
            "test",
            "-p",
            "tensorbridge-tests",
            "--features",
            "cuda",
        ])],
    },
    Step {
        title: "every device suite on hostcuda (the CUDA driver, NVRTC and cuBLAS emulated on the CPU): \
                the GPU iterations run",
        invocations: &[
            Invocation {
                program: Program::HostCudaBuild,
                env: &[],
                args: &[],
            },
            on_hostcuda(&["test", "-p", "tensorbridge-tests", "--features", "cuda"]),
            // Two emulated GPUs for the test that needs them.
            Invocation {
                program: Program::CargoOnHostCuda,
                env: &[
                    ("TENSORBRIDGE_EXPECT_CUDA", "1"),
                    ("HOSTCUDA_DEVICES", "2"),
                    ("TENSORBRIDGE_EXPECT_GPUS", "2"),
                ],
                args: &[
                    "test",
                    "-p",
                    "tensorbridge-tests",
                    "--features",
                    "cuda",
                    "--test",
                    "cuda",
                    "two_gpus",
                ],
            },
            // The PTX checks need the real NVRTC (step 5 runs them).
            on_hostcuda(&[
                "test",
                "-p",
                "tensorbridge-cuda",
                "--lib",
                "--test",
                "gpu",
                "--",
                "--skip",
                "nvrtc_compiles",
                "--skip",
                "fused_ptx_is_cached",
            ]),
            // A device below sm_80: bf16 arithmetic is a typed error there.
            Invocation {
                program: Program::CargoOnHostCuda,
                env: &[("TENSORBRIDGE_EXPECT_CUDA", "1"), ("HOSTCUDA_CC", "7.5")],
                args: &["test", "-p", "tensorbridge-cuda", "--test", "gpu"],
            },
            on_hostcuda(&["test", "-p", "tensorbridge-cuda", "--doc"]),
            Invocation {
                program: Program::PythonOnHostCuda,
                env: &[],
                args: &[],
            },
            on_hostcuda(&[
                "test",
                "-p",
                "tensorbridge-core",
                "-p",
                "tensorbridge-numpy",
                "-p",
                "tensorbridge-sparse",
                "-p",
                "tensorbridge-ragged",
                "-p",
                "tensorbridge",
                "--features",
                "tensorbridge/cuda,tensorbridge/dlpack",
            ]),
            // The README's main job, its GPU scenario on the emulated GPU.
            on_hostcuda(&[
                "run",
                "-p",
                "tensorbridge",
                "--features",
                "cuda",
                "--example",
                "tour",
            ]),
        ],
    },
    Step {
        title: "benches in test mode",
        invocations: &[cargo_args(&[
            "test",
            "-p",
            "tensorbridge-benches",
            "--benches",
            "--features",
            "cuda",
        ])],
    },
    Step {
        title: "the README's tour example",
        invocations: &[cargo_args(&[
            "run",
            "-p",
            "tensorbridge",
            "--example",
            "tour",
        ])],
    },
    Step {
        title: "docs, warnings denied",
        invocations: &[Invocation {
            program: Program::Cargo,
            env: &[("RUSTDOCFLAGS", "-D warnings")],
            args: &["doc", "--workspace", "--no-deps"],
        }],
    },
];

/// Runs every step; the error names the step and the command that failed.
pub(crate) fn run(args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        return Err(format!(
            "`test` takes no arguments, got `{arg}` (see `cargo xtask help`)"
        ));
    }
    let total = STEPS.len();
    let started = Instant::now();
    let mut times: Vec<(&str, Duration)> = Vec::with_capacity(total);
    for (index, step) in STEPS.iter().enumerate() {
        let number = index + 1;
        let step_started = Instant::now();
        for invocation in step.invocations {
            let line = invocation.line();
            println!("\n==> [{number}/{total}] {}: {line}", step.title);
            if !matches!(
                invocation.program,
                Program::Cargo | Program::CargoOnHostCuda
            ) {
                let outcome = match invocation.program {
                    Program::PythonVenv => venv::ensure(),
                    Program::HostCudaBuild => hostcuda::build(),
                    Program::PythonOnHostCuda => python::test_on_hostcuda(),
                    _ => python::test(),
                };
                outcome.map_err(|e| {
                    format!(
                        "step {number}/{total} ({}) FAILED after {}: {e}",
                        step.title,
                        human_duration(step_started.elapsed()),
                    )
                })?;
                continue;
            }
            let mut command = cargo(invocation.args);
            // The interop suite finds the venv's interpreter here (set for
            // every cargo step; only the tests read it).
            command.env("TENSORBRIDGE_PYTHON", venv::python());
            if invocation.program == Program::CargoOnHostCuda {
                hostcuda::configure(&mut command);
            } else if let Some(dir) = venv::nvrtc_lib_dir() {
                // tensorbridge-cuda's NVRTC test loads libnvrtc.so.13 from
                // the venv's nvidia-cuda-nvrtc wheel (dlopen by name: the
                // loader must find it).
                let current = std::env::var_os("LD_LIBRARY_PATH");
                command.env(
                    "LD_LIBRARY_PATH",
                    venv::prepend_path(&dir, current.as_deref()),
                );
            }
            // ... and assembles that PTX with the venv's ptxas (from the
            // nvidia-cuda-nvcc wheel), as the driver would on a GPU.
            if let Some(ptxas) = venv::ptxas() {
                command.env("TENSORBRIDGE_PTXAS", ptxas);
            }
            let status = command
                .envs(invocation.env.iter().copied())
                .status()
                .map_err(|e| {
                    format!(
                        "step {number}/{total} ({}): could not start `{line}`: {e}",
                        step.title
                    )
                })?;
            if !status.success() {
                return Err(format!(
                    "step {number}/{total} ({}) FAILED after {}: `{line}` exited with {status}",
                    step.title,
                    human_duration(step_started.elapsed()),
                ));
            }
        }
        let elapsed = step_started.elapsed();
        println!(
            "==> [{number}/{total}] {}: ok in {}",
            step.title,
            human_duration(elapsed)
        );
        times.push((step.title, elapsed));
    }
    println!("\nall {total} steps passed:");
    for (index, (title, elapsed)) in times.iter().enumerate() {
        println!(
            "  [{}/{total}] {:>10}  {title}",
            index + 1,
            human_duration(*elapsed)
        );
    }
    println!("  total {:>12}", human_duration(started.elapsed()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_cover_what_ci_checks() {
        let lines: Vec<String> = STEPS
            .iter()
            .flat_map(|step| step.invocations)
            .map(Invocation::line)
            .collect();
        assert_eq!(
            lines,
            [
                "cargo fmt --all --check",
                "cargo clippy --workspace --all-targets --all-features -- -D warnings",
                "cargo build -p tensorbridge --no-default-features",
                "cargo build -p tensorbridge --all-features",
                "python3 -m venv .venv && .venv/bin/python -m pip install -r tests/python/requirements.txt",
                "TENSORBRIDGE_EXPECT_PYTHON=1 TENSORBRIDGE_EXPECT_NVRTC=1 \
                 TENSORBRIDGE_EXPECT_EMULATION=1 cargo test --workspace",
                "(cd python && maturin develop) && .venv/bin/python -m pytest -q tests/python",
                "cargo test -p tensorbridge-tests --features cuda",
                "bash crates/tensorbridge-cuda/emulation/hostcuda/build.sh target/hostcuda",
                "LD_LIBRARY_PATH=target/hostcuda TENSORBRIDGE_EXPECT_CUDA=1 cargo test -p \
                 tensorbridge-tests --features cuda",
                "LD_LIBRARY_PATH=target/hostcuda TENSORBRIDGE_EXPECT_CUDA=1 HOSTCUDA_DEVICES=2 \
                 TENSORBRIDGE_EXPECT_GPUS=2 cargo test -p tensorbridge-tests --features cuda \
                 --test cuda two_gpus",
                "LD_LIBRARY_PATH=target/hostcuda TENSORBRIDGE_EXPECT_CUDA=1 cargo test -p \
                 tensorbridge-cuda --lib --test gpu -- --skip nvrtc_compiles --skip \
                 fused_ptx_is_cached",
                "LD_LIBRARY_PATH=target/hostcuda TENSORBRIDGE_EXPECT_CUDA=1 HOSTCUDA_CC=7.5 cargo \
                 test -p tensorbridge-cuda --test gpu",
                "LD_LIBRARY_PATH=target/hostcuda TENSORBRIDGE_EXPECT_CUDA=1 cargo test -p \
                 tensorbridge-cuda --doc",
                "LD_LIBRARY_PATH=target/hostcuda TENSORBRIDGE_EXPECT_CUDA=1 .venv/bin/python -m \
                 pytest -q tests/python",
                "LD_LIBRARY_PATH=target/hostcuda TENSORBRIDGE_EXPECT_CUDA=1 cargo test -p \
                 tensorbridge-core -p tensorbridge-numpy -p tensorbridge-sparse -p \
                 tensorbridge-ragged -p tensorbridge --features \
                 tensorbridge/cuda,tensorbridge/dlpack",
                "LD_LIBRARY_PATH=target/hostcuda TENSORBRIDGE_EXPECT_CUDA=1 cargo run -p \
                 tensorbridge --features cuda --example tour",
                "cargo test -p tensorbridge-benches --benches --features cuda",
                "cargo run -p tensorbridge --example tour",
                "RUSTDOCFLAGS=\"-D warnings\" cargo doc --workspace --no-deps",
            ]
        );
    }

    #[test]
    fn rejects_arguments() {
        let err = run(&["--fast".to_owned()]).unwrap_err();
        assert!(err.contains("--fast"), "{err}");
    }
}
