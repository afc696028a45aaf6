//! Training the linear model (`triage rules train`): from labelled mail
//! named in `rules/model/training.toml` to one weights file per content
//! category in `rules/model/`, with a cross-validated report of how the
//! model alone does, so an analyst can choose a `min_score`.
//!
//! Labels are per message but the model scores sentences, so training is
//! *multiple-instance*: a positive message is a bag of sentences of which at
//! least one carries the category. The first round counts every sentence of
//! a positive message as a (down-weighted) positive; each later round keeps
//! only the sentences the previous model scored highest in each positive
//! message. Every sentence of a negative message is a negative. A message's
//! score is its best sentence's. The fit is an L2-regularised logistic
//! regression by full-batch gradient descent (Adam), so training is
//! deterministic: the same mail and settings give the same file.

use crate::category::Category;
use crate::detect::model::{self, LinearModel, WordClasses};
use crate::detect::RuleSet;
use crate::error::{ConfigError, ConfigErrors, Error, Result};
use crate::evaluate::Labels;
use crate::parse::{self, ParseLimits};
use crate::pipeline::read_sources;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// `rules/model/training.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    #[serde(default)]
    fit: Fit,
    /// The word classes file (relative to the training file), if any.
    #[serde(default)]
    classes: Option<PathBuf>,
    /// The categories whose models also see each word's letter-skeleton
    /// ([`model::skeleton`]); the others read words (and classes) only.
    #[serde(default)]
    skeletons: Vec<Category>,
    /// A word list file (relative to the training file) of function words
    /// (pronouns, auxiliaries, articles…): the models of the categories in
    /// `function_words_for` do not weigh these words alone, only in pairs
    /// and skips, so that they learn what a message is about rather than
    /// the words every letter uses.
    #[serde(default)]
    function_words: Option<PathBuf>,
    #[serde(default)]
    function_words_for: Vec<Category>,
    /// The categories whose models also learn from each message's Subject
    /// line (when it is the sender's own words, [`crate::parse::subject`]),
    /// read as one more sentence of the message: for the model rules with
    /// `subject = true`.
    #[serde(default)]
    subjects: Vec<Category>,
    /// The categories that also get a message model
    /// (`<category>.message.tsv`): one bag of the distinct features of all
    /// the message's own sentences, fitted on whole messages, for the lean
    /// tier of [`fit_message`].
    #[serde(default)]
    messages: Vec<Category>,
    /// A file of writing rounds (relative to the training file), one per
    /// line, each a file-name prefix or several joined by `+`
    /// (`hdi+hmx+hshp+htv`): the messages of one round are one writer for
    /// [`Fit::min_writers`]. A message of no listed round is its own
    /// writer by its file name's prefix before the first `-` (`zo`, `tv`).
    #[serde(default)]
    writers: Option<PathBuf>,
    #[serde(rename = "set")]
    sets: Vec<SetDef>,
}

/// One labelled set; paths are relative to the training file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetDef {
    source: PathBuf,
    /// `labels.csv`; without it every message is taken as clean (ordinary
    /// mail that carries no category).
    #[serde(default)]
    labels: Option<PathBuf>,
    /// `"k/n"`: only the k-th of n parts of the set, by a hash of each
    /// message's source id, so the other parts stay held out for measuring.
    #[serde(default)]
    part: Option<String>,
    /// The categories this set teaches; every content category when absent.
    /// A set written for one category (its negatives are traps for that
    /// category, not checked for the others) names just that one.
    #[serde(default)]
    categories: Option<Vec<String>>,
    /// How much each of the set's messages weighs in the fit against a
    /// message of another set on the same side (positive or negative): 2
    /// counts every sentence twice. Ordinary English from outside councils
    /// is weighted up so that the words every letter uses (pronouns,
    /// auxiliaries) are not learnt as threats. Default 1.
    #[serde(default)]
    weight: Option<f32>,
}

/// Fitting settings, with the defaults used for the shipped models.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Fit {
    /// A feature must occur in at least this many training sentences.
    pub min_count: usize,
    /// L2 penalty per feature weight.
    pub l2: f32,
    /// Gradient steps per fit.
    pub steps: usize,
    pub learning_rate: f32,
    /// Multiple-instance rounds after the first.
    pub rounds: usize,
    /// Sentences kept per positive message in later rounds.
    pub keep: usize,
    /// The share of the total weight given to positive sentences (they are
    /// far fewer than negative ones).
    pub positive_share: f32,
    /// Cross-validation folds for the report (0: none).
    pub folds: usize,
    /// Weights smaller than this are left out of the file.
    pub prune: f32,
    /// The L2 penalty of a function word alone (training.toml's
    /// `function_words`) in the models that name them; none: such a word
    /// alone is not a feature at all.
    pub function_l2: Option<f32>,
    /// A feature found in a category's positive messages must be found
    /// there in the mail of at least this many writers (training.toml's
    /// `writers`), or it is left out of that category's model: one
    /// writer's habit is memorised, not learnt. Features found only in
    /// negatives are not affected. 1: off.
    pub min_writers: usize,
    /// Settings of one category's models (sentence and message) that differ
    /// from the rest: `[fit.categories.threat_violence]` with `l2` and
    /// `steps`.
    pub categories: BTreeMap<Category, CategoryFit>,
}

/// One category's own fitting settings ([`Fit::categories`]); what is not
/// given is [`Fit`]'s.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryFit {
    pub l2: Option<f32>,
    pub steps: Option<usize>,
}

impl Fit {
    /// The settings `category`'s models are fitted with.
    pub fn for_category(&self, category: Category) -> Fit {
        let own = self.categories.get(&category).cloned().unwrap_or_default();
        Fit {
            l2: own.l2.unwrap_or(self.l2),
            steps: own.steps.unwrap_or(self.steps),
            categories: BTreeMap::new(),
            ..self.clone()
        }
    }
}

impl Default for Fit {
    fn default() -> Self {
        Fit {
            min_count: 2,
            l2: 1e-4,
            steps: 300,
            learning_rate: 0.05,
            rounds: 2,
            keep: 2,
            positive_share: 0.5,
            folds: 5,
            prune: 0.01,
            function_l2: None,
            min_writers: 1,
            categories: BTreeMap::new(),
        }
    }
}

