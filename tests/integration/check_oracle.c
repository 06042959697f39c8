/* The oracle: a random book (1 to 4 invoices per account, some not yet
 * due, some accounts in two currencies, partial and full payments,
 * disputes upheld and rejected, payment plans kept and broken) of
 * customers in Seoul, Tokyo, Shanghai, New York and UTC who read en, ko,
 * ja or zh and are reached by email, by SMS or both, walked through 40
 * simulated days with dunnd --once --at. Every message that reaches the
 * real SMTP sink or the real gateway simulator is checked against what
 * this file computes on its own (a model of the book in C, each locale's
 * money written here, never the daemon's SQL or ICU): the amount a
 * reminder states, overdue counted by the customer's own local date;
 * that an account with nothing overdue is never reminded; and that a
 * receipt comes only once everything overdue is cleared, one per
 * clearing. The runs move
 * through the day (23:30, 02:00 and 13:30 UTC), so each zone is reached
 * on a local date that is now ahead of UTC's, now behind it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tuhttp.h"

#define ACCOUNTS 300
#define DAYS 40
#define MAX_INV 4

enum { USD, KRW, JPY, CNY, NCUR };
static const char *const CUR[] = {"USD", "KRW", "JPY", "CNY"};
static const int EXP[] = {2, 0, 0, 2};
/* What the daemon lists them in: by currency code. */
static const int CUR_ORDER[] = {CNY, JPY, KRW, USD};

enum { EN, KO, JA, ZH, NLOC };
static const char *const LOCALE[] = {"en-US", "ko-KR", "ja-JP", "zh-CN"};
/* Each locale's own currency, and the second one of a two-currency account. */
static const int HOME[] = {USD, KRW, JPY, CNY};
static const int SECOND[] = {KRW, USD, USD, USD};
/* The symbol each locale writes before the digits (CLDR's conventions):
 * a Korean reader sees US$ where an American sees $; Japanese uses the
 * full-width yen sign and Chinese the plain one. NULL: never used here. */
static const char *const SYMBOL[NLOC][NCUR] = {
	[EN] = {[USD] = "$", [KRW] = "₩"},
	[KO] = {[USD] = "US$", [KRW] = "₩"},
	[JA] = {[USD] = "$", [JPY] = "￥"},
	[ZH] = {[USD] = "US$", [CNY] = "¥"},
};
/* Korean and Japanese bills write their own currency after the digits
 * (money_style "unit", the default for ko and ja). */
static const char *const UNIT[NLOC][NCUR] = {
	[KO] = {[KRW] = "원"},
	[JA] = {[JPY] = "円"},
};

enum { SEOUL, TOKYO, SHANGHAI, NEW_YORK, ZUTC, NZONE };
static const char *const ZONE[] = {"Asia/Seoul", "Asia/Tokyo", "Asia/Shanghai", "America/New_York",
				   "UTC"};
/* UTC offsets over November and December 2026 (New York left daylight
 * time on 1 November at 06:00 UTC, before the first run). */
static const int ZONE_OFFSET_H[] = {9, 9, 8, -5, 0};

enum { BY_EMAIL, BY_SMS, BY_BOTH };

struct inv {
	char ref[24];
	int cur;
	long long amount, paid; /* minor units */
	int due;                /* day number: 0 = 2026-11-01 */
	int disputed, upheld;
};

struct acct {
	int n;
	struct inv v[MAX_INV];
	int loc, zone, reach;
	/* the events of this account: day or -1 */
	int pay_day, pay_inv, pay_pct;
	int rest_day, rest_inv;
	int disp_day, disp_inv, disp_end, disp_upheld;
	int plan; /* 0 none, 1 kept, 2 broken */
	int plan_cur;
	long long plan_amount[2];
	long long plan_id;
};

static struct acct book[ACCOUNTS];
static char *dir, *cfg, *conninfo;
static PGconn *db;
static unsigned long long rng = 15;

static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng >> 33) % n);
}

