/* credentials.c: the credential names cxrec knows (cli.h). */
#include "cli.h"
#include "credname.h"

void
cli_cred_names(struct cx_credname *set)
{
	cx_credname_init(set);
	/*
	 * Each agent module adds its own here:
	 *	cx_credname_add_lists(set, agent->cred_headers,
	 *	    agent->cred_query);
	 */
}
