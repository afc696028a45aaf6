//! The review page's customers section: for every register customer who
//! wrote in this run, the balanced picture the policies ask for at the 3- and
//! 6-monthly reviews — their contacts across the monitoring period week by
//! week, acceptable versus unacceptable (a small inline SVG chart), the
//! review date with a "due in N days" / "overdue" badge, the restrictions in
//! force and the vulnerable marker.
//!
//! The monitoring period runs from the register's `since` to the run's now,
//! at most [`MAX_WEEKS`] weeks; without `since` it is the last
//! [`DEFAULT_WEEKS`] weeks. Contacts are the customer's messages in the
//! history (all their addresses: `cust:<id>`) plus tonight's; a contact is
//! unacceptable when it carries a content category of SPEC §4.

use crate::category::Category;
use crate::history::{History, HistoryEntry};
use crate::pipeline::Engine;
use crate::register::Customer;
use crate::sink::html::escape;
use chrono::{Datelike, Duration, NaiveDate, TimeZone};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Without a `since` on the register: about six months.
pub const DEFAULT_WEEKS: i64 = 26;
/// A `since` further back than this is charted from this many weeks ago.
pub const MAX_WEEKS: i64 = 52;

/// The page anchor of a customer's card.
pub fn anchor(customer_id: &str) -> String {
    format!("cust-{customer_id}")
}

/// One week's contacts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Week {
    acceptable: usize,
    unacceptable: usize,
}

/// The section for the customers who `wrote` tonight: `history` holds
/// their earlier contacts, `tonight` (sorted by source id) this night's.
pub fn render(
    engine: &Engine,
    history: &History,
    wrote: &BTreeSet<String>,
    tonight: &[HistoryEntry],
) -> crate::error::Result<String> {
    let tz = engine.config.timezone;
    let today = engine.config.now.with_timezone(&tz).date_naive();
    let mut customers: Vec<&Customer> = engine
        .register
        .customers
        .iter()
        .filter(|c| wrote.contains(c.customer_id.as_str()))
        .collect();
    // The most pressing review first: overdue, then soonest; none last.
    customers.sort_by_key(|c| (c.review_date.is_none(), c.review_date, c.name.clone()));

    let mut out = format!(
        "<section id=\"customers\" aria-label=\"Customers\"><h2>Customers who wrote \
         <span class=\"count\">{}</span></h2>\n<p class=\"hint\">Contacts across each \
         customer's monitoring period (from the register's <code>since</code>, else the last \
         {DEFAULT_WEEKS} weeks), week by week: <span class=\"key ok\">acceptable</span> \
         <span class=\"key bad\">unacceptable</span> (any threat, abuse, discrimination or \
         unreasonable demand).</p>\n",
        customers.len()
    );
    for c in customers {
        let key = format!("cust:{}", c.customer_id);
        let mut contacts: BTreeMap<String, &HistoryEntry> = BTreeMap::new();
        let earlier = history.sender_entries(&key)?;
        for e in earlier
            .iter()
            .chain(tonight.iter().filter(|e| e.sender_key == key))
        {
            contacts.insert(e.key.clone(), e);
        }
        let start = period_start(c, today);
        let weeks = weekly(
            start,
            today,
            contacts.values().map(|e| {
                let date = tz
                    .timestamp_opt(e.date, 0)
                    .single()
                    .map_or(today, |d| d.date_naive());
                (date, is_unacceptable(e))
            }),
        );
        push_card(&mut out, c, today, start, &weeks);
    }
    out.push_str("</section>\n");
    Ok(out)
}

/// Unacceptable: a content category of §4 (what `conduct` records).
fn is_unacceptable(e: &HistoryEntry) -> bool {
    e.categories
        .iter()
        .filter_map(|c| c.parse::<Category>().ok())
        .any(Category::is_content)
}

/// The first day of the monitoring period.
fn period_start(c: &Customer, today: NaiveDate) -> NaiveDate {
    let earliest = today - Duration::weeks(MAX_WEEKS);
    match c.since {
        Some(since) if since <= today => since.max(earliest),
        _ => today - Duration::weeks(DEFAULT_WEEKS),
    }
}

fn monday_of(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday() as i64)
}

