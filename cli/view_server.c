/* view_server.c: the live view's HTTP server (view_server.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bytebuf.h"
#include "decode.h"
#include "log.h"
#include "sockaddr.h"
#include "trace.h"
#include "view_server.h"
#include "xmalloc.h"

#define HEAD_MAX        8192
#define HEAD_TIMEOUT_NS (10LL * 1000000000)
#define KEEPALIVE_NS    (15LL * 1000000000)
#define TICK_MS         50
#define LAST_WORDS_NS   (500LL * 1000000)

enum state {
	C_HEAD,                 /* reading the request's head */
	C_SEND,                 /* sending a response, then closing */
	C_EVENTS,               /* the event stream */
};

struct client {
	int              fd;
	enum state       state;
	char             head[HEAD_MAX];
	size_t           hlen;
	int64_t          since;         /* accepted / last written */
	struct cx_buf    out;
	struct cx_live  *live;          /* C_EVENTS */
	int              live_state;    /* cx_live_poll's last answer */
};

struct view_server {
	struct view_opts  o;
	int               lfd;
	char              token[33];
	char              url[160];
	char             *page;         /* the page, made once */
	size_t            page_len;
	struct client    *c[VIEW_MAX_CLIENTS];
	size_t            n;
};

/* --- clients ------------------------------------------------------------- */

static void
client_drop(struct view_server *s, size_t i)
{
	struct client *c = s->c[i];

	close(c->fd);
	cx_live_free(c->live);
	cx_buf_free(&c->out);
	free(c);
	s->c[i] = s->c[--s->n];
}

static void
respond(struct client *c, const char *status, const char *type,
    const char *extra, const char *body, size_t len)
{
	char h[512];

	snprintf(h, sizeof(h), "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n"
	    "%sConnection: close\r\n\r\n", status, type, len, extra);
	cx_buf_adds(&c->out, h);
	cx_buf_add(&c->out, body, len);
	c->state = C_SEND;
}

