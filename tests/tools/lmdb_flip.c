/*
 * lmdb_flip ENVDIR DB SEQ OFFSET: flips (XOR 0x01) the byte at OFFSET of
 * the value stored under the big-endian u64 key SEQ in database DB. Used
 * by the tests to prove that tampering with a stored record is detected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lmdb.h>

int main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v, nv;
	unsigned char key[8];
	unsigned long long seq;
	unsigned long off;
	int rc;

	if (argc != 5) {
		fprintf(stderr, "usage: lmdb_flip ENVDIR DB SEQ OFFSET\n");
		return 2;
	}
	seq = strtoull(argv[3], NULL, 10);
	off = strtoul(argv[4], NULL, 10);
	for (int i = 7; i >= 0; i--, seq >>= 8)
		key[i] = (unsigned char)seq;
	if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_maxdbs(env, 16)) ||
	    (rc = mdb_env_open(env, argv[1], 0, 0600)) ||
	    (rc = mdb_txn_begin(env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, argv[2], 0, &dbi))) {
		fprintf(stderr, "lmdb_flip: %s\n", mdb_strerror(rc));
		return 1;
	}
	k.mv_size = sizeof(key);
	k.mv_data = key;
	if ((rc = mdb_get(txn, dbi, &k, &v)) != 0 || off >= v.mv_size) {
		fprintf(stderr, "lmdb_flip: %s\n", rc ? mdb_strerror(rc) : "offset");
		return 1;
	}
	nv.mv_size = v.mv_size;
	nv.mv_data = malloc(v.mv_size);
	memcpy(nv.mv_data, v.mv_data, v.mv_size);
	((unsigned char *)nv.mv_data)[off] ^= 1;
	if ((rc = mdb_put(txn, dbi, &k, &nv, 0)) || (rc = mdb_txn_commit(txn))) {
		fprintf(stderr, "lmdb_flip: %s\n", mdb_strerror(rc));
		return 1;
	}
	free(nv.mv_data);
	mdb_env_close(env);
	return 0;
}