/* Day number -> YYYY-MM-DD (November 2026 onwards; days may be negative). */
static void day_str(int day, char *out, size_t len)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = 2026, m = 11, d = 1 + day;

	while (d < 1) {
		if (--m == 0) {
			m = 12;
			y--;
		}
		d += mdays[m - 1];
	}
	while (d > mdays[m - 1]) {
		d -= mdays[m - 1];
		if (++m == 13) {
			m = 1;
			y++;
		}
	}
	snprintf(out, len, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
}

/* An instant as seconds since 2026-11-01T00:00:00Z. */
static void at_str(long t, char *out, size_t len)
{
	char d[16];
	long day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	long sec = t - day * 86400;

	day_str((int)day, d, sizeof d);
	snprintf(out, len, "%sT%02u:%02u:00Z", d, (unsigned)(sec / 3600) % 100u,
		 (unsigned)(sec / 60 % 60) % 100u);
}

/* The run of simulated day s: 23:30 (Seoul, Tokyo and Shanghai are on
 * the next date), 02:00 (New York still on the previous one) and 13:30
 * UTC (UTC and New York), in turn; the contact window is 07:00-22:00. */
static long run_at(int s)
{
	static const long hm[] = {23 * 3600 + 1800, 2 * 3600, 13 * 3600 + 1800};
	return (long)s * 86400 + hm[s % 3];
}

/* The customer's local date (a day number) at instant t. */
static int local_day(const struct acct *a, long t)
{
	long l = t + ZONE_OFFSET_H[a->zone] * 3600L;
	return (int)(l >= 0 ? l / 86400 : -((-l + 86399) / 86400));
}

static long long owed(const struct inv *i)
{
	long long due = i->upheld ? 0 : i->amount;
	return due > i->paid ? due - i->paid : 0;
}

/* "$1,234.56", "US$1,234.56", "￥5,000": the symbol, digits grouped by
 * three with ",", and the currency's decimals, as all four locales write
 * them. */
static void fmt(int loc, int cur, long long minor, char *out, size_t len)
{
	char digits[32], grouped[48];
	long long unit = EXP[cur] == 2 ? 100 : 1;
	int n, k = 0;

	ck_assert_msg(SYMBOL[loc][cur] != NULL || UNIT[loc][cur] != NULL, "%s in %s", CUR[cur],
		      LOCALE[loc]);
	n = snprintf(digits, sizeof digits, "%lld", minor / unit);
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			grouped[k++] = ',';
		grouped[k++] = digits[i];
	}
	grouped[k] = '\0';
	if (UNIT[loc][cur])
		snprintf(out, len, "%s%s", grouped, UNIT[loc][cur]);
	else if (unit > 1)
		snprintf(out, len, "%s%s.%02lld", SYMBOL[loc][cur], grouped, minor % unit);
	else
		snprintf(out, len, "%s%s", SYMBOL[loc][cur], grouped);
}

/* What the model says a reminder must state when the customer's local
 * date is today; "" when nothing is overdue. Each currency on its own,
 * in currency-code order, joined by " + ". */
static void expected(const struct acct *a, int today, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (int o = 0; o < NCUR; o++) {
		long long sum = 0;
		char one[64];
		for (int k = 0; k < a->n; k++)
			if (a->v[k].cur == CUR_ORDER[o] && !a->v[k].disputed && a->v[k].due < today)
				sum += owed(&a->v[k]);
		if (sum == 0)
			continue;
		fmt(a->loc, CUR_ORDER[o], sum, one, sizeof one);
		used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " + " : "", one);
	}
}

static void amount_str(int cur, long long minor, char *out, size_t len)
{
	if (EXP[cur] == 2)
		snprintf(out, len, "%lld.%02lld", minor / 100, minor % 100);
	else
		snprintf(out, len, "%lld", minor);
}

