//! The exact literal pre-filter in front of the rule regexes.
//!
//! For each regex, [`Requirement::of`] works out from its syntax what fixed
//! text every match must contain, as a formula over literals: `she said` or
//! `they said` for `\b(?:she|they)\s+said\b`; (`kil ` or `hurt `) and (` you` or
//! ` them`) for `(?:kill|hurt)\s+\w*\s+(?:you|them)`; either branch's
//! requirement for an alternation. Literals are in the *squeezed* view of the
//! text (runs of one letter collapsed, white space of any kind and length one
//! space, see [`super::normalize`]): there the elastic list words of the
//! rules (`f+u+c+k+`, `a+s{2,}`) are plain words (`fuck`, `as`), `\s+` is a
//! space, and a regex match in the normalised text is always, squeezed, a
//! substring of the squeezed text. A literal also carries what squeezing
//! hides ([`super::literal`]): the word edges `\b` puts around it, and the
//! least length of each run of a letter (`as` of `a+s{2,}` needs two `s`),
//! checked where the literal is found. [`Prefilter`] puts the literals of
//! all regexes into one Aho–Corasick automaton ([`Scanner`]), scans a squeezed text once,
//! and says which regexes can match in the text at all: a regex whose
//! requirement the text does not meet cannot match there, so skipping it
//! changes nothing. Only the regexes named by a set found are worked out,
//! each named by the sets of its rarest conjunct (a guess at load time). A
//! set that nearly every text holds (a common word, two letters: `he`,
//! ` the `) is taken as held beside rarer parts and not scanned for: it
//! would be found at nearly every word and seldom turn a regex down. Where nothing is known (a part like `\w+` needs no fixed
//! text) the requirement is simply true, and a regex whose whole
//! requirement is true always runs.
//!
//! The formulas are exact, not a guess: they come from the same syntax tree
//! the `regex` crate compiles, case-insensitive letters are expanded into
//! their cases, and a literal set too large to build is dropped (made true)
//! rather than trimmed. Each node's fixed strings and affixes are worked out
//! once ([`Extractor`]), however many levels above ask for them.

use super::literal::{self, Check, EDGE};
use super::normalize::Squeezed;
use regex_syntax::hir::{Class, Hir, HirKind, Look};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::rc::Rc;

/// The most strings a set may hold while it is built (case expansions and
/// alternations multiply); a larger one is given up.
const MAX_SET: usize = 256;
/// The most characters of a class expanded into single-character strings.
const MAX_CLASS: usize = 8;
/// The most characters of a class read to find them: `\s` has 25, all one
/// space in the squeezed view.
const MAX_CLASS_READ: usize = 32;
/// Shorter literals (in bytes, marks aside) are not worth scanning for
/// (nearly every text holds them): a set holding one is dropped from a
/// requirement.
const MIN_LITERAL: usize = 2;

/// What fixed text every match of a regex holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Requirement {
    /// Nothing known: any text may match.
    True,
    /// At least one of these literals occurs (squeezed and marked, see
    /// [`super::literal`]).
    Any(Vec<String>),
    /// Every one of these holds.
    All(Vec<Requirement>),
    /// At least one of these holds.
    Either(Vec<Requirement>),
}

/// A requirement whose literal sets are numbered: set `i` holds when the
/// scan found any of its literals.
enum Compiled {
    True,
    Any(usize),
    All(Vec<Compiled>),
    Either(Vec<Compiled>),
}

impl Compiled {
    /// How often a text is expected to hold this, from `set_cost` (per
    /// literal set, see [`Numbering::set_costs`]): a conjunction as often
    /// as its rarest part, an alternative as often as its parts together.
    /// Only a guess that orders the parts; nothing depends on it but speed.
    fn cost(&self, set_cost: &[f64]) -> f64 {
        match self {
            Compiled::True => f64::INFINITY,
            Compiled::Any(set) => set_cost[*set],
            Compiled::All(subs) => subs
                .iter()
                .map(|r| r.cost(set_cost))
                .fold(f64::INFINITY, f64::min),
            Compiled::Either(subs) => subs.iter().map(|r| r.cost(set_cost)).sum(),
        }
    }

    /// Into `out`, literal sets one of which a text holding this certainly
    /// holds: the sets of the rarest part of a conjunction (all its parts
    /// hold), those of every branch of an alternative. A regex is named
    /// only by these, so a common set (`you`) that its formula needs beside
    /// a rare one (an insult) does not name it on every segment only for
    /// the formula to be turned down. None for a true requirement.
    fn triggers(&self, set_cost: &[f64], out: &mut Vec<usize>) {
        match self {
            Compiled::True => {}
            Compiled::Any(set) => out.push(*set),
            Compiled::All(subs) => {
                let rarest = subs
                    .iter()
                    .min_by(|a, b| a.cost(set_cost).total_cmp(&b.cost(set_cost)));
                if let Some(rarest) = rarest {
                    rarest.triggers(set_cost, out);
                }
            }
            Compiled::Either(subs) => subs.iter().for_each(|r| r.triggers(set_cost, out)),
        }
    }

    /// The parts of every conjunction and alternative put in the order
    /// that settles it soonest: a conjunction's plain literal sets first,
    /// rarest first (the rarest is usually the set that named the regex,
    /// found already; the next rarest is the likeliest to be missing); an
    /// alternative's plain sets first too, commonest first. Only the order
    /// of a check with no side effects changes, never its answer.
    fn order(&mut self, set_cost: &[f64]) {
        let all = matches!(self, Compiled::All(_));
        match self {
            Compiled::True | Compiled::Any(_) => {}
            Compiled::All(subs) | Compiled::Either(subs) => {
                subs.iter_mut().for_each(|s| s.order(set_cost));
                let key = |r: &Compiled| {
                    let cost = r.cost(set_cost);
                    let compound = !matches!(r, Compiled::Any(_));
                    (compound, if all { cost } else { -cost })
                };
                subs.sort_by(|a, b| {
                    let (a, b) = (key(a), key(b));
                    a.0.cmp(&b.0).then(a.1.total_cmp(&b.1))
                });
            }
        }
    }

    /// Whether the text holds this: set `i` was found when `found[i]` is
    /// the scan's `stamp`. (Detection reads the [`Formulas`] made from it,
    /// which give the same answer.)
    #[cfg(test)]
    fn holds(&self, found: &[u32], stamp: u32) -> bool {
        match self {
            Compiled::True => true,
            Compiled::Any(set) => found[*set] == stamp,
            Compiled::All(subs) => subs.iter().all(|r| r.holds(found, stamp)),
            Compiled::Either(subs) => subs.iter().any(|r| r.holds(found, stamp)),
        }
    }

    /// This with each literal set marked in `held` taken as held, and
    /// what that settles settled: a conjunction without it, an
    /// alternative holding it true as a whole. Only ever weaker: a text
    /// meeting the requirement meets this, so a regex is never skipped
    /// where it could match.
    fn held(&self, held: &[bool]) -> Compiled {
        match self {
            Compiled::True => Compiled::True,
            Compiled::Any(set) if held[*set] => Compiled::True,
            Compiled::Any(set) => Compiled::Any(*set),
            Compiled::All(subs) => {
                let mut subs: Vec<Compiled> = subs
                    .iter()
                    .map(|r| r.held(held))
                    .filter(|r| !matches!(r, Compiled::True))
                    .collect();
                match subs.len() {
                    0 => Compiled::True,
                    1 => subs.pop().expect("one"),
                    _ => Compiled::All(subs),
                }
            }
            Compiled::Either(subs) => {
                let subs: Vec<Compiled> = subs.iter().map(|r| r.held(held)).collect();
                if subs.iter().any(|r| matches!(r, Compiled::True)) {
                    Compiled::True
                } else {
                    Compiled::Either(subs)
                }
            }
        }
    }

    /// `each(set)` for every literal set this reads.
    fn each_set(&self, each: &mut impl FnMut(usize)) {
        match self {
            Compiled::True => {}
            Compiled::Any(set) => each(*set),
            Compiled::All(subs) | Compiled::Either(subs) => {
                subs.iter().for_each(|r| r.each_set(each))
            }
        }
    }

    /// This, appended to `ops` in [`Formulas`]' form (a node, then its
    /// parts, in order).
    fn flatten(&self, ops: &mut Vec<u32>) {
        let at = ops.len();
        match self {
            Compiled::True => ops.push(Formulas::TRUE << Formulas::SHIFT),
            Compiled::Any(set) => ops.push(Formulas::arg(*set)),
            Compiled::All(subs) | Compiled::Either(subs) => {
                let kind = match self {
                    Compiled::All(_) => Formulas::ALL,
                    _ => Formulas::EITHER,
                };
                ops.push(0);
                subs.iter().for_each(|r| r.flatten(ops));
                ops[at] = kind << Formulas::SHIFT | Formulas::arg(ops.len());
            }
        }
    }
}

