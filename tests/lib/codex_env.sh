# shellcheck shell=bash
# tests/lib/codex_env.sh - helpers for running the real codex CLI (0.98.0) offline
# against tests/lib/mocks/mock_upstream.py.  Source it from bash test scripts:
#
#   . tests/lib/codex_env.sh
#   CODEX=$(scripts/install-codex.sh)          # before codex_env_setup (uses $HOME)
#   codex_env_setup "$WORK"                   # throwaway HOME/CODEX_HOME + config.toml
#   codex_write_chatgpt_auth                  # offline ChatGPT login (optional)
#   codex_block_internet                      # stray traffic -> refusing proxy
#   gen_certs "$WORK/certs"                   # throwaway CA + 127.0.0.1/localhost cert
#   start_mock "$WORK" --plain                # sets MOCK_PORT, MOCK_PID, MOCK_LOG
#   ...
#   stop_mock
#
# Nothing here talks to anything outside 127.0.0.0/8.  See docs/codex-protocol.md.

CODEX_ENV_SH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CXREC_REPO_ROOT=${CXREC_REPO_ROOT:-$(cd "$CODEX_ENV_SH_DIR/../.." && pwd)}
# The mock must run on Debian's python3 (python3-zstandard lives there).
MOCK_PYTHON=${MOCK_PYTHON:-/usr/bin/python3}
MOCK_SCRIPT=${MOCK_SCRIPT:-$CODEX_ENV_SH_DIR/mocks/mock_upstream.py}
# Throwaway credentials: never real ones.
CODEX_TEST_API_KEY=${CODEX_TEST_API_KEY:-sk-test-throwaway}
CODEX_TEST_ACCOUNT_ID=${CODEX_TEST_ACCOUNT_ID:-acct-test-123}

_cx_b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# _cx_jwt JSON_PAYLOAD -> header.payload.signature (signature is junk: codex
# never verifies it).
_cx_jwt() {
  local h p s
  h=$(printf '%s' '{"alg":"RS256","typ":"JWT","kid":"cxrec-test"}' | _cx_b64url)
  p=$(printf '%s' "$1" | _cx_b64url)
  s=$(printf '%s' 'cxrec-test-signature-not-checked' | _cx_b64url)
  printf '%s.%s.%s' "$h" "$p" "$s"
}

# (a) codex_env_setup DIR
# Makes DIR/home (HOME) and DIR/home/.codex (CODEX_HOME), writes a config.toml
# that turns off everything that phones home, and scrubs credential env vars.
# Remembers the real HOME in CXREC_REAL_HOME and pins CXREC_CACHE to the real
# cache so scripts/install-codex.sh still finds the installed codex.
codex_env_setup() {
  local dir=${1:?codex_env_setup DIR}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  export CXREC_REAL_HOME=${CXREC_REAL_HOME:-$HOME}
  export CXREC_CACHE=${CXREC_CACHE:-$CXREC_REAL_HOME/.cache/cxrec}
  export HOME="$dir/home"
  export CODEX_HOME="$HOME/.codex"
  export XDG_CONFIG_HOME="$HOME/.config"
  export XDG_CACHE_HOME="$HOME/.cache"
  export XDG_DATA_HOME="$HOME/.local/share"
  # codex refuses (with a WARNING on stderr) to put its helper binaries in
  # CODEX_HOME when CODEX_HOME lies under the temp dir; a private TMPDIR
  # that does not contain CODEX_HOME avoids that.
  export TMPDIR="$dir/tmp"
  mkdir -p "$CODEX_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME" "$TMPDIR"
  unset OPENAI_API_KEY CODEX_API_KEY OPENAI_BASE_URL OPENAI_ORGANIZATION OPENAI_PROJECT
  unset CODEX_REFRESH_TOKEN_URL_OVERRIDE CODEX_SANDBOX CODEX_SANDBOX_NETWORK_DISABLED
  # RUST_LOG from the caller would make codex chatty on stderr.
  unset RUST_LOG
  cat >"$CODEX_HOME/config.toml" <<'EOF'
# written by tests/lib/codex_env.sh: offline, nothing phones home
check_for_update_on_startup = false

[analytics]
enabled = false

[otel]
# metrics_exporter defaults to "statsig" (an OTLP exporter to an OpenAI host)
exporter = "none"
trace_exporter = "none"
metrics_exporter = "none"
log_user_prompt = false

[features]
# HTTP + SSE only; the websocket transport stays off (it is off by default).
responses_websockets = false
EOF
}

