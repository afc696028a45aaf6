use super::*;
use chrono::{TimeZone, Utc};
use chrono_tz::Europe::London;

const HEADER: &str = "customer_id,name,emails,status,since,until,contact_limit,contact_hours,scope,vulnerable,notes\n";

fn parse(text: &str) -> Result<Register, ConfigErrors> {
    Register::parse(Path::new("register.csv"), text)
}

fn register(text: &str) -> Register {
    parse(text).unwrap_or_else(|e| panic!("unexpected errors:\n{e}"))
}

/// (line, reason) of every error.
fn errors(text: &str) -> Vec<(usize, String)> {
    match parse(text) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.0.into_iter().map(|e| (e.line, e.reason)).collect(),
    }
}

/// The single error of a register whose header is [`HEADER`] and whose only
/// record is `row`; asserts it is on line 2 and mentions every `needle`.
fn assert_one_error(row: &str, needles: &[&str]) {
    let found = errors(&format!("{HEADER}{row}\n"));
    assert_eq!(found.len(), 1, "{found:?}");
    let (line, reason) = &found[0];
    assert_eq!(*line, 2, "{reason}");
    for needle in needles {
        assert!(reason.contains(needle), "`{reason}` lacks `{needle}`");
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn hours(text: &str) -> ContactHours {
    ContactHours::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

// ---- loading ----

#[test]
fn reads_every_column() {
    let reg = register(&format!(
        "{HEADER}C1,Jo Bloggs,Jo.Bloggs+council@Example.org; jo@home.net,Restricted,2026-01-01,2026-06-30,2/week,Mon-Fri 10:00-12:00,housing@council.gov.uk,yes,note\n"
    ));
    let c = &reg.customers[0];
    assert_eq!(c.customer_id, "C1");
    assert_eq!(c.name, "Jo Bloggs");
    assert_eq!(c.emails, ["jo.bloggs@example.org", "jo@home.net"]);
    assert_eq!(c.status, Status::Restricted);
    assert_eq!(c.since, Some(date(2026, 1, 1)));
    assert_eq!(c.until, Some(date(2026, 6, 30)));
    assert_eq!(
        c.contact_limit,
        Some(ContactLimit {
            max: 2,
            period: LimitPeriod::Week
        })
    );
    assert_eq!(
        c.contact_hours.as_ref().unwrap().text,
        "Mon-Fri 10:00-12:00"
    );
    assert_eq!(c.scope, ["housing@council.gov.uk"]);
    assert!(c.vulnerable);
    assert_eq!(c.notes, "note");
    assert_eq!(c.line, 2);
    assert_eq!(reg.lookup("JO@HOME.NET").unwrap().customer_id, "C1");
    assert!(reg.warnings.is_empty());
}

#[test]
fn only_required_columns_in_any_order() {
    let reg = register("emails,customer_id\na@x.org,C1\n");
    let c = &reg.customers[0];
    assert_eq!(c.customer_id, "C1");
    assert_eq!(c.status, Status::Closed);
    assert_eq!(c.contact_limit, None);
    assert!(c.scope.is_empty() && !c.vulnerable);
}

#[test]
fn statuses_and_their_spellings() {
    for (text, status) in [
        ("warned", Status::Warned),
        ("monitored", Status::Monitored),
        ("read_only", Status::ReadOnly),
        ("read-only", Status::ReadOnly),
        ("Read-Only", Status::ReadOnly),
        ("restricted", Status::Restricted),
        ("no_contact", Status::NoContact),
        ("no-contact", Status::NoContact),
        ("closed", Status::Closed),
        ("", Status::Closed),
    ] {
        assert_eq!(Status::parse(text), Some(status), "{text}");
    }
    assert_eq!(Status::parse("banned"), None);
}

#[test]
fn bom_is_tolerated_and_hashed() {
    let text = "\u{feff}customer_id,emails\nC1,a@x.org\n";
    let reg = register(text);
    assert_eq!(reg.customers[0].customer_id, "C1");
    assert_eq!(reg.customers[0].line, 2);
    let expected = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
    assert_eq!(reg.sha256, expected);
}

#[test]
fn empty_lines_and_comma_only_rows_are_skipped() {
    let reg = register("customer_id,emails\n\nC1,a@x.org\n\n,\nC2,b@x.org\n");
    let lines: Vec<_> = reg.customers.iter().map(|c| c.line).collect();
    assert_eq!(lines, [3, 6]);
}

#[test]
fn crlf_line_endings() {
    let reg = register("customer_id,emails\r\nC1,a@x.org\r\nC2,b@x.org\r\n");
    assert_eq!(reg.customers[1].line, 3);
}

#[test]
fn load_reads_file_and_reports_io_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("register.csv");
    std::fs::write(&path, "customer_id,emails\nC1,a@x.org\n").unwrap();
    let reg = Register::load(&path).unwrap();
    assert_eq!(reg.path.as_deref(), Some(path.as_path()));
    assert_eq!(reg.customers.len(), 1);

    let missing = dir.path().join("missing.csv");
    let err = Register::load(&missing).unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert_eq!(
        (err.0[0].line, err.0[0].file.as_path()),
        (0, missing.as_path())
    );
}

#[test]
fn load_refuses_non_utf8_with_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("register.csv");
    std::fs::write(&path, b"customer_id,name,emails\nC1,Ren\xe9e,a@x.org\n").unwrap();
    let err = Register::load(&path).unwrap_err();
    assert_eq!(err.0[0].line, 2);
    assert!(err.0[0].reason.contains("UTF-8"));
}

// ---- errors, one kind at a time ----

#[test]
fn unknown_column_is_named_on_line_1() {
    let found = errors("customer_id,emails,favourite_colour\nC1,a@x.org,blue\n");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, 1);
    assert!(found[0].1.contains("`favourite_colour`"), "{}", found[0].1);
}

