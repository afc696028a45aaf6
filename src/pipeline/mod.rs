//! Pipeline: one night's run, stage by stage (SPEC §2).
//!
//! 1. [`Engine::load`]: register, rules and policy, every problem at once —
//!    nothing is read or written when configuration is bad.
//! 2. Take the census of the night ([`census`]): read every source message by
//!    message, keeping only who sent it, when, and where to read it again.
//! 3. In batches of whole senders ([`batches`]): read the bytes again, parse
//!    and detect each message in parallel ([`prepare`]), then per sender, in
//!    date order, consult the history and route ([`sender`]); senders run in
//!    parallel. Each batch goes to the history writer (uncommitted) and to
//!    the sinks ([`crate::sink::NightWriter`]), which write it on their own
//!    thread while the next batch is triaged ([`write_behind`]), and is
//!    dropped once written.
//! 4. Rename the reports and queues into place, then keep the decisions a
//!    subject access request may ask for ([`crate::history::decisions`]),
//!    then commit the night to the history, so a crash before that point is
//!    repaired by re-running. The previous run's outputs, moved aside by the
//!    renames, are removed at the very end (a crash first leaves them for
//!    the next run to remove).
//! 5. For IMAP sources, record the night in the IMAP state and copy each
//!    message into its queue's folder ([`crate::imap`] explains the order and
//!    why a crash anywhere copies nothing twice). IMAP mail is fetched on a
//!    thread while earlier batches are parsed and detected.
//!
//! Output never depends on the thread count or the batch size: outputs are
//! sorted by source id, and each sender's messages are handled together in
//! a fixed order.

mod batches;
mod census;
mod prepare;
mod rebuild;
mod sender;

use crate::config::RunConfig;
use crate::detect::RuleSet;
use crate::error::{ConfigError, ConfigErrors, Error, Result};
use crate::history::History;
use crate::imap::{self, fault, ImapState};
use crate::ingest::RawMessage;
use crate::outcome::Outcome;
use crate::register::Register;
use crate::route::Policy;
use crate::sink::{self, Summary};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::time::Instant;

pub use batches::{Batch, Batches, ToWrite, BATCH_BYTES, DEFAULT_BATCH};
pub use prepare::{parse_and_detect, parse_header_fields, parse_only, prepare, Prepared, Scanned};
pub use rebuild::{rebuild_history, Rebuilt};
pub use sender::{SenderContext, TriagedMessage, REPEAT_LOOKBACK_MESSAGES};

/// Everything loaded from configuration, built once and shared by threads.
pub struct Engine {
    pub config: RunConfig,
    pub register: Register,
    pub rules: RuleSet,
    pub policy: Policy,
}

impl Engine {
    /// Load register, rules and policy; report every problem of all three.
    pub fn load(config: RunConfig) -> std::result::Result<Engine, ConfigErrors> {
        let mut errors = ConfigErrors::default();
        let register = match &config.register {
            None => Ok(Register::default()),
            Some(path) => Register::load(path),
        };
        let rules = RuleSet::load(&config.rules);
        let policy = Policy::load(&config.rules.join("policy.toml"));
        let register = register.map_err(|e| errors.extend(e)).ok();
        let rules = rules.map_err(|e| errors.extend(e)).ok();
        let policy = policy.map_err(|e| errors.extend(e)).ok();
        match (register, rules, policy) {
            (Some(register), Some(rules), Some(policy)) if errors.is_empty() => Ok(Engine {
                config,
                register,
                rules,
                policy,
            }),
            _ => Err(errors),
        }
    }
}

/// What a finished run tells its caller.
pub struct RunResult {
    pub summary: Summary,
}

impl RunResult {
    /// §6: 0 when everything was processed, 1 when some message could not be.
    pub fn exit_code(&self) -> i32 {
        if self.summary.unparseable > 0 {
            1
        } else {
            0
        }
    }
}

