/* The run memo: which invocation it belongs to, and what makes it stale. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>

#include "checksum.h"
#include "exit_code.h"
#include "fs.h"
#include "run_memo.h"

static char *argv_run[] = {"tmgt", "check", "--model", "m"};

static char *memo_name_as_shown(char **argv, int argc, bool color, size_t width, bool gpu)
{
    report_console_opts console = {.color = color, .width = width};
    return run_memo_path("/cache", argc, argv, &console, gpu);
}

static char *memo_name(char **argv, int argc, bool color, bool gpu)
{
    return memo_name_as_shown(argv, argc, color, 100, gpu);
}

static void test_the_memo_is_per_invocation(void **state)
{
    char *base = memo_name(argv_run, 4, false, false);
    assert_non_null(strstr(base, "/cache/memo/"));
    char *same = memo_name(argv_run, 4, false, false);
    assert_string_equal(base, same);
    char *other_args[] = {"tmgt", "check", "--model", "n"};
    char *args = memo_name(other_args, 4, false, false);
    char *color = memo_name(argv_run, 4, true, false);
    char *gpu = memo_name(argv_run, 4, false, true);
    char *width = memo_name_as_shown(argv_run, 4, false, 80, false); /* the findings wrap to it */
    assert_string_not_equal(args, base);
    assert_string_not_equal(width, base);
    assert_string_not_equal(color, base);
    assert_string_not_equal(gpu, base);
    /* every variable tmgt reads counts, the Hub token under its older name included */
    const char *read[] = {
        "HUGGING_FACE_HUB_TOKEN", "TMGT_CACHE_SALT", "HF_HOME", "NO_COLOR", "PATH", "COLUMNS"};
    for (size_t i = 0; i < sizeof read / sizeof *read; i++) {
        char *was = getenv(read[i]) ? strdup(getenv(read[i])) : NULL;
        setenv(read[i], "a value no test sets", 1);
        char *changed = memo_name(argv_run, 4, false, false);
        assert_string_not_equal(changed, base);
        free(changed);
        if (was)
            setenv(read[i], was, 1);
        else
            unsetenv(read[i]);
        free(was);
    }
    setenv("TMGT_UNIT_UNRELATED_BUT_OURS", "1", 1); /* tmgt's namespace, read or not */
    char *ours = memo_name(argv_run, 4, false, false);
    assert_string_not_equal(ours, base);
    unsetenv("TMGT_UNIT_UNRELATED_BUT_OURS");
    setenv("UNIT_UNRELATED", "1", 1); /* anything else does not */
    char *unrelated = memo_name(argv_run, 4, false, false);
    assert_string_equal(unrelated, base);
    unsetenv("UNIT_UNRELATED");
    free(base);
    free(same);
    free(args);
    free(color);
    free(gpu);
    free(width);
    free(ours);
    free(unrelated);
}

typedef struct {
    char *dir, *input, *oracle, *document, *results, *memo;
    dep_list deps;
    bool oracle_is_input; /* a step's {oracle} reads it */
} remembered;

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* The run began a second after its files were last written: a file changed within the clock's
 * granularity of the run's start could not vouch for a memo. */
static int64_t a_second_from_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return timespec_ns(now) + 1000000000LL;
}

static uint64_t sum_of(const char *text)
{
    return checksum64(text, strlen(text));
}

static const char ORACLE_TEXT[] = "{\"tokens\": [1, 2]}";

/* A run that read `input` and the oracle of model m's prompt "code", wrote `document` and found
 * one failing check: remembered. */
static void remember(remembered *r)
{
    char tmpl[] = "/tmp/tmgt-memo-test-XXXXXX";
    r->dir = strdup(mkdtemp(tmpl));
    r->input = path_join(r->dir, "pipeline.json");
    r->oracle = path_join(r->dir, "code.json");
    r->document = path_join(r->dir, "run-1.json");
    r->results = path_join(r->dir, "results");
    r->memo = path_join(r->dir, "memo/key");
    write_text(r->input, "{\"models\": []}");
    write_text(r->oracle, ORACLE_TEXT);
    write_text(r->document, "{\"format\": 1}");
    mkdir(r->results, 0755);
    deps_start();
    deps_note(r->input);
    deps_note(r->oracle);
    deps_take(&r->deps);
    const char findings[] = "FAIL token/m/int4/code\n";
    memo_oracle oracle = {.path = r->oracle,
                          .slug = "m",
                          .prompt = "code",
                          .sum = sum_of(ORACLE_TEXT),
                          .action_input = r->oracle_is_input};
    run_memo_facts f = {
        .out = {.findings = findings,
                .findings_len = strlen(findings),
                .pass = 3,
                .fail = 1,
                .skip = 0,
                .exit_code = EXIT_CHECK_FAILED,
                .actions_cached = 4,
                .results_file = r->document,
                .started_at = "2026-01-01T00:00:00Z"},
        .deps = &r->deps,
        .oracles = &oracle,
        .n_oracles = 1,
        .started_ns = a_second_from_now(),
    };
    tmgt_error err = {{0}};
    assert_int_equal(run_memo_save(r->memo, &f, &err), 0);
}

