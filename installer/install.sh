#!/bin/sh
# Builds vouchsafe from this checkout, installs the binary into ${PREFIX:-$HOME/.local}/bin
# and, when run inside a git repository, wires the hooks there (`vouchsafe install`).
# Needs git and a Rust toolchain (cargo). Running it again is safe: it rebuilds,
# replaces the binary, and re-runs the install, which is idempotent.
#
#   installer/install.sh              build, install, and wire the hooks of the repository you are in
#   installer/install.sh --global     ... and protect every repository (vouchsafe install --global)
#   installer/install.sh --no-hooks   build and install the binary only
#   PREFIX=/opt/vouchsafe installer/install.sh
set -eu

usage() {
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
}

global=
hooks=1
pass=
for arg in "$@"; do
  case $arg in
    --global) global=1 ;;
    --no-hooks) hooks= ;;
    --force | --fail-open) pass="$pass $arg" ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

say() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 2; }

command -v git >/dev/null 2>&1 || die "git is required; install it (e.g. apt-get install git, brew install git) and run this again"
command -v cargo >/dev/null 2>&1 || die "cargo is required; install a Rust toolchain (https://rustup.rs) and run this again"

src=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$src/Cargo.toml" ] || die "cannot find Cargo.toml next to installer/ ($src)"
prefix=${PREFIX:-$HOME/.local}
bindir=$prefix/bin
target=${CARGO_TARGET_DIR:-$src/target}
case $target in /*) ;; *) target=$src/$target ;; esac

say "building vouchsafe (release) in $src"
cargo build --release --locked --manifest-path "$src/Cargo.toml"
built=$target/release/vouchsafe
[ -x "$built" ] || die "the build did not produce $built"

mkdir -p "$bindir"
# Copy next to the destination, then rename: a hook running right now never sees a half-written binary.
tmp=$bindir/.vouchsafe.tmp.$$
trap 'rm -f "$tmp"' EXIT
cp "$built" "$tmp"
chmod 755 "$tmp"
mv -f "$tmp" "$bindir/vouchsafe"
trap - EXIT
say "installed $bindir/vouchsafe ($("$bindir/vouchsafe" --version))"

case ":${PATH:-}:" in
  *":$bindir:"*) ;;
  *)
    say "note: $bindir is not on your PATH. The hooks find the binary anyway (its path is written into them),"
    say "      but to run vouchsafe yourself add this to your shell's startup file (~/.profile, ~/.zshrc, ...):"
    say "        export PATH=\"$bindir:\$PATH\""
    ;;
esac

if [ -z "$hooks" ]; then
  say "skipping the hooks (--no-hooks); run \`vouchsafe install\` in a repository when you want them"
elif [ -n "$global" ]; then
  # shellcheck disable=SC2086
  "$bindir/vouchsafe" install --global $pass
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  say "wiring the hooks of $(git rev-parse --show-toplevel)"
  # shellcheck disable=SC2086
  "$bindir/vouchsafe" install $pass
else
  say "not inside a git repository: run \`vouchsafe install\` in one (or this script with --global for all)"
fi
say "see it work, in a throwaway repository: vouchsafe demo"
