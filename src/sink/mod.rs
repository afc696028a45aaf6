//! Sinks: everything a run leaves behind (SPEC §6), written from the
//! outcomes alone — `report.csv`, `decisions.jsonl`, the Maildir queues,
//! `summary.json` and the morning review page `review.html` (which also reads
//! the register and the history for its customers section) — staged in a
//! private folder and renamed into place. A night is written batch by batch
//! ([`NightWriter`]), so memory holds one batch, not the night.

pub mod files;
pub mod html;
pub mod merge;
pub mod queues;
pub mod report;
pub mod review;

use crate::error::{Error, Result};
use crate::history::{decisions, History, HistoryEntry};
use crate::outcome::Outcome;
use crate::pipeline::Engine;
use crate::route::Queue;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::Path;

/// How long each stage took (milliseconds).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub read_ms: u64,
    pub parse_detect_ms: u64,
    pub history_route_ms: u64,
    /// The sinks' own time: writing each batch (on the writer's thread,
    /// while the next batch is triaged, so it overlaps the stages above),
    /// then merging the reports and rendering the review page.
    pub write_ms: u64,
}

/// One flagged message in the summary: ids and labels, never message text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FlaggedLine {
    pub source: String,
    pub queue: String,
    pub priority: String,
    pub categories: String,
    pub reasons: String,
    pub rules: String,
}

impl FlaggedLine {
    fn of(o: &Outcome) -> FlaggedLine {
        FlaggedLine {
            source: o.source_id.clone(),
            queue: o.queue().as_str().into(),
            priority: o.routing.priority.as_str().into(),
            categories: o.categories_field(),
            reasons: o.routing.reasons.join(";"),
            rules: o.rules_hit_field(),
        }
    }

    /// Flagged only by the history or the envelope (repeat, volume, mass
    /// copy) and still answered normally: counted on the terminal, not listed.
    pub fn is_quiet(&self) -> bool {
        self.queue == "respond"
            && self.priority == "normal"
            && self
                .categories
                .split(';')
                .all(|c| ["", "repeat_complaint", "high_volume", "mass_copy"].contains(&c))
            && self.reasons.is_empty()
    }

    /// Most pressing first: escalate, read-only, respond; urgent, high,
    /// normal; then by source id.
    fn pressing_order(&self) -> (u8, u8, String) {
        let queue = match self.queue.as_str() {
            "escalate" => 0,
            "read-only" => 1,
            _ => 2,
        };
        let priority = match self.priority.as_str() {
            "urgent" => 0,
            "high" => 1,
            _ => 2,
        };
        (queue, priority, self.source.clone())
    }
}

/// How many flagged lines the terminal summary shows; summary.json lists
/// them all.
pub const MAX_PRINTED: usize = 60;

/// The night's flagged messages: every one in `summary.json`, by source id,
/// streamed from the sorted runs the batches wrote (a night's worth never
/// sits in memory); for the terminal, counts and the [`MAX_PRINTED`] most
/// pressing of those that are not [quiet](FlaggedLine::is_quiet).
#[derive(Debug, Clone, Default)]
pub struct Flagged {
    pub total: usize,
    pub quiet: usize,
    /// Most pressing first, at most [`MAX_PRINTED`] once the night is done.
    pub most_pressing: Vec<FlaggedLine>,
    /// While `summary.json` is written: every line, one JSON object per
    /// line in source-id order, in this staged file.
    listing: Option<std::path::PathBuf>,
}

impl Flagged {
    fn add(&mut self, line: &FlaggedLine) {
        self.total += 1;
        if line.is_quiet() {
            self.quiet += 1;
            return;
        }
        self.most_pressing.push(line.clone());
        if self.most_pressing.len() > 2 * MAX_PRINTED {
            self.keep_most_pressing();
        }
    }

    fn keep_most_pressing(&mut self) {
        self.most_pressing
            .sort_by_cached_key(FlaggedLine::pressing_order);
        self.most_pressing.truncate(MAX_PRINTED);
    }

    /// Flagged messages that need a person (all but the quiet ones).
    pub fn needing_a_person(&self) -> usize {
        self.total - self.quiet
    }
}