static void gen_book(void)
{
	char accounts[ACCOUNTS * 128 + 128], invoices[ACCOUNTS * MAX_INV * 64 + 128];
	size_t na = 0, ni = 0;

	na += (size_t)snprintf(accounts + na, sizeof accounts - na,
			       "account_ref,name,email,phone,locale,timezone,segment\n");
	ni += (size_t)snprintf(invoices + ni, sizeof invoices - ni,
			       "invoice_ref,account_ref,amount,currency,due_date,description\n");
	for (int i = 0; i < ACCOUNTS; i++) {
		static const char *const CC[] = {"+1202555", "+82105555", "+81905555", "+8613855"};
		struct acct *a = &book[i];
		int two = rnd(5) == 0, used_due[64] = {0};
		char email[32] = "", phone[32] = "";
		memset(a, 0, sizeof *a);
		a->loc = i % NLOC;
		a->zone = i / NLOC % NZONE;
		a->reach = i / (NLOC * NZONE) % 3;
		a->n = 1 + (int)rnd(MAX_INV);
		if (a->reach != BY_SMS)
			snprintf(email, sizeof email, "o%d@oracle.test", i);
		if (a->reach != BY_EMAIL)
			snprintf(phone, sizeof phone, "%s%04d", CC[a->loc], i);
		na += (size_t)snprintf(accounts + na, sizeof accounts - na,
				       "O-%d,Customer %d,%s,%s,%s,%s,retail\n", i, i, email, phone,
				       LOCALE[a->loc], ZONE[a->zone]);
		for (int k = 0; k < a->n; k++) {
			struct inv *v = &a->v[k];
			char due[16], amt[32];
			do /* distinct due dates: the plan's oldest-first order is clear */
				v->due = (int)rnd(45) - 12;
			while (used_due[v->due + 12]);
			used_due[v->due + 12] = 1;
			v->cur = two && k == a->n - 1 && a->n > 1 ? SECOND[a->loc] : HOME[a->loc];
			v->amount = v->cur == KRW ? 5000 + rnd(495000) : 500 + rnd(49500);
			snprintf(v->ref, sizeof v->ref, "I-%d-%d", i, k);
			day_str(v->due, due, sizeof due);
			amount_str(v->cur, v->amount, amt, sizeof amt);
			ni += (size_t)snprintf(invoices + ni, sizeof invoices - ni,
					       "%s,O-%d,%s,%s,%s,\n", v->ref, i, amt, CUR[v->cur],
					       due);
		}
		a->pay_day = rnd(2) ? (int)rnd(DAYS) : -1;
		a->pay_inv = (int)rnd((unsigned)a->n);
		a->pay_pct = 10 + (int)rnd(90);
		a->rest_day = rnd(6) == 0 ? (int)rnd(DAYS) : -1;
		a->rest_inv = (int)rnd((unsigned)a->n);
		a->disp_day = rnd(7) == 0 ? (int)rnd(DAYS - 5) : -1;
		a->disp_inv = (int)rnd((unsigned)a->n);
		a->disp_end = a->disp_day + 2 + (int)rnd(8);
		a->disp_upheld = (int)rnd(2);
		a->plan = i % 20 == 7 ? (i % 40 == 7 ? 1 : 2) : 0;
	}
	tu_import(cfg, dir, accounts, invoices);
}

static void pay(int i, int k, long long amount, const char *at)
{
	struct inv *v = &book[i].v[k];
	char amt[32];

	amount_str(v->cur, amount, amt, sizeof amt);
	ck_assert_msg(tu_sh("dunnctl -c %s pay %s --amount %s --at %s", cfg, v->ref, amt, at) == 0,
		      "%s", tu_output());
	v->paid += amount;
}

/* A plan instalment: the ledger spreads it over the unpaid, undisputed
 * invoices of its currency, oldest due first. */
static void plan_pay(int i, int seq, const char *at)
{
	struct acct *a = &book[i];
	long long left = a->plan_amount[seq];
	char sql[128];

	/* A payment the same day may have settled the case before the plan
	 * began: the plan then ended with it. */
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM dunning.payment_plans WHERE id = %lld AND status = 'active'",
		 a->plan_id);
	if (tu_qint(db, sql) == 0) {
		a->plan = 0;
		return;
	}
	ck_assert_msg(tu_sh("dunnctl -c %s plan pay %lld --at %s", cfg, a->plan_id, at) == 0, "%s",
		      tu_output());
	while (left > 0) {
		struct inv *best = NULL;
		for (int k = 0; k < a->n; k++) {
			struct inv *v = &a->v[k];
			if (!v->disputed && owed(v) > 0 && v->cur == a->plan_cur &&
			    (!best || v->due < best->due))
				best = v;
		}
		if (!best)
			break;
		long long p = owed(best) < left ? owed(best) : left;
		best->paid += p;
		left -= p;
	}
}

