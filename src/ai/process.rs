//! The processes above this one: on Linux from `/proc` (no process is started), on
//! macOS and the BSDs from `ps`, elsewhere not at all.
//!
//! The tree is *complete* when the walk reaches the first process of the PID
//! namespace (pid 1). It is not when a parent is outside the namespace (a command
//! `docker exec`ed into a container: parent pid 0), when an ancestor is a sandbox
//! launcher (bubblewrap and the like put the agent outside what we can see), when a
//! process could not be read, or on a platform without a reader. Only a complete tree
//! can refute an environment marker.

use std::path::Path;

/// For vouchsafe's own test suite only, and only in debug builds: the walk stops
/// below this pid, as if it were the root, so tests do not see the processes that
/// run them (an editor, an agent). A release binary ignores it: a variable must not
/// be able to hide the process that runs git.
pub const TEST_ROOT_VAR: &str = "VOUCHSAFE_TEST_PROCESS_ROOT";

const MAX_DEPTH: usize = 64;

/// Launchers that start a command in a new PID namespace or sandbox: the assistant
/// that ran them may be outside what the walk can see.
const SANDBOXES: &[&str] = &[
    "bwrap",
    "firejail",
    "nsjail",
    "unshare",
    "proot",
    "sandbox-exec",
    "systemd-nspawn",
];

/// Interpreters whose script (first non-option argument) names the program.
const INTERPRETERS: &[&str] = &[
    "node",
    "nodejs",
    "bun",
    "deno",
    "python",
    "python3",
    "python3.*",
    "python2*",
    "pypy*",
    "ruby",
    "perl",
    "sh",
    "bash",
    "dash",
    "zsh",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    /// The kernel's short name (`comm`, 15 bytes on Linux).
    pub comm: String,
    /// The executable's path, when it can be read.
    pub exe: Option<String>,
    pub argv: Vec<String>,
}

impl Proc {
    /// The names a person would call this process by: `comm`, the executable's file
    /// name, argv[0]'s, and for an interpreter, its script's.
    pub fn names(&self) -> Vec<&str> {
        let mut v = vec![self.comm.as_str()];
        if let Some(e) = &self.exe {
            v.push(base(e));
        }
        if let Some(a0) = self.argv.first() {
            v.push(base(a0));
        }
        if let Some(s) = self.script() {
            v.push(s);
            for ext in [".js", ".mjs", ".cjs", ".py"] {
                if let Some(stem) = s.strip_suffix(ext) {
                    v.push(stem);
                }
            }
        }
        v
    }

    /// The script an interpreter runs (its first argument that is not an option).
    pub fn script(&self) -> Option<&str> {
        let a0 = base(self.argv.first()?);
        if !INTERPRETERS.iter().any(|i| super::registry::glob(i, a0)) {
            return None;
        }
        self.argv
            .iter()
            .skip(1)
            .find(|a| !a.starts_with('-'))
            .map(|s| base(s))
    }

