//! `scan range`: the lines each commit in a range added, reported with the commit.
//! The commit list is split over one `git log -p` per core; each stream is parsed and
//! scanned as it arrives. Merge commits add nothing of their own here: what they
//! bring in was added by the commits they merge.

use std::io::{BufReader, IsTerminal, Write};
use std::process::Stdio;

use anyhow::Context;

use super::diff::{self, Event, FileDiff};
use super::staged::scan_files;
use super::{Outcome, Scanner};
use crate::git::Repo;

/// `git log` over commit ids on stdin, each commit's patch after a `NUL<sha>` line.
/// `--root`: a root commit's patch is shown whatever the user's `log.showRoot` says.
fn log_args() -> Vec<&'static str> {
    let mut a = vec![
        "log",
        "--no-walk=unsorted",
        "--stdin",
        "--root",
        "--format=%x00%H",
    ];
    a.extend_from_slice(super::diff::PATCH_ARGS);
    a
}

/// The commits of a range (`A..B`, `A...B`, a single rev for its whole history, or
/// `--all`), merges left out.
pub fn commits(repo: &Repo, revs: &[String], all: bool) -> anyhow::Result<Vec<String>> {
    let mut args: Vec<String> = Vec::new();
    if all {
        args.push("--all".into());
    }
    args.extend(revs.iter().cloned());
    Ok(repo.rev_list(&args)?)
}

pub fn scan_commits(
    repo: &Repo,
    scanner: &Scanner,
    commits: &[String],
    progress: bool,
) -> anyhow::Result<Outcome> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(commits.len().div_ceil(64))
        .max(1);
    let bar = (progress && std::io::stderr().is_terminal() && commits.len() > 50).then(|| {
        let b = indicatif::ProgressBar::new(commits.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} scanning commits {pos}/{len} [{bar:30}] {eta}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        b
    });
    // Commits are dealt out in turn, so old and new, large and small, spread evenly
    // over the workers and they finish together.
    let results: Vec<anyhow::Result<Outcome>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|k| {
                let part: Vec<&str> = commits
                    .iter()
                    .skip(k)
                    .step_by(workers)
                    .map(String::as_str)
                    .collect();
                let bar = bar.clone();
                s.spawn(move || scan_part(repo, scanner, &part, bar.as_ref()))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a scan worker panicked")))
            })
            .collect()
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let mut total = Outcome {
        commits_scanned: Some(0),
        ..Outcome::default()
    };
    for r in results {
        total.merge(r?);
    }
    total.sort();
    Ok(total)
}

fn scan_part(
    repo: &Repo,
    scanner: &Scanner,
    part: &[&str],
    bar: Option<&indicatif::ProgressBar>,
) -> anyhow::Result<Outcome> {
    let mut child = repo.spawn(&log_args(), Stdio::piped())?;
    let mut stdin = child.stdin.take().expect("stdin piped");
    let input: Vec<u8> = part
        .iter()
        .flat_map(|c| format!("{c}\n").into_bytes())
        .collect();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let stdout = child.stdout.take().expect("stdout piped");
    let mut out = Outcome {
        commits_scanned: Some(0),
        ..Outcome::default()
    };
    let mut commit: Option<String> = None;
    let mut files: Vec<FileDiff> = Vec::new();
    let mut failure: Option<anyhow::Error> = None;
    let mut flush = |commit: &Option<String>, files: &mut Vec<FileDiff>, out: &mut Outcome| {
        if let Some(c) = commit {
            if let Err(e) = scan_files(repo, scanner, std::mem::take(files), Some(c), out) {
                failure.get_or_insert(e);
            }
            *out.commits_scanned.get_or_insert(0) += 1;
            if let Some(b) = bar {
                b.inc(1);
            }
        }
    };
    diff::parse(
        BufReader::with_capacity(256 * 1024, stdout),
        scanner.max_file_size,
        |e| match e {
            Event::Commit(c) => {
                flush(&commit, &mut files, &mut out);
                commit = Some(c.to_string());
            }
            Event::File(f) => files.push(f),
        },
    )
    .context("reading git log output")?;
    flush(&commit, &mut files, &mut out);
    let _ = feeder.join();
    let output = child.wait_with_output()?;
    if !output.status.success() {
        anyhow::bail!(
            "git log failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(out)
}
