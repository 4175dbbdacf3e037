#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "remote_cache_env.h"
#include "util.h"

static void clear_env(void)
{
    const char *vars[] = {"TMGT_REMOTE_CACHE_HEADER", "TMGT_REMOTE_CACHE_CA", "TMGT_REMOTE_CACHE_NETRC",
                          "TMGT_REMOTE_CACHE_TIMEOUT", "TMGT_REMOTE_CACHE_RETRIES"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        unsetenv(vars[i]);
}

static void test_defaults_without_settings(void **state)
{
    clear_env();
    remote_cache_conf conf;
    tmgt_error err;
    assert_int_equal(remote_cache_conf_from_env(&conf, "http://cache:8080/", &err), 0);
    assert_string_equal(conf.url, "http://cache:8080/");
    assert_int_equal(conf.n_headers, 0);
    assert_null(conf.ca_file);
    assert_int_equal(conf.timeout_s, 30);
    assert_int_equal(conf.max_attempts, 3);
    remote_cache_conf_free(&conf);
}

static void test_headers_one_a_line(void **state)
{
    clear_env();
    setenv("TMGT_REMOTE_CACHE_HEADER", "Authorization: Bearer s3cr3t-value\r\n\nX-Tenant:ci\n", 1);
    setenv("TMGT_REMOTE_CACHE_TIMEOUT", "5", 1);
    setenv("TMGT_REMOTE_CACHE_RETRIES", "0", 1);
    remote_cache_conf conf;
    tmgt_error err;
    assert_int_equal(remote_cache_conf_from_env(&conf, "https://cache", &err), 0);
    assert_int_equal(conf.n_headers, 2);
    assert_string_equal(conf.headers[0], "Authorization: Bearer s3cr3t-value");
    assert_string_equal(conf.headers[1], "X-Tenant:ci");
    assert_int_equal(conf.timeout_s, 5);
    assert_int_equal(conf.max_attempts, 1);
    remote_cache_conf_free(&conf);
    clear_env();
}

static void test_bad_settings_are_refused_without_quoting_a_header(void **state)
{
    struct {
        const char *var, *value, *msg;
    } cases[] = {
        {"TMGT_REMOTE_CACHE_HEADER", "X-Ok: 1\nBearer s3cr3t-value",
         "TMGT_REMOTE_CACHE_HEADER: line 2 is not a header (Name: value)"},
        {"TMGT_REMOTE_CACHE_HEADER", "Bad Name: s3cr3t-value",
         "TMGT_REMOTE_CACHE_HEADER: line 1 is not a header (Name: value)"},
        {"TMGT_REMOTE_CACHE_CA", "/nonexistent/ca.pem",
         "TMGT_REMOTE_CACHE_CA=/nonexistent/ca.pem: not a readable file"},
        {"TMGT_REMOTE_CACHE_TIMEOUT", "0",
         "TMGT_REMOTE_CACHE_TIMEOUT=0: expected a whole number from 1 to 3600"},
        {"TMGT_REMOTE_CACHE_RETRIES", "2x",
         "TMGT_REMOTE_CACHE_RETRIES=2x: expected a whole number from 0 to 10"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        clear_env();
        setenv(cases[i].var, cases[i].value, 1);
        remote_cache_conf conf;
        tmgt_error err;
        assert_int_equal(remote_cache_conf_from_env(&conf, "http://cache", &err), -1);
        assert_string_equal(err.msg, cases[i].msg);
        assert_null(conf.url); /* nothing left to free */
    }
    clear_env();
}

static void test_the_server_is_named_without_its_query(void **state)
{
    clear_env();
    remote_cache_conf conf;
    tmgt_error err;
    assert_int_equal(remote_cache_conf_from_env(&conf, "https://cache:9090/ci/?sig=abc", &err), 0);
    remote_cache *rc = remote_cache_open(&conf, &err);
    remote_cache_conf_free(&conf);
    assert_non_null(rc);
    assert_string_equal(remote_cache_name(rc), "https://cache:9090/ci/");
    assert_false(remote_cache_is_down(rc));
    remote_cache_close(rc);
}

static void test_urls_that_are_not_http_or_hold_credentials_are_refused(void **state)
{
    clear_env();
    struct {
        const char *url, *msg;
    } cases[] = {
        {"ftp://cache/", "remote cache URL is not an http:// or https:// URL"},
        {"cache:8080", "remote cache URL is not an http:// or https:// URL"},
        {"https://user:pa55word@cache/",
         "remote cache URL holds a user name or password; give credentials in "
         "TMGT_REMOTE_CACHE_NETRC or TMGT_REMOTE_CACHE_HEADER instead"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        remote_cache_conf conf;
        tmgt_error err;
        assert_int_equal(remote_cache_conf_from_env(&conf, cases[i].url, &err), 0);
        assert_null(remote_cache_open(&conf, &err));
        assert_string_equal(err.msg, cases[i].msg);
        remote_cache_conf_free(&conf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_without_settings),
        cmocka_unit_test(test_headers_one_a_line),
        cmocka_unit_test(test_bad_settings_are_refused_without_quoting_a_header),
        cmocka_unit_test(test_the_server_is_named_without_its_query),
        cmocka_unit_test(test_urls_that_are_not_http_or_hold_credentials_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
