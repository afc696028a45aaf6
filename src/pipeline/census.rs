//! The census: every source read once, message by message, keeping only
//! what batching by sender needs — the source id, where to read the bytes
//! again ([`Origin`]), its size, the sender key and the de-duplication key —
//! so that a night of any size never sits in memory whole. Messages are read
//! in chunks and their headers parsed in parallel
//! ([`super::prepare::parse_header_fields`], the header fields `prepare`'s
//! parse gives, then [`super::prepare::identify`], the very function
//! `prepare` uses, so the census and the triage agree on who sent what).
//!
//! IMAP mail is fetched into memory (as before streaming); its census entry
//! keeps the bytes. So does an unreadable file's (empty bytes, escalated).
//!
//! The census must see every message before the first batch (a batch holds
//! whole senders, and a sender's last message may be the night's last file),
//! so a night larger than memory is read twice: once here, once in its
//! batch. To read each file once where memory allows, the census also keeps
//! the bytes of the night's first messages, up to one batch's worth (`--batch`
//! messages and [`super::batches::BATCH_BYTES`] bytes, whatever the night's
//! size, so memory still holds about one batch more at most); their batch
//! takes them from the census instead of reading the file again. A night of
//! one batch is read once.

use super::prepare::{identify, limits, parse_header_fields};
use super::Engine;
use crate::error::{ConfigError, Error, Result};
use crate::ingest::{open_file_source, Origin, RawMessage};
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

/// Messages read before a chunk is parsed (fewer when they are large).
const CHUNK_MESSAGES: usize = 1024;
/// Bytes read before a chunk is parsed.
const CHUNK_BYTES: usize = 64 << 20;

/// Where one message of the night is and how large it is: all a batch
/// needs to read it again ([`Located::into_raw`]). Kept compact (boxed
/// strings, no spare capacity): a 1M-message night holds a million of them.
pub struct Located {
    pub source_id: Box<str>,
    /// Where to read the bytes again when `held` has not kept them.
    pub origin: Origin,
    /// The bytes, when the census kept them: always for [`Origin::Memory`],
    /// and for the night's first messages, up to one batch's worth.
    pub held: Option<Box<[u8]>>,
    /// Bytes of the message, for the batch's size.
    pub size: u64,
}

/// One message as the census keeps it: where it is, whose it is, its key.
pub struct Counted {
    pub at: Located,
    /// Shared by every message of the sender (one allocation per sender).
    pub sender_key: Arc<str>,
    /// De-duplication key (`mid:` or `sha256:`).
    pub key: Box<str>,
}

impl Located {
    /// The message's bytes again. A file that can no longer be read (removed
    /// since the census, say) becomes a message with no bytes, escalated as
    /// unparseable, like one unreadable at the start: nothing disappears.
    pub fn into_raw(self) -> RawMessage {
        if let Some(held) = self.held {
            return RawMessage {
                source_id: self.source_id.into_string(),
                bytes: held.into_vec(),
                origin: self.origin,
            };
        }
        let bytes = match self.origin.read(self.size) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => Vec::new(),
            Err(e) => {
                super::log::unreadable_error(&e);
                Vec::new()
            }
        };
        RawMessage {
            source_id: self.source_id.into_string(),
            bytes,
            origin: self.origin,
        }
    }
}

/// Parses chunks of messages into census entries.
pub struct Census<'e> {
    engine: &'e Engine,
    pool: &'e rayon::ThreadPool,
    pub counted: Vec<Counted>,
    /// Each sender key once, shared by the entries.
    senders: HashSet<Arc<str>>,
    /// File messages, and their bytes, still to be kept for their batch
    /// (one batch's worth at first).
    hold_left: (usize, u64),
}

impl<'e> Census<'e> {
    pub fn new(engine: &'e Engine, pool: &'e rayon::ThreadPool) -> Self {
        Census {
            engine,
            pool,
            counted: Vec::new(),
            senders: HashSet::new(),
            hold_left: (engine.config.batch, super::batches::BATCH_BYTES),
        }
    }

    /// Parse a chunk of messages' headers (in parallel) and keep their
    /// entries; the bytes of messages that can be read again are dropped
    /// once one batch's worth of them is kept.
    /// Bodies are not decoded nor quotes stripped here: `prepare` does that
    /// once per message, in its batch.
    pub fn add_chunk(&mut self, chunk: Vec<RawMessage>) {
        let engine = self.engine;
        let limits = limits(engine);
        // Which to keep, in source order (so the same messages every run).
        let chunk: Vec<(RawMessage, bool)> = chunk
            .into_iter()
            .map(|raw| {
                let size = raw.bytes.len() as u64;
                let (messages, bytes) = &mut self.hold_left;
                let keep = match raw.origin {
                    Origin::Memory => true,
                    _ if *messages > 0 && size <= *bytes => {
                        *messages -= 1;
                        *bytes -= size;
                        true
                    }
                    _ => false,
                };
                (raw, keep)
            })
            .collect();
        let identified: Vec<(Located, String, String)> = self.pool.install(|| {
            chunk
                .into_par_iter()
                .map(|(raw, keep)| {
                    let parsed = parse_header_fields(&limits, &raw.bytes);
                    let id = identify(engine, parsed.as_ref(), &raw.bytes);
                    let size = raw.bytes.len() as u64;
                    let held = keep.then(|| raw.bytes.into_boxed_slice());
                    let mut origin = raw.origin;
                    if let Origin::File(path) = &mut origin {
                        path.shrink_to_fit();
                    }
                    let at = Located {
                        source_id: raw.source_id.into_boxed_str(),
                        origin,
                        held,
                        size,
                    };
                    (at, id.sender_key, id.key)
                })
                .collect()
        });
        self.counted.reserve(identified.len());
        for (at, sender_key, key) in identified {
            let sender_key = match self.senders.get(sender_key.as_str()) {
                Some(shared) => shared.clone(),
                None => {
                    let shared: Arc<str> = sender_key.into();
                    self.senders.insert(shared.clone());
                    shared
                }
            };
            self.counted.push(Counted {
                at,
                sender_key,
                key: key.into_boxed_str(),
            });
        }
    }

