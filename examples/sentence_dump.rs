//! Experiment aid (scripts/experiments/): the sender's own sentences as the
//! linear model reads them, one JSON line a message:
//! `cargo run --release --example sentence_dump -- RULES_DIR MAIL_DIR...`
//! prints `{"id": SOURCE_ID, "sentences": [...], "stems": [[...], ...]}`:
//! `RuleSet::own_sentences` (own segments, normalised, proper names left
//! unread, split by `sentence::split` into 30-word windows) and each one's
//! stemmed words (`model::stems`), as `triage rules train` sees them.
use std::path::PathBuf;
use triage::detect::{model, RuleSet};
use triage::parse::ParseLimits;
use triage::pipeline;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let rules_dir = PathBuf::from(args.next().expect("usage: RULES_DIR MAIL_DIR..."));
    let sources: Vec<PathBuf> = args.map(PathBuf::from).collect();
    let rules = RuleSet::load(&rules_dir).unwrap_or_else(|e| panic!("{e}"));
    let limits = ParseLimits::default();
    for raw in pipeline::read_sources(&sources).unwrap() {
        let Some(parsed) = pipeline::parse_only(&limits, &raw.bytes).0 else {
            continue;
        };
        let sentences = rules.own_sentences(&parsed.text, &parsed.segments);
        let mut buf = Vec::new();
        let stems: Vec<Vec<String>> = sentences
            .iter()
            .map(|s| {
                model::stems(s, &mut buf);
                buf.iter().map(|w| w.to_string()).collect()
            })
            .collect();
        let line = serde_json::json!({"id": raw.source_id, "sentences": sentences, "stems": stems});
        println!("{line}");
    }
}
