# SPDX-License-Identifier: LGPL-2.1-or-later
"""DbPool.HistoryStorage from Python: HistoryConfig, construction, recording LSP
publishDiagnostics JSON and snapshots, bad input, the queries, cleanup and its timer,
the real LSP captures, and notify:: from the storage's pool."""

import collections
import glob
import json
import os
import threading
import unittest

from dbpooltest import DbPool, GLib, TempDirTestCase, spin, wait_async

MAIN = threading.main_thread()
DAY_US = 24 * 3600 * 1000000
MINUTE_US = 60 * 1000000

# The captures of real language servers, in the tree (tests/data/lsp); the build passes
# the same directory as DBPOOL_LSP_DATA_DIR.
LSP_DATA_DIR = os.environ.get('DBPOOL_LSP_DATA_DIR') or os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'lsp'))

HISTORY_DEFAULTS = {
    'retention-days': 30,
    'max-snapshots-per-file': 100,
    'auto-cleanup-interval-s': 3600,
    'min-connections': 2,
    'max-connections': 10,
    'connection-timeout-secs': 5,
}


def lsp_range(start_line=1, start_character=2, end_line=1, end_character=3):
    return {'start': {'line': start_line, 'character': start_character},
            'end': {'line': end_line, 'character': end_character}}


def notification(params):
    """The whole JSON-RPC notification around `params`, as a language server sends it."""
    return {'jsonrpc': '2.0', 'method': 'textDocument/publishDiagnostics', 'params': params}


def make_snapshot(uri, timestamp_us, errors, warnings, version=-1):
    snapshot = DbPool.DiagnosticSnapshot.new(uri, version)
    snapshot.set_timestamp_us(timestamp_us)
    for i in range(errors + warnings):
        severity = DbPool.Severity.ERROR if i < errors else DbPool.Severity.WARNING
        snapshot.add_diagnostic(DbPool.Diagnostic.new(severity, 'something', 'test', None,
                                                      i, 0, i, 1))
    return snapshot


def items(model):
    return [model.get_item(i) for i in range(model.get_n_items())]


def diagnostic_tuple(d):
    return (int(d.get_severity()), d.get_message(), d.get_source(), d.get_code(),
            d.get_start_line(), d.get_start_character(), d.get_end_line(),
            d.get_end_character())


class HistoryTestCase(TempDirTestCase):
    """A storage per test (auto-cleanup off unless asked for) and its async calls run
    to completion on the default main context."""

    def open_storage(self, config=None, name='history.db', **props):
        if config is None:
            config = DbPool.HistoryConfig.new(self.db_path(name))
            config.props.auto_cleanup_interval_s = 0
        for key, value in props.items():
            config.set_property(key.replace('_', '-'), value)
        storage = DbPool.HistoryStorage.new(config, None)
        self.addCleanup(storage.get_pool().close)
        return storage

    def record_json(self, storage, message):
        text = message if isinstance(message, str) else json.dumps(message)
        _, result = wait_async(lambda cb: storage.record_lsp_json_async(text, None, cb))
        return storage.record_lsp_json_finish(result)

    def record_snapshot(self, storage, snapshot):
        _, result = wait_async(lambda cb: storage.record_snapshot_async(snapshot, None, cb))
        snapshot_id = storage.record_snapshot_finish(result)
        self.assertGreater(snapshot_id, 0)
        self.assertEqual(snapshot.props.id, snapshot_id)
        return snapshot_id

    def file_history(self, storage, uri, limit=0):
        _, result = wait_async(lambda cb: storage.get_file_history_async(uri, limit, None, cb))
        return items(storage.get_file_history_finish(result))

    def latest(self, storage, uri):
        _, result = wait_async(lambda cb: storage.get_latest_async(uri, None, cb))
        return storage.get_latest_finish(result)

    def get_snapshot(self, storage, snapshot_id):
        _, result = wait_async(lambda cb: storage.get_snapshot_async(snapshot_id, None, cb))
        return storage.get_snapshot_finish(result)

    def list_latest(self, storage):
        _, result = wait_async(lambda cb: storage.list_latest_async(None, cb))
        return items(storage.list_latest_finish(result))

    def trend(self, storage, uri, since_us, bucket_us):
        _, result = wait_async(lambda cb: storage.get_trend_async(uri, since_us, bucket_us,
                                                                  None, cb))
        value = storage.get_trend_finish(result)
        self.assertEqual(value.get_type_string(), 'a(xuuuu)')
        return value.unpack()

    def cleanup(self, storage):
        _, result = wait_async(lambda cb: storage.cleanup_async(None, cb))
        return storage.cleanup_finish(result)

    def query(self, storage, sql, params=None):
        with storage.get_pool().acquire(DbPool.Access.READ) as conn:
            return conn.query(sql, params).tuples()

    def row_counts(self, storage):
        """(files, snapshots, diagnostics) straight from SQL, past the API."""
        return tuple(self.query(storage, 'SELECT count(*) FROM ' + table)[0][0]
                     for table in ('files', 'snapshots', 'diagnostics'))


