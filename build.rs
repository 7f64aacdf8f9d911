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
                r.id, group, r.description, r.keywords, open_long_bounds(&r.pattern), r.generic, r.allow, r.examples,
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
    agents::generate();
}

// ---------------------------------------------------------------------------------
// The assistant registry: `data/agents/*.toml` (one file per assistant, schema in
// data/agents/README.md) becomes `$OUT_DIR/agents.rs`, static data that
// `src/ai/registry.rs` includes. The examples are not compiled in: tests/ai.rs reads
// them from the files and commits each through the hooks.
/// Rewrites a wide counted repetition with a large upper bound, `{n,m}` with m over 64
/// and at least 32 above n,
/// as `{n,}`. The regex engine expands counted repetitions into that many NFA states,
/// so `[A-Za-z0-9]{20,400}` costs hundreds of microseconds to compile in every hook
/// run; rule bounds of that size are length sanity, not structure, and the rule's
/// examples and near misses are checked against the rewritten pattern.
fn open_long_bounds(pattern: &str) -> String {
    let b = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            out.push_str(&pattern[i..i + 2]);
            i += 2;
            continue;
        }
        if b[i] == b'{' {
            if let Some(close) = pattern[i..].find('}') {
                let inner = &pattern[i + 1..i + close];
                if let Some((lo, hi)) = inner.split_once(',') {
                    if let (Ok(lo), Ok(hi)) = (lo.parse::<u32>(), hi.parse::<u32>()) {
                        if hi > 64 && hi >= lo + 32 {
                            out.push_str(&format!("{{{lo},}}"));
                            i += close + 1;
                            continue;
                        }
                    }
                }
            }
        }
        let ch = pattern[i..].chars().next().expect("in bounds");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

mod agents {
    use std::collections::BTreeSet;
    use std::fmt::Write as _;
    use std::path::Path;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Agent {
        id: String,
        name: String,
        vendor: String,
        trailer: String,
        #[serde(default)]
        aliases: Vec<String>,
        #[serde(default)]
        notes: String,
        #[serde(default)]
        sources: Vec<String>,
        #[serde(default)]
        detect: Detect,
        #[serde(default)]
        example: Vec<Example>,
        #[serde(default)]
        counterexample: Vec<Example>,
    }

