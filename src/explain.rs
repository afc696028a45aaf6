//! Explain: the full decision trace for one message, written for an analyst
//! (`triage explain FILE`). It reads only the [`Outcome`], so it tells the
//! same story as `decisions.jsonl` — in words, with each hit shown in its
//! sentence.

use crate::category::Category;
use crate::detect::{RuleHit, RuleSet};
use crate::outcome::{quoted_excerpt, Outcome};
use crate::route::Policy;
use std::fmt::Write as _;

/// Characters of context shown either side of a hit.
const CONTEXT_CHARS: usize = 60;

pub fn render(o: &Outcome, rules: &RuleSet, policy: &Policy) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "source      {}", o.source_id);
    let _ = writeln!(
        w,
        "message-id  {}",
        o.message_id.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(w, "date        {}", or_none(&o.date));
    let _ = writeln!(w, "from        {}", or_none(&o.from));
    let _ = writeln!(w, "subject     {}", or_none(&o.subject));
    let _ = writeln!(w, "size        {} bytes", o.size_bytes);
    if let Some(reason) = &o.unparseable {
        let _ = writeln!(w, "UNPARSEABLE {reason}");
    }

    let _ = writeln!(w, "\nSENDER");
    let s = &o.sender;
    match (&s.customer_id, &s.status) {
        (Some(id), Some(status)) => {
            let _ = writeln!(
                w,
                "  customer {id} {}: status {status} in force{}",
                s.customer_name.as_deref().unwrap_or(""),
                if s.vulnerable { ", vulnerable" } else { "" }
            );
        }
        (Some(id), None) => {
            let _ = writeln!(
                w,
                "  customer {id} {}: register status {} not in force ({})",
                s.customer_name.as_deref().unwrap_or(""),
                s.register_status.as_deref().unwrap_or("none"),
                s.status_note.as_deref().unwrap_or("not active")
            );
        }
        _ => {
            let _ = writeln!(w, "  not on the register (history key {})", s.sender_key);
        }
    }

    let _ = writeln!(w, "\nTEXT SEGMENTS (only own words are judged)");
    for seg in &o.segments {
        let text = o.text.get(seg.range.clone()).unwrap_or("");
        let _ = writeln!(
            w,
            "  {:<10} {:>6}..{:<6} {}",
            format!("{:?}", seg.kind).to_lowercase(),
            seg.range.start,
            seg.range.end,
            quoted_excerpt(text, 70)
        );
    }

    let _ = writeln!(w, "\nRULE HITS THAT COUNTED");
    if o.detection.hits.is_empty() {
        let _ = writeln!(w, "  none");
    }
    for h in &o.detection.hits {
        hit_lines(w, o, h, rules);
    }
    if !o.detection.suppressed.is_empty() {
        let _ = writeln!(w, "\nRULE HITS THAT DID NOT COUNT");
        for sup in &o.detection.suppressed {
            hit_lines(w, o, &sup.hit, rules);
            let _ = writeln!(w, "      why not: {}", sup.reason);
        }
    }

    let _ = writeln!(w, "\nCATEGORY SCORES (own words; flagged at the threshold)");
    for c in Category::CONTENT {
        let score = o.detection.scores.get(&c).copied().unwrap_or(0.0);
        let flagged = o.detection.categories.contains(&c);
        if score > 0.0 || flagged {
            let _ = writeln!(
                w,
                "  {:<20} {score:.2} of {:.2}  {}",
                c.as_str(),
                rules.threshold(c),
                if flagged { "FLAGGED" } else { "not flagged" }
            );
        }
    }
    if o.detection.scores.is_empty() {
        let _ = writeln!(w, "  no content rule counted");
    }
    if !o.detection.quoted_categories.is_empty() {
        let names: Vec<&str> = o
            .detection
            .quoted_categories
            .iter()
            .map(|c| c.as_str())
            .collect();
        let _ = writeln!(
            w,
            "  in quoted or forwarded text only (not the sender's conduct): {}",
            names.join(", ")
        );
    }
    if o.detection.urgent_service {
        let _ = writeln!(w, "  urgent service need: yes");
    }

    let h = &o.history;
    let _ = writeln!(w, "\nHISTORY AND ENVELOPE");
    let _ = writeln!(
        w,
        "  earlier messages from this sender: {}; best similarity {:.2}",
        h.earlier_messages, h.best_similarity
    );
    if let Some(r) = &h.repeat_of {
        let _ = writeln!(
            w,
            "  repeats {} of {} (similarity {:.2}): {}",
            r.source_id,
            r.date,
            r.similarity,
            quoted_excerpt(&r.excerpt, 70)
        );
    }
    let _ = writeln!(
        w,
        "  messages in the high-volume window: {}; distinct recipients: {}",
        h.messages_in_volume_window, h.recipients
    );
    if let Some(limit) = &h.contact_limit {
        let _ = writeln!(
            w,
            "  contact limit {limit}: {} in the window{}",
            h.messages_in_limit_window.unwrap_or(0),
            if h.over_contact_limit {
                " — OVER"
            } else {
                ""
            }
        );
    }
    if let Some(hours) = &h.contact_hours {
        let _ = writeln!(
            w,
            "  contact hours {hours}: {}",
            if h.outside_contact_hours {
                "outside"
            } else {
                "inside"
            }
        );
    }
    if let Some(before) = &h.abusive_before {
        let _ = writeln!(w, "  abusive before: {before}");
    }
    if h.new_issue {
        let _ = writeln!(w, "  new issue: nothing similar sent before");
    }
    if h.quotes_own_mail {
        let _ = writeln!(w, "  quotes or forwards the sender's own earlier mail");
    }

    let r = &o.routing;
    let _ = writeln!(w, "\nROUTING (first matching policy entry decides)");
    for id in &r.matched_entries {
        let (index, description) = policy
            .entries
            .iter()
            .enumerate()
            .find(|(_, e)| &e.id == id)
            .map(|(i, e)| (i + 1, e.description.as_str()))
            .unwrap_or((0, ""));
        let mark = if *id == r.entry { "chose" } else { "also" };
        let _ = writeln!(w, "  {mark:<5} #{index} {id}: {description}");
    }
    let _ = writeln!(
        w,
        "  => {} ({} priority)",
        r.queue.as_str(),
        r.priority.as_str()
    );
    if !o.categories.is_empty() {
        let _ = writeln!(w, "  categories: {}", o.categories_field());
    }
    if !r.actions.is_empty() {
        let _ = writeln!(w, "  actions: {}", r.actions.join(", "));
    }
    if !r.reasons.is_empty() {
        let _ = writeln!(w, "  reasons: {}", r.reasons.join(", "));
    }
    if let Some(conduct) = o.conduct {
        let _ = writeln!(w, "  conduct: {}", conduct.as_str());
    }
    out
}

