"""Regenerates the planted-partition fixtures and their networkx reference numbers.

60 functions in 3 bounded contexts of 20; each unordered pair is a call with probability 0.30
inside a context (integer weight 1-10) and 0.02 across (weight 1-3), drawn with Python's
random.Random(seed): random() for the edge, then randint for its weight. For each graph it
records networkx's Louvain modularity (louvain_communities(weight="weight", seed=42), the
reference the issue quotes), whether that partition is the plant, and the plant's own
modularity. Where Louvain's partition is not the plant, a node sits better elsewhere by
modularity: there the plant is not the optimum and only the Q comparison applies.

Run: python3 generate.py   (networkx 3.x; not needed by the tests, which read the files)
"""
import itertools
import json
import random

import networkx as nx
from networkx.algorithms.community import louvain_communities, modularity

SEEDS = [1, 2, 3, 4, 5, 42]
reference = {"networkx": nx.__version__, "graphs": []}
for seed in SEEDS:
    rng = random.Random(seed)
    G = nx.Graph()
    G.add_nodes_from(range(60))
    rows = []
    for i, j in itertools.combinations(range(60), 2):
        same = i // 20 == j // 20
        p, top = (0.30, 10) if same else (0.02, 3)
        if rng.random() < p:
            w = rng.randint(1, top)
            G.add_edge(i, j, weight=w)
            rows.append((i, j, w))
    name = lambda v: f"c{v // 20}_f{v % 20:02}"
    with open(f"seed-{seed}.csv", "w") as f:
        f.write("caller,callee,weight\n")
        for i, j, w in rows:
            f.write(f"{name(i)},{name(j)},{w}\n")
    louvain = louvain_communities(G, weight="weight", seed=42)
    plant = [set(range(c * 20, c * 20 + 20)) for c in range(3)]
    reference["graphs"].append(
        {
            "file": f"seed-{seed}.csv",
            "seed": seed,
            "edges": len(rows),
            "networkx_louvain_q": modularity(G, louvain, weight="weight"),
            "networkx_louvain_communities": len(louvain),
            "plant_q": modularity(G, plant, weight="weight"),
            "networkx_louvain_is_plant": sorted(map(sorted, louvain)) == sorted(map(sorted, plant)),
        }
    )
with open("reference.json", "w") as f:
    json.dump(reference, f, indent=2)
    f.write("\n")
