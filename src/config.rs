//! Configuration for `triage run` (and, through [`resolve_records`], for the
//! commands that read only the register and the state: `register check`,
//! `export`): the `triage.toml` file an administrator keeps for unattended
//! runs, overlaid by command-line flags. Paths in the
//! file are relative to the file's own folder, so cron can run from anywhere.

use crate::error::{ConfigError, ConfigErrors};
use crate::imap::{Folders, ImapSettings, ImapUrl, Secret};
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
    /// Messages per batch (whole senders): memory holds one batch.
    pub batch: Option<usize>,
    pub now: Option<String>,
    /// The council's time zone (IANA name), for contact hours.
    pub timezone: Option<String>,
    /// Domains of the council's own addresses (for forwarded abuse).
    pub council_domains: Option<Vec<String>>,
    /// Messages larger than this go to escalate unparsed.
    pub max_message_bytes: Option<usize>,
    /// Settings for `imap://` and `imaps://` sources.
    pub imap: Option<ImapFileConfig>,
}

/// `[imap]` in `triage.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapFileConfig {
    /// A file holding the password (first line), readable by its owner only.
    pub password_file: Option<PathBuf>,
    /// An extra CA certificate (PEM) to trust.
    pub ca_file: Option<PathBuf>,
    /// UIDs per fetch.
    pub fetch_batch: Option<usize>,
    /// UIDs per copy and keyword command.
    pub copy_batch: Option<usize>,
    /// `[imap.folders]`: where each queue's messages are copied.
    pub folders: Option<FoldersFileConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FoldersFileConfig {
    pub respond: Option<String>,
    pub read_only: Option<String>,
    pub escalate: Option<String>,
}

/// The environment variable an IMAP password may come from.
pub const PASSWORD_ENV: &str = "TRIAGE_IMAP_PASSWORD";

/// Settings from the command line; `None` means "not given".
#[derive(Debug, Clone, Default)]
pub struct CliOverrides {
    pub sources: Vec<String>,
    pub register: Option<PathBuf>,
    pub rules: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub threads: Option<usize>,
    pub batch: Option<usize>,
    pub now: Option<String>,
    /// Accept any TLS certificate (loopback IMAP hosts only).
    pub insecure: bool,
    /// Run and report, but change nothing on the IMAP server and commit no state.
    pub dry_run: bool,
    /// Messages larger than this go to escalate unparsed.
    pub max_message_bytes: Option<usize>,
}

/// The settings a run uses, after merging and validating.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// File sources (Maildir, folder, mbox).
    pub sources: Vec<PathBuf>,
    /// IMAP mailboxes.
    pub imap_sources: Vec<ImapUrl>,
    pub imap: ImapSettings,
    /// `--dry-run`: reports written; no history, no IMAP state, no IMAP change.
    pub dry_run: bool,
    /// `None`: no register (everyone is unregistered).
    pub register: Option<PathBuf>,
    pub rules: PathBuf,
    pub state: PathBuf,
    pub out: PathBuf,
    /// 0: one thread per core.
    pub threads: usize,
    /// Messages per batch of whole senders (a sender with more is a batch
    /// of its own).
    pub batch: usize,
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
        toml::from_str(&text).map_err(|e| ConfigError::from_toml(path, &text, &e).into())
    }
}