class HistoryConfigTests(TempDirTestCase):
    def test_defaults(self):
        config = DbPool.HistoryConfig.new('h.db')
        self.assertEqual(config.props.db_path, 'h.db')
        self.assertEqual(config.get_db_path(), 'h.db')
        for name, value in HISTORY_DEFAULTS.items():
            self.assertEqual(config.get_property(name), value, name)
        self.assertTrue(config.validate())

    def test_properties_and_notify_only_on_change(self):
        config = DbPool.HistoryConfig.new('h.db')
        seen = []
        config.connect('notify::retention-days', lambda obj, pspec: seen.append(pspec.name))
        config.props.retention_days = 30
        self.assertEqual(seen, [])
        config.props.retention_days = 7
        config.set_retention_days(7)
        self.assertEqual(seen, ['retention-days'])
        self.assertEqual(config.get_retention_days(), 7)

    def test_json_round_trip(self):
        config = DbPool.HistoryConfig.new('h.db')
        values = {'retention-days': 7, 'max-snapshots-per-file': 0,
                  'auto-cleanup-interval-s': 60, 'min-connections': 1,
                  'max-connections': 3, 'connection-timeout-secs': 0,
                  'exclusive': True}
        for name, value in values.items():
            config.set_property(name, value)
        text = config.to_json()
        self.assertEqual(json.loads(text), dict(values, **{'db-path': 'h.db'}))

        again = DbPool.HistoryConfig.new_from_json(text)
        self.assertEqual(again.props.db_path, 'h.db')
        for name, value in values.items():
            self.assertEqual(again.get_property(name), value, name)

    def test_json_keeps_defaults_for_missing_keys(self):
        config = DbPool.HistoryConfig.new_from_json('{"db-path": "x.db", "retention-days": 3}')
        self.assertEqual(config.props.retention_days, 3)
        self.assertEqual(config.props.max_snapshots_per_file, 100)
        self.assertEqual(config.props.auto_cleanup_interval_s, 3600)

    def test_json_errors(self):
        cases = [
            ('{"db-path": "h.db", "retention": 3}', '“retention”'),
            ('{"db-path": "h.db", "retention_days": 3}', '“retention_days”'),
            ('{"db-path": "h.db", "retention-days": "3"}', '“retention-days”'),
            ('{"db-path": "h.db", "retention-days": -1}', '“retention-days”'),
            ('{"db-path": "h.db", "retention-days": 1.5}', '“retention-days”'),
            ('{"db-path": "h.db", "retention-days": 40000}', '“retention-days”'),
            ('{"db-path": "h.db", "max-snapshots-per-file": true}',
             '“max-snapshots-per-file”'),
            ('{"db-path": "h.db", "auto-cleanup-interval-s": null}',
             '“auto-cleanup-interval-s”'),
            ('{"db-path": "h.db", "auto-cleanup-interval-s": 5000000000}',
             '“auto-cleanup-interval-s”'),
            ('{"db-path": "h.db", "min-connections": 5, "max-connections": 4}',
             '“min-connections”'),
            ('{"db-path": "h.db", "max-connections": 0}', '“max-connections”'),
            ('{"db-path": "h.db", "max-connections": 5000}', '“max-connections”'),
            ('{"db-path": "h.db", "connection-timeout-secs": 4294968}',
             '“connection-timeout-secs”'),
            ('{"db-path": "h.db", "connection-timeout-secs": [1]}',
             '“connection-timeout-secs”'),
            ('{"db-path": 3}', '“db-path”'),
            ('{"db-path": ""}', '“db-path”'),
            ('{"db-path": ":memory:"}', '“db-path”'),
            ('{"retention-days": 3}', '“db-path”'),
            ('{"db-path": "h.db",}', 'JSON'),
            ('["db-path"]', 'object'),
            ('', 'object'),
        ]
        for text, names in cases:
            with self.subTest(json=text):
                with self.assertRaises(GLib.Error) as ctx:
                    DbPool.HistoryConfig.new_from_json(text)
                self.assertPoolError(ctx, DbPool.PoolError.INVALID_CONFIG)
                self.assertIn(names, ctx.exception.message)

    def test_validate_errors(self):
        cases = [
            ({'db-path': None}, '“db-path”'),
            ({'db-path': ''}, '“db-path”'),
            ({'retention-days': 36501}, '“retention-days”'),
            ({'connection-timeout-secs': 4294968}, '“connection-timeout-secs”'),
            ({'max-connections': 0}, '“max-connections”'),
            ({'min-connections': 4, 'max-connections': 3}, '“min-connections”'),
        ]
        for props, names in cases:
            with self.subTest(props=props):
                config = DbPool.HistoryConfig.new('h.db')
                for name, value in props.items():
                    config.set_property(name, value)
                with self.assertRaises(GLib.Error) as ctx:
                    config.validate()
                self.assertPoolError(ctx, DbPool.PoolError.INVALID_CONFIG)
                self.assertIn(names, ctx.exception.message)

    def test_copy_is_independent(self):
        config = DbPool.HistoryConfig.new('h.db')
        copy = config.copy()
        config.props.retention_days = 1
        self.assertEqual(copy.props.retention_days, 30)
        self.assertEqual(copy.props.db_path, 'h.db')


class ConstructionTests(HistoryTestCase):
    def test_sync(self):
        config = DbPool.HistoryConfig.new(self.db_path())
        config.props.min_connections = 1
        config.props.max_connections = 3
        config.props.connection_timeout_secs = 7
        config.props.auto_cleanup_interval_s = 0
        storage = self.open_storage(config)
        self.assertIsInstance(storage, DbPool.HistoryStorage)
        self.assertTrue(os.path.exists(self.db_path()))

        # The pool underneath is sized by the history config.
        pool = storage.get_pool()
        self.assertIsInstance(pool, DbPool.Pool)
        self.assertIs(storage.props.pool, pool)
        pool_config = pool.get_config()
        self.assertEqual(pool_config.props.path, self.db_path())
        self.assertEqual(pool_config.props.min_connections, 1)
        self.assertEqual(pool_config.props.max_connections, 3)
        self.assertEqual(pool_config.props.connection_timeout_ms, 7000)

        # The storage keeps its own copy of the config.
        config.props.retention_days = 1
        self.assertEqual(storage.get_config().props.retention_days, 30)
        self.assertEqual(storage.props.config.props.db_path, self.db_path())

    def test_async(self):
        config = DbPool.HistoryConfig.new(self.db_path())
        config.props.auto_cleanup_interval_s = 0
        _, result = wait_async(lambda cb: DbPool.HistoryStorage.new_async(
            config, GLib.PRIORITY_DEFAULT, None, cb))
        storage = DbPool.HistoryStorage.new_finish(result)
        self.addCleanup(storage.get_pool().close)
        self.assertIsInstance(storage, DbPool.HistoryStorage)
        snapshot = make_snapshot('file:///async.c', GLib.get_real_time(), 1, 2)
        snapshot_id = self.record_snapshot(storage, snapshot)
        back = self.latest(storage, 'file:///async.c')
        self.assertEqual(back.props.id, snapshot_id)
        self.assertEqual((back.props.error_count, back.props.warning_count), (1, 2))

    def test_invalid_config_sync(self):
        config = DbPool.HistoryConfig.new(self.db_path())
        config.props.min_connections = 4
        config.props.max_connections = 2
        with self.assertRaises(GLib.Error) as ctx:
            DbPool.HistoryStorage.new(config, None)
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_CONFIG)
        self.assertIn('min-connections', ctx.exception.message)

    def test_invalid_config_async(self):
        config = DbPool.HistoryConfig.new(None)
        _, result = wait_async(lambda cb: DbPool.HistoryStorage.new_async(
            config, GLib.PRIORITY_DEFAULT, None, cb))
        with self.assertRaises(GLib.Error) as ctx:
            DbPool.HistoryStorage.new_finish(result)
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_CONFIG)
        self.assertIn('db-path', ctx.exception.message)

    def test_reopen_keeps_history(self):
        storage = self.open_storage()
        snapshot_id = self.record_snapshot(storage, make_snapshot('file:///k.c',
                                                                  GLib.get_real_time(), 2, 0))
        storage.get_pool().close()
        again = self.open_storage()
        self.assertEqual(self.latest(again, 'file:///k.c').props.id, snapshot_id)


