// SPDX-License-Identifier: LGPL-2.1-or-later
// The pool from gjs: everything here runs on the main thread; work happens on the pool's
// workers and results come back through GAsyncReadyCallback / promises.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import DbPool from 'gi://DbPool?version=1.0';

import {
    test, run, assert, assertEqual, assertThrows, assertPoolError, makeTempDir,
    removeTree, waitUntil,
} from './harness.js';

Gio._promisify(DbPool.Pool, 'new_async', 'new_finish');
Gio._promisify(DbPool.Pool.prototype, 'execute_async', 'execute_finish');
Gio._promisify(DbPool.Pool.prototype, 'query_async', 'query_finish');
Gio._promisify(DbPool.Pool.prototype, 'acquire_async', 'acquire_finish');
Gio._promisify(DbPool.Pool.prototype, 'close_async', 'close_finish');

const STATS = {
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
};

// Opens a pool in a fresh directory, runs `fn(pool, dir)`, then closes and cleans up.
async function withPool(fn, configure = () => {}) {
    const dir = makeTempDir();
    const config = DbPool.PoolConfig.new(GLib.build_filenamev([dir, 'test.db']));
    configure(config);
    const pool = await DbPool.Pool.new_async(config, GLib.PRIORITY_DEFAULT, null);
    try {
        await fn(pool, dir);
    } finally {
        await pool.close_async(null);
        removeTree(dir);
    }
}

// Rows as plain objects, NULL as null (to_variant() leaves NULL columns out).
function rowsToObjects(rows) {
    const out = [];
    for (let r = 0; r < rows.get_n_rows(); r++) {
        const row = rows.get_row_variant(r).recursiveUnpack();
        for (let c = 0; c < rows.get_n_columns(); c++)
            row[rows.get_column_name(c)] ??= null;
        out.push(row);
    }
    return out;
}

test('config presets and JSON', () => {
    const config = DbPool.PoolConfig.new_high_performance('a.db');
    assertEqual(config.max_connections, 50);
    assertEqual(config.min_connections, 5);
    assertEqual(DbPool.PoolConfig.new_memory_efficient('a.db').maxConnections, 5);
    const parsed = JSON.parse(config.to_json());
    assertEqual(parsed['max-connections'], 50);
    const again = DbPool.PoolConfig.new_from_json('{"path": "b.db", "max-connections": 20}');
    assertEqual([again.path, again.max_connections, again.min_connections], ['b.db', 20, 2]);
});

test('config errors are GLib.Error', async () => {
    const e = await assertThrows(() =>
        DbPool.PoolConfig.new_from_json('{"path": "b.db", "bogus": 1}'));
    assertPoolError(e, DbPool, DbPool.PoolError.INVALID_CONFIG);
    assert(e.message.includes('bogus'), e.message);
});

test('construct synchronously', () => {
    const dir = makeTempDir();
    const pool = DbPool.Pool.new(DbPool.PoolConfig.new(GLib.build_filenamev([dir, 'x.db'])),
        null);
    assert(pool instanceof DbPool.Pool);
    assert(pool instanceof Gio.Initable);
    assert(!pool.is_closed());
    pool.close();
    assert(pool.is_closed());
    removeTree(dir);
});

test('construct asynchronously with a callback', async () => {
    const dir = makeTempDir();
    const config = DbPool.PoolConfig.new(GLib.build_filenamev([dir, 'x.db']));
    const pool = await new Promise((resolve, reject) => {
        // Calling the original (callback) form of the promisified function.
        DbPool.Pool.new_async(config, GLib.PRIORITY_DEFAULT, null, (_src, res) => {
            try {
                resolve(DbPool.Pool.new_finish(res));
            } catch (e) {
                reject(e);
            }
        });
    });
    assert(pool instanceof Gio.AsyncInitable);
    assertEqual(pool.get_config().path, config.path);
    pool.close();
    removeTree(dir);
});

test('invalid config fails construction', async () => {
    const config = DbPool.PoolConfig.new('never-created.db');
    config.max_connections = 0;
    const e = await assertThrows(() => DbPool.Pool.new_async(config, 0, null));
    assertPoolError(e, DbPool, DbPool.PoolError.INVALID_CONFIG);
});

