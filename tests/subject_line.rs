//! The Subject line is read as the sender's own words (issue 3): a threat
//! carried by the subject alone escalates, and every output that shows the
//! hit shows it in the subject, with offsets into the subject; a reply's
//! subject (the thread's, often the council's) is not read.

use crate::util::*;

const CUSTOMER: &str = "CRM-90001,Pat Tester,pat.tester@example.com,monitored,2026-10-01,2027-01-01,2027-01-01,,,cro@northfield.gov.uk,,false,test";

/// Pat writes a calm body under a threatening subject; Sam replies under the
/// council's own subject, which names a threat.
fn world() -> (World, String, String) {
    let mut w = World::new();
    w.customer(CUSTOMER);
    let threat = w.mail(
        "pat.tester@example.com",
        "parking@northfield.gov.uk",
        "Fri, 20 Nov 2026 18:00:00 +0000",
        "Your warden is going to get a kicking",
        "I parked on Mill Lane on Tuesday and the app crashed before I could pay.\n\
         Please cancel the ticket.",
    );
    let reply = w.mail(
        "sam.other@example.com",
        "housing@northfield.gov.uk",
        "Fri, 20 Nov 2026 18:05:00 +0000",
        "Re: Your threatening email of 3 November: I will burn your office down",
        "I did not threaten anyone. Please read my email again and call me back.",
    );
    (w, threat, reply)
}

#[test]
fn a_threat_in_the_subject_alone_escalates_and_every_output_shows_it_in_the_subject() {
    let (w, threat, reply) = world();
    let rows = w.triage();
    assert_routed(&rows[&threat], "escalate", "high");
    assert_has(&rows[&threat], "categories", &["threat_violence"]);
    assert!(
        list(&rows[&threat]["rules_hit"])
            .iter()
            .any(|r| r.ends_with("@subject")),
        "report.csv marks the subject's hits: {:?}",
        rows[&threat]["rules_hit"]
    );
    // A reply's subject is the thread's: not the sender's words.
    assert_eq!(rows[&reply]["categories"], "", "{:?}", rows[&reply]);
    assert_routed(&rows[&reply], "respond", "normal");

    // decisions.jsonl: the hit says it is in the subject, and its offsets
    // index the subject, not the text.
    let decisions = read_decisions(&w.path("out/decisions.jsonl"));
    let d = &decisions[&threat];
    let subject = d["subject"].as_str().unwrap();
    let hits = d["detection"]["hits"].as_array().unwrap();
    let in_subject: Vec<_> = hits.iter().filter(|h| h["segment"] == "subject").collect();
    assert!(!in_subject.is_empty(), "{d:#}");
    for h in &in_subject {
        let (s, e) = (
            h["start"].as_u64().unwrap() as usize,
            h["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&subject[s..e], h["matched"].as_str().unwrap(), "{h}");
    }
    assert!(decisions[&reply]["detection"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["segment"] != "subject"));

    // The review page highlights the span in the subject line.
    let page = std::fs::read_to_string(w.path("out/review.html")).unwrap();
    let header = page
        .split("<h3 class=\"subject\" data-search>")
        .find(|s| s.split("</h3>").next().unwrap().contains("get a kicking"))
        .expect("the item's subject");
    let header = &header[..header.find("</h3>").unwrap()];
    assert!(
        header.contains("<mark data-label=\"threat_violence ("),
        "{header}"
    );
    assert!(
        page.contains("” in the subject</li>"),
        "the evidence list says where"
    );

    // `triage explain` prints the subject with the span marked.
    let out = triage(
        w.dir.path(),
        &[
            "explain".to_string(),
            w.path("mail").join(&threat).display().to_string(),
            "--rules".to_string(),
            repo().join("rules").display().to_string(),
            "--now".to_string(),
            NOW.to_string(),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("(subject)"), "{text}");
    assert!(
        text.contains("in subject: … [Your warden is going to get a kicking]"),
        "{text}"
    );

    // `triage export` (the customer's subject access request) marks it in
    // the subject, not at those offsets of the text.
    let out = triage(
        w.dir.path(),
        &[
            "export",
            "--customer",
            "CRM-90001",
            "--register",
            &w.path("register.csv").display().to_string(),
            "--state",
            &w.path("state").display().to_string(),
            "--out",
            &w.path("export").display().to_string(),
            "--now",
            NOW,
        ]
        .map(String::from),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(w.path("export/CRM-90001.html")).unwrap();
    let title = html.split("<h3>1. ").nth(1).unwrap();
    let title = &title[..title.find("</h3>").unwrap()];
    assert!(
        title.contains("<mark data-label=\"threat_violence ("),
        "{title}"
    );
    let text = html.split("<pre class=\"text\">").nth(1).unwrap();
    let text = &text[..text.find("</pre>").unwrap()];
    assert!(!text.contains("<mark"), "no mark in the calm body: {text}");
    assert!(
        html.contains(" (subject)</td>"),
        "the hits table says where"
    );
}

#[test]
fn eval_explains_a_subject_hit_as_in_the_subject() {
    let (w, threat, _) = world();
    std::fs::write(
        w.path("labels.csv"),
        "source,categories\n001.eml,\n002.eml,\n",
    )
    .unwrap();
    assert_eq!(threat, "001.eml");
    let out = triage(
        w.dir.path(),
        &[
            "eval",
            "--source",
            &w.path("mail").display().to_string(),
            "--labels",
            &w.path("labels.csv").display().to_string(),
            "--rules",
            &repo().join("rules").display().to_string(),
            "--now",
            NOW,
        ]
        .map(String::from),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("in the subject"), "{text}");
}
