//! `cargo xtask bench [FILTER] [--json PATH]`: runs the criterion benches of
//! package `tensorbridge-benches` and reports every workload of
//! BENCHMARKS.md against its target.
//!
//! Convention shared with the bench sources: a workload is a criterion group
//! named by its id (`"W1b"`) with a function `"workload"` and, for ratio
//! targets, a function `"limit"` measured first in the same group. Criterion
//! leaves the median of each in
//! `<target>/criterion/<group>/<function>/new/estimates.json`. Only files
//! written by this run count; older ones are reported as "not run".

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::workloads::{Target, WORKLOADS, Workload};
use crate::{Result, cargo, describe};

/// The bench package.
const PACKAGE: &str = "tensorbridge-benches";

/// The function of a group that measures the workload.
const WORKLOAD_FN: &str = "workload";

/// The function of a group that measures the same-run limit.
const LIMIT_FN: &str = "limit";

/// Parsed command line of `bench`.
#[derive(Debug, Default, PartialEq)]
struct Options {
    /// Criterion filter (a regex over `group/function`), passed through.
    filter: Option<String>,
    /// Where to write the JSON rows.
    json: Option<PathBuf>,
}

impl Options {
    /// Parses `[FILTER] [--json PATH]`, in any order.
    fn parse(args: &[String]) -> Result<Self> {
        let mut options = Options::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg == "--json" {
                let path = args.next().ok_or("`--json` needs a PATH to write to")?;
                options.json = Some(PathBuf::from(path));
            } else if let Some(path) = arg.strip_prefix("--json=") {
                options.json = Some(PathBuf::from(path));
            } else if arg.starts_with('-') {
                return Err(format!(
                    "unknown option `{arg}` for `bench` (see `cargo xtask help`)"
                ));
            } else if let Some(first) = &options.filter {
                return Err(format!(
                    "`bench` takes one FILTER, got `{first}` and `{arg}` (a regex can match several groups: `W1|W2`)"
                ));
            } else {
                options.filter = Some(arg.clone());
            }
        }
        Ok(options)
    }
}

/// Runs the benches, prints the report, writes the JSON when asked.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    let results_dir = criterion_dir()?;

    // Anything criterion writes from here on is this run's; the start is
    // rounded down to the second so a file system with coarse timestamps
    // cannot make a fresh file look stale.
    let since = whole_seconds(SystemTime::now());
    // With the CUDA backend, so the GPU workloads (bench `cuda`) are built;
    // without a GPU they print a SKIPPED line and report "not run".
    let mut bench_args = vec!["bench", "-p", PACKAGE, "--features", "cuda"];
    if let Some(filter) = &options.filter {
        bench_args.extend(["--", filter.as_str()]);
    }
    let line = describe(&[], &bench_args);
    println!("==> {line}");
    let status = cargo(&bench_args)
        .status()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if !status.success() {
        return Err(format!("`{line}` exited with {status}"));
    }
    python_rows(&results_dir, options.filter.as_deref());

    let rows = WORKLOADS
        .iter()
        .map(|workload| Row::read(workload, &results_dir, since))
        .collect::<Result<Vec<_>>>()?;
    println!();
    print!("{}", table(&rows));

    if let Some(path) = &options.json {
        let json: Vec<Value> = rows.iter().filter_map(Row::to_json).collect();
        let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
        fs::write(path, text + "\n")
            .map_err(|e| format!("could not write {}: {e}", path.display()))?;
        println!("wrote {} rows to {}", json.len(), path.display());
    }
    Ok(())
}

