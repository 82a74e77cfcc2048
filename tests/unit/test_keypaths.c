/*
 * test_keypaths.c: the key-path walker (keypaths.c): nested arrays and
 * objects, type unions, counts, examples (cut, redacted), keys that need
 * quoting, the cap on distinct paths.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "exchange.h"
#include "keypaths.h"

static const struct cx_keypath *
find(const struct cx_keypaths *kp, const char *path)
{
	for (size_t i = 0; i < cx_keypaths_count(kp); i++)
		if (strcmp(cx_keypaths_get(kp, i)->path, path) == 0)
			return cx_keypaths_get(kp, i);
	ck_abort_msg("no path %s", path);
	return NULL;
}

static int
has(const struct cx_keypaths *kp, const char *path)
{
	for (size_t i = 0; i < cx_keypaths_count(kp); i++)
		if (strcmp(cx_keypaths_get(kp, i)->path, path) == 0)
			return 1;
	return 0;
}

static void
add(struct cx_keypaths *kp, const char *json)
{
	ck_assert_int_eq(cx_keypaths_add_text(kp, json, strlen(json)), 0);
}

START_TEST(nested)
{
	struct cx_keypaths *kp = cx_keypaths_new(0, 0);
	const struct cx_keypath *p;
	char types[64];

	add(kp, "{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":"
	    "\"input_text\",\"text\":\"hi\"},{\"type\":\"input_image\"}]},"
	    "{\"role\":\"assistant\",\"content\":\"plain\"}],"
	    "\"tools\":[{\"parameters\":{\"properties\":{\"cmd\":{\"type\":"
	    "\"string\"}}}}],\"m\":[[1,2],[3]],\"n\":null}");
	add(kp, "{\"input\":[],\"n\":7.5,\"flag\":false}");
	ck_assert_uint_eq(cx_keypaths_docs(kp), 2);
	cx_keypaths_sort(kp);
	for (size_t i = 1; i < cx_keypaths_count(kp); i++)
		ck_assert_int_lt(strcmp(cx_keypaths_get(kp, i - 1)->path,
		    cx_keypaths_get(kp, i)->path), 0);

	p = find(kp, "input");
	ck_assert_uint_eq(p->types, CX_KT_ARRAY);
	ck_assert_uint_eq(p->count, 2);
	ck_assert_ptr_null(p->example);
	p = find(kp, "input[]");
	ck_assert_uint_eq(p->types, CX_KT_OBJECT);
	ck_assert_uint_eq(p->count, 2);
	/* content is an array once and a string once */
	p = find(kp, "input[].content");
	ck_assert_uint_eq(p->types, CX_KT_ARRAY | CX_KT_STRING);
	ck_assert_str_eq(p->example, "\"plain\"");
	cx_keypath_types(types, sizeof(types), p->types);
	ck_assert_str_eq(types, "string|array");
	p = find(kp, "input[].content[].type");
	ck_assert_uint_eq(p->count, 2);
	ck_assert_str_eq(p->example, "\"input_text\"");
	p = find(kp, "input[].content[].text");
	ck_assert_uint_eq(p->types, CX_KT_STRING);
	ck_assert_uint_eq(p->count, 1);
	p = find(kp, "tools[].parameters.properties.cmd.type");
	ck_assert_str_eq(p->example, "\"string\"");
	p = find(kp, "m[][]");
	ck_assert_uint_eq(p->types, CX_KT_NUMBER);
	ck_assert_uint_eq(p->count, 3);
	ck_assert_str_eq(p->example, "1");
	p = find(kp, "n");
	ck_assert_uint_eq(p->types, CX_KT_NULL | CX_KT_NUMBER);
	ck_assert_str_eq(p->example, "null");
	p = find(kp, "flag");
	ck_assert_uint_eq(p->types, CX_KT_BOOLEAN);
	ck_assert_str_eq(p->example, "false");
	ck_assert(!has(kp, ""));
	ck_assert_uint_eq(cx_keypaths_dropped(kp), 0);

	/* Adding after sorting still finds the old paths. */
	add(kp, "{\"flag\":true,\"new\":1}");
	ck_assert_uint_eq(find(kp, "flag")->count, 2);
	ck_assert_uint_eq(find(kp, "new")->count, 1);
	cx_keypaths_free(kp);
}
END_TEST

