//! Integration tests: one test binary (as ripgrep does), each module a
//! feature a council's users would notice, each test in its own folder,
//! running the real `triage` binary on real files.

mod browser;
mod util;

mod analyst;
mod config_errors;
mod determinism;
mod export;
mod faults;
mod history_scale;
mod hostile;
mod policy_rows;
mod register_check;
mod review_page;
mod sample_night;
mod security;
mod sources;
mod subject_line;
mod synth;
mod torture;

mod dovecot;
mod imap;
