// SPDX-License-Identifier: LGPL-2.1-or-later
// What gjs does with DbPool.Pool.run_async (a JS function the pool would call on a
// worker thread). It is run in a child process because gjs reports it with a critical
// (fatal under G_DEBUG=fatal-criticals) and because a crash must fail the test, not
// the runner.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

import {test, run, assert, assertEqual} from './harness.js';

Gio._promisify(Gio.Subprocess.prototype, 'communicate_utf8_async', 'communicate_utf8_finish');

const here = GLib.path_get_dirname(System.programPath);

test('run_async with a JS function is refused by gjs without crashing', async () => {
    const launcher = new Gio.SubprocessLauncher({
        flags: Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE,
    });
    // The critical is the expected outcome here; it must not abort the child.
    launcher.unsetenv('G_DEBUG');
    const gjs = GLib.getenv('DBPOOL_GJS') ?? 'gjs';
    const child = launcher.spawnv([gjs, '-m', GLib.build_filenamev([here, 'runAsyncChild.js'])]);
    const [stdout, stderr] = await child.communicate_utf8_async(null, null);
    for (const line of `${stdout}${stderr}`.split('\n'))
        print(`# ${line}`);

    assert(child.get_if_exited(), 'the child gjs must not be killed by a signal');
    assertEqual(child.get_exit_status(), 0, 'child exit status');
    assert(stderr.includes('Attempting to run a JS callback on a different thread'),
        'gjs reports the blocked callback');
    assert(stdout.includes('js-function-ran: false'), 'the JS function never ran');
    assert(stdout.includes('after: 42'), 'the pool still serves requests');
    assert(stdout.includes('active-connections: 0'), 'the worker returned its lease');
    assert(stdout.includes('done'));
});

run();
