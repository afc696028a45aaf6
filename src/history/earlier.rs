//! One sender's earlier mail as the pipeline consults it, read so that the
//! cost per night message does not grow with the history.
//!
//! [`History::sender_history`] reads, for each of the sender's indexed
//! messages, only its date and categories, from fast (columnar) fields:
//! no stored document is decompressed. The key of a message is read only
//! when it is needed to order two messages of the same second (or of the
//! second of a night message); reading it from the key column's dictionary
//! was a third of a lookup over a 1M-message history (docs/performance.md,
//! "The history at 1M, round 4"). Whether the sender's history already
//! holds a night message is asked of the key's term dictionary instead
//! ([`SenderHistory::find_key`]). The fingerprint of a message is read
//! each time it is compared (the pipeline compares each night message with
//! the sender's most recent messages only), and the whole stored entry only
//! for a message that is reported (a repeat's excerpt, earlier abuse's
//! source id).
//!
//! A fingerprint is one bytes fast field (its 32-bit word and shingle
//! hashes packed, [`super::document::pack_fingerprint`]): reading one is
//! the message's ordinal, then that value from one block of the column's
//! dictionary (uncompressed: a few kilobytes, whatever the history's
//! size). It is unpacked into buffers the sender's lookup reuses, not
//! into a fingerprint of its own: allocating and keeping one per earlier
//! message was most of what reading them cost (docs/performance.md, "The
//! history at 1M, round 5").
//!
//! An index of an earlier [`Layout`] is read without its fast fields (a
//! fingerprint's hashes as separate column values, 64-bit hashes, or
//! zstd-compressed dictionaries, which this build does not read): its messages are read whole from the store and fingerprinted
//! from their bodies on first use (the slow path; `triage run` upgrades such
//! an index).

use super::document::unpack_fingerprint;
use super::similarity::Fingerprint;
use super::{damaged, entry_from_document, Fields, History, HistoryEntry, Layout};
use crate::error::{Error, Result};
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use tantivy::columnar::{BytesColumn, Column, StrColumn};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocSet, Searcher, SegmentReader, TantivyDocument, Term, TERMINATED};

/// One earlier message of a sender: what counting needs, at hand; what
/// comparing and reporting need, on demand.
#[derive(Debug)]
pub struct EarlierMessage {
    /// Unix seconds (UTC).
    pub date: i64,
    /// §4 category names.
    pub categories: Vec<String>,
    /// Read on first use ([`SenderHistory::key`]).
    key: OnceCell<String>,
    held: Held,
}

/// Where the rest of an earlier message is.
#[derive(Debug)]
enum Held {
    /// In the index: the fingerprint in a fast field, the entry stored.
    Indexed(DocAddress),
    /// In memory: triaged tonight, or read whole from an old-layout index;
    /// the fingerprint of its body, computed once.
    Entry(Box<HistoryEntry>, OnceCell<Fingerprint>),
}

impl EarlierMessage {
    /// A message held in memory; `fingerprint` of its body when already
    /// computed, else computed on first use.
    pub fn from_entry(entry: HistoryEntry, fingerprint: Option<Fingerprint>) -> EarlierMessage {
        EarlierMessage {
            key: OnceCell::from(entry.key.clone()),
            date: entry.date,
            categories: entry.categories.clone(),
            held: Held::Entry(
                Box::new(entry),
                fingerprint.map(OnceCell::from).unwrap_or_default(),
            ),
        }
    }
}

/// A sender's earlier messages, sorted by (date, key), and the means to read
/// the rest of each.
pub struct SenderHistory {
    /// Sorted by (date, key); add with [`SenderHistory::insert`].
    pub messages: Vec<EarlierMessage>,
    /// The date of each message held in memory (tonight's, or all of an
    /// old-layout index's), by key: indexed ones are found through the index.
    in_memory: HashMap<String, i64>,
    index: Option<IndexView>,
}

/// A snapshot of the index for reading fingerprints and stored entries.
struct IndexView {
    searcher: Searcher,
    fields: Fields,
    /// `STATE/history`, for error messages.
    path: PathBuf,
    /// The fast fields of each of the searcher's segments.
    columns: Arc<Vec<SegmentColumns>>,
    /// The segments that hold some of the sender's mail.
    segments: Vec<u32>,
    /// Where fingerprints are unpacked, reused from one to the next.
    unpacked: RefCell<Unpacked>,
}

/// A fingerprint's two sets as read from the column, and the packed value
/// they are read from.
#[derive(Default)]
struct Unpacked {
    packed: Vec<u8>,
    words: Vec<u32>,
    shingles: Vec<u32>,
}