/// One labelled message, ready for fitting.
pub(super) struct Example {
    id: String,
    /// The message's id within its set's source (its file name).
    pub(super) source_id: String,
    /// Who wrote it, for [`Fit::min_writers`]: its round (training.toml's
    /// `writers`), else its set and file-name prefix.
    writer: String,
    sentences: Vec<Vec<String>>,
    /// The Subject line's sentences (none when it is not the sender's own).
    subject: Vec<Vec<String>>,
    categories: BTreeSet<Category>,
    /// The categories it may teach.
    teaches: BTreeSet<Category>,
    /// Its set's `weight`.
    weight: f32,
}

/// What training produced for one category.
pub struct Trained {
    pub category: Category,
    /// The weights file's name in `rules/model/`: `<category>.tsv`, or
    /// [`message_file`] for a message model.
    pub file: String,
    pub model: LinearModel,
    /// The weights file, header included.
    pub file_text: String,
    /// Out-of-fold precision/recall table (message level), for the header
    /// and the terminal.
    pub report: String,
}

/// Everything `training.toml` names, read and parsed.
pub(super) struct Loaded {
    pub(super) fit: Fit,
    pub(super) classes: WordClasses,
    /// The categories whose models use `classes`.
    pub(super) classes_for: BTreeSet<Category>,
    /// The classes (`[you]`, brackets included) that weigh only in pairs and
    /// skips, never alone (`alone = false` in classes.toml).
    pub(super) pairs_only: BTreeSet<String>,
    /// The categories whose models see letter-skeletons.
    pub(super) skeletons_for: BTreeSet<Category>,
    /// The function words (one class, `[function]`), and the categories
    /// whose models weigh them only in pairs and skips.
    pub(super) function_words: WordClasses,
    pub(super) function_words_for: BTreeSet<Category>,
    /// The categories whose models also learn from the Subject line.
    pub(super) subjects_for: BTreeSet<Category>,
    /// The categories that also get a message model ([`fit_message`]).
    pub(super) messages_for: BTreeSet<Category>,
    pub(super) examples: Vec<Example>,
    /// The labelled sets that teach every category: (mail folder, labels
    /// file), resolved against the training file's folder.
    pub(super) full_sets: Vec<(PathBuf, PathBuf)>,
}

/// Read the sets and settings of the training file `spec`.
pub(super) fn load(spec: &Path, rules: &RuleSet) -> Result<Loaded> {
    let text = std::fs::read_to_string(spec).map_err(|e| Error::io(spec, e))?;
    let file: SpecFile = toml::from_str(&text)
        .map_err(|e| Error::Config(ConfigError::from_toml(spec, &text, &e).into()))?;
    let base = spec.parent().unwrap_or(Path::new("."));
    let (classes, classes_for, pairs_only) = match &file.classes {
        Some(path) => load_classes(&base.join(path))?,
        None => Default::default(),
    };
    let mut function_words = WordClasses::default();
    if let Some(path) = &file.function_words {
        let path = base.join(path);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        function_words.add_list("function", &text);
    }
    let rounds: Vec<Vec<String>> = match &file.writers {
        Some(path) => {
            let path = base.join(path);
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| l.split('+').map(str::to_string).collect())
                .collect()
        }
        None => Vec::new(),
    };
    let mut examples = Vec::new();
    let mut full_sets = Vec::new();
    for set in &file.sets {
        examples.extend(load_set(spec, base, set, rules, &classes, &rounds)?);
        if let (None, Some(labels)) = (&set.categories, &set.labels) {
            full_sets.push((base.join(&set.source), base.join(labels)));
        }
    }
    Ok(Loaded {
        fit: file.fit,
        classes,
        classes_for,
        pairs_only,
        skeletons_for: file.skeletons.into_iter().collect(),
        function_words,
        function_words_for: file.function_words_for.into_iter().collect(),
        subjects_for: file.subjects.into_iter().collect(),
        messages_for: file.messages.into_iter().collect(),
        examples,
        full_sets,
    })
}

impl Loaded {
    /// The features `category`'s model is fitted on: the classes if it is
    /// one of the categories the classes file names, skeletons if
    /// training.toml's `skeletons` names it.
    pub(super) fn features_of(&self, category: Category) -> FeatureKinds<'_> {
        FeatureKinds {
            classes: if self.classes_for.contains(&category) {
                &self.classes
            } else {
                FeatureKinds::words_only().classes
            },
            pairs_only: if self.classes_for.contains(&category) {
                &self.pairs_only
            } else {
                FeatureKinds::words_only().pairs_only
            },
            skeletons: self.skeletons_for.contains(&category),
            function_words: if self.function_words_for.contains(&category) {
                &self.function_words
            } else {
                FeatureKinds::words_only().function_words
            },
            subject: self.subjects_for.contains(&category),
        }
    }
}

/// Which kinds of feature one category's model is fitted on (every model
/// sees words, pairs and skips).
#[derive(Clone, Copy)]
pub(super) struct FeatureKinds<'a> {
    /// The word classes it sees (none: no class features).
    pub(super) classes: &'a WordClasses,
    /// The classes of `classes` it weighs only in pairs and skips (`[you]`).
    pub(super) pairs_only: &'a BTreeSet<String>,
    /// Whether it sees each word's letter-skeleton (`~thrtn`).
    pub(super) skeletons: bool,
    /// The words it does not weigh alone (only in pairs and skips).
    pub(super) function_words: &'a WordClasses,
    /// Whether it learns from the Subject line as one more sentence.
    pub(super) subject: bool,
}

impl FeatureKinds<'static> {
    /// Words only: no classes, no skeletons.
    fn words_only() -> Self {
        static NONE: std::sync::OnceLock<WordClasses> = std::sync::OnceLock::new();
        static NO_CLASSES: BTreeSet<String> = BTreeSet::new();
        FeatureKinds {
            classes: NONE.get_or_init(WordClasses::default),
            pairs_only: &NO_CLASSES,
            skeletons: false,
            function_words: NONE.get_or_init(WordClasses::default),
            subject: false,
        }
    }
}

