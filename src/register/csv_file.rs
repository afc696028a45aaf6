//! Reading the register CSV into [`Register`]: header checks, one
//! [`Customer`] per record, and every problem collected with its line so the
//! CRO can fix the whole file in one pass (SPEC §7).

use super::{
    is_valid_address, normalize_address, ContactHours, ContactLimit, Customer, Register, Status,
};
use crate::error::{ConfigError, ConfigErrors};
use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// Every column the register may have (SPEC §3).
const KNOWN_COLUMNS: [&str; 13] = [
    "customer_id",
    "name",
    "emails",
    "status",
    "since",
    "until",
    "review_date",
    "contact_limit",
    "contact_hours",
    "single_point_of_contact",
    "scope",
    "vulnerable",
    "notes",
];
const REQUIRED_COLUMNS: [&str; 2] = ["customer_id", "emails"];

pub(super) fn parse(path: &Path, text: &str) -> Result<Register, ConfigErrors> {
    // Hash the text as given (BOM included) so it matches the file's bytes.
    let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body.as_bytes());

    let lines = LineIndex::new(body);
    let header_line = lines.record_line(0);
    let columns = match reader.headers() {
        Ok(header) => Columns::new(header),
        Err(e) => Err(vec![format!("cannot read the header: {e}")]),
    };
    let columns = columns.map_err(|reasons| at_line(path, header_line, reasons))?;

    let mut builder = Builder::new(path, sha256);
    for result in reader.records() {
        match result {
            Ok(record) => {
                let line = record.position().map_or(0, |p| lines.position_line(p));
                builder.record(&columns, &record, line);
            }
            Err(e) => {
                // Input is a &str, so this is malformed CSV; nothing after it
                // can be trusted to be aligned.
                let line = e.position().map_or(0, |p| lines.position_line(p));
                builder
                    .errors
                    .push(ConfigError::new(path, line, e.to_string()));
                break;
            }
        }
    }
    builder.finish()
}

fn at_line(path: &Path, line: usize, reasons: Vec<String>) -> ConfigErrors {
    ConfigErrors(
        reasons
            .into_iter()
            .map(|r| ConfigError::new(path, line, r))
            .collect(),
    )
}

/// Maps byte offsets to 1-based line numbers.
///
/// csv's own `Position::line()` is taken where the reader stood when a
/// record began: before any blank lines it skipped, and before the `\n` of
/// a CRLF ending, so it can name the previous line. The byte offset has the
/// same problem, but line ends can be skipped over here.
struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of every `\n`.
    newlines: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let newlines = memchr::memchr_iter(b'\n', text.as_bytes()).collect();
        LineIndex { text, newlines }
    }

    fn position_line(&self, position: &csv::Position) -> usize {
        usize::try_from(position.byte()).map_or(0, |byte| self.record_line(byte))
    }

    /// Line of the first character of a record that csv says starts at
    /// `byte`, skipping the line ends in between.
    fn record_line(&self, byte: usize) -> usize {
        let rest = self.text.as_bytes().get(byte..).unwrap_or_default();
        let skipped = rest
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        1 + self.newlines.partition_point(|&nl| nl < byte + skipped)
    }
}

/// Column name → field index, from the header.
struct Columns {
    index: HashMap<&'static str, usize>,
    width: usize,
}

impl Columns {
    /// Names are matched ignoring case and surrounding spaces.
    fn new(header: &csv::StringRecord) -> Result<Columns, Vec<String>> {
        let mut index = HashMap::new();
        let mut problems = Vec::new();
        for (i, raw) in header.iter().enumerate() {
            let name = raw.trim().to_lowercase();
            match KNOWN_COLUMNS.iter().find(|&&k| k == name) {
                Some(&known) if index.insert(known, i).is_some() => {
                    problems.push(format!("column `{known}` appears twice"));
                }
                Some(_) => {}
                None if name.is_empty() => {
                    problems.push(format!("column {} has no name", i + 1));
                }
                None => problems.push(format!(
                    "unknown column `{raw}` (known: {})",
                    KNOWN_COLUMNS.join(", ")
                )),
            }
        }
        for required in REQUIRED_COLUMNS {
            if !index.contains_key(required) {
                problems.push(format!("missing required column `{required}`"));
            }
        }
        let width = header.len();
        problems
            .is_empty()
            .then_some(Columns { index, width })
            .ok_or(problems)
    }
}

/// One record being read: field access plus the problems found in it.
struct Row<'a> {
    record: &'a csv::StringRecord,
    columns: &'a Columns,
    problems: Vec<String>,
}

