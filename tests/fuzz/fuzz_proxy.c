/*
 * fuzz_proxy.c: what the forward proxy reads from a client before it
 * decides anything (relay/proxy.h): the CONNECT target, the
 * Proxy-Authorization value, the host lists, --map-host specs.
 *
 * Input: byte 0 picks the piece each function gets; the rest is split at
 * its first NUL into a value and a token.  Invariants: the right token in
 * either form is accepted, and an authorization is accepted only when it
 * carries exactly the token (hex digits, as the run's are); a parsed target's host and port are
 * NUL-terminated and within bounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hostpat.h"
#include "proxy.h"
#include "route.h"

static void
b64(const char *in, size_t n, char *out)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char value[600], token[64], host[256], port[8], cred[200],
	    enc[300], auth[400], err[300];
	const uint8_t *nul;
	size_t vl, tl;

	if (size < 1 || size > 700)
		return 0;
	data++;
	size--;
	nul = memchr(data, 0, size);
	vl = nul != NULL ? (size_t)(nul - data) : size;
	tl = nul != NULL ? size - vl - 1 : 0;
	if (vl >= sizeof(value))
		vl = sizeof(value) - 1;
	memcpy(value, data, vl);
	value[vl] = '\0';
	if (tl >= sizeof(token))
		tl = sizeof(token) - 1;
	memcpy(token, nul != NULL ? nul + 1 : data, tl);
	token[tl] = '\0';

	/* CONNECT targets: bounded, terminated. */
	if (proxy_parse_authority(value, vl, host, sizeof(host), port,
	    sizeof(port)) == 0) {
		if (strlen(host) >= sizeof(host) || strlen(port) >= sizeof(port))
			abort();
		(void)cx_hostpat_listed(proxy_agent_hosts, host);
	}
	/* Authorization: only the token, in either form (tokens are hex
	 * digits, as proxy_setup makes them). */
	if (tl > 0 && strspn(token, "0123456789abcdef") == tl) {
		int ok = proxy_auth_ok(value, vl, token);
		int n = snprintf(cred, sizeof(cred), "cxrec:%s", token);

		b64(cred, (size_t)n, enc);
		snprintf(auth, sizeof(auth), "Basic %s", enc);
		if (!proxy_auth_ok(auth, strlen(auth), token))
			abort();
		snprintf(auth, sizeof(auth), "Bearer %s", token);
		if (!proxy_auth_ok(auth, strlen(auth), token))
			abort();
		if (ok && strstr(value, token) == NULL &&
		    strcasestr(value, "basic") == NULL)
			abort();        /* accepted without the token */
	}
	/* --map-host specs. */
	struct host_map_table *t = calloc(1, sizeof(*t));
	if (t != NULL) {
		if (host_map_add_spec(t, value, err, sizeof(err)) == 0)
			(void)host_map_find(t, token);
		free(t);
	}
	(void)cx_hostpat_listed((const char *const[]){ value, NULL }, token);
	return 0;
}
