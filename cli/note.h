/*
 * note.h: the notes cxrec itself writes into a trace (CX_K_NOTE frames,
 * source CX_SRC_CLI: what a run or a relay is, how it ended).  Each is
 * one JSON object built with common/jsonobj.h by a fill function, into a
 * buffer made larger until nothing had to be cut.
 */
#ifndef CX_NOTE_H
#define CX_NOTE_H

#include "jsonobj.h"
#include "trace.h"

/* A note larger than this is written cut (still one valid object). */
#define CLI_NOTE_MAX    (16u * 1024 * 1024)

/* Adds the note's members to j (begun, ended by cli_note). */
typedef void (*cli_note_fill)(struct cx_jobj *j, const void *arg);

/* Write the note fill makes: cx_writer_put's 0 or -1. */
int cli_note(struct cx_writer *w, cli_note_fill fill, const void *arg);

#endif
