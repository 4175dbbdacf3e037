#!/usr/bin/env python3
"""The teacher-forced figures of llama.cpp's own runs, per model and format, as a Markdown table
for README.md, from a results document whose selection held the logit-parity checks of the
llama-probe runs (`--check 'logit-parity/*/*@llama.cpp/*'`), so the figures are never typed in:

    ci/teacher-forced-table.py RESULTS_DIR | ci/replace-readme-block.py teacher-forced

Pooled over the prompts: the KLD mean and same top-1 rate weighted by positions, RMS Δp as the
root of the pooled mean square; p99 is the largest of the prompts' (a pooled p99 needs every
position, which the results document does not keep; of 32 positions, p99 is the largest)."""
import json
import math
import sys
from pathlib import Path

FORMATS = ("f16.gguf", "q8_0.gguf", "q4_0.gguf")


def main(results_dir):
    doc = json.loads((Path(results_dir) / "latest.json").read_text())
    rows = {}
    for c in doc["checks"]:
        variant = c.get("variant") or ""
        if c["suite"] != "logit-parity" or not variant.endswith("@llama.cpp") or "teacher_forced" not in c:
            continue
        rows.setdefault((c["model"], variant.removesuffix("@llama.cpp")), []).append(c)
    if not rows:
        sys.exit(f"teacher-forced-table: no logit-parity check of {results_dir}/latest.json has teacher_forced")
    print("| model | format | prompts | positions | KLD mean (range over prompts) | KLD p99 | same top-1 | RMS Δp "
          "| logit-parity |")
    print("|---|---|---|---|---|---|---|---|---|")
    models = sorted({m for m, _ in rows})
    for model in models:
        for fmt in FORMATS:
            checks = rows.get((model, fmt))
            if not checks:
                continue
            tf = [c["teacher_forced"] for c in checks]
            n = sum(t["positions"] for t in tf)
            mean = sum(t["kld_mean"] * t["positions"] for t in tf) / n
            lo, hi = min(t["kld_mean"] for t in tf), max(t["kld_mean"] for t in tf)
            same = sum(t["same_top1"] * t["positions"] for t in tf) / n
            rms = math.sqrt(sum(t["rms_dp"] ** 2 * t["positions"] for t in tf) / n)
            passed = sum(c["status"] == "PASS" for c in checks)
            print(f"| {model} | {fmt.removesuffix('.gguf')} | {len(checks)} | {n} | {mean:.2g} ({lo:.2g} – {hi:.2g}) "
                  f"| {max(t['kld_p99'] for t in tf):.2g} | {100 * same:.1f} % "
                  f"| {100 * rms:.2g} % | {passed}/{len(checks)} pass |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: ci/teacher-forced-table.py RESULTS_DIR")
    main(sys.argv[1])
