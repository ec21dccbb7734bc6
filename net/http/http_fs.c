/*
 * net/http/http_fs.c - what a request does: the file tree under /fs
 * (GET, HEAD, PUT, DELETE, POST ?mkdir), /metrics (Prometheus text) and
 * /trace (the trace buffer as text).
 *
 * Layer: net (HTTP). Used by: httpd.c (http_handle()). Uses: the file
 * system calls (include/quire/syscalls.h) with absolute paths only (the
 * working directory is shared with the shell), the counters of mm/ and
 * the trace buffer (trace_text_*() of include/quire/trace.h).
 *
 * Invariants (HF1..HF3):
 *  HF1: only regular files and directories are served or changed: a
 *       device node (/fs/dev/vda), a symlink's target of another kind,
 *       anything else is 403 (the disks stay out of reach).
 *  HF2: a PUT answers 201/204 only after fsync() of the file returned
 *       0. A new name is written directly (O_EXCL; qlfs rolls a new
 *       file's fsync forward without a checkpoint); an existing file is
 *       replaced through a temporary in the same directory (".httpput-N")
 *       fsynced, renamed over it, fsynced again. A body that is cut,
 *       late or lies unlinks what was written (a new name only while it
 *       is still this PUT's file): an old file stays as it was.
 *  HF3: every VFS error becomes one status (http_errno_status()); no
 *       handler leaves a file descriptor open.
 *  HF4: a PUT's body reaches the file in writes of HTTP_IOBUF bytes (the
 *       last one shorter), whatever sizes TCP delivers it in.
 *
 * Locking: none of its own; the VFS's.
 */
#include <quire/kernel.h>
#include <quire/errno.h>
#include <quire/fs.h>
#include <quire/mmzone.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/syscalls.h>
#include <quire/vmstat.h>
#include <quire/backing-dev.h>
#include <quire/writeback.h>
#include <quire/qlfs_stats.h>
#include <quire/trace.h>
#include "httpd.h"

#define HTTP_TMP_PREFIX ".httpput-"

int http_errno_status(int err)
{
	switch (err) {
	case -ENOENT:
	case -ENOTDIR:
		return 404;
	case -EEXIST:
	case -ENOTEMPTY:
	case -EISDIR:
	case -EBUSY:
		return 409;
	case -ENAMETOOLONG:
		return 414;
	case -ENOSPC:
		return 507;
	case -EROFS:
	case -EPERM:
	case -EACCES:
		return 403;
	case -EINVAL:
		return 400;
	default:
		return 500;
	}
}

static void send_errno(struct http_conn *c, int err)
{
	http_send_error(c, http_errno_status(err));
}

/* The parent directory of @path ("/a/b" -> "/a", "/a" -> "/") into @dir. */
static void parent_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash - path;

	if (!n)
		n = 1;
	if (n >= size)
		n = size - 1;
	memcpy(dir, path, n);
	dir[n] = '\0';
}

/* --- GET / HEAD of a file --- */

static void send_file_range(struct http_conn *c, int fd, u64 first, u64 len)
{
	while (len && !c->head) {
		ssize_t_k n =
			ksys_pread64(fd, c->iobuf, http_min(len, HTTP_IOBUF), first);

		if (n <= 0) {
			c->close = true; /* the length was promised: cut the connection */
			return;
		}
		http_send_body(c, c->iobuf, n);
		first += n;
		len -= n;
	}
}

