/* test_dkstream.c -- Docker's response stream, split and joined every way. */
#include "dkstream.h"
#include "mem.h"
#include "testutil.h"

#include <string.h>

/* What the parser delivered, one record per message. */
typedef struct rec {
    char *json;
    char *stream, *status, *error, *aux_id;
} rec;

typedef struct recs {
    rec r[64];
    size_t n;
} recs;

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void on_msg(const dk_msg *m, void *ud)
{
    recs *rs = ud;
    ck_assert_uint_lt(rs->n, 64);
    rec *r = &rs->r[rs->n++];
    ck_assert_uint_eq(strlen(m->json), m->json_len);
    r->json = xmemdup(m->json, m->json_len);
    r->stream = dup_or_null(m->stream);
    r->status = dup_or_null(m->status);
    r->error = dup_or_null(m->error);
    r->aux_id = dup_or_null(m->aux_id);
}

static void recs_free(recs *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->r[i].json);
        free(rs->r[i].stream);
        free(rs->r[i].status);
        free(rs->r[i].error);
        free(rs->r[i].aux_id);
    }
    rs->n = 0;
}

/* A build stream as Docker sends it, plus the awkward cases: \r\n and
 * blanks between objects, objects back to back, escapes (\u003e, a
 * surrogate pair, an escaped quote), nested objects and arrays with keys
 * that must not be mistaken for ours. */
#define M0 "{\"stream\":\"Step 1/2 : FROM fuse-test/busybox\\n\"}"
#define M1 "{\"stream\":\" ---\\u003e fc4aa6640cb5\\n\"}"
#define M2                                                                                         \
    "{\"status\":\"Pulling\",\"id\":\"x\",\"progressDetail\":{\"current\":1,\"total\":[2,"         \
    "{\"ID\":\"no\"}],\"stream\":\"no\"},\"n\":null,\"b\":true,\"f\":-1.5e3}"
#define M3 "{\"stream\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\"\"}"
#define M4 "{\"errorDetail\":{\"code\":1,\"message\":\"detail\"},\"error\":\"boom\"}"
#define M5 "{\"aux\":{\"Other\":{\"ID\":\"no\"},\"ID\":\"sha256:abc\"}}"
#define M6 "{\"errorDetail\":{\"message\":\"only detail\"}}"
static const char *const msgs[] = {M0, M1, M2, M3, M4, M5, M6};
#define NMSGS (sizeof msgs / sizeof msgs[0])
static const char stream[] = M0 "\r\n" M1 "\n" M2 "  \n\t" M3 M4 "\n" M5 M6 "\n";

static void check_recs(const recs *rs)
{
    ck_assert_uint_eq(rs->n, NMSGS);
    for (size_t i = 0; i < NMSGS; i++)
        ck_assert_str_eq(rs->r[i].json, msgs[i]);
    ck_assert_str_eq(rs->r[0].stream, "Step 1/2 : FROM fuse-test/busybox\n");
    ck_assert_str_eq(rs->r[1].stream, " ---> fc4aa6640cb5\n");
    ck_assert_ptr_null(rs->r[1].status);
    ck_assert_str_eq(rs->r[2].status, "Pulling");
    ck_assert_ptr_null(rs->r[2].stream);
    ck_assert_ptr_null(rs->r[2].aux_id);
    ck_assert_str_eq(rs->r[3].stream, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\"");
    ck_assert_str_eq(rs->r[4].error, "boom");
    ck_assert_ptr_null(rs->r[4].stream);
    ck_assert_str_eq(rs->r[5].aux_id, "sha256:abc");
    ck_assert_ptr_null(rs->r[5].error);
    ck_assert_str_eq(rs->r[6].error, "only detail");
}

/* Feeds stream in pieces cut at the given offsets (ascending). */
static void feed_cuts(recs *rs, const size_t *cuts, size_t ncuts)
{
    size_t len = sizeof stream - 1, at = 0;
    strbuf err = STRBUF_INIT;
    dks *s = dks_new(on_msg, rs);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        /* A private copy of each piece: the parser must not keep pointers into it. */
        char *piece = xmemdup(stream + at, end - at);
        ck_assert_int_eq(dks_feed(s, piece, end - at, &err), 0);
        memset(piece, 'X', end - at);
        free(piece);
        at = end;
    }
    ck_assert_int_eq(dks_finish(s, &err), 0);
    ck_assert_uint_eq(dks_count(s), NMSGS);
    ck_assert_uint_eq(err.len, 0);
    dks_free(s);
    sb_release(&err);
}

