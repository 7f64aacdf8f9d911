//! The one place that runs git. Every call is plumbing with stable output: `-z` where
//! paths are listed, `core.quotePath=false`, no colour, no external diff or textconv,
//! so a user's configuration cannot change what we parse.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not run git ({0}): is git installed and on PATH?")]
    Spawn(#[source] std::io::Error),
    #[error("git {args} failed: {stderr}")]
    Failed { args: String, stderr: String },
    #[error(
        "not inside a git repository (run this in a repository, or use `vouchsafe scan path`)"
    )]
    NotARepo,
    #[error("GIT_INDEX_FILE points at {0}, which does not exist")]
    MissingIndex(PathBuf),
    #[error("reading git output: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

/// A repository as git sees it from the current process.
#[derive(Debug, Clone)]
pub struct Repo {
    /// Where git runs: the work-tree top when there is one, else the git dir (bare).
    pub cwd: PathBuf,
    /// The work-tree top, `None` in a bare repository.
    pub work_tree: Option<PathBuf>,
}

/// The base `git` command for this process: configuration that affects parsing is
/// pinned, and a relative `GIT_INDEX_FILE` is made absolute (git resolves it against
/// the work-tree top, not our cwd).
pub fn git_cmd(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .args([
            "-c",
            "core.quotePath=false",
            "-c",
            "color.ui=false",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "diff.noprefix=false",
            "-c",
            "diff.mnemonicPrefix=false",
        ])
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_EXTERNAL_DIFF");
    cmd
}

