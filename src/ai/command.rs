//! `vouchsafe ai start | stop | status | list`.

use std::io::Write;

use serde_json::json;

use super::detect::{self, Detection, Inputs, State, Who};
use super::registry::{self, Lookup};
use super::session::{self, Session};
use crate::git::Repo;
use crate::Status;

fn common_dir(repo: &Repo) -> anyhow::Result<std::path::PathBuf> {
    Ok(repo.git_dirs()?.1)
}

/// Resolves a name a person typed to a registry id, or keeps it for an assistant
/// the registry does not know.
fn resolve(name: &str) -> anyhow::Result<(String, bool)> {
    match registry::lookup(name) {
        Lookup::One(a) => Ok((a.id.to_string(), true)),
        Lookup::Several(v) => anyhow::bail!(
            "{name:?} names several assistants: {}; say which one",
            v.iter().map(|a| a.id).collect::<Vec<_>>().join(", ")
        ),
        Lookup::None => {
            let n = detect::sanitize(name);
            if n.is_empty() {
                anyhow::bail!("name the assistant: `vouchsafe ai start <id>` (`vouchsafe ai list` shows the ids)");
            }
            Ok((n, false))
        }
    }
}

pub fn start(agent: &str, model: Option<&str>, duration: &str) -> anyhow::Result<Status> {
    let repo = Repo::discover()?;
    let d = session::parse_duration(duration)?;
    let (id, known) = resolve(agent)?;
    let model = match model {
        Some(m) => {
            Some(detect::sanitize_model(m).ok_or_else(|| anyhow::anyhow!("--model is empty"))?)
        }
        None => None,
    };
    let now = session::now();
    let s = Session {
        agent: id.clone(),
        model: model.clone(),
        started: now,
        expires: now + d.as_secs(),
    };
    let cd = common_dir(&repo)?;
    if let Ok(Some(old)) = session::read(&cd) {
        if old.is_live(now) {
            eprintln!(
                "note: this replaces the session for {} started {}.",
                old.agent,
                session::show_time(old.started)
            );
        }
    }
    session::write(&cd, &s)?;
    let who = Who::from_name(&id);
    let value = match &model {
        Some(m) => format!("{}:{m}", who.word()),
        None => who.word(),
    };
    if !known {
        let hint = registry::suggest(agent)
            .map(|s| format!(" (did you mean {s}?)"))
            .unwrap_or_default();
        eprintln!(
            "note: {agent:?} is not an assistant vouchsafe knows{hint}; commits will name it as given, and a policy \
             treats it as unknown. `vouchsafe ai list` shows the ids it knows."
        );
    }
    println!(
        "Session started: commits in this repository will carry `Assisted-by: {value}` until {} ({}).",
        session::show_time(s.expires),
        session::show_left(s.expires - now)
    );
    println!("`vouchsafe ai stop` ends it.");
    if let Ok(policy) = crate::policy::load_committed(&repo) {
        if let Some(p) = &policy.agents {
            if !p.approves(&|n| who.is_named(n)) {
                eprintln!(
                    "warning: this repository's policy does not approve {}: commits will be {}.",
                    who.display(),
                    if p.action(known) == crate::policy::agents::Action::Block {
                        "stopped"
                    } else {
                        "let through with a warning"
                    }
                );
            }
        }
    }
    Ok(Status::Ok)
}

pub fn stop() -> anyhow::Result<Status> {
    let repo = Repo::discover()?;
    match session::remove(&common_dir(&repo)?)? {
        Some(s) => println!(
            "Session ended: {} (started {}).",
            s.agent,
            session::show_time(s.started)
        ),
        None => println!("No session was active in this repository."),
    }
    Ok(Status::Ok)
}

