//! History: the tantivy index of past correspondence under `--state`.
//!
//! This module owns the on-disk index at `STATE/history/`: its schema, opening
//! or creating it (directories owner-only, SPEC §7), the single index writer
//! (and with it the lock that keeps two triage runs off the same state),
//! de-duplicated insertion by key (SPEC §3: a message already in the history is
//! not counted twice) and reading back one sender's earlier mail. Every triaged
//! message is indexed once (keyed by Message-ID, or a content hash where it has
//! none), with its [`similarity::Fingerprint`] so that nothing is re-tokenised
//! later. The pipeline asks for one sender's earlier mail ([`earlier`]: dates,
//! categories from fast fields, keys and fingerprints on first use) and
//! computes repeats, volumes and earlier abuse from it; near-duplicate scoring
//! lives in [`similarity`]; how segments are merged (bounded, so a merge's
//! memory maps are too) in [`merging`]. The decision detail kept beside the index for
//! subject access requests (`STATE/decisions/`) is [`decisions`].
//!
//! An index written by an earlier release ([`Layout::U32Fingerprints`],
//! [`Layout::U64Fingerprints`], [`Layout::BytesFingerprints`],
//! [`Layout::BeforeFingerprints`]) still opens and reads, from its stored
//! documents: fingerprints are computed from the stored bodies when asked for
//! (slow), and [`History::open_upgrading`] rewrites it in the current layout.

pub mod decisions;
mod document;
pub mod earlier;
pub mod merging;
pub mod similarity;

pub use earlier::{EarlierMessage, SenderHistory};
pub use similarity::Fingerprint;

use crate::error::{Error, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use tantivy::collector::DocSetCollector;
use tantivy::directory::error::LockError;
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextOptions, Value, FAST, INDEXED, STORED,
    STRING, TEXT,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument,
    TantivyError, Term,
};

/// One message as the history remembers it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HistoryEntry {
    /// De-duplication key: `mid:<Message-ID>` or `sha256:<hex of the bytes>`.
    pub key: String,
    /// `cust:<customer_id>` for a registered customer, else `addr:<address>`.
    pub sender_key: String,
    pub customer_id: Option<String>,
    /// Unix seconds (UTC).
    pub date: i64,
    pub subject: String,
    /// The sender's own words (stripped body).
    pub body: String,
    pub message_id: Option<String>,
    pub source_id: String,
    pub queue: String,
    /// §4 category names.
    pub categories: Vec<String>,
}

/// The sender key of a registered customer's mail.
pub fn customer_sender_key(customer_id: &str) -> String {
    format!("cust:{customer_id}")
}

/// The sender key of an unregistered sender's mail (`address` normalised).
pub fn address_sender_key(address: &str) -> String {
    format!("addr:{address}")
}

/// Name of the index directory inside `--state`.
const HISTORY_DIR: &str = "history";

/// Indexing memory for the one writer thread. The nightly batch is small (a
/// few thousand messages) and the machines are shared, so a modest budget is
/// plenty; tantivy flushes a segment when it is reached.
const WRITER_MEMORY_BYTES: usize = 50_000_000;

/// A reader of `index` reloaded by hand: we reload right after our own
/// commits, so queries are deterministic and no watcher thread is needed.
fn manual_reader(index: &Index) -> tantivy::Result<IndexReader> {
    index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
}

/// What an operator can do about an index that cannot be read.
const REBUILD_HINT: &str = "rebuild it from the mail with `triage state rebuild --source \
                            ARCHIVE` (README, \"A damaged history\")";

