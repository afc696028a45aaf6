//! Phase 3: copy each journalled message into its queue's folder exactly
//! once, then set its keywords; the journal is saved at every step and
//! emptied only when the whole night is done (see the module documentation
//! of [`crate::imap`]).

use super::state::{ImapState, Pending, Stage};
use super::{
    connect, fault, imap_error, queue_keyword, quote, uid_set, ImapSettings, ImapUrl, Session,
    TRIAGED_KEYWORD,
};
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// What delivery did for one mailbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delivered {
    pub copied: usize,
    /// Copies found already in place (a COPY sent before a crash).
    pub found: usize,
    pub flagged: usize,
}

/// Deliver every journal entry of `url`'s mailbox, saving `state` under
/// `state_dir` after each step.
pub fn deliver(
    url: &ImapUrl,
    settings: &ImapSettings,
    state: &mut ImapState,
    state_dir: &Path,
) -> Result<Delivered> {
    let key = url.describe();
    let mut done = Delivered::default();
    let Some(mb) = state.mailboxes.get(&key) else {
        return Ok(done);
    };
    if mb.pending.is_empty() {
        return Ok(done);
    }
    if mb.pending.iter().all(|p| p.stage == Stage::Done) {
        // A re-run of a night whose delivery had finished but whose journal
        // was not yet emptied: nothing to send.
        pending_mut(state, &key).clear();
        state.save(state_dir)?;
        return Ok(done);
    }
    let uidvalidity = mb.uidvalidity;
    let what = key.clone();
    let mut s = connect(url, settings)?;
    let selected = s
        .select(&url.mailbox)
        .map_err(|e| imap_error(&what, "cannot open the mailbox", e))?;
    if selected.uid_validity != Some(uidvalidity) {
        // The next run sees the new UIDVALIDITY and rescans.
        eprintln!(
            "triage: IMAP {what}: UIDVALIDITY changed during the run; copying resumes with the \
             next run"
        );
        let _ = s.logout();
        return Ok(done);
    }
    let folders = server_folders(&mut s, &what, settings)?;
    for f in folders.values() {
        ensure_folder(&mut s, &what, f)?;
    }

    // Entries that may already have been copied: look for them first.
    let needs_verify = pending(state, &key)
        .iter()
        .any(|p| p.stage == Stage::Verify);
    if needs_verify {
        for (queue, folder) in &folders {
            s.examine(folder)
                .map_err(|e| imap_error(&what, "opening a triage folder", e))?;
            let mut claimed = HashSet::new();
            for p in pending_mut(state, &key)
                .iter_mut()
                .filter(|p| p.stage == Stage::Verify && &p.queue == queue)
            {
                if let Some(uid) = find_copy(&mut s, &what, p, &claimed)? {
                    claimed.insert(uid);
                    p.stage = Stage::Flag;
                    done.found += 1;
                } else {
                    p.stage = Stage::Copy;
                }
            }
        }
        state.save(state_dir)?;
        s.select(&url.mailbox)
            .map_err(|e| imap_error(&what, "cannot open the mailbox", e))?;
    }

    for (queue, folder) in &folders {
        loop {
            let chunk = next_chunk(state, &key, Stage::Copy, queue, settings.copy_batch);
            if chunk.is_empty() {
                break;
            }
            let next = s
                .status(folder, "(UIDNEXT)")
                .map_err(|e| imap_error(&what, "reading a triage folder", e))?
                .uid_next
                .unwrap_or(0);
            set_stage(state, &key, &chunk, Stage::Verify, Some(next));
            state.save(state_dir)?;
            s.uid_copy(uid_set(&chunk), quote(folder))
                .map_err(|e| imap_error(&what, &format!("copying into {folder}"), e))?;
            fault::point("after_copy");
            set_stage(state, &key, &chunk, Stage::Flag, None);
            state.save(state_dir)?;
            done.copied += chunk.len();
        }
    }

    for queue in folders.keys() {
        loop {
            let chunk = next_chunk(state, &key, Stage::Flag, queue, settings.copy_batch);
            if chunk.is_empty() {
                break;
            }
            // Checked for OK only: the crate cannot parse every untagged reply
            // a server may send here (CONDSTORE's MODSEQ, new keywords).
            s.run_command_and_check_ok(format!(
                "UID STORE {} +FLAGS.SILENT ({TRIAGED_KEYWORD} {})",
                uid_set(&chunk),
                queue_keyword(queue)
            ))
            .map_err(|e| imap_error(&what, "setting keywords", e))?;
            fault::point("after_flags");
            set_stage(state, &key, &chunk, Stage::Done, None);
            state.save(state_dir)?;
            done.flagged += chunk.len();
        }
    }
    // The whole night is delivered: only now does the journal forget it.
    fault::point("before_journal_cleared");
    pending_mut(state, &key).clear();
    state.save(state_dir)?;
    let _ = s.logout();
    Ok(done)
}

