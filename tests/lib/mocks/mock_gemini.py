#!/usr/bin/python3
"""Mock of the Gemini API (generativelanguage.googleapis.com) as Gemini CLI
0.61.0 uses it with an API key, and of the hosts it uses with a Google
login (oauth2.googleapis.com, www.googleapis.com, Code Assist at
cloudcode-pa.googleapis.com) and for usage statistics (Clearcut,
play.googleapis.com): one server for all, the tests send each host to it
with `cxrec run --map-host HOST=URL`.

Run with Debian's interpreter: /usr/bin/python3 tests/lib/mocks/mock_gemini.py ...
(options: see tests/lib/mocks/mock_common.py or --help).  Every request is appended to
--log as one JSON line (method, path, query, headers, body, what was
answered); the key arrives as the x-goog-api-key header and/or ?key=, and is
logged as sent (the tests check that cxrec redacts it).

Endpoints (any API version prefix: /v1beta/..., /v1/..., /v1alpha/...):
  POST .../models/M:streamGenerateContent[?alt=sse]
        SSE framed as the real API does: `data: {...}\\r\\n\\r\\n`, no event:
        lines.  Chunks carry candidates[0].content.parts (a thought part when
        thinkingConfig.includeThoughts is set, text pieces, or one
        functionCall part), the last one finishReason STOP and usageMetadata
        (promptTokenCount, candidatesTokenCount, totalTokenCount,
        thoughtsTokenCount, cachedContentTokenCount).  Without alt=sse the
        same chunks are sent as one JSON array.
        turn 1 (gemini-cli's shell tool offered, no functionResponse yet): a
               functionCall of run_shell_command {"command": "echo
               cxrec-mock-tool-ok"} (name taken from the request's tools);
        turn 2 (last user content has a functionResponse): the text
               "Done: the tool printed cxrec-mock-tool-ok.";
        no tools: a short text.
  POST .../models/M:generateContent    one GenerateContentResponse; when the
        request asks for JSON (generationConfig.responseMimeType
        application/json with responseJsonSchema/responseSchema, as the
        model router, next-speaker and loop checks do) the text is a JSON
        object built from the schema: model_choice "flash", next_speaker
        "user", complexity_score 10, other fields filled by type.
  POST .../models/M:countTokens        {"totalTokens": N}
  POST .../models/M:embedContent, :batchEmbedContents   small vectors
  GET  .../models[/M]                  a small model list

Google login (the token as Authorization: Bearer; none -> 401/400):
  POST /tokeninfo                      tokeninfo of any token: azp/aud the
        CLI's client id, scope, expires_in "3599", email
  POST /token                          grant_type=refresh_token (a form) ->
        a fresh access token (logged as issued_token), expires_in 3599
  GET  /oauth2/v2/userinfo             {id, email, verified_email, name, ...}
  /v1internal:METHOD (Code Assist), the Gemini API's objects wrapped:
    POST :generateContent              {"response": GenerateContentResponse,
                                        "traceId"}; the request is {model,
                                        project, user_prompt_id, request:
                                        {contents, systemInstruction, tools,
                                        generationConfig, session_id}}
    POST :streamGenerateContent?alt=sse   each event {"response", "traceId"}
    POST :loadCodeAssist               a new user until onboardUser was
        called (allowedTiers, free-tier the default, no currentTier), then
        currentTier free-tier and cloudaicompanionProject
    POST :onboardUser                  a done operation with the project
    GET  /v1internal/operations/NAME   the same
    POST :retrieveUserQuota            one REQUESTS bucket a model
    POST :countTokens                  {"totalTokens": N}
    :listExperiments :fetchAdminControls :getCodeAssistGlobalUserSetting
    :setCodeAssistGlobalUserSetting :recordCodeAssistMetrics   small answers
Usage statistics:
  POST /log?format=json&hasfast=true   Clearcut: ["900000"] (a LogResponse,
        next_request_wait_millis first); answer clearcut:N-events
  anything else                        404 in Google's error shape
See docs/agents.md for what Gemini CLI actually sends.
"""

import base64
import json
import os
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mock_common as mc  # noqa: E402

MODEL_DEFAULT = "gemini-2.5-pro"
THOUGHT_TEXT = "**Running the check**\n\nThe user wants the tool run; a harmless echo will do."
SHELL_TOOL_NAMES = ("run_shell_command", "shell", "Bash")
MODELS = ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite",
          "gemini-3-pro-preview", "gemini-3-flash-preview"]
JSON_DEFAULTS = {"model_choice": "flash", "next_speaker": "user",
                 "complexity_score": 10}


