//! `vouchsafe demo`: a throwaway repository under a temp directory, with its own HOME,
//! git config and vouchsafe home (signing key, incident log), in which real git
//! commands walk through every gate. It touches no repository, key or configuration of
//! the user's, and removes everything at the end.
//!
//! Each step is a title, the commands it runs, and what should happen (pass or block,
//! and text its output must show); adding a gate to the demo is adding a step to
//! `steps()`. The demo exits 1 when any step did not behave as it should.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use anyhow::Context;

use crate::attest::NAMESPACE;
use crate::Status;

/// The demo developer's identity: the principal of the allowed-signers line.
const NAME: &str = "Demo Developer";
const EMAIL: &str = "demo@example.invalid";

/// The assistant the demo's policy approves, and the one it does not.
const AGENT: &str = "claude-code:claude-sonnet-4";
const UNAPPROVED: &str = "aider";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Pass,
    Block,
}

/// What a `Write` puts in its file.
enum Text {
    Literal(String),
    /// Known only when the step runs (a key made by an earlier step).
    Computed(fn(&Demo) -> anyhow::Result<String>),
}

/// One command of a step.
enum Cmd {
    /// git, with variables set for it (shown as `NAME=value git ...`).
    Git {
        env: Vec<(&'static str, String)>,
        args: Vec<String>,
    },
    /// This binary; with `to`, its standard output goes to that file (`> file`).
    Vouchsafe {
        args: Vec<String>,
        to: Option<&'static str>,
    },
    /// Another program (OpenSSH); with `from`, its standard input comes from that file.
    Tool {
        program: &'static str,
        args: Vec<String>,
        from: Option<&'static str>,
    },
    /// Writes a file in the work tree (shown as `cat > file`).
    Write(&'static str, Text),
    /// Removes a file from the work tree (shown as `rm file`).
    Remove(&'static str),
}

struct Step {
    title: &'static str,
    explain: &'static str,
    /// A program the step cannot run without; when it is missing the step is skipped
    /// with a note, and that is not a failure of the demo.
    needs: Option<(&'static str, &'static str)>,
    /// Commands that set the scene; each must succeed.
    setup: Vec<Cmd>,
    /// The command the step is about, and what it should do.
    check: Cmd,
    expect: Expect,
    /// Commands that show the result; each must succeed.
    show: Vec<Cmd>,
    /// Text the output of the check and of `show` must contain.
    want: Vec<String>,
    /// Commands that put things back for the next step.
    after: Vec<Cmd>,
}

impl Step {
    fn new(title: &'static str, explain: &'static str, check: Cmd, expect: Expect) -> Step {
        Step {
            title,
            explain,
            needs: None,
            setup: Vec::new(),
            check,
            expect,
            show: Vec::new(),
            want: Vec::new(),
            after: Vec::new(),
        }
    }
    fn setup(mut self, cmds: Vec<Cmd>) -> Step {
        self.setup = cmds;
        self
    }
    fn show(mut self, cmds: Vec<Cmd>) -> Step {
        self.show = cmds;
        self
    }
    fn want(mut self, texts: &[&str]) -> Step {
        self.want = texts.iter().map(|s| s.to_string()).collect();
        self
    }
    fn after(mut self, cmds: Vec<Cmd>) -> Step {
        self.after = cmds;
        self
    }
    fn needs(mut self, program: &'static str, what: &'static str) -> Step {
        self.needs = Some((program, what));
        self
    }
}

fn words(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn git(args: &[&str]) -> Cmd {
    Cmd::Git {
        env: Vec::new(),
        args: words(args),
    }
}

/// `git` as an assistant runs it: `VOUCHSAFE_AGENT` names the assistant, as an
/// agent's wrapper script (or a person) can; assistants are also recognised by the
/// variables they set, their process and the trailers they write.
fn git_as(agent: &str, args: &[&str]) -> Cmd {
    Cmd::Git {
        env: vec![(crate::ai::detect::AGENT_VAR, agent.to_string())],
        args: words(args),
    }
}

fn vouchsafe(args: &[&str]) -> Cmd {
    Cmd::Vouchsafe {
        args: words(args),
        to: None,
    }
}

fn write(file: &'static str, text: impl Into<String>) -> Cmd {
    Cmd::Write(file, Text::Literal(text.into()))
}

/// The allowed-signers line of the key `vouchsafe key generate` made in the demo's
/// vouchsafe home, for the demo's email, in the attestation namespace only.
fn allowed_signers(demo: &Demo) -> anyhow::Result<String> {
    let p = demo.vouchsafe_home.join("keys").join("id_ed25519.pub");
    let public = std::fs::read_to_string(&p)
        .with_context(|| format!("reading the demo's public key {}", p.display()))?;
    let key: Vec<&str> = public.split_whitespace().take(2).collect();
    anyhow::ensure!(key.len() == 2, "{} is not a public key", p.display());
    Ok(format!(
        "{EMAIL} namespaces=\"{NAMESPACE}\" {}\n",
        key.join(" ")
    ))
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
    let agent_trailer = "Assisted-by: Claude-Code:claude-sonnet-4";
    vec![
        Step::new(
            "Install the hooks",
            "vouchsafe writes small shims into the repository's hooks directory; each calls this binary.",
            vouchsafe(&["install"]),
            Expect::Pass,
        ),
        Step::new(
            "A signing key, and the file that says whom to trust",
            "Every commit gets an attestation signed with an SSH key. This Ed25519 key is made for the demo \
             and lives in its temp dir. .vouchsafe/allowed_signers (git's format) lists whose keys count.",
            vouchsafe(&["key", "status"]),
            Expect::Pass,
        )
        .setup(vec![
            vouchsafe(&["key", "generate"]),
            Cmd::Write(".vouchsafe/allowed_signers", Text::Computed(allowed_signers)),
        ])
        .want(&["allowed       yes"]),
        Step::new(
            "A clean commit passes, and is signed",
            "pre-commit scans exactly what is staged; nothing secret, so git goes on. commit-msg then signs \
             an attestation of the commit with the key and adds it as a trailer (the assistant step below shows one).",
            git(&["commit", "-m", "Add a README and the allowed signers"]),
            Expect::Pass,
        )
        .setup(vec![
            write("README.md", "# Demo\n\nA repository that vouchsafe guards.\n"),
            git(&["add", "README.md", ".vouchsafe/allowed_signers"]),
        ]),
        Step::new(
            "A commit with a secret is blocked",
            "The token below is made up, but its checksum is valid, so it looks real to the scanner.",
            git(&["commit", "-m", "Add the configuration"]),
            Expect::Block,
        )
        .setup(vec![
            write("config.py", format!("GITHUB_TOKEN = \"{token}\"\n")),
            git(&["add", "config.py"]),
        ]),
        Step::new(
            "The fix: read the secret at run time, then commit again",
            "Remove the value from the file (and rotate a real one). A fixture that only looks like a \
             secret can instead carry `vouchsafe:allow` on its line.",
            git(&["commit", "-m", "Add the configuration"]),
            Expect::Pass,
        )
        .setup(vec![
            write("config.py", "import os\n\nGITHUB_TOKEN = os.environ[\"GITHUB_TOKEN\"]\n"),
            git(&["add", "config.py"]),
        ]),
        Step::new(
            "A test fixture that only looks like a secret: allow it on its line",
            "`vouchsafe:allow` on the same line tells the scanner this value is known and harmless.",
            git(&["commit", "-m", "Add a test fixture"]),
            Expect::Pass,
        )
        .setup(vec![
            write(
                "tests/fixture.py",
                format!("SAMPLE_TOKEN = \"{token}\"  # revoked sample, vouchsafe:allow\n"),
            ),
            git(&["add", "tests/fixture.py"]),
        ]),
        Step::new(
            "`git commit --no-verify` is caught by the prepare-commit-msg backstop",
            "--no-verify skips pre-commit, but git always runs prepare-commit-msg, which runs the same \
             check when pre-commit did not.",
            git(&["commit", "--no-verify", "-m", "Add a deploy script"]),
            Expect::Block,
        )
        .setup(vec![
            write("deploy.sh", format!("export GH_TOKEN={other}\n")),
            git(&["add", "deploy.sh"]),
        ])
        .after(vec![git(&["rm", "-q", "--cached", "deploy.sh"]), Cmd::Remove("deploy.sh")]),
        Step::new(
            "An assistant's commit says who helped, and is signed",
            "Assistants are recognised by the variables they set, their process and the trailers they \
             write; here VOUCHSAFE_AGENT names one. commit-msg adds `Assisted-by:`, then the signed \
             `Vouchsafe-Attestation:` trailer, which binds the change, the message and that trailer.",
            git_as(AGENT, &["commit", "-m", "Add retry settings"]),
            Expect::Pass,
        )
        .setup(vec![
            write("retry.py", "ATTEMPTS = 3\nDELAY_SECONDS = 0.5\n"),
            git(&["add", "retry.py"]),
        ])
        .show(vec![git(&["log", "-1"])])
        .want(&[agent_trailer, "Vouchsafe-Attestation: "]),
        Step::new(
            "The attestation verifies",
            "`vouchsafe verify` rebuilds what was signed from the commit as it is now and checks the \
             signature against .vouchsafe/allowed_signers. exact: nothing changed since it was signed \
             (rebased: the same change on a new base).",
            vouchsafe(&["verify"]),
            Expect::Pass,
        )
        .want(&["exact ", "assisted by Claude-Code:claude-sonnet-4", "1 exact"]),
        Step::new(
            "OpenSSH alone agrees",
            "`attest show` prints the exact signed bytes and the SSH signature, so anyone can check an \
             attestation without vouchsafe.",
            Cmd::Tool {
                program: "ssh-keygen",
                args: words(&[
                    "-Y",
                    "verify",
                    "-f",
                    ".vouchsafe/allowed_signers",
                    "-I",
                    EMAIL,
                    "-n",
                    NAMESPACE,
                    "-s",
                    "attestation.sig",
                ]),
                from: Some("attestation.payload"),
            },
            Expect::Pass,
        )
        .needs("ssh-keygen", "OpenSSH's ssh-keygen")
        .setup(vec![
            Cmd::Vouchsafe {
                args: words(&["attest", "show", "HEAD", "--payload"]),
                to: Some("attestation.payload"),
            },
            Cmd::Vouchsafe {
                args: words(&["attest", "show", "HEAD", "--sshsig"]),
                to: Some("attestation.sig"),
            },
        ])
        .want(&["Good \"vouchsafe-commit-attestation\" signature"]),
        Step::new(
            "An assistant the policy does not approve is blocked",
            "The team's policy, .vouchsafe.toml, approves Claude Code only (and from now on requires every \
             commit to be attested). Hooks read it from HEAD, so a commit cannot loosen the rules that judge it.",
            git_as(UNAPPROVED, &["commit", "-m", "Retry more often"]),
            Expect::Block,
        )
        .setup(vec![
            write(
                ".vouchsafe.toml",
                "[agents]\napproved = [\"claude-code\"]\non_unapproved = \"block\"\ncontact = \"the platform team\"\n\n\
                 [attestation]\nrequire = \"all\"\n",
            ),
            git(&["add", ".vouchsafe.toml"]),
            git(&["commit", "-q", "-m", "Add the team policy"]),
            write("retry.py", "ATTEMPTS = 5\nDELAY_SECONDS = 0.2\n"),
            git(&["add", "retry.py"]),
        ])
        .want(&["Aider"])
        .after(vec![git(&["reset", "-q", "--hard"])]),
        Step::new(
            "A push passes through the pre-push gate",
            "pre-push scans every commit about to leave and checks its attestation; these are clean and signed.",
            git(&["push", "origin", "main"]),
            Expect::Pass,
        ),
        Step::new(
            "A commit made with every hook turned off is caught at push",
            "Hooks can be switched off on the command line; the pre-push gate looks at the commits \
             themselves, so neither the secret nor the unsigned commit leaves.",
            git(&["push", "origin", "main"]),
            Expect::Block,
        )
        .setup(vec![
            write("deploy.sh", format!("export GH_TOKEN={other}\n")),
            git(&["add", "deploy.sh"]),
            git(&["-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "Add a deploy script"]),
        ])
        .want(&["github-pat", "without a valid attestation"])
        .after(vec![git(&["reset", "-q", "--hard", "HEAD~1"])]),
        Step::new(
            "Every block is in the incident log",
            "Each gate that stopped something logged it (never the secret itself); a policy's \
             [incidents] command can forward each one. This demo's log is in its temp dir, not yours.",
            vouchsafe(&["incidents"]),
            Expect::Pass,
        )
        .want(&["pre-commit", "prepare-commit-msg", "unapproved-agent", "pre-push"]),
    ]
}

struct Demo {
    exe: PathBuf,
    work: PathBuf,
    vouchsafe_home: PathBuf,
    env: Vec<(&'static str, OsString)>,
}

impl Demo {
    fn command(&self, c: &Cmd) -> anyhow::Result<Option<Command>> {
        let mut cmd = match c {
            Cmd::Git { args, .. } => {
                let mut cmd = crate::git::plain_command(&self.work);
                cmd.args(args);
                cmd
            }
            Cmd::Vouchsafe { args, .. } => {
                let mut cmd = Command::new(&self.exe);
                cmd.current_dir(&self.work).args(args);
                cmd
            }
            Cmd::Tool { program, args, .. } => {
                let mut cmd = Command::new(program);
                cmd.current_dir(&self.work).args(args);
                cmd
            }
            _ => return Ok(None),
        };
        for v in crate::git::REPO_ENV_VARS.iter().chain(FOREIGN_VARS) {
            cmd.env_remove(v);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Cmd::Git { env, .. } = c {
            for (k, v) in env {
                cmd.env(k, v);
            }
        }
        match c {
            Cmd::Tool { from: Some(f), .. } => {
                let file = std::fs::File::open(self.work.join(f))
                    .with_context(|| format!("opening {f}"))?;
                cmd.stdin(file);
            }
            _ => {
                cmd.stdin(Stdio::null());
            }
        }
        Ok(Some(cmd))
    }

    fn show(c: &Cmd) -> String {
        let line = |prefix: String, program: &str, a: &[String]| {
            let mut s = prefix;
            s.push_str(program);
            for w in a {
                s.push(' ');
                s.push_str(&crate::commands::shell_word(w));
            }
            s
        };
        match c {
            Cmd::Git { env, args } => {
                let vars: String = env
                    .iter()
                    .map(|(k, v)| format!("{k}={} ", crate::commands::shell_word(v)))
                    .collect();
                line(vars, "git", args)
            }
            Cmd::Vouchsafe { args, to } => {
                let mut s = line(String::new(), "vouchsafe", args);
                if let Some(f) = to {
                    s.push_str(&format!(" > {f}"));
                }
                s
            }
            Cmd::Tool {
                program,
                args,
                from,
            } => {
                let mut s = line(String::new(), program, args);
                if let Some(f) = from {
                    s.push_str(&format!(" < {f}"));
                }
                s
            }
            Cmd::Write(f, _) => format!("cat > {f}"),
            Cmd::Remove(f) => format!("rm {f}"),
        }
    }

    /// Runs one command, printing it and its output; `None` for file edits.
    fn run(&self, c: &Cmd) -> anyhow::Result<Option<Output>> {
        println!("  $ {}", Self::show(c));
        match c {
            Cmd::Write(f, text) => {
                let text = match text {
                    Text::Literal(s) => s.clone(),
                    Text::Computed(make) => make(self)?,
                };
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
            .command(c)?
            .expect("a command")
            .output()
            .with_context(|| format!("running {}", Self::show(c)))?;
        let mut printed = out.stdout.clone();
        if let Cmd::Vouchsafe { to: Some(f), .. } = c {
            std::fs::write(self.work.join(f), &out.stdout)
                .with_context(|| format!("writing {f}"))?;
            printed.clear();
        }
        for line in String::from_utf8_lossy(&printed)
            .lines()
            .chain(String::from_utf8_lossy(&out.stderr).lines())
        {
            println!("    {line}");
        }
        Ok(Some(out))
    }
}

/// Variables that would tie the demo's commands to the user's repository, identity,
/// keys or assistant session.
/// (Besides `git::REPO_ENV_VARS`.)
const FOREIGN_VARS: &[&str] = &[
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_SYSTEM",
    "GIT_EDITOR",
    "GIT_TEMPLATE_DIR",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "GIT_COMMITTER_DATE",
    "SSH_AUTH_SOCK",
    "VOUCHSAFE_AGENT",
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
        format!(
            "[user]\n\tname = {NAME}\n\temail = {EMAIL}\n[init]\n\tdefaultBranch = main\n\
             [commit]\n\tgpgsign = false\n[core]\n\tautocrlf = false\n[advice]\n\tdetachedHead = false\n"
        ),
    )?;
    let work = root.join("work");
    let remote = root.join("remote.git");
    let vouchsafe_home = root.join("vouchsafe-home");
    let env: Vec<(&'static str, OsString)> = vec![
        ("HOME", home.clone().into_os_string()),
        ("GIT_CONFIG_GLOBAL", gitconfig.into_os_string()),
        ("GIT_CONFIG_NOSYSTEM", "1".into()),
        ("VOUCHSAFE_HOME", vouchsafe_home.clone().into_os_string()),
        ("VOUCHSAFE_BIN", exe.clone().into_os_string()),
        ("GIT_EDITOR", "true".into()),
        ("GIT_TERMINAL_PROMPT", "0".into()),
    ];
    std::fs::create_dir_all(&work)?;
    let demo = Demo {
        exe,
        work: work.clone(),
        vouchsafe_home,
        env,
    };

    println!(
        "vouchsafe demo: a throwaway repository in {}",
        root.display()
    );
    println!(
        "(it has its own HOME, git config, signing key and incident log; nothing of yours is touched, \
         and it is removed at the end)"
    );
    println!();
    println!("Setting up a repository and a local bare remote:");
    for c in [
        git(&["init", "-q"]),
        git(&["init", "-q", "--bare", &remote.display().to_string()]),
        git(&["remote", "add", "origin", &remote.display().to_string()]),
    ] {
        must_pass(&demo, &c)?;
    }

    let mut surprises = Vec::new();
    let mut skipped = Vec::new();
    for (i, step) in steps().into_iter().enumerate() {
        println!();
        println!("{}. {}", i + 1, step.title);
        println!("   {}", step.explain);
        if let Some((program, what)) = step
            .needs
            .filter(|(p, _)| crate::install::paths::find_on_path(p).is_none())
        {
            println!("  => skipped: {what} is not installed here (`{program}` is not on PATH); install OpenSSH to see this step");
            skipped.push(step.title);
            continue;
        }
        for c in &step.setup {
            must_pass(&demo, c)?;
        }
        let out = demo.run(&step.check)?;
        let passed = out.as_ref().is_none_or(|o| o.status.success());
        let mut seen = out.as_ref().map(text_of).unwrap_or_default();
        for c in &step.show {
            if let Some(o) = must_pass(&demo, c)? {
                seen.push_str(&text_of(&o));
            }
        }
        let missing: Vec<&String> = step.want.iter().filter(|w| !seen.contains(*w)).collect();
        let outcome = match (passed, step.expect) {
            (true, Expect::Pass) | (false, Expect::Block) if !missing.is_empty() => {
                surprises.push(step.title);
                format!(
                    "=> UNEXPECTED: the output does not show {}",
                    missing
                        .iter()
                        .map(|w| format!("`{}`", w.trim()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
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
    if !skipped.is_empty() {
        println!("Skipped (a tool is missing): {}.", skipped.join("; "));
    }
    if surprises.is_empty() {
        println!(
            "Every gate behaved as it should. In your own repository: `vouchsafe install`, then `vouchsafe status`."
        );
        Ok(Status::Ok)
    } else {
        println!(
            "These steps did not behave as they should: {}",
            surprises.join("; ")
        );
        Ok(Status::Blocked)
    }
}

fn text_of(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn must_pass(demo: &Demo, c: &Cmd) -> anyhow::Result<Option<Output>> {
    let out = demo.run(c)?;
    if let Some(o) = &out {
        anyhow::ensure!(
            o.status.success(),
            "the demo's setup step `{}` failed (exit {:?}); this is a bug in the demo",
            Demo::show(c),
            o.status.code()
        );
    }
    Ok(out)
}
