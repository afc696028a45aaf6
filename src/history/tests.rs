//! Tests of the on-disk index: each one works in its own temporary `--state`.

use super::*;
use tempfile::TempDir;

fn entry(key: &str, sender: &str, date: i64) -> HistoryEntry {
    HistoryEntry {
        key: key.to_string(),
        sender_key: sender.to_string(),
        customer_id: None,
        date,
        subject: format!("Subject of {key}"),
        body: format!("Body of {key}: the bins were not collected."),
        message_id: None,
        source_id: format!("mail/{key}.eml"),
        queue: "respond".to_string(),
        categories: Vec::new(),
    }
}

#[test]
fn open_creates_private_directories_and_an_empty_index() {
    let tmp = TempDir::new().unwrap();
    let state = tmp.path().join("state");
    let h = History::open(&state).unwrap();
    assert_eq!(h.len().unwrap(), 0);
    assert!(h.is_empty().unwrap());
    assert_eq!(h.path(), state.join("history"));
    assert!(state.join("history").is_dir());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for dir in [&state, &state.join("history")] {
            let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", dir.display());
        }
    }
}

#[test]
fn add_then_query_and_reopen() {
    let tmp = TempDir::new().unwrap();
    let mut h = History::open(tmp.path()).unwrap();
    let mut full = entry("mid:<a@x>", "cust:C1", 1_700_000_000);
    full.customer_id = Some("C1".into());
    full.message_id = Some("<a@x>".into());
    full.categories = vec!["abuse".into(), "repeat_complaint".into()];
    let other = entry("sha256:00ff", "addr:someone@example.org", 1_700_000_100);
    assert_eq!(h.add_all(&[full.clone(), other.clone()]).unwrap(), 2);

    // Visible at once, without reopening.
    assert_eq!(h.len().unwrap(), 2);
    assert!(h.contains("mid:<a@x>").unwrap());
    assert!(h.contains("sha256:00ff").unwrap());
    assert!(!h.contains("mid:<b@x>").unwrap());
    // Exact match on the raw key, not a tokenised one.
    assert!(!h.contains("mid:").unwrap());
    assert_eq!(h.sender_entries("cust:C1").unwrap(), vec![full.clone()]);
    assert!(h.sender_entries("cust:C2").unwrap().is_empty());
    assert!(h.sender_entries("cust").unwrap().is_empty());
    h.close().unwrap();

    let h = History::open(tmp.path()).unwrap();
    assert_eq!(h.len().unwrap(), 2);
    // Round trip of every field, categories multi-valued and in order.
    assert_eq!(h.sender_entries("cust:C1").unwrap(), vec![full.clone()]);
    assert_eq!(
        h.sender_entries("addr:someone@example.org").unwrap(),
        vec![other.clone()]
    );
    assert_eq!(h.all_entries().unwrap(), vec![full, other]);
}

#[test]
fn sender_entries_sorted_by_date_then_key() {
    let tmp = TempDir::new().unwrap();
    let mut h = History::open(tmp.path()).unwrap();
    let s = "addr:a@example.org";
    // Added out of order, and over two commits (two segments).
    h.add_all(&[entry("k3", s, 300), entry("k2", s, 100)])
        .unwrap();
    h.add_all(&[
        entry("k1", s, 100),
        entry("k0", s, 200),
        entry("x", "addr:b", 0),
    ])
    .unwrap();
    let keys: Vec<_> = h
        .sender_entries(s)
        .unwrap()
        .into_iter()
        .map(|e| (e.date, e.key))
        .collect();
    assert_eq!(
        keys,
        vec![
            (100, "k1".to_string()),
            (100, "k2".to_string()),
            (200, "k0".to_string()),
            (300, "k3".to_string()),
        ]
    );
}

