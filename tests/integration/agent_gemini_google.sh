#!/usr/bin/env bash
# agent_gemini_google: the real Gemini CLI 0.61.0 under a plain `cxrec run`,
# inside a loopback-only network namespace, with what goes through cxrec's
# forward proxy rather than the relay:
#  1. a Google login (settings selectedType oauth-personal, a throwaway
#     ~/.gemini/oauth_creds.json): oauth2's tokeninfo, www.googleapis.com's
#     userinfo, then Code Assist (cloudcode-pa.googleapis.com/v1internal:...:
#     loadCodeAssist, onboardUser, the model calls...) with the
#     run_shell_command round trip, every host sent to the project's mock by
#     --map-host (CODE_ASSIST_ENDPOINT not set);
#  2. an API key with usage statistics on: the Clearcut log
#     (play.googleapis.com/log) through the proxy, the model calls through
#     the relay.
# Every request the mock saw is in the trace as source `proxy` (or the
# relay's, for case 2's model calls); no credential in any output.
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$TESTS_DIR/lib/agents_env.sh"
# npm first (it needs the registry), then the rest on loopback only.
GEMINI=$(gemini_install) || { echo "SKIP: Gemini CLI $GEMINI_VERSION is not installed and cannot be (npm)"; exit 77; }
if ! agents_netns_reexec "$0" "$@"; then
	echo "SKIP: $AGENTS_NETNS_WHY"
	exit 77
fi
. "$TESTS_DIR/lib/lib.sh"
. "$TESTS_DIR/lib/agent_check.sh"
CXREC_NO_MOCK_TRAP=1
command -v node >/dev/null || skip "node is not installed (Gemini CLI needs it)"
gen_certs "$WORK/certs"
defer stop_gemini_mock

# Throwaway Google login tokens, shaped like the real ones.
ACCESS=ya29.cxrecTestThrowawayAccessToken0000000000AAAA
REFRESH=1//0cxrecTestThrowawayRefreshToken000000000AAAA

# settings_json AUTH_TYPE USAGE_STATS: gemini_env_setup's settings with
# another auth type and usage statistics on or off.
settings_json() {
	/usr/bin/python3 - "$HOME/.gemini/settings.json" "$1" "$2" <<'EOF'
import json, sys
path, auth, usage = sys.argv[1], sys.argv[2], sys.argv[3] == "on"
s = json.load(open(path))
s["security"]["auth"]["selectedType"] = auth
s["privacy"]["usageStatisticsEnabled"] = usage
json.dump(s, open(path, "w"), indent=2)
EOF
}

# run_gemini DIR CXREC_OPTIONS...: gemini under cxrec run in DIR's project,
# its stdout and stderr in DIR/out and DIR/err.
run_gemini() {
	local dir=$1
	shift
	agents_block_internet
	cd "$AGENT_PROJECT" || return
	# shellcheck disable=SC2046
	timeout 90 "$CXREC" run --cacert "$WORK/certs/ca.pem" -o "$dir/trace.bin" "$@" \
		-- "$GEMINI" $(gemini_headless_args) "run the tool" \
		>"$dir/out" 2>"$dir/err" </dev/null
}

answers() { jsonq "$GEMINI_MOCK_LOG" '" ".join(e["answer"] for e in x)'; }

# google_login NAME EXPIRES_IN: case 1 with an access token that expires in
# EXPIRES_IN seconds (negative: already expired, refreshed first); asserts
# the answer and that every call went through the proxy.
google_login() {
	local name=$1 expires_in=$2
	dir=$WORK/$name
	start_gemini_mock "$dir" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key"
	(
		gemini_env_setup "$dir"
		settings_json oauth-personal off
		# What the CLI caches after a browser login (google-auth-library's
		# Credentials, expiry_date in ms).
		cat >"$HOME/.gemini/oauth_creds.json" <<EOF
{"access_token": "$ACCESS", "refresh_token": "$REFRESH",
 "scope": "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile openid",
 "token_type": "Bearer", "expiry_date": $(( ($(date +%s) + expires_in) * 1000 ))}
EOF
		chmod 600 "$HOME/.gemini/oauth_creds.json"
		run_gemini "$dir" --map-host "cloudcode-pa.googleapis.com=$GEMINI_MOCK_URL" \
			--map-host "oauth2.googleapis.com=$GEMINI_MOCK_URL" \
			--map-host "www.googleapis.com=$GEMINI_MOCK_URL"
	) || { cat "$dir/err"; answers; fail "$name: gemini under cxrec run exited $?"; }
	assert_contains "$(cat "$dir/out")" "Done: the tool printed cxrec-mock-tool-ok." "$name: the final answer"
	assert_contains "$(cat "$dir/err")" "no GEMINI_API_KEY" "$name: a Google login recognised"
	"$CXREC" decode -f jsonl -o "$dir/t.jsonl" "$dir/trace.bin"
	assert_eq "$(jsonq "$dir/t.jsonl" 'sorted(set(e["source"] for e in x if e["request"] and e["request"]["method"] != "CONNECT"))')" \
		"['proxy']" "$name: every call went through the proxy"
	assert_contains "$(jsonq "$dir/t.jsonl" '" ".join(url(e) for e in x)')" \
		"/v1internal:streamGenerateContent?alt=sse" "$name: Code Assist's stream recorded"
	# Code Assist wraps the Gemini API's objects: {"response": ..., "traceId"}.
	assert_contains "$(jsonq "$dir/t.jsonl" '[list(ev["data"]["response"]["candidates"][0]["content"]["parts"][0]) + list(ev["data"]) for e in x if ":streamGenerateContent" in url(e) for ev in e["response"]["sse"]]')" \
		"['functionCall', 'thoughtSignature', 'response', 'traceId']" "$name: the function call's event decoded"
}

