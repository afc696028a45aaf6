//! Engine tests against the repository's own `rules/`: every rule's examples,
//! the behaviours the issue names, validation errors, and the ham corpus.

use super::*;
use std::path::PathBuf;
use std::sync::OnceLock;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

fn engine() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| match RuleSet::load(&rules_dir()) {
        Ok(set) => set,
        Err(e) => panic!("rules/ does not load:\n{e}"),
    })
}

fn own(text: &str) -> Detection {
    own_with(engine(), text)
}

/// Detect over `text` as one segment of the sender's own words.
fn own_with(rules: &RuleSet, text: &str) -> Detection {
    rules.detect(
        text,
        &[Segment {
            kind: SegmentKind::Own,
            range: 0..text.len(),
        }],
    )
}

/// One rule file's rules, loaded from a temporary folder, every example passing.
fn rules_from(file: &str) -> RuleSet {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("v.toml"), file).unwrap();
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    rules
}

/// Whether `rules` flag `text` (the sender's own words) as a threat of violence.
fn violent_with(rules: &RuleSet, text: &str) -> bool {
    own_with(rules, text)
        .categories
        .contains(&Category::ThreatViolence)
}

fn cats(text: &str) -> Vec<Category> {
    own(text).categories.into_iter().collect()
}

fn rule_ids(text: &str) -> Vec<String> {
    own(text).hits.into_iter().map(|h| h.rule_id).collect()
}

#[test]
fn every_rule_passes_its_own_examples() {
    let failures = engine().self_test();
    for f in &failures {
        println!("{f}");
    }
    assert!(failures.is_empty(), "{} example failures", failures.len());
    assert!(!engine().is_empty());
    assert_eq!(engine().sha256().len(), 64);
}

/// Every rule's examples and every segment of the labelled corpus
/// (`corpus/{train,dev,test}`: threats, abuse, ham; several thousand texts).
fn examples_and_corpus() -> Vec<String> {
    let mut texts: Vec<String> = engine().inner.examples().map(str::to_string).collect();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for split in ["train", "dev", "test"] {
        for raw in crate::pipeline::read_sources(&[corpus.join(split)]).unwrap() {
            let Ok(parsed) = crate::parse::parse(&raw.bytes, &Default::default()) else {
                continue;
            };
            for seg in &parsed.segments {
                texts.extend(parsed.text.get(seg.range.clone()).map(str::to_string));
            }
        }
    }
    assert!(texts.len() > 3000, "only {} texts", texts.len());
    texts
}

/// The model's screen leaves a sentence unscored only where it cannot
/// reach a rule's `min_score`: over every rule example and corpus segment,
/// each model rule's hits are those of full scoring, every score given is
/// the full one to the bit, and most sentences are left unscored.
#[test]
fn the_model_screen_leaves_out_only_sentences_under_every_threshold() {
    let (mut left_out, mut seen) = (0, 0);
    for text in &examples_and_corpus() {
        let (out, all, errors) = engine().inner.model_screen_errors(text);
        assert!(errors.is_empty(), "{errors:#?}");
        (left_out, seen) = (left_out + out, seen + all);
    }
    println!("{left_out} of {seen} sentence scores left out");
    assert!(left_out * 2 > seen, "only {left_out} of {seen} left out");
}

/// The sentences found from the words are those [`sentence::split`] finds,
/// and the names left unread change no word's place: over every rule
/// example and corpus segment, raw and normalised, the model reads the
/// same sentences and words as splitting its own text again would give,
/// and the message models the same units' words from its spans.
#[test]
fn sentences_from_the_words_are_the_split_sentences() {
    let rules = &engine().inner;
    for text in &examples_and_corpus() {
        sentence::check_split_at_words(text).unwrap();
        let norm = rules.normalizer().normalize(text, 0);
        sentence::check_split_at_words(&norm.text).unwrap();
        model::check_push_units(&norm.text).unwrap();
        model::check_units_at_words(&norm.text).unwrap();
        let words: Vec<_> = model::word_spans(&norm.text).collect();
        if let Some(named) = model::names_unread_in(text, 0, &norm, &words) {
            let named_words: Vec<_> = model::word_spans(&named).collect();
            assert_eq!(named_words, words, "{text:?}");
            sentence::check_split_at_words(&named).unwrap();
            model::check_push_units(&named).unwrap();
            model::check_units_at_words(&named).unwrap();
        }
    }
}

/// The pre-filter's requirements, read as one array, give the answers of
/// their trees: for every rule regex, over random choices of the literal
/// sets found, both answers seen many times.
#[test]
fn the_requirements_array_answers_as_the_trees_do() {
    let (held, failed, differ) = engine().inner.prefilter().check_formulas(64);
    assert!(differ.is_empty(), "regexes {differ:?} differ");
    println!("{held} held, {failed} failed");
    assert!(held > 1000 && failed > 1000, "{held} held, {failed} failed");
}

/// The word lists' words are found by the pre-filter's kind of automaton:
/// the same hits as the `aho-corasick` crate's overlapping search gave, on
/// every rule example and corpus segment.
#[test]
fn the_word_automaton_finds_what_the_crate_found() {
    let (differ, hits) = engine()
        .inner
        .word_hits_against_crate(&examples_and_corpus());
    assert!(
        differ.is_empty(),
        "{} texts differ: {:?}",
        differ.len(),
        &differ[..differ.len().min(3)]
    );
    // 775 word hits when written: enough that a walk finding none would fail.
    assert!(hits > 500, "only {hits} word hits");
}

/// The pre-filter only skips a regex where it cannot match: over every
/// rule's examples and every segment of the labelled corpus (threats,
/// abuse, ham: several thousand texts), no regex that matches was screened
/// out.
#[test]
fn no_regex_that_matches_is_screened_out() {
    let rules = &engine().inner;
    let texts = examples_and_corpus();
    for text in &texts {
        let missed = rules.screened_out_matches(text);
        assert!(
            missed.is_empty(),
            "{missed:?} match {text:?} but were screened out"
        );
    }
}

#[test]
fn hits_point_into_the_original_text() {
    let text = "Ｙｏｕ useless idi0ts, f.u.c.k   y o u and the f***ing b1n";
    let det = own(text);
    assert!(!det.hits.is_empty());
    for h in &det.hits {
        assert_eq!(h.matched, &text[h.start..h.end], "{h:?}");
    }
    assert!(det.categories.contains(&Category::Abuse));
}

#[test]
fn scunthorpe_and_innocent_words_do_not_match() {
    for text in [
        "I live in Scunthorpe near Penistone.",
        "The assessment in Cockermouth was a classic.",
        "My therapist ate a grape in Middlesex.",
        "Please pass the class assignment.",
    ] {
        assert!(rule_ids(text).is_empty(), "{text}: {:?}", rule_ids(text));
    }
}

#[test]
fn allow_list_suppresses_names() {
    let det = own("I live at 3 Balls Pond Road, near Twatt and Dick Turpin Way.");
    assert!(det.hits.is_empty(), "{:?}", det.hits);
    assert!(det.suppressed.iter().any(|s| s.reason == "allow_list"));
}

#[test]
fn context_guards_suppress_with_their_name() {
    let cases = [
        (
            "My neighbour said he would kill me and I'll kill him he says.",
            "reported",
        ),
        ("He shouted 'I'll kill you' at me.", "quoted"),
        (
            "I'm not threatening anyone when I say I'll come down there and sort it.",
            "negated",
        ),
        (
            "Hypothetically, what would happen if I wrote I'll kill you?",
            "hypothetical",
        ),
    ];
    for (text, guard) in cases {
        let det = own(text);
        assert!(det.categories.is_empty(), "{text}: {:?}", det.hits);
        assert!(
            // A category may define its own, narrower version of a shared
            // guard, named with its prefix (`tv_quoted` for `quoted`).
            det.suppressed.iter().any(|s| s.reason.contains(guard)),
            "{text}: {:?}",
            det.suppressed
        );
    }
    // "but" keeps the threat.
    assert_eq!(
        cats("I'm not threatening you, but I know where you live."),
        [Category::ThreatViolence]
    );
}

#[test]
fn a_report_or_other_person_guard_does_not_swallow_the_senders_own_words() {
    // A run-on second-language sentence: the report ("he say") is the
    // grievance; the threat against him is the sender's own.
    let run_on = "the officer he say i must pay the fine again and i am very angry i will broke his arm when he come";
    assert_eq!(cats(run_on), [Category::ThreatViolence]);
    // The same words quoted from someone else, aimed at the sender, stay a report.
    let det = own("My ex texted me saying i will broke your arm and i am scared.");
    assert!(det.categories.is_empty(), "{:?}", det.hits);
    assert!(det.suppressed.iter().any(|s| s.reason == "tv_reported"));
    // Other people finding the sender is the sender's own end…
    let hanging = "They keep sending letters and theyll find me hanging when they come to evict me";
    assert_eq!(cats(hanging), [Category::ThreatSelfHarm]);
    // …while someone else's plan is still theirs.
    let son = "My son keeps saying he is going to jump off the bridge and nobody will help him.";
    assert!(!cats(son).contains(&Category::ThreatSelfHarm));
}

#[test]
fn requires_is_a_context_condition_outside_the_highlight() {
    // The staff mention is the context; only the insult is highlighted.
    let text = "I spoke to Ms Rudd on Monday.\n\nShe is nothing but a jumped-up pen pusher.";
    let det = own(text);
    let hit = det
        .hits
        .iter()
        .find(|h| h.rule_id == "ab.pronoun_insult_staff")
        .expect("the insult about staff is a hit");
    assert!(hit.matched.starts_with("She is"), "{:?}", hit.matched);
    // No staff mention before the pronoun: no hit at all.
    let neighbour = "My neighbour plays music all night. He's a thug and I am scared of him.";
    assert!(!rule_ids(neighbour).contains(&"ab.pronoun_insult_staff".to_string()));
    // Two paragraphs up is out of scope.
    let far =
        "I spoke to Ms Rudd on Monday.\n\nThe bins were late.\n\nShe is a jumped-up pen pusher.";
    assert!(!rule_ids(far).contains(&"ab.pronoun_insult_staff".to_string()));
}

#[test]
fn undirected_profanity_is_recorded_but_does_not_flag() {
    let det = own("The f***ing bin is broken again.");
    assert_eq!(
        rule_ids("The f***ing bin is broken again."),
        ["ab.profanity"]
    );
    assert!(det.categories.is_empty());
    assert!(det.scores[&Category::Abuse] < 1.0);
    for text in [
        "f*** you",
        "you useless idiots",
        "Mr Jones is a liar",
        "U R ALL CORRUPT LIARS",
    ] {
        assert_eq!(cats(text), [Category::Abuse], "{text}");
    }
}

#[test]
fn self_harm_is_told_from_idioms() {
    for text in [
        "I won't be around much longer.",
        "There's no point going on.",
        "I'm going to end it all.",
        "They'd be better off without me.",
        "I will take all my tablets tonight.",
    ] {
        assert_eq!(cats(text), [Category::ThreatSelfHarm], "{text}");
    }
    for text in [
        "This is killing me.",
        "I could murder a coffee.",
        "Shoot me an email.",
        "I'm dying to know.",
        "Please kill the rats.",
        "The wasps' nest needs killing.",
        "I have an overactive thyroid and take medication daily.",
    ] {
        assert!(cats(text).is_empty(), "{text}: {:?}", rule_ids(text));
    }
}

#[test]
fn weak_self_harm_signals_combine_but_one_alone_does_not() {
    for text in [
        "I do not think I will bother you much longer. I can't go on like this any more \
         and since my wife passed there is nothing to keep me here.",
        "I can't do this anymore. I've got my dad's old tablets and I'm going to take the lot \
         tonight and end it.",
        "I want to say goodbye to my kids. This is my last letter.",
    ] {
        assert_eq!(cats(text), [Category::ThreatSelfHarm], "{text}");
    }
    for text in [
        "This is my last email before I go to the Ombudsman.",
        "There is nothing to keep me here in Leeds, so I am moving.",
        "My mum says she can't cope and wants to end it all.",
    ] {
        assert!(cats(text).is_empty(), "{text}: {:?}", rule_ids(text));
    }
    // Exasperation about a repair: the regex rules give it one half-weight
    // distress hit, not a flag. The linear model does flag it (`sh.model_sure`:
    // "i can't", "any more" weigh heavily): a known false flag of the model,
    // accepted for the recall it adds on held-out mail (corpus/README.md).
    let text = "The boiler is broken again. I can't go on like this, I can't take any more!";
    let from_rules: f32 = own(text)
        .hits
        .iter()
        .filter(|h| h.category == "threat_self_harm" && !h.rule_id.contains(".model"))
        .map(|h| h.weight)
        .sum();
    assert!(from_rules < 1.0, "{text}: {:?}", rule_ids(text));
}

#[test]
fn insults_aimed_at_staff_in_any_voice() {
    for text in [
        "You useless bunch of thieving parasites.",
        "Thieving scum, the lot of you.",
        "since you're too thick to look it up",
        "YOU ARE A BUNCH OF MONEY GRABBING SH*TS",
        "Get your fat a*ses off your chairs.",
        "u r all muppets",
    ] {
        assert_eq!(cats(text), [Category::Abuse], "{text}");
    }
    for text in [
        "Thank you, you are all stars.",
        "I don't think you're useless, but this needs sorting.",
        "My neighbour called me a useless fat cow.",
        "Do you know how thick the walls are?",
    ] {
        assert!(cats(text).is_empty(), "{text}: {:?}", rule_ids(text));
    }
    // SPEC §4: discrimination aimed at staff is also abuse; about others it is not.
    assert_eq!(
        cats("Don't put me through to that p*ki on the front desk again."),
        [Category::Abuse, Category::Discrimination]
    );
    assert_eq!(
        cats("The p*kis next door are noisy."),
        [Category::Discrimination]
    );
}