/// Train one model per content category from the sets in `spec`; with
/// `cross_validate`, also the out-of-fold report (`folds` more fits each).
pub fn train(
    spec: &Path,
    rules: &RuleSet,
    cross_validate: bool,
    only: &[Category],
) -> Result<Vec<Trained>> {
    let loaded = load(spec, rules)?;
    let Loaded { fit, examples, .. } = &loaded;
    let wanted = |category: &Category| only.is_empty() || only.contains(category);
    let mut out = Vec::new();
    for category in Category::CONTENT.into_iter().filter(wanted) {
        let data = teaching(examples, category, |_| true);
        let positives = data
            .iter()
            .filter(|e| e.categories.contains(&category))
            .count();
        let report = if cross_validate {
            cross_validated_report(&data, category, fit)
        } else {
            String::new()
        };
        let kinds = loaded.features_of(category);
        let model = fit_category(&data, category, fit, kinds);
        let fit = &fit.for_category(category);
        let mut header = format!(
            "triage linear model for `{category}`: written by `triage rules train`; edit the\n\
             training sets or settings in training.toml and retrain rather than editing this file.\n\
             Trained on {} messages ({positives} with the category); features seen in at least {}\n\
             sentences; L2 {}; {} steps; {} multiple-instance rounds keeping {} sentences.\n\
             score = 1 / (1 + exp(-(bias + sum of the weights of the sentence's features)));\n\
             features: a word, two adjacent words, or two words with one between (`a … b`).\n",
            data.len(),
            fit.min_count,
            fit.l2,
            fit.steps,
            fit.rounds,
            fit.keep,
        );
        if fit.min_writers > 1 {
            let _ = writeln!(
                header,
                "A feature found in the messages with the category is kept only if found there in the mail of at least {} writers.",
                fit.min_writers
            );
        }
        if kinds.skeletons {
            header.push_str(
                "and each word's letter-skeleton, alone (`~thrtn` for threaten, thretening, threatning).\n",
            );
        }
        if kinds.subject {
            header.push_str(
                "and the Subject line, when it is the sender's own words, as one more sentence of the message.\n",
            );
        }
        if !kinds.pairs_only.is_empty() {
            let names: Vec<&str> = kinds.pairs_only.iter().map(String::as_str).collect();
            let _ = writeln!(
                header,
                "The classes {} weigh only in pairs and skips, not alone (classes.toml's `alone = false`).",
                names.join(", ")
            );
        }
        if !kinds.function_words.of_word.is_empty() {
            match fit.function_l2 {
                None => header.push_str(
                    "Function words (training.toml's `function_words`) weigh only in pairs and skips, not alone.\n",
                ),
                Some(l2) => {
                    let _ = writeln!(
                        header,
                        "Function words (training.toml's `function_words`) alone have L2 {l2}."
                    );
                }
            }
        }
        header.push_str(&report);
        let file_text = model.render(&header);
        out.push(Trained {
            category,
            file: format!("{category}.tsv"),
            model,
            file_text,
            report,
        });
    }
    for &category in loaded.messages_for.iter().filter(|c| wanted(c)) {
        let data = teaching(examples, category, |_| true);
        let positives = data
            .iter()
            .filter(|e| e.categories.contains(&category))
            .count();
        let model = fit_message(&data, category, fit, loaded.features_of(category));
        let fit = &fit.for_category(category);
        let header = format!(
            "triage message model for `{category}`: written by `triage rules train` (training.toml's\n\
             `messages`); retrain rather than edit. Trained on {} messages ({positives} with the\n\
             category), each one bag: the distinct features of all the sender's own sentences\n\
             (as the sentence model reads them: words, pairs, `a … b` skips, with the same classes\n\
             and skeletons); features seen in at least {} messages; L2 {}; {} steps.\n\
             score = 1 / (1 + exp(-(bias + sum of the weights of the message's features))).\n",
            data.len(),
            fit.min_count,
            fit.l2,
            fit.steps,
        );
        out.push(Trained {
            category,
            file: message_file(category),
            file_text: model.render(&header),
            model,
            report: String::new(),
        });
    }
    Ok(out)
}

/// The weights file of `category`'s message model, in `rules/model/`.
pub fn message_file(category: Category) -> String {
    format!("{category}.message.tsv")
}

/// Fit `category`'s message model: each message one instance, the bag of
/// the distinct features of its own sentences ([`model::message_bag`]), so
/// no multiple-instance rounds; the Subject line is not read.
pub(super) fn fit_message(
    data: &[&Example],
    category: Category,
    fit: &Fit,
    kinds: FeatureKinds,
) -> LinearModel {
    let bags: Vec<Example> = data.iter().map(|e| e.as_bag()).collect();
    let refs: Vec<&Example> = bags.iter().collect();
    let fit = Fit {
        rounds: 0,
        ..fit.clone()
    };
    let kinds = FeatureKinds {
        subject: false,
        ..kinds
    };
    fit_category(&refs, category, &fit, kinds)
}

/// The examples that teach `category` and that `keep` lets through.
pub(super) fn teaching(
    examples: &[Example],
    category: Category,
    keep: impl Fn(&Example) -> bool,
) -> Vec<&Example> {
    examples
        .iter()
        .filter(|e| e.teaches.contains(&category) && keep(e))
        .collect()
}

/// Whether the weights file at `path` holds `model` (weights equal to the
/// file's four decimals), so CI can check that the shipped model is what
/// training on the shipped corpus gives.
pub fn shipped_matches(path: &Path, model: &LinearModel) -> bool {
    let Some(shipped) = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| LinearModel::parse(&text).ok())
    else {
        return false;
    };
    let close = |a: f32, b: f32| (a - b).abs() <= 2e-4;
    close(shipped.bias, model.bias)
        && shipped.weights.len() == model.weights.len()
        && model
            .weights
            .iter()
            .all(|(f, w)| shipped.weights.get(f).is_some_and(|s| close(*s, *w)))
}

