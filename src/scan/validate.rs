//! Checksums and structure checks for formats that carry them: a candidate that
//! fails its format's check is not a token.

use super::rules::Validator;

pub fn validate(v: Validator, secret: &[u8]) -> bool {
    match v {
        Validator::GithubCrc32 => github_crc32(secret),
        Validator::Jwt => jwt(secret),
        Validator::Base64 => base64_decode(secret).is_some_and(|d| d.len() >= 16),
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62_value(s: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    for &c in s {
        let d = BASE62.iter().position(|&b| b == c)? as u64;
        v = v.checked_mul(62)?.checked_add(d)?;
    }
    Some(v)
}

/// `ghp_` + 30 random + 6 checksum (and `npm_`, `gho_`, ...): the checksum is the
/// CRC32 of the random part in base62, left-padded with zeros.
fn github_crc32(secret: &[u8]) -> bool {
    let Some(us) = secret.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = &secret[us + 1..];
    if body.len() < 7 {
        return false;
    }
    let (random, check) = body.split_at(body.len() - 6);
    match base62_value(check) {
        Some(v) => v == u64::from(crc32fast::hash(random)),
        None => false,
    }
}

fn jwt(secret: &[u8]) -> bool {
    let parts: Vec<&[u8]> = secret.split(|&b| b == b'.').collect();
    if parts.len() != 3 || parts[0].is_empty() || parts[1].is_empty() {
        return false;
    }
    let Some(header) = base64_decode(parts[0]) else {
        return false;
    };
    match serde_json::from_slice::<serde_json::Value>(&header) {
        Ok(serde_json::Value::Object(m)) => {
            m.contains_key("alg") && base64_decode(parts[1]).is_some()
        }
        _ => false,
    }
}

/// Decodes standard or URL-safe base64, padded or not, ignoring whitespace.
pub fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_github(prefix: &str, random: &str) -> String {
        let mut v = crc32fast::hash(random.as_bytes()) as u64;
        let mut digits = Vec::new();
        for _ in 0..6 {
            digits.push(BASE62[(v % 62) as usize]);
            v /= 62;
        }
        digits.reverse();
        format!(
            "{prefix}{random}{}",
            String::from_utf8(digits).expect("ascii")
        )
    }

    #[test]
    fn github_checksum_accepts_right_and_rejects_wrong() {
        let good = make_github("ghp_", "Qw3rTy7uI9oPaS2dF4gH6jK8lZxCvB");
        assert!(validate(Validator::GithubCrc32, good.as_bytes()));
        let mut bad = good.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert!(!validate(Validator::GithubCrc32, &bad));
        assert!(validate(
            Validator::GithubCrc32,
            make_github("npm_", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5").as_bytes()
        ));
    }

    #[test]
    fn jwt_needs_a_json_header() {
        // A made-up token (its signature is the text "signature-bytes").
        let tok =
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLWJ5dGVz"; // vouchsafe:allow
        assert!(validate(Validator::Jwt, tok.as_bytes()));
        assert!(!validate(
            Validator::Jwt,
            b"eyJub3QganNvbg.eyJzdWIiOiIxIn0.sig"
        ));
        assert!(!validate(Validator::Jwt, b"only.two"));
    }

    #[test]
    fn base64_decodes_both_alphabets() {
        assert_eq!(
            base64_decode(b"aGVsbG8gd29ybGQ=").as_deref(),
            Some(&b"hello world"[..])
        );
        assert_eq!(base64_decode(b"-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert!(base64_decode(b"not base64!").is_none());
    }
}
