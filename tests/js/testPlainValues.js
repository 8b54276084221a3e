// SPDX-License-Identifier: LGPL-2.1-or-later
// The gjs override (introspection/overrides/DbPool.js, found through GJS_PATH as an
// installed copy is through <datadir>/gjs-1.0): plain JS arrays and objects as
// statement parameters, rows as plain objects, promises without Gio._promisify, and
// clear errors for values that cannot be bound.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import DbPool from 'gi://DbPool?version=1.0';

import {
    test, run, assert, assertEqual, assertThrows, assertPoolError, makeTempDir, removeTree,
} from './harness.js';

// Nothing promisified here: the override does it.
async function withPool(fn) {
    const dir = makeTempDir();
    const config = DbPool.PoolConfig.new(GLib.build_filenamev([dir, 'test.db']));
    const pool = await DbPool.Pool.new_async(config, GLib.PRIORITY_DEFAULT, null);
    try {
        await fn(pool, dir);
    } finally {
        await pool.close_async(null);
        removeTree(dir);
    }
}

test('the override is applied on import', () => {
    assertEqual(typeof DbPool.Pool.prototype._raw_execute_async, 'function');
    assertEqual(typeof DbPool.paramsToVariant, 'function');
});

test('arrays bind to ? and values keep their SQL type', () => withPool(async pool => {
    await pool.execute_async('CREATE TABLE t (i, r, s, b, n, blob)', null, null);
    const [changed, rowid] = await pool.execute_async('INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)',
        [42, 2.5, 'héllo', true, null, new Uint8Array([0, 1, 255])], null);
    assertEqual([changed, rowid], [1, 1]);

    const rows = await pool.query_async(
        'SELECT typeof(i), typeof(r), typeof(s), typeof(b), typeof(n), typeof(blob) FROM t',
        null, null);
    assertEqual(rows.toArrays(), [['integer', 'real', 'text', 'integer', 'null', 'blob']]);

    const [row] = (await pool.query_async('SELECT * FROM t', [], null)).toObjects();
    assertEqual(Object.keys(row), ['i', 'r', 's', 'b', 'n', 'blob']);
    assertEqual([row.i, row.r, row.s, row.b, row.n], [42, 2.5, 'héllo', 1, null]);
    assert(row.blob instanceof Uint8Array, `a BLOB is a Uint8Array, got ${typeof row.blob}`);
    assertEqual([...row.blob], [0, 1, 255]);
}));

test('plain objects bind to :name, with or without the prefix', () => withPool(async pool => {
    await pool.execute_async('CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT)', null, null);
    await pool.execute_async('INSERT INTO p VALUES (:id, :name)', {id: 1, name: 'one'}, null);
    await pool.execute_async('INSERT INTO p VALUES (:id, :name)', {':id': 2, ':name': null}, null);
    const rows = await pool.query_async('SELECT * FROM p WHERE id >= :min ORDER BY id',
        {min: 1}, null);
    assertEqual(rows.toObjects(), [{id: 1, name: 'one'}, {id: 2, name: null}]);
}));

test('rows: length, columns, at, iteration', () => withPool(async pool => {
    const rows = await pool.query_async(
        'SELECT 1 AS a, NULL AS b UNION ALL SELECT 2, \'x\' UNION ALL SELECT 3, 4.5', null, null);
    assertEqual(rows.length, 3);
    assertEqual(rows.columns, ['a', 'b']);
    assertEqual(rows.at(0), {a: 1, b: null});
    assertEqual(rows.at(-1), {a: 3, b: 4.5});
    assertEqual(rows.at(3), undefined);
    assertEqual([...rows], [{a: 1, b: null}, {a: 2, b: 'x'}, {a: 3, b: 4.5}]);
    const empty = await pool.query_async('SELECT 1 AS a WHERE 0', null, null);
    assertEqual([empty.length, empty.toObjects(), [...empty]], [0, [], []]);
}));

test('64-bit integers: BigInt in, BigInt out when a Number would round', () => withPool(async pool => {
    const big = 2n ** 62n + 1n;
    const rows = await pool.query_async('SELECT ? AS big, ? AS small, ? AS min',
        [big, 2 ** 53 - 1, -(2n ** 63n)], null);
    const row = rows.at(0);
    assertEqual(typeof row.big, 'bigint');
    assert(row.big === big, `expected ${big}, got ${row.big}`);
    assert(row.min === -(2n ** 63n), `expected -2^63, got ${row.min}`);
    assertEqual(row.small, 2 ** 53 - 1);
    // A whole number beyond 2^53 is a REAL, as JavaScript holds it.
    const real = await pool.query_async('SELECT typeof(?)', [2 ** 60], null);
    assertEqual(real.toArrays(), [['real']]);
}));

test('a lease takes plain parameters too', () => withPool(async pool => {
    const conn = await pool.acquire_async(DbPool.Access.WRITE, null);
    try {
        conn.execute('CREATE TABLE l (v)');
        assertEqual(conn.execute('INSERT INTO l VALUES (?), (?)', ['a', 7]), 2);
        assertEqual(conn.query('SELECT v FROM l WHERE v = :v', {v: 7}).toObjects(), [{v: 7}]);
        assertEqual(conn.query('SELECT count(*) AS n FROM l').at(0), {n: 2});
    } finally {
        conn.release();
    }
}));

