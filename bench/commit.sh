#!/usr/bin/env bash
# What vouchsafe's hooks, and the attestation signature, cost a `git commit`.
#
# Three repositories with the same content (this source tree, a few hundred files) and
# the same change per run (one line appended to a tracked file, staged before the
# timed run):
#   plain    git commit, no hooks
#   shims    vouchsafe's hook shims installed, running `true` instead of vouchsafe
#            (VOUCHSAFE_BIN=/bin/true in the hooks repository): what git and the three
#            sh shims cost on their own
#   hooks    vouchsafe's hooks installed, no signing key anywhere, attestation off
#   signed   vouchsafe's hooks installed, an Ed25519 key file (no passphrase)
# "hooks - shims" is what vouchsafe's own work adds; "signed - hooks" is what the
# attestation adds: write-tree and the patch id, reading the key, signing, rewriting
# the message file.
#
# Then, per hook, the time git waited for each hook (shim included), from git's own
# trace2 events (child_exit t_rel of the hook children), over RUNS commits of each
# repository; and the attestation's parts from the commit-msg debug log.
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
run() { # variant -> the timed command
    case $1 in
        shims) printf "env VOUCHSAFE_BIN=/bin/true VOUCHSAFE_HOME=%s git -C %s commit -q -m bench" "$W/vh-hooks" "$W/hooks" ;;
        *) printf "env VOUCHSAFE_HOME=%s git -C %s commit -q -m bench" "$W/vh-$1" "$W/$1" ;;
    esac
}
repo_of() { # variant -> its repository
    case $1 in shims) echo hooks ;; *) echo "$1" ;; esac
}

# Rounds of hyperfine, the order of the four rotated each round, so that a machine
# whose load drifts (other builds) weighs on all four alike.
ROUNDS=${ROUNDS:-6}
per=$(( (RUNS + ROUNDS - 1) / ROUNDS ))
order=(plain shims hooks signed)
for i in $(seq 1 "$ROUNDS"); do
    args=()
    for name in "${order[@]}"; do
        args+=(--prepare "$(prep "$(repo_of "$name")")" -n "$name" "$(run "$name")")
    done
    hyperfine -N --style none --warmup 2 --runs "$per" --export-json "$W/round-$i.json" "${args[@]}" >/dev/null
    order=("${order[@]:1}" "${order[0]}")
done

# Per hook: how long git waited for each, from its trace2 events (the two repositories
# take turns, so that drifting load weighs on both alike).
for i in $(seq 1 "$RUNS"); do
    for r in hooks signed; do
        eval "$(prep $r)"
        rm -f "$W/trace2.json"
        (cd "$W/$r" && GIT_TRACE2_EVENT=$W/trace2.json VOUCHSAFE_HOME=$W/vh-$r git commit -q -m "bench $i")
        python3 - "$W/trace2.json" "$r" >> "$W/per-hook.txt" <<'PY'
import json, sys
hooks = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event") == "child_start" and e.get("child_class") == "hook":
        hooks[e["child_id"]] = e["hook_name"]
    elif e.get("event") == "child_exit" and e.get("child_id") in hooks:
        print(sys.argv[2], hooks[e["child_id"]], e["t_rel"])
PY
    done
done

# The attestation's parts inside the commit-msg hook, from its debug log: git's reads
# for it (write-tree, the patch id; started alongside the hook's own reads), and the
# step itself from its start to the message file rewritten (key, signature, rewrite,
# and any read not made ahead).
for i in $(seq 1 "$RUNS"); do
    eval "$(prep signed)"
    (cd "$W/signed" && VOUCHSAFE_LOG=debug VOUCHSAFE_HOME=$W/vh-signed git commit -q -m "bench $i" 2>&1) \
        | sed -n -e 's/.*attestation: signed and written at \([0-9.]*\)\(ms\|µs\|ns\|s\).*/step \1 \2/p' \
            -e 's/.*attestation: tree and change read by git in \([0-9.]*\)\(ms\|µs\|ns\|s\);.*/reads \1 \2/p' >> "$W/stamp.txt"
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
for k in ("plain", "shims", "hooks", "signed"):
    v = times[k]
    print("  %-7s median %6.1f   mean %6.1f   min %6.1f" % (k, ms(st.median(v)), ms(st.mean(v)), ms(min(v))))
print("vouchsafe's hooks add %.1f ms to a commit (hooks - plain, medians), of which the shims alone %.1f ms (shims - plain)"
      % (ms(st.median(times["hooks"]) - st.median(times["plain"])),
         ms(st.median(times["shims"]) - st.median(times["plain"]))))
print("signing with an Ed25519 key file adds %.1f ms (signed - hooks, medians; per-round medians %s)"
      % (ms(st.median(times["signed"]) - st.median(times["hooks"])),
         ", ".join("%.1f" % ms(d) for d in diffs)))
hooks = {}
for line in open(w + "/per-hook.txt"):
    repo, hook, t = line.split()
    hooks.setdefault((repo, hook), []).append(float(t))
if hooks:
    print("per hook, as git waited for it (shim included; trace2, %d commits each; ms):"
          % len(next(iter(hooks.values()))))
    for repo in ("hooks", "signed"):
        for hook in ("pre-commit", "prepare-commit-msg", "commit-msg"):
            v = sorted(hooks.get((repo, hook), []))
            if v:
                print("  %-7s %-19s median %5.1f   p90 %5.1f   min %5.1f"
                      % (repo, hook, ms(st.median(v)), ms(v[int(len(v) * 0.9) - 1]), ms(v[0])))
parts = {}
for line in open(w + "/stamp.txt"):
    what, v, unit = line.split()
    parts.setdefault(what, []).append(float(v) * {"s": 1000, "ms": 1, "µs": 0.001, "ns": 1e-6}[unit])
for what, label in (("reads", "the attestation's git reads (write-tree, patch id; alongside the hook's other reads)"),
                    ("step", "the attestation step itself (key, signature, rewrite)")):
    v = sorted(parts.get(what, []))
    if v:
        print("%s, key file, %d commits: median %.1f ms, p90 %.1f ms, min %.1f ms"
              % (label, len(v), st.median(v), v[int(len(v) * 0.9) - 1], v[0]))
PY
