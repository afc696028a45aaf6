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
//!
//! In [`super::Layout::Current`] the fingerprint is one bytes value
//! ([`pack_fingerprint`]): tantivy's columnar writer looks every value's
//! column up by name and its codecs weigh every value at the commit, so
//! about 140 hash values a message cost far more than one (dspeed34).

use super::similarity::is_set;
use super::{Fields, Fingerprint, HistoryEntry};
use tantivy::schema::document::{ReferenceValue, ReferenceValueLeaf};
use tantivy::schema::{Document, Field, Value};

/// One entry to index, with the schema's field handles.
#[derive(Debug)]
pub(super) struct HistoryDoc {
    fields: Fields,
    entry: HistoryEntry,
    /// The fingerprint packed ([`pack_fingerprint`]); empty when the layout
    /// has no fingerprint field or the fingerprint is empty (no value).
    fingerprint: Vec<u8>,
}

impl HistoryDoc {
    pub(super) fn new(fields: Fields, entry: &HistoryEntry, fp: &Fingerprint) -> HistoryDoc {
        HistoryDoc {
            fields,
            entry: entry.clone(),
            fingerprint: if fields.fingerprint.is_some() {
                pack_fingerprint(fp)
            } else {
                Vec::new()
            },
        }
    }
}

/// A fingerprint as one bytes value: the number of word hashes, then the
/// word hashes, then the shingle hashes, each a little-endian u32 (the
/// sets as they are, sorted). Empty for an empty fingerprint, which is
/// indexed as no value.
pub(super) fn pack_fingerprint(fp: &Fingerprint) -> Vec<u8> {
    let (words, shingles) = (fp.words(), fp.shingles());
    if words.is_empty() && shingles.is_empty() {
        return Vec::new();
    }
    let count = u32::try_from(words.len()).expect("under 2^32 words");
    let mut packed = Vec::with_capacity(4 * (1 + words.len() + shingles.len()));
    packed.extend_from_slice(&count.to_le_bytes());
    for &hash in words.iter().chain(shingles) {
        packed.extend_from_slice(&hash.to_le_bytes());
    }
    packed
}

/// The word and shingle sets of a [`pack_fingerprint`] value (empty: no
/// value) into `words` and `shingles`; false unless it is one, with both
/// sets sorted and de-duplicated.
pub(super) fn unpack_fingerprint(
    packed: &[u8],
    words: &mut Vec<u32>,
    shingles: &mut Vec<u32>,
) -> bool {
    words.clear();
    shingles.clear();
    if packed.is_empty() {
        return true;
    }
    let Some((count, hashes)) = packed.split_first_chunk::<4>() else {
        return false;
    };
    let count = u32::from_le_bytes(*count) as usize;
    if hashes.len() % 4 != 0 || count > hashes.len() / 4 {
        return false;
    }
    let (word_bytes, shingle_bytes) = hashes.split_at(4 * count);
    let read = |bytes: &[u8], set: &mut Vec<u32>| {
        set.extend(
            bytes
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
    };
    read(word_bytes, words);
    read(shingle_bytes, shingles);
    is_set(words) && is_set(shingles)
}

/// One value of a [`HistoryDoc`]: text, a date or bytes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Leaf<'a> {
    Str(&'a str),
    I64(i64),
    Bytes(&'a [u8]),
}

impl<'a> Value<'a> for Leaf<'a> {
    type ArrayIter = std::iter::Empty<Self>;
    type ObjectIter = std::iter::Empty<(&'a str, Self)>;

    fn as_value(&self) -> ReferenceValue<'a, Self> {
        ReferenceValue::Leaf(match *self {
            Leaf::Str(s) => ReferenceValueLeaf::Str(s),
            Leaf::I64(v) => ReferenceValueLeaf::I64(v),
            Leaf::Bytes(b) => ReferenceValueLeaf::Bytes(b),
        })
    }
}

/// The fields and values of a [`HistoryDoc`], in the order
/// `History::document_from_entry` adds them.
pub(super) struct Values<'a> {
    doc: &'a HistoryDoc,
    /// Which field comes next (the steps of `next`).
    step: u8,
    /// The categories still to come.
    categories: std::slice::Iter<'a, String>,
}

impl<'a> Iterator for Values<'a> {
    type Item = (Field, Leaf<'a>);

    fn next(&mut self) -> Option<Self::Item> {
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
                6 => f
                    .fingerprint
                    .filter(|_| !d.fingerprint.is_empty())
                    .map(|field| (field, Leaf::Bytes(&d.fingerprint))),
                7 => e
                    .message_id
                    .as_deref()
                    .map(|m| (f.message_id, Leaf::Str(m))),
                8 => Some((f.source_id, Leaf::Str(&e.source_id))),
                9 => Some((f.queue, Leaf::Str(&e.queue))),
                10 => {
                    self.categories = e.categories.iter();
                    None
                }
                11 => match self.categories.next() {
                    Some(c) => {
                        // Stay on this step until the categories run out.
                        self.step = 11;
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
            categories: [].iter(),
        }
    }
}
