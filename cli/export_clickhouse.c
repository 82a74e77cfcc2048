/*
 * export_clickhouse.c: the ClickHouse client of `cxrec export`
 * (export_clickhouse.h), on libcurl (http_post.h).  SQL it writes is what
 * ClickHouse 18.16 (Debian 12) and current releases both accept: `ENGINE =
 * ReplacingMergeTree() ORDER BY (...)`; column codecs (ZSTD) only for
 * servers from 19.x on (18.16 has none: its own <compression> settings
 * apply there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"
#include "export_clickhouse.h"
#include "http_post.h"
#include "xmalloc.h"

struct batch {
	struct cx_buf    b;
	size_t           rows;
};

struct cx_ch {
	struct cx_hpost  *http;
	char            *base;          /* http://host:port/path */
	char            *said;          /* base without user and password */
	char            *extra;         /* the URL's other parameters, or "" */
	char             db[128];
	char             version[64];
	int              major;
	struct cx_buf    sql;
	struct batch     batch[CX_X_NTABLES];
	uint64_t         inserted, rejected;
};

/* The reply's first line (ClickHouse's exception), at most max bytes. */
static void
reply_line(const struct cx_ch *c, char *out, size_t max)
{
	cx_hpost_reply_line(c->http, out, max);
}

/*
 * POST body[0..n) to the server, with query (the SQL of an INSERT, whose
 * data is the body) in the URL when not NULL.  The reply in
 * cx_hpost_reply(c->http).
 * Returns the HTTP status, or -1 (no answer) with one line in err.
 */
static long
post(struct cx_ch *c, const char *query, const char *body, size_t n,
    char *err, size_t errlen)
{
	struct cx_buf url;
	long status;

	cx_buf_init(&url, 0);
	cx_buf_adds(&url, c->base);
	cx_buf_addc(&url, '?');
	cx_buf_adds(&url, c->extra);
	if (query != NULL) {
		char *q = cx_hpost_escape(c->http, query);

		if (*c->extra != '\0')
			cx_buf_addc(&url, '&');
		cx_buf_adds(&url, "query=");
		cx_buf_adds(&url, q);
		free(q);
	}
	cx_buf_addc(&url, '\0');
	status = cx_hpost(c->http, (const char *)cx_buf_head(&url), NULL,
	    body, n, c->said, err, errlen);
	cx_buf_free(&url);
	return status;
}

/* Run sql; 0, or -1 with one line in err (what failed and why). */
static int
run(struct cx_ch *c, const char *sql, char *err, size_t errlen)
{
	char line[512];
	long st = post(c, NULL, sql, strlen(sql), err, errlen);

	if (st == -1)
		return -1;
	if (st != 200) {
		reply_line(c, line, sizeof(line));
		snprintf(err, errlen, "%s: HTTP %ld: %s", c->said, st, line);
		return -1;
	}
	return 0;
}

/* The URL's database parameter into c->db, the others into c->extra. */
static int
parse_url(struct cx_ch *c, const char *url, char *err, size_t errlen)
{
	const char *q = strchr(url, '?');
	struct cx_buf extra;
	char *params, *save = NULL;

	snprintf(c->db, sizeof(c->db), "cxrec");
	c->base = q != NULL ? xstrndup(url, (size_t)(q - url)) : xstrdup(url);
	c->said = cx_url_said(url);
	cx_buf_init(&extra, 0);
	params = xstrdup(q != NULL ? q + 1 : "");
	for (char *p = strtok_r(params, "&", &save); p != NULL;
	    p = strtok_r(NULL, "&", &save)) {
		if (strncmp(p, "database=", 9) == 0) {
			snprintf(c->db, sizeof(c->db), "%s", p + 9);
			continue;
		}
		if (cx_buf_used(&extra) > 0)
			cx_buf_addc(&extra, '&');
		cx_buf_adds(&extra, p);
	}
	free(params);
	cx_buf_addc(&extra, '\0');
	c->extra = cx_buf_take(&extra);
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		snprintf(err, errlen, "%s: not an http:// or https:// URL",
		    c->said);
		return -1;
	}
	if (c->db[0] == '\0' || strspn(c->db, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(c->db)) {
		snprintf(err, errlen, "%s: database '%s': letters, digits and _ "
		    "only", c->said, c->db);
		return -1;
	}
	return 0;
}

