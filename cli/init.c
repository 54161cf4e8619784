/*
 * esignctl init --dir DIR: a self-contained instance.
 *
 *   DIR/softhsm2.conf, DIR/tokens/   the SoftHSM2 token (its own config)
 *   DIR/pin, DIR/so-pin              token PINs (0600, never printed
 *                                    unless --show-pins)
 *   DIR/state/                       LMDB environment
 *   DIR/ca.pem                       the demo root CA: what clients trust
 *   DIR/issuing-ca.pem               the issuing CA below it
 *   DIR/tls/server.{crt,key}         HTTPS certificate (chain) and key
 *   DIR/admin.token                  the admin API bearer token (0600)
 *   DIR/esignd.conf                  the daemon's configuration, unless
 *                                    the system's (-c, $ESIGND_CONF,
 *                                    /etc/esignd/esignd.conf) already
 *                                    names DIR/state: then that one is
 *                                    the instance's only configuration
 *
 * Certificates point relying parties (CRL, OCSP, caIssuers) at the plain
 * HTTP distribution point, http://127.0.0.1:<http port>: a demo that
 * works on this machine; a deployment sets pki_base_url to its public
 * name (docs/operations.md).
 *
 * Keys (demo root CA, issuing CA, demo seal, demo individual, TSA, OCSP
 * responder, audit checkpoints) are generated inside the token; their certificates are
 * signed through the token and stored in the token and in LMDB. Anything
 * that fails removes DIR again.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/config.h"
#include "hsm/hsm.h"
#include "pki/pki.h"
#include "store/store.h"

#define TOKEN_LABEL "esignd"

struct demo_key {
	const char *label;
	enum hsm_keytype type;
	enum pki_profile profile;
	const char *subject;
	unsigned days;
	const char *purpose;
};

/* Issued in order: the root signs itself and the issuing CA, the issuing
 * CA signs the rest. */
static const struct demo_key demo_keys[] = {
	{ "root-ca", HSM_KEY_RSA3072, PKI_PROFILE_ROOT_CA,
	  "/C=ID/O=esignd demo/CN=esignd Demo Root CA", 7300, "root-ca" },
	{ "issuing-ca", HSM_KEY_RSA3072, PKI_PROFILE_ISSUING_CA,
	  "/C=ID/O=esignd demo/CN=esignd Demo Issuing CA", 3650, "issuing-ca" },
	{ "demo-seal", HSM_KEY_RSA2048, PKI_PROFILE_SEAL,
	  "/C=ID/O=Demo Agency/organizationIdentifier=NTRID-DEMO-0001"
	  "/CN=Demo Agency Seal", 730, "seal" },
	{ "demo-individual", HSM_KEY_RSA2048, PKI_PROFILE_INDIVIDUAL,
	  "/C=ID/O=Demo Agency/GN=Demo/SN=Signer/serialNumber=DEMO-0001"
	  "/CN=Demo Signer", 730, "individual" },
	{ "tsa", HSM_KEY_RSA2048, PKI_PROFILE_TSA,
	  "/C=ID/O=esignd demo/CN=esignd Demo Time Stamping Authority", 1825,
	  "tsa" },
	{ "ocsp", HSM_KEY_RSA2048, PKI_PROFILE_OCSP,
	  "/C=ID/O=esignd demo/CN=esignd Demo OCSP Responder", 365, "ocsp" },
	{ "audit", HSM_KEY_RSA2048, PKI_PROFILE_AUDIT,
	  "/C=ID/O=esignd demo/CN=esignd Audit Log", 3650, "audit" },
};

/* The demo CPS (docs/ra.md "Certificate profiles"): a non-qualified
 * issuer, ETSI EN 319 411-1 NCP (0.4.0.2042.1.1) under the CA's own
 * policy OIDs (2.999: the example arc; replace with the agency's). The
 * same values go into esignd.conf for what the RA issues. */
#define DEMO_POLICY_INDIVIDUAL "2.999.1.1,0.4.0.2042.1.1"
#define DEMO_POLICY_SEAL "2.999.1.2,0.4.0.2042.1.1"
#define DEMO_CPS_URL "http://pki.example.go.id/cps"
#define DEMO_PDS_URL "http://pki.example.go.id/pds-en.pdf"
#define DEMO_EKU "emailProtection,documentSigning"

