//! Route: the ordered policy of SPEC §5, read from `rules/policy.toml`.
//!
//! The pipeline gathers the [`Facts`] about one message (what detection found,
//! who the sender is on the register, what the history says); [`Policy::route`]
//! walks the entries in order: the first that matches sets queue and priority,
//! and every matching entry adds its reason and actions. The modifiers of §5
//! (vulnerable customers, read-only customers' new issues, single points of
//! contact) are applied after, and say so in the reasons.

mod policy_file;

use crate::category::Category;
use crate::error::ConfigErrors;
use crate::register::Status;
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

pub use policy_file::{Condition, Entry, Modifiers, Thresholds};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Queue {
    Respond,
    ReadOnly,
    Escalate,
}

impl Queue {
    pub const ALL: [Queue; 3] = [Queue::Respond, Queue::ReadOnly, Queue::Escalate];

    /// The name used in reports and folder names.
    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Respond => "respond",
            Queue::ReadOnly => "read-only",
            Queue::Escalate => "escalate",
        }
    }

    pub fn parse(s: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent,
    High,
    Normal,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::High => "high",
            Priority::Normal => "normal",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        [Priority::Urgent, Priority::High, Priority::Normal]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// Everything the policy may look at for one message.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub unparseable: bool,
    /// Content and history categories of this message.
    pub categories: BTreeSet<Category>,
    pub urgent_service: bool,
    /// The sender's register status in force for this message (active on
    /// its date and in scope); `None` when not on the register or not active.
    pub status: Option<Status>,
    pub vulnerable: bool,
    /// Abusive (abuse, discrimination or a threat) within the look-back window.
    pub abusive_before: bool,
    /// A read-only customer's message not similar to anything they sent before.
    pub new_issue: bool,
    pub over_contact_limit: bool,
    pub outside_contact_hours: bool,
    /// The customer has a single point of contact who is not among the recipients.
    pub wrong_officer: bool,
    /// A council address forwarded abuse or threats it received.
    pub forwarded_abuse: bool,
}

/// The policy's verdict for one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Routing {
    pub queue: Queue,
    pub priority: Priority,
    /// The entry that chose the queue.
    pub entry: String,
    /// Its position in the policy (1-based), matching §5's row numbers for the default.
    pub entry_index: usize,
    /// Every entry that matched, in order.
    pub matched_entries: Vec<String>,
    pub reasons: Vec<String>,
    pub actions: Vec<String>,
}

/// The routing policy: ordered entries, thresholds and modifiers.
#[derive(Debug, Clone)]
pub struct Policy {
    pub entries: Vec<Entry>,
    pub thresholds: Thresholds,
    pub modifiers: Modifiers,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

impl Policy {
    /// Load and validate `policy.toml`; every problem with file:line.
    pub fn load(path: &Path) -> Result<Policy, ConfigErrors> {
        policy_file::load(path)
    }

    /// Parse policy text (`path` names the file in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Policy, ConfigErrors> {
        policy_file::parse(path, text)
    }

    /// Route one message.
    pub fn route(&self, facts: &Facts) -> Routing {
        let mut chosen: Option<(usize, &Entry)> = None;
        let mut matched_entries = Vec::new();
        let mut reasons = Vec::new();
        let mut actions = Vec::new();
        for (i, entry) in self.entries.iter().enumerate() {
            if !entry.when.iter().all(|c| c.holds(facts)) {
                continue;
            }
            matched_entries.push(entry.id.clone());
            if chosen.is_none() {
                chosen = Some((i, entry));
            }
            if let Some(reason) = &entry.reason {
                push_unique(&mut reasons, reason);
            }
            for action in &entry.actions {
                push_unique(&mut actions, action);
            }
            for (category, extra) in &entry.category_actions {
                if facts.categories.contains(category) {
                    extra.iter().for_each(|a| push_unique(&mut actions, a));
                }
            }
        }
        // Validation guarantees a catch-all entry, so something always matches.
        let (index, entry) = chosen.expect("policy validated to end with a catch-all entry");
        let mut routing = Routing {
            queue: entry.queue,
            priority: entry.priority,
            entry: entry.id.clone(),
            entry_index: index + 1,
            matched_entries,
            reasons,
            actions,
        };
        self.apply_modifiers(facts, &mut routing);
        routing
    }

    /// §5's modifiers, after the first-match choice.
    fn apply_modifiers(&self, facts: &Facts, routing: &mut Routing) {
        let m = &self.modifiers;
        if m.read_only_new_issue && facts.status == Some(Status::ReadOnly) && facts.new_issue {
            push_unique(&mut routing.reasons, "new_issue");
        }
        if m.vulnerable_never_read_only && facts.vulnerable && routing.queue == Queue::ReadOnly {
            routing.queue = Queue::Respond;
            push_unique(&mut routing.reasons, "vulnerable");
            push_unique(&mut routing.actions, "notify_cro");
        }
        if m.forward_to_spoc && facts.wrong_officer {
            push_unique(&mut routing.reasons, "wrong_officer");
            push_unique(&mut routing.actions, "forward_to_spoc");
        }
        if facts.forwarded_abuse {
            push_unique(&mut routing.reasons, "forwarded_abuse");
        }
    }
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

#[cfg(test)]
mod tests;
