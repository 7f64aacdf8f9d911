//! `scan staged`: exactly what the next commit will contain. The diff of the index
//! (`GIT_INDEX_FILE` when git sets it, so `commit -a` and `commit <paths>` are right)
//! against HEAD, or against the empty tree before the first commit; only added lines.

use std::io::{BufReader, Read};

use anyhow::Context;
use sha2::{Digest, Sha256};

use super::diff::{self, Event, FileDiff};
use super::{Lines, Outcome, Scanner, SkipReason, Skipped};
use crate::git::Repo;

/// The staged change as the diff parser saw it, and a digest of the patch bytes git
/// printed: two moments with the same digest would be judged the same.
pub struct StagedDiff {
    pub files: Vec<FileDiff>,
    pub digest: String,
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads the staged diff. The policy is loaded by the caller while git works.
pub fn staged_diff(repo: &Repo, max_bytes: u64) -> anyhow::Result<StagedDiff> {
    repo.check_index_file()?;
    let run = |base: &str| -> anyhow::Result<Option<StagedDiff>> {
        let mut args: Vec<&str> = vec!["diff-index", "--cached", "--ita-invisible-in-index"];
        args.extend_from_slice(diff::PATCH_ARGS);
        args.extend([base, "--"]);
        let mut child = repo.spawn(&args, std::process::Stdio::null())?;
        let stdout = child.stdout.take().expect("stdout piped");
        let mut reader = BufReader::with_capacity(
            64 * 1024,
            Hashing {
                inner: stdout,
                hash: Sha256::new(),
            },
        );
        let mut files = Vec::new();
        diff::parse(&mut reader, max_bytes, |e| {
            if let Event::File(f) = e {
                files.push(f);
            }
        })
        .context("reading the staged diff from git")?;
        let digest = reader
            .into_inner()
            .hash
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut err = String::new();
        if let Some(mut s) = child.stderr.take() {
            let _ = s.read_to_string(&mut err);
        }
        let status = child.wait()?;
        if status.success() {
            Ok(Some(StagedDiff { files, digest }))
        } else if base == "HEAD" {
            Ok(None)
        } else {
            anyhow::bail!("git diff-index failed: {}", err.trim())
        }
    };
    if let Some(d) = run("HEAD")? {
        return Ok(d);
    }
    // No HEAD: the first commit. Everything staged is added.
    if repo.head()?.is_some() {
        anyhow::bail!("git diff-index --cached HEAD failed; is the index readable?");
    }
    let empty = repo.empty_tree()?;
    run(&empty)?.context("git diff-index against the empty tree printed nothing")
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

/// What the staged scan concluded, with what the gate needs next.
pub struct Staged {
    pub outcome: Outcome,
    pub policy: crate::policy::Policy,
    /// Digest of the staged patch (see `StagedDiff`).
    pub digest: String,
}

/// The whole staged scan: the committed policy is read while git computes the diff.
pub fn scan_staged(repo: &Repo) -> anyhow::Result<Staged> {
    let (loaded, diff) = std::thread::scope(|s| {
        // The scanner is built as soon as the policy is in, while git still diffs.
        let loaded = s.spawn(|| -> anyhow::Result<_> {
            let policy = crate::policy::load_committed(repo)?;
            let ignore = super::ignore_file::load(repo.work_tree.as_deref());
            let scanner = ignore.and_then(|i| Scanner::new(&policy, i, super::Volume::Small));
            Ok((policy, scanner))
        });
        let diff = staged_diff(repo, super::DEFAULT_MAX_FILE_SIZE.max(1 << 26));
        (
            loaded
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("policy loader panicked"))),
            diff,
        )
    });
    let (policy, scanner) = loaded?;
    let diff = diff?;
    let scanner = scanner?;
    scanner
        .engine
        .precompile(diff.files.iter().map(|f| f.text.as_slice()));
    let mut outcome = Outcome::default();
    scan_files(repo, &scanner, diff.files, None, &mut outcome)?;
    outcome.sort();
    Ok(Staged {
        outcome,
        policy,
        digest: diff.digest,
    })
}
