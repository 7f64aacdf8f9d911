//! The repository policy, `.vouchsafe.toml`. Hooks read the committed version
//! (`HEAD:.vouchsafe.toml`) so that a commit cannot loosen the rules that judge it.

use anyhow::Context;
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};

use crate::git::Repo;

pub mod agents;
pub mod attestation;
pub mod command;
pub mod incidents;
pub mod user;

pub use agents::AgentsPolicy;

pub const FILE_NAME: &str = ".vouchsafe.toml";

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub scan: ScanPolicy,
    /// Which AI assistants may help (`policy::agents`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<AgentsPolicy>,
    /// Which commits must carry a signed attestation (`policy::attestation`).
    #[serde(default)]
    pub attestation: attestation::AttestationPolicy,
    #[serde(default)]
    pub incidents: incidents::IncidentPolicy,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScanPolicy {
    /// Globs of paths never scanned (`tests/fixtures/**`).
    #[serde(default)]
    pub allow_paths: Vec<String>,
    /// Regexes: a secret matching one is not a finding.
    #[serde(default)]
    pub allow_regexes: Vec<String>,
    /// Rule ids turned off.
    #[serde(default)]
    pub disable_rules: Vec<String>,
    /// Files larger than this many bytes are skipped with a warning.
    #[serde(default)]
    pub max_file_size: Option<u64>,
}

impl ScanPolicy {
    pub fn allow_path_set(&self) -> anyhow::Result<GlobSet> {
        let mut b = GlobSetBuilder::new();
        for g in &self.allow_paths {
            b.add(
                Glob::new(g)
                    .with_context(|| format!("policy [scan] allow_paths: bad glob {g:?}"))?,
            );
            // `dir/` or `dir` also covers what is below it.
            let trimmed = g.trim_end_matches('/');
            if !trimmed.contains('*') {
                b.add(
                    Glob::new(&format!("{trimmed}/**"))
                        .with_context(|| format!("policy [scan] allow_paths: bad glob {g:?}"))?,
                );
            }
        }
        Ok(b.build()?)
    }

    pub fn allow_regex_set(&self) -> anyhow::Result<Vec<Regex>> {
        self.allow_regexes
            .iter()
            .map(|r| {
                Regex::new(r)
                    .with_context(|| format!("policy [scan] allow_regexes: bad regex {r:?}"))
            })
            .collect()
    }
}

pub fn parse(text: &str, origin: &str) -> anyhow::Result<Policy> {
    let p: Policy = toml::from_str(text).map_err(|e| anyhow::anyhow!("{origin}: {e}"))?;
    p.scan
        .allow_path_set()
        .with_context(|| origin.to_string())?;
    p.scan
        .allow_regex_set()
        .with_context(|| origin.to_string())?;
    Ok(p)
}

/// The policy that judges the next commit: the one committed at HEAD (no HEAD, or
/// no policy committed, is the default policy), made stricter by the user's own
/// policy when there is one (`user`).
pub fn load_committed(repo: &Repo) -> anyhow::Result<Policy> {
    let committed = match repo.show_blob("HEAD", FILE_NAME)? {
        Some(bytes) => {
            let text = String::from_utf8(bytes).context("HEAD:.vouchsafe.toml is not UTF-8")?;
            parse(&text, "HEAD:.vouchsafe.toml").context("the committed policy is invalid; fix it in a commit made with `vouchsafe policy check` passing")?
        }
        None => Policy::default(),
    };
    Ok(match user::load()? {
        Some(u) => user::tighten(committed, &u),
        None => committed,
    })
}

/// For scans outside a repository: `.vouchsafe.toml` in the current directory.
pub fn load_file(path: &std::path::Path) -> anyhow::Result<Policy> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse(&text, &path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Policy::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}
