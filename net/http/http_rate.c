/*
 * net/http/http_rate.c - the minimum-rate account of a request body (HD5)
 * or a response (HD6): how long the worker may still wait for the peer.
 * Pure arithmetic on struct http_rate (httpd.h), the knobs passed in.
 *
 * Layer: net (HTTP). Used by: httpd.c (conn_read(), conn_send()), the
 * `http_rate` suite (http_rate_test.c).
 *
 * The credit starts at one timeout; each byte moved adds 1/rate s, each
 * ms waited takes one away; it never exceeds timeout + window. Without a
 * window (0) it is exactly the average rule of HD5/HD6: the waiting never
 * exceeds timeout + moved / rate. With one, a peer that moved a lot fast
 * banks at most the window: in any stretch of waiting of T ms it moves at
 * least rate * (T - timeout - window) / 1000 bytes (Apache
 * mod_reqtimeout's MinRate, checked per stretch instead of only from the
 * start). The credit is kept in microseconds so that small moves at a
 * high rate still count.
 *
 * Locking: none (one worker owns a connection's accounts).
 */
#include <quire/kernel.h>
#include "httpd.h"

void http_rate_start(struct http_rate *r, unsigned int timeout_ms)
{
	r->bytes = 0;
	r->wait_ms = 0;
	r->credit_us = (s64)timeout_ms * 1000;
}

u32 http_rate_wait_left(const struct http_rate *r, unsigned int rate,
			unsigned int timeout_ms)
{
	if (!rate)
		return timeout_ms;
	if (r->credit_us <= 0)
		return 0;
	return http_min(DIV_ROUND_UP((u64)r->credit_us, 1000), timeout_ms);
}

void http_rate_account(struct http_rate *r, unsigned int rate, unsigned int timeout_ms,
		       unsigned int window_ms, u64 ms, u64 bytes)
{
	s64 cap = ((s64)timeout_ms + window_ms) * 1000;

	r->wait_ms += ms;
	r->bytes += bytes;
	if (!rate)
		return;
	r->credit_us += (s64)(bytes * 1000000 / rate) - (s64)ms * 1000;
	if (window_ms && r->credit_us > cap)
		r->credit_us = cap;
}
