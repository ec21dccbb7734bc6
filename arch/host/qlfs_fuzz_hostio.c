/*
 * arch/host/qlfs_fuzz_hostio.c - the host-file half of the hostile-image
 * runner (qlfs_fuzz.h): the memory file that backs each mutant's disk,
 * and saving and loading images. Only libc here (its O_* and the core's
 * would clash in one file).
 *
 * Layer: arch/host. Used by: arch/host/qlfs_fuzz.c.
 * Provides: qfz_backing_open(), qfz_backing_fill(), qfz_save_image(),
 * qfz_load_image().
 * Locking: none (one runner at a time).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef uint8_t u8;
typedef uint64_t u64;

int qfz_backing_open(char *path, size_t size);
int qfz_backing_fill(int fd, const u8 *img, u64 size);
int qfz_backing_zero(int fd, u64 size);
u8 *qfz_host_alloc(u64 size);
void qfz_host_free(u8 *p);
int qfz_save_image(const char *path, const u8 *img, u64 size);
int qfz_load_image(const char *path, u8 **img, u64 *size);
int qfz_list_images(const char *dir, char names[][128], int max);

static u8 *map; /* the memory file, mapped shared */
static u64 map_size;

/* A memory file for the disks' backing; its /proc path into @path. */
int qfz_backing_open(char *path, size_t size)
{
	int fd = memfd_create("qlfs-fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return fd;
}

/*
 * Make the memory file hold @img: through the shared mapping, copying
 * only the blocks that differ from what it holds (a mutant differs from
 * the last run's disk in a few blocks; writing all 8 MiB each time was
 * most of the runner's system time).
 */
int qfz_backing_fill(int fd, const u8 *img, u64 size)
{
	if (size != map_size) {
		if (map)
			munmap(map, map_size);
		map = NULL;
		map_size = 0;
		if (ftruncate(fd, size))
			return -errno;
		map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			map = NULL;
			return -errno;
		}
		map_size = size;
	}
	for (u64 off = 0; off < size; off += 4096) {
		u64 n = size - off < 4096 ? size - off : 4096;

		if (memcmp(map + off, img + off, n))
			memcpy(map + off, img + off, n);
	}
	return 0;
}

static int write_all(int fd, const u8 *p, u64 n)
{
	u64 done = 0;

	while (done < n) {
		ssize_t k = pwrite(fd, p + done, n - done, done);

		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		done += k;
	}
	return 0;
}

int qfz_backing_zero(int fd, u64 size)
{
	if (map)
		munmap(map, map_size);
	map = NULL;
	map_size = 0;
	return ftruncate(fd, 0) || ftruncate(fd, size) ? -errno : 0;
}

/* Image buffers (too big for kmalloc). */
u8 *qfz_host_alloc(u64 size)
{
	return calloc(1, size);
}

void qfz_host_free(u8 *p)
{
	free(p);
}

int qfz_save_image(const char *path, const u8 *img, u64 size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int err;

	if (fd < 0)
		return -errno;
	err = write_all(fd, img, size);
	close(fd);
	return err;
}

int qfz_load_image(const char *path, u8 **img, u64 *size)
{
	struct stat st;
	u64 done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size < 4096 || st.st_size % 4096 ||
	    st.st_size > (1 << 30)) {
		close(fd);
		return -EINVAL;
	}
	*img = malloc(st.st_size);
	while (*img && done < (u64)st.st_size) {
		ssize_t k = pread(fd, *img + done, st.st_size - done, done);

		if (k <= 0)
			break;
		done += k;
	}
	close(fd);
	if (!*img || done != (u64)st.st_size) {
		free(*img);
		*img = NULL;
		return -EIO;
	}
	*size = st.st_size;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The *.img files of @dir, sorted, at most @max. Their count or -errno. */
int qfz_list_images(const char *dir, char names[][128], int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < max) {
		size_t len = strlen(e->d_name);

		if (len > 4 && len < 128 && !strcmp(e->d_name + len - 4, ".img"))
			strcpy(names[n++], e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	return n;
}