static void get_file(struct http_conn *c, const struct kstat *st)
{
	char etag[HTTP_ETAG_MAX + 1], fields[256];
	u64 size = st->size, first = 0, last = size ? size - 1 : 0;
	int fd, range = 0;

	http_etag(etag, st->ino, st->mtime_ns, size);
	if (c->req.if_none_match[0] && !c->req.if_none_match_long &&
	    http_etag_matches(c->req.if_none_match, etag)) {
		scnprintf(fields, sizeof(fields), "ETag: %s\r\n", etag);
		http_send_head(c, 304, NULL, 0, fields);
		return;
	}
	if (c->req.range[0])
		range = http_parse_range(c->req.range, size, &first, &last);
	if (range < 0) {
		scnprintf(fields, sizeof(fields), "Content-Range: bytes */%llu\r\n",
			  (unsigned long long)size);
		http_send_head(c, 416, "text/plain", 0, fields);
		return;
	}
	fd = ksys_open(c->fs_path, O_RDONLY, 0);
	if (fd < 0) {
		send_errno(c, fd);
		return;
	}
	if (range > 0) {
		scnprintf(
			fields, sizeof(fields),
			"ETag: %s\r\nAccept-Ranges: bytes\r\nContent-Range: bytes %llu-%llu/%llu\r\n",
			etag, (unsigned long long)first, (unsigned long long)last,
			(unsigned long long)size);
		http_send_head(c, 206, "application/octet-stream", last - first + 1,
			       fields);
		send_file_range(c, fd, first, last - first + 1);
	} else {
		scnprintf(fields, sizeof(fields), "ETag: %s\r\nAccept-Ranges: bytes\r\n",
			  etag);
		http_send_head(c, 200, "application/octet-stream", size, fields);
		send_file_range(c, fd, 0, size);
	}
	ksys_close(fd);
}

/* --- GET / HEAD of a directory: JSON --- */

/* A JSON string: the quotes and the escaped bytes of @s (a name is at
 * most NAME_MAX bytes, a path has no control bytes: HP2). */
static void send_json_string(struct http_conn *c, const char *s)
{
	char buf[6 * NAME_MAX + 8];
	size_t n;

	http_send_body(c, "\"", 1);
	while (*s) {
		char piece[NAME_MAX + 1];
		size_t len = strscpy_len(piece, s, sizeof(piece));

		len = len > NAME_MAX ? NAME_MAX : len;
		n = http_json_escape(buf, sizeof(buf), piece);
		http_send_body(c, buf, n);
		s += len;
	}
	http_send_body(c, "\"", 1);
}

static void list_dirent(struct http_conn *c, const struct linux_dirent64 *d, bool *first)
{
	char path[HTTP_PATH_MAX + NAME_MAX + 2];
	const char *type = "other";
	struct kstat st;
	u64 size = 0;

	if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
		return;
	scnprintf(path, sizeof(path), "%s%s%s", c->fs_path,
		  strcmp(c->fs_path, "/") ? "/" : "", d->d_name);
	if (!ksys_lstat(path, &st)) {
		size = st.size;
		type = S_ISREG(st.mode) ? "file" :
		       S_ISDIR(st.mode) ? "dir" :
		       S_ISLNK(st.mode) ? "symlink" :
					  "other";
	}
	http_printf(c, "%s\n  {\"name\": ", *first ? "" : ",");
	send_json_string(c, d->d_name);
	http_printf(c, ", \"type\": \"%s\", \"size\": %llu}", type,
		    (unsigned long long)size);
	*first = false;
}

static void get_dir(struct http_conn *c)
{
	int fd = ksys_open(c->fs_path, O_RDONLY | O_DIRECTORY, 0);
	bool first = true;
	ssize_t_k n;

	if (fd < 0) {
		send_errno(c, fd);
		return;
	}
	http_send_head(c, 200, "application/json", -1, NULL);
	http_printf(c, "{\"path\": ");
	send_json_string(c, c->fs_path);
	http_printf(c, ", \"entries\": [");
	while (!c->head && !c->broken &&
	       (n = ksys_getdents64(fd, c->iobuf, HTTP_IOBUF)) > 0) {
		for (ssize_t_k off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(c->iobuf + off);

			list_dirent(c, d, &first);
			off += d->d_reclen;
		}
	}
	http_printf(c, "%s]}\n", first ? "" : "\n");
	http_send_end(c);
	ksys_close(fd);
}

static void fs_get(struct http_conn *c)
{
	struct kstat st;
	int err = ksys_stat(c->fs_path, &st);

	if (err)
		send_errno(c, err);
	else if (S_ISDIR(st.mode))
		get_dir(c);
	else if (S_ISREG(st.mode))
		get_file(c, &st);
	else
		http_send_error(c, 403); /* HF1 */
}

/* --- PUT --- */

/* Copy the request body into @fd: 0, or the status to answer (0 < s),
 * or -1 when the peer is gone (nothing to answer). The buffer is filled
 * before each write: TCP hands the body over a segment (about 1.4 KiB) at
 * a time, and one ksys_write() per segment cost a 64 MiB upload some
 * 46 000 writes, each through qlfs's write_begin/write_end (HF4). */
