#!/usr/bin/python3
"""Mock of the Anthropic Messages API as Claude Code 2.1.332 uses it.

Run with Debian's interpreter: /usr/bin/python3 tests/lib/mocks/mock_anthropic.py ...
(options: see tests/lib/mocks/mock_common.py or --help).  Every request is appended to
--log as one JSON line (method, path, query, headers, body, what was answered).

Endpoints (the query, e.g. Claude Code's ?beta=true, is ignored):
  POST /v1/messages               "stream": true -> SSE (event:/data: lines):
                                  message_start, ping, content_block_start /
                                  _delta (text_delta, input_json_delta,
                                  thinking_delta + signature_delta) / _stop,
                                  message_delta (stop_reason, usage),
                                  message_stop; otherwise one JSON message.
        with the agent's shell tool offered (Bash, picked by name from
        `tools`) and no tool_result yet: a tool_use block running
        `echo cxrec-mock-tool-ok` (stop_reason tool_use);
        with a tool_result in the last user turn: the text
        "Done: the tool printed cxrec-mock-tool-ok." (or a complaint if the
        result lacks the marker);
        anything else (title, topic, quota and other small requests): a
        short text, JSON when the system prompt asks for JSON.
        A thinking block comes first whenever the request enables thinking
        ("enabled" or "adaptive"); with "display": "omitted" it has no
        text, only its signature.
  POST /v1/messages/count_tokens  {"input_tokens": N}
  GET  /v1/models[/ID]            a small model catalogue
  /api/...                        what Claude Code sends to api.anthropic.com
                                  whatever ANTHROPIC_BASE_URL says (feature
                                  flags /api/eval/sdk-*, /api/claude_cli/
                                  bootstrap, /api/claude_code_penguin_mode,
                                  /api/directory/server-urls, /api/event_logging/
                                  v2/batch, OAuth profile/roles/token):
                                  plausible answers, for a mock reached as
                                  api.anthropic.com through a proxy
  anything else                   404 in the API's error shape
See docs/agents.md for what Claude Code actually sends.
"""

import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mock_common as mc  # noqa: E402

MODEL_DEFAULT = "claude-sonnet-4-5-20250929"
THINKING_TEXT = "The user wants the tool run. I will call the shell with a harmless echo."
MODELS = [
    ("claude-opus-4-1-20250805", "Claude Opus 4.1"),
    ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5"),
    ("claude-haiku-4-5-20251001", "Claude Haiku 4.5"),
]
SHELL_TOOL_NAMES = ("Bash", "bash", "shell", "run_shell_command")


def model_info(mid, name):
    return {"type": "model", "id": mid, "display_name": name,
            "created_at": "2025-08-05T00:00:00Z"}


def pick_shell_tool(body):
    """The name of the shell tool the request offers, or None."""
    names = [t.get("name") for t in body.get("tools") or [] if isinstance(t, dict)]
    for want in SHELL_TOOL_NAMES:
        if want in names:
            return want
    return None


def block_text(block):
    """Flatten a tool_result's content (string or list of blocks) to text."""
    content = block.get("content")
    if isinstance(content, str):
        return content
    out = []
    for part in content or []:
        if isinstance(part, dict) and part.get("type") == "text":
            out.append(part.get("text") or "")
    return "\n".join(out)


def last_tool_results(body):
    """[(tool_use_id, text, is_error)] of the tool_result blocks in the last
    user message."""
    msgs = body.get("messages") or []
    for msg in reversed(msgs):
        if not isinstance(msg, dict) or msg.get("role") != "user":
            continue
        content = msg.get("content")
        if not isinstance(content, list):
            return []
        return [(b.get("tool_use_id"), block_text(b), bool(b.get("is_error")))
                for b in content if isinstance(b, dict) and b.get("type") == "tool_result"]
    return []


def system_text(body):
    system = body.get("system")
    if isinstance(system, str):
        return system
    return "\n".join(b.get("text") or "" for b in system or [] if isinstance(b, dict))


def thinking_wanted(body):
    t = body.get("thinking")
    return isinstance(t, dict) and t.get("type") in ("enabled", "adaptive")


