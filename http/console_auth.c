/* Signing staff in and out. A session is 32 random bytes (RAND_bytes) in
 * the cookie, hex; the database keeps only their SHA-256, so a copy of
 * dunning.staff_sessions opens nothing. Every login makes a new session
 * (an id a client brings is never adopted), and ends the one the browser
 * had. The CSRF value of a session's forms is an HMAC of its id, so it
 * needs no storage; the login form's comes from a pre-login cookie.
 *
 * Failed logins are limited per user name and per client address (in
 * this process's memory: a restart forgets them): past the limit every
 * attempt, right or wrong, is refused with 429 until the window ends. */
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_int.h"
#include "log.h"
#include "passwd.h"
#include "tz.h"

#define COOKIE "dunnd_console"
#define LOGIN_COOKIE "dunnd_login"
#define THROTTLE_WINDOW_S 900
#define THROTTLE_USER 5  /* failures per user name per window */
#define THROTTLE_ADDR 20 /* failures per client address per window */
#define THROTTLE_SLOTS 1024

static const char SQL_SESSION[] =
	"UPDATE dunning.staff_sessions x SET seen_at = $2::timestamptz\n"
	"FROM dunning.staff s\n"
	"WHERE x.id_hash = $1::bytea AND s.id = x.staff_id AND x.ended_at IS NULL\n"
	"  AND s.disabled_at IS NULL\n"
	"  AND x.seen_at > $2::timestamptz - make_interval(secs => $3::int)\n"
	"  AND x.created_at > $2::timestamptz - make_interval(secs => $4::int)\n"
	"RETURNING s.id, s.name, s.role, s.locale";

static const char SQL_STAFF[] =
	"SELECT id, password_hash, role FROM dunning.staff WHERE name = $1 AND disabled_at IS NULL";

/* The new session; the browser's old one (if any) ends; audited. */
static const char SQL_LOGIN[] =
	"WITH old AS (UPDATE dunning.staff_sessions SET ended_at = $3::timestamptz\n"
	"             WHERE id_hash = $4::bytea AND ended_at IS NULL RETURNING 1),\n"
	"s AS (INSERT INTO dunning.staff_sessions (id_hash, staff_id, created_at, seen_at)\n"
	"      VALUES ($1::bytea, $2::bigint, $3::timestamptz, $3::timestamptz) RETURNING staff_id)\n"
	"INSERT INTO dunning.events (at, kind, detail)\n"
	"SELECT $3::timestamptz, 'staff_login', jsonb_build_object('staff', st.name,\n"
	"       'replaced_session', EXISTS (SELECT 1 FROM old), 'via', $5::text)\n"
	"FROM s JOIN dunning.staff st ON st.id = s.staff_id";

static const char SQL_LOGOUT[] =
	"WITH x AS (UPDATE dunning.staff_sessions SET ended_at = $2::timestamptz\n"
	"           WHERE id_hash = $1::bytea AND ended_at IS NULL RETURNING staff_id)\n"
	"INSERT INTO dunning.events (at, kind, detail)\n"
	"SELECT $2::timestamptz, 'staff_logout', jsonb_build_object('staff', st.name)\n"
	"FROM x JOIN dunning.staff st ON st.id = x.staff_id";

static const char SQL_AUDIT[] =
	"INSERT INTO dunning.events (at, kind, account_id, case_id, detail)\n"
	"VALUES ($1::timestamptz, $2, $3::bigint, $4::bigint,\n"
	"        jsonb_build_object('staff', $5::text) || coalesce($6::jsonb, '{}'::jsonb))";

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* 64 hex digits to 32 bytes; 0 or -1. */
static int unhex32(const char *s, unsigned char out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* The value of cookie name in the Cookie header, when it is 64 hex
 * digits: 0 with raw set, else -1. */
static int cookie_get(const char *header, const char *name, unsigned char raw[32])
{
	size_t n = strlen(name);

	for (const char *p = header; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		if (!strncmp(p, name, n) && p[n] == '=') {
			const char *v = p + n + 1;
			size_t vl = strcspn(v, "; ");
			if (vl == 64 && strspn(v, "0123456789abcdef") >= 64)
				return unhex32(v, raw);
			return -1;
		}
		p = strchr(p, ';');
	}
	return -1;
}

/* "\\x<hex of SHA-256(raw)>" for a bytea parameter. */
static void id_hash_param(const unsigned char raw[32], char out[72])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(raw, 32, md, &mdlen, EVP_sha256(), NULL);
	memcpy(out, "\\x", 2);
	hex(md, 32, out + 2);
}

static void csrf_of(const unsigned char *key, size_t keylen, const char *what, char out[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)what, strlen(what), mac,
	     &maclen);
	hex(mac, 32, out);
}

