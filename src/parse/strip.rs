//! Strip: cut a message's text into the sender's own words and the rest —
//! quoted replies (`>` lines, "On … wrote:", Outlook's "From: … Sent: …"
//! blocks), forwarded messages, signatures and confidentiality footers —
//! keeping byte offsets so every reported span points into the message text.
//!
//! The text is labelled line by line and runs of equal labels become
//! segments, so the segments always cover the text without gaps and start on
//! line (hence char) boundaries. Detection only reads `Own`, so each rule
//! here is written to fail safe both ways: a missed quote makes a victim's
//! quoted threat look like their own words; an over-eager rule hides a real
//! threat. Where a pattern is ambiguous (a prose "On Monday you wrote:"), the
//! rule only fires when the shape is clearly machine-written (a date, a time
//! or an address) or the next line is `>`-quoted.

use aho_corasick::AhoCorasick;
use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKind {
    Own,
    Quoted,
    Forwarded,
    Signature,
    Footer,
    /// The Subject line's own words (see [`super::subject`]): never a
    /// segment of the body text; a hit with this kind has offsets into the
    /// decoded subject, not into the text.
    Subject,
}

impl SegmentKind {
    /// The sender's own words: the body's own segments and the subject.
    pub fn is_own(self) -> bool {
        matches!(self, SegmentKind::Own | SegmentKind::Subject)
    }
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
/// An empty text has no segments.
pub fn strip(text: &str) -> Stripped {
    let lines = split_lines(text);
    let contents: Vec<&str> = lines.iter().map(|l| &text[l.content.clone()]).collect();
    let labels = Labeller::new(&contents).run();
    Stripped {
        segments: merge_segments(&lines, &labels),
        quoted_authors: quoted_authors(&contents, &labels),
    }
}

/// A signature longer than this many non-blank lines is not a signature:
/// the text after it goes back to being the sender's own, so a stray "--"
/// cannot hide a whole message.
const MAX_SIGNATURE_LINES: usize = 12;

/// Attribution lines are short; anything longer is prose.
const MAX_ATTRIBUTION_CHARS: usize = 400;

/// One line of the text: `content` excludes the line break (and a CR before
/// it); `full` includes it.
struct Line {
    content: Range<usize>,
    full: Range<usize>,
}

fn split_lines(text: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let (end, next) = match text[start..].find('\n') {
            Some(p) => (start + p, start + p + 1),
            None => (text.len(), text.len()),
        };
        let content_end = if text[start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        lines.push(Line {
            content: start..content_end,
            full: start..next,
        });
        start = next;
    }
    lines
}

fn merge_segments(lines: &[Line], labels: &[SegmentKind]) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    for (line, &kind) in lines.iter().zip(labels) {
        match segments.last_mut() {
            Some(last) if last.kind == kind => last.range.end = line.full.end,
            _ => segments.push(Segment {
                kind,
                range: line.full.clone(),
            }),
        }
    }
    segments
}

// ---------------------------------------------------------------- patterns

/// `>` quoting at any depth, also Supercite's "JM> " initials prefix.
/// [`is_quoted`] reads it without the regex; this is what it is checked against.
#[cfg(test)]
static QUOTED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*(?:[A-Za-z]{1,4})?>").unwrap());

/// "---------- Forwarded message ---------" (Gmail), "-------- Forwarded
/// Message --------" / "-------- Original Message --------" (Thunderbird's
/// inline forward: six dashes or more; Outlook Express's five-dash form is
/// a reply, see [`ORIGINAL_MESSAGE`]), "----- Forwarded by Jo/Org on … -----" (Notes),
/// "Begin forwarded message:" (Apple), and a few translations.
static FORWARD_MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\s*(?:
            -{2,}\s*(?:forwarded\s+message|message\s+transf[ée]r[ée]|weitergeleitete\s+nachricht
                      |mensaje\s+reenviado)\s*-*
          | -{6,}\s*original\s+message\s*-{6,}
          | -{2,}\s*forwarded\s+by\b.*
          | begin\s+forwarded\s+message\s*:?
          | -{2,}\s*begin\s+forwarded\s+(?:text|message)\s*-*
          | forwarded\s+message\s*:
        )\s*$",
    )
    .unwrap()
});

/// Outlook's "-----Original Message-----" and Outlook Express's
/// "----- Original Message -----": a reply unless the header block below
/// says FW.
static ORIGINAL_MESSAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*-{3,}\s*original\s+message\s*-{3,}\s*$").unwrap());

/// A header line in a quoted/forwarded header block. `*From:*` appears when
/// Outlook HTML is turned into text.
static HEADER_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*\*{0,2}(from|sent|date|to|cc|bcc|subject|reply-to|importance|de|envoy[ée]|[àa]|objet|von|gesendet|an|betreff|datum)\s*\*{0,2}\s*:",
    )
    .unwrap()
});

static SEPARATOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[-_=*~#]\s*){3,}$").unwrap());

/// "On <date>, <name> <addr> wrote:" and its French and German forms.
static ATTRIBUTION_ON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:on\s.+\b(?:wrote|writes|mentioned|replied)\s*:|le\s.+\sa\s+[ée]crit\s*:|am\s.+\bschrieb\b.{0,120}:)\s*$",
    )
    .unwrap()
});

/// Lines that may begin a wrapped "On …" attribution.
static ATTRIBUTION_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?:on|le|am)\s").unwrap());

