//! `vouchsafe policy init | show | check`.

use crate::common::{secrets, Env};

#[test]
fn init_writes_a_valid_commented_starter_and_does_not_overwrite() {
    let env = Env::new();
    let repo = env.init_repo("r");
    let r = repo.run(&["policy", "init"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let text = std::fs::read_to_string(repo.path.join(".vouchsafe.toml")).expect("written");
    assert!(
        text.contains("[agents]") && text.contains("# approved = "),
        "{text}"
    );
    let r = repo.run(&["policy", "check"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("valid"), "{}", r.stdout);
    repo.write(".vouchsafe.toml", "# mine\n");
    let r = repo.run(&["policy", "init"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        r.stderr.contains("already exists") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(repo.path.join(".vouchsafe.toml")).expect("read"),
        "# mine\n"
    );
    let r = repo.run(&["policy", "init", "--force"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(
        std::fs::read_to_string(repo.path.join(".vouchsafe.toml")).expect("read"),
        text
    );
}

#[test]
fn check_reports_line_and_column_for_each_problem() {
    let env = Env::new();
    let repo = env.init_repo("r");
    repo.write(
        "bad.toml",
        "[agents]\napproved = [\"claude-code\"]\non_unapproved = \"deny\"\n",
    );
    let r = repo.run(&["policy", "check", "bad.toml"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout
            .contains("bad.toml:3:17: error: unknown variant `deny`, expected `block` or `warn`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("  on_unapproved = \"deny\"\n                  ^^^^^^"),
        "{}",
        r.stdout
    );

    repo.write("typo.toml", "[agent]\napproved = []\n");
    let r = repo.run(&["policy", "check", "typo.toml"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout
            .contains("typo.toml:1:2: error: unknown field `agent`"),
        "{}",
        r.stdout
    );

    repo.write("syntax.toml", "[agents]\napproved = [\"a\"\n");
    let r = repo.run(&["policy", "check", "syntax.toml"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout.contains("syntax.toml:3:1: error: invalid array"),
        "{}",
        r.stdout
    );

    repo.write("values.toml", "[scan]\nallow_regexes = [\"ok\", \"(unclosed\"]\n[agents]\napproved = [\"claude-cod\", \"cursor\"]\n");
    let r = repo.run(&["policy", "check", "values.toml"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stdout
            .contains("values.toml:2:24: error: [scan] allow_regexes: not a regex: unclosed group"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("values.toml:4:13: warning: [agents] approved: \"claude-cod\" is not an assistant vouchsafe knows (did you mean \"claude-code\"?)"), "{}", r.stdout);

    let r = repo.run(&["policy", "check", "missing.toml"]);
    assert_eq!(r.code, 2, "{}", r.all());
}

#[test]
fn show_prints_the_committed_policy_not_the_working_tree() {
    let env = Env::new();
    let repo = env.init_repo("r");
    let r = repo.run(&["policy", "show"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("no .vouchsafe.toml committed at HEAD"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("every assistant is allowed"),
        "{}",
        r.stdout
    );
    repo.write(
        ".vouchsafe.toml",
        "[agents]\napproved = [\"cursor\"]\ncontact = \"sec@example.org\"\n",
    );
    repo.commit_all("Policy");
    repo.write(
        ".vouchsafe.toml",
        "[agents]\napproved = [\"cursor\", \"claude-code\"]\n",
    );
    let r = repo.run(&["policy", "show"]);
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("HEAD:.vouchsafe.toml (commit "),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("approved = [\"cursor\"]"), "{}", r.stdout);
    assert!(
        r.stdout.contains("on_unapproved = \"block\""),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("claude-code"), "{}", r.stdout);
    assert!(r.stderr.contains("differs from HEAD"), "{}", r.stderr);
    let j = repo.run(&["policy", "show", "--format", "json"]).json();
    assert_eq!(j["agents"]["approved"][0], "cursor");
    assert_eq!(j["agents"]["contact"], "sec@example.org");
}

/// The user's own policy (`policy.toml` in vouchsafe's config directory) tightens
/// the repository's and never loosens it.
#[test]
fn the_users_policy_can_only_tighten() {
    let env = Env::new();
    let home = env.path().join("vouchsafe-home");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::write(
        home.join("policy.toml"),
        "[scan]\nallow_paths = [\"**\"]\n[agents]\napproved = [\"claude-code\"]\n",
    )
    .expect("user policy");
    let repo = env.init_repo("r");
    let run = repo.run(&["install"]);
    assert_eq!(run.code, 0, "{}", run.all());
    // The repository approves any assistant; the user's list narrows it.
    let aider = repo
        .git_cmd()
        .env("VOUCHSAFE_AGENT", "aider")
        .args(["commit", "-q", "--allow-empty", "-m", "with aider"])
        .output()
        .expect("commit");
    assert!(
        !aider.status.success(),
        "{}",
        String::from_utf8_lossy(&aider.stderr)
    );
    let claude = repo
        .git_cmd()
        .env("VOUCHSAFE_AGENT", "claude-code")
        .args(["commit", "-q", "--allow-empty", "-m", "with claude"])
        .output()
        .expect("commit");
    assert!(
        claude.status.success(),
        "{}",
        String::from_utf8_lossy(&claude.stderr)
    );
    // The user's allow-list does not allow a secret.
    repo.write("k.txt", format!("{}\n", secrets::github_pat("user-policy")));
    repo.git(&["add", "."]);
    assert_eq!(repo.run(&["scan", "staged"]).code, 1);
    // A broken user policy is a clear error, not a silent pass.
    std::fs::write(home.join("policy.toml"), "[agents\n").expect("broken");
    let broken = repo.run(&["scan", "staged"]);
    assert_eq!(broken.code, 2, "{}", broken.all());
    assert!(broken.stderr.contains("policy.toml"), "{}", broken.stderr);
}
