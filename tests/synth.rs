//! `triage synth`: the same seed writes byte-identical mail and register, and
//! a run over what it writes accounts for every message (count in = count out).

use crate::util::*;
use std::collections::BTreeMap;
use std::path::Path;

fn synth(dir: &Path, seed: &str, extra: &[&str]) {
    let mut args: Vec<String> = ["synth", "--n", "150", "--seed", seed, "--out"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(dir.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = triage(dir.parent().unwrap(), &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrote 150 messages"));
}

/// Every file under `dir`, by relative path, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut all = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                all.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    all
}

#[test]
fn the_same_seed_writes_byte_identical_mail_and_register() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    synth(&a, "42", &[]);
    synth(&b, "42", &[]);
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.len(), 151, "150 messages and the register");
    assert!(fa == fb, "two runs with seed 42 differ");
    let register = String::from_utf8_lossy(&fa["register.csv"]).into_owned();
    for status in triage::register::Status::ALL.map(|s| s.as_str()) {
        assert!(
            register.contains(&format!(",{status},")),
            "no {status} customer"
        );
    }
    let c = tmp.path().join("c");
    synth(&c, "43", &[]);
    assert!(files(&c)["mail/0000/0000000.eml"] != fa["mail/0000/0000000.eml"]);
}

#[test]
fn a_run_over_synthetic_mail_routes_every_message_once() {
    for mbox in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("synth");
        synth(&dir, "42", if mbox { &["--mbox"] } else { &[] });
        let source = dir.join(if mbox { "mail.mbox" } else { "mail" });
        let out = triage(
            tmp.path(),
            &[
                "run".into(),
                "--source".into(),
                source.display().to_string(),
                "--register".into(),
                dir.join("register.csv").display().to_string(),
                "--state".into(),
                tmp.path().join("state").display().to_string(),
                "--out".into(),
                tmp.path().join("out").display().to_string(),
                "--rules".into(),
                repo().join("rules").display().to_string(),
                "--now".into(),
                "2026-11-21T06:00:00Z".into(),
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = read_report(&tmp.path().join("out/report.csv"));
        assert_eq!(report.len(), 150, "mbox: {mbox}");
        let queued: usize = ["respond", "read-only", "escalate"]
            .iter()
            .map(|q| {
                std::fs::read_dir(tmp.path().join("out/queues").join(q).join("new"))
                    .unwrap()
                    .count()
            })
            .sum();
        assert_eq!(queued, 150, "mbox: {mbox}");
        let flagged = report
            .values()
            .filter(|r| !r["categories"].is_empty())
            .count();
        assert!(flagged > 0 && flagged < 150, "{flagged} of 150 flagged");
    }
}
