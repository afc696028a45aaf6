//! Phase 1: fetch what is new (and what the journal still holds) from each
//! mailbox, in batches, on a thread feeding a bounded channel.

use super::state::{ImapState, MailboxState};
use super::{connect, fault, imap_error, uid_set, ImapSettings, ImapUrl};
use crate::error::{Error, Result};
use crate::ingest::RawMessage;
use std::collections::BTreeSet;
use std::sync::mpsc::SyncSender;
use std::thread::JoinHandle;

/// What was fetched from one mailbox.
#[derive(Debug, Clone)]
pub struct MailboxFetch {
    pub url: ImapUrl,
    /// The state key (the URL without secrets).
    pub key: String,
    pub uidvalidity: u32,
    /// The state before this run (default when first seen).
    pub previous: MailboxState,
    /// UIDVALIDITY changed since the last run: every message was fetched.
    pub rescan: bool,
    /// Source ids start with this (`imap:MAILBOX/UIDVALIDITY/`).
    pub id_prefix: String,
    /// Every UID fetched.
    pub fetched: BTreeSet<u32>,
    /// Journal UIDs the server no longer has (deleted by a person).
    pub vanished: Vec<u32>,
}

impl MailboxFetch {
    /// The UID of one of this mailbox's source ids.
    pub fn uid_of(&self, source_id: &str) -> Option<u32> {
        source_id.strip_prefix(&self.id_prefix)?.parse().ok()
    }
}

#[derive(Debug, Clone, Default)]
pub struct FetchReport {
    pub mailboxes: Vec<MailboxFetch>,
}

/// Start fetching `urls` (with their source id prefixes, `imap:` included) on
/// a thread; batches of messages go to `tx`. The thread's result says what
/// was fetched; on error it stops and drops `tx`.
pub fn spawn_fetch(
    urls: Vec<(ImapUrl, String)>,
    settings: ImapSettings,
    state: ImapState,
    tx: SyncSender<Vec<RawMessage>>,
) -> JoinHandle<Result<FetchReport>> {
    std::thread::Builder::new()
        .name("imap-fetch".into())
        .spawn(move || {
            let mut report = FetchReport::default();
            for (url, prefix) in urls {
                report
                    .mailboxes
                    .push(fetch_mailbox(&url, &prefix, &settings, &state, &tx)?);
            }
            Ok(report)
        })
        .expect("cannot start the IMAP fetch thread")
}

fn fetch_mailbox(
    url: &ImapUrl,
    prefix: &str,
    settings: &ImapSettings,
    state: &ImapState,
    tx: &SyncSender<Vec<RawMessage>>,
) -> Result<MailboxFetch> {
    let what = url.describe();
    let mut session = connect(url, settings)?;
    // EXAMINE: read-only, so nothing about the mailbox can change while fetching.
    let mailbox = session
        .examine(&url.mailbox)
        .map_err(|e| imap_error(&what, "cannot open the mailbox", e))?;
    let uidvalidity = mailbox
        .uid_validity
        .ok_or_else(|| Error::Other(format!("IMAP {what}: the server sent no UIDVALIDITY")))?;
    let previous = state.mailboxes.get(&what).cloned();
    let same = previous
        .as_ref()
        .is_some_and(|p| p.uidvalidity == uidvalidity);
    let rescan = previous.is_some() && !same;
    let previous = previous.unwrap_or_default();
    let mut wanted: BTreeSet<u32> = BTreeSet::new();
    if same {
        wanted.extend(previous.pending.iter().map(|p| p.uid));
        if mailbox.exists > 0 {
            let newer = session
                .uid_search(format!("UID {}:*", previous.last_uid + 1))
                .map_err(|e| imap_error(&what, "searching for new mail", e))?;
            // `N:*` also matches the highest UID when it is below N.
            wanted.extend(newer.into_iter().filter(|&u| u > previous.last_uid));
        }
    } else if mailbox.exists > 0 {
        let all = session
            .uid_search("ALL")
            .map_err(|e| imap_error(&what, "listing the mailbox", e))?;
        wanted.extend(all);
    }
    let id_prefix = format!("{prefix}/{uidvalidity}/");
    let wanted: Vec<u32> = wanted.into_iter().collect();
    let mut fetched = BTreeSet::new();
    for chunk in wanted.chunks(settings.fetch_batch.max(1)) {
        let fetches = session
            .uid_fetch(uid_set(chunk), "(UID BODY.PEEK[])")
            .map_err(|e| imap_error(&what, "fetching messages", e))?;
        let mut batch = Vec::with_capacity(fetches.len());
        for f in fetches.iter() {
            let (Some(uid), Some(body)) = (f.uid, f.body()) else {
                continue;
            };
            if chunk.binary_search(&uid).is_err() || !fetched.insert(uid) {
                continue;
            }
            batch.push(RawMessage {
                source_id: format!("{id_prefix}{uid}"),
                bytes: body.to_vec(),
                origin: crate::ingest::Origin::Memory,
            });
        }
        if tx.send(batch).is_err() {
            return Err(Error::Other("the pipeline stopped while fetching".into()));
        }
        fault::point("during_fetch");
    }
    let _ = session.logout();
    let vanished = if same {
        previous
            .pending
            .iter()
            .map(|p| p.uid)
            .filter(|u| !fetched.contains(u))
            .collect()
    } else {
        Vec::new()
    };
    Ok(MailboxFetch {
        url: url.clone(),
        key: what,
        uidvalidity,
        previous,
        rescan,
        id_prefix,
        fetched,
        vanished,
    })
}
