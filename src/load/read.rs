//! Reading one spec file, bounded: only regular files (a FIFO, a device or
//! a socket would block or never end), at most a size, and never a wait on
//! opening (a FIFO is opened without blocking, then refused).

use std::io::Read as _;
use std::path::Path;

/// Why a spec file was not read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// The operating system's error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Not a regular file.
    #[error("it is a {0}, not a regular file; only files are read as specs")]
    NotAFile(&'static str),
    /// Over the size limit.
    #[error("it is larger than {limit} bytes (--max-spec-size)")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
}

/// `path`'s bytes, if it is a regular file of at most `limit` bytes.
pub(crate) fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
    let file = open_without_blocking(path)?;
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if !kind.is_file() {
        return Err(ReadError::NotAFile(describe(&kind)));
    }
    if meta.len() > limit as u64 {
        return Err(ReadError::TooLarge { limit });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow while it is read: never past the limit.
    file.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// What a path that is not a regular file is.
pub(crate) fn describe(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "named pipe (FIFO)";
        }
        if kind.is_socket() {
            return "socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "device";
        }
    }
    if kind.is_dir() {
        return "directory";
    }
    "special file"
}

/// Opens for reading without waiting for a FIFO's writer (`O_NONBLOCK`;
/// it changes nothing for a regular file's reads).
fn open_without_blocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(0o4000); // O_NONBLOCK
    }
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(0x0004); // O_NONBLOCK
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_and_one_under_it_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.apib");
        std::fs::write(&path, "x".repeat(100)).unwrap();
        assert_eq!(read_bounded(&path, 100).unwrap().len(), 100);
        assert!(matches!(
            read_bounded(&path, 99),
            Err(ReadError::TooLarge { limit: 99 })
        ));
        assert!(matches!(
            read_bounded(dir.path(), 1000),
            Err(ReadError::NotAFile("directory")) | Err(ReadError::Io(_))
        ));
    }
}
