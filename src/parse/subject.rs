//! Whose words a Subject line is (SPEC §4: categories are judged from the
//! sender's own words, and a subject the sender wrote is their words).
//!
//! A subject is the sender's own unless a reply or forward prefix says it
//! repeats an earlier message's subject: `Re:` (and `RE:`, `Re[2]:`, `AW:`,
//! `SV:`, `Antw:`) is usually the thread's subject, often written by the
//! council ("Re: Your threatening email of 3 November"); `Fwd:` / `FW:` /
//! `WG:` / `TR:` is the forwarded third party's. Neither is read, except the
//! words a replier added after the thread's subject, after its last dash and
//! turned to the reader ("Re: Garden waste subscription - you useless lying
//! shower of sh*te": `added_to_reply`). Tags that
//! mail systems put in front (`[EXTERNAL]`, `[Ticket #123]`, `[SAtalk]`,
//! `EXTERNAL:`) are skipped: what follows them is still the sender's, unless
//! a reply or forward prefix follows the tag.
//!
//! Nor is a web form's own subject ("Online form: Report anti-social
//! behaviour [ASB-2026-02291]", "[Web form] Complaint - Housing - Ref
//! WEB-26-11-05531", "Report it: Anti-social behaviour / hate incident",
//! "Website enquiry: Noise nuisance (ref WEB-7790)"): the council's site
//! writes it from the form's title and the category the resident picked,
//! so its words are the council's; the resident's are in the body.

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

/// A subject a council web form wrote: `Online form:`, `Online enquiry
/// form -`, `Web form submission:`, `Website enquiry:`, `[Web form]`,
/// `Report it:` / `Report It ADC-RI-0311-27716 - …`, at the start (after
/// any tags).
static FORM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:\[\s*)?(?:(?:online|web|website)\s+(?:form|enquiry)(?:\s+(?:form|submission))?\s*(?:\]|:|-|–)|report\s+it\s*(?::|-|–)|report\s+it\s+\S*\d)",
    )
    .expect("subject form regex")
});

/// A reply prefix only (`Re:`, `AW:`, `SV:`, `Antw:`), not a forward's.
static REPLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:re|aw|sv|antw)\s*(?:\[\d+\]|\^\d+|\(\d+\))?\s*:")
        .expect("subject reply regex")
});

/// A dash separator in a subject (` - `, ` – `, ` — `, ` -- `). A thread's
/// subject, the council's or a ticket system's, names a topic or a
/// reference; a dash and "you …" after it are the replier's own words.
static DASH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s(?:-{1,2}|–|—)\s+").expect("subject dash regex"));

/// The second person the added words open with.
static YOU: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:you|your|you're|youre|u|ur|ya|yer|yous|youse|ye)\b")
        .expect("subject you regex")
});

/// detect91 (issue 3): the own words a sender put after a `Re:` subject
/// (after its last dash, opening in the second person), as a range of
/// `subject`, or `None`.
fn added_to_reply(subject: &str, at: usize) -> Option<Range<usize>> {
    let dash = DASH.find_iter(&subject[at..]).last()?;
    let start = at + dash.end();
    let tail = &subject[start..];
    let end = start + tail.trim_end().len();
    (YOU.is_match(tail) && end > start).then_some(start..end)
}

/// The byte range of `subject` that is the sender's own words: the subject
/// after any leading tags, or `None` when a reply or forward prefix marks
/// it as an earlier message's subject, a web form wrote it, or nothing
/// is left. A reply's subject that the sender extended in the second person
/// after a dash gives the added words only (`added_to_reply`).
pub fn own_range(subject: &str) -> Option<Range<usize>> {
    let mut at = 0;
    loop {
        let rest = &subject[at..];
        if REPLY.is_match(rest) && !FORM.is_match(rest) {
            return added_to_reply(subject, at);
        }
        if PREFIX.is_match(rest) || FORM.is_match(rest) {
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
            "Re: Missed bin - ref WS-22871",
            "Re: Planning - Your ref 22/0114 - Decision notice",
            "Fwd: Bins - you idiots",
        ] {
            assert_eq!(own(s), None, "{s}");
        }
    }

    #[test]
    fn words_added_to_a_reply_in_the_second_person_are_read() {
        assert_eq!(
            own("Re: Garden waste subscription - you useless lying shower of sh*te"),
            Some("you useless lying shower of sh*te")
        );
        assert_eq!(own("RE: RE: Bins \u{2013} ur a joke  "), Some("ur a joke"));
        assert_eq!(
            own("[EXTERNAL] Re: Repairs - Flat 2 -- your lot are liars"),
            Some("your lot are liars")
        );
    }

    #[test]
    fn a_web_forms_subject_is_not_read() {
        for s in [
            "Online form: Report anti-social behaviour [ASB-2026-02291]",
            "Online form - Report anti-social behaviour - ref WEB-2026-119307",
            "Online form submission: Complaint about a repair [ref CMP-26-07713]",
            "Online enquiry form - Bins and recycling - ref WEB-2026-118842",
            "Web form submission: Make a complaint",
            "Website enquiry: Anti-social behaviour (ref WEB-7846)",
            "[Web form] Report anti-social behaviour - Ref WEB-26-11-05318",
            "[EXTERNAL] [Web form] Complaint - Housing",
            "Report it: Anti-social behaviour / hate incident",
            "Report It ADC-RI-1511-28507 - Fly-tipping",
        ] {
            assert_eq!(own(s), None, "{s}");
        }
        // The sender's own subject that names a form or a reference is read.
        for s in [
            "Your online form is broken and so are you",
            "Complaint ref CF-2026-18834 - you'll regret this",
            "Report it to whoever you like",
        ] {
            assert_eq!(own(s), Some(s), "{s}");
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
