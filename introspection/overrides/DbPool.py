# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject override for DbPool: makes the pool feel like Python.

- ``with pool.acquire(DbPool.Access.WRITE) as conn:`` returns the lease on exit and
  rolls back a transaction an exception escaped from.
- ``conn.transaction()`` is a context manager: BEGIN, then COMMIT, or ROLLBACK when an
  exception escapes.
- Statement parameters are plain Python values: a tuple/list for ``?`` placeholders, a
  dict for ``:name`` ones, or None. int, float, str, bytes, bool and None (SQL NULL)
  become the GLib.Variant the C API expects; a GLib.Variant is passed through.
- ``DbPool.Rows`` is a sequence of dicts (``rows[0]['name']``), ``rows.tuples()`` gives
  tuples, ``len(rows)`` the row count; BLOBs come back as ``bytes``, NULL as ``None``.
  It is also a ``Gio.ListModel`` of ``DbPool.Row`` items (``rows.get_item(i)``) for
  GTK list widgets.
- ``pool.run_async(access, func, ...)`` runs a Python function on a worker thread with a
  lease, and ``pool.run_finish(result)`` returns whatever it returned (or raises what it
  raised).
- ``pool.execute_batch_async(sql, rows, ...)`` takes a list of tuples/lists or of dicts.
- Leases taken by ``pool.acquire()`` carry the Python file and line that acquired them,
  so a leak report (``leak-threshold-ms``) names the Python code, not the interpreter.
- ``DbPool.HistoryStorage`` has blocking ``*_sync`` twins of its async calls
  (``storage.get_file_history_sync(uri)``), for scripts without a main loop.

Every original method stays reachable on the class (``DbPool.Connection.execute`` is
overridden, the raw one is ``DbPool.Connection._raw_execute``).
"""

import sys
import threading

from gi.repository import GLib, Gio

from ..overrides import override
from ..module import get_introspection_module

DbPool = get_introspection_module('DbPool')

__all__ = []

# Like PyGObject itself, callbacks get a user_data argument only when one was given.
_NO_DATA = object()


def _data_args(user_data):
    return () if user_data is _NO_DATA else (user_data,)


_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1


def _value_to_variant(value, where):
    """One Python value as the GLib.Variant dbpool binds; `where` names it in errors."""
    if isinstance(value, GLib.Variant):
        return value
    if value is None:
        return GLib.Variant('mv', None)
    # bool before int: bool is a subclass of int.
    if isinstance(value, bool):
        return GLib.Variant('b', value)
    if isinstance(value, int):
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise OverflowError('%s: %d does not fit in a 64-bit SQLite integer'
                                % (where, value))
        return GLib.Variant('x', value)
    if isinstance(value, float):
        return GLib.Variant('d', value)
    if isinstance(value, str):
        return GLib.Variant('s', value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return GLib.Variant('ay', bytes(value))
    raise TypeError('%s: cannot bind a value of type %s (use int, float, str, bytes, '
                    'bool, None or a GLib.Variant)' % (where, type(value).__name__))


def params_to_variant(params):
    """Statement parameters as the GVariant dbpool expects.

    None stays None; a tuple or list becomes a tuple for ``?`` placeholders; a dict
    becomes ``a{sv}`` for named ones; a GLib.Variant is passed through unchanged.
    """
    if params is None or isinstance(params, GLib.Variant):
        return params
    if isinstance(params, dict):
        return GLib.Variant('a{sv}', _named_entries(params))
    if isinstance(params, (tuple, list)):
        children = [_value_to_variant(value, 'parameter %d' % (i + 1))
                    for i, value in enumerate(params)]
        return GLib.Variant.new_tuple(*children)
    raise TypeError('params must be a tuple, list, dict, GLib.Variant or None, not %s'
                    % type(params).__name__)


__all__.append('params_to_variant')


def _named_entries(params):
    """A dict of named parameters as a dict of GLib.Variants, what ``a{sv}`` packs."""
    entries = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError('parameter names must be str, not %s' % type(name).__name__)
        entries[name] = _value_to_variant(value, 'parameter %r' % name)
    return entries


def param_rows_to_variant(rows):
    """The parameter rows of a batch as the GVariant ``execute_batch_async`` expects.

    A list (or other iterable) of tuples/lists becomes ``av`` holding one tuple per
    row, so that rows may differ in their types (a None here, an int there); a list
    of dicts becomes ``aa{sv}``. Mixing the two is an error; a GLib.Variant is passed
    through unchanged.
    """
    if isinstance(rows, GLib.Variant):
        return rows
    if rows is None or isinstance(rows, (str, bytes, dict)):
        raise TypeError('rows must be a list of tuples, lists or dicts, not %s'
                        % type(rows).__name__)
    tuples, dicts = [], []
    for i, row in enumerate(rows):
        named = isinstance(row, dict)
        if not named and not isinstance(row, (tuple, list)):
            raise TypeError('row %d: each row must be a tuple, list or dict, not %s'
                            % (i, type(row).__name__))
        if tuples if named else dicts:
            raise TypeError('row %d: rows must be all tuples/lists (for ?) or all dicts '
                            '(for :name), not a mix' % i)
        try:
            if named:
                dicts.append(_named_entries(row))
            else:
                tuples.append(params_to_variant(row))
        except (TypeError, OverflowError) as exc:
            raise type(exc)('row %d: %s' % (i, exc)) from None
    if dicts:
        return GLib.Variant('aa{sv}', dicts)
    return GLib.Variant('av', tuples)


__all__.append('param_rows_to_variant')


def _caller_origin(depth):
    """``file:line (in function)`` of the Python code `depth` frames above the caller
    of this function: what a leak report names instead of the interpreter's C stack."""
    try:
        frame = sys._getframe(depth + 1)
    except ValueError:
        return None
    code = frame.f_code
    return '%s:%d (in %s)' % (code.co_filename, frame.f_lineno, code.co_name)


