# SPDX-License-Identifier: LGPL-2.1-or-later
"""DbPool.Statement (typed prepared statements) and Connection.reacquire() from Python:
binding, stepping, typed getters, errors as GLib.Error, release detaching statements."""

import gc
import threading
import unittest

from dbpooltest import DbPool, GLib, Gio, TempDirTestCase

SCHEMA = 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER)'
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


def fill(conn, n_rows):
    """Rows id 1..n_rows, name 'row<id>', n = id * 10, through one prepared insert."""
    insert = conn.prepare("INSERT INTO t (id, name, n) VALUES (?, 'row' || ?1, ?1 * 10)")
    with conn.transaction():
        for i in range(1, n_rows + 1):
            insert.bind_int64(1, i)
            assert insert.execute() == 1
    return insert


class StatementTests(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.pool = self.open_pool(min_connections=1, max_connections=2)
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute_script(SCHEMA)
            fill(conn, 50)

    def active_idle(self):
        stats = self.pool.get_stats()
        return stats.current_active_connections, stats.current_idle_connections

    def test_round_trip(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            stmt = conn.prepare('SELECT ?1 AS v, typeof(?1) AS type')
            self.assertIsInstance(stmt, DbPool.Statement)
            self.assertEqual(stmt.get_n_parameters(), 1)
            self.assertEqual(stmt.get_n_columns(), 2)
            self.assertEqual([stmt.get_column_name(0), stmt.get_column_name(1)],
                             ['v', 'type'])

            def one(bind, *args):
                bind(1, *args)
                self.assertTrue(stmt.step())
                return stmt

            for value in (INT64_MIN, -1, 0, INT64_MAX):
                one(stmt.bind_int64, value)
                self.assertEqual(stmt.get_int64(0), value)
                self.assertEqual(stmt.get_string(1), 'integer')
            with self.assertRaises(OverflowError):
                stmt.bind_int64(1, INT64_MAX + 1)

            one(stmt.bind_double, -2.25)
            self.assertEqual(stmt.get_double(0), -2.25)
            self.assertEqual(stmt.get_string(1), 'real')

            one(stmt.bind_text, 'h\u00e9 \u2603')
            self.assertEqual(stmt.get_string(0), 'h\u00e9 \u2603')
            self.assertEqual(stmt.get_bytes(0).get_data(), 'h\u00e9 \u2603'.encode())
            one(stmt.bind_text, '')
            self.assertEqual(stmt.get_string(0), '')
            self.assertFalse(stmt.is_null(0))
            one(stmt.bind_text, None)
            self.assertTrue(stmt.is_null(0))
            self.assertIsNone(stmt.get_string(0))

            one(stmt.bind_bytes, GLib.Bytes.new(b'\x00a\x00\xff'))
            self.assertEqual(stmt.get_bytes(0).get_data(), b'\x00a\x00\xff')
            self.assertEqual(stmt.get_string(1), 'blob')
            one(stmt.bind_bytes, GLib.Bytes.new(b''))
            self.assertFalse(stmt.is_null(0))
            self.assertEqual(stmt.get_bytes(0).get_size(), 0)
            self.assertEqual(stmt.get_string(1), 'blob')
            one(stmt.bind_bytes, None)
            self.assertTrue(stmt.is_null(0))

            one(stmt.bind_int64, 7)
            one(stmt.bind_null)
            self.assertTrue(stmt.is_null(0))
            self.assertIsNone(stmt.get_bytes(0))
            self.assertEqual(stmt.get_string(1), 'null')
            self.assertFalse(stmt.step())

    def test_parameters(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            stmt = conn.prepare('SELECT :x, @y, $z, ?7')
            self.assertEqual(stmt.get_n_parameters(), 7)
            self.assertEqual([stmt.get_parameter_index(n) for n in (':x', '@y', '$z', 'x', ':q')],
                             [1, 2, 3, 0, 0])
            stmt.bind_int64(stmt.get_parameter_index(':x'), 1)
            stmt.bind_text(stmt.get_parameter_index('@y'), 'two')
            stmt.bind_double(stmt.get_parameter_index('$z'), 3.5)
            stmt.bind_int64(7, 7)
            self.assertTrue(stmt.step())
            self.assertEqual((stmt.get_int64(0), stmt.get_string(1), stmt.get_double(2),
                              stmt.get_int64(3)), (1, 'two', 3.5, 7))

            for index in (0, 8):
                with self.assertRaises(GLib.Error) as ctx:
                    stmt.bind_int64(index, 1)
                self.assertPoolError(ctx, DbPool.PoolError.MISUSE)
                self.assertIn('Parameter %d' % index, ctx.exception.message)

    def test_step_loop_restart_rebind(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            stmt = conn.prepare('SELECT id, name, n FROM t WHERE id >= ? AND id < ? ORDER BY id')
            stmt.bind_int64(1, 1)
            stmt.bind_int64(2, 1000)
            seen = []
            while stmt.step():
                seen.append((stmt.get_int64(0), stmt.get_string(1), stmt.get_int64(2)))
            self.assertEqual(seen, [(i, 'row%d' % i, i * 10) for i in range(1, 51)])

            # After the last row the next step starts over.
            self.assertTrue(stmt.step())
            self.assertEqual(stmt.get_int64(0), 1)

            # Rebinding mid-iteration starts over and keeps the other binding.
            stmt.bind_int64(2, 4)
            ids = []
            while stmt.step():
                ids.append(stmt.get_int64(0))
            self.assertEqual(ids, [1, 2, 3])

            stmt.clear_bindings()
            self.assertFalse(stmt.step())   # id >= NULL matches nothing

            stmt.bind_int64(1, 49)
            stmt.bind_int64(2, 100)
            self.assertTrue(stmt.step())
            stmt.reset()
            self.assertTrue(stmt.step())
            self.assertEqual(stmt.get_int64(0), 49)

    def test_two_statements_same_sql(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            a = conn.prepare('SELECT id FROM t ORDER BY id')
            b = conn.prepare('SELECT id FROM t ORDER BY id')
            a.step()
            a.step()
            b.step()
            self.assertEqual((a.get_int64(0), b.get_int64(0)), (2, 1))
            # A plain query on the same SQL does not disturb either.
            self.assertEqual(len(conn.query('SELECT id FROM t ORDER BY id')), 50)
            a.step()
            b.step()
            self.assertEqual((a.get_int64(0), b.get_int64(0)), (3, 2))

    def test_execute(self):
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            update = conn.prepare('UPDATE t SET n = n + 1 WHERE id <= ?')
            update.bind_int64(1, 3)
            self.assertEqual(update.execute(), 3)
            self.assertEqual(update.execute(), 3)
            select = conn.prepare('SELECT n FROM t WHERE id = 1')
            self.assertEqual(select.execute(), 0)
            self.assertTrue(select.step())
            self.assertEqual(select.get_int64(0), 12)

    def test_errors(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            with self.assertRaises(GLib.Error) as ctx:
                conn.prepare('SELEKT 1')
            self.assertPoolError(ctx, DbPool.PoolError.SQL)
            self.assertIn('SELEKT 1', ctx.exception.message)
            with self.assertRaises(GLib.Error) as ctx:
                conn.prepare("INSERT INTO t (name) VALUES ('x')")
            self.assertPoolError(ctx, DbPool.PoolError.READ_ONLY)

        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            insert = conn.prepare('INSERT INTO t (name) VALUES (?)')
            insert.bind_text(1, 'row1')
            with self.assertRaises(GLib.Error) as ctx:
                insert.step()
            self.assertPoolError(ctx, DbPool.PoolError.CONSTRAINT)
            self.assertIn('UNIQUE constraint failed: t.name', ctx.exception.message)
            with self.assertRaises(GLib.Error) as ctx:
                insert.execute()
            self.assertPoolError(ctx, DbPool.PoolError.CONSTRAINT)
            # Still usable after the failures.
            insert.bind_text(1, 'new')
            self.assertEqual(insert.execute(), 1)
            self.assertEqual(conn.query('SELECT count(*) AS c FROM t')[0]['c'], 51)

    def test_release_detaches(self):
        conn = self.pool.acquire(DbPool.Access.WRITE)
        stmt = conn.prepare('SELECT id FROM t ORDER BY id')
        insert = conn.prepare('INSERT INTO t (name) VALUES (?)')
        self.assertTrue(stmt.step())
        conn.release()
        self.assertEqual(self.active_idle(), (0, 1))
        for call in (stmt.step, insert.execute, lambda: insert.bind_text(1, 'x'),
                     lambda: insert.bind_bytes(1, GLib.Bytes.new(b'x')),
                     lambda: insert.bind_null(1)):
            with self.assertRaises(GLib.Error) as ctx:
                call()
            self.assertPoolError(ctx, DbPool.PoolError.MISUSE)
        self.assertEqual(stmt.get_n_columns(), 0)
        self.assertEqual(insert.get_n_parameters(), 0)
        del stmt, insert
        gc.collect()
        # The same connection serves the same SQL again.
        with self.pool.acquire(DbPool.Access.READ) as conn:
            stmt = conn.prepare('SELECT id FROM t ORDER BY id')
            self.assertTrue(stmt.step())
            self.assertEqual(stmt.get_int64(0), 1)

    def test_with_block_detaches(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            stmt = conn.prepare('SELECT 1')
        with self.assertRaises(GLib.Error) as ctx:
            stmt.step()
        self.assertPoolError(ctx, DbPool.PoolError.MISUSE)

    def test_statement_keeps_lease(self):
        conn = self.pool.acquire(DbPool.Access.READ)
        stmt = conn.prepare('SELECT id FROM t ORDER BY id')
        del conn
        gc.collect()
        self.assertEqual(self.active_idle(), (1, 0))
        self.assertTrue(stmt.step())
        self.assertEqual(stmt.get_int64(0), 1)
        del stmt
        gc.collect()
        self.assertEqual(self.active_idle(), (0, 1))


class ReacquireTests(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.pool = self.open_pool(min_connections=1, max_connections=1,
                                   connection_timeout_ms=50)
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute_script(SCHEMA)
            fill(conn, 3)

    def test_reacquire(self):
        conn = self.pool.acquire(DbPool.Access.READ)
        with self.assertRaises(GLib.Error) as ctx:
            conn.reacquire(None)
        self.assertPoolError(ctx, DbPool.PoolError.MISUSE)
        old = conn.prepare('SELECT id FROM t ORDER BY id')

        for _ in range(3):
            conn.release()
            self.assertTrue(conn.is_released())
            self.assertEqual(self.pool.get_stats().current_active_connections, 0)
            self.assertTrue(conn.reacquire(None))
            self.assertFalse(conn.is_released())
            self.assertEqual(conn.get_access(), DbPool.Access.READ)
            stmt = conn.prepare('SELECT count(*) FROM t')
            self.assertTrue(stmt.step())
            self.assertEqual(stmt.get_int64(0), 3)
            with self.assertRaises(GLib.Error) as ctx:
                old.step()
            self.assertPoolError(ctx, DbPool.PoolError.MISUSE)
        # The with-statement works on a reacquired lease too.
        with conn:
            self.assertEqual(conn.query('SELECT 1 AS one')[0]['one'], 1)
        self.assertTrue(conn.is_released())

    def test_timeout(self):
        conn = self.pool.acquire(DbPool.Access.READ)
        conn.release()
        held = self.pool.acquire(DbPool.Access.WRITE)
        try:
            with self.assertRaises(GLib.Error) as ctx:
                conn.reacquire(None)
            self.assertPoolError(ctx, DbPool.PoolError.TIMEOUT)
            self.assertTrue(conn.is_released())
        finally:
            held.release()
        self.assertTrue(conn.reacquire(None))
        conn.release()

    def test_cancelled(self):
        conn = self.pool.acquire(DbPool.Access.READ)
        conn.release()
        cancellable = Gio.Cancellable()
        cancellable.cancel()
        with self.assertRaises(GLib.Error) as ctx:
            conn.reacquire(cancellable)
        self.assertTrue(ctx.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))
        self.assertTrue(conn.is_released())

    def test_cancelled_while_waiting(self):
        pool = self.open_pool(DbPool.PoolConfig.new(self.db_path('w.db')),
                              min_connections=1, max_connections=1,
                              connection_timeout_ms=0)
        conn = pool.acquire(DbPool.Access.READ)
        conn.release()
        held = pool.acquire(DbPool.Access.READ)
        cancellable = Gio.Cancellable()
        box = []

        def wait():
            try:
                conn.reacquire(cancellable)
                box.append(None)
            except GLib.Error as e:
                box.append(e)

        thread = threading.Thread(target=wait)
        thread.start()
        deadline = GLib.get_monotonic_time() + 10 * 1000000
        while pool.get_stats().waiting_requests < 1 and GLib.get_monotonic_time() < deadline:
            GLib.usleep(1000)
        self.assertEqual(pool.get_stats().waiting_requests, 1)
        cancellable.cancel()
        thread.join()
        held.release()
        self.assertIsInstance(box[0], GLib.Error)
        self.assertTrue(box[0].matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))
        self.assertTrue(conn.is_released())

    def test_closed(self):
        conn = self.pool.acquire(DbPool.Access.WRITE)
        conn.release()
        self.pool.close()
        with self.assertRaises(GLib.Error) as ctx:
            conn.reacquire(None)
        self.assertPoolError(ctx, DbPool.PoolError.CLOSED)


if __name__ == '__main__':
    unittest.main(verbosity=2)