static int put_body(struct http_conn *c, int fd)
{
	for (;;) {
		size_t fill = 0;
		ssize_t_k n = 1, w;

		while (fill < HTTP_IOBUF) {
			n = http_read_body(c, c->iobuf + fill, HTTP_IOBUF - fill);
			if (n <= 0)
				break;
			fill += n;
		}
		if (n == -ETIMEDOUT) {
			http_count(&http_stats.timeouts, 1);
			return 408;
		}
		if (n == -EBADMSG)
			return 400;
		if (n == -EFBIG)
			return 413;
		if (n < 0)
			return -1;
		if (fill) {
			http_count(&http_stats.put_writes, 1);
			w = ksys_write(fd, c->iobuf, fill);
			if (w != (ssize_t_k)fill)
				return http_errno_status(w < 0 ? w : -ENOSPC);
		}
		if (!n)
			return 0;
	}
}

/* Where a PUT writes (HF2): a new name directly (@tmp = ""), an existing
 * file through a temporary in @tmp. The fd, or -errno. */
static int put_open(struct http_conn *c, bool existed, char *tmp, size_t size)
{
	static unsigned long put_seq;
	char dir[HTTP_PATH_MAX + 1];
	int fd = -EEXIST;

	tmp[0] = '\0';
	if (!existed) {
		fd = ksys_open(c->fs_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd != -EEXIST)
			return fd; /* else another PUT just made it: replace it */
	}
	parent_of(c->fs_path, dir, sizeof(dir));
	for (int tries = 0; fd == -EEXIST && tries < 16; tries++) {
		/* A temporary left by a crash keeps its name: take the next. */
		scnprintf(tmp, size, "%s%s" HTTP_TMP_PREFIX "%lu", dir,
			  strcmp(dir, "/") ? "/" : "",
			  __atomic_add_fetch(&put_seq, 1, __ATOMIC_RELAXED));
		fd = ksys_open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	}
	return fd;
}

/*
 * The body is in @fd: fsync, rename a temporary over the target, fsync
 * again (the rename), answer. The first fsync comes before the rename, so
 * a failing one (EIO) leaves the old file in place (HF2); before, the
 * rename came first and a failed fsync had already replaced it.
 */
static int put_commit(struct http_conn *c, int fd, const char *tmp)
{
	int err = ksys_fsync(fd); /* HF2: the answer waits for the disk */

	if (!err && tmp[0]) {
		err = ksys_rename(tmp, c->fs_path, 0);
		/* The rename (qlfs: a checkpoint). Should this fail, the new
		 * file, whole on disk, keeps the name; the caller's unlink of
		 * the temporary finds nothing. */
		if (!err)
			err = ksys_fsync(fd);
	}
	if (!err)
		http_send_head(c, tmp[0] ? 204 : 201, NULL, 0, NULL);
	return err;
}

/*
 * A new name written directly and then abandoned: unlink it only while it
 * is still this PUT's file. Another PUT of the name, started meanwhile,
 * saw it existing and renamed its finished temporary over it: that file
 * is someone's acknowledged upload (before, it was unlinked).
 */
static void unlink_if_ours(const char *path, int fd)
{
	struct kstat mine, now;

	if (ksys_fstat(fd, &mine) || ksys_stat(path, &now))
		return;
	if (mine.ino == now.ino && mine.dev == now.dev)
		ksys_unlink(path);
}

static void fs_put(struct http_conn *c)
{
	char tmp[HTTP_PATH_MAX + 64];
	struct kstat st;
	bool existed;
	int fd, status;

	if (!c->req.has_length && !c->req.chunked) {
		http_send_error(c, 411);
		return;
	}
	if (c->req.has_length && c->req.content_length > HTTP_PUT_MAX) {
		http_send_error(c, 413);
		return;
	}
	existed = !ksys_stat(c->fs_path, &st);
	if (existed && !S_ISREG(st.mode)) {
		http_send_error(c, S_ISDIR(st.mode) ? 409 : 403); /* HF1 */
		return;
	}
	fd = put_open(c, existed, tmp, sizeof(tmp));
	if (fd < 0) {
		send_errno(c, fd);
		return;
	}
	if (c->req.expect_continue)
		http_send_continue(c);
	status = put_body(c, fd);
	if (!status) {
		status = put_commit(c, fd, tmp);
		if (!status) {
			ksys_close(fd);
			return;
		}
		status = http_errno_status(status);
	}
	if (tmp[0])
		ksys_unlink(tmp); /* HF2: an old file stays */
	else
		unlink_if_ours(c->fs_path, fd);
	ksys_close(fd);
	c->close = true;
	if (status < 0)
		c->broken = true; /* the peer is gone: nothing to answer */
	else
		http_send_error(c, status);
}

