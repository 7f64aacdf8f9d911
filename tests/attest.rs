//! Attestations: signing in the commit-msg hook with real OpenSSH keys, a real
//! ssh-agent and the kernel keyutils store; verification of every way a commit moves
//! (amend, rebase, cherry-pick, merge, root) and of every way it can be tampered with;
//! OpenSSH's own `ssh-keygen -Y verify` over `attest show` output.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use crate::common::*;

const NS: &str = "vouchsafe-commit-attestation";
const EMAIL: &str = "test@example.org";

/// A repository with vouchsafe's hooks installed (the real installer).
fn setup(env: &Env) -> Repo<'_> {
    let repo = env.init_repo("r");
    let run = repo.run(&["install"]);
    assert_eq!(run.code, 0, "install failed: {}", run.all());
    repo
}

/// Writes an allowed-signers file outside the repository.
fn signers(env: &Env, name: &str, lines: &[String]) -> PathBuf {
    let p = env.path().join(name);
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

fn commit(repo: &Repo, file: &str, content: &str, msg: &str) -> Run {
    repo.write(file, content);
    repo.git(&["add", file]);
    Run::from(
        repo.git_cmd()
            .args(["commit", "-q", "-m", msg])
            .output()
            .unwrap(),
    )
}

fn head_message(repo: &Repo) -> String {
    repo.git(&["log", "-1", "--format=%B"])
}

fn trailer_count(repo: &Repo, rev: &str) -> usize {
    repo.git(&["log", "-1", "--format=%B", rev])
        .lines()
        .filter(|l| l.starts_with("Vouchsafe-Attestation:"))
        .count()
}

fn verify(repo: &Repo, allowed: &Path, revs: &[&str]) -> Run {
    let mut args = vec!["verify", "--format", "json", "--allowed-signers"];
    let a = allowed.to_str().unwrap();
    args.push(a);
    args.extend_from_slice(revs);
    repo.run(&args)
}

/// The single commit's status and reason codes.
fn verdict(run: &Run) -> (String, Vec<String>) {
    let j = run.json();
    let c = &j["commits"][0];
    let reasons = c["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect();
    (c["status"].as_str().unwrap().to_string(), reasons)
}

fn assert_status(repo: &Repo, allowed: &Path, rev: &str, want: &str) {
    let run = verify(repo, allowed, &[rev]);
    let (status, reasons) = verdict(&run);
    assert_eq!(status, want, "{rev}: {reasons:?}\n{}", run.all());
    let want_code = if want == "exact" || want == "rebased" {
        0
    } else {
        1
    };
    assert_eq!(run.code, want_code, "{}", run.all());
}

fn assert_fails(repo: &Repo, allowed: &Path, rev: &str, reason: &str) {
    let run = verify(repo, allowed, &[rev]);
    let (status, reasons) = verdict(&run);
    assert_eq!(status, "failed", "{}", run.all());
    assert!(
        reasons.iter().any(|r| r == reason),
        "wanted {reason}, got {reasons:?}"
    );
    assert_eq!(run.code, 1);
}

/// `attest show --payload` and `--sshsig` checked by OpenSSH alone.
fn openssh_verifies(env: &Env, repo: &Repo, rev: &str, allowed: &Path, principal: &str) -> bool {
    let payload = repo
        .vouchsafe()
        .args(["attest", "show", rev, "--payload"])
        .output()
        .unwrap();
    assert!(
        payload.status.success(),
        "{}",
        String::from_utf8_lossy(&payload.stderr)
    );
    let sig = repo
        .vouchsafe()
        .args(["attest", "show", rev, "--sshsig"])
        .output()
        .unwrap();
    assert!(sig.status.success());
    let sig_path = env
        .path()
        .join(format!("sig-{}", rev.replace(['/', '~', '^'], "_")));
    std::fs::write(&sig_path, &sig.stdout).unwrap();
    let mut child = env
        .cmd("ssh-keygen", env.path())
        .args(["-Y", "verify", "-f"])
        .arg(allowed)
        .args(["-I", principal, "-n", NS, "-s"])
        .arg(&sig_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&payload.stdout)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success() && text.starts_with("Good")
}

/// A policy committed at HEAD (the hooks read the committed version).
fn commit_policy(repo: &Repo, toml: &str) {
    repo.write(".vouchsafe.toml", toml);
    repo.git(&["add", ".vouchsafe.toml"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "policy"]);
}

// ---------------------------------------------------------------------------------

#[test]
fn ed25519_default_key_signs_and_openssh_verifies() {
    let env = Env::new();
    let public = keygen(
        &env,
        &env.home.join(".ssh/id_ed25519"),
        &["-t", "ed25519"],
        "",
    );
    let repo = setup(&env);
    let allowed = signers(&env, "allowed", &[format!("{EMAIL} {}", key_part(&public))]);
    let run = commit(&repo, "a.txt", "hello\n", "first commit");
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(trailer_count(&repo, "HEAD"), 1);
    let msg = head_message(&repo);
    assert!(
        msg.starts_with("first commit\n\nVouchsafe-Attestation: "),
        "{msg}"
    );
    assert_eq!(
        msg.lines().filter(|l| !l.is_empty()).count(),
        2,
        "one long trailer line: {msg}"
    );
    // A root commit, exact.
    assert_status(&repo, &allowed, "HEAD", "exact");
    assert!(openssh_verifies(&env, &repo, "HEAD", &allowed, EMAIL));
    // The payload is the readable document, and show names the one-liner.
    let payload = repo.run(&["attest", "show", "HEAD", "--payload"]).stdout;
    assert!(
        payload.starts_with(
            "vouchsafe-commit-attestation 1\nsigner test@example.org\nkey ssh-ed25519 "
        ),
        "{payload}"
    );
    assert!(
        payload.contains("\nauthor Test User <test@example.org>\n")
            && payload.ends_with("\n\nfirst commit\n"),
        "{payload}"
    );
    let show = repo.run(&["attest", "show", "HEAD"]);
    assert!(
        show.stdout.contains("ssh-keygen -Y verify") && show.stdout.contains(NS),
        "{}",
        show.stdout
    );
    let j = repo.run(&["attest", "show", "HEAD", "--json"]).json();
    assert_eq!(j["signer"], EMAIL);
    assert!(j["sshsig"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN SSH SIGNATURE-----"));
    // A second commit with a body.
    let run = commit(&repo, "b.txt", "b\n", "second\n\nwith a body\n");
    assert_eq!(run.code, 0, "{}", run.all());
    let run = verify(&repo, &allowed, &["HEAD~1..HEAD"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(run.json()["summary"]["exact"], 1);
    assert!(openssh_verifies(&env, &repo, "HEAD", &allowed, EMAIL));
}

#[test]
fn ecdsa_and_rsa_key_files_sign_through_key_use() {
    let env = Env::new();
    let repo = setup(&env);
    let mut lines = Vec::new();
    for (name, args) in [
        ("ecdsa256", vec!["-t", "ecdsa", "-b", "256"]),
        ("ecdsa384", vec!["-t", "ecdsa", "-b", "384"]),
        ("rsa", vec!["-t", "rsa", "-b", "2048"]),
    ] {
        let path = env.path().join("keys").join(name);
        let public = keygen(&env, &path, &args, "");
        lines.push(format!("{EMAIL} {}", key_part(&public)));
        let allowed = signers(&env, "allowed", &lines);
        let run = repo.run(&["key", "use", path.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.all());
        assert!(run.stdout.contains("from the file"), "{}", run.stdout);
        let run = commit(
            &repo,
            &format!("{name}.txt"),
            name,
            &format!("signed with {name}"),
        );
        assert_eq!(run.code, 0, "{}", run.all());
        assert_status(&repo, &allowed, "HEAD", "exact");
        let j = repo.run(&["attest", "show", "HEAD", "--json"]).json();
        let want = key_part(&public);
        assert_eq!(j["key"].as_str().unwrap(), want, "{name}");
        assert!(
            openssh_verifies(&env, &repo, "HEAD", &allowed, EMAIL),
            "{name}"
        );
    }
}

#[test]
fn passphrase_comes_from_the_keyutils_store() {
    let env = Env::new();
    let repo = setup(&env);
    let key = env.path().join("keys/protected");
    let public = keygen(&env, &key, &["-t", "ed25519"], "correct horse");
    let allowed = signers(&env, "allowed", &[format!("{EMAIL} {}", key_part(&public))]);
    let k = key.to_str().unwrap();
    assert_eq!(repo.run(&["key", "use", k]).code, 0);
    // No passphrase stored: not required, so the commit goes through unsigned, saying why.
    let run = commit(&repo, "a.txt", "a\n", "before the passphrase");
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("passphrase-protected") && run.stderr.contains("key passphrase set"),
        "{}",
        run.stderr
    );
    assert_eq!(trailer_count(&repo, "HEAD"), 0);
    // A wrong passphrase is refused and not stored.
    let wrong = Run::from(
        repo.vouchsafe()
            .args(["key", "passphrase", "set", k])
            .stdin(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(b"wrong\n")?;
                c.wait_with_output()
            })
            .unwrap(),
    );
    assert_ne!(wrong.code, 0, "{}", wrong.all());
    let set = Run::from(
        repo.vouchsafe()
            .args(["key", "passphrase", "set", k])
            .stdin(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(b"correct horse\n")?;
                c.wait_with_output()
            })
            .unwrap(),
    );
    assert_eq!(set.code, 0, "{}", set.all());
    assert!(set.stdout.contains("keyutils"), "{}", set.stdout);
    let run = commit(&repo, "b.txt", "b\n", "signed with a protected key");
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(trailer_count(&repo, "HEAD"), 1, "{}", run.all());
    assert_status(&repo, &allowed, "HEAD", "exact");
    assert!(openssh_verifies(&env, &repo, "HEAD", &allowed, EMAIL));
    let clear = repo.run(&["key", "passphrase", "clear", k]);
    assert_eq!(clear.code, 0, "{}", clear.all());
    assert!(clear.stdout.contains("Removed"), "{}", clear.stdout);
}

/// An ssh-agent of our own, stopped when dropped.
struct Agent {
    child: Child,
    sock: PathBuf,
}

impl Agent {
    fn start(env: &Env) -> Agent {
        let sock = env.path().join("agent.sock");
        let child = env
            .cmd("ssh-agent", env.path())
            .args(["-D", "-a"])
            .arg(&sock)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssh-agent");
        for _ in 0..200 {
            if sock.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(sock.exists(), "ssh-agent did not create its socket");
        Agent { child, sock }
    }

    fn add(&self, env: &Env, key: &Path) {
        let out = env
            .cmd("ssh-add", env.path())
            .env("SSH_AUTH_SOCK", &self.sock)
            .arg(key)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ssh-add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn commit_with(repo: &Repo, envs: &[(&str, &Path)], file: &str, msg: &str) -> Run {
    repo.write(file, msg);
    repo.git(&["add", file]);
    let mut c = repo.git_cmd();
    for (k, v) in envs {
        c.env(k, v);
    }
    Run::from(c.args(["commit", "-q", "-m", msg]).output().unwrap())
}

#[test]
fn signs_through_a_real_ssh_agent() {
    let env = Env::new();
    let repo = setup(&env);
    let agent = Agent::start(&env);
    // The agent holds the only copy of the private key.
    let key = env.path().join("keys/agent_only");
    let public = keygen(&env, &key, &["-t", "ed25519"], "");
    agent.add(&env, &key);
    std::fs::remove_file(&key).unwrap();
    let allowed = signers(&env, "allowed", &[format!("{EMAIL} {}", key_part(&public))]);
    let sock: &Path = &agent.sock;
    let run = commit_with(
        &repo,
        &[("SSH_AUTH_SOCK", sock)],
        "a.txt",
        "signed by the agent",
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(trailer_count(&repo, "HEAD"), 1, "{}", run.all());
    assert_status(&repo, &allowed, "HEAD", "exact");
    assert!(openssh_verifies(&env, &repo, "HEAD", &allowed, EMAIL));
    // key status says so.
    let st = Run::from(
        repo.vouchsafe()
            .env("SSH_AUTH_SOCK", sock)
            .args(["key", "status"])
            .output()
            .unwrap(),
    );
    assert!(st.stdout.contains("through ssh-agent"), "{}", st.stdout);

    // git's own setting, a literal public key, picks this key among several in the agent.
    let other = env.path().join("keys/other");
    keygen(&env, &other, &["-t", "ed25519"], "");
    agent.add(&env, &other);
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&[
        "config",
        "user.signingKey",
        &format!("key::{}", key_part(&public)),
    ]);
    let run = commit_with(
        &repo,
        &[("SSH_AUTH_SOCK", sock)],
        "b.txt",
        "signed by git's key",
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_status(&repo, &allowed, "HEAD", "exact");
    // An RSA key through the agent: rsa-sha2-512, which OpenSSH accepts.
    let rsa = env.path().join("keys/agent_rsa");
    let rsa_pub = keygen(&env, &rsa, &["-t", "rsa", "-b", "2048"], "");
    agent.add(&env, &rsa);
    repo.git(&[
        "config",
        "user.signingKey",
        &format!("{}.pub", rsa.display()),
    ]);
    std::fs::remove_file(&rsa).unwrap();
    let allowed = signers(
        &env,
        "allowed2",
        &[
            format!("{EMAIL} {}", key_part(&public)),
            format!("{EMAIL} {}", key_part(&rsa_pub)),
        ],
    );
    let run = commit_with(
        &repo,
        &[("SSH_AUTH_SOCK", sock)],
        "c.txt",
        "rsa through the agent",
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_status(&repo, &allowed, "HEAD", "exact");
    assert!(openssh_verifies(&env, &repo, "HEAD", &allowed, EMAIL));
    // A passphrase-protected key file the agent holds: the agent signs, no passphrase
    // needed (and no key derivation).
    let prot = env.path().join("keys/protected");
    let prot_pub = keygen(&env, &prot, &["-t", "ed25519"], "in the agent");
    let askpass = env.path().join("askpass.sh");
    std::fs::write(&askpass, "#!/bin/sh\necho 'in the agent'\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&askpass, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = env
        .cmd("ssh-add", env.path())
        .env("SSH_AUTH_SOCK", sock)
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env("DISPLAY", ":0")
        .arg(&prot)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ssh-add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(repo.run(&["key", "use", prot.to_str().unwrap()]).code, 0);
    let allowed = signers(
        &env,
        "allowed3",
        &[format!("{EMAIL} {}", key_part(&prot_pub))],
    );
    let run = commit_with(
        &repo,
        &[("SSH_AUTH_SOCK", sock)],
        "d.txt",
        "protected, in the agent",
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_status(&repo, &allowed, "HEAD", "exact");
}

/// A repository signing with an Ed25519 key in ~/.ssh, and its allowed-signers file.
fn signing_repo(env: &Env) -> (Repo<'_>, PathBuf, String) {
    let public = keygen(
        env,
        &env.home.join(".ssh/id_ed25519"),
        &["-t", "ed25519"],
        "",
    );
    let repo = setup(env);
    let allowed = signers(env, "allowed", &[format!("{EMAIL} {}", key_part(&public))]);
    (repo, allowed, public)
}

#[test]
fn amend_replaces_the_trailer_and_binds_the_amended_commit() {
    let env = Env::new();
    let (repo, allowed, _) = signing_repo(&env);
    assert_eq!(commit(&repo, "a.txt", "a\n", "base").code, 0);
    assert_eq!(commit(&repo, "b.txt", "b\n", "change b").code, 0);
    // Amend with new content, keeping the message (and so the old trailer).
    repo.write("b.txt", "b\nmore\n");
    repo.git(&["add", "b.txt"]);
    repo.git(&["commit", "-q", "--amend", "--no-edit"]);
    assert_eq!(trailer_count(&repo, "HEAD"), 1, "{}", head_message(&repo));
    assert_status(&repo, &allowed, "HEAD", "exact");
    // The bound patch is the amended commit's own, against its real parent.
    let j = repo.run(&["attest", "show", "HEAD", "--json"]).json();
    let diff = repo.git(&["diff-tree", "-p", "--full-index", "HEAD"]);
    let mut pid = repo.git_cmd();
    pid.args(["patch-id", "--verbatim"]).stdin(Stdio::piped());
    let mut child = pid.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(diff.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let want = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(j["patch_id"].as_str().unwrap(), want);
    // Amend with a new message (-m): still one trailer, still exact.
    repo.git(&["commit", "-q", "--amend", "-m", "change b, reworded"]);
    assert_eq!(trailer_count(&repo, "HEAD"), 1);
    assert_status(&repo, &allowed, "HEAD", "exact");
    assert!(openssh_verifies(&env, &repo, "HEAD", &allowed, EMAIL));
    // Amending the root commit binds against the empty tree.
    repo.git(&["checkout", "-q", "--orphan", "fresh"]);
    repo.git(&["rm", "-rq", "--cached", "."]);
    assert_eq!(commit(&repo, "root.txt", "r\n", "root").code, 0);
    repo.write("root.txt", "r2\n");
    repo.git(&["add", "root.txt"]);
    repo.git(&["commit", "-q", "--amend", "--no-edit"]);
    assert_eq!(trailer_count(&repo, "HEAD"), 1);
    assert_status(&repo, &allowed, "HEAD", "exact");
}

#[test]
fn rebase_and_cherry_pick_keep_the_attestation_as_rebased() {
    let env = Env::new();
    let (repo, allowed, _) = signing_repo(&env);
    assert_eq!(commit(&repo, "base.txt", "base\n", "base").code, 0);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    assert_eq!(
        commit(&repo, "feature.txt", "feature\n", "feature work").code,
        0
    );
    repo.git(&["checkout", "-q", "main"]);
    assert_eq!(
        commit(&repo, "other.txt", "other\n", "main moves on").code,
        0
    );
    // Cherry-pick (no hooks re-sign it): the same patch on another tree.
    repo.git(&["cherry-pick", "feature"]);
    assert_eq!(trailer_count(&repo, "HEAD"), 1);
    assert_status(&repo, &allowed, "HEAD", "rebased");
    // --strict accepts exact only.
    let strict = repo.run(&[
        "verify",
        "--strict",
        "--allowed-signers",
        allowed.to_str().unwrap(),
        "HEAD",
    ]);
    assert_eq!(strict.code, 1, "{}", strict.all());
    // Rebase onto the commit main moved on with.
    repo.git(&["checkout", "-q", "feature"]);
    assert_status(&repo, &allowed, "HEAD", "exact");
    repo.git(&["rebase", "-q", "main~1"]);
    assert_status(&repo, &allowed, "HEAD", "rebased");
    // The rebased commit still checks out with OpenSSH: the payload names the signed tree.
    assert!(openssh_verifies(&env, &repo, "HEAD", &allowed, EMAIL));
    // A whole range.
    let run = verify(&repo, &allowed, &["main~2..feature"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(run.json()["summary"]["exact"], 1);
    assert_eq!(run.json()["summary"]["rebased"], 1);
}

#[test]
fn merge_commits_bind_tree_and_parents() {
    let env = Env::new();
    let (repo, allowed, _) = signing_repo(&env);
    assert_eq!(commit(&repo, "base.txt", "base\n", "base").code, 0);
    repo.git(&["checkout", "-q", "-b", "side"]);
    assert_eq!(commit(&repo, "side.txt", "side\n", "side").code, 0);
    repo.git(&["checkout", "-q", "main"]);
    assert_eq!(commit(&repo, "main.txt", "main\n", "main").code, 0);
    repo.git(&["merge", "-q", "--no-ff", "side", "-m", "merge side"]);
    assert_eq!(
        repo.git(&["rev-list", "--parents", "-n1", "HEAD"])
            .split_whitespace()
            .count(),
        3
    );
    assert_eq!(trailer_count(&repo, "HEAD"), 1, "{}", head_message(&repo));
    assert_status(&repo, &allowed, "HEAD", "exact");
    assert!(openssh_verifies(&env, &repo, "HEAD", &allowed, EMAIL));
    let payload = repo.run(&["attest", "show", "HEAD", "--payload"]).stdout;
    assert_eq!(
        payload.lines().filter(|l| l.starts_with("parent ")).count(),
        2,
        "{payload}"
    );
    // The same merge message and tree on other parents is not the signed merge.
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]).trim().to_string();
    let msg = head_message(&repo);
    let forged = Run::from(
        repo.git_cmd()
            .args([
                "commit-tree",
                &tree,
                "-p",
                "HEAD^1",
                "-p",
                "HEAD^1~1",
                "-m",
                msg.trim_end(),
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(forged.code, 0, "{}", forged.all());
    assert_fails(&repo, &allowed, forged.stdout.trim(), "content-changed");
}

/// A commit rewritten without the hooks (`--no-verify`): the old trailer stays.
fn rewrite(repo: &Repo, args: &[&str]) {
    let mut full = vec!["commit", "-q", "--no-verify", "--amend"];
    full.extend_from_slice(args);
    repo.git(&full);
}

#[test]
fn tampering_is_rejected_with_the_reason() {
    let env = Env::new();
    let (repo, allowed, _) = signing_repo(&env);
    assert_eq!(commit(&repo, "base.txt", "base\n", "base").code, 0);
    assert_eq!(
        commit(
            &repo,
            "app.py",
            "def f():\n    return 1\n",
            "add f\n\nAssisted-by: Claude:claude-opus-4-5"
        )
        .code,
        0
    );
    let signed = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    assert_status(&repo, &allowed, &signed, "exact");
    let run = verify(&repo, &allowed, &[&signed]);
    assert_eq!(
        run.json()["commits"][0]["assistants"][0],
        "Claude:claude-opus-4-5"
    );
    let msg = head_message(&repo);

    // A reworded subject, every trailer kept.
    let reworded = msg.replacen("add f", "add f, safely", 1);
    rewrite(&repo, &["-m", reworded.trim_end()]);
    assert_eq!(trailer_count(&repo, "HEAD"), 1);
    assert_fails(&repo, &allowed, "HEAD", "message-changed");
    repo.git(&["reset", "-q", "--hard", &signed]);

    // Other content under the same message.
    repo.write("app.py", "def f():\n    return 2\n");
    repo.git(&["add", "app.py"]);
    rewrite(&repo, &["--no-edit"]);
    assert_fails(&repo, &allowed, "HEAD", "content-changed");
    repo.git(&["reset", "-q", "--hard", &signed]);

    // Whitespace only: `patch-id --stable` would not see it; the verbatim id does.
    repo.write("app.py", "def f():\n  return 1\n");
    repo.git(&["add", "app.py"]);
    rewrite(&repo, &["--no-edit"]);
    assert_fails(&repo, &allowed, "HEAD", "content-changed");
    repo.git(&["reset", "-q", "--hard", &signed]);

    // The author changed.
    rewrite(
        &repo,
        &["--no-edit", "--author", "Someone Else <else@example.org>"],
    );
    assert_fails(&repo, &allowed, "HEAD", "author-changed");
    repo.git(&["reset", "-q", "--hard", &signed]);

    // The trailer copied onto another commit.
    let trailer = msg
        .lines()
        .find(|l| l.starts_with("Vouchsafe-Attestation:"))
        .unwrap()
        .to_string();
    repo.write("other.txt", "other\n");
    repo.git(&["add", "other.txt"]);
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        &format!("add f\n\nAssisted-by: Claude:claude-opus-4-5\n{trailer}"),
    ]);
    assert_fails(&repo, &allowed, "HEAD", "content-changed");
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "--allow-empty",
        "-m",
        &format!("something else\n\n{trailer}"),
    ]);
    let run = verify(&repo, &allowed, &["HEAD"]);
    let (_, reasons) = verdict(&run);
    assert!(
        reasons.contains(&"message-changed".to_string())
            && reasons.contains(&"content-changed".to_string()),
        "{reasons:?}"
    );
    // A corrupted trailer.
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "--allow-empty",
        "-m",
        "x\n\nVouchsafe-Attestation: AQ-garbage",
    ]);
    assert_fails(&repo, &allowed, "HEAD", "malformed");
    // An unsigned commit fails verification (no policy: every commit is required).
    repo.git(&[
        "commit",
        "-q",
        "--no-verify",
        "--allow-empty",
        "-m",
        "unsigned",
    ]);
    assert_status(&repo, &allowed, "HEAD", "unsigned");
    let human = repo.run(&[
        "verify",
        "--allowed-signers",
        allowed.to_str().unwrap(),
        "HEAD~4..HEAD",
    ]);
    assert_eq!(human.code, 1);
    assert!(
        human.stdout.contains("FAILED")
            && human.stdout.contains("UNSIGNED")
            && human.stdout.contains("message changed"),
        "{}",
        human.stdout
    );
}

#[test]
fn the_allowed_signers_decide_who_and_when() {
    let env = Env::new();
    let (repo, _, public) = signing_repo(&env);
    assert_eq!(commit(&repo, "a.txt", "a\n", "signed").code, 0);
    let k = key_part(&public);
    // Not listed (another key is).
    let stranger = keygen(
        &env,
        &env.path().join("keys/stranger"),
        &["-t", "ed25519"],
        "",
    );
    let a = signers(&env, "a1", &[format!("{EMAIL} {}", key_part(&stranger))]);
    assert_fails(&repo, &a, "HEAD", "unknown-key");
    // Listed for another principal only.
    let a = signers(&env, "a2", &[format!("other@example.org {k}")]);
    assert_fails(&repo, &a, "HEAD", "unknown-key");
    // Only until a date in the past.
    let a = signers(
        &env,
        "a3",
        &[format!("{EMAIL} valid-before=\"20200101Z\" {k}")],
    );
    assert_fails(&repo, &a, "HEAD", "expired-key");
    let a = signers(
        &env,
        "a4",
        &[format!("{EMAIL} valid-after=\"29990101\" {k}")],
    );
    assert_fails(&repo, &a, "HEAD", "expired-key");
    // Only for git's own namespace.
    let a = signers(&env, "a5", &[format!("{EMAIL} namespaces=\"git\" {k}")]);
    assert_fails(&repo, &a, "HEAD", "wrong-namespace");
    // Patterns, options, comments, a certificate authority (reported, skipped).
    let a = signers(
        &env,
        "a6",
        &[
            "# the team".into(),
            format!("*@example.com,!bad@example.org cert-authority {k}"),
            format!("\"*@example.org\" namespaces=\"git,vouchsafe-*\",valid-after=\"20200101Z\",valid-before=\"29990101Z\" {k} laptop"),
        ],
    );
    let run = verify(&repo, &a, &["HEAD"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stderr.contains("cert-authority"), "{}", run.stderr);
    // The default place: .vouchsafe/allowed_signers in the repository.
    let none = repo.run(&["verify", "HEAD"]);
    assert_eq!(none.code, 2, "{}", none.all());
    assert!(
        none.stderr.contains(".vouchsafe/allowed_signers"),
        "{}",
        none.stderr
    );
    repo.write(".vouchsafe/allowed_signers", format!("{EMAIL} {k}\n"));
    let run = repo.run(&["verify"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.starts_with("exact"), "{}", run.stdout);
    // git's gpg.ssh.allowedSignersFile is the fallback.
    std::fs::remove_file(repo.path.join(".vouchsafe/allowed_signers")).unwrap();
    let g = signers(&env, "git_signers", &[format!("{EMAIL} {k}")]);
    repo.git(&["config", "gpg.ssh.allowedSignersFile", g.to_str().unwrap()]);
    assert_eq!(repo.run(&["verify"]).code, 0);
}

#[test]
fn without_a_key_the_policy_decides() {
    let env = Env::new();
    let repo = setup(&env);
    // Unset: through, with a hint.
    let run = commit(&repo, "a.txt", "a\n", "no key");
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("vouchsafe key generate"),
        "{}",
        run.stderr
    );
    assert_eq!(trailer_count(&repo, "HEAD"), 0);
    // off: through, quietly.
    commit_policy(&repo, "[attestation]\nrequire = \"off\"\n");
    let run = commit(&repo, "b.txt", "b\n", "off");
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(!run.stderr.contains("key"), "{}", run.stderr);
    // assisted: a plain commit passes, an assisted one is stopped.
    commit_policy(&repo, "[attestation]\nrequire = \"assisted\"\n");
    let run = commit(&repo, "c.txt", "c\n", "plain");
    assert_eq!(run.code, 0, "{}", run.all());
    let run = commit(
        &repo,
        "d.txt",
        "d\n",
        "helped\n\nAssisted-by: Claude:claude-opus-4-5",
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("requires an attestation")
            && run.stderr.contains("vouchsafe key generate"),
        "{}",
        run.stderr
    );
    assert_eq!(repo.git(&["log", "-1", "--format=%s"]).trim(), "plain");
    // all: every commit is stopped.
    repo.git(&["reset", "-q"]);
    commit_policy(&repo, "[attestation]\nrequire = \"all\"\n");
    let run = commit(&repo, "e.txt", "e\n", "anything");
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("requires an attestation"),
        "{}",
        run.stderr
    );
    // With a key, the same commit is signed.
    let public = keygen(
        &env,
        &env.home.join(".ssh/id_ed25519"),
        &["-t", "ed25519"],
        "",
    );
    let run = Run::from(
        repo.git_cmd()
            .args(["commit", "-q", "-m", "anything"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let allowed = signers(&env, "allowed", &[format!("{EMAIL} {}", key_part(&public))]);
    assert_status(&repo, &allowed, "HEAD", "exact");
    // verify follows the policy for unsigned commits: "assisted" lets plain ones pass.
    commit_policy(&repo, "[attestation]\nrequire = \"assisted\"\n");
    let run = verify(&repo, &allowed, &["HEAD"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(run.json()["commits"][0]["status"], "unsigned");
}

#[test]
fn key_generate_use_and_status() {
    let env = Env::new();
    let repo = setup(&env);
    let run = repo.run(&["key", "status"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stdout.contains("signing key   none"), "{}", run.stdout);
    let run = repo.run(&["key", "generate"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with(EMAIL))
        .unwrap_or_else(|| panic!("no allowed-signers line: {}", run.stdout))
        .to_string();
    assert!(
        line.contains(&format!("namespaces=\"{NS}\" ssh-ed25519 ")),
        "{line}"
    );
    // Refuses to overwrite.
    assert_eq!(repo.run(&["key", "generate"]).code, 2);
    let st = repo.run(&["key", "status"]);
    assert_eq!(st.code, 0, "{}", st.all());
    assert!(
        st.stdout.contains("no allowed-signers file yet") && st.stdout.contains(&line),
        "{}",
        st.stdout
    );
    repo.write(".vouchsafe/allowed_signers", format!("{line}\n"));
    let st = repo.run(&["key", "status"]);
    assert!(st.stdout.contains("allowed       yes"), "{}", st.stdout);
    let run = commit(&repo, "a.txt", "a\n", "with the generated key");
    assert_eq!(run.code, 0, "{}", run.all());
    let run = repo.run(&["verify", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(run.json()["commits"][0]["status"], "exact");
    // key use --clear falls back to the next source (none here).
    assert_eq!(repo.run(&["key", "use", "--clear"]).code, 0);
    assert!(repo
        .run(&["key", "status"])
        .stdout
        .contains("signing key   none"));
    // key use with a public key file and no agent says why it cannot sign.
    let public = keygen(&env, &env.path().join("keys/k"), &["-t", "ed25519"], "");
    let pub_only = env.path().join("only.pub");
    std::fs::write(&pub_only, public).unwrap();
    let run = repo.run(&["key", "use", pub_only.to_str().unwrap()]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("cannot sign yet") && run.stdout.contains("ssh-agent"),
        "{}",
        run.stdout
    );
}

#[test]
fn editor_messages_with_comments_and_verbose_diffs_verify() {
    let env = Env::new();
    let (repo, allowed, _) = signing_repo(&env);
    assert_eq!(commit(&repo, "a.txt", "a\n", "base").code, 0);
    // An editor that writes a subject and a body above git's comment block; `-v` puts
    // the diff below the scissors line.
    let editor = env.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nf=\"$1\"\n{ printf 'edited subject  \\n\\n\\nbody line\\n\\nAssisted-by: Codex:gpt-5\\n'; cat \"$f\"; } > \"$f.new\" && mv \"$f.new\" \"$f\"\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&editor).unwrap().permissions();
    use std::os::unix::fs::PermissionsExt;
    perms.set_mode(0o755);
    std::fs::set_permissions(&editor, perms).unwrap();
    repo.write("b.txt", "b\n");
    repo.git(&["add", "b.txt"]);
    let run = Run::from(
        repo.git_cmd()
            .env("GIT_EDITOR", &editor)
            .args(["commit", "-q", "-v"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    let msg = head_message(&repo);
    assert!(
        msg.starts_with(
            "edited subject\n\nbody line\n\nAssisted-by: Codex:gpt-5\nVouchsafe-Attestation: "
        ),
        "{msg}"
    );
    assert!(!msg.contains('#') && !msg.contains("diff --git"), "{msg}");
    assert_status(&repo, &allowed, "HEAD", "exact");
    assert!(openssh_verifies(&env, &repo, "HEAD", &allowed, EMAIL));
}

#[test]
fn commands_outside_a_signed_commit_explain_themselves() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write("a.txt", "a\n");
    repo.commit_all("plain");
    let run = repo.run(&["attest", "show", "HEAD"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no Vouchsafe-Attestation"),
        "{}",
        run.stderr
    );
    let run = repo.run(&["attest", "show", "nosuchrev"]);
    assert_eq!(run.code, 2, "{}", run.all());
}

#[test]
fn unusual_changes_bind_the_same_patch_at_both_ends() {
    let env = Env::new();
    let (repo, allowed, _) = signing_repo(&env);
    repo.write("old name.txt", "moved\n");
    repo.write("script.sh", "echo hi\n");
    repo.write("keep.txt", "keep\n");
    assert_eq!(commit(&repo, "a.txt", "a\n", "base").code, 0);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "more files"]);
    assert_status(&repo, &allowed, "HEAD", "exact");
    // A rename, a mode change, a binary file, and an intent-to-add file left out.
    repo.git(&["mv", "old name.txt", "new name.txt"]);
    repo.git(&["update-index", "--chmod=+x", "script.sh"]);
    repo.write("blob.bin", [0u8, 1, 2, 3, 255, 0, 7]);
    repo.git(&["add", "blob.bin"]);
    repo.write("later.txt", "not yet\n");
    repo.git(&["add", "-N", "later.txt"]);
    repo.git(&["commit", "-q", "-m", "rename, chmod, binary"]);
    assert_status(&repo, &allowed, "HEAD", "exact");
    // `git commit -a`, and a partial commit of one path (git uses a temporary index).
    repo.write("keep.txt", "keep, changed\n");
    repo.git(&["commit", "-q", "-a", "-m", "commit -a"]);
    assert_status(&repo, &allowed, "HEAD", "exact");
    repo.write("a.txt", "a2\n");
    repo.write("keep.txt", "keep, again\n");
    repo.git(&["commit", "-q", "-m", "only a.txt", "a.txt"]);
    assert_status(&repo, &allowed, "HEAD", "exact");
    // An empty commit: no patch at all.
    repo.git(&["commit", "-q", "--allow-empty", "-m", "empty"]);
    assert_status(&repo, &allowed, "HEAD", "exact");
    assert!(repo
        .run(&["attest", "show", "HEAD", "--payload"])
        .stdout
        .contains("\npatch-id none\n"));
    // From a subdirectory, with a relative GIT_INDEX_FILE as git sets it.
    std::fs::create_dir_all(repo.path.join("sub")).unwrap();
    repo.write("sub/x.txt", "x\n");
    repo.git(&["add", "sub/x.txt"]);
    let run = Run::from(
        env.cmd("git", &repo.path.join("sub"))
            .args(["commit", "-q", "-m", "from a subdirectory"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_status(&repo, &allowed, "HEAD", "exact");
}
