//! Parse: raw bytes → [`ParsedMessage`], built on `mail-parser`.
//!
//! Owns header extraction (From/Reply-To/Sender, To/Cc/Bcc, Date, Message-ID,
//! References), body text (text/plain, or HTML turned into text; one text for
//! multipart/alternative), and deciding when a message is unparseable
//! (empty, binary, over the size cap, no header at all). Quote, forward,
//! signature and footer detection lives in [`strip`].

pub mod strip;
pub mod subject;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use mail_parser::decoders::html::html_to_text;
use mail_parser::{
    HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};
use std::borrow::Cow;
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
///
/// Unparseable: empty or whitespace-only input, binary input (see
/// [`looks_binary`]), input over `limits.max_message_bytes` (its headers are
/// kept in `partial`), input in which `mail-parser` finds no header field,
/// and input on which `mail-parser` itself panics (caught, so one bad
/// message cannot stop a night's run).
pub fn parse(bytes: &[u8], limits: &ParseLimits) -> Result<ParsedMessage, Unparseable> {
    parse_as(bytes, limits, Part::Whole)
}

/// The header fields [`parse`] gives for these bytes — those of the parsed
/// message, or the `partial` headers of an unparseable one — without
/// reading the body at all (most of parsing's CPU): what the night's census
/// needs to say who sent a message. The same checks decide whether a
/// message is parseable, in the same order, and the header fields are
/// filled by the same code; `text`, `segments` and the other body fields
/// are left empty.
///
/// mail-parser is asked for the root header block only
/// (`MessageParser::parse_headers`). Its full parse begins with the very
/// same call on the same bytes, and its first part keeps those headers
/// whatever the body holds (a MIME tree, an attached message, a broken
/// boundary); when that block has no field, both give no message. So the
/// header fields, and "no header fields found", are the same. One
/// difference: a panic while the body is read (by mail-parser, or while an
/// HTML body is turned into text; caught: `parse` then calls the message
/// unparseable, keeping no headers) cannot happen here, so these fields
/// are the headers. No such message is known (the parser-torture set, the
/// corpus and the fuzz targets have none); `prepare` still decides the
/// message's identity from its own parse.
pub fn parse_header_fields(bytes: &[u8], limits: &ParseLimits) -> Option<ParsedMessage> {
    match parse_as(bytes, limits, Part::Headers) {
        Ok(parsed) => Some(parsed),
        Err(u) => u.partial.map(|b| *b),
    }
}

/// Whether two parses agree on every header field (`message_id`, `date`,
/// `subject`, every address list, `in_reply_to`, `references`), and on
/// whether there are any: how the tests and the fuzz target check
/// [`parse_header_fields`] against [`parse`].
pub fn same_header_fields(a: Option<&ParsedMessage>, b: Option<&ParsedMessage>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_fields(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn same_fields(a: &ParsedMessage, b: &ParsedMessage) -> bool {
    a.message_id == b.message_id
        && a.date == b.date
        && a.subject == b.subject
        && a.from == b.from
        && a.reply_to == b.reply_to
        && a.sender == b.sender
        && a.to == b.to
        && a.cc == b.cc
        && a.bcc == b.bcc
        && a.in_reply_to == b.in_reply_to
        && a.references == b.references
}

/// Why [`parse`] calls a message unparseable when mail-parser panicked on
/// it (the one case where [`parse_header_fields`] may read headers that
/// `parse` does not keep).
pub const PARSER_FAILED: &str = "the MIME parser failed on this message";

/// What [`parse_as`] fills in.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Whole,
    Headers,
}

fn parse_as(bytes: &[u8], limits: &ParseLimits, part: Part) -> Result<ParsedMessage, Unparseable> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(unparseable("empty message", None));
    }
    let (bytes, skipped) = skip_leading_blank_lines(bytes);
    let header_block = &bytes[..header_block_len(bytes)];
    if looks_binary(header_block) {
        return Err(unparseable("binary data, not a mail message", None));
    }
    if bytes.len() > limits.max_message_bytes {
        let reason = format!(
            "message of {} bytes is over the limit of {} bytes",
            bytes.len(),
            limits.max_message_bytes
        );
        let partial = guarded(|| parse_headers_only(header_block)).flatten();
        return Err(unparseable(&reason, partial.map(Box::new)));
    }
    match guarded(|| parse_full(bytes, part)) {
        Some(Some(mut parsed)) => {
            if skipped {
                parsed
                    .problems
                    .push("blank lines before the headers".to_string());
            }
            Ok(parsed)
        }
        Some(None) => Err(unparseable("no header fields found", None)),
        None => Err(unparseable(PARSER_FAILED, None)),
    }
}

