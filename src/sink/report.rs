//! `report.csv`: one row per input message, sorted by source id (SPEC §6);
//! rows are rendered one by one and merged in order ([`super::merge`]).

use crate::outcome::Outcome;

pub const COLUMNS: [&str; 18] = [
    "source",
    "message_id",
    "date",
    "from",
    "customer_id",
    "customer_status",
    "queue",
    "priority",
    "categories",
    "new_issue",
    "repeat_of",
    "similarity",
    "conduct",
    "actions",
    "reasons",
    "policy_entry",
    "rules_hit",
    "vulnerable",
];

/// The header line; the rows follow, sorted by source id.
pub fn header() -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS).expect("writing to memory");
    w.into_inner().expect("writing to memory")
}

/// The CSV writer's buffer for one row: most rows are 130-400 bytes.
const ROW_BUFFER: usize = 512;

/// A writer for one row. csv's writer zeroes its own buffer (8 KiB by
/// default) when it is made, and one is made for every row: a small one
/// holds a typical row whole, and a longer row is flushed in more pieces
/// into the same bytes.
fn row_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .buffer_capacity(ROW_BUFFER)
        .from_writer(Vec::new())
}

/// One message's row, CSV-quoted, with its line end.
pub fn row(o: &Outcome) -> Vec<u8> {
    let mut w = row_writer();
    let repeat = o.history.repeat_of.as_ref();
    w.write_record([
        o.source_id.as_str(),
        o.message_id.as_deref().unwrap_or(""),
        &o.date,
        &o.from,
        o.sender.customer_id.as_deref().unwrap_or(""),
        o.sender.status.as_deref().unwrap_or(""),
        o.routing.queue.as_str(),
        o.routing.priority.as_str(),
        &o.categories_field(),
        if o.history.new_issue { "true" } else { "false" },
        repeat.map_or("", |r| r.source_id.as_str()),
        &repeat.map_or(String::new(), |r| format!("{:.3}", r.similarity)),
        o.conduct.map_or("", |c| c.as_str()),
        &o.routing.actions.join(";"),
        &o.routing.reasons.join(";"),
        &o.routing.entry,
        &o.rules_hit_field(),
        if o.sender.vulnerable { "true" } else { "false" },
    ])
    .expect("writing to memory");
    w.into_inner().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_row_longer_than_the_buffer_is_written_as_the_default_writer_writes_it() {
        let quoted = "a \"quoted\", long field\nover lines; ".repeat(40);
        let long = "b".repeat(2 * super::ROW_BUFFER);
        let record = ["x", quoted.as_str(), "", "£ é", long.as_str()];
        let mut small = super::row_writer();
        let mut default = csv::Writer::from_writer(Vec::new());
        small.write_record(record).unwrap();
        default.write_record(record).unwrap();
        assert_eq!(small.into_inner().unwrap(), default.into_inner().unwrap());
    }
}
