//! Hostile input (issue 7, SECURITY.md): messages built to break a mail
//! parser, generated here rather than committed. Each one comes out of the
//! run exactly once, nothing panics, and the run's peak memory stays under
//! the bound SECURITY.md states. Also: every input the fuzzers kept is
//! replayed through the same code as the fuzz targets.

use crate::util::{copy_from_repo, read_decisions, repo, report_of, PeakRss, World};

/// SECURITY.md's memory promise: peak RSS at most this much plus
/// [`RSS_PER_INPUT_BYTE`] times the night's input size or the batch's
/// ([`triage::pipeline::BATCH_BYTES`]), whichever is smaller: a night is
/// triaged in batches, so memory holds one batch, not the night. The
/// constant covers the compiled rules (their lazy DFAs' caches), the thread
/// pools and the history index; measured at about 150 MiB for a handful of
/// small messages.
const RSS_CONSTANT: u64 = 400 << 20;
const RSS_PER_INPUT_BYTE: u64 = 4;

fn assert_memory_bounded(peak: PeakRss, input_bytes: u64) {
    let bound = RSS_CONSTANT + RSS_PER_INPUT_BYTE * input_bytes.min(triage::pipeline::BATCH_BYTES);
    eprintln!(
        "peak RSS {} MiB for {} MiB of input (bound {} MiB)",
        peak.mib(),
        input_bytes >> 20,
        bound >> 20
    );
    assert!(
        peak.0 <= bound,
        "peak RSS {} MiB is over the bound of {} MiB",
        peak.mib(),
        bound >> 20
    );
}

fn headers(subject: &str, extra: &str) -> String {
    format!(
        "From: someone@example.org\r\nTo: housing@council.example\r\nSubject: {subject}\r\n\
         Date: Fri, 20 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{subject}@hostile.example>\r\n{extra}"
    )
}

/// 10,000 MIME parts in one message.
fn many_parts(n: usize) -> Vec<u8> {
    let mut m = headers(
        "many-parts",
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n",
    );
    for i in 0..n {
        m.push_str(&format!(
            "--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\npart {i}\r\n"
        ));
    }
    m.push_str("--b--\r\n");
    m.into_bytes()
}

/// Multiparts nested `depth` deep, a text part at the bottom.
fn nested(depth: usize) -> Vec<u8> {
    let mut m = headers(
        "nested",
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"n0\"\r\n\r\n",
    );
    for level in 1..depth {
        m.push_str(&format!(
            "--n{}\r\nContent-Type: multipart/mixed; boundary=\"n{level}\"\r\n\r\n",
            level - 1
        ));
    }
    m.push_str(&format!(
        "--n{}\r\nContent-Type: text/plain\r\n\r\nThe streetlight outside number 4 is out.\r\n",
        depth - 1
    ));
    for level in (0..depth).rev() {
        m.push_str(&format!("--n{level}--\r\n"));
    }
    m.into_bytes()
}

fn plain(subject: &str, extra_headers: &str, body: &[u8]) -> Vec<u8> {
    let mut m = headers(subject, extra_headers).into_bytes();
    m.extend_from_slice(b"\r\n");
    m.extend_from_slice(body);
    m
}

