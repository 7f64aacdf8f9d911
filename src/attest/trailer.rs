//! The `Vouchsafe-Attestation:` trailer: what a verifier needs besides the commit
//! itself, as base64url (no padding) of a small versioned binary record, so the
//! whole attestation is one trailer line (about 330 characters with an Ed25519 key).
//!
//! Record, version 1 (integers are unsigned LEB128 varints, `bytes` is a varint length
//! and the bytes):
//!
//! ```text
//! u8      version = 1
//! u8      flags: 1 = merge binding (tree and parents, no patch id), 2 = secret gate clean
//! varint  signing time, Unix seconds
//! bytes   tree id the commit was signed on (raw, 20 or 32 bytes)
//! bytes   verbatim patch id (raw; empty for a merge or an empty change)
//! bytes   signer principal (the committer email when signing), UTF-8
//! bytes   secret rules version, UTF-8
//! [8]     first 8 bytes of SHA-256 of the canonical message  (diagnosis only)
//! [8]     first 8 bytes of SHA-256 of the author identity    (diagnosis only)
//! bytes   signer public key, SSH wire format
//! bytes   signature, SSH wire format (algorithm name and blob); SSHSIG over the
//!         payload with namespace vouchsafe-commit-attestation and hash sha512
//! ```
//!
//! Everything signed is rebuilt from the commit and this record; the two digests
//! only let the verifier say *what* changed when a signature no longer matches.

use sha2::{Digest, Sha256};

pub const VERSION: u8 = 1;
const FLAG_MERGE: u8 = 1;
const FLAG_CLEAN: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub merge: bool,
    pub clean: bool,
    pub signed_at: u64,
    pub tree: Vec<u8>,
    pub patch_id: Vec<u8>,
    pub signer: String,
    pub rules: String,
    pub message_digest: [u8; 8],
    pub author_digest: [u8; 8],
    pub public_key: Vec<u8>,
    pub signature: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("not base64url")]
    Base64,
    #[error("the record is cut short")]
    Short,
    #[error("attestation format version {0} is newer than this vouchsafe understands; upgrade vouchsafe")]
    Version(u8),
    #[error("{0} bytes after the end of the record")]
    Trailing(usize),
    #[error("a text field is not UTF-8")]
    Utf8,
}

/// The first 8 bytes of SHA-256, for the diagnosis digests.
pub fn digest8(data: &[u8]) -> [u8; 8] {
    let h = Sha256::digest(data);
    let mut out = [0u8; 8];
    out.copy_from_slice(&h[..8]);
    out
}

impl Record {
    pub fn encode(&self) -> String {
        let mut b = Vec::with_capacity(64 + self.public_key.len() + self.signature.len());
        b.push(VERSION);
        let mut flags = 0;
        if self.merge {
            flags |= FLAG_MERGE;
        }
        if self.clean {
            flags |= FLAG_CLEAN;
        }
        b.push(flags);
        varint(&mut b, self.signed_at);
        bytes(&mut b, &self.tree);
        bytes(&mut b, &self.patch_id);
        bytes(&mut b, self.signer.as_bytes());
        bytes(&mut b, self.rules.as_bytes());
        b.extend_from_slice(&self.message_digest);
        b.extend_from_slice(&self.author_digest);
        bytes(&mut b, &self.public_key);
        bytes(&mut b, &self.signature);
        b64_encode(&b)
    }

    pub fn decode(text: &str) -> Result<Record, DecodeError> {
        let raw = b64_decode(text.trim()).ok_or(DecodeError::Base64)?;
        let mut r = Reader { b: &raw, at: 0 };
        let version = r.u8()?;
        if version != VERSION {
            return Err(DecodeError::Version(version));
        }
        let flags = r.u8()?;
        let signed_at = r.varint()?;
        let tree = r.bytes()?.to_vec();
        let patch_id = r.bytes()?.to_vec();
        let signer = r.string()?;
        let rules = r.string()?;
        let message_digest = r.array8()?;
        let author_digest = r.array8()?;
        let public_key = r.bytes()?.to_vec();
        let signature = r.bytes()?.to_vec();
        if r.at != raw.len() {
            return Err(DecodeError::Trailing(raw.len() - r.at));
        }
        Ok(Record {
            merge: flags & FLAG_MERGE != 0,
            clean: flags & FLAG_CLEAN != 0,
            signed_at,
            tree,
            patch_id,
            signer,
            rules,
            message_digest,
            author_digest,
            public_key,
            signature,
        })
    }
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn bytes(out: &mut Vec<u8>, data: &[u8]) {
    varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn u8(&mut self) -> Result<u8, DecodeError> {
        let v = *self.b.get(self.at).ok_or(DecodeError::Short)?;
        self.at += 1;
        Ok(v)
    }
    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError::Short)
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.at.checked_add(n).ok_or(DecodeError::Short)?;
        let s = self.b.get(self.at..end).ok_or(DecodeError::Short)?;
        self.at = end;
        Ok(s)
    }
    fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = usize::try_from(self.varint()?).map_err(|_| DecodeError::Short)?;
        self.take(n)
    }
    fn string(&mut self) -> Result<String, DecodeError> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| DecodeError::Utf8)
    }
    fn array8(&mut self) -> Result<[u8; 8], DecodeError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(a)
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() * 4 / 3 + 3);
    for chunk in data.chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..=n {
            out.push(B64[((v >> (18 - 6 * i)) & 0x3f) as usize] as char);
        }
    }
    out
}

pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits must be zero padding, and a lone sixth of a byte is not valid.
    if bits >= 6 || acc != 0 {
        return None;
    }
    Some(out)
}

pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips() {
        for n in 0..70 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let e = b64_encode(&data);
            assert!(!e.contains('=') && !e.contains('+') && !e.contains('/'));
            assert_eq!(b64_decode(&e), Some(data));
        }
        assert_eq!(b64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(b64_encode(b"fo"), "Zm8");
        assert_eq!(b64_decode("Zm9"), None);
        assert_eq!(b64_decode("Zm8!"), None);
    }

    #[test]
    fn record_round_trips_and_rejects_garbage() {
        let r = Record {
            merge: false,
            clean: true,
            signed_at: 1_767_225_600,
            tree: vec![0xab; 20],
            patch_id: vec![0xcd; 20],
            signer: "dev@example.org".into(),
            rules: "100-13ac0d944a97c126".into(),
            message_digest: [1; 8],
            author_digest: [2; 8],
            public_key: vec![3; 51],
            signature: vec![4; 83],
        };
        let e = r.encode();
        assert_eq!(Record::decode(&e).unwrap(), r);
        let mut raw = b64_decode(&e).unwrap();
        raw.push(0);
        assert!(matches!(
            Record::decode(&b64_encode(&raw)),
            Err(DecodeError::Trailing(1))
        ));
        raw[0] = 9;
        assert!(matches!(
            Record::decode(&b64_encode(&raw)),
            Err(DecodeError::Version(9))
        ));
        assert!(Record::decode(&e[..e.len() - 10]).is_err());
        assert_eq!(unhex(&hex(&[0, 255, 16])), Some(vec![0, 255, 16]));
    }
}
