//! Outcome: everything decided about one message, gathered stage by stage.
//! It is the only thing sinks read (reports, queues, the review page, IMAP),
//! so each of them explains the same decision.

use crate::category::Category;
use crate::detect::Detection;
use crate::route::{Queue, Routing};
use serde::Serialize;
use std::collections::BTreeSet;

/// Who sent the message, as the register sees it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SenderView {
    /// Normalised From address ("" when the message has none).
    pub address: String,
    /// `cust:<id>` or `addr:<address>`: whose history this message joins.
    pub sender_key: String,
    pub customer_id: Option<String>,
    pub customer_name: Option<String>,
    /// The register status in force for this message (active, in scope), if any.
    pub status: Option<String>,
    /// The status on the register, even when not in force (expired, out of scope).
    pub register_status: Option<String>,
    /// Why a register status is not in force, when it is not.
    pub status_note: Option<String>,
    pub vulnerable: bool,
}

/// The earlier message this one repeats.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RepeatOf {
    pub source_id: String,
    pub message_id: Option<String>,
    /// RFC 3339 date of the earlier message.
    pub date: String,
    pub subject: String,
    /// The start of the earlier message's own words.
    pub excerpt: String,
    pub similarity: f32,
}

/// What the history said about this message.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct HistoryEvidence {
    /// Earlier messages by the same sender considered (history + this night).
    pub earlier_messages: usize,
    pub repeat_of: Option<RepeatOf>,
    /// Highest similarity to any earlier message of the sender.
    pub best_similarity: f32,
    /// Messages by the sender in the high-volume window, this one included.
    pub messages_in_volume_window: usize,
    /// Messages by the sender in the contact-limit window, this one included.
    pub messages_in_limit_window: Option<usize>,
    pub contact_limit: Option<String>,
    pub over_contact_limit: bool,
    pub contact_hours: Option<String>,
    pub outside_contact_hours: bool,
    /// Source id and date of the latest abusive message within the look-back.
    pub abusive_before: Option<String>,
    pub new_issue: bool,
    /// The sender quoted or forwarded their own earlier mail.
    pub quotes_own_mail: bool,
    /// Distinct recipients (To, Cc, Bcc).
    pub recipients: usize,
}

/// `acceptable` / `unacceptable`, recorded for every registered customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Conduct {
    Acceptable,
    Unacceptable,
}

impl Conduct {
    pub fn as_str(self) -> &'static str {
        match self {
            Conduct::Acceptable => "acceptable",
            Conduct::Unacceptable => "unacceptable",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub source_id: String,
    /// History key: `mid:<Message-ID>` or `sha256:<hex>`.
    pub key: String,
    pub message_id: Option<String>,
    /// RFC 3339, as written by the sender (their offset); empty when missing.
    pub date: String,
    pub from: String,
    pub subject: String,
    pub size_bytes: usize,
    /// Why the message could not be parsed, if it could not.
    pub unparseable: Option<String>,
    pub sender: SenderView,
    pub detection: Detection,
    pub history: HistoryEvidence,
    /// Content and history categories (SPEC §4), sorted.
    pub categories: BTreeSet<Category>,
    pub routing: Routing,
    pub conduct: Option<Conduct>,
    /// The message's own words (for the history and review page); not serialised.
    #[serde(skip)]
    pub own_text: String,
    /// The message's full readable text, which every span indexes; not serialised.
    #[serde(skip)]
    pub text: String,
    /// `text` cut into own words, quoted, forwarded, signature and footer; not serialised.
    #[serde(skip)]
    pub segments: Vec<crate::parse::Segment>,
}

impl Outcome {
    pub fn queue(&self) -> Queue {
        self.routing.queue
    }

    /// Whether a person should look at it (the morning review lists it, the
    /// summary counts it, its decision is kept for export): a category, a
    /// queue other than respond, or a reason from the policy (urgent
    /// service, new issue, forwarded abuse…).
    pub fn is_flagged(&self) -> bool {
        !self.categories.is_empty()
            || self.queue() != Queue::Respond
            || !self.routing.reasons.is_empty()
    }

    /// Ids of the rules that counted, first hit first, each once, `;`-joined;
    /// a hit in the Subject line as `id@subject`.
    pub fn rules_hit_field(&self) -> String {
        let mut seen = std::collections::HashSet::new();
        self.detection
            .hits
            .iter()
            .map(|h| match h.in_subject() {
                true => format!("{}@subject", h.rule_id),
                false => h.rule_id.clone(),
            })
            .filter(|id| seen.insert(id.clone()))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// The review page's id for this message, derived from its history key
    /// (Message-ID or content hash), so the same message has the same id on
    /// any re-run and in any source: `m-` and 16 hex digits of SHA-256(key).
    pub fn review_id(&self) -> String {
        review_id(&self.key)
    }

    /// `;`-joined category names.
    pub fn categories_field(&self) -> String {
        self.categories
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// [`Outcome::review_id`] for a history key.
pub fn review_id(key: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(key.as_bytes());
    format!("m-{}", hex::encode(&digest[..8]))
}

/// `text` on one line (whitespace collapsed), cut to `max_chars` with `…`.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}

/// [`excerpt`] in double quotes, escaped, for one-line explanations.
pub fn quoted_excerpt(text: &str, max_chars: usize) -> String {
    format!("{:?}", excerpt(text, max_chars))
}
