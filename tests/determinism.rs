//! Same input, same reports: whatever the thread count, and when a night is
//! run again over a state that already holds it (nothing indexed twice).

use crate::util::*;
use std::path::Path;

fn run_sample(dir: &Path, threads: &str) {
    let out = run_sample_night(dir, &["--threads", threads]);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join("out").join(file)).unwrap()
}

#[test]
fn reports_are_byte_identical_for_one_and_two_threads() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    run_sample(one.path(), "1");
    run_sample(two.path(), "2");
    for f in ["report.csv", "decisions.jsonl", "review.html"] {
        assert!(
            read(one.path(), f) == read(two.path(), f),
            "{f} differs between thread counts"
        );
    }
    assert_eq!(queue_listing(one.path()), queue_listing(two.path()));
}

#[test]
fn rerunning_a_night_gives_the_same_reports_and_indexes_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    run_sample(dir.path(), "2");
    let report = read(dir.path(), "report.csv");
    let decisions = read(dir.path(), "decisions.jsonl");
    let review = read(dir.path(), "review.html");
    let history = triage::history::History::open(&dir.path().join("state")).unwrap();
    let indexed = history.len().unwrap();
    history.close().unwrap();
    assert_eq!(indexed, 51);

    run_sample(dir.path(), "2");
    assert!(
        read(dir.path(), "report.csv") == report,
        "report.csv changed on re-run"
    );
    assert!(
        read(dir.path(), "decisions.jsonl") == decisions,
        "decisions.jsonl changed on re-run"
    );
    assert!(
        read(dir.path(), "review.html") == review,
        "review.html changed on re-run (the customers section counted the night twice?)"
    );
    let history = triage::history::History::open(&dir.path().join("state")).unwrap();
    assert_eq!(
        history.len().unwrap(),
        indexed,
        "re-run indexed messages twice"
    );
}

#[test]
fn queues_hold_the_original_bytes() {
    let dir = tempfile::tempdir().unwrap();
    run_sample(dir.path(), "2");
    let rows = read_report(&dir.path().join("out/report.csv"));
    for (source, row) in &rows {
        let name = triage::sink::queues::file_name(source);
        let queued = dir
            .path()
            .join("out/queues")
            .join(&row["queue"])
            .join("new")
            .join(name);
        let original = repo().join("corpus/sample").join(source);
        assert_eq!(
            std::fs::read(queued).unwrap(),
            std::fs::read(original).unwrap(),
            "{source}"
        );
    }
    assert_eq!(queue_listing(dir.path()).len(), rows.len());
}

#[test]
fn output_and_state_are_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    run_sample(dir.path(), "2");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("out")), 0o700);
    assert_eq!(mode(&dir.path().join("state")), 0o700);
    for f in [
        "report.csv",
        "decisions.jsonl",
        "summary.json",
        "review.html",
    ] {
        assert_eq!(mode(&dir.path().join("out").join(f)), 0o600, "{f}");
    }
    assert_eq!(mode(&dir.path().join("out/queues/escalate/new")), 0o700);
}

/// What a run leaves that must not depend on the batch size: the reports
/// (summary.json without its timings), the queue listing and the history.
fn night_outputs(dir: &Path) -> (Vec<Vec<u8>>, serde_json::Value, Vec<String>, String) {
    let reports = ["report.csv", "decisions.jsonl", "review.html"]
        .map(|f| read(dir, f))
        .to_vec();
    let mut summary: serde_json::Value =
        serde_json::from_slice(&read(dir, "summary.json")).unwrap();
    summary.as_object_mut().unwrap().remove("timings");
    let history = triage::history::History::open(&dir.join("state")).unwrap();
    let entries = format!("{:?}", history.all_entries().unwrap());
    history.close().unwrap();
    (reports, summary, queue_listing(dir), entries)
}

/// The same night with `--batch 1`, `--batch 7` and the default batch
/// (everything in one): byte-identical outputs and history.
fn assert_batch_size_changes_nothing(args: impl Fn(&Path) -> Vec<String>) {
    let mut first: Option<(String, _)> = None;
    for batch in ["1", "7", "default"] {
        let dir = tempfile::tempdir().unwrap();
        let mut all = args(dir.path());
        if batch != "default" {
            all.extend(["--batch".to_string(), batch.to_string()]);
        }
        let out = triage(dir.path(), &all);
        assert!(
            matches!(out.status.code(), Some(0) | Some(1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let outputs = night_outputs(dir.path());
        match &first {
            None => first = Some((batch.to_string(), outputs)),
            Some((other, expected)) => {
                for (i, f) in ["report.csv", "decisions.jsonl", "review.html"]
                    .iter()
                    .enumerate()
                {
                    assert!(
                        outputs.0[i] == expected.0[i],
                        "{f} differs between --batch {batch} and --batch {other}"
                    );
                }
                assert_eq!(outputs.1, expected.1, "summary.json differs");
                assert_eq!(outputs.2, expected.2, "queue listing differs");
                assert!(outputs.3 == expected.3, "history differs");
            }
        }
    }
}

#[test]
fn reports_and_history_are_identical_for_any_batch_size_on_the_sample_night() {
    assert_batch_size_changes_nothing(sample_args);
}

#[test]
fn reports_and_history_are_identical_for_any_batch_size_on_a_synth_night() {
    let tmp = tempfile::tempdir().unwrap();
    let synth = tmp.path().join("synth");
    let out = triage(
        tmp.path(),
        &[
            "synth",
            "--n",
            "3000",
            "--seed",
            "1",
            "--senders",
            "500",
            "--out",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([synth.display().to_string()])
        .collect::<Vec<_>>(),
    );
    assert_eq!(out.status.code(), Some(0));
    let register = synth.join("register.csv").display().to_string();
    assert_batch_size_changes_nothing(|dir| {
        let mut args = run_on_args(dir, &synth.join("mail"));
        args.extend(["--register".to_string(), register.clone()]);
        args
    });
}

/// Two messages from one sender with the same Date: "earlier" is decided by
/// (date, key), so the night must be handled in that order too — otherwise
/// the first run (both in the night) and a re-run (both in the history)
/// disagree about which one repeats the other.
#[test]
fn a_rerun_agrees_with_the_first_run_when_a_senders_messages_share_a_date() {
    let mut world = World::new();
    let body = "The street light outside 14 Mill Lane has been out for three weeks and the \
                pavement is pitch dark by five o'clock. Please send someone to fix it.";
    let message = |id: &str| {
        format!(
            "From: Ann Lowe <ann.lowe@example.com>\r\nTo: highways@northfield.gov.uk\r\n\
             Subject: Street light\r\nDate: Fri, 20 Nov 2026 09:00:00 +0000\r\n\
             Message-ID: <{id}@example.com>\r\n\r\n{body}\r\n"
        )
    };
    // File order (a, b) is the opposite of key order (<a-key> < <z-key>).
    world.raw("a.eml", message("z-key").as_bytes());
    world.raw("b.eml", message("a-key").as_bytes());
    let first = world.triage();
    let first_bytes = std::fs::read(world.path("out/report.csv")).unwrap();
    assert_eq!(first["a.eml"]["repeat_of"], "b.eml", "{first:?}");
    assert_eq!(first["b.eml"]["repeat_of"], "", "{first:?}");
    world.triage();
    assert!(
        std::fs::read(world.path("out/report.csv")).unwrap() == first_bytes,
        "report.csv changed on re-run"
    );
}
