//! `vouchsafe scan` and the pre-commit gate against real repositories.

use crate::common::*;

fn findings(run: &Run) -> Vec<serde_json::Value> {
    run.json()["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn paths(run: &Run) -> Vec<String> {
    findings(run)
        .iter()
        .map(|f| f["path"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn assert_no_raw(run: &Run, secret: &str) {
    assert!(
        !run.stdout.contains(secret) && !run.stderr.contains(secret),
        "raw secret printed:\n{}",
        run.all()
    );
}

#[test]
fn staged_secret_is_found_with_place_and_never_printed_raw() {
    let env = Env::new();
    let repo = env.init_repo("r");
    let tok = secrets::github_pat("staged");
    repo.write(
        "app/config.py",
        format!("import os\n\nGITHUB_TOKEN = \"{tok}\"\n"),
    );
    repo.git(&["add", "."]);
    let run = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let f = &findings(&run)[0];
    assert_eq!(f["rule_id"], "github-pat");
    assert_eq!(f["path"], "app/config.py");
    assert_eq!(f["line"], 3);
    assert_eq!(f["column"], 17);
    assert_eq!(f["fingerprint"].as_str().map(str::len), Some(64));
    assert!(f["secret_redacted"]
        .as_str()
        .is_some_and(|s| s.starts_with("ghp_") && s.len() < 20));
    assert_no_raw(&run, &tok);
    let human = repo.run(&["scan", "staged"]);
    assert_eq!(human.code, 1);
    assert!(
        human.stdout.contains("app/config.py:3:17"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("vouchsafe:allow") && human.stdout.contains("--add-to-ignore"),
        "{}",
        human.stdout
    );
    assert_no_raw(&human, &tok);
}

#[test]
fn clean_index_exits_zero() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write("README.md", "hello\n");
    repo.git(&["add", "."]);
    let run = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(run.json()["summary"]["files_scanned"], 1);
    assert_eq!(run.json()["summary"]["clean"], true);
}

#[test]
fn only_added_lines_count() {
    let env = Env::new();
    let repo = env.init_repo("r");
    let tok = secrets::github_pat("old");
    repo.write("a.txt", format!("token {tok}\nline two\n"));
    repo.commit_all("old secret, already committed");
    repo.write("a.txt", format!("token {tok}\nline two changed\n"));
    repo.git(&["add", "."]);
    let run = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(
        run.code,
        0,
        "a line that was already committed is not re-reported: {}",
        run.all()
    );
}

#[test]
fn partially_staged_files_are_judged_as_staged() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write("a.txt", "base\n");
    repo.commit_all("base");
    let tok = secrets::github_pat("partial");
    // Secret only in the working tree: not part of the commit.
    repo.write("a.txt", "base\nclean staged line\n");
    repo.git(&["add", "a.txt"]);
    repo.write("a.txt", format!("base\nclean staged line\n{tok}\n"));
    assert_eq!(repo.run(&["scan", "staged"]).code, 0);
    // Secret staged, then removed from the working tree: still in the commit.
    repo.git(&["add", "a.txt"]);
    repo.write("a.txt", "base\nclean staged line\n");
    let run = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(findings(&run)[0]["line"], 3);
}

#[test]
fn git_index_file_is_respected_and_a_missing_one_is_an_error() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write("a.txt", "base\n");
    repo.commit_all("base");
    let tok = secrets::github_pat("alt-index");
    repo.write("b.txt", format!("{tok}\n"));
    // Stage into a separate index, as `git commit -a` / `git commit <paths>` do.
    let idx = repo.path.join(".git/alt-index");
    std::fs::copy(repo.path.join(".git/index"), &idx).expect("copy index");
    let st = repo
        .git_cmd()
        .env("GIT_INDEX_FILE", &idx)
        .args(["add", "b.txt"])
        .status()
        .expect("git add");
    assert!(st.success());
    assert_eq!(
        repo.run(&["scan", "staged"]).code,
        0,
        "the default index has nothing new"
    );
    let run = Run::from(
        repo.vouchsafe()
            .env("GIT_INDEX_FILE", &idx)
            .args(["scan", "staged", "--format", "json"])
            .output()
            .expect("run"),
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(paths(&run), vec!["b.txt"]);
    let missing = Run::from(
        repo.vouchsafe()
            .env("GIT_INDEX_FILE", ".git/no-such-index")
            .args(["scan", "staged"])
            .output()
            .expect("run"),
    );
    assert_eq!(missing.code, 2, "{}", missing.all());
    assert!(
        missing.stderr.contains("GIT_INDEX_FILE"),
        "{}",
        missing.stderr
    );
}

#[test]
fn first_commit_without_head_is_scanned() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write("x.env", format!("TOKEN={}\n", secrets::github_pat("root")));
    repo.git(&["add", "."]);
    let run = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(paths(&run), vec!["x.env"]);
}

#[test]
fn renames_report_the_new_path_and_only_new_lines() {
    let env = Env::new();
    let repo = env.init_repo("r");
    let old = secrets::github_pat("renamed-old");
    let body: String = (0..20).map(|i| format!("line {i}\n")).collect();
    repo.write("old.txt", format!("{body}{old}\n"));
    repo.commit_all("base");
    repo.git(&["mv", "old.txt", "new name.txt"]);
    assert_eq!(
        repo.run(&["scan", "staged"]).code,
        0,
        "a pure rename adds nothing"
    );
    let new = secrets::github_pat("renamed-new");
    repo.write("new name.txt", format!("{body}{old}\n{new}\n"));
    repo.git(&["add", "-A"]);
    let run = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(paths(&run), vec!["new name.txt"]);
    assert_eq!(findings(&run)[0]["line"], 22);
}

#[test]
fn binary_files_are_skipped_unless_they_are_text() {
    let env = Env::new();
    let repo = env.init_repo("r");
    let tok = secrets::github_pat("binary");
    let mut bin = b"\x89PNG\r\n\x1a\n\0\0\0".to_vec();
    bin.extend_from_slice(tok.as_bytes());
    repo.write("img.png", bin);
    // Marked binary by attributes, but it is text: it is scanned.
    repo.write(".gitattributes", "*.dat binary\n");
    let tok2 = secrets::github_pat("binary-attr");
    repo.write("creds.dat", format!("token={tok2}\n"));
    repo.git(&["add", "."]);
    let run = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(paths(&run), vec!["creds.dat"]);
    let skipped = run.json()["summary"]["skipped"].clone();
    assert!(
        skipped
            .as_array()
            .expect("array")
            .iter()
            .any(|s| s["path"] == "img.png" && s["reason"] == "binary"),
        "{skipped}"
    );
}

#[test]
fn large_files_are_skipped_with_a_warning() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write(".vouchsafe.toml", "[scan]\nmax_file_size = 1000\n");
    repo.commit_all("policy");
    let mut big = String::new();
    while big.len() < 5000 {
        big.push_str("some ordinary text that is long enough\n");
    }
    big.push_str(&secrets::github_pat("big"));
    repo.write("big.txt", big);
    repo.git(&["add", "."]);
    let run = repo.run(&["scan", "staged"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("warning: big.txt not scanned: larger than the size limit"),
        "{}",
        run.stdout
    );
}

#[test]
fn submodules_and_lfs_pointers_are_skipped_symlinks_scanned_as_target_text() {
    let env = Env::new();
    let sub = env.init_repo("sub");
    sub.write("s.txt", "sub\n");
    sub.commit_all("sub");
    let repo = env.init_repo("r");
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        sub.path.to_str().expect("utf8"),
        "vendor/sub",
    ]);
    repo.write("big.bin", "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n");
    let tok = secrets::github_pat("symlink");
    std::os::unix::fs::symlink(&tok, repo.path.join("link")).expect("symlink");
    repo.git(&["add", "."]);
    let run = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(paths(&run), vec!["link"]);
    let skipped = run.json()["summary"]["skipped"].to_string();
    assert!(
        skipped.contains("\"submodule\"") && skipped.contains("lfs_pointer"),
        "{skipped}"
    );
}