START_TEST(whole)
{
    recs rs = {0};
    size_t none[1] = {0};
    feed_cuts(&rs, none, 0);
    check_recs(&rs);
    recs_free(&rs);
}
END_TEST

START_TEST(split_every_byte_boundary)
{
    size_t len = sizeof stream - 1;
    for (size_t i = 0; i <= len; i++) {
        recs rs = {0};
        size_t cut = i;
        feed_cuts(&rs, &cut, 1);
        check_recs(&rs);
        recs_free(&rs);
    }
}
END_TEST

START_TEST(split_in_three_everywhere)
{
    size_t len = sizeof stream - 1;
    for (size_t i = 0; i <= len; i += 11)
        for (size_t j = i; j <= len; j++) {
            recs rs = {0};
            size_t cuts[2] = {i, j};
            feed_cuts(&rs, cuts, 2);
            check_recs(&rs);
            recs_free(&rs);
        }
}
END_TEST

START_TEST(one_byte_at_a_time)
{
    size_t len = sizeof stream - 1;
    size_t *cuts = xmalloc(len * sizeof *cuts);
    for (size_t i = 0; i < len; i++)
        cuts[i] = i + 1;
    recs rs = {0};
    feed_cuts(&rs, cuts, len - 1);
    check_recs(&rs);
    recs_free(&rs);
    free(cuts);
}
END_TEST

/* Runs data through a fresh parser in one piece; returns the feed+finish result. */
static int parse_all(const char *data, recs *rs, strbuf *err)
{
    dks *s = dks_new(on_msg, rs);
    int rc = dks_feed(s, data, strlen(data), err);
    if (rc == 0)
        rc = dks_finish(s, err);
    dks_free(s);
    return rc;
}

START_TEST(malformed_is_an_error_after_the_good_part)
{
    recs rs = {0};
    strbuf err = STRBUF_INIT;
    dks *s = dks_new(on_msg, &rs);
    const char *data = "{\"stream\":\"ok\"}\n{bad}";
    ck_assert_int_eq(dks_feed(s, data, strlen(data), &err), -1);
    ck_assert_uint_eq(rs.n, 1);
    ck_assert_str_eq(rs.r[0].stream, "ok");
    ck_assert_msg(strncmp(err.buf, "bad JSON from Docker: ", 22) == 0, "%s", err.buf);
    ck_assert_ptr_null(strchr(err.buf, '\n'));
    /* Once broken, it stays broken. */
    sb_reset(&err);
    ck_assert_int_eq(dks_feed(s, "{}", 2, &err), -1);
    ck_assert_msg(strncmp(err.buf, "bad JSON from Docker: ", 22) == 0, "%s", err.buf);
    sb_reset(&err);
    ck_assert_int_eq(dks_finish(s, &err), -1);
    dks_free(s);
    sb_release(&err);
    recs_free(&rs);
}
END_TEST

START_TEST(top_level_non_object)
{
    const char *bad[] = {"[1]", "\"s\"", "true ", "null ", "12 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        recs rs = {0};
        strbuf err = STRBUF_INIT;
        ck_assert_int_eq(parse_all(bad[i], &rs, &err), -1);
        ck_assert_msg(strstr(err.buf, "bad JSON from Docker: expected a JSON object") == err.buf,
                      "%s: %s", bad[i], err.buf);
        ck_assert_uint_eq(rs.n, 0);
        sb_release(&err);
    }
}
END_TEST

START_TEST(truncated_stream)
{
    recs rs = {0};
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(parse_all("{\"stream\":\"a\"}{\"stream\":\"b", &rs, &err), -1);
    ck_assert_str_eq(err.buf, "bad JSON from Docker: the stream ended inside a message");
    ck_assert_uint_eq(rs.n, 1);
    recs_free(&rs);
    sb_reset(&err);
    /* Garbage that is not an object yet and never completes. */
    ck_assert_int_eq(parse_all("{}\ntru", &rs, &err), -1);
    ck_assert_msg(strncmp(err.buf, "bad JSON from Docker: ", 22) == 0, "%s", err.buf);
    recs_free(&rs);
    sb_release(&err);
}
END_TEST

