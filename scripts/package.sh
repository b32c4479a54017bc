#!/usr/bin/env bash
# Builds SellerConnect's installers into dist/:
#   sellerconnect-VERSION-linux-amd64.tar.xz   (fyne package: binary, .desktop, icon, Makefile)
#   sellerconnect_VERSION-1_amd64.deb          (nfpm)
#   sellerconnect-VERSION-1.x86_64.rpm         (nfpm)
#   SellerConnect-VERSION-windows-amd64-setup.exe (mingw-w64 + NSIS, per-user)
#   SHA256SUMS
# The macOS .app/.dmg need a Mac; .github/workflows/release.yml builds them.
#
# Usage: scripts/package.sh [linux] [windows]     (no argument: both)
#        scripts/package.sh sign FILE.exe...        (Authenticode-sign in place)
#
# Environment:
#   SIGN_CERT, SIGN_KEY   PEM (or DER) code-signing certificate (chain) and its
#                         private key; when both are set every Windows .exe is
#                         signed with osslsigncode (the app, the uninstaller,
#                         the setup).
#   SIGN_PASS_FILE        file holding the key's password, if it has one.
#   SIGN_TIMESTAMP_URL    RFC 3161 time-stamp server, e.g. http://timestamp.digicert.com
#                         (without it signatures expire with the certificate).
#   PACKAGE_SOURCE        "head" (default): package the committed tree, so a
#                         package always corresponds to a commit;
#                         "worktree": include uncommitted changes.
#   PACKAGE_DIST          output folder instead of dist/ (package-check builds a
#                         signed setup there).
#
# Installs what it needs (Debian packages, the fyne and nfpm tools) when missing.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DIST=${PACKAGE_DIST:-$ROOT/dist}
mkdir -p "$DIST"
DIST=$(cd "$DIST" && pwd)
WORK=$DIST/work

# Tool versions are pinned so a rebuild gives the same packages. nfpm v2.46+
# needs go.digitalxero.dev modules that the Go module proxy does not serve to
# every network, v2.45.2 builds from the proxy alone.
FYNE_TOOL_VERSION=v1.7.2
NFPM_VERSION=v2.45.2
TAGS=migrated_fynedo
# Same variable as the Makefile's LDFLAGS: `sellerconnect --version` prints it.
VERSION_VAR=github.com/sellerconnect/sellerconnect/cli.Version
MINGW_CC=x86_64-w64-mingw32-gcc
# fyne's release build compiles C with -D_FORTIFY_SOURCE=3
# -fstack-protector-strong; Debian's mingw-w64 runtime has no
# __stack_chk_fail/__chk_fail, libssp has. Linked statically: a plain -lssp
# picks libssp.dll.a and the exe would then need libssp-0.dll, which Windows
# does not have.
WIN_CGO_LDFLAGS="-static-libgcc -Wl,-Bstatic -lssp -Wl,-Bdynamic"

GOBIN_DIR=$(go env GOBIN)
[ -n "$GOBIN_DIR" ] || GOBIN_DIR=$(go env GOPATH)/bin
FYNE=$GOBIN_DIR/fyne
NFPM=$GOBIN_DIR/nfpm

log() { printf '==> %s\n' "$*" >&2; }
die() {
	printf 'package.sh: %s\n' "$*" >&2
	exit 1
}