def _variant_to_python(variant):
    # Variant.unpack() turns 'ay' into a list of ints; a BLOB is bytes in Python.
    if variant.get_type_string() == 'ay':
        return variant.get_data_as_bytes().get_data()
    return variant.unpack()


class Rows(DbPool.Rows):
    """An immutable result set; a sequence of rows, each a dict keyed by column name."""

    @property
    def columns(self):
        """The column names, in result order."""
        return [self.get_column_name(i) for i in range(self.get_n_columns())]

    def __len__(self):
        return self.get_n_rows()

    def __bool__(self):
        return self.get_n_rows() > 0

    def _row_values(self, row):
        values = [None] * self.get_n_columns()
        index = {name: i for i, name in enumerate(self.columns)}
        # NULL columns are absent from the row's a{sv}: they stay None.
        entries = self.get_row_variant(row)
        for i in range(entries.n_children()):
            entry = entries.get_child_value(i)
            name = entry.get_child_value(0).get_string()
            values[index[name]] = _variant_to_python(
                entry.get_child_value(1).get_variant())
        return values

    def _check_index(self, row):
        n_rows = self.get_n_rows()
        if not isinstance(row, int):
            raise TypeError('row index must be an int, not %s' % type(row).__name__)
        if row < 0:
            row += n_rows
        if not 0 <= row < n_rows:
            raise IndexError('row index out of range')
        return row

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(self.get_n_rows()))]
        row = self._check_index(row)
        return dict(zip(self.columns, self._row_values(row)))

    def __iter__(self):
        columns = self.columns
        for row in range(self.get_n_rows()):
            yield dict(zip(columns, self._row_values(row)))

    def __contains__(self, item):
        # DbRows is also a Gio.ListModel of DbPool.Row items, and that override's
        # `in` accepts only DbPool.Row; here, as for every sequence of dicts, `in`
        # compares rows as dicts. A DbPool.Row is in the result set it came from.
        if isinstance(item, DbPool.Row):
            return item.get_rows() == self
        return any(row == item for row in self)

    def tuples(self):
        """The rows as a list of tuples, columns in result order."""
        return [tuple(self._row_values(row)) for row in range(self.get_n_rows())]

    def dicts(self):
        """The rows as a list of dicts keyed by column name."""
        return list(self)

    def __repr__(self):
        return '<DbPool.Rows %d rows x %d columns %r>' % (
            self.get_n_rows(), self.get_n_columns(), self.columns)