fn describe(args: &[&OsStr]) -> String {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Repo {
    /// Finds the repository around the current directory without running git: walks
    /// up to the first `.git` (a directory, or the file of a worktree or submodule).
    /// `GIT_WORK_TREE`/`GIT_DIR`, as git sets them for hooks, take precedence.
    pub fn discover() -> Result<Repo> {
        if let Some(wt) = std::env::var_os("GIT_WORK_TREE") {
            let wt = absolute(Path::new(&wt));
            return Ok(Repo {
                cwd: wt.clone(),
                work_tree: Some(wt),
            });
        }
        let cwd = std::env::current_dir()?;
        if let Some(gd) = std::env::var_os("GIT_DIR") {
            let gd = absolute(Path::new(&gd));
            // In a hook git exports GIT_DIR with cwd at the work-tree top (linked
            // worktrees, submodules) or inside the git dir (bare, server hooks).
            if is_bare_dir(&gd) && (cwd == gd || cwd.starts_with(&gd)) {
                return Ok(Repo {
                    cwd: gd,
                    work_tree: None,
                });
            }
            return Ok(Repo {
                cwd: cwd.clone(),
                work_tree: Some(cwd),
            });
        }
        let mut dir = cwd.as_path();
        loop {
            if dir.join(".git").exists() {
                return Ok(Repo {
                    cwd: dir.to_path_buf(),
                    work_tree: Some(dir.to_path_buf()),
                });
            }
            match dir.parent() {
                Some(p) => dir = p,
                None => break,
            }
        }
        // A bare repository, or a git dir we are standing in.
        let out = git_cmd(&cwd)
            .args(["rev-parse", "--is-bare-repository", "--absolute-git-dir"])
            .stderr(Stdio::null())
            .output()
            .map_err(Error::Spawn)?;
        if !out.status.success() {
            return Err(Error::NotARepo);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let bare = lines.next() == Some("true");
        let gd = lines.next().map(PathBuf::from).ok_or(Error::NotARepo)?;
        if bare {
            Ok(Repo {
                cwd: gd,
                work_tree: None,
            })
        } else {
            Err(Error::NotARepo)
        }
    }

    pub fn cmd(&self) -> Command {
        git_cmd(&self.cwd)
    }

    /// Runs git to completion and returns stdout; a non-zero exit is an error that
    /// carries git's own message.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Vec<u8>> {
        self.run_stdin(args, None)
    }

    pub fn run_stdin<S: AsRef<OsStr>>(&self, args: &[S], input: Option<&[u8]>) -> Result<Vec<u8>> {
        let mut cmd = self.cmd();
        cmd.args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(Error::Spawn)?;
        if let Some(data) = input {
            let mut stdin = child.stdin.take().expect("stdin was piped");
            let data = data.to_vec();
            // Feed stdin from a thread so a large input cannot deadlock against a
            // full stdout pipe.
            let feeder = std::thread::spawn(move || {
                let _ = stdin.write_all(&data);
            });
            let out = child.wait_with_output()?;
            let _ = feeder.join();
            return check(args, out);
        }
        let out = child.wait_with_output()?;
        check(args, out)
    }

    /// Like `run`, but `None` when git exits non-zero (a missing object, say).
    pub fn try_run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Option<Vec<u8>>> {
        match self.run(args) {
            Ok(out) => Ok(Some(out)),
            Err(Error::Failed { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Starts git with stdout piped, for output that is read as a stream.
    pub fn spawn<S: AsRef<OsStr>>(&self, args: &[S], stdin: Stdio) -> Result<Child> {
        self.cmd()
            .args(args)
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(Error::Spawn)
    }

    /// `git rev-list --no-merges <args> --`: commit ids, newest first.
    pub fn rev_list(&self, args: &[String]) -> Result<Vec<String>> {
        let mut all: Vec<&str> = vec!["--no-merges"];
        all.extend(args.iter().map(String::as_str));
        self.rev_list_all(&all)
    }

    /// The commit HEAD points at, `None` on an unborn branch.
    pub fn head(&self) -> Result<Option<String>> {
        Ok(self
            .try_run(&["rev-parse", "-q", "--verify", "HEAD^{commit}"])?
            .map(|o| String::from_utf8_lossy(&o).trim().to_string()))
    }

    /// The empty tree's id in this repository's hash format.
    pub fn empty_tree(&self) -> Result<String> {
        let out = self.run(&["hash-object", "-t", "tree", "--stdin"])?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }

    /// The content of `rev:path`, `None` when it does not exist.
    pub fn show_blob(&self, rev: &str, path: &str) -> Result<Option<Vec<u8>>> {
        self.try_run(&["cat-file", "blob", &format!("{rev}:{path}")])
    }

    /// Checks that `GIT_INDEX_FILE`, when set, names an index that exists: git treats
    /// a missing one as empty, which would make every staged file look deleted.
    pub fn check_index_file(&self) -> Result<()> {
        if let Some(idx) = std::env::var_os("GIT_INDEX_FILE") {
            let p = PathBuf::from(&idx);
            let p = if p.is_absolute() { p } else { self.cwd.join(p) };
            if !p.exists() {
                return Err(Error::MissingIndex(p));
            }
        }
        Ok(())
    }

    /// Reads many blobs through one `git cat-file --batch`. Missing objects and
    /// blobs larger than `max` come back as `None` (the size is still reported).
    pub fn read_blobs(&self, oids: &[String], max: u64) -> Result<Vec<(u64, Option<Vec<u8>>)>> {
        if oids.is_empty() {
            return Ok(Vec::new());
        }
        // Sizes first, so a huge blob is never read at all.
        let list: Vec<u8> = oids
            .iter()
            .flat_map(|o| format!("{o}\n").into_bytes())
            .collect();
        let check = self.run_stdin(&["cat-file", "--batch-check"], Some(&list))?;
        let sizes: Vec<Option<u64>> = String::from_utf8_lossy(&check)
            .lines()
            .map(|l| {
                let parts: Vec<&str> = l.split_whitespace().collect();
                (parts.len() == 3).then(|| parts[2].parse().ok()).flatten()
            })
            .collect();
        let wanted: Vec<&String> = oids
            .iter()
            .zip(&sizes)
            .filter(|(_, s)| s.is_some_and(|s| s <= max))
            .map(|(o, _)| o)
            .collect();
        let mut contents: Vec<Vec<u8>> = Vec::with_capacity(wanted.len());
        if !wanted.is_empty() {
            let mut child = self.spawn(&["cat-file", "--batch"], Stdio::piped())?;
            let mut stdin = child.stdin.take().expect("stdin piped");
            let stdout = child.stdout.take().expect("stdout piped");
            let mut reader = BufReader::new(stdout);
            for oid in &wanted {
                writeln!(stdin, "{oid}")?;
                stdin.flush()?;
                let mut header = String::new();
                reader.read_line(&mut header)?;
                let size: usize = header
                    .split_whitespace()
                    .nth(2)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let mut buf = vec![0u8; size + 1];
                reader.read_exact(&mut buf)?;
                buf.pop();
                contents.push(buf);
            }
            drop(stdin);
            let _ = child.wait();
        }
        let mut contents = contents.into_iter();
        Ok(sizes
            .into_iter()
            .map(|s| match s {
                Some(size) if size <= max => (size, contents.next()),
                Some(size) => (size, None),
                None => (0, None),
            })
            .collect())
    }
}

fn check<S: AsRef<OsStr>>(args: &[S], out: std::process::Output) -> Result<Vec<u8>> {
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let a: Vec<&OsStr> = args.iter().map(|s| s.as_ref()).collect();
        Err(Error::Failed {
            args: describe(&a),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

fn is_bare_dir(p: &Path) -> bool {
    p.join("HEAD").is_file() && p.join("objects").is_dir() && !p.ends_with(".git")
}

pub fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|c| c.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

/// Turns a path as git prints it (C-quoted when it holds special bytes) back into
/// the raw bytes.
pub fn unquote(s: &[u8]) -> Vec<u8> {
    if s.len() < 2 || s[0] != b'"' || s[s.len() - 1] != b'"' {
        return s.to_vec();
    }
    let inner = &s[1..s.len() - 1];
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let c = inner[i];
        if c != b'\\' || i + 1 >= inner.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let e = inner[i + 1];
        i += 2;
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut v: u32 = u32::from(e - b'0');
                let mut n = 1;
                while n < 3 && i < inner.len() && (b'0'..=b'7').contains(&inner[i]) {
                    v = v * 8 + u32::from(inner[i] - b'0');
                    i += 1;
                    n += 1;
                }
                out.push(v as u8);
            }
            other => out.push(other),
        }
    }
    out
}

/// Shows a path from git for a person: as-is when it is plain UTF-8 without control
/// characters, else C-quoted the way git quotes it, so a newline in a name cannot
/// forge a line of the report.
pub fn display_path(p: &[u8]) -> String {
    match std::str::from_utf8(p) {
        Ok(s) if !s.chars().any(|c| c.is_control() || c == '"') => s.to_string(),
        _ => {
            let mut out = String::from("\"");
            for chunk in p.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c {
                        '\n' => out.push_str("\\n"),
                        '\t' => out.push_str("\\t"),
                        '\r' => out.push_str("\\r"),
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        c if c.is_control() => {
                            let mut b = [0u8; 4];
                            for byte in c.encode_utf8(&mut b).bytes() {
                                out.push_str(&format!("\\{byte:03o}"));
                            }
                        }
                        c => out.push(c),
                    }
                }
                for byte in chunk.invalid() {
                    out.push_str(&format!("\\{byte:03o}"));
                }
            }
            out.push('"');
            out
        }
    }
}

/// A path for machine-readable output: the path itself when it is UTF-8 (JSON can
/// carry any character), else C-quoted as git does.
pub fn text_path(p: &[u8]) -> String {
    match std::str::from_utf8(p) {
        Ok(s) => s.to_string(),
        Err(_) => display_path(p),
    }
}

/// Path bytes from an `OsStr` (Unix paths are bytes; elsewhere, UTF-8 lossy).
pub fn os_bytes(s: &OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        s.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        s.to_string_lossy().into_owned().into_bytes()
    }
}

pub fn os_string(b: &[u8]) -> OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        OsString::from_vec(b.to_vec())
    }
    #[cfg(not(unix))]
    {
        OsString::from(String::from_utf8_lossy(b).into_owned())
    }
}

