//! The allowed-signers file, in the format of git's `gpg.ssh.allowedSignersFile`
//! (ssh-keygen(1), ALLOWED SIGNERS): one key per line,
//!
//! ```text
//! principals [options] keytype base64-key [comment]
//! dev@example.org,dev@users.noreply.example.org namespaces="vouchsafe-commit-attestation" valid-before="20270101Z" ssh-ed25519 AAAA...
//! ```
//!
//! `principals` is a comma-separated pattern list (`*`, `?`, `!negation`); options
//! are `namespaces="pattern-list"`, `valid-after="YYYYMMDD[HHMM[SS]][Z]"`,
//! `valid-before=...` and `cert-authority`. A key is allowed when any line lists the
//! principal and the key, permits the namespace and is valid at the signing time, as
//! ssh-keygen decides. Certificate authorities are not supported: those lines are
//! reported and skipped, so they never allow anything.

use ssh_key::public::KeyData;
use ssh_key::PublicKey;

#[derive(Debug, Clone)]
pub struct Entry {
    pub principals: String,
    pub namespaces: Option<String>,
    pub valid_after: Option<i64>,
    pub valid_before: Option<i64>,
    pub key: KeyData,
}

#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    /// Where the file came from, for messages.
    pub origin: String,
    pub entries: Vec<Entry>,
    /// Lines that were skipped, and why.
    pub warnings: Vec<String>,
}

/// Why a key is not allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// No line lists this key for this principal.
    UnknownKey,
    /// Lines list it, but only for other namespaces.
    WrongNamespace(String),
    /// Lines list it, but not at the signing time: (valid-after, valid-before).
    Expired(Option<i64>, Option<i64>),
}

/// `match_pattern` of OpenSSH: `*` and `?` wildcards, case-sensitive.
fn wildcard(s: &[u8], p: &[u8]) -> bool {
    let (mut si, mut pi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            si += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// `match_pattern_list`: true when a pattern matches and no negated one does.
pub fn matches_list(s: &str, list: &str) -> bool {
    let mut matched = false;
    for pat in list.split(',') {
        let pat = pat.trim();
        if let Some(neg) = pat.strip_prefix('!') {
            if wildcard(s.as_bytes(), neg.as_bytes()) {
                return false;
            }
        } else if wildcard(s.as_bytes(), pat.as_bytes()) {
            matched = true;
        }
    }
    matched
}

/// Splits the first whitespace-delimited token, honouring double quotes; returns the
/// token as written (quotes kept) and the rest.
fn token(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return (&s[..i], s[i..].trim_start()),
            _ => {}
        }
    }
    (s, "")
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

fn split_options(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

pub fn parse(text: &str, origin: &str) -> AllowedSigners {
    let mut a = AllowedSigners {
        origin: origin.to_string(),
        ..Default::default()
    };
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (principals, rest) = token(line);
        let principals = unquote(principals).to_string();
        if rest.is_empty() {
            a.warnings
                .push(format!("{origin}:{n}: no key; line skipped"));
            continue;
        }
        let (opts, key) = match PublicKey::from_openssh(rest) {
            Ok(k) => (None, k),
            Err(_) => {
                let (opts, after) = token(rest);
                match PublicKey::from_openssh(after) {
                    Ok(k) => (Some(opts), k),
                    Err(e) => {
                        a.warnings
                            .push(format!("{origin}:{n}: no valid key ({e}); line skipped"));
                        continue;
                    }
                }
            }
        };
        let mut e = Entry {
            principals,
            namespaces: None,
            valid_after: None,
            valid_before: None,
            key: key.key_data().clone(),
        };
        let mut skip = None;
        for opt in opts.map(split_options).unwrap_or_default() {
            let (name, value) = match opt.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(unquote(v.trim()))),
                None => (opt.trim().to_ascii_lowercase(), None),
            };
            match (name.as_str(), value) {
                ("cert-authority", None) => {
                    skip = Some("cert-authority lines are not supported (vouchsafe attestations are signed by plain keys, not certificates); list each signer's key instead".to_string());
                }
                ("namespaces", Some(v)) => e.namespaces = Some(v.to_string()),
                ("valid-after", Some(v)) | ("valid-before", Some(v)) => {
                    match super::time::parse_openssh(v) {
                        Some(t) if name == "valid-after" => e.valid_after = Some(t),
                        Some(t) => e.valid_before = Some(t),
                        None => {
                            skip = Some(format!(
                                "{name}=\"{v}\" is not a time (YYYYMMDD[HHMM[SS]][Z])"
                            ))
                        }
                    }
                }
                _ => skip = Some(format!("unknown option {opt:?}")),
            }
        }
        match skip {
            Some(why) => a
                .warnings
                .push(format!("{origin}:{n}: {why}; line skipped")),
            None => a.entries.push(e),
        }
    }
    a
}

