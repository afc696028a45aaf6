//! Rule regexes whose word boundaries stay on the fast path.
//!
//! The rules use `\b`, which in the `regex` crate means a *Unicode* word
//! boundary. Its lazy DFA cannot evaluate that on non-ASCII text, so on any
//! haystack holding a non-ASCII byte (a `£`, a curly quote, an `é`) the
//! search falls back to the PikeVM, tens of times slower — and council mail
//! is full of `£` and `’`. Unicode and ASCII word boundaries differ only
//! next to a non-ASCII *word* character (a letter, digit or mark outside
//! ASCII); next to `£` or `’` both see a non-word character. So each rule
//! regex has a second form for a text with no non-ASCII word character:
//! every Unicode word boundary turned into its ASCII form, and every class
//! rid of the non-ASCII word characters it holds (none can occur in such a
//! text): `\w` is then `[0-9A-Z_a-z]`, not 700 ranges of UTF-8 sequences.
//! The same matches, found by the DFA, from a far smaller automaton.
//! Neither form is compiled until a text needs it (the pre-filter names
//! most regexes on few texts, or none in a short run, and compiling every
//! rule regex up front was a large part of loading the rules), both with
//! no capture groups (only whole matches are used). The pattern is still
//! checked at load, so that a bad rule fails before any message is read:
//! parsed (a syntax error), and its ASCII form's automaton built against
//! the size limit (a regex too big).

use super::prefilter::Requirement;
use regex_automata::meta::{self, Regex};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::MatchKind;
use regex_syntax::hir::{
    Capture, Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind, Look, Repetition,
};
use regex_syntax::utf8::Utf8Sequences;
use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

/// Lazy DFA cache per regex and thread: the long alternations of the rules
/// need more than the default to avoid thrashing. 2 MiB: with the narrowed
/// classes of the ASCII form, 8 MiB took the same CPU time on a 10k night
/// and 12-17 MB more memory.
const LAZY_DFA_CACHE: usize = 2 << 20;

pub struct WordRegex {
    source: String,
    /// Whether the pattern's [`ascii_form`] may differ from it (a Unicode
    /// word boundary or a class it narrows): when not, the pattern serves
    /// every text.
    has_ascii_form: bool,
    /// The pattern as written, compiled on first use.
    unicode: OnceLock<Regex>,
    /// The ASCII form, compiled on first use.
    ascii: OnceLock<Regex>,
    /// Where the pattern's tree is its template's with the word lists'
    /// put in ([`splice`]): what builds the ASCII form's tree on first use
    /// from the lists' ASCII forms, worked out once at load, rather than
    /// parsing `source` again and narrowing all of it.
    template: Option<Template>,
    /// What fixed text every match holds (for the pre-filter).
    requirement: Requirement,
}

impl WordRegex {
    pub fn new(source: &str, size_limit: usize) -> Result<WordRegex, regex::Error> {
        WordRegex::from_hir(source, parse(source)?, None, size_limit)
    }

    /// [`WordRegex::new`] of `source`, the pattern `template` with each
    /// [`placeholder`] `i` replaced by the text of `lists[i]`: its syntax
    /// tree is that of `template` with each list's tree put in (see
    /// [`splice`]), or, where that cannot be shown to be the same tree,
    /// `source` parsed.
    pub fn with_lists(
        source: &str,
        template: &str,
        lists: &[&ListTree],
        size_limit: usize,
    ) -> Result<WordRegex, regex::Error> {
        let Some(hir) = splice(template, lists) else {
            return WordRegex::new(source, size_limit);
        };
        let ascii_lists: Option<Vec<Arc<Hir>>> = lists.iter().map(|l| l.ascii.clone()).collect();
        let template = ascii_lists.map(|ascii_lists| Template {
            text: template.into(),
            nest_limit: template_nest_limit(lists).expect("the template was spliced"),
            lists: ascii_lists,
        });
        WordRegex::from_hir(source, hir, template, size_limit)
    }