/// "<name> wrote:" without a date.
static ATTRIBUTION_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*\S.{0,120}\b(?:wrote|writes|said)\*?\s*:\s*$").unwrap());

/// What makes an attribution machine-written rather than prose: an address
/// or a time of day. (A date alone is not enough: "On 3 March 2025 your
/// officer wrote:" followed by the sender's own reply is ordinary prose.)
static MACHINE_MARK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"@|\b\d{1,2}:\d{2}\b").unwrap());

static SIG_DELIMITER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^--\s?$").unwrap());

/// Mobile and webmail footers. Word counts are capped so that a sentence
/// starting "Sent from my phone because…" stays the sender's own.
static MOBILE_FOOTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:sent\s+(?:from|with|via|using)\s+(?:my\s+)?\S+(?:\s+\S+){0,3}|get\s+outlook\s+for\s+\S+)\s*$",
    )
    .unwrap()
});

/// The first line(s) of a confidentiality, legal or scanning footer.
static FOOTER_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\W{0,3}(?:
            disclaimer\b
          | confidentiality\s*(?:notice|statement|warning|:)
          | (?:important|legal)\s+notice\b
          | this\s+(?:e-?mail|message|communication|transmission)\b.{0,100}?\b(?:is|are|may\s+be|may\s+contain|contains?)\s+(?:strictly\s+)?(?:confidential|privileged|private|intended|for\s+the)
          | the\s+information\s+(?:contained\s+)?in\s+this\s+(?:e-?mail|message|communication|transmission)
          | if\s+you\s+(?:are\s+not|have\s+received).{0,80}?(?:intended\s+recipient|addressee|in\s+error)
          | this\s+(?:e-?mail|message)\s+(?:has\s+been|was)\s+(?:scanned|checked|swept)
          | (?:any\s+)?views\s+(?:or|and)\s+opinions\s+(?:expressed|presented|contained)
          | please\s+consider\s+the\s+environment
          | (?:e-?mails?|communications?)\b.{0,80}?\bmay\s+be\s+(?:monitored|recorded|intercepted)
        )",
    )
    .unwrap()
});

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+").unwrap());

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// [`QUOTED`] without the regex: after the white space, `>` right away or
/// after one to four ASCII letters. (More letters cannot be the prefix, and
/// leaving white space out cannot help, as the next character would be white
/// space, neither a letter nor `>`.)
fn is_quoted(line: &str) -> bool {
    let rest = line.trim_start().as_bytes();
    let letters = rest
        .iter()
        .take(5)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    letters <= 4 && rest.get(letters) == Some(&b'>')
}

// ------------------------------------------------------------------ screens
//
// Every line is tried against several patterns, and nearly every line
// matches none. Each pattern starts `^\s*` (or `^--`) and then a character
// from a short list, or needs a byte such as `>` or `:` somewhere in the
// line, so a check of the line's first byte after its white space, or one
// `memchr`, rules most lines out before the regex runs. A screen only says
// "cannot match": a line it lets through is still decided by the regex.

/// The first byte of `line` after its leading white space, `None` for a
/// blank line. `trim_start` strips what `char::is_whitespace` calls white
/// space, Unicode's `White_Space`, which is what the regexes' `\s` matches.
fn lead(line: &str) -> Option<u8> {
    line.trim_start().as_bytes().first().copied()
}

/// Can a pattern whose first character after `^\s*` is one of `first`
/// (ASCII; both cases listed where the pattern ignores case) match `line`?
/// A non-ASCII first character is always let through: under `(?i)` the
/// regexes take `ſ` for `s` and the Kelvin sign for `k`
/// (`white_space_and_case_folding_as_the_screens_assume`).
fn may_lead(line: &str, first: &[u8]) -> bool {
    lead(line).is_some_and(|b| b >= 0x80 || first.contains(&b))
}

// ------------------------------------------------------------ block shapes

/// A header block ("From: … / Sent: … / To: … / Subject: …").
struct HeaderBlock {
    /// Index of its last line.
    last: usize,
    keys: Vec<String>,
    /// The Subject says FW:/Fwd:, so the block is a forward, not a reply.
    forward: bool,
}

impl HeaderBlock {
    fn has(&self, keys: &[&str]) -> bool {
        keys.iter().any(|k| self.keys.iter().any(|have| have == k))
    }
    /// The Outlook shape: From, Sent or Date, and To or Subject (any language).
    fn is_outlook(&self) -> bool {
        self.has(&["from", "de", "von"])
            && self.has(&["sent", "date", "envoyé", "envoye", "gesendet", "datum"])
            && self.has(&["to", "subject", "cc", "à", "a", "objet", "an", "betreff"])
    }
}

/// Read the header block starting at line `i`. Blank lines inside are
/// allowed (HTML turned into text puts them between fields), as are wrapped
/// To/Cc lists right after a To/Cc line.
fn header_block(lines: &[&str], i: usize) -> Option<HeaderBlock> {
    let mut keys = Vec::new();
    let mut forward = false;
    let mut last = None;
    let mut blanks = 0;
    let mut prev_key = String::new();
    for (j, line) in lines.iter().enumerate().skip(i).take(24) {
        if is_blank(line) {
            blanks += 1;
            if blanks > 1 {
                break;
            }
            continue;
        }
        blanks = 0;
        if let Some(c) = header_line(line) {
            let key = c[1].to_lowercase();
            if keys.contains(&key) {
                // A second From (or To…) is a new block, not this one.
                break;
            }
            if key == "subject" || key == "objet" || key == "betreff" {
                let value = line[c.get(0).map_or(0, |m| m.end())..].trim_start();
                let value = value.trim_start_matches(['*', ' ']).to_lowercase();
                forward = value.starts_with("fw:") || value.starts_with("fwd:");
            }
            prev_key.clone_from(&key);
            keys.push(key);
            last = Some(j);
        } else if matches!(prev_key.as_str(), "to" | "cc" | "bcc") && last == Some(j - 1) {
            last = Some(j);
        } else {
            break;
        }
    }
    Some(HeaderBlock {
        last: last?,
        keys,
        forward,
    })
}

