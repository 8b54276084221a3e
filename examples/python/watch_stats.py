#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Watch a pool at work: a mixed workload runs on the pool's worker threads while the
main loop shows the pool's stats live, driven only by notify:: signals, then prints a
summary.

    /usr/bin/python3 examples/python/watch_stats.py [--operations N] [--in-flight N]
                                                     [--database PATH]

The stats properties are notified on the main context (never on a worker) and
coalesced, so a burst of thousands of operations costs a handful of redraws.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import threading

import gi
gi.require_version('DbPool', '1.0')
from gi.repository import DbPool, GLib  # noqa: E402

STATS = ('total-connections-created', 'total-connections-destroyed',
         'active-connections', 'idle-connections', 'waiting-requests', 'total-requests',
         'total-wait-time-us', 'max-wait-time-us', 'connection-errors', 'timeouts')


class Display:
    """The one-line live view. On a terminal it rewrites one line in place; otherwise
    (a log, a test) it prints a line at most every 100 ms, and the final state."""

    def __init__(self, pool, total_ops):
        self.pool = pool
        self.total_ops = total_ops
        self.done_ops = 0
        self.tty = sys.stdout.isatty()
        self.redraw_pending = False
        self.last_print_us = 0
        self.notifications = dict.fromkeys(STATS, 0)
        self.redraws = 0
        for name in STATS:
            pool.connect('notify::' + name, self.on_notify)

    def on_notify(self, pool, pspec):
        # Several properties are notified together; draw once for all of them.
        assert threading.current_thread() is threading.main_thread()
        self.notifications[pspec.name] += 1
        if not self.redraw_pending:
            self.redraw_pending = True
            GLib.idle_add(self.redraw, priority=GLib.PRIORITY_HIGH_IDLE)

    def line(self):
        p = self.pool.props
        served = max(p.total_requests, 1)
        return ('active %2d/%d  idle %2d  waiting %3d  requests %6d  opened %2d closed %2d  '
                'wait avg %6.2f ms max %6.2f ms  timeouts %d  errors %d  [%d/%d ops]'
                % (p.active_connections, self.pool.get_config().props.max_connections,
                   p.idle_connections, p.waiting_requests, p.total_requests,
                   p.total_connections_created, p.total_connections_destroyed,
                   p.total_wait_time_us / served / 1000, p.max_wait_time_us / 1000,
                   p.timeouts, p.connection_errors, self.done_ops, self.total_ops))

    def redraw(self, final=False):
        self.redraw_pending = False
        self.redraws += 1
        if self.tty:
            sys.stdout.write('\r\033[K' + self.line())
            if final:
                sys.stdout.write('\n')
            sys.stdout.flush()
        else:
            now = GLib.get_monotonic_time()
            if final or now - self.last_print_us >= 100000:
                self.last_print_us = now
                print(self.line(), flush=True)
        return GLib.SOURCE_REMOVE


class Workload:
    """A mix of writes, reads and small transactions, at most `in_flight` at a time,
    each finished operation starting the next one."""

    def __init__(self, pool, total_ops, in_flight, on_progress, on_done):
        self.pool = pool
        self.remaining = total_ops
        self.in_flight = in_flight
        self.running = 0
        self.errors = []
        self.on_progress = on_progress
        self.on_done = on_done
        self.rng = random.Random(42)

    def start(self):
        for _ in range(self.in_flight):
            self.submit()

    def submit(self):
        if self.remaining == 0:
            if self.running == 0:
                self.on_done()
            return
        self.remaining -= 1
        self.running += 1
        kind = self.rng.random()
        if kind < 0.35:
            self.pool.execute_async('INSERT INTO events (kind, payload) VALUES (?, ?)',
                                    ('insert', os.urandom(16)), None, self.finished,
                                    'execute')
        elif kind < 0.80:
            self.pool.query_async('SELECT kind, count(*) AS n FROM events '
                                  'WHERE id > ? GROUP BY kind',
                                  (self.rng.randrange(1000),), None, self.finished, 'query')
        else:
            # A Python function on a worker: a small transaction with a few statements.
            self.pool.run_async(DbPool.Access.WRITE, self.batch, None, self.finished, 'run')

    @staticmethod
    def batch(conn, cancellable):
        with conn.transaction():
            for _ in range(5):
                conn.execute('INSERT INTO events (kind, payload) VALUES (?, ?)',
                             ('batch', None))
            return conn.query('SELECT count(*) AS n FROM events')[0]['n']

    def finished(self, pool, result, how):
        try:
            if how == 'execute':
                pool.execute_finish(result)
            elif how == 'query':
                pool.query_finish(result)
            else:
                pool.run_finish(result)
        except GLib.Error as error:
            self.errors.append(error)
        self.running -= 1
        self.on_progress()
        self.submit()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--operations', type=int, default=3000)
    parser.add_argument('--in-flight', type=int, default=32)
    parser.add_argument('--database')
    args = parser.parse_args(argv[1:])

    tmpdir = None
    path = args.database
    if path is None:
        tmpdir = tempfile.mkdtemp(prefix='dbpool-watch-')
        path = os.path.join(tmpdir, 'watch.db')
    try:
        return watch(path, args.operations, args.in_flight)
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)


def watch(path, operations, in_flight):
    config = DbPool.PoolConfig.new(path)
    config.props.max_connections = 6

    with DbPool.Pool.new(config) as pool:
        with pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute_script('CREATE TABLE IF NOT EXISTS events '
                                '(id INTEGER PRIMARY KEY, kind TEXT, payload BLOB)')

        loop = GLib.MainLoop()
        display = Display(pool, operations)

        def progress():
            display.done_ops += 1

        workload = Workload(pool, operations, in_flight, progress, loop.quit)
        started_us = GLib.get_monotonic_time()
        GLib.idle_add(lambda: workload.start() and False)
        loop.run()
        elapsed_s = (GLib.get_monotonic_time() - started_us) / 1e6

        # Let the last coalesced notifications arrive, then draw the final state.
        context = GLib.MainContext.default()
        while context.pending():
            context.iteration(False)
        display.redraw(final=True)

        stats = pool.get_stats()
        signals = sum(display.notifications.values())
        print()
        print('summary')
        print('  operations        %d in %.2f s (%.0f/s), %d failed'
              % (operations, elapsed_s, operations / max(elapsed_s, 1e-6),
                 len(workload.errors)))
        print('  pool requests     %d, waited %.1f ms in total, %.2f ms at most'
              % (stats.total_requests, stats.total_wait_time_us / 1000,
                 stats.max_wait_time_us / 1000))
        print('  connections       %d opened, %d closed, %d idle now, %d errors, %d timeouts'
              % (stats.total_connections_created, stats.total_connections_destroyed,
                 stats.current_idle_connections, stats.connection_errors, stats.timeouts))
        print('  notify:: signals  %d in all (total-requests: %d) for %d requests; '
              '%d redraws' % (signals, display.notifications['total-requests'],
                              stats.total_requests, display.redraws))
        for error in workload.errors[:5]:
            print('  error: %s' % error.message)
        return 1 if workload.errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
