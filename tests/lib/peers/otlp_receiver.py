#!/usr/bin/env python3
"""An OTLP/HTTP JSON receiver for tests/integration/export_otlp.sh.

  otlp_receiver.py serve PORTFILE OUT [STATUS]
      Listen on 127.0.0.1 (a free port, written to PORTFILE), take POST
      /v1/traces, check each body strictly against the OTLP JSON mapping
      (ExportTraceServiceRequest: field names and the type of every field,
      hex ids of the right length, 64-bit integers as decimal strings,
      enums as integers, AnyValue shapes) and append it as one line to OUT;
      a body that breaks the mapping gets 400 and a line {"error": why}.
      STATUS (say 503): answer every request with it instead.  With
      OTLP_PORT set in the environment, that port instead of a free one
      (a receiver started again where the last one was).
  otlp_receiver.py check OUT AGENT EXPECT CONTENT
      (AGENT: the run note's agent, - for a trace without a run note)
      The GenAI checks of the spans in OUT (the documents of one trace):
      span names, parent links, every attribute the brief lists, token sums
      equal to EXPECT ("turns=N input=N cached=N output=N reasoning=N cache_write=N"),
      content attributes present iff CONTENT is 1.  Exit 0, or 1 and why.
"""
import http.server
import json
import os
import re
import sys

HEX = re.compile(r"^[0-9a-f]+$")
INT = re.compile(r"^-?[0-9]+$")
CONTENT = ("gen_ai.input.messages", "gen_ai.output.messages",
           "gen_ai.system_instructions", "gen_ai.tool.definitions")


class Bad(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Bad(why)


def keys(o, allowed, where):
    need(isinstance(o, dict), f"{where}: not an object")
    for k in o:
        need(k in allowed, f"{where}: unknown field {k!r}")


def hexid(v, n, where):
    need(isinstance(v, str) and len(v) == 2 * n and HEX.match(v)
         and v != "0" * (2 * n), f"{where}: not {n} bytes of lowercase hex: {v!r}")


def any_value(v, where):
    keys(v, {"stringValue", "boolValue", "intValue", "doubleValue",
             "arrayValue", "kvlistValue", "bytesValue"}, where)
    need(len(v) == 1, f"{where}: {len(v)} values")
    (k, x), = v.items()
    if k == "stringValue":
        need(isinstance(x, str), f"{where}: stringValue not a string")
    elif k == "boolValue":
        need(isinstance(x, bool), f"{where}: boolValue not a bool")
    elif k == "intValue":
        need(isinstance(x, str) and INT.match(x), f"{where}: intValue not a decimal string: {x!r}")
    elif k == "doubleValue":
        need(isinstance(x, (int, float)) and not isinstance(x, bool), f"{where}: doubleValue")
    elif k == "arrayValue":
        keys(x, {"values"}, where + ".arrayValue")
        for i, e in enumerate(x.get("values", [])):
            any_value(e, f"{where}.arrayValue[{i}]")
    else:
        raise Bad(f"{where}: {k} not expected from cxrec")


def attributes(a, where):
    need(isinstance(a, list), f"{where}: attributes not a list")
    seen = set()
    for i, kv in enumerate(a):
        keys(kv, {"key", "value"}, f"{where}[{i}]")
        need(isinstance(kv.get("key"), str) and kv["key"], f"{where}[{i}]: key")
        need(kv["key"] not in seen, f"{where}: key {kv['key']} twice")
        seen.add(kv["key"])
        any_value(kv.get("value"), f"{where}.{kv['key']}")


def nanos(v, where):
    need(isinstance(v, str) and INT.match(v) and int(v) > 10**18,
         f"{where}: not unix nanos as a decimal string: {v!r}")


def envelope(doc):
    keys(doc, {"resourceSpans"}, "request")
    need(isinstance(doc["resourceSpans"], list) and doc["resourceSpans"], "resourceSpans")
    for r, rs in enumerate(doc["resourceSpans"]):
        w = f"resourceSpans[{r}]"
        keys(rs, {"resource", "scopeSpans", "schemaUrl"}, w)
        keys(rs["resource"], {"attributes", "droppedAttributesCount"}, w + ".resource")
        attributes(rs["resource"]["attributes"], w + ".resource.attributes")
        for s, ss in enumerate(rs["scopeSpans"]):
            ws = f"{w}.scopeSpans[{s}]"
            keys(ss, {"scope", "spans", "schemaUrl"}, ws)
            keys(ss["scope"], {"name", "version", "attributes"}, ws + ".scope")
            need(isinstance(ss["scope"].get("name"), str), ws + ".scope.name")
            for i, sp in enumerate(ss["spans"]):
                wp = f"{ws}.spans[{i}]"
                keys(sp, {"traceId", "spanId", "parentSpanId", "name", "kind",
                          "startTimeUnixNano", "endTimeUnixNano", "attributes",
                          "status", "traceState", "flags", "events", "links"}, wp)
                hexid(sp.get("traceId"), 16, wp + ".traceId")
                hexid(sp.get("spanId"), 8, wp + ".spanId")
                if "parentSpanId" in sp:
                    hexid(sp["parentSpanId"], 8, wp + ".parentSpanId")
                need(isinstance(sp.get("name"), str) and sp["name"], wp + ".name")
                need(type(sp.get("kind")) is int and 0 <= sp["kind"] <= 5, wp + ".kind not an int enum")
                nanos(sp.get("startTimeUnixNano"), wp + ".startTimeUnixNano")
                nanos(sp.get("endTimeUnixNano"), wp + ".endTimeUnixNano")
                need(int(sp["endTimeUnixNano"]) >= int(sp["startTimeUnixNano"]), wp + ": ends before it starts")
                attributes(sp.get("attributes"), wp + ".attributes")
                st = sp.get("status")
                keys(st, {"code", "message"}, wp + ".status")
                need(type(st.get("code")) is int and st["code"] in (0, 1, 2), wp + ".status.code not an int enum")
                if "message" in st:
                    need(isinstance(st["message"], str), wp + ".status.message")


def serve(portfile, out, status):
    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            if status:
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"collector overloaded\nsecond line\n")
                return
            try:
                need(self.path == "/v1/traces", f"path {self.path}")
                need(self.headers.get("Content-Type") == "application/json",
                     f"Content-Type {self.headers.get('Content-Type')}")
                doc = json.loads(body)
                envelope(doc)
                line, code = json.dumps(doc), 200
            except (Bad, ValueError, KeyError, TypeError) as e:
                line, code = json.dumps({"error": str(e)}), 400
            with open(out, "a") as f:
                f.write(line + "\n")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}" if code == 200 else line.encode())

        def log_message(self, *a):
            pass

    http.server.HTTPServer.allow_reuse_address = True
    srv = http.server.HTTPServer(("127.0.0.1", int(os.environ.get("OTLP_PORT", "0"))), H)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