class RecordTests(HistoryTestCase):
    def setUp(self):
        super().setUp()
        self.storage = self.open_storage()

    def test_record_lsp_json_notification(self):
        before = GLib.get_real_time()
        message = notification({
            'uri': 'file:///home/dev/x.c', 'version': 12, 'diagnostics': [
                {'range': lsp_range(1, 2, 3, 4), 'severity': 2, 'code': 1234,
                 'source': 'gcc', 'message': 'first',
                 'codeDescription': {'href': 'https://example.com'}, 'tags': [1, 2],
                 'relatedInformation': [{'location': {'uri': 'file:///y', 'range': {}},
                                         'message': 'here'}],
                 'data': {'anything': [1, 'x']}},
                {'range': lsp_range(0, 0, 0, 0), 'message': 'no severity', 'code': None,
                 'source': None, 'tags': None},
                {'range': lsp_range(5, 6, 7, 8), 'severity': 3, 'code': 'E1',
                 'message': 'third'},
                {'range': lsp_range(9, 9, 9, 10), 'severity': 4, 'code': -7,
                 'message': {'kind': 'markdown', 'value': 'fourth'}},
            ]})
        snapshot_id = self.record_json(self.storage, message)
        self.assertGreater(snapshot_id, 0)

        back = self.latest(self.storage, 'file:///home/dev/x.c')
        self.assertIsInstance(back, DbPool.DiagnosticSnapshot)
        self.assertEqual(back.props.id, snapshot_id)
        self.assertEqual(back.props.file_uri, 'file:///home/dev/x.c')
        self.assertEqual(back.props.version, 12)
        self.assertGreaterEqual(back.props.timestamp_us, before)
        self.assertLessEqual(back.props.timestamp_us, GLib.get_real_time())
        self.assertTrue(back.props.diagnostics_loaded)
        self.assertEqual([back.get_count(s) for s in (DbPool.Severity.ERROR,
                                                      DbPool.Severity.WARNING,
                                                      DbPool.Severity.INFORMATION,
                                                      DbPool.Severity.HINT)], [1, 1, 1, 1])
        self.assertEqual([diagnostic_tuple(d) for d in items(back.get_diagnostics())], [
            (2, 'first', 'gcc', '1234', 1, 2, 3, 4),
            (1, 'no severity', None, None, 0, 0, 0, 0),
            (3, 'third', None, 'E1', 5, 6, 7, 8),
            (4, 'fourth', None, '-7', 9, 9, 9, 10),
        ])
        self.assertEqual(self.row_counts(self.storage), (1, 1, 4))

    def test_record_lsp_json_params_only(self):
        snapshot_id = self.record_json(self.storage, {
            'uri': 'file:///p.py', 'version': None, 'diagnostics': [
                {'range': lsp_range(100, 0, 100, 2147483647), 'severity': 1,
                 'message': 'only'}]})
        back = self.latest(self.storage, 'file:///p.py')
        self.assertEqual(back.props.id, snapshot_id)
        self.assertEqual(back.props.version, -1)
        self.assertEqual([diagnostic_tuple(d) for d in items(back.get_diagnostics())],
                         [(1, 'only', None, None, 100, 0, 100, 2147483647)])

    def test_clean_file_is_a_snapshot(self):
        snapshot_id = self.record_json(self.storage, {'uri': 'file:///clean.py',
                                                      'diagnostics': []})
        back = self.latest(self.storage, 'file:///clean.py')
        self.assertEqual(back.props.id, snapshot_id)
        self.assertEqual(back.get_diagnostics().get_n_items(), 0)
        self.assertEqual(back.props.error_count, 0)
        self.assertEqual(self.row_counts(self.storage), (1, 1, 0))

    def test_record_snapshot(self):
        snapshot = DbPool.DiagnosticSnapshot.new('file:///src/main.c', 3)
        self.assertEqual(snapshot.props.id, 0)
        for d in (DbPool.Diagnostic.new(DbPool.Severity.ERROR, "expected ';'", 'clang',
                                        'expected_semi', 10, 4, 10, 5),
                  DbPool.Diagnostic.new(DbPool.Severity.WARNING, "unused variable 'x'",
                                        None, None, 2, 0, 2, 8),
                  DbPool.Diagnostic.new(DbPool.Severity.HINT, 'could be const',
                                        'clang-tidy', '42', 0, 0, 1, 0)):
            snapshot.add_diagnostic(d)
        self.assertEqual((snapshot.props.error_count, snapshot.props.warning_count,
                          snapshot.props.information_count, snapshot.props.hint_count),
                         (1, 1, 0, 1))
        snapshot_id = self.record_snapshot(self.storage, snapshot)
        self.assertEqual(self.row_counts(self.storage), (1, 1, 3))

        for back in (self.latest(self.storage, 'file:///src/main.c'),
                     self.get_snapshot(self.storage, snapshot_id)):
            self.assertEqual(back.props.id, snapshot_id)
            self.assertEqual(back.props.version, 3)
            self.assertEqual(back.props.timestamp_us, snapshot.props.timestamp_us)
            self.assertEqual([diagnostic_tuple(d) for d in items(back.get_diagnostics())], [
                (1, "expected ';'", 'clang', 'expected_semi', 10, 4, 10, 5),
                (2, "unused variable 'x'", None, None, 2, 0, 2, 8),
                (4, 'could be const', 'clang-tidy', '42', 0, 0, 1, 0),
            ])
        self.assertIsNone(self.get_snapshot(self.storage, snapshot_id + 1000))

    def test_ids_increase(self):
        first = self.record_json(self.storage, {'uri': 'file:///a', 'diagnostics': []})
        second = self.record_json(self.storage, {'uri': 'file:///a', 'diagnostics': []})
        self.assertGreater(second, first)

    def test_verbatim_round_trip(self):
        texts = [
            'file:///it\'s "quoted"; DROP TABLE snapshots; --.c',
            "Robert'); DELETE FROM diagnostics WHERE ('1'='1",
            'SELECT * FROM files; /* comment */ -- and % _ \\ wildcards',
            '\u00dcn\u00efc\u00f6d\u00e9 \u2713 \u65e5\u672c\u8a9e emoji \U0001f680 '
            'and a\ttab\nnewline',
        ]
        for i, text in enumerate(texts):
            with self.subTest(text=text):
                uri = 'file:///%d/%s' % (i, text)
                # Through a snapshot object.
                snapshot = DbPool.DiagnosticSnapshot.new(uri, i)
                snapshot.add_diagnostic(DbPool.Diagnostic.new(DbPool.Severity.WARNING, text,
                                                              text, text, 1, 2, 3, 4))
                self.record_snapshot(self.storage, snapshot)
                back = self.latest(self.storage, uri)
                self.assertEqual(back.props.file_uri, uri)
                self.assertEqual(diagnostic_tuple(back.get_diagnostics().get_item(0)),
                                 (2, text, text, text, 1, 2, 3, 4))

                # Through JSON, raw UTF-8 and \u escapes (surrogate pairs included).
                for ascii_only in (False, True):
                    json_uri = '%s#json-%s' % (uri, ascii_only)
                    message = json.dumps(notification({
                        'uri': json_uri, 'diagnostics': [
                            {'range': lsp_range(5, 6, 7, 8), 'severity': 1,
                             'message': text, 'source': text, 'code': text}]}),
                        ensure_ascii=ascii_only)
                    self.record_json(self.storage, message)
                    back = self.latest(self.storage, json_uri)
                    self.assertIsNotNone(back, json_uri)
                    self.assertEqual(back.props.file_uri, json_uri)
                    self.assertEqual(diagnostic_tuple(back.get_diagnostics().get_item(0)),
                                     (1, text, text, text, 5, 6, 7, 8))

                    history = self.file_history(self.storage, json_uri)
                    self.assertEqual([s.props.file_uri for s in history], [json_uri])

        # Nothing was executed as SQL: every row is there, and only those.
        n = 3 * len(texts)
        self.assertEqual(self.row_counts(self.storage), (n, n, n))


