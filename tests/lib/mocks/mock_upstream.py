#!/usr/bin/python3
"""Mock of the OpenAI upstream that codex talks to (0.98.0 and 0.171.0),
plus Chat Completions for other clients (the openai SDKs).

Run it with Debian's interpreter: /usr/bin/python3 tests/lib/mocks/mock_upstream.py ...
The server, request bodies (gzip, deflate, zstd), the log and the common
options are mock_common.py's.

Endpoints (any path prefix, e.g. /v1/... or /backend-api/codex/...):
  GET  .../models[?client_version=X]   model catalogue in codex's ModelsResponse shape
  POST .../responses                   SSE stream (text/event-stream, chunked)
  GET  .../responses + Upgrade         the same over a WebSocket: each
                                       response.create / response.append message
                                       answered with the events as text frames
        generate:false (codex 0.171's prewarm): created + completed, no output
        turn 1 (tools offered, top-level or in `additional_tools` input items,
               no function_call_output in `input`): reasoning item + a call of
               codex's shell tool (exec_command / shell_command / shell, picked
               from the tools the request offers) running
               `echo cxrec-mock-tool-ok`
        turn 2 (input has a function_call_output): streamed assistant message
        no tools offered: a streamed assistant message (plain text)
  POST .../chat/completions            Chat Completions, streamed (`data:` chunks,
                                       tool_calls deltas, a usage chunk with
                                       stream_options.include_usage, [DONE]) or not;
                                       a tool call when tools are offered and no
                                       `tool` message yet, then text
  POST .../oauth/token                 token refresh answer (JWTs)
  The ChatGPT backend codex 0.171 calls under chatgpt_base_url:
  GET  .../wham/accounts/check, .../api/codex/accounts/check
                                       the account (id = chatgpt-account-id) with
                                       workspace_backend_origin = --workspace-origin
  GET  .../wham/settings/user          {"commit_attribution_enabled": false}
  GET  .../ps/plugins/{installed,list,workspace/shared}, .../ps/plugins/suggested...,
       .../ps/plugins/tooling-state/..., .../plugins/featured    empty answers
  POST .../ps/mcp                      an MCP server (streamable HTTP) with no tools
  POST .../analytics-events/events     {}
  POST /otlp/v1/{metrics,traces,logs}  empty OTLP export answer
  anything else                        404 with a JSON error body

Options: see --help.  Every request is appended to --log as one JSON line.
See docs/codex-protocol.md for what codex actually sends.
"""

import base64
import gzip
import hashlib
import json
import os
import socket
import ssl
import struct
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mock_common as mc  # noqa: E402
from mock_common import (FINAL_TEXT_BAD, FINAL_TEXT_OK, TOOL_COMMAND,  # noqa: E402
                         TOOL_MARKER, next_id, split_text)

PLAIN_TEXT = "Hello from the cxrec mock upstream: no tools were offered, so here is text."
REASONING_SUMMARY = "**Running the check**\n\nI will run a harmless echo command to verify the tool works."
MODEL_DEFAULT = "gpt-5.2-codex"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(payload):
    header = {"alg": "RS256", "typ": "JWT", "kid": "mock-key"}
    return ".".join([
        b64url(json.dumps(header, separators=(",", ":")).encode()),
        b64url(json.dumps(payload, separators=(",", ":")).encode()),
        b64url(b"mock-signature-not-checked"),
    ])


def auth_claims():
    return {
        "chatgpt_plan_type": "pro",
        "chatgpt_account_id": "acct-test-123",
        "chatgpt_user_id": "user-test-123",
        "user_id": "user-test-123",
    }