// ---------------------------------------------------------------------------------
// Installer helpers (used by src/install/ and the demo): where hooks live, config
// values with their scope, the global and system configuration, git's version.

/// Variables that tie a git process to one repository; cleared when git is asked
/// about configuration outside any repository.
pub const REPO_ENV_VARS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_NAMESPACE",
    "GIT_QUARANTINE_PATH",
];

impl Repo {
    /// A path from `git rev-parse --path-format=absolute <args>` (git >= 2.31).
    pub fn rev_parse_path(&self, args: &[&str]) -> Result<PathBuf> {
        let mut full = vec!["rev-parse", "--path-format=absolute"];
        full.extend_from_slice(args);
        let out = self.run(&full)?;
        let text = out.strip_suffix(b"\n").unwrap_or(&out);
        Ok(PathBuf::from(os_string(text)))
    }

    /// The hooks directory git really uses: honours `core.hooksPath`, and linked
    /// worktrees share the main repository's.
    pub fn hooks_dir(&self) -> Result<PathBuf> {
        self.rev_parse_path(&["--git-path", "hooks"])
    }

    /// The directory shared by all worktrees (`.git` of the main work tree).
    pub fn common_dir(&self) -> Result<PathBuf> {
        self.rev_parse_path(&["--git-common-dir"])
    }

