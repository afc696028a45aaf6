//! Realistic pairs of council complaint emails. Scores are printed (run with
//! `--nocapture`) so that the threshold choice can be checked by eye.

use super::*;

const BINS: &str = "Dear Sir/Madam,

I am writing to complain, again, about my bins at 14 Elm Grove. The green recycling bin has not \
been collected for the third fortnight running. The crew drove past on Tuesday 4 March and did not \
stop, and the bin is now overflowing onto the pavement with foxes tearing the bags open. I \
reported this online (ref WR-118273) and was told it would be collected within 48 hours, but \
nothing happened.

Please arrange a collection and tell me why this keeps happening.

Regards,
Jane Wilson";

/// The same complaint a fortnight later: new greeting and sign-off, re-wrapped,
/// new date and reference, a few words changed.
const BINS_RESENT: &str = "Hello,

I'm writing to complain again about my bins at 14 Elm Grove. The green recycling bin has not
been collected for the fourth fortnight running. The crew drove past on Tuesday 18 March and did
not stop, and the bin is now overflowing onto the pavement with foxes tearing the bags open. I
reported this online (ref WR-120044) and was told it would be collected within 48 hours, but again
nothing happened.

Please arrange a collection urgently.

Thanks,
Jane";

/// One sentence dropped, another added.
const BINS_EDITED: &str = "Dear Sir or Madam,

I am writing to complain, again, about my bins at 14 Elm Grove. The green recycling bin has not \
been collected for the third fortnight running. The bin is now overflowing onto the pavement with \
foxes tearing the bags open, and my neighbours are complaining about the smell. I reported this \
online (ref WR-118273) and was told it would be collected within 48 hours, but nothing happened.

Please arrange a collection and tell me why this keeps happening.

Jane Wilson";

/// Another complaint by the same person, in the same style and with the same
/// boilerplate (and even the same "reported online… nothing happened").
const NOISE: &str = "Dear Sir/Madam,

I am writing to complain about the noise from my neighbour at 16 Elm Grove. Every night this week \
they have played loud music until 3am and there is shouting and banging through the wall. I have \
two young children who cannot sleep. I reported this online (ref NS-55120) and was told an officer \
would call me within 5 working days, but nothing happened.

Please send someone to witness the noise and tell me what action you will take.

Regards,
Jane Wilson";

const POTHOLE: &str = "Dear Council,

There is a large pothole outside 14 Elm Grove, by the junction with Station Road. My car's tyre \
burst on it last Friday and cyclists are swerving into the traffic to avoid it. I want it repaired \
and I want to claim for the tyre. Please let me know how to make a claim.

Kind regards,
Jane Wilson";

const REPAIRS: &str = "Hi,

My council flat has had damp and black mould in the bedroom since October. The window frames are \
rotten and the bathroom extractor fan does not work. My daughter has asthma. Your repairs team \
booked an appointment and nobody came. When will someone come to fix this?

Thanks
Jane";

fn score(name: &str, a: &str, b: &str) -> f32 {
    let s = similarity(a, b);
    let t = similarity(b, a);
    println!("similarity {name:<40} {s:.3}");
    assert!(s.is_finite() && (0.0..=1.0).contains(&s), "{name}: {s}");
    assert_eq!(s, t, "{name}: not symmetric");
    s
}

#[test]
fn identical_and_rewrapped_texts_score_one() {
    assert_eq!(score("identical", BINS, BINS), 1.0);
    let rewrapped = BINS.replace('\n', " ").replace(". ", ".\n").to_uppercase();
    assert_eq!(score("re-wrapped, upper case", BINS, &rewrapped), 1.0);
}

#[test]
fn same_complaint_resent_with_edits_scores_high() {
    assert!(score("bins: re-sent with small edits", BINS, BINS_RESENT) >= 0.7);
    assert!(score("bins: sentence dropped and added", BINS, BINS_EDITED) >= 0.7);
    assert!(score("bins: re-sent vs edited", BINS_RESENT, BINS_EDITED) >= 0.6);
}

