/*
 * net/http/http_parse.c - the HTTP/1.1 request parser (RFC 9110, 9112):
 * request line, header fields, the request target's path, ranges, entity
 * tags, chunk-size lines. Pure functions: the invariants HP1..HP4 and the
 * limits are in http_parse.h.
 *
 * Layer: net (HTTP). Used by: net/http/httpd.c, net/http/http_fs.c, the
 * `http_parse` suite (http_parse_test.c).
 *
 * Strict where strictness closes a door (request smuggling, paths out of
 * the tree): lines end in CRLF only, no obsolete line folding, no space
 * before a field's colon, no control bytes, one body length or none.
 *
 * Locking: none.
 */
#include <quire/kernel.h>
#include <quire/printk.h>
#include <quire/string.h>
#include "http_parse.h"

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive equality of s[0..n) and the NUL-ended @word. */
static bool token_is(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!word[i] || lower(s[i]) != lower(word[i]))
			return false;
	return !word[i];
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* *x = *x * base + d unless that is above HTTP_LENGTH_MAX (tested before
 * multiplying: "18446744073709551620" must not wrap a u64 to 4). */
static bool length_add_digit(u64 *x, unsigned int base, unsigned int d)
{
	if (*x > (HTTP_LENGTH_MAX - d) / base)
		return false;
	*x = *x * base + d;
	return true;
}

size_t http_empty_lines(const char *buf, size_t len)
{
	size_t i = 0;

	while (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
		i += 2;
	return i;
}

size_t http_header_end(const char *buf, size_t len)
{
	for (size_t i = http_empty_lines(buf, len) + 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' &&
		    buf[i - 3] == '\r')
			return i + 1;
	return 0;
}

static const struct {
	const char *name;
	enum http_method method;
} http_methods[] = {
	{"GET", HTTP_GET},	 {"HEAD", HTTP_HEAD}, {"PUT", HTTP_PUT},
	{"DELETE", HTTP_DELETE}, {"POST", HTTP_POST},
};

/* The method token s[0..n): 0 with *m set, 501 if unknown, 400 if not
 * a token. */
static int parse_method(const char *s, size_t n, enum http_method *m)
{
	if (!n)
		return 400;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar(s[i]))
			return 400;
	for (size_t i = 0; i < ARRAY_SIZE(http_methods); i++)
		if (strlen(http_methods[i].name) == n &&
		    !memcmp(s, http_methods[i].name, n)) {
			*m = http_methods[i].method;
			return 0;
		}
	return 501;
}

/* Append one decoded segment seg[0..n) to req->path (HP2). */
static int path_add_segment(struct http_request *req, size_t *plen, const char *seg,
			    size_t n)
{
	if (!n || (n == 1 && seg[0] == '.'))
		return 0; /* "//" and "/./" add nothing */
	if (n == 2 && seg[0] == '.' && seg[1] == '.')
		return 400;
	if (*plen + 1 + n > HTTP_PATH_MAX)
		return 414;
	req->path[(*plen)++] = '/';
	memcpy(req->path + *plen, seg, n);
	*plen += n;
	req->path[*plen] = '\0';
	return 0;
}

/* Percent-decode the target's path t[0..n) into segments. */
static int parse_path(const char *t, size_t n, struct http_request *req)
{
	char seg[HTTP_PATH_MAX + 1];
	size_t plen = 0, slen = 0;
	int err;

	req->path[0] = '\0';
	if (!n || t[0] != '/')
		return 400; /* origin-form, or absolute-form's path */
	for (size_t i = 1; i <= n; i++) {
		char c;

		if (i == n || t[i] == '/') {
			err = path_add_segment(req, &plen, seg, slen);
			if (err)
				return err;
			slen = 0;
			continue;
		}
		c = t[i];
		if (c == '%') {
			int hi;

			if (i + 2 >= n)
				return 400; /* a cut escape */
			hi = hexval(t[i + 1]);
			if (hi < 0 || hexval(t[i + 2]) < 0)
				return 400;
			c = (char)(hi * 16 + hexval(t[i + 2]));
			i += 2;
			if (c == '/') { /* an encoded slash separates too */
				err = path_add_segment(req, &plen, seg, slen);
				if (err)
					return err;
				slen = 0;
				continue;
			}
		}
		if ((unsigned char)c < 0x20 || c == 0x7f)
			return 400; /* NUL and control bytes (HP2) */
		if (slen == HTTP_PATH_MAX)
			return 414;
		seg[slen++] = c;
	}
	if (!plen)
		strscpy_len(req->path, "/", sizeof(req->path));
	return 0;
}

