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

# Rounds of hyperfine, the order of the three rotated each round, so that a machine
# whose load drifts (other builds) weighs on all three alike.
ROUNDS=${ROUNDS:-6}
per=$(( (RUNS + ROUNDS - 1) / ROUNDS ))
order=(plain hooks signed)
for i in $(seq 1 "$ROUNDS"); do
    args=()
    for name in "${order[@]}"; do
        args+=(--prepare "$(prep "$name")" -n "$name" "$(run "$name")")
    done
    hyperfine -N --style none --warmup 2 --runs "$per" --export-json "$W/round-$i.json" "${args[@]}" >/dev/null
    order=("${order[@]:1}" "${order[0]}")
done

# The attestation's own time inside the commit-msg hook, from its debug log: from the
# start of the step to the message file rewritten (all its git calls included).
for i in $(seq 1 "$RUNS"); do
    eval "$(prep signed)"
    (cd "$W/signed" && VOUCHSAFE_LOG=debug VOUCHSAFE_HOME=$W/vh-signed git commit -q -m "bench $i" 2>&1) \
        | sed -n 's/.*attestation: signed and written at \([0-9.]*\)\([mµ]\?s\).*/\1 \2/p' >> "$W/stamp.txt"
done

python3 - "$W" "$ROUNDS" <<'PY'
import glob, json, statistics as st, sys
w, rounds = sys.argv[1], int(sys.argv[2])
times = {}
diffs = []
for f in sorted(glob.glob(w + "/round-*.json")):
    r = {x["command"]: x["times"] for x in json.load(open(f))["results"]}
    for k, v in r.items():
        times.setdefault(k, []).extend(v)
    diffs.append(st.median(r["signed"]) - st.median(r["hooks"]))
ms = lambda v: v * 1000
print("whole commit, %d runs each in %d rotated rounds (ms):" % (len(times["plain"]), rounds))
for k in ("plain", "hooks", "signed"):
    v = times[k]
    print("  %-7s median %6.1f   mean %6.1f   min %6.1f" % (k, ms(st.median(v)), ms(st.mean(v)), ms(min(v))))
print("vouchsafe's hooks add %.1f ms to a commit (hooks - plain, medians)"
      % ms(st.median(times["hooks"]) - st.median(times["plain"])))
print("signing with an Ed25519 key file adds %.1f ms (signed - hooks, medians; per-round medians %s)"
      % (ms(st.median(times["signed"]) - st.median(times["hooks"])),
         ", ".join("%.1f" % ms(d) for d in diffs)))
stamp = []
for line in open(w + "/stamp.txt"):
    v, unit = line.split()
    stamp.append(float(v) * {"s": 1000, "ms": 1, "µs": 0.001}[unit])
if stamp:
    stamp.sort()
    print("the attestation step itself (commit-msg, key file, %d commits): median %.1f ms, p90 %.1f ms, min %.1f ms"
          % (len(stamp), st.median(stamp), stamp[int(len(stamp) * 0.9) - 1], stamp[0]))
PY
