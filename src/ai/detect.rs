//! Who helped: every source of evidence, weighed by fixed rules.
//!
//! - **Explicit** (`VOUCHSAFE_AGENT=<id>[:<model>]`, a live `vouchsafe ai start`
//!   session), **host** markers (a machine only the assistant uses), the assistant's
//!   **process** above the hook, and what it wrote itself (its **trailers**, message
//!   **lines** and **author** identity, or an `Assisted-by`/`Generated-by` disclosure)
//!   each attribute on their own.
//! - An **environment** marker attributes unless the process tree refutes it: the
//!   tree is complete (see `process`), the registry knows how the assistant or the
//!   editor hosting it appears there, and neither is above the hook. Then the
//!   variable leaked into this shell (a terminal or tmux started from an agent).
//! - **Context** markers (`CURSOR_TRACE_ID`, `TERM_PROGRAM=vscode`, an editor
//!   process) only say where the person types. They never attribute.

use std::collections::HashMap;

use serde::Serialize;

use super::process::Tree;
use super::registry::{self, AgentDef, Lookup, Marker};
use super::session::Session;
use super::trailers::Trailer;

pub const AGENT_VAR: &str = "VOUCHSAFE_AGENT";

#[derive(Debug, Clone)]
pub enum Who {
    Known(&'static AgentDef),
    /// Named by a person or a generic marker, not in the registry.
    Unknown(String),
}

impl Who {
    pub fn from_name(name: &str) -> Who {
        match registry::lookup(name) {
            Lookup::One(a) => Who::Known(a),
            _ => Who::Unknown(sanitize(name)),
        }
    }

    /// `Claude Code (claude-code)`, or `unknown assistant "foo"`.
    pub fn display(&self) -> String {
        match self {
            Who::Known(a) => format!("{} ({})", a.name, a.id),
            Who::Unknown(n) => format!("an assistant vouchsafe does not know, {n:?}"),
        }
    }

    pub fn id(&self) -> String {
        match self {
            Who::Known(a) => a.id.to_string(),
            Who::Unknown(n) => n.clone(),
        }
    }

    /// The `<Agent>` of the trailer.
    pub fn word(&self) -> String {
        match self {
            Who::Known(a) => a.trailer.to_string(),
            Who::Unknown(n) => n.clone(),
        }
    }

    fn same(&self, other: &Who) -> bool {
        match (self, other) {
            (Who::Known(a), Who::Known(b)) => a.id == b.id,
            (Who::Unknown(a), Who::Unknown(b)) => {
                registry::normalize_name(a) == registry::normalize_name(b)
            }
            _ => false,
        }
    }

    pub fn is_named(&self, name: &str) -> bool {
        match self {
            Who::Known(a) => a.is_named(name),
            Who::Unknown(n) => registry::normalize_name(n) == registry::normalize_name(name),
        }
    }
}

/// A name fit for a trailer word: no spaces, no colon, no control characters.
pub fn sanitize(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        if c.is_whitespace() {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else if c != ':' && !c.is_control() {
            out.push(c);
        }
        if out.len() >= 64 {
            break;
        }
    }
    out
}

/// A model name fit for a trailer value: whitespace runs become `-`.
pub fn sanitize_model(s: &str) -> Option<String> {
    let mut out = String::new();
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push('-');
        }
        out.extend(word.chars().filter(|c| !c.is_control()));
        if out.len() > 100 {
            break;
        }
    }
    (!out.is_empty()).then_some(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Explicit,
    Session,
    Env,
    Host,
    Process,
    Trailer,
    Line,
    Author,
    Disclosure,
    Context,
    ContextProcess,
    Note,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub kind: Kind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "reason")]
