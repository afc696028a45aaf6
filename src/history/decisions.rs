//! The decisions kept for subject access requests, under `STATE/decisions/`.
//!
//! `OUT/decisions.jsonl` holds the whole explanation of a message (rule hits
//! and their spans, reasons, the policy entry) only until the next run
//! replaces it; the history index keeps the subject, own words, queue and
//! categories but not why. So each run also keeps, in
//! `STATE/decisions/<run time, UTC>.jsonl` (`20261121T060000Z.jsonl`), one
//! line per message that a person may later ask about: every message from a
//! customer on the register and every flagged message (a category, a queue
//! other than respond, or a reason). Each line is the message's line of
//! `decisions.jsonl` plus `run_at` and the message's readable `text`, which
//! the spans index. Ordinary mail from unregistered senders keeps only its
//! history entry (data minimisation).
//!
//! A file is written owner-only to a hidden temporary name and renamed into
//! place after the run's reports, so it is whole or absent. A re-run with
//! the same run time (`--now`) merges into its file, the new decision
//! replacing the old; across files the latest run's decision for a message
//! (by history key) is the one read back, so a re-run after a crash never
//! lists a message twice. Nothing here is deleted by triage: see the README
//! on retention.

use crate::error::{Error, Result};
use crate::outcome::Outcome;
use crate::sink::files::{create_private_dir, create_private_file, sync_dir};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Name of the folder inside `--state`.
pub const DECISIONS_DIR: &str = "decisions";

/// One kept line as written: the outcome as in `decisions.jsonl`, plus when
/// it was decided and the text its spans index. [`kept_line`] writes these
/// bytes without serialising the outcome again; this is what the tests
/// check it against.
#[cfg(test)]
#[derive(serde::Serialize)]
struct KeptLine<'a> {
    run_at: String,
    #[serde(flatten)]
    outcome: &'a Outcome,
    text: &'a str,
}

/// One kept decision read back.
#[derive(Debug, Clone)]
pub struct KeptDecision {
    /// The history key (`mid:…` or `sha256:…`).
    pub key: String,
    /// The line as written (the outcome, `run_at` and `text`).
    pub record: serde_json::Value,
}

/// Whether a message's decision is kept: it is from a customer on the
/// register, or a person was asked to look at it.
pub fn worth_keeping(o: &Outcome) -> bool {
    o.sender.customer_id.is_some() || o.is_flagged()
}

/// The file a run at `run_at` keeps its decisions in.
pub fn run_file(state: &Path, run_at: DateTime<Utc>) -> PathBuf {
    state
        .join(DECISIONS_DIR)
        .join(run_at.format("%Y%m%dT%H%M%SZ.jsonl").to_string())
}

/// A kept line for one outcome (see [`worth_keeping`]), with its line end,
/// from the outcome's `decisions.jsonl` line (`decision_line`: the outcome
/// serialised as one JSON object, then a line end) and its `text`.
///
/// The kept line is `{"run_at":…,` then the outcome's fields, then
/// `"text":…}`: what serialising the outcome flattened between the two
/// fields gives (serde writes a flattened struct's fields as map entries,
/// and serde_json writes an entry exactly as a field), so the outcome's
/// fields are copied from the line already written, not serialised twice.
/// `run_at` is [`run_at_text`] of the run time, made once per batch.
pub fn kept_line(run_at: &str, decision_line: &[u8], text: &str) -> Result<Vec<u8>> {
    let fields = decision_line
        .strip_suffix(b"\n")
        .and_then(|l| l.strip_prefix(b"{"))
        .and_then(|l| l.strip_suffix(b"}"))
        .ok_or_else(|| Error::Other("keeping a decision: not a decision line".into()))?;
    let mut json = Vec::with_capacity(fields.len() + text.len() + text.len() / 8 + 64);
    json.extend_from_slice(b"{\"run_at\":");
    let written = serde_json::to_writer(&mut json, run_at).and_then(|()| {
        if !fields.is_empty() {
            json.push(b',');
            json.extend_from_slice(fields);
        }
        json.extend_from_slice(b",\"text\":");
        serde_json::to_writer(&mut json, text)
    });
    written.map_err(|e| Error::Other(format!("keeping a decision: {e}")))?;
    json.extend_from_slice(b"}\n");
    Ok(json)
}