/*
 * The absolute-form "http://authority/path?query" (RFC 9112 3.2.2: a
 * server MUST accept it; its authority stands for the host, any Host
 * field's value is ignored): the length of "scheme://authority" in
 * t[0..n), 0 for another form, or -1 for a malformed one (another scheme
 * than http or https, an empty authority, userinfo: RFC 9110 4.2.4).
 */
static int absolute_form_prefix(const char *t, size_t n)
{
	size_t s, a;

	if (n && t[0] == '/')
		return 0; /* origin-form */
	if (n >= 7 && token_is(t, 4, "http") && !memcmp(t + 4, "://", 3))
		s = 7;
	else if (n >= 8 && token_is(t, 5, "https") && !memcmp(t + 5, "://", 3))
		s = 8;
	else
		return -1;
	for (a = s; a < n && t[a] != '/' && t[a] != '?'; a++)
		if (t[a] == '@')
			return -1;
	return a > s ? (int)a : -1;
}

/* The request target t[0..n): path and query. */
static int parse_target(const char *t, size_t n, struct http_request *req)
{
	const char *q;
	size_t plen;
	int abs;

	if (n > HTTP_TARGET_MAX)
		return 414;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f ||
		    t[i] == '#')
			return 400;
	abs = absolute_form_prefix(t, n);
	if (abs < 0)
		return 400;
	if (abs) {
		req->absolute_form = true;
		t += abs;
		n -= abs;
	}
	q = memchr(t, '?', n);
	plen = q ? (size_t)(q - t) : n;
	req->query[0] = '\0';
	if (q) {
		size_t ql = n - plen - 1;

		if (ql > HTTP_QUERY_MAX)
			return 400; /* no query we know is that long */
		memcpy(req->query, q + 1, ql);
		req->query[ql] = '\0';
	}
	if (!plen && req->absolute_form) { /* RFC 9110 4.2.3: an empty path is "/" */
		strscpy_len(req->path, "/", sizeof(req->path));
		return 0;
	}
	return parse_path(t, plen, req);
}

/* "METHOD SP target SP HTTP/1.x" in l[0..n) (no CRLF). */
static int parse_request_line(const char *l, size_t n, struct http_request *req)
{
	const char *sp1 = memchr(l, ' ', n), *sp2, *v;
	size_t vn;
	int err;

	if (!sp1)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', n - (sp1 + 1 - l));
	if (!sp2)
		return 400;
	v = sp2 + 1;
	vn = n - (v - l);
	err = parse_method(l, sp1 - l, &req->method);
	if (err == 400)
		return err;
	if (vn != 8 || memcmp(v, "HTTP/", 5) || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1')
		return 505;
	if (err)
		return err; /* 501 after the version is known to be ours */
	req->version_minor = v[7] - '0';
	if (req->version_minor > 1)
		req->version_minor = 1; /* HTTP/1.2+ is answered as 1.1 */
	req->keep_alive = req->version_minor == 1;
	if (sp2 == sp1 + 1)
		return 400;
	return parse_target(sp1 + 1, sp2 - sp1 - 1, req);
}

/* A decimal Content-Length (no sign, no spaces inside): 0 or 400. */
static int parse_length(const char *v, size_t n, u64 *len)
{
	u64 x = 0;

	if (!n)
		return 400;
	for (size_t i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9' || !length_add_digit(&x, 10, v[i] - '0'))
			return 400; /* HP4 */
	*len = x;
	return 0;
}

/* Each comma-separated token of v[0..n), trimmed, to @fn. */
static void for_each_token(const char *v, size_t n,
			   void (*fn)(const char *, size_t, void *), void *arg)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s)
			fn(v + s, e - s, arg);
	}
}

static void connection_token(const char *t, size_t n, void *arg)
{
	struct http_request *req = arg;

	if (token_is(t, n, "close"))
		req->keep_alive = false;
	else if (token_is(t, n, "keep-alive") && req->version_minor == 0)
		req->keep_alive = true;
}

