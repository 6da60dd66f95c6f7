#!/usr/bin/env python3
"""Turns the waypoint benchmark's raw samples into the 'waypoint hop' section of RESULTS.md.

Input: JSON lines {"system", "metric", "value", "run"}; systems direct, ztunnel, waypoint,
envoy_hop. Metrics end in _<rate>rps_<conns>c: latency_p50/p90/p99_ms_, achieved_rps_,
cpu_cores_per_1000rps_ (all proxies on the path), cpu_envoy_only_cores_per_1000rps_ (waypoint:
its Envoy alone). The section sits between two HTML comments, so the rest of RESULTS.md is kept
and a later run replaces only this section.
Usage: waypoint_report.py samples.jsonl RESULTS.md "<header>" [failures.txt]
"""
import re
import sys

import benchlib

SUITE = "waypoint-suite"
BEGIN, END = benchlib.markers(SUITE)
SYSTEMS = ["direct", "ztunnel", "waypoint", "envoy_hop"]
KEY = re.compile(r"_(\d+rps_\d+c)$")


def fmt(v, digits=3):
    return "" if v is None else f"{v:.{digits}f}"


def ratio(a, b):
    return None if a is None or b is None or b <= 0 else a / b


def diff(a, b):
    return None if a is None or b is None else a - b


def keys(medians):
    """The load points (e.g. 1000rps_4c) in rate, then connection order."""
    found = {KEY.search(m).group(1) for (_, m) in medians if KEY.search(m)}
    return sorted(found, key=lambda k: tuple(int(x) for x in re.findall(r"\d+", k)))


def reading(medians):
    """A few sentences on the 1000 rps / 4 connections point, against Istio's published figures."""
    k = "1000rps_4c"
    get = medians.get
    p50 = {s: get((s, f"latency_p50_ms_{k}")) for s in SYSTEMS}
    cpu = {s: get((s, f"cpu_cores_per_1000rps_{k}")) for s in SYSTEMS}
    envoy = get(("waypoint", f"cpu_envoy_only_cores_per_1000rps_{k}"))
    if None in (p50["direct"], p50["ztunnel"], p50["waypoint"], p50["envoy_hop"], cpu["ztunnel"],
                cpu["waypoint"], cpu["envoy_hop"], envoy):
        return []
    hop_ms = p50["waypoint"] - p50["ztunnel"]
    eh_ms = p50["envoy_hop"] - p50["direct"]
    hop_cpu = cpu["waypoint"] - cpu["ztunnel"]
    return ["", "### Reading (1000 rps, 4 connections)", "",
            f"- Latency: the waypoint adds {hop_ms * 1000:.0f} µs at p50 on top of the ztunnel "
            f"path; a plain Envoy hop adds {eh_ms * 1000:.0f} µs over direct "
            f"({fmt(ratio(hop_ms, eh_ms), 2)}×). Both cross node c; the waypoint also terminates "
            "HBONE (mTLS, HTTP/2 CONNECT, an internal listener) and originates a second mTLS "
            "leg, where the plain hop speaks HTTP/1.1 in clear both ways. p90/p99 on this shared "
            "machine are dominated by scheduling noise (compare the rows across runs of the "
            "suite before reading them).",
            f"- CPU: the waypoint path costs {cpu['waypoint']:.3f} cores per 1000 rps against "
            f"{cpu['ztunnel']:.3f} for ztunnel alone ({fmt(ratio(cpu['waypoint'], cpu['ztunnel']), 2)}×); "
            f"of the extra {hop_cpu:.3f}, the waypoint Envoy is {envoy:.3f} "
            f"({fmt(ratio(envoy, cpu['envoy_hop']), 2)}× a plain Envoy hop's {cpu['envoy_hop']:.3f}). "
            f"The ztunnels spend {cpu['waypoint'] - envoy:.3f} on the waypoint path against "
            f"{cpu['ztunnel']:.3f} alone, for the same legs (an outbound at a, an inbound at b): "
            "their HBONE peer is Envoy instead of the other ztunnel, plus noise.",
            f"- Published (Istio 1.24 docs, 1000 rps, `../shared/reference/performance.md`): a "
            f"waypoint with 2 workers uses 0.25 vCPU and a ztunnel 0.06; here the waypoint Envoy "
            f"(1 worker) uses {envoy:.3f} and the two Java ztunnels together {cpu['ztunnel']:.3f} "
            "(the ztunnel suite's CPU figures say more about the latter)."]


