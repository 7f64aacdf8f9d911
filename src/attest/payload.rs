//! The signed bytes. A small text document in the style of a git commit object:
//! header lines, a blank line, the canonical message. Anyone can read exactly what
//! was vouched for (`vouchsafe attest show <rev> --payload`), and `ssh-keygen -Y
//! verify` checks the signature over these bytes.
//!
//! ```text
//! vouchsafe-commit-attestation 1
//! signer dev@example.org
//! key ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA...
//! signed-at 2026-01-01T00:00:00Z
//! tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904
//! patch-id 0f3c...            (or `patch-id none` for an empty change)
//! parent <id>                 (merge commits only, instead of patch-id, in order)
//! author Dev Eloper <dev@example.org>
//! assisted-by Claude:claude-opus-4-5      (one line per Assisted-by trailer)
//! secret-scan 100-13ac0d944a97c126 clean
//!
//! <the commit message: attestation trailer removed, git's cleanup applied>
//! ```
//!
//! Header values never hold a newline: git refuses names and emails with one, ids are
//! hex, trailers are unfolded.

use super::trailer::hex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// One parent, or none (a root commit, diffed against the empty tree): the
    /// verbatim patch id, empty for a change with no diff.
    Patch(Vec<u8>),
    /// A merge: its parents, in order (the tree is bound separately).
    Merge(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Payload {
    pub signer: String,
    /// The public key, OpenSSH format without comment.
    pub key: String,
    pub signed_at: u64,
    pub tree: String,
    pub change: Change,
    /// `Name <email>`.
    pub author: String,
    pub assisted_by: Vec<String>,
    pub rules: String,
    pub clean: bool,
    pub message: Vec<u8>,
}

pub const HEADER: &str = "vouchsafe-commit-attestation 1";

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

impl Payload {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut s = String::with_capacity(512 + self.message.len());
        s.push_str(HEADER);
        s.push('\n');
        s.push_str(&format!("signer {}\n", one_line(&self.signer)));
        s.push_str(&format!("key {}\n", one_line(&self.key)));
        s.push_str(&format!(
            "signed-at {}\n",
            super::time::rfc3339(self.signed_at)
        ));
        s.push_str(&format!("tree {}\n", self.tree));
        match &self.change {
            Change::Patch(id) if id.is_empty() => s.push_str("patch-id none\n"),
            Change::Patch(id) => s.push_str(&format!("patch-id {}\n", hex(id))),
            Change::Merge(parents) => {
                for p in parents {
                    s.push_str(&format!("parent {p}\n"));
                }
            }
        }
        s.push_str(&format!("author {}\n", one_line(&self.author)));
        for a in &self.assisted_by {
            s.push_str(&format!("assisted-by {}\n", one_line(a)));
        }
        s.push_str(&format!(
            "secret-scan {} {}\n",
            one_line(&self.rules),
            if self.clean { "clean" } else { "not-scanned" }
        ));
        s.push('\n');
        let mut out = s.into_bytes();
        out.extend_from_slice(&self.message);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_headers_then_message() {
        let p = Payload {
            signer: "dev@example.org".into(),
            key: "ssh-ed25519 AAAA".into(),
            signed_at: 1_767_225_600,
            tree: "4b825dc642cb6eb9a060e54bf8d69288fbee4904".into(),
            change: Change::Patch(vec![0xab, 0xcd]),
            author: "Dev <dev@example.org>".into(),
            assisted_by: vec!["Claude:opus".into()],
            rules: "100-x".into(),
            clean: true,
            message: b"subject\n".to_vec(),
        };
        assert_eq!(
            String::from_utf8(p.to_bytes()).unwrap(),
            "vouchsafe-commit-attestation 1\nsigner dev@example.org\nkey ssh-ed25519 AAAA\nsigned-at 2026-01-01T00:00:00Z\ntree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\npatch-id abcd\nauthor Dev <dev@example.org>\nassisted-by Claude:opus\nsecret-scan 100-x clean\n\nsubject\n"
        );
    }
}
