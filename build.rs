//! Turns the rule data in `data/rules/*.toml` into static Rust data, so the binary
//! parses nothing at start-up. The schema is checked here: a malformed rule file
//! fails the build with the file and rule named.

use std::fmt::Write as _;
use std::path::Path;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    id: String,
    description: String,
    keywords: Vec<String>,
    pattern: String,
    entropy: Option<f64>,
    validator: Option<String>,
    #[serde(default)]
    generic: bool,
    #[serde(default)]
    allow: Vec<String>,
    examples: Vec<String>,
    negative: Vec<String>,
    #[serde(default)]
    references: Vec<String>,
}

const VALIDATORS: &[(&str, &str)] = &[
    ("github-crc32", "GithubCrc32"),
    ("jwt", "Jwt"),
    ("base64", "Base64"),
];

fn main() {
    let dir = Path::new("data/rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("data/rules must exist")
        .map(|e| e.expect("readable data/rules entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();

    let mut out = String::from("pub static RULES: &[RuleDef] = &[\n");
    let mut ids = std::collections::BTreeSet::new();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let text = std::fs::read_to_string(file).expect("rule file is UTF-8");
        for b in text.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        let parsed: RuleFile =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let group = file
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("UTF-8 file name");
        for r in parsed.rules {
            let fail = |what: &str| -> ! { panic!("{}: rule {}: {what}", file.display(), r.id) };
            if !ids.insert(r.id.clone()) {
                fail("duplicate id");
            }
            if r.id.is_empty()
                || !r
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                fail("id must be lowercase kebab-case");
            }
            if r.keywords.is_empty() {
                fail("needs at least one keyword");
            }
            if r.keywords
                .iter()
                .any(|k| k.is_empty() || k.to_ascii_lowercase() != *k || !k.is_ascii())
            {
                fail("keywords must be non-empty lowercase ASCII");
            }
            if r.examples.is_empty() {
                fail("needs at least one example");
            }
            if r.negative.is_empty() {
                fail("needs at least one negative example");
            }
            let validator = match &r.validator {
                None => "None".to_string(),
                Some(v) => match VALIDATORS.iter().find(|(name, _)| name == v) {
                    Some((_, variant)) => format!("Some(Validator::{variant})"),
                    None => fail(&format!("unknown validator {v:?}")),
                },
            };
            let entropy = match r.entropy {
                None => "None".to_string(),
                Some(e) => format!("Some({e:?}_f64)"),
            };
            writeln!(
                out,
                "    RuleDef {{ id: {:?}, group: {:?}, description: {:?}, keywords: &{:?}, pattern: {:?}, \
                 entropy: {entropy}, validator: {validator}, generic: {}, allow: &{:?}, examples: &{:?}, \
                 negative: &{:?}, references: &{:?} }},",
                r.id, group, r.description, r.keywords, r.pattern, r.generic, r.allow, r.examples,
                r.negative, r.references
            )
            .expect("write to String");
        }
    }
    out.push_str("];\n");
    writeln!(
        out,
        "pub const RULES_VERSION: &str = \"{}-{:016x}\";",
        ids.len(),
        hash
    )
    .expect("write");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR set by cargo")).join("rules.rs");
    std::fs::write(dest, out).expect("write generated rules");
}
