//! Who helped: real `git commit`s through the installed hooks, with each assistant's
//! environment and process, checked byte for byte against the final commit message.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::common::{Env, Repo, Run};

/// Stops the hook's process-tree walk at this test process, so that whatever runs
/// the test suite (an editor, an agent) is not seen. Debug builds only (what
/// `cargo test` builds); a release binary ignores it.
const ROOT_VAR: &str = "VOUCHSAFE_TEST_PROCESS_ROOT";

/// A repository with vouchsafe's hooks installed by `vouchsafe install`.
fn setup<'e>(env: &'e Env, name: &str) -> Repo<'e> {
    let repo = env.init_repo(name);
    let r = repo.run(&["install"]);
    assert_eq!(r.code, 0, "install: {}", r.all());
    repo.write("README", "hello\n");
    repo.commit_all("Initial commit");
    repo
}

/// A copy of `sh` named like a process, for a real ancestor with that name.
fn fake_process(env: &Env, name: &str) -> PathBuf {
    let dir = env.path().join("procs");
    std::fs::create_dir_all(&dir).expect("procs dir");
    let p = dir.join(name);
    if !p.exists() {
        std::fs::copy("/bin/sh", &p).expect("copy /bin/sh");
    }
    p
}

/// Runs a command whose program may be a fresh copy from `fake_process`. Another
/// test thread forking at the moment of the copy holds its write descriptor until it
/// execs, and exec then fails with ETXTBSY ("Text file busy"): wait and retry.
fn output_retrying(cmd: &mut std::process::Command) -> std::process::Output {
    for _ in 0..100 {
        match cmd.output() {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            other => return other.expect("run a fake process"),
        }
    }
    panic!("the fake process stayed busy for 2 s")
}

/// `git <args>` run by a process named `process` (when given), with extra variables.
fn git_as(repo: &Repo, vars: &[(&str, &str)], process: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = match process {
        Some(name) => {
            let p = fake_process(repo.env, name);
            let mut c = repo.env.cmd(&p, &repo.path);
            // Not the last command, so the shell cannot exec git in its place.
            c.args(["-c", "git \"$@\"; exit $?", name]);
            c
        }
        None => repo.env.cmd("git", &repo.path),
    };
    cmd.args(args)
        .env(ROOT_VAR, std::process::id().to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    Run::from(output_retrying(&mut cmd))
}

/// Commits with the message in a file (exact bytes), allowing an empty change.
fn commit_msg_file(
    repo: &Repo,
    vars: &[(&str, &str)],
    process: Option<&str>,
    msg: &[u8],
    extra: &[&str],
) -> Run {
    let f = repo.env.path().join("msg.txt");
    std::fs::write(&f, msg).expect("write message");
    let f = f.to_str().expect("utf8 path").to_string();
    let mut args = vec!["commit", "-q", "--allow-empty", "-F", f.as_str()];
    args.extend_from_slice(extra);
    git_as(repo, vars, process, &args)
}

fn head(repo: &Repo) -> String {
    repo.git(&["rev-parse", "HEAD"]).trim().to_string()
}

/// The message of HEAD exactly as stored.
fn message(repo: &Repo) -> Vec<u8> {
    let out = repo
        .git_cmd()
        .args(["cat-file", "commit", "HEAD"])
        .output()
        .expect("cat-file");
    let raw = out.stdout;
    let at = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("header end");
    raw[at + 2..].to_vec()
}

fn assisted(msg: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(msg)
        .lines()
        .filter(|l| l.starts_with("Assisted-by:"))
        .map(str::to_string)
        .collect()
}

fn show(b: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(b))
}

/// What `git interpret-trailers --no-divider` (as `git commit --trailer` runs it)
/// makes of `raw`, with `comment` as git's comment string.
fn git_reference(repo: &Repo, raw: &[u8], comment: &str, trailer: &str) -> Vec<u8> {
    let f = repo.env.path().join("reference.txt");
    std::fs::write(&f, raw).expect("write");
    let out = repo
        .git_cmd()
        .args([
            "-c",
            &format!("core.commentString={comment}"),
            "interpret-trailers",
            "--no-divider",
            "--trailer",
            trailer,
        ])
        .arg(&f)
        .output()
        .expect("interpret-trailers");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// git's cleanup of a message: cut at the scissors line, then `git stripspace`
/// (`-s` when comment lines go).
fn git_cleanup(repo: &Repo, msg: &[u8], comment: &str, strip_comments: bool) -> Vec<u8> {
    let cut = format!("{comment} ------------------------ >8 ------------------------\n");
    let end = if msg.starts_with(cut.as_bytes()) {
        0
    } else {
        msg.windows(cut.len() + 1)
            .position(|w| w[0] == b'\n' && &w[1..] == cut.as_bytes())
            .map_or(msg.len(), |p| p + 1)
    };
    let mut c = repo.git_cmd();
    c.args(["-c", &format!("core.commentString={comment}"), "stripspace"]);
    if strip_comments {
        c.arg("-s");
    }
    let mut child = c.stdin(Stdio::piped()).spawn().expect("stripspace");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&msg[..end])
        .expect("write");
    child.wait_with_output().expect("wait").stdout
}

