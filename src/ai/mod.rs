//! Who helped: the assistant registry, detection from every source, the `[agents]`
//! policy, and the `Assisted-by: <Agent>:<model>` trailer the commit hooks write.
//!
//! - `registry`: the assistants (data/agents/*.toml, compiled in)
//! - `detect`: evidence and the rules that weigh it
//! - `process`: the process tree above the hook
//! - `session`: `vouchsafe ai start|stop`
//! - `trailers`: git's trailer rules (parse, insert, remove), reusable
//! - `message`: cleanup, comment character, emptiness, the atomic rewrite
//! - `command`: `vouchsafe ai ...`

pub mod command;
pub mod detect;
pub mod message;
pub mod process;
pub mod registry;
pub mod session;
pub mod trailers;

use std::fmt::Write as _;
use std::path::Path;

use detect::{Assistant, Detection, Inputs, Kind, Who};
use message::MessageConfig;
use process::Tree;

use crate::git::Repo;
use crate::policy::agents::Action;
use crate::policy::Policy;
use crate::Status;

/// The trailer the hooks write, the Linux kernel's convention.
pub const TRAILER_KEY: &str = "Assisted-by";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    CommitMsg,
    PrepareCommitMsg,
}

impl Hook {
    pub fn name(self) -> &'static str {
        match self {
            Hook::CommitMsg => "commit-msg",
            Hook::PrepareCommitMsg => "prepare-commit-msg",
        }
    }
}

/// What a commit hook gathered before it looks at assistants.
pub struct HookInput<'a> {
    pub repo: &'a Repo,
    pub policy: &'a Policy,
    pub config: &'a MessageConfig,
    /// This worktree's git dir and the common dir (`None` if git could not say).
    pub dirs: Option<(std::path::PathBuf, std::path::PathBuf)>,
    pub tree: &'a Tree,
}

/// What the policy says about the assistants seen.
pub struct Verdict<'d> {
    pub blocked: Vec<&'d Assistant>,
    pub warned: Vec<&'d Assistant>,
}

pub fn evaluate<'d>(policy: &Policy, det: &'d Detection) -> Verdict<'d> {
    let mut v = Verdict {
        blocked: Vec::new(),
        warned: Vec::new(),
    };
    let Some(p) = &policy.agents else { return v };
    for a in det.attributed() {
        if p.approves(&|name| a.who.is_named(name)) {
            continue;
        }
        match p.action(matches!(a.who, Who::Known(_))) {
            Action::Block => v.blocked.push(a),
            Action::Warn => v.warned.push(a),
        }
    }
    v
}

/// Detection as a commit hook sees it: this process's environment and ancestors,
/// the repository's session, the message and the identities of the commit.
pub fn detect_for_message(
    h: &HookInput<'_>,
    fmt: &trailers::Format,
    cleaned: &[u8],
    raw: &[u8],
) -> Detection {
    let env = detect::env_snapshot();
    let idents = detect::idents_from_env(&env);
    let session = live_session(h.dirs.as_ref().map(|d| d.1.as_path()));
    let parsed = fmt.parse(raw);
    detect::detect(&Inputs {
        env: &env,
        tree: h.tree,
        session: session.as_ref(),
        trailers: &parsed,
        text: cleaned,
        idents: &idents,
        path_exists: &process::exists,
    })
}

/// The live session of this repository; a broken session file is reported and
/// ignored.
pub fn live_session(common_dir: Option<&Path>) -> Option<session::Session> {
    let dir = common_dir?;
    match session::read(dir) {
        Ok(Some(s)) if s.is_live(session::now()) => Some(s),
        Ok(_) => None,
        Err(e) => {
            eprintln!("vouchsafe: warning: {e:#}");
            None
        }
    }
}