    /// Read every file source in chunks, giving each message a unique source
    /// id. An unreadable file becomes a message with no bytes (routed to
    /// escalate), so nothing silently disappears.
    pub fn read_file_sources(&mut self, paths: &[std::path::PathBuf]) -> Result<()> {
        let mut chunk = Vec::new();
        let mut chunk_bytes = 0;
        for_each_message(paths, |raw| {
            chunk_bytes += raw.bytes.len();
            chunk.push(raw);
            if chunk.len() >= CHUNK_MESSAGES || chunk_bytes >= CHUNK_BYTES {
                self.add_chunk(std::mem::take(&mut chunk));
                chunk_bytes = 0;
            }
        })?;
        self.add_chunk(chunk);
        Ok(())
    }

    /// The entries sorted by source id, and the source ids of messages whose
    /// key an earlier message (by source id) of the night already has: the
    /// history indexes each key once, the first.
    pub fn finish(mut self) -> (Vec<Counted>, HashSet<String>) {
        self.counted
            .sort_unstable_by(|a, b| a.at.source_id.cmp(&b.at.source_id));
        let mut keys = HashSet::with_capacity(self.counted.len());
        let repeated = self
            .counted
            .iter()
            .filter(|c| !keys.insert(&*c.key))
            .map(|c| c.at.source_id.to_string())
            .collect();
        (self.counted, repeated)
    }
}

/// Every message of every file source, in source order, each with its
/// unique source id (prefixed by the source's name when there are several).
pub fn for_each_message(
    paths: &[std::path::PathBuf],
    mut each: impl FnMut(RawMessage),
) -> Result<()> {
    let prefix_needed = paths.len() > 1;
    let mut seen_prefixes = HashSet::new();
    for path in paths {
        let mut source = open_file_source(path)?;
        let prefix = if prefix_needed {
            let name = source_name(path);
            if !seen_prefixes.insert(name.clone()) {
                return Err(Error::Config(
                    ConfigError::new(
                        path,
                        0,
                        format!("two sources are both named `{name}`; source ids would clash"),
                    )
                    .into(),
                ));
            }
            Some(name)
        } else {
            None
        };
        for item in source.messages() {
            let mut raw = match item {
                Ok(raw) => raw,
                Err(Error::Io { path: bad, source }) => {
                    super::log::unreadable(&bad, &source);
                    RawMessage {
                        source_id: crate::ingest::relative_id(path, &bad),
                        bytes: Vec::new(),
                        origin: Origin::Memory,
                    }
                }
                Err(e) => return Err(e),
            };
            if let Some(p) = &prefix {
                raw.source_id = format!("{p}/{}", raw.source_id);
            }
            each(raw);
        }
    }
    Ok(())
}

fn source_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(path: &Path, held: Option<&[u8]>, size: u64) -> Located {
        Located {
            source_id: "m.eml".into(),
            origin: Origin::File(path.to_path_buf()),
            held: held.map(Box::from),
            size,
        }
    }

    #[test]
    fn a_kept_message_is_not_read_again_and_others_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.eml");
        std::fs::write(&path, b"Subject: x\n\nbody\n").unwrap();
        let read = located(&path, None, 17).into_raw();
        assert_eq!(read.bytes, b"Subject: x\n\nbody\n");
        assert_eq!(read.source_id, "m.eml");
        // Grown since the census: read whole, as before.
        std::fs::write(&path, b"Subject: x\n\nbody, and more\n").unwrap();
        assert_eq!(
            located(&path, None, 17).into_raw().bytes,
            b"Subject: x\n\nbody, and more\n"
        );
        // Kept by the census: its bytes, even once the file is gone.
        std::fs::remove_file(&path).unwrap();
        let kept = located(&path, Some(b"Subject: x\n\nbody\n"), 17).into_raw();
        assert_eq!(kept.bytes, b"Subject: x\n\nbody\n");
        assert!(matches!(kept.origin, Origin::File(_)));
        // An empty message kept is still kept (not read again).
        assert!(located(&path, Some(b""), 0).into_raw().bytes.is_empty());
        // Not kept and gone: no bytes (escalated as unparseable).
        assert!(located(&path, None, 17).into_raw().bytes.is_empty());
    }
}
