#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that the library's layers only use what they may (TAP output).

The library is layered bottom up: dbpool/util (layer-neutral helpers), dbpool/sqlite
(the only code that talks to SQLite), dbpool/pool, dbpool/history (built on the pool's
public API). Two rules over dbpool/**/*.c and *.h:

(a) SQLite stays in dbpool/sqlite/. Outside it no file includes <sqlite3.h> and no
    code names an identifier matching sqlite3_*, SQLITE_[A-Z_]* or the type sqlite3.
    Comments and string literals do not count. Allowed, and nothing else:
      - the pure forward declaration `typedef struct sqlite3 sqlite3;` or `struct
        sqlite3;` in a public header, so that the one escape hatch below needs no
        <sqlite3.h>;
      - the return type of db_connection_get_handle(): its declaration (ending in `;`)
        in a public header and its definition (followed by `{`) in a .c file.
(c) libpq stays in dbpool/pgsql/: outside it no file includes <libpq-fe.h> (or any
    libpq/ or postgres_ext.h header) and no code names PQ*, PG* types (PGconn,
    PGresult, PGcancel, …), PGRES_*, PQTRANS_* or libpq's CONNECTION_OK/BAD/…. Comments and string
    literals do not count.
(b) dbpool/history/ includes no private header of another layer: a header it includes
    must be public, or live in dbpool/history/ or dbpool/util/. Private means named
    *-private.h, or any other header in the tree that the umbrella does not list.

Public headers are the ones dbpool/dbpool.h includes, plus dbpool.h itself and the
generated db-enum-types.h and db-version.h.

Every run first runs the self-test (small fake trees with known violations, in a
temporary directory), so a broken matcher cannot pass a real tree off as clean.

  check-layers.py --root SRCDIR                 the check; exit 1 on a violation
  check-layers.py --self-test                   only the self-test
