//! Throughput of each stage of the pipeline on synthetic council mail
//! (`triage synth`, 2,000 messages, seed 1): parse + strip, normalise +
//! detect, history lookup, index add, history consult + route, and the
//! sinks. Each stage reports messages/s (elements) and MB/s (bytes of the
//! original messages). Run: `cargo bench --bench stages`; the end-to-end
//! figures come from `scripts/bench-e2e`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::path::{Path, PathBuf};
use triage::config::RunConfig;
use triage::history::History;
use triage::ingest::RawMessage;
use triage::parse::{parse, ParseLimits};
use triage::pipeline::{self, prepare, Engine, SenderContext};
use triage::synth::{self, SynthSpec};

const MESSAGES: usize = 2000;

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
    let mut filled = History::open(&tmp.path().join("filled")).unwrap();
    filled.add_all(&night.entries).unwrap();

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
        group.bench_function(format!("history lookup ({unit})"), |b| {
            b.iter(|| {
                night
                    .entries
                    .iter()
                    .map(|e| filled.sender_entries(&e.sender_key).unwrap().len())
                    .sum::<usize>()
            })
        });
        group.bench_function(format!("index add ({unit})"), |b| {
            b.iter_batched(
                || tempfile::tempdir().unwrap(),
                |dir| {
                    let mut fresh = History::open(dir.path()).unwrap();
                    fresh.add_all(&night.entries).unwrap();
                    fresh.close().unwrap();
                },
                BatchSize::PerIteration,
            )
        });
        group.bench_function(format!("route ({unit})"), |b| {
            b.iter_batched(
                || {
                    raws.iter()
                        .map(|r| prepare(&engine, RawMessage::clone(r)))
                        .collect::<Vec<_>>()
                },
                |prepared| {
                    prepared
                        .into_iter()
                        .map(|m| SenderContext::new(&engine, Vec::new()).triage(m).0)
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