def model_info(name):
    return {"name": "models/" + name, "version": "001", "displayName": name,
            "description": "cxrec mock model", "inputTokenLimit": 1048576,
            "outputTokenLimit": 65536,
            "supportedGenerationMethods": ["generateContent", "countTokens",
                                           "streamGenerateContent"],
            "temperature": 1.0, "topP": 0.95, "topK": 64, "thinking": True}


def split_model_method(path):
    """'/v1beta/models/gemini-2.5-pro:streamGenerateContent' ->
    ('gemini-2.5-pro', 'streamGenerateContent'); (None, None) otherwise."""
    if "/models/" not in path:
        return None, None
    tail = path.split("/models/", 1)[1]
    if ":" not in tail:
        return tail, None
    model, method = tail.rsplit(":", 1)
    return model, method


def declared_functions(body):
    names = []
    for tool in body.get("tools") or []:
        if not isinstance(tool, dict):
            continue
        for fd in tool.get("functionDeclarations") or tool.get("function_declarations") or []:
            if isinstance(fd, dict) and fd.get("name"):
                names.append(fd["name"])
    return names


def pick_shell_tool(body):
    names = declared_functions(body)
    for want in SHELL_TOOL_NAMES:
        if want in names:
            return want
    return None


def last_function_responses(body):
    """[(name, response-as-text)] of the functionResponse parts of the last
    user content."""
    for content in reversed(body.get("contents") or []):
        if not isinstance(content, dict) or content.get("role", "user") != "user":
            continue
        out = []
        for part in content.get("parts") or []:
            fr = isinstance(part, dict) and part.get("functionResponse")
            if fr:
                out.append((fr.get("name"), json.dumps(fr.get("response"))))
        return out
    return []


def generation_config(body):
    return body.get("generationConfig") or body.get("generation_config") or {}


def thoughts_wanted(body):
    tc = generation_config(body).get("thinkingConfig") or {}
    return bool(tc.get("includeThoughts"))


def json_schema(body):
    gc = generation_config(body)
    if (gc.get("responseMimeType") or "").lower() != "application/json":
        return None
    return gc.get("responseJsonSchema") or gc.get("responseSchema") or {}


def value_for(schema, key=None):
    """A value satisfying the (JSON Schema or Gemini Schema) SCHEMA."""
    if key in JSON_DEFAULTS:
        return JSON_DEFAULTS[key]
    if not isinstance(schema, dict):
        return None
    if schema.get("enum"):
        return schema["enum"][0]
    kind = str(schema.get("type") or "object").lower()
    if kind == "object":
        props = schema.get("properties") or {}
        want = schema.get("required") or list(props)
        return {k: value_for(props.get(k, {}), k) for k in want}
    if kind == "array":
        return []
    if kind == "integer":
        return 1
    if kind == "number":
        return 0.5
    if kind == "boolean":
        return False
    return "cxrec mock %s" % (key or "value")


