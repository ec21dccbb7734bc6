// SPDX-License-Identifier: MIT
/*
 * tools/linux-bench/httpd.c - the Linux guest's HTTP/1.1 file server for
 * tools/bench's `net` section.
 *
 * Layer: tools (runs inside the Linux guest of tools/linux-bench/run, built
 *        there static with the host's gcc; not part of Quire).
 * Used by: tools/linux-bench/run --http (tools/bench --only net).
 * Provides: the subset of Quire's HTTP file service (net/http/, issue 12)
 *        that the bench's rows use, so that both guests answer the same
 *        requests:
 *          GET/HEAD /fs/PATH  a file of ROOT/PATH (Content-Length)
 *          PUT /fs/PATH       create or replace ROOT/PATH with the body
 *                             (Content-Length required) as Quire's server
 *                             does (docs/net-http.md, HF2): a new name is
 *                             created (O_EXCL) and written directly; an
 *                             existing file is replaced through a
 *                             temporary name in its directory renamed over
 *                             it; then fsync() of the file, then the
 *                             answer: 201 created, 204 replaced
 *          DELETE /fs/PATH    unlink, 204
 *          GET /zero?N        N zero bytes from memory (no file system):
 *                             the guest-to-host ceiling of the network
 *          PUT /null          the body read and dropped, 204: the
 *                             host-to-guest ceiling
 *        HTTP/1.1 keep-alive (HTTP/1.0 and "Connection: close" close), one
 *        thread per connection. Busybox's httpd takes PUT only through CGI
 *        (a fork and a shell per request), hence this program.
 *
 * It is a bench peer, not a server to expose: no authentication, paths with
 * ".." refused, nothing else checked beyond what keeps it from crashing.
 * Copies go through a 128 KiB buffer with read()/write() (no sendfile()),
 * as a plain server without zero-copy does.
 *
 * Usage: lbhttpd PORT ROOT   (prints "lbhttpd: listening on PORT" when ready)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_MAX	 16384
#define BUF_SIZE (128 << 10)

static const char *root;

struct conn {
	int fd;
	char hdr[HDR_MAX + 1];
	size_t have; /* bytes in hdr (headers and what followed them) */
	char *buf;
};

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int reply(struct conn *c, int status, const char *reason, unsigned long long len,
		 int keep, const char *extra)
{
	char h[512];
	int n = snprintf(h, sizeof(h),
			 "HTTP/1.1 %d %s\r\nServer: lbhttpd\r\n"
			 "Content-Length: %llu\r\nConnection: %s\r\n%s\r\n",
			 status, reason, len, keep ? "keep-alive" : "close",
			 extra ? extra : "");

	return write_all(c->fd, h, (size_t)n);
}

/* Fill c->hdr until "\r\n\r\n"; returns the header length, 0 on EOF before
 * any byte, -1 on error or overflow. */