/// Write a weights file whole: to a temporary file beside it, then renamed.
pub fn write(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// `classes.toml`: `[[class]]` tables, each a `name` with `words` and
/// `lists` (word list files, relative to the classes file).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassesFile {
    /// The categories whose models see the classes (the others read words
    /// only): adopted where the leave-one-round-out measure improved.
    categories: Vec<Category>,
    #[serde(rename = "class")]
    classes: Vec<ClassDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassDef {
    name: String,
    #[serde(default)]
    words: Vec<String>,
    #[serde(default)]
    lists: Vec<PathBuf>,
    /// Whether the class weighs alone as well as in pairs and skips; with
    /// `alone = false` only in pairs and skips (`of [you]`, `[you] lot`), so
    /// a sentence that says "you" five times does not gain five times the
    /// class's weight whatever it says.
    #[serde(default = "yes")]
    alone: bool,
}

fn yes() -> bool {
    true
}

/// Read the word classes file at `path`: the classes, the categories
/// that use them, and the classes that weigh only in pairs (`[you]`).
fn load_classes(path: &Path) -> Result<(WordClasses, BTreeSet<Category>, BTreeSet<String>)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let file: ClassesFile = toml::from_str(&text)
        .map_err(|e| Error::Config(ConfigError::from_toml(path, &text, &e).into()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut classes = WordClasses::default();
    let mut pairs_only = BTreeSet::new();
    for class in &file.classes {
        let bad_name = class.name.is_empty()
            || !class
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_');
        if bad_name {
            let reason = format!("class name `{}`: use a-z and _ only", class.name);
            return Err(Error::Config(ConfigError::new(path, 0, reason).into()));
        }
        // Words are read as a list file's lines are (folded, `#` comments).
        classes.add_list(&class.name, &class.words.join("\n"));
        for list in &class.lists {
            let list_path = base.join(list);
            let text = std::fs::read_to_string(&list_path).map_err(|e| Error::io(&list_path, e))?;
            classes.add_list(&class.name, &text);
        }
        if !class.alone {
            pairs_only.insert(format!("[{}]", class.name));
        }
    }
    Ok((classes, file.categories.into_iter().collect(), pairs_only))
}

fn load_set(
    spec: &Path,
    base: &Path,
    set: &SetDef,
    rules: &RuleSet,
    classes: &WordClasses,
    rounds: &[Vec<String>],
) -> Result<Vec<Example>> {
    let teaches: BTreeSet<Category> = match &set.categories {
        None => Category::CONTENT.into_iter().collect(),
        Some(names) => {
            let mut out = BTreeSet::new();
            for n in names {
                let c: Category = n.parse().map_err(|e: String| {
                    Error::Config(ConfigError::new(spec, 0, format!("set categories: {e}")).into())
                })?;
                out.insert(c);
            }
            out
        }
    };
    let labels_path = set.labels.as_ref().map(|l| base.join(l));
    let labels = labels_path
        .as_deref()
        .map(Labels::load)
        .transpose()
        .map_err(Error::Config)?;
    let part = set
        .part
        .as_deref()
        .map(|p| parse_part(spec, p))
        .transpose()?;
    let weight = set.weight.unwrap_or(1.0);
    if !(weight.is_finite() && weight > 0.0) {
        let reason = format!("set weight {weight}: expected a number above 0");
        return Err(Error::Config(ConfigError::new(spec, 0, reason).into()));
    }
    let raws = read_sources(&[base.join(&set.source)])?;
    let mut errors = ConfigErrors::default();
    let mut out = Vec::new();
    let limits = ParseLimits::default();
    for raw in raws {
        if part.is_some_and(|(k, n)| in_part(&raw.source_id, n) != k) {
            continue;
        }
        let categories = match (&labels, &labels_path) {
            (Some(labels), Some(path)) => match labels.by_source.get(&raw.source_id) {
                Some(label) => label.categories.clone(),
                None => {
                    let reason = format!("no label for `{}`", raw.source_id);
                    errors.push(ConfigError::new(path, 0, reason));
                    continue;
                }
            },
            _ => BTreeSet::new(),
        };
        let Ok(parsed) = parse::parse(&raw.bytes, &limits) else {
            continue;
        };
        let features = |sentences: Vec<String>| -> Vec<Vec<String>> {
            sentences
                .iter()
                .map(|s| model::features_with(s, classes))
                .filter(|f| !f.is_empty())
                .collect()
        };
        let name = raw.source_id.rsplit('/').next().unwrap_or(&raw.source_id);
        let writer = match rounds
            .iter()
            .find(|r| r.iter().any(|p| name.starts_with(p.as_str())))
        {
            Some(round) => round.join("+"),
            None => {
                let prefix = name.split('-').next().unwrap_or(name);
                format!("{}:{prefix}", set.source.display())
            }
        };
        out.push(Example {
            id: format!("{}:{}", set.source.display(), raw.source_id),
            writer,
            source_id: raw.source_id,
            sentences: features(rules.own_sentences(&parsed.text, &parsed.segments)),
            subject: features(rules.subject_sentences(&parsed.subject)),
            categories,
            teaches: teaches.clone(),
            weight,
        });
    }
    errors.into_result(out).map_err(Error::Config)
}

/// `"k/n"` with 1 <= k <= n, as (k - 1, n).
fn parse_part(spec: &Path, text: &str) -> Result<(usize, usize)> {
    let parsed = text.split_once('/').and_then(|(k, n)| {
        let (k, n) = (
            k.trim().parse::<usize>().ok()?,
            n.trim().parse::<usize>().ok()?,
        );
        (k >= 1 && k <= n).then_some((k - 1, n))
    });
    parsed.ok_or_else(|| {
        let reason = format!("part `{text}`: expected `k/n` with 1 <= k <= n, e.g. \"1/2\"");
        Error::Config(ConfigError::new(spec, 0, reason).into())
    })
}

/// Which of `n` parts a message falls in: a hash of its source id, so the
/// split is stable and the held-out part can be listed (`triage rules train`
/// prints nothing about it; see `corpus/README.md`).
pub fn in_part(source_id: &str, n: usize) -> usize {
    let h = Sha256::digest(source_id.as_bytes());
    (u64::from_le_bytes(h[..8].try_into().expect("8 bytes")) % n as u64) as usize
}

/// Message-level precision and recall of the model alone, out of fold.
fn cross_validated_report(data: &[&Example], category: Category, fit: &Fit) -> String {
    if fit.folds < 2 {
        return String::new();
    }
    let mut scored: Vec<(f32, bool, &str)> = Vec::new();
    for k in 0..fit.folds {
        let (held, train): (Vec<&Example>, Vec<&Example>) =
            data.iter().partition(|e| in_part(&e.id, fit.folds) == k);
        let model = fit_category(&train, category, fit, FeatureKinds::words_only());
        scored.extend(held.iter().map(|e| {
            (
                message_score(&model, e),
                e.categories.contains(&category),
                e.id.as_str(),
            )
        }));
    }
    let positives = scored.iter().filter(|s| s.1).count();
    let mut out = format!(
        "{}-fold cross-validation, the model alone, a message scored by its best sentence:\n",
        fit.folds
    );
    for threshold in [0.5, 0.7, 0.8, 0.9, 0.95, 0.98] {
        let flagged = scored.iter().filter(|s| s.0 >= threshold).count();
        let right = scored.iter().filter(|s| s.0 >= threshold && s.1).count();
        let p = if flagged == 0 {
            1.0
        } else {
            right as f32 / flagged as f32
        };
        let r = if positives == 0 {
            1.0
        } else {
            right as f32 / positives as f32
        };
        let _ = writeln!(
            out,
            "  min_score {threshold:.2}: precision {p:.3}, recall {r:.3} ({right} of {positives}, {} false)",
            flagged - right
        );
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(b.2)));
    let worst: Vec<String> = scored
        .iter()
        .filter(|s| !s.1)
        .take(5)
        .map(|s| format!("{} ({:.2})", s.2, s.0))
        .collect();
    let _ = writeln!(
        out,
        "  highest-scoring without the category: {}",
        worst.join(", ")
    );
    out
}

/// A message's score by the sentence model: its best sentence's.
pub(super) fn message_score(model: &LinearModel, e: &Example) -> f32 {
    e.sentences
        .iter()
        .map(|s| model.score(s))
        .fold(0.0, f32::max)
}

/// How well scores rank messages with a category above those without.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranking {
    pub messages: usize,
    pub positives: usize,
    /// The mean, over the messages with the category, of the precision
    /// among the messages scored at least as high.
    pub average_precision: f64,
    /// The largest recall at which precision is still at least .90.
    pub recall_at_90: f64,
}

