#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the fuzz seed corpora into OUT/<target>/ (run by fuzz/meson.build).

lsp:    every message of tests/data/lsp/*.jsonl (--lsp-dir), plus the same message cut down to
        its first diagnostics and to its bare params object (small seeds fuzz faster).
config: pool and history configurations, valid and invalid.
bind:   serialized GVariants in the input format of fuzz-bind-params.c (needs
        PyGObject; without it the bind target starts from an empty corpus).

Nothing large is committed here: everything is generated from the in-tree LSP captures."""

import argparse
import glob
import hashlib
import json
import os
import struct
import sys


def write_seed(directory, data):
    if isinstance(data, str):
        data = data.encode('utf-8')
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(directory, name), 'wb') as f:
        f.write(data)


def lsp_seeds(lsp_dir, out):
    # Only messages up to this size are kept whole; larger ones are cut down.
    max_whole = 16 * 1024
    n = 0
    paths = sorted(glob.glob(os.path.join(lsp_dir, '*.jsonl')))
    # A wrong --lsp-dir must stop the build, not leave the LSP target an empty corpus.
    if not paths:
        sys.exit('make-seeds.py: no *.jsonl in --lsp-dir %s' % lsp_dir)
    for path in paths:
        with open(path, 'rb') as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                if len(line) <= max_whole:
                    write_seed(out, line)
                    n += 1
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                params = message.get('params')
                if not isinstance(params, dict):
                    continue
                diagnostics = params.get('diagnostics') or []
                for keep in (0, 1, 3):
                    if keep > len(diagnostics):
                        continue
                    cut = dict(message)
                    cut['params'] = dict(params, diagnostics=diagnostics[:keep])
                    write_seed(out, json.dumps(cut, separators=(',', ':')))
                    n += 1
                write_seed(out, json.dumps(dict(params, diagnostics=diagnostics[:2])))
                n += 1
    # The optional members the parser type-checks, which the sample servers never send.
    write_seed(out, json.dumps({
        'jsonrpc': '2.0', 'method': 'textDocument/publishDiagnostics',
        'params': {'uri': 'file:///tmp/a.c', 'version': 7, 'diagnostics': [{
            'range': {'start': {'line': 1, 'character': 2}, 'end': {'line': 1, 'character': 9}},
            'severity': 2, 'code': 42, 'source': 'clang',
            'message': {'kind': 'markdown', 'value': 'unused `x`'},
            'codeDescription': {'href': 'https://example.org/42'},
            'tags': [1, 2],
            'relatedInformation': [{
                'location': {'uri': 'file:///tmp/b.c', 'range': {
                    'start': {'line': 0, 'character': 0}, 'end': {'line': 0, 'character': 1}}},
                'message': 'declared here'}],
            'data': {'anything': [None, True]}}]}}))
    return n + 1


CONFIG_SEEDS = [
    {'path': 'test.db'},
    {'path': 'test.db', 'min-connections': 2, 'max-connections': 8,
     'connection-timeout-ms': 5000, 'synchronous': 'normal', 'enable-wal': True},
    {'path': ':memory:', 'synchronous': 'FULL', 'statement-cache-size': 0},
    {'path': 'file:x.db?mode=rwc', 'synchronous': 3, 'busy-timeout-ms': 0},
    {'path': 'x', 'min-connections': 9, 'max-connections': 1},
    {'path': 'x', 'max_connections': 4},
    {'path': None},
    {'db-path': 'history.db'},
    {'db-path': 'history.db', 'retention-days': 30, 'max-snapshots-per-file': 100,
     'auto-cleanup-interval-s': 3600, 'min-connections': 1, 'max-connections': 4,
     'connection-timeout-secs': 30},
    {'db-path': 'h.db', 'retention-days': -1},
    {'db-path': 'h.db', 'retention-days': 1.5},
]


def config_seeds(out):
    for seed in CONFIG_SEEDS:
        write_seed(out, json.dumps(seed))
    for text in ('', '{', '[]', 'null', '{"path": "a", "path": "b"}',
                 '{"path": "\\u00e9\\ud83d\\ude00"}', '{"path": "x", "": 1}'):
        write_seed(out, text)
    return len(CONFIG_SEEDS) + 7


def bind_seeds(out):
    """Input format of fuzz-bind-params.c: byte 0 picks the GVariant type, byte 1 the
    statement, the rest is the serialized variant (none: NULL parameters)."""
    try:
        import gi
        gi.require_version('GLib', '2.0')
        from gi.repository import GLib
    except (ImportError, ValueError):
        print('make-seeds: no PyGObject, the bind corpus starts empty', file=sys.stderr)
        return 0

    # Must match fuzz-bind-params.c (types[] and statements[]).
    seeds = [
        (0, 0, GLib.Variant('(ixsd)', (1, -2, 'text', 0.5))),
        (1, 0, GLib.Variant('(vvvv)', (GLib.Variant('b', True), GLib.Variant('ay', b'\0\1'),
                                       GLib.Variant('ms', None), GLib.Variant('t', 2**63 - 1)))),
        (1, 5, GLib.Variant('(vvvv)', (GLib.Variant('s', 'a'), GLib.Variant('ay', b''),
                                       GLib.Variant('mi', 3), GLib.Variant('t', 2**63)))),
        (2, 1, GLib.Variant('a{sv}', {'a': GLib.Variant('i', 1), ':b': GLib.Variant('s', 'x'),
                                      'c': GLib.Variant('d', 2.5),
                                      '$d': GLib.Variant('ay', b'\xff')})),
        (2, 4, GLib.Variant('a{sv}', {'name': GLib.Variant('s', 'n'),
                                      'value': GLib.Variant('mv', None),
                                      '@p': GLib.Variant('o', '/a/b'),
                                      'q': GLib.Variant('g', 'a{sv}')})),
        (2, 6, GLib.Variant('a{sv}', {'a::b': GLib.Variant('n', -5),
                                      '$c(d)': GLib.Variant('q', 5),
                                      'e': GLib.Variant('y', 255)})),
        (3, 1, GLib.Variant('a{ss}', {'a': '1', 'b': '2', 'c': '3', 'd': '4'})),
        (4, 2, GLib.Variant('v', GLib.Variant('(sss)', ('a', 'b', 'c')))),
        (4, 3, GLib.Variant('v', GLib.Variant('v', GLib.Variant('(iiiii)', (1, 2, 3, 4, 5))))),
        (5, 0, GLib.Variant('(mxmsmaymb)', (None, 'm', b'm', False))),
        (6, 1, GLib.Variant('a{sx}', {'a': 1, 'b': 2, 'c': 3, 'd': 4})),
        (7, 0, GLib.Variant('(ayayayay)', (b'a', b'', b'\0', b'abc'))),
        (8, 0, GLib.Variant('(uqnh)', (1, 2, 3, 0))),
        (9, 0, GLib.Variant('((ii)iii)', ((1, 2), 3, 4, 5))),
        (10, 1, GLib.Variant('a{s(ii)}', {'a': (1, 2)})),
        (11, 7, GLib.Variant('(sv)', ('x', GLib.Variant('as', ['y'])))),
        # The error paths: a key twice, a missing key, a dictionary for `?`.
        (2, 1, GLib.Variant('a{sv}', {'a': GLib.Variant('i', 1), ':a': GLib.Variant('i', 2),
                                      'b': GLib.Variant('i', 3), 'c': GLib.Variant('i', 4),
                                      'd': GLib.Variant('i', 5)})),
        (2, 1, GLib.Variant('a{sv}', {'a': GLib.Variant('i', 1), '': GLib.Variant('i', 2)})),
        (2, 0, GLib.Variant('a{sv}', {'a': GLib.Variant('i', 1)})),
        (15, 7, GLib.Variant('()', ())),
    ]
    for type_index, stmt_index, value in seeds:
        write_seed(out, struct.pack('BB', type_index, stmt_index) +
                   value.get_data_as_bytes().get_data())
    for stmt_index in (0, 7):
        write_seed(out, struct.pack('BB', 0, stmt_index))
    return len(seeds) + 2


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--lsp-dir', required=True)
    parser.add_argument('--out', required=True)
    parser.add_argument('--stamp', required=True)
    args = parser.parse_args()

    counts = {}
    for target, make in (('lsp', lambda d: lsp_seeds(args.lsp_dir, d)),
                         ('config', config_seeds),
                         ('bind', bind_seeds)):
        directory = os.path.join(args.out, target)
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            os.unlink(os.path.join(directory, name))
        counts[target] = make(directory)

    with open(args.stamp, 'w') as f:
        f.write(''.join('%s %d\n' % item for item in counts.items()))


if __name__ == '__main__':
    main()