#[test]
fn lawful_escalation_is_not_a_threat() {
    for text in [
        "I will take legal action.",
        "I will contact my MP.",
        "I am going to the Ombudsman and the press.",
        "You will regret this when my solicitor writes.",
    ] {
        assert!(cats(text).is_empty(), "{text}: {:?}", rule_ids(text));
    }
}

#[test]
fn discrimination_and_neutral_mentions() {
    // Said to the reader (council staff), a hate remark is also abuse (§4).
    assert_eq!(
        cats("Go back to your own country"),
        [Category::Abuse, Category::Discrimination]
    );
    assert_eq!(
        cats("They should all go back to their own country"),
        [Category::Discrimination]
    );
    for text in [
        "My disabled son needs a ramp.",
        "The mosque on King St.",
        "As a gay man I feel unsafe.",
    ] {
        assert!(cats(text).is_empty(), "{text}");
    }
}

#[test]
fn unreasonable_demands_and_polite_requests() {
    assert_eq!(
        cats("Reply within 2 hours."),
        [Category::UnreasonableDemand]
    );
    assert_eq!(
        cats("I will only deal with the Chief Executive."),
        [Category::UnreasonableDemand]
    );
    assert!(cats("Could you reply by Friday?").is_empty());
}

#[test]
fn urgent_service_need() {
    for text in [
        "There's a smell of gas.",
        "No heating and my baby is 3 months old.",
        "Burst pipe, the flat is flooding.",
        "The carbon monoxide alarm went off.",
    ] {
        let det = own(text);
        assert!(det.urgent_service, "{text}");
        assert!(det.categories.is_empty(), "{text}");
    }
    assert!(!own("The heating bill is too high.").urgent_service);
    // Someone else at risk, reported by the sender: urgent, and no threat of
    // the sender's own (SPEC §5 row 7, "a child or adult at risk").
    for text in [
        "My son told me last night that he is going to end it all.",
        "My daughter has been self-harming since we moved into the hostel.",
    ] {
        let det = own(text);
        assert!(det.urgent_service, "{text}");
        assert!(det.categories.is_empty(), "{text}");
    }
    for text in [
        "My husband took his own life last year and I need to close his account.",
        "We train staff to respond when a caller says something like \"I want to kill myself\".",
    ] {
        assert!(!own(text).urgent_service, "{text}");
    }
}

#[test]
fn quoted_and_forwarded_text_does_not_count() {
    let text = "Please see below.\n> You useless idiots, I'll kill you.\n";
    let split = text.find('>').unwrap();
    let segments = [
        Segment {
            kind: SegmentKind::Own,
            range: 0..split,
        },
        Segment {
            kind: SegmentKind::Quoted,
            range: split..text.len(),
        },
    ];
    let det = engine().detect(text, &segments);
    assert!(det.hits.is_empty() && det.categories.is_empty());
    assert!(det.quoted_categories.contains(&Category::Abuse));
    assert!(det.quoted_categories.contains(&Category::ThreatViolence));
}

#[test]
fn a_hate_remark_aimed_at_staff_is_also_abuse() {
    // ab.hate_at_staff follows full-weight discrimination hits (§4).
    let det = own("Your housing officer is a p*ki and should go back where she came from.");
    assert!(det.categories.contains(&Category::Discrimination));
    assert!(det.categories.contains(&Category::Abuse));
    let derived = det.hits.iter().find(|h| h.rule_id == "ab.hate_at_staff");
    let derived = derived.expect("the derived abuse hit is explained");
    assert_eq!(
        derived.matched, "p*ki",
        "it points at the discrimination span"
    );
    // About a group, not at staff: discrimination only.
    assert_eq!(
        cats("Immigrants should all be deported, they bring crime."),
        [Category::Discrimination]
    );
}

/// Every rule regex's pattern and the requirement worked out for it, one
/// a line, written to the file `TRIAGE_REQUIREMENTS_DUMP` names (nothing
/// when unset): to show that a change to the extractor gives the same
/// requirement for every shipped pattern, dump before and after and compare.
#[test]
fn the_requirements_can_be_dumped() {
    let Some(path) = std::env::var_os("TRIAGE_REQUIREMENTS_DUMP") else {
        return;
    };
    let mut out = String::new();
    for re in engine().inner.word_regexes() {
        out.push_str(&format!("{}\t{:?}\n", re.source(), re.requirement()));
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn the_size_bound_is_over_every_rule_regexs_automaton() {
    // Each bound is checked against the automaton built; how loose they
    // are, and how many rule regexes still build theirs at load, is printed
    // (`cargo test --lib the_size_bound -- --nocapture`).
    let (mut most, mut over, mut all) = (0.0f64, 0, 0);
    for re in engine().inner.word_regexes() {
        let (bound, least) = word_regex::check_bound(re.source());
        most = most.max(bound as f64 / least as f64);
        over += usize::from(bound > rules::REGEX_SIZE_LIMIT);
        all += 1;
    }
    eprintln!("{all} rule regexes: bound at most {most:.2}× the automaton, {over} over the limit");
}

#[test]
fn each_lists_tree_spliced_into_a_pattern_is_the_tree_parsed() {
    let (all, parsed_whole) = rules::check_splices(&rules_dir());
    eprintln!(
        "{all} patterns, {} parsed whole: {parsed_whole:#?}",
        parsed_whole.len()
    );
    assert!(all > 300 && parsed_whole.len() * 10 < all);
}

#[test]
fn validation_reports_every_problem_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| std::fs::write(dir.path().join(name), body).unwrap();
    write("policy.toml", "this is not a rule file = [");
    write("README.md", "# notes");
    write("a.toml", "[[rule]]\nid = \"x\"\ncategory = \"abuse\"\nweight = 1.0\ndescription = \"d\"\nregex = \"(\"\nmust_match = [\"a\"]\n\n[[rule]]\nid = \"x\"\ncategory = \"nope\"\nweight = 1.0\ndescription = \"d\"\nword_file = \"lists/missing.txt\"\nunless = [\"ghost\"]\n");
    write("b.toml", "[[rule]]\nid = \"y\"\ncolour = \"red\"\n");
    write("d.toml", "[[rule]]\nid = \"d1\"\ncategory = \"abuse\"\nof = \"abuse\"\nweight = 1.0\ndescription = \"d\"\nregex = \"you\"\nmust_match = [\"a\"]\n\n[[rule]]\nid = \"d2\"\ncategory = \"abuse\"\nof = \"discrimination\"\nweight = 1.0\ndescription = \"d\"\nwords = [\"you\"]\nmust_match = [\"a\"]\n");
    write("e.toml", "[[rule]]\nid = \"e1\"\ncategory = \"abuse\"\nweight = 1.0\ndescription = \"d\"\nregex = \"you\"\nrequires = \"(\"\nmust_match = [\"you\"]\n");
    write("c.toml", "[[rule]]\nid = \"big\"\ncategory = \"abuse\"\nweight = 1.0\ndescription = \"d\"\nregex = '\\w{5000}\\w{5000}\\w{5000}'\nmust_match = [\"a\"]\n");
    let err = match RuleSet::load(dir.path()) {
        Ok(_) => panic!("broken rules loaded"),
        Err(e) => e,
    };
    let text = err.to_string();
    println!("{text}");
    let expect = [
        ("a.toml:6", "bad regex"),
        ("a.toml:10", "duplicate rule id `x`"),
        ("a.toml:11", "unknown category"),
        ("a.toml:14", "lists/missing.txt"),
        ("a.toml:15", "unknown guard `ghost`"),
        ("a.toml:10", "no must_match"),
        ("b.toml:3", "unknown field `colour`"),
        (
            "c.toml:6",
            "rule `big`: regex exceeds the compiled size limit of 1048576 bytes",
        ),
        ("d.toml:2", "`of` must name another category"),
        ("d.toml:11", "a rule with `of` takes a `regex`"),
        ("e.toml:7", "rule `e1` requires: bad regex"),
    ];
    for (at, what) in expect {
        assert!(
            text.lines().any(|l| l.contains(at) && l.contains(what)),
            "missing {at}: {what}"
        );
    }
    assert!(!text.contains("policy.toml") && !text.contains("README"));
}

/// Parses every message of `testdata/ham/<name>` and runs the rules over it
/// as a night's run does (the sender's own words count; quotes, forwards and
/// signatures do not) and returns (flagged, total); `None` when the corpus is
/// not present on this machine.
fn ham_flagged(name: &str) -> Option<(usize, usize)> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata");
    let base = if base.exists() {
        base
    } else {
        PathBuf::from("/work/shared/testdata")
    };
    let dir = base.join("ham").join(name);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!("skipping: {} not found", dir.display());
        return None;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut flagged = 0;
    let mut fired: BTreeMap<String, usize> = BTreeMap::new();
    let started = std::time::Instant::now();
    let mut bytes = 0;
    for path in &paths {
        let raw = std::fs::read(path).unwrap();
        bytes += raw.len();
        let Ok(parsed) = crate::parse::parse(&raw, &Default::default()) else {
            continue;
        };
        let det = engine().detect_message(&parsed.subject, &parsed.text, &parsed.segments);
        for h in &det.hits {
            *fired.entry(h.rule_id.clone()).or_default() += 1;
        }
        if !det.categories.is_empty() {
            flagged += 1;
            let hits: Vec<_> = det.hits.iter().map(|h| (&h.rule_id, &h.matched)).collect();
            println!("FLAGGED {}: {:?} {hits:?}", path.display(), det.categories);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{name}: {flagged} of {} ham messages flagged; {:.0} msg/s ({:.1} MB/s, debug build); rules fired: {fired:?}",
        paths.len(),
        paths.len() as f64 / secs,
        bytes as f64 / secs / 1e6
    );
    Some((flagged, paths.len()))
}

#[test]
fn ham_corpus_is_rarely_flagged() {
    if let Some((flagged, total)) = ham_flagged("easy-ham-1") {
        assert!(flagged * 200 < total, "{flagged} of {total} flagged");
    }
}

/// The hard ham (newsletters, marketing, lyrics and jokes in signatures):
/// the linear model flags a few more of these than the rules alone did (3 of
/// 250 against 1), so the bar for this set alone is 1 in 50; `.ci/run` holds
/// all ordinary mail together to 1 in 200.
#[test]
fn hard_ham_corpus_is_rarely_flagged() {
    if let Some((flagged, total)) = ham_flagged("hard-ham-1") {
        assert!(flagged * 50 < total, "{flagged} of {total} flagged");
    }
}

/// Write `body` to `dir/name`, making its folder.
fn write_file(dir: &std::path::Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, body).unwrap()
}

#[test]
fn model_rules_are_validated_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| write_file(dir.path(), name, body);
    write("model/ok.tsv", "# a model\n(bias)\t-1\nburn\t3\n");
    write("model/bad.tsv", "(bias)\t-1\nburn\tlots\n");
    let rule = |id: &str, extra: &str| {
        format!("[[rule]]\nid = \"{id}\"\ncategory = \"threat_property\"\nweight = 1.0\ndescription = \"d\"\n{extra}\nmust_match = [\"i will burn it\"]\n\n")
    };
    let mut text = rule("no_min", "model = \"model/ok.tsv\"");
    text += &rule("range", "model = \"model/ok.tsv\"\nmin_score = 1.5");
    text += &rule("stray", "regex = \"burn\"\nmin_score = 0.5");
    text += &rule("missing", "model = \"model/none.tsv\"\nmin_score = 0.5");
    text += &rule("bad", "model = \"model/bad.tsv\"\nmin_score = 0.5");
    write("m.toml", &text);
    let err = match RuleSet::load(dir.path()) {
        Ok(_) => panic!("broken model rules loaded"),
        Err(e) => e.to_string(),
    };
    println!("{err}");
    for (at, what) in [
        ("m.toml:6", "needs `min_score`"),
        ("m.toml:15", "between 0 and 1"),
        ("m.toml:19", "only for a rule with `model`"),
        ("m.toml:32", "cannot read model `model/none.tsv`"),
        ("bad.tsv:2", "`lots` is not a number"),
    ] {
        assert!(
            err.lines().any(|l| l.contains(at) && l.contains(what)),
            "missing {at}: {what}"
        );
    }
    // Training loads the rules without their models, so a broken or
    // missing weights file never stops a retrain.
    write(
        "m.toml",
        &rule("m", "model = \"model/none.tsv\"\nmin_score = 0.5"),
    );
    assert!(RuleSet::load_without_models(dir.path()).is_ok());
}