static int path_join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? ESD_ETOOBIG : 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void cli_rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int random_pin(char *out, size_t bytes)
{
	uint8_t r[32];
	int rc = esd_random(r, bytes);

	if (rc == 0)
		esd_hex(r, bytes, out);
	OPENSSL_cleanse(r, sizeof(r));
	return rc;
}

static int write_secret(const char *dir, const char *name, const char *value)
{
	char path[PATH_MAX], line[160];
	int n = snprintf(line, sizeof(line), "%s\n", value);
	int rc;

	if (path_join(path, sizeof(path), dir, name) != 0)
		return ESD_ETOOBIG;
	rc = esd_write_file(path, line, (size_t)n, 0600, 1);
	OPENSSL_cleanse(line, sizeof(line));
	return rc;
}

static int write_pem_pair(const char *path, X509 *a, X509 *b)
{
	char *pa = NULL, *pb = NULL, *both = NULL;
	int rc = pki_cert_pem(a, &pa);

	if (rc == 0 && b != NULL)
		rc = pki_cert_pem(b, &pb);
	if (rc == 0) {
		size_t la = strlen(pa), lb = pb ? strlen(pb) : 0;

		both = malloc(la + lb + 1);
		if (both == NULL) {
			rc = ESD_ENOMEM;
		} else {
			memcpy(both, pa, la);
			if (lb)
				memcpy(both + la, pb, lb);
			both[la + lb] = '\0';
			rc = esd_write_file(path, both, la + lb, 0644, 1);
		}
	}
	free(pa);
	free(pb);
	free(both);
	return rc;
}

/* Records the key, its certificate (with the issuers above it, nearest
 * first) and the audit entry in LMDB. */
static int record_key(struct store_txn *t, const struct demo_key *k, X509 *cert,
		      const char *issuer, X509 *const *issuers, size_t nissuers)
{
	char serial[64], *pem = NULL, *ipem = NULL;
	json_t *rec = NULL, *crec = NULL, *chain = json_array();
	int rc = chain ? pki_cert_pem(cert, &pem) : ESD_ENOMEM;

	for (size_t i = 0; rc == 0 && i < nissuers; i++) {
		rc = pki_cert_pem(issuers[i], &ipem);
		if (rc == 0 && json_array_append_new(chain, json_string(ipem)) != 0)
			rc = ESD_ENOMEM;
		free(ipem);
		ipem = NULL;
	}

	if (rc == 0)
		rc = pki_cert_serial_hex(cert, serial, sizeof(serial));
	if (rc != 0)
		goto out;
	rec = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:O}", "label", k->label,
			"type", hsm_keytype_name(k->type), "created",
			(json_int_t)esd_now(), "purpose", k->purpose, "cert", pem,
			"serial", serial, "chain", chain);
	crec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "serial", serial,
			 "subject", k->subject, "key", k->label, "status", "valid",
			 "pem", pem, "issuer", issuer,
			 "not_after", (json_int_t)esd_now() + (json_int_t)k->days * 86400);
	rc = rec && crec ? store_put_json(t, DB_KEYS, k->label, rec, 1)
			 : ESD_ENOMEM;
	if (rc == 0)
		rc = store_put_json(t, DB_CERTS, serial, crec, 1);
	if (rc == 0)
		rc = store_audit(t, "esignctl:init", "cert.issue", serial, 0,
				 rec);
out:
	json_decref(chain);
	json_decref(rec);
	json_decref(crec);
	free(pem);
	return rc;
}