/// Some exports put blank (or space-filled) lines before the first header;
/// mail-parser would then see no header at all. Skip whole blank lines only.
fn skip_leading_blank_lines(bytes: &[u8]) -> (&[u8], bool) {
    let first_text = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    match bytes[..first_text].iter().rposition(|&b| b == b'\n') {
        Some(nl) => (&bytes[nl + 1..], true),
        None => (bytes, false),
    }
}

fn unparseable(reason: &str, partial: Option<Box<ParsedMessage>>) -> Unparseable {
    Unparseable {
        reason: reason.to_string(),
        partial,
    }
}

/// Run `f`, turning a panic inside a third-party library (the MIME parser;
/// the history index's reader on damaged files) into `None`.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// How much of the start of a message is examined for the binary test and
/// re-parsed for the headers of an over-size message.
const MAX_HEADER_BLOCK: usize = 256 * 1024;

/// Length of the header block: up to and including the first blank line,
/// or the whole input (capped) when there is none.
fn header_block_len(bytes: &[u8]) -> usize {
    let scan = &bytes[..bytes.len().min(MAX_HEADER_BLOCK)];
    let lf = memchr::memmem::find(scan, b"\n\n").map(|p| p + 2);
    let crlf = memchr::memmem::find(scan, b"\r\n\r\n").map(|p| p + 4);
    match (lf, crlf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(scan.len()),
    }
}

/// The rule for "binary": the header block (where every real message is
/// plain text, 8-bit at worst) holds a NUL byte, or more than 1 in 20 of its
/// bytes are control characters other than tab, CR, LF and form feed.
/// Bytes above 0x7F are not counted: raw 8-bit headers are common in old
/// mail. NULs in a body are survived and reported in `problems` instead.
fn looks_binary(header_block: &[u8]) -> bool {
    if header_block.contains(&0) {
        return true;
    }
    let controls = header_block
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n' | 0x0c)) || b == 0x7f)
        .count();
    controls * 20 > header_block.len()
}

fn parse_headers_only(header_block: &[u8]) -> Option<ParsedMessage> {
    let message = MessageParser::default().parse_headers(header_block)?;
    let mut parsed = ParsedMessage::default();
    fill_headers(&message, &mut parsed);
    Some(parsed)
}

fn parse_full(bytes: &[u8], part: Part) -> Option<ParsedMessage> {
    // mail-parser's header-only parse reads the root header block exactly
    // as its full parse's first step does, then stops: the full parse's
    // first part holds those same headers (see [`parse_header_fields`]).
    let parser = MessageParser::default();
    let message = match part {
        Part::Whole => parser.parse(bytes)?,
        Part::Headers => parser.parse_headers(bytes)?,
    };
    if message.parts.first().is_none_or(|p| p.headers.is_empty()) {
        return None;
    }
    let mut parsed = ParsedMessage::default();
    fill_headers(&message, &mut parsed);
    if part == Part::Headers {
        return Some(parsed);
    }
    fill_body(&message, &mut parsed);
    let stripped = strip::strip(&parsed.text);
    parsed.segments = stripped.segments;
    parsed.quoted_authors = stripped.quoted_authors;
    Some(parsed)
}

// ------------------------------------------------------------------ headers

fn fill_headers(message: &Message<'_>, parsed: &mut ParsedMessage) {
    parsed.message_id = message
        .message_id()
        .map(clean_id)
        .filter(|id| !id.is_empty());
    parsed.date = message.date().and_then(to_chrono);
    parsed.subject = message.subject().unwrap_or_default().trim().to_string();
    parsed.from = addresses(message, HeaderName::From);
    parsed.reply_to = addresses(message, HeaderName::ReplyTo);
    parsed.sender = addresses(message, HeaderName::Sender);
    parsed.to = addresses(message, HeaderName::To);
    parsed.cc = addresses(message, HeaderName::Cc);
    parsed.bcc = addresses(message, HeaderName::Bcc);
    parsed.in_reply_to = ids(message.in_reply_to());
    parsed.references = ids(message.references());
}

/// Every address in every header field of this name, groups flattened.
fn addresses(message: &Message<'_>, name: HeaderName<'static>) -> Vec<Address> {
    message
        .header_values(name)
        .filter_map(HeaderValue::as_address)
        .flat_map(|a| a.iter())
        .filter_map(to_address)
        .collect()
}