#[test]
fn a_model_rule_hits_the_sentence_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("model")).unwrap();
    std::fs::write(
        dir.path().join("model/tp.tsv"),
        "(bias)\t-4\nburn\t3\nyour office\t2\nrubbish\t-1\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("m.toml"), "[[guard]]\nname = \"reported\"\ndescription = \"d\"\npattern = '''\\bsaid\\b'''\n\n[[rule]]\nid = \"tp.model\"\ncategory = \"threat_property\"\nweight = 1.0\ndescription = \"d\"\nmodel = \"model/tp.tsv\"\nmin_score = 0.7\nunless = [\"reported\"]\nmust_match = [\"I'll BURN your office.\"]\nmust_not_match = [\"Burn the rubbish.\"]\n").unwrap();
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty());
    let det = own_with(&rules, "Dear council. I'll BURN your office. Thanks.");
    assert_eq!(det.hits.len(), 1);
    assert_eq!(det.hits[0].matched, "I'll BURN your office.");
    let (score, why) = rules
        .model_evidence("tp.model", &det.hits[0].matched)
        .unwrap();
    assert!(score > 0.7);
    assert_eq!(why[0], ("burn".to_string(), 3.0));
    // The rule's guards apply to the model's hit like any other.
    let det = own_with(&rules, "He said he'd burn your office.");
    assert!(det.hits.is_empty() && det.suppressed[0].reason == "reported");
}

#[test]
fn a_model_rules_content_bar_leaves_out_function_words_alone() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| write_file(dir.path(), name, body);
    write("model/tp.tsv", "(bias)\t-2\nburn\t3\nyour\t3\noffice\t1\n");
    write("model/function.txt", "# pronouns\nyour\ni'll\n");
    let rule = |extra: &str| {
        format!("[[rule]]\nid = \"tp.model_sure\"\ncategory = \"threat_property\"\nweight = 1.0\ndescription = \"d\"\nmodel = \"model/tp.tsv\"\nmin_score = 0.7\n{extra}\nmust_match = [\"I'll burn your office.\"]\nmust_not_match = [\"Tidy your office.\"]\n")
    };
    write(
        "m.toml",
        &rule("function_words = \"model/function.txt\"\ncontent_min_score = 0.5"),
    );
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty());
    // "your" carries "Tidy your office." over 0.7 (0.88); without it the
    // sentence scores 0.27, under the second bar: suppressed, and the
    // trace says why.
    let det = own_with(&rules, "Tidy your office.");
    assert!(det.hits.is_empty());
    assert!(
        det.suppressed[0]
            .reason
            .starts_with("function_words: 0.269 without them"),
        "{}",
        det.suppressed[0].reason
    );
    // "burn" carries "I'll burn your office." (0.88 without "your").
    assert_eq!(own_with(&rules, "I'll burn your office.").hits.len(), 1);
    // Both keys or neither, and only on a model rule.
    write("m.toml", &rule("content_min_score = 0.5"));
    let err = RuleSet::load(dir.path()).err().unwrap().to_string();
    assert!(err.contains("together"), "{err}");
    write(
        "m.toml",
        "[[rule]]\nid = \"r\"\ncategory = \"threat_property\"\nweight = 1.0\ndescription = \"d\"\nregex = \"burn\"\nfunction_words = \"model/function.txt\"\nmust_match = [\"burn\"]\n",
    );
    let err = RuleSet::load(dir.path()).err().unwrap().to_string();
    assert!(
        err.contains("`function_words` is only for a rule with `model`"),
        "{err}"
    );
}

/// A model rule with `one_word_min_score`: its hit counts only where the
/// sentence still reaches the bar with its strongest word left out, every
/// place that word stands and every pair it is in.
#[test]
fn a_model_rules_one_word_bar_wants_more_than_one_word() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| write_file(dir.path(), name, body);
    write(
        "model/tp.tsv",
        "(bias)\t-3\nburn\t2\nvan\t2\nsmash\t2\nburn burn\t1\n",
    );
    let rule = |extra: &str| {
        format!("[[rule]]\nid = \"tp.model_sure\"\ncategory = \"threat_property\"\nweight = 1.0\ndescription = \"d\"\nmodel = \"model/tp.tsv\"\nmin_score = 0.9\n{extra}\nmust_match = [\"Smash and burn the van.\"]\nmust_not_match = [\"Burn burn burn.\"]\n")
    };
    write("m.toml", &rule("one_word_min_score = 0.5"));
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    // Three words carry it (0.95); any one left out, 0.73: it counts.
    assert_eq!(own_with(&rules, "Smash and burn the van.").hits.len(), 1);
    // One word said three times (0.99): left out everywhere, with its
    // pairs, the bias alone is left (0.047): suppressed, and the trace
    // names the word.
    let det = own_with(&rules, "Burn burn burn.");
    assert!(det.hits.is_empty());
    assert_eq!(
        det.suppressed[0].reason,
        "one_word: 0.047 without \"burn\", one_word_min_score 0.5"
    );
    // Between 0 and 1, and only on a sentence model rule.
    write("m.toml", &rule("one_word_min_score = 1.5"));
    let err = RuleSet::load(dir.path()).err().unwrap().to_string();
    assert!(
        err.contains("`one_word_min_score` must be between 0 and 1"),
        "{err}"
    );
    write(
        "m.toml",
        "[[rule]]\nid = \"r\"\ncategory = \"threat_property\"\nweight = 1.0\ndescription = \"d\"\nregex = \"burn\"\none_word_min_score = 0.5\nmust_match = [\"burn\"]\n",
    );
    let err = RuleSet::load(dir.path()).err().unwrap().to_string();
    assert!(
        err.contains("`one_word_min_score` is only for a rule with `model`"),
        "{err}"
    );
}

/// A model rule with a `rival`: its hit does not count where the rival
/// model's log-odds for the same span are higher by more than the margin,
/// unless `rival_except` matches the span.
#[test]
fn a_model_rules_rival_takes_a_sentence_it_scores_higher() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| write_file(dir.path(), name, body);
    write("model/tv.tsv", "(bias)\t-2\nsmash\t3\nyour\t1\n");
    write("model/tp.tsv", "(bias)\t-2\nvan\t4\nsmash\t1\n");
    let rule = |extra: &str| {
        format!("[[rule]]\nid = \"tv.model\"\ncategory = \"threat_violence\"\nweight = 1.0\ndescription = \"d\"\nmodel = \"model/tv.tsv\"\nmin_score = 0.7\nrival = \"model/tp.tsv\"\n{extra}\nmust_match = [\"I'll smash your face.\"]\n")
    };
    write("m.toml", &rule(""));
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    // tv 0.88, tp 0.27: counts.
    assert_eq!(own_with(&rules, "I'll smash your face.").hits.len(), 1);
    // tv 0.88 (log-odds 2), tp 0.95 (log-odds 3): the van's.
    let det = own_with(&rules, "I'll smash your van.");
    assert!(det.hits.is_empty(), "{det:?}");
    assert!(
        det.suppressed[0]
            .reason
            .starts_with("rival: model/tp.tsv scores it 0.953, over 0.881"),
        "{}",
        det.suppressed[0].reason
    );
    // A margin of 1.5 log-odds keeps it; so does the exception.
    write("m.toml", &rule("rival_margin = 1.5"));
    let rules = RuleSet::load(dir.path()).unwrap();
    assert_eq!(own_with(&rules, "I'll smash your van.").hits.len(), 1);
    write(
        "m.toml",
        &rule("rival_except = '''\\bwith\\s+you\\s+in\\s+it\\b'''"),
    );
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(own_with(&rules, "I'll smash your van.").hits.is_empty());
    assert_eq!(
        own_with(&rules, "I'll smash your van with you in it.")
            .hits
            .len(),
        1
    );
    // The margin and the exception only with a rival.
    write(
        "m.toml",
        "[[rule]]\nid = \"tv.model\"\ncategory = \"threat_violence\"\nweight = 1.0\ndescription = \"d\"\nmodel = \"model/tv.tsv\"\nmin_score = 0.7\nrival_margin = 1.0\nmust_match = [\"I'll smash your face.\"]\n",
    );
    let err = RuleSet::load(dir.path()).err().unwrap().to_string();
    assert!(err.contains("need `rival`"), "{err}");
}

/// A named pattern (`[patterns]`) is written once and spliced into any
/// pattern of the folder as `{{name}}`: a rule's regex (in `(?x)` mode or
/// not), a guard, another file's `rival_except`; it may splice in lists,
/// not another named pattern; a name is given once.
#[test]
fn a_named_pattern_is_written_once_and_spliced_where_named() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| write_file(dir.path(), name, body);
    write("lists/weapons.txt", "knife\nmachete\n");
    write(
        "a.toml",
        r#"[patterns]
armed = '''with a {{lists/weapons.txt}}'''

[[guard]]
name = "g"
description = "d"
pattern = '''\bkitchen\s+{{armed}}'''
"#,
    );
    write(
        "b.toml",
        r#"[[rule]]
id = "tv.armed"
category = "threat_violence"
weight = 1.0
description = "d"
regex = '''(?x) \bcoming \s+ round \s+ {{armed}}'''
unless = ["g"]
must_match = ["I'm coming round with a machete."]
must_not_match = ["I'm coming round with a spade.", "I'm coming round withaknife."]
"#,
    );
    let rules = RuleSet::load(dir.path()).unwrap();
    // Free-spacing is off inside the pattern: its spaces are spaces in a
    // `(?x)` rule too.
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    assert_eq!(own_with(&rules, "coming round with a knife").hits.len(), 1);
    // The guard reads the same pattern.
    let det = own_with(
        &rules,
        "coming round with a knife to the kitchen with a knife",
    );
    assert!(det.hits.is_empty(), "{det:?}");
    // A name given twice, a bad name, a pattern in a pattern: each an error.
    write("c.toml", "[patterns]\narmed = 'x'\n");
    let err = RuleSet::load(dir.path()).err().unwrap().to_string();
    assert!(err.contains("duplicate pattern `armed`"), "{err}");
    write(
        "c.toml",
        "[patterns]\n\"a b\" = 'x'\nnested = '{{armed}}'\n",
    );
    let err = RuleSet::load(dir.path()).err().unwrap().to_string();
    assert!(err.contains("pattern `a b`: a name is"), "{err}");
    assert!(
        err.contains("pattern `nested`: splices in pattern `armed`"),
        "{err}"
    );
}

/// The Subject line is scanned as the sender's own words on its own, its
/// hits' offsets into the subject; a reply's or forward's subject is not.
#[test]
fn the_subject_line_is_read_unless_it_repeats_an_earlier_subject() {
    let body = "I parked on Mill Lane and the app crashed before I could pay.";
    let segments = [Segment {
        kind: SegmentKind::Own,
        range: 0..body.len(),
    }];
    let subject = "[EXTERNAL] Your warden is going to get a kicking";
    let det = engine().detect_message(subject, body, &segments);
    assert!(
        det.categories.contains(&Category::ThreatViolence),
        "{det:?}"
    );
    let hits: Vec<_> = det.hits.iter().filter(|h| h.in_subject()).collect();
    assert!(!hits.is_empty(), "{det:?}");
    for h in hits {
        assert_eq!(&subject[h.start..h.end], h.matched, "{h:?}");
        assert!(h.start >= "[EXTERNAL] ".len(), "{h:?}");
    }
    assert!(engine().detect(body, &segments).categories.is_empty());
    for subject in [
        "Re: Your warden is going to get a kicking",
        "FW: Your warden is going to get a kicking",
        "[EXTERNAL] RE: Your warden is going to get a kicking",
    ] {
        let det = engine().detect_message(subject, body, &segments);
        assert!(det.categories.is_empty(), "{subject}: {det:?}");
        assert!(det.hits.iter().all(|h| !h.in_subject()), "{subject}");
    }
}

/// The model's sentence tiers read the sender's own Subject line (detect74):
/// a threat or a despairing line written only there, over a body that says
/// nothing, is found, in the subject; a headline that speaks as no one
/// (a newsletter's), a victim's own report and a reply's subject are not.
#[test]
fn the_model_reads_a_subject_that_speaks_as_the_sender() {
    let body = "Please see attached.";
    let segments = [Segment {
        kind: SegmentKind::Own,
        range: 0..body.len(),
    }];
    for (subject, category) in [
        (
            "tell ur enforcement officer il be waitin for him at the gate wiv a bat",
            Category::ThreatViolence,
        ),
        (
            "I can't go on any more, tonight I end it",
            Category::ThreatSelfHarm,
        ),
    ] {
        let det = engine().detect_message(subject, body, &segments);
        assert!(det.categories.contains(&category), "{subject}: {det:?}");
        assert!(
            det.hits
                .iter()
                .any(|h| h.in_subject() && h.rule_id.ends_with(".model_sure")),
            "{subject}: {det:?}"
        );
        assert!(engine().detect(body, &segments).categories.is_empty());
    }
    let headline = "Teen dies of starvation after stepfather puts him on a bus and tells him to find his real father";
    let det = engine().detect_message(headline, body, &segments);
    assert!(det.categories.is_empty(), "{det:?}");
    assert!(
        det.suppressed
            .iter()
            .any(|s| s.hit.in_subject() && s.reason == "subject_unaddressed"),
        "the trace says why: {det:?}"
    );
    for subject in [
        "Complaint about my threatening neighbour at number 12",
        "Re: Your complaint about threatening behaviour",
        "Re: threatening neighbour",
        "Killer deals on your next holiday",
        "Dead link on page",
    ] {
        let det = engine().detect_message(subject, body, &segments);
        assert!(det.categories.is_empty(), "{subject}: {det:?}");
    }
}

