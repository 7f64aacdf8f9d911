//! Passphrases of signing-key files, kept in the operating system's keychain through
//! the `keyring` crate: the macOS Keychain, the Windows Credential Manager, and on
//! Linux the Secret Service (GNOME Keyring, KWallet, KeePassXC) when a D-Bus session
//! is reachable, else the kernel keyutils store (the user's persistent keyring:
//! memory only, gone after a reboot).
//! One entry per key, named by the key's SHA-256 fingerprint, so moving the file does
//! not lose it. Nothing here runs unless a key file is passphrase-protected.

use keyring::{Entry, Error};

const SERVICE: &str = "vouchsafe";

fn user(fingerprint: &str) -> String {
    format!("ssh-key-passphrase:{fingerprint}")
}

/// A store that can hold the entry, with the name shown to people.
struct Store {
    name: &'static str,
    entry: Result<Entry, Error>,
}

#[cfg(target_os = "linux")]
fn secret_service_reachable() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty()) {
        return true;
    }
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(|d| std::path::Path::new(&d).join("bus").exists())
        .unwrap_or(false)
}

#[cfg(target_os = "linux")]
fn stores(fingerprint: &str) -> Vec<Store> {
    let u = user(fingerprint);
    let mut v = Vec::new();
    if secret_service_reachable() {
        v.push(Store {
            name: "the Secret Service keychain",
            entry: keyring::secret_service::SsCredential::new_with_target(None, SERVICE, &u)
                .map(|c| Entry::new_with_credential(Box::new(c))),
        });
    }
    v.push(Store {
        name: "the kernel keyutils store",
        entry: Ok(Entry::new_with_credential(Box::new(kernel::Persistent {
            description: format!("vouchsafe:{u}"),
        }))),
    });
    v
}

/// The kernel keyutils store, as a `keyring` credential. keyring's own keyutils
/// credential works on the session keyring by its serial number, which a process
/// does not *possess* when it has no session keyring of its own (containers, CI,
/// services: the kernel then substitutes the user-session keyring), so every search
/// fails with EACCES there. This one keeps the entry in the user's persistent keyring
/// (`keyctl get_persistent`), which the kernel links into whatever session keyring the
/// process has; it is shared by every session of the user, survives logouts, and
/// expires after `/proc/sys/kernel/keys/persistent_keyring_expiry` seconds unused
/// (three days by default). Like every keyutils key, it is gone after a reboot.
#[cfg(target_os = "linux")]
mod kernel {
    use keyring::credential::CredentialApi;
    use keyring::{Error, Result};
    use linux_keyutils::{KeyError, KeyRing, KeyRingIdentifier};

    #[derive(Debug)]
    pub struct Persistent {
        pub description: String,
    }

    fn wrap(e: KeyError) -> Error {
        match e {
            KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked => {
                Error::NoEntry
            }
            e => Error::PlatformFailure(Box::new(e)),
        }
    }

    fn ring() -> Result<KeyRing> {
        KeyRing::get_persistent(KeyRingIdentifier::Session)
            .or_else(|_| KeyRing::from_special_id(KeyRingIdentifier::Session, false))
            .map_err(|e| Error::NoStorageAccess(Box::new(e)))
    }

    impl CredentialApi for Persistent {
        fn set_secret(&self, secret: &[u8]) -> Result<()> {
            if secret.is_empty() {
                return Err(Error::Invalid("secret".into(), "cannot be empty".into()));
            }
            ring()?.add_key(&self.description, secret).map_err(wrap)?;
            Ok(())
        }

        fn get_secret(&self) -> Result<Vec<u8>> {
            let key = ring()?.search(&self.description).map_err(wrap)?;
            key.read_to_vec().map_err(wrap)
        }

        fn delete_credential(&self) -> Result<()> {
            let key = ring()?.search(&self.description).map_err(wrap)?;
            key.invalidate().map_err(wrap)
        }

        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn stores(fingerprint: &str) -> Vec<Store> {
    vec![Store {
        name: if cfg!(target_os = "macos") {
            "the macOS Keychain"
        } else if cfg!(windows) {
            "the Windows Credential Manager"
        } else {
            "the keychain"
        },
        entry: Entry::new(SERVICE, &user(fingerprint)),
    }]
}

/// Why no store could be used, with what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("no keychain could be used ({details}). {hint}")]
pub struct Unavailable {
    details: String,
    hint: &'static str,
}

const HINT: &str = if cfg!(target_os = "linux") {
    "Start a Secret Service (gnome-keyring, KeePassXC) in a D-Bus session, or allow the keyutils system calls (Docker's default seccomp profile blocks keyctl/add_key); or load the key into ssh-agent (`ssh-add <key>`) instead"
} else {
    "Unlock the keychain, or load the key into ssh-agent (`ssh-add <key>`) instead"
};

fn unavailable(errors: Vec<String>) -> Unavailable {
    Unavailable {
        details: errors.join("; "),
        hint: HINT,
    }
}

/// The stored passphrase for the key, `Ok(None)` when no reachable store holds one.
pub fn get(fingerprint: &str) -> Result<Option<String>, Unavailable> {
    let mut errors = Vec::new();
    let mut reachable = false;
    for s in stores(fingerprint) {
        let r = s.entry.and_then(|e| e.get_password());
        match r {
            Ok(p) => {
                tracing::debug!("passphrase for {fingerprint} from {}", s.name);
                return Ok(Some(p));
            }
            Err(Error::NoEntry) => reachable = true,
            Err(e) => errors.push(format!("{}: {e}", s.name)),
        }
    }
    if reachable {
        Ok(None)
    } else {
        Err(unavailable(errors))
    }
}

/// Stores the passphrase in the first store that takes it; returns that store's name.
pub fn set(fingerprint: &str, passphrase: &str) -> Result<&'static str, Unavailable> {
    let mut errors = Vec::new();
    for s in stores(fingerprint) {
        match s.entry.and_then(|e| e.set_password(passphrase)) {
            Ok(()) => return Ok(s.name),
            Err(e) => errors.push(format!("{}: {e}", s.name)),
        }
    }
    Err(unavailable(errors))
}

/// Removes the passphrase from every store; returns the names of those that held it.
pub fn clear(fingerprint: &str) -> Result<Vec<&'static str>, Unavailable> {
    let mut errors = Vec::new();
    let mut removed = Vec::new();
    let mut reachable = false;
    for s in stores(fingerprint) {
        match s.entry.and_then(|e| e.delete_credential()) {
            Ok(()) => {
                reachable = true;
                removed.push(s.name);
            }
            Err(Error::NoEntry) => reachable = true,
            Err(e) => errors.push(format!("{}: {e}", s.name)),
        }
    }
    if reachable {
        Ok(removed)
    } else {
        Err(unavailable(errors))
    }
}