fn to_address(addr: &mail_parser::Addr<'_>) -> Option<Address> {
    let email = addr.address()?.trim();
    if email.is_empty() {
        return None;
    }
    let name = addr
        .name()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    Some(Address {
        name,
        email: email.to_string(),
    })
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.as_ref()).collect(),
        _ => Vec::new(),
    };
    raw.into_iter()
        .map(clean_id)
        .filter(|id| !id.is_empty())
        .collect()
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

/// mail-parser's date, or None when it names an impossible day, time or
/// zone (the parser accepts "31 Feb").
fn to_chrono(d: &mail_parser::DateTime) -> Option<DateTime<FixedOffset>> {
    if !d.is_valid() {
        return None;
    }
    let zone_secs = i32::from(d.tz_hour) * 3600 + i32::from(d.tz_minute) * 60;
    let zone = FixedOffset::east_opt(if d.tz_before_gmt {
        -zone_secs
    } else {
        zone_secs
    })?;
    let date = NaiveDate::from_ymd_opt(d.year.into(), d.month.into(), d.day.into())?;
    let time = NaiveTime::from_hms_opt(d.hour.into(), d.minute.into(), d.second.into())?;
    date.and_time(time).and_local_timezone(zone).single()
}

// --------------------------------------------------------------------- body

fn fill_body(message: &Message<'_>, parsed: &mut ParsedMessage) {
    let body = body_text(message);
    parsed.html_only = body.html_only;
    parsed.text = normalize_newlines(&body.text);
    parsed.attachment_names = attachment_names(message);
    parsed.problems = problems(message, &parsed.text);
}

struct Body<'a> {
    /// The one text part's own text, borrowed, or the parts joined.
    text: Cow<'a, str>,
    html_only: bool,
}

/// The message's own body parts. mail-parser's `text_body` already picks
/// one side of each multipart/alternative (the text/plain one when there is
/// one, else the HTML) and leaves attached messages out, so joining it gives
/// one text per alternative. HTML parts are turned into text.
fn body_text<'a>(message: &'a Message<'a>) -> Body<'a> {
    let mut parts = body_parts(message.text_bodies());
    if parts.is_empty() {
        parts = body_parts(message.html_bodies());
    }
    let html_only = !parts.is_empty() && parts.iter().all(|(_, html)| *html);
    let mut texts: Vec<Cow<'a, str>> = parts
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| !t.trim().is_empty())
        .collect();
    let text = match texts.len() {
        0 => Cow::Borrowed(""),
        1 => texts.pop().unwrap_or_default(),
        _ => Cow::Owned(texts.join("\n\n")),
    };
    Body { text, html_only }
}

/// Each part's text, and whether it came from HTML.
fn body_parts<'a>(parts: impl Iterator<Item = &'a MessagePart<'a>>) -> Vec<(Cow<'a, str>, bool)> {
    parts
        .filter_map(|part| match &part.body {
            PartType::Text(t) => Some((Cow::Borrowed(t.as_ref()), false)),
            PartType::Html(h) => Some((Cow::Owned(html_to_text(h)), true)),
            _ => None,
        })
        .collect()
}

/// CRLF and lone CR become LF, so offsets mean the same on every platform.
/// One copy: a CR before an LF is dropped, any other CR becomes an LF (what
/// replacing every CRLF and then every CR left gives).
fn normalize_newlines(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    for cr in memchr::memchr_iter(b'\r', bytes) {
        out.push_str(&text[start..cr]);
        if bytes.get(cr + 1) != Some(&b'\n') {
            out.push('\n');
        }
        start = cr + 1;
    }
    out.push_str(&text[start..]);
    out
}

/// File names of attachments, as given by the sender (never used as paths).
fn attachment_names(message: &Message<'_>) -> Vec<String> {
    message
        .attachments()
        .filter_map(|part| part.attachment_name())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

/// What the parser survived: unknown charsets, MIME parts it could only
/// recover as raw text, NUL bytes in the text.
fn problems(message: &Message<'_>, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for part in message.text_bodies().chain(message.html_bodies()) {
        if let Some(charset) = part.content_type().and_then(|ct| ct.attribute("charset")) {
            let note = format!("unknown charset {:?}, read as UTF-8", charset.trim());
            if !known_charset(charset) && !problems.contains(&note) {
                problems.push(note);
            }
        }
    }
    // A header-only message is flagged by mail-parser too; only a part with
    // a body it had to recover counts.
    if message
        .parts
        .iter()
        .any(|p| p.is_encoding_problem && p.offset_body < p.offset_end)
    {
        problems.push("malformed MIME structure, recovered as text".to_string());
    }
    if text.contains('\0') {
        problems.push("NUL bytes in the text".to_string());
    }
    problems
}

