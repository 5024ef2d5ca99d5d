#!/bin/sh
# Debian packages the tests drive: tmux (a real terminal), chromium (browser mode, headless) and postgresql (the
# shared store's tests start their own server with its initdb/pg_ctl, from /usr/lib/postgresql/N/bin).
# Called by `make test`; installs only what is missing. Needs root or sudo (CI runs as root).
set -e
missing=""
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
echo "installing:$missing"
$SUDO apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
  $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends $missing >/dev/null
}
