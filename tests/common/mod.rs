//! Test harness: every test gets its own temp directory with its own HOME and git
//! configuration, real git repositories, and the real `vouchsafe` binary.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_vouchsafe");

pub struct Env {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::Builder::new()
            .prefix("vouchsafe-test-")
            .tempdir()
            .expect("temp dir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        let gitconfig = home.join(".gitconfig");
        std::fs::write(
            &gitconfig,
            "[user]\n\tname = Test User\n\temail = test@example.org\n[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n[core]\n\tautocrlf = false\n[protocol \"file\"]\n\tallow = always\n",
        )
        .expect("gitconfig");
        Env { dir, home }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A command with the hermetic environment: own HOME, own global git config, no
    /// system config, fixed dates, nothing inherited that ties it to a repository.
    pub fn cmd(&self, program: impl AsRef<OsStr>, cwd: &Path) -> Command {
        let mut c = Command::new(program);
        c.current_dir(cwd)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("GIT_CONFIG_GLOBAL", self.home.join(".gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
            .env("VOUCHSAFE_HOME", self.path().join("vouchsafe-home"))
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::null());
        c
    }

    /// A bare repository (a remote, or a server) under the test's directory.
    pub fn bare_repo(&self, name: &str) -> PathBuf {
        let p = self.path().join(name);
        let st = self
            .cmd("git", self.path())
            .args(["init", "-q", "--bare"])
            .arg(&p)
            .status()
            .expect("git init --bare");
        assert!(st.success(), "git init --bare {}", p.display());
        p
    }

    pub fn init_repo(&self, name: &str) -> Repo<'_> {
        let path = self.path().join(name);
        std::fs::create_dir_all(&path).expect("repo dir");
        let r = Repo { env: self, path };
        r.git(&["init", "-q"]);
        r
    }
}

pub struct Repo<'a> {
    pub env: &'a Env,
    pub path: PathBuf,
}

impl Repo<'_> {
    pub fn git_cmd(&self) -> Command {
        let mut c = self.env.cmd("git", &self.path);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        c
    }

    /// Runs git and panics with its output when it fails.
    pub fn git<S: AsRef<OsStr>>(&self, args: &[S]) -> String {
        let out = self.git_cmd().args(args).output().expect("run git");
        assert!(
            out.status.success(),
            "git {:?} failed: {}{}",
            args.iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect::<Vec<_>>(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn git_out<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        self.git_cmd().args(args).output().expect("run git")
    }

    pub fn write(&self, rel: impl AsRef<Path>, content: impl AsRef<[u8]>) {
        let p = self.path.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("parent dir");
        }
        std::fs::write(p, content).expect("write file");
    }

    pub fn commit_all(&self, msg: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--no-verify", "-m", msg]);
    }

    /// Commits what is staged with every hook off (`core.hooksPath=/dev/null`), as a
    /// tool that turned hooks off would.
    pub fn commit_hooks_off(&self, msg: &str) {
        self.git(&["-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", msg]);
    }

    pub fn vouchsafe(&self) -> Command {
        let mut c = self.env.cmd(BIN, &self.path);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        c
    }

    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Run {
        Run::from(self.vouchsafe().args(args).output().expect("run vouchsafe"))
    }
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

// OpenSSH keys for signing tests.

/// `ssh-keygen -t <type>` into `path`, with a passphrase (empty for none).
pub fn keygen(env: &Env, path: &Path, args: &[&str], pass: &str) -> String {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).expect("ssh-keygen wrote the public key");
    }
    let out = env
        .cmd("ssh-keygen", env.path())
        .args(["-q", "-N", pass, "-C", "test key", "-f"])
        .arg(path)
        .args(args)
        .output()
        .expect("run ssh-keygen");
    assert!(
        out.status.success(),
        "ssh-keygen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(format!("{}.pub", path.display()))
        .expect("ssh-keygen wrote the public key")
}

/// The `type base64` part of a public key line.
pub fn key_part(public: &str) -> String {
    public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Made-up secrets with the right structure (checksums included), built at run time
/// so this file holds no literal that looks like a live credential.
pub mod secrets {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// A GitHub classic PAT whose CRC32 checksum is right.
    pub fn github_pat(seed: &str) -> String {
        let mut random = String::new();
        let mut x: u64 = seed.bytes().fold(0xcbf29ce484222325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
        while random.len() < 30 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            random.push(BASE62[(x % 62) as usize] as char);
        }
        let mut v = u64::from(crc32(random.as_bytes()));
        let mut digits = Vec::new();
        for _ in 0..6 {
            digits.push(BASE62[(v % 62) as usize]);
            v /= 62;
        }
        digits.reverse();
        format!("ghp_{random}{}", String::from_utf8(digits).expect("ascii"))
    }

    pub fn crc32(data: &[u8]) -> u32 {
        let mut crc: u32 = 0xffff_ffff;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// An AWS access key id shape (AKIA + 16 upper-case/digits).
    pub fn aws_key_id(seed: &str) -> String {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut x: u64 = seed.bytes().fold(0x9e3779b97f4a7c15, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
        let mut s = String::from("AKIA");
        while s.len() < 20 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push(alphabet[(x % 32) as usize] as char);
        }
        s
    }
}
