#!/usr/bin/env bash
# Installs code-server (a real VS Code workbench with a real Node extension host) for the VS Code and UI
# test tiers, offline: only the npm registry is reachable, and desktop VS Code / Electron cannot be
# downloaded (see /work/shared/docs/VSCODE-TESTING.md).
#
# It lives in .vscode-test/code-server/ with its own package.json, outside the project's dependency tree,
# so `npm ci` stays fast and needs no compilers. Idempotent: a second run returns at once.
#
# Needs (Debian): build-essential python3 (native modules), libkrb5-dev (kerberos), ripgrep (see below).
# Usage: bash test/vscode/harness/install-vscode.sh        env: CODE_SERVER_VERSION to try another version
set -euo pipefail

started_ns=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - started_ns) / 1000000 ))" | awk '{ printf "%.2f s", $1 / 1000 }'; }

# 4.100.3 is the newest code-server whose engines accept Node 20; it ships VS Code 1.100.3, the version
# engines.vscode (^1.100.0) and @types/vscode (~1.100.0) are pinned to.
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
INSTALL_DIR="$REPO_ROOT/.vscode-test/code-server"
MARKER="$INSTALL_DIR/installed-version"   # written last, only after a successful install and smoke run
CODE_SERVER_BIN="$INSTALL_DIR/node_modules/.bin/code-server"

# Fast path: no node, no npm, no subprocess beyond `date`.
if [[ -f "$MARKER" && "$(<"$MARKER")" == "$CODE_SERVER_VERSION" && -x "$CODE_SERVER_BIN" ]]; then
  echo "code-server $CODE_SERVER_VERSION already installed in ${INSTALL_DIR#"$REPO_ROOT"/} ($(elapsed))"
  exit 0
fi

