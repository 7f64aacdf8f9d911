#!/usr/bin/env python3
"""Builds the benchmark corpora from real source already on this machine.

No network, and deterministic for a given machine: every choice comes from sorted
file lists and a seeded random generator. Sources:

* the Python standard library of the `python3` running this script (text files only:
  `__pycache__`, `site-packages`, `config-*` (static libpython), `lib-dynload` (.so)
  and `ensurepip` (bundled wheels) are left out; the `test` package stays in);
* the crate sources cargo unpacked under ~/.cargo/registry/src (a building
  vouchsafe always has them), taken in sorted order.

Subcommands (each prints one line saying what it made):

  version                 the corpus version (cached corpora are rebuilt when it changes)
  path-corpus DEST        copy of the standard library's text files (scan path)
  staged-repo DEST        3071-file repository, committed, then a staged change of
                          20 files / 2000 added lines (scan staged)
  history-repo DEST N     repository of N linear commits made with git fast-import,
                          each adding or changing a few real files (scan range --all)
  examples RULES_DIR DEST [IDS_JSON]
                          every rule's `examples` and `negative` written one per file,
                          DEST/pos/NNNN.txt and DEST/neg/NNNN.txt, with DEST/manifest.json
"""

import json
import os
import random
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

# Bump when a change to this file changes what a corpus holds: run.sh rebuilds the
# cached corpora when it differs from the one they were built with.
CORPUS_VERSION = 1
SEED = 20240601
STAGED_REPO_FILES = 3071
STAGED_FILES = 20
STAGED_ADDED_LINES = 2000
FIXED_DATE = "1700000000 +0000"
SKIP_TOP = ("site-packages", "lib-dynload", "ensurepip", "__pycache__")
TEXT_EXT = {".rs", ".toml", ".md", ".txt", ".yml", ".yaml", ".json", ".py", ".c", ".h"}


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def is_text(data: bytes) -> bool:
    if b"\0" in data[:8192]:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def stdlib_files():
    """Sorted relative paths of the standard library's text files."""
    root = stdlib_root()
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d != "__pycache__"
            and not (rel_dir == "." and (d in SKIP_TOP or d.startswith("config-")))
        )
        for f in sorted(filenames):
            p = Path(dirpath) / f
            if p.is_symlink() or not p.is_file():
                continue
            with open(p, "rb") as fh:
                head = fh.read(8192)
            if b"\0" in head:  # binary test data (images, audio, archives)
                continue
            out.append(p.relative_to(root))
    return root, sorted(out)


def registry_files():
    """(root, sorted relative paths) of text files of unpacked crates."""
    base = Path.home() / ".cargo" / "registry" / "src"
    out = []
    if not base.is_dir():
        return base, out
    for index in sorted(base.iterdir()):
        for crate in sorted(index.iterdir()):
            for dirpath, dirnames, filenames in os.walk(crate):
                dirnames.sort()
                for f in sorted(filenames):
                    p = Path(dirpath) / f
                    if p.suffix in TEXT_EXT and p.is_file() and not p.is_symlink():
                        out.append(p.relative_to(base))
    return base, out


def git(repo, *args, stdin=None, env=None):
    e = dict(os.environ)
    e.update(
        GIT_AUTHOR_NAME="Bench Author",
        GIT_AUTHOR_EMAIL="bench@example.invalid",
        GIT_COMMITTER_NAME="Bench Author",
        GIT_COMMITTER_EMAIL="bench@example.invalid",
        GIT_AUTHOR_DATE=FIXED_DATE,
        GIT_COMMITTER_DATE=FIXED_DATE,
        GIT_CONFIG_NOSYSTEM="1",
    )
    if env:
        e.update(env)
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, input=stdin, env=e,
        stdout=subprocess.PIPE,
    ).stdout


def init_repo(dest: Path, bare=False):
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    git(dest, "init", "-q", "-b", "main", *(["--bare"] if bare else []))
    # No hooks, no signing, no user config leaking into the corpus.
    git(dest, "config", "commit.gpgsign", "false")
    git(dest, "config", "core.hooksPath", "/dev/null")


def comment(path, word: bytes) -> bytes:
    return (b"  // " if str(path).endswith(".rs") else b"  # ") + word + b"\n"


def quote(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_lines(path: Path):
    with open(path, "rb") as fh:
        return fh.read().splitlines(keepends=True)


# ---------------------------------------------------------------- scan path


def path_corpus(dest: Path):
    root, files = stdlib_files()
    if dest.exists():
        shutil.rmtree(dest)
    total = 0
    for rel in files:
        d = dest / rel
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, d)
        total += d.stat().st_size
    print(f"path-corpus: {len(files)} files, {total} bytes ({total / 2**20:.1f} MiB) from {root}")


# ---------------------------------------------------------------- scan staged


def donor_pool():
    """Real text files with enough lines to lend blocks: (abs path) list, sorted."""
    sroot, sfiles = stdlib_files()
    rroot, rfiles = registry_files()
    pool = [sroot / f for f in sfiles if f.suffix == ".py"]
    pool += [rroot / f for f in rfiles if f.suffix == ".rs"]
    return pool


