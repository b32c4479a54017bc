#!/usr/bin/env bash
# Checks the installers `make package` left in dist/:
#   .deb      lintian (no errors; the warnings kept are LINTIAN_KEPT below and
#             in the README), copyright and changelog; installed with dpkg -i
#             (apt-get install -f for missing dependencies), `sellerconnect
#             --version` run from the installed path, desktop entry, icons,
#             man page and AppStream metainfo (appstreamcli validate, and
#             found by `appstreamcli get` as software centres find it), then
#             purged and every installed file checked gone;
#   .rpm      rpmlint (no errors), metadata, changelog and file list;
#   tarball   file list, and the binary inside prints the version;
#   setup.exe run under wine64 in a throwaway WINEPREFIX on a private Xvfb
#             display: silent install (files, Start-menu shortcut, uninstaller
#             registered under HKCU), a second install over the first
#             (the previous version's uninstaller runs first), silent
#             uninstall leaving nothing of the program but the seller's data
#             directory (PACKAGE_CHECK_WINE=0 skips it). The installed app is
#             not started: Go programs need bcryptprimitives.dll, which Wine 8
#             lacks; the release workflow runs it on a Windows runner.
#             Signed with a throwaway self-signed code-signing certificate
#             through `scripts/package.sh sign`, then `osslsigncode verify`
#             against that certificate; an unsigned and a tampered copy must
#             fail verification.
#             A second Windows build with SIGN_CERT/SIGN_KEY set (into a
#             scratch folder) checks that the app inside the setup is signed
#             too and that the uninstaller was signed while the setup was
#             made (PACKAGE_CHECK_SIGNED_BUILD=0 skips it).
# Prints each check; exits non-zero on the first failure. Installs the tools
# it runs with scripts/package-deps.sh.
#
# Needs root (or sudo) for dpkg. Refuses to run when sellerconnect is already
# installed from a package, so it never removes an installation it did not
# make.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DIST=$ROOT/dist

pass=0
ok() {
	pass=$((pass + 1))
	printf '  ok   %s\n' "$*"
}
fail() {
	printf '  FAIL %s\n' "$*" >&2
	exit 1
}
section() { printf '\n== %s\n' "$*"; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	printf '  ..   installing: %s\n' "${missing[*]}"
	$SUDO apt-get update -qq >/dev/null 2>&1 || true
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
		>"$TMP/apt.log" 2>&1 || { cat "$TMP/apt.log" >&2; fail "apt-get install ${missing[*]} failed"; }
}