#[test]
fn odd_file_names_are_reported_exactly() {
    let env = Env::new();
    let repo = env.init_repo("r");
    let tok = secrets::github_pat("odd");
    repo.write("with space.txt", format!("{tok}\n"));
    repo.write("new\nline.txt", format!("{tok}\n"));
    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(repo.path.join(latin1), format!("{tok}\n")).expect("write");
    repo.git(&["add", "."]);
    let run = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    let mut p = paths(&run);
    p.sort();
    assert_eq!(
        p,
        vec!["\"caf\\351.txt\"", "new\nline.txt", "with space.txt"]
    );
    // The human report never lets a newline in a name start a new line.
    let human = repo.run(&["scan", "staged"]);
    assert!(
        human.stdout.contains("\"new\\nline.txt\":1:1"),
        "{}",
        human.stdout
    );
}

use std::os::unix::ffi::OsStrExt;

#[test]
fn inline_allow_ignore_file_and_policy_allow_lists() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write(
        ".vouchsafe.toml",
        "[scan]\nallow_paths = [\"fixtures/**\"]\nallow_regexes = [\"^ghp_Fixed\"]\n",
    );
    repo.commit_all("policy");
    let a = secrets::github_pat("allow-inline");
    let b = secrets::github_pat("allow-fixture");
    let c = secrets::github_pat("ignored-later");
    repo.write(
        "a.txt",
        format!("token = \"{a}\"  # vouchsafe:allow test fixture\n"),
    );
    repo.write("fixtures/b.txt", format!("{b}\n"));
    repo.write("c.txt", format!("{c}\n"));
    repo.git(&["add", "."]);
    let run = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(paths(&run), vec!["c.txt"]);
    let add = repo.run(&["scan", "staged", "--add-to-ignore"]);
    assert_eq!(add.code, 0, "{}", add.all());
    let ignore = std::fs::read_to_string(repo.path.join(".vouchsafeignore")).expect("ignore file");
    assert!(
        ignore.contains("github-pat c.txt:1") && !ignore.contains(&c),
        "{ignore}"
    );
    let again = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert_eq!(again.json()["summary"]["ignored"], 1);
}

