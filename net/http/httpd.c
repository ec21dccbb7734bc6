/*
 * net/http/httpd.c - the HTTP/1.1 server of the file service: a listener
 * on TCP port 80 (lwIP's netconn API), a fixed pool of worker threads that
 * each own one connection at a time, the connection's byte stream (header
 * block, Content-Length and chunked bodies) and the response writers.
 *
 * Layer: net (HTTP). Used by: boot (late initcall, when lwIP runs), the
 * handlers (http_fs.c). Provides: the `httpd` shell command; the
 * functions of httpd.h.
 * Not here: what a request does (http_fs.c), parsing (http_parse.c).
 *
 * Model: the listener thread accepts and puts the connection on a queue of
 * HTTP_QUEUE slots; one of HTTP_WORKERS workers takes it and serves its
 * requests one after another (keep-alive) until the peer closes, a request
 * asks to close, an error closes it, or it stays idle for the timeout. A
 * connection that finds the queue full gets a 503 from the listener and is
 * closed lingering by one of HTTP_REFUSE_THREADS refuse threads (HD8).
 *
 * Invariants (HD1..HD9):
 *  HD1: memory is bounded: per worker one struct http_conn with rbuf
 *       (HTTP_HDR_MAX), iobuf (HTTP_IOBUF) and obuf (HTTP_OBUF), allocated
 *       at start; per connection lwIP's windows (TCP_WND in, TCP_SND_BUF
 *       out) from lwIP's static pools. Nothing is allocated per request
 *       except by the VFS and the generated bodies' fixed buffers.
 *  HD2: every wait on the peer is bounded by httpd.timeout_ms: a request's
 *       header block must arrive whole within it (408 otherwise, or a
 *       silent close if nothing of it came), each body receive and each
 *       send (a peer that never reads: closed).
 *  HD3: after an error answer (4xx/5xx with the connection in an unknown
 *       state: a bad request, an unread body) the connection is closed;
 *       the next request on a connection starts exactly where the previous
 *       body ended (Content-Length or the chunked framing, HP4).
 *  HD4: a connection is freed only by its worker: the pending pbuf is
 *       released and the netconn closed and deleted before the worker
 *       takes the next one (netstat's pools return to idle).
 *  HD5: a request body has a minimum rate besides HD2's per-receive
 *       timeout: the time the worker has spent waiting for body bytes
 *       never exceeds httpd.timeout_ms + received / httpd.body_min_rate
 *       seconds (-ETIMEDOUT, 408, close). A client trickling a byte
 *       just inside every timeout is cut after about one timeout, not
 *       after the whole body (Apache mod_reqtimeout's MinRate; only the
 *       wait for the peer counts, never the worker's own file writes).
 *       The credit a fast start earns is capped (httpd.rate_window_ms,
 *       http_rate.c): the waiting allowed never exceeds the timeout
 *       plus the window, so a peer that sent a lot fast and then
 *       trickles is cut after about that long too.
 *  HD6: a response has a minimum rate too: the time the worker has spent
 *       in sends of one response never exceeds httpd.timeout_ms + sent /
 *       httpd.send_min_rate seconds (the connection is closed, counted
 *       in send_slow). A client reading a little just inside every
 *       timeout no longer holds a worker for a whole large file (HD5's
 *       rule for the other direction; only the sends count, never the
 *       worker's file reads), with HD5's cap: a client that read 1 GiB
 *       fast and then trickles is cut after about one timeout plus
 *       httpd.rate_window_ms of waiting, not after 1 GiB / rate.
 *  HD7: a connection closed with input possibly unread (an error answer,
 *       a request body not read) is closed lingering, as nginx's
 *       lingering_close: the response is flushed, the write half shut
 *       (FIN), and what the peer still sends is read and dropped until
 *       it closes, for at most HTTP_LINGER_MS and HTTP_LINGER_MAX bytes;
 *       then the netconn is closed. Closing with unread bytes makes TCP
 *       send a reset, and the peer's stack may drop the response it had
 *       not read yet ("connection reset" instead of a 413).
 *  HD8: a 503 of the full queue is closed lingering too (HD7's bounds,
 *       counted from the 503) by a refuse thread, never by the listener,
 *       which only writes the 503 and queues the connection; at most
 *       HTTP_REFUSE_QUEUE refused connections wait and one per refuse
 *       thread (HTTP_REFUSE_THREADS) lingers, and one beyond is closed at
 *       once (HD1: nothing is allocated for them).
 *  HD9: received bytes are given back to TCP's window (netconn_tcp_recvd)
 *       in steps of net.httpd.rcv_step bytes (sysctl; 0: each segment as
 *       lwIP does by itself), not one segment at a time: each give-back
 *       takes lwIP's core lock, which the tcpip thread wants for every
 *       frame, and a 64 MiB PUT spent most of its time handing that lock
 *       back and forth (docs/profile.md, "A PUT and a GET"). At most
 *       rcv_step bytes (1/4 of TCP_WND by default) are withheld, so the
 *       peer is never stopped by them; and all are given back, the FIN's
 *       byte too, before the netconn is closed: lwIP resets a connection
 *       closed with its window not fully open. With net.httpd.rcv_trylock
 *       (default 1) a step is given back only if the core lock is free at
 *       that moment; while the driver's receive path holds it (a frame
 *       going through lwIP) the bytes stay withheld until a later
 *       segment finds it free, and the worker waits for the lock only
 *       once TCP_WND / 2 are withheld: the peer keeps at least half the
 *       window. Waiting for it at every step cost a 32 MiB upload 4-17 s
 *       of the worker's time in a lock convoy with the receive path
 *       (docs/bench-net.md, session 25).
 *
 * Locking: each http_ring's lock guards it (a leaf): http_queue the
 * accepted connections, http_refuse_queue the refused ones. lwIP's calls
 * take the core lock themselves (LOCK_TCPIP_CORE inside netconn_*); the
 * worker holds no Quire lock while it sleeps in them.
 */
