#!/usr/bin/env bash
# Installs the Debian packages Flightdeck's tests and the offline VS Code need, only those missing.
#   bash scripts/install-system-packages.sh            everything the test tiers need
#   bash scripts/install-system-packages.sh code-server   only what code-server's install needs
set -euo pipefail
want=(build-essential python3 libkrb5-dev ripgrep git)
[[ "${1:-all}" == "code-server" ]] || want+=(chromium postgresql)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if (( ${#missing[@]} == 0 )); then
  echo "system packages: all present"
  exit 0
fi
echo "system packages: installing ${missing[*]}"
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: done"