static int same(const char *a, const char *b)
{
	return a && b && strlen(a) == strlen(b) && CRYPTO_memcmp(a, b, strlen(a)) == 0;
}

int con_csrf_ok(const struct con_session *s, const struct form *f)
{
	return same(s->csrf, form_get(f, "csrf"));
}

static void iso(int64_t t, char out[TZ_ISO8601_LEN])
{
	tz_format_iso8601(t, out, TZ_ISO8601_LEN);
}

int con_session_get(struct con_db *db, const struct con_in *in, struct con_session *s)
{
	unsigned char raw[32];
	char idp[72], now[TZ_ISO8601_LEN], idle[16], abs_s[16];
	const char *p[4] = {idp, now, idle, abs_s};
	PGresult *res;
	int found = 0;

	memset(s, 0, sizeof *s);
	if (cookie_get(in->cookie, COOKIE, raw) != 0)
		return 0;
	id_hash_param(raw, idp);
	iso(in->now, now);
	snprintf(idle, sizeof idle, "%d", in->idle_s);
	snprintf(abs_s, sizeof abs_s, "%d", in->absolute_s);
	res = con_q(db, SQL_SESSION, 4, p);
	if (!res)
		return -1;
	if (PQntuples(res) == 1) {
		const char *role = PQgetvalue(res, 0, 2);
		s->staff_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		snprintf(s->name, sizeof s->name, "%s", PQgetvalue(res, 0, 1));
		s->role = !strcmp(role, "admin")      ? CON_ADMIN
			: !strcmp(role, "supervisor") ? CON_SUPERVISOR
						      : CON_AGENT;
		s->lang = con_lang_parse(PQgetvalue(res, 0, 3));
		csrf_of(raw, sizeof raw, "console-csrf", s->csrf);
		hex(raw, sizeof raw, s->id_hex);
		found = 1;
	}
	PQclear(res);
	OPENSSL_cleanse(raw, sizeof raw);
	return found;
}

int con_audit(struct con_db *db, const struct con_in *in, const struct con_session *s,
	      const char *kind, const char *account_id, const char *case_id,
	      const char *detail_json)
{
	char now[TZ_ISO8601_LEN];
	const char *p[6] = {now, kind, account_id, case_id, s->name, detail_json};
	PGresult *res;

	iso(in->now, now);
	res = con_q(db, SQL_AUDIT, 6, p);
	PQclear(res);
	return res ? 0 : -1;
}

/* The throttle: failures per key ("u:NAME", "a:ADDRESS") in the current
 * window. A full table forgets the oldest window first. */
static struct {
	char key[96];
	int64_t start;
	int fails;
} slots[THROTTLE_SLOTS];
static pthread_mutex_t throttle_mu = PTHREAD_MUTEX_INITIALIZER;

static int slot_of(const char *key, int64_t now, int create)
{
	int oldest = 0; /* an empty slot, else the one whose window began first */

	for (int i = 0; i < THROTTLE_SLOTS; i++) {
		if (slots[i].key[0] && !strcmp(slots[i].key, key)) {
			if (now - slots[i].start >= THROTTLE_WINDOW_S) {
				slots[i].start = now;
				slots[i].fails = 0;
			}
			return i;
		}
		if (slots[oldest].key[0] &&
		    (!slots[i].key[0] || slots[i].start < slots[oldest].start))
			oldest = i;
	}
	if (!create)
		return -1;
	snprintf(slots[oldest].key, sizeof slots[oldest].key, "%s", key);
	slots[oldest].start = now;
	slots[oldest].fails = 0;
	return oldest;
}

/* Seconds until key may try again (0: now). */
static int throttled(const char *key, int limit, int64_t now)
{
	int i, wait = 0;

	pthread_mutex_lock(&throttle_mu);
	i = slot_of(key, now, 0);
	if (i >= 0 && slots[i].fails >= limit)
		wait = (int)(slots[i].start + THROTTLE_WINDOW_S - now);
	pthread_mutex_unlock(&throttle_mu);
	return wait > 0 ? wait : 0;
}

static void throttle_fail(const char *key, int64_t now)
{
	pthread_mutex_lock(&throttle_mu);
	slots[slot_of(key, now, 1)].fails++;
	pthread_mutex_unlock(&throttle_mu);
}

static void throttle_clear(const char *key, int64_t now)
{
	int i;

	pthread_mutex_lock(&throttle_mu);
	i = slot_of(key, now, 0);
	if (i >= 0)
		slots[i].fails = 0;
	pthread_mutex_unlock(&throttle_mu);
}

/* The login form's key: random, this process's own. */
static unsigned char login_key[32];
static pthread_once_t login_once = PTHREAD_ONCE_INIT;

static void login_key_init(void)
{
	if (RAND_bytes(login_key, sizeof login_key) != 1)
		abort(); /* no randomness: nothing here can be safe */
}

