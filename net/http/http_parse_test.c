/*
 * net/http/http_parse_test.c - suite http_parse: the request parser of
 * the HTTP file service (http_parse.c) without a network: tables of good
 * and hostile requests with the status each must get, the path rules
 * (HP2), ranges, entity tags, chunk-size lines, routes, and a seeded
 * mutation run (HP1/HP2 hold for every mutant; the seed is printed and
 * `test --seed N http_parse` replays it).
 */
#include <quire/kernel.h>
#include <quire/ktest.h>
#include <quire/printk.h>
#include <quire/string.h>
#include "http_parse.h"

struct req_case {
	const char *in;	  /* the header block, CRLFs included */
	int status;	  /* what http_parse_request() returns */
	const char *path; /* when 0: the decoded path */
};

#define H "Host: q\r\n"

static const struct req_case req_cases[] = {
	{"GET /fs/a HTTP/1.1\r\n" H "\r\n", 0, "/fs/a"},
	{"GET /fs/a%20b HTTP/1.1\r\n" H "\r\n", 0, "/fs/a b"},
	{"GET /fs//a/./b/ HTTP/1.1\r\n" H "\r\n", 0, "/fs/a/b"},
	{"GET / HTTP/1.1\r\n" H "\r\n", 0, "/"},
	{"GET /fs/a%2Fb HTTP/1.1\r\n" H "\r\n", 0, "/fs/a/b"},
	{"GET /fs/a?mkdir HTTP/1.1\r\n" H "\r\n", 0, "/fs/a"},
	{"HEAD /fs/a HTTP/1.0\r\n\r\n", 0, "/fs/a"}, /* 1.0 needs no Host */
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\n", 0, "/fs/a"},
	{"PUT /fs/a HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n", 0, "/fs/a"},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", 0,
	 "/fs/a"},
	{"GET /fs/a HTTP/1.1\r\n" H "X-Long:  spaces and\ttabs  \r\n\r\n", 0, "/fs/a"},
	{"GET /fs/a HTTP/1.9\r\n" H "\r\n", 0, "/fs/a"}, /* 1.x: answered as 1.1 */
	/* malformed request lines */
	{"\r\n\r\n", 400, NULL},
	{"GET\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a\r\n" H "\r\n", 400, NULL},
	{"GET  /fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a  HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a HTTP/1.1 \r\n" H "\r\n", 400, NULL},
	{"GET /fs/a http/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a HTTP/11\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a HTTP/2.0\r\n" H "\r\n", 505, NULL},
	{"G(T /fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"PATCH /fs/a HTTP/1.1\r\n" H "\r\n", 501, NULL},
	{"get /fs/a HTTP/1.1\r\n" H "\r\n", 501, NULL}, /* methods are case-sensitive */
	{"GET fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	/* RFC 9112 3.2.2: the absolute-form is accepted, its authority is the
	 * host (Host is still required in 1.1, RFC 9112 3.2, its value
	 * ignored); another scheme, no authority, userinfo: 400. */
	{"GET http://q/fs/a HTTP/1.1\r\n" H "\r\n", 0, "/fs/a"},
	{"GET HTTP://other:8080/fs/a%20b?mkdir HTTP/1.1\r\n" H "\r\n", 0, "/fs/a b"},
	{"GET https://q/fs//a/./b HTTP/1.1\r\n" H "\r\n", 0, "/fs/a/b"},
	{"GET http://q HTTP/1.1\r\n" H "\r\n", 0, "/"},
	{"GET http://q?x HTTP/1.1\r\n" H "\r\n", 0, "/"},
	{"GET http://q/fs/a HTTP/1.0\r\n\r\n", 0, "/fs/a"},
	{"GET http://q/fs/../x HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET http://q/fs/a HTTP/1.1\r\n\r\n", 400, NULL},
	{"GET http:///fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET http:// HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET http://u:p@q/fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET ftp://q/fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET http:/q/fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET httpx://q/fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET * HTTP/1.1\r\n" H "\r\n", 400, NULL},
	/* REVNET: authorities (ignored, never part of the path), and the path
	 * rules (HP2) after them exactly as in the origin-form */
	{"GET http://[::1]:8080/fs/a HTTP/1.1\r\n" H "\r\n", 0, "/fs/a"},
	{"GET http://q:/fs/a HTTP/1.1\r\n" H "\r\n", 0, "/fs/a"},
	{"GET http://%71%2F..%2F/fs/a HTTP/1.1\r\n" H "\r\n", 0, "/fs/a"},
	{"GET http://q?x/../y HTTP/1.1\r\n" H "\r\n", 0, "/"},
	{"GET http://q/fs/a@b HTTP/1.1\r\n" H "\r\n", 0, "/fs/a@b"},
	{"GET http://..//fs/a HTTP/1.1\r\n" H "\r\n", 0, "/fs/a"},
	{"GET http://q/fs/%2e%2e/x HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET http://q/fs/%2E%2e%2fx HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET http://q/.. HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET http://q/fs/a%00 HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET http://@q/fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET http://q@/fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET http://q#/fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET http:?//q/fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET http?://q/fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET //q/fs/a HTTP/1.1\r\n" H "\r\n", 0, "/q/fs/a"}, /* origin-form */
	{"CONNECT q:443 HTTP/1.1\r\n" H "\r\n", 501, NULL},
	/* RFC 9112 2.2: empty lines before the request line are ignored */
	{"\r\nGET /fs/a HTTP/1.1\r\n" H "\r\n", 0, "/fs/a"},
	{"\r\n\r\n\r\nPUT /fs/a HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\n", 0, "/fs/a"},
	{"\n\r\nGET /fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL}, /* a bare LF */
	{"\r\n \r\nGET /fs/a HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a\nHTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a HTTP/1.1\n" H "\r\n", 400, NULL},
	{"GET /fs/a HTTP/1.1\r\nHost: q\n\r\n", 400, NULL},
	{"GET /fs/a HTTP/1.1\r\n\r\n", 400, NULL}, /* 1.1 without Host */
	{"GET /fs/a HTTP/1.1\r\n" H H "\r\n", 400, NULL},
	/* paths out of the tree, NUL and controls (HP2) */
	{"GET /fs/../etc HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a/.. HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/%2e%2e/x HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/%2E%2e HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/.%2e/x HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs%2f..%2fx HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a%00b HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a%0ab HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a%zz HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a% HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a%2 HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a\x01 HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a\x80 HTTP/1.1\r\n" H "\r\n", 400, NULL},
	{"GET /fs/a#frag HTTP/1.1\r\n" H "\r\n", 400, NULL},
	/* fields */
	{"GET /fs/a HTTP/1.1\r\n" H "Bad Name: x\r\n\r\n", 400, NULL},
	{"GET /fs/a HTTP/1.1\r\n" H "Name : x\r\n\r\n", 400, NULL},
	{"GET /fs/a HTTP/1.1\r\n" H "NoColon\r\n\r\n", 400, NULL},
	{"GET /fs/a HTTP/1.1\r\n" H ": x\r\n\r\n", 400, NULL},
	{"GET /fs/a HTTP/1.1\r\n" H "X: a\r\n folded\r\n\r\n", 400, NULL},
	{"GET /fs/a HTTP/1.1\r\n" H "X: a\rb\r\n\r\n", 400, NULL},
	{"GET /fs/a HTTP/1.1\r\n" H "X: a\x7f\r\n\r\n", 400, NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n", 400, NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 1 2\r\n\r\n", 400, NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 0x10\r\n\r\n", 400, NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: \r\n\r\n", 400, NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 99999999999999999999999\r\n\r\n",
	 400, NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400,
	 NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H
	 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
	 400, NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Transfer-Encoding: gzip, chunked\r\n\r\n", 501,
	 NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n"
	 "Transfer-Encoding: chunked\r\n\r\n",
	 501, NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Expect: 200-ok\r\n\r\n", 417, NULL},
	/* Content-Length forms (issue 12): a sign, a list, past 2^62, and one
	 * that wraps a u64 to 4 (2^64 + 4): all refused; leading zeros are
	 * 1*DIGIT and accepted. */
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: +5\r\n\r\n", 400, NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 5 ,5\r\n\r\n", 400, NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 5, 5\r\n\r\n", 400, NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 005\r\n\r\n", 0, "/fs/a"},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 4611686018427387904\r\n\r\n", 0,
	 "/fs/a"},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 4611686018427387905\r\n\r\n", 400,
	 NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 18446744073709551620\r\n\r\n", 400,
	 NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Content-Length: 9223372036854775808\r\n\r\n", 400,
	 NULL},
	/* RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 request is faulty
	 * framing (a 1.0 proxy in front would not have decoded it). */
	{"PUT /fs/a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, NULL},
	{"PUT /fs/a HTTP/1.0\r\nContent-Length: 3\r\n"
	 "Transfer-Encoding: chunked\r\n\r\n",
	 400, NULL},
	/* A TE list the parser does not split must not pass as chunked. */
	{"PUT /fs/a HTTP/1.1\r\n" H "Transfer-Encoding: chunked, chunked\r\n\r\n", 501,
	 NULL},
	{"PUT /fs/a HTTP/1.1\r\n" H "Transfer-Encoding: \r\n\r\n", 501, NULL},
};

static void parses_table_of_requests(struct ktest *t)
{
	struct http_request req;

	for (size_t i = 0; i < ARRAY_SIZE(req_cases); i++) {
		const struct req_case *c = &req_cases[i];
		int st = http_parse_request(c->in, strlen(c->in), &req);

		if (st != c->status)
			ktest_fail(t, __FILE__, __LINE__, "case %zu: status %d, want %d",
				   i, st, c->status);
		else if (!st && strcmp(req.path, c->path))
			ktest_fail(t, __FILE__, __LINE__,
				   "case %zu: path '%s', want '%s'", i, req.path,
				   c->path);
	}
}

static void parses_fields_and_keep_alive(struct ktest *t)
{
	static const char put[] =
		"PUT /fs/x?mkdir HTTP/1.1\r\nhost: q\r\n"
		"content-length: 12345\r\nEXPECT: 100-Continue\r\n"
		"Range: bytes=0-9\r\nIf-None-Match: \"a\", W/\"b\"\r\n\r\n";
	static const char close11[] =
		"GET / HTTP/1.1\r\nHost: q\r\nConnection: TE, close\r\n\r\n";
	static const char ka10[] = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
	static const char plain10[] = "GET / HTTP/1.0\r\n\r\n";
	static const char expect10[] =
		"PUT / HTTP/1.0\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n";
	static const char lead0[] =
		"PUT / HTTP/1.1\r\nHost: q\r\nContent-Length: 005\r\n\r\n";
	struct http_request r;

	KTEST_ASSERT_EQ(t, http_parse_request(put, strlen(put), &r), 0);
	KTEST_EXPECT_EQ(t, r.method, HTTP_PUT);
	KTEST_EXPECT_TRUE(t, r.has_length && r.content_length == 12345);
	KTEST_EXPECT_TRUE(t, r.expect_continue && r.keep_alive && !r.chunked);
	KTEST_EXPECT_EQ(t, strcmp(r.query, "mkdir"), 0);
	KTEST_EXPECT_EQ(t, strcmp(r.range, "bytes=0-9"), 0);
	KTEST_EXPECT_EQ(t, strcmp(r.if_none_match, "\"a\", W/\"b\""), 0);
	/* RFC 9110 10.1.1: a 100-continue in HTTP/1.0 is ignored (no 100). */
	KTEST_ASSERT_EQ(t, http_parse_request(expect10, strlen(expect10), &r), 0);
	KTEST_EXPECT_FALSE(t, r.expect_continue);
	KTEST_ASSERT_EQ(t, http_parse_request(lead0, strlen(lead0), &r), 0);
	KTEST_EXPECT_TRUE(t, r.has_length && r.content_length == 5);
	KTEST_ASSERT_EQ(t, http_parse_request(close11, strlen(close11), &r), 0);
	KTEST_EXPECT_FALSE(t, r.keep_alive);
	KTEST_ASSERT_EQ(t, http_parse_request(ka10, strlen(ka10), &r), 0);
	KTEST_EXPECT_TRUE(t, r.keep_alive && r.version_minor == 0);
	KTEST_ASSERT_EQ(t, http_parse_request(plain10, strlen(plain10), &r), 0);
	KTEST_EXPECT_FALSE(t, r.keep_alive);
}

/* 431 past HTTP_FIELDS_MAX fields; 414 past the target and path limits. */
static void refuses_too_many_fields_and_long_targets(struct ktest *t)
{
	static char buf[HTTP_HDR_MAX + 4096];
	struct http_request r;
	size_t n = 0;

	n += scnprintf(buf + n, sizeof(buf) - n, "GET / HTTP/1.1\r\nHost: q\r\n");
	for (int i = 0; i < HTTP_FIELDS_MAX; i++)
		n += scnprintf(buf + n, sizeof(buf) - n, "X-%d: y\r\n", i);
	n += scnprintf(buf + n, sizeof(buf) - n, "\r\n");
	KTEST_EXPECT_EQ(t, http_parse_request(buf, n, &r), 431);

	n = scnprintf(buf, sizeof(buf), "GET /");
	memset(buf + n, 'a', HTTP_TARGET_MAX);
	n += HTTP_TARGET_MAX;
	n += scnprintf(buf + n, sizeof(buf) - n, " HTTP/1.1\r\nHost: q\r\n\r\n");
	KTEST_EXPECT_EQ(t, http_parse_request(buf, n, &r), 414);

	n = scnprintf(buf, sizeof(buf), "GET /");
	memset(buf + n, 'a', HTTP_PATH_MAX + 1); /* within the target, over the path */
	n += HTTP_PATH_MAX + 1;
	n += scnprintf(buf + n, sizeof(buf) - n, " HTTP/1.1\r\nHost: q\r\n\r\n");
	KTEST_EXPECT_EQ(t, http_parse_request(buf, n, &r), 414);

	/* REVNET: an absolute-form's authority counts in the target's limit,
	 * never in the path's: up to the limit it is skipped whole */
	for (int over = 0; over < 2; over++) {
		size_t alen = HTTP_TARGET_MAX - strlen("http:///fs/a") + over;

		n = scnprintf(buf, sizeof(buf), "GET http://");
		memset(buf + n, 'a', alen);
		n += alen;
		n += scnprintf(buf + n, sizeof(buf) - n,
			       "/fs/a HTTP/1.1\r\nHost: q\r\n\r\n");
		KTEST_EXPECT_EQ(t, http_parse_request(buf, n, &r), over ? 414 : 0);
		if (!over)
			KTEST_EXPECT_EQ(t, strcmp(r.path, "/fs/a"), 0);
	}
}

static void finds_the_end_of_the_header_block(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, http_header_end("GET / HTTP/1.1\r\n\r\nBODY", 22), 18);
	KTEST_EXPECT_EQ(t, http_header_end("GET / HTTP/1.1\r\n\r", 17), 0);
	KTEST_EXPECT_EQ(t, http_header_end("GET / HTTP/1.1\n\n", 16), 0);
	KTEST_EXPECT_EQ(t, http_header_end("", 0), 0);
	/* RFC 9112 2.2: leading empty lines are not the block's end */
	KTEST_EXPECT_EQ(t, http_header_end("\r\n\r\n", 4), 0);
	KTEST_EXPECT_EQ(t, http_header_end("\r\n\r\n\r\n", 6), 0);
	KTEST_EXPECT_EQ(t, http_header_end("\r\n\r\nGET / HTTP/1.1\r\n\r\nX", 23), 22);
	KTEST_EXPECT_EQ(t, http_header_end("\r\nGET / HTTP/1.1\r\n\r\n", 20), 20);
}