#[test]
fn hostile_messages_are_each_accounted_for_within_the_memory_bound() {
    let mut w = World::new();
    let recipients: Vec<String> = (0..5000)
        .map(|i| format!("resident{i}@example.net"))
        .collect();
    let long_subject = "x".repeat(1 << 20);
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        (
            "ordinary.eml",
            plain("ordinary", "", b"Please collect the bins.\r\n"),
        ),
        ("parts-10000.eml", many_parts(10_000)),
        ("nested-100.eml", nested(100)),
        (
            "header-line-1mb.eml",
            plain(&long_subject, "", b"Long subject.\r\n"),
        ),
        (
            "nul-in-body.eml",
            plain("nul-body", "", b"Hello\0 there\0\0 the bins\0.\r\n"),
        ),
        (
            "nul-in-headers.eml",
            b"From: a\0b@example.org\r\nSubject: nul\0\r\n\r\nbody\r\n".to_vec(),
        ),
        (
            "invalid-utf8.eml",
            plain(
                "bad-utf8",
                "Content-Type: text/plain; charset=utf-8\r\n",
                b"Caf\xc3 \xff\xfe broken \xe2\x82 bytes\r\n",
            ),
        ),
        (
            "unknown-charset.eml",
            plain(
                "klingon",
                "Content-Type: text/plain; charset=x-klingon-9\r\n",
                b"Please fix the streetlight \xa4\xa4.\r\n",
            ),
        ),
        (
            "recipients-5000.eml",
            plain(
                "recipients",
                &format!("Cc: {}\r\n", recipients.join(", ")),
                b"To everyone: the bins were not collected.\r\n",
            ),
        ),
        ("empty.eml", Vec::new()),
    ];
    let total: u64 = inputs.iter().map(|(_, b)| b.len() as u64).sum();
    for (name, bytes) in &inputs {
        w.raw(name, bytes);
    }
    let (out, peak) = w.run_measured(&[]);
    let rows = report_of(&out, &w.path("out/report.csv"));
    assert_eq!(out.status.code(), Some(1), "the unparseable ones make it 1");
    let names: Vec<&str> = inputs.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        rows.keys().map(String::as_str).collect::<Vec<_>>(),
        {
            let mut sorted = names.clone();
            sorted.sort();
            sorted
        },
        "count in = count out"
    );
    let decisions = read_decisions(&w.path("out/decisions.jsonl"));
    let unparseable = |name: &str| decisions[name]["unparseable"].as_str().map(str::to_string);
    for name in ["empty.eml", "nul-in-headers.eml"] {
        assert_eq!(rows[name]["queue"], "escalate", "{name}");
        assert!(unparseable(name).is_some(), "{name}");
    }
    assert!(unparseable("nul-in-headers.eml")
        .unwrap()
        .contains("binary"));
    for name in names
        .iter()
        .filter(|n| !["empty.eml", "nul-in-headers.eml"].contains(n))
    {
        assert_eq!(unparseable(name), None, "{name} was read");
    }
    assert_eq!(rows["ordinary.eml"]["queue"], "respond");
    assert!(rows["recipients-5000.eml"]["categories"].contains("mass_copy"));
    assert_eq!(
        rows["nested-100.eml"]["message_id"],
        "nested@hostile.example"
    );
    assert_memory_bounded(peak, total);
}

