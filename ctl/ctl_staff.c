/* dunnctl staff: the people who sign in to the console. Passwords are read
 * from the terminal (echo off) or, with --password-stdin, as one line of
 * standard input; never from argv. Each change is audited in
 * dunning.events, and disabling someone or changing their password ends
 * their console sessions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ctl.h"
#include "passwd.h"

static const char SQL_ADD[] =
	"WITH s AS (INSERT INTO dunning.staff (name, role, password_hash, locale)\n"
	"           VALUES ($1, $2, $3, coalesce($4, 'en'))\n"
	"           ON CONFLICT (name) DO NOTHING RETURNING id, name, role)\n"
	"INSERT INTO dunning.events (kind, detail)\n"
	"SELECT 'staff_added', jsonb_build_object('staff', name, 'role', role, 'by', 'dunnctl')\n"
	"FROM s RETURNING 1";

static const char SQL_LIST[] =
	"SELECT name, role, locale, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),\n"
	"       coalesce(to_char(disabled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ''),\n"
	"       (SELECT count(*) FROM dunning.staff_sessions x WHERE x.staff_id = s.id\n"
	"          AND x.ended_at IS NULL)\n"
	"FROM dunning.staff s ORDER BY name";

static const char SQL_DISABLE[] =
	"WITH s AS (UPDATE dunning.staff SET disabled_at = coalesce(disabled_at, now())\n"
	"           WHERE name = $1 RETURNING id, name),\n"
	"x AS (UPDATE dunning.staff_sessions SET ended_at = now()\n"
	"      WHERE staff_id IN (SELECT id FROM s) AND ended_at IS NULL RETURNING 1)\n"
	"INSERT INTO dunning.events (kind, detail)\n"
	"SELECT 'staff_disabled', jsonb_build_object('staff', name, 'by', 'dunnctl',\n"
	"       'sessions_ended', (SELECT count(*) FROM x)) FROM s RETURNING 1";

static const char SQL_PASSWD[] =
	"WITH s AS (UPDATE dunning.staff SET password_hash = $2, password_at = now()\n"
	"           WHERE name = $1 RETURNING id, name),\n"
	"x AS (UPDATE dunning.staff_sessions SET ended_at = now()\n"
	"      WHERE staff_id IN (SELECT id FROM s) AND ended_at IS NULL RETURNING 1)\n"
	"INSERT INTO dunning.events (kind, detail)\n"
	"SELECT 'staff_password_changed', jsonb_build_object('staff', name, 'by', 'dunnctl',\n"
	"       'sessions_ended', (SELECT count(*) FROM x)) FROM s RETURNING 1";

static int name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 &&
		strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-") ==
		n &&
		s[0] != '.' && s[0] != '_' && s[0] != '@' && s[0] != '-';
}

/* One line of stdin without its line break; from a terminal with echo
 * off and a prompt on stderr. 0, or -1. */
