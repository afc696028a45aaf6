//! The `triage` command line: parses arguments, calls the library, prints
//! what happened and sets the exit code. Each subcommand is one short
//! function; all the work is in the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use triage::category::Category;
use triage::config::{self, CliOverrides, FileConfig, RunConfig, DEFAULT_CONFIG_FILE};
use triage::detect::RuleSet;
use triage::evaluate::score::Measure;
use triage::evaluate::{self, EvalReport, Gate, Labels, RuleStats};
use triage::pipeline::{self, Engine};
use triage::register::check::CheckReport;
use triage::register::Register;
use triage::{ConfigErrors, Error};

/// Exit codes (SPEC §6, README "Exit codes").
/// `println!` for what a command says about its work. A reader that closes
/// the pipe early (`triage rules test | head -3`) is not an error: the work is
/// done and the exit status must still say how it went, where `println!` would
/// panic and exit 101. A report that is the command's result goes through
/// [`write_stdout`] itself, so that any other write error fails the command.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = write_stdout(&format!("{}\n", format_args!($($arg)*)));
    }};
}

const EXIT_OK: u8 = 0;
const EXIT_SOME_UNPROCESSED: u8 = 1;
const EXIT_CONFIG: u8 = 2;
const EXIT_FAILED: u8 = 3;
/// `triage eval`: a gate (`--min-f1`, …) did not hold.
const EXIT_GATE_FAILED: u8 = 1;
/// `triage register check`: something on the register needs attention.
const EXIT_NEEDS_ATTENTION: u8 = 1;

#[derive(Parser)]
#[command(
    name = "triage",
    version,
    about = "Nightly triage of a council's inbound email"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Triage a night's mail into respond, read-only and escalate.
    Run(RunArgs),
    /// Measure detection and routing against labelled mail (writes nothing).
    Eval(EvalArgs),
    /// The full decision trace for one message file (or each message of an mbox).
    Explain(ExplainArgs),
    /// Work with the rule files.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Work with the register of monitored and restricted customers.
    Register {
        #[command(subcommand)]
        command: RegisterCommand,
    },
    /// Everything held about one customer, for a subject access request:
    /// `<ID>.json` and `<ID>.html` in --out.
    Export(ExportArgs),
    /// Write synthetic council mail and a matching register, for load tests
    /// and benchmarks (deterministic by seed; not a detection corpus).
    Synth(SynthArgs),
    /// Look after the state folder.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
}

#[derive(clap::Args)]
struct SynthArgs {
    /// How many messages.
    #[arg(long)]
    n: usize,
    /// The same seed writes byte-identical mail.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write `mail/` (or `mail.mbox`) and `register.csv`.
    #[arg(long)]
    out: PathBuf,
    /// One mbox file, `OUT/mail.mbox`, instead of a folder of .eml files.
    #[arg(long)]
    mbox: bool,
    /// Distinct senders (0: one per 3 messages, at least 20). Keep it the same
    /// for a back-fill and a night so they share senders.
    #[arg(long, default_value_t = 0)]
    senders: usize,
    /// The newest message's date (RFC 3339).
    #[arg(long, default_value = "2026-11-21T05:00:00Z")]
    until: String,
    /// Spread the messages over this many days before --until.
    #[arg(long, default_value_t = 1)]
    days: u32,
}

/// Where the council's records are: the register and the state folder.
/// Flags win over the config file (default ./triage.toml when it exists).
#[derive(clap::Args)]
struct RecordsArgs {
    /// Config file (default: ./triage.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The register of monitored and restricted customers (CSV).
    #[arg(long)]
    register: Option<PathBuf>,
    /// Fix "now" (RFC 3339).
    #[arg(long)]
    now: Option<String>,
}