// ---------------------------------------------------------------------------------
// The registry: every example commits with its exact trailers.

#[derive(serde::Deserialize)]
struct AgentFile {
    id: String,
    #[serde(default)]
    example: Vec<Example>,
    #[serde(default)]
    counterexample: Vec<Example>,
}

#[derive(serde::Deserialize)]
struct Example {
    #[serde(default)]
    env: std::collections::BTreeMap<String, String>,
    process: Option<String>,
    message: Option<String>,
    author: Option<String>,
    #[serde(default)]
    expect: Vec<String>,
    why: Option<String>,
}

fn registry_files() -> Vec<AgentFile> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/agents");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("data/agents")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            toml::from_str(&std::fs::read_to_string(p).expect("read"))
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

fn run_example(repo: &Repo, id: &str, e: &Example, no_verify: bool) {
    let vars: Vec<(&str, &str)> = e
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let msg = e
        .message
        .clone()
        .unwrap_or_else(|| format!("Change made with {id}\n"));
    let mut extra: Vec<String> = Vec::new();
    if let Some(a) = &e.author {
        extra.push(format!("--author={a}"));
    }
    if no_verify {
        extra.push("--no-verify".into());
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let before = head(repo);
    let r = commit_msg_file(repo, &vars, e.process.as_deref(), msg.as_bytes(), &extra);
    assert_eq!(r.code, 0, "{id} (no-verify: {no_verify}): {}", r.all());
    assert_ne!(head(repo), before, "{id}: a commit was made");
    let got = message(repo);
    let what = e.why.as_deref().unwrap_or("example");
    assert_eq!(
        assisted(&got),
        e.expect,
        "{id} {what} (no-verify: {no_verify}): {}\n{}",
        show(&got),
        r.all()
    );
    // Nothing else in the message changed: it is the original plus the trailers.
    if e.expect.is_empty() {
        assert_eq!(got, msg.as_bytes(), "{id}: untouched");
    } else {
        let mut want = msg.as_bytes().to_vec();
        for t in &e.expect {
            want = git_reference(repo, &want, "#", t);
        }
        let want = git_cleanup(repo, &want, "#", false);
        assert_eq!(
            show(&got),
            show(&want),
            "{id}: placed as git interpret-trailers places it"
        );
    }
}

#[test]
fn every_registry_example_commits_with_its_exact_trailers() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let agents = registry_files();
    assert!(agents.len() >= 12, "{}", agents.len());
    for a in &agents {
        assert!(!a.example.is_empty(), "{} has examples", a.id);
        for e in &a.example {
            run_example(&repo, &a.id, e, false);
            // Under --no-verify (Aider's default) only prepare-commit-msg runs.
            run_example(&repo, &a.id, e, true);
        }
        for e in &a.counterexample {
            run_example(&repo, &a.id, e, false);
        }
    }
}