# (b) codex_write_chatgpt_auth [ACCOUNT_ID] [LAST_REFRESH_AGE_DAYS] [EXP_SECS]
# Writes $CODEX_HOME/auth.json for an offline ChatGPT login: id_token and
# access_token are unsigned JWTs, no API key, last_refresh = now (RFC 3339
# UTC).  With LAST_REFRESH_AGE_DAYS > 8 codex refreshes the token first, i.e.
# POSTs to $CODEX_REFRESH_TOKEN_URL_OVERRIDE, which start_mock points at the
# mock (without it codex would go to auth.openai.com: keep start_mock first).
# Current codex (after 0.125.0) refreshes when the access token's exp is
# within 5 minutes: EXP_SECS (default 30 days) sets it.
codex_write_chatgpt_auth() {
  local acct=${1:-$CODEX_TEST_ACCOUNT_ID} age_days=${2:-0} exp_secs=${3:-$((30 * 24 * 3600))}
  : "${CODEX_HOME:?call codex_env_setup first}"
  local now exp id_payload access_payload id_token access_token last_refresh
  now=$(date -u +%s)
  exp=$((now + exp_secs))
  last_refresh=$(date -u -d "@$((now - age_days * 86400))" +%Y-%m-%dT%H:%M:%S.000000Z)
  id_payload=$(printf '{"iss":"https://auth.openai.com","aud":["app_cxrec_test"],"sub":"auth0|cxrec-test-user","email":"cxrec-test@example.com","email_verified":true,"iat":%d,"exp":%d,"auth_time":%d,"https://api.openai.com/auth":{"chatgpt_plan_type":"pro","chatgpt_account_id":"%s","chatgpt_user_id":"user-test-123","user_id":"user-test-123","organizations":[]}}' \
    "$now" "$exp" "$now" "$acct")
  access_payload=$(printf '{"iss":"https://auth.openai.com","aud":["https://api.openai.com/v1"],"sub":"auth0|cxrec-test-user","iat":%d,"exp":%d,"scp":["openid","profile","email","offline_access"],"https://api.openai.com/auth":{"chatgpt_plan_type":"pro","chatgpt_account_id":"%s","chatgpt_user_id":"user-test-123","user_id":"user-test-123"},"https://api.openai.com/profile":{"email":"cxrec-test@example.com","email_verified":true}}' \
    "$now" "$exp" "$acct")
  id_token=$(_cx_jwt "$id_payload")
  access_token=$(_cx_jwt "$access_payload")
  (
  umask 077
  cat >"$CODEX_HOME/auth.json" <<EOF
{
  "auth_mode": "chatgpt",
  "OPENAI_API_KEY": null,
  "tokens": {
    "id_token": "$id_token",
    "access_token": "$access_token",
    "refresh_token": "rt-cxrec-test-refresh-token",
    "account_id": "$acct"
  },
  "last_refresh": "$last_refresh"
}
EOF
  )
  export CODEX_TEST_ID_TOKEN=$id_token CODEX_TEST_ACCESS_TOKEN=$access_token
}

# (c) codex_block_internet [DEAD_PORT]
# Any proxy-honouring client (codex uses reqwest, which reads these) sends
# non-loopback traffic to a loopback port nobody listens on, so it fails fast.
# NO_PROXY keeps 127.0.0.1/localhost/::1 direct.
codex_block_internet() {
  local port=${1:-${CXREC_DEAD_PORT:-9}}
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "codex_env: 127.0.0.1:$port accepts connections; pick another CXREC_DEAD_PORT" >&2
    return 1
  fi
  local p="http://127.0.0.1:$port"
  export HTTPS_PROXY=$p HTTP_PROXY=$p ALL_PROXY=$p https_proxy=$p http_proxy=$p all_proxy=$p
  export NO_PROXY=127.0.0.1,localhost,::1 no_proxy=127.0.0.1,localhost,::1
}

