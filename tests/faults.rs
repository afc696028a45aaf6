//! Hostile conditions (issue 7, SECURITY.md): a full disk under the outputs
//! or the state, a second run while one holds the state, a damaged history
//! index and `triage state rebuild`, and `kill -9` at random points. After
//! each: a clear error, nothing lost or half-written, and a re-run that
//! gives exactly the reports an undisturbed run gives.

use crate::util::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A small tmpfs mounted for one test (root only), unmounted when dropped.
struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    /// Mount `size` (`1m`, …) at `path`. `None` when the test must be
    /// skipped: not root and not in CI (in CI, where the tests run as root,
    /// not being able to mount fails the test).
    fn mount(path: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(path).unwrap();
        if !rustix::process::geteuid().is_root() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI must run the disk-full tests as root (they mount a tmpfs)"
            );
            eprintln!("SKIPPED: mounting a small tmpfs needs root");
            return None;
        }
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success(), "mount a tmpfs at {}", path.display());
        Some(Tmpfs {
            path: path.to_path_buf(),
        })
    }

    fn resize(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.path)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// A message with a fixed Message-ID, so two folders give the same reports;
/// its body is made-up words (which neither compress nor share index terms,
/// so the history needs about as much disk as the queues).
fn message(n: usize, body_bytes: usize) -> String {
    let mut body = String::from("The bins on Elm Road were not collected:");
    let mut rng = Lcg(n as u64);
    while body.len() < body_bytes {
        body.push(if body.len() % 70 < 6 { '\n' } else { ' ' });
        body.extend((0..6).map(|_| (b'a' + rng.below(26) as u8) as char));
    }
    format!(
        "From: resident{n}@example.org\r\nTo: waste@council.example\r\nSubject: bins {n}\r\n\
         Date: Fri, 20 Nov 2026 0{}:00:00 +0000\r\nMessage-ID: <fault{n}@example.org>\r\n\r\n{body}\r\n",
        n % 10,
    )
}

/// Write messages `range` into `dir/mail`.
fn add_mail(dir: &Path, range: std::ops::Range<usize>, body_bytes: usize) {
    std::fs::create_dir_all(dir.join("mail")).unwrap();
    for n in range {
        std::fs::write(dir.join(format!("mail/{n:03}.eml")), message(n, body_bytes)).unwrap();
    }
}

fn run_mail(dir: &Path) -> Output {
    run_on(dir, &dir.join("mail"))
}

fn reports(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (
        std::fs::read(dir.join("out/report.csv")).unwrap(),
        std::fs::read(dir.join("out/decisions.jsonl")).unwrap(),
    )
}

fn history_keys(dir: &Path) -> Vec<String> {
    let history = triage::history::History::open(&dir.join("state")).unwrap();
    history
        .all_entries()
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect()
}

fn assert_unique(keys: &[String]) {
    let mut sorted = keys.to_vec();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), keys.len(), "the history holds a key twice");
}

fn leftovers(out: &Path) -> Vec<String> {
    std::fs::read_dir(out)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

/// The undisturbed reference: night one (3 small messages), then night two
/// (those and 2 large ones), on plenty of disk.
fn reference() -> (tempfile::TempDir, (Vec<u8>, Vec<u8>)) {
    let dir = tempfile::tempdir().unwrap();
    add_mail(dir.path(), 0..3, 200);
    assert_eq!(run_mail(dir.path()).status.code(), Some(0));
    add_mail(dir.path(), 3..5, 700_000);
    assert_eq!(run_mail(dir.path()).status.code(), Some(0));
    let r = reports(dir.path());
    (dir, r)
}

/// Night one fits on the small disk, night two does not; then the disk
/// grows and night two is run again.
fn disk_full_then_rerun(full: &str) {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(&dir.path().join(full), "1m") else {
        return;
    };
    add_mail(dir.path(), 0..3, 200);
    assert_eq!(run_mail(dir.path()).status.code(), Some(0));
    let night_one = reports(dir.path());
    add_mail(dir.path(), 3..5, 700_000);

    let out = run_mail(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("disk full under {full}/: {stderr}");
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("No space left on device") || stderr.contains("StorageFull"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&dir.path().join(full).display().to_string()),
        "the error names the folder: {stderr}"
    );
    if full == "out" {
        assert!(
            stderr.contains("the previous run's outputs and the history are unchanged"),
            "{stderr}"
        );
        assert!(
            reports(dir.path()) == night_one,
            "the previous reports are intact"
        );
        assert_eq!(leftovers(&dir.path().join("out")), Vec::<String>::new());
    } else {
        assert!(stderr.contains("not added to the history"), "{stderr}");
    }
    assert_eq!(
        history_keys(dir.path()).len(),
        3,
        "the history is as before"
    );

    disk.resize("64m");
    let out = run_mail(dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_reference_dir, expected) = reference();
    assert!(
        reports(dir.path()) == expected,
        "the re-run's reports differ"
    );
    let keys = history_keys(dir.path());
    assert_unique(&keys);
    assert_eq!(keys.len(), 5);
}

#[test]
fn a_full_output_disk_leaves_the_previous_reports_and_a_rerun_completes() {
    disk_full_then_rerun("out");
}

#[test]
fn a_full_state_disk_leaves_the_history_as_it_was_and_a_rerun_completes() {
    disk_full_then_rerun("state");
}

#[test]
fn a_second_run_while_the_first_holds_the_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    add_mail(dir.path(), 0..3, 200);
    let pause = dir.path().join("pause");
    std::fs::create_dir_all(&pause).unwrap();
    let mut first = Command::new(env!("CARGO_BIN_EXE_triage"))
        .args(run_on_args(dir.path(), &dir.path().join("mail")))
        .env("TRIAGE_PAUSE", format!("after_reports@{}", pause.display()))
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !pause.join("reached").exists() {
        assert!(started.elapsed() < Duration::from_secs(120), "never paused");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = run_mail(dir.path());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("another triage run is using the state folder"),
        "{stderr}"
    );
    std::fs::write(pause.join("go"), "").unwrap();
    assert!(first.wait().unwrap().success());
    assert_eq!(history_keys(dir.path()).len(), 3);
}

