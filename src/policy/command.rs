//! `vouchsafe policy init | show | check`.

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use super::{Policy, FILE_NAME};
use crate::git::Repo;
use crate::Status;

/// What `policy init` writes: every section, commented, valid as it is.
pub const STARTER: &str = r##"# .vouchsafe.toml: the policy vouchsafe's hooks apply to this repository.
#
# The hooks read the version committed at HEAD, never this file in the working tree,
# so a commit cannot loosen the rules that judge it: commit changes to this file on
# their own, after `vouchsafe policy check` passes. `vouchsafe policy show` prints
# the policy in effect.

[scan]
# Paths never scanned for secrets (globs; a directory covers what is below it).
allow_paths = []
# Regexes: a secret that matches one is not a finding (a documented sample key).
allow_regexes = []
# Rule ids turned off (`vouchsafe rules list`).
disable_rules = []
# Files larger than this many bytes are skipped with a warning.
# max_file_size = 5000000

[agents]
# The AI assistants allowed to help with commits here: ids or aliases from
# `vouchsafe ai list` (`copilot` covers every GitHub Copilot entry). Without this
# key every assistant is allowed, and every commit still says which one helped
# (an `Assisted-by: <Agent>:<model>` trailer). With `approved = []`, none is.
# approved = ["claude-code", "copilot", "cursor"]

# A commit made with an assistant that is not approved: "block" stops it, "warn"
# lets it through with a warning.
on_unapproved = "block"

# An assistant vouchsafe cannot name (an AI_AGENT it does not know, an Assisted-by
# trailer naming another tool). Defaults to on_unapproved.
# on_unknown = "warn"

# Whom to ask for another assistant; shown when a commit is stopped.
# contact = "#ai-tools on Slack, or security@example.com"

[incidents]
# Every block is written to the local incident log (`vouchsafe incidents`).
# A command that receives each incident as JSON on stdin:
# command = "curl -s -X POST --data-binary @- https://hooks.example.com/vouchsafe"
# Whom to tell, and how soon:
# contact = "security@example.com"
# within = "24h"
"##;

fn top(repo: &Repo) -> anyhow::Result<PathBuf> {
    repo.work_tree
        .clone()
        .context("a bare repository has no work tree to hold .vouchsafe.toml")
}

pub fn init(force: bool) -> anyhow::Result<Status> {
    let path = match Repo::discover() {
        Ok(r) => top(&r)?.join(FILE_NAME),
        Err(crate::git::Error::NotARepo) => PathBuf::from(FILE_NAME),
        Err(e) => return Err(e.into()),
    };
    if path.exists() && !force {
        anyhow::bail!(
            "{} already exists; `vouchsafe policy check` checks it, `vouchsafe policy init --force` replaces it",
            path.display()
        );
    }
    std::fs::write(&path, STARTER).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}", path.display());
    println!("Edit it, run `vouchsafe policy check`, and commit it: the hooks apply the committed version.");
    Ok(Status::Ok)
}

