//! `triage export --customer ID`: a subject access export after a real run
//! of the sample night — the register row, each of the customer's messages
//! with its decision and matched spans, a page where nothing a sender wrote
//! can run, and each message once however often the night was run.

use crate::util::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A hostile message from CRM-15092 (Martin Reeve), beside the sample night.
const HOSTILE: &str = "From: Martin Reeve <martin.reeve@example.net>\r\n\
To: housing@northfield.gov.uk\r\n\
Subject: <script>alert('subject')</script> still no door\r\n\
Date: Fri, 20 Nov 2026 22:10:00 +0000\r\n\
Message-ID: <reeve.hostile.1@example.net>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
<script>alert('body')</script><img src=x onerror=alert(1)>\r\n\
Your housing officer is a lazy, lying waste of space.\r\n";

/// The sample night plus [`HOSTILE`], in a folder of its own.
fn sample_with_hostile(dir: &Path) -> PathBuf {
    copy_from_repo("corpus/sample", dir);
    let mail = dir.join("sample");
    std::fs::write(mail.join("900-hostile-reeve.eml"), HOSTILE).unwrap();
    mail
}

/// `triage run` over `mail` with the sample register into `dir/state`.
fn run_night(dir: &Path, mail: &Path, now: &str, env: &[(&str, &str)]) -> Output {
    run_night_with(dir, mail, now, &[], env)
}

/// [`run_night`] with more flags.
fn run_night_with(
    dir: &Path,
    mail: &Path,
    now: &str,
    flags: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_triage"));
    cmd.current_dir(dir).args([
        "run",
        "--source",
        &mail.display().to_string(),
        "--register",
        &repo().join("corpus/register.csv").display().to_string(),
        "--rules",
        &repo().join("rules").display().to_string(),
        "--state",
        &dir.join("state").display().to_string(),
        "--out",
        &dir.join("out").display().to_string(),
        "--now",
        now,
    ]);
    cmd.args(flags);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn export(dir: &Path, register: &Path, customer: &str) -> Output {
    let args: Vec<String> = [
        "export",
        "--customer",
        customer,
        "--register",
        &register.display().to_string(),
        "--state",
        &dir.join("state").display().to_string(),
        "--out",
        &dir.join("export").display().to_string(),
        "--now",
        "2026-11-21T09:00:00Z",
    ]
    .map(String::from)
    .to_vec();
    triage(dir, &args)
}

fn sample_register() -> PathBuf {
    repo().join("corpus/register.csv")
}

fn exported(dir: &Path, register: &Path, customer: &str) -> (serde_json::Value, String) {
    let out = export(dir, register, customer);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = std::fs::read(dir.join(format!("export/{customer}.json"))).unwrap();
    let html = std::fs::read_to_string(dir.join(format!("export/{customer}.html"))).unwrap();
    (serde_json::from_slice(&json).unwrap(), html)
}

/// A temporary folder whose `state` holds the sample night.
fn sample_night_in_state() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    finished(&run_night(
        tmp.path(),
        &repo().join("corpus/sample"),
        NOW,
        &[],
    ));
    tmp
}