/// The fast fields of every segment of one searcher generation, opened once
/// and shared by every sender's lookup (opening a column reads its
/// dictionary's index: too dear to do per sender).
pub(super) struct OpenedColumns {
    generation: u64,
    columns: Arc<Vec<SegmentColumns>>,
}

/// What is being read when the index fails.
const READING: &str = "reading a sender's earlier mail";

impl SenderHistory {
    /// A sender with no earlier mail in the history.
    pub fn empty() -> SenderHistory {
        SenderHistory {
            messages: Vec::new(),
            in_memory: HashMap::new(),
            index: None,
        }
    }

    /// Messages held in memory, sorted by (date, key), one per key.
    fn of_entries(messages: Vec<EarlierMessage>) -> SenderHistory {
        let in_memory = messages
            .iter()
            .filter_map(|m| Some((m.key.get()?.clone(), m.date)))
            .collect();
        SenderHistory {
            messages,
            in_memory,
            index: None,
        }
    }

    /// Sort by (date, key), reading the keys of messages that share a second
    /// only.
    fn sort_by_date_and_key(&mut self) -> Result<()> {
        self.messages.sort_by_key(|m| m.date);
        let mut start = 0;
        while start < self.messages.len() {
            let date = self.messages[start].date;
            let end = start + self.messages[start..].partition_point(|m| m.date == date);
            if end - start > 1 {
                for m in &self.messages[start..end] {
                    self.key(m)?;
                }
                self.messages[start..end].sort_by(|a, b| a.key.get().cmp(&b.key.get()));
            }
            start = end;
        }
        Ok(())
    }

    /// The key of `m`, read (for an indexed message) once.
    pub fn key<'m>(&self, m: &'m EarlierMessage) -> Result<&'m str> {
        if let Some(key) = m.key.get() {
            return Ok(key);
        }
        let key = match (&m.held, &self.index) {
            (Held::Indexed(address), Some(index)) => index.key(*address)?,
            _ => unreachable!("a message held in memory has its key"),
        };
        Ok(m.key.get_or_init(|| key))
    }

    /// How many messages come before (`date`, `key`): keys are read only
    /// for the messages of that very second.
    pub fn position(&self, date: i64, key: &str) -> Result<usize> {
        let start = self.messages.partition_point(|m| m.date < date);
        let mut at = start;
        for m in &self.messages[start..] {
            if m.date > date || self.key(m)? >= key {
                break;
            }
            at += 1;
        }
        Ok(at)
    }

    /// Where the message with `key` is, when the sender's history holds it
    /// (from the index, or triaged tonight). For an indexed message this is
    /// one look-up of the key in the term dictionary of each segment that
    /// holds some of the sender's mail, not a read of every earlier key.
    pub fn find_key(&self, key: &str) -> Result<Option<usize>> {
        let date = match (self.in_memory.get(key), &self.index) {
            (Some(&date), _) => Some(date),
            (None, Some(index)) => index.date_of_key(key)?,
            (None, None) => None,
        };
        let Some(date) = date else { return Ok(None) };
        let at = self.position(date, key)?;
        match self.messages.get(at) {
            Some(m) if m.date == date && self.key(m)? == key => Ok(Some(at)),
            _ => Ok(None),
        }
    }

    /// Add a message triaged tonight in its place, and say which place,
    /// unless a message with its key is held already (the night was triaged
    /// before).
    pub fn insert(&mut self, message: EarlierMessage) -> Result<Option<usize>> {
        let key = self.key(&message)?.to_owned();
        if self.find_key(&key)?.is_some() {
            return Ok(None);
        }
        let at = self.position(message.date, &key)?;
        self.in_memory.insert(key, message.date);
        self.messages.insert(at, message);
        Ok(Some(at))
    }

    /// `compare` applied to the fingerprint of `m`'s body, as its word and
    /// shingle sets (sorted, de-duplicated): unpacked from the index into
    /// reused buffers, or computed once for a message held in memory.
    pub fn with_fingerprint<T>(
        &self,
        m: &EarlierMessage,
        compare: impl FnOnce(&[u32], &[u32]) -> T,
    ) -> Result<T> {
        match (&m.held, &self.index) {
            (Held::Entry(entry, fingerprint), _) => {
                let fp = fingerprint.get_or_init(|| Fingerprint::new(&entry.body));
                Ok(compare(fp.words(), fp.shingles()))
            }
            (Held::Indexed(address), Some(index)) => {
                let mut unpacked = index.unpacked.borrow_mut();
                index.unpack_fingerprint(*address, &mut unpacked)?;
                Ok(compare(&unpacked.words, &unpacked.shingles))
            }
            (Held::Indexed(_), None) => unreachable!("indexed messages come with their index"),
        }
    }

    /// The whole history entry of `m` (for a report).
    pub fn entry(&self, m: &EarlierMessage) -> Result<HistoryEntry> {
        match (&m.held, &self.index) {
            (Held::Entry(entry, _), _) => Ok((**entry).clone()),
            (Held::Indexed(address), Some(index)) => index.entry(*address),
            (Held::Indexed(_), None) => unreachable!("indexed messages come with their index"),
        }
    }
}