#include <quire/kernel.h>
#include <quire/bug.h>
#include <quire/errno.h>
#include <quire/init.h>
#include <quire/kthread.h>
#include <quire/netdevice.h>
#include <quire/printk.h>
#include <quire/sched.h>
#include <quire/shell.h>
#include <quire/slab.h>
#include <quire/spinlock.h>
#include <quire/string.h>
#include <quire/wait.h>
#include <quire/jiffies.h>
#include <quire/sysctl.h>
#include <quire/bug.h>

#include "lwip/api.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "lwip/pbuf.h"
#include "../lwip/lwip_port.h"
#include "httpd.h"

#define HTTP_OBUF 8192 /* response header and small bodies, coalesced */

struct http_worker {
	struct http_conn conn;
	char *obuf;
	size_t olen;
	unsigned int id;
};

struct http_stats http_stats;

void http_stats_read(struct http_stats *s)
{
	const unsigned long long *from = (const void *)&http_stats;
	unsigned long long *to = (void *)s;

	for (size_t i = 0; i < sizeof(*s) / sizeof(*to); i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
}
static unsigned int http_timeout_ms = HTTP_TIMEOUT_MS;
static unsigned int http_rcv_step = HTTP_RCV_STEP; /* HD9 */
SYSCTL_ENTRY(http_rcv_step, .procname = "net.httpd.rcv_step", .data = &http_rcv_step,
	     .type = SYSCTL_UINT, .min = 0, .max = TCP_WND / 2);
static unsigned int http_rcv_trylock = 1; /* HD9 */
SYSCTL_ENTRY(http_rcv_trylock, .procname = "net.httpd.rcv_trylock",
	     .data = &http_rcv_trylock, .type = SYSCTL_UINT, .min = 0, .max = 1);
static unsigned int http_body_min_rate = HTTP_BODY_MIN_RATE;   /* 0: HD5 off */
static unsigned int http_send_min_rate = HTTP_SEND_MIN_RATE;   /* 0: HD6 off */
static unsigned int http_rate_window_ms = HTTP_RATE_WINDOW_MS; /* 0: no cap */
static struct http_worker *http_workers;

/*
 * A bounded FIFO of fixed-size items under its own lock (a leaf), with a
 * wait queue for the threads that take them: the accepted connections
 * waiting for a worker, the 503s waiting for a refuse thread (HD1, HD8).
 */
struct http_ring {
	spinlock_t lock;
	struct wait_queue_head wait;
	void *slot; /* cap items of size bytes */
	size_t size;
	unsigned int cap, head, len; /* lock */
};

#define HTTP_RING_INIT(ring, array)                                                \
	{                                                                          \
		.lock = __SPIN_LOCK_UNLOCKED(ring.lock),                           \
		.wait = __WAIT_QUEUE_HEAD_INITIALIZER(ring.wait), .slot = (array), \
		.size = sizeof((array)[0]), .cap = ARRAY_SIZE(array)               \
	}

/* Take the oldest item into @item: false when empty. */
static bool http_ring_take(struct http_ring *r, void *item)
{
	bool got = false;

	spin_lock(&r->lock);
	if (r->len) {
		memcpy(item, (char *)r->slot + (size_t)r->head * r->size, r->size);
		r->head = (r->head + 1) % r->cap;
		r->len--;
		got = true;
	}
	spin_unlock(&r->lock);
	return got;
}

/* Queue a copy of @item and wake a taker: false when full. */
static bool http_ring_put(struct http_ring *r, const void *item)
{
	bool ok = false;

	spin_lock(&r->lock);
	if (r->len < r->cap) {
		memcpy((char *)r->slot + (size_t)((r->head + r->len) % r->cap) * r->size,
		       item, r->size);
		r->len++;
		ok = true;
	}
	spin_unlock(&r->lock);
	if (ok)
		wake_up(&r->wait);
	return ok;
}

static struct netconn *http_queue_slot[HTTP_QUEUE];
static struct http_ring http_queue = HTTP_RING_INIT(http_queue, http_queue_slot);

static struct http_worker *conn_worker(struct http_conn *c)
{
	return container_of(c, struct http_worker, conn);
}

/* --- output --- */

/* HD5/HD6's account with the server's knobs (http_rate.c). */
static void rate_start(struct http_rate *r)
{
	http_rate_start(r, http_timeout_ms);
}

static u32 rate_wait_left(const struct http_rate *r, unsigned int rate)
{
	return http_rate_wait_left(r, rate, http_timeout_ms);
}

static void rate_account(struct http_rate *r, unsigned int rate, u64 ms, u64 bytes)
{
	http_rate_account(r, rate, http_timeout_ms, http_rate_window_ms, ms, bytes);
}

/* Write @len bytes to the peer; a failure marks the connection broken. */
static void conn_send(struct http_conn *c, const void *buf, size_t len)
{
	size_t off = 0;

	while (off < len && !c->broken) {
		u32 left = rate_wait_left(&c->send_rate, http_send_min_rate);
		unsigned long start = jiffies;
		size_t written = 0;
		err_t err;

		if (!left) { /* HD6: a peer that reads too slowly */
			c->broken = true;
			http_count(&http_stats.send_slow, 1);
			http_count(&http_stats.send_failures, 1);
			break;
		}
		netconn_set_sendtimeout((struct netconn *)c->nc, left);
		err = netconn_write_partly(c->nc, (const u8 *)buf + off, len - off,
					   NETCONN_COPY, &written);
		rate_account(&c->send_rate, http_send_min_rate,
			     jiffies_to_msecs(jiffies - start), written);
		if (err != ERR_OK || !written) {
			c->broken = true; /* HD2: a peer that does not read */
			http_count(&http_stats.send_failures, 1);
			if (!rate_wait_left(&c->send_rate, http_send_min_rate))
				http_count(&http_stats.send_slow, 1); /* HD6 */
			break;
		}
		off += written;
	}
	http_count(&http_stats.bytes_out, off);
}

static void conn_flush(struct http_conn *c)
{
	struct http_worker *w = conn_worker(c);

	if (w->olen)
		conn_send(c, w->obuf, w->olen);
	w->olen = 0;
}

/* Queue bytes in obuf; big ones go straight out after what is queued. */
static void conn_out(struct http_conn *c, const void *buf, size_t len)
{
	struct http_worker *w = conn_worker(c);

	if (w->olen + len > HTTP_OBUF)
		conn_flush(c);
	if (len >= HTTP_OBUF) {
		conn_send(c, buf, len);
		return;
	}
	memcpy(w->obuf + w->olen, buf, len);
	w->olen += len;
}

void http_send_head(struct http_conn *c, int status, const char *type, s64 len,
		    const char *fields)
{
	char h[512];
	int n;

	if (status >= 100 && status < 600)
		http_count(&http_stats.status[status / 100], 1);
	/* HD3: an error other than the ordinary outcomes of a well-formed
	 * request, or a request body left unread, ends the connection. */
	if (status >= 400 && status != 404 && status != 409 && status != 416)
		c->close = c->linger = true;
	if (c->body_left || (c->body_chunked && !c->body_done))
		c->close = c->linger = true; /* HD7 */
	c->chunked_out = false;
	if (len < 0 && status != 204 && status != 304) {
		if (c->req.version_minor == 1)
			c->chunked_out = true;
		else
			c->close = true; /* HTTP/1.0: the body ends at close */
	}
	n = scnprintf(h, sizeof(h), "HTTP/1.1 %d %s\r\nServer: quire\r\n", status,
		      http_status_text(status));
	if (status != 204 && status != 304) {
		if (type)
			n += scnprintf(h + n, sizeof(h) - n, "Content-Type: %s\r\n",
				       type);
		if (len >= 0)
			n += scnprintf(h + n, sizeof(h) - n, "Content-Length: %lld\r\n",
				       (long long)len);
		else if (c->chunked_out)
			n += scnprintf(h + n, sizeof(h) - n,
				       "Transfer-Encoding: chunked\r\n");
	}
	if (c->close)
		n += scnprintf(h + n, sizeof(h) - n, "Connection: close\r\n");
	else if (c->req.version_minor == 0)
		n += scnprintf(h + n, sizeof(h) - n, "Connection: keep-alive\r\n");
	conn_out(c, h, n);
	if (fields)
		conn_out(c, fields, strlen(fields));
	conn_out(c, "\r\n", 2);
}

void http_send_body(struct http_conn *c, const void *buf, size_t len)
{
	char line[24];

	if (c->head || !len)
		return;
	if (c->chunked_out) {
		int n = scnprintf(line, sizeof(line), "%zx\r\n", len);

		conn_out(c, line, n);
		conn_out(c, buf, len);
		conn_out(c, "\r\n", 2);
	} else {
		conn_out(c, buf, len);
	}
}

void http_printf(struct http_conn *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	http_send_body(c, buf, n);
}

void http_send_end(struct http_conn *c)
{
	if (c->chunked_out && !c->head)
		conn_out(c, "0\r\n\r\n", 5);
	c->chunked_out = false;
}

void http_send_error(struct http_conn *c, int status)
{
	char body[96];
	int n = scnprintf(body, sizeof(body), "%d %s\n", status,
			  http_status_text(status));

	http_send_head(c, status, "text/plain", n, NULL);
	http_send_body(c, body, n);
}

void http_send_continue(struct http_conn *c)
{
	conn_out(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	http_count(&http_stats.status[1], 1);
	conn_flush(c);
}

/* --- input --- */

/* HD9: give TCP back the window of what was received. */
static void conn_rcv_flush(struct http_conn *c)
{
	if (c->rcv_pending && c->nc)
		netconn_tcp_recvd(c->nc, c->rcv_pending);
	c->rcv_pending = 0;
}

/*
 * HD9: give the window back if the core lock is free now; false if it is
 * held (then the bytes stay pending). tcp_recved() under the lock, as
 * lwIP's own give-back (lwip_netconn_do_recv()) does; the lock through
 * the port's trylock/unlock, so LW4's wake-up of tcpip holds here too
 * (net/lwip/sys_arch.c). The pcb is read under the lock: a reset frees
 * it and clears nc->pcb.tcp on the tcpip side under the same lock.
 * rcv_pending <= TCP_WND / 2 here (conn_recv()), so it fits tcp_recved()'s
 * u16_t length.
 */
static bool conn_rcv_trylock(struct http_conn *c)
{
	struct netconn *nc = c->nc;

	BUILD_BUG_ON(TCP_WND / 2 > 0xffff);
	if (!lwip_port_trylock_core())
		return false;
	if (nc->pcb.tcp)
		tcp_recved(nc->pcb.tcp, c->rcv_pending);
	UNLOCK_TCPIP_CORE();
	c->rcv_pending = 0;
	return true;
}

/* Up to @max received bytes into @buf, waiting at most @ms: > 0, 0 when
 * the peer closed, -ETIMEDOUT, -EIO. */
static ssize_t_k conn_recv(struct http_conn *c, void *buf, size_t max, u32 ms)
{
	struct pbuf *p = c->p;
	size_t n;

	if (!p) {
		err_t err;

		if (c->eof)
			return 0;
		netconn_set_recvtimeout((struct netconn *)c->nc, ms ? ms : 1);
		err = netconn_recv_tcp_pbuf_flags(c->nc, &p, NETCONN_NOAUTORCVD);
		if (err == ERR_TIMEOUT || err == ERR_WOULDBLOCK)
			return -ETIMEDOUT;
		if (err != ERR_OK) {
			c->eof = true; /* closed (ERR_CLSD) or reset */
			/* HD9: one for the FIN, as netconn's own give-back;
			 * harmless: tcp_input() reopened the FIN's byte
			 * itself and tcp_recved() clamps at TCP_WND. */
			if (err == ERR_CLSD)
				c->rcv_pending++;
			return err == ERR_CLSD ? 0 : -EIO;
		}
		c->p = p;
		c->poff = 0;
		c->rcv_pending += p->tot_len;
		if (c->rcv_pending > READ_ONCE(http_rcv_step)) { /* HD9 */
			/* a busy lock: try again at the next segment */
			if (!READ_ONCE(http_rcv_trylock) || c->rcv_pending > TCP_WND / 2)
				conn_rcv_flush(c);
			else
				conn_rcv_trylock(c);
		}
		http_count(&http_stats.bytes_in, p->tot_len);
	}
	n = pbuf_copy_partial(p, buf, http_min(max, p->tot_len - c->poff), c->poff);
	c->poff += n;
	if (c->poff == p->tot_len) {
		pbuf_free(p);
		c->p = NULL;
	}
	return n;
}

/* Raw request-body bytes: the header block's leftovers first. */
static ssize_t_k conn_read(struct http_conn *c, void *buf, size_t max)
{
	unsigned long start;
	ssize_t_k n;
	u32 left;

	if (c->rpos < c->rlen) {
		n = http_min(max, c->rlen - c->rpos);
		memcpy(buf, c->rbuf + c->rpos, n);
		c->rpos += n;
		rate_account(&c->body_rate, http_body_min_rate, 0, n);
		return n;
	}
	left = rate_wait_left(&c->body_rate, http_body_min_rate);
	if (!left)
		return -ETIMEDOUT; /* HD5 */
	start = jiffies;
	n = conn_recv(c, buf, max, left);
	rate_account(&c->body_rate, http_body_min_rate, jiffies_to_msecs(jiffies - start),
		     n > 0 ? n : 0);
	return n;
}

/* One CRLF-ended line of a chunked body (size line or trailer) into
 * @line, CRLF included: its length, or -errno. */
static ssize_t_k conn_read_line(struct http_conn *c, char *line, size_t size)
{
	size_t n = 0;

	while (n < size) {
		ssize_t_k r = conn_read(c, line + n, 1);

		if (r <= 0)
			return r ? r : -EPIPE;
		n++;
		if (line[n - 1] == '\n')
			return n;
	}
	return -EBADMSG;
}

/* Read the next chunk-size line (after the previous chunk's CRLF). */
static int conn_next_chunk(struct http_conn *c)
{
	char line[HTTP_CHUNK_LINE_MAX];
	ssize_t_k n;
	u64 size;

	n = conn_read_line(c, line, sizeof(line));
	if (n < 0)
		return n;
	if (http_chunk_size_line(line, n, &size) != n)
		return -EBADMSG;
	if (size > HTTP_PUT_MAX - c->chunk_total)
		return -EFBIG; /* 413 before the chunk is read, as for a length */
	c->chunk_total += size;
	c->chunk_left = size;
	if (size)
		return 0;
	for (unsigned int i = 0; i <= HTTP_TRAILERS_MAX; i++) { /* trailers: skipped */
		n = conn_read_line(c, line, sizeof(line));
		if (n < 0)
			return n;
		if (n == 2 && line[0] == '\r')
			break;
		if (i == HTTP_TRAILERS_MAX || n < 2 || line[n - 2] != '\r')
			return -EBADMSG;
	}
	c->body_done = true;
	return 0;
}

static ssize_t_k read_chunked(struct http_conn *c, void *buf, size_t max)
{
	ssize_t_k n;

	if (c->body_done)
		return 0;
	if (!c->chunk_left) {
		int err = conn_next_chunk(c);

		if (err || c->body_done)
			return err;
	}
	n = conn_read(c, buf, http_min(max, c->chunk_left));
	if (n <= 0)
		return n ? n : -EPIPE;
	c->chunk_left -= n;
	if (!c->chunk_left) { /* the chunk's CRLF */
		char crlf[2];

		for (int i = 0; i < 2; i++) {
			ssize_t_k r = conn_read(c, crlf + i, 1);

			if (r <= 0)
				return r ? r : -EPIPE;
		}
		if (crlf[0] != '\r' || crlf[1] != '\n')
			return -EBADMSG;
	}
	return n;
}

ssize_t_k http_read_body(struct http_conn *c, void *buf, size_t max)
{
	ssize_t_k n;

	if (c->body_chunked)
		return read_chunked(c, buf, max);
	if (!c->body_left)
		return 0;
	n = conn_read(c, buf, http_min(max, c->body_left));
	if (n <= 0)
		return n ? n : -EPIPE;
	c->body_left -= n;
	return n;
}

/* Read one header block into rbuf: its length, 0 if the peer closed or
 * stayed idle before sending anything, or -status (408, 431, 400). */
static int conn_read_header(struct http_conn *c)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(http_timeout_ms);
	size_t end;

	for (;;) {
		long left = (long)(deadline - jiffies);
		size_t skip =
			c->rpos + http_empty_lines(c->rbuf + c->rpos, c->rlen - c->rpos);
		ssize_t_k n;

		/* what was pipelined, less empty lines (RFC 9112 2.2): a peer
		 * that sends nothing else is idle, not a bad request */
		memmove(c->rbuf, c->rbuf + skip, c->rlen - skip);
		c->rlen -= skip;
		c->rpos = 0;
		end = http_header_end(c->rbuf, c->rlen);
		if (end)
			break;

		if (c->rlen == HTTP_HDR_MAX)
			return -431;
		if (left <= 0)
			return c->rlen ? -408 : 0; /* HD2 */
		n = conn_recv(c, c->rbuf + c->rlen, HTTP_HDR_MAX - c->rlen,
			      jiffies_to_msecs(left));
		if (n == -ETIMEDOUT)
			continue;
		if (n <= 0)
			return c->rlen ? -400 : 0; /* cut in the middle of a header */
		c->rlen += n;
	}
	return end;
}

/* After a response: skip an unread body so the next request starts at
 * its start (HD3), or mark the connection for closing. */
static void conn_finish_body(struct http_conn *c)
{
	if (c->close || c->broken)
		return;
	if (c->body_left || (c->body_chunked && !c->body_done))
		c->close = c->linger = true; /* a handler left a body unread */
}

/*
 * HD7: the response is out; shut the write half and drop what the peer
 * still sends until it closes, HTTP_LINGER_MS or HTTP_LINGER_MAX bytes,
 * so that the close does not reset the connection under the response.
 */
static void conn_linger(struct http_conn *c)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(HTTP_LINGER_MS);
	u64 dropped = 0;

	if (netconn_shutdown(c->nc, 0, 1) != ERR_OK)
		return;
	http_count(&http_stats.lingering, 1);
	while (dropped < HTTP_LINGER_MAX) {
		long left = (long)(deadline - jiffies);
		ssize_t_k n;

		if (left <= 0)
			break;
		n = conn_recv(c, c->iobuf, HTTP_IOBUF, jiffies_to_msecs(left));
		if (n == -ETIMEDOUT)
			continue;
		if (n <= 0)
			break; /* the peer closed (or reset) */
		dropped += n;
	}
	http_count(&http_stats.linger_bytes, dropped);
}