/// Contacts per week (Monday to Sunday) from `start`'s week to `today`'s;
/// contacts before `start` are not charted.
fn weekly(
    start: NaiveDate,
    today: NaiveDate,
    contacts: impl Iterator<Item = (NaiveDate, bool)>,
) -> Vec<Week> {
    let first = monday_of(start);
    let n = ((monday_of(today) - first).num_days() / 7 + 1).max(1) as usize;
    let mut weeks = vec![Week::default(); n];
    for (date, unacceptable) in contacts {
        if date < start {
            continue;
        }
        let i = ((date - first).num_days() / 7) as usize;
        if let Some(w) = weeks.get_mut(i) {
            if unacceptable {
                w.unacceptable += 1;
            } else {
                w.acceptable += 1;
            }
        }
    }
    weeks
}

fn push_card(out: &mut String, c: &Customer, today: NaiveDate, start: NaiveDate, weeks: &[Week]) {
    let acceptable: usize = weeks.iter().map(|w| w.acceptable).sum();
    let unacceptable: usize = weeks.iter().map(|w| w.unacceptable).sum();
    let _ = write!(
        out,
        "<article class=\"customer\" id=\"{anchor}\" data-customer=\"{id}\">\
         <h3>{name} <code>{id}</code>",
        anchor = escape(&anchor(&c.customer_id)),
        id = escape(&c.customer_id),
        name = escape(&c.name),
    );
    if c.vulnerable {
        out.push_str(
            " <span class=\"badge vulnerable\" title=\"Reasonable adjustments on record \
             (Equality Act)\">vulnerable</span>",
        );
    }
    out.push(' ');
    out.push_str(&review_badge(c.review_date, today));
    out.push_str("</h3>\n<dl class=\"restrictions\">");
    let status = match c.active_status(today) {
        Some(s) => format!(
            "<span class=\"badge status\">{}</span> in force",
            s.as_str()
        ),
        None => format!("{} — not in force today", c.status.as_str()),
    };
    let _ = write!(out, "<dt>Status</dt><dd class=\"status\">{status}");
    let period = match (c.since, c.until) {
        (None, None) => String::new(),
        (since, until) => format!(
            " ({} – {})",
            since.map_or("…".into(), |d| d.to_string()),
            until.map_or("…".into(), |d| d.to_string())
        ),
    };
    let _ = write!(out, "{period}</dd>");
    let mut row = |label: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            let _ = write!(out, "<dt>{label}</dt><dd>{}</dd>", escape(&v));
        }
    };
    row("Contact limit", c.contact_limit.map(|l| l.to_string()));
    row(
        "Contact hours",
        c.contact_hours.as_ref().map(|h| h.text.clone()),
    );
    row("Single point of contact", c.single_point_of_contact.clone());
    row("Scope", Some(c.scope.join(", ")));
    row("Notes", Some(c.notes.clone()));
    out.push_str("</dl>\n");
    let _ = writeln!(
        out,
        "<p class=\"totals\">{total} contact{s} since {start}: \
         <strong class=\"acceptable\">{acceptable} acceptable</strong>, \
         <strong class=\"unacceptable\">{unacceptable} unacceptable</strong></p>",
        total = acceptable + unacceptable,
        s = if acceptable + unacceptable == 1 {
            ""
        } else {
            "s"
        },
    );
    push_chart(out, monday_of(start), weeks);
    out.push_str("</article>\n");
}

/// "review due in N days", "review due today", "review overdue by N days".
fn review_badge(review: Option<NaiveDate>, today: NaiveDate) -> String {
    let Some(review) = review else {
        return "<span class=\"badge review none\">no review date</span>".into();
    };
    let days = (review - today).num_days();
    let plural = |n: i64| if n == 1 { "" } else { "s" };
    let (class, text) = match days {
        0 => ("due", "review due today".to_string()),
        d if d < 0 => (
            "overdue",
            format!("review overdue by {} day{}", -d, plural(-d)),
        ),
        d => (
            if d <= 14 { "due" } else { "later" },
            format!("review due in {d} day{}", plural(d)),
        ),
    };
    format!("<span class=\"badge review {class}\" title=\"review date {review}\">{text}</span>")
}

