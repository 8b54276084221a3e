#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tools/check-dist.sh [BUILDDIR [meson setup options...]]
#
# Checks that the release tarball stands on its own: `meson dist` (from the committed
# HEAD; uncommitted changes make it stop), then the tarball unpacked in a fresh
# directory under /tmp, where no ../shared or source checkout sits next to it,
# configured, built, tested and installed into a scratch DESTDIR.
#
# This is what `meson dist` itself would check, done by hand for two reasons: its own
# check runs ninja at full parallelism (this machine is shared: CHECK_DIST_JOBS, 2 by
# default, bounds it), and it unpacks inside BUILDDIR, next to the source tree.
#
# BUILDDIR (default _build) is configured with -Ddocumentation=true if it does not
# exist. The tarball is configured with -Ddocumentation=true plus any further
# arguments, so the API reference is part of what must build from the tarball.
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-_build}
shift || true
jobs=${CHECK_DIST_JOBS:-2}
start=$(date +%s)

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" -Ddocumentation=true
fi

# The tarball's name comes from the project: dbpool-VERSION.tar.xz.
version=$(meson introspect --projectinfo "$build" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
name=dbpool-$version
meson dist -C "$build" --no-tests --formats xztar
tarball=$build/meson-dist/$name.tar.xz

work=$(mktemp -d /tmp/dbpool-dist.XXXXXX)
# Kept on failure, for a look at what went wrong.
trap 'status=$?; if [ $status -eq 0 ]; then rm -rf "$work"; else echo "check-dist: FAILED, left $work" >&2; fi' EXIT

tar -C "$work" -xf "$tarball"
src=$work/$name
# The point of the exercise: nothing beside the unpacked tree to lean on.
if [ -e "$work/shared" ] || [ -e "$src/../shared" ]; then
  echo "check-dist: $work/shared exists; the check needs a tree with nothing next to it" >&2
  exit 1
fi
if [ -d "$src/.git" ]; then
  echo "check-dist: the tarball holds a .git directory" >&2
  exit 1
fi

meson setup "$work/build" "$src" -Ddocumentation=true "$@"
ninja -C "$work/build" -j "$jobs"
meson test -C "$work/build" --print-errorlogs --num-processes "$jobs"
DESTDIR=$work/install meson install -C "$work/build" --quiet

echo "check-dist: $tarball builds, passes its tests and installs on its own ($(( $(date +%s) - start )) s)"
