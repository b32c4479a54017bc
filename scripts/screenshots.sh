#!/bin/sh
# PNGs of the real SellerConnect window (Fyne's OpenGL driver on a private
# Xvfb, see scripts/testenv.sh), on the fixture's accounts in every state,
# in the light and dark themes, into docs/screenshots/ (or the folder given).
#   scripts/screenshots.sh [folder]
set -eu
cd "$(dirname "$0")/.."
out=${1:-docs/screenshots}
command -v import >/dev/null 2>&1 || { echo "screenshots: ImageMagick's import is needed (make deps)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
go build -tags migrated_fynedo -o "$tmp/shots" ./ui/internal/shots
mkdir -p "$out"
for theme in light dark; do
	scripts/testenv.sh "$tmp/shots" -out "$out" -theme "$theme" 2>"$tmp/log" || { cat "$tmp/log" >&2; exit 1; }
done
