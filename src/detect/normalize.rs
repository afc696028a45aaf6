//! Normalisation for matching: lower case, Unicode look-alikes, leetspeak,
//! masked letters (`f*ck`), spaced letters (`a.s.s`), repeated letters — with
//! a map from every normalised byte back to the original text's offsets.
//!
//! Two views are produced. The *normalised* view is what regex rules and the
//! context guards read: one lower-case letter per original letter, with
//! disguises undone. The *squeezed* view additionally collapses runs of the
//! same letter (`fuuuck` → `fuck`) and runs of white space (to one space),
//! and is what the word-list automaton and the regex pre-filter read;
//! the matcher then checks the run lengths against the list word so that
//! squeezing never lets `as` stand in for `ass`.
//!
//! Disguises are only undone where a word is plausibly being disguised:
//! digits become letters only *inside* a word (`sh1t`, not `24hrs`), masks
//! are resolved only to words of the obfuscation lexicon of the same length,
//! and space-separated letters are joined only when they spell such a word.

use std::collections::{HashMap, HashSet};
use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// One character of the normalised view and the original bytes it came from.
#[derive(Debug, Clone, Copy)]
struct Unit {
    ch: char,
    start: usize,
    end: usize,
}

/// A character of a token, as the disguise checks read it: a [`Unit`], or
/// a byte of the ASCII fast path ([`normalize_plain`]).
trait Letter: Copy {
    fn ch(self) -> char;
}

impl Letter for Unit {
    fn ch(self) -> char {
        self.ch
    }
}

impl Letter for u8 {
    fn ch(self) -> char {
        char::from(self)
    }
}

/// Built once from the obfuscation lexicon (words people disguise).
#[derive(Debug, Default)]
pub struct Normalizer {
    /// Lexicon words by length in chars, in list order (first wins).
    by_len: HashMap<usize, Vec<Vec<char>>>,
    /// The same words, for joining spaced letters.
    words: HashSet<String>,
}

/// The normalised view of one piece of text.
#[derive(Debug, Default)]
pub struct Normalized {
    pub text: String,
    /// Per byte of `text`: the original start/end of the char it came from.
    /// `ends` is empty where each byte came from the one original byte at
    /// its start ([`normalize_plain`]): each ends one byte on.
    starts: Vec<usize>,
    ends: Vec<usize>,
}

/// The squeezed view: runs of one repeated letter collapsed to one letter.
#[derive(Debug, Default)]
pub struct Squeezed {
    pub text: String,
    /// Per byte of `text`: the normalised byte range of the run it stands for.
    /// `ends` is empty where each byte's run ends where the next byte's
    /// starts, the last at `len` ([`Normalized::squeeze_bytes`] of a text
    /// that keeps no non-ASCII symbol): [`Squeezed::end`] reads it so.
    starts: Vec<usize>,
    ends: Vec<usize>,
    /// The length of the normalised text.
    len: usize,
}

impl Normalizer {
    /// `lexicon`: lower-case words (with inflections already expanded).
    pub fn new<'a>(lexicon: impl IntoIterator<Item = &'a str>) -> Normalizer {
        let mut n = Normalizer::default();
        for w in lexicon {
            let folded = fold_str(w);
            if folded.chars().count() < 3 || !n.words.insert(folded.clone()) {
                continue;
            }
            let chars: Vec<char> = folded.chars().collect();
            n.by_len.entry(chars.len()).or_default().push(chars);
        }
        n
    }

    /// Normalise `text`, whose first byte is at `base` in the message.
    pub fn normalize(&self, text: &str, base: usize) -> Normalized {
        match fold_plain(text, base, false) {
            Ok((norm, _)) => norm,
            Err(Some(folded)) => self.undo_disguises(folded.units()),
            Err(None) => self.normalize_units(text, base),
        }
    }

    /// [`Normalizer::normalize`] and its [`Normalized::squeeze`] together:
    /// an ASCII text with nothing to undo gets both straight from its bytes.
    pub fn normalize_squeezed(&self, text: &str, base: usize) -> (Normalized, Squeezed) {
        let norm = match fold_plain(text, base, true) {
            Ok((norm, Some(squeezed))) => return (norm, squeezed),
            Ok((norm, None)) => norm,
            // Folded by the fast path, a disguise to undo: not folded again.
            Err(Some(folded)) => self.undo_disguises(folded.units()),
            Err(None) => self.normalize_units(text, base),
        };
        let squeezed = norm.squeeze();
        (norm, squeezed)
    }

    /// [`Normalizer::normalize`] for any text: a [`Unit`] per character.
    fn normalize_units(&self, text: &str, base: usize) -> Normalized {
        self.undo_disguises(fold_units(text, base))
    }

    /// The rest of [`Normalizer::normalize_units`] after folding: the
    /// disguises undone in the folded `units`.
    fn undo_disguises(&self, mut units: Vec<Unit>) -> Normalized {
        for range in token_ranges(&units) {
            self.undo_token_disguise(&mut units[range]);
        }
        let units = join_spaced_letters(units, |c| !c.is_whitespace(), |_| true);
        let units = join_spaced_letters(units, |c| c == ' ', |w| self.words.contains(w));
        Normalized::from_units(&units)
    }

    /// Leet symbols and masks inside one token (in place, same length).
    fn undo_token_disguise(&self, token: &mut [Unit]) {
        let core = trim_edges(token);
        let token = &mut token[core];
        if !may_be_disguised(token) {
            return;
        }
        if should_map_leet(token) {
            for u in token.iter_mut() {
                if let Some(l) = leet_letter(u.ch) {
                    u.ch = l;
                }
            }
        }
        if token.iter().any(|u| is_mask(u.ch)) {
            self.resolve_mask(token);
        }
    }

    /// `f*ck` → `fuck` when exactly the lexicon's first word of that length
    /// agrees with every visible letter.
    fn resolve_mask(&self, token: &mut [Unit]) {
        if !plausible_mask(token) {
            return;
        }
        let Some(candidates) = self.by_len.get(&token.len()) else {
            return;
        };
        let fits = |w: &&Vec<char>| {
            w.iter()
                .zip(token.iter())
                .all(|(&c, u)| is_mask(u.ch) || u.ch == c)
        };
        if let Some(word) = candidates.iter().find(fits) {
            for (u, &c) in token.iter_mut().zip(word.iter()) {
                u.ch = c;
            }
        }
    }
}

impl Normalized {
    fn with_capacity(len: usize) -> Normalized {
        Normalized {
            text: String::with_capacity(len),
            starts: Vec::with_capacity(len),
            ends: Vec::with_capacity(len),
        }
    }

    fn from_units(units: &[Unit]) -> Normalized {
        let mut n = Normalized::with_capacity(units.len());
        units.iter().for_each(|&u| n.push(u));
        n
    }

