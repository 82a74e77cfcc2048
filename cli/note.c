/* note.c: cxrec's own notes in a trace (note.h). */
#include <stdlib.h>

#include "note.h"
#include "xmalloc.h"

int
cli_note(struct cx_writer *w, cli_note_fill fill, const void *arg)
{
	struct cx_jobj j;
	size_t cap = 4096;
	char *buf = NULL;
	int rc;

	for (;;) {
		buf = xrealloc(buf, cap);
		cx_jobj_begin(&j, buf, cap);
		fill(&j, arg);
		cx_jobj_end(&j);
		if (!j.cut || cap >= CLI_NOTE_MAX)
			break;
		cap *= 2;
	}
	rc = cx_writer_jobj(w, CX_K_NOTE, CX_SRC_CLI, 0, &j);
	free(buf);
	return rc;
}
