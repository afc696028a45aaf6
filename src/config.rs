//! Configuration for `triage run`: the `triage.toml` file an administrator
//! keeps for unattended runs, overlaid by command-line flags. Paths in the
//! file are relative to the file's own folder, so cron can run from anywhere.

use crate::error::{line_of_offset, ConfigError, ConfigErrors};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `triage.toml` as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub sources: Option<Vec<String>>,
    pub register: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    pub now: Option<String>,
    /// The council's time zone (IANA name), for contact hours.
    pub timezone: Option<String>,
    /// Domains of the council's own addresses (for forwarded abuse).
    pub council_domains: Option<Vec<String>>,
    /// Messages larger than this go to escalate unparsed.
    pub max_message_bytes: Option<usize>,
}

/// Settings from the command line; `None` means "not given".
#[derive(Debug, Clone, Default)]
pub struct CliOverrides {
    pub sources: Vec<String>,
    pub register: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    pub now: Option<String>,
}

/// The settings a run uses, after merging and validating.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub sources: Vec<PathBuf>,
    /// `None`: no register (everyone is unregistered).
    pub register: Option<PathBuf>,
    pub rules: PathBuf,
    pub state: PathBuf,
    pub out: PathBuf,
    /// 0: one thread per core.
    pub threads: usize,
    pub now: DateTime<Utc>,
    pub timezone: Tz,
    pub council_domains: Vec<String>,
    pub max_message_bytes: usize,
}

pub const DEFAULT_CONFIG_FILE: &str = "triage.toml";

impl FileConfig {
    /// Read `triage.toml`; errors name the file and line.
    pub fn load(path: &Path) -> Result<FileConfig, ConfigErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(path, 0, format!("cannot read: {e}")))?;
        toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| line_of_offset(&text, s.start))
                .unwrap_or(0);
            ConfigError::new(path, line, e.message().to_string()).into()
        })
    }
}

/// Merge file and flags (flags win) and check every value.
pub fn resolve(
    file: Option<(&Path, FileConfig)>,
    cli: CliOverrides,
) -> Result<RunConfig, ConfigErrors> {
    let (base, fc, file_path) = match file {
        Some((path, fc)) => (
            path.parent().map(Path::to_path_buf).unwrap_or_default(),
            fc,
            path.to_path_buf(),
        ),
        None => (
            PathBuf::new(),
            FileConfig::default(),
            PathBuf::from("command line"),
        ),
    };
    let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let mut errors = ConfigErrors::default();
    let err_at =
        |key: &str, reason: String| ConfigError::new(&file_path, 0, format!("{key}: {reason}"));

    let sources: Vec<PathBuf> = if !cli.sources.is_empty() {
        cli.sources.iter().map(PathBuf::from).collect()
    } else {
        fc.sources
            .unwrap_or_default()
            .into_iter()
            .map(|s| rel(PathBuf::from(s)))
            .collect()
    };
    if sources.is_empty() {
        errors.push(err_at(
            "sources",
            "no --source given and none in the config".into(),
        ));
    }
    for s in &sources {
        if !s.exists() {
            errors.push(ConfigError::new(s, 0, "source not found"));
        }
    }
    let register = cli.register.or(fc.register.map(rel));
    if let Some(r) = &register {
        if !r.is_file() {
            errors.push(ConfigError::new(r, 0, "register file not found"));
        }
    }
    let rules = cli
        .rules
        .or(fc.rules.map(rel))
        .unwrap_or_else(|| PathBuf::from("rules"));
    if !rules.is_dir() {
        errors.push(ConfigError::new(&rules, 0, "rules folder not found"));
    }
    let state = cli
        .state
        .or(fc.state.map(rel))
        .unwrap_or_else(|| PathBuf::from("state"));
    let out = cli
        .out
        .or(fc.out.map(rel))
        .unwrap_or_else(|| PathBuf::from("out"));
    let now = match cli.now.or(fc.now) {
        None => Utc::now(),
        Some(text) => match DateTime::parse_from_rfc3339(&text) {
            Ok(t) => t.with_timezone(&Utc),
            Err(e) => {
                errors.push(err_at(
                    "now",
                    format!("`{text}` is not an RFC 3339 time: {e}"),
                ));
                Utc::now()
            }
        },
    };
    let tz_name = fc.timezone.unwrap_or_else(|| "Europe/London".into());
    let timezone = tz_name.parse::<Tz>().unwrap_or_else(|_| {
        errors.push(err_at("timezone", format!("unknown time zone `{tz_name}`")));
        chrono_tz::Europe::London
    });
    let max_message_bytes = fc.max_message_bytes.unwrap_or(25 * 1024 * 1024);
    if max_message_bytes == 0 {
        errors.push(err_at("max_message_bytes", "must be at least 1".into()));
    }
    errors.into_result(RunConfig {
        sources,
        register,
        rules,
        state,
        out,
        threads: cli.threads.or(fc.threads).unwrap_or(0),
        now,
        timezone,
        council_domains: fc
            .council_domains
            .unwrap_or_default()
            .into_iter()
            .map(|d| d.trim().trim_start_matches('@').to_lowercase())
            .collect(),
        max_message_bytes,
    })
}