pub enum State {
    Attributed,
    /// Only markers of the editor or terminal.
    ContextOnly,
    /// Environment markers the process tree shows to be leaked.
    Refuted(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Model {
    pub name: String,
    /// Where it was read: `VOUCHSAFE_AGENT`, `session`, `trailer`, a variable.
    pub source: String,
}

#[derive(Debug, Clone)]
pub struct Assistant {
    pub who: Who,
    pub state: State,
    pub model: Option<Model>,
    pub evidence: Vec<Evidence>,
    /// An `Assisted-by` naming it is already in the message.
    pub already_stamped: bool,
    explicit_model: Option<Model>,
    trailer_model: Option<String>,
    explicit: bool,
    depth: Option<usize>,
    strong: bool,
    only_env: bool,
}

impl Assistant {
    fn new(who: Who) -> Assistant {
        Assistant {
            who,
            state: State::ContextOnly,
            model: None,
            evidence: Vec::new(),
            already_stamped: false,
            explicit_model: None,
            trailer_model: None,
            explicit: false,
            depth: None,
            strong: false,
            only_env: false,
        }
    }

    pub fn attributed(&self) -> bool {
        self.state == State::Attributed
    }

    /// `Claude-Code:claude-opus-4-5`: the value of its `Assisted-by` trailer.
    pub fn trailer_value(&self) -> String {
        match &self.model {
            Some(m) => format!("{}:{}", self.who.word(), m.name),
            None => self.who.word(),
        }
    }
}

/// Everything detection looks at; gathered by the caller so that the rules can be
/// tested without a machine to match.
pub struct Inputs<'a> {
    pub env: &'a HashMap<String, String>,
    pub tree: &'a Tree,
    pub session: Option<&'a Session>,
    /// The trailer block of the message.
    pub trailers: &'a [Trailer],
    /// The message as git will keep it (for footer lines).
    pub text: &'a [u8],
    /// `("author", "Name <email>")`, `("committer", ...)`.
    pub idents: &'a [(&'static str, String)],
    pub path_exists: &'a dyn Fn(&str) -> bool,
}

#[derive(Debug, Clone)]
pub struct Detection {
    /// Attributed first (in trailer order), then context-only and refuted ones.
    pub assistants: Vec<Assistant>,
    pub tree: Tree,
}

impl Detection {
    pub fn attributed(&self) -> impl Iterator<Item = &Assistant> {
        self.assistants.iter().filter(|a| a.attributed())
    }
}

/// The environment of this process, for `Inputs::env`.
pub fn env_snapshot() -> HashMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.to_string_lossy().into_owned())))
        .collect()
}