/// After the secret scan passed: detect, apply `[agents]`, and (when `write`) add an
/// `Assisted-by` trailer for each assistant not already named, rewriting the file
/// atomically. The file is left as it was on a block or on any error.
pub fn stamp(
    h: &HookInput<'_>,
    msg_file: &Path,
    raw: &[u8],
    hook: Hook,
    write: bool,
) -> anyhow::Result<Status> {
    let editor = message::editor_used();
    let fmt = h.config.format(raw, editor);
    let mode = h.config.cleanup_mode(editor);
    let cleaned = message::cleaned(raw, &fmt, mode);
    let det = detect_for_message(h, &fmt, &cleaned, raw);
    let verdict = evaluate(h.policy, &det);
    if !verdict.blocked.is_empty() {
        let kept = (!message::is_empty(&cleaned)).then_some(msg_file);
        eprint!("{}", block_report(h, &verdict.blocked, kept));
        crate::hooks::pre_commit::block_footer(
            h.policy,
            "The commit was stopped before it was made.",
        );
        let ctx = crate::incident::Context::of(h.repo);
        let incidents: Vec<_> = verdict
            .blocked
            .iter()
            .map(|a| crate::incident::Incident {
                assistant: Some(a.who.id()),
                detail: Some(evidence_summary(a)),
                ..ctx.incident(hook.name(), "unapproved-agent")
            })
            .collect();
        crate::incident::record(&incidents, h.policy);
        return Ok(Status::Blocked);
    }
    warn_once(h, &verdict.warned, hook);
    if !write {
        return Ok(Status::Ok);
    }
    let new: Vec<(String, Vec<u8>)> = det
        .attributed()
        .filter(|a| !a.already_stamped)
        .map(|a| (TRAILER_KEY.to_string(), a.trailer_value().into_bytes()))
        .collect();
    if new.is_empty() {
        return Ok(Status::Ok);
    }
    // git aborts an empty message or an untouched template: a trailer would turn
    // that into a commit nobody meant to make.
    let prepared = match hook {
        Hook::CommitMsg => take_note(h, "ai-template"),
        Hook::PrepareCommitMsg => None,
    };
    if message::is_empty(&cleaned)
        || message::template_untouched(
            &cleaned,
            h.config.template.as_deref(),
            prepared.as_deref(),
            &fmt,
            mode,
        )
    {
        return Ok(Status::Ok);
    }
    let out = fmt.insert(raw, &new);
    if let Err(e) = message::write_atomically(msg_file, &out) {
        let lines: Vec<String> = new
            .iter()
            .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v)))
            .collect();
        if h.policy.agents.is_some() {
            return Err(e.context(format!(
                "could not add `{}` to the commit message, which this repository's [agents] policy requires; \
                 the message file was left as it was",
                lines.join("`, `")
            )));
        }
        eprintln!(
            "vouchsafe: warning: could not add `{}` to the commit message ({e:#}); the message was left as it was \
             and the commit goes ahead",
            lines.join("`, `")
        );
    }
    Ok(Status::Ok)
}