fn detect_now(repo: &Repo) -> anyhow::Result<(Detection, Option<Session>, Option<Session>)> {
    let env = detect::env_snapshot();
    let tree = super::process::Tree::read();
    let cd = common_dir(repo).ok();
    let raw_session = match &cd {
        Some(d) => session::read(d)?,
        None => None,
    };
    let live = raw_session.clone().filter(|s| s.is_live(session::now()));
    let mut idents = Vec::new();
    for (role, var) in [
        ("author", "GIT_AUTHOR_IDENT"),
        ("committer", "GIT_COMMITTER_IDENT"),
    ] {
        if let Ok(Some(i)) = repo.ident(var) {
            idents.push((role, i));
        }
    }
    let det = detect::detect(&Inputs {
        env: &env,
        tree: &tree,
        session: live.as_ref(),
        trailers: &[],
        text: b"",
        idents: &idents,
        path_exists: &super::process::exists,
    });
    Ok((det, live, raw_session))
}

pub fn status(json: bool) -> anyhow::Result<Status> {
    let repo = Repo::discover()?;
    let (det, live, raw_session) = detect_now(&repo)?;
    let policy = crate::policy::load_committed(&repo);
    let stamps: Vec<String> = det
        .attributed()
        .map(|a| format!("{}: {}", super::TRAILER_KEY, a.trailer_value()))
        .collect();
    let verdict = policy.as_ref().ok().map(|p| super::evaluate(p, &det));
    let verdict_of = |a: &super::Assistant| -> &'static str {
        match &verdict {
            Some(v) if v.blocked.iter().any(|b| std::ptr::eq(*b, a)) => "blocked",
            Some(v) if v.warned.iter().any(|b| std::ptr::eq(*b, a)) => "warned",
            _ if a.attributed() => "allowed",
            _ => "-",
        }
    };
    let mut out = std::io::stdout().lock();
    if json {
        let assistants: Vec<serde_json::Value> = det
            .assistants
            .iter()
            .map(|a| {
                json!({
                    "id": a.who.id(),
                    "name": match &a.who { Who::Known(k) => k.name.to_string(), Who::Unknown(n) => n.clone() },
                    "known": matches!(a.who, Who::Known(_)),
                    "state": a.state,
                    "model": a.model,
                    "trailer": a.attributed().then(|| format!("{}: {}", super::TRAILER_KEY, a.trailer_value())),
                    "policy": verdict_of(a),
                    "evidence": a.evidence,
                })
            })
            .collect();
        let v = json!({
            "would_stamp": stamps,
            "assistants": assistants,
            "process_tree": { "chain": det.tree.chain(), "complete": det.tree.complete(), "incomplete": det.tree.incomplete },
            "session": live,
            "policy_error": policy.as_ref().err().map(|e| format!("{e:#}")),
        });
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(Status::Ok);
    }
    if stamps.is_empty() {
        writeln!(
            out,
            "No assistant detected: a commit made here now gets no Assisted-by trailer."
        )?;
    } else {
        writeln!(out, "A commit made here now gets:")?;
        for s in &stamps {
            writeln!(out, "  {s}")?;
        }
    }
    for a in &det.assistants {
        writeln!(out)?;
        let state = match &a.state {
            State::Attributed => match verdict_of(a) {
                "blocked" => "helping; the policy would stop the commit".to_string(),
                "warned" => {
                    "helping; not approved, the commit would go ahead with a warning".to_string()
                }
                _ => "helping".to_string(),
            },
            State::ContextOnly => {
                "not attributed: only signs of the editor or terminal".to_string()
            }
            State::Refuted(why) => format!("not attributed: {why}"),
        };
        writeln!(out, "{}: {state}", a.who.display())?;
        for e in &a.evidence {
            writeln!(out, "  - {}", e.text)?;
        }
        if let Some(m) = &a.model {
            writeln!(out, "  model: {} (from {})", m.name, m.source)?;
        } else if a.attributed() {
            writeln!(out, "  model: unknown, so the trailer names none")?;
        }
    }
    writeln!(out)?;
    if let Some(pid) = det.tree.test_root {
        writeln!(
            out,
            "(a debug build: {} stops the walk at pid {pid})",
            super::process::TEST_ROOT_VAR
        )?;
    }
    match &det.tree.incomplete {
        None => writeln!(out, "Process tree: {}", det.tree.chain())?,
        Some(why) => writeln!(
            out,
            "Process tree: {} (incomplete: {why})",
            det.tree.chain()
        )?,
    }
    match (&live, &raw_session) {
        (Some(s), _) => writeln!(
            out,
            "Session: {}{} until {} ({} left); `vouchsafe ai stop` ends it",
            s.agent,
            s.model
                .as_ref()
                .map(|m| format!(" (model {m})"))
                .unwrap_or_default(),
            session::show_time(s.expires),
            session::show_left(s.expires.saturating_sub(session::now()))
        )?,
        (None, Some(s)) => writeln!(
            out,
            "Session: none (the one for {} ended {})",
            s.agent,
            session::show_time(s.expires)
        )?,
        (None, None) => writeln!(
            out,
            "Session: none (`vouchsafe ai start <agent>` declares one)"
        )?,
    }
    match &policy {
        Ok(p) => match &p.agents {
            None => writeln!(
                out,
                "Policy: no [agents] in HEAD:{}, so every assistant is allowed",
                crate::policy::FILE_NAME
            )?,
            Some(a) => writeln!(
                out,
                "Policy: HEAD:{} approves {}; others: {}",
                crate::policy::FILE_NAME,
                super::approved_list(a),
                a.on_unapproved.as_str()
            )?,
        },
        Err(e) => writeln!(out, "Policy: the committed policy is invalid: {e:#}")?,
    }
    Ok(Status::Ok)
}