#[test]
fn missing_required_columns() {
    let found = errors("name,status\nJo,warned\n");
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|(line, _)| *line == 1));
    assert!(found[0].1.contains("customer_id"));
    assert!(found[1].1.contains("emails"));
}

#[test]
fn duplicate_column() {
    let found = errors("customer_id,emails,Emails\nC1,a@x.org,b@x.org\n");
    assert_eq!(found, [(1, "column `emails` appears twice".to_string())]);
}

#[test]
fn bad_status() {
    assert_one_error("C1,,a@x.org,banned,,,,,,,", &["`status`", "`banned`"]);
}

#[test]
fn bad_iso_dates() {
    assert_one_error(
        "C1,,a@x.org,warned,01/02/2026,,,,,,",
        &["`since`", "`01/02/2026`"],
    );
    assert_one_error(
        "C1,,a@x.org,warned,,2026-02-30,,,,,",
        &["`until`", "`2026-02-30`"],
    );
    assert_one_error(
        "C1,,a@x.org,warned,2026-3-1,,,,,,",
        &["`since`", "`2026-3-1`"],
    );
    let found = errors("customer_id,emails,review_date\nC1,a@x.org,soon\n");
    assert!(found[0].1.contains("`review_date`") && found[0].1.contains("`soon`"));
}

#[test]
fn until_before_since() {
    assert_one_error(
        "C1,,a@x.org,warned,2026-05-01,2026-04-30,,,,,",
        &["`until`", "`2026-04-30`", "since"],
    );
}

#[test]
fn bad_contact_limits() {
    for bad in [
        "0/day",
        "2/fortnight",
        "two/week",
        "2",
        "-1/day",
        "2/week/day",
    ] {
        assert_one_error(
            &format!("C1,,a@x.org,restricted,,,{bad},,,,"),
            &["`contact_limit`", bad],
        );
    }
}

#[test]
fn bad_contact_hours() {
    for bad in [
        "Mon-Fri",
        "Funday 10:00-12:00",
        "Mon-Fri 10:00",
        "Mon-Fri 12:00-10:00",
        "Mon-Fri 25:00-26:00",
        "Mon-Fri 10:0-12:00",
        "Mon-Fri 10:00-12:00; Sat",
    ] {
        assert_one_error(
            &format!("C1,,a@x.org,restricted,,,,{bad},,,"),
            &["`contact_hours`", bad],
        );
    }
}

#[test]
fn empty_and_invalid_emails() {
    assert_one_error("C1,,,warned,,,,,,,", &["`emails`", "empty"]);
    assert_one_error("C1,,;,warned,,,,,,,", &["`emails`", "empty"]);
    for bad in [
        "jo.example.org",
        "@example.org",
        "jo@",
        "jo@@x.org",
        "jo bloggs@x.org",
    ] {
        assert_one_error(&format!("C1,,{bad},warned,,,,,,,"), &["`emails`", bad]);
    }
    assert_one_error("C1,,a@x.org,warned,,,,,not-an-address,,", &["`scope`"]);
    let found = errors("customer_id,emails,single_point_of_contact\nC1,a@x.org,officer\n");
    assert!(found[0].1.contains("`single_point_of_contact`"));
}