# --- prerequisites: fail early with the apt line, not halfway through a native build -------------
missing=()
command -v cc >/dev/null && command -v make >/dev/null && command -v g++ >/dev/null || missing+=(build-essential)
command -v python3 >/dev/null || missing+=(python3)
[[ -f /usr/include/gssapi/gssapi.h ]] || missing+=(libkrb5-dev)
command -v rg >/dev/null || missing+=(ripgrep)
if (( ${#missing[@]} )); then
  echo "install-vscode: missing system packages: ${missing[*]}" >&2
  echo "  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" != 20 ]]; then
  echo "install-vscode: code-server $CODE_SERVER_VERSION requires Node 20 (found $(node --version))" >&2
  exit 1
fi

echo "installing code-server $CODE_SERVER_VERSION into ${INSTALL_DIR#"$REPO_ROOT"/} (about a minute, ~300 MB)"
mkdir -p "$INSTALL_DIR"
# A stable TMPDIR inside .vscode-test/: the ripgrep cache below must survive between runs, and the
# native builds should not litter /tmp.
export TMPDIR="$REPO_ROOT/.vscode-test/tmp"
mkdir -p "$TMPDIR"

# --- ripgrep ---------------------------------------------------------------------------------------
# VS Code 1.100.3's lockfile (lib/vscode/npm-shrinkwrap.json) pins @vscode/ripgrep 1.15.11, whose
# postinstall downloads rg from GitHub unless `$TMPDIR/vscode-ripgrep-cache-1.15.11/` already holds the
# release tarball. Seed that cache with Debian's rg (x86_64 only: other machines name another target).
[[ "$(uname -m)" == x86_64 ]] || echo "install-vscode: warning: ripgrep cache prepared for x86_64 only; this is $(uname -m)" >&2
RIPGREP_CACHE="$TMPDIR/vscode-ripgrep-cache-1.15.11"
RIPGREP_TARBALL="$RIPGREP_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [[ ! -f "$RIPGREP_TARBALL" ]]; then
  mkdir -p "$RIPGREP_CACHE/stage"
  cp "$(command -v rg)" "$RIPGREP_CACHE/stage/rg"
  tar -czf "$RIPGREP_TARBALL" -C "$RIPGREP_CACHE/stage" rg
  rm -rf "$RIPGREP_CACHE/stage"
fi

# --- npm settings, for this install only -----------------------------------------------------------
# npm 11 runs no dependency install script that is not allow-listed ("not yet covered by allowScripts"),
# and code-server is useless without them: its own postinstall runs a nested `npm install` in lib/vscode
# (a separate npm project, locked by its npm-shrinkwrap.json) that builds the native modules.
# - Our package.json's `allowScripts` covers the top level (code-server, argon2).
# - The nested project is reached by a `.npmrc` written into lib/vscode/ before the scripts run. Config
#   given as a flag or as npm_config_allow_scripts would not do: npm passes its config to scripts as
#   npm_config_* variables, and the nested install then fails with EALLOWSCRIPTS ("--allow-scripts is not
#   allowed in project-scoped installs").
# So: install with --ignore-scripts, write that .npmrc, then `npm rebuild` runs the allowed scripts.
TOP_LEVEL_SCRIPTS='"code-server": true, "argon2": true'
VSCODE_SCRIPTS=(  # every package in lib/vscode/npm-shrinkwrap.json with an install script (Linux builds)
  @parcel/watcher @vscode/deviceid @vscode/ripgrep @vscode/spdlog kerberos native-watchdog node-pty
  @vscode/windows-process-tree @vscode/windows-registry   # their builds are empty on Linux
)
export npm_config_unsafe_perm=true    # code-server's postinstall refuses to run as root without it
export npm_config_yes=true            # node-pty's install may run `npx node-gyp`; a `yes=false` npmrc cancels it
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# node-gyp downloads Node's headers from nodejs.org unless told where the installed ones are.
node_prefix="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
if [[ -z "${npm_config_nodedir:-}" && -f "$node_prefix/include/node/common.gypi" ]]; then
  export npm_config_nodedir="$node_prefix"
fi
# XDG_*: code-server's --version run writes ~/.config/code-server and ~/.local/share/code-server otherwise.
export XDG_CONFIG_HOME="$TMPDIR/xdg-config" XDG_DATA_HOME="$TMPDIR/xdg-data" XDG_CACHE_HOME="$TMPDIR/xdg-cache"

cat > "$INSTALL_DIR/package.json" <<EOF
{
  "name": "flightdeck-vscode-test-code-server",
  "private": true,
  "description": "code-server for Flightdeck's VS Code and UI test tiers; installed by test/vscode/harness/install-vscode.sh",
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { $TOP_LEVEL_SCRIPTS }
}
EOF
rm -f "$MARKER"
log="$INSTALL_DIR/install.log"
fail() {
  tail -n 40 "$log" >&2
  echo "install-vscode: $1 after $(elapsed); full log: $log" >&2
  exit 1
}
(cd "$INSTALL_DIR" && npm install --ignore-scripts >"$log" 2>&1) || fail "npm install failed"
vscode_dir="$INSTALL_DIR/node_modules/code-server/lib/vscode"
[[ -f "$vscode_dir/package.json" ]] || fail "code-server has no lib/vscode"
echo "allow-scripts=$(IFS=,; echo "${VSCODE_SCRIPTS[*]}")" > "$vscode_dir/.npmrc"
echo "downloaded in $(elapsed); building native modules"
(cd "$INSTALL_DIR" && npm rebuild --foreground-scripts >>"$log" 2>&1) || fail "building code-server failed"
if grep -q 'not yet covered by allowScripts' "$log"; then
  # A skipped script means a native module was not built: code-server would start and break later.
  grep 'install-scripts' "$log" >&2
  echo "install-vscode: install scripts were skipped; add those packages to the allow-lists in $0" >&2
  exit 1
fi

version_line="$("$CODE_SERVER_BIN" --version 2>/dev/null | grep -m 1 "^$CODE_SERVER_VERSION " || true)"
[[ -n "$version_line" ]] || fail "code-server --version did not print $CODE_SERVER_VERSION"
echo "$CODE_SERVER_VERSION" > "$MARKER"
echo "installed code-server $version_line in $(elapsed)"
