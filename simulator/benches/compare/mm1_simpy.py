"""M/M/1 in SimPy, the model of `mm1.toml`: lambda = 0.9 and mu = 1 per millisecond, N customers
(10**6 by default). Two styles, as SimPy users write it:

  store     one server process pulling customers (their arrival times) from a Store, which a
            source process fills;
  resource  a process per customer, requesting a Resource of capacity 1.

Prints the customers served and the mean time in system W (theory: 1 / (mu - lambda) = 10 ms),
so the two styles and Microcosm can be seen to run the same model. Time the whole process from
outside (`run.sh` does).
"""

import argparse
import random

import simpy

LAMBDA, MU = 0.9, 1.0


def store_style(env, rng, n, done):
    queue = simpy.Store(env)

    def source():
        for _ in range(n):
            yield env.timeout(rng.expovariate(LAMBDA))
            queue.put(env.now)

    def server():
        while True:
            arrived = yield queue.get()
            yield env.timeout(rng.expovariate(MU))
            done.append(env.now - arrived)

    env.process(source())
    env.process(server())


def resource_style(env, rng, n, done):
    server = simpy.Resource(env, capacity=1)

    def customer():
        arrived = env.now
        with server.request() as turn:
            yield turn
            yield env.timeout(rng.expovariate(MU))
        done.append(env.now - arrived)

    def source():
        for _ in range(n):
            yield env.timeout(rng.expovariate(LAMBDA))
            env.process(customer())

    env.process(source())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("style", choices=["store", "resource"])
    parser.add_argument("--customers", type=int, default=10**6)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    env = simpy.Environment()
    rng = random.Random(args.seed)
    done = []
    {"store": store_style, "resource": resource_style}[args.style](env, rng, args.customers, done)
    env.run()
    print(f"customers {len(done)} W {sum(done) / len(done):.4f} ms")


if __name__ == "__main__":
    main()
