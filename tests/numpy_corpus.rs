//! The malformed-file corpus under a counting allocator: every file is
//! refused, and reading it never allocates more than the file's size plus a
//! small constant (here 512 KiB: the header buffer, the zip end-record
//! scan, the deflate window and the first data chunk).
//!
//! One test in its own binary, so no other test's allocations are counted.

use tensorbridge::numpy::{NpzReader, read_npy};
use tensorbridge_tests::counting_alloc::{CountingAllocator, peak_since};
use tensorbridge_tests::npy_corpus::{self, Kind};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

const SLACK: usize = 512 << 10;

#[test]
fn malformed_files_are_refused_within_bounded_memory() {
    let corpus = npy_corpus::malformed();
    for case in &corpus {
        let bytes = &case.bytes;
        let (result, peak) = peak_since(|| match case.kind {
            Kind::Npy => read_npy(&bytes[..]).map(drop),
            Kind::Npz => NpzReader::new(std::io::Cursor::new(&bytes[..]))
                .and_then(|mut r| r.try_for_each(|m| m.map(drop))),
        });
        assert!(result.is_err(), "{}: accepted", case.name);
        assert!(
            peak <= bytes.len() + SLACK,
            "{}: allocated {peak} bytes for a {}-byte file",
            case.name,
            bytes.len()
        );
    }
    println!(
        "{} malformed files refused within file size + {SLACK} bytes",
        corpus.len()
    );
}
