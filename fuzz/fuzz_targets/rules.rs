//! Arbitrary bytes as a rule file beside the repository's word lists and
//! context guards (`triage::fuzzing::rules`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

static SCRATCH: OnceLock<PathBuf> = OnceLock::new();

fuzz_target!(|bytes: &[u8]| {
    let dir = SCRATCH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("triage-fuzz-rules-{}", std::process::id()));
        let lists = dir.join("lists");
        std::fs::create_dir_all(&lists).unwrap();
        let repo_lists = concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/lists");
        for entry in std::fs::read_dir(repo_lists).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), lists.join(entry.file_name())).unwrap();
        }
        std::fs::copy(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../rules/guards.toml"),
            dir.join("guards.toml"),
        )
        .unwrap();
        dir
    });
    triage::fuzzing::rules(dir, bytes);
});
