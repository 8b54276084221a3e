# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the integration tests share: running a command with its output kept for the
failure message, and a temporary directory that goes away unless asked to stay."""

import os
import shutil
import subprocess
import sys
import tempfile


class Failed(Exception):
    pass


def run(cmd, env=None, cwd=None, quiet=False, must_fail=False):
    """Runs cmd; raises Failed with the command and everything it printed when it
    fails (or, with must_fail, when it succeeds). Returns its standard output and
    error."""
    if not quiet:
        print('$', ' '.join(str(c) for c in cmd), flush=True)
    proc = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300)
    if must_fail:
        if proc.returncode == 0:
            raise Failed(f'expected a failure from: {" ".join(str(c) for c in cmd)}\n'
                         f'{proc.stdout}')
    elif proc.returncode != 0:
        raise Failed(f'exit status {proc.returncode} from: {" ".join(str(c) for c in cmd)}\n'
                     f'{proc.stdout}')
    return proc.stdout


def clean_env(**extra):
    """The environment minus what the build tree's tests set, so that a program
    finds dbpool only where the test says (not the build tree or an override path)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ('GI_TYPELIB_PATH', 'LD_LIBRARY_PATH', 'PYTHONPATH',
                        'DBPOOL_OVERRIDES_DIR', 'PKG_CONFIG_PATH', 'MESON_BUILD_ROOT',
                        'MESON_SOURCE_ROOT', 'MESONINTROSPECT')}
    env.update(extra)
    return env


def main(body):
    """Runs body(tmp) in a fresh temporary directory; DBPOOL_KEEP_TMP=1 keeps it."""
    tmp = tempfile.mkdtemp(prefix='dbpool-integration-')
    try:
        body(tmp)
    except Failed as e:
        print(f'FAIL: {e}', file=sys.stderr)
        return 1
    finally:
        if os.environ.get('DBPOOL_KEEP_TMP') == '1':
            print('kept', tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0