def section(header, medians, samples, failures):
    get = medians.get
    out = [BEGIN, "## The waypoint hop (`./mesh bench waypoint`)", "", header, "",
           "Paths, from a client pod on node a to a fortio HTTP server pod on node b (HTTP/1.1 "
           "keep-alive, fixed rate): `direct` (no proxy); `ztunnel` (ztunnel a → HBONE → ztunnel "
           "b, to the pod IP); `waypoint` (ztunnel a → HBONE → the waypoint Envoy 1.40 in a pod on "
           "node c → HBONE → ztunnel b, to the Service VIP; Envoy configured over ADS by the "
           "controller's waypoint code, one HTTPRoute setting a request header, checked at the "
           "server before measuring); `envoy_hop` (a plain Envoy HTTP proxy in a pod on node c, "
           "no mTLS: the cost of one Envoy L7 hop). Both Envoys run `--concurrency 1`.", "",
           "**Noise:** the machine's two cores are shared with other builds and tests, so absolute "
           "figures move between runs; compare the systems through the ratios, which come from the "
           "same run (systems alternate, order rotated each run).", "",
           "Medians of the runs (n = samples per cell). Latency in ms (client side, server "
           "included); CPU in cores per 1000 rps of the proxies on the path, from /proc utime+stime "
           "over the measured window: `ztunnel` = both ztunnel JVMs, `waypoint` = both ztunnels + "
           "the waypoint Envoy (`cpu_envoy_only` = that Envoy alone), `envoy_hop` = its Envoy.", ""]
    # Request counts and achieved rates are whole numbers; the rest ms or cores.
    out += benchlib.table(SYSTEMS, medians, samples,
                          lambda m, v: fmt(v, 0 if m.startswith("achieved") or "requests" in m else 3))

    out += ["", "### Added latency (vs `direct`) and ratios", "",
            "`hop` = waypoint − ztunnel: what the waypoint adds on top of the ztunnel path. "
            "Ratios: waypoint-added / ztunnel-added, waypoint-added / envoy_hop-added, and "
            "hop / envoy_hop-added (1.0 = the waypoint hop costs what a plain Envoy hop costs).", "",
            "| load | pct | ztunnel +ms | waypoint +ms | envoy_hop +ms | hop ms | waypoint / ztunnel "
            "| waypoint / envoy_hop | hop / envoy_hop |", "|---|---|---|---|---|---|---|---|---|"]
    for k in keys(medians):
        for p in ("p50", "p90", "p99"):
            m = f"latency_{p}_ms_{k}"
            base = get(("direct", m))
            if base is None:
                continue
            zt, wp, eh = (diff(get((s, m)), base) for s in ("ztunnel", "waypoint", "envoy_hop"))
            hop = diff(get(("waypoint", m)), get(("ztunnel", m)))
            out.append(f"| {k} | {p} | {fmt(zt)} | {fmt(wp)} | {fmt(eh)} | {fmt(hop)} | "
                       f"{fmt(ratio(wp, zt), 2)} | {fmt(ratio(wp, eh), 2)} | {fmt(ratio(hop, eh), 2)} |")

    out += ["", "### Proxy CPU per 1000 rps and ratios", "",
            "`hop` = waypoint − ztunnel (all proxies), i.e. the waypoint Envoy plus whatever the "
            "ztunnels spend on the extra HBONE leg.", "",
            "| load | ztunnel | waypoint | waypoint Envoy only | envoy_hop | hop | waypoint / ztunnel "
            "| hop / envoy_hop | waypoint Envoy / envoy_hop |", "|---|---|---|---|---|---|---|---|---|"]
    for k in keys(medians):
        m = f"cpu_cores_per_1000rps_{k}"
        zt, wp, eh = (get((s, m)) for s in ("ztunnel", "waypoint", "envoy_hop"))
        wpe = get(("waypoint", f"cpu_envoy_only_cores_per_1000rps_{k}"))
        if zt is None and wp is None:
            continue
        hop = diff(wp, zt)
        out.append(f"| {k} | {fmt(zt)} | {fmt(wp)} | {fmt(wpe)} | {fmt(eh)} | {fmt(hop)} | "
                   f"{fmt(ratio(wp, zt), 2)} | {fmt(ratio(hop, eh), 2)} | {fmt(ratio(wpe, eh), 2)} |")

    out += reading(medians)

    short = [k for k in keys(medians) for s in SYSTEMS
             if get((s, f"achieved_rps_{k}")) is not None
             and get((s, f"achieved_rps_{k}")) < 0.97 * int(k.split("rps")[0])]
    if short:
        out += ["", "Load points where some system fell more than 3% short of the asked rate (its "
                "latency there is queueing, not the path): " + ", ".join(sorted(set(short))) + "."]
    out += benchlib.closing(failures, "bench/waypoint-samples.jsonl", END)
    return "\n".join(out) + "\n"


def main():
    benchlib.section_report(sys.argv, SUITE, section)


if __name__ == "__main__":
    main()