test('create a table, execute_async and query_async with callbacks', () => withPool(async pool => {
    const [created] = await new Promise((resolve, reject) => {
        pool.execute_async('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, ' +
            'weight REAL, data BLOB)', null, null, (p, res) => {
            try {
                resolve(p.execute_finish(res));
            } catch (e) {
                reject(e);
            }
        });
    });
    assertEqual(created, 0);

    const rows = await new Promise((resolve, reject) => {
        pool.query_async("SELECT name FROM sqlite_schema WHERE type = 'table'", null, null,
            (p, res) => {
                try {
                    resolve(p.query_finish(res));
                } catch (e) {
                    reject(e);
                }
            });
    });
    assert(rows instanceof DbPool.Rows);
    assertEqual(rows.get_string(0, 0), 'items');
}));

test('execute_async and query_async through Gio._promisify', () => withPool(async pool => {
    await pool.execute_async('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, ' +
        'weight REAL, data BLOB)', null, null);
    const [changed, rowid] = await pool.execute_async(
        'INSERT INTO items (name, weight, data) VALUES (?, ?, ?)',
        new GLib.Variant('(sday)', ['alpha', 1.5, new Uint8Array([0, 1, 255])]), null);
    assertEqual([changed, rowid], [1, 1]);
    const [, rowid2] = await pool.execute_async(
        'INSERT INTO items (name, weight, data) VALUES (:name, :weight, :data)',
        new GLib.Variant('a{sv}', {
            name: new GLib.Variant('s', 'beta'),
            weight: new GLib.Variant('mv', null),
            data: new GLib.Variant('mv', null),
        }), null);
    assertEqual(rowid2, 2);

    const rows = await pool.query_async('SELECT id, name, weight, data FROM items ORDER BY id',
        null, null);
    assertEqual(rows.get_n_rows(), 2);
    assertEqual(rows.get_n_columns(), 4);
    assertEqual(rows.get_column_name(1), 'name');
    assertEqual(rows.get_int64(1, 0), 2);
    assertEqual(rows.get_double(0, 2), 1.5);
    assert(rows.is_null(1, 2));
    assertEqual([...rows.get_bytes(0, 3).toArray()], [0, 1, 255]);
    assertEqual(JSON.parse(rows.to_json())[1], {id: 2, name: 'beta', weight: null, data: null});
    assertEqual(rows.to_variant().recursiveUnpack()[1], {id: 2, name: 'beta'});
    assertEqual(rowsToObjects(rows)[1], {id: 2, name: 'beta', weight: null, data: null});

    // Many statements in flight at once; all results come back on the main thread.
    const inserts = [];
    for (let i = 0; i < 40; i++) {
        inserts.push(pool.execute_async('INSERT INTO items (name) VALUES (?)',
            new GLib.Variant('(s)', [`n${i}`]), null));
    }
    const results = await Promise.all(inserts);
    assert(results.every(([n]) => n === 1));
    const count = await pool.query_async('SELECT count(*) FROM items', null, null);
    assertEqual(count.get_int64(0, 0), 42);
}));

test('a lease used from the main thread', () => withPool(async pool => {
    const conn = await pool.acquire_async(DbPool.Access.WRITE, null);
    assert(conn instanceof DbPool.Connection);
    assertEqual(conn.access, DbPool.Access.WRITE);
    conn.execute_script('CREATE TABLE t (v TEXT); INSERT INTO t VALUES (\'x\');');
    conn.begin();
    conn.execute('INSERT INTO t VALUES (?)', new GLib.Variant('(s)', ['y']));
    conn.rollback();
    assertEqual(conn.query('SELECT count(*) FROM t', null).get_int64(0, 0), 1);
    conn.release();
    assert(conn.is_released());
    const e = await assertThrows(() => conn.query('SELECT 1', null));
    assertPoolError(e, DbPool, DbPool.PoolError.MISUSE);
    assertEqual(pool.active_connections, 0);
}));

test('errors arrive as GLib.Error with the DbPool domain', () => withPool(async pool => {
    await pool.execute_async('CREATE TABLE u (name TEXT UNIQUE)', null, null);
    await pool.execute_async("INSERT INTO u VALUES ('a')", null, null);

    let e = await assertThrows(() => pool.query_async('SELEC 1', null, null));
    assertPoolError(e, DbPool, DbPool.PoolError.SQL);
    assert(e instanceof DbPool.PoolError, 'the domain is registered as DbPool.PoolError');
    assert(e.message.includes('SELEC'), e.message);

    e = await assertThrows(() => pool.execute_async("INSERT INTO u VALUES ('a')", null, null));
    assertPoolError(e, DbPool, DbPool.PoolError.CONSTRAINT);

    e = await assertThrows(() => pool.query_async('SELECT ?, ?',
        new GLib.Variant('(x)', [1]), null));
    assertPoolError(e, DbPool, DbPool.PoolError.MISUSE);

    const cancellable = new Gio.Cancellable();
    cancellable.cancel();
    e = await assertThrows(() => pool.query_async('SELECT 1', null, cancellable));
    assert(e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED), `${e}`);
}));