static void routes_paths(struct ktest *t)
{
	char fs[HTTP_PATH_MAX + 1];

	KTEST_EXPECT_EQ(t, http_route("/fs", fs), HTTP_ROUTE_FS);
	KTEST_EXPECT_EQ(t, strcmp(fs, "/"), 0);
	KTEST_EXPECT_EQ(t, http_route("/fs/a/b", fs), HTTP_ROUTE_FS);
	KTEST_EXPECT_EQ(t, strcmp(fs, "/a/b"), 0);
	KTEST_EXPECT_EQ(t, http_route("/fsx", fs), HTTP_ROUTE_NONE);
	KTEST_EXPECT_EQ(t, http_route("/", fs), HTTP_ROUTE_NONE);
	KTEST_EXPECT_EQ(t, http_route("/metrics", fs), HTTP_ROUTE_METRICS);
	KTEST_EXPECT_EQ(t, http_route("/metrics/x", fs), HTTP_ROUTE_NONE);
	KTEST_EXPECT_EQ(t, http_route("/trace", fs), HTTP_ROUTE_TRACE);
}

static const struct {
	const char *v;
	u64 size;
	int ret;
	u64 first, last;
} range_cases[] = {
	{"bytes=0-9", 100, 1, 0, 9},
	{"bytes=10-", 100, 1, 10, 99},
	{"bytes=-10", 100, 1, 90, 99},
	{"bytes=-1000", 100, 1, 0, 99},
	{"bytes=90-1000", 100, 1, 90, 99},
	{"bytes=99-99", 100, 1, 99, 99},
	{"bytes=100-", 100, -1, 0, 0},
	{"bytes=-0", 100, -1, 0, 0},
	{"bytes=0-", 0, -1, 0, 0},
	{"bytes=5-4", 100, 0, 0, 0},
	{"bytes=0-1,5-6", 100, 0, 0, 0},
	{"items=0-1", 100, 0, 0, 0},
	{"bytes=x-1", 100, 0, 0, 0},
	{"bytes=1-x", 100, 0, 0, 0},
	{"bytes=", 100, 0, 0, 0},
	{"bytes=-", 100, 0, 0, 0},
	{"bytes=99999999999999999999-", 100, 0, 0, 0},
	{"bytes=18446744073709551620-", 100, 0, 0, 0}, /* 2^64 + 4 must not wrap to 4 */
	{"bytes=0-18446744073709551620", 100, 0, 0, 0},
};