/// Read every file source into memory, sorted by source id (for training
/// sets and other small folders; a night is read by the census).
pub fn read_sources(paths: &[std::path::PathBuf]) -> Result<Vec<RawMessage>> {
    let mut all = Vec::new();
    census::for_each_message(paths, |raw| all.push(raw))?;
    all.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    Ok(all)
}

/// Run the whole night: read, triage, write reports and queues, update
/// history; for IMAP, record the state and copy into the triage folders.
pub fn run(engine: &Engine) -> Result<RunResult> {
    let cfg = &engine.config;
    let lock = crate::sink::files::StateLock::acquire(&cfg.state).map_err(nothing_changed)?;
    let mut history = History::open_upgrading(&cfg.state, &lock).map_err(nothing_changed)?;
    // The night's clock starts once the history is open: an upgrade of its
    // layout says its own time, and is not the night's.
    let started = Instant::now();
    let mut imap_state = if cfg.imap_sources.is_empty() {
        ImapState::default()
    } else {
        ImapState::load(&cfg.state)?
    };
    let mut batches =
        Batches::start(engine, &history, Some(&imap_state)).map_err(nothing_changed)?;
    let writer = sink::NightWriter::new(engine, &cfg.out, !cfg.dry_run).map_err(nothing_changed)?;
    let mut imap_night = Vec::new();
    let mut added = 0;
    let written = std::thread::scope(|scope| {
        let (to_writer, writing) = write_behind(scope, writer);
        let triaged = (|| {
            while let Some(batch) = batches.next(&history)? {
                if let Some(fetch) = &batches.imap {
                    imap_night.extend(imap::state::Triaged::of_batch(
                        fetch,
                        &batch.outcomes,
                        &batch.raws,
                    ));
                }
                if !cfg.dry_run {
                    // Indexed now, committed only once the reports are in place.
                    added += history.add(batch.entries_to_index())?;
                }
                // Memory bounded by the batch, not the history.
                history.unmap_read_pages()?;
                if to_writer.send(batch.into()).is_err() {
                    break; // the writer failed: its error is the run's
                }
            }
            Ok(())
        })();
        drop(to_writer);
        let writer = match writing.join() {
            Ok(writer) => writer,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        triaged
            .and(writer)?
            .finish(&history, batches.timings.clone())
    })
    .map_err(nothing_changed)?;
    let messages = batches.messages;
    fault::point("after_reports");
    if cfg.dry_run {
        log::dry_run(messages, imap_state.pending_count());
        return Ok(RunResult {
            summary: written.summary,
        });
    }
    let summary = written.summary.clone();
    let mut written = written;
    let kept = written
        .keep_decisions(&cfg.state, cfg.now)
        .map_err(history_unchanged)?;
    fault::point("after_decisions");
    history
        .commit()
        .and_then(|()| history.close())
        .map_err(history_unchanged)?;
    fault::point("after_history");
    if let Some(fetch) = &batches.imap {
        for (mailbox, uids) in imap::state::record_night(&mut imap_state, fetch, &imap_night) {
            log::vanished(&mailbox, &uids);
        }
        imap_state.save(&cfg.state)?;
        fault::point("after_state");
        for url in &cfg.imap_sources {
            let done = imap::deliver(url, &cfg.imap, &mut imap_state, &cfg.state)
                .map_err(imap::after_failure)?;
            log::delivered(&url.describe(), &done);
        }
    }
    // The previous night's outputs, moved aside when this night's were
    // renamed into place, are removed last: nothing above waits on deleting
    // a night's queue copies. Left behind, the next run removes them.
    if let Err(e) = written.remove_replaced() {
        log::not_removed(&e);
    }
    log::finished(messages, added, kept, started.elapsed());
    Ok(RunResult { summary })
}

/// The sinks' thread: each batch sent is written ([`sink::NightWriter`])
/// while the next one is triaged, so writing is off the night's critical
/// path but for the last batch. The channel holds no batch: at most one is
/// being written while the next is built. When writing fails the thread
/// stops (the sender sees the channel closed) and returns the error.
#[allow(clippy::type_complexity)]
fn write_behind<'scope, 'e: 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    mut writer: sink::NightWriter<'e>,
) -> (
    std::sync::mpsc::SyncSender<ToWrite>,
    std::thread::ScopedJoinHandle<'scope, Result<sink::NightWriter<'e>>>,
) {
    let (to_writer, batches) = std::sync::mpsc::sync_channel::<ToWrite>(0);
    let writing = scope.spawn(move || {
        for batch in batches {
            writer.write_batch(&batch.outcomes, &batch.entries, &batch.raws)?;
        }
        Ok(writer)
    });
    (to_writer, writing)
}

