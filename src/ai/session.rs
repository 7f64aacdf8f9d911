//! Explicit sessions: `vouchsafe ai start <agent> [--model M] [--for 8h]` says "an
//! assistant helps with the commits of this repository from now on", for tools
//! nothing else can see (a chat in a browser, an editor without markers). The session
//! lives in `<git-common-dir>/vouchsafe/ai-session.json`, so every worktree of the
//! repository shares it and it goes away with the repository; it ends with
//! `ai stop` or when its time is up.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde::{Deserialize, Serialize};

pub const FILE: &str = "ai-session.json";
pub const DEFAULT_DURATION: &str = "8h";
const MAX: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    /// A registry id, or the name given for an assistant the registry does not know.
    pub agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Seconds since 1970 (UTC).
    pub started: u64,
    pub expires: u64,
}

impl Session {
    pub fn is_live(&self, now: u64) -> bool {
        now < self.expires
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn path(common_dir: &Path) -> PathBuf {
    common_dir.join("vouchsafe").join(FILE)
}

/// The session file as it is, live or not; `None` when there is none. A file that
/// cannot be read as a session is an error that says which file.
pub fn read(common_dir: &Path) -> anyhow::Result<Option<Session>> {
    let p = path(common_dir);
    match std::fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b).map(Some).with_context(|| {
            format!(
                "{} is not a vouchsafe session; `vouchsafe ai stop` removes it",
                p.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
    }
}

pub fn write(common_dir: &Path, s: &Session) -> anyhow::Result<PathBuf> {
    let p = path(common_dir);
    let dir = p.parent().expect("session path has a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut text = serde_json::to_vec_pretty(s)?;
    text.push(b'\n');
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing in {}", dir.display()))?;
    std::fs::write(tmp.path(), &text)?;
    tmp.persist(&p)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", p.display()))?;
    Ok(p)
}

/// Removes the session; whether there was one.
pub fn remove(common_dir: &Path) -> anyhow::Result<Option<Session>> {
    let old = read(common_dir).unwrap_or(None);
    let p = path(common_dir);
    match std::fs::remove_file(&p) {
        Ok(()) => Ok(old),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("removing {}", p.display())),
    }
}

/// `90m`, `8h`, `2d`, `1w`, `45s`, or a bare number of hours.
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .with_context(|| format!("{s:?} is not a duration (use 30m, 8h, 2d)"))?;
    let secs = match unit {
        "s" => n,
        "m" | "min" => n * 60,
        "" | "h" => n * 3600,
        "d" => n * 86400,
        "w" => n * 7 * 86400,
        _ => anyhow::bail!("{s:?} is not a duration (use 30m, 8h, 2d)"),
    };
    let d = Duration::from_secs(secs);
    if d.is_zero() || d > MAX {
        anyhow::bail!("a session lasts between 1 second and 7 days; {s:?} is outside that");
    }
    Ok(d)
}

/// `2026-01-01 08:00 UTC`.
pub fn show_time(secs: u64) -> String {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// `7h 59m`.
pub fn show_left(secs: u64) -> String {
    let (d, h, m) = (secs / 86400, (secs % 86400) / 3600, (secs % 3600) / 60);
    match (d, h) {
        (0, 0) => format!("{}m", m.max(1)),
        (0, _) => format!("{h}h {m:02}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90m").expect("ok").as_secs(), 5400);
        assert_eq!(parse_duration("8h").expect("ok").as_secs(), 28800);
        assert_eq!(parse_duration("2").expect("ok").as_secs(), 7200);
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("8 hours").is_err());
        assert!(parse_duration("30d").is_err());
    }

    #[test]
    fn times() {
        assert_eq!(show_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(show_time(1_767_225_600), "2026-01-01 00:00 UTC");
        assert_eq!(show_left(3600 * 7 + 59 * 60), "7h 59m");
    }

    #[test]
    fn round_trip() {
        let d = tempfile::tempdir().expect("tmp");
        assert_eq!(read(d.path()).expect("read"), None);
        let s = Session {
            agent: "claude-code".into(),
            model: Some("opus".into()),
            started: 1,
            expires: 2,
        };
        write(d.path(), &s).expect("write");
        assert_eq!(read(d.path()).expect("read"), Some(s.clone()));
        assert!(!s.is_live(2));
        assert_eq!(remove(d.path()).expect("rm"), Some(s));
        assert_eq!(remove(d.path()).expect("rm"), None);
    }
}
