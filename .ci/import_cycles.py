"""Fails when any import circle exists among the modules of a package (run by ``tox -e lint``).

import-linter's contracts forbid imports between rooms in the wrong direction; this finds circles
anywhere, inside a room too. The graph is grimp's (the one import-linter reads), every import
statement counted wherever it stands (module level or inside a function), except those under
``if TYPE_CHECKING:``, which never run. Strongly connected components by Tarjan's algorithm; each
component of two or more modules is printed with one circle through it.
"""

from __future__ import annotations

import sys

import grimp


def components(graph: grimp.ImportGraph) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    found.append(sorted(members))
    return found


def main(package: str) -> int:
    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    circles = components(graph)
    for members in circles:
        first = members[0]
        back = [m for m in members if graph.direct_import_exists(importer=m, imported=first)]
        chain = graph.find_shortest_chain(importer=first, imported=back[0]) if back else None
        print(f"import circle among {len(members)} modules: {', '.join(members)}")
        if chain:
            print("  " + " -> ".join([*chain, first]))
    print(f"{len(graph.modules)} modules of {package}: {len(circles)} import circle(s)")
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "evalsuite"))
