//! History: the tantivy index of past correspondence under `--state`.
//!
//! Every triaged message is indexed once (keyed by Message-ID, or a content
//! hash where it has none). The pipeline asks for one sender's earlier mail
//! and computes repeats, volumes and earlier abuse from it; see [`similarity`].

pub mod similarity;

use crate::error::Result;
use std::path::Path;

/// One message as the history remembers it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HistoryEntry {
    /// De-duplication key: `mid:<Message-ID>` or `sha256:<hex of the bytes>`.
    pub key: String,
    /// `cust:<customer_id>` for a registered customer, else `addr:<address>`.
    pub sender_key: String,
    pub customer_id: Option<String>,
    /// Unix seconds (UTC).
    pub date: i64,
    pub subject: String,
    /// The sender's own words (stripped body).
    pub body: String,
    pub message_id: Option<String>,
    pub source_id: String,
    pub queue: String,
    /// §4 category names.
    pub categories: Vec<String>,
}

pub struct History {}

impl History {
    /// Open the index under `state_dir/history`, creating it if missing.
    pub fn open(state_dir: &Path) -> Result<History> {
        let _ = state_dir;
        unimplemented!("History::open")
    }
    /// Every indexed message of one sender, sorted by (date, key).
    pub fn sender_entries(&self, sender_key: &str) -> Result<Vec<HistoryEntry>> {
        let _ = sender_key;
        unimplemented!("sender_entries")
    }
    /// Whether a key is already indexed.
    pub fn contains(&self, key: &str) -> Result<bool> {
        let _ = key;
        unimplemented!("contains")
    }
    /// Add the entries whose key is not yet indexed, commit; returns how many were added.
    pub fn add_all(&mut self, entries: &[HistoryEntry]) -> Result<usize> {
        let _ = entries;
        unimplemented!("add_all")
    }
    /// Number of messages indexed.
    pub fn len(&self) -> Result<u64> {
        unimplemented!("len")
    }
}
