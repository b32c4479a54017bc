#!/bin/sh
# Installs the Debian packages that building SellerConnect (Fyne, cgo) and
# running its tests (a real Secret Service, a real X display) need, when they
# are missing. Safe to run again: it installs nothing that is already there.
set -eu

packages="gcc pkg-config libgl1-mesa-dev libxcursor-dev libxrandr-dev libxinerama-dev
libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev xvfb xdotool imagemagick
gnome-keyring dbus dbus-x11 xdg-utils"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "These packages are needed but this is not a Debian-like system:$missing" >&2
	echo "Install their equivalents with your package manager, then run make again." >&2
	exit 1
fi
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing:$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
