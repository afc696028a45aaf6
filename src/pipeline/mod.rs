//! Pipeline: one night's run, stage by stage (SPEC §2).
//!
//! 1. [`Engine::load`]: register, rules and policy, every problem at once —
//!    nothing is read or written when configuration is bad.
//! 2. Read every source; parse and detect each message in parallel
//!    ([`prepare`]): these are independent of each other.
//! 3. Group by sender; within a sender, in date order, consult the history
//!    and route ([`sender`]); senders run in parallel.
//! 4. Write the reports and queues ([`crate::sink`]), then keep the decisions
//!    a subject access request may ask for ([`crate::history::decisions`]),
//!    then add the night to the history, so a crash before that point is
//!    repaired by re-running.
//! 5. For IMAP sources, record the night in the IMAP state and copy each
//!    message into its queue's folder ([`crate::imap`] explains the order and
//!    why a crash anywhere copies nothing twice). IMAP mail is fetched on a
//!    thread while earlier batches are parsed and detected.
//!
//! Output never depends on the thread count: outcomes are sorted by source
//! id, and each sender's messages are handled in a fixed order.

mod prepare;
mod rebuild;
mod sender;

use crate::config::RunConfig;
use crate::detect::RuleSet;
use crate::error::{ConfigError, ConfigErrors, Error, Result};
use crate::history::History;
use crate::imap::{self, fault, FetchReport, ImapState};
use crate::ingest::{open_file_source, RawMessage};
use crate::outcome::Outcome;
use crate::register::Register;
use crate::route::Policy;
use crate::sink::{self, Summary};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Instant;

pub use prepare::{parse_and_detect, prepare, Prepared, Scanned};
pub use rebuild::{rebuild_history, Rebuilt};
pub use sender::{SenderContext, REPEAT_LOOKBACK_MESSAGES};

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
    pub outcomes: Vec<Outcome>,
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

/// Read every source into memory, giving each message a unique source id.
/// An unreadable file becomes a message with no bytes (routed to escalate),
/// so nothing silently disappears.
pub fn read_sources(paths: &[std::path::PathBuf]) -> Result<Vec<RawMessage>> {
    let prefix_needed = paths.len() > 1;
    let mut seen_prefixes = HashSet::new();
    let mut all = Vec::new();
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
                    log::unreadable(&bad, &source);
                    RawMessage {
                        source_id: crate::ingest::relative_id(path, &bad),
                        bytes: Vec::new(),
                    }
                }
                Err(e) => return Err(e),
            };
            if let Some(p) = &prefix {
                raw.source_id = format!("{p}/{}", raw.source_id);
            }
            all.push(raw);
        }
    }
    all.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    Ok(all)
}

