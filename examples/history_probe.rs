//! The history stage alone, over real histories: `cargo run --release
//! --example history_probe -- NIGHT_DIR STATE...` reads and prepares the
//! night once (parse + detect, not timed), then for each `--state` folder
//! (read only) times, single-threaded, what a run's history + route stage
//! does per sender: the lookup of the sender's earlier mail, then triage of
//! each of the sender's messages (repeats, counts, route). Prints the time
//! per night message and the process's resident memory (anonymous and
//! mapped files) after each history.
use std::path::PathBuf;
use std::time::{Duration, Instant};
use triage::config::RunConfig;
use triage::history::History;
use triage::pipeline::{self, prepare, Engine, Prepared, SenderContext};

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let (night, states) = args.split_first().expect("usage: NIGHT_DIR STATE...");
    let engine = Engine::load(RunConfig {
        sources: vec![night.join("mail")],
        imap_sources: Vec::new(),
        imap: Default::default(),
        dry_run: true,
        register: Some(night.join("register.csv")),
        rules: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules"),
        state: states[0].clone(),
        out: std::env::temp_dir().join("history-probe-out"),
        threads: 1,
        batch: pipeline::DEFAULT_BATCH,
        now: "2026-11-21T06:00:00Z".parse().unwrap(),
        timezone: chrono_tz::Europe::London,
        council_domains: vec!["northfield.gov.uk".into()],
        max_message_bytes: 25 << 20,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let raws = pipeline::read_sources(&engine.config.sources).unwrap();
    let started = Instant::now();
    let prepared: Vec<Prepared> = raws.into_iter().map(|r| prepare(&engine, r)).collect();
    let n = prepared.len();
    eprintln!("{n} messages prepared in {:.1?}", started.elapsed());
    for state in states {
        let history = History::open(state).unwrap();
        let docs = history.len().unwrap();
        for round in 0..3 {
            // Two passes, so that each is timed as a whole in CPU time (the
            // machine is shared: wall time says more about the neighbours).
            let groups = pipeline::group_by_sender(prepared.clone());
            let (cpu, wall) = (thread_cpu(), Instant::now());
            let senders: Vec<_> = groups
                .keys()
                .map(|key| history.sender_history(key).unwrap())
                .collect();
            let (lookup_cpu, lookup_wall) = (thread_cpu() - cpu, wall.elapsed());
            let earlier: usize = senders.iter().map(|s| s.messages.len()).sum();
            let (cpu, wall) = (thread_cpu(), Instant::now());
            for (sender, messages) in senders.into_iter().zip(groups.into_values()) {
                let mut ctx = SenderContext::new(&engine, sender);
                for m in messages {
                    ctx.triage(m).unwrap();
                }
            }
            let (consult_cpu, consult_wall) = (thread_cpu() - cpu, wall.elapsed());
            let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
            println!(
                "history {docs:>8} round {round}: CPU lookup {:6.1} µs + consult/route {:6.1} µs \
                 = {:6.1} µs a message (wall {:6.1}); {:.1} earlier messages a night message; {}",
                per(lookup_cpu),
                per(consult_cpu),
                per(lookup_cpu + consult_cpu),
                per(lookup_wall + consult_wall),
                earlier as f64 / n as f64,
                rss()
            );
        }
    }
}

/// CPU time of this thread so far (`/proc/thread-self/schedstat`).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    Duration::from_nanos(stat.split_whitespace().next().unwrap().parse().unwrap())
}

fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("RssAnon") || l.starts_with("RssFile"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}
