//! Real mail written by others: every parser-torture file comes out exactly
//! once, in some queue, with no panic; ordinary mail is almost never flagged.

use crate::util::*;

#[test]
fn every_parser_torture_file_is_accounted_for_once() {
    let source = shared_testdata().join("parser-torture");
    assert!(source.is_dir(), "missing {}", source.display());
    let mut files = Vec::new();
    let mut stack = vec![source.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.file_name().unwrap().to_string_lossy().starts_with('.') {
                files.push(p.strip_prefix(&source).unwrap().display().to_string());
            }
        }
    }
    files.sort();
    assert!(files.len() > 500, "{} files", files.len());

    let dir = tempfile::tempdir().unwrap();
    let out = run_on(dir.path(), &source);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let rows = read_report(&dir.path().join("out/report.csv"));
    let ids: Vec<String> = rows.keys().cloned().collect();
    assert_eq!(ids, files, "every file exactly once");
    for row in rows.values() {
        assert!(["respond", "read-only", "escalate"].contains(&row["queue"].as_str()));
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["messages_in"], files.len());
    assert_eq!(summary["messages_out"], files.len());
}

#[test]
fn ordinary_mail_is_almost_never_flagged() {
    let source = shared_testdata().join("ham/easy-ham-1");
    let dir = tempfile::tempdir().unwrap();
    let out = run_on(dir.path(), &source);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = read_report(&dir.path().join("out/report.csv"));
    assert_eq!(rows.len(), 2500);
    let flagged: Vec<String> = rows
        .values()
        .filter(|r| {
            list(&r["categories"])
                .iter()
                .any(|c| !["repeat_complaint", "high_volume", "mass_copy"].contains(&c.as_str()))
        })
        .map(|r| format!("{} {} {}", r["source"], r["categories"], r["rules_hit"]))
        .collect();
    println!(
        "{} of {} ordinary messages flagged with a content category:\n{}",
        flagged.len(),
        rows.len(),
        flagged.join("\n")
    );
    assert!(
        flagged.len() * 200 < rows.len(),
        "{} flagged",
        flagged.len()
    );
}
