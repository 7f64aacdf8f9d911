//! Dispatch: one function per command, taking its arguments and returning a Status.

use std::io::{IsTerminal, Write};

use anyhow::Context;

use crate::cli::{Cli, Command, HookCommand, OutputArgs, RulesCommand, ScanTarget};
use crate::git::Repo;
use crate::report::{self, Format, Target};
use crate::scan::{self, ignore_file, Outcome, Scanner};
use crate::Status;

pub fn run(cli: Cli) -> anyhow::Result<Status> {
    match cli.command {
        Command::Scan(target) => scan_cmd(target),
        Command::Hook(HookCommand::PreCommit) => crate::hooks::pre_commit::run(),
        Command::Hook(HookCommand::PrepareCommitMsg {
            msg_file,
            source,
            sha,
        }) => crate::hooks::prepare_commit_msg::run(&msg_file, source.as_deref(), sha.as_deref()),
        Command::Hook(HookCommand::CommitMsg { msg_file }) => {
            crate::hooks::commit_msg::run(&msg_file)
        }
        Command::Hook(HookCommand::PrePush { remote, url }) => {
            crate::hooks::pre_push::run(&remote, url.as_deref())
        }
        Command::Rules(cmd) => rules_cmd(cmd),
        Command::Install(args) => crate::install::install(&args),
        Command::Uninstall(args) => crate::install::uninstall(&args),
        Command::Status => crate::install::status(),
        Command::Demo => crate::install::demo(),
        Command::Ai(cmd) => ai_cmd(cmd),
        Command::Policy(cmd) => policy_cmd(cmd),
        Command::Incidents { since, format } => incidents_cmd(since.as_deref(), format),
        Command::Hook(HookCommand::PreReceive) => crate::hooks::pre_receive::run(),
        Command::Verify(args) => crate::attest::cmd::verify_cmd(args),
        Command::Attest(cmd) => crate::attest::cmd::attest_cmd(cmd),
        Command::Key(cmd) => crate::attest::cmd::key_cmd(cmd),
    }
}

fn scan_cmd(target: ScanTarget) -> anyhow::Result<Status> {
    let (out, output, target_desc, top) = match target {
        ScanTarget::Staged { output } => {
            let repo = Repo::discover()?;
            let out = scan::staged::scan_staged(&repo)?.outcome;
            let t = Target::new("the staged changes", "vouchsafe scan staged");
            (out, output, t, repo.work_tree)
        }
        ScanTarget::Path {
            paths,
            no_ignore,
            output,
        } => {
            let repo = Repo::discover().ok();
            let policy = match &repo {
                Some(r) => crate::policy::load_committed(r)?,
                None => crate::policy::load_file(std::path::Path::new(crate::policy::FILE_NAME))?,
            };
            let top = match &repo {
                Some(r) => r.work_tree.clone(),
                None => std::env::current_dir().ok(),
            };
            let scanner = Scanner::new(
                &policy,
                ignore_file::load(top.as_deref())?,
                scan::Volume::Bulk,
            )?;
            let out = scan::path::scan_paths(&scanner, &paths, no_ignore, top.as_deref())?;
            let shown: Vec<String> = paths
                .iter()
                .map(|p| shell_word(&p.display().to_string()))
                .collect();
            let t = Target {
                what: if paths.len() == 1 {
                    paths[0].display().to_string()
                } else {
                    format!("{} paths", paths.len())
                },
                rerun: format!("vouchsafe scan path {}", shown.join(" ")),
                fix: report::Fix::Files,
            };
            (out, output, t, top)
        }
        ScanTarget::Range {
            revs,
            all,
            no_progress,
            output,
        } => {
            let repo = Repo::discover()?;
            let policy = crate::policy::load_committed(&repo)?;
            let scanner = Scanner::new(
                &policy,
                ignore_file::load(repo.work_tree.as_deref())?,
                scan::Volume::Bulk,
            )?;
            let commits = scan::range::commits(&repo, &revs, all)?;
            if commits.is_empty() {
                eprintln!("vouchsafe: warning: the range holds no commits (non-merge): nothing was scanned");
            }
            let out = scan::range::scan_commits(&repo, &scanner, &commits, !no_progress)?;
            let mut rerun = String::from("vouchsafe scan range");
            if all {
                rerun.push_str(" --all");
            }
            for r in &revs {
                rerun.push(' ');
                rerun.push_str(&shell_word(r));
            }
            let t = Target {
                what: format!(
                    "{} commit{}",
                    commits.len(),
                    if commits.len() == 1 { "" } else { "s" }
                ),
                rerun,
                fix: report::Fix::Files,
            };
            (out, output, t, repo.work_tree)
        }
    };
    finish(out, &output, &target_desc, top.as_deref())
}