/// Every regex's requirement ([`Compiled`], its parts in the order that
/// settles it soonest) in one array, read in place: a node is one `u32`,
/// its kind in the top two bits; a literal set's node holds the set's
/// number, a conjunction's or an alternative's the index just past its
/// parts, which follow it in order. Checking a requirement reads a few
/// adjacent words rather than following a boxed tree's pointers, and a
/// part that is a literal set (most) is checked in the loop, without a
/// call; the parts are checked in the same order and stop at the same
/// part as the tree's `all` and `any`, so the answer is the same.
#[derive(Default)]
struct Formulas {
    ops: Vec<u32>,
    /// Per regex: the index of its requirement's node.
    root: Vec<u32>,
}

impl Formulas {
    const SHIFT: u32 = 30;
    const SET: u32 = 0;
    const ALL: u32 = 1;
    const EITHER: u32 = 2;
    const TRUE: u32 = 3;
    const ARG: u32 = (1 << Formulas::SHIFT) - 1;

    /// A node's argument (a set's number, an index), checked to fit.
    fn arg(n: usize) -> u32 {
        assert!(
            n <= Formulas::ARG as usize,
            "over 2^30 literal sets or nodes"
        );
        n as u32
    }

    fn new(requirements: &[Compiled]) -> Formulas {
        let mut formulas = Formulas::default();
        for req in requirements {
            formulas.root.push(Formulas::arg(formulas.ops.len()));
            req.flatten(&mut formulas.ops);
        }
        formulas
    }

    /// Whether the text holds regex `regex`'s requirement
    /// ([`Compiled::holds`]).
    #[inline]
    fn holds(&self, regex: usize, found: &[u32], stamp: u32) -> bool {
        self.node_holds(self.root[regex] as usize, found, stamp)
    }

    /// Whether the text holds the node at `at`.
    fn node_holds(&self, at: usize, found: &[u32], stamp: u32) -> bool {
        let op = self.ops[at];
        let (kind, arg) = (op >> Formulas::SHIFT, (op & Formulas::ARG) as usize);
        match kind {
            Formulas::SET => found[arg] == stamp,
            Formulas::TRUE => true,
            // A conjunction fails at its first part that fails; an
            // alternative holds at its first part that holds.
            _ => {
                let all = kind == Formulas::ALL;
                let mut part = at + 1;
                while part < arg {
                    let op = self.ops[part];
                    let (kind, next) = (op >> Formulas::SHIFT, (op & Formulas::ARG) as usize);
                    let (holds, after) = match kind {
                        Formulas::SET => (found[next] == stamp, part + 1),
                        Formulas::TRUE => (true, part + 1),
                        _ => (self.node_holds(part, found, stamp), next),
                    };
                    if holds != all {
                        return holds;
                    }
                    part = after;
                }
                all
            }
        }
    }
}

/// Which regexes can match a text, from one scan for their literals.
pub struct Prefilter {
    /// Over the literals' texts (marks taken out), each text once.
    automaton: Scanner,
    /// Per automaton text: what finding it tells.
    patterns: Patterns,
    /// Per literal set: the regexes it names, those whose rarest conjunct
    /// holds it ([`Compiled::triggers`]).
    regexes_of: Vec<Vec<usize>>,
    /// The regexes whose requirement is true: they always run.
    always: Vec<usize>,
    /// Per regex, what a text must hold for it to match.
    requirements: Formulas,
    /// The same as trees, for the tests to check the array against.
    #[cfg(test)]
    trees: Vec<Compiled>,
    /// The automaton's texts, for the tests.
    #[cfg(test)]
    texts: Vec<String>,
}

/// What finding one text of the automaton tells (while the pre-filter is
/// built; a scan reads them flat, [`Patterns`]).
#[derive(Default)]
struct Pattern {
    /// The literal sets holding a literal with this text and no marks to
    /// check (most literals): found as soon as the text is.
    sets: Vec<usize>,
    /// The literals with this text and marks: what to check where the text
    /// is found, and the literal sets holding the literal.
    checked: Vec<(Vec<Check>, Vec<usize>)>,
}

/// Every text's [`Pattern`] in a few flat arrays, so that a text found
/// reads its sets from one place rather than following a `Vec` per text
/// and per checked literal (on a night those reads were cache misses,
/// `perf annotate`).
struct Patterns {
    /// Per text `t` (one more at the end): its plain sets' group (below)
    /// is `at[t].0`, its checked literals `checked[at[t].1..at[t + 1].1]`.
    at: Vec<(u32, u32)>,
    /// Per group of plain sets (one more at the end): its sets are
    /// `sets[groups[g]..groups[g + 1]]`. Texts naming the same plain sets
    /// (a word's case variants, `the ` and ` the ` in the same rules) share
    /// one group, stamped once a scan whichever of them is found first.
    groups: Vec<u32>,
    /// Each group's plain sets (literal set numbers), in turn.
    sets: Vec<u32>,
    checked: Vec<Checked>,
    /// Each checked literal's checks, in turn.
    checks: Vec<Check>,
    /// Each checked literal's sets, in turn.
    checked_sets: Vec<u32>,
}

/// A literal with marks: what to check where its text is found, and the
/// literal sets holding it (ranges of [`Patterns`]' `checks` and
/// `checked_sets`).
struct Checked {
    checks: (u32, u32),
    sets: (u32, u32),
}

impl Patterns {
    fn new(patterns: &[Pattern]) -> Patterns {
        let mut flat = Patterns {
            at: Vec::with_capacity(patterns.len() + 1),
            groups: Vec::new(),
            sets: Vec::new(),
            checked: Vec::new(),
            checks: Vec::new(),
            checked_sets: Vec::new(),
        };
        let number = |i: usize| u32::try_from(i).expect("under 2^32 entries");
        let mut group_ids: HashMap<&[usize], u32> = HashMap::default();
        for pattern in patterns {
            let group = *group_ids.entry(pattern.sets.as_slice()).or_insert_with(|| {
                flat.groups.push(number(flat.sets.len()));
                flat.sets
                    .extend(pattern.sets.iter().map(|&set| number(set)));
                number(flat.groups.len() - 1)
            });
            flat.at.push((group, number(flat.checked.len())));
            for (checks, sets) in &pattern.checked {
                let checks_from = number(flat.checks.len());
                flat.checks.extend(checks.iter().copied());
                let sets_from = number(flat.checked_sets.len());
                flat.checked_sets
                    .extend(sets.iter().map(|&set| number(set)));
                flat.checked.push(Checked {
                    checks: (checks_from, number(flat.checks.len())),
                    sets: (sets_from, number(flat.checked_sets.len())),
                });
            }
        }
        flat.at.push((NONE, number(flat.checked.len())));
        flat.groups.push(number(flat.sets.len()));
        flat
    }

    /// How many texts.
    fn len(&self) -> usize {
        self.at.len() - 1
    }

    /// How many groups of plain sets.
    fn groups(&self) -> usize {
        self.groups.len() - 1
    }

    /// Text `t`'s group of plain sets and its checked literals.
    #[inline(always)]
    fn of(&self, t: usize) -> (usize, &[Checked]) {
        let ((group, checked), (_, checked_end)) = (self.at[t], self.at[t + 1]);
        (
            group as usize,
            &self.checked[checked as usize..checked_end as usize],
        )
    }

    /// Group `g`'s plain sets.
    #[inline(always)]
    fn group(&self, g: usize) -> &[u32] {
        &self.sets[self.groups[g] as usize..self.groups[g + 1] as usize]
    }

    fn range<T>(items: &[T], (from, to): (u32, u32)) -> &[T] {
        &items[from as usize..to as usize]
    }
}

/// Scratch space for [`Prefilter::candidates`], reused from text to text
/// (and from one pre-filter to another). Each scan has its own stamp, so
/// nothing is cleared between texts: an entry holds for this text when it
/// bears this scan's stamp.
#[derive(Default)]
pub struct Scratch {
    /// This scan's stamp (one more than the last scan's).
    stamp: u32,
    /// Per literal set: stamped when the text holds one of its literals.
    found: Vec<u32>,
    /// Per regex: stamped when a set its requirement names was found.
    named: Vec<u32>,
    /// Per automaton text: stamped once every set it can name is found (a
    /// text met again then adds nothing).
    seen: Vec<u32>,
    /// Per group of plain sets ([`Patterns`]; those found with a text, no
    /// marks to check): stamped once they are found, at the first find of
    /// a text naming them: a text left pending by a failed check, or
    /// another text naming the same sets, reads only its checked literals
    /// at its later finds.
    plain: Vec<u32>,
}