test('closed pool refuses work', async () => {
    const dir = makeTempDir();
    const pool = DbPool.Pool.new(DbPool.PoolConfig.new(GLib.build_filenamev([dir, 'x.db'])),
        null);
    assert(await pool.close_async(null));
    const e = await assertThrows(() => pool.query_async('SELECT 1', null, null));
    assertPoolError(e, DbPool, DbPool.PoolError.CLOSED);
    removeTree(dir);
});

test('stats properties and notify:: handlers', () => withPool(async pool => {
    const stats = pool.get_stats();
    assert(stats instanceof DbPool.PoolStats);
    for (const [prop, field] of Object.entries(STATS)) {
        assertEqual(typeof pool[prop.replaceAll('-', '_')], 'number', prop);
        assertEqual(pool[prop.replaceAll('-', '_')], stats[field], prop);
    }

    // Handlers record the value each notification announces. (A handler off the main
    // thread would be a gjs critical, fatal in this suite.)
    const seen = {};
    const last = prop => seen[prop]?.at(-1);
    const state = () => `notified ${JSON.stringify(seen)}, now active ${pool.active_connections} ` +
        `waiting ${pool.waiting_requests} requests ${pool.total_requests}`;
    const ids = Object.keys(STATS).map(prop => pool.connect(`notify::${prop}`, (obj, pspec) => {
        (seen[pspec.name] ??= []).push(obj[pspec.name.replaceAll('-', '_')]);
    }));

    await pool.execute_async('CREATE TABLE t (v INTEGER)', null, null);

    // Hold the write lease: a lease is announced, and a write queued behind it waits.
    const conn = await pool.acquire_async(DbPool.Access.WRITE, null);
    await waitUntil(() => last('active-connections') >= 1,
        () => `notify::active-connections announcing the held lease (${state()})`);
    const work = [];
    for (let i = 0; i < 30; i++) {
        work.push(pool.execute_async('INSERT INTO t VALUES (?)', new GLib.Variant('(x)', [i]),
            null));
        work.push(pool.query_async('SELECT count(*) FROM t', null, null));
    }
    await waitUntil(() => last('waiting-requests') >= 1,
        () => `notify::waiting-requests announcing the queued write (${state()})`);
    conn.release();
    await Promise.all(work);

    // The 30 queries each acquired a read lease; the inserts queued behind the held
    // lease shared transactions (group commit), so far fewer acquires than jobs.
    const total = pool.total_requests;
    assert(total >= 32, `total-requests ${total}`);
    assertEqual(pool.group_commit_jobs, 31, 'the CREATE and the 30 inserts were committed as jobs');
    assert(pool.group_commits < pool.group_commit_jobs,
        `${pool.group_commits} commits for ${pool.group_commit_jobs} jobs: batches of more than one`);
    // The coalesced notifications catch up with the final values.
    await waitUntil(() => last('total-requests') === total &&
        last('active-connections') === 0 && last('waiting-requests') === 0,
    () => `notify:: announcing the final values (${state()})`);
    for (const id of ids)
        pool.disconnect(id);
    assertEqual(pool.get_stats().total_requests, total);
    assertEqual(JSON.parse(pool.get_stats().to_json())['total-requests'], total);
}));

test('a notify:: handler is never left with a stale value', () => withPool(async pool => {
    // Handlers read the live value. If it changes after the notifier's snapshot and
    // changes back before the next one, the handler must be told again. Handlers run
    // in connection order, which makes this sequence deterministic.
    let lease = pool.acquire(DbPool.Access.WRITE, null);
    let armed = true;
    const seen = [];
    const ids = [
        pool.connect('notify::active-connections', () => armed && lease.release()),
        pool.connect('notify::active-connections', obj => seen.push(obj.active_connections)),
        pool.connect('notify::active-connections', () => {
            if (armed) {
                armed = false;
                lease = pool.acquire(DbPool.Access.WRITE, null);
            }
        }),
    ];
    try {
        await waitUntil(() => seen.length > 0, 'notify::active-connections');
        assertEqual(seen[0], 0, 'read between the release and the new lease');
        assertEqual(pool.active_connections, 1);
        await waitUntil(() => seen.at(-1) === 1,
            () => `a notify:: that shows the lease now held (seen ${JSON.stringify(seen)})`);
    } finally {
        ids.forEach(id => pool.disconnect(id));
        lease.release();
    }
}));

run();
