/* dunnctl migrate: apply migrations/NNNN_name.sql in order, each in its
 * own transaction, recording version and checksum. A session advisory
 * lock makes concurrent runs wait for each other instead of racing. */
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define MIGRATE_LOCK "74158032" /* arbitrary, fixed: dunnd's migration lock */

struct migration {
	int version;
	char *name, *path, *sql;
	char sum[65];
};

static int by_version(const void *a, const void *b)
{
	return ((const struct migration *)a)->version - ((const struct migration *)b)->version;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		size_t got = fread(buf, 1, (size_t)n, f);
		buf[got] = '\0';
	}
	fclose(f);
	return buf;
}

static void sha256_hex(const char *s, char out[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static int load_dir(const char *dir, struct migration **out, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct migration *m = NULL;
	size_t n = 0;

	if (!d) {
		fprintf(stderr, "dunnctl: %s: cannot open migrations directory\n", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		int v = 0, used = 0;
		if (len < 9 || strcmp(e->d_name + len - 4, ".sql") != 0 ||
		    sscanf(e->d_name, "%4d_%n", &v, &used) != 1 || used != 5)
			continue;
		struct migration *nm = realloc(m, (n + 1) * sizeof *m);
		if (!nm)
			break;
		m = nm;
		memset(&m[n], 0, sizeof m[n]);
		m[n].version = v;
		m[n].name = strndup(e->d_name + 5, len - 9);
		if (asprintf(&m[n].path, "%s/%s", dir, e->d_name) < 0)
			m[n].path = NULL;
		m[n].sql = m[n].path ? slurp(m[n].path) : NULL;
		if (!m[n].sql) {
			fprintf(stderr, "dunnctl: %s: cannot read\n", e->d_name);
			closedir(d);
			*out = m;
			*count = n + 1;
			return -1;
		}
		sha256_hex(m[n].sql, m[n].sum);
		n++;
	}
	closedir(d);
	qsort(m, n, sizeof *m, by_version);
	for (size_t i = 1; i < n; i++)
		if (m[i].version == m[i - 1].version) {
			fprintf(stderr, "dunnctl: %s: version %04d used twice\n", m[i].path,
				m[i].version);
			*out = m;
			*count = n;
			return -1;
		}
	*out = m;
	*count = n;
	return 0;
}

static int apply(struct ctl *c, const struct migration *m)
{
	char ver[16];
	const char *params[3] = {ver, m->name, m->sum};
	PGresult *res;

	snprintf(ver, sizeof ver, "%d", m->version);
	res = ctl_exec(c, "BEGIN", 0, NULL);
	if (!res)
		return -1;
	PQclear(res);
	/* Simple-query protocol: a migration file may hold many statements. */
	res = PQexec(c->conn, m->sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "dunnctl: %s: %s", m->path, PQerrorMessage(c->conn));
		PQclear(res);
		PQclear(PQexec(c->conn, "ROLLBACK"));
		return -1;
	}
	PQclear(res);
	res = ctl_exec(c,
		       "INSERT INTO dunning.schema_migrations (version, name, checksum) "
		       "VALUES ($1, $2, $3)",
		       3, params);
	if (!res) {
		PQclear(PQexec(c->conn, "ROLLBACK"));
		return -1;
	}
	PQclear(res);
	res = ctl_exec(c, "COMMIT", 0, NULL);
	if (!res)
		return -1;
	PQclear(res);
	printf("migrate: applied %04d_%s\n", m->version, m->name);
	return 0;
}

int ctl_migrate(struct ctl *c, int argc, char **argv)
{
	struct migration *m = NULL;
	size_t n = 0, applied = 0;
	PGresult *res = NULL;
	int rc = 1;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "Usage: dunnctl -c FILE migrate\n");
		return 2;
	}
	if (load_dir(c->cfg->migrations_dir, &m, &n) != 0)
		goto out;
	res = ctl_exec(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")", 0, NULL);
	if (!res)
		goto out;
	PQclear(res);
	res = ctl_exec(c,
		       "SET client_min_messages = warning;"
		       "CREATE SCHEMA IF NOT EXISTS dunning;"
		       "CREATE TABLE IF NOT EXISTS dunning.schema_migrations ("
		       " version integer PRIMARY KEY, name text NOT NULL,"
		       " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
		       0, NULL);
	if (!res)
		goto unlock;
	PQclear(res);
	res = ctl_exec(c,
		       "SELECT version, checksum FROM dunning.schema_migrations ORDER BY version",
		       0, NULL);
	if (!res)
		goto unlock;
	for (int r = 0; r < PQntuples(res); r++) {
		int v = atoi(PQgetvalue(res, r, 0));
		const char *sum = PQgetvalue(res, r, 1);
		size_t k;
		for (k = 0; k < n && m[k].version != v; k++)
			;
		if (k == n) {
			fprintf(stderr,
				"dunnctl: migration %04d is applied but its file is missing\n", v);
			goto unlock;
		}
		if (strcmp(m[k].sum, sum) != 0) {
			fprintf(stderr,
				"dunnctl: %s: edited after it was applied (checksum %.12s, "
				"applied %.12s); refusing to migrate\n",
				m[k].path, m[k].sum, sum);
			goto unlock;
		}
	}
	for (size_t k = 0; k < n; k++) {
		int done = 0;
		for (int r = 0; r < PQntuples(res); r++)
			if (atoi(PQgetvalue(res, r, 0)) == m[k].version)
				done = 1;
		if (done)
			continue;
		if (apply(c, &m[k]) != 0)
			goto unlock;
		applied++;
	}
	/* The outbox's partitions for this month and the two after it (dunnd
	 * makes them too, as its clock moves): once the schema has them. */
	PQclear(res);
	res = ctl_exec(c, "SELECT to_regprocedure('dunning.partitions_ensure(timestamptz)')", 0,
		       NULL);
	if (!res)
		goto unlock;
	if (!PQgetisnull(res, 0, 0)) {
		PQclear(res);
		res = ctl_exec(c, "SELECT dunning.partitions_ensure(now())", 0, NULL);
		if (!res)
			goto unlock;
		if (atoi(PQgetvalue(res, 0, 0)) > 0)
			printf("migrate: %s partitions created\n", PQgetvalue(res, 0, 0));
	}
	printf("migrate: %zu applied, schema at version %04d\n", applied, n ? m[n - 1].version : 0);
	rc = 0;
unlock:
	PQclear(res);
	PQclear(PQexec(c->conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")"));
out:
	for (size_t k = 0; k < n; k++) {
		free(m[k].name);
		free(m[k].path);
		free(m[k].sql);
	}
	free(m);
	return rc;
}