START_TEST(empty_and_blank_streams)
{
    recs rs = {0};
    strbuf err = STRBUF_INIT;
    ck_assert_int_eq(parse_all("", &rs, &err), 0);
    ck_assert_int_eq(parse_all(" \r\n\t\n", &rs, &err), 0);
    ck_assert_uint_eq(rs.n, 0);
    ck_assert_uint_eq(err.len, 0);
    sb_release(&err);
}
END_TEST

static void count_msg(const dk_msg *m, void *ud)
{
    (void)m;
    (*(size_t *)ud)++;
}

START_TEST(many_messages_and_limit)
{
    size_t n = 0;
    strbuf err = STRBUF_INIT;
    dks *s = dks_new(count_msg, &n);
    dks_set_limit(s, 100);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(dks_feed(s, "{\"stream\":\"x\"}\n", 15, &err), 0);
    ck_assert_uint_eq(n, 1000);
    /* One message growing past the limit across chunks is refused. */
    ck_assert_int_eq(dks_feed(s, "{\"stream\":\"", 11, &err), 0);
    int rc = 0;
    for (int i = 0; i < 20 && rc == 0; i++)
        rc = dks_feed(s, "0123456789", 10, &err);
    ck_assert_int_eq(rc, -1);
    ck_assert_str_eq(err.buf, "bad JSON from Docker: a message is larger than 100 bytes");
    dks_free(s);
    sb_release(&err);
}
END_TEST

/* Found by tests/fuzz/fuzz_dkstream: the cap held only for a message cut
 * across reads; one that came in a single read passed whatever its size. */
START_TEST(limit_holds_within_one_read)
{
    size_t n = 0;
    strbuf err = STRBUF_INIT;
    dks *s = dks_new(count_msg, &n);
    dks_set_limit(s, 20);
    const char *in = "{\"stream\":\"x\"}{\"stream\":\"0123456789abcdef\"}";
    ck_assert_int_eq(dks_feed(s, in, strlen(in), &err), -1);
    ck_assert_str_eq(err.buf, "bad JSON from Docker: a message is larger than 20 bytes");
    ck_assert_uint_eq(n, 1);
    dks_free(s);
    sb_release(&err);
}
END_TEST

/* A fixed xorshift generator: the same "random" cases on every run. */
static unsigned long long rnd_state = 88172645463325252ull;
static size_t rnd(size_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (size_t)(rnd_state % n);
}

/* Damaged streams in random pieces: never a crash or a leak, and either
 * success or the one kind of error; never more messages than objects. */
START_TEST(mutated_streams)
{
    size_t len = sizeof stream - 1;
    static const char junk[] = "{}[]\":,\\ \n0aeu";
    for (int round = 0; round < 3000; round++) {
        char *data = xmemdup(stream, len);
        for (size_t k = 1 + rnd(4); k; k--)
            data[rnd(len)] = rnd(2) ? junk[rnd(sizeof junk - 1)] : (char)rnd(256);
        size_t n = 0;
        strbuf err = STRBUF_INIT;
        dks *s = dks_new(count_msg, &n);
        int rc = 0;
        for (size_t at = 0; at < len && rc == 0;) {
            size_t k = 1 + rnd(40);
            if (k > len - at)
                k = len - at;
            rc = dks_feed(s, data + at, k, &err);
            at += k;
        }
        if (rc == 0)
            rc = dks_finish(s, &err);
        if (rc != 0)
            ck_assert_msg(strncmp(err.buf, "bad JSON from Docker: ", 22) == 0, "%s", err.buf);
        ck_assert_uint_le(n, NMSGS + 4);
        dks_free(s);
        sb_release(&err);
        free(data);
    }
}
END_TEST

Suite *dkstream_suite(void)
{
    Suite *s = suite_create("dkstream");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, whole);
    tcase_add_test(tc, split_every_byte_boundary);
    tcase_add_test(tc, split_in_three_everywhere);
    tcase_add_test(tc, one_byte_at_a_time);
    tcase_add_test(tc, malformed_is_an_error_after_the_good_part);
    tcase_add_test(tc, top_level_non_object);
    tcase_add_test(tc, truncated_stream);
    tcase_add_test(tc, empty_and_blank_streams);
    tcase_add_test(tc, many_messages_and_limit);
    tcase_add_test(tc, limit_holds_within_one_read);
    tcase_add_test(tc, mutated_streams);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dkstream_suite)