def refresh_tokens():
    now = int(time.time())
    id_token = make_jwt({
        "iss": "https://auth.openai.com",
        "aud": ["app_mock_client"],
        "sub": "auth0|mock-user",
        "email": "cxrec-test@example.com",
        "email_verified": True,
        "iat": now,
        "exp": now + 3600,
        "https://api.openai.com/auth": auth_claims(),
    })
    access_token = make_jwt({
        "iss": "https://auth.openai.com",
        "aud": ["https://api.openai.com/v1"],
        "sub": "auth0|mock-user",
        "iat": now,
        "exp": now + 3600,
        "scp": ["openid", "profile", "email", "offline_access"],
        "https://api.openai.com/auth": auth_claims(),
        "https://api.openai.com/profile": {"email": "cxrec-test@example.com", "email_verified": True},
    })
    return {
        "id_token": id_token,
        "access_token": access_token,
        "refresh_token": "rt-mock-refreshed-%d" % now,
        "token_type": "Bearer",
        "expires_in": 3600,
    }


def mock_instructions(size=7000):
    """Deterministic prose-like text about as long as the real base instructions,
    so request bodies have a realistic size (and zstd ratio)."""
    words = ("the agent should read files run commands carefully explain results keep "
             "changes small prefer tests before edits summarize output for user when "
             "working in a repository respect existing style and never invent facts "
             "about code it has not opened use tools sparingly report errors plainly").split()
    out = ["You are Codex, based on GPT-5. You are running as a coding agent in the "
           "Codex CLI on a user's computer. (cxrec mock upstream instructions)\n\n"]
    state = 12345
    length = len(out[0])
    sentence = []
    while length < size:
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        sentence.append(words[state % len(words)])
        if len(sentence) >= 8 + state % 9:
            line = "- " + " ".join(sentence).capitalize() + ".\n"
            out.append(line)
            length += len(line)
            sentence = []
    return "".join(out)


MOCK_INSTRUCTIONS = mock_instructions()


def model_entry(slug, priority, description):
    # Field set of codex-rs protocol `ModelInfo` as bundled in codex 0.98.0.
    return {
        "slug": slug,
        "display_name": slug,
        "description": description,
        "default_reasoning_level": "medium",
        "supported_reasoning_levels": [
            {"effort": "low", "description": "Fast responses with lighter reasoning"},
            {"effort": "medium", "description": "Balances speed and reasoning depth for everyday tasks"},
            {"effort": "high", "description": "Greater reasoning depth for complex problems"},
            {"effort": "xhigh", "description": "Extra high reasoning depth for complex problems"},
        ],
        "shell_type": "shell_command",
        "visibility": "list",
        "minimal_client_version": "0.60.0",
        "supported_in_api": True,
        "upgrade": None,
        "priority": priority,
        # Must be a string: null makes codex reject the whole catalogue.
        "base_instructions": MOCK_INSTRUCTIONS,
        "supports_reasoning_summaries": True,
        "support_verbosity": False,
        "default_verbosity": None,
        "apply_patch_tool_type": "freeform",
        "truncation_policy": {"mode": "tokens", "limit": 10000},
        "supports_parallel_tool_calls": True,
        "context_window": 272000,
        "reasoning_summary_format": "experimental",
        "experimental_supported_tools": [],
    }


def models_response():
    return {
        "models": [
            model_entry(MODEL_DEFAULT, 1, "Latest frontier agentic coding model. (mock)"),
            model_entry("gpt-5.1-codex-mini", 5, "Cheaper, faster codex model. (mock)"),
        ]
    }


MODELS_ETAG = '"cxrec-mock-models-1"'


def offered_tools(body):
    """The tools a request offers, flattened: the top-level `tools` (Responses
    and Chat Completions shapes) and, in codex 0.171.0, the tools inside
    `additional_tools` input items (namespaces nest further tools)."""
    out = []

    def walk(tools):
        for tool in tools or []:
            if not isinstance(tool, dict):
                continue
            if tool.get("type") == "namespace":
                walk(tool.get("tools"))
                continue
            name = tool.get("name") or (tool.get("function") or {}).get("name")
            if name:
                out.append(tool)

    walk(body.get("tools"))
    for item in body.get("input") or []:
        if isinstance(item, dict) and item.get("type") == "additional_tools":
            walk(item.get("tools"))
    return out


def tool_name(tool):
    return tool.get("name") or (tool.get("function") or {}).get("name")


