//! Ingest: where a night's mail comes from (SPEC §3 Sources).
//!
//! A [`Source`] yields [`RawMessage`]s — the original bytes and a stable
//! source id — and never interprets them: parsing is the next stage. File
//! sources are auto-detected ([`open_file_source`]): a Maildir (`cur/`,
//! `new/`), a directory of message files (recursive), or an mbox file. IMAP
//! plugs in behind the same trait.

mod eml_dir;
mod maildir;
mod mbox;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use eml_dir::EmlDir;
pub use maildir::Maildir;
pub use mbox::Mbox;

/// One message exactly as it arrived.
#[derive(Debug, Clone)]
pub struct RawMessage {
    /// Stable id: path relative to the source root, `FILE#N` for the N-th
    /// message of an mbox, `imap:MAILBOX/UIDVALIDITY/UID` for IMAP.
    pub source_id: String,
    pub bytes: Vec<u8>,
    /// Where the bytes can be read again once they have been let go.
    pub origin: Origin,
}

/// Where a message's bytes can be read again: the pipeline's census reads
/// every message once, keeps only this (not the bytes), and reads each back
/// when its batch comes ([`Origin::read`]).
#[derive(Debug, Clone)]
pub enum Origin {
    /// The whole file is the message.
    File(PathBuf),
    /// A message of an mbox: the `raw_len` bytes at `offset` (its lines after
    /// the `From ` separator), which decode to `len` bytes.
    Mbox {
        path: Arc<PathBuf>,
        offset: u64,
        raw_len: u64,
        len: u64,
    },
    /// Only in memory (IMAP, and files that could not be read): the census
    /// keeps the bytes.
    Memory,
}

impl Origin {
    /// The message's bytes again, exactly as the source first gave them;
    /// `None` for [`Origin::Memory`]. `size` is what the census read (the
    /// buffer's first size; a file that has grown since is read whole).
    pub fn read(&self, size: u64) -> Result<Option<Vec<u8>>> {
        match self {
            Origin::File(path) => read_whole(path, Some(size))
                .map(Some)
                .map_err(|e| Error::io(path, e)),
            Origin::Mbox {
                path,
                offset,
                raw_len,
                len,
            } => mbox::read_span(path, *offset, *raw_len, *len).map(Some),
            Origin::Memory => Ok(None),
        }
    }
}

/// A place messages come from.
pub trait Source: Send {
    /// A short description for logs (a path or a URL without credentials).
    fn describe(&self) -> String;
    /// Every message, in a stable order. An error names what could not be read.
    fn messages(&mut self) -> Box<dyn Iterator<Item = Result<RawMessage>> + '_>;
}

/// What kind of file source a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileSourceKind {
    Maildir,
    EmlDir,
    Mbox,
    /// One message file given on its own.
    SingleFile,
}

/// Decide what a path holds: a Maildir has `cur/` or `new/`; any other
/// directory is a folder of message files; a file starting with an mbox
/// `From ` line is an mbox, any other file a single message.
pub fn detect_kind(path: &Path) -> Result<FileSourceKind> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        if path.join("cur").is_dir() || path.join("new").is_dir() {
            Ok(FileSourceKind::Maildir)
        } else {
            Ok(FileSourceKind::EmlDir)
        }
    } else {
        let mut head = [0u8; 5];
        let n = std::io::Read::read(
            &mut std::fs::File::open(path).map_err(|e| Error::io(path, e))?,
            &mut head,
        )
        .map_err(|e| Error::io(path, e))?;
        if &head[..n] == b"From " {
            Ok(FileSourceKind::Mbox)
        } else {
            Ok(FileSourceKind::SingleFile)
        }
    }
}

/// Open a file source, auto-detecting its kind.
pub fn open_file_source(path: &Path) -> Result<Box<dyn Source>> {
    Ok(match detect_kind(path)? {
        FileSourceKind::Maildir => Box::new(Maildir::new(path)),
        FileSourceKind::EmlDir => Box::new(EmlDir::new(path)),
        FileSourceKind::Mbox => Box::new(Mbox::new(path)),
        FileSourceKind::SingleFile => Box::new(EmlDir::single_file(path)),
    })
}

