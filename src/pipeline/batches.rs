//! A night in batches of whole senders, so memory holds one batch rather
//! than the night: after the [`census`](super::census), senders are taken
//! in sender-key order and packed into batches of at most `--batch`
//! messages and [`BATCH_BYTES`] bytes (a sender with more is a batch of its
//! own). Each batch's bytes are read again, prepared in parallel and triaged
//! sender by sender exactly as a whole night would be — a sender's messages
//! are never split, so outputs never depend on the batch size.

use super::census::{Census, Counted, Located};
use super::{imap_id_prefixes, ms, prepare, triage_by_sender, Engine};
use crate::error::{Error, Result};
use crate::history::{Fingerprint, History, HistoryEntry};
use crate::imap::{self, FetchReport, ImapState};
use crate::ingest::RawMessage;
use crate::outcome::Outcome;
use crate::sink::Timings;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

/// Messages per batch unless `--batch` says otherwise.
pub const DEFAULT_BATCH: usize = 5_000;
/// Bytes of mail per batch (a sender whose own mail is larger is a batch of
/// its own): with the parsed text and outcomes, a batch takes a few times
/// this in memory.
pub const BATCH_BYTES: u64 = 64 << 20;

/// One batch triaged: every message of its senders.
pub struct Batch {
    /// Sorted by source id.
    pub outcomes: Vec<Outcome>,
    /// What the history gains, sorted by source id.
    pub entries: Vec<HistoryEntry>,
    /// The fingerprint of each of `entries`' bodies, in the same order.
    fingerprints: Vec<Fingerprint>,
    /// Original bytes by source id, for the queues.
    pub raws: BTreeMap<String, Vec<u8>>,
    /// Source ids whose key an earlier message of the night has.
    repeated: HashSet<String>,
}

impl Batch {
    /// The entries the history indexes: each key of the night once, for its
    /// first message by source id (as when the night was added in one go).
    /// Each with its fingerprint, for [`History::add`].
    pub fn entries_to_index(&self) -> impl Iterator<Item = (&HistoryEntry, &Fingerprint)> {
        self.entries
            .iter()
            .zip(&self.fingerprints)
            .filter(|(e, _)| !self.repeated.contains(&e.source_id))
    }
}

/// A batch as the sinks write it, once the history has its entries: the
/// fingerprints (about 2 KB a message) and the repeated keys are not held
/// while it is written.
pub struct ToWrite {
    /// Sorted by source id.
    pub outcomes: Vec<Outcome>,
    /// Sorted by source id.
    pub entries: Vec<HistoryEntry>,
    /// Original bytes by source id, for the queues.
    pub raws: BTreeMap<String, Vec<u8>>,
}

impl From<Batch> for ToWrite {
    fn from(batch: Batch) -> ToWrite {
        ToWrite {
            outcomes: batch.outcomes,
            entries: batch.entries,
            raws: batch.raws,
        }
    }
}

/// A night being triaged batch by batch.
pub struct Batches<'e> {
    engine: &'e Engine,
    pool: rayon::ThreadPool,
    /// Batches still to come; each is dropped once triaged, so the census
    /// shrinks as the night goes.
    plan: std::vec::IntoIter<Vec<Located>>,
    repeated: HashSet<String>,
    /// Summed over the census and the batches so far (write time stays 0).
    pub timings: Timings,
    /// What came from each IMAP mailbox (`None` without IMAP sources).
    pub imap: Option<FetchReport>,
    /// Messages in the night.
    pub messages: usize,
}

impl<'e> Batches<'e> {
    /// Take the census of the night (file sources, then IMAP as
    /// `imap_state` says) and plan its batches.
    pub fn start(
        engine: &'e Engine,
        history: &History,
        imap_state: Option<&ImapState>,
    ) -> Result<Batches<'e>> {
        let started = Instant::now();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(engine.config.threads)
            .build()
            .map_err(|e| Error::Other(format!("cannot start worker threads: {e}")))?;
        let mut census = Census::new(engine, &pool);
        census.read_file_sources(&engine.config.sources)?;
        let mut fetch = None;
        if let (Some(state), false) = (imap_state, engine.config.imap_sources.is_empty()) {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<RawMessage>>(2);
            let handle = imap::spawn_fetch(
                imap_id_prefixes(&engine.config.imap_sources),
                engine.config.imap.clone(),
                state.clone(),
                tx,
            );
            for chunk in rx {
                census.add_chunk(chunk);
            }
            let report = handle
                .join()
                .map_err(|_| Error::Other("the IMAP fetch thread failed".into()))??;
            let dropped = drop_triaged_before(&mut census.counted, &report, history)?;
            if dropped > 0 {
                super::log::rescan_dropped(dropped);
            }
            fetch = Some(report);
        }
        let (counted, repeated) = census.finish();
        let messages = counted.len();
        let plan = plan(counted, engine.config.batch, BATCH_BYTES);
        Ok(Batches {
            engine,
            pool,
            plan: plan.into_iter(),
            repeated,
            timings: Timings {
                read_ms: ms(started, Instant::now()),
                ..Timings::default()
            },
            imap: fetch,
            messages,
        })
    }

    /// Triage the next batch against `history` (as it was before the
    /// night); `None` when every batch is done.
    pub fn next(&mut self, history: &History) -> Result<Option<Batch>> {
        let Some(batch) = self.plan.next() else {
            return Ok(None);
        };
        let engine = self.engine;
        let started = Instant::now();
        let repeated: HashSet<String> = batch
            .iter()
            .filter(|c| self.repeated.contains(&*c.source_id))
            .map(|c| c.source_id.to_string())
            .collect();
        let raws: Vec<RawMessage> = self
            .pool
            .install(|| batch.into_par_iter().map(Located::into_raw).collect());
        let read = Instant::now();
        let prepared: Vec<_> = self.pool.install(|| {
            raws.into_par_iter()
                .map(|raw| prepare::prepare(engine, raw))
                .collect()
        });
        let parsed = Instant::now();
        let (outcomes, entries, raws) = self
            .pool
            .install(|| triage_by_sender(engine, history, prepared))?;
        let (entries, fingerprints) = entries.into_iter().unzip();
        let routed = Instant::now();
        self.timings.read_ms += ms(started, read);
        self.timings.parse_detect_ms += ms(read, parsed);
        self.timings.history_route_ms += ms(parsed, routed);
        Ok(Some(Batch {
            outcomes,
            entries,
            fingerprints,
            raws,
            repeated,
        }))
    }
}