# (d) gen_certs DIR
# Throwaway CA (DIR/ca.pem, DIR/ca.key) and a server certificate for
# 127.0.0.1, ::1 and localhost signed by it (DIR/server.pem, DIR/server.key).
# Verify with: curl --cacert DIR/ca.pem https://127.0.0.1:PORT/...
gen_certs() {
  local dir=${1:?gen_certs DIR}
  mkdir -p "$dir"
  (
    set -e
    cd "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 2 \
      -keyout ca.key -out ca.pem -subj "/CN=cxrec throwaway test CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -sha256 \
      -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
    cat >server.ext <<'EOF'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
EOF
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -days 2 -sha256 -extfile server.ext -out server.pem 2>/dev/null
    rm -f server.csr ca.srl
    openssl verify -CAfile ca.pem server.pem >/dev/null
  ) || { echo "gen_certs: openssl failed in $dir" >&2; return 1; }
}

# (e) start_mock DIR [mock options...]   e.g. start_mock "$W" --plain
#     start_mock "$W" --tls-cert "$W/certs/server.pem" --tls-key "$W/certs/server.key"
# Starts tests/lib/mocks/mock_upstream.py in the background on 127.0.0.1, waits for its
# port file, sets MOCK_PORT, MOCK_PID, MOCK_LOG (DIR/mock.jsonl), MOCK_STDERR,
# exports CODEX_REFRESH_TOKEN_URL_OVERRIDE to the mock, and appends stop_mock
# to the EXIT trap (CXREC_NO_MOCK_TRAP=1 to skip).  NB: a bare `wait` in the
# caller also waits for the mock; wait for specific pids instead.
start_mock() {
  local dir=${1:?start_mock DIR [options]}
  shift
  mkdir -p "$dir"
  local pf="$dir/mock.port"
  rm -f "$pf"
  MOCK_LOG=${MOCK_LOG_FILE:-$dir/mock.jsonl}
  MOCK_STDERR="$dir/mock.stderr"
  "$MOCK_PYTHON" "$MOCK_SCRIPT" --host 127.0.0.1 --port 0 --port-file "$pf" \
    --log "$MOCK_LOG" "$@" 2>"$MOCK_STDERR" &
  MOCK_PID=$!
  local _
  for _ in $(seq 1 100); do
    [ -s "$pf" ] && break
    if ! kill -0 "$MOCK_PID" 2>/dev/null; then
      echo "start_mock: mock died:" >&2; cat "$MOCK_STDERR" >&2; MOCK_PID=; return 1
    fi
    sleep 0.05
  done
  if [ ! -s "$pf" ]; then
    echo "start_mock: no port file after 5s" >&2; stop_mock; return 1
  fi
  MOCK_PORT=$(cat "$pf")
  local scheme=http
  case " $* " in *" --tls-cert "*) scheme=https ;; esac
  MOCK_URL="$scheme://127.0.0.1:$MOCK_PORT"
  export MOCK_PORT MOCK_PID MOCK_LOG MOCK_URL
  export CODEX_REFRESH_TOKEN_URL_OVERRIDE="$MOCK_URL/oauth/token"
  if [ -z "${CXREC_NO_MOCK_TRAP:-}" ]; then
    _cx_add_exit_trap stop_mock
  fi
}

# Append a command to the EXIT trap instead of replacing the caller's.
_cx_add_exit_trap() {
  local old
  old=$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")
  case "$old" in *"$1"*) return 0 ;; esac
  # shellcheck disable=SC2064
  trap "${old:+$old; }$1" EXIT
}

stop_mock() {
  if [ -n "${MOCK_PID:-}" ]; then
    kill "$MOCK_PID" 2>/dev/null || true
    wait "$MOCK_PID" 2>/dev/null || true
    MOCK_PID=
  fi
}

# codex_exec_args: the flags that make `codex exec` run unattended, execute
# tool calls without a sandbox and never prompt.  Usage:
#   "$CODEX" exec $(codex_exec_args) "prompt"
codex_exec_args() {
  printf '%s\n' --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox --color never
}
