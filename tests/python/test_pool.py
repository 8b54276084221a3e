# SPDX-License-Identifier: LGPL-2.1-or-later
"""DbPool.Pool from Python: construction, leases, the override's context managers and
parameters, rows as Python values, errors as GLib.Error."""

import math
import os
import subprocess
import sys
import unittest

import gi.overrides

from dbpooltest import DbPool, GLib, Gio, TempDirTestCase, wait_async

SCHEMA = ('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, '
          'weight REAL, data BLOB, flag INTEGER)')


class ConstructionTests(TempDirTestCase):
    def test_sync(self):
        config = DbPool.PoolConfig.new(self.db_path())
        pool = DbPool.Pool.new(config, None)
        self.addCleanup(pool.close)
        self.assertIsInstance(pool, DbPool.Pool)
        self.assertIsInstance(pool, Gio.Initable)
        self.assertEqual(pool.get_config().props.path, self.db_path())
        self.assertTrue(os.path.exists(self.db_path()))
        self.assertFalse(pool.is_closed())

    def test_sync_from_path(self):
        # The override accepts a path where a config is expected.
        pool = DbPool.Pool.new(self.db_path())
        self.addCleanup(pool.close)
        self.assertEqual(pool.get_config().props.max_connections, 10)

    def test_async(self):
        config = DbPool.PoolConfig.new_memory_efficient(self.db_path())
        _, result = wait_async(lambda cb: DbPool.Pool.new_async(
            config, GLib.PRIORITY_DEFAULT, None, cb))
        pool = DbPool.Pool.new_finish(result)
        self.addCleanup(pool.close)
        self.assertIsInstance(pool, DbPool.Pool)
        self.assertIsInstance(pool, Gio.AsyncInitable)
        self.assertEqual(pool.get_config().props.max_connections, 5)
        with pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute('CREATE TABLE t (x)')

    def test_async_error(self):
        config = DbPool.PoolConfig.new(self.db_path())
        config.props.max_connections = 0
        _, result = wait_async(lambda cb: DbPool.Pool.new_async(
            config, GLib.PRIORITY_DEFAULT, None, cb))
        with self.assertRaises(GLib.Error) as ctx:
            DbPool.Pool.new_finish(result)
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_CONFIG)

    def test_open_error(self):
        config = DbPool.PoolConfig.new(os.path.join(self.tmpdir, 'missing', 'dir', 'x.db'))
        with self.assertRaises(GLib.Error) as ctx:
            DbPool.Pool.new(config, None)
        self.assertPoolError(ctx, DbPool.PoolError.OPEN)

    def test_pool_context_manager_closes(self):
        with DbPool.Pool.new(self.db_path()) as pool:
            self.assertFalse(pool.is_closed())
        self.assertTrue(pool.is_closed())
        with self.assertRaises(GLib.Error) as ctx:
            pool.acquire(DbPool.Access.READ)
        self.assertPoolError(ctx, DbPool.PoolError.CLOSED)