/* --- DELETE, POST ?mkdir --- */

static void fs_delete(struct http_conn *c)
{
	struct kstat st;
	int err = ksys_lstat(c->fs_path, &st);

	if (!err && !strcmp(c->fs_path, "/"))
		err = -EBUSY;
	else if (!err && S_ISDIR(st.mode))
		err = ksys_rmdir(c->fs_path);
	else if (!err && (S_ISREG(st.mode) || S_ISLNK(st.mode)))
		err = ksys_unlink(c->fs_path);
	else if (!err)
		err = -EPERM; /* HF1 */
	if (err)
		send_errno(c, err);
	else
		http_send_head(c, 204, NULL, 0, NULL);
}

static void fs_post(struct http_conn *c)
{
	int err;

	if (strcmp(c->req.query, "mkdir")) {
		http_send_error(c, 400);
		return;
	}
	err = ksys_mkdir(c->fs_path, 0755);
	if (err)
		send_errno(c, err);
	else
		http_send_head(c, 201, NULL, 0, NULL);
}

/* --- /metrics --- */

static int metrics_bdi(struct backing_dev_info *bdi, void *arg)
{
	struct http_conn *c = arg;
	struct bdi_writeback *wb = &bdi->wb;

	http_printf(c, "quire_writeback_dirtied_pages{bdi=\"%s\"} %lld\n", bdi->dev_name,
		    (long long)wb_stat_sum(wb, WB_DIRTIED));
	http_printf(c, "quire_writeback_written_pages{bdi=\"%s\"} %lld\n", bdi->dev_name,
		    (long long)wb_stat_sum(wb, WB_WRITTEN));
	http_printf(c, "quire_writeback_reclaimable_pages{bdi=\"%s\"} %lld\n",
		    bdi->dev_name, (long long)wb_stat_sum(wb, WB_RECLAIMABLE));
	http_printf(c, "quire_writeback_writeback_pages{bdi=\"%s\"} %lld\n",
		    bdi->dev_name, (long long)wb_stat_sum(wb, WB_WRITEBACK));
	http_printf(c, "quire_writeback_write_bandwidth_pages{bdi=\"%s\"} %lu\n",
		    bdi->dev_name, READ_ONCE(wb->write_bandwidth));
	http_printf(c, "quire_writeback_dirty_exceeded{bdi=\"%s\"} %d\n", bdi->dev_name,
		    wb->dirty_exceeded);
	return 0;
}

static void metrics_http(struct http_conn *c)
{
	struct http_stats s;

	http_stats_read(&s);
	http_printf(c, "quire_http_connections_accepted_total %llu\n", s.accepted);
	http_printf(c, "quire_http_connections_refused_total %llu\n", s.refused);
	http_printf(c, "quire_http_connections_active %llu\n", s.active);
	http_printf(c, "quire_http_requests_total %llu\n", s.requests);
	http_printf(c, "quire_http_bad_requests_total %llu\n", s.bad_requests);
	http_printf(c, "quire_http_timeouts_total %llu\n", s.timeouts);
	http_printf(c, "quire_http_send_failures_total %llu\n", s.send_failures);
	http_printf(c, "quire_http_put_writes_total %llu\n", s.put_writes);
	http_printf(c, "quire_http_send_slow_total %llu\n", s.send_slow);
	http_printf(c, "quire_http_lingering_closes_total %llu\n", s.lingering);
	http_printf(c, "quire_http_lingering_bytes_total %llu\n", s.linger_bytes);
	http_printf(c, "quire_http_refused_lingering_total %llu\n", s.refused_lingering);
	for (int i = 1; i <= 5; i++)
		http_printf(c, "quire_http_responses_total{class=\"%dxx\"} %llu\n", i,
			    s.status[i]);
	http_printf(c, "quire_http_received_bytes_total %llu\n", s.bytes_in);
	http_printf(c, "quire_http_sent_bytes_total %llu\n", s.bytes_out);
}

