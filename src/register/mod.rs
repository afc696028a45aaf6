//! Register: the council's CSV of monitored and restricted customers
//! (SPEC §3). Owns loading and validating the file (every problem reported
//! at once with file:line and the offending column and value; an address
//! claimed twice is a warning, not an error), address normalisation (case,
//! `+tag`), when a status is in force (`since`/`until`), `scope`, and the
//! parsing of `contact_limit` and `contact_hours` (checking hours against an
//! instant in the council's time zone). Counting contact against a limit is
//! not here: the history stage owns that. What in a valid register needs
//! attention on a given day (reviews, ending statuses) is [`check`].

pub mod check;
mod csv_file;
mod hours;
#[cfg(test)]
mod tests;

use crate::error::{ConfigError, ConfigErrors};
use chrono::{NaiveDate, NaiveTime};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Warned,
    Monitored,
    ReadOnly,
    Restricted,
    NoContact,
    /// Empty or `closed`: on the register, no status in force.
    Closed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Warned,
        Status::Monitored,
        Status::ReadOnly,
        Status::Restricted,
        Status::NoContact,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Warned => "warned",
            Status::Monitored => "monitored",
            Status::ReadOnly => "read_only",
            Status::Restricted => "restricted",
            Status::NoContact => "no_contact",
            Status::Closed => "closed",
        }
    }

    /// Reads a register `status` cell: case-insensitive, `-` or a space may
    /// stand for `_` (`read-only`, `No Contact`); empty means closed.
    pub fn parse(text: &str) -> Option<Status> {
        let key = text.trim().to_lowercase().replace(['-', ' '], "_");
        match key.as_str() {
            "warned" => Some(Status::Warned),
            "monitored" => Some(Status::Monitored),
            "read_only" => Some(Status::ReadOnly),
            "restricted" => Some(Status::Restricted),
            "no_contact" => Some(Status::NoContact),
            "" | "closed" => Some(Status::Closed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitPeriod {
    /// 24 hours.
    Day,
    /// 7 days.
    Week,
    /// 30 days.
    Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactLimit {
    pub max: u32,
    pub period: LimitPeriod,
}

impl ContactLimit {
    /// Length of the rolling window.
    pub fn window(&self) -> chrono::Duration {
        match self.period {
            LimitPeriod::Day => chrono::Duration::hours(24),
            LimitPeriod::Week => chrono::Duration::days(7),
            LimitPeriod::Month => chrono::Duration::days(30),
        }
    }

    /// Reads `N/day`, `N/week` or `N/month` (N ≥ 1); spaces and case are
    /// tolerated (`2 / Week`). The error says what was expected.
    pub fn parse(text: &str) -> Result<ContactLimit, String> {
        const EXPECTED: &str = "expected N/day, N/week or N/month with N at least 1";
        let (count, period) = text.split_once('/').ok_or(EXPECTED)?;
        let max: u32 = count.trim().parse().map_err(|_| EXPECTED)?;
        if max == 0 {
            return Err(EXPECTED.to_string());
        }
        let period = match period.trim().to_lowercase().as_str() {
            "day" => LimitPeriod::Day,
            "week" => LimitPeriod::Week,
            "month" => LimitPeriod::Month,
            _ => return Err(EXPECTED.to_string()),
        };
        Ok(ContactLimit { max, period })
    }
}

/// As the register writes it: `2/week`.
impl std::fmt::Display for ContactLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let period = match self.period {
            LimitPeriod::Day => "day",
            LimitPeriod::Week => "week",
            LimitPeriod::Month => "month",
        };
        write!(f, "{}/{period}", self.max)
    }
}

/// One window of contact hours: the days it covers and `start <= t < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoursWindow {
    /// Monday = 0 … Sunday = 6.
    pub days: [bool; 7],
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// e.g. `Mon-Fri 10:00-12:00`, in the council's time zone. Several windows
/// may be given separated by `;` (`Mon-Fri 10:00-12:00; Sat 10:00-11:00`):
/// `days`/`start`/`end` are the first, `also` holds the rest. Parsing and
/// [`ContactHours::allows`] live in `hours.rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactHours {
    /// Monday = 0 … Sunday = 6.
    pub days: [bool; 7],
    pub start: NaiveTime,
    pub end: NaiveTime,
    /// The text as written in the register, for reports.
    pub text: String,
    /// Windows after the first, in the order written; usually empty.
    pub also: Vec<HoursWindow>,
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub customer_id: String,
    pub name: String,
    /// Normalised addresses (see [`normalize_address`]).
    pub emails: Vec<String>,
    pub status: Status,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub review_date: Option<NaiveDate>,
    pub contact_limit: Option<ContactLimit>,
    pub contact_hours: Option<ContactHours>,
    /// Normalised address of the nominated officer.
    pub single_point_of_contact: Option<String>,
    /// Normalised council mailboxes the status applies to; empty: all.
    pub scope: Vec<String>,
    pub vulnerable: bool,
    pub notes: String,
    /// 1-based line in the register file (header is line 1).
    pub line: usize,
}

impl Customer {
    /// The status in force on `date`: `Some` only when the status is not
    /// closed and `date` lies inside `[since, until]`.
    pub fn active_status(&self, date: NaiveDate) -> Option<Status> {
        let before = self.since.is_some_and(|since| date < since);
        let after = self.until.is_some_and(|until| date > until);
        (self.status != Status::Closed && !before && !after).then_some(self.status)
    }
    /// Whether the status applies to mail addressed to `recipients`
    /// (normalised addresses, To and Cc). Empty scope: always.
    pub fn in_scope<'a>(&self, recipients: impl IntoIterator<Item = &'a str>) -> bool {
        // Normalised again so a caller passing addresses as written still
        // matches (`Housing@Council.gov.uk`).
        self.scope.is_empty()
            || recipients
                .into_iter()
                .any(|r| self.scope.contains(&normalize_address(r)))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Register {
    pub path: Option<PathBuf>,
    pub customers: Vec<Customer>,
    /// normalised address → index into `customers` (first claim wins).
    pub by_email: HashMap<String, usize>,
    /// Non-fatal findings, e.g. an address claimed by two customers.
    pub warnings: Vec<crate::error::ConfigError>,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
}

impl Register {
    /// Load and validate; every problem reported with file:line.
    pub fn load(path: &Path) -> Result<Register, ConfigErrors> {
        let bytes = std::fs::read(path)
            .map_err(|e| ConfigError::new(path, 0, format!("cannot read register: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| not_utf8(path, &e))?;
        let mut register = Register::parse(path, &text)?;
        register.path = Some(path.to_path_buf());
        Ok(register)
    }
    /// Parse from CSV text (`path` is only used in error messages).
    pub fn parse(path: &Path, text: &str) -> Result<Register, ConfigErrors> {
        csv_file::parse(path, text)
    }
    /// The customer who owns `address` (any form; normalised here).
    pub fn lookup(&self, address: &str) -> Option<&Customer> {
        self.by_email
            .get(&normalize_address(address))
            .map(|&i| &self.customers[i])
    }
    /// Customers whose status is in force on `date`, with that status, in
    /// register order.
    pub fn active_customers(
        &self,
        date: NaiveDate,
    ) -> impl Iterator<Item = (&Customer, Status)> + '_ {
        self.customers
            .iter()
            .filter_map(move |c| c.active_status(date).map(|s| (c, s)))
    }
}

/// A register saved in a legacy encoding (Excel's "CSV" rather than
/// "CSV UTF-8") is refused with the line of the first bad byte, so the
/// officer can find the accented name that caused it.
fn not_utf8(path: &Path, e: &std::string::FromUtf8Error) -> ConfigError {
    let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
    let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
    ConfigError::new(
        path,
        line,
        "register is not valid UTF-8 (save it as \"CSV UTF-8\")",
    )
}

/// Lower-case, trim, strip `+tag` sub-addressing from the local part.
///
/// Also accepts `<addr>` and `Name <addr>`, keeping what is inside the angle
/// brackets. Dots are kept: only some providers ignore them, and merging two
/// people's addresses would be worse than missing one person's alias.
pub fn normalize_address(address: &str) -> String {
    let lower = strip_angle_brackets(address.trim()).trim().to_lowercase();
    match lower.rsplit_once('@') {
        Some((local, domain)) => {
            // A local part that *starts* with `+` has no tag to drop.
            let local = match local.find('+') {
                Some(i) if i > 0 => &local[..i],
                _ => local,
            };
            format!("{local}@{domain}")
        }
        None => lower,
    }
}

fn strip_angle_brackets(address: &str) -> &str {
    match (address.rfind('<'), address.strip_suffix('>')) {
        (Some(open), Some(inner)) => &inner[open + 1..],
        _ => address,
    }
}

/// Whether a normalised address is plausible: one `@` with something on
/// both sides and nothing that would come from a mis-split list.
pub fn is_valid_address(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let bad_char = |c: char| c.is_whitespace() || matches!(c, '@' | '<' | '>' | ',' | ';');
    !local.is_empty()
        && !domain.is_empty()
        && !local.contains(bad_char)
        && !domain.contains(bad_char)
}