/// Merge file and flags (flags win) and check every value.
pub fn resolve(
    file: Option<(&Path, FileConfig)>,
    cli: CliOverrides,
) -> Result<RunConfig, ConfigErrors> {
    let (base, fc, file_path) = split_file(file);
    let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let mut errors = ConfigErrors::default();
    let err_at =
        |key: &str, reason: String| ConfigError::new(&file_path, 0, format!("{key}: {reason}"));

    let given: Vec<(String, bool)> = if !cli.sources.is_empty() {
        cli.sources.iter().map(|s| (s.clone(), false)).collect()
    } else {
        fc.sources
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s, true))
            .collect()
    };
    let mut sources: Vec<PathBuf> = Vec::new();
    let mut imap_sources: Vec<ImapUrl> = Vec::new();
    for (s, from_file) in given {
        if ImapUrl::is_imap(&s) {
            match ImapUrl::parse(&s) {
                Ok(u) if imap_sources.contains(&u) => errors.push(err_at(
                    "sources",
                    format!("{} is given twice", u.describe()),
                )),
                Ok(u) => imap_sources.push(u),
                // Shown without its user part: it may hold a password.
                Err(reason) => errors.push(err_at(
                    "sources",
                    format!("`{}`: {reason}", without_userinfo(&s)),
                )),
            }
        } else if from_file {
            sources.push(rel(PathBuf::from(s)));
        } else {
            sources.push(PathBuf::from(s));
        }
    }
    if sources.is_empty() && imap_sources.is_empty() {
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
    let imap = resolve_imap(
        fc.imap.clone().unwrap_or_default(),
        &imap_sources,
        cli.insecure,
        &rel,
        &mut errors,
        &err_at,
    );
    let register = existing_register(cli.register.or(fc.register.map(rel)), &mut errors);
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
        .unwrap_or_else(default_state);
    let out = cli
        .out
        .or(fc.out.map(rel))
        .unwrap_or_else(|| PathBuf::from("out"));
    let now = parse_now(cli.now.or(fc.now), &mut errors, &err_at);
    let timezone = parse_timezone(fc.timezone, &mut errors, &err_at);
    let max_message_bytes = cli
        .max_message_bytes
        .or(fc.max_message_bytes)
        .unwrap_or(crate::parse::ParseLimits::default().max_message_bytes);
    if max_message_bytes == 0 {
        errors.push(err_at("max_message_bytes", "must be at least 1".into()));
    }
    let batch = cli
        .batch
        .or(fc.batch)
        .unwrap_or(crate::pipeline::DEFAULT_BATCH);
    if batch == 0 {
        errors.push(err_at("batch", "must be at least 1".into()));
    }
    errors.into_result(RunConfig {
        sources,
        imap_sources,
        imap,
        dry_run: cli.dry_run,
        register,
        rules,
        state,
        out,
        threads: cli.threads.or(fc.threads).unwrap_or(0),
        batch,
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

/// What `register check` and `export` read: the register, the state folder,
/// "now" and the council's time zone — no mail, rules or IMAP settings.
#[derive(Debug, Clone)]
pub struct RecordsConfig {
    pub register: Option<PathBuf>,
    pub state: PathBuf,
    pub now: DateTime<Utc>,
    pub timezone: Tz,
}

/// [`resolve`] for the commands that read only the council's records: the
/// same keys from the same file, the same checks, flags win.
pub fn resolve_records(
    file: Option<(&Path, FileConfig)>,
    register: Option<PathBuf>,
    state: Option<PathBuf>,
    now: Option<String>,
) -> Result<RecordsConfig, ConfigErrors> {
    let (base, fc, file_path) = split_file(file);
    let rel = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let mut errors = ConfigErrors::default();
    let err_at =
        |key: &str, reason: String| ConfigError::new(&file_path, 0, format!("{key}: {reason}"));
    let register = existing_register(register.or(fc.register.map(rel)), &mut errors);
    let state = state.or(fc.state.map(rel)).unwrap_or_else(default_state);
    let now = parse_now(now.or(fc.now), &mut errors, &err_at);
    let timezone = parse_timezone(fc.timezone, &mut errors, &err_at);
    errors.into_result(RecordsConfig {
        register,
        state,
        now,
        timezone,
    })
}

/// The file's folder (what its paths are relative to), its settings, and
/// its path for error messages ("command line" without a file).
fn split_file(file: Option<(&Path, FileConfig)>) -> (PathBuf, FileConfig, PathBuf) {
    match file {
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
    }
}

fn default_state() -> PathBuf {
    PathBuf::from("state")
}

fn existing_register(register: Option<PathBuf>, errors: &mut ConfigErrors) -> Option<PathBuf> {
    if let Some(r) = &register {
        if !r.is_file() {
            errors.push(ConfigError::new(r, 0, "register file not found"));
        }
    }
    register
}

/// `now` as given (RFC 3339), or the clock.
fn parse_now(
    text: Option<String>,
    errors: &mut ConfigErrors,
    err_at: &dyn Fn(&str, String) -> ConfigError,
) -> DateTime<Utc> {
    match text {
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
    }
}

/// The council's time zone (IANA name); Europe/London when not set.
fn parse_timezone(
    name: Option<String>,
    errors: &mut ConfigErrors,
    err_at: &dyn Fn(&str, String) -> ConfigError,
) -> Tz {
    let name = name.unwrap_or_else(|| "Europe/London".into());
    name.parse::<Tz>().unwrap_or_else(|_| {
        errors.push(err_at("timezone", format!("unknown time zone `{name}`")));
        chrono_tz::Europe::London
    })
}

/// The IMAP settings: password (environment first, then an owner-only file),
/// `--insecure` only for loopback hosts, folders and batch sizes.
fn resolve_imap(
    ic: ImapFileConfig,
    urls: &[ImapUrl],
    insecure: bool,
    rel: &dyn Fn(PathBuf) -> PathBuf,
    errors: &mut ConfigErrors,
    err_at: &dyn Fn(&str, String) -> ConfigError,
) -> ImapSettings {
    let defaults = ImapSettings::default();
    let folders = ic.folders.unwrap_or_default();
    let df = Folders::default();
    let folders = Folders {
        respond: folders.respond.unwrap_or(df.respond),
        read_only: folders.read_only.unwrap_or(df.read_only),
        escalate: folders.escalate.unwrap_or(df.escalate),
    };
    for (key, name) in [
        ("imap.folders.respond", &folders.respond),
        ("imap.folders.read_only", &folders.read_only),
        ("imap.folders.escalate", &folders.escalate),
    ] {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii() && !c.is_control()) {
            errors.push(err_at(
                key,
                "must be a non-empty printable ASCII folder name".into(),
            ));
        }
    }
    let mut settings = ImapSettings {
        password: Secret::default(),
        insecure,
        ca_file: ic.ca_file.map(rel),
        folders,
        fetch_batch: ic.fetch_batch.unwrap_or(defaults.fetch_batch),
        copy_batch: ic.copy_batch.unwrap_or(defaults.copy_batch),
    };
    if settings.fetch_batch == 0 || settings.copy_batch == 0 {
        errors.push(err_at(
            "imap",
            "fetch_batch and copy_batch must be at least 1".into(),
        ));
    }
    if urls.is_empty() {
        return settings;
    }
    if insecure {
        for u in urls.iter().filter(|u| !u.is_loopback()) {
            errors.push(err_at(
                "--insecure",
                format!(
                    "only allowed for a server on this machine (loopback), not {}; \
                     trust a private CA with imap.ca_file instead",
                    u.describe()
                ),
            ));
        }
    }
    if let Some(ca) = &settings.ca_file {
        if !ca.is_file() {
            errors.push(ConfigError::new(ca, 0, "imap.ca_file not found"));
        }
    }
    match std::env::var(PASSWORD_ENV) {
        Ok(p) if !p.is_empty() => settings.password = Secret::new(p),
        _ => match ic.password_file.map(rel) {
            Some(path) => match read_password_file(&path) {
                Ok(p) => settings.password = Secret::new(p),
                Err(reason) => errors.push(ConfigError::new(&path, 0, reason)),
            },
            None => errors.push(err_at(
                "imap.password_file",
                format!(
                    "an IMAP source needs a password: set {PASSWORD_ENV} or name a password \
                     file (mode 0600) as imap.password_file"
                ),
            )),
        },
    }
    settings
}

/// The first line of an owner-only file.
fn read_password_file(path: &Path) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| format!("password file: {e}"))?;
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "password file is readable by others (mode {:o}): chmod 600 it",
            mode & 0o777
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("password file: {e}"))?;
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err("password file is empty".into());
    }
    Ok(line)
}

/// `scheme://…@host/path` for an error message: the user part may hold a password.
fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('/') {
            Some((authority, path)) => match authority.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://…@{host}/{path}"),
                None => url.to_string(),
            },
            None => format!("{scheme}://…"),
        },
        None => url.to_string(),
    }
}
