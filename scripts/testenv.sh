#!/bin/sh
# Runs a command inside a private D-Bus session with an unlocked
# gnome-keyring (a real Secret Service for go-keyring) and a private Xvfb
# display (a real X server for Fyne windows). Both end with the command.
#   scripts/testenv.sh go test ./...
set -eu
if [ -z "${SELLERCONNECT_TESTENV_INNER:-}" ]; then
	SELLERCONNECT_TESTENV_INNER=1 exec dbus-run-session -- "$0" "$@"
fi

# The keyring is unlocked with a throwaway password; its files live in a
# temporary home so no real keyring is touched. Go's build cache stays
# where it was: it would otherwise follow XDG_CACHE_HOME and start cold.
if command -v go >/dev/null 2>&1; then
	GOCACHE=$(go env GOCACHE)
	export GOCACHE
fi
tmp=$(mktemp -d)
export XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
eval "$(printf 'sellerconnect-test' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL

display=""
for n in 99 98 97 96 95 94 93 92 91 90; do
	if [ ! -e "/tmp/.X$n-lock" ]; then display=":$n"; break; fi
done
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
export DISPLAY="$display"
i=0
while [ ! -e "/tmp/.X11-unix/X${display#:}" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

"$@"