    fn from_hir(
        source: &str,
        hir: Hir,
        template: Option<Template>,
        size_limit: usize,
    ) -> Result<WordRegex, regex::Error> {
        let mut has_ascii_form = false;
        // The ASCII form's automaton is built only when the bound does not
        // already show it within the limit: for the rules, never.
        if automaton_bound(&hir, &mut has_ascii_form) > size_limit {
            check_size(&ascii_form(&hir), size_limit)?;
        }
        Ok(WordRegex {
            source: source.to_string(),
            has_ascii_form,
            unicode: OnceLock::new(),
            ascii: OnceLock::new(),
            template,
            requirement: Requirement::of(&hir),
        })
    }

    /// The regex to search `text` with; `ascii_words` must be
    /// [`ascii_words_only`] of the haystack.
    pub fn for_text(&self, ascii_words: bool) -> &Regex {
        if ascii_words || !self.has_ascii_form {
            self.ascii.get_or_init(|| compile(&self.ascii_tree()))
        } else {
            self.unicode()
        }
    }

    /// The pattern as written, compiled the first time it is needed.
    fn unicode(&self) -> &Regex {
        if !self.has_ascii_form {
            return self.for_text(true);
        }
        self.unicode.get_or_init(|| compile(&self.parsed()))
    }

    /// [`ascii_form`] of the pattern's tree: from its template and the
    /// lists' ASCII forms where it was spliced at load, else from the
    /// pattern parsed again.
    fn ascii_tree(&self) -> Hir {
        self.template
            .as_ref()
            .and_then(Template::ascii_form)
            .unwrap_or_else(|| ascii_form(&self.parsed()))
    }

    /// The pattern's syntax tree, parsed again: keeping the trees of all
    /// rule regexes from load held some 50 MB more (peak RSS of a run) for
    /// the few regexes a night compiles.
    fn parsed(&self) -> Hir {
        regex_syntax::parse(&self.source).expect("the pattern parsed at load")
    }

    /// The pattern as written (lists spliced in).
    #[cfg(test)]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// What fixed text every match holds.
    pub fn requirement(&self) -> &Requirement {
        &self.requirement
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.for_text(ascii_words_only(text)).is_match(text)
    }

    /// Where the first match in `text` lies.
    pub fn find(&self, text: &str) -> Option<std::ops::Range<usize>> {
        self.for_text(ascii_words_only(text))
            .find(text)
            .map(|m| m.range())
    }
}

/// `source` parsed as the `regex` crate parses it.
fn parse(source: &str) -> Result<Hir, regex::Error> {
    regex_syntax::parse(source).map_err(|e| regex::Error::Syntax(e.to_string()))
}

/// The default nesting limit of `regex_syntax`'s parser (what
/// [`regex_syntax::parse`] uses).
const NEST_LIMIT: u32 = 250;

/// What stands in a placeholder, read as the flags of the place make it:
/// with the defaults (those a list's text is parsed with on its own), the
/// same tree as at the top of a pattern. Each flag that could change how a
/// list's text is read changes it: `i` the letter, `U` the repetition, `u`
/// the class. The others (`x`, `m`, `s`, `R`) change only how white space,
/// `#`, `^`, `$` and `.` are read, and a list's text is spliced only
/// where it holds none of them unescaped ([`ListTree::new`]).
const PROBE: &str = r"a+\w";

/// The placeholder of list `i` in a pattern's template for
/// [`WordRegex::with_lists`]: a named group, which the syntax tree keeps
/// as it is wherever it stands (a group is never merged with what is
/// beside it), holding [`PROBE`].
pub fn placeholder(i: usize) -> String {
    format!("(?P<{}>{PROBE})", placeholder_name(i))
}

fn placeholder_name(i: usize) -> String {
    format!("{PLACEHOLDER}{i}")
}

const PLACEHOLDER: &str = "__list";

/// A word list's alternation (`(?:a+s{2,}|…)`), parsed once however many
/// patterns splice it in.
pub struct ListTree {
    /// `None` when the text does not parse on its own.
    hir: Option<Hir>,
    /// [`ascii_form`] of `hir`, for the patterns' ASCII forms on first use.
    ascii: Option<Arc<Hir>>,
    /// The least nesting limit the text parses within on its own.
    depth: u32,
}