impl Scratch {
    /// A new stamp for a scan, with room for `sets`, `regexes`,
    /// `patterns` and `groups` entries.
    fn start(&mut self, sets: usize, regexes: usize, patterns: usize, groups: usize) -> u32 {
        if self.stamp == u32::MAX {
            *self = Scratch::default();
        }
        self.stamp += 1;
        for (entries, len) in [
            (&mut self.found, sets),
            (&mut self.named, regexes),
            (&mut self.seen, patterns),
            (&mut self.plain, groups),
        ] {
            if entries.len() < len {
                entries.resize(len, 0);
            }
        }
        self.stamp
    }
}

/// Numbers literals and literal sets while requirements are compiled.
#[derive(Default)]
struct Numbering {
    literals: Vec<String>,
    literal_ids: HashMap<String, usize>,
    sets_of: Vec<Vec<usize>>,
    set_ids: HashMap<Vec<String>, usize>,
}

impl Prefilter {
    /// `requirements[i]` is that of regex `i` ([`Requirement::of`] its
    /// syntax, as the `regex` crate reads it).
    #[cfg(test)]
    pub fn new<'a>(requirements: impl IntoIterator<Item = &'a Requirement>) -> Prefilter {
        Prefilter::with_words(requirements, &[])
    }

    /// As `Prefilter::new`, its automaton also finding `words` (distinct,
    /// none empty: the word lists' words in the squeezed view), which
    /// [`Prefilter::candidates_and_words`] reports: the word lists' rules
    /// and the pre-filter read the same squeezed text, so one walk over it
    /// finds both. A text's finds do not depend on the other texts of an
    /// automaton (every text is found at every end), so the pre-filter's
    /// are the same with the words as without them.
    pub fn with_words<'a>(
        requirements: impl IntoIterator<Item = &'a Requirement>,
        words: &[String],
    ) -> Prefilter {
        let mut numbering = Numbering::default();
        let mut requirements: Vec<Compiled> = requirements
            .into_iter()
            .map(|req| numbering.compile(req))
            .collect();
        let mut regexes_of = vec![Vec::new(); numbering.set_ids.len()];
        let mut always = Vec::new();
        // Each literal split once: its text is costed and scanned for.
        let split: Vec<(String, Vec<Check>)> = numbering
            .literals
            .iter()
            .map(|marked| literal::split(marked))
            .collect();
        let (set_cost, held) = numbering.set_costs(split.iter().map(|(text, _)| text.as_str()));
        // A set that nearly every text holds (one of its literals is a
        // common word or a piece of two letters: `he`, `th`, ` the `, `s `)
        // is taken as held in a requirement with rarer parts: scanning for
        // it costs a find at nearly every word for a formula it seldom
        // turns down. A requirement of such sets alone is kept as it is (it
        // would run its regex on every text).
        requirements = requirements
            .into_iter()
            .map(|req| match req.held(&held) {
                Compiled::True => req,
                weaker => weaker,
            })
            .collect();
        let mut scanned = vec![false; set_cost.len()];
        for req in &requirements {
            req.each_set(&mut |set| scanned[set] = true);
        }
        for (regex, req) in requirements.iter().enumerate() {
            let mut sets = Vec::new();
            req.triggers(&set_cost, &mut sets);
            if sets.is_empty() {
                always.push(regex);
            }
            sets.sort_unstable();
            sets.dedup();
            for set in sets {
                regexes_of[set].push(regex);
            }
        }
        // After the triggers are chosen: ordering changes no answer.
        for req in &mut requirements {
            req.order(&set_cost);
        }
        let mut texts: Vec<String> = Vec::new();
        let mut text_ids: HashMap<String, usize> = HashMap::default();
        let mut patterns: Vec<Pattern> = Vec::new();
        for ((text, checks), mut sets) in split.into_iter().zip(numbering.sets_of) {
            // Only the sets some requirement still reads are scanned for.
            sets.retain(|&set| scanned[set]);
            if sets.is_empty() {
                continue;
            }
            let id = *text_ids.entry(text).or_insert_with_key(|text| {
                texts.push(text.clone());
                patterns.push(Pattern::default());
                texts.len() - 1
            });
            let pattern = &mut patterns[id];
            if checks.is_empty() {
                pattern.sets.extend(sets);
                pattern.sets.sort_unstable();
                pattern.sets.dedup();
            } else {
                pattern.checked.push((checks, sets));
            }
        }
        let mut word_of = vec![NONE; texts.len()];
        for (word, text) in words.iter().enumerate() {
            assert!(!text.is_empty(), "an empty word");
            let id = *text_ids.entry(text.clone()).or_insert_with_key(|text| {
                texts.push(text.clone());
                patterns.push(Pattern::default());
                word_of.push(NONE);
                texts.len() - 1
            });
            assert_eq!(word_of[id], NONE, "a word given twice");
            word_of[id] = u32::try_from(word).expect("under 2^32 words");
        }
        Prefilter {
            // Each find carries the word list word its text also is.
            automaton: Scanner::new(&texts, &word_of, DENSE_STATES),
            patterns: Patterns::new(&patterns),
            regexes_of,
            always,
            requirements: Formulas::new(&requirements),
            #[cfg(test)]
            trees: requirements,
            #[cfg(test)]
            texts,
        }
    }

    /// Into `out`, in order, every regex that may match somewhere in the
    /// text whose squeezed view is `squeezed`; a regex left out certainly
    /// cannot. Only the requirements named by a literal set the text holds
    /// are worked out: any other (not true) needs a set the text lacks.
    #[cfg(test)]
    pub fn candidates(&self, squeezed: &Squeezed, scratch: &mut Scratch, out: &mut Vec<usize>) {
        self.candidates_and_words(squeezed, scratch, out, |_, _, _| {});
    }

    /// [`Prefilter::candidates`], and `each_word(start, end, word)` for
    /// every find of a word given to [`Prefilter::with_words`] (its byte
    /// range in the squeezed text; every find, overlapping ones included,
    /// in order of their end, in no particular order at one end).
    pub fn candidates_and_words(
        &self,
        squeezed: &Squeezed,
        scratch: &mut Scratch,
        out: &mut Vec<usize>,
        mut each_word: impl FnMut(usize, usize, usize),
    ) {
        let stamp = scratch.start(
            self.regexes_of.len(),
            self.requirements.root.len(),
            self.patterns.len(),
            self.patterns.groups(),
        );
        let Scratch {
            found,
            named,
            seen,
            plain,
            ..
        } = scratch;
        out.clear();
        out.extend_from_slice(&self.always);
        let regexes_of = &self.regexes_of;
        // Set `set` found: the regexes it names, once each.
        let found_set = |found: &mut [u32], named: &mut [u32], set: usize, out: &mut Vec<usize>| {
            if std::mem::replace(&mut found[set], stamp) != stamp {
                for &regex in &regexes_of[set] {
                    if std::mem::replace(&mut named[regex], stamp) != stamp {
                        out.push(regex);
                    }
                }
            }
        };
        self.automaton
            .scan(squeezed.text.as_bytes(), |end, id, word| {
                if word != NONE {
                    let start = end - self.automaton.pattern_len(id);
                    each_word(start, end, word as usize);
                }
                // A text whose sets are all found adds nothing more: its
                // pattern is not read again.
                if seen[id] == stamp {
                    return;
                }
                let (group, checked) = self.patterns.of(id);
                // The plain sets once a scan: found at the first find of a
                // text naming them, nothing to add at a pending text's
                // later ones or at another text naming the same sets.
                if std::mem::replace(&mut plain[group], stamp) != stamp {
                    for &set in self.patterns.group(group) {
                        found_set(found, named, set as usize, out);
                    }
                }
                let mut pending = false;
                for literal in checked {
                    // The checks only matter while a set of the literal is
                    // still to be found.
                    let sets = Patterns::range(&self.patterns.checked_sets, literal.sets);
                    if sets.iter().all(|&set| found[set as usize] == stamp) {
                        continue;
                    }
                    let start = end - self.automaton.pattern_len(id);
                    let checks = Patterns::range(&self.patterns.checks, literal.checks);
                    if checks.iter().all(|check| check.holds(squeezed, start)) {
                        for &set in sets {
                            found_set(found, named, set as usize, out);
                        }
                    } else {
                        pending = true;
                    }
                }
                if !pending {
                    seen[id] = stamp;
                }
            });
        out.retain(|&regex| self.requirements.holds(regex, found, stamp));
        out.sort_unstable();
    }

    /// The requirements' array ([`Formulas`]) against their trees, over
    /// `rounds` random choices of the literal sets found (from one in two
    /// to one in sixteen found): how many answers were true and false
    /// alike, and the regexes whose answers differed (always none).
    #[cfg(test)]
    pub fn check_formulas(&self, rounds: u32) -> (usize, usize, Vec<usize>) {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let (mut held, mut failed, mut differ) = (0, 0, Vec::new());
        for round in 0..rounds {
            let found: Vec<u32> = (0..self.regexes_of.len())
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    u32::from((state >> 32).is_multiple_of(2 << (round % 4)))
                })
                .collect();
            for (regex, tree) in self.trees.iter().enumerate() {
                match (
                    tree.holds(&found, 1),
                    self.requirements.holds(regex, &found, 1),
                ) {
                    (true, true) => held += 1,
                    (false, false) => failed += 1,
                    _ => differ.push(regex),
                }
            }
        }
        (held, failed, differ)
    }

    /// How many regexes always run (nothing is required of a text).
    #[cfg(test)]
    pub fn always_run(&self) -> usize {
        self.always.len()
    }
}

