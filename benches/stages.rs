//! Throughput of the per-message stages on ordinary mail (the SpamAssassin
//! easy-ham set beside the checkout, else the sample night): parse, and
//! strip + normalise + detect. Criterion reports elements/s (messages/s) and
//! bytes/s (MB/s). Run: `cargo bench --bench stages`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::{Path, PathBuf};
use triage::detect::RuleSet;
use triage::parse::{parse, ParseLimits};

fn corpus() -> Vec<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let ham = root.join("../shared/testdata/ham/easy-ham-1");
    let dir = if ham.is_dir() {
        ham
    } else {
        root.join("corpus/sample")
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn stages(c: &mut Criterion) {
    let messages = corpus();
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let limits = ParseLimits::default();
    let rules = RuleSet::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")).unwrap();
    let parsed: Vec<_> = messages
        .iter()
        .filter_map(|m| parse(m, &limits).ok())
        .collect();

    let mut group = c.benchmark_group("stages");
    group.sample_size(10);
    group.throughput(Throughput::Elements(messages.len() as u64));
    group.bench_function("parse+strip (messages)", |b| {
        b.iter(|| {
            messages
                .iter()
                .filter(|m| parse(m, &limits).is_ok())
                .count()
        })
    });
    group.bench_function("normalise+detect (messages)", |b| {
        b.iter(|| {
            parsed
                .iter()
                .map(|p| rules.detect(&p.text, &p.segments).hits.len())
                .sum::<usize>()
        })
    });
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse+strip (bytes)", |b| {
        b.iter(|| {
            messages
                .iter()
                .filter(|m| parse(m, &limits).is_ok())
                .count()
        })
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
