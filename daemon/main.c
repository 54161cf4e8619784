/*
 * esignd -c CONF [-f] [-t]
 *
 *   -c CONF  configuration file (docs/config.md)
 *   -f       stay in the foreground (systemd Type=notify, tests)
 *   -t       check the configuration and exit
 *
 * Without -f, esignd returns once the daemon serves (exit 0) or could not
 * start (exit 1), so scripts can rely on its exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/config.h"
#include "daemon/master.h"

static void usage(void)
{
	fprintf(stderr, "usage: esignd -c CONF [-f] [-t]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	struct esd_config cfg;
	const char *conf = NULL;
	int fg = 0, test = 0, opt, pfd[2];
	char err[1024], abs_conf[PATH_MAX], c;
	pid_t pid;

	while ((opt = getopt(argc, argv, "c:ftVh")) != -1) {
		switch (opt) {
		case 'c':
			conf = optarg;
			break;
		case 'f':
			fg = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'V':
			printf("esignd %s\n", ESD_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (conf == NULL || optind != argc)
		usage();
	/* Reloads read the file again after the daemon changed to "/". */
	if (realpath(conf, abs_conf) == NULL) {
		fprintf(stderr, "esignd: %s: %s\n", conf, strerror(errno));
		return 78;
	}
	conf = abs_conf;
	if (config_load(conf, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "esignd: %s\n", err);
		return 78; /* EX_CONFIG */
	}
	if (test) {
		printf("esignd: %s: configuration ok\n", conf);
		return 0;
	}
	log_init("master", cfg.log_level);
	log_set_format(strcmp(cfg.log_format, "json") == 0);
	if (fg)
		return master_run(&cfg, -1);

	if (pipe(pfd) != 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid > 0) {
		close(pfd[1]);
		/* The daemon writes one byte when it serves; EOF = failed. */
		return read(pfd[0], &c, 1) == 1 ? 0 : 1;
	}
	close(pfd[0]);
	if (setsid() < 0)
		_exit(1);
	/* A daemon keeps stderr (its log) but lets go of the caller's
	 * stdin and stdout, so a pipe the caller reads ends. */
	{
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0)
			_exit(1);
		if (nul > 1)
			close(nul);
	}
	if (chdir("/") != 0)
		_exit(1);
	_exit(master_run(&cfg, pfd[1]));
}