def attrs_of(sp):
    out = {}
    for kv in sp["attributes"]:
        (k, v), = kv["value"].items()
        out[kv["key"]] = (k, v)
    return out


def check(out, agent, expect, content):
    exp = dict(kv.split("=") for kv in expect.split())
    spans, resources = [], []
    for line in open(out):
        doc = json.loads(line)
        need("error" not in doc, f"the receiver refused a request: {doc.get('error')}")
        for rs in doc["resourceSpans"]:
            resources.append({kv["key"]: kv["value"] for kv in rs["resource"]["attributes"]})
            for ss in rs["scopeSpans"]:
                spans += ss["spans"]
    need(spans, "no spans")
    for r in resources:
        need(r.get("service.name") == {"stringValue": "cxrec"}, "resource service.name")
        if agent == "-":    # a trace without a run note: no agent known
            need("gen_ai.agent.name" not in r, "resource gen_ai.agent.name without a run note")
            continue
        need(r.get("gen_ai.agent.name") == {"stringValue": agent}, f"resource gen_ai.agent.name {r.get('gen_ai.agent.name')}")
        need("stringValue" in r.get("gen_ai.agent.version", {}), "resource gen_ai.agent.version")
    tids = {sp["traceId"] for sp in spans}
    need(len(tids) == 1, f"{len(tids)} trace ids")
    ids = [sp["spanId"] for sp in spans]
    need(len(set(ids)) == len(ids), "span ids repeat")
    byid = {sp["spanId"]: sp for sp in spans}
    sess = [sp for sp in spans if sp["name"].startswith("invoke_agent")]
    turns = [sp for sp in spans if sp["name"].startswith("chat")]
    tools = [sp for sp in spans if sp["name"].startswith("execute_tool ")]
    need(len(sess) + len(turns) + len(tools) == len(spans), "spans of other names")
    need(sess and turns and tools, f"sessions {len(sess)}, turns {len(turns)}, tools {len(tools)}")
    for s in sess:
        a = attrs_of(s)
        need("parentSpanId" not in s, "a session span has a parent")
        need(s["name"] == ("invoke_agent" if agent == "-" else f"invoke_agent {agent}"),
             f"session span name {s['name']}")
        need(a.get("gen_ai.operation.name") == ("stringValue", "invoke_agent"), "invoke_agent operation")
        need(a.get("gen_ai.conversation.id", ("",))[0] == "stringValue", "session conversation id")
    sums = dict(input=0, output=0, cached=0, reasoning=0, cache_write=0)
    seen = set()
    for t in turns:
        a = attrs_of(t)
        p = byid.get(t.get("parentSpanId"))
        need(p is not None and p in sess, f"turn {t['name']}: parent is not a session span")
        need(int(p["startTimeUnixNano"]) <= int(t["startTimeUnixNano"]) and
             int(t["endTimeUnixNano"]) <= int(p["endTimeUnixNano"]), "a turn outside its session span")
        need(t["kind"] == 3, "chat span kind is not CLIENT (3)")
        need(a["gen_ai.operation.name"] == ("stringValue", "chat"), "chat operation")
        model = a["gen_ai.request.model"][1]
        need(t["name"] == f"chat {model}", f"span name {t['name']} vs model {model}")
        need(a["gen_ai.provider.name"][1] in ("openai", "anthropic", "gcp.gemini"), "provider")
        need(a["gen_ai.conversation.id"] == attrs_of(p)["gen_ai.conversation.id"], "conversation id differs from its session's")
        need(a.get("server.address", ("",))[0] == "stringValue", f"{t['name']}: server.address")
        if agent != "-":  # a cut trace may know a pid, not its command
            need(a.get("process.command", ("",))[0] == "stringValue", f"{t['name']}: process.command")
            need(a.get("process.pid", ("",))[0] == "intValue", f"{t['name']}: process.pid")
        for k, v in a.items():
            seen.add(k)
            if k.startswith("gen_ai.usage."):
                need(v[0] == "intValue" and int(v[1]) >= 0, f"{k}: {v}")
        if "gen_ai.response.finish_reasons" in a:
            v = a["gen_ai.response.finish_reasons"]
            need(v[0] == "arrayValue" and all("stringValue" in e for e in v[1]["values"]), "finish_reasons shape")
        if "error.type" in a:
            need(t["status"]["code"] == 2, "error.type without status ERROR")
        for k, key in (("input", "gen_ai.usage.input_tokens"), ("output", "gen_ai.usage.output_tokens"),
                       ("cached", "gen_ai.usage.cache_read.input_tokens"),
                       ("reasoning", "gen_ai.usage.reasoning.output_tokens"),
                       ("cache_write", "gen_ai.usage.cache_creation.input_tokens")):
            sums[k] += int(a[key][1]) if key in a else 0
        for k in CONTENT[:2]:
            if content == "1":
                need(k in a, f"{t['name']}: no {k} with --content")
                json.loads(a[k][1])
    for k in ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model",
              "gen_ai.response.model", "gen_ai.response.finish_reasons", "gen_ai.conversation.id",
              "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "server.address") + \
             (() if agent == "-" else ("process.pid", "process.command")):
        need(k in seen, f"no chat span has {k}")
    # per agent, what its API reports: every chat span has a response id
    # and the counts its API sends (Anthropic: cache writes; OpenAI and
    # Gemini: reasoning)
    want = ["gen_ai.response.id", "gen_ai.usage.cache_read.input_tokens"]
    want.append("gen_ai.usage.cache_creation.input_tokens" if agent == "claude"
                else "gen_ai.usage.reasoning.output_tokens")
    for t in turns:
        a = attrs_of(t)
        for k in want:
            need(k in a, f"{t['name']}: no {k}")
    need(len(turns) == int(exp["turns"]), f"{len(turns)} chat spans, decode says {exp['turns']}")
    for k in sums:
        if k in exp:
            need(sums[k] == int(exp[k]), f"{k} tokens: spans say {sums[k]}, decode says {exp[k]}")
    for t in tools:
        a = attrs_of(t)
        p = byid.get(t.get("parentSpanId"))
        need(p is not None and p in sess, "a tool span's parent is not a session span")
        need(a["gen_ai.operation.name"] == ("stringValue", "execute_tool"), "execute_tool operation")
        name = a["gen_ai.tool.name"][1]
        need(t["name"] == f"execute_tool {name}", "tool span name")
        need(int(t["startTimeUnixNano"]) <= int(t["endTimeUnixNano"]), "tool span times")
        # Gemini's calls carry no id (the adapter's made-up one is not sent)
        need(("gen_ai.tool.call.id" in a) == (agent != "gemini"), f"{t['name']}: gen_ai.tool.call.id")
    has_content = [k for sp in spans for k in attrs_of(sp) if k in CONTENT]
    if content != "1":
        need(not has_content, f"content sent without --content: {set(has_content)}")
    print(f"ok {len(sess)} sessions, {len(turns)} chat, {len(tools)} tools, "
          f"attrs {sorted(k for k in seen if k.startswith('gen_ai.usage'))}, sums {sums}")


if __name__ == "__main__":
    try:
        if sys.argv[1] == "serve":
            serve(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0)
        else:
            check(*sys.argv[2:6])
    except Bad as e:
        print(f"otlp check: {e}")
        sys.exit(1)
