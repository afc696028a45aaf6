//! `queues/respond`, `queues/read-only`, `queues/escalate`: Maildirs holding
//! each message's original bytes, so staff open them in any mail client.
//! File names are derived from the source id, so a re-run writes the same
//! names and the queues never hold a message twice. The copies are not
//! flushed one by one (that dominated the run's time): the mail itself stays
//! in its source, and re-running the night rewrites them identically.

use super::files::create_private_dir;
use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::route::Queue;
use rustix::fs::{Mode, OFlags};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Create the three Maildirs under `root`.
pub fn create(root: &Path) -> Result<()> {
    for q in Queue::ALL {
        for sub in ["cur", "new", "tmp"] {
            create_private_dir(&root.join(q.as_str()).join(sub))?;
        }
    }
    Ok(())
}

/// The three Maildirs' `new` folders, held open for the night: each copy is
/// created by its name in its folder (`openat` on the folder), not by a path
/// the kernel walks from `/` for every message, and no path is built for it.
pub struct Folders {
    /// In the order of [`Queue::ALL`]: the folder's path (for errors) and
    /// the folder itself, open.
    new: [(Queue, PathBuf, File); 3],
}

impl Folders {
    /// [`create`] the Maildirs under `root` and open their `new` folders.
    pub fn create(root: &Path) -> Result<Folders> {
        create(root)?;
        let open = |q: Queue| -> Result<(Queue, PathBuf, File)> {
            let path = root.join(q.as_str()).join("new");
            let dir = rustix::fs::open(
                &path,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|e| Error::io(&path, e.into()))?;
            Ok((q, path, File::from(dir)))
        };
        let [a, b, c] = Queue::ALL;
        Ok(Folders {
            new: [open(a)?, open(b)?, open(c)?],
        })
    }

    /// Copy each outcome's original bytes into its queue.
    pub fn write(&self, outcomes: &[Outcome], raws: &BTreeMap<String, Vec<u8>>) -> Result<()> {
        for o in outcomes {
            let bytes = raws.get(&o.source_id).map_or(&[][..], Vec::as_slice);
            self.write_one(o.queue(), &o.source_id, bytes)?;
        }
        Ok(())
    }

    /// One copy: one `openat`, one `write` and one `close`, owner-only, not
    /// flushed.
    fn write_one(&self, queue: Queue, source_id: &str, bytes: &[u8]) -> Result<()> {
        let (_, folder, dir) = self
            .new
            .iter()
            .find(|(q, _, _)| *q == queue)
            .expect("Queue::ALL holds every queue");
        let name = file_name(source_id);
        let io = |e: std::io::Error| Error::io(folder.join(&name), e);
        // As `files::create_private_file` opens a path: created or
        // truncated, write-only, owner-only, closed on exec.
        let file = rustix::fs::openat(
            dir,
            name.as_str(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| io(e.into()))?;
        File::from(file).write_all(bytes).map_err(io)
    }
}

/// A stable Maildir file name for a source id: the first 12 bytes of its
/// SHA-256 in lower-case hex, then `.triage`, written into one string of
/// the right size.
pub fn file_name(source_id: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    const SUFFIX: &str = ".triage";
    let digest = Sha256::digest(source_id.as_bytes());
    let mut name = String::with_capacity(24 + SUFFIX.len());
    for &b in &digest[..12] {
        name.push(char::from(HEX[usize::from(b >> 4)]));
        name.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    name.push_str(SUFFIX);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_the_digest_in_hex() {
        for id in ["", "0001/0000001.eml", "mbox/12:345", "é/😀"] {
            let digest = Sha256::digest(id.as_bytes());
            let expected = format!("{}.triage", hex::encode(&digest[..12]));
            assert_eq!(file_name(id), expected);
        }
        assert_eq!(file_name("a").len(), 31);
    }

    #[test]
    fn a_copy_is_its_bytes_under_its_name_in_its_queue_owner_only_and_replaces_an_older_one() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("queues");
        let folders = Folders::create(&root).unwrap();
        for q in Queue::ALL {
            for sub in ["cur", "new", "tmp"] {
                assert!(root.join(q.as_str()).join(sub).is_dir());
            }
        }
        folders
            .write_one(Queue::Escalate, "0001/0000002.eml", b"a longer first copy")
            .unwrap();
        folders
            .write_one(Queue::Escalate, "0001/0000002.eml", b"second")
            .unwrap();
        folders.write_one(Queue::Respond, "x", b"").unwrap();
        let path = root
            .join("escalate/new")
            .join(file_name("0001/0000002.eml"));
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{mode:o}");
        assert_eq!(
            std::fs::read(root.join("respond/new").join(file_name("x"))).unwrap(),
            b""
        );
        assert_eq!(
            std::fs::read_dir(root.join("read-only/new"))
                .unwrap()
                .count(),
            0
        );
    }
}
