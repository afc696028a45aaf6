//! HTML building blocks shared by every HTML output (the morning review page,
//! the subject-access export): escaping of message content and highlighting of
//! matched spans. Everything that came from a message — text, subject,
//! addresses, file names — goes through [`escape`] or [`highlighted`] before it
//! reaches a page, so no markup written by a sender is ever interpreted.

use std::fmt::Write as _;

/// `text` escaped for HTML element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    push_escaped(&mut out, text);
    out
}

/// Escapes `text` onto `out`: the five markup characters as entities, and
/// control characters (`char::is_control`: U+0000–U+001F, U+007F–U+009F)
/// other than line breaks and tabs as U+FFFD rather than passed to the page.
/// Everything else is copied in runs, not a character at a time: in UTF-8 a
/// character to replace is one ASCII byte, or a C1 control, `0xC2` then a
/// byte in `0x80..=0x9F` (no other character's encoding holds those two
/// bytes in that order at a character's start).
fn push_escaped(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (with, len) = match b {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&#39;", 1),
            b'\n' | b'\r' | b'\t' => {
                i += 1;
                continue;
            }
            0x00..=0x1f | 0x7f => ("\u{FFFD}", 1),
            0xc2 if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => ("\u{FFFD}", 2),
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&text[run..i]);
        out.push_str(with);
        i += len;
        run = i;
    }
    out.push_str(&text[run..]);
}

/// A span of `text` to highlight: byte offsets and a label shown on the mark
/// (a category or rule id), which is escaped too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub start: usize,
    pub end: usize,
    pub label: String,
}

impl Mark {
    /// A rule hit's mark, labelled `category (rule id)`, as every page shows it.
    pub fn rule_hit(category: &str, rule_id: &str, start: usize, end: usize) -> Mark {
        Mark {
            start,
            end,
            label: format!("{category} ({rule_id})"),
        }
    }
}

/// `text` escaped, with each mark wrapped in
/// `<mark data-label="LABEL" title="LABEL">…</mark>`. Overlapping or touching
/// marks are merged (their labels joined with `, `); offsets outside `text` or
/// not on a character boundary are clamped or widened to one, so a bad span
/// can never cut a character or drop text.
pub fn highlighted(text: &str, marks: &[Mark]) -> String {
    let mut spans: Vec<(usize, usize, Vec<&str>)> = marks
        .iter()
        .filter_map(|m| {
            let start = floor_boundary(text, m.start.min(text.len()));
            let end = ceil_boundary(text, m.end.min(text.len()));
            (start < end).then_some((start, end, vec![m.label.as_str()]))
        })
        .collect();
    spans.sort_by_key(|s| (s.0, s.1));
    let mut merged: Vec<(usize, usize, Vec<&str>)> = Vec::new();
    for (start, end, labels) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 => {
                last.1 = last.1.max(end);
                for l in labels {
                    if !last.2.contains(&l) {
                        last.2.push(l);
                    }
                }
            }
            _ => merged.push((start, end, labels)),
        }
    }
    let mut out = String::with_capacity(text.len() + merged.len() * 48);
    let mut at = 0;
    for (start, end, labels) in merged {
        push_escaped(&mut out, &text[at..start]);
        let label = escape(&labels.join(", "));
        let _ = write!(out, "<mark data-label=\"{label}\" title=\"{label}\">");
        push_escaped(&mut out, &text[start..end]);
        out.push_str("</mark>");
        at = end;
    }
    push_escaped(&mut out, &text[at..]);
    out
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(start: usize, end: usize, label: &str) -> Mark {
        Mark {
            start,
            end,
            label: label.into(),
        }
    }

    #[test]
    fn markup_in_message_content_is_inert() {
        let hostile = r#"<script>alert(1)</script><img src=x onerror="alert('x')"> & ok"#;
        let html = escape(hostile);
        assert!(!html.contains('<') && !html.contains('>') && !html.contains('"'));
        assert!(html.contains("&lt;script&gt;") && html.contains("&amp; ok"));
        assert_eq!(escape("a\u{0}b\u{1b}c\nd"), "a\u{FFFD}b\u{FFFD}c\nd");
    }

    /// The escaper as it was, a character at a time: what the run-copying
    /// one must give on any text.
    fn escaped_by_char(text: &str) -> String {
        let mut out = String::new();
        for c in text.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c if c.is_control() && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn runs_escape_as_characters_do() {
        // Every character of the first 0x800 code points (ASCII, C1
        // controls, the rest of the two-byte range), some wider ones, each
        // alone, then between others.
        let mut chars: Vec<char> = (0..0x800u32).filter_map(char::from_u32).collect();
        chars.extend(['\u{2028}', '\u{FEFF}', '\u{FFFD}', '€', '😀', '\u{E0001}']);
        for &c in &chars {
            for text in [c.to_string(), format!("a{c}b"), format!("{c}{c}é{c}")] {
                assert_eq!(escape(&text), escaped_by_char(&text), "{:?}", c);
            }
        }
        let all: String = chars.iter().collect();
        assert_eq!(escape(&all), escaped_by_char(&all));
        assert_eq!(escape(""), "");
    }

    #[test]
    fn marks_wrap_the_span_and_escape_both_sides() {
        let text = "I <will> hurt you & yours";
        let start = text.find("hurt").unwrap();
        let html = highlighted(text, &[mark(start, start + 4, "threat_violence")]);
        assert_eq!(
            html,
            "I &lt;will&gt; <mark data-label=\"threat_violence\" title=\"threat_violence\">hurt</mark> you &amp; yours"
        );
    }

    #[test]
    fn overlapping_marks_merge_and_bad_offsets_are_clamped() {
        let text = "héllo wörld";
        let html = highlighted(
            text,
            &[mark(0, 3, "a"), mark(2, 6, "b<"), mark(9, 999, "c")],
        );
        assert_eq!(
            html,
            "<mark data-label=\"a, b&lt;\" title=\"a, b&lt;\">héllo</mark> w<mark data-label=\"c\" title=\"c\">örld</mark>"
        );
        assert_eq!(highlighted(text, &[mark(5, 5, "empty")]), escape(text));
    }
}
