#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Keep the programs shown in the guides identical to the files the tests run.

A guide marks a copy with an HTML comment naming the file (relative to the source
root), followed by a fenced code block holding the file's whole text:

    <!-- snippet: examples/c/quickstart.c -->

    ```c
    ...
    ```

  check-snippets.py --root SRCDIR PAGE...           exit 1 naming every stale copy
  check-snippets.py --root SRCDIR --update PAGE...  rewrite the copies from the files
"""

import argparse
import difflib
import os
import re
import sys

MARKER_RE = re.compile(r'^<!--\s*snippet:\s*(?P<path>\S+)\s*-->\s*$')
FENCE_RE = re.compile(r'^(?P<fence>`{3,}|~{3,})\S*\s*$')


class SnippetError(Exception):
    pass


def find_snippets(lines, page):
    """Yield (path, first_line, end_line): the block's text is lines[first:end]."""
    i = 0
    while i < len(lines):
        m = MARKER_RE.match(lines[i])
        if not m:
            i += 1
            continue
        path = m.group('path')
        j = i + 1
        while j < len(lines) and lines[j].strip() == '':
            j += 1
        fence = FENCE_RE.match(lines[j]) if j < len(lines) else None
        if fence is None:
            raise SnippetError(f'{page}:{i + 1}: snippet marker for {path} is not '
                               'followed by a fenced code block')
        close = fence.group('fence')
        k = j + 1
        while k < len(lines) and lines[k].rstrip('\n') != close:
            k += 1
        if k == len(lines):
            raise SnippetError(f'{page}:{j + 1}: code block for {path} is never closed')
        yield path, j + 1, k
        i = k + 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--root', required=True, help='the source root')
    parser.add_argument('--update', action='store_true',
                        help='rewrite stale copies instead of failing')
    parser.add_argument('pages', nargs='+')
    args = parser.parse_args()

    failures = 0
    checked = 0
    for page in args.pages:
        with open(page, encoding='utf-8') as f:
            lines = f.readlines()
        try:
            snippets = list(find_snippets(lines, page))
        except SnippetError as e:
            print(e, file=sys.stderr)
            failures += 1
            continue

        # Replace from the end so earlier line numbers stay valid.
        changed = False
        for path, first, end in reversed(snippets):
            source = os.path.join(args.root, path)
            if not os.path.exists(source):
                print(f'{page}: shows {path}, which does not exist', file=sys.stderr)
                failures += 1
                continue
            with open(source, encoding='utf-8') as f:
                wanted = f.read().splitlines(keepends=True)
            if wanted and not wanted[-1].endswith('\n'):
                wanted[-1] += '\n'
            checked += 1
            if lines[first:end] == wanted:
                continue
            if args.update:
                lines[first:end] = wanted
                changed = True
                continue
            failures += 1
            print(f'{page}: the copy of {path} differs from the file '
                  f'(run docs/check-snippets.py --root . --update docs/*.md):',
                  file=sys.stderr)
            sys.stderr.writelines(difflib.unified_diff(lines[first:end], wanted,
                                                       f'{page} (copy)', path))
        if changed:
            with open(page, 'w', encoding='utf-8') as f:
                f.writelines(lines)
            print(f'updated {page}')

    if checked == 0 and failures == 0:
        print('no snippets found', file=sys.stderr)
        return 1
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
