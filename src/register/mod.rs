//! Register: the council's CSV of monitored and restricted customers
//! (SPEC §3) — loading with file:line errors, address normalisation,
//! when a status is active, scope, contact limits and contact hours.

use crate::error::ConfigErrors;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
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
}

/// e.g. `Mon-Fri 10:00-12:00`, in the council's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactHours {
    /// Monday = 0 … Sunday = 6.
    pub days: [bool; 7],
    pub start: NaiveTime,
    pub end: NaiveTime,
    /// The text as written in the register, for reports.
    pub text: String,
}

impl ContactHours {
    /// Whether an instant falls inside the hours, read in `tz`.
    pub fn allows(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        let _ = (at, tz);
        unimplemented!("ContactHours::allows")
    }
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
        let _ = date;
        unimplemented!("active_status")
    }
    /// Whether the status applies to mail addressed to `recipients`
    /// (normalised addresses, To and Cc). Empty scope: always.
    pub fn in_scope<'a>(&self, recipients: impl IntoIterator<Item = &'a str>) -> bool {
        let _ = recipients.into_iter();
        unimplemented!("in_scope")
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
        let _ = path;
        unimplemented!("Register::load")
    }
    /// Parse from CSV text (`path` is only used in error messages).
    pub fn parse(path: &Path, text: &str) -> Result<Register, ConfigErrors> {
        let _ = (path, text);
        unimplemented!("Register::parse")
    }
    /// The customer who owns `address` (any form; normalised here).
    pub fn lookup(&self, address: &str) -> Option<&Customer> {
        self.by_email
            .get(&normalize_address(address))
            .map(|&i| &self.customers[i])
    }
}

/// Lower-case, trim, strip `+tag` sub-addressing from the local part.
pub fn normalize_address(address: &str) -> String {
    let _ = address;
    unimplemented!("normalize_address")
}