static void parses_ranges(struct ktest *t)
{
	for (size_t i = 0; i < ARRAY_SIZE(range_cases); i++) {
		u64 first = 0, last = 0;
		int r = http_parse_range(range_cases[i].v, range_cases[i].size, &first,
					 &last);

		if (r != range_cases[i].ret ||
		    (r == 1 &&
		     (first != range_cases[i].first || last != range_cases[i].last)))
			ktest_fail(t, __FILE__, __LINE__, "'%s' of %llu: %d %llu-%llu",
				   range_cases[i].v,
				   (unsigned long long)range_cases[i].size, r,
				   (unsigned long long)first, (unsigned long long)last);
	}
}

static void matches_entity_tags(struct ktest *t)
{
	char tag[HTTP_ETAG_MAX + 1];

	http_etag(tag, 6, 0x1234, 100);
	KTEST_EXPECT_EQ(t, strcmp(tag, "\"6-1234-64\""), 0);
	KTEST_EXPECT_TRUE(t, http_etag_matches("\"6-1234-64\"", tag));
	KTEST_EXPECT_TRUE(t, http_etag_matches("W/\"6-1234-64\"", tag));
	KTEST_EXPECT_TRUE(t, http_etag_matches("\"x\", \"6-1234-64\"", tag));
	KTEST_EXPECT_TRUE(t, http_etag_matches("*", tag));
	KTEST_EXPECT_FALSE(t, http_etag_matches("\"6-1234-65\"", tag));
	KTEST_EXPECT_FALSE(t, http_etag_matches("6-1234-64", tag));
	KTEST_EXPECT_FALSE(t, http_etag_matches("", tag));
}

