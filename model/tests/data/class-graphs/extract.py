"""Builds a class-level dependency graph of a Java application from its source files.

Usage: python3 extract.py NAME SOURCE_ROOT
  NAME.sources (beside this script) lists the repository, and per production source file
  the path inside the repository and the commit it was read at; SOURCE_ROOT holds those files
  at the same paths (a checkout of the repository at those commits). Writes NAME.csv beside
  this script. The committed CSVs were made from copies of those files read through a code
  search index of public GitHub repositories, in which code that names no type of the
  application (getters and setters of strings and numbers, license headers) was left out: it
  contributes nothing under the rule below, so a run on a real checkout gives the same rows.

The extraction rule (the same for every application):
- nodes: the top-level types (class, interface, enum) of the listed production files, named by
  their simple name (where two files declare the same simple name, by the shortest dotted
  suffix of their package-qualified names that tells them apart); a nested type counts as its
  enclosing top-level type (a use of its simple name elsewhere is a reference to the enclosing
  type; `Outer.Nested` counts once). Test code is not listed.
- a use of a simple name that several types share resolves as Java does: a qualified
  `a.b.Name`, the file's own type, a single-type import, the same package, an on-demand
  import; packages are matched on their longest common dotted suffix (a package renamed by a
  later commit, `smpl.ordering` to `smpl.fabrikant.ordering`, still matches). A file's package
  is taken from its path under src/main/java.
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
TOKEN = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*|::|\S")
IDENT = re.compile(r"[A-Za-z_$]")


def uncomment(text):
    """A Java file without comments and string/character literals."""
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
    return "".join(out)


IMPORT = re.compile(r"^\s*import\s+(?:static\s+)?([\w.]+?)(\.\*)?\s*;", re.M)
HEADER = re.compile(r"^\s*(package|import)\s[^;]*;", re.M)


def declared_types(tokens):
    """Names of the types declared at brace depth 0, and of those nested deeper."""
    top, nested, depth = [], [], 0
    for k, t in enumerate(tokens):
        if t == "{":
            depth += 1
        elif t == "}":
            depth -= 1
        elif t in ("class", "interface", "enum", "record") and k + 1 < len(tokens):
            if k > 0 and tokens[k - 1] == ".":  # `Foo.class`
                continue
            if not IDENT.match(tokens[k + 1]):
                continue
            (top if depth == 0 else nested).append(tokens[k + 1])
    return top, nested


def common_suffix(a, b):
    """How many trailing dotted segments two package names share."""
    a, b = a.split("."), b.split(".")
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


class Source:
    def __init__(self, path, text):
        code = uncomment(text)
        parts = Path(path).parts
        java = max(i for i, p in enumerate(parts) if p == "java")
        self.package = ".".join(parts[java + 1 : -1])
        self.single = {}  # simple name -> package of its single-type import
        self.demand = []  # packages imported on demand
        for name, star in IMPORT.findall(code):
            if star:
                self.demand.append(name)
            else:
                pkg, _, simple = name.rpartition(".")
                self.single[simple] = pkg
        self.tokens = TOKEN.findall(HEADER.sub("", code))
        self.top, self.nested = declared_types(self.tokens)


def main(name, root):
    root = Path(root)
    lines = (HERE / f"{name}.sources").read_text().splitlines()
    header = [l for l in lines if l.startswith("#")]
    files = [l.split() for l in lines if l.strip() and not l.startswith("#")]
    sources = []
    for path, _commit in files:
        src = Source(path, (root / path).read_text(encoding="utf-8", errors="replace"))
        assert src.top, path
        src.fq = f"{src.package}.{src.top[0]}"
        sources.append(src)
    by_simple = defaultdict(list)
    for src in sources:
        by_simple[src.top[0]].append(src)
    # Node labels: the simple name, or the shortest dotted suffix that is unique.
    label = {}
    for simple, group in by_simple.items():
        for src in group:
            segments = src.fq.split(".")
            for n in range(1, len(segments) + 1):
                suffix = ".".join(segments[-n:])
                if sum(o.fq.split(".")[-n:] == segments[-n:] for o in group) == 1:
                    label[src.fq] = suffix
                    break
    nested_in = defaultdict(set)
    for src in sources:
        for t in src.nested:
            nested_in[t].add(src.fq)
    alias = {t: next(iter(o)) for t, o in nested_in.items() if len(o) == 1 and t not in by_simple}
    unresolved = Counter()

    def best(candidates, package):
        scores = [common_suffix(c.package, package) for c in candidates]
        top = max(scores)
        winners = [c for c, s in zip(candidates, scores) if s == top]
        return winners[0].fq if top > 0 and len(winners) == 1 else None

    def resolve(src, k):
        """The fq name of the project type the token at k names, if any."""
        t = src.tokens[k]
        if t in alias and not (k > 1 and src.tokens[k - 1] == "." and src.tokens[k - 2] in by_simple):
            return alias[t]
        group = by_simple.get(t)
        if not group:
            return None
        if len(group) == 1:
            return group[0].fq
        if k > 1 and src.tokens[k - 1] == ".":
            j, prefix = k - 1, []
            while j > 0 and src.tokens[j] == "." and IDENT.match(src.tokens[j - 1]):
                prefix.insert(0, src.tokens[j - 1])
                j -= 2
            if prefix:
                return best(group, ".".join(prefix))
        if t == src.top[0]:
            return src.fq
        if t in src.single:
            return best(group, src.single[t])
        same = [c for c in group if c.package == src.package]
        if same:
            return same[0].fq
        for pkg in src.demand:
            fq = best(group, pkg)
            if fq:
                return fq
        unresolved[(src.fq, t)] += 1
        return None

    edges = defaultdict(int)
    for src in sources:
        tokens, owner = src.tokens, src.fq
        resolved = [resolve(src, k) for k in range(len(tokens))]
        for k, b in enumerate(resolved):
            if b is None or b == owner:
                continue
            if k > 1 and tokens[k - 1] == "." and tokens[k - 2] in by_simple and tokens[k] in alias:
                continue  # `Outer.Nested`: counted once, at `Outer`
            edges[(owner, b)] += 1
        # Variables: `T x` followed by `=`, `;`, `,`, `)` or `:` declares x with type T (a
        # project type, or anything else: a library type, a generic `>`, an array `]`). A use
        # `x.` resolves to the latest declaration of x before it, or to the first one after it
        # (fields declared below their use).
        def declared(k):
            t, x, after = tokens[k], tokens[k + 1], tokens[k + 2]
            if not IDENT.match(x) or x in KEYWORDS or x in by_simple:
                return None
            if after not in ("=", ";", ",", ")", ":"):
                return None
            if t in (">", "]") or (IDENT.match(t) and t not in KEYWORDS - {"var"}):
                return x, resolved[k]
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
                    edges[(owner, b)] += 1
    for (fq, t), n in sorted(unresolved.items()):
        print(f"unresolved: {t} in {fq} ({n}x)", file=sys.stderr)
    with open(HERE / f"{name}.csv", "w") as f:
        f.write("caller,callee,weight\n")
        for l in header:
            f.write(l + "\n")
        f.write(
            "# Rule (extract.py): a row A,B,w counts A's references to B: B's name as a type or\n"
            "# identifier in A's code (fields, parameters, return types, generics, new, static\n"
            "# calls, casts, extends/implements, annotations) plus member accesses x. on A's\n"
            "# variables declared with type B; comments, strings, package and imports excluded.\n"
        )
        f.write("# Files, each with the commit it was read at:\n")
        for path, commit in files:
            f.write(f"#   {path} {commit}\n")
        f.write(f"# {len(sources)} classes, {len(edges)} directed references; made by extract.py\n")
        touched = {x for e in edges for x in e}
        isolated = sorted(label[s.fq] for s in sources if s.fq not in touched)
        if isolated:
            f.write("# classes with no reference either way (not in the graph): " + " ".join(isolated) + "\n")
        for (a, b), w in sorted(((label[a], label[b]), w) for (a, b), w in edges.items()):
            f.write(f"{a},{b},{w}\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
