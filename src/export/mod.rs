//! `triage export --customer ID`: everything triage holds about one customer,
//! for a subject access request — their register row, and every message from
//! them in the history (filed under their customer id, or under one of their
//! addresses from before they were on the register) with the decision kept
//! for it ([`crate::history::decisions`]): date, subject, own words, queue,
//! priority, policy entry, reasons, actions, categories, and each rule hit
//! with the span of text it matched. Written as `<ID>.json` (for machines and
//! the record) and `<ID>.html` (a readable page with the spans highlighted,
//! [`page`]), both owner-only, each whole or absent.

mod page;

use crate::error::{ConfigError, Error, Result};
use crate::history::decisions::{self, KeptDecision};
use crate::history::{address_sender_key, customer_sender_key, History, HistoryEntry};
use crate::register::{Customer, Register};
use crate::sink::files::{create_private_dir, write_private};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// The customer's row as the register holds it.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterRow {
    pub customer_id: String,
    pub name: String,
    pub emails: Vec<String>,
    pub status: &'static str,
    pub since: Option<String>,
    pub until: Option<String>,
    pub review_date: Option<String>,
    pub contact_limit: Option<String>,
    pub contact_hours: Option<String>,
    pub single_point_of_contact: Option<String>,
    pub scope: Vec<String>,
    pub vulnerable: bool,
    pub notes: String,
    /// The register file and the row's line in it.
    pub register: String,
    pub line: usize,
}

impl RegisterRow {
    fn new(c: &Customer, register: &Register) -> RegisterRow {
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
        RegisterRow {
            customer_id: c.customer_id.clone(),
            name: c.name.clone(),
            emails: c.emails.clone(),
            status: c.status.as_str(),
            since: date(c.since),
            until: date(c.until),
            review_date: date(c.review_date),
            contact_limit: c.contact_limit.map(|l| l.to_string()),
            contact_hours: c.contact_hours.as_ref().map(|h| h.text.clone()),
            single_point_of_contact: c.single_point_of_contact.clone(),
            scope: c.scope.clone(),
            vulnerable: c.vulnerable,
            notes: c.notes.clone(),
            register: register
                .path
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            line: c.line,
        }
    }
}

/// One rule hit: the rule, its category and the span of text it matched.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hit {
    pub rule_id: String,
    pub category: String,
    /// Byte offsets into the message's `text`, or into its `subject` when
    /// `segment` is `subject`.
    pub start: usize,
    pub end: usize,
    pub matched: String,
    /// Where the hit lies: `own` (the text) or `subject` (the Subject line).
    #[serde(default)]
    pub segment: String,
}

impl Hit {
    pub fn in_subject(&self) -> bool {
        self.segment == "subject"
    }
}

/// One message from the customer.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedMessage {
    /// The history key (`mid:<Message-ID>` or `sha256:<hex>`).
    pub key: String,
    pub source_id: String,
    pub message_id: Option<String>,
    /// RFC 3339, UTC.
    pub date: String,
    /// The same instant in the council's time zone, for people.
    pub local_date: String,
    pub from: Option<String>,
    pub subject: String,
    /// The sender's own words (quotes, forwards and signatures cut off), as
    /// the history holds them; `None` when only the decision was kept.
    pub own_words: Option<String>,
    pub queue: String,
    pub categories: Vec<String>,
    pub priority: Option<String>,
    pub policy_entry: Option<String>,
    pub reasons: Vec<String>,
    pub actions: Vec<String>,
    pub rule_hits: Vec<Hit>,
    /// The message's readable text, which the hits' offsets index.
    pub text: Option<String>,
    /// When the kept decision was made; `None` when none was kept.
    pub decided_at: Option<String>,
    /// The kept decision in full (history evidence, suppressed hits,
    /// scores …), as the run wrote it.
    pub decision: Option<serde_json::Value>,
}

/// Everything held about one customer.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectExport {
    pub customer_id: String,
    /// When the export was made (RFC 3339).
    pub exported_at: String,
    pub timezone: String,
    pub register_row: RegisterRow,
    /// Addresses of the customer that the register matches to another
    /// customer (first claim wins): mail from them is filed under that
    /// customer and is not in this export.
    pub addresses_matched_to_another_customer: Vec<String>,
    /// Oldest first.
    pub messages: Vec<ExportedMessage>,
}

/// The parts of a kept decision the export lists field by field.
#[derive(Deserialize)]
struct DecisionView {
    run_at: String,
    source_id: String,
    message_id: Option<String>,
    date: String,
    from: String,
    subject: String,
    categories: Vec<String>,
    routing: RoutingView,
    detection: DetectionView,
    text: String,
}

#[derive(Deserialize)]
struct RoutingView {
    queue: String,
    priority: String,
    entry: String,
    reasons: Vec<String>,
    actions: Vec<String>,
}

#[derive(Deserialize)]
struct DetectionView {
    hits: Vec<Hit>,
}

