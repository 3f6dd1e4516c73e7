"""networkx's reference modularity for each class graph beside this script.

Builds each graph as `microcosm propose --calls` does (a call's weight added to the undirected
edge between caller and callee, both directions summed, self-calls dropped), runs networkx's
Louvain (louvain_communities, weight="weight", resolution 1) with seeds 0-9 and records every
seed's modularity, the best, and the seed that reached it, in reference.json.

Run: python3 reference.py   (networkx 3.x; the tests only read reference.json)
"""
import csv
import json
from pathlib import Path

import networkx as nx
from networkx.algorithms.community import louvain_communities, modularity

HERE = Path(__file__).resolve().parent
SEEDS = list(range(10))
reference = {"networkx": nx.__version__, "seeds": SEEDS, "graphs": []}
for path in sorted(HERE.glob("*.csv")):
    G = nx.Graph()
    rows = [r for r in csv.reader(path.open()) if r and not r[0].startswith("#")][1:]
    for caller, callee, weight in rows:
        G.add_node(caller)
        G.add_node(callee)
        if caller == callee:
            continue
        w = float(weight)
        if G.has_edge(caller, callee):
            G[caller][callee]["weight"] += w
        else:
            G.add_edge(caller, callee, weight=w)
    qs = [
        modularity(G, louvain_communities(G, weight="weight", resolution=1, seed=s), weight="weight")
        for s in SEEDS
    ]
    best = max(qs)
    reference["graphs"].append(
        {
            "file": path.name,
            "classes": G.number_of_nodes(),
            "edges": G.number_of_edges(),
            "total_weight": G.size(weight="weight"),
            "networkx_louvain_q_by_seed": qs,
            "networkx_louvain_q_best": best,
            "best_seed": SEEDS[qs.index(best)],
        }
    )
with open(HERE / "reference.json", "w") as f:
    json.dump(reference, f, indent=2)
    f.write("\n")
