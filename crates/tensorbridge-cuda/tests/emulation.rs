//! The kernels emulated on the CPU and compared with core's CPU ops
//! (`emulation/run.sh`, see `emulation/README.md`): the check of kernel
//! semantics that runs without a GPU. Needs g++ >= 12 and python3; without
//! them the test prints a skip line, and fails when
//! `TENSORBRIDGE_EXPECT_EMULATION=1`.

use std::process::Command;

fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn kernels_emulated_on_the_cpu_equal_core() {
    let expect = std::env::var("TENSORBRIDGE_EXPECT_EMULATION").is_ok_and(|v| v == "1");
    for tool in ["g++", "python3", "bash"] {
        if !available(tool) {
            assert!(
                !expect,
                "TENSORBRIDGE_EXPECT_EMULATION=1 but {tool} is missing"
            );
            println!("SKIPPED: {tool} is not installed");
            return;
        }
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/emulation/run.sh");
    let out = Command::new("bash")
        .arg(script)
        .output()
        .expect("starting bash");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "emulation/run.sh failed:\n{text}");
    assert!(
        text.contains("every kernel output compared equals core's"),
        "{text}"
    );
}
