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
//! substring of the squeezed text. [`Prefilter`] puts the literals of all
//! regexes into one aho-corasick automaton, scans a squeezed text once, and
//! says which regexes can match in the text at all: a regex whose requirement
//! the text does not meet cannot match there, so skipping it changes nothing.
//! Where nothing is known (a part like `\w+` needs no fixed text) the
//! requirement is simply true, and a regex whose whole requirement is true
//! always runs.
//!
//! The formulas are exact, not a guess: they come from the same syntax tree
//! the `regex` crate compiles, case-insensitive letters are expanded into
//! their cases, and a literal set too large to build is dropped (made true)
//! rather than trimmed.

use super::normalize::{continues_run, squeeze_str, squeezed_concat};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_syntax::hir::{Class, Hir, HirKind};
use std::collections::HashMap;

/// The most strings a set may hold while it is built (case expansions and
/// alternations multiply); a larger one is given up.
const MAX_SET: usize = 256;
/// The most characters of a class expanded into single-character strings.
const MAX_CLASS: usize = 8;
/// The most characters of a class read to find them: `\s` has 25, all one
/// space in the squeezed view.
const MAX_CLASS_READ: usize = 32;
/// Shorter literals (in bytes) are not worth scanning for (nearly every
/// text holds them): a set holding one is dropped from a requirement.
const MIN_LITERAL: usize = 2;

/// What fixed text every match of a regex holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Requirement {
    /// Nothing known: any text may match.
    True,
    /// At least one of these literals occurs (squeezed).
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
    /// Every literal set this names, into `out`.
    fn sets(&self, out: &mut Vec<usize>) {
        match self {
            Compiled::True => {}
            Compiled::Any(set) => out.push(*set),
            Compiled::All(subs) | Compiled::Either(subs) => {
                subs.iter().for_each(|r| r.sets(out));
            }
        }
    }

    fn holds(&self, found: &[bool]) -> bool {
        match self {
            Compiled::True => true,
            Compiled::Any(set) => found[*set],
            Compiled::All(subs) => subs.iter().all(|r| r.holds(found)),
            Compiled::Either(subs) => subs.iter().any(|r| r.holds(found)),
        }
    }
}

/// Which regexes can match a text, from one scan for their literals.
pub struct Prefilter {
    automaton: AhoCorasick,
    /// Per automaton pattern (literal): the literal sets holding it.
    sets_of: Vec<Vec<usize>>,
    /// Per literal set: the regexes whose requirement names it.
    regexes_of: Vec<Vec<usize>>,
    /// The regexes whose requirement is true: they always run.
    always: Vec<usize>,
    /// Per regex, what a text must hold for it to match.
    requirements: Vec<Compiled>,
}

/// Scratch space for [`Prefilter::candidates`], reused from text to text.
#[derive(Default)]
pub struct Scratch {
    /// Per literal set: whether the text holds one of its literals.
    found: Vec<bool>,
    /// Per regex: whether a set its requirement names was found.
    named: Vec<bool>,
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
    pub fn new<'a>(requirements: impl IntoIterator<Item = &'a Requirement>) -> Prefilter {
        let mut numbering = Numbering::default();
        let requirements: Vec<Compiled> = requirements
            .into_iter()
            .map(|req| numbering.compile(req))
            .collect();
        let mut regexes_of = vec![Vec::new(); numbering.set_ids.len()];
        let mut always = Vec::new();
        for (regex, req) in requirements.iter().enumerate() {
            let mut sets = Vec::new();
            req.sets(&mut sets);
            if sets.is_empty() {
                always.push(regex);
            }
            sets.sort_unstable();
            sets.dedup();
            for set in sets {
                regexes_of[set].push(regex);
            }
        }
        let literals = &numbering.literals;
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(literals)
            .or_else(|_| AhoCorasick::builder().build(literals))
            .expect("an automaton over plain literals builds");
        Prefilter {
            automaton,
            sets_of: numbering.sets_of,
            regexes_of,
            always,
            requirements,
        }
    }

    /// Into `out`, in order, every regex that may match somewhere in the
    /// text whose squeezed view is `squeezed`; a regex left out certainly
    /// cannot. Only the requirements that name a literal set the text holds
    /// are worked out: any other (not true) needs a set the text lacks.
    pub fn candidates(&self, squeezed: &str, scratch: &mut Scratch, out: &mut Vec<usize>) {
        let Scratch { found, named } = scratch;
        found.clear();
        found.resize(self.regexes_of.len(), false);
        named.clear();
        named.resize(self.requirements.len(), false);
        out.clear();
        out.extend_from_slice(&self.always);
        for m in self.automaton.find_overlapping_iter(squeezed) {
            for &set in &self.sets_of[m.pattern().as_usize()] {
                if std::mem::replace(&mut found[set], true) {
                    continue;
                }
                for &regex in &self.regexes_of[set] {
                    if !std::mem::replace(&mut named[regex], true) {
                        out.push(regex);
                    }
                }
            }
        }
        out.retain(|&regex| self.requirements[regex].holds(found));
        out.sort_unstable();
    }

    /// How many regexes always run (nothing is required of a text).
    #[cfg(test)]
    pub fn always_run(&self) -> usize {
        self.always.len()
    }
}

