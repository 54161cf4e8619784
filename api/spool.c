#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/spool.h"
#include "common/err.h"
#include "common/log.h"

static int dirfd_ = -1;

void spool_init(const char *state_dir, const char *user)
{
	char path[PATH_MAX];
	struct passwd *pw;

	if (snprintf(path, sizeof(path), "%s/spool", state_dir) >=
	    (int)sizeof(path))
		return;
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		log_warn("front: cannot create %s (%s): uploads stay in memory",
			 path, strerror(errno));
		return;
	}
	/* The front creates its files there after dropping to user. */
	if (geteuid() == 0 && (pw = getpwnam(user)) != NULL &&
	    chown(path, pw->pw_uid, pw->pw_gid) != 0)
		log_warn("front: cannot give %s to %s: %s", path, user,
			 strerror(errno));
	dirfd_ = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd_ < 0)
		log_warn("front: cannot open %s (%s): uploads stay in memory",
			 path, strerror(errno));
}

void spool_check(void)
{
	int fd = spool_file();

	if (fd >= 0) {
		close(fd);
		return;
	}
	if (dirfd_ >= 0) {
		log_warn("front: cannot create unnamed files in the spool "
			 "directory (%s): uploads stay in memory",
			 strerror(errno));
		close(dirfd_);
		dirfd_ = -1;
	}
}

int spool_dirfd(void)
{
	return dirfd_;
}

int spool_file(void)
{
	if (dirfd_ < 0) {
		errno = ENOENT;
		return -1;
	}
	return openat(dirfd_, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

int spool_write(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;

	while (n > 0) {
		ssize_t w = write(fd, q, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return ESD_EIO;
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

int spool_pwrite(int fd, const void *p, size_t n, uint64_t off)
{
	const uint8_t *q = p;

	while (n > 0) {
		ssize_t w = pwrite(fd, q, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return ESD_EIO;
		q += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int spool_map(int fd, size_t len, const uint8_t **p)
{
	void *m;

	*p = NULL;
	if (len == 0)
		return ESD_EINVAL;
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return ESD_ENOMEM;
	*p = m;
	return 0;
}

void spool_unmap(const uint8_t *p, size_t len)
{
	if (p != NULL)
		munmap((void *)p, len);
}

void spool_drop(const uint8_t *p, size_t len)
{
	if (p != NULL)
		madvise((void *)p, len, MADV_DONTNEED);
}

int spool_digest(int fd, uint64_t len, EVP_MD_CTX *ctx)
{
	uint8_t buf[1u << 16];
	uint64_t off = 0;

	while (off < len) {
		size_t want = len - off < sizeof(buf) ? (size_t)(len - off)
						      : sizeof(buf);
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ESD_EIO;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			return ESD_ECRYPTO;
		off += (uint64_t)n;
	}
	return 0;
}