static void forget(remembered *r)
{
    dep_list_free(&r->deps);
    remove_tree(r->dir);
    free(r->dir);
    free(r->input);
    free(r->oracle);
    free(r->document);
    free(r->results);
    free(r->memo);
}

static const report_console_opts quiet = {.quiet = true, .width = 100};

/* What a rerun would make of the memo now (memo_edits: *edits, when given). */
static memo_verdict compared(const remembered *r, memo_edits *edits)
{
    run_memo *m = run_memo_open(r->memo);
    if (!m)
        return MEMO_STALE;
    memo_edits mine;
    memo_verdict v = run_memo_compare(m, &quiet, edits ? edits : &mine);
    if (!edits)
        memo_edits_free(&mine);
    run_memo_close(m);
    return v;
}

/* The exit status replayed, or -1 when the memo does not stand. */
static int replay(const remembered *r)
{
    run_memo *m = run_memo_open(r->memo);
    memo_edits edits;
    int rc = m && run_memo_compare(m, &quiet, &edits) == MEMO_STANDS
                 ? run_memo_replay(m, r->memo, r->results, &quiet, now_ms())
                 : -1;
    if (m)
        memo_edits_free(&edits);
    run_memo_close(m);
    return rc;
}

static void test_an_unchanged_world_replays_the_exit_status(void **state)
{
    remembered r = {0};
    remember(&r);
    assert_int_equal(replay(&r), EXIT_CHECK_FAILED);
    char *latest = path_join(r.results, "latest.json");
    struct stat was, now; /* latest is the remembered document, not a copy */
    assert_int_equal(stat(r.document, &was), 0);
    assert_int_equal(stat(latest, &now), 0);
    assert_int_equal(was.st_ino, now.st_ino);
    free(latest);
    forget(&r);
}

static void test_a_changed_input_makes_it_stale(void **state)
{
    remembered r = {0};
    remember(&r);
    write_text(r.input, "{\"tokens\": [1, 2, 3]}");
    assert_int_equal(replay(&r), -1);
    forget(&r);
}

/* The file gets these bytes and another timestamp, as `touch` or a checkout leaves it (an earlier
 * one: a file changed just now could not vouch for a memo). */
static void rewrite_as_it_was(const char *path, const char *text)
{
    struct stat before;
    assert_int_equal(stat(path, &before), 0);
    struct timespec earlier[2] = {{before.st_mtim.tv_sec - 5, 0}, {before.st_mtim.tv_sec - 5, 0}};
    write_text(path, text);
    assert_int_equal(utimensat(AT_FDCWD, path, earlier, 0), 0);
}

static char *memo_bytes(const remembered *r)
{
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(read_file(r->memo, &data, &len, NULL), 0);
    return data;
}

static void test_a_touched_oracle_still_replays_and_is_not_read_again(void **state)
{
    remembered r = {0};
    remember(&r);
    char *before = memo_bytes(&r);
    rewrite_as_it_was(r.oracle, ORACLE_TEXT);
    /* its ctime is now: a memo can take the new stat only once the clock is past the racy margin */
    struct timespec beyond_the_margin = {0, 200 * 1000000L};
    nanosleep(&beyond_the_margin, NULL);
    assert_int_equal(replay(&r), EXIT_CHECK_FAILED);
    char *after = memo_bytes(&r); /* the memo now holds the oracle's new timestamp */
    assert_string_not_equal(before, after);
    assert_int_equal(compared(&r, NULL), MEMO_STANDS);
    free(before);
    free(after);
    forget(&r);
}

