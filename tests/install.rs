//! The installer against real git: where hooks go, chaining what was there, exact
//! uninstall, global mode, the binary lookup of the shims, and the --no-verify backstop.

use std::path::{Path, PathBuf};

use crate::common::*;

/// Every entry under `dir`: path, kind, permission bits and content (or link target),
/// so two snapshots are equal only when the directory is exactly the same.
fn snapshot(dir: &Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.file_type().is_symlink() {
                out.push(format!("{rel} link {:?}", std::fs::read_link(&p).unwrap()));
            } else if meta.is_dir() {
                out.push(format!("{rel} dir {mode:o}"));
                stack.push(p);
            } else {
                let content = std::fs::read(&p).unwrap();
                out.push(format!("{rel} file {mode:o} {}", secrets::crc32(&content)));
            }
        }
    }
    out.sort();
    out
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

fn hooks(repo: &Repo) -> PathBuf {
    repo.path.join(".git/hooks")
}

fn write_hook(path: &Path, body: &str, mode_bits: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    set_mode(path, mode_bits);
}

fn ok(r: &Run) {
    assert_eq!(r.code, 0, "expected success:\n{}", r.all());
}

/// `git commit -m` with hooks, as a person would run it.
fn commit(repo: &Repo, args: &[&str]) -> Run {
    let mut a = vec!["commit", "-q"];
    a.extend_from_slice(args);
    Run::from(repo.git_out(&a))
}

fn secret_file(repo: &Repo, name: &str, seed: &str) {
    repo.write(name, format!("token = \"{}\"\n", secrets::github_pat(seed)));
    repo.git(&["add", "--", name]);
}

fn assert_blocked(r: &Run) {
    assert_eq!(r.code, 1, "expected the commit to be blocked:\n{}", r.all());
    assert!(r.stderr.contains("github-pat"), "no report:\n{}", r.all());
}

#[test]
fn fresh_repo_install_is_idempotent_and_uninstall_restores_exactly() {
    let env = Env::new();
    let repo = env.init_repo("fresh");
    let before = snapshot(&hooks(&repo));
    let r = repo.run(&["install"]);
    ok(&r);
    assert!(
        r.stdout.contains("pre-commit") && r.stdout.contains("installed"),
        "{}",
        r.stdout
    );
    for h in ["pre-commit", "prepare-commit-msg", "commit-msg", "pre-push"] {
        let p = hooks(&repo).join(h);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with("#!/bin/sh\n"), "{h}");
        assert!(text.contains("vouchsafe-managed-hook format=1"), "{h}");
        assert!(!text.contains('\r'), "{h} has CRLF");
        assert_eq!(mode(&p), 0o755, "{h}");
        assert!(
            text.contains(BIN),
            "{h} does not bake the installing binary"
        );
    }
    assert!(repo.path.join(".git/vouchsafe/install.json").is_file());
    let once = snapshot(&hooks(&repo));
    let manifest = std::fs::read(repo.path.join(".git/vouchsafe/install.json")).unwrap();
    let r = repo.run(&["install"]);
    ok(&r);
    assert!(r.stdout.contains("already installed"), "{}", r.stdout);
    assert_eq!(
        snapshot(&hooks(&repo)),
        once,
        "install twice must equal install once"
    );
    assert_eq!(
        std::fs::read(repo.path.join(".git/vouchsafe/install.json")).unwrap(),
        manifest
    );

    let s = repo.run(&["status"]);
    ok(&s);
    assert!(s.stdout.contains("vouchsafe (repo shim)"), "{}", s.stdout);
    assert!(s.stdout.contains(BIN), "{}", s.stdout);
    assert!(
        s.stdout.contains("policy:") && s.stdout.contains("default"),
        "{}",
        s.stdout
    );

    // Clean commit passes, a secret is blocked, and the record of passes is consumed.
    repo.write("README.md", "hello\n");
    repo.git(&["add", "README.md"]);
    ok(&commit(&repo, &["-m", "first"]));
    let gate = repo.path.join(".git/vouchsafe/gate");
    assert!(
        !gate.exists() || std::fs::read_dir(&gate).unwrap().next().is_none(),
        "the pass record was not consumed"
    );
    secret_file(&repo, "config.py", "fresh");
    assert_blocked(&commit(&repo, &["-m", "second"]));

    let r = repo.run(&["uninstall"]);
    ok(&r);
    assert_eq!(
        snapshot(&hooks(&repo)),
        before,
        "uninstall must restore the hooks dir exactly"
    );
    assert!(!repo.path.join(".git/vouchsafe").exists());
    let r = repo.run(&["uninstall"]);
    ok(&r);
    assert!(r.stdout.contains("not installed"), "{}", r.stdout);
}