/// The pre-filter's automaton: Aho–Corasick over the literals' texts
/// (standard semantics: every text found at every end, overlapping finds
/// included), built here rather than taken from the `aho-corasick` crate
/// so that its first states can be a table. The states are numbered
/// breadth first from the root, so the shallow states, where a walk over
/// ordinary text spends nearly all its bytes, come first: each of the
/// first [`DENSE_STATES`] has a full row of next states with its failures
/// already followed (one read a byte), and only a deeper state searches its
/// few children and falls back along its failure links, which soon reach
/// a state with a row. The crate's contiguous NFA followed failure links
/// from every state, ~3 states visited a byte; its full DFA (a row for
/// every state) was 303 MB.
///
/// What a state reports is one contiguous run of [`Out`]s (its own text
/// and those of its failure chain, with each text's tag), and a row's entry
/// says in its top bit ([`REPORTS`]) whether the state it leads to reports
/// anything: a byte after which no text ends (most bytes) reads nothing
/// but its row, and one after which texts end reads them side by side
/// rather than walking failure links through three arrays. On a night's walk
/// those arrays' reads were the scan's cache misses (`perf annotate`).
struct Scanner {
    /// Byte → class: each byte some text holds has a class of its own,
    /// every other byte class 0 (from any state, to the root).
    class: [u8; 256],
    classes: usize,
    /// How many of the first states have a row in `rows`.
    dense: usize,
    /// Row `s * classes + c`: the state after a byte of class `c` in state
    /// `s` (< `dense`), failures followed, with [`REPORTS`] set when that
    /// state reports a text.
    rows: Vec<u32>,
    /// Per state: its children are `first_child[s]..first_child[s + 1]`
    /// (breadth first, a state's children are numbered together), in
    /// order of their byte.
    first_child: Vec<u32>,
    /// Per state: the byte that leads to it from its parent.
    byte: Vec<u8>,
    /// Per state: the state of its text's longest proper suffix that is
    /// a state (the root's, the root).
    fail: Vec<u32>,
    /// Per state: what it reports is `outs[out_at[s]..out_at[s + 1]]`.
    out_at: Vec<u32>,
    /// Every text ending at each state in turn: the state's own, then those
    /// of its failure chain, nearest first.
    outs: Vec<Out>,
    /// Per text: its length in bytes.
    lens: Vec<u32>,
}

/// A text found at a state, with the tag given for it ([`Scanner::new`]).
#[derive(Clone, Copy)]
struct Out {
    text: u32,
    tag: u32,
}

/// In a row's entry, beside the next state: that state reports a text.
const REPORTS: u32 = 1 << 31;

/// No state, no text.
const NONE: u32 = u32::MAX;

/// How many of the automaton's first (shallowest) states have a full row
/// of next states: `classes` × 4 bytes each (~70 classes for the rules).
const DENSE_STATES: usize = 1 << 15;

impl Scanner {
    /// Over `texts`: distinct, none empty; `tags[t]` comes with each find
    /// of text `t`. The first `dense_states` states have rows.
    fn new(texts: &[String], tags: &[u32], dense_states: usize) -> Scanner {
        let text = |t: u32| texts[t as usize].as_bytes();
        let mut class = [0u8; 256];
        let mut classes = 1;
        for b in texts.iter().flat_map(|t| t.bytes()) {
            if class[usize::from(b)] == 0 {
                // UTF-8 never holds 0xC0, 0xC1 or 0xF5..: at most 243 bytes.
                class[usize::from(b)] = u8::try_from(classes).expect("under 256 classes");
                classes += 1;
            }
        }
        let mut order: Vec<u32> = (0..texts.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| text(a).cmp(text(b)));
        // Breadth first, a state is the range of `order` whose texts start
        // with its text, and its depth: its children split the range by
        // the next byte; a text as long as the depth ends there (sorted
        // first, being a prefix of the others).
        let mut queue: Vec<(u32, u32, u32)> = vec![(0, order.len() as u32, 0)];
        let (mut first_child, mut byte, mut text_at) = (Vec::new(), vec![0u8], Vec::new());
        let mut next = 0;
        while let Some(&(lo, hi, depth)) = queue.get(next) {
            next += 1;
            first_child.push(queue.len() as u32);
            let depth_len = depth as usize;
            let mut i = lo;
            if i < hi && text(order[i as usize]).len() == depth_len {
                text_at.push(order[i as usize]);
                i += 1;
            } else {
                text_at.push(NONE);
            }
            while i < hi {
                let b = text(order[i as usize])[depth_len];
                let start = i;
                while i < hi && text(order[i as usize])[depth_len] == b {
                    i += 1;
                }
                queue.push((start, i, depth + 1));
                byte.push(b);
            }
        }
        let states = queue.len();
        assert!(
            states < REPORTS as usize,
            "the literals' automaton fits 31-bit states"
        );
        drop(queue);
        first_child.push(states as u32);
        let dense = states.min(dense_states.max(1));
        let mut scanner = Scanner {
            class,
            classes,
            dense,
            rows: vec![0; dense * classes],
            first_child,
            byte,
            fail: vec![0; states],
            out_at: Vec::with_capacity(states + 1),
            outs: Vec::new(),
            lens: texts.iter().map(|t| t.len() as u32).collect(),
        };
        // Per state: the first state of its failure chain, itself first,
        // at which a text ends; NONE when none does.
        let mut report = vec![NONE; states];
        // In breadth-first order a state's failure (shallower) and its
        // failure's row and report come before it.
        for s in 0..states {
            let fail = scanner.fail[s] as usize;
            report[s] = if text_at[s] != NONE {
                s as u32
            } else if s == 0 {
                NONE
            } else {
                report[fail]
            };
            let children = scanner.children(s as u32);
            for child in children.clone() {
                scanner.fail[child as usize] = if s == 0 {
                    0
                } else {
                    scanner.follow(fail as u32, scanner.byte[child as usize], |c| c)
                };
            }
            if s < dense {
                let row = s * classes;
                if s != 0 {
                    scanner
                        .rows
                        .copy_within(fail * classes..fail * classes + classes, row);
                }
                for child in children {
                    let c = usize::from(scanner.class[usize::from(scanner.byte[child as usize])]);
                    scanner.rows[row + c] = child;
                }
            }
        }
        for &first in &report {
            scanner.out_at.push(scanner.outs.len() as u32);
            let mut m = first;
            while m != NONE {
                let text = text_at[m as usize];
                let tag = tags.get(text as usize).copied().unwrap_or(NONE);
                scanner.outs.push(Out { text, tag });
                m = report[scanner.fail[m as usize] as usize];
            }
        }
        scanner.out_at.push(scanner.outs.len() as u32);
        assert!(
            scanner.outs.len() < u32::MAX as usize,
            "the automaton's reports fit u32 offsets"
        );
        // Only now: the failures above were found through unmarked rows.
        for s in 0..scanner.rows.len() {
            let next = scanner.rows[s];
            scanner.rows[s] |= scanner.reports(next);
        }
        scanner
    }

    /// [`REPORTS`] when state `s` reports a text, else 0.
    #[inline(always)]
    fn reports(&self, s: u32) -> u32 {
        let s = s as usize;
        if self.out_at[s] != self.out_at[s + 1] {
            REPORTS
        } else {
            0
        }
    }

    fn children(&self, s: u32) -> std::ops::Range<u32> {
        self.first_child[s as usize]..self.first_child[s as usize + 1]
    }

    /// The state after `b` in state `s`, with [`REPORTS`] set when it
    /// reports a text (the root never does: no text is empty).
    #[inline(always)]
    fn next(&self, s: u32, b: u8) -> u32 {
        self.follow(s, b, |child| child | self.reports(child))
    }

    /// The state after `b` in state `s`: a row's entry as it is, or
    /// `child(c)` for a child `c` found by a state without a row. (While
    /// the automaton is built no row is marked yet, and `child` is the
    /// identity.)
    #[inline(always)]
    fn follow(&self, mut s: u32, b: u8, child: impl Fn(u32) -> u32) -> u32 {
        let c = usize::from(self.class[usize::from(b)]);
        if c == 0 {
            return 0;
        }
        loop {
            if (s as usize) < self.dense {
                return self.rows[s as usize * self.classes + c];
            }
            for next in self.children(s) {
                if self.byte[next as usize] == b {
                    return child(next);
                }
            }
            s = self.fail[s as usize];
        }
    }