def staged_repo(dest: Path):
    sroot, sfiles = stdlib_files()
    rroot, rfiles = registry_files()
    chosen = [(sroot / f, Path("python") / f) for f in sfiles]
    for f in rfiles:
        if len(chosen) >= STAGED_REPO_FILES:
            break
        chosen.append((rroot / f, Path("rust") / Path(*f.parts[1:])))
    init_repo(dest)
    for src, rel in chosen:
        d = dest / rel
        d.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, d)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "Import real sources")

    rng = random.Random(SEED)
    # Candidate files to change: Python and Rust sources of 200+ lines.
    cands = []
    for _, rel in chosen:
        if rel.suffix in (".py", ".rs"):
            lines = read_lines(dest / rel)
            if len(lines) >= 200 and is_text(b"".join(lines)):
                cands.append(rel)
    donors = [dest / rel for rel in cands]
    per_file = STAGED_ADDED_LINES // STAGED_FILES  # 100 added lines a file
    targets = rng.sample(cands, STAGED_FILES - 5)
    added = 0
    for rel in targets:
        lines = read_lines(dest / rel)
        donor = read_lines(rng.choice(donors))
        block_len = per_file - 5
        start = rng.randrange(0, len(donor) - block_len) if len(donor) > block_len else 0
        block = donor[start : start + block_len]
        at = rng.randrange(1, len(lines))
        lines[at:at] = block
        # Modify 5 existing lines (a change, not only an insertion) and delete 5.
        for i in rng.sample(range(len(lines)), 5):
            lines[i] = lines[i].rstrip(b"\r\n") + comment(rel, b"changed")
        for i in sorted(rng.sample(range(len(lines)), 5), reverse=True):
            del lines[i]
        (dest / rel).write_bytes(b"".join(lines))
    for i in range(5):
        donor_path = rng.choice(donors)
        donor = read_lines(donor_path)
        start = rng.randrange(0, len(donor) - per_file)
        new = dest / "python" / "newpkg" / f"module_{i}{donor_path.suffix}"
        new.parent.mkdir(parents=True, exist_ok=True)
        new.write_bytes(b"".join(donor[start : start + per_file]))
    git(dest, "add", "-A")
    numstat = git(dest, "diff", "--cached", "--numstat").decode().splitlines()
    added = sum(int(l.split("\t")[0]) for l in numstat if l.split("\t")[0] != "-")
    deleted = sum(int(l.split("\t")[1]) for l in numstat if l.split("\t")[1] != "-")
    nfiles = int(git(dest, "ls-files", "-z").count(b"\0"))
    print(
        f"staged-repo: {nfiles} files in the index, staged change of {len(numstat)} files, "
        f"+{added} -{deleted} lines"
    )


# ---------------------------------------------------------------- scan range --all


