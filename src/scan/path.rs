//! `scan path`: files and directories on disk, walked in parallel, honouring
//! `.gitignore` (and `.ignore`) unless told not to. Symlinks are not followed.
//! Files under `top` (the work tree, where `.vouchsafeignore` lives) are named from
//! there, as `scan staged` names them, wherever the command runs and however the
//! paths were written: fingerprints, policy `allow_paths` and SARIF URIs depend on it.

use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use super::staged::looks_binary;
use super::{Lines, Outcome, Scanner, SkipReason, Skipped};
use crate::git::os_bytes;

pub fn scan_paths(
    scanner: &Scanner,
    paths: &[PathBuf],
    no_ignore: bool,
    top: Option<&Path>,
) -> anyhow::Result<Outcome> {
    let cwd = std::env::current_dir().ok();
    for p in paths {
        if std::fs::symlink_metadata(p).is_err() {
            anyhow::bail!("{}: no such file or directory", p.display());
        }
    }
    let mut builder = WalkBuilder::new(&paths[0]);
    for p in &paths[1..] {
        builder.add(p);
    }
    builder
        .hidden(false)
        .git_ignore(!no_ignore)
        .git_exclude(!no_ignore)
        .git_global(!no_ignore)
        .ignore(!no_ignore)
        .parents(!no_ignore)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .threads(std::thread::available_parallelism().map_or(2, |n| n.get()));
    let total = Mutex::new(Outcome::default());
    builder.build_parallel().run(|| {
        let total = &total;
        let cwd = cwd.as_deref();
        let mut local = Outcome::default();
        // Each worker flushes its outcome when it is dropped (end of the walk).
        struct Flush<'a> {
            local: Outcome,
            total: &'a Mutex<Outcome>,
        }
        impl Drop for Flush<'_> {
            fn drop(&mut self) {
                let local = std::mem::take(&mut self.local);
                self.total.lock().expect("no worker panicked").merge(local);
            }
        }
        let mut flush = Flush {
            local: std::mem::take(&mut local),
            total,
        };
        Box::new(move |entry| {
            let out = &mut flush.local;
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    tracing::warn!(%err, "walk error");
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let path = entry.path();
            let rel = match (cwd, top) {
                (Some(cwd), Some(top)) => from_top(path, cwd, top),
                _ => None,
            };
            let rel = rel
                .as_deref()
                .unwrap_or_else(|| path.strip_prefix("./").unwrap_or(path));
            let pbytes = os_bytes(rel.as_os_str());
            let skip = |reason| Skipped::new(&pbytes, reason, None);
            if scanner.path_allowed(&pbytes) {
                out.skipped.push(skip(SkipReason::AllowedPath));
                return WalkState::Continue;
            }
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if size > scanner.max_file_size {
                out.skipped.push(skip(SkipReason::TooLarge));
                return WalkState::Continue;
            }
            let data = match std::fs::read(path) {
                Ok(d) => d,
                Err(_) => {
                    out.skipped.push(skip(SkipReason::Unreadable));
                    return WalkState::Continue;
                }
            };
            if looks_binary(&data) {
                out.skipped.push(skip(SkipReason::Binary));
                return WalkState::Continue;
            }
            out.files_scanned += 1;
            scanner.scan_chunk(&data, &pbytes, Lines::Whole, None, out);
            WalkState::Continue
        })
    });
    let mut out = total.into_inner().expect("no worker panicked");
    out.sort();
    Ok(out)
}

/// `path` (relative to `cwd`, or absolute) relative to `top`, with `.` and `..`
/// resolved by name; `None` when it is not under `top`.
fn from_top(path: &Path, cwd: &Path, top: &Path) -> Option<PathBuf> {
    let mut abs = PathBuf::new();
    for c in cwd.join(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                abs.pop();
            }
            c => abs.push(c),
        }
    }
    let rel = abs.strip_prefix(top).ok()?;
    (!rel.as_os_str().is_empty()).then(|| rel.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_named_from_the_top() {
        let top = Path::new("/r");
        let f = |p: &str, cwd: &str| from_top(Path::new(p), Path::new(cwd), top);
        assert_eq!(f("./a/b.txt", "/r"), Some(PathBuf::from("a/b.txt")));
        assert_eq!(f("b.txt", "/r/a"), Some(PathBuf::from("a/b.txt")));
        assert_eq!(f("../c/./d.txt", "/r/a"), Some(PathBuf::from("c/d.txt")));
        assert_eq!(
            f("/r/a/b.txt", "/elsewhere"),
            Some(PathBuf::from("a/b.txt"))
        );
        assert_eq!(f("../x.txt", "/r"), None);
        assert_eq!(f("/rr/x.txt", "/r"), None);
    }
}