/* Issues the TLS certificate for localhost from the issuing CA. */
static int make_tls(const char *dir, struct hsm *h, X509 *issuing)
{
	static const char *const dns[] = { "localhost", NULL };
	static const char *const ips[] = { "127.0.0.1", "::1", NULL };
	char path[PATH_MAX];
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *ca_key = NULL;
	X509 *cert = NULL;
	BIO *b = NULL;
	char *kp;
	long klen;
	int rc = ESD_ECRYPTO;
	struct pki_cert_req req = {
		.profile = PKI_PROFILE_TLS_SERVER,
		.subject = "/C=ID/O=esignd demo/CN=localhost",
		.pubkey = key, .issuer = issuing, .days = 825,
		.dns = dns, .ips = ips,
	};

	if (key == NULL)
		goto out;
	rc = hsm_privkey(h, "issuing-ca", &ca_key);
	if (rc != 0)
		goto out;
	req.issuer_key = ca_key;
	rc = pki_cert_issue(&req, &cert);
	if (rc != 0)
		goto out;
	path_join(path, sizeof(path), dir, "tls");
	if (mkdir(path, 0700) != 0) {
		rc = ESD_EIO;
		goto out;
	}
	path_join(path, sizeof(path), dir, "tls/server.crt");
	rc = write_pem_pair(path, cert, issuing);
	if (rc != 0)
		goto out;
	rc = ESD_ECRYPTO;
	b = BIO_new(BIO_s_mem());
	if (b == NULL || !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL))
		goto out;
	klen = BIO_get_mem_data(b, &kp);
	path_join(path, sizeof(path), dir, "tls/server.key");
	rc = esd_write_file(path, kp, (size_t)klen, 0600, 1);
out:
	BIO_free_all(b);
	X509_free(cert);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
	return rc;
}

static const char conf_template[] =
	"# esignd configuration, written by `esignctl init`.\n"
	"# Every key is described in docs/config.md. Relative paths are\n"
	"# relative to this file's directory. `esignd -t -c FILE` checks it.\n"
	"\n"
	"# The PKCS#11 module and the token that holds the keys.\n"
	"pkcs11_module = %s\n"
	"token_label = " TOKEN_LABEL "\n"
	"pin_file = pin\n"
	"softhsm_conf = softhsm2.conf\n"
	"\n"
	"# LMDB environment (state and audit log).\n"
	"state_dir = state\n"
	"\n"
	"# Listeners: HTTPS for API clients, a Unix socket for esignctl.\n"
	"https_listen = 127.0.0.1:%u\n"
	"# The public distribution point (plain HTTP: CRLs, CA certificates,\n"
	"# OCSP) and the base URL written into every certificate. Publish it\n"
	"# under a DNS name before issuing real certificates (operations.md).\n"
	"public_listen = 127.0.0.1:%u\n"
	"pki_base_url = http://127.0.0.1:%u\n"
	"# The console's address in activation emails (default: HTTPS above).\n"
	"# console_url = https://esign.agency.go.id\n"
	"tls_cert = tls/server.crt\n"
	"tls_key = tls/server.key\n"
	"unix_socket = esignd.sock\n"
	"\n"
	"# CA certificates that signatures are verified against.\n"
	"trust_anchors = ca.pem\n"

	"\n"
	"# Unix socket peers (uid or user name) that are administrators.\n"
	"admin_uids = %u\n"
	"\n"
	"# The front drops to this user when esignd starts as root.\n"
	"user = nobody\n"
	"\n"
	"# Limits.\n"
	"max_body = 67108864\n"
	"max_connections = 1024\n"
	"request_timeout = 60\n"
	"drain_timeout = 30\n"
	"\n"
	"log_level = info\n"
	"\n"
	"# Registration authority (docs/ra.md): emails go into this maildir;\n"
	"# set smtp_url (and smtp_user, smtp_password_file) for real mail.\n"
	"mail_from = esignd@localhost\n"
	"mail_maildir = mail\n"
	"# mail_from = esign@agency.go.id\n"
	"# smtp_url = smtp://mail.agency.go.id:587\n"
	"\n"
	"# Certificate profiles of the CPS (docs/ra.md): ETSI EN 319 412-2\n"
	"# (individuals) and -3 (seals) for a non-qualified issuer. Subject\n"
	"# templates take the registration's {name} {given} {surname} {org}\n"
	"# {org_id} {unit} {nik} {email} {id}. Replace the example policy\n"
	"# OIDs and URLs with the agency's own.\n"
	"profile.individual.key_type = rsa2048\n"
	"profile.individual.days = 730\n"
	"profile.individual.subject = /C=ID/O={org}/OU={unit}/GN={given}/SN={surname}/serialNumber={id}/CN={name}\n"
	"profile.individual.policies = " DEMO_POLICY_INDIVIDUAL "\n"
	"profile.individual.cps_url = " DEMO_CPS_URL "\n"
	"profile.individual.key_usage = digitalSignature,nonRepudiation\n"
	"profile.individual.eku = " DEMO_EKU "\n"
	"profile.individual.qc_statements = yes\n"
	"profile.individual.qualified = no\n"
	"profile.individual.pds_url = " DEMO_PDS_URL "\n"
	"profile.seal.key_type = rsa2048\n"
	"profile.seal.days = 730\n"
	"profile.seal.subject = /C=ID/O={org}/organizationIdentifier={org_id}/CN={name}\n"
	"profile.seal.policies = " DEMO_POLICY_SEAL "\n"
	"profile.seal.cps_url = " DEMO_CPS_URL "\n"
	"profile.seal.key_usage = digitalSignature,nonRepudiation\n"
	"profile.seal.eku = " DEMO_EKU "\n"
	"profile.seal.qc_statements = yes\n"
	"profile.seal.qualified = no\n"
	"profile.seal.pds_url = " DEMO_PDS_URL "\n"
	"\n"
	"# SLA targets in working days (Monday to Friday, WIB) and holidays.\n"
	"sla_individual_days = 3\n"
	"sla_seal_days = 4\n"
	"# sla_holidays = holidays.txt\n";