fn source_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Run the whole night: read, triage, write reports and queues, update
/// history; for IMAP, record the state and copy into the triage folders.
pub fn run(engine: &Engine) -> Result<RunResult> {
    let started = Instant::now();
    let cfg = &engine.config;
    let lock = crate::sink::files::StateLock::acquire(&cfg.state).map_err(nothing_changed)?;
    let mut history = History::open_upgrading(&cfg.state, &lock).map_err(nothing_changed)?;
    let mut imap_state = if cfg.imap_sources.is_empty() {
        ImapState::default()
    } else {
        ImapState::load(&cfg.state)?
    };
    let night = triage_night_with(engine, &history, Some(&imap_state)).map_err(nothing_changed)?;
    let summary = sink::write_outputs(
        engine,
        &cfg.out,
        sink::RunOutputs {
            outcomes: &night.outcomes,
            raws: &night.raws,
            history: &history,
            tonight: &night.entries,
        },
        night.timings.clone(),
    )
    .map_err(nothing_changed)?;
    fault::point("after_reports");
    if cfg.dry_run {
        log::dry_run(night.outcomes.len(), imap_state.pending_count());
        return Ok(RunResult {
            outcomes: night.outcomes,
            summary,
        });
    }
    let kept = crate::history::decisions::keep(&cfg.state, cfg.now, &night.outcomes)
        .map_err(history_unchanged)?;
    fault::point("after_decisions");
    let added = history
        .add_all(&night.entries)
        .and_then(|added| history.close().map(|()| added))
        .map_err(history_unchanged)?;
    fault::point("after_history");
    if let Some(fetch) = &night.imap {
        for (mailbox, uids) in
            imap::state::record_night(&mut imap_state, fetch, &night.outcomes, &night.raws)
        {
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
    log::finished(night.outcomes.len(), added, kept, started.elapsed());
    Ok(RunResult {
        outcomes: night.outcomes,
        summary,
    })
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
    /// What the history gains once the reports are written.
    pub entries: Vec<crate::history::HistoryEntry>,
    /// Original bytes by source id, for the queues.
    pub raws: BTreeMap<String, Vec<u8>>,
    /// Write time is still 0: nothing has been written.
    pub timings: sink::Timings,
    /// What came from each IMAP mailbox (`None` without IMAP sources).
    pub imap: Option<FetchReport>,
}

/// Read the sources, then parse, detect, consult `history` and route every
/// message. Used by `run` and by `eval`/`explain`, so they judge exactly
/// what a night's run would do.
pub fn triage_night(engine: &Engine, history: &History) -> Result<Night> {
    if !engine.config.imap_sources.is_empty() {
        return Err(Error::Config(
            ConfigError::new(
                "--source",
                0,
                "IMAP sources are read only by `triage run`; save the mail to a folder first",
            )
            .into(),
        ));
    }
    triage_night_with(engine, history, None)
}

/// [`triage_night`], fetching the IMAP sources as `imap_state` says (new
/// UIDs and those still in the copy journal); parsing and detection of one
/// fetched batch overlap the download of the next.
fn triage_night_with(
    engine: &Engine,
    history: &History,
    imap_state: Option<&ImapState>,
) -> Result<Night> {
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(engine.config.threads)
        .build()
        .map_err(|e| Error::Other(format!("cannot start worker threads: {e}")))?;
    let raws = read_sources(&engine.config.sources)?;
    let read_done = Instant::now();

    let mut prepared: Vec<Prepared> = pool.install(|| {
        raws.into_par_iter()
            .map(|raw| prepare::prepare(engine, raw))
            .collect()
    });
    let mut fetch = None;
    if let (Some(state), false) = (imap_state, engine.config.imap_sources.is_empty()) {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<RawMessage>>(2);
        let handle = imap::spawn_fetch(
            imap_id_prefixes(&engine.config.imap_sources),
            engine.config.imap.clone(),
            state.clone(),
            tx,
        );
        for batch in rx {
            let more: Vec<Prepared> = pool.install(|| {
                batch
                    .into_par_iter()
                    .map(|raw| prepare::prepare(engine, raw))
                    .collect()
            });
            prepared.extend(more);
        }
        let report = handle
            .join()
            .map_err(|_| Error::Other("the IMAP fetch thread failed".into()))??;
        let dropped = drop_triaged_before(&mut prepared, &report, history)?;
        if dropped > 0 {
            log::rescan_dropped(dropped);
        }
        fetch = Some(report);
    }
    let parsed_done = Instant::now();

    let (outcomes, entries, raws) = pool.install(|| triage_by_sender(engine, history, prepared))?;
    let routed_done = Instant::now();

    let timings = sink::Timings {
        read_ms: ms(started, read_done),
        parse_detect_ms: ms(read_done, parsed_done),
        history_route_ms: ms(parsed_done, routed_done),
        write_ms: 0,
    };
    Ok(Night {
        outcomes,
        entries,
        raws,
        timings,
        imap: fetch,
    })
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

/// After a UIDVALIDITY change every message of the mailbox was fetched: drop
/// those the history already holds under another source id (triaged under
/// the old UIDVALIDITY), except those the old copy journal still held.
fn drop_triaged_before(
    prepared: &mut Vec<Prepared>,
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
    let before = prepared.len();
    let mut keep = Vec::with_capacity(before);
    for p in prepared.drain(..) {
        let id = p.raw.source_id.as_str();
        let drop = match rescans.iter().find(|(prefix, _)| id.starts_with(prefix)) {
            Some((_, journal)) if !journal.contains(p.key.as_str()) => history
                .source_ids_of(&p.key)?
                .iter()
                .any(|other| other != id),
            _ => false,
        };
        if !drop {
            keep.push(p);
        }
    }
    *prepared = keep;
    Ok(before - prepared.len())
}

/// Messages of one sender, handled in date order; senders in parallel.
/// Returns outcomes and history entries sorted by source id, and the raw
/// bytes by source id for the queues.
#[allow(clippy::type_complexity)]
fn triage_by_sender(
    engine: &Engine,
    history: &History,
    prepared: Vec<Prepared>,
) -> Result<(
    Vec<Outcome>,
    Vec<crate::history::HistoryEntry>,
    BTreeMap<String, Vec<u8>>,
)> {
    let mut groups: BTreeMap<String, Vec<Prepared>> = BTreeMap::new();
    for p in prepared {
        groups.entry(p.sender_key.clone()).or_default().push(p);
    }
    let results: Vec<Result<Vec<(Outcome, crate::history::HistoryEntry, Vec<u8>)>>> = groups
        .into_par_iter()
        .map(|(key, mut messages)| {
            messages.sort_by(|a, b| {
                (a.timestamp, &a.raw.source_id).cmp(&(b.timestamp, &b.raw.source_id))
            });
            let earlier = history.sender_history(&key)?;
            let mut ctx = SenderContext::new(engine, earlier);
            messages.into_iter().map(|m| ctx.triage(m)).collect()
        })
        .collect();
    let mut outcomes = Vec::new();
    let mut entries = Vec::new();
    let mut raws = BTreeMap::new();
    for group in results {
        for (outcome, entry, bytes) in group? {
            raws.insert(outcome.source_id.clone(), bytes);
            outcomes.push(outcome);
            entries.push(entry);
        }
    }
    outcomes.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    entries.sort_by(|a, b| a.source_id.cmp(&b.source_id));
    Ok((outcomes, entries, raws))
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

    pub fn finished(messages: usize, added: usize, kept: usize, took: Duration) {
        eprintln!(
            "triage: {messages} messages triaged in {:.2}s; {added} added to the history, \
             {kept} decisions kept for subject access",
            took.as_secs_f64()
        );
    }
}
