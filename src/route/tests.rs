//! The default policy routes every §5 row as the table says.

use super::*;
use std::path::PathBuf;

fn default_policy() -> Policy {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules/policy.toml");
    Policy::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn facts(categories: &[Category]) -> Facts {
    Facts {
        categories: categories.iter().copied().collect(),
        ..Facts::default()
    }
}

fn check(f: &Facts, queue: Queue, priority: Priority, row: usize, actions: &[&str]) -> Routing {
    let r = default_policy().route(f);
    assert_eq!(
        (r.queue, r.priority, r.entry_index),
        (queue, priority, row),
        "{r:?}"
    );
    for a in actions {
        assert!(
            r.actions.iter().any(|x| x == a),
            "missing action {a}: {r:?}"
        );
    }
    r
}

#[test]
fn row_1_unparseable() {
    let f = Facts {
        unparseable: true,
        ..Facts::default()
    };
    check(&f, Queue::Escalate, Priority::High, 1, &["manual_check"]);
}

#[test]
fn row_2_self_harm_outranks_everything_else() {
    let mut f = facts(&[Category::ThreatSelfHarm, Category::Abuse]);
    f.status = Some(Status::ReadOnly);
    let r = check(
        &f,
        Queue::Escalate,
        Priority::Urgent,
        2,
        &["welfare_check", "log_hs_incident"],
    );
    // Row 5 matched as well: its actions accumulate.
    assert!(r.actions.iter().any(|a| a == "notify_cro"));
}

#[test]
fn row_3_threats() {
    for c in [Category::ThreatViolence, Category::ThreatProperty] {
        check(
            &facts(&[c]),
            Queue::Escalate,
            Priority::High,
            3,
            &[
                "log_hs_incident",
                "notify_line_manager",
                "consider_police_report",
            ],
        );
    }
}

#[test]
fn row_4_no_contact() {
    let mut f = facts(&[]);
    f.status = Some(Status::NoContact);
    check(&f, Queue::Escalate, Priority::High, 4, &["notify_cro"]);
}

#[test]
fn row_5_abuse_from_registered_customer_and_hate_crime_action() {
    let mut f = facts(&[Category::Abuse]);
    f.status = Some(Status::Monitored);
    let r = check(
        &f,
        Queue::Escalate,
        Priority::Normal,
        5,
        &["log_low_level_incident", "notify_cro"],
    );
    assert!(!r.actions.iter().any(|a| a == "consider_hate_crime_report"));
    let mut f = facts(&[Category::Discrimination]);
    f.status = Some(Status::Warned);
    check(
        &f,
        Queue::Escalate,
        Priority::Normal,
        5,
        &["consider_hate_crime_report"],
    );
}

#[test]
fn row_6_abusive_before() {
    let mut f = facts(&[Category::Abuse]);
    f.abusive_before = true;
    check(
        &f,
        Queue::Escalate,
        Priority::Normal,
        6,
        &["send_warning", "notify_line_manager"],
    );
}

#[test]
fn row_7_urgent_service_is_never_read_only() {
    let mut f = facts(&[]);
    f.urgent_service = true;
    f.status = Some(Status::ReadOnly);
    check(&f, Queue::Respond, Priority::Urgent, 7, &[]);
}

#[test]
fn row_8_read_only_and_new_issue_modifier() {
    let mut f = facts(&[]);
    f.status = Some(Status::ReadOnly);
    check(
        &f,
        Queue::ReadOnly,
        Priority::Normal,
        8,
        &["action_service_requests"],
    );
    f.new_issue = true;
    let r = check(&f, Queue::Respond, Priority::Normal, 12, &[]);
    assert!(r.reasons.iter().any(|x| x == "new_issue"));
}

#[test]
fn vulnerable_customer_is_never_read_only() {
    let mut f = facts(&[]);
    f.status = Some(Status::ReadOnly);
    f.vulnerable = true;
    let r = default_policy().route(&f);
    assert_eq!(r.queue, Queue::Respond);
    assert!(r.actions.iter().any(|a| a == "notify_cro"));
    assert!(r.reasons.iter().any(|a| a == "vulnerable"));
}

#[test]
fn row_9_restricted_breach() {
    let mut f = facts(&[]);
    f.status = Some(Status::Restricted);
    check(&f, Queue::Respond, Priority::Normal, 12, &[]);
    f.over_contact_limit = true;
    check(&f, Queue::ReadOnly, Priority::Normal, 9, &["notify_cro"]);
    f.over_contact_limit = false;
    f.outside_contact_hours = true;
    check(&f, Queue::ReadOnly, Priority::Normal, 9, &["notify_cro"]);
}

#[test]
fn row_10_first_abuse_from_unregistered() {
    check(
        &facts(&[Category::Discrimination]),
        Queue::Respond,
        Priority::Normal,
        10,
        &["log_low_level_incident", "defuse_reply"],
    );
}

#[test]
fn row_11_monitored_and_spoc_modifier() {
    let mut f = facts(&[]);
    f.status = Some(Status::Warned);
    check(
        &f,
        Queue::Respond,
        Priority::Normal,
        11,
        &["forward_to_spoc", "record_for_monitoring"],
    );
    let mut f = facts(&[]);
    f.status = Some(Status::Restricted);
    f.wrong_officer = true;
    let r = check(
        &f,
        Queue::Respond,
        Priority::Normal,
        12,
        &["forward_to_spoc"],
    );
    assert!(r.reasons.iter().any(|x| x == "wrong_officer"));
}

#[test]
fn row_12_anything_else() {
    let r = check(
        &facts(&[Category::MassCopy]),
        Queue::Respond,
        Priority::Normal,
        12,
        &[],
    );
    assert!(r.actions.is_empty());
}

#[test]
fn bad_policy_reports_every_problem_with_its_line() {
    let text = "[thresholds]\nrepeat_similarity = 1.5\n\n[[entry]]\nid = \"a\"\nwhen = { any_category = [\"rudeness\"] }\nqueue = \"bin\"\npriority = \"normal\"\n\n[[entry]]\nid = \"b\"\nwhen = { registered = true }\nqueue = \"respond\"\npriority = \"soon\"\n";
    let errs = Policy::parse(Path::new("policy.toml"), text).unwrap_err();
    let shown = errs.to_string();
    assert!(
        shown.contains("policy.toml:2: thresholds: repeat_similarity"),
        "{shown}"
    );
    assert!(
        shown.contains("policy.toml:4: entry `a`: unknown category `rudeness`"),
        "{shown}"
    );
    assert!(
        shown.contains("policy.toml:4: entry `a`: unknown queue `bin`"),
        "{shown}"
    );
    assert!(
        shown.contains("policy.toml:10: entry `b`: unknown priority `soon`"),
        "{shown}"
    );
    assert!(shown.contains("must be a catch-all"), "{shown}");
}

#[test]
fn unknown_key_is_an_error_with_a_line() {
    let text =
        "[[entry]]\nid = \"a\"\nqueue = \"respond\"\npriority = \"normal\"\ncolour = \"red\"\n";
    let errs = Policy::parse(Path::new("p.toml"), text).unwrap_err();
    assert_eq!(errs.0[0].line, 5, "{errs}");
    assert!(errs.to_string().contains("colour"), "{errs}");
}
