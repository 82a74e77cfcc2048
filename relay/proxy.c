/*
 * proxy.c: the forward proxy's CONNECT handling (proxy.h).
 *
 * A proxy connection goes: PX_CONNECT (reading the CONNECT head, plain),
 * then either a refusal (407, 400, 405: recorded, the relay sends and
 * closes), a tunnel (the relay's tunnel states, bytes counted, not
 * recorded), or PX_HANDSHAKE (the 200, unrecorded, then the TLS server
 * handshake), after which the relay runs the connection as one of its own
 * with c->cssl set; where its requests go then is proxy_route.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "ca.h"
#include "jsonobj.h"
#include "hostpat.h"
#include "proxy.h"
#include "proxy_conn.h"
#include "relay_conn.h"
#include "relay_tls.h"
#include "xmalloc.h"

static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";

const char *const proxy_agent_hosts[] = {
	/* OpenAI: the API, ChatGPT (codex's workspace routing), sign-in */
	"api.openai.com", "chatgpt.com", "*.chatgpt.com", "auth.openai.com",
	"*.openai.com",
	/* Anthropic: the API, claude.ai, Claude Code's sign-in */
	"api.anthropic.com", "*.anthropic.com", "claude.ai", "*.claude.ai",
	"console.anthropic.com",
	/* Google: Gemini API, Code Assist, sign-in */
	"generativelanguage.googleapis.com", "cloudcode-pa.googleapis.com",
	"oauth2.googleapis.com", "aiplatform.googleapis.com",
	"*-aiplatform.googleapis.com",
	NULL
};

/* --- pieces ------------------------------------------------------------ */

int
proxy_auth_ok(const char *v, size_t len, const char *token)
{
	size_t tl = strlen(token);
	unsigned char dec[400];
	char want[300];
	int n;

	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len > 7 && strncasecmp(v, "Bearer ", 7) == 0) {
		v += 7;
		len -= 7;
		while (len > 0 && *v == ' ') {
			v++;
			len--;
		}
		return len == tl && CRYPTO_memcmp(v, token, tl) == 0;
	}
	if (len <= 6 || strncasecmp(v, "Basic ", 6) != 0)
		return 0;
	v += 6;
	len -= 6;
	while (len > 0 && *v == ' ') {
		v++;
		len--;
	}
	/* base64: a multiple of 4, and small. */
	if (len == 0 || len % 4 != 0 || len / 4 * 3 >= sizeof(dec))
		return 0;
	n = EVP_DecodeBlock(dec, (const unsigned char *)v, (int)len);
	if (n < 0)
		return 0;
	/* EVP_DecodeBlock counts the padding's bytes too. */
	if (v[len - 1] == '=')
		n--;
	if (v[len - 2] == '=')
		n--;
	if (snprintf(want, sizeof(want), "cxrec:%s", token) >=
	    (int)sizeof(want))
		return 0;
	return (size_t)n == strlen(want) &&
	    CRYPTO_memcmp(dec, want, (size_t)n) == 0;
}

int
proxy_parse_authority(const char *s, size_t len, char *host, size_t hostlen,
    char *port, size_t portlen)
{
	const char *colon, *hs = s;
	size_t hn, pn;

	if (len > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', len);
		if (rb == NULL || rb + 1 >= s + len || rb[1] != ':')
			return -1;
		hs = s + 1;
		hn = (size_t)(rb - hs);
		colon = rb + 1;
	} else {
		colon = NULL;
		for (size_t i = len; i > 0; i--)
			if (s[i - 1] == ':') {
				colon = s + i - 1;
				break;
			}
		if (colon == NULL)
			return -1;
		hn = (size_t)(colon - s);
		if (memchr(s, ':', hn) != NULL)
			return -1;      /* IPv6 without brackets */
	}
	pn = len - (size_t)(colon + 1 - s);
	if (hn == 0 || hn >= hostlen || pn == 0 || pn > 5 || pn >= portlen)
		return -1;
	for (size_t i = 0; i < hn; i++) {
		unsigned char ch = (unsigned char)hs[i];
		if (ch <= ' ' || ch >= 0x7f || strchr("/\\@?#%[]\"", ch) != NULL)
			return -1;
	}
	for (size_t i = 0; i < pn; i++)
		if (colon[1 + i] < '0' || colon[1 + i] > '9')
			return -1;
	memcpy(host, hs, hn);
	host[hn] = '\0';
	memcpy(port, colon + 1, pn);
	port[pn] = '\0';
	if (atoi(port) < 1 || atoi(port) > 65535)
		return -1;
	if (hs != s) {          /* brackets: an IPv6 literal, nothing else */
		unsigned char ip[16];
		if (inet_pton(AF_INET6, host, ip) != 1)
			return -1;
	}
	return 0;
}