#[test]
fn a_person_gets_no_trailer_even_in_an_editor_terminal() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let msg = b"Fix the login redirect\n\nThe session cookie was read before it was set.\n";
    let vars = [
        ("TERM_PROGRAM", "vscode"),
        ("CURSOR_TRACE_ID", "ab12"),
        ("AGENT", "1"),
        ("CODEIUM_EDITOR_APP_ROOT", "/opt/w"),
    ];
    let r = commit_msg_file(&repo, &vars, Some("code"), msg, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(message(&repo), msg, "byte for byte");
    // Nothing about assistants is said (other gates may speak for themselves).
    assert!(
        !r.stderr.contains("helped") && !r.stderr.contains("Assisted-by"),
        "{}",
        r.stderr
    );
    let r = commit_msg_file(&repo, &[], None, msg, &["--no-verify"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(message(&repo), msg);
}

#[test]
fn a_strong_marker_leaked_into_a_terminal_is_refuted_by_the_process_tree() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let vars = [("CLAUDECODE", "1"), ("CLAUDE_CODE_ENTRYPOINT", "cli")];
    // tmux started from Claude Code passes the variables on; no claude above.
    let r = commit_msg_file(&repo, &vars, Some("tmux"), b"Tidy up\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(message(&repo), b"Tidy up\n");
    // `ai status` says why.
    let mut c = repo.vouchsafe();
    c.args(["ai", "status"])
        .env(ROOT_VAR, std::process::id().to_string());
    for (k, v) in vars {
        c.env(k, v);
    }
    let s = Run::from(c.output().expect("status"));
    assert_eq!(s.code, 0, "{}", s.all());
    assert!(s.stdout.contains("No assistant detected"), "{}", s.stdout);
    assert!(
        s.stdout
            .contains("Claude Code (claude-code): not attributed: no Claude Code process is above"),
        "{}",
        s.stdout
    );
    assert!(s.stdout.contains("CLAUDECODE=1"), "{}", s.stdout);
}

#[test]
fn the_process_tree_alone_names_the_assistant() {
    let env = Env::new();
    let repo = setup(&env, "r");
    // A copy of sh named `claude` runs `git commit`, with no marker at all.
    let r = commit_msg_file(&repo, &[], Some("claude"), b"Add a cache\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        show(&message(&repo)),
        show(b"Add a cache\n\nAssisted-by: Claude-Code\n")
    );
    // An interpreter running the agent's script counts too.
    let bin = env.path().join("node_modules/@anthropic-ai/claude-code");
    std::fs::create_dir_all(&bin).expect("dir");
    let script = bin.join("cli.js");
    std::fs::write(&script, "git \"$@\"; exit $?\n").expect("script");
    let node = fake_process(&env, "node");
    let out = output_retrying(
        env.cmd(&node, &repo.path)
            .arg(&script)
            .args(["commit", "-q", "--allow-empty", "-m", "Via node"])
            .env(ROOT_VAR, std::process::id().to_string())
            .env("ANTHROPIC_MODEL", "claude-sonnet-4-5"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        show(&message(&repo)),
        show(b"Via node\n\nAssisted-by: Claude-Code:claude-sonnet-4-5\n")
    );
}

#[test]
fn two_assistants_nested_get_one_trailer_each_innermost_first() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let outer = fake_process(&env, "claude");
    let inner = fake_process(&env, "codex");
    let out = output_retrying(
        env.cmd(&outer, &repo.path)
            .args([
                "-c",
                "\"$1\" -c 'git commit -q --allow-empty -m Nested; exit $?'; exit $?",
                "claude",
            ])
            .arg(&inner)
            .env(ROOT_VAR, std::process::id().to_string())
            .env("CLAUDECODE", "1")
            .env("CODEX_THREAD_ID", "t-1"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        show(&message(&repo)),
        show(b"Nested\n\nAssisted-by: Codex\nAssisted-by: Claude-Code\n")
    );
}

// ---------------------------------------------------------------------------------
// The message is sacred: every shape, byte for byte.

const AGENT: (&str, &str) = ("VOUCHSAFE_AGENT", "claude-code:claude-opus-4-5");
const TRAILER: &str = "Assisted-by: Claude-Code:claude-opus-4-5";

/// An editor that keeps what git prepared (a copy goes to `$CAPTURE`), for commits
/// whose message file holds git's comments and, with -v, the diff.
fn capturing_editor(env: &Env) -> (String, PathBuf) {
    let script = env.path().join("editor.sh");
    std::fs::write(&script, "#!/bin/sh\ncp \"$1\" \"$CAPTURE\"\n").expect("editor");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    (
        script.to_str().expect("utf8").to_string(),
        env.path().join("captured.txt"),
    )
}

#[test]
fn messages_given_on_the_command_line() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let cases: &[(&[u8], &[u8])] = &[
        // subject only
        (b"Fix typo\n", b"Fix typo\n\nAssisted-by: Claude-Code:claude-opus-4-5\n"),
        // no final newline
        (b"Fix typo", b"Fix typo\n\nAssisted-by: Claude-Code:claude-opus-4-5\n"),
        // subject and body
        (b"Fix typo\n\nIn the README.\n", b"Fix typo\n\nIn the README.\n\nAssisted-by: Claude-Code:claude-opus-4-5\n"),
        // existing trailers, the assistant's own kept
        (
            b"Fix typo\n\nBody.\n\nCo-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>\nReviewed-by: A <a@example.org>\n",
            b"Fix typo\n\nBody.\n\nCo-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>\nReviewed-by: A <a@example.org>\nAssisted-by: Claude-Code:claude-opus-4-5\n",
        ),
        // a trailer with a continuation line
        (b"Fix\n\nFixes: the thing\n  that broke\n", b"Fix\n\nFixes: the thing\n  that broke\nAssisted-by: Claude-Code:claude-opus-4-5\n"),
        // a title that looks like a trailer is not one
        (b"Note: fix\n", b"Note: fix\n\nAssisted-by: Claude-Code:claude-opus-4-5\n"),
        // `---` does not end a commit message
        (b"Fix\n\n---\nmore\n", b"Fix\n\n---\nmore\n\nAssisted-by: Claude-Code:claude-opus-4-5\n"),
        // our trailer already there (an amend, a second hook): not repeated
        (
            b"Fix\n\nAssisted-by: Claude-Code:claude-opus-4-5\n",
            b"Fix\n\nAssisted-by: Claude-Code:claude-opus-4-5\n",
        ),
    ];
    for (given, want) in cases {
        let r = commit_msg_file(&repo, &[AGENT], None, given, &[]);
        assert_eq!(r.code, 0, "{}", r.all());
        let got = message(&repo);
        assert_eq!(show(&got), show(want), "given {}", show(given));
        // The same as git's own trailer placement, after git's cleanup.
        let reference = if assisted(given).is_empty() {
            git_cleanup(
                &repo,
                &git_reference(&repo, given, "#", TRAILER),
                "#",
                false,
            )
        } else {
            git_cleanup(&repo, given, "#", false)
        };
        assert_eq!(
            show(&got),
            show(&reference),
            "reference for {}",
            show(given)
        );
    }
}

#[test]
fn sign_off_and_trailer_options_of_git_commit() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let r = git_as(
        &repo,
        &[AGENT],
        None,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-s",
            "-m",
            "Fix",
            "--trailer",
            "Closes: #12",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        show(&message(&repo)),
        show(b"Fix\n\nSigned-off-by: Test User <test@example.org>\nCloses: #12\nAssisted-by: Claude-Code:claude-opus-4-5\n")
    );
}

#[test]
fn comment_lines_are_text_when_git_keeps_them() {
    // `git commit -m` without an editor cleans up with `whitespace`: a line starting
    // with `#` stays in the message, so the trailer goes after it (git's own
    // `--trailer` would put it above that paragraph).
    let env = Env::new();
    let repo = setup(&env, "r");
    let r = git_as(
        &repo,
        &[AGENT],
        None,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "Fix",
            "-m",
            "#123 was the cause",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        show(&message(&repo)),
        show(b"Fix\n\n#123 was the cause\n\nAssisted-by: Claude-Code:claude-opus-4-5\n")
    );
    assert_eq!(
        show(&message(&repo)),
        show(&git_cleanup(
            &repo,
            &git_reference(&repo, b"Fix\n\n#123 was the cause\n", "%%none%%", TRAILER),
            "#",
            false
        ))
    );
}

#[test]
fn editor_messages_with_comments_verbose_diff_and_comment_chars() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let (editor, capture) = capturing_editor(&env);
    let capture_s = capture.to_str().expect("utf8").to_string();
    // (config, commit args, comment string git uses)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str);
    let cases: &[Case] = &[
        (&[], &["-e", "-m", "Add the cache"], "#"),
        (
            &[],
            &["-v", "-e", "-m", "Add the cache\n\nWith a body."],
            "#",
        ),
        (
            &[("core.commentChar", ";")],
            &["-v", "-e", "-m", "Add the cache\n\n# not a comment here"],
            ";",
        ),
        (
            &[("core.commentChar", "auto")],
            &["-e", "-m", "#42 fixed\n\nBody"],
            ";",
        ),
        (
            &[("core.commentChar", "auto")],
            &["-v", "-e", "-m", "#42 fixed"],
            ";",
        ),
        (
            &[("core.commentString", "//")],
            &["-e", "-m", "Add the cache"],
            "//",
        ),
        // `scissors` keeps comment lines above the cut (git puts its own below it).
        (
            &[("commit.cleanup", "scissors")],
            &["-e", "-m", "Add the cache\n\nWith a body."],
            "#",
        ),
    ];
    for (i, (config, args, comment)) in cases.iter().enumerate() {
        for (k, v) in *config {
            repo.git(&["config", k, v]);
        }
        repo.write(format!("f{i}.txt"), format!("change {i}\n"));
        repo.git(&["add", "-A"]);
        let mut full = vec!["commit", "-q"];
        full.extend_from_slice(args);
        let r = git_as(
            &repo,
            &[
                AGENT,
                ("GIT_EDITOR", editor.as_str()),
                ("CAPTURE", capture_s.as_str()),
            ],
            None,
            &full,
        );
        assert_eq!(r.code, 0, "case {i}: {}", r.all());
        let raw = std::fs::read(&capture).expect("captured");
        let got = message(&repo);
        let strip = !config.iter().any(|(k, _)| *k == "commit.cleanup");
        let want = git_cleanup(
            &repo,
            &git_reference(&repo, &raw, comment, TRAILER),
            comment,
            strip,
        );
        assert_eq!(show(&got), show(&want), "case {i}: raw {}", show(&raw));
        assert_eq!(assisted(&got), [TRAILER], "case {i}");
        for (k, _) in *config {
            repo.git(&["config", "--unset", k]);
        }
    }
}