#[test]
fn an_over_size_message_is_escalated_with_its_headers_indexed() {
    let mut w = World::new();
    let body = "All work and no play makes a dull day. ".repeat((50 << 20) / 40);
    let big = plain("over-size", "", body.as_bytes());
    let size = big.len();
    w.raw("big.eml", &big);
    drop(big);
    w.raw("small.eml", &plain("small-but-capped", "", &[b'a'; 2000]));
    let (out, peak) = w.run_measured(&[]);
    let rows = report_of(&out, &w.path("out/report.csv"));
    assert_eq!(rows.len(), 2);
    let big = &rows["big.eml"];
    assert_eq!(
        (big["queue"].as_str(), big["priority"].as_str()),
        ("escalate", "high")
    );
    assert_eq!(
        big["message_id"], "over-size@hostile.example",
        "headers read"
    );
    assert_eq!(big["from"], "someone@example.org");
    let decisions = read_decisions(&w.path("out/decisions.jsonl"));
    let reason = decisions["big.eml"]["unparseable"].as_str().unwrap();
    assert_eq!(
        reason,
        format!("message of {size} bytes is over the limit of 26214400 bytes")
    );
    assert!(decisions["big.eml"]["detection"]["hits"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(rows["small.eml"]["queue"], "respond");
    // The queue copy is the whole original.
    let escalated = std::fs::read_dir(w.path("out/queues/escalate/new"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .collect::<Vec<_>>();
    assert_eq!(escalated, [size as u64]);
    // Its headers are in the history, so its sender's later mail sees it.
    let history = triage::history::History::open(&w.path("state")).unwrap();
    let entries = history.sender_entries("addr:someone@example.org").unwrap();
    let indexed: Vec<&str> = entries.iter().map(|e| e.subject.as_str()).collect();
    assert!(indexed.contains(&"over-size"), "{indexed:?}");
    assert_memory_bounded(peak, size as u64 + 2000);

    // The cap from the command line: now the small one is over it too.
    let out = w.run(&["--max-message-bytes", "1000"]);
    let rows = report_of(&out, &w.path("out/report.csv"));
    assert_eq!(rows["small.eml"]["queue"], "escalate");
    let decisions = read_decisions(&w.path("out/decisions.jsonl"));
    assert!(decisions["small.eml"]["unparseable"]
        .as_str()
        .unwrap()
        .ends_with("over the limit of 1000 bytes"));
}

/// Every input the fuzzers found (a crash or a new path) and kept, replayed
/// through the fuzz targets' own entry points (`triage::fuzzing`).
/// A 1 GiB mbox: 42 messages of just over the 25 MiB size cap, from 42
/// senders, among 2,000 ordinary ones. It is streamed: every message comes
/// out once (the large ones escalated as over the limit), and peak memory
/// stays within the batch bound, far below the input.
#[test]
fn a_1_gib_mbox_is_streamed_within_the_memory_bound() {
    use std::io::Write as _;
    let w = World::new();
    let mbox = w.path("night.mbox");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&mbox).unwrap());
    let line = format!(
        "{}\r\n",
        "Please see the attached scans of the repair. ".repeat(22)
    );
    let big_body = line.repeat((25 << 20) / line.len() + 10);
    let (big, small) = (42, 2000);
    for i in 0..big + small {
        let (subject, from, body) = if i % 40 == 0 && i / 40 < big {
            (
                format!("big-{i}"),
                format!("sender{i}@example.org"),
                big_body.as_str(),
            )
        } else {
            (
                format!("small-{i}"),
                format!("resident{}@example.net", i % 300),
                "My bin was not collected again this week, please can someone come out.\r\n",
            )
        };
        write!(
            file,
            "From {from} Fri Nov 20 10:00:00 2026\r\nFrom: {from}\r\nTo: housing@council.example\r\n\
             Subject: {subject}\r\nDate: Fri, 20 Nov 2026 10:00:00 +0000\r\n\
             Message-ID: <{subject}@mbox.example>\r\n\r\n{body}\r\n"
        )
        .unwrap();
    }
    file.flush().unwrap();
    drop(file);
    let total = std::fs::metadata(&mbox).unwrap().len();
    assert!(total > 1 << 30, "the mbox is {total} bytes");
    let (out, peak) = w.run_measured(&["--source", mbox.to_str().unwrap()]);
    let rows = report_of(&out, &w.path("out/report.csv"));
    assert_eq!(rows.len(), big + small, "count in = count out");
    let escalated: Vec<_> = rows
        .values()
        .filter(|r| r["message_id"].starts_with("big-"))
        .collect();
    assert_eq!(escalated.len(), big);
    for r in &escalated {
        assert_eq!(
            (r["queue"].as_str(), r["priority"].as_str()),
            ("escalate", "high")
        );
    }
    let decisions = read_decisions(&w.path("out/decisions.jsonl"));
    assert_eq!(decisions.len(), big + small);
    let over = decisions
        .values()
        .filter(|d| {
            d["unparseable"]
                .as_str()
                .is_some_and(|r| r.ends_with("bytes is over the limit of 26214400 bytes"))
        })
        .count();
    assert_eq!(over, big, "the large ones escalated with the size reason");
    drop((rows, decisions));
    std::fs::remove_dir_all(w.path("out/queues")).unwrap();
    std::fs::remove_file(&mbox).unwrap();
    assert_memory_bounded(peak, total);
}

#[test]
fn every_kept_fuzz_input_still_passes() {
    let root = repo().join("tests/fixtures/fuzz-regressions");
    let rules = triage::detect::RuleSet::load(&repo().join("rules")).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    copy_from_repo("rules/lists", scratch.path());
    copy_from_repo("rules/guards.toml", scratch.path());
    let mut replayed = 0;
    for target in triage::fuzzing::TARGETS {
        let dir = root.join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{} holds no inputs", dir.display());
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            let replay = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match target {
                "message" => triage::fuzzing::message(&rules, &bytes),
                "register" => triage::fuzzing::register(&bytes),
                "rules" => triage::fuzzing::rules(scratch.path(), &bytes),
                other => panic!("unknown fuzz target {other}"),
            }));
            assert!(replay.is_ok(), "{} fails again", file.display());
            replayed += 1;
        }
    }
    eprintln!("{replayed} fuzz inputs replayed");
}