/// `GIT_AUTHOR_*` and `GIT_COMMITTER_*` as git exports them to commit hooks (and as
/// Aider sets them for its own commits).
pub fn idents_from_env(env: &HashMap<String, String>) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    for (role, name, email) in [
        ("author", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"),
        ("committer", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"),
    ] {
        let (n, e) = (env.get(name), env.get(email));
        if n.is_some() || e.is_some() {
            v.push((
                role,
                format!("{} <{}>", n.map_or("", |s| s), e.map_or("", |s| s)),
            ));
        }
    }
    v
}

fn marker_holds(env: &HashMap<String, String>, m: Marker) -> bool {
    m.iter().all(|(name, value)| match (env.get(*name), value) {
        (Some(v), None) => !v.is_empty(),
        (Some(v), Some(p)) => registry::glob(p, v),
        (None, _) => false,
    })
}

fn describe_marker(env: &HashMap<String, String>, m: Marker) -> String {
    let parts: Vec<String> = m
        .iter()
        .map(|(name, value)| match value {
            // The value shown is the one the marker names, never an unmatched one
            // (a session id or a path can be personal).
            Some(_) => {
                let v = env.get(*name).map_or("", String::as_str);
                let v: String = v.chars().take(60).collect();
                format!("{name}={v}")
            }
            None => format!("{name} is set"),
        })
        .collect();
    parts.join(" and ")
}

const DISCLOSURE_KEYS: &[&str] = &["Assisted-by", "Generated-by", "Co-authored-by-AI"];

/// `Claude:claude-3-opus coccinelle` → ("Claude", Some("claude-3-opus")) for
/// Assisted-by; `Tool (model)` for the others.
fn parse_disclosure(key: &str, value: &str) -> Option<(String, Option<String>)> {
    let value = value.trim();
    if key.eq_ignore_ascii_case("Assisted-by") {
        let (name, model) = match value.split_once(':') {
            Some((n, m)) => (n.trim(), m.split_whitespace().next().map(str::to_string)),
            None => (value, None),
        };
        return (!name.is_empty()).then(|| (name.to_string(), model));
    }
    let cut = value.find(['(', '<']).unwrap_or(value.len());
    let name = value[..cut].trim();
    let model = value[cut..]
        .strip_prefix('(')
        .and_then(|r| r.split_once(')'))
        .map(|(m, _)| m.trim().to_string());
    (!name.is_empty()).then(|| (name.to_string(), model.filter(|m| !m.is_empty())))
}

pub fn detect(inp: &Inputs<'_>) -> Detection {
    let mut out: Vec<Assistant> = Vec::new();
    fn entry(out: &mut Vec<Assistant>, who: Who) -> &mut Assistant {
        match out.iter().position(|a| a.who.same(&who)) {
            Some(i) => &mut out[i],
            None => {
                out.push(Assistant::new(who));
                out.last_mut().expect("just pushed")
            }
        }
    }
    let explicit_from =
        |out: &mut Vec<Assistant>, value: &str, kind: Kind, text: String, source: &str| {
            let (name, model) = match value.split_once(':') {
                Some((n, m)) => (n, sanitize_model(m)),
                None => (value, None),
            };
            let name = name.trim();
            if name.is_empty() {
                return;
            }
            let who = Who::from_name(name);
            let ambiguous = match registry::lookup(name) {
                Lookup::Several(v) => Some(v.iter().map(|a| a.id).collect::<Vec<_>>().join(", ")),
                _ => None,
            };
            let a = entry(out, who);
            a.explicit = true;
            a.strong = true;
            a.state = State::Attributed;
            a.evidence.push(Evidence { kind, text });
            if let Some(c) = ambiguous {
                a.evidence.push(Evidence {
                    kind: Kind::Note,
                    text: format!("{name:?} names several assistants ({c}); use one id"),
                });
            }
            if let Some(m) = model {
                a.explicit_model = Some(Model {
                    name: m,
                    source: source.to_string(),
                });
            }
        };

    // 1. Explicit.
    if let Some(v) = inp.env.get(AGENT_VAR).filter(|v| !v.trim().is_empty()) {
        explicit_from(
            &mut out,
            v,
            Kind::Explicit,
            format!("{AGENT_VAR}={v}"),
            AGENT_VAR,
        );
    }
    if let Some(s) = inp.session {
        let mut v = s.agent.clone();
        if let Some(m) = &s.model {
            v = format!("{v}:{m}");
        }
        let text = format!(
            "session started with `vouchsafe ai start {}` at {}, until {}",
            s.agent,
            super::session::show_time(s.started),
            super::session::show_time(s.expires)
        );
        explicit_from(&mut out, &v, Kind::Session, text, "session");
    }

    // 2-4. Every registry entry.
    let mut ai_agent_known = false;
    let values: Vec<(&Trailer, String)> = inp
        .trailers
        .iter()
        .filter(|t| t.key.is_some())
        .map(|t| (t, String::from_utf8_lossy(&t.value).into_owned()))
        .collect();
    let text = String::from_utf8_lossy(inp.text);
    for a in registry::all() {
        let mut strong: Vec<Evidence> = Vec::new();
        let mut env: Vec<Evidence> = Vec::new();
        let mut ctx: Vec<Evidence> = Vec::new();
        let mut trailer_model = None;
        for m in a.env {
            if marker_holds(inp.env, m) {
                ai_agent_known |= m.iter().any(|(n, _)| *n == "AI_AGENT");
                env.push(Evidence {
                    kind: Kind::Env,
                    text: describe_marker(inp.env, m),
                });
            }
        }
        for m in a.host {
            if marker_holds(inp.env, m) {
                strong.push(Evidence {
                    kind: Kind::Host,
                    text: describe_marker(inp.env, m),
                });
            }
        }
        for p in a.host_paths {
            if (inp.path_exists)(p) {
                strong.push(Evidence {
                    kind: Kind::Host,
                    text: format!("{p} exists"),
                });
            }
        }
        for m in a.context {
            if marker_holds(inp.env, m) {
                ctx.push(Evidence {
                    kind: Kind::Context,
                    text: format!(
                        "{} (marks the editor or terminal, not the assistant)",
                        describe_marker(inp.env, m)
                    ),
                });
            }
        }
        let depth = inp
            .tree
            .ancestors
            .iter()
            .position(|p| p.matches(a.process, a.process_args));
        if let Some(d) = depth {
            let p = &inp.tree.ancestors[d];
            strong.push(Evidence {
                kind: Kind::Process,
                text: format!(
                    "process {} (pid {}), {} up",
                    p.label(),
                    p.pid,
                    levels(d + 1)
                ),
            });
        }
        let host_depth = inp
            .tree
            .ancestors
            .iter()
            .position(|p| p.matches(a.context_process, a.context_process_args));
        for (t, value) in &values {
            for pat in a.trailers {
                if !t.key_is(pat.key) {
                    continue;
                }
                let Ok(re) = regex::Regex::new(pat.value) else {
                    continue;
                };
                if let Some(c) = re.captures(value) {
                    if let Some(m) = c.name("model") {
                        trailer_model.get_or_insert_with(|| m.as_str().to_lowercase());
                    }
                    let key =
                        String::from_utf8_lossy(t.key.as_deref().unwrap_or_default()).into_owned();
                    strong.push(Evidence {
                        kind: Kind::Trailer,
                        text: format!("trailer `{key}: {value}`"),
                    });
                }
            }
        }
        for l in a.lines {
            if text.contains(l) {
                strong.push(Evidence {
                    kind: Kind::Line,
                    text: format!("message line `{l}`"),
                });
            }
        }
        for (role, ident) in inp.idents {
            if a.authors.iter().any(|p| registry::glob(p, ident)) {
                strong.push(Evidence {
                    kind: Kind::Author,
                    text: format!("{role} {ident}"),
                });
            }
        }
        if strong.is_empty()
            && env.is_empty()
            && ctx.is_empty()
            && !out
                .iter()
                .any(|x| matches!(&x.who, Who::Known(k) if k.id == a.id))
        {
            continue;
        }
        let e = entry(&mut out, Who::Known(a));
        e.depth = depth;
        e.trailer_model = trailer_model;
        let explicit = e.explicit;
        e.strong |= !strong.is_empty();
        e.only_env = !e.strong && !env.is_empty();
        e.evidence.extend(strong);
        let has_env = !env.is_empty();
        e.evidence.extend(env);
        if e.strong || explicit {
            e.state = State::Attributed;
        } else if has_env {
            if a.has_processes() && inp.tree.complete() && host_depth.is_none() {
                let whose = if a.process.is_empty() && a.process_args.is_empty() {
                    format!("{} process (nor the editor hosting it)", a.name)
                } else {
                    format!("{} process", a.name)
                };
                e.state = State::Refuted(format!(
                    "no {whose} is above this commit ({}), so the variables were inherited from elsewhere \
                     (a terminal or tmux started from it)",
                    inp.tree.chain()
                ));
            } else {
                e.state = State::Attributed;
                if !a.has_processes() {
                    // Nothing to check against.
                } else if let Some(why) = &inp.tree.incomplete {
                    e.evidence.push(Evidence {
                        kind: Kind::Note,
                        text: format!("process tree not checked: {why}"),
                    });
                }
            }
        } else {
            e.state = State::ContextOnly;
        }
        if let Some(d) = host_depth {
            let p = &inp.tree.ancestors[d];
            if e.attributed() || has_env {
                e.evidence.push(Evidence {
                    kind: Kind::ContextProcess,
                    text: format!("inside {} (pid {}), {} up", p.label(), p.pid, levels(d + 1)),
                });
            }
        }
        e.evidence.extend(ctx);
    }

    // Cross-vendor conventions for assistants the registry does not know.
    if let Some(v) = inp
        .env
        .get("AI_AGENT")
        .filter(|v| !v.trim().is_empty() && !ai_agent_known)
    {
        let name = v.split('@').next().unwrap_or(v);
        let e = entry(&mut out, Who::Unknown(sanitize(name)));
        e.strong = true;
        e.state = State::Attributed;
        e.evidence.push(Evidence {
            kind: Kind::Env,
            text: format!("AI_AGENT={v}"),
        });
    }
    if let Some(v) = inp
        .env
        .get("AGENT")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty() && *v != "1" && *v != "true")
    {
        let known = registry::all().iter().any(|a| {
            a.env
                .iter()
                .any(|m| m.iter().any(|(n, _)| *n == "AGENT") && marker_holds(inp.env, m))
        });
        if !known {
            let e = entry(&mut out, Who::Unknown(sanitize(v)));
            if !e.attributed() {
                e.state = State::ContextOnly;
            }
            e.evidence.push(Evidence {
                kind: Kind::Context,
                text: format!("AGENT={v} (a convention other tools use too)"),
            });
        }
    }
    for (t, value) in &values {
        let Some(key) = DISCLOSURE_KEYS.iter().find(|k| t.key_is(k)) else {
            continue;
        };
        let Some((name, model)) = parse_disclosure(key, value) else {
            continue;
        };
        let e = entry(&mut out, Who::from_name(&name));
        e.strong = true;
        e.state = State::Attributed;
        if *key == "Assisted-by" {
            e.already_stamped = true;
        }
        if e.trailer_model.is_none() {
            e.trailer_model = model.and_then(|m| sanitize_model(&m));
        }
        e.evidence.push(Evidence {
            kind: Kind::Disclosure,
            text: format!("trailer `{key}: {value}` already in the message"),
        });
    }

    // A fork that sets its parent's markers too: the parent is not reported from
    // those markers alone.
    let superseding: Vec<&'static str> = out
        .iter()
        .filter(|a| a.attributed())
        .filter_map(|a| match &a.who {
            Who::Known(k) => Some(k.supersedes),
            Who::Unknown(_) => None,
        })
        .flatten()
        .copied()
        .collect();
    out.retain(|a| {
        !(matches!(&a.who, Who::Known(k) if superseding.contains(&k.id))
            && a.only_env
            && !a.explicit)
    });

    // Models: explicit, then what the assistant wrote, then its variables.
    for a in out.iter_mut().filter(|a| a.attributed()) {
        a.model = a.explicit_model.clone().or_else(|| {
            a.trailer_model
                .as_deref()
                .and_then(sanitize_model)
                .map(|name| Model {
                    name,
                    source: "trailer".into(),
                })
        });
        if a.model.is_none() {
            if let Who::Known(k) = &a.who {
                a.model = k.model_env.iter().find_map(|var| {
                    let v = inp.env.get(*var)?;
                    Some(Model {
                        name: sanitize_model(v)?,
                        source: (*var).to_string(),
                    })
                });
            }
        }
    }

    // Trailer order: explicit, then the nearest process, then registry order.
    let rank = |a: &Assistant| -> (u8, usize, usize) {
        let state = match a.state {
            State::Attributed => 0,
            State::Refuted(_) => 1,
            State::ContextOnly => 2,
        };
        let reg = match &a.who {
            Who::Known(k) => registry::all()
                .iter()
                .position(|x| x.id == k.id)
                .unwrap_or(usize::MAX),
            Who::Unknown(_) => usize::MAX,
        };
        (
            state,
            if a.explicit {
                0
            } else {
                a.depth.map_or(usize::MAX - 1, |d| d + 1)
            },
            reg,
        )
    };
    out.sort_by_key(|a| rank(a));
    Detection {
        assistants: out,
        tree: inp.tree.clone(),
    }
}