START_TEST(roots_and_keys)
{
	struct cx_keypaths *kp = cx_keypaths_new(0, 0);
	const struct cx_keypath *p;

	add(kp, "[{\"a b\":1,\"x-y\":{\"q\\\"k\":true},\"_ok$1\":2,"
	    "\"1st\":3,\"\":4}]");
	add(kp, "\"just a string\"");
	ck_assert_int_eq(cx_keypaths_add_text(kp, "{nope", 5), -1);
	ck_assert_uint_eq(cx_keypaths_docs(kp), 2);
	ck_assert_uint_eq(find(kp, "[]")->types, CX_KT_OBJECT);
	ck_assert_uint_eq(find(kp, "[][\"a b\"]")->types, CX_KT_NUMBER);
	ck_assert_uint_eq(find(kp, "[][\"x-y\"][\"q\\\"k\"]")->types,
	    CX_KT_BOOLEAN);
	ck_assert_uint_eq(find(kp, "[]._ok$1")->count, 1);
	ck_assert_uint_eq(find(kp, "[][\"1st\"]")->count, 1);
	ck_assert_uint_eq(find(kp, "[][\"\"]")->count, 1);
	/* A scalar root is the path "". */
	p = find(kp, "");
	ck_assert_uint_eq(p->types, CX_KT_STRING);
	ck_assert_str_eq(p->example, "\"just a string\"");
	cx_keypaths_free(kp);
}
END_TEST

START_TEST(examples)
{
	struct cx_keypaths *kp = cx_keypaths_new(0, 1), *plain;
	const char *doc = "{\"long\":\"0123456789012345678901234567890123456789"
	    "ABCDEF\",\"utf\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"msg\":\"key "
	    "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX here\",\"access_token\":\"tok12345\""
	    ",\"password\":{\"inner\":\"pw-value\",\"n\":5,\"z\":null},"
	    "\"token\":\"\",\"api_key\":null,\"big\":12345678901234567890,"
	    "\"q\":\"say \\\"hi\\\"\\nbye\"}";

	add(kp, doc);
	ck_assert_str_eq(find(kp, "long")->example,
	    "\"0123456789012345678901234567890123456789\xe2\x80\xa6\"");
	/* Cut between characters, not bytes. */
	ck_assert_uint_eq(strlen(find(kp, "utf")->example),
	    2 + 40 * 2 + 3);
	ck_assert_str_eq(find(kp, "msg")->example, "\"key [REDACTED] here\"");
	ck_assert_str_eq(find(kp, "access_token")->example, "\"[REDACTED]\"");
	ck_assert_uint_eq(find(kp, "password")->types, CX_KT_OBJECT);
	ck_assert_str_eq(find(kp, "password.inner")->example,
	    "\"[REDACTED]\"");
	ck_assert_str_eq(find(kp, "password.n")->example, "[REDACTED]");
	ck_assert_str_eq(find(kp, "password.z")->example, "null");
	ck_assert_str_eq(find(kp, "token")->example, "\"\"");
	ck_assert_str_eq(find(kp, "api_key")->example, "null");
	ck_assert_uint_eq(find(kp, "big")->types, CX_KT_NUMBER);
	/* Examples are JSON: quotes and newlines escaped. */
	ck_assert_str_eq(find(kp, "q")->example, "\"say \\\"hi\\\"\\nbye\"");

	plain = cx_keypaths_new(0, 0);
	add(plain, doc);
	ck_assert_str_eq(find(plain, "access_token")->example,
	    "\"tok12345\"");
	ck_assert_str_eq(find(plain, "password.inner")->example,
	    "\"pw-value\"");
	cx_keypaths_free(plain);
	cx_keypaths_free(kp);
}
END_TEST

START_TEST(cap)
{
	struct cx_keypaths *kp = cx_keypaths_new(10, 0);
	char doc[8192];
	size_t off = 0;

	off += (size_t)snprintf(doc + off, sizeof(doc) - off, "{");
	for (int i = 0; i < 300; i++)
		off += (size_t)snprintf(doc + off, sizeof(doc) - off,
		    "%s\"k%d\":%d", i ? "," : "", i, i);
	snprintf(doc + off, sizeof(doc) - off, "}");
	add(kp, doc);
	ck_assert_uint_eq(cx_keypaths_count(kp), 10);
	ck_assert_uint_eq(cx_keypaths_dropped(kp), 290);
	/* Paths already kept are still counted. */
	add(kp, "{\"k0\":1,\"other\":2}");
	ck_assert_uint_eq(find(kp, "k0")->count, 2);
	ck_assert_uint_eq(cx_keypaths_dropped(kp), 291);
	cx_keypaths_free(kp);

	/* Many paths: the table grows. */
	kp = cx_keypaths_new(0, 0);
	add(kp, doc);
	ck_assert_uint_eq(cx_keypaths_count(kp), 300);
	ck_assert_str_eq(find(kp, "k299")->example, "299");
	cx_keypaths_free(kp);
	cx_keypaths_free(NULL);
}
END_TEST

START_TEST(from_cjson)
{
	struct cx_keypaths *kp = cx_keypaths_new(0, 0);
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "a", cJSON_CreateIntArray((const int[]){ 1,
	    2 }, 2));
	cx_keypaths_add(kp, o);
	cx_keypaths_add(kp, NULL);
	ck_assert_uint_eq(cx_keypaths_docs(kp), 1);
	ck_assert_uint_eq(find(kp, "a[]")->count, 2);
	cJSON_Delete(o);
	cx_keypaths_free(kp);
}
END_TEST

/*
 * The text walker (cx_keypaths_add_json) gives what the cJSON walk gives:
 * the same paths, types, counts and examples, redacted or not.
 */
