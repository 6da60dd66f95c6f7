#!/usr/bin/env python3
"""Turns raw benchmark samples into medians, ratios against the references, and RESULTS.md.

Input: a JSON-lines file, one sample per line:
  {"system": "ztunnel", "metric": "throughput_1stream_gbps", "value": 9.1, "run": 1}
Systems: direct, tcp_relay, mtls_relay, ztunnel. Metrics ending in _gbps, _per_s are "higher is
better"; latency (_ms), cpu and memory metrics are "lower is better".
"""
import sys

import benchlib

REFERENCES = ["direct", "tcp_relay", "mtls_relay"]
HIGHER_IS_BETTER = ("_gbps", "_per_s")


def added_latency(medians):
    """Latency added over the direct path, per system and latency metric."""
    out = {}
    for (system, metric), value in medians.items():
        if metric.startswith("latency_") and system != "direct":
            base = medians.get(("direct", metric))
            if base is not None:
                out[(system, "added_" + metric)] = value - base
    return out


def ratios(medians):
    lines = []
    for (system, metric), value in sorted(medians.items()):
        if system != "ztunnel":
            continue
        for ref in REFERENCES:
            base = medians.get((ref, metric))
            if base is None or base == 0 or metric.startswith("added_"):
                continue
            lines.append(f"{metric.replace('_gbps', '').replace('_per_s', '')}_vs_{ref}={value / base:.2f}")
    for (system, metric), value in sorted(medians.items()):
        if system == "ztunnel" and metric.startswith("added_latency"):
            ref = medians.get(("mtls_relay", metric))
            if ref is not None and ref > 0:
                lines.append(f"{metric}_vs_mtls_relay={value / ref:.2f}")
    return lines


def table(medians, samples):
    systems = ["direct", "tcp_relay", "mtls_relay", "ztunnel"]
    return "\n".join(benchlib.table(systems, medians, samples, lambda m, v: f"{v:.3f}"))


def main():
    raw, out_md, header = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""
    failures = benchlib.read_failures(sys.argv)
    medians, samples = benchlib.load(raw)
    medians.update(added_latency(medians))
    lines = ratios(medians)
    for l in lines:
        print(l)
    # Keep the sections other suites own (the Wasm and waypoint suites', between their markers).
    kept = benchlib.owned_sections(benchlib.read_text(out_md))
    with open(out_md, "w") as f:
        f.write("# ztunnel whole-system benchmark results\n\n")
        f.write(header + "\n\n")
        f.write("Medians of the runs (n = samples). Throughput in Gbit/s, latency in ms, CPU in cores per "
                "1000 rps, memory in MB.\n\n")
        f.write(table(medians, samples) + "\n\n## Ratios (ztunnel vs each reference, same run)\n\n```\n")
        f.write("\n".join(lines) + "\n```\n")
        if failures:
            f.write("\n## Measurements that failed (left out above)\n\n")
            for l in failures:
                f.write(f"- {l}\n")
        if kept:
            f.write("\n" + kept)


if __name__ == "__main__":
    main()
