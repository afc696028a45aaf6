//! triage: nightly triage of a council's inbound email.
//!
//! The crate follows the pipeline of SPEC §2, one module per stage:
//!
//! ```text
//! ingest ─► parse ─► register ─► detect ─► history ─► route ─► sink
//! ```
//!
//! A [`RawMessage`](ingest::RawMessage) comes out of a source, becomes a
//! [`ParsedMessage`](parse::ParsedMessage), gathers evidence from each stage and
//! ends as one [`Outcome`](outcome::Outcome): the only thing sinks read.
//! [`pipeline`] wires the stages together; `main.rs` is a thin command line.

pub mod category;
pub mod config;
pub mod detect;
pub mod error;
pub mod evaluate;
pub mod explain;
pub mod export;
pub mod fuzzing;
pub mod history;
pub mod imap;
pub mod ingest;
pub mod outcome;
pub mod parse;
pub mod pipeline;
pub mod register;
pub mod route;
pub mod sink;
pub mod synth;

pub use category::Category;
pub use error::{ConfigError, ConfigErrors, Error, Result};
pub use outcome::Outcome;

/// Every binary, test and benchmark of the crate allocates through mimalloc,
/// not glibc's malloc: rule loading makes about 14 million allocations and
/// detection many small ones a message, and with mimalloc a 10,000-message
/// night takes about a fifth less CPU for byte-identical outputs
/// (docs/performance.md, "The allocator"). Built without transparent huge
/// pages (`no_thp`): with them detection ran a little faster still, but
/// zeroing huge pages tripled the system time and peak RSS grew by about
/// 70 MB; without them peak RSS is at or below glibc's. Not under the
/// fuzzers (`cfg(fuzzing)`), whose sanitizer watches the system allocator.
#[cfg(not(fuzzing))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