    /// This worktree's own git directory (index, `CHERRY_PICK_HEAD`, rebase state).
    /// Found without running git where the layout says it: `GIT_DIR` as git exports
    /// it to hooks, a `.git` directory, or the `gitdir:` line of a `.git` file
    /// (linked worktrees, submodules); git is asked only otherwise.
    pub fn git_dir(&self) -> Result<PathBuf> {
        if let Some(gd) = std::env::var_os("GIT_DIR") {
            return Ok(absolute(Path::new(&gd)));
        }
        match &self.work_tree {
            None => return Ok(self.cwd.clone()),
            Some(top) => {
                let dot = top.join(".git");
                if dot.is_dir() {
                    return Ok(dot);
                }
                if let Ok(text) = std::fs::read_to_string(&dot) {
                    if let Some(rest) = text.lines().next().and_then(|l| l.strip_prefix("gitdir: "))
                    {
                        let p = Path::new(rest.trim());
                        return Ok(if p.is_absolute() {
                            p.to_path_buf()
                        } else {
                            top.join(p)
                        });
                    }
                }
            }
        }
        let out = self.run(&["rev-parse", "--absolute-git-dir"])?;
        let text = out.strip_suffix(b"\n").unwrap_or(&out);
        Ok(PathBuf::from(os_string(text)))
    }

    /// Every value of a multi-valued key with the scope that set it (`local`,
    /// `worktree`, `global`, `system`, `command`), in the order git reads them.
    pub fn config_with_scope(&self, key: &str) -> Result<Vec<(String, String)>> {
        let out = self
            .try_run(&["config", "--show-scope", "--get-all", "-z", key])?
            .unwrap_or_default();
        let mut parts = out.split(|&b| b == 0);
        let mut values = Vec::new();
        while let (Some(scope), Some(value)) = (parts.next(), parts.next()) {
            values.push((
                String::from_utf8_lossy(scope).into_owned(),
                String::from_utf8_lossy(value).into_owned(),
            ));
        }
        Ok(values)
    }

    /// Paths under `dir` that are tracked in this repository's index.
    pub fn tracked_under(&self, dir: &Path) -> Result<bool> {
        let out = self.try_run(&[
            OsStr::new("ls-files"),
            OsStr::new("-z"),
            OsStr::new("--"),
            dir.as_os_str(),
        ])?;
        Ok(out.is_some_and(|o| !o.is_empty()))
    }
}

/// A `git config` command outside any repository: the global or system file only.
fn config_outside(scope: &str) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(std::env::temp_dir())
        .arg("config")
        .arg(format!("--{scope}"))
        .env("LC_ALL", "C");
    for v in REPO_ENV_VARS {
        cmd.env_remove(v);
    }
    cmd
}

/// `git config --global|--system <args>`: stdout, or `None` when git exits 1 (the
/// key is not set). Any other failure is an error.
pub fn config_scoped(scope: &str, args: &[&str]) -> Result<Option<Vec<u8>>> {
    let out = config_outside(scope)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(Error::Spawn)?;
    if out.status.code() == Some(1) && out.stdout.is_empty() {
        return Ok(None);
    }
    let mut full = vec!["config".to_string(), format!("--{scope}")];
    full.extend(args.iter().map(|a| a.to_string()));
    check(&full, out).map(Some)
}