/// A model rule reads the Subject line only with `subject = true`; the
/// subject's own words only (not a reply's), on its own, offsets into it.
#[test]
fn a_model_rule_reads_the_subject_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| write_file(dir.path(), name, body);
    write("model/tp.tsv", "(bias)\t-2\nburn\t3\noffice\t1\n");
    let rule = |extra: &str| {
        format!("[[rule]]\nid = \"tp.model\"\ncategory = \"threat_property\"\nweight = 1.0\ndescription = \"d\"\nmodel = \"model/tp.tsv\"\nmin_score = 0.7\n{extra}\nmust_match = [\"I'll burn your office.\"]\n")
    };
    let body = "Please call me back about my bins.";
    let segments = [Segment {
        kind: SegmentKind::Own,
        range: 0..body.len(),
    }];
    let subject = "[EXTERNAL] I'll burn your office";
    write("m.toml", &rule(""));
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules
        .detect_message(subject, body, &segments)
        .hits
        .is_empty());
    assert!(rules.subject_sentences(subject).len() == 1);
    write("m.toml", &rule("subject = true"));
    let rules = RuleSet::load(dir.path()).unwrap();
    let det = rules.detect_message(subject, body, &segments);
    assert_eq!(det.hits.len(), 1, "{det:?}");
    let hit = &det.hits[0];
    assert!(hit.in_subject() && subject[hit.start..hit.end] == hit.matched);
    assert!(det.categories.contains(&Category::ThreatProperty));
    let reply = "RE: I'll burn your office";
    assert!(rules.detect_message(reply, body, &segments).hits.is_empty());
    assert!(rules.subject_sentences(reply).is_empty());
    // Only on a model rule.
    write(
        "m.toml",
        "[[rule]]\nid = \"r\"\ncategory = \"threat_property\"\nweight = 1.0\ndescription = \"d\"\nregex = \"burn\"\nsubject = true\nmust_match = [\"burn\"]\n",
    );
    let err = RuleSet::load(dir.path()).err().unwrap().to_string();
    assert!(err.contains("`subject` is for model rules only"), "{err}");
}

/// A Subject-line guard (`subject = true` on the guard) reads and sets
/// aside only the subject's hits: the model may ask more of a headline
/// than of the body's sentences, and the body's same words still count.
#[test]
fn a_subject_guard_sets_aside_only_the_subjects_hits() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| write_file(dir.path(), name, body);
    write("model/tp.tsv", "(bias)\t-2\nburn\t3\noffice\t1\n");
    write(
        "m.toml",
        r#"[[guard]]
name = "headline"
description = "d"
subject = true
pattern = '\w'
except = '\b(?:i|you|your)\b'

[[rule]]
id = "tp.model"
category = "threat_property"
weight = 1.0
description = "d"
model = "model/tp.tsv"
min_score = 0.7
subject = true
unless = ["headline"]
must_match = ["Office will burn."]
"#,
    );
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    let body = "Please call me back about my bins.";
    let segments = [Segment {
        kind: SegmentKind::Own,
        range: 0..body.len(),
    }];
    // The subject that speaks to the reader is read.
    let det = rules.detect_message("I will burn your office", body, &segments);
    assert!(
        det.categories.contains(&Category::ThreatProperty),
        "{det:?}"
    );
    assert!(det.hits.iter().all(|h| h.in_subject()), "{det:?}");
    // A headline is set aside, and the trace says by what, in the subject.
    let det = rules.detect_message("Office will burn", body, &segments);
    assert!(det.categories.is_empty(), "{det:?}");
    let why: Vec<_> = det
        .suppressed
        .iter()
        .map(|s| (s.reason.as_str(), s.hit.in_subject()))
        .collect();
    assert_eq!(why, [("headline", true)], "{det:?}");
    // The same words in the body: the guard does not read the body.
    let text = "Office will burn.";
    let det = rules.detect_message(
        "Bins",
        text,
        &[Segment {
            kind: SegmentKind::Own,
            range: 0..text.len(),
        }],
    );
    assert!(
        det.categories.contains(&Category::ThreatProperty),
        "{det:?}"
    );
    assert!(det.suppressed.is_empty(), "{det:?}");
}

#[test]
fn a_together_rule_counts_only_beside_its_categorys_other_evidence_nearby() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.toml"), "[[rule]]\nid = \"d.lean\"\ncategory = \"discrimination\"\nweight = 0.5\ndescription = \"d\"\nwords = [\"lean\"]\ntogether = true\nmust_match = [\"lean and lean\", \"lean group\"]\nmust_not_match = [\"lean\"]\n\n[[rule]]\nid = \"d.group\"\ncategory = \"discrimination\"\nweight = 0.5\nmax_hits = 1\ndescription = \"d\"\nwords = [\"group\"]\nmust_match = [\"group\"]\n").unwrap();
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    let flagged = |text: &str| {
        let det = own_with(&rules, text);
        det.categories.contains(&Category::Discrimination)
    };
    // Two clues in one paragraph, or in paragraphs side by side, flag…
    assert!(flagged("A lean one. Then the group."));
    assert!(flagged("A lean one.\n\nThen the group."));
    assert!(flagged("A lean one.\n\nAnother lean one."));
    // …two paragraphs apart they do not: the lean hit is suppressed.
    let far = "A lean one.\n\nNothing here.\n\nThen the group.";
    assert!(!flagged(far));
    let det = own_with(&rules, far);
    assert!(det.suppressed.iter().any(|s| s.reason == "together"));
    assert!(!flagged("A lean one.\n\nNothing.\n\nAnother lean one."));
}

#[test]
fn together_within_and_together_not_with_narrow_the_other_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let lean = "[[rule]]\nid = \"d.lean\"\ncategory = \"discrimination\"\nweight = 0.5\ndescription = \"d\"\nwords = [\"lean\"]\ntogether = true\ntogether_within = 20\ntogether_not_with = [\"d.marker\"]\nmust_match = [\"lean group\"]\n";
    let others = "[[rule]]\nid = \"d.group\"\ncategory = \"discrimination\"\nweight = 0.5\nmax_hits = 1\ndescription = \"d\"\nwords = [\"group\"]\nmust_match = [\"group\"]\n\n[[rule]]\nid = \"d.marker\"\ncategory = \"discrimination\"\nweight = 0.5\nmax_hits = 1\ndescription = \"d\"\nwords = [\"marker\"]\nmust_match = [\"marker\"]\n";
    std::fs::write(dir.path().join("d.toml"), format!("{lean}\n{others}")).unwrap();
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    let flagged = |text: &str| {
        let det = own_with(&rules, text);
        det.categories.contains(&Category::Discrimination)
    };
    // Within 20 bytes of the other clue it counts; further off in the same
    // paragraph it does not.
    assert!(flagged("A lean one. The group."));
    assert!(!flagged(
        "A lean one. Nothing at all here, nothing. The group."
    ));
    // A hit of a rule named in together_not_with is not the other evidence.
    assert!(!flagged("A lean one. The marker."));
    // Both keys need `together`; the rules named must exist.
    let plain = lean.replace("together = true\n", "");
    std::fs::write(dir.path().join("d.toml"), format!("{plain}\n{others}")).unwrap();
    let err = RuleSet::load(dir.path()).err().unwrap().to_string();
    assert!(err.contains("need `together = true`"), "{err}");
    let unknown = lean.replace("d.marker", "d.nothing");
    std::fs::write(dir.path().join("d.toml"), format!("{unknown}\n{others}")).unwrap();
    let err = RuleSet::load(dir.path()).err().unwrap().to_string();
    assert!(
        err.contains("unknown rule `d.nothing` in together_not_with"),
        "{err}"
    );
    // Loaded without models (training), a name it cannot see may be a model
    // rule's: not an error there.
    assert!(RuleSet::load_without_models(dir.path()).is_ok());
}

/// A `together` model rule is not its own other evidence: where another
/// tier of the same model reads the same words, that tier's hit is the
/// evidence and the together hit is set aside (`tv.model_lean` beside
/// `tv.model` on one sentence is one lean, not two).
#[test]
fn a_together_model_hit_is_not_evidence_for_itself_at_another_tier() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| write_file(dir.path(), name, body);
    // "Hit you." scores 0.95 (both tiers); "Walk home." 0.62 (the lean tier only).
    write("model/tv.tsv", "(bias)\t-2\nhit\t5\nwalk\t2.5\n");
    write(
        "m.toml",
        "[[rule]]\nid = \"v.model\"\ncategory = \"threat_violence\"\nweight = 0.5\ndescription = \"d\"\nmodel = \"model/tv.tsv\"\nmin_score = 0.9\nmust_match = [\"Hit you.\"]\n\n[[rule]]\nid = \"v.lean\"\ncategory = \"threat_violence\"\nweight = 0.5\ndescription = \"d\"\nmodel = \"model/tv.tsv\"\nmin_score = 0.5\ntogether = true\nmust_match = [\"Walk home. Accidents happen.\"]\nmust_not_match = [\"Walk home.\"]\n\n[[rule]]\nid = \"v.hint\"\ncategory = \"threat_violence\"\nweight = 0.5\ndescription = \"d\"\nwords = [\"accidents\"]\nmust_match = [\"accidents\"]\n",
    );
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    let flagged = |text: &str| {
        let det = own_with(&rules, text);
        det.categories.contains(&Category::ThreatViolence)
    };
    // The lean tier beside other evidence counts; alone it does not.
    assert!(flagged("Walk home. Accidents happen."));
    assert!(!flagged("Walk home."));
    // Both tiers on one sentence: one half-weight reading, not two.
    let det = own_with(&rules, "Hit you.");
    assert!(
        !det.categories.contains(&Category::ThreatViolence),
        "{det:?}"
    );
    assert!(det.hits.iter().any(|h| h.rule_id == "v.model"));
    assert!(det.suppressed.iter().any(|s| s.reason == "together"));
    // With evidence of its own beside it, the sentence flags.
    assert!(flagged("Hit you. Accidents happen."));
}

#[test]
fn a_half_weight_derived_rule_follows_half_weight_hits_a_full_weight_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let rules = "[[rule]]\nid = \"d.lean\"\ncategory = \"discrimination\"\nweight = 0.5\ndescription = \"d\"\nwords = [\"lean\"]\nmust_match = [\"lean\"]\n\n[[rule]]\nid = \"d.slur\"\ncategory = \"discrimination\"\nweight = 1.0\ndescription = \"d\"\nwords = [\"slur\"]\nmust_match = [\"slur\"]\n\n[[rule]]\nid = \"a.full\"\ncategory = \"abuse\"\nof = \"discrimination\"\nweight = 1.0\ndescription = \"a\"\nregex = '''\\byou\\b'''\nmust_match = [\"you slur\"]\n\n[[rule]]\nid = \"a.half\"\ncategory = \"abuse\"\nof = \"discrimination\"\nweight = 0.5\ndescription = \"a\"\nregex = '''\\byou\\b'''\nmust_match = [\"you lean\"]\n";
    std::fs::write(dir.path().join("d.toml"), rules).unwrap();
    let rules = RuleSet::load(dir.path()).unwrap();
    let fired = |text: &str| -> Vec<String> {
        let det = own_with(&rules, text);
        let mut ids: Vec<String> = det.hits.iter().map(|h| h.rule_id.clone()).collect();
        ids.retain(|id| id.starts_with("a."));
        ids
    };
    // A half-weight clue aimed at the reader: only the half-weight derived rule.
    assert_eq!(fired("you are lean"), ["a.half"]);
    // A full-weight one: both.
    assert_eq!(fired("you are slur"), ["a.full", "a.half"]);
    // Not aimed at the reader: neither.
    assert!(fired("they are lean").is_empty());
}

#[test]
fn an_of_flagged_rule_follows_half_weight_hits_at_half_weight_where_its_category_is_flagged() {
    let rules = r#"[[rule]]
id = "d.lean"
category = "discrimination"
weight = 0.5
max_hits = 1
description = "d"
words = ["lean"]
must_match = ["lean"]

[[rule]]
id = "d.coded"
category = "discrimination"
weight = 0.5
max_hits = 1
description = "d"
words = ["coded"]
must_match = ["coded"]

[[rule]]
id = "a.half"
category = "abuse"
weight = 0.5
max_hits = 1
description = "a"
words = ["dimwit"]
must_match = ["dimwit"]

[[rule]]
id = "a.at_staff"
category = "abuse"
of = "discrimination"
weight = 1.0
max_hits = 1
of_flagged = true
description = "a"
regex = '''\bwarden\b'''
must_match = ["Your warden is lean. They are coded."]
must_not_match = ["Your warden is lean."]
"#;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.toml"), rules).unwrap();
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    let det = |text: &str| own_with(&rules, text);
    // Two half-weight clues flag discrimination; the one about staff is aimed
    // at staff, half as strong as a full-weight remark's: abuse's half, once.
    let d = det("Your warden is lean. They are coded.");
    assert!(d.categories.contains(&Category::Discrimination), "{d:?}");
    assert!(!d.categories.contains(&Category::Abuse), "{d:?}");
    let at_staff: Vec<f32> = (d.hits.iter())
        .filter(|h| h.rule_id == "a.at_staff")
        .map(|h| h.weight)
        .collect();
    assert_eq!(at_staff, [0.5]);
    // With other abuse evidence it completes a flag.
    let d = det("Your warden is lean, a dimwit. They are coded.");
    assert!(d.categories.contains(&Category::Abuse), "{d:?}");
    // One half-weight clue is no remark: the hit is set aside and says why,
    // and adds nothing to other abuse evidence.
    let d = det("Your warden is lean, a dimwit.");
    assert!(d.categories.is_empty(), "{d:?}");
    let why = d.suppressed.iter().find(|s| s.hit.rule_id == "a.at_staff");
    assert_eq!(why.map(|s| s.reason.as_str()), Some("of_not_flagged"));
    // Flagged, but no clue about staff: discrimination only.
    let d = det("They are lean, a dimwit. They are coded.");
    assert!(d.categories.contains(&Category::Discrimination), "{d:?}");
    assert!(!d.categories.contains(&Category::Abuse), "{d:?}");
    // `of_flagged` is for full-weight derived rules only.
    let half = "[[rule]]\nid = \"a.x\"\ncategory = \"abuse\"\nof = \"discrimination\"\nweight = 0.5\nof_flagged = true\ndescription = \"a\"\nregex = '''x'''\nmust_match = [\"x\"]\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.toml"), half).unwrap();
    assert!(RuleSet::load(dir.path()).is_err());
}

