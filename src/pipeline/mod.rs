//! Pipeline: one night's run, stage by stage (SPEC §2).
//!
//! 1. [`Engine::load`]: register, rules and policy, every problem at once —
//!    nothing is read or written when configuration is bad.
//! 2. Read every source; parse and detect each message in parallel
//!    ([`prepare`]): these are independent of each other.
//! 3. Group by sender; within a sender, in date order, consult the history
//!    and route ([`sender`]); senders run in parallel.
//! 4. Write the reports and queues ([`crate::sink`]), then add the night to
//!    the history, so a crash before that point is repaired by re-running.
//!
//! Output never depends on the thread count: outcomes are sorted by source
//! id, and each sender's messages are handled in a fixed order.

mod prepare;
mod sender;

use crate::config::RunConfig;
use crate::detect::RuleSet;
use crate::error::{ConfigError, ConfigErrors, Error, Result};
use crate::history::History;
use crate::ingest::{open_file_source, RawMessage};
use crate::outcome::Outcome;
use crate::register::Register;
use crate::route::Policy;
use crate::sink::{self, Summary};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Instant;

pub use prepare::Prepared;
pub use sender::SenderContext;

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

/// Run the whole night: read, triage, write reports and queues, update history.
pub fn run(engine: &Engine) -> Result<RunResult> {
    let started = Instant::now();
    let _lock = crate::sink::files::StateLock::acquire(&engine.config.state)?;
    let mut history = History::open(&engine.config.state)?;
    let night = triage_night(engine, &history)?;
    let summary = sink::write_outputs(
        engine,
        &engine.config.out,
        &night.outcomes,
        &night.raws,
        night.timings,
    )?;
    let added = history.add_all(&night.entries)?;
    history.close()?;
    log::finished(night.outcomes.len(), added, started.elapsed());
    Ok(RunResult {
        outcomes: night.outcomes,
        summary,
    })
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
}

/// Read the sources, then parse, detect, consult `history` and route every
/// message. Used by `run` and by `eval`/`explain`, so they judge exactly
/// what a night's run would do.
pub fn triage_night(engine: &Engine, history: &History) -> Result<Night> {
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(engine.config.threads)
        .build()
        .map_err(|e| Error::Other(format!("cannot start worker threads: {e}")))?;
    let raws = read_sources(&engine.config.sources)?;
    let read_done = Instant::now();

    let prepared: Vec<Prepared> = pool.install(|| {
        raws.into_par_iter()
            .map(|raw| prepare::prepare(engine, raw))
            .collect()
    });
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
    })
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
            let earlier = history.sender_entries(&key)?;
            let mut ctx = SenderContext::new(engine, earlier);
            Ok(messages.into_iter().map(|m| ctx.triage(m)).collect())
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

    pub fn finished(messages: usize, added: usize, took: Duration) {
        eprintln!(
            "triage: {messages} messages triaged in {:.2}s; {added} added to the history",
            took.as_secs_f64()
        );
    }
}
