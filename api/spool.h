/*
 * Spooling large uploads: a request field longer than SPOOL_ABOVE goes to
 * an unnamed file (O_TMPFILE) in <state_dir>/spool instead of memory, so
 * that the front's memory does not grow with the document. The file has
 * no name: it disappears with its last descriptor, also when the front is
 * killed. Documents are read through a read-only mapping whose pages the
 * front drops again (spool_drop), and hashed with pread.
 */
#ifndef ESD_API_SPOOL_H
#define ESD_API_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

/* Values up to this size stay in memory: a file would cost more than it
 * saves (at 2 MB, writing it and answering from it took ~4 ms more CPU
 * per seal over HTTPS than a buffer), and memory per request stays
 * bounded by a constant. */
#define SPOOL_ABOVE (4u << 20)

/*
 * Creates <state_dir>/spool (mode 0700, owned by user when run as root)
 * and opens it; called by the front before it drops privileges. Then
 * checks, as the user the front runs as, that an unnamed file can be
 * made there (spool_check, after the drop). Without a spool directory
 * uploads stay in memory, as before; a warning says so.
 */
void spool_init(const char *state_dir, const char *user);
void spool_check(void);
/* The directory's descriptor (for the seccomp filter), or -1. */
int spool_dirfd(void);

/* A new unnamed file, or -1 (errno set) when spooling is off or fails. */
int spool_file(void);
/* Writes all n bytes at the file's offset / at off. 0 or ESD_EIO. */
int spool_write(int fd, const void *p, size_t n);
int spool_pwrite(int fd, const void *p, size_t n, uint64_t off);
/* Maps the file's first len bytes read-only (shared: later writes show). */
int spool_map(int fd, size_t len, const uint8_t **p);
void spool_unmap(const uint8_t *p, size_t len);
/* Drops the mapping's pages from the front's memory (they stay in the
 * file; touching them again reads them back). */
void spool_drop(const uint8_t *p, size_t len);
/* Feeds ctx bytes [0, len) of the file, read in pieces. */
int spool_digest(int fd, uint64_t len, EVP_MD_CTX *ctx);

#endif