impl AllowedSigners {
    /// Whether `key` may sign for `principal` in `namespace` at `time` (Unix seconds).
    pub fn check(
        &self,
        principal: &str,
        key: &KeyData,
        namespace: &str,
        time: i64,
    ) -> Result<(), Denial> {
        let mut denial = Denial::UnknownKey;
        for e in &self.entries {
            if &e.key != key || !matches_list(principal, &e.principals) {
                continue;
            }
            if let Some(ns) = &e.namespaces {
                if !matches_list(namespace, ns) {
                    if denial == Denial::UnknownKey {
                        denial = Denial::WrongNamespace(ns.clone());
                    }
                    continue;
                }
            }
            let early = e.valid_after.is_some_and(|t| time < t);
            let late = e.valid_before.is_some_and(|t| time > t);
            if early || late {
                denial = Denial::Expired(e.valid_after, e.valid_before);
                continue;
            }
            return Ok(());
        }
        Err(denial)
    }

    /// The keys listed for `principal` (any namespace or time), in file order.
    pub fn keys_for(&self, principal: &str) -> Vec<KeyData> {
        self.entries
            .iter()
            .filter(|e| matches_list(principal, &e.principals))
            .map(|e| e.key.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const K2: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBn5XrzXkE/dtZ0mANkPOzBEmaMeY8j8J2xBbDYGAa4Q";

    fn key(s: &str) -> KeyData {
        PublicKey::from_openssh(s).unwrap().key_data().clone()
    }

    #[test]
    fn patterns_match_like_openssh() {
        assert!(matches_list("a@example.org", "*@example.org"));
        assert!(matches_list("a@example.org", "b@x,a@example.org"));
        assert!(!matches_list("a@example.org", "*@example.org,!a@*"));
        assert!(!matches_list("A@example.org", "a@example.org"));
        assert!(matches_list("ab", "a?"));
    }

    #[test]
    fn parses_options_comments_and_checks() {
        let text = format!(
            "# team\n\ndev@example.org {K1} laptop\n\"ops@example.org,x@y\" namespaces=\"git,vouchsafe-*\",valid-after=\"20250101Z\",valid-before=\"20260101Z\" {K2}\nca@example.org cert-authority {K2}\nbad@example.org frobnicate {K1}\n"
        );
        let a = parse(&text, "as");
        assert_eq!(a.entries.len(), 2, "{:?}", a.warnings);
        assert_eq!(a.warnings.len(), 2);
        assert!(a.warnings[0].contains("cert-authority"));
        let ns = "vouchsafe-commit-attestation";
        let t = 1_760_000_000; // 2025-10
        assert_eq!(a.check("dev@example.org", &key(K1), ns, t), Ok(()));
        assert_eq!(
            a.check("other@example.org", &key(K1), ns, t),
            Err(Denial::UnknownKey)
        );
        assert_eq!(a.check("ops@example.org", &key(K2), ns, t), Ok(()));
        assert!(matches!(
            a.check("ops@example.org", &key(K2), ns, 1_800_000_000),
            Err(Denial::Expired(..))
        ));
        assert!(matches!(
            a.check("x@y", &key(K2), "file", t),
            Err(Denial::WrongNamespace(_))
        ));
        assert_eq!(
            a.check("ca@example.org", &key(K2), ns, t),
            Err(Denial::UnknownKey)
        );
    }
}
