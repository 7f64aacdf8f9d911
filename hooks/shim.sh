#!/bin/sh
# vouchsafe-managed-hook format=1 hook=@HOOK@ scope=@SCOPE@ version=@VERSION@
# Written by `vouchsafe install`; `vouchsafe uninstall` removes it and puts back the
# hook that was here before. Do not edit: the next install rewrites this file.
# Template: hooks/shim.sh in the vouchsafe source.
hook='@HOOK@'
# The binary that ran `vouchsafe install`, tried after $VOUCHSAFE_BIN and before PATH,
# so that GUI git clients with a bare PATH still find it.
baked='@BAKED@'
# What happens when no binary is found: fail (stop the git command) or warn.
on_missing='@ON_MISSING@'
# repo: the hook that was here before is <this directory>/<hook>.vouchsafe-chained.
# global: this directory is the global core.hooksPath; the hook git would otherwise
# have run is the repository's own (<git-common-dir>/hooks/<hook>), or the one in
# chain_dir when core.hooksPath was already set globally before vouchsafe.
scope='@SCOPE@'
chain_dir='@CHAIN_DIR@'

depth=${VOUCHSAFE_CHAIN_DEPTH:-0}
case $depth in *[!0-9]*|'') depth=0 ;; esac
if [ "$depth" -ge 4 ]; then
  echo "vouchsafe: the $hook hooks chain into each other ($0); stopping. Run \`vouchsafe status\` to see them." >&2
  exit 1
fi

if [ "$scope" = global ]; then
  if [ -n "$chain_dir" ]; then
    chained=$chain_dir/$hook
  else
    chained=$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/hooks/$hook
  fi
else
  # ${0%/*} rather than $(dirname "$0"): no extra process on every commit.
  case $0 in
    */*) chained=${0%/*}/$hook.vouchsafe-chained ;;
    *) chained=./$hook.vouchsafe-chained ;;
  esac
fi
# Only an executable file runs, as git itself would decide.
run_chained=
if [ -f "$chained" ] && [ -x "$chained" ]; then run_chained=1; fi
# Git LFS writes its hooks into the hooks directory git uses; in global mode that is
# this one, so its pre-push / post-* hooks are run here when the repository has none.
run_lfs=
if [ "$scope" = global ] && [ -z "$run_chained" ] && [ "$hook" = pre-push ] &&
   [ -d "$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/lfs" ] &&
   command -v git-lfs >/dev/null 2>&1; then
  run_lfs=1
fi

# An outer vouchsafe shim that ran this one as its chained hook does the check itself.
if [ -n "${VOUCHSAFE_SHIM_PARENT:-}" ] && [ "$VOUCHSAFE_SHIM_PARENT" = "$PPID" ]; then
  gate=
else
  gate=1
fi

bin=
if [ -n "$gate" ]; then
  if [ -n "${VOUCHSAFE_BIN:-}" ]; then
    if [ -f "$VOUCHSAFE_BIN" ] && [ -x "$VOUCHSAFE_BIN" ]; then
      bin=$VOUCHSAFE_BIN
    else
      echo "vouchsafe: warning: VOUCHSAFE_BIN=$VOUCHSAFE_BIN is not an executable file; looking elsewhere" >&2
    fi
  fi
  if [ -z "$bin" ] && [ -n "$baked" ] && [ -f "$baked" ] && [ -x "$baked" ]; then
    bin=$baked
  fi
  if [ -z "$bin" ]; then
    found=$(command -v vouchsafe 2>/dev/null) || found=
    case $found in
      /*) if [ -f "$found" ] && [ -x "$found" ]; then bin=$found; fi ;;
    esac
  fi
  if [ -z "$bin" ]; then
    if [ "$on_missing" != warn ]; then
      {
        echo "vouchsafe: cannot find the vouchsafe binary, so the $hook check cannot run; git was stopped."
        echo "  looked for: \$VOUCHSAFE_BIN (${VOUCHSAFE_BIN:-not set}), ${baked:-no installed path} (the binary that installed this hook), vouchsafe on PATH"
        echo "  fix: install the binary again (installer/install.sh in a vouchsafe checkout), then run"
        echo "       \`vouchsafe install\` in this repository; or set VOUCHSAFE_BIN to the binary's path."
        echo "  hook: $0"
      } >&2
      exit 1
    fi
    echo "vouchsafe: warning: the vouchsafe binary was not found, so the $hook check did not run (installed with --fail-open)." >&2
    echo "  fix: install the binary again (installer/install.sh), then run \`vouchsafe install\`." >&2
    gate=
  fi
fi

# pre-push gets the refs on stdin; each hook that runs gets the same lines.
input=
if [ "$hook" = pre-push ] && { [ -n "$run_chained" ] || [ -n "$run_lfs" ]; }; then
  input=$(mktemp "${TMPDIR:-/tmp}/vouchsafe-pre-push.XXXXXX") || {
    echo "vouchsafe: cannot create a temporary file for the refs being pushed" >&2
    exit 1
  }
  trap 'rm -f "$input"' EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  cat >"$input"
fi

status=0
if [ -n "$run_chained" ]; then
  if [ -n "$input" ]; then
    VOUCHSAFE_SHIM_PARENT=$$ VOUCHSAFE_CHAIN_DEPTH=$((depth + 1)) "$chained" "$@" <"$input" || status=$?
  else
    VOUCHSAFE_SHIM_PARENT=$$ VOUCHSAFE_CHAIN_DEPTH=$((depth + 1)) "$chained" "$@" || status=$?
  fi
fi
if [ -n "$run_lfs" ]; then
  git lfs pre-push "$@" <"$input" || status=$?
fi

if [ -n "$gate" ]; then
  rc=0
  if [ -n "$input" ]; then
    "$bin" hook "$hook" "$@" <"$input" || rc=$?
  else
    "$bin" hook "$hook" "$@" || rc=$?
  fi
  if [ "$rc" -ne 0 ]; then exit "$rc"; fi
fi
if [ "$status" -ne 0 ]; then exit "$status"; fi
