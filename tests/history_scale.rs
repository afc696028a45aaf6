//! The history at scale and across releases: repeats are looked for among a
//! sender's last `REPEAT_LOOKBACK_MESSAGES` messages while the window counts
//! stay exact, and a history written by an earlier release (an older index
//! layout) is upgraded by the next run and answers as before.

use crate::util::{repo, triage, World, NOW};
use std::path::Path;
use triage::history::{History, HistoryEntry};
use triage::pipeline::REPEAT_LOOKBACK_MESSAGES;

const SENDER: &str = "flood@example.org";
const COMPLAINT: &str = "The streetlight outside Mill Lane has been flickering for weeks \
                         and nobody has come to repair it. It is dark and unsafe walking home.";

/// A body of made-up words that shares nothing with [`COMPLAINT`] or with
/// another `filler(j)`.
fn filler(i: usize) -> String {
    let word = |n: usize| -> String {
        let mut n = n;
        let mut w = String::from("q");
        for _ in 0..4 {
            w.push((b'a' + (n % 26) as u8) as char);
            n /= 26;
        }
        w
    };
    (0..12)
        .map(|k| word(i * 12 + k))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Index `COMPLAINT` from `SENDER`, then `later` other messages of theirs,
/// all within the last three days before `NOW`.
fn history_with_complaint_then(state: &Path, later: usize) {
    let mut history = History::open(state).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .timestamp();
    let first = now - 3 * 86_400;
    let entry = |i: usize, body: String| HistoryEntry {
        key: format!("mid:<old{i}@example.org>"),
        sender_key: format!("addr:{SENDER}"),
        customer_id: None,
        date: first + i as i64 * 60,
        subject: "Streetlight".into(),
        body,
        message_id: Some(format!("<old{i}@example.org>")),
        source_id: format!("archive/{i}.eml"),
        queue: "respond".into(),
        categories: Vec::new(),
    };
    let mut entries = vec![entry(0, COMPLAINT.into())];
    entries.extend((1..=later).map(|i| entry(i, filler(i))));
    assert_eq!(history.add_all(&entries).unwrap(), later + 1);
    history.close().unwrap();
}

/// The `history` object of the only decision in `out/decisions.jsonl`.
fn only_decision_history(w: &World) -> serde_json::Value {
    let text = std::fs::read_to_string(w.path("out/decisions.jsonl")).unwrap();
    let mut lines = text.lines();
    let decision: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert!(lines.next().is_none());
    decision["history"].clone()
}

fn night_repeating_the_complaint(later: usize) -> World {
    let mut w = World::new();
    history_with_complaint_then(&w.path("state"), later);
    w.mail(
        SENDER,
        "streetlighting@northfield.gov.uk",
        "Fri, 20 Nov 2026 21:00:00 +0000",
        "Streetlight, again",
        COMPLAINT,
    );
    let out = w.run(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    w
}

#[test]
fn a_repeat_is_found_among_the_senders_last_messages_and_counts_stay_exact() {
    let w = night_repeating_the_complaint(REPEAT_LOOKBACK_MESSAGES - 1);
    let h = only_decision_history(&w);
    assert_eq!(h["repeat_of"]["source_id"], "archive/0.eml");
    assert_eq!(h["best_similarity"], 1.0);
    assert_eq!(h["earlier_messages"], REPEAT_LOOKBACK_MESSAGES);
    assert_eq!(h["messages_in_volume_window"], REPEAT_LOOKBACK_MESSAGES + 1);
}

#[test]
fn a_repeat_older_than_the_last_messages_is_not_looked_for_but_still_counted() {
    let w = night_repeating_the_complaint(REPEAT_LOOKBACK_MESSAGES);
    let h = only_decision_history(&w);
    assert!(h["repeat_of"].is_null(), "{h}");
    assert_eq!(h["best_similarity"], 0.0);
    // Every earlier message still counts in the windows: volume is exact.
    assert_eq!(h["earlier_messages"], REPEAT_LOOKBACK_MESSAGES + 1);
    assert_eq!(h["messages_in_volume_window"], REPEAT_LOOKBACK_MESSAGES + 2);
    let report = std::fs::read_to_string(w.path("out/report.csv")).unwrap();
    assert!(report.contains("high_volume"), "{report}");
    assert!(!report.contains("repeat_complaint"), "{report}");
}

/// `triage run` over the sample night in the repository root, with `state`.
fn sample_night(state: &Path, out: &Path, now: &str) -> std::process::Output {
    let args: Vec<String> = ["run", "--state", &state.display().to_string()]
        .into_iter()
        .map(String::from)
        .chain([
            "--out".into(),
            out.display().to_string(),
            "--now".into(),
            now.into(),
        ])
        .collect();
    let output = triage(&repo(), &args);
    // The sample holds an unparseable message: exit 1 (§6).
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn a_history_from_an_earlier_release_is_upgraded_and_answers_as_before() {
    // The same two nights on a history this release wrote itself: the
    // reports every upgraded history must give.
    let tmp = tempfile::tempdir().unwrap();
    let fresh = tmp.path().join("fresh");
    sample_night(
        &fresh,
        &tmp.path().join("out-first"),
        "2026-11-20T06:00:00Z",
    );
    sample_night(&fresh, &tmp.path().join("out-fresh"), NOW);
    let expected: Vec<Vec<u8>> = REPORTS
        .iter()
        .map(|file| std::fs::read(tmp.path().join("out-fresh").join(file)).unwrap())
        .collect();
    // The sample night of 2026-11-20 as earlier releases indexed it: before
    // fingerprints were in the index, with each fingerprint in a bytes fast
    // field whose dictionary is zstd-compressed (not read by this build), and
    // with 64-bit hashes in u64 columns (this build compares 32-bit ones),
    // and with 32-bit hashes in u64 columns (one column value a hash).
    for fixture in [
        "history-before-fingerprints",
        "history-bytes-fingerprints",
        "history-u64-fingerprints",
        "history-u32-fingerprints",
    ] {
        upgraded_answers_as_before(fixture, &expected);
    }
    // (That a current index is not upgraded again: the history unit tests.)
}

/// The reports an upgraded history must give exactly as a fresh one does.
const REPORTS: [&str; 2] = ["report.csv", "decisions.jsonl"];

/// The night of `NOW` over a copy of the history in `tests/fixtures/<fixture>`
/// (the sample night of 2026-11-20 as an earlier release indexed it): the
/// history is upgraded once, the old one set aside, and the night's reports
/// are `expected`.
fn upgraded_answers_as_before(fixture: &str, expected: &[Vec<u8>]) {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old");
    let fixture = repo().join("tests/fixtures").join(fixture);
    std::fs::create_dir_all(old.join("history")).unwrap();
    for file in std::fs::read_dir(&fixture).unwrap() {
        let file = file.unwrap().path();
        std::fs::copy(&file, old.join("history").join(file.file_name().unwrap())).unwrap();
    }
    let upgraded = sample_night(&old, &tmp.path().join("out-old"), NOW);
    let stderr = String::from_utf8_lossy(&upgraded.stderr);
    assert!(
        stderr.contains("upgraded to the current index layout: 51 messages"),
        "{}: {stderr}",
        fixture.display()
    );
    // The upgrade says its own time; the night's does not include it.
    assert!(
        stderr.contains("copied with their fingerprints in "),
        "{stderr}"
    );
    assert!(stderr.contains("messages triaged in "), "{stderr}");
    let aside: Vec<_> = std::fs::read_dir(&old)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("history.before-upgrade-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    for (file, expected) in REPORTS.iter().zip(expected) {
        let got = std::fs::read(tmp.path().join("out-old").join(file)).unwrap();
        assert!(
            &got == expected,
            "{}: {file} differs after the upgrade",
            fixture.display()
        );
    }
}
