//! An external merge sort for outputs sorted by source id across a whole
//! night (`report.csv`, `decisions.jsonl`, the kept decisions) that are
//! produced batch by batch: each batch's records, sorted, go to a run file
//! in the staging folder; at the end a k-way merge reads the runs one record
//! at a time into the output. Memory holds one record per run, never the
//! night.
//!
//! A record is a sort key and its bytes (a CSV row may span lines, so runs
//! are length-prefixed, not line-based). Equal keys come out in run order.

use super::files::create_private_file;
use crate::error::{Error, Result};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The sorted runs of one output.
pub struct Runs {
    dir: PathBuf,
    name: String,
    files: Vec<PathBuf>,
}

impl Runs {
    /// Runs named `.NAME.run-N` in `dir` (the staging folder).
    pub fn new(dir: &Path, name: &str) -> Runs {
        Runs {
            dir: dir.to_path_buf(),
            name: name.to_string(),
            files: Vec::new(),
        }
    }

    /// Write one run; `records` must be sorted by key.
    pub fn write_run<'k>(
        &mut self,
        records: impl IntoIterator<Item = (&'k str, Vec<u8>)>,
    ) -> Result<()> {
        let path = self
            .dir
            .join(format!(".{}.run-{}", self.name, self.files.len()));
        let mut w = RunWriter::create(&path)?;
        let mut previous: Option<&str> = None;
        for (key, bytes) in records {
            debug_assert!(previous.is_none_or(|p| p <= key), "a run must be sorted");
            previous = Some(key);
            w.write(key, &bytes)?;
        }
        w.finish()?;
        self.files.push(path);
        Ok(())
    }

    /// Every record's bytes with the run file it is in, run by run (not in
    /// key order); the runs stay.
    pub fn for_each_record(&self, mut f: impl FnMut(&[u8], &Path) -> Result<()>) -> Result<()> {
        for path in &self.files {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            let mut reader = RunReader::new(file, path);
            let (mut key, mut bytes) = (String::new(), Vec::new());
            while reader.next_record(&mut key, &mut bytes)? {
                f(&bytes, path)?;
            }
        }
        Ok(())
    }

    /// Merge every run into `out`, in key order; returns how many records.
    /// At most [`MAX_FAN_IN`] runs are open at once: more are first merged
    /// in groups into longer runs. The run files are removed.
    pub fn merge_into<W: Write + ?Sized>(self, out: &mut W, out_path: &Path) -> Result<usize> {
        let mut files = self.files;
        let mut pass = 0;
        while files.len() > MAX_FAN_IN {
            let mut longer = Vec::new();
            for (i, group) in files.chunks(MAX_FAN_IN).enumerate() {
                let path = self.dir.join(format!(".{}.pass-{pass}-{i}", self.name));
                let mut w = RunWriter::create(&path)?;
                merge_files(group, |key, bytes| w.write(key, bytes))?;
                w.finish()?;
                longer.push(path);
            }
            files = longer;
            pass += 1;
        }
        merge_files(&files, |_, bytes| {
            out.write_all(bytes).map_err(|e| Error::io(out_path, e))
        })
    }
}

/// Runs open at once while merging.
pub const MAX_FAN_IN: usize = 64;

/// A run is written through this much buffer (one run is written at a
/// time): a batch's `decisions.jsonl` run of 5 MB goes to the kernel in about
/// 20 `write` calls, not the 700 of `BufWriter`'s default 8 KiB.
const RUN_WRITE_BUFFER: usize = 256 << 10;

/// Each run is read through this much buffer while merging: at most
/// [`MAX_FAN_IN`] are open at once (8 MiB), and a run is read in 128 KiB
/// `read` calls rather than 8 KiB ones.
const RUN_READ_BUFFER: usize = 128 << 10;

/// A merged output (`report.csv`, `decisions.jsonl`, the kept decisions) is
/// written through this much buffer: one output is written at a time.
pub const OUTPUT_BUFFER: usize = 1 << 20;

/// Merge `files` in key order (equal keys in file order), handing each
/// record to `emit`; the files are removed afterwards.
fn merge_files(
    files: &[PathBuf],
    mut emit: impl FnMut(&str, &[u8]) -> Result<()>,
) -> Result<usize> {
    let mut readers = Vec::with_capacity(files.len());
    let mut heap = BinaryHeap::new();
    for (i, path) in files.iter().enumerate() {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut reader = RunReader::new(file, path);
        let (mut key, mut bytes) = (String::new(), Vec::new());
        if reader.next_record(&mut key, &mut bytes)? {
            heap.push(Reverse((key, i, bytes)));
        }
        readers.push(reader);
    }
    let mut count = 0;
    // A record's key and bytes, once emitted, are read over by the next
    // record of its run: no allocation per record.
    while let Some(Reverse((mut key, i, mut bytes))) = heap.pop() {
        emit(&key, &bytes)?;
        count += 1;
        if readers[i].next_record(&mut key, &mut bytes)? {
            heap.push(Reverse((key, i, bytes)));
        }
    }
    drop(readers);
    for path in files {
        std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
    }
    Ok(count)
}

/// Writes records (length-prefixed key and bytes) to a run file.
struct RunWriter {
    w: BufWriter<File>,
    path: PathBuf,
}

impl RunWriter {
    fn create(path: &Path) -> Result<RunWriter> {
        Ok(RunWriter {
            w: BufWriter::with_capacity(RUN_WRITE_BUFFER, create_private_file(path)?),
            path: path.to_path_buf(),
        })
    }

