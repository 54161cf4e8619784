/*
 * Operations commands (docs/operations.md): esignctl backup, restore and
 * diag.
 *
 *   backup --out FILE          a consistent, compacted copy of the LMDB
 *                              state, taken while esignd runs
 *   restore --from FILE --dir DIR
 *                              a new state directory from a backup; the
 *                              audit chain is checked before it is kept
 *   diag --out FILE.tar.gz [--log FILE]
 *                              what support needs, without a secret
 *   store migrate [--to WHERE] brings a PostgreSQL store (the
 *                              configuration's, or WHERE) to this
 *                              esignd's schema
 *   store copy --from WHERE --to WHERE
 *                              an instance's state into a new store
 *                              (LMDB to PostgreSQL), the audit chain
 *                              checked on the copy
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/config.h"
#include "store/store.h"

extern char **environ;

static int load_conf(const char *conf, struct esd_config *cfg)
{
	char err[512];

	if (conf == NULL)
		conf = getenv("ESIGND_CONF");
	if (conf == NULL)
		conf = "/etc/esignd/esignd.conf";
	if (config_load(conf, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "esignctl: %s\n", err);
		return EXIT_USAGE;
	}
	return 0;
}

int cli_backup(const char *conf, const char *out)
{
	struct esd_config *cfg = calloc(1, sizeof(*cfg));
	char tmp[PATH_MAX];
	int fd, rc;

	if (out == NULL) {
		fprintf(stderr, "esignctl: backup needs --out FILE\n");
		free(cfg);
		return EXIT_USAGE;
	}
	if (cfg == NULL || (rc = load_conf(conf, cfg)) != 0) {
		free(cfg);
		return cfg ? EXIT_USAGE : EXIT_LOCAL;
	}
	/* Written beside the target and renamed: no half backup. */
	snprintf(tmp, sizeof(tmp), "%s.partial", out);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "esignctl: cannot write %s: %s\n", tmp,
			strerror(errno));
		free(cfg);
		return EXIT_LOCAL;
	}
	if (store_is_pg(config_store(cfg))) {
		fprintf(stderr, "esignctl: the state is in PostgreSQL: back it "
			"up with pg_dump (docs/cluster.md)\n");
		close(fd);
		unlink(tmp);
		free(cfg);
		return EXIT_USAGE;
	}
	rc = store_backup(cfg->state_dir, fd);
	if (rc == 0 && fsync(fd) != 0)
		rc = ESD_EIO;
	if (close(fd) != 0 && rc == 0)
		rc = ESD_EIO;
	if (rc == 0 && rename(tmp, out) != 0)
		rc = ESD_EIO;
	if (rc != 0) {
		unlink(tmp);
		fprintf(stderr, "esignctl: backup of %s failed: %s\n",
			cfg->state_dir, esd_err_msg(rc));
		free(cfg);
		return EXIT_LOCAL;
	}
	printf("backup of %s written to %s\n", cfg->state_dir, out);
	free(cfg);
	return EXIT_OK;
}

/* Copies from to a new file to, durably (the backup may be large: in
 * blocks, not in memory). */
static int copy_file(const char *from, const char *to)
{
	char buf[1 << 16];
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
	ssize_t n;

	if (in < 0)
		return ESD_EIO;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		rc = ESD_EIO;
	while (rc == 0 && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		for (ssize_t off = 0; rc == 0 && n > 0 && off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w <= 0)
				rc = ESD_EIO;
			else
				off += w;
		}
		if (n < 0)
			rc = ESD_EIO;
	}
	if (rc == 0 && fsync(out) != 0)
		rc = ESD_EIO;
	if (out >= 0 && close(out) != 0)
		rc = ESD_EIO;
	close(in);
	return rc;
}

