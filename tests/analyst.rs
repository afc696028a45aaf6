//! The analyst's commands: `triage eval` scores labelled mail and gates CI,
//! `triage explain` traces one decision, `triage rules stats` shows what each
//! rule contributes. None of them writes anything.

use crate::util::*;

fn run_args<S: AsRef<str>>(cwd: &std::path::Path, args: &[S]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|s| s.as_ref().to_string()).collect();
    triage(cwd, &args)
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The sample night with its expected outcomes as labels (run from the repository).
const SAMPLE_LABELLED: [&str; 8] = [
    "--source",
    "corpus/sample",
    "--labels",
    "corpus/sample.expected.csv",
    "--register",
    "corpus/register.csv",
    "--now",
    NOW,
];

#[test]
fn eval_scores_the_sample_night_and_its_gates_pass() {
    let repo = repo();
    let out = run_args(
        &repo,
        &[
            &["eval"][..],
            &SAMPLE_LABELLED,
            &["--min-f1", "0.9", "--min-queue-accuracy", "0.99"],
        ]
        .concat(),
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("queue accuracy: 1.000 (51 of 51)"), "{text}");
    assert!(!repo.join("state/history").exists() || repo.join("state").exists());
}

/// A world with one veiled threat labelled clean (a false flag) and one
/// insult labelled as nothing but abuse that the rules cannot see (a miss).
fn mislabelled_world() -> World {
    let mut w = World::new();
    w.mail(
        "a.resident@example.com",
        "housing@northfield.gov.uk",
        "Fri, 20 Nov 2026 18:00:00 +0000",
        "repairs",
        "Fix the damp by Friday. I know where you live and I know what car you drive.",
    );
    w.mail(
        "b.resident@example.com",
        "waste@northfield.gov.uk",
        "Fri, 20 Nov 2026 18:05:00 +0000",
        "bins",
        "Please collect the green bin from 4 Larch Avenue, it was missed on Tuesday.",
    );
    std::fs::write(
        w.path("labels.csv"),
        "source,queue,categories\n001.eml,respond,\n002.eml,respond,abuse\n",
    )
    .unwrap();
    w
}

/// `triage eval` of the mislabelled world with the repository's rules.
fn eval_mislabelled(w: &World) -> Vec<String> {
    let path = |p: std::path::PathBuf| p.to_str().unwrap().to_string();
    let mut args = vec!["eval".to_string(), "--source".into(), path(w.path("mail"))];
    args.extend(["--labels".into(), path(w.path("labels.csv"))]);
    args.extend(["--rules".into(), path(repo().join("rules"))]);
    args
}

#[test]
fn eval_lists_each_miss_and_false_flag_with_its_evidence_and_fails_the_gate() {
    let w = mislabelled_world();
    let mut base = eval_mislabelled(&w);
    base.extend(["--now".into(), NOW.into()]);
    let mut gated = base.to_vec();
    gated.extend(["--min-recall", "abuse=0.9"].map(String::from));
    let out = run_args(w.dir.path(), &gated);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "a failed gate exits 1: {text}");
    assert!(
        text.contains("001.eml  false flag threat_violence"),
        "{text}"
    );
    assert!(text.contains("queue escalate not respond"), "{text}");
    assert!(
        text.contains("\"I know where you live"),
        "the matched words: {text}"
    );
    assert!(text.contains("002.eml  missed abuse"), "{text}");
    assert!(
        text.contains("abuse: no rule matched the sender's own words"),
        "{text}"
    );
    assert!(text.contains("GATES FAILED"), "{text}");
    assert!(text.contains("abuse recall >= 0.9: 0.000"), "{text}");

    let mut json = base.to_vec();
    json.push("--json".into());
    let out = run_args(w.dir.path(), &json);
    assert_eq!(out.status.code(), Some(0), "no gate given");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["messages"], 2);
    assert_eq!(report["disagreements"].as_array().unwrap().len(), 2);
    assert_eq!(report["queues"]["correct"], 1);
    let abuse = report["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "abuse")
        .unwrap();
    assert_eq!(abuse["false_negatives"], 1);
    assert!(
        !w.path("state").exists() && !w.path("out").exists(),
        "eval writes nothing"
    );
}

/// `triage eval … | head -12`, as the README and CI use it: the reader
/// closes the pipe before the report is written. The command must neither
/// panic nor lose its gate's exit status.
/// Run triage with its standard output's reading end closed at once: rule
/// loading takes far longer than this, so every write meets a closed pipe, as
/// when a reader (`| head -12`) stops early.
fn run_with_stdout_closed<S: AsRef<std::ffi::OsStr>>(
    cwd: &std::path::Path,
    args: &[S],
) -> std::process::Output {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_triage"))
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run triage");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    out
}

