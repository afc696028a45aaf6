//! Sinks: everything a run leaves behind (SPEC §6), written from the
//! outcomes alone — `report.csv`, `decisions.jsonl`, the Maildir queues,
//! `summary.json` and the morning review page `review.html` (which also reads
//! the register and the history for its customers section) — staged in a
//! private folder and renamed into place.

pub mod files;
pub mod html;
pub mod queues;
pub mod report;
pub mod review;

use crate::error::{Error, Result};
use crate::history::{History, HistoryEntry};
use crate::outcome::Outcome;
use crate::pipeline::Engine;
use crate::route::Queue;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// How long each stage took (milliseconds).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub read_ms: u64,
    pub parse_detect_ms: u64,
    pub history_route_ms: u64,
    pub write_ms: u64,
}

/// One flagged message in the summary: ids and labels, never message text.
#[derive(Debug, Clone, Serialize)]
pub struct FlaggedLine {
    pub source: String,
    pub queue: String,
    pub priority: String,
    pub categories: String,
    pub reasons: String,
    pub rules: String,
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub run_at: String,
    pub messages_in: usize,
    pub messages_out: usize,
    pub unparseable: usize,
    pub queues: BTreeMap<String, usize>,
    pub priorities: BTreeMap<String, usize>,
    pub categories: BTreeMap<String, usize>,
    /// Messages with a category, or routed anywhere but plain respond.
    pub flagged: Vec<FlaggedLine>,
    pub rules_sha256: String,
    pub policy_sha256: String,
    pub register_sha256: String,
    pub timings: Timings,
}

impl Summary {
    pub fn build(engine: &Engine, outcomes: &[Outcome], timings: Timings) -> Summary {
        let mut queues: BTreeMap<String, usize> = Queue::ALL
            .iter()
            .map(|q| (q.as_str().to_string(), 0))
            .collect();
        let mut priorities = BTreeMap::new();
        let mut categories = BTreeMap::new();
        let mut flagged = Vec::new();
        for o in outcomes {
            *queues.entry(o.queue().as_str().into()).or_default() += 1;
            *priorities
                .entry(o.routing.priority.as_str().into())
                .or_default() += 1;
            for c in &o.categories {
                *categories.entry(c.as_str().into()).or_default() += 1;
            }
            if o.is_flagged() {
                flagged.push(FlaggedLine {
                    source: o.source_id.clone(),
                    queue: o.queue().as_str().into(),
                    priority: o.routing.priority.as_str().into(),
                    categories: o.categories_field(),
                    reasons: o.routing.reasons.join(";"),
                    rules: o.rules_hit_field(),
                });
            }
        }
        Summary {
            run_at: engine.config.now.to_rfc3339(),
            messages_in: outcomes.len(),
            messages_out: outcomes.len(),
            unparseable: outcomes.iter().filter(|o| o.unparseable.is_some()).count(),
            queues,
            priorities,
            categories,
            flagged,
            rules_sha256: engine.rules.sha256().to_string(),
            policy_sha256: engine.policy.sha256.clone(),
            register_sha256: engine.register.sha256.clone(),
            timings,
        }
    }
}

/// `decisions.jsonl`: the whole explanation, one message per line.
pub fn render_decisions(outcomes: &[Outcome]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for o in outcomes {
        serde_json::to_writer(&mut out, o)
            .map_err(|e| Error::Other(format!("decisions.jsonl: {e}")))?;
        out.push(b'\n');
    }
    Ok(out)
}

/// What the run read and decides, for the sinks.
pub struct RunOutputs<'a> {
    pub outcomes: &'a [Outcome],
    /// Original bytes by source id, for the queues.
    pub raws: &'a BTreeMap<String, Vec<u8>>,
    /// The history before this night, and what the night adds to it (for
    /// the review page's customers section).
    pub history: &'a History,
    pub tonight: &'a [HistoryEntry],
}

/// Write every output of the run into `out`, replacing the previous run's.
pub fn write_outputs(
    engine: &Engine,
    out: &Path,
    run: RunOutputs<'_>,
    mut timings: Timings,
) -> Result<Summary> {
    let (outcomes, raws) = (run.outcomes, run.raws);
    let started = std::time::Instant::now();
    let staging = files::Staging::new(out)?;
    let report = report::render(outcomes);
    files::write_private(&staging.dir.join("report.csv"), &report)?;
    files::write_private(
        &staging.dir.join("decisions.jsonl"),
        &render_decisions(outcomes)?,
    )?;
    queues::write(&staging.dir.join("queues"), outcomes, raws)?;
    let page = review::render(engine, &run)?;
    files::write_private(&staging.dir.join("review.html"), page.as_bytes())?;
    timings.write_ms = started.elapsed().as_millis() as u64;
    let summary = Summary::build(engine, outcomes, timings);
    let json = serde_json::to_vec_pretty(&summary).map_err(|e| Error::Other(e.to_string()))?;
    files::write_private(&staging.dir.join("summary.json"), &json)?;
    staging.commit(&[
        "report.csv",
        "decisions.jsonl",
        "queues",
        "summary.json",
        "review.html",
    ])?;
    Ok(summary)
}