int cli_restore(const char *from, const char *dir)
{
	char path[PATH_MAX];
	struct store *s = NULL;
	struct store_txn *t = NULL;
	uint64_t count = 0, bad = 0, mark = 0;
	int rc;

	if (from == NULL || dir == NULL) {
		fprintf(stderr, "esignctl: restore needs --from FILE --dir DIR\n");
		return EXIT_USAGE;
	}
	if (mkdir(dir, 0700) != 0) {
		fprintf(stderr, "esignctl: %s: %s (restore makes a new state "
			"directory; move the old one away first)\n", dir,
			strerror(errno));
		return EXIT_LOCAL;
	}
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	rc = copy_file(from, path);
	/* Only a backup whose audit chain holds is kept. A damaged file
	 * can fault LMDB's reader (a map past the end of a truncated file
	 * is SIGBUS), so the check runs in a child. */
	if (rc == 0) {
		pid_t pid = fork();
		int st = 0;

		if (pid == 0) {
			rc = store_open(dir, 1ull << 30, 0, &s);
			if (rc == 0)
				rc = store_txn_begin(s, 0, &t);
			if (rc == 0)
				rc = store_audit_verify(t, NULL, 0, &count, &bad, &mark);
			if (rc == 0)
				printf("%llu\n", (unsigned long long)count);
			fflush(stdout);
			_exit(rc == 0 ? 0 : bad ? 2 : 1);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0) {
			rc = ESD_ESTORE;
			bad = WIFEXITED(st) && WEXITSTATUS(st) == 2;
		}
	}
	if (rc != 0) {
		fprintf(stderr, "esignctl: %s is not a usable backup (%s%s); "
			"nothing restored\n", from, esd_err_msg(rc),
			bad ? ": the audit chain breaks" : "");
		cli_rm_tree(dir);
		return EXIT_LOCAL;
	}
	printf("restored %s into %s: the audit chain is intact\n"
	       "point state_dir at it and start esignd; `esignctl audit "
	       "verify` then checks the signed checkpoints\n", from, dir);
	return EXIT_OK;
}

/* One file of the bundle: what the daemon answers on path (JSON). */
static void fetch(const char *sock, const char *dir, const char *name,
		  const char *path)
{
	char file[PATH_MAX], *text;
	json_t *j = NULL;
	long status = 0;

	snprintf(file, sizeof(file), "%s/%s", dir, name);
	if (cli_http(sock, "GET", path, NULL, &status, &j) != 0 || j == NULL) {
		text = strdup("{\"error\":\"no answer\"}");
	} else {
		json_object_set_new(j, "http_status", json_integer(status));
		text = json_dumps(j, JSON_INDENT(2));
	}
	if (text != NULL)
		esd_write_file(file, text, strlen(text), 0600, 0);
	free(text);
	json_decref(j);
}

/* The configuration with the values of secret-looking keys hidden
 * (the file holds paths, not secrets, but support needs neither). */
static void redacted_conf(const char *conf, const char *dir)
{
	char *text = NULL, *out, *o, file[PATH_MAX];
	size_t len;

	if (esd_read_file(conf, 1 << 20, &text, &len) != 0)
		return;
	out = malloc(len * 2 + 64);
	o = out;
	for (char *line = text, *nl; out != NULL && line != NULL && *line;
	     line = nl ? nl + 1 : NULL) {
		char *eq;
		size_t ll;

		nl = strchr(line, '\n');
		ll = nl ? (size_t)(nl - line) : strlen(line);
		eq = memchr(line, '=', ll);
		if (eq != NULL && line[0] != '#' &&
		    (memmem(line, (size_t)(eq - line), "pin", 3) ||
		     memmem(line, (size_t)(eq - line), "password", 8) ||
		     memmem(line, (size_t)(eq - line), "secret", 6) ||
		     memmem(line, (size_t)(eq - line), "token", 5))) {
			o += sprintf(o, "%.*s= <redacted>\n", (int)(eq - line), line);
		} else {
			memcpy(o, line, ll);
			o += ll;
			*o++ = '\n';
		}
	}
	snprintf(file, sizeof(file), "%s/esignd.conf", dir);
	if (out != NULL)
		esd_write_file(file, out, (size_t)(o - out), 0600, 0);
	free(out);
	free(text);
}