#[test]
fn re_adding_the_same_keys_adds_nothing() {
    let tmp = TempDir::new().unwrap();
    let batch: Vec<_> = (0..5)
        .map(|i| entry(&format!("mid:<{i}@x>"), "cust:C1", i))
        .collect();
    {
        let mut h = History::open(tmp.path()).unwrap();
        assert_eq!(h.add_all(&batch).unwrap(), 5);
        assert_eq!(h.add_all(&batch).unwrap(), 0);
        assert_eq!(h.len().unwrap(), 5);
    }
    // A re-run of the same night, in a new process (here: a new History).
    let mut h = History::open(tmp.path()).unwrap();
    assert_eq!(h.add_all(&batch).unwrap(), 0);
    let mut more = batch.clone();
    more.push(entry("mid:<new@x>", "cust:C1", 99));
    assert_eq!(h.add_all(&more).unwrap(), 1);
    assert_eq!(h.len().unwrap(), 6);
    assert_eq!(h.sender_entries("cust:C1").unwrap().len(), 6);
}

#[test]
fn duplicate_keys_within_one_batch_keep_the_first() {
    let tmp = TempDir::new().unwrap();
    let mut h = History::open(tmp.path()).unwrap();
    let first = entry("sha256:abc", "addr:a", 10);
    let mut again = entry("sha256:abc", "addr:a", 20);
    again.source_id = "mail/copy.eml".into();
    let n = h
        .add_all(&[first.clone(), entry("k", "addr:a", 5), again])
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(h.len().unwrap(), 2);
    let got = h.sender_entries("addr:a").unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1], first);
}

#[test]
fn empty_batch_is_a_no_op() {
    let tmp = TempDir::new().unwrap();
    let mut h = History::open(tmp.path()).unwrap();
    assert_eq!(h.add_all(&[]).unwrap(), 0);
    assert_eq!(h.len().unwrap(), 0);
}

#[test]
fn thousands_of_entries_for_one_sender_are_all_returned() {
    let tmp = TempDir::new().unwrap();
    let mut h = History::open(tmp.path()).unwrap();
    let s = "cust:BUSY";
    // Reverse date order in, so the sort is exercised.
    let batch: Vec<_> = (0..2000)
        .rev()
        .map(|i| entry(&format!("mid:<{i:05}@x>"), s, 1_000 + i))
        .chain((0..10).map(|i| entry(&format!("other{i}"), "cust:QUIET", i)))
        .collect();
    assert_eq!(h.add_all(&batch).unwrap(), 2010);
    let got = h.sender_entries(s).unwrap();
    assert_eq!(got.len(), 2000);
    assert!(got.windows(2).all(|w| w[0].date < w[1].date));
    assert_eq!(got[0].key, "mid:<00000@x>");
    assert_eq!(got[1999].key, "mid:<01999@x>");
    assert_eq!(h.all_entries().unwrap().len(), 2010);
}

#[test]
fn a_second_writer_on_the_same_state_is_refused() {
    let tmp = TempDir::new().unwrap();
    let mut first = History::open(tmp.path()).unwrap();
    first.add_all(&[entry("a", "addr:a", 1)]).unwrap();
    // Opening for reading is fine while another run writes...
    let mut second = History::open(tmp.path()).unwrap();
    assert_eq!(second.len().unwrap(), 1);
    // ...but adding is not.
    let err = second.add_all(&[entry("b", "addr:a", 2)]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("another triage run holds the state"), "{msg}");
    // Once the first run is done, the second can write.
    first.close().unwrap();
    assert_eq!(second.add_all(&[entry("b", "addr:a", 2)]).unwrap(), 1);
    assert_eq!(second.len().unwrap(), 2);
}

#[test]
fn writer_taken_late_sees_commits_made_since_open() {
    let tmp = TempDir::new().unwrap();
    let mut late = History::open(tmp.path()).unwrap();
    {
        let mut early = History::open(tmp.path()).unwrap();
        early.add_all(&[entry("a", "addr:a", 1)]).unwrap();
        early.close().unwrap();
    }
    // `late`'s reader predates the commit; taking the writer reloads it, so
    // the key is recognised as already indexed.
    assert_eq!(late.add_all(&[entry("a", "addr:a", 1)]).unwrap(), 0);
    assert_eq!(late.len().unwrap(), 1);
}