# bearer_not TOKEN: the paths of the mock's requests (but the refresh) whose
# Authorization is not Bearer TOKEN.
bearer_not() {
	jsonq "$GEMINI_MOCK_LOG" '[e["path"] for e in x if e["answer"] != "token:refreshed" and dict((k.lower(), v) for k, v in e["headers"]).get("authorization") != "Bearer " + sys.argv[3]]' "$1"
}

# ---- 1. Google login: Code Assist through the proxy -------------------------
google_login google 3600
assert_eq "$(answers)" "tokeninfo userinfo code-assist:loadCodeAssist:new-user code-assist:onboardUser:free-tier code-assist:retrieveUserQuota code-assist:listExperiments code-assist:retrieveUserQuota code-assist:retrieveUserQuota json function_call:run_shell_command final:tool-ok" \
	"google: the calls in order"
assert_eq "$(bearer_not "$ACCESS")" "[]" "google: the cached access token on every call"
check_trace "$dir/trace.bin" "$GEMINI_MOCK_LOG" "$ACCESS" "${ACCESS:12}" "$REFRESH" "${REFRESH:8}"
check_conversation "$dir/trace.bin" gemini run_shell_command
stop_gemini_mock
echo "gemini with a Google login under cxrec run: recorded"

# ---- 1b. the same with an expired access token: refreshed first ------------
google_login google-refresh -60
assert_contains "$(answers)" "token:refreshed tokeninfo userinfo code-assist:loadCodeAssist" \
	"google-refresh: the refresh first"
fresh=$(jsonq "$GEMINI_MOCK_LOG" '[e["issued_token"] for e in x if "issued_token" in e][0]')
assert_eq "$(bearer_not "$fresh")" "[]" "google-refresh: the refreshed token on every later call"
check_trace "$dir/trace.bin" "$GEMINI_MOCK_LOG" "$ACCESS" "${ACCESS:12}" "$REFRESH" "${REFRESH:8}" \
	"$fresh" "${fresh:12}"
stop_gemini_mock
echo "gemini's token refresh under cxrec run: recorded"

# ---- 2. usage statistics (Clearcut) through the proxy, API key -------------
dir=$WORK/clearcut
start_gemini_mock "$dir" --tls-cert "$WORK/certs/server.pem" --tls-key "$WORK/certs/server.key"
(
	gemini_env_setup "$dir"
	settings_json gemini-api-key on
	export GEMINI_API_KEY=$GEMINI_TEST_API_KEY
	run_gemini "$dir" --upstream "$GEMINI_MOCK_URL" \
		--map-host "play.googleapis.com=$GEMINI_MOCK_URL"
) || { cat "$dir/err"; answers; fail "gemini (usage statistics) under cxrec run exited $?"; }
assert_contains "$(cat "$dir/out")" "Done: the tool printed cxrec-mock-tool-ok." "usage statistics: the final answer"
"$CXREC" decode -f jsonl -o "$dir/t.jsonl" "$dir/trace.bin"
assert_contains "$(answers)" "clearcut:1-events" "usage statistics: Clearcut answered"
assert_eq "$(jsonq "$dir/t.jsonl" 'sorted(set((e["source"], url(e)) for e in x if "/log?" in url(e)))')" \
	"[('proxy', '/log?format=json&hasfast=true')]" "usage statistics: Clearcut's POSTs recorded by the proxy"
assert_eq "$(jsonq "$dir/t.jsonl" 'sorted(set(e["source"] for e in x if ":streamGenerateContent" in url(e)))')" \
	"['relay']" "usage statistics: the model calls through the relay"
assert_contains "$(jsonq "$dir/t.jsonl" '" ".join(json.loads(ev["source_extension_json"])["event_name"] for e in x if "/log?" in url(e) for b in e["request"]["body"] for l in b["log_event"] for ev in (l if isinstance(l, list) else [l]))')" \
	"start_session" "usage statistics: the session's start event decoded"
check_trace "$dir/trace.bin" "$GEMINI_MOCK_LOG" "$GEMINI_TEST_API_KEY" "${GEMINI_TEST_API_KEY:8}"
stop_gemini_mock
echo "gemini's usage statistics under cxrec run: recorded"