/* Serve requests on @c until it must close. */
static void conn_serve(struct http_conn *c)
{
	while (!c->close && !c->broken) {
		int end, status;

		/* HD6's allowance is per response: an error answered from
		 * conn_read_header() (408, 431, 400) starts from zero too,
		 * never from the previous response's send time. */
		rate_start(&c->send_rate);
		end = conn_read_header(c);
		if (end == 0)
			break;
		c->head = false;
		c->req.version_minor = 1;
		if (end < 0) {
			if (end == -408)
				http_count(&http_stats.timeouts, 1);
			http_count(&http_stats.bad_requests, 1);
			c->close = true;
			http_send_error(c, -end);
			break;
		}
		http_count(&http_stats.requests, 1);
		status = http_parse_request(c->rbuf, end, &c->req);
		c->rpos = end;
		c->close = !c->req.keep_alive;
		c->head = !status && c->req.method == HTTP_HEAD;
		c->body_left = c->req.has_length ? c->req.content_length : 0;
		c->body_chunked = c->req.chunked;
		c->body_done = false;
		c->chunk_left = 0;
		c->chunk_total = 0;
		rate_start(&c->body_rate);
		if (status) {
			http_count(&http_stats.bad_requests, 1);
			c->close = true; /* HP1 */
			http_send_error(c, status);
		} else {
			http_handle(c);
		}
		conn_finish_body(c);
		conn_flush(c);
	}
	conn_flush(c);
	if (c->linger && !c->broken && !c->eof)
		conn_linger(c);
}