toml_details() {
	awk -v key="$1" '
		/^[ \t]*\[/ { section = $0; gsub(/[ \t]/, "", section); next }
		section == "[Details]" && $1 == key {
			sub(/^[^=]*=[ \t]*/, ""); sub(/[ \t]*(#.*)?$/, ""); gsub(/^"|"$/, ""); print; exit
		}' FyneApp.toml
}

# one GLOB: the single file matching it in dist/.
one() {
	local matches=()
	shopt -s nullglob
	# shellcheck disable=SC2206 # $1 is a glob
	matches=("$DIST"/$1)
	shopt -u nullglob
	[ ${#matches[@]} -eq 1 ] || fail "expected one dist/$1, found ${#matches[@]} (run make package)"
	printf '%s\n' "${matches[0]}"
}

TMP=$(mktemp -d)
INSTALLED_BY_US=0
XVFB_PID=""
WINE_STARTED=0
cleanup() {
	if [ "$INSTALLED_BY_US" = 1 ]; then
		$SUDO dpkg --purge sellerconnect >/dev/null 2>&1 || true
	fi
	if [ "$WINE_STARTED" = 1 ]; then
		WINEPREFIX=$TMP/wine "$WINESERVER" -k >/dev/null 2>&1 || true
	fi
	if [ -n "$XVFB_PID" ]; then
		kill "$XVFB_PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

start=$SECONDS
VERSION=$(toml_details Version)
APP_ID=$(toml_details ID)
APP_NAME=$(toml_details Name)
if [ -z "$VERSION" ] || [ -z "$APP_ID" ] || [ -z "$APP_NAME" ]; then
	fail "FyneApp.toml lacks Version, ID or Name"
fi
printf 'Checking %s %s (%s) packages in dist/\n' "$APP_NAME" "$VERSION" "$APP_ID"

section "tools"
"$ROOT/scripts/package-deps.sh" check || fail "scripts/package-deps.sh check could not install the checking tools"
ok "lintian $(lintian --version | awk '{print $2}'), rpmlint $(rpmlint --version 2>/dev/null | head -1), $(appstreamcli --version | head -1), $(/usr/lib/wine/wine64 --version 2>/dev/null || wine64 --version)"

DEB=$(one "sellerconnect_${VERSION}-*_amd64.deb")
RPM=$(one "sellerconnect-${VERSION}-*.x86_64.rpm")
TARBALL=$(one "sellerconnect-${VERSION}-linux-amd64.tar.xz")
SETUP=$(one "${APP_NAME}-${VERSION}-windows-amd64-setup.exe")

section "SHA256SUMS"
[ -f "$DIST/SHA256SUMS" ] || fail "dist/SHA256SUMS missing"
(cd "$DIST" && sha256sum --quiet -c SHA256SUMS) || fail "dist/SHA256SUMS does not match the files"
for f in "$DEB" "$RPM" "$TARBALL" "$SETUP"; do
	grep -q " $(basename "$f")\$" "$DIST/SHA256SUMS" || fail "$(basename "$f") is not in SHA256SUMS"
done
ok "SHA256SUMS lists and matches $(wc -l <"$DIST/SHA256SUMS") files"

# ------------------------------------------------------------------- .deb

section "deb: $(basename "$DEB")"
command -v dpkg >/dev/null || fail "dpkg not found: the .deb check needs a Debian-like system"
if dpkg-query -W -f='${Status}' sellerconnect 2>/dev/null | grep -q "ok installed"; then
	fail "sellerconnect is already installed from a package; remove it first (dpkg -r sellerconnect)"
fi
[ ! -e /usr/bin/sellerconnect ] || fail "/usr/bin/sellerconnect exists but belongs to no package; remove it first"

deb_version=$(dpkg-deb -f "$DEB" Version)
[ "${deb_version%-*}" = "$VERSION" ] || fail "deb Version is $deb_version, FyneApp.toml says $VERSION"
ok "control Version $deb_version"
depends=$(dpkg-deb -f "$DEB" Depends)
for lib in libc6 libgl1 libx11-6 libxkbcommon0; do
	grep -qw -- "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
ok "Depends: $depends"

dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$TMP/deb-contents"
for f in /usr/share/doc/sellerconnect/copyright /usr/share/doc/sellerconnect/changelog.Debian.gz \
	/usr/share/doc/sellerconnect/third-party-licenses.txt "/usr/share/metainfo/$APP_ID.metainfo.xml" \
	/usr/share/man/man1/sellerconnect.1.gz; do
	grep -qxF "$f" "$TMP/deb-contents" || fail "the .deb lacks $f"
done
ok "dpkg-deb -c: copyright, changelog.Debian.gz, third-party licences, metainfo, man page"

# lintian: no errors; a warning fails unless it is one of these, each
# explained in the README's Install section.
#   initial-upload-closes-no-bugs: Debian's archive wants a first upload to
#   close an intent-to-package bug; this package is not uploaded to Debian.
LINTIAN_KEPT=(initial-upload-closes-no-bugs)
lintian --tag-display-limit 0 "$DEB" >"$TMP/lintian.log" 2>"$TMP/lintian.err" || true
grep -v 'running with root privileges' "$TMP/lintian.err" >&2 || true
if grep -qE '^[EW]: ' "$TMP/lintian.log"; then
	sed 's/^/       /' "$TMP/lintian.log"
fi
grep -q '^E: ' "$TMP/lintian.log" && fail "lintian reports errors (above)"
unexpected=""
while read -r tag; do
	[ -n "$tag" ] || continue
	printf '%s\n' "${LINTIAN_KEPT[@]}" | grep -qxF "$tag" || unexpected="$unexpected $tag"
done < <(sed -n 's/^W: [^:]*: \([^ ]*\).*/\1/p' "$TMP/lintian.log" | sort -u)
[ -z "$unexpected" ] || fail "lintian warnings not in LINTIAN_KEPT (and the README):$unexpected"
nwarn=$(grep -c '^W: ' "$TMP/lintian.log" || true)
ok "lintian $(basename "$DEB"): 0 errors, $nwarn warnings${LINTIAN_KEPT:+ (kept: ${LINTIAN_KEPT[*]})}"

INSTALLED_BY_US=1
if ! $SUDO dpkg -i "$DEB" >"$TMP/dpkg.log" 2>&1; then
	printf '  ..   dpkg -i left dependencies unresolved, apt-get install -f\n'
	$SUDO apt-get update -qq >/dev/null 2>&1 || true
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -f -y -qq >>"$TMP/dpkg.log" 2>&1 ||
		{ cat "$TMP/dpkg.log" >&2; fail "apt-get install -f could not satisfy the dependencies"; }
fi
dpkg-query -W -f='${Status}' sellerconnect 2>/dev/null | grep -q "ok installed" ||
	{ cat "$TMP/dpkg.log" >&2; fail "sellerconnect is not installed after dpkg -i"; }
ok "dpkg -i installed sellerconnect $(dpkg-query -W -f='${Version}' sellerconnect)"

dpkg -L sellerconnect >"$TMP/files"
installed_files=()
while IFS= read -r f; do
	[ -f "$f" ] && installed_files+=("$f")
done <"$TMP/files"
[ ${#installed_files[@]} -gt 0 ] || fail "dpkg -L lists no files"

bin=$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v sellerconnect || true)
[ "$bin" = /usr/bin/sellerconnect ] || fail "sellerconnect resolves to '$bin' on the system PATH, not /usr/bin/sellerconnect"
grep -qx /usr/bin/sellerconnect "$TMP/files" || fail "/usr/bin/sellerconnect is not owned by the package"
out=$("$bin" --version 2>&1) || fail "$bin --version failed: $out"
[ "$out" = "sellerconnect $VERSION" ] || fail "$bin --version printed '$out', want 'sellerconnect $VERSION'"
ok "$bin --version: $out"
if command -v ldd >/dev/null; then
	if ldd "$bin" | grep -q 'not found'; then
		ldd "$bin" | grep 'not found' >&2
		fail "$bin has unresolved libraries although the dependencies are installed"
	fi
	ok "ldd $bin: every library resolved"
fi

desktop=$(grep -E '^/usr/share/applications/[^/]+\.desktop$' "$TMP/files" || true)
if [ -z "$desktop" ] || [ "$(wc -l <<<"$desktop")" -ne 1 ]; then
	fail "expected one desktop entry in /usr/share/applications, found: '$desktop'"
fi
[ -f "$desktop" ] || fail "$desktop is listed but not on disk"
[ "$(basename "$desktop")" = "$APP_ID.desktop" ] || fail "desktop entry is $(basename "$desktop"), want $APP_ID.desktop"
apt_install desktop-file-utils
desktop-file-validate "$desktop" || fail "desktop-file-validate rejects $desktop"
ok "desktop-file-validate $desktop"
entry() { sed -n "/^\[Desktop Entry\]/,/^\[/ s/^$1=//p" "$desktop" | head -1; }
exec_line=$(entry Exec)
exec_cmd=${exec_line%% *}
exec_path=$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v "$exec_cmd" || true)
[ "$exec_path" = "$bin" ] || fail "Exec=$exec_line resolves to '$exec_path', not $bin"
ok "Exec=$exec_line resolves to $exec_path"
icon=$(entry Icon)
[ -n "$icon" ] || fail "$desktop has no Icon"
case $icon in
/*) icons=("$icon") ;;
*)
	shopt -s nullglob
	icons=(/usr/share/icons/hicolor/*/apps/"$icon".png /usr/share/icons/hicolor/scalable/apps/"$icon".sv[g])
	shopt -u nullglob
	;;
esac
[ ${#icons[@]} -gt 0 ] || fail "Icon=$icon resolves to no file in the hicolor theme"
sizes=""
for i in "${icons[@]}"; do
	[ -s "$i" ] || fail "icon $i is empty or missing"
	grep -qxF "$i" "$TMP/files" || fail "icon $i is not owned by the package"
	dir=$(basename "$(dirname "$(dirname "$i")")")
	if [[ $dir =~ ^([0-9]+)x([0-9]+)$ ]] && command -v identify >/dev/null; then
		got=$(identify -format '%wx%h' "${i}[0]")
		[ "$got" = "$dir" ] || fail "$i is $got, its folder says $dir"
	fi
	sizes="$sizes $dir"
done
for want in 48x48 256x256; do
	grep -qw "$want" <<<"$sizes" || fail "no ${want} icon installed (desktops look it up)"
done
ok "Icon=$icon installed in hicolor:$sizes"

# Changelog and copyright where Debian keeps them.
doc=/usr/share/doc/sellerconnect
[ -s "$doc/copyright" ] || fail "$doc/copyright missing"
head -1 "$doc/copyright" | grep -q '^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' ||
	fail "$doc/copyright is not in the machine-readable format"
ok "$doc/copyright (machine-readable; $(grep -c '^=====' "$doc/third-party-licenses.txt") bundled components with their licences in third-party-licenses.txt)"
first=$(zcat "$doc/changelog.Debian.gz" | head -1)
[[ $first == "sellerconnect ($deb_version) "* ]] || fail "changelog.Debian.gz starts '$first', want sellerconnect ($deb_version)"
ok "changelog.Debian.gz: $first"
man_page=$(man -w sellerconnect 2>/dev/null || true)
[ "$man_page" = /usr/share/man/man1/sellerconnect.1.gz ] || fail "man -w sellerconnect gives '$man_page'"
MANWIDTH=80 man --warnings -l "$man_page" 2>"$TMP/man.err" >/dev/null
[ ! -s "$TMP/man.err" ] || { cat "$TMP/man.err" >&2; fail "groff warns about $man_page"; }
ok "man sellerconnect: $man_page, no groff warnings"

# AppStream metadata, installed beside the desktop entry.
metainfo=/usr/share/metainfo/$APP_ID.metainfo.xml
grep -qxF "$metainfo" "$TMP/files" || fail "$metainfo is not owned by the package"
appstreamcli validate --no-net --explain "$metainfo" >"$TMP/appstream.log" 2>&1 ||
	{ cat "$TMP/appstream.log" >&2; fail "appstreamcli validate rejects $metainfo"; }
ok "appstreamcli validate --no-net $metainfo: $(tail -1 "$TMP/appstream.log")"
launchable=$(sed -n 's|.*<launchable type="desktop-id">\(.*\)</launchable>.*|\1|p' "$metainfo")
[ "$launchable" = "$(basename "$desktop")" ] || fail "metainfo launchable is '$launchable', the desktop entry is $(basename "$desktop")"
release=$(grep -o '<release version="[^"]*"' "$metainfo" | head -1 | cut -d'"' -f2)
[ "$release" = "$VERSION" ] || fail "metainfo's newest <release> is '$release', want $VERSION (packaging/linux/metainfo.xml.in)"
ok "metainfo: launchable $launchable, newest release $release"
nshots=0
while read -r w h url; do
	nshots=$((nshots + 1))
	[[ $url == https://* ]] || fail "screenshot $url is not https"
	[[ $url == */v$VERSION/docs/screenshots/* ]] || fail "screenshot $url is not at the v$VERSION tag's docs/screenshots"
	png=$ROOT/docs/screenshots/${url##*/}
	[ -f "$png" ] || fail "screenshot $url: no ${png#"$ROOT"/} in the tree"
	got=$(identify -format '%wx%h' "$png")
	[ "$got" = "${w}x${h}" ] || fail "screenshot ${png#"$ROOT"/} is $got, the metainfo says ${w}x${h}"
done < <(sed -n 's|.*<image [^>]*width="\([0-9]*\)" height="\([0-9]*\)"[^>]*>\(.*\)</image>.*|\1 \2 \3|p' "$metainfo")
[ "$nshots" -gt 0 ] || fail "metainfo has no screenshot"
ok "metainfo: $nshots screenshots, each an https address of a PNG in docs/screenshots at tag v$VERSION, sizes as declared"
# Software centres read installed metainfo through the AppStream pool.
appstreamcli refresh-cache --force >/dev/null 2>&1 || true
appstreamcli get "$APP_ID" >"$TMP/as-get.log" 2>&1 || { cat "$TMP/as-get.log" >&2; fail "appstreamcli get $APP_ID does not find the installed app"; }
grep -q "Name: $APP_NAME" "$TMP/as-get.log" || { cat "$TMP/as-get.log" >&2; fail "appstreamcli get $APP_ID: no 'Name: $APP_NAME'"; }
ok "appstreamcli get $APP_ID: $(grep -m1 '^Summary:' "$TMP/as-get.log")"

$SUDO dpkg --purge sellerconnect >"$TMP/purge.log" 2>&1 || { cat "$TMP/purge.log" >&2; fail "dpkg --purge failed"; }
INSTALLED_BY_US=0
if dpkg-query -W -f='${Status}' sellerconnect 2>/dev/null | grep -q "installed"; then
	fail "sellerconnect still known to dpkg after purge"
fi
left=()
for f in "${installed_files[@]}"; do
	[ -e "$f" ] && left+=("$f")
done
[ ${#left[@]} -eq 0 ] || fail "left behind after purge: ${left[*]}"
ok "dpkg --purge removed all ${#installed_files[@]} installed files"
appstreamcli refresh-cache --force >/dev/null 2>&1 || true

# ------------------------------------------------------------------- .rpm

section "rpm: $(basename "$RPM")"
rpm_files=$TMP/rpm-files
if ! command -v rpm >/dev/null; then
	apt_install rpm || true
fi
if command -v rpm >/dev/null; then
	q() { rpm -qp --nosignature "$@" "$RPM" 2>/dev/null; }
	rpm_version=$(q --qf '%{VERSION}')
	[ "$rpm_version" = "$VERSION" ] || fail "rpm VERSION is $rpm_version, want $VERSION"
	[ "$(q --qf '%{ARCH}')" = x86_64 ] || fail "rpm ARCH is $(q --qf '%{ARCH}'), want x86_64"
	ok "rpm -qp: $(q --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}')"
	requires=$(q --requires | grep -v '^rpmlib(' | tr '\n' ' ')
	for lib in 'glibc' 'libGL.so.1()(64bit)' 'libX11.so.6()(64bit)' 'libxkbcommon.so.0()(64bit)'; do
		grep -qF -- "$lib" <<<"$requires" || fail "rpm Requires lacks $lib: $requires"
	done
	ok "Requires: $requires"
	q -l >"$rpm_files"
	lister="rpm -qpl"
	q --changelog | head -1 | grep -q -- "- $VERSION-" || fail "rpm %changelog's newest entry is not $VERSION: $(q --changelog | head -1)"
	ok "rpm %changelog: $(q --changelog | head -1)"
	if command -v rpmlint >/dev/null; then
		# rpmlint unpacks with `rpm2cpio | cpio -id` in a scratch folder, but
		# nfpm's archive holds absolute paths (/usr/bin/...), which GNU cpio
		# would write to the real / : a cpio first on PATH keeps them inside.
		mkdir -p "$TMP/rpmlint-bin" "$TMP/rpmlint-tmp"
		printf '#!/bin/sh\nexec %s --no-absolute-filenames "$@"\n' "$(command -v cpio)" >"$TMP/rpmlint-bin/cpio"
		chmod +x "$TMP/rpmlint-bin/cpio"
		rpmlint_rc=0
		(cd "$TMP/rpmlint-tmp" && TMPDIR=$TMP/rpmlint-tmp PATH=$TMP/rpmlint-bin:$PATH \
			rpmlint -c "$ROOT/packaging/rpmlint.toml" "$RPM") >"$TMP/rpmlint.log" 2>&1 || rpmlint_rc=$?
		while read -r f; do
			[ ! -e "$f" ] || fail "rpmlint's unpacking wrote $f outside its scratch folder"
		done <"$rpm_files"
		sed -n '/: [EW]: /s/^/       /p' "$TMP/rpmlint.log"
		summary=$(grep -E 'packages and [0-9]+ specfiles checked' "$TMP/rpmlint.log" | tail -1 | sed 's/^ *//; s/ *$//')
		[ -n "$summary" ] || { cat "$TMP/rpmlint.log" >&2; fail "rpmlint did not run"; }
		if grep -q ': E: ' "$TMP/rpmlint.log" || [ "$rpmlint_rc" -ne 0 ]; then
			fail "rpmlint reports errors (above; exit $rpmlint_rc)"
		fi
		# Warnings kept (also in the README):
		#   no-manual-page-for-binary: rpmlint 2.4 records a man page's
		#   section (1) instead of its name, so it warns although
		#   /usr/share/man/man1/sellerconnect.1.gz is in the package.
		RPMLINT_KEPT=(no-manual-page-for-binary)
		unexpected=""
		while read -r tag; do
			printf '%s\n' "${RPMLINT_KEPT[@]}" | grep -qxF "$tag" || unexpected="$unexpected $tag"
		done < <(sed -n 's/^[^ ]*: W: \([^ ]*\).*/\1/p' "$TMP/rpmlint.log" | sort -u)
		[ -z "$unexpected" ] || fail "rpmlint warnings not in RPMLINT_KEPT (and the README):$unexpected"
		ok "rpmlint -c packaging/rpmlint.toml: $summary${RPMLINT_KEPT:+ (kept: ${RPMLINT_KEPT[*]})}"
	fi
else
	apt_install libarchive-tools
	bsdtar -tf "$RPM" | sed 's|^\./|/|' >"$rpm_files"
	lister="bsdtar -tf"
fi
for f in /usr/bin/sellerconnect "/usr/share/applications/$APP_ID.desktop" \
	"/usr/share/metainfo/$APP_ID.metainfo.xml" /usr/share/man/man1/sellerconnect.1.gz \
	/usr/share/licenses/sellerconnect/copyright \
	"/usr/share/icons/hicolor/48x48/apps/$APP_ID.png" "/usr/share/icons/hicolor/256x256/apps/$APP_ID.png"; do
	grep -qxF "$f" "$rpm_files" || fail "$lister: $f missing"
done
ok "$lister lists the binary, desktop entry, metainfo, man page, licence and $(grep -c "/apps/$APP_ID.png\$" "$rpm_files") icons"

# ------------------------------------------------------------------- tarball

section "tarball: $(basename "$TARBALL")"
tar -tJf "$TARBALL" >"$TMP/tar-files" || fail "tar cannot read $TARBALL"
top=$(head -1 "$TMP/tar-files" | cut -d/ -f1)
for f in Makefile usr/local/bin/sellerconnect "usr/local/share/applications/$APP_ID.desktop" \
	"usr/local/share/pixmaps/$APP_ID.png"; do
	grep -qxF "$top/$f" "$TMP/tar-files" || fail "tarball lacks $top/$f"
done
ok "tar -tJf: $top/{Makefile, usr/local/bin/sellerconnect, .desktop, pixmaps icon}"
mkdir "$TMP/tar"
tar -xJf "$TARBALL" -C "$TMP/tar"
out=$("$TMP/tar/$top/usr/local/bin/sellerconnect" --version 2>&1) || fail "tarball binary --version failed: $out"
[ "$out" = "sellerconnect $VERSION" ] || fail "tarball binary prints '$out', want 'sellerconnect $VERSION'"
ok "tarball binary --version: $out"
file "$TMP/tar/$top/usr/local/bin/sellerconnect" | grep -q ', stripped' || fail "tarball binary is not stripped"
ok "tarball binary is stripped"

# ------------------------------------------------------------------- wine

WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver64
command -v wine64 >/dev/null && [ ! -x "$WINE" ] && WINE=$(command -v wine64)
command -v wineserver >/dev/null && [ ! -x "$WINESERVER" ] && WINESERVER=$(command -v wineserver)

# w ARGS...: runs a Windows program in the throwaway prefix, on the private
# display, with Wine's desktop integration (menu entries, file associations
# in the real $HOME) and its Mono/Gecko installers switched off.
w() {
	WINEPREFIX=$TMP/wine HOME=$TMP/wine-home DISPLAY=$WINE_DISPLAY WINEDEBUG=-all WINEARCH=win64 \
		WINEDLLOVERRIDES="winemenubuilder.exe=d;mscoree=d;mshtml=d" timeout 300 "$WINE" "$@"
}
# wwait: waits until every program in the prefix has exited (an NSIS
# uninstaller copies itself to %TEMP% and runs from there).
wwait() { WINEPREFIX=$TMP/wine timeout 300 "$WINESERVER" -w; }
# wval KEY NAME: a registry value, or nothing.
wval() {
	w reg query "$1" /v "$2" 2>/dev/null | tr -d '\r' |
		awk -v n="$2" '$1 == n && $2 ~ /^REG_/ { sub(/^[ \t]*[^ \t]+[ \t]+REG_[A-Z_]+[ \t]*/, ""); print; exit }'
}
# wpath WINDOWS-PATH: the same path on this side.
wpath() { w winepath.exe -u "$1" 2>/dev/null | tr -d '\r'; }
wenv() { w cmd.exe /c echo "%$1%" 2>/dev/null | tr -d '\r'; }

wine_section() {
	section "windows: install, upgrade and uninstall under wine64"
	local t0=$SECONDS n
	[ -x "$WINE" ] || fail "wine64 not found (scripts/package-deps.sh check installs it)"
	file -b "$SETUP" | grep -q 'PE32+ executable.*x86-64' ||
		fail "the setup is '$(file -b "$SETUP")', not a 64-bit PE (wine64 runs 64-bit setups only)"
	ok "setup is a 64-bit PE: $(file -b "$SETUP" | cut -d, -f1)"

	# A private X display: never the user's, never another check's.
	n=90
	while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
	Xvfb ":$n" -screen 0 1024x768x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
	XVFB_PID=$!
	WINE_DISPLAY=:$n
	for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
	[ -e "/tmp/.X11-unix/X$n" ] || { cat "$TMP/xvfb.log" >&2; fail "Xvfb :$n did not start"; }

	mkdir -p "$TMP/wine-home"
	WINE_STARTED=1
	w wineboot.exe --init >"$TMP/wineboot.log" 2>&1 || { tail -20 "$TMP/wineboot.log" >&2; fail "wineboot --init failed"; }
	wwait
	ok "throwaway WINEPREFIX ($("$WINE" --version)) on Xvfb $WINE_DISPLAY ready in $((SECONDS - t0)) s"

	local localappdata appdata instdir_win instdir startmenu lnk key data
	localappdata=$(wenv LOCALAPPDATA)
	appdata=$(wenv APPDATA)
	[ -n "$localappdata" ] && [ -n "$appdata" ] || fail "cannot read %LOCALAPPDATA% and %APPDATA% in the prefix"
	instdir_win="$localappdata\\Programs\\$APP_NAME"
	instdir=$(wpath "$instdir_win")
	startmenu=$(wpath "$appdata\\Microsoft\\Windows\\Start Menu\\Programs")
	lnk=$startmenu/$APP_NAME.lnk
	data=$(wpath "$appdata\\$APP_NAME")
	key="HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\$APP_ID"
	(cd "$TMP/wine" && find . | sort) >"$TMP/wine-before"

	# The app the setup carries, to compare with what it installs.
	mkdir -p "$TMP/setup-app"
	7z x -y -o"$TMP/setup-app" "$SETUP" "$APP_NAME.exe" >"$TMP/7z-app.log" 2>&1 ||
		{ cat "$TMP/7z-app.log" >&2; fail "7z could not extract $APP_NAME.exe from the setup"; }

	# installed WHAT: the files, shortcut and registration a good install has.
	installed() {
		[ -d "$instdir" ] || fail "$1: no $instdir_win"
		local files
		files=$(cd "$instdir" && find . -mindepth 1 | sed 's|^\./||' | sort | tr '\n' ' ')
		[ "$files" = "$APP_NAME.exe uninstall.exe " ] || fail "$1: $instdir_win holds '$files', want $APP_NAME.exe uninstall.exe"
		cmp -s "$instdir/$APP_NAME.exe" "$TMP/setup-app/$APP_NAME.exe" || fail "$1: the installed $APP_NAME.exe differs from the one in the setup"
		file -b "$instdir/$APP_NAME.exe" | grep -q 'PE32+ executable (GUI) x86-64' ||
			fail "$1: installed $APP_NAME.exe is '$(file -b "$instdir/$APP_NAME.exe")'"
		ok "$1: $instdir_win holds $APP_NAME.exe (the setup's, PE32+ GUI x86-64) and uninstall.exe"
		[ -s "$lnk" ] || fail "$1: no Start-menu shortcut $lnk"
		strings -a -el "$lnk" | grep -qiF "$APP_NAME.exe" || strings -a "$lnk" | grep -qiF "\\$APP_NAME.exe" ||
			fail "$1: the Start-menu shortcut does not point at $APP_NAME.exe"
		ok "$1: Start-menu shortcut Programs\\$APP_NAME.lnk points at $APP_NAME.exe"
		local v
		for v in DisplayName:"$APP_NAME" DisplayVersion:"$VERSION" InstallLocation:"$instdir_win" \
			UninstallString:"\"$instdir_win\\uninstall.exe\"" QuietUninstallString:"\"$instdir_win\\uninstall.exe\" /S"; do
			local name=${v%%:*} want=${v#*:} got
			got=$(wval "$key" "$name")
			[ "$got" = "$want" ] || fail "$1: HKCU ...\\Uninstall\\$APP_ID $name is '$got', want '$want'"
		done
		ok "$1: HKCU ...\\Uninstall\\$APP_ID: DisplayName $APP_NAME, DisplayVersion $VERSION, InstallLocation, (Quiet)UninstallString /S"
	}

	t0=$SECONDS
	w "$SETUP" /S >"$TMP/setup1.log" 2>&1 || { cat "$TMP/setup1.log" >&2; fail "setup /S failed"; }
	wwait
	ok "setup /S installed silently ($((SECONDS - t0)) s)"
	installed "install"

	# What the app would have written: the seller's accounts and settings.
	mkdir -p "$data/providers"
	printf '{"schema":1,"accounts":[{"id":"shop-1"}]}\n' >"$data/records.json"
	printf '[providers.acme]\nname = "Acme"\n' >"$data/providers/acme.toml"
	(cd "$data" && find . -type f -exec sha256sum {} + | sort) >"$TMP/data-sums"

	# Upgrade: a value only an older registration has; the previous version's
	# uninstaller (which the setup runs first) deletes the whole key.
	w reg add "$key" /v LeftByOlderVersion /t REG_SZ /d 1 /f >/dev/null 2>&1 || fail "reg add failed"
	[ "$(wval "$key" LeftByOlderVersion)" = 1 ] || fail "could not mark the registration as older"
	t0=$SECONDS
	w "$SETUP" /S >"$TMP/setup2.log" 2>&1 || { cat "$TMP/setup2.log" >&2; fail "second setup /S failed"; }
	wwait
	ok "second setup /S over the first ($((SECONDS - t0)) s)"
	[ -z "$(wval "$key" LeftByOlderVersion)" ] || fail "upgrade: the previous registration was not removed (its uninstaller did not run)"
	ok "upgrade: the installed version's uninstaller ran first (its registration was replaced)"
	installed "upgrade"
	(cd "$data" && find . -type f -exec sha256sum {} + | sort) | cmp -s - "$TMP/data-sums" ||
		fail "upgrade changed the data directory"
	ok "upgrade: the data directory %APPDATA%\\$APP_NAME is untouched"

	t0=$SECONDS
	w "$instdir/uninstall.exe" /S >"$TMP/uninstall.log" 2>&1 || { cat "$TMP/uninstall.log" >&2; fail "uninstall.exe /S failed"; }
	wwait
	ok "uninstall.exe /S ran silently ($((SECONDS - t0)) s)"
	[ ! -e "$instdir" ] || fail "uninstall left $instdir_win: $(cd "$instdir" && find . -mindepth 1 | tr '\n' ' ')"
	[ ! -e "$lnk" ] || fail "uninstall left the Start-menu shortcut"
	if w reg query "$key" >/dev/null 2>&1; then fail "uninstall left HKCU ...\\Uninstall\\$APP_ID"; fi
	ok "uninstall: no install folder, no shortcut, no uninstall registration"
	(cd "$data" && find . -type f -exec sha256sum {} + | sort) | cmp -s - "$TMP/data-sums" ||
		fail "uninstall removed or changed the seller's data directory"
	ok "uninstall: the seller's data directory %APPDATA%\\$APP_NAME is kept as it was"
	# Everything in the prefix that was not there before the install: only
	# the data directory, and two empty folders that are not the program's:
	# %LOCALAPPDATA%\Programs (Windows' per-user program folder, shared by
	# every per-user app) and the %TEMP%\~nsu*.tmp folder the NSIS uninstaller
	# copies itself into to run (the copy deletes itself).
	local rel_data rel_programs rel_temp new left_dirs="" d
	rel_data=./$(realpath --relative-to="$TMP/wine" "$data")
	rel_programs=./$(realpath --relative-to="$TMP/wine" "$(dirname "$instdir")")
	rel_temp=./$(realpath --relative-to="$TMP/wine" "$(wpath "$(wenv TEMP)")")
	new=$( (cd "$TMP/wine" && find . | sort) | comm -13 "$TMP/wine-before" - |
		grep -vxF "$rel_data" | grep -vF "$rel_data/" || true)
	while IFS= read -r d; do
		[ -n "$d" ] || continue
		if [ -d "$TMP/wine/$d" ] && [ -z "$(ls -A "$TMP/wine/$d")" ] &&
			{ [ "$d" = "$rel_programs" ] || [[ $d == "$rel_temp"/~nsu*.tmp ]]; }; then
			left_dirs="$left_dirs ${d#./drive_c/users/*/}"
			continue
		fi
		printf '%s\n' "$d" >&2
		fail "uninstall left this in the prefix (above: ${d})"
	done <<<"$new"
	ok "uninstall: no file of the program is left in the prefix (new since before the install: the data directory${left_dirs:+, and empty folders:$left_dirs})"
	if grep -qi "$APP_ID\|$APP_NAME.exe" "$TMP/wine/user.reg"; then
		grep -i "$APP_ID\|$APP_NAME.exe" "$TMP/wine/user.reg" >&2
		fail "uninstall left registry entries (above)"
	fi
	ok "uninstall: user.reg names neither $APP_ID nor $APP_NAME.exe"

	WINEPREFIX=$TMP/wine "$WINESERVER" -k >/dev/null 2>&1 || true
	WINE_STARTED=0
	kill "$XVFB_PID" 2>/dev/null || true
	wait "$XVFB_PID" 2>/dev/null || true
	XVFB_PID=""
}

# ------------------------------------------------------------------- windows

section "windows: $(basename "$SETUP")"
command -v osslsigncode >/dev/null || apt_install osslsigncode
command -v openssl >/dev/null || apt_install openssl
[ "$(head -c 2 "$SETUP")" = MZ ] || fail "$SETUP is not a PE executable"
ok "setup is a PE executable ($(du -h "$SETUP" | cut -f1))"

if [ "${PACKAGE_CHECK_WINE:-1}" = 1 ]; then
	wine_section
fi

section "windows: Authenticode signing"

# A throwaway self-signed code-signing certificate, valid for a day.
openssl req -x509 -newkey rsa:3072 -sha256 -nodes -days 1 \
	-subj "/CN=SellerConnect package-check $(date -u +%Y%m%dT%H%M%SZ)" \
	-addext "basicConstraints=critical,CA:FALSE" \
	-addext "keyUsage=critical,digitalSignature" \
	-addext "extendedKeyUsage=codeSigning" \
	-keyout "$TMP/sign.key" -out "$TMP/sign.crt" >/dev/null 2>&1 || fail "openssl could not make a certificate"
ok "throwaway certificate: $(openssl x509 -in "$TMP/sign.crt" -noout -subject)"

unsigned=$TMP/unsigned-setup.exe
cp "$SETUP" "$unsigned"
if osslsigncode verify -in "$unsigned" -CAfile "$TMP/sign.crt" >"$TMP/verify-unsigned.log" 2>&1; then
	fail "osslsigncode verify accepts the setup before it was signed with the throwaway certificate"
fi
ok "before signing, verification against the throwaway certificate fails"
signed=$TMP/signed-setup.exe
cp "$SETUP" "$signed"
(unset SIGN_PASS_FILE SIGN_TIMESTAMP_URL
	SIGN_CERT=$TMP/sign.crt SIGN_KEY=$TMP/sign.key "$ROOT/scripts/package.sh" sign "$signed") >"$TMP/sign.log" 2>&1 ||
	{ cat "$TMP/sign.log" >&2; fail "scripts/package.sh sign failed"; }
ok "scripts/package.sh sign (SIGN_CERT/SIGN_KEY) signed a copy"
osslsigncode verify -in "$signed" -CAfile "$TMP/sign.crt" >"$TMP/verify.log" 2>&1 ||
	{ cat "$TMP/verify.log" >&2; fail "osslsigncode verify failed on the signed setup"; }
grep -q 'Signature verification: ok' "$TMP/verify.log" || { cat "$TMP/verify.log" >&2; fail "osslsigncode did not report 'Signature verification: ok'"; }
digest=$(sed -n 's/^[[:space:]]*Message digest algorithm[[:space:]]*:[[:space:]]*//p' "$TMP/verify.log" | head -1)
ok "osslsigncode verify -CAfile <throwaway cert>: Signature verification: ok (digest ${digest:-?})"

# Flip one byte in the middle of the signed file: the verification must fail.
size=$(stat -c %s "$signed")
tampered=$TMP/tampered-setup.exe
cp "$signed" "$tampered"
off=$((size / 2))
orig=$(od -An -tu1 -j "$off" -N1 "$tampered" | tr -d ' ')
printf '%b' "\\0$(printf %03o $(((orig + 1) % 256)))" | dd of="$tampered" bs=1 seek="$off" conv=notrunc status=none
if osslsigncode verify -in "$tampered" -CAfile "$TMP/sign.crt" >"$TMP/verify-tampered.log" 2>&1; then
	fail "osslsigncode verify accepts a setup modified after signing"
fi
ok "a copy with one byte changed after signing fails verification"

# Another certificate must not vouch for this signature.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=unrelated" \
	-keyout "$TMP/other.key" -out "$TMP/other.crt" >/dev/null 2>&1
if osslsigncode verify -in "$signed" -CAfile "$TMP/other.crt" >"$TMP/verify-other.log" 2>&1; then
	fail "osslsigncode verify accepts the signature against an unrelated CA"
fi
ok "verification against an unrelated certificate fails"

# The SIGN_* path of a real build: package.sh signs the app, the uninstaller
# (while makensis builds the setup) and the setup. Built into a scratch
# folder so dist/ keeps the build make package made.
if [ "${PACKAGE_CHECK_SIGNED_BUILD:-1}" = 1 ]; then
	t0=$SECONDS
	(unset SIGN_PASS_FILE SIGN_TIMESTAMP_URL
		PACKAGE_DIST=$TMP/signed SIGN_CERT=$TMP/sign.crt SIGN_KEY=$TMP/sign.key \
			"$ROOT/scripts/package.sh" windows) >"$TMP/signed-build.log" 2>&1 ||
		{ tail -40 "$TMP/signed-build.log" >&2; fail "signed build (SIGN_CERT/SIGN_KEY scripts/package.sh windows) failed"; }
	signed_setup=$TMP/signed/$(basename "$SETUP")
	[ -f "$signed_setup" ] || fail "signed build made no $(basename "$SETUP")"
	n=$(grep -c '^==> signed ' "$TMP/signed-build.log" || true)
	[ "$n" -eq 3 ] || { grep '^==> signed ' "$TMP/signed-build.log" >&2; fail "signed build signed $n executables, want 3 (app, uninstaller, setup)"; }
	ok "SIGN_CERT/SIGN_KEY scripts/package.sh windows signed the app, the uninstaller and the setup ($((SECONDS - t0)) s)"
	osslsigncode verify -in "$signed_setup" -CAfile "$TMP/sign.crt" >"$TMP/verify-build.log" 2>&1 ||
		{ cat "$TMP/verify-build.log" >&2; fail "osslsigncode verify failed on the signed build's setup"; }
	ok "osslsigncode verify: signed build's setup ok"
	apt_install p7zip-full
	mkdir "$TMP/setup-files"
	7z x -y -o"$TMP/setup-files" "$signed_setup" "$APP_NAME.exe" >"$TMP/7z.log" 2>&1 ||
		{ cat "$TMP/7z.log" >&2; fail "7z could not extract $APP_NAME.exe from the signed setup"; }
	osslsigncode verify -in "$TMP/setup-files/$APP_NAME.exe" -CAfile "$TMP/sign.crt" >"$TMP/verify-app.log" 2>&1 ||
		{ cat "$TMP/verify-app.log" >&2; fail "osslsigncode verify failed on $APP_NAME.exe inside the signed setup"; }
	ok "osslsigncode verify: $APP_NAME.exe inside the signed setup ok"
fi

printf '\n%d checks passed in %d s\n' "$pass" "$((SECONDS - start))"
