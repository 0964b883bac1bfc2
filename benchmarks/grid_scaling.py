"""Grid scaling: cases/s and peak memory for 10^6, 10^7 and 10^8 cases, summary only and with
Parquet output. Each measurement runs in a fresh process so its peak RSS is its own.

    python benchmarks/grid_scaling.py [--sizes 1e6,1e7,1e8] [--parquet-dir DIR] [--json FILE]

Not collected by pytest (the name has no bench_/test_ prefix): it takes minutes at 10^8.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

# Axis sizes that give about 10^6, 10^7 and 10^8 cases with the kei-vs-us vehicles
# (21 subjects incl. 2 references x 22 partners x 4 configurations = 1,848 blocks).
SPECS = {
    "1e6": {"closing_speed_kph": "0.5:120:0.5", "angle_deg": [-30, 0, 30], "overlap": [1.0]},
    "1e7": {"closing_speed_kph": "0.5:120:0.5", "angle_deg": "-45:45:15",
            "overlap": [1.0, 0.7, 0.4]},
    "1e8": {"closing_speed_kph": "0.5:120:0.5", "angle_deg": "-45:45:5",
            "overlap": "0.2:1:0.2", "friction": [0.3, 0.5, 0.7]},
}

CHILD = r"""
import json, resource, sys, time
from crashcompat.runs.grid import run_grid
spec, mode, out = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
run = run_grid(spec)
run.summary() if mode == "summary" else None  # nothing: warm-up happens in the timed call
t = time.perf_counter()
if mode == "summary":
    run._summary = None
    run.summary()
else:
    run.write(out, "parquet", overwrite=True)
dt = time.perf_counter() - t
print(json.dumps({"n": run.n_cases, "mode": mode, "seconds": dt,
                  "cases_per_s": run.n_cases / dt,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e6,1e7,1e8")
    ap.add_argument("--modes", default="summary,parquet")
    ap.add_argument("--parquet-dir", default=None)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(dir=a.parquet_dir) as tmp:
        for size in a.sizes.split(","):
            for mode in a.modes.split(","):
                out = os.path.join(tmp, f"grid-{size}.parquet")
                p = subprocess.run([sys.executable, "-c", CHILD, json.dumps(SPECS[size]), mode,
                                    out], capture_output=True, text=True)
                if p.returncode:
                    sys.exit(p.stderr)
                r = json.loads(p.stdout.strip().splitlines()[-1])
                if mode == "parquet":
                    r["file_mib"] = os.path.getsize(out) / 2**20
                    os.remove(out)
                results.append(r)
                print(f"{r['n']:>13,d} cases  {mode:8s} {r['seconds']:8.2f} s "
                      f"{r['cases_per_s']:>14,.0f} cases/s  peak RSS {r['peak_rss_mib']:7.0f} MiB"
                      + (f"  file {r['file_mib']:.0f} MiB" if "file_mib" in r else ""),
                      flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