/* --- the listener ------------------------------------------------------ */

/* Listen on cfg.proxy_listen (loopback only) for the forward proxy. */
int
proxy_listen(struct relay *r, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct epoll_event ev;
	int one = 1;

	if (r->cfg.proxy_token == NULL || r->cfg.proxy_token[0] == '\0' ||
	    r->cfg.ca == NULL) {
		snprintf(err, errlen, "the proxy needs a token and a CA");
		return -1;
	}
	if (cx_listen_parse(r->cfg.proxy_listen, &ss, &sl, err, errlen) == -1)
		return -1;
	if (!cx_sockaddr_loopback(&ss)) {
		snprintf(err, errlen, "--proxy-listen '%s': the proxy listens "
		    "on loopback addresses only", r->cfg.proxy_listen);
		return -1;
	}
	if ((r->srv_tls = cx_ca_server_ctx(r->cfg.ca, err, errlen)) == NULL)
		return -1;
	r->plfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (r->plfd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(r->plfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(r->plfd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(r->plfd, 1024) == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s",
		    r->cfg.proxy_listen, strerror(errno));
		return -1;
	}
	sl = sizeof(ss);
	getsockname(r->plfd, (struct sockaddr *)&ss, &sl);
	cx_sockaddr_str(&ss, r->paddr, sizeof(r->paddr));
	r->pport = ss.ss_family == AF_INET ?
	    ntohs(((struct sockaddr_in *)&ss)->sin_port) :
	    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	r->plep.side = SIDE_PROXY_LISTEN;
	ev.events = EPOLLIN;
	ev.data.ptr = &r->plep;
	epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->plfd, &ev);
	return 0;
}

/* --- the connection ---------------------------------------------------- */

void
proxy_conn_start(struct conn *c)
{
	c->px = xcalloc(1, sizeof(*c->px));
	c->px->state = PX_CONNECT;
}

void
proxy_conn_free(struct proxy_conn *px)
{
	if (px == NULL)
		return;
	SSL_free(px->ssl);
	free(px);
}

/*
 * Answer the CONNECT ourselves (a refusal), recorded with its reason as an
 * error frame; the relay sends it and closes.  Status 0: the 407 that asks
 * a client for credentials it has not offered yet, recorded but no error.
 */
static void
refuse(struct conn *c, int status, const char *reason, const char *extra,
    const char *msg)
{
	char body[700], head[400];
	int bl, hl, is_error = status != 0;
	int64_t ts = cx_now_ns();

	if (status == 0)
		status = 407;   /* the challenge: an answer, not an error */
	bl = snprintf(body, sizeof(body), "cxrec proxy: %s\n", msg);
	if (bl >= (int)sizeof(body))
		bl = (int)sizeof(body) - 1;
	hl = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n%s"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\nConnection: close\r\n%s\r\n", status,
	    reason, extra, bl, is_error ? "X-Cxrec-Error: 1\r\n" : "");
	c->px->state = PX_RELAY;
	c->px->refused = 1;
	if (is_error)
		relay_record_error(c, 0, msg);
	relay_client_send(c, (const uint8_t *)head, (size_t)hl, ts);
	relay_client_send(c, (const uint8_t *)body, (size_t)bl, ts);
	if (c->dead)
		return;
	c->rq = RQ_DEAD;
	c->closing = 1;
	cx_buf_free(&c->cin);
	relay_client_flush(c);
}

static int
intercepted(const struct conn *c, const char *host)
{
	const struct relay_config *cfg = &c->r->cfg;

	switch (cfg->intercept) {
	case RELAY_INTERCEPT_ALL:
		return 1;
	case RELAY_INTERCEPT_NONE:
		return 0;
	case RELAY_INTERCEPT_AGENT:
		break;
	}
	return host_map_find(&cfg->map_hosts, host) != NULL ||
	    cx_hostpat_listed(cfg->agent_hosts ? cfg->agent_hosts :
	    proxy_agent_hosts, host);
}

