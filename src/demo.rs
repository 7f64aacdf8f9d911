//! `vouchsafe demo`: a throwaway repository under a temp directory, with its own HOME
//! and git config, in which real git commands walk through every gate. It touches no
//! repository or configuration of the user's, and removes everything at the end.
//!
//! Each step is a title, the commands it runs, and what should happen (pass or
//! block); adding a gate to the demo is adding a step to `steps()`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use anyhow::Context;

use crate::Status;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Pass,
    Block,
}

/// One command of a step.
enum Cmd {
    Git(Vec<String>),
    Vouchsafe(Vec<String>),
    /// Writes a file in the work tree (shown as `cat > file`).
    Write(&'static str, String),
    /// Removes a file from the work tree (shown as `rm file`).
    Remove(&'static str),
}

struct Step {
    title: &'static str,
    explain: &'static str,
    /// Commands that set the scene; each must succeed.
    setup: Vec<Cmd>,
    /// The command the step is about, and what it should do.
    check: Cmd,
    expect: Expect,
    /// Commands that put things back for the next step.
    after: Vec<Cmd>,
}

fn git(args: &[&str]) -> Cmd {
    Cmd::Git(args.iter().map(|s| s.to_string()).collect())
}

/// A made-up GitHub token whose CRC32 checksum is right, so the scanner treats it as
/// real; built at run time, so no token-shaped literal sits in the binary's source.
fn fake_github_token(seed: &str) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut x: u64 = seed.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut body = String::new();
    while body.len() < 30 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        body.push(B62[(x % 62) as usize] as char);
    }
    let mut v = u64::from(crc32fast::hash(body.as_bytes()));
    let mut check = [0u8; 6];
    for c in check.iter_mut().rev() {
        *c = B62[(v % 62) as usize];
        v /= 62;
    }
    format!("ghp_{body}{}", String::from_utf8_lossy(&check))
}

