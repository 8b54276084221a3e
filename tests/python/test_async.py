# SPDX-License-Identifier: LGPL-2.1-or-later
"""The asynchronous API from Python: run_async with a Python function on a worker
thread, execute_async/query_async and acquire_async driven by a GLib main loop."""

import threading
import unittest

from dbpooltest import DbPool, GLib, Gio, TempDirTestCase, wait_async

MAIN = threading.main_thread()


class RunAsyncTests(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.pool = self.open_pool()
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')

    def run_on_worker(self, access, func, cancellable=None):
        _, result = wait_async(lambda cb: self.pool.run_async(access, func, cancellable, cb))
        return self.pool.run_finish(result)

    def test_runs_on_worker_thread_and_returns_python_value(self):
        seen = {}

        def work(conn, cancellable):
            seen['thread'] = threading.current_thread()
            seen['access'] = conn.get_access()
            with conn.transaction():
                for v in ('a', 'b', 'c'):
                    conn.execute('INSERT INTO t (v) VALUES (?)', (v,))
            # Any Python object comes back, not just what fits in a gpointer.
            return {'inserted': 3, 'rows': conn.query('SELECT v FROM t ORDER BY id').tuples()}

        value = self.run_on_worker(DbPool.Access.WRITE, work)
        self.assertIsNot(seen['thread'], MAIN)
        self.assertEqual(seen['access'], DbPool.Access.WRITE)
        self.assertEqual(value, {'inserted': 3, 'rows': [('a',), ('b',), ('c',)]})

    def test_lease_is_returned_after_function(self):
        kept = []

        def work(conn, cancellable):
            kept.append(conn)
            return conn.query('SELECT count(*) AS n FROM t')[0]['n']

        self.assertEqual(self.run_on_worker(DbPool.Access.READ, work), 0)
        self.assertTrue(kept[0].is_released())
        self.assertEqual(self.pool.get_stats().current_active_connections, 0)

    def test_python_exception_reaches_run_finish(self):
        def work(conn, cancellable):
            conn.execute('INSERT INTO t (v) VALUES (?)', ('x',))
            raise ValueError('from the worker')

        with self.assertRaises(ValueError) as ctx:
            self.run_on_worker(DbPool.Access.WRITE, work)
        self.assertEqual(str(ctx.exception), 'from the worker')

    def test_glib_error_reaches_run_finish(self):
        def work(conn, cancellable):
            return conn.execute("INSERT INTO t (v) VALUES ('x')")

        with self.assertRaises(GLib.Error) as ctx:
            self.run_on_worker(DbPool.Access.READ, work)
        self.assertPoolError(ctx, DbPool.PoolError.READ_ONLY)

    def test_none_result(self):
        self.assertIsNone(self.run_on_worker(DbPool.Access.READ, lambda conn, c: None))

    def test_cancelled_before_start(self):
        ran = []
        cancellable = Gio.Cancellable()
        cancellable.cancel()
        with self.assertRaises(GLib.Error) as ctx:
            self.run_on_worker(DbPool.Access.READ, lambda conn, c: ran.append(1),
                               cancellable)
        self.assertTrue(ctx.exception.matches(Gio.io_error_quark(),
                                              Gio.IOErrorEnum.CANCELLED))
        self.assertEqual(ran, [])

    def test_many_concurrent_runs(self):
        loop = GLib.MainLoop()
        results = []
        threads = set()
        n = 40

        def work(conn, cancellable, i):
            threads.add(threading.get_ident())
            conn.execute('INSERT INTO t (v) VALUES (?)', ('v%d' % i,))
            return i

        callback_threads = set()

        def done(pool, result):
            callback_threads.add(threading.current_thread())
            try:
                results.append(pool.run_finish(result))
            except Exception as exc:  # asserted below, not lost in the main loop
                results.append(exc)
            if len(results) == n:
                loop.quit()

        for i in range(n):
            self.pool.run_async(DbPool.Access.WRITE,
                                lambda conn, c, i=i: work(conn, c, i), None, done)
        loop.run()
        self.assertEqual(sorted(results), list(range(n)))
        self.assertEqual(callback_threads, {MAIN})
        self.assertNotIn(threading.get_ident(), threads)
        with self.pool.acquire(DbPool.Access.READ) as conn:
            self.assertEqual(conn.query('SELECT count(*) AS n FROM t')[0]['n'], n)

    def test_raw_gi_methods_still_reachable(self):
        self.assertTrue(callable(DbPool.Pool._raw_execute_async))
        self.assertTrue(callable(DbPool.Pool._raw_query_async))
        self.assertTrue(callable(DbPool.Connection._raw_execute))
        self.assertTrue(callable(DbPool.Connection._raw_query))


class StatementAsyncTests(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.pool = self.open_pool()
        self.execute('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, '
                     'score REAL, raw BLOB)')

    def execute(self, sql, params=None):
        _, result = wait_async(lambda cb: self.pool.execute_async(sql, params, None, cb))
        return self.pool.execute_finish(result)

    def query(self, sql, params=None):
        _, result = wait_async(lambda cb: self.pool.query_async(sql, params, None, cb))
        return self.pool.query_finish(result)

    def test_execute_and_query(self):
        changed, rowid = self.execute('INSERT INTO notes (body, score, raw) VALUES (?, ?, ?)',
                                      ('hello', 0.5, b'\x01\x02'))
        self.assertEqual(changed, 1)
        self.assertEqual(rowid, 1)
        changed, rowid = self.execute(
            'INSERT INTO notes (body, score, raw) VALUES (:body, :score, :raw)',
            {'body': 'world', 'score': None, 'raw': None})
        self.assertEqual((changed, rowid), (1, 2))
        rows = self.query('SELECT body, score, raw FROM notes ORDER BY id')
        self.assertEqual(list(rows), [
            {'body': 'hello', 'score': 0.5, 'raw': b'\x01\x02'},
            {'body': 'world', 'score': None, 'raw': None},
        ])
        changed, _ = self.execute('UPDATE notes SET score = ?', (1.0,))
        self.assertEqual(changed, 2)

    def test_callbacks_on_main_thread_in_parallel(self):
        loop = GLib.MainLoop()
        pending = [0]
        callback_threads = set()

        errors = []

        def done(pool, result, kind):
            callback_threads.add(threading.current_thread())
            try:
                if kind == 'execute':
                    pool.execute_finish(result)
                else:
                    pool.query_finish(result)
            except GLib.Error as exc:
                errors.append(exc)
            pending[0] -= 1
            if pending[0] == 0:
                loop.quit()

        for i in range(25):
            pending[0] += 2
            self.pool.execute_async('INSERT INTO notes (body) VALUES (?)', ('n%d' % i,),
                                    None, done, 'execute')
            self.pool.query_async('SELECT count(*) FROM notes', None, None, done, 'query')
        loop.run()
        self.assertEqual(errors, [])
        self.assertEqual(callback_threads, {MAIN})
        self.assertEqual(len(self.query('SELECT id FROM notes')), 25)

    def test_errors(self):
        with self.assertRaises(GLib.Error) as ctx:
            self.query('SELECT * FROM missing_table')
        self.assertPoolError(ctx, DbPool.PoolError.SQL)
        self.execute('CREATE UNIQUE INDEX notes_body ON notes (body)')
        self.execute('INSERT INTO notes (body) VALUES (?)', ('same',))
        with self.assertRaises(GLib.Error) as ctx:
            self.execute('INSERT INTO notes (body) VALUES (?)', ('same',))
        self.assertPoolError(ctx, DbPool.PoolError.CONSTRAINT)
        with self.assertRaises(GLib.Error) as ctx:
            self.execute('INSERT INTO notes (body) VALUES (?)', ('a', 'b'))
        self.assertPoolError(ctx, DbPool.PoolError.MISUSE)

    def test_query_returning(self):
        # query_async runs anything that is not a SELECT on the write lease.
        rows = self.query("INSERT INTO notes (body) VALUES (?) RETURNING id, body", ('r',))
        self.assertEqual(list(rows), [{'id': 1, 'body': 'r'}])
        self.assertEqual(len(self.query('SELECT id FROM notes')), 1)

    def test_acquire_async(self):
        _, result = wait_async(lambda cb: self.pool.acquire_async(DbPool.Access.WRITE,
                                                                  None, cb))
        with self.pool.acquire_finish(result) as conn:
            self.assertEqual(conn.get_access(), DbPool.Access.WRITE)
            conn.execute('INSERT INTO notes (body) VALUES (?)', ('from main',))
        self.assertEqual(self.query('SELECT body FROM notes').tuples(), [('from main',)])

    def test_close_async(self):
        _, result = wait_async(lambda cb: self.pool.close_async(None, cb))
        self.assertTrue(self.pool.close_finish(result))
        self.assertTrue(self.pool.is_closed())
        with self.assertRaises(GLib.Error) as ctx:
            self.query('SELECT 1')
        self.assertPoolError(ctx, DbPool.PoolError.CLOSED)


if __name__ == '__main__':
    unittest.main(verbosity=2)
