//! Helpers shared by the integration tests: a private folder per test with a
//! register, mail files and the `triage` binary to run over them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (where `rules/` and `corpus/` live).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/testdata`, beside the checkout (CI has it there).
pub fn shared_testdata() -> PathBuf {
    let beside = repo().join("../shared/testdata");
    if beside.is_dir() {
        return beside;
    }
    PathBuf::from("/work/shared/testdata")
}

pub const NOW: &str = "2026-11-21T06:00:00Z";

pub const REGISTER_HEADER: &str = "customer_id,name,emails,status,since,until,review_date,contact_limit,contact_hours,single_point_of_contact,scope,vulnerable,notes";

/// One test's world: mail, register, state and output folders.
pub struct World {
    pub dir: tempfile::TempDir,
    register_rows: Vec<String>,
    count: usize,
}

/// One row of `report.csv`.
pub type Row = BTreeMap<String, String>;

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("mail")).unwrap();
        World {
            dir,
            register_rows: Vec::new(),
            count: 0,
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Add a register row (the columns after the header, in header order).
    pub fn customer(&mut self, row: &str) -> &mut Self {
        self.register_rows.push(row.to_string());
        self
    }

    /// Write a message into `mail/` and return its source id.
    pub fn mail(&mut self, from: &str, to: &str, date: &str, subject: &str, body: &str) -> String {
        self.count += 1;
        let name = format!("{:03}.eml", self.count);
        let text = format!(
            "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: <m{}.{}@test.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            self.count,
            self.dir.path().file_name().unwrap().to_string_lossy(),
            body.replace('\n', "\r\n")
        );
        self.raw(&name, text.as_bytes())
    }

    /// The next night: the mail already triaged leaves `mail/` (the state
    /// keeps its history), so only new mail arrives.
    pub fn next_night(&self) {
        std::fs::remove_dir_all(self.path("mail")).unwrap();
        std::fs::create_dir_all(self.path("mail")).unwrap();
    }

    /// Write a file into `mail/` as is.
    pub fn raw(&mut self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.path("mail").join(name), bytes).unwrap();
        name.to_string()
    }

    fn write_register(&self) -> PathBuf {
        let path = self.path("register.csv");
        let mut text = String::from(REGISTER_HEADER);
        for r in &self.register_rows {
            text.push('\n');
            text.push_str(r);
        }
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Run `triage run` over `mail/` with the repository's rules.
    pub fn run(&self, extra: &[&str]) -> Output {
        triage(self.dir.path(), &self.run_args(extra))
    }

    /// [`World::run`], also returning the run's peak resident memory.
    pub fn run_measured(&self, extra: &[&str]) -> (Output, PeakRss) {
        triage_measured(self.dir.path(), &self.run_args(extra))
    }

    /// The arguments of `triage run` over `mail/`; a flag in `extra`
    /// replaces the default one.
    fn run_args(&self, extra: &[&str]) -> Vec<String> {
        let register = self.write_register();
        let defaults = [
            ("--source", self.path("mail").display().to_string()),
            ("--register", register.display().to_string()),
            ("--rules", repo().join("rules").display().to_string()),
            ("--state", self.path("state").display().to_string()),
            ("--out", self.path("out").display().to_string()),
            ("--now", NOW.to_string()),
        ];
        let mut args: Vec<String> = vec!["run".into()];
        for (flag, value) in defaults {
            // A flag the test gives itself replaces the default.
            if !extra.contains(&flag) {
                args.extend([flag.to_string(), value]);
            }
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// Run and return the report rows by source id; panics unless exit 0/1.
    pub fn triage(&self) -> BTreeMap<String, Row> {
        report_of(&self.run(&[]), &self.path("out/report.csv"))
    }
}

/// Run the binary with `args` in `cwd`.
pub fn triage(cwd: &Path, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_triage"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run triage")
}

/// Peak resident memory of one run, in bytes (the kernel's maximum RSS of
/// the process, as `getrusage` reports it through GNU time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PeakRss(pub u64);

impl PeakRss {
    pub fn mib(self) -> u64 {
        self.0 >> 20
    }
}

/// Run the binary under GNU time (`/usr/bin/time`, installed by
/// `scripts/test`) and read its maximum resident set size.
pub fn triage_measured(cwd: &Path, args: &[String]) -> (Output, PeakRss) {
    let time = Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "/usr/bin/time is missing: run scripts/test, which installs it (apt-get install time)"
    );
    let report = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new(time)
        .args(["-f", "%M", "-o"])
        .arg(report.path())
        .arg(env!("CARGO_BIN_EXE_triage"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run triage under /usr/bin/time");
    let text = std::fs::read_to_string(report.path()).unwrap();
    // GNU time prints "Command exited with non-zero status N" before the figure.
    let kib: u64 = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RSS figure from /usr/bin/time: {text:?}"));
    (out, PeakRss(kib * 1024))
}

pub fn read_report(path: &Path) -> BTreeMap<String, Row> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let mut rows = BTreeMap::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        let row: Row = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| (h.to_string(), v.to_string()))
            .collect();
        let prev = rows.insert(row["source"].clone(), row);
        assert!(prev.is_none(), "a source appears twice in report.csv");
    }
    rows
}