    /// `u`'s character at the end, each of its bytes from `u`'s range.
    fn push(&mut self, u: Unit) {
        self.text.push(u.ch);
        for _ in 0..u.ch.len_utf8() {
            self.starts.push(u.start);
            self.ends.push(u.end);
        }
    }

    /// A [`Unit`] per character, as [`fold_units`] gives them where each
    /// character came from one original character (the fast path's
    /// folding, [`fold_plain`]).
    fn units(&self) -> Vec<Unit> {
        (self.text.char_indices())
            .map(|(i, ch)| Unit {
                ch,
                start: self.starts[i],
                end: match self.ends.is_empty() {
                    true => self.starts[i] + 1,
                    false => self.ends[i],
                },
            })
            .collect()
    }

    /// Where in the original the character that byte `start` of `text`
    /// came from starts: the first of [`Normalized::original`].
    pub fn original_start(&self, start: usize) -> usize {
        self.starts[start]
    }

    /// The original byte range of the normalised byte range `start..end`.
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end && end <= self.text.len());
        let end = match self.ends.is_empty() {
            true => self.starts[end - 1] + 1,
            false => self.ends[end - 1],
        };
        (self.starts[start], end)
    }

    /// The squeezed view of a normalised text byte by byte: an ASCII text,
    /// or one of the fast path ([`normalize_plain`]), whose only non-ASCII
    /// characters are kept symbols (no letter, no white space: never
    /// squeezed, each byte from the whole character).
    fn squeeze_bytes(text: &[u8]) -> Squeezed {
        // Eight bytes at a time where each is printable ASCII, its own
        // squeezed byte ([`squeezed_away`]): most of a text, copied as they
        // are where none is squeezed away, else the kept ones each; byte by
        // byte for the eight bytes after, where one is not. Pushed, not
        // written in place: nothing to zero first.
        let mut out: Vec<u8> = Vec::with_capacity(text.len());
        let mut starts: Vec<usize> = Vec::with_capacity(text.len());
        let (mut prev, mut symbol) = (0u8, 0);
        let mut i = 0;
        while i < text.len() {
            if let Some(&eight) = text.get(i..).and_then(|t| t.first_chunk::<8>()) {
                match squeezed_away(u64::from_le_bytes(eight), prev) {
                    Some(0) => {
                        out.extend_from_slice(&eight);
                        starts.extend(i..i + 8);
                    }
                    Some(away) => {
                        // The bytes kept, each at its place (a letter
                        // doubled, most often: one away).
                        let mut kept = !away & HIGH;
                        while kept != 0 {
                            let k = (kept.trailing_zeros() / 8) as usize;
                            out.push(eight[k]);
                            starts.push(i + k);
                            kept &= kept - 1;
                        }
                    }
                    None => {
                        squeeze_each(text, i, &mut prev, &mut symbol, &mut out, &mut starts);
                        i += 8;
                        continue;
                    }
                }
                prev = eight[7];
                i += 8;
                continue;
            }
            squeeze_each(text, i, &mut prev, &mut symbol, &mut out, &mut starts);
            i += 8;
        }
        let kept = out.len();
        // Each squeezed character ends where the next starts
        // ([`Squeezed::end`]): no `ends` to write, but where a symbol was
        // kept, whose every byte ends where the symbol does.
        let mut ends = Vec::new();
        if !text.is_ascii() {
            ends.reserve_exact(kept);
            ends.extend_from_slice(starts.get(1..).unwrap_or_default());
            ends.push(text.len());
            ends.truncate(kept);
            for (j, &b) in out.iter().enumerate() {
                if !b.is_ascii() {
                    ends[j] = starts[j] + utf8_len(text[starts[j]]);
                }
            }
        }
        let text_len = text.len();
        let text = String::from_utf8(out).expect("whole characters were kept");
        Squeezed {
            text,
            starts,
            ends,
            len: text_len,
        }
    }

    /// The squeezed view of this text.
    pub fn squeeze(&self) -> Squeezed {
        match self.text.is_ascii() {
            true => Normalized::squeeze_bytes(self.text.as_bytes()),
            false => self.squeeze_chars(),
        }
    }

    /// [`Normalized::squeeze`] character by character, for any text.
    fn squeeze_chars(&self) -> Squeezed {
        let mut s = Squeezed::with_capacity(self.text.len());
        s.len = self.text.len();
        let mut prev: Option<char> = None;
        for (i, c) in self.text.char_indices() {
            let end = i + c.len_utf8();
            if continues_run(prev, c) {
                let last = s.ends.len() - prev.map_or(0, char::len_utf8);
                s.ends[last..].fill(end);
                continue;
            }
            let v = squeezed_char(c);
            s.text.push(v);
            for _ in 0..v.len_utf8() {
                s.starts.push(i);
                s.ends.push(end);
            }
            prev = Some(v);
        }
        s
    }
}

/// What an ASCII byte is in the squeezed view ([`squeezed_char`]), with
/// the top bit set where a run of it is squeezed ([`continues_run`]: a
/// letter or a space).
static SQUEEZE: [u8; 128] = {
    let mut squeeze = [0; 128];
    let mut b = 0;
    while b < 0x80 {
        let c = b as u8;
        squeeze[b] = match c {
            _ if c.is_ascii_whitespace() || c == 0x0b => b' ' | 0x80,
            _ if c.is_ascii_alphabetic() => c | 0x80,
            _ => c,
        };
        b += 1;
    }
    squeeze
};

/// Each byte of a `u64` read from eight bytes: `0x01` in every byte, and
/// every byte's top bit.
const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGH: u64 = ONES * 0x80;

/// The top bit of each byte of `x` that is zero, and no other bit (exact:
/// no borrow runs from one byte into the next).
const fn zero_bytes(x: u64) -> u64 {
    !(((x & !HIGH).wrapping_add(!HIGH)) | x) & HIGH
}

/// The top bit of each byte of `x` (each under `0x80`) that is at least
/// `n` (at most `0x80`), and no other bit.
const fn bytes_at_least(x: u64, n: u8) -> u64 {
    x.wrapping_add(ONES * (0x80 - n as u64)) & HIGH
}

/// [`Normalized::squeeze_bytes`] byte by byte for the (up to) eight bytes
/// of `text` from `from`: `prev` the squeezed byte before, `symbol` where
/// the last non-ASCII character started.
fn squeeze_each(
    text: &[u8],
    from: usize,
    prev: &mut u8,
    symbol: &mut usize,
    out: &mut Vec<u8>,
    starts: &mut Vec<usize>,
) {
    for (i, &b) in text.iter().enumerate().skip(from).take(8) {
        if !b.is_ascii() {
            if b >= 0xc0 {
                *symbol = i;
            }
            out.push(b);
            starts.push(*symbol);
            *prev = b;
            continue;
        }
        let squeezed = SQUEEZE[usize::from(b)];
        let v = squeezed & 0x7f;
        if !(*prev == v && squeezed & 0x80 != 0) {
            out.push(v);
            starts.push(i);
        }
        *prev = v;
    }
}

