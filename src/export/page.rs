//! `<ID>.html`: the subject access export as one self-contained page (no
//! script, no network, a Content-Security-Policy that forbids both) — the
//! register row, then each message with its decision and its text, the
//! spans that rules matched highlighted. Everything that came from a message
//! or the register goes through [`crate::sink::html`].

use super::{ExportedMessage, SubjectExport};
use crate::sink::html::{escape, highlighted, Mark};
use std::fmt::Write as _;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}\
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f3f3f3}section.message{border-top:2px solid #555;margin-top:2rem}\
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#fafafa;border:1px solid #ddd;padding:.5rem}\
mark{background:#ffd54f}.note{color:#555;font-style:italic}";

/// The whole page.
pub fn render(export: &SubjectExport) -> String {
    let row = &export.register_row;
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>Subject access export: {id}</title><style>{STYLE}</style></head><body>\n\
         <h1>What triage holds about {name} ({id})</h1>\n\
         <p>Exported {at}. Times are in {tz}. {n} message(s).</p>\n",
        id = escape(&export.customer_id),
        name = escape(&row.name),
        at = escape(&export.exported_at),
        tz = escape(&export.timezone),
        n = export.messages.len(),
    );
    register_section(&mut page, export);
    let _ = writeln!(page, "<h2>Messages ({})</h2>", export.messages.len());
    if export.messages.is_empty() {
        page.push_str("<p id=\"no-messages\">No messages from this customer are held.</p>\n");
    }
    for (i, m) in export.messages.iter().enumerate() {
        message_section(&mut page, i + 1, m);
    }
    page.push_str("</body></html>\n");
    page
}

fn register_section(page: &mut String, export: &SubjectExport) {
    let r = &export.register_row;
    let optional = |v: &Option<String>| v.clone().unwrap_or_default();
    let fields: [(&str, String); 14] = [
        ("customer_id", r.customer_id.clone()),
        ("name", r.name.clone()),
        ("emails", r.emails.join("; ")),
        ("status", r.status.to_string()),
        ("since", optional(&r.since)),
        ("until", optional(&r.until)),
        ("review_date", optional(&r.review_date)),
        ("contact_limit", optional(&r.contact_limit)),
        ("contact_hours", optional(&r.contact_hours)),
        (
            "single_point_of_contact",
            optional(&r.single_point_of_contact),
        ),
        ("scope", r.scope.join("; ")),
        ("vulnerable", r.vulnerable.to_string()),
        ("notes", r.notes.clone()),
        ("register", format!("{}, line {}", r.register, r.line)),
    ];
    page.push_str("<h2>Register entry</h2>\n<table id=\"register\">\n");
    table_rows(page, &fields);
    page.push_str("</table>\n");
    if !export.addresses_matched_to_another_customer.is_empty() {
        let _ = writeln!(
            page,
            "<p class=\"note\">Also claimed by another customer on the register, whose claim \
             wins; mail from these addresses is not in this export: {}</p>",
            escape(&export.addresses_matched_to_another_customer.join("; "))
        );
    }
}

fn message_section(page: &mut String, n: usize, m: &ExportedMessage) {
    let _ = writeln!(
        page,
        "<section class=\"message\" id=\"message-{n}\">\n<h3>{n}. {} — {}</h3>\n<table>",
        escape(&m.local_date),
        highlighted(&m.subject, &hit_marks(m, true))
    );
    let optional = |v: &Option<String>| v.clone().unwrap_or_default();
    table_rows(
        page,
        &[
            ("source", m.source_id.clone()),
            ("message id", optional(&m.message_id)),
            ("from", optional(&m.from)),
            ("queue", m.queue.clone()),
            ("priority", optional(&m.priority)),
            ("policy entry", optional(&m.policy_entry)),
            ("categories", m.categories.join("; ")),
            ("reasons", m.reasons.join("; ")),
            ("actions", m.actions.join("; ")),
            ("decided", optional(&m.decided_at)),
        ],
    );
    page.push_str("</table>\n");
    match &m.text {
        Some(text) => {
            if !m.rule_hits.is_empty() {
                rule_hits(page, m);
            }
            let marks = hit_marks(m, false);
            let _ = writeln!(
                page,
                "<h4>Text</h4>\n<pre class=\"text\">{}</pre>",
                highlighted(text, &marks)
            );
        }
        None => {
            page.push_str(
                "<p class=\"note\">No decision detail was kept for this message (ordinary mail \
                 from a sender not then on the register); the history holds what is shown.</p>\n",
            );
        }
    }
    if let Some(own) = &m.own_words {
        let _ = writeln!(
            page,
            "<h4>Own words (as kept in the history)</h4>\n<pre class=\"own-words\">{}</pre>",
            escape(own)
        );
    }
    page.push_str("</section>\n");
}

/// The marks of the hits in the Subject line (`in_subject`), whose offsets
/// index the subject, or of those in the text.
fn hit_marks(m: &ExportedMessage, in_subject: bool) -> Vec<Mark> {
    (m.rule_hits.iter())
        .filter(|h| h.in_subject() == in_subject)
        .map(|h| Mark::rule_hit(&h.category, &h.rule_id, h.start, h.end))
        .collect()
}

fn rule_hits(page: &mut String, m: &ExportedMessage) {
    page.push_str(
        "<h4>Rule hits</h4>\n<table class=\"hits\"><tr><th>rule</th><th>category</th>\
         <th>matched text</th><th>bytes</th></tr>\n",
    );
    for h in &m.rule_hits {
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}–{}{}</td></tr>",
            escape(&h.rule_id),
            escape(&h.category),
            escape(&h.matched),
            h.start,
            h.end,
            if h.in_subject() { " (subject)" } else { "" }
        );
    }
    page.push_str("</table>\n");
}

/// `<tr><th>name</th><td>value</td></tr>` for each field, values escaped.
fn table_rows(page: &mut String, fields: &[(&str, String)]) {
    for (name, value) in fields {
        let _ = writeln!(
            page,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(name),
            escape(value)
        );
    }
}
