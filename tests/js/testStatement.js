// SPDX-License-Identifier: LGPL-2.1-or-later
// DbPool.Statement and Connection.reacquire() from gjs, on a lease from acquire_async
// used on the main thread.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import DbPool from 'gi://DbPool?version=1.0';

import {
    test, run, assert, assertEqual, assertThrows, assertPoolError, makeTempDir,
    removeTree,
} from './harness.js';

Gio._promisify(DbPool.Pool, 'new_async', 'new_finish');
Gio._promisify(DbPool.Pool.prototype, 'acquire_async', 'acquire_finish');
Gio._promisify(DbPool.Pool.prototype, 'close_async', 'close_finish');

async function withPool(fn) {
    const dir = makeTempDir();
    const config = DbPool.PoolConfig.new(GLib.build_filenamev([dir, 'test.db']));
    config.min_connections = 1;
    config.max_connections = 1;
    const pool = await DbPool.Pool.new_async(config, GLib.PRIORITY_DEFAULT, null);
    try {
        const conn = await pool.acquire_async(DbPool.Access.WRITE, null);
        conn.execute_script('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, data BLOB)');
        conn.release();
        await fn(pool);
    } finally {
        await pool.close_async(null);
        removeTree(dir);
    }
}

test('prepare, bind, step and typed getters', () => withPool(async pool => {
    const conn = await pool.acquire_async(DbPool.Access.WRITE, null);
    try {
        const insert = conn.prepare('INSERT INTO t (name, data) VALUES (:name, :data)');
        assertEqual(insert.get_n_parameters(), 2);
        const name = insert.get_parameter_index(':name');
        const data = insert.get_parameter_index(':data');
        assertEqual([name, data, insert.get_parameter_index(':nope')], [1, 2, 0]);
        for (let i = 1; i <= 3; i++) {
            insert.bind_text(name, `row${i}`);
            insert.bind_bytes(data, new GLib.Bytes(new Uint8Array([0, i, 0])));
            assertEqual(insert.execute(), 1);
        }
        insert.bind_text(name, 'empty');
        insert.bind_null(data);
        assertEqual(insert.execute(), 1);

        const select = conn.prepare('SELECT id, name, data, ? * 1.5 AS scaled FROM t WHERE id >= ? ORDER BY id');
        assertEqual(select.get_n_columns(), 4);
        assertEqual(select.get_column_name(3), 'scaled');
        select.bind_int64(1, 2);
        select.bind_int64(2, 2);
        const rows = [];
        while (select.step()) {
            const bytes = select.get_bytes(2);
            rows.push([select.get_int64(0), select.get_string(1),
                bytes === null ? null : Array.from(bytes.toArray()), select.get_double(3),
                select.is_null(2)]);
        }
        assertEqual(rows, [
            [2, 'row2', [0, 2, 0], 3, false],
            [3, 'row3', [0, 3, 0], 3, false],
            [4, 'empty', null, 3, true],
        ]);
        // After the last row, the next step starts over.
        assert(select.step());
        assertEqual(select.get_int64(0), 2);
        select.reset();

        // Errors are GLib.Error in the pool's domain; the statement stays usable.
        insert.bind_text(name, 'row1');
        assertPoolError(await assertThrows(() => insert.execute()), DbPool,
            DbPool.PoolError.CONSTRAINT);
        assertPoolError(await assertThrows(() => insert.bind_int64(9, 1)), DbPool,
            DbPool.PoolError.MISUSE);
        assertPoolError(await assertThrows(() => conn.prepare('SELEKT')), DbPool,
            DbPool.PoolError.SQL);
        insert.bind_text(name, 'row5');
        assertEqual(insert.execute(), 1);
    } finally {
        conn.release();
    }
}));

test('release detaches, reacquire leases again', () => withPool(async pool => {
    const conn = await pool.acquire_async(DbPool.Access.READ, null);
    assertPoolError(await assertThrows(() => conn.reacquire(null)), DbPool,
        DbPool.PoolError.MISUSE);
    const old = conn.prepare('SELECT count(*) FROM t');
    assertPoolError(await assertThrows(() => conn.prepare('DELETE FROM t')), DbPool,
        DbPool.PoolError.READ_ONLY);
    conn.release();
    assertEqual(pool.active_connections, 0);
    assertPoolError(await assertThrows(() => old.step()), DbPool, DbPool.PoolError.MISUSE);

    assert(conn.reacquire(null));
    assert(!conn.is_released());
    assertEqual(conn.get_access(), DbPool.Access.READ);
    const stmt = conn.prepare('SELECT count(*) FROM t');
    assert(stmt.step());
    assertEqual(stmt.get_int64(0), 0);
    // Statements from before the release stay detached.
    assertPoolError(await assertThrows(() => old.step()), DbPool, DbPool.PoolError.MISUSE);
    conn.release();
}));

run();
