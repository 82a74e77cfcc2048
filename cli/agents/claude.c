/*
 * claude.c: Anthropic's Claude Code (npm @anthropic-ai/claude-code; since
 * 2.1.113 a native Bun binary with BoringSSL inside, which no preload can
 * see into).  It honours ANTHROPIC_BASE_URL for the Messages API, which
 * goes to the relay; its other hosts go through the forward proxy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

static const char *const programs[] = { "claude", "claude.exe", NULL };
static const char *const packages[] = { "@anthropic-ai/claude-code",
    "@anthropic-ai/claude-code-linux-x64",
    "@anthropic-ai/claude-code-linux-arm64", NULL };
static const char *const hosts[] = { "api.anthropic.com", "*.anthropic.com",
    "claude.ai", "*.claude.ai", "claude.com", "*.claude.com", NULL };
static const char *const cred_headers[] = { "x-api-key", NULL };

/* The login it will use, as it decides: a key, else OAuth tokens. */
static void
login(struct agent_run *run)
{
	const char *v, *home = getenv("HOME");
	char path[4200];

	if ((v = getenv("ANTHROPIC_API_KEY")) != NULL && v[0] != '\0') {
		snprintf(run->login, sizeof(run->login), "api");
		snprintf(run->login_why, sizeof(run->login_why),
		    "ANTHROPIC_API_KEY is set");
		return;
	}
	if ((v = getenv("CLAUDE_CODE_OAUTH_TOKEN")) != NULL && v[0] != '\0') {
		snprintf(run->login, sizeof(run->login), "oauth");
		snprintf(run->login_why, sizeof(run->login_why),
		    "CLAUDE_CODE_OAUTH_TOKEN is set");
		return;
	}
	snprintf(path, sizeof(path), "%s/.claude/.credentials.json",
	    home != NULL ? home : "");
	snprintf(run->login, sizeof(run->login), "oauth");
	snprintf(run->login_why, sizeof(run->login_why), "%s",
	    access(path, R_OK) == 0 ? "~/.claude/.credentials.json" :
	    "no ANTHROPIC_API_KEY: its own login");
}

static int
plan(struct agent_run *run)
{
	login(run);
	return agent_root_plan(run, "ANTHROPIC_BASE_URL", "https://api.anthropic.com");
}

static int
point(struct agent_run *run)
{
	return agent_root_point(run, "ANTHROPIC_BASE_URL");
}

const struct agent agent_claude = {
	.name = "claude",
	.title = "Anthropic Claude Code",
	.verified = "2.1.332",
	.programs = programs,
	.packages = packages,
	.hosts = hosts,
	.cred_headers = cred_headers,
	.plan = plan,
	.point = point,
};