static void plan_open(int i, int day, const char *at)
{
	struct acct *a = &book[i];
	char first[16], sql[256];
	long long total = 0;
	int cur = -1;

	for (int k = 0; k < a->n; k++) {
		if (a->v[k].disputed || owed(&a->v[k]) == 0)
			continue;
		if (cur >= 0 && a->v[k].cur != cur) {
			a->plan = 0; /* several currencies: dunnctl offers no plan */
			return;
		}
		cur = a->v[k].cur;
		total += owed(&a->v[k]);
	}
	a->plan_cur = cur;
	snprintf(sql, sizeof sql,
		 "SELECT count(*) FROM dunning.cases c JOIN dunning.accounts a ON a.id = "
		 "c.account_id WHERE a.external_ref = 'O-%d' AND c.state = 'active'",
		 i);
	if (total < 2 || tu_qint(db, sql) != 1) {
		a->plan = 0;
		return;
	}
	day_str(day + 1, first, sizeof first);
	ck_assert_msg(tu_sh("dunnctl -c %s plan O-%d --instalments 2 --every 7 --first %s --at %s",
			    cfg, i, first, at) == 0,
		      "%s", tu_output());
	snprintf(sql, sizeof sql,
		 "SELECT p.id FROM dunning.payment_plans p JOIN dunning.accounts a ON a.id = "
		 "p.account_id WHERE a.external_ref = 'O-%d'",
		 i);
	a->plan_id = tu_qint(db, sql);
	a->plan_amount[0] = total / 2;
	a->plan_amount[1] = total - total / 2;
}

/* The day's events, an hour before the daemon's run. */
static void events(int day)
{
	char at[32];

	at_str(run_at(day) - 3600, at, sizeof at);
	for (int i = 0; i < ACCOUNTS; i++) {
		struct acct *a = &book[i];
		if (a->pay_day == day && owed(&a->v[a->pay_inv]) > 0 &&
		    !a->v[a->pay_inv].disputed) {
			long long p = owed(&a->v[a->pay_inv]) * a->pay_pct / 100;
			if (p > 0)
				pay(i, a->pay_inv, p, at);
		}
		if (a->rest_day == day && owed(&a->v[a->rest_inv]) > 0 &&
		    !a->v[a->rest_inv].disputed)
			pay(i, a->rest_inv, owed(&a->v[a->rest_inv]), at);
		if (a->disp_day == day) {
			struct inv *v = &a->v[a->disp_inv];
			if (owed(v) > 0 && v->paid == 0 && !v->disputed) {
				ck_assert_msg(
					tu_sh("dunnctl -c %s dispute %s --reason oracle --at %s",
					      cfg, v->ref, at) == 0,
					"%s", tu_output());
				v->disputed = 1;
			} else {
				a->disp_day = -1;
			}
		}
		if (a->disp_day >= 0 && a->disp_end == day) {
			struct inv *v = &a->v[a->disp_inv];
			char sql[256], *ref;
			snprintf(
				sql, sizeof sql,
				"SELECT d.reference FROM dunning.disputes d JOIN dunning.invoices i "
				"ON i.id = d.invoice_id WHERE i.external_ref = '%s'",
				v->ref);
			ref = tu_qstr(db, sql);
			ck_assert_msg(tu_sh("dunnctl -c %s dispute %s %s --at %s", cfg,
					    a->disp_upheld ? "uphold" : "reject", ref, at) == 0,
				      "%s", tu_output());
			free(ref);
			v->disputed = 0;
			v->upheld = a->disp_upheld;
		}
		if (a->plan && day == 15)
			plan_open(i, day, at);
		if (a->plan && a->plan_id && day == 16)
			plan_pay(i, 0, at);
		if (a->plan == 1 && a->plan_id && day == 23)
			plan_pay(i, 1, at);
	}
}

