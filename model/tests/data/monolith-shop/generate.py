"""networkx's reference numbers for the function graph of scenarios/monolith-shop.toml.

Builds the graph exactly as microcosm does (calls summed both ways, self-calls dropped; data
co-access per entity weighted (m(f) + m(g)) / 2 / (k - 1), m = 1 for a read, 2 for a write or
read-write, a function's strongest access counting) and records networkx's Louvain modularity
for seeds 0-19 and for seed 42. The hints are not used: Louvain cannot take them.

Run: python3 generate.py   (networkx 3.x; the tests only read reference.json)
"""
import csv
import itertools
import json

import networkx as nx
from networkx.algorithms.community import louvain_communities, modularity

DATA = "../../../../scenarios/data/"
G = nx.Graph()


def add(u, v, w):
    if u == v:
        return
    if G.has_edge(u, v):
        G[u][v]["weight"] += w
    else:
        G.add_edge(u, v, weight=w)


for f, t, w in list(csv.reader(open(DATA + "monolith-shop-calls.csv")))[1:]:
    G.add_node(f)
    G.add_node(t)
    add(f, t, float(w))
entities = {}
for f, e, a in list(csv.reader(open(DATA + "monolith-shop-data.csv")))[1:]:
    G.add_node(f)
    m = 2.0 if a in ("write", "read-write") else 1.0
    users = entities.setdefault(e, {})
    users[f] = max(users.get(f, 0.0), m)
for users in entities.values():
    users = sorted(users.items())
    if len(users) < 2:
        continue
    share = 1.0 / (len(users) - 1)
    for (f, a), (g, b) in itertools.combinations(users, 2):
        add(f, g, share * (a + b) / 2)

qs = [modularity(G, louvain_communities(G, weight="weight", seed=s), weight="weight") for s in range(20)]
reference = {
    "networkx": nx.__version__,
    "functions": G.number_of_nodes(),
    "edges": G.number_of_edges(),
    "total_weight": G.size(weight="weight"),
    "networkx_louvain_q_seed_42": modularity(
        G, louvain_communities(G, weight="weight", seed=42), weight="weight"
    ),
    "networkx_louvain_q_best_of_seeds_0_19": max(qs),
}
with open("reference.json", "w") as f:
    json.dump(reference, f, indent=2)
    f.write("\n")