pub fn show(json: bool) -> anyhow::Result<Status> {
    let repo = Repo::discover()?;
    let committed = repo.show_blob("HEAD", FILE_NAME)?;
    let policy = super::load_committed(&repo)?;
    let origin = match (&committed, repo.head()?) {
        (Some(_), Some(head)) => {
            format!("HEAD:{FILE_NAME} (commit {})", &head[..head.len().min(12)])
        }
        _ => format!("no {FILE_NAME} committed at HEAD, so the defaults"),
    };
    let mut out = std::io::stdout().lock();
    if json {
        let mut v = serde_json::to_value(&policy)?;
        v["source"] = serde_json::Value::String(origin);
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        writeln!(out, "# The policy in effect for the next commit: {origin}.")?;
        writeln!(out, "{}", toml::to_string_pretty(&policy)?.trim_end())?;
        if policy.agents.is_none() {
            writeln!(out, "\n# [agents]: not set, so every assistant is allowed; each commit still records which one helped.")?;
        } else if policy.agents.as_ref().is_some_and(|a| a.approved.is_none()) {
            writeln!(
                out,
                "\n# [agents] approved: not set, so every assistant is allowed."
            )?;
        }
    }
    out.flush()?;
    // The working-tree file takes effect only once committed: say so when it differs.
    if let Some(top) = &repo.work_tree {
        let wt = std::fs::read(top.join(FILE_NAME)).ok();
        if wt.is_some() && wt != committed {
            eprintln!(
                "note: {FILE_NAME} in the working tree differs from HEAD; it takes effect once committed \
                 (`vouchsafe policy check` checks it first)"
            );
        }
    }
    Ok(Status::Ok)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Severity {
    Error,
    Warning,
}

#[derive(Debug)]
struct Problem {
    severity: Severity,
    span: Option<Range<usize>>,
    message: String,
}

/// The parts of the schema whose values are checked beyond their type, with where
/// each value is in the file.
#[derive(Deserialize, Default)]
struct View {
    #[serde(default)]
    scan: Option<ScanView>,
    #[serde(default)]
    agents: Option<AgentsView>,
}

#[derive(Deserialize, Default)]
struct ScanView {
    #[serde(default)]
    allow_paths: Vec<toml::Spanned<String>>,
    #[serde(default)]
    allow_regexes: Vec<toml::Spanned<String>>,
    #[serde(default)]
    disable_rules: Vec<toml::Spanned<String>>,
}

#[derive(Deserialize, Default)]
struct AgentsView {
    #[serde(default)]
    approved: Option<Vec<toml::Spanned<String>>>,
}

fn problems(text: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Err(e) = toml::from_str::<Policy>(text) {
        out.push(Problem {
            severity: Severity::Error,
            span: e.span(),
            message: e.message().trim().to_string(),
        });
        return out;
    }
    let view: View = toml::from_str(text).unwrap_or_default();
    if let Some(scan) = view.scan {
        for g in &scan.allow_paths {
            if let Err(e) = globset::Glob::new(g.get_ref()) {
                out.push(Problem {
                    severity: Severity::Error,
                    span: Some(g.span()),
                    message: format!("[scan] allow_paths: {e}"),
                });
            }
        }
        for r in &scan.allow_regexes {
            if let Err(e) = regex::bytes::Regex::new(r.get_ref()) {
                let first = e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim()
                    .trim_start_matches("error: ")
                    .to_string();
                out.push(Problem {
                    severity: Severity::Error,
                    span: Some(r.span()),
                    message: format!("[scan] allow_regexes: not a regex: {first}"),
                });
            }
        }
        for id in &scan.disable_rules {
            if !crate::scan::rules::RULES
                .iter()
                .any(|r| r.id == id.get_ref())
            {
                out.push(Problem {
                    severity: Severity::Warning,
                    span: Some(id.span()),
                    message: format!(
                        "[scan] disable_rules: no rule {:?} (`vouchsafe rules list`)",
                        id.get_ref()
                    ),
                });
            }
        }
    }
    if let Some(list) = view.agents.and_then(|a| a.approved) {
        let mut seen: Vec<String> = Vec::new();
        for name in &list {
            let n = crate::ai::registry::normalize_name(name.get_ref());
            if seen.contains(&n) {
                out.push(Problem {
                    severity: Severity::Warning,
                    span: Some(name.span()),
                    message: format!("[agents] approved: {:?} is listed twice", name.get_ref()),
                });
            }
            seen.push(n);
            if !crate::ai::registry::all()
                .iter()
                .any(|a| a.is_named(name.get_ref()))
            {
                let hint = crate::ai::registry::suggest(name.get_ref())
                    .map(|s| format!(" (did you mean {s:?}?)"))
                    .unwrap_or_default();
                out.push(Problem {
                    severity: Severity::Warning,
                    span: Some(name.span()),
                    message: format!(
                        "[agents] approved: {:?} is not an assistant vouchsafe knows{hint}; it only approves an assistant named \
                         exactly so (VOUCHSAFE_AGENT, AI_AGENT, an Assisted-by trailer). `vouchsafe ai list` shows the ids",
                        name.get_ref()
                    ),
                });
            }
        }
    }
    out
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

pub fn check(file: Option<&Path>) -> anyhow::Result<Status> {
    let path = match file {
        Some(p) => p.to_path_buf(),
        None => match Repo::discover() {
            Ok(r) => top(&r)?.join(FILE_NAME),
            Err(_) => PathBuf::from(FILE_NAME),
        },
    };
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let shown = path.display().to_string();
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = std::str::from_utf8(&e.as_bytes()[..e.utf8_error().valid_up_to()])
                .unwrap_or_default();
            let (l, c) = line_col(valid, valid.len());
            println!("{shown}:{l}:{c}: error: the file is not UTF-8 (TOML must be)");
            return Ok(Status::Blocked);
        }
    };
    let found = problems(&text);
    let mut out = std::io::stdout().lock();
    for p in &found {
        let label = match p.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &p.span {
            Some(span) => {
                let (l, c) = line_col(&text, span.start);
                writeln!(out, "{shown}:{l}:{c}: {label}: {}", p.message)?;
                let src = text.lines().nth(l - 1).unwrap_or("");
                let width = text[span.clone()]
                    .lines()
                    .next()
                    .map_or(1, |s| s.chars().count().max(1));
                writeln!(out, "  {src}")?;
                writeln!(
                    out,
                    "  {}{}",
                    " ".repeat(c - 1),
                    "^".repeat(width.min(src.chars().count().saturating_sub(c - 1).max(1)))
                )?;
            }
            None => writeln!(out, "{shown}: {label}: {}", p.message)?,
        }
    }
    let errors = found
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = found.len() - errors;
    if errors == 0 {
        writeln!(
            out,
            "{shown}: valid{}. Commit it for the hooks to apply it.",
            if warnings > 0 {
                format!(", {warnings} warning(s)")
            } else {
                String::new()
            }
        )?;
        Ok(Status::Ok)
    } else {
        writeln!(
            out,
            "{shown}: {errors} error(s); the hooks would refuse this policy once committed."
        )?;
        Ok(Status::Blocked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_is_valid() {
        assert!(problems(STARTER).is_empty(), "{:?}", problems(STARTER));
        let p = super::super::parse(STARTER, "starter").expect("parse");
        assert_eq!(
            p.agents.expect("agents").on_unapproved,
            super::super::agents::Action::Block
        );
    }

    #[test]
    fn errors_carry_positions() {
        let text = "[scan]\nallow_paths = [\"a/[\"]\n[agents]\napproved = [\"claude-cod\"]\n";
        let p = problems(text);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(
            line_col(text, p[0].span.clone().expect("span").start),
            (2, 16)
        );
        assert_eq!(p[1].severity, Severity::Warning);
        assert!(p[1].message.contains("claude-code"), "{}", p[1].message);
        let p = problems("[agents]\non_unapproved = \"deny\"\n");
        assert_eq!(
            line_col(
                "[agents]\non_unapproved = \"deny\"\n",
                p[0].span.clone().expect("span").start
            ),
            (2, 17)
        );
        let p = problems("[agent]\n");
        assert!(p[0].message.contains("unknown field"), "{}", p[0].message);
    }
}
