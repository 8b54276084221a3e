# SPDX-License-Identifier: LGPL-2.1-or-later
"""Group commit from Python: execute_batch_async through the typelib with a
GLib.Variant of parameter rows, and the group_commits / group_commit_jobs stats."""

import unittest

from dbpooltest import DbPool, GLib, TempDirTestCase, wait_async


class GroupCommitTests(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.pool = self.open_pool()
        with self.pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER UNIQUE)')

    def batch(self, sql, rows):
        _, result = wait_async(
            lambda cb: self.pool.execute_batch_async(sql, rows, None, cb))
        return self.pool.execute_batch_finish(result)

    def count(self):
        with self.pool.acquire(DbPool.Access.READ) as conn:
            return conn.query('SELECT count(*) AS n FROM t')[0]['n']

    def test_batch_of_tuples(self):
        rows = GLib.Variant('av', [GLib.Variant('(x)', (i,)) for i in range(5)])
        self.assertEqual(self.batch('INSERT INTO t (u) VALUES (?)', rows), 5)
        self.assertEqual(self.count(), 5)

    def test_batch_of_dicts(self):
        rows = GLib.Variant('aa{sv}', [{'u': GLib.Variant('x', i)} for i in range(3)])
        self.assertEqual(self.batch('INSERT INTO t (u) VALUES (:u)', rows), 3)
        self.assertEqual(self.count(), 3)

    def test_duplicate_fails_whole_batch(self):
        rows = GLib.Variant('av', [GLib.Variant('(x)', (i,)) for i in (1, 2, 1)])
        with self.assertRaises(GLib.Error) as ctx:
            self.batch('INSERT INTO t (u) VALUES (?)', rows)
        self.assertPoolError(ctx, DbPool.PoolError.CONSTRAINT)
        self.assertIn('Row 3 of 3', ctx.exception.message)
        self.assertEqual(self.count(), 0)

    def test_not_an_array_is_misuse(self):
        with self.assertRaises(GLib.Error) as ctx:
            self.batch('INSERT INTO t (u) VALUES (?)', GLib.Variant('(x)', (1,)))
        self.assertPoolError(ctx, DbPool.PoolError.MISUSE)

    def test_stats_count_committed_jobs(self):
        before = self.pool.get_stats()
        rows = GLib.Variant('av', [GLib.Variant('(x)', (i,)) for i in range(4)])
        self.batch('INSERT INTO t (u) VALUES (?)', rows)
        self.batch('INSERT INTO t (u) VALUES (?)',
                   GLib.Variant('av', [GLib.Variant('(x)', (10,))]))
        after = self.pool.get_stats()
        # A batch job is one write job, however many rows it has.
        self.assertEqual(after.group_commit_jobs - before.group_commit_jobs, 2)
        self.assertGreaterEqual(after.group_commits - before.group_commits, 1)
        self.assertEqual(self.pool.props.group_commit_jobs, after.group_commit_jobs)
        self.assertEqual(self.pool.props.group_commits, after.group_commits)


if __name__ == '__main__':
    unittest.main()
