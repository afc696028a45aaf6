//! Leave-one-round-out: how detection does on writers it has never seen
//! (`triage rules train --hold-out g,hdi+hmx+hshp+htv,j,k`).
//!
//! The labelled corpus came in rounds written by independent writers, told
//! apart by the file name's prefix. For each prefix, the linear model is
//! trained on everything `training.toml` names except that round's messages,
//! and the whole detector (the rule files plus that model) is run over the
//! round, scored as `triage eval` scores: precision, recall and F1 per
//! category, and queue accuracy. The mean over rounds is the figure a model
//! change must improve. Nothing is written beside the rules: each round's
//! model and mail live in a scratch folder, unless `keep` names a folder, where
//! each round's rules (with that round's model) are left in `KEEP/<round>/rules`
//! so its misses can be read with `triage eval --rules KEEP/<round>/rules`.

use super::train::{self, Example};
use super::{triage_read_only, EvalReport, Labels};
use crate::category::Category;
use crate::config::{self, CliOverrides};
use crate::detect::RuleSet;
use crate::error::{Error, Result};
use crate::pipeline::read_sources;
use std::fmt::Write as _;
use std::path::Path;

/// One held-out round's scores.
pub struct RoundScore {
    pub prefix: String,
    pub messages: usize,
    /// Per content category, in [`Category::CONTENT`] order: (category,
    /// support, [precision, recall, F1]).
    pub categories: Vec<(Category, usize, [Option<f64>; 3])>,
    pub queue_accuracy: Option<f64>,
    /// Each refitted category's sentence model alone on the round's
    /// messages that teach it: (category, [(best sentence's score, has the
    /// category)]), for [`model_alone`]'s pooled ranking.
    pub model_alone: Vec<(Category, Vec<(f32, bool)>)>,
}

/// Where a hold-out run leaves its rounds' rules folders and what it starts
/// their model files from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Folders<'a> {
    /// Leave each round's rules folder (its model written in) in
    /// `keep/<round>/rules`, replacing whatever was there, instead of a
    /// scratch folder.
    pub keep: Option<&'a Path>,
    /// Start each round's model files from `reuse/<round>/rules/model` (an
    /// earlier `keep` folder): with `only`, the categories not refitted are
    /// that round's own held-out models.
    pub reuse: Option<&'a Path>,
}

/// Train without each round in turn and score the detector on it. A
/// round is a file-name prefix, or several joined by `+`.
/// `rules_dir` is copied (with the round's model written in) for each round;
/// `now` fixes the clock as `triage eval --now` does. `only`, when not
/// empty, names the categories whose models are refitted; the others keep
/// the weights the round's folder starts with ([`Folders`]).
pub fn hold_out(
    spec: &Path,
    rules_dir: &Path,
    prefixes: &[String],
    now: Option<String>,
    only: &[Category],
    folders: Folders,
) -> Result<Vec<RoundScore>> {
    let rules = RuleSet::load_without_models(rules_dir).map_err(Error::Config)?;
    let loaded = train::load(spec, &rules)?;
    let mut out = Vec::new();
    for prefix in prefixes {
        // A round written under several prefixes: `hdi+hmx+htv`.
        let is_held = |source_id: &str| prefix.split('+').any(|p| source_id.starts_with(p));
        let held = |e: &Example| is_held(&e.source_id);
        let scratch = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
        let round_rules = match folders.keep {
            Some(keep) => {
                let round_rules = keep.join(prefix).join("rules");
                if round_rules.exists() {
                    std::fs::remove_dir_all(&round_rules)
                        .map_err(|e| Error::io(&round_rules, e))?;
                }
                round_rules
            }
            None => scratch.path().join("rules"),
        };
        copy_dir(rules_dir, &round_rules)?;
        if let Some(reuse) = folders.reuse {
            copy_dir(
                &reuse.join(prefix).join("rules").join("model"),
                &round_rules.join("model"),
            )?;
        }
        let refit = |category: &Category| only.is_empty() || only.contains(category);
        let mut model_alone = Vec::new();
        for category in Category::CONTENT.into_iter().filter(refit) {
            let data = train::teaching(&loaded.examples, category, |e| !held(e));
            let model =
                train::fit_category(&data, category, &loaded.fit, loaded.features_of(category));
            let path = round_rules.join("model").join(format!("{category}.tsv"));
            train::write(&path, &model.render(&format!("held out: {prefix}*")))?;
            let scored = train::teaching(&loaded.examples, category, held)
                .into_iter()
                .map(|e| (train::message_score(&model, e), e.has(category)))
                .collect();
            model_alone.push((category, scored));
        }
        for &category in loaded.messages_for.iter().filter(|c| refit(c)) {
            let data = train::teaching(&loaded.examples, category, |e| !held(e));
            let model =
                train::fit_message(&data, category, &loaded.fit, loaded.features_of(category));
            let path = round_rules
                .join("model")
                .join(train::message_file(category));
            train::write(&path, &model.render(&format!("held out: {prefix}*")))?;
        }
        let mail = scratch.path().join("mail");
        let mut labels = Labels {
            by_source: Default::default(),
            content_only: false,
        };
        for (set, labels_path) in &loaded.full_sets {
            let set_labels = Labels::load(labels_path).map_err(Error::Config)?;
            labels.content_only |= set_labels.content_only;
            for raw in read_sources(std::slice::from_ref(set))? {
                if !is_held(&raw.source_id) {
                    continue;
                }
                let Some(label) = set_labels.by_source.get(&raw.source_id) else {
                    continue;
                };
                let path = mail.join(&raw.source_id);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                }
                std::fs::write(&path, &raw.bytes).map_err(|e| Error::io(&path, e))?;
                labels.by_source.insert(raw.source_id, label.clone());
            }
        }
        if labels.by_source.is_empty() {
            return Err(Error::Config(
                crate::error::ConfigError::new(
                    spec,
                    0,
                    format!("no labelled message's name starts with `{prefix}`"),
                )
                .into(),
            ));
        }
        let config = config::resolve(
            None,
            CliOverrides {
                sources: vec![mail.display().to_string()],
                rules: Some(round_rules),
                now: now.clone(),
                ..CliOverrides::default()
            },
        )
        .map_err(Error::Config)?;
        let (engine, outcomes) = triage_read_only(config, None)?;
        let report = EvalReport::build(&outcomes, &labels, &engine.rules);
        out.push(RoundScore {
            prefix: prefix.clone(),
            messages: report.messages,
            categories: Category::CONTENT
                .into_iter()
                .map(|c| match report.score(c) {
                    Some(s) => (c, s.support, [s.precision, s.recall, s.f1]),
                    None => (c, 0, [None; 3]),
                })
                .collect(),
            queue_accuracy: report.queues.accuracy,
            model_alone,
        });
    }
    Ok(out)
}