#[test]
fn status_says_what_to_do_when_not_installed() {
    let env = Env::new();
    let repo = env.init_repo("bare-status");
    let s = repo.run(&["status"]);
    assert_eq!(s.code, 1, "{}", s.all());
    assert!(
        s.stdout.contains("not installed") && s.stdout.contains("fix: vouchsafe install"),
        "{}",
        s.stdout
    );
}

#[test]
fn existing_executable_hook_keeps_running_and_comes_back_byte_for_byte() {
    let env = Env::new();
    let repo = env.init_repo("existing");
    let user_hook = hooks(&repo).join("pre-commit");
    write_hook(
        &user_hook,
        "echo \"user hook $#\" >> user-hook.log\n[ -f fail-user-hook ] && exit 3\nexit 0",
        0o750,
    );
    let before = snapshot(&hooks(&repo));
    let r = repo.run(&["install"]);
    ok(&r);
    assert!(
        r.stdout.contains("pre-commit.vouchsafe-chained"),
        "{}",
        r.stdout
    );
    assert_eq!(
        mode(&hooks(&repo).join("pre-commit.vouchsafe-chained")),
        0o750
    );

    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    ok(&commit(&repo, &["-m", "a"]));
    assert_eq!(
        std::fs::read_to_string(repo.path.join("user-hook.log")).unwrap(),
        "user hook 0\n"
    );

    // Either failing fails the hook: the user's hook alone...
    repo.write("fail-user-hook", "");
    repo.write("b.txt", "b\n");
    repo.git(&["add", "b.txt"]);
    let r = commit(&repo, &["-m", "b"]);
    assert_eq!(r.code, 1, "{}", r.all());
    std::fs::remove_file(repo.path.join("fail-user-hook")).unwrap();
    // ...and vouchsafe alone, after the user's hook ran.
    secret_file(&repo, "cfg.env", "existing");
    assert_blocked(&commit(&repo, &["-m", "c"]));
    let log = std::fs::read_to_string(repo.path.join("user-hook.log")).unwrap();
    assert_eq!(log.lines().count(), 3, "{log}");

    let s = repo.run(&["status"]);
    ok(&s);
    assert!(s.stdout.contains("runs first"), "{}", s.stdout);

    ok(&repo.run(&["uninstall"]));
    assert_eq!(snapshot(&hooks(&repo)), before);
    assert_eq!(mode(&user_hook), 0o750);
}

#[test]
fn non_executable_leftover_hook_is_kept_not_run_and_restored() {
    let env = Env::new();
    let repo = env.init_repo("leftover");
    let leftover = hooks(&repo).join("commit-msg");
    write_hook(&leftover, "echo ran > leftover-ran\nexit 1", 0o644);
    let before = snapshot(&hooks(&repo));
    let r = repo.run(&["install"]);
    ok(&r);
    assert!(r.stdout.contains("not executable"), "{}", r.stdout);
    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    ok(&commit(&repo, &["-m", "a"]));
    assert!(
        !repo.path.join("leftover-ran").exists(),
        "git would not have run it"
    );
    let s = repo.run(&["status"]);
    assert!(
        s.stdout.contains("not executable so not run"),
        "{}",
        s.stdout
    );
    ok(&repo.run(&["uninstall"]));
    assert_eq!(snapshot(&hooks(&repo)), before);
    assert_eq!(mode(&leftover), 0o644);
}

#[test]
fn pre_push_chain_gets_the_same_stdin_and_the_gate_blocks() {
    let env = Env::new();
    let repo = env.init_repo("pusher");
    let remote = env.bare_repo("remote.git");
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    write_hook(
        &hooks(&repo).join("pre-push"),
        "cat > \"$(git rev-parse --git-dir)/../pushed-refs\"\necho \"$1 $2\" > \"$(git rev-parse --git-dir)/../push-args\"",
        0o755,
    );
    ok(&repo.run(&["install"]));
    repo.write("a.txt", "a\n");
    repo.commit_all("a");
    let out = Run::from(repo.git_out(&["push", "-q", "origin", "main"]));
    ok(&out);
    let refs = std::fs::read_to_string(repo.path.join("pushed-refs")).unwrap();
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert!(
        refs.starts_with(&format!("refs/heads/main {} refs/heads/main ", head.trim())),
        "{refs}"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path.join("push-args"))
            .unwrap()
            .trim(),
        format!("origin {}", remote.display())
    );

    // A commit made with every hook off is caught at push.
    secret_file(&repo, "leak.txt", "push");
    repo.commit_hooks_off("sneaky");
    let out = Run::from(repo.git_out(&["push", "-q", "origin", "main"]));
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("github-pat"), "{}", out.all());
    let refs2 = std::fs::read_to_string(repo.path.join("pushed-refs")).unwrap();
    assert!(
        refs2.contains(repo.git(&["rev-parse", "HEAD"]).trim()),
        "{refs2}"
    );
}

