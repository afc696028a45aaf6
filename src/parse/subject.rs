//! Whose words a Subject line is (SPEC §4: categories are judged from the
//! sender's own words, and a subject the sender wrote is their words).
//!
//! A subject is the sender's own unless a reply or forward prefix says it
//! repeats an earlier message's subject: `Re:` (and `RE:`, `Re[2]:`, `AW:`,
//! `SV:`, `Antw:`) is usually the thread's subject, often written by the
//! council ("Re: Your threatening email of 3 November"); `Fwd:` / `FW:` /
//! `WG:` / `TR:` is the forwarded third party's. Neither is read. Tags that
//! mail systems put in front (`[EXTERNAL]`, `[Ticket #123]`, `[SAtalk]`,
//! `EXTERNAL:`) are skipped: what follows them is still the sender's, unless
//! a reply or forward prefix follows the tag.

use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// One leading tag: a bracketed tag (mailing list, ticket number, external
/// warning) or an `EXTERNAL:` / `[EXT]`-style marker, with the space after it.
static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\[[^\]\n]{1,40}\]|\((?:external|ext)\)|(?i:external|ext|caution)\s*:)\s*")
        .expect("subject tag regex")
});

/// One reply or forward prefix, with an optional count (`Re[2]:`, `Re^2:`).
static PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:re|aw|sv|antw|fw|fwd|wg|tr)\s*(?:\[\d+\]|\^\d+|\(\d+\))?\s*:\s*")
        .expect("subject prefix regex")
});

/// The byte range of `subject` that is the sender's own words: the subject
/// after any leading tags, or `None` when a reply or forward prefix marks
/// it as an earlier message's subject, or nothing is left.
pub fn own_range(subject: &str) -> Option<Range<usize>> {
    let mut at = 0;
    loop {
        let rest = &subject[at..];
        if PREFIX.is_match(rest) {
            return None;
        }
        match TAG.find(rest) {
            Some(m) if m.end() > 0 => at += m.end(),
            _ => break,
        }
    }
    let rest = &subject[at..];
    let end = at + rest.trim_end().len();
    (end > at).then_some(at..end)
}

#[cfg(test)]
mod tests {
    use super::own_range;

    fn own(subject: &str) -> Option<&str> {
        own_range(subject).map(|r| &subject[r])
    }

    #[test]
    fn a_plain_subject_is_the_senders() {
        assert_eq!(
            own("Your warden is going to get a kicking"),
            Some("Your warden is going to get a kicking")
        );
        assert_eq!(own("Reply by 5pm"), Some("Reply by 5pm"));
        assert_eq!(own("Refuse collection"), Some("Refuse collection"));
        assert_eq!(own(""), None);
    }

    #[test]
    fn replies_and_forwards_are_not_read() {
        for s in [
            "Re: Your threatening email of 3 November",
            "RE: kill -9 hangs",
            "re:bins",
            "Re[2]: complaint",
            "AW: Termin",
            "Fwd: you are a dead man",
            "FW: FW: stuff",
            "[EXTERNAL] RE: Your reference 1234",
            "[Ticket #4411] Re: missed bins",
        ] {
            assert_eq!(own(s), None, "{s}");
        }
    }

    #[test]
    fn tags_in_front_are_skipped() {
        assert_eq!(own("[EXTERNAL] You will pay"), Some("You will pay"));
        assert_eq!(
            own("[Ticket #4411] [SAtalk] idiots"),
            Some("idiots"),
            "several tags"
        );
        assert_eq!(own("EXTERNAL: burn it"), Some("burn it"));
        assert_eq!(own("[EXTERNAL]"), None);
    }
}