fn markers(m: &[registry::Marker]) -> Vec<String> {
    m.iter()
        .map(|parts| {
            parts
                .iter()
                .map(|(n, v)| match v {
                    Some(v) => format!("{n}={v}"),
                    None => n.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" & ")
        })
        .collect()
}

pub fn list(json: bool) -> anyhow::Result<Status> {
    let mut out = std::io::stdout().lock();
    let all = registry::all();
    if json {
        let v: Vec<serde_json::Value> = all
            .iter()
            .map(|a| {
                json!({
                    "id": a.id, "name": a.name, "vendor": a.vendor, "trailer": a.trailer, "aliases": a.aliases,
                    "env": markers(a.env), "host": markers(a.host), "host_paths": a.host_paths,
                    "context": markers(a.context), "process": a.process, "process_args": a.process_args,
                    "context_process": a.context_process, "context_process_args": a.context_process_args,
                    "model_env": a.model_env,
                    "trailers": a.trailers.iter().map(|t| json!({"key": t.key, "value": t.value})).collect::<Vec<_>>(),
                    "lines": a.lines, "authors": a.authors, "supersedes": a.supersedes,
                    "notes": a.notes, "sources": a.sources,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(Status::Ok);
    }
    for a in all {
        let mut how = Vec::new();
        let env = markers(a.env);
        if !env.is_empty() {
            how.push(format!("env {}", env.join(", ")));
        }
        let host = markers(a.host);
        if !host.is_empty() || !a.host_paths.is_empty() {
            let mut h = host;
            h.extend(a.host_paths.iter().map(|p| p.to_string()));
            how.push(format!("host {}", h.join(", ")));
        }
        if !a.process.is_empty() {
            how.push(format!("process {}", a.process.join(", ")));
        }
        if !a.trailers.is_empty() {
            how.push(format!(
                "trailers {}",
                a.trailers
                    .iter()
                    .map(|t| t.key)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !a.authors.is_empty() {
            how.push("author identity".into());
        }
        if how.is_empty() {
            how.push("only `vouchsafe ai start` / VOUCHSAFE_AGENT".into());
        }
        writeln!(
            out,
            "{:<20} {:<34} Assisted-by: {}",
            a.id, a.name, a.trailer
        )?;
        writeln!(out, "{:<20} {}", "", how.join("; "))?;
    }
    writeln!(
        out,
        "{} assistants. Any other name works with `vouchsafe ai start` and VOUCHSAFE_AGENT.",
        all.len()
    )?;
    Ok(Status::Ok)
}