fn levels(n: usize) -> String {
    if n == 1 {
        "1 level".into()
    } else {
        format!("{n} levels")
    }
}

#[cfg(test)]
mod tests {
    use super::super::process::Proc;
    use super::*;

    fn tree(names: &[&str]) -> Tree {
        Tree {
            ancestors: names
                .iter()
                .enumerate()
                .map(|(i, n)| Proc {
                    pid: 100 - i as u32,
                    ppid: 99 - i as u32,
                    comm: n.to_string(),
                    exe: None,
                    argv: vec![n.to_string()],
                })
                .collect(),
            incomplete: None,
            test_root: None,
        }
    }

    fn run(env: &[(&str, &str)], t: &Tree, trailers: &[Trailer]) -> Detection {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let idents = idents_from_env(&env);
        detect(&Inputs {
            env: &env,
            tree: t,
            session: None,
            trailers,
            text: b"",
            idents: &idents,
            path_exists: &|_| false,
        })
    }

    fn stamped(d: &Detection) -> Vec<String> {
        d.attributed()
            .filter(|a| !a.already_stamped)
            .map(Assistant::trailer_value)
            .collect()
    }

    #[test]
    fn a_person_gets_nothing() {
        let d = run(
            &[
                ("TERM_PROGRAM", "vscode"),
                ("CURSOR_TRACE_ID", "x"),
                ("HOME", "/home/me"),
            ],
            &tree(&["sh", "git", "bash", "cursor"]),
            &[],
        );
        assert!(stamped(&d).is_empty(), "{d:?}");
        assert!(d.assistants.iter().any(|a| a.state == State::ContextOnly));
    }