/// `decisions.jsonl` by source id.
pub fn read_decisions(path: &Path) -> BTreeMap<String, serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["source_id"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

/// `a;b;c` → sorted list.
pub fn list(field: &str) -> Vec<String> {
    let mut v: Vec<String> = field
        .split(';')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    v.sort();
    v
}

/// Assert queue, priority and that the listed items appear in the field.
pub fn assert_routed(row: &Row, queue: &str, priority: &str) {
    assert_eq!(
        (row["queue"].as_str(), row["priority"].as_str()),
        (queue, priority),
        "{}: {row:#?}",
        row["source"]
    );
}

pub fn assert_has(row: &Row, column: &str, items: &[&str]) {
    let have = list(&row[column]);
    for item in items {
        assert!(
            have.iter().any(|h| h == item),
            "{}: {column} lacks {item}: {row:#?}",
            row["source"]
        );
    }
}

pub fn assert_lacks(row: &Row, column: &str, items: &[&str]) {
    let have = list(&row[column]);
    for item in items {
        assert!(
            !have.iter().any(|h| h == item),
            "{}: {column} has {item}: {row:#?}",
            row["source"]
        );
    }
}

/// `triage run` over `source` with the repository's rules, writing into
/// `dir/state` and `dir/out`.
pub fn run_on(dir: &Path, source: &Path) -> Output {
    triage(dir, &run_on_args(dir, source))
}

/// The arguments [`run_on`] runs the binary with.
pub fn run_on_args(dir: &Path, source: &Path) -> Vec<String> {
    let source = source.display().to_string();
    let rules = repo().join("rules").display().to_string();
    run_args(dir, &["--source", &source, "--rules", &rules])
}

/// `triage run` of the sample night (`triage.toml`) at [`NOW`], with its
/// state and outputs in `dir/state` and `dir/out`; `extra` flags appended.
pub fn run_sample_night(dir: &Path, extra: &[&str]) -> Output {
    let mut args = sample_args(dir);
    args.extend(extra.iter().map(|s| s.to_string()));
    triage(dir, &args)
}

/// The arguments [`run_sample_night`] runs the binary with (no extras).
pub fn sample_args(dir: &Path) -> Vec<String> {
    let config = repo().join("triage.toml").display().to_string();
    run_args(dir, &["--config", &config])
}

/// `run ARGS --state dir/state --out dir/out --now NOW`.
fn run_args(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = vec!["run".into()];
    all.extend(args.iter().map(|s| s.to_string()));
    for (flag, value) in [
        ("--state", dir.join("state").display().to_string()),
        ("--out", dir.join("out").display().to_string()),
        ("--now", NOW.to_string()),
    ] {
        all.extend([flag.to_string(), value]);
    }
    all
}

/// The files of `dir/out/queues`, as `QUEUE/NAME`, sorted.
pub fn queue_listing(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for q in ["respond", "read-only", "escalate"] {
        for e in std::fs::read_dir(dir.join("out/queues").join(q).join("new")).unwrap() {
            names.push(format!("{q}/{}", e.unwrap().file_name().to_string_lossy()));
        }
    }
    names.sort();
    names
}

/// Every file and folder under `dir` (not `dir` itself), depth first.
pub fn paths_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(paths_under(&path));
        }
        found.push(path);
    }
    found
}

/// `cp -r` a path of the repository into `dest` (a folder).
pub fn copy_from_repo(rel: &str, dest: &Path) {
    let status = Command::new("cp")
        .args([
            "-r",
            &repo().join(rel).display().to_string(),
            &dest.display().to_string(),
        ])
        .status()
        .unwrap();
    assert!(status.success(), "cp {rel}");
}

/// The report a finished run wrote, by source id; panics unless the run
/// exited 0 or 1 (some messages unprocessed is still a finished run).
pub fn report_of(out: &std::process::Output, report: &Path) -> BTreeMap<String, Row> {
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "triage failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    read_report(report)
}
