#!/usr/bin/env python3
"""Lists C++ function bodies in lib/ longer than a limit (default 100 lines).

A heuristic brace scanner (comments and strings stripped): a '{' opens a
function body when no function is already open and the text before it holds a
parameter list and is not a namespace, class, struct, enum or initialiser.
Lambdas and local classes count towards their enclosing function.
Usage: tools/long_functions.py [--limit N] [paths...]; exit 1 when any is over.
"""
import re
import sys
from pathlib import Path


def strip(src):
    src = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), src, flags=re.S)
    src = re.sub(r'//[^\n]*', '', src)
    src = re.sub(r'R"(\w*)\((.*?)\)\1"', lambda m: '""' + '\n' * m.group(0).count('\n'), src, flags=re.S)
    src = re.sub(r'"(\\.|[^"\\\n])*"', '""', src)
    src = re.sub(r"'(\\.|[^'\\\n])*'", "''", src)
    return src


def functions(path):
    text = strip(Path(path).read_text())
    stack, out, header_start, line = [], [], 0, 1
    for i, ch in enumerate(text):
        if ch == '\n':
            line += 1
        elif ch in ';':
            if not any(k == 'fn' for k, _, _ in stack):
                header_start = i + 1
        elif ch == '{':
            header = text[header_start:i].strip()
            in_fn = any(k == 'fn' for k, _, _ in stack)
            kind = 'other'
            if not in_fn:
                if re.match(r'^(template\s*<.*>\s*)?(namespace|class|struct|union|enum)\b', header, re.S) or header.startswith('extern'):
                    kind = 'scope'
                elif ')' in header and not header.rstrip().endswith('='):
                    kind = 'fn'
            name = re.sub(r'\s+', ' ', header.split('(')[0].split()[-1]) if kind == 'fn' and header.split('(')[0].split() else ''
            stack.append((kind, line, name))
            if not in_fn:
                header_start = i + 1
        elif ch == '}':
            if stack:
                kind, start, name = stack.pop()
                if kind == 'fn':
                    out.append((name, start, line, line - start + 1))
            if not any(k == 'fn' for k, _, _ in stack):
                header_start = i + 1
    return out


def main(argv):
    limit, paths = 100, []
    it = iter(argv)
    for a in it:
        if a == '--limit':
            limit = int(next(it))
        else:
            paths.append(a)
    if not paths:
        paths = sorted(str(p) for p in Path('lib').rglob('*.cpp')) + sorted(str(p) for p in Path('lib').rglob('*.h'))
    over = []
    for p in paths:
        for name, start, end, n in functions(p):
            if n > limit:
                over.append((n, p, start, name))
    for n, p, start, name in sorted(over, reverse=True):
        print(f'{n:5d}  {p}:{start}  {name}')
    return 1 if over else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
