//! The workloads of BENCHMARKS.md and their targets: every row of both of
//! its tables, in its order. Keep this in step with that file.

/// 1 MiB in bytes.
const MIB: u64 = 1 << 20;

/// 1 GiB in bytes.
const GIB: u64 = 1 << 30;

/// What a workload has to achieve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Target {
    /// `median / limit ≤ ratio`, both measured in the same run.
    Ratio(f64),
    /// `median < seconds`.
    AbsoluteSecs(f64),
    /// Peak extra host memory at most this many bytes: not measured by
    /// timing, so the bench report only lists it.
    PeakHostMemory(u64),
}

/// One row of BENCHMARKS.md.
#[derive(Debug)]
pub(crate) struct Workload {
    /// Its id, which is also the name of its criterion group (`"W1b"`).
    pub(crate) id: &'static str,
    /// A short description for the report.
    pub(crate) name: &'static str,
    /// Size in bytes of the largest array the workload reads or writes per
    /// call, for throughput; `None` where a byte rate means nothing (views,
    /// per-call overhead) or the size is not fixed.
    pub(crate) bytes: Option<u64>,
    /// What it has to achieve.
    pub(crate) target: Target,
    /// Whether it needs a CUDA device (and is skipped without one).
    pub(crate) gpu: bool,
}

/// Shorthand for a CPU row.
const fn cpu(id: &'static str, name: &'static str, bytes: Option<u64>, target: Target) -> Workload {
    Workload {
        id,
        name,
        bytes,
        target,
        gpu: false,
    }
}

/// Shorthand for a GPU row.
const fn gpu(id: &'static str, name: &'static str, bytes: Option<u64>, target: Target) -> Workload {
    Workload {
        id,
        name,
        bytes,
        target,
        gpu: true,
    }
}

