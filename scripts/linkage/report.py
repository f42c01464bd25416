"""Print the side-by-side table of a linkage benchmark run.

    report.py RESULTS_DIR DATASET [DATASET ...]

Reads RESULTS_DIR/<dataset>.<tool>.run.json (from measure.py) and
<dataset>.<tool>.eval.json (from evaluate.py) for the tools itinera and splink,
prints one row per data set and tool, then the Itinera/Splink ratios of wall
time and peak memory for each data set where both tools ran.
"""

import argparse
import json
import os

TOOLS = ("itinera", "splink")


def read_json(path):
    """The parsed JSON file, or None if it does not exist."""
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results")
    parser.add_argument("datasets", nargs="+")
    args = parser.parse_args()

    header = ("data set", "tool", "rows", "seconds", "peak MB",
              "precision", "recall", "F1", "pairs")
    rows, ratios = [], []
    for dataset in args.datasets:
        runs = {}
        for tool in TOOLS:
            base = os.path.join(args.results, f"{dataset}.{tool}")
            run = read_json(base + ".run.json")
            ev = read_json(base + ".eval.json")
            if run is None:
                rows.append((dataset, tool, "-", "not run", "", "", "", "", ""))
                continue
            if run["exit_code"] != 0 or ev is None:
                rows.append((dataset, tool, "-", f"failed ({run['exit_code']})",
                             "", "", "", "", ""))
                continue
            runs[tool] = run
            rows.append((dataset, tool, str(ev["rows"]), f"{run['seconds']:.2f}",
                         f"{run['peak_mb']:.0f}", f"{ev['precision']:.4f}",
                         f"{ev['recall']:.4f}", f"{ev['f1']:.4f}", str(ev["predicted"])))
        if len(runs) == 2:
            it, sp = runs["itinera"], runs["splink"]
            ratios.append((dataset, it["seconds"] / sp["seconds"],
                           it["peak_mb"] / sp["peak_mb"]))

    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join("{:<%d}" % w if i < 2 else "{:>%d}" % w for i, w in enumerate(widths))
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))
    if ratios:
        print()
        print("Itinera / Splink (below 1 means Itinera is faster / smaller):")
        for dataset, time_ratio, mem_ratio in ratios:
            print(f"  {dataset:<8} time {time_ratio:.3f}   peak memory {mem_ratio:.3f}")


if __name__ == "__main__":
    main()
