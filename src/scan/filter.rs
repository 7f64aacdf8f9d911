//! What is never a finding: placeholders, references to secrets kept elsewhere,
//! identifiers, digests. Generic rules (keyed on a variable name) get the stricter
//! checks, because their value can be anything.

/// Placeholders and made-up values, for every rule.
pub fn is_placeholder(secret: &[u8]) -> bool {
    let lower = secret.to_ascii_lowercase();
    const MARKERS: &[&[u8]] = &[
        b"example",
        b"xxxx",
        b"****",
        b"${",
        b"{{",
        b"placeholder",
        b"redacted",
        b"dummy",
        b"your_",
        b"your-",
        b"yourkey",
        b"insert_",
        b"replace_me",
        b"replaceme",
        b"changeme",
    ];
    if MARKERS.iter().any(|m| contains(&lower, m)) {
        return true;
    }
    if let (Some(l), Some(r)) = (memchr::memchr(b'<', &lower), memchr::memrchr(b'>', &lower)) {
        if l < r {
            return true;
        }
    }
    let alnum: Vec<u8> = lower
        .iter()
        .copied()
        .filter(u8::is_ascii_alphanumeric)
        .collect();
    if alnum.len() >= 4 && alnum.iter().all(|&c| c == alnum[0]) {
        return true;
    }
    // Short values with a long run of one character or an obvious sequence are
    // filler; long key bodies (base64 DER) legitimately hold runs of `A`.
    if secret.len() < 100 {
        if longest_run(&alnum) >= 10 {
            return true;
        }
        const SEQUENCES: &[&[u8]] = &[b"12345678", b"abcdefgh", b"23456789", b"qwertyui"];
        if SEQUENCES.iter().any(|s| contains(&alnum, s)) {
            return true;
        }
    }
    false
}

/// A value that points at a secret kept elsewhere, or that is not a literal at all.
pub fn is_reference(secret: &[u8]) -> bool {
    let s = trim_quotes(secret);
    if s.is_empty() {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if starts_like_reference(s) {
        return true;
    }
    const REFS: &[&[u8]] = &[
        b"process.env",
        b"os.environ",
        b"getenv",
        b"env(",
        b"env[",
        b"env.",
        b"secrets.",
        b"vars.",
        b"vault:",
        b"ssm:",
        b"keyvault",
        b"secretsmanager",
        b"{{",
        b"}}",
    ];
    if REFS.iter().any(|r| contains(&lower, r)) {
        return true;
    }
    // A call `f(...)` or an attribute path `config.token`, `self.password`.
    if s.contains(&b'(') && s.ends_with(b")") {
        return true;
    }
    // A JWT is dotted too, but it is a value.
    if !s.starts_with(b"eyJ") && is_attribute_path(s) {
        return true;
    }
    // A snake_case or SCREAMING_CASE identifier such as `db_password_value`.
    if s.contains(&b'_')
        && (s
            .iter()
            .all(|c| c.is_ascii_lowercase() || *c == b'_' || c.is_ascii_digit())
            || s.iter()
                .all(|c| c.is_ascii_uppercase() || *c == b'_' || c.is_ascii_digit()))
        && s[0].is_ascii_alphabetic()
    {
        return true;
    }
    const WORDS: &[&[u8]] = &[
        b"null",
        b"none",
        b"nil",
        b"true",
        b"false",
        b"undefined",
        b"password",
        b"secret",
        b"token",
    ];
    if WORDS.iter().any(|w| lower == *w) {
        return true;
    }
    false
}

/// Interpolation and reference syntax: `$VAR`, `${VAR}`, `{{ x }}`, `%(name)s`,
/// `%{VAR}`, `%VAR%`, `#{expr}`, `@{x}`, `@name@`, YAML anchors and aliases
/// (`&name`, `*name`). A generated password may start with `%`, `@`, `#`, `&` or `*`,
/// so those count only in these shapes.
fn starts_like_reference(s: &[u8]) -> bool {
    let ident = |rest: &[u8]| {
        !rest.is_empty()
            && rest
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
    };
    match s {
        [b'$' | b'{' | b'(' | b'[', ..] => true,
        [b'%' | b'#' | b'@', b'{' | b'(', ..] => true,
        [b'%', rest @ .., b'%'] | [b'@', rest @ .., b'@'] => ident(rest),
        [b'&' | b'*' | b'@', rest @ ..] => ident(rest),
        _ => false,
    }
}

/// UUIDs, content digests and package integrity strings: identifiers, not secrets.
pub fn is_digest_or_id(secret: &[u8]) -> bool {
    let s = trim_quotes(secret);
    let lower = s.to_ascii_lowercase();
    for p in [
        &b"sha1-"[..],
        b"sha256-",
        b"sha384-",
        b"sha512-",
        b"sha1:",
        b"sha256:",
        b"sha512:",
        b"md5:",
        b"md5-",
    ] {
        if lower.starts_with(p) {
            return true;
        }
    }
    is_uuid(s)
}

pub fn is_uuid(s: &[u8]) -> bool {
    if s.len() != 36 {
        return false;
    }
    s.iter().enumerate().all(|(i, c)| match i {
        8 | 13 | 18 | 23 => *c == b'-',
        _ => c.is_ascii_hexdigit(),
    })
}

/// Lock files hold thousands of hashes; generic rules stay out of them.
pub fn is_lock_file(path: &[u8]) -> bool {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    const LOCKS: &[&[u8]] = &[
        b"package-lock.json",
        b"npm-shrinkwrap.json",
        b"yarn.lock",
        b"pnpm-lock.yaml",
        b"bun.lock",
        b"Cargo.lock",
        b"poetry.lock",
        b"Pipfile.lock",
        b"uv.lock",
        b"pdm.lock",
        b"go.sum",
        b"Gemfile.lock",
        b"composer.lock",
        b"mix.lock",
        b"pubspec.lock",
        b"Podfile.lock",
        b"packages.lock.json",
        b"flake.lock",
        b"gradle.lockfile",
        b"deno.lock",
    ];
    LOCKS.contains(&name)
}

pub fn shannon_entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

fn trim_quotes(s: &[u8]) -> &[u8] {
    let mut s = s;
    while let [b'"' | b'\'' | b'`', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b'"' | b'\'' | b'`'] = s {
        s = rest;
    }
    s
}

fn is_attribute_path(s: &[u8]) -> bool {
    let parts: Vec<&[u8]> = s.split(|&b| b == b'.').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && (p[0].is_ascii_alphabetic() || p[0] == b'_')
                && p.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        })
        // A dotted value with digits and mixed case everywhere is more likely a token.
        && parts.iter().all(|p| p.iter().filter(|c| c.is_ascii_digit()).count() * 3 < p.len().max(1))
}

