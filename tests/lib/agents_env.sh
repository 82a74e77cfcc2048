# shellcheck shell=bash
# tests/lib/agents_env.sh - helpers for running the real Claude Code (2.1.332) and
# Gemini CLI (0.61.0) offline against tests/lib/mocks/mock_anthropic.py and
# tests/lib/mocks/mock_gemini.py.  Source it from bash test scripts:
#
#   . tests/lib/agents_env.sh
#   agents_netns_reexec "$0" "$@" || skip "$AGENTS_NETNS_WHY"  # rest runs in a netns
#   CLAUDE=$(claude_install); GEMINI=$(gemini_install)  # before *_env_setup
#   gen_certs "$W/certs"                       # throwaway CA (codex_env.sh)
#   start_anthropic_mock "$W" --tls-cert "$W/certs/server.pem" --tls-key "$W/certs/server.key"
#   claude_env_setup "$W/claude"               # throwaway HOME, quiet env
#   claude_use_mock "$ANTHROPIC_MOCK_URL" "$W/certs/ca.pem" [api-key|oauth]
#   agents_block_internet                      # stray traffic -> refusing port
#   (cd "$W/claude/proj" && "$CLAUDE" $(claude_headless_args) "run the tool")
#   ...same for gemini: start_gemini_mock, gemini_env_setup,
#      gemini_use_mock, "$GEMINI" $(gemini_headless_args) "run the tool"
#
# Nothing here talks to anything outside 127.0.0.0/8.  What the agents send
# and the hosts they try: docs/agents.md.

AGENTS_ENV_SH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# gen_certs, codex_block_internet, _cx_add_exit_trap, MOCK_PYTHON
. "$AGENTS_ENV_SH_DIR/codex_env.sh"

CLAUDE_VERSION=${CLAUDE_VERSION:-2.1.332}
GEMINI_VERSION=${GEMINI_VERSION:-0.61.0}
# Throwaway credentials, shaped like the real ones: never real ones.
CLAUDE_TEST_API_KEY=${CLAUDE_TEST_API_KEY:-sk-ant-api03-cxrec-test-throwaway-key-AAAA}
CLAUDE_TEST_OAUTH_TOKEN=${CLAUDE_TEST_OAUTH_TOKEN:-sk-ant-oat01-cxrec-test-throwaway-token-AAAA}
GEMINI_TEST_API_KEY=${GEMINI_TEST_API_KEY:-AIzaSyCxrecTestThrowawayKey000000000000}

# ---- installs ---------------------------------------------------------------
# claude_install / gemini_install: print the executable (installing it into
# the cache first if needed, scripts/install-agent.sh).  Call them before
# *_env_setup, or keep CXREC_CACHE pointing at the real cache.
claude_install() { "$CXREC_REPO_ROOT/scripts/install-agent.sh" claude "$CLAUDE_VERSION"; }
gemini_install() { "$CXREC_REPO_ROOT/scripts/install-agent.sh" gemini "$GEMINI_VERSION"; }

# ---- network namespace -------------------------------------------------------
# in_netns CMD...: run CMD as root in a new network namespace whose only
# interface is lo (up): nothing outside it is reachable, not even DNS.
# Mocks and agents that must talk go in the same namespace (run a whole
# script with it, see agents_netns_reexec).  When no namespace can be made:
# "SKIP: <reason>" on stdout, status 77 (the integration tests' skip).
in_netns() {
  if ! agents_netns_ok; then
    echo "SKIP: $AGENTS_NETNS_WHY"
    return 77
  fi
  unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"
}

# agents_netns_ok: 0 when in_netns can work here; otherwise 1 with the reason
# in AGENTS_NETNS_WHY.
agents_netns_ok() {
  AGENTS_NETNS_WHY=
  if [ "$(id -u)" != 0 ]; then
    AGENTS_NETNS_WHY="not root: the agents run in a loopback-only network namespace (unshare -n)"
  elif ! command -v unshare >/dev/null 2>&1 || ! command -v ip >/dev/null 2>&1; then
    AGENTS_NETNS_WHY="unshare or ip not installed (util-linux, iproute2)"
  elif ! unshare -n sh -c 'ip link set lo up' >/dev/null 2>&1; then
    AGENTS_NETNS_WHY="unshare -n is not permitted here (no CAP_SYS_ADMIN in this container?)"
  fi
  [ -z "$AGENTS_NETNS_WHY" ]
}

