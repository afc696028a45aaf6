//! The document the index writer is given: a history entry and its
//! fingerprint as they are, read by tantivy through its [`Document`] trait.
//!
//! Tantivy's own [`tantivy::TantivyDocument`] packs every value into a
//! compact buffer that the writer then decodes again, once for the inverted
//! index, once for the fast fields and twice for the store; a fingerprint is
//! about 140 hashes, so that packing and unpacking was about 20 k
//! instructions a message (dspeed33). This type hands tantivy the same
//! fields, the same values in the same order (so the segment written is the
//! same, byte for byte), straight from the entry.

use super::{Fields, Fingerprint, HistoryEntry};
use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf};
use tantivy::schema::{Document, Field, Value};

/// One entry to index, with the schema's field handles.
#[derive(Debug)]
pub(super) struct HistoryDoc {
    fields: Fields,
    entry: HistoryEntry,
    words: Vec<u32>,
    shingles: Vec<u32>,
}

impl HistoryDoc {
    pub(super) fn new(fields: Fields, entry: &HistoryEntry, fp: &Fingerprint) -> HistoryDoc {
        let with_fingerprint = fields.fingerprint.is_some();
        HistoryDoc {
            fields,
            entry: entry.clone(),
            words: if with_fingerprint {
                fp.words().to_vec()
            } else {
                Vec::new()
            },
            shingles: if with_fingerprint {
                fp.shingles().to_vec()
            } else {
                Vec::new()
            },
        }
    }
}

/// One value of a [`HistoryDoc`]: text, a date or a hash.
#[derive(Debug, Clone, Copy)]
pub(super) enum Leaf<'a> {
    Str(&'a str),
    I64(i64),
    U64(u64),
}

impl<'a> Value<'a> for Leaf<'a> {
    type ArrayIter = std::iter::Empty<Self>;
    type ObjectIter = std::iter::Empty<(&'a str, Self)>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        ReferenceValue::Leaf(match *self {
            Leaf::Str(s) => ReferenceValueLeaf::Str(s),
            Leaf::I64(v) => ReferenceValueLeaf::I64(v),
            Leaf::U64(v) => ReferenceValueLeaf::U64(v),
        })
    }
}

/// The fields and values of a [`HistoryDoc`], in the order
/// `History::document_from_entry` adds them.
pub(super) struct Values<'a> {
    doc: &'a HistoryDoc,
    /// Which field comes next (the steps of `next`).
    step: u8,
    /// The fingerprint field being listed, and its hashes still to come
    /// (the hot path: about 140 values a message, read three times).
    hash_field: Field,
    hashes: std::slice::Iter<'a, u32>,
    /// The categories still to come.
    categories: std::slice::Iter<'a, String>,
}

impl<'a> Iterator for Values<'a> {
    type Item = (Field, Leaf<'a>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(&hash) = self.hashes.next() {
            return Some((self.hash_field, Leaf::U64(u64::from(hash))));
        }
        self.next_field()
    }
}

impl<'a> Values<'a> {
    /// The next value when no fingerprint hash is pending.
    fn next_field(&mut self) -> Option<(Field, Leaf<'a>)> {
        let d = self.doc;
        let f = &d.fields;
        let e = &d.entry;
        loop {
            let step = self.step;
            self.step = step.saturating_add(1);
            let item = match step {
                0 => Some((f.key, Leaf::Str(&e.key))),
                1 => Some((f.sender_key, Leaf::Str(&e.sender_key))),
                2 => e
                    .customer_id
                    .as_deref()
                    .map(|c| (f.customer_id, Leaf::Str(c))),
                3 => Some((f.date, Leaf::I64(e.date))),
                4 => Some((f.subject, Leaf::Str(&e.subject))),
                5 => Some((f.body, Leaf::Str(&e.body))),
                6 | 7 => {
                    if let Some(fp) = f.fingerprint {
                        let (field, hashes) = if step == 6 {
                            (fp.words, &d.words)
                        } else {
                            (fp.shingles, &d.shingles)
                        };
                        self.hash_field = field;
                        self.hashes = hashes.iter();
                        if let Some(&hash) = self.hashes.next() {
                            return Some((field, Leaf::U64(u64::from(hash))));
                        }
                    }
                    None
                }
                8 => e
                    .message_id
                    .as_deref()
                    .map(|m| (f.message_id, Leaf::Str(m))),
                9 => Some((f.source_id, Leaf::Str(&e.source_id))),
                10 => Some((f.queue, Leaf::Str(&e.queue))),
                11 => {
                    self.categories = e.categories.iter();
                    None
                }
                12 => match self.categories.next() {
                    Some(c) => {
                        // Stay on this step until the categories run out.
                        self.step = 12;
                        Some((f.categories, Leaf::Str(c)))
                    }
                    None => None,
                },
                _ => return None,
            };
            if item.is_some() {
                return item;
            }
        }
    }
}

impl Document for HistoryDoc {
    type Value<'a> = Leaf<'a>;
    type FieldsValuesIter<'a> = Values<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        Values {
            doc: self,
            step: 0,
            hash_field: self.fields.key,
            hashes: [].iter(),
            categories: [].iter(),
        }
    }
}