#[test]
fn unmapping_between_batches_keeps_every_answer() {
    let tmp = TempDir::new().unwrap();
    let mut h = History::open(tmp.path()).unwrap();
    let first: Vec<_> = (0..50)
        .map(|i| entry(&format!("k{i:02}"), "addr:a", i))
        .collect();
    h.add_all(&first).unwrap();
    h.commit().unwrap();
    // A lookup made before keeps reading from the maps it holds.
    let before = h.sender_history("addr:a").unwrap();
    h.unmap_read_pages().unwrap();
    assert_eq!(before.messages.len(), 50);
    for m in &before.messages {
        let words = before.with_fingerprint(m, |words, _| words.len());
        assert!(words.unwrap() > 0);
    }
    assert_sender_history_matches_entries(&h, "addr:a");
    // With the writer open and a batch added but not committed, as in a run.
    let batch = [entry("k50", "addr:a", 50), entry("b", "addr:b", 1)];
    let fingerprints: Vec<_> = batch.iter().map(|e| Fingerprint::new(&e.body)).collect();
    assert_eq!(h.add(batch.iter().zip(&fingerprints)).unwrap(), 2);
    h.unmap_read_pages().unwrap();
    assert_eq!(h.sender_history("addr:a").unwrap().messages.len(), 50);
    h.commit().unwrap();
    assert_eq!(h.len().unwrap(), 52);
    assert_sender_history_matches_entries(&h, "addr:a");
    assert_sender_history_matches_entries(&h, "addr:b");
}

#[test]
fn a_corrupt_index_is_a_history_error_with_advice() {
    let tmp = TempDir::new().unwrap();
    {
        let mut h = History::open(tmp.path()).unwrap();
        h.add_all(&[entry("a", "addr:a", 1)]).unwrap();
        h.close().unwrap();
    }
    std::fs::write(tmp.path().join("history/meta.json"), b"{ not json").unwrap();
    let err = History::open(tmp.path()).unwrap_err();
    match &err {
        Error::History { path, reason } => {
            assert_eq!(path, &tmp.path().join("history"));
            assert!(reason.contains("corrupt"), "{reason}");
            assert!(reason.contains("triage state rebuild"), "{reason}");
        }
        other => panic!("expected Error::History, got {other:?}"),
    }
}

#[test]
fn missing_segment_files_are_a_history_error() {
    let tmp = TempDir::new().unwrap();
    {
        let mut h = History::open(tmp.path()).unwrap();
        h.add_all(&[entry("a", "addr:a", 1)]).unwrap();
        h.close().unwrap();
    }
    for f in std::fs::read_dir(tmp.path().join("history")).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "idx" || e == "term") {
            std::fs::remove_file(p).unwrap();
        }
    }
    assert!(matches!(
        History::open(tmp.path()),
        Err(Error::History { .. })
    ));
}

/// Check a sender lookup against the stored entries of the same sender.
fn assert_sender_history_matches_entries(h: &History, sender: &str) {
    let stored = h.sender_entries(sender).unwrap();
    let earlier = h.sender_history(sender).unwrap();
    assert_eq!(earlier.messages.len(), stored.len());
    for (m, e) in earlier.messages.iter().zip(&stored) {
        assert_eq!(
            (m.date, earlier.key(m).unwrap(), &m.categories),
            (e.date, e.key.as_str(), &e.categories)
        );
        let fp = earlier.with_fingerprint(m, |words, shingles| {
            similarity::Fingerprint::from_sets(words.to_vec(), shingles.to_vec())
        });
        assert_eq!(fp.unwrap(), Some(similarity::Fingerprint::new(&e.body)));
        assert_eq!(&earlier.entry(m).unwrap(), e);
    }
}