struct cx_ch *
cx_ch_open(const char *url, int *again, char *err, size_t errlen)
{
	static const char q[] = "SELECT version()";
	struct cx_ch *c;
	long st;

	if (errlen > 0)
		*err = '\0';
	if (again != NULL)
		*again = 0;
	c = xcalloc(1, sizeof(*c));
	cx_buf_init(&c->sql, 0);
	for (int t = 0; t < CX_X_NTABLES; t++)
		cx_buf_init(&c->batch[t].b, 0);
	if (parse_url(c, url, err, errlen) == -1 ||
	    (c->http = cx_hpost_new(err, errlen)) == NULL) {
		if (errlen > 0 && *err == '\0')
			snprintf(err, errlen, "libcurl cannot start");
		cx_ch_close(c);
		return NULL;
	}
	st = post(c, NULL, q, sizeof(q) - 1, err, errlen);
	if (again != NULL)
		*again = st == -1 || st == 502 || st == 503 || st == 504;
	if (st != 200) {
		if (st != -1) {
			char line[512];

			reply_line(c, line, sizeof(line));
			snprintf(err, errlen, "%s: HTTP %ld: %s", c->said, st,
			    line);
		}
		cx_ch_close(c);
		return NULL;
	}
	reply_line(c, c->version, sizeof(c->version));
	c->major = atoi(c->version);
	return c;
}

void
cx_ch_close(struct cx_ch *c)
{
	if (c == NULL)
		return;
	cx_hpost_free(c->http);
	free(c->base);
	free(c->said);
	free(c->extra);
	cx_buf_free(&c->sql);
	for (int t = 0; t < CX_X_NTABLES; t++)
		cx_buf_free(&c->batch[t].b);
	free(c);
}

const char *
cx_ch_version(const struct cx_ch *c)
{
	return c->version;
}

const char *
cx_ch_database(const struct cx_ch *c)
{
	return c->db;
}

/* --- the tables ------------------------------------------------------ */

static void
sql_create(struct cx_ch *c, const struct cx_xtable_def *d)
{
	struct cx_buf *s = &c->sql;

	cx_buf_reset(s);
	cx_buf_adds(s, "CREATE TABLE IF NOT EXISTS `");
	cx_buf_adds(s, c->db);
	cx_buf_adds(s, "`.`");
	cx_buf_adds(s, d->name);
	cx_buf_adds(s, "` (");
	for (size_t i = 0; i < d->ncols; i++) {
		cx_buf_adds(s, i > 0 ? ", `" : "`");
		cx_buf_adds(s, d->cols[i].name);
		cx_buf_adds(s, "` ");
		cx_buf_adds(s, d->cols[i].type);
		if (d->cols[i].big && c->major >= 19)
			cx_buf_adds(s, " CODEC(ZSTD(3))");
	}
	cx_buf_adds(s, ") ENGINE = ReplacingMergeTree() ORDER BY (");
	cx_buf_adds(s, d->key);
	cx_buf_adds(s, ")");
	cx_buf_addc(s, '\0');
}

/* The column called name (n bytes) of d, or NULL. */
static const struct cx_xcolumn *
column(const struct cx_xtable_def *d, const char *name, size_t n)
{
	for (size_t i = 0; i < d->ncols; i++)
		if (strlen(d->cols[i].name) == n &&
		    memcmp(d->cols[i].name, name, n) == 0)
			return &d->cols[i];
	return NULL;
}

/*
 * Check the columns the server has of our tables (TSV lines "table name
 * type" in the reply); have[t]: table t is there.  0, or -1 with one line
 * in err.
 */