static void metrics_fs(struct http_conn *c)
{
	struct kstatfs sf;

	if (ksys_statfs("/", &sf))
		return;
	http_printf(c, "quire_fs_blocks{mount=\"/\"} %llu\n",
		    (unsigned long long)sf.f_blocks);
	http_printf(c, "quire_fs_blocks_free{mount=\"/\"} %llu\n",
		    (unsigned long long)sf.f_bfree);
	http_printf(c, "quire_fs_block_bytes{mount=\"/\"} %llu\n",
		    (unsigned long long)sf.f_bsize);
	http_printf(c, "quire_fs_files{mount=\"/\"} %llu\n",
		    (unsigned long long)sf.f_files);
	http_printf(c, "quire_fs_files_free{mount=\"/\"} %llu\n",
		    (unsigned long long)sf.f_ffree);
}

static void metrics_qlfs(const char *disk, const char *name, unsigned long long v,
			 void *arg)
{
	http_printf(arg, "quire_qlfs_%s{disk=\"%s\"} %llu\n", name, disk, v);
}

static void get_metrics(struct http_conn *c)
{
	unsigned long bg, thresh;

	http_send_head(c, 200, "text/plain; version=0.0.4", -1, NULL);
	if (c->head)
		return;
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		http_printf(c, "quire_vmstat_%s %lu\n", node_stat_name(i),
			    global_node_page_state(i));
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		http_printf(c, "quire_vmstat_%s %lu\n", vm_event_name(i),
			    vm_event_count(i));
	for (unsigned int nid = 0; nid < num_online_nodes(); nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);

		for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
			http_printf(c, "quire_node_%s{node=\"%u\"} %lu\n",
				    node_stat_name(i), nid, node_page_state(pgdat, i));
		http_printf(c, "quire_node_nr_writeback_throttled{node=\"%u\"} %d\n", nid,
			    atomic_read(&pgdat->nr_writeback_throttled));
		http_printf(c, "quire_node_kswapd_failures{node=\"%u\"} %d\n", nid,
			    READ_ONCE(pgdat->kswapd_failures));
	}
	global_dirty_limits(&bg, &thresh);
	http_printf(c, "quire_dirty_background_threshold_pages %lu\n", bg);
	http_printf(c, "quire_dirty_threshold_pages %lu\n", thresh);
	bdi_iterate(metrics_bdi, c);
	metrics_fs(c);
	qlfs_for_each_counter(metrics_qlfs, c);
	metrics_http(c);
	http_send_end(c);
}

/* --- /trace --- */

static void get_trace(struct http_conn *c)
{
	struct trace_text *tt = trace_text_open();
	size_t n;

	if (!tt) {
		http_send_error(c, 500);
		return;
	}
	http_send_head(c, 200, "text/plain", -1, NULL);
	/* iobuf (HTTP_IOBUF) holds any line (TRACE_LINE_MAX). */
	while (!c->head && !c->broken && (n = trace_text_read(tt, c->iobuf, HTTP_IOBUF)))
		http_send_body(c, c->iobuf, n);
	trace_text_close(tt);
	http_send_end(c);
}

/* --- dispatch --- */

static bool is_read(const struct http_conn *c)
{
	return c->req.method == HTTP_GET || c->req.method == HTTP_HEAD;
}

void http_handle(struct http_conn *c)
{
	enum http_route r = http_route(c->req.path, c->fs_path);

	if (c->req.method != HTTP_PUT && (c->req.chunked || c->req.content_length)) {
		http_send_error(c, 413); /* only PUT takes a body */
		return;
	}
	switch (r) {
	case HTTP_ROUTE_FS:
		if (is_read(c))
			fs_get(c);
		else if (c->req.method == HTTP_PUT)
			fs_put(c);
		else if (c->req.method == HTTP_DELETE)
			fs_delete(c);
		else
			fs_post(c);
		return;
	case HTTP_ROUTE_METRICS:
	case HTTP_ROUTE_TRACE:
		if (!is_read(c))
			http_send_head(c, 405, "text/plain", 0, "Allow: GET, HEAD\r\n");
		else if (r == HTTP_ROUTE_METRICS)
			get_metrics(c);
		else
			get_trace(c);
		return;
	case HTTP_ROUTE_NONE:
		http_send_error(c, 404);
		return;
	}
}