static int write_conf(const char *dir, const struct init_opts *o)
{
	char path[PATH_MAX], text[6144];
	int n = snprintf(text, sizeof(text), conf_template, o->module,
			 o->https_port, o->http_port, o->http_port,
			 (unsigned)getuid());

	if (n >= 0 && (size_t)n < sizeof(text) && o->store != NULL)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "\n# The state and the audit log in PostgreSQL, shared by\n"
			      "# the nodes of a cluster (docs/cluster.md); state_dir\n"
			      "# keeps this node's spool.\nstore = %s\n", o->store);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    path_join(path, sizeof(path), dir, "esignd.conf") != 0)
		return ESD_ETOOBIG;
	return esd_write_file(path, text, (size_t)n, 0644, 1);
}

/* ESD_EEXIST (said on stderr) unless st holds no key and no audit
 * record: init never writes over an instance. */
static int store_empty(struct store *st)
{
	struct store_txn *t;
	uint64_t keys = 0, audit = 0;
	int rc = store_txn_begin(st, 0, &t);

	if (rc != 0)
		return rc;
	rc = store_count(t, DB_KEYS, &keys);
	if (rc == 0)
		rc = store_count(t, DB_AUDIT, &audit);
	store_txn_abort(t);
	if (rc == 0 && (keys > 0 || audit > 0)) {
		fprintf(stderr, "esignctl: the database already holds an "
			"instance (%llu keys, %llu audit records); init never "
			"writes over one (add a node instead: docs/cluster.md)\n",
			(unsigned long long)keys, (unsigned long long)audit);
		rc = ESD_EEXIST;
	}
	return rc;
}

