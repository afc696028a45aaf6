//! Per-message work that needs no other message: parse, identify the
//! sender on the register, detect. Runs in parallel.

use super::Engine;
use crate::detect::{Detection, RuleSet};
use crate::history::{address_sender_key, customer_sender_key};
use crate::ingest::RawMessage;
use crate::parse::{self, ParseLimits, ParsedMessage};
use crate::register::normalize_address;
use sha2::{Digest, Sha256};

/// A message after the independent stages: what [`parse_and_detect`] made
/// of it, and its [`Identity`].
#[derive(Clone)]
pub struct Prepared {
    pub raw: RawMessage,
    /// The parsed message; for an unparseable one, whatever headers were read.
    pub parsed: Option<ParsedMessage>,
    pub unparseable: Option<String>,
    pub detection: Detection,
    /// Who sent it, when, and its de-duplication key.
    pub id: Identity,
}

pub fn prepare(engine: &Engine, raw: RawMessage) -> Prepared {
    let Scanned {
        parsed,
        unparseable,
        detection,
    } = parse_and_detect(&engine.rules, &limits(engine), &raw.bytes);
    let id = identify(engine, parsed.as_ref(), &raw.bytes);
    Prepared {
        raw,
        parsed,
        unparseable,
        detection,
        id,
    }
}

/// The run's parse limits.
pub fn limits(engine: &Engine) -> ParseLimits {
    ParseLimits {
        max_message_bytes: engine.config.max_message_bytes,
    }
}

/// Who sent a message, when, and under which key it is de-duplicated: what
/// the census needs to batch by sender, and what [`prepare`] records.
#[derive(Clone)]
pub struct Identity {
    /// Unix seconds of the Date header, or of the run's "now" when missing.
    pub timestamp: i64,
    /// RFC 3339 Date as the sender wrote it; empty when missing.
    pub date_text: String,
    /// Normalised From address ("" when none).
    pub from: String,
    /// Index into the register's customers.
    pub customer: Option<usize>,
    /// Whose history the message joins (see `HistoryEntry::sender_key`).
    pub sender_key: String,
    /// De-duplication key (`mid:` or `sha256:`).
    pub key: String,
}

/// The [`Identity`] of a parsed message (or of the headers read from an
/// unparseable one) and its bytes.
pub fn identify(engine: &Engine, parsed: Option<&ParsedMessage>, bytes: &[u8]) -> Identity {
    let date = parsed.and_then(|p| p.date);
    let timestamp = date.map_or(engine.config.now.timestamp(), |d| d.timestamp());
    let date_text = date.map(|d| d.to_rfc3339()).unwrap_or_default();
    let from = parsed
        .and_then(|p| p.from.first().or(p.sender.first()))
        .map(|a| normalize_address(&a.email))
        .unwrap_or_default();
    let key = dedup_key(parsed, bytes);
    let customer = if from.is_empty() {
        None
    } else {
        engine.register.by_email.get(&from).copied()
    };
    let sender_key = match (customer, from.is_empty()) {
        (Some(i), _) => customer_sender_key(&engine.register.customers[i].customer_id),
        (None, false) => address_sender_key(&from),
        // No sender at all: the message stands alone.
        (None, true) => format!("none:{key}"),
    };
    Identity {
        timestamp,
        date_text,
        from,
        customer,
        sender_key,
        key,
    }
}

/// What parsing and detection make of one message's bytes.
pub struct Scanned {
    /// The parsed message; for an unparseable one, whatever headers were read.
    pub parsed: Option<ParsedMessage>,
    /// Why the message could not be parsed (its body is then not scanned).
    pub unparseable: Option<String>,
    pub detection: Detection,
}

/// Parse (headers, body, quote/forward/signature stripping) and detect
/// (normalisation, rules, guards, model) on one message's bytes, exactly as
/// a run does. Any bytes at all: this is what the fuzz targets call.
pub fn parse_and_detect(rules: &RuleSet, limits: &ParseLimits, bytes: &[u8]) -> Scanned {
    let (parsed, unparseable) = parse_only(limits, bytes);
    let detection = match (&parsed, &unparseable) {
        (Some(p), None) => rules.detect_message(&p.subject, &p.text, &p.segments),
        _ => Detection::default(),
    };
    Scanned {
        parsed,
        unparseable,
        detection,
    }
}

/// Parse one message's bytes: the parsed message, or whatever headers were
/// read and why it could not be parsed.
pub fn parse_only(limits: &ParseLimits, bytes: &[u8]) -> (Option<ParsedMessage>, Option<String>) {
    match parse::parse(skip_envelope_line(bytes), limits) {
        Ok(p) => (Some(p), None),
        Err(u) => (u.partial.map(|b| *b), Some(u.reason)),
    }
}

/// The header fields [`parse_only`] gives for these bytes (of the parsed
/// message, or whatever headers were read of an unparseable one), without
/// its body: all [`identify`] reads, at a fraction of the cost.
pub fn parse_header_fields(limits: &ParseLimits, bytes: &[u8]) -> Option<ParsedMessage> {
    parse::parse_header_fields(skip_envelope_line(bytes), limits)
}

/// `mid:<Message-ID>`, or `sha256:<hex>` of the bytes when there is none.
fn dedup_key(parsed: Option<&ParsedMessage>, bytes: &[u8]) -> String {
    match parsed.and_then(|p| p.message_id.as_deref()) {
        Some(id) if !id.trim().is_empty() => format!("mid:{}", id.trim()),
        _ => format!("sha256:{}", hex::encode(Sha256::digest(bytes))),
    }
}

/// Mail saved from an mbox often keeps its `From sender date` envelope line,
/// which is not a header; parse what follows it.
fn skip_envelope_line(bytes: &[u8]) -> &[u8] {
    if bytes.starts_with(b"From ") {
        if let Some(nl) = memchr::memchr(b'\n', bytes) {
            return &bytes[nl + 1..];
        }
    }
    bytes
}