static void
same_walk(const char *json, size_t max, int redact)
{
	struct cx_keypaths *a = cx_keypaths_new(max, redact);
	struct cx_keypaths *b = cx_keypaths_new(max, redact);

	ck_assert_int_eq(cx_keypaths_add_text(a, json, strlen(json)), 0);
	cx_keypaths_add_json(b, json, strlen(json));
	cx_keypaths_add_json(b, json, strlen(json));
	ck_assert_int_eq(cx_keypaths_add_text(a, json, strlen(json)), 0);
	cx_keypaths_sort(a);
	cx_keypaths_sort(b);
	ck_assert_uint_eq(cx_keypaths_docs(a), cx_keypaths_docs(b));
	ck_assert_uint_eq(cx_keypaths_count(a), cx_keypaths_count(b));
	ck_assert_uint_eq(cx_keypaths_dropped(a), cx_keypaths_dropped(b));
	for (size_t i = 0; i < cx_keypaths_count(a); i++) {
		const struct cx_keypath *x = cx_keypaths_get(a, i);
		const struct cx_keypath *y = cx_keypaths_get(b, i);

		ck_assert_str_eq(x->path, y->path);
		ck_assert_uint_eq(x->types, y->types);
		ck_assert_uint_eq(x->count, y->count);
		ck_assert_int_eq(x->example == NULL, y->example == NULL);
		if (x->example != NULL)
			ck_assert_str_eq(x->example, y->example);
	}
	cx_keypaths_free(a);
	cx_keypaths_free(b);
}

START_TEST(text_walk)
{
	static const char *docs[] = {
		"{\"a\":1,\"b\":[1.50,-0,1e5,2E-3,true,false,null],"
		"\"c\":{\"d e\":\"x\\\"y\\\\z\\n\\t\\/\",\"\":[],\"f\":{}}}",
		" [ {\"x\" : [ [ 1 , \"two\" ] , [ ] ] } , 3 ] ",
		"\"a scalar root\"",
		"12.5000",
		"{\"api_key\":\"sk-proj-abcdefghijklmnopqrstuvwxyz0123\","
		"\"token\":null,\"password\":{\"inner\":[1,\"s\"]},"
		"\"authorization\":\"\",\"text\":\"Bearer abcdefghijklmnop"
		"qrstuvwxyz0123456789 and more\",\"k\\\"q\":1}",
		"{\"long\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 and then some more text to "
		"pass forty characters\",\"dup\":1,\"dup\":\"s\"}",
		/* \u escapes: the cJSON walk, whatever they hold */
		"{\"u\":\"\\u00e9\\ud83d\\ude00\",\"z\":\"a\\u0000b\"}",
		"{\"path\":\"C:\\\\users\"}",
		"{\"n\\u0000k\":1}",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		same_walk(docs[i], 0, 0);
		same_walk(docs[i], 0, 1);
		same_walk(docs[i], 3, 1);
	}
}
END_TEST

/* A body's key paths in two parts (check, then walk) as in one. */
START_TEST(body_in_two)
{
	static const char *const bodies[] = { "{\"a\":[1,{\"b\":\"x\"}]}",
	    "not json", "[true,null]", "" };

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct cx_keypaths *one = cx_keypaths_new(0, 0);
		struct cx_keypaths *two = cx_keypaths_new(0, 0);
		struct cx_msg m;

		memset(&m, 0, sizeof(m));
		cx_buf_init(&m.body, 0);
		cx_buf_add(&m.body, bodies[i], strlen(bodies[i]));
		m.body_bytes = strlen(bodies[i]);
		cx_keypaths_add_body(one, &m);
		cx_keypaths_add_body_as(two, &m, cx_keypaths_body_json(&m));
		ck_assert_uint_eq(cx_keypaths_docs(one), cx_keypaths_docs(two));
		ck_assert_uint_eq(cx_keypaths_count(one),
		    cx_keypaths_count(two));
		for (size_t k = 0; k < cx_keypaths_count(one); k++) {
			const struct cx_keypath *x = cx_keypaths_get(one, k);
			const struct cx_keypath *y = cx_keypaths_get(two, k);

			ck_assert_str_eq(x->path, y->path);
			ck_assert_uint_eq(x->types, y->types);
			ck_assert_uint_eq(x->count, y->count);
		}
		cx_buf_free(&m.body);
		cx_keypaths_free(one);
		cx_keypaths_free(two);
	}
}
END_TEST

static Suite *
keypaths_suite(void)
{
	Suite *s = suite_create("keypaths");
	TCase *tc = tcase_create("keypaths");

	tcase_add_test(tc, nested);
	tcase_add_test(tc, roots_and_keys);
	tcase_add_test(tc, examples);
	tcase_add_test(tc, cap);
	tcase_add_test(tc, from_cjson);
	tcase_add_test(tc, text_walk);
	tcase_add_test(tc, body_in_two);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(keypaths_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
