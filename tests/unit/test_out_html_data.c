/*
 * test_out_html_data.c: the JSON a page carries as data
 * (analyzer/out_html_data.c): a body that holds most of one written just
 * before is written as the middle part, with the base and the lengths of
 * the shared beginning and end in UTF-16 code units (what the page's
 * script slices by); rebuilding it as the script does gives the body's
 * whole text.  Small or unrelated bodies are whole; nothing in the data
 * can end its element.  In a browser: tests/integration/html_report.sh.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out_html.h"

/* What cx_htr_data wrote for p (with d, or whole without). */
static char *
data_of(struct cx_htdata *d, const char *p)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	cx_htr_data(f, d, p, strlen(p));
	fclose(f);
	return out;
}

/* The element's content (between its '>' and "</script>"), malloc'd. */
static char *
content(const char *el)
{
	const char *a = strchr(el, '>') + 1, *b = strstr(a, "</script>");

	ck_assert_ptr_nonnull(b);
	return strndup(a, (size_t)(b - a));
}

static long
attr(const char *el, const char *name)
{
	const char *a = strstr(el, name);

	ck_assert_ptr_nonnull(a);
	return strtol(a + strlen(name) + 2, NULL, 10);
}

/* The byte offset of UTF-16 unit u in UTF-8 text s (as JS slices). */
static size_t
byte_of(const char *s, size_t len, long u)
{
	size_t i = 0;

	while (u > 0 && i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;

		u -= k == 4 ? 2 : 1;
		i += k;
	}
	ck_assert_int_eq(u, 0);
	return i;
}

/* UTF-16 units of UTF-8 text s[0..len) (a JS string's length). */
static size_t
units_of_whole(const char *s, size_t len)
{
	size_t u = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xc0) != 0x80)
			u += c >= 0xf0 ? 2 : 1;
	}
	return u;
}

/* A request that resends the one before, with more in the middle. */
START_TEST(a_resent_body_is_its_difference)
{
	struct cx_htdata *d = cx_htdata_new();
	char a[8192], b[8192], hist[4000];
	char *ea, *eb, *whole_b, *base, *mid, *want, got[16384];
	size_t p, s, blen;

	memset(hist, 'h', sizeof(hist) - 1);
	hist[sizeof(hist) - 1] = '\0';
	/* Non-ASCII (2, 3, 4 bytes) before and after, markup between. */
	snprintf(a, sizeof(a), "{\"model\":\"m\xc3\xa9\",\"input\":[\"%s "
	    "\xe2\x86\x92 \xf0\x9f\x98\x80\"],\"tools\":[\"t\xf0\x9f\x98\x80\"]}",
	    hist);
	snprintf(b, sizeof(b), "{\"model\":\"m\xc3\xa9\",\"input\":[\"%s "
	    "\xe2\x86\x92 \xf0\x9f\x98\x80\",\"</script><b>new & more\"],"
	    "\"tools\":[\"t\xf0\x9f\x98\x80\"]}", hist);
	ea = data_of(d, a);
	eb = data_of(d, b);
	ck_assert_ptr_nonnull(strstr(ea, "<script type=\"application/json\" "
	    "id=\"j1\">"));
	ck_assert_ptr_nonnull(strstr(eb, "<script type=\"text/x-cxrec-delta\" "
	    "id=\"j2\" data-base=\"j1\" data-p=\""));
	/* The middle only, escaped. */
	mid = content(eb);
	ck_assert_uint_lt(strlen(mid), 100);
	ck_assert_ptr_nonnull(strstr(mid, "\\u003c/script\\u003e\\u003cb"
	    "\\u003enew \\u0026 more"));
	ck_assert_ptr_null(strchr(mid, '<'));
	/* Rebuilt as the page does, it is the whole text. */
	base = content(ea);
	blen = strlen(base);
	p = byte_of(base, blen, attr(eb, "data-p"));
	s = blen - byte_of(base, blen, (long)units_of_whole(base, blen) -
	    attr(eb, "data-s"));
	snprintf(got, sizeof(got), "%.*s%s%s", (int)p, base, mid,
	    base + blen - s);
	whole_b = data_of(NULL, b);
	want = content(whole_b);
	ck_assert_str_eq(got, want);
	free(ea);
	free(eb);
	free(mid);
	free(base);
	free(whole_b);
	free(want);
	cx_htdata_free(d);
}
END_TEST

START_TEST(small_or_unrelated_is_whole)
{
	struct cx_htdata *d = cx_htdata_new();
	char big[4096], other[4096];
	char *x;

	memset(big, 'a', sizeof(big));
	memcpy(big, "[\"", 2);
	memcpy(big + sizeof(big) - 3, "\"]", 3);
	memset(other, 'b', sizeof(other));
	memcpy(other, "[\"", 2);
	memcpy(other + sizeof(other) - 3, "\"]", 3);
	free(data_of(d, "{\"a\":1}"));
	x = data_of(d, "{\"a\":1,\"b\":2}");       /* shares little */
	ck_assert_ptr_nonnull(strstr(x, "type=\"application/json\""));
	free(x);
	free(data_of(d, big));
	x = data_of(d, other);                      /* nothing in common */
	ck_assert_ptr_nonnull(strstr(x, "type=\"application/json\" id=\"j4\""));
	free(x);
	x = data_of(d, big);                        /* the same again */
	ck_assert_ptr_nonnull(strstr(x, "data-base=\"j3\" data-p=\""));
	free(x);
	cx_htdata_free(d);
}
END_TEST

/*
 * Set aside (an exchange rendered ahead on the reading thread) and
 * replayed, the page is what writing it at once gives: the same ids,
 * bases and differences, the text around the data in place.
 */
START_TEST(deferred_is_the_same)
{
	struct cx_htdata *now = cx_htdata_new(), *real = cx_htdata_new();
	struct cx_htdata *aside = cx_htdata_new_deferred();
	char *want = NULL, *got = NULL;
	size_t wlen = 0, glen = 0;
	FILE *w = open_memstream(&want, &wlen);
	FILE *g = open_memstream(&got, &glen);
	char big[4000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int round = 0; round < 4; round++) {
		char *text = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&text, &len);
		FILE *sink[2] = { w, m };
		struct cx_htdata *d[2] = { now, aside };

		big[round * 7] = 'y';
		for (int k = 0; k < 2; k++) {
			fprintf(sink[k], "<article %d>", round);
			cx_htr_data(sink[k], d[k], big, strlen(big));
			fputs("<between \"&\">", sink[k]);
			cx_htr_data(sink[k], d[k], "{\"a\":\"<b>\"}", 11);
			fputs("</article>", sink[k]);
		}
		fclose(m);
		cx_htr_data_replay(g, real, text, len,
		    cx_htdata_take_deferred(aside));
		free(text);
		/* nothing set aside: the text as it is */
		cx_htr_data_replay(g, real, "plain", 5, NULL);
		fputs("plain", w);
	}
	fclose(w);
	fclose(g);
	ck_assert_uint_eq(glen, wlen);
	ck_assert_str_eq(got, want);
	ck_assert_ptr_nonnull(strstr(want, "text/x-cxrec-delta"));
	free(want);
	free(got);
	cx_htdata_free(now);
	cx_htdata_free(real);
	cx_htdata_free(aside);
}
END_TEST

static Suite *
html_data_suite(void)
{
	Suite *s = suite_create("html_data");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, a_resent_body_is_its_difference);
	tcase_add_test(tc, small_or_unrelated_is_whole);
	tcase_add_test(tc, deferred_is_the_same);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(html_data_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
