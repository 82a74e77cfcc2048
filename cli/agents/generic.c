/*
 * generic.c: any other command.  The official OpenAI and Anthropic SDKs
 * read OPENAI_BASE_URL and ANTHROPIC_BASE_URL: both point at the relay
 * (the OpenAI API under /v1, Anthropic's under /anthropic), and whatever
 * ignores them goes through the forward proxy.
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"

/* Every vendor's hosts: what the proxy intercepts under --intercept agent. */
static const char *const hosts[] = { "*.openai.com", "chatgpt.com",
    "*.chatgpt.com", "*.anthropic.com", "generativelanguage.googleapis.com",
    NULL };

static int
plan(struct agent_run *run)
{
	snprintf(run->login, sizeof(run->login), "-");
	snprintf(run->login_why, sizeof(run->login_why), "the command's own");
	if (!run->mode_forced)
		run->mode = AGENT_MODE_BOTH;
	if (!(run->mode & AGENT_MODE_BASE_URL))
		return 0;
	/* The OpenAI API keeps its paths: /v1/... to api.openai.com. */
	if (agent_route(run, "/", "https://api.openai.com") == -1 ||
	    agent_base_plan(run, "OPENAI_BASE_URL", "/v1", NULL) == -1)
		return -1;
	return agent_base_plan(run, "ANTHROPIC_BASE_URL", "/anthropic",
	    "https://api.anthropic.com/");
}

static int
point(struct agent_run *run)
{
	snprintf(run->how, sizeof(run->how), "%s",
	    run->mode == AGENT_MODE_PROXY ? "HTTPS_PROXY" :
	    run->mode == AGENT_MODE_BASE_URL ?
	    "OPENAI_BASE_URL, ANTHROPIC_BASE_URL" :
	    "OPENAI_BASE_URL, ANTHROPIC_BASE_URL and HTTPS_PROXY");
	if (!(run->mode & AGENT_MODE_BASE_URL))
		return 0;
	if (agent_base_point(run, "OPENAI_BASE_URL", "/v1") == -1)
		return -1;
	return agent_base_point(run, "ANTHROPIC_BASE_URL", "/anthropic");
}

const struct agent agent_generic = {
	.name = "generic",
	.title = "any other command (SDKs)",
	.verified = "openai 7.60.0 (node)",
	.hosts = hosts,
	.plan = plan,
	.point = point,
};