Rows = override(Rows)
__all__.append('Rows')


class _Transaction:
    def __init__(self, connection):
        self._connection = connection

    def __enter__(self):
        self._connection.begin()
        return self._connection

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._connection.commit()
        elif self._connection.in_transaction():
            # Rolling back must not hide the exception that caused it.
            try:
                self._connection.rollback()
            except GLib.Error:
                pass
        return False


class Connection(DbPool.Connection):
    """A lease on one pooled connection; a context manager that releases it."""

    _raw_execute = DbPool.Connection.execute
    _raw_query = DbPool.Connection.query

    def execute(self, sql, params=None):
        """Runs one statement; returns the number of rows it changed."""
        return DbPool.Connection.execute(self, sql, params_to_variant(params))

    def query(self, sql, params=None):
        """Runs one statement; returns its rows as a `DbPool.Rows`."""
        return DbPool.Connection.query(self, sql, params_to_variant(params))

    def transaction(self):
        """``with conn.transaction():`` BEGIN, then COMMIT, or ROLLBACK on exception."""
        return _Transaction(self)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None and not self.is_released() and self.in_transaction():
                try:
                    self.rollback()
                except GLib.Error:
                    pass
        finally:
            self.release()
        return False


Connection = override(Connection)
__all__.append('Connection')


class _RunState:
    """What a function run by run_async left behind. It stays on the Python side: any
    Python object (or exception) comes back, not just what fits in a gpointer."""

    __slots__ = ('value', 'exc')

    def __init__(self):
        self.value = None
        self.exc = None


# Gio.Task -> _RunState, for run_finish. Entries are removed by run_finish (or right
# after the callback if there is none); the lock is held only to touch the dict.
_run_states = {}
_run_states_lock = threading.Lock()


def _run_executor(pool):
    """The worker threads that run Python functions for `pool`: as many as it can
    hand out connections, created on demand, gone with the pool's wrapper."""
    executor = getattr(pool, '_dbpool_run_executor', None)
    if executor is None:
        import concurrent.futures
        executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=max(1, pool.get_config().props.max_connections),
            thread_name_prefix='dbpool-run')
        pool._dbpool_run_executor = executor
    return executor