impl ListTree {
    pub fn new(alternation: &str) -> ListTree {
        if !plain(alternation) {
            return ListTree {
                hir: None,
                ascii: None,
                depth: NEST_LIMIT,
            };
        }
        // Lists are flat (a group, an alternation, a concatenation, a
        // repetition): the first few limits fail at once.
        for depth in 1..=NEST_LIMIT {
            let parsed = regex_syntax::ParserBuilder::new()
                .nest_limit(depth)
                .build()
                .parse(alternation);
            match parsed {
                Ok(hir) => {
                    return ListTree {
                        ascii: Some(Arc::new(ascii_form(&hir))),
                        hir: Some(hir),
                        depth,
                    }
                }
                Err(regex_syntax::Error::Parse(e))
                    if *e.kind() == regex_syntax::ast::ErrorKind::NestLimitExceeded(depth) => {}
                Err(_) => break,
            }
        }
        ListTree {
            hir: None,
            ascii: None,
            depth: NEST_LIMIT,
        }
    }
}

/// Whether `text` holds no white space and no unescaped `#`, `^`, `$` or
/// `.`: read the same whatever the flags `x`, `m`, `s` and `R` (a list's
/// alternation escapes every word and has `\s+` for a space, so it always
/// is).
fn plain(text: &str) -> bool {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '#' | '^' | '$' | '.' => return false,
            c if c.is_whitespace() => return false,
            _ => {}
        }
    }
    true
}

/// The syntax tree of `template` with each [`placeholder`] `i` replaced by
/// `lists[i]`'s: the tree the parser makes of the pattern with the lists'
/// text in it, without parsing each list's text again (the lists are most
/// of the rules' text, spliced into many patterns). `None` unless that is
/// certain: the template parses with a nesting limit lowered by the
/// deepest list's (so the whole pattern is within the parser's), it has
/// no group but the placeholders (a capture's index would move), and each
/// placeholder's [`PROBE`] reads as at the top of a pattern (so the flags
/// at that place read the list's text as on its own). The tree is
/// then rebuilt from each placeholder up with the constructors the
/// parser's translator builds it with, which flatten, merge literals and
/// factor prefixes across the list's tree and its neighbours as they do
/// when the list is parsed in place.
pub(crate) fn splice(template: &str, lists: &[&ListTree]) -> Option<Hir> {
    // Every `__list` of the template is a placeholder's.
    if template.matches(PLACEHOLDER).count() != lists.len() {
        return None;
    }
    let hir = parse_template(template, template_nest_limit(lists)?)?;
    if hir.properties().explicit_captures_len() != lists.len() {
        return None;
    }
    let trees: Vec<&Hir> = lists
        .iter()
        .map(|l| l.hir.as_ref())
        .collect::<Option<_>>()?;
    put_lists(hir, &trees, probe())
}

/// The nesting limit a template splicing `lists` is parsed within: the
/// parser's, lowered by the deepest list's.
fn template_nest_limit(lists: &[&ListTree]) -> Option<u32> {
    NEST_LIMIT.checked_sub(lists.iter().map(|l| l.depth).max().unwrap_or(0))
}

fn parse_template(template: &str, nest_limit: u32) -> Option<Hir> {
    regex_syntax::ParserBuilder::new()
        .nest_limit(nest_limit)
        .build()
        .parse(template)
        .ok()
}

/// [`PROBE`] parsed.
fn probe() -> &'static Hir {
    static PROBED: OnceLock<Hir> = OnceLock::new();
    PROBED.get_or_init(|| regex_syntax::parse(PROBE).expect("the probe parses"))
}

/// A pattern's template with its lists' [`ascii_form`]s ([`splice`]), kept
/// to build the pattern's ASCII form when it is first needed.
struct Template {
    text: Box<str>,
    nest_limit: u32,
    /// The ASCII form of each list's tree, shared by every pattern holding
    /// the list.
    lists: Vec<Arc<Hir>>,
}

impl Template {
    /// [`ascii_form`] of the spliced tree, as the template's ASCII form with
    /// each list's ASCII form put in: the same tree where the narrowing
    /// commutes with putting the lists in, as it does for every rule
    /// (`each_lists_tree_spliced_into_a_pattern_is_the_tree_parsed`), and
    /// the same matches wherever it does not (both are the pattern's
    /// ASCII form). `None` should the template not splice (it did at load).
    fn ascii_form(&self) -> Option<Hir> {
        static PROBED: OnceLock<Hir> = OnceLock::new();
        let probe = PROBED.get_or_init(|| ascii_form(probe()));
        let hir = ascii_form(&parse_template(&self.text, self.nest_limit)?);
        let lists: Vec<&Hir> = self.lists.iter().map(|l| &**l).collect();
        put_lists(hir, &lists, probe)
    }
}

