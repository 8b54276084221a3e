#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds Debian's own GLib source package with ThreadSanitizer into _deps/glib-tsan.
#
# Why: Debian's libglib is not instrumented, so TSan cannot see the happens-before
# edges inside GMutex, GMainContext, GTask and GObject reference counts, and reports
# false races on everything handed across threads through them. An instrumented GLib
# (same version, same ABI) loaded through LD_LIBRARY_PATH makes those edges visible.
# Prints the directory holding the instrumented libglib/libgobject/libgio.
set -euo pipefail
cd "$(dirname "$0")/.."

deps=$PWD/_deps
out=$deps/glib-tsan
stamp=$out/.built
if [ -f "$stamp" ]; then
  echo "$out/lib"
  exit 0
fi

mkdir -p "$deps/src"
version=$(dpkg-query -W -f='${source:Version}' libglib2.0-0)
(
  cd "$deps/src"
  if ! ls glib2.0_*.dsc >/dev/null 2>&1; then
    # deb-src entries for the same Debian mirror, without touching the system's list.
    sources=$deps/debsrc.sources
    sed 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources > "$sources"
    opts=(-o "Dir::Etc::sourcelist=$sources" -o Dir::Etc::sourceparts=/dev/null
          -o "Dir::State::Lists=$deps/apt-lists" -o "Dir::Cache=$deps/apt-cache")
    mkdir -p "$deps/apt-lists/partial" "$deps/apt-cache/archives/partial"
    apt-get "${opts[@]}" update -qq >&2
    apt-get "${opts[@]}" source --download-only "glib2.0=$version" >&2
  fi
  rm -rf glib-src && mkdir glib-src
  tar -xf glib2.0_*.orig.tar.xz -C glib-src --strip-components=1
)

rm -rf "$out" "$deps/glib-build"
meson setup "$deps/glib-build" "$deps/src/glib-src" \
  --prefix="$out" --libdir=lib --buildtype=debugoptimized \
  -Db_sanitize=thread -Db_lundef=false \
  -Dtests=false -Dinstalled_tests=false -Dman=false -Dgtk_doc=false \
  -Dlibmount=disabled -Dselinux=disabled -Dxattr=false -Dnls=disabled \
  -Dglib_debug=disabled -Dsysprof=disabled >&2
# Only the four libraries, not GLib's tools: their targets carry the full version.
targets=$(ninja -C "$deps/glib-build" -t targets all |
          sed -nE 's#^((glib|gobject|gio|gmodule)/lib(glib|gobject|gio|gmodule)-2\.0\.so\.[0-9.]+[0-9]): .*#\1#p')
ninja -C "$deps/glib-build" $targets >&2
mkdir -p "$out/lib"
for lib in glib/libglib gobject/libgobject gio/libgio gmodule/libgmodule; do
  cp -a "$deps/glib-build/$lib"-2.0.so.0* "$out/lib/"
done
rm -rf "$out"/lib/*.p "$out"/lib/*-gdb.py
touch "$stamp"
echo "$out/lib"