/// A failure before the reports were renamed into place: what the operator
/// finds is exactly what the previous run left.
fn nothing_changed(e: Error) -> Error {
    match e {
        Error::Config(_) => e,
        e => Error::Other(format!(
            "{e}; the previous run's outputs and the history are unchanged"
        )),
    }
}

/// A failure adding the night to the history (one commit: all or nothing).
fn history_unchanged(e: Error) -> Error {
    Error::Other(format!(
        "{e}; this night's reports are written but it was not added to the history: \
         re-run it (nothing is counted twice)"
    ))
}

/// One night triaged in memory: nothing written, the history only read.
pub struct Night {
    /// Sorted by source id.
    pub outcomes: Vec<Outcome>,
    /// What the history gains once the reports are written (each key once).
    pub entries: Vec<crate::history::HistoryEntry>,
    /// Original bytes by source id, for the queues.
    pub raws: BTreeMap<String, Vec<u8>>,
    /// Write time is still 0: nothing has been written.
    pub timings: sink::Timings,
}

/// Read the sources, then parse, detect, consult `history` and route every
/// message, keeping the whole night in memory: for `eval` and `explain`,
/// so they judge exactly what a night's run would do (the same batches).
pub fn triage_night(engine: &Engine, history: &History) -> Result<Night> {
    file_sources_only(engine)?;
    let mut batches = Batches::start(engine, history, None)?;
    let mut night = Night {
        outcomes: Vec::new(),
        entries: Vec::new(),
        raws: BTreeMap::new(),
        timings: sink::Timings::default(),
    };
    while let Some(batch) = batches.next(history)? {
        night
            .entries
            .extend(batch.entries_to_index().map(|(e, _)| e.clone()));
        night.outcomes.extend(batch.outcomes);
        night.raws.extend(batch.raws);
    }
    night.outcomes.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    night.entries.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    night.timings = batches.timings;
    Ok(night)
}

/// IMAP mail is read only by `triage run` (it changes the server's state).
fn file_sources_only(engine: &Engine) -> Result<()> {
    if engine.config.imap_sources.is_empty() {
        return Ok(());
    }
    Err(Error::Config(
        ConfigError::new(
            "--source",
            0,
            "IMAP sources are read only by `triage run`; save the mail to a folder first",
        )
        .into(),
    ))
}

/// The source id prefix of each IMAP mailbox: `imap:MAILBOX` (SPEC §3), or
/// `imap:user@host:port/MAILBOX` when two accounts share a mailbox name.
fn imap_id_prefixes(urls: &[imap::ImapUrl]) -> Vec<(imap::ImapUrl, String)> {
    urls.iter()
        .map(|u| {
            let shared = urls.iter().filter(|o| o.mailbox == u.mailbox).count() > 1;
            let prefix = if shared {
                format!("imap:{}/{}", u.account(), u.mailbox)
            } else {
                format!("imap:{}", u.mailbox)
            };
            (u.clone(), prefix)
        })
        .collect()
}

