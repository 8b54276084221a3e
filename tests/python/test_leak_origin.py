# SPDX-License-Identifier: LGPL-2.1-or-later
"""A lease that Python acquired and kept past leak-threshold-ms is reported with the
Python file and line that acquired it (the override passes them to
db_pool_acquire_with_origin), in the warning and in lease-held-too-long."""

import os
import sys
import unittest

from dbpooltest import DbPool, GLib, TempDirTestCase, spin

THIS_FILE = os.path.abspath(__file__)


class LeakOriginTests(TempDirTestCase):
    def open_leaky_pool(self):
        pool = self.open_pool(leak_threshold_ms=50, maintenance_interval_ms=20)
        reports = []
        pool.connect('lease-held-too-long',
                     lambda _pool, held_us, where: reports.append(where))
        warnings = []

        def on_log(domain, level, message, *_):
            warnings.append(message)

        handler = GLib.log_set_handler('dbpool', GLib.LogLevelFlags.LEVEL_WARNING, on_log)
        self.addCleanup(GLib.log_remove_handler, 'dbpool', handler)
        return pool, reports, warnings

    def test_warning_names_python_file_and_line(self):
        pool, reports, warnings = self.open_leaky_pool()
        line = sys._getframe().f_lineno + 1
        conn = pool.acquire(DbPool.Access.WRITE)   # kept, not in a `with`: the leak
        self.addCleanup(conn.release)
        spin(lambda: reports and warnings, 'the leak report')

        origin = '%s:%d (in test_warning_names_python_file_and_line)' % (THIS_FILE, line)
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn('has been held for', warnings[0])
        self.assertIn('acquired through db_pool_acquire() at ' + origin, warnings[0])
        self.assertIn(origin, reports[0])
        # The interpreter's C stack says nothing useful to a Python programmer.
        self.assertNotIn('#0', reports[0])

    def test_run_async_lease_names_the_run_async_caller(self):
        pool, reports, warnings = self.open_leaky_pool()
        held = []

        def hold(conn, cancellable):
            # Keep the lease until the report is out (the main thread sees it).
            held.append(conn)
            while not reports:
                GLib.usleep(5000)

        line = sys._getframe().f_lineno + 1
        pool.run_async(DbPool.Access.READ, hold, None, lambda *_: held.append('done'))
        spin(lambda: 'done' in held, 'run_async to finish')

        self.assertIn('%s:%d (in test_run_async_lease_names_the_run_async_caller)'
                      % (THIS_FILE, line), reports[0])

    def test_origin_given_to_the_c_call_is_named(self):
        pool, reports, _ = self.open_leaky_pool()
        conn = DbPool.Pool.acquire_with_origin(pool, DbPool.Access.READ, 'my-script:7', None)
        self.addCleanup(conn.release)
        spin(lambda: reports, 'the leak report')
        self.assertIn('at my-script:7', reports[0])

    def test_lease_returned_in_time_is_not_reported(self):
        pool, reports, warnings = self.open_leaky_pool()
        with pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute('CREATE TABLE t (x)')
        # Several maintenance runs past the threshold.
        deadline = GLib.get_monotonic_time() + 200000
        spin(lambda: GLib.get_monotonic_time() > deadline, 'time to pass')
        self.assertEqual((reports, warnings), ([], []))


if __name__ == '__main__':
    unittest.main()