/* Does text match pat, where "*" is any run of characters and "{}" the
 * amount (one or more characters, shortest first, stored in *cap)? */
static int match(const char *pat, const char *text, const char **cap, size_t *caplen)
{
	if (!*pat)
		return !*text;
	if (pat[0] == '{' && pat[1] == '}') {
		for (size_t n = 1; n <= strlen(text); n++)
			if (match(pat + 2, text + n, cap, caplen)) {
				*cap = text;
				*caplen = n;
				return 1;
			}
		return 0;
	}
	if (*pat == '*') {
		for (size_t n = 0; n <= strlen(text); n++)
			if (match(pat + 1, text + n, cap, caplen))
				return 1;
		return 0;
	}
	return *pat == *text && match(pat + 1, text + 1, cap, caplen);
}

enum { CH_EMAIL, CH_SMS, NCH };
static const char *const CH_NAME[] = {"email", "sms"};

/* The shipped templates' reminders (gentle, firm, urgent, final) with
 * the amount as {}, written out here: the subject of a mail, the whole
 * text of an SMS. The brand is the test config's company. */
#define NFORM 4
static const char *const REMINDER[NCH][NLOC][NFORM] = {
	[CH_EMAIL] =
		{
			[EN] = {"A friendly reminder: {} is due", "Your payment of {} is overdue",
				"Second reminder: {} is still overdue",
				"Final reminder: {} overdue on account *"},
			[KO] = {"납부 안내: {} 결제 기한이 지났습니다", "{} 미납 *일째 안내",
				"재안내: {} 미납 *일째", "최종 안내: 계정 * 미납액 {}"},
			[JA] = {"お支払いのお願い：{}のお支払い期限が過ぎています",
				"{}のお支払いが*日遅れています",
				"再度のご案内：{}のお支払いが*日遅れています",
				"最終のご案内：アカウント * の未払い金 {}"},
			[ZH] = {"付款提醒：{} 已到期", "您的 {} 付款已逾期 * 天",
				"再次提醒：您的 {} 付款已逾期 * 天", "最后提醒：账户 * 逾期 {}"},
		},
	[CH_SMS] =
		{
			[EN] = {"Test Telecom: A friendly reminder that {} is due on your account. *",
				"Test Telecom: {} on your account is overdue, the oldest part for * days. *",
				"Test Telecom: Second reminder: {} is still overdue (* days). *",
				"Test Telecom: Final notice. {} is still unpaid. *"},
			/* Two parts leave ko, ja and zh room for the amount or the
			 * deadline: the later texts name the deadline only. */
			[KO] = {"[Test Telecom] {} 납부 기한이 지났습니다. *",
				"[Test Telecom] {}, *일째 미납입니다. *",
				"[Test Telecom] 재안내: *", "[Test Telecom] 최종 안내: *"},
			[JA] = {"【Test Telecom】{}のお支払いをお願いいたします。*",
				"【Test Telecom】{}のご入金が未確認です。*",
				"【Test Telecom】再度のご案内：*",
				"【Test Telecom】最終のご案内：*"},
			[ZH] = {"【Test Telecom】温馨提醒：您有{}账单已逾期，*",
				"【Test Telecom】您有{}已逾期*天，*", "【Test Telecom】再次提醒：*",
				"【Test Telecom】最后通知：*"},
		},
};

/* Everything else this book makes the daemon send: receipts (first) and
 * the answers to disputes. A message that is none of these is a failure. */