/// Whole senders, in sender-key order, packed into batches of at most
/// `max_messages` messages and `max_bytes` bytes; a sender with more is a
/// batch of its own. `counted` is in source-id order, which each sender's
/// messages keep. The census entries are consumed as the batches are
/// filled (nothing is held twice); keys and sender keys are dropped.
fn plan(mut counted: Vec<Counted>, max_messages: usize, max_bytes: u64) -> Vec<Vec<Located>> {
    // Stable: each sender's messages stay in source-id order.
    counted.sort_by(|a, b| a.sender_key.cmp(&b.sender_key));
    let mut batches = Vec::new();
    let mut current: Vec<Located> = Vec::new();
    let mut current_bytes = 0;
    let mut entries = counted.into_iter().peekable();
    while let Some(first) = entries.next() {
        let mut sender = vec![first.at];
        while let Some(next) = entries.next_if(|c| c.sender_key == first.sender_key) {
            sender.push(next.at);
        }
        let bytes: u64 = sender.iter().map(|c| c.size).sum();
        if !current.is_empty()
            && (current.len() + sender.len() > max_messages || current_bytes + bytes > max_bytes)
        {
            batches.push(std::mem::take(&mut current));
            current_bytes = 0;
        }
        current.extend(sender);
        current_bytes += bytes;
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// After a UIDVALIDITY change every message of the mailbox was fetched: drop
/// those the history already holds under another source id (triaged under
/// the old UIDVALIDITY), except those the old copy journal still held.
fn drop_triaged_before(
    counted: &mut Vec<Counted>,
    report: &FetchReport,
    history: &History,
) -> Result<usize> {
    let rescans: Vec<(&str, HashSet<&str>)> = report
        .mailboxes
        .iter()
        .filter(|m| m.rescan)
        .map(|m| {
            (
                m.id_prefix.as_str(),
                m.previous.pending.iter().map(|p| p.key.as_str()).collect(),
            )
        })
        .collect();
    if rescans.is_empty() {
        return Ok(0);
    }
    let before = counted.len();
    let mut keep = Vec::with_capacity(before);
    for c in counted.drain(..) {
        let id = &*c.at.source_id;
        let drop = match rescans.iter().find(|(prefix, _)| id.starts_with(prefix)) {
            Some((_, journal)) if !journal.contains(&*c.key) => history
                .source_ids_of(&c.key)?
                .iter()
                .any(|other| other != id),
            _ => false,
        };
        if !drop {
            keep.push(c);
        }
    }
    *counted = keep;
    Ok(before - counted.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Origin;

    fn counted(id: &str, sender: &str, size: u64) -> Counted {
        Counted {
            at: Located {
                source_id: id.into(),
                origin: Origin::Memory,
                held: None,
                size,
            },
            sender_key: sender.into(),
            key: id.into(),
        }
    }

    fn ids(batches: &[Vec<Located>]) -> Vec<Vec<&str>> {
        batches
            .iter()
            .map(|b| b.iter().map(|c| &*c.source_id).collect())
            .collect()
    }

    #[test]
    fn batches_hold_whole_senders_in_sender_order() {
        let night = vec![
            counted("1", "addr:b", 10),
            counted("2", "addr:a", 10),
            counted("3", "addr:b", 10),
            counted("4", "addr:c", 10),
            counted("5", "addr:b", 10),
        ];
        assert_eq!(
            ids(&plan(night, 2, 1000)),
            [vec!["2"], vec!["1", "3", "5"], vec!["4"]],
            "a sender with more than the batch is a batch of its own"
        );
    }

    #[test]
    fn batches_are_cut_by_bytes_too() {
        let night = vec![
            counted("1", "addr:a", 600),
            counted("2", "addr:b", 600),
            counted("3", "addr:c", 100),
        ];
        assert_eq!(ids(&plan(night, 100, 1000)), [vec!["1"], vec!["2", "3"]]);
    }
}