fn known_charset(charset: &str) -> bool {
    let c = charset.trim().to_ascii_lowercase().replace('_', "-");
    matches!(c.as_str(), "utf-8" | "utf8" | "")
        || mail_parser::decoders::charsets::map::charset_decoder(c.as_bytes()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    fn ok(raw: &str) -> ParsedMessage {
        parse(raw.as_bytes(), &ParseLimits::default()).expect("parses")
    }

    fn reason(raw: &[u8]) -> String {
        parse(raw, &ParseLimits::default())
            .expect_err("unparseable")
            .reason
    }

    #[test]
    fn headers_are_extracted() {
        let m = ok("From: \"Jo Bloggs\" <jo@example.com >\r\n\
             Reply-To: jo.reply@example.com\r\n\
             Sender: list@example.org\r\n\
             To: Housing <housing@council.gov.uk>, team: a@x.org, b@x.org;\r\n\
             Cc: c@x.org\r\n\
             Bcc: d@x.org\r\n\
             Date: Mon, 3 Nov 2025 10:02:03 +0100\r\n\
             Message-ID: <abc.123@example.com>\r\n\
             In-Reply-To: <prev@example.com>\r\n\
             References: <first@example.com> <prev@example.com>\r\n\
             Subject: Bins\r\n\r\n\
             Hello\r\n");
        assert_eq!(m.from[0].email, "jo@example.com");
        assert_eq!(m.from[0].name.as_deref(), Some("Jo Bloggs"));
        assert_eq!(m.reply_to[0].email, "jo.reply@example.com");
        assert_eq!(m.sender[0].email, "list@example.org");
        let to: Vec<&str> = m.to.iter().map(|a| a.email.as_str()).collect();
        assert_eq!(to, ["housing@council.gov.uk", "a@x.org", "b@x.org"]);
        assert_eq!(m.cc[0].email, "c@x.org");
        assert_eq!(m.bcc[0].email, "d@x.org");
        assert_eq!(m.recipients().count(), 5);
        let date = m.date.expect("date");
        assert_eq!(date.to_rfc3339(), "2025-11-03T10:02:03+01:00");
        assert_eq!(m.message_id.as_deref(), Some("abc.123@example.com"));
        assert_eq!(m.in_reply_to, ["prev@example.com"]);
        assert_eq!(m.references, ["first@example.com", "prev@example.com"]);
        assert_eq!(m.subject, "Bins");
        assert_eq!(m.text, "Hello\n");
        assert!(!m.html_only);
        assert_eq!(m.own_text(), "Hello");
    }

    #[test]
    fn newlines_are_normalized_as_two_replacements_did() {
        for text in [
            "",
            "a",
            "\r",
            "\n",
            "\r\n",
            "\n\r",
            "\r\r\n",
            "\r\n\r",
            "a\rb\r\nc\n\rd\r",
            "é\r\n£\r€",
            "\r\r\r\n\n\r",
        ] {
            let two = text.replace("\r\n", "\n").replace('\r', "\n");
            assert_eq!(normalize_newlines(text), two, "{text:?}");
        }
    }

    #[test]
    fn bad_or_missing_date_is_none() {
        assert!(ok("From: a@x.org\nDate: 31 Feb 2025 10:00 +0000\n\nx")
            .date
            .is_none());
        assert!(ok("From: a@x.org\nDate: yesterday\n\nx").date.is_none());
        assert!(ok("From: a@x.org\n\nx").date.is_none());
    }

    #[test]
    fn rfc2047_subject_is_decoded() {
        let m = ok(
            "From: a@x.org\nSubject: =?UTF-8?B?Q2Fmw6kgcmVwYWlycw==?= =?ISO-8859-1?Q?=A3100?=\n\nx",
        );
        assert_eq!(m.subject, "Café repairs£100");
    }

    #[test]
    fn latin1_and_windows1252_bodies_are_decoded() {
        let mut raw =
            b"From: a@x.org\nContent-Type: text/plain; charset=iso-8859-1\n\nCaf\xe9 \xa3100\n"
                .to_vec();
        let m = parse(&raw, &ParseLimits::default()).unwrap();
        assert_eq!(m.text, "Café £100\n");
        raw = b"From: a@x.org\nContent-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n=93quoted=94 =80 5\n".to_vec();
        let m = parse(&raw, &ParseLimits::default()).unwrap();
        assert_eq!(m.text, "\u{201c}quoted\u{201d} € 5\n");
        assert!(m.problems.is_empty(), "{:?}", m.problems);
    }

    #[test]
    fn unknown_charset_is_a_problem_not_a_failure() {
        let m = ok("From: a@x.org\nContent-Type: text/plain; charset=x-klingon\n\nhello\n");
        assert_eq!(m.text, "hello\n");
        assert!(
            m.problems.iter().any(|p| p.contains("x-klingon")),
            "{:?}",
            m.problems
        );
    }

    #[test]
    fn multipart_alternative_is_one_text() {
        let m = ok("From: a@x.org\nMIME-Version: 1.0\n\
             Content-Type: multipart/alternative; boundary=\"b1\"\n\n\
             --b1\nContent-Type: text/plain; charset=utf-8\n\nThe bins were missed.\n\
             --b1\nContent-Type: text/html; charset=utf-8\n\n<p>The bins were missed.</p>\n\
             --b1--\n");
        assert_eq!(
            m.text.matches("bins were missed").count(),
            1,
            "{:?}",
            m.text
        );
        assert!(!m.html_only);
    }

    #[test]
    fn html_only_body_becomes_text() {
        let m = ok("From: a@x.org\nContent-Type: text/html\n\n\
             <html><head><style>p{color:red}</style></head><body><p>No heating &amp; no water.</p><br>Jo</body></html>\n");
        assert!(m.html_only);
        assert!(m.text.contains("No heating & no water."), "{:?}", m.text);
        assert!(!m.text.contains("color"));
        assert!(!m.text.contains('<'));
    }

    #[test]
    fn inline_parts_joined_and_attached_message_excluded() {
        let m = ok("From: victim@x.org\nSubject: look\n\
             Content-Type: multipart/mixed; boundary=\"m\"\n\n\
             --m\nContent-Type: text/plain\n\nPlease help, see attached.\n\
             --m\nContent-Type: message/rfc822\n\n\
             From: bad@y.org\nSubject: you\n\nI will burn your house down.\n\
             --m\nContent-Type: application/pdf; name=\"evidence.pdf\"\n\
             Content-Disposition: attachment; filename=\"evidence.pdf\"\n\
             Content-Transfer-Encoding: base64\n\nJVBERi0=\n\
             --m\nContent-Type: text/plain\nContent-Disposition: inline\n\nSecond note.\n\
             --m--\n");
        assert!(m.text.contains("Please help"));
        assert!(m.text.contains("Second note."));
        assert!(m.text.contains("attached.\n\n\nSecond") || m.text.contains("\n\nSecond"));
        assert!(!m.text.contains("burn"), "{:?}", m.text);
        assert!(m.attachment_names.contains(&"evidence.pdf".to_string()));
    }

    #[test]
    fn crlf_becomes_lf_and_segments_are_filled() {
        let m = ok("From: a@x.org\r\n\r\nMy reply\r\n\r\nOn Mon, 3 Nov 2025 at 10:02, Officer <o@council.gov.uk> wrote:\r\n> old\r\n");
        assert!(!m.text.contains('\r'));
        assert_eq!(m.own_text(), "My reply");
        assert_eq!(m.quoted_authors, ["o@council.gov.uk"]);
        assert_covers(&m);
    }

    #[test]
    fn unparseable_inputs() {
        assert_eq!(reason(b""), "empty message");
        assert_eq!(reason(b"  \r\n\t\n"), "empty message");
        assert!(reason(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").contains("binary"));
        assert!(reason(b"From: a@x.org\nSubject: \0\0\0\n\nx").contains("binary"));
        let r = parse(
            b"just some words and no header at all",
            &ParseLimits::default(),
        );
        if let Err(e) = r {
            assert!(!e.reason.is_empty());
        }
    }

    #[test]
    fn leading_blank_lines_are_skipped() {
        let m = ok("   \n\nFrom: a@x.org\nSubject: hi\n\nbody\n");
        assert_eq!(m.from[0].email, "a@x.org");
        assert_eq!(m.text, "body\n");
        assert!(!m.problems.is_empty());
    }

    #[test]
    fn oversize_keeps_headers() {
        let mut raw = b"From: Jo <jo@x.org>\nSubject: big\nMessage-ID: <big@x>\n\n".to_vec();
        raw.extend(std::iter::repeat_n(b'a', 5000));
        let limits = ParseLimits {
            max_message_bytes: 1000,
        };
        assert_same_header_fields(&raw, &limits);
        let err = parse(&raw, &limits).expect_err("over limit");
        assert!(err.reason.contains("over the limit"), "{}", err.reason);
        let partial = err.partial.expect("headers kept");
        assert_eq!(partial.from[0].email, "jo@x.org");
        assert_eq!(partial.subject, "big");
        assert_eq!(partial.message_id.as_deref(), Some("big@x"));
        assert!(partial.text.is_empty());
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let inputs: [&[u8]; 8] = [
            b"From:",
            b":",
            b"\n\n\n\nFrom: a@x.org",
            b"Content-Type: multipart/mixed; boundary=x\n\n--x\n--x\n--x--",
            b"Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\n",
            b"From: a@x.org\nContent-Transfer-Encoding: base64\n\n!!!!",
            b"Subject: =?utf-8?q?=ff=fe?=\n\n\xff\xfe\xfd",
            b"From: a\r\rb\r\r\rc",
        ];
        for raw in inputs {
            assert_same_header_fields(raw, &ParseLimits::default());
            if let Ok(m) = parse(raw, &ParseLimits::default()) {
                assert_covers(&m);
            }
        }
    }

    /// [`parse_header_fields`] gives the header fields `parse` gives (of
    /// the message, or the partial headers of an unparseable one), and no
    /// body.
    fn assert_same_header_fields(raw: &[u8], limits: &ParseLimits) {
        let whole = match parse(raw, limits) {
            Ok(m) => Some(m),
            Err(u) => u.partial.map(|b| *b),
        };
        let headers = parse_header_fields(raw, limits);
        assert!(
            same_header_fields(whole.as_ref(), headers.as_ref()),
            "{whole:?}\n{headers:?}"
        );
        if let Some(h) = headers {
            assert!(h.text.is_empty() && h.segments.is_empty());
        }
    }

    fn assert_covers(m: &ParsedMessage) {
        let mut at = 0;
        for seg in &m.segments {
            assert_eq!(seg.range.start, at, "gap or overlap");
            assert!(m.text.is_char_boundary(seg.range.start));
            assert!(m.text.is_char_boundary(seg.range.end));
            at = seg.range.end;
        }
        assert_eq!(at, m.text.len(), "segments do not reach the end");
    }

    fn testdata() -> Option<PathBuf> {
        let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata");
        [beside, PathBuf::from("/work/shared/testdata")]
            .into_iter()
            .find(|p| p.is_dir())
    }

    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    out.push(path);
                }
            }
        }
        out.sort();
        out
    }

    /// Parse every file under `sub`: no panic, segments cover the text.
    /// Returns (parsed, unparseable reasons with counts).
    fn parse_corpus(sub: &str) -> Option<(usize, BTreeMap<String, usize>)> {
        let Some(root) = testdata() else {
            println!("testdata not found beside the crate or in /work/shared: skipped");
            return None;
        };
        let files = files_under(&root.join(sub));
        let mut parsed = 0;
        let mut reasons = BTreeMap::new();
        for path in &files {
            if path.file_name().is_some_and(|n| n == "README.md") {
                continue;
            }
            let bytes = std::fs::read(path).expect("read test file");
            assert_same_header_fields(&bytes, &ParseLimits::default());
            match parse(&bytes, &ParseLimits::default()) {
                Ok(m) => {
                    assert_covers(&m);
                    parsed += 1;
                }
                Err(e) => {
                    println!("unparseable: {}: {}", path.display(), e.reason);
                    let key = e.reason.split(" of ").next().unwrap_or("").to_string();
                    *reasons.entry(key).or_insert(0) += 1;
                }
            }
        }
        println!("{sub}: {parsed} parsed, unparseable: {reasons:?}");
        Some((parsed, reasons))
    }

    #[test]
    fn parser_torture_never_panics() {
        if let Some((parsed, reasons)) = parse_corpus("parser-torture") {
            assert!(parsed > 500, "only {parsed} parsed; {reasons:?}");
        }
    }

    #[test]
    fn ordinary_ham_parses() {
        if let Some((parsed, reasons)) = parse_corpus("ham/easy-ham-1") {
            let failed: usize = reasons.values().sum();
            assert!(failed * 200 <= parsed, "{failed} failed: {reasons:?}");
        }
    }
}