#[test]
fn linked_worktree_shares_the_main_hooks() {
    let env = Env::new();
    let repo = env.init_repo("main-wt");
    repo.write("a.txt", "a\n");
    repo.commit_all("a");
    let wt_path = env.path().join("linked");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "side",
        wt_path.to_str().unwrap(),
    ]);
    let wt = Repo {
        env: &env,
        path: wt_path.clone(),
    };
    let r = wt.run(&["install"]);
    ok(&r);
    assert!(
        r.stdout.contains(&hooks(&repo).display().to_string()),
        "{}",
        r.stdout
    );
    assert!(hooks(&repo).join("pre-commit").is_file());
    assert!(repo.path.join(".git/vouchsafe/install.json").is_file());
    secret_file(&wt, "wt-secret.txt", "worktree");
    assert_blocked(&commit(&wt, &["-m", "wt"]));
    assert_blocked(&commit(&wt, &["--no-verify", "-m", "wt"]));
    wt.git(&["rm", "-q", "--cached", "wt-secret.txt"]);
    wt.write("ok.txt", "fine\n");
    wt.git(&["add", "ok.txt"]);
    ok(&commit(&wt, &["-m", "fine"]));
    secret_file(&repo, "main-secret.txt", "main");
    assert_blocked(&commit(&repo, &["-m", "main"]));
    ok(&wt.run(&["status"]));
    ok(&wt.run(&["uninstall"]));
    assert!(!hooks(&repo).join("pre-commit").exists());
}

#[test]
fn submodule_gets_its_own_hooks() {
    let env = Env::new();
    let lib = env.init_repo("lib");
    lib.write("lib.txt", "lib\n");
    lib.commit_all("lib");
    let sup = env.init_repo("super");
    sup.git(&["submodule", "add", "-q", lib.path.to_str().unwrap(), "sub"]);
    sup.commit_all("add sub");
    let sub = Repo {
        env: &env,
        path: sup.path.join("sub"),
    };
    let r = sub.run(&["install"]);
    ok(&r);
    let sub_hooks = sup.path.join(".git/modules/sub/hooks");
    assert!(
        r.stdout.contains(&sub_hooks.display().to_string()),
        "{}",
        r.stdout
    );
    assert!(sub_hooks.join("pre-commit").is_file());
    assert!(
        !hooks(&sup).join("pre-commit").exists(),
        "the superproject was touched"
    );
    secret_file(&sub, "s.txt", "submodule");
    assert_blocked(&commit(&sub, &["-m", "s"]));
    ok(&sub.run(&["uninstall"]));
    assert!(!sub_hooks.join("pre-commit").exists());
}

