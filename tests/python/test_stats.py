# SPDX-License-Identifier: LGPL-2.1-or-later
"""Stats from Python: the read-only properties, DbPool.PoolStats, and notify::
signals that arrive on the main thread while a workload runs on the workers."""

import collections
import json
import threading
import unittest

from dbpooltest import DbPool, GLib, GObject, TempDirTestCase, spin

MAIN = threading.main_thread()

STAT_PROPERTIES = {
    # property name: DbPoolStats field
    'total-connections-created': 'total_connections_created',
    'total-connections-destroyed': 'total_connections_destroyed',
    'active-connections': 'current_active_connections',
    'idle-connections': 'current_idle_connections',
    'waiting-requests': 'waiting_requests',
    'total-requests': 'total_requests',
    'total-wait-time-us': 'total_wait_time_us',
    'max-wait-time-us': 'max_wait_time_us',
    'connection-errors': 'connection_errors',
    'timeouts': 'timeouts',
    'group-commits': 'group_commits',
    'group-commit-jobs': 'group_commit_jobs',
}


class StatsPropertyTests(TempDirTestCase):
    def test_properties_exist_and_are_read_only(self):
        pool = self.open_pool()
        for name in STAT_PROPERTIES:
            pspec = pool.find_property(name)
            self.assertIsNotNone(pspec, name)
            self.assertTrue(pspec.flags & GObject.ParamFlags.READABLE, name)
            self.assertFalse(pspec.flags & GObject.ParamFlags.WRITABLE,
                             name + ' must not be writable')

    def test_properties_match_snapshot(self):
        pool = self.open_pool()
        with pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute('CREATE TABLE t (x)')
            conn.execute('INSERT INTO t VALUES (1)')
            stats = pool.get_stats()
            self.assertIsInstance(stats, DbPool.PoolStats)
            self.assertEqual(stats.current_active_connections, 1)
            self.assertEqual(pool.props.active_connections, 1)
        for _ in range(3):
            with pool.acquire(DbPool.Access.READ):
                pass
        stats = pool.get_stats()
        for name, field in STAT_PROPERTIES.items():
            self.assertEqual(pool.get_property(name), getattr(stats, field), name)
        self.assertEqual(stats.current_active_connections, 0)
        self.assertEqual(stats.total_requests, 4)
        self.assertGreaterEqual(stats.total_connections_created, 1)
        self.assertEqual(stats.current_idle_connections,
                         stats.total_connections_created - stats.total_connections_destroyed)
        self.assertEqual(stats.timeouts, 0)
        self.assertEqual(stats.connection_errors, 0)
        # JSON keys are the property names.
        parsed = json.loads(stats.to_json())
        for name, field in STAT_PROPERTIES.items():
            self.assertEqual(parsed[name], getattr(stats, field), name)


class StatsTableTests(unittest.TestCase):
    """Every DbPoolStats field, as introspection lists it, reaches exactly one JSON key
    that is also a property of its type: a field the stats table in C forgot, or
    reads at the wrong offset or width, fails here."""

    DERIVED = 'average-wait-time-us'

    def test_each_field_has_one_json_key_and_property(self):
        fields = DbPool.PoolStats.__info__.get_fields()
        pspecs = {p.name: p for p in DbPool.Pool.list_properties()}
        keys = []
        for i, field in enumerate(fields):
            name = field.get_name()
            tag = field.get_type().get_tag_as_string()
            # Above 32 bits for the 64-bit fields: a table entry reading them as
            # guint would drop that.
            value = 2 ** 40 + i if tag == 'guint64' else 1 + i
            stats = DbPool.PoolStats()
            setattr(stats, name, value)
            parsed = json.loads(stats.to_json())
            changed = [k for k, v in parsed.items() if v and k != self.DERIVED]
            self.assertEqual(len(changed), 1, '%s shows in %r' % (name, changed))
            key = changed[0]
            self.assertEqual(parsed[key], value, name)
            self.assertIn(key, pspecs, name)
            self.assertEqual(pspecs[key].value_type.name,
                             {'guint32': 'guint', 'guint64': 'guint64'}[tag], name)
            self.assertEqual(STAT_PROPERTIES.get(key), name)
            keys.append(key)
        # One field per key, in the struct's order, then the derived average.
        parsed = json.loads(DbPool.PoolStats().to_json())
        self.assertEqual(list(parsed), keys + [self.DERIVED])
        # And every stat property but circuit-state (not a DbPoolStats field) has one.
        self.assertEqual(set(pspecs) - {'config', 'backend', 'circuit-state'}, set(keys))


