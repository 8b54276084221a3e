# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python against an installed dbpool: only GI_TYPELIB_PATH, LD_LIBRARY_PATH and
PYTHONPATH=PREFIX/lib/python3/dist-packages point at PREFIX (test-install.py sets them,
as docs/using.md says). `installed.py PREFIX DIR`: checks that the typelib and the
override came from PREFIX and that the override's context managers work."""

import os
import sys

import gi
gi.require_version('DbPool', '1.0')
gi.require_version('GIRepository', '2.0')
from gi.repository import DbPool, GIRepository  # noqa: E402

prefix, work_dir = (os.path.realpath(p) for p in sys.argv[1:3])


def from_prefix(what, path):
    path = os.path.realpath(path)
    if not path.startswith(prefix + os.sep):
        sys.exit(f'{what} came from {path}, not from {prefix}')


from_prefix('the typelib', GIRepository.Repository.get_default().get_typelib_path('DbPool'))
override = sys.modules.get('gi.overrides.DbPool')
if override is None:
    sys.exit('the DbPool override was not loaded: it is not installed under PYTHONPATH')
from_prefix('the override', override.__file__)

with DbPool.Pool.new(os.path.join(work_dir, 'python.db')) as pool:
    with pool.acquire(DbPool.Access.WRITE) as conn:
        with conn.transaction():
            conn.execute('CREATE TABLE t (name TEXT, n INTEGER)')
            conn.execute('INSERT INTO t VALUES (?, ?)', ('installed', 42))
    with pool.acquire(DbPool.Access.READ) as conn:
        rows = [dict(row) for row in conn.query('SELECT * FROM t')]
if rows != [{'name': 'installed', 'n': 42}]:
    sys.exit(f'unexpected rows: {rows}')
if not pool.is_closed():
    sys.exit('leaving `with pool` did not close the pool')
print('Python: override from', override.__file__)
