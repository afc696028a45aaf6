//! `STATE/imap.json`: per account and mailbox, UIDVALIDITY, the highest UID
//! triaged and the copy journal. Replaced atomically (temp file, fsync,
//! rename, fsync of the folder), so after a crash it is either the old or the
//! new version, never a mix.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const FILE: &str = "imap.json";

/// Where one message is in its delivery (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Not copied yet; no COPY was sent.
    Copy,
    /// A COPY may have been sent: look for it in the destination first.
    Verify,
    /// Copied; the keywords remain to be set.
    Flag,
    /// Copied and its keywords set. Kept in the journal until every message of
    /// the night is done, so that a re-run after a crash fetches and reports
    /// the whole night again (its report replaces the crashed run's in
    /// `--out`) without copying or flagging these again.
    Done,
}

/// One message of the copy journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    pub uid: u32,
    /// `respond`, `read-only` or `escalate`.
    pub queue: String,
    /// The history key (`mid:…` or `sha256:…`).
    pub key: String,
    pub message_id: Option<String>,
    pub size: usize,
    /// SHA-256 of the bytes, to recognise the copy.
    pub sha256: String,
    pub stage: Stage,
    /// The destination's UIDNEXT just before the COPY (for `verify`); 0: unknown,
    /// search the whole folder.
    #[serde(default)]
    pub dest_from: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MailboxState {
    pub uidvalidity: u32,
    /// Highest UID triaged (reports written, history committed).
    pub last_uid: u32,
    /// Messages triaged but not yet fully delivered, by UID.
    #[serde(default)]
    pub pending: Vec<Pending>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImapState {
    /// Keyed by the mailbox URL (`imaps://user@host:port/MAILBOX`).
    pub mailboxes: BTreeMap<String, MailboxState>,
}

impl ImapState {
    pub fn path(state_dir: &Path) -> PathBuf {
        state_dir.join(FILE)
    }

    /// Read the state; a missing file is an empty state.
    pub fn load(state_dir: &Path) -> Result<ImapState> {
        let path = Self::path(state_dir);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::Other(format!(
                    "{}: cannot read the IMAP state: {e}; restore it from a backup, or remove it \
                     to triage every mailbox from scratch (README: re-triage)",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ImapState::default()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// Replace the file atomically and durably.
    pub fn save(&self, state_dir: &Path) -> Result<()> {
        let path = Self::path(state_dir);
        let tmp = state_dir.join(format!("{FILE}.tmp"));
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::Other(e.to_string()))?;
        crate::sink::files::write_private(&tmp, &json)?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        crate::sink::files::sync_dir(state_dir)
    }

    /// Journal entries still to be copied or flagged.
    pub fn pending_count(&self) -> usize {
        self.mailboxes
            .values()
            .flat_map(|m| &m.pending)
            .filter(|p| p.stage != Stage::Done)
            .count()
    }
}

/// What the journal records of one triaged IMAP message, taken from its
/// batch so the night's outcomes and bytes need not be kept.
pub struct Triaged {
    pub source_id: String,
    pub queue: String,
    pub key: String,
    pub message_id: Option<String>,
    pub size: usize,
    pub sha256: String,
}

impl Triaged {
    /// The messages of a batch that came from a fetched mailbox.
    pub fn of_batch(
        fetch: &super::FetchReport,
        outcomes: &[crate::Outcome],
        raws: &BTreeMap<String, Vec<u8>>,
    ) -> Vec<Triaged> {
        use sha2::{Digest, Sha256};
        outcomes
            .iter()
            .filter(|o| {
                fetch
                    .mailboxes
                    .iter()
                    .any(|m| m.uid_of(&o.source_id).is_some())
            })
            .map(|o| {
                let bytes = raws.get(&o.source_id).map_or(&[][..], Vec::as_slice);
                Triaged {
                    source_id: o.source_id.clone(),
                    queue: o.queue().as_str().to_string(),
                    key: o.key.clone(),
                    message_id: o.message_id.clone(),
                    size: bytes.len(),
                    sha256: hex::encode(Sha256::digest(bytes)),
                }
            })
            .collect()
    }
}

/// Record a triaged night: per fetched mailbox, its UIDVALIDITY, the highest
/// UID fetched, and a journal entry for every message of the night (entries
/// already in the journal keep their stage). Returns, per mailbox, the
/// journal UIDs that vanished from the server (dropped).
pub fn record_night(
    state: &mut ImapState,
    fetch: &super::FetchReport,
    night: &[Triaged],
) -> Vec<(String, Vec<u32>)> {
    let mut vanished = Vec::new();
    for mf in &fetch.mailboxes {
        let prev = &mf.previous;
        let mut kept: BTreeMap<u32, Pending> = if mf.rescan {
            BTreeMap::new()
        } else {
            prev.pending.iter().map(|p| (p.uid, p.clone())).collect()
        };
        let old_keys: std::collections::HashSet<&str> = if mf.rescan {
            prev.pending.iter().map(|p| p.key.as_str()).collect()
        } else {
            Default::default()
        };
        let mut pending = Vec::new();
        for o in night {
            let Some(uid) = mf.uid_of(&o.source_id) else {
                continue;
            };
            if let Some(p) = kept.remove(&uid) {
                pending.push(p);
                continue;
            }
            pending.push(Pending {
                uid,
                queue: o.queue.clone(),
                key: o.key.clone(),
                message_id: o.message_id.clone(),
                size: o.size,
                sha256: o.sha256.clone(),
                // Journalled under the old UIDVALIDITY: it may have been copied.
                stage: if old_keys.contains(o.key.as_str()) {
                    Stage::Verify
                } else {
                    Stage::Copy
                },
                dest_from: 0,
            });
        }
        if !kept.is_empty() || !mf.vanished.is_empty() {
            let mut gone: Vec<u32> = kept
                .keys()
                .copied()
                .chain(mf.vanished.iter().copied())
                .collect();
            gone.sort_unstable();
            gone.dedup();
            vanished.push((mf.key.clone(), gone));
        }
        pending.sort_by_key(|p| p.uid);
        let highest = mf.fetched.iter().next_back().copied().unwrap_or(0);
        let last_uid = if mf.rescan {
            highest
        } else {
            highest.max(prev.last_uid)
        };
        state.mailboxes.insert(
            mf.key.clone(),
            MailboxState {
                uidvalidity: mf.uidvalidity,
                last_uid,
                pending,
            },
        );
    }
    vanished
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_starts_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(ImapState::load(dir.path()).unwrap(), ImapState::default());
        let mut s = ImapState::default();
        s.mailboxes.insert(
            "imaps://u@h:993/INBOX".into(),
            MailboxState {
                uidvalidity: 7,
                last_uid: 42,
                pending: vec![Pending {
                    uid: 42,
                    queue: "escalate".into(),
                    key: "mid:<a@b>".into(),
                    message_id: Some("<a@b>".into()),
                    size: 10,
                    sha256: "00".into(),
                    stage: Stage::Verify,
                    dest_from: 3,
                }],
            },
        );
        s.save(dir.path()).unwrap();
        assert_eq!(ImapState::load(dir.path()).unwrap(), s);
        assert!(!dir.path().join("imap.json.tmp").exists());
    }
}
