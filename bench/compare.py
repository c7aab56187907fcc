"""`make bench-compare A=old.json B=new.json`: two `make bench` runs (bench/results/*.json) side by side.

Per endpoint: each run's median ratio to /healthz with its spread over the rounds (min–max), the
change from A to B, and the p99 latencies. A drop is flagged when it is larger than the spread of
either run: smaller changes are within what the rounds of one run differ by, so they tell nothing.
B defaults to bench/results/latest.json. Exits 1 when a drop is flagged, 2 on bad arguments.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LATEST = ROOT / "bench" / "results" / "latest.json"
# Settings that make two runs' ratios comparable only when they agree.
SAME_SETTINGS = ("users", "duration_s", "connections", "threads", "job_worker")
HEALTHZ = "GET /healthz"


def load(path):
    run = json.loads(Path(path).read_text())
    return run, {row["endpoint"]: row for row in run["endpoints"]}


def describe(name, path, run):
    settings, host = run["settings"], run["machine"]
    return (
        f"{name}: {path} ({run['started_at']}; {host['cores']} cores, {host['cpu']}; {settings['rounds']} rounds "
        f"of {settings['duration_s']}s, {settings['connections']} connections, {settings['threads']} threads, "
        f"{settings['users']:,} users)"
    )


def ratio(row):
    if row is None:
        return "—"
    return f"{row['ratio']:.2f} ({row['ratio_min']:.2f}–{row['ratio_max']:.2f})"


def compare(a_path, b_path):
    a_run, a_rows = load(a_path)
    b_run, b_rows = load(b_path)
    print(describe("A", a_path, a_run))
    print(describe("B", b_path, b_run))
    differing = [key for key in SAME_SETTINGS if a_run["settings"].get(key) != b_run["settings"].get(key)]
    if a_run["machine"]["cores"] != b_run["machine"]["cores"]:
        differing.append("cores")
    if differing:
        print(f"Note: the runs differ in {', '.join(differing)}; their ratios may not be comparable.")
    print()
    print("| endpoint | A ratio (spread) | B ratio (spread) | change | p99 ms A → B | |")
    print("|---|---|---|---|---|---|")
    drops = []
    for label in [*a_rows, *(label for label in b_rows if label not in a_rows)]:
        a, b = a_rows.get(label), b_rows.get(label)
        change = flag = ""
        if a is not None and b is not None and label == HEALTHZ:
            change = f"{a['rps']:.0f} → {b['rps']:.0f} req/s"
        elif a is not None and b is not None:
            delta = b["ratio"] - a["ratio"]
            change = f"{delta:+.2f} ({delta / a['ratio']:+.0%})" if a["ratio"] else f"{delta:+.2f}"
            spread = max(a["ratio_max"] - a["ratio_min"], b["ratio_max"] - b["ratio_min"])
            if -delta > spread:
                flag = "drop ✗"
                drops.append(label)
            elif delta > spread:
                flag = "gain"
        p99 = " → ".join("—" if row is None else f"{row['p99_ms']:.1f}" for row in (a, b))
        print(f"| {label} | {ratio(a)} | {ratio(b)} | {change} | {p99} | {flag} |")
    print()
    if drops:
        print(f"{len(drops)} drop(s) larger than the spreads: {', '.join(drops)}")
        return 1
    print("No drop larger than the spreads.")
    return 0


def main(arguments):
    if not arguments or not arguments[0] or len(arguments) > 2:
        print("usage: bench/compare.py A.json [B.json]  (make bench-compare A=... [B=...]; B: latest.json)")
        return 2
    a_path = arguments[0]
    b_path = arguments[1] if len(arguments) > 1 and arguments[1] else LATEST
    for path in (a_path, b_path):
        if not Path(path).is_file():
            print(f"no such file: {path}")
            return 2
    return compare(a_path, b_path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
