/* Unit tests for lib/smsseg.c: encoding choice, units and segment counts
 * at every boundary, escape and surrogate pairs never split, bad UTF-8. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "smsseg.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define EURO "\xe2\x82\xac"     /* U+20AC, GSM-7 extension */
#define GA "\xea\xb0\x80"       /* U+AC00 가 */
#define GRIN "\xf0\x9f\x98\x80" /* U+1F600, a surrogate pair in UTF-16 */
#define WON "\xe2\x82\xa9"      /* U+20A9 ₩ */

/* text = a x na + b x nb + c x nc */
static const struct seg_case {
	const char *a;
	int na;
	const char *b;
	int nb;
	const char *c;
	int nc;
	enum smsseg_encoding enc;
	size_t chars, units, segments;
} cases[] = {
	/* empty and tiny */
	{"", 0, "", 0, "", 0, SMSSEG_GSM7, 0, 0, 1},
	{"a", 1, "", 0, "", 0, SMSSEG_GSM7, 1, 1, 1},
	/* GSM-7 single/multi boundaries */
	{"a", 159, "", 0, "", 0, SMSSEG_GSM7, 159, 159, 1},
	{"a", 160, "", 0, "", 0, SMSSEG_GSM7, 160, 160, 1},
	{"a", 161, "", 0, "", 0, SMSSEG_GSM7, 161, 161, 2},
	{"a", 306, "", 0, "", 0, SMSSEG_GSM7, 306, 306, 2},
	{"a", 307, "", 0, "", 0, SMSSEG_GSM7, 307, 307, 3},
	{"a", 459, "", 0, "", 0, SMSSEG_GSM7, 459, 459, 3},
	{"a", 460, "", 0, "", 0, SMSSEG_GSM7, 460, 460, 4},
	{"a", 918, "", 0, "", 0, SMSSEG_GSM7, 918, 918, 6},
	{"a", 919, "", 0, "", 0, SMSSEG_GSM7, 919, 919, 7},
	/* extension characters count two */
	{"a", 158, EURO, 1, "", 0, SMSSEG_GSM7, 159, 160, 1},
	{"a", 159, EURO, 1, "", 0, SMSSEG_GSM7, 160, 161, 2},
	{"{", 80, "", 0, "", 0, SMSSEG_GSM7, 80, 160, 1},
	{"{", 81, "", 0, "", 0, SMSSEG_GSM7, 81, 162, 2},
	{"^", 1, "", 0, "", 0, SMSSEG_GSM7, 1, 2, 1},
	{"}", 1, "", 0, "", 0, SMSSEG_GSM7, 1, 2, 1},
	{"\\", 1, "", 0, "", 0, SMSSEG_GSM7, 1, 2, 1},
	{"[", 1, "", 0, "", 0, SMSSEG_GSM7, 1, 2, 1},
	{"]", 1, "", 0, "", 0, SMSSEG_GSM7, 1, 2, 1},
	{"~", 1, "", 0, "", 0, SMSSEG_GSM7, 1, 2, 1},
	{"|", 1, "", 0, "", 0, SMSSEG_GSM7, 1, 2, 1},
	{"\f", 1, "", 0, "", 0, SMSSEG_GSM7, 1, 2, 1},
	{EURO, 1, "", 0, "", 0, SMSSEG_GSM7, 1, 2, 1},
	/* an escape pair is never split: 152 + [2] + 152 = 306 septets, 3 parts */
	{"a", 152, EURO, 1, "a", 152, SMSSEG_GSM7, 305, 306, 3},
	{"a", 151, EURO, 1, "a", 153, SMSSEG_GSM7, 305, 306, 2},
	{"a", 153, "[", 1, "a", 152, SMSSEG_GSM7, 306, 307, 3},
	/* the whole default alphabet beyond ASCII letters and digits is one septet */
	{"@\xc2\xa3$\xc2\xa5\xc3\xa8\xc3\xa9\xc3\xb9\xc3\xac\xc3\xb2\xc3\x87\n\xc3\x98\xc3\xb8\r"
	 "\xc3\x85\xc3\xa5\xce\x94_\xce\xa6\xce\x93\xce\x9b\xce\xa9\xce\xa0\xce\xa8\xce\xa3\xce\x98"
	 "\xce\x9e\xc3\x86\xc3\xa6\xc3\x9f\xc3\x89",
	 1, "", 0, "", 0, SMSSEG_GSM7, 31, 31, 1},
	{" !\"#\xc2\xa4%&'()*+,-./0123456789:;<=>?\xc2\xa1"
	 "ABCDEFGHIJKLMNOPQRSTUVWXYZ\xc3\x84\xc3\x96\xc3\x91\xc3\x9c\xc2\xa7\xc2\xbf"
	 "abcdefghijklmnopqrstuvwxyz\xc3\xa4\xc3\xb6\xc3\xb1\xc3\xbc\xc3\xa0",
	 1, "", 0, "", 0, SMSSEG_GSM7, 96, 96, 1},
	/* one character outside GSM-7 makes the whole text UCS-2 */
	{"`", 1, "", 0, "", 0, SMSSEG_UCS2, 1, 1, 1},
	{"\xc3\xa7", 1, "", 0, "", 0, SMSSEG_UCS2, 1, 1, 1},     /* ç lower case */
	{"\xc3\xa1", 1, "", 0, "", 0, SMSSEG_UCS2, 1, 1, 1},     /* á */
	{"\xe2\x80\x99", 1, "", 0, "", 0, SMSSEG_UCS2, 1, 1, 1}, /* ’ smart quote */
	{"\t", 1, "", 0, "", 0, SMSSEG_UCS2, 1, 1, 1},
	{"a", 100, GA, 1, "", 0, SMSSEG_UCS2, 101, 101, 2},
	{"a", 69, GA, 1, "", 0, SMSSEG_UCS2, 70, 70, 1},
	{"{", 69, GA, 1, "", 0, SMSSEG_UCS2, 70, 70, 1}, /* no escape cost in UCS-2 */
	{WON "120,000", 1, "", 0, "", 0, SMSSEG_UCS2, 8, 8, 1},
	/* UCS-2 boundaries */
	{GA, 70, "", 0, "", 0, SMSSEG_UCS2, 70, 70, 1},
	{GA, 71, "", 0, "", 0, SMSSEG_UCS2, 71, 71, 2},
	{GA, 134, "", 0, "", 0, SMSSEG_UCS2, 134, 134, 2},
	{GA, 135, "", 0, "", 0, SMSSEG_UCS2, 135, 135, 3},
	{GA, 402, "", 0, "", 0, SMSSEG_UCS2, 402, 402, 6},
	{GA, 403, "", 0, "", 0, SMSSEG_UCS2, 403, 403, 7},
	/* emoji are two UTF-16 code units */
	{"Hello ", 1, GRIN, 1, "", 0, SMSSEG_UCS2, 7, 8, 1},
	{GRIN, 35, "", 0, "", 0, SMSSEG_UCS2, 35, 70, 1},
	{GRIN, 36, "", 0, "", 0, SMSSEG_UCS2, 36, 72, 2},
	{GA, 69, GRIN, 1, "", 0, SMSSEG_UCS2, 70, 71, 2},
	{GA, 68, GRIN, 1, "", 0, SMSSEG_UCS2, 69, 70, 1},
	/* a surrogate pair is never split: 66 + [2] + 66 = 134 units, 3 parts */
	{GA, 66, GRIN, 1, GA, 66, SMSSEG_UCS2, 133, 134, 3},
	{GA, 65, GRIN, 1, GA, 67, SMSSEG_UCS2, 133, 134, 2},
};

