#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""dbpool's main demo: an LSP bridge recording diagnostics while it queries them.

Several producers feed the real publishDiagnostics messages captured from pylsp and
clangd (tests/data/lsp/*.jsonl) into a DbHistoryStorage at the same time, while a
reader keeps querying file histories. The pool's statistics are shown live from its
notify:: signals, which always arrive on this (the main) thread. At the end it prints
the per-severity trend and the ten files with the most errors.

Run it through `./dev demo` (it builds first), or with the build tree's environment:
  /usr/bin/python3 examples/python/lsp_history_demo.py [--producers N] [--db PATH]
"""

import argparse
import glob
import json
import os
import random
import sys
import tempfile
import threading
import time

import gi

gi.require_version('DbPool', '1.0')
from gi.repository import DbPool, GLib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# The captures that ship in the tree (tests/data/lsp/README.md); the build sets
# DBPOOL_LSP_DATA_DIR to the same place.
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, '..', '..', 'tests', 'data', 'lsp'))

STATS = ('active-connections', 'idle-connections', 'waiting-requests', 'total-requests',
         'total-connections-created', 'max-wait-time-us', 'timeouts', 'connection-errors')


def load_messages(data_dir):
    files = sorted(glob.glob(os.path.join(data_dir, '*.jsonl')))
    if not files:
        sys.exit('No LSP data (*.jsonl) in %s; pass --data DIR' % data_dir)
    messages = []
    for path in files:
        with open(path, encoding='utf-8') as f:
            messages.extend(line for line in f if line.strip())
    return files, messages


class LiveStats:
    """A one-line display refreshed from the pool's notify:: signals."""

    def __init__(self, pool, out):
        self.pool = pool
        self.out = out
        self.tty = out.isatty()
        self.notifications = 0
        self.last_print = 0.0
        self.values = {name: pool.get_property(name) for name in STATS}
        pool.connect('notify', self.on_notify)

    def on_notify(self, pool, pspec):
        assert threading.current_thread() is threading.main_thread()
        if pspec.name not in self.values:
            return
        self.notifications += 1
        self.values[pspec.name] = pool.get_property(pspec.name)
        now = time.monotonic()
        # A terminal gets a live line; a log gets a line every half second.
        if now - self.last_print >= (0.05 if self.tty else 0.5):
            self.show()
            self.last_print = now

    def line(self):
        v = self.values
        return ('active %(active-connections)2d  idle %(idle-connections)2d  '
                'waiting %(waiting-requests)3d  requests %(total-requests)6d  '
                'opened %(total-connections-created)2d  max-wait %(max-wait-time-us)6d us  '
                'timeouts %(timeouts)d  errors %(connection-errors)d' % v)

    def show(self, final=False):
        if self.tty:
            self.out.write('\r\033[K' + self.line() + ('\n' if final else ''))
        else:
            self.out.write(self.line() + '\n')
        self.out.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default=os.environ.get('DBPOOL_LSP_DATA_DIR', DEFAULT_DATA))
    parser.add_argument('--db', help='database path (default: a temporary file)')
    parser.add_argument('--producers', type=int, default=4)
    parser.add_argument('--rounds', type=int, default=3,
                        help='how many times each message is published (edits over time)')
    args = parser.parse_args()

    files, messages = load_messages(args.data)
    tmp = None
    db_path = args.db
    if db_path is None:
        tmp = tempfile.TemporaryDirectory(prefix='dbpool-demo-')
        db_path = os.path.join(tmp.name, 'history.db')

    config = DbPool.HistoryConfig.new(db_path)
    config.props.max_connections = 8
    storage = DbPool.HistoryStorage.new(config, None)
    pool = storage.get_pool()

    print('dbpool %s, SQLite history at %s' % (DbPool.VERSION_S if hasattr(DbPool, 'VERSION_S') else '1.0', db_path))
    print('Ingesting %d publishDiagnostics messages x %d rounds from %s with %d producers'
          % (len(messages), args.rounds, ', '.join(os.path.basename(f) for f in files),
             args.producers))

    live = LiveStats(pool, sys.stdout)
    loop = GLib.MainLoop()
    work = [m for _ in range(args.rounds) for m in messages]
    state = {'next': 0, 'done': 0, 'producers': args.producers, 'errors': 0,
             'queries': 0, 'reading': True, 'uris': []}
    for m in messages[:50]:
        state['uris'].append(json.loads(m)['params']['uri'])
    started = time.monotonic()

    def produce():
        # Each producer keeps one message in flight; the pool runs them on its workers.
        if state['next'] >= len(work):
            state['producers'] -= 1
            if state['producers'] == 0:
                state['reading'] = False
                loop.quit()
            return
        msg = work[state['next']]
        state['next'] += 1
        storage.record_lsp_json_async(msg, None, recorded)

    def recorded(source, result):
        try:
            source.record_lsp_json_finish(result)
            state['done'] += 1
        except GLib.Error as e:
            state['errors'] += 1
            print('\nrecord failed: %s' % e.message, file=sys.stderr)
        produce()

    def read_some():
        # Reads run beside the writer: file histories while ingestion goes on.
        if not state['reading']:
            return
        storage.get_file_history_async(random.choice(state['uris']), 10, None, history_read)

    def history_read(source, result):
        source.get_file_history_finish(result)
        state['queries'] += 1
        read_some()

    for _ in range(args.producers):
        produce()
    read_some()
    loop.run()
    elapsed = time.monotonic() - started
    live.show(final=True)

    n_diags = sum(len(json.loads(m)['params']['diagnostics']) for m in messages) * args.rounds
    print('Recorded %d snapshots (%d diagnostics) in %.2f s: %.0f diagnostics/s; '
          '%d history queries ran meanwhile; %d notify:: signals on the main thread; %d errors'
          % (state['done'], n_diags, elapsed, n_diags / elapsed if elapsed else 0,
             state['queries'], live.notifications, state['errors']))

    # The trend: one-minute buckets over the run, every file at its newest snapshot.
    trend_box = {}

    def got_trend(source, result):
        trend_box['v'] = source.get_trend_finish(result)
        loop.quit()

    since = int((time.time() - elapsed - 60) * 1e6)
    storage.get_trend_async(None, since, 60 * 1000000, None, got_trend)
    loop.run()
    print('\nTrend (all files, 1-minute buckets):')
    print('  %-20s %8s %8s %8s %8s' % ('bucket', 'errors', 'warnings', 'infos', 'hints'))
    for start, e, w, i, h in trend_box['v'].unpack():
        stamp = time.strftime('%Y-%m-%d %H:%M', time.localtime(start / 1e6))
        print('  %-20s %8d %8d %8d %8d' % (stamp, e, w, i, h))

    latest_box = {}

    def got_latest(source, result):
        latest_box['v'] = source.list_latest_finish(result)
        loop.quit()

    storage.list_latest_async(None, got_latest)
    loop.run()
    model = latest_box['v']
    snaps = [model.get_item(i) for i in range(model.get_n_items())]
    snaps.sort(key=lambda s: (-s.props.error_count, -s.props.warning_count, s.props.file_uri))
    print('\nTen files with the most errors (latest snapshot):')
    print('  %6s %8s  %s' % ('errors', 'warnings', 'file'))
    for s in snaps[:10]:
        print('  %6d %8d  %s' % (s.props.error_count, s.props.warning_count,
                                  s.props.file_uri.replace('file:///home/dev/', '')))

    pool.close()
    if tmp is not None:
        tmp.cleanup()
    return 1 if state['errors'] else 0


if __name__ == '__main__':
    sys.exit(main())