/// [`splice`]'s rebuilding: a subtree with no group is kept as it is; each
/// placeholder, its group holding `probe`, becomes its list's tree.
fn put_lists(hir: Hir, lists: &[&Hir], probe: &Hir) -> Option<Hir> {
    if hir.properties().explicit_captures_len() == 0 {
        return Some(hir);
    }
    let each = |subs: Vec<Hir>| -> Option<Vec<Hir>> {
        let mut out = Vec::with_capacity(subs.len());
        for sub in subs {
            out.push(put_lists(sub, lists, probe)?);
        }
        Some(out)
    };
    Some(match hir.into_kind() {
        HirKind::Capture(cap) => {
            let i: usize = cap
                .name
                .as_deref()?
                .strip_prefix(PLACEHOLDER)?
                .parse()
                .ok()?;
            if cap.name.as_deref() != Some(&placeholder_name(i)) || *cap.sub != *probe {
                return None;
            }
            (*lists.get(i)?).clone()
        }
        // The translator leaves out an empty part (a list of no word).
        HirKind::Concat(subs) => Hir::concat(
            each(subs)?
                .into_iter()
                .filter(|sub| !matches!(sub.kind(), HirKind::Empty))
                .collect(),
        ),
        HirKind::Alternation(subs) => Hir::alternation(each(subs)?),
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            sub: Box::new(put_lists(*rep.sub, lists, probe)?),
            ..rep
        }),
        _ => unreachable!("only a group, or a node above one, holds a group"),
    })
}

/// `Err` when the automaton of `hir` passes `size_limit`, as compiling it
/// would report; the rest of a compiled regex is built only when used.
fn check_size(hir: &Hir, size_limit: usize) -> Result<(), regex::Error> {
    let config = thompson::Config::new()
        .utf8(true)
        .which_captures(WhichCaptures::Implicit)
        .nfa_size_limit(Some(size_limit));
    match thompson::Compiler::new()
        .configure(config)
        .build_from_hir(hir)
    {
        Ok(_) => Ok(()),
        Err(e) => Err(match e.size_limit() {
            Some(limit) => regex::Error::CompiledTooBig(limit),
            None => regex::Error::Syntax(e.to_string()),
        }),
    }
}

/// Bytes of the Thompson builder's count ([`thompson::Builder`]'s
/// `memory_usage`, what the size limit is checked against) per state, per
/// transition of a sparse state and per alternate of a union state.
const NFA_STATE: usize = 32;
const NFA_TRANSITION: usize = 8;
const NFA_ALTERNATE: usize = 4;

/// [`nfa_bound`] of the whole pattern, with what the compiler adds around
/// it: the unanchored prefix (`(?s-u:.)*?`), the implicit group's capture
/// states, the match state.
fn automaton_bound(hir: &Hir, differs: &mut bool) -> usize {
    nfa_bound(hir, differs).saturating_add(8 * NFA_STATE + 8 * NFA_ALTERNATE + 4 * NFA_TRANSITION)
}

