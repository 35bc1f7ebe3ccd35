/* Structured logging: escaping in both formats, levels, the release
 * convention. Output goes to a memory stream. */
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/log.h"

static double fixed_clock(void)
{
	return 1795694400.25; /* 2026-11-26T12:00:00.250Z */
}

struct sink {
	FILE *f;
	char *buf;
	size_t len;
};

static struct ctl_log *open_sink(struct sink *s, enum ctl_log_format fmt, bool with_time)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	struct ctl_log *lg = ctl_log_new(s->f, fmt, CTL_LOG_DEBUG);
	ctl_log_set_clock(lg, with_time ? fixed_clock : NULL);
	return lg;
}

static void close_sink(struct sink *s)
{
	fclose(s->f);
	free(s->buf);
}

/* One row per value: how logfmt and JSON must write it. */
static const struct {
	const char *name;
	const char *value;
	const char *logfmt;
	const char *json;
} values[] = {
    {"plain", "web-7f9c", "v=web-7f9c", "\"v\":\"web-7f9c\""},
    {"empty", "", "v=\"\"", "\"v\":\"\""},
    {"NULL", NULL, "v=\"\"", "\"v\":\"\""},
    {"space", "two words", "v=\"two words\"", "\"v\":\"two words\""},
    {"equals", "a=b", "v=\"a=b\"", "\"v\":\"a=b\""},
    {"quote", "say \"hi\"", "v=\"say \\\"hi\\\"\"", "\"v\":\"say \\\"hi\\\"\""},
    {"backslash", "C:\\x", "v=\"C:\\\\x\"", "\"v\":\"C:\\\\x\""},
    {"newline", "a\nb", "v=\"a\\nb\"", "\"v\":\"a\\nb\""},
    {"tab and cr", "a\tb\r", "v=\"a\\tb\\r\"", "\"v\":\"a\\tb\\r\""},
    {"control",
     "a\x01"
     "b",
     "v=\"a\\u0001b\"", "\"v\":\"a\\u0001b\""},
    {"del", "a\x7f", "v=\"a\\u007f\"", "\"v\":\"a\\u007f\""},
    {"utf-8 kept", "h\xc3\xa9llo", "v=h\xc3\xa9llo", "\"v\":\"h\xc3\xa9llo\""},
    {"invalid utf-8",
     "a\xff"
     "b",
     "v=\"a\\ufffdb\"", "\"v\":\"a\\ufffdb\""},
    {"overlong utf-8", "\xc0\xaf", "v=\"\\ufffd\\ufffd\"", "\"v\":\"\\ufffd\\ufffd\""},
    {"surrogate", "\xed\xa0\x80", "v=\"\\ufffd\\ufffd\\ufffd\"", "\"v\":\"\\ufffd\\ufffd\\ufffd\""},
    {"truncated utf-8", "x\xe2\x82", "v=\"x\\ufffd\\ufffd\"", "\"v\":\"x\\ufffd\\ufffd\""},
    {"slash", "shop/web", "v=shop/web", "\"v\":\"shop/web\""},
};

static void test_values(void)
{
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct sink s;
		char want[256];
		struct ctl_log *lg = open_sink(&s, CTL_LOG_LOGFMT, false);
		ctl_log(lg, CTL_LOG_INFO, "m", "v", values[i].value, NULL);
		fflush(s.f);
		snprintf(want, sizeof(want), "level=info msg=m %s\n", values[i].logfmt);
		is_str(s.buf, want, "logfmt: %s", values[i].name);
		ctl_log_free(lg);
		close_sink(&s);

		lg = open_sink(&s, CTL_LOG_JSON, false);
		ctl_log(lg, CTL_LOG_INFO, "m", "v", values[i].value, NULL);
		fflush(s.f);
		snprintf(want, sizeof(want), "{\"level\":\"info\",\"msg\":\"m\",%s}\n",
		         values[i].json);
		is_str(s.buf, want, "json: %s", values[i].name);
		ctl_log_free(lg);
		close_sink(&s);
	}
}

static void test_keys_and_fields(void)
{
	struct sink s;
	struct ctl_log *lg = open_sink(&s, CTL_LOG_LOGFMT, true);
	ctl_log(lg, CTL_LOG_WARN, "bad keys", "a b", "1", "k=v", "2", "", "3", "q\"", "4",
	        "caf\xc3\xa9", "5", NULL);
	fflush(s.f);
	is_str(s.buf,
	       "time=2026-11-26T12:00:00.250Z level=warn msg=\"bad keys\" a_b=1 k_v=2 _=3 q_=4 "
	       "caf__=5\n",
	       "logfmt: time first, keys sanitised, order kept");
	ctl_log_free(lg);
	close_sink(&s);

	lg = open_sink(&s, CTL_LOG_JSON, true);
	ctl_log(lg, CTL_LOG_ERROR, "x", "a\"b", "1", NULL);
	fflush(s.f);
	is_str(s.buf,
	       "{\"time\":\"2026-11-26T12:00:00.250Z\",\"level\":\"error\",\"msg\":\"x\","
	       "\"a\\\"b\":\"1\"}\n",
	       "json: keys escaped, time first");
	ctl_log_free(lg);
	close_sink(&s);
}