/// An attribution starting at line `i`: the number of lines it spans and
/// whether it is machine-written. Gmail wraps long ones over two lines, so
/// up to three lines are joined.
fn attribution(lines: &[&str], i: usize) -> Option<(usize, bool)> {
    let first = lines[i];
    if first.len() > MAX_ATTRIBUTION_CHARS {
        return None;
    }
    // A one-line attribution ends in `:` (then white space at most) and
    // names its verb; a wrapped one starts "On", "Le" or "Am" (an anchored
    // regex that stops within a few bytes) and has a digit or `@` on its
    // first line. Most lines end in no `:` and have no verb: the regexes
    // that read the whole line do not run on them.
    let names_a_verb = first.trim_end().ends_with(':') && may_name_a_verb(first);
    if names_a_verb && ATTRIBUTION_ON.is_match(first) {
        return Some((1, MACHINE_MARK.is_match(first)));
    }
    if starts_attribution(first) && first.bytes().any(|b| b.is_ascii_digit() || b == b'@') {
        let mut joined = first.trim_end().to_string();
        for (n, next) in lines.iter().enumerate().skip(i + 1).take(2) {
            if is_blank(next) || is_quoted(next) {
                break;
            }
            joined.push(' ');
            joined.push_str(next.trim());
            if joined.len() > MAX_ATTRIBUTION_CHARS {
                break;
            }
            if ATTRIBUTION_ON.is_match(&joined) {
                return Some((n - i + 1, MACHINE_MARK.is_match(&joined)));
            }
        }
    }
    if names_a_verb && ATTRIBUTION_NAME.is_match(first) {
        return Some((1, first.contains('@')));
    }
    None
}

/// The verbs [`ATTRIBUTION_ON`] and [`ATTRIBUTION_NAME`] need, as ASCII
/// text in any case. A line holding none of them, all ASCII, matches
/// neither; a line with a non-ASCII character is left to the regexes (their
/// case folding also takes `ſ` for `s` and `K` for `k`).
fn may_name_a_verb(line: &str) -> bool {
    static VERBS: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build([
                "wrote",
                "writes",
                "mentioned",
                "replied",
                "crit",
                "schrieb",
                "said",
            ])
            .expect("fixed words build")
    });
    !line.is_ascii() || VERBS.is_match(line)
}

/// The first non-blank line at or after `i` is `>`-quoted.
fn quote_follows(lines: &[&str], i: usize) -> bool {
    next_text_line(lines, i).is_some_and(is_quoted)
}

/// The first non-blank line at or after `i` is `|`-quoted (old Gnus style).
fn bar_quote_follows(lines: &[&str], i: usize) -> bool {
    next_text_line(lines, i).is_some_and(is_bar_quoted)
}

fn next_text_line<'a>(lines: &[&'a str], i: usize) -> Option<&'a str> {
    lines.iter().skip(i).find(|l| !is_blank(l)).copied()
}

fn is_bar_quoted(line: &str) -> bool {
    line.trim_start().starts_with('|')
}

/// A "From:" header line (any language): the start of an Outlook block.
///
/// The field name [`HEADER_LINE`] captures starts right after the line's
/// white space and at most two `*`, so a line whose name cannot start with
/// `f`, `d` or `v` is no From line: that screen comes before the regex. The
/// captured name is then compared ignoring ASCII case, not lower-cased into
/// a new string: the same answer, as "from", "de" and "von" are ASCII and
/// hold no `k` (the one ASCII letter a non-ASCII character, the Kelvin sign,
/// lower-cases to).
fn from_line(line: &str) -> bool {
    if !may_name_from(line) {
        return false;
    }
    header_line(line).is_some_and(|c| {
        let name = c[1].as_bytes();
        [&b"from"[..], b"de", b"von"]
            .iter()
            .any(|w| name.eq_ignore_ascii_case(w))
    })
}

/// Can [`HEADER_LINE`]'s field name on this line be "from", "de" or "von"
/// in some case? Its first character, after the white space and up to two
/// `*`, must be `f`, `d` or `v` (either case), or non-ASCII (let through,
/// as in [`may_lead`]).
fn may_name_from(line: &str) -> bool {
    let rest = line.trim_start().as_bytes();
    let stars = rest.iter().take(2).take_while(|&&b| b == b'*').count();
    rest.get(stars)
        .is_some_and(|&b| b >= 0x80 || b"FfDdVv".contains(&b))
}

/// [`HEADER_LINE`]'s captures in `line`.
fn header_line(line: &str) -> Option<regex::Captures<'_>> {
    may_be_header_line(line)
        .then(|| HEADER_LINE.captures(line))
        .flatten()
}