# toml_details KEY [FILE]: a value of FyneApp.toml's [Details] table.
toml_details() {
	awk -v key="$1" '
		/^[ \t]*\[/ { section = $0; gsub(/[ \t]/, "", section); next }
		section == "[Details]" && $1 == key {
			sub(/^[^=]*=[ \t]*/, ""); sub(/[ \t]*(#.*)?$/, ""); gsub(/^"|"$/, ""); print; exit
		}' "${2:-FyneApp.toml}"
}

# ---------------------------------------------------------------- tools

# go_tool BINARY MODULE PACKAGE VERSION: go install unless that version is there.
go_tool() {
	local bin=$GOBIN_DIR/$1
	if [ -x "$bin" ] && go version -m "$bin" 2>/dev/null | grep -qE "^[[:space:]]+mod[[:space:]]+$2[[:space:]]+$4([[:space:]]|$)"; then
		return 0
	fi
	log "go install $3@$4"
	go install "$3@$4"
}

ensure_tools() {
	# The Linux build needs Fyne's cgo headers; deps.sh installs them.
	# package-deps.sh installs the packaging tools of each target.
	[ -x scripts/deps.sh ] && scripts/deps.sh
	scripts/package-deps.sh "${TARGETS[@]}"
	go_tool fyne fyne.io/tools fyne.io/tools/cmd/fyne "$FYNE_TOOL_VERSION"
	go_tool nfpm github.com/goreleaser/nfpm/v2 github.com/goreleaser/nfpm/v2/cmd/nfpm "$NFPM_VERSION"
}

convert_img() {
	if [ -x /usr/bin/convert ]; then /usr/bin/convert "$@"; else convert "$@"; fi
}

# ---------------------------------------------------------------- source

# snapshot copies the tree to package into $SRC: the build and fyne's
# temporary files (metadata init file, .syso, .ico) stay out of the checkout,
# where other builds might pick them up.
snapshot() {
	SRC=$WORK/src
	rm -rf "$SRC"
	mkdir -p "$SRC"
	local mode=${PACKAGE_SOURCE:-head}
	if ! git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		mode=copy
	fi
	case $mode in
	head)
		log "packaging commit $(git rev-parse --short HEAD)"
		if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
			log "uncommitted changes are not included (PACKAGE_SOURCE=worktree includes them)"
		fi
		git archive --format=tar HEAD | tar -x -C "$SRC"
		;;
	worktree)
		log "packaging the working tree"
		git ls-files -z -c -o --exclude-standard |
			tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -x -C "$SRC"
		;;
	copy)
		tar --exclude=./dist --exclude=./bin -cf - . | tar -x -C "$SRC"
		;;
	*) die "PACKAGE_SOURCE must be head or worktree, not $mode" ;;
	esac
	[ -f "$SRC/FyneApp.toml" ] || die "no FyneApp.toml in the packaged tree"
}

read_metadata() {
	VERSION=$(toml_details Version "$SRC/FyneApp.toml")
	BUILD=$(toml_details Build "$SRC/FyneApp.toml")
	APP_ID=$(toml_details ID "$SRC/FyneApp.toml")
	APP_NAME=$(toml_details Name "$SRC/FyneApp.toml")
	ICON=$SRC/$(toml_details Icon "$SRC/FyneApp.toml")
	HOMEPAGE=$(awk -F'"' '/^Website/ { print $2; exit }' "$SRC/FyneApp.toml")
	if [ -z "$VERSION" ] || [ -z "$APP_ID" ] || [ -z "$APP_NAME" ]; then
		die "FyneApp.toml lacks Version, ID or Name"
	fi
	[ -f "$ICON" ] || die "icon $ICON not found"
	: "${BUILD:=1}"
	# Windows wants four numbers: 1.2.3-rc1 with build 7 → 1.2.3.7.
	local core=${VERSION%%[-+]*}
	IFS=. read -r v1 v2 v3 _ <<<"$core"
	VERSION4="${v1:-0}.${v2:-0}.${v3:-0}.$BUILD"
	GO_VERSION_FLAGS="-ldflags=-X=$VERSION_VAR=$VERSION"
	log "$APP_NAME $VERSION (build $BUILD, id $APP_ID)"
}

# render TEMPLATE OUT: replaces @NAME@ placeholders with the metadata.
render() {
	sed -e "s|@APP_NAME@|$APP_NAME|g" -e "s|@APP_ID@|$APP_ID|g" -e "s|@VERSION@|$VERSION|g" \
		-e "s|@VERSION4@|$VERSION4|g" -e "s|@HOMEPAGE@|$HOMEPAGE|g" "$1" >"$2"
}

# ---------------------------------------------------------------- signing

signing_enabled() {
	if [ -n "${SIGN_CERT:-}" ] && [ -n "${SIGN_KEY:-}" ]; then
		[ -r "$SIGN_CERT" ] || die "SIGN_CERT $SIGN_CERT is not readable"
		[ -r "$SIGN_KEY" ] || die "SIGN_KEY $SIGN_KEY is not readable"
		return 0
	fi
	[ -z "${SIGN_CERT:-}${SIGN_KEY:-}" ] || die "set both SIGN_CERT and SIGN_KEY, or neither"
	return 1
}

# sign_exe FILE: Authenticode (SHA-256) signature in place.
sign_exe() {
	local f=$1 args=(sign -certs "$SIGN_CERT" -key "$SIGN_KEY" -h sha256
		-n "${APP_NAME:-SellerConnect}" -i "${HOMEPAGE:-https://sellerconnect.io}")
	[ -n "${SIGN_PASS_FILE:-}" ] && args+=(-readpass "$SIGN_PASS_FILE")
	[ -n "${SIGN_TIMESTAMP_URL:-}" ] && args+=(-ts "$SIGN_TIMESTAMP_URL")
	rm -f "$f.signed"
	osslsigncode "${args[@]}" -in "$f" -out "$f.signed" >/dev/null || die "signing $f failed"
	mv -f "$f.signed" "$f"
	log "signed $(basename "$f")"
}