static const char *const OTHER[NCH][NLOC][4] = {
	[CH_EMAIL] =
		{
			[EN] = {"Thank you: payment received for account *",
				"We are looking into your dispute (*)",
				"Your dispute *: our findings",
				"Your dispute *: resolved in your favour"},
			[KO] = {"납부 확인: 계정 *", "이의 신청이 접수되었습니다 (*)",
				"이의 신청 * 처리 결과 안내",
				"이의 신청 * 처리 결과: 청구가 취소되었습니다"},
			[JA] = {"ご入金確認のお知らせ：アカウント *",
				"お問い合わせを受け付けました（*）", "お問い合わせ * の確認結果",
				"お問い合わせ * の結果：ご請求を取り消しました"},
			[ZH] = {"付款确认：账户 *", "我们已收到您的异议（*）", "异议 * 核实结果",
				"异议 * 处理结果：费用已取消"},
		},
	[CH_SMS] =
		{
			[EN] = {"Test Telecom: Thank you, we have received your payment of *",
				"Test Telecom: We have received your dispute *",
				"Test Telecom: We reviewed invoice *",
				"Test Telecom: Your dispute * is resolved in your favour. *"},
			[KO] = {"[Test Telecom] * 납부 확인, 감사합니다. *",
				"[Test Telecom] 이의 신청(*)이 접수되었습니다. *",
				"[Test Telecom] 이의 신청 검토 결과 청구 내용에 이상이 없습니다. *",
				"[Test Telecom] 이의 신청(*)에 따라 * 청구를 취소했습니다. *"},
			[JA] = {"【Test Telecom】*のお支払いを確認しました。*",
				"【Test Telecom】お問い合わせ（*）を承りました。*",
				"【Test Telecom】お問い合わせの件、ご請求に誤りはございませんでした。*",
				"【Test Telecom】お問い合わせ（*）の結果、*のご請求を取り消しました。*"},
			[ZH] = {"【Test Telecom】已收到您支付的*",
				"【Test Telecom】已收到您的账单异议（*",
				"【Test Telecom】您的异议经核实，账单费用无误。*",
				"【Test Telecom】您的异议（*）已核实，*"},
		},
};

static struct {
	long long reminders[NCH], others[NCH], by_loc[NLOC], by_zone[NZONE];
	long long local_differs; /* reminders where the UTC date would be wrong */
	long long receipts[NCH];
	long receipt_at[ACCOUNTS][NCH]; /* instant of the last receipt + 1 */
} seen;

/* One captured message to account i on channel ch at instant t. */
static void check_message(int i, int ch, const char *text, long t)
{
	const struct acct *a = &book[i];
	const char *cap = NULL;
	size_t caplen = 0;
	char at[32], want[160], by_utc[160];

	at_str(t, at, sizeof at);
	for (int f = 0; f < NFORM; f++) {
		cap = NULL;
		if (!match(REMINDER[ch][a->loc][f], text, &cap, &caplen))
			continue;
		expected(a, local_day(a, t), want, sizeof want);
		ck_assert_msg(*want, "%s: O-%d reminded by %s with nothing overdue: %s", at, i,
			      CH_NAME[ch], text);
		if (!cap) { /* a text that names the deadline, not the amount */
			seen.reminders[ch]++;
			return;
		}
		ck_assert_msg(strlen(want) == caplen && !memcmp(cap, want, caplen),
			      "%s: O-%d (%s, %s) told %.*s by %s, owes %s: %s", at, i,
			      LOCALE[a->loc], ZONE[a->zone], (int)caplen, cap, CH_NAME[ch], want,
			      text);
		expected(a, (int)(t / 86400), by_utc, sizeof by_utc);
		seen.local_differs += strcmp(want, by_utc) != 0;
		seen.reminders[ch]++;
		seen.by_loc[a->loc]++;
		seen.by_zone[a->zone]++;
		return;
	}
	for (int f = 0; f < 4; f++) {
		if (!match(OTHER[ch][a->loc][f], text, &cap, &caplen))
			continue;
		seen.others[ch]++;
		if (f > 0)
			return;
		/* A receipt: only once everything overdue is cleared, and one
		 * per clearing (so never two in a run). */
		expected(a, local_day(a, t), want, sizeof want);
		ck_assert_msg(!*want, "%s: O-%d sent a receipt by %s while %s is overdue: %s", at,
			      i, CH_NAME[ch], want, text);
		ck_assert_msg(seen.receipt_at[i][ch] != t + 1, "%s: O-%d sent two receipts by %s",
			      at, i, CH_NAME[ch]);
		seen.receipt_at[i][ch] = t + 1;
		seen.receipts[ch]++;
		return;
	}
	ck_abort_msg("%s: O-%d got an unknown %s: %s", at, i, CH_NAME[ch], text);
}

