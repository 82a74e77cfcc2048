/*
 * gemini.c: Google's Gemini CLI (npm @google/gemini-cli, node).  With an
 * API key it talks to the Gemini API at GOOGLE_GEMINI_BASE_URL (the relay);
 * a Google login (Code Assist, cloudcode-pa.googleapis.com) and its other
 * hosts go through the forward proxy.  Keys travel as x-goog-api-key and
 * ?key=.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

static const char *const programs[] = { "gemini", "gemini.js", NULL };
static const char *const packages[] = { "@google/gemini-cli", NULL };
static const char *const hosts[] = { "generativelanguage.googleapis.com",
    "cloudcode-pa.googleapis.com", "oauth2.googleapis.com",
    "*.googleapis.com", "accounts.google.com", NULL };
static const char *const cred_headers[] = { "x-goog-api-key", NULL };
static const char *const cred_query[] = { "key", NULL };

static void
login(struct agent_run *run)
{
	static const char *const keys[] = { "GEMINI_API_KEY", "GOOGLE_API_KEY",
	    NULL };
	const char *v;

	if ((v = getenv("GOOGLE_GENAI_USE_VERTEXAI")) != NULL &&
	    strcmp(v, "true") == 0) {
		snprintf(run->login, sizeof(run->login), "vertex");
		snprintf(run->login_why, sizeof(run->login_why),
		    "GOOGLE_GENAI_USE_VERTEXAI=true");
		return;
	}
	for (size_t i = 0; keys[i] != NULL; i++)
		if ((v = getenv(keys[i])) != NULL && v[0] != '\0') {
			snprintf(run->login, sizeof(run->login), "api");
			snprintf(run->login_why, sizeof(run->login_why),
			    "%s is set", keys[i]);
			return;
		}
	snprintf(run->login, sizeof(run->login), "google");
	snprintf(run->login_why, sizeof(run->login_why),
	    "no GEMINI_API_KEY: a Google login (Code Assist, via the proxy)");
}

static int
plan(struct agent_run *run)
{
	login(run);
	return agent_root_plan(run, "GOOGLE_GEMINI_BASE_URL", "https://generativelanguage.googleapis.com");
}

static int
point(struct agent_run *run)
{
	return agent_root_point(run, "GOOGLE_GEMINI_BASE_URL");
}

const struct agent agent_gemini = {
	.name = "gemini",
	.title = "Google Gemini CLI",
	.verified = "0.61.0",
	.programs = programs,
	.packages = packages,
	.hosts = hosts,
	.cred_headers = cred_headers,
	.cred_query = cred_query,
	.plan = plan,
	.point = point,
};