class BadInputTests(HistoryTestCase):
    """Every bad input is INVALID_INPUT naming the field, and records nothing."""

    RANGE = '"range": {"start": {"line": 1, "character": 2}, "end": {"line": 1, "character": 3}}'
    GOOD_DIAG = '{' + RANGE + ', "severity": 1, "message": "ok"}'

    @staticmethod
    def note(params):
        return ('{"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics", '
                '"params": ' + params + '}')

    @classmethod
    def diag(cls, members):
        """A notification for file:///a with one diagnostic holding a good range."""
        return cls.note('{"uri": "file:///a", "diagnostics": [{' + cls.RANGE + ', ' +
                        members + '}]}')

    @classmethod
    def positions(cls, start, end):
        return cls.note('{"uri": "file:///a", "diagnostics": [{"range": {"start": ' + start +
                        ', "end": ' + end + '}, "message": "m"}]}')

    def cases(self):
        note, diag, positions = self.note, self.diag, self.positions
        good = self.GOOD_DIAG
        return [
            # Not JSON, or not an object
            ('', 'expected a JSON object'),
            ('{"uri": ', 'malformed JSON'),
            ('{"uri": "file:///a", "diagnostics": []', 'malformed JSON'),
            ('[1, 2]', 'expected a JSON object, got an array'),
            ('"text"', 'expected a JSON object'),
            # Not publishDiagnostics
            ('{"jsonrpc": "2.0", "method": "textDocument/didOpen", '
             '"params": {"uri": "file:///a", "diagnostics": []}}', '“method”'),
            ('{"jsonrpc": "2.0", "id": 1, "result": null}', '“method”'),
            ('{"jsonrpc": "2.0", "method": 5, "params": {}}', '“method”'),
            ('{"method": "textDocument/publishDiagnostics"}', '“params”'),
            ('{"method": "textDocument/publishDiagnostics", "params": [1]}', '“params”'),
            # uri
            (note('{"diagnostics": []}'), '“params.uri”'),
            (note('{"uri": 42, "diagnostics": []}'), '“params.uri”'),
            (note('{"uri": null, "diagnostics": []}'), '“params.uri”'),
            (note('{"uri": "", "diagnostics": []}'), '“params.uri”'),
            ('{"uri": ["file:///a"], "diagnostics": []}', '“uri”'),
            # version
            (note('{"uri": "file:///a", "version": "3", "diagnostics": []}'),
             '“params.version”'),
            (note('{"uri": "file:///a", "version": 1.5, "diagnostics": []}'),
             '“params.version”'),
            (note('{"uri": "file:///a", "version": -2, "diagnostics": []}'),
             '“params.version”'),
            # diagnostics
            (note('{"uri": "file:///a"}'), '“params.diagnostics”'),
            (note('{"uri": "file:///a", "diagnostics": null}'), '“params.diagnostics”'),
            (note('{"uri": "file:///a", "diagnostics": {}}'), '“params.diagnostics”'),
            (note('{"uri": "file:///a", "diagnostics": [' + good + ', 7]}'),
             '“params.diagnostics[1]”'),
            # range and positions
            (note('{"uri": "file:///a", "diagnostics": [{"message": "m"}]}'),
             '“params.diagnostics[0].range”'),
            (note('{"uri": "file:///a", "diagnostics": [{"range": [], "message": "m"}]}'),
             '“params.diagnostics[0].range”'),
            (note('{"uri": "file:///a", "diagnostics": [{"range": '
                  '{"end": {"line": 1, "character": 1}}, "message": "m"}]}'),
             '“params.diagnostics[0].range.start”'),
            (note('{"uri": "file:///a", "diagnostics": [' + ', '.join([good] * 3) +
                  ', {"range": {"start": {"line": -1, "character": 0}, '
                  '"end": {"line": 1, "character": 1}}, "message": "m"}]}'),
             '“params.diagnostics[3].range.start.line”'),
            (positions('{"line": 1.5, "character": 0}', '{"line": 1, "character": 1}'),
             '“params.diagnostics[0].range.start.line”'),
            (positions('{"line": 1, "character": "0"}', '{"line": 1, "character": 1}'),
             '“params.diagnostics[0].range.start.character”'),
            (positions('{"line": 1, "character": -5}', '{"line": 1, "character": 1}'),
             '“params.diagnostics[0].range.start.character”'),
            (positions('{"line": 1, "character": 0}', '{"line": 1}'),
             '“params.diagnostics[0].range.end.character”'),
            (positions('{"line": 1, "character": 0}', '{"line": 2147483648, "character": 1}'),
             '“params.diagnostics[0].range.end.line”'),
            (positions('{"line": 1, "character": 0}', '{"line": null, "character": 1}'),
             '“params.diagnostics[0].range.end.line”'),
            # severity
            (diag('"severity": 0, "message": "m"'), '“params.diagnostics[0].severity”'),
            (diag('"severity": 5, "message": "m"'), '“params.diagnostics[0].severity”'),
            (diag('"severity": "error", "message": "m"'), '“params.diagnostics[0].severity”'),
            (diag('"severity": 1.0, "message": "m"'), '“params.diagnostics[0].severity”'),
            # message
            (note('{"uri": "file:///a", "diagnostics": [{' + self.RANGE + '}]}'),
             '“params.diagnostics[0].message”'),
            (diag('"message": 3'), '“params.diagnostics[0].message”'),
            (diag('"message": null'), '“params.diagnostics[0].message”'),
            # code, source and the optional members
            (diag('"message": "m", "code": 1.5'), '“params.diagnostics[0].code”'),
            (diag('"message": "m", "code": true'), '“params.diagnostics[0].code”'),
            (diag('"message": "m", "code": {}'), '“params.diagnostics[0].code”'),
            (diag('"message": "m", "source": 1'), '“params.diagnostics[0].source”'),
            (diag('"message": "m", "codeDescription": "x"'),
             '“params.diagnostics[0].codeDescription”'),
            (diag('"message": "m", "codeDescription": {"href": 1}'),
             '“params.diagnostics[0].codeDescription.href”'),
            (diag('"message": "m", "tags": 1'), '“params.diagnostics[0].tags”'),
            (diag('"message": "m", "tags": [1, "x"]'), '“params.diagnostics[0].tags[1]”'),
            (diag('"message": "m", "relatedInformation": {}'),
             '“params.diagnostics[0].relatedInformation”'),
            (diag('"message": "m", "relatedInformation": [3]'),
             '“params.diagnostics[0].relatedInformation[0]”'),
            # Without the envelope, paths have no "params."
            ('{"uri": "file:///a", "diagnostics": [' + good + ', {' + self.RANGE +
             ', "severity": 9, "message": "m"}]}', '“diagnostics[1].severity”'),
        ]

    def test_bad_lsp_json(self):
        storage = self.open_storage()
        for text, names in self.cases():
            with self.subTest(json=text):
                with self.assertRaises(GLib.Error) as ctx:
                    self.record_json(storage, text)
                self.assertPoolError(ctx, DbPool.PoolError.INVALID_INPUT)
                self.assertIn(names, ctx.exception.message)
        self.assertEqual(self.row_counts(storage), (0, 0, 0))
        self.assertIsNone(self.latest(storage, 'file:///a'))

    def test_bad_input_leaves_earlier_history_alone(self):
        storage = self.open_storage()
        good_id = self.record_json(storage, self.note(
            '{"uri": "file:///a", "diagnostics": [' + self.GOOD_DIAG + ']}'))
        # A good first diagnostic followed by a bad one: not even the good one is stored.
        with self.assertRaises(GLib.Error) as ctx:
            self.record_json(storage, self.note(
                '{"uri": "file:///a", "diagnostics": [' + self.GOOD_DIAG +
                ', {' + self.RANGE + ', "severity": 7, "message": "m"}]}'))
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_INPUT)
        self.assertIn('“params.diagnostics[1].severity”', ctx.exception.message)
        self.assertEqual(self.row_counts(storage), (1, 1, 1))
        self.assertEqual(self.latest(storage, 'file:///a').props.id, good_id)

    def test_bad_snapshot(self):
        storage = self.open_storage()
        with self.assertRaises(GLib.Error) as ctx:
            self.record_snapshot(storage, DbPool.DiagnosticSnapshot.new('', -1))
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_INPUT)
        self.assertIn('file-uri', ctx.exception.message)
        self.assertEqual(self.row_counts(storage), (0, 0, 0))

        # A summary from a history query has no diagnostics to record.
        self.record_json(storage, '{"uri": "file:///s.c", "diagnostics": [' +
                         self.GOOD_DIAG + ']}')
        summary = self.file_history(storage, 'file:///s.c')[0]
        self.assertFalse(summary.props.diagnostics_loaded)
        with self.assertRaises(GLib.Error) as ctx:
            self.record_snapshot(storage, summary)
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_INPUT)
        self.assertEqual(self.row_counts(storage), (1, 1, 1))

    def test_bad_trend_bucket(self):
        storage = self.open_storage()
        with self.assertRaises(GLib.Error) as ctx:
            self.trend(storage, None, 0, 0)
        self.assertPoolError(ctx, DbPool.PoolError.INVALID_INPUT)