fn pending<'a>(state: &'a ImapState, key: &str) -> &'a [Pending] {
    state
        .mailboxes
        .get(key)
        .map(|m| m.pending.as_slice())
        .unwrap_or(&[])
}

/// Up to `n` UIDs of `queue` at `stage`.
fn next_chunk(state: &ImapState, key: &str, stage: Stage, queue: &str, n: usize) -> Vec<u32> {
    pending(state, key)
        .iter()
        .filter(|p| p.stage == stage && p.queue == queue)
        .take(n.max(1))
        .map(|p| p.uid)
        .collect()
}

fn pending_mut<'a>(state: &'a mut ImapState, key: &str) -> &'a mut Vec<Pending> {
    &mut state
        .mailboxes
        .get_mut(key)
        .expect("delivering a mailbox that is in the state")
        .pending
}

fn set_stage(state: &mut ImapState, key: &str, uids: &[u32], stage: Stage, from: Option<u32>) {
    for p in pending_mut(state, key)
        .iter_mut()
        .filter(|p| uids.contains(&p.uid))
    {
        p.stage = stage;
        if let Some(f) = from {
            p.dest_from = f;
        }
    }
}

/// The folder of each queue, in the server's hierarchy delimiter.
fn server_folders(
    s: &mut Session,
    what: &str,
    settings: &ImapSettings,
) -> Result<BTreeMap<String, String>> {
    let names = s
        .list(Some(""), Some("\"\""))
        .map_err(|e| imap_error(what, "asking for the hierarchy delimiter", e))?;
    let delim = names
        .iter()
        .find_map(|n| n.delimiter().map(str::to_owned))
        .unwrap_or_else(|| "/".into());
    Ok(["respond", "read-only", "escalate"]
        .into_iter()
        .map(|q| {
            (
                q.to_string(),
                settings.folders.for_queue(q).replace('/', &delim),
            )
        })
        .collect())
}

/// Create `folder` unless it exists.
fn ensure_folder(s: &mut Session, what: &str, folder: &str) -> Result<()> {
    let exists = |s: &mut Session| -> Result<bool> {
        Ok(!s
            .list(Some(""), Some(&quote(folder)))
            .map_err(|e| imap_error(what, "listing folders", e))?
            .is_empty())
    };
    if exists(s)? {
        return Ok(());
    }
    if let Err(e) = s.create(folder) {
        if !exists(s)? {
            return Err(imap_error(what, &format!("creating {folder}"), e));
        }
    }
    Ok(())
}

/// Look for a copy of `p` in the examined folder among UIDs from
/// `p.dest_from`, not yet claimed by another entry; compare the bytes.
fn find_copy(
    s: &mut Session,
    what: &str,
    p: &Pending,
    claimed: &HashSet<u32>,
) -> Result<Option<u32>> {
    let from = p.dest_from.max(1);
    let criterion = match &p.message_id {
        Some(mid) if mid.is_ascii() && !mid.chars().any(|c| c.is_control()) => {
            format!("HEADER Message-ID {}", quote(mid))
        }
        _ if p.size == 0 => "SMALLER 1".to_string(),
        _ => format!("LARGER {} SMALLER {}", p.size - 1, p.size + 1),
    };
    let found = s
        .uid_search(format!("UID {from}:* {criterion}"))
        .map_err(|e| imap_error(what, "searching a triage folder", e))?;
    let mut candidates: Vec<u32> = found
        .into_iter()
        .filter(|u| *u >= from && !claimed.contains(u))
        .collect();
    candidates.sort_unstable();
    for uid in candidates {
        let fetches = s
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .map_err(|e| imap_error(what, "reading a triage folder", e))?;
        let same = fetches.iter().any(|f| {
            f.uid == Some(uid)
                && f.body()
                    .is_some_and(|b| hex::encode(Sha256::digest(b)) == p.sha256)
        });
        if same {
            return Ok(Some(uid));
        }
    }
    Ok(None)
}

/// A failure of the delivery phase, with what the administrator should know.
pub fn after_failure(e: Error) -> Error {
    Error::Other(format!(
        "{e}; the reports are written and the copy journal is saved: the next run finishes \
         the copies (nothing is copied twice)"
    ))
}