#[test]
fn cleanup_modes_and_a_template() {
    let env = Env::new();
    let repo = setup(&env, "r");
    // verbatim keeps everything, so the message is exactly the input plus the trailer.
    repo.git(&["config", "commit.cleanup", "verbatim"]);
    let r = commit_msg_file(&repo, &[AGENT], None, b"Fix\n\n\n# kept\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        show(&message(&repo)),
        show(b"Fix\n\n\n# kept\n\nAssisted-by: Claude-Code:claude-opus-4-5\n")
    );
    repo.git(&["config", "--unset", "commit.cleanup"]);
    // An unchanged template aborts the commit, as git decides; no trailer rescues it.
    let tpl = env.path().join("template.txt");
    std::fs::write(&tpl, "Subject\n\n# Why:\n").expect("template");
    repo.git(&["config", "commit.template", tpl.to_str().expect("utf8")]);
    let before = head(&repo);
    let r = git_as(
        &repo,
        &[AGENT, ("GIT_EDITOR", "true")],
        None,
        &["commit", "--allow-empty"],
    );
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr.contains("did not edit the message"),
        "{}",
        r.stderr
    );
    assert_eq!(head(&repo), before);
    // The same with `git commit -t`, which the configuration does not show.
    repo.git(&["config", "--unset", "commit.template"]);
    let tpl_s = tpl.to_str().expect("utf8");
    let r = git_as(
        &repo,
        &[AGENT, ("GIT_EDITOR", "true")],
        None,
        &["commit", "--allow-empty", "-t", tpl_s],
    );
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr.contains("did not edit the message"),
        "{}",
        r.stderr
    );
    assert_eq!(head(&repo), before);
    // An edited template is a message like any other.
    let editor = env.path().join("append.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'Because it was slow.\\n' >> \"$1\"\n",
    )
    .expect("editor");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let r = git_as(
        &repo,
        &[AGENT, ("GIT_EDITOR", editor.to_str().expect("utf8"))],
        None,
        &["commit", "-q", "--allow-empty", "-t", tpl_s],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        show(&message(&repo)),
        show(b"Subject\n\nBecause it was slow.\n\nAssisted-by: Claude-Code:claude-opus-4-5\n")
    );
}

