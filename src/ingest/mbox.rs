//! An mbox file: messages separated by `From ` lines at the start of a line
//! (after a blank line, or at the top of the file). The separator line is not
//! part of the message; `>From ` quoting (mboxrd) is undone. Source ids are
//! `FILE#N`, N counting from 1.
//!
//! The file is read through a buffered reader one message at a time, so an
//! mbox of any size never sits in memory whole.

use super::{RawMessage, Source};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;

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
                path: self.path.clone(),
                count: 0,
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
    path: PathBuf,
    count: usize,
    /// A line read ahead (the first line of the next message's body/header).
    pending_line: Option<Vec<u8>>,
    done: bool,
}

fn is_separator(line: &[u8]) -> bool {
    line.starts_with(b"From ")
}

/// `>From `, `>>From `… lose one `>` (mboxrd).
fn unquote_from(line: &mut Vec<u8>) {
    let gt = line.iter().take_while(|&&b| b == b'>').count();
    if gt > 0 && line[gt..].starts_with(b"From ") {
        line.remove(0);
    }
}

impl MboxReader {
    fn next_message(&mut self) -> Result<Option<RawMessage>> {
        let mut bytes = Vec::new();
        let mut started = false;
        let mut previous_blank = true;
        loop {
            let mut line = match self.pending_line.take() {
                Some(l) => l,
                None => {
                    let mut l = Vec::new();
                    let n = self
                        .reader
                        .read_until(b'\n', &mut l)
                        .map_err(|e| Error::io(&self.path, e))?;
                    if n == 0 {
                        break;
                    }
                    l
                }
            };
            if is_separator(&line) && previous_blank {
                if started || !bytes.is_empty() {
                    self.pending_line = Some(line);
                    break;
                }
                started = true;
                continue;
            }
            started = true;
            previous_blank = line == b"\n" || line == b"\r\n";
            unquote_from(&mut line);
            bytes.extend_from_slice(&line);
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
        Ok(Some(RawMessage {
            source_id: format!("{}#{}", self.name, self.count),
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

    fn read_all(text: &str) -> Vec<RawMessage> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("night.mbox");
        std::fs::write(&path, text).unwrap();
        let mut mbox = Mbox::new(&path);
        mbox.messages().map(|m| m.unwrap()).collect()
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
