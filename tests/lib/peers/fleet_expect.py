#!/usr/bin/env python3
"""What docs/fleet.md's queries should answer for some traces, computed from
`trace_expect.py rows` (the APIs' own fields in `cxrec decode -f jsonl`)
and, for dollars, docs/prices.md's table: never from ClickHouse or cxrec's
conversation model.  Prints the rows as ClickHouse's TSV writes them.

  fleet_expect.py QUERY ROWS.jsonl PRICES.md [TRACE=ID,AGENT,VERSION...]

QUERY: day (Tokens per model per day, days in UTC), agents (Sessions by
agent), endpoints (Endpoints: calls, errors and the median time to first
byte), tools (Tools that fail), cache (Cache hits per model), cost (The
most expensive sessions: trace id, turns, tokens, dollars), programs
(Tokens per program), hours (Activity per hour).  TRACE=ID,AGENT,VERSION:
a trace's path, export's id for it, and the agent its run note names
("" for none: the jsonl does not carry the note).
"""
import statistics
import json
import sys
from collections import defaultdict


def num(v):
    """A number as ClickHouse's TSV writes it: 0.3, 1, 0."""
    if isinstance(v, float):
        s = repr(v)
        return s[:-2] if s.endswith(".0") else s
    return str(v)


def tsv(rows):
    for r in rows:
        print("\t".join(num(v) for v in r))


def prices(md):
    """model -> (input, cached, write, output) $ per million, base rows."""
    p = {}
    for line in open(md):
        c = [x.strip() for x in line.strip().strip("|").split("|")]
        if len(c) != 9 or c[2] != "" or c[0] not in ("openai", "anthropic", "gemini"):
            continue
        val = [None if v in ("—", "") else float(v) for v in c[3:8]]
        for m in c[1].split(", "):
            p.setdefault(m, (val[0], val[1], val[2], val[4]))
    return p


def cost(t, p):
    if t["model"] not in p:
        return 0.0
    i, c, w, o = p[t["model"]]
    fresh = t["input"] - t["cached"] - t["cache_write"]
    return (fresh * i + t["cached"] * c + t["cache_write"] * (w if w is not None else i)
            + t["output"] * o) / 1e6


def main():
    query, rows_path, md = sys.argv[1:4]
    ids, agents = {}, {}
    for a in sys.argv[4:]:
        path, v = a.split("=", 1)
        ids[path], agents[path] = v.split(",")[0], tuple(v.split(",")[1:3])
    rows = [json.loads(l) for l in open(rows_path) if l.strip()]
    turns = [r for r in rows if r["kind"] == "turn"]
    tools = [r for r in rows if r["kind"] == "tool"]
    exchanges = [r for r in rows if r["kind"] == "exchange"]
    p = prices(md)
    if query == "day":
        g = defaultdict(lambda: [0, 0, 0, 0, 0, 0.0])
        for t in turns:
            if t["usage"]:
                v = g[(t["start"][:10], t["model"])]
                for i, k in enumerate(("input", "cached", "output", "reasoning")):
                    v[i + 1] += t[k]
                v[0] += 1
                v[5] += cost(t, p)
        tsv(sorted(list(k) + v[:5] + [round(v[5], 4)] for k, v in g.items()))
    elif query == "agents":
        g = defaultdict(lambda: [set(), 0, 0, 0.0])
        for t in turns:
            v = g[agents[t["trace"]]]
            v[0].add(t["trace"])
            v[1] += 1
            v[2] += t["input"] + t["output"]
            v[3] += cost(t, p)
        tsv(sorted(list(k) + [len(v[0])] + v[1:3] + [round(v[3], 4)] for k, v in g.items()))
    elif query == "endpoints":
        g = defaultdict(list)
        for x in exchanges:
            g[(x["method"] + " " + x["path"], x["transport"])].append(x)
        out = []
        for (ep, tr), xs in g.items():
            failed = sum(1 for x in xs if x["status"] >= 400 or x["status"] == 0 or x["error"])
            out.append([ep, tr, len(xs), failed, round(statistics.median(x["ttfb_ms"] for x in xs), 1)])
        tsv(sorted(out, key=lambda r: (-r[2], r[0])))
    elif query == "tools":
        g = defaultdict(lambda: [0, 0, 0])
        for r in tools:
            g[r["name"]][0] += 1
            g[r["name"]][1] += r["has_result"]
            g[r["name"]][2] += r["failed"]
        tsv(sorted(([n] + v for n, v in g.items()), key=lambda r: (-r[3], -r[1], r[0])))
    elif query == "cache":
        g = defaultdict(lambda: [0, 0, 0, 0])
        for t in turns:
            if t["usage"] and t["input"] > 0:
                v = g[t["model"]]
                v[0] += 1
                v[1] += t["input"]
                v[2] += t["cached"]
                v[3] += t["cache_write"]
        tsv(sorted(([m] + v + [round(v[2] / v[1], 3)] for m, v in g.items()),
                   key=lambda r: (-r[2], r[0])))
    elif query == "cost":
        g = defaultdict(lambda: [0, 0, 0.0])
        for t in turns:
            v = g[ids[t["trace"]]]
            v[0] += 1
            v[1] += t["input"] + t["output"]
            v[2] += cost(t, p)
        tsv(sorted(([k, v[0], v[1], round(v[2], 6)] for k, v in g.items()),
                   key=lambda r: (-r[3], r[0]))[:10])
    elif query == "programs":
        g = defaultdict(lambda: [set(), 0, 0, 0])
        for t in turns:
            v = g[t["comm"]]
            v[0].add((t["trace"], t["pid"]))
            v[1] += 1
            v[2] += t["input"]
            v[3] += t["output"]
        tsv(sorted(([c, len(v[0])] + v[1:] for c, v in g.items()), key=lambda r: (-r[3], r[0])))
    elif query == "hours":
        g = defaultdict(lambda: [set(), 0, 0, 0])
        for t in turns:
            hour = t["start"][:10] + " " + t["start"][11:13] + ":00:00"   # UTC
            v = g[hour]
            v[0].add(t["trace"])
            v[1] += 1
            v[2] += t["input"] + t["output"]
            v[3] += t["error"]
        tsv(sorted([h, len(v[0]), v[1], v[2], v[3], round(v[3] / v[1], 3)] for h, v in g.items()))
    else:
        sys.exit(f"fleet_expect.py: no query {query}")


if __name__ == "__main__":
    main()