static void copy_value(char *dst, size_t size, const char *v, size_t n, bool *too_long)
{
	if (too_long)
		*too_long = n >= size;
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* One field: name n[0..nn), value v[0..vn) (trimmed). */
static int parse_field(const char *n, size_t nn, const char *v, size_t vn,
		       struct http_request *req)
{
	if (token_is(n, nn, "content-length")) {
		u64 len;

		if (parse_length(v, vn, &len))
			return 400;
		if (req->has_length && len != req->content_length)
			return 400; /* HP4 */
		req->has_length = true;
		req->content_length = len;
	} else if (token_is(n, nn, "transfer-encoding")) {
		if (req->chunked || !token_is(v, vn, "chunked"))
			return 501; /* only chunked, once (HP4) */
		req->chunked = true;
	} else if (token_is(n, nn, "connection")) {
		for_each_token(v, vn, connection_token, req);
	} else if (token_is(n, nn, "host")) {
		if (req->has_host)
			return 400; /* RFC 9112 3.2 */
		req->has_host = true;
	} else if (token_is(n, nn, "expect")) {
		if (!token_is(v, vn, "100-continue"))
			return 417;
		/* RFC 9110 10.1.1: ignored in an HTTP/1.0 request */
		req->expect_continue = req->version_minor == 1;
	} else if (token_is(n, nn, "range")) {
		copy_value(req->range, sizeof(req->range), v, vn, NULL);
	} else if (token_is(n, nn, "if-none-match")) {
		copy_value(req->if_none_match, sizeof(req->if_none_match), v, vn,
			   &req->if_none_match_long);
	}
	return 0;
}

/* "name: value" in l[0..n) (no CRLF). */
static int parse_field_line(const char *l, size_t n, struct http_request *req)
{
	const char *colon = memchr(l, ':', n), *v, *e;

	if (!colon || colon == l)
		return 400;
	for (const char *p = l; p < colon; p++)
		if (!is_tchar(*p))
			return 400; /* also a space before the colon, obs-fold */
	for (const char *p = colon + 1; p < l + n; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return 400; /* NUL, bare CR/LF, controls */
	v = colon + 1;
	e = l + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return parse_field(l, colon - l, v, e - v, req);
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	const char *p = buf, *end = buf + len;
	unsigned int fields = 0;
	bool first = true;
	int err;

	memset(req, 0, sizeof(*req));
	p += http_empty_lines(buf, len); /* RFC 9112 2.2 */
	for (;;) {
		const char *lf = memchr(p, '\n', end - p);
		size_t n;

		if (!lf || lf == p || lf[-1] != '\r')
			return 400; /* CRLF only */
		n = lf - 1 - p;
		if (memchr(p, '\r', n))
			return 400; /* a bare CR */
		if (first) {
			err = parse_request_line(p, n, req);
			first = false;
		} else if (!n) {
			break; /* the empty line */
		} else if (++fields > HTTP_FIELDS_MAX) {
			return 431;
		} else {
			err = parse_field_line(p, n, req);
		}
		if (err)
			return err;
		p = lf + 1;
	}
	if (req->chunked && req->has_length)
		return 400; /* HP4: RFC 9112 6.3 allows refusing it */
	if (req->chunked && req->version_minor == 0)
		return 400; /* RFC 9112 6.1: TE in HTTP/1.0 is faulty framing */
	if (req->version_minor == 1 && !req->has_host)
		return 400; /* RFC 9112 3.2 */
	return 0;
}

enum http_route http_route(const char *path, char *fs_path)
{
	if (!strcmp(path, "/metrics"))
		return HTTP_ROUTE_METRICS;
	if (!strcmp(path, "/trace"))
		return HTTP_ROUTE_TRACE;
	if (strncmp(path, "/fs", 3) || (path[3] && path[3] != '/'))
		return HTTP_ROUTE_NONE;
	strscpy_len(fs_path, path[3] ? path + 3 : "/", HTTP_PATH_MAX + 1);
	return HTTP_ROUTE_FS;
}

/* Decimal digits at *s (advanced): 0, or -1 if none or too big. */
static int parse_u64(const char **s, u64 *v)
{
	const char *p = *s;
	u64 x = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if (!length_add_digit(&x, 10, *p - '0'))
			return -1;
	*s = p;
	*v = x;
	return 0;
}

int http_parse_range(const char *value, u64 size, u64 *first, u64 *last)
{
	const char *p = value;
	u64 a, b;

	if (strncmp(p, "bytes=", 6) || strchr(p, ','))
		return 0;
	p += 6;
	if (*p == '-') { /* the last N bytes */
		p++;
		if (parse_u64(&p, &b) || *p)
			return 0;
		if (!b || !size)
			return -1;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if (parse_u64(&p, &a) || *p++ != '-')
		return 0;
	if (!*p) {
		b = size ? size - 1 : 0;
	} else if (parse_u64(&p, &b) || *p || b < a) {
		return 0;
	}
	if (a >= size)
		return -1;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return 1;
}

void http_etag(char *buf, u64 ino, s64 mtime_ns, u64 size)
{
	scnprintf(buf, HTTP_ETAG_MAX + 1, "\"%llx-%llx-%llx\"", (unsigned long long)ino,
		  (unsigned long long)mtime_ns, (unsigned long long)size);
}

struct etag_match {
	const char *etag;
	bool found;
};

static void etag_token(const char *t, size_t n, void *arg)
{
	struct etag_match *m = arg;

	if (n >= 2 && t[0] == 'W' && t[1] == '/') {
		t += 2; /* weak comparison */
		n -= 2;
	}
	if ((n == 1 && t[0] == '*') || (strlen(m->etag) == n && !memcmp(t, m->etag, n)))
		m->found = true;
}

bool http_etag_matches(const char *value, const char *etag)
{
	struct etag_match m = {.etag = etag, .found = false};

	for_each_token(value, strlen(value), etag_token, &m);
	return m.found;
}

int http_chunk_size_line(const char *buf, size_t len, u64 *size)
{
	size_t i = 0, digits;
	u64 x = 0;

	for (; i < len && hexval(buf[i]) >= 0; i++)
		if (!length_add_digit(&x, 16, hexval(buf[i])))
			return -1;
	if (i == len)
		return len > 256 ? -1 : 0;
	if (!i)
		return -1;
	/* RFC 9112 7.1.1: the size, then only BWS ";" chunk-ext or CRLF:
	 * "3x" or "3 junk" read as 3 here and otherwise by a proxy in front
	 * would let the two disagree on where the body ends. */
	digits = i;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	if (i == len)
		return len > 256 ? -1 : 0;
	if (buf[i] != ';' && (buf[i] != '\r' || i != digits))
		return -1;
	for (; i < len && buf[i] != '\r'; i++) /* chunk extensions: skipped */
		if (((unsigned char)buf[i] < 0x20 && buf[i] != '\t') || i >= 256)
			return -1;
	if (i + 1 >= len)
		return len > 256 ? -1 : 0;
	if (buf[i + 1] != '\n')
		return -1;
	*size = x;
	return i + 2;
}

const char *http_status_text(int status)
{
	static const struct {
		int status;
		const char *text;
	} t[] = {
		{100, "Continue"},
		{200, "OK"},
		{201, "Created"},
		{204, "No Content"},
		{206, "Partial Content"},
		{304, "Not Modified"},
		{400, "Bad Request"},
		{403, "Forbidden"},
		{404, "Not Found"},
		{405, "Method Not Allowed"},
		{408, "Request Timeout"},
		{409, "Conflict"},
		{411, "Length Required"},
		{413, "Content Too Large"},
		{414, "URI Too Long"},
		{416, "Range Not Satisfiable"},
		{417, "Expectation Failed"},
		{431, "Request Header Fields Too Large"},
		{500, "Internal Server Error"},
		{501, "Not Implemented"},
		{503, "Service Unavailable"},
		{505, "HTTP Version Not Supported"},
		{507, "Insufficient Storage"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		if (t[i].status == status)
			return t[i].text;
	return "Unknown";
}

size_t http_json_escape(char *buf, size_t size, const char *s)
{
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = *s;
		char tmp[8];
		size_t n;

		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = c;
			n = 2;
		} else if (c < 0x20) {
			n = scnprintf(tmp, sizeof(tmp), "\\u%04x", c);
		} else {
			tmp[0] = c;
			n = 1;
		}
		for (size_t i = 0; i < n; i++, o++)
			if (o + 1 < size)
				buf[o] = tmp[i];
	}
	buf[o + 1 < size ? o : size - 1] = '\0';
	return o;
}
