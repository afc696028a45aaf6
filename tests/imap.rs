//! IMAP sources against a real Dovecot (tests/dovecot.rs): seeded by APPEND
//! from the corpus, triaged by the real binary, checked over IMAP — folder
//! contents, keywords, \Seen untouched, count in = count out — including
//! crashes at each step, a stopped server and a UIDVALIDITY reset.

use crate::dovecot::{contents, corpus, seed, Dovecot, Session, PASSWORD};
use crate::util::{paths_under, read_report, repo, report_of, NOW};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FOLDERS: [(&str, &str); 3] = [
    ("respond", "Triage/Respond"),
    ("read-only", "Triage/Read-only"),
    ("escalate", "Triage/Escalate"),
];

/// One test's server, state and outputs.
struct Desk {
    server: Dovecot,
    dir: tempfile::TempDir,
}

impl Desk {
    fn new(users: &[&str]) -> Desk {
        let desk = Desk {
            server: Dovecot::start(users),
            dir: tempfile::tempdir().unwrap(),
        };
        // Small batches, so a few dozen messages take several fetches and copies.
        desk.config("[imap]\nfetch_batch = 7\ncopy_batch = 4\n");
        desk
    }

    fn config(&self, text: &str) {
        std::fs::write(self.path("triage.toml"), text).unwrap();
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn session(&self, user: &str) -> Session {
        self.server.session(user)
    }

    /// `triage run` over the given sources with `--insecure` (the test's own
    /// self-signed server) unless `extra` says otherwise.
    fn run(&self, sources: &[String], extra: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_triage"));
        c.current_dir(self.dir.path())
            .env("TRIAGE_IMAP_PASSWORD", PASSWORD)
            .env_remove("TRIAGE_FAULT")
            .env_remove("TRIAGE_PAUSE")
            .arg("run")
            .arg("--config")
            .arg(self.path("triage.toml"))
            .arg("--rules")
            .arg(repo().join("rules"))
            .arg("--state")
            .arg(self.path("state"))
            .arg("--out")
            .arg(self.path("out"))
            .arg("--now")
            .arg(NOW);
        for s in sources {
            c.arg("--source").arg(s);
        }
        if !extra.contains(&"--secure") {
            c.arg("--insecure");
        }
        c.args(extra.iter().filter(|a| **a != "--secure"));
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    fn run_ok(&self, sources: &[String], extra: &[&str]) -> BTreeMap<String, crate::util::Row> {
        report_of(&self.run(sources, extra, &[]), &self.path("out/report.csv"))
    }
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// What the account holds after triage: the triage folders' messages by
/// SHA-256 of their bytes (with how often and where), and the originals.
struct Account {
    /// sha → folders it is in (one entry per copy).
    copies: BTreeMap<String, Vec<String>>,
    originals: Vec<crate::dovecot::Seen>,
}

fn account(s: &mut Session, mailbox: &str) -> Account {
    let mut copies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, folder) in FOLDERS {
        for m in contents(s, folder) {
            copies
                .entry(sha(&m.body))
                .or_default()
                .push(folder.to_string());
        }
    }
    Account {
        copies,
        originals: contents(s, mailbox),
    }
}

/// Every original copied exactly once, into its queue's folder, keywords set,
/// \Seen as seeded (every third message), nothing else in the folders.
fn assert_delivered(acc: &Account, seeded: usize) {
    assert_eq!(
        acc.originals.len(),
        seeded,
        "the mailbox lost or gained mail"
    );
    let total: usize = acc.copies.values().map(Vec::len).sum();
    assert_eq!(total, seeded, "count in = count out in the triage folders");
    for (i, m) in acc.originals.iter().enumerate() {
        let folders = acc.copies.get(&sha(&m.body)).cloned().unwrap_or_default();
        assert_eq!(
            folders.len(),
            1,
            "UID {} copied {} times: {folders:?}",
            m.uid,
            folders.len()
        );
        let queue = FOLDERS.iter().find(|(_, f)| *f == folders[0]).unwrap().0;
        let keyword = match queue {
            "read-only" => "$TriageReadOnly",
            "escalate" => "$TriageEscalate",
            _ => "$TriageRespond",
        };
        for k in ["$Triaged", keyword] {
            assert!(
                m.flags.iter().any(|f| f == k),
                "UID {} lacks {k}: {:?}",
                m.uid,
                m.flags
            );
        }
        let seen = m.flags.iter().any(|f| f == "\\Seen");
        assert_eq!(
            seen,
            i % 3 == 0,
            "UID {}: \\Seen changed: {:?}",
            m.uid,
            m.flags
        );
        assert!(
            !m.flags.iter().any(|f| f == "\\Deleted"),
            "UID {} deleted",
            m.uid
        );
    }
}

/// The UIDVALIDITY in a report's (first) source id.
fn validity_of(report: &BTreeMap<String, crate::util::Row>) -> String {
    let id = report.keys().next().expect("an empty report");
    id.split('/').nth(1).unwrap().to_string()
}

fn uids_of(report: &BTreeMap<String, crate::util::Row>) -> Vec<u32> {
    let mut v: Vec<u32> = report
        .keys()
        .map(|id| id.rsplit('/').next().unwrap().parse().unwrap())
        .collect();
    v.sort_unstable();
    v
}

#[test]
fn copies_each_message_once_then_only_new_mail_on_the_next_night() {
    let desk = Desk::new(&["clerk"]);
    let mail = corpus(10);
    let mut s = desk.session("clerk");
    seed(&mut s, "INBOX", &mail);
    seed(&mut s, "Complaints", &mail[..6]);
    // Two mailboxes, one over implicit TLS and one over STARTTLS.
    let sources = [
        desk.server.url("clerk", "INBOX"),
        format!(
            "imap://clerk@127.0.0.1:{}/Complaints",
            desk.server.imap_port
        ),
    ];
    let out = desk.run(&sources, &[], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{stderr}");
    let report = read_report(&desk.path("out/report.csv"));
    assert_eq!(report.len(), mail.len() + 6, "every message reported once");
    assert!(report
        .keys()
        .all(|id| id.starts_with("imap:INBOX/") || id.starts_with("imap:Complaints/")));
    // Queue in the report = folder on the server.
    let acc = account(&mut s, "INBOX");
    let inbox: BTreeMap<u32, String> = acc
        .originals
        .iter()
        .map(|m| (m.uid, sha(&m.body)))
        .collect();
    for (id, row) in &report {
        if let Some(rest) = id.strip_prefix("imap:INBOX/") {
            let uid: u32 = rest.rsplit('/').next().unwrap().parse().unwrap();
            let folder = FOLDERS.iter().find(|(q, _)| *q == row["queue"]).unwrap().1;
            assert!(
                acc.copies[&inbox[&uid]].contains(&folder.to_string()),
                "{id}"
            );
        }
    }
    // The Complaints copies are the same bytes as six INBOX ones: each twice.
    let twice = acc.copies.values().filter(|f| f.len() == 2).count();
    assert_eq!(twice, 6);
    // No secret anywhere: not in the log, not in any file of the reports,
    // queues, history index or IMAP state.
    assert!(!stderr.contains(PASSWORD));
    let mut searched = 0;
    for top in ["state", "out"] {
        for path in paths_under(&desk.path(top))
            .into_iter()
            .filter(|p| p.is_file())
        {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                memchr::memmem::find(&bytes, PASSWORD.as_bytes()).is_none(),
                "{} holds the password",
                path.display()
            );
            searched += 1;
        }
    }
    assert!(searched > 10, "searched only {searched} files");

    // The next night: three new messages, only they are fetched and copied.
    let before = acc.originals.len();
    seed(&mut s, "INBOX", &corpus(13)[mail.len()..]);
    let report = desk.run_ok(&sources[..1], &[]);
    assert_eq!(report.len(), 3, "{:?}", report.keys());
    let new_uids = uids_of(&report);
    assert!(new_uids.iter().all(|u| *u as usize > before));
    let acc = account(&mut s, "INBOX");
    let total: usize = acc.copies.values().map(Vec::len).sum();
    assert_eq!(total, mail.len() + 6 + 3);
    // A night with nothing new: nothing reported, nothing copied.
    assert_eq!(desk.run_ok(&sources[..1], &[]).len(), 0);
}

#[test]
fn dry_run_sends_no_modifying_command() {
    let desk = Desk::new(&["clerk"]);
    let mail = corpus(0);
    let mut s = desk.session("clerk");
    seed(&mut s, "INBOX", &mail);
    let src = [desk.server.url("clerk", "INBOX")];
    let report = desk.run_ok(&src, &["--dry-run"]);
    assert_eq!(report.len(), mail.len());
    let before = contents(&mut s, "INBOX");
    for (_, folder) in FOLDERS {
        assert!(
            s.examine(folder).is_err(),
            "{folder} was created by a dry run"
        );
    }
    for (i, m) in before.iter().enumerate() {
        let want: Vec<String> = if i % 3 == 0 {
            vec!["\\Seen".into()]
        } else {
            vec![]
        };
        let have: Vec<String> = m
            .flags
            .iter()
            .filter(|f| *f != "\\Recent")
            .cloned()
            .collect();
        assert_eq!(have, want, "UID {} flags changed by a dry run", m.uid);
    }
    // The real run afterwards still does everything.
    assert_eq!(desk.run_ok(&src, &[]).len(), mail.len());
    assert_delivered(&account(&mut s, "INBOX"), mail.len());
}

#[test]
fn uidvalidity_reset_rescans_without_triaging_twice() {
    let desk = Desk::new(&["clerk"]);
    let mail = corpus(20);
    let mut s = desk.session("clerk");
    seed(&mut s, "Complaints", &mail[..20]);
    let src = [desk.server.url("clerk", "Complaints")];
    let first = desk.run_ok(&src, &[]);
    assert_eq!(first.len(), 20);
    let old_validity = validity_of(&first);
    // The mailbox is rebuilt (as after a server migration): same mail, new
    // UIDVALIDITY, plus three messages never seen before.
    s.select("INBOX").unwrap();
    s.delete("Complaints").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    seed(&mut s, "Complaints", &mail[..23]);
    let second = desk.run_ok(&src, &[]);
    assert_eq!(
        second.len(),
        3,
        "only the new mail is triaged: {:?}",
        second.keys()
    );
    let new_validity = validity_of(&second);
    assert_ne!(old_validity, new_validity);
    let acc = account(&mut s, "Complaints");
    let total: usize = acc.copies.values().map(Vec::len).sum();
    assert_eq!(total, 23, "nothing copied twice");
    assert!(acc.copies.values().all(|f| f.len() == 1));
    assert_eq!(desk.run_ok(&src, &[]).len(), 0);
}

/// Crash at `point`, re-run: everything copied exactly once, and the re-run's
/// report (which replaces the crashed run's in `out/`) lists the whole night,
/// so the morning review misses nothing the crashed run had finished.
fn crash_then_rerun(point: &str) {
    let desk = Desk::new(&["clerk"]);
    let mail: Vec<Vec<u8>> = corpus(0).into_iter().take(30).collect();
    let mut s = desk.session("clerk");
    seed(&mut s, "INBOX", &mail);
    let src = [desk.server.url("clerk", "INBOX")];
    let out = desk.run(&src, &[], &[("TRIAGE_FAULT", point)]);
    assert_eq!(
        out.status.code(),
        None,
        "{point}: the run should have aborted: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("TRIAGE_FAULT"));
    let report = desk.run_ok(&src, &[]);
    assert_eq!(
        uids_of(&report),
        (1..=mail.len() as u32).collect::<Vec<_>>(),
        "{point}: the re-run reports the whole night"
    );
    assert_delivered(&account(&mut s, "INBOX"), mail.len());
    let state = std::fs::read_to_string(desk.path("state/imap.json")).unwrap();
    assert!(
        state.contains("\"pending\": []"),
        "{point}: journal not empty: {state}"
    );
    // And the night after: nothing again.
    assert_eq!(desk.run_ok(&src, &[]).len(), 0, "{point}");
    assert_delivered(&account(&mut s, "INBOX"), mail.len());
}

#[test]
fn crash_during_fetch_then_rerun() {
    crash_then_rerun("during_fetch:2");
}

#[test]
fn crash_after_reports_then_rerun() {
    crash_then_rerun("after_reports");
}

#[test]
fn crash_after_history_then_rerun() {
    crash_then_rerun("after_history");
}

#[test]
fn crash_after_state_then_rerun() {
    crash_then_rerun("after_state");
}

#[test]
fn crash_between_copy_and_journal_then_rerun() {
    // The third COPY went through but the journal does not know it yet.
    crash_then_rerun("after_copy:3");
}

#[test]
fn crash_after_delivery_before_the_journal_is_cleared_then_rerun() {
    crash_then_rerun("before_journal_cleared");
}

#[test]
fn crash_between_copy_and_keywords_then_rerun() {
    crash_then_rerun("after_flags:2");
}

#[test]
fn wrong_password_is_a_clear_configuration_error() {
    let desk = Desk::new(&["clerk"]);
    seed(&mut desk.session("clerk"), "INBOX", &corpus(0)[..3]);
    let out = desk.run(
        &[desk.server.url("clerk", "INBOX")],
        &[],
        &[("TRIAGE_IMAP_PASSWORD", "wrong")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refused the login"), "{stderr}");
    assert!(stderr.contains("clerk@127.0.0.1"), "{stderr}");
    assert!(
        !stderr.contains("wrong"),
        "the password is echoed: {stderr}"
    );
    assert!(!desk.path("out/report.csv").exists());
}

/// Stop the server while the run waits at `point`; the run fails clearly
/// (exit 3), and once the server is back the next run completes.
fn server_stops_at(point: &str, expect: &str) {
    let desk = Desk::new(&["clerk"]);
    let mail: Vec<Vec<u8>> = corpus(0).into_iter().take(25).collect();
    let mut s = desk.session("clerk");
    seed(&mut s, "INBOX", &mail);
    drop(s);
    let src = [desk.server.url("clerk", "INBOX")];
    let gate = desk.path("gate");
    std::fs::create_dir_all(&gate).unwrap();
    let pause = format!("{point}@{}", gate.display());
    let child = {
        let src = src.clone();
        let desk_ref: &Desk = &desk;
        std::thread::scope(|scope| {
            let h =
                scope.spawn(move || desk_ref.run(&src, &[], &[("TRIAGE_PAUSE", pause.as_str())]));
            wait_for(&gate.join("reached"));
            desk.server.stop();
            std::fs::write(gate.join("go"), "").unwrap();
            h.join().unwrap()
        })
    };
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert_eq!(child.status.code(), Some(3), "{point}: {stderr}");
    assert!(
        stderr.contains("IMAP imaps://clerk@127.0.0.1"),
        "{point}: {stderr}"
    );
    assert!(stderr.contains(expect), "{point}: {stderr}");
    desk.server.resume();
    let report = desk.run_ok(&src, &[]);
    assert_eq!(report.len(), mail.len(), "{point}");
    let mut s = desk.session("clerk");
    assert_delivered(&account(&mut s, "INBOX"), mail.len());
}

fn wait_for(p: &Path) {
    let started = std::time::Instant::now();
    while !p.exists() {
        assert!(
            started.elapsed().as_secs() < 120,
            "{} never appeared",
            p.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn server_stopped_while_fetching() {
    server_stops_at("during_fetch:1", "fetching messages");
}

#[test]
fn server_stopped_while_copying() {
    server_stops_at("after_copy:2", "the next run finishes the copies");
}

#[test]
fn certificates_are_verified_unless_loopback_insecure() {
    let desk = Desk::new(&["clerk"]);
    seed(&mut desk.session("clerk"), "INBOX", &corpus(0)[..4]);
    let src = [desk.server.url("clerk", "INBOX")];
    // Self-signed and not trusted: refused.
    let out = desk.run(&src, &["--secure"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("TLS failed"), "{stderr}");
    // Trusted through imap.ca_file: verified and accepted.
    desk.config(&format!(
        "[imap]\nca_file = \"{}\"\n",
        desk.server.cert().display()
    ));
    let report = desk.run_ok(&src, &["--secure"]);
    assert_eq!(report.len(), 4);
    // --insecure is refused for a host that is not this machine.
    let out = desk.run(
        &["imaps://clerk@mail.example.org/INBOX".to_string()],
        &[],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--insecure"), "{stderr}");
}

#[test]
fn password_comes_from_an_owner_only_file_or_the_environment() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("imap-password");
    std::fs::write(&pw, "s3cret\n").unwrap();
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(
        dir.path().join("triage.toml"),
        "sources = [\"imaps://clerk@127.0.0.1:9/INBOX\"]\n[imap]\npassword_file = \"imap-password\"\n",
    )
    .unwrap();
    let run = |env: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_triage"));
        c.current_dir(dir.path())
            .env_remove("TRIAGE_IMAP_PASSWORD")
            .args(["run", "--rules"])
            .arg(repo().join("rules"));
        if let Some(p) = env {
            c.env("TRIAGE_IMAP_PASSWORD", p);
        }
        c.output().unwrap()
    };
    let out = run(None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("readable by others"), "{stderr}");
    assert!(!stderr.contains("s3cret"));
    // Owner-only: accepted (the connection then fails: nothing listens on port 9).
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot connect"), "{stderr}");
    // A password in the URL is refused outright.
    std::fs::write(
        dir.path().join("triage.toml"),
        "sources = [\"imaps://clerk:s3cret@127.0.0.1/INBOX\"]\n",
    )
    .unwrap();
    let out = run(Some("x"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("does not belong in the URL"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

/// The throughput figure of issue 4: a 10,000-message mailbox pulled over
/// loopback TLS, triaged, copied and marked. Seeds by APPEND from the corpus
/// and `../shared/testdata/ham` (each copy given its own Message-ID), then
/// times one `triage run`. Ignored by `cargo test`; run it with
/// `scripts/bench-imap` (release build).
#[test]
#[ignore]
fn bench_ten_thousand_messages_over_loopback_tls() {
    let n: usize = std::env::var("TRIAGE_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut files = Vec::new();
    for dir in ["corpus/sample", "corpus/train/mail", "corpus/test/mail"] {
        files.extend(list_files(&repo().join(dir)));
    }
    for ham in std::fs::read_dir(crate::util::shared_testdata().join("ham")).unwrap() {
        files.extend(list_files(&ham.unwrap().path()));
    }
    let pool: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).unwrap())
        .filter(|b| !b.is_empty())
        .collect();
    let desk = Desk::new(&["bench"]);
    desk.config("[imap]\n");
    let mut s = desk.session("bench");
    let seeding = std::time::Instant::now();
    let mut bytes = 0usize;
    for i in 0..n {
        let m = unique_copy(&pool[i % pool.len()], i);
        bytes += m.len();
        s.append("INBOX", &m).unwrap();
    }
    eprintln!(
        "seeded {n} messages ({:.1} MB) in {:.1}s",
        bytes as f64 / 1e6,
        seeding.elapsed().as_secs_f64()
    );
    let started = std::time::Instant::now();
    let out = desk.run(
        &[desk.server.url("bench", "INBOX")],
        &["--threads", "0"],
        &[],
    );
    let took = started.elapsed().as_secs_f64();
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = std::fs::read_to_string(desk.path("out/summary.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary["messages_in"].as_u64(), Some(n as u64));
    let acc = account(&mut s, "INBOX");
    assert_eq!(acc.copies.values().map(Vec::len).sum::<usize>(), n);
    eprintln!(
        "IMAP BENCH: {n} messages, {:.1} MB over loopback TLS: triage run took {took:.1}s = {:.0} messages/s (fetch+triage+reports+history+copy+keywords); timings {}",
        bytes as f64 / 1e6,
        n as f64 / took,
        summary["timings"]
    );
}

/// `m` with a header naming its copy number and a Message-ID of its own.
fn unique_copy(m: &[u8], i: usize) -> Vec<u8> {
    let text = String::from_utf8_lossy(m);
    let mut out = format!("X-Triage-Bench: {i}\r\n");
    let lower = text.to_ascii_lowercase();
    match lower.find("\nmessage-id:") {
        Some(pos) => {
            let at = pos + "\nmessage-id:".len();
            let rest = &text[at..];
            let lt = rest.find('<').map(|p| at + p + 1).unwrap_or(at);
            out.push_str(&text[..lt]);
            out.push_str(&format!("bench{i}."));
            out.push_str(&text[lt..]);
        }
        None => {
            out.push_str(&format!("Message-ID: <bench{i}@triage.test>\r\n"));
            out.push_str(&text);
        }
    }
    out.into_bytes()
}

/// Every non-hidden file under `dir`, sorted.
fn list_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
