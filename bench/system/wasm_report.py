#!/usr/bin/env python3
"""Turns the Wasm benchmark's raw samples into the 'Wasm filters in Envoy' section of RESULTS.md.

Input: JSON lines {"system", "metric", "value", "run"}; systems none, rbac, authz, telemetry.
The section sits between two HTML comments, so the rest of RESULTS.md (the ztunnel suite's
results) is kept, and a later run replaces only this section.
"""
import sys

import benchlib

SUITE = "wasm-suite"
BEGIN, END = benchlib.markers(SUITE)
SYSTEMS = ["none", "rbac", "wasm_noop", "authz", "telemetry"]
TARGET_US = 80.0  # the published overhead of Istio's Wasm telemetry (istio#27636), per request


def fmt(v):
    return "" if v is None else (f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}")


def section(header, medians, samples, failures):
    metrics = sorted({m for (_, m) in medians})
    out = [BEGIN, "## Wasm filters in Envoy (`./mesh bench wasm`)", "", header, "",
           "Medians of the runs (n = samples per cell). Latency in µs (fortio, client side, "
           "includes the backend), CPU in Envoy cores per 1000 rps, start-up = Envoy start to "
           "/ready (listeners up, Wasm VMs started), sizes in bytes.", ""]
    out += benchlib.table(SYSTEMS, medians, samples, lambda m, v: fmt(v))

    out += ["", "### Added cost per request (vs no filter) and ratios", "",
            "| metric | rbac | wasm_noop | authz | telemetry | authz / rbac |", "|---|---|---|---|---|---|"]
    rates = sorted({m.split("_")[-1] for m in metrics if m.startswith("latency_p50_us_")})
    verdict = []
    for rate in rates:
        for p in ("p50", "p90", "p99"):
            m = f"latency_{p}_us_{rate}"
            base = medians.get(("none", m))
            if base is None:
                continue
            added = {s: (medians[(s, m)] - base) if (s, m) in medians else None for s in SYSTEMS}
            ratio = (medians[("authz", m)] / medians[("rbac", m)]
                     if ("authz", m) in medians and medians.get(("rbac", m)) else None)
            out.append(f"| added {p} latency µs @ {rate} | {fmt(added['rbac'])} | {fmt(added['wasm_noop'])} | "
                       f"{fmt(added['authz'])} | "
                       f"{fmt(added['telemetry'])} | {'' if ratio is None else f'{ratio:.2f}'} |")
            if p == "p50":
                for s in ("authz", "telemetry"):
                    if added[s] is not None:
                        verdict.append((s, rate, "p50 latency", added[s]))
        m = f"cpu_cores_per_1000rps_at_{rate}"
        base = medians.get(("none", m))
        if base is not None:
            # cores per 1000 rps = core-seconds per 1000 requests; x1000 = µs of CPU per request.
            added = {s: (medians[(s, m)] - base) * 1000 if (s, m) in medians else None for s in SYSTEMS}
            ratio = {s: medians[(s, m)] / base if (s, m) in medians and base else None for s in SYSTEMS}
            for s in ("authz", "telemetry"):
                if added[s] is not None:
                    verdict.append((s, rate, "Envoy CPU time", added[s]))
            cpu_ratio = (added["authz"] / added["rbac"]
                         if added["authz"] is not None and added["rbac"] else None)
            out.append(f"| added Envoy CPU µs per request @ {rate} | {fmt(added['rbac'])} | "
                       f"{fmt(added['wasm_noop'])} | "
                       f"{fmt(added['authz'])} | {fmt(added['telemetry'])} | "
                       f"{'' if cpu_ratio is None else f'{cpu_ratio:.2f}'} |")
            out.append(f"| Envoy CPU ratio to no filter @ {rate} | {fmt(ratio['rbac'])} | "
                       f"{fmt(ratio['wasm_noop'])} | {fmt(ratio['authz'])} | "
                       f"{fmt(ratio['telemetry'])} | |")
    base = medians.get(("none", "startup_ms"))
    if base is not None:
        added = {s: medians[(s, "startup_ms")] - base if (s, "startup_ms") in medians else None for s in SYSTEMS}
        out.append(f"| added start-up ms | {fmt(added['rbac'])} | {fmt(added['wasm_noop'])} | "
                   f"{fmt(added['authz'])} | "
                   f"{fmt(added['telemetry'])} | |")

    noise = []
    for rate in rates:
        lat = medians.get(("rbac", f"latency_p50_us_{rate}"))
        base = medians.get(("none", f"latency_p50_us_{rate}"))
        cpu = medians.get(("rbac", f"cpu_cores_per_1000rps_at_{rate}"))
        cpu_base = medians.get(("none", f"cpu_cores_per_1000rps_at_{rate}"))
        if None not in (lat, base, cpu, cpu_base):
            noise.append(f"+{lat - base:.0f} µs p50 for +{(cpu - cpu_base) * 1000:.0f} µs of CPU "
                         f"per request at {rate}")
    if noise:
        out += ["", "Reading the latency rows: native RBAC adds " + "; ".join(noise) + ". A filter "
                "that waits for nothing adds about its CPU time to a request's latency while the "
                "worker is not saturated, so the excess is noise (differences between Envoy "
                "instances, other work on the shared cores); the CPU rows are the steadier "
                "measure."]
    out += ["", f"### Target: under {TARGET_US:.0f} µs added per request", "",
            "Judged on two measures: the median latency added over no filter (what the target's "
            "source measured), and the Envoy CPU time added per request (less sensitive to other "
            "work on the machine).", ""]
    for s, rate, what, added in verdict:
        ok = "MET" if added < TARGET_US else "NOT MET"
        out.append(f"- {s} @ {rate}, {what}: +{added:.1f} µs → **{ok}**")
    out += benchlib.closing(failures, "bench/wasm-samples.jsonl", END)
    return "\n".join(out) + "\n"


def main():
    benchlib.section_report(sys.argv, SUITE, section)


if __name__ == "__main__":
    main()
