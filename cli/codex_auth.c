/* codex_auth.c: detect codex's login mode from its environment and auth.json. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>

#include "codex_auth.h"

#define AUTH_MAX (1024 * 1024)

const char *
codex_login_name(enum codex_login m)
{
	return m == CODEX_LOGIN_CHATGPT ? "chatgpt" : "api";
}

const char *
codex_base_path(enum codex_login m)
{
	return m == CODEX_LOGIN_CHATGPT ? "/backend-api/codex" : "/v1";
}

/* Read a small file whole; NULL with errno set. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *s = NULL;

	if (f == NULL)
		return NULL;
	if (fstat(fileno(f), &st) == -1)
		goto out;
	if (!S_ISREG(st.st_mode) || st.st_size > AUTH_MAX) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		goto out;
	}
	if ((s = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	size_t n = fread(s, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		free(s);
		s = NULL;
		errno = EIO;
		goto out;
	}
	s[n] = '\0';
out:
	fclose(f);
	return s;
}

void
codex_auth_detect(struct codex_auth *a, const char *forced)
{
	char path[PATH_MAX];
	const char *home, *key;
	cJSON *j;
	char *text;

	memset(a, 0, sizeof(*a));
	a->mode = CODEX_LOGIN_API;
	if (forced != NULL) {
		a->mode = strcmp(forced, "chatgpt") == 0 ? CODEX_LOGIN_CHATGPT :
		    CODEX_LOGIN_API;
		snprintf(a->why, sizeof(a->why), "--codex-auth %s", forced);
		return;
	}
	if ((key = getenv("CODEX_API_KEY")) != NULL && key[0] != '\0') {
		snprintf(a->why, sizeof(a->why), "CODEX_API_KEY is set");
		return;
	}
	if ((home = getenv("CODEX_HOME")) != NULL && home[0] != '\0')
		snprintf(path, sizeof(path), "%s/auth.json", home);
	else if ((home = getenv("HOME")) != NULL && home[0] != '\0')
		snprintf(path, sizeof(path), "%s/.codex/auth.json", home);
	else {
		snprintf(a->why, sizeof(a->why), "no HOME or CODEX_HOME");
		return;
	}
	if ((text = slurp(path)) == NULL) {
		if (errno == ENOENT)
			snprintf(a->why, sizeof(a->why), "no %s", path);
		else {
			snprintf(a->why, sizeof(a->why), "%s unreadable", path);
			snprintf(a->warning, sizeof(a->warning), "cannot read %s "
			    "(%s); assuming API-key login", path,
			    strerror(errno));
		}
		return;
	}
	j = cJSON_Parse(text);
	free(text);
	if (j == NULL || !cJSON_IsObject(j)) {
		snprintf(a->why, sizeof(a->why), "%s unparseable", path);
		snprintf(a->warning, sizeof(a->warning), "cannot parse %s (not "
		    "a JSON object); assuming API-key login", path);
		cJSON_Delete(j);
		return;
	}
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "OPENAI_API_KEY");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "tokens");
	if (cJSON_IsString(k) && k->valuestring[0] != '\0') {
		snprintf(a->why, sizeof(a->why), "API key in %s", path);
	} else if (cJSON_IsObject(t)) {
		a->mode = CODEX_LOGIN_CHATGPT;
		snprintf(a->why, sizeof(a->why), "ChatGPT tokens in %s", path);
	} else {
		snprintf(a->why, sizeof(a->why), "no key or tokens in %s", path);
	}
	cJSON_Delete(j);
}
