#!/usr/bin/env bash
# package.sh: build Vigil's installers on Linux (make package).
#
#   dist/vigil_<debver>_amd64.deb          Debian package (dpkg-deb)
#   dist/Vigil.tar.xz                      `fyne package -os linux` tarball
#   dist/windows/vigil.exe                 cgo cross-build (mingw-w64), icon + version resource
#   dist/vigil-<version>-setup.exe         NSIS installer
#
# Environment: VERSION (git describe, from the Makefile), GO, FYNE (fyne CLI).
# One set of build flags per platform, so the Go build cache serves every
# later run: Linux uses exactly `make build`'s flags; Windows adds only
# -H windowsgui (the flags are link-time, so compiled packages are shared).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
GO=${GO:-go}
FYNE=${FYNE:-fyne}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo devel)}
DIST=$root/dist
PK=$root/packaging
APPID=io.github.vigil-hmi.vigil

# Numeric versions: Debian needs a leading digit and order; Windows needs
# a.b.c.d. A tag vX.Y.Z[-N-gHASH][-dirty] gives X.Y.Z(+N); otherwise the
# base is FyneApp.toml's Version and the hash is appended.
base=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml | head -1)
base=${base:-0.0.0}
if [[ $VERSION =~ ^v?([0-9]+\.[0-9]+\.[0-9]+)(-([0-9]+)-g([0-9a-f]+))?(-dirty)?$ ]]; then
	num=${BASH_REMATCH[1]}
	commits=${BASH_REMATCH[3]:-0}
	debver=$num
	[ -n "${BASH_REMATCH[2]}" ] && debver+="+${commits}.g${BASH_REMATCH[4]}"
	[ -n "${BASH_REMATCH[5]}" ] && debver+="+dirty"
else
	num=$base
	commits=0
	debver="${base}~git$(echo "$VERSION" | tr -c 'A-Za-z0-9.+~\n' '.')"
fi
winver="$num.$commits"
IFS=. read -r v1 v2 v3 v4 <<<"$winver"
echo "== version $VERSION (deb $debver, windows $winver)"

mkdir -p "$DIST"

linux_binary() {
	echo "== linux binary"
	$GO build -ldflags "-X main.version=$VERSION" -o "$DIST/linux/vigil" ./cmd/vigil
}

icons() {
	# PNG sizes for the hicolor theme and a multi-size .ico for Windows.
	mkdir -p "$DIST/icons"
	for s in 512 256 128 64 48 32 16; do
		convert assets/icon.png -resize "${s}x${s}" "$DIST/icons/$s.png"
	done
	convert assets/icon.png -define icon:auto-resize=256,64,48,32,16 "$DIST/icons/vigil.ico"
}

deb() {
	echo "== deb"
	local r=$DIST/deb/root
	rm -rf "$DIST/deb"
	install -D -m 755 "$DIST/linux/vigil" "$r/usr/bin/vigil"
	install -D -m 644 "$PK/linux/vigil.desktop" "$r/usr/share/applications/$APPID.desktop"
	install -D -m 644 "$PK/linux/vigil-mime.xml" "$r/usr/share/mime/packages/vigil.xml"
	install -D -m 644 assets/demo.yaml "$r/usr/share/vigil/demo.vigil.yaml"
	for s in 512 256 128 64 48 32 16; do
		install -D -m 644 "$DIST/icons/$s.png" "$r/usr/share/icons/hicolor/${s}x${s}/apps/$APPID.png"
	done
	install -d "$r/usr/share/doc/vigil"
	printf 'Vigil %s\nhttps://github.com/vigil-hmi/vigil\nSee docs/install.md in the source.\n' "$VERSION" \
		>"$r/usr/share/doc/vigil/README"
	install -d "$r/DEBIAN"
	install -m 755 "$PK/linux/postinst" "$PK/linux/postrm" "$r/DEBIAN/"
	local size
	size=$(du -sk --exclude=DEBIAN "$r" | cut -f1)
	sed -e "s/@DEBVER@/$debver/" -e "s/@SIZE@/$size/" "$PK/linux/control.in" >"$r/DEBIAN/control"
	rm -f "$DIST"/vigil_*_amd64.deb
	dpkg-deb --root-owner-group -Zxz --build "$r" "$DIST/vigil_${debver}_amd64.deb"
}

fyne_tarball() {
	# fyne package bumps Build in the FyneApp.toml it reads and needs Go
	# code in its source dir: it works on a copy, so the tree stays clean.
	echo "== fyne package -os linux"
	local s=$DIST/fyne-src
	rm -rf "$s"
	mkdir -p "$s/assets"
	cp FyneApp.toml "$s/"
	cp assets/icon.png "$s/assets/"
	printf 'package main\n\nfunc main() {}\n' >"$s/main.go"
	cp "$DIST/linux/vigil" "$s/vigil"
	(cd "$s" && "$FYNE" package -os linux --executable vigil --app-version "$num")
	mv "$s/Vigil.tar.xz" "$DIST/Vigil.tar.xz"
}

windows_exe() {
	echo "== windows exe (cgo, x86_64-w64-mingw32)"
	local w=$DIST/windows
	mkdir -p "$w"
	cp "$DIST/icons/vigil.ico" "$PK/windows/vigil.manifest" "$w/"
	sed -e "s/@WINVER_COMMA@/$v1,$v2,$v3,$v4/" -e "s/@VERSION@/$VERSION/" \
		"$PK/windows/vigil.rc.in" >"$w/vigil.rc"
	# The .syso must sit in the main package's directory for go build to link
	# it; its _windows_amd64 suffix keeps it out of every other build, and
	# it is removed right after the build (never commit it).
	local syso=$root/cmd/vigil/zz_vigil_windows_amd64.syso
	(cd "$w" && x86_64-w64-mingw32-windres -O coff -i vigil.rc -o rsrc.syso)
	cp "$w/rsrc.syso" "$syso"
	trap 'rm -f "$syso"' EXIT
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
		$GO build -ldflags "-H windowsgui -X main.version=$VERSION" -o "$w/vigil.exe" ./cmd/vigil
	rm -f "$syso"
	trap - EXIT
}

nsis() {
	echo "== NSIS installer"
	local w=$DIST/windows
	cp assets/demo.yaml "$w/demo.vigil.yaml"
	rm -f "$DIST"/vigil-*-setup.exe
	makensis -V2 -DVERSION="$VERSION" -DWINVER="$winver" -DSRC="$w" \
		-DOUTFILE="$DIST/vigil-$VERSION-setup.exe" "$PK/windows/vigil.nsi"
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(linux_binary icons deb fyne_tarball windows_exe nsis)
for s in "${steps[@]}"; do "$s"; done
echo "== artifacts"
ls -l "$DIST"/*.deb "$DIST"/*.tar.xz "$DIST"/windows/vigil.exe "$DIST"/*-setup.exe 2>/dev/null || true