# agents_netns_reexec SCRIPT ARGS...: unless already inside (CXREC_IN_NETNS=1),
# re-run `bash SCRIPT ARGS...` inside in_netns and exit with its status.
# Returns 1 (AGENTS_NETNS_WHY says why) when a namespace cannot be made.
agents_netns_reexec() {
  local script=${1:?agents_netns_reexec SCRIPT [ARGS...]}
  shift
  [ "${CXREC_IN_NETNS:-}" = 1 ] && return 0
  agents_netns_ok || return 1
  CXREC_IN_NETNS=1 in_netns bash "$script" "$@"
  exit $?
}

# agents_netns_try SCRIPT ARGS...: like agents_netns_reexec, but where no
# namespace can be made the script goes on here (its stray traffic still
# goes to a refusing port: agents_block_internet).
agents_netns_try() {
  [ "${CXREC_IN_NETNS:-}" = 1 ] && return 0
  agents_netns_ok || return 0
  CXREC_IN_NETNS=1 in_netns bash "$@"
  exit $?
}

# agents_block_internet [PORT]: proxy variables at a refusing loopback port,
# NO_PROXY for loopback (codex_env.sh's codex_block_internet).
agents_block_internet() { codex_block_internet "$@"; }

# start_deny_proxy DIR: like agents_block_internet, but the proxy
# (tests/lib/mocks/deny_proxy.py) records each attempt (CONNECT host:port or request
# line) in DIR/deny_proxy.jsonl (DENY_PROXY_LOG) before refusing it, so a
# test can list or forbid stray traffic.  Sets DENY_PROXY_PID; stopped at
# exit unless CXREC_NO_MOCK_TRAP=1 (then: stop_deny_proxy).
start_deny_proxy() {
  local dir=${1:?start_deny_proxy DIR} _
  mkdir -p "$dir"
  local pf="$dir/deny_proxy.port"
  rm -f "$pf"
  DENY_PROXY_LOG="$dir/deny_proxy.jsonl"
  : >"$DENY_PROXY_LOG"
  "$MOCK_PYTHON" "$AGENTS_ENV_SH_DIR/mocks/deny_proxy.py" --port-file "$pf" --log "$DENY_PROXY_LOG" \
    2>"$dir/deny_proxy.stderr" &
  DENY_PROXY_PID=$!
  for _ in $(seq 1 100); do
    [ -s "$pf" ] && break
    sleep 0.05
  done
  [ -s "$pf" ] || { echo "start_deny_proxy: no port file" >&2; return 1; }
  local p
  p="http://127.0.0.1:$(cat "$pf")"
  export HTTPS_PROXY=$p HTTP_PROXY=$p ALL_PROXY=$p https_proxy=$p http_proxy=$p all_proxy=$p
  export NO_PROXY=127.0.0.1,localhost,::1 no_proxy=127.0.0.1,localhost,::1
  export DENY_PROXY_LOG DENY_PROXY_PID
  if [ -z "${CXREC_NO_MOCK_TRAP:-}" ]; then
    _cx_add_exit_trap stop_deny_proxy
  fi
}

stop_deny_proxy() {
  if [ -n "${DENY_PROXY_PID:-}" ]; then
    kill "$DENY_PROXY_PID" 2>/dev/null || true
    wait "$DENY_PROXY_PID" 2>/dev/null || true
    DENY_PROXY_PID=
  fi
}

# ---- mocks --------------------------------------------------------------------
# start_anthropic_mock DIR [mock options...]
# start_gemini_mock DIR [mock options...]
#   e.g. start_anthropic_mock "$W" --tls-cert "$W/certs/server.pem" --tls-key "$W/certs/server.key"
#        start_gemini_mock "$W" --plain
# Start the mock on 127.0.0.1 (any free port) logging to DIR/anthropic.jsonl
# or DIR/gemini.jsonl; set ANTHROPIC_MOCK_{PORT,PID,LOG,URL} or
# GEMINI_MOCK_{PORT,PID,LOG,URL}; add stop_anthropic_mock / stop_gemini_mock
# to the EXIT trap unless CXREC_NO_MOCK_TRAP=1 (tests/lib/lib.sh users: defer).
start_anthropic_mock() { _agents_start_mock ANTHROPIC mock_anthropic.py anthropic "$@"; }
start_gemini_mock() { _agents_start_mock GEMINI mock_gemini.py gemini "$@"; }
stop_anthropic_mock() { _agents_stop_mock ANTHROPIC; }
stop_gemini_mock() { _agents_stop_mock GEMINI; }

