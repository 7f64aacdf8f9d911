//! The gates after the commit: pre-push through a real `git push` to a real bare
//! repository, pre-receive inside that bare repository, and the incident log.

use std::path::{Path, PathBuf};

use crate::common::*;

/// A hook script that runs the real binary (the installer's shims do more; these
/// tests are about the gates themselves).
fn hook(dir: &Path, name: &str, args: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(dir).expect("hooks dir");
    std::fs::write(&p, format!("#!/bin/sh\nexec '{BIN}' hook {name} {args}\n"))
        .expect("write hook");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn remote_head(env: &Env, remote: &Path, branch: &str) -> Option<String> {
    let out = env
        .cmd("git", remote)
        .args([
            "rev-parse",
            "-q",
            "--verify",
            &format!("refs/heads/{branch}"),
        ])
        .output()
        .expect("rev-parse");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn incidents(repo: &Repo<'_>) -> Vec<serde_json::Value> {
    let run = repo.run(&["incidents", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn grep_dir(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return hits;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            hits.extend(grep_dir(&p, needle));
        } else if std::fs::read(&p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle)) {
            hits.push(p);
        }
    }
    hits
}

#[test]
fn push_through_the_pre_push_hook_is_blocked_and_the_remote_does_not_move() {
    let env = Env::new();
    let remote = env.bare_repo("remote.git");
    let repo = env.init_repo("r");
    hook(&repo.path.join(".git/hooks"), "pre-push", "\"$@\"");
    repo.git(&["remote", "add", "origin", remote.to_str().expect("utf8")]);
    repo.write("a.txt", "one\n");
    repo.commit_all("first");
    let clean = repo.git_out(&["push", "-q", "origin", "main"]);
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    let first = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let tok = secrets::github_pat("pushed");
    repo.write("leak.txt", format!("{tok}\n"));
    repo.commit_all("leak with --no-verify");
    let out = repo.git_out(&["push", "origin", "main"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("leak.txt:1:1") && err.contains("remote was not changed"),
        "{err}"
    );
    assert!(!err.contains(&tok));
    assert_eq!(
        remote_head(&env, &remote, "main").as_deref(),
        Some(first.as_str())
    );
    // A new branch and a tag holding only clean commits pass; the leaky commit on a
    // new branch does not.
    repo.git(&["checkout", "-q", "-b", "clean", &first]);
    repo.write("c.txt", "fine\n");
    repo.commit_all("clean work");
    repo.git(&["tag", "-a", "v1", "-m", "release"]);
    let ok = repo.git_out(&["push", "-q", "origin", "clean", "v1"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let leaky = repo.git_out(&["push", "-q", "origin", "main:refs/heads/other"]);
    assert!(!leaky.status.success());
    assert_eq!(remote_head(&env, &remote, "other"), None);
    // Deleting a branch sends nothing and passes.
    let del = repo.git_out(&["push", "-q", "origin", "--delete", "clean"]);
    assert!(
        del.status.success(),
        "{}",
        String::from_utf8_lossy(&del.stderr)
    );
}

#[test]
fn force_push_and_two_refs_at_once_check_only_what_leaves() {
    let env = Env::new();
    let remote = env.bare_repo("remote.git");
    let repo = env.init_repo("r");
    hook(&repo.path.join(".git/hooks"), "pre-push", "\"$@\"");
    repo.git(&["remote", "add", "origin", remote.to_str().expect("utf8")]);
    repo.write("a.txt", "one\n");
    repo.commit_all("first");
    repo.write("b.txt", "two\n");
    repo.commit_all("second");
    assert!(repo
        .git_out(&["push", "-q", "origin", "main"])
        .status
        .success());
    // Rewrite history (force push) with a clean commit: passes.
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.write("b.txt", "two, reworded\n");
    repo.commit_all("second, again");
    let forced = repo.git_out(&["push", "-q", "--force", "origin", "main"]);
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    // Two refs in one push, one of them leaky: the whole push is refused.
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("k.txt", format!("{}\n", secrets::github_pat("two-refs")));
    repo.commit_all("leak");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("m.txt", "more\n");
    repo.commit_all("main work");
    let both = repo.git_out(&["push", "origin", "main", "feature"]);
    assert!(!both.status.success());
    assert!(String::from_utf8_lossy(&both.stderr).contains("k.txt"));
    assert_eq!(remote_head(&env, &remote, "feature"), None);
}

#[test]
fn pre_receive_in_the_bare_remote_rejects_what_the_client_did_not_check() {
    let env = Env::new();
    let remote = env.bare_repo("server.git");
    hook(&remote.join("hooks"), "pre-receive", "");
    let repo = env.init_repo("r");
    repo.git(&["remote", "add", "origin", remote.to_str().expect("utf8")]);
    repo.write("a.txt", "one\n");
    repo.commit_all("first");
    assert!(repo
        .git_out(&["push", "-q", "origin", "main"])
        .status
        .success());
    let first = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.write("leak.txt", format!("{}\n", secrets::github_pat("server")));
    repo.commit_all("leak");
    let out = repo.git_out(&["push", "--no-verify", "origin", "main"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("remote:") && err.contains("leak.txt") && err.contains("server rejected"),
        "{err}"
    );
    assert_eq!(
        remote_head(&env, &remote, "main").as_deref(),
        Some(first.as_str())
    );
}

#[test]
fn blocks_are_logged_without_the_secret_and_forwarded_to_the_policy_command() {
    let env = Env::new();
    let repo = env.init_repo("r");
    let sink = env.path().join("forwarded.jsonl");
    repo.write(
        ".vouchsafe.toml",
        format!("[incidents]\ncommand = \"cat >> '{}'\"\ncontact = \"security@example.org\"\nwithin = \"24h\"\n", sink.display()),
    );
    repo.commit_all("policy");
    let tok = secrets::github_pat("incident");
    repo.write("app.env", format!("TOKEN={tok}\n"));
    repo.git(&["add", "."]);
    let run = repo.run(&["hook", "pre-commit"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("Report this block to security@example.org within 24h"),
        "{}",
        run.stderr
    );
    let list = incidents(&repo);
    assert_eq!(list.len(), 1);
    let i = &list[0];
    assert_eq!(i["gate"], "pre-commit");
    assert_eq!(i["kind"], "secret");
    assert_eq!(i["rule"], "github-pat");
    assert_eq!(i["path"], "app.env");
    assert_eq!(i["branch"], "main");
    assert!(i["fingerprint"].as_str().is_some_and(|f| f.len() == 64));
    assert!(i["repository"].as_str().is_some_and(|r| r.ends_with("/r")));
    let forwarded = std::fs::read_to_string(&sink).expect("the command received the incident");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(forwarded.trim()).expect("JSON")["fingerprint"],
        i["fingerprint"]
    );
    let home = env.path().join("vouchsafe-home");
    assert!(
        grep_dir(&home, &tok).is_empty(),
        "raw secret stored under the data directory"
    );
    assert!(grep_dir(&env.path().join("r/.git"), &tok)
        .iter()
        .all(|p| !p.to_string_lossy().contains("vouchsafe")));
    let human = repo.run(&["incidents"]);
    assert!(
        human.stdout.contains("pre-commit")
            && human.stdout.contains("github-pat")
            && human.stdout.contains("app.env"),
        "{}",
        human.stdout
    );
    let later = repo.run(&["incidents", "--since", "2999-01-01", "--format", "json"]);
    assert_eq!(later.stdout, "");
    let bad = repo.run(&["incidents", "--since", "whenever"]);
    assert_eq!(bad.code, 2);
}

#[test]
fn concurrent_blocks_append_whole_lines() {
    let env = Env::new();
    let repos: Vec<Repo<'_>> = (0..6).map(|i| env.init_repo(&format!("r{i}"))).collect();
    for (i, r) in repos.iter().enumerate() {
        r.write(
            "k.txt",
            format!("{}\n", secrets::github_pat(&format!("concurrent-{i}"))),
        );
        r.git(&["add", "."]);
    }
    let children: Vec<_> = repos
        .iter()
        .map(|r| {
            r.vouchsafe()
                .args(["hook", "pre-commit"])
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in children {
        assert_eq!(c.wait_with_output().expect("wait").status.code(), Some(1));
    }
    let log =
        std::fs::read_to_string(env.path().join("vouchsafe-home/incidents.jsonl")).expect("log");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 6, "{log}");
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).expect("a whole JSON line");
        assert_eq!(v["kind"], "secret");
    }
}

/// A repository with the real hooks installed, signing with an Ed25519 key in
/// ~/.ssh, whose committed policy requires attestations of `require`, and a bare
/// remote it pushes to (with vouchsafe's pre-receive, when `server` is set).
fn attesting<'a>(env: &'a Env, require: &str, server: bool) -> (Repo<'a>, PathBuf) {
    let public = keygen(
        env,
        &env.home.join(".ssh/id_ed25519"),
        &["-t", "ed25519"],
        "",
    );
    let remote = env.bare_repo("remote.git");
    if server {
        hook(&remote.join("hooks"), "pre-receive", "");
    }
    let repo = env.init_repo("r");
    let run = repo.run(&["install"]);
    assert_eq!(run.code, 0, "{}", run.all());
    repo.git(&["remote", "add", "origin", remote.to_str().expect("utf8")]);
    repo.write(
        ".vouchsafe/allowed_signers",
        format!(
            "test@example.org namespaces=\"vouchsafe-commit-attestation\" {}\n",
            key_part(&public)
        ),
    );
    repo.write(
        ".vouchsafe.toml",
        format!("[attestation]\nrequire = \"{require}\"\n"),
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "policy and signers"]);
    (repo, remote)
}

#[test]
fn attested_commits_push_and_a_commit_without_its_attestation_does_not() {
    let env = Env::new();
    let (repo, remote) = attesting(&env, "all", false);
    repo.write("a.txt", "signed work\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "signed work"]);
    assert!(repo
        .git(&["log", "-1", "--format=%B"])
        .contains("Vouchsafe-Attestation:"));
    let ok = repo.git_out(&["push", "-q", "origin", "main"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let pushed = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    // Hooks off: no attestation, blocked at push under require = "all".
    repo.write("b.txt", "unsigned work\n");
    repo.git(&["add", "-A"]);
    repo.commit_hooks_off("unsigned work");
    let out = repo.git_out(&["push", "origin", "main"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unsigned work")
            && err.contains("no attestation")
            && err.contains("git rebase --exec 'git commit --amend --no-edit'"),
        "{err}"
    );
    assert_eq!(
        remote_head(&env, &remote, "main").as_deref(),
        Some(pushed.as_str())
    );
    let log = incidents(&repo);
    assert!(
        log.iter()
            .any(|i| i["gate"] == "pre-push" && i["kind"] == "attestation"),
        "{log:?}"
    );
    // The fix the message gives re-signs, and the push goes through.
    let fix = repo.git_out(&[
        "rebase",
        "-q",
        "--exec",
        "git commit --amend --no-edit -q",
        &pushed,
    ]);
    assert!(
        fix.status.success(),
        "{}",
        String::from_utf8_lossy(&fix.stderr)
    );
    let again = repo.git_out(&["push", "-q", "origin", "main"]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn assisted_policy_requires_attestation_only_where_an_assistant_helped() {
    let env = Env::new();
    let (repo, remote) = attesting(&env, "assisted", false);
    repo.write("a.txt", "by hand\n");
    repo.git(&["add", "-A"]);
    repo.commit_hooks_off("by hand, unsigned");
    let ok = repo.git_out(&["push", "-q", "origin", "main"]);
    assert!(
        ok.status.success(),
        "an unassisted unsigned commit passes: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
    repo.write("b.txt", "with help\n");
    repo.git(&["add", "-A"]);
    repo.commit_hooks_off("with help\n\nAssisted-by: Claude Code");
    let out = repo.git_out(&["push", "origin", "main"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("made with Claude Code"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(
        remote_head(&env, &remote, "main"),
        Some(repo.git(&["rev-parse", "HEAD"]).trim().to_string())
    );
}

#[test]
fn pre_receive_rejects_unattested_commits_when_the_server_policy_requires_them() {
    let env = Env::new();
    let (repo, remote) = attesting(&env, "all", true);
    assert!(repo
        .git_out(&["push", "-q", "origin", "main"])
        .status
        .success());
    repo.write("a.txt", "unsigned\n");
    repo.git(&["add", "-A"]);
    repo.commit_hooks_off("unsigned");
    let out = repo.git_out(&["push", "--no-verify", "origin", "main"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("remote:")
            && err.contains("no attestation")
            && err.contains("server rejected"),
        "{err}"
    );
    assert_ne!(
        remote_head(&env, &remote, "main"),
        Some(repo.git(&["rev-parse", "HEAD"]).trim().to_string())
    );
}
