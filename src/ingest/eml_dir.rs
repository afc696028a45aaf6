//! A directory of message files (`.eml` or any name), read recursively.
//! Every regular, non-hidden file is one message; its source id is its path
//! relative to the directory.

use super::{files_under, read_each, relative_id, RawMessage, Source};
use crate::error::Result;
use std::path::PathBuf;

pub struct EmlDir {
    root: PathBuf,
    /// Set when the source is one file rather than a folder.
    single: bool,
}

impl EmlDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        EmlDir {
            root: root.into(),
            single: false,
        }
    }

    /// One message file; its source id is its file name.
    pub fn single_file(path: impl Into<PathBuf>) -> Self {
        EmlDir {
            root: path.into(),
            single: true,
        }
    }

    fn files(&self) -> Result<Vec<PathBuf>> {
        if self.single {
            Ok(vec![self.root.clone()])
        } else {
            files_under(&self.root)
        }
    }

    fn id_of(&self, path: &std::path::Path) -> String {
        if self.single {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            relative_id(&self.root, path)
        }
    }
}

impl Source for EmlDir {
    fn describe(&self) -> String {
        format!("message folder {}", self.root.display())
    }

    fn messages(&mut self) -> Box<dyn Iterator<Item = Result<RawMessage>> + '_> {
        read_each(self.files(), move |p| self.id_of(p))
    }
}