#[test]
fn repo_local_hooks_path_is_honoured_and_a_committed_one_needs_force() {
    let env = Env::new();
    let repo = env.init_repo("hookspath");
    let dir = repo.path.join(".git/my-hooks");
    write_hook(&dir.join("pre-commit"), "echo ran >> local-hook.log", 0o755);
    repo.git(&["config", "core.hooksPath", ".git/my-hooks"]);
    let before = snapshot(&dir);
    let default_before = snapshot(&hooks(&repo));
    let r = repo.run(&["install"]);
    ok(&r);
    assert!(r.stdout.contains("core.hooksPath"), "{}", r.stdout);
    assert!(dir.join("pre-commit.vouchsafe-chained").is_file());
    assert_eq!(
        snapshot(&hooks(&repo)),
        default_before,
        ".git/hooks is not used here"
    );
    secret_file(&repo, "k.txt", "hookspath");
    assert_blocked(&commit(&repo, &["-m", "k"]));
    assert!(repo.path.join("local-hook.log").exists());
    ok(&repo.run(&["uninstall"]));
    assert_eq!(snapshot(&dir), before);

    // A hooks directory committed to the repository is the team's: --force only.
    let team = env.init_repo("team");
    write_hook(&team.path.join(".githooks/pre-commit"), "exit 0", 0o755);
    team.commit_all("hooks");
    team.git(&["config", "core.hooksPath", ".githooks"]);
    let r = team.run(&["install"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr.contains("--force") && r.stderr.contains("vouchsafe hook pre-commit"),
        "{}",
        r.stderr
    );
    assert!(!team
        .path
        .join(".githooks/pre-commit.vouchsafe-chained")
        .exists());
    ok(&team.run(&["install", "--force"]));
    assert!(team
        .path
        .join(".githooks/pre-commit.vouchsafe-chained")
        .exists());
}

#[test]
fn husky_is_not_written_into() {
    let env = Env::new();
    let repo = env.init_repo("husky");
    write_hook(&repo.path.join(".husky/_/h"), "exit 0", 0o644);
    write_hook(
        &repo.path.join(".husky/_/pre-commit"),
        ". \"$(dirname \"$0\")/h\"",
        0o755,
    );
    repo.git(&["config", "core.hooksPath", ".husky/_"]);
    let before = snapshot(&repo.path.join(".husky"));
    let r = repo.run(&["install", "--force"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr.contains("husky") && r.stderr.contains(".husky/pre-commit"),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&repo.path.join(".husky")), before);
    let s = repo.run(&["status"]);
    assert_eq!(s.code, 1);
    assert!(s.stdout.contains("husky"), "{}", s.stdout);
}

#[test]
fn global_hooks_path_of_another_tool_needs_force() {
    let env = Env::new();
    let shared = env.path().join("shared-hooks");
    write_hook(
        &shared.join("pre-commit"),
        "echo shared >> shared.log",
        0o755,
    );
    let repo = env.init_repo("under-global");
    repo.git(&[
        "config",
        "--global",
        "core.hooksPath",
        shared.to_str().unwrap(),
    ]);
    let r = repo.run(&["install"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr.contains("--force") && r.stderr.contains("--global"),
        "{}",
        r.stderr
    );
    assert!(!shared.join("pre-commit.vouchsafe-chained").exists());
    let r = repo.run(&["install", "--force"]);
    ok(&r);
    assert!(shared.join("pre-commit.vouchsafe-chained").exists());
    secret_file(&repo, "g.txt", "global-force");
    assert_blocked(&commit(&repo, &["-m", "g"]));
    assert!(repo.path.join("shared.log").exists());
}

#[test]
fn global_install_chains_each_repos_own_hooks_and_uninstall_restores_config() {
    let env = Env::new();
    let gitconfig = env.home.join(".gitconfig");
    let config_before = std::fs::read(&gitconfig).unwrap();
    let a = env.init_repo("a");
    write_hook(
        &hooks(&a).join("pre-commit"),
        "echo own >> own-pre-commit.log",
        0o755,
    );
    write_hook(
        &hooks(&a).join("post-checkout"),
        "echo \"$3\" >> own-post-checkout.log",
        0o755,
    );
    let b = env.init_repo("b");

    let r = a.run(&["install", "--global"]);
    ok(&r);
    let vh = env.path().join("vouchsafe-home");
    let gdir = vh.join("hooks");
    assert_eq!(
        a.git(&["config", "--global", "core.hooksPath"]).trim(),
        gdir.to_str().unwrap()
    );
    assert!(gdir.join("post-checkout").is_file() && gdir.join("pre-push").is_file());

    // Repo a: its own hooks still run; the secret gate applies.
    a.write("x.txt", "x\n");
    a.git(&["add", "x.txt"]);
    ok(&commit(&a, &["-m", "x"]));
    assert!(a.path.join("own-pre-commit.log").exists());
    a.git(&["checkout", "-q", "-b", "other"]);
    assert!(
        a.path.join("own-post-checkout.log").exists(),
        "post-checkout was not passed through"
    );
    secret_file(&a, "s.txt", "global-a");
    assert_blocked(&commit(&a, &["-m", "s"]));
    assert_blocked(&commit(&a, &["--no-verify", "-m", "s"]));
    // Repo b, never touched: protected too; and a push to a bare repo still works.
    b.write("y.txt", "y\n");
    b.git(&["add", "y.txt"]);
    ok(&commit(&b, &["-m", "y"]));
    let remote = env.bare_repo("b-remote.git");
    ok(&Run::from(b.git_out(&[
        "push",
        "-q",
        remote.to_str().unwrap(),
        "main",
    ])));
    secret_file(&b, "t.txt", "global-b");
    assert_blocked(&commit(&b, &["-m", "t"]));
    let s = b.run(&["status"]);
    ok(&s);
    assert!(s.stdout.contains("global install:   on"), "{}", s.stdout);

    // A local install under the global one has nothing to do.
    let r = b.run(&["install"]);
    ok(&r);
    assert!(r.stdout.contains("already protected"), "{}", r.stdout);

    // Install twice = once.
    let snap = snapshot(&vh);
    ok(&a.run(&["install", "--global"]));
    assert_eq!(snapshot(&vh), snap);

    ok(&a.run(&["uninstall", "--global"]));
    assert_eq!(
        std::fs::read(&gitconfig).unwrap(),
        config_before,
        "global config not restored exactly"
    );
    assert!(!gdir.exists());
    ok(&commit(&b, &["-m", "unprotected now"]));
}

#[test]
fn global_install_over_an_existing_global_hooks_path_chains_it_and_puts_it_back() {
    let env = Env::new();
    let shared = env.path().join("team-hooks");
    write_hook(&shared.join("pre-commit"), "echo team >> team.log", 0o755);
    let a = env.init_repo("a");
    a.git(&[
        "config",
        "--global",
        "core.hooksPath",
        shared.to_str().unwrap(),
    ]);
    let gitconfig = env.home.join(".gitconfig");
    let before = std::fs::read(&gitconfig).unwrap();
    let r = a.run(&["install", "--global"]);
    ok(&r);
    assert!(r.stdout.contains(shared.to_str().unwrap()), "{}", r.stdout);
    a.write("x.txt", "x\n");
    a.git(&["add", "x.txt"]);
    ok(&commit(&a, &["-m", "x"]));
    assert!(a.path.join("team.log").exists());
    secret_file(&a, "s.txt", "team");
    assert_blocked(&commit(&a, &["-m", "s"]));
    // Someone edits the global config meanwhile: uninstall still puts the value back.
    a.git(&["config", "--global", "alias.st", "status"]);
    ok(&a.run(&["uninstall", "--global"]));
    assert_eq!(
        a.git(&["config", "--global", "core.hooksPath"]).trim(),
        shared.to_str().unwrap()
    );
    assert_eq!(a.git(&["config", "--global", "alias.st"]).trim(), "status");
    a.git(&["config", "--global", "--unset", "alias.st"]);
    assert_eq!(std::fs::read(&gitconfig).unwrap(), before);
}

/// PATH with git and sh but no vouchsafe, plus `extra` first.
fn path_without_vouchsafe(extra: Option<&Path>) -> String {
    let mut dirs: Vec<PathBuf> = extra.into_iter().map(Path::to_path_buf).collect();
    for d in std::env::split_paths(&std::env::var_os("PATH").unwrap()) {
        if !d.join("vouchsafe").exists() {
            dirs.push(d);
        }
    }
    std::env::join_paths(dirs).unwrap().into_string().unwrap()
}

#[test]
fn shim_falls_back_to_path_and_fails_closed_without_a_binary() {
    let env = Env::new();
    let repo = env.init_repo("lost-binary");
    let tmp_bin = env.path().join("old-bin");
    std::fs::create_dir_all(&tmp_bin).unwrap();
    let copy = tmp_bin.join("vouchsafe");
    std::fs::copy(BIN, &copy).unwrap();
    let out = env
        .cmd(&copy, &repo.path)
        .args(["install"])
        .env("PATH", path_without_vouchsafe(None))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shim = std::fs::read_to_string(hooks(&repo).join("pre-commit")).unwrap();
    assert!(
        shim.contains(copy.to_str().unwrap()),
        "the installing binary is baked in"
    );
    std::fs::remove_file(&copy).unwrap();

    // Found on PATH: the gate still works.
    let on_path = env.path().join("path-bin");
    std::fs::create_dir_all(&on_path).unwrap();
    std::os::unix::fs::symlink(BIN, on_path.join("vouchsafe")).unwrap();
    secret_file(&repo, "p.txt", "lost");
    let r = Run::from(
        repo.git_cmd()
            .args(["commit", "-q", "-m", "p"])
            .env("PATH", path_without_vouchsafe(Some(&on_path)))
            .output()
            .unwrap(),
    );
    assert_blocked(&r);
    repo.git(&["rm", "-q", "--cached", "p.txt"]);

    // Nowhere: fail closed, saying how to fix it, even with --no-verify.
    repo.write("clean.txt", "clean\n");
    repo.git(&["add", "clean.txt"]);
    for extra in [&[][..], &["--no-verify"][..]] {
        let mut args = vec!["commit", "-q", "-m", "clean"];
        args.extend_from_slice(extra);
        let r = Run::from(
            repo.git_cmd()
                .args(&args)
                .env("PATH", path_without_vouchsafe(None))
                .output()
                .unwrap(),
        );
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(
            r.stderr.contains("cannot find the vouchsafe binary"),
            "{}",
            r.stderr
        );
        assert!(
            r.stderr.contains("installer/install.sh") && r.stderr.contains("vouchsafe install"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains(copy.to_str().unwrap()), "{}", r.stderr);
    }
    let s = Run::from(
        repo.vouchsafe()
            .args(["status"])
            .env("PATH", path_without_vouchsafe(None))
            .output()
            .unwrap(),
    );
    assert_eq!(s.code, 1);
    assert!(
        s.stdout.contains("cannot find the vouchsafe binary"),
        "{}",
        s.stdout
    );

    // VOUCHSAFE_BIN wins over everything.
    let r = Run::from(
        repo.git_cmd()
            .args(["commit", "-q", "-m", "clean"])
            .env("PATH", path_without_vouchsafe(None))
            .env("VOUCHSAFE_BIN", BIN)
            .output()
            .unwrap(),
    );
    ok(&r);

    // --fail-open: a warning, and git goes on.
    let repo2 = env.init_repo("fail-open");
    std::fs::copy(BIN, &copy).unwrap();
    let out = env
        .cmd(&copy, &repo2.path)
        .args(["install", "--fail-open"])
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::remove_file(&copy).unwrap();
    repo2.write("a.txt", "a\n");
    repo2.git(&["add", "a.txt"]);
    let r = Run::from(
        repo2
            .git_cmd()
            .args(["commit", "-q", "-m", "a"])
            .env("PATH", path_without_vouchsafe(None))
            .output()
            .unwrap(),
    );
    ok(&r);
    assert!(r.stderr.contains("did not run"), "{}", r.stderr);
}

#[test]
fn no_verify_still_meets_the_secret_gate_through_prepare_commit_msg() {
    let env = Env::new();
    let repo = env.init_repo("no-verify");
    ok(&repo.run(&["install"]));
    repo.write("a.txt", "a\n");
    repo.git(&["add", "a.txt"]);
    ok(&commit(
        &repo,
        &["--no-verify", "-m", "clean without verify"],
    ));

    secret_file(&repo, "s.txt", "noverify");
    let r = commit(&repo, &["--no-verify", "-m", "sneaky"]);
    assert_blocked(&r);
    assert!(r.stderr.contains("prepare-commit-msg"), "{}", r.stderr);
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "1");
    // -a and --amend take the same road.
    repo.git(&["rm", "-q", "--cached", "s.txt"]);
    std::fs::remove_file(repo.path.join("s.txt")).unwrap();
    repo.write(
        "a.txt",
        format!("a\nkey = {}\n", secrets::github_pat("amend")),
    );
    assert_blocked(&commit(&repo, &["-a", "--no-verify", "-m", "all"]));
    repo.git(&["add", "a.txt"]);
    assert_blocked(&commit(&repo, &["--amend", "--no-verify", "-m", "amended"]));
    // Committing without any message source (the editor) is stopped before it opens.
    let r = Run::from(
        repo.git_cmd()
            .args(["commit", "--no-verify"])
            .env("GIT_EDITOR", "echo edited > ")
            .output()
            .unwrap(),
    );
    assert_blocked(&r);

    // A cherry-pick replays a commit: left to pre-push, as git skips pre-commit there too.
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit_hooks_off("secret on side");
    let side = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["checkout", "--", "a.txt"]);
    let r = Run::from(repo.git_out(&["cherry-pick", side.trim()]));
    ok(&r);
    // So does a rebase (each pick runs prepare-commit-msg, never pre-commit).
    repo.git(&["checkout", "-q", "-b", "base", "main~1"]);
    repo.write("base.txt", "base\n");
    repo.git(&["add", "base.txt"]);
    ok(&commit(&repo, &["-m", "base"]));
    let r = Run::from(repo.git_out(&["rebase", "-q", "base", "main"]));
    ok(&r);
    let gate = repo.path.join(".git/vouchsafe/gate");
    assert!(
        !gate.exists() || std::fs::read_dir(&gate).unwrap().next().is_none(),
        "pass records were left behind"
    );
}

#[test]
fn file_names_with_spaces_and_newlines() {
    let env = Env::new();
    let repo = env.init_repo("odd names");
    ok(&repo.run(&["install"]));
    repo.write("with space.txt", "plain\n");
    repo.write("new\nline.txt", "plain\n");
    repo.git(&["add", "-A"]);
    ok(&commit(&repo, &["-m", "odd names, clean"]));
    secret_file(&repo, "with space.txt", "space");
    let r = commit(&repo, &["-m", "space"]);
    assert_blocked(&r);
    assert!(r.stderr.contains("with space.txt"), "{}", r.stderr);
    repo.git(&["reset", "-q"]);
    secret_file(&repo, "new\nline.txt", "newline");
    let r = commit(&repo, &["--no-verify", "-m", "newline"]);
    assert_blocked(&r);
    assert!(r.stderr.contains("\"new\\nline.txt\""), "{}", r.stderr);
    ok(&repo.run(&["uninstall"]));
}

/// The part of the demo's output for the step titled `title`: from the title to the
/// blank line before the next step.
fn demo_step<'a>(out: &'a str, title: &str) -> &'a str {
    let start = out
        .find(title)
        .unwrap_or_else(|| panic!("the demo has no step {title:?}:\n{out}"));
    let rest = &out[start..];
    &rest[..rest.find("\n\n").unwrap_or(rest.len())]
}

