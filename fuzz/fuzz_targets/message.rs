//! Arbitrary bytes as one message: parse → strip → normalise → detect with
//! the repository's rules (`triage::fuzzing::message`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use triage::detect::RuleSet;

static RULES: OnceLock<RuleSet> = OnceLock::new();

fuzz_target!(|bytes: &[u8]| {
    let rules = RULES.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules");
        RuleSet::load(std::path::Path::new(dir)).expect("the repository's rules load")
    });
    triage::fuzzing::message(rules, bytes);
});
