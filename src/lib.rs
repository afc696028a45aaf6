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