fn evidence_summary(a: &Assistant) -> String {
    a.evidence
        .iter()
        .filter(|e| e.kind != Kind::Note)
        .map(|e| e.text.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

pub(crate) fn approved_list(p: &crate::policy::AgentsPolicy) -> String {
    match p.approved.as_deref() {
        None => "any assistant".into(),
        Some([]) => "none (approved = [])".into(),
        Some(list) => list
            .iter()
            .map(|e| match registry::lookup(e) {
                registry::Lookup::One(a) if a.id == e.as_str() => format!("{} ({e})", a.name),
                registry::Lookup::One(a) => format!("{e} ({})", a.name),
                registry::Lookup::Several(v) => {
                    format!(
                        "{e} ({})",
                        v.iter().map(|a| a.name).collect::<Vec<_>>().join(", ")
                    )
                }
                registry::Lookup::None => e.clone(),
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Whom to ask: the policy's contact, else whoever changed the policy last.
fn whom_to_ask(h: &HookInput<'_>) -> String {
    if let Some(c) = h.policy.agents.as_ref().and_then(|a| a.contact.as_deref()) {
        return c.to_string();
    }
    if let Some(c) = h.policy.incidents.contact.as_deref() {
        return c.to_string();
    }
    match h.repo.last_change(crate::policy::FILE_NAME) {
        Ok(Some((who, id))) => format!(
            "whoever maintains {} (last changed by {who} in {id})",
            crate::policy::FILE_NAME
        ),
        _ => format!("whoever maintains {}", crate::policy::FILE_NAME),
    }
}

fn block_report(h: &HookInput<'_>, blocked: &[&Assistant], kept: Option<&Path>) -> String {
    let p = h.policy.agents.clone().unwrap_or_default();
    let mut s = String::new();
    for a in blocked {
        let known = matches!(a.who, Who::Known(_));
        let _ = writeln!(
            s,
            "vouchsafe: {} helped with this commit, and this repository does not approve it.",
            a.who.display()
        );
        let _ = writeln!(s, "  How it was seen:");
        for e in &a.evidence {
            let _ = writeln!(s, "    - {}", e.text);
        }
        let key = if known || p.on_unknown.is_none() {
            "on_unapproved"
        } else {
            "on_unknown"
        };
        let _ = writeln!(s, "  Approved here: {}", approved_list(&p));
        let _ = writeln!(
            s,
            "  Policy: [agents] in HEAD:{} ({key} = \"block\")",
            crate::policy::FILE_NAME
        );
    }
    let _ = writeln!(
        s,
        "  To use another assistant here, ask: {}",
        whom_to_ask(h)
    );
    if let Some(f) = kept {
        let _ = writeln!(
            s,
            "  Your message is kept: `git commit -e -F {}` reopens it.",
            f.display()
        );
    }
    let _ = writeln!(
        s,
        "  If no assistant helped, `vouchsafe ai status` shows where each sign came from."
    );
    s
}

/// Warnings for assistants the policy lets through. prepare-commit-msg and
/// commit-msg both run for a normal commit: the second does not repeat what the
/// first said (it leaves a note keyed by the `git` process they share).
fn warn_once(h: &HookInput<'_>, warned: &[&Assistant], hook: Hook) {
    let said: Vec<String> = match hook {
        Hook::CommitMsg => take_note(h, "ai-warned")
            .map(|b| {
                String::from_utf8_lossy(&b)
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        Hook::PrepareCommitMsg => Vec::new(),
    };
    let p = h.policy.agents.clone().unwrap_or_default();
    let mut now_said = Vec::new();
    for a in warned {
        if said.contains(&a.who.id()) {
            continue;
        }
        eprintln!(
            "vouchsafe: warning: {} helped with this commit and is not approved here (approved: {}); the commit goes \
             ahead because the policy says \"warn\". Seen: {}. To ask about it: {}.",
            a.who.display(),
            approved_list(&p),
            evidence_summary(a),
            whom_to_ask(h)
        );
        now_said.push(a.who.id());
    }
    if hook == Hook::PrepareCommitMsg && !now_said.is_empty() {
        write_note(h, "ai-warned", now_said.join("\n").as_bytes());
    }
}

/// Notes from prepare-commit-msg to the commit-msg hook of the same commit, in
/// `<git-dir>/vouchsafe/<name>`, keyed by the `git` process both run under (a note
/// left by another commit, or by one made with --no-verify, is ignored and replaced).
fn note_path(h: &HookInput<'_>, name: &str) -> Option<(std::path::PathBuf, u32)> {
    let (gd, _) = h.dirs.as_ref()?;
    Some((gd.join("vouchsafe").join(name), h.tree.git_pid()?))
}

pub fn write_note(h: &HookInput<'_>, name: &str, body: &[u8]) {
    if let Some((path, pid)) = note_path(h, name) {
        let mut text = format!("{pid}\n").into_bytes();
        text.extend_from_slice(body);
        let _ = std::fs::create_dir_all(path.parent().expect("has a parent"));
        let _ = std::fs::write(&path, text);
    }
}

fn take_note(h: &HookInput<'_>, name: &str) -> Option<Vec<u8>> {
    let (path, pid) = note_path(h, name)?;
    let text = std::fs::read(&path).ok()?;
    let _ = std::fs::remove_file(&path);
    let nl = text.iter().position(|&b| b == b'\n')?;
    (text[..nl] == *pid.to_string().as_bytes()).then(|| text[nl + 1..].to_vec())
}

/// prepare-commit-msg with a template (`-t`, `commit.template`): what git prepared,
/// cleaned, so that commit-msg can tell an untouched template, which git rejects.
pub fn note_template(h: &HookInput<'_>, raw: &[u8]) {
    let editor = message::editor_used();
    let fmt = h.config.format(raw, editor);
    let cleaned = message::cleaned(raw, &fmt, h.config.cleanup_mode(editor));
    write_note(h, "ai-template", &cleaned);
}