    /// `each(end, text)` for every text found in `haystack`, ending at
    /// `end`, overlapping finds included (in no particular order at one
    /// end).
    #[inline(always)]
    fn scan(&self, haystack: &[u8], mut each: impl FnMut(usize, usize, u32)) {
        let mut s = 0;
        for (at, &b) in haystack.iter().enumerate() {
            let next = self.next(s, b);
            s = next & !REPORTS;
            if next & REPORTS != 0 {
                let (lo, hi) = (self.out_at[s as usize], self.out_at[s as usize + 1]);
                for out in &self.outs[lo as usize..hi as usize] {
                    each(at + 1, out.text as usize, out.tag);
                }
            }
        }
    }

    fn pattern_len(&self, text: usize) -> usize {
        self.lens[text] as usize
    }
}

impl Numbering {
    /// Per literal set, a guess at how often a segment holds it: the sum
    /// over its literals of [`literal_cost`]; `texts` are the literals'
    /// texts ([`literal::split`]), in the order of `self.literals`.
    /// Also, per set, whether nearly every segment holds it: one of its
    /// literals is at most one word, a common one or of two letters or
    /// fewer ([`nearly_always`]).
    fn set_costs<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> (Vec<f64>, Vec<bool>) {
        let mut cost = vec![0.0; self.set_ids.len()];
        let mut held = vec![false; self.set_ids.len()];
        let common = common_words();
        for (text, sets) in texts.into_iter().zip(&self.sets_of) {
            let lit_cost = literal_cost(text, &common);
            let always = nearly_always(text, &common);
            for &set in sets {
                cost[set] += lit_cost;
                held[set] |= always;
            }
        }
        (cost, held)
    }

    /// Number the literal sets of `req` (shared between regexes).
    fn compile(&mut self, req: &Requirement) -> Compiled {
        match req {
            Requirement::True => Compiled::True,
            Requirement::Any(set) => {
                if let Some(&id) = self.set_ids.get(set) {
                    return Compiled::Any(id);
                }
                let id = self.set_ids.len();
                for lit in set {
                    let literal = *self.literal_ids.entry(lit.clone()).or_insert_with(|| {
                        self.literals.push(lit.clone());
                        self.sets_of.push(Vec::new());
                        self.literals.len() - 1
                    });
                    self.sets_of[literal].push(id);
                }
                self.set_ids.insert(set.clone(), id);
                Compiled::Any(id)
            }
            Requirement::All(subs) => Compiled::All(subs.iter().map(|r| self.compile(r)).collect()),
            Requirement::Either(subs) => {
                Compiled::Either(subs.iter().map(|r| self.compile(r)).collect())
            }
        }
    }
}

impl Requirement {
    /// What every match of `hir` holds.
    pub fn of(hir: &Hir) -> Requirement {
        Extractor::default().requirement(hir)
    }

    /// One of `set` occurs; true when a string of it is too short to scan for.
    fn any(set: Vec<String>) -> Requirement {
        if set.is_empty() || set.iter().any(|s| literal::text_len(s) < MIN_LITERAL) {
            Requirement::True
        } else {
            Requirement::Any(minimal(set))
        }
    }

    fn all(subs: impl IntoIterator<Item = Requirement>) -> Requirement {
        let mut out = Vec::new();
        for r in subs {
            match r {
                Requirement::True => {}
                Requirement::All(inner) => out.extend(inner),
                r if out.contains(&r) => {}
                r => out.push(r),
            }
        }
        match out.len() {
            0 => Requirement::True,
            1 => out.pop().expect("one"),
            _ => Requirement::All(out),
        }
    }