/// Which schema an index on disk was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Each fingerprint one bytes fast field (its word and shingle hashes
    /// packed, [`document::pack_fingerprint`]): one value a message for the
    /// columnar writer, not about 140. Only `key` and `sender_key` are
    /// indexed (the only fields looked up by term); the other fields are
    /// stored, and date, key and categories fast, but not indexed (nothing
    /// searches them). Subject and body stored only.
    Current,
    /// Written by the previous release: fingerprints as two multi-valued
    /// fast fields of 32-bit hashes (about 140 values a message, each
    /// looked up by column name as it is indexed), and every field but
    /// subject and body indexed: read like [`Layout::BeforeFingerprints`],
    /// from the stored documents (`triage run` upgrades it).
    U32Fingerprints,
    /// Written by the release before that: the same, with 64-bit hashes
    /// (twice the bytes to read per earlier message, and hashes this release
    /// does not compare with its own): read like
    /// [`Layout::BeforeFingerprints`], from the stored documents.
    U64Fingerprints,
    /// Written by an earlier release: each fingerprint one bytes fast
    /// field, read through a dictionary whose blocks that release
    /// compressed with zstd (this build reads no zstd-compressed column):
    /// read like [`Layout::BeforeFingerprints`], from the stored documents.
    BytesFingerprints,
    /// Written by triage before fingerprints were indexed: every sender
    /// lookup reads the stored documents and re-tokenises the bodies.
    BeforeFingerprints,
}

impl Layout {
    /// Newest first: the order in which opening tries them.
    const ALL: [Layout; 5] = [
        Layout::Current,
        Layout::U32Fingerprints,
        Layout::U64Fingerprints,
        Layout::BytesFingerprints,
        Layout::BeforeFingerprints,
    ];
}

/// Handles of the schema's fields.
#[derive(Debug, Clone, Copy)]
struct Fields {
    key: Field,
    sender_key: Field,
    customer_id: Field,
    date: Field,
    subject: Field,
    body: Field,
    message_id: Field,
    source_id: Field,
    queue: Field,
    categories: Field,
    /// [`similarity::Fingerprint`] of the body, its hashes packed into one
    /// bytes value ([`document::pack_fingerprint`]); only in
    /// [`Layout::Current`].
    fingerprint: Option<Field>,
}

/// The index schema of a layout. Tantivy compares the whole schema when an
/// index is opened, so a change needs a new [`Layout`] (and an upgrade).
fn schema(layout: Layout) -> (Schema, Fields) {
    let before = layout == Layout::BeforeFingerprints;
    let current = layout == Layout::Current;
    // Since fingerprints: what a sender lookup reads per earlier message is
    // a fast (columnar) field, so it never touches the document store.
    let fast_since_fingerprints = |options: TextOptions| {
        if before {
            options
        } else {
            options | FAST
        }
    };
    // Until the current layout, fields never looked up by term were indexed
    // all the same (one posting list a value, mostly one message each):
    // now only stored (and fast where a lookup reads them).
    let searched_before: TextOptions = if current {
        STORED.into()
    } else {
        STRING | STORED
    };
    // Since fingerprints: kept for the report and export only, never
    // searched, so not tokenised into the inverted index.
    let words = if before { TEXT | STORED } else { STORED.into() };
    let date: NumericOptions = if current {
        (STORED | FAST).into()
    } else {
        (INDEXED | STORED | FAST).into()
    };
    let mut b = Schema::builder();
    let fields = Fields {
        // STRING: indexed as one raw token, so a term look-up matches exactly.
        key: b.add_text_field("key", fast_since_fingerprints(STRING | STORED)),
        sender_key: b.add_text_field("sender_key", STRING | STORED),
        customer_id: b.add_text_field("customer_id", searched_before.clone()),
        date: b.add_i64_field("date", date),
        subject: b.add_text_field("subject", words.clone()),
        body: b.add_text_field("body", words),
        message_id: b.add_text_field("message_id", searched_before.clone()),
        source_id: b.add_text_field("source_id", searched_before.clone()),
        queue: b.add_text_field("queue", searched_before.clone()),
        // Multi-valued: one value per category.
        categories: b.add_text_field("categories", fast_since_fingerprints(searched_before)),
        fingerprint: match layout {
            Layout::Current => Some(b.add_bytes_field("fingerprint_packed32", FAST)),
            Layout::U32Fingerprints => {
                b.add_u64_field("fingerprint_words32", FAST);
                b.add_u64_field("fingerprint_shingles32", FAST);
                None
            }
            Layout::U64Fingerprints => {
                b.add_u64_field("fingerprint_words", FAST);
                b.add_u64_field("fingerprint_shingles", FAST);
                None
            }
            Layout::BytesFingerprints => {
                b.add_bytes_field("fingerprint", FAST);
                None
            }
            Layout::BeforeFingerprints => None,
        },
    };
    (b.build(), fields)
}