_agents_start_mock() {
  local var=$1 script=$2 name=$3 dir=${4:?start_${3}_mock DIR [options]}
  shift 4
  mkdir -p "$dir"
  local pf="$dir/$name.port" log="$dir/$name.jsonl" err="$dir/$name.stderr" pid _
  rm -f "$pf"
  "$MOCK_PYTHON" "$AGENTS_ENV_SH_DIR/mocks/$script" --host 127.0.0.1 --port 0 --port-file "$pf" \
    --log "$log" "$@" 2>"$err" &
  pid=$!
  for _ in $(seq 1 100); do
    [ -s "$pf" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "start_${name}_mock: mock died:" >&2; cat "$err" >&2; return 1
    fi
    sleep 0.05
  done
  if [ ! -s "$pf" ]; then
    echo "start_${name}_mock: no port file after 5s" >&2; kill "$pid" 2>/dev/null; return 1
  fi
  local port scheme=http
  port=$(cat "$pf")
  case " $* " in *" --tls-cert "*) scheme=https ;; esac
  printf -v "${var}_MOCK_PORT" %s "$port"
  printf -v "${var}_MOCK_PID" %s "$pid"
  printf -v "${var}_MOCK_LOG" %s "$log"
  printf -v "${var}_MOCK_URL" %s "$scheme://127.0.0.1:$port"
  export "${var}_MOCK_PORT" "${var}_MOCK_PID" "${var}_MOCK_LOG" "${var}_MOCK_URL"
  if [ -z "${CXREC_NO_MOCK_TRAP:-}" ]; then
    _cx_add_exit_trap "stop_${name}_mock"
  fi
}

_agents_stop_mock() {
  local v="${1}_MOCK_PID"
  if [ -n "${!v:-}" ]; then
    kill "${!v}" 2>/dev/null || true
    wait "${!v}" 2>/dev/null || true
    printf -v "$v" %s ""
  fi
}

# ---- throwaway homes ------------------------------------------------------------
# _agents_home DIR: DIR/home as HOME (XDG dirs and TMPDIR inside DIR), DIR/proj
# as the project the agent works in; remembers the real HOME and pins
# CXREC_CACHE to the real cache so the installers still find the agents.
_agents_home() {
  local dir=$1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  export CXREC_REAL_HOME=${CXREC_REAL_HOME:-$HOME}
  export CXREC_CACHE=${CXREC_CACHE:-$CXREC_REAL_HOME/.cache/cxrec}
  export HOME="$dir/home"
  export XDG_CONFIG_HOME="$HOME/.config" XDG_CACHE_HOME="$HOME/.cache"
  export XDG_DATA_HOME="$HOME/.local/share" XDG_STATE_HOME="$HOME/.local/state"
  export TMPDIR="$dir/tmp"
  mkdir -p "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME" "$XDG_STATE_HOME" \
    "$TMPDIR" "$dir/proj"
  AGENT_PROJECT="$dir/proj"
  export AGENT_PROJECT
}

# claude_env_setup DIR
# Throwaway HOME for Claude Code; every credential or endpoint variable the
# caller had is dropped (including CLAUDECODE, which makes claude refuse to
# start "inside another Claude Code session"); nonessential traffic
# (feature flags, event logging, bootstrap, MCP registry, all to
# api.anthropic.com whatever ANTHROPIC_BASE_URL says), the auto-updater,
# telemetry and error reporting are off; IS_SANDBOX=1 lets root use
# --dangerously-skip-permissions.  No onboarding file is needed for -p.
claude_env_setup() {
  _agents_home "${1:?claude_env_setup DIR}"
  unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN ANTHROPIC_BASE_URL ANTHROPIC_MODEL \
    ANTHROPIC_SMALL_FAST_MODEL ANTHROPIC_CUSTOM_HEADERS ANTHROPIC_BETAS \
    CLAUDE_CODE_OAUTH_TOKEN CLAUDE_CODE_USE_BEDROCK CLAUDE_CODE_USE_VERTEX \
    CLAUDE_CODE_USE_FOUNDRY CLAUDE_CONFIG_DIR CLAUDECODE CLAUDE_CODE_ENTRYPOINT \
    CLAUDE_CODE_SSE_PORT NODE_EXTRA_CA_CERTS SSL_CERT_FILE
  export IS_SANDBOX=1
  export CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
  export DISABLE_AUTOUPDATER=1 DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1
  export DISABLE_BUG_COMMAND=1 CLAUDE_CODE_DISABLE_TERMINAL_TITLE=1
  mkdir -p "$HOME/.claude"
}

