//! Every row of SPEC §5, and its modifiers, from real files through the
//! binary: the queue, priority, categories, reasons and actions that the
//! Customer Relations Officer would see in `report.csv`.

use crate::util::*;

const COUNCIL: &str = "customer.services@northfield.gov.uk";
const EVENING: &str = "Fri, 20 Nov 2026 19:00:00 +0000";

fn evening(minute: u32) -> String {
    format!("Fri, 20 Nov 2026 19:{minute:02}:00 +0000")
}

#[test]
fn row_1_unparseable_messages_escalate_and_exit_1() {
    let mut w = World::new();
    let empty = w.raw("empty.eml", b"");
    let binary = w.raw(
        "binary.eml",
        &[0u8, 159, 146, 150, 0, 0, 1, 2, 3, 0, 0, 0, 255, 254],
    );
    let ok = w.mail(
        "a@example.org",
        COUNCIL,
        EVENING,
        "Bins",
        "The bin was not collected.",
    );
    let out = w.run(&[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = read_report(&w.path("out/report.csv"));
    assert_eq!(rows.len(), 3, "count in = count out");
    for id in [&empty, &binary] {
        assert_routed(&rows[id], "escalate", "high");
        assert_has(&rows[id], "actions", &["manual_check"]);
        assert_has(&rows[id], "reasons", &["unparseable"]);
    }
    assert_routed(&rows[&ok], "respond", "normal");
}

#[test]
fn row_2_self_harm_is_urgent_welfare() {
    let mut w = World::new();
    let id = w.mail(
        "r@example.org",
        COUNCIL,
        EVENING,
        "eviction",
        "I have had the eviction letter. I am going to kill myself tonight, there is no point any more.",
    );
    let rows = w.triage();
    assert_routed(&rows[&id], "escalate", "urgent");
    assert_has(&rows[&id], "categories", &["threat_self_harm"]);
    assert_has(&rows[&id], "actions", &["welfare_check", "log_hs_incident"]);
}

#[test]
fn row_3_threats_of_violence_and_to_property() {
    let mut w = World::new();
    let violence = w.mail(
        "t@example.org",
        "j.patel@northfield.gov.uk",
        EVENING,
        "my parking fine",
        "I know where you live, Mr Patel. Cancel the fine or I will come round and hurt you.",
    );
    let property = w.mail(
        "p@example.org",
        COUNCIL,
        &evening(5),
        "planning",
        "Refuse my extension again and I'll burn your office down.",
    );
    let rows = w.triage();
    assert_routed(&rows[&violence], "escalate", "high");
    assert_has(&rows[&violence], "categories", &["threat_violence"]);
    assert_routed(&rows[&property], "escalate", "high");
    assert_has(&rows[&property], "categories", &["threat_property"]);
    for id in [&violence, &property] {
        assert_has(
            &rows[id],
            "actions",
            &[
                "log_hs_incident",
                "notify_line_manager",
                "consider_police_report",
            ],
        );
    }
}

#[test]
fn row_4_no_contact_in_force_escalates_but_not_once_expired_or_out_of_scope() {
    let mut w = World::new();
    w.customer("C1,Derek Falls,derek@example.org,no_contact,2026-09-01,2027-03-01,2026-12-01,,,cro@northfield.gov.uk,,false,")
        .customer("C2,Phil Grange,phil@example.org,no_contact,2026-05-01,2026-10-31,,,,,,false,expired")
        .customer("C3,Tracey Nolan,tracey@example.org,no_contact,2026-09-01,2027-03-01,2026-12-01,,,,housing@northfield.gov.uk,false,");
    let active = w.mail(
        "Derek@Example.org",
        COUNCIL,
        EVENING,
        "rent",
        "Please send my rent statement.",
    );
    let expired = w.mail(
        "phil@example.org",
        COUNCIL,
        EVENING,
        "rent",
        "Please send my rent statement.",
    );
    let in_scope = w.mail(
        "tracey@example.org",
        "housing@northfield.gov.uk",
        EVENING,
        "rent",
        "Please send my rent statement.",
    );
    let out_of_scope = w.mail(
        "tracey@example.org",
        "waste@northfield.gov.uk",
        &evening(30),
        "bins",
        "When is the bin day?",
    );
    let rows = w.triage();
    assert_routed(&rows[&active], "escalate", "high");
    assert_has(&rows[&active], "actions", &["notify_cro"]);
    assert_eq!(rows[&active]["customer_status"], "no_contact");
    assert_routed(&rows[&expired], "respond", "normal");
    assert_eq!(rows[&expired]["customer_status"], "");
    assert_eq!(rows[&expired]["customer_id"], "C2");
    assert_routed(&rows[&in_scope], "escalate", "high");
    assert_routed(&rows[&out_of_scope], "respond", "normal");
    assert_eq!(rows[&out_of_scope]["customer_status"], "");
}

#[test]
fn row_5_abuse_and_discrimination_from_registered_customers() {
    let mut w = World::new();
    w.customer("C1,Martin Reeve,martin@example.org,monitored,2026-09-01,2026-12-01,2026-12-01,,,cro@northfield.gov.uk,,false,")
        .customer("C2,Keith Barlow,keith@example.org,warned,2026-09-01,2026-12-01,2026-12-01,,,,,false,");
    let abuse = w.mail(
        "martin@example.org",
        "cro@northfield.gov.uk",
        EVENING,
        "repairs",
        "You are useless idiots, the lot of you.",
    );
    let hate = w.mail(
        "keith@example.org",
        COUNCIL,
        EVENING,
        "reception",
        "I don't want to be served by that paki on reception again.",
    );
    let rows = w.triage();
    assert_routed(&rows[&abuse], "escalate", "normal");
    assert_has(
        &rows[&abuse],
        "actions",
        &[
            "log_low_level_incident",
            "notify_cro",
            "record_for_monitoring",
        ],
    );
    assert_lacks(&rows[&abuse], "actions", &["consider_hate_crime_report"]);
    assert_eq!(rows[&abuse]["conduct"], "unacceptable");
    assert_routed(&rows[&hate], "escalate", "normal");
    assert_has(&rows[&hate], "categories", &["discrimination"]);
    assert_has(&rows[&hate], "actions", &["consider_hate_crime_report"]);
}

#[test]
fn rows_6_and_10_abuse_from_unregistered_sender_first_and_again() {
    let mut w = World::new();
    let first = w.mail(
        "lee@example.org",
        COUNCIL,
        &evening(1),
        "bill",
        "You useless idiots have billed me twice.",
    );
    let polite = w.mail(
        "lee@example.org",
        COUNCIL,
        &evening(20),
        "bill",
        "Please can you confirm my balance.",
    );
    let second = w.mail(
        "lee@example.org",
        COUNCIL,
        &evening(40),
        "bill",
        "Still nothing, you pathetic morons.",
    );
    let rows = w.triage();
    assert_routed(&rows[&first], "respond", "normal");
    assert_has(
        &rows[&first],
        "actions",
        &["log_low_level_incident", "defuse_reply"],
    );
    assert_routed(&rows[&polite], "respond", "normal");
    assert_routed(&rows[&second], "escalate", "normal");
    assert_has(
        &rows[&second],
        "actions",
        &[
            "log_low_level_incident",
            "notify_line_manager",
            "send_warning",
        ],
    );
    assert_has(&rows[&second], "reasons", &["abusive_before"]);
}

#[test]
fn row_6_looks_back_90_days_through_the_history() {
    let mut w = World::new();
    w.mail(
        "lee@example.org",
        COUNCIL,
        "Mon, 10 Aug 2026 10:00:00 +0100",
        "bill",
        "You useless idiots.",
    );
    w.mail(
        "sam@example.org",
        COUNCIL,
        "Mon, 26 Oct 2026 10:00:00 +0000",
        "bill",
        "You useless idiots.",
    );
    w.triage();
    w.next_night();
    let lee = w.mail(
        "lee@example.org",
        COUNCIL,
        EVENING,
        "bill",
        "You pathetic morons.",
    );
    let sam = w.mail(
        "sam@example.org",
        COUNCIL,
        EVENING,
        "bill",
        "You pathetic morons.",
    );
    let rows = w.triage();
    // 102 days after Lee's first abuse: a first offence again (row 10).
    assert_routed(&rows[&lee], "respond", "normal");
    assert_has(&rows[&lee], "actions", &["defuse_reply"]);
    // 25 days after Sam's: row 6.
    assert_routed(&rows[&sam], "escalate", "normal");
    assert_has(&rows[&sam], "reasons", &["abusive_before"]);
}

#[test]
fn row_6_names_the_earlier_abuse_when_older_mail_arrives_in_between() {
    let mut w = World::new();
    let abuse = w.mail(
        "lee@example.org",
        COUNCIL,
        "Mon, 26 Oct 2026 10:00:00 +0000",
        "bill",
        "You useless idiots.",
    );
    w.triage();
    // The next night brings mail written before that abuse (held up
    // somewhere) and a new abusive message: the old mail takes its place
    // before the abuse in the sender's history, and the abuse is still the
    // one named.
    w.next_night();
    let held_up = w.mail(
        "lee@example.org",
        COUNCIL,
        "Mon, 19 Oct 2026 10:00:00 +0100",
        "bin",
        "My bin was not collected on Friday.",
    );
    let again = w.mail(
        "lee@example.org",
        COUNCIL,
        EVENING,
        "bill",
        "You pathetic morons.",
    );
    w.triage();
    let decisions = read_decisions(&w.path("out/decisions.jsonl"));
    assert_eq!(
        decisions[&held_up]["history"]["abusive_before"],
        serde_json::Value::Null
    );
    assert_eq!(
        decisions[&again]["history"]["abusive_before"],
        abuse.as_str()
    );
    assert_eq!(decisions[&again]["history"]["earlier_messages"], 2);
}

#[test]
fn row_7_urgent_service_need_is_never_read_only() {
    let mut w = World::new();
    w.customer("C1,Shannon Doyle,shannon@example.org,read_only,2026-09-01,2027-03-01,2026-12-01,,,,,false,");
    w.mail(
        "shannon@example.org",
        COUNCIL,
        &evening(1),
        "repairs",
        "The back door still does not lock.",
    );
    let gas = w.mail(
        "shannon@example.org",
        COUNCIL,
        &evening(9),
        "repairs",
        "There is a strong smell of gas in the kitchen and my baby is here.",
    );
    let rows = w.triage();
    assert_routed(&rows[&gas], "respond", "urgent");
    assert_has(&rows[&gas], "reasons", &["urgent_service_need"]);
}

#[test]
fn row_8_read_only_customer_same_matter_and_new_issue() {
    let mut w = World::new();
    w.customer(
        "C1,Roy Whitfield,roy@example.org,read_only,2026-09-01,2027-03-01,2026-12-01,,,,,false,",
    );
    let bin = "My green garden waste bin at 14 Larch Avenue was not emptied on Tuesday. It is the third time this month the crew has missed the bin on Larch Avenue.";
    let first = w.mail(
        "roy@example.org",
        "waste@northfield.gov.uk",
        &evening(1),
        "green bin",
        bin,
    );
    let again = w.mail(
        "roy+council@example.org",
        "waste@northfield.gov.uk",
        &evening(30),
        "green bin AGAIN",
        &format!("{bin} Still not emptied."),
    );
    let new = w.mail(
        "roy@example.org",
        "council.tax@northfield.gov.uk",
        &evening(50),
        "discount",
        "My wife moved into a care home in October. I would like to apply for the single person discount on my council tax account.",
    );
    let rows = w.triage();
    assert_routed(&rows[&first], "respond", "normal");
    assert_has(&rows[&first], "reasons", &["new_issue"]);
    assert_eq!(rows[&first]["new_issue"], "true");
    assert_routed(&rows[&again], "read-only", "normal");
    assert_has(&rows[&again], "actions", &["action_service_requests"]);
    assert_has(&rows[&again], "categories", &["repeat_complaint"]);
    assert_eq!(rows[&again]["repeat_of"], first);
    assert!(rows[&again]["similarity"].parse::<f32>().unwrap() >= 0.6);
    assert_routed(&rows[&new], "respond", "normal");
    assert_has(&rows[&new], "reasons", &["new_issue"]);
}

#[test]
fn vulnerable_read_only_customer_is_never_read_only() {
    let mut w = World::new();
    w.customer("C1,Edna Marsh,edna@example.org,read_only,2026-09-01,2027-03-01,2026-12-01,,,,,true,carer visits");
    let text = "The light in my hall at 3 Wren Court has not worked for two weeks and I cannot see the stairs at night.";
    w.mail(
        "edna@example.org",
        "housing@northfield.gov.uk",
        &evening(1),
        "hall light",
        text,
    );
    let again = w.mail(
        "edna@example.org",
        "housing@northfield.gov.uk",
        &evening(40),
        "hall light",
        text,
    );
    let rows = w.triage();
    assert_routed(&rows[&again], "respond", "normal");
    assert_has(&rows[&again], "actions", &["notify_cro"]);
    assert_has(&rows[&again], "reasons", &["vulnerable"]);
    assert_eq!(rows[&again]["vulnerable"], "true");
}

#[test]
fn row_9_restricted_customer_over_limit_or_outside_hours() {
    let mut w = World::new();
    w.customer("C1,Brian Stokes,brian@example.org,restricted,2026-09-01,2027-03-01,2026-12-01,2/week,,,,false,")
        .customer("C2,Colin Ashdown,colin@example.org,restricted,2026-09-01,2027-03-01,2026-12-01,,Mon-Fri 10:00-12:00,,,false,");
    let b1 = w.mail(
        "brian@example.org",
        COUNCIL,
        "Wed, 18 Nov 2026 09:00:00 +0000",
        "garden waste",
        "When does the garden waste collection restart?",
    );
    let b2 = w.mail(
        "brian@example.org",
        COUNCIL,
        "Thu, 19 Nov 2026 09:00:00 +0000",
        "parking",
        "Can I renew my parking permit online?",
    );
    let b3 = w.mail(
        "brian@example.org",
        COUNCIL,
        EVENING,
        "library",
        "Is the library open on Sunday?",
    );
    let inside = w.mail(
        "colin@example.org",
        COUNCIL,
        "Fri, 20 Nov 2026 11:15:00 +0000",
        "enforcement",
        "Any news on the enforcement case?",
    );
    let outside = w.mail(
        "colin@example.org",
        COUNCIL,
        "Fri, 20 Nov 2026 23:05:00 +0000",
        "enforcement",
        "Any news on the fence case please?",
    );
    let rows = w.triage();
    assert_routed(&rows[&b1], "respond", "normal");
    assert_routed(&rows[&b2], "respond", "normal");
    assert_routed(&rows[&b3], "read-only", "normal");
    assert_has(&rows[&b3], "actions", &["notify_cro"]);
    assert_has(&rows[&b3], "reasons", &["contact_restriction_breached"]);
    assert_routed(&rows[&inside], "respond", "normal");
    assert_routed(&rows[&outside], "read-only", "normal");
}

#[test]
fn row_11_monitored_and_warned_and_single_point_of_contact() {
    let mut w = World::new();
    w.customer("C1,Denise Crawley,denise@example.org;d.crawley@example.net,monitored,2026-09-01,2026-12-01,2026-12-01,,,s.okafor@northfield.gov.uk,,false,")
        .customer("C2,Brian Stokes,brian@example.org,restricted,2026-09-01,2027-03-01,2026-12-01,,,cro@northfield.gov.uk,,false,");
    let monitored = w.mail(
        "D.Crawley+planning@example.net",
        "s.okafor@northfield.gov.uk",
        EVENING,
        "drawings",
        "Thank you for the amended drawings.",
    );
    let wrong = w.mail(
        "brian@example.org",
        "j.patel@northfield.gov.uk",
        EVENING,
        "fence",
        "Could you tell me who owns the fence?",
    );
    let right = w.mail(
        "brian@example.org",
        "cro@northfield.gov.uk",
        &evening(10),
        "fence",
        "Could you tell me who owns the gate?",
    );
    let rows = w.triage();
    assert_routed(&rows[&monitored], "respond", "normal");
    assert_eq!(rows[&monitored]["customer_id"], "C1");
    assert_has(
        &rows[&monitored],
        "actions",
        &["forward_to_spoc", "record_for_monitoring"],
    );
    assert_eq!(rows[&monitored]["conduct"], "acceptable");
    assert_routed(&rows[&wrong], "respond", "normal");
    assert_has(&rows[&wrong], "actions", &["forward_to_spoc"]);
    assert_has(&rows[&wrong], "reasons", &["wrong_officer"]);
    assert_lacks(&rows[&right], "actions", &["forward_to_spoc"]);
}

#[test]
fn row_12_ordinary_mail_and_hard_negatives_respond_unflagged() {
    let mut w = World::new();
    let bodies = [
        "Please could you send someone to kill the rats in the bin store at Penistone Road.",
        "This pothole on Balls Pond Road is killing me, my tyre burst last week.",
        "My neighbour said he would kill me if I reported his dog again. I am frightened, please help.",
        "I will be contacting my MP and the Ombudsman about this decision.",
        "I could murder a cup of tea after the day I've had. Anyway, shoot me an email when the permit is ready.",
        "I apologise for my rude email last week, I was upset. Could you tell me when the repair is booked?",
    ];
    let ids: Vec<String> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| {
            w.mail(
                &format!("resident{i}@example.org"),
                COUNCIL,
                EVENING,
                "enquiry",
                b,
            )
        })
        .collect();
    let rows = w.triage();
    for id in &ids {
        assert_routed(&rows[id], "respond", "normal");
        assert_eq!(rows[id]["categories"], "", "{:#?}", rows[id]);
        assert_eq!(rows[id]["actions"], "");
    }
}

#[test]
fn history_categories_repeat_high_volume_and_mass_copy() {
    let mut w = World::new();
    let complaint = "The street light outside 22 Harrow Lane has been out for three weeks and the pavement is pitch dark when I walk home from the station.";
    let first = w.mail(
        "alan@example.org",
        COUNCIL,
        &evening(1),
        "street light",
        complaint,
    );
    let repeat = w.mail(
        "alan@example.org",
        COUNCIL,
        &evening(10),
        "street light",
        &format!("I sent this earlier and heard nothing.\n\n{complaint}"),
    );
    let others = [
        "pothole on Mill Road",
        "graffiti on the bus shelter",
        "dog fouling in the park",
        "blocked drain by the school",
    ];
    let mut last = String::new();
    for (i, o) in others.iter().enumerate() {
        last = w.mail(
            "alan@example.org",
            COUNCIL,
            &evening(20 + i as u32),
            o,
            &format!("Please can you look at the {o}."),
        );
    }
    let copied = w.mail(
        "vic@example.org",
        "a@northfield.gov.uk, b@northfield.gov.uk, c@northfield.gov.uk",
        EVENING,
        "consultation",
        "Please see my comments on the consultation.",
    );
    // Add two Cc recipients: 5 distinct in all.
    let path = w.path("mail").join(&copied);
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "Subject:",
        "Cc: d@northfield.gov.uk, B@northfield.gov.uk, e@northfield.gov.uk\r\nSubject:",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let rows = w.triage();
    assert_has(&rows[&repeat], "categories", &["repeat_complaint"]);
    assert_eq!(rows[&repeat]["repeat_of"], first);
    assert_lacks(
        &rows[&first],
        "categories",
        &["repeat_complaint", "high_volume"],
    );
    assert_has(&rows[&last], "categories", &["high_volume"]);
    assert_has(&rows[&copied], "categories", &["mass_copy"]);
    for id in [&repeat, &last, &copied] {
        assert_routed(&rows[id], "respond", "normal");
    }
}

#[test]
fn council_officer_forwarding_abuse_is_not_their_conduct() {
    let mut w = World::new();
    let body = "FYI - received this overnight, please log it.\n\nCllr A. Morgan\n\n---------- Forwarded message ---------\nFrom: Angry Man <angry@example.org>\nDate: Fri, 20 Nov 2026 at 18:00\nSubject: you\nTo: <cllr.a.morgan@northfield.gov.uk>\n\nYou useless corrupt idiots, I know where you live.\n";
    let id = w.mail(
        "cllr.a.morgan@northfield.gov.uk",
        "complaints@northfield.gov.uk",
        EVENING,
        "Fwd: you",
        body,
    );
    let out = w.run(&[
        "--config",
        &repo().join("triage.toml").display().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = read_report(&w.path("out/report.csv"));
    assert_routed(&rows[&id], "respond", "normal");
    assert_eq!(rows[&id]["categories"], "");
    assert_has(&rows[&id], "reasons", &["forwarded_abuse"]);
}

#[test]
fn decisions_explain_each_hit_with_offsets_into_the_text() {
    let mut w = World::new();
    let id = w.mail(
        "t@example.org",
        COUNCIL,
        EVENING,
        "fine",
        "Cancel it now. I know where you live.",
    );
    w.triage();
    let decisions = read_decisions(&w.path("out/decisions.jsonl"));
    let d = &decisions[&id];
    assert_eq!(d["routing"]["entry"], "threat");
    assert_eq!(d["routing"]["entry_index"], 3);
    let hits = d["detection"]["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    for h in hits {
        assert!(h["rule_id"].is_string() && h["weight"].is_number());
        assert!(h["end"].as_u64() > h["start"].as_u64());
        assert!(!h["matched"].as_str().unwrap().is_empty());
    }
}

#[test]
fn an_over_size_message_escalates_and_its_headers_are_still_indexed() {
    let mut w = World::new();
    let big = "The fence at 4 Mill Road is broken. ".repeat(200);
    let id = w.mail("big@example.org", COUNCIL, EVENING, "Fence report", &big);
    let small = w.mail(
        "small@example.org",
        COUNCIL,
        EVENING,
        "Bins",
        "The bin was missed.",
    );
    let cfg = w.path("triage.toml");
    std::fs::write(&cfg, "max_message_bytes = 4000\n").unwrap();
    let out = w.run(&["--config", &cfg.display().to_string()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = read_report(&w.path("out/report.csv"));
    assert_routed(&rows[&id], "escalate", "high");
    assert_has(&rows[&id], "reasons", &["unparseable"]);
    assert_eq!(rows[&id]["from"], "big@example.org", "headers read");
    assert_routed(&rows[&small], "respond", "normal");
    let decisions = read_decisions(&w.path("out/decisions.jsonl"));
    let why = decisions[&id]["unparseable"].as_str().unwrap();
    assert!(why.contains("4000"), "the reason names the limit: {why}");
    let history = triage::history::History::open(&w.path("state")).unwrap();
    let entries = history.sender_entries("addr:big@example.org").unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].subject, "Fence report");
}

#[test]
fn logs_carry_no_message_text() {
    let mut w = World::new();
    w.mail(
        "a@example.org",
        COUNCIL,
        EVENING,
        "Subject Zebra Crossing",
        "Body words Quixotic Marmalade. I know where you live.",
    );
    w.raw("empty.eml", b"");
    let out = w.run(&[]);
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        for secret in ["Zebra", "Quixotic", "Marmalade", "where you live"] {
            assert!(!text.contains(secret), "message text in the log: {text}");
        }
    }
}
