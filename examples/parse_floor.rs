//! The floor `scripts/bench-e2e` compares triage with: read every message
//! file under a folder (recursively) and parse it with mail-parser alone,
//! on all cores, as triage does. Prints `messages bytes seconds`.
//!
//! `cargo run --release --example parse_floor -- DIR`

use mail_parser::MessageParser;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the folder") {
        let path = entry.expect("read the folder").path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: parse_floor DIR"));
    let started = Instant::now();
    let mut paths = Vec::new();
    files(&dir, &mut paths);
    let (messages, bytes) = paths
        .par_iter()
        .map(|p| {
            let raw = std::fs::read(p).expect("read a message");
            let parsed = MessageParser::default().parse(&raw);
            // Touch the text, as triage does, so nothing is skipped.
            let text = parsed
                .as_ref()
                .and_then(|m| m.body_text(0))
                .map_or(0, |t| t.len());
            (usize::from(parsed.is_some() && text > 0), raw.len() as u64)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    println!("{messages} {bytes} {:.3}", started.elapsed().as_secs_f64());
}