/// Stacked bars, one per week: acceptable below, unacceptable above.
fn push_chart(out: &mut String, start: NaiveDate, weeks: &[Week]) {
    const BAR: usize = 10;
    const GAP: usize = 3;
    const HEIGHT: usize = 60;
    const LEFT: usize = 24;
    const BOTTOM: usize = 16;
    let max = weeks
        .iter()
        .map(|w| w.acceptable + w.unacceptable)
        .max()
        .unwrap_or(0)
        .max(1);
    // Wide enough for both dates under the axis however short the period.
    let width = (LEFT + weeks.len() * (BAR + GAP) + 40).max(220);
    let _ = write!(
        out,
        "<svg class=\"chart\" role=\"img\" width=\"{width}\" height=\"{h}\" \
         viewBox=\"0 0 {width} {h}\" aria-label=\"contacts per week\">\
         <text x=\"0\" y=\"10\" class=\"axis\">{max}</text>\
         <text x=\"0\" y=\"{HEIGHT}\" class=\"axis\">0</text>\
         <line x1=\"{LEFT}\" y1=\"{HEIGHT}\" x2=\"{x2}\" y2=\"{HEIGHT}\" class=\"base\"/>",
        h = HEIGHT + BOTTOM,
        x2 = width - 40,
    );
    let scale = |n: usize| n * HEIGHT / max;
    for (i, w) in weeks.iter().enumerate() {
        let x = LEFT + i * (BAR + GAP);
        let monday = start + Duration::weeks(i as i64);
        let ok = scale(w.acceptable);
        let bad = scale(w.acceptable + w.unacceptable) - ok;
        let _ = write!(
            out,
            "<g class=\"week\"><title>week of {monday}: {} acceptable, {} unacceptable</title>\
             <rect x=\"{x}\" y=\"0\" width=\"{BAR}\" height=\"{HEIGHT}\" class=\"slot\"/>",
            w.acceptable, w.unacceptable
        );
        if ok > 0 {
            let _ = write!(
                out,
                "<rect x=\"{x}\" y=\"{}\" width=\"{BAR}\" height=\"{ok}\" class=\"ok\"/>",
                HEIGHT - ok
            );
        }
        if bad > 0 {
            let _ = write!(
                out,
                "<rect x=\"{x}\" y=\"{}\" width=\"{BAR}\" height=\"{bad}\" class=\"bad\"/>",
                HEIGHT - ok - bad
            );
        }
        out.push_str("</g>");
    }
    let last = start + Duration::weeks(weeks.len() as i64 - 1);
    let _ = writeln!(
        out,
        "<text x=\"{LEFT}\" y=\"{y}\" class=\"axis\">{start}</text>\
         <text x=\"{x}\" y=\"{y}\" class=\"axis\" text-anchor=\"end\">{last}</text></svg>",
        y = HEIGHT + BOTTOM - 2,
        x = width - 2,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn contacts_fall_in_their_monday_week_and_outside_ones_are_dropped() {
        // 2026-11-02 is a Monday.
        let weeks = weekly(
            d("2026-11-02"),
            d("2026-11-21"),
            [
                (d("2026-11-02"), false),
                (d("2026-11-08"), true),
                (d("2026-11-09"), true),
                (d("2026-11-21"), false),
                (d("2026-10-30"), true),
            ]
            .into_iter(),
        );
        assert_eq!(weeks.len(), 3);
        assert_eq!(
            weeks[0],
            Week {
                acceptable: 1,
                unacceptable: 1
            }
        );
        assert_eq!(weeks[1].unacceptable, 1);
        assert_eq!(weeks[2].acceptable, 1);
    }

    #[test]
    fn review_badges_count_days_from_the_run() {
        let today = d("2026-11-21");
        assert!(review_badge(Some(d("2026-11-30")), today).contains("review due in 9 days"));
        assert!(review_badge(Some(d("2026-11-22")), today).contains("review due in 1 day<"));
        assert!(review_badge(Some(d("2026-11-21")), today).contains("review due today"));
        let overdue = review_badge(Some(d("2026-10-20")), today);
        assert!(
            overdue.contains("overdue by 32 days")
                && overdue.contains("class=\"badge review overdue\"")
        );
        assert!(review_badge(None, today).contains("no review date"));
    }
}
