"""Builds a class-level dependency graph of a Java application from its source files.

Usage: python3 extract.py NAME SOURCE_ROOT
  NAME.sources (beside this script) lists the repository, and per production source file
  the path inside the repository and the commit it was read at; SOURCE_ROOT holds those files
  at the same paths (a checkout of the repository). Writes NAME.csv beside this script.

The extraction rule (the same for every application):
- nodes: the top-level types (class, interface, enum) of the listed production files, named by
  their simple name; a nested type counts as its enclosing top-level type (a use of its simple
  name elsewhere is a reference to the enclosing type; `Outer.Nested` counts once). Test code
  is not listed.
- the source is tokenised after removing comments, string and character literals, and the
  `package` and `import` statements;
- a reference from A to B (A != B) is
  1. every occurrence of B's simple name as an identifier token in A: field, parameter, return
     and local variable types, generic arguments, `extends`/`implements`, casts, `new B(...)`,
     static calls `B.m()`, `B.class`, annotations; and
  2. every member access `x.` (or `x::`) in A on a variable x that A declares with type B
     (a field, parameter or local declared as `B x` followed by `=`, `;`, `,`, `)` or `:`):
     method calls and field reads on typed variables. A use resolves to the latest
     declaration of that name before it in the file (any type, so `Calendar c` after
     `Customer c` ends the latter), or to the first one after it (fields declared below);
     block scopes are not tracked.
- the CSV row `A,B,w` carries w = the number of such references from A to B; the proposer sums
  both directions into one undirected weight, as for function calls.
"""
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEYWORDS = set(
    """abstract assert boolean break byte case catch char class const continue default do double
    else enum extends final finally float for goto if implements import instanceof int interface
    long native new package private protected public return short static strictfp super switch
    synchronized this throw throws transient try void volatile while var record true false null
    yield sealed permits""".split()
)


def strip(text):
    """The code of a Java file without comments, string/char literals, package and imports."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        elif text.startswith('"""', i):
            j = text.find('"""', i + 3)
            i = n if j < 0 else j + 3
            out.append('""')
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            out.append('""')
        else:
            out.append(c)
            i += 1
    code = "".join(out)
    return re.sub(r"^\s*(package|import)\s[^;]*;", "", code, flags=re.M)


TOKEN = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*|::|\S")


def declared_types(code):
    """Names of the types declared at brace depth 0, and of those nested deeper."""
    top, nested, depth = [], [], 0
    tokens = TOKEN.findall(code)
    for k, t in enumerate(tokens):
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
        elif t in ("class", "interface", "enum", "record") and k + 1 < len(tokens):
            if k > 0 and tokens[k - 1] == ".":  # `Foo.class`
                continue
            if not re.match(r"[A-Za-z_$]", tokens[k + 1]):
                continue
            (top if depth == 0 else nested).append(tokens[k + 1])
    return top, nested


def references(tokens, owner, project, alias):
    """`project`: the top-level type names; `alias`: nested type name -> its top-level type."""
    counts = Counter()
    for k, t in enumerate(tokens):
        if k > 1 and tokens[k - 1] == "." and t in alias and tokens[k - 2] in project:
            continue  # `Customer.PhoneType`: one reference, counted at `Customer`
        b = t if t in project else alias.get(t)
        if b is not None and b != owner:
            counts[b] += 1
    # Variables: `T x` followed by `=`, `;`, `,`, `)` or `:` declares x with type T (T a
    # project type, or anything else: a library type, a generic `>`, an array `]`). A use
    # `x.` resolves to the latest declaration of x before it, or to the first one after it
    # (fields declared below their use).
    def declared(k):
        t, x, after = tokens[k], tokens[k + 1], tokens[k + 2]
        if not re.match(r"[A-Za-z_$]", x) or x in KEYWORDS or x in project:
            return None
        if after not in ("=", ";", ",", ")", ":"):
            return None
        if t in (">", "]") or (re.match(r"[A-Za-z_$]", t) and t not in KEYWORDS - {"var"}):
            return x, (t if t in project else None)
        return None

    first = {}
    for k in range(len(tokens) - 2):
        d = declared(k)
        if d:
            first.setdefault(d[0], d[1])
    current = dict(first)
    for k in range(len(tokens) - 1):
        if k + 2 < len(tokens):
            d = declared(k)
            if d:
                current[d[0]] = d[1]
        x = tokens[k]
        if tokens[k + 1] in (".", "::") and (k == 0 or tokens[k - 1] != "."):
            b = current.get(x)
            if b is not None and b != owner:
                counts[b] += 1
    return counts


def main(name, root):
    root = Path(root)
    lines = (HERE / f"{name}.sources").read_text().splitlines()
    header = [l for l in lines if l.startswith("#")]
    files = [l.split() for l in lines if l.strip() and not l.startswith("#")]
    code = {}
    owner_of = {}
    nested_in = {}
    for path, _commit in files:
        text = strip((root / path).read_text(encoding="utf-8", errors="replace"))
        types, nested = declared_types(text)
        assert types, path
        owner = types[0]
        for t in nested:
            nested_in.setdefault(t, set()).add(owner)
        assert owner not in owner_of.values(), f"two files declare {owner}"
        owner_of[path] = owner
        code[owner] = text
    project = set(code)
    # A nested type's simple name stands for its enclosing type, where that is unambiguous.
    alias = {t: next(iter(o)) for t, o in nested_in.items() if len(o) == 1 and t not in project}
    edges = defaultdict(int)
    for owner, text in code.items():
        for b, w in references(TOKEN.findall(text), owner, project, alias).items():
            edges[(owner, b)] += w
    with open(HERE / f"{name}.csv", "w") as f:
        f.write("caller,callee,weight\n")
        for l in header:
            f.write(l + "\n")
        f.write(f"# {len(project)} classes, {len(edges)} directed references; made by extract.py\n")
        isolated = sorted(c for c in project if not any(c in e for e in edges))
        if isolated:
            f.write("# classes with no reference either way (not in the graph): " + " ".join(isolated) + "\n")
        for (a, b), w in sorted(edges.items()):
            f.write(f"{a},{b},{w}\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
