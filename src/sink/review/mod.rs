//! `review.html`: the Customer Relations Officer's morning review (SPEC §1,
//! §6). One self-contained file — inline style and script, no network, works
//! opened from disk — listing what the night flagged in the order it needs
//! action (escalations by priority, welfare first; then read-only; then
//! flagged respond items), each with why it was flagged and its evidence
//! highlighted in the message text; filters and a text search; a feedback
//! form whose `feedback.csv` `triage eval --feedback` reads; and the
//! customers section ([`customers`]).
//!
//! Every piece of message content goes through [`crate::sink::html`]. As a
//! second wall the page carries a Content-Security-Policy that allows no
//! network at all and only the page's own script (by its SHA-256), so even
//! markup that slipped through could not run or load anything.

mod customers;

use crate::category::Category;
use crate::history::{History, HistoryEntry};
use crate::outcome::Outcome;
use crate::pipeline::Engine;
use crate::route::Policy;
use crate::route::{Priority, Queue};
use crate::sink::html::{escape, highlighted, Mark};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

const STYLE: &str = include_str!("review.css");
const SCRIPT: &str = include_str!("review.js");

/// How much of a message's text the page shows at least; longer texts are
/// cut after this (or after the last highlighted span, if later), with a
/// note pointing at the queue copy.
const TEXT_SHOWN_BYTES: usize = 64 * 1024;

/// The verdicts the feedback form offers (and `triage eval --feedback` reads).
pub const VERDICTS: [&str; 3] = ["correct", "false_flag", "missed_category"];

/// At most this many flagged messages are shown on the page, the most
/// pressing first (by [`review_order`]); the page says how many more
/// `report.csv` lists.
pub const MAX_ITEMS: usize = 2000;

/// What the page needs of a night, gathered batch by batch: the flagged
/// outcomes (at most [`MAX_ITEMS`] of them, the most pressing), how many were
/// flagged in each queue, and for the customers section who on the register
/// wrote and their entries of tonight.
#[derive(Default)]
pub struct Collector {
    messages: usize,
    flagged: Vec<Outcome>,
    flagged_total: usize,
    flagged_by_queue: BTreeMap<Queue, usize>,
    wrote: BTreeSet<String>,
    tonight: Vec<HistoryEntry>,
}

impl Collector {
    /// Take what the page needs from a batch.
    pub fn add(&mut self, outcomes: &[Outcome], tonight: &[HistoryEntry]) {
        self.messages += outcomes.len();
        for o in outcomes.iter().filter(|o| o.is_flagged()) {
            self.flagged_total += 1;
            *self.flagged_by_queue.entry(o.queue()).or_default() += 1;
            self.flagged.push(o.clone());
        }
        if self.flagged.len() > 2 * MAX_ITEMS {
            self.keep_most_pressing();
        }
        self.wrote
            .extend(outcomes.iter().filter_map(|o| o.sender.customer_id.clone()));
        // The customers section charts dates and categories only.
        self.tonight
            .extend(
                tonight
                    .iter()
                    .filter(|e| e.customer_id.is_some())
                    .map(|e| HistoryEntry {
                        subject: String::new(),
                        body: String::new(),
                        ..e.clone()
                    }),
            );
    }

    fn keep_most_pressing(&mut self) {
        self.flagged.sort_by_cached_key(review_order);
        self.flagged.truncate(MAX_ITEMS);
    }

    /// The page; `history` is read for the customers section.
    pub fn render(mut self, engine: &Engine, history: &History) -> crate::error::Result<String> {
        self.keep_most_pressing();
        self.tonight.sort_by(|a, b| a.source_id.cmp(&b.source_id));
        let customers = customers::render(engine, history, &self.wrote, &self.tonight)?;
        let flagged: Vec<&Outcome> = self.flagged.iter().collect();
        Ok(render(engine, &self, &flagged, &customers))
    }
}

