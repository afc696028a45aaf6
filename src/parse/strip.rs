//! Strip: cut a message's text into the sender's own words and the rest —
//! quoted replies (`>` lines, "On … wrote:", Outlook's "From: … Sent: …"
//! blocks), forwarded messages, signatures and confidentiality footers —
//! keeping byte offsets so every reported span points into the message text.

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    Own,
    Quoted,
    Forwarded,
    Signature,
    Footer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub kind: SegmentKind,
    pub range: Range<usize>,
}

/// The result of stripping one text.
#[derive(Debug, Clone, Default)]
pub struct Stripped {
    pub segments: Vec<Segment>,
    /// Lower-cased addresses named as authors of quoted/forwarded blocks.
    pub quoted_authors: Vec<String>,
}

/// Segment `text`. The segments cover `text` in order without gaps.
pub fn strip(text: &str) -> Stripped {
    let _ = text;
    unimplemented!("strip")
}