static int
check_columns(struct cx_ch *c, int have[CX_X_NTABLES], char *err,
    size_t errlen)
{
	size_t seen[CX_X_NTABLES][64];
	const struct cx_buf *reply = cx_hpost_reply(c->http);
	const char *p = (const char *)cx_buf_head(reply);
	const char *end = p + cx_buf_used(reply);

	memset(seen, 0, sizeof(seen));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *t1, *t2;
		const struct cx_xtable_def *d = NULL;
		const struct cx_xcolumn *col;
		int t;

		if (nl == NULL)
			nl = end;
		t1 = memchr(p, '\t', (size_t)(nl - p));
		t2 = t1 != NULL ? memchr(t1 + 1, '\t', (size_t)(nl - t1 - 1)) :
		    NULL;
		if (t2 == NULL) {
			p = nl + 1;
			continue;
		}
		for (t = 0; t < CX_X_NTABLES; t++) {
			d = cx_export_table((enum cx_xtable)t);
			if (strlen(d->name) == (size_t)(t1 - p) &&
			    memcmp(d->name, p, (size_t)(t1 - p)) == 0)
				break;
		}
		if (t == CX_X_NTABLES) {
			p = nl + 1;
			continue;
		}
		have[t] = 1;
		col = column(d, t1 + 1, (size_t)(t2 - t1 - 1));
		if (col == NULL) {
			snprintf(err, errlen, "table %s.%s has a column %.*s "
			    "that cxrec does not write (docs/fleet.md)",
			    c->db, d->name, (int)(t2 - t1 - 1), t1 + 1);
			return -1;
		}
		if (strlen(col->type) != (size_t)(nl - t2 - 1) ||
		    memcmp(col->type, t2 + 1, (size_t)(nl - t2 - 1)) != 0) {
			snprintf(err, errlen, "table %s.%s: column %s is %.*s, "
			    "cxrec writes %s (docs/fleet.md)", c->db, d->name,
			    col->name, (int)(nl - t2 - 1), t2 + 1, col->type);
			return -1;
		}
		seen[t][col - d->cols] = 1;
		p = nl + 1;
	}
	for (int t = 0; t < CX_X_NTABLES; t++) {
		const struct cx_xtable_def *d = cx_export_table(
		    (enum cx_xtable)t);

		if (!have[t])
			continue;
		for (size_t i = 0; i < d->ncols; i++)
			if (!seen[t][i]) {
				snprintf(err, errlen, "table %s.%s has no "
				    "column %s (docs/fleet.md)", c->db,
				    d->name, d->cols[i].name);
				return -1;
			}
	}
	return 0;
}

