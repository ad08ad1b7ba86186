#!/usr/bin/env bash
# test.sh: check the artifacts of package.sh (make package-test). Every check
# prints what it saw and the script exits 1 on the first failure.
set -euo pipefail

cd "$(dirname "$0")/.."
DIST=$PWD/dist
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

deb=$(ls "$DIST"/vigil_*_amd64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no dist/vigil_*_amd64.deb: run make package"

echo "== $deb"
dpkg-deb -I "$deb" | sed -n '/Package:/,$p'
list=$(dpkg-deb -c "$deb")
for f in ./usr/bin/vigil ./usr/share/applications/io.github.vigil-hmi.vigil.desktop \
	./usr/share/icons/hicolor/512x512/apps/io.github.vigil-hmi.vigil.png \
	./usr/share/icons/hicolor/48x48/apps/io.github.vigil-hmi.vigil.png \
	./usr/share/mime/packages/vigil.xml ./usr/share/vigil/demo.vigil.yaml; do
	grep -q " $f\$" <<<"$list" || fail "$f missing from the .deb"
done
ok "dpkg-deb -c lists the binary, desktop entry, icons, mime type and demo"
grep -q '^-rwxr-xr-x root/root .* ./usr/bin/vigil$' <<<"$list" || fail "usr/bin/vigil is not 0755 root:root"
ok "usr/bin/vigil is 0755 root:root"
[ "$(dpkg-deb -f "$deb" Version)" = "$(basename "$deb" | sed 's/^vigil_\(.*\)_amd64.deb$/\1/')" ] || fail "Version field differs from the file name"
if command -v desktop-file-validate >/dev/null; then
	desktop-file-validate packaging/linux/vigil.desktop && ok "desktop-file-validate"
fi

# Install into a throw-away root and run the installed binary on the
# installed demo project.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dpkg -x "$deb" "$tmp/root"
got=$("$tmp/root/usr/bin/vigil" version)
echo "$got"
grep -qF "$VERSION" <<<"$got" || fail "installed vigil version says '$got', want $VERSION"
ok "installed vigil version reports $VERSION"
"$tmp/root/usr/bin/vigil" check "$tmp/root/usr/share/vigil/demo.vigil.yaml" || fail "vigil check of the installed demo"
ok "installed vigil check of the installed demo project"

echo "== $DIST/Vigil.tar.xz"
tl=$(tar -tJf "$DIST/Vigil.tar.xz")
echo "$tl" | sed 's/^/  /'
for f in usr/local/bin/vigil usr/local/share/applications/io.github.vigil-hmi.vigil.desktop \
	usr/local/share/pixmaps/io.github.vigil-hmi.vigil.png Makefile; do
	grep -q "$f\$" <<<"$tl" || fail "$f missing from Vigil.tar.xz"
done
mkdir "$tmp/tar" && tar -xJf "$DIST/Vigil.tar.xz" -C "$tmp/tar"
grep -q '^Name=Vigil$' "$tmp/tar/vigil/usr/local/share/applications/io.github.vigil-hmi.vigil.desktop" \
	|| fail "the tarball's desktop entry lacks Name=Vigil (FyneApp.toml)"
"$tmp/tar/vigil/usr/local/bin/vigil" version | grep -qF "$VERSION" || fail "tarball vigil version"
ok "fyne tarball holds the stamped binary and a desktop entry from FyneApp.toml"

# Windows: PE machine type and version resource of vigil.exe and the setup.
check_pe() { # FILE DESCRIPTION
	go run ./packaging/internal/pecheck "$1" "$VERSION" || fail "$1 ($2)"
	ok "$2: PE32+ x86-64 with version resource $VERSION"
}
check_pe "$DIST/windows/vigil.exe" "vigil.exe"
objdump -f "$DIST/windows/vigil.exe" | grep -E 'file format|architecture'
setup=$(ls "$DIST"/vigil-*-setup.exe 2>/dev/null | head -1)
[ -n "$setup" ] || fail "no dist/vigil-*-setup.exe"
# NSIS's stub is 32-bit x86 (it installs the 64-bit program): check it is a
# PE file with the version resource; the machine check is vigil.exe's.
go run ./packaging/internal/pecheck -machine any "$setup" "$VERSION" || fail "$setup"
objdump -f "$setup" | grep -E 'file format|architecture'
ok "setup.exe: PE with version resource $VERSION"

echo "== 7z l $setup"
sl=$(7z l "$setup")
sed -n '/^   Date/,$p' <<<"$sl"
for f in vigil.exe vigil.ico demo.vigil.yaml uninstall.exe; do
	grep -q "$f" <<<"$sl" || fail "$f missing from the installer"
done
ok "the installer holds vigil.exe, the icon, the demo project and an uninstaller"
cmp <(7z x -so "$setup" vigil.exe 2>/dev/null) "$DIST/windows/vigil.exe" || fail "installer's vigil.exe differs from dist/windows/vigil.exe"
ok "the installer's vigil.exe is dist/windows/vigil.exe"
for key in 'Microsoft\Windows\CurrentVersion\Uninstall\Vigil' 'UninstallString' 'DisplayVersion' 'Vigil.Project' '$SMPROGRAMS'; do
	grep -qF "$key" packaging/windows/vigil.nsi || fail "installer script lacks $key"
done
# The compiled script is LZMA-compressed inside the installer, so the
# registry entries are checked in the script makensis compiled.
7z l -slt "$setup" | grep -q '^SubType = NSIS-3 Unicode' || fail "$setup is not an NSIS-3 Unicode installer"
ok "installer (NSIS-3 Unicode) script writes Start-menu, uninstall and file-type entries"
echo "PASS"
