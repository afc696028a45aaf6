//! Detection alone, in CPU time: `cargo run --release --example
//! detect_probe -- MAIL_DIR [ROUNDS]` loads the rules (`rules/`), timing
//! the load in CPU time of the whole process (the regexes compile on every
//! core) and of the loading thread, parses every message of MAIL_DIR (a
//! `triage synth` night's `mail/`, a Maildir, .eml files; not timed), then
//! times `RuleSet::detect` over all of them, one thread, ROUNDS times
//! (default 3), in CPU time of that thread: the machine is shared, so wall
//! time says more about the neighbours than about detection. Prints the CPU
//! time per message, the number of hits (so two builds can be seen to agree)
//! and the process's resident memory. Also what to `perf record` for a
//! profile of detection without the rest of a run.
use std::path::PathBuf;
use std::time::{Duration, Instant};
use triage::detect::RuleSet;
use triage::parse::{ParseLimits, ParsedMessage};
use triage::pipeline;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let mail = PathBuf::from(args.next().expect("usage: MAIL_DIR [ROUNDS]"));
    let rounds: usize = args.next().map_or(3, |r| {
        r.to_str()
            .and_then(|r| r.parse().ok())
            .expect("ROUNDS: a number")
    });
    let rules_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules");
    let (process, thread, wall) = (process_cpu(), thread_cpu(), Instant::now());
    let rules = RuleSet::load(&rules_dir).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "rule loading: {:.2} s CPU (process), {:.2} s CPU on the loading thread, {:.2} s wall; {}",
        (process_cpu() - process).as_secs_f64(),
        (thread_cpu() - thread).as_secs_f64(),
        wall.elapsed().as_secs_f64(),
        rss()
    );
    let limits = ParseLimits {
        max_message_bytes: 25 << 20,
    };
    let parsed: Vec<_> = pipeline::read_sources(&[mail])
        .unwrap()
        .into_iter()
        .filter_map(|raw| pipeline::parse_only(&limits, &raw.bytes).0)
        .collect();
    let n = parsed.len();
    let segments: usize = parsed.iter().map(|p| p.segments.len()).sum();
    println!("{n} messages parsed ({segments} segments)");
    for round in 0..rounds {
        let (cpu, wall) = (thread_cpu(), Instant::now());
        let hits = if round == 0 {
            first_round(&rules, &parsed)
        } else {
            warm_round(&rules, &parsed)
        };
        let (cpu, wall) = (thread_cpu() - cpu, wall.elapsed());
        let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
        println!(
            "round {round}: detection {:6.1} µs CPU a message (wall {:6.1}), {:.0} messages/s CPU; \
             {hits} hits and suppressed hits; {}",
            per(cpu),
            per(wall),
            n as f64 / cpu.as_secs_f64(),
            rss()
        );
    }
}

/// The first round: it pays for the regexes compiled on first use and the
/// lazy DFAs' first states.
#[inline(never)]
fn first_round(rules: &RuleSet, parsed: &[ParsedMessage]) -> usize {
    // Not the same code as `warm_round`, or the linker folds the two
    // into one symbol and callgrind counts both rounds.
    std::hint::black_box(detect_all(rules, parsed) + 1) - 1
}

/// A later round: what a long night costs a message, so that
/// `valgrind --tool=callgrind --toggle-collect=detect_probe::warm_round`
/// counts it alone (ROUNDS = 2 for one warm round).
#[inline(never)]
fn warm_round(rules: &RuleSet, parsed: &[ParsedMessage]) -> usize {
    detect_all(rules, parsed)
}

/// Detection over every message: hits and suppressed hits.
fn detect_all(rules: &RuleSet, parsed: &[ParsedMessage]) -> usize {
    parsed
        .iter()
        .map(|p| {
            let d = rules.detect(&p.text, &p.segments);
            d.hits.len() + d.suppressed.len()
        })
        .sum()
}

/// CPU time of this thread so far (`/proc/thread-self/schedstat`).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    Duration::from_nanos(stat.split_whitespace().next().unwrap().parse().unwrap())
}

/// User + system CPU time of the whole process so far (`/proc/self/stat`).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after
    // the name; in clock ticks (100 a second on Linux).
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("VmRSS"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}
