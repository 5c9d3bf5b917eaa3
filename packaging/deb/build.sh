#!/usr/bin/env bash
# `make deb`: trakt-widget_<version>_<arch>.deb from the release binary, with dpkg-deb.
#
#   packaging/deb/build.sh RELEASE_BINARY VERSION OUTPUT.deb
#
# Layout (Debian policy; the nginx include paths stay relative to /etc/nginx, as in make install):
#   /usr/bin/trakt-widget                         release build, Swift runtime linked statically
#   /lib/systemd/system/trakt-widget.{socket,service}
#   /usr/share/trakt-widget/web/                  the widget and the demo page
#   /usr/share/trakt-widget/nginx/                the http-level and locations files (not edited)
#   /etc/nginx/trakt-widget/                      links to those two, plus the origins and server
#                                                 files the operator edits (conffiles)
#   /etc/nginx/conf.d/trakt-widget.conf           link: the http-level file is active at once
#   /etc/trakt-widget/env                         conffile
#   /var/cache/nginx/trakt-widget/                nginx's response cache for the site
# Depends: comes from dpkg-shlibdeps on the binary, so it names exactly the Debian libraries it links.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BIN=${1:?release binary}
VERSION=${2:?version}
OUT=${3:?output .deb}
ARCH=$(dpkg --print-architecture)
NAME=trakt-widget_${VERSION}_${ARCH}
# Reproducible: file times and the changelog date come from the last commit.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct)}

WORK=$REPO/.build/deb
STAGE=$WORK/$NAME
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$(dirname "$OUT")"
umask 022

# The binary, stripped (the symbols would triple its size; Swift needs none of them at run time).
install -D -m 0755 "$BIN" "$STAGE/usr/bin/trakt-widget"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$STAGE/usr/bin/trakt-widget"

# Units: the shipped ones, with the package's binary path.
install -d "$STAGE/lib/systemd/system"
sed 's#/usr/local/bin/trakt-widget#/usr/bin/trakt-widget#g' "$REPO/systemd/trakt-widget.service" \
  > "$STAGE/lib/systemd/system/trakt-widget.service"
install -m 0644 "$REPO/systemd/trakt-widget.socket" "$STAGE/lib/systemd/system/"
chmod 0644 "$STAGE/lib/systemd/system/trakt-widget.service"

install -d "$STAGE/usr/share/trakt-widget/web" "$STAGE/usr/share/trakt-widget/nginx"
install -m 0644 "$REPO/web/trakt-widget.js" "$REPO/web/index.html" "$STAGE/usr/share/trakt-widget/web/"
install -m 0644 "$REPO/nginx/trakt-widget-http.conf" "$REPO/nginx/trakt-widget-locations.conf" \
  "$STAGE/usr/share/trakt-widget/nginx/"

install -d "$STAGE/etc/nginx/trakt-widget" "$STAGE/etc/nginx/conf.d" "$STAGE/etc/trakt-widget"
# fastcgi_cache_path's directory: Debian's nginx has no /var/cache/nginx and creates only the last
# component, so without it nginx refuses to start. Shipped, not made in postinst, because apt may
# start nginx (its own postinst) before this package is configured; nginx chowns it to www-data.
install -d "$STAGE/var/cache/nginx/trakt-widget"
ln -s /usr/share/trakt-widget/nginx/trakt-widget-http.conf "$STAGE/etc/nginx/trakt-widget/"
ln -s /usr/share/trakt-widget/nginx/trakt-widget-locations.conf "$STAGE/etc/nginx/trakt-widget/"
ln -s ../trakt-widget/trakt-widget-http.conf "$STAGE/etc/nginx/conf.d/trakt-widget.conf"
install -m 0644 "$REPO/nginx/trakt-widget-origins.conf" "$STAGE/etc/nginx/trakt-widget/"
sed 's#/usr/local/share/trakt-widget/web#/usr/share/trakt-widget/web#g' "$REPO/nginx/trakt-widget-server.conf" \
  > "$STAGE/etc/nginx/trakt-widget/trakt-widget-server.conf"
install -m 0644 "$REPO/systemd/trakt-widget.env.example" "$STAGE/etc/trakt-widget/env"
chmod 0644 "$STAGE/etc/nginx/trakt-widget/trakt-widget-server.conf"

# Documentation lintian asks of every package: copyright, changelog, a manual page (from --help).
DOC=$STAGE/usr/share/doc/trakt-widget
install -d "$DOC" "$STAGE/usr/share/man/man1"
install -m 0644 "$HERE/copyright" "$DOC/copyright"
{
  echo "trakt-widget ($VERSION) bookworm; urgency=medium"
  echo
  echo "  * Release $VERSION, built from commit $(git -C "$REPO" log -1 --format=%h)."
  echo
  echo " -- $(sed -n 's/^Maintainer: //p' "$HERE/control.in")  $(date -R -u -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$DOC/changelog.gz"
"$HERE/manpage.sh" "$STAGE/usr/bin/trakt-widget" "$VERSION" | gzip -9n > "$STAGE/usr/share/man/man1/trakt-widget.1.gz"

install -m 0755 "$HERE/postinst" "$HERE/prerm" "$HERE/postrm" "$STAGE/DEBIAN/"
install -m 0644 "$HERE/conffiles" "$STAGE/DEBIAN/conffiles"

# dpkg-shlibdeps reads debian/control from its working directory; give it a minimal one.
SHLIBS=$WORK/shlibdeps
rm -rf "$SHLIBS" && mkdir -p "$SHLIBS/debian"
printf 'Source: trakt-widget\n\nPackage: trakt-widget\nArchitecture: any\n' > "$SHLIBS/debian/control"
DEPENDS=$(cd "$SHLIBS" && dpkg-shlibdeps -O "$STAGE/usr/bin/trakt-widget" | sed -n 's/^shlibs:Depends=//p')
[ -n "$DEPENDS" ] || { echo "build.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE/" -e "s/@DEPENDS@/$DEPENDS/" \
  "$HERE/control.in" > "$STAGE/DEBIAN/control"
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
  > "$STAGE/DEBIAN/md5sums"
chmod 0644 "$STAGE/DEBIAN/md5sums" "$STAGE/DEBIAN/control"

find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$OUT" >/dev/null
echo "$OUT"