#[test]
fn empty_customer_id() {
    assert_one_error(",,a@x.org,warned,,,,,,,", &["`customer_id`", "empty"]);
}

#[test]
fn duplicate_customer_id_names_the_first_line() {
    let found = errors("customer_id,emails\nC1,a@x.org\nC2,b@x.org\nC1,c@x.org\n");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, 4);
    assert!(found[0].1.contains("`C1`") && found[0].1.contains("line 2"));
}

#[test]
fn bad_vulnerable() {
    assert_one_error(
        "C1,,a@x.org,warned,,,,,,maybe,",
        &["`vulnerable`", "`maybe`"],
    );
    for (text, value) in [
        ("TRUE", true),
        ("Yes", true),
        ("1", true),
        ("no", false),
        ("0", false),
        ("", false),
    ] {
        let reg = register(&format!("{HEADER}C1,,a@x.org,warned,,,,,,{text},\n"));
        assert_eq!(reg.customers[0].vulnerable, value, "{text}");
    }
}

#[test]
fn wrong_field_count() {
    assert_one_error("C1,,a@x.org,warned", &["4 fields", "11"]);
}

#[test]
fn line_numbers_count_multi_line_quoted_notes() {
    let text = format!(
        "{HEADER}C1,,a@x.org,warned,,,,,,,\"first line\nsecond line\n\nfourth line\"\nC2,,b@x.org,banned,,,,,,,\n"
    );
    let found = errors(&text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, 6, "{}", found[0].1);
}

#[test]
fn line_numbers_survive_crlf_blank_lines_and_quoted_line_breaks() {
    let text = "customer_id,emails,notes\r\n\r\nC1,a@x.org,\"one\r\ntwo\"\r\n\r\n\r\nC2,,\r\nC3,c@x.org,\r\n";
    assert_eq!(errors(text), [(7, "column `emails` is empty".to_string())]);
}

#[test]
fn every_problem_is_reported_at_once_in_file_order() {
    let text = format!(
        "{HEADER}\
         C1,,a@x.org,banned,2026-13-01,,3/year,,,perhaps,\"multi\nline\"\n\
         C2,,b@x.org,warned,,,,,,,\n\
         C2,,nope,warned,,,,Mon 9-10,,,\n"
    );
    let found = errors(&text);
    let lines: Vec<_> = found.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [2, 2, 2, 2, 5, 5, 5], "{found:#?}");
    let all = found
        .iter()
        .map(|(_, r)| r.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for column in [
        "status",
        "since",
        "contact_limit",
        "vulnerable",
        "emails",
        "contact_hours",
        "customer_id",
    ] {
        assert!(
            all.contains(&format!("`{column}`")),
            "{column} missing from\n{all}"
        );
    }
}

#[test]
fn errors_carry_the_file() {
    let err =
        Register::parse(Path::new("/etc/triage/register.csv"), "customer_id\nC1\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "/etc/triage/register.csv:1: missing required column `emails`"
    );
}

// ---- addresses ----

#[test]
fn normalisation_drops_tag_and_case_but_keeps_dots() {
    assert_eq!(
        normalize_address("Jo.Bloggs+council@Example.org"),
        "jo.bloggs@example.org"
    );
    assert_eq!(normalize_address("  <JO@X.ORG> "), "jo@x.org");
    assert_eq!(normalize_address("Jo Bloggs <jo+a+b@x.org>"), "jo@x.org");
    assert_eq!(normalize_address("+tagonly@x.org"), "+tagonly@x.org");
    assert_eq!(normalize_address("j.o.b@x.org"), "j.o.b@x.org");
}

#[test]
fn lookup_by_any_form() {
    let reg = register("customer_id,emails\nC1,Jo+x@Example.org\n");
    assert_eq!(
        reg.lookup("<JO+other@example.ORG>").unwrap().customer_id,
        "C1"
    );
    assert!(reg.lookup("jo2@example.org").is_none());
}

#[test]
fn address_claimed_twice_warns_and_first_claim_wins() {
    let reg = register("customer_id,emails\nC1,a@x.org\nC2,b@x.org; A+dup@X.org\n");
    assert_eq!(reg.lookup("a@x.org").unwrap().customer_id, "C1");
    assert_eq!(reg.lookup("b@x.org").unwrap().customer_id, "C2");
    assert_eq!(reg.warnings.len(), 1);
    assert_eq!(reg.warnings[0].line, 3);
    assert!(
        reg.warnings[0].reason.contains("`C1`"),
        "{}",
        reg.warnings[0].reason
    );
}