/// Every value of `key` in the global (or system) configuration; with `path`, as
/// git expands it (`~/hooks` becomes `$HOME/hooks`).
pub fn config_values(scope: &str, key: &str, path: bool) -> Result<Vec<String>> {
    let mut args = vec!["--get-all", "-z"];
    if path {
        args.push("--type=path");
    }
    args.push(key);
    let out = config_scoped(scope, &args)?.unwrap_or_default();
    Ok(out
        .split(|&b| b == 0)
        .filter(|v| !v.is_empty())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect())
}

/// git's version as (major, minor, patch).
pub fn version() -> Result<(u32, u32, u32)> {
    let out = Command::new("git")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(Error::Spawn)?;
    let out = check(&["--version"], out)?;
    let text = String::from_utf8_lossy(&out);
    // "git version 2.47.3" (Apple adds " (Apple Git-...)", Windows ".windows.1").
    let v = text.split_whitespace().nth(2).unwrap_or("");
    let mut nums = v.split('.').map(|p| {
        p.chars()
            .take_while(|c| c.is_ascii_digit())
            .collect::<String>()
            .parse::<u32>()
            .unwrap_or(0)
    });
    Ok((
        nums.next().unwrap_or(0),
        nums.next().unwrap_or(0),
        nums.next().unwrap_or(0),
    ))
}

/// A plain `git` command as a person would type it, in `dir`: for the demo, which
/// shows real git commands and their own output.
pub fn plain_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir);
    cmd
}

// ---------------------------------------------------------------------------------
// Assistant detection helpers (used by src/ai/ and the commit-msg hook): configuration
// by pattern in one call, the git and common dirs in one call, the identity a commit
// would get, who last changed a file.

impl Repo {
    /// `git config -z --get-regexp <re>`: (key, raw value) pairs in the order git reads
    /// them (keys as git prints them: section and name lower-cased). None set: empty.
    pub fn config_regexp(&self, re: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let out = self
            .try_run(&["config", "-z", "--get-regexp", re])?
            .unwrap_or_default();
        Ok(out
            .split(|&b| b == 0)
            .filter(|e| !e.is_empty())
            .map(|e| match e.iter().position(|&b| b == b'\n') {
                Some(i) => (
                    String::from_utf8_lossy(&e[..i]).into_owned(),
                    e[i + 1..].to_vec(),
                ),
                None => (String::from_utf8_lossy(e).into_owned(), Vec::new()),
            })
            .collect())
    }

    /// This worktree's git dir and the common dir, with one git call.
    pub fn git_dirs(&self) -> Result<(PathBuf, PathBuf)> {
        let out = self.run(&[
            "rev-parse",
            "--path-format=absolute",
            "--git-dir",
            "--git-common-dir",
        ])?;
        let mut lines = out.split(|&b| b == b'\n').filter(|l| !l.is_empty());
        let (Some(gd), Some(cd)) = (lines.next(), lines.next()) else {
            return Err(Error::Failed {
                args: "rev-parse --git-dir --git-common-dir".into(),
                stderr: "unexpected output".into(),
            });
        };
        Ok((PathBuf::from(os_string(gd)), PathBuf::from(os_string(cd))))
    }