# ---------------------------------------------------------------- linux

# third_party_licenses BINARY: the Go toolchain and every module linked into
# BINARY (from its build information), each with its licence text from the
# module cache.
third_party_licenses() {
	local modcache goroot path version dir lic lics
	modcache=$(go env GOMODCACHE)
	goroot=$(go env GOROOT)
	printf 'SellerConnect %s includes the following software, each under its own licence.\n' "$VERSION"
	printf '\n======================================================================\n'
	printf 'Go standard library and runtime, %s\n\n' "$(go env GOVERSION)"
	cat "$goroot/LICENSE"
	go version -m "$1" | awk '$1 == "dep" { print $2, $3 }' | sort |
		while read -r path version; do
			# The module cache spells capitals as !lower.
			dir=$modcache/$(sed 's/[A-Z]/!\L&/g' <<<"$path")@$version
			shopt -s nullglob nocaseglob
			lics=("$dir"/licen[cs]e* "$dir"/copying*)
			shopt -u nullglob nocaseglob
			[ ${#lics[@]} -gt 0 ] || die "no licence file for $path $version in $dir"
			printf '\n======================================================================\n'
			printf '%s %s\n' "$path" "$version"
			for lic in "${lics[@]}"; do
				printf '\n'
				cat "$lic"
			done
		done
}

package_linux() {
	local out=$WORK/linux
	rm -rf "$out"
	mkdir -p "$out"
	rm -f "$DIST"/sellerconnect-*-linux-*.tar.xz "$DIST"/sellerconnect_*.deb "$DIST"/sellerconnect-*.rpm

	# A position-independent executable, as Debian's and Fedora's hardening
	# expects (lintian hardening-no-pie, rpmlint
	# position-independent-executable-suggested).
	log "linux: building (cgo, PIE, release: -trimpath -s -w, tags $TAGS,release)"
	(cd "$SRC" && CGO_ENABLED=1 GOOS=linux GOARCH=amd64 GOFLAGS="$(go env GOFLAGS) -buildmode=pie $GO_VERSION_FLAGS" \
		"$FYNE" build --release --tags "$TAGS" -o "$out/sellerconnect")

	log "linux: fyne package tarball"
	(cd "$out" && "$FYNE" package --target linux --release --executable "$out/sellerconnect" \
		--src "$SRC" --name "$APP_NAME" --app-id "$APP_ID" --icon "$ICON" \
		--app-version "$VERSION" --app-build "$BUILD")
	mv "$out/$APP_NAME.tar.xz" "$DIST/sellerconnect-$VERSION-linux-amd64.tar.xz"

	# Icons for the hicolor theme and the desktop entry the packages install.
	local s
	for s in 16 32 48 64 128 256 512; do
		mkdir -p "$out/icons/${s}x${s}"
		convert_img "$ICON" -resize "${s}x${s}" -depth 8 "$out/icons/${s}x${s}/$APP_ID.png"
	done
	render "$SRC/packaging/linux/app.desktop.in" "$out/$APP_ID.desktop"
	if command -v desktop-file-validate >/dev/null; then
		desktop-file-validate "$out/$APP_ID.desktop"
	fi
	# AppStream metadata for software centres (package-check validates it).
	render "$SRC/packaging/linux/metainfo.xml.in" "$out/$APP_ID.metainfo.xml"
	if command -v appstreamcli >/dev/null; then
		appstreamcli validate --no-net --explain "$out/$APP_ID.metainfo.xml" >&2 ||
			die "appstreamcli validate rejects packaging/linux/metainfo.xml.in"
	fi
	gzip -9 -n -c "$SRC/packaging/linux/sellerconnect.1" >"$out/sellerconnect.1.gz"
	cp "$SRC/packaging/linux/copyright" "$out/copyright"
	third_party_licenses "$out/sellerconnect" >"$out/third-party-licenses.txt"

	# The highest glibc symbol version the binary uses is the minimum glibc.
	local glibc
	glibc=$(objdump -T "$out/sellerconnect" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
	[ -n "$glibc" ] || die "could not read the glibc versions the binary needs"

	log "linux: .deb and .rpm (nfpm), needs glibc >= $glibc"
	local f
	for f in deb rpm; do
		(cd "$SRC" && PKG_VERSION=$VERSION PKG_ARCH=amd64 PKG_HOMEPAGE=$HOMEPAGE PKG_DIR=$out APP_ID=$APP_ID \
			GLIBC_MIN=$glibc "$NFPM" package --config packaging/nfpm.yaml \
			--packager "$f" --target "$DIST/" >/dev/null)
	done
}

# ---------------------------------------------------------------- windows

package_windows() {
	local out=$WORK/windows
	rm -rf "$out"
	mkdir -p "$out"
	rm -f "$DIST"/*-windows-*-setup.exe

	# fyne package embeds an icon, version information and the manifest it
	# finds next to the executable it builds (our manifest: asInvoker,
	# per-monitor DPI, long paths, UTF-8, common controls 6).
	render "$SRC/packaging/windows/app.manifest.in" "$SRC/sellerconnect.exe.manifest"
	log "windows: cross-building with $MINGW_CC (GUI subsystem, release: -trimpath -s -w)"
	(cd "$SRC" && CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=$MINGW_CC CXX=x86_64-w64-mingw32-g++ \
		CGO_LDFLAGS="$WIN_CGO_LDFLAGS" GOFLAGS="$(go env GOFLAGS) $GO_VERSION_FLAGS" \
		"$FYNE" package --target windows --release --tags "$TAGS" \
		--name "$APP_NAME" --app-id "$APP_ID" --icon "$ICON" --app-version "$VERSION" --app-build "$BUILD")
	mv "$SRC/$APP_NAME.exe" "$out/$APP_NAME.exe"
	rm -f "$SRC/sellerconnect.exe"

	# Only Windows' own DLLs may be imported, or the exe will not start on a
	# clean machine.
	local dlls
	dlls=$(x86_64-w64-mingw32-objdump -p "$out/$APP_NAME.exe" | awk '/DLL Name:/ { print tolower($3) }' | sort -u)
	if grep -E '^(libssp|libgcc|libwinpthread|libstdc)' <<<"$dlls"; then
		die "the exe imports MinGW runtime DLLs (above) that Windows does not ship"
	fi

	convert_img "$ICON" -define icon:auto-resize=256,64,48,32,16 "$out/$APP_NAME.ico"

	local sign_args=()
	if signing_enabled; then
		sign_exe "$out/$APP_NAME.exe"
		# makensis signs the uninstaller it generates through this command.
		sign_args=(-DSIGN_CMD="$ROOT/scripts/package.sh sign")
	fi

	local setup=$DIST/$APP_NAME-$VERSION-windows-amd64-setup.exe
	log "windows: NSIS installer"
	makensis -V2 -INPUTCHARSET UTF8 \
		-DAPP_NAME="$APP_NAME" -DAPP_ID="$APP_ID" -DVERSION="$VERSION" -DVERSION4="$VERSION4" \
		-DHOMEPAGE="$HOMEPAGE" -DAPP_EXE="$out/$APP_NAME.exe" -DAPP_ICON="$out/$APP_NAME.ico" \
		-DOUTFILE="$setup" "${sign_args[@]}" "$SRC/packaging/windows/installer.nsi"
	if signing_enabled; then sign_exe "$setup"; fi
}

# ---------------------------------------------------------------- main

write_sums() {
	(
		cd "$DIST"
		rm -f SHA256SUMS
		find . -maxdepth 1 -type f ! -name 'SHA256SUMS*' ! -name '.*' -printf '%f\n' | sort |
			xargs -r sha256sum -- >../.SHA256SUMS.tmp
		mv ../.SHA256SUMS.tmp SHA256SUMS
	)
	log "dist/SHA256SUMS:"
	sed 's/^/    /' "$DIST/SHA256SUMS" >&2
}

if [ "${1:-}" = sign ]; then
	shift
	[ $# -gt 0 ] || die "usage: scripts/package.sh sign FILE.exe..."
	signing_enabled || die "sign needs SIGN_CERT and SIGN_KEY"
	for f in "$@"; do sign_exe "$f"; done
	exit 0
fi

TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(linux windows)
for t in "${TARGETS[@]}"; do
	case $t in linux | windows) ;; *) die "unknown target $t (linux, windows)" ;; esac
done

start=$SECONDS
ensure_tools
mkdir -p "$WORK"
snapshot
read_metadata
for t in "${TARGETS[@]}"; do
	t0=$SECONDS
	"package_$t"
	log "$t: done in $((SECONDS - t0)) s"
done
rm -rf "$SRC"
write_sums
log "packages built in $((SECONDS - start)) s:"
(cd "$DIST" && cut -d' ' -f3- SHA256SUMS | xargs -r -d '\n' ls -l --block-size=K --) | sed 's/^/    /' >&2
