#!/bin/sh
# Debian packages the end-to-end tests drive: tmux (a real terminal) and chromium (browser mode, headless).
# Called by `make test`; installs only what is missing. Needs root or sudo (CI runs as root).
set -e
missing=""
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
echo "installing:$missing"
$SUDO apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
  $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends $missing >/dev/null
}
