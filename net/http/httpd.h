/*
 * net/http/httpd.h - what the HTTP server (httpd.c) and its handlers
 * (http_fs.c) share: a connection, its byte stream, the response
 * writers. Not a public interface.
 *
 * Layer: net (HTTP). lwIP stays inside httpd.c: a handler sees a
 * connection only through these functions.
 */
#ifndef QUIRE_NET_HTTPD_H
#define QUIRE_NET_HTTPD_H

#include <quire/types.h>
#include "http_parse.h"

#define HTTP_PORT	    80
#define HTTP_WORKERS	    16		 /* connections served at once */
#define HTTP_QUEUE	    32		 /* accepted, waiting for a worker (503 beyond) */
#define HTTP_IOBUF	    (64 * 1024)	 /* a worker's file <-> socket buffer */
#define HTTP_RCV_STEP	    (16 * 1024)	 /* net.httpd.rcv_step: window given back (HD9) */
#define HTTP_TIMEOUT_MS	    10000	 /* httpd.timeout_ms=: header, body, send */
#define HTTP_BODY_MIN_RATE  4096	 /* httpd.body_min_rate=: bytes/s (HD5) */
#define HTTP_SEND_MIN_RATE  4096	 /* httpd.send_min_rate=: bytes/s (HD6) */
#define HTTP_LINGER_MS	    2000	 /* lingering close: at most this long (HD7) */
#define HTTP_LINGER_MAX	    (8 << 20)	 /* ... and this many bytes discarded */
#define HTTP_RATE_WINDOW_MS 30000	 /* httpd.rate_window_ms=: HD5/HD6 credit cap */
#define HTTP_REFUSE_QUEUE   8		 /* 503s waiting for a refuse thread (HD8) */
#define HTTP_REFUSE_THREADS 2		 /* ... and the threads that linger on them */
#define HTTP_PUT_MAX	    (1ULL << 32) /* bytes in one PUT (413 beyond) */
#define HTTP_CHUNK_LINE_MAX 256		 /* a chunk-size line, bytes */
#define HTTP_TRAILERS_MAX   16		 /* trailer fields after the last chunk */

/*
 * A minimum rate's account (HD5, HD6): bytes moved and time waited for
 * the peer, and the waiting still allowed: it starts at httpd.timeout_ms,
 * each byte moved adds 1/rate s, each ms waited takes one away, and it
 * never exceeds httpd.timeout_ms + httpd.rate_window_ms (a fast start
 * banks at most the window).
 */
struct http_rate {
	u64 bytes;     /* moved: body (framing included) in, or response out */
	u64 wait_ms;   /* time spent waiting for the peer */
	s64 credit_us; /* waiting still allowed; <= 0: below the rate */
};

/* One connection, owned by one worker from accept to close. */
struct http_conn {
	void *nc;		    /* lwIP's struct netconn */
	void *p;		    /* a received pbuf not yet consumed, or NULL */
	unsigned int poff;	    /* bytes of @p consumed */
	char *rbuf;		    /* HTTP_HDR_MAX: header block, then leftovers */
	size_t rlen, rpos;	    /* rbuf[rpos..rlen) is unread */
	char *iobuf;		    /* HTTP_IOBUF */
	unsigned int rcv_pending;   /* received, not yet given back to TCP (HD9) */
	bool eof;		    /* the peer closed its side */
	bool broken;		    /* a send failed or timed out: close now */
	bool close;		    /* close after this response */
	bool linger;		    /* input may be left unread: lingering close (HD7) */
	bool head;		    /* HEAD: headers only */
	bool chunked_out;	    /* the response body is being sent chunked */
	u64 body_left;		    /* request body bytes not read (Content-Length) */
	bool body_chunked;	    /* request body is chunked */
	bool body_done;		    /* chunked: the last chunk and trailers were read */
	u64 chunk_left;		    /* chunked: bytes left of the current chunk */
	u64 chunk_total;	    /* chunked: the chunk sizes announced so far */
	struct http_rate body_rate; /* the request body's bytes and waits (HD5) */
	struct http_rate send_rate; /* the response's (HD6) */
	struct http_request req;
	char fs_path[HTTP_PATH_MAX + 1];
};

/* Counters (atomics, relaxed), shown by `httpd` and in /metrics. */
struct http_stats {
	unsigned long long accepted, refused, active, requests, bytes_in, bytes_out;
	unsigned long long status[6]; /* 1xx .. 5xx by first digit */
	unsigned long long timeouts, send_failures, bad_requests;
	unsigned long long put_writes; /* ksys_write() calls of PUT bodies (HF4) */
	unsigned long long send_slow;  /* responses cut by the minimum send rate (HD6) */
	unsigned long long lingering;  /* lingering closes (HD7) */
	unsigned long long linger_bytes;      /* bytes read and dropped by them */
	unsigned long long refused_lingering; /* 503s closed lingering (HD8) */
};
extern struct http_stats http_stats;

/* Every counter read atomically (the set is not one snapshot). */
void http_stats_read(struct http_stats *s);

static inline void http_count(unsigned long long *c, unsigned long long n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static inline u64 http_min(u64 a, u64 b)
{
	return a < b ? a : b;
}

/* HD5/HD6's account (http_rate.c): a new one for a body or a response;
 * how long the next wait may last (HD2's @timeout_ms at most; 0: the peer
 * is below @rate bytes/s, 0 meaning no rate); a wait of @ms that moved
 * @bytes, the credit capped at @timeout_ms + @window_ms (0: no cap). */
void http_rate_start(struct http_rate *r, unsigned int timeout_ms);
u32 http_rate_wait_left(const struct http_rate *r, unsigned int rate,
			unsigned int timeout_ms);
void http_rate_account(struct http_rate *r, unsigned int rate, unsigned int timeout_ms,
		       unsigned int window_ms, u64 ms, u64 bytes);

/* Read up to @max body bytes of the request (Content-Length or chunked):
 * > 0 bytes, 0 at the body's end, -ETIMEDOUT (slow client: a receive
 * waited httpd.timeout_ms, or the body is below its minimum rate, HD5),
 * -EPIPE (the peer closed early), -EBADMSG (a chunked body that lies),
 * -EFBIG (chunk sizes adding up past HTTP_PUT_MAX). Context: the worker,
 * may sleep. */
ssize_t_k http_read_body(struct http_conn *c, void *buf, size_t max);

/* The status line and fields of a response: @len the body's length, or
 * -1 for a chunked body (HTTP/1.1; an HTTP/1.0 peer gets a body ended by
 * close). @fields: more header lines, each ending in CRLF, or NULL. */
void http_send_head(struct http_conn *c, int status, const char *type, s64 len,
		    const char *fields);
/* Body bytes (nothing for HEAD); chunk-framed after a -1 length. */
void http_send_body(struct http_conn *c, const void *buf, size_t len);
/* printf into the body (chunked responses: directory listings, metrics). */
void http_printf(struct http_conn *c, const char *fmt, ...) __printf(2, 3);
/* End a chunked body. */
void http_send_end(struct http_conn *c);
/* A whole short response: "@status @text\n" as text/plain. */
void http_send_error(struct http_conn *c, int status);
/* "HTTP/1.1 100 Continue" before reading a body the client holds back. */
void http_send_continue(struct http_conn *c);

/* Serve one parsed request (c->req; http_fs.c). */
void http_handle(struct http_conn *c);

/* The status for a VFS error (-ENOENT: 404, ...). */
int http_errno_status(int err);

#endif
