//! The command tree: the CLI contract of DESIGN.md. Doc comments here are `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;

/// Keeps secrets out of commits, records which AI assistant helped, and signs an
/// attestation of every commit. Git hooks call it; CI and servers run it again.
#[derive(Debug, Parser)]
#[command(name = "vouchsafe", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan for secrets: what is staged, paths on disk, or commits.
    #[command(subcommand)]
    Scan(ScanTarget),
    /// What the git hooks run (the installed shims call these).
    #[command(subcommand)]
    Hook(HookCommand),
    /// List the built-in secret rules, or check each against its own examples.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Wire vouchsafe's hooks into this repository (or every repository with --global).
    Install(InstallArgs),
    /// Remove vouchsafe's hooks and restore exactly what was there before.
    Uninstall(UninstallArgs),
    /// Show what is installed here, which binary the hooks run, and what is wrong.
    Status,
    /// Walk through every gate in a throwaway repository; touches nothing of yours.
    Demo,
    /// Which AI assistant is helping: what the commit hooks would record, explicit sessions.
    #[command(subcommand)]
    Ai(AiCommand),
    /// The repository policy, .vouchsafe.toml: write a starter, check one, show the one in effect.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Check the signed attestations of commits (default HEAD; a range such as
    /// origin/main..HEAD) against the allowed signers.
    Verify(crate::attest::cmd::VerifyArgs),
    /// Show a commit's attestation: what was signed, the SSH signature, the OpenSSH check.
    #[command(subcommand)]
    Attest(crate::attest::cmd::AttestCommand),
    /// The SSH key that signs attestations: status, generate, use, passphrase.
    #[command(subcommand)]
    Key(crate::attest::cmd::KeyCommand),
    /// List the blocks recorded in the local incident log.
    Incidents {
        /// Only incidents since then: a duration back from now (`24h`, `7d`) or a date.
        #[arg(long)]
        since: Option<String>,
        /// Output format (`human` or `json`: one JSON object per line).
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Add the fingerprint of every finding to .vouchsafeignore (they are not secrets).
    #[arg(long)]
    pub add_to_ignore: bool,
}

#[derive(Debug, Subcommand)]
pub enum ScanTarget {
    /// Exactly what the next commit will contain: the added lines of the index.
    Staged {
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Files and directories on disk, honouring .gitignore.
    Path {
        /// Files or directories to scan.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Scan files that .gitignore, .ignore and git's excludes would skip.
        #[arg(long)]
        no_ignore: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// The lines each commit in a range added (`origin/main..HEAD`), or --all history.
    Range {
        /// Revision ranges as `git rev-list` takes them.
        #[arg(required_unless_present = "all")]
        revs: Vec<String>,
        /// Every commit reachable from any ref.
        #[arg(long)]
        all: bool,
        /// No progress bar, even on a terminal.
        #[arg(long)]
        no_progress: bool,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// The pre-commit gate: `scan staged`, blocking on findings.
    PreCommit,
    /// Backstop for `git commit --no-verify`: runs the pre-commit gate when it did not run.
    PrepareCommitMsg {
        /// The commit message file git passes.
        msg_file: std::path::PathBuf,
        /// Where the message came from (message, template, merge, squash, commit).
        source: Option<String>,
        /// The commit for `-c`/`-C`/`--amend`.
        sha: Option<String>,
    },
    /// The commit-msg gate: scans the message for secrets.
    CommitMsg {
        /// The commit message file git passes.
        msg_file: std::path::PathBuf,
    },
    /// The server-side gate in a bare repository: checks the commits new to the
    /// server (`<old> <new> <ref>` lines on stdin).
    PreReceive,
    /// The pre-push gate: scans the commits about to leave (ref lines on stdin).
    PrePush {
        /// The remote's name (or its URL when pushing to a URL).
        remote: String,
        /// The remote's URL.
        url: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Every rule: id, group and description.
    List {
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Run every rule's examples and near misses through the engine.
    Check,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Protect every repository on this machine.
    #[arg(long)]
    pub global: bool,
    /// Write even into a hooks directory another tool or a global setting owns.
    #[arg(long)]
    pub force: bool,
    /// If the vouchsafe binary goes missing, let git go on with a warning instead of
    /// stopping it (the default fails closed).
    #[arg(long)]
    pub fail_open: bool,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Undo `install --global`.
    #[arg(long)]
    pub global: bool,
}

/// `human` or `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TextOrJson {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum AiCommand {
    /// Declare that an assistant helps with this repository's commits from now on
    /// (for tools vouchsafe cannot see); every commit gets its Assisted-by trailer.
    Start {
        /// The assistant: an id or alias from `vouchsafe ai list`, or any other name.
        agent: String,
        /// The model it uses, written after the name (`Assisted-by: Claude-Code:<model>`).
        #[arg(long)]
        model: Option<String>,
        /// How long the session lasts: 30m, 8h, 2d (at most 7d).
        #[arg(long = "for", value_name = "DURATION", default_value = crate::ai::session::DEFAULT_DURATION)]
        duration: String,
    },
    /// End the session `ai start` began.
    Stop,
    /// What a commit made here now would record, and the evidence for each assistant.
    Status {
        #[arg(long, value_enum, default_value_t)]
        format: TextOrJson,
    },
    /// The assistants vouchsafe knows, and how it recognises each.
    List {
        #[arg(long, value_enum, default_value_t)]
        format: TextOrJson,
    },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Write a commented starter .vouchsafe.toml at the top of the work tree.
    Init {
        /// Replace an existing .vouchsafe.toml.
        #[arg(long)]
        force: bool,
    },
    /// The policy that judges the next commit: the one committed at HEAD.
    Show {
        #[arg(long, value_enum, default_value_t)]
        format: TextOrJson,
    },
    /// Validate a policy file (default: .vouchsafe.toml in the work tree), with the
    /// line and column of each problem.
    Check {
        /// The file to check.
        file: Option<PathBuf>,
    },
}
