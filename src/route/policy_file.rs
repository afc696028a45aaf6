//! The `policy.toml` file: its format, and validation that reports every
//! problem with file, line and reason before any message is touched.

use super::{Facts, Policy, Priority, Queue};
use crate::category::Category;
use crate::error::{line_of_offset, ConfigError, ConfigErrors};
use crate::register::Status;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Tunable numbers (SPEC §4 defaults).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// `high_volume` from this many messages …
    pub high_volume_messages: u32,
    /// … within this many days (rolling).
    pub high_volume_days: u32,
    /// `mass_copy` when a message names this many distinct recipients.
    pub mass_copy_recipients: u32,
    /// `repeat_complaint` when similarity to an earlier message reaches this.
    pub repeat_similarity: f32,
    /// A read-only customer's message is the same matter (not a new issue)
    /// when similarity to an earlier message reaches this.
    pub same_issue_similarity: f32,
    /// How far back earlier abuse counts (§5 row 6).
    pub abusive_lookback_days: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            high_volume_messages: 6,
            high_volume_days: 7,
            mass_copy_recipients: 5,
            repeat_similarity: 0.6,
            same_issue_similarity: 0.3,
            abusive_lookback_days: 90,
        }
    }
}

/// §5's modifiers, each of which can be switched off.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Modifiers {
    /// A vulnerable customer is never routed to read-only (respond + notify_cro).
    pub vulnerable_never_read_only: bool,
    /// A read-only customer's new issue is marked `new_issue`.
    pub read_only_new_issue: bool,
    /// Mail to the wrong officer from a customer with a SPOC gets forward_to_spoc.
    pub forward_to_spoc: bool,
}

impl Default for Modifiers {
    fn default() -> Self {
        Modifiers {
            vulnerable_never_read_only: true,
            read_only_new_issue: true,
            forward_to_spoc: true,
        }
    }
}

/// One condition of an entry's `when`; all of an entry's conditions must hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Unparseable(bool),
    AnyCategory(Vec<Category>),
    /// The sender's status in force is one of these.
    Status(Vec<Status>),
    /// The sender has any status in force.
    Registered(bool),
    AbusiveBefore(bool),
    UrgentService(bool),
    NewIssue(bool),
    /// Over the contact limit or outside contact hours.
    ContactBreach(bool),
}

impl Condition {
    pub fn holds(&self, f: &Facts) -> bool {
        match self {
            Condition::Unparseable(want) => f.unparseable == *want,
            Condition::AnyCategory(cats) => cats.iter().any(|c| f.categories.contains(c)),
            Condition::Status(statuses) => f.status.is_some_and(|s| statuses.contains(&s)),
            Condition::Registered(want) => f.status.is_some() == *want,
            Condition::AbusiveBefore(want) => f.abusive_before == *want,
            Condition::UrgentService(want) => f.urgent_service == *want,
            Condition::NewIssue(want) => f.new_issue == *want,
            Condition::ContactBreach(want) => {
                (f.over_contact_limit || f.outside_contact_hours) == *want
            }
        }
    }
}

/// One ordered entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: String,
    pub when: Vec<Condition>,
    pub queue: Queue,
    pub priority: Priority,
    pub reason: Option<String>,
    pub actions: Vec<String>,
    /// Extra actions when the message has a given category (e.g. a hate-crime
    /// report for discrimination).
    pub category_actions: Vec<(Category, Vec<String>)>,
    pub description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    #[serde(default)]
    thresholds: Thresholds,
    #[serde(default)]
    modifiers: Modifiers,
    #[serde(rename = "entry", default)]
    entries: Vec<toml::Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    when: RawWhen,
    queue: String,
    priority: String,
    reason: Option<String>,
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default)]
    category_actions: std::collections::BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWhen {
    unparseable: Option<bool>,
    any_category: Option<Vec<String>>,
    status: Option<Vec<String>>,
    registered: Option<bool>,
    abusive_before: Option<bool>,
    urgent_service: Option<bool>,
    new_issue: Option<bool>,
    contact_breach: Option<bool>,
}

pub(super) fn load(path: &Path) -> Result<Policy, ConfigErrors> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(path, 0, format!("cannot read policy: {e}")))?;
    parse(path, &text)
}

