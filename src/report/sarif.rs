//! SARIF 2.1.0 as GitHub code scanning accepts it: every result names a rule listed
//! in the driver, a relative artifact URI and a partial fingerprint.

use serde_json::{json, Value};

use crate::scan::rules::RULES;
use crate::scan::Outcome;

pub fn sarif(out: &Outcome) -> Value {
    let mut rule_ids: Vec<&str> = out.findings.iter().map(|f| f.rule_id).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let def = RULES.iter().find(|r| r.id == *id);
            let desc = def.map_or("", |d| d.description);
            let mut r = json!({
                "id": id,
                "name": id,
                "shortDescription": { "text": desc },
                "fullDescription": { "text": format!("{desc}. Remove the secret from the repository and rotate it.") },
                "defaultConfiguration": { "level": "error" },
                "properties": { "tags": ["security", "secret"], "security-severity": "8.0" }
            });
            if let Some(url) = def.and_then(|d| d.references.first()) {
                r["helpUri"] = json!(url);
            }
            r
        })
        .collect();
    let results: Vec<Value> = out
        .findings
        .iter()
        .map(|f| {
            let mut r = json!({
                "ruleId": f.rule_id,
                "ruleIndex": rule_ids.iter().position(|id| *id == f.rule_id).unwrap_or(0),
                "level": "error",
                "message": { "text": format!("{} ({}). Remove it and rotate the credential.", f.description, f.secret_redacted) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.path_bytes), "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": f.line, "startColumn": f.column }
                    }
                }],
                "partialFingerprints": { "vouchsafe/v1": f.fingerprint }
            });
            if let Some(c) = &f.commit {
                r["properties"] = json!({ "commit": c });
            }
            r
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "vouchsafe",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The repository root" } } },
            "results": results
        }]
    })
}

/// A relative URI reference: unreserved bytes and `/` as they are, the rest
/// percent-encoded (spaces, newlines, non-UTF-8 bytes).
fn uri(path: &[u8]) -> String {
    let mut s = String::with_capacity(path.len());
    for &b in path {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(super::uri(b"a dir/x\n.txt"), "a%20dir/x%0A.txt");
        assert_eq!(super::uri(b"caf\xc3\xa9"), "caf%C3%A9");
    }
}
