//! The local incident log: every block by any gate appends JSON lines to
//! `incidents.jsonl` in the user data directory (`VOUCHSAFE_HOME` overrides). A line
//! holds where and what (gate, kind, rule, path, fingerprint, assistant), never a raw
//! secret. Appends take an exclusive lock and write each line in one call, so two
//! commits running at once (worktrees) leave whole lines.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::git::Repo;
use crate::scan::Finding;

pub const FILE_NAME: &str = "incidents.jsonl";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Incident {
    /// RFC 3339, UTC.
    pub time: String,
    pub repository: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The gate that blocked: pre-commit, commit-msg, pre-push, pre-receive, ...
    pub gate: String,
    /// secret, unapproved-agent, attestation, hooks-bypassed
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assistant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Where the repository, branch and commit of an incident come from.
pub struct Context {
    pub repository: String,
    pub branch: Option<String>,
    pub head: Option<String>,
}

impl Context {
    pub fn of(repo: &Repo) -> Context {
        let repository = repo
            .work_tree
            .as_ref()
            .unwrap_or(&repo.cwd)
            .display()
            .to_string();
        let branch = repo
            .try_run(&["symbolic-ref", "-q", "--short", "HEAD"])
            .ok()
            .flatten()
            .map(|b| String::from_utf8_lossy(&b).trim().to_string())
            .filter(|b| !b.is_empty());
        let head = repo.head().ok().flatten();
        Context {
            repository,
            branch,
            head,
        }
    }

    pub fn incident(&self, gate: &str, kind: &str) -> Incident {
        Incident {
            time: rfc3339(SystemTime::now()),
            repository: self.repository.clone(),
            branch: self.branch.clone(),
            commit: self.head.clone(),
            gate: gate.to_string(),
            kind: kind.to_string(),
            rule: None,
            path: None,
            fingerprint: None,
            assistant: None,
            detail: None,
        }
    }

    /// One incident per finding of a secret block.
    pub fn secrets(&self, gate: &str, findings: &[Finding]) -> Vec<Incident> {
        findings
            .iter()
            .map(|f| Incident {
                rule: Some(f.rule_id.to_string()),
                path: Some(f.path.clone()),
                fingerprint: Some(f.fingerprint.clone()),
                commit: f.commit.clone().or_else(|| self.head.clone()),
                ..self.incident(gate, "secret")
            })
            .collect()
    }
}

pub fn log_path() -> anyhow::Result<PathBuf> {
    Ok(crate::install::paths::data_dir()?.join(FILE_NAME))
}

/// Appends incidents to the log and hands each to the policy's `command`. Failing to
/// log never turns a block into a pass: errors are reported on stderr and the gate's
/// verdict stands.
pub fn record(incidents: &[Incident], policy: &crate::policy::Policy) {
    if incidents.is_empty() {
        return;
    }
    if let Err(e) = append(incidents) {
        eprintln!("vouchsafe: warning: could not write the incident log: {e:#}");
    }
    if let Some(cmd) = policy.incidents.command.as_deref() {
        for i in incidents {
            forward(cmd, i);
        }
    }
}

pub fn append(incidents: &[Incident]) -> anyhow::Result<()> {
    let path = log_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut buf = Vec::new();
    for i in incidents {
        serde_json::to_writer(&mut buf, i)?;
        buf.push(b'\n');
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.lock()
        .with_context(|| format!("locking {}", path.display()))?;
    f.write_all(&buf)?;
    f.flush()?;
    Ok(())
}

pub fn read_all() -> anyhow::Result<Vec<Incident>> {
    let path = log_path()?;
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(i) => out.push(i),
            Err(e) => eprintln!(
                "vouchsafe: warning: {}:{}: not an incident line ({e})",
                path.display(),
                n + 1
            ),
        }
    }
    Ok(out)
}

/// Runs the policy's command with the incident as JSON on stdin, for at most five
/// seconds; best effort.
fn forward(cmd: &str, incident: &Incident) {
    use std::process::{Command, Stdio};
    let shell = if cfg!(windows) {
        ("cmd", "/C")
    } else {
        ("sh", "-c")
    };
    let child = Command::new(shell.0)
        .args([shell.1, cmd])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("vouchsafe: warning: could not run the incident command {cmd:?}");
        return;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let line = serde_json::to_string(incident).unwrap_or_default();
        let _ = stdin.write_all(line.as_bytes());
        let _ = stdin.write_all(b"\n");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                eprintln!(
                    "vouchsafe: warning: the incident command took longer than 5 s and was stopped"
                );
                return;
            }
        }
    }
}

/// `2026-11-26T03:51:34Z` from a system time (UTC, whole seconds).
pub fn rfc3339(t: SystemTime) -> String {
    crate::attest::time::rfc3339(t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
}

/// Parses `--since`: a duration back from now (`30m`, `24h`, `7d`, `2w`) or a UTC
/// date or date-time (`2026-11-01`, `2026-11-01T12:00:00Z`). Returns an RFC 3339
/// string, which compares correctly as text with the log's times.
pub fn parse_since(s: &str, now: SystemTime) -> anyhow::Result<String> {
    let s = s.trim();
    if let Some(unit) = s.chars().last().filter(|c| c.is_ascii_alphabetic()) {
        if let Ok(n) = s[..s.len() - 1].parse::<u64>() {
            let secs = match unit {
                's' => n,
                'm' => n * 60,
                'h' => n * 3600,
                'd' => n * 86_400,
                'w' => n * 7 * 86_400,
                _ => anyhow::bail!(
                    "--since {s:?}: use a number with s, m, h, d or w, or a date like 2026-11-01"
                ),
            };
            return Ok(rfc3339(now - Duration::from_secs(secs)));
        }
    }
    let date = s.get(..10).unwrap_or("");
    let parts: Vec<&str> = date.split('-').collect();
    if parts.len() == 3 {
        if let (Ok(y), Ok(m), Ok(d)) = (
            parts[0].parse::<i64>(),
            parts[1].parse::<u32>(),
            parts[2].parse::<u32>(),
        ) {
            if (1..=12).contains(&m) && (1..=31).contains(&d) {
                let mut secs = crate::attest::time::days_from_civil(y, m, d) * 86_400;
                if let Some(time) = s.get(11..19) {
                    let t: Vec<i64> = time.split(':').filter_map(|p| p.parse().ok()).collect();
                    if t.len() == 3 {
                        secs += t[0] * 3600 + t[1] * 60 + t[2];
                    }
                }
                return Ok(rfc3339(
                    UNIX_EPOCH + Duration::from_secs(secs.max(0) as u64),
                ));
            }
        }
    }
    anyhow::bail!(
        "--since {s:?}: use a duration (24h, 7d) or a date (2026-11-01 or 2026-11-01T12:00:00Z)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_times() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_665_094)),
            "2026-11-26T03:51:34Z"
        );
        let now = UNIX_EPOCH + Duration::from_secs(1_795_665_094);
        assert_eq!(
            parse_since("24h", now).expect("24h"),
            "2026-11-25T03:51:34Z"
        );
        assert_eq!(
            parse_since("2026-11-01", now).expect("date"),
            "2026-11-01T00:00:00Z"
        );
        assert_eq!(
            parse_since("2026-11-01T12:30:00Z", now).expect("datetime"),
            "2026-11-01T12:30:00Z"
        );
        assert!(parse_since("soon", now).is_err());
    }
}