impl<'a> Row<'a> {
    /// The trimmed cell; empty when the column is absent.
    fn text(&self, column: &str) -> &'a str {
        self.columns
            .index
            .get(column)
            .and_then(|&i| self.record.get(i))
            .unwrap_or("")
    }

    fn problem(&mut self, column: &str, value: &str, what: &str) {
        self.problems
            .push(format!("column `{column}`: `{value}`: {what}"));
    }

    /// Parses a non-empty cell with `parse`; records a problem on failure.
    fn optional<T>(
        &mut self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.text(column);
        if value.is_empty() {
            return None;
        }
        parse(value)
            .map_err(|why| self.problem(column, value, &why))
            .ok()
    }

    fn date(&mut self, column: &str) -> Option<NaiveDate> {
        self.optional(column, parse_iso_date)
    }

    /// `;`-separated addresses, normalised, duplicates dropped.
    fn addresses(&mut self, column: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for raw in self.text(column).split(';').map(str::trim) {
            if raw.is_empty() {
                continue;
            }
            let address = normalize_address(raw);
            if !is_valid_address(&address) {
                self.problem(column, raw, "not an email address");
            } else if !out.contains(&address) {
                out.push(address);
            }
        }
        out
    }

    fn customer(&mut self, line: usize) -> Customer {
        let customer_id = self.text("customer_id").to_string();
        if customer_id.is_empty() {
            self.problems.push("column `customer_id` is empty".into());
        }
        // `;` alone counts as empty too: a customer with no address can
        // never be identified, so the row is surely a mistake.
        if self.text("emails").split(';').all(|a| a.trim().is_empty()) {
            self.problems.push("column `emails` is empty".into());
        }
        let emails = self.addresses("emails");
        let status = self
            .optional("status", parse_status)
            .unwrap_or(Status::Closed);
        let since = self.date("since");
        let until = self.date("until");
        if let (Some(s), Some(u)) = (since, until) {
            if u < s {
                let why = format!("before `since` ({s})");
                self.problem("until", self.text("until"), &why);
            }
        }
        Customer {
            customer_id,
            name: self.text("name").to_string(),
            emails,
            status,
            since,
            until,
            review_date: self.date("review_date"),
            contact_limit: self.optional("contact_limit", ContactLimit::parse),
            contact_hours: self.optional("contact_hours", ContactHours::parse),
            single_point_of_contact: self.single_point_of_contact(),
            scope: self.addresses("scope"),
            vulnerable: self.optional("vulnerable", parse_bool).unwrap_or(false),
            notes: self.text("notes").to_string(),
            line,
        }
    }

    fn single_point_of_contact(&mut self) -> Option<String> {
        let column = "single_point_of_contact";
        let raw = self.text(column);
        let address = normalize_address(raw);
        match (raw.is_empty(), is_valid_address(&address)) {
            (true, _) => None,
            (false, true) => Some(address),
            (false, false) => {
                self.problem(column, raw, "not an email address");
                None
            }
        }
    }
}

fn parse_iso_date(text: &str) -> Result<NaiveDate, String> {
    // Length check keeps it strictly YYYY-MM-DD: chrono alone would take
    // `2026-3-1`, and a lax date format invites day/month mix-ups.
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 10)
        .ok_or_else(|| "not an ISO date YYYY-MM-DD".to_string())
}

fn parse_status(text: &str) -> Result<Status, String> {
    Status::parse(text).ok_or_else(|| {
        "not a status (warned, monitored, read_only, restricted, no_contact, closed or empty)"
            .to_string()
    })
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.to_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err("not true/false, yes/no or 1/0".to_string()),
    }
}

/// Accumulates customers, the address index, warnings and errors.
struct Builder<'p> {
    path: &'p Path,
    register: Register,
    errors: ConfigErrors,
    /// customer_id → line of its first record.
    id_lines: HashMap<String, usize>,
}

impl<'p> Builder<'p> {
    fn new(path: &'p Path, sha256: String) -> Self {
        Builder {
            path,
            register: Register {
                sha256,
                ..Register::default()
            },
            errors: ConfigErrors::default(),
            id_lines: HashMap::new(),
        }
    }

    fn record(&mut self, columns: &Columns, record: &csv::StringRecord, line: usize) {
        // Spreadsheets leave rows of bare commas at the end; skip them like
        // blank lines.
        if record.iter().all(str::is_empty) {
            return;
        }
        if record.len() != columns.width {
            // A missing or extra comma shifts every later cell into the wrong
            // column, so nothing in this record can be trusted.
            let why = format!(
                "has {} fields but the header has {}",
                record.len(),
                columns.width
            );
            self.errors.push(ConfigError::new(self.path, line, why));
            return;
        }
        let mut row = Row {
            record,
            columns,
            problems: Vec::new(),
        };
        let customer = row.customer(line);
        self.check_unique_id(&customer, line, &mut row.problems);
        if row.problems.is_empty() {
            self.add(customer);
        } else {
            self.errors.extend(at_line(self.path, line, row.problems));
        }
    }

    fn check_unique_id(&mut self, customer: &Customer, line: usize, problems: &mut Vec<String>) {
        if customer.customer_id.is_empty() {
            return;
        }
        if let Some(first) = self.id_lines.get(&customer.customer_id) {
            problems.push(format!(
                "column `customer_id`: `{}` is a duplicate of line {first}",
                customer.customer_id
            ));
        } else {
            self.id_lines.insert(customer.customer_id.clone(), line);
        }
    }

    /// Adds a valid customer; an address already claimed stays with its
    /// first owner and the second claim is a warning.
    fn add(&mut self, customer: Customer) {
        let index = self.register.customers.len();
        for address in &customer.emails {
            match self.register.by_email.get(address) {
                Some(&owner) => {
                    let first = &self.register.customers[owner];
                    let why = format!(
                        "column `emails`: `{address}` is also claimed by customer `{}` (line {}); \
                         the first claim wins",
                        first.customer_id, first.line
                    );
                    let warning = ConfigError::new(self.path, customer.line, why);
                    self.register.warnings.push(warning);
                }
                None => {
                    self.register.by_email.insert(address.clone(), index);
                }
            }
        }
        self.register.customers.push(customer);
    }

    fn finish(self) -> Result<Register, ConfigErrors> {
        self.errors.into_result(self.register)
    }
}
