# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared helpers for the Python test suite (run through introspection/run-uninstalled.py,
which makes the build-tree typelib and the source-tree override visible)."""

import os
import shutil
import tempfile
import unittest

import gi
gi.require_version('DbPool', '1.0')
from gi.repository import GLib, Gio, GObject, DbPool  # noqa: E402

# The test modules take the GI modules from here, after the version is pinned.
__all__ = ['DbPool', 'GLib', 'Gio', 'GObject', 'POOL_ERROR', 'TempDirTestCase', 'spin',
           'wait_async']

POOL_ERROR = 'db-pool-error-quark'


def wait_async(start):
    """Starts an async call with `start(callback)` and runs a main loop on the default
    context until the callback fires; returns (source_object, result).

    The *_finish call is left to the test body: an exception raised inside a main-loop
    callback would only be printed by PyGObject, never fail the test."""
    loop = GLib.MainLoop()
    box = []

    def done(source, result, *user_data):
        box.append((source, result))
        loop.quit()

    start(done)
    if not box:
        loop.run()
    return box[0]


def spin(until, what='the condition', guard_s=20):
    """Iterates the default main context until `until()` is true.

    `guard_s` only turns a hang into a readable failure (naming `what`) when an event
    never arrives; nothing is measured against it."""
    context = GLib.MainContext.default()
    deadline = GLib.get_monotonic_time() + guard_s * 1000000
    woken = []

    def wake():
        woken.append(True)
        return GLib.SOURCE_REMOVE

    source_id = GLib.timeout_add_seconds(guard_s, wake)
    try:
        while not until():
            if woken or GLib.get_monotonic_time() > deadline:
                raise AssertionError('gave up waiting for %s' % what)
            context.iteration(True)
    finally:
        if not woken:
            GLib.source_remove(source_id)


class TempDirTestCase(unittest.TestCase):
    """Each test gets its own directory, removed afterwards (after pools are closed)."""

    def setUp(self):
        self.tmpdir = tempfile.mkdtemp(prefix='dbpool-py-')
        self.addCleanup(shutil.rmtree, self.tmpdir, True)

    def db_path(self, name='test.db'):
        return os.path.join(self.tmpdir, name)

    def open_pool(self, config=None, **props):
        if config is None:
            config = DbPool.PoolConfig.new(self.db_path())
        for name, value in props.items():
            config.set_property(name.replace('_', '-'), value)
        pool = DbPool.Pool.new(config, None)
        self.addCleanup(pool.close)
        return pool

    def assertPoolError(self, ctx_or_exc, code):
        exc = ctx_or_exc.exception if hasattr(ctx_or_exc, 'exception') else ctx_or_exc
        self.assertIsInstance(exc, GLib.Error)
        self.assertEqual(exc.domain, POOL_ERROR, exc.message)
        self.assertEqual(exc.code, int(code), exc.message)
        self.assertTrue(exc.matches(DbPool.pool_error_quark(), code), exc.message)
