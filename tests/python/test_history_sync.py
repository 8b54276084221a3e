# SPDX-License-Identifier: LGPL-2.1-or-later
"""The override's blocking *_sync twins of DbPool.HistoryStorage's async calls: same
results and errors as *_finish, no main loop needed, and the caller's own main context
is left alone while they wait."""

import json
import os
import signal
import threading
import unittest

from dbpooltest import DbPool, GLib, Gio
from test_history import HistoryTestCase, items, make_snapshot, notification

MINUTE_US = 60 * 1000000


def diagnostics_json(uri, messages, version=None):
    params = {'uri': uri, 'diagnostics': [
        {'range': {'start': {'line': i, 'character': 0}, 'end': {'line': i, 'character': 1}},
         'severity': 1, 'message': message}
        for i, message in enumerate(messages)]}
    if version is not None:
        params['version'] = version
    return json.dumps(notification(params))


class HistorySyncTests(HistoryTestCase):
    def test_record_and_query_without_a_main_loop(self):
        storage = self.open_storage()
        first = storage.record_lsp_json_sync(diagnostics_json('file:///a.c', ['x', 'y'], 3))
        second = storage.record_snapshot_sync(
            make_snapshot('file:///a.c', GLib.get_real_time() + 1000000, 0, 2))
        self.assertGreater(second, first)

        history = storage.get_file_history_sync('file:///a.c')
        self.assertEqual([s.props.id for s in items(history)], [second, first])
        self.assertEqual([s.props.id for s in items(
            storage.get_file_history_sync('file:///a.c', 1))], [second])

        latest = storage.get_latest_sync('file:///a.c')
        self.assertEqual((latest.props.id, latest.props.warning_count), (second, 2))
        self.assertIsNone(storage.get_latest_sync('file:///none.c'))

        full = storage.get_snapshot_sync(first)
        self.assertEqual((full.props.version, full.props.error_count), (3, 2))
        self.assertEqual([d.get_message() for d in items(full.get_diagnostics())], ['x', 'y'])
        self.assertIsNone(storage.get_snapshot_sync(first + 1000))

        storage.record_lsp_json_sync(diagnostics_json('file:///b.c', []))
        self.assertEqual([s.props.file_uri for s in items(storage.list_latest_sync())],
                         ['file:///a.c', 'file:///b.c'])

    def test_trend_and_cleanup(self):
        storage = self.open_storage(retention_days=0, max_snapshots_per_file=1)
        hour = 60 * MINUTE_US
        t0 = (GLib.get_real_time() // hour - 2) * hour
        storage.record_snapshot_sync(make_snapshot('file:///t.c', t0 + MINUTE_US, 2, 1))
        storage.record_snapshot_sync(make_snapshot('file:///t.c', t0 + 7 * MINUTE_US, 1, 0))

        trend = storage.get_trend_sync('file:///t.c', t0, 5 * MINUTE_US)
        self.assertIsInstance(trend, GLib.Variant)
        self.assertEqual(trend.unpack(), [(t0, 2, 1, 0, 0), (t0 + 5 * MINUTE_US, 1, 0, 0, 0)])
        self.assertEqual(storage.cleanup_sync(), 1)
        self.assertEqual(storage.cleanup_sync(), 0)

    def test_errors_are_raised(self):
        storage = self.open_storage()
        with self.assertRaises(GLib.Error) as ctx:
            storage.record_lsp_json_sync('{"jsonrpc": "2.0"')
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_INPUT)
        with self.assertRaises(GLib.Error) as ctx:
            storage.get_trend_sync(None, 0, 0)
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_INPUT)
        # Nothing was left half-done: the storage still works.
        self.assertEqual(len(storage.get_file_history_sync('file:///a.c')), 0)

    def test_cancelled(self):
        storage = self.open_storage()
        cancellable = Gio.Cancellable()
        cancellable.cancel()
        with self.assertRaises(GLib.Error) as ctx:
            storage.get_file_history_sync('file:///a.c', 0, cancellable)
        self.assertTrue(ctx.exception.matches(Gio.io_error_quark(),
                                              Gio.IOErrorEnum.CANCELLED), ctx.exception)

    def test_callers_main_context_is_not_run(self):
        # The wait spins a private context: a source of the caller's (default) context
        # does not run behind its back, in the middle of a blocking call.
        storage = self.open_storage()
        ran = []
        GLib.idle_add(lambda: ran.append(True) and GLib.SOURCE_REMOVE)
        storage.record_lsp_json_sync(diagnostics_json('file:///c.c', ['z']))
        self.assertEqual(len(storage.list_latest_sync()), 1)
        self.assertEqual(ran, [])
        GLib.MainContext.default().iteration(False)
        self.assertEqual(ran, [True])

    def test_ctrl_c_interrupts_the_wait(self):
        # The write lease is held here, so the record cannot finish until the
        # connection timeout fails it; Ctrl-C must end the wait before that.
        storage = self.open_storage(connection_timeout_secs=3)
        pool = storage.get_pool()
        blocker = pool.acquire(DbPool.Access.WRITE)
        self.addCleanup(blocker.release)
        timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        self.addCleanup(timer.cancel)
        with self.assertRaises(KeyboardInterrupt):
            storage.record_lsp_json_sync(diagnostics_json('file:///i.c', ['x']))
        # Interrupted while still waiting, not once the record had timed out.
        self.assertEqual(pool.get_stats().timeouts, 0)
        self.assertFalse(blocker.is_released())

    def test_from_another_thread(self):
        storage = self.open_storage()
        out = []

        def work():
            try:
                snapshot_id = storage.record_lsp_json_sync(diagnostics_json('file:///t.c', ['w']))
                out.append(storage.get_latest_sync('file:///t.c').props.id == snapshot_id)
            except BaseException as exc:   # reported by the main thread
                out.append(exc)

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(30)
        self.assertFalse(thread.is_alive(), 'the sync calls hung on a thread')
        self.assertEqual(out, [True])


if __name__ == '__main__':
    unittest.main()