/// Where criterion keeps its results: `$CRITERION_HOME`, else the
/// workspace's target directory (from `cargo metadata`) + `criterion`.
fn criterion_dir() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Ok(PathBuf::from(home));
    }
    let args = ["metadata", "--format-version", "1", "--no-deps"];
    let line = describe(&[], &args);
    let output = cargo(&args)
        .output()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{line}` exited with {}:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("`{line}` printed invalid JSON: {e}"))?;
    let target_dir = metadata["target_directory"]
        .as_str()
        .ok_or_else(|| format!("`{line}` printed no target_directory"))?;
    Ok(Path::new(target_dir).join("criterion"))
}

/// `time` rounded down to a whole second.
fn whole_seconds(time: SystemTime) -> SystemTime {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since_epoch| since_epoch.as_secs());
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// W1d/W1e: the Python module, built in release into the venv, timed by
/// benches/python/bench_zero_copy.py, which leaves its medians where
/// criterion leaves its own. Without a venv or a build the rows are
/// reported as not run, with the reason printed here.
fn python_rows(results_dir: &Path, filter: Option<&str>) {
    let script = crate::workspace_root().join("benches/python/bench_zero_copy.py");
    println!(
        "\n==> W1d/W1e: maturin develop --release && python {}",
        script.display()
    );
    let outcome = crate::venv::ensure()
        .and_then(|()| crate::python::develop(true))
        .and_then(|()| {
            let mut command = std::process::Command::new(crate::venv::python());
            command.arg(&script).arg(results_dir);
            if let Some(filter) = filter {
                command.arg(filter);
            }
            crate::run_command(&mut command, "the Python bench")
        });
    if let Err(e) = outcome {
        println!("W1d/W1e not run: {e}");
    }
}

/// The median, in seconds, that criterion recorded for `group/function`
/// no earlier than `since`; `None` when there is no such result.
fn fresh_median(
    results_dir: &Path,
    group: &str,
    function: &str,
    since: SystemTime,
) -> Result<Option<f64>> {
    let path = results_dir
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    let Ok(modified) = fs::metadata(&path).and_then(|m| m.modified()) else {
        return Ok(None);
    };
    if modified < since {
        return Ok(None);
    }
    let text =
        fs::read_to_string(&path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
    let estimates: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    let nanos = estimates["median"]["point_estimate"]
        .as_f64()
        .ok_or_else(|| format!("{} has no median.point_estimate", path.display()))?;
    Ok(Some(nanos * 1e-9))
}

/// A workload and what this run measured of it.
#[derive(Debug)]
struct Row<'a> {
    /// The workload.
    workload: &'a Workload,
    /// Median of its "workload" function, seconds, if it ran.
    median_s: Option<f64>,
    /// Median of its "limit" function, seconds, if it ran (ratio targets).
    limit_s: Option<f64>,
}

/// How a row came out.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// Measured and within its target.
    Pass,
    /// Measured and outside its target.
    Miss,
    /// Not measured in this run (or only partly: a workload without its
    /// limit); the text says why.
    NotRun(&'static str),
}

impl<'a> Row<'a> {
    /// Reads this run's results for `workload`.
    fn read(workload: &'a Workload, results_dir: &Path, since: SystemTime) -> Result<Self> {
        let median_s = fresh_median(results_dir, workload.id, WORKLOAD_FN, since)?;
        let limit_s = match workload.target {
            Target::Ratio(_) => fresh_median(results_dir, workload.id, LIMIT_FN, since)?,
            Target::AbsoluteSecs(_) | Target::PeakHostMemory(_) => None,
        };
        Ok(Row {
            workload,
            median_s,
            limit_s,
        })
    }

    /// `median / limit`, when both ran.
    fn ratio(&self) -> Option<f64> {
        Some(self.median_s? / self.limit_s?)
    }

    /// Bytes per second, when the workload ran and has a byte count.
    fn throughput(&self) -> Option<f64> {
        Some(self.workload.bytes? as f64 / self.median_s?)
    }

    /// Whether the row met its target. Nothing that was not measured passes.
    fn verdict(&self) -> Verdict {
        let not_run = if self.workload.gpu {
            "not run (needs a CUDA device)"
        } else {
            "not run"
        };
        let pass = match (self.workload.target, self.median_s, self.ratio()) {
            (Target::PeakHostMemory(_), _, _) => return Verdict::NotRun("not measured by timing"),
            (_, None, _) => return Verdict::NotRun(not_run),
            (Target::AbsoluteSecs(max), Some(median), _) => median < max,
            (Target::Ratio(max), Some(_), Some(ratio)) => ratio <= max,
            (Target::Ratio(_), Some(_), None) => return Verdict::NotRun("not run (limit missing)"),
        };
        if pass { Verdict::Pass } else { Verdict::Miss }
    }

    /// The row as a JSON object, or `None` when it was not measured.
    fn to_json(&self) -> Option<Value> {
        let pass = match self.verdict() {
            Verdict::Pass => true,
            Verdict::Miss => false,
            Verdict::NotRun(_) => return None,
        };
        let (target, target_kind) = match self.workload.target {
            Target::Ratio(max) => (max, "ratio"),
            Target::AbsoluteSecs(max) => (max, "absolute_s"),
            Target::PeakHostMemory(_) => return None,
        };
        Some(json!({
            "id": self.workload.id,
            "name": self.workload.name,
            "median_s": self.median_s,
            "limit_s": self.limit_s,
            "ratio": self.ratio(),
            "target": target,
            "target_kind": target_kind,
            "pass": pass,
            "bytes": self.workload.bytes,
            "throughput_bytes_per_s": self.throughput(),
        }))
    }
}

/// The report: a header and one line per row.
fn table(rows: &[Row<'_>]) -> String {
    let mut out = format!(
        "{:<4}  {:<38}  {:>10}  {:>12}  {:>10}  {:>6}  {:<13}  {}\n",
        "id", "workload", "median", "throughput", "limit", "ratio", "target", "result"
    );
    for row in rows {
        let dash = || "-".to_owned();
        let verdict = match row.verdict() {
            Verdict::Pass => "PASS",
            Verdict::Miss => "MISS",
            Verdict::NotRun(why) => why,
        };
        out += &format!(
            "{:<4}  {:<38}  {:>10}  {:>12}  {:>10}  {:>6}  {:<13}  {verdict}\n",
            row.workload.id,
            row.workload.name,
            row.median_s.map_or_else(dash, human_secs),
            row.throughput().map_or_else(dash, human_rate),
            row.limit_s.map_or_else(dash, human_secs),
            row.ratio().map_or_else(dash, |r| format!("{r:.2}")),
            human_target(row.workload.target),
        );
    }
    out
}

/// A target as BENCHMARKS.md writes it: `≤ 2.5`, `< 1 µs`.
fn human_target(target: Target) -> String {
    match target {
        Target::Ratio(max) => format!("≤ {max}"),
        Target::AbsoluteSecs(max) => {
            // "< 1 µs", not "< 1.00 µs".
            let secs = human_secs(max);
            let (number, unit) = secs.split_once(' ').unwrap_or((&secs, ""));
            let number = if number.contains('.') {
                number.trim_end_matches('0').trim_end_matches('.')
            } else {
                number
            };
            format!("< {number} {unit}")
        }
        Target::PeakHostMemory(bytes) => format!("≤ {} MiB RAM", bytes >> 20),
    }
}

/// Seconds with three significant digits in a fitting unit: `812 ns`,
/// `1.25 µs`, `37.2 ms`, `1.05 s`.
fn human_secs(secs: f64) -> String {
    let (value, unit) = if secs < 1e-6 {
        (secs * 1e9, "ns")
    } else if secs < 1e-3 {
        (secs * 1e6, "µs")
    } else if secs < 1.0 {
        (secs * 1e3, "ms")
    } else {
        (secs, "s")
    };
    format!("{} {unit}", three_digits(value))
}

/// Bytes per second in binary units: `6.83 GiB/s`, `512 MiB/s`.
fn human_rate(bytes_per_s: f64) -> String {
    const UNITS: [&str; 4] = ["B/s", "KiB/s", "MiB/s", "GiB/s"];
    let mut value = bytes_per_s;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{} {}", three_digits(value), UNITS[unit])
}

/// `value` with three significant digits (no exponent): 1.25, 37.2, 812.
fn three_digits(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workload of the table by id.
    fn workload(id: &str) -> &'static Workload {
        WORKLOADS.iter().find(|w| w.id == id).expect("known id")
    }

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|&a| a.to_owned()).collect()
    }

    #[test]
    fn parses_filter_and_json_in_any_order() {
        let expected = Options {
            filter: Some("W1".to_owned()),
            json: Some(PathBuf::from("out.json")),
        };
        assert_eq!(
            Options::parse(&strings(&["W1", "--json", "out.json"])).unwrap(),
            expected
        );
        assert_eq!(
            Options::parse(&strings(&["--json=out.json", "W1"])).unwrap(),
            expected
        );
        assert_eq!(Options::parse(&[]).unwrap(), Options::default());
        assert!(Options::parse(&strings(&["--json"])).is_err());
        assert!(Options::parse(&strings(&["W1", "W2"])).is_err());
        assert!(Options::parse(&strings(&["--quick"])).is_err());
    }

    #[test]
    fn ratio_rows_pass_at_or_under_their_target() {
        let row = |median, limit| Row {
            workload: workload("W1b"),
            median_s: Some(median),
            limit_s: Some(limit),
        };
        assert_eq!(row(0.025, 0.010).verdict(), Verdict::Pass);
        assert_eq!(row(0.026, 0.010).verdict(), Verdict::Miss);
        let json = row(0.02, 0.01).to_json().unwrap();
        assert_eq!(json["ratio"], 2.0);
        assert_eq!(json["target"], 2.5);
        assert_eq!(json["target_kind"], "ratio");
        assert_eq!(json["pass"], true);
    }

    #[test]
    fn absolute_rows_have_no_limit() {
        let row = Row {
            workload: workload("W1a"),
            median_s: Some(2e-6),
            limit_s: None,
        };
        assert_eq!(row.verdict(), Verdict::Miss);
        let json = row.to_json().unwrap();
        assert_eq!(json["target_kind"], "absolute_s");
        assert_eq!(json["target"], 1e-6);
        assert!(json["limit_s"].is_null() && json["ratio"].is_null());
        assert_eq!(json["pass"], false);
    }

    #[test]
    fn nothing_unmeasured_passes_or_reaches_the_json() {
        let not_run = Row {
            workload: workload("W2a"),
            median_s: None,
            limit_s: Some(0.01),
        };
        let no_limit = Row {
            workload: workload("W2a"),
            median_s: Some(0.01),
            limit_s: None,
        };
        let memory = Row {
            workload: workload("G6"),
            median_s: Some(1.0),
            limit_s: None,
        };
        for row in [&not_run, &no_limit, &memory] {
            assert!(matches!(row.verdict(), Verdict::NotRun(_)), "{row:?}");
            assert!(row.to_json().is_none(), "{row:?}");
        }
        let gpu = Row {
            workload: workload("G1"),
            median_s: None,
            limit_s: None,
        };
        assert_eq!(
            gpu.verdict(),
            Verdict::NotRun("not run (needs a CUDA device)")
        );
        let memory_not_run = Row {
            workload: workload("G6"),
            median_s: None,
            limit_s: None,
        };
        assert_eq!(
            memory_not_run.verdict(),
            Verdict::NotRun("not measured by timing")
        );
    }

    #[test]
    fn reads_only_fresh_estimates() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-test-{}", std::process::id()));
        let new = dir.join("W9").join(WORKLOAD_FN).join("new");
        let before = whole_seconds(SystemTime::now());
        fs::create_dir_all(&new).unwrap();
        fs::write(
            new.join("estimates.json"),
            r#"{"median": {"point_estimate": 1500000.0}}"#,
        )
        .unwrap();
        let median = fresh_median(&dir, "W9", WORKLOAD_FN, before).unwrap();
        assert_eq!(median, Some(1.5e-3));
        let later = before + Duration::from_secs(3600);
        assert_eq!(fresh_median(&dir, "W9", WORKLOAD_FN, later).unwrap(), None);
        assert_eq!(fresh_median(&dir, "W9", LIMIT_FN, before).unwrap(), None);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn human_units() {
        assert_eq!(human_secs(812e-9), "812 ns");
        assert_eq!(human_secs(1.25e-6), "1.25 µs");
        assert_eq!(human_secs(0.0372), "37.2 ms");
        assert_eq!(human_secs(1.05), "1.05 s");
        assert_eq!(human_rate(6.83 * 1024.0 * 1024.0 * 1024.0), "6.83 GiB/s");
        assert_eq!(human_rate(512.0 * 1024.0 * 1024.0), "512 MiB/s");
        assert_eq!(human_target(Target::AbsoluteSecs(50e-6)), "< 50 µs");
        assert_eq!(human_target(Target::AbsoluteSecs(1e-6)), "< 1 µs");
        assert_eq!(human_target(Target::Ratio(2.5)), "≤ 2.5");
    }
}