static char *build(const struct seg_case *c, size_t *len)
{
	size_t la = strlen(c->a), lb = strlen(c->b), lc = strlen(c->c);
	size_t n = la * (size_t)c->na + lb * (size_t)c->nb + lc * (size_t)c->nc;
	char *s = malloc(n + 1), *p = s;

	ck_assert_ptr_nonnull(s);
	for (int i = 0; i < c->na; i++, p += la)
		memcpy(p, c->a, la);
	for (int i = 0; i < c->nb; i++, p += lb)
		memcpy(p, c->b, lb);
	for (int i = 0; i < c->nc; i++, p += lc)
		memcpy(p, c->c, lc);
	*p = '\0';
	*len = n;
	return s;
}

START_TEST(test_count)
{
	const struct seg_case *c = &cases[_i];
	struct smsseg_info info;
	size_t len;
	char *s = build(c, &len);

	ck_assert_msg(smsseg_count(s, len, &info) == 0, "case %d: rejected", _i);
	ck_assert_msg(info.encoding == c->enc, "case %d: encoding %s", _i,
		      smsseg_encoding_name(info.encoding));
	ck_assert_msg(info.chars == c->chars, "case %d: chars %zu, want %zu", _i, info.chars,
		      c->chars);
	ck_assert_msg(info.units == c->units, "case %d: units %zu, want %zu", _i, info.units,
		      c->units);
	ck_assert_msg(info.segments == c->segments, "case %d: segments %zu, want %zu", _i,
		      info.segments, c->segments);
	free(s);
}
END_TEST

