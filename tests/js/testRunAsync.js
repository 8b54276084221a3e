// SPDX-License-Identifier: LGPL-2.1-or-later
// DbPool.Pool.run_async runs a caller-supplied function on a pool worker thread. gjs
// cannot run JavaScript there: gjs 1.74 blocks such a call with a critical, but when
// the worker's call lands while the main thread is collecting garbage it takes
// another path that walks the JS stack from the worker, and the process can crash.
// So run_async/run_finish are (skip) in the GIR: gjs never sees them, and trying to
// use them is an ordinary TypeError. execute_async/query_async are the gjs API.

import GLib from 'gi://GLib';
import DbPool from 'gi://DbPool?version=1.0';

import {test, run, assert, assertEqual, assertThrows, makeTempDir, removeTree} from './harness.js';

test('run_async and run_finish are not exposed to gjs', () => {
    assertEqual(typeof DbPool.Pool.prototype.run_async, 'undefined', 'run_async');
    assertEqual(typeof DbPool.Pool.prototype.run_finish, 'undefined', 'run_finish');
});

test('trying run_async is a TypeError, and the pool stays usable', async () => {
    const dir = makeTempDir();
    const pool = DbPool.Pool.new(DbPool.PoolConfig.new(GLib.build_filenamev([dir, 'x.db'])),
        null);
    let ran = false;
    const e = await assertThrows(() => pool.run_async(DbPool.Access.READ, () => {
        ran = true;
    }, null, () => {}));
    assert(e instanceof TypeError, `expected a TypeError, got ${e}`);
    assert(!ran);

    const rows = await new Promise((resolve, reject) => {
        pool.query_async('SELECT 42', null, null, (p, res) => {
            try {
                resolve(p.query_finish(res));
            } catch (err) {
                reject(err);
            }
        });
    });
    assertEqual(rows.get_int64(0, 0), 42);
    assertEqual(pool.active_connections, 0);
    pool.close();
    removeTree(dir);
});

run();
