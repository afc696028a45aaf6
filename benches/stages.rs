//! Throughput of each stage of the pipeline on synthetic council mail
//! (`triage synth`, 2,000 messages, seed 1): parse + strip, normalise +
//! detect, history lookup, the fingerprint a lookup compares, index add,
//! history consult + route, and the sinks. Each stage reports messages/s (elements) and MB/s (bytes of the
//! original messages). Run: `cargo bench --bench stages`; the end-to-end
//! figures come from `scripts/bench-e2e`.
//!
//! "history lookup + consult" triages the night over histories of 10,000
//! and 100,000 messages (and 1,000,000 with `TRIAGE_BENCH_HISTORY_1M=1`):
//! each sender's earlier mail looked up, every message compared with it and
//! routed. A history has 50,000 senders, as `scripts/bench-e2e` does, the
//! night's among them, so a night sender has on average N/50,000 earlier
//! messages. Each history is built once (index add, from the night's own
//! entries under new keys, dated over the year before) and kept in
//! `target/bench-history/` for later runs.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::path::{Path, PathBuf};
use triage::config::RunConfig;
use triage::history::{Fingerprint, History, HistoryEntry, SenderHistory};
use triage::ingest::RawMessage;
use triage::parse::{parse, ParseLimits};
use triage::pipeline::{self, prepare, Engine, Prepared, SenderContext};
use triage::synth::{self, SynthSpec};

const MESSAGES: usize = 2000;
/// Senders in a benchmark history (as in `scripts/bench-e2e`).
const HISTORY_SENDERS: usize = 50_000;
/// Part of the cached histories' folder name: change it when the index
/// layout changes, so that an old cache is not reused.
const HISTORY_CACHE_LAYOUT: &str = "packed-fingerprints";

/// History sizes for "history lookup + consult".
fn history_sizes() -> Vec<usize> {
    let mut sizes = vec![10_000, 100_000];
    if std::env::var_os("TRIAGE_BENCH_HISTORY_1M").is_some() {
        sizes.push(1_000_000);
    }
    sizes
}