/// Where eight bytes (`x`, the first in its lowest byte), after the
/// squeezed view's byte `prev`, are each printable ASCII (`0x20..=0x7f`,
/// its own squeezed byte in [`SQUEEZE`]): the top bit of each that is
/// squeezed away (a letter or space repeating the byte before it), as
/// [`Normalized::squeeze_bytes`]'s byte loop would squeeze it; the others
/// are the squeezed view's next bytes. `None` where one is not.
fn squeezed_away(x: u64, prev: u8) -> Option<u64> {
    if x & HIGH != 0 || bytes_at_least(x, 0x20) != HIGH {
        return None;
    }
    let same = zero_bytes(x ^ ((x << 8) | u64::from(prev)));
    let lower = x | (ONES * 0x20);
    let letter = bytes_at_least(lower, b'a') & !bytes_at_least(lower, b'z' + 1);
    Some(same & (letter | zero_bytes(x ^ (ONES * u64::from(b' ')))))
}

/// Eight bytes of a text (`x`, the first in its lowest byte) folded as
/// [`FOLD`] folds each, where each folds to one byte of its own: printable
/// ASCII (`0x20..=0x7f`) but `` ` `` (a quote), upper case made lower, and
/// no space after a space (`after_space`: the byte before was one). `None`
/// otherwise: the byte loop takes them.
fn fold_eight(x: u64, after_space: bool) -> Option<u64> {
    if x & HIGH != 0 || bytes_at_least(x, 0x20) != HIGH || zero_bytes(x ^ (ONES * 0x60)) != 0 {
        return None;
    }
    let spaces = zero_bytes(x ^ (ONES * u64::from(b' ')));
    if spaces & ((spaces << 8) | (u64::from(after_space) << 7)) != 0 {
        return None;
    }
    let upper = bytes_at_least(x, b'A') & !bytes_at_least(x, b'Z' + 1);
    Some(x | (upper >> 2))
}

/// The length of the UTF-8 character whose first byte is `lead` (not ASCII).
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xf0.. => 4,
        0xe0.. => 3,
        _ => 2,
    }
}

/// What `c` is in the squeezed view: white space of any kind is a space.
pub fn squeezed_char(c: char) -> char {
    if c.is_whitespace() {
        ' '
    } else {
        c
    }
}

/// Whether `c`, after the squeezed view's character `prev`, is squeezed
/// away: a repeat of the same letter, or white space after white space.
/// (Runs of other characters, `!!!` or `...`, are kept.)
pub fn continues_run(prev: Option<char>, c: char) -> bool {
    let c = squeezed_char(c);
    prev == Some(c) && (c.is_alphabetic() || c == ' ')
}

impl Squeezed {
    fn with_capacity(len: usize) -> Squeezed {
        Squeezed {
            text: String::with_capacity(len),
            starts: Vec::with_capacity(len),
            ends: Vec::with_capacity(len),
            len: 0,
        }
    }

    /// The normalised byte range of the squeezed byte range `start..end`.
    pub fn normalized(&self, start: usize, end: usize) -> (usize, usize) {
        (self.starts[start], self.end(end - 1))
    }

    /// Where in the normalised text the run that byte `at` stands for ends.
    #[inline]
    fn end(&self, at: usize) -> usize {
        match self.ends.is_empty() {
            true => self.starts.get(at + 1).copied().unwrap_or(self.len),
            false => self.ends[at],
        }
    }

    /// Per byte of the text, [`Squeezed::end`] (for the tests).
    #[cfg(test)]
    fn all_ends(&self) -> Vec<usize> {
        (0..self.starts.len()).map(|at| self.end(at)).collect()
    }

    /// How many characters of the normalised text the squeezed character
    /// at byte `at` stands for (a run of one letter, or of white space).
    pub fn run_len(&self, at: usize) -> usize {
        let c = self.text[at..].chars().next().map_or(1, char::len_utf8);
        (self.end(at) - self.starts[at]) / c
    }
}

/// The normalised view of a text that folds to ASCII with nothing to undo,
/// built straight into its text and offsets, and its squeezed view when
/// `squeeze`: what [`Normalizer::normalize`] (and [`Normalized::squeeze`])
/// give, in a pass over the bytes (and one over the folded bytes to
/// squeeze), without a [`Unit`] per character and the passes over them.
/// ASCII is read byte by byte; a non-ASCII character is decoded and folded
/// ([`fold_char`]) and must give one ASCII character (a curly quote, a dash,
/// an accented letter) or be white space. The checks read the folded bytes.
/// `None` when a character folds to anything else (`£`, `ß`, a soft hyphen,
/// a letter of another script), when a token may be disguised (leet or
/// masks), or when three single letters stand in a row with one separator
/// (`a.s.s`, `u r a`): the general path decides those. The engine calls
/// [`fold_plain`], which says which; the tests ask this.
#[cfg(test)]
fn normalize_plain(
    text: &str,
    base: usize,
    squeeze: bool,
) -> Option<(Normalized, Option<Squeezed>)> {
    fold_plain(text, base, squeeze).ok()
}