test('GLib.Variant parameters and callbacks still work', () => withPool(async pool => {
    const rows = await new Promise((resolve, reject) => {
        pool.query_async('SELECT ? AS v', new GLib.Variant('(s)', ['raw']), null, (p, res) => {
            try {
                resolve(p.query_finish(res));
            } catch (e) {
                reject(e);
            }
        });
    });
    assertEqual(rows.toObjects(), [{v: 'raw'}]);
    const bytes = new GLib.Bytes(new Uint8Array([9, 8]));
    const blob = (await pool.query_async('SELECT ? AS b', [bytes], null)).at(0).b;
    assertEqual([...blob], [9, 8]);
}));

test('values that cannot be bound are clear TypeErrors', () => withPool(async pool => {
    for (const [params, message] of [
        [[1, undefined], 'parameter 2 is undefined (use null for SQL NULL)'],
        [[NaN], 'parameter 1: NaN cannot be bound'],
        [[[1, 2]], 'parameter 1: cannot bind a value of type Array'],
        [[{a: 1}], 'parameter 1: cannot bind a value of type Object'],
        [{when: new Date(0)}, 'parameter "when": cannot bind a value of type Date'],
        [new Map([['a', 1]]), 'params must be an Array, a plain object, a GLib.Variant or null, not Map'],
        ['text', 'params must be an Array, a plain object, a GLib.Variant or null, not string'],
        [[new Int16Array(2)], 'parameter 1: cannot bind a value of type Int16Array'],
    ]) {
        // eslint-disable-next-line no-await-in-loop
        const e = await assertThrows(() => pool.query_async('SELECT ?', params, null),
            `${message}: expected an exception`);
        assert(e instanceof TypeError, `expected a TypeError, got ${e}`);
        assert(e.message.includes(message), `expected “${message}” in “${e.message}”`);
    }
    const e = await assertThrows(() => pool.query_async('SELECT ?', [2n ** 63n], null));
    assert(e instanceof RangeError && e.message.includes('does not fit in a 64-bit'), `${e}`);
    // SQL errors are still the pool's GLib.Error, and the pool is fine.
    const sqlError = await assertThrows(() => pool.query_async('SELECT nope', [], null));
    assertPoolError(sqlError, DbPool, DbPool.PoolError.SQL);
    assertEqual((await pool.query_async('SELECT 1 AS one', [], null)).toObjects(), [{one: 1}]);
    assertEqual(pool.active_connections, 0);
}));

test('batch rows: Arrays become av, plain objects aa{sv}', async () => {
    const positional = DbPool.paramRowsToVariant([[1, 'a'], [null, 2.5]]);
    assertEqual(positional.get_type_string(), 'av');
    assertEqual(positional.print(false), '[<(int64 1, \'a\')>, <(@mv nothing, 2.5)>]');
    const named = DbPool.paramRowsToVariant([{id: 1}, {id: 2}]);
    assertEqual(named.get_type_string(), 'aa{sv}');
    assertEqual(named.print(false), '[{\'id\': <int64 1>}, {\'id\': <int64 2>}]');
    for (const [rows, message] of [
        [[[1], {id: 1}], 'row 1: rows must be all Arrays'],
        [[[1], 5], 'row 1: each row must be an Array or a plain object, not number'],
        [[[1], [undefined]], 'row 1: parameter 1 is undefined'],
        [{id: 1}, 'rows must be an Array of Arrays or of plain objects, not Object'],
    ]) {
        // eslint-disable-next-line no-await-in-loop
        const e = await assertThrows(() => DbPool.paramRowsToVariant(rows));
        assert(e instanceof TypeError && e.message.includes(message),
            `expected “${message}”, got ${e}`);
    }
    if (DbPool.Pool.prototype.execute_batch_async === undefined) {
        print('# SKIP execute_batch_async: not in this build');
        return;
    }
    await withPool(async pool => {
        await pool.execute_async('CREATE TABLE b (id INTEGER PRIMARY KEY, v)', null, null);
        assertEqual(await pool.execute_batch_async('INSERT INTO b VALUES (?, ?)',
            [[1, 'a'], [2, null]], null), 2);
        assertEqual(await pool.execute_batch_async('INSERT INTO b VALUES (:id, :v)',
            [{id: 3, v: 3.5}], null), 1);
        assertEqual((await pool.query_async('SELECT * FROM b ORDER BY id', null, null)).toArrays(),
            [[1, 'a'], [2, null], [3, 3.5]]);
    });
});

test('HistoryStorage async calls return promises', async () => {
    const dir = makeTempDir();
    try {
        const config = DbPool.HistoryConfig.new(GLib.build_filenamev([dir, 'history.db']));
        config.auto_cleanup_interval_s = 0;
        const storage = await DbPool.HistoryStorage.new_async(config, GLib.PRIORITY_DEFAULT, null);
        const id = await storage.record_lsp_json_async(JSON.stringify({
            uri: 'file:///a.js',
            diagnostics: [{range: {start: {line: 1, character: 0}, end: {line: 1, character: 2}},
                severity: 2, message: 'unused'}],
        }), null);
        assert(id > 0, `a new id, got ${id}`);
        const history = await storage.get_file_history_async('file:///a.js', 0, null);
        assert(history instanceof Gio.ListModel);
        assertEqual(history.get_n_items(), 1);
        const latest = await storage.get_latest_async('file:///a.js', null);
        assertEqual([latest.id, latest.warning_count], [id, 1]);
        await storage.get_pool().close_async(null);
    } finally {
        removeTree(dir);
    }
});

run();