def approx_tokens(body):
    return max(1, len(json.dumps(body)) // 4)


def plan(body, method):
    """(kind, parts, finish_reason) to answer with."""
    parts = []
    if thoughts_wanted(body):
        parts.append({"text": THOUGHT_TEXT, "thought": True})
    schema = json_schema(body)
    if schema is not None:
        return "json", [{"text": json.dumps(value_for(schema))}], "STOP"
    responses = last_function_responses(body)
    if responses:
        ok = any(mc.TOOL_MARKER in text for _, text in responses)
        parts.append({"text": mc.FINAL_TEXT_OK if ok else mc.FINAL_TEXT_BAD})
        return "final:" + ("tool-ok" if ok else "tool-output-missing-marker"), parts, "STOP"
    tool = pick_shell_tool(body)
    if tool:
        sig = base64.b64encode(("cxrec-mock-thought-signature-%d" % mc.next_id()).encode()).decode()
        parts.append({"functionCall": {"name": tool, "args": {
            "command": mc.TOOL_COMMAND, "description": "Print the cxrec marker"}},
            "thoughtSignature": sig})
        return "function_call:" + tool, parts, "STOP"
    parts.append({"text": "cxrec mock reply."})
    return "side-text", parts, "STOP"


# ---- Google login: oauth2, userinfo, Code Assist, Clearcut ---------------------
CA_VERSION = "v1internal"
MOCK_EMAIL = "cxrec-mock-user@example.com"
MOCK_PROJECT = "cxrec-mock-project-4242"
OAUTH_SCOPES = ("https://www.googleapis.com/auth/cloud-platform "
                "https://www.googleapis.com/auth/userinfo.email "
                "https://www.googleapis.com/auth/userinfo.profile openid")
GEMINI_CLI_CLIENT_ID = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com"
FREE_TIER = {"id": "free-tier", "name": "Gemini Code Assist for individuals",
             "description": "cxrec mock free tier",
             "userDefinedCloudaicompanionProject": False,
             "privacyNotice": {"showNotice": False}}
STANDARD_TIER = {"id": "standard-tier", "name": "Gemini Code Assist",
                 "description": "cxrec mock standard tier",
                 "userDefinedCloudaicompanionProject": True,
                 "privacyNotice": {}}
# Answers of the methods that only report or configure.
CA_SIMPLE = {
    "listExperiments": {"experimentIds": [], "flags": []},
    "fetchAdminControls": {"adminControlsApplicable": False},
    "getCodeAssistGlobalUserSetting": {"freeTierDataCollectionOptin": False},
    "setCodeAssistGlobalUserSetting": {"freeTierDataCollectionOptin": False},
    "recordCodeAssistMetrics": {},
}
# Paths of the other Google hosts (oauth2, www.googleapis.com, Clearcut).
GOOGLE_ROUTES = {
    "/tokeninfo": "answer_tokeninfo",
    "/oauth2/v3/tokeninfo": "answer_tokeninfo",
    "/token": "answer_token",
    "/oauth2/v2/userinfo": "answer_userinfo",
    "/oauth2/v3/userinfo": "answer_userinfo",
    "/v1/userinfo": "answer_userinfo",
    "/log": "answer_clearcut",
}
_STATE_LOCK = threading.Lock()
_STATE = {"onboarded": False}


def epoch_rfc3339(seconds_from_now):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds_from_now))