    #[test]
    fn env_confirmed_refuted_or_unchecked() {
        let env = [("CLAUDECODE", "1"), ("ANTHROPIC_MODEL", "claude-opus-4-5")];
        assert_eq!(
            stamped(&run(
                &env,
                &tree(&["sh", "git", "bash", "claude", "zsh"]),
                &[]
            )),
            ["Claude-Code:claude-opus-4-5"]
        );
        let leaked = run(
            &env,
            &tree(&["sh", "git", "bash", "tmux: server", "systemd"]),
            &[],
        );
        assert!(stamped(&leaked).is_empty());
        assert!(matches!(leaked.assistants[0].state, State::Refuted(_)));
        let mut partial = tree(&["sh", "git", "bash"]);
        partial.incomplete = Some("a parent process is outside this PID namespace".into());
        assert_eq!(
            stamped(&run(&env, &partial, &[])),
            ["Claude-Code:claude-opus-4-5"]
        );
    }

    #[test]
    fn explicit_and_unknown() {
        let d = run(&[("VOUCHSAFE_AGENT", "claude:opus 4")], &tree(&["sh"]), &[]);
        assert_eq!(stamped(&d), ["Claude-Code:opus-4"]);
        let d = run(&[("VOUCHSAFE_AGENT", "chat gpt")], &tree(&["sh"]), &[]);
        assert_eq!(stamped(&d), ["chat-gpt"]);
        let d = run(&[("AI_AGENT", "newtool@1.2")], &tree(&["sh"]), &[]);
        assert_eq!(stamped(&d), ["newtool"]);
        let d = run(
            &[
                ("AI_AGENT", "github_copilot_vscode_agent"),
                ("COPILOT_AGENT", "1"),
            ],
            &tree(&["sh", "code"]),
            &[],
        );
        assert_eq!(stamped(&d), ["GitHub-Copilot"]);
    }