/// Each refitted category's sentence model alone, pooled over the rounds:
/// a message scored by its best sentence, ranked. Average precision and
/// the recall at precision .90 say how well the model orders writers it
/// never saw, whatever bars the rules set on its score, so a change to the
/// model's features or fit can be judged apart from the tiers' bars (which
/// were chosen on the shipped model's scores).
pub fn model_alone(rounds: &[RoundScore]) -> String {
    let mut out = String::new();
    for category in Category::CONTENT {
        let mut scored: Vec<(f32, bool)> = rounds
            .iter()
            .flat_map(|r| &r.model_alone)
            .filter(|(c, _)| *c == category)
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        if scored.is_empty() {
            continue;
        }
        if out.is_empty() {
            out.push_str(
                "model alone (a message scored by its best sentence), pooled over the rounds:\n",
            );
        }
        let ranked = train::Ranking::of(&mut scored);
        let _ = writeln!(
            out,
            "  {category:<20} average precision {:.3}, recall at precision .90 {:.3} ({} messages, {} with the category)",
            ranked.average_precision, ranked.recall_at_90, ranked.messages, ranked.positives
        );
    }
    out
}

/// Copy a folder and everything under it.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| Error::io(from, e))? {
        let entry = entry.map_err(|e| Error::io(from, e))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| Error::io(&src, e))?;
        }
    }
    Ok(())
}

