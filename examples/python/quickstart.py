#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""dbpool from Python: open a pool, create a table, write and read from several threads
at once, run statements asynchronously from a GLib main loop, print the rows.

    /usr/bin/python3 examples/python/quickstart.py [DATABASE]

Without DATABASE a temporary one is used and removed afterwards.
"""

import os
import shutil
import sys
import tempfile
import threading

import gi
gi.require_version('DbPool', '1.0')
from gi.repository import DbPool, GLib  # noqa: E402

WRITERS = 4
READERS = 4
NOTES_PER_WRITER = 25


def main(argv):
    tmpdir = None
    if len(argv) > 1:
        path = argv[1]
    else:
        tmpdir = tempfile.mkdtemp(prefix='dbpool-quickstart-')
        path = os.path.join(tmpdir, 'quickstart.db')

    try:
        run(path)
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
    return 0


def run(path):
    config = DbPool.PoolConfig.new(path)
    config.props.max_connections = 8

    # The pool closes (waiting for outstanding leases) when the block ends.
    with DbPool.Pool.new(config) as pool:
        # A lease is a context manager: it goes back to the pool at the end of the block.
        with pool.acquire(DbPool.Access.WRITE) as conn:
            conn.execute_script('''
                CREATE TABLE IF NOT EXISTS notes (
                    id     INTEGER PRIMARY KEY,
                    author TEXT NOT NULL,
                    body   TEXT NOT NULL,
                    score  REAL
                );
                DELETE FROM notes;
            ''')

        # Plain threads, each with its own lease. Writes queue in the pool for the one
        # write connection SQLite allows; reads run alongside them (WAL).
        def writer(n):
            with pool.acquire(DbPool.Access.WRITE) as conn:
                with conn.transaction():   # COMMIT at the end, ROLLBACK on exception
                    for i in range(NOTES_PER_WRITER):
                        conn.execute('INSERT INTO notes (author, body, score) VALUES (?, ?, ?)',
                                     ('writer-%d' % n, 'note %d' % i, i / 10))

        counts = []

        def reader():
            for _ in range(10):
                with pool.acquire(DbPool.Access.READ) as conn:
                    counts.append(conn.query('SELECT count(*) AS n FROM notes')[0]['n'])

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        threads += [threading.Thread(target=reader) for _ in range(READERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print('readers saw between %d and %d notes while the writers ran'
              % (min(counts), max(counts)))

        # From a main loop: statements run on the pool's workers and the callbacks come
        # back on this thread. Named parameters come from a dict; None is SQL NULL.
        loop = GLib.MainLoop()

        def inserted(pool, result, _data):
            changed, rowid = pool.execute_finish(result)
            print('inserted row %d asynchronously' % rowid)
            pool.query_async('SELECT author, count(*) AS notes, round(avg(score), 2) AS avg '
                             'FROM notes GROUP BY author ORDER BY author',
                             None, None, queried, None)

        def queried(pool, result, _data):
            rows = pool.query_finish(result)
            print('%d authors:' % len(rows))
            for row in rows:              # each row is a dict
                print('  %(author)-10s %(notes)3d notes, average score %(avg)s' % row)
            loop.quit()

        pool.execute_async('INSERT INTO notes (author, body, score) '
                           'VALUES (:author, :body, :score)',
                           {'author': 'main-loop', 'body': 'hello', 'score': None},
                           None, inserted, None)
        loop.run()

        # A Python function on a pool worker thread, with a lease of its own.
        def busiest(conn, cancellable):
            return conn.query('SELECT author FROM notes GROUP BY author '
                              'ORDER BY count(*) DESC, author LIMIT 1')[0]['author']

        def ran(pool, result, _data):
            print('busiest author (computed on %s): %s'
                  % ('a worker thread', pool.run_finish(result)))
            loop.quit()

        pool.run_async(DbPool.Access.READ, busiest, None, ran, None)
        loop.run()

        with pool.acquire(DbPool.Access.READ) as conn:
            rows = conn.query('SELECT id, author, body, score FROM notes '
                              'ORDER BY id DESC LIMIT ?', (3,))
            print('last rows as tuples:', rows.tuples())

        stats = pool.get_stats()
        print('pool: %d requests, %d connections opened, longest wait %.1f ms'
              % (stats.total_requests, stats.total_connections_created,
                 stats.max_wait_time_us / 1000))


if __name__ == '__main__':
    sys.exit(main(sys.argv))