/// Messages of one sender, handled in date order; senders in parallel.
/// Returns outcomes and history entries (with their fingerprints) sorted by
/// source id, and the raw bytes by source id for the queues.
#[allow(clippy::type_complexity)]
fn triage_by_sender(
    engine: &Engine,
    history: &History,
    prepared: Vec<Prepared>,
) -> Result<(
    Vec<Outcome>,
    Vec<(crate::history::HistoryEntry, crate::history::Fingerprint)>,
    BTreeMap<String, Vec<u8>>,
)> {
    let results: Vec<Result<Vec<TriagedMessage>>> = group_by_sender(prepared)
        .into_par_iter()
        .map(|(key, messages)| {
            let earlier = history.sender_history(&key)?;
            let mut ctx = SenderContext::new(engine, earlier);
            messages.into_iter().map(|m| ctx.triage(m)).collect()
        })
        .collect();
    let mut outcomes = Vec::new();
    let mut entries = Vec::new();
    let mut raws = BTreeMap::new();
    for group in results {
        for t in group? {
            raws.insert(t.outcome.source_id.clone(), t.bytes);
            outcomes.push(t.outcome);
            entries.push((t.entry, t.fingerprint));
        }
    }
    outcomes.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    entries.sort_by(|(a, _), (b, _)| a.source_id.cmp(&b.source_id));
    Ok((outcomes, entries, raws))
}

/// Messages grouped by sender key, each sender's in the order "earlier" is
/// defined by (`SenderContext`): (date, key), then source id. Handling the
/// night in that order means a message sees exactly the mail it would see
/// from the history on a re-run.
pub fn group_by_sender(prepared: Vec<Prepared>) -> BTreeMap<String, Vec<Prepared>> {
    let mut groups: BTreeMap<String, Vec<Prepared>> = BTreeMap::new();
    for p in prepared {
        groups.entry(p.id.sender_key.clone()).or_default().push(p);
    }
    for messages in groups.values_mut() {
        messages.sort_by(|a, b| {
            (a.id.timestamp, &a.id.key, &a.raw.source_id).cmp(&(
                b.id.timestamp,
                &b.id.key,
                &b.raw.source_id,
            ))
        });
    }
    groups
}

fn ms(a: Instant, b: Instant) -> u64 {
    b.duration_since(a).as_millis() as u64
}

/// Log lines: counts and paths only, never message text (SPEC §7).
mod log {
    use std::path::Path;
    use std::time::Duration;

    pub fn unreadable(path: &Path, e: &std::io::Error) {
        eprintln!(
            "triage: cannot read {}: {e} (routed to escalate)",
            path.display()
        );
    }

    pub fn unreadable_error(e: &crate::error::Error) {
        eprintln!("triage: {e} (routed to escalate)");
    }

    pub fn dry_run(messages: usize, pending: usize) {
        eprintln!(
            "triage: dry run: {messages} messages triaged and reported; nothing sent to the IMAP \
             server, the history and the IMAP state are unchanged"
        );
        if pending > 0 {
            eprintln!(
                "triage: dry run: {pending} messages of an earlier run still wait to be copied"
            );
        }
    }

    pub fn rescan_dropped(n: usize) {
        eprintln!(
            "triage: UIDVALIDITY changed: {n} messages already triaged under the old UIDVALIDITY \
             were skipped (same Message-ID or content in the history)"
        );
    }

    pub fn vanished(mailbox: &str, uids: &[u32]) {
        eprintln!(
            "triage: IMAP {mailbox}: {} messages were deleted on the server before they could be \
             copied (UIDs {uids:?}); they are in an earlier run's report",
            uids.len()
        );
    }

    pub fn delivered(mailbox: &str, d: &crate::imap::Delivered) {
        if d.copied + d.found + d.flagged > 0 {
            eprintln!(
                "triage: IMAP {mailbox}: {} copied into the triage folders ({} copies already \
                 there from an interrupted run), {} marked $Triaged",
                d.copied + d.found,
                d.found,
                d.flagged
            );
        }
    }

    pub fn not_removed(e: &crate::error::Error) {
        eprintln!(
            "triage: the night is complete, but the previous run's outputs it replaced were not \
             all removed ({e}); the next run removes them"
        );
    }

    pub fn finished(messages: usize, added: usize, kept: usize, took: Duration) {
        eprintln!(
            "triage: {messages} messages triaged in {:.2}s; {added} added to the history, \
             {kept} decisions kept for subject access",
            took.as_secs_f64()
        );
    }
}
