//! An mbox file: messages separated by `From ` lines at the start of a line
//! (after a blank line, or at the top of the file). The separator line is not
//! part of the message; `>From ` quoting (mboxrd) is undone. Source ids are
//! `FILE#N`, N counting from 1.
//!
//! The file is read through a buffered reader one message at a time, so an
//! mbox of any size never sits in memory whole. Each message records where
//! its lines lie in the file ([`Origin::Mbox`]), so it can be read again on
//! its own ([`read_span`]).

use super::{Origin, RawMessage, Source};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Mbox {
    path: PathBuf,
}

impl Mbox {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Mbox { path: path.into() }
    }

    fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }
}

impl Source for Mbox {
    fn describe(&self) -> String {
        format!("mbox {}", self.path.display())
    }

    fn messages(&mut self) -> Box<dyn Iterator<Item = Result<RawMessage>> + '_> {
        match File::open(&self.path) {
            Err(e) => Box::new(std::iter::once(Err(Error::io(&self.path, e)))),
            Ok(file) => Box::new(MboxReader {
                reader: BufReader::with_capacity(1 << 16, file),
                name: self.name(),
                path: Arc::new(self.path.clone()),
                count: 0,
                position: 0,
                pending_line: None,
                done: false,
            }),
        }
    }
}

/// Streams messages out of an mbox.
struct MboxReader {
    reader: BufReader<File>,
    name: String,
    path: Arc<PathBuf>,
    count: usize,
    /// File offset after every line read so far (the pending one included).
    position: u64,
    /// A line read ahead (the first line of the next message's body/header).
    pending_line: Option<Vec<u8>>,
    done: bool,
}

fn is_separator(line: &[u8]) -> bool {
    line.starts_with(b"From ")
}

/// Append one line of a message to its bytes: `>From `, `>>From `… lose one
/// `>` (mboxrd).
fn push_line(bytes: &mut Vec<u8>, line: &[u8]) {
    let gt = line.iter().take_while(|&&b| b == b'>').count();
    if gt > 0 && line[gt..].starts_with(b"From ") {
        bytes.extend_from_slice(&line[1..]);
    } else {
        bytes.extend_from_slice(line);
    }
}

/// One message of an mbox read again from where the reader found it: the
/// `raw_len` bytes of lines at `offset`, decoded as when first read, cut to
/// the `len` bytes they decoded to then (the blank line before the next
/// separator belongs to the mbox format).
pub fn read_span(path: &Path, offset: u64, raw_len: u64, len: u64) -> Result<Vec<u8>> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| Error::io(path, e))?;
    let mut raw = Vec::with_capacity(raw_len as usize);
    file.take(raw_len)
        .read_to_end(&mut raw)
        .map_err(|e| Error::io(path, e))?;
    if raw.len() as u64 != raw_len {
        return Err(Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the mbox is shorter than when it was first read (changed during the run?)",
            ),
        ));
    }
    let mut bytes = Vec::with_capacity(raw.len());
    for line in raw.split_inclusive(|&b| b == b'\n') {
        push_line(&mut bytes, line);
    }
    bytes.truncate(len as usize);
    Ok(bytes)
}

impl MboxReader {
    fn next_message(&mut self) -> Result<Option<RawMessage>> {
        let mut bytes = Vec::new();
        let mut started = false;
        let mut previous_blank = true;
        // Where the message's lines begin and end in the file.
        let mut start = None;
        let end;
        loop {
            let line = match self.pending_line.take() {
                Some(l) => l,
                None => {
                    let mut l = Vec::new();
                    let n = self
                        .reader
                        .read_until(b'\n', &mut l)
                        .map_err(|e| Error::io(self.path.as_path(), e))?;
                    if n == 0 {
                        end = self.position;
                        break;
                    }
                    self.position += n as u64;
                    l
                }
            };
            let line_start = self.position - line.len() as u64;
            if is_separator(&line) && previous_blank {
                if started || !bytes.is_empty() {
                    self.pending_line = Some(line);
                    end = line_start;
                    break;
                }
                started = true;
                start = Some(self.position);
                continue;
            }
            started = true;
            start.get_or_insert(line_start);
            previous_blank = line == b"\n" || line == b"\r\n";
            push_line(&mut bytes, &line);
        }
        if !started {
            return Ok(None);
        }
        // The blank line before the next separator belongs to the mbox format.
        if self.pending_line.is_some() {
            if bytes.ends_with(b"\r\n\r\n") {
                bytes.truncate(bytes.len() - 2);
            } else if bytes.ends_with(b"\n\n") {
                bytes.truncate(bytes.len() - 1);
            }
        }
        self.count += 1;
        let offset = start.unwrap_or(end);
        Ok(Some(RawMessage {
            source_id: format!("{}#{}", self.name, self.count),
            origin: Origin::Mbox {
                path: Arc::clone(&self.path),
                offset,
                raw_len: end - offset,
                len: bytes.len() as u64,
            },
            bytes,
        }))
    }
}

impl Iterator for MboxReader {
    type Item = Result<RawMessage>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_message() {
            Ok(Some(m)) => Some(Ok(m)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message, each checked to read back the same from its origin.
    fn read_all(text: &str) -> Vec<RawMessage> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("night.mbox");
        std::fs::write(&path, text).unwrap();
        let mut mbox = Mbox::new(&path);
        let messages: Vec<RawMessage> = mbox.messages().map(|m| m.unwrap()).collect();
        for m in &messages {
            assert!(matches!(m.origin, Origin::Mbox { .. }));
            assert_eq!(
                m.origin.read(m.bytes.len() as u64).unwrap().unwrap(),
                m.bytes,
                "{} read back",
                m.source_id
            );
        }
        messages
    }

    #[test]
    fn messages_read_back_from_their_offsets() {
        let msgs = read_all(
            "From a@x Fri Nov 20 18:00:00 2026\r\nSubject: one\r\n\r\n>From me\r\n\r\n\
             From b@x Fri Nov 20 19:00:00 2026\nSubject: two\n\nSecond.\n\n\n\
             From c@x Fri Nov 20 19:00:00 2026\nSubject: three\n\nno newline at the end",
        );
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[0].bytes, b"Subject: one\r\n\r\nFrom me\r\n");
        assert_eq!(msgs[1].bytes, b"Subject: two\n\nSecond.\n\n");
        assert_eq!(msgs[2].bytes, b"Subject: three\n\nno newline at the end");
    }

    #[test]
    fn splits_on_from_lines_and_unquotes() {
        let msgs = read_all(
            "From a@example.org Fri Nov 20 18:00:00 2026\nSubject: one\n\nFirst.\n>From here on\n\n\
             From b@example.org Fri Nov 20 19:00:00 2026\nSubject: two\n\nSecond.\n",
        );
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].source_id, "night.mbox#1");
        assert_eq!(
            String::from_utf8_lossy(&msgs[0].bytes),
            "Subject: one\n\nFirst.\nFrom here on\n"
        );
        assert_eq!(msgs[1].source_id, "night.mbox#2");
        assert_eq!(
            String::from_utf8_lossy(&msgs[1].bytes),
            "Subject: two\n\nSecond.\n"
        );
    }

    #[test]
    fn from_inside_a_paragraph_is_body() {
        let msgs = read_all("From x\nSubject: a\n\nline\nFrom the desk of\n");
        assert_eq!(msgs.len(), 1);
    }

    #[test]
    fn empty_file_has_no_messages() {
        assert!(read_all("").is_empty());
    }
}
