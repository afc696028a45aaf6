//! Typed errors for the library. Configuration problems carry the file, the
//! line and the reason, and are collected so that an analyst sees every
//! problem in one go (SPEC §7: bad configuration fails fast, before any
//! message is touched).

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a configuration file (register, rules, policy, triage.toml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based line number; 0 when the problem concerns the whole file.
    pub line: usize,
    pub reason: String,
}

impl ConfigError {
    pub fn new(file: impl Into<PathBuf>, line: usize, reason: impl Into<String>) -> Self {
        ConfigError {
            file: file.into(),
            line,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
        } else {
            write!(f, "{}: {}", self.file.display(), self.reason)
        }
    }
}

/// Every configuration problem found, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    pub fn push(&mut self, e: ConfigError) {
        self.0.push(e);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn extend(&mut self, other: ConfigErrors) {
        self.0.extend(other.0);
    }
    /// `Ok(value)` when no problem was recorded, otherwise all of them.
    pub fn into_result<T>(self, value: T) -> std::result::Result<T, ConfigErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

impl ConfigError {
    /// A TOML file that does not parse (or does not fit its format): the
    /// line of the problem and the parser's reason. The toml crate gives an
    /// empty message for some invalid input (a control character in a
    /// comment, found by fuzzing): the reason then says so rather than
    /// being blank.
    pub fn from_toml(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
        let line = e.span().map_or(0, |s| line_of_offset(text, s.start));
        let reason = match e.message().trim() {
            "" => "not valid TOML here (a control character or a stray byte?)".to_string(),
            message => message.to_string(),
        };
        ConfigError::new(path, line, reason)
    }
}

/// 1-based line of a byte offset in `text` (for serde/toml spans).
pub fn line_of_offset(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("configuration:\n{0}")]
    Config(#[from] ConfigErrors),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("history index at {path}: {reason}")]
    History { path: PathBuf, reason: String },
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