static const char *const bad_utf8[] = {
	"\xff",
	"\xfe",
	"\x80",
	"a\xbf",
	"\xc0\xaf",
	"\xc1\xbf",
	"\xe0\x80\xaf",
	"\xf0\x80\x80\xaf",
	"\xed\xa0\x80",
	"\xed\xbf\xbf",
	"\xf4\x90\x80\x80",
	"\xf5\x80\x80\x80",
	"\xf8\x88\x80\x80\x80",
	"\xe2\x82",
	"a\xc3",
	"\xf0\x9f\x98",
	"\xc3\x28",
	"\xe2\x28\xa1",
};

START_TEST(test_bad_utf8)
{
	struct smsseg_info info;

	ck_assert_msg(smsseg_count(bad_utf8[_i], strlen(bad_utf8[_i]), &info) == -1,
		      "bad case %d accepted", _i);
}
END_TEST

/* Only len bytes are looked at: a cut inside a sequence is an error, a
 * cut after it is not. */
START_TEST(test_len_bounds)
{
	struct smsseg_info info;

	ck_assert_int_eq(smsseg_count("abc" EURO "zz", 3, &info), 0);
	ck_assert_int_eq(info.encoding, SMSSEG_GSM7);
	ck_assert_uint_eq(info.units, 3);
	ck_assert_int_eq(smsseg_count("abc" EURO "zz", 5, &info), -1);
	ck_assert_int_eq(smsseg_count("abc" EURO "zz", 6, &info), 0);
	ck_assert_uint_eq(info.units, 5);
	ck_assert_int_eq(smsseg_count(NULL, 0, &info), 0);
	ck_assert_uint_eq(info.segments, 1);
}
END_TEST

static const struct {
	unsigned long cp;
	int width;
} widths[] = {
	{'A', 1},    {'z', 1},    {'0', 1},    {'9', 1},     {'@', 1},    {' ', 1},
	{'\n', 1},   {'\r', 1},   {'_', 1},    {0x00A3, 1},  {0x00E0, 1}, {0x03A9, 1},
	{0x00C7, 1}, {0x00DF, 1}, {'^', 2},    {'{', 2},     {'}', 2},    {'\\', 2},
	{'[', 2},    {']', 2},    {'~', 2},    {'|', 2},     {0x0C, 2},   {0x20AC, 2},
	{'`', 0},    {'\t', 0},   {0x00, 0},   {0x7F, 0},    {0x00E7, 0}, {0x00E1, 0},
	{0x2019, 0}, {0x03B1, 0}, {0xAC00, 0}, {0x1F600, 0}, {0x20A9, 0}, {0x00A0, 0},
};

START_TEST(test_gsm7_width)
{
	ck_assert_msg(smsseg_gsm7_width(widths[_i].cp) == widths[_i].width, "U+%04lX: %d, want %d",
		      widths[_i].cp, smsseg_gsm7_width(widths[_i].cp), widths[_i].width);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(smsseg_encoding_name(SMSSEG_GSM7), "GSM-7");
	ck_assert_str_eq(smsseg_encoding_name(SMSSEG_UCS2), "UCS-2");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("smsseg");
	TCase *tc = tcase_create("smsseg");

	tcase_add_loop_test(tc, test_count, 0, N(cases));
	tcase_add_loop_test(tc, test_bad_utf8, 0, N(bad_utf8));
	tcase_add_test(tc, test_len_bounds);
	tcase_add_loop_test(tc, test_gsm7_width, 0, N(widths));
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