/// The history index of one `--state` directory.
///
/// Readers see the index as of the last [`History::commit`] (or of opening);
/// the reader is reloaded by hand after each commit so that a query right after
/// an add sees it.
pub struct History {
    /// `STATE/history`, for error messages.
    path: PathBuf,
    index: Index,
    reader: IndexReader,
    /// Taken on the first add: holding it locks the index against other runs.
    writer: Option<IndexWriter<document::HistoryDoc>>,
    fields: Fields,
    layout: Layout,
    /// Fast-field columns opened for sender lookups ([`earlier`]).
    columns: std::sync::Mutex<Option<earlier::OpenedColumns>>,
}

impl std::fmt::Debug for History {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("History")
            .field("path", &self.path)
            .field("writer", &self.writer.is_some())
            .finish_non_exhaustive()
    }
}

impl History {
    /// Open the index under `state_dir/history`, creating it if missing.
    ///
    /// Directories created here are owner-only (0700 on unix): the history
    /// holds personal data. Existing directories keep their permissions.
    pub fn open(state_dir: &Path) -> Result<History> {
        let path = state_dir.join(HISTORY_DIR);
        crate::parse::guarded(|| History::open_dir(&path)).unwrap_or_else(|| {
            Err(Error::History {
                reason: format!("cannot open the index, it is damaged: {REBUILD_HINT}"),
                path,
            })
        })
    }

    /// Open (or create) an index in `path` itself.
    fn open_dir(path: &Path) -> Result<History> {
        let path = path.to_path_buf();
        create_private_dir_all(&path).map_err(|e| Error::io(&path, e))?;
        let hist_err = |what: &str, e: TantivyError| Error::History {
            path: path.clone(),
            reason: describe_open_error(what, &e),
        };
        let dir = MmapDirectory::open(&path).map_err(|e| Error::History {
            path: path.clone(),
            reason: format!("cannot open the directory: {e}"),
        })?;
        // A new index is created in the current layout; an existing one
        // opens with the schema it was written with.
        let mut layouts = Layout::ALL.into_iter().peekable();
        let (index, layout, fields) = loop {
            let layout = layouts.next().expect("Layout::ALL is not empty");
            let (schema, fields) = schema(layout);
            match Index::open_or_create(dir.clone(), schema) {
                Err(TantivyError::SchemaError(_)) if layouts.peek().is_some() => continue,
                index => break (index, layout, fields),
            }
        };
        let index = index.map_err(|e| hist_err("cannot open", e))?;
        let reader = manual_reader(&index).map_err(|e| hist_err("cannot read", e))?;
        Ok(History {
            path,
            index,
            reader,
            writer: None,
            fields,
            layout,
            columns: Default::default(),
        })
    }

    /// [`History::open`], then, for an index of an earlier layout, rewrite it
    /// in the current one from its own stored documents (nothing is lost:
    /// every field is kept, the fingerprints are computed from the bodies).
    /// The old index is kept as `STATE/history.before-upgrade-<unix seconds>`.
    /// Takes `_lock` as proof that no other run is using the state.
    pub fn open_upgrading(
        state_dir: &Path,
        _lock: &crate::sink::files::StateLock,
    ) -> Result<History> {
        let old = History::open(state_dir)?;
        if old.layout == Layout::Current {
            return Ok(old);
        }
        let started = std::time::Instant::now();
        let (copied, set_aside) =
            History::replace_with(state_dir, "before-upgrade", |new| old.copy_into(new))?;
        drop(old);
        log_upgrade(state_dir, copied, set_aside.as_deref(), started.elapsed());
        History::open(state_dir)
    }