def history_repo(dest: Path, ncommits: int):
    """Linear history of `ncommits` commits, streamed into `git fast-import`.

    Each commit does 1 to 5 operations (60% one, 25% two, 15% three to five):
      * new file (20%): the first 20-300 lines of a real source file, at the path that
        file has in its own tree;
      * change (78%): insert a block of 2-60 lines from a real file at a random place in
        a file of the tree, rewrite 0-3 of its lines, and cut a block when it grew past
        800 lines;
      * delete a file (2%, once the tree has 400 files).
    """
    rng = random.Random(SEED)
    pool = donor_pool()
    cache = {}

    def donor_lines(p):
        if p not in cache:
            if len(cache) > 4000:
                cache.clear()
            ls = read_lines(p)
            cache[p] = ls if is_text(b"".join(ls[:2000])) else []
        return cache[p]

    def pick_donor():
        while True:
            p = rng.choice(pool)
            ls = donor_lines(p)
            if len(ls) >= 20:
                return p, ls

    sroot = stdlib_root()
    rroot = Path.home() / ".cargo" / "registry" / "src"

    def tree_path(p: Path) -> str:
        try:
            return "py/" + str(p.relative_to(sroot))
        except ValueError:
            rel = p.relative_to(rroot)
            return "rs/" + str(Path(*rel.parts[1:]))

    init_repo(dest)
    proc = subprocess.Popen(
        ["git", "-C", str(dest), "fast-import", "--quiet", "--done"],
        stdin=subprocess.PIPE,
    )
    out = proc.stdin
    tree = {}  # path -> list of lines
    paths = []  # insertion-ordered, for deterministic choice
    t0 = 1400000000
    authors = [f"Dev {c} <dev{c.lower()}@example.invalid>" for c in "ABCDEFGHIJKL"]
    added_total = 0
    for n in range(ncommits):
        k = rng.random()
        nops = 1 if k < 0.60 else 2 if k < 0.85 else rng.randint(3, 5)
        changed = {}
        deleted = set()
        summary = []
        for _ in range(nops):
            r = rng.random()
            if not paths or r < 0.20:
                dp, ls = pick_donor()
                path = tree_path(dp)
                while path in tree:
                    path = path + "_"
                take = ls[: rng.randint(20, 300)]
                tree[path] = list(take)
                paths.append(path)
                changed[path] = tree[path]
                added_total += len(take)
                summary.append(f"Add {path.rsplit('/', 1)[-1]}")
            elif r < 0.98 or len(paths) < 400:
                path = paths[rng.randrange(len(paths))]
                lines = tree[path]
                _, ls = pick_donor()
                blen = rng.randint(2, 60)
                s = rng.randrange(0, max(1, len(ls) - blen))
                block = ls[s : s + blen]
                at = rng.randrange(0, len(lines) + 1)
                lines[at:at] = block
                for i in rng.sample(range(len(lines)), min(len(lines), rng.randint(0, 3))):
                    lines[i] = lines[i].rstrip(b"\r\n") + comment(path, b"tweak")
                if len(lines) > 800:
                    c = rng.randrange(0, len(lines) - 200)
                    del lines[c : c + 200]
                changed[path] = lines
                added_total += len(block)
                summary.append(f"Update {path.rsplit('/', 1)[-1]}")
            else:
                i = rng.randrange(len(paths))
                path = paths.pop(i)
                del tree[path]
                changed.pop(path, None)
                deleted.add(path)
                summary.append(f"Remove {path.rsplit('/', 1)[-1]}")
        author = authors[n % len(authors) if rng.random() < 0.5 else rng.randrange(len(authors))]
        when = t0 + n * 1800 + rng.randrange(1800)
        msg = ("; ".join(summary) + f"\n\nChange {n + 1} of the benchmark history.\n").encode()
        buf = [
            b"commit refs/heads/main\n",
            f"author {author} {when} +0000\n".encode(),
            f"committer {author} {when} +0000\n".encode(),
            f"data {len(msg)}\n".encode(),
            msg,
        ]
        for p in sorted(deleted):
            buf.append(f"D {quote(p)}\n".encode())
        for p, lines in sorted(changed.items()):
            data = b"".join(lines)
            buf.append(f"M 100644 inline {quote(p)}\n".encode())
            buf.append(f"data {len(data)}\n".encode())
            buf.append(data)
            buf.append(b"\n")
        out.write(b"".join(buf))
    out.write(b"done\n")
    out.close()
    if proc.wait() != 0:
        sys.exit("git fast-import failed")
    # Pack it the way a clone is packed, and write the commit-graph a clone has.
    git(dest, "repack", "-a", "-d", "-f", "-q", "--window=50", "--depth=50")
    git(dest, "commit-graph", "write", "--reachable")
    git(dest, "prune-packed")
    count = git(dest, "rev-list", "--count", "--all").decode().strip()
    print(
        f"history-repo: {count} commits, {len(paths)} files at HEAD, "
        f"{added_total} lines added over the history"
    )


# ---------------------------------------------------------------- detection


def examples(rules_dir: Path, dest: Path, ids_json: Path | None = None):
    """Only rules whose id is in `ids_json` (the binary's `rules list --format json`)
    are taken when it is given: rule files change while others work, and the binary
    can only be judged on the rules it was built with."""
    import tomllib

    known = None
    if ids_json is not None:
        known = {r["id"] for r in json.loads(ids_json.read_text())}
    not_built = 0

    if dest.exists():
        shutil.rmtree(dest)
    (dest / "pos").mkdir(parents=True)
    (dest / "neg").mkdir(parents=True)
    manifest = {"pos": {}, "neg": {}}
    counts = {"pos": 0, "neg": 0, "rules": 0, "files_with_errors": []}
    for f in sorted(rules_dir.glob("*.toml")):
        try:
            doc = tomllib.loads(f.read_text())
        except Exception as e:  # a rule file being edited right now
            counts["files_with_errors"].append(f"{f.name}: {e}")
            continue
        for rule in doc.get("rules", []):
            if known is not None and rule.get("id") not in known:
                not_built += 1
                continue
            counts["rules"] += 1
            for kind, key in (("pos", "examples"), ("neg", "negative")):
                for i, text in enumerate(rule.get(key, [])):
                    counts[kind] += 1
                    name = f"{counts[kind]:04d}.txt"
                    (dest / kind / name).write_text(text if text.endswith("\n") else text + "\n")
                    manifest[kind][name] = {"rule": rule.get("id"), "index": i, "file": f.name}
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(
        f"examples: {counts['rules']} rules, {counts['pos']} examples, "
        f"{counts['neg']} near misses"
        + (f" ({not_built} rules in data/rules are not in the binary yet and were left out)" if not_built else "")
        + (f"; skipped unreadable: {counts['files_with_errors']}" if counts["files_with_errors"] else "")
    )


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "version":
        print(CORPUS_VERSION)
    elif cmd == "path-corpus":
        path_corpus(Path(sys.argv[2]))
    elif cmd == "staged-repo":
        staged_repo(Path(sys.argv[2]))
    elif cmd == "history-repo":
        history_repo(Path(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "examples":
        examples(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]) if len(sys.argv) > 4 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
