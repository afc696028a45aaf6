//! Fuzzing entry points: each takes arbitrary bytes, feeds them through the
//! same code a run uses, and panics when a promise is broken. The cargo-fuzz
//! targets in `fuzz/` call these, and so does the regression test that
//! replays every input kept under `tests/fixtures/fuzz-regressions/`, so an
//! input that once crashed is checked by every `cargo test`.
//!
//! Promises checked beyond "no panic":
//! - a message: its segments cover its text in order without gaps, every
//!   rule hit (counted or suppressed) is a span of the text on character
//!   boundaries whose text is what the hit says it matched, and an
//!   unparseable message has no hits (its body was not scanned), and the
//!   census's header-only parse reads the header fields the full parse
//!   keeps (unless mail-parser panicked on the body);
//! - the register: every address it accepts leads back to its customer, and
//!   every problem names a line of the file;
//! - a rule file: every problem names the file, and a rule file that loads
//!   runs its own examples.

use crate::detect::RuleSet;
use crate::parse::{same_header_fields, ParseLimits, PARSER_FAILED};
use crate::pipeline::{parse_and_detect, parse_header_fields};
use crate::register::Register;
use std::path::Path;

/// The fuzz targets, by name: the folder names under `fuzz/fuzz_targets/`
/// and `tests/fixtures/fuzz-regressions/`.
pub const TARGETS: [&str; 3] = ["message", "register", "rules"];

/// Parse → strip → normalise → detect on `bytes`.
pub fn message(rules: &RuleSet, bytes: &[u8]) {
    let scanned = parse_and_detect(rules, &ParseLimits::default(), bytes);
    if scanned.unparseable.as_deref() != Some(PARSER_FAILED) {
        let headers = parse_header_fields(&ParseLimits::default(), bytes);
        assert!(
            same_header_fields(scanned.parsed.as_ref(), headers.as_ref()),
            "the census's header fields differ from the parse's"
        );
    }
    let Some(parsed) = &scanned.parsed else {
        assert!(scanned.unparseable.is_some(), "no message and no reason");
        return;
    };
    let text = &parsed.text;
    let mut covered = 0;
    for segment in &parsed.segments {
        assert_eq!(segment.range.start, covered, "a gap or overlap in segments");
        assert!(segment.range.end >= segment.range.start);
        assert!(text.is_char_boundary(segment.range.end));
        covered = segment.range.end;
    }
    assert!(
        parsed.segments.is_empty() && text.is_empty() || covered == text.len(),
        "segments cover {covered} of {} bytes",
        text.len()
    );
    let d = &scanned.detection;
    if scanned.unparseable.is_some() {
        assert!(d.hits.is_empty() && d.suppressed.is_empty());
    }
    for hit in d.hits.iter().chain(d.suppressed.iter().map(|s| &s.hit)) {
        assert!(hit.start <= hit.end && hit.end <= text.len(), "{hit:?}");
        assert_eq!(
            text.get(hit.start..hit.end),
            Some(hit.matched.as_str()),
            "rule {} reports a span that is not its text",
            hit.rule_id
        );
    }
}

/// The register loader on `bytes` as the CSV file.
pub fn register(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return; // the loader refuses non-UTF-8 before parsing
    };
    let path = Path::new("fuzz-register.csv");
    match Register::parse(path, text) {
        Ok(register) => {
            for (address, &i) in &register.by_email {
                let customer = register.lookup(address).expect("an accepted address");
                assert_eq!(customer.customer_id, register.customers[i].customer_id);
            }
        }
        Err(errors) => {
            let lines = text.lines().count() + 1;
            for e in &errors.0 {
                assert_eq!(e.file, path);
                assert!(e.line <= lines, "{e} names a line past the end");
                assert!(!e.reason.is_empty());
            }
        }
    }
}

/// The rules loader on `bytes` as a rule file in `dir` (a scratch folder;
/// its `lists/` may hold word lists for the rule file to name).
pub fn rules(dir: &Path, bytes: &[u8]) {
    let file = dir.join("fuzz.toml");
    std::fs::write(&file, bytes).expect("write the scratch rule file");
    match RuleSet::load_without_models(dir) {
        Ok(rules) => {
            let _ = rules.self_test();
        }
        Err(errors) => {
            for e in &errors.0 {
                assert!(
                    e.file.starts_with(dir),
                    "{e} names a file outside the rules"
                );
                assert!(!e.reason.is_empty());
            }
        }
    }
}