/// [`normalize_plain`], or why not: `Err(Some(folded))` where the text
/// was folded (each character from one original character, as
/// [`fold_units`] folds it) but has a disguise to undo, so the general
/// path goes on from `folded` rather than folding again; `Err(None)`
/// where a character folds to other than one character.
fn fold_plain(
    text: &str,
    base: usize,
    squeeze: bool,
) -> Result<(Normalized, Option<Squeezed>), Option<Normalized>> {
    // Each folded byte is one character folded ([`fold_each`],
    // [`fold_char`]) and comes from the original character at `starts`;
    // only original white space folds to white space here.
    // While every character so far was one byte (all of an ASCII text),
    // `ends` stays empty: each ends one byte on. White space is
    // `char::is_whitespace` (`\x0b` included), a run of it one space, or
    // one newline where it holds a blank line.
    let bytes = text.as_bytes();
    let mut folded: Vec<u8> = Vec::with_capacity(text.len());
    let mut starts: Vec<usize> = Vec::with_capacity(text.len());
    let mut ends: Vec<usize> = Vec::new();
    let (mut newlines, mut in_space, mut wide) = (0usize, false, false);
    // Whether a non-ASCII symbol was kept ([`fold_one`]).
    let mut symbols = false;
    let mut i = 0;
    while i < bytes.len() {
        // A run of bytes that each fold to one byte ([`FOLD`]) from the one
        // original byte there: ASCII other than white space, and spaces
        // not after white space (the code below takes the rest).
        let (run, mut last) = (i, if in_space { b' ' } else { 0 });
        // Eight bytes at a time while they fold so ([`fold_eight`]), then
        // byte by byte.
        while let Some(&eight) = bytes.get(i..).and_then(|t| t.first_chunk::<8>()) {
            let Some(lower) = fold_eight(u64::from_le_bytes(eight), last == b' ') else {
                break;
            };
            folded.extend_from_slice(&lower.to_le_bytes());
            // Only ever asked whether it is a space, which folds to itself.
            (last, i) = (eight[7], i + 8);
        }
        let eights = i;
        while let Some(&b) = bytes.get(i) {
            let f = FOLD[usize::from(b)];
            if f == 0 || f == b' ' && last == b' ' {
                break;
            }
            (last, i) = (f, i + 1);
        }
        if i > run {
            folded.extend(bytes[eights..i].iter().map(|&b| FOLD[usize::from(b)]));
            starts.extend(base + run..base + i);
            if wide {
                ends.extend(base + run + 1..base + i + 1);
            }
            // `newlines` counts only within white space that began
            // before a newline: a space before it starts from none.
            (in_space, newlines) = (last == b' ', 0);
            if i == bytes.len() {
                break;
            }
        }
        let b = bytes[i];
        let (b, len) = if b.is_ascii() {
            (b, 1)
        } else {
            let c = text[i..].chars().next().expect("a character starts here");
            if !wide {
                wide = true;
                ends.reserve(text.len());
                ends.extend(starts.iter().map(|&s| s + 1));
            }
            let b = match c.is_whitespace() {
                true => b' ',
                false => match fold_one(c).ok_or(None)? {
                    Ok(b) => b,
                    Err(symbol) => {
                        // Kept as it is: each of its bytes from `c`.
                        let mut utf8 = [0; 4];
                        for &b in symbol.encode_utf8(&mut utf8).as_bytes() {
                            folded.push(b);
                            starts.push(base + i);
                            ends.push(base + i + c.len_utf8());
                        }
                        (in_space, newlines, symbols) = (false, 0, true);
                        i += c.len_utf8();
                        continue;
                    }
                },
            };
            (b, c.len_utf8())
        };
        let at = i;
        i += len;
        let folded_byte = if b.is_ascii_whitespace() || b == 0x0b {
            newlines += usize::from(b == b'\n');
            if in_space {
                if newlines >= 2 {
                    // The space stays a space in the squeezed view.
                    *folded.last_mut().expect("a space was given") = b'\n';
                }
                continue;
            }
            in_space = true;
            b' '
        } else {
            in_space = false;
            newlines = 0;
            match (b, len) {
                (b'`', 1) => b'\'',
                (_, 1) => b.to_ascii_lowercase(),
                // Already folded.
                _ => b,
            }
        };
        folded.push(folded_byte);
        starts.push(base + at);
        if wide {
            ends.push(base + i);
        }
    }
    let text = String::from_utf8(folded).expect("whole characters were folded");
    let general = needs_general_path(text.as_bytes(), symbols);
    let norm = Normalized { text, starts, ends };
    if general {
        return Err(Some(norm));
    }
    // Squeezed only now: some segments end up on the general path, which
    // squeezes its own text.
    let squeezed = squeeze.then(|| Normalized::squeeze_bytes(norm.text.as_bytes()));
    Ok((norm, squeezed))
}

/// A byte of a folded text as [`needs_general_path`] reads it: a letter,
/// a digit, a token character ([`is_token_char`]), one that leet or a mask
/// may stand for a letter ([`leet_letter`], [`is_mask`]). Non-ASCII bytes
/// are none of these (a kept symbol parts tokens).
const ALPHA: u8 = 1;
const DIGIT: u8 = 2;
const TOKEN: u8 = 4;
const LEET: u8 = 8;

static CLASS: [u8; 256] = {
    let mut class = [0; 256];
    let mut b = 0;
    while b < 0x80 {
        let c = b as u8 as char;
        class[b] = if c.is_ascii_alphabetic() {
            ALPHA | TOKEN
        } else if c.is_ascii_digit() {
            DIGIT | TOKEN
        } else if is_token_symbol(c) {
            TOKEN
        } else {
            0
        } | if leet_letter(c).is_some() || is_mask(c) {
            LEET
        } else {
            0
        };
        b += 1;
    }
    class
};

/// What an ASCII byte other than white space folds to in the fast path
/// ([`fold_char`]: lower case, `` ` `` a quote), and a space to itself;
/// 0 for other white space, a non-ASCII byte and NUL, which the
/// per-character code takes.
static FOLD: [u8; 256] = {
    let mut fold = [0; 256];
    let mut b = 1;
    while b < 0x80 {
        let c = b as u8;
        fold[b] = match c {
            b'`' => b'\'',
            b' ' => b' ',
            _ if c.is_ascii_whitespace() || c == 0x0b => 0,
            _ => c.to_ascii_lowercase(),
        };
        b += 1;
    }
    fold
};

/// Whether the fast path leaves a folded text to the general path, in one
/// pass over its bytes: a token (a run of token characters; a kept
/// symbol's bytes part tokens, as the symbol does) that may be disguised
/// ([`may_be_disguised`], asked only of a token holding a letter and a
/// character leet or a mask stands for, as it needs both), or single
/// letters to join ([`has_spaced_letters`]).
fn needs_general_path(folded: &[u8], symbols: bool) -> bool {
    // The token so far: where it starts and its bytes' classes together.
    let (mut token, mut kinds) = (0, 0);
    // The letters or digits so far, and the last two single letters.
    let mut alnum = 0;
    let (mut last, mut before) = (usize::MAX, usize::MAX);
    let mut i = 0;
    while i < folded.len() {
        // Eight bytes at a time where the loop below would only count
        // letters and end tokens of letters ([`plain_eight`]).
        if let Some(&eight) = folded.get(i..).and_then(|t| t.first_chunk::<8>()) {
            if kinds & LEET == 0 {
                if let Some(separators) = plain_eight(u64::from_le_bytes(eight), alnum) {
                    if separators == 0 {
                        (kinds, alnum) = (kinds | ALPHA | TOKEN, alnum + 8);
                    } else {
                        // After the last separator, the letters of a token.
                        let at = (63 - separators.leading_zeros() as usize) / 8;
                        (token, alnum) = (i + at + 1, 7 - at);
                        kinds = if alnum > 0 { ALPHA | TOKEN } else { 0 };
                    }
                    i += 8;
                    continue;
                }
            }
        }
        // One byte, at `i`; the loop goes on from the next.
        let (at, b) = (i, folded[i]);
        i += 1;
        let i = at;
        let class = CLASS[usize::from(b)];
        if class & TOKEN != 0 {
            kinds |= class;
        } else {
            if kinds & (ALPHA | LEET) == ALPHA | LEET && token_may_be_disguised(&folded[token..i]) {
                return true;
            }
            (token, kinds) = (i + 1, 0);
        }
        if class & (ALPHA | DIGIT) != 0 {
            alnum += 1;
            continue;
        }
        if alnum == 1 && CLASS[usize::from(folded[i - 1])] & ALPHA != 0 {
            // `i - 1` is a single letter, `b` the byte after it.
            let at = i - 1;
            if symbols && !b.is_ascii()
                || at >= 4 && last == at - 2 && before == at - 4 && folded[at - 1] == folded[at - 3]
            {
                return true;
            }
            (last, before) = (at, last);
        }
        alnum = 0;
    }
    let end = folded.len();
    kinds & (ALPHA | LEET) == ALPHA | LEET && token_may_be_disguised(&folded[token..])
        || alnum == 1
            && CLASS[usize::from(folded[end - 1])] & ALPHA != 0
            && end >= 5
            && last == end - 3
            && before == end - 5
            && folded[end - 2] == folded[end - 4]
}