static void conn_release(struct http_conn *c)
{
	if (c->p)
		pbuf_free(c->p); /* HD4 */
	c->p = NULL;
	conn_rcv_flush(c); /* HD9: a window not fully open would close with a RST */
	netconn_close(c->nc);
	netconn_delete(c->nc);
	c->nc = NULL;
}

static int http_worker_fn(void *arg)
{
	struct http_worker *w = arg;
	struct http_conn *c = &w->conn;
	struct netconn *nc;

	for (;;) {
		wait_event(http_queue.wait, http_ring_take(&http_queue, &nc));
		c->nc = nc;
		c->rlen = c->rpos = 0;
		c->eof = c->broken = c->close = c->linger = false;
		rate_start(&c->send_rate);
		c->rcv_pending = 0;
		w->olen = 0;
		http_count(&http_stats.active, 1);
		conn_serve(c);
		conn_release(c);
		__atomic_fetch_sub(&http_stats.active, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

/* HD8: a refused connection lingering, or waiting for a thread to. */
struct http_refused {
	struct netconn *nc;
	unsigned long deadline; /* the linger ends then, HTTP_LINGER_MS after the 503 */
};

static struct http_refused http_refuse_slot[HTTP_REFUSE_QUEUE];
static struct http_ring http_refuse_queue =
	HTTP_RING_INIT(http_refuse_queue, http_refuse_slot);

/*
 * HD8: the 503 is out; shut the write half and drop what the peer still
 * sends (its request, a body) until it closes, @r's deadline or
 * HTTP_LINGER_MAX bytes (HD7's bounds), then close. Context: a refuse
 * thread.
 */
static void http_refuse_linger(struct http_refused *r)
{
	u64 dropped = 0;

	if (netconn_shutdown(r->nc, 0, 1) == ERR_OK) {
		http_count(&http_stats.refused_lingering, 1);
		while (dropped < HTTP_LINGER_MAX) {
			long left = (long)(r->deadline - jiffies);
			struct pbuf *p;
			err_t err;

			if (left <= 0)
				break;
			netconn_set_recvtimeout(r->nc, jiffies_to_msecs(left) ?: 1);
			err = netconn_recv_tcp_pbuf(r->nc, &p);
			if (err == ERR_TIMEOUT || err == ERR_WOULDBLOCK)
				continue;
			if (err != ERR_OK)
				break; /* the peer closed (or reset) */
			dropped += p->tot_len;
			pbuf_free(p);
		}
		http_count(&http_stats.linger_bytes, dropped);
	}
	netconn_close(r->nc);
	netconn_delete(r->nc);
}

static int http_refuse_fn(void *arg)
{
	struct http_refused r;

	for (;;) {
		wait_event(http_refuse_queue.wait,
			   http_ring_take(&http_refuse_queue, &r));
		http_refuse_linger(&r);
	}
	return 0;
}

/*
 * The queue is full: a short 503 (small: never blocks), then a lingering
 * close by a refuse thread (HD8), or a close at once when
 * HTTP_REFUSE_QUEUE refused connections already linger or wait to. The
 * listener never waits for the peer.
 */
static void http_refuse(struct netconn *nc)
{
	static const char msg[] = "HTTP/1.1 503 Service Unavailable\r\nServer: quire\r\n"
				  "Content-Length: 0\r\nRetry-After: 1\r\n"
				  "Connection: close\r\n\r\n";
	struct http_refused r;
	size_t written = 0;
	err_t err;

	http_count(&http_stats.refused, 1);
	http_count(&http_stats.status[5], 1);
	/* Not netconn_write(): with a send timeout set (http_accepted())
	 * lwIP takes that for a non-blocking write and refuses it (ERR_VAL)
	 * unless the bytes written are asked for: the 503 was never sent. */
	err = netconn_write_partly(nc, msg, sizeof(msg) - 1, NETCONN_COPY, &written);
	r.nc = nc;
	r.deadline = jiffies + msecs_to_jiffies(HTTP_LINGER_MS);
	if (err == ERR_OK && written == sizeof(msg) - 1 &&
	    http_ring_put(&http_refuse_queue, &r))
		return;
	netconn_close(nc);
	netconn_delete(nc);
}

static void http_accepted(struct netconn *nc)
{
	http_count(&http_stats.accepted, 1);
	netconn_set_sendtimeout(nc, http_timeout_ms); /* conn_send() sets its own */
	LOCK_TCPIP_CORE();
	if (nc->pcb.tcp)
		tcp_nagle_disable(nc->pcb.tcp); /* responses end in small segments */
	UNLOCK_TCPIP_CORE();
	if (!http_ring_put(&http_queue, &nc))
		http_refuse(nc);
}

/*
 * lwIP resets a connection whose handshake it completed when the
 * listener's accept mailbox is full (accept_function()'s ERR_MEM: the peer
 * gets a RST, slirp closes the host's socket with a FIN: answered by
 * nothing). The mailbox holds the netconns of connections not accepted
 * yet (the backlog's, and any reset or closed while they waited: their
 * backlog slot is given back, their netconn stays queued) and a marker
 * for each SYN lwIP had no pcb for: sized for every netconn, it never
 * fills with connections, and markers (unbounded: a peer's SYNs while
 * every pcb is held, closing ones included) never take the netconns'
 * slots (sys_arch.c LW5); the pcbs cover httpd's own bound so that
 * markers stay rare (docs/net.md, "Connect storms").
 */
BUILD_BUG_ON(DEFAULT_ACCEPTMBOX_SIZE <= MEMP_NUM_NETCONN);
BUILD_BUG_ON(MEMP_NUM_TCP_PCB <
	     HTTP_WORKERS + 2 * HTTP_QUEUE + HTTP_REFUSE_QUEUE + HTTP_REFUSE_THREADS);
/* The listening netconn (the `httpd` command reads its accept mailbox). */
static struct netconn *http_listener;
/* netconn_accept()'s ERR_ABRT: lwIP's marker of a SYN it had no pcb for,
 * or a handshake it had no netconn for (accept_function()); atomic. */
static unsigned long long http_accept_aborts;

static int http_listener_fn(void *arg)
{
	struct netconn *listener = arg, *nc;

	for (;;) {
		err_t err = netconn_accept(listener, &nc);

		if (err == ERR_OK) {
			http_accepted(nc);
			continue;
		}
		/* A marker takes a mailbox slot: take the next at once (a
		 * sleep here let a storm's markers fill the mailbox). */
		if (err == ERR_ABRT) {
			http_count(&http_accept_aborts, 1);
			continue;
		}
		schedule_timeout_uninterruptible(msecs_to_jiffies(10));
	}
	return 0;
}

/* The listening netconn on port 80, or NULL (printed). */
static struct netconn *http_listen(void)
{
	struct netconn *listener = netconn_new(NETCONN_TCP);
	err_t err;

	if (!listener)
		return NULL;
	err = netconn_bind(listener, IP4_ADDR_ANY, HTTP_PORT);
	if (err == ERR_OK)
		err = netconn_listen_with_backlog(listener, HTTP_QUEUE);
	if (err != ERR_OK) {
		pr_err("httpd: cannot listen on port %d: lwIP error %d\n", HTTP_PORT,
		       err);
		netconn_delete(listener);
		return NULL;
	}
	return listener;
}

static int http_worker_init(struct http_worker *w, unsigned int id)
{
	w->id = id;
	w->conn.rbuf = kmalloc(HTTP_HDR_MAX, GFP_KERNEL);
	w->conn.iobuf = kmalloc(HTTP_IOBUF, GFP_KERNEL);
	w->obuf = kmalloc(HTTP_OBUF, GFP_KERNEL);
	if (!w->conn.rbuf || !w->conn.iobuf || !w->obuf)
		return -ENOMEM;
	if (IS_ERR(kthread_run(http_worker_fn, w, "httpd/%u", id)))
		return -ENOMEM;
	return 0;
}

/* A minimum rate from the kernel command line (@name=N bytes/s; 0: HD2
 * alone), @rate kept when N is not a number. */
static void httpd_rate_option(const char *name, unsigned int *rate)
{
	unsigned int n;
	char opt[16];

	if (!cmdline_get(name, opt, sizeof(opt)))
		return;
	if (kstrtouint(opt, 10, &n))
		pr_err("httpd: %s=%s: not a number; using %u\n", name, opt, *rate);
	else
		*rate = n;
}

/* Start the server when lwIP runs (a network device was there: lwIP's
 * initcall comes first, net/lwip/build.mk links net/http after the port),
 * everything allocated here, at boot. httpd=off: no server;
 * httpd.timeout_ms=N: HD2's timeout; httpd.body_min_rate, httpd.send_min_rate:
 * HD5's and HD6's rates. */
static int httpd_init(void)
{
	struct netconn *listener;
	unsigned int ms;
	char opt[16];
	int err;

	if (cmdline_get("httpd", opt, sizeof(opt)) && !strcmp(opt, "off"))
		return 0;
	if (!net_lwip_running())
		return 0;
	if (cmdline_get("httpd.timeout_ms", opt, sizeof(opt))) {
		if (kstrtouint(opt, 10, &ms) || ms < 100 || ms > 600000)
			pr_err("httpd: httpd.timeout_ms=%s: not 100..600000; using %u\n",
			       opt, http_timeout_ms);
		else
			http_timeout_ms = ms;
	}
	httpd_rate_option("httpd.body_min_rate", &http_body_min_rate);
	httpd_rate_option("httpd.send_min_rate", &http_send_min_rate);
	httpd_rate_option("httpd.rate_window_ms", &http_rate_window_ms);
	http_workers = kcalloc(HTTP_WORKERS, sizeof(*http_workers), GFP_KERNEL);
	if (!http_workers)
		return -ENOMEM;
	for (unsigned int i = 0; i < HTTP_WORKERS; i++) {
		err = http_worker_init(&http_workers[i], i);
		if (err)
			return err;
	}
	for (unsigned int i = 0; i < HTTP_REFUSE_THREADS; i++)
		if (IS_ERR(kthread_run(http_refuse_fn, NULL, "httpd/refuse%u", i)))
			return -ENOMEM;
	listener = http_listen();
	if (!listener)
		return -EIO;
	http_listener = listener;
	if (IS_ERR(kthread_run(http_listener_fn, listener, "httpd")))
		return -ENOMEM;
	pr_info("httpd: listening on port %d (%d workers, timeout %u ms, body min rate %u B/s, send min rate %u B/s, rate window %u ms)\n",
		HTTP_PORT, HTTP_WORKERS, http_timeout_ms, http_body_min_rate,
		http_send_min_rate, http_rate_window_ms);
	return 0;
}
late_initcall(httpd_init);

static int cmd_httpd(int argc, char **argv)
{
	struct http_stats s;

	http_stats_read(&s);
	if (!http_workers) {
		cprintf("httpd: not running (no network device, or httpd=off)\n");
		return 0;
	}
	cprintf("httpd: port %d, %d workers, queue %d, timeout %u ms, body min rate %u B/s, send min rate %u B/s, rate window %u ms\n",
		HTTP_PORT, HTTP_WORKERS, HTTP_QUEUE, http_timeout_ms, http_body_min_rate,
		http_send_min_rate, http_rate_window_ms);
	cprintf("connections: %llu accepted, %llu active, %llu refused (503; %llu closed lingering)\n",
		s.accepted, s.active, s.refused, s.refused_lingering);
	if (http_listener) {
		struct lwip_mbox_stats m;

		lwip_mbox_get_stats(&http_listener->acceptmbox, &m);
		cprintf("accept mailbox: %u of %u (at most %u); %lu connections reset after the handshake for want of room, %llu SYNs without a pcb or netconn (%lu more not told)\n",
			m.len, m.size, m.high, m.full_msgs,
			__atomic_load_n(&http_accept_aborts, __ATOMIC_RELAXED),
			m.full_errs);
	}
	cprintf("requests: %llu, bad %llu, timeouts %llu, send failures %llu (%llu below the send min rate)\n",
		s.requests, s.bad_requests, s.timeouts, s.send_failures, s.send_slow);
	cprintf("lingering closes: %llu, %llu bytes dropped\n", s.lingering,
		s.linger_bytes);
	cprintf("responses: 1xx %llu 2xx %llu 3xx %llu 4xx %llu 5xx %llu\n", s.status[1],
		s.status[2], s.status[3], s.status[4], s.status[5]);
	cprintf("bytes: %llu in, %llu out; %llu writes of PUT bodies\n", s.bytes_in,
		s.bytes_out, s.put_writes);
	return 0;
}
SHELL_COMMAND(httpd, "httpd", "httpd", "the HTTP server's counters (docs/net-http.md)",
	      cmd_httpd);
