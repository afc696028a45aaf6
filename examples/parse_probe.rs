//! Parsing alone: `cargo run --release --example parse_probe -- MAIL_DIR`
//! reads every message of MAIL_DIR (a `triage synth` night's `mail/`, a
//! Maildir, .eml files), parses them all once to compile the parser's and
//! stripper's regexes, then parses them all again in `parse_all` and strips
//! their texts again in `strip_all`, printing the CPU time of each and a
//! checksum of the segments (so two builds can be seen to agree). For
//! instruction counts without the first-use compiles: `valgrind
//! --tool=callgrind --toggle-collect='parse_probe::parse_all'
//! target/release/examples/parse_probe MAIL_DIR` (or `strip_all`).
use std::path::PathBuf;
use std::time::Instant;
use triage::parse::{self, ParseLimits, ParsedMessage};
use triage::pipeline;

fn main() {
    let mail = PathBuf::from(std::env::args_os().nth(1).expect("usage: MAIL_DIR"));
    let raws = pipeline::read_sources(&[mail]).unwrap_or_else(|e| panic!("{e}"));
    let bytes: Vec<&[u8]> = raws.iter().map(|r| r.bytes.as_slice()).collect();
    let limits = ParseLimits::default();
    let parsed = parse_all(&bytes, &limits);
    let at = Instant::now();
    let again = parse_all(&bytes, &limits);
    let parse_s = at.elapsed().as_secs_f64();
    let texts: Vec<&str> = again.iter().map(|p| p.text.as_str()).collect();
    let at = Instant::now();
    let sum = strip_all(&texts);
    let strip_s = at.elapsed().as_secs_f64();
    println!(
        "{} messages ({} parsed), {} text bytes; parse {:.1} µs a message (strip {:.1} of it); segment checksum {sum}",
        bytes.len(),
        parsed.len(),
        texts.iter().map(|t| t.len()).sum::<usize>(),
        parse_s * 1e6 / bytes.len() as f64,
        strip_s * 1e6 / bytes.len() as f64,
    );
}

#[inline(never)]
fn parse_all(bytes: &[&[u8]], limits: &ParseLimits) -> Vec<ParsedMessage> {
    bytes
        .iter()
        .filter_map(|b| parse::parse(b, limits).ok())
        .collect()
}

/// Strips every text; a checksum of the segments' kinds, ends and the
/// quoted authors.
#[inline(never)]
fn strip_all(texts: &[&str]) -> u64 {
    let mut sum = 0u64;
    for text in texts {
        let stripped = parse::strip::strip(text);
        for seg in &stripped.segments {
            sum = sum
                .wrapping_mul(31)
                .wrapping_add(seg.range.end as u64 * 8 + seg.kind as u64);
        }
        for author in &stripped.quoted_authors {
            sum = sum.wrapping_mul(31).wrapping_add(author.len() as u64);
        }
    }
    sum
}