/// Every workload, CPU table first, then the GPU table.
pub(crate) const WORKLOADS: &[Workload] = &[
    cpu(
        "W1a",
        "view::<f32>() of 256 MiB",
        None,
        Target::AbsoluteSecs(1e-6),
    ),
    cpu(
        "W1b",
        "to_array::<f32>() of 256 MiB",
        Some(256 * MIB),
        Target::Ratio(2.5),
    ),
    cpu(
        "W1c",
        "numpy() of a tuple of 8 x 32 MiB",
        Some(256 * MIB),
        Target::Ratio(2.5),
    ),
    cpu(
        "W1d",
        "np.asarray(t) of a 256 MiB tensor (Python)",
        None,
        Target::AbsoluteSecs(10e-6),
    ),
    cpu(
        "W1e",
        "tb.from_numpy of a 256 MiB array (Python)",
        None,
        Target::AbsoluteSecs(10e-6),
    ),
    cpu(
        "W2a",
        "t + 1.0 on 2^24 elements",
        Some(64 * MIB),
        Target::Ratio(2.0),
    ),
    cpu(
        "W2b",
        "a + b, [4096,4096] + [4096]",
        Some(64 * MIB),
        Target::Ratio(2.2),
    ),
    cpu(
        "W2c",
        "sum over axis 1 of [4096,4096]",
        Some(64 * MIB),
        Target::Ratio(1.2),
    ),
    cpu(
        "W3",
        "sparse to_dense [8192,8192], 1% nnz",
        Some(256 * MIB),
        Target::Ratio(2.5),
    ),
    cpu(
        "W3b",
        "sparse to_csr [8192,8192], 1% nnz, vs sprs TriMat::to_csr",
        None,
        Target::Ratio(1.0),
    ),
    cpu(
        "W3c",
        "sparse_dense_matmul [8192,8192] 1% x [8192,64], vs sprs CsMat * Array2",
        None,
        Target::Ratio(1.0),
    ),
    cpu(
        "W4",
        "ragged to_tensor(0), 1e6 rows 0..=64",
        Some(256_000_000),
        Target::Ratio(2.5),
    ),
    cpu(
        "W4b",
        "ragged from Vec<Vec<i64>>, 10M values",
        Some(80_000_000),
        Target::Ratio(2.0),
    ),
    cpu(
        "W5",
        "rgb_to_grayscale [32,512,512,3]",
        Some(96 * MIB),
        Target::Ratio(1.5),
    ),
    cpu(
        "W6",
        "random normal, 2^24 samples, seeded",
        Some(64 * MIB),
        Target::Ratio(6.0),
    ),
    cpu(
        "W7a",
        "save_npy 256 MiB",
        Some(256 * MIB),
        Target::Ratio(1.15),
    ),
    cpu(
        "W7b",
        "load_npy 256 MiB",
        Some(256 * MIB),
        Target::Ratio(2.0),
    ),
    cpu(
        "W7c",
        "memory-mapped load of 256 MiB + view",
        None,
        Target::AbsoluteSecs(50e-6),
    ),
    cpu(
        "W8a",
        "eager add of 2 elements + to_array",
        None,
        Target::AbsoluteSecs(1e-6),
    ),
    cpu(
        "W8b",
        "Session::run, 1-op graph, 1 feed",
        None,
        Target::AbsoluteSecs(5e-6),
    ),
    cpu(
        "W8c",
        "call of a traced function (1 op)",
        None,
        Target::AbsoluteSecs(5e-6),
    ),
    cpu(
        "W10",
        "traced 4-op chain vs eager, 2^24",
        Some(64 * MIB),
        Target::Ratio(0.5),
    ),
    gpu(
        "G1",
        "to_array of a 1 GiB device tensor",
        Some(GIB),
        Target::Ratio(1.1),
    ),
    gpu(
        "G2",
        "to_array of a strided 1/8 of 1 GiB",
        Some(GIB / 8),
        Target::Ratio(1.5),
    ),
    gpu(
        "G3",
        "a + b on 2^28 elements on device",
        Some(GIB),
        Target::Ratio(1.25),
    ),
    gpu(
        "G4",
        "sparse to_dense on device, [32768^2]",
        Some(4 * GIB),
        Target::Ratio(1.5),
    ),
    gpu(
        "G5",
        "ragged to_tensor on device, 1e7 rows",
        Some(10_000_000 * 64 * 4),
        Target::Ratio(1.5),
    ),
    gpu(
        "G6",
        "save_npy of a 4 GiB device tensor",
        None,
        Target::PeakHostMemory(256 * MIB),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_benchmarks_md_once() {
        let ids: Vec<&str> = WORKLOADS.iter().map(|w| w.id).collect();
        assert_eq!(
            ids,
            [
                "W1a", "W1b", "W1c", "W1d", "W1e", "W2a", "W2b", "W2c", "W3", "W3b", "W3c", "W4",
                "W4b", "W5", "W6", "W7a", "W7b", "W7c", "W8a", "W8b", "W8c", "W10", "G1", "G2",
                "G3", "G4", "G5", "G6",
            ]
        );
    }

    #[test]
    fn gpu_rows_are_the_g_rows() {
        for w in WORKLOADS {
            assert_eq!(w.gpu, w.id.starts_with('G'), "{}", w.id);
        }
    }

    #[test]
    fn absolute_targets_are_the_ones_benchmarks_md_gives() {
        let absolute: Vec<(&str, f64)> = WORKLOADS
            .iter()
            .filter_map(|w| match w.target {
                Target::AbsoluteSecs(s) => Some((w.id, s)),
                _ => None,
            })
            .collect();
        assert_eq!(
            absolute,
            [
                ("W1a", 1e-6),
                ("W1d", 10e-6),
                ("W1e", 10e-6),
                ("W7c", 50e-6),
                ("W8a", 1e-6),
                ("W8b", 5e-6),
                ("W8c", 5e-6)
            ]
        );
    }
}