#[test]
fn eval_piped_into_a_reader_that_stops_early_keeps_its_gate_exit_status() {
    let w = mislabelled_world();
    let mut args = eval_mislabelled(&w);
    args.extend(["--now", NOW, "--min-recall", "abuse=0.9"].map(String::from));
    let out = run_with_stdout_closed(w.dir.path(), &args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the failed gate still exits 1: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn explain_and_rules_test_piped_into_a_reader_that_stops_early_do_not_panic() {
    let repo = repo();
    let explained = run_with_stdout_closed(
        &repo,
        &[
            "explain",
            "corpus/sample/016-rats-behind-parade.eml",
            "--now",
            NOW,
        ],
    );
    assert_eq!(explained.status.code(), Some(0));
    let tested = run_with_stdout_closed(&repo, &["rules", "test"]);
    assert_eq!(
        tested.status.code(),
        Some(0),
        "every rule's examples pass: {}",
        String::from_utf8_lossy(&tested.stderr)
    );
}

#[test]
fn eval_refuses_labels_that_do_not_match_the_mail() {
    let w = mislabelled_world();
    std::fs::write(
        w.path("labels.csv"),
        "source,queue,categories\n001.eml,escalate,threat_violence\n009.eml,respond,\n",
    )
    .unwrap();
    let out = run_args(w.dir.path(), &eval_mislabelled(&w));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("labels.csv:3: `009.eml` is labelled but is not in the source"),
        "{err}"
    );
    assert!(
        err.contains("1 message(s) have no label, e.g. `002.eml`"),
        "{err}"
    );
}

#[test]
fn explain_traces_hits_guards_scores_and_the_policy_entry() {
    let mut w = World::new();
    let id = w.mail(
        "c.resident@example.com",
        "housing@northfield.gov.uk",
        "Fri, 20 Nov 2026 19:00:00 +0000",
        "neighbour",
        "My neighbour told me \"I will kill you\" when I reported him again.\n\
         And you are all useless idiots for doing nothing about it.",
    );
    let file = w.path("mail").join(&id);
    let out = run_args(
        w.dir.path(),
        &[
            "explain",
            file.to_str().unwrap(),
            "--rules",
            repo().join("rules").to_str().unwrap(),
            "--now",
            NOW,
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("RULE HITS THAT COUNTED"), "{text}");
    assert!(text.contains("[you are all useless idiots]"), "{text}");
    assert!(text.contains("RULE HITS THAT DID NOT COUNT"), "{text}");
    assert!(text.contains("[I will kill you]"), "{text}");
    assert!(
        text.contains("why not: quoted") || text.contains("why not: tv_quoted"),
        "the reported threat is suppressed: {text}"
    );
    assert!(text.contains("abuse"), "{text}");
    assert!(text.contains("FLAGGED"), "{text}");
    assert!(!text.contains("threat_violence      1.00"), "{text}");
    assert!(text.contains("chose #10 abuse_first"), "{text}");
    assert!(text.contains("=> respond (normal priority)"), "{text}");
}

#[test]
fn rules_stats_counts_hits_per_rule_and_how_often_each_was_right() {
    let repo = repo();
    let out = run_args(
        &repo,
        &[&["rules", "stats"][..], &SAMPLE_LABELLED, &["--json"]].concat(),
    );
    assert_eq!(out.status.code(), Some(0));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["messages"], 51);
    let rules = stats["rules"].as_array().unwrap();
    let rule = |id: &str| rules.iter().find(|r| r["rule_id"] == id).unwrap().clone();
    let insult = rule("ab.insult_you");
    assert!(insult["messages"].as_u64().unwrap() >= 1);
    assert_eq!(insult["right_share"], 1.0, "{insult}");
    assert!(
        rules.iter().any(|r| r["messages"] == 0),
        "rules that never hit are listed too"
    );
    let text = stdout(&run_args(
        &repo,
        &["rules", "stats", "--source", "corpus/sample", "--now", NOW],
    ));
    assert!(text.contains("HITS"), "{text}");
    assert!(text.contains("ab.insult_you"), "{text}");
}

/// `triage explain` and `triage eval` read a message alike: on `nmx-047` (a
/// police officer's report of a threat made by a man arrested, in a base64
/// body), the quotation guard `others_quoted` suppresses `tv.people_in_it` in
/// both, so the trace lists the hit as not counted and eval flags nothing. (A
/// disagreement was reported in the twenty-first round; it came from the
/// guard's `telling X` being added in that round, not from the two paths.)
#[test]
fn explain_and_eval_agree_on_a_quoted_threat_in_a_base64_body() {
    let repo = repo();
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("mail");
    std::fs::create_dir_all(&mail).unwrap();
    let name = "nmx-047-police-liaison-wharfside.eml";
    std::fs::copy(repo.join("corpus/train/mail").join(name), mail.join(name)).unwrap();
    let labels = dir.path().join("labels.csv");
    std::fs::write(
        &labels,
        format!("source,queue,categories\n{name},respond,\n"),
    )
    .unwrap();
    let rules = repo.join("rules");
    let out = run_args(
        &repo,
        &[
            "explain",
            mail.join(name).to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--now",
            NOW,
        ],
    );
    let text = stdout(&out);
    let (counted, not_counted) = text
        .split_once("RULE HITS THAT DID NOT COUNT")
        .expect("a trace with hits that did not count");
    assert!(!counted.contains("tv.people_in_it"), "{text}");
    let hit = not_counted
        .find("tv.people_in_it")
        .expect("the hit, suppressed");
    let why = not_counted[hit..].find("why not: ").unwrap() + hit;
    assert!(
        not_counted[why..].starts_with("why not: others_quoted"),
        "{text}"
    );
    let out = run_args(
        &repo,
        &[
            "eval",
            "--rules",
            rules.to_str().unwrap(),
            "--source",
            mail.to_str().unwrap(),
            "--labels",
            labels.to_str().unwrap(),
            "--now",
            NOW,
            "--json",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["clean_flagged"], 0, "{report}");
}

#[test]
fn rules_train_only_refuses_a_category_without_a_model_before_reading_anything() {
    let repo = repo();
    // A rules folder that does not exist: the argument is refused first.
    let train = ["rules", "train", "--rules", "no-such-rules", "--only"];
    for more in [
        &["repeat_complaint"][..],
        &["abuse,mass_copy", "--hold-out", "g"],
    ] {
        let out = run_args(&repo, &[&train[..], more].concat());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("only a content category has a model"), "{err}");
    }
}