fn hit_lines(w: &mut String, o: &Outcome, h: &RuleHit, rules: &RuleSet) {
    let _ = writeln!(
        w,
        "  {:<20} +{:<4} {}  {:?} at {}..{} ({})",
        h.category,
        h.weight,
        h.rule_id,
        h.matched,
        h.start,
        h.end,
        format!("{:?}", h.segment).to_lowercase()
    );
    if let Some(d) = rules.description(&h.rule_id) {
        let _ = writeln!(w, "      rule: {d}");
    }
    if h.in_subject() {
        let _ = writeln!(
            w,
            "      in subject: {}",
            in_context(&o.subject, h.start, h.end)
        );
    } else {
        let _ = writeln!(w, "      in:   {}", in_context(&o.text, h.start, h.end));
    }
    let evidence = [
        ("model", rules.model_evidence(&h.rule_id, &h.matched)),
        (
            "message model",
            rules.message_evidence(&h.rule_id, &o.text, &o.segments),
        ),
    ];
    for (what, (score, raised_by)) in evidence
        .into_iter()
        .filter_map(|(what, e)| Some((what, e?)))
    {
        let top: Vec<String> = raised_by
            .iter()
            .take(8)
            .map(|(f, wt)| format!("{f} +{wt:.2}"))
            .collect();
        let _ = writeln!(
            w,
            "      {what} score {score:.3}; raised most by: {}",
            top.join(", ")
        );
    }
}

/// The hit with up to [`CONTEXT_CHARS`] either side, the hit in [brackets].
fn in_context(text: &str, start: usize, end: usize) -> String {
    let (Some(before), Some(hit), Some(after)) =
        (text.get(..start), text.get(start..end), text.get(end..))
    else {
        return String::new();
    };
    let before: String = {
        let chars: Vec<char> = before.chars().rev().take(CONTEXT_CHARS).collect();
        chars.into_iter().rev().collect()
    };
    let after: String = after.chars().take(CONTEXT_CHARS).collect();
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("…{} [{}] {}…", flat(&before), flat(hit), flat(&after))
}

fn or_none(s: &str) -> &str {
    if s.is_empty() {
        "(none)"
    } else {
        s
    }
}