#[test]
fn same_complaint_with_a_chaser_on_top_scores_high() {
    let chaser = format!(
        "I sent the email below three weeks ago and have heard nothing back. Why is nobody \
         answering?\n\n-----Original Message-----\n{BINS}"
    );
    assert!(score("bins: chaser + original", BINS, &chaser) >= 0.85);
    let short_chaser = format!("Still waiting!!\n\n{BINS_RESENT}");
    assert!(score("bins: 'still waiting' + re-sent", BINS, &short_chaser) >= 0.7);
}

#[test]
fn different_complaints_from_the_same_person_score_low() {
    let pairs = [
        ("bins vs noise", BINS, NOISE),
        ("bins vs pothole", BINS, POTHOLE),
        ("bins vs repairs", BINS, REPAIRS),
        ("noise vs pothole", NOISE, POTHOLE),
        ("noise vs repairs", NOISE, REPAIRS),
        ("pothole vs repairs", POTHOLE, REPAIRS),
        ("bins re-sent vs noise", BINS_RESENT, NOISE),
    ];
    for (name, a, b) in pairs {
        assert!(score(name, a, b) <= 0.3, "{name}");
    }
}

#[test]
fn a_long_angry_chaser_still_scores_high() {
    let chaser = format!(
        "This is the THIRD time I have written about this. Nobody answers the phone, nobody \
         replies to emails and my council tax goes up every year for a service I do not get. I am \
         disgusted and I will be contacting my councillor.\n\n> {}",
        BINS.replace('\n', "\n> ")
    );
    assert!(score("bins: long angry chaser + original", BINS, &chaser) >= 0.75);
}

#[test]
fn a_short_earlier_note_inside_a_long_new_message_scores_low() {
    let note = "The bin was not collected again, please send the crew back.";
    assert!(
        score(
            "short bin note vs noise + bins",
            note,
            &format!("{NOISE}\n{POTHOLE}")
        ) <= 0.3
    );
}

/// Known limit of a bag-of-words measure: the old complaint repeated word for
/// word with a whole new matter added still looks like a repeat. Printed, not
/// asserted, so the number is visible when tuning.
#[test]
fn old_complaint_plus_a_new_matter_is_printed() {
    let both = format!("{BINS}\n\nAlso, {NOISE}");
    let s = score("bins + new noise complaint (info)", BINS, &both);
    assert!(s > 0.0);
}

#[test]
fn a_short_note_is_not_contained_in_every_long_message() {
    assert!(
        score(
            "'any update on my bins?' vs bins",
            "Any update on my bins?",
            BINS
        ) <= 0.3
    );
    assert!(score("one line vs noise", "The noise is still going on.", NOISE) <= 0.3);
    // ...but the same short note twice is the same note.
    assert_eq!(
        score(
            "short note twice",
            "Any update on my bins?",
            "any update on my BINS"
        ),
        1.0
    );
}

#[test]
fn empty_and_boilerplate_only_texts_score_zero() {
    assert_eq!(score("empty vs empty", "", ""), 0.0);
    assert_eq!(score("empty vs bins", "", BINS), 0.0);
    assert_eq!(score("whitespace vs bins", " \n\t ", BINS), 0.0);
    let boiler = "Dear Sir/Madam,\nThank you. Kind regards, 12/03/2024";
    assert_eq!(score("boilerplate vs boilerplate", boiler, boiler), 0.0);
}

#[test]
fn the_suggested_threshold_separates_the_examples() {
    let chaser = format!("I sent this three weeks ago and heard nothing.\n\n{BINS}");
    for (a, b) in [
        (BINS, BINS_RESENT),
        (BINS, BINS_EDITED),
        (BINS, chaser.as_str()),
    ] {
        assert!(similarity(a, b) >= SUGGESTED_THRESHOLD);
    }
    for (a, b) in [(BINS, NOISE), (BINS, POTHOLE), (NOISE, REPAIRS)] {
        assert!(similarity(a, b) < SUGGESTED_THRESHOLD);
    }
}

