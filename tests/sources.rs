//! Every kind of file source, auto-detected, with stable source ids and
//! count in = count out; and the lock that keeps two runs apart.

use crate::util::*;

fn message(n: usize) -> String {
    format!("From: r{n}@example.org\nTo: customer.services@northfield.gov.uk\nSubject: bins {n}\nDate: Fri, 20 Nov 2026 19:{n:02}:00 +0000\nMessage-ID: <src{n}@example.org>\n\nThe bin was not collected at number {n}.\n")
}

fn run_sources(dir: &std::path::Path, sources: &[std::path::PathBuf]) -> std::process::Output {
    let mut args: Vec<String> = vec!["run".into()];
    for s in sources {
        args.push("--source".into());
        args.push(s.display().to_string());
    }
    for (flag, value) in [
        ("--rules", repo().join("rules")),
        ("--state", dir.join("state")),
        ("--out", dir.join("out")),
    ] {
        args.push(flag.into());
        args.push(value.display().to_string());
    }
    args.extend(["--now".to_string(), NOW.to_string()]);
    triage(dir, &args)
}

#[test]
fn mbox_maildir_and_folder_together() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("night.mbox");
    let mut text = String::new();
    for n in 1..=3 {
        text.push_str(&format!(
            "From r{n}@example.org Fri Nov 20 19:00:00 2026\n{}\n",
            message(n)
        ));
    }
    std::fs::write(&mbox, text).unwrap();
    let maildir = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    std::fs::write(maildir.join("new/1700000000.M1P2.host"), message(4)).unwrap();
    std::fs::write(maildir.join("cur/1700000001.M1P3.host:2,S"), message(5)).unwrap();
    std::fs::write(maildir.join("tmp/inprogress"), message(6)).unwrap();
    let folder = dir.path().join("eml");
    std::fs::create_dir_all(folder.join("sub")).unwrap();
    std::fs::write(folder.join("sub/7.eml"), message(7)).unwrap();

    let out = run_sources(dir.path(), &[mbox, maildir, folder]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = read_report(&dir.path().join("out/report.csv"));
    let ids: Vec<&str> = rows.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        [
            "Maildir/cur/1700000001.M1P3.host:2,S",
            "Maildir/new/1700000000.M1P2.host",
            "eml/sub/7.eml",
            "night.mbox/night.mbox#1",
            "night.mbox/night.mbox#2",
            "night.mbox/night.mbox#3",
        ]
    );
    assert_eq!(
        rows["night.mbox/night.mbox#2"]["message_id"],
        "src2@example.org"
    );
}

#[test]
fn a_single_mbox_uses_plain_ids() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("inbox");
    std::fs::write(
        &mbox,
        format!(
            "From a Fri Nov 20 19:00:00 2026\n{}\nFrom b Fri Nov 20 19:00:00 2026\n{}",
            message(1),
            message(2)
        ),
    )
    .unwrap();
    let out = run_sources(dir.path(), &[mbox]);
    assert!(out.status.success());
    let rows = read_report(&dir.path().join("out/report.csv"));
    assert_eq!(rows.keys().collect::<Vec<_>>(), ["inbox#1", "inbox#2"]);
}

#[test]
fn a_second_run_on_the_same_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("eml");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("1.eml"), message(1)).unwrap();
    std::fs::create_dir_all(dir.path().join("state")).unwrap();
    let lock = std::fs::File::create(dir.path().join("state/lock")).unwrap();
    lock.lock().unwrap();
    let out = run_sources(dir.path(), &[folder]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("another triage run"), "{stderr}");
    assert!(
        !dir.path().join("out").exists(),
        "nothing written while locked"
    );
}