/// The table: one block per round (P / R / F1 and support per category,
/// queue accuracy), then the mean over rounds.
pub fn render(rounds: &[RoundScore]) -> String {
    let f = |x: Option<f64>| x.map_or("    -".to_string(), |v| format!("{v:.3}"));
    let mut out = String::new();
    let width = rounds
        .iter()
        .map(|r| r.prefix.len())
        .max()
        .unwrap_or(0)
        .max(8);
    let mut header = format!("{:<width$} {:>5}", "held out", "msgs");
    for c in Category::CONTENT {
        let _ = write!(header, "  {:<23}", format!("{c} P/R/F1"));
    }
    let _ = writeln!(out, "{header}  queue");
    for r in rounds {
        let _ = write!(out, "{:<width$} {:>5}", r.prefix, r.messages);
        for (_, support, [p, rec, f1]) in &r.categories {
            let _ = write!(out, "  {} {} {} {:>3}", f(*p), f(*rec), f(*f1), support);
        }
        let _ = writeln!(out, "  {}", f(r.queue_accuracy));
    }
    // The mean of each figure over the rounds where it is defined.
    let mean = |values: Vec<Option<f64>>| {
        let defined: Vec<f64> = values.into_iter().flatten().collect();
        (!defined.is_empty()).then(|| defined.iter().sum::<f64>() / defined.len() as f64)
    };
    let _ = write!(
        out,
        "{:<width$} {:>5}",
        "mean",
        rounds.iter().map(|r| r.messages).sum::<usize>()
    );
    for (i, _) in Category::CONTENT.iter().enumerate() {
        let column = |k: usize| mean(rounds.iter().map(|r| r.categories[i].2[k]).collect());
        let support: usize = rounds.iter().map(|r| r.categories[i].1).sum();
        let _ = write!(
            out,
            "  {} {} {} {:>3}",
            f(column(0)),
            f(column(1)),
            f(column(2)),
            support
        );
    }
    let _ = writeln!(
        out,
        "  {}",
        f(mean(rounds.iter().map(|r| r.queue_accuracy).collect()))
    );
    out.push_str(&model_alone(rounds));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A training set in a scratch folder, labelled for every category:
    /// held-out rounds are scored only from such sets (no `categories =
    /// [...]` restriction). The folder, its training file, the shipped rules.
    fn full_set() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        train::tests::write_set(dir.path());
        let spec = dir.path().join("training.toml");
        let full = std::fs::read_to_string(&spec)
            .unwrap()
            .replace("categories = [\"threat_property\"]\n", "");
        std::fs::write(&spec, full).unwrap();
        (
            dir,
            spec,
            Path::new(env!("CARGO_MANIFEST_DIR")).join("rules"),
        )
    }

    #[test]
    fn keep_leaves_each_rounds_rules_with_its_own_model_and_they_load() {
        let (dir, spec, rules_dir) = full_set();
        let keep = dir.path().join("kept");
        let prefixes = ["t1+n1".to_string(), "t2".to_string()];
        let rounds = hold_out(
            &spec,
            &rules_dir,
            &prefixes,
            Some("2026-11-21T06:00:00Z".into()),
            &[],
            Folders {
                keep: Some(&keep),
                reuse: None,
            },
        )
        .unwrap();
        assert_eq!(rounds.len(), 2);
        assert_eq!(rounds[0].messages, 2);
        // Every category refitted, so each is ranked by its model alone;
        // property's, which the set teaches, over both rounds' messages.
        let table = render(&rounds);
        assert!(table.contains("model alone"), "{table}");
        let property = rounds.iter().flat_map(|r| &r.model_alone);
        let property: usize = property
            .filter(|(c, _)| *c == Category::ThreatProperty)
            .map(|(_, s)| s.len())
            .sum();
        assert_eq!(property, 3, "{table}");
        for prefix in prefixes {
            let round_rules = keep.join(&prefix).join("rules");
            let weights =
                std::fs::read_to_string(round_rules.join("model").join("threat_property.tsv"))
                    .unwrap();
            assert!(
                weights.contains(&format!("held out: {prefix}*")),
                "{prefix}"
            );
            RuleSet::load(&round_rules).unwrap();
            // Only the rules are kept, not the round's mail.
            let names: Vec<_> = std::fs::read_dir(keep.join(&prefix))
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["rules"]);
        }
    }

    #[test]
    fn only_refits_the_named_categories_and_reuse_keeps_the_rounds_others() {
        let (dir, spec, rules_dir) = full_set();
        let now = || Some("2026-11-21T06:00:00Z".to_string());
        let prefixes = ["t1+n1".to_string()];
        let (first, second) = (dir.path().join("first"), dir.path().join("second"));
        let folders = |keep, reuse| Folders { keep, reuse };
        hold_out(
            &spec,
            &rules_dir,
            &prefixes,
            now(),
            &[],
            folders(Some(&first), None),
        )
        .unwrap();
        // Mark the first run's weights, so that a refit is told from a copy.
        let model = |root: &Path, file: &str| {
            std::fs::read_to_string(root.join("t1+n1/rules/model").join(file)).unwrap()
        };
        let mark = |file: &str| {
            let fitted = model(&first, file);
            let marked = format!("# marked\n{fitted}");
            std::fs::write(first.join("t1+n1/rules/model").join(file), &marked).unwrap();
            (fitted, marked)
        };
        let (_, property_marked) = mark("threat_property.tsv");
        let (violence_fitted, _) = mark("threat_violence.tsv");
        let only = [Category::ThreatViolence];
        hold_out(
            &spec,
            &rules_dir,
            &prefixes,
            now(),
            &only,
            folders(Some(&second), Some(&first)),
        )
        .unwrap();
        // Property was not refitted: the round's own held-out weights, as
        // the first run left them; violence was, to the same weights.
        assert_eq!(model(&second, "threat_property.tsv"), property_marked);
        assert_eq!(model(&second, "threat_violence.tsv"), violence_fitted);
        let shipped = std::fs::read_to_string(rules_dir.join("model/abuse.tsv")).unwrap();
        assert_ne!(model(&second, "abuse.tsv"), shipped);
    }
}