impl Serialize for Flagged {
    /// The whole list, read line by line from the staged listing.
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        use std::io::BufRead;
        let mut seq = s.serialize_seq(None)?;
        if let Some(path) = &self.listing {
            let file = std::fs::File::open(path).map_err(S::Error::custom)?;
            let reader = std::io::BufReader::with_capacity(merge::OUTPUT_BUFFER, file);
            for line in reader.lines() {
                let line = line.map_err(S::Error::custom)?;
                let flagged: FlaggedLine = serde_json::from_str(&line).map_err(S::Error::custom)?;
                seq.serialize_element(&flagged)?;
            }
        }
        seq.end()
    }
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
    pub flagged: Flagged,
    pub rules_sha256: String,
    pub policy_sha256: String,
    pub register_sha256: String,
    pub timings: Timings,
}

impl Summary {
    /// Nothing counted yet.
    pub fn new(engine: &Engine) -> Summary {
        Summary {
            run_at: engine.config.now.to_rfc3339(),
            messages_in: 0,
            messages_out: 0,
            unparseable: 0,
            queues: Queue::ALL
                .iter()
                .map(|q| (q.as_str().to_string(), 0))
                .collect(),
            priorities: BTreeMap::new(),
            categories: BTreeMap::new(),
            flagged: Flagged::default(),
            rules_sha256: engine.rules.sha256().to_string(),
            policy_sha256: engine.policy.sha256.clone(),
            register_sha256: engine.register.sha256.clone(),
            timings: Timings::default(),
        }
    }

    /// Count a batch's outcomes; returns its flagged lines, in the order of
    /// `outcomes`, for `summary.json`'s listing.
    pub fn count(&mut self, outcomes: &[Outcome]) -> Vec<FlaggedLine> {
        let mut flagged = Vec::new();
        for o in outcomes {
            self.messages_in += 1;
            self.messages_out += 1;
            if o.unparseable.is_some() {
                self.unparseable += 1;
            }
            *self.queues.entry(o.queue().as_str().into()).or_default() += 1;
            *self
                .priorities
                .entry(o.routing.priority.as_str().into())
                .or_default() += 1;
            for c in &o.categories {
                *self.categories.entry(c.as_str().into()).or_default() += 1;
            }
            if o.is_flagged() {
                let line = FlaggedLine::of(o);
                self.flagged.add(&line);
                flagged.push(line);
            }
        }
        flagged
    }
}

/// The room a `decisions.jsonl` line starts with.
const DECISION_LINE: usize = 2048;

/// A `decisions.jsonl` line: the whole explanation of one message.
pub fn decision_line(o: &Outcome) -> Result<Vec<u8>> {
    // Room for a typical line (about 1.1 KB; `to_vec` starts at 128 bytes
    // and grows four times to hold it).
    let mut line = Vec::with_capacity(DECISION_LINE);
    serde_json::to_writer(&mut line, o)
        .map_err(|e| Error::Other(format!("decisions.jsonl: {e}")))?;
    line.push(b'\n');
    Ok(line)
}

/// The outputs a run stages, in the order they are renamed into place.
const OUTPUTS: [&str; 5] = [
    "report.csv",
    "decisions.jsonl",
    "queues",
    "summary.json",
    "review.html",
];

/// Writes a night's outputs batch by batch into a staging folder beside
/// `out`: queue copies at once, rows of `report.csv` and `decisions.jsonl`
/// (and of the kept decisions) into sorted runs merged at the end
/// ([`merge`]), counts into the summary (its flagged lines into sorted runs
/// too), and what the review page needs
/// ([`review::Collector`]). Nothing of a batch is held once it is written.
/// The staged reports are flushed to disk together at the end, then renamed
/// into place; the queue copies are not flushed ([`queues`] says why).
pub struct NightWriter<'e> {
    engine: &'e Engine,
    staging: files::Staging,
    /// The queues' `new` folders in the staging folder, open.
    queues: queues::Folders,
    report: merge::Runs,
    decisions: merge::Runs,
    /// `summary.json`'s flagged lines.
    flagged: merge::Runs,
    /// `None` when the run keeps no decisions (a dry run).
    kept: Option<KeptRuns>,
    summary: Summary,
    review: review::Collector,
    writing: std::time::Duration,
}

/// The kept decisions' runs and how many lines they hold (their keys are
/// read back from them only for a replay, [`decisions::keep`]: a night's
/// keys are not held in memory).
pub struct KeptRuns {
    runs: merge::Runs,
    lines: usize,
}