#[test]
fn a_derived_rule_with_requires_follows_only_hits_near_its_condition() {
    let dir = tempfile::tempdir().unwrap();
    let rules = r#"[[rule]]
id = "d.slur"
category = "discrimination"
weight = 1.0
description = "d"
words = ["slur"]
must_match = ["slur"]

[[rule]]
id = "a.at_staff"
category = "abuse"
of = "discrimination"
weight = 1.0
description = "a"
regex = '''\bshe\b'''
requires = '''\bwarden\b'''
must_match = ["Your warden gave me a ticket. She is a slur."]
must_not_match = ["She is a slur.", "Your warden gave me a ticket.\n\nOk.\n\nShe is a slur."]
"#;
    std::fs::write(dir.path().join("d.toml"), rules).unwrap();
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    let abuse = |text: &str| own_with(&rules, text).categories.contains(&Category::Abuse);
    // The staff member named in the paragraph: the hate remark about "her" is aimed at staff.
    assert!(abuse("Your warden gave me a ticket. She is a slur."));
    // In the paragraph before: still.
    assert!(abuse("Your warden gave me a ticket.\n\nShe is a slur."));
    // No staff named nearby, or the sentence condition unmet: discrimination only.
    assert!(!abuse("My neighbour parks badly. She is a slur."));
    assert!(!abuse("Your warden gave me a ticket. They are slur."));
    assert!(own_with(&rules, "She is a slur.")
        .categories
        .contains(&Category::Discrimination));
}

#[test]
fn a_derived_rule_can_follow_the_hits_a_named_guard_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let files = r#"[[guard]]
name = "theirs"
description = "d"
pattern = '''\bhe\s+said\b'''

[[guard]]
name = "joking"
description = "d"
pattern = '''\bjoking\b'''

[[rule]]
id = "s.end"
category = "threat_self_harm"
weight = 1.0
description = "s"
words = ["end it"]
unless = ["joking", "theirs"]
must_match = ["i will end it"]

[[rule]]
id = "u.reported"
category = "urgent_service"
of = "threat_self_harm"
weight = 1.0
description = "u"
when_suppressed_by = ["theirs"]
regex = '''\b\w'''
must_match = ["he said he will end it"]
must_not_match = ["i will end it"]
"#;
    std::fs::write(dir.path().join("s.toml"), files).unwrap();
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    // Someone else's words, set aside by the named guard: urgent, not self-harm.
    let det = own_with(&rules, "He said he will end it tonight.");
    assert!(det.urgent_service);
    assert!(det.categories.is_empty());
    // The sender's own words: self-harm, and the follower stays silent.
    let det = own_with(&rules, "I will end it tonight.");
    assert!(!det.urgent_service);
    assert!(det.categories.contains(&Category::ThreatSelfHarm));
    // Set aside by another guard: nothing.
    let det = own_with(&rules, "Only joking, I will end it.");
    assert!(!det.urgent_service && det.categories.is_empty());
}

#[test]
fn when_suppressed_by_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let files = "[[rule]]\nid = \"u1\"\ncategory = \"urgent_service\"\nweight = 1.0\ndescription = \"d\"\nregex = \"gas\"\nwhen_suppressed_by = [\"quoted\"]\nmust_match = [\"gas\"]\n\n[[guard]]\nname = \"quoted\"\ndescription = \"d\"\npattern = \"said\"\n\n[[rule]]\nid = \"u2\"\ncategory = \"urgent_service\"\nof = \"threat_self_harm\"\nweight = 1.0\ndescription = \"d\"\nregex = \"x\"\nwhen_suppressed_by = [\"ghost\"]\nmust_match = [\"x\"]\n";
    std::fs::write(dir.path().join("u.toml"), files).unwrap();
    let text = match RuleSet::load(dir.path()) {
        Ok(_) => panic!("broken rules loaded"),
        Err(e) => e.to_string(),
    };
    assert!(
        text.contains("u.toml:7")
            && text.contains("`when_suppressed_by` is for rules with `of` only"),
        "{text}"
    );
    assert!(
        text.contains("u.toml:22") && text.contains("unknown guard `ghost` in when_suppressed_by"),
        "{text}"
    );
}

#[test]
fn a_quotation_guard_reads_what_introduces_the_quotation_for_every_rule_of_its_categories() {
    let dir = tempfile::tempdir().unwrap();
    let files = r#"[[guard]]
name = "others"
description = "d"
quotation = true
categories = ["threat_violence"]
pattern = '''\bhe\s+said\s*:?\s*$'''

[[rule]]
id = "t.kill"
category = "threat_violence"
weight = 1.0
description = "t"
words = ["kill"]
must_match = ["i will kill you"]
"#;
    std::fs::write(dir.path().join("t.toml"), files).unwrap();
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    let flagged = |text: &str| {
        let det = own_with(&rules, text);
        det.categories.contains(&Category::ThreatViolence)
    };
    // The rule has no `unless`; the guard applies through `categories`.
    assert!(!flagged(
        "My neighbour came out and he said \"I will kill you\" to me."
    ));
    assert!(!flagged(
        "What he said:\n\n\"I will kill her.\"\n\nPlease help."
    ));
    // The sender's own words, or a quotation introduced otherwise, still count.
    assert!(flagged("I will kill you."));
    assert!(flagged("So I said \"I will kill you\" and I meant it."));
    assert!(flagged("He said nothing. I will kill him, \"officer\"."));
}

#[test]
fn after_quotation_and_link_guards_read_the_words_after_a_quotation_and_a_link_beside_the_hit() {
    let dir = tempfile::tempdir().unwrap();
    let files = r#"[[guard]]
name = "after"
description = "d"
after_quotation = true
categories = ["abuse"]
pattern = '''^\W*(?:he|she)\s+(?:writes|said)\b'''

[[guard]]
name = "link"
description = "d"
link = true
categories = ["abuse"]
pattern = '''https?://'''

[[rule]]
id = "a.idiot"
category = "abuse"
weight = 1.0
description = "a"
words = ["idiots"]
must_match = ["you idiots"]
"#;
    std::fs::write(dir.path().join("a.toml"), files).unwrap();
    let rules = RuleSet::load(dir.path()).unwrap();
    assert!(rules.self_test().is_empty(), "{:?}", rules.self_test());
    let flagged = |text: &str| {
        let det = own_with(&rules, text);
        det.categories.contains(&Category::Abuse)
    };
    // A quotation whose speaker is named after it; a link list's name.
    assert!(!flagged(
        "\"They are idiots,\" he writes, in an honest style."
    ));
    assert!(!flagged(
        "Blogs: idiots united http://www.idiotsunited.com/ more"
    ));
    assert!(!flagged("see http://www.idiots.org/page for it"));
    // The sender's own words: outside the quotation, a quotation not
    // followed by its speaker, an address that does not spell the word.
    assert!(flagged("He writes \"hello\". You idiots."));
    assert!(flagged("\"You idiots,\" I said, and I meant it."));
    assert!(flagged(
        "You idiots, see http://www.council.gov.uk/complaints"
    ));
}

#[test]
fn a_guard_reads_one_scope_only() {
    let dir = tempfile::tempdir().unwrap();
    let files = r#"[[guard]]
name = "both"
description = "d"
quotation = true
link = true
pattern = '''x'''
"#;
    std::fs::write(dir.path().join("a.toml"), files).unwrap();
    let Err(errors) = RuleSet::load(dir.path()) else {
        panic!("two scopes loaded");
    };
    let text = errors.to_string();
    assert!(
        text.contains("at most one of quotation, after_quotation, link"),
        "{text}"
    );
}

#[test]
fn a_guard_with_requires_applies_only_beside_its_paragraph_condition() {
    let rules = rules_from(
        r#"[[guard]]
name = "pests_them"
description = "d"
pattern = '''\bkill\s+the\s+lot\s+of\s+them\b'''
requires = '''\brats\b'''

[[rule]]
id = "v.kill"
category = "threat_violence"
weight = 1.0
description = "v"
regex = '''\bkill\s+the\s+lot\s+of\s+them\b'''
unless = ["pests_them"]
must_match = ["Your officers are useless. I'll kill the lot of them."]
must_not_match = ["There are rats under the decking. I'd kill the lot of them."]
"#,
    );
    let violent = |text: &str| violent_with(&rules, text);
    // The pests named in the paragraph before: set aside.
    assert!(!violent(
        "We have rats in the loft.\n\nI'd kill the lot of them myself."
    ));
    // No pests in the paragraph or the one before: a threat.
    assert!(violent(
        "Your officers are useless. I'll kill the lot of them."
    ));
    // Pests two paragraphs up are out of scope.
    assert!(violent(
        "We have rats in the loft.\n\nYour officers never came.\n\nI'll kill the lot of them."
    ));
}

#[test]
fn a_model_hit_is_read_without_someone_elses_quotation_inside_its_sentence() {
    // The model's hit is the whole sentence; its score came from the
    // patient's quoted words, which `others_quoted` sets aside: not the
    // sender's self-harm, but a person at risk relayed (SPEC §5 row 7).
    // (Five words between the verb and the colon: `quoted` reaches one to
    // three, so this is `others_quoted`'s to set aside.)
    let relayed = own(
        "She told me at her review this morning: \"if they evict me I will end my life, \
         I can't go on\". I have referred her to the crisis team.",
    );
    assert!(
        !relayed.categories.contains(&Category::ThreatSelfHarm),
        "{:?}",
        relayed.hits
    );
    assert!(relayed.urgent_service);
    let why: Vec<&str> = relayed
        .suppressed
        .iter()
        .filter(|s| s.hit.rule_id.starts_with("sh.model"))
        .map(|s| s.reason.as_str())
        .collect();
    assert!(
        why.iter()
            .any(|r| r.starts_with("others_quoted: ") && r.contains("without the quoted words")),
        "{why:?}"
    );
    // A verb of saying one to three words before the quotation is `quoted`'s
    // (detect86): someone else's words, set aside whole.
    assert!(
        !cats("She told me that \"if they evict me I will end my life, I can't go on\".")
            .contains(&Category::ThreatSelfHarm)
    );
    // The sender quoting themself is the sender's own words (`quoted`'s except).
    assert!(cats(
        "I told them \"if you evict me I will end my life, I can't go on\" and I meant it."
    )
    .contains(&Category::ThreatSelfHarm));
    assert!(
        !cats("He said \"I will end my life\" when he was drunk last year.")
            .contains(&Category::ThreatSelfHarm)
    );
    // A quotation no one else is said to have spoken is not set aside.
    assert!(cats(
        "My \"support plan\" is a joke and if they evict me I will end my life, I can't go on."
    )
    .contains(&Category::ThreatSelfHarm));
}

#[test]
fn a_guard_with_except_after_yields_to_a_retraction_later_on() {
    let rules = rules_from(
        r#"[[guard]]
name = "jest"
description = "d"
pattern = '''\blol\b'''
except_after = '''\bnot\s+even\s+joking\b'''

[[rule]]
id = "v.bin"
category = "threat_violence"
weight = 1.0
description = "v"
regex = '''\bgoing\s+in\s+the\s+bin\b'''
unless = ["jest"]
must_match = ["He's going in the bin lol. Not even joking."]
must_not_match = ["He's going in the bin lol."]
"#,
    );
    let violent = |text: &str| violent_with(&rules, text);
    // Taken back in the next paragraph: the jest guard does not apply.
    assert!(violent("He's going in the bin lol.\n\nNot even joking."));
    // A retraction before the hit's sentence, or two paragraphs on, is not read.
    assert!(!violent("Not even joking. He's going in the bin lol."));
    assert!(!violent(
        "He's going in the bin lol.\n\nThanks.\n\nNot even joking."
    ));
}

