//! Times as the attestation and allowed-signers files write them: Unix seconds,
//! RFC 3339 in UTC for people, and OpenSSH's `YYYYMMDD[HHMM[SS]][Z]` (local time
//! unless it ends in `Z`, as ssh-keygen reads it).

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2026-01-01T00:00:00Z`.
pub fn rfc3339(secs: u64) -> String {
    let secs = secs as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// `20260101000000Z`: the form `ssh-keygen -Overify-time=` takes.
pub fn openssh_utc(secs: u64) -> String {
    rfc3339(secs)
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'Z')
        .collect()
}

/// Parses an allowed-signers time (`YYYYMMDD`, `YYYYMMDDHHMM`, `YYYYMMDDHHMMSS`, each
/// optionally followed by `Z` for UTC; otherwise local time) into Unix seconds.
pub fn parse_openssh(s: &str) -> Option<i64> {
    let (digits, utc) = match s.strip_suffix(['Z', 'z']) {
        Some(d) => (d, true),
        None => (s, false),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|x| x.parse::<u32>().ok());
    let y = i64::from(num(0..4)?);
    let mo = num(4..6)?;
    let d = num(6..8)?;
    let (h, mi, se) = match digits.len() {
        8 => (0, 0, 0),
        12 => (num(8..10)?, num(10..12)?, 0),
        _ => (num(8..10)?, num(10..12)?, num(12..14)?),
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    if utc {
        Some(days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + se))
    } else {
        local_to_unix(y, mo, d, h, mi, se)
    }
}

#[cfg(unix)]
fn local_to_unix(y: i64, mo: u32, d: u32, h: u32, mi: u32, se: u32) -> Option<i64> {
    // SAFETY: `tm` is a plain C struct, zeroed and then filled in; mktime only reads
    // and normalises it.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        tm.tm_year = i32::try_from(y - 1900).ok()?;
        tm.tm_mon = mo as i32 - 1;
        tm.tm_mday = d as i32;
        tm.tm_hour = h as i32;
        tm.tm_min = mi as i32;
        tm.tm_sec = se as i32;
        tm.tm_isdst = -1;
        let t = libc::mktime(&mut tm);
        if t == -1 {
            None
        } else {
            Some(t as i64)
        }
    }
}

/// Without a portable local-time conversion, a time without `Z` is read as UTC.
#[cfg(not(unix))]
fn local_to_unix(y: i64, mo: u32, d: u32, h: u32, mi: u32, se: u32) -> Option<i64> {
    Some(days_from_civil(y, mo, d) * 86_400 + i64::from(h * 3600 + mi * 60 + se))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(openssh_utc(1_767_225_600), "20260101000000Z");
        assert_eq!(parse_openssh("20260101Z"), Some(1_767_225_600));
        assert_eq!(parse_openssh("202601010000Z"), Some(1_767_225_600));
        assert_eq!(parse_openssh("20260101000001Z"), Some(1_767_225_601));
        assert_eq!(parse_openssh("2026010"), None);
        assert_eq!(parse_openssh("20261301Z"), None);
        assert!(parse_openssh("20260101").is_some());
    }
}