static int read_line(const char *prompt, char *buf, size_t len, int from_stdin)
{
	struct termios old, quiet;
	int tty = !from_stdin && isatty(STDIN_FILENO);
	char *r;

	if (!from_stdin && !tty) {
		fprintf(stderr, "dunnctl: not a terminal: use --password-stdin\n");
		return -1;
	}
	if (tty) {
		fprintf(stderr, "%s", prompt);
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	r = fgets(buf, (int)len, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (!r)
		return -1;
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* A new password's hash in out. 0, or the command's exit status. */
static int new_password(int from_stdin, char *out, size_t len)
{
	char pw[PASSWD_MAX_LEN + 2], again[PASSWD_MAX_LEN + 2];
	int rc = 1;

	if (read_line("Password: ", pw, sizeof pw, from_stdin) != 0) {
		fprintf(stderr, "dunnctl: no password given\n");
		return 1;
	}
	if (!from_stdin &&
	    (read_line("Again: ", again, sizeof again, 0) != 0 || strcmp(pw, again))) {
		fprintf(stderr, "dunnctl: the passwords differ\n");
		goto out;
	}
	if (strlen(pw) < PASSWD_MIN_LEN || strlen(pw) > PASSWD_MAX_LEN) {
		fprintf(stderr, "dunnctl: a password has %d to %d characters\n", PASSWD_MIN_LEN,
			PASSWD_MAX_LEN);
		goto out;
	}
	if (passwd_hash(pw, out, len) != 0) {
		fprintf(stderr, "dunnctl: cannot hash the password (crypt_r refused)\n");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(pw, sizeof pw);
	OPENSSL_cleanse(again, sizeof again);
	return rc;
}

static int one_row(struct ctl *c, const char *sql, int n, const char *const *p)
{
	PGresult *res = ctl_exec(c, sql, n, p);
	int rows = res ? PQntuples(res) : -1;

	PQclear(res);
	return rows;
}

static int staff_add(struct ctl *c, int argc, char **argv, int from_stdin)
{
	const char *role = ctl_take_opt(&argc, argv, "--role");
	const char *locale = ctl_take_opt(&argc, argv, "--locale");
	char hash[PASSWD_HASH_MAX];
	const char *p[4];
	int rc, rows;

	if (argc != 3 || !role ||
	    (strcmp(role, "agent") && strcmp(role, "supervisor") && strcmp(role, "admin")) ||
	    (locale && strcmp(locale, "en") && strcmp(locale, "ko") && strcmp(locale, "ja") &&
	     strcmp(locale, "zh"))) {
		fprintf(stderr,
			"Usage: dunnctl -c FILE staff add NAME --role agent|supervisor|admin "
			"[--locale en|ko|ja|zh] [--password-stdin]\n");
		return 2;
	}
	if (!name_ok(argv[2])) {
		fprintf(stderr,
			"dunnctl: a staff name is 1 to 64 of A-Z a-z 0-9 . _ @ -, "
			"starting with a letter or digit\n");
		return 2;
	}
	if ((rc = new_password(from_stdin, hash, sizeof hash)) != 0)
		return rc;
	p[0] = argv[2];
	p[1] = role;
	p[2] = hash;
	p[3] = locale;
	rows = one_row(c, SQL_ADD, 4, p);
	if (rows < 0)
		return 1;
	if (rows == 0) {
		fprintf(stderr, "dunnctl: staff member '%s' already exists\n", argv[2]);
		return 1;
	}
	printf("staff: %s added (%s)\n", argv[2], role);
	return 0;
}

static int staff_list(struct ctl *c, int as_json)
{
	PGresult *res = ctl_exec(c, SQL_LIST, 0, NULL);
	json_t *arr;
	int n;

	if (!res)
		return 1;
	n = PQntuples(res);
	if (as_json) {
		arr = json_array();
		for (int r = 0; r < n; r++) {
			const char *dis = PQgetvalue(res, r, 4);
			json_array_append_new(
				arr,
				json_pack("{s:s, s:s, s:s, s:s, s:o, s:I}", "name",
					  PQgetvalue(res, r, 0), "role", PQgetvalue(res, r, 1),
					  "locale", PQgetvalue(res, r, 2), "created",
					  PQgetvalue(res, r, 3), "disabled",
					  *dis ? json_string(dis) : json_null(), "sessions",
					  (json_int_t)atoll(PQgetvalue(res, r, 5))));
		}
		PQclear(res);
		return ctl_json_print(json_pack("{s:o}", "staff", arr));
	}
	printf("%-24s %-10s %-6s %-10s %-10s %s\n", "name", "role", "locale", "created", "disabled",
	       "sessions");
	for (int r = 0; r < n; r++)
		printf("%-24s %-10s %-6s %-10s %-10s %s\n", ctl_text(PQgetvalue(res, r, 0)),
		       PQgetvalue(res, r, 1), PQgetvalue(res, r, 2), PQgetvalue(res, r, 3),
		       *PQgetvalue(res, r, 4) ? PQgetvalue(res, r, 4) : "-", PQgetvalue(res, r, 5));
	printf("%d staff member(s)\n", n);
	PQclear(res);
	return 0;
}

static int staff_disable(struct ctl *c, int argc, char **argv)
{
	const char *p[1];
	int rows;

	if (argc != 3) {
		fprintf(stderr, "Usage: dunnctl -c FILE staff disable NAME\n");
		return 2;
	}
	p[0] = argv[2];
	rows = one_row(c, SQL_DISABLE, 1, p);
	if (rows < 0)
		return 1;
	if (rows == 0) {
		fprintf(stderr, "dunnctl: no staff member '%s'\n", ctl_text(argv[2]));
		return 1;
	}
	printf("staff: %s disabled; their sessions are ended\n", argv[2]);
	return 0;
}

static int staff_passwd(struct ctl *c, int argc, char **argv, int from_stdin)
{
	char hash[PASSWD_HASH_MAX];
	const char *p[2];
	int rc, rows;

	if (argc != 3) {
		fprintf(stderr, "Usage: dunnctl -c FILE staff passwd NAME [--password-stdin]\n");
		return 2;
	}
	if ((rc = new_password(from_stdin, hash, sizeof hash)) != 0)
		return rc;
	p[0] = argv[2];
	p[1] = hash;
	rows = one_row(c, SQL_PASSWD, 2, p);
	if (rows < 0)
		return 1;
	if (rows == 0) {
		fprintf(stderr, "dunnctl: no staff member '%s'\n", ctl_text(argv[2]));
		return 1;
	}
	printf("staff: %s has a new password; their sessions are ended\n", argv[2]);
	return 0;
}

int ctl_staff(struct ctl *c, int argc, char **argv)
{
	int as_json = ctl_take_flag(&argc, argv, "--json");
	int from_stdin = ctl_take_flag(&argc, argv, "--password-stdin");

	if (argc >= 2 && !strcmp(argv[1], "add"))
		return staff_add(c, argc, argv, from_stdin);
	if (argc == 2 && !strcmp(argv[1], "list"))
		return staff_list(c, as_json);
	if (argc >= 2 && !strcmp(argv[1], "disable"))
		return staff_disable(c, argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "passwd"))
		return staff_passwd(c, argc, argv, from_stdin);
	fprintf(stderr,
		"Usage: dunnctl -c FILE staff add|list|disable|passwd ... "
		"('dunnctl staff --help')\n");
	return 2;
}