impl Ranking {
    /// Rank `(score, has the category)` pairs (sorted in place, highest
    /// first; ties count together, as one bar would take them all).
    pub fn of(scored: &mut [(f32, bool)]) -> Ranking {
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let positives = scored.iter().filter(|s| s.1).count();
        let (mut right, mut flagged, mut precision_sum, mut recall_at_90) = (0, 0, 0.0, 0.0);
        let mut i = 0;
        while i < scored.len() {
            // Everything tied with this score is taken at once.
            let tied = scored[i..]
                .iter()
                .take_while(|s| s.0 == scored[i].0)
                .count();
            let tied_right = scored[i..i + tied].iter().filter(|s| s.1).count();
            right += tied_right;
            flagged += tied;
            let precision = right as f64 / flagged as f64;
            precision_sum += precision * tied_right as f64;
            if precision >= 0.9 && positives > 0 {
                recall_at_90 = right as f64 / positives as f64;
            }
            i += tied;
        }
        Ranking {
            messages: scored.len(),
            positives,
            average_precision: if positives == 0 {
                0.0
            } else {
                precision_sum / positives as f64
            },
            recall_at_90,
        }
    }
}

impl Example {
    /// Whether the message is labelled with `category`.
    pub(super) fn has(&self, category: Category) -> bool {
        self.categories.contains(&category)
    }

    /// The message as one sentence: the distinct features of its sentences.
    fn as_bag(&self) -> Example {
        let bag = model::message_bag(self.sentences.iter().map(Vec::as_slice));
        Example {
            id: self.id.clone(),
            source_id: self.source_id.clone(),
            writer: self.writer.clone(),
            sentences: if bag.is_empty() {
                Vec::new()
            } else {
                vec![bag]
            },
            subject: Vec::new(),
            categories: self.categories.clone(),
            teaches: self.teaches.clone(),
            weight: self.weight,
        }
    }

    /// The sentences a model of these feature kinds learns from: the body's,
    /// then the subject's when it reads the subject.
    fn read_by(&self, kinds: FeatureKinds) -> impl Iterator<Item = &Vec<String>> {
        let subject = if kinds.subject {
            &self.subject[..]
        } else {
            &[]
        };
        self.sentences.iter().chain(subject)
    }
}

/// One sentence for the fit: feature indices, label, weight.
struct Instance {
    features: Vec<u32>,
    positive: bool,
    weight: f32,
}

/// Fit one category's model, with multiple-instance rounds.
pub(super) fn fit_category(
    data: &[&Example],
    category: Category,
    fit: &Fit,
    kinds: FeatureKinds,
) -> LinearModel {
    let fit = &fit.for_category(category);
    let vocab = vocabulary(data, category, fit, kinds);
    // Each feature's L2 penalty: a function word alone (kept only when
    // `function_l2` is set) is held closer to 0 than the rest.
    let mut l2 = vec![fit.l2; vocab.len()];
    if let Some(function_l2) = fit.function_l2 {
        for (name, &i) in &vocab {
            if kinds.function_words.of(name).is_some() {
                l2[i as usize] = function_l2;
            }
        }
    }
    let index = |s: &[String]| -> Vec<u32> {
        s.iter()
            .filter_map(|f| vocab.get(f.as_str()).copied())
            .collect()
    };
    let indexed: Vec<(Vec<Vec<u32>>, bool, f32)> = data
        .iter()
        .map(|e| {
            (
                e.read_by(kinds).map(|s| index(s)).collect(),
                e.categories.contains(&category),
                e.weight,
            )
        })
        .collect();
    // Round 0: every sentence of a positive message, down-weighted.
    let mut chosen: Vec<Vec<usize>> = indexed
        .iter()
        .map(|(s, _, _)| (0..s.len()).collect())
        .collect();
    let mut weights = vec![0f32; vocab.len()];
    let mut bias = 0f32;
    for round in 0..=fit.rounds {
        if round > 0 {
            for (i, (sentences, positive, _)) in indexed.iter().enumerate() {
                if !*positive {
                    continue;
                }
                let mut by_score: Vec<(f32, usize)> = sentences
                    .iter()
                    .enumerate()
                    .map(|(j, s)| (raw_score(&weights, bias, s), j))
                    .collect();
                by_score.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                // The best sentence, and up to `keep - 1` more that the
                // model already believes (greetings and sign-offs of a short
                // message are not dragged in as positives).
                chosen[i] = by_score
                    .iter()
                    .enumerate()
                    .take_while(|(rank, (z, _))| *rank == 0 || *z > 0.0)
                    .take(fit.keep)
                    .map(|(_, x)| x.1)
                    .collect();
            }
        }
        let instances = instances(&indexed, &chosen, fit.positive_share);
        (weights, bias) = gradient_descent(&instances, &l2, fit);
    }
    let mut names: Vec<(&str, u32)> = vocab.iter().map(|(k, v)| (*k, *v)).collect();
    names.sort_by_key(|x| x.1);
    LinearModel {
        classes: kinds.classes.clone(),
        bias,
        weights: names
            .into_iter()
            .map(|(name, i)| (name.to_string(), weights[i as usize]))
            .filter(|(_, w)| w.abs() >= fit.prune)
            .collect(),
    }
}