def approx_tokens(body):
    return max(1, len(json.dumps(body)) // 4)


def plan(body):
    """What to answer: (kind, content blocks, stop_reason)."""
    results = last_tool_results(body)
    blocks = []
    if thinking_wanted(body):
        n = mc.next_id()
        # display "omitted" (Claude Code's headless runs): the API leaves the
        # thinking text out and sends only the signature.
        omitted = body["thinking"].get("display") == "omitted"
        blocks.append({"type": "thinking", "thinking": "" if omitted else THINKING_TEXT,
                       "signature": "EqMBCkgIARABGAIiQMockSignature%04dcxrecNotChecked" % n})
    if results:
        ok = any(mc.TOOL_MARKER in text for _, text, _ in results)
        blocks.append({"type": "text", "text": mc.FINAL_TEXT_OK if ok else mc.FINAL_TEXT_BAD})
        return ("final:" + ("tool-ok" if ok else "tool-output-missing-marker"), blocks, "end_turn")
    tool = pick_shell_tool(body)
    if tool:
        if tool == "Bash":
            args = {"command": mc.TOOL_COMMAND, "description": "Print the cxrec marker"}
        else:
            args = {"command": mc.TOOL_COMMAND}
        blocks.append({"type": "tool_use", "id": "toolu_mock_%04d" % mc.next_id(),
                       "name": tool, "input": args})
        return ("tool_use:" + tool, blocks, "tool_use")
    # Side requests (titles, topics, summaries, quota probes).
    sysd = system_text(body).lower()
    if "json" in sysd and "title" in sysd:
        text = json.dumps({"title": "cxrec mock session", "isNewTopic": True})
    elif "json" in sysd:
        text = "{}"
    else:
        text = "cxrec mock reply."
    blocks = [b for b in blocks if b["type"] != "thinking"] if body.get("max_tokens", 2) <= 1 else blocks
    blocks.append({"type": "text", "text": text})
    return ("side-text", blocks, "end_turn")


class AnthropicHandler(mc.BaseHandler):
    server_version = "cxrec-mock-anthropic/1"
    mock_name = "mock_anthropic"

    def error_body(self, status, message):
        kind = {400: "invalid_request_error", 401: "authentication_error",
                404: "not_found_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message},
                "request_id": "req_mock_error"}

    def api_headers(self, n):
        now = int(time.time())
        return [
            ("request-id", "req_mock_%04d" % n),
            ("anthropic-organization-id", "00000000-0000-4000-8000-00000000c0de"),
            # What the subscription (OAuth) path reads for its usage limits.
            ("anthropic-ratelimit-unified-status", "allowed"),
            ("anthropic-ratelimit-unified-reset", str(now + 5 * 3600)),
            ("anthropic-ratelimit-unified-representative-claim", "five_hour"),
            ("anthropic-ratelimit-unified-5h-status", "allowed"),
            ("anthropic-ratelimit-unified-5h-utilization", "0.01"),
            ("anthropic-ratelimit-unified-5h-reset", str(now + 5 * 3600)),
            ("anthropic-ratelimit-unified-7d-status", "allowed"),
            ("anthropic-ratelimit-unified-7d-utilization", "0.02"),
            ("anthropic-ratelimit-unified-7d-reset", str(now + 7 * 86400)),
            ("anthropic-ratelimit-unified-fallback-percentage", "0.5"),
        ]

    def route(self, entry, body, raw):
        p = self.path_only.rstrip("/")
        m = self.command
        if m == "POST" and p.endswith("/v1/messages/count_tokens"):
            entry["answer"] = "count_tokens"
            self.send_json(200, {"input_tokens": approx_tokens(body or {})})
        elif m == "POST" and p.endswith("/v1/messages"):
            if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
                entry["answer"] = "bad-request"
                self.send_json(400, self.error_body(400, "messages: field required"))
                return
            self.answer_messages(entry, body)
        elif m in ("GET", "HEAD") and p.endswith("/v1/models"):
            entry["answer"] = "models"
            data = [model_info(i, n) for i, n in MODELS]
            self.send_json(200, {"data": data, "has_more": False,
                                 "first_id": data[0]["id"], "last_id": data[-1]["id"]})
        elif m in ("GET", "HEAD") and "/v1/models/" in p:
            mid = p.rsplit("/", 1)[1]
            entry["answer"] = "model"
            self.send_json(200, model_info(mid, mid))
        elif p.startswith("/api/") or p.startswith("/v1/oauth") or p.startswith("/oauth"):
            self.answer_api(entry, p, body)
        else:
            entry["answer"] = "not-found"
            self.send_json(404, self.error_body(404, "mock: no route for %s %s" % (m, self.path)))

    # ---- /api/...: Claude Code's side endpoints ---------------------------
    def answer_api(self, entry, p, body):
        entry["answer"] = "api:" + p
        if p.endswith("/oauth/token"):
            self.send_json(200, {"access_token": "sk-ant-oat01-mock-refreshed",
                                 "refresh_token": "sk-ant-ort01-mock-refreshed",
                                 "expires_in": 28800, "token_type": "Bearer",
                                 "scope": "user:inference user:profile"})
        elif p.endswith("/oauth/profile") or p.endswith("/claude_cli_profile"):
            self.send_json(200, {
                "account": {"uuid": "00000000-0000-4000-8000-0000000acc01",
                            "email": "cxrec-test@example.com", "full_name": "cxrec test",
                            "display_name": "cxrec", "has_claude_max": True,
                            "has_claude_pro": False},
                "organization": {"uuid": "00000000-0000-4000-8000-00000000c0de",
                                 "name": "cxrec test org", "organization_type": "claude_max",
                                 "billing_type": "stripe_subscription",
                                 "rate_limit_tier": "default_claude_max_20x"}})
        elif p.endswith("/roles"):
            self.send_json(200, {"organization_role": "admin", "workspace_role": None,
                                 "organization_name": "cxrec test org"})
        elif p.startswith("/api/eval/"):
            # GrowthBook remote evaluation (feature flags): none set.
            self.send_json(200, {"features": {}})
        elif p == "/api/claude_cli/bootstrap":
            self.send_json(200, {"client_data": None, "additional_model_options": []})
        elif p == "/api/claude_code_penguin_mode":
            # "fast mode" availability for the organisation
            self.send_json(200, {"enabled": False, "disabled_reason": "preference"})
        elif p == "/api/directory/server-urls":
            # official MCP server registry
            self.send_json(200, {"urls": []})
        elif p == "/api/claude_code/policy_limits":
            self.send_json(200, {"restrictions": {}})
        elif p == "/api/claude_code/organizations/metrics_enabled":
            self.send_json(200, {"metrics_logging_enabled": False})
        elif p == "/api/claude_code/settings":
            # no managed settings for this organisation
            self.send_json(404, self.error_body(404, "no managed settings"))
        else:
            # /api/event_logging/v2/batch and the rest: an empty object.
            self.send_json(200, {})

    # ---- /v1/messages -----------------------------------------------------
    def answer_messages(self, entry, body):
        n = mc.next_id()
        kind, blocks, stop = plan(body)
        entry["answer"] = kind
        model = body.get("model") or MODEL_DEFAULT
        in_tok = approx_tokens(body)
        cache_read = in_tok * 3 // 4 if last_tool_results(body) else 0
        usage_in = {"input_tokens": in_tok - cache_read,
                    "cache_creation_input_tokens": 0 if cache_read else in_tok // 2,
                    "cache_read_input_tokens": cache_read}
        out_tok = 0
        for b in blocks:
            out_tok += max(1, len(json.dumps(b)) // 4)
        msg_id = "msg_mock_%04d" % n
        entry["message_id"] = msg_id
        entry["stream"] = bool(body.get("stream"))
        if not body.get("stream"):
            usage = dict(usage_in, output_tokens=out_tok,
                         cache_creation={"ephemeral_5m_input_tokens": usage_in["cache_creation_input_tokens"],
                                         "ephemeral_1h_input_tokens": 0},
                         service_tier="standard")
            entry["usage"] = usage
            self.send_json(200, {"id": msg_id, "type": "message", "role": "assistant",
                                 "model": model, "content": blocks, "stop_reason": stop,
                                 "stop_sequence": None, "usage": usage},
                           self.api_headers(n))
            return
        self.start_chunked(200, "text/event-stream; charset=utf-8", self.api_headers(n))
        entry["sse_events"] = sent = []

        def emit(kind_, obj):
            sent.append(kind_)
            obj = dict({"type": kind_}, **obj)
            self.write_chunk(("event: %s\ndata: %s\n\n" % (
                kind_, json.dumps(obj, separators=(",", ":")))).encode("utf-8"))
            self.pause()

        start_usage = dict(usage_in, output_tokens=1,
                           cache_creation={"ephemeral_5m_input_tokens": usage_in["cache_creation_input_tokens"],
                                           "ephemeral_1h_input_tokens": 0},
                           service_tier="standard")
        emit("message_start", {"message": {
            "id": msg_id, "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": None, "stop_sequence": None, "usage": start_usage}})
        for i, b in enumerate(blocks):
            if b["type"] == "thinking":
                emit("content_block_start", {"index": i, "content_block": {
                    "type": "thinking", "thinking": "", "signature": ""}})
                for piece in mc.split_text(b["thinking"], 3) if b["thinking"] else []:
                    emit("content_block_delta", {"index": i, "delta": {
                        "type": "thinking_delta", "thinking": piece}})
                emit("content_block_delta", {"index": i, "delta": {
                    "type": "signature_delta", "signature": b["signature"]}})
            elif b["type"] == "text":
                emit("content_block_start", {"index": i, "content_block": {
                    "type": "text", "text": ""}})
                if i == 0:
                    emit("ping", {})
                for piece in mc.split_text(b["text"], 4):
                    emit("content_block_delta", {"index": i, "delta": {
                        "type": "text_delta", "text": piece}})
            elif b["type"] == "tool_use":
                emit("content_block_start", {"index": i, "content_block": {
                    "type": "tool_use", "id": b["id"], "name": b["name"], "input": {}}})
                emit("content_block_delta", {"index": i, "delta": {
                    "type": "input_json_delta", "partial_json": ""}})
                for piece in mc.split_text(json.dumps(b["input"]), 3):
                    emit("content_block_delta", {"index": i, "delta": {
                        "type": "input_json_delta", "partial_json": piece}})
            emit("content_block_stop", {"index": i})
            if i == 0 and b["type"] != "text":
                emit("ping", {})
        final_usage = dict(usage_in, output_tokens=out_tok)
        entry["usage"] = final_usage
        emit("message_delta", {"delta": {"stop_reason": stop, "stop_sequence": None},
                               "usage": final_usage})
        emit("message_stop", {})
        self.end_chunked()


if __name__ == "__main__":
    mc.main("Mock Anthropic Messages API for Claude Code tests", AnthropicHandler)
