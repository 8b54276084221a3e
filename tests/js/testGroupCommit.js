// SPDX-License-Identifier: LGPL-2.1-or-later
// Group commit from gjs: execute_batch_async with a GLib.Variant of parameter rows,
// all or nothing per job, and the group-commits / group-commit-jobs stats.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import DbPool from 'gi://DbPool?version=1.0';

import {
    test, run, assert, assertEqual, assertThrows, assertPoolError, makeTempDir, removeTree,
} from './harness.js';

Gio._promisify(DbPool.Pool, 'new_async', 'new_finish');
Gio._promisify(DbPool.Pool.prototype, 'execute_async', 'execute_finish');
Gio._promisify(DbPool.Pool.prototype, 'execute_batch_async', 'execute_batch_finish');
Gio._promisify(DbPool.Pool.prototype, 'query_async', 'query_finish');
Gio._promisify(DbPool.Pool.prototype, 'close_async', 'close_finish');

async function withPool(fn) {
    const dir = makeTempDir();
    const config = DbPool.PoolConfig.new(GLib.build_filenamev([dir, 'test.db']));
    const pool = await DbPool.Pool.new_async(config, GLib.PRIORITY_DEFAULT, null);
    try {
        await pool.execute_async('CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER UNIQUE)',
            null, null);
        await fn(pool);
    } finally {
        await pool.close_async(null);
        removeTree(dir);
    }
}

function tupleRows(values) {
    return new GLib.Variant('av', values.map(v => new GLib.Variant('(x)', [v])));
}

async function count(pool) {
    const rows = await pool.query_async('SELECT count(*) FROM t', null, null);
    return rows.get_int64(0, 0);
}

test('execute_batch_async inserts every row, av and aa{sv}', () => withPool(async pool => {
    assertEqual(await pool.execute_batch_async('INSERT INTO t (u) VALUES (?)',
        tupleRows([1, 2, 3]), null), 3);
    const dicts = new GLib.Variant('aa{sv}', [4, 5].map(v => ({u: new GLib.Variant('x', v)})));
    assertEqual(await pool.execute_batch_async('INSERT INTO t (u) VALUES (:u)', dicts, null), 2);
    assertEqual(await count(pool), 5);
}));

test('a duplicate fails the whole batch job, naming the row', () => withPool(async pool => {
    const e = await assertThrows(() => pool.execute_batch_async('INSERT INTO t (u) VALUES (?)',
        tupleRows([7, 8, 7]), null));
    assertPoolError(e, DbPool, DbPool.PoolError.CONSTRAINT);
    assert(e.message.includes('Row 3 of 3'), e.message);
    assertEqual(await count(pool), 0);
}));

test('a non-array is MISUSE', () => withPool(async pool => {
    const e = await assertThrows(() => pool.execute_batch_async('INSERT INTO t (u) VALUES (?)',
        new GLib.Variant('(x)', [1]), null));
    assertPoolError(e, DbPool, DbPool.PoolError.MISUSE);
}));

test('group-commits and group-commit-jobs count committed jobs', () => withPool(async pool => {
    const jobs = pool.group_commit_jobs;
    const commits = pool.group_commits;
    await pool.execute_batch_async('INSERT INTO t (u) VALUES (?)', tupleRows([1, 2]), null);
    await pool.execute_async('INSERT INTO t (u) VALUES (3)', null, null);
    const stats = pool.get_stats();
    assertEqual(stats.group_commit_jobs - jobs, 2);
    assert(stats.group_commits - commits >= 1, 'no group commit counted');
    assertEqual(pool.group_commit_jobs, stats.group_commit_jobs);
}));

run();
