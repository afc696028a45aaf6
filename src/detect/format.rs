//! The rule file format as written by an analyst (see `rules/README.md`):
//! serde structures with `deny_unknown_fields`, so a misspelt key is an
//! error with its line rather than a silently ignored setting.

use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// One `rules/*.toml` file.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Score a category needs to be flagged (default 1.0).
    #[serde(default)]
    pub thresholds: BTreeMap<String, Spanned<f32>>,
    /// Word lists whose words people disguise (`f*ck`, `f u c k`).
    #[serde(default)]
    pub lexicon: Vec<Spanned<String>>,
    /// Phrases inside which no hit counts (place, street and surnames).
    #[serde(default)]
    pub allow: Vec<Spanned<String>>,
    /// Named regex fragments, spliced into any pattern of the rules folder
    /// as `{{name}}` (a name with no `/`; a list is `{{lists/x.txt}}`): one
    /// regex several rules share is written once.
    #[serde(default)]
    pub patterns: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    pub guard: Vec<GuardDef>,
    #[serde(default)]
    pub rule: Vec<RuleDef>,
}

/// A context guard: a sentence-scoped regex that, when it matches the
/// sentence holding a hit, suppresses that hit for rules that name it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardDef {
    pub name: Spanned<String>,
    /// For the analyst reading the file; required so every guard says why.
    #[allow(dead_code)]
    pub description: String,
    pub pattern: Spanned<String>,
    /// The guard does not apply when this also matches the sentence
    /// ("I'm not threatening you, *but*…").
    #[serde(default)]
    pub except: Option<Spanned<String>>,
    /// A quotation guard: it applies only to a hit inside a double-quoted
    /// quotation, and its `pattern` and `except` read the words that
    /// introduce the quotation (from the paragraph before it up to its
    /// opening mark), not the hit's sentence.
    #[serde(default)]
    pub quotation: bool,
    /// A guard on what follows a quotation: it applies only to a hit inside
    /// a double-quoted quotation, and its `pattern` and `except` read the
    /// words after the closing mark, to the end of their sentence ("…," he
    /// writes), not the hit's sentence.
    #[serde(default)]
    pub after_quotation: bool,
    /// A sentence guard narrowed to the sentence's quotations: its `pattern`
    /// and `except` read the hit's sentence, but it sets aside only a rule
    /// hit whose words lie in a quotation of it ("…" or '…'): the sender's
    /// own words around someone else's quotation still count. A model hit
    /// (the whole sentence; unless `read_without`), and any hit in a sentence the pattern matches
    /// with no quotation that closes, is set aside whole.
    #[serde(default)]
    pub inside_quotation: bool,
    /// A sentence guard narrowed to the report its pattern finds: its
    /// `pattern` and `except` read the hit's sentence, but it sets aside
    /// only a rule hit whose words reach into the report, from the
    /// pattern's first match to the sentence's end ("… he told me on the
    /// phone he had the letter"), or into a quotation of the sentence: the
    /// sender's own "Mr Hebden is a liar" before "he told me …" counts.
    /// Where fewer than three words follow the match ("…, he said."), the
    /// report is what comes before it, and the sentence is set aside whole.
    /// A model hit is set aside whole unless `read_without`.
    #[serde(default)]
    pub from_report: bool,
    /// With `inside_quotation` or `from_report`: a model hit (the whole
    /// sentence) is set aside only when the sentence read again by the
    /// model without someone else's words (its quotations; with
    /// `from_report`, the report too) scores under the rule's `min_score`:
    /// the sender's own "you sat there like a stuffed walrus" before "and
    /// told me \"the council is doing its best\"" counts.
    #[serde(default)]
    pub read_without: bool,
    /// A link guard: its `pattern` and `except` read the word holding the
    /// hit (when it holds more than the hit) and the words beside the hit
    /// that contain its letters, each on its own; it applies when one of
    /// them matches (a web address: a link list's names).
    #[serde(default)]
    pub link: bool,
    /// The guard applies only when this also matches the paragraph holding
    /// the hit or the one before it: the sentence's "them" names pests two
    /// sentences back ("rats under the decking … I'd strangle the lot of them").
    #[serde(default)]
    pub requires: Option<Spanned<String>>,
    /// The guard does not apply when this matches the words after the hit's
    /// sentence, to the end of the paragraph after the hit's: a "lol" taken
    /// back a sentence later ("… headfirst lol. Not even joking.").
    #[serde(default)]
    pub except_after: Option<Spanned<String>>,
    /// Categories every rule of which has this guard, after its own `unless`.
    #[serde(default)]
    pub categories: Vec<String>,
    /// A message guard: its `pattern` and `except` read each sentence of
    /// the sender's own words in the body, not the hit's sentence; where one
    /// sentence matches, every own hit of the rules that name the guard is
    /// set aside, wherever in the message it lies (the sender's "I'm not
    /// going to do anything daft" speaks for the whole message).
    #[serde(default)]
    pub message: bool,
    /// A Subject-line guard: it applies only to a hit in the Subject line
    /// (the subject is its sentence), never to the body's: a model rule
    /// that reads the subject (`subject = true`) may ask more of a
    /// headline than of a sentence of the body.
    #[serde(default)]
    pub subject: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    pub id: Spanned<String>,
    pub category: Spanned<String>,
    pub weight: Spanned<f32>,
    pub description: String,
    /// Exactly one of `regex`, `words`, `word_file`, `model` (with `of`:
    /// `regex` only).
    #[serde(default)]
    pub regex: Option<Spanned<String>>,
    /// A derived rule: it does not scan the text; it fires on each counted
    /// hit of this category whose sentence matches `regex`.
    #[serde(default)]
    pub of: Option<Spanned<String>>,
    #[serde(default)]
    pub words: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub word_file: Option<Spanned<String>>,
    /// A model rule: a weights file (relative to the rules directory) that
    /// scores every sentence; a sentence scoring `min_score` or more is a hit.
    #[serde(default)]
    pub model: Option<Spanned<String>>,
    #[serde(default)]
    pub min_score: Option<Spanned<f32>>,
    /// A model rule's second bar: a word list (relative to the rules
    /// directory) of function words, and the score the hit's sentence must
    /// still reach with those words alone left out.
    #[serde(default)]
    pub function_words: Option<Spanned<String>>,
    #[serde(default)]
    pub content_min_score: Option<Spanned<f32>>,
    /// A model rule's one-word bar: the score the hit's sentence must
    /// still reach with its strongest word left out (every place it
    /// stands, with its class, skeleton, pairs and skips), so that a hit
    /// rests on more than one word.
    #[serde(default)]
    pub one_word_min_score: Option<Spanned<f32>>,
    /// A model rule's rival: another category's weights file (relative to
    /// the rules directory); a hit whose span that file scores higher than
    /// the rule's own file, by more than `rival_margin` in log-odds
    /// (default 0), does not count: the sentence reads as the other
    /// category's.
    #[serde(default)]
    pub rival: Option<Spanned<String>>,
    #[serde(default)]
    pub rival_margin: Option<Spanned<f32>>,
    /// A regex on the hit's span that keeps the hit from its rival: the
    /// words by which the sentence is also the rule's own category's.
    #[serde(default)]
    pub rival_except: Option<Spanned<String>>,
    /// A model rule's message bar: a message model's weights file
    /// (relative to the rules directory) and the score the sender's own
    /// words of the whole message must reach with it, read as one bag, for
    /// the rule's hits to count (`message_model`, `message_min_score`): a
    /// sentence the sentence model is sure of counts where the whole
    /// message also reads as the category, not where the message is
    /// another kind of threat (a van to be torched, the sender's own life).
    #[serde(default)]
    pub message_model: Option<Spanned<String>>,
    #[serde(default)]
    pub message_min_score: Option<Spanned<f32>>,
    /// With `message_model`: the bar applies only where the message's own
    /// counted evidence already flags one of these categories (another kind
    /// of threat); a hit whose span `rival_except` matches (a person at
    /// risk) keeps counting.
    #[serde(default)]
    pub message_yields_to: Vec<Spanned<String>>,
    /// With `message_yields_to`: the bar applies only where the rule's
    /// category stands on model rules alone, every counted own hit of it a
    /// model rule's: a regex, word-list or derived rule hit of the sender's
    /// own (a phrase the rules know: "end it all", "kill myself") keeps
    /// every hit of the category (`message_alone = true`).
    #[serde(default)]
    pub message_alone: Option<Spanned<bool>>,
    /// With `message_yields_to`: the bar applies only where the message
    /// model of a flagged category it yields to (that category's `message`
    /// rule's) scores the message higher than `message_model` does: the
    /// message reads more as the other threat than as the rule's own
    /// category (`message_rival = true`).
    #[serde(default)]
    pub message_rival: Option<Spanned<bool>>,
    /// A regex read on each sentence of the sender's own words in the body:
    /// where one matches, the bar does not apply (the sender's own life is
    /// plainly in the message: "I'm not going on", "taking him with me when
    /// I go").
    #[serde(default)]
    pub message_except: Option<Spanned<String>>,
    /// With `message_rival`: where a flagged category it yields to stands on
    /// the sender's own phrase-rule hits (a threat said in words a regex or
    /// word-list rule reads, not a model's reading), the bar is this score
    /// and the rival is not asked.
    #[serde(default)]
    pub message_phrase_min_score: Option<Spanned<f32>>,
    /// A model rule's unit: 1 (each sentence, the default) or 2 (each two
    /// adjacent sentences of a paragraph, read as one).
    #[serde(default)]
    pub sentences: Option<Spanned<usize>>,
    /// A model rule that also scores the Subject line when it is the
    /// sender's own words (`subject = true`); the regex and word-list
    /// rules always read it.
    #[serde(default)]
    pub subject: Option<Spanned<bool>>,
    /// A model rule whose `model` is a message model (`triage rules
    /// train`'s `messages`): it scores the sender's own words of the whole
    /// message as one bag of features (`message = true`), and its hit, the
    /// whole own text, counts only where the message already holds other
    /// counted evidence of its category short of a flag: it completes a
    /// half-weight hit, it never starts one (unless `alone = true`). No guards, rival or pairs:
    /// the evidence it completes has passed its own.
    #[serde(default)]
    pub message: Option<Spanned<bool>>,
    /// A `message` rule's second role (`partner_min_score`): where the
    /// category holds no counted own evidence but one `together` lean set
    /// aside for standing alone, a message scoring this much is that lean's
    /// partner: the lean counts again, and the message rule's weight with it.
    #[serde(default)]
    pub partner_min_score: Option<Spanned<f32>>,
    /// A `message` rule's lower bar as completer (`half_min_score`, under
    /// `min_score`): a message scoring this much but under `min_score`
    /// completes the category's counted evidence only where every counted
    /// own hit of it that is a model rule's (a sentence the sentence model
    /// read, on its words alone) matches `half_names` in its own words and
    /// `half_except` does not: the half is about what the category is about
    /// (a building, a vehicle, the damage), not a person. A regex or
    /// word-list half (the rule's own wording) is completed as at
    /// `min_score`.
    #[serde(default)]
    pub half_min_score: Option<Spanned<f32>>,
    #[serde(default)]
    pub half_names: Option<Spanned<String>>,
    #[serde(default)]
    pub half_except: Option<Spanned<String>>,

    /// With `partner_min_score`: the partner role does not apply where the
    /// message's own counted evidence already flags one of these categories
    /// (another kind of threat, which escalates either way): a lean of the
    /// rule's category there is most often that threat's own sentence read
    /// again ("im gonna b*rn the pl@ce down" as violence beside the
    /// property flag). With `half_min_score` too, the lower bar does not
    /// apply there either (the full `min_score` does): a lone half beside
    /// another kind of threat's flag is most often that threat's own words.
    #[serde(default)]
    pub partner_yields_to: Vec<Spanned<String>>,

    /// A `message` rule that counts alone (`alone = true`): where the
    /// message holds no counted own evidence of its category at all, a
    /// message scoring `min_score` is a hit at the rule's weight, as a
    /// sentence tier's sure rule is on one sentence (the whole message
    /// read as abuse, with no one sentence of it insulting enough).
    #[serde(default)]
    pub alone: Option<Spanned<bool>>,
    /// A `message` rule that reads only a message whose own words hold at
    /// least this many sentences (`min_sentences`): a message of one
    /// sentence is that sentence, which the sentence tiers read already,
    /// and the message tier would read it a second time.
    #[serde(default)]
    pub min_sentences: Option<Spanned<usize>>,
    #[serde(default)]
    pub unless: Vec<Spanned<String>>,
    /// A derived rule (`of`) with guards named here follows the hits of its
    /// `of` category that one of these guards suppressed, and no counted
    /// hit: a self-harm statement the guards read as someone else's is a
    /// person at risk reported by the sender.
    #[serde(default)]
    pub when_suppressed_by: Vec<Spanned<String>>,
    /// A full-weight derived rule (`of`) that also follows the half-weight
    /// hits of its `of` category, counted at half its weight and only where
    /// that category is flagged in the sender's own words (`of_flagged =
    /// true`): the message holds a hate remark made of half-weight clues,
    /// and the clue about a member of staff is aimed with it, half as
    /// strong as a full-weight remark's (it completes other evidence).
    #[serde(default)]
    pub of_flagged: Option<Spanned<bool>>,
    /// A condition on the paragraph holding a hit and the one before it (a
    /// regex that must also match there) that is not part of the highlighted span:
    /// a staff mention before "he's a …", a second clue in the paragraph.
    #[serde(default)]
    pub requires: Option<Spanned<String>>,
    /// A hit counts only beside another counted hit of its category in its
    /// own paragraph or the one before or after it (of the same segment):
    /// half-weight clues spread over a long article do not add up.
    #[serde(default)]
    pub together: bool,
    /// With `together`: the other hit must also lie within this many bytes
    /// of the hit (the gap between the two spans), not merely in a
    /// neighbouring paragraph: a newsletter without blank lines is one
    /// long paragraph.
    #[serde(default)]
    pub together_within: Option<Spanned<usize>>,
    /// With `together`: rules (by id) whose hits do not count as the other
    /// evidence (a seriousness marker, "I mean it", goes with any threat,
    /// to oneself or to a van as much as to a person). `"*"`: no rule's hit
    /// does; the hit counts only where a `message` rule partners it
    /// (`partner_min_score`), not beside a regex half read in its own words.
    #[serde(default)]
    pub together_not_with: Vec<Spanned<String>>,
    /// At most this many hits of the rule count per message; the rest are
    /// recorded as suppressed (`max_hits`).
    #[serde(default)]
    pub max_hits: Option<usize>,
    #[serde(default)]
    pub must_match: Vec<Spanned<String>>,
    #[serde(default)]
    pub must_not_match: Vec<Spanned<String>>,
}
