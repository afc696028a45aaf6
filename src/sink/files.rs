//! Files the run writes: created readable by the owner only (they hold
//! personal data, SPEC §7), staged and renamed into place so a reader never
//! sees a half-written report, and the lock that keeps two runs from sharing
//! one state folder.

use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Create `dir` (and parents) owner-only; tighten it if it already exists.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io(dir, e))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| Error::io(dir, e))
}

/// Write a whole file, owner-only, flushed to disk before returning.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let f = write_private_unsynced(path, bytes)?;
    f.sync_all().map_err(|e| Error::io(path, e))
}

/// Write a whole file, owner-only, leaving the flush to the OS: for copies
/// that a re-run of the same night regenerates (the source is never changed).
pub fn write_private_unsynced(path: &Path, bytes: &[u8]) -> Result<File> {
    let mut f = create_private_file(path)?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))?;
    Ok(f)
}

/// Flush written files to disk, all at once: each on its own thread, so the
/// disk sees their writes together and one journal commit can serve them,
/// rather than one wait per file.
pub fn sync_together(files: Vec<(PathBuf, File)>) -> Result<()> {
    std::thread::scope(|scope| {
        let syncing: Vec<_> = files
            .iter()
            .map(|(path, file)| {
                scope.spawn(move || file.sync_all().map_err(|e| Error::io(path, e)))
            })
            .collect();
        syncing
            .into_iter()
            .try_for_each(|s| s.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })
}

/// Make the entries of `dir` (files created, renamed or removed in it)
/// durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Create (or truncate) a file, owner-only, for writing.
pub fn create_private_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

/// A folder beside the outputs where a run writes everything first. If the
/// run fails before [`Staging::commit`] (a full disk, say), dropping it
/// removes what was staged, so the space is given back and the previous
/// outputs are all that is left. What was staged but not committed (the
/// runs of the kept decisions) stays until it is dropped, and so do the
/// previous run's outputs that the commit replaced
/// ([`Staging::remove_replaced`]).
pub struct Staging {
    pub dir: PathBuf,
    out: PathBuf,
    /// The previous run's outputs, moved aside by [`Staging::commit`] and
    /// not yet removed (`out/.old-NAME-PID`).
    replaced: Vec<PathBuf>,
}

/// Names of the leftovers of a staged write: the staging folder and the
/// previous outputs while they are being replaced.
const STAGING_PREFIX: &str = ".staging-";
const OLD_PREFIX: &str = ".old-";

impl Staging {
    /// Stage into `out/.staging-PID`, first removing what a run killed
    /// mid-write left behind (the caller holds the state lock, so no other
    /// run is writing here).
    pub fn new(out: &Path) -> Result<Staging> {
        create_private_dir(out)?;
        remove_leftovers(out)?;
        let dir = out.join(format!("{STAGING_PREFIX}{}", std::process::id()));
        create_private_dir(&dir)?;
        Ok(Staging {
            dir,
            out: out.to_path_buf(),
            replaced: Vec::new(),
        })
    }

    /// Move each staged item over the previous run's. Each rename is atomic;
    /// the renames are made durable together, by one flush of `out`. The
    /// previous items are moved aside first and left there (a night's
    /// queues are as many files as it had messages): removing them waits for
    /// [`Staging::remove_replaced`], which the run calls once the night is in
    /// the history, or for the next run ([`Staging::new`] removes
    /// leftovers), or for the drop.
    pub fn commit(&mut self, names: &[&str]) -> Result<()> {
        for name in names {
            let new = self.dir.join(name);
            let target = self.out.join(name);
            let old = self
                .out
                .join(format!("{OLD_PREFIX}{name}-{}", std::process::id()));
            let had_old = target.exists();
            if had_old {
                fs::rename(&target, &old).map_err(|e| Error::io(&target, e))?;
            }
            fs::rename(&new, &target).map_err(|e| Error::io(&target, e))?;
            if had_old {
                self.replaced.push(old);
            }
        }
        sync_dir(&self.out)
    }

    /// Remove the previous run's outputs that [`Staging::commit`] replaced.
    pub fn remove_replaced(&mut self) -> Result<()> {
        while let Some(old) = self.replaced.pop() {
            remove_any(&old)?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
        for old in &self.replaced {
            let _ = remove_any(old);
        }
    }
}

/// Remove `.staging-*` and `.old-*` entries of `out` left by a killed run.
fn remove_leftovers(out: &Path) -> Result<()> {
    for entry in fs::read_dir(out).map_err(|e| Error::io(out, e))? {
        let entry = entry.map_err(|e| Error::io(out, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(STAGING_PREFIX) || name.starts_with(OLD_PREFIX) {
            remove_any(&entry.path())?;
        }
    }
    Ok(())
}

fn remove_any(path: &Path) -> Result<()> {
    let r = if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    r.map_err(|e| Error::io(path, e))
}

/// An exclusive lock on the state folder for the length of a run.
pub struct StateLock {
    _file: File,
}

impl StateLock {
    pub fn acquire(state: &Path) -> Result<StateLock> {
        create_private_dir(state)?;
        let path = state.join("lock");
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(StateLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(Error::Other(format!(
                "another triage run is using the state folder {} (lock held on {}); wait for it to finish",
                state.display(),
                path.display()
            ))),
            Err(fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_commit_puts_the_new_outputs_in_place_and_the_old_ones_go_when_removed_or_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        for last in ["remove", "drop"] {
            fs::create_dir_all(out.join("queues/new")).unwrap();
            fs::write(out.join("queues/new/old-copy"), "old").unwrap();
            fs::write(out.join("report.csv"), "old").unwrap();
            let mut staging = Staging::new(&out).unwrap();
            fs::create_dir_all(staging.dir.join("queues/new")).unwrap();
            fs::write(staging.dir.join("queues/new/copy"), "new").unwrap();
            fs::write(staging.dir.join("report.csv"), "new").unwrap();
            staging.commit(&["report.csv", "queues"]).unwrap();
            assert_eq!(fs::read_to_string(out.join("report.csv")).unwrap(), "new");
            assert_eq!(names(&out.join("queues/new")), ["copy"]);
            let pid = std::process::id();
            let staged = format!("{STAGING_PREFIX}{pid}");
            assert_eq!(
                names(&out),
                [
                    format!("{OLD_PREFIX}queues-{pid}"),
                    format!("{OLD_PREFIX}report.csv-{pid}"),
                    staged,
                    "queues".into(),
                    "report.csv".into()
                ]
            );
            if last == "remove" {
                staging.remove_replaced().unwrap();
            }
            drop(staging);
            assert_eq!(names(&out), ["queues", "report.csv"], "{last}");
            fs::remove_dir_all(out.join("queues")).unwrap();
        }
    }
}
