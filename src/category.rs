//! The fixed vocabulary of `categories` (SPEC §4). Content categories come
//! from the sender's own words; the others from the history and envelope.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    ThreatViolence,
    ThreatSelfHarm,
    ThreatProperty,
    Abuse,
    Discrimination,
    UnreasonableDemand,
    RepeatComplaint,
    HighVolume,
    MassCopy,
}

impl Category {
    pub const ALL: [Category; 9] = [
        Category::ThreatViolence,
        Category::ThreatSelfHarm,
        Category::ThreatProperty,
        Category::Abuse,
        Category::Discrimination,
        Category::UnreasonableDemand,
        Category::RepeatComplaint,
        Category::HighVolume,
        Category::MassCopy,
    ];
    /// The six categories detected from the sender's own words.
    pub const CONTENT: [Category; 6] = [
        Category::ThreatViolence,
        Category::ThreatSelfHarm,
        Category::ThreatProperty,
        Category::Abuse,
        Category::Discrimination,
        Category::UnreasonableDemand,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::ThreatViolence => "threat_violence",
            Category::ThreatSelfHarm => "threat_self_harm",
            Category::ThreatProperty => "threat_property",
            Category::Abuse => "abuse",
            Category::Discrimination => "discrimination",
            Category::UnreasonableDemand => "unreasonable_demand",
            Category::RepeatComplaint => "repeat_complaint",
            Category::HighVolume => "high_volume",
            Category::MassCopy => "mass_copy",
        }
    }

    pub fn is_content(self) -> bool {
        Category::CONTENT.contains(&self)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Category::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown category `{s}` (expected one of: {})",
                    Category::ALL.map(|c| c.as_str()).join(", ")
                )
            })
    }
}
