//! Atomic file writes: the bytes go to a temporary file in the destination's
//! directory, which is synced and then renamed over the destination, so an
//! interrupted save never leaves a half-written file where a good one was.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tensorbridge_core::Result;

use crate::error::io_err;

/// Writes `path` atomically with `write`, which gets a buffered writer on
/// the temporary file. On any error the temporary file is removed and the
/// destination is left as it was.
pub(crate) fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let (tmp_path, file) = create_temp(path)?;
    let result = (|| {
        let mut w = BufWriter::with_capacity(1 << 20, file);
        write(&mut w)?;
        w.flush()
            .map_err(|e| io_err(format!("writing '{}'", tmp_path.display()), e))?;
        let file = w
            .into_inner()
            .map_err(|e| io_err(format!("writing '{}'", tmp_path.display()), e.into_error()))?;
        // fdatasync: the data and what is needed to read it back (the size),
        // without the timestamps a full fsync would also write.
        file.sync_data()
            .map_err(|e| io_err(format!("syncing '{}'", tmp_path.display()), e))?;
        drop(file);
        fs::rename(&tmp_path, path).map_err(|e| {
            io_err(
                format!("renaming '{}' to '{}'", tmp_path.display(), path.display()),
                e,
            )
        })
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
        return result;
    }
    sync_dir(path);
    Ok(())
}

/// A new temporary file next to `path`: `.<name>.tmp-<pid>-<n>`.
fn create_temp(path: &Path) -> Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tensorbridge".to_owned());
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(io_err(
                    format!(
                        "creating a temporary file in '{}' to save '{}'",
                        dir.display(),
                        path.display()
                    ),
                    e,
                ));
            }
        }
    }
}

/// Syncs the directory entry of the rename, where the platform can.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tensorbridge_core::Error;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = std::env::temp_dir().join(format!("tb-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.bin");
        fs::write(&path, b"good").unwrap();
        let err = write_atomic(&path, |w| {
            w.write_all(b"half").unwrap();
            Err(Error::Format {
                what: "interrupted".into(),
            })
        })
        .unwrap_err();
        assert!(err.to_string().contains("interrupted"));
        assert_eq!(fs::read(&path).unwrap(), b"good");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        write_atomic(&path, |w| {
            w.write_all(b"new").map_err(|e| io_err("w".into(), e))
        })
        .unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        // A directory that does not exist: the error names it.
        let e = write_atomic(&dir.join("nope/x.npy"), |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