#[test]
fn demo_walks_through_every_gate_and_leaves_nothing_behind() {
    let env = Env::new();
    let repo = env.init_repo("user-repo");
    let before = snapshot(&repo.path);
    let r = repo.run(&["demo"]);
    ok(&r);
    let out = &r.stdout;
    for step in ["clean commit", "blocked", "--no-verify", "push"] {
        assert!(out.contains(step), "demo output lacks {step:?}:\n{out}");
    }
    assert!(
        !out.contains("UNEXPECTED") && !out.contains("skipped"),
        "{out}"
    );

    let key = demo_step(out, "A signing key");
    assert!(
        key.contains("$ vouchsafe key generate") && key.contains("allowed       yes"),
        "{key}"
    );
    let assisted = demo_step(out, "An assistant's commit says who helped");
    assert!(
        assisted.contains("$ VOUCHSAFE_AGENT=claude-code:claude-sonnet-4 git commit")
            && assisted.contains("$ git log -1")
            && assisted.contains("    Assisted-by: Claude-Code:claude-sonnet-4\n")
            && assisted.contains("    Vouchsafe-Attestation: ")
            && assisted.ends_with("=> passed, as it should"),
        "{assisted}"
    );
    let verified = demo_step(out, "The attestation verifies");
    assert!(
        verified.contains("exact ")
            && verified.contains("signed by demo@example.invalid")
            && verified.contains("1 exact, 0 rebased, 0 failed, 0 unsigned"),
        "{verified}"
    );
    let openssh = demo_step(out, "OpenSSH alone agrees");
    assert!(
        openssh.contains("attest show HEAD --payload > attestation.payload")
            && openssh.contains("attest show HEAD --sshsig > attestation.sig")
            && openssh.contains(
                "Good \"vouchsafe-commit-attestation\" signature for demo@example.invalid"
            )
            && openssh.ends_with("=> passed, as it should"),
        "{openssh}"
    );
    let unapproved = demo_step(out, "An assistant the policy does not approve");
    assert!(
        unapproved.contains("approved = [\"claude-code\"]")
            && unapproved.contains("Aider (aider)")
            && unapproved.contains("=> blocked, as it should"),
        "{unapproved}"
    );
    let hooks_off = demo_step(out, "every hook turned off is caught at push");
    assert!(
        hooks_off.contains("github-pat")
            && hooks_off.contains("1 commit without a valid attestation")
            && hooks_off.contains("=> blocked, as it should"),
        "{hooks_off}"
    );
    let incidents = demo_step(out, "Every block is in the incident log");
    for (gate, kind) in [
        ("pre-commit", "secret"),
        ("prepare-commit-msg", "secret"),
        ("prepare-commit-msg", "unapproved-agent"),
        ("pre-push", "secret"),
        ("pre-push", "attestation"),
    ] {
        assert!(
            incidents
                .lines()
                .any(|l| l.contains(&format!(" {gate} ")) && l.contains(&format!(" {kind} "))),
            "no {gate} {kind} incident:\n{incidents}"
        );
    }

    // Nothing of the user's: the repository, the git config, vouchsafe's own home
    // (signing settings, incident log).
    assert_eq!(snapshot(&repo.path), before);
    assert!(!env.home.join(".gitconfig.lock").exists());
    assert!(!env.home.join(".ssh").exists());
    assert!(
        !env.path().join("vouchsafe-home").exists(),
        "the demo wrote into the user's VOUCHSAFE_HOME"
    );
}

