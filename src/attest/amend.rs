//! Is the commit being made an `--amend`? The commit-msg hook is not told, and the
//! answer decides the parents the attestation binds (HEAD's parents instead of HEAD).
//! The git process that runs the hook is an ancestor of this one: its command line
//! says. (`git rebase -i` rewords through `git commit --amend` too.) When the process
//! tree cannot be read, the caller falls back on the message: an amend without `-m`
//! brings HEAD's own attestation trailer along.

/// `Some(true|false)` from the nearest `git` ancestor's arguments; `None` when no git
/// process could be found or read.
pub fn from_process_tree() -> Option<bool> {
    let mut pid = std::process::id();
    for _ in 0..10 {
        let (ppid, argv) = parent(pid)?;
        if ppid <= 1 {
            return None;
        }
        pid = ppid;
        if argv.first().is_some_and(|a| is_git(a)) {
            return Some(has_amend(&argv[1..]));
        }
    }
    None
}

fn is_git(arg0: &str) -> bool {
    let base = arg0.rsplit(['/', '\\']).next().unwrap_or(arg0);
    base == "git" || base == "git.exe"
}

/// The parent of `pid` and the parent's argv.
#[cfg(target_os = "linux")]
fn parent(pid: u32) -> Option<(u32, Vec<String>)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid ...`; comm may hold spaces and parentheses.
    let after = &stat[stat.rfind(')')? + 1..];
    let ppid: u32 = after.split_whitespace().nth(1)?.parse().ok()?;
    let raw = std::fs::read(format!("/proc/{ppid}/cmdline")).ok()?;
    let argv = raw
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    Some((ppid, argv))
}

/// Elsewhere on Unix, `ps` (arguments split on spaces, which is enough to find a flag).
#[cfg(all(unix, not(target_os = "linux")))]
fn parent(pid: u32) -> Option<(u32, Vec<String>)> {
    let ps = |fields: &str, p: u32| -> Option<String> {
        let out = std::process::Command::new("ps")
            .args(["-o", fields, "-p", &p.to_string()])
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let ppid: u32 = ps("ppid=", pid)?.parse().ok()?;
    let args = ps("args=", ppid)?;
    Some((ppid, args.split_whitespace().map(str::to_string).collect()))
}

#[cfg(not(unix))]
fn parent(_pid: u32) -> Option<(u32, Vec<String>)> {
    None
}

/// Whether git's arguments (global options, subcommand, its options) ask for
/// `--amend`: option values are skipped, `--` ends options, the last of `--amend` /
/// `--no-amend` wins, and unique abbreviations (`--am`) count as git accepts them.
pub fn has_amend(args: &[String]) -> bool {
    const LONG_WITH_VALUE: &[&str] = &[
        "--message",
        "--file",
        "--reuse-message",
        "--reedit-message",
        "--template",
        "--author",
        "--date",
        "--cleanup",
        "--fixup",
        "--squash",
        "--trailer",
        "--pathspec-from-file",
        "--git-dir",
        "--work-tree",
        "--namespace",
        "--config-env",
    ];
    const SHORT_WITH_VALUE: &[u8] = b"mFcCt";
    let mut amend = false;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        i += 1;
        if a == "--" {
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or(long);
            if name.len() >= 2 && "amend".starts_with(name) {
                amend = true;
            } else if let Some(neg) = name.strip_prefix("no-") {
                if neg.len() >= 2 && "amend".starts_with(neg) {
                    amend = false;
                }
            } else if !long.contains('=') && LONG_WITH_VALUE.contains(&a) {
                i += 1;
            }
            continue;
        }
        if let Some(short) = a.strip_prefix('-') {
            // A bundle such as `-am msg`: the first option that takes a value takes
            // the rest of the bundle, or the next argument when nothing is left.
            for (j, c) in short.bytes().enumerate() {
                if SHORT_WITH_VALUE.contains(&c) {
                    if j + 1 == short.len() {
                        i += 1;
                    }
                    break;
                }
            }
        }
    }
    amend
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn finds_amend_among_git_arguments() {
        assert!(has_amend(&v("commit --amend -m x")));
        assert!(has_amend(&v("-c user.name=x commit -q --am")));
        assert!(has_amend(&v("commit --amend --no-gpg-sign -e")));
        assert!(!has_amend(&v("commit -m --amend")));
        assert!(!has_amend(&v("commit -am --amend")));
        assert!(has_amend(&v("commit -amx --amend")));
        assert!(!has_amend(&v("commit --amend --no-amend")));
        assert!(!has_amend(&v("commit -- --amend")));
        assert!(!has_amend(&v("commit --author --amend")));
        assert!(!has_amend(&v("commit --all")));
        assert!(is_git("/usr/lib/git-core/git") && !is_git("gitk"));
    }
}
