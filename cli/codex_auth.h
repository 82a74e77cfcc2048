/* codex_auth.h: which login codex will use, found the way codex finds it. */
#ifndef CX_CODEX_AUTH_H
#define CX_CODEX_AUTH_H

#include <limits.h>

enum codex_login {
	CODEX_LOGIN_API,        /* API key: /v1 on api.openai.com */
	CODEX_LOGIN_CHATGPT,    /* ChatGPT tokens: /backend-api/codex on chatgpt.com */
};

struct codex_auth {
	enum codex_login mode;
	char             why[PATH_MAX + 96];    /* how it was decided */
	char             warning[PATH_MAX + 160]; /* a problem worth one line */
};

/*
 * Decide the login mode.  forced is "api", "chatgpt" or NULL (detect:
 * CODEX_API_KEY in the environment, else $CODEX_HOME/auth.json, default
 * ~/.codex/auth.json: an API key there means API mode, tokens ChatGPT).
 * An auth.json that cannot be read or parsed leaves API mode and a
 * warning; detection never fails.
 */
void codex_auth_detect(struct codex_auth *a, const char *forced);
const char *codex_login_name(enum codex_login m);
/* The base path codex uses in this mode: "/v1" or "/backend-api/codex". */
const char *codex_base_path(enum codex_login m);

#endif
