//! The Customer Relations Officer's `review.html`, opened in a real headless
//! Chromium ([`crate::browser`]): the sample night's page shows every flagged
//! item in the order it needs action with its evidence highlighted, the
//! filters and search hide and show the right items, the customers section
//! is there; hostile mail cannot run script or navigate the page; the
//! officer's verdicts download as a `feedback.csv` that `triage eval
//! --feedback` reads.

use crate::browser::Browser;
use crate::util::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The items on the page, in page order: (source, queue, priority, categories).
fn items(b: &mut Browser) -> Vec<(String, String, String, Vec<String>)> {
    let v = b.eval(
        "Array.from(document.querySelectorAll('article.item')).map(e => \
         [e.dataset.source, e.dataset.queue, e.dataset.priority, e.dataset.categories])",
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let s = |n: usize| i[n].as_str().unwrap().to_string();
            (
                s(0),
                s(1),
                s(2),
                s(3).split_whitespace().map(String::from).collect(),
            )
        })
        .collect()
}

/// Source ids of the items not hidden by the filters.
fn visible(b: &mut Browser) -> BTreeSet<String> {
    let v = b.eval(
        "Array.from(document.querySelectorAll('article.item')).filter(e => \
         !e.hidden && e.offsetParent !== null).map(e => e.dataset.source)",
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

#[test]
fn sample_night_page_shows_every_flagged_item_in_action_order_with_its_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_sample_night(tmp.path(), &[]);
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out = tmp.path().join("out");
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let flagged: BTreeSet<String> = summary["flagged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| text(&f["source"]))
        .collect();
    let decisions = read_decisions(&out.join("decisions.jsonl"));
    let report = read_report(&out.join("report.csv"));

    let mut b = Browser::launch();
    b.open(&out.join("review.html"));
    let page = items(&mut b);

    // Every flagged message once, nothing else.
    let on_page: Vec<&String> = page.iter().map(|i| &i.0).collect();
    assert_eq!(
        on_page
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        flagged
    );
    assert_eq!(on_page.len(), flagged.len(), "an item is listed twice");
    assert!(
        flagged.len() > 20,
        "the sample night flags {}",
        flagged.len()
    );

    // Escalations first by priority, welfare at the very top; then
    // read-only; then respond.
    let rank = |q: &str| {
        ["escalate", "read-only", "respond"]
            .iter()
            .position(|x| *x == q)
    };
    let prio = |p: &str| ["urgent", "high", "normal"].iter().position(|x| *x == p);
    for pair in page.windows(2) {
        let (a, z) = (&pair[0], &pair[1]);
        assert!(
            (rank(&a.1), prio(&a.2)) <= (rank(&z.1), prio(&z.2)) || rank(&a.1) < rank(&z.1),
            "{} ({} {}) before {} ({} {})",
            a.0,
            a.1,
            a.2,
            z.0,
            z.1,
            z.2
        );
    }
    assert!(
        page[0].3.contains(&"threat_self_harm".to_string()),
        "first item: {:?}",
        page[0]
    );
    assert_eq!(page[0].1, "escalate");

    // Each rule hit is highlighted: its matched text lies inside a <mark>
    // of that item's message text, or of its subject heading for a hit in
    // the Subject line.
    for (source, ..) in &page {
        let marks_in = |b: &mut Browser, part: &str| -> Vec<String> {
            let marks = b.eval(&format!(
                "Array.from(document.querySelectorAll('article.item[data-source={}] {part} mark'))\
                 .map(m => m.textContent)",
                serde_json::json!(source)
            ));
            marks.as_array().unwrap().iter().map(text).collect()
        };
        let (in_text, in_subject) = (marks_in(&mut b, ".text"), marks_in(&mut b, ".subject"));
        for hit in decisions[source]["detection"]["hits"].as_array().unwrap() {
            let matched = text(&hit["matched"]);
            let marks = match hit["segment"].as_str() {
                Some("subject") => &in_subject,
                _ => &in_text,
            };
            assert!(
                marks.iter().any(|m| m.contains(&matched)),
                "{source}: `{matched}` is not highlighted; marks: {marks:?}"
            );
        }
    }

    // What the officer reads on an item: why, the policy entry, actions,
    // and a repeat's earlier excerpt with its similarity.
    let threat = b.eval(
        "document.querySelector('article.item[data-source=\"039-burn-your-office-down.eml\"]').innerText",
    );
    let threat = text(&threat);
    for want in [
        "threat_property",
        "policy entry 3",
        "log_hs_incident",
        "consider_police_report",
    ] {
        assert!(threat.contains(want), "{want} missing in:\n{threat}");
    }
    let repeat_row = report
        .values()
        .find(|r| !r["repeat_of"].is_empty() && flagged.contains(&r["source"]))
        .expect("the sample night has a repeat");
    let repeat = text(&b.eval(&format!(
        "document.querySelector('article.item[data-source={}] .repeat').innerText",
        serde_json::json!(repeat_row["source"])
    )));
    let similarity: f64 = repeat_row["similarity"].parse().unwrap();
    assert!(
        repeat.contains(&format!("{similarity:.2}")) && repeat.contains(&repeat_row["repeat_of"]),
        "{repeat}"
    );

    // Filters and search.
    b.choose("#f-category", "threat_self_harm");
    let self_harm: BTreeSet<String> = page
        .iter()
        .filter(|i| i.3.contains(&"threat_self_harm".to_string()))
        .map(|i| i.0.clone())
        .collect();
    assert_eq!(visible(&mut b), self_harm);
    assert_eq!(
        text(&b.eval("document.getElementById('shown-count').textContent")),
        self_harm.len().to_string()
    );
    b.choose("#f-category", "");
    b.choose("#f-queue", "read-only");
    let read_only: BTreeSet<String> = page
        .iter()
        .filter(|i| i.1 == "read-only")
        .map(|i| i.0.clone())
        .collect();
    assert!(!read_only.is_empty());
    assert_eq!(visible(&mut b), read_only);
    b.choose("#f-queue", "");
    b.choose("#f-customer", "CRM-15092");
    let reeve: BTreeSet<String> = report
        .values()
        .filter(|r| r["customer_id"] == "CRM-15092" && flagged.contains(&r["source"]))
        .map(|r| r["source"].clone())
        .collect();
    assert!(!reeve.is_empty());
    assert_eq!(visible(&mut b), reeve);
    b.choose("#f-customer", "");
    b.type_into("#f-search", "old tablets");
    assert_eq!(
        visible(&mut b),
        BTreeSet::from(["034-bailiffs-letter.eml".to_string()])
    );
    b.eval("(() => { const s = document.getElementById('f-search'); s.value = ''; s.dispatchEvent(new Event('input')); })()");
    assert_eq!(visible(&mut b).len(), flagged.len());

    // The customers section: one card per register customer who wrote,
    // each with a chart, and the review badges relative to the run.
    let wrote: BTreeSet<String> = report
        .values()
        .map(|r| r["customer_id"].clone())
        .filter(|c| !c.is_empty())
        .collect();
    let cards = b.eval(
        "Array.from(document.querySelectorAll('#customers article.customer')).map(c => \
         [c.dataset.customer, c.querySelectorAll('svg.chart g.week').length, c.innerText])",
    );
    let cards = cards.as_array().unwrap();
    assert_eq!(
        cards.iter().map(|c| text(&c[0])).collect::<BTreeSet<_>>(),
        wrote
    );
    let card = |id: &str| {
        cards
            .iter()
            .find(|c| c[0] == id)
            .map(|c| text(&c[2]))
            .unwrap()
    };
    // Martin Reeve: review 2026-10-20, the run 2026-11-21.
    assert!(
        card("CRM-15092").contains("review overdue by 32 days"),
        "{}",
        card("CRM-15092")
    );
    // Gary Holt: review 2027-01-04.
    assert!(card("CRM-20417").contains("review due in 44 days"));
    for c in cards {
        assert!(c[1].as_u64().unwrap() >= 1, "{c}");
        assert!(text(&c[2]).contains("acceptable"), "{c}");
    }
    let reeve_card = card("CRM-15092");
    let unacceptable = report
        .values()
        .filter(|r| r["customer_id"] == "CRM-15092" && r["conduct"] == "unacceptable")
        .count();
    assert!(
        reeve_card.contains(&format!("{unacceptable} unacceptable")),
        "{reeve_card}"
    );

    // The page as the officer first sees it, kept as a test artifact.
    b.open(&out.join("review.html"));
    let shot = repo().join("target/review-sample-night.png");
    b.screenshot_full_page(&shot);
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}

/// Mail written to attack the page: scripts, event handlers, `javascript:`
/// links, a meta refresh, HTML-only bodies, markup in the subject and in the
/// sender's name. Each would set `window.pwned`, change the title or
/// navigate if it ran.
#[test]
fn hostile_mail_cannot_run_script_or_navigate_the_review_page() {
    let mut w = World::new();
    w.customer("CRM-1,Mal Icious,mal@example.com,monitored,2026-09-01,,2026-12-01,,,,,true,");
    let date = "Fri, 20 Nov 2026 18:00:00 +0000";
    let to = "housing@northfield.gov.uk";
    w.mail(
        "\"<script>window.pwned=1</script>\" <mal@example.com>",
        to,
        date,
        "<img src=x onerror=\"window.pwned=2;document.title='pwned'\">",
        "You useless bunch of thieving parasites.\n<script>window.pwned=3;document.title='pwned'</script>\n\
         <img src=x onerror=\"window.pwned=4\">",
    );
    w.mail(
        "a.resident@example.com",
        to,
        date,
        "click here",
        "I know where you live and I will come round and hurt you.\n\
         <a href=\"javascript:window.pwned=5\">javascript:window.pwned=5</a>\n\
         <meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
    );
    w.raw(
        "html-only.eml",
        b"From: b.resident@example.com\r\nTo: housing@northfield.gov.uk\r\nSubject: html\r\n\
          Date: Fri, 20 Nov 2026 18:10:00 +0000\r\nMessage-ID: <html-only@example.com>\r\n\
          MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
          <html><head><meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">\
          <script>window.pwned=6</script></head><body onload=\"window.pwned=7\">\
          <p>I am going to burn your office down.</p>\
          <svg onload=\"window.pwned=8\"></svg><iframe src=\"javascript:parent.pwned=9\"></iframe>\
          <p>&lt;script&gt;window.pwned=10&lt;/script&gt;</p></body></html>\r\n",
    );
    let rows = w.triage();
    for (source, row) in &rows {
        assert!(
            !row["categories"].is_empty(),
            "{source} must be flagged: {row:?}"
        );
    }

    let mut b = Browser::launch();
    let url = b.open(&w.path("out/review.html"));
    b.settle(1500);
    assert_eq!(b.eval("typeof window.pwned"), Value::from("undefined"));
    assert!(
        text(&b.eval("document.title")).starts_with("Triage review"),
        "{}",
        b.eval("document.title")
    );
    assert_eq!(text(&b.eval("location.href")), url, "the page navigated");
    let names = b.event_names();
    assert!(
        !names.contains(&"Page.javascriptDialogOpening"),
        "a dialog opened: {names:?}"
    );
    // Only the page's own script and none of the message's elements exist.
    assert_eq!(b.eval("document.scripts.length"), Value::from(1));
    assert_eq!(
        b.eval(
            "document.querySelectorAll('img, iframe, meta[http-equiv=refresh], \
             a[href^=javascript], [onerror], [onload], article.item svg').length"
        ),
        Value::from(0)
    );
    // The hostile text is shown as text, for the officer to read.
    let body = text(&b.eval("document.body.innerText"));
    for shown in [
        "<script>window.pwned=3;document.title='pwned'</script>",
        "<img src=x onerror=\"window.pwned=2;document.title='pwned'\">",
        "javascript:window.pwned=5",
        "burn your office down",
    ] {
        assert!(body.contains(shown), "`{shown}` not shown as text");
    }
    // Every item is there, with its highlighted evidence.
    assert_eq!(items(&mut b).len(), rows.len());
    let marks = text(
        &b.eval("Array.from(document.querySelectorAll('mark')).map(m => m.textContent).join('|')"),
    );
    assert!(marks.contains("burn your office down"), "{marks}");
    assert!(marks.contains("I know where you live"), "{marks}");
    // The vulnerable customer is marked on the item and in the customers section.
    assert_eq!(
        b.eval("document.querySelectorAll('#customers .badge.vulnerable, article.item .badge.vulnerable').length"),
        Value::from(2)
    );
}

/// The officer marks verdicts on the page, downloads `feedback.csv` with the
/// button, and `triage eval --feedback` reads it as labels for those messages.
#[test]
fn feedback_downloaded_from_the_page_is_read_by_eval() {
    let mut w = World::new();
    let rant = w.mail(
        "a.resident@example.com",
        "revenues@northfield.gov.uk",
        "Fri, 20 Nov 2026 18:00:00 +0000",
        "my bill",
        "You useless bunch of thieving parasites, sort my bill out.",
    );
    let threat = w.mail(
        "b.resident@example.com",
        "housing@northfield.gov.uk",
        "Fri, 20 Nov 2026 18:05:00 +0000",
        "repairs",
        "Fix the damp by Friday. I know where you live and I know what car you drive.",
    );
    let rows = w.triage();
    assert!(rows[&rant]["categories"].contains("abuse"), "{rows:?}");
    assert!(
        rows[&threat]["categories"].contains("threat_violence"),
        "{rows:?}"
    );

    let mut b = Browser::launch();
    b.open(&w.path("out/review.html"));
    let downloads = w.path("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    b.download_to(&downloads);
    let item = |source: &str| format!("article.item[data-source={}]", serde_json::json!(source));
    // The rant was right; the threat also demanded an unreasonable deadline,
    // which triage missed, and the officer says so.
    b.choose(&format!("{} .fb-verdict", item(&rant)), "correct");
    b.choose(&format!("{} .fb-verdict", item(&threat)), "missed_category");
    b.choose(
        &format!("{} .fb-category", item(&threat)),
        "unreasonable_demand",
    );
    b.type_into(
        &format!("{} .fb-note", item(&threat)),
        "\"by Friday\", with menaces",
    );
    assert_eq!(
        text(&b.eval("document.getElementById('feedback-count').textContent")),
        "2"
    );
    b.click("#download-feedback");
    let file = downloads.join("feedback.csv");
    let started = std::time::Instant::now();
    while !file.exists() {
        assert!(
            started.elapsed().as_secs() < 20,
            "no feedback.csv downloaded"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let csv_text = std::fs::read_to_string(&file).unwrap();
    assert!(
        csv_text.starts_with("id,verdict,category,note,source,flagged"),
        "{csv_text}"
    );
    assert!(
        csv_text.contains("\"\"\"by Friday\"\", with menaces\""),
        "{csv_text}"
    );

    let args: Vec<String> = [
        "eval",
        "--source",
        &w.path("mail").display().to_string(),
        "--feedback",
        &file.display().to_string(),
        "--rules",
        &repo().join("rules").display().to_string(),
        "--now",
        NOW,
    ]
    .map(String::from)
    .to_vec();
    let out = triage(w.dir.path(), &args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Two messages judged: the officer's missed category is a miss.
    let per_category: BTreeMap<&str, &str> = stdout
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(c, rest)| (c, rest.trim())))
        .collect();
    assert!(
        per_category["unreasonable_demand"].starts_with("1 "),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("{threat}  missed unreasonable_demand")),
        "{stdout}"
    );
    assert!(!stdout.contains(&format!("{rant}  ")), "{stdout}");
}
