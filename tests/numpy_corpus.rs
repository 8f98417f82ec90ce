//! The malformed-file corpus under a counting allocator: every file is
//! refused, and reading it never allocates more than the file's size plus a
//! small constant (here 512 KiB: the header buffer, the zip end-record
//! scan, the deflate window and the first data chunk).
//!
//! One test in its own binary, so no other test's allocations are counted.

#![expect(
    unsafe_code,
    reason = "a counting global allocator that forwards to the system allocator"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use tensorbridge::numpy::{NpzReader, read_npy};
use tensorbridge_tests::npy_corpus::{self, Kind};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(live, Ordering::SeqCst);
        // SAFETY: the caller's contract for `alloc` is passed on as it is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SLACK: usize = 512 << 10;

#[test]
fn malformed_files_are_refused_within_bounded_memory() {
    let corpus = npy_corpus::malformed();
    for case in &corpus {
        let bytes = &case.bytes;
        let base = LIVE.load(Ordering::SeqCst);
        PEAK.store(base, Ordering::SeqCst);
        let result = match case.kind {
            Kind::Npy => read_npy(&bytes[..]).map(drop),
            Kind::Npz => NpzReader::new(std::io::Cursor::new(&bytes[..]))
                .and_then(|mut r| r.try_for_each(|m| m.map(drop))),
        };
        let peak = PEAK.load(Ordering::SeqCst) - base;
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