def pick_tool(body):
    """Return (tool_name, arguments_json) for the shell tool the request offers."""
    names = [tool_name(t) for t in offered_tools(body)]
    if "exec_command" in names:
        return "exec_command", {"cmd": TOOL_COMMAND, "yield_time_ms": 10000}
    if "shell_command" in names:
        return "shell_command", {"command": TOOL_COMMAND, "timeout_ms": 10000}
    if "shell" in names:
        return "shell", {"command": ["bash", "-lc", TOOL_COMMAND], "timeout_ms": 10000}
    # Nothing recognisable offered: codex 0.171.0 offers exec_command only as a
    # nested tool of its `exec` code-mode tool, yet runs a direct call of it;
    # that is also the 0.98.0 default.
    return "exec_command", {"cmd": TOOL_COMMAND, "yield_time_ms": 10000}


def function_outputs(body):
    outs = []
    for item in body.get("input") or []:
        if isinstance(item, dict) and item.get("type") in ("function_call_output", "custom_tool_call_output"):
            out = item.get("output")
            if not isinstance(out, str):
                out = json.dumps(out)
            outs.append(out)
    return outs


class Handler(mc.BaseHandler):
    server_version = "cxrec-mock-upstream/1"
    mock_name = "mock_upstream"
    log_parsed_path = False

    def send_error_json(self, status, message, code):
        self.send_json(status, {"error": {"message": message, "type": "invalid_request_error",
                                          "param": None, "code": code}})

    def answer_decode_error(self, error):
        self.send_error_json(400, "mock: cannot decode request body: " + error, "bad_encoding")

    def do_GET(self):
        path_only = urllib.parse.urlsplit(self.path).path.rstrip("/")
        if (path_only.endswith("/responses") and
                "websocket" in (self.headers.get("Upgrade") or "").lower()):
            return self.ws_session()
        self.dispatch(b"", "none")

    def route(self, entry, body_obj, raw):
        path_only = self.path_only.rstrip("/")
        if self.command in ("GET", "HEAD") and path_only.endswith("/models"):
            entry["answer"] = "models"
            self.send_json(200, models_response(), [("ETag", MODELS_ETAG)])
        elif self.command == "POST" and path_only.endswith("/responses"):
            if not isinstance(body_obj, dict):
                entry["answer"] = "bad-json"
                self.send_error_json(400, "mock: request body is not a JSON object", "invalid_json")
            else:
                self.answer_responses(body_obj, entry)
        elif path_only.startswith("/test/"):
            entry["answer"] = path_only
            self.answer_test(path_only, raw)
        elif self.command == "POST" and path_only.endswith("/oauth/token"):
            entry["answer"] = "oauth-token"
            self.send_json(200, refresh_tokens())
        elif self.command == "POST" and path_only.endswith("/chat/completions"):
            if not isinstance(body_obj, dict):
                entry["answer"] = "bad-json"
                self.send_error_json(400, "mock: request body is not a JSON object", "invalid_json")
            else:
                self.answer_chat(body_obj, entry)
        elif not self.answer_backend(path_only, body_obj, entry):
            entry["answer"] = "not-found"
            self.send_error_json(404, "mock: no route for %s %s" % (self.command, self.path), "not_found")

    # ---- the ChatGPT backend beside the model (codex 0.171.0) ----------
    def answer_backend(self, path, body, entry):
        """The requests codex 0.171.0 makes under chatgpt_base_url (default
        https://chatgpt.com/backend-api/) besides the model's: workspace
        routing, plugins, the plugins' MCP server, user settings, analytics.
        Returns False when the path is none of them."""
        method = self.command
        if method == "GET" and path.endswith("/accounts/check"):
            # .../wham/accounts/check (a base with /backend-api) or
            # .../api/codex/accounts/check.  codex picks the entry whose id
            # is its account id and sends the model traffic to the entry's
            # workspace_backend_origin, which must be an https origin.
            acct = self.headers.get("chatgpt-account-id") or "acct-test-123"
            entry["answer"] = "accounts-check"
            self.send_json(200, {
                "accounts": [{
                    "id": acct,
                    "plan_type": "pro",
                    "workspace_backend_origin": self.server.opts.workspace_origin,
                    "account_routing_override": "NO_CONSTRAINT",
                    "name": None,
                    "profile_picture_url": None,
                    "structure": "personal",
                }],
                "account_ordering": [acct],
                "default_account_id": acct,
            })
        elif method == "GET" and path.endswith("/wham/settings/user"):
            entry["answer"] = "settings-user"
            self.send_json(200, {"commit_attribution_enabled": False})
        elif method == "GET" and (path.endswith("/ps/plugins/installed") or
                                  path.endswith("/ps/plugins/list") or
                                  path.endswith("/ps/plugins/workspace/shared")):
            entry["answer"] = "plugins-empty"
            self.send_json(200, {"plugins": [], "pagination": {"next_page_token": None}})
        elif method == "GET" and "/ps/plugins/suggested" in path:
            entry["answer"] = "plugins-suggested"
            self.send_json(200, {"enabled": True, "plugins": []})
        elif method == "GET" and "/ps/plugins/tooling-state/" in path:
            entry["answer"] = "plugins-tooling-state"
            self.send_json(200, {})
        elif method == "GET" and path.endswith("/plugins/featured"):
            entry["answer"] = "plugins-featured"
            self.send_json(200, [])
        elif path.endswith("/ps/mcp"):
            self.answer_mcp(body, entry)
        elif method == "POST" and path.endswith("/analytics-events/events"):
            entry["answer"] = "analytics-events"
            self.send_json(200, {})
        elif method == "POST" and path in ("/otlp/v1/metrics", "/otlp/v1/traces", "/otlp/v1/logs"):
            # OTLP/HTTP export (codex's default metrics exporter posts protobuf
            # to https://ab.chatgpt.com/otlp/v1/metrics): an empty Export*
            # ServiceResponse is zero bytes of protobuf.
            entry["answer"] = "otlp" + path[len("/otlp/v1"):].replace("/", "-")
            ctype = self.headers.get("Content-Type") or "application/x-protobuf"
            data = b"{}" if "json" in ctype else b""
            self.send_response(200)
            self.send_header("Content-Type", "application/json" if data else "application/x-protobuf")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        else:
            return False
        return True

    def answer_mcp(self, msg, entry):
        """A streamable-HTTP MCP server with nothing in it (the plugins'
        connector server codex 0.171.0 starts under chatgpt_base_url/ps/mcp):
        initialize, then empty tools/resources lists; notifications get 202."""
        if self.command != "POST":
            # No server-initiated stream (GET) and no session to end (DELETE).
            entry["answer"] = "mcp-" + self.command.lower()
            entry["status"] = 405
            self.send_response(405)
            self.send_header("Allow", "POST")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not isinstance(msg, dict) or "id" not in msg:
            entry["answer"] = "mcp-notification:%s" % (msg or {}).get("method")
            entry["status"] = 202
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        method = msg.get("method")
        entry["answer"] = "mcp:%s" % method
        params = msg.get("params") or {}
        extra = []
        if method == "initialize":
            result = {
                "protocolVersion": params.get("protocolVersion") or "2025-06-18",
                "capabilities": {"tools": {"listChanged": False},
                                 "resources": {"listChanged": False}},
                "serverInfo": {"name": "cxrec-mock-mcp", "version": "1.0.0"},
            }
            extra.append(("Mcp-Session-Id", "cxrec-mock-mcp-session"))
        elif method == "tools/list":
            result = {"tools": []}
        elif method == "resources/list":
            result = {"resources": []}
        elif method == "resources/templates/list":
            result = {"resourceTemplates": []}
        elif method == "prompts/list":
            result = {"prompts": []}
        elif method == "ping":
            result = {}
        else:
            self.send_json(200, {"jsonrpc": "2.0", "id": msg.get("id"),
                                 "error": {"code": -32601, "message": "mock: no method %s" % method}})
            return
        self.send_json(200, {"jsonrpc": "2.0", "id": msg.get("id"), "result": result}, extra)

    # ---- Chat Completions (POST .../chat/completions) ------------------
    def answer_chat(self, body, entry):
        """OpenAI Chat Completions, streamed (`stream: true`: `data:` chunks,
        a usage chunk when stream_options.include_usage, `data: [DONE]`) or
        not.  Same round trip as /responses: a tool call when tools are
        offered and no `tool` message is in the conversation yet, then text."""
        n = next_id()
        cid = "chatcmpl-mock-%04d" % n
        model = body.get("model") or MODEL_DEFAULT
        created = int(time.time())
        tool_msgs = [m for m in body.get("messages") or []
                     if isinstance(m, dict) and m.get("role") == "tool"]
        tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and tool_name(t)]
        call = None
        if tool_msgs:
            outs = [m.get("content") if isinstance(m.get("content"), str)
                    else json.dumps(m.get("content")) for m in tool_msgs]
            text = FINAL_TEXT_OK if any(TOOL_MARKER in o for o in outs) else FINAL_TEXT_BAD
            entry["turn"] = 2
            entry["answer"] = "chat:message:" + ("tool-ok" if text == FINAL_TEXT_OK
                                                 else "tool-output-missing-marker")
        elif tools:
            name, args = pick_tool({"tools": tools})
            if name not in [tool_name(t) for t in tools]:
                # Not one of codex's shell tools: call the first one offered.
                name, args = tool_name(tools[0]), {"command": TOOL_COMMAND}
            call = {"id": "call_mock_%04d" % n, "name": name, "arguments": json.dumps(args)}
            text = None
            entry["turn"] = 1
            entry["answer"] = "chat:tool_calls:" + name
        else:
            text = PLAIN_TEXT
            entry["turn"] = 3
            entry["answer"] = "chat:message:plain"
        if call:
            usage = {"prompt_tokens": 120, "completion_tokens": 24, "total_tokens": 144}
        else:
            usage = {"prompt_tokens": 160, "completion_tokens": 16, "total_tokens": 176}
        usage["prompt_tokens_details"] = {"cached_tokens": 0, "audio_tokens": 0}
        usage["completion_tokens_details"] = {"reasoning_tokens": 0, "audio_tokens": 0,
                                              "accepted_prediction_tokens": 0,
                                              "rejected_prediction_tokens": 0}
        entry["usage"] = usage
        finish = "tool_calls" if call else "stop"
        if not body.get("stream"):
            message = {"role": "assistant", "content": text, "refusal": None,
                       "annotations": []}
            if call:
                message["tool_calls"] = [{"id": call["id"], "type": "function",
                                          "function": {"name": call["name"],
                                                       "arguments": call["arguments"]}}]
            self.send_json(200, {
                "id": cid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": message, "logprobs": None,
                             "finish_reason": finish}],
                "usage": usage, "service_tier": "default", "system_fingerprint": None,
            }, [("x-request-id", "req_mock_%04d" % n)])
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("x-request-id", "req_mock_%04d" % n)
        self.end_headers()
        delay = self.server.opts.delay_ms / 1000.0
        entry["sse_events"] = sent = []

        def chunk(delta, finish_reason=None, choices=True, usage_value=None):
            obj = {"id": cid, "object": "chat.completion.chunk", "created": created,
                   "model": model, "service_tier": "default", "system_fingerprint": None,
                   "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                "finish_reason": finish_reason}] if choices else []}
            if include_usage:
                obj["usage"] = usage_value
            sent.append("usage" if not choices else (finish_reason or "delta"))
            self.write_chunk(("data: %s\n\n" % json.dumps(obj, separators=(",", ":"))).encode())
            if delay:
                time.sleep(delay)

        if call:
            chunk({"role": "assistant", "content": None, "refusal": None,
                   "tool_calls": [{"index": 0, "id": call["id"], "type": "function",
                                   "function": {"name": call["name"], "arguments": ""}}]})
            for piece in split_text(call["arguments"], 3):
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        else:
            chunk({"role": "assistant", "content": "", "refusal": None})
            for piece in split_text(text, 5):
                chunk({"content": piece})
        chunk({}, finish_reason=finish)
        if include_usage:
            chunk(None, choices=False, usage_value=usage)
        sent.append("[DONE]")
        self.write_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # ---- generic endpoints for the relay's own tests -------------------
    def answer_test(self, path, raw):
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        if path == "/test/echo":
            # What arrived: length and digest of the body as framed on the wire.
            self.send_json(200, {"bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest(),
                                 "host": self.headers.get("Host"), "path": self.path})
        elif path == "/test/sse":
            n, gap = int(q.get("n", "5")), float(q.get("gap_ms", "2")) / 1000
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(n):
                self.write_chunk(b'event: tick\ndata: {"i":%d}\n\n' % i)
                time.sleep(gap)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        elif path == "/test/bytes":
            n = int(q.get("n", "1000"))
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(n))
            self.end_headers()
            block = bytes(range(256)) * 256
            while n > 0:
                self.wfile.write(block[:min(n, len(block))])
                n -= min(n, len(block))
            self.wfile.flush()
        elif path == "/test/cut":
            # Promise 1000 bytes, send 100, close: the client must see the cut.
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 100)
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif path == "/test/until-close":
            # HTTP/1.0 style: no length, the body ends when the connection does.
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"body without a length\n")
            self.wfile.flush()
            self.close_connection = True
        elif path == "/test/gzip":
            data = gzip.compress(json.dumps({"hello": "gzip", "n": list(range(50))}).encode())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        else:
            self.send_error_json(404, "mock: no test endpoint " + path, "not_found")

    # ---- the Responses API stream --------------------------------------
    # ---- the Responses API over a WebSocket (codex's responses_websockets) --
    WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def ws_read_frame(self):
        h = self.rfile.read(2)
        if len(h) < 2:
            return None
        fin, op, n = h[0] & 0x80, h[0] & 0x0F, h[1] & 0x7F
        if n == 126:
            n = struct.unpack(">H", self.rfile.read(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self.rfile.read(8))[0]
        mask = self.rfile.read(4) if h[1] & 0x80 else None
        data = self.rfile.read(n)
        if mask:
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return bool(fin), op, data

    def ws_send(self, op, data):
        n = len(data)
        if n < 126:
            h = bytes([0x80 | op, n])
        elif n < 65536:
            h = bytes([0x80 | op, 126]) + struct.pack(">H", n)
        else:
            h = bytes([0x80 | op, 127]) + struct.pack(">Q", n)
        self.wfile.write(h + data)
        self.wfile.flush()

    def ws_session(self):
        """GET .../responses with Upgrade: websocket: each text message
        {"type":"response.create"|"response.append", ...request body...}
        is answered with the same events the SSE path sends, one text
        frame each.  No extension is offered by codex, none is taken."""
        key = self.headers.get("Sec-WebSocket-Key") or ""
        accept = base64.b64encode(hashlib.sha1((key + self.WS_GUID).encode()).digest()).decode()
        self.write_log({"ts": round(time.time(), 3), "method": "GET", "path": self.path,
                        "headers": [[k, v] for k, v in self.headers.items()],
                        "answer": "websocket-upgrade", "status": 101,
                        "tls": isinstance(self.connection, ssl.SSLSocket)})
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        parts, opcode = [], None
        session_model = None  # response.append names none: the socket's
        while True:
            frame = self.ws_read_frame()
            if frame is None:
                return
            fin, op, data = frame
            if op == 0x8:
                self.ws_send(0x8, data[:2] or struct.pack(">H", 1000))
                return
            if op == 0x9:
                self.ws_send(0xA, data)
                continue
            if op in (0x1, 0x2):
                parts, opcode = [data], op
            elif op == 0x0:
                parts.append(data)
            if not fin or opcode != 0x1:
                continue
            try:
                msg = json.loads(b"".join(parts))
            except ValueError:
                continue
            entry = {"ts": round(time.time(), 3), "method": "WS", "path": self.path,
                     "transport": "websocket", "ws_type": msg.get("type"), "body": msg}
            if msg.get("type") in ("response.create", "response.append"):
                body = {k: v for k, v in msg.items() if k != "type"}
                session_model = body.get("model") or session_model
                if session_model and "model" not in body:
                    body["model"] = session_model
                self.answer_responses(body, entry, ws=True)
            self.write_log(entry)

    def answer_responses(self, body, entry, ws=False):
        n = next_id()
        resp_id = "resp_mock_%04d" % n
        model = body.get("model") or MODEL_DEFAULT
        outputs = function_outputs(body)
        if body.get("generate") is False:
            turn = 0        # codex 0.171's WebSocket prewarm: no output wanted
        elif outputs:
            turn = 2
        elif offered_tools(body):
            turn = 1
        else:
            turn = 3        # no tools to call (e.g. an SDK's plain request): text
        entry["turn"] = turn
        created_at = int(time.time())
        delay = self.server.opts.delay_ms / 1000.0
        seq = [0]

        def base_response(status, output, usage=None):
            r = {
                "id": resp_id,
                "object": "response",
                "created_at": created_at,
                "status": status,
                "background": False,
                "error": None,
                "incomplete_details": None,
                "instructions": None,
                "max_output_tokens": None,
                "model": model,
                "output": output,
                "parallel_tool_calls": bool(body.get("parallel_tool_calls", False)),
                "previous_response_id": None,
                "prompt_cache_key": body.get("prompt_cache_key"),
                "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
                "store": bool(body.get("store", False)),
                "temperature": 1.0,
                "text": body.get("text") or {"format": {"type": "text"}},
                "tool_choice": body.get("tool_choice", "auto"),
                "tools": [],
                "top_p": 1.0,
                "truncation": "disabled",
                "usage": usage,
                "user": None,
                "metadata": {},
            }
            return r

        if turn == 0:
            entry["answer"] = "prewarm"
        elif turn == 1:
            name, args = pick_tool(body)
            entry["answer"] = "function_call:" + name
        elif turn == 2:
            ok = any(TOOL_MARKER in o for o in outputs)
            entry["answer"] = "message:" + ("tool-ok" if ok else "tool-output-missing-marker")
        else:
            entry["answer"] = "message:plain"

        if not ws:
            self.sse_head(n)
        entry["response_id"] = resp_id
        entry["sse_events"] = events_sent = []

        def emit(kind, **fields):
            events_sent.append(kind)
            ev = {"type": kind, "sequence_number": seq[0]}
            ev.update(fields)
            seq[0] += 1
            js = json.dumps(ev, separators=(",", ":"))
            if ws:
                self.ws_send(0x1, js.encode("utf-8"))
            else:
                data = "event: %s\ndata: %s\n\n" % (kind, js)
                self.write_chunk(data.encode("utf-8"))
            if delay:
                time.sleep(delay)

        self.stream_turn(body, n, resp_id, turn, base_response, emit, entry)
        if not ws:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

    def sse_head(self, n):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("x-request-id", "req_mock_%04d" % n)
        self.send_header("openai-processing-ms", "5")
        self.send_header("openai-version", "2020-10-01")
        self.send_header("x-codex-primary-used-percent", "1.0")
        self.send_header("x-codex-primary-window-minutes", "300")
        self.send_header("x-codex-primary-reset-after-seconds", "1800")
        self.send_header("x-codex-secondary-used-percent", "2.0")
        self.send_header("x-codex-secondary-window-minutes", "10080")
        self.send_header("x-codex-secondary-reset-after-seconds", "86400")
        self.end_headers()

    def stream_turn(self, body, n, resp_id, turn, base_response, emit, entry):
        if turn == 1:
            name, args = pick_tool(body)
        elif turn == 2:
            ok = any(TOOL_MARKER in o for o in function_outputs(body))
        emit("response.created", response=base_response("in_progress", []))
        if turn == 0:
            usage = {"input_tokens": 0, "input_tokens_details": {"cached_tokens": 0},
                     "output_tokens": 0, "output_tokens_details": {"reasoning_tokens": 0},
                     "total_tokens": 0}
            entry["usage"] = usage
            emit("response.completed", response=base_response("completed", [], usage))
            return
        emit("response.in_progress", response=base_response("in_progress", []))

        output = []
        if turn == 1:
            # --- reasoning item with a streamed summary ---
            rs_id = "rs_mock_%04d" % n
            emit("response.output_item.added", output_index=0,
                 item={"id": rs_id, "type": "reasoning", "summary": []})
            emit("response.reasoning_summary_part.added", item_id=rs_id, output_index=0,
                 summary_index=0, part={"type": "summary_text", "text": ""})
            for piece in split_text(REASONING_SUMMARY, 4):
                emit("response.reasoning_summary_text.delta", item_id=rs_id, output_index=0,
                     summary_index=0, delta=piece)
            emit("response.reasoning_summary_text.done", item_id=rs_id, output_index=0,
                 summary_index=0, text=REASONING_SUMMARY)
            emit("response.reasoning_summary_part.done", item_id=rs_id, output_index=0,
                 summary_index=0, part={"type": "summary_text", "text": REASONING_SUMMARY})
            rs_item = {
                "id": rs_id,
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": REASONING_SUMMARY}],
                "encrypted_content": "gAAAAB" + b64url(("cxrec-mock-reasoning-%d" % n).encode()),
            }
            emit("response.output_item.done", output_index=0, item=rs_item)
            output.append(rs_item)

            # --- the function call ---
            fc_id = "fc_mock_%04d" % n
            call_id = "call_mock_%04d" % n
            args_json = json.dumps(args)
            emit("response.output_item.added", output_index=1,
                 item={"id": fc_id, "type": "function_call", "status": "in_progress",
                       "arguments": "", "call_id": call_id, "name": name})
            for piece in split_text(args_json, 3):
                emit("response.function_call_arguments.delta", item_id=fc_id, output_index=1,
                     delta=piece)
            emit("response.function_call_arguments.done", item_id=fc_id, output_index=1,
                 arguments=args_json)
            fc_item = {"id": fc_id, "type": "function_call", "status": "completed",
                       "arguments": args_json, "call_id": call_id, "name": name}
            emit("response.output_item.done", output_index=1, item=fc_item)
            output.append(fc_item)
            usage = {"input_tokens": 1200, "input_tokens_details": {"cached_tokens": 0},
                     "output_tokens": 60, "output_tokens_details": {"reasoning_tokens": 32},
                     "total_tokens": 1260}
        else:
            if turn == 2:
                text = FINAL_TEXT_OK if ok else FINAL_TEXT_BAD
            else:
                text = PLAIN_TEXT
            msg_id = "msg_mock_%04d" % n
            emit("response.output_item.added", output_index=0,
                 item={"id": msg_id, "type": "message", "status": "in_progress",
                       "role": "assistant", "content": []})
            emit("response.content_part.added", item_id=msg_id, output_index=0, content_index=0,
                 part={"type": "output_text", "annotations": [], "logprobs": [], "text": ""})
            for piece in split_text(text, 5):
                emit("response.output_text.delta", item_id=msg_id, output_index=0,
                     content_index=0, delta=piece, logprobs=[])
            emit("response.output_text.done", item_id=msg_id, output_index=0, content_index=0,
                 text=text, logprobs=[])
            part = {"type": "output_text", "annotations": [], "logprobs": [], "text": text}
            emit("response.content_part.done", item_id=msg_id, output_index=0, content_index=0,
                 part=part)
            msg_item = {"id": msg_id, "type": "message", "status": "completed",
                        "role": "assistant", "content": [part]}
            emit("response.output_item.done", output_index=0, item=msg_item)
            output.append(msg_item)
            usage = {"input_tokens": 1400, "input_tokens_details": {"cached_tokens": 1152},
                     "output_tokens": 20, "output_tokens_details": {"reasoning_tokens": 0},
                     "total_tokens": 1420}
        entry["usage"] = usage
        emit("response.completed", response=base_response("completed", output, usage))


def add_args(ap):
    ap.add_argument("--workspace-origin", default="https://chatgpt.com",
                    help="workspace_backend_origin in .../accounts/check answers: where "
                         "codex 0.171.0 sends a ChatGPT login's model traffic "
                         "(an https origin; default https://chatgpt.com)")


def main():
    mc.main("Mock OpenAI Responses upstream for codex tests", Handler, delay_ms=5.0,
            add_args=add_args,
            note=lambda opts: "zstd via " + ("python3-zstandard" if mc.zstandard is not None
                                             else "zstd CLI"))


if __name__ == "__main__":
    main()