fn steps() -> Vec<Step> {
    let token = fake_github_token("vouchsafe-demo");
    let other = fake_github_token("vouchsafe-demo-2");
    vec![
        Step {
            title: "Install the hooks",
            explain: "vouchsafe writes small shims into the repository's hooks directory; each calls this binary.",
            setup: vec![],
            check: Cmd::Vouchsafe(vec!["install".into()]),
            expect: Expect::Pass,
            after: vec![],
        },
        Step {
            title: "A clean commit passes",
            explain: "pre-commit scans exactly what is staged; nothing secret, so git goes on.",
            setup: vec![
                Cmd::Write("README.md", "# Demo\n\nA repository that vouchsafe guards.\n".into()),
                git(&["add", "README.md"]),
            ],
            check: git(&["commit", "-m", "Add a README"]),
            expect: Expect::Pass,
            after: vec![],
        },
        Step {
            title: "A commit with a secret is blocked",
            explain: "The token below is made up, but its checksum is valid, so it looks real to the scanner.",
            setup: vec![
                Cmd::Write("config.py", format!("GITHUB_TOKEN = \"{token}\"\n")),
                git(&["add", "config.py"]),
            ],
            check: git(&["commit", "-m", "Add the configuration"]),
            expect: Expect::Block,
            after: vec![],
        },
        Step {
            title: "The fix: read the secret at run time, then commit again",
            explain: "Remove the value from the file (and rotate a real one). A fixture that only looks like a \
                      secret can instead carry `vouchsafe:allow` on its line.",
            setup: vec![
                Cmd::Write(
                    "config.py",
                    "import os\n\nGITHUB_TOKEN = os.environ[\"GITHUB_TOKEN\"]\n".into(),
                ),
                git(&["add", "config.py"]),
            ],
            check: git(&["commit", "-m", "Add the configuration"]),
            expect: Expect::Pass,
            after: vec![],
        },
        Step {
            title: "A test fixture that only looks like a secret: allow it on its line",
            explain: "`vouchsafe:allow` on the same line tells the scanner this value is known and harmless.",
            setup: vec![
                Cmd::Write(
                    "tests/fixture.py",
                    format!("SAMPLE_TOKEN = \"{token}\"  # revoked sample, vouchsafe:allow\n"),
                ),
                git(&["add", "tests/fixture.py"]),
            ],
            check: git(&["commit", "-m", "Add a test fixture"]),
            expect: Expect::Pass,
            after: vec![],
        },
        Step {
            title: "`git commit --no-verify` is caught by the prepare-commit-msg backstop",
            explain: "--no-verify skips pre-commit, but git always runs prepare-commit-msg, which runs the same \
                      check when pre-commit did not.",
            setup: vec![
                Cmd::Write("deploy.sh", format!("export GH_TOKEN={other}\n")),
                git(&["add", "deploy.sh"]),
            ],
            check: git(&["commit", "--no-verify", "-m", "Add a deploy script"]),
            expect: Expect::Block,
            after: vec![git(&["rm", "-q", "--cached", "deploy.sh"]), Cmd::Remove("deploy.sh")],
        },
        Step {
            title: "A push passes through the pre-push gate",
            explain: "pre-push scans every commit about to leave; these are clean.",
            setup: vec![],
            check: git(&["push", "origin", "main"]),
            expect: Expect::Pass,
            after: vec![],
        },
        Step {
            title: "A commit made with every hook turned off is caught at push",
            explain: "Hooks can be switched off on the command line; the pre-push gate scans the commits \
                      themselves, so the secret still does not leave.",
            setup: vec![
                Cmd::Write("deploy.sh", format!("export GH_TOKEN={other}\n")),
                git(&["add", "deploy.sh"]),
                git(&["-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "Add a deploy script"]),
            ],
            check: git(&["push", "origin", "main"]),
            expect: Expect::Block,
            after: vec![git(&["reset", "-q", "--hard", "HEAD~1"])],
        },
    ]
}

struct Demo {
    exe: PathBuf,
    work: PathBuf,
    env: Vec<(&'static str, OsString)>,
}

impl Demo {
    fn command(&self, c: &Cmd) -> Option<Command> {
        let mut cmd = match c {
            Cmd::Git(args) => {
                let mut cmd = crate::git::plain_command(&self.work);
                cmd.args(args);
                cmd
            }
            Cmd::Vouchsafe(args) => {
                let mut cmd = Command::new(&self.exe);
                cmd.current_dir(&self.work).args(args);
                cmd
            }
            _ => return None,
        };
        for v in REPO_VARS {
            cmd.env_remove(v);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.stdin(Stdio::null());
        Some(cmd)
    }

    fn show(c: &Cmd) -> String {
        let words = |p: &str, a: &[String]| {
            let mut s = p.to_string();
            for w in a {
                s.push(' ');
                s.push_str(&crate::commands::shell_word(w));
            }
            s
        };
        match c {
            Cmd::Git(a) => words("git", a),
            Cmd::Vouchsafe(a) => words("vouchsafe", a),
            Cmd::Write(f, _) => format!("cat > {f}"),
            Cmd::Remove(f) => format!("rm {f}"),
        }
    }

    /// Runs one command, printing it and its output; `None` for file edits.
    fn run(&self, c: &Cmd) -> anyhow::Result<Option<Output>> {
        println!("  $ {}", Self::show(c));
        match c {
            Cmd::Write(f, text) => {
                for line in text.lines() {
                    println!("    | {line}");
                }
                let path = self.work.join(f);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(path, text)?;
                return Ok(None);
            }
            Cmd::Remove(f) => {
                std::fs::remove_file(self.work.join(f))?;
                return Ok(None);
            }
            _ => {}
        }
        let out = self
            .command(c)
            .expect("a command")
            .output()
            .with_context(|| format!("running {}", Self::show(c)))?;
        for line in String::from_utf8_lossy(&out.stdout)
            .lines()
            .chain(String::from_utf8_lossy(&out.stderr).lines())
        {
            println!("    {line}");
        }
        Ok(Some(out))
    }
}

/// Variables that would tie the demo's git to the user's repository.
const REPO_VARS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
    "GIT_NAMESPACE",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_SYSTEM",
    "GIT_EDITOR",
    "GIT_TEMPLATE_DIR",
];

pub fn run() -> anyhow::Result<Status> {
    let exe = std::env::current_exe().context("cannot tell where this vouchsafe binary is")?;
    let tmp = tempfile::Builder::new()
        .prefix("vouchsafe-demo-")
        .tempdir()
        .context("creating a temporary directory for the demo")?;
    let root = tmp.path();
    let home = root.join("home");
    std::fs::create_dir_all(&home)?;
    let gitconfig = home.join(".gitconfig");
    std::fs::write(
        &gitconfig,
        "[user]\n\tname = Demo Developer\n\temail = demo@example.invalid\n[init]\n\tdefaultBranch = main\n\
         [commit]\n\tgpgsign = false\n[core]\n\tautocrlf = false\n[advice]\n\tdetachedHead = false\n",
    )?;
    let work = root.join("work");
    let remote = root.join("remote.git");
    let env: Vec<(&'static str, OsString)> = vec![
        ("HOME", home.clone().into_os_string()),
        ("GIT_CONFIG_GLOBAL", gitconfig.into_os_string()),
        ("GIT_CONFIG_NOSYSTEM", "1".into()),
        (
            "VOUCHSAFE_HOME",
            root.join("vouchsafe-home").into_os_string(),
        ),
        ("VOUCHSAFE_BIN", exe.clone().into_os_string()),
        ("GIT_EDITOR", "true".into()),
        ("GIT_TERMINAL_PROMPT", "0".into()),
    ];
    std::fs::create_dir_all(&work)?;
    let demo = Demo {
        exe,
        work: work.clone(),
        env,
    };

    println!(
        "vouchsafe demo: a throwaway repository in {}",
        root.display()
    );
    println!("(it has its own HOME and git config; nothing of yours is touched, and it is removed at the end)");
    println!();
    println!("Setting up a repository and a local bare remote:");
    for c in [
        git(&["init", "-q"]),
        Cmd::Git(vec![
            "init".into(),
            "-q".into(),
            "--bare".into(),
            remote.display().to_string(),
        ]),
        Cmd::Git(vec![
            "remote".into(),
            "add".into(),
            "origin".into(),
            remote.display().to_string(),
        ]),
    ] {
        must_pass(&demo, &c)?;
    }

    let mut surprises = Vec::new();
    for (i, step) in steps().into_iter().enumerate() {
        println!();
        println!("{}. {}", i + 1, step.title);
        println!("   {}", step.explain);
        for c in &step.setup {
            must_pass(&demo, c)?;
        }
        let out = demo.run(&step.check)?;
        let passed = out.as_ref().is_none_or(|o| o.status.success());
        let outcome = match (passed, step.expect) {
            (true, Expect::Pass) => "=> passed, as it should".to_string(),
            (false, Expect::Block) => "=> blocked, as it should".to_string(),
            (true, Expect::Block) => {
                surprises.push(step.title);
                "=> UNEXPECTED: it passed, but should have been blocked".to_string()
            }
            (false, Expect::Pass) => {
                surprises.push(step.title);
                "=> UNEXPECTED: it was blocked or failed, but should have passed".to_string()
            }
        };
        println!("  {outcome}");
        for c in &step.after {
            must_pass(&demo, c)?;
        }
    }
    println!();
    drop(demo);
    let shown = root.display().to_string();
    tmp.close().with_context(|| format!("removing {shown}"))?;
    println!("Removed {shown}.");
    if surprises.is_empty() {
        println!("Every gate behaved as it should. In your own repository: `vouchsafe install`, then `vouchsafe status`.");
        Ok(Status::Ok)
    } else {
        println!(
            "These steps did not behave as they should: {}",
            surprises.join("; ")
        );
        Ok(Status::Blocked)
    }
}

fn must_pass(demo: &Demo, c: &Cmd) -> anyhow::Result<()> {
    if let Some(out) = demo.run(c)? {
        anyhow::ensure!(
            out.status.success(),
            "the demo's setup step `{}` failed (exit {:?}); this is a bug in the demo",
            Demo::show(c),
            out.status.code()
        );
    }
    Ok(())
}