/// A history of `n` messages (see the module documentation), built once.
fn cached_history(n: usize, night: &[HistoryEntry], night_starts: i64) -> History {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-history")
        .join(format!("{HISTORY_CACHE_LAYOUT}-{n}"));
    let done = dir.join("complete");
    if done.exists() {
        return History::open(&dir).unwrap();
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    eprintln!(
        "building a history of {n} messages in {} (once)",
        dir.display()
    );
    let mut history = History::open(&dir).unwrap();
    let year = 365 * 86_400;
    let senders: Vec<&str> = {
        let mut s: Vec<&str> = night.iter().map(|e| e.sender_key.as_str()).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let batch = 50_000;
    for start in (0..n).step_by(batch) {
        let entries: Vec<HistoryEntry> = (start..(start + batch).min(n))
            .map(|i| {
                let base = &night[i % night.len()];
                let sender = i % HISTORY_SENDERS;
                HistoryEntry {
                    key: format!("mid:<bench-{i}@history.example>"),
                    sender_key: senders.get(sender).map_or_else(
                        || format!("addr:sender{sender}@bench.example"),
                        |s| s.to_string(),
                    ),
                    date: night_starts - year + (i as i64 * year / n as i64),
                    source_id: format!("archive/{i}.eml"),
                    ..base.clone()
                }
            })
            .collect();
        history.add_all(&entries).unwrap();
    }
    history.close().unwrap();
    std::fs::write(&done, b"").unwrap();
    History::open(&dir).unwrap()
}

/// Triage `prepared` over `history` as a run does: by sender, each
/// sender's mail in (date, key) order.
fn consult_and_route(engine: &Engine, history: &History, prepared: Vec<Prepared>) -> usize {
    let mut flagged = 0;
    for (key, messages) in triage::pipeline::group_by_sender(prepared) {
        let mut ctx = SenderContext::new(engine, history.sender_history(&key).unwrap());
        for m in messages {
            flagged += usize::from(!ctx.triage(m).unwrap().outcome.categories.is_empty());
        }
    }
    flagged
}

fn engine(synth_dir: &Path, state: &Path) -> Engine {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    Engine::load(RunConfig {
        sources: vec![synth_dir.join("mail")],
        imap_sources: Vec::new(),
        imap: Default::default(),
        dry_run: false,
        register: Some(synth_dir.join("register.csv")),
        rules: root.join("rules"),
        state: state.to_path_buf(),
        out: state.join("out"),
        threads: 1,
        batch: triage::pipeline::DEFAULT_BATCH,
        now: "2026-11-21T06:00:00Z".parse().unwrap(),
        timezone: chrono_tz::Europe::London,
        council_domains: vec!["northfield.gov.uk".into()],
        max_message_bytes: 25 << 20,
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn stages(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let spec = SynthSpec {
        count: MESSAGES,
        seed: 1,
        senders: 0,
        until: "2026-11-21T05:00:00Z".parse().unwrap(),
        days: 1,
        mbox: false,
    };
    synth::write(&spec, tmp.path()).unwrap();
    let engine = engine(tmp.path(), &tmp.path().join("state"));
    let raws = pipeline::read_sources(&engine.config.sources).unwrap();
    let bytes: u64 = raws.iter().map(|r| r.bytes.len() as u64).sum();
    let limits = ParseLimits::default();
    let parsed: Vec<_> = raws
        .iter()
        .filter_map(|r| parse(&r.bytes, &limits).ok())
        .collect();
    let history = History::open(&engine.config.state).unwrap();
    let night = pipeline::triage_night(&engine, &history).unwrap();
    history.close().unwrap();
    // As a run has them: computed while looking for repeats.
    let fingerprints: Vec<Fingerprint> = night
        .entries
        .iter()
        .map(|e| Fingerprint::new(&e.body))
        .collect();
    let mut filled = History::open(&tmp.path().join("filled")).unwrap();
    filled.add_all(&night.entries).unwrap();
    let prepared: Vec<Prepared> = raws
        .iter()
        .map(|r| prepare(&engine, RawMessage::clone(r)))
        .collect();
    let night_starts = prepared.iter().map(|p| p.id.timestamp).min().unwrap();
    let histories: Vec<(usize, History)> = history_sizes()
        .into_iter()
        .map(|n| (n, cached_history(n, &night.entries, night_starts)))
        .collect();

    let mut group = c.benchmark_group("stages");
    group.sample_size(10);
    for (unit, throughput) in [
        ("messages", Throughput::Elements(MESSAGES as u64)),
        ("bytes", Throughput::Bytes(bytes)),
    ] {
        group.throughput(throughput);
        group.bench_function(format!("parse+strip ({unit})"), |b| {
            b.iter(|| {
                raws.iter()
                    .filter(|r| parse(&r.bytes, &limits).is_ok())
                    .count()
            })
        });
        group.bench_function(format!("normalise+detect ({unit})"), |b| {
            b.iter(|| {
                parsed
                    .iter()
                    .map(|p| engine.rules.detect(&p.text, &p.segments).hits.len())
                    .sum::<usize>()
            })
        });
        for (n, history) in &histories {
            group.bench_function(
                format!("history lookup + consult, {n} history ({unit})"),
                |b| {
                    b.iter_batched(
                        || prepared.clone(),
                        |prepared| consult_and_route(&engine, history, prepared),
                        BatchSize::PerIteration,
                    )
                },
            );
        }
        // What consulting the history computes of each night message before
        // comparing it with the sender's earlier mail (part of the lookup
        // above; here alone, with no history read).
        group.bench_function(format!("fingerprint ({unit})"), |b| {
            b.iter(|| {
                night
                    .entries
                    .iter()
                    .map(|e| Fingerprint::new(&e.body).words().len())
                    .sum::<usize>()
            })
        });
        group.bench_function(format!("index add ({unit})"), |b| {
            b.iter_batched(
                || tempfile::tempdir().unwrap(),
                |dir| {
                    let mut fresh = History::open(dir.path()).unwrap();
                    fresh.add(night.entries.iter().zip(&fingerprints)).unwrap();
                    fresh.commit().unwrap();
                    fresh.close().unwrap();
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_function(format!("route ({unit})"), |b| {
            b.iter_batched(
                || prepared.clone(),
                |prepared| {
                    prepared
                        .into_iter()
                        .map(|m| {
                            SenderContext::new(&engine, SenderHistory::empty())
                                .triage(m)
                                .unwrap()
                                .outcome
                        })
                        .filter(|o| o.categories.is_empty())
                        .count()
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_function(format!("sinks ({unit})"), |b| {
            b.iter_batched(
                || tempfile::tempdir().unwrap(),
                |out| {
                    let mut writer =
                        triage::sink::NightWriter::new(&engine, out.path(), false).unwrap();
                    writer
                        .write_batch(&night.outcomes, &night.entries, &night.raws)
                        .unwrap();
                    writer.finish(&filled, night.timings.clone()).unwrap()
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