/// [`HEADER_LINE`] needs a `:`, and its line starts (after white space) with
/// `*` or the first letter of a field name.
fn may_be_header_line(line: &str) -> bool {
    may_lead(line, b"*FSDTCBRIEAOVGfsdtcbrieaovg")
        && memchr::memchr(b':', line.as_bytes()).is_some()
}

fn is_forward_marker(line: &str) -> bool {
    may_lead(line, b"-BbFf") && FORWARD_MARKER.is_match(line)
}

fn is_original_message(line: &str) -> bool {
    may_lead(line, b"-") && ORIGINAL_MESSAGE.is_match(line)
}

fn is_header_line(line: &str) -> bool {
    may_be_header_line(line) && HEADER_LINE.is_match(line)
}

fn starts_attribution(line: &str) -> bool {
    may_lead(line, b"OoLlAa") && ATTRIBUTION_START.is_match(line)
}

fn is_mobile_footer(line: &str) -> bool {
    may_lead(line, b"SsGg") && MOBILE_FOOTER.is_match(line)
}

fn is_separator(line: &str) -> bool {
    may_lead(line, b"-_=*~#") && SEPARATOR.is_match(line)
}

fn is_sig_delimiter(line: &str) -> bool {
    line.starts_with("--") && SIG_DELIMITER.is_match(line)
}

fn is_paragraph_start(lines: &[&str], i: usize) -> bool {
    i == 0 || is_blank(lines[i - 1]) || is_separator(lines[i - 1])
}

/// Does a footer start at `i`? Footer phrases wrap, so the line is read
/// together with the next one.
/// `joined` is scratch space, kept by the caller so that the lines are not
/// copied into a new string at every paragraph; a line with no text after
/// it is matched as it is.
fn footer_starts(lines: &[&str], i: usize, joined: &mut String) -> bool {
    let Some(next) = lines.get(i + 1).filter(|l| !is_blank(l)) else {
        return FOOTER_START.is_match(lines[i].trim());
    };
    joined.clear();
    joined.push_str(lines[i].trim());
    joined.push(' ');
    joined.push_str(next.trim());
    FOOTER_START.is_match(joined)
}

// ---------------------------------------------------------------- labeller

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    /// Inside a signature with this many non-blank lines still allowed.
    Signature(usize),
    Footer,
}

/// What a structural marker at a line does.
enum Block {
    /// Everything from `start` to the end is of this kind.
    ToEnd(usize, SegmentKind),
    /// Lines `start..end` are of this kind; labelling resumes after them
    /// (the reply is interleaved with `>` quotes).
    Span(usize, usize, SegmentKind),
}

struct Labeller<'a> {
    lines: &'a [&'a str],
    labels: Vec<SegmentKind>,
    mode: Mode,
    seen_own: bool,
    /// An attribution was followed by `|`-quoted lines, so `|` quotes too.
    bar_quotes: bool,
    /// Scratch for [`footer_starts`].
    joined: String,
}

impl<'a> Labeller<'a> {
    fn new(lines: &'a [&'a str]) -> Self {
        Labeller {
            lines,
            labels: Vec::with_capacity(lines.len()),
            mode: Mode::Normal,
            seen_own: false,
            bar_quotes: false,
            joined: String::new(),
        }
    }

    fn run(mut self) -> Vec<SegmentKind> {
        let n = self.lines.len();
        while self.labels.len() < n {
            let i = self.labels.len();
            match self.block_at(i) {
                Some(Block::ToEnd(start, kind)) => {
                    self.pull_back_separator(start, kind);
                    self.labels.resize(n, kind);
                }
                Some(Block::Span(start, end, kind)) => {
                    self.pull_back_separator(start, kind);
                    self.labels.resize(end, kind);
                    self.mode = Mode::Normal;
                }
                None => {
                    let kind = self.line_kind(i);
                    self.labels.push(kind);
                }
            }
        }
        self.labels
    }

    /// A forward marker, a reply header block or an attribution at `i`.
    fn block_at(&mut self, i: usize) -> Option<Block> {
        let lines = self.lines;
        let line = lines[i];
        if is_blank(line) {
            return None;
        }
        if is_forward_marker(line) {
            return Some(Block::ToEnd(i, SegmentKind::Forwarded));
        }
        if is_original_message(line) {
            let forward = header_block(lines, i + 1).is_some_and(|b| b.forward);
            return Some(Block::ToEnd(i, reply_or_forward(forward)));
        }
        if let Some(block) = from_line(line)
            .then(|| header_block(lines, i))
            .flatten()
            .filter(|b| b.is_outlook())
        {
            let kind = reply_or_forward(block.forward);
            return Some(if quote_follows(lines, block.last + 1) {
                Block::Span(i, block.last + 1, kind)
            } else {
                Block::ToEnd(i, kind)
            });
        }
        if is_quoted(line) {
            return None;
        }
        let (len, machine) = attribution(lines, i)?;
        if bar_quote_follows(lines, i + len) {
            self.bar_quotes = true;
        }
        if self.bar_quotes || quote_follows(lines, i + len) {
            Some(Block::Span(i, i + len, SegmentKind::Quoted))
        } else if machine {
            Some(Block::ToEnd(i, SegmentKind::Quoted))
        } else {
            None
        }
    }

    /// The label of an ordinary line, given the current mode.
    fn line_kind(&mut self, i: usize) -> SegmentKind {
        let line = self.lines[i];
        if is_blank(line) {
            // A blank line belongs with what precedes it.
            return self.labels.last().copied().unwrap_or(SegmentKind::Own);
        }
        if is_quoted(line) || (self.bar_quotes && is_bar_quoted(line)) {
            self.mode = Mode::Normal;
            return SegmentKind::Quoted;
        }
        match self.mode {
            Mode::Signature(left) if left > 0 => {
                self.mode = Mode::Signature(left - 1);
                return SegmentKind::Signature;
            }
            Mode::Footer => return SegmentKind::Footer,
            _ => self.mode = Mode::Normal,
        }
        if is_sig_delimiter(line) {
            self.mode = Mode::Signature(MAX_SIGNATURE_LINES);
            return SegmentKind::Signature;
        }
        if is_mobile_footer(line) {
            return SegmentKind::Signature;
        }
        // A footer needs some own words above it: a message that *starts*
        // "This email is confidential." is more likely prose than boilerplate.
        if self.seen_own
            && is_paragraph_start(self.lines, i)
            && footer_starts(self.lines, i, &mut self.joined)
        {
            self.mode = Mode::Footer;
            self.pull_back_separator(i, SegmentKind::Footer);
            return SegmentKind::Footer;
        }
        self.seen_own = true;
        SegmentKind::Own
    }

    /// A separator line ("________", "-----") just above a block belongs to
    /// the block, with the blank lines between them.
    fn pull_back_separator(&mut self, start: usize, kind: SegmentKind) {
        let mut j = start;
        while j > 0 && is_blank(self.lines[j - 1]) {
            j -= 1;
        }
        if j > 0 && is_separator(self.lines[j - 1]) && !is_sig_delimiter(self.lines[j - 1]) {
            for label in &mut self.labels[j - 1..start] {
                *label = kind;
            }
        }
    }
}