    /// The schema this index was written with.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Add every stored document of this index to `new`, a batch (and a
    /// commit) at a time so that a large history never sits in memory whole.
    fn copy_into(&self, new: &mut History) -> Result<usize> {
        const BATCH: usize = 20_000;
        let searcher = self.reader.searcher();
        let mut copied = 0;
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let docs: Vec<u32> = segment.doc_ids_alive().collect();
            for chunk in docs.chunks(BATCH) {
                let entries = chunk
                    .iter()
                    .map(|&doc| {
                        let address = DocAddress::new(ord as u32, doc);
                        let stored: TantivyDocument = searcher
                            .doc(address)
                            .map_err(|e| self.damaged("reading a stored document", e))?;
                        self.entry_from_document(&stored)
                    })
                    .collect::<Result<Vec<_>>>()?;
                copied += new.add_all(&entries)?;
            }
        }
        Ok(copied)
    }

    /// Build a new index beside the one in `state_dir` with `fill`, then
    /// put it in place: the old index (damaged, say) is kept as
    /// `STATE/history.<aside_name>-<unix seconds>`. Until the swap nothing
    /// touches the old index, so a failed rebuild leaves it as it was.
    /// Returns `fill`'s answer and where the old index was moved.
    pub fn replace_with<T>(
        state_dir: &Path,
        aside_name: &str,
        fill: impl FnOnce(&mut History) -> Result<T>,
    ) -> Result<(T, Option<PathBuf>)> {
        let current = state_dir.join(HISTORY_DIR);
        let new = state_dir.join(format!("{HISTORY_DIR}.new"));
        if new.exists() {
            std::fs::remove_dir_all(&new).map_err(|e| Error::io(&new, e))?;
        }
        let mut history = History::open_dir(&new)?;
        let answer = fill(&mut history)?;
        history.close()?;
        let set_aside = if current.exists() {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let aside = state_dir.join(format!("{HISTORY_DIR}.{aside_name}-{stamp}"));
            std::fs::rename(&current, &aside).map_err(|e| Error::io(&current, e))?;
            Some(aside)
        } else {
            None
        };
        std::fs::rename(&new, &current).map_err(|e| Error::io(&new, e))?;
        Ok((answer, set_aside))
    }

    /// Where the index lives (`STATE/history`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every indexed message of one sender, sorted by (date, key).
    pub fn sender_entries(&self, sender_key: &str) -> Result<Vec<HistoryEntry>> {
        let query = TermQuery::new(
            Term::from_field_text(self.fields.sender_key, sender_key),
            IndexRecordOption::Basic,
        );
        self.collect_sorted(&query)
    }

    /// Every indexed message, sorted by (date, key): for export and rebuild.
    pub fn all_entries(&self) -> Result<Vec<HistoryEntry>> {
        self.collect_sorted(&AllQuery)
    }

    /// Whether a key is already indexed.
    pub fn contains(&self, key: &str) -> Result<bool> {
        self.contains_in(&self.reader.searcher(), key)
    }

    /// The source ids under which a key is indexed (empty when it is not).
    pub fn source_ids_of(&self, key: &str) -> Result<Vec<String>> {
        let query = TermQuery::new(
            Term::from_field_text(self.fields.key, key),
            IndexRecordOption::Basic,
        );
        Ok(self
            .collect_sorted(&query)?
            .into_iter()
            .map(|e| e.source_id)
            .collect())
    }

    /// Add the entries whose key is not yet indexed, commit; returns how many were added.
    ///
    /// An entry is skipped when its key is already in the index or appears
    /// earlier in `entries`, so re-running a night adds nothing twice. All
    /// entries of one call go into one commit: after a crash either all of
    /// them are in the index or none is.
    /// Each entry's fingerprint is computed from its body here; the
    /// pipeline, which has them already, calls [`History::add`].
    pub fn add_all(&mut self, entries: &[HistoryEntry]) -> Result<usize> {
        let fingerprints: Vec<Fingerprint> =
            entries.iter().map(|e| Fingerprint::new(&e.body)).collect();
        let added = self.add(entries.iter().zip(&fingerprints))?;
        self.commit()?;
        Ok(added)
    }

    /// Add, without committing, the entries whose key is not in the index as
    /// last committed and not earlier in `entries`; returns how many. Nothing
    /// added is seen by queries, or survives a crash, until [`History::commit`].
    /// Keys are not compared across calls before a commit: the caller adds
    /// each key once (a run's census drops the night's later duplicates).
    /// Each entry comes with the [`Fingerprint`] of its body (the pipeline
    /// computed it to look for repeats; it is not computed again).
    pub fn add<'a>(
        &mut self,
        entries: impl IntoIterator<Item = (&'a HistoryEntry, &'a Fingerprint)>,
    ) -> Result<usize> {
        let mut entries = entries.into_iter().peekable();
        if entries.peek().is_none() {
            return Ok(0);
        }
        self.ensure_writer()?;
        let result = self.add_uncommitted(entries);
        if result.is_err() {
            self.discard_writer();
        }
        result
    }

    /// Commit everything added since the last commit, in one go, and let
    /// queries see it.
    pub fn commit(&mut self) -> Result<()> {
        let Some(writer) = self.writer.as_mut() else {
            return Ok(());
        };
        let result = writer
            .commit()
            .map_err(|e| Error::History {
                path: self.path.clone(),
                reason: format!("committing: {e}"),
            })
            .and_then(|_| {
                self.reader
                    .reload()
                    .map_err(|e| self.err(format!("reloading after commit: {e}")))
            });
        if result.is_err() {
            self.discard_writer();
        }
        result
    }

    /// Let go of the index pages that reading has mapped into the process.
    ///
    /// Tantivy reads the index through memory maps, and every page of them
    /// a lookup touches (with the kernel's fault-around, its neighbours too)
    /// counts in the process's resident memory until the map is dropped. A
    /// night's senders are spread over the whole history, so without this a
    /// long night would end up holding all of its fast fields and much of its
    /// store. The pipeline calls this between batches: the reader is opened
    /// again on a new directory handle (tantivy shares one map per file
    /// while any reader holds it, so the new reader must not come from the
    /// same handle), and the old reader, its maps and the columns opened for
    /// lookups go. The pages stay in the kernel's page cache, shared and
    /// reclaimable; the next batch maps what it reads again.
    pub fn unmap_read_pages(&mut self) -> Result<()> {
        let fresh = MmapDirectory::open(&self.path)
            .map_err(|e| self.err(format!("cannot open the directory: {e}")))
            .and_then(|dir| {
                Index::open(dir)
                    .and_then(|index| manual_reader(&index))
                    .map_err(|e| self.damaged("reopening", e))
            })?;
        *self
            .columns
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.reader = fresh;
        Ok(())
    }

    /// A writer that failed mid-batch may hold uncommitted documents or be
    /// in a broken state: drop it (discarding what was not committed) so the
    /// next call starts clean.
    fn discard_writer(&mut self) {
        self.writer = None;
    }

    /// Number of messages indexed.
    pub fn len(&self) -> Result<u64> {
        Ok(self.reader.searcher().num_docs())
    }

    /// Whether nothing is indexed yet.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Release the writer lock after letting background merges finish, so that
    /// the next run finds a tidy index. Dropping a `History` is also safe
    /// (committed data is never lost), merges are then just abandoned.
    pub fn close(mut self) -> Result<()> {
        if let Some(writer) = self.writer.take() {
            writer
                .wait_merging_threads()
                .map_err(|e| self.err(format!("finishing background merges: {e}")))?;
        }
        Ok(())
    }

    fn add_uncommitted<'a>(
        &mut self,
        entries: impl Iterator<Item = (&'a HistoryEntry, &'a Fingerprint)>,
    ) -> Result<usize> {
        let searcher = self.reader.searcher();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut docs = Vec::new();
        for (entry, fingerprint) in entries {
            if !seen.insert(entry.key.as_str()) || self.contains_in(&searcher, &entry.key)? {
                continue;
            }
            docs.push(document::HistoryDoc::new(self.fields, entry, fingerprint));
        }
        let added = docs.len();
        let writer = self
            .writer
            .as_mut()
            .expect("ensure_writer ran before add_uncommitted");
        for doc in docs {
            writer.add_document(doc).map_err(|e| Error::History {
                path: self.path.clone(),
                reason: format!("adding a document: {e}"),
            })?;
        }
        Ok(added)
    }

    /// Take the writer (and its lock) if not yet held.
    fn ensure_writer(&mut self) -> Result<()> {
        if self.writer.is_some() {
            return Ok(());
        }
        // One indexing thread: the batch is small and the machine is shared.
        // One merge thread (tantivy's default is four): each merge maps its
        // input segments, and four at once mapped 400 MB beside a 1M-message
        // night's heap (docs/performance.md, "The history's merges").
        let options = tantivy::indexer::IndexWriterOptions::builder()
            .num_worker_threads(1)
            .num_merge_threads(1)
            .memory_budget_per_thread(WRITER_MEMORY_BYTES)
            .build();
        let writer = self
            .index
            .writer_with_options(options)
            .map_err(|e| match e {
                TantivyError::LockFailure(LockError::LockBusy, _) => self.err(
                    "another triage run holds the state (the index writer lock is taken); \
                     wait for it to finish"
                        .to_string(),
                ),
                other => self.err(format!("cannot take the index writer: {other}")),
            })?;
        // Merges bounded in size, so their memory maps are too.
        writer.set_merge_policy(Box::new(merging::BoundedMerges::default()));
        self.writer = Some(writer);
        // Another run may have committed between our open and taking the lock:
        // the de-duplication in add_all must see its documents.
        self.reader
            .reload()
            .map_err(|e| self.err(format!("reloading the index: {e}")))?;
        Ok(())
    }

    fn contains_in(&self, searcher: &Searcher, key: &str) -> Result<bool> {
        self.surviving("searching for a key", || {
            self.contains_unguarded(searcher, key)
        })
    }

    /// A look-up of the key in each segment's term dictionary: no query to
    /// build and run per key (the index add checks every key it adds).
    /// Nothing is ever deleted from the history, so a key in a dictionary
    /// is a key of a live message.
    fn contains_unguarded(&self, searcher: &Searcher, key: &str) -> Result<bool> {
        let term = Term::from_field_text(self.fields.key, key);
        for segment in searcher.segment_readers() {
            let found = segment
                .inverted_index(self.fields.key)
                .and_then(|terms| Ok(terms.get_term_info(&term)?))
                .map_err(|e| self.damaged("searching for a key", e))?;
            if found.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn collect_sorted(&self, query: &dyn Query) -> Result<Vec<HistoryEntry>> {
        self.surviving("searching", || self.collect_sorted_unguarded(query))
    }

    fn collect_sorted_unguarded(&self, query: &dyn Query) -> Result<Vec<HistoryEntry>> {
        let searcher = self.reader.searcher();
        // DocSetCollector collects every match (no limit), unlike TopDocs.
        let addresses = searcher
            .search(query, &DocSetCollector)
            .map_err(|e| self.damaged("searching", e))?;
        let mut addresses: Vec<DocAddress> = addresses.into_iter().collect();
        // Read the store in address order: sequential blocks, good for its cache.
        addresses.sort_unstable();
        let mut entries = addresses
            .into_iter()
            .map(|addr| {
                let doc: TantivyDocument = searcher
                    .doc(addr)
                    .map_err(|e| self.damaged("reading a stored document", e))?;
                self.entry_from_document(&doc)
            })
            .collect::<Result<Vec<_>>>()?;
        entries.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.key.cmp(&b.key)));
        Ok(entries)
    }

    /// The entry as a tantivy document; the writer is given a
    /// [`document::HistoryDoc`], which must list the same values in this order.
    #[cfg(test)]
    fn document_from_entry(f: &Fields, e: &HistoryEntry, fp: &Fingerprint) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_text(f.key, &e.key);
        doc.add_text(f.sender_key, &e.sender_key);
        if let Some(c) = &e.customer_id {
            doc.add_text(f.customer_id, c);
        }
        doc.add_i64(f.date, e.date);
        doc.add_text(f.subject, &e.subject);
        doc.add_text(f.body, &e.body);
        if let Some(field) = f.fingerprint {
            let packed = document::pack_fingerprint(fp);
            if !packed.is_empty() {
                doc.add_bytes(field, &packed);
            }
        }
        if let Some(m) = &e.message_id {
            doc.add_text(f.message_id, m);
        }
        doc.add_text(f.source_id, &e.source_id);
        doc.add_text(f.queue, &e.queue);
        for c in &e.categories {
            doc.add_text(f.categories, c);
        }
        doc
    }

    fn entry_from_document(&self, doc: &TantivyDocument) -> Result<HistoryEntry> {
        entry_from_document(&self.fields, doc).map_err(|reason| self.err(reason))
    }

    /// Run a read of the index; tantivy panics on some damaged files, and
    /// that becomes an error naming the index, not a crash.
    fn surviving<T>(&self, what: &str, read: impl FnOnce() -> Result<T>) -> Result<T> {
        crate::parse::guarded(read)
            .unwrap_or_else(|| Err(self.damaged(what, "the index reader failed")))
    }

    /// A read of the index failed: the files are damaged (or unreadable).
    fn damaged(&self, what: &str, e: impl std::fmt::Display) -> Error {
        damaged(&self.path, what, e)
    }

    fn err(&self, reason: String) -> Error {
        Error::History {
            path: self.path.clone(),
            reason,
        }
    }
}

