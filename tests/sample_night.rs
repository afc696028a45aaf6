//! The embedded sample night (`corpus/sample`, `corpus/register.csv`):
//! every message lands where `corpus/sample.expected.csv` says, and
//! `triage run` with no arguments works from the repository root.

use crate::util::*;

#[test]
fn sample_night_lands_as_expected() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_sample_night(tmp.path(), &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one empty file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("51 messages"), "{stdout}");
    let rows = read_report(&tmp.path().join("out/report.csv"));
    let mut expected = csv::Reader::from_path(repo().join("corpus/sample.expected.csv")).unwrap();
    let mut differences = Vec::new();
    let mut n = 0;
    for rec in expected.deserialize::<std::collections::BTreeMap<String, String>>() {
        let e = rec.unwrap();
        n += 1;
        let got = &rows[&e["source"]];
        let want = (
            e["queue"].as_str(),
            e["priority"].as_str(),
            list(&e["categories"]),
        );
        let have = (
            got["queue"].as_str(),
            got["priority"].as_str(),
            list(&got["categories"]),
        );
        if want != have {
            differences.push(format!(
                "{}: expected {want:?}, got {have:?} ({})",
                e["source"], got["reasons"]
            ));
        }
    }
    assert_eq!(n, rows.len(), "every message has an expectation");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn no_arguments_in_the_repository_root_runs_the_sample() {
    // Copy what the default config names into a scratch root so the test
    // never writes into the checkout.
    let root = tempfile::tempdir().unwrap();
    copy_from_repo("triage.toml", root.path());
    copy_from_repo("rules", root.path());
    std::fs::create_dir_all(root.path().join("corpus")).unwrap();
    copy_from_repo("corpus/sample", &root.path().join("corpus"));
    copy_from_repo("corpus/register.csv", &root.path().join("corpus"));
    let out = triage(root.path(), &["run".to_string()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("respond") && stdout.contains("escalate") && stdout.contains("flagged"),
        "{stdout}"
    );
    for f in [
        "report.csv",
        "decisions.jsonl",
        "summary.json",
        "queues/escalate/new",
    ] {
        assert!(root.path().join("out").join(f).exists(), "{f}");
    }
}
