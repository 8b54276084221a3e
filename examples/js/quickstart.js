// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The dbpool quick start in JavaScript: open a pool, create a table, run writes and
// reads at the same time on the pool's worker threads, print the rows and the pool's
// statistics. No JavaScript ever runs off the main thread: each statement runs on a
// worker and its result comes back through the main loop.
//
//   gjs -m quickstart.js [DATABASE]
//
// Without an argument the database lives in a new temporary directory that is
// removed at the end.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import DbPool from 'gi://DbPool?version=1.0';
import {exit, programArgs} from 'system';

Gio._promisify(DbPool.Pool.prototype, 'execute_async', 'execute_finish');
Gio._promisify(DbPool.Pool.prototype, 'query_async', 'query_finish');
Gio._promisify(DbPool.Pool.prototype, 'close_async', 'close_finish');

const N_WRITES = 20;
const N_READS = 10;

async function quickstart(path) {
    const config = DbPool.PoolConfig.new(path);
    config.max_connections = 4;

    // Opens min-connections connections before returning; DbPool.Pool.new_async()
    // does the same without blocking the main loop.
    const pool = DbPool.Pool.new(config, null);

    // notify:: is emitted on this (the main) thread only, coalesced.
    let notifications = 0;
    const handler = pool.connect('notify::total-requests', () => notifications++);

    await pool.execute_async(`CREATE TABLE IF NOT EXISTS notes (
        id INTEGER PRIMARY KEY,
        author TEXT NOT NULL,
        body TEXT NOT NULL)`, null, null);
    const before = (await pool.query_async('SELECT count(*) FROM notes', null, null))
        .get_int64(0, 0);

    // Everything starts at once. The writes take turns on the one write lease (the
    // pool queues them); the reads run beside them on other connections.
    const authors = ['ada', 'grace', 'linus'];
    const writes = [];
    for (let i = 0; i < N_WRITES; i++) {
        const params = new GLib.Variant('(ss)', [authors[i % authors.length], `note ${i}`]);
        writes.push(pool.execute_async(
            'INSERT INTO notes (author, body) VALUES (?, ?)', params, null));
    }
    const reads = [];
    for (let i = 0; i < N_READS; i++)
        reads.push(pool.query_async('SELECT count(*) FROM notes', null, null));

    // execute_finish() has an out argument, so each write yields
    // [rows changed, last insert rowid].
    for (const [changed, rowid] of await Promise.all(writes))
        print(`inserted ${changed} row, id ${rowid}`);
    for (const rows of await Promise.all(reads))
        print(`a reader saw ${rows.get_int64(0, 0)} notes`);

    // Named parameters: an a{sv} dictionary.
    const byAuthor = await pool.query_async(
        'SELECT author, count(*) AS n FROM notes WHERE author != :skip ' +
        'GROUP BY author ORDER BY author',
        new GLib.Variant('a{sv}', {skip: new GLib.Variant('s', 'nobody')}), null);
    let after = 0;
    print('\nauthor   notes');
    for (const {author, n} of JSON.parse(byAuthor.to_json())) {
        print(`${author.padEnd(8)} ${n}`);
        after += n;
    }
    if (after - before !== N_WRITES)
        throw new Error(`Expected ${N_WRITES} new notes, found ${after - before}`);

    print(`\npool stats: ${pool.get_stats().to_json()}`);
    print(`${pool.total_requests} requests, ${notifications} notify::total-requests signals`);

    pool.disconnect(handler);
    // Fails new requests with DB_POOL_ERROR_CLOSED, waits for outstanding leases,
    // then closes every connection.
    await pool.close_async(null);
}

function removeDatabase(dir, path) {
    for (const suffix of ['', '-wal', '-shm']) {
        try {
            Gio.File.new_for_path(`${path}${suffix}`).delete(null);
        } catch (e) {
            if (!e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND))
                throw e;
        }
    }
    Gio.File.new_for_path(dir).delete(null);
}

let tmpdir = null;
let path = programArgs[0];
if (programArgs.length > 1) {
    printerr('Usage: gjs -m quickstart.js [DATABASE]');
    exit(2);
}
if (path === undefined) {
    tmpdir = GLib.Dir.make_tmp('dbpool-quickstart-XXXXXX');
    path = GLib.build_filenamev([tmpdir, 'quickstart.db']);
}

const loop = new GLib.MainLoop(null, false);
let status = 0;
quickstart(path).catch(e => {
    printerr(`quickstart: ${e.message}`);
    status = 1;
}).finally(() => loop.quit());
loop.run();

if (tmpdir !== null)
    removeDatabase(tmpdir, path);
exit(status);