/// `ssh-keygen -l`'s SHA256 fingerprint of a public key file.
fn fingerprint(env: &Env, public: &Path) -> String {
    let out = env
        .cmd("ssh-keygen", env.path())
        .arg("-lf")
        .arg(public)
        .output()
        .expect("run ssh-keygen -l");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .expect("a fingerprint")
        .to_string()
}

/// Commits `.vouchsafe.toml` (and whatever else is staged) with the hooks off.
fn commit_policy(repo: &Repo, toml: &str) {
    repo.write(".vouchsafe.toml", toml);
    repo.commit_all("Policy");
}

#[test]
fn status_shows_the_signing_key_its_allowed_signers_and_the_policy() {
    let env = Env::new();
    let repo = env.init_repo("signing");
    ok(&repo.run(&["install"]));
    let key = env.home.join("keys/dev");
    let public = keygen(&env, &key, &["-t", "ed25519"], "");
    let fp = fingerprint(&env, &key.with_extension("pub"));
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingKey", &key.display().to_string()]);
    repo.write(
        ".vouchsafe/allowed_signers",
        format!("test@example.org {}\n", key_part(&public)),
    );
    commit_policy(
        &repo,
        "[agents]\napproved = [\"claude-code\"]\ncontact = \"#ai-tools\"\n[attestation]\nrequire = \"assisted\"\n",
    );

    let s = repo.run(&["status"]);
    assert_eq!(s.code, 0, "{}", s.all());
    for want in [
        format!(
            "signing key:      ssh-ed25519 {fp} from {} (git user.signingKey)",
            key.display()
        ),
        "allowed signers:  .vouchsafe/allowed_signers lists this key for test@example.org"
            .to_string(),
        "attestation:      require = \"assisted\"".to_string(),
        "agents:           approved: claude-code; any other: block; ask #ai-tools".to_string(),
        "No problems found.".to_string(),
    ] {
        assert!(
            s.stdout.contains(&want),
            "status lacks {want:?}:\n{}",
            s.stdout
        );
    }

    // Another key, which the allowed signers do not list: the push gate would refuse
    // its attestations, so status says so and prints the line to add.
    let other = env.home.join("keys/other");
    let other_public = keygen(&env, &other, &["-t", "ed25519"], "");
    let u = repo.run(&["key", "use", &other.display().to_string()]);
    ok(&u);
    let s = repo.run(&["status"]);
    assert_eq!(s.code, 1, "{}", s.all());
    assert!(
        s.stdout.contains("(vouchsafe key use)")
            && s.stdout
                .contains(".vouchsafe/allowed_signers does not list this key for test@example.org")
            && s.stdout.contains(&format!(
                "fix: add this line to .vouchsafe/allowed_signers and commit it: test@example.org namespaces=\"vouchsafe-commit-attestation\" {}",
                key_part(&other_public)
            )),
        "{}",
        s.stdout
    );
}

#[test]
fn status_fails_when_the_policy_requires_attestations_and_there_is_no_key() {
    let env = Env::new();
    let repo = env.init_repo("no-key");
    ok(&repo.run(&["install"]));
    commit_policy(&repo, "[attestation]\nrequire = \"all\"\n");
    let s = repo.run(&["status"]);
    assert_eq!(s.code, 1, "{}", s.all());
    assert!(
        s.stdout.contains("signing key:      none found")
            && s.stdout.contains(
                "the policy requires attestations ([attestation] require = \"all\") and no signing key was found, so every commit will be stopped"
            )
            && s.stdout.contains("fix: vouchsafe key generate, then add the line it prints to .vouchsafe/allowed_signers"),
        "{}",
        s.stdout
    );
    // Nothing else is wrong: the hooks are in place.
    assert!(!s.stdout.contains("not installed"), "{}", s.stdout);
}