/// The run time as a kept line's `run_at` gives it.
pub fn run_at_text(run_at: DateTime<Utc>) -> String {
    run_at.to_rfc3339()
}

/// Keep a run's decisions: `new` holds `count` [`kept_line`]s of messages
/// [`worth_keeping`], which `write_new` writes, sorted by source id, to the
/// file it is given; `keys_of` reads their history keys back from `new`, and
/// is called only when this run time's file already exists (a replay with
/// the same `--now`), so a night's keys are not held otherwise. Returns
/// `count`. Call after the reports are written and with the state lock held.
pub fn keep<New>(
    state: &Path,
    run_at: DateTime<Utc>,
    (new, count): (New, usize),
    keys_of: impl FnOnce(&New) -> Result<HashSet<String>>,
    write_new: impl FnOnce(New, &mut dyn Write, &Path) -> Result<()>,
) -> Result<usize> {
    let path = run_file(state, run_at);
    let dir = state.join(DECISIONS_DIR);
    create_private_dir(&dir)?;
    remove_unfinished(&dir)?;
    // The same run time again (a replay with the same --now): what that run
    // kept stays unless this run decided the same message anew.
    let mut earlier = Vec::new();
    if path.exists() {
        let keys = keys_of(&new)?;
        for kept in read_file(&path)? {
            if !keys.contains(kept.key.as_str()) {
                earlier.push(kept.record.to_string());
            }
        }
    }
    if earlier.is_empty() && count == 0 {
        return Ok(0);
    }
    let temporary = dir.join(format!(".{}.unfinished", file_name(&path)));
    // One MiB of buffer: the kept lines go to the kernel in few `write` calls.
    let mut w = BufWriter::with_capacity(1 << 20, create_private_file(&temporary)?);
    for line in earlier {
        writeln!(w, "{line}").map_err(|e| Error::io(&temporary, e))?;
    }
    write_new(new, &mut w, &temporary)?;
    let file = w
        .into_inner()
        .map_err(|e| Error::io(&temporary, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(&temporary, e))?;
    fs::rename(&temporary, &path).map_err(|e| Error::io(&path, e))?;
    // The rename is durable once the folder is.
    sync_dir(&dir)?;
    Ok(count)
}

/// Every kept decision, one per message: where runs decided the same message
/// more than once, the latest run's (files are named by run time).
pub fn read_all(state: &Path) -> Result<Vec<KeptDecision>> {
    let dir = state.join(DECISIONS_DIR);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| Error::io(&dir, e))?
        .map(|entry| entry.map(|e| e.path()).map_err(|e| Error::io(&dir, e)))
        .collect::<Result<_>>()?;
    files.retain(|p| !file_name(p).starts_with('.') && file_name(p).ends_with(".jsonl"));
    files.sort();
    let mut by_key: BTreeMap<String, KeptDecision> = BTreeMap::new();
    for file in files {
        for kept in read_file(&file)? {
            by_key.insert(kept.key.clone(), kept);
        }
    }
    Ok(by_key.into_values().collect())
}

/// One file's lines; a line that is not a kept decision is an error naming
/// the file and line (the files are only ever written whole, so it was
/// changed by hand).
fn read_file(path: &Path) -> Result<Vec<KeptDecision>> {
    let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let bad = |line: usize, why: String| {
        Error::Other(format!(
            "{}:{line}: not a kept decision: {why}",
            path.display()
        ))
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: serde_json::Value =
            serde_json::from_str(line).map_err(|e| bad(i + 1, e.to_string()))?;
        let key = key_of(&record).map_err(|why| bad(i + 1, why))?;
        out.push(KeptDecision { key, record });
    }
    Ok(out)
}

/// The history key of a kept line.
pub fn key_of(record: &serde_json::Value) -> std::result::Result<String, String> {
    record["key"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| "it has no `key`".to_string())
}