/// The history entry a stored document holds; the reason when a field the
/// index always writes is missing.
fn entry_from_document(
    f: &Fields,
    doc: &TantivyDocument,
) -> std::result::Result<HistoryEntry, String> {
    let opt = |field: Field| -> Option<String> {
        doc.get_first(field)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let missing = |name: &str| {
        format!("a stored document has no `{name}`; the index is damaged: {REBUILD_HINT}")
    };
    let req = |field: Field, name: &str| opt(field).ok_or_else(|| missing(name));
    let date = doc
        .get_first(f.date)
        .and_then(|v| v.as_i64())
        .ok_or_else(|| missing("date"))?;
    Ok(HistoryEntry {
        key: req(f.key, "key")?,
        sender_key: req(f.sender_key, "sender_key")?,
        customer_id: opt(f.customer_id),
        date,
        subject: req(f.subject, "subject")?,
        body: req(f.body, "body")?,
        message_id: opt(f.message_id),
        source_id: req(f.source_id, "source_id")?,
        queue: req(f.queue, "queue")?,
        categories: doc
            .get_all(f.categories)
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
    })
}

/// A read of the index at `path` failed: the files are damaged (or unreadable).
fn damaged(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::History {
        path: path.to_path_buf(),
        reason: format!("{what}: {e}; the index may be damaged: {REBUILD_HINT}"),
    }
}

/// A reason an operator can act on, for a failure to open the index.
fn describe_open_error(what: &str, e: &TantivyError) -> String {
    match e {
        TantivyError::SchemaError(_) => format!(
            "{what} the index: it was written with a different schema (another version of \
             triage?): {e}; {REBUILD_HINT}"
        ),
        TantivyError::IncompatibleIndex(_) => format!(
            "{what} the index: it was written by an incompatible version of tantivy: {e}; \
             {REBUILD_HINT}"
        ),
        _ => format!("{what} the index, it may be corrupt: {e}; {REBUILD_HINT}"),
    }
}

/// Say on stderr that the history was rewritten in the current layout.
fn log_upgrade(
    state_dir: &Path,
    copied: usize,
    set_aside: Option<&Path>,
    took: std::time::Duration,
) {
    eprintln!(
        "triage: history in {} upgraded to the current index layout: {copied} messages \
         copied with their fingerprints in {:.2}s",
        state_dir.display(),
        took.as_secs_f64()
    );
    if let Some(aside) = set_aside {
        eprintln!(
            "triage:   the previous index is kept in {}; delete it once satisfied",
            aside.display()
        );
    }
}

/// `create_dir_all`, with owner-only permissions on the directories it creates.
fn create_private_dir_all(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

#[cfg(test)]
mod tests;
