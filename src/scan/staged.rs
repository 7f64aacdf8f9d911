//! `scan staged`: exactly what the next commit will contain. The diff of the index
//! (`GIT_INDEX_FILE` when git sets it, so `commit -a` and `commit <paths>` are right)
//! against HEAD, or against the empty tree before the first commit; only added lines.

use std::io::{BufReader, Read};

use anyhow::Context;

use super::diff::{self, Event, FileDiff};
use super::{Lines, Outcome, Scanner, SkipReason, Skipped};
use crate::git::Repo;

/// Reads the staged diff. The policy is loaded by the caller while git works.
pub fn staged_diff(repo: &Repo, max_bytes: u64) -> anyhow::Result<Vec<FileDiff>> {
    repo.check_index_file()?;
    let run = |base: &str| -> anyhow::Result<Option<Vec<FileDiff>>> {
        let mut args: Vec<&str> = vec!["diff-index", "--cached", "--ita-invisible-in-index"];
        args.extend_from_slice(diff::PATCH_ARGS);
        args.extend([base, "--"]);
        let mut child = repo.spawn(&args, std::process::Stdio::null())?;
        let stdout = child.stdout.take().expect("stdout piped");
        let mut files = Vec::new();
        diff::parse(
            BufReader::with_capacity(64 * 1024, stdout),
            max_bytes,
            |e| {
                if let Event::File(f) = e {
                    files.push(f);
                }
            },
        )
        .context("reading the staged diff from git")?;
        let mut err = String::new();
        if let Some(mut s) = child.stderr.take() {
            let _ = s.read_to_string(&mut err);
        }
        let status = child.wait()?;
        if status.success() {
            Ok(Some(files))
        } else if base == "HEAD" {
            Ok(None)
        } else {
            anyhow::bail!("git diff-index failed: {}", err.trim())
        }
    };
    if let Some(files) = run("HEAD")? {
        return Ok(files);
    }
    // No HEAD: the first commit. Everything staged is added.
    if repo.head()?.is_some() {
        anyhow::bail!("git diff-index --cached HEAD failed; is the index readable?");
    }
    let empty = repo.empty_tree()?;
    Ok(run(&empty)?.unwrap_or_default())
}

/// Scans the file sections of a diff (staged, or one commit's), re-reading from git
/// the files git called binary: a file marked binary by attributes but holding text
/// is scanned whole.
pub fn scan_files(
    repo: &Repo,
    scanner: &Scanner,
    files: Vec<FileDiff>,
    commit: Option<&str>,
    out: &mut Outcome,
) -> anyhow::Result<()> {
    let mut binaries: Vec<(Vec<u8>, String)> = Vec::new();
    for f in files {
        if f.deleted && f.text.is_empty() {
            continue;
        }
        let skip = |reason| Skipped::new(&f.path, reason, commit);
        if f.is_submodule() {
            out.skipped.push(skip(SkipReason::Submodule));
            continue;
        }
        if scanner.path_allowed(&f.path) {
            out.skipped.push(skip(SkipReason::AllowedPath));
            continue;
        }
        if f.binary {
            if let Some(oid) = &f.new_oid {
                binaries.push((f.path.clone(), oid.clone()));
            }
            continue;
        }
        if f.truncated || f.added_bytes > scanner.max_file_size {
            out.skipped.push(skip(SkipReason::TooLarge));
            continue;
        }
        if f.is_lfs_pointer() {
            out.skipped.push(skip(SkipReason::LfsPointer));
            continue;
        }
        if f.text.is_empty() {
            continue;
        }
        out.files_scanned += 1;
        scanner.scan_chunk(&f.text, &f.path, Lines::Added(&f.lines), commit, out);
    }
    if !binaries.is_empty() {
        let oids: Vec<String> = binaries.iter().map(|(_, o)| o.clone()).collect();
        let blobs = repo.read_blobs(&oids, scanner.max_file_size)?;
        for ((path, _), (size, content)) in binaries.into_iter().zip(blobs) {
            let skip = |reason| Skipped::new(&path, reason, commit);
            match content {
                None if size > scanner.max_file_size => {
                    out.skipped.push(skip(SkipReason::TooLarge))
                }
                None => out.skipped.push(skip(SkipReason::Unreadable)),
                Some(data) if looks_binary(&data) => out.skipped.push(skip(SkipReason::Binary)),
                Some(data) => {
                    out.files_scanned += 1;
                    scanner.scan_chunk(&data, &path, Lines::Whole, commit, out);
                }
            }
        }
    }
    Ok(())
}

/// git's own test: a NUL byte in the first 8000 bytes.
pub fn looks_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(8000)]).is_some()
}

/// The whole staged scan: the committed policy is read while git computes the diff.
/// The policy comes back too, for what the gate does with a block.
pub fn scan_staged(repo: &Repo) -> anyhow::Result<(Outcome, crate::policy::Policy)> {
    let (policy, files) = std::thread::scope(|s| {
        let policy = s.spawn(|| crate::policy::load_committed(repo));
        let files = staged_diff(repo, super::DEFAULT_MAX_FILE_SIZE.max(1 << 26));
        (
            policy
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("policy loader panicked"))),
            files,
        )
    });
    let policy = policy?;
    let files = files?;
    let ignore = super::ignore_file::load(repo.work_tree.as_deref())?;
    let scanner = Scanner::new(&policy, ignore)?;
    let mut out = Outcome::default();
    scan_files(repo, &scanner, files, None, &mut out)?;
    out.sort();
    Ok((out, policy))
}