#[test]
fn the_quoted_guards_set_aside_the_quotation_not_the_senders_words_beside_it() {
    // The sender's own threat beside someone else's quotation counts
    // (`inside_quotation` on `quoted` and `tv_quoted`).
    assert!(
        cats("He said \"you'll pay\" and I swear I'll smash his face in.")
            .contains(&Category::ThreatViolence)
    );
    assert!(
        cats("The letter says \"notice to quit\" and if they evict me I will end my life.")
            .contains(&Category::ThreatSelfHarm)
    );
    // A victim quoting the threat made to them: the threat is in the
    // quotation, set aside as before, in double, single or typographic marks.
    for text in [
        "He shouted \"I'll kill you\" at me and then drove off.",
        "He shouted 'I'll kill you' at me and then drove off.",
        "He shouted \u{2018}I'll kill you\u{2019} at me and then drove off.",
        "He shouted \u{201C}I'll kill you\u{201D} at me and then drove off.",
        "My neighbour told me \"I'll burn your house down\" and I am scared.",
    ] {
        let det = own(text);
        assert!(
            !det.categories.contains(&Category::ThreatViolence)
                && !det.categories.contains(&Category::ThreatProperty),
            "{text}: {:?}",
            det.hits
        );
    }
}

/// A rules folder holding the shipped violence message model and one rule
/// file (`v.toml`), for the message tier's tests.
fn with_message_model(file: &str) -> Result<RuleSet, String> {
    with_message_model_of("threat_violence.message.tsv", file)
}

/// A rules folder holding the shipped message model `model` and one rule
/// file (`v.toml`).
fn with_message_model_of(model: &str, file: &str) -> Result<RuleSet, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("model")).unwrap();
    std::fs::copy(
        rules_dir().join("model").join(model),
        dir.path().join("model").join(model),
    )
    .unwrap();
    std::fs::write(dir.path().join("v.toml"), file).unwrap();
    RuleSet::load(dir.path()).map_err(|e| e.to_string())
}

/// The message tier at a bar every message reaches, so only the rule about
/// other evidence decides whether it counts.
const MESSAGE_TIER: &str = r#"
[[rule]]
id = "t.message"
category = "threat_violence"
weight = 0.5
description = "the message model at a bar every message reaches"
model = "model/threat_violence.message.tsv"
message = true
min_score = 0.001
must_match = ["Tell your warden to watch himself."]
"#;

/// Half-weight violence evidence for the message tier's tests.
const WARDEN_HALF: &str = r#"
[[rule]]
id = "t.half"
category = "threat_violence"
weight = 0.5
description = "half-weight evidence"
regex = '\bwarden\b'
must_match = ["Tell your warden to watch himself."]
"#;

#[test]
fn the_message_tier_completes_a_half_weight_hit_and_never_flags_alone() {
    let rules = with_message_model(&format!("{MESSAGE_TIER}{WARDEN_HALF}")).unwrap();
    // Alone: scored over nothing, no hit, no flag, whatever the words.
    let alone = own_with(&rules, "I will kill you. I know where you live.");
    assert!(alone.hits.is_empty(), "{:?}", alone.hits);
    assert!(!violent_with(
        &rules,
        "I will kill you. I know where you live."
    ));
    // Beside a half-weight hit it adds its half, over the sender's own text.
    let text = "Tell your warden to watch himself.";
    let det = own_with(&rules, text);
    let ids: Vec<&str> = det.hits.iter().map(|h| h.rule_id.as_str()).collect();
    assert_eq!(ids, ["t.half", "t.message"]);
    assert_eq!(det.hits[1].matched, text);
    assert!(violent_with(&rules, text));
    // The explanation: the message's score and the words that raised it.
    let segments = [Segment {
        kind: SegmentKind::Own,
        range: 0..text.len(),
    }];
    let (score, words) = rules
        .message_evidence("t.message", text, &segments)
        .unwrap();
    assert!((0.0..=1.0).contains(&score));
    assert!(!words.is_empty());
    assert!(rules.message_evidence("t.half", text, &segments).is_none());
}

/// `partner_min_score`: a lean set aside for standing alone (`together`)
/// counts again where the whole message reaches the bar, the message rule's
/// weight with it; below the bar, or without the key, it stays aside.
#[test]
fn the_message_tier_as_partner_of_a_lone_lean() {
    // The same half-weight evidence, counted only beside other evidence.
    let lean = format!(
        "{}together = true\n",
        WARDEN_HALF.replace("t.half", "t.lean")
    );
    let text = "Tell your warden to watch himself.";
    let tier = |partner: &str| {
        let rule =
            MESSAGE_TIER.replace("min_score = 0.001", &format!("min_score = 0.001{partner}"));
        with_message_model(&format!("{rule}{lean}")).unwrap()
    };
    // Without the key, the lone lean stays aside and nothing is scored.
    let plain = tier("");
    let det = own_with(&plain, text);
    assert!(det.hits.is_empty(), "{:?}", det.hits);
    assert!(det.suppressed.iter().any(|s| s.reason == "together"));
    assert!(!violent_with(&plain, text));
    // A bar every message reaches: the lean and the message rule count.
    let partner = tier("\npartner_min_score = 0.001");
    let det = own_with(&partner, text);
    let ids: Vec<&str> = det.hits.iter().map(|h| h.rule_id.as_str()).collect();
    assert_eq!(ids, ["t.lean", "t.message"]);
    assert!(!det.suppressed.iter().any(|s| s.reason == "together"));
    assert!(violent_with(&partner, text));
    // A bar no message reaches: the lean stays aside.
    let strict = tier("\npartner_min_score = 1.5");
    assert!(own_with(&strict, text).hits.is_empty());
    assert!(!violent_with(&strict, text));
    // Still no flag from the message alone, with no lean to partner.
    assert!(!violent_with(
        &partner,
        "I will kill you. I know where you live."
    ));
    // The key belongs to message rules only.
    let err = with_message_model(&lean.replace(
        "together = true",
        "together = true\npartner_min_score = 0.5",
    ))
    .err()
    .expect("partner_min_score on a regex rule is refused");
    assert!(err.contains("for `message` rules only"), "{err}");
}

/// `partner_yields_to`: the partner role does not apply where the message's
/// own counted evidence already flags another kind of threat named there
/// (a lean of violence beside a flagged property threat is most often that
/// threat's sentence read again); short of that flag, it still does.
#[test]
fn the_partner_yields_to_a_flagged_threat_of_another_kind() {
    let lean = format!(
        "{}together = true\n",
        WARDEN_HALF.replace("t.half", "t.lean")
    );
    let property = |weight: &str| {
        format!("[[rule]]\nid = \"t.burn\"\ncategory = \"threat_property\"\nweight = {weight}\ndescription = \"d\"\nregex = '\\bburn\\b'\nmust_match = [\"burn\"]\n")
    };
    let rules = |yields: &str, weight: &str| {
        let tier = MESSAGE_TIER.replace(
            "min_score = 0.001",
            &format!("min_score = 0.001\npartner_min_score = 0.001{yields}"),
        );
        with_message_model(&format!("{tier}{lean}{}", property(weight))).unwrap()
    };
    let yields = "\npartner_yields_to = [\"threat_property\", \"threat_self_harm\"]";
    let text = "Tell your warden to watch himself. I will burn the depot down.";
    let property_flagged = |r: &RuleSet| {
        own_with(r, text)
            .categories
            .contains(&Category::ThreatProperty)
    };
    // Without the key, the message partners the lone lean beside the property flag.
    let plain = rules("", "1.0");
    assert!(violent_with(&plain, text));
    assert!(property_flagged(&plain));
    // With it, the lean stays aside: property alone.
    let yielding = rules(yields, "1.0");
    let det = own_with(&yielding, text);
    assert!(!det.hits.iter().any(|h| h.rule_id == "t.lean"));
    assert!(det
        .suppressed
        .iter()
        .any(|s| s.hit.rule_id == "t.lean" && s.reason == "together"));
    assert!(!violent_with(&yielding, text));
    assert!(property_flagged(&yielding));
    // Property short of a flag (a half): the partner still applies.
    let half = rules(yields, "0.5");
    assert!(violent_with(&half, text));
    assert!(!property_flagged(&half));
    // Nothing else in the message: the partner applies.
    assert!(violent_with(
        &yielding,
        "Tell your warden to watch himself."
    ));
    // The key needs `partner_min_score`, and names categories.
    let tier = MESSAGE_TIER.replace("min_score = 0.001", &format!("min_score = 0.001{yields}"));
    let err = with_message_model(&tier)
        .err()
        .expect("partner_yields_to without partner_min_score is refused");
    assert!(err.contains("needs `partner_min_score`"), "{err}");
    let tier = MESSAGE_TIER.replace(
        "min_score = 0.001",
        "min_score = 0.001\npartner_min_score = 0.5\npartner_yields_to = [\"arson\"]",
    );
    let err = with_message_model(&tier)
        .err()
        .expect("an unknown category is refused");
    assert!(err.contains("partner_yields_to"), "{err}");
}

/// `partner_yields_to` with `half_min_score` (detect88): the lower bar does
/// not complete a half where the message's own counted evidence already
/// flags a category the rule yields to (a lone "I'm telling you now" beside
/// a windscreen to be put through is the property threat's own words); the
/// full `min_score` still does, and short of that flag the lower bar does.
#[test]
fn the_lower_half_bar_yields_to_a_flagged_threat_of_another_kind() {
    let property = |weight: &str| {
        format!("[[rule]]\nid = \"t.burn\"\ncategory = \"threat_property\"\nweight = {weight}\ndescription = \"d\"\nregex = '\\bburn\\b'\nmust_match = [\"burn\"]\n")
    };
    let rules = |top: &str, yields: &str, weight: &str| {
        let tier = MESSAGE_TIER.replace(
            "min_score = 0.001",
            &format!("min_score = {top}\npartner_min_score = 0.9999\nhalf_min_score = 0.001\nhalf_except = '\\w'{yields}"),
        );
        with_message_model(&format!("{tier}{WARDEN_HALF}{}", property(weight))).unwrap()
    };
    let yields = "\npartner_yields_to = [\"threat_property\"]";
    let text = "Tell your warden to watch himself. I will burn the depot down.";
    // Without the key, the lower bar completes the regex half beside the property flag.
    assert!(violent_with(&rules("0.9999", "", "1.0"), text));
    // With it, not there: property alone.
    let yielding = rules("0.9999", yields, "1.0");
    assert!(!violent_with(&yielding, text));
    assert!(own_with(&yielding, text)
        .categories
        .contains(&Category::ThreatProperty));
    // Property short of a flag: the lower bar completes the half.
    assert!(violent_with(&rules("0.9999", yields, "0.5"), text));
    // Nothing else: the lower bar completes it.
    assert!(violent_with(
        &yielding,
        "Tell your warden to watch himself."
    ));
    // At the full bar the yield does not hold the completer off.
    assert!(violent_with(&rules("0.002", yields, "1.0"), text));
}

/// `alone = true`: a message rule that counts with no other evidence of
/// its category, at its own weight, where the message reaches its bar;
/// below the bar nothing counts, and beside a half it completes it as any
/// message rule does. The key belongs to message rules only.
#[test]
fn a_message_rule_with_alone_counts_without_other_evidence() {
    let tier = |bar: &str| {
        let rule = MESSAGE_TIER
            .replace("weight = 0.5", "weight = 1.0")
            .replace(
                "min_score = 0.001",
                &format!("min_score = {bar}\nalone = true"),
            );
        with_message_model(&rule).unwrap()
    };
    let text = "I will kill you. I know where you live.";
    // A bar every message reaches: the whole own text is the hit, and it flags.
    let every = tier("0.001");
    let det = own_with(&every, text);
    let ids: Vec<&str> = det.hits.iter().map(|h| h.rule_id.as_str()).collect();
    assert_eq!(ids, ["t.message"]);
    assert_eq!(det.hits[0].matched, text);
    assert!(violent_with(&every, text));
    // A bar the message does not reach: nothing.
    let calm = "Please collect my bins on Tuesday.";
    assert!(violent_with(&every, calm));
    let none = tier("0.99");
    assert!(own_with(&none, calm).hits.is_empty());
    assert!(!violent_with(&none, calm));
    // Without the key (the shipped tiers), the same rule never starts a flag.
    let plain = with_message_model(&MESSAGE_TIER.replace("weight = 0.5", "weight = 1.0")).unwrap();
    assert!(own_with(&plain, text).hits.is_empty());
    // Beside a half, it adds its weight once, as any message rule.
    let with_half = with_message_model(&format!(
        "{}{WARDEN_HALF}",
        MESSAGE_TIER.replace("min_score = 0.001", "min_score = 0.001\nalone = true")
    ))
    .unwrap();
    let half = "Tell your warden to watch himself.";
    let ids: Vec<String> = (own_with(&with_half, half).hits.into_iter())
        .map(|h| h.rule_id)
        .collect();
    assert_eq!(ids, ["t.half", "t.message"]);
    // The key belongs to message rules only.
    let err = with_message_model(&WARDEN_HALF.replace("regex = ", "alone = true\nregex = "))
        .err()
        .expect("alone on a regex rule is refused");
    assert!(err.contains("`alone` is for `message` rules only"), "{err}");
}

