#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs a Python script against the build tree, as `meson test` does for the Python
tests and examples: `run-uninstalled.py SCRIPT [ARGS...]`.

GI_TYPELIB_PATH and LD_LIBRARY_PATH (set by meson) find the built typelib and library;
this puts the DbPool override from the source tree in front of gi's override search
path, which an installed copy would otherwise shadow or which would be missing."""

import os
import runpy
import sys

import gi.overrides

here = os.path.dirname(os.path.abspath(__file__))
overrides_dir = os.environ.get('DBPOOL_OVERRIDES_DIR', os.path.join(here, 'overrides'))
gi.overrides.__path__.insert(0, overrides_dir)

if len(sys.argv) < 2:
    sys.exit('usage: run-uninstalled.py SCRIPT [ARGS...]')

script = os.path.abspath(sys.argv[1])
sys.argv = sys.argv[1:]
# As if run as `python3 SCRIPT`: the script's directory comes first on sys.path.
sys.path[0] = os.path.dirname(script)
runpy.run_path(script, run_name='__main__')
