//! A mutation fuzzer for `read_npy` and the `.npz` reader, run by
//! `cargo xtask fuzz [--seconds N] [--seed S]`.
//!
//! It is not coverage guided (cargo-fuzz needs a nightly compiler; this
//! project builds on stable): each iteration takes a file of the valid or
//! malformed corpus, applies 1-8 random mutations (bit flips, interesting
//! bytes, interesting little-endian integers over length fields, inserted,
//! removed, duplicated or spliced ranges, truncation), and reads it with
//! both readers. It fails, saving the input under `target/fuzz-failures/`,
//! when a reader panics or allocates more than the input's size plus 1 MiB.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use tensorbridge::numpy::{NpzReader, read_npy};
use tensorbridge_tests::counting_alloc::{CountingAllocator, peak_since};
use tensorbridge_tests::npy_corpus;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allowed allocation beyond the input's size.
const SLACK: usize = 1 << 20;

/// xorshift64*: small, fast, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: [u64; 12] = [
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0xffff,
    0x1_0000,
    10_000,
    0x7fff_ffff,
    0xffff_ffff,
    u64::MAX,
    1 << 40,
];

fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>, pool: &[Vec<u8>]) {
    let n = bytes.len();
    match rng.below(8) {
        0 if n > 0 => {
            let i = rng.below(n);
            bytes[i] ^= 1 << rng.below(8);
        }
        1 if n > 0 => {
            let i = rng.below(n);
            bytes[i] = [0u8, 0xff, b'(', b')', b',', b'-', b'9', b'\'', b'{', b'}'][rng.below(10)];
        }
        2 if n > 0 => {
            // An interesting integer over 2, 4 or 8 bytes (length fields).
            let width = [2usize, 4, 8][rng.below(3)];
            let i = rng.below(n);
            let v = INTERESTING[rng.below(INTERESTING.len())].to_le_bytes();
            for (k, b) in v.iter().take(width).enumerate() {
                if let Some(slot) = bytes.get_mut(i + k) {
                    *slot = *b;
                }
            }
        }
        3 => {
            let i = rng.below(n + 1);
            let len = 1 + rng.below(16);
            let fill: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            bytes.splice(i..i, fill);
        }
        4 if n > 0 => {
            let i = rng.below(n);
            let end = (i + 1 + rng.below(32)).min(n);
            bytes.drain(i..end);
        }
        5 if n > 0 => {
            let i = rng.below(n);
            let end = (i + 1 + rng.below(64)).min(n);
            let chunk = bytes[i..end].to_vec();
            let at = rng.below(n + 1);
            bytes.splice(at..at, chunk);
        }
        6 => bytes.truncate(rng.below(n + 1)),
        _ => {
            // Splice in a range of another corpus file.
            let other = &pool[rng.below(pool.len())];
            if !other.is_empty() {
                let i = rng.below(other.len());
                let end = (i + 1 + rng.below(128)).min(other.len());
                let at = rng.below(n + 1);
                let cut = (at + rng.below(64)).min(n);
                bytes.splice(at..cut, other[i..end].iter().copied());
            }
        }
    }
}

/// Reads `input` with both readers; the peak allocation above the start.
fn exercise(input: &[u8]) -> usize {
    let ((), peak) = peak_since(|| {
        let _ = read_npy(input);
        if let Ok(reader) = NpzReader::new(Cursor::new(input)) {
            for member in reader {
                let _ = member;
            }
        }
    });
    peak
}

fn save_failure(input: &[u8], why: &str) -> ! {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("failure-{}.bin", std::process::id()));
    let _ = std::fs::write(&path, input);
    eprintln!("FUZZ FAILURE: {why}; input saved to {}", path.display());
    std::process::exit(1);
}

fn main() {
    let mut seconds = 60u64;
    let mut seed = 0x5eed_u64 ^ std::process::id() as u64;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().and_then(|v| v.parse::<u64>().ok());
        match (a.as_str(), v) {
            ("--seconds", Some(v)) => seconds = v,
            ("--seed", Some(v)) => seed = v,
            _ => {
                eprintln!("usage: fuzz-numpy [--seconds N] [--seed S]");
                std::process::exit(2);
            }
        }
    }
    let pool: Vec<Vec<u8>> = npy_corpus::valid()
        .into_iter()
        .chain(npy_corpus::malformed())
        .map(|c| c.bytes)
        // The 16 MiB-inflating bomb is exercised by the corpus test; its
        // compressed form stays in the pool.
        .collect();
    println!(
        "fuzzing read_npy and NpzReader for {seconds} s, seed {seed}, {} corpus files",
        pool.len()
    );
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(seed.max(1));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        for _ in 0..64 {
            let mut input = pool[rng.below(pool.len())].clone();
            for _ in 0..1 + rng.below(8) {
                mutate(&mut rng, &mut input, &pool);
            }
            match catch_unwind(AssertUnwindSafe(|| exercise(&input))) {
                Ok(peak) if peak > input.len() + SLACK => save_failure(
                    &input,
                    &format!("allocated {peak} bytes for a {}-byte input", input.len()),
                ),
                Ok(_) => {}
                Err(_) => save_failure(&input, "a reader panicked"),
            }
            runs += 1;
        }
    }
    println!("fuzz: {runs} inputs, 0 panics, every allocation within input size + {SLACK} bytes");
}