#[derive(Subcommand)]
enum RegisterCommand {
    /// Validate the register and list what needs attention: reviews overdue or due
    /// within 14 days, statuses ended or ending within 14 days, statuses without a
    /// review date or with one beyond the policy's interval, addresses claimed twice.
    /// Exit 0: nothing; 1: something listed; 2: the register is invalid.
    Check {
        #[command(flatten)]
        records: RecordsArgs,
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct ExportArgs {
    /// The customer's id on the register.
    #[arg(long)]
    customer: String,
    #[command(flatten)]
    records: RecordsArgs,
    /// The state folder of the nightly run (history and kept decisions).
    #[arg(long)]
    state: Option<PathBuf>,
    /// Where `<ID>.json` and `<ID>.html` are written (created owner-only).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Subcommand)]
enum StateCommand {
    /// Replace the history index (damaged or lost) with one made by
    /// triaging the mail in --source again; the old index is kept aside.
    /// Takes run's options and reads the same triage.toml; writes no reports.
    Rebuild(RunArgs),
}

/// What `eval`, `explain` and `rules stats` triage with. Nothing is written;
/// the history, when given, is only read.
#[derive(clap::Args)]
struct ReadOnlyArgs {
    /// Config file for the council's settings (time zone, council domains);
    /// `eval` and `rules stats` read none unless given, `explain` reads
    /// ./triage.toml when it exists.
    #[arg(long)]
    config: Option<PathBuf>,
    /// The register of monitored and restricted customers (CSV).
    #[arg(long)]
    register: Option<PathBuf>,
    /// The rules folder (rule files and policy.toml).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// A state folder of earlier runs whose history to consult (read only).
    #[arg(long, value_name = "STATE_DIR")]
    history: Option<PathBuf>,
    /// Fix "now" (RFC 3339).
    #[arg(long)]
    now: Option<String>,
    /// Worker threads (0: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

#[derive(clap::Args)]
struct EvalArgs {
    /// The labelled mail: a folder of message files, a Maildir or an mbox (repeatable).
    #[arg(long = "source", value_name = "PATH", required = true)]
    sources: Vec<String>,
    /// `labels.csv` with columns source,queue,categories.
    #[arg(long, required_unless_present_any = ["expect_clean", "feedback"])]
    labels: Option<PathBuf>,
    /// No labels file: every message should get no content category
    /// (ordinary mail); the queue is not judged.
    #[arg(long, conflicts_with_all = ["labels", "feedback"])]
    expect_clean: bool,
    /// The review page's `feedback.csv` as labels: only the messages it
    /// names (by id) are judged, on content categories.
    #[arg(long, conflicts_with = "labels")]
    feedback: Option<PathBuf>,
    #[command(flatten)]
    with: ReadOnlyArgs,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Fail unless F1 reaches X: `X` for every labelled content category, or `CATEGORY=X` (repeatable).
    #[arg(long, value_name = "[CATEGORY=]X")]
    min_f1: Vec<String>,
    /// Fail unless recall reaches X (`X` or `CATEGORY=X`, repeatable).
    #[arg(long, value_name = "[CATEGORY=]X")]
    min_recall: Vec<String>,
    /// Fail unless precision reaches X (`X` or `CATEGORY=X`, repeatable).
    #[arg(long, value_name = "[CATEGORY=]X")]
    min_precision: Vec<String>,
    /// Fail unless the share of messages in their labelled queue reaches X.
    #[arg(long, value_name = "X")]
    min_queue_accuracy: Option<String>,
    /// Fail if more than this share of messages labelled clean get a content category.
    #[arg(long, value_name = "X")]
    max_clean_flag_rate: Option<String>,
}

#[derive(clap::Args)]
struct ExplainArgs {
    /// A message file, or an mbox.
    file: PathBuf,
    #[command(flatten)]
    with: ReadOnlyArgs,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Config file (default: ./triage.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
    /// A Maildir, a folder of message files, an mbox file, or an IMAP mailbox
    /// `imaps://user@host[:port]/MAILBOX` (`imap://` for STARTTLS) (repeatable).
    /// The IMAP password comes from TRIAGE_IMAP_PASSWORD or the config's
    /// imap.password_file, never from the command line.
    #[arg(long = "source", value_name = "PATH|URL")]
    sources: Vec<String>,
    /// The register of monitored and restricted customers (CSV).
    #[arg(long)]
    register: Option<PathBuf>,
    /// The rules folder (rule files and policy.toml).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Triage and write the reports, but send no modifying command to the
    /// IMAP server and leave the history and the IMAP state unchanged.
    #[arg(long)]
    dry_run: bool,
    /// Accept any TLS certificate; only for an IMAP server on this machine (tests).
    #[arg(long)]
    insecure: bool,
    /// The state folder (history index, IMAP state, lock).
    #[arg(long)]
    state: Option<PathBuf>,
    /// Where reports and queues are written.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Fix "now" (RFC 3339), for replays and tests.
    #[arg(long)]
    now: Option<String>,
    /// Worker threads (0: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Messages per batch: the night is triaged in batches of whole senders,
    /// so memory holds one batch, not the night (default 5000).
    #[arg(long, value_name = "N")]
    batch: Option<usize>,
    /// Messages larger than this many bytes go to escalate with their
    /// headers read and their body not scanned (default 26214400, 25 MiB).
    #[arg(long, value_name = "BYTES")]
    max_message_bytes: Option<usize>,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Check every rule against its own must-match and must-not-match examples.
    Test {
        #[arg(long, default_value = "rules")]
        rules: PathBuf,
    },
    /// Train the linear model (rules/model/*.tsv) from the labelled sets in training.toml.
    Train {
        #[arg(long, default_value = "rules")]
        rules: PathBuf,
        /// The training sets and settings (default: RULES/model/training.toml).
        #[arg(long)]
        spec: Option<PathBuf>,
        /// Write nothing; exit 1 if the shipped weights differ from what training gives
        /// (no cross-validation, so it is quick enough for CI).
        #[arg(long)]
        check: bool,
        /// Write nothing; for each file-name prefix (a round of writers; several prefixes
        /// joined by `+` make one round: g,hdi+hmx+hshp+htv,j,k), train
        /// without the labelled messages whose name starts with it, run the whole detector
        /// (rules + that model) over them and print P/R/F1 per category, queue accuracy,
        /// and the mean over the rounds.
        #[arg(
            long,
            value_name = "PREFIX,...",
            value_delimiter = ',',
            conflicts_with = "check"
        )]
        hold_out: Vec<String>,
        /// Fix "now" (RFC 3339) for the --hold-out runs, as `triage eval --now`.
        #[arg(long, requires = "hold_out")]
        now: Option<String>,
        /// Leave each --hold-out round's rules folder, with the model trained without
        /// that round, in DIR/<round>/rules, to read the round's misses with
        /// `triage eval --rules DIR/<round>/rules`.
        #[arg(long, value_name = "DIR", requires = "hold_out")]
        keep: Option<PathBuf>,
        /// Fit only these categories' models (sentence and message models); the others
        /// keep the weights they have (with --hold-out: the rules folder's, or --reuse's
        /// round's): to measure a change to one category's training in a fraction of
        /// the time.
        #[arg(long, value_name = "CATEGORY,...", value_delimiter = ',')]
        only: Vec<Category>,
        /// Start each --hold-out round's model files from DIR/<round>/rules/model (an
        /// earlier --keep folder), so that with --only the other categories are that
        /// round's own held-out models, not the full-data ones.
        #[arg(long, value_name = "DIR", requires = "hold_out")]
        reuse: Option<PathBuf>,
    },
    /// Hits per rule over some mail, overlaps, and (with labels) how often each rule was right.
    Stats {
        /// Mail to run the rules over (repeatable).
        #[arg(long = "source", value_name = "PATH", required = true)]
        sources: Vec<String>,
        /// `labels.csv` for the RIGHT column.
        #[arg(long)]
        labels: Option<PathBuf>,
        #[command(flatten)]
        with: ReadOnlyArgs,
        /// Print the statistics as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    // Everything triage creates holds personal data (SPEC §7): owner-only,
    // including files written by libraries (the history index's segments).
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => run(args),
        Command::Eval(args) => eval(args),
        Command::Explain(args) => explain(args),
        Command::Rules {
            command: RulesCommand::Test { rules },
        } => rules_test(&rules),
        Command::State {
            command: StateCommand::Rebuild(args),
        } => state_rebuild(args),
        Command::Rules {
            command:
                RulesCommand::Train {
                    rules,
                    spec,
                    check: _,
                    hold_out,
                    now,
                    keep,
                    only,
                    reuse,
                },
        } if !hold_out.is_empty() => match only_models(&only) {
            Ok(()) => {
                let folders = evaluate::hold_out::Folders {
                    keep: keep.as_deref(),
                    reuse: reuse.as_deref(),
                };
                rules_hold_out(&rules, spec, &hold_out, now, &only, folders)
            }
            Err(code) => code,
        },
        Command::Rules {
            command:
                RulesCommand::Train {
                    rules,
                    spec,
                    check,
                    only,
                    ..
                },
        } => match only_models(&only) {
            Ok(()) => rules_train(&rules, spec, check, &only),
            Err(code) => code,
        },
        Command::Rules {
            command:
                RulesCommand::Stats {
                    sources,
                    labels,
                    with,
                    json,
                },
        } => rules_stats(sources, labels, with, json),
        Command::Register {
            command: RegisterCommand::Check { records, json },
        } => register_check(records, json),
        Command::Export(args) => export(args),
        Command::Synth(args) => synth(args),
    };
    ExitCode::from(code)
}

fn run(args: RunArgs) -> u8 {
    let config = match load_config(args) {
        Ok(c) => c,
        Err(errors) => return config_failure(&errors),
    };
    let engine = match Engine::load(config) {
        Ok(e) => e,
        Err(errors) => return config_failure(&errors),
    };
    // Never dropped: the compiled rules are millions of small allocations
    // (about 80 ms to free one by one) that the process's exit returns at
    // once. The engine holds no file or lock to release.
    let engine = std::mem::ManuallyDrop::new(engine);
    match pipeline::run(&engine) {
        Ok(result) => {
            print_summary(&engine, &result);
            if result.exit_code() == 0 {
                EXIT_OK
            } else {
                EXIT_SOME_UNPROCESSED
            }
        }
        Err(Error::Config(errors)) => config_failure(&errors),
        Err(e) => {
            let e = anyhow::Error::new(e).context("the run could not finish");
            eprintln!("triage: {e:#}");
            EXIT_FAILED
        }
    }
}

fn state_rebuild(args: RunArgs) -> u8 {
    let engine = match load_config(args).and_then(Engine::load) {
        Ok(e) => e,
        Err(errors) => return config_failure(&errors),
    };
    match pipeline::rebuild_history(&engine) {
        Ok(r) => {
            say!(
                "triage: history rebuilt in {}: {} messages read, {} indexed",
                engine.config.state.display(),
                r.messages,
                r.indexed
            );
            if let Some(old) = r.set_aside {
                say!("  the previous index is kept in {}", old.display());
            }
            EXIT_OK
        }
        Err(e) => library_failure(e),
    }
}

/// The config file given, or ./triage.toml when `default` and it exists.
fn config_file(
    given: Option<PathBuf>,
    default: bool,
) -> Result<Option<(PathBuf, FileConfig)>, ConfigErrors> {
    let path = given.or_else(|| {
        let path = PathBuf::from(DEFAULT_CONFIG_FILE);
        (default && path.is_file()).then_some(path)
    });
    path.map(|p| FileConfig::load(&p).map(|fc| (p, fc)))
        .transpose()
}

fn load_config(args: RunArgs) -> Result<RunConfig, ConfigErrors> {
    let file = config_file(args.config, true)?;
    config::resolve(
        file.as_ref().map(|(p, fc)| (p.as_path(), fc.clone())),
        CliOverrides {
            sources: args.sources,
            register: args.register,
            rules: args.rules,
            state: args.state,
            out: args.out,
            threads: args.threads,
            batch: args.batch,
            now: args.now,
            insecure: args.insecure,
            dry_run: args.dry_run,
            max_message_bytes: args.max_message_bytes,
        },
    )
}

fn config_failure(errors: &ConfigErrors) -> u8 {
    eprintln!("triage: bad configuration, nothing was read or written:");
    for e in &errors.0 {
        eprintln!("  {e}");
    }
    EXIT_CONFIG
}

fn print_summary(engine: &Engine, result: &pipeline::RunResult) {
    let s = &result.summary;
    let sources: Vec<String> = engine
        .config
        .sources
        .iter()
        .map(|p| p.display().to_string())
        .chain(engine.config.imap_sources.iter().map(|u| u.describe()))
        .collect();
    say!(
        "triage: {} messages from {} -> {}",
        s.messages_in,
        sources.join(", "),
        engine.config.out.display()
    );
    let q = |name: &str| s.queues.get(name).copied().unwrap_or(0);
    say!(
        "  respond {}  read-only {}  escalate {}  (could not be parsed: {})",
        q("respond"),
        q("read-only"),
        q("escalate"),
        s.unparseable
    );
    if !s.categories.is_empty() {
        let cats: Vec<String> = s
            .categories
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        say!("  categories: {}", cats.join(", "));
    }
    print_flagged(&s.flagged);
    say!(
        "reports: {}",
        ["report.csv", "decisions.jsonl", "summary.json", "queues/"]
            .map(|f| engine.config.out.join(f).display().to_string())
            .join(", ")
    );
}

/// Flagged messages that need a person, most pressing first. Those flagged
/// only by the history or envelope (repeat, volume, mass copy) and still
/// answered normally are counted, not listed.
fn print_flagged(flagged: &triage::sink::Flagged) {
    use triage::sink::MAX_PRINTED;
    if flagged.total == 0 {
        return;
    }
    say!("flagged ({}):", flagged.total);
    for f in &flagged.most_pressing {
        let what = [f.categories.as_str(), f.reasons.as_str()]
            .iter()
            .filter(|x| !x.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" | ");
        say!("  {:<9} {:<7} {}  {}", f.queue, f.priority, f.source, what);
    }
    let listed = flagged.needing_a_person();
    if listed > MAX_PRINTED {
        say!(
            "  … and {} more (summary.json lists them all)",
            listed - MAX_PRINTED
        );
    }
    if flagged.quiet > 0 {
        say!(
            "  {} more answered normally, flagged only as repeat_complaint, high_volume or mass_copy",
            flagged.quiet
        );
    }
}

/// Triage `sources` as a run would, writing nothing. `Err` carries the exit code.
fn triage_read_only(
    sources: Vec<String>,
    with: ReadOnlyArgs,
    default_config: bool,
) -> Result<(Engine, Vec<triage::Outcome>), u8> {
    let resolved = config_file(with.config, default_config).and_then(|file| {
        config::resolve(
            file.as_ref().map(|(p, fc)| (p.as_path(), fc.clone())),
            CliOverrides {
                sources,
                register: with.register,
                rules: with.rules,
                threads: with.threads,
                now: with.now,
                ..CliOverrides::default()
            },
        )
    });
    let config = resolved.map_err(|e| config_failure(&e))?;
    evaluate::triage_read_only(config, with.history.as_deref()).map_err(library_failure)
}

fn eval(args: EvalArgs) -> u8 {
    let mut gates = Vec::new();
    let mut bad = Vec::new();
    for (measure, values) in [
        (Measure::F1, &args.min_f1),
        (Measure::Recall, &args.min_recall),
        (Measure::Precision, &args.min_precision),
    ] {
        for v in values {
            match Gate::parse_min(measure, v) {
                Ok(g) => gates.push(g),
                Err(e) => bad.push(e),
            }
        }
    }
    for (value, make) in [
        (
            &args.min_queue_accuracy,
            Gate::MinQueueAccuracy as fn(f64) -> Gate,
        ),
        (&args.max_clean_flag_rate, Gate::MaxCleanFlagRate),
    ] {
        if let Some(v) = value {
            match evaluate::score::parse_share(v) {
                Ok(x) => gates.push(make(x)),
                Err(e) => bad.push(e),
            }
        }
    }
    if !bad.is_empty() {
        for e in bad {
            eprintln!("triage: {e}");
        }
        return EXIT_CONFIG;
    }
    let labels = match &args.labels {
        Some(path) => match Labels::load(path) {
            Ok(l) => Some((path.clone(), l)),
            Err(e) => return config_failure(&e),
        },
        None => None,
    };
    let feedback = match &args.feedback {
        Some(path) => match evaluate::feedback::load(path) {
            Ok(rows) => Some((path.clone(), rows)),
            Err(e) => return config_failure(&e),
        },
        None => None,
    };
    let (engine, mut outcomes) = match triage_read_only(args.sources, args.with, false) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let labels = match (labels, feedback) {
        (_, Some((path, rows))) => match evaluate::feedback::to_labels(&rows, &outcomes, &path) {
            Ok(labels) => {
                outcomes.retain(|o| labels.by_source.contains_key(&o.source_id));
                labels
            }
            Err(e) => return config_failure(&e),
        },
        (Some((path, labels)), None) => {
            if let Err(e) = evaluate::score::check_coverage(&outcomes, &labels, &path) {
                return config_failure(&e);
            }
            labels
        }
        (None, None) => Labels::all_clean(outcomes.iter().map(|o| o.source_id.as_str())),
    };
    let mut report = EvalReport::build(&outcomes, &labels, &engine.rules);
    let failed = !report.apply_gates(&gates).is_empty();
    if let Err(code) = print_report(&report, args.json, || report.render_text()) {
        return code;
    }
    if failed {
        EXIT_GATE_FAILED
    } else {
        EXIT_OK
    }
}

fn explain(args: ExplainArgs) -> u8 {
    let file = args.file.display().to_string();
    let (engine, outcomes) = match triage_read_only(vec![file], args.with, true) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let traces: Vec<String> = outcomes
        .iter()
        .map(|o| triage::explain::render(o, &engine.rules, &engine.policy))
        .collect();
    let separator = format!("\n{}\n\n", "=".repeat(72));
    match write_stdout(&traces.join(&separator)) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

fn rules_stats(
    sources: Vec<String>,
    labels: Option<PathBuf>,
    with: ReadOnlyArgs,
    json: bool,
) -> u8 {
    let labels = match labels.as_deref().map(Labels::load).transpose() {
        Ok(l) => l,
        Err(e) => return config_failure(&e),
    };
    let (engine, outcomes) = match triage_read_only(sources, with, false) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let stats = RuleStats::build(&outcomes, &engine.rules, labels.as_ref());
    match print_report(&stats, json, || stats.render_text()) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

/// Print a report as JSON (`--json`) or as its text; `Err` carries the exit code.
fn print_report(
    report: &impl serde::Serialize,
    json: bool,
    text: impl FnOnce() -> String,
) -> Result<(), u8> {
    if !json {
        return write_stdout(&text());
    }
    match serde_json::to_string_pretty(report) {
        Ok(j) => write_stdout(&(j + "\n")),
        Err(e) => {
            eprintln!("triage: {e}");
            Err(EXIT_FAILED)
        }
    }
}

/// Write a report to standard output. A reader that stops early (`triage
/// eval … | head -12`) closes the pipe: that is not an error, and the
/// command's exit status still says whether its gates passed, where `print!`
/// would panic and exit 101. Any other write error fails the command.
fn write_stdout(text: &str) -> Result<(), u8> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            eprintln!("triage: cannot write the report to standard output: {e}");
            Err(EXIT_FAILED)
        }
    }
}

/// The register and state settings for `register check` and `export`.
fn records_config(
    records: RecordsArgs,
    state: Option<PathBuf>,
) -> Result<config::RecordsConfig, ConfigErrors> {
    let file = config_file(records.config, true)?;
    config::resolve_records(
        file.as_ref().map(|(p, fc)| (p.as_path(), fc.clone())),
        records.register,
        state,
        records.now,
    )
}

/// Load the register a records command names (flag or config); a missing
/// or invalid register exits 2 with every problem at file:line.
fn load_register(cfg: &config::RecordsConfig) -> Result<Register, u8> {
    let Some(path) = &cfg.register else {
        eprintln!("triage: no register: give --register FILE or set `register` in the config");
        return Err(EXIT_CONFIG);
    };
    Register::load(path).map_err(|errors| {
        eprintln!("triage: the register is invalid:");
        for e in &errors.0 {
            eprintln!("  {e}");
        }
        EXIT_CONFIG
    })
}

fn register_check(records: RecordsArgs, json: bool) -> u8 {
    let cfg = match records_config(records, None) {
        Ok(c) => c,
        Err(errors) => return config_failure(&errors),
    };
    let register = match load_register(&cfg) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let today = cfg.now.with_timezone(&cfg.timezone).date_naive();
    let report = CheckReport::build(&register, today);
    if let Err(code) = print_report(&report, json, || report.render_text()) {
        return code;
    }
    if report.needs_attention() {
        EXIT_NEEDS_ATTENTION
    } else {
        EXIT_OK
    }
}

fn export(args: ExportArgs) -> u8 {
    let cfg = match records_config(args.records, args.state) {
        Ok(c) => c,
        Err(errors) => return config_failure(&errors),
    };
    let register = match load_register(&cfg) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let gathered =
        triage::export::gather(&register, &cfg.state, &args.customer, cfg.now, cfg.timezone);
    let written = gathered
        .and_then(|e| triage::export::write(&e, &args.out).map(|paths| (e.messages.len(), paths)));
    match written {
        Ok((messages, paths)) => {
            say!(
                "triage: {messages} message(s) of customer {} exported: {}",
                args.customer,
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            EXIT_OK
        }
        Err(e) => library_failure(e),
    }
}

/// Load the rules for a `rules` subcommand; a problem is printed and exits 2.
fn load_rules(dir: &Path, load: fn(&Path) -> Result<RuleSet, ConfigErrors>) -> Result<RuleSet, u8> {
    load(dir)
        .with_context(|| format!("loading rules from {}", dir.display()))
        .map_err(|e| {
            eprintln!("triage: {e:#}");
            EXIT_CONFIG
        })
}

fn rules_hold_out(
    dir: &Path,
    spec: Option<PathBuf>,
    prefixes: &[String],
    now: Option<String>,
    only: &[Category],
    folders: evaluate::hold_out::Folders,
) -> u8 {
    let spec = spec.unwrap_or_else(|| dir.join("model").join("training.toml"));
    let started = std::time::Instant::now();
    match evaluate::hold_out::hold_out(&spec, dir, prefixes, now, only, folders) {
        Ok(rounds) => {
            say!(
                "{}({:.0} s)",
                evaluate::hold_out::render(&rounds),
                started.elapsed().as_secs_f64()
            );
            EXIT_OK
        }
        Err(e) => library_failure(e),
    }
}

/// `--only` names content categories, the ones with models: another
/// (`repeat_complaint`) would fit nothing and say nothing.
fn only_models(only: &[Category]) -> std::result::Result<(), u8> {
    match only.iter().find(|c| !Category::CONTENT.contains(c)) {
        Some(c) => {
            eprintln!("triage rules train: --only {c}: only a content category has a model");
            Err(EXIT_CONFIG)
        }
        None => Ok(()),
    }
}

fn rules_train(dir: &Path, spec: Option<PathBuf>, check: bool, only: &[Category]) -> u8 {
    let rules = match load_rules(dir, RuleSet::load_without_models) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let model_dir = dir.join("model");
    let spec = spec.unwrap_or_else(|| model_dir.join("training.toml"));
    let trained = match evaluate::train::train(&spec, &rules, !check, only) {
        Ok(t) => t,
        Err(e) => return library_failure(e),
    };
    let mut differs = 0;
    for t in &trained {
        let path = model_dir.join(&t.file);
        if !check {
            say!("{}:\n{}", t.file, t.report);
        }
        if check {
            if !evaluate::train::shipped_matches(&path, &t.model) {
                say!(
                    "DIFFERS {}: retrain with `triage rules train`",
                    path.display()
                );
                differs += 1;
            }
        } else if let Err(e) = evaluate::train::write(&path, &t.file_text) {
            return library_failure(e);
        } else {
            say!("wrote {}", path.display());
        }
    }
    if differs > 0 {
        EXIT_SOME_UNPROCESSED
    } else {
        EXIT_OK
    }
}

/// A failed library call: a configuration problem exits 2, anything else 3.
fn synth(args: SynthArgs) -> u8 {
    let until = match chrono::DateTime::parse_from_rfc3339(&args.until) {
        Ok(t) => t.with_timezone(&chrono::Utc),
        Err(e) => {
            eprintln!("triage synth: --until {}: {e}", args.until);
            return EXIT_CONFIG;
        }
    };
    let spec = triage::synth::SynthSpec {
        count: args.n,
        seed: args.seed,
        senders: args.senders,
        until,
        days: args.days,
        mbox: args.mbox,
    };
    match triage::synth::write(&spec, &args.out) {
        Ok(written) => {
            say!(
                "wrote {} messages ({:.1} MB) to {} and {} customers to {}",
                written.messages,
                written.bytes as f64 / 1e6,
                written.mail.display(),
                written.registered,
                written.register.display()
            );
            EXIT_OK
        }
        Err(e) => library_failure(e),
    }
}

fn library_failure(e: Error) -> u8 {
    match e {
        Error::Config(errors) => config_failure(&errors),
        e => {
            eprintln!("triage: {:#}", anyhow::Error::new(e));
            EXIT_FAILED
        }
    }
}

fn rules_test(dir: &Path) -> u8 {
    let rules = match load_rules(dir, RuleSet::load) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let failures = rules.self_test();
    for f in &failures {
        say!(
            "FAIL {}:{} rule {}: {} {:?}",
            f.file.display(),
            f.line,
            f.rule_id,
            f.expected,
            f.example
        );
    }
    say!("{} rules, {} example failures", rules.len(), failures.len());
    if failures.is_empty() {
        EXIT_OK
    } else {
        EXIT_SOME_UNPROCESSED
    }
}
