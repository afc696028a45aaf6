//! How the history's segments are merged: tantivy's log merge policy (merge
//! eight or more segments of a similar size), with every merge bounded to
//! [`MERGED_DOCS_MAX`] messages.
//!
//! A merge reads every page of its input segments through memory maps, and
//! those pages count in the run's resident memory until the merge is done.
//! Unbounded, the commit of a 1M-message night over a 1M-message history
//! merged eleven segments of about 170,000 messages (1.6 GB of files) in one
//! go, and the run peaked at 2.2 GB. Bounded, a merge maps at most about
//! [`MERGED_DOCS_MAX`] messages' worth of files (about 1 KB a message), and a
//! segment of more than half of it is never merged again: a history of N
//! messages keeps about N ÷ 62,500 large segments (a night's flushed
//! segments, about 50,000 messages each, merge in pairs), which a sender
//! lookup visits one by one (a term look-up each, about 0.2 µs).
//!
//! The bound was 250,000 until stop 50: a 1M-message night's merges of four
//! flushed segments (200 MB of files) mapped up to 330 MB at once beside the
//! night's 660 MB of heap, and the run peaked at 1,019–1,050 MiB, over the
//! 1 GiB target. Halving the bound alone did not hold it (several smaller
//! merges ran at once on tantivy's four merge threads); the writer now has
//! one merge thread too, and the night peaks at about 770 MiB
//! (docs/performance.md, "The history's merges").

use std::collections::HashMap;
use tantivy::index::SegmentMeta;
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};

/// The most messages one merge may produce.
pub const MERGED_DOCS_MAX: u32 = 125_000;

/// [`LogMergePolicy`] whose merges never produce more than
/// [`MERGED_DOCS_MAX`] messages.
#[derive(Debug)]
pub struct BoundedMerges {
    levels: LogMergePolicy,
}

impl Default for BoundedMerges {
    fn default() -> BoundedMerges {
        let mut levels = LogMergePolicy::default();
        // A segment over half the bound would only ever merge with one other.
        levels.set_max_docs_before_merge(MERGED_DOCS_MAX as usize / 2);
        BoundedMerges { levels }
    }
}

impl MergePolicy for BoundedMerges {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        let docs: HashMap<_, _> = segments.iter().map(|s| (s.id(), s.num_docs())).collect();
        self.levels
            .compute_merge_candidates(segments)
            .into_iter()
            .flat_map(|MergeCandidate(mut ids)| {
                // Smallest first, cut into groups of at most the bound; a
                // group of one is no merge.
                ids.sort_by_key(|id| docs[id]);
                let mut groups: Vec<Vec<_>> = Vec::new();
                let mut total = 0u32;
                for id in ids {
                    let n = docs[&id];
                    match groups.last_mut() {
                        Some(group) if total + n <= MERGED_DOCS_MAX => {
                            group.push(id);
                            total += n;
                        }
                        _ => {
                            groups.push(vec![id]);
                            total = n;
                        }
                    }
                }
                groups
                    .into_iter()
                    .filter(|g| g.len() > 1)
                    .map(MergeCandidate)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::index::SegmentId;
    use tantivy::schema::Schema;
    use tantivy::Index;

    fn segments(sizes: &[u32]) -> Vec<SegmentMeta> {
        let index = Index::create_in_ram(Schema::builder().build());
        sizes
            .iter()
            .map(|&n| index.new_segment_meta(SegmentId::generate_random(), n))
            .collect()
    }

    fn merges(sizes: &[u32]) -> Vec<Vec<u32>> {
        let segments = segments(sizes);
        let docs: HashMap<_, _> = segments.iter().map(|s| (s.id(), s.num_docs())).collect();
        let mut merges: Vec<Vec<u32>> = BoundedMerges::default()
            .compute_merge_candidates(&segments)
            .into_iter()
            .map(|c| c.0.iter().map(|id| docs[id]).collect())
            .collect();
        merges.sort();
        merges
    }

    #[test]
    fn a_nights_flushed_segments_merge_in_groups_within_the_bound() {
        // Eight small segments still merge into one.
        assert_eq!(merges(&[15_000; 8]), vec![vec![15_000; 8]]);
        assert!(merges(&[15_000; 7]).is_empty());
        // A large night's eight flushed segments of 50k: in pairs.
        let merged = merges(&[50_000; 8]);
        assert_eq!(merged, vec![vec![50_000; 2]; 4]);
    }

    #[test]
    fn the_commit_of_a_large_night_never_merges_more_than_the_bound() {
        // A 1M history's five 169k segments and a 1M night's six 168k ones:
        // the default policy merged all eleven (1.86M messages) at once.
        let mut sizes = vec![169_000; 5];
        sizes.extend([168_000; 6]);
        assert!(merges(&sizes).is_empty());
        // Eleven of 60k (under half the bound, so still merged): pairs,
        // each within the bound.
        let merged = merges(&[60_000; 11]);
        assert_eq!(merged.len(), 5);
        assert!(merged
            .iter()
            .all(|m| m.iter().sum::<u32>() <= MERGED_DOCS_MAX));
        // Twelve of 15k: one merge of eight (120k), then the other four.
        let merged = merges(&[15_000; 12]);
        assert_eq!(merged, vec![vec![15_000; 4], vec![15_000; 8]]);
    }
}