    fn either(subs: impl IntoIterator<Item = Requirement>) -> Requirement {
        let mut out = Vec::new();
        for r in subs {
            match r {
                Requirement::True => return Requirement::True,
                Requirement::Either(inner) => out.extend(inner),
                r => out.push(r),
            }
        }
        // Branches that are plain literal sets merge into one set.
        let (sets, mut rest): (Vec<_>, Vec<_>) = out
            .into_iter()
            .partition(|r| matches!(r, Requirement::Any(_)));
        let merged: Vec<String> = sets
            .into_iter()
            .flat_map(|r| match r {
                Requirement::Any(set) => set,
                _ => unreachable!("partitioned on Any"),
            })
            .collect();
        if !merged.is_empty() {
            rest.push(Requirement::Any(minimal(merged)));
        }
        match rest.len() {
            0 => Requirement::True,
            1 => rest.pop().expect("one"),
            _ => Requirement::Either(rest),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Side {
    Start,
    End,
}

/// A set of literals, shared between the callers that ask for it.
type Set = Rc<Vec<String>>;

/// Works out requirements over one syntax tree, remembering each node's
/// fixed strings and affixes by the node's address (the tree is borrowed,
/// unchanged, for the extractor's life): every level of a nested
/// concatenation asks for them again.
#[derive(Default)]
struct Extractor {
    exact: HashMap<*const Hir, Option<Set>>,
    affixes: HashMap<(*const Hir, Side), Set>,
}

impl Extractor {
    /// What every match of `hir` holds.
    fn requirement(&mut self, hir: &Hir) -> Requirement {
        if let Some(set) = self.exact(hir) {
            return Requirement::any(set.to_vec());
        }
        match hir.kind() {
            HirKind::Capture(cap) => self.requirement(&cap.sub),
            HirKind::Repetition(rep) if rep.min >= 1 => match self.exact(&rep.sub) {
                Some(set) => Requirement::any(power(&set, rep.min).unwrap_or(set.to_vec())),
                None => self.requirement(&rep.sub),
            },
            HirKind::Alternation(subs) => {
                let reqs: Vec<Requirement> = subs.iter().map(|s| self.requirement(s)).collect();
                Requirement::either(reqs)
            }
            HirKind::Concat(subs) => self.in_concat(subs),
            _ => Requirement::True,
        }
    }

    /// In a concatenation, every match is a match of each part in turn, so
    /// it meets every part's requirement. Besides, walking the parts, `run`
    /// holds strings one of which every match contains ending exactly where
    /// the current part's match ends: a part with a finite language extends
    /// it; any other part ends it — the run followed by the part's possible
    /// beginnings is required too — and starts a new one from the part's
    /// possible endings. Runs join short pieces (`i`, `'?`, `ll`) into
    /// literals worth scanning for (`ill`, `i'll`).
    fn in_concat(&mut self, subs: &[Hir]) -> Requirement {
        let mut parts: Vec<Requirement> = Vec::new();
        let mut run: Vec<String> = vec![String::new()];
        for (at, sub) in subs.iter().enumerate() {
            match self.exact(sub) {
                Some(set) => {
                    run = product(&run, &set).unwrap_or_else(|| {
                        parts.push(Requirement::any(std::mem::take(&mut run)));
                        set.to_vec()
                    });
                }
                None => {
                    let into = product(&run, &self.affixes(sub, Side::Start)).unwrap_or(run);
                    parts.push(Requirement::any(into));
                    parts.push(self.requirement(sub));
                    if let Some(after) = subs.get(at + 1).and_then(|next| self.exact(next)) {
                        parts.push(self.branches_then(sub, &after));
                    }
                    run = self.affixes(sub, Side::End).to_vec();
                }
            }
        }
        parts.push(Requirement::any(run));
        Requirement::all(parts)
    }

    /// What every match of `hir` followed by one of `after` (the fixed
    /// strings of the next part of a concatenation) holds, branch by branch
    /// when `hir` is an alternation: `(A|B) C` matches `A C` or `B C`. An
    /// alternation with one branch of unknown ending (`excuse\s+for\s+\w+`)
    /// has no fixed endings as a whole, so the run after it starts afresh and
    /// the word edge after a list of insults is lost (`rat` is then required
    /// bare, and found in `rather`); each finite branch joined with what
    /// follows keeps it (`rat\b`). True for anything but an alternation (the
    /// concatenation already requires the rest).
    fn branches_then(&mut self, hir: &Hir, after: &[String]) -> Requirement {
        match hir.kind() {
            HirKind::Capture(cap) => self.branches_then(&cap.sub, after),
            HirKind::Alternation(branches) => {
                let reqs: Vec<Requirement> = branches
                    .iter()
                    .map(|branch| match self.exact(branch) {
                        Some(set) => Requirement::any(product(&set, after).unwrap_or(set.to_vec())),
                        None => {
                            let ends = self.affixes(branch, Side::End);
                            let ends = product(&ends, after).unwrap_or(ends.to_vec());
                            Requirement::all([self.requirement(branch), Requirement::any(ends)])
                        }
                    })
                    .collect();
                Requirement::either(reqs)
            }
            _ => Requirement::True,
        }
    }

    /// Every string `hir` can match, squeezed and marked, when that set is
    /// finite and small.
    fn exact(&mut self, hir: &Hir) -> Option<Set> {
        if let Some(one) = single(hir) {
            return one.map(|s| Rc::new(vec![s]));
        }
        let key: *const Hir = hir;
        if let Some(known) = self.exact.get(&key) {
            return known.clone();
        }
        let set = self.work_out_exact(hir).map(Rc::new);
        self.exact.insert(key, set.clone());
        set
    }

    fn work_out_exact(&mut self, hir: &Hir) -> Option<Vec<String>> {
        match hir.kind() {
            HirKind::Empty => Some(vec![String::new()]),
            // A Unicode word boundary is an edge (every word boundary is
            // one); other looks say nothing the squeezed view can check.
            HirKind::Look(Look::WordUnicode | Look::WordStartUnicode | Look::WordEndUnicode) => {
                Some(vec![EDGE.to_string()])
            }
            HirKind::Look(_) => Some(vec![String::new()]),
            HirKind::Literal(lit) => {
                let text = std::str::from_utf8(&lit.0).ok()?;
                Some(vec![literal::from_text(text)?])
            }
            HirKind::Class(class) => class_strings(class),
            HirKind::Capture(cap) => self.exact(&cap.sub).map(|set| set.to_vec()),
            HirKind::Repetition(rep) => {
                let sub = self.exact(&rep.sub)?;
                let Some(max) = rep.max else {
                    // `a+`, `a{2,}`, `\s+`: any run of one letter squeezes
                    // to the letter, marked with the least run.
                    let [one] = &sub[..] else { return None };
                    let (letter, run) = literal::one_run(one)?;
                    return Some(match rep.min {
                        0 => vec![String::new(), one.clone()],
                        n => vec![literal::run(letter, run * n as usize)],
                    });
                };
                let mut out = Vec::new();
                let mut power = vec![String::new()];
                for k in 0..=max {
                    if k >= rep.min {
                        out.extend(power.iter().cloned());
                    }
                    if k < max {
                        power = product(&power, &sub)?;
                    }
                    if out.len() > MAX_SET {
                        return None;
                    }
                }
                Some(dedup(out))
            }
            HirKind::Concat(subs) => {
                let mut out = vec![String::new()];
                for sub in subs {
                    match single(sub) {
                        // One string: joined onto each in place (the
                        // letters of a list word), no set built.
                        Some(one) => {
                            let one = one?;
                            for s in &mut out {
                                literal::join_onto(s, &one);
                            }
                            if out.len() > 1 {
                                out = dedup(out);
                            }
                        }
                        None => out = product(&out, &self.exact(sub)?)?,
                    }
                }
                Some(out)
            }
            HirKind::Alternation(subs) => {
                let mut out = Vec::new();
                for sub in subs {
                    out.extend(self.exact(sub)?.iter().cloned());
                    if out.len() > MAX_SET {
                        return None;
                    }
                }
                Some(dedup(out))
            }
        }
    }

    /// Strings one of which every match of `hir` starts (or ends) with;
    /// `[""]` when nothing is known, which is always true.
    fn affixes(&mut self, hir: &Hir, side: Side) -> Set {
        if let Some(set) = self.exact(hir) {
            return set;
        }
        let key = (hir as *const Hir, side);
        if let Some(known) = self.affixes.get(&key) {
            return known.clone();
        }
        let set = Rc::new(self.work_out_affixes(hir, side));
        self.affixes.insert(key, set.clone());
        set
    }

    fn work_out_affixes(&mut self, hir: &Hir, side: Side) -> Vec<String> {
        let unknown = || vec![String::new()];
        match hir.kind() {
            HirKind::Capture(cap) => self.affixes(&cap.sub, side).to_vec(),
            HirKind::Repetition(rep) if rep.min >= 1 => match self.exact(&rep.sub) {
                Some(set) => power(&set, rep.min).unwrap_or(set.to_vec()),
                None => self.affixes(&rep.sub, side).to_vec(),
            },
            HirKind::Alternation(subs) => {
                let mut out = Vec::new();
                for sub in subs {
                    out.extend(self.affixes(sub, side).iter().cloned());
                    if out.len() > MAX_SET {
                        return unknown();
                    }
                }
                dedup(out)
            }
            HirKind::Concat(subs) => {
                let mut out = vec![String::new()];
                let mut parts: Vec<&Hir> = subs.iter().collect();
                if side == Side::End {
                    parts.reverse();
                }
                for sub in parts {
                    let (set, last) = match self.exact(sub) {
                        Some(set) => (set, false),
                        None => (self.affixes(sub, side), true),
                    };
                    let joined = match side {
                        Side::Start => product(&out, &set),
                        Side::End => product(&set, &out),
                    };
                    match joined {
                        Some(j) => out = j,
                        None => break,
                    }
                    if last {
                        break;
                    }
                }
                out
            }
            _ => unknown(),
        }
    }
}

/// [`Extractor::exact`] of a leaf that matches one string at most — a
/// literal, a look, a run of one letter (`a+`, `s{2,}`) — worked out
/// straight from the node: these are most nodes of the rules (every letter
/// of a spliced list word is a run), and a set, a shared pointer and a memo
/// entry for each cost more than the string. `None` for any other node;
/// `Some(None)` where the leaf has no exact set.
fn single(hir: &Hir) -> Option<Option<String>> {
    let literal = |hir: &Hir| match hir.kind() {
        HirKind::Literal(lit) => Some(
            std::str::from_utf8(&lit.0)
                .ok()
                .and_then(literal::from_text),
        ),
        _ => None,
    };
    Some(match hir.kind() {
        HirKind::Empty => Some(String::new()),
        HirKind::Look(Look::WordUnicode | Look::WordStartUnicode | Look::WordEndUnicode) => {
            Some(EDGE.to_string())
        }
        HirKind::Look(_) => Some(String::new()),
        HirKind::Literal(_) => literal(hir)?,
        // As `work_out_exact` reads `a+`, `a{2,}` (not `a*`: two strings).
        HirKind::Repetition(rep) if rep.max.is_none() && rep.min >= 1 => {
            let one = literal(&rep.sub)?;
            one.as_deref()
                .and_then(literal::one_run)
                .map(|(letter, run)| literal::run(letter, run * rep.min as usize))
        }
        _ => return None,
    })
}

/// The commonest English words (and a council's mail's), squeezed as the
/// literals are: a literal made of them is found in most segments.
const COMMON_WORDS: &str = "a about after again all also am an and any are as at be because been \
    before being but by can could council day did do does don't done for from get go going got had \
    has have he her here him his how i i'm if in into is it it's just know last like make me more \
    most my need no not now of on one only or other our out over please said same say see she so \
    some still such take than thank thanks that the their them then there these they this those \
    time to told too up us very want was way we week well were what when where which who why will \
    with would year yes you your";

/// [`COMMON_WORDS`], squeezed.
fn common_words() -> HashSet<String> {
    COMMON_WORDS
        .split_whitespace()
        .filter_map(literal::from_text)
        .map(|word| literal::split(&word).0)
        .collect()
}

/// A guess at how often a segment holds a literal whose text (marks
/// aside, [`literal::split`]) is `text`: about
/// one in four for each letter of a word that is not a common one (a
/// word cut short at the literal's ends counts as common when it has two
/// letters or fewer), a literal of common words alone about always.
fn literal_cost(text: &str, common: &HashSet<String>) -> f64 {
    let text = lowered(text);
    let uncommon: usize = words_of(&text)
        .filter(|word| word.chars().count() > 2 && !common.contains(*word))
        .map(|word| word.chars().count())
        .sum();
    0.25f64.powi(uncommon.min(64) as i32)
}

/// `text` lower-cased, as [`common_words`] are; the rules' text is folded
/// already, so this is nearly always the text itself, not a copy.
fn lowered(text: &str) -> std::borrow::Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.to_lowercase())
    }
}

/// The words of a literal's text, as [`literal_cost`] and
/// [`nearly_always`] weigh them (letters, digits and apostrophes).
fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|word| !word.is_empty())
}

/// Whether nearly every segment holds a literal whose text (marks aside)
/// is `text`: at most one word, and that a common one or of two letters
/// or fewer (`he`, `th`, ` the `, `s `, `. `). Such texts are also the
/// automaton's most found, at nearly every word.
fn nearly_always(text: &str, common: &HashSet<String>) -> bool {
    let mut words = words_of(text);
    match (words.next(), words.next()) {
        (None, _) => true,
        (Some(word), None) => word.chars().count() <= 2 || common.contains(&*lowered(word)),
        _ => false,
    }
}

/// Every string of `set` repeated `n` times over (`n` ≥ 1), if not too many.
fn power(set: &[String], n: u32) -> Option<Vec<String>> {
    (1..n).try_fold(set.to_vec(), |acc, _| product(&acc, set))
}