    /// What [`Repo::git_dirs`] says, found without running git where the layout says
    /// it (the commit hooks): the git dir as [`Repo::git_dir`] finds it; the common dir
    /// from `GIT_COMMON_DIR`, else the `commondir` file of a linked worktree's git dir
    /// (relative to that dir, resolved as git resolves it), else the git dir itself.
    pub fn git_dirs_fast(&self) -> Result<(PathBuf, PathBuf)> {
        let gd = self.git_dir()?;
        if let Some(cd) = std::env::var_os("GIT_COMMON_DIR").filter(|v| !v.is_empty()) {
            return Ok((gd, absolute(Path::new(&cd))));
        }
        match std::fs::read(gd.join("commondir")) {
            Ok(text) => {
                let text = text.strip_suffix(b"\n").unwrap_or(&text);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                let p = PathBuf::from(os_string(text));
                let joined = if p.is_absolute() { p } else { gd.join(p) };
                match std::fs::canonicalize(&joined) {
                    Ok(cd) => Ok((gd, cd)),
                    // A dangling `commondir`: let git say what it makes of it.
                    Err(_) => self.git_dirs(),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let cd = gd.clone();
                Ok((gd, cd))
            }
            Err(_) => self.git_dirs(),
        }
    }

    /// The identity the next commit would get (`GIT_AUTHOR_IDENT`, `GIT_COMMITTER_IDENT`)
    /// as `Name <email>`, `None` when git has none.
    pub fn ident(&self, which: &str) -> Result<Option<String>> {
        Ok(self.try_run(&["var", which])?.map(|o| {
            let s = String::from_utf8_lossy(&o).trim().to_string();
            match s.rfind('>') {
                Some(i) => s[..=i].to_string(),
                None => s,
            }
        }))
    }

    /// The author (`Name <email>`) and short id of the last commit that changed `path`.
    pub fn last_change(&self, path: &str) -> Result<Option<(String, String)>> {
        let out = self.try_run(&["log", "-1", "--format=%an <%ae>%x00%h", "HEAD", "--", path])?;
        Ok(out.and_then(|o| {
            let s = String::from_utf8_lossy(&o).trim().to_string();
            let (who, id) = s.split_once('\0')?;
            Some((who.to_string(), id.to_string()))
        }))
    }
}

// ---------------------------------------------------------------------------------
// Attestation helpers (used by src/attest/): the tree of the index, verbatim patch
// ids of a change between two trees or of many commits in one pipeline, commit
// objects, revision lists.

/// The options that make a diff whose patch id means the same on every machine: no
/// rename detection, no external diff or textconv, full blob ids (so binary changes
/// are told apart), every path recursed.
const PATCH_DIFF: &[&str] = &[
    "-p",
    "--full-index",
    "--no-renames",
    "--no-ext-diff",
    "--no-textconv",
    "-r",
];

/// Parses `git patch-id` output: `<patch-id> <commit-id>` lines.
fn parse_patch_ids(out: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(out)
        .lines()
        .filter_map(|l| {
            let (p, c) = l.split_once(' ')?;
            Some((p.trim().to_string(), c.trim().to_string()))
        })
        .collect()
}

impl Repo {
    /// Runs `first | second` (both git) and returns the second's stdout.
    pub fn run_pipe<S: AsRef<OsStr>, T: AsRef<OsStr>>(
        &self,
        first: &[S],
        first_stdin: Option<&[u8]>,
        second: &[T],
    ) -> Result<Vec<u8>> {
        let mut a = self
            .cmd()
            .args(first)
            .stdin(if first_stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(Error::Spawn)?;
        let feeder = match (first_stdin, a.stdin.take()) {
            (Some(data), Some(mut stdin)) => {
                let data = data.to_vec();
                Some(std::thread::spawn(move || {
                    let _ = stdin.write_all(&data);
                }))
            }
            _ => None,
        };
        let a_out = a.stdout.take().expect("stdout piped");
        let b = self
            .cmd()
            .args(second)
            .stdin(Stdio::from(a_out))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(Error::Spawn)?;
        let b_out = b.wait_with_output()?;
        let mut a_err = Vec::new();
        if let Some(mut e) = a.stderr.take() {
            let _ = e.read_to_end(&mut a_err);
        }
        let a_status = a.wait()?;
        if let Some(f) = feeder {
            let _ = f.join();
        }
        if !a_status.success() {
            let a: Vec<&OsStr> = first.iter().map(|s| s.as_ref()).collect();
            return Err(Error::Failed {
                args: describe(&a),
                stderr: String::from_utf8_lossy(&a_err).trim().to_string(),
            });
        }
        check(second, b_out)
    }

    /// The tree the index would commit (`git write-tree`; honours `GIT_INDEX_FILE`).
    pub fn write_tree(&self) -> Result<String> {
        let out = self.run(&["write-tree"])?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }

    /// The verbatim patch id (`git patch-id --verbatim`, whitespace counted) of the
    /// change from tree-ish `from` to tree-ish `to`; `None` when there is no diff.
    pub fn patch_id_between(&self, from: &str, to: &str) -> Result<Option<String>> {
        let mut args: Vec<&str> = vec!["diff-tree"];
        args.extend_from_slice(PATCH_DIFF);
        args.extend_from_slice(&[from, to]);
        let out = self.run_pipe(&args, None, &["patch-id", "--verbatim"])?;
        Ok(parse_patch_ids(&out).into_iter().next().map(|(p, _)| p))
    }

    /// Verbatim patch ids of many commits against their first parent (the empty tree
    /// for a root commit), in one `diff-tree --stdin | patch-id` pipeline. Commits with
    /// an empty diff, and merges, are absent from the result.
    pub fn patch_ids_of_commits(&self, commits: &[String]) -> Result<Vec<(String, String)>> {
        if commits.is_empty() {
            return Ok(Vec::new());
        }
        let mut args: Vec<&str> = vec!["diff-tree", "--stdin", "--root"];
        args.extend_from_slice(PATCH_DIFF);
        let input: String = commits.iter().map(|c| format!("{c}\n")).collect();
        let out = self.run_pipe(&args, Some(input.as_bytes()), &["patch-id", "--verbatim"])?;
        // patch-id prints `<patch-id> <commit>`.
        Ok(parse_patch_ids(&out)
            .into_iter()
            .map(|(p, c)| (c, p))
            .collect())
    }

    /// Commit ids of `git rev-list <args>` (merges included), newest first.
    pub fn rev_list_all(&self, args: &[&str]) -> Result<Vec<String>> {
        let mut full = vec!["rev-list"];
        full.extend_from_slice(args);
        full.push("--");
        let out = self.run(&full)?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect())
    }

