#!/usr/bin/env bash
# Checks the installers `make package` left in dist/:
#   .deb      installed with dpkg -i (apt-get install -f for missing
#             dependencies), `sellerconnect --version` run from the installed
#             path, desktop entry and icons resolved, then purged and every
#             installed file checked gone;
#   .rpm      metadata and file list (rpm -qp when rpm can be installed,
#             otherwise bsdtar);
#   tarball   file list, and the binary inside prints the version;
#   setup.exe signed with a throwaway self-signed code-signing certificate
#             through `scripts/package.sh sign`, then `osslsigncode verify`
#             against that certificate; an unsigned and a tampered copy must
#             fail verification.
#             A second Windows build with SIGN_CERT/SIGN_KEY set (into a
#             scratch folder) checks that the app inside the setup is signed
#             too and that the uninstaller was signed while the setup was
#             made (PACKAGE_CHECK_SIGNED_BUILD=0 skips it).
# Prints each check; exits non-zero on the first failure.
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
cleanup() {
	if [ "$INSTALLED_BY_US" = 1 ]; then
		$SUDO dpkg --purge sellerconnect >/dev/null 2>&1 || true
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
else
	apt_install libarchive-tools
	bsdtar -tf "$RPM" | sed 's|^\./|/|' >"$rpm_files"
	lister="bsdtar -tf"
fi
for f in /usr/bin/sellerconnect "/usr/share/applications/$APP_ID.desktop" \
	"/usr/share/icons/hicolor/48x48/apps/$APP_ID.png" "/usr/share/icons/hicolor/256x256/apps/$APP_ID.png"; do
	grep -qxF "$f" "$rpm_files" || fail "$lister: $f missing"
done
ok "$lister lists the binary, desktop entry and $(grep -c "/apps/$APP_ID.png\$" "$rpm_files") icons"

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

# ------------------------------------------------------------------- windows

section "windows: $(basename "$SETUP")"
command -v osslsigncode >/dev/null || apt_install osslsigncode
command -v openssl >/dev/null || apt_install openssl
[ "$(head -c 2 "$SETUP")" = MZ ] || fail "$SETUP is not a PE executable"
ok "setup is a PE executable ($(du -h "$SETUP" | cut -f1))"

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
