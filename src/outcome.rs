//! Outcome: placeholder.
pub struct Outcome;
