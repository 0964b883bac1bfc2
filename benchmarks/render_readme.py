"""Write the README's benchmark table from a pytest-benchmark JSON file (never typed by hand).

    python -m pytest benchmarks --benchmark-only --benchmark-json=bench.json
    python benchmarks/render_readme.py bench.json [writers.json ...] [README.md]

Rows: kernel x n x implementation with the median cases/s and the ratio of the parallel kernel to
the NumPy version and to the pure-Python reference measured in the same run; start-up figures
from the start-up benchmarks; the machine from the JSON's machine_info.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def render(data: dict) -> str:
    rates: dict[tuple[str, str, int], float] = {}
    startup = {}
    for b in data["benchmarks"]:
        info = b.get("extra_info", {})
        if "cases_per_s" in info:
            rates[(info["kernel"], info["impl"], int(info["n"]))] = info["cases_per_s"]
        for k, v in info.items():
            if k.endswith("_s") and "cases_per" not in k:
                startup[k] = v
    mi = data.get("machine_info", {})
    cpu = mi.get("cpu", {})
    lines = [
        f"Measured {data.get('datetime', '?')[:10]} on {cpu.get('brand_raw', '?')} "
        f"({cpu.get('count', '?')} logical CPUs), Python {mi.get('python_version', '?')}, "
        f"float64, median of the rounds; `python -m pytest benchmarks --benchmark-only "
        f"--benchmark-json=bench.json && python benchmarks/render_readme.py bench.json` (the "
        f"slow sizes included; pycrash installed for the peer rows).",
        "",
        "| kernel | n | numba parallel (cases/s) | numba serial | NumPy | x NumPy | "
        "pure Python | x Python | public call (cases/s) | call x NumPy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = ("collinear", "planar", "pulse", "pulse-crash3", "grid", "grid-montecarlo")
    kernels = sorted({k for k, _, _ in rates if not k.endswith("-call")},
                     key=lambda k: order.index(k) if k in order else 9)
    for k in kernels:
        ref = [r for (kk, i, _), r in rates.items() if kk == k and i == "reference"]
        for n in sorted({n for kk, i, n in rates if kk == k and i == "numba-parallel"}):
            par = rates[(k, "numba-parallel", n)]
            ser = rates.get((k, "numba-serial", n))
            npy = rates.get((k, "numpy", n))
            api = rates.get((k, "numba-api", n))
            cells = [k, f"{n:,}", f"{par:,.0f}", f"{ser:,.0f}" if ser else "-",
                     f"{npy:,.0f}" if npy else "-", f"{par / npy:.1f}" if npy else "-",
                     f"{ref[0]:,.0f}" if ref else "-", f"{par / ref[0]:,.0f}" if ref else "-",
                     f"{api:,.0f}" if api else "-",
                     f"{api / npy:.1f}" if api and npy else "-"]
            lines.append("| " + " | ".join(cells) + " |")
    calls = sorted({k for k, _, _ in rates if k.endswith("-call")})
    if calls:
        lines += ["", "| one case per call | calls/s | peer pycrash (calls/s) | x pycrash |",
                  "|---|---:|---:|---:|"]
        for k in calls:
            own = [r for (kk, i, _), r in rates.items() if kk == k and i == "numba-api"]
            # the peer solves one planar impact per call: compared with planar_impact only
            peer = [r for (kk, i, _), r in rates.items() if kk == k and i == "peer-pycrash"]
            name = {"planar-call": "planar_impact (Python floats)",
                    "collide-call": "collide() (catalog vehicles, delta-v and risk)"}.get(k, k)
            cells = [name, f"{own[0]:,.0f}" if own else "-", f"{peer[0]:,.0f}" if peer else "-",
                     f"{own[0] / peer[0]:.1f}" if own and peer else "-"]
            lines.append("| " + " | ".join(cells) + " |")
    writes = {}
    for b in data["benchmarks"]:
        info = b.get("extra_info", {})
        if str(info.get("kernel", "")).startswith("write-"):
            writes[(info["kernel"], info["impl"], int(info["n"]))] = (
                info["cases_per_s"], info.get("bytes_per_row"))
    if writes:
        lines += ["", "| output (bench_writers.py) | n | rows/s | x issue-time writer | "
                  "share of the kernel's rows/s | bytes/row |", "|---|---:|---:|---:|---:|---:|"]
        names = {"crashcompat": "default", "crashcompat-compact": "compact (4 results + "
                 "status, float32)", "issue-time": "the writer when issue 15 was filed"}
        for (k, impl, n), (rate, bpr) in sorted(writes.items()):
            old = writes.get((k, "issue-time", n))
            kern = rates.get(("grid-chunks", "numba-parallel", n))
            cells = [f"{k.removeprefix('write-').capitalize()}, {names.get(impl, impl)}",
                     f"{n:,}", f"{rate:,.0f}",
                     f"{rate / old[0]:.2f}" if old and impl != "issue-time" else "-",
                     f"{rate / kern:.0%}" if kern else "-", f"{bpr:.1f}" if bpr else "-"]
            lines.append("| " + " | ".join(cells) + " |")
    if startup:
        lines += ["", "| start-up | seconds |", "|---|---:|"]
        lines += [f"| {k.removesuffix('_s').replace('_', ' ')} | {v:.3f} |"
                  for k, v in sorted(startup.items())]
    return "\n".join(lines)


def main(argv):
    """``render_readme.py BENCH.json [MORE.json ...] [README.md]``: the benchmarks of every JSON
    file (the first one's machine and date), rendered into README.md's block."""
    files = [a for a in argv[1:] if a.endswith(".json")]
    rest = [a for a in argv[1:] if not a.endswith(".json")]
    data = json.loads(Path(files[0]).read_text())
    for extra in files[1:]:
        data["benchmarks"] += json.loads(Path(extra).read_text())["benchmarks"]
    readme = Path(rest[0] if rest else "README.md")
    text = readme.read_text()
    block = f"{START}\n{render(data)}\n{END}"
    if START in text:
        text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda m: block, text, flags=re.S)
    else:
        raise SystemExit(f"{readme} has no {START} ... {END} block")
    readme.write_text(text)


if __name__ == "__main__":
    main(sys.argv)