impl Numbering {
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
        if let Some(set) = exact(hir) {
            return Requirement::any(set);
        }
        match hir.kind() {
            HirKind::Capture(cap) => Requirement::of(&cap.sub),
            HirKind::Repetition(rep) if rep.min >= 1 => match exact(&rep.sub) {
                Some(set) => Requirement::any(power(&set, rep.min).unwrap_or(set)),
                None => Requirement::of(&rep.sub),
            },
            HirKind::Alternation(subs) => Requirement::either(subs.iter().map(Requirement::of)),
            HirKind::Concat(subs) => in_concat(subs),
            _ => Requirement::True,
        }
    }

    /// One of `set` occurs; true when a string of it is too short to scan for.
    fn any(set: Vec<String>) -> Requirement {
        if set.is_empty() || set.iter().any(|s| s.len() < MIN_LITERAL) {
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

/// In a concatenation, every match is a match of each part in turn, so it
/// meets every part's requirement. Besides, walking the parts, `run` holds
/// strings one of which every match contains ending exactly where the
/// current part's match ends: a part with a finite language extends it;
/// any other part ends it — the run followed by the part's possible
/// beginnings is required too — and starts a new one from the part's
/// possible endings. Runs join short pieces (`i`, `'?`, `ll`) into
/// literals worth scanning for (`ill`, `i'll`).
fn in_concat(subs: &[Hir]) -> Requirement {
    let mut parts: Vec<Requirement> = Vec::new();
    let mut run: Vec<String> = vec![String::new()];
    for sub in subs {
        match exact(sub) {
            Some(set) => {
                run = product(&run, &set).unwrap_or_else(|| {
                    parts.push(Requirement::any(std::mem::take(&mut run)));
                    set
                });
            }
            None => {
                let into = product(&run, &affixes(sub, Side::Start)).unwrap_or(run);
                parts.push(Requirement::any(into));
                parts.push(Requirement::of(sub));
                run = affixes(sub, Side::End);
            }
        }
    }
    parts.push(Requirement::any(run));
    Requirement::all(parts)
}

/// Every string `hir` can match, squeezed, when that set is finite and small.
fn exact(hir: &Hir) -> Option<Vec<String>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![String::new()]),
        HirKind::Literal(lit) => {
            let text = std::str::from_utf8(&lit.0).ok()?;
            Some(vec![squeeze_str(text)])
        }
        HirKind::Class(class) => class_strings(class),
        HirKind::Capture(cap) => exact(&cap.sub),
        HirKind::Repetition(rep) => {
            let sub = exact(&rep.sub)?;
            let Some(max) = rep.max else {
                // `a+`, `a{2,}`: any run of one letter squeezes to the letter.
                let [letter] = &sub[..] else { return None };
                let mut chars = letter.chars();
                let c = chars.next()?;
                if chars.next().is_some() || !continues_run(Some(c), c) {
                    return None;
                }
                return Some(match rep.min {
                    0 => vec![String::new(), letter.clone()],
                    _ => vec![letter.clone()],
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
                out = product(&out, &exact(sub)?)?;
            }
            Some(out)
        }
        HirKind::Alternation(subs) => {
            let mut out = Vec::new();
            for sub in subs {
                out.extend(exact(sub)?);
                if out.len() > MAX_SET {
                    return None;
                }
            }
            Some(dedup(out))
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Start,
    End,
}

/// Strings one of which every match of `hir` starts (or ends) with; `[""]`
/// when nothing is known, which is always true.
fn affixes(hir: &Hir, side: Side) -> Vec<String> {
    if let Some(set) = exact(hir) {
        return set;
    }
    let unknown = || vec![String::new()];
    match hir.kind() {
        HirKind::Capture(cap) => affixes(&cap.sub, side),
        HirKind::Repetition(rep) if rep.min >= 1 => match exact(&rep.sub) {
            Some(set) => power(&set, rep.min).unwrap_or(set),
            None => affixes(&rep.sub, side),
        },
        HirKind::Alternation(subs) => {
            let mut out = Vec::new();
            for sub in subs {
                out.extend(affixes(sub, side));
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
                let (set, last) = match exact(sub) {
                    Some(set) => (set, false),
                    None => (affixes(sub, side), true),
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

/// Every string of `set` repeated `n` times over (`n` ≥ 1), if not too many.
fn power(set: &[String], n: u32) -> Option<Vec<String>> {
    (1..n).try_fold(set.to_vec(), |acc, _| product(&acc, set))
}

/// Every string of `a` followed by every string of `b` (squeezed), if not
/// too many.
fn product(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() * b.len() > MAX_SET {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            out.push(squeezed_concat(x, y));
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
    let set = dedup(
        chars
            .into_iter()
            .map(|c| squeeze_str(c.encode_utf8(&mut [0; 4])))
            .collect(),
    );
    (set.len() <= MAX_CLASS).then_some(set)
}

/// `set` less every string that holds another of it: where it occurs, the
/// other does too, so "one of them occurs" means the same, scanned for less.
fn minimal(mut set: Vec<String>) -> Vec<String> {
    set.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    set.dedup();
    let mut kept: Vec<String> = Vec::with_capacity(set.len());
    for s in set {
        if !kept.iter().any(|k| s.contains(k.as_str())) {
            kept.push(s);
        }
    }
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
    use super::*;

    fn requirement(pattern: &str) -> Requirement {
        Requirement::of(&regex_syntax::parse(pattern).unwrap())
    }

    fn any(words: &[&str]) -> Requirement {
        Requirement::Any(words.iter().map(|w| w.to_string()).collect())
    }

    #[test]
    fn every_part_of_a_match_and_either_branch_is_required() {
        assert_eq!(
            requirement(r"\b(?:she|they)\s+said\b"),
            any(&["she said", "they said"]),
            "white space of any length is one space"
        );
        assert_eq!(
            requirement(r"\b(?:he|she)\s+said\b"),
            any(&["he said"]),
            "where `she said` occurs, so does `he said`"
        );
        assert_eq!(
            requirement(r"\b(?:kill|hurt)\s+(?:you|\w+)"),
            any(&["hurt ", "kil "]),
            "literals are squeezed: kill is kil"
        );
        assert_eq!(requirement(r"i'?ll\s+burn"), any(&["i'l burn", "il burn"]));
        assert_eq!(
            requirement(r"kill\s+you|burn\w*"),
            any(&["burn", "kil you"])
        );
        assert_eq!(
            requirement(r"\bkill[\s,]+you"),
            Requirement::All(vec![any(&["kil ", "kil,"]), any(&[" you", ",you"])])
        );
        // Elastic list words are plain words in the squeezed view.
        assert_eq!(requirement(r"a+s{2,}"), any(&["as"]));
        assert_eq!(
            requirement(r"\b(?:f+u+c+k+|sod)\s+off"),
            any(&["fuck of", "sod of"])
        );
        // (?i) expands to every case the regex crate matches, long s included.
        let ci = requirement(r"(?i)gas");
        assert!(
            matches!(&ci, Requirement::Any(set) if set.len() == 12 && set.contains(&"gAs".to_string()) && set.contains(&"gaſ".to_string())),
            "{ci:?}"
        );
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
    }

    #[test]
    fn a_regex_is_skipped_only_where_it_cannot_match() {
        let patterns = [
            r"\bkill\s+you\b",
            r"\w+ing\b",
            r"(?:burn|torch)\s+(?:it|the\s+\w+)",
            r"\b(?:f+u+c+k+|sod)\s+(?:off|you)\b",
            r"\s+",
        ];
        let requirements: Vec<Requirement> = patterns.iter().map(|p| requirement(p)).collect();
        let pre = Prefilter::new(&requirements);
        assert_eq!(pre.always_run(), 1, "only \\s+ needs no fixed text");
        let regexes: Vec<regex::Regex> = patterns
            .iter()
            .map(|p| regex::Regex::new(p).unwrap())
            .collect();
        let mut scratch = Scratch::default();
        let mut may = |text: &str| {
            let mut out = Vec::new();
            pre.candidates(&squeeze_str(text), &mut scratch, &mut out);
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
            vec![false, false, false, false, true]
        );
        assert_eq!(
            may("kill nobody, burn it"),
            vec![false, false, true, false, true],
            "kill needs a you"
        );
    }
}
