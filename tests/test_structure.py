"""The package's structure: data flows one way (no import cycles), and what a field kind is
lives with the kind (nothing else switches on a kind's name)."""
import ast
import os
import re

import compactclass

PACKAGE = os.path.dirname(compactclass.__file__)
ROOT = os.path.dirname(PACKAGE)


def modules():
    """{dotted name: path} of every module of the package."""
    found = {}
    for folder, _, names in os.walk(PACKAGE):
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path[:-3], ROOT).replace(os.sep, ".")
                found[dotted.removesuffix(".__init__")] = path
    return found


def imports_of(dotted: str, path: str, known) -> set:
    """The package modules dotted imports, at module level or in a function."""
    package = dotted if path.endswith("__init__.py") else dotted.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in known and name != dotted}


def test_no_import_cycles():
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    # a package's __init__ importing its own modules is not a cycle of stages
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    state = {}

    def visit(name, stack):
        state[name] = "open"
        for other in sorted(graph[name]):
            if state.get(other) == "open":
                cycle = stack[stack.index(other):] + [other]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if other not in state:
                visit(other, stack + [other])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


# a kind compared with a kind's name, type or struct code: "if f.kind == 'bool'",
# "ctype.name == 'u64'", "code == c'?'", "struct_code == 'd'"
KIND_SWITCH = re.compile(r"""(kind\w*\s*(?:==|!=|\bin\b)\s*[("'\[]|"""
                         r"""\.name\s*(?:==|!=)\s*["'](?:[iuf]\d|bool)|"""
                         r"""(?:==|!=)\s*["']bool["']|struct_code\s*(?:==|!=)|"""
                         r"""\bcode\s*(?:==|!=)\s*c?["'][bhilqBHILQfd?]["'])""")


def test_nothing_outside_the_kinds_switches_on_a_kind():
    offenders = []
    sources = list(modules().values())
    pyx = os.path.join(ROOT, "pyx", "compactclass")
    if os.path.isdir(pyx):
        sources += [os.path.join(pyx, n) for n in os.listdir(pyx) if n.endswith((".pyx", ".pxd"))]
    for path in sources:
        if os.sep + "kinds" + os.sep in path or os.path.basename(path).startswith("_kinds"):
            continue
        for number, line in enumerate(open(path, encoding="utf-8"), start=1):
            if KIND_SWITCH.search(line):
                offenders.append(f"{os.path.relpath(path, ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