/// The page for one run.
fn render(engine: &Engine, night: &Collector, flagged: &[&Outcome], customers: &str) -> String {
    let now = engine
        .config
        .now
        .with_timezone(&engine.config.timezone)
        .format("%A %-d %B %Y, %H:%M");
    let script_hash = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(SCRIPT.as_bytes()))
    };

    let mut page = String::with_capacity(64 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; img-src data:; \
         base-uri 'none'; form-action 'none'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Triage review — {now}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n"
    );
    let _ = write!(
        page,
        "<header class=\"top\"><h1>Morning review</h1><p class=\"run\">Run of {now} · \
         {total} messages · <strong>{n} flagged</strong>",
        now = escape(&now.to_string()),
        total = night.messages,
        n = night.flagged_total
    );
    for q in [Queue::Escalate, Queue::ReadOnly, Queue::Respond] {
        let count = night.flagged_by_queue.get(&q).copied().unwrap_or(0);
        let _ = write!(page, " · {} {count}", q.as_str());
    }
    page.push_str("</p>");
    let more = night.flagged_total - flagged.len();
    if more > 0 {
        let _ = write!(
            page,
            "<p class=\"capped\">The {shown} most pressing are shown here; {more} more \
             flagged messages are in report.csv.</p>",
            shown = flagged.len()
        );
    }
    page.push_str("</header>\n");
    push_filters(&mut page, flagged);
    page.push_str("<main>\n<section id=\"items\" aria-label=\"Flagged messages\">\n");
    for q in [Queue::Escalate, Queue::ReadOnly, Queue::Respond] {
        let in_queue: Vec<&&Outcome> = flagged.iter().filter(|o| o.queue() == q).collect();
        let _ = writeln!(
            page,
            "<section class=\"queue-group\" data-queue=\"{q}\"><h2>{title} \
             <span class=\"count\">{n}</span></h2>",
            q = q.as_str(),
            title = queue_title(q),
            n = in_queue.len()
        );
        if in_queue.is_empty() {
            page.push_str("<p class=\"empty\">Nothing tonight.</p>\n");
        }
        for o in in_queue {
            push_item(&mut page, o, &engine.policy);
        }
        page.push_str("</section>\n");
    }
    page.push_str("</section>\n");
    page.push_str(customers);
    let _ = write!(
        page,
        "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    page
}

/// Escalations first, by priority, welfare (self-harm) at the top of its
/// priority; then read-only; then respond; then by source id.
fn review_order(o: &Outcome) -> (u8, Priority, bool, String) {
    let queue = match o.queue() {
        Queue::Escalate => 0,
        Queue::ReadOnly => 1,
        Queue::Respond => 2,
    };
    let not_welfare = !o.categories.contains(&Category::ThreatSelfHarm);
    (queue, o.routing.priority, not_welfare, o.source_id.clone())
}

fn queue_title(q: Queue) -> &'static str {
    match q {
        Queue::Escalate => "Escalate",
        Queue::ReadOnly => "Read-only (read, action any service request, do not reply)",
        Queue::Respond => "Respond (flagged)",
    }
}