/* A byte tunnel to host:port: connect, then 200 (or 502). */
static void
start_tunnel(struct conn *c)
{
	struct proxy_conn *px = c->px;
	char url[400], err[300];
	int v6 = strchr(px->host, ':') != NULL;

	px->tunnel = 1;
	px->state = PX_RELAY;
	snprintf(url, sizeof(url), "http://%s%s%s:%s", v6 ? "[" : "", px->host,
	    v6 ? "]" : "", px->port);
	if (url_parse(url, &px->rt.up, err, sizeof(err)) == -1) {
		refuse(c, 400, "Bad Request", "", err);
		return;
	}
	snprintf(px->rt.prefix, sizeof(px->rt.prefix), "CONNECT tunnel");
	snprintf(px->rt.url, sizeof(px->rt.url), "%s", url);
	/* Its messages name the tunnel's target, not a URL. */
	snprintf(px->rt.up.origin, sizeof(px->rt.up.origin), "%s%s%s:%s",
	    v6 ? "[" : "", px->host, v6 ? "]" : "", px->port);
	/* The CONNECT is request 0; its answer comes once connected. */
	c->pend[0].seq = 0;
	c->pend[0].head = 1;
	c->pend[0].upgrade = 0;
	c->pend[0].answered = 0;
	c->npend = 1;
	c->seq = 1;
	c->rq = RQ_WAIT;
	c->head_ns = 0;
	c->r->st.requests++;
	c->r->st.proxy_requests++;
	relay_upstream_start(c, &px->rt);
}

int
proxy_conn_upstream_open(struct conn *c)
{
	struct proxy_conn *px = c->px;

	if (!px->tunnel || px->tunnel_open)
		return 0;
	px->tunnel_open = 1;
	relay_client_send(c, (const uint8_t *)established,
	    sizeof(established) - 1, cx_now_ns());
	if (c->dead)
		return 1;
	relay_response_done(c);
	c->rs = RS_TUNNEL;
	c->rq = RQ_TUNNEL;
	c->norecord = 1;
	memcpy(px->base, c->bytes, sizeof(px->base));
	relay_process_requests(c);
	return 1;
}

/* An intercepted host: 200, then the TLS handshake with its leaf. */
static void
start_intercept(struct conn *c)
{
	struct proxy_conn *px = c->px;
	int v6 = strchr(px->host, ':') != NULL;

	if (cx_buf_used(&c->cin) > 0) {
		refuse(c, 400, "Bad Request", "", "bytes after the CONNECT "
		    "before its answer");
		return;
	}
	snprintf(px->origin, sizeof(px->origin), "https://%s%s%s%s%s",
	    v6 ? "[" : "", px->host, v6 ? "]" : "",
	    strcmp(px->port, "443") ? ":" : "",
	    strcmp(px->port, "443") ? px->port : "");
	if ((px->ssl = SSL_new(c->r->srv_tls)) == NULL ||
	    SSL_set_fd(px->ssl, c->cfd) != 1 ||
	    cx_ca_ssl_init(c->r->cfg.ca, px->ssl, px->host) == -1) {
		ERR_clear_error();
		relay_record_error(c, -1, "cannot start a TLS connection for "
		    "the client (no certificate for its host)");
		relay_conn_close(c, "relay", "no TLS for the client");
		return;
	}
	SSL_set_accept_state(px->ssl);
	px->state = PX_HANDSHAKE;
	px->want = EPOLLIN;
	c->rq = RQ_WAIT;
	/* The 200 is the proxy's, not the host's: not recorded. */
	c->norecord = 1;
	relay_client_send(c, (const uint8_t *)established,
	    sizeof(established) - 1, cx_now_ns());
	if (!c->dead)
		c->norecord = 0;
}

/*
 * Record a CONNECT head as sent, but for its Proxy-Authorization values:
 * the run's token (or whatever credentials a client offered cxrec's
 * proxy) is masked, at the same length, after the scheme word.
 */
static void
record_connect_head(struct conn *c, const struct rh_head *h,
    const uint8_t *b, int64_t ts)
{
	uint8_t *copy = malloc(h->head_len);

	if (copy == NULL) {
		relay_record_error(c, 0, "out of memory: the CONNECT head was "
		    "not recorded");
		return;
	}
	memcpy(copy, b, h->head_len);
	for (int i = 0; i < h->nheaders; i++) {
		const struct rh_span *v = &h->headers[i].value;
		size_t k = 0;

		if (!rh_header_is(b, &h->headers[i], "proxy-authorization"))
			continue;
		while (k < v->len && copy[v->off + k] != ' ')
			k++;            /* keep "Basic" or "Bearer" */
		for (k = k < v->len ? k + 1 : 0; k < v->len; k++)
			copy[v->off + k] = '*';
	}
	relay_record(c, CX_DIR_REQ, copy, h->head_len, ts);
	free(copy);
}

