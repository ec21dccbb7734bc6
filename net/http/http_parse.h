/*
 * net/http/http_parse.h - the HTTP/1.1 request parser of the file
 * service: pure functions over a byte buffer, no network, no VFS.
 *
 * Layer: net (HTTP). Used by: net/http/httpd.c (the server), the
 * handlers (net/http/http_fs.c) and the `http_parse` suite.
 * Provides: http_empty_lines(), http_header_end(), http_parse_request(), http_route(),
 * http_parse_range(), http_etag(), http_chunk_size_line(), http_status_text().
 *
 * Invariants (HP1..HP4):
 *  HP1: http_parse_request() either returns 0 with every field of the
 *       request set, or an HTTP status (400, 414, 431, 501, 505) and the
 *       request must not be served: the connection is closed after the
 *       answer.
 *  HP2: a path handed to the handlers (struct http_request.path) is
 *       absolute, percent-decoded, without "." or ".." segments, empty
 *       segments, NUL or control bytes, at most HTTP_PATH_MAX bytes:
 *       a ".." anywhere (also as %2e%2e) is a 400, never resolved.
 *  HP3: the parser reads only buf[0..len) and writes only *req.
 *  HP4: a request whose body length is not known exactly (chunked
 *       with another coding, both Content-Length and Transfer-Encoding,
 *       two different Content-Lengths, a length that is not a decimal
 *       number up to 2^62, Transfer-Encoding in HTTP/1.0) is refused
 *       (400/501): the server never guesses where a body ends.
 *
 * Locking: none (pure).
 */
#ifndef QUIRE_NET_HTTP_PARSE_H
#define QUIRE_NET_HTTP_PARSE_H

#include <quire/types.h>

#define HTTP_HDR_MAX	8192 /* request line + headers, bytes (431 beyond) */
#define HTTP_TARGET_MAX 2048 /* request target, bytes (414 beyond) */
#define HTTP_PATH_MAX	1024 /* decoded path, bytes (414 beyond) */
#define HTTP_FIELDS_MAX 64   /* header fields (431 beyond) */
#define HTTP_ETAG_MAX	64   /* an If-None-Match value we keep (longer: no match) */
#define HTTP_QUERY_MAX	32   /* query string kept ("mkdir") */
#define HTTP_LENGTH_MAX (1ULL << 62)

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_PUT,
	HTTP_DELETE,
	HTTP_POST,
};

/* Where a request goes (http_route()). */
enum http_route {
	HTTP_ROUTE_NONE, /* 404 */
	HTTP_ROUTE_FS,	 /* /fs and /fs/...: fs_path is the file's path */
	HTTP_ROUTE_METRICS,
	HTTP_ROUTE_TRACE,
};

struct http_request {
	enum http_method method;
	unsigned int version_minor; /* HTTP/1.0 or 1.1 */
	bool keep_alive;	    /* Connection and the version */
	bool has_length;	    /* Content-Length was given */
	u64 content_length;
	bool chunked;	      /* Transfer-Encoding: chunked */
	bool expect_continue; /* Expect: 100-continue */
	bool has_host;
	bool absolute_form; /* "GET http://host/path": the authority is the host */
	char path[HTTP_PATH_MAX + 1]; /* HP2 */
	char query[HTTP_QUERY_MAX + 1];
	char range[64];			       /* the Range value, raw ("" if none) */
	char if_none_match[HTTP_ETAG_MAX + 1]; /* raw; "" if none */
	bool if_none_match_long;	       /* longer than we keep: matches nothing */
};

/* The bytes of the empty lines (CRLF) that start buf[0..len): RFC 9112
 * 2.2 asks a server to ignore at least one before a request line (a
 * client may send one after a POST body); the parser ignores any number. */
size_t http_empty_lines(const char *buf, size_t len);

/* The length of the header block in buf[0..len) including its closing
 * empty line (and any empty lines before its request line), or 0 if it
 * has not all arrived. */
size_t http_header_end(const char *buf, size_t len);

/* Parse the header block buf[0..len) (http_header_end() bytes): 0 or
 * the HTTP status to answer (HP1). */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

/* The route of @path; for HTTP_ROUTE_FS the file system path ("/" for
 * /fs itself) in @fs_path (HTTP_PATH_MAX + 1 bytes). */
enum http_route http_route(const char *path, char *fs_path);

/* A single byte range of a @size-byte file (RFC 9110 14.1.2: "bytes=A-B",
 * "bytes=A-", "bytes=-N"): 1 with [*first, *last] set, 0 to ignore the
 * Range (none, malformed, several ranges: the whole file is sent), or
 * -1 if unsatisfiable (416). */
int http_parse_range(const char *value, u64 size, u64 *first, u64 *last);

/* The strong entity tag of a file, quotes included, into @buf
 * (HTTP_ETAG_MAX + 1 bytes). */
void http_etag(char *buf, u64 ino, s64 mtime_ns, u64 size);

/* Whether If-None-Match's @value matches @etag ("*" or one of a
 * comma-separated list, weak comparison as RFC 9110 13.1.2 asks). */
bool http_etag_matches(const char *value, const char *etag);

/* A chunk-size line of a chunked body ("1a3f" [";ext"] CRLF) in
 * buf[0..len): its length with the CRLF and the size in *size, 0 if not
 * complete yet, or -1 if malformed (size above HTTP_LENGTH_MAX, no hex
 * digit, anything but BWS ";" or CRLF after the digits, a bare LF, a
 * control byte, longer than 256 bytes). */
int http_chunk_size_line(const char *buf, size_t len, u64 *size);

/* RFC 9110's reason phrase of @status ("Not Found"), "Unknown" else. */
const char *http_status_text(int status);

/* JSON string escaping of @s into @buf (size > 0, NUL-ended, quotes not
 * added): the bytes it needed (a caller with less room gets a cut copy). */
size_t http_json_escape(char *buf, size_t size, const char *s);

#endif
