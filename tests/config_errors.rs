//! Bad configuration stops the run before anything is touched (exit 2),
//! naming file, line and reason — every problem at once.

use crate::util::*;

fn assert_refused(w: &World, extra: &[&str], expect: &[&str]) {
    let out = w.run(extra);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for e in expect {
        assert!(stderr.contains(e), "stderr lacks {e:?}:\n{stderr}");
    }
    assert!(
        !w.path("out").exists(),
        "output written despite bad configuration"
    );
    assert!(
        !w.path("state").exists(),
        "state written despite bad configuration"
    );
}

#[test]
fn bad_register_rows_are_all_reported_with_lines() {
    let mut w = World::new();
    w.mail(
        "a@example.org",
        "x@northfield.gov.uk",
        "Fri, 20 Nov 2026 19:00:00 +0000",
        "s",
        "hello",
    );
    w.customer("C1,A,a@example.org,grumpy,,,,,,,,false,")
        .customer("C2,B,b@example.org,monitored,2026-13-01,,,,,,,false,")
        .customer("C3,C,c@example.org,restricted,,,,3/fortnight,,,,false,");
    assert_refused(
        &w,
        &[],
        &[
            "register.csv:2:",
            "grumpy",
            "register.csv:3:",
            "2026-13-01",
            "register.csv:4:",
            "3/fortnight",
        ],
    );
}

/// A night of one ordinary message and a copy of the repository's rules
/// (returned) to break.
fn one_message_with_repo_rules() -> (World, std::path::PathBuf) {
    let mut w = World::new();
    w.mail(
        "a@example.org",
        "x@northfield.gov.uk",
        "Fri, 20 Nov 2026 19:00:00 +0000",
        "s",
        "hello",
    );
    let rules = w.path("rules");
    copy_from_repo("rules", w.dir.path());
    (w, rules)
}

#[test]
fn bad_rules_and_policy_are_reported_before_anything_runs() {
    let (w, rules) = one_message_with_repo_rules();
    let policy = rules.join("policy.toml");
    let text = std::fs::read_to_string(&policy)
        .unwrap()
        .replace("queue = \"read-only\"", "queue = \"later\"");
    std::fs::write(&policy, text).unwrap();
    let rules_flag = rules.display().to_string();
    assert_refused(
        &w,
        &["--rules", &rules_flag],
        &["policy.toml:", "unknown queue `later`"],
    );
}

/// Rule regexes are compiled only when a text first needs them, but a bad
/// one (a syntax error, or an automaton past the size limit) still fails
/// the run at load, naming file, line and rule.
#[test]
fn a_bad_rule_regex_is_reported_before_anything_runs() {
    for (pattern, expect) in [
        ("(unclosed", "bad regex"),
        (
            r"\w{5000}\w{5000}\w{5000}",
            "regex exceeds the compiled size limit",
        ),
    ] {
        let (w, rules) = one_message_with_repo_rules();
        let file = rules.join("abuse.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        let (at, _) = text
            .match_indices("\nregex = ")
            .next()
            .expect("abuse.toml has a regex rule");
        let line = text[..at].lines().count() + 1;
        let end = at + 1 + text[at + 1..].find('\n').unwrap();
        assert!(
            !text[at + 1..end].contains("'''\n") && text[at + 1..end].ends_with("'''"),
            "the first regex of abuse.toml is on one line"
        );
        let broken = format!("{}\nregex = '{pattern}'{}", &text[..at], &text[end..]);
        std::fs::write(&file, broken).unwrap();
        let rules_flag = rules.display().to_string();
        let at_line = format!("abuse.toml:{line}:");
        assert_refused(&w, &["--rules", &rules_flag], &[&at_line, expect]);
    }
}

#[test]
fn missing_source_and_bad_now_are_usage_errors() {
    let w = World::new();
    let missing = w.path("nowhere").display().to_string();
    assert_refused(
        &w,
        &["--source", &missing, "--now", "yesterday"],
        &["nowhere", "source not found", "RFC 3339"],
    );
}

#[test]
fn unknown_key_in_the_config_file_names_its_line() {
    let w = World::new();
    let cfg = w.path("triage.toml");
    std::fs::write(&cfg, "sources = [\"mail\"]\nthreds = 2\n").unwrap();
    let cfg_flag = cfg.display().to_string();
    assert_refused(&w, &["--config", &cfg_flag], &["triage.toml:2", "threds"]);
}