static int build(const char *dir, const struct init_opts *o, char *pin,
		 char *so_pin, char *token)
{
	char base_url[64];
	char path[PATH_MAX], text[PATH_MAX + 256];
	X509 *certs[ESD_ARRAY_LEN(demo_keys)] = { NULL };
	struct store *st = NULL;
	struct store_txn *t = NULL;
	struct hsm *h = NULL;
	uint8_t tok[32], tok_hash[32];
	char tok_hash_hex[65];
	json_t *client = NULL;
	int rc, n;

	snprintf(base_url, sizeof(base_url), "http://127.0.0.1:%u", o->http_port);

	/* 1. The token, with its own SoftHSM2 configuration. */
	path_join(path, sizeof(path), dir, "tokens");
	if (mkdir(path, 0700) != 0)
		return ESD_EIO;
	n = snprintf(text, sizeof(text),
		     "# SoftHSM2 configuration of this esignd instance.\n"
		     "directories.tokendir = %s/tokens\n"
		     "objectstore.backend = file\n"
		     "log.level = ERROR\n"
		     "slots.removable = false\n", dir);
	path_join(path, sizeof(path), dir, "softhsm2.conf");
	rc = esd_write_file(path, text, (size_t)n, 0600, 1);
	if (rc != 0)
		return rc;
	setenv("SOFTHSM2_CONF", path, 1);
	if ((rc = random_pin(pin, 16)) != 0 || (rc = random_pin(so_pin, 16)) != 0 ||
	    (rc = write_secret(dir, "pin", pin)) != 0 ||
	    (rc = write_secret(dir, "so-pin", so_pin)) != 0)
		return rc;
	printf("creating the token...\n");
	rc = hsm_token_init(o->module, TOKEN_LABEL, so_pin, pin);
	if (rc == 0)
		rc = hsm_open(o->module, TOKEN_LABEL, pin, &h);
	if (rc != 0)
		goto out;

	/* 2. Keys inside the token, certificates signed through it. */
	path_join(path, sizeof(path), dir, "state");
	if (o->store != NULL) {
		/* PostgreSQL: the schema applied, the database empty; this
		 * node's spool in DIR/state. */
		int from, to;

		rc = mkdir(path, 0700) == 0 ? 0 : ESD_EIO;
		if (rc == 0)
			rc = store_migrate(o->store, &from, &to);
		if (rc == 0)
			rc = store_open(o->store, 0, 0, &st);
		if (rc == 0)
			rc = store_empty(st);
	} else {
		rc = store_open(path, 1ull << 30, 1, &st);
	}
	if (rc == 0)
		rc = store_txn_begin(st, 1, &t);
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < ESD_ARRAY_LEN(demo_keys); i++) {
		const struct demo_key *k = &demo_keys[i];
		EVP_PKEY *pub = NULL, *signer = NULL;
		struct pki_cert_req req = { .profile = k->profile,
					    .subject = k->subject,
					    .days = k->days };
		const char *ca = i == 1 ? "root-ca" : "issuing-ca";
		char crl[300], ocsp[300], issuers[300];

		/* Where relying parties check what the issuer says. */
		snprintf(crl, sizeof(crl), "%s/crl/%s.crl", base_url, ca);
		snprintf(ocsp, sizeof(ocsp), "%s/ocsp", base_url);
		snprintf(issuers, sizeof(issuers), "%s/ca/%s.crt", base_url, ca);
		if (i > 0) {
			req.crl_url = crl;
			req.ca_issuers_url = issuers;
			if (k->profile != PKI_PROFILE_OCSP)
				req.ocsp_url = ocsp;
		}
		if (k->profile == PKI_PROFILE_SEAL ||
		    k->profile == PKI_PROFILE_INDIVIDUAL) {
			req.policies = k->profile == PKI_PROFILE_SEAL
				       ? DEMO_POLICY_SEAL : DEMO_POLICY_INDIVIDUAL;
			req.cps_url = DEMO_CPS_URL;
			req.eku = DEMO_EKU;
			req.qc = 1;
			req.pds_url = DEMO_PDS_URL;
		}

		printf("generating %s key '%s' in the token...\n",
		       hsm_keytype_name(k->type), k->label);
		rc = hsm_keygen(h, k->label, k->type);
		if (rc == 0)
			rc = hsm_pubkey(h, k->label, &pub);
		if (rc == 0)
			rc = hsm_privkey(h, i == 0 ? k->label
					 : i == 1 ? demo_keys[0].label
						  : demo_keys[1].label, &signer);
		if (rc == 0) {
			req.pubkey = pub;
			req.issuer = i == 0 ? NULL : certs[i == 1 ? 0 : 1];
			req.issuer_key = signer;
			rc = pki_cert_issue(&req, &certs[i]);
		}
		if (rc == 0)
			rc = hsm_store_cert(h, k->label, certs[i]);
		if (rc == 0) {
			/* Issuers nearest first: the issuing CA, then the root. */
			X509 *chain[2] = { i >= 2 ? certs[1] : certs[0], certs[0] };

			rc = record_key(t, k, certs[i], i == 0 ? "root-ca" : ca,
					chain, i < 2 ? i : 2);
		}
		EVP_PKEY_free(pub);
		EVP_PKEY_free(signer);
		if (rc != 0)
			goto out;
	}

	/* 3. The admin API credential: only its hash is stored. */
	if ((rc = esd_random(tok, sizeof(tok))) != 0)
		goto out;
	esd_hex(tok, sizeof(tok), token);
	rc = esd_sha256(tok, sizeof(tok), tok_hash);
	esd_hex(tok_hash, sizeof(tok_hash), tok_hash_hex);
	OPENSSL_cleanse(tok, sizeof(tok));
	if (rc != 0)
		goto out;
	client = json_pack("{s:s, s:s, s:s, s:I, s:s}", "name", "admin", "role",
			   "admin", "hash", tok_hash_hex, "created",
			   (json_int_t)esd_now(), "default_key", "demo-seal");
	rc = client ? store_put_json(t, DB_CLIENTS, tok_hash_hex, client, 1)
		    : ESD_ENOMEM;
	if (rc == 0)
		rc = store_audit(t, "esignctl:init", "client.create", "admin", 0,
				 NULL);
	if (rc == 0)
		rc = store_audit(t, "esignctl:init", "instance.init", dir, 0, NULL);
	if (rc == 0) {
		rc = store_txn_commit(t);
		t = NULL;
	}
	if (rc != 0)
		goto out;
	if ((rc = write_secret(dir, "admin.token", token)) != 0)
		goto out;

	/* 4. Files for clients and the daemon. */
	path_join(path, sizeof(path), dir, "ca.pem");
	if ((rc = write_pem_pair(path, certs[0], NULL)) != 0)
		goto out;
	path_join(path, sizeof(path), dir, "issuing-ca.pem");
	if ((rc = write_pem_pair(path, certs[1], NULL)) != 0)
		goto out;
	if ((rc = make_tls(dir, h, certs[1])) != 0)
		goto out;
	if (o->conf == NULL)   /* no system configuration names it */
		rc = write_conf(dir, o);