static void test_levels_and_release(void)
{
	struct sink s;
	struct ctl_log *lg = open_sink(&s, CTL_LOG_LOGFMT, false);
	ctl_log_set_level(lg, CTL_LOG_INFO);
	ctl_log(lg, CTL_LOG_DEBUG, "hidden", NULL);
	ctl_log(lg, CTL_LOG_INFO, "shown", NULL);
	ok(!ctl_log_enabled(lg, CTL_LOG_DEBUG), "levels: debug disabled at info");
	ok(ctl_log_enabled(lg, CTL_LOG_ERROR), "levels: error enabled at info");
	ctl_log_release(lg, CTL_LOG_INFO, "shop", "web", "step done", "step", "2", NULL);
	ctl_log_release(lg, CTL_LOG_INFO, NULL, "global", "cluster scoped", NULL);
	fflush(s.f);
	is_str(s.buf,
	       "level=info msg=shown\n"
	       "level=info msg=\"step done\" release=shop/web step=2\n"
	       "level=info msg=\"cluster scoped\" release=global\n",
	       "levels filter, release=namespace/name leads the pairs");
	ctl_log_free(lg);
	close_sink(&s);

	enum ctl_log_level lv = CTL_LOG_ERROR;
	is_int(ctl_log_parse_level("debug", &lv), 0, "parse level debug");
	is_int(lv, CTL_LOG_DEBUG, "parse level debug value");
	is_int(ctl_log_parse_level("warning", &lv), 0, "parse level warning");
	is_int(lv, CTL_LOG_WARN, "warning is warn");
	is_int(ctl_log_parse_level("loud", &lv), -EINVAL, "unknown level refused");
	is_int(lv, CTL_LOG_WARN, "out-param untouched on failure");
	enum ctl_log_format f = CTL_LOG_LOGFMT;
	is_int(ctl_log_parse_format("json", &f), 0, "parse format json");
	is_int(f, CTL_LOG_JSON, "json value");
	is_int(ctl_log_parse_format("xml", &f), -EINVAL, "unknown format refused");
}

static void test_limits(void)
{
	struct sink s;
	struct ctl_log *lg = open_sink(&s, CTL_LOG_LOGFMT, false);
	char *big = malloc(CTL_LOG_VALUE_MAX + 100);
	memset(big, 'a', CTL_LOG_VALUE_MAX + 99);
	big[CTL_LOG_VALUE_MAX + 99] = '\0';
	/* A multi-byte character straddling the cut must not be split. */
	big[CTL_LOG_VALUE_MAX - 1] = '\xc3';
	big[CTL_LOG_VALUE_MAX] = '\xa9';
	ctl_log(lg, CTL_LOG_INFO, "m", "v", big, NULL);
	fflush(s.f);
	size_t want = strlen("level=info msg=m v=\"") + (CTL_LOG_VALUE_MAX - 1) + strlen("...\"\n");
	is_int(s.len, want, "limits: a long value is cut before a split character and marked");
	ok(strstr(s.buf, "\\ufffd") == NULL, "limits: no replacement char from the cut");
	ctl_log_free(lg);
	close_sink(&s);

	/* Twenty 4 KiB values of control bytes (6x when escaped) exceed the
	 * line limit: the rest is dropped and marked. */
	memset(big, '\x01', CTL_LOG_VALUE_MAX);
	big[CTL_LOG_VALUE_MAX] = '\0';
	lg = open_sink(&s, CTL_LOG_JSON, false);
	ctl_log(lg, CTL_LOG_INFO, "m", "a", big, "b", big, "c", big, "d", big, "e", big, "f", big,
	        "g", big, "h", big, NULL);
	fflush(s.f);
	ok(s.len < CTL_LOG_LINE_MAX + 7 * CTL_LOG_VALUE_MAX, "limits: line bounded");
	ok(strstr(s.buf, "\"log_truncated\":\"true\"}\n") != NULL, "limits: truncation marked");
	ok(strstr(s.buf, "\"h\":") == NULL, "limits: later pairs dropped");
	ctl_log_free(lg);
	close_sink(&s);
	free(big);
}

int main(void)
{
	test_values();
	test_keys_and_fields();
	test_levels_and_release();
	test_limits();
	return tap_done();
}