#[test]
fn policy_is_read_from_head_not_the_working_tree() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write("README.md", "x\n");
    repo.commit_all("base");
    // An uncommitted policy that would allow everything changes nothing.
    repo.write(".vouchsafe.toml", "[scan]\nallow_paths = [\"**\"]\n");
    repo.write("a.txt", format!("{}\n", secrets::github_pat("policy-wt")));
    repo.git(&["add", "a.txt"]);
    assert_eq!(repo.run(&["scan", "staged"]).code, 1);
}

#[test]
fn a_corrupt_committed_policy_is_a_clear_error() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write(".vouchsafe.toml", "[scan\nallow_paths = 3\n");
    repo.commit_all("broken policy");
    repo.write("a.txt", "x\n");
    repo.git(&["add", "."]);
    let run = repo.run(&["scan", "staged"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("HEAD:.vouchsafe.toml"),
        "{}",
        run.stderr
    );
    let unknown = env.init_repo("r2");
    unknown.write(".vouchsafe.toml", "[scan]\nallow_pathz = []\n");
    unknown.commit_all("typo");
    let run = unknown.run(&["scan", "staged"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("allow_pathz"), "{}", run.stderr);
}

#[test]
fn outside_a_repository_is_an_error_for_staged() {
    let env = Env::new();
    let dir = env.path().join("plain");
    std::fs::create_dir_all(&dir).expect("dir");
    let run = Run::from(
        env.cmd(BIN, &dir)
            .args(["scan", "staged"])
            .output()
            .expect("run"),
    );
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("not inside a git repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn scan_path_walks_directories_and_honours_gitignore() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write(".gitignore", "build/\n");
    repo.write(
        "src/a.rs",
        format!("const T: &str = \"{}\";\n", secrets::github_pat("path-a")),
    );
    repo.write(
        "build/out.txt",
        format!("{}\n", secrets::github_pat("path-ignored")),
    );
    repo.write("docs/readme.md", "nothing here\n");
    let run = repo.run(&["scan", "path", ".", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(paths(&run), vec!["src/a.rs"]);
    let all = repo.run(&["scan", "path", ".", "--no-ignore", "--format", "json"]);
    let mut p = paths(&all);
    p.sort();
    assert_eq!(p, vec!["build/out.txt", "src/a.rs"]);
    let one = repo.run(&["scan", "path", "docs", "--format", "json"]);
    assert_eq!(one.code, 0);
    let missing = repo.run(&["scan", "path", "nope"]);
    assert_eq!(missing.code, 2);
}

#[test]
fn scan_range_reports_the_commit_that_added_each_secret() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write("a.txt", "one\n");
    repo.commit_all("first");
    let base = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.write("b.txt", format!("{}\n", secrets::github_pat("range-1")));
    repo.commit_all("leak");
    let leak = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.write("b.txt", "removed\n");
    repo.commit_all("remove it");
    let run = repo.run(&[
        "scan",
        "range",
        &format!("{base}..HEAD"),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    let f = findings(&run);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["commit"], leak.as_str());
    assert_eq!(run.json()["summary"]["commits_scanned"], 2);
    let all = repo.run(&["scan", "range", "--all", "--format", "json"]);
    assert_eq!(all.json()["summary"]["commits_scanned"], 3);
    let none = repo.run(&["scan", "range", "HEAD..HEAD"]);
    assert_eq!(none.code, 0);
    assert!(none.stderr.contains("no commits"), "{}", none.stderr);
}

#[test]
fn sarif_output_is_what_code_scanning_accepts() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write(
        "dir with space/k.txt",
        format!("{}\n", secrets::github_pat("sarif")),
    );
    repo.git(&["add", "."]);
    let run = repo.run(&["scan", "staged", "--format", "sarif"]);
    assert_eq!(run.code, 1);
    let v = run.json();
    assert_eq!(v["version"], "2.1.0");
    let r = &v["runs"][0];
    assert_eq!(r["tool"]["driver"]["name"], "vouchsafe");
    assert_eq!(r["tool"]["driver"]["rules"][0]["id"], "github-pat");
    let res = &r["results"][0];
    assert_eq!(res["ruleId"], "github-pat");
    assert_eq!(
        res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "dir%20with%20space/k.txt"
    );
    assert_eq!(
        res["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert!(res["partialFingerprints"]["vouchsafe/v1"].is_string());
}

#[test]
fn pre_commit_hook_blocks_with_a_report_on_stderr() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write("ok.txt", "fine\n");
    repo.git(&["add", "."]);
    let ok = repo.run(&["hook", "pre-commit"]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert_eq!(ok.stdout, "");
    assert_eq!(ok.stderr, "", "a clean gate is silent");
    repo.write("leak.txt", format!("{}\n", secrets::github_pat("hook")));
    repo.git(&["add", "."]);
    let bad = repo.run(&["hook", "pre-commit"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("leak.txt:1:1") && bad.stderr.contains("github-pat"),
        "{}",
        bad.stderr
    );
    assert!(
        !bad.stderr.contains("\x1b["),
        "no colour when not a terminal"
    );
}

#[test]
fn commit_message_secrets_are_blocked_but_not_in_comments_or_the_verbose_diff() {
    let env = Env::new();
    let repo = env.init_repo("r");
    let tok = secrets::github_pat("message");
    let msg = repo.path.join(".git/COMMIT_EDITMSG");
    std::fs::write(&msg, format!("Fix login\n\nused {tok} to test\n")).expect("write");
    let run = repo.run(&["hook", "commit-msg", ".git/COMMIT_EDITMSG"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("git commit -e -F"), "{}", run.stderr);
    assert_no_raw(&run, &tok);
    assert_eq!(
        std::fs::read_to_string(&msg).expect("read"),
        format!("Fix login\n\nused {tok} to test\n"),
        "message untouched"
    );
    std::fs::write(
        &msg,
        format!(
            "Fix login\n# {tok}\n# ------------------------ >8 ------------------------\n+{tok}\n"
        ),
    )
    .expect("write");
    assert_eq!(
        repo.run(&["hook", "commit-msg", ".git/COMMIT_EDITMSG"])
            .code,
        0
    );
}

#[test]
fn pre_push_blocks_a_secret_committed_with_no_verify_and_the_remote_does_not_move() {
    let env = Env::new();
    let remote = env.bare_repo("remote.git");
    let repo = env.init_repo("r");
    repo.git(&["remote", "add", "origin", remote.to_str().expect("utf8")]);
    repo.write("a.txt", "one\n");
    repo.commit_all("first");
    repo.git(&["push", "-q", "origin", "main"]);
    let first = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    repo.write("leak.txt", format!("{}\n", secrets::github_pat("push")));
    repo.commit_all("leak, hooks bypassed");
    repo.write("b.txt", "clean\n");
    repo.commit_all("later");
    let head = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    let stdin = format!("refs/heads/main {head} refs/heads/main {first}\n");
    let mut child = repo
        .vouchsafe()
        .args(["hook", "pre-push", "origin", remote.to_str().expect("utf8")])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let run = Run::from(child.wait_with_output().expect("wait"));
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("leak.txt") && run.stderr.contains("git rebase -i"),
        "{}",
        run.stderr
    );
    // A deletion sends nothing and passes.
    let zero = "0".repeat(40);
    let mut child = repo
        .vouchsafe()
        .args(["hook", "pre-push", "origin"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("(delete) {zero} refs/heads/old {first}\n").as_bytes())
        .expect("write");
    assert_eq!(Run::from(child.wait_with_output().expect("wait")).code, 0);
}

#[test]
fn rules_check_passes_and_list_counts_rules() {
    let env = Env::new();
    let repo = env.init_repo("r");
    let check = repo.run(&["rules", "check"]);
    assert_eq!(check.code, 0, "{}", check.all());
    let list = repo.run(&["rules", "list", "--format", "json"]);
    let rules = list.json();
    let specific = rules
        .as_array()
        .expect("array")
        .iter()
        .filter(|r| r["generic"] == false)
        .count();
    assert!(specific >= 150, "{specific}");
}

/// On a terminal the report is coloured, unless `NO_COLOR` is set. `script` gives the
/// command a real pseudo-terminal (util-linux; `.ci/run` installs it).
#[test]
fn colour_on_a_terminal_and_never_with_no_color() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write("k.txt", format!("{}\n", secrets::github_pat("colour")));
    repo.git(&["add", "."]);
    let under_tty = |no_color: bool| {
        let mut c = repo.env.cmd("script", &repo.path);
        c.args(["-qec", &format!("'{BIN}' scan staged"), "/dev/null"]);
        c.env("TERM", "xterm");
        if no_color {
            c.env("NO_COLOR", "1");
        }
        Run::from(c.output().expect("run script"))
    };
    let coloured = under_tty(false);
    assert_eq!(coloured.code, 1, "{}", coloured.all());
    assert!(coloured.stdout.contains("\x1b["), "{:?}", coloured.stdout);
    let plain = under_tty(true);
    assert_eq!(plain.code, 1);
    assert!(
        plain.stdout.contains("k.txt:1:1") && !plain.stdout.contains("\x1b["),
        "{:?}",
        plain.stdout
    );
}

#[test]
fn scan_range_sees_the_root_commit_whatever_log_show_root_says() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write("a.txt", format!("{}\n", secrets::github_pat("root-commit")));
    repo.commit_all("root");
    repo.write("b.txt", "two\n");
    repo.commit_all("two");
    // A user setting that hides the root commit's patch from `git log -p`.
    repo.git(&["config", "log.showRoot", "false"]);
    let run = repo.run(&["scan", "range", "--all", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(paths(&run), vec!["a.txt"]);
}

#[test]
fn scan_path_names_files_from_the_repository_top_wherever_it_runs() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write(
        ".vouchsafe.toml",
        "[scan]\nallow_paths = [\"fixtures/**\"]\n",
    );
    repo.commit_all("policy");
    repo.write(
        "src/app/k.txt",
        format!("{}\n", secrets::github_pat("path-top")),
    );
    repo.write(
        "fixtures/f.txt",
        format!("{}\n", secrets::github_pat("path-fixture")),
    );
    repo.git(&["add", "src"]);
    let staged = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(paths(&staged), vec!["src/app/k.txt"]);
    let fp = findings(&staged)[0]["fingerprint"].clone();
    let sub = repo.path.join("src");
    let in_sub = |args: &[&str]| {
        Run::from(
            repo.vouchsafe()
                .current_dir(&sub)
                .args(args)
                .output()
                .expect("run vouchsafe"),
        )
    };
    let top = repo.path.to_str().expect("utf8 temp dir").to_string();
    for args in [
        vec!["scan", "path", ".", "../fixtures", "--format", "json"],
        vec!["scan", "path", top.as_str(), "--format", "json"],
        vec!["scan", "path", "./app/../app/k.txt", "--format", "json"],
    ] {
        let run = in_sub(&args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.all());
        assert_eq!(paths(&run), vec!["src/app/k.txt"], "{args:?}");
        assert_eq!(findings(&run)[0]["fingerprint"], fp, "{args:?}");
    }
    let sarif = in_sub(&["scan", "path", ".", "--format", "sarif"]);
    assert_eq!(
        sarif.json()["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
            ["artifactLocation"]["uri"],
        "src/app/k.txt"
    );
    // What `--add-to-ignore` writes from a subdirectory allows it everywhere.
    let add = in_sub(&["scan", "path", ".", "--add-to-ignore"]);
    assert_eq!(add.code, 0, "{}", add.all());
    assert_eq!(repo.run(&["scan", "staged"]).code, 0);
    assert_eq!(repo.run(&["scan", "path", "."]).code, 0);
}

/// A long history scan shows a progress bar on a terminal, and none with
/// `--no-progress` or when the output is not a terminal.
#[test]
fn range_scans_show_progress_on_a_terminal() {
    let env = Env::new();
    let repo = env.init_repo("r");
    for i in 0..120 {
        repo.write("f.txt", format!("line {i}\n"));
        repo.git(&["add", "."]);
        repo.git(&["commit", "-q", "--no-verify", "-m", &format!("c{i}")]);
    }
    let under_tty = |extra: &str| {
        let mut c = repo.env.cmd("script", &repo.path);
        c.args([
            "-qec",
            &format!("'{BIN}' scan range --all {extra}"),
            "/dev/null",
        ]);
        c.env("TERM", "xterm");
        Run::from(c.output().expect("run script"))
    };
    let shown = under_tty("");
    assert_eq!(shown.code, 0, "{}", shown.all());
    assert!(
        shown.stdout.contains("scanning commits"),
        "{:?}",
        shown.stdout
    );
    assert!(!under_tty("--no-progress")
        .stdout
        .contains("scanning commits"));
    assert!(!repo
        .run(&["scan", "range", "--all"])
        .all()
        .contains("scanning commits"));
}

/// Added lines from different hunks are not neighbours: a key header added in one
/// place and base64 added elsewhere in the file is no private key, while the same
/// lines added together are.
#[test]
fn multi_line_rules_do_not_join_separate_hunks() {
    let env = Env::new();
    let repo = env.init_repo("r");
    let filler: Vec<String> = (0..30).map(|i| format!("filler line {i}")).collect();
    repo.write("notes.txt", filler.join("\n") + "\n");
    repo.commit_all("base");
    // Made-up base64 of the right shape, built at run time.
    let body: String = (0..64)
        .map(|i| (b'A' + ((i * 7 + 3) % 26) as u8) as char)
        .collect::<String>()
        + "9+/x";
    let mut lines = filler.clone();
    lines[2] = "-----BEGIN RSA PRIVATE KEY-----".to_string();
    lines[20] = body.clone();
    repo.write("notes.txt", lines.join("\n") + "\n");
    repo.git(&["add", "."]);
    let apart = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(apart.code, 0, "{}", apart.all());
    let key: Vec<String> = vec![
        "-----BEGIN RSA PRIVATE KEY-----".into(),
        body.clone(),
        body.clone(),
        body,
        "-----END RSA PRIVATE KEY-----".into(),
    ];
    repo.write("id_rsa", key.join("\n") + "\n");
    repo.git(&["add", "."]);
    let together = repo.run(&["scan", "staged", "--format", "json"]);
    assert_eq!(together.code, 1, "{}", together.all());
    assert_eq!(paths(&together), vec!["id_rsa"]);
}