/// Where eight bytes of a folded text (`x`, the first in its lowest byte)
/// are each a lower-case letter or a separator (white space or punctuation
/// that is no token character: ` `, `%&'()`, `,-./`, `:;<=>?`), no letter
/// among them stands single (a separator either side; before the first,
/// `alnum` letters or digits), and the first is no separator after a
/// single letter or digit (`alnum` 1): the top bit of each separator.
/// [`needs_general_path`]'s loop would only count their letters and end
/// tokens of letters there. `None` otherwise.
fn plain_eight(x: u64, alnum: usize) -> Option<u64> {
    if x & HIGH != 0 {
        return None;
    }
    let within = |from: u8, to: u8| bytes_at_least(x, from) & !bytes_at_least(x, to + 1);
    let letters = within(b'a', b'z');
    let separators = zero_bytes(x ^ (ONES * u64::from(b' ')))
        | within(b'%', b')')
        | within(b',', b'/')
        | within(b':', b'?');
    if letters | separators != HIGH || alnum == 1 && separators & 0x80 != 0 {
        return None;
    }
    let before = (separators << 8) | (u64::from(alnum == 0) << 7);
    (letters & (separators >> 8) & before == 0).then_some(separators)
}

/// [`may_be_disguised`] for a token of a folded text, edges trimmed.
fn token_may_be_disguised(token: &[u8]) -> bool {
    may_be_disguised(&token[trim_edges(token)])
}

/// What `c` (not white space) folds to ([`fold_char`]) when that is one
/// character the fast path takes: an ASCII one other than white space or a
/// control (`Ok`; `¨` folds to a space that is not white space to
/// [`fold_each`]), or a non-ASCII symbol that folds to itself and that no
/// check reads as a letter, digit, token character or white space (`Err`:
/// `£`, `€`, `°`). `None` for anything else (`ß`, a soft hyphen, a letter
/// of another script).
fn fold_one(c: char) -> Option<Result<u8, char>> {
    let (mut one, mut count) = (None, 0);
    fold_char(c, |f| {
        count += 1;
        one = Some(f);
    });
    match one.filter(|_| count == 1)? {
        f if f.is_ascii_graphic() => Some(Ok(f as u8)),
        f if f == c && !f.is_ascii() && !f.is_alphanumeric() && !f.is_whitespace() => Some(Err(f)),
        _ => None,
    }
}

/// Whether a token (edges trimmed) holds a letter and leet to map or a mask
/// to resolve: only then can undoing disguises change it.
fn may_be_disguised<L: Letter>(token: &[L]) -> bool {
    token.iter().any(|u| u.ch().is_alphabetic())
        && (should_map_leet(token) || token.iter().any(|u| is_mask(u.ch())))
}

/// Whether three single letters (no letter or digit either side) follow one
/// another with the same one-byte separator in a folded text: what the
/// passes that join spaced letters start from. With `symbols` (non-ASCII
/// symbols kept, each a separator of several bytes), also whether a single
/// letter stands right before one (`a£b£c`): the general path decides those.
#[cfg(test)]
fn has_spaced_letters(folded: &[u8], symbols: bool) -> bool {
    let single = |i: usize| {
        folded[i].is_ascii_alphabetic()
            && (i == 0 || !folded[i - 1].is_ascii_alphanumeric())
            && folded.get(i + 1).is_none_or(|b| !b.is_ascii_alphanumeric())
    };
    (0..folded.len().saturating_sub(4))
        .any(|i| single(i) && single(i + 2) && single(i + 4) && folded[i + 1] == folded[i + 3])
        || symbols
            && (0..folded.len().saturating_sub(1)).any(|i| !folded[i + 1].is_ascii() && single(i))
}

/// Lower-case, strip accents, map look-alikes; collapse whitespace runs to
/// one space (or one newline where the run holds a blank line).
fn fold_units(text: &str, base: usize) -> Vec<Unit> {
    let mut units: Vec<Unit> = Vec::with_capacity(text.len());
    fold_each(text, base, |folded| match folded {
        Folded::Char(unit) => units.push(unit),
        Folded::BlankLine => {
            if let Some(last) = units.last_mut() {
                last.ch = '\n';
            }
        }
    });
    units
}

/// What folding a text gives, in order.
enum Folded {
    /// The next character of the folded text.
    Char(Unit),
    /// The white space just given (one space) holds a blank line: it is a
    /// newline instead.
    BlankLine,
}

/// Fold `text` (first byte at `base`) character by character: each
/// character folded ([`fold_char`]), each run of white space one space.
fn fold_each(text: &str, base: usize, mut emit: impl FnMut(Folded)) {
    let mut newlines = 0usize;
    let mut in_space = false;
    for (i, c) in text.char_indices() {
        let (start, end) = (base + i, base + i + c.len_utf8());
        if c.is_whitespace() {
            newlines += usize::from(c == '\n');
            if !in_space {
                emit(Folded::Char(Unit {
                    ch: ' ',
                    start,
                    end,
                }));
                in_space = true;
            }
            if newlines >= 2 {
                emit(Folded::BlankLine);
            }
            continue;
        }
        in_space = false;
        newlines = 0;
        fold_char(c, |ch| emit(Folded::Char(Unit { ch, start, end })));
    }
}

/// The folded form of a word-list entry (same folding as message text).
pub fn fold_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars() {
        fold_char(c, |ch| out.push(ch));
    }
    out
}

fn fold_char(c: char, mut emit: impl FnMut(char)) {
    if c.is_ascii() {
        emit(match c {
            '`' => '\'',
            _ => c.to_ascii_lowercase(),
        });
        return;
    }
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}' => emit('\''),
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{00AB}' | '\u{00BB}' => emit('"'),
        '\u{2010}'..='\u{2015}' | '\u{2212}' => emit('-'),
        // Invisible characters used to break words apart.
        '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => {}
        'ß' => {
            emit('s');
            emit('s');
        }
        _ => decompose_compatible(c, |d| {
            for l in d.to_lowercase() {
                if !is_combining_mark(l) {
                    emit(confusable(l));
                }
            }
        }),
    }
}

