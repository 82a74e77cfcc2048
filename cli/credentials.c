/*
 * credentials.c: the credential names cxrec knows (cli.h): the built-in
 * ones and every agent module's, so that run, relay and decode hide the
 * same names whatever agent made the trace.
 */
#include "agent.h"
#include "cli.h"
#include "credname.h"

void
cli_cred_names(struct cx_credname *set)
{
	cx_credname_init(set);
	for (size_t i = 0; agent_table[i] != NULL; i++)
		cx_credname_add_lists(set, agent_table[i]->cred_headers,
		    agent_table[i]->cred_query);
}
