//! `[attestation]`: which commits must carry a signed attestation.
//!
//! ```toml
//! [attestation]
//! require = "assisted"          # "all" | "assisted" | "off"
//! allowed_signers = ".vouchsafe/allowed_signers"
//! ```
//!
//! `require` decides what the commit-msg hook does when it cannot sign (no key, or a
//! key it cannot use) and what the pre-push gate and `vouchsafe verify` accept
//! unsigned: `all` every commit must be attested, `assisted` only commits that declare
//! an assistant (`Assisted-by:`), `off` none. With a key at hand every commit is
//! signed whatever the setting. Unset: the hook lets an unsigned commit through with a
//! hint, and `vouchsafe verify` treats every commit as required.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Require {
    All,
    Assisted,
    Off,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require: Option<Require>,
    /// The allowed-signers file, relative to the repository top (default
    /// `.vouchsafe/allowed_signers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_signers: Option<String>,
}

impl AttestationPolicy {
    /// Whether a commit must be attested. `unset_default` is what an unset `require`
    /// means to the caller.
    pub fn required(&self, assisted: bool, unset_default: Require) -> bool {
        match self.require.unwrap_or(unset_default) {
            Require::All => true,
            Require::Assisted => assisted,
            Require::Off => false,
        }
    }
}
