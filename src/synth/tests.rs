use super::*;
use crate::parse::{parse, ParseLimits};

fn spec(count: usize, seed: u64) -> SynthSpec {
    SynthSpec {
        count,
        seed,
        senders: 0,
        until: "2026-11-21T05:00:00Z".parse().unwrap(),
        days: 1,
        mbox: false,
    }
}

#[test]
fn every_message_parses_with_a_sender_date_and_own_words() {
    let spec = spec(400, 7);
    for index in 0..spec.count {
        let bytes = message_at(&spec, index);
        let parsed = parse(&bytes, &ParseLimits::default())
            .unwrap_or_else(|e| panic!("message {index} does not parse: {e:?}"));
        assert!(!parsed.from.is_empty(), "message {index} has no sender");
        assert!(parsed.date.is_some(), "message {index} has no date");
        assert!(
            parsed.own_text().contains("council") || parsed.own_text().len() > 200,
            "message {index}: own words missing:\n{}",
            parsed.own_text()
        );
    }
}

#[test]
fn messages_average_about_two_kilobytes_and_cover_every_shape() {
    let spec = spec(2000, 3);
    let messages: Vec<Vec<u8>> = (0..spec.count).map(|i| message_at(&spec, i)).collect();
    let average = messages.iter().map(Vec::len).sum::<usize>() / messages.len();
    assert!((1500..=2600).contains(&average), "average {average} bytes");
    let has = |needle: &str| {
        messages
            .iter()
            .filter(|m| String::from_utf8_lossy(m).contains(needle))
            .count()
    };
    for shape in [
        "multipart/alternative",
        "quoted-printable",
        "Content-Transfer-Encoding: base64\r\n\r\n",
        "Content-Disposition: attachment",
        "charset=\"iso-8859-1\"",
        "\nSubject: Re: ",
        "Forwarded message",
    ] {
        assert!(has(shape) > 10, "too few messages with {shape:?}");
    }
}

#[test]
fn a_different_seed_writes_different_mail_from_the_same_senders() {
    let a = spec(50, 1);
    let b = spec(50, 2);
    assert_ne!(message_at(&a, 0), message_at(&b, 0));
    assert_eq!(sender(5).address, sender(5).address);
}

#[test]
fn mbox_escaping_quotes_from_lines() {
    assert_eq!(
        mbox_escape(b"a\nFrom here\n>From there\n"),
        b"a\n>From here\n>>From there\n"
    );
}