    /// HEAD and its parents (`rev-list --parents -n1 HEAD`); `None` on an unborn branch.
    pub fn head_with_parents(&self) -> Result<Option<(String, Vec<String>)>> {
        let out = self.try_run(&["rev-list", "--parents", "-n1", "HEAD", "--"])?;
        Ok(out.and_then(|o| {
            let text = String::from_utf8_lossy(&o);
            let mut ids = text.split_whitespace().map(str::to_string);
            let head = ids.next()?;
            Some((head, ids.collect()))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes_git_c_style_paths() {
        assert_eq!(unquote(b"plain.txt"), b"plain.txt");
        assert_eq!(unquote(b"\"a\\nb.txt\""), b"a\nb.txt");
        assert_eq!(unquote(b"\"caf\\303\\251\""), "café".as_bytes());
        assert_eq!(unquote(b"\"q\\\"uote\\\\\""), b"q\"uote\\");
    }

    /// Runs git in `dir` for a test, hermetic enough: no user or system configuration.
    fn test_git(dir: &Path, args: &[&str]) {
        let out = Command::new("git")
            .current_dir(dir)
            .args(["-c", "user.name=T", "-c", "user.email=t@example.org"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_COMMON_DIR")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
    }

    #[test]
    fn git_dirs_fast_agree_with_git() {
        if std::env::var_os("GIT_DIR").is_some() || std::env::var_os("GIT_COMMON_DIR").is_some() {
            return; // run from inside a hook: git's answer is the environment's
        }
        let d = tempfile::tempdir().expect("tmp");
        let main = d.path().join("main");
        std::fs::create_dir(&main).expect("mkdir");
        test_git(&main, &["init", "-q"]);
        test_git(&main, &["commit", "-q", "--allow-empty", "-m", "x"]);
        test_git(&main, &["worktree", "add", "-q", "../linked"]);
        let canon = |p: PathBuf| std::fs::canonicalize(&p).unwrap_or(p);
        for top in [main.clone(), d.path().join("linked")] {
            let repo = Repo {
                cwd: top.clone(),
                work_tree: Some(top.clone()),
            };
            let (gd, cd) = repo.git_dirs().expect("git says");
            let (fgd, fcd) = repo.git_dirs_fast().expect("layout says");
            assert_eq!(canon(fgd), canon(gd), "git dir of {}", top.display());
            assert_eq!(canon(fcd), canon(cd), "common dir of {}", top.display());
        }
        assert!(
            d.path().join("linked").join(".git").is_file(),
            "a linked worktree has a .git file"
        );
    }

    #[test]
    fn displays_odd_paths_quoted() {
        assert_eq!(display_path(b"src/main.rs"), "src/main.rs");
        assert_eq!(display_path(b"with space.txt"), "with space.txt");
        assert_eq!(display_path(b"a\nb"), "\"a\\nb\"");
        assert_eq!(display_path(b"bad\xffname"), "\"bad\\377name\"");
        assert_eq!(display_path("café".as_bytes()), "café");
    }
}