/// Cyrillic and Greek letters that look like Latin ones, and a few Latin
/// letters that do not decompose.
fn confusable(c: char) -> char {
    match c {
        'а' | 'α' => 'a',
        'в' | 'β' | 'ь' => 'b',
        'с' | 'ϲ' => 'c',
        'ԁ' | 'đ' => 'd',
        'е' | 'є' | 'ε' | 'э' => 'e',
        'һ' | 'н' => 'h',
        'і' | 'ї' | 'ι' | 'ı' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'ł' => 'l',
        'м' => 'm',
        'η' | 'п' => 'n',
        'о' | 'ο' | 'σ' | 'ø' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'г' => 'r',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' | 'μ' => 'u',
        'ν' => 'v',
        'ԝ' | 'ω' | 'ш' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        _ => c,
    }
}

fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || is_token_symbol(c)
}

/// The symbols that are token characters ([`is_token_char`]).
const fn is_token_symbol(c: char) -> bool {
    matches!(c, '@' | '$' | '!' | '*' | '#' | '_' | '|' | '+')
}

/// Characters that stand for a hidden letter.
const fn is_mask(c: char) -> bool {
    matches!(c, '*' | '#' | '_')
}

const fn leet_letter(c: char) -> Option<char> {
    Some(match c {
        '@' | '4' => 'a',
        '$' | '5' => 's',
        '!' | '1' | '|' => 'i',
        '0' => 'o',
        '3' => 'e',
        '7' | '+' => 't',
        '8' => 'b',
        '9' => 'g',
        _ => return None,
    })
}

/// Maximal runs of token characters.
fn token_ranges(units: &[Unit]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, u) in units.iter().enumerate() {
        match (is_token_char(u.ch), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..units.len());
    }
    out
}

/// Drop punctuation at a token's edges (`hello!`), keeping `@`/`$` in front
/// (`@ss`), `$` at the end (`a$$`) and masks anywhere (`f***`).
fn trim_edges<L: Letter>(token: &[L]) -> std::ops::Range<usize> {
    let lead = |c: char| matches!(c, '!' | '|' | '+');
    let trail = |c: char| matches!(c, '!' | '|' | '+' | '@');
    let start = token.iter().take_while(|u| lead(u.ch())).count();
    let end = token.len()
        - token[start..]
            .iter()
            .rev()
            .take_while(|u| trail(u.ch()))
            .count();
    start..end
}

/// A masked word shows its first letter and, when short, one more
/// (`f***`, `c**t`, `sh*t`) — unlike emphasis such as `*I*` or `_on_`.
fn plausible_mask(token: &[Unit]) -> bool {
    let letters = token.iter().filter(|u| u.ch.is_alphabetic()).count();
    token[0].ch.is_alphabetic() && (token.len() >= 4 || letters >= 2)
}

/// Leet is undone only where it sits inside a word (`sh1t`, `5h1t`) or is a
/// symbol at its edge (`@ss`, `a$$`) — never for `24hrs`, `10am`, `mp3`.
fn should_map_leet<L: Letter>(token: &[L]) -> bool {
    let alpha = |u: &L| u.ch().is_alphabetic();
    let Some(first) = token.iter().position(alpha) else {
        return false;
    };
    let last = token.iter().rposition(alpha).unwrap_or(first);
    let interior = token[first..last]
        .iter()
        .any(|u| leet_letter(u.ch()).is_some());
    let symbol_edge = token[..first].iter().all(|u| matches!(u.ch(), '@' | '$')) && first > 0
        || token[last + 1..].iter().all(|u| u.ch() == '$') && last + 1 < token.len();
    interior || symbol_edge
}

/// Join runs of three or more single letters separated by one repeated
/// separator (`a.s.s`, `f u c k`). `sep_ok` picks the separators of this
/// pass; `accept` decides whether a joined run may stand (spaces are common
/// in text-speak, so that pass only joins lexicon words).
fn join_spaced_letters(
    units: Vec<Unit>,
    sep_ok: impl Fn(char) -> bool,
    accept: impl Fn(&str) -> bool,
) -> Vec<Unit> {
    let single = |i: usize| {
        units[i].ch.is_alphabetic()
            && (i == 0 || !units[i - 1].ch.is_alphanumeric())
            && units.get(i + 1).is_none_or(|u| !u.ch.is_alphanumeric())
    };
    // Most text has no run of three single letters: nothing is allocated
    // or rebuilt for it.
    let mut drop: Vec<bool> = Vec::new();
    let mut letters: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < units.len() {
        if !single(i) {
            i += 1;
            continue;
        }
        letters.clear();
        letters.push(i);
        let sep = units.get(i + 1).map(|u| u.ch);
        while let Some(s) = sep.filter(|&s| sep_ok(s) && !s.is_alphanumeric()) {
            let next = letters[letters.len() - 1] + 2;
            if next < units.len() && units[next - 1].ch == s && single(next) {
                letters.push(next);
            } else {
                break;
            }
        }
        if letters.len() >= 3 {
            if drop.is_empty() {
                drop.resize(units.len(), false);
            }
            mark_joinable(&units, &letters, &accept, &mut drop);
        }
        i = letters[letters.len() - 1] + 1;
    }
    if !drop.contains(&true) {
        return units;
    }
    units
        .into_iter()
        .zip(drop)
        .filter_map(|(u, d)| (!d).then_some(u))
        .collect()
}

