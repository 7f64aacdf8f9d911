#!/bin/sh
# vouchsafe-managed-hook format=1 hook=@HOOK@ scope=global-passthrough version=@VERSION@
# Written by `vouchsafe install --global`, which points git's global core.hooksPath at
# this directory. That replaces each repository's own hooks directory, so this file
# runs the repository's own @HOOK@ hook exactly as git would have run it.
# `vouchsafe uninstall --global` removes it. Template: hooks/passthrough.sh.
hook='@HOOK@'
# Set when core.hooksPath was already set globally before vouchsafe: its hooks run.
chain_dir='@CHAIN_DIR@'

if [ -n "$chain_dir" ]; then
  chained=$chain_dir/$hook
  common=
else
  common=$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null)
  chained=$common/hooks/$hook
fi
if [ -f "$chained" ] && [ -x "$chained" ]; then
  exec "$chained" "$@"
fi
# Git LFS would have installed these hooks into the repository's hooks directory.
case $hook in
  post-checkout|post-commit|post-merge)
    if [ -n "$common" ] && [ -d "$common/lfs" ] && command -v git-lfs >/dev/null 2>&1; then
      exec git lfs "$hook" "$@"
    fi
    ;;
esac
exit 0