static void parses_chunk_size_lines(struct ktest *t)
{
	u64 size = 0;

	KTEST_EXPECT_EQ(t, http_chunk_size_line("1a\r\n", 4, &size), 4);
	KTEST_EXPECT_EQ(t, size, 26);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("0;ext=1\r\n", 9, &size), 9);
	KTEST_EXPECT_EQ(t, size, 0);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("1a", 2, &size), 0);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("1a\r", 3, &size), 0);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("\r\n", 2, &size), -1);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("zz\r\n", 4, &size), -1);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("1a\n", 3, &size), -1);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("1a\rx", 4, &size), -1);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("1a;\x01\r\n", 6, &size), -1);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("fffffffffffffffffff\r\n", 21, &size),
			-1);
	/* Only BWS, ";" and an extension may follow the size (RFC 9112 7.1.1):
	 * "3x" read as 3 by us and as garbage by a proxy is a smuggling door. */
	KTEST_EXPECT_EQ(t, http_chunk_size_line("3x\r\n", 4, &size), -1);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("3 \r\n", 4, &size), -1);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("3 junk\r\n", 8, &size), -1);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("3 ;a=b\r\n", 8, &size), 8);
	KTEST_EXPECT_EQ(t, size, 3);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("3\t; a\r\n", 7, &size), 7);
	/* The biggest size we take is HTTP_LENGTH_MAX, not 16 times more. */
	KTEST_EXPECT_EQ(t, http_chunk_size_line("4000000000000000\r\n", 18, &size), 18);
	KTEST_EXPECT_EQ(t, size, HTTP_LENGTH_MAX);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("4000000000000001\r\n", 18, &size), -1);
	KTEST_EXPECT_EQ(t, http_chunk_size_line("400000000000000f\r\n", 18, &size), -1);
}