static const char PARSE_DAY[] =
	"import email, email.policy, glob, sys\n"
	"for f in sorted(glob.glob(sys.argv[1] + \"/*.eml\")):\n"
	"    m = email.message_from_binary_file(open(f, \"rb\"), policy=email.policy.default)\n"
	"    print(m[\"to\"].addresses[0].addr_spec + \"\\t\" + str(m[\"subject\"]))\n";

/* The day's mail, parsed by Python's email package in one run. */
static void check_mail(long t)
{
	char *out, *save = NULL;

	ck_assert_int_eq(tu_sh("/usr/bin/python3 -c '%s' '%s'", PARSE_DAY, tu_env("DUNN_MAILDIR")),
			 0);
	out = strdup(tu_output());
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		int i;
		ck_assert_msg(tab && sscanf(line, "o%d@oracle.test", &i) == 1 && i >= 0 &&
				      i < ACCOUNTS && book[i].reach != BY_SMS,
			      "mail: %s", line);
		check_message(i, CH_EMAIL, tab + 1, t);
	}
	free(out);
}

/* The day's texts, as the gateway simulator logged them. */
static void check_sms(long t)
{
	json_t *log = tu_sim_log(), *r;
	size_t k;

	json_array_foreach(log, k, r)
	{
		json_t *f = json_object_get(r, "fields");
		const char *to = json_string_value(json_object_get(f, "to"));
		const char *body = json_string_value(json_object_get(f, "body"));
		size_t n = to ? strlen(to) : 0;
		int i = n > 4 ? atoi(to + n - 4) : -1;
		ck_assert_msg(body && i >= 0 && i < ACCOUNTS && book[i].reach != BY_EMAIL,
			      "sms to %s: %s", to ? to : "?", body ? body : "?");
		ck_assert_int_eq(json_integer_value(json_object_get(r, "status")), 201);
		check_message(i, CH_SMS, body, t);
	}
	json_decref(log);
}

/* Every reminder and receipt on both channels; the window 07:00-22:00
 * local, so each run reaches three or four of the five zones; a minimum
 * balance of one minor unit, so every amount owed is stated. */
#define CONSEQUENCE                                                                                          \
	"{\"en\": \"Unpaid after {{ deadline }}, the service may be suspended.\", "                          \
	"\"ko\": \"{{ deadline }}까지 납부되지 않으면 서비스가 정지될 수 있습니다.\", " \
	"\"ja\": \"{{ deadline }}を過ぎるとサービスを停止することがあります。\", "     \
	"\"zh\": \"如 {{ deadline }} 后仍未付款，服务可能会被暂停。\"}"
static const char POLICY[] =
	"{\n"
	"  \"grace_days\": 3,\n"
	"  \"contact_window\": {\"start\": \"07:00\", \"end\": \"22:00\", \"weekdays_only\": false},\n"
	"  \"min_balance\": {\"USD\": \"0.01\", \"KRW\": \"1\", \"JPY\": \"1\", \"CNY\": \"0.01\"},\n"
	"  \"recheck_hours\": 24,\n"
	"  \"step_gap_hours\": 24,\n"
	"  \"confirmation\": {\"template\": \"payment_received\", \"channels\": [\"email\", \"sms\"]},\n"
	"  \"tracks\": [\n"
	"    {\"name\": \"repeat\", \"when\": {\"min_prior_cycles\": 1}, \"steps\": [\n"
	"      {\"after_days\": 3, \"channels\": [\"email\", \"sms\"], \"template\": \"firm\"},\n"
	"      {\"after_days\": 7, \"channels\": [\"email\", \"sms\"], \"template\": \"urgent\",\n"
	"       \"deadline_days\": 7},\n"
	"      {\"after_days\": 14, \"channels\": [\"email\", \"sms\"], \"template\": \"final\",\n"
	"       \"deadline_days\": 7, \"consequence\": " CONSEQUENCE "}]},\n"
	"    {\"name\": \"first_time\", \"steps\": [\n"
	"      {\"after_days\": 3, \"channels\": [\"email\", \"sms\"], \"template\": \"gentle\"},\n"
	"      {\"after_days\": 10, \"channels\": [\"email\", \"sms\"], \"template\": \"firm\"},\n"
	"      {\"after_days\": 21, \"channels\": [\"email\", \"sms\"], \"template\": \"final\",\n"
	"       \"deadline_days\": 7, \"consequence\": " CONSEQUENCE "}]}]\n"
	"}\n";

