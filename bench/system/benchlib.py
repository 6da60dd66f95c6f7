"""What the whole-system benchmark reports share: reading samples, medians, the metric table, and
the sections of bench/RESULTS.md that each suite owns between two HTML comments.

Samples are JSON lines {"system", "metric", "value", "run"}, one per measurement. The reports are
run as scripts from this directory, so a plain `import benchlib` finds this module.
"""
import json
import statistics
from collections import defaultdict

# The suites that own a section of RESULTS.md between markers, in the order the ztunnel report
# (which rewrites the rest of the file) puts them back.
SECTION_SUITES = ("wasm-suite", "waypoint-suite")


def load(path):
    """(medians, samples): both keyed by (system, metric); samples holds every value read."""
    samples = defaultdict(list)
    with open(path) as f:
        for line in f:
            if line.strip():
                s = json.loads(line)
                samples[(s["system"], s["metric"])].append(float(s["value"]))
    return {k: statistics.median(v) for k, v in samples.items()}, samples


def read_failures(argv, index=4):
    """The failed measurements a suite wrote (argv[index], one a line); none if absent."""
    if len(argv) <= index:
        return []
    try:
        with open(argv[index]) as f:
            return [l.strip() for l in f if l.strip()]
    except FileNotFoundError:
        return []


def table(systems, medians, samples, fmt):
    """A markdown table, one row per metric (sorted) and one column per system: the median as
    fmt(metric, value) makes it, with the sample count where there is more than one."""
    rows = ["| metric | " + " | ".join(systems) + " |", "|---|" + "---|" * len(systems)]
    for m in sorted({m for (_, m) in medians}):
        cells = []
        for s in systems:
            v = medians.get((s, m))
            n = len(samples.get((s, m), []))
            cells.append("" if v is None else fmt(m, v) + (f" (n={n})" if n > 1 else ""))
        rows.append(f"| {m} | " + " | ".join(cells) + " |")
    return rows


def markers(suite):
    """The HTML comments that open and close a suite's section."""
    return f"<!-- {suite}:begin -->", f"<!-- {suite}:end -->"


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def owned_sections(text, suites=SECTION_SUITES):
    """The sections of these suites found in text, markers included, each ending in a newline,
    joined by blank lines ("" when there are none)."""
    kept = ""
    for suite in suites:
        begin, end = markers(suite)
        if begin in text and end in text:
            kept += ("\n" if kept else "") + text[text.index(begin): text.index(end)] + end + "\n"
    return kept


def replace_section(path, suite, new):
    """Writes new (a whole section, markers included) in place of the suite's section of the file
    at path, or appends it after a blank line when the file has none; the rest stays as it was."""
    begin, end = markers(suite)
    text = read_text(path)
    if begin in text and end in text:
        text = text[: text.index(begin)] + new + text[text.index(end) + len(end) + 1:]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + new
    with open(path, "w") as f:
        f.write(text)


def closing(failures, samples_file, end):
    """The last lines of a suite's section: the failed measurements (if any), where the raw samples
    are, and the end marker."""
    out = []
    if failures:
        out += ["", "### Measurements that failed (left out above)", ""] + [f"- {l}" for l in failures]
    return out + ["", f"Raw samples: `{samples_file}`.", end]


def section_report(argv, suite, section):
    """The main of a report that owns one section: argv = samples.jsonl RESULTS.md "<header>"
    [failures.txt]; section(header, medians, samples, failures) renders it (markers included). The
    section replaces the suite's previous one in RESULTS.md and goes to stdout as well."""
    raw, md, header = argv[1], argv[2], argv[3]
    failures = read_failures(argv)
    medians, samples = load(raw)
    new = section(header, medians, samples, failures)
    replace_section(md, suite, new)
    print(new)
