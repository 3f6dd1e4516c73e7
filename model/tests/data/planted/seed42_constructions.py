"""The constructions tried for the issue's seed-42 graph (see generate.py's header).

Builds the planted graph of the issue (60 functions, 3 contexts of 20, p = 0.30 / 0.02,
weights 1-10 / 1-3) with seed 42 in every natural Python reading of the description and prints,
for each, the plant's modularity, networkx Louvain's with seed=42 and the distinct values over
seeds 0-29, flagging those that give the issue's 0.6215. Needs networkx and numpy; about a
minute. Run: python3 seed42_constructions.py
"""
import itertools
import random
import numpy as np
import networkx as nx
from networkx.algorithms.community import louvain_communities, modularity

TARGET = 0.6215
N, K = 60, 20
PLANT = [set(range(c * K, c * K + K)) for c in range(3)]

class R:
    """uniform interface over RNG flavours"""
    def __init__(self, kind, seed=42):
        self.kind = kind
        if kind == "random":
            self.r = random.Random(seed)
        elif kind == "default_rng":
            self.r = np.random.default_rng(seed)
        elif kind == "RandomState":
            self.r = np.random.RandomState(seed)
    def random(self):
        if self.kind == "random": return self.r.random()
        if self.kind == "default_rng": return self.r.random()
        return self.r.random_sample()
    def randint(self, lo, hi):  # inclusive
        if self.kind == "random": return self.r.randint(lo, hi)
        if self.kind == "default_rng": return int(self.r.integers(lo, hi + 1))
        return int(self.r.randint(lo, hi + 1))
    def randint_excl(self, lo, hi):  # numpy-style exclusive upper bound bug: [lo, hi)
        if self.kind == "random": return self.r.randrange(lo, hi)
        if self.kind == "default_rng": return int(self.r.integers(lo, hi))
        return int(self.r.randint(lo, hi))
    def uniform(self, lo, hi):
        return float(self.r.uniform(lo, hi))
    def choice(self, seq):
        if self.kind == "random": return self.r.choice(seq)
        return seq[int(self.r.integers(len(seq)) if self.kind == "default_rng" else self.r.randint(len(seq)))]

def wdraw(rng, how, top):
    if how == "randint": return rng.randint(1, top)
    if how == "excl": return rng.randint_excl(1, top)
    if how == "uniform": return rng.uniform(1, top)
    if how == "choice": return rng.choice(list(range(1, top + 1)))

def params(i, j):
    return (0.30, 10) if i // K == j // K else (0.02, 3)

def build(kind, pairs, order, how, collapse):
    rng = R(kind)
    edges = {}
    if pairs == "lt":
        it = itertools.combinations(range(N), 2)
    elif pairs == "ne":
        it = ((i, j) for i in range(N) for j in range(N) if i != j)
    elif pairs == "gt":  # for i: for j < i
        it = ((i, j) for i in range(N) for j in range(i))
    for i, j in it:
        p, top = params(i, j)
        if order == "p_then_w":
            if rng.random() < p:
                w = wdraw(rng, how, top)
            else:
                continue
        elif order == "w_then_p":
            w = wdraw(rng, how, top)
            if not rng.random() < p:
                continue
        elif order == "p_and_w_always":
            u = rng.random(); w = wdraw(rng, how, top)
            if not u < p: continue
        key = (min(i, j), max(i, j))
        if collapse == "sum":
            edges[key] = edges.get(key, 0) + w
        elif collapse == "last":
            edges[key] = w
        elif collapse == "max":
            edges[key] = max(edges.get(key, 0), w)
        elif collapse == "directed":
            edges[(i, j)] = w
    return edges

def graph(edges, directed=False):
    G = nx.DiGraph() if directed else nx.Graph()
    G.add_nodes_from(range(N))
    for (i, j), w in edges.items():
        G.add_edge(i, j, weight=w)
    return G

def evaluate(G):
    plant = modularity(G, PLANT, weight="weight")
    l42 = modularity(G, louvain_communities(G, weight="weight", seed=42), weight="weight")
    others = sorted({round(modularity(G, louvain_communities(G, weight="weight", seed=s), weight="weight"), 4) for s in range(30)})
    return plant, l42, others

hits = []
def report(label, G):
    plant, l42, others = evaluate(G)
    flag = ""
    if round(l42, 4) == TARGET or round(plant, 4) == TARGET or TARGET in others:
        flag = "  <== HIT"
        hits.append(label)
    print(f"{label:70s} E={G.number_of_edges():3d} plant={plant:.4f} louvain42={l42:.4f} seeds0-29={others}{flag}", flush=True)

def direct():
    for kind in ["random", "default_rng", "RandomState"]:
        for pairs in ["lt", "gt", "ne"]:
            for order in ["p_then_w", "w_then_p", "p_and_w_always"]:
                for how in ["randint", "excl", "uniform", "choice"]:
                    collapses = ["last"] if pairs in ("lt", "gt") else ["sum", "last", "max", "directed"]
                    for collapse in collapses:
                        e = build(kind, pairs, order, how, collapse)
                        if collapse == "directed":
                            report(f"{kind}/{pairs}/{order}/{how}/DiGraph", graph(e, True))
                            # DiGraph collapsed to undirected by G.to_undirected() (one direction's weight wins)
                            report(f"{kind}/{pairs}/{order}/{how}/to_undirected", graph(e, True).to_undirected())
                        else:
                            report(f"{kind}/{pairs}/{order}/{how}/{collapse}", graph(e))


def topo(gen, seedarg):
    if gen == "ppg":
        return nx.planted_partition_graph(3, K, 0.30, 0.02, seed=seedarg)
    if gen == "sbm":
        P = [[0.30 if a == b else 0.02 for b in range(3)] for a in range(3)]
        return nx.stochastic_block_model([K] * 3, P, seed=seedarg)
    if gen == "sbm_dense":
        P = [[0.30 if a == b else 0.02 for b in range(3)] for a in range(3)]
        return nx.stochastic_block_model([K] * 3, P, seed=seedarg, sparse=False)


def generators():
    for gen in ["ppg", "sbm", "sbm_dense"]:
        for wsrc in ["same-random", "same-default_rng", "same-RandomState", "second-random", "second-default_rng", "second-RandomState", "global-random"]:
            for how in ["randint", "excl", "uniform", "choice"]:
                for order in ["edges", "sorted"]:
                    kind = wsrc.split("-")[1]
                    if wsrc.startswith("same"):
                        rng = R(kind)
                        G = topo(gen, rng.r)  # networkx takes the RNG instance and advances it
                    elif wsrc.startswith("second"):
                        G = topo(gen, 42)
                        rng = R(kind)
                    else:
                        random.seed(42)
                        G = topo(gen, None)
                        rng = R("random"); rng.r = random
                    es = list(G.edges())
                    if order == "sorted":
                        es = sorted(tuple(sorted(e)) for e in es)
                    H = nx.Graph(); H.add_nodes_from(range(N))
                    for u, v in es:
                        top = 10 if u // K == v // K else 3
                        H.add_edge(u, v, weight=wdraw(rng, how, top))
                    report(f"{gen}/{wsrc}/{how}/{order}", H)


if __name__ == "__main__":
    direct()
    generators()
    print("HITS:", hits)