#[test]
fn an_empty_message_still_aborts() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let before = head(&repo);
    for extra in [&[][..], &["--no-verify"][..]] {
        let r = commit_msg_file(&repo, &[AGENT], None, b"\n  \n\n", extra);
        assert_ne!(r.code, 0, "{}", r.all());
        assert!(r.stderr.contains("empty commit message"), "{}", r.stderr);
        let r = git_as(
            &repo,
            &[AGENT, ("GIT_EDITOR", "true")],
            None,
            &["commit", "--allow-empty"],
        );
        assert_ne!(r.code, 0, "{}", r.all());
    }
    assert_eq!(head(&repo), before);
}

#[test]
fn amend_keeps_one_trailer_and_a_person_amending_keeps_the_assistants() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let r = commit_msg_file(&repo, &[AGENT], None, b"Fix\n\nBody.\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let want = b"Fix\n\nBody.\n\nAssisted-by: Claude-Code:claude-opus-4-5\n";
    assert_eq!(show(&message(&repo)), show(want));
    let r = git_as(
        &repo,
        &[AGENT],
        None,
        &["commit", "-q", "--amend", "--no-edit", "--allow-empty"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(show(&message(&repo)), show(want));
    let r = git_as(
        &repo,
        &[],
        None,
        &["commit", "-q", "--amend", "--no-edit", "--allow-empty"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(show(&message(&repo)), show(want));
    // Another assistant on the amend: one more line, the first kept.
    let r = git_as(
        &repo,
        &[("VOUCHSAFE_AGENT", "cursor")],
        None,
        &["commit", "-q", "--amend", "--no-edit", "--allow-empty"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        show(&message(&repo)),
        show(b"Fix\n\nBody.\n\nAssisted-by: Claude-Code:claude-opus-4-5\nAssisted-by: Cursor\n")
    );
}

#[test]
fn a_message_in_a_legacy_encoding_passes_through_byte_for_byte() {
    let env = Env::new();
    let repo = setup(&env, "r");
    repo.git(&["config", "i18n.commitEncoding", "ISO-8859-1"]);
    let given: &[u8] = b"Caf\xe9 cr\xe8me\n\nR\xe9sum\xe9 du changement.\n";
    let r = commit_msg_file(&repo, &[AGENT], None, given, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let mut want = given.to_vec();
    want.extend_from_slice(b"\nAssisted-by: Claude-Code:claude-opus-4-5\n");
    assert_eq!(message(&repo), want);
    let header = repo.git(&["cat-file", "commit", "HEAD"]);
    assert!(header.contains("encoding ISO-8859-1"), "{header}");
}

#[test]
fn no_verify_stamps_from_prepare_commit_msg() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let r = commit_msg_file(&repo, &[AGENT], None, b"Fix\n", &["--no-verify"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        show(&message(&repo)),
        show(b"Fix\n\nAssisted-by: Claude-Code:claude-opus-4-5\n")
    );
}

#[test]
fn merges_are_stamped_and_replays_are_not() {
    let env = Env::new();
    let repo = setup(&env, "r");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("t.txt", "topic\n");
    repo.commit_all("Topic work");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("m.txt", "main\n");
    repo.commit_all("Main work");
    let r = git_as(
        &repo,
        &[AGENT],
        None,
        &["merge", "-q", "--no-ff", "--no-edit", "topic"],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        show(&message(&repo)),
        show(b"Merge branch 'topic'\n\nAssisted-by: Claude-Code:claude-opus-4-5\n")
    );
    // A cherry-pick replays a commit a person made: it is not attributed.
    repo.git(&["checkout", "-q", "-b", "other", "HEAD~1"]);
    let topic = repo.git(&["rev-parse", "topic"]).trim().to_string();
    let r = git_as(&repo, &[AGENT], None, &["cherry-pick", &topic]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(show(&message(&repo)), show(b"Topic work\n"));
}

#[test]
fn the_message_file_keeps_its_permissions_and_nothing_is_left_behind() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let f = repo.path.join(".git/COMMIT_EDITMSG");
    std::fs::write(&f, b"Fix\n").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let mut c = repo.vouchsafe();
    c.args(["hook", "commit-msg", ".git/COMMIT_EDITMSG"])
        .env(AGENT.0, AGENT.1)
        .env(ROOT_VAR, std::process::id().to_string());
    let r = Run::from(c.output().expect("hook"));
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        std::fs::read(&f).expect("read"),
        b"Fix\n\nAssisted-by: Claude-Code:claude-opus-4-5\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&f).expect("meta").permissions().mode() & 0o777,
            0o600
        );
    }
    let stray: Vec<_> = std::fs::read_dir(repo.path.join(".git"))
        .expect("ls")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".vouchsafe-msg-")
        })
        .collect();
    assert!(stray.is_empty());
    // A directory git cannot write to: the hook cannot replace the file, reports
    // it, and leaves the file whole.
    #[cfg(unix)]
    if !is_root() {
        use std::os::unix::fs::PermissionsExt;
        let ro = env.path().join("ro");
        std::fs::create_dir_all(&ro).expect("dir");
        let m = ro.join("MSG");
        std::fs::write(&m, b"Fix\n").expect("write");
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        let mut c = repo.vouchsafe();
        c.args(["hook", "commit-msg"])
            .arg(&m)
            .env(AGENT.0, AGENT.1)
            .env(ROOT_VAR, std::process::id().to_string());
        let r = Run::from(c.output().expect("hook"));
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            r.stderr
                .contains("could not add `Assisted-by: Claude-Code:claude-opus-4-5`"),
            "{}",
            r.stderr
        );
        assert_eq!(std::fs::read(&m).expect("read"), b"Fix\n");
    }
}