/// `min_sentences`: a message rule reads only a message of at least that
/// many own sentences; a one-sentence message is the sentence the sentence
/// tiers read already. The key belongs to message rules only.
#[test]
fn a_message_rule_with_min_sentences_skips_a_shorter_message() {
    let rules = |n: &str| {
        let rule = MESSAGE_TIER.replace("min_score = 0.001", &format!("min_score = 0.001{n}"));
        with_message_model(&format!("{rule}{WARDEN_HALF}")).unwrap()
    };
    let one = "Tell your warden to watch himself.";
    let two = "Tell your warden to watch himself. He knows why.";
    let ids = |r: &RuleSet, text: &str| -> Vec<String> {
        (own_with(r, text).hits.into_iter())
            .map(|h| h.rule_id)
            .collect()
    };
    // Without the key, one sentence is completed.
    assert_eq!(ids(&rules(""), one), ["t.half", "t.message"]);
    // With two asked: one sentence is not read, two are.
    let two_asked = rules("\nmin_sentences = 2");
    assert_eq!(ids(&two_asked, one), ["t.half"]);
    assert!(!violent_with(&two_asked, one));
    assert_eq!(ids(&two_asked, two), ["t.half", "t.message"]);
    let err = with_message_model(&WARDEN_HALF.replace("regex = ", "min_sentences = 2\nregex = "))
        .err()
        .expect("min_sentences on a regex rule is refused");
    assert!(
        err.contains("`min_sentences` is for `message` rules only"),
        "{err}"
    );
}

/// `together_not_with = ["*"]`: no rule's hit is a lean's other evidence,
/// not even a half read in the lean's own sentence; only the message tier
/// (`partner_min_score`) counts it again, where nothing else of the
/// category counted.
#[test]
fn a_lean_with_no_rule_partner_counts_only_with_the_message_tier() {
    let lean = |not_with: &str| {
        format!(
            "{}together = true\n{not_with}",
            WARDEN_HALF.replace("t.half", "t.lean")
        )
    };
    let half = "[[rule]]\nid = \"t.watch\"\ncategory = \"threat_violence\"\nweight = 0.5\ndescription = \"d\"\nregex = '\\bwatch\\b'\nmust_match = [\"watch\"]\n";
    // A message tier that completes nothing (min_score 0.9999) but partners a lone lean.
    let tier = MESSAGE_TIER.replace(
        "min_score = 0.001",
        "min_score = 0.9999\npartner_min_score = 0.001",
    );
    let rules =
        |not_with: &str| with_message_model(&format!("{tier}{}{half}", lean(not_with))).unwrap();
    let beside = "Tell your warden to watch himself.";
    // Without the key, the half in the same sentence is the lean's other evidence.
    assert!(violent_with(&rules(""), beside));
    // With "*", the lean is set aside beside it; the half counted, so no partner either.
    let none = rules("together_not_with = [\"*\"]\n");
    let det = own_with(&none, beside);
    let ids: Vec<&str> = det.hits.iter().map(|h| h.rule_id.as_str()).collect();
    assert_eq!(ids, ["t.watch"]);
    assert!(det
        .suppressed
        .iter()
        .any(|s| s.hit.rule_id == "t.lean" && s.reason == "together"));
    assert!(!violent_with(&none, beside));
    // Alone, the message tier partners it.
    let alone = "Tell your warden to back off.";
    let ids: Vec<String> = (own_with(&none, alone).hits.into_iter())
        .map(|h| h.rule_id)
        .collect();
    assert_eq!(ids, ["t.lean", "t.message"]);
    assert!(violent_with(&none, alone));
}

#[test]
fn a_message_rule_takes_no_sentence_keys() {
    let rival = MESSAGE_TIER.replace(
        "min_score = 0.001",
        "min_score = 0.001\nrival = \"model/threat_violence.message.tsv\"",
    );
    let err = with_message_model(&rival)
        .err()
        .expect("a rival is refused");
    assert!(err.contains("v.toml") && err.contains("t.message"), "{err}");
    assert!(err.contains("takes no"), "{err}");
    let not_model = "[[rule]]\nid = \"t.regex\"\ncategory = \"threat_violence\"\nweight = 0.5\ndescription = \"d\"\nregex = 'x'\nmessage = true\nmust_match = [\"x\"]\n";
    let err = with_message_model(not_model)
        .err()
        .expect("message on a regex rule is refused");
    assert!(err.contains("for model rules only"), "{err}");
}

/// `ab.message_lean` as shipped (its bar and weight read from model.toml),
/// beside a half-weight abuse rule: it completes that half and never flags
/// a message alone, however abusive the message model finds it.
#[test]
fn the_abuse_message_tier_completes_a_half_hit_and_never_flags_alone() {
    let shipped = std::fs::read_to_string(rules_dir().join("model.toml")).unwrap();
    let start = shipped.find("id = \"ab.message_lean\"").unwrap();
    let bar: f32 = shipped[start..]
        .lines()
        .find_map(|l| l.strip_prefix("min_score = "))
        .unwrap()
        .parse()
        .unwrap();
    let tier = format!(
        "[[rule]]\nid = \"ab.message_lean\"\ncategory = \"abuse\"\nweight = 0.5\ndescription = \"d\"\nmodel = \"model/abuse.message.tsv\"\nmessage = true\nmin_score = {bar}\nmust_match = [\"clowns\"]\n"
    );
    let half = "[[rule]]\nid = \"a.half\"\ncategory = \"abuse\"\nweight = 0.5\ndescription = \"half-weight evidence\"\nregex = '\\bclowns\\b'\nmust_match = [\"clowns\"]\n";
    let rules = with_message_model_of("abuse.message.tsv", &format!("{tier}{half}")).unwrap();
    let abusive = |text: &str| own_with(&rules, text).categories.contains(&Category::Abuse);
    // Abusive words the half rule does not read: nothing counted, no flag.
    let alone = "You useless lazy idiots. You are a disgrace, a pack of liars and idiots.";
    assert!(own_with(&rules, alone).hits.is_empty());
    assert!(!abusive(alone));
    // The same words beside the half-weight hit: the tier completes it.
    let text = "You useless lazy clowns. You are a disgrace, a pack of liars and idiots.";
    let ids: Vec<String> = own_with(&rules, text)
        .hits
        .into_iter()
        .map(|h| h.rule_id)
        .collect();
    assert_eq!(ids, ["a.half", "ab.message_lean"]);
    assert!(abusive(text));
    // Ordinary words beside the half hit: the message model does not lean.
    let plain = "The clowns at the children's party were lovely, thank you for booking them.";
    assert!(!abusive(plain), "{:?}", own_with(&rules, plain).hits);
}

/// A message guard (`message = true`) reads every sentence of the sender's
/// own words, not the hit's: a reassurance in one sentence sets aside the
/// hit of a rule naming it in another, its weight taken back, unless the
/// reassurance's sentence matches `except`; a message guard takes no
/// `requires`.
#[test]
fn a_message_guard_sets_aside_a_hit_in_another_sentence() {
    let file = r#"
[[guard]]
name = "t_safe"
description = "the sender says they are safe"
message = true
pattern = '''\bi'm\s+safe\b'''
except = '\bbut\b'

[[rule]]
id = "t.warden"
category = "threat_violence"
weight = 1.0
description = "d"
regex = '\bwarden\b'
unless = ["t_safe"]
must_match = ["Tell your warden."]
must_not_match = ["Tell your warden. I'm safe."]
"#;
    let rules = rules_from(file);
    let det = own_with(
        &rules,
        "Tell your warden to back off.\n\nI'm safe, honestly.",
    );
    assert!(det.hits.is_empty(), "{:?}", det.hits);
    assert!(det
        .suppressed
        .iter()
        .any(|s| s.hit.rule_id == "t.warden" && s.reason == "t_safe"));
    assert!(!det.scores.contains_key(&Category::ThreatViolence));
    assert!(violent_with(
        &rules,
        "Tell your warden to back off.\n\nI'm safe, but not for long."
    ));
    assert!(violent_with(&rules, "Tell your warden to back off."));
    let dir = tempfile::tempdir().unwrap();
    let narrowed = file.replace("message = true", "message = true\nrequires = 'x'");
    std::fs::write(dir.path().join("v.toml"), narrowed).unwrap();
    let err = RuleSet::load(dir.path())
        .err()
        .expect("requires is refused")
        .to_string();
    assert!(
        err.contains("t_safe") && err.contains("takes no requires"),
        "{err}"
    );
}

/// A sentence rule's message bar (`message_model`, `message_min_score`,
/// `message_yields_to`): its hit is set aside where another kind of threat
/// is already flagged by the message's own evidence, the whole message
/// scores under the bar, and the hit's words name no person at risk (the
/// rule's `rival_except`); detect76.
#[test]
fn a_sure_sentence_yields_to_the_messages_other_threat() {
    let sure = |bar: &str, yields: &str| {
        format!(
            r#"
[[rule]]
id = "t.sure"
category = "threat_violence"
weight = 1.0
description = "every sentence, as the sure tier"
model = "model/threat_violence.message.tsv"
min_score = 0.001
rival = "model/threat_violence.message.tsv"
rival_margin = 10.0
rival_except = '\b(?:inside|with\s+you\s+in\s+it)\b'
message_model = "model/threat_violence.message.tsv"
message_min_score = {bar}
{yields}
must_match = ["Please collect my bins."]
"#
        )
    };
    let van = "[[rule]]\nid = \"t.van\"\ncategory = \"threat_property\"\nweight = 1.0\ndescription = \"d\"\nregex = '\\bvan\\b'\nmust_match = [\"van\"]\n";
    let yields = "message_yields_to = [\"threat_property\", \"threat_self_harm\"]";
    let rules = |bar: &str, y: &str, extra: &str| {
        with_message_model(&format!("{}{extra}", sure(bar, y))).unwrap()
    };
    let text = "Your van is getting torched on Friday.";
    // A bar no message reaches, and the property threat flagged: set aside.
    let strict = rules("0.9999", yields, van);
    let det = own_with(&strict, text);
    assert!(det.categories.contains(&Category::ThreatProperty));
    assert!(!det.categories.contains(&Category::ThreatViolence));
    assert!(det
        .suppressed
        .iter()
        .any(|s| s.hit.rule_id == "t.sure" && s.reason.starts_with("message_short")));
    // No other threat flagged: the hit counts.
    assert!(violent_with(&rules("0.9999", yields, ""), text));
    // A bar every message reaches: the hit counts beside the property threat.
    assert!(violent_with(&rules("0.001", yields, van), text));
    // Without `message_yields_to` the bar applies to every message.
    assert!(!violent_with(&rules("0.9999", "", ""), text));
    // A person at risk in the hit's words (rival_except): the hit counts.
    assert!(violent_with(
        &strict,
        "Your van is getting torched on Friday with you in it."
    ));
    // The keys belong together, and to model rules.
    let err = with_message_model(&sure("0.5", yields).replace(
        "message_model = \"model/threat_violence.message.tsv\"\nmessage_min_score = 0.5\n",
        "",
    ))
    .err()
    .expect("message_yields_to without message_model is refused");
    assert!(err.contains("needs `message_model`"), "{err}");
    let err = with_message_model(&van.replace(
        "regex",
        "message_model = \"model/threat_violence.message.tsv\"\nregex",
    ))
    .err()
    .expect("message_model on a regex rule is refused");
    assert!(err.contains("only for a rule with `model`"), "{err}");
}

/// A rules folder holding the shipped self-harm and violence message
/// models and one rule file (`v.toml`).
fn with_two_message_models(file: &str) -> Result<RuleSet, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("model")).unwrap();
    for model in [
        "threat_self_harm.message.tsv",
        "threat_violence.message.tsv",
    ] {
        std::fs::copy(
            rules_dir().join("model").join(model),
            dir.path().join("model").join(model),
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("v.toml"), file).unwrap();
    RuleSet::load(dir.path()).map_err(|e| e.to_string())
}