#[test]
fn same_address_twice_in_one_record_is_kept_once() {
    let reg = register("customer_id,emails\nC1,a@x.org;A@x.org\n");
    assert_eq!(reg.customers[0].emails, ["a@x.org"]);
    assert!(reg.warnings.is_empty());
}

// ---- status in force, scope ----

#[test]
fn active_status_includes_both_bounds() {
    let reg = register(&format!(
        "{HEADER}C1,,a@x.org,monitored,2026-01-10,2026-04-10,,,,,\n"
    ));
    let c = &reg.customers[0];
    assert_eq!(c.active_status(date(2026, 1, 9)), None);
    assert_eq!(c.active_status(date(2026, 1, 10)), Some(Status::Monitored));
    assert_eq!(c.active_status(date(2026, 4, 10)), Some(Status::Monitored));
    assert_eq!(c.active_status(date(2026, 4, 11)), None);
}

#[test]
fn active_status_open_bounds_and_closed() {
    let reg = register(&format!(
        "{HEADER}C1,,a@x.org,warned,,,,,,,\nC2,,b@x.org,closed,2020-01-01,,,,,,\nC3,,c@x.org,no_contact,,2026-01-01,,,,,\n"
    ));
    let on = |i: usize, d| reg.customers[i].active_status(d);
    assert_eq!(on(0, date(1990, 1, 1)), Some(Status::Warned));
    assert_eq!(on(1, date(2026, 1, 1)), None);
    assert_eq!(on(2, date(2026, 1, 1)), Some(Status::NoContact));
    assert_eq!(on(2, date(2026, 1, 2)), None);
    let active: Vec<_> = reg
        .active_customers(date(2026, 1, 1))
        .map(|(c, s)| (c.customer_id.as_str(), s))
        .collect();
    assert_eq!(active, [("C1", Status::Warned), ("C3", Status::NoContact)]);
}

#[test]
fn scope_limits_where_a_status_applies() {
    let reg = register(&format!(
        "{HEADER}C1,,a@x.org,read_only,,,,,Housing@Council.gov.uk; planning@council.gov.uk,,\nC2,,b@x.org,read_only,,,,,,,\n"
    ));
    let scoped = &reg.customers[0];
    assert!(scoped.in_scope(["ceo@council.gov.uk", "HOUSING@council.gov.uk"]));
    assert!(scoped.in_scope(["planning+team@council.gov.uk"]));
    assert!(!scoped.in_scope(["ceo@council.gov.uk"]));
    assert!(!scoped.in_scope([]));
    assert!(reg.customers[1].in_scope([]));
    assert!(reg.customers[1].in_scope(["anyone@council.gov.uk"]));
}

// ---- contact limits ----

#[test]
fn contact_limit_forms() {
    let limit = |max, period| Ok(ContactLimit { max, period });
    assert_eq!(ContactLimit::parse("1/day"), limit(1, LimitPeriod::Day));
    assert_eq!(ContactLimit::parse("2 / Week"), limit(2, LimitPeriod::Week));
    assert_eq!(
        ContactLimit::parse(" 10/MONTH "),
        limit(10, LimitPeriod::Month)
    );
    assert!(ContactLimit::parse("0/week").is_err());
    assert!(ContactLimit::parse("2/year").is_err());
    assert_eq!(
        ContactLimit::parse("3/month").unwrap().window(),
        chrono::Duration::days(30)
    );
}

// ---- contact hours ----

#[test]
fn contact_hours_day_specs() {
    let days = |text: &str| hours(text).days;
    let week = |s: &str| -> [bool; 7] { std::array::from_fn(|i| s.as_bytes()[i] == b'x') };
    assert_eq!(days("Mon-Fri 10:00-12:00"), week("xxxxx.."));
    assert_eq!(days("Mon,Wed,Fri 09:00-17:00"), week("x.x.x.."));
    assert_eq!(days("Sat 10:00-12:00"), week(".....x."));
    assert_eq!(days("Mon-Sun 08:30-18:00"), week("xxxxxxx"));
    assert_eq!(days("Daily 09:00-17:00"), week("xxxxxxx"));
    assert_eq!(days("Fri-Mon 09:00-17:00"), week("x...xxx"));
    assert_eq!(days("sun-tue 09:00-17:00"), week("xx....x"));
    assert_eq!(
        days("Monday - Wednesday, SATURDAY 9:00 - 17:00"),
        week("xxx..x.")
    );
    assert_eq!(days("Weekdays 09:00-17:00"), week("xxxxx.."));
    assert_eq!(days("09:00-17:00"), week("xxxxxxx"));
    let h = hours("Mon-Sun 08:30-18:00");
    assert_eq!(
        (h.start, h.end),
        (
            NaiveTime::from_hms_opt(8, 30, 0).unwrap(),
            NaiveTime::from_hms_opt(18, 0, 0).unwrap()
        )
    );
}

