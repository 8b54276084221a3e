// SPDX-License-Identifier: LGPL-2.1-or-later
// A tiny TAP test harness for the gjs suite: tests are async functions run one after
// another on the GLib main loop; a failure is reported and sets a non-zero exit status.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

const tests = [];

export function test(name, fn) {
    tests.push([name, fn]);
}

export class AssertionError extends Error {}

export function assert(condition, message = 'assertion failed') {
    if (!condition)
        throw new AssertionError(message);
}

export function assertEqual(actual, expected, message = '') {
    const a = JSON.stringify(actual), e = JSON.stringify(expected);
    if (a !== e)
        throw new AssertionError(`${message}${message ? ': ' : ''}expected ${e}, got ${a}`);
}

// Runs `fn` (sync or async) and returns what it threw; fails if it did not throw.
export async function assertThrows(fn, message = 'expected an exception') {
    try {
        await fn();
    } catch (e) {
        return e;
    }
    throw new AssertionError(message);
}

export function assertPoolError(error, DbPool, code) {
    assert(error instanceof GLib.Error, `expected a GLib.Error, got ${error}`);
    assert(error.matches(DbPool.pool_error_quark(), code),
        `expected DbPool.PoolError ${code}, got ${GLib.quark_to_string(error.domain)} ` +
        `${error.code}: ${error.message}`);
}

// A new empty directory for one test's database files.
export function makeTempDir() {
    return GLib.dir_make_tmp('dbpool-js-XXXXXX');
}

// Removes a directory made by makeTempDir() and the files in it.
export function removeTree(path) {
    const dir = Gio.File.new_for_path(path);
    const children = dir.enumerate_children('standard::name',
        Gio.FileQueryInfoFlags.NOFOLLOW_SYMLINKS, null);
    let info;
    while ((info = children.next_file(null)) !== null)
        dir.get_child(info.get_name()).delete(null);
    children.close(null);
    dir.delete(null);
}

// Resolves once `predicate()` is true, checking it from the main loop. `guardS` only
// turns a hang into a readable failure naming `what` when an event never arrives;
// nothing is measured against it.
export function waitUntil(predicate, what = 'the condition', guardS = 20) {
    return new Promise((resolve, reject) => {
        if (predicate()) {
            resolve();
            return;
        }
        const deadline = GLib.get_monotonic_time() + guardS * 1000000;
        GLib.timeout_add(GLib.PRIORITY_LOW, 1, () => {
            if (predicate()) {
                resolve();
                return GLib.SOURCE_REMOVE;
            }
            if (GLib.get_monotonic_time() > deadline) {
                reject(new AssertionError(`gave up waiting for ${typeof what === 'function' ? what() : what}`));
                return GLib.SOURCE_REMOVE;
            }
            return GLib.SOURCE_CONTINUE;
        });
    });
}

export function run() {
    const loop = new GLib.MainLoop(null, false);
    let failed = 0;

    (async () => {
        print(`1..${tests.length}`);
        let i = 0;
        for (const [name, fn] of tests) {
            i++;
            try {
                // eslint-disable-next-line no-await-in-loop
                await fn();
                print(`ok ${i} - ${name}`);
            } catch (e) {
                failed++;
                print(`not ok ${i} - ${name}`);
                for (const line of `${e}\n${e.stack ?? ''}`.split('\n'))
                    print(`# ${line}`);
            }
        }
    })().catch(e => {
        failed++;
        print(`Bail out! ${e}`);
    }).finally(() => loop.quit());

    loop.run();
    System.exit(failed > 0 ? 1 : 0);
}