/* The CONNECT head is whole at the front of cin: what to do with it. */
static void
on_connect(struct conn *c, const struct rh_head *h, int64_t ts)
{
	struct proxy_conn *px = c->px;
	const uint8_t *b = cx_buf_head(&c->cin);
	const char *token = c->r->cfg.proxy_token;
	int authed = 0;

	int asked = 0;          /* credentials offered, right or wrong */
	for (int i = 0; i < h->nheaders; i++)
		if (rh_header_is(b, &h->headers[i], "proxy-authorization")) {
			asked = 1;
			if (proxy_auth_ok((const char *)b +
			    h->headers[i].value.off, h->headers[i].value.len,
			    token))
				authed = 1;
		}
	int is_connect = h->method.len == 7 &&
	    memcmp(b + h->method.off, "CONNECT", 7) == 0;
	int ok_target = is_connect && proxy_parse_authority((const char *)b +
	    h->target.off, h->target.len, px->host, sizeof(px->host),
	    px->port, sizeof(px->port)) == 0;
	/*
	 * Plain-HTTP proxy requests (GET http://HOST/...): the relay's, each
	 * routed and checked by proxy_conn_route; recorded from the first
	 * byte, as the relay records its own.
	 */
	if (authed && !is_connect && h->target.len > 7 &&
	    strncasecmp((const char *)b + h->target.off, "http://", 7) == 0) {
		px->plain = 1;
		px->state = PX_RELAY;
		relay_record(c, CX_DIR_REQ, b, cx_buf_used(&c->cin), ts);
		c->rq = RQ_HEAD;
		c->head_ns = 0;
		relay_process_requests(c);
		return;
	}
	/*
	 * Refusals and tunnels keep the CONNECT in the trace (request 0); an
	 * intercepted connection's trace is the requests inside it.
	 */
	if (!authed || !ok_target || !is_connect || !intercepted(c, px->host)) {
		record_connect_head(c, h, b, ts);
		c->seq = 0;
	}
	cx_buf_consume(&c->cin, h->head_len);
	if (!authed) {
		/*
		 * No credentials at all is how curl, git and browsers start:
		 * the 407 asks for them, and they come back with the token.
		 * Recorded as an exchange; an error only when a wrong token
		 * was offered.
		 */
		refuse(c, asked ? 407 : 0, "Proxy Authentication Required",
		    "Proxy-Authenticate: Basic realm=\"cxrec\"\r\n",
		    "proxy authentication required: this proxy takes the "
		    "run's token (http://cxrec:TOKEN@HOST:PORT)");
		return;
	}
	if (!is_connect) {
		refuse(c, 405, "Method Not Allowed", "Allow: CONNECT\r\n",
		    "this proxy takes CONNECT, and requests for http:// URLs");
		return;
	}
	if (!ok_target) {
		refuse(c, 400, "Bad Request", "", "bad CONNECT target: "
		    "expected HOST:PORT");
		return;
	}
	if (intercepted(c, px->host))
		start_intercept(c);
	else
		start_tunnel(c);
}