class GeminiHandler(mc.BaseHandler):
    server_version = "cxrec-mock-gemini/1"
    mock_name = "mock_gemini"

    def error_body(self, status, message):
        kind = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND"}.get(status, "INTERNAL")
        return {"error": {"code": status, "message": message, "status": kind}}

    def route(self, entry, body, raw):
        p = self.path_only.rstrip("/")
        if p.startswith("/" + CA_VERSION):
            self.route_code_assist(entry, body, p)
            return
        if p in GOOGLE_ROUTES:
            getattr(self, GOOGLE_ROUTES[p])(entry, body, raw)
            return
        model, method = split_model_method(p)
        entry["model"] = model
        if self.command == "POST" and method in ("streamGenerateContent", "generateContent"):
            if not isinstance(body, dict) or not isinstance(body.get("contents"), list):
                entry["answer"] = "bad-request"
                self.send_json(400, self.error_body(400, "contents is required"))
                return
            self.answer_generate(entry, body, model, method)
        elif self.command == "POST" and method == "countTokens":
            entry["answer"] = "countTokens"
            self.send_json(200, {"totalTokens": approx_tokens(body or {}),
                                 "promptTokensDetails": [{"modality": "TEXT",
                                                          "tokenCount": approx_tokens(body or {})}]})
        elif self.command == "POST" and method == "embedContent":
            entry["answer"] = "embedContent"
            self.send_json(200, {"embedding": {"values": [0.1, 0.2, 0.3]}})
        elif self.command == "POST" and method == "batchEmbedContents":
            n = len((body or {}).get("requests") or [])
            entry["answer"] = "batchEmbedContents"
            self.send_json(200, {"embeddings": [{"values": [0.1, 0.2, 0.3]}] * n})
        elif self.command in ("GET", "HEAD") and p.endswith("/models"):
            entry["answer"] = "models"
            self.send_json(200, {"models": [model_info(m) for m in MODELS]})
        elif self.command in ("GET", "HEAD") and model and method is None:
            entry["answer"] = "model"
            self.send_json(200, model_info(model))
        else:
            entry["answer"] = "not-found"
            self.send_json(404, self.error_body(404, "mock: no route for %s %s" % (
                self.command, self.path)))

    # ---- Google login ------------------------------------------------------
    def bearer(self):
        auth = self.headers.get("Authorization") or ""
        return auth[7:].strip() if auth[:7].lower() == "bearer " else ""

    def form(self, raw_text):
        return dict(urllib.parse.parse_qsl(raw_text or "", keep_blank_values=True))

    def answer_tokeninfo(self, entry, body, raw):
        """oauth2.googleapis.com/tokeninfo: the token as a Bearer header
        (google-auth-library's getTokenInfo, a POST without a body) or as
        access_token= in the query or a form body."""
        token = self.bearer() or self.query.get("access_token") or \
            self.form(entry.get("body_text")).get("access_token")
        if not token:
            entry["answer"] = "tokeninfo:invalid"
            self.send_json(400, {"error": "invalid_token", "error_description": "Invalid Value"})
            return
        entry["answer"] = "tokeninfo"
        self.send_json(200, {
            "azp": GEMINI_CLI_CLIENT_ID, "aud": GEMINI_CLI_CLIENT_ID,
            "sub": "104242424242424242424", "scope": OAUTH_SCOPES,
            "exp": str(int(time.time()) + 3599), "expires_in": "3599",
            "email": MOCK_EMAIL, "email_verified": "true", "access_type": "offline"})

    def answer_token(self, entry, body, raw):
        """oauth2.googleapis.com/token: grant_type=refresh_token (a form)."""
        form = self.form(entry.get("body_text"))
        if isinstance(body, dict):
            form.update({k: str(v) for k, v in body.items()})
        if form.get("grant_type") != "refresh_token" or not form.get("refresh_token"):
            entry["answer"] = "token:invalid-grant"
            self.send_json(400, {"error": "invalid_grant", "error_description": "Bad Request"})
            return
        entry["answer"] = "token:refreshed"
        entry["issued_token"] = "ya29.cxrec-mock-refreshed-%04d" % mc.next_id()
        self.send_json(200, {"access_token": entry["issued_token"], "expires_in": 3599,
                             "scope": OAUTH_SCOPES, "token_type": "Bearer"})

    def answer_userinfo(self, entry, body, raw):
        if not self.bearer():
            entry["answer"] = "userinfo:unauthenticated"
            self.send_json(401, self.error_body(401, "Request is missing required authentication credential."))
            return
        entry["answer"] = "userinfo"
        self.send_json(200, {"id": "104242424242424242424", "email": MOCK_EMAIL,
                             "verified_email": True, "name": "cxrec mock user",
                             "given_name": "cxrec", "family_name": "mock user",
                             "picture": "https://lh3.googleusercontent.com/a/cxrec-mock"})

    def answer_clearcut(self, entry, body, raw):
        """play.googleapis.com/log?format=json: a LogResponse as JSON (a
        JSPB array whose first field is next_request_wait_millis)."""
        if self.command != "POST":
            entry["answer"] = "not-found"
            self.send_json(404, self.error_body(404, "mock: Clearcut takes POST"))
            return
        events = 0
        if isinstance(body, list):
            for batch in body:
                # log_event: LogEventEntry objects, each wrapped in a list
                for item in (batch.get("log_event") or []) if isinstance(batch, dict) else []:
                    events += len(item) if isinstance(item, list) else 1
        entry["answer"] = "clearcut:%d-events" % events
        self.send_json(200, ["900000"])

    def route_code_assist(self, entry, body, p):
        """cloudcode-pa.googleapis.com/v1internal:METHOD (and
        /v1internal/operations/NAME); the token as Authorization: Bearer."""
        if not self.bearer():
            entry["answer"] = "code-assist:unauthenticated"
            self.send_json(401, self.error_body(
                401, "Request is missing required authentication credential."))
            return
        rest = p[len("/" + CA_VERSION):]
        if rest.startswith("/operations/") and self.command == "GET":
            entry["answer"] = "code-assist:operation"
            self.send_json(200, self.onboard_done(rest[1:]))
            return
        method = rest[1:] if rest.startswith(":") else ""
        entry["ca_method"] = method
        body = body if isinstance(body, dict) else {}
        if method in ("streamGenerateContent", "generateContent") and self.command == "POST":
            inner = body.get("request")
            if not isinstance(inner, dict) or not isinstance(inner.get("contents"), list):
                entry["answer"] = "bad-request"
                self.send_json(400, self.error_body(400, "request.contents is required"))
                return
            chunks = self.generate_chunks(entry, inner, body.get("model"), method)
            trace_id = "cxrecmocktrace%04d" % mc.next_id()
            wrapped = [{"response": c, "traceId": trace_id} for c in chunks]
            if method == "generateContent":
                self.send_json(200, wrapped[0])
            else:
                self.send_sse(wrapped)
            return
        if method == "loadCodeAssist" and self.command == "POST":
            with _STATE_LOCK:
                onboarded = _STATE["onboarded"]
            free = dict(FREE_TIER, isDefault=True)
            res = {"allowedTiers": [free, STANDARD_TIER], "gcpManaged": False,
                   "manageSubscriptionUri": "https://accounts.google.com/AccountChooser"}
            if onboarded:
                res["currentTier"] = dict(FREE_TIER, hasOnboardedPreviously=True)
                res["cloudaicompanionProject"] = MOCK_PROJECT
            entry["answer"] = "code-assist:loadCodeAssist:" + ("onboarded" if onboarded else "new-user")
            self.send_json(200, res)
        elif method == "onboardUser" and self.command == "POST":
            with _STATE_LOCK:
                _STATE["onboarded"] = True
            entry["answer"] = "code-assist:onboardUser:" + str(body.get("tierId"))
            self.send_json(200, self.onboard_done("operations/cxrec-mock-onboard"))
        elif method == "retrieveUserQuota" and self.command == "POST":
            entry["answer"] = "code-assist:retrieveUserQuota"
            self.send_json(200, {"buckets": [
                {"remainingFraction": 1, "resetTime": epoch_rfc3339(86400),
                 "tokenType": "REQUESTS", "modelId": m} for m in MODELS]})
        elif method == "countTokens" and self.command == "POST":
            entry["answer"] = "code-assist:countTokens"
            n = approx_tokens(body)
            self.send_json(200, {"totalTokens": n, "promptTokensDetails": [
                {"modality": "TEXT", "tokenCount": n}]})
        elif method in CA_SIMPLE and self.command in ("GET", "POST"):
            entry["answer"] = "code-assist:" + method
            self.send_json(200, CA_SIMPLE[method])
        else:
            entry["answer"] = "not-found"
            self.send_json(404, self.error_body(404, "mock: no Code Assist method %s %s" % (
                self.command, self.path)))

    def onboard_done(self, name):
        return {"name": name, "done": True, "response": {
            "@type": "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse",
            "cloudaicompanionProject": {"id": MOCK_PROJECT, "name": MOCK_PROJECT}}}

    def answer_generate(self, entry, body, model, method):
        chunks = self.generate_chunks(entry, body, model, method)
        if method == "generateContent":
            self.send_json(200, chunks[0])
        elif self.query.get("alt") != "sse":
            self.send_json(200, chunks)
        else:
            self.send_sse(chunks)

    def send_sse(self, chunks):
        """Each chunk as one `data: {...}` event, framed by CRLF CRLF."""
        self.start_chunked(200, "text/event-stream")
        for c in chunks:
            self.write_chunk(("data: " + json.dumps(c, separators=(",", ":")) + "\r\n\r\n").encode())
            self.pause()
        self.end_chunked()

    def generate_chunks(self, entry, body, model, method):
        """The GenerateContentResponse chunks answering BODY (one, whole,
        for generateContent)."""
        n = mc.next_id()
        kind, parts, finish = plan(body, method)
        entry["answer"] = kind
        model = model or MODEL_DEFAULT
        prompt = approx_tokens(body)
        cached = prompt * 3 // 4 if last_function_responses(body) else 0
        thoughts = sum(max(1, len(p["text"]) // 4) for p in parts if p.get("thought"))
        cand = sum(max(1, len(json.dumps(p)) // 4) for p in parts if not p.get("thought"))
        usage = {"promptTokenCount": prompt, "candidatesTokenCount": cand,
                 "totalTokenCount": prompt + cand + thoughts,
                 "cachedContentTokenCount": cached, "thoughtsTokenCount": thoughts,
                 "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}]}
        if cached:
            usage["cacheTokensDetails"] = [{"modality": "TEXT", "tokenCount": cached}]
        entry["usage"] = usage
        resp_id = "cxrecMockResp%04d" % n
        entry["response_id"] = resp_id

        def chunk(chunk_parts, last):
            cand_obj = {"content": {"parts": chunk_parts, "role": "model"}, "index": 0}
            if last:
                cand_obj["finishReason"] = finish
            u = usage if last else {"promptTokenCount": prompt,
                                    "totalTokenCount": prompt,
                                    "promptTokensDetails": usage["promptTokensDetails"]}
            return {"candidates": [cand_obj], "usageMetadata": u,
                    "modelVersion": model, "responseId": resp_id}

        if method == "generateContent":
            return [chunk(parts, True)]
        # Streamed: the thought, then the text in pieces (or the call whole).
        pieces = []
        for p in parts:
            if "text" in p and not p.get("thought") and kind != "json":
                pieces.extend([{"text": t} for t in mc.split_text(p["text"], 4)])
            else:
                pieces.append(p)
        chunks = [chunk([p], i == len(pieces) - 1) for i, p in enumerate(pieces)]
        entry["chunks"] = len(chunks)
        return chunks


if __name__ == "__main__":
    mc.main("Mock Gemini API for Gemini CLI tests", GeminiHandler)