/// The filter bar: queue, category, customer, text search, and the
/// feedback download.
fn push_filters(page: &mut String, flagged: &[&Outcome]) {
    let categories: BTreeSet<Category> = flagged
        .iter()
        .flat_map(|o| o.categories.iter().copied())
        .collect();
    let customers: BTreeSet<(&str, &str)> = flagged
        .iter()
        .filter_map(|o| {
            let id = o.sender.customer_id.as_deref()?;
            Some((id, o.sender.customer_name.as_deref().unwrap_or("")))
        })
        .collect();
    page.push_str(
        "<nav class=\"filters\" aria-label=\"Filters\">\
         <label>Queue <select id=\"f-queue\"><option value=\"\">all</option>",
    );
    for q in [Queue::Escalate, Queue::ReadOnly, Queue::Respond] {
        let _ = write!(page, "<option value=\"{0}\">{0}</option>", q.as_str());
    }
    page.push_str(
        "</select></label> <label>Category <select id=\"f-category\"><option value=\"\">all</option>",
    );
    for c in categories {
        let _ = write!(page, "<option value=\"{0}\">{0}</option>", c.as_str());
    }
    page.push_str(
        "</select></label> <label>Customer <select id=\"f-customer\"><option value=\"\">all</option>\
         <option value=\"-\">not on the register</option>",
    );
    for (id, name) in customers {
        let _ = write!(
            page,
            "<option value=\"{}\">{} {}</option>",
            escape(id),
            escape(id),
            escape(name)
        );
    }
    let _ = writeln!(
        page,
        "</select></label> <label>Search <input id=\"f-search\" type=\"search\" \
         placeholder=\"words, sender, subject…\"></label> \
         <span class=\"shown\"><span id=\"shown-count\">{n}</span> of {n} shown</span> \
         <button id=\"download-feedback\" type=\"button\">Download feedback.csv \
         (<span id=\"feedback-count\">0</span>)</button></nav>",
        n = flagged.len()
    );
}

fn push_item(page: &mut String, o: &Outcome, policy: &Policy) {
    let id = o.review_id();
    let categories: Vec<&str> = o.categories.iter().map(|c| c.as_str()).collect();
    let _ = write!(
        page,
        "<article class=\"item q-{queue} p-{priority}\" id=\"{id}\" data-id=\"{id}\" \
         data-source=\"{source}\" data-queue=\"{queue}\" data-priority=\"{priority}\" \
         data-categories=\"{cats}\" data-customer=\"{customer}\">\n\
         <header><span class=\"badge queue\">{queue}</span> \
         <span class=\"badge priority\">{priority}</span> \
         <h3 class=\"subject\" data-search>{subject}</h3></header>\n<dl class=\"facts\">",
        queue = o.queue().as_str(),
        priority = o.routing.priority.as_str(),
        source = escape(&o.source_id),
        cats = categories.join(" "),
        customer = escape(o.sender.customer_id.as_deref().unwrap_or("-")),
        subject = if o.subject.is_empty() {
            "(no subject)".to_string()
        } else {
            highlighted(&o.subject, &hit_marks(o, true))
        },
    );
    let from = if o.from.is_empty() {
        "(no sender)".to_string()
    } else {
        escape(&o.from)
    };
    let _ = write!(
        page,
        "<dt>From</dt><dd class=\"sender\" data-search>{from}</dd>"
    );
    push_customer(page, o);
    let _ = write!(
        page,
        "<dt>Received</dt><dd>{}</dd><dt>Message</dt><dd><code>{}</code> · id <code>{id}</code></dd>",
        if o.date.is_empty() {
            "(no date)".to_string()
        } else {
            escape(&o.date)
        },
        escape(&o.source_id),
    );
    page.push_str("<dt>Categories</dt><dd class=\"categories\" data-search>");
    if categories.is_empty() {
        page.push_str("<span class=\"none\">none</span>");
    }
    for c in &categories {
        let _ = write!(page, "<span class=\"cat cat-{c}\">{c}</span> ");
    }
    page.push_str("</dd>");
    push_policy(page, o, policy);
    push_repeat(page, o);
    push_contact(page, o);
    page.push_str("</dl>\n");
    if let Some(why) = &o.unparseable {
        let _ = writeln!(
            page,
            "<p class=\"unparseable\">Could not be parsed: {}. Open the copy in \
             <code>queues/escalate</code> and check it by hand.</p>",
            escape(why)
        );
    }
    push_text(page, o);
    push_feedback(page, o, &id);
    page.push_str("</article>\n");
}

