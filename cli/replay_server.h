/*
 * replay_server.h: cxrec answering as the recorded upstream (cxrec
 * replay, cxrec run --replay; docs/replay.md).  Plain HTTP/1.1 on a
 * loopback address; each request is matched to a recorded exchange
 * (replay_match.h) and answered with its status, header fields and body:
 *
 *   a body       the recorded bytes, still content-encoded, with their
 *                Content-Encoding, framed by Content-Length
 *   an event     the recorded events, each at its recorded time after the
 *   stream       request (scaled by speed), chunked; their encoding was
 *                undone when they were recorded, so none is sent
 *   WebSocket    the upgrade answered (101, the accept key made from the
 *                client's; no extension), then for the Nth message of the
 *                client the server's messages that followed the Nth in
 *                the recording, each at its recorded time after it
 *   no match     501, text: the method and path, what the trace holds
 *
 * Hop-by-hop fields (Connection, Keep-Alive, Transfer-Encoding, Upgrade,
 * Content-Length...) are made anew.  The first response is held back by
 * the recorded time to its first byte, too.  Connections are kept alive.
 *
 * One thread and poll(2).  Ownership: the server borrows its options and
 * owns its table (opened from the trace) and connections.
 */
#ifndef CX_REPLAY_SERVER_H
#define CX_REPLAY_SERVER_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#define REPLAY_MAX_CLIENTS      256

struct replay_opts {
	const char              *trace;
	const char              *listen;        /* NULL: 127.0.0.1:0 */
	double                   speed;         /* recorded times / speed;
						 * 0: 1 */
	int                      no_delay;      /* everything at once */
	FILE                    *log;           /* a line a request, or NULL */
	/* Each request answered 501 (on the server's thread), or NULL. */
	void                   (*unmatched)(void *arg, const char *method,
	    const char *target, const char *why);
	void                    *arg;
};

struct replay_stats {
	uint64_t requests;
	uint64_t answered;              /* from the trace */
	uint64_t again;                 /* of them, an exchange already served */
	uint64_t unmatched;             /* 501 */
	uint64_t ws_messages;           /* client messages on WebSockets */
	uint64_t ws_unmatched;          /* past what the recording holds */
};

struct replay_server;

/*
 * Read the trace and listen (loopback only).  NULL with a one-line err:
 * not a trace (*usage set), or the address (a port in use, not
 * loopback).
 */
struct replay_server *replay_server_new(const struct replay_opts *o,
    int *usage, char *err, size_t errlen);
/* "http://127.0.0.1:PORT" */
const char *replay_server_url(const struct replay_server *s);
/* Recorded exchanges it answers with, and those incomplete (not). */
size_t   replay_server_entries(const struct replay_server *s,
    size_t *incomplete);
/* The hosts the recording reached through the forward proxy, to fn
 * (replay_match.h's cx_replay_proxy_hosts). */
void     replay_server_proxy_hosts(const struct replay_server *s,
    void (*fn)(void *arg, const char *host), void *arg);
/* Serve until *stop is set.  0, or -1 if poll failed. */
int      replay_server_run(struct replay_server *s,
    volatile sig_atomic_t *stop);
void     replay_server_stats(const struct replay_server *s,
    struct replay_stats *st);
void     replay_server_free(struct replay_server *s);  /* NULL is fine */
/* cmd_replay.c: --speed N (a number above 0): 0, or -1. */
int      replay_parse_speed(const char *s, double *out);

#endif