int
cx_ch_prepare(struct cx_ch *c, char *err, size_t errlen)
{
	int have[CX_X_NTABLES] = { 0 };
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT table, name, type FROM "
	    "system.columns WHERE database = '%s' AND table IN ('sessions', "
	    "'exchanges', 'turns', 'events', 'tool_calls', 'processes') "
	    "FORMAT TabSeparated", c->db);
	if (run(c, sql, err, errlen) == -1 ||
	    check_columns(c, have, err, errlen) == -1)
		return -1;
	snprintf(sql, sizeof(sql), "CREATE DATABASE IF NOT EXISTS `%s`",
	    c->db);
	if (run(c, sql, err, errlen) == -1)
		return -1;
	for (int t = 0; t < CX_X_NTABLES; t++) {
		if (have[t])
			continue;
		sql_create(c, cx_export_table((enum cx_xtable)t));
		if (run(c, (const char *)cx_buf_head(&c->sql), err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

/* --- inserting ------------------------------------------------------- */

/* ClickHouse's exception code at the start of its reply ("Code: 27,
 * e.displayText() = ..." in 18.16, "Code: 27. DB::Exception: ..." since),
 * or -1. */
static int
exception_code(const struct cx_ch *c)
{
	const struct cx_buf *r = cx_hpost_reply(c->http);
	const char *p = (const char *)cx_buf_head(r);
	size_t n = cx_buf_used(r);
	int code = 0, digits = 0;

	if (n < 7 || strncmp(p, "Code: ", 6) != 0)
		return -1;
	for (size_t i = 6; i < n && i < 12 && p[i] >= '0' && p[i] <= '9'; i++) {
		code = code * 10 + (p[i] - '0');
		digits++;
	}
	return digits > 0 ? code : -1;
}

/* Is ClickHouse's exception about the rows themselves (text it cannot
 * parse or convert), which sending them again cannot cure? */
static int
row_error(int code, long st)
{
	switch (code) {
	case 6:         /* CANNOT_PARSE_TEXT */
	case 26:        /* CANNOT_PARSE_QUOTED_STRING */
	case 27:        /* CANNOT_PARSE_INPUT_ASSERTION_FAILED */
	case 32:        /* ATTEMPT_TO_READ_AFTER_EOF */
	case 33:        /* CANNOT_READ_ALL_DATA */
	case 38:        /* CANNOT_PARSE_DATE */
	case 41:        /* CANNOT_PARSE_DATETIME */
	case 53:        /* TYPE_MISMATCH */
	case 69:        /* ARGUMENT_OUT_OF_BOUND */
	case 70:        /* CANNOT_CONVERT_TYPE */
	case 72:        /* CANNOT_PARSE_NUMBER */
	case 117:       /* INCORRECT_DATA */
	case 131:       /* TOO_LARGE_STRING_SIZE */
	case 321:       /* VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE */
	case 349:       /* CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN */
		return 1;
	}
	return code == -1 && st == 400;
}

/*
 * An answer other than 200 that is not about the rows: a gateway's 502,
 * 503 or 504 (a proxy before the server, the server starting), the server
 * short of memory or parts, a table or database gone, credentials
 * refused.  Sending the batch again later may work; 1 with one line in
 * err.
 */
static int
not_the_rows(struct cx_ch *c, long st, char *err, size_t errlen)
{
	char line[512];

	if (st == 200 || (st != 502 && st != 503 && st != 504 &&
	    row_error(exception_code(c), st)))
		return 0;
	reply_line(c, line, sizeof(line));
	snprintf(err, errlen, "%s: HTTP %ld: %s", c->said, st, line);
	return 1;
}

static long
insert(struct cx_ch *c, enum cx_xtable t, const char *rows, size_t n,
    char *err, size_t errlen)
{
	char q[256];

	snprintf(q, sizeof(q), "INSERT INTO `%s`.`%s` FORMAT JSONEachRow",
	    c->db, cx_export_table(t)->name);
	return post(c, q, rows, n, err, errlen);
}

/* Batch t, rejected whole for its rows: its rows one by one, each taken
 * out of it as the server answers; -1 when it stops answering or refuses
 * a row for another reason (the rest kept). */
static int
one_by_one(struct cx_ch *c, enum cx_xtable t, char *err, size_t errlen)
{
	struct batch *bt = &c->batch[t];
	char line[512];

	while (bt->rows > 0) {
		const char *p = (const char *)cx_buf_head(&bt->b);
		const char *nl = memchr(p, '\n', cx_buf_used(&bt->b));
		size_t n = nl != NULL ? (size_t)(nl - p) : cx_buf_used(&bt->b);
		long st;

		st = insert(c, t, p, n, err, errlen);
		if (st == -1 || not_the_rows(c, st, err, errlen))
			return -1;
		if (st == 200)
			c->inserted++;
		else {
			reply_line(c, line, sizeof(line));
			if (c->rejected < CX_CH_MAX_SAID)
				fprintf(stderr, "cxrec: export: %s.%s: row "
				    "rejected (%.*s%s): %s\n", c->db,
				    cx_export_table(t)->name, n > 160 ?
				    160 : (int)n, p, n > 160 ? "..." : "",
				    line);
			else if (c->rejected == CX_CH_MAX_SAID)
				fprintf(stderr, "cxrec: export: more rows "
				    "rejected: not said one by one\n");
			c->rejected++;
		}
		cx_buf_consume(&bt->b, nl != NULL ? n + 1 : n);
		bt->rows--;
	}
	cx_buf_reset(&bt->b);
	return 0;
}

/* Batch t to the server: inserted, or its rows one by one when they are
 * what it rejects; -1 when the server does not answer or takes no rows
 * now (the batch kept). */
static int
send_batch(struct cx_ch *c, enum cx_xtable t, char *err, size_t errlen)
{
	struct batch *bt = &c->batch[t];
	long st;

	if (bt->rows == 0)
		return 0;
	st = insert(c, t, (const char *)cx_buf_head(&bt->b),
	    cx_buf_used(&bt->b), err, errlen);
	if (st == -1 || not_the_rows(c, st, err, errlen))
		return -1;
	if (st != 200)
		return one_by_one(c, t, err, errlen);
	c->inserted += bt->rows;
	cx_buf_reset(&bt->b);
	bt->rows = 0;
	return 0;
}

int
cx_ch_row(struct cx_ch *c, enum cx_xtable t, const char *row, size_t len,
    char *err, size_t errlen)
{
	struct batch *bt = &c->batch[t];
	int rc = 0;

	if (bt->rows > 0 && cx_buf_used(&bt->b) + len + 1 > CX_CH_BATCH_BYTES)
		rc = send_batch(c, t, err, errlen);
	cx_buf_add(&bt->b, row, len);
	cx_buf_addc(&bt->b, '\n');
	bt->rows++;
	if (rc == 0 && bt->rows >= CX_CH_BATCH_ROWS)
		rc = send_batch(c, t, err, errlen);
	return rc;
}

int
cx_ch_flush(struct cx_ch *c, char *err, size_t errlen)
{
	for (int t = 0; t < CX_X_NTABLES; t++)
		if (send_batch(c, (enum cx_xtable)t, err, errlen) == -1)
			return -1;
	return 0;
}

size_t
cx_ch_held(const struct cx_ch *c)
{
	size_t n = 0;

	for (int t = 0; t < CX_X_NTABLES; t++)
		n += c->batch[t].rows;
	return n;
}

void
cx_ch_set_stop(struct cx_ch *c, volatile sig_atomic_t *stop)
{
	cx_hpost_set_stop(c->http, stop);
}

uint64_t
cx_ch_inserted(const struct cx_ch *c)
{
	return c->inserted;
}

uint64_t
cx_ch_rejected(const struct cx_ch *c)
{
	return c->rejected;
}
