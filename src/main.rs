//! The `triage` command line: parses arguments, calls the library, prints
//! what happened and sets the exit code. Each subcommand is one short
//! function; all the work is in the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use triage::config::{self, CliOverrides, FileConfig, RunConfig, DEFAULT_CONFIG_FILE};
use triage::detect::RuleSet;
use triage::pipeline::{self, Engine};
use triage::{ConfigErrors, Error};

/// Exit codes (SPEC §6, README "Exit codes").
const EXIT_OK: u8 = 0;
const EXIT_SOME_UNPROCESSED: u8 = 1;
const EXIT_CONFIG: u8 = 2;
const EXIT_FAILED: u8 = 3;

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
    /// Work with the rule files.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// Config file (default: ./triage.toml when it exists).
    #[arg(long)]
    config: Option<PathBuf>,
    /// A Maildir, a folder of message files, or an mbox file (repeatable).
    #[arg(long = "source", value_name = "PATH")]
    sources: Vec<String>,
    /// The register of monitored and restricted customers (CSV).
    #[arg(long)]
    register: Option<PathBuf>,
    /// The rules folder (rule files and policy.toml).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// The state folder (history index, lock).
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
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Check every rule against its own must-match and must-not-match examples.
    Test {
        #[arg(long, default_value = "rules")]
        rules: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run(args) => run(args),
        Command::Rules {
            command: RulesCommand::Test { rules },
        } => rules_test(&rules),
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
            let e = anyhow::Error::new(e)
                .context("the run could not finish; the previous run's outputs are unchanged");
            eprintln!("triage: {e:#}");
            EXIT_FAILED
        }
    }
}

fn load_config(args: RunArgs) -> Result<RunConfig, ConfigErrors> {
    let file_path = args.config.clone().or_else(|| {
        let default = PathBuf::from(DEFAULT_CONFIG_FILE);
        default.is_file().then_some(default)
    });
    let file = match &file_path {
        Some(p) => Some((p.as_path(), FileConfig::load(p)?)),
        None => None,
    };
    config::resolve(
        file,
        CliOverrides {
            sources: args.sources,
            register: args.register,
            rules: args.rules,
            state: args.state,
            out: args.out,
            threads: args.threads,
            now: args.now,
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
        .collect();
    println!(
        "triage: {} messages from {} -> {}",
        s.messages_in,
        sources.join(", "),
        engine.config.out.display()
    );
    let q = |name: &str| s.queues.get(name).copied().unwrap_or(0);
    println!(
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
        println!("  categories: {}", cats.join(", "));
    }
    print_flagged(&s.flagged);
    println!(
        "reports: {}",
        ["report.csv", "decisions.jsonl", "summary.json", "queues/"]
            .map(|f| engine.config.out.join(f).display().to_string())
            .join(", ")
    );
}

/// How many flagged lines the terminal summary shows; the rest are in summary.json.
const MAX_PRINTED: usize = 60;

/// Flagged messages that need a person, most pressing first. Those flagged
/// only by the history or envelope (repeat, volume, mass copy) and still
/// answered normally are counted, not listed.
fn print_flagged(flagged: &[triage::sink::FlaggedLine]) {
    let history_only = |f: &&triage::sink::FlaggedLine| {
        f.queue == "respond"
            && f.priority == "normal"
            && f.categories
                .split(';')
                .all(|c| ["", "repeat_complaint", "high_volume", "mass_copy"].contains(&c))
            && f.reasons.is_empty()
    };
    let mut lines: Vec<_> = flagged.iter().filter(|f| !history_only(f)).collect();
    let quiet = flagged.len() - lines.len();
    if lines.is_empty() && quiet == 0 {
        return;
    }
    println!("flagged ({}):", flagged.len());
    lines.sort_by_key(|f| {
        (
            queue_rank(&f.queue),
            priority_rank(&f.priority),
            f.source.clone(),
        )
    });
    for f in lines.iter().take(MAX_PRINTED) {
        let what = [f.categories.as_str(), f.reasons.as_str()]
            .iter()
            .filter(|x| !x.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" | ");
        println!("  {:<9} {:<7} {}  {}", f.queue, f.priority, f.source, what);
    }
    if lines.len() > MAX_PRINTED {
        println!(
            "  … and {} more (summary.json lists them all)",
            lines.len() - MAX_PRINTED
        );
    }
    if quiet > 0 {
        println!("  {quiet} more answered normally, flagged only as repeat_complaint, high_volume or mass_copy");
    }
}

fn queue_rank(q: &str) -> u8 {
    match q {
        "escalate" => 0,
        "read-only" => 1,
        _ => 2,
    }
}

fn priority_rank(p: &str) -> u8 {
    match p {
        "urgent" => 0,
        "high" => 1,
        _ => 2,
    }
}

fn rules_test(dir: &Path) -> u8 {
    let rules =
        match RuleSet::load(dir).with_context(|| format!("loading rules from {}", dir.display())) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("triage: {e:#}");
                return EXIT_CONFIG;
            }
        };
    let failures = rules.self_test();
    for f in &failures {
        println!(
            "FAIL {}:{} rule {}: {} {:?}",
            f.file.display(),
            f.line,
            f.rule_id,
            f.expected,
            f.example
        );
    }
    println!("{} rules, {} example failures", rules.len(), failures.len());
    if failures.is_empty() {
        EXIT_OK
    } else {
        EXIT_SOME_UNPROCESSED
    }
}