/// Features in at least `min_count` sentences, numbered in name order;
/// none made of a class (`[name]`) for a model without classes, no
/// skeleton (`~thrtn`) for one without skeletons, no function word alone
/// (`your`, but `your van` stays) for one with function words, no class
/// alone that weighs only in pairs (`[you]`, but `of [you]` stays), none
/// found in `category`'s positive messages of fewer than `min_writers`
/// writers.
fn vocabulary<'a>(
    data: &[&'a Example],
    category: Category,
    fit: &Fit,
    kinds: FeatureKinds,
) -> HashMap<&'a str, u32> {
    let with_classes = !kinds.classes.of_word.is_empty();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    // The writers of the positive messages each feature is found in.
    let mut writers: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for e in data {
        let positive = fit.min_writers > 1 && e.categories.contains(&category);
        for s in e.read_by(kinds) {
            let distinct: BTreeSet<&str> = s.iter().map(String::as_str).collect();
            for f in distinct {
                *counts.entry(f).or_default() += 1;
                if positive {
                    writers.entry(f).or_default().insert(e.writer.as_str());
                }
            }
        }
    }
    counts
        .into_iter()
        .filter(|(f, n)| {
            *n >= fit.min_count
                && writers.get(f).is_none_or(|w| w.len() >= fit.min_writers)
                && (with_classes || !f.contains('['))
                && (kinds.skeletons || !f.starts_with(model::SKELETON))
                && (fit.function_l2.is_some() || kinds.function_words.of(f).is_none())
                && !kinds.pairs_only.contains(*f)
        })
        .enumerate()
        .map(|(i, (f, _))| (f, i as u32))
        .collect()
}

/// The round's instances, positives weighted to `positive_share` of the
/// total, so a rare category is not drowned by ordinary sentences.
fn instances(
    indexed: &[(Vec<Vec<u32>>, bool, f32)],
    chosen: &[Vec<usize>],
    positive_share: f32,
) -> Vec<Instance> {
    let mut out = Vec::new();
    for ((sentences, positive, weight), keep) in indexed.iter().zip(chosen) {
        if *positive {
            let share = weight / keep.len().max(1) as f32;
            out.extend(keep.iter().map(|&j| Instance {
                features: sentences[j].clone(),
                positive: true,
                weight: share,
            }));
        } else {
            out.extend(sentences.iter().map(|s| Instance {
                features: s.clone(),
                positive: false,
                weight: *weight,
            }));
        }
    }
    let total = |p: bool| -> f32 {
        out.iter()
            .filter(|i| i.positive == p)
            .map(|i| i.weight)
            .sum()
    };
    let (pos, neg) = (total(true), total(false));
    let n = out.len() as f32;
    for i in &mut out {
        let (side, share) = if i.positive {
            (pos, positive_share)
        } else {
            (neg, 1.0 - positive_share)
        };
        if side > 0.0 {
            i.weight *= n * share / side;
        }
    }
    out
}

fn raw_score(weights: &[f32], bias: f32, features: &[u32]) -> f32 {
    bias + features.iter().map(|&f| weights[f as usize]).sum::<f32>()
}