out:
	json_decref(client);
	store_txn_abort(t);
	store_close(st);
	for (size_t i = 0; i < ESD_ARRAY_LEN(certs); i++)
		X509_free(certs[i]);
	hsm_close(h);
	return rc;
}

/*
 * The system configuration at path, when its state_dir is dir/state: the
 * instance is then made for it (a packaged install). 1 and *c filled in,
 * or 0.
 */
static int system_conf(const char *path, const char *dir, struct esd_config *c)
{
	char err[512], want[PATH_MAX];

	if (path == NULL || access(path, R_OK) != 0 ||
	    config_load(path, c, err, sizeof(err)) != 0)
		return 0;
	path_join(want, sizeof(want), dir, "state");
	return strcmp(c->state_dir, want) == 0;
}

/* The port of a "host:port" listener, or 0. */
static unsigned listen_port(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	uint64_t port;

	if (colon == NULL || esd_parse_u64(colon + 1, 1, 65535, &port) != 0)
		return 0;
	return (unsigned)port;
}

/* How the first staff account comes about: the console needs one. */
static void print_first_staff(const char *ctl, const char *mail, unsigned port)
{
	printf("\nfirst staff account (the web console, https://127.0.0.1:%u/console/):\n"
	       "  %s user create --name NAME --email ADDRESS --role admin\n"
	       "  its initial password is emailed (%s); the first login changes it\n"
	       "  and enrols an authenticator app (docs/console.md)\n",
	       port, ctl, mail);
}