    fn write(&mut self, key: &str, bytes: &[u8]) -> Result<()> {
        let io = |e| Error::io(&self.path, e);
        self.w
            .write_all(&(key.len() as u64).to_le_bytes())
            .map_err(io)?;
        self.w.write_all(key.as_bytes()).map_err(io)?;
        self.w
            .write_all(&(bytes.len() as u64).to_le_bytes())
            .map_err(io)?;
        self.w.write_all(bytes).map_err(io)
    }

    fn finish(mut self) -> Result<()> {
        self.w.flush().map_err(|e| Error::io(&self.path, e))
    }
}

struct RunReader<'p> {
    reader: BufReader<File>,
    path: &'p Path,
}

impl<'p> RunReader<'p> {
    fn new(file: File, path: &'p Path) -> RunReader<'p> {
        RunReader {
            reader: BufReader::with_capacity(RUN_READ_BUFFER, file),
            path,
        }
    }

    /// Read the next record over `key` and `bytes` (their room reused);
    /// false at the end of the run.
    fn next_record(&mut self, key: &mut String, bytes: &mut Vec<u8>) -> Result<bool> {
        let mut len = [0u8; 8];
        match self.reader.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(Error::io(self.path, e)),
        }
        let mut key_bytes = std::mem::take(key).into_bytes();
        self.read_bytes(u64::from_le_bytes(len), &mut key_bytes)?;
        *key = String::from_utf8(key_bytes)
            .map_err(|e| Error::Other(format!("{}: {e}", self.path.display())))?;
        self.reader
            .read_exact(&mut len)
            .map_err(|e| Error::io(self.path, e))?;
        self.read_bytes(u64::from_le_bytes(len), bytes)?;
        Ok(true)
    }

    fn read_bytes(&mut self, len: u64, bytes: &mut Vec<u8>) -> Result<()> {
        bytes.clear();
        bytes.resize(len as usize, 0);
        self.reader
            .read_exact(bytes)
            .map_err(|e| Error::io(self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(runs: &[&[&str]]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Runs::new(dir.path(), "t");
        for run in runs {
            r.write_run(run.iter().map(|k| (*k, format!("{k}\n").into_bytes())))
                .unwrap();
        }
        let mut out = Vec::new();
        let n = r.merge_into(&mut out, &dir.path().join("out")).unwrap();
        assert_eq!(n, runs.iter().map(|r| r.len()).sum::<usize>());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "run files removed");
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn no_runs_and_empty_runs_give_nothing() {
        assert_eq!(merged(&[]), "");
        assert_eq!(merged(&[&[], &[]]), "");
    }

    #[test]
    fn one_run_comes_out_as_it_went_in() {
        assert_eq!(merged(&[&["a", "b", "c"]]), "a\nb\nc\n");
    }

    #[test]
    fn interleaved_runs_come_out_in_key_order() {
        assert_eq!(
            merged(&[&["a", "d", "g"], &[], &["b", "e"], &["c", "f", "h", "i"]]),
            "a\nb\nc\nd\ne\nf\ng\nh\ni\n"
        );
    }

    #[test]
    fn more_runs_than_can_be_open_at_once_are_merged_in_passes() {
        let keys: Vec<String> = (0..(3 * MAX_FAN_IN + 5))
            .map(|i| format!("{i:05}"))
            .collect();
        // Run r holds keys r, r + n, r + 2n… (interleaved), some runs empty.
        let n = 2 * MAX_FAN_IN + 1;
        let runs: Vec<Vec<&str>> = (0..n)
            .map(|r| keys.iter().skip(r).step_by(n).map(String::as_str).collect())
            .collect();
        let runs: Vec<&[&str]> = runs.iter().map(Vec::as_slice).collect();
        let expected: String = keys.iter().map(|k| format!("{k}\n")).collect();
        assert_eq!(merged(&runs), expected);
    }

    #[test]
    fn records_read_over_a_longer_one_and_larger_than_the_buffers_come_out_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Runs::new(dir.path(), "t");
        let huge = vec![b'h'; RUN_READ_BUFFER + RUN_WRITE_BUFFER + 7];
        let first = [
            ("a-long-key-0001", huge.clone()),
            ("b", b"1".to_vec()),
            ("c-é", b"three\n".to_vec()),
            ("d", Vec::new()),
        ];
        let second = [("a", b"x".repeat(300)), ("bb", b"y".to_vec())];
        r.write_run(first.clone()).unwrap();
        r.write_run(second.clone()).unwrap();
        let mut seen = Vec::new();
        r.for_each_record(|bytes, _| {
            seen.push(bytes.to_vec());
            Ok(())
        })
        .unwrap();
        let in_runs: Vec<Vec<u8>> = first
            .iter()
            .chain(&second)
            .map(|(_, b)| b.clone())
            .collect();
        assert_eq!(seen, in_runs);
        let mut out = Vec::new();
        assert_eq!(r.merge_into(&mut out, &dir.path().join("out")).unwrap(), 6);
        let mut all: Vec<(&str, Vec<u8>)> = first.into_iter().chain(second).collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(
            out,
            all.into_iter().flat_map(|(_, b)| b).collect::<Vec<u8>>()
        );
    }

    #[test]
    fn records_may_hold_newlines_and_equal_keys_keep_run_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Runs::new(dir.path(), "t");
        r.write_run([("k", b"first\nrow\n".to_vec())]).unwrap();
        r.write_run([("j", b"j\n".to_vec()), ("k", b"second\n".to_vec())])
            .unwrap();
        let mut out = Vec::new();
        r.merge_into(&mut out, &dir.path().join("out")).unwrap();
        assert_eq!(out, b"j\nfirst\nrow\nsecond\n");
    }
}