impl IndexView {
    /// The key of the message at `address`, from the key column's dictionary.
    fn key(&self, address: DocAddress) -> Result<String> {
        self.surviving(|| {
            let column = &self.columns[address.segment_ord as usize].key;
            let ord = column
                .term_ords(address.doc_id)
                .next()
                .ok_or_else(|| self.damaged("a message has no `key`"))?;
            text(column, ord, &self.path)
        })
    }

    /// The date of the message indexed under `key` in one of the sender's
    /// segments, if any: a term look-up per segment, a key being indexed
    /// once (the caller checks that the message is the sender's).
    fn date_of_key(&self, key: &str) -> Result<Option<i64>> {
        self.surviving(|| {
            let term = Term::from_field_text(self.fields.key, key);
            for &ord in &self.segments {
                let segment = self.searcher.segment_reader(ord);
                let terms = segment
                    .inverted_index(self.fields.key)
                    .map_err(|e| self.damaged(e))?;
                let Some(info) = terms.get_term_info(&term).map_err(|e| self.damaged(e))? else {
                    continue;
                };
                let postings = terms
                    .read_postings_from_terminfo(&info, IndexRecordOption::Basic)
                    .map_err(|e| self.damaged(e))?;
                let date = self.columns[ord as usize].date.first(postings.doc());
                return Ok(Some(
                    date.ok_or_else(|| self.damaged("a message has no `date`"))?,
                ));
            }
            Ok(None)
        })
    }

    /// The fingerprint of the message at `address` into `into`'s sets.
    fn unpack_fingerprint(&self, address: DocAddress, into: &mut Unpacked) -> Result<()> {
        self.surviving(|| {
            let columns = &self.columns[address.segment_ord as usize];
            let Unpacked {
                packed,
                words,
                shingles,
            } = into;
            packed.clear();
            if let Some(column) = &columns.fingerprint {
                // No value: an empty fingerprint.
                if let Some(ord) = column.term_ords(address.doc_id).next() {
                    let found = column
                        .ord_to_bytes(ord, packed)
                        .map_err(|e| self.damaged(e))?;
                    if !found {
                        return Err(self.damaged("a fingerprint is not in its dictionary"));
                    }
                }
            }
            if unpack_fingerprint(packed, words, shingles) {
                Ok(())
            } else {
                Err(self.damaged("a message has no readable fingerprint"))
            }
        })
    }

    fn entry(&self, address: DocAddress) -> Result<HistoryEntry> {
        self.surviving(|| {
            let doc: TantivyDocument = self.searcher.doc(address).map_err(|e| self.damaged(e))?;
            entry_from_document(&self.fields, &doc).map_err(|reason| Error::History {
                path: self.path.clone(),
                reason,
            })
        })
    }

    fn surviving<T>(&self, read: impl FnOnce() -> Result<T>) -> Result<T> {
        crate::parse::guarded(read).unwrap_or_else(|| Err(self.damaged("the index reader failed")))
    }

    fn damaged(&self, e: impl std::fmt::Display) -> Error {
        damaged(&self.path, READING, e)
    }
}

impl History {
    /// The sender's indexed messages, sorted by (date, key), for the
    /// pipeline's sender context (see the module documentation).
    pub fn sender_history(&self, sender_key: &str) -> Result<SenderHistory> {
        if self.layout != Layout::Current {
            let messages = self
                .sender_entries(sender_key)?
                .into_iter()
                .map(|entry| EarlierMessage::from_entry(entry, None))
                .collect();
            return Ok(SenderHistory::of_entries(messages));
        }
        self.surviving("searching", || {
            let searcher = self.reader.searcher();
            let addresses = self.sender_documents(&searcher, sender_key)?;
            let columns = self.opened_columns(&searcher)?;
            let mut segments: Vec<u32> = addresses.iter().map(|a| a.segment_ord).collect();
            segments.dedup();
            let messages = addresses
                .into_iter()
                .map(|address| columns[address.segment_ord as usize].message(address, &self.path))
                .collect::<Result<Vec<_>>>()?;
            let mut history = SenderHistory {
                messages,
                in_memory: HashMap::new(),
                index: Some(IndexView {
                    searcher,
                    fields: self.fields,
                    path: self.path.clone(),
                    columns,
                    segments,
                    unpacked: RefCell::default(),
                }),
            };
            history.sort_by_date_and_key()?;
            Ok(history)
        })
    }

