#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Builds tests/subproject/, a parent project that gets dbpool through a wrap with
`[provide] dependency_names = dbpool-1.0` and a plain dependency('dbpool-1.0'), in a
temporary directory with this source tree linked in as its subprojects/dbpool. Checks
that the dependency came from the subproject, that the parent's program builds and
runs (in C, and in Vala with the subproject's vapi), and that none of dbpool's tests, examples or benchmark were built (or even
defined) in the parent's build.

  test-subproject.py --source-root DIR --meson MESON
"""

import argparse
import json
import os
import shutil
import sys

import integration
from integration import Failed, run


def test(tmp, args):
    parent = os.path.join(tmp, 'parent')
    shutil.copytree(os.path.join(args.source_root, 'tests', 'subproject'), parent)
    # A link, not a copy: with the wrap's directory present, meson uses it as it is
    # and never fetches the wrap's URL.
    os.symlink(os.path.abspath(args.source_root), os.path.join(parent, 'subprojects', 'dbpool'))
    build = os.path.join(tmp, 'build')
    env = integration.clean_env()

    # --force-fallback-for: the wrap, even where a dbpool-1.0.pc is installed.
    out = run([args.meson, 'setup', build, parent, '--force-fallback-for=dbpool-1.0'], env=env)
    # Meson says "(overridden)" when meson.override_dependency() answered.
    if 'Dependency dbpool-1.0 found: YES 1.0.0 (overridden)' not in out.splitlines():
        raise Failed(f'dependency(\'dbpool-1.0\') was not answered by the subproject:\n{out}')

    targets = json.loads(run([args.meson, 'introspect', build, '--targets'], env=env, quiet=True))
    names = sorted(t['name'] for t in targets)
    unwanted = [n for n in names
                if n.startswith('test-') or n in ('dbpool-bench', 'quickstart', 'bench', 'demo')]
    if unwanted:
        raise Failed(f'the parent build defines dbpool\'s tests/examples/bench: {unwanted}')
    library = [t for t in targets if t['name'] == 'dbpool-1.0']
    if not library or not library[0]['defined_in'].startswith(os.path.join(parent, 'subprojects')):
        raise Failed(f'the library is not built from the subproject: {library}')
    if 'parent' not in names or 'parent-vala' not in names:
        raise Failed(f'the parent programs are not among the targets: {names}')

    tests = json.loads(run([args.meson, 'introspect', build, '--tests'], env=env, quiet=True))
    if sorted(t['name'] for t in tests) != ['parent', 'parent-vala']:
        raise Failed(f'the parent build runs tests other than its own: '
                     f'{[t["name"] for t in tests]}')

    run([args.meson, 'compile', '-C', build], env=env)
    print(run([args.meson, 'test', '-C', build, '--print-errorlogs', '-v'], env=env), end='')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--source-root', required=True)
    parser.add_argument('--meson', required=True)
    args = parser.parse_args()
    return integration.main(lambda tmp: test(tmp, args))


if __name__ == '__main__':
    sys.exit(main())