# claude_use_mock URL [CA_PEM] [api-key|oauth]
# Point Claude Code at URL (http:// works too) with a throwaway credential:
# api-key -> ANTHROPIC_API_KEY (sent as x-api-key), oauth ->
# CLAUDE_CODE_OAUTH_TOKEN (sent as Authorization: Bearer, plus
# anthropic-beta oauth-2025-04-20).  CA_PEM goes to NODE_EXTRA_CA_CERTS
# (claude, a Bun binary, honours it and also SSL_CERT_FILE).
claude_use_mock() {
  local url=${1:?claude_use_mock URL [CA_PEM] [api-key|oauth]} ca=${2:-} mode=${3:-api-key}
  export ANTHROPIC_BASE_URL=$url
  [ -n "$ca" ] && export NODE_EXTRA_CA_CERTS=$ca
  unset ANTHROPIC_API_KEY CLAUDE_CODE_OAUTH_TOKEN
  case "$mode" in
    api-key) export ANTHROPIC_API_KEY=$CLAUDE_TEST_API_KEY ;;
    oauth) export CLAUDE_CODE_OAUTH_TOKEN=$CLAUDE_TEST_OAUTH_TOKEN ;;
    *) echo "claude_use_mock: mode api-key or oauth, not '$mode'" >&2; return 1 ;;
  esac
}

# claude_headless_args: flags for one unattended turn; the prompt follows.
#   "$CLAUDE" $(claude_headless_args) "run the tool"
claude_headless_args() {
  printf '%s\n' --dangerously-skip-permissions --output-format text -p
}

# gemini_env_setup DIR
# Throwaway HOME for Gemini CLI with ~/.gemini/settings.json choosing API-key
# auth and turning off what phones home or prompts: usage statistics
# (Clearcut, play.googleapis.com/log), telemetry, update checks, IDE
# integration, folder trust.  Every Google credential variable is dropped.
gemini_env_setup() {
  _agents_home "${1:?gemini_env_setup DIR}"
  unset GEMINI_API_KEY GOOGLE_API_KEY GOOGLE_GEMINI_BASE_URL GOOGLE_VERTEX_BASE_URL \
    GOOGLE_GENAI_USE_VERTEXAI GOOGLE_GENAI_USE_GCA GOOGLE_CLOUD_PROJECT \
    GOOGLE_CLOUD_LOCATION GOOGLE_APPLICATION_CREDENTIALS GEMINI_MODEL \
    GEMINI_CLI_IDE_SERVER_PORT GEMINI_CLI_IDE_WORKSPACE_PATH GEMINI_SANDBOX SANDBOX \
    CLOUD_SHELL NODE_EXTRA_CA_CERTS
  export NO_COLOR=1
  mkdir -p "$HOME/.gemini"
  cat >"$HOME/.gemini/settings.json" <<'EOF'
{
  "security": {
    "auth": { "selectedType": "gemini-api-key" },
    "folderTrust": { "enabled": false }
  },
  "general": { "enableAutoUpdate": false, "enableAutoUpdateNotification": false },
  "privacy": { "usageStatisticsEnabled": false },
  "telemetry": { "enabled": false },
  "ide": { "enabled": false }
}
EOF
}

# gemini_use_mock URL [CA_PEM]
# Point Gemini CLI at URL (http:// works too) with a throwaway API key
# (GEMINI_API_KEY, sent as x-goog-api-key).  CA_PEM goes to
# NODE_EXTRA_CA_CERTS (gemini is node: SSL_CERT_FILE is NOT honoured).
gemini_use_mock() {
  local url=${1:?gemini_use_mock URL [CA_PEM]} ca=${2:-}
  export GOOGLE_GEMINI_BASE_URL=$url
  [ -n "$ca" ] && export NODE_EXTRA_CA_CERTS=$ca
  export GEMINI_API_KEY=$GEMINI_TEST_API_KEY
}

# gemini_headless_args: flags for one unattended turn; the prompt follows.
#   "$GEMINI" $(gemini_headless_args) "run the tool"
# --skip-trust: 0.61.0 exits 55 in an untrusted folder otherwise
# (or GEMINI_CLI_TRUST_WORKSPACE=true).
gemini_headless_args() {
  printf '%s\n' --yolo --skip-trust --output-format text -p
}
