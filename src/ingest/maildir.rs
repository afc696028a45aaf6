//! A Maildir: messages in `new/` and `cur/` (never `tmp/`, which holds
//! deliveries in progress). Source ids are `cur/<name>` / `new/<name>`.

use super::{files_under, read_each, relative_id, RawMessage, Source};
use crate::error::Result;
use std::path::PathBuf;

pub struct Maildir {
    root: PathBuf,
}

impl Maildir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Maildir { root: root.into() }
    }

    fn files(&self) -> Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for sub in ["cur", "new"] {
            let dir = self.root.join(sub);
            if dir.is_dir() {
                files.extend(files_under(&dir)?);
            }
        }
        files.sort();
        Ok(files)
    }
}

impl Source for Maildir {
    fn describe(&self) -> String {
        format!("Maildir {}", self.root.display())
    }

    fn messages(&mut self) -> Box<dyn Iterator<Item = Result<RawMessage>> + '_> {
        read_each(self.files(), move |p| relative_id(&self.root, p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cur_and_new_not_tmp() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
            std::fs::write(
                dir.path().join(sub).join("1.host:2,S"),
                "Subject: x\n\nbody\n",
            )
            .unwrap();
        }
        let mut md = Maildir::new(dir.path());
        let ids: Vec<String> = md.messages().map(|m| m.unwrap().source_id).collect();
        assert_eq!(ids, vec!["cur/1.host:2,S", "new/1.host:2,S"]);
    }
}
