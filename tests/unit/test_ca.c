/* test_ca.c: the proxy's per-run CA: leaves minted, verified, cached. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"

static struct cx_ca *ca;

static void
setup(void)
{
	char err[256] = "";

	ca = cx_ca_new(err, sizeof(err));
	ck_assert_msg(ca != NULL, "cx_ca_new: %s", err);
}

static void
teardown(void)
{
	cx_ca_free(ca);
}

/* X509_verify_cert of leaf against the CA alone, for host (or IP). */
static int
verify(X509 *leaf, const char *host, int ip)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *vp;
	int ok;

	X509_STORE_add_cert(st, cx_ca_cert(ca));
	X509_STORE_CTX_init(ctx, st, leaf, NULL);
	vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_SSL_SERVER);
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_X509_STRICT);
	if (ip)
		X509_VERIFY_PARAM_set1_ip_asc(vp, host);
	else
		X509_VERIFY_PARAM_set1_host(vp, host, 0);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ok;
}

START_TEST(test_ca_cert)
{
	X509 *c = cx_ca_cert(ca);
	char cn[128];
	ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
	int day, sec;

	X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, cn,
	    sizeof(cn));
	ck_assert_str_eq(cn, CX_CA_NAME);
	ck_assert_int_eq(X509_check_ca(c), 1);
	ck_assert(X509_get_extension_flags(c) & EXFLAG_CA);
	ck_assert(X509_get_key_usage(c) & KU_KEY_CERT_SIGN);
	/* basicConstraints is critical */
	int crit = -1;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(c, NID_basic_constraints,
	    &crit, NULL);
	ck_assert(bc != NULL && bc->ca);
	ck_assert_int_eq(crit, 1);
	BASIC_CONSTRAINTS_free(bc);
	/* Valid now, for at most a week. */
	ck_assert_int_lt(X509_cmp_current_time(X509_get0_notBefore(c)), 0);
	ck_assert_int_gt(X509_cmp_current_time(X509_get0_notAfter(c)), 0);
	ck_assert(ASN1_TIME_diff(&day, &sec, now, X509_get0_notAfter(c)));
	ck_assert_int_le(day, 7);
	ASN1_TIME_free(now);
}
END_TEST

START_TEST(test_leaf_dns)
{
	X509 *l = cx_ca_leaf(ca, "api.example.test");
	GENERAL_NAMES *san;
	EXTENDED_KEY_USAGE *eku;

	ck_assert(l != NULL);
	ck_assert_int_eq(verify(l, "api.example.test", 0), 1);
	ck_assert_int_eq(verify(l, "other.example.test", 0), 0);
	san = X509_get_ext_d2i(l, NID_subject_alt_name, NULL, NULL);
	ck_assert(san != NULL);
	ck_assert_int_eq(sk_GENERAL_NAME_num(san), 1);
	GENERAL_NAME *g = sk_GENERAL_NAME_value(san, 0);
	ck_assert_int_eq(g->type, GEN_DNS);
	ck_assert_str_eq((const char *)ASN1_STRING_get0_data(g->d.dNSName),
	    "api.example.test");
	GENERAL_NAMES_free(san);
	eku = X509_get_ext_d2i(l, NID_ext_key_usage, NULL, NULL);
	ck_assert(eku != NULL && sk_ASN1_OBJECT_num(eku) == 1);
	ck_assert_int_eq(OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)),
	    NID_server_auth);
	EXTENDED_KEY_USAGE_free(eku);
	ck_assert_int_eq(X509_check_ca(l), 0);
	/* Its key is the leaves' key. */
	ck_assert_int_eq(X509_check_private_key(l, cx_ca_leaf_key(ca)), 1);
}
END_TEST

START_TEST(test_leaf_ip)
{
	X509 *l4 = cx_ca_leaf(ca, "127.0.0.9"), *l6 = cx_ca_leaf(ca, "::1");

	ck_assert(l4 != NULL && l6 != NULL);
	ck_assert_int_eq(verify(l4, "127.0.0.9", 1), 1);
	ck_assert_int_eq(verify(l4, "127.0.0.8", 1), 0);
	ck_assert_int_eq(verify(l6, "::1", 1), 1);
	GENERAL_NAMES *san = X509_get_ext_d2i(l4, NID_subject_alt_name, NULL,
	    NULL);
	ck_assert_int_eq(sk_GENERAL_NAME_value(san, 0)->type, GEN_IPADD);
	GENERAL_NAMES_free(san);
}
END_TEST

START_TEST(test_cache)
{
	X509 *a = cx_ca_leaf(ca, "a.example.test");

	ck_assert_uint_eq(cx_ca_minted(ca), 1);
	ck_assert_ptr_eq(cx_ca_leaf(ca, "a.example.test"), a);
	ck_assert_ptr_eq(cx_ca_leaf(ca, "A.Example.Test"), a);
	ck_assert_uint_eq(cx_ca_minted(ca), 1);
	ck_assert(cx_ca_leaf(ca, "b.example.test") != a);
	ck_assert_uint_eq(cx_ca_minted(ca), 2);
	/* Nothing minted for a name no certificate can carry. */
	ck_assert(cx_ca_leaf(ca, "") == NULL);
	ck_assert(cx_ca_leaf(ca, "a,b") == NULL);
}
END_TEST

START_TEST(test_write_pem)
{
	char dir[] = "/tmp/test_ca.XXXXXX", path[64];
	struct stat st;
	FILE *f;
	X509 *x;

	ck_assert(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	ck_assert_int_eq(cx_ca_write_pem(ca, path), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	/* Never over an existing file. */
	ck_assert_int_eq(cx_ca_write_pem(ca, path), -1);
	f = fopen(path, "r");
	x = PEM_read_X509(f, NULL, NULL, NULL);
	ck_assert(x != NULL);
	ck_assert_int_eq(X509_cmp(x, cx_ca_cert(ca)), 0);
	/* The certificate only: no key in the file. */
	rewind(f);
	char line[256];
	while (fgets(line, sizeof(line), f) != NULL)
		ck_assert(strstr(line, "PRIVATE") == NULL);
	fclose(f);
	X509_free(x);
	unlink(path);
	rmdir(dir);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("ca");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ca_cert);
	tcase_add_test(tc, test_leaf_dns);
	tcase_add_test(tc, test_leaf_ip);
	tcase_add_test(tc, test_cache);
	tcase_add_test(tc, test_write_pem);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