/// A temporary file left by a run that crashed while writing is never
/// read; the next run removes it.
fn remove_unfinished(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let name = file_name(&path);
        if name.starts_with('.') && name.ends_with(".unfinished") {
            fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::category::Category;
    use crate::detect::{Detection, RuleHit, SuppressedHit};
    use crate::outcome::{Conduct, HistoryEvidence, RepeatOf, SenderView};
    use crate::parse::SegmentKind;
    use crate::route::{Priority, Queue, Routing};

    fn outcome(text: &str, full: bool) -> Outcome {
        let hit = RuleHit {
            rule_id: "violence.kill".into(),
            category: "threat_violence".into(),
            weight: 1.5,
            start: 2,
            end: 9,
            matched: "\"kill\" \u{1}é".into(),
            segment: SegmentKind::Own,
        };
        let detection = if full {
            Detection {
                hits: vec![hit.clone()],
                suppressed: vec![SuppressedHit {
                    hit,
                    reason: "quoted <b>".into(),
                }],
                categories: [Category::ThreatViolence, Category::Abuse].into(),
                scores: [(Category::ThreatViolence, 1.5), (Category::Abuse, 0.25)].into(),
                urgent_service: true,
                quoted_categories: [Category::Abuse].into(),
            }
        } else {
            Detection::default()
        };
        Outcome {
            source_id: "0001/0000001.eml".into(),
            key: "mid:a@b".into(),
            message_id: full.then(|| "a@b".into()),
            date: "2026-11-20T18:20:16+00:00".into(),
            from: "jo@example.org".into(),
            subject: "Re: \"bins\"\t£45".into(),
            size_bytes: 2048,
            unparseable: (!full).then(|| "no header fields found".into()),
            sender: SenderView {
                address: "jo@example.org".into(),
                sender_key: "cust:C1".into(),
                customer_id: Some("C1".into()),
                customer_name: full.then(|| "Jo Bloggs".into()),
                status: None,
                register_status: Some("restricted".into()),
                status_note: None,
                vulnerable: full,
            },
            detection,
            history: HistoryEvidence {
                earlier_messages: 3,
                repeat_of: full.then(|| RepeatOf {
                    source_id: "x".into(),
                    message_id: None,
                    date: "2026-11-01T00:00:00+00:00".into(),
                    subject: "s".into(),
                    excerpt: "line\nbreak".into(),
                    similarity: 0.875,
                }),
                best_similarity: 0.1,
                ..HistoryEvidence::default()
            },
            categories: [Category::ThreatViolence].into(),
            routing: Routing {
                queue: Queue::Escalate,
                priority: Priority::Urgent,
                entry: "threats".into(),
                entry_index: 3,
                matched_entries: vec!["threats".into()],
                reasons: vec!["a \"reason\"".into()],
                actions: Vec::new(),
            },
            conduct: full.then_some(Conduct::Unacceptable),
            own_text: "own".into(),
            text: text.into(),
            segments: Vec::new(),
        }
    }

    #[test]
    fn a_kept_line_from_the_decision_line_is_the_outcome_serialised_flattened() {
        let run_at = DateTime::parse_from_rfc3339("2026-11-21T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let texts = ["", "plain", "\"quoted\"\n\\ \u{0}\u{1f} é £ 😀 </script>"];
        for full in [false, true] {
            for text in texts {
                let o = outcome(text, full);
                let line = crate::sink::decision_line(&o).unwrap();
                let built = kept_line(&run_at_text(run_at), &line, &o.text).unwrap();
                let mut expected = serde_json::to_vec(&KeptLine {
                    run_at: run_at.to_rfc3339(),
                    outcome: &o,
                    text: &o.text,
                })
                .unwrap();
                expected.push(b'\n');
                assert_eq!(
                    String::from_utf8(built).unwrap(),
                    String::from_utf8(expected).unwrap()
                );
            }
        }
        assert!(kept_line("t", b"not json\n", "").is_err());
    }
}