/// A self-harm model tier's message bar with `message_alone`,
/// `message_rival` and `message_except` (detect80): beside a threat to
/// someone else, a self-harm that stands on model tiers alone is set aside
/// where the threat's message model reads the message as more its own, and
/// kept where a phrase rule of self-harm hit, where nothing else is flagged,
/// where the message reads more as despair, or where a sentence says the
/// sender's own life is in it. A violence bar that yields to self-harm runs
/// first, so the two threats never set each other aside.
#[test]
fn a_model_only_self_harm_yields_to_the_messages_threat_to_someone_else() {
    let rules = |bar: &str, keys: &str, extra: &str| {
        with_two_message_models(&format!(
            r#"
[[rule]]
id = "v.punch"
category = "threat_violence"
weight = 1.0
description = "d"
regex = '\bpunch\b'
must_match = ["punch"]

[[rule]]
id = "v.message"
category = "threat_violence"
weight = 0.5
description = "the violence message model, the rival"
model = "model/threat_violence.message.tsv"
message = true
min_score = 0.001
must_match = ["Tell your warden to watch himself."]

[[rule]]
id = "s.phrase"
category = "threat_self_harm"
weight = 0.5
description = "d"
regex = '\bdespair\b'
must_match = ["despair"]
{extra}
[[rule]]
id = "s.sure"
category = "threat_self_harm"
weight = 1.0
description = "every sentence, as the sure tier"
model = "model/threat_self_harm.message.tsv"
min_score = 0.001
message_model = "model/threat_self_harm.message.tsv"
message_min_score = {bar}
{keys}
must_match = ["Please collect my bins."]
"#
        ))
    };
    let keys = "message_yields_to = [\"threat_violence\"]\nmessage_alone = true\nmessage_rival = true\nmessage_except = '\\bnot\\s+going\\s+on\\b'";
    let strict = rules("0.9999", keys, "").unwrap();
    let self_harm = |r: &RuleSet, text: &str| {
        own_with(r, text)
            .categories
            .contains(&Category::ThreatSelfHarm)
    };
    let threat = "I will punch your warden in the face when he comes round to the flat.";
    // Beside the threat, on the model tier alone: set aside, naming the rival.
    let det = own_with(&strict, threat);
    assert!(det.categories.contains(&Category::ThreatViolence));
    assert!(!det.categories.contains(&Category::ThreatSelfHarm));
    assert!(det.suppressed.iter().any(|s| s.hit.rule_id == "s.sure"
        && s.reason.starts_with("message_short")
        && s.reason.contains("v.message")));
    // Nothing else flagged: kept.
    assert!(self_harm(
        &strict,
        "I have lost everything and I cannot sleep."
    ));
    // A phrase rule of self-harm hit too (`message_alone`): kept.
    assert!(self_harm(
        &strict,
        &format!("{threat} Nothing but despair.")
    ));
    // The sender's own life in a sentence (`message_except`): kept.
    assert!(self_harm(&strict, &format!("{threat} I'm not going on.")));
    // The message read as more despair than threat (`message_rival`): kept.
    let despair = "I will punch the wall. I can't go on any more, I want to die, \
                   nobody would miss me, I have nothing left to live for.";
    assert!(self_harm(&strict, despair));
    // A bar every message reaches: kept beside the threat.
    assert!(self_harm(&rules("0.001", keys, "").unwrap(), threat));
    // Without `message_alone` and `message_rival` the phrase and the
    // reading do not keep it.
    let plain = rules("0.9999", "message_yields_to = [\"threat_violence\"]", "").unwrap();
    assert!(!self_harm(
        &plain,
        &format!("{threat} Nothing but despair.")
    ));
    // A violence model tier that yields to self-harm runs first: violence
    // is set aside, and self-harm, with nothing left to yield to, stays.
    let v_sure = r#"
[[rule]]
id = "v.sure"
category = "threat_violence"
weight = 1.0
description = "every sentence, as the sure tier"
model = "model/threat_violence.message.tsv"
min_score = 0.001
message_model = "model/threat_violence.message.tsv"
message_min_score = 0.9999
message_yields_to = ["threat_self_harm"]
must_match = ["Please collect my bins."]
"#;
    let both = rules("0.9999", keys, v_sure).unwrap();
    let det = own_with(&both, "I have lost everything and I cannot sleep.");
    assert!(det.categories.contains(&Category::ThreatSelfHarm));
    assert!(!det.categories.contains(&Category::ThreatViolence));
    // With `message_phrase_min_score` (detect90): where the threat is said
    // in a phrase rule's words (`v.punch`), the bar is that score and the
    // rival is not asked, so a bar every message reaches for the model's
    // reading alone still sets self-harm aside beside the said threat.
    let phrase = format!("{keys}\nmessage_phrase_min_score = 0.9999");
    let said = rules("0.001", &phrase, "").unwrap();
    let det = own_with(&said, threat);
    assert!(!det.categories.contains(&Category::ThreatSelfHarm));
    assert!(det.suppressed.iter().any(|s| s.hit.rule_id == "s.sure"
        && s.reason.contains("under 0.9999")
        && s.reason.contains("phrase rule")));
    // The sender's own life in a sentence still keeps it.
    assert!(self_harm(&said, &format!("{threat} I'm not going on.")));
    // Nothing else flagged: kept, whatever the bar.
    assert!(self_harm(
        &said,
        "I have lost everything and I cannot sleep."
    ));
    // The keys need `message_yields_to`, and a model rule.
    let err = rules("0.5", "message_rival = true", "")
        .err()
        .expect("message_rival without message_yields_to is refused");
    assert!(err.contains("need `message_yields_to`"), "{err}");
    let err = with_two_message_models(
        "[[rule]]\nid = \"r\"\ncategory = \"threat_self_harm\"\nweight = 1.0\ndescription = \"d\"\nregex = 'x'\nmessage_except = 'y'\n",
    )
    .err()
    .expect("message_except on a regex rule is refused");
    assert!(err.contains("only for a rule with `model`"), "{err}");
}

/// The abuse rules' `ab_quoted` and `ab_reported_speech` (`read_without`,
/// `from_report`): the sender's own insult beside someone else's quotation
/// or report counts; the quotation and the report are still set aside (a
/// victim quoting the abuse, a report with its speaker after it).
#[test]
fn the_abuse_guards_set_aside_someone_elses_words_not_the_senders_insult_beside_them() {
    let abusive = |text: &str| cats(text).contains(&Category::Abuse);
    for text in [
        "You sat there like a stuffed walrus for ten minutes, nodding, took no notes, and then told me \"the council is doing its best\".",
        "Your officer Mr Hebden is a liar and a two faced so and so, he told me on the phone he had the letter in front of him.",
    ] {
        assert!(abusive(text), "{text}: {:?}", own(text).suppressed);
    }
    for text in [
        "He called me \"a useless fat cow\" and walked off laughing.",
        "My neighbour told me I was a useless fat cow and walked off laughing.",
        "You are a useless lying fat cow, he said.",
        "The officer shouted \"you lot are scum\" at my son and I want an apology.",
    ] {
        assert!(!abusive(text), "{text}: {:?}", own(text).hits);
    }
}

/// `from_report`: a rule hit before the report's first words counts; one in
/// the report, in a quotation of the sentence, or in a sentence whose report
/// is what came before it ("…, he said.") is set aside. `read_without` is
/// for `inside_quotation` or `from_report` guards, and the two do not mix.
#[test]
fn a_from_report_guard_sets_aside_only_the_report() {
    let file = r#"[[guard]]
name = "rep"
description = "r"
from_report = true
pattern = '''\b(?:he|she)\s+(?:said|told\s+me)\b'''

[[rule]]
id = "a.liar"
category = "abuse"
weight = 1.0
description = "a"
regex = '''\bliar\b'''
unless = ["rep"]
must_match = ["Mr Hebden is a liar, he told me on the phone he had the letter."]
must_not_match = ["He told me on the phone that I am a liar and a cheat."]
"#;
    let rules = rules_from(file);
    let abusive = |text: &str| own_with(&rules, text).categories.contains(&Category::Abuse);
    assert!(abusive(
        "Mr Hebden is a liar, he told me on the phone he had the letter."
    ));
    assert!(!abusive(
        "He told me on the phone that I am a liar and a cheat."
    ));
    assert!(!abusive("You are a liar, he said."));
    assert!(!abusive(
        "They wrote \"liar\" on my door and he told me on the phone it was nothing."
    ));
    let load = |guard: &str| {
        let dir = tempfile::tempdir().unwrap();
        let text =
            format!("[[guard]]\nname = \"g\"\ndescription = \"g\"\n{guard}\npattern = '''x'''\n");
        std::fs::write(dir.path().join("v.toml"), text).unwrap();
        RuleSet::load(dir.path())
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    assert!(load("read_without = true").is_err());
    assert!(load("inside_quotation = true\nfrom_report = true").is_err());
    assert!(load("from_report = true\nquotation = true").is_err());
    assert!(load("from_report = true\nread_without = true").is_ok());
    assert!(load("inside_quotation = true\nread_without = true").is_ok());
}

/// An `of_flagged` half counted after the message tiers is evidence short
/// of a flag like any other: its category's message tier reads the message
/// again and completes it; where the `of` category is not flagged the half
/// waits and the tier does not read the message.
#[test]
fn the_message_tier_reads_again_after_an_of_flagged_half_counts() {
    let file = r#"[[rule]]
id = "d.lean"
category = "discrimination"
weight = 0.5
max_hits = 1
description = "d"
words = ["lean"]
must_match = ["lean"]

[[rule]]
id = "d.coded"
category = "discrimination"
weight = 0.5
max_hits = 1
description = "d"
words = ["coded"]
must_match = ["coded"]

[[rule]]
id = "a.at_staff"
category = "abuse"
of = "discrimination"
weight = 1.0
max_hits = 1
of_flagged = true
description = "a"
regex = '''\bwarden\b'''
must_match = ["Your warden is lean. They are coded."]

[[rule]]
id = "a.message"
category = "abuse"
weight = 0.5
description = "the message model at a bar every message reaches"
model = "model/abuse.message.tsv"
message = true
min_score = 0.001
must_match = ["Your warden is lean. They are coded."]
"#;
    let rules = with_message_model_of("abuse.message.tsv", file).unwrap();
    let det = own_with(&rules, "Your warden is lean. They are coded.");
    assert!(
        det.categories.contains(&Category::Discrimination),
        "{det:?}"
    );
    assert!(det.categories.contains(&Category::Abuse), "{det:?}");
    let ids: Vec<&str> = det.hits.iter().map(|h| h.rule_id.as_str()).collect();
    assert_eq!(
        ids.iter().filter(|&&i| i == "a.message").count(),
        1,
        "{ids:?}"
    );
    // Discrimination not flagged: the half waits, and nothing of abuse counts.
    let det = own_with(&rules, "Your warden is lean.");
    assert!(det.categories.is_empty(), "{det:?}");
    assert!(det.hits.iter().all(|h| h.rule_id != "a.message"), "{det:?}");
}

/// A message rule's lower bar as completer (`half_min_score`, `half_names`,
/// `half_except`; detect85): from `min_score` down to `half_min_score`, the
/// message completes a model rule's half only where the half's own words
/// name the category's matter and no person at risk (the sample night's
/// 030: "It would be a shame if anything happened to them, or to you on
/// your way home", a threat to people that the property model also reads);
/// a regex half is completed as at `min_score`.
#[test]
fn the_message_tiers_lower_bar_completes_only_a_model_half_about_a_thing() {
    let tier = |keys: &str| {
        MESSAGE_TIER
            .replace("min_score = 0.001", &format!("min_score = 0.9999\n{keys}"))
            .replace(
                "must_match = [\"Tell your warden to watch himself.\"]",
                "must_match = [\"Your van will be gone by morning.\"]",
            )
    };
    let keys =
        "half_min_score = 0.001\nhalf_names = '\\b(?:van|depot)\\b'\nhalf_except = '\\binside\\b'";
    // A model half on the first sentence, whatever its words.
    let model_half = r#"
[[rule]]
id = "t.sentence"
category = "threat_violence"
weight = 0.5
description = "every sentence, as a sentence model's half"
model = "model/threat_violence.message.tsv"
min_score = 0.001
max_hits = 1
must_match = ["Your van will be gone by morning."]
"#;
    let rules = |keys: &str, half: &str| with_message_model(&format!("{}{half}", tier(keys)));
    let with_keys = rules(keys, model_half).unwrap();
    let ids = |r: &RuleSet, text: &str| -> Vec<String> {
        own_with(r, text)
            .hits
            .into_iter()
            .map(|h| h.rule_id)
            .collect()
    };
    // The half names a thing: completed under min_score.
    let thing = "Your van will be gone by morning.";
    assert_eq!(ids(&with_keys, thing), ["t.sentence", "t.message"]);
    assert!(violent_with(&with_keys, thing));
    // Without the keys, the bar no message reaches completes nothing.
    let plain = rules("", model_half).unwrap();
    assert_eq!(ids(&plain, thing), ["t.sentence"]);
    assert!(!violent_with(&plain, thing));
    // The half names no thing (`half_names`): not completed, and the trace says why.
    let person = "It would be a shame if anything happened to you on your way home.";
    let det = own_with(&with_keys, person);
    assert!(!det.categories.contains(&Category::ThreatViolence));
    assert!(det
        .suppressed
        .iter()
        .any(|s| s.hit.rule_id == "t.message"
            && s.reason.starts_with("half_names: t.sentence's words")));
    // A person at risk in the half (`half_except`): not completed.
    let inside = "Your van will be gone with you inside it.";
    let det = own_with(&with_keys, inside);
    assert!(!det.categories.contains(&Category::ThreatViolence));
    assert!(det
        .suppressed
        .iter()
        .any(|s| s.hit.rule_id == "t.message" && s.reason.starts_with("half_except")));
    // A regex half is completed from the lower bar whatever its words.
    let regex_half = rules(keys, WARDEN_HALF).unwrap();
    assert!(violent_with(
        &regex_half,
        "Tell your warden to watch himself."
    ));
    // At min_score the half's words are not read: a bar every message
    // reaches completes the person's half too.
    let top = with_message_model(&format!(
        "{}{model_half}",
        tier(keys).replace("min_score = 0.9999", "min_score = 0.002")
    ))
    .unwrap();
    assert!(violent_with(&top, person));
    // The keys: message rules only, together, the bar under min_score.
    let refused = |file: &str, what: &str| {
        let err = with_message_model(file).err().expect(what);
        assert!(err.contains("t.message") || err.contains("t.half"), "{err}");
        err
    };
    let err = refused(
        &WARDEN_HALF.replace(
            "regex = ",
            "half_min_score = 0.5\nhalf_names = 'x'\nregex = ",
        ),
        "half_min_score on a regex rule is refused",
    );
    assert!(err.contains("for `message` rules only"), "{err}");
    let err = refused(
        &tier("half_names = 'x'"),
        "half_names without half_min_score is refused",
    );
    assert!(err.contains("need `half_min_score`"), "{err}");
    let err = refused(
        &tier("half_min_score = 0.5"),
        "half_min_score alone is refused",
    );
    assert!(err.contains("needs `half_names` or `half_except`"), "{err}");
    let err = refused(
        &tier("half_min_score = 0.99995\nhalf_names = 'x'"),
        "a lower bar over min_score is refused",
    );
    assert!(err.contains("under `min_score`"), "{err}");
}