impl<'e> NightWriter<'e> {
    /// Start staging the outputs for `out`; `keep_decisions` also stages the
    /// lines `STATE/decisions/` keeps ([`crate::history::decisions`]).
    pub fn new(engine: &'e Engine, out: &Path, keep_decisions: bool) -> Result<NightWriter<'e>> {
        let staging = files::Staging::new(out)?;
        let queues = queues::Folders::create(&staging.dir.join("queues"))?;
        Ok(NightWriter {
            engine,
            queues,
            report: merge::Runs::new(&staging.dir, "report.csv"),
            decisions: merge::Runs::new(&staging.dir, "decisions.jsonl"),
            flagged: merge::Runs::new(&staging.dir, "flagged.jsonl"),
            kept: keep_decisions.then(|| KeptRuns {
                runs: merge::Runs::new(&staging.dir, "kept.jsonl"),
                lines: 0,
            }),
            staging,
            summary: Summary::new(engine),
            review: review::Collector::default(),
            writing: std::time::Duration::ZERO,
        })
    }

    /// Write one batch: `outcomes` and `tonight` sorted by source id, `raws`
    /// the original bytes by source id.
    pub fn write_batch(
        &mut self,
        outcomes: &[Outcome],
        tonight: &[HistoryEntry],
        raws: &BTreeMap<String, Vec<u8>>,
    ) -> Result<()> {
        let started = std::time::Instant::now();
        self.report.write_run(
            outcomes
                .iter()
                .map(|o| (o.source_id.as_str(), report::row(o))),
        )?;
        let lines = outcomes
            .iter()
            .map(|o| Ok((o.source_id.as_str(), decision_line(o)?)))
            .collect::<Result<Vec<_>>>()?;
        if let Some(kept) = &mut self.kept {
            // Each kept line is its outcome's decision line with `run_at`
            // and `text` around it: the outcome is serialised once.
            let run_at = decisions::run_at_text(self.engine.config.now);
            let mut kept_lines = Vec::new();
            for (o, (source_id, line)) in outcomes.iter().zip(&lines) {
                if decisions::worth_keeping(o) {
                    let kept_line = decisions::kept_line(&run_at, line, &o.text)?;
                    kept_lines.push((*source_id, kept_line));
                }
            }
            kept.lines += kept_lines.len();
            kept.runs.write_run(kept_lines)?;
        }
        self.decisions.write_run(lines)?;
        self.queues.write(outcomes, raws)?;
        let flagged = self.summary.count(outcomes);
        let lines = flagged
            .iter()
            .map(|f| {
                let mut line = serde_json::to_vec(f)
                    .map_err(|e| Error::Other(format!("summary.json: {e}")))?;
                line.push(b'\n');
                Ok((f.source.as_str(), line))
            })
            .collect::<Result<Vec<_>>>()?;
        self.flagged.write_run(lines)?;
        self.review.add(outcomes, tonight);
        self.writing += started.elapsed();
        Ok(())
    }

    /// Merge the runs, write the summary and the review page (which reads
    /// `history` for its customers section), and rename everything into
    /// place. What is returned keeps the staged decisions until
    /// [`Written::keep_decisions`].
    pub fn finish(mut self, history: &History, mut timings: Timings) -> Result<Written> {
        let started = std::time::Instant::now();
        let dir = self.staging.dir.clone();
        let mut written = Vec::new();
        for (name, header, runs) in [
            ("report.csv", report::header(), self.report),
            ("decisions.jsonl", Vec::new(), self.decisions),
        ] {
            let path = dir.join(name);
            written.push((path.clone(), write_merged(&path, &header, runs)?));
        }
        let page = self.review.render(self.engine, history)?;
        let path = dir.join("review.html");
        written.push((
            path.clone(),
            files::write_private_unsynced(&path, page.as_bytes())?,
        ));
        drop(page);
        timings.write_ms = (self.writing + started.elapsed()).as_millis() as u64;
        self.summary.timings = timings;
        let listing = dir.join(".flagged.jsonl");
        drop(write_merged(&listing, &[], self.flagged)?);
        self.summary.flagged.listing = Some(listing.clone());
        self.summary.flagged.keep_most_pressing();
        let path = dir.join("summary.json");
        written.push((path.clone(), write_summary(&path, &self.summary)?));
        self.summary.flagged.listing = None;
        std::fs::remove_file(&listing).map_err(|e| Error::io(&listing, e))?;
        files::sync_together(written)?;
        self.staging.commit(&OUTPUTS)?;
        Ok(Written {
            summary: self.summary,
            staging: self.staging,
            kept: self.kept,
        })
    }
}

/// `header`, then every record of `runs` in order, into a new owner-only
/// file, returned written but not yet flushed to disk.
fn write_merged(path: &Path, header: &[u8], runs: merge::Runs) -> Result<std::fs::File> {
    let file = files::create_private_file(path)?;
    let mut w = std::io::BufWriter::with_capacity(merge::OUTPUT_BUFFER, file);
    w.write_all(header).map_err(|e| Error::io(path, e))?;
    runs.merge_into(&mut w, path)?;
    w.into_inner().map_err(|e| Error::io(path, e.into_error()))
}

/// `summary.json`, pretty-printed, the flagged lines streamed into it;
/// returned written but not yet flushed to disk.
fn write_summary(path: &Path, summary: &Summary) -> Result<std::fs::File> {
    let file = files::create_private_file(path)?;
    let mut w = std::io::BufWriter::with_capacity(merge::OUTPUT_BUFFER, file);
    serde_json::to_writer_pretty(&mut w, summary)
        .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
    w.into_inner().map_err(|e| Error::io(path, e.into_error()))
}

/// A night's outputs in place; the decisions to keep still staged.
pub struct Written {
    pub summary: Summary,
    staging: files::Staging,
    kept: Option<KeptRuns>,
}

impl Written {
    /// Keep the staged decisions under `STATE/decisions/`
    /// ([`crate::history::decisions::keep`]); returns how many. Their runs
    /// are removed.
    pub fn keep_decisions(&mut self, state: &Path, run_at: DateTime<Utc>) -> Result<usize> {
        let Some(kept) = self.kept.take() else {
            return Ok(0);
        };
        let count = decisions::keep(
            state,
            run_at,
            (kept.runs, kept.lines),
            keys_of_kept,
            |runs, out, path| runs.merge_into(out, path).map(|_| ()),
        )?;
        Ok(count)
    }

