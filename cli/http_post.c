/* http_post.c: POSTing with libcurl (http_post.h). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_post.h"
#include "xmalloc.h"

struct cx_hpost {
	CURL            *curl;
	struct cx_buf    reply;
	volatile sig_atomic_t *stop;    /* cx_hpost_set_stop */
};

static int
curl_ready(void)
{
	static int done;

	if (!done && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	done = 1;
	return 0;
}

static size_t
on_reply(char *p, size_t size, size_t n, void *arg)
{
	struct cx_buf *b = arg;
	size_t len = size * n, room = CX_HPOST_REPLY_MAX - cx_buf_used(b);

	cx_buf_add(b, p, len < room ? len : room);
	return len;
}

/* libcurl asks as a transfer goes: nonzero ends it. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct cx_hpost *h = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return h->stop != NULL && *h->stop;
}

void
cx_hpost_set_stop(struct cx_hpost *h, volatile sig_atomic_t *stop)
{
	h->stop = stop;
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, stop != NULL ? 0L : 1L);
}

struct cx_hpost *
cx_hpost_new(char *err, size_t errlen)
{
	struct cx_hpost *h;

	if (curl_ready() == -1) {
		snprintf(err, errlen, "libcurl cannot start");
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	cx_buf_init(&h->reply, 0);
	if ((h->curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "libcurl cannot start");
		cx_hpost_free(h);
		return NULL;
	}
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_reply);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &h->reply);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "cxrec/" CXREC_VERSION);
	return h;
}

void
cx_hpost_free(struct cx_hpost *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	cx_buf_free(&h->reply);
	free(h);
}

long
cx_hpost(struct cx_hpost *h, const char *url, const char *ctype,
    const char *body, size_t n, const char *name, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	char line[256];
	CURLcode rc;
	long status = 0;

	cx_buf_reset(&h->reply);
	if (ctype != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		hdrs = curl_slist_append(hdrs, line);
	}
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	rc = curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", name, curl_easy_strerror(rc));
		return -1;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

const struct cx_buf *
cx_hpost_reply(const struct cx_hpost *h)
{
	return &h->reply;
}

void
cx_hpost_reply_line(const struct cx_hpost *h, char *out, size_t max)
{
	const char *p = (const char *)cx_buf_head(&h->reply);
	size_t n = cx_buf_used(&h->reply), i;

	for (i = 0; i < n && i + 1 < max && p[i] != '\n'; i++)
		out[i] = p[i];
	while (i > 0 && (out[i - 1] == ' ' || out[i - 1] == '\r' ||
	    out[i - 1] == ','))
		i--;
	out[i] = '\0';
	if (i == 0)
		snprintf(out, max, "(no reason given)");
}

char *
cx_hpost_escape(struct cx_hpost *h, const char *s)
{
	char *q = curl_easy_escape(h->curl, s, 0), *r;

	if (q == NULL)
		return xstrdup("");
	r = xstrdup(q);
	curl_free(q);
	return r;
}

char *
cx_url_said(const char *url)
{
	const char *host = strstr(url, "://"), *at, *slash;
	size_t n = strcspn(url, "?#");

	if (host == NULL)
		return xstrndup(url, n);
	host += 3;
	slash = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(slash - host));
	if (at == NULL)
		return xstrndup(url, n);
	return xasprintf("%.*s%.*s", (int)(host - url), url,
	    (int)(n - (size_t)(at + 1 - url)), at + 1);
}