class Pool(DbPool.Pool):
    """The pool, with Python parameters, Python run_async and ``with`` support."""

    _raw_execute_async = DbPool.Pool.execute_async
    _raw_query_async = DbPool.Pool.query_async
    # db_pool_run_async/run_finish are (skip) in the GIR; see run_async below.
    _raw_run_async = getattr(DbPool.Pool, 'run_async', None)
    _raw_run_finish = getattr(DbPool.Pool, 'run_finish', None)

    @classmethod
    def new(cls, config, cancellable=None):
        """Opens a pool (blocking). `config` is a `DbPool.PoolConfig` or a path."""
        return DbPool.Pool.new(_as_config(config), cancellable)

    @classmethod
    def new_async(cls, config, io_priority=GLib.PRIORITY_DEFAULT, cancellable=None,
                  callback=None, user_data=_NO_DATA):
        """Opens a pool on a worker; finish with `DbPool.Pool.new_finish`."""
        return DbPool.Pool.new_async(_as_config(config), io_priority, cancellable,
                                     callback, *_data_args(user_data))

    def acquire(self, access=DbPool.Access.WRITE, cancellable=None):
        """A lease (blocking); use it as ``with pool.acquire(...) as conn:``.

        The lease remembers the Python file and line that called this: a lease held
        longer than ``leak-threshold-ms`` is reported with them."""
        return DbPool.Pool.acquire_with_origin(self, access, _caller_origin(1), cancellable)

    def execute_async(self, sql, params=None, cancellable=None, callback=None,
                      user_data=_NO_DATA):
        """Runs one statement on a worker; finish with `execute_finish`, which returns
        ``(rows_changed, last_insert_rowid)``."""
        return DbPool.Pool.execute_async(self, sql, params_to_variant(params),
                                         cancellable, callback, *_data_args(user_data))

    def query_async(self, sql, params=None, cancellable=None, callback=None,
                    user_data=_NO_DATA):
        """Runs one query on a worker; finish with `query_finish` (a `DbPool.Rows`)."""
        return DbPool.Pool.query_async(self, sql, params_to_variant(params),
                                       cancellable, callback, *_data_args(user_data))

    def run_async(self, access, func, cancellable=None, callback=None, user_data=_NO_DATA):
        """Runs ``func(connection, cancellable)`` on a worker thread with a lease of
        kind `access` (the original design's ``with_connection``); the lease goes back
        to the pool when `func` returns, rolling back a transaction it left open.

        ``callback(pool, result[, user_data])`` runs on the main context that is
        thread-default here, and ``run_finish(result)`` returns what `func` returned
        or raises what it raised (a `GLib.Error` from the pool, a cancellation, or any
        Python exception).

        This is implemented in Python on top of the blocking `acquire`, on a
        per-pool set of Python worker threads: the C ``db_pool_run_async`` hands a
        function pointer to a GLib worker thread, which is not exposed to bindings
        (gjs cannot run JavaScript off its main thread).
        """
        state = _RunState()
        # The lease is taken on a worker: the code that asked for it is here.
        origin = _caller_origin(1)

        def work():
            try:
                if cancellable is not None:
                    cancellable.set_error_if_cancelled()
                with DbPool.Pool.acquire_with_origin(self, access, origin,
                                                     cancellable) as connection:
                    state.value = func(connection, cancellable)
            except BaseException as exc:  # re-raised by run_finish
                state.exc = exc
            # Completes on the task's context (an idle there), not on this thread.
            task.return_boolean(True)

        def done(source, result, *_):
            with _run_states_lock:
                _run_states[result] = state
            if callback is not None:
                callback(source, result, *_data_args(user_data))
            else:
                with _run_states_lock:
                    _run_states.pop(result, None)

        task = Gio.Task.new(self, cancellable, done, None)
        # Once the function ran, its outcome is reported even if the cancellable fired
        # late: a committed write must not look cancelled (as in the C API).
        task.set_check_cancellable(False)
        _run_executor(self).submit(work)

    if hasattr(DbPool.Pool, 'execute_batch_async'):
        _raw_execute_batch_async = DbPool.Pool.execute_batch_async

        def execute_batch_async(self, sql, rows, cancellable=None, callback=None,
                                user_data=_NO_DATA):
            """Runs `sql` once per row of `rows` (a list of tuples/lists, or of dicts)
            in one write job, all or nothing; finish with `execute_batch_finish` (the
            total of rows changed)."""
            return DbPool.Pool.execute_batch_async(self, sql, param_rows_to_variant(rows),
                                                   cancellable, callback,
                                                   *_data_args(user_data))

    def run_finish(self, result):
        """The value returned by the function given to `run_async`; raises what it
        raised."""
        with _run_states_lock:
            state = _run_states.pop(result, None)
        if state is None:
            raise ValueError('run_finish() takes the result passed to the run_async() '
                             'callback, once')
        result.propagate_boolean()
        if state.exc is not None:
            raise state.exc
        return state.value

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        return False


def _as_config(config):
    if isinstance(config, DbPool.PoolConfig):
        return config
    if isinstance(config, str) or hasattr(config, '__fspath__'):
        import os
        return DbPool.PoolConfig.new(os.fspath(config))
    raise TypeError('config must be a DbPool.PoolConfig or a path, not %s'
                    % type(config).__name__)


Pool = override(Pool)
__all__.append('Pool')


_SIGNAL_CHECK_MS = 100