static void escapes_json(struct ktest *t)
{
	char buf[32];

	KTEST_EXPECT_EQ(t, http_json_escape(buf, sizeof(buf), "a\"b\\c\n"), 13);
	KTEST_EXPECT_EQ(t, strcmp(buf, "a\\\"b\\\\c\\u000a"), 0);
	KTEST_EXPECT_EQ(t, http_json_escape(buf, 4, "abcdef"), 6);
	KTEST_EXPECT_EQ(t, strcmp(buf, "abc"), 0);
}

static u64 rnd_state;

static u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (u32)(rnd_state >> 16);
}

/* HP2 on a path the parser accepted. */
static bool path_is_clean(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *s = p; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
		if (s[0] == '/' && s[1] == '/')
			return false;
		if (s[0] == '/' && s[1] == '.' && s[2] == '.' && (!s[3] || s[3] == '/'))
			return false;
		if (s[0] == '/' && s[1] == '.' && (!s[2] || s[2] == '/'))
			return false;
	}
	return strlen(p) <= HTTP_PATH_MAX;
}

static bool status_is_known(int st)
{
	return st == 0 || st == 400 || st == 414 || st == 417 || st == 431 || st == 501 ||
	       st == 505;
}

/* Mutate good and hostile requests at random (replace, insert, delete
 * bytes from an alphabet of the dangerous ones); each result must be a
 * known status, and an accepted path must be clean (HP1, HP2). */