static void setup(void)
{
	char *ch = NULL;

	dir = tu_tmpdir();
	conninfo = tu_newdb("oracle");
	free(tu_file(dir, "sms_token", "sms-test-token-0123456789\n"));
	ck_assert(
		asprintf(&ch,
			 "{\"sms\": {\"module\": \"sms\", \"provider\": \"generic\", \"api_base\": "
			 "\"%s\", \"auth_token_file\": \"sms_token\", \"from\": \"+15005550006\", "
			 "\"timeout_ms\": 5000}}",
			 tu_env("DUNN_GATEWAY")) > 0);
	cfg = tu_config_channels(dir, conninfo, POLICY, ch);
	free(ch);
	tu_migrate(cfg);
	db = tu_connect(conninfo);
	free(tu_sim_call("POST", "/_reset", "{}"));
}

static void teardown(void)
{
	tu_teardown(db, dir, cfg, conninfo);
}

START_TEST(every_amount_as_computed_here)
{
	long long plans = 0;
	double t0 = tu_now_s();

	gen_book();
	for (int day = 0; day < DAYS; day++) {
		char at[32];
		long t = run_at(day);
		tu_mail_clear();
		free(tu_sim_call("POST", "/_reset", "{}"));
		events(day);
		at_str(t, at, sizeof at);
		tu_run_once(cfg, at);
		check_mail(t);
		check_sms(t);
	}
	for (int i = 0; i < ACCOUNTS; i++)
		plans += book[i].plan_id != 0;
	fprintf(stderr,
		"oracle: %d accounts, %d days, %.0f s; reminders checked: %lld email, %lld sms "
		"(en %lld, ko %lld, ja %lld, zh %lld; Seoul %lld, Tokyo %lld, Shanghai %lld, "
		"New York %lld, UTC %lld; %lld where the UTC date would differ); other messages: "
		"%lld email, %lld sms (receipts %lld, %lld); %lld plans\n",
		ACCOUNTS, DAYS, tu_now_s() - t0, seen.reminders[CH_EMAIL], seen.reminders[CH_SMS],
		seen.by_loc[EN], seen.by_loc[KO], seen.by_loc[JA], seen.by_loc[ZH],
		seen.by_zone[SEOUL], seen.by_zone[TOKYO], seen.by_zone[SHANGHAI],
		seen.by_zone[NEW_YORK], seen.by_zone[ZUTC], seen.local_differs,
		seen.others[CH_EMAIL], seen.others[CH_SMS], seen.receipts[CH_EMAIL],
		seen.receipts[CH_SMS], plans);
	ck_assert_int_gt(seen.reminders[CH_EMAIL], ACCOUNTS / 2);
	ck_assert_int_gt(seen.reminders[CH_SMS], ACCOUNTS / 2);
	for (int l = 0; l < NLOC; l++)
		ck_assert_int_gt(seen.by_loc[l], 20);
	for (int z = 0; z < NZONE; z++)
		ck_assert_int_gt(seen.by_zone[z], 20);
	ck_assert_int_gt(seen.local_differs, 0);
	ck_assert_int_gt(seen.receipts[CH_EMAIL], 0);
	ck_assert_int_gt(seen.receipts[CH_SMS], 0);
	ck_assert_int_gt(plans, 0);
	ck_assert_int_gt(
		tu_qint(db, "SELECT count(*) FROM dunning.disputes WHERE status = 'upheld'"), 0);
	ck_assert_int_gt(
		tu_qint(db, "SELECT count(*) FROM dunning.disputes WHERE status = 'rejected'"), 0);
	ck_assert_int_gt(tu_qint(db,
				 "SELECT count(*) FROM dunning.payment_plans "
				 "WHERE status = 'broken'"),
			 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("oracle");
	TCase *tc = tcase_create("oracle");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 1500);
	tcase_add_test(tc, every_amount_as_computed_here);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