#[test]
fn a_sender_lookup_reads_dates_keys_categories_and_fingerprints() {
    let tmp = TempDir::new().unwrap();
    let mut h = History::open(tmp.path()).unwrap();
    assert_eq!(h.layout(), Layout::Current);
    let s = "cust:C1";
    let mut abusive = entry("k2", s, 100);
    abusive.categories = vec!["abuse".into(), "threat_violence".into()];
    abusive.body = "You are useless and the potholes on Mill Lane are still there.".into();
    let mut empty = entry("k9", s, 50);
    empty.body = String::new();
    // Two commits: two segments.
    h.add_all(&[entry("k3", s, 300), abusive, entry("x", "addr:b", 0)])
        .unwrap();
    h.add_all(&[entry("k1", s, 100), empty]).unwrap();
    let earlier = h.sender_history(s).unwrap();
    let keys: Vec<_> = earlier
        .messages
        .iter()
        .map(|m| (m.date, earlier.key(m).unwrap().to_string()))
        .collect();
    assert_eq!(
        keys,
        [(50, "k9"), (100, "k1"), (100, "k2"), (300, "k3")].map(|(d, k)| (d, k.to_string()))
    );
    assert_sender_history_matches_entries(&h, s);
    assert!(h.sender_history("cust:C2").unwrap().messages.is_empty());
}

#[test]
fn a_sender_lookup_finds_its_own_keys_and_orders_by_key_within_a_second() {
    let tmp = TempDir::new().unwrap();
    let mut h = History::open(tmp.path()).unwrap();
    let s = "addr:a";
    // Three segments; "k2" and "k1" share a second, in different segments.
    h.add_all(&[entry("k2", s, 100), entry("other", "addr:b", 100)])
        .unwrap();
    h.add_all(&[entry("k3", s, 300), entry("k1", s, 100)])
        .unwrap();
    h.add_all(&[entry("k0", s, 50)]).unwrap();
    let mut earlier = h.sender_history(s).unwrap();
    let order: Vec<_> = earlier
        .messages
        .iter()
        .map(|m| earlier.key(m).unwrap().to_string())
        .collect();
    assert_eq!(order, ["k0", "k1", "k2", "k3"]);
    assert_eq!(earlier.find_key("k2").unwrap(), Some(2));
    assert_eq!(earlier.find_key("k0").unwrap(), Some(0));
    // Another sender's message, even of the same second, is not this one's.
    assert_eq!(earlier.find_key("other").unwrap(), None);
    assert_eq!(earlier.find_key("nowhere").unwrap(), None);
    assert_eq!(earlier.position(100, "k15").unwrap(), 2);
    assert_eq!(earlier.position(100, "a").unwrap(), 1);
    assert_eq!(earlier.position(301, "").unwrap(), 4);
    // A message triaged tonight goes in its place, once.
    let tonight = entry("k15", s, 100);
    let mut places = Vec::new();
    for _ in 0..2 {
        places.push(
            earlier
                .insert(EarlierMessage::from_entry(tonight.clone(), None))
                .unwrap(),
        );
    }
    assert_eq!(places, [Some(2), None]);
    assert_eq!(earlier.messages.len(), 5);
    assert_eq!(earlier.find_key("k15").unwrap(), Some(2));
    assert_eq!(earlier.find_key("k2").unwrap(), Some(3));
    // A key already indexed is not added again.
    let place = earlier
        .insert(EarlierMessage::from_entry(entry("k3", s, 300), None))
        .unwrap();
    assert_eq!(place, None);
    assert_eq!(earlier.messages.len(), 5);
}

/// The sample night as earlier releases indexed it: before fingerprints
/// were in the index, with each fingerprint in a bytes fast field (its
/// dictionary zstd-compressed), with 64-bit hashes in u64 columns, and with
/// 32-bit hashes in u64 columns and every field but subject and body
/// indexed.
const EARLIER_RELEASES: [(&str, Layout); 4] = [
    ("history-before-fingerprints", Layout::BeforeFingerprints),
    ("history-bytes-fingerprints", Layout::BytesFingerprints),
    ("history-u64-fingerprints", Layout::U64Fingerprints),
    ("history-u32-fingerprints", Layout::U32Fingerprints),
];