fn finished(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(1),
        "the sample has one empty file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_customer_who_wrote_gets_every_message_with_its_spans_and_a_safe_page() {
    let tmp = tempfile::tempdir().unwrap();
    let mail = sample_with_hostile(tmp.path());
    finished(&run_night(tmp.path(), &mail, NOW, &[]));
    let (json, html) = exported(tmp.path(), &sample_register(), "CRM-15092");

    assert_eq!(json["register_row"]["name"], "Martin Reeve");
    assert_eq!(json["register_row"]["status"], "monitored");
    assert_eq!(json["register_row"]["review_date"], "2026-10-20");
    assert_eq!(json["register_row"]["line"], 4);
    let messages = json["messages"].as_array().unwrap();
    let sources: Vec<&str> = messages
        .iter()
        .map(|m| m["source_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        ["018-repairs-complaint-reeve.eml", "900-hostile-reeve.eml"]
    );
    for m in messages {
        assert_eq!(m["queue"], "escalate", "{m:#}");
        assert_eq!(m["policy_entry"], "abuse_registered", "{m:#}");
        assert!(m["categories"]
            .as_array()
            .unwrap()
            .contains(&"abuse".into()));
        assert!(m["reasons"]
            .as_array()
            .unwrap()
            .contains(&"abuse_from_registered_customer".into()));
        assert!(m["own_words"].as_str().unwrap().contains("waste of space"));
        // Every span is the text it says it matched.
        let text = m["text"].as_str().unwrap();
        let hits = m["rule_hits"].as_array().unwrap();
        assert!(!hits.is_empty(), "{m:#}");
        for h in hits {
            let (start, end) = (h["start"].as_u64().unwrap(), h["end"].as_u64().unwrap());
            assert_eq!(
                &text[start as usize..end as usize],
                h["matched"].as_str().unwrap()
            );
        }
        assert!(m["decision"]["history"].is_object(), "the full decision");
    }
    assert_eq!(
        messages[1]["subject"],
        "<script>alert('subject')</script> still no door"
    );

    // The page: the spans marked, nothing from the sender interpreted.
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;alert(&#39;subject&#39;)&lt;/script&gt; still no door"));
    assert!(html.contains(
        "&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    ));
    assert!(
        html.contains("<mark data-label=\"abuse (ab.staff_are)"),
        "{html}"
    );
    assert!(html.contains(">Your housing officer Mrs Dunne is a lazy, lying waste of space"));
    assert!(html.contains("Martin Reeve") && html.contains("review_date</th><td>2026-10-20"));

    // Owner-only, like everything else that holds personal data.
    assert_eq!(mode(&tmp.path().join("export")), 0o700);
    for f in ["export/CRM-15092.json", "export/CRM-15092.html"] {
        assert_eq!(mode(&tmp.path().join(f)), 0o600, "{f}");
    }
    let kept = tmp.path().join("state/decisions/20261121T060000Z.jsonl");
    assert_eq!(mode(&kept), 0o600);
    assert_eq!(mode(&tmp.path().join("state/decisions")), 0o700);
}

#[test]
fn a_customer_who_never_wrote_gets_their_register_row_and_no_messages() {
    let tmp = sample_night_in_state();
    // Everyone on the sample register wrote that night; one more who did not.
    let register = tmp.path().join("register.csv");
    let mut text = std::fs::read_to_string(sample_register()).unwrap();
    text.push_str("CRM-30001,Nora Quiet,nora.quiet@example.org,warned,2026-11-01,2027-02-01,2027-02-01,,,,,false,Warned by phone.\n");
    std::fs::write(&register, text).unwrap();
    let (json, html) = exported(tmp.path(), &register, "CRM-30001");
    assert_eq!(json["register_row"]["name"], "Nora Quiet");
    assert_eq!(json["register_row"]["status"], "warned");
    assert_eq!(json["register_row"]["notes"], "Warned by phone.");
    assert_eq!(json["messages"], serde_json::json!([]));
    assert!(html.contains("No messages from this customer are held."));
    assert!(html.contains("notes</th><td>Warned by phone."));
}

#[test]
fn an_unknown_customer_exits_2_and_writes_nothing() {
    let tmp = sample_night_in_state();
    let out = export(tmp.path(), &sample_register(), "CRM-99999");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("customer `CRM-99999` is not on the register"),
        "{stderr}"
    );
    assert!(!tmp.path().join("export").exists());
}

#[test]
fn a_crash_and_re_runs_of_the_night_list_each_message_once() {
    let tmp = tempfile::tempdir().unwrap();
    let mail = sample_with_hostile(tmp.path());
    // Killed after keeping the decisions, before the history.
    let crashed = run_night(
        tmp.path(),
        &mail,
        NOW,
        &[("TRIAGE_FAULT", "after_decisions")],
    );
    assert_eq!(crashed.status.code(), None, "aborted by the fault hook");
    let (json, _) = exported(tmp.path(), &sample_register(), "CRM-15092");
    let listed = |json: &serde_json::Value| -> Vec<(String, bool)> {
        json["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["source_id"].as_str().unwrap().to_string(),
                    m["own_words"].is_string(),
                )
            })
            .collect()
    };
    // Decided but not yet in the history: listed from the decision alone.
    assert_eq!(
        listed(&json),
        [
            ("018-repairs-complaint-reeve.eml".to_string(), false),
            ("900-hostile-reeve.eml".to_string(), false)
        ]
    );
    // Re-run later, then again with the same time.
    finished(&run_night(tmp.path(), &mail, "2026-11-21T07:00:00Z", &[]));
    finished(&run_night(tmp.path(), &mail, "2026-11-21T07:00:00Z", &[]));
    let mut files: Vec<String> = std::fs::read_dir(tmp.path().join("state/decisions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["20261121T060000Z.jsonl", "20261121T070000Z.jsonl"]);
    let second =
        std::fs::read_to_string(tmp.path().join("state/decisions/20261121T070000Z.jsonl")).unwrap();
    let first =
        std::fs::read_to_string(tmp.path().join("state/decisions/20261121T060000Z.jsonl")).unwrap();
    assert_eq!(
        second.lines().count(),
        first.lines().count(),
        "the same night kept once per run time"
    );
    let (json, _) = exported(tmp.path(), &sample_register(), "CRM-15092");
    assert_eq!(
        listed(&json),
        [
            ("018-repairs-complaint-reeve.eml".to_string(), true),
            ("900-hostile-reeve.eml".to_string(), true)
        ]
    );
    for m in json["messages"].as_array().unwrap() {
        assert_eq!(
            m["decided_at"], "2026-11-21T07:00:00+00:00",
            "the latest run's"
        );
    }
}

#[test]
fn mail_sent_before_the_customer_was_registered_is_in_the_export() {
    let mut w = World::new();
    w.customer(
        "CRM-5,Pat Newly,pat@example.org,monitored,2026-11-15,2027-02-15,2027-02-15,,,,,false,",
    );
    w.mail(
        "Pat <pat@example.org>",
        "housing@northfield.gov.uk",
        "Mon, 02 Nov 2026 09:00:00 +0000",
        "Bin day",
        "When is the bin collected on Elm Road?",
    );
    // Night one: Pat is not on the register yet (an empty one).
    let empty = w.path("empty.csv");
    std::fs::write(&empty, format!("{REGISTER_HEADER}\n")).unwrap();
    let out = w.run(&[
        "--register",
        &empty.display().to_string(),
        "--now",
        "2026-11-03T06:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0));
    // Night two: registered, writes again.
    std::fs::remove_file(w.path("mail/001.eml")).unwrap();
    w.mail(
        "Pat <pat+council@example.org>",
        "housing@northfield.gov.uk",
        "Fri, 20 Nov 2026 09:00:00 +0000",
        "Bin day again",
        "The bin on Elm Road was missed again.",
    );
    assert_eq!(w.run(&[]).status.code(), Some(0));

    let (json, html) = exported(w.dir.path(), &w.path("register.csv"), "CRM-5");
    let messages = json["messages"].as_array().unwrap();
    let subjects: Vec<&str> = messages
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["Bin day", "Bin day again"]);
    // Ordinary mail from an unregistered sender keeps only its history entry.
    assert!(messages[0]["decision"].is_null());
    assert_eq!(
        messages[0]["own_words"],
        "When is the bin collected on Elm Road?"
    );
    assert_eq!(messages[1]["policy_entry"], "monitored");
    assert!(html.contains("No decision detail was kept for this message"));
}

#[test]
fn a_dry_run_keeps_no_decisions() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = repo().join("corpus/sample");
    let out = run_night_with(tmp.path(), &sample, NOW, &["--dry-run"], &[]);
    finished(&out);
    assert!(!tmp.path().join("state/decisions").exists());
}
