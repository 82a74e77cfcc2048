#!/usr/bin/env python3
"""What the export tests expect of a trace, read from `cxrec decode -f jsonl`:
the APIs' own fields (usage, output items, request bodies), not cxrec's
conversation model, so that the two are computed independently.

  trace_expect.py sums CXREC TRACE...
      a line per trace: TRACE exchanges=N events=N turns=N input=N cached=N
      output=N reasoning=N cache_write=N (input: every input token, cached
      and cache writes included; output: reasoning included)
  trace_expect.py rows CXREC TRACE...
      a JSON line per exchange ({"kind": "exchange", ...}), per model call
      ({"kind": "turn", ...}) and per tool call ({"kind": "tool", ...}):
      what export_clickhouse.sh checks docs/fleet.md's queries against
      (tests/lib/peers/fleet_expect.py)
"""
import json
import re
import subprocess
import sys

# A tool result that says it failed, as docs/fleet.md's "Tools that fail"
# reads it: a process exit code other than 0, or an "error" key.
FAILED = re.compile(r'(?i)exit(ed with)? code:? *-?[1-9]|"error":')


def decode(cxrec, path):
    out = subprocess.run([cxrec, "decode", "-f", "jsonl", path], check=True,
                         capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def is_obj(d):
    return isinstance(d, dict)


def text_of(v):
    """A tool result as export writes it: a string as is, else JSON."""
    if isinstance(v, str):
        return v
    if isinstance(v, list) and all(is_obj(p) and p.get("type") == "text" for p in v):
        return "".join(p["text"] for p in v)
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


class Trace:
    def __init__(self, path, xs):
        self.path = path
        self.turns, self.calls, self.results, self.exchanges_ = [], [], {}, []
        self.exchanges = len(xs)
        self.events = 0
        for x in xs:
            self.exchange(x)

    def turn(self, x, model, status_ok=True):
        t = dict(kind="turn", trace=self.path, exchange=x["id"], start=x["start"],
                 pid=x.get("pid") or 0, comm=x.get("comm") or "", model=model,
                 usage=False, input=0, cached=0, cache_write=0, output=0,
                 reasoning=0, error=not status_ok)
        self.turns.append(t)
        return t

    def responses_usage(self, t, u):
        t["usage"] = True
        t["input"] += u.get("input_tokens", 0)
        t["cached"] += (u.get("input_tokens_details") or {}).get("cached_tokens", 0)
        t["output"] += u.get("output_tokens", 0)
        t["reasoning"] += (u.get("output_tokens_details") or {}).get("reasoning_tokens", 0)

    def responses_output(self, resp):
        for it in resp.get("output") or []:
            if it.get("type") in ("function_call", "custom_tool_call"):
                self.calls.append((it["name"], it.get("call_id")))

    def responses_input(self, body):
        for it in body.get("input") or [] if is_obj(body) else []:
            if is_obj(it) and it.get("type") in ("function_call_output", "custom_tool_call_output"):
                self.results[it["call_id"]] = text_of(it.get("output"))

    def exchange(self, x):
        url = x["request"]["url"]
        body = x["request"].get("body")
        status = (x["response"] or {}).get("status") or 0
        ok = status < 400 and not x.get("error")
        sse = x["response"].get("sse") or []
        ws = x.get("websocket") or []
        self.events += len(sse) + len(ws)
        self.exchanges_.append(dict(
            kind="exchange", trace=self.path, id=x["id"], method=x["request"]["method"],
            path=url.split("?")[0], status=status, error=bool(x.get("error")),
            transport="websocket" if ws else "sse" if sse else "http",
            ttfb_ms=x.get("ttfb_ms")))
        if "/v1/responses" in url and ws:
            turns = []
            for m in ws:
                d = m["data"]
                if not is_obj(d):
                    continue
                if m["dir"] == "send" and d.get("type") == "response.create":
                    turns.append(self.turn(x, d.get("model", ""), True))
                    self.responses_input(d)
                elif m["dir"] == "receive" and d.get("type") == "response.completed":
                    done = sum(1 for t in turns if t.get("_done"))
                    if done < len(turns):
                        turns[done]["_done"] = True
                        self.responses_usage(turns[done], d["response"].get("usage") or {})
                    self.responses_output(d["response"])
                elif m["dir"] == "receive" and d.get("type") in ("error", "response.failed") and turns:
                    turns[-1]["error"] = True
            for t in turns:
                t.pop("_done", None)
        elif "/v1/responses" in url:
            t = self.turn(x, body.get("model", "") if is_obj(body) else "", ok)
            self.responses_input(body)
            for e in sse:
                d = e["data"]
                if is_obj(d) and d.get("type") == "response.completed":
                    self.responses_usage(t, d["response"]["usage"])
                    self.responses_output(d["response"])
                elif is_obj(d) and d.get("type") in ("error", "response.failed"):
                    t["error"] = True
        elif "/v1/messages" in url:
            t = self.turn(x, body.get("model", "") if is_obj(body) else "", ok)
            for msg in body.get("messages") or [] if is_obj(body) else []:
                for c in msg.get("content") if isinstance(msg.get("content"), list) else []:
                    if is_obj(c) and c.get("type") == "tool_result":
                        self.results[c["tool_use_id"]] = text_of(c.get("content"))
            for e in sse:
                d = e["data"]
                if not is_obj(d):
                    continue
                if d.get("type") == "message_start":
                    u = d["message"]["usage"]
                    t["usage"] = True
                    t["input"] += (u.get("input_tokens", 0) + u.get("cache_read_input_tokens", 0)
                                   + u.get("cache_creation_input_tokens", 0))
                    t["cached"] += u.get("cache_read_input_tokens", 0)
                    t["cache_write"] += u.get("cache_creation_input_tokens", 0)
                elif d.get("type") == "message_delta":
                    t["output"] = d["usage"].get("output_tokens", t["output"])
                elif d.get("type") == "content_block_start" and d["content_block"].get("type") == "tool_use":
                    self.calls.append((d["content_block"]["name"], d["content_block"]["id"]))
                elif d.get("type") == "error":
                    t["error"] = True
        elif "generatecontent" in url.lower():
            m = re.search(r"models/([^:/?]+)", url)
            t = self.turn(x, m.group(1) if m else "", ok)
            # Gemini's calls carry no id: the n-th result of a name answers
            # its n-th call (a result comes again in every later request)
            for c in body.get("contents") or [] if is_obj(body) else []:
                for p in c.get("parts") or []:
                    if is_obj(p) and "functionResponse" in p:
                        fr = p["functionResponse"]
                        self.results.setdefault(("gemini", fr["name"], json.dumps(fr.get("response"), sort_keys=True)),
                                                text_of(fr.get("response")))
            chunks = [e["data"] for e in sse if is_obj(e["data"])]
            rb = x["response"].get("body")
            if is_obj(rb):
                chunks.append(rb)
            last = None
            for d in chunks:
                if "usageMetadata" in d:
                    last = d["usageMetadata"]
                for cand in d.get("candidates") or []:
                    for p in (cand.get("content") or {}).get("parts") or []:
                        if "functionCall" in p:
                            self.calls.append((p["functionCall"]["name"], None))
                if "error" in d:
                    t["error"] = True
            if last:
                t["usage"] = True
                t["input"] += last.get("promptTokenCount", 0)
                t["cached"] += last.get("cachedContentTokenCount", 0)
                t["output"] += last.get("candidatesTokenCount", 0) + last.get("thoughtsTokenCount", 0)
                t["reasoning"] += last.get("thoughtsTokenCount", 0)

    def tools(self):
        gemini = {}
        for key, text in self.results.items():
            if isinstance(key, tuple):
                gemini.setdefault(key[1], []).append(text)
        seen = {}
        for name, cid in self.calls:
            if cid is None:
                k = seen[name] = seen.get(name, -1) + 1
                got = gemini.get(name, [])
                res = got[k] if k < len(got) else None
            else:
                res = self.results.get(cid)
            yield dict(kind="tool", trace=self.path, name=name, has_result=res is not None,
                       failed=res is not None and FAILED.search(res) is not None)

    def sums(self):
        n = dict(exchanges=self.exchanges, events=self.events, turns=len(self.turns))
        for k in ("input", "cached", "output", "reasoning", "cache_write"):
            n[k] = sum(t[k] for t in self.turns)
        return n


def main():
    mode, cxrec, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    for path in paths:
        t = Trace(path, decode(cxrec, path))
        if mode == "sums":
            print(path, " ".join(f"{k}={v}" for k, v in t.sums().items()))
        elif mode == "rows":
            for r in t.exchanges_ + t.turns + list(t.tools()):
                print(json.dumps(r))
        else:
            sys.exit(f"trace_expect.py: no mode {mode}")


if __name__ == "__main__":
    main()