static void mutants_keep_hp1_and_hp2(struct ktest *t)
{
	static const char alphabet[] = "\r\n\0 %./:2eE\t\x01\x7f\x80"
				       "aZ0-";
	static char buf[512];
	struct http_request r;
	unsigned int accepted = 0;

	rnd_state = ktest_seed() | 1;
	cprintf("        # seed %llu\n", (unsigned long long)ktest_seed());
	for (unsigned int i = 0; i < 20000; i++) {
		const char *base = req_cases[rnd() % ARRAY_SIZE(req_cases)].in;
		size_t n = strlen(base);
		int st;

		memcpy(buf, base, n);
		for (unsigned int m = 1 + rnd() % 4; m; m--) {
			size_t at = n ? rnd() % n : 0;
			char c = alphabet[rnd() % (sizeof(alphabet) - 1)];

			switch (rnd() % 3) {
			case 0:
				if (n)
					buf[at] = c;
				break;
			case 1:
				if (n + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			default:
				if (n) {
					memmove(buf + at, buf + at + 1, n - at - 1);
					n--;
				}
			}
		}
		st = http_parse_request(buf, n, &r);
		if (!status_is_known(st) || (!st && !path_is_clean(r.path))) {
			ktest_fail(t, __FILE__, __LINE__,
				   "mutant %u: status %d path '%s'", i, st,
				   st ? "" : r.path);
			return;
		}
		accepted += !st;
	}
	cprintf("        # %u of 20000 mutants parsed as requests\n", accepted);
	KTEST_EXPECT_GT(t, accepted, 0);
}

static const struct ktest_case http_parse_cases[] = {
	KTEST_CASE(parses_table_of_requests),
	KTEST_CASE(parses_fields_and_keep_alive),
	KTEST_CASE(refuses_too_many_fields_and_long_targets),
	KTEST_CASE(finds_the_end_of_the_header_block),
	KTEST_CASE(routes_paths),
	KTEST_CASE(parses_ranges),
	KTEST_CASE(matches_entity_tags),
	KTEST_CASE(parses_chunk_size_lines),
	KTEST_CASE(escapes_json),
	KTEST_CASE(mutants_keep_hp1_and_hp2),
	KTEST_END,
};

static const struct ktest_suite http_parse_suite = {
	.name = "http_parse",
	.cases = http_parse_cases,
};
KTEST_SUITE(http_parse_suite);