static long read_head(struct conn *c)
{
	for (;;) {
		char *end;
		ssize_t r;

		c->hdr[c->have] = 0;
		end = c->have ? strstr(c->hdr, "\r\n\r\n") : NULL;
		if (end)
			return end + 4 - c->hdr;
		if (c->have >= HDR_MAX)
			return -1;
		r = read(c->fd, c->hdr + c->have, HDR_MAX - c->have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return c->have ? -1 : 0;
		c->have += (size_t)r;
	}
}

/* Read the body's next bytes: first what followed the headers. */
static ssize_t body_read(struct conn *c, long *pre_off, long pre_end, char *dst, size_t n)
{
	if (*pre_off < pre_end) {
		size_t k = (size_t)(pre_end - *pre_off);

		if (k > n)
			k = n;
		memcpy(dst, c->hdr + *pre_off, k);
		*pre_off += (long)k;
		return (ssize_t)k;
	}
	for (;;) {
		ssize_t r = read(c->fd, dst, n);

		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

static const char *header(const char *head, const char *name)
{
	size_t n = strlen(name);
	const char *p = strstr(head, "\r\n");

	while (p && p[2] != '\r') {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			p += n + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

static int path_of(const char *target, char *out, size_t outsz)
{
	if (strncmp(target, "/fs/", 4) || strstr(target, "..") || !target[4])
		return -1;
	if ((size_t)snprintf(out, outsz, "%s/%s", root, target + 4) >= outsz)
		return -1;
	return 0;
}

/* One request; returns 1 to keep the connection, 0 to close it. */
static int serve_one(struct conn *c)
{
	char method[16], target[1024], version[16], path[2048], tmp[2100];
	unsigned long long clen = 0, left;
	long head_len = read_head(c), pre_off, pre_end;
	const char *v;
	int keep, has_len, fd, st;

	if (head_len <= 0)
		return 0;
	if (sscanf(c->hdr, "%15s %1023s %15s", method, target, version) != 3) {
		reply(c, 400, "Bad Request", 0, 0, NULL);
		return 0;
	}
	keep = !strcmp(version, "HTTP/1.1");
	v = header(c->hdr, "Connection");
	if (v && !strncasecmp(v, "close", 5))
		keep = 0;
	else if (v && !strncasecmp(v, "keep-alive", 10))
		keep = 1;
	v = header(c->hdr, "Content-Length");
	has_len = v != NULL;
	if (v)
		clen = strtoull(v, NULL, 10);
	if (header(c->hdr, "Transfer-Encoding")) {
		reply(c, 501, "Not Implemented", 0, 0, NULL);
		return 0;
	}
	pre_off = head_len;
	pre_end = (long)c->have;

	if (!strcmp(method, "PUT")) {
		int null = !strcmp(target, "/null"), existed;
		struct stat sb;

		if (!has_len) {
			reply(c, 411, "Length Required", 0, 0, NULL);
			return 0;
		}
		fd = -1;
		existed = 0;
		if (!null) {
			if (path_of(target, path, sizeof(path))) {
				reply(c, 404, "Not Found", 0, 0, NULL);
				return 0;
			}
			existed = !stat(path, &sb);
			if (existed)
				snprintf(tmp, sizeof(tmp), "%s.lbput-%lx", path,
					 (unsigned long)pthread_self());
			else
				snprintf(tmp, sizeof(tmp), "%s", path);
			fd = open(tmp, O_WRONLY | O_CREAT | (existed ? O_TRUNC : O_EXCL),
				  0644);
			if (fd < 0) {
				reply(c, 500, "Internal Server Error", 0, 0, NULL);
				return 0;
			}
		}
		for (left = clen; left;) {
			ssize_t r = body_read(c, &pre_off, pre_end, c->buf,
					      left < BUF_SIZE ? left : BUF_SIZE);

			if (r <= 0 || (fd >= 0 && write_all(fd, c->buf, (size_t)r))) {
				if (fd >= 0) {
					close(fd);
					unlink(tmp);
				}
				return 0;
			}
			left -= (unsigned long long)r;
		}
		st = 0;
		if (fd >= 0) {
			st = existed ? rename(tmp, path) : 0;
			if (st)
				unlink(tmp);
			st |= fsync(fd) | close(fd);
		}
		if (st)
			reply(c, 500, "Internal Server Error", 0, 0, NULL);
		else if (existed || null)
			reply(c, 204, "No Content", 0, keep, NULL);
		else
			reply(c, 201, "Created", 0, keep, NULL);
		c->have = (size_t)(pre_end - pre_off);
		memmove(c->hdr, c->hdr + pre_off, c->have);
		return keep && !st;
	}
	/* No other method has a body here. */
	if (has_len && clen) {
		reply(c, 413, "Payload Too Large", 0, 0, NULL);
		return 0;
	}
	c->have = (size_t)(pre_end - pre_off);
	memmove(c->hdr, c->hdr + pre_off, c->have);

	if (!strcmp(method, "GET") && !strncmp(target, "/zero?", 6)) {
		unsigned long long n = strtoull(target + 6, NULL, 10);

		if (reply(c, 200, "OK", n, keep, NULL))
			return 0;
		memset(c->buf, 0, BUF_SIZE);
		while (n) {
			size_t k = n < BUF_SIZE ? n : BUF_SIZE;

			if (write_all(c->fd, c->buf, k))
				return 0;
			n -= k;
		}
		return keep;
	}
	if (!strcmp(method, "DELETE")) {
		if (path_of(target, path, sizeof(path)) || unlink(path)) {
			reply(c, 404, "Not Found", 0, keep, NULL);
			return keep;
		}
		reply(c, 204, "No Content", 0, keep, NULL);
		return keep;
	}
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
		struct stat sb;

		if (path_of(target, path, sizeof(path)) ||
		    (fd = open(path, O_RDONLY)) < 0) {
			reply(c, 404, "Not Found", 0, keep, NULL);
			return keep;
		}
		if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
			close(fd);
			reply(c, 404, "Not Found", 0, keep, NULL);
			return keep;
		}
		if (reply(c, 200, "OK", (unsigned long long)sb.st_size, keep, NULL)) {
			close(fd);
			return 0;
		}
		if (!strcmp(method, "GET")) {
			for (left = (unsigned long long)sb.st_size; left;) {
				ssize_t r = read(fd, c->buf,
						 left < BUF_SIZE ? left : BUF_SIZE);

				if (r <= 0 || write_all(c->fd, c->buf, (size_t)r)) {
					close(fd);
					return 0;
				}
				left -= (unsigned long long)r;
			}
		}
		close(fd);
		return keep;
	}
	reply(c, 405, "Method Not Allowed", 0, 0, NULL);
	return 0;
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;

	while (serve_one(c))
		;
	close(c->fd);
	free(c->buf);
	free(c);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int one = 1, ls;

	if (argc != 3) {
		fprintf(stderr, "usage: lbhttpd PORT ROOT\n");
		return 2;
	}
	root = argv[2];
	signal(SIGPIPE, SIG_IGN);
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 64)) {
		perror("lbhttpd: listen");
		return 1;
	}
	printf("lbhttpd: listening on %s\n", argv[1]);
	fflush(stdout);
	for (;;) {
		struct conn *c;
		pthread_t t;
		int fd = accept(ls, NULL, NULL);

		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c = calloc(1, sizeof(*c));
		if (!c || !(c->buf = malloc(BUF_SIZE))) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		if (pthread_create(&t, NULL, conn_thread, c)) {
			close(fd);
			free(c->buf);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
}