/// Within one run of single letters, mark the separators of the longest
/// accepted sub-runs (of three or more letters) for removal.
fn mark_joinable(
    units: &[Unit],
    letters: &[usize],
    accept: &dyn Fn(&str) -> bool,
    drop: &mut [bool],
) {
    let mut a = 0;
    while a + 3 <= letters.len() {
        let found = (a + 3..=letters.len()).rev().find(|&b| {
            let word: String = letters[a..b].iter().map(|&i| units[i].ch).collect();
            accept(&word)
        });
        match found {
            Some(b) => {
                for &i in &letters[a + 1..b] {
                    drop[i - 1] = true;
                }
                a = b;
            }
            None => a += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm() -> Normalizer {
        Normalizer::new(["fuck", "fucking", "shit", "ass", "cunt", "twat"])
    }

    fn view(s: &str) -> String {
        norm().normalize(s, 0).text
    }

    #[test]
    fn undoes_common_disguises() {
        assert_eq!(view("F*CK off"), "fuck off");
        assert_eq!(view("the f**king bin"), "the fucking bin");
        assert_eq!(view("sh1t"), "shit");
        assert_eq!(view("sh!t!"), "shit!");
        assert_eq!(view("@ss"), "ass");
        assert_eq!(view("a$$"), "ass");
        assert_eq!(view("a.s.s"), "ass");
        assert_eq!(view("f u c k you"), "fuck you");
        assert_eq!(view("fuuuuck"), "fuuuuck");
        assert_eq!(view("ѕhіt"), "shit");
        assert_eq!(view("ＦＵＣＫ"), "fuck");
        assert_eq!(view("fück"), "fuck");
        assert_eq!(view("It’s"), "it's");
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        assert_eq!(
            view("reply in 24hrs by 10am, 2 hours"),
            "reply in 24hrs by 10am, 2 hours"
        );
        assert_eq!(view("u r a joke"), "u r a joke");
        assert_eq!(view("Hello!! Plan A B C"), "hello!! plan a b c");
        assert_eq!(view("my_var **bold**"), "my_var **bold**");
    }

    #[test]
    fn offsets_map_back_exactly() {
        let text = "Oi, f.u.c.k  y0u — ＦＵＣＫ!";
        let n = norm().normalize(text, 100);
        for word in ["fuck", "you"] {
            let mut from = 0;
            while let Some(p) = n.text[from..].find(word) {
                let (s, e) = n.original(from + p, from + p + word.len());
                let orig = &text[s - 100..e - 100];
                assert!(!orig.is_empty(), "{word} at {p}");
                from += p + word.len();
            }
        }
        let p = n.text.find("fuck").unwrap();
        let (s, e) = n.original(p, p + 4);
        assert_eq!(&text[s - 100..e - 100], "f.u.c.k");
        let p = n.text.rfind("fuck").unwrap();
        let (s, e) = n.original(p, p + 4);
        assert_eq!(&text[s - 100..e - 100], "ＦＵＣＫ");
    }

    /// The fast path gives exactly what the general path gives,
    /// offsets included, wherever it answers.
    #[test]
    fn the_fast_path_agrees_with_the_general_path() {
        let n = norm();
        let mut texts: Vec<String> = [
            "Hello  there,\n\n  I am writing about the BIN.\r\n\tThanks `Bob`",
            "reply in 24hrs by 10am, 2 hours; ref SW1A 1AA, M25, A4 paper",
            "",
            " ",
            "\n\n\n",
            "a\x0bb\x0cc",
            "sh1t",
            "@ss a$$ f*ck f**king my_var **bold** #1 _on_",
            "a.s.s f u c k you u r a joke Plan A B C",
            "I a b",
            "x-y-z",
            "!!hello!! |pipe| +plus+",
            "Café ‘quoted’ — £5, ＦＵＣＫ straße ѕhіt x, y, z",
            "Ünïcödé\u{00AD}soft\u{200B}hyphen  \u{2003}\n\u{2028}\n wide",
            // Every character folds to one ASCII character: the fast path.
            "Naïve café — ‘quoted’ “double” – it’s ＦＵＣＫ ѕhіt ÉCOLE",
            "a\u{00A0}\u{00A0}b \u{2003}\n\u{00A0}\n c\u{3000}d ´tick´ ｀grave｀",
            // A character that is no white space but folds to a space.
            "x¨y ¨ z\u{00AF}w  ¸",
            "caf\u{00E9} f\u{00FC}ck sh\u{00EF}t a.ŝ.s ŝ h ï t é",
            // Symbols kept as they are.
            "I paid the £45 charge, €50, 20°C, © 2026, §4, ¶ ½ ™ • … x£y £a £ b £c",
            "a£b£c £x£y£z a €b €c € d £ £\n\n£ f£u£c£k f £ u £ c £ k",
            "£$h1t £@ss f*ck£ £a.s.s a £ b",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/train");
        for raw in crate::pipeline::read_sources(&[corpus]).unwrap() {
            if let Ok(parsed) = crate::parse::parse(&raw.bytes, &Default::default()) {
                let segments = parsed.segments.iter();
                texts.extend(segments.map(|seg| parsed.text[seg.range.clone()].to_string()));
            }
        }
        let (mut fast, mut folded_on) = (0, 0);
        for text in &texts {
            // Both views together, as the two separately.
            let (norm, squeezed) = n.normalize_squeezed(text, 7);
            let alone = n.normalize(text, 7);
            assert_eq!(norm.text, alone.text, "{text:?}");
            let again = alone.squeeze();
            assert_eq!(squeezed.text, again.text, "{text:?}");
            assert_eq!(squeezed.starts, again.starts, "{text:?}");
            assert_eq!(squeezed.all_ends(), again.all_ends(), "{text:?}");
            let chars = alone.squeeze_chars();
            assert_eq!(squeezed.text, chars.text, "{text:?}");
            assert_eq!(squeezed.starts, chars.starts, "{text:?}");
            assert_eq!(squeezed.all_ends(), chars.all_ends(), "{text:?}");
            let offsets = |n: &Normalized| -> Vec<(usize, usize)> {
                (0..n.text.len()).map(|i| n.original(i, i + 1)).collect()
            };
            let general = n.normalize_units(text, 7);
            let plain = match fold_plain(text, 7, false) {
                Ok((plain, _)) => plain,
                Err(Some(folded)) => {
                    // The general path goes on from the fast path's
                    // folding: the units it would have folded itself.
                    let unit = |u: &Unit| (u.ch, u.start, u.end);
                    let from_fast: Vec<_> = folded.units().iter().map(unit).collect();
                    let again: Vec<_> = fold_units(text, 7).iter().map(unit).collect();
                    assert_eq!(from_fast, again, "{text:?}");
                    assert_eq!(alone.text, general.text, "{text:?}");
                    assert_eq!(offsets(&alone), offsets(&general), "{text:?}");
                    folded_on += 1;
                    continue;
                }
                Err(None) => continue,
            };
            fast += 1;
            assert_eq!(plain.text, general.text, "{text:?}");
            assert_eq!(offsets(&plain), offsets(&general), "{text:?}");
        }
        println!("{fast} of {} texts on the fast path", texts.len());
        println!("{folded_on} went on from the fast path's folding");
        assert!(folded_on > 0);
        assert!(
            fast > texts.len() / 4,
            "only {fast} of {} fast",
            texts.len()
        );
        for text in [
            "sh1t",
            "f*ck",
            "a.s.s",
            "u r a",
            "a£b£c",
            "straße",
            "ﬁle",
            "x\u{00AD}y",
        ] {
            assert!(normalize_plain(text, 0, true).is_none(), "{text:?}");
        }
        for text in [
            "café",
            "it’s",
            "a — b",
            "ＦＵＣＫ",
            "£5",
            "paid £45 (€50) at 20°",
        ] {
            assert!(normalize_plain(text, 0, true).is_some(), "{text:?}");
        }
    }

    /// The fast path's byte tables and its one pass of checks say what the
    /// functions they stand for say, on every short text over the bytes
    /// that matter and on every `corpus/train` segment's bytes.
    #[test]
    fn the_fast_path_checks_agree_with_the_functions() {
        for b in 0..=255u8 {
            let c = char::from(b);
            let class = CLASS[usize::from(b)];
            let ascii = b.is_ascii();
            assert_eq!(class & ALPHA != 0, ascii && c.is_alphabetic(), "{b}");
            assert_eq!(class & DIGIT != 0, ascii && c.is_numeric(), "{b}");
            assert_eq!(class & TOKEN != 0, ascii && is_token_char(c), "{b}");
            let leet = leet_letter(c).is_some() || is_mask(c);
            assert_eq!(class & LEET != 0, ascii && leet, "{b}");
            let mut folded = String::new();
            fold_char(c, |f| folded.push(f));
            let plain = ascii && b != 0 && (!c.is_whitespace() || c == ' ');
            let expected = if plain { folded.as_bytes()[0] } else { 0 };
            assert_eq!(FOLD[usize::from(b)], expected, "{b}");
        }
        let before = |folded: &[u8], symbols: bool| {
            folded
                .split(|&b| !(b.is_ascii() && is_token_char(char::from(b))))
                .any(|token| may_be_disguised(&token[trim_edges(token)]))
                || has_spaced_letters(folded, symbols)
        };
        let alphabet: &[&[u8]] = &[b"a", b"b", b"1", b"@", b"*", b" ", b".", "£".as_bytes()];
        let mut texts: Vec<Vec<u8>> = vec![Vec::new()];
        let mut last = texts.clone();
        for _ in 0..6 {
            last = (last.iter())
                .flat_map(|t| alphabet.iter().map(move |a| [t.as_slice(), a].concat()))
                .collect();
            texts.extend(last.iter().cloned());
        }
        // Longer texts, which the eight-byte steps read: random, over
        // letters, separators and what ends their steps.
        let longer: &[&[u8]] = &[
            b"a",
            b"b",
            b"e",
            b"a",
            b"b",
            b"e",
            b"a",
            b"b",
            b" ",
            b" ",
            b" ",
            b".",
            b",",
            b"'",
            b"1",
            b"@",
            b"*",
            b"\n",
            b"A",
            b"z",
            b"?",
            b"(",
            b"-",
            "\u{a3}".as_bytes(),
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let (len, mut r) = (8 + (state % 17) as usize, state >> 5);
            let mut text = Vec::new();
            for k in 0..len {
                if k % 12 == 11 {
                    r = r.rotate_left(29) ^ state;
                }
                text.extend_from_slice(longer[(r % longer.len() as u64) as usize]);
                r /= longer.len() as u64;
            }
            texts.push(text);
        }
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/train");
        for raw in crate::pipeline::read_sources(&[corpus]).unwrap() {
            if let Ok(parsed) = crate::parse::parse(&raw.bytes, &Default::default()) {
                for seg in &parsed.segments {
                    texts.push(parsed.text[seg.range.clone()].to_lowercase().into_bytes());
                }
            }
        }
        let mut plain = 0;
        for text in &texts {
            let symbols = !text.is_ascii();
            let (new, old) = (needs_general_path(text, symbols), before(text, symbols));
            assert_eq!(new, old, "{:?}", String::from_utf8_lossy(text));
            plain += usize::from(!new);
        }
        println!("{plain} of {} texts plain", texts.len());
        assert!(plain > texts.len() / 10, "{plain} of {}", texts.len());
    }

    /// The eight-byte tests say what [`FOLD`] and [`SQUEEZE`] say byte by
    /// byte, on random eight-byte words over the bytes at their edges.
    #[test]
    fn the_eight_byte_tests_agree_with_the_tables() {
        let edges: Vec<u8> = (0..=255u8)
            .filter(|b| {
                matches!(b, 0 | 0x09..=0x0d | 0x1f..=0x21 | 0x40..=0x42 | 0x59..=0x62)
                    || matches!(b, 0x79..=0x81 | 0xc3 | 0xff | b'l' | b'L' | b'e')
            })
            .collect();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..400_000 {
            let r = next();
            let eight: [u8; 8] = std::array::from_fn(|k| {
                // Mostly runs of one or two bytes, so repeats are common.
                let pick = (r >> (k * 6)) as usize % (edges.len() + 2);
                edges.get(pick).copied().unwrap_or(b' ')
            });
            let x = u64::from_le_bytes(eight);
            let prev = edges[round % edges.len()];
            // Squeezing: each byte its own squeezed byte; which go.
            let mut before = prev;
            let mut away = Some(0u64);
            for (k, &b) in eight.iter().enumerate() {
                let own = b.is_ascii() && SQUEEZE[usize::from(b)] & 0x7f == b && b >= 0x20;
                let squeezable = b.is_ascii() && SQUEEZE[usize::from(b)] & 0x80 != 0;
                if !own {
                    away = None;
                }
                if squeezable && before == b {
                    away = away.map(|a| a | (0x80 << (8 * k)));
                }
                before = b;
            }
            assert_eq!(squeezed_away(x, prev), away, "{eight:?} after {prev}");
            // Folding: each byte folds to one of its own.
            for after_space in [false, true] {
                let mut last = if after_space { b' ' } else { 0 };
                let mut folded = Some([0u8; 8]);
                for (k, &b) in eight.iter().enumerate() {
                    let f = FOLD[usize::from(b)];
                    if f == 0 || f == b' ' && last == b' ' || b == b'`' || b < 0x20 {
                        folded = None;
                        break;
                    }
                    if let Some(out) = folded.as_mut() {
                        out[k] = f;
                    }
                    last = f;
                }
                let got = fold_eight(x, after_space).map(u64::to_le_bytes);
                assert_eq!(got, folded, "{eight:?} after a space: {after_space}");
            }
        }
    }

    /// The byte-wise squeeze gives what the character-wise one gives.
    #[test]
    fn the_byte_squeeze_agrees_with_the_char_squeeze() {
        // Every ASCII byte twice, then after a space.
        let every: String = (0..128u8)
            .flat_map(|b| [b, b, b' ', b])
            .map(char::from)
            .collect();
        for text in [
            "",
            " ",
            "aa",
            "fuuuck  yoooou\n\nx",
            "£££ aa££bb € x\u{1F600}y",
            "\x0b\x0b\0\0",
            &every,
        ] {
            let n = Normalized {
                text: text.to_string(),
                starts: (0..text.len()).collect(),
                ends: Vec::new(),
            };
            let (bytes, chars) = (
                Normalized::squeeze_bytes(text.as_bytes()),
                n.squeeze_chars(),
            );
            assert_eq!(bytes.text, chars.text, "{text:?}");
            assert_eq!(bytes.starts, chars.starts, "{text:?}");
            assert_eq!(bytes.all_ends(), chars.all_ends(), "{text:?}");
        }
    }

    #[test]
    fn squeeze_keeps_run_ranges() {
        let n = norm().normalize("fuuuuck yoooou", 0);
        let s = n.squeeze();
        assert_eq!(s.text, "fuck you");
        assert_eq!(s.normalized(0, 4), (0, 7));
        assert_eq!(s.normalized(5, 8), (8, 14));
    }
}
