//! Arbitrary bytes as one message: parse → strip → normalise → detect with
//! the repository's rules (`triage::fuzzing::message`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use triage::detect::RuleSet;

static RULES: OnceLock<RuleSet> = OnceLock::new();

fuzz_target!(
    // Loading the rules takes seconds under the sanitizer: do it before the
    // first input, so it does not count towards that input's timeout.
    init: {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules");
        let rules = RuleSet::load(std::path::Path::new(dir)).expect("the repository's rules load");
        let _ = RULES.set(rules);
    },
    |bytes: &[u8]| {
        let rules = RULES.get().expect("loaded in init");
        triage::fuzzing::message(rules, bytes);
    }
);
