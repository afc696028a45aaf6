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
pub fn write(root: &Path, outcomes: &[Outcome], raws: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    for o in outcomes {
        let bytes = raws.get(&o.source_id).map_or(&[][..], Vec::as_slice);
        let path = root
            .join(o.queue().as_str())
            .join("new")
            .join(file_name(&o.source_id));
        write_private_unsynced(&path, bytes)?;
    }
    Ok(())
}

/// A stable Maildir file name for a source id.
pub fn file_name(source_id: &str) -> String {
    let digest = Sha256::digest(source_id.as_bytes());
    format!("{}.triage", hex::encode(&digest[..12]))
}