    /// The addresses of the sender's live documents, in (segment, doc)
    /// order: read from each segment's postings of the sender's key, which
    /// are in that order already (a query's collector would gather them
    /// into a hash set, to be sorted again).
    fn sender_documents(&self, searcher: &Searcher, sender_key: &str) -> Result<Vec<DocAddress>> {
        let term = Term::from_field_text(self.fields.sender_key, sender_key);
        let mut addresses = Vec::new();
        for (ord, segment) in (0u32..).zip(searcher.segment_readers()) {
            let terms = segment
                .inverted_index(self.fields.sender_key)
                .map_err(|e| self.damaged("searching", e))?;
            let Some(mut postings) = terms
                .read_postings(&term, IndexRecordOption::Basic)
                .map_err(|e| self.damaged("searching", e))?
            else {
                continue;
            };
            let alive = segment.alive_bitset();
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    addresses.push(DocAddress::new(ord, doc));
                }
                doc = postings.advance();
            }
        }
        Ok(addresses)
    }

    /// The fast fields of `searcher`'s segments: opened by the first lookup
    /// of a searcher generation, shared by the others.
    fn opened_columns(&self, searcher: &Searcher) -> Result<Arc<Vec<SegmentColumns>>> {
        let generation = searcher.generation().generation_id();
        let mut cache = self
            .columns
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(opened) = cache.as_ref().filter(|o| o.generation == generation) {
            return Ok(Arc::clone(&opened.columns));
        }
        let columns = searcher
            .segment_readers()
            .iter()
            .map(|segment| SegmentColumns::open(segment, &self.fields, &self.path))
            .collect::<Result<Vec<_>>>()?;
        let columns = Arc::new(columns);
        *cache = Some(OpenedColumns {
            generation,
            columns: Arc::clone(&columns),
        });
        Ok(columns)
    }
}

/// The fast fields of one segment that a sender lookup reads.
struct SegmentColumns {
    date: Column<i64>,
    key: StrColumn,
    /// Each message's category ords, and the names they stand for: a
    /// segment's few category names are read once when it is opened, not
    /// from the dictionary for every earlier message.
    categories: Column<u64>,
    category_names: Vec<String>,
    /// The fingerprints, packed; `None` in a segment where no message has
    /// one (every body empty or boilerplate).
    fingerprint: Option<BytesColumn>,
}

impl SegmentColumns {
    fn open(segment: &SegmentReader, f: &Fields, path: &std::path::Path) -> Result<SegmentColumns> {
        let fast = segment.fast_fields();
        let schema = segment.schema();
        let fingerprint = f.fingerprint.expect("current layout");
        let str_column = |field| {
            fast.str(schema.get_field_name(field))
                .map_err(|e| damaged(path, READING, e))?
                .ok_or_else(|| damaged(path, READING, "a fast field is missing"))
        };
        let categories = str_column(f.categories)?;
        let category_names = (0..categories.num_terms() as u64)
            .map(|ord| text(&categories, ord, path))
            .collect::<Result<Vec<_>>>()?;
        Ok(SegmentColumns {
            date: fast
                .i64(schema.get_field_name(f.date))
                .map_err(|e| damaged(path, READING, e))?,
            key: str_column(f.key)?,
            categories: categories.ords().clone(),
            category_names,
            fingerprint: fast
                .bytes(schema.get_field_name(fingerprint))
                .map_err(|e| damaged(path, READING, e))?,
        })
    }

    fn message(&self, address: DocAddress, path: &std::path::Path) -> Result<EarlierMessage> {
        let doc = address.doc_id;
        let missing = |name: &str| damaged(path, READING, format!("a message has no `{name}`"));
        Ok(EarlierMessage {
            key: OnceCell::new(),
            date: self.date.first(doc).ok_or_else(|| missing("date"))?,
            categories: self
                .categories
                .values_for_doc(doc)
                .map(|ord| {
                    self.category_names
                        .get(ord as usize)
                        .cloned()
                        .ok_or_else(|| {
                            damaged(path, READING, "a category is not in its dictionary")
                        })
                })
                .collect::<Result<_>>()?,
            held: Held::Indexed(address),
        })
    }
}

/// The string a dictionary-encoded fast field holds under `ord`.
fn text(column: &StrColumn, ord: u64, path: &std::path::Path) -> Result<String> {
    let mut s = String::new();
    match column.ord_to_str(ord, &mut s) {
        Ok(true) => Ok(s),
        Ok(false) => Err(damaged(path, READING, "a fast field value is missing")),
        Err(e) => Err(damaged(path, READING, e)),
    }
}
