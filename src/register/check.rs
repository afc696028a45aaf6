//! `triage register check`: what in a valid register needs the Customer
//! Relations Officer's attention on a given day — reviews overdue or due
//! soon, statuses that have ended but are still listed or end soon, statuses
//! without a review date or with one further out than the council's policies
//! allow (3 months for monitoring, at most 6 for restrictions), and addresses
//! claimed by two customers. Validating the file is the loader's job
//! ([`Register::load`]); this only reads what it built.

use super::{Customer, Register, Status};
use chrono::{Months, NaiveDate};
use serde::Serialize;
use std::fmt::Write as _;

/// How far ahead "due soon" and "ends soon" look.
pub const LOOKAHEAD_DAYS: i64 = 14;

/// What a finding is about. The order is the order of the report: what is
/// already wrong first, then what falls due soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// `until` has passed but the status is still on the register.
    StatusEnded,
    ReviewOverdue,
    AddressClaimedTwice,
    NoReviewDate,
    /// `review_date` further out than the policy's interval for the status.
    ReviewTooFar,
    ReviewDueSoon,
    StatusEndsSoon,
}

impl FindingKind {
    const ALL: [FindingKind; 7] = [
        FindingKind::StatusEnded,
        FindingKind::ReviewOverdue,
        FindingKind::AddressClaimedTwice,
        FindingKind::NoReviewDate,
        FindingKind::ReviewTooFar,
        FindingKind::ReviewDueSoon,
        FindingKind::StatusEndsSoon,
    ];

    /// The heading of the finding's group in the text report.
    pub fn heading(self) -> &'static str {
        match self {
            FindingKind::StatusEnded => {
                "Statuses that have ended but are still listed (set them to closed, or renew with a new until)"
            }
            FindingKind::ReviewOverdue => "Reviews overdue",
            FindingKind::AddressClaimedTwice => {
                "Addresses claimed by two customers (their mail is matched to the first)"
            }
            FindingKind::NoReviewDate => "Statuses without a review date",
            FindingKind::ReviewTooFar => {
                "Review dates further out than the policy allows (3 months for warned and monitored, 6 for read_only, restricted and no_contact)"
            }
            FindingKind::ReviewDueSoon => "Reviews due within 14 days",
            FindingKind::StatusEndsSoon => "Statuses ending within 14 days",
        }
    }
}

/// One thing to look at, about one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub customer_id: String,
    pub name: String,
    /// The customer's line in the register file.
    pub line: usize,
    pub status: &'static str,
    /// The date the finding is about (`review_date` or `until`), if any.
    pub date: Option<NaiveDate>,
    /// What is wrong, in one line.
    pub detail: String,
}

/// Every finding for one register on one day.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub register: String,
    pub today: NaiveDate,
    pub customers: usize,
    /// Sorted by kind, then date, then line.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Check `register` as it stands on `today` (the council's date).
    pub fn build(register: &Register, today: NaiveDate) -> CheckReport {
        let mut findings = Vec::new();
        for (index, customer) in register.customers.iter().enumerate() {
            let found = |kind, date, detail| Finding {
                kind,
                customer_id: customer.customer_id.clone(),
                name: customer.name.clone(),
                line: customer.line,
                status: customer.status.as_str(),
                date,
                detail,
            };
            for (kind, date, detail) in dates(customer, today) {
                findings.push(found(kind, date, detail));
            }
            for (owner, address) in claimed_first_by_another(register, index) {
                let detail = format!(
                    "`{address}` is also claimed by {} {} (line {}), whose claim wins",
                    owner.customer_id, owner.name, owner.line
                );
                findings.push(found(FindingKind::AddressClaimedTwice, None, detail));
            }
        }
        findings.sort_by_key(|f| (f.kind, f.date, f.line));
        CheckReport {
            register: register
                .path
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            today,
            customers: register.customers.len(),
            findings,
        }
    }

    /// Whether anything needs attention (the command exits 1 then).
    pub fn needs_attention(&self) -> bool {
        !self.findings.is_empty()
    }

    /// The findings grouped under a heading each, one line per customer:
    /// id, name, register line, what and when.
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "register {}: {} customers, checked for {}\n",
            self.register, self.customers, self.today
        );
        if self.findings.is_empty() {
            out.push_str("nothing needs attention\n");
        }
        for kind in FindingKind::ALL {
            let group: Vec<&Finding> = self.findings.iter().filter(|f| f.kind == kind).collect();
            if group.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{} ({}):", kind.heading(), group.len());
            for f in group {
                let _ = writeln!(
                    out,
                    "  {}  {}  line {}  {}: {}",
                    f.customer_id, f.name, f.line, f.status, f.detail
                );
            }
        }
        out
    }
}

/// The policies' longest interval between reviews for a status.
fn review_interval(status: Status) -> Months {
    match status {
        Status::Warned | Status::Monitored => Months::new(3),
        Status::ReadOnly | Status::Restricted | Status::NoContact | Status::Closed => {
            Months::new(6)
        }
    }
}

/// Findings about a customer's `until` and `review_date`. A closed status
/// has nothing to review; one that has ended is reported as ended, not as
/// a review to hold.
fn dates(c: &Customer, today: NaiveDate) -> Vec<(FindingKind, Option<NaiveDate>, String)> {
    if c.status == Status::Closed {
        return Vec::new();
    }
    let soon = today + chrono::Duration::days(LOOKAHEAD_DAYS);
    let mut found = Vec::new();
    if let Some(until) = c.until {
        if until < today {
            let detail = format!("ended {until} ({}), still listed", days_from(today, until));
            return vec![(FindingKind::StatusEnded, Some(until), detail)];
        }
        if until <= soon {
            let detail = format!("ends {until} ({})", days_from(today, until));
            found.push((FindingKind::StatusEndsSoon, Some(until), detail));
        }
    }
    let Some(review) = c.review_date else {
        let detail = "no review_date".to_string();
        found.push((FindingKind::NoReviewDate, None, detail));
        return found;
    };
    let interval = review_interval(c.status);
    // Measured from when the status starts, if that is still to come.
    let from = c.since.filter(|&since| since > today).unwrap_or(today);
    let latest = from.checked_add_months(interval).unwrap_or(NaiveDate::MAX);
    let when = days_from(today, review);
    if review < today {
        found.push((
            FindingKind::ReviewOverdue,
            Some(review),
            format!("review was due {review} ({when})"),
        ));
    } else if review <= soon {
        found.push((
            FindingKind::ReviewDueSoon,
            Some(review),
            format!("review due {review} ({when})"),
        ));
    } else if review > latest {
        found.push((
            FindingKind::ReviewTooFar,
            Some(review),
            format!("review set for {review}, after the latest the policy allows ({latest})"),
        ));
    }
    found
}

/// The customer's addresses that the register matches to an earlier
/// customer, with that customer.
fn claimed_first_by_another(register: &Register, index: usize) -> Vec<(&Customer, &str)> {
    register.customers[index]
        .emails
        .iter()
        .filter_map(|address| match register.by_email.get(address) {
            Some(&owner) if owner != index => Some((&register.customers[owner], address.as_str())),
            _ => None,
        })
        .collect()
}

/// `today`, `in 3 days`, `12 days ago`.
fn days_from(today: NaiveDate, date: NaiveDate) -> String {
    match (date - today).num_days() {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        -1 => "yesterday".to_string(),
        n if n > 0 => format!("in {n} days"),
        n => format!("{} days ago", -n),
    }
}