/// Every string of `a` followed by every string of `b` (squeezed, runs
/// joined), if not too many.
fn product(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() * b.len() > MAX_SET {
        return None;
    }
    if let [only] = a {
        if only.is_empty() {
            return Some(dedup(b.to_vec()));
        }
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            out.push(literal::join(x, y));
        }
    }
    Some(dedup(out))
}

/// The characters of a small class as the squeezed view shows them (all
/// white space as a space), each as a string.
fn class_strings(class: &Class) -> Option<Vec<String>> {
    let chars: Vec<char> = match class {
        Class::Unicode(c) => c
            .ranges()
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .take(MAX_CLASS_READ + 1)
            .collect(),
        Class::Bytes(c) => c
            .ranges()
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .take(MAX_CLASS_READ + 1)
            .map(|b| b.is_ascii().then_some(char::from(b)))
            .collect::<Option<_>>()?,
    };
    if chars.len() > MAX_CLASS_READ {
        return None;
    }
    let set = chars
        .into_iter()
        .map(|c| literal::from_text(c.encode_utf8(&mut [0; 4])))
        .collect::<Option<Vec<String>>>()?;
    let set = dedup(set);
    (set.len() <= MAX_CLASS).then_some(set)
}

/// `set` less every string that holds another of it: where it occurs, the
/// other does too (marks included: a literal's marks are about the
/// characters next to them), so "one of them occurs" means the same,
/// scanned for less. Shortest first, each string's substrings of a kept
/// length are looked up among those kept.
fn minimal(mut set: Vec<String>) -> Vec<String> {
    if set.len() <= 1 {
        return set;
    }
    set.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    set.dedup();
    let mut kept: HashSet<String> =
        HashSet::with_capacity_and_hasher(set.len(), Default::default());
    let mut kept_lens: Vec<usize> = Vec::new();
    // The first bytes of the strings kept: only a position holding one can
    // start a kept string, so most positions are passed over unhashed.
    let mut starts = [false; 256];
    for s in set {
        // A kept string as long as `s` is another string (deduplicated).
        let shorter = kept_lens.partition_point(|&len| len < s.len());
        let bytes = s.as_bytes();
        // The empty string, kept, is in every other.
        let holds_kept = kept_lens[..shorter].first() == Some(&0)
            || (0..bytes.len())
                .filter(|&at| starts[usize::from(bytes[at])])
                .any(|at| {
                    kept_lens[..shorter]
                        .iter()
                        .any(|&len| s.get(at..at + len).is_some_and(|part| kept.contains(part)))
                });
        if !holds_kept {
            if kept_lens.last() != Some(&s.len()) {
                kept_lens.push(s.len());
            }
            if let Some(&first) = bytes.first() {
                starts[usize::from(first)] = true;
            }
            kept.insert(s);
        }
    }
    let mut kept: Vec<String> = kept.into_iter().collect();
    kept.sort_unstable();
    kept
}

fn dedup(mut set: Vec<String>) -> Vec<String> {
    set.sort_unstable();
    set.dedup();
    set
}

#[cfg(test)]
mod tests {
    use super::super::normalize::Normalizer;
    use super::*;

    /// The requirement of `pattern`, its literals written with
    /// [`literal::show`] (`\b` an edge, `{n}` a run).
    fn requirement(pattern: &str) -> Requirement {
        fn shown(req: Requirement) -> Requirement {
            match req {
                Requirement::True => Requirement::True,
                Requirement::Any(set) => {
                    Requirement::Any(set.iter().map(|l| literal::show(l)).collect())
                }
                Requirement::All(subs) => Requirement::All(subs.into_iter().map(shown).collect()),
                Requirement::Either(subs) => {
                    Requirement::Either(subs.into_iter().map(shown).collect())
                }
            }
        }
        shown(Requirement::of(&regex_syntax::parse(pattern).unwrap()))
    }

    fn any(words: &[&str]) -> Requirement {
        Requirement::Any(words.iter().map(|w| w.to_string()).collect())
    }

    #[test]
    fn every_part_of_a_match_and_either_branch_is_required() {
        assert_eq!(
            requirement(r"\b(?:she|they)\s+said\b"),
            any(&[r"\bshe said\b", r"\bthey said\b"]),
            "white space of any length is one space; word edges are kept"
        );
        assert_eq!(
            requirement(r"(?:he|she)\s+said"),
            any(&["he said"]),
            "where `she said` occurs, so does `he said`"
        );
        assert_eq!(
            requirement(r"\b(?:he|she)\s+said"),
            any(&[r"\bhe said", r"\bshe said"]),
            "but not `he said` at a word edge"
        );
        assert_eq!(
            requirement(r"\b(?:kill|hurt)\s+(?:you|\w+)"),
            any(&[r"\bhurt ", r"\bkil{2} "]),
            "literals are squeezed: kill is kil, with a run of two l"
        );
        assert_eq!(
            requirement(r"i'?ll\s+burn"),
            any(&["i'l{2} burn", "il{2} burn"])
        );
        assert_eq!(
            requirement(r"kill\s+you|burn\w*"),
            any(&["burn", "kil{2} you"])
        );
        assert_eq!(
            requirement(r"\bkill[\s,]+you"),
            Requirement::All(vec![
                any(&[r"\bkil{2} ", r"\bkil{2},"]),
                any(&[" you", ",you"])
            ])
        );
        // Elastic list words are plain words in the squeezed view, with
        // their least runs.
        assert_eq!(requirement(r"a+s{2,}"), any(&["as{2}"]));
        assert_eq!(requirement(r"s{2}a+s+"), any(&["s{2}as"]));
        assert_eq!(requirement(r"bo{2,}o+"), any(&["bo{3}"]), "runs add up");
        assert_eq!(
            requirement(r"\b(?:f+u+c+k+|sod)\s+off"),
            any(&[r"\bfuck of{2}", r"\bsod of{2}"])
        );
        // (?i) expands to every case the regex crate matches, long s included.
        let ci = requirement(r"(?i)gas");
        assert!(
            matches!(&ci, Requirement::Any(set) if set.len() == 12 && set.contains(&"gAs".to_string()) && set.contains(&"gaſ".to_string())),
            "{ci:?}"
        );
    }

    /// Whether `pre` lets any regex run on `text`.
    fn may_match(pre: &Prefilter, text: &str) -> bool {
        let mut out = Vec::new();
        let squeezed = Normalizer::default().normalize(text, 0).squeeze();
        pre.candidates(&squeezed, &mut Scratch::default(), &mut out);
        !out.is_empty()
    }

    #[test]
    fn a_word_edge_after_an_alternation_is_kept_branch_by_branch() {
        // The last branch's ending is unknown, so the alternation as a whole
        // has no fixed endings; each finite branch still keeps its edge.
        let pattern = r"\byou\s+(?:rat|cheat|excuse\s+for\s+\w+)\b";
        let pre = Prefilter::new([&Requirement::of(&regex_syntax::parse(pattern).unwrap())]);
        let re = regex::Regex::new(pattern).unwrap();
        for (text, passes) in [
            ("you rat", true),
            ("you rat!", true),
            ("you cheat", true),
            ("you excuse for a", true),
            ("you rather", false),
            ("you cheated", false),
            ("you separate", false),
        ] {
            assert_eq!(may_match(&pre, text), passes, "{text:?}");
            assert!(
                passes || !re.is_match(text),
                "{text:?} matches: the test is wrong"
            );
        }
    }

    #[test]
    fn a_regex_is_named_only_by_its_rarest_part() {
        let pattern = r"\byou\b.*\b(?:idiot|moron)\b";
        let req = Requirement::of(&regex_syntax::parse(pattern).unwrap());
        let mut numbering = Numbering::default();
        let compiled = numbering.compile(&req);
        let mut triggers = Vec::new();
        let texts: Vec<String> = numbering
            .literals
            .iter()
            .map(|marked| literal::split(marked).0)
            .collect();
        let (set_cost, _) = numbering.set_costs(texts.iter().map(String::as_str));
        compiled.triggers(&set_cost, &mut triggers);
        let named_by: Vec<Vec<String>> = numbering
            .set_ids
            .iter()
            .filter(|(_, id)| triggers.contains(id))
            .map(|(set, _)| set.iter().map(|l| literal::show(l)).collect())
            .collect();
        assert_eq!(
            named_by,
            vec![vec![r"\bidiot\b".to_string(), r"\bmoron\b".to_string()]],
            "named by the insults, not by `you`: {req:?}"
        );
        let pre = Prefilter::new([&req]);
        for (text, passes) in [
            ("you idiot", true),
            ("you, you utter moron", true),
            ("you and you", false),
            // `you`, a common word, is taken as held beside the insults:
            // not scanned for, it turns nothing down.
            ("idiot", true),
            ("idiotic of you", false),
        ] {
            assert_eq!(may_match(&pre, text), passes, "{text:?}");
        }
    }