/// A copy of the fixture `name` (see [`EARLIER_RELEASES`]) as a `--state`.
fn state_from_an_earlier_release(name: &str) -> TempDir {
    let tmp = TempDir::new().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::create_dir(tmp.path().join(HISTORY_DIR)).unwrap();
    for file in std::fs::read_dir(fixture).unwrap() {
        let file = file.unwrap().path();
        std::fs::copy(
            &file,
            tmp.path().join(HISTORY_DIR).join(file.file_name().unwrap()),
        )
        .unwrap();
    }
    tmp
}

#[test]
fn a_history_from_an_earlier_release_is_read_then_upgraded_in_place() {
    for (fixture, layout) in EARLIER_RELEASES {
        read_then_upgrade_in_place(fixture, layout);
    }
}

fn read_then_upgrade_in_place(fixture: &str, layout: Layout) {
    let tmp = state_from_an_earlier_release(fixture);
    let mut h = History::open(tmp.path()).unwrap();
    assert_eq!(h.layout(), layout, "{fixture}");
    let before = h.all_entries().unwrap();
    assert_eq!(before.len(), 51);
    // The slow path: every sender's lookup answers from the stored bodies.
    let senders: HashSet<String> = before.iter().map(|e| e.sender_key.clone()).collect();
    for s in &senders {
        assert_sender_history_matches_entries(&h, s);
    }
    // It can still be added to (in its own layout).
    assert_eq!(h.add_all(&[entry("new", "addr:new@x", 5)]).unwrap(), 1);
    h.close().unwrap();
    let before = History::open(tmp.path()).unwrap().all_entries().unwrap();

    let lock = crate::sink::files::StateLock::acquire(tmp.path()).unwrap();
    let h = History::open_upgrading(tmp.path(), &lock).unwrap();
    assert_eq!(h.layout(), Layout::Current);
    assert_eq!(h.all_entries().unwrap(), before);
    for s in &senders {
        assert_sender_history_matches_entries(&h, s);
    }
    let aside: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("history.before-upgrade-"))
        .collect();
    assert_eq!(aside.len(), 1, "the old index is kept");
    // Opening again finds the current layout: nothing more to do.
    drop(h);
    let h = History::open_upgrading(tmp.path(), &lock).unwrap();
    assert_eq!(h.layout(), Layout::Current);
    assert_eq!(h.len().unwrap(), 52);
}

/// The writer is given a [`document::HistoryDoc`]; it must hand tantivy the
/// same fields and values, in the same order, as a `TantivyDocument` built
/// field by field, so that the segments written are the same.
#[test]
fn the_writers_document_lists_what_a_tantivy_document_would() {
    use tantivy::schema::Document;
    let mut full = entry("k1", "addr:a@example.org", 1_700_000_000);
    full.customer_id = Some("C-17".to_string());
    full.message_id = Some("<m1@example.org>".to_string());
    full.categories = vec!["threat".to_string(), "abuse".to_string()];
    full.body = "You will regret this, I know where the depot is. Fix the bins.".to_string();
    let bare = entry("k2", "cust:C-9", -5);
    for layout in Layout::ALL {
        let (_, fields) = schema(layout);
        for e in [&full, &bare] {
            let fp = Fingerprint::new(&e.body);
            let tantivy_doc = History::document_from_entry(&fields, e, &fp);
            let expected: Vec<(Field, String)> = tantivy_doc
                .iter_fields_and_values()
                .map(|(f, v)| (f, format!("{:?}", v.as_leaf())))
                .collect();
            let ours = document::HistoryDoc::new(fields, e, &fp);
            let got: Vec<(Field, String)> = ours
                .iter_fields_and_values()
                .map(|(f, v)| (f, format!("{:?}", v.as_leaf())))
                .collect();
            assert_eq!(got, expected, "{layout:?}");
            if layout == Layout::Current && !fp.words().is_empty() {
                let packed = fields.fingerprint.expect("current layout");
                assert!(
                    got.iter().any(|(f, _)| *f == packed),
                    "the fingerprint is listed"
                );
            }
        }
    }
}