/// An upper bound on what building the automaton of `hir`'s
/// [`ascii_form`] counts against the size limit ([`check_size`]), from the
/// syntax tree alone, following how the compiler builds each kind of node
/// (regex-automata's `nfa/thompson/compiler.rs`): a literal is a state per
/// byte, a class of ASCII ranges one sparse state (plus its end), another
/// class a state and a transition per byte range of its UTF-8 sequences at
/// most (the compiler shares suffixes, never adds), a repetition a copy of
/// its part per time it may occur plus its unions, an alternation its
/// branches plus a union — or, when every branch may be a literal, the
/// literal trie's states (two per byte at most). Sets `differs` when the
/// ASCII form may differ from `hir`. Saturating: a bound past `usize` is
/// simply over any limit.
fn nfa_bound(hir: &Hir, differs: &mut bool) -> usize {
    const S: usize = NFA_STATE;
    let union = |alternates: usize| S.saturating_add(alternates.saturating_mul(NFA_ALTERNATE));
    match hir.kind() {
        HirKind::Empty => S,
        HirKind::Literal(lit) => lit.0.len().max(1) * S,
        HirKind::Class(Class::Bytes(class)) => 2 * S + class.ranges().len() * NFA_TRANSITION,
        HirKind::Class(Class::Unicode(class)) => {
            let narrowed = without_non_ascii_words(class);
            *differs |= narrowed != *class;
            if narrowed.is_ascii() {
                return 2 * S + narrowed.ranges().len() * NFA_TRANSITION;
            }
            let ranges: usize = narrowed
                .iter()
                .flat_map(|r| Utf8Sequences::new(r.start(), r.end()))
                .map(|seq| seq.as_slice().len())
                .sum();
            (ranges + 2) * S + (ranges + 1) * NFA_TRANSITION
        }
        HirKind::Look(look) => {
            *differs |= matches!(
                look,
                Look::WordUnicode
                    | Look::WordUnicodeNegate
                    | Look::WordStartUnicode
                    | Look::WordEndUnicode
                    | Look::WordStartHalfUnicode
                    | Look::WordEndHalfUnicode
            );
            S
        }
        HirKind::Capture(cap) => nfa_bound(&cap.sub, differs).saturating_add(2 * S),
        HirKind::Repetition(rep) => {
            let sub = nfa_bound(&rep.sub, differs);
            let times = |n: u32| sub.saturating_mul(n as usize).max(S);
            match (rep.min, rep.max) {
                // `x?`, `x*`, `x+`, `x{n,}`: the part (`n` times), one or
                // two unions and an empty state at most.
                (0, Some(1)) | (0 | 1, None) => sub.saturating_add(2 * union(2) + S),
                (n, None) => times(n).saturating_add(union(2)),
                // `x{n}`, `x{n,m}`: the part `n` times, then a union and the
                // part for each optional time, and an empty state.
                (n, Some(m)) => {
                    let optional = sub
                        .saturating_add(union(2))
                        .saturating_mul((m - n) as usize);
                    times(n).saturating_add(optional).saturating_add(S)
                }
            }
        }
        HirKind::Concat(subs) => subs
            .iter()
            .map(|sub| nfa_bound(sub, differs))
            .fold(0, usize::saturating_add)
            .max(S),
        HirKind::Alternation(subs) => {
            let branches = subs
                .iter()
                .map(|sub| nfa_bound(sub, differs))
                .fold(S, usize::saturating_add)
                .saturating_add(union(subs.len()));
            let literal_bytes: Option<usize> = subs.iter().map(most_literal_bytes).sum();
            match literal_bytes {
                // The literal trie: a state per byte, a sparse and a union
                // state per trie state at most, alternates to each chunk
                // and to the end.
                Some(bytes) => {
                    let states = 2 * bytes + subs.len() + 4;
                    let trie = (states * S)
                        .saturating_add(bytes * NFA_TRANSITION)
                        .saturating_add((2 * states) * NFA_ALTERNATE);
                    branches.max(trie)
                }
                None => branches,
            }
        }
    }
}

/// The most bytes `hir`'s ASCII form holds if it is a literal (a class
/// may become one, a concatenation of literals and classes one literal);
/// `None` when it cannot be a literal.
fn most_literal_bytes(hir: &Hir) -> Option<usize> {
    match hir.kind() {
        HirKind::Empty => Some(0),
        HirKind::Literal(lit) => Some(lit.0.len()),
        HirKind::Class(_) => Some(4),
        HirKind::Concat(subs) => subs.iter().map(most_literal_bytes).sum(),
        _ => None,
    }
}

/// `hir` (the pattern or its ASCII form) compiled as `regex::Regex`
/// would (leftmost-first, UTF-8), from the syntax already parsed, keeping
/// no capture groups: only whole matches are used. With no size limit: the
/// ASCII form's automaton was found within it at load, and the limit only
/// ever fails a build, it never changes one; where the whole regex passes
/// it (the pattern as written, or the reverse automaton), it is compiled
/// all the same rather than leaving a text unsearched (before, by a
/// second build without the limit).
///
/// No literal prefilter (`auto_prefilter`): a regex is searched only on a
/// text the rules' pre-filter found its literals in, and the meta engine's
/// own prefix and "reverse inner" prefilters cost more to build (each
/// rebuilds the whole tree) than they saved, and slowed the searches.
fn compile(hir: &Hir) -> Regex {
    let config = meta::Config::new()
        .match_kind(MatchKind::LeftmostFirst)
        .utf8_empty(true)
        .which_captures(WhichCaptures::Implicit)
        .nfa_size_limit(None)
        .hybrid_cache_capacity(LAZY_DFA_CACHE)
        .auto_prefilter(false);
    meta::Builder::new()
        .configure(config)
        .build_from_hir(hir)
        .expect("the pattern parsed and its automaton was built at load")
}