fn reply_or_forward(forward: bool) -> SegmentKind {
    if forward {
        SegmentKind::Forwarded
    } else {
        SegmentKind::Quoted
    }
}

// ----------------------------------------------------------- quoted authors

/// Addresses in attribution lines and in From: lines of quoted or forwarded
/// header blocks, at any quoting depth, lower-cased, first-seen order.
fn quoted_authors(lines: &[&str], labels: &[SegmentKind]) -> Vec<String> {
    if labels.iter().all(|&kind| kind == SegmentKind::Own) {
        return Vec::new();
    }
    let dequoted: Vec<&str> = lines.iter().map(|l| dequote(l)).collect();
    let mut authors: Vec<String> = Vec::new();
    let mut i = 0;
    while i < dequoted.len() {
        let mut span = 1;
        if labels[i] != SegmentKind::Own && !is_blank(dequoted[i]) {
            let author_lines = author_lines_at(&dequoted, i);
            for line in &dequoted[i..i + author_lines] {
                for m in EMAIL.find_iter(line) {
                    let email = m.as_str().to_lowercase();
                    if !authors.contains(&email) {
                        authors.push(email);
                    }
                }
            }
            span = author_lines.max(1);
        }
        i += span;
    }
    authors
}

/// How many lines from `i` name an author (0 when none): a From: header
/// line or an attribution.
fn author_lines_at(lines: &[&str], i: usize) -> usize {
    if is_header_line(lines[i]) {
        return usize::from(from_line(lines[i]));
    }
    attribution(lines, i).map_or(0, |(n, _)| n)
}