int cli_init(const struct init_opts *opts)
{
	char dir[PATH_MAX], pin[33] = "", so_pin[33] = "", token[65] = "";
	char ctl[PATH_MAX + 32], mail[PATH_MAX + 64];
	struct init_opts eff = *opts, *o = &eff;
	struct esd_config *sys = NULL;
	unsigned port;
	int rc;

	if (o->store != NULL && !store_is_pg(o->store)) {
		fprintf(stderr, "esignctl: --store takes a postgresql:// "
			"location (LMDB is DIR/state without it)\n");
		return EXIT_USAGE;
	}
	if (mkdir(o->dir, 0700) != 0) {
		if (errno == EEXIST)
			fprintf(stderr, "esignctl: %s exists; init never "
				"overwrites an instance (remove it or pick "
				"another --dir)\n", o->dir);
		else
			fprintf(stderr, "esignctl: cannot create %s: %s\n",
				o->dir, strerror(errno));
		return EXIT_LOCAL;
	}
	if (realpath(o->dir, dir) == NULL)
		return EXIT_LOCAL;
	if ((sys = calloc(1, sizeof(*sys))) == NULL)
		return EXIT_LOCAL;
	if (!system_conf(o->conf, dir, sys)) {
		o->conf = NULL;
	} else if ((port = listen_port(sys->https_listen)) != 0) {
		/* The certificates name the port the daemon listens on. */
		if (!o->https_port_given)
			o->https_port = port;
		else if (o->https_port != port)
			fprintf(stderr, "esignctl: warning: --https-port %u, but "
				"https_listen in %s is %s: the certificates name "
				"port %u\n", o->https_port, o->conf,
				sys->https_listen, o->https_port);
	}
	if (o->http_port == 0) /* the distribution point's default */
		o->http_port = o->https_port < 65535 ? o->https_port + 1
						     : o->https_port - 1;

	log_init("esignctl", LOG_LVL_WARN);
	rc = build(dir, o, pin, so_pin, token);
	if (rc != 0) {
		fprintf(stderr, "esignctl: init failed: %s; removing %s\n",
			esd_err_msg(rc), dir);
		cli_rm_tree(dir);
		OPENSSL_cleanse(pin, sizeof(pin));
		OPENSSL_cleanse(so_pin, sizeof(so_pin));
		OPENSSL_cleanse(token, sizeof(token));
		free(sys);
		return EXIT_LOCAL;
	}
	if (o->conf != NULL) {
		/* One configuration: the one the unit and esignctl read. */
		printf("\nesignd instance created in %s for %s (its state_dir)\n\n"
		       "  configuration   %s\n"
		       "  start           systemctl start esignd (without systemd:\n"
		       "                  esignd -c %s, after creating the socket's\n"
		       "                  folder: systemd-tmpfiles --create esignd.conf)\n"
		       "  HTTPS API       https://%s/v1/health\n"
		       "  Unix socket     %s (esignctl status, as a user of admin_uids)\n"
		       "  trust this CA   %s/ca.pem\n"
		       "  admin token     %s/admin.token (mode 0600)\n"
		       "  token PINs      %s/pin, %s/so-pin (mode 0600)\n",
		       dir, o->conf, o->conf, o->conf, sys->https_listen,
		       sys->unix_socket[0] ? sys->unix_socket : "(none)", dir, dir,
		       dir, dir);
		if (o->show_pins)
			printf("  user PIN        %s\n  SO PIN          %s\n", pin, so_pin);
		if (strcmp(o->conf, "/etc/esignd/esignd.conf") == 0)
			snprintf(ctl, sizeof(ctl), "esignctl");
		else
			snprintf(ctl, sizeof(ctl), "esignctl -c %s", o->conf);
		if (sys->smtp_url[0])
			snprintf(mail, sizeof(mail), "by SMTP, %s", sys->smtp_url);
		else
			snprintf(mail, sizeof(mail), "here: into the maildir %s/new",
				 sys->mail_maildir);
		print_first_staff(ctl, mail, o->https_port);
		goto done;
	}
	printf("\nesignd instance created in %s\n\n"
	       "  configuration   %s/esignd.conf\n"
	       "  start           esignd -c %s/esignd.conf\n"
	       "  HTTPS API       https://127.0.0.1:%u/v1/health\n"
	       "  CRLs, OCSP      http://127.0.0.1:%u/crl/issuing-ca.crl, /ocsp\n"
	       "  Unix socket     %s/esignd.sock (esignctl -c %s/esignd.conf status)\n"
	       "  trust this CA   %s/ca.pem\n"
	       "  admin token     %s/admin.token (mode 0600)\n"
	       "  token PINs      %s/pin, %s/so-pin (mode 0600)\n",
	       dir, dir, dir, o->https_port, o->http_port, dir, dir, dir, dir,
	       dir, dir);
	if (o->show_pins)
		printf("  user PIN        %s\n  SO PIN          %s\n", pin, so_pin);
	snprintf(ctl, sizeof(ctl), "esignctl -c %s/esignd.conf", dir);
	snprintf(mail, sizeof(mail), "here: into the maildir %s/mail/new", dir);
	print_first_staff(ctl, mail, o->https_port);
	printf("\ntry:\n  curl --cacert %s/ca.pem https://127.0.0.1:%u/v1/health\n"
	       "  curl --cacert %s/ca.pem -H \"Authorization: Bearer $(cat %s/admin.token)\" "
	       "https://127.0.0.1:%u/v1/keys\n",
	       dir, o->https_port, dir, dir, o->https_port);
done:
	free(sys);
	OPENSSL_cleanse(pin, sizeof(pin));
	OPENSSL_cleanse(so_pin, sizeof(so_pin));
	OPENSSL_cleanse(token, sizeof(token));
	return EXIT_OK;
}