/// True when every word character of `text` (Unicode `\w`) is ASCII, so
/// ASCII and Unicode word boundaries agree everywhere in it.
pub fn ascii_words_only(text: &str) -> bool {
    // Most segments are ASCII throughout: `is_ascii` answers them a word
    // of bytes at a time (the loop below reads a byte at a time).
    if text.is_ascii() {
        return true;
    }
    // Only the non-ASCII characters are decoded and looked up: the ASCII
    // stretches between them are skipped bytewise.
    let mut rest = text;
    while let Some(at) = rest.bytes().position(|b| !b.is_ascii()) {
        let mut chars = rest[at..].chars();
        let c = chars
            .next()
            .expect("a character starts at a non-ASCII byte");
        if regex_syntax::is_word_character(c) {
            return false;
        }
        rest = chars.as_str();
    }
    true
}

/// `hir` as it can match a text with no non-ASCII word character: every
/// Unicode word boundary turned into its ASCII form (the two agree on such
/// a text), and every class narrowed by [`without_non_ascii_words`]. The
/// same matches on such a text, from a much smaller automaton: `\w` alone
/// is some 700 ranges of UTF-8 sequences, in every rule.
fn ascii_form(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Look(look) => Hir::look(match look {
            Look::WordUnicode => Look::WordAscii,
            Look::WordUnicodeNegate => Look::WordAsciiNegate,
            Look::WordStartUnicode => Look::WordStartAscii,
            Look::WordEndUnicode => Look::WordEndAscii,
            Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
            Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
            other => *other,
        }),
        HirKind::Repetition(rep) => Hir::repetition(Repetition {
            sub: Box::new(ascii_form(&rep.sub)),
            ..*rep
        }),
        HirKind::Capture(cap) => Hir::capture(Capture {
            index: cap.index,
            name: cap.name.clone(),
            sub: Box::new(ascii_form(&cap.sub)),
        }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(ascii_form).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(ascii_form).collect()),
        HirKind::Class(Class::Unicode(class)) => {
            Hir::class(Class::Unicode(without_non_ascii_words(class)))
        }
        _ => hir.clone(),
    }
}

/// `class` as it can matter on a text with no non-ASCII word character:
/// the class less those characters, or with all of them, whichever has
/// fewer ranges (`\w` becomes `[0-9A-Z_a-z]`; `\W`, `.` and `[^…]` take
/// them in and become a few ranges).
///
/// Remembered per thread by the class's ranges: the rules hold the same
/// few classes (`\w`, `\s`, case-folded letters) tens of thousands of
/// times, and the union with the 700 ranges of `\w` is not cheap.
fn without_non_ascii_words(class: &ClassUnicode) -> ClassUnicode {
    if class.is_ascii() {
        return class.clone();
    }
    thread_local! {
        static NARROWED: RefCell<HashMap<Vec<(char, char)>, ClassUnicode>> =
            RefCell::new(HashMap::default());
    }
    let key: Vec<(char, char)> = class.iter().map(|r| (r.start(), r.end())).collect();
    NARROWED.with(|known| {
        if let Some(narrowed) = known.borrow().get(&key) {
            return narrowed.clone();
        }
        let narrowed = narrow(class);
        known.borrow_mut().insert(key, narrowed.clone());
        narrowed
    })
}

/// [`without_non_ascii_words`], worked out.
fn narrow(class: &ClassUnicode) -> ClassUnicode {
    static NON_ASCII_WORDS: OnceLock<ClassUnicode> = OnceLock::new();
    let words = NON_ASCII_WORDS.get_or_init(|| {
        let HirKind::Class(Class::Unicode(mut word)) =
            regex_syntax::parse(r"\w").expect("\\w parses").into_kind()
        else {
            unreachable!("\\w is a Unicode class")
        };
        word.difference(&ClassUnicode::new([ClassUnicodeRange::new('\0', '\x7f')]));
        word
    });
    let mut less = class.clone();
    less.difference(words);
    let mut more = class.clone();
    more.union(words);
    if more.ranges().len() < less.ranges().len() {
        more
    } else {
        less
    }
}

