//! Rule files: loading, validation (file:line), compilation, matching,
//! context guards and each rule's own examples.

use super::Detection;
use crate::error::ConfigErrors;
use crate::parse::Segment;
use std::path::Path;

/// A rule example that did not behave as written.
#[derive(Debug, Clone)]
pub struct ExampleFailure {
    pub rule_id: String,
    pub file: std::path::PathBuf,
    pub line: usize,
    pub example: String,
    /// "must match" or "must not match".
    pub expected: &'static str,
}

pub struct CompiledRules {}

impl CompiledRules {
    pub fn load(dir: &Path) -> Result<CompiledRules, ConfigErrors> {
        let _ = dir;
        unimplemented!("CompiledRules::load")
    }
    pub fn detect(&self, text: &str, segments: &[Segment]) -> Detection {
        let _ = (text, segments);
        unimplemented!("CompiledRules::detect")
    }
    pub fn self_test(&self) -> Vec<ExampleFailure> {
        unimplemented!("self_test")
    }
    pub fn sha256(&self) -> &str {
        unimplemented!("sha256")
    }
    pub fn len(&self) -> usize {
        unimplemented!("len")
    }
}
