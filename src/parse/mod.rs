//! Parse: raw bytes → [`ParsedMessage`], built on `mail-parser`.
//!
//! Owns header extraction (From/Reply-To/Sender, To/Cc/Bcc, Date, Message-ID,
//! References), body text (text/plain, or HTML turned into text; one text for
//! multipart/alternative), and deciding when a message is unparseable
//! (empty, binary, over the size cap, no header at all). Quote, forward,
//! signature and footer detection lives in [`strip`].

pub mod strip;

use chrono::{DateTime, FixedOffset};
use std::ops::Range;

pub use strip::{Segment, SegmentKind};

/// A mailbox named in a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub name: Option<String>,
    /// The address as written (not normalised; see `register::normalize_address`).
    pub email: String,
}

/// Limits applied while parsing.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    /// Messages larger than this are not parsed beyond their headers.
    pub max_message_bytes: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            max_message_bytes: 25 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ParsedMessage {
    pub message_id: Option<String>,
    pub date: Option<DateTime<FixedOffset>>,
    pub subject: String,
    pub from: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub sender: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub bcc: Vec<Address>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The message's readable text. Every span reported anywhere indexes this.
    pub text: String,
    /// `text` cut into the sender's own words and everything else, in order,
    /// covering `text` without gaps or overlaps.
    pub segments: Vec<Segment>,
    /// Addresses (lower-cased) named as authors of quoted or forwarded blocks.
    pub quoted_authors: Vec<String>,
    /// True when the text came from HTML because there was no text/plain part.
    pub html_only: bool,
    /// Names of attachments (never used as paths).
    pub attachment_names: Vec<String>,
    /// Problems the parser noticed but survived (bad charset, truncated MIME…).
    pub problems: Vec<String>,
}

impl ParsedMessage {
    /// The byte ranges of `text` that are the sender's own words.
    pub fn own_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.segments
            .iter()
            .filter(|s| s.kind == SegmentKind::Own)
            .map(|s| s.range.clone())
    }
    /// The sender's own words, segments joined by a blank line.
    pub fn own_text(&self) -> String {
        let mut out = String::new();
        for r in self.own_ranges() {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(self.text[r].trim());
        }
        out
    }
    /// All recipients (To, Cc, Bcc).
    pub fn recipients(&self) -> impl Iterator<Item = &Address> {
        self.to.iter().chain(&self.cc).chain(&self.bcc)
    }
}

/// Why a message could not be parsed. It is still routed (to escalate).
#[derive(Debug, Clone)]
pub struct Unparseable {
    pub reason: String,
    /// Whatever headers could be read (an over-size message keeps them).
    pub partial: Option<Box<ParsedMessage>>,
}

/// Parse one message. Never panics, whatever the bytes.
pub fn parse(bytes: &[u8], limits: &ParseLimits) -> Result<ParsedMessage, Unparseable> {
    let _ = (bytes, limits);
    unimplemented!("parse")
}