    /// A set nearly every text holds (a common word, two letters) is not
    /// scanned for beside rarer parts; a requirement of such sets alone is
    /// kept, so that its regex does not run on every text; and a regex
    /// still runs wherever it matches.
    #[test]
    fn a_set_nearly_every_text_holds_is_taken_as_held_beside_rarer_parts() {
        let patterns = [
            r"\b(?:he|she)\b.*\bmurder\w*",
            r"\bth(?:ey|em)\b",
            r"\b(?:kill|hurt)\s+\w+\s+with\s+an?\s+(?:knife|axe)\b",
        ];
        let pre = prefilter_of(&patterns);
        let scanned: Vec<&str> = pre.texts.iter().map(String::as_str).collect();
        assert!(
            !scanned.contains(&"he") && !scanned.contains(&"she"),
            "{scanned:?}"
        );
        assert!(scanned.contains(&"murder"), "{scanned:?}");
        assert!(scanned.contains(&"they"), "kept alone: {scanned:?}");
        let regexes: Vec<regex::Regex> = patterns
            .iter()
            .map(|p| regex::Regex::new(p).unwrap())
            .collect();
        let mut may = candidates_with(&pre);
        for text in [
            "he said he would murder them",
            "murdered, she said",
            "they murder",
            "the murderer",
            "kill him with a knife",
            "hurt her with an axe!",
            "them",
            "theyre",
            "nothing at all",
        ] {
            let may = may(text);
            for (i, re) in regexes.iter().enumerate() {
                if re.is_match(text) {
                    assert!(
                        may.contains(&i),
                        "{text:?} matches {} but was filtered",
                        patterns[i]
                    );
                }
            }
        }
        assert_eq!(may("the murderer"), vec![0], "no `he` needed");
        assert_eq!(may("nothing at all"), Vec::<usize>::new());
        assert_eq!(may("theyre"), Vec::<usize>::new(), "`they` still checked");
    }

    #[test]
    fn nothing_is_required_where_a_match_needs_no_fixed_text() {
        assert_eq!(requirement(r"\w+"), Requirement::True);
        assert_eq!(requirement(r"(?:kill)?\s+"), Requirement::True);
        assert_eq!(requirement(r"kill|\w{3}"), Requirement::True);
        assert_eq!(requirement(r"(?:ab)*"), Requirement::True);
        assert_eq!(
            requirement(r"u|r\s+"),
            Requirement::True,
            "one-letter literals are not scanned for"
        );
        assert_eq!(
            requirement(r"\bu\b"),
            Requirement::True,
            "nor are they with their edges"
        );
        assert_eq!(
            requirement("\u{E000}kill"),
            Requirement::True,
            "text that holds a mark character is not a literal"
        );
    }

    /// The pre-filter of a few regex patterns, as the rules' loader builds it.
    fn prefilter_of(patterns: &[&str]) -> Prefilter {
        let requirements: Vec<Requirement> = patterns
            .iter()
            .map(|p| Requirement::of(&regex_syntax::parse(p).unwrap()))
            .collect();
        Prefilter::new(&requirements)
    }

    /// The regexes `pre` lets run on a text, normalised and squeezed as
    /// a segment is, one scratch kept across calls as a scan keeps it.
    fn candidates_with(pre: &Prefilter) -> impl FnMut(&str) -> Vec<usize> + '_ {
        let normalizer = Normalizer::default();
        let mut scratch = Scratch::default();
        move |text: &str| {
            let mut out = Vec::new();
            let squeezed = normalizer.normalize(text, 0).squeeze();
            pre.candidates(&squeezed, &mut scratch, &mut out);
            out
        }
    }

    #[test]
    fn a_regex_is_skipped_only_where_it_cannot_match() {
        let patterns = [
            r"\bkill\s+you\b",
            r"\w+ing\b",
            r"(?:burn|torch)\s+(?:it|the\s+\w+)",
            r"\b(?:f+u+c+k+|sod)\s+(?:off|you)\b",
            r"\s+",
            r"\b(?:a+s{2,}|twit)\b",
            r"\bclass\w*",
        ];
        let pre = prefilter_of(&patterns);
        assert_eq!(pre.always_run(), 1, "only \\s+ needs no fixed text");
        let regexes: Vec<regex::Regex> = patterns
            .iter()
            .map(|p| regex::Regex::new(p).unwrap())
            .collect();
        let mut may = candidates_with(&pre);
        let mut may = |text: &str| {
            let out = may(text);
            (0..patterns.len())
                .map(|i| out.contains(&i))
                .collect::<Vec<bool>>()
        };
        for text in [
            "i will kill you",
            "plain words here",
            "torch the shed and skill you",
            "burnt",
            "singing",
            "fuuuck off",
            "sod you",
            "kill \u{2003}\n\t you",
            "",
            "you ass",
            "aasss",
            "as it was, the clas",
            "classes, asses, sass",
            "ass",
            "ass!",
            "a twit",
            "twits",
            "class",
        ] {
            let may = may(text);
            for (i, re) in regexes.iter().enumerate() {
                if re.is_match(text) {
                    assert!(may[i], "{text:?} matches {} but was filtered", patterns[i]);
                }
            }
        }
        assert_eq!(
            may("plain words here"),
            vec![false, false, false, false, true, false, false]
        );
        assert_eq!(
            may("kill nobody, burn it"),
            vec![false, false, true, false, true, false, false],
            "kill needs a you"
        );
        assert_eq!(
            may("as it was, the clas, skill you"),
            vec![false, false, false, false, true, false, false],
            "as with one s, clas with one s, kil not at a word edge"
        );
        assert_eq!(
            may("classes, asses, sass"),
            vec![false, false, false, false, true, false, true],
            "ass never stands alone"
        );
    }

    /// Texts naming the same plain sets share a group, stamped at the
    /// first find of any of them: a case variant found alone still names
    /// its regexes, and a regex needing two sets is still turned down
    /// where only one of them is found.
    #[test]
    fn texts_naming_the_same_sets_are_stamped_as_a_group() {
        let patterns = [
            r"(?i)\bgas\s+you",
            r"(?i)gas",
            r"(?i)gas|fire",
            r"the\s+shed",
        ];
        let pre = prefilter_of(&patterns);
        assert!(
            pre.patterns.groups() < pre.patterns.len(),
            "the case variants of gas share a group"
        );
        let mut may = candidates_with(&pre);
        assert_eq!(may("GaS"), vec![1, 2]);
        assert_eq!(may("gAs gaS GAS"), vec![1, 2]);
        assert_eq!(may("gas you"), vec![0, 1, 2]);
        assert_eq!(may("fire the shed"), vec![2, 3]);
        assert_eq!(may("nothing"), Vec::<usize>::new());
        assert_eq!(may("Gas, gas you, the shed"), vec![0, 1, 2, 3]);
    }

    /// Every (end, text) the crate's overlapping search finds, as
    /// [`Scanner::scan`] finds them: texts sharing prefixes and suffixes,
    /// more states than have rows (a small `dense` for the test), bytes no
    /// text holds, multi-byte characters.
    #[test]
    fn the_scanner_finds_what_aho_corasick_finds() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let alphabet = ["a", "b", "c", " ", "é", "ab"];
        let pick = |len: usize, next: &mut dyn FnMut(usize) -> usize| {
            (0..len)
                .map(|_| alphabet[next(alphabet.len())])
                .collect::<String>()
        };
        for round in 0..40 {
            let mut texts: Vec<String> = (0..1 + round * 5)
                .map(|_| {
                    let len = 1 + next(6);
                    pick(len, &mut next)
                })
                .filter(|t| t.len() >= MIN_LITERAL)
                .collect();
            texts.sort();
            texts.dedup();
            let tags: Vec<u32> = (0..texts.len() as u32).map(|t| t * 3).collect();
            // Every other round, a row for the root alone: the sparse
            // states' walk.
            let dense = if round % 2 == 1 { 1 } else { DENSE_STATES };
            let scanner = Scanner::new(&texts, &tags, dense);
            let ac = aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::Standard)
                .build(&texts)
                .unwrap();
            for _ in 0..20 {
                let len = next(40);
                let haystack = pick(len, &mut next) + if next(3) == 0 { "xyz" } else { "" };
                let mut want: Vec<(usize, usize)> = ac
                    .find_overlapping_iter(&haystack)
                    .map(|m| (m.end(), m.pattern().as_usize()))
                    .collect();
                let mut got = Vec::new();
                scanner.scan(haystack.as_bytes(), |end, text, tag| {
                    assert_eq!(scanner.pattern_len(text), texts[text].len());
                    assert_eq!(tag, tags[text]);
                    got.push((end, text))
                });
                want.sort_unstable();
                got.sort_unstable();
                assert_eq!(got, want, "{texts:?} in {haystack:?}");
            }
        }
    }
}