fn longest_run(s: &[u8]) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev = None;
    for &c in s {
        if Some(c) == prev {
            run += 1;
        } else {
            run = 1;
            prev = Some(c);
        }
        best = best.max(run);
    }
    best
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [
            "AKIAIOSFODNN7EXAMPLE",
            "xxxxxxxxxxxx",
            "<your-key>",
            "${API_KEY}",
            "{{ token }}",
            "aaaaaaaaaaaaaaaa",
            "sk_live_1234567890abcdef",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p}");
        }
        for s in [
            "ghp_Qw3rTy7uI9oPaS2dF4gH6jK8lZxCvB0x1y2z",
            "hunter2-Tr0ub4dor",
        ] {
            assert!(!is_placeholder(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn references() {
        for r in [
            "$DB_PASSWORD",
            "os.environ[\"X\"]",
            "process.env.API_KEY",
            "get_password()",
            "config.token",
            "self.password",
            "db_password_value",
            "None",
            "ENV['X']",
        ] {
            assert!(is_reference(r.as_bytes()), "{r}");
        }
        for r in [
            "%(db_password)s",
            "%{PASS}",
            "%PASSWORD%",
            "#{secret}",
            "@pass@",
            "*default_pw",
            "&anchor",
        ] {
            assert!(is_reference(r.as_bytes()), "{r}");
        }
        for s in [
            "s3cr3t-Pa55w0rd!",
            "Zm9vYmFyYmF6cXV4",
            "a9Fk.3jLq.Zp0x",
            "%k9Lq2!xV",
            "@Zx81*qq9",
            "*H7q!pLm2",
        ] {
            assert!(!is_reference(s.as_bytes()), "{s}");
        }
    }

    #[test]
    fn digests_and_ids() {
        assert!(is_digest_or_id(b"sha512-Zm9vYmFy"));
        assert!(is_digest_or_id(b"123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_digest_or_id(b"123e4567e89b12d3a456426614174000"));
        assert!(is_lock_file(b"web/package-lock.json"));
        assert!(!is_lock_file(b"src/lock.rs"));
    }

    #[test]
    fn entropy() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }
}