static void test_an_edited_oracle_names_the_checks_to_judge_again(void **state)
{
    remembered r = {0};
    remember(&r);
    write_text(r.oracle, "{\"tokens\": [1, 3]}");
    memo_edits edits;
    assert_int_equal(compared(&r, &edits), MEMO_ORACLES_EDITED);
    assert_int_equal(edits.n_models, 1);
    assert_string_equal(edits.models[0], "m");
    assert_int_equal(edits.n_prompts, 1);
    assert_string_equal(edits.prompts[0], "code");
    memo_edits_free(&edits);
    forget(&r);
}

static void test_a_removed_oracle_an_action_input_or_another_file_changed_makes_it_stale(void **state)
{
    remembered r = {.oracle_is_input = true};
    remember(&r);
    write_text(r.oracle, "{\"tokens\": [1, 3]}"); /* its action runs again, in a whole run */
    assert_int_equal(compared(&r, NULL), MEMO_STALE);
    forget(&r);
    r = (remembered){0};
    remember(&r);
    unlink(r.oracle); /* nothing to judge against: the whole run says what is wrong */
    assert_int_equal(compared(&r, NULL), MEMO_STALE);
    forget(&r);
    remember(&r);
    write_text(r.oracle, "{\"tokens\": [1, 3]}");
    rewrite_as_it_was(r.input, "{\"models\": [1]}");
    assert_int_equal(compared(&r, NULL), MEMO_STALE);
    forget(&r);
}

static void test_a_changed_or_missing_document_makes_it_stale(void **state)
{
    remembered r = {0};
    remember(&r);
    write_text(r.document, "{\"format\": 2}");
    assert_int_equal(replay(&r), -1);
    unlink(r.document);
    assert_int_equal(replay(&r), -1);
    forget(&r);
}

/* Remembers a run, changes one byte of its memo with `edit`, and tells whether the memo was still
 * replayed. */
static bool replayed_after(void (*edit)(char *data, size_t len))
{
    remembered r = {0};
    remember(&r);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(read_file(r.memo, &data, &len, NULL), 0);
    edit(data, len);
    tmgt_error err = {{0}};
    assert_int_equal(write_file_atomic(r.memo, data, len, 0644, &err), 0);
    free(data);
    bool replayed = replay(&r) != -1;
    forget(&r);
    return replayed;
}

static void flip_a_findings_bit(char *data, size_t len)
{
    data[len - 3] ^= 1; /* inside the findings: only the checksum can tell */
}

static void bump_the_version(char *data, size_t len)
{
    char *digit = strchr(data, '\n') - 1; /* "tmgt run memo N\n" */
    *digit = *digit == '9' ? '1' : (char)(*digit + 1);
}

static void test_a_damaged_memo_is_not_replayed(void **state)
{
    assert_false(replayed_after(flip_a_findings_bit));
}

/* A memo of another format (an older tmgt's checksums) is ignored, not misread. */
static void test_a_memo_of_another_version_is_ignored(void **state)
{
    assert_false(replayed_after(bump_the_version));
}

static void test_a_file_changed_during_the_run_cannot_vouch(void **state)
{
    remembered r = {0};
    remember(&r);
    write_text(r.input, "{\"tokens\": [7]}"); /* fresh: as new as the run */
    dep_list deps;
    deps_start();
    deps_note(r.input);
    deps_take(&deps);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    run_memo_facts f = {.out = {.findings = "",
                                .exit_code = EXIT_OK,
                                .results_file = r.document,
                                .started_at = "2026-01-01T00:00:01Z"},
                        .deps = &deps,
                        .started_ns = timespec_ns(now)};
    tmgt_error err = {{0}};
    assert_int_equal(run_memo_save(r.memo, &f, &err), 1);
    dep_list_free(&deps);
    forget(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_memo_is_per_invocation),
        cmocka_unit_test(test_an_unchanged_world_replays_the_exit_status),
        cmocka_unit_test(test_a_changed_input_makes_it_stale),
        cmocka_unit_test(test_a_touched_oracle_still_replays_and_is_not_read_again),
        cmocka_unit_test(test_an_edited_oracle_names_the_checks_to_judge_again),
        cmocka_unit_test(test_a_removed_oracle_an_action_input_or_another_file_changed_makes_it_stale),
        cmocka_unit_test(test_a_changed_or_missing_document_makes_it_stale),
        cmocka_unit_test(test_a_damaged_memo_is_not_replayed),
        cmocka_unit_test(test_a_memo_of_another_version_is_ignored),
        cmocka_unit_test(test_a_file_changed_during_the_run_cannot_vouch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