fn dequote(line: &str) -> &str {
    line.trim_start_matches(|c: char| c == '>' || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;
    use SegmentKind::*;

    /// The kinds of the segments holding `needle` (by first occurrence).
    fn kind_of(text: &str, s: &Stripped, needle: &str) -> SegmentKind {
        let at = text.find(needle).expect("needle in text");
        s.segments
            .iter()
            .find(|seg| seg.range.contains(&at))
            .map(|seg| seg.kind)
            .expect("covered")
    }

    fn own(text: &str, s: &Stripped) -> String {
        s.segments
            .iter()
            .filter(|seg| seg.kind == Own)
            .map(|seg| &text[seg.range.clone()])
            .collect()
    }

    fn assert_covers(text: &str, s: &Stripped) {
        let mut at = 0;
        for seg in &s.segments {
            assert_eq!(seg.range.start, at, "gap or overlap at {at}");
            assert!(seg.range.end > seg.range.start);
            assert!(text.is_char_boundary(seg.range.start));
            assert!(text.is_char_boundary(seg.range.end));
            at = seg.range.end;
        }
        assert_eq!(at, text.len());
    }

    fn check(text: &str) -> Stripped {
        let s = strip(text);
        assert_covers(text, &s);
        s
    }

    #[test]
    fn empty_text_has_no_segments() {
        assert!(check("").segments.is_empty());
    }

    #[test]
    fn plain_text_is_all_own() {
        let t = "Dear council,\nThe bins were not collected.\nRegards, Jo";
        let s = check(t);
        assert_eq!(s.segments.len(), 1);
        assert_eq!(s.segments[0].kind, Own);
        assert!(s.quoted_authors.is_empty());
    }

    #[test]
    fn victim_forwarding_abuse_keeps_plea_own_and_threat_forwarded() {
        let t = "Please help, look what my neighbour sent me:\n\n\
                 ---------- Forwarded message ---------\n\
                 From: Bad Neighbour <bad.neighbour@example.com>\n\
                 Date: Mon, 3 Nov 2025 at 22:14\n\
                 Subject: you\n\
                 To: <victim@example.org>\n\n\
                 I know where you live and I will burn your house down.\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "Please help"), Own);
        assert_eq!(kind_of(t, &s, "I know where you live"), Forwarded);
        assert_eq!(kind_of(t, &s, "---------- Forwarded"), Forwarded);
        assert!(!own(t, &s).contains("burn"));
        assert_eq!(s.quoted_authors, vec!["bad.neighbour@example.com"]);
    }

    #[test]
    fn apple_and_notes_forward_markers() {
        let t = "FYI\n\nBegin forwarded message:\n\n> From: A <a@x.org>\n> Subject: hi\n\n> kill\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "FYI"), Own);
        assert_eq!(kind_of(t, &s, "Begin"), Forwarded);
        assert_eq!(s.quoted_authors, vec!["a@x.org"]);
        let t = "See below.\n\n----- Forwarded by Jo Bloggs/Housing/Council on 03/11/2025 10:02 -----\n\nabuse here\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "abuse here"), Forwarded);
        let t = "Reply\n\n----- Original Message -----\nFrom: \"A\" <a@x.org>\nTo: b@y.org\nSent: Monday\nSubject: Re: hi\n\nold\n";
        assert_eq!(kind_of(t, &check(t), "old"), Quoted);
        let t = "Look\n\n-------- Original Message --------\nSubject: x\nDate: 3 Nov 2025\nFrom: b@y.org\n\nthreat\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "threat"), Forwarded);
        assert_eq!(s.quoted_authors, vec!["b@y.org"]);
    }

    #[test]
    fn outlook_reply_block_is_quoted() {
        let t = "I still have no heating. Fix it.\n\n\
                 ________________________________\n\
                 From: Housing Team <housing@council.gov.uk>\n\
                 Sent: 03 November 2025 10:02\n\
                 To: Jo Bloggs <jo@example.com>\n\
                 Subject: RE: Repairs\n\n\
                 Dear Mr Bloggs, we will visit on Friday.\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "I still have"), Own);
        assert_eq!(kind_of(t, &s, "____"), Quoted);
        assert_eq!(kind_of(t, &s, "Dear Mr Bloggs"), Quoted);
        assert_eq!(s.quoted_authors, vec!["housing@council.gov.uk"]);
        assert_eq!(own(t, &s).trim(), "I still have no heating. Fix it.");
    }

    #[test]
    fn outlook_original_message_and_date_variant() {
        let t = "Reply text\n\n-----Original Message-----\nFrom: A [mailto:a@x.org]\nSent: Monday\nTo: B\nSubject: Re: x\n\nold text\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "old text"), Quoted);
        assert_eq!(s.quoted_authors, vec!["a@x.org"]);
        let t = "Reply\n\nFrom: A <a@x.org>\nDate: Mon, 3 Nov 2025\nSubject: hello\n\nold\n";
        assert_eq!(kind_of(t, &check(t), "old"), Quoted);
    }

    #[test]
    fn outlook_forward_is_forwarded() {
        let t = "Please see what he sent.\n\nFrom: Bad <bad@x.org>\nSent: 03 November 2025 22:00\nTo: Me <me@y.org>\nSubject: FW: you\n\nI will hurt you.\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "Please see"), Own);
        assert_eq!(kind_of(t, &s, "I will hurt"), Forwarded);
    }

    #[test]
    fn gmail_reply_two_line_attribution() {
        let t = "Thanks, that's fine.\n\nOn Mon, 3 Nov 2025 at 10:02, Jo Bloggs <\njo@example.org> wrote:\n\n> I will come down there.\n> Jo\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "Thanks"), Own);
        assert_eq!(kind_of(t, &s, "On Mon"), Quoted);
        assert_eq!(kind_of(t, &s, "jo@example.org> wrote"), Quoted);
        assert_eq!(kind_of(t, &s, "I will come"), Quoted);
        assert_eq!(s.quoted_authors, vec!["jo@example.org"]);
        let t = "Ok\n\nOn Mon, Nov 3, 2025 at 10:02 AM Jo Bloggs <jo@example.org>\nwrote:\n\nquoted without markers\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "quoted without"), Quoted);
        assert_eq!(s.quoted_authors, vec!["jo@example.org"]);
    }

    #[test]
    fn attribution_variants() {
        for attr in [
            "On 03/11/2025 10:02, Jo Bloggs wrote:",
            "On Mon, 3 Nov 2025 at 10:02, Jo Bloggs <jo@x.org> wrote:",
            "Jo Bloggs <jo@x.org> wrote:",
            "Le lun. 3 nov. 2025 à 10:02, Jo <jo@x.org> a écrit :",
            // The verb screen is case-blind, and leaves non-ASCII lines to
            // the regexes, whose case folding reads `ſ` as `s`.
            "ON MON, 3 NOV 2025 AT 10:02, JO BLOGGS <JO@X.ORG> WROTE:",
            "Jo Bloggs <jo@x.org> writeſ:",
            "On 03/11/2025 10:02, Jo Bloggs\n<jo@x.org> wrote:",
        ] {
            let t = format!("My reply.\n\n{attr}\nquoted body\n");
            let s = check(&t);
            assert_eq!(kind_of(&t, &s, "quoted body"), Quoted, "{attr}");
            assert_eq!(kind_of(&t, &s, "My reply"), Own, "{attr}");
        }
    }

    #[test]
    fn prose_wrote_is_not_an_attribution() {
        let t = "On Monday you wrote:\nthat you would fix it. You lied and I will sue.\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "You lied"), Own);
        let t = "As I wrote:\nthe roof leaks.\n";
        assert_eq!(kind_of(t, &check(t), "the roof"), Own);
    }

    #[test]
    fn interleaved_quotes_keep_own_paragraphs() {
        let t = "On Mon, 3 Nov 2025, Officer <o@council.gov.uk> wrote:\n> We cannot help.\n\nThat is not good enough.\n\n> Regards\n\nI'll see you in court.\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "On Mon"), Quoted);
        assert_eq!(kind_of(t, &s, "We cannot"), Quoted);
        assert_eq!(kind_of(t, &s, "That is not"), Own);
        assert_eq!(kind_of(t, &s, "> Regards"), Quoted);
        assert_eq!(kind_of(t, &s, "I'll see you"), Own);
    }

    #[test]
    fn bar_quoting_after_attribution() {
        let t =
            "Vincent wrote:\n| Justin wrote:\n|> question\n  :-)\n|\n\nMailman ;-)\n| more quote\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "Vincent"), Quoted);
        assert_eq!(kind_of(t, &s, "| Justin"), Quoted);
        assert_eq!(kind_of(t, &s, "Mailman"), Own);
        assert_eq!(kind_of(t, &s, "| more"), Quoted);
        let t = "Tuesday, October 1, 2002, 9:54:02 PM, you wrote:\n\nE> old\n\nmine\n";
        assert_eq!(kind_of(t, &check(t), "old"), Quoted);
        assert_eq!(kind_of(t, &check(t), "mine"), Own);
        let t = "| a | table |\n| 1 | 2 |\n";
        assert_eq!(kind_of(t, &check(t), "table"), Own);
    }

    #[test]
    fn said_and_mentioned_attributions() {
        let t = "On Mon, Aug 19, 2002 at 03:08:16PM +0100, John mentioned:\n> boot\n\nOwn.\n";
        assert_eq!(kind_of(t, &check(t), "boot"), Quoted);
        assert_eq!(kind_of(t, &check(t), "On Mon"), Quoted);
        let t = "Hi\n\npeter@x.ie said:\nold words\n";
        assert_eq!(kind_of(t, &check(t), "old words"), Quoted);
        let t = "Hi\n\nThe officer said:\nwe will fix it. You are liars.\n";
        assert_eq!(kind_of(t, &check(t), "liars"), Own);
        let t =
            "On 3 March 2025 your officer wrote:\nwe will fix it.\n\nYou are all corrupt liars.\n";
        assert_eq!(kind_of(t, &check(t), "liars"), Own);
    }

    #[test]
    fn gt_quoting_any_depth() {
        let t = "New text\n> level one\n>> level two\n > > spaced\nmore own\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "level one"), Quoted);
        assert_eq!(kind_of(t, &s, "level two"), Quoted);
        assert_eq!(kind_of(t, &s, "spaced"), Quoted);
        assert_eq!(kind_of(t, &s, "more own"), Own);
    }

    #[test]
    fn signature_and_footer() {
        let t = "The streetlight is out again.\n\n-- \nJo Bloggs\n12 High Street\n\n\
                 This email and any attachments are confidential and intended solely for the addressee.\n\
                 If you are not the intended recipient please delete it.\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "The streetlight"), Own);
        assert_eq!(kind_of(t, &s, "Jo Bloggs"), Signature);
        assert_eq!(kind_of(t, &s, "This email and"), Signature);
        let t = "The streetlight is out again.\nRegards, Jo\n\nDISCLAIMER\nThis message is confidential.\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "Regards, Jo"), Own);
        assert_eq!(kind_of(t, &s, "DISCLAIMER"), Footer);
        assert_eq!(kind_of(t, &s, "This message"), Footer);
        let t = "Please call me.\n\n____\nThis email has been scanned for viruses.\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "____"), Footer);
        assert_eq!(kind_of(t, &s, "scanned"), Footer);
    }

    #[test]
    fn footer_then_quoted_reply() {
        let t = "Reply.\n\nIf you have received this email in error please tell us.\n\nOn 3 Nov 2025, at 10:02, A <a@x.org> wrote:\n\nold\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "If you have"), Footer);
        assert_eq!(kind_of(t, &s, "old"), Quoted);
    }

    #[test]
    fn confidential_opening_is_not_a_footer() {
        let t = "This email is confidential. I will hurt the officer.\n";
        assert_eq!(kind_of(t, &check(t), "I will hurt"), Own);
    }

    #[test]
    fn mobile_footer_is_signature() {
        let t = "On my way.\n\nSent from my iPhone\n";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "Sent from"), Signature);
        assert_eq!(kind_of(t, &s, "On my way"), Own);
        let t = "Sent from my phone because I am going to smash your windows\n";
        assert_eq!(kind_of(t, &check(t), "smash"), Own);
        let t = "Hi\nGet Outlook for iOS\n";
        assert_eq!(kind_of(t, &check(t), "Get Outlook"), Signature);
    }

    #[test]
    fn long_signature_falls_back_to_own() {
        let mut t = String::from("Hello\n--\n");
        for n in 0..20 {
            t.push_str(&format!("line {n}\n"));
        }
        let s = check(&t);
        assert_eq!(kind_of(&t, &s, "line 0\n"), Signature);
        assert_eq!(kind_of(&t, &s, "line 19"), Own);
    }

    /// The screens assume the regexes' `\s` is `char::is_whitespace` and
    /// that, under `(?i)`, no non-ASCII character but `ſ` and the Kelvin
    /// sign matches an ASCII letter. Checked over every character.
    #[test]
    fn white_space_and_case_folding_as_the_screens_assume() {
        let all: String = (0x80..=0x10FFFF).filter_map(char::from_u32).collect();
        let folded: Vec<char> = Regex::new("(?i)[a-z]")
            .unwrap()
            .find_iter(&all)
            .flat_map(|m| m.as_str().chars())
            .collect();
        assert_eq!(folded, ['\u{17F}', '\u{212A}']);
        let all: String = (0..=0x10FFFF).filter_map(char::from_u32).collect();
        let spaces: Vec<char> = Regex::new(r"\s")
            .unwrap()
            .find_iter(&all)
            .flat_map(|m| m.as_str().chars())
            .collect();
        let white: Vec<char> = all.chars().filter(|c| c.is_whitespace()).collect();
        assert_eq!(spaces, white);
    }

    /// Each screened check says what its regex alone says, and every line
    /// one of the attribution regexes matches passes their screens: on
    /// every line of `corpus/train`, `corpus/dev`, the shared test data and
    /// the awkward lines below.
    #[test]
    fn the_screens_agree_with_the_regexes() {
        let mut texts: Vec<String> = [
            "Jo Bloggs <jo@x.org> writeſ:\nJO <JO@X.ORG> WROTE:\nſent from my phone",
            "\u{00A0}\u{2003}> quoted\n\u{2003}From: a@b.c\n\u{3000}-----Original Message-----",
            "\u{00A0}-- forwarded message --\n\u{00A0}sent from my iPhone\nGet Outlook for iOS",
            "\u{00A0}on 3 Nov 2025, Jo <a@b.c> wrote:\nÖn 3 Nov, Jo wrote:\n\u{FEFF}From: x",
            "*From:* a@b.c\n** Subject **: x\nÀm 3.11.2025 schrieb Jo <a@b.c>:\nà: x\n\u{212A}>",
            "ab>\nabcde> x\n  -- \n--\n-- \t\n______\n~ ~ ~\n - - -\n#\t#\t#",
            "Le 3 nov. 2025 à 10:02, Jo <a@b.c> a écrit :\nLE 3 NOV. 2025, JO A ÉCRIT :",
            "Am 3.11.2025 um 10:02 ſchrieb Jo <a@b.c>:\npeter@x.ie ſaid:\nJo sai\u{212A}:",
            "Begin forwarded message:\n---------- Forwarded message ---------\nforwarded message:",
            "**From: a\n***From: a\n * De : a\nVON: a\nfRoM :x\nFröm: a\nDate: a\nDe\u{212A}: a",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = vec![root.join("corpus/train"), root.join("corpus/dev")];
        for shared in ["ham/easy-ham-1", "ham/hard-ham-1", "parser-torture"] {
            let dir = root.join("../shared/testdata").join(shared);
            if dir.is_dir() {
                sources.push(dir);
            }
        }
        for raw in crate::pipeline::read_sources(&sources).unwrap() {
            if let Ok(parsed) = crate::parse::parse(&raw.bytes, &Default::default()) {
                texts.push(parsed.text);
            }
        }
        type Check<'a> = (&'a str, fn(&str) -> bool, &'a Regex);
        let checks: [Check; 8] = [
            ("quoted", is_quoted, &QUOTED),
            ("forward marker", is_forward_marker, &FORWARD_MARKER),
            ("original message", is_original_message, &ORIGINAL_MESSAGE),
            ("header line", is_header_line, &HEADER_LINE),
            ("separator", is_separator, &SEPARATOR),
            ("signature delimiter", is_sig_delimiter, &SIG_DELIMITER),
            ("mobile footer", is_mobile_footer, &MOBILE_FOOTER),
            ("attribution start", starts_attribution, &ATTRIBUTION_START),
        ];
        let mut matched = [0; 8];
        for text in &texts {
            for line in split_lines(text) {
                let line = &text[line.content.clone()];
                for (n, (name, screened, regex)) in checks.iter().enumerate() {
                    let expected = regex.is_match(line);
                    assert_eq!(screened(line), expected, "{name}: {line:?}");
                    matched[n] += usize::from(expected);
                }
                if ATTRIBUTION_ON.is_match(line) || ATTRIBUTION_NAME.is_match(line) {
                    assert!(line.trim_end().ends_with(':'), "{line:?}");
                    assert!(may_name_a_verb(line), "no verb found: {line:?}");
                }
                let from = HEADER_LINE
                    .captures(line)
                    .is_some_and(|c| matches!(c[1].to_lowercase().as_str(), "from" | "de" | "von"));
                assert_eq!(from_line(line), from, "{line:?}");
            }
        }
        // Each check met lines it matches, so the comparison meant something.
        assert!(matched.iter().all(|&n| n > 0), "{matched:?}");
    }

    #[test]
    fn crlf_and_unicode_boundaries() {
        let t = "Café ☕\r\n\r\n> quoted ünïcode\r\nown again é\r\n-- \r\nsig";
        let s = check(t);
        assert_eq!(kind_of(t, &s, "quoted"), Quoted);
        assert_eq!(kind_of(t, &s, "own again"), Own);
        assert_eq!(kind_of(t, &s, "sig"), Signature);
    }
}
