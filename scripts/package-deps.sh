#!/bin/sh
# Installs the Debian packages that building and checking SellerConnect's
# installers need, when they are missing (scripts/deps.sh installs the ones
# the app's own build and tests need). Safe to run again.
#
# Usage: scripts/package-deps.sh [linux] [windows] [check]   (no argument: all)
#   linux    tarball, .deb, .rpm: xz, objdump, ImageMagick for the icons
#   windows  mingw-w64 (cgo cross-compiler), NSIS, osslsigncode
#   check    what scripts/package-check.sh runs: lintian, rpmlint and rpm,
#            appstreamcli, desktop-file-validate, wine64 and Xvfb for the
#            Windows setup, 7z, openssl
set -eu

groups=${*:-linux windows check}
packages=""
for g in $groups; do
	case $g in
	linux) packages="$packages xz-utils binutils imagemagick file" ;;
	windows) packages="$packages gcc-mingw-w64-x86-64 nsis osslsigncode imagemagick" ;;
	check) packages="$packages lintian rpmlint rpm appstream desktop-file-utils wine64 xvfb
		p7zip-full openssl osslsigncode imagemagick file" ;;
	*)
		echo "package-deps.sh: unknown group $g (linux, windows, check)" >&2
		exit 2
		;;
	esac
done

missing=""
for p in $packages; do
	case " $missing " in *" $p "*) continue ;; esac
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
echo "Installing:$missing" >&2
$sudo apt-get update -qq
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
