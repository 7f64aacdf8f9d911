//! The assistant registry: `data/agents/*.toml`, turned into static data by build.rs,
//! so nothing is parsed at run time. See data/agents/README.md for the fields.

/// One marker: every (variable, value glob) must hold; `None` means "set, not empty".
pub type Marker = &'static [(&'static str, Option<&'static str>)];

#[derive(Debug)]
pub struct TrailerPattern {
    /// Matched without regard to case, as git and GitHub match trailer keys.
    pub key: &'static str,
    /// A regex over the trailer's value; a `model` group captures the model.
    pub value: &'static str,
}

#[derive(Debug)]
pub struct AgentDef {
    pub id: &'static str,
    pub name: &'static str,
    pub vendor: &'static str,
    /// The `<Agent>` of `Assisted-by: <Agent>:<model>`.
    pub trailer: &'static str,
    pub aliases: &'static [&'static str],
    pub notes: &'static str,
    pub sources: &'static [&'static str],
    pub env: &'static [Marker],
    pub host: &'static [Marker],
    pub host_paths: &'static [&'static str],
    pub context: &'static [Marker],
    pub process: &'static [&'static str],
    pub process_args: &'static [&'static str],
    pub context_process: &'static [&'static str],
    pub context_process_args: &'static [&'static str],
    pub model_env: &'static [&'static str],
    pub trailers: &'static [TrailerPattern],
    pub lines: &'static [&'static str],
    pub authors: &'static [&'static str],
    pub supersedes: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/agents.rs"));

impl AgentDef {
    /// Whether `name` names this assistant: its id, an alias, its trailer word or its
    /// display name, in any case, with spaces and hyphens alike.
    pub fn is_named(&self, name: &str) -> bool {
        let n = normalize_name(name);
        n == self.id
            || self.aliases.contains(&n.as_str())
            || n == normalize_name(self.trailer)
            || n == normalize_name(self.name)
    }

    /// Whether the registry knows a way to see the process of this assistant (its own
    /// or the editor that hosts it), so that the process tree can confirm or refute
    /// its environment markers.
    pub fn has_processes(&self) -> bool {
        !(self.process.is_empty()
            && self.process_args.is_empty()
            && self.context_process.is_empty()
            && self.context_process_args.is_empty())
    }
}

pub fn normalize_name(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| {
            if c.is_whitespace() || c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

pub fn all() -> &'static [AgentDef] {
    AGENTS
}

pub fn by_id(id: &str) -> Option<&'static AgentDef> {
    AGENTS.iter().find(|a| a.id == id)
}

/// What a name given by a person (`VOUCHSAFE_AGENT`, `ai start`, a policy) means.
#[derive(Debug)]
pub enum Lookup {
    One(&'static AgentDef),
    /// An alias several entries share (`copilot`): the candidates.
    Several(Vec<&'static AgentDef>),
    None,
}

pub fn lookup(name: &str) -> Lookup {
    let n = normalize_name(name);
    if let Some(a) = by_id(&n) {
        return Lookup::One(a);
    }
    let found: Vec<&'static AgentDef> = AGENTS.iter().filter(|a| a.is_named(name)).collect();
    match found.len() {
        0 => Lookup::None,
        1 => Lookup::One(found[0]),
        _ => Lookup::Several(found),
    }
}

/// The id closest to a mistyped name, when one is close.
pub fn suggest(name: &str) -> Option<&'static str> {
    let n = normalize_name(name);
    AGENTS
        .iter()
        .flat_map(|a| std::iter::once(a.id).chain(a.aliases.iter().copied()))
        .map(|cand| (distance(&n, cand), cand))
        .filter(|(d, cand)| *d <= 2.max(cand.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Shell-style match with `*` only, without regard to ASCII case.
pub fn glob(pattern: &str, text: &str) -> bool {
    glob_bytes(pattern.as_bytes(), text.as_bytes())
}

fn glob_bytes(p: &[u8], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && p[pi].eq_ignore_ascii_case(&t[ti]) {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("claude", "Claude"));
        assert!(glob("Code Helper*", "Code Helper (Plugin)"));
        assert!(glob("* (aider) <*>", "Jane Doe (aider) <jane@example.org>"));
        assert!(!glob("* (aider) <*>", "Jane Doe <jane@example.org>"));
        assert!(glob("codex-*", "codex-linux-sandbox"));
        assert!(!glob("codex-*", "codex"));
        assert!(glob("*", ""));
        assert!(!glob("a*b", "ac"));
    }

    #[test]
    fn registry_is_consistent() {
        assert!(AGENTS.len() >= 12, "{}", AGENTS.len());
        for a in AGENTS {
            for t in a.trailers {
                let re = regex::Regex::new(t.value)
                    .unwrap_or_else(|e| panic!("{}: trailer {} regex: {e}", a.id, t.key));
                for name in re.capture_names().flatten() {
                    assert_eq!(name, "model", "{}: only a `model` group is used", a.id);
                }
            }
            assert!(matches!(lookup(a.id), Lookup::One(x) if x.id == a.id));
            assert!(a.is_named(a.trailer) && a.is_named(a.name), "{}", a.id);
        }
    }

    #[test]
    fn lookup_by_alias_and_name() {
        assert!(matches!(lookup("Claude"), Lookup::One(a) if a.id == "claude-code"));
        assert!(matches!(lookup("claude code"), Lookup::One(a) if a.id == "claude-code"));
        assert!(matches!(lookup("copilot"), Lookup::Several(v) if v.len() >= 2));
        assert!(matches!(lookup("nonesuch"), Lookup::None));
    }
}
