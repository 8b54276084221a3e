// SPDX-License-Identifier: LGPL-2.1-or-later
// Run by testRunAsync.js in a child gjs: calls DbPool.Pool.run_async with a JS function,
// which the pool calls on a worker thread. gjs refuses to run JS off the main thread
// (it logs a critical and skips the function); this prints what happened instead, so
// the parent can check that nothing crashed and the pool is still healthy.

import GLib from 'gi://GLib';
import DbPool from 'gi://DbPool?version=1.0';
import System from 'system';

const dir = GLib.dir_make_tmp('dbpool-js-run-XXXXXX');
const pool = DbPool.Pool.new(DbPool.PoolConfig.new(GLib.build_filenamev([dir, 'x.db'])), null);
const loop = new GLib.MainLoop(null, false);

let jsFunctionRan = false;
let outcome = 'no result';

pool.run_async(DbPool.Access.READ, () => {
    jsFunctionRan = true;
    return null;
}, null, (p, res) => {
    try {
        outcome = `returned ${p.run_finish(res)}`;
    } catch (e) {
        outcome = `threw ${e}`;
    }
    loop.quit();
});
loop.run();

print(`js-function-ran: ${jsFunctionRan}`);
print(`run-finish: ${outcome}`);

// The lease the worker took must be back, and the pool must still serve requests.
pool.query_async('SELECT 42', null, null, (p, res) => {
    print(`after: ${p.query_finish(res).get_int64(0, 0)}`);
    loop.quit();
});
loop.run();
print(`active-connections: ${pool.active_connections}`);
pool.close();
GLib.unlink(GLib.build_filenamev([dir, 'x.db']));
GLib.rmdir(dir);
// Give the garbage collector the chance to drop the trampoline too.
System.gc();
print('done');