    #[test]
    fn existing_disclosures_are_not_repeated() {
        let t = [Trailer {
            key: Some(b"Assisted-by".to_vec()),
            value: b"Claude-Code:claude-opus-4-5".to_vec(),
            range: 0..0,
        }];
        let d = run(&[("CLAUDECODE", "1")], &tree(&["sh", "claude"]), &t);
        assert!(stamped(&d).is_empty());
        assert_eq!(d.attributed().count(), 1);
    }

    #[test]
    fn forks_supersede() {
        let d = run(
            &[("AI_AGENT", "kilo-code"), ("OPENCODE", "1")],
            &tree(&["sh", "kilo"]),
            &[],
        );
        assert_eq!(stamped(&d), ["Kilo-Code"]);
    }

    #[test]
    fn disclosure_parsing() {
        assert_eq!(
            parse_disclosure("Assisted-by", "Claude:claude-3-opus coccinelle"),
            Some(("Claude".into(), Some("claude-3-opus".into())))
        );
        assert_eq!(
            parse_disclosure("Co-authored-by-AI", "Copilot (GPT-4o)"),
            Some(("Copilot".into(), Some("GPT-4o".into())))
        );
        assert_eq!(
            parse_disclosure("Generated-by", "ChatGPT"),
            Some(("ChatGPT".into(), None))
        );
    }
}