fn push_customer(page: &mut String, o: &Outcome) {
    let s = &o.sender;
    page.push_str("<dt>Customer</dt><dd class=\"customer\" data-search>");
    match &s.customer_id {
        None => page.push_str("not on the register"),
        Some(id) => {
            let _ = write!(
                page,
                "<a href=\"#{anchor}\">{id}</a> {name}",
                anchor = escape(&customers::anchor(id)),
                id = escape(id),
                name = escape(s.customer_name.as_deref().unwrap_or("")),
            );
            match (&s.status, &s.register_status) {
                (Some(status), _) => {
                    let _ = write!(
                        page,
                        " · <span class=\"badge status\">{}</span>",
                        escape(status)
                    );
                }
                (None, Some(status)) => {
                    let _ = write!(
                        page,
                        " · register status {} not in force{}",
                        escape(status),
                        s.status_note
                            .as_deref()
                            .map(|n| format!(" ({})", escape(n)))
                            .unwrap_or_default()
                    );
                }
                (None, None) => {}
            }
        }
    }
    if s.vulnerable {
        page.push_str(
            " <span class=\"badge vulnerable\" title=\"Reasonable adjustments on record\">\
             vulnerable</span>",
        );
    }
    page.push_str("</dd>");
}

/// The policy entry that chose the queue, every other entry that matched
/// (but not a catch-all entry with no conditions, which always matches), the
/// reasons and the recommended actions.
fn push_policy(page: &mut String, o: &Outcome, policy: &Policy) {
    let r = &o.routing;
    let _ = write!(
        page,
        "<dt>Why</dt><dd class=\"policy\">policy entry {} <code class=\"entry\">{}</code> \
         chose <strong>{}</strong>",
        r.entry_index,
        escape(&r.entry),
        r.queue.as_str()
    );
    let also: Vec<&String> = r
        .matched_entries
        .iter()
        .filter(|e| **e != r.entry)
        .filter(|e| {
            !policy
                .entries
                .iter()
                .any(|p| p.id == **e && p.when.is_empty())
        })
        .collect();
    if !also.is_empty() {
        let also: Vec<String> = also.iter().map(|e| escape(e)).collect();
        let _ = write!(page, "; also matched: {}", also.join(", "));
    }
    if !r.reasons.is_empty() {
        page.push_str("<ul class=\"reasons\">");
        for reason in &r.reasons {
            let _ = write!(page, "<li>{}</li>", escape(reason));
        }
        page.push_str("</ul>");
    }
    page.push_str("</dd><dt>Recommended</dt><dd><ul class=\"actions\">");
    if r.actions.is_empty() {
        page.push_str("<li>reply as usual</li>");
    }
    for a in &r.actions {
        let _ = write!(page, "<li>{}</li>", escape(a));
    }
    page.push_str("</ul></dd>");
}

fn push_repeat(page: &mut String, o: &Outcome) {
    let Some(r) = &o.history.repeat_of else {
        return;
    };
    let _ = write!(
        page,
        "<dt>Repeat of</dt><dd class=\"repeat\">similarity <strong class=\"similarity\">\
         {:.2}</strong> to <code>{}</code> of {} “{}”<blockquote class=\"excerpt\" \
         data-search>{}</blockquote></dd>",
        r.similarity,
        escape(&r.source_id),
        escape(&r.date),
        escape(&r.subject),
        escape(&r.excerpt)
    );
}