"""

import argparse
import bisect
import os
import re
import sys
import tempfile

GENERATED_PUBLIC = {'db-enum-types.h', 'db-version.h'}
# Folders whose headers dbpool/history/ may include even if private.
HISTORY_MAY_USE = ('history', 'util')

IDENT = re.compile(r'[A-Za-z_]\w*')
SQLITE_IDENT = re.compile(r'sqlite3_\w+|SQLITE_[A-Z_]|sqlite3$')
LIBPQ_IDENT = re.compile(r'PQ[a-z]\w*$|PG(conn|result|cancel|notify|Ping|TransactionStatusType)$|'
                         r'PGRES_[A-Z_]+$|PQTRANS_[A-Z]+$|ExecStatusType$|'
                         r'CONNECTION_(OK|BAD|STARTED|MADE|AWAITING_RESPONSE|AUTH_OK|SETENV|NEEDED)$')
LIBPQ_HEADERS = ('libpq-fe.h', 'libpq-events.h', 'postgres_ext.h')
INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', re.M)
# A token: identifier, or any single non-space character.
TOKEN = re.compile(r'[A-Za-z_]\w*|\S')


def strip(text, strings):
    """@text with comments (and, if @strings, string and character literals) replaced
    by spaces. Newlines are kept, so offsets still map to the same line numbers."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            end = text.find('*/', i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:end]))
            i = end
        elif text.startswith('//', i):
            end = text.find('\n', i)
            end = n if end < 0 else end
            out.append(' ' * (end - i))
            i = end
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c and text[j] != '\n':
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(text[i:j] if not strings else
                       c + re.sub(r'[^\n]', ' ', text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


class Lines:
    """Offset to line number, by bisecting the offsets where lines start."""

    def __init__(self, text):
        self.starts = [0] + [m.end() for m in re.finditer('\n', text)]

    def __call__(self, offset):
        return bisect.bisect_right(self.starts, offset)


def public_headers(root):
    """The basenames the umbrella header includes, plus the umbrella and generated ones."""
    umbrella = os.path.join(root, 'dbpool', 'dbpool.h')
    with open(umbrella, encoding='utf-8') as f:
        text = strip(f.read(), strings=False)
    names = {os.path.basename(m.group(2)) for m in INCLUDE.finditer(text)}
    return names | GENERATED_PUBLIC | {'dbpool.h'}


def library_files(root):
    """dbpool/**/*.c and *.h, as paths relative to @root with '/' separators."""
    top = os.path.join(root, 'dbpool')
    found = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(('.c', '.h')):
                found.append(os.path.relpath(os.path.join(dirpath, name), root)
                             .replace(os.sep, '/'))
    return found


def layer(rel):
    """'sqlite' for dbpool/sqlite/x.c, '' for a file directly in dbpool/."""
    parts = rel.split('/')
    return parts[1] if len(parts) > 2 else ''


def allowed_sqlite_tokens(tokens, rel, public):
    """Indices of `sqlite3` tokens that are one of the two allowed uses."""
    allowed = set()
    is_public_header = rel.endswith('.h') and os.path.basename(rel) in public
    for k, (tok, _) in enumerate(tokens):
        if tok != 'sqlite3':
            continue
        # typedef struct sqlite3 sqlite3;  (a pure forward declaration)
        if (is_public_header and k >= 2
                and [t for t, _ in tokens[k - 2:k + 3]] ==
                ['typedef', 'struct', 'sqlite3', 'sqlite3', ';']):
            allowed.update((k, k + 1))
        # struct sqlite3;  (the same forward declaration as a bare struct tag)
        if (is_public_header and k >= 1
                and [t for t, _ in tokens[k - 1:k + 2]] == ['struct', 'sqlite3', ';']
                and (k < 2 or tokens[k - 2][0] != 'typedef')):
            allowed.add(k)
        # [struct] sqlite3 * db_connection_get_handle ( ... ) ;   or   ... ) {
        if [t for t, _ in tokens[k:k + 4]] == ['sqlite3', '*', 'db_connection_get_handle', '(']:
            depth, j = 0, k + 3
            while j < len(tokens):
                if tokens[j][0] == '(':
                    depth += 1
                elif tokens[j][0] == ')':
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            after = tokens[j + 1][0] if j + 1 < len(tokens) else ''
            if (after == ';' and is_public_header) or (after == '{' and rel.endswith('.c')):
                allowed.add(k)
    return allowed


def check_sqlite(rel, text, public):
    """Rule (a) for one file outside dbpool/sqlite/: [(line, message)]."""
    problems = []
    no_comments = strip(text, strings=False)
    line_of = Lines(text)
    include_lines = set()
    for m in INCLUDE.finditer(no_comments):
        line = line_of(m.start())
        include_lines.add(line)
        if os.path.basename(m.group(2)) == 'sqlite3.h':
            problems.append((line, 'includes %s%s%s outside dbpool/sqlite/'
                             % (m.group(1), m.group(2), '>' if m.group(1) == '<' else '"')))
    code = strip(text, strings=True)
    tokens = [(m.group(0), line_of(m.start())) for m in TOKEN.finditer(code)]
    allowed = allowed_sqlite_tokens(tokens, rel, public)
    for k, (tok, line) in enumerate(tokens):
        if line in include_lines or k in allowed or not IDENT.fullmatch(tok):
            continue
        if SQLITE_IDENT.match(tok):
            problems.append((line, 'uses %s outside dbpool/sqlite/' % tok))
    return problems


def check_libpq(rel, text):
    """Rule (c) for one file outside dbpool/pgsql/: [(line, message)]."""
    problems = []
    no_comments = strip(text, strings=False)
    line_of = Lines(text)
    include_lines = set()
    for m in INCLUDE.finditer(no_comments):
        line = line_of(m.start())
        include_lines.add(line)
        name = m.group(2)
        if os.path.basename(name) in LIBPQ_HEADERS or name.startswith('libpq/'):
            problems.append((line, 'includes %s outside dbpool/pgsql/' % name))
    code = strip(text, strings=True)
    for m in TOKEN.finditer(code):
        line = line_of(m.start())
        if line not in include_lines and LIBPQ_IDENT.match(m.group(0)):
            problems.append((line, 'uses %s outside dbpool/pgsql/' % m.group(0)))
    return problems


def check_history_includes(root, rel, text, public, headers):
    """Rule (b) for one file under dbpool/history/: [(line, message)]."""
    problems = []
    no_comments = strip(text, strings=False)
    line_of = Lines(text)
    for m in INCLUDE.finditer(no_comments):
        name = m.group(2)
        base = os.path.basename(name)
        if base in public:
            continue
        # Where the header lives: a path as written (relative to the includer or to
        # dbpool/), else any folder of the tree (dbpool/'s folders are all on the path).
        where = None
        for candidate in (os.path.join(os.path.dirname(rel), name), 'dbpool/' + name):
            candidate = os.path.normpath(candidate).replace(os.sep, '/')
            if candidate in headers:
                where = candidate
                break
        if where is None and '/' not in name:
            matches = [h for h in headers if os.path.basename(h) == base]
            where = matches[0] if len(matches) == 1 else None
        private = base.endswith('-private.h') or where is not None
        if not private:
            continue   # a system or dependency header
        if where is not None and layer(where) in HISTORY_MAY_USE:
            continue
        problems.append((line_of(m.start()),
                         'includes %s (%s), private to %s' %
                         (name, where or 'not found in dbpool/',
                          'dbpool/' + layer(where) + '/' if where else 'another layer')))
    return problems


def scan(root):
    """Every violation under @root/dbpool as (path, line, message), in file order."""
    public = public_headers(root)
    files = library_files(root)
    headers = {f for f in files if f.endswith('.h')}
    violations = []
    for rel in files:
        with open(os.path.join(root, rel), encoding='utf-8') as f:
            text = f.read()
        problems = []
        if layer(rel) != 'sqlite':
            problems += check_sqlite(rel, text, public)
        if layer(rel) != 'pgsql':
            problems += check_libpq(rel, text)
        if layer(rel) == 'history':
            problems += check_history_includes(root, rel, text, public, headers)
        violations += [(rel, line, msg) for line, msg in sorted(problems)]
    return violations


# ---- self-test -----------------------------------------------------------------

UMBRELLA = '''#pragma once
#define DBPOOL_INSIDE
# include "db-types.h"
# include "db-enum-types.h"
# include "db-connection.h"
/* # include "db-pool-internals.h" */
#undef DBPOOL_INSIDE
'''

# path: (contents, the violations expected in it as {line: substring of the message}).
SELF_TEST_TREE = {
    'dbpool/dbpool.h': (UMBRELLA, {}),
    'dbpool/db-types.h': ('#pragma once\ntypedef struct sqlite3 sqlite3;\n', {}),
    # The SQLite layer may do anything.
    'dbpool/sqlite/db-sqlite-private.h': (
        '#include <sqlite3.h>\nint _db_sqlite_step (sqlite3_stmt *s);\n', {}),
    'dbpool/sqlite/db-sqlite.c': (
        '#include <sqlite3.h>\nint f (sqlite3 *db) { return sqlite3_step (0) == SQLITE_OK; }\n',
        {}),
    # The public header with both allowed forms; anything else in it is not.
    'dbpool/pool/db-connection.h': (
        '#pragma once\n'
        '#include "db-types.h"\n'
        'typedef struct sqlite3 sqlite3;\n'
        'DBPOOL_AVAILABLE_IN_ALL\n'
        'sqlite3  *db_connection_get_handle            (DbConnection  *self);\n'
        'sqlite3  *db_connection_get_other             (DbConnection  *self);\n'
        'sqlite3_stmt *db_connection_get_stmt (DbConnection *self);\n'
        'typedef struct sqlite3 sqlite3_t;\n',
        {6: 'sqlite3 ', 7: 'sqlite3_stmt', 8: 'sqlite3 '}),
    # The definition, GNU style; its body is held to the rule like any other code.
    'dbpool/pool/db-connection.c': (
        '#include "db-connection-private.h"\n'
        '/* sqlite3_step() and SQLITE_ROW in a comment,\n'
        '   over two lines, sqlite3 * */\n'
        'sqlite3 *\n'
        'db_connection_get_handle (DbConnection *self)\n'
        '{\n'
        '  return sqlite3_db_handle (self->stmt);\n'
        '}\n'
        'static const char *why = "sqlite3_open failed: SQLITE_CANTOPEN \\" sqlite3";\n'
        'static char c = \'"\';  // sqlite3_close\n'
        'int my_sqlite3_x, DB_SQLITE_BUSY, sqlite3x, Sqlite3, SQLITE_;\n'
        '#if SQLITE_VERSION_NUMBER > 3040000\n'
        '#endif\n'
        'sqlite3 *db = (sqlite3 *) db_connection_get_handle (c);\n'
        'sqlite3 *db_connection_get_handle (DbConnection *self) = 0;\n',
        {7: 'sqlite3_db_handle', 12: 'SQLITE_VERSION_NUMBER', 14: 'sqlite3 ',
         15: 'sqlite3 '}),
    # Not public: neither allowed form applies in a private header.
    'dbpool/pool/db-connection-private.h': (
        '#pragma once\n'
        '#include <sqlite3.h>\n'
        '# include "sqlite3.h"\n'
        'typedef struct sqlite3 sqlite3;\n'
        'sqlite3 *db_connection_get_handle (DbConnection *self);\n',
        {2: '<sqlite3.h>', 3: '"sqlite3.h"', 4: 'sqlite3 ', 5: 'sqlite3 '}),
    # The forward declaration is for headers, not for .c files.
    'dbpool/util/db-json.c': (
        '#include "db-json-private.h"\ntypedef struct sqlite3 sqlite3;\nint n = SQLITE_OK;\n',
        {2: 'sqlite3 ', 3: 'SQLITE_OK'}),
    'dbpool/util/db-json-private.h': ('#pragma once\n', {}),
    # libpq in its own folder is fine; anywhere else it is not.
    'dbpool/pgsql/db-pgsql.c': (
        '#include <libpq-fe.h>\nint f (PGconn *c) { return PQstatus (c) == CONNECTION_OK; }\n', {}),
    'dbpool/pool/db-pool-pq.c': (
        '/* PQexec and PGresult in a comment */\n'
        '#include <libpq-fe.h>\n'
        'int g (PGconn *c) { return PQstatus (c) == CONNECTION_OK; }\n'
        'const char *s = "PQexec";\n'
        'ExecStatusType t = PGRES_TUPLES_OK;\n',
        {2: '<libpq-fe.h>'[1:-1], 3: 'PGconn', 5: 'PGRES_TUPLES_OK'}),
    'dbpool/pool/db-pool-private.h': ('#pragma once\n#include "db-sqlite-private.h"\n', {}),
    'dbpool/pool/db-pool-internals.h': ('#pragma once\n', {}),
    'dbpool/history/db-history-private.h': ('#pragma once\n#include "db-connection.h"\n', {}),
    'dbpool/history/db-history.c': (
        '#include <glib.h>\n'
        '#include "db-history-private.h"\n'   # own layer
        '#include "db-json-private.h"\n'      # util
        '#include "db-connection.h"\n'        # public
        '#include "db-enum-types.h"\n'        # public, generated
        '#include "db-pool-private.h"\n'
        '#include "db-sqlite-private.h"\n'
        '#include "db-pool-internals.h"\n'
        '#include "db-gone-private.h"\n'
        '#include "../pool/db-pool-private.h"\n'
        '#include "db-commented-out.h"\n'
        '// #include "db-pool-private.h"\n'
        '#include "pool/db-pool-private.h"\n',
        {6: 'dbpool/pool/', 7: 'dbpool/sqlite/', 8: 'dbpool/pool/', 9: 'not found',
         10: 'dbpool/pool/', 13: 'dbpool/pool/'}),
}


def self_test():
    """Scans SELF_TEST_TREE and compares with what it expects: [failure messages]."""
    failures = []
    with tempfile.TemporaryDirectory(prefix='check-layers-') as root:
        for rel, (text, _) in SELF_TEST_TREE.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
        got = {}
        for rel, line, msg in scan(root):
            got.setdefault((rel, line), []).append(msg)
    expected = {(rel, line): want for rel, (_, lines) in SELF_TEST_TREE.items()
                for line, want in lines.items()}
    for key, want in sorted(expected.items()):
        msgs = got.pop(key, [])
        if not any(want in m for m in msgs):
            failures.append('missed %s:%d (want "%s", got %r)' % (key + (want, msgs)))
    for (rel, line), msgs in sorted(got.items()):
        failures.append('false alarm %s:%d: %s' % (rel, line, '; '.join(msgs)))
    return failures, len(expected)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--root', help='the source tree (holding dbpool/)')
    parser.add_argument('--self-test', action='store_true',
                        help='only check the checker against its fake trees')
    args = parser.parse_args()
    if not args.self_test and not args.root:
        parser.error('--root is needed (or --self-test)')

    print('1..%d' % (1 if args.self_test else 2))
    failures, n_cases = self_test()
    for f in failures:
        print('# self-test: ' + f)
    print('%s 1 - self-test: %d planted violations found, no false alarms'
          % ('not ok' if failures else 'ok', n_cases))
    if args.self_test:
        return 1 if failures else 0

    violations = scan(args.root)
    for rel, line, msg in violations:
        print('# %s:%d: %s' % (rel, line, msg))
    if not violations:
        print('ok 2 - layers: no violations')
    else:
        print('not ok 2 - layers: %d violations' % len(violations))
    return 1 if failures or violations else 0


if __name__ == '__main__':
    sys.exit(main())
