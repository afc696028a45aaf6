//! Integration tests: one test binary (as ripgrep does), each module a
//! feature a council's users would notice, each test in its own folder,
//! running the real `triage` binary on real files.

mod util;

mod analyst;
mod config_errors;
mod determinism;
mod faults;
mod hostile;
mod policy_rows;
mod sample_night;
mod security;
mod sources;
mod torture;

mod dovecot;
mod imap;