    /// Remove the previous run's outputs, replaced by this night's
    /// ([`files::Staging::remove_replaced`]): done last, once the night is in
    /// the history, so that the history's commit does not wait on deleting
    /// the previous night's queue copies.
    pub fn remove_replaced(mut self) -> Result<()> {
        self.staging.remove_replaced()
    }
}

/// The history keys of the kept lines in `runs` (for a replay).
fn keys_of_kept(runs: &merge::Runs) -> Result<HashSet<String>> {
    let mut keys = HashSet::new();
    runs.for_each_record(|line, path| {
        let bad = |why: String| Error::Other(format!("{}: {why}", path.display()));
        let record: serde_json::Value =
            serde_json::from_slice(line).map_err(|e| bad(e.to_string()))?;
        keys.insert(decisions::key_of(&record).map_err(bad)?);
        Ok(())
    })?;
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(source: &str, queue: &str, priority: &str, categories: &str) -> FlaggedLine {
        FlaggedLine {
            source: source.into(),
            queue: queue.into(),
            priority: priority.into(),
            categories: categories.into(),
            reasons: String::new(),
            rules: String::new(),
        }
    }

    #[test]
    fn the_terminal_gets_counts_and_the_most_pressing_whatever_the_order_they_come_in() {
        let queues = ["respond", "read-only", "escalate"];
        let priorities = ["normal", "high", "urgent"];
        // 500 lines in a scrambled order; every 4th is quiet (a repeat still answered normally).
        let lines: Vec<FlaggedLine> = (0..500)
            .map(|i| (i * 37) % 500)
            .map(|i| {
                let source = format!("{i:04}");
                if i % 4 == 0 {
                    line(&source, "respond", "normal", "repeat_complaint")
                } else {
                    line(&source, queues[i % 3], priorities[i % 7 % 3], "abuse")
                }
            })
            .collect();
        let mut flagged = Flagged::default();
        for l in &lines {
            flagged.add(l);
        }
        flagged.keep_most_pressing();
        let mut expected: Vec<&FlaggedLine> = lines.iter().filter(|l| !l.is_quiet()).collect();
        expected.sort_by_key(|l| l.pressing_order());
        expected.truncate(MAX_PRINTED);
        let shown: Vec<&str> = flagged.most_pressing.iter().map(|l| &*l.source).collect();
        let expected: Vec<&str> = expected.iter().map(|l| &*l.source).collect();
        assert_eq!(shown, expected);
        assert_eq!(shown.len(), MAX_PRINTED);
        assert_eq!((flagged.total, flagged.quiet), (500, 125));
        assert_eq!(flagged.needing_a_person(), 375);
        assert!(
            flagged.most_pressing[0].queue == "escalate"
                && flagged.most_pressing[0].priority == "urgent"
        );
    }
}