pub(super) fn parse(path: &Path, text: &str) -> Result<Policy, ConfigErrors> {
    let file: FileFormat =
        toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
    let mut errors = ConfigErrors::default();
    let mut entries = Vec::new();
    let mut seen_ids = std::collections::HashSet::new();
    for spanned in &file.entries {
        let line = line_of_offset(text, spanned.span().start);
        let raw = spanned.get_ref();
        let mut err = |reason: String| errors.push(ConfigError::new(path, line, reason));
        if !seen_ids.insert(raw.id.clone()) {
            err(format!("entry `{}`: duplicate id", raw.id));
        }
        let when = conditions(&raw.when, &raw.id, &mut err);
        let queue = Queue::parse(&raw.queue);
        if queue.is_none() {
            err(format!(
                "entry `{}`: unknown queue `{}` (expected respond, read-only or escalate)",
                raw.id, raw.queue
            ));
        }
        let priority = Priority::parse(&raw.priority);
        if priority.is_none() {
            err(format!(
                "entry `{}`: unknown priority `{}` (expected urgent, high or normal)",
                raw.id, raw.priority
            ));
        }
        let mut category_actions = Vec::new();
        for (name, actions) in &raw.category_actions {
            match name.parse::<Category>() {
                Ok(c) => category_actions.push((c, actions.clone())),
                Err(e) => err(format!("entry `{}`: category_actions: {e}", raw.id)),
            }
        }
        if let (Some(queue), Some(priority)) = (queue, priority) {
            entries.push(Entry {
                id: raw.id.clone(),
                when,
                queue,
                priority,
                reason: raw.reason.clone(),
                actions: raw.actions.clone(),
                category_actions,
                description: raw.description.clone(),
            });
        }
    }
    check_thresholds(path, text, &file.thresholds, &mut errors);
    match file.entries.last() {
        None => errors.push(ConfigError::new(path, 0, "the policy has no [[entry]]")),
        Some(last) if !last.get_ref().when_is_empty() => errors.push(ConfigError::new(
            path,
            line_of_offset(text, last.span().start),
            format!(
                "the last entry (`{}`) must be a catch-all with no `when`, so every message gets a queue",
                last.get_ref().id
            ),
        )),
        Some(_) => {}
    }
    let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
    errors.into_result(Policy {
        entries,
        thresholds: file.thresholds,
        modifiers: file.modifiers,
        sha256,
    })
}

impl RawEntry {
    fn when_is_empty(&self) -> bool {
        let w = &self.when;
        w.unparseable.is_none()
            && w.any_category.is_none()
            && w.status.is_none()
            && w.registered.is_none()
            && w.abusive_before.is_none()
            && w.urgent_service.is_none()
            && w.new_issue.is_none()
            && w.contact_breach.is_none()
    }
}

fn conditions(w: &RawWhen, id: &str, err: &mut impl FnMut(String)) -> Vec<Condition> {
    let mut out = Vec::new();
    let flags = [
        (
            w.unparseable,
            Condition::Unparseable as fn(bool) -> Condition,
        ),
        (w.registered, Condition::Registered),
        (w.abusive_before, Condition::AbusiveBefore),
        (w.urgent_service, Condition::UrgentService),
        (w.new_issue, Condition::NewIssue),
        (w.contact_breach, Condition::ContactBreach),
    ];
    out.extend(flags.into_iter().filter_map(|(v, make)| v.map(make)));
    if let Some(names) = &w.any_category {
        let mut cats = Vec::new();
        for name in names {
            match name.parse::<Category>() {
                Ok(c) => cats.push(c),
                Err(e) => err(format!("entry `{id}`: {e}")),
            }
        }
        out.push(Condition::AnyCategory(cats));
    }
    if let Some(names) = &w.status {
        let mut statuses = Vec::new();
        for name in names {
            match parse_status(name) {
                Some(s) => statuses.push(s),
                None => err(format!(
                    "entry `{id}`: unknown status `{name}` (expected warned, monitored, read_only, restricted or no_contact)"
                )),
            }
        }
        out.push(Condition::Status(statuses));
    }
    out
}

fn parse_status(name: &str) -> Option<Status> {
    [
        Status::Warned,
        Status::Monitored,
        Status::ReadOnly,
        Status::Restricted,
        Status::NoContact,
    ]
    .into_iter()
    .find(|s| s.as_str() == name)
}

fn check_thresholds(path: &Path, text: &str, t: &Thresholds, errors: &mut ConfigErrors) {
    // The line of `key = …` in the file, else 0 (a default value is wrong).
    let line_of = |key: &str| {
        text.lines()
            .position(|l| l.trim_start().starts_with(key))
            .map_or(0, |i| i + 1)
    };
    let mut bad = |key: &str, reason: String| {
        errors.push(ConfigError::new(
            path,
            line_of(key),
            format!("thresholds: {key} {reason}"),
        ))
    };
    for (key, v) in [
        ("high_volume_messages", t.high_volume_messages),
        ("high_volume_days", t.high_volume_days),
        ("abusive_lookback_days", t.abusive_lookback_days),
    ] {
        if v == 0 {
            bad(key, "must be at least 1".into());
        }
    }
    if t.mass_copy_recipients < 2 {
        bad("mass_copy_recipients", "must be at least 2".into());
    }
    for (key, v) in [
        ("repeat_similarity", t.repeat_similarity),
        ("same_issue_similarity", t.same_issue_similarity),
    ] {
        if !(v > 0.0 && v <= 1.0) {
            bad(key, format!("must be in (0, 1], not {v}"));
        }
    }
}