static int login_csrf(const struct con_in *in, char out[65])
{
	unsigned char raw[32];
	char h[65];

	pthread_once(&login_once, login_key_init);
	if (cookie_get(in->cookie, LOGIN_COOKIE, raw) != 0)
		return -1;
	hex(raw, 32, h);
	csrf_of(login_key, sizeof login_key, h, out);
	return 0;
}

static enum con_lang browser_lang(const struct con_in *in)
{
	const char *a = in->accept_lang;

	/* The first of our languages the browser names. */
	for (const char *p = a; p && *p; p++) {
		if (p == a || p[-1] == ',' || p[-1] == ' ') {
			if (!strncmp(p, "ko", 2))
				return CON_KO;
			if (!strncmp(p, "ja", 2))
				return CON_JA;
			if (!strncmp(p, "zh", 2))
				return CON_ZH;
			if (!strncmp(p, "en", 2))
				return CON_EN;
		}
	}
	return CON_EN;
}

static char *cookie_str(const struct con_in *in, const char *name, const char *value, int max_age)
{
	char *s = NULL;

	if (asprintf(&s, "%s=%s; Path=/console; Max-Age=%d; HttpOnly; SameSite=Strict%s", name,
		     value, max_age, in->secure ? "; Secure" : "") < 0)
		return NULL;
	return s;
}

void con_login_page(struct con_db *db, const struct con_in *in, struct con_out *out,
		    const char *error_code)
{
	enum con_lang lang = browser_lang(in);
	char csrf[65];

	(void)db;
	if (login_csrf(in, csrf) != 0) {
		unsigned char raw[32];
		char h[65];
		if (RAND_bytes(raw, sizeof raw) != 1) {
			out->oom = 1;
			return;
		}
		hex(raw, 32, h);
		out->set_cookie[1] = cookie_str(in, LOGIN_COOKIE, h, 3600);
		pthread_once(&login_once, login_key_init);
		csrf_of(login_key, sizeof login_key, h, csrf);
	}
	con_head(out, lang, con_t(lang, "login_title"), NULL, error_code);
	con_lit(out, "<section><h1>");
	con_esc(out, con_t(lang, "login_title"));
	con_lit(out,
		"</h1><form method=\"post\" action=\"/console/login\">"
		"<input type=\"hidden\" name=\"csrf\" value=\"");
	con_esc(out, csrf);
	con_lit(out, "\"><label for=\"user\">");
	con_esc(out, con_t(lang, "user"));
	con_lit(out,
		"</label><input id=\"user\" name=\"user\" autocomplete=\"username\" required "
		"maxlength=\"64\"><label for=\"password\">");
	con_esc(out, con_t(lang, "password"));
	con_lit(out,
		"</label><input id=\"password\" name=\"password\" type=\"password\" "
		"autocomplete=\"current-password\" required><br><button type=\"submit\">");
	con_esc(out, con_t(lang, "sign_in"));
	con_lit(out, "</button></form></section>");
	con_foot(out);
}

void con_login_post(struct con_db *db, const struct con_in *in, const struct form *f,
		    struct con_out *out)
{
	const char *user = form_get(f, "user"), *pw = form_get(f, "password");
	char want[65], ukey[96], akey[96], now[TZ_ISO8601_LEN], idp[72], oldp[72], sid[24];
	unsigned char raw[32], old[32];
	int wait, ok = 0;
	PGresult *res;