#[test]
fn best_match_picks_the_most_similar_earlier_message() {
    let mk = |key: &str, body: &str| HistoryEntry {
        key: key.into(),
        sender_key: "cust:C1".into(),
        customer_id: Some("C1".into()),
        date: 0,
        subject: String::new(),
        body: body.into(),
        message_id: None,
        source_id: key.into(),
        queue: "respond".into(),
        categories: Vec::new(),
    };
    let earlier = [
        mk("noise", NOISE),
        mk("bins", BINS),
        mk("pothole", POTHOLE),
        mk("bins-again", BINS),
    ];
    let (hit, s) = best_match(BINS_RESENT, &earlier).unwrap();
    // Tie between the two identical bodies: the first one wins.
    assert_eq!(hit.key, "bins");
    assert_eq!(s, similarity(BINS_RESENT, BINS));
    assert!(best_match(BINS, std::iter::empty()).is_none());
}

#[test]
fn tokens_ignore_numbers_boilerplate_case_and_plurals() {
    let fp = |t: &str| Fingerprint::new(t);
    assert_eq!(fp("Bins, BIN; bin's").words, fp("bin").words);
    assert_eq!(fp("ref WR-118273 on 4/3/2024 at 10:30"), fp("ref wr"));
    assert!(fp("Dear Sir, kind regards, thanks").is_empty());
    assert_eq!(fp("don't"), fp("dont"));
}

#[test]
fn a_fingerprint_survives_its_sets_and_unsorted_sets_are_refused() {
    for text in [BINS, NOISE, "", "one bin", "Dear Sir, kind regards"] {
        let fp = Fingerprint::new(text);
        let back = Fingerprint::from_sets(fp.words().to_vec(), fp.shingles().to_vec()).unwrap();
        assert_eq!(back, fp, "{text:?}");
        assert_eq!(
            back.similarity(&Fingerprint::new(BINS_RESENT)),
            similarity(text, BINS_RESENT)
        );
    }
    let fp = Fingerprint::new(BINS);
    let reversed = |v: &[u32]| v.iter().rev().copied().collect::<Vec<_>>();
    assert!(Fingerprint::from_sets(reversed(fp.words()), fp.shingles().to_vec()).is_none());
    assert!(Fingerprint::from_sets(fp.words().to_vec(), reversed(fp.shingles())).is_none());
    // A repeated hash is not a set.
    let mut doubled = fp.words().to_vec();
    doubled.insert(0, doubled[0]);
    assert!(Fingerprint::from_sets(doubled, fp.shingles().to_vec()).is_none());
}

#[test]
fn intersection_counts_the_common_hashes_of_any_two_sets() {
    // Sets of every overlap, from disjoint to identical, including the
    // extremes of u32 and sets of different lengths.
    let set = |from: u32, step: u32, n: u32| -> Vec<u32> {
        let mut v: Vec<u32> = (0..n)
            .map(|i| from.wrapping_add(i.wrapping_mul(step)))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let sets = [
        Vec::new(),
        vec![0],
        vec![u32::MAX],
        vec![0, u32::MAX],
        set(0, 2, 100),
        set(0, 3, 100),
        set(1, 2, 60),
        set(u32::MAX - 500, 7, 70),
        Fingerprint::new(BINS).words().to_vec(),
        Fingerprint::new(BINS_RESENT).words().to_vec(),
        Fingerprint::new(BINS).shingles().to_vec(),
        Fingerprint::new(BINS_RESENT).shingles().to_vec(),
    ];
    for a in &sets {
        for b in &sets {
            let expected = a.iter().filter(|x| b.binary_search(x).is_ok()).count();
            assert_eq!(intersection_len(a, b), expected, "{a:?} ∩ {b:?}");
        }
    }
}