    /// The executable path and the arguments, space-joined, for substring patterns.
    pub fn command_line(&self) -> String {
        let mut s = self.exe.clone().unwrap_or_default();
        for a in &self.argv {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    /// What a person sees: the name, and the script for an interpreter.
    pub fn label(&self) -> String {
        match self.script() {
            Some(s) if s != self.comm => format!("{} ({s})", self.comm),
            _ => self.comm.clone(),
        }
    }

    pub fn matches(&self, names: &[&str], args: &[&str]) -> bool {
        let own = self.names();
        names
            .iter()
            .any(|p| own.iter().any(|n| super::registry::glob(p, n)))
            || (!args.is_empty() && {
                let cl = self.command_line();
                args.iter().any(|a| cl.contains(a))
            })
    }
}

fn base(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// Parent first, then its parent, and so on.
    pub ancestors: Vec<Proc>,
    /// `None` when complete; else why not.
    pub incomplete: Option<String>,
    /// Set when the test hook stopped the walk.
    pub test_root: Option<u32>,
}

impl Tree {
    pub fn complete(&self) -> bool {
        self.incomplete.is_none()
    }

    /// `sh ← git ← bash ← claude`, for evidence.
    pub fn chain(&self) -> String {
        let mut s: Vec<String> = self.ancestors.iter().take(12).map(Proc::label).collect();
        if self.ancestors.len() > 12 {
            s.push("…".into());
        }
        s.join(" ← ")
    }

    /// The nearest `git` above us: both commit hooks of one commit share it.
    pub fn git_pid(&self) -> Option<u32> {
        self.ancestors
            .iter()
            .find(|p| p.comm == "git" || p.names().contains(&"git"))
            .map(|p| p.pid)
    }

    /// Walks from our parent to the root.
    pub fn read() -> Tree {
        let test_root = if cfg!(debug_assertions) {
            std::env::var(TEST_ROOT_VAR)
                .ok()
                .and_then(|v| v.trim().parse::<u32>().ok())
        } else {
            None
        };
        let mut t = read_platform(test_root);
        t.test_root = test_root;
        if t.incomplete.is_none() {
            if let Some(p) = t
                .ancestors
                .iter()
                .find(|p| SANDBOXES.iter().any(|s| p.names().contains(s)))
            {
                t.incomplete = Some(format!(
                    "{} (pid {}) may hide the processes that started it",
                    p.comm, p.pid
                ));
            }
        }
        t
    }
}

/// Follows parent links from `start` with `get`, which returns one process.
#[cfg_attr(not(unix), allow(dead_code))]
fn walk(start: u32, test_root: Option<u32>, get: &mut dyn FnMut(u32) -> Option<Proc>) -> Tree {
    let mut t = Tree::default();
    let mut pid = start;
    loop {
        if Some(pid) == test_root {
            return t;
        }
        if pid == 0 {
            t.incomplete = Some("a parent process is outside this PID namespace".into());
            return t;
        }
        if t.ancestors.len() >= MAX_DEPTH {
            t.incomplete = Some(format!("more than {MAX_DEPTH} ancestors"));
            return t;
        }
        let Some(p) = get(pid) else {
            t.incomplete = Some(format!("process {pid} could not be read"));
            return t;
        };
        let (this, parent) = (p.pid, p.ppid);
        t.ancestors.push(p);
        if this == 1 {
            return t;
        }
        pid = parent;
    }
}

#[cfg(target_os = "linux")]
fn read_platform(test_root: Option<u32>) -> Tree {
    walk(
        std::os::unix::process::parent_id(),
        test_root,
        &mut linux::read,
    )
}

#[cfg(target_os = "linux")]
mod linux {
    use super::Proc;

    pub fn read(pid: u32) -> Option<Proc> {
        let dir = format!("/proc/{pid}");
        let stat = std::fs::read(format!("{dir}/stat")).ok()?;
        let (comm, ppid) = parse_stat(&stat)?;
        let argv = std::fs::read(format!("{dir}/cmdline"))
            .map(|b| {
                b.split(|&c| c == 0)
                    .filter(|a| !a.is_empty())
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect()
            })
            .unwrap_or_default();
        let exe = std::fs::read_link(format!("{dir}/exe")).ok().map(|p| {
            p.to_string_lossy()
                .trim_end_matches(" (deleted)")
                .to_string()
        });
        Some(Proc {
            pid,
            ppid,
            comm,
            exe,
            argv,
        })
    }

    /// `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
    pub fn parse_stat(stat: &[u8]) -> Option<(String, u32)> {
        let open = stat.iter().position(|&b| b == b'(')?;
        let close = stat.iter().rposition(|&b| b == b')')?;
        let comm = String::from_utf8_lossy(stat.get(open + 1..close)?).into_owned();
        let rest = std::str::from_utf8(stat.get(close + 1..)?).ok()?;
        let ppid = rest.split_whitespace().nth(1)?.parse().ok()?;
        Some((comm, ppid))
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn read_platform(test_root: Option<u32>) -> Tree {
    read_with_ps(test_root)
}

/// The tree from `ps` (macOS, the BSDs; on Linux only in tests, against `/proc`).
#[cfg(unix)]
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn read_with_ps(test_root: Option<u32>) -> Tree {
    match ps::table() {
        Some(table) => walk(std::os::unix::process::parent_id(), test_root, &mut |pid| {
            table.get(&pid).cloned()
        }),
        None => Tree {
            incomplete: Some("`ps` could not be run".into()),
            ..Tree::default()
        },
    }
}

#[cfg(not(unix))]
fn read_platform(_test_root: Option<u32>) -> Tree {
    Tree {
        incomplete: Some("process trees are not read on this platform".into()),
        ..Tree::default()
    }
}

/// macOS and the BSDs: `ps`, three times (parent links of every process; then the
/// name and the arguments, each the last column so that spaces in them are safe).
#[cfg(unix)]
#[cfg_attr(target_os = "linux", allow(dead_code))]
mod ps {
    use std::collections::HashMap;
    use std::process::{Command, Stdio};

    use super::Proc;

    fn run(args: &[&str]) -> Option<String> {
        let out = Command::new("ps")
            .args(args)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    pub fn table() -> Option<HashMap<u32, Proc>> {
        let links = parse_links(&run(&["-A", "-o", "pid=", "-o", "ppid="])?);
        // Only the chain above us is described further.
        let mut chain = Vec::new();
        let mut pid = std::os::unix::process::parent_id();
        while let Some(&ppid) = links.get(&pid) {
            chain.push(pid.to_string());
            if pid <= 1 || chain.len() > super::MAX_DEPTH {
                break;
            }
            pid = ppid;
        }
        let list = chain.join(",");
        let comms = parse_last_column(&run(&["-ww", "-o", "pid=", "-o", "comm=", "-p", &list])?);
        let args = parse_last_column(
            &run(&["-ww", "-o", "pid=", "-o", "args=", "-p", &list]).unwrap_or_default(),
        );
        Some(
            links
                .iter()
                .filter_map(|(&pid, &ppid)| {
                    let comm = comms.get(&pid)?;
                    let argv: Vec<String> = args
                        .get(&pid)
                        .map(|a| a.split_whitespace().map(str::to_string).collect())
                        .unwrap_or_default();
                    // macOS gives comm as the executable's path.
                    let exe = comm.starts_with('/').then(|| comm.clone());
                    let short = comm.rsplit('/').next().unwrap_or(comm).to_string();
                    Some((
                        pid,
                        Proc {
                            pid,
                            ppid,
                            comm: short,
                            exe,
                            argv,
                        },
                    ))
                })
                .collect(),
        )
    }

    pub fn parse_links(text: &str) -> HashMap<u32, u32> {
        text.lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
            })
            .collect()
    }

    pub fn parse_last_column(text: &str) -> HashMap<u32, String> {
        text.lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let (pid, rest) = l.split_once(|c: char| c.is_whitespace())?;
                Some((pid.parse().ok()?, rest.trim().to_string()))
            })
            .collect()
    }
}

/// Whether a path exists (host markers such as `/opt/.devin`).
pub fn exists(p: &str) -> bool {
    Path::new(p).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: u32, ppid: u32, comm: &str, argv: &[&str]) -> Proc {
        Proc {
            pid,
            ppid,
            comm: comm.into(),
            exe: None,
            argv: argv.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn names_include_interpreted_scripts() {
        let node = p(
            5,
            1,
            "node",
            &[
                "node",
                "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js",
            ],
        );
        assert!(node.matches(&[], &["@anthropic-ai/claude-code/"]));
        assert!(node.names().contains(&"cli"));
        let aider = p(
            6,
            1,
            "python3",
            &[
                "/usr/bin/python3",
                "/home/u/.local/bin/aider",
                "--model",
                "x",
            ],
        );
        assert!(aider.matches(&["aider"], &[]));
        let vim = p(7, 1, "vim", &["vim", "aider"]);
        assert!(!vim.matches(&["aider"], &[]));
        let native = Proc {
            exe: Some("/home/u/.local/share/claude/versions/2.1.3".into()),
            ..p(8, 1, "2.1.3", &["claude"])
        };
        assert!(native.matches(&["claude"], &[]));
    }

    #[test]
    fn walk_completeness() {
        let table = [
            p(10, 9, "sh", &[]),
            p(9, 8, "git", &[]),
            p(8, 1, "bash", &[]),
            p(1, 0, "init", &[]),
        ];
        let get = |pid: u32| table.iter().find(|x| x.pid == pid).cloned();
        let t = walk(10, None, &mut { get });
        assert!(t.complete());
        assert_eq!(t.chain(), "sh ← git ← bash ← init");
        assert_eq!(t.git_pid(), Some(9));
        let t = walk(10, Some(8), &mut { get });
        assert!(t.complete());
        assert_eq!(t.ancestors.len(), 2);
        let outside = [p(10, 0, "sh", &[])];
        let t = walk(10, None, &mut |pid| {
            outside.iter().find(|x| x.pid == pid).cloned()
        });
        assert!(!t.complete());
        let t = walk(10, None, &mut |_| None);
        assert!(!t.complete());
    }

    #[cfg(unix)]
    #[test]
    fn ps_output_parses() {
        let links = ps::parse_links("  1     0\n 42     1\n 43    42\n");
        assert_eq!(links.get(&43), Some(&42));
        let c = ps::parse_last_column(
            "   42 /Applications/Cursor.app/Contents/MacOS/Cursor Helper (Plugin)\n 43 -zsh\n",
        );
        assert_eq!(
            c.get(&42).map(String::as_str),
            Some("/Applications/Cursor.app/Contents/MacOS/Cursor Helper (Plugin)")
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn stat_with_odd_comm() {
        assert_eq!(
            linux::parse_stat(b"12 (a (b) c) S 7 12 12 0"),
            Some(("a (b) c".to_string(), 7))
        );
        let me = Tree::read();
        assert!(!me.ancestors.is_empty());
        // The `ps` reader (macOS, the BSDs) sees the same chain where procps has `ps`.
        if std::process::Command::new("ps").arg("-V").output().is_ok() {
            let via_ps = read_with_ps(None);
            let names = |t: &Tree| {
                t.ancestors
                    .iter()
                    .map(|p| (p.pid, p.ppid))
                    .collect::<Vec<_>>()
            };
            assert_eq!(names(&via_ps), names(&me), "{via_ps:?}");
            assert_eq!(via_ps.ancestors[0].comm, me.ancestors[0].comm);
            assert_eq!(via_ps.ancestors[0].argv, me.ancestors[0].argv);
        }
    }
}
