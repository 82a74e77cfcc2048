/*
 * export_clickhouse.h: a ClickHouse client for `cxrec export` over its
 * HTTP interface (libcurl): it checks that the server answers, creates the
 * database and export_rows.h's tables when missing (ReplacingMergeTree,
 * ordered by each table's key: rows exported twice fold into one), checks
 * that tables already there have exactly those columns and types, and
 * inserts rows in batches (INSERT ... FORMAT JSONEachRow).
 *
 * URL: http(s)://HOST:PORT[/][?database=NAME&OTHER=...]: the database
 * (default "cxrec") is taken out of the query, whatever else it holds
 * (user=, password=) goes with every request.  Only names of letters,
 * digits and _ are accepted as databases.
 *
 * A batch the server rejects for its rows (an exception about text it
 * cannot parse or convert: CANNOT_PARSE_*, TYPE_MISMATCH, INCORRECT_DATA,
 * ...) is sent again row by row; each row it still rejects is reported on
 * stderr (the table, the row's start, the server's reason; the first
 * CX_CH_MAX_SAID of them) and counted, and the rest goes in.  A server
 * that does not answer (no connection, a gateway's 502, 503 or 504) or
 * refuses for another reason (memory, too many parts, a table gone,
 * credentials) is a failure (-1, one line in err) that loses nothing: the
 * rows not inserted stay held, and cx_ch_flush sends them when it is
 * called again.
 *
 * Memory: a batch is at most CX_CH_BATCH_BYTES (or one row, if longer;
 * one row more while the server does not answer) and CX_CH_BATCH_ROWS
 * rows a table; a reply is read up to 64 KiB.
 */
#ifndef CX_EXPORT_CLICKHOUSE_H
#define CX_EXPORT_CLICKHOUSE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "export_rows.h"

#define CX_CH_BATCH_ROWS        1000
#define CX_CH_BATCH_BYTES       (4u * 1024 * 1024)
#define CX_CH_MAX_SAID          20      /* rejected rows said one by one */

struct cx_ch;

/* A client of the server at url, which answered (its version asked);
 * NULL with one line in err otherwise, and *again (when not NULL) 1 if
 * asking later may do (no answer, or a gateway's 502, 503 or 504), 0 if
 * not (a bad URL, credentials refused). */
struct cx_ch *cx_ch_open(const char *url, int *again, char *err,
    size_t errlen);
void     cx_ch_close(struct cx_ch *c);          /* NULL is fine */
/* "18.16.1" */
const char *cx_ch_version(const struct cx_ch *c);
const char *cx_ch_database(const struct cx_ch *c);

/* The database and tables, created when missing; a table with other
 * columns: -1, one line in err naming it and the column, nothing
 * created. */
int      cx_ch_prepare(struct cx_ch *c, char *err, size_t errlen);

/* A row (a JSON object, len bytes) for table t, sent with its batch.
 * -1 with one line in err when the server stops answering (the row held
 * with the rest). */
int      cx_ch_row(struct cx_ch *c, enum cx_xtable t, const char *row,
    size_t len, char *err, size_t errlen);
/* Send every batch still held.  Same return. */
int      cx_ch_flush(struct cx_ch *c, char *err, size_t errlen);
/* Rows held, not yet inserted nor rejected. */
size_t   cx_ch_held(const struct cx_ch *c);

/* A request in flight ends (the server as not answering) once *stop is
 * set. */
void     cx_ch_set_stop(struct cx_ch *c, volatile sig_atomic_t *stop);

/* Rows inserted, rows the server rejected (since cx_ch_open). */
uint64_t cx_ch_inserted(const struct cx_ch *c);
uint64_t cx_ch_rejected(const struct cx_ch *c);

#endif