/// Weighted logistic loss + L2 (`l2`: each feature's penalty), full batch, Adam.
fn gradient_descent(instances: &[Instance], l2: &[f32], fit: &Fit) -> (Vec<f32>, f32) {
    let dims = l2.len();
    let mut w = vec![0f32; dims + 1]; // the last one is the bias
    let mut m = vec![0f32; dims + 1];
    let mut v = vec![0f32; dims + 1];
    let mut grad = vec![0f32; dims + 1];
    let n: f32 = instances.iter().map(|i| i.weight).sum::<f32>().max(1.0);
    let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    for step in 1..=fit.steps {
        grad.iter_mut().for_each(|g| *g = 0.0);
        for inst in instances {
            let z = raw_score(&w[..dims], w[dims], &inst.features);
            let p = 1.0 / (1.0 + (-z).exp());
            let y = if inst.positive { 1.0 } else { 0.0 };
            let g = inst.weight * (p - y) / n;
            for &f in &inst.features {
                grad[f as usize] += g;
            }
            grad[dims] += g;
        }
        for ((g, wi), l2) in grad.iter_mut().zip(&w).zip(l2) {
            *g += l2 * wi;
        }
        let (c1, c2) = (1.0 - b1.powi(step as i32), 1.0 - b2.powi(step as i32));
        for j in 0..=dims {
            m[j] = b1 * m[j] + (1.0 - b1) * grad[j];
            v[j] = b2 * v[j] + (1.0 - b2) * grad[j] * grad[j];
            w[j] -= fit.learning_rate * (m[j] / c1) / ((v[j] / c2).sqrt() + eps);
        }
    }
    let bias = w.pop().unwrap_or(0.0);
    (w, bias)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tiny labelled set (four property threats `t1`…`t4`, four ordinary
    /// `n1`…`n4`) and a `training.toml` naming it, in `dir`.
    pub(crate) fn write_set(dir: &Path) {
        let mail = dir.join("mail");
        std::fs::create_dir_all(&mail).unwrap();
        let messages = [
            (
                "t1",
                "I will burn your office down tonight.",
                "threat_property",
            ),
            (
                "t2",
                "Your depot will burn, mark my words.",
                "threat_property",
            ),
            (
                "t3",
                "I am going to smash every window in your office.",
                "threat_property",
            ),
            (
                "t4",
                "Fix it or I burn the library down.",
                "threat_property",
            ),
            ("n1", "Please collect my bins on Tuesday.", ""),
            ("n2", "The office was closed when I called.", ""),
            ("n3", "Thank you for fixing the window so quickly.", ""),
            (
                "n4",
                "My neighbour burnt his rubbish and the smoke came in.",
                "",
            ),
        ];
        let mut labels = String::from("source,categories\n");
        for (name, body, cat) in messages {
            let text = format!("From: {name}@example.com\nSubject: s\n\nHello.\n\n{body}\n");
            std::fs::write(mail.join(format!("{name}.eml")), text).unwrap();
            labels.push_str(&format!("{name}.eml,{cat}\n"));
        }
        std::fs::write(dir.join("labels.csv"), labels).unwrap();
        std::fs::write(
            dir.join("training.toml"),
            "[[set]]\nsource = \"mail\"\nlabels = \"labels.csv\"\ncategories = [\"threat_property\"]\n\n[fit]\nfolds = 2\nmin_count = 1\n",
        )
        .unwrap();
    }

    #[test]
    fn trains_a_model_that_ranks_threats_above_ordinary_sentences() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path());
        let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let rules = RuleSet::load_without_models(&rules_dir).unwrap();
        let spec = dir.path().join("training.toml");
        let trained = train(&spec, &rules, true, &[]).unwrap();
        let tp = trained
            .iter()
            .find(|t| t.category == Category::ThreatProperty)
            .unwrap();
        let score = |s: &str| tp.model.score(&model::features(s));
        assert!(score("i will burn your depot") > score("please collect the bins"));
        // The greeting every message shares is not evidence either way.
        assert!(score("hello.") < 0.5, "{}", score("hello."));
        assert!(tp.report.contains("2-fold cross-validation"));
        // Same mail, same settings: the same weights, so CI can check them.
        let path = dir.path().join("tp.tsv");
        write(&path, &tp.file_text).unwrap();
        let again = train(&spec, &rules, false, &[]).unwrap();
        let tp_again = again
            .iter()
            .find(|t| t.category == Category::ThreatProperty)
            .unwrap();
        assert!(shipped_matches(&path, &tp_again.model));
        // Categories the set does not teach get an empty model.
        let abuse = again
            .iter()
            .find(|t| t.category == Category::Abuse)
            .unwrap();
        assert!(abuse.model.weights.is_empty());
        // `only`: that category's model and no other, the same weights.
        let only = train(&spec, &rules, false, &[Category::ThreatProperty]).unwrap();
        let files: Vec<&str> = only.iter().map(|t| t.file.as_str()).collect();
        assert_eq!(files, ["threat_property.tsv"]);
        assert!(shipped_matches(&path, &only[0].model));
    }

    #[test]
    fn a_category_fitted_with_its_own_settings() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path());
        let spec = dir.path().join("training.toml");
        let before = property_model(&spec);
        let mut text = std::fs::read_to_string(&spec).unwrap();
        text.push_str("\n[fit.categories.threat_property]\nl2 = 0.5\n");
        std::fs::write(&spec, &text).unwrap();
        let after = property_model(&spec);
        // A heavy penalty of its own: smaller weights, said in the header.
        let largest = |t: &Trained| t.model.weights.values().fold(0f32, |m, w| m.max(w.abs()));
        assert!(largest(&after) < largest(&before) / 2.0);
        assert!(after.file_text.contains("L2 0.5;"), "{}", after.file_text);
        // Another category's settings leave this one's alone.
        std::fs::write(&spec, text.replace("threat_property]", "abuse]")).unwrap();
        assert_eq!(property_model(&spec).model, before.model);
    }

    #[test]
    fn ranking_averages_precision_at_each_positive_and_takes_ties_together() {
        let mut scored = [(0.7, true), (0.9, true), (0.8, false)];
        let ranked = Ranking::of(&mut scored);
        assert_eq!((ranked.messages, ranked.positives), (3, 2));
        assert!((ranked.average_precision - (1.0 + 2.0 / 3.0) / 2.0).abs() < 1e-9);
        assert_eq!(ranked.recall_at_90, 0.5);
        // A tie is one bar: both or neither.
        let tied = Ranking::of(&mut [(0.5, true), (0.5, false)]);
        assert_eq!((tied.average_precision, tied.recall_at_90), (0.5, 0.0));
        let none = Ranking::of(&mut [(0.5, false)]);
        assert_eq!((none.average_precision, none.recall_at_90), (0.0, 0.0));
    }

    /// The property model trained from `spec` (no cross-validation).
    fn property_model(spec: &Path) -> Trained {
        let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let rules = RuleSet::load_without_models(&rules_dir).unwrap();
        train(spec, &rules, false, &[])
            .unwrap()
            .into_iter()
            .find(|t| t.category == Category::ThreatProperty)
            .unwrap()
    }

    #[test]
    fn a_feature_of_one_writers_positives_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path());
        // Two writers: t1 and t2 wrote together, t3 and t4 together.
        std::fs::write(dir.path().join("rounds.txt"), "t1+t2\nt3+t4\n").unwrap();
        let spec = dir.path().join("training.toml");
        let text = std::fs::read_to_string(&spec).unwrap();
        let with = |min_writers: usize| {
            let toml = format!("writers = \"rounds.txt\"\n{text}min_writers = {min_writers}\n");
            std::fs::write(&spec, toml).unwrap();
            property_model(&spec)
        };
        let all = with(1).model.weights;
        assert!(all.contains_key("depot") && all.contains_key("smash"));
        let two = with(2);
        let weights = &two.model.weights;
        // "depot" (t2) and "smash" (t3) were each one writer's word.
        assert!(!weights.contains_key("depot") && !weights.contains_key("smash"));
        // "burn" (t1, t2, t4) and "office" (t1, t3) were both writers'.
        assert!(
            weights.contains_key("burn") && weights.contains_key("office"),
            "{weights:?}"
        );
        // A word of negatives only is not affected.
        assert!(weights.contains_key("please"));
        assert!(two.file_text.contains("at least 2 writers"));
    }

    #[test]
    fn function_words_weigh_only_in_pairs() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path());
        std::fs::write(dir.path().join("function.txt"), "# pronouns\nyour\ni\n").unwrap();
        let spec = dir.path().join("training.toml");
        let text = format!(
            "function_words = \"function.txt\"\nfunction_words_for = [\"threat_property\"]\n{}",
            std::fs::read_to_string(&spec).unwrap()
        );
        std::fs::write(&spec, &text).unwrap();
        let tp = property_model(&spec);
        let weights = &tp.model.weights;
        assert!(!weights.contains_key("your") && !weights.contains_key("i"));
        assert!(weights.contains_key("your office"), "{weights:?}");
        assert!(weights.contains_key("burn"));
        assert!(tp.file_text.contains("weigh only in pairs"));
        // With `function_l2` a function word alone is a feature again, held
        // closer to 0 than with the usual penalty.
        let your = |function_l2: &str| {
            let toml = format!("{text}function_l2 = {function_l2}\n");
            std::fs::write(&spec, toml).unwrap();
            let tp = property_model(&spec);
            tp.model.weights.get("your").copied().unwrap_or(0.0)
        };
        let plain = your("0.0001");
        assert!(your("0.5").abs() < plain.abs(), "{plain}");
    }

    #[test]
    fn a_class_with_alone_false_weighs_only_in_pairs() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path());
        let classes = |you_alone: &str| {
            format!(
                "categories = [\"threat_property\"]\n\n[[class]]\nname = \"you\"\nwords = [\"your\"]\n{you_alone}\n[[class]]\nname = \"fire\"\nwords = [\"burn\"]\n"
            )
        };
        let spec = dir.path().join("training.toml");
        let text = format!(
            "classes = \"classes.toml\"\n{}",
            std::fs::read_to_string(&spec).unwrap()
        );
        std::fs::write(&spec, &text).unwrap();
        let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let rules = RuleSet::load_without_models(&rules_dir).unwrap();
        let property = |classes_toml: &str| {
            std::fs::write(dir.path().join("classes.toml"), classes_toml).unwrap();
            train(&spec, &rules, false, &[])
                .unwrap()
                .into_iter()
                .find(|t| t.category == Category::ThreatProperty)
                .unwrap()
        };
        let alone = property(&classes(""));
        assert!(
            alone.model.weights.contains_key("[you]"),
            "{:?}",
            alone.model.weights
        );
        let paired = property(&classes("alone = false\n"));
        let weights = &paired.model.weights;
        assert!(!weights.contains_key("[you]"), "{weights:?}");
        assert!(weights.contains_key("[you] office"), "{weights:?}");
        // The word itself and the other classes still weigh alone.
        assert!(weights.contains_key("[fire]") && weights.contains_key("your"));
        assert!(paired.file_text.contains("[you] weigh only in pairs"));
        assert!(!alone.file_text.contains("weigh only in pairs"));
    }

    #[test]
    fn a_model_learns_from_the_subject_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path());
        // A threat carried by the subject alone; a reply's subject is not read.
        let mail = dir.path().join("mail");
        let t1 = "From: t1@example.com\nSubject: [EXTERNAL] torch the depot\n\nHello.\n";
        std::fs::write(mail.join("t1.eml"), t1).unwrap();
        let n1 = "From: n1@example.com\nSubject: RE: cinders\n\nHello.\n";
        std::fs::write(mail.join("n1.eml"), n1).unwrap();
        let spec = dir.path().join("training.toml");
        let text = std::fs::read_to_string(&spec).unwrap();
        let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let rules = RuleSet::load_without_models(&rules_dir).unwrap();
        let property = |toml: &str| {
            std::fs::write(&spec, toml).unwrap();
            let trained = train(&spec, &rules, false, &[]).unwrap();
            trained
                .into_iter()
                .find(|t| t.category == Category::ThreatProperty)
                .unwrap()
        };
        let plain = property(&text);
        assert!(!plain.model.weights.contains_key("torch"));
        let read = property(&format!("subjects = [\"threat_property\"]\n{text}"));
        assert!(
            read.model.weights["torch"] > 0.0,
            "{:?}",
            read.model.weights
        );
        assert!(!read.model.weights.contains_key("cinders"));
        assert!(read.file_text.contains("the Subject line"));
    }

    #[test]
    fn a_weighted_set_of_ordinary_mail_holds_its_words_back() {
        let dir = tempfile::tempdir().unwrap();
        write_set(dir.path());
        // Ordinary English from outside councils that uses "your" as every
        // letter does, with no category.
        let ham = dir.path().join("ham");
        std::fs::create_dir(&ham).unwrap();
        for (i, body) in [
            "Your order has been sent.",
            "Reset your password here.",
            "Your newsletter for this week.",
        ]
        .iter()
        .enumerate()
        {
            let text = format!("From: list@example.org\nSubject: s\n\n{body}\n");
            std::fs::write(ham.join(format!("h{i}.eml")), text).unwrap();
        }
        let spec = dir.path().join("training.toml");
        let text = std::fs::read_to_string(&spec).unwrap();
        let your = |weight: &str| {
            let set = format!("[[set]]\nsource = \"ham\"\n{weight}\n");
            std::fs::write(&spec, format!("{set}{text}")).unwrap();
            let tp = property_model(&spec);
            tp.model.weights.get("your").copied().unwrap_or(0.0)
        };
        let plain = your("");
        assert!(your("weight = 5") < plain, "{plain}");
        std::fs::write(
            &spec,
            format!("[[set]]\nsource = \"ham\"\nweight = 0\n{text}"),
        )
        .unwrap();
        let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let rules = RuleSet::load_without_models(&rules_dir).unwrap();
        let err = train(&spec, &rules, false, &[]).err().unwrap().to_string();
        assert!(err.contains("set weight 0"), "{err}");
    }

    #[test]
    fn a_set_part_is_checked_and_stable() {
        let spec = Path::new("training.toml");
        assert_eq!(parse_part(spec, "1/2").unwrap(), (0, 2));
        assert!(parse_part(spec, "3/2").is_err());
        assert!(parse_part(spec, "half").is_err());
        assert_eq!(in_part("00001.eml", 2), in_part("00001.eml", 2));
        let parts: BTreeSet<usize> = (0..50).map(|i| in_part(&format!("{i}.eml"), 2)).collect();
        assert_eq!(parts.len(), 2, "both halves get messages");
    }
}