	if (login_csrf(in, want) != 0 || !same(want, form_get(f, "csrf"))) {
		log_warn("console", "event=console_refused reason=csrf path=/console/login");
		con_error_page(out, 403, browser_lang(in), NULL, "err_csrf");
		return;
	}
	if (!user || !pw || !*user || strlen(user) > 64 || strlen(pw) > PASSWD_MAX_LEN) {
		out->code = 401;
		con_login_page(db, in, out, "err_login");
		return;
	}
	snprintf(ukey, sizeof ukey, "u:%s", user);
	snprintf(akey, sizeof akey, "a:%s", in->peer);
	wait = throttled(ukey, THROTTLE_USER, in->now);
	if (!wait)
		wait = throttled(akey, THROTTLE_ADDR, in->now);
	if (wait) {
		log_warn("console", "event=console_login_throttled retry_after_s=%d", wait);
		out->code = 429;
		out->retry_after = wait;
		con_login_page(db, in, out, "err_throttled");
		return;
	}
	res = con_q(db, SQL_STAFF, 1, &user);
	if (!res) {
		con_error_page(out, 503, browser_lang(in), NULL, "err_db");
		return;
	}
	if (PQntuples(res) == 1) {
		ok = passwd_verify(pw, PQgetvalue(res, 0, 1));
		snprintf(sid, sizeof sid, "%s", PQgetvalue(res, 0, 0));
	} else {
		passwd_burn(pw); /* the same time for a name that does not exist */
	}
	PQclear(res);
	iso(in->now, now);
	if (!ok) {
		const char *p[2] = {now, user};
		throttle_fail(ukey, in->now);
		throttle_fail(akey, in->now);
		res = con_q(
			db,
			"INSERT INTO dunning.events (at, kind, detail) VALUES ($1::timestamptz, "
			"'staff_login_failed', jsonb_build_object('staff', left($2, 64)))",
			2, p);
		PQclear(res);
		log_warn("console", "event=console_login_failed");
		out->code = 401;
		con_login_page(db, in, out, "err_login");
		return;
	}
	throttle_clear(ukey, in->now);
	if (RAND_bytes(raw, sizeof raw) != 1) {
		con_error_page(out, 503, browser_lang(in), NULL, "err_db");
		return;
	}
	id_hash_param(raw, idp);
	if (cookie_get(in->cookie, COOKIE, old) == 0)
		id_hash_param(old, oldp);
	else
		snprintf(oldp, sizeof oldp, "\\x");
	{
		const char *p[5] = {idp, sid, now, oldp, "password"};
		res = con_q(db, SQL_LOGIN, 5, p);
	}
	if (!res) {
		con_error_page(out, 503, browser_lang(in), NULL, "err_db");
		return;
	}
	PQclear(res);
	{
		char h[65];
		hex(raw, 32, h);
		out->set_cookie[0] = cookie_str(in, COOKIE, h, in->absolute_s);
		out->set_cookie[1] = cookie_str(in, LOGIN_COOKIE, "", 0);
		OPENSSL_cleanse(h, sizeof h);
	}
	OPENSSL_cleanse(raw, sizeof raw);
	log_info("console", "event=console_login staff_id=%s", sid);
	con_redirect(out, "/console/queue");
}

void con_sso(struct con_db *db, const struct con_in *in, struct con_out *out)
{
	const char *user = in->proxy_user;
	char now[TZ_ISO8601_LEN], idp[72], oldp[72], sid[24], h[65];
	unsigned char raw[32], old[32];
	PGresult *res;

	if (!*user || strlen(user) > 64) {
		con_error_page(out, 403, browser_lang(in), NULL, "err_sso");
		return;
	}
	res = con_q(db, SQL_STAFF, 1, &user);
	if (!res) {
		con_error_page(out, 503, browser_lang(in), NULL, "err_db");
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		log_warn("console", "event=console_refused reason=sso_unknown_user");
		con_error_page(out, 403, browser_lang(in), NULL, "err_sso");
		return;
	}
	snprintf(sid, sizeof sid, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (RAND_bytes(raw, sizeof raw) != 1) {
		con_error_page(out, 503, browser_lang(in), NULL, "err_db");
		return;
	}
	iso(in->now, now);
	id_hash_param(raw, idp);
	if (cookie_get(in->cookie, COOKIE, old) == 0)
		id_hash_param(old, oldp);
	else
		snprintf(oldp, sizeof oldp, "\\x");
	{
		const char *p[5] = {idp, sid, now, oldp, "proxy"};
		res = con_q(db, SQL_LOGIN, 5, p);
	}
	if (!res) {
		con_error_page(out, 503, browser_lang(in), NULL, "err_db");
		return;
	}
	PQclear(res);
	hex(raw, 32, h);
	out->set_cookie[0] = cookie_str(in, COOKIE, h, in->absolute_s);
	OPENSSL_cleanse(h, sizeof h);
	OPENSSL_cleanse(raw, sizeof raw);
	log_info("console", "event=console_login via=proxy staff_id=%s", sid);
	/* Back to the same page, now with the session's cookie (a form
	 * posted on the way carried no CSRF value of this session). */
	{
		char *loc = NULL;
		if (in->method == CON_GET && in->query &&
		    asprintf(&loc, "%s?%s", in->path, in->query) < 0)
			loc = NULL;
		con_redirect(out, loc ? loc : in->method == CON_GET ? in->path : "/console/queue");
		free(loc);
	}
}

void con_logout(struct con_db *db, const struct con_in *in, const struct con_session *s,
		struct con_out *out)
{
	unsigned char raw[32];
	char idp[72], now[TZ_ISO8601_LEN];
	const char *p[2] = {idp, now};
	PGresult *res;

	if (unhex32(s->id_hex, raw) == 0) {
		id_hash_param(raw, idp);
		iso(in->now, now);
		res = con_q(db, SQL_LOGOUT, 2, p);
		PQclear(res);
	}
	out->set_cookie[0] = cookie_str(in, COOKIE, "", 0);
	con_redirect(out, "/console/login");
}