class NotifyTests(TempDirTestCase):
    def test_notify_on_main_thread_while_workload_runs(self):
        pool = self.open_pool(max_connections=4)
        with pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')

        seen = collections.defaultdict(list)
        handler_threads = set()
        release = threading.Event()
        worker_threads = set()

        def on_notify(obj, pspec):
            handler_threads.add(threading.current_thread())
            seen[pspec.name].append(obj.get_property(pspec.name))
            # While the first writer holds its lease and the second waits for it, both
            # must have been announced through notify:: before the writer is let go.
            if (seen['active-connections'] and seen['active-connections'][-1] >= 1 and
                    seen['waiting-requests'] and seen['waiting-requests'][-1] >= 1):
                release.set()

        for name in STAT_PROPERTIES:
            pool.connect('notify::' + name, on_notify)

        def blocking_writer(conn, cancellable):
            worker_threads.add(threading.current_thread())
            conn.execute('INSERT INTO t (v) VALUES (?)', ('held',))
            release.wait()
            return 'first'

        def second_writer(conn, cancellable):
            worker_threads.add(threading.current_thread())
            conn.execute('INSERT INTO t (v) VALUES (?)', ('second',))
            return 'second'

        finished = []

        def done(source, result):
            try:
                finished.append(source.run_finish(result))
            except Exception as exc:
                finished.append(exc)

        pool.run_async(DbPool.Access.WRITE, blocking_writer, None, done)
        # Queue the second writer only once the first holds the write lease.
        spin(lambda: pool.get_stats().current_active_connections >= 1,
             'the first writer to hold its lease')
        pool.run_async(DbPool.Access.WRITE, second_writer, None, done)
        # A burst of statements too, so the counters move while signals are delivered.
        for i in range(50):
            pool.query_async('SELECT count(*) FROM t', None, None,
                             lambda p, r: finished.append(len(p.query_finish(r))))
        spin(lambda: len(finished) == 52, 'the workload to finish')

        self.assertIn('first', finished)
        self.assertIn('second', finished)
        self.assertTrue(release.is_set())
        self.assertEqual(handler_threads, {MAIN})
        self.assertNotIn(MAIN, worker_threads)
        self.assertTrue(any(v >= 1 for v in seen['active-connections']))
        self.assertTrue(any(v >= 1 for v in seen['waiting-requests']))

        # Once the workload is over the last notified values catch up with the pool.
        spin(lambda: seen['total-requests'] and
             seen['total-requests'][-1] == pool.props.total_requests and
             seen['active-connections'][-1] == 0,
             'notify:: to announce the final values (seen: %r)' % dict(seen))
        self.assertGreaterEqual(pool.props.total_requests, 53)
        self.assertEqual(pool.props.active_connections, 0)

    def test_handlers_never_left_with_a_stale_value(self):
        # A handler reads the property when notified. If the value changes after the
        # notifier took its snapshot, and changes back before the next one, the next
        # dispatch must notify again: the handler last saw the intermediate value.
        # Handlers run in connection order, which makes that sequence deterministic.
        pool = self.open_pool()
        state = {'lease': None, 'armed': False}
        seen = []
        # Before pool.close() (cleanups run last-in first-out), which waits for leases.
        self.addCleanup(lambda: state['lease'] and state['lease'].release())

        def release_lease(obj, pspec):
            if state['armed']:
                state['lease'].release()

        def record(obj, pspec):
            seen.append(obj.props.active_connections)

        def take_another_lease(obj, pspec):
            if state['armed']:
                state['armed'] = False
                state['lease'] = pool.acquire(DbPool.Access.WRITE)

        pool.connect('notify::active-connections', release_lease)
        pool.connect('notify::active-connections', record)
        pool.connect('notify::active-connections', take_another_lease)
        state['lease'] = pool.acquire(DbPool.Access.WRITE)
        state['armed'] = True
        spin(lambda: seen, 'notify::active-connections')
        self.assertEqual(seen[0], 0)   # read between the release and the new lease
        self.assertEqual(pool.props.active_connections, 1)
        spin(lambda: seen[-1] == 1,
             'a notify:: that lets the handler see the lease it holds (seen: %r)' % seen)

    def test_notify_on_thread_default_context_of_creator(self):
        # A pool created with a thread-default context notifies there, not on the
        # global default context.
        context = GLib.MainContext.new()
        context.push_thread_default()
        try:
            pool = self.open_pool()
            contexts = []
            pool.connect('notify::total-requests',
                         lambda *a: contexts.append(GLib.MainContext.get_thread_default()))
            with pool.acquire(DbPool.Access.READ):
                pass
            while not contexts:
                context.iteration(True)  # meson's timeout guards this one
        finally:
            context.pop_thread_default()
        self.assertEqual(contexts[0], context)


if __name__ == '__main__':
    unittest.main(verbosity=2)