static void
not_found(struct client *c)
{
	static const char msg[] = "not found\n";

	respond(c, "404 Not Found", "text/plain", "", msg, sizeof(msg) - 1);
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* GET /TOKEN/report: the report of the trace as it is, from a child. */
static void
report(struct view_server *s, struct client *c)
{
	struct cx_decode_opts o;
	char err[512], h[256];
	FILE *tmp;
	long n;
	pid_t pid;

	if ((pid = fork()) == -1) {
		snprintf(err, sizeof(err), "cannot make the report: fork: %s\n",
		    strerror(errno));
		respond(c, "503 Service Unavailable", "text/plain", "", err,
		    strlen(err));
		return;
	}
	if (pid > 0) {
		/* The child answers; the connection is its. */
		c->state = C_SEND;
		close(c->fd);
		c->fd = -1;
		return;
	}
	close(s->lfd);
	for (size_t i = 0; i < s->n; i++)
		if (s->c[i] != c)
			close(s->c[i]->fd);
	memset(&o, 0, sizeof(o));
	o.format = "html";
	o.no_redact = s->o.live.no_redact;
	o.max_body = s->o.live.max_body;
	o.prices = s->o.live.prices;
	o.names = s->o.live.names;
	o.warn = quiet;                 /* the page says it; not the terminal */
	if (fcntl(c->fd, F_SETFL, 0) == -1 || (tmp = tmpfile()) == NULL)
		_exit(1);
	if (cx_decode(s->o.trace, &o, tmp, err, sizeof(err)) != 0) {
		n = snprintf(h, sizeof(h), "HTTP/1.1 500 Internal Server Error"
		    "\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
		    "%s\n", err);
		(void)!write(c->fd, h, (size_t)n);
		_exit(1);
	}
	n = ftell(tmp);
	rewind(tmp);
	snprintf(h, sizeof(h), "HTTP/1.1 200 OK\r\nContent-Type: text/html; "
	    "charset=utf-8\r\nContent-Length: %ld\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n", n);
	if (write(c->fd, h, strlen(h)) == -1)
		_exit(1);
	while (n > 0) {
		char b[65536];
		size_t k = fread(b, 1, sizeof(b), tmp);

		if (k == 0 || write(c->fd, b, k) != (ssize_t)k)
			_exit(1);
		n -= (long)k;
	}
	_exit(0);
}

static void
events(struct view_server *s, struct client *c)
{
	static const char h[] = "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/event-stream; charset=utf-8\r\n"
	    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
	    "Connection: close\r\n\r\nretry: 2000\n\n";
	char err[512];

	if ((c->live = cx_live_open(s->o.trace, &s->o.live, err,
	    sizeof(err))) == NULL) {
		strncat(err, "\n", sizeof(err) - strlen(err) - 1);
		respond(c, "500 Internal Server Error", "text/plain", "", err,
		    strlen(err));
		return;
	}
	cx_buf_add(&c->out, h, sizeof(h) - 1);
	c->state = C_EVENTS;
	c->live_state = CX_LIVE_MORE;
}

/* The head is in: answer it. */
static void
route(struct view_server *s, struct client *c)
{
	char method[8], path[256], loc[128];
	size_t tl = strlen(s->token);
	const char *rest;

	if (sscanf(c->head, "%7s %255s HTTP/1.%*c", method, path) != 2 ||
	    (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)) {
		static const char msg[] = "only GET\n";

		respond(c, "405 Method Not Allowed", "text/plain",
		    "Allow: GET\r\n", msg, sizeof(msg) - 1);
		return;
	}
	if (path[0] != '/' || strncmp(path + 1, s->token, tl) != 0) {
		not_found(c);
		return;
	}
	rest = path + 1 + tl;
	if (*rest == '\0') {
		snprintf(loc, sizeof(loc), "Location: /%s/\r\n", s->token);
		respond(c, "301 Moved Permanently", "text/plain", loc, "", 0);
	} else if (strcmp(rest, "/") == 0)
		respond(c, "200 OK", "text/html; charset=utf-8", "", s->page,
		    s->page_len);
	else if (strcmp(rest, "/events") == 0)
		events(s, c);
	else if (strcmp(rest, "/report") == 0)
		report(s, c);
	else
		not_found(c);
}

static int
client_read(struct view_server *s, struct client *c)
{
	ssize_t k;

	if (c->state != C_HEAD) {
		char junk[512];

		/* A viewer says nothing after its request: this is its end. */
		k = recv(c->fd, junk, sizeof(junk), 0);
		return k == 0 || (k == -1 && errno != EAGAIN && errno !=
		    EINTR) ? -1 : 0;
	}
	k = recv(c->fd, c->head + c->hlen, sizeof(c->head) - 1 - c->hlen, 0);
	if (k == 0 || (k == -1 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (k > 0)
		c->hlen += (size_t)k;
	c->head[c->hlen] = '\0';
	if (strstr(c->head, "\r\n\r\n") != NULL || strstr(c->head, "\n\n"))
		route(s, c);
	else if (c->hlen == sizeof(c->head) - 1) {
		static const char msg[] = "request head too large\n";

		respond(c, "431 Request Header Fields Too Large", "text/plain",
		    "", msg, sizeof(msg) - 1);
	}
	return 0;
}

/* Send what is queued; -1: the client is gone or done. */
static int
client_write(struct client *c)
{
	long k = cx_buf_send(&c->out, c->fd);

	if (k == -1)
		return -1;
	if (k > 0)
		c->since = cx_now_ns();
	if (cx_buf_used(&c->out) > 0)
		return 0;               /* the rest when it takes more */
	if (c->state == C_SEND || (c->state == C_EVENTS &&
	    c->live_state == CX_LIVE_DONE))
		return -1;              /* all said */
	return 0;
}

/* A viewer's reading, when it has room; 1 if it has more at once. */
static int
client_live(struct client *c, int64_t now)
{
	if (c->state != C_EVENTS || c->live_state == CX_LIVE_DONE)
		return 0;
	if (cx_buf_used(&c->out) >= VIEW_OUT_HIGH)
		return 0;
	c->live_state = cx_live_poll(c->live, &c->out);
	if (cx_buf_used(&c->out) == 0 && now - c->since > KEEPALIVE_NS) {
		cx_buf_adds(&c->out, ": still here\n\n");
		c->since = now;
	}
	return c->live_state == CX_LIVE_MORE;
}

/* --- the server ---------------------------------------------------------- */

static void
accept_all(struct view_server *s)
{
	int fd;

	while ((fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		struct client *c;

		if (s->n == VIEW_MAX_CLIENTS) {
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->fd = fd;
		c->state = C_HEAD;
		c->since = cx_now_ns();
		cx_buf_init(&c->out, 0);
		s->c[s->n++] = c;
	}
}

static void
reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int
view_server_run(struct view_server *s, volatile sig_atomic_t *stop)
{
	struct pollfd pf[VIEW_MAX_CLIENTS + 1];
	int64_t last = 0, end_by = 0;
	int more = 0;

	for (;;) {
		int64_t now = cx_now_ns();
		size_t i;

		if (*stop && end_by == 0)
			end_by = now + LAST_WORDS_NS;
		if (end_by != 0 && (now >= end_by || s->n == 0))
			break;
		/* The readings, every tick (at once while one catches up). */
		if (more || now - last >= (int64_t)TICK_MS * 1000000 ||
		    end_by != 0) {
			last = now;
			more = 0;
			for (i = 0; i < s->n; i++)
				more |= client_live(s->c[i], now);
		}
		for (i = 0; i < s->n; )
			if (s->c[i]->fd == -1 || (cx_buf_used(&s->c[i]->out) >
			    0 && client_write(s->c[i]) == -1) ||
			    (s->c[i]->state == C_HEAD && now - s->c[i]->since >
			    HEAD_TIMEOUT_NS))
				client_drop(s, i);
			else
				i++;
		pf[0].fd = end_by != 0 ? -1 : s->lfd;
		pf[0].events = POLLIN;
		for (i = 0; i < s->n; i++) {
			pf[i + 1].fd = s->c[i]->fd;
			pf[i + 1].events = POLLIN | (cx_buf_used(&s->c[i]->out)
			    > 0 ? POLLOUT : 0);
			pf[i + 1].revents = 0;
		}
		pf[0].revents = 0;
		if (poll(pf, s->n + 1, more ? 0 : TICK_MS) == -1 &&
		    errno != EINTR)
			return -1;
		reap();
		for (i = s->n; i-- > 0; ) {
			struct client *c = s->c[i];
			short ev = pf[i + 1].revents;

			if (ev & (POLLERR | POLLNVAL) || ((ev & POLLIN) &&
			    client_read(s, c) == -1) || ((ev & POLLHUP) &&
			    !(ev & POLLIN)))
				client_drop(s, i);
			else if (ev & POLLOUT && client_write(c) == -1)
				client_drop(s, i);
		}
		if (pf[0].revents & POLLIN)
			accept_all(s);
	}
	return 0;
}

const char *
view_server_url(const struct view_server *s)
{
	return s->url;
}

struct view_server *
view_server_new(const struct view_opts *o, char *err, size_t errlen)
{
	const char *listen_at = o->listen != NULL ? o->listen : "127.0.0.1:0";
	struct view_server *s;
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned char rnd[16];
	char addr[96];
	FILE *m;
	int one = 1;

	if (cx_listen_parse(listen_at, &ss, &sl, err, errlen) == -1)
		return NULL;
	if (!cx_sockaddr_loopback(&ss)) {
		snprintf(err, errlen, "--listen '%s': the view listens on "
		    "loopback only (127.0.0.0/8, ::1)", listen_at);
		return NULL;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		snprintf(err, errlen, "no random token: %s", strerror(errno));
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->o = *o;
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(s->token + 2 * i, 3, "%02x", rnd[i]);
	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (s->lfd == -1 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || bind(s->lfd, (struct sockaddr *)&ss, sl) ==
	    -1 || listen(s->lfd, 64) == -1 || getsockname(s->lfd,
	    (struct sockaddr *)&ss, &sl) == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen_at,
		    strerror(errno));
		view_server_free(s);
		return NULL;
	}
	cx_sockaddr_str(&ss, addr, sizeof(addr));
	snprintf(s->url, sizeof(s->url), "http://%s/%s/", addr, s->token);
	if ((m = open_memstream(&s->page, &s->page_len)) == NULL)
		fatalx("view: out of memory");
	cx_live_page(m, o->trace);
	fclose(m);
	return s;
}

void
view_server_free(struct view_server *s)
{
	if (s == NULL)
		return;
	while (s->n > 0)
		client_drop(s, s->n - 1);
	if (s->lfd != -1)
		close(s->lfd);
	free(s->page);
	free(s);
}

void
view_open_browser(const char *url)
{
	pid_t pid;
	int fd;

	if (getenv("DISPLAY") == NULL && getenv("WAYLAND_DISPLAY") == NULL) {
		log_warnx("--open: no desktop here (DISPLAY and WAYLAND_DISPLAY "
		    "are unset): open %s yourself", url);
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn("--open: fork");
		return;
	}
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("xdg-open", "xdg-open", url, (char *)NULL);
		_exit(127);
	}
}