class QueryTests(HistoryTestCase):
    def setUp(self):
        super().setUp()
        self.storage = self.open_storage()

    def test_nothing_recorded(self):
        self.assertIsNone(self.latest(self.storage, 'file:///nothing'))
        self.assertEqual(self.file_history(self.storage, 'file:///nothing', 10), [])
        self.assertEqual(self.trend(self.storage, 'file:///nothing', 0, 1000000), [])
        self.assertEqual(self.list_latest(self.storage), [])

    def test_file_history_newest_first_with_limit(self):
        base = GLib.get_real_time() - 3600 * 1000000
        # Recorded out of time order; two share a timestamp (the later id wins).
        order = [(30, 3), (10, 1), (50, 5), (20, 2), (40, 4), (50, 6)]
        ids = [self.record_snapshot(self.storage,
                                    make_snapshot('file:///h.c', base + offset * 1000000,
                                                  errors, 1))
               for offset, errors in order]
        self.record_snapshot(self.storage, make_snapshot('file:///other.c',
                                                         base + 100 * 1000000, 9, 0))

        history = self.file_history(self.storage, 'file:///h.c')
        self.assertEqual([s.props.error_count for s in history], [6, 5, 4, 3, 2, 1])
        self.assertEqual([s.props.id for s in history[:2]], [ids[5], ids[2]])
        self.assertEqual(history[0].props.timestamp_us, base + 50 * 1000000)
        for s in history:
            self.assertEqual(s.props.file_uri, 'file:///h.c')
            self.assertEqual(s.props.warning_count, 1)
            # Summaries: counts without the diagnostics.
            self.assertFalse(s.props.diagnostics_loaded)
            self.assertEqual(s.get_diagnostics().get_n_items(), 0)

        # A summary's id loads the complete snapshot.
        full = self.get_snapshot(self.storage, history[1].props.id)
        self.assertTrue(full.props.diagnostics_loaded)
        self.assertEqual(full.get_diagnostics().get_n_items(), 6)
        self.assertEqual(full.props.error_count, 5)

        limited = self.file_history(self.storage, 'file:///h.c', 2)
        self.assertEqual([s.props.id for s in limited], [ids[5], ids[2]])
        self.assertEqual(len(self.file_history(self.storage, 'file:///other.c', 10)), 1)

    def test_latest(self):
        base = GLib.get_real_time() - 3600 * 1000000
        self.record_snapshot(self.storage, make_snapshot('file:///l.c', base + 2000000, 2, 0))
        newest = self.record_snapshot(self.storage,
                                      make_snapshot('file:///l.c', base + 3000000, 3, 1))
        # Recorded last but older: not the latest.
        self.record_snapshot(self.storage, make_snapshot('file:///l.c', base + 1000000, 1, 0))

        latest = self.latest(self.storage, 'file:///l.c')
        self.assertEqual(latest.props.id, newest)
        self.assertTrue(latest.props.diagnostics_loaded)
        self.assertEqual((latest.props.error_count, latest.props.warning_count), (3, 1))
        self.assertEqual(latest.get_diagnostics().get_n_items(), 4)
        self.assertIsNone(self.latest(self.storage, 'file:///other.c'))

    def test_list_latest(self):
        base = GLib.get_real_time() - 3600 * 1000000
        for uri, offset, errors in [('file:///b.c', 1, 1), ('file:///a.c', 2, 2),
                                    ('file:///b.c', 3, 3), ('file:///c.c', 4, 4),
                                    ('file:///a.c', 0, 5)]:
            self.record_snapshot(self.storage,
                                 make_snapshot(uri, base + offset * 1000000, errors, 0))
        self.assertEqual([(s.props.file_uri, s.props.error_count)
                          for s in self.list_latest(self.storage)],
                         [('file:///a.c', 2), ('file:///b.c', 3), ('file:///c.c', 4)])

    def test_trend(self):
        hour = 60 * MINUTE_US
        t0 = (GLib.get_real_time() // hour - 10) * hour
        for uri, minute, errors, warnings in [
                ('file:///a.c', -5, 7, 7),    # before since: still a's state at the start
                ('file:///a.c', 1, 1, 1),
                ('file:///a.c', 3, 2, 0),     # bucket 0 ends with a = (2, 0)
                ('file:///b.c', 4, 10, 10),
                ('file:///b.c', 12, 20, 0),   # bucket 2 (10-14), only b
                ('file:///a.c', 31, 0, 3)]:   # bucket 6 (30-34)
            self.record_snapshot(self.storage, make_snapshot(uri, t0 + minute * MINUTE_US,
                                                             errors, warnings))

        # (bucket start, errors, warnings, informations, hints), one per bucket with data.
        self.assertEqual(self.trend(self.storage, 'file:///a.c', t0, 5 * MINUTE_US), [
            (t0, 2, 0, 0, 0),
            (t0 + 30 * MINUTE_US, 0, 3, 0, 0),
        ])
        # All files: a file that was not republished keeps counting.
        self.assertEqual(self.trend(self.storage, None, t0, 5 * MINUTE_US), [
            (t0, 2 + 10, 0 + 10, 0, 0),
            (t0 + 10 * MINUTE_US, 2 + 20, 0, 0, 0),
            (t0 + 30 * MINUTE_US, 0 + 20, 3, 0, 0),
        ])
        self.assertEqual(self.trend(self.storage, None, t0 + 20 * MINUTE_US, hour),
                         [(t0 + 20 * MINUTE_US, 20, 3, 0, 0)])


class CleanupTests(HistoryTestCase):
    def test_retention_days(self):
        storage = self.open_storage(retention_days=10, max_snapshots_per_file=0)
        now = GLib.get_real_time()
        for i in range(3):
            self.record_snapshot(storage, make_snapshot('file:///a.c', now - (11 + i) * DAY_US,
                                                        2, 1))
            self.record_snapshot(storage, make_snapshot('file:///gone.c',
                                                        now - (20 + i) * DAY_US, 1, 0))
        recent = self.record_snapshot(storage, make_snapshot('file:///a.c', now - 9 * DAY_US,
                                                             1, 1))
        fresh = self.record_snapshot(storage, make_snapshot('file:///a.c', now, 0, 4))
        self.assertEqual(self.row_counts(storage), (2, 8, 3 * 3 + 3 + 2 + 4))

        self.assertEqual(self.cleanup(storage), 6)
        # The file with no snapshot left is gone too; diagnostics went with their snapshots.
        self.assertEqual(self.row_counts(storage), (1, 2, 2 + 4))
        self.assertEqual([s.props.id for s in self.file_history(storage, 'file:///a.c')],
                         [fresh, recent])
        self.assertIsNone(self.latest(storage, 'file:///gone.c'))
        self.assertEqual(self.cleanup(storage), 0)

    def test_max_snapshots_per_file(self):
        storage = self.open_storage(retention_days=0, max_snapshots_per_file=3)
        now = GLib.get_real_time()
        for i in range(5):
            # a.c: i errors at now - (10 - i) s, so the newest three have 2, 3, 4 errors.
            self.record_snapshot(storage, make_snapshot('file:///a.c',
                                                        now - (10 - i) * 1000000, i, 0))
        for i in range(2):
            # Very old, but retention is off.
            self.record_snapshot(storage, make_snapshot('file:///b.c', now - 1000 * DAY_US + i,
                                                        1, 0))
        self.assertEqual(self.row_counts(storage), (2, 7, 0 + 1 + 2 + 3 + 4 + 2))

        self.assertEqual(self.cleanup(storage), 2)
        self.assertEqual(self.row_counts(storage), (2, 5, 2 + 3 + 4 + 2))
        self.assertEqual([s.props.error_count for s in self.file_history(storage, 'file:///a.c')],
                         [4, 3, 2])
        self.assertEqual(len(self.file_history(storage, 'file:///b.c')), 2)

    def test_auto_cleanup_timer(self):
        name = 'auto.db'
        storage = self.open_storage(name=name, retention_days=1, max_snapshots_per_file=2)
        now = GLib.get_real_time()
        # Three too old, and four recent of which two exceed the per-file limit, written
        # before the timer exists.
        for i in range(3):
            self.record_snapshot(storage, make_snapshot('file:///old.c', now - 2 * DAY_US - i,
                                                        1, 0))
        for i in range(4):
            self.record_snapshot(storage, make_snapshot('file:///new.c', now - i, 0, 1))
        self.assertEqual(self.row_counts(storage), (2, 7, 7))
        storage.get_pool().close()

        # The shortest interval the config allows: one second.
        storage = self.open_storage(name=name, retention_days=1, max_snapshots_per_file=2,
                                    auto_cleanup_interval_s=1)
        runs = []
        threads = set()

        def finished(obj, removed):
            threads.add(threading.current_thread())
            runs.append(removed)

        storage.connect('auto-cleanup-finished', finished)
        self.assertEqual(self.row_counts(storage), (2, 7, 7))

        # Nobody calls cleanup: the timer on this (the owner) context does.
        spin(lambda: len(runs) >= 1, 'the first automatic cleanup')
        self.assertEqual(runs[0], 5)
        self.assertEqual(self.row_counts(storage), (1, 2, 2))
        # It keeps running, with nothing left to remove.
        spin(lambda: len(runs) >= 2, 'the second automatic cleanup')
        self.assertEqual(runs[1], 0)
        self.assertEqual(threads, {MAIN})


def load_lsp_data():
    """Every captured message, and what the JSON itself says about it: per file the
    diagnostics as (severity, message, source, code, range) and per severity the totals.
    A missing severity reads as an error, as the library documents."""
    messages = []
    expected = {}
    totals = collections.Counter()
    paths = sorted(glob.glob(os.path.join(LSP_DATA_DIR, '*.jsonl')))
    # The captures ship with the tree: none found is a broken tree, not a reason to skip.
    assert paths, 'no LSP captures (*.jsonl) in %s' % LSP_DATA_DIR
    for path in paths:
        with open(path, encoding='utf-8') as f:
            for line in f:
                line = line.rstrip('\n')
                if not line:
                    continue
                params = json.loads(line)['params']
                diagnostics = []
                for d in params['diagnostics']:
                    severity = d.get('severity', 1)
                    code = d.get('code')
                    r = d['range']
                    diagnostics.append((severity, d['message'], d.get('source'),
                                        None if code is None else str(code),
                                        r['start']['line'], r['start']['character'],
                                        r['end']['line'], r['end']['character']))
                    totals[severity] += 1
                # Each file is published once in the captures, so per-file counts are exact.
                assert params['uri'] not in expected, params['uri']
                expected[params['uri']] = diagnostics
                messages.append(line)
    return messages, expected, totals


def severity_counts(diagnostics):
    counts = collections.Counter(d[0] for d in diagnostics)
    return tuple(counts[s] for s in (1, 2, 3, 4))


def snapshot_counts(snapshot):
    return (snapshot.props.error_count, snapshot.props.warning_count,
            snapshot.props.information_count, snapshot.props.hint_count)


class RealDataTests(HistoryTestCase):
    N_PRODUCERS = 4

    def test_ingest_real_lsp_data_concurrently(self):
        messages, expected, totals = load_lsp_data()
        # The captures as their README describes them.
        self.assertEqual(len(messages), 122)
        self.assertEqual(sum(totals.values()), 7705)

        storage = self.open_storage(max_connections=6)
        start_us = GLib.get_real_time()
        producers = []

        def produce(share, report):
            # Each producer has its own main context; its callbacks must come back there.
            context = GLib.MainContext.new()
            context.push_thread_default()
            try:
                pending = [len(share)]

                def recorded(obj, result):
                    try:
                        report['ids'].append(obj.record_lsp_json_finish(result))
                        report['threads'].add(threading.current_thread())
                    except Exception as exc:  # reported to the main thread below
                        report['errors'].append(exc)
                    pending[0] -= 1

                # All of this producer's messages are in flight at once.
                for text in share:
                    storage.record_lsp_json_async(text, None, recorded)
                while pending[0] > 0:
                    context.iteration(True)
            finally:
                context.pop_thread_default()

        for p in range(self.N_PRODUCERS):
            report = {'ids': [], 'errors': [], 'threads': set()}
            thread = threading.Thread(target=produce, args=(messages[p::self.N_PRODUCERS],
                                                            report))
            producers.append((thread, report))
        for thread, _ in producers:
            thread.start()

        # Read while they write. Whatever is visible is complete: a snapshot is written
        # with all its diagnostics in one transaction.
        rounds = 0
        while True:
            running = any(thread.is_alive() for thread, _ in producers)
            for s in self.list_latest(storage):
                self.assertEqual(snapshot_counts(s), severity_counts(expected[s.props.file_uri]),
                                 s.props.file_uri)
            rounds += 1
            if not running:
                break
        for thread, report in producers:
            thread.join()
            self.assertEqual(report['errors'], [])
            self.assertEqual(report['threads'], {thread})
        ids = [i for _, report in producers for i in report['ids']]
        self.assertEqual(len(ids), 122)
        self.assertEqual(len(set(ids)), 122)
        self.assertTrue(all(i > 0 for i in ids))

        # Every row, by table and by severity, straight from SQL.
        self.assertEqual(self.row_counts(storage), (122, 122, 7705))
        by_severity = dict(self.query(storage, 'SELECT severity, count(*) FROM diagnostics '
                                               'GROUP BY severity'))
        self.assertEqual(by_severity, dict(totals))

        # Per file through the API: the summaries' counts, and each complete snapshot
        # holding exactly the diagnostics that were sent, in order.
        latest = self.list_latest(storage)
        self.assertEqual(sorted(s.props.file_uri for s in latest), sorted(expected))
        api_totals = collections.Counter()
        for s in latest:
            counts = snapshot_counts(s)
            self.assertEqual(counts, severity_counts(expected[s.props.file_uri]),
                             s.props.file_uri)
            for severity, n in zip((1, 2, 3, 4), counts):
                api_totals[severity] += n
        self.assertEqual(+api_totals, totals)

        for uri, diagnostics in expected.items():
            full = self.latest(storage, uri)
            self.assertIsNotNone(full, uri)
            self.assertEqual([diagnostic_tuple(d) for d in items(full.get_diagnostics())],
                             diagnostics, uri)
            self.assertEqual(len(self.file_history(storage, uri, 10)), 1, uri)

        # The trend over everything: one bucket holding all of it.
        self.assertEqual(self.trend(storage, None, start_us, DAY_US),
                         [(start_us,) + tuple(totals[s] for s in (1, 2, 3, 4))])


class NotifyTests(HistoryTestCase):
    def test_pool_notify_on_main_thread(self):
        storage = self.open_storage(max_connections=4)
        pool = storage.get_pool()
        seen = collections.defaultdict(list)
        threads = set()

        def on_notify(obj, pspec):
            threads.add(threading.current_thread())
            seen[pspec.name].append(obj.get_property(pspec.name))

        for name in ('total-requests', 'active-connections', 'idle-connections',
                     'total-connections-created'):
            pool.connect('notify::' + name, on_notify)

        # A workload from another thread too: the notifications still come here.
        def elsewhere():
            context = GLib.MainContext.new()
            context.push_thread_default()
            try:
                done = []
                storage.get_latest_async('file:///n0.c', None, lambda o, r: done.append(r))
                while not done:
                    context.iteration(True)
            finally:
                context.pop_thread_default()

        other = threading.Thread(target=elsewhere)
        other.start()
        pending = []
        for i in range(20):
            storage.record_lsp_json_async(json.dumps({
                'uri': 'file:///n%d.c' % (i % 5), 'diagnostics': [
                    {'range': lsp_range(), 'severity': 2, 'message': 'w%d' % i}]}),
                None, lambda o, r: pending.append(o.record_lsp_json_finish(r)))
            storage.get_file_history_async('file:///n%d.c' % (i % 5), 3, None,
                                           lambda o, r: pending.append(
                                               o.get_file_history_finish(r)))
        spin(lambda: len(pending) == 40, 'the workload to finish')
        other.join()

        # The last notified value catches up with the pool once the work is done.
        spin(lambda: seen['total-requests'] and
             seen['total-requests'][-1] == pool.props.total_requests,
             'notify::total-requests to announce the final value')
        self.assertGreaterEqual(pool.props.total_requests, 21)

        # A lease held from here is announced, and so is its return.
        lease = pool.acquire(DbPool.Access.READ)
        try:
            spin(lambda: seen['active-connections'] and seen['active-connections'][-1] == 1,
                 'notify::active-connections for the held lease')
        finally:
            lease.release()
        spin(lambda: seen['active-connections'][-1] == 0,
             'notify::active-connections for the returned lease')
        self.assertEqual(threads, {MAIN})


if __name__ == '__main__':
    unittest.main(verbosity=2)