#[cfg(unix)]
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

// ---------------------------------------------------------------------------------
// Sessions.

#[test]
fn an_explicit_session_stamps_until_stopped_or_expired() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let r = repo.run(&[
        "ai",
        "start",
        "claude",
        "--model",
        "claude-opus-4-5",
        "--for",
        "2h",
    ]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout
            .contains("Assisted-by: Claude-Code:claude-opus-4-5"),
        "{}",
        r.stdout
    );
    let r = commit_msg_file(&repo, &[], None, b"Session work\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        show(&message(&repo)),
        show(b"Session work\n\nAssisted-by: Claude-Code:claude-opus-4-5\n")
    );
    let mut c = repo.vouchsafe();
    c.args(["ai", "status"])
        .env(ROOT_VAR, std::process::id().to_string());
    let s = Run::from(c.output().expect("status"));
    assert!(
        s.stdout
            .contains("  Assisted-by: Claude-Code:claude-opus-4-5"),
        "{}",
        s.stdout
    );
    assert!(
        s.stdout
            .contains("session started with `vouchsafe ai start claude-code`"),
        "{}",
        s.stdout
    );
    assert!(
        s.stdout.contains("model: claude-opus-4-5 (from session)"),
        "{}",
        s.stdout
    );
    let mut c = repo.vouchsafe();
    c.args(["ai", "status", "--format", "json"])
        .env(ROOT_VAR, std::process::id().to_string());
    let j = Run::from(c.output().expect("status")).json();
    assert_eq!(
        j["would_stamp"][0],
        "Assisted-by: Claude-Code:claude-opus-4-5"
    );
    assert_eq!(j["assistants"][0]["evidence"][0]["kind"], "session");
    // Stop ends it.
    let r = repo.run(&["ai", "stop"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("Session ended"), "{}", r.stdout);
    let r = commit_msg_file(&repo, &[], None, b"Own work\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(message(&repo), b"Own work\n");
    assert!(repo.run(&["ai", "stop"]).stdout.contains("No session"));
    // A session past its time does not count.
    assert_eq!(repo.run(&["ai", "start", "cursor"]).code, 0);
    let file = repo.path.join(".git/vouchsafe/ai-session.json");
    let mut s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("session")).expect("json");
    s["expires"] = serde_json::json!(s["started"].as_u64().expect("started") - 1);
    std::fs::write(&file, serde_json::to_vec(&s).expect("json")).expect("write");
    let r = commit_msg_file(&repo, &[], None, b"Later\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(message(&repo), b"Later\n");
    let mut c = repo.vouchsafe();
    c.args(["ai", "status"])
        .env(ROOT_VAR, std::process::id().to_string());
    let s = Run::from(c.output().expect("status"));
    assert!(
        s.stdout.contains("Session: none (the one for cursor ended"),
        "{}",
        s.stdout
    );
}

#[test]
fn ai_start_names() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let r = repo.run(&["ai", "start", "copilot"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr.contains("copilot-vscode") && r.stderr.contains("copilot-cli"),
        "{}",
        r.stderr
    );
    let r = repo.run(&["ai", "start", "ChatGPT", "--model", "gpt-5"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr.contains("not an assistant vouchsafe knows"),
        "{}",
        r.stderr
    );
    let r = commit_msg_file(&repo, &[], None, b"Pasted from a chat\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        show(&message(&repo)),
        show(b"Pasted from a chat\n\nAssisted-by: ChatGPT:gpt-5\n")
    );
    assert_eq!(
        repo.run(&["ai", "start", "claude", "--for", "forever"])
            .code,
        2
    );
    let list = repo.run(&["ai", "list", "--format", "json"]).json();
    assert!(list.as_array().expect("array").len() >= 12);
}

// ---------------------------------------------------------------------------------
// The [agents] policy.

fn commit_policy(repo: &Repo, policy: &str) {
    repo.write(".vouchsafe.toml", policy);
    repo.commit_all("Policy");
}

#[test]
fn an_unapproved_assistant_is_blocked_with_the_evidence_the_list_and_whom_to_ask() {
    let env = Env::new();
    let repo = setup(&env, "r");
    commit_policy(
        &repo,
        "[agents]\napproved = [\"cursor\", \"copilot\"]\ncontact = \"#ai-tools on Slack\"\n",
    );
    let before = head(&repo);
    let vars = [("CLAUDECODE", "1"), ("ANTHROPIC_MODEL", "claude-opus-4-5")];
    for extra in [&[][..], &["--no-verify"][..]] {
        let r = commit_msg_file(&repo, &vars, Some("claude"), b"Refactor\n", extra);
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(r.stderr.contains("Claude Code (claude-code) helped with this commit, and this repository does not approve it"), "{}", r.stderr);
        assert!(r.stderr.contains("CLAUDECODE=1"), "{}", r.stderr);
        assert!(r.stderr.contains("process claude (pid"), "{}", r.stderr);
        assert!(
            r.stderr
                .contains("Approved here: Cursor (cursor), copilot (GitHub Copilot"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("ask: #ai-tools on Slack"), "{}", r.stderr);
        assert_eq!(head(&repo), before, "no commit was made");
    }
    // The block is in the incident log.
    let log = repo.run(&["incidents", "--format", "json"]);
    assert!(
        log.stdout.contains("unapproved-agent") && log.stdout.contains("claude-code"),
        "{}",
        log.all()
    );
    // An approved one goes through, with its trailer.
    let r = commit_msg_file(
        &repo,
        &[("CURSOR_AGENT", "1")],
        Some("cursor"),
        b"Refactor\n",
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        show(&message(&repo)),
        show(b"Refactor\n\nAssisted-by: Cursor\n")
    );
    // A person is never blocked.
    let r = commit_msg_file(&repo, &[], None, b"By hand\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn without_a_contact_the_last_author_of_the_policy_is_named() {
    let env = Env::new();
    let repo = setup(&env, "r");
    commit_policy(&repo, "[agents]\napproved = []\n");
    let r = commit_msg_file(&repo, &[("VOUCHSAFE_AGENT", "aider")], None, b"x\n", &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("Approved here: none"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("last changed by Test User <test@example.org>"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("git commit -e -F"), "{}", r.stderr);
}

#[test]
fn warn_mode_commits_with_one_warning() {
    let env = Env::new();
    let repo = setup(&env, "r");
    commit_policy(
        &repo,
        "[agents]\napproved = [\"cursor\"]\non_unapproved = \"warn\"\n",
    );
    let r = commit_msg_file(
        &repo,
        &[("CLAUDECODE", "1")],
        Some("claude"),
        b"Refactor\n",
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        r.stderr
            .matches("vouchsafe: warning: Claude Code (claude-code) helped")
            .count(),
        1,
        "{}",
        r.stderr
    );
    assert_eq!(
        show(&message(&repo)),
        show(b"Refactor\n\nAssisted-by: Claude-Code\n")
    );
    // Unknown assistants follow on_unknown.
    commit_policy(
        &repo,
        "[agents]\napproved = [\"cursor\"]\non_unknown = \"warn\"\n",
    );
    let r = commit_msg_file(
        &repo,
        &[("AI_AGENT", "brand-new-agent@0.1")],
        None,
        b"New tool\n",
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stderr.contains("\"brand-new-agent\""), "{}", r.stderr);
    assert_eq!(
        show(&message(&repo)),
        show(b"New tool\n\nAssisted-by: brand-new-agent\n")
    );
    let r = commit_msg_file(
        &repo,
        &[("CLAUDECODE", "1")],
        Some("claude"),
        b"Blocked\n",
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.all());
}

#[test]
fn a_policy_edited_in_the_working_tree_does_not_change_the_verdict() {
    let env = Env::new();
    let repo = setup(&env, "r");
    commit_policy(&repo, "[agents]\napproved = [\"cursor\"]\n");
    let loosened = "[agents]\napproved = [\"cursor\", \"claude-code\"]\n";
    repo.write(".vouchsafe.toml", loosened);
    let vars = [("CLAUDECODE", "1")];
    let r = commit_msg_file(&repo, &vars, Some("claude"), b"Try\n", &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    // Not even when the loosening is staged in the same commit.
    repo.git(&["add", ".vouchsafe.toml"]);
    let r = git_as(
        &repo,
        &vars,
        Some("claude"),
        &["commit", "-q", "-m", "Approve myself"],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    // Once a person commits it, it applies.
    repo.git(&["commit", "-q", "--no-verify", "-m", "Approve Claude Code"]);
    let r = commit_msg_file(&repo, &vars, Some("claude"), b"Now\n", &[]);
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn secrets_in_the_message_are_still_blocked_first() {
    let env = Env::new();
    let repo = setup(&env, "r");
    let tok = crate::common::secrets::github_pat("ai-message");
    let before = head(&repo);
    let given = format!("Fix\n\nused {tok}\n");
    for extra in [&[][..], &["--no-verify"][..]] {
        let r = commit_msg_file(&repo, &[AGENT], None, given.as_bytes(), extra);
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(!r.all().contains(&tok), "never printed");
    }
    assert_eq!(head(&repo), before);
    // In a `-m` message a `#` line is kept by git, so it is scanned.
    let r = git_as(
        &repo,
        &[],
        None,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "Fix",
            "-m",
            &format!("# {tok}"),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.all());
}

#[test]
fn placement_matches_git_interpret_trailers_on_raw_messages() {
    let env = Env::new();
    let repo = env.init_repo("r");
    // (raw message as the hook receives it after an editor, comment string)
    let corpus: &[(&[u8], &str)] = &[
        (b"s\n", "#"),
        (b"s", "#"),
        (b"s\n\nbody\n", "#"),
        (b"s\n\nbody\n\n\n\n", "#"),
        (b"s\n\nbody\n# c1\n# c2\n", "#"),
        (b"s\n\nbody\n\n# c\n\n# d\n", "#"),
        (b"s\n\nA: b\n", "#"),
        (b"s\n\nA: b\n# c\n", "#"),
        (b"s\n\nbody\nA: b\n", "#"),
        (b"s\n\nbody\nSigned-off-by: X <x@y>\n", "#"),
        (b"s\n\nbody\n(cherry picked from commit 0123456)\nmore\nand more\n", "#"),
        (b"s\n\nA: b\n  cont\n", "#"),
        (b"s\n\nA: b\n\tcont\n# c\n", "#"),
        (b"s\n\nConflicts:\n\tfile.c\n", "#"),
        (b"s\n\nbody\n\nConflicts:\n\ta\n\tb\n# c\n", "#"),
        (b"s\n\nbody\n# ------------------------ >8 ------------------------\n# Do not modify\ndiff --git a/x b/x\n+A: b\n", "#"),
        (b"s\n\nbody\n\n# ------------------------ >8 ------------------------\nA: b\n", "#"),
        (b"s\n\nA: b\n\nbody after\n", "#"),
        (b"s\n\nSigned-off-by: A <a@b>\n\n# Please enter the commit message\n#\n", "#"),
        (b"s\r\n\r\nbody\r\n", "#"),
        (b"caf\xe9\n\nb\xe9\n", "#"),
        (b"s\n\nbody\n; c\n", ";"),
        (b"s\n\n#1 not a comment\n; c\n", ";"),
        (b"s\n\nbody\n// c\n", "//"),
        (b"s\n\nbody\n\n; ------------------------ >8 ------------------------\n+diff\n", ";"),
    ];
    let file = repo.path.join(".git/COMMIT_EDITMSG");
    for (raw, comment) in corpus {
        repo.git(&["config", "core.commentString", comment]);
        std::fs::write(&file, raw).expect("write");
        let mut c = repo.vouchsafe();
        // No GIT_EDITOR=`:`: an editor was used, so cleanup strips comments.
        c.args(["hook", "commit-msg", ".git/COMMIT_EDITMSG"])
            .env(AGENT.0, AGENT.1)
            .env(ROOT_VAR, std::process::id().to_string());
        let r = Run::from(c.output().expect("hook"));
        assert_eq!(r.code, 0, "{}: {}", show(raw), r.all());
        let got = std::fs::read(&file).expect("read");
        let want = git_reference(&repo, raw, comment, TRAILER);
        assert_eq!(show(&got), show(&want), "raw {}", show(raw));
    }
    // Where git rewrites the block it parses, vouchsafe keeps the bytes; after git's
    // cleanup the commit is the same.
    let differs: &[(&[u8], &[u8])] = &[
        (
            b"s\n\nKey :  value  \n",
            b"s\n\nKey :  value  \nAssisted-by: Claude-Code:claude-opus-4-5\n",
        ),
        (
            b"s\n\nA: b\n# c\nC:d\n",
            b"s\n\nA: b\n# c\nC:d\nAssisted-by: Claude-Code:claude-opus-4-5\n",
        ),
        (
            b"s\n\nA: b\n   \n",
            b"s\n\nA: b\nAssisted-by: Claude-Code:claude-opus-4-5\n   \n",
        ),
        // git would turn the URL into `http: //example.com`.
        (
            b"s\n\nhttp://example.com: see\n",
            b"s\n\nhttp://example.com: see\nAssisted-by: Claude-Code:claude-opus-4-5\n",
        ),
    ];
    repo.git(&["config", "core.commentString", "#"]);
    for (raw, want) in differs {
        std::fs::write(&file, raw).expect("write");
        let mut c = repo.vouchsafe();
        c.args(["hook", "commit-msg", ".git/COMMIT_EDITMSG"])
            .env(AGENT.0, AGENT.1)
            .env(ROOT_VAR, std::process::id().to_string());
        assert_eq!(Run::from(c.output().expect("hook")).code, 0);
        let got = std::fs::read(&file).expect("read");
        assert_eq!(show(&got), show(want));
        let reference = git_reference(&repo, raw, "#", TRAILER);
        let clean = |m: &[u8]| git_cleanup(&repo, m, "#", true);
        let (a, b) = (clean(&got), clean(&reference));
        // git normalises `Key :  value` to `Key: value`; everything else is equal.
        let norm = |m: &[u8]| {
            String::from_utf8_lossy(m)
                .replace("Key :  value", "Key: value")
                .replace("C:d", "C: d")
                .replace("http: //", "http://")
        };
        assert_eq!(norm(&a), norm(&b), "after cleanup, raw {}", show(raw));
    }
}

#[test]
fn the_readme_lists_every_assistant_in_the_registry() {
    let docs = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    for a in registry_files() {
        assert!(
            docs.contains(&format!("| `{}` |", a.id)),
            "README.md lists {}",
            a.id
        );
    }
}