/// Gather the export of `customer_id` from the register and the state.
/// An id not on the register is a configuration error (exit 2).
pub fn gather(
    register: &Register,
    state: &Path,
    customer_id: &str,
    now: DateTime<Utc>,
    timezone: Tz,
) -> Result<SubjectExport> {
    let Some((index, customer)) = register
        .customers
        .iter()
        .enumerate()
        .find(|(_, c)| c.customer_id == customer_id)
    else {
        let file = register.path.clone().unwrap_or_default();
        let why = format!("customer `{customer_id}` is not on the register");
        return Err(Error::Config(ConfigError::new(file, 0, why).into()));
    };
    let own_addresses: Vec<&String> = customer
        .emails
        .iter()
        .filter(|a| register.by_email.get(*a) == Some(&index))
        .collect();
    let sender_keys: HashSet<String> = std::iter::once(customer_sender_key(customer_id))
        .chain(own_addresses.iter().map(|a| address_sender_key(a)))
        .collect();

    let history_dir = state.join("history");
    if !history_dir.is_dir() {
        return Err(Error::Other(format!(
            "{}: no history here; is this the --state folder of the nightly run?",
            history_dir.display()
        )));
    }
    let history = History::open(state)?;
    let mut entries: BTreeMap<String, HistoryEntry> = BTreeMap::new();
    for key in &sender_keys {
        for entry in history.sender_entries(key)? {
            entries.insert(entry.key.clone(), entry);
        }
    }
    let mut kept: BTreeMap<String, KeptDecision> = decisions::read_all(state)?
        .into_iter()
        .filter(|d| {
            d.record["sender"]["sender_key"]
                .as_str()
                .is_some_and(|k| sender_keys.contains(k))
        })
        .map(|d| (d.key.clone(), d))
        .collect();

    let mut messages = Vec::new();
    for (key, entry) in entries {
        let decision = kept.remove(&key);
        messages.push(message(key, Some(entry), decision, timezone)?);
    }
    // Decided but not (yet) in the history: a run that stopped in between.
    for (key, decision) in kept {
        messages.push(message(key, None, Some(decision), timezone)?);
    }
    messages.sort_by(|a, b| (&a.date, &a.key).cmp(&(&b.date, &b.key)));
    Ok(SubjectExport {
        customer_id: customer_id.to_string(),
        exported_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        timezone: timezone.name().to_string(),
        register_row: RegisterRow::new(customer, register),
        addresses_matched_to_another_customer: customer
            .emails
            .iter()
            .filter(|a| !own_addresses.contains(a))
            .cloned()
            .collect(),
        messages,
    })
}

/// One message from its history entry, its kept decision, or both.
fn message(
    key: String,
    entry: Option<HistoryEntry>,
    kept: Option<KeptDecision>,
    timezone: Tz,
) -> Result<ExportedMessage> {
    let view: Option<DecisionView> = match &kept {
        Some(k) => Some(serde_json::from_value(k.record.clone()).map_err(|e| {
            Error::Other(format!("the kept decision for {key} cannot be read: {e}"))
        })?),
        None => None,
    };
    let instant = match (&entry, &view) {
        (Some(e), _) => DateTime::<Utc>::from_timestamp(e.date, 0),
        (None, Some(v)) => DateTime::parse_from_rfc3339(&v.date)
            .ok()
            .map(|d| d.with_timezone(&Utc)),
        (None, None) => None,
    }
    .unwrap_or_default();
    let (source_id, message_id, subject, queue, categories) = match (&entry, &view) {
        (Some(e), _) => (
            e.source_id.clone(),
            e.message_id.clone(),
            e.subject.clone(),
            e.queue.clone(),
            e.categories.clone(),
        ),
        (None, Some(v)) => (
            v.source_id.clone(),
            v.message_id.clone(),
            v.subject.clone(),
            v.routing.queue.clone(),
            v.categories.clone(),
        ),
        (None, None) => Default::default(),
    };
    let (priority, policy_entry, reasons, actions, rule_hits, text, decided_at, from) = match view {
        Some(v) => (
            Some(v.routing.priority),
            Some(v.routing.entry),
            v.routing.reasons,
            v.routing.actions,
            v.detection.hits,
            Some(v.text),
            Some(v.run_at),
            Some(v.from),
        ),
        None => Default::default(),
    };
    Ok(ExportedMessage {
        key,
        source_id,
        message_id,
        date: instant.to_rfc3339(),
        local_date: instant
            .with_timezone(&timezone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string(),
        from,
        subject,
        own_words: entry.map(|e| e.body),
        queue,
        categories,
        priority,
        policy_entry,
        reasons,
        actions,
        rule_hits,
        text,
        decided_at,
        decision: kept.map(|k| without_listed_fields(k.record)),
    })
}

/// The kept record less what the message lists on its own (`text`,
/// `run_at`), so the text is not in the export twice.
fn without_listed_fields(mut record: serde_json::Value) -> serde_json::Value {
    if let Some(fields) = record.as_object_mut() {
        fields.remove("text");
        fields.remove("run_at");
    }
    record
}

/// Write `<ID>.json` and `<ID>.html` into `out` (created owner-only);
/// returns their paths. Each is written under a temporary name and renamed,
/// so an interrupted export leaves no half-written file.
pub fn write(export: &SubjectExport, out: &Path) -> Result<Vec<PathBuf>> {
    create_private_dir(out)?;
    let stem = file_stem(&export.customer_id);
    let json = serde_json::to_vec_pretty(export).map_err(|e| Error::Other(e.to_string()))?;
    let html = page::render(export);
    let mut written = Vec::new();
    for (ext, bytes) in [("json", json.as_slice()), ("html", html.as_bytes())] {
        let path = out.join(format!("{stem}.{ext}"));
        let temporary = out.join(format!(".{stem}.{ext}.unfinished"));
        write_private(&temporary, bytes)?;
        std::fs::rename(&temporary, &path).map_err(|e| Error::io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

/// The customer id as a file name: anything but letters, digits, `-`, `_`
/// and `.` becomes `_`, so an id can never name a path elsewhere.
fn file_stem(customer_id: &str) -> String {
    let stem: String = customer_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match stem.trim_start_matches('.') {
        "" => "customer".to_string(),
        s => s.to_string(),
    }
}
