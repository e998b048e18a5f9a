"""Render ``bench/run.py --json`` output as the Markdown table of ``bench/RESULTS.md``.

    python bench/report.py bench/out/results-final.jsonl
"""

from __future__ import annotations

import json
import sys

VERDICTS = {True: "yes", False: "**no**", None: "— (target set at a larger n)"}


def main() -> int:
    rows = []
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh if line.strip()]
    print("| benchmark | n | db | seconds | baseline s | ratio | peak MB | target | met |")
    print("|---|---:|---|---:|---:|---:|---:|---|---|")
    for r in rows:
        extra = f" ({r['msgs_per_s']} msg/s; floor {r['floor_msgs_per_s']})" if "msgs_per_s" in r else ""
        if "due_tasks" in r:
            extra = f" ({r['due_tasks']} due, {r['queued']} queued)"
        if "rows" in r:
            extra = f" (unit {r['unit']}, {r['rows']} rows)"
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        peak = "" if r["peak_mb"] is None else f"{r['peak_mb']:.0f}"
        print(f"| {r['name']}{extra} | {r['n']:,} | {r['db']} | {r['seconds']:.3f} | "
              f"{r['baseline_seconds']:.3f} | {ratio} | {peak} | {r['target']} | "
              f"{VERDICTS[r['met']]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
