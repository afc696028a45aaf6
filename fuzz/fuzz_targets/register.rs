//! Arbitrary bytes as the register CSV (`triage::fuzzing::register`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| triage::fuzzing::register(bytes));