def _run_sync(start, finish):
    """Starts an async call with ``start(callback)`` and runs a private main context
    until it completes; returns ``finish(result)``.

    The context is thread-default during the call, so the GTask completes on it and
    nothing else (the caller's own main loop, notify:: emissions) runs meanwhile. On
    the main thread Ctrl-C stops the wait with KeyboardInterrupt, as GLib.MainLoop.run()
    does."""
    context = GLib.MainContext.new()
    loop = GLib.MainLoop.new(context, False)
    box = []

    def done(source, result, *_):
        box.append(result)
        loop.quit()

    # Python runs a signal handler only once the main thread runs Python code again,
    # and PyGObject's own wake-up on signals watches the default context, not this
    # one: a short tick keeps Ctrl-C prompt.
    tick = None
    if threading.current_thread() is threading.main_thread():
        tick = GLib.timeout_source_new(_SIGNAL_CHECK_MS)
        tick.set_callback(lambda *_: GLib.SOURCE_CONTINUE)
        tick.attach(context)
    context.push_thread_default()
    try:
        start(done)
        if not box:
            loop.run()
    finally:
        context.pop_thread_default()
        if tick is not None:
            tick.destroy()
    if not box:
        # Not reached: only `done` quits this loop, and on Ctrl-C MainLoop.run() itself
        # raises KeyboardInterrupt.
        raise KeyboardInterrupt
    return finish(box[0])


class HistoryStorage(DbPool.HistoryStorage):
    """The diagnostics history; every async call has a blocking ``*_sync`` twin that
    returns what its ``*_finish`` returns (or raises its GLib.Error), so a script needs
    no main loop of its own. They may be called on any thread, never from inside a
    callback that must not block."""

    def record_snapshot_sync(self, snapshot, cancellable=None):
        """Stores `snapshot`; returns its new id (also set on the snapshot)."""
        return _run_sync(
            lambda done: self.record_snapshot_async(snapshot, cancellable, done),
            self.record_snapshot_finish)

    def record_lsp_json_sync(self, json, cancellable=None):
        """Stores one LSP ``textDocument/publishDiagnostics`` message (a str);
        returns the new snapshot's id."""
        return _run_sync(
            lambda done: self.record_lsp_json_async(json, cancellable, done),
            self.record_lsp_json_finish)

    def get_file_history_sync(self, file_uri, limit=0, cancellable=None):
        """The snapshots of `file_uri`, newest first, at most `limit` (0: all), as a
        Gio.ListModel of summaries."""
        return _run_sync(
            lambda done: self.get_file_history_async(file_uri, limit, cancellable, done),
            self.get_file_history_finish)

    def get_latest_sync(self, file_uri, cancellable=None):
        """The newest snapshot of `file_uri`, with its diagnostics, or None."""
        return _run_sync(
            lambda done: self.get_latest_async(file_uri, cancellable, done),
            self.get_latest_finish)

    def get_snapshot_sync(self, snapshot_id, cancellable=None):
        """The snapshot with id `snapshot_id`, with its diagnostics, or None."""
        return _run_sync(
            lambda done: self.get_snapshot_async(snapshot_id, cancellable, done),
            self.get_snapshot_finish)

    def list_latest_sync(self, cancellable=None):
        """The newest snapshot of every file, as a Gio.ListModel of summaries."""
        return _run_sync(
            lambda done: self.list_latest_async(cancellable, done),
            self.list_latest_finish)

    def get_trend_sync(self, file_uri, since_us, bucket_us, cancellable=None):
        """Counts per time bucket for `file_uri` (None: all files) as the
        ``a(xuuuu)`` GLib.Variant of ``get_trend_finish``; ``.unpack()`` gives a list
        of ``(bucket_start_us, errors, warnings, infos, hints)``."""
        return _run_sync(
            lambda done: self.get_trend_async(file_uri, since_us, bucket_us, cancellable,
                                              done),
            self.get_trend_finish)

    def cleanup_sync(self, cancellable=None):
        """Applies the retention rules now; returns the number of snapshots removed."""
        return _run_sync(
            lambda done: self.cleanup_async(cancellable, done),
            self.cleanup_finish)


HistoryStorage = override(HistoryStorage)
__all__.append('HistoryStorage')
