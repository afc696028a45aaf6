//! `queues/respond`, `queues/read-only`, `queues/escalate`: Maildirs holding
//! each message's original bytes, so staff open them in any mail client.
//! File names are derived from the source id, so a re-run writes the same
//! names and the queues never hold a message twice. The copies are not
//! flushed one by one (that dominated the run's time): the mail itself stays
//! in its source, and re-running the night rewrites them identically.

use super::files::{create_private_dir, write_private_unsynced};
use crate::error::Result;
use crate::outcome::Outcome;
use crate::route::Queue;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

/// Create the three Maildirs under `root`.
pub fn create(root: &Path) -> Result<()> {
    for q in Queue::ALL {
        for sub in ["cur", "new", "tmp"] {
            create_private_dir(&root.join(q.as_str()).join(sub))?;
        }
    }
    Ok(())
}

/// Copy each outcome's original bytes into its queue ([`create`] first).
/// The three `new` folders' paths are made once, not for every message.
pub fn write(root: &Path, outcomes: &[Outcome], raws: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    let folders = Queue::ALL.map(|q| (q, root.join(q.as_str()).join("new")));
    for o in outcomes {
        let bytes = raws.get(&o.source_id).map_or(&[][..], Vec::as_slice);
        let queue = o.queue();
        let folder = folders
            .iter()
            .find_map(|(q, folder)| (*q == queue).then_some(folder))
            .expect("Queue::ALL holds every queue");
        write_private_unsynced(&folder.join(file_name(&o.source_id)), bytes)?;
    }
    Ok(())
}

/// A stable Maildir file name for a source id: the first 12 bytes of its
/// SHA-256 in lower-case hex, then `.triage`, written into one string of
/// the right size.
pub fn file_name(source_id: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    const SUFFIX: &str = ".triage";
    let digest = Sha256::digest(source_id.as_bytes());
    let mut name = String::with_capacity(24 + SUFFIX.len());
    for &b in &digest[..12] {
        name.push(char::from(HEX[usize::from(b >> 4)]));
        name.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    name.push_str(SUFFIX);
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_the_digest_in_hex() {
        for id in ["", "0001/0000001.eml", "mbox/12:345", "é/😀"] {
            let digest = Sha256::digest(id.as_bytes());
            let expected = format!("{}.triage", hex::encode(&digest[..12]));
            assert_eq!(file_name(id), expected);
        }
        assert_eq!(file_name("a").len(), 31);
    }
}