int cli_diag(const char *conf, const char *sock, const char *out,
	     const char *log)
{
	char dir[] = "/tmp/esignd-diag.XXXXXX", file[PATH_MAX], cfile[PATH_MAX];
	char *argv[] = { "tar", "-czf", NULL, "-C", dir, ".", NULL };
	char info[512];
	pid_t pid;
	int st, rc;

	if (out == NULL) {
		fprintf(stderr, "esignctl: diag needs --out FILE.tar.gz\n");
		return EXIT_USAGE;
	}
	if (mkdtemp(dir) == NULL)
		return EXIT_LOCAL;
	if (conf == NULL)
		conf = getenv("ESIGND_CONF") ?: "/etc/esignd/esignd.conf";
	if (realpath(conf, cfile) != NULL)
		redacted_conf(cfile, dir);
	snprintf(info, sizeof(info), "esignctl %s\n%s\n", ESD_VERSION,
		 OpenSSL_version(OPENSSL_VERSION));
	snprintf(file, sizeof(file), "%s/versions.txt", dir);
	esd_write_file(file, info, strlen(info), 0600, 0);
	fetch(sock, dir, "health.json", "/v1/health");
	fetch(sock, dir, "status.json", "/v1/status");
	fetch(sock, dir, "keys.json", "/v1/keys");
	fetch(sock, dir, "certificates.json", "/v1/certs");
	fetch(sock, dir, "audit-verify.json", "/v1/audit/verify");
	if (log != NULL) {
		char *text = NULL;
		size_t len;

		/* The last 256 KiB of the log. */
		if (esd_read_file(log, 64u << 20, &text, &len) == 0) {
			size_t keep = len > (256u << 10) ? (256u << 10) : len;

			snprintf(file, sizeof(file), "%s/esignd.log", dir);
			esd_write_file(file, text + len - keep, keep, 0600, 0);
		}
		free(text);
	}
	argv[2] = (char *)out;
	rc = posix_spawnp(&pid, "tar", NULL, NULL, argv, environ);
	if (rc == 0 && (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
			WEXITSTATUS(st) != 0))
		rc = -1;
	cli_rm_tree(dir);
	if (rc != 0) {
		fprintf(stderr, "esignctl: cannot write %s\n", out);
		return EXIT_LOCAL;
	}
	printf("diagnostics written to %s\n", out);
	return EXIT_OK;
}

int cli_store_migrate(const char *conf, const char *where)
{
	struct esd_config *cfg = NULL;
	int from = 0, to = 0, rc;

	if (where == NULL) {
		cfg = calloc(1, sizeof(*cfg));
		if (cfg == NULL)
			return EXIT_LOCAL;
		rc = load_conf(conf, cfg);
		if (rc != 0) {
			free(cfg);
			return rc;
		}
		where = config_store(cfg);
	}
	if (!store_is_pg(where)) {
		printf("the store is LMDB: nothing to migrate\n");
		free(cfg);
		return EXIT_OK;
	}
	log_init("esignctl", LOG_LVL_INFO);
	rc = store_migrate(where, &from, &to);
	free(cfg);
	if (rc != 0) {
		fprintf(stderr, "esignctl: store migrate failed (%s)\n",
			esd_err_msg(rc));
		return EXIT_LOCAL;
	}
	if (from == to)
		printf("the PostgreSQL schema is at version %d: nothing to do\n",
		       to);
	else
		printf("migrated the PostgreSQL schema from version %d to %d\n",
		       from, to);
	return EXIT_OK;
}

int cli_store_copy(const char *from, const char *to)
{
	struct store *src = NULL, *dst = NULL;
	uint64_t counts[DB__COUNT], records = 0, total = 0;
	int v0, v1, rc;

	if (from == NULL || to == NULL) {
		fprintf(stderr, "esignctl: store copy needs --from WHERE --to "
			"WHERE (lmdb:PATH or postgresql://...)\n");
		return EXIT_USAGE;
	}
	log_init("esignctl", LOG_LVL_INFO);
	rc = store_open(from, 1ull << 30, 0, &src);
	if (rc != 0) {
		fprintf(stderr, "esignctl: cannot open the source store (%s)\n",
			esd_err_msg(rc));
		return EXIT_LOCAL;
	}
	/* A new PostgreSQL database gets its schema first. */
	rc = store_migrate(to, &v0, &v1);
	if (rc == 0)
		rc = store_open(to, 1ull << 30, 1, &dst);
	if (rc == 0)
		rc = store_copy(src, dst, counts, &records);
	store_close(dst);
	store_close(src);
	if (rc != 0) {
		fprintf(stderr, "esignctl: store copy failed (%s): nothing "
			"copied\n", esd_err_msg(rc));
		return EXIT_LOCAL;
	}
	for (int db = 0; db < DB__COUNT; db++)
		total += counts[db];
	printf("copied %llu records (%llu audit records, the chain intact); "
	       "point the configuration's store at the copy\n",
	       (unsigned long long)total, (unsigned long long)records);
	return EXIT_OK;
}