class LeaseTests(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.pool = self.open_pool()
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute_script(SCHEMA)

    def count(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            return conn.query('SELECT count(*) AS n FROM items')[0]['n']

    def test_acquire_release(self):
        conn = self.pool.acquire(DbPool.Access.READ)
        self.assertIsInstance(conn, DbPool.Connection)
        self.assertEqual(conn.get_access(), DbPool.Access.READ)
        self.assertEqual(conn.props.access, DbPool.Access.READ)
        self.assertEqual(self.pool.get_stats().current_active_connections, 1)
        conn.release()
        conn.release()  # idempotent
        self.assertTrue(conn.is_released())
        self.assertEqual(self.pool.get_stats().current_active_connections, 0)
        with self.assertRaises(GLib.Error) as ctx:
            conn.query('SELECT 1')
        self.assertPoolError(ctx, DbPool.PoolError.MISUSE)

    def test_with_releases(self):
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            self.assertFalse(conn.is_released())
            self.assertEqual(conn.get_access(), DbPool.Access.WRITE)
        self.assertTrue(conn.is_released())
        self.assertEqual(self.pool.get_stats().current_active_connections, 0)

    def test_with_releases_on_exception(self):
        with self.assertRaises(KeyError):
            with self.pool.acquire(DbPool.Access.READ) as conn:
                raise KeyError('boom')
        self.assertTrue(conn.is_released())

    def test_connection_properties(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            self.assertGreater(conn.props.created_at_us, 0)
            self.assertGreaterEqual(conn.props.age_us, 0)
            self.assertGreaterEqual(conn.props.last_used_us, conn.props.created_at_us)

    def test_read_lease_is_read_only(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            with self.assertRaises(GLib.Error) as ctx:
                conn.execute("INSERT INTO items (name) VALUES ('x')")
            self.assertPoolError(ctx, DbPool.PoolError.READ_ONLY)
        self.assertEqual(self.count(), 0)

    def test_transaction_commits(self):
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            with conn.transaction():
                self.assertTrue(conn.in_transaction())
                conn.execute('INSERT INTO items (name) VALUES (?)', ('a',))
                conn.execute('INSERT INTO items (name) VALUES (?)', ['b'])
            self.assertFalse(conn.in_transaction())
        self.assertEqual(self.count(), 2)

    def test_transaction_rolls_back_on_exception(self):
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            with self.assertRaises(ZeroDivisionError):
                with conn.transaction():
                    conn.execute('INSERT INTO items (name) VALUES (?)', ('a',))
                    1 / 0
            self.assertFalse(conn.in_transaction())
            # The lease is still usable after the rollback.
            conn.execute('INSERT INTO items (name) VALUES (?)', ('b',))
        self.assertEqual(self.count(), 1)

    def test_transaction_rolls_back_on_sql_error(self):
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute('INSERT INTO items (name) VALUES (?)', ('dup',))
            with self.assertRaises(GLib.Error) as ctx:
                with conn.transaction():
                    conn.execute('INSERT INTO items (name) VALUES (?)', ('new',))
                    conn.execute('INSERT INTO items (name) VALUES (?)', ('dup',))
            self.assertPoolError(ctx, DbPool.PoolError.CONSTRAINT)
        self.assertEqual(self.count(), 1)

    def test_exception_in_lease_rolls_back_open_transaction(self):
        with self.assertRaises(RuntimeError):
            with self.pool.acquire(DbPool.Access.WRITE) as conn:
                conn.begin()
                conn.execute('INSERT INTO items (name) VALUES (?)', ('a',))
                raise RuntimeError('escaped')
        self.assertTrue(conn.is_released())
        self.assertEqual(self.count(), 0)
        # The connection went back clean: the next writer can begin at once.
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            with conn.transaction():
                conn.execute('INSERT INTO items (name) VALUES (?)', ('b',))
        self.assertEqual(self.count(), 1)

    def test_last_insert_rowid(self):
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            self.assertEqual(conn.execute('INSERT INTO items (name) VALUES (?)', ('a',)), 1)
            first = conn.get_last_insert_rowid()
            conn.execute('INSERT INTO items (name) VALUES (?)', ('b',))
            self.assertEqual(conn.get_last_insert_rowid(), first + 1)
            self.assertEqual(conn.execute('UPDATE items SET flag = 1'), 2)


class ValueTests(TempDirTestCase):
    """Python values in, Python values out, through the override."""

    def setUp(self):
        super().setUp()
        self.pool = self.open_pool()
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute_script(SCHEMA)
            conn.execute('INSERT INTO items (name, weight, data, flag) VALUES (?, ?, ?, ?)',
                         ('alpha', 1.5, b'\x00\x01\xffz', True))
            conn.execute('INSERT INTO items (name, weight, data, flag) '
                         'VALUES (:name, :weight, :data, :flag)',
                         {'name': 'beta', 'weight': None, 'data': None, 'flag': False})
            conn.execute('INSERT INTO items (name, weight, data, flag) VALUES (?, ?, ?, ?)',
                         ('gamma', -2.25, bytearray(b'abc'), 2 ** 62))

    def query(self, sql, params=None):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            return conn.query(sql, params)

    def test_rows_as_dicts(self):
        rows = self.query('SELECT name, weight, data, flag FROM items ORDER BY id')
        self.assertIsInstance(rows, DbPool.Rows)
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows.columns, ['name', 'weight', 'data', 'flag'])
        self.assertEqual(list(rows), [
            {'name': 'alpha', 'weight': 1.5, 'data': b'\x00\x01\xffz', 'flag': 1},
            {'name': 'beta', 'weight': None, 'data': None, 'flag': 0},
            {'name': 'gamma', 'weight': -2.25, 'data': b'abc', 'flag': 2 ** 62},
        ])
        self.assertEqual(rows[-1]['name'], 'gamma')
        self.assertEqual([r['name'] for r in rows[0:2]], ['alpha', 'beta'])
        with self.assertRaises(IndexError):
            rows[3]

    def test_rows_as_tuples(self):
        rows = self.query('SELECT id, name FROM items ORDER BY id')
        self.assertEqual(rows.tuples(), [(1, 'alpha'), (2, 'beta'), (3, 'gamma')])

    def test_python_types(self):
        row = self.query('SELECT name, weight, data, flag FROM items WHERE id = 1')[0]
        self.assertIs(type(row['name']), str)
        self.assertIs(type(row['weight']), float)
        self.assertIs(type(row['data']), bytes)
        self.assertIs(type(row['flag']), int)

    def test_typed_getters_agree(self):
        rows = self.query('SELECT name, weight, data, flag FROM items ORDER BY id')
        self.assertEqual(rows.get_string(0, 0), 'alpha')
        self.assertEqual(rows.get_double(0, 1), 1.5)
        self.assertEqual(rows.get_bytes(0, 2).get_data(), b'\x00\x01\xffz')
        self.assertEqual(rows.get_int64(2, 3), 2 ** 62)
        self.assertTrue(rows.is_null(1, 1))
        self.assertFalse(rows.is_null(0, 1))
        self.assertEqual(rows.get_column_index('flag'), 3)

    def test_empty_result(self):
        rows = self.query('SELECT name FROM items WHERE id > ?', (100,))
        self.assertEqual(len(rows), 0)
        self.assertFalse(rows)
        self.assertEqual(rows.columns, ['name'])
        self.assertEqual(rows.tuples(), [])

    def test_params_forms(self):
        self.assertEqual(self.query('SELECT ? + ? AS s', (2, 3))[0]['s'], 5)
        self.assertEqual(self.query('SELECT :a || :b AS s', {'a': 'x', 'b': 'y'})[0]['s'],
                         'xy')
        self.assertIsNone(self.query('SELECT ? AS n', (None,))[0]['n'])
        self.assertEqual(self.query('SELECT 7 AS n', None)[0]['n'], 7)
        self.assertTrue(math.isinf(self.query('SELECT ? AS d', (float('inf'),))[0]['d']))
        self.assertEqual(self.query('SELECT ? AS s', ('h\u00e9 \u2603',))[0]['s'],
                         'h\u00e9 \u2603')
        # A hand-built GLib.Variant still goes straight through.
        self.assertEqual(self.query('SELECT ? AS n', GLib.Variant('(x)', (42,)))[0]['n'], 42)

    def test_json_and_variant(self):
        rows = self.query('SELECT name, weight FROM items ORDER BY id LIMIT 2')
        import json
        self.assertEqual(json.loads(rows.to_json()),
                         [{'name': 'alpha', 'weight': 1.5}, {'name': 'beta', 'weight': None}])
        self.assertEqual(rows.to_variant().unpack(),
                         [{'name': 'alpha', 'weight': 1.5}, {'name': 'beta'}])

    def test_unsupported_python_value(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            with self.assertRaises(TypeError) as ctx:
                conn.query('SELECT ?', (object(),))
            self.assertIn('parameter 1', str(ctx.exception))
            with self.assertRaises(TypeError):
                conn.query('SELECT ?', 5)
            with self.assertRaises(OverflowError):
                conn.query('SELECT ?', (2 ** 64,))


class ErrorTests(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.pool = self.open_pool()
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute_script(SCHEMA)

    def test_sql_error(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            with self.assertRaises(GLib.Error) as ctx:
                conn.query('SELEC nonsense')
        self.assertPoolError(ctx, DbPool.PoolError.SQL)
        self.assertIn('SELEC nonsense', ctx.exception.message)

    def test_unknown_table(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            with self.assertRaises(GLib.Error) as ctx:
                conn.query('SELECT * FROM nowhere')
        self.assertPoolError(ctx, DbPool.PoolError.SQL)
        self.assertIn('nowhere', ctx.exception.message)

    def test_constraint(self):
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute('INSERT INTO items (name) VALUES (?)', ('a',))
            with self.assertRaises(GLib.Error) as ctx:
                conn.execute('INSERT INTO items (name) VALUES (?)', ('a',))
            self.assertPoolError(ctx, DbPool.PoolError.CONSTRAINT)
            with self.assertRaises(GLib.Error) as ctx:
                conn.execute('INSERT INTO items (name) VALUES (?)', (None,))
            self.assertPoolError(ctx, DbPool.PoolError.CONSTRAINT)

    def test_wrong_parameter_count(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            with self.assertRaises(GLib.Error) as ctx:
                conn.query('SELECT ?, ?', (1,))
        self.assertPoolError(ctx, DbPool.PoolError.MISUSE)

    def test_unknown_parameter_name(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            with self.assertRaises(GLib.Error) as ctx:
                conn.query('SELECT :a', {'b': 1})
        self.assertPoolError(ctx, DbPool.PoolError.MISUSE)

    def test_cancelled_acquire(self):
        cancellable = Gio.Cancellable()
        cancellable.cancel()
        with self.assertRaises(GLib.Error) as ctx:
            self.pool.acquire(DbPool.Access.READ, cancellable)
        self.assertTrue(ctx.exception.matches(Gio.io_error_quark(),
                                              Gio.IOErrorEnum.CANCELLED))

    def test_timeout(self):
        pool = self.open_pool(DbPool.PoolConfig.new(self.db_path('t.db')),
                              min_connections=1, max_connections=1,
                              connection_timeout_ms=50)
        held = pool.acquire(DbPool.Access.WRITE)
        try:
            with self.assertRaises(GLib.Error) as ctx:
                pool.acquire(DbPool.Access.READ)
            self.assertPoolError(ctx, DbPool.PoolError.TIMEOUT)
        finally:
            held.release()
        self.assertEqual(pool.props.timeouts, 1)


# A lease kept without `with` while the pool's `with` block closes it: this used to
# hang in db_pool_close() for ever, silently.
FORGOTTEN_LEASE_SCRIPT = """
import sys
import gi
gi.require_version('DbPool', '1.0')
from gi.repository import DbPool

with DbPool.Pool.new(sys.argv[1]) as pool:
    conn = pool.acquire(DbPool.Access.WRITE)
    conn.execute('CREATE TABLE t (x)')
print('closed=%s released=%s' % (pool.is_closed(), conn.is_released()))
conn.execute('INSERT INTO t VALUES (1)')
del conn
print('done')
"""


class HangTests(TempDirTestCase):
    def run_child(self, script):
        overrides_dir = gi.overrides.__path__[0]
        runner = os.path.join(os.path.dirname(overrides_dir), 'run-uninstalled.py')
        script_path = os.path.join(self.tmpdir, 'child.py')
        with open(script_path, 'w') as f:
            f.write(script)
        env = dict(os.environ, DBPOOL_OVERRIDES_DIR=overrides_dir)
        # The critical is the point here: it must be logged, not abort the child.
        env['G_DEBUG'] = 'gc-friendly'
        try:
            return subprocess.run([sys.executable, runner, script_path, self.db_path()],
                                  env=env, capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired as e:
            self.fail('the child hung: %s' % (e.stderr,))

    def test_close_with_a_forgotten_lease(self):
        child = self.run_child(FORGOTTEN_LEASE_SCRIPT)
        self.assertEqual(child.returncode, 0, child.stderr)
        self.assertIn('closed=True released=False', child.stdout)
        self.assertIn('done', child.stdout)
        self.assertIn('db_pool_close()', child.stderr)
        self.assertIn('still holds 1 of its leases', child.stderr)
        self.assertIn('a lease acquired through db_pool_acquire()', child.stderr)

    def test_second_write_lease_on_one_thread(self):
        pool = self.open_pool(connection_timeout_ms=2000)
        with pool.acquire(DbPool.Access.WRITE):
            with self.assertRaises(GLib.Error) as ctx:
                pool.acquire(DbPool.Access.WRITE)
            self.assertPoolError(ctx, DbPool.PoolError.MISUSE)
            self.assertIn('already holds the pool\'s write lease', ctx.exception.message)
            self.assertIn('acquired through db_pool_acquire()', ctx.exception.message)
        with pool.acquire(DbPool.Access.WRITE):
            pass

    def test_timeout_says_what_the_pool_was_doing(self):
        pool = self.open_pool(min_connections=1, max_connections=1, connection_timeout_ms=50)
        with pool.acquire(DbPool.Access.WRITE):
            with self.assertRaises(GLib.Error) as ctx:
                pool.acquire(DbPool.Access.READ)
            self.assertPoolError(ctx, DbPool.PoolError.TIMEOUT)
            self.assertIn('1 of 1 connections leased (1 of them to this thread',
                          ctx.exception.message)
            self.assertIn('the write lease held for', ctx.exception.message)


class ReconfigureTests(TempDirTestCase):
    def test_grow(self):
        pool = self.open_pool(min_connections=1, max_connections=1, connection_timeout_ms=50)
        with pool.acquire(DbPool.Access.WRITE):
            config = pool.get_config().copy()
            config.props.max_connections = 2
            self.assertTrue(pool.reconfigure(config))
            with pool.acquire(DbPool.Access.READ) as conn:
                self.assertEqual(conn.query('SELECT 1 AS one')[0]['one'], 1)
        self.assertEqual(pool.get_config().props.max_connections, 2)
        self.assertEqual(pool.props.timeouts, 0)

    def test_refused(self):
        pool = self.open_pool()
        config = pool.get_config().copy()
        config.props.path = self.db_path('other.db')
        config.props.max_connections = 3
        with self.assertRaises(GLib.Error) as ctx:
            pool.reconfigure(config)
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_CONFIG)
        self.assertIn('“path” cannot change on a running pool', ctx.exception.message)
        self.assertEqual(pool.get_config().props.max_connections, 10)


if __name__ == '__main__':
    unittest.main(verbosity=2)