    #[derive(serde::Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    struct Detect {
        #[serde(default)]
        env: Vec<String>,
        #[serde(default)]
        host: Vec<String>,
        #[serde(default)]
        host_paths: Vec<String>,
        #[serde(default)]
        context: Vec<String>,
        #[serde(default)]
        process: Vec<String>,
        #[serde(default)]
        process_args: Vec<String>,
        #[serde(default)]
        context_process: Vec<String>,
        #[serde(default)]
        context_process_args: Vec<String>,
        #[serde(default)]
        model_env: Vec<String>,
        #[serde(default)]
        trailers: Vec<Trailer>,
        #[serde(default)]
        lines: Vec<String>,
        #[serde(default)]
        authors: Vec<String>,
        #[serde(default)]
        supersedes: Vec<String>,
    }

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Trailer {
        key: String,
        value: String,
    }

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // read by tests/ai.rs; checked here
    struct Example {
        #[serde(default)]
        env: std::collections::BTreeMap<String, String>,
        process: Option<String>,
        message: Option<String>,
        author: Option<String>,
        #[serde(default)]
        expect: Vec<String>,
        why: Option<String>,
    }

    fn is_kebab(s: &str) -> bool {
        !s.is_empty()
            && !s.starts_with('-')
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }

    fn is_env_name(s: &str) -> bool {
        !s.is_empty()
            && !s.starts_with(|c: char| c.is_ascii_digit())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }

    /// `NAME`, `NAME=value` or `A=1 & B=2` as Rust: a slice of (name, value glob).
    fn marker(m: &str) -> Result<String, String> {
        let mut out = String::from("&[");
        for part in m.split(" & ") {
            let part = part.trim();
            let (name, value) = match part.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (part, None),
            };
            if !is_env_name(name) {
                return Err(format!(
                    "marker {m:?}: {name:?} is not an environment variable name"
                ));
            }
            write!(out, "({name:?}, {value:?}), ").expect("write");
        }
        out.push(']');
        Ok(out)
    }

    fn strs(v: &[String]) -> String {
        format!("&{v:?}")
    }

    pub fn generate() {
        let dir = Path::new("data/agents");
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("data/agents must exist")
            .map(|e| e.expect("readable data/agents entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        let mut agents = Vec::new();
        for file in &files {
            println!("cargo:rerun-if-changed={}", file.display());
            let text = std::fs::read_to_string(file).expect("agent file is UTF-8");
            let a: Agent =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            agents.push((file.clone(), a));
        }
        let ids: BTreeSet<String> = agents.iter().map(|(_, a)| a.id.clone()).collect();
        if ids.len() != agents.len() {
            panic!("data/agents: two files use the same id");
        }
        let mut out = String::from("pub static AGENTS: &[AgentDef] = &[\n");
        for (file, a) in &agents {
            let fail = |what: &str| -> ! { panic!("{}: agent {}: {what}", file.display(), a.id) };
            if !is_kebab(&a.id) {
                fail("id must be lowercase kebab-case");
            }
            if file.file_stem().and_then(|s| s.to_str()) != Some(a.id.as_str()) {
                fail("the file must be named after the id");
            }
            if a.name.trim().is_empty() || a.vendor.trim().is_empty() {
                fail("name and vendor must not be empty");
            }
            if a.trailer.is_empty()
                || a.trailer
                    .chars()
                    .any(|c| c.is_whitespace() || c == ':' || c.is_control())
            {
                fail("trailer must be one word without spaces or a colon (Assisted-by: <Agent>:<model>)");
            }
            for al in &a.aliases {
                if !is_kebab(al) || (ids.contains(al) && *al != a.id) {
                    fail(&format!(
                        "alias {al:?} must be kebab-case and not another agent's id"
                    ));
                }
            }
            let d = &a.detect;
            for s in &d.supersedes {
                if !ids.contains(s) || *s == a.id {
                    fail(&format!("supersedes {s:?}: no such other agent"));
                }
            }
            for v in &d.model_env {
                if !is_env_name(v) {
                    fail(&format!("model_env {v:?} is not a variable name"));
                }
            }
            for t in &d.trailers {
                if t.key.is_empty()
                    || !t
                        .key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                {
                    fail(&format!(
                        "trailer key {:?} must be a token (letters, digits, -)",
                        t.key
                    ));
                }
            }
            if a.example.is_empty() {
                fail("needs at least one [[example]] (tests/ai.rs commits each)");
            }
            for e in &a.example {
                if e.expect.is_empty() {
                    fail("an [[example]] must expect at least one trailer");
                }
            }
            for e in &a.counterexample {
                if !e.expect.is_empty() || e.why.is_none() {
                    fail("a [[counterexample]] expects nothing and says why");
                }
            }
            let markers = |v: &[String]| -> String {
                let mut s = String::from("&[");
                for m in v {
                    s.push_str(&marker(m).unwrap_or_else(|e| fail(&e)));
                    s.push_str(", ");
                }
                s.push(']');
                s
            };
            let trailers: Vec<String> = d
                .trailers
                .iter()
                .map(|t| {
                    format!(
                        "TrailerPattern {{ key: {:?}, value: {:?} }}",
                        t.key, t.value
                    )
                })
                .collect();
            writeln!(
                out,
                "    AgentDef {{ id: {:?}, name: {:?}, vendor: {:?}, trailer: {:?}, aliases: {}, notes: {:?}, \
                 sources: {}, env: {}, host: {}, host_paths: {}, context: {}, process: {}, process_args: {}, \
                 context_process: {}, context_process_args: {}, model_env: {}, trailers: &[{}], lines: {}, \
                 authors: {}, supersedes: {} }},",
                a.id,
                a.name,
                a.vendor,
                a.trailer,
                strs(&a.aliases),
                a.notes,
                strs(&a.sources),
                markers(&d.env),
                markers(&d.host),
                strs(&d.host_paths),
                markers(&d.context),
                strs(&d.process),
                strs(&d.process_args),
                strs(&d.context_process),
                strs(&d.context_process_args),
                strs(&d.model_env),
                trailers.join(", "),
                strs(&d.lines),
                strs(&d.authors),
                strs(&d.supersedes),
            )
            .expect("write to String");
        }
        out.push_str("];\n");
        let dest =
            Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR set by cargo")).join("agents.rs");
        std::fs::write(dest, out).expect("write generated agents");
    }
}
