//! Attestations: every commit vouched for with the developer's SSH key.
//!
//! At commit-msg time [`stamp`] builds a payload that binds the change (its verbatim
//! patch id; for a merge, its tree and parents), the tree it was signed on, the
//! cleaned-up message, the author, the `Assisted-by:` trailers, the secret gate's
//! verdict, the signing time and the key; signs it as an SSHSIG in the namespace
//! [`NAMESPACE`]; and adds one `Vouchsafe-Attestation:` trailer. [`verify`] checks
//! commits against an allowed-signers file and tells exact (same tree) from rebased
//! (same patch on another base). Everything is checkable with OpenSSH alone: `vouchsafe
//! attest show <rev> --payload` / `--sshsig` and `ssh-keygen -Y verify`.

pub mod agent;
pub mod amend;
pub mod cmd;
pub mod config;
pub mod keychain;
pub mod keys;
pub mod message;
pub mod payload;
pub mod signers;
pub mod stamp;
pub mod time;
pub mod trailer;
pub mod verify;

pub use stamp::stamp;

/// The SSH signature namespace. Never `git`: an attestation can never pass for a git
/// commit signature, nor the reverse.
pub const NAMESPACE: &str = "vouchsafe-commit-attestation";

/// The trailer key.
pub const TRAILER_KEY: &str = "Vouchsafe-Attestation";
