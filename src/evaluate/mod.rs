//! Evaluate: how well detection and routing do on labelled mail, and what
//! each rule contributes — the analyst's side of the product (`triage eval`,
//! `triage rules stats`, `triage explain`).
//!
//! Everything here triages exactly as a night's run would
//! ([`pipeline::triage_night`]) but writes nothing: no reports, no queues,
//! and the history is only read.
//!
//! - [`labels`]: the labels file (`source,queue,categories`);
//! - [`feedback`]: the review page's `feedback.csv`, read as labels;
//! - [`score`]: precision, recall and F1 per category, the queue confusion
//!   matrix, every miss and false flag with its explanation, and CI gates;
//! - [`stats`]: hits per rule, overlaps, and how often each rule was right;
//! - [`train`]: the linear model's weights from labelled mail;
//! - [`hold_out`]: leave-one-round-out, detection on writers the model never saw.

pub mod feedback;
pub mod hold_out;
pub mod labels;
pub mod score;
pub mod stats;
pub mod train;

use crate::config::RunConfig;
use crate::error::{ConfigError, Error, Result};
use crate::history::History;
use crate::outcome::Outcome;
use crate::pipeline::{self, Engine};
use std::path::Path;

pub use labels::{Label, Labels};
pub use score::{EvalReport, Gate, GateFailure};
pub use stats::RuleStats;

/// Triage every message of `config.sources` without writing anything.
///
/// `history`: the state folder of earlier runs, read but never changed;
/// `None` triages against an empty history. `config.state` and
/// `config.out` are not used.
pub fn triage_read_only(
    config: RunConfig,
    history: Option<&Path>,
) -> Result<(Engine, Vec<Outcome>)> {
    let engine = Engine::load(config).map_err(Error::Config)?;
    let scratch;
    let state = match history {
        Some(dir) => {
            if !dir.join("history").is_dir() {
                return Err(Error::Config(
                    ConfigError::new(
                        dir,
                        0,
                        "not a state folder of earlier runs (it has no history/ inside)",
                    )
                    .into(),
                ));
            }
            dir.to_path_buf()
        }
        None => {
            scratch = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
            scratch.path().to_path_buf()
        }
    };
    let history = History::open(&state)?;
    let night = pipeline::triage_night(&engine, &history)?;
    Ok((engine, night.outcomes))
}
