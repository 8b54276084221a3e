# SPDX-License-Identifier: LGPL-2.1-or-later
"""Batch parameter rows from plain Python: DbPool.param_rows_to_variant turns a list of
tuples/lists into "av" (one tuple per row) and a list of dicts into "aa{sv}", as
db_pool_execute_batch_async takes them; pool.execute_batch_async accepts the lists."""

import unittest

from dbpooltest import DbPool, GLib, TempDirTestCase, wait_async

HAVE_BATCH = hasattr(DbPool.Pool, 'execute_batch_finish')


class ParamRowsTests(unittest.TestCase):
    def test_tuples_become_av_of_tuples(self):
        rows = DbPool.param_rows_to_variant([(1, 'a'), [None, b'\x00\xff'], (2.5, True)])
        self.assertEqual(rows.get_type_string(), 'av')
        self.assertEqual([rows.get_child_value(i).get_variant().get_type_string()
                          for i in range(rows.n_children())],
                         ['(xs)', '(mvay)', '(db)'])
        self.assertEqual(rows.get_child_value(1).get_variant().get_child_value(1)
                         .get_data_as_bytes().get_data(), b'\x00\xff')

    def test_dicts_become_aa_sv(self):
        rows = DbPool.param_rows_to_variant([{'id': 1, 'name': 'x'}, {'id': 2, 'name': None}])
        self.assertEqual(rows.get_type_string(), 'aa{sv}')
        self.assertEqual(rows.get_child_value(0).unpack(), {'id': 1, 'name': 'x'})
        self.assertEqual(rows.get_child_value(1).lookup_value('name', None).get_type_string(),
                         'mv')

    def test_generators_and_empty(self):
        rows = DbPool.param_rows_to_variant((i,) for i in range(3))
        self.assertEqual(rows.n_children(), 3)
        self.assertEqual(DbPool.param_rows_to_variant([]).get_type_string(), 'av')
        # A statement without parameters: empty rows.
        self.assertEqual(DbPool.param_rows_to_variant([(), ()]).print_(False), '[<()>, <()>]')

    def test_variant_passes_through(self):
        v = GLib.Variant('a(sx)', [('a', 1)])
        self.assertIs(DbPool.param_rows_to_variant(v), v)

    def test_errors_name_the_row(self):
        for rows, message in [
                ([(1,), {'a': 1}], 'row 1: rows must be all tuples/lists'),
                ([{'a': 1}, (1,)], 'row 1: rows must be all tuples/lists'),
                ([(1,), 5], 'row 1: each row must be a tuple, list or dict, not int'),
                ([(1,), (object(),)], 'row 1: parameter 1: cannot bind a value of type object'),
                ([{'a': [1]}], "row 0: parameter 'a': cannot bind a value of type list"),
                ({'a': 1}, 'rows must be a list of tuples, lists or dicts, not dict'),
                ('abc', 'rows must be a list'),
                (None, 'rows must be a list')]:
            with self.subTest(rows=rows):
                with self.assertRaises(TypeError) as ctx:
                    DbPool.param_rows_to_variant(rows)
                self.assertIn(message, str(ctx.exception))
        with self.assertRaises(OverflowError) as ctx:
            DbPool.param_rows_to_variant([(1 << 64,)])
        self.assertIn('row 0: parameter 1', str(ctx.exception))


@unittest.skipUnless(HAVE_BATCH, 'db_pool_execute_batch_async is not in this build')
class ExecuteBatchTests(TempDirTestCase):
    def run_batch(self, pool, sql, rows):
        _, result = wait_async(lambda cb: pool.execute_batch_async(sql, rows, None, cb))
        return pool.execute_batch_finish(result)

    def test_lists_of_tuples_and_dicts(self):
        pool = self.open_pool()
        with pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)')
        self.assertEqual(self.run_batch(pool, 'INSERT INTO t VALUES (?, ?)',
                                        [(1, 'a'), [2, None]]), 2)
        self.assertEqual(self.run_batch(pool, 'INSERT INTO t VALUES (:id, :name)',
                                        [{'id': 3, 'name': 'c'}]), 1)
        with pool.acquire(DbPool.Access.READ) as conn:
            self.assertEqual(conn.query('SELECT id, name FROM t ORDER BY id').tuples(),
                             [(1, 'a'), (2, None), (3, 'c')])


if __name__ == '__main__':
    unittest.main()
