//! `triage state rebuild`: a new history index made from the mail itself,
//! for when the index under `--state` is damaged or lost.
//!
//! The history holds, for each message triaged, what triage made of it
//! (sender, date, own words, queue, categories). Everything in it can be
//! recomputed from the messages, so a rebuild re-reads the mail the council
//! keeps (its archive of the mailbox, or the `queues/` of kept runs), triages
//! it as one night with an empty history — each sender's messages in date
//! order, so the earlier ones count as they did — and indexes the result,
//! batch by batch like a run (memory holds a batch, not the archive), in
//! one commit at the end.
//! Queues and categories follow today's rules and register, not those of
//! the night each message arrived. Reports are not written.

use super::{file_sources_only, Batches, Engine};
use crate::error::Result;
use crate::history::History;
use crate::sink::files::StateLock;
use std::path::PathBuf;

/// What a rebuild did.
pub struct Rebuilt {
    /// Messages read from the sources.
    pub messages: usize,
    /// Entries in the new index (duplicates, by key, are indexed once).
    pub indexed: usize,
    /// Where the previous index was moved, if there was one.
    pub set_aside: Option<PathBuf>,
}

/// Rebuild the history of `engine.config.state` from its file sources.
pub fn rebuild_history(engine: &Engine) -> Result<Rebuilt> {
    let state = &engine.config.state;
    let _lock = StateLock::acquire(state)?;
    file_sources_only(engine)?;
    let ((messages, indexed), set_aside) = History::replace_with(state, "damaged", |fresh| {
        let mut batches = Batches::start(engine, fresh, None)?;
        let mut indexed = 0;
        while let Some(batch) = batches.next(fresh)? {
            indexed += fresh.add(batch.entries_to_index())?;
        }
        fresh.commit()?;
        Ok((batches.messages, indexed))
    })?;
    Ok(Rebuilt {
        messages,
        indexed,
        set_aside,
    })
}
