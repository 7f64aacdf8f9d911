//! Output: human text, JSON (the contract in DESIGN.md) and SARIF 2.1.0. Detection
//! code never prints; it hands an `Outcome` here.

pub mod human;
pub mod sarif;

use std::io::Write;

use serde_json::json;

use crate::scan::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    #[default]
    Human,
    Json,
    Sarif,
}

/// What was scanned, for the words of the report and the command that allows.
#[derive(Debug, Clone)]
pub struct Target {
    /// "the staged changes", "3 paths", "12 commits".
    pub what: String,
    /// The command that re-runs this scan, to which `--add-to-ignore` can be added.
    pub rerun: String,
    /// What removing the secret means here.
    pub fix: Fix,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Edit the files (staged changes, files on disk).
    Files,
    /// Edit the commit message; the message is kept in this file.
    Message(String),
    /// Rewrite commits that are not pushed yet, starting after this base.
    History(String),
}

impl Target {
    pub fn new(what: impl Into<String>, rerun: impl Into<String>) -> Target {
        Target {
            what: what.into(),
            rerun: rerun.into(),
            fix: Fix::Files,
        }
    }
}

pub fn json_value(out: &Outcome, target: &Target) -> serde_json::Value {
    json!({
        "findings": out.findings,
        "summary": {
            "target": target.what,
            "findings": out.findings.len(),
            "files_scanned": out.files_scanned,
            "bytes_scanned": out.bytes_scanned,
            "commits_scanned": out.commits_scanned,
            "ignored": out.ignored,
            "skipped": out.skipped,
            "rules_version": crate::scan::rules::RULES_VERSION,
            "clean": out.findings.is_empty(),
        }
    })
}

pub fn write(
    w: &mut dyn Write,
    format: Format,
    out: &Outcome,
    target: &Target,
    color: bool,
) -> std::io::Result<()> {
    match format {
        Format::Human => human::write_report(w, out, target, color),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, &json_value(out, target))?;
            writeln!(w)
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *w, &sarif::sarif(out))?;
            writeln!(w)
        }
    }
}

/// Colour only on a terminal, and never when `NO_COLOR` is set (no-color.org).
pub fn use_color(stream_is_terminal: bool) -> bool {
    stream_is_terminal
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}
