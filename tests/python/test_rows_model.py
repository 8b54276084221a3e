# SPDX-License-Identifier: LGPL-2.1-or-later
"""DbPool.Rows as a Gio.ListModel of DbPool.Row items (what a GTK list widget is
given), alongside the override's sequence of dicts, which must not change."""

import gc
import unittest

from dbpooltest import DbPool, GLib, Gio, GObject, TempDirTestCase

MIXED_SQL = ("SELECT 1 AS i, 2.5 AS d, 'txt' AS s, x'00ff' AS b, NULL AS n "
             "UNION ALL SELECT -7, 1.0, 'é', x'', 3")


class RowsModelTests(TempDirTestCase):
    def query(self, sql=MIXED_SQL):
        pool = self.open_pool(min_connections=1, max_connections=2)
        with pool.acquire(DbPool.Access.READ) as conn:
            return conn.query(sql)

    def test_is_a_list_model_of_rows(self):
        rows = self.query()
        self.assertIsInstance(rows, Gio.ListModel)
        self.assertEqual(rows.get_item_type(), DbPool.Row.__gtype__)
        self.assertEqual(rows.get_n_items(), 2)
        self.assertEqual(Gio.ListModel.get_n_items(rows), 2)
        for i in range(2):
            row = rows.get_item(i)
            self.assertIsInstance(row, DbPool.Row)
            self.assertEqual(row.get_index(), i)
            self.assertEqual(row.get_n_columns(), 5)
            self.assertEqual(row.get_rows(), rows)
        self.assertIsNone(rows.get_item(2))

    def test_generic_list_model_protocol(self):
        # What code written against any Gio.ListModel does: PyGObject's own
        # ListModel sequence protocol yields the DbPool.Row items.
        rows = self.query()
        items = list(Gio.ListModel.__iter__(rows))
        self.assertEqual([type(item) for item in items], [DbPool.Row, DbPool.Row])
        self.assertEqual([item.get_index() for item in items], [0, 1])
        self.assertEqual(Gio.ListModel.__getitem__(rows, -1).get_int64(0), -7)
        self.assertEqual(Gio.ListModel.__len__(rows), 2)
        with self.assertRaises(IndexError):
            Gio.ListModel.__getitem__(rows, 2)

    def test_sequence_of_dicts_unchanged(self):
        # The override's Python view stays what the README promises.
        rows = self.query()
        expected = [{'i': 1, 'd': 2.5, 's': 'txt', 'b': b'\x00\xff', 'n': None},
                    {'i': -7, 'd': 1.0, 's': 'é', 'b': b'', 'n': 3}]
        self.assertEqual(list(rows), expected)
        self.assertEqual(rows[0], expected[0])
        self.assertEqual(rows[-1], expected[1])
        self.assertEqual(rows[0:1], expected[:1])
        self.assertEqual(len(rows), 2)
        self.assertEqual([dict(row) for row in rows], expected)
        # `in` compares dicts, as before the model existed (the ListModel override's
        # `in` would raise TypeError for anything but a DbPool.Row).
        self.assertIn(expected[1], rows)
        self.assertNotIn({'i': 5}, rows)
        self.assertIn(rows.get_item(1), rows)
        self.assertNotIn(self.query().get_item(0), rows)

    def test_row_getters(self):
        rows = self.query()
        first, second = rows.get_item(0), rows.get_item(1)
        self.assertEqual(first.get_int64(0), 1)
        self.assertEqual(second.get_int64(0), -7)
        self.assertEqual(first.get_double(1), 2.5)
        self.assertEqual(second.get_string(1), '1.0')
        self.assertEqual(first.get_string(2), 'txt')
        self.assertEqual(second.get_string(2), 'é')
        self.assertEqual(first.get_bytes(3).get_data(), b'\x00\xff')
        self.assertIsNone(first.get_string(3))
        self.assertTrue(first.is_null(4))
        self.assertFalse(second.is_null(4))
        self.assertIsNone(first.get_bytes(4))
        self.assertEqual(first.get_column_index('s'), 2)
        self.assertEqual(first.get_column_index('S'), 2)
        self.assertEqual(first.get_column_index('missing'), -1)
        # As DbPool.Rows.get_value: (True, value) or (False, None) for NULL.
        self.assertEqual(tuple(second.get_value(0)), (True, -7))
        self.assertEqual(tuple(second.get_value(2)), (True, 'é'))
        self.assertEqual(tuple(first.get_value(4)), (False, None))
        self.assertEqual(tuple(first.get_value(4)), tuple(rows.get_value(0, 4)))
        for r in range(2):
            row = rows.get_item(r)
            for c in range(5):
                self.assertEqual(row.get_string(c), rows.get_string(r, c))
                self.assertEqual(row.get_int64(c), rows.get_int64(r, c))
                self.assertEqual(row.get_double(c), rows.get_double(r, c))
                self.assertEqual(row.is_null(c), rows.is_null(r, c))

    def test_row_keeps_rows_alive(self):
        # A Python weakref would only watch the wrapper: watch the GObject itself.
        rows = self.query("SELECT 'kept' AS s")
        row = rows.get_item(0)
        finalized = []
        rows.weak_ref(lambda: finalized.append(True))
        del rows
        gc.collect()
        self.assertEqual(finalized, [])
        self.assertEqual(row.get_string(0), 'kept')
        self.assertEqual(row.get_rows().get_column_name(0), 's')
        del row
        gc.collect()
        self.assertEqual(finalized, [True])

    def test_never_changes(self):
        rows = self.query()
        changes = []
        rows.connect('items-changed', lambda *args: changes.append(args))
        for i in range(3):
            rows.get_item(i)
        list(rows)
        GLib.MainContext.default().iteration(False)
        self.assertEqual(changes, [])

    def test_feeds_list_model_consumers(self):
        # Gio's own list machinery takes it like any model: copied into a
        # Gio.ListStore, items keep their values.
        rows = self.query()
        store = Gio.ListStore(item_type=DbPool.Row)
        for i in range(rows.get_n_items()):
            store.append(rows.get_item(i))
        self.assertEqual([store.get_item(i).get_int64(0) for i in range(2)], [1, -7])
        self.assertTrue(GObject.type_is_a(rows.get_item_type(), GObject.Object))

    def test_empty(self):
        rows = self.query('SELECT 1 AS one WHERE 0')
        self.assertEqual(rows.get_n_items(), 0)
        self.assertIsNone(rows.get_item(0))
        self.assertEqual(list(rows), [])


if __name__ == '__main__':
    unittest.main()