/// Ways to damage an index: cut every segment file to half its length
/// (tantivy notices the footer is gone), or garble the first third of one
/// kind of segment file, footer intact (the fast fields make tantivy panic;
/// the term dictionary gives an error when searched).
fn damage(index: &Path, how: &str) {
    let mut damaged = 0;
    for entry in std::fs::read_dir(index).unwrap() {
        let path = entry.unwrap().path();
        let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
        let mut bytes = std::fs::read(&path).unwrap();
        match (how, ext.as_deref()) {
            ("cut", Some("store" | "term" | "idx")) => bytes.truncate(bytes.len() / 2),
            ("garble fast", Some("fast")) | ("garble term", Some("term")) => {
                let third = bytes.len() / 3;
                bytes[..third].iter_mut().for_each(|b| *b ^= 0x5a);
            }
            _ => continue,
        }
        std::fs::write(&path, bytes).unwrap();
        damaged += 1;
    }
    assert!(damaged > 0, "nothing to {how} in {}", index.display());
}

/// `cp -a FROM TO`.
fn copy_all(from: &Path, to: &Path) {
    let status = Command::new("cp").arg("-a").args([from, to]).status();
    assert!(status.unwrap().success(), "cp -a {}", from.display());
}

#[test]
fn a_damaged_history_is_a_clear_error_and_state_rebuild_repairs_it() {
    let dir = tempfile::tempdir().unwrap();
    add_mail(dir.path(), 0..5, 200);
    assert_eq!(run_mail(dir.path()).status.code(), Some(0));
    let expected = reports(dir.path());
    let state = dir.path().join("state");
    let good = dir.path().join("state.good");
    copy_all(&state, &good);
    for how in ["garble fast", "garble term", "cut"] {
        std::fs::remove_dir_all(&state).unwrap();
        copy_all(&good, &state);
        damage(&state.join("history"), how);
        let out = run_mail(dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{how}: {stderr}");
        assert!(stderr.contains("history index at"), "{how}: {stderr}");
        assert!(stderr.contains("triage state rebuild"), "{how}: {stderr}");
        assert!(
            reports(dir.path()) == expected,
            "{how}: the reports changed"
        );
    }

    let mut args = run_on_args(dir.path(), &dir.path().join("mail"));
    args[0] = "rebuild".into();
    args.insert(0, "state".into());
    let rebuilt = triage(dir.path(), &args);
    let stdout = String::from_utf8_lossy(&rebuilt.stdout);
    assert_eq!(
        rebuilt.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    assert!(stdout.contains("5 messages read, 5 indexed"), "{stdout}");
    assert!(
        stdout.contains("history.damaged-"),
        "the old index is kept: {stdout}"
    );
    let keys = history_keys(dir.path());
    assert_unique(&keys);
    assert_eq!(keys.len(), 5);
    // The night runs again as it did, and adds nothing twice.
    assert_eq!(run_mail(dir.path()).status.code(), Some(0));
    assert!(reports(dir.path()) == expected);
    assert_eq!(history_keys(dir.path()).len(), 5);
}

/// A small deterministic generator (64-bit LCG), so a failure names a
/// reproducible set of kill points.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn kill_9_at_random_points_then_a_rerun_gives_identical_reports_and_no_duplicates() {
    // The undisturbed run of the sample night, and how long it takes.
    let clean = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = triage(clean.path(), &sample_args(clean.path()));
    let took = started.elapsed();
    assert!(matches!(out.status.code(), Some(0) | Some(1)));
    let expected = reports(clean.path());
    let expected_queues = queue_listing(clean.path());
    let expected_keys = history_keys(clean.path()).len();

    let mut rng = Lcg(7);
    let mut delays: Vec<Duration> = (0..4)
        .map(|_| Duration::from_millis(rng.below(took.as_millis() as u64 + 1)))
        .collect();
    delays.sort();
    // Also the two moments a delay rarely hits: just after the reports are
    // renamed into place, and just after the history commit.
    let faults = ["after_reports", "after_history"];
    let cases = delays
        .iter()
        .map(|d| (Some(*d), None))
        .chain(faults.iter().map(|f| (None, Some(*f))));
    for (delay, fault) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_triage"));
        cmd.args(sample_args(dir.path())).current_dir(dir.path());
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if let Some(f) = fault {
            cmd.env("TRIAGE_FAULT", f);
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(d) = delay {
            std::thread::sleep(d);
            let _ = child.kill(); // SIGKILL
        }
        let status = child.wait().unwrap();
        let what = format!("killed after {delay:?} / at {fault:?} ({status})");

        let out = triage(dir.path(), &sample_args(dir.path()));
        assert!(
            matches!(out.status.code(), Some(0) | Some(1)),
            "{what}: re-run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(reports(dir.path()) == expected, "{what}: reports differ");
        assert_eq!(queue_listing(dir.path()), expected_queues, "{what}");
        assert_eq!(leftovers(&dir.path().join("out")), Vec::<String>::new());
        let keys = history_keys(dir.path());
        assert_unique(&keys);
        assert_eq!(keys.len(), expected_keys, "{what}");
    }
}
