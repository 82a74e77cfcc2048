/*
 * tracegen.h: what the unit tests of the decoder share to build traces and
 * read what comes out: a temporary directory per test, synthetic traces
 * written frame by frame (times in ms after the trace's anchor), frames fed
 * straight into an analysis, the recorded traces of tests/data/ analysed,
 * the turns of an analysis collected, decode run into a string, and JSON
 * output looked into by path.  Every helper asserts (Check) rather than
 * return errors.
 */
#ifndef CX_TRACEGEN_H
#define CX_TRACEGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cJSON.h>

#include "conv.h"
#include "exchange.h"
#include "trace.h"

#define MS      INT64_C(1000000)

extern char                     tg_dir[64];     /* this test's directory */
extern char                     tg_path[256];   /* tg_dir/trace.bin */
extern struct cx_file_info      tg_info;        /* of the last trace made */

/* --- a directory and a trace ---------------------------------------- */

/* A fresh /tmp/cxrec-test-NAME.XXXXXX; the fixture's setup. */
void    tg_setup(const char *name);
/* Remove it; the fixture's teardown. */
void    tg_teardown(void);
/* Create a trace at p and remember its anchor in tg_info. */
struct cx_writer *tg_create(const char *p);
/* One frame t ms after the anchor (asserts it was written). */
void    tg_put(struct cx_writer *w, uint8_t kind, uint8_t source, uint8_t dir,
    uint64_t conn, double t, const void *p, size_t n);
/* The same with the client's pid set (as the preload and the probe do). */
void    tg_put_pid(struct cx_writer *w, uint8_t kind, uint8_t source,
    uint8_t dir, uint64_t conn, uint32_t pid, double t, const void *p,
    size_t n);
/* The relay's frames: request bytes, response bytes (C strings), and a
 * frame of JSON of a kind (CX_K_OPEN, _CLOSE, _ROUTE, _ERROR, _NOTE...). */
void    tg_req(struct cx_writer *w, uint64_t conn, double t, const char *s);
void    tg_resp(struct cx_writer *w, uint64_t conn, double t, const char *s);
void    tg_json(struct cx_writer *w, uint8_t kind, uint64_t conn, double t,
    const char *json);

/*
 * A scenario of relay traffic decode has to get right, in p: the run note;
 * connection 1, an SSE exchange with a zstd request body split mid-header
 * and mid-body (#1), then keep-alive with a JSON GET (#3); connection 2, an
 * upstream TLS ERROR answered 502 (#2), then a response cut short by the
 * upstream (#4); connection 3, garbage and no request (#5); a frame of an
 * unknown kind and a LOSS note; connection 4, a 600 KB upload (#6);
 * connection 5, a request never answered (#7).  With torn set, half a
 * frame at the end (a writer killed mid-frame).  The secrets it holds:
 */
#define TG_SECRET_KEY   "sk-proj-SECRETsecretSECRET12345"   /* authorization */
extern const char       tg_request_json[];      /* #1's body, before zstd */
extern size_t           tg_zstd_len;            /* #1's body, compressed */
void    tg_scenario(const char *p, int torn);

/* --- an analysis ---------------------------------------------------- */

/* A relay data frame (s, a C string) straight into a, t ms after
 * tg_info's anchor. */
void    tg_feed(struct cx_analysis *a, uint8_t dir, uint64_t conn, double t,
    const char *s);
/* The trace at path (in the source tree; gzip'd if it ends in .gz, zstd'd
 * if in .zst), read through a new analysis, finished; the caller frees. */
struct cx_analysis *tg_analyse(const char *path);

/* Turns taken from cx_conv_turns: tg_turns_take is its callback. */
struct tg_turns {
	struct cx_turn         **v;
	size_t                   n;
};
void    tg_turns_take(void *arg, struct cx_turn *t);
void    tg_turns_free(struct tg_turns *l);      /* and empty it */
/* The turns of every exchange of a (of api's exchanges only, when api is
 * not NULL) into l; returns how many exchanges gave turns. */
size_t  tg_turns_of(const struct cx_analysis *a, const struct cx_api *api,
    struct tg_turns *l);
/* ex's one turn, asserting it is api's and there is one; the caller frees
 * it with tg_turn_free. */
struct cx_turn *tg_turn_one(const struct cx_exchange *ex,
    const struct cx_api *api);
void    tg_turn_free(struct cx_turn *t);       /* cx_turn_free, then free */
/* The adapter called name in cx_api_table (asserts it is there). */
const struct cx_api *tg_api(const char *name);
/* The first item of kind in l from index from on, or NULL. */
const struct cx_item *tg_item_find(const struct cx_items *l,
    enum cx_item_kind kind, size_t from);
size_t  tg_item_count(const struct cx_items *l, enum cx_item_kind kind);
/* Item i of l has kind k, role r and (unless txt is NULL) text txt. */
#define TG_ITEM(l, i, k, r, txt) do { \
	ck_assert_uint_gt((l).n, (i)); \
	ck_assert_int_eq((l).v[i].kind, (k)); \
	ck_assert_int_eq((l).v[i].role, (r)); \
	if ((txt) != NULL) \
		ck_assert_str_eq((l).v[i].text, (const char *)(txt)); \
} while (0)
/* The tool of that name offered in t, or NULL; whether there is one. */
const struct cx_tool *tg_tool(const struct cx_turn *t, const char *name);
int     tg_has_tool(const struct cx_turn *t, const char *name);
/* "text", "tool_call"...; "system", "user"... */
const char *tg_kind_name(enum cx_item_kind k);
const char *tg_role_name(enum cx_role r);
/* Everything of t's model as text, a line a field or item, times relative
 * to its request: to look at (the adapters' tests print it when asked) and
 * to compare two models.  Texts longer than cut bytes are cut there and
 * end in "..." (cut 0: whole). */
void    tg_turn_dump(FILE *f, const struct cx_turn *t, size_t cut);

/* --- decode's output ------------------------------------------------ */

/* What decode said on its warning hook: the messages, a line each. */
struct tg_warnings {
	char     text[4096];
	int      count;
};
/* cxrec decode -f format of path, as a malloc'd string (asserts success);
 * its warnings in warn when not NULL. */
char   *tg_decode(const char *path, const char *format, int no_redact,
    struct tg_warnings *warn);
/* The same with options as given (filters, max_body...). */
struct cx_decode_opts;
char   *tg_decode_opts(const char *path, const struct cx_decode_opts *opts);
/* JSON lines as one cJSON array (asserts each line parses). */
cJSON  *tg_jlines(const char *out);
/* The value at a dotted path ("entries.0.request.url": numbers index
 * arrays); asserts it is there, and for str/num its type. */
const cJSON *tg_jget(const cJSON *o, const char *path);
const char *tg_jstr(const cJSON *o, const char *path);

/* The text of the file at path (at most 1 MiB), in a buffer of the
 * module's: valid until the next call. */
const char *tg_slurp(const char *path);
double  tg_jnum(const cJSON *o, const char *path);
int     tg_jnull(const cJSON *o, const char *path);

#endif