/// Every regular file under `root`, recursively, sorted, skipping hidden
/// entries (dot files, such as editors' and Maildir's `.` folders).
pub(crate) fn files_under(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `path` relative to `root`, with `/` separators.
pub(crate) fn relative_id(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Read each file of a listing as one message, ids from `id_of`; a listing
/// error becomes the iterator's only item.
pub(crate) fn read_each<'a>(
    listing: Result<Vec<PathBuf>>,
    id_of: impl Fn(&Path) -> String + 'a,
) -> Box<dyn Iterator<Item = Result<RawMessage>> + 'a> {
    match listing {
        Err(e) => Box::new(std::iter::once(Err(e))),
        Ok(files) => Box::new(files.into_iter().map(move |p| read_file(&p, id_of(&p)))),
    }
}

pub(crate) fn read_file(path: &Path, source_id: String) -> Result<RawMessage> {
    let bytes = read_whole(path, None).map_err(|e| Error::io(path, e))?;
    Ok(RawMessage {
        source_id,
        bytes,
        origin: Origin::File(path.to_path_buf()),
    })
}

/// Bytes read before the first call when the size is not known: a whole
/// message of most nights in one `read`.
const FIRST_READ: usize = 16 << 10;

/// A whole file, in four system calls for a file that fits the first buffer
/// (`openat`, a `read` of the bytes, a `read` finding the end, `close`):
/// `std::fs::read` also asks for the file's size (`statx`) first. `size`,
/// when known, sizes the buffer so that one `read` takes the file; without
/// it the buffer starts at [`FIRST_READ`] and grows as the file needs. The
/// bytes are kept without spare room (a census may hold them).
pub(crate) fn read_whole(path: &Path, size: Option<u64>) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    // One byte more than the size, so that the end is found by a `read`
    // into room the buffer already has.
    let first = size.map_or(FIRST_READ, |n| (n as usize).saturating_add(1));
    let mut bytes = Vec::with_capacity(first);
    // `Take` reads to the end without asking for the file's size (a
    // `File`'s own `read_to_end` calls `statx` and `lseek` first).
    file.take(u64::MAX).read_to_end(&mut bytes)?;
    bytes.shrink_to_fit();
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_whole_files_of_any_size_with_or_without_a_size() {
        let dir = tempfile::tempdir().unwrap();
        for len in [
            0,
            1,
            100,
            FIRST_READ - 1,
            FIRST_READ,
            FIRST_READ + 1,
            200_000,
        ] {
            let path = dir.path().join(format!("m{len}"));
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            std::fs::write(&path, &bytes).unwrap();
            for size in [
                None,
                Some(len as u64),
                Some(0),
                Some(len as u64 / 2),
                Some(3 * len as u64),
            ] {
                let read = read_whole(&path, size).unwrap();
                assert_eq!(read, bytes, "{len} bytes, size {size:?}");
                assert_eq!(read.capacity(), read.len(), "no spare room kept");
            }
        }
        assert!(read_whole(&dir.path().join("missing"), None).is_err());
    }

    #[test]
    fn detects_each_kind() {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("md");
        std::fs::create_dir_all(maildir.join("cur")).unwrap();
        let emls = dir.path().join("emls");
        std::fs::create_dir_all(&emls).unwrap();
        let mbox = dir.path().join("inbox.mbox");
        std::fs::write(
            &mbox,
            "From a@b Mon Jan  1 00:00:00 2024\nSubject: x\n\nhi\n",
        )
        .unwrap();
        assert_eq!(detect_kind(&maildir).unwrap(), FileSourceKind::Maildir);
        assert_eq!(detect_kind(&emls).unwrap(), FileSourceKind::EmlDir);
        assert_eq!(detect_kind(&mbox).unwrap(), FileSourceKind::Mbox);
        let eml = dir.path().join("one.eml");
        std::fs::write(&eml, "Subject: x\n\nhi\n").unwrap();
        assert_eq!(detect_kind(&eml).unwrap(), FileSourceKind::SingleFile);
        assert!(detect_kind(&dir.path().join("missing")).is_err());
    }
}