#[test]
fn contact_hours_start_inclusive_end_exclusive() {
    let h = hours("Mon-Fri 10:00-12:00");
    // 2026-01-12 is a Monday; GMT, so UTC = local.
    assert!(!h.allows(utc(2026, 1, 12, 9, 59), London));
    assert!(h.allows(utc(2026, 1, 12, 10, 0), London));
    assert!(h.allows(utc(2026, 1, 12, 11, 59), London));
    assert!(!h.allows(utc(2026, 1, 12, 12, 0), London));
    assert!(!h.allows(utc(2026, 1, 17, 10, 30), London)); // Saturday
}

#[test]
fn contact_hours_follow_bst_from_29_march_2026() {
    let h = hours("Sat,Sun 10:00-12:00");
    // Saturday 28 March: GMT.
    assert!(!h.allows(utc(2026, 3, 28, 9, 30), London));
    assert!(h.allows(utc(2026, 3, 28, 11, 30), London));
    // Sunday 29 March: BST from 01:00 UTC, so local = UTC + 1.
    assert!(h.allows(utc(2026, 3, 29, 9, 30), London));
    assert!(!h.allows(utc(2026, 3, 29, 11, 30), London));
}

#[test]
fn contact_hours_follow_gmt_from_25_october_2026() {
    let h = hours("Sat,Sun 10:00-12:00");
    // Saturday 24 October: still BST.
    assert!(h.allows(utc(2026, 10, 24, 9, 30), London));
    assert!(!h.allows(utc(2026, 10, 24, 11, 30), London));
    // Sunday 25 October: GMT from 01:00 UTC.
    assert!(!h.allows(utc(2026, 10, 25, 9, 30), London));
    assert!(h.allows(utc(2026, 10, 25, 11, 30), London));
}

#[test]
fn contact_hours_use_the_local_weekday() {
    // Friday 23:30 UTC in summer is Saturday 00:30 in London.
    let h = hours("Sat 00:00-02:00");
    assert!(h.allows(utc(2026, 7, 3, 23, 30), London));
    assert!(!h.allows(utc(2026, 1, 2, 23, 30), London));
}

#[test]
fn contact_hours_wrapped_range_over_the_weekend() {
    let h = hours("Fri-Mon 09:00-17:00");
    // 2026-01-09 is a Friday.
    for (day, open) in [
        (9, true),
        (10, true),
        (11, true),
        (12, true),
        (13, false),
        (14, false),
        (15, false),
    ] {
        assert_eq!(
            h.allows(utc(2026, 1, day, 12, 0), London),
            open,
            "January {day}"
        );
    }
}

#[test]
fn contact_hours_several_windows() {
    let h = hours("Mon-Fri 10:00-12:00; Sat 10:00-11:00");
    assert_eq!(h.text, "Mon-Fri 10:00-12:00; Sat 10:00-11:00");
    assert_eq!(h.also.len(), 1);
    assert_eq!(h.windows().count(), 2);
    assert!(h.allows(utc(2026, 1, 12, 11, 30), London)); // Monday
    assert!(h.allows(utc(2026, 1, 17, 10, 30), London)); // Saturday
    assert!(!h.allows(utc(2026, 1, 17, 11, 30), London));
    assert!(!h.allows(utc(2026, 1, 18, 10, 30), London)); // Sunday
}

#[test]
fn contact_hours_until_midnight() {
    let h = hours("Fri 22:00-24:00; Sat 00:00-02:00");
    assert!(h.allows(utc(2026, 1, 9, 23, 59), London));
    assert!(h.allows(utc(2026, 1, 10, 1, 0), London));
    assert!(!h.allows(utc(2026, 1, 10, 2, 0), London));
}

// ---- the example file ----

#[test]
fn example_fixture_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/register/example.csv");
    let reg = Register::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(reg.customers.len() >= 5);
    assert!(reg.customers.iter().any(|c| !c.scope.is_empty()));
    assert!(reg
        .customers
        .iter()
        .any(|c| c.contact_hours.as_ref().is_some_and(|h| !h.also.is_empty())));
    assert_eq!(reg.warnings.len(), 1);
}