fn push_contact(page: &mut String, o: &Outcome) {
    let h = &o.history;
    let mut notes = Vec::new();
    if let (Some(limit), Some(n)) = (&h.contact_limit, h.messages_in_limit_window) {
        notes.push(format!(
            "{n} in the window of the contact limit {}{}",
            escape(limit),
            if h.over_contact_limit {
                " — <strong>over the limit</strong>"
            } else {
                ""
            }
        ));
    }
    if let Some(hours) = &h.contact_hours {
        notes.push(format!(
            "contact hours {}{}",
            escape(hours),
            if h.outside_contact_hours {
                " — <strong>sent outside them</strong>"
            } else {
                ""
            }
        ));
    }
    if let Some(before) = &h.abusive_before {
        notes.push(format!("abusive before: {}", escape(before)));
    }
    if h.earlier_messages > 0 {
        notes.push(format!(
            "{} earlier message{} from this sender; {} in the last 7 days, this one included",
            h.earlier_messages,
            if h.earlier_messages == 1 { "" } else { "s" },
            h.messages_in_volume_window
        ));
    }
    if h.recipients >= 5 {
        notes.push(format!("{} recipients", h.recipients));
    }
    if !notes.is_empty() {
        let _ = write!(
            page,
            "<dt>History</dt><dd class=\"history\">{}</dd>",
            notes.join(" · ")
        );
    }
}

/// The message's text with every counted rule hit marked (label: category
/// and rule), and the list of hits below it.
fn push_text(page: &mut String, o: &Outcome) {
    if !o.text.is_empty() {
        push_highlighted_text(page, o);
    }
    if !o.detection.hits.is_empty() {
        page.push_str("<ul class=\"evidence\">");
        for h in &o.detection.hits {
            let _ = write!(
                page,
                "<li><span class=\"cat cat-{cat}\">{cat}</span> <code>{rule}</code> \
                 (weight {weight}): “{matched}”{place}</li>",
                cat = escape(&h.category),
                rule = escape(&h.rule_id),
                weight = h.weight,
                matched = escape(&h.matched),
                place = h.where_suffix()
            );
        }
        page.push_str("</ul>");
    }
}

/// The message's text with the counted hits in it marked, cut after the last
/// mark when it is long.
fn push_highlighted_text(page: &mut String, o: &Outcome) {
    let marks = hit_marks(o, false);
    let last_mark = marks.iter().map(|m| m.end).max().unwrap_or(0);
    let mut shown = o.text.len().min(TEXT_SHOWN_BYTES.max(last_mark + 1024));
    while !o.text.is_char_boundary(shown) {
        shown += 1;
    }
    let _ = write!(
        page,
        "<div class=\"text\" data-search>{}</div>",
        highlighted(&o.text[..shown], &marks)
    );
    if shown < o.text.len() {
        let _ = write!(
            page,
            "<p class=\"cut\">… {} more bytes not shown: open the copy in <code>queues/{}</code>.</p>",
            o.text.len() - shown,
            o.queue().as_str()
        );
    }
}

/// The marks of the counted hits in the Subject line (`in_subject`), whose
/// offsets index the subject, or of those in the text.
fn hit_marks(o: &Outcome, in_subject: bool) -> Vec<Mark> {
    (o.detection.hits.iter())
        .filter(|h| h.in_subject() == in_subject)
        .map(|h| Mark::rule_hit(&h.category, &h.rule_id, h.start, h.end))
        .collect()
}

/// The officer's verdict on the item, gathered by the page's script into
/// `feedback.csv`.
fn push_feedback(page: &mut String, o: &Outcome, id: &str) {
    let _ = write!(
        page,
        "<fieldset class=\"feedback\"><legend>Your verdict</legend>\
         <select class=\"fb-verdict\" aria-label=\"verdict for {id}\"><option value=\"\">—</option>"
    );
    for v in VERDICTS {
        let _ = write!(
            page,
            "<option value=\"{v}\">{}</option>",
            v.replace('_', " ")
        );
    }
    page.push_str(
        "</select> <select class=\"fb-category\" aria-label=\"category\">\
         <option value=\"\">(category)</option>",
    );
    for c in Category::ALL {
        let mark = if o.categories.contains(&c) {
            " (flagged)"
        } else {
            ""
        };
        let _ = write!(page, "<option value=\"{0}\">{0}{mark}</option>", c.as_str());
    }
    page.push_str(
        "</select> <input class=\"fb-note\" type=\"text\" placeholder=\"note\" \
         aria-label=\"note\"></fieldset>\n",
    );
}
