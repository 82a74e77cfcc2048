/*
 * out_conv.h: what the conversation view's files share (internal to
 * out_conv.c, the turns, sessions and exchanges, and out_conv_items.c,
 * the writing of text, items and a turn's end).
 */
#ifndef CX_OUT_CONV_H
#define CX_OUT_CONV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bytebuf.h"
#include "conv.h"
#include "output.h"
#include "price.h"
#include "strmap.h"

#define IND     "   "
#define IND2    "      "
/* Instructions folded: this many lines shown. */
#define FOLD_LINES      3

/* A session's last instructions: a hash of each (not their text). */
struct ins {
	uint64_t                *h;
	size_t                   n;
};

/* Turns and usage of one API. */
struct api_sum {
	const char              *name;
	size_t                   turns;
	struct cx_usage          usage;
};

struct cx_conv {
	FILE                    *f;
	const struct cx_out_ctx *ctx;
	int                      md;
	struct cx_buf            rb;            /* redacted text */
	struct cx_sessions      *sessions;
	/* Per session, in MAX_ROOMS rooms (session - 1 modulo): the tools
	 * last listed and its instructions' hashes; a room taken by another
	 * session is emptied first, so memory stays bounded. */
	char                   **tools;         /* "a, b" */
	struct ins              *ins;
	size_t                  *room_of;       /* the session in each room */
	size_t                   ntools;        /* the arrays' length */
	size_t                   last_sess;     /* the last turn's, or 0 */
	struct cx_strmap        *calls;         /* call_id -> tool name */
	size_t                   turns;
	size_t                   others;        /* exchanges not turns */
	int                      in_list;       /* of other exchanges */
	struct api_sum           apis[16];
	size_t                   napis;
	struct cx_usage          usage;         /* all turns */
	struct cx_cost           cost;          /* all turns (price.h) */
};

/* Text from the trace on one line, redacted and escaped (NULL: ""); a
 * URL (its query redacted too). */
void     cx_cv_inl(struct cx_conv *c, const char *s);
void     cx_cv_inl_url(struct cx_conv *c, const char *s);
/* A bullet (Markdown) or an indented line (plain); the caller ends it. */
void     cx_cv_item_line(struct cx_conv *c);
/* A line "what" followed by s (from the trace). */
void     cx_cv_note_line(struct cx_conv *c, const char *what, const char *s);
/* One item; mark: ">>" sent, "<<" received (tool calls are remembered in
 * c->calls for their results). */
void     cx_cv_item(struct cx_conv *c, const struct cx_item *it,
    const char *mark);
/* An instruction, folded to FOLD_LINES lines. */
void     cx_cv_instructions(struct cx_conv *c, const struct cx_item *it);
/* "input N (cached N, cache write N), output N (reasoning N), total N" */
void     cx_cv_usage_text(FILE *f, const struct cx_usage *u);
/* A turn's stop reason, usage, cost (added to c->cost) and token
 * times. */
void     cx_cv_end_of_turn(struct cx_conv *c, const struct cx_turn *t);

#endif
