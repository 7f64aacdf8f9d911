#!/usr/bin/env bash
# What vouchsafe's hooks, and the attestation signature, cost a `git commit`.
#
# Three repositories with the same content (this source tree, a few hundred files) and
# the same change per run (one line appended to a tracked file, staged before the
# timed run):
#   plain    git commit, no hooks
#   hooks    vouchsafe's hooks installed, no signing key anywhere, attestation off
#   signed   vouchsafe's hooks installed, an Ed25519 key file (no passphrase)
# "signed - hooks" is what the attestation adds: the patch id, reading the key,
# signing, rewriting the message file.
#
# Usage: bench/commit.sh [RUNS]   (default 40; needs hyperfine and a release build,
# made when missing; VOUCHSAFE_BIN overrides the binary)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-40}
BIN=${VOUCHSAFE_BIN:-$ROOT/target/release/vouchsafe}
if [ -z "${VOUCHSAFE_BIN:-}" ]; then
    (cd "$ROOT" && cargo build --release -q)
fi
command -v hyperfine >/dev/null || { echo "commit.sh: hyperfine is needed (apt-get install hyperfine)" >&2; exit 2; }

W=$(mktemp -d "${TMPDIR:-/tmp}/vouchsafe-bench-commit.XXXXXX")
trap 'rm -rf "$W"' EXIT

# A hermetic git and vouchsafe: own HOME and config, no agent, no system config.
export HOME=$W/home GIT_CONFIG_GLOBAL=$W/home/.gitconfig GIT_CONFIG_NOSYSTEM=1
export VOUCHSAFE_BIN=$BIN LC_ALL=C
unset SSH_AUTH_SOCK GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
mkdir -p "$HOME"
git config --global user.name "Bench Mark"
git config --global user.email bench@example.org
git config --global init.defaultBranch main
git config --global commit.gpgsign false

ssh-keygen -q -t ed25519 -N '' -C bench -f "$W/id_ed25519"

make_repo() { # name
    local r=$W/$1
    mkdir -p "$r"
    git -C "$r" init -q
    (cd "$ROOT" && git ls-files -z src tests docs data hooks | xargs -0 tar cf -) | tar xf - -C "$r"
    printf '[attestation]\nrequire = "off"\n' > "$r/.vouchsafe.toml"
    echo 0 > "$r/counter.txt"
    git -C "$r" add -A
    git -C "$r" commit -q --no-verify -m "initial import"
}

make_repo plain
make_repo hooks
make_repo signed
for r in hooks signed; do
    (cd "$W/$r" && VOUCHSAFE_HOME=$W/vh-$r "$BIN" install >/dev/null)
done
VOUCHSAFE_HOME=$W/vh-signed "$BIN" key use "$W/id_ed25519" >/dev/null

# Sanity: the signed repository signs, the hooks one does not.
for r in hooks signed; do
    echo x >> "$W/$r/counter.txt"
    git -C "$W/$r" add counter.txt
    (cd "$W/$r" && VOUCHSAFE_HOME=$W/vh-$r git commit -q -m "sanity" 2>/dev/null)
done
git -C "$W/signed" log -1 --format=%B | grep -q '^Vouchsafe-Attestation: ' \
    || { echo "commit.sh: the signed repository did not sign" >&2; exit 1; }
if git -C "$W/hooks" log -1 --format=%B | grep -q '^Vouchsafe-Attestation: '; then
    echo "commit.sh: the hooks repository signed; it should have no key" >&2; exit 1
fi

prep() { # repo -> the command hyperfine runs before each timed commit
    printf "sh -c 'date +%%s%%N >> %s/counter.txt && git -C %s add counter.txt'" "$W/$1" "$W/$1"
}
run() { # repo -> the timed command
    printf "env VOUCHSAFE_HOME=%s git -C %s commit -q -m bench" "$W/vh-$1" "$W/$1"
}

hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/result.json" \
    --prepare "$(prep plain)" -n plain "$(run plain)" \
    --prepare "$(prep hooks)" -n hooks "$(run hooks)" \
    --prepare "$(prep signed)" -n signed "$(run signed)"

python3 - "$W/result.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
def ms(name, key="mean"):
    return r[name][key] * 1000
print()
print("mean / median (ms):  plain %.1f / %.1f   hooks %.1f / %.1f   signed %.1f / %.1f"
      % (ms("plain"), ms("plain", "median"), ms("hooks"), ms("hooks", "median"),
         ms("signed"), ms("signed", "median")))
print("vouchsafe's hooks add %.1f ms to a commit (hooks - plain, means)" % (ms("hooks") - ms("plain")))
print("the Ed25519 attestation adds %.1f ms (signed - hooks, means; %.1f ms by medians)"
      % (ms("signed") - ms("hooks"), ms("signed", "median") - ms("hooks", "median")))
PY
