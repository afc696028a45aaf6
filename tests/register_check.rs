//! `triage register check`: each finding from its own small register, on the
//! fixed day 2026-11-21 (`--now`), as the CRO reads it and as a machine does;
//! the exit status says whether anything needs attention.

use crate::util::*;
use std::process::Output;

/// `register check` over a register of `rows` (after the header) written to
/// a file of its own; returns the output and the register's path.
fn check(rows: &[&str], extra: &[&str]) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("register.csv");
    let text = format!("{REGISTER_HEADER}\n{}\n", rows.join("\n"));
    std::fs::write(&path, text).unwrap();
    let mut args: Vec<String> = ["register", "check", "--register"]
        .map(String::from)
        .to_vec();
    args.push(path.display().to_string());
    args.extend(["--now".to_string(), NOW.to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    (triage(dir.path(), &args), path.display().to_string())
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Exits 1 and lists exactly `lines` (whole lines of the text report) under
/// `heading`.
fn assert_listed(out: &Output, heading: &str, lines: &[&str]) {
    let text = stdout(out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let group = format!("\n{heading} ({}):\n", lines.len());
    let at = text
        .find(&group)
        .unwrap_or_else(|| panic!("no `{group}` in:\n{text}"));
    let body: Vec<&str> = text[at + group.len()..]
        .lines()
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(body, lines, "{text}");
}

/// A customer with everything in order on 2026-11-21.
const IN_ORDER: &str =
    "CRM-1,Jo Bloggs,jo@example.org,monitored,2026-10-01,2027-01-01,2027-01-01,,,,,false,";

#[test]
fn a_register_in_order_exits_0() {
    let (out, path) = check(
        &[
            IN_ORDER,
            // Closed: nothing to review, even with old dates.
            "CRM-2,Al Old,al@example.org,closed,2025-01-01,2025-06-01,,,,,,false,",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        format!("register {path}: 2 customers, checked for 2026-11-21\nnothing needs attention\n")
    );
}

#[test]
fn an_overdue_review_is_listed_with_its_line_and_date() {
    let (out, _) = check(
        &[
            IN_ORDER,
            "CRM-7,Sam Late,sam@example.org,monitored,2026-08-01,2027-02-01,2026-11-01,,,,,false,",
        ],
        &[],
    );
    assert_listed(
        &out,
        "Reviews overdue",
        &["  CRM-7  Sam Late  line 3  monitored: review was due 2026-11-01 (20 days ago)"],
    );
}

#[test]
fn a_review_due_within_14_days_is_listed_and_one_after_is_not() {
    let (out, _) = check(
        &[
            "CRM-1,Ann Soon,ann@example.org,restricted,2026-06-01,2027-06-01,2026-12-05,2/week,,,,false,",
            "CRM-2,Bea Later,bea@example.org,restricted,2026-06-01,2027-06-01,2026-12-06,2/week,,,,false,",
        ],
        &[],
    );
    assert_listed(
        &out,
        "Reviews due within 14 days",
        &["  CRM-1  Ann Soon  line 2  restricted: review due 2026-12-05 (in 14 days)"],
    );
    assert!(!stdout(&out).contains("CRM-2"), "{}", stdout(&out));
}

#[test]
fn a_status_that_ended_but_is_still_listed_is_listed() {
    let (out, _) = check(
        &[
            "CRM-3,Phil Ended,phil@example.org,no_contact,2026-05-01,2026-11-20,,,,,,false,",
            "CRM-4,Jan Closed,jan@example.org,closed,2026-05-01,2026-11-20,,,,,,false,",
        ],
        &[],
    );
    assert_listed(
        &out,
        "Statuses that have ended but are still listed (set them to closed, or renew with a new until)",
        &["  CRM-3  Phil Ended  line 2  no_contact: ended 2026-11-20 (yesterday), still listed"],
    );
    // An ended status is not also reported for its missing review date.
    assert!(!stdout(&out).contains("without a review date"));
    assert!(!stdout(&out).contains("CRM-4"));
}

#[test]
fn a_status_ending_within_14_days_is_listed() {
    let (out, _) = check(
        &["CRM-5,Ray Ending,ray@example.org,read_only,2026-06-01,2026-11-30,2026-12-20,,,,,false,"],
        &[],
    );
    assert_listed(
        &out,
        "Statuses ending within 14 days",
        &["  CRM-5  Ray Ending  line 2  read_only: ends 2026-11-30 (in 9 days)"],
    );
}

#[test]
fn a_status_without_a_review_date_is_listed() {
    let (out, _) = check(
        &[
            "CRM-6,Col Norev,col@example.org,restricted,2026-10-01,2027-04-01,,,Mon-Fri 10:00-12:00,,,false,",
            "CRM-8,Ed Closed,ed@example.org,,,,,,,,,false,",
        ],
        &[],
    );
    assert_listed(
        &out,
        "Statuses without a review date",
        &["  CRM-6  Col Norev  line 2  restricted: no review_date"],
    );
    assert!(!stdout(&out).contains("CRM-8"));
}

#[test]
fn a_review_further_out_than_the_policy_allows_is_listed() {
    // Monitoring: reviewed within 3 months (by 2027-02-21); restrictions
    // within 6 (by 2027-05-21); a status not yet started counts from `since`.
    let (out, _) = check(
        &[
            "CRM-1,Mo Far,mo@example.org,monitored,2026-11-01,2027-05-01,2027-02-22,,,,,false,",
            "CRM-2,Mo Near,mn@example.org,monitored,2026-11-01,2027-05-01,2027-02-21,,,,,false,",
            "CRM-3,Rex Edge,rex@example.org,restricted,2026-11-01,2027-11-01,2027-05-21,,,,,false,",
            "CRM-4,Rex Far,rf@example.org,restricted,2026-11-01,2027-11-01,2027-05-22,,,,,false,",
            "CRM-5,Fay Future,fay@example.org,monitored,2027-01-10,2027-07-10,2027-04-10,,,,,false,",
        ],
        &[],
    );
    assert_listed(
        &out,
        "Review dates further out than the policy allows (3 months for warned and monitored, 6 for read_only, restricted and no_contact)",
        &[
            "  CRM-1  Mo Far  line 2  monitored: review set for 2027-02-22, after the latest the policy allows (2027-02-21)",
            "  CRM-4  Rex Far  line 5  restricted: review set for 2027-05-22, after the latest the policy allows (2027-05-21)",
        ],
    );
}

#[test]
fn an_address_claimed_by_two_customers_is_listed_on_the_second() {
    let (out, _) = check(
        &[
            IN_ORDER,
            "CRM-9,Jo Twin,Jo+home@Example.org;twin@example.org,monitored,2026-10-01,2027-01-01,2027-01-01,,,,,false,",
        ],
        &[],
    );
    assert_listed(
        &out,
        "Addresses claimed by two customers (their mail is matched to the first)",
        &["  CRM-9  Jo Twin  line 3  monitored: `jo@example.org` is also claimed by CRM-1 Jo Bloggs (line 2), whose claim wins"],
    );
}

#[test]
fn an_invalid_register_exits_2_naming_file_and_line() {
    let (out, path) = check(
        &[
            IN_ORDER,
            "CRM-2,Bad Date,bad@example.org,monitored,2026-10-01,2027-01-01,01/02/2027,,,,,false,",
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{path}:3: column `review_date`: `01/02/2027`: not an ISO date YYYY-MM-DD"
        )),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn json_lists_each_finding_with_kind_customer_line_and_date() {
    let (out, _) = check(
        &[
            IN_ORDER,
            "CRM-7,Sam Late,sam@example.org,monitored,2026-08-01,2027-02-01,2026-11-01,,,,,false,",
            "CRM-6,Col Norev,col@example.org,restricted,2026-10-01,2027-04-01,,,,,,false,",
        ],
        &["--json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["today"], "2026-11-21");
    assert_eq!(report["customers"], 3);
    let findings: Vec<(String, String, u64, serde_json::Value)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["customer_id"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["date"].clone(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        vec![
            (
                "review_overdue".to_string(),
                "CRM-7".to_string(),
                3,
                serde_json::json!("2026-11-01")
            ),
            (
                "no_review_date".to_string(),
                "CRM-6".to_string(),
                4,
                serde_json::Value::Null
            ),
        ]
    );
}

#[test]
fn the_sample_register_lists_what_its_notes_say() {
    let args: Vec<String> = [
        "register",
        "check",
        "--register",
        &repo().join("corpus/register.csv").display().to_string(),
        "--now",
        NOW,
    ]
    .map(String::from)
    .to_vec();
    let out = triage(&repo(), &args);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    // CRM-15092's note: "3-month review OVERDUE"; CRM-11324's: "ENDED 31 Oct 2026".
    assert!(
        text.contains(
            "CRM-15092  Martin Reeve  line 4  monitored: review was due 2026-10-20 (32 days ago)"
        ),
        "{text}"
    );
    assert!(text.contains("CRM-11324  Philip Grange  line 13  no_contact: ended 2026-10-31 (21 days ago), still listed"), "{text}");
}