fn finish(
    out: Outcome,
    output: &OutputArgs,
    target: &Target,
    top: Option<&std::path::Path>,
) -> anyhow::Result<Status> {
    if output.add_to_ignore {
        let top = top.context("--add-to-ignore needs a work tree to hold .vouchsafeignore")?;
        let n = ignore_file::add(top, &out.findings)?;
        eprintln!(
            "vouchsafe: added {n} fingerprint{} to {}; commit that file so the rest of the team (and CI) allow them too",
            if n == 1 { "" } else { "s" },
            top.join(ignore_file::FILE_NAME).display()
        );
        return Ok(Status::Ok);
    }
    let stdout = std::io::stdout();
    let color = output.format == Format::Human && report::use_color(stdout.is_terminal());
    let mut w = stdout.lock();
    report::write(&mut w, output.format, &out, target, color)?;
    w.flush()?;
    Ok(if out.findings.is_empty() {
        Status::Ok
    } else {
        Status::Blocked
    })
}

fn rules_cmd(cmd: RulesCommand) -> anyhow::Result<Status> {
    let rules: Vec<&'static scan::rules::RuleDef> = scan::rules::RULES.iter().collect();
    match cmd {
        RulesCommand::List { format } => {
            let mut w = std::io::stdout().lock();
            if format == Format::Human {
                for r in &rules {
                    writeln!(w, "{:<36} {:<14} {}", r.id, r.group, r.description)?;
                }
                writeln!(
                    w,
                    "{} rules ({} provider-specific, {} generic), version {}",
                    rules.len(),
                    rules.iter().filter(|r| !r.generic).count(),
                    rules.iter().filter(|r| r.generic).count(),
                    scan::rules::RULES_VERSION
                )?;
            } else {
                let v: Vec<serde_json::Value> = rules
                    .iter()
                    .map(|r| serde_json::json!({"id": r.id, "group": r.group, "description": r.description, "keywords": r.keywords, "generic": r.generic, "references": r.references}))
                    .collect();
                serde_json::to_writer_pretty(&mut w, &v)?;
                writeln!(w)?;
            }
            Ok(Status::Ok)
        }
        RulesCommand::Check => {
            let problems = scan::engine::check_rules(&rules);
            for p in &problems {
                println!("{p}");
            }
            let examples: usize = rules.iter().map(|r| r.examples.len()).sum();
            let negatives: usize = rules.iter().map(|r| r.negative.len()).sum();
            println!(
                "{} rules, {examples} examples, {negatives} near misses: {} problem(s)",
                rules.len(),
                problems.len()
            );
            Ok(if problems.is_empty() {
                Status::Ok
            } else {
                Status::Blocked
            })
        }
    }
}

/// Quotes a word for a shell command line when it needs it.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@^~=+,".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn incidents_cmd(since: Option<&str>, format: Format) -> anyhow::Result<Status> {
    let since = since
        .map(|s| crate::incident::parse_since(s, std::time::SystemTime::now()))
        .transpose()?;
    let all = crate::incident::read_all()?;
    let shown: Vec<&crate::incident::Incident> = all
        .iter()
        .filter(|i| since.as_deref().is_none_or(|s| i.time.as_str() >= s))
        .collect();
    let mut w = std::io::stdout().lock();
    match format {
        Format::Json | Format::Sarif => {
            for i in &shown {
                serde_json::to_writer(&mut w, i)?;
                writeln!(w)?;
            }
        }
        Format::Human => {
            if shown.is_empty() {
                writeln!(
                    w,
                    "no incidents recorded{}",
                    since.map(|s| format!(" since {s}")).unwrap_or_default()
                )?;
            }
            for i in &shown {
                let mut line = format!("{}  {:<18} {:<16}", i.time, i.gate, i.kind);
                if let Some(r) = &i.rule {
                    line.push_str(&format!(" {r}"));
                }
                if let Some(p) = &i.path {
                    line.push_str(&format!(" {}", crate::git::display_path(p.as_bytes())));
                }
                if let (None, Some(d)) = (&i.rule, &i.detail) {
                    line.push_str(&format!(" {d}"));
                }
                if let Some(a) = &i.assistant {
                    line.push_str(&format!(" assistant={a}"));
                }
                line.push_str(&format!("  {}", i.repository));
                if let Some(b) = &i.branch {
                    line.push_str(&format!(" ({b})"));
                }
                if let Some(c) = &i.commit {
                    line.push_str(&format!(" {}", &c[..c.len().min(12)]));
                }
                writeln!(w, "{line}")?;
            }
        }
    }
    Ok(Status::Ok)
}

fn ai_cmd(cmd: crate::cli::AiCommand) -> anyhow::Result<Status> {
    use crate::cli::{AiCommand, TextOrJson};
    match cmd {
        AiCommand::Start {
            agent,
            model,
            duration,
        } => crate::ai::command::start(&agent, model.as_deref(), &duration),
        AiCommand::Stop => crate::ai::command::stop(),
        AiCommand::Status { format } => crate::ai::command::status(format == TextOrJson::Json),
        AiCommand::List { format } => crate::ai::command::list(format == TextOrJson::Json),
    }
}

fn policy_cmd(cmd: crate::cli::PolicyCommand) -> anyhow::Result<Status> {
    use crate::cli::{PolicyCommand, TextOrJson};
    match cmd {
        PolicyCommand::Init { force } => crate::policy::command::init(force),
        PolicyCommand::Show { format } => crate::policy::command::show(format == TextOrJson::Json),
        PolicyCommand::Check { file } => crate::policy::command::check(file.as_deref()),
    }
}