/* Read and parse the CONNECT head. */
static void
read_connect(struct conn *c, uint32_t events)
{
	struct rh_head *h;
	int eof = 0, rc;
	int64_t ts = cx_now_ns();

	while (cx_buf_used(&c->cin) < RH_MAX_HEAD + 4) {
		size_t room = RH_MAX_HEAD + 4 - cx_buf_used(&c->cin);
		uint8_t *p = cx_buf_space(&c->cin, room);
		ssize_t n = recv(c->cfd, p, room, 0);
		if (n > 0) {
			cx_buf_commit(&c->cin, (size_t)n);
			c->last_ns = ts;
			c->r->st.req_bytes += (uint64_t)n;
			if (c->head_ns == 0)
				c->head_ns = ts;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			eof = 1;
		break;
	}
	if (cx_buf_used(&c->cin) == 0 && (eof || (events & (EPOLLHUP |
	    EPOLLERR)))) {
		relay_conn_close(c, "client", "client closed before a CONNECT");
		return;
	}
	h = xmalloc(sizeof(*h));
	rc = rh_parse_request(cx_buf_head(&c->cin), cx_buf_used(&c->cin), h);
	if (rc > 0) {
		on_connect(c, h, ts);
	} else if (rc == RH_MORE) {
		if (eof || (events & (EPOLLHUP | EPOLLERR))) {
			relay_record(c, CX_DIR_REQ, cx_buf_head(&c->cin),
			    cx_buf_used(&c->cin), ts);
			relay_record_error(c, 0, "client closed mid-CONNECT");
			relay_conn_close(c, "client", "client closed");
		}
	} else {
		char msg[160];
		relay_record(c, CX_DIR_REQ, cx_buf_head(&c->cin),
		    cx_buf_used(&c->cin), ts);
		if (rc == RH_TOO_LARGE)
			refuse(c, 431, "Request Header Fields Too Large", "",
			    "request header fields too large (the limit is "
			    "64 KiB)");
		else {
			snprintf(msg, sizeof(msg), "bad request: %s", h->why);
			refuse(c, 400, "Bad Request", "", msg);
		}
	}
	free(h);
}

static void
handshake(struct conn *c)
{
	struct proxy_conn *px = c->px;
	int rc, e;

	if (cx_buf_used(&c->cout) > 0) {
		relay_client_flush(c);  /* the 200 */
		if (c->dead || cx_buf_used(&c->cout) > 0)
			return;
	}
	ERR_clear_error();
	rc = SSL_do_handshake(px->ssl);
	if (rc == 1) {
		c->cssl = px->ssl;
		px->ssl = NULL;
		px->state = PX_RELAY;
		c->rq = RQ_HEAD;
		c->head_ns = 0;
		c->last_ns = cx_now_ns();
		return;
	}
	e = SSL_get_error(px->ssl, rc);
	if (e == SSL_ERROR_WANT_READ) {
		px->want = EPOLLIN;
	} else if (e == SSL_ERROR_WANT_WRITE) {
		px->want = EPOLLOUT;
	} else {
		char why[300], msg[700];
		tls_error(px->ssl, rc, 0, why, sizeof(why));
		snprintf(msg, sizeof(msg), "TLS handshake with the client for %s "
		    "failed: %s (does it trust the run's CA?)", px->host, why);
		relay_record_error(c, -1, msg);
		relay_conn_close(c, "client", "TLS handshake failed");
	}
}

int
proxy_conn_client_event(struct conn *c, uint32_t events)
{
	switch (c->px->state) {
	case PX_CONNECT:
		read_connect(c, events);
		return 1;
	case PX_HANDSHAKE:
		handshake(c);
		return 1;
	case PX_RELAY:
		break;
	}
	return 0;
}

int
proxy_conn_interest(const struct conn *c, uint32_t *want)
{
	switch (c->px->state) {
	case PX_CONNECT:
		*want = EPOLLIN | EPOLLRDHUP;
		return 1;
	case PX_HANDSHAKE:
		*want = cx_buf_used(&c->cout) > 0 ? EPOLLOUT : c->px->want;
		return 1;
	case PX_RELAY:
		break;
	}
	return 0;
}

int
proxy_conn_timeout(struct conn *c, int64_t now)
{
	const int64_t limit = (int64_t)c->r->cfg.header_timeout_s * 1000000000;

	if (c->px->state == PX_RELAY)
		return 0;
	if (now - c->last_ns > limit) {
		const char *why = c->px->state == PX_CONNECT ?
		    "no CONNECT within the header timeout" :
		    "no TLS handshake within the header timeout";
		if (c->px->state == PX_HANDSHAKE || cx_buf_used(&c->cin) > 0)
			relay_record_error(c, -1, why);
		relay_conn_close(c, "relay", why);
	}
	return 1;
}

void
proxy_conn_close_fields(const struct conn *c, struct cx_jobj *j)
{
	const struct proxy_conn *px = c->px;
	char hp[300];

	if (px->plain) {
		cx_jobj_str(j, "mode", "http");
		return;
	}
	if (px->host[0] == '\0')
		return;
	snprintf(hp, sizeof(hp), "%s:%s", px->host, px->port);
	cx_jobj_str(j, "connect", hp);
	if (px->tunnel) {
		cx_jobj_str(j, "mode", "tunnel");
		cx_jobj_u64(j, "bytes_up", px->tunnel_open ?
		    c->bytes[CX_DIR_REQ] - px->base[CX_DIR_REQ] : 0);
		cx_jobj_u64(j, "bytes_down", px->tunnel_open ?
		    c->bytes[CX_DIR_RESP] - px->base[CX_DIR_RESP] : 0);
	} else {
		cx_jobj_str(j, "mode", px->refused || px->state == PX_CONNECT ?
		    "refused" : "intercept");
	}
}
