#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Installs dbpool into a private prefix as docs/using.md says (a fresh build with
--prefix, then `meson install`) and uses it from there the way each language does:
C through pkg-config, Python through the PyGObject override under
PREFIX/lib/python3/dist-packages, Vala through --vapidir. Nothing from the build tree
the suite runs in is on any search path.

  test-install.py --source-root DIR --meson MESON --python PYTHON
"""

import argparse
import json
import os
import re
import shlex
import shutil
import sys

import integration
from integration import Failed, run

here = os.path.dirname(os.path.abspath(__file__))


def test(tmp, args):
    prefix = os.path.join(tmp, 'prefix')
    build = os.path.join(tmp, 'build')
    work = os.path.join(tmp, 'work')
    os.mkdir(work)
    env = integration.clean_env()

    # The library and its bindings only: what a user installs.
    setup = [args.meson, 'setup', build, args.source_root, '--prefix', prefix,
             '-Dtests=disabled', '-Dexamples=disabled', '-Dbench=disabled',
             '-Dintrospection=enabled']

    # Without a usable Python the override could not be installed: that stops the
    # setup, saying so, rather than installing a typelib whose Python API is broken.
    out = run(setup + ['-Dpython=' + os.path.join(tmp, 'no', 'python3')], env=env,
              must_fail=True)
    if 'the PyGObject override DbPool.py\nwould not be installed' not in out:
        raise Failed(f'setup without Python did not fail for the override:\n{out}')
    shutil.rmtree(build, ignore_errors=True)

    out = run(setup + ['-Dpython=' + args.python], env=env)
    # The summary says where the override goes.
    override_dir = os.path.join(prefix, 'lib', 'python3', 'dist-packages', 'gi', 'overrides')
    if not re.search(r'^\s*PyGObject override\s*: ' + re.escape(override_dir) + '$', out,
                     re.MULTILINE):
        raise Failed(f'the setup summary does not say the override goes to {override_dir}:\n'
                     f'{out}')
    run([args.meson, 'install', '-C', build, '--quiet'], env=env)

    options = json.loads(run([args.meson, 'introspect', build, '--buildoptions'], env=env,
                             quiet=True))
    libdir = os.path.join(prefix, next(o['value'] for o in options if o['name'] == 'libdir'))
    expected = {
        'pkg-config file': os.path.join(libdir, 'pkgconfig', 'dbpool-1.0.pc'),
        'typelib': os.path.join(libdir, 'girepository-1.0', 'DbPool-1.0.typelib'),
        'vapi': os.path.join(prefix, 'share', 'vala', 'vapi', 'dbpool-1.0.vapi'),
        'vapi .deps': os.path.join(prefix, 'share', 'vala', 'vapi', 'dbpool-1.0.deps'),
        'PyGObject override': os.path.join(override_dir, 'DbPool.py'),
    }
    for what, path in expected.items():
        if not os.path.isfile(path):
            raise Failed(f'{what} not installed at {path}')

    # The variables docs/using.md lists for a private prefix.
    user_env = integration.clean_env(
        PKG_CONFIG_PATH=os.path.join(libdir, 'pkgconfig'),
        LD_LIBRARY_PATH=libdir,
        GI_TYPELIB_PATH=os.path.join(libdir, 'girepository-1.0'),
        PYTHONPATH=os.path.join(prefix, 'lib', 'python3', 'dist-packages'),
        G_DEBUG='fatal-criticals',
    )

    # pkg-config: what the public headers need is public, the rest private.
    requires = run(['pkg-config', '--print-requires', 'dbpool-1.0'], env=user_env).split()
    private = run(['pkg-config', '--print-requires-private', 'dbpool-1.0'], env=user_env).split()
    if 'sqlite3' in requires or 'sqlite3' not in private:
        raise Failed(f'sqlite3 belongs in Requires.private: Requires {requires}, '
                     f'Requires.private {private}')
    if not {'glib-2.0', 'gobject-2.0', 'gio-2.0'} <= set(requires):
        raise Failed(f'GLib, GObject and GIO must be in Requires: {requires}')

    # C
    flags = shlex.split(run(['pkg-config', '--cflags', '--libs', 'dbpool-1.0'], env=user_env))
    c_exe = os.path.join(tmp, 'installed-c')
    run(shlex.split(os.environ.get('CC', 'cc')) +
        [os.path.join(here, 'installed.c'), '-o', c_exe] + flags, env=user_env)
    print(run([c_exe, work], env=user_env), end='')

    # Python, with nothing but the variables above: the installed override must load.
    print(run([args.python, os.path.join(here, 'installed.py'), prefix, work], env=user_env),
          end='')

    # Vala, against the installed vapi and its .deps.
    vala_exe = os.path.join(tmp, 'installed-vala')
    run(['valac', '--vapidir=' + os.path.join(prefix, 'share', 'vala', 'vapi'),
         '--pkg', 'dbpool-1.0', '-d', tmp, '-o', vala_exe, '-X', '-w',
         os.path.join(here, 'installed.vala')], env=user_env)
    print(run([vala_exe, work], env=user_env), end='')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--source-root', required=True)
    parser.add_argument('--meson', required=True)
    parser.add_argument('--python', required=True)
    args = parser.parse_args()
    return integration.main(lambda tmp: test(tmp, args))


if __name__ == '__main__':
    sys.exit(main())
