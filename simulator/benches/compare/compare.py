"""Times M/M/1 with 10**6 customers in SimPy (two styles) and in `microcosm simulate`, whole
processes side by side, and prints the versions, the machine and the medians. Run through
`run.sh`, which makes the virtual environment this runs in; see it for the settings.
"""

import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(argv):
    """Runs argv to completion; returns (wall seconds, CPU seconds of user + system, stdout).
    The CPU time is the child's own (wait4's rusage), so other work on a shared machine does
    not count in it, while it does stretch the wall time."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.stdout.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"{' '.join(argv)} exited {code}")
    return wall, usage.ru_utime + usage.ru_stime, out


def microcosm_mean_w(out):
    """The mean time in system from `simulate --format json`'s report."""
    import json

    for line in out.splitlines():
        record = json.loads(line)
        if record["type"] == "replication":
            endpoint = record["data"]["report"]["endpoints"]["server.serve"]
            return f"customers {endpoint['requests']} W {endpoint['latency_ms']['mean']:.4f} ms"
    return "no report"


def first_line(path):
    try:
        with open(path) as f:
            return f.readline().strip()
    except OSError:
        return "unknown"


def git(binary, *args):
    try:
        return subprocess.run(
            ["git", "-C", os.path.dirname(os.path.abspath(binary)), *args],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main():
    microcosm, runs = sys.argv[1], int(sys.argv[2])
    scenario = os.path.join(HERE, "mm1.toml")
    simpy_script = os.path.join(HERE, "mm1_simpy.py")
    contenders = [
        ("SimPy, one server process pulling from a Store", [sys.executable, simpy_script, "store"]),
        ("SimPy, a process per customer with a Resource", [sys.executable, simpy_script, "resource"]),
        ("microcosm simulate", [microcosm, "simulate", scenario, "--format", "json"]),
    ]

    cpu = next(
        (l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
        platform.processor() or "unknown",
    )
    rev = git(microcosm, "rev-parse", "HEAD")
    dirty = git(microcosm, "status", "--porcelain", "--untracked-files=no")
    version = subprocess.run([microcosm, "--version"], capture_output=True, text=True).stdout.strip()
    print("M/M/1, lambda = 0.9, mu = 1 per ms, 10^6 customers; whole processes, medians of", runs, "runs")
    print(f"machine:   {os.cpu_count()} cores (nproc), {cpu}; {platform.system()} {platform.release()}")
    print(f"load avg:  {' '.join(f'{x:.2f}' for x in os.getloadavg())} (at the start)")
    print(f"python:    {platform.python_version()} ({platform.python_implementation()})")
    print(f"simpy:     {importlib.metadata.version('simpy')}")
    built = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(microcosm)))
    print(f"microcosm: {version}, {microcosm} (built {built}), in a checkout at git "
          f"{rev or 'unknown'}{' with uncommitted changes' if dirty else ''}")
    print()

    # Interleaved, so that whatever else the machine does falls on every contender alike.
    walls = {name: [] for name, _ in contenders}
    cpus = {name: [] for name, _ in contenders}
    outputs = {}
    for run in range(runs):
        for name, argv in contenders:
            wall, cpu_s, out = timed(argv)
            walls[name].append(wall)
            cpus[name].append(cpu_s)
            outputs[name] = out
            print(f"  run {run + 1}/{runs}: {name}: {wall:.3f} s wall, {cpu_s:.3f} s CPU", file=sys.stderr)

    base = statistics.median(cpus["microcosm simulate"])
    print(f"| {'run':<48} | {'wall, median':>12} | {'CPU, median':>11} | {'CPU vs microcosm':>16} | result")
    print(f"| {'-' * 48} | {'-' * 12}:| {'-' * 11}:| {'-' * 16}:| ---")
    for name, argv in contenders:
        out = outputs[name]
        result = microcosm_mean_w(out) if name == "microcosm simulate" else out.strip()
        wall, cpu_s = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"| {name:<48} | {wall:>10.3f} s | {cpu_s:>9.3f} s | {cpu_s / base:>15.0f}x | {result}")
    print()
    # Wall time counts whatever else the machine ran; the load says how much that was.
    print(f"load avg:  {' '.join(f'{x:.2f}' for x in os.getloadavg())} (at the end)")
    print("theory: W = 1 / (mu - lambda) = 10 ms")


if __name__ == "__main__":
    main()