/// Checks that the ASCII form built on first use from `template` and the
/// lists' ASCII forms ([`Template::ascii_form`]) is the tree narrowing
/// the whole pattern `source` gives; false when the pattern's ASCII form
/// is not built from its template.
#[cfg(test)]
pub(crate) fn check_ascii_splice(source: &str, template: &str, lists: &[&ListTree]) -> bool {
    let re = WordRegex::with_lists(source, template, lists, usize::MAX).unwrap();
    let Some(template) = &re.template else {
        return false;
    };
    let whole = ascii_form(&regex_syntax::parse(source).unwrap());
    assert!(
        template.ascii_form().as_ref() == Some(&whole),
        "the ASCII form spliced differs: {template}",
        template = template.text
    );
    true
}

/// The least size limit `hir`'s automaton builds within.
#[cfg(test)]
fn least_limit(hir: &Hir) -> usize {
    let (mut low, mut high) = (0, 1 << 30);
    while low < high {
        let mid = (low + high) / 2;
        if check_size(hir, mid).is_ok() {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    low
}

/// Checks [`automaton_bound`] against the automaton actually built, and
/// its `differs` against the ASCII form: the bound and the least limit the
/// automaton builds within.
#[cfg(test)]
pub(crate) fn check_bound(pattern: &str) -> (usize, usize) {
    let hir = regex_syntax::parse(pattern).unwrap();
    let ascii = ascii_form(&hir);
    let mut differs = false;
    let bound = automaton_bound(&hir, &mut differs);
    let least = least_limit(&ascii);
    assert!(bound >= least, "{pattern}: bound {bound} < {least}");
    // Conservative only: a form found to differ may turn out the same.
    assert!(differs || ascii == hir, "{pattern}: the ASCII form differs");
    (bound, least)
}

#[cfg(test)]
mod tests {
    use super::super::lists;
    use super::*;

    #[test]
    fn both_forms_find_the_same_matches_where_words_are_ascii() {
        let re = WordRegex::new(r"\b(?:kill|burn)\s+(?:you|\w+)\b", 1 << 20).unwrap();
        assert!(re.has_ascii_form);
        let texts = [
            "I will kill you for £5",
            "burn it ’now’ kill them",
            "skill you",
            "naïve kill café",
            "burn\u{2003}£ kill\u{3000}them… ſkill",
        ];
        for text in texts {
            let words = ascii_words_only(text);
            let found: Vec<_> = re
                .for_text(words)
                .find_iter(text)
                .map(|m| m.range())
                .collect();
            let expected: Vec<_> = re.unicode().find_iter(text).map(|m| m.range()).collect();
            assert_eq!(found, expected, "{text}");
        }
        assert!(ascii_words_only("£5 ’quoted’ – dash"));
        // Classes narrowed: `\W`, `.`, `[^…]` and case-folded letters.
        for pattern in [
            r"\w+\W+(?i:kelvin|sas)\b",
            r"[^a-z ]+\s*\d+",
            r"(?i)s.s\B\w",
        ] {
            let re = WordRegex::new(pattern, 1 << 20).unwrap();
            assert!(re.has_ascii_form, "{pattern}");
            for text in texts.iter().chain(&["£1 SAS Kelvin KELVIN €12 s—s sas’s"]) {
                if !ascii_words_only(text) {
                    continue;
                }
                let found: Vec<_> = re
                    .for_text(true)
                    .find_iter(*text)
                    .map(|m| m.range())
                    .collect();
                let expected: Vec<_> = re.unicode().find_iter(*text).map(|m| m.range()).collect();
                assert_eq!(found, expected, "{pattern} on {text}");
            }
        }
        assert!(!ascii_words_only("café"));
    }

    #[test]
    fn the_size_bound_is_over_the_automaton_built() {
        for pattern in [
            "",
            "a",
            r"\bkill\b",
            r"(?i)\b(?:kill|hurt|stab)\s+(?:you|them|him|her)\b",
            r"\w+\W+(?i:kelvin|sas)\b",
            r"[^a-z ]+\s*\d+",
            r"(?i)s.s\B\w",
            r"\w{50}",
            r"(?:ab|cd|ef){2,7}x*y+z?",
            r"(?:a|b|c|[xé]|dd)(?:[é]|e)",
            r"(?:foo|bar|baz|qux|quux|a|)",
            r"(?i)(?:£|€|naïve|café)\s\pL{2,3}",
            r"(?:(?:a|b)*|c+?){0,3}",
            r"\p{Greek}+|\P{L}|[\x{10000}-\x{10FFFF}]",
        ] {
            check_bound(pattern);
        }
    }

    #[test]
    fn a_lists_tree_spliced_in_is_the_tree_parsed_or_the_pattern_is_parsed() {
        let lists = [
            lists::elastic_alternation(&lists::parse("ass\nfuck*\nbin man\n")),
            lists::elastic_alternation(&lists::parse("asp\nasks\n")),
            lists::elastic_alternation(&lists::parse("24/7\n")),
            lists::elastic_alternation(&lists::parse("x\ny\n")),
            lists::elastic_alternation(&lists::parse("a.b#c\n")),
            lists::elastic_alternation(&[]),
            "(?:a+.b+|c+)".to_string(),
        ];
        let trees: Vec<ListTree> = lists.iter().map(|l| ListTree::new(l)).collect();
        // (pattern, whether the lists' trees are spliced in)
        for (pattern, spliced) in [
            (r"\b{0}\s+you\b", true),
            (r"(?:{0}|{1})\b", true),
            (r"(?:ab|{1}|{0})", true),
            (r"no {2} more|{2}", true),
            (r"(?:{3}|z)", true),
            (r"(?:{3}){2,3}x{5}{4}", true),
            (r"a{5}b|{5}+", true),
            (r"(?x) \b {0} \s {1} # a comment", true),
            (r"(?x) \b {0} \s # {1} in a comment", false),
            (r"(?m)^{0}$|(?s:.{1})", true),
            (r"(?i){0}", false),
            (r"(?U)\b{1}\b", false),
            (r"(?-u:\b{0})", false),
            (r"(a)+{0}", false),
            (r"[{0}]", false),
            (r"\{1}", false),
            (r"(?P<__list0>a+\w){0}", false),
            (r"(?x){4} {6}", false),
        ] {
            let mut source = String::new();
            let mut template = String::new();
            let mut used: Vec<&ListTree> = Vec::new();
            let mut rest = pattern;
            while let Some(open) = rest.find('{').filter(|&at| {
                rest[at + 1..]
                    .starts_with(|c: char| c.is_ascii_digit() && rest[at + 2..].starts_with('}'))
            }) {
                let i = usize::from(rest.as_bytes()[open + 1] - b'0');
                source.push_str(&rest[..open]);
                template.push_str(&rest[..open]);
                source.push_str(&lists[i]);
                template.push_str(&placeholder(used.len()));
                used.push(&trees[i]);
                rest = &rest[open + 3..];
            }
            source.push_str(rest);
            template.push_str(rest);
            let parsed = regex_syntax::parse(&source).ok();
            match splice(&template, &used) {
                Some(hir) => assert_eq!(Some(hir), parsed, "{source}"),
                None => assert!(!spliced, "{source} was not spliced"),
            }
            assert_eq!(splice(&template, &used).is_some(), spliced, "{source}");
        }
        assert!(trees[6].hir.is_none(), "a list with an unescaped dot");
    }

    #[test]
    fn each_form_is_compiled_when_a_text_first_needs_it_and_errors_come_at_load() {
        let re = WordRegex::new(r"\bkill\s+\w+", 1 << 20).unwrap();
        assert!(re.ascii.get().is_none() && re.unicode.get().is_none());
        assert!(re.is_match("kill them £5"));
        assert!(re.ascii.get().is_some() && re.unicode.get().is_none());
        assert!(re.is_match("kill café"));
        assert!(re.unicode.get().is_some());
        assert!(matches!(
            WordRegex::new(r"\w{5000}\w{5000}\w{5000}", 1 << 20),
            Err(regex::Error::CompiledTooBig(_))
        ));
        assert!(matches!(
            WordRegex::new("(", 1 << 20),
            Err(regex::Error::Syntax(_))
        ));
    }
}
