#include "controller/log.h"

#include "controller/clock.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ctl_log {
	FILE *out;
	enum ctl_log_format format;
	enum ctl_log_level level;
	bool with_time;
	double (*now)(void);
};

struct ctl_log *ctl_log_new(FILE *out, enum ctl_log_format format, enum ctl_log_level level)
{
	struct ctl_log *lg = calloc(1, sizeof(*lg));
	if (!lg)
		return NULL;
	lg->out = out;
	lg->format = format;
	lg->level = level;
	lg->with_time = true;
	lg->now = ctl_wall_now;
	return lg;
}

struct ctl_log *ctl_log_free(struct ctl_log *lg)
{
	free(lg);
	return NULL;
}

void ctl_log_set_clock(struct ctl_log *lg, double (*now)(void))
{
	lg->with_time = now != NULL;
	lg->now = now ? now : ctl_wall_now;
}

void ctl_log_set_level(struct ctl_log *lg, enum ctl_log_level level)
{
	lg->level = level;
}

static struct ctl_log default_log;
static struct ctl_log *default_ptr;

struct ctl_log *ctl_log_default(void)
{
	if (default_ptr)
		return default_ptr;
	if (!default_log.out) {
		default_log.out = stderr;
		default_log.format = CTL_LOG_LOGFMT;
		default_log.level = CTL_LOG_INFO;
		default_log.with_time = true;
		default_log.now = ctl_wall_now;
	}
	return &default_log;
}

void ctl_log_set_default(struct ctl_log *lg)
{
	default_ptr = lg;
}

bool ctl_log_enabled(const struct ctl_log *lg, enum ctl_log_level level)
{
	if (!lg)
		lg = ctl_log_default();
	return level <= lg->level;
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *ctl_log_level_name(enum ctl_log_level level)
{
	if ((unsigned)level > CTL_LOG_DEBUG)
		return "unknown";
	return level_names[level];
}

int ctl_log_parse_level(const char *s, enum ctl_log_level *ret)
{
	if (!s)
		return -EINVAL;
	for (int i = 0; i <= CTL_LOG_DEBUG; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*ret = (enum ctl_log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warning") == 0) {
		*ret = CTL_LOG_WARN;
		return 0;
	}
	return -EINVAL;
}

int ctl_log_parse_format(const char *s, enum ctl_log_format *ret)
{
	if (s && strcmp(s, "logfmt") == 0) {
		*ret = CTL_LOG_LOGFMT;
		return 0;
	}
	if (s && strcmp(s, "json") == 0) {
		*ret = CTL_LOG_JSON;
		return 0;
	}
	return -EINVAL;
}

/* ---- a bounded line buffer ---- */

struct line {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (l->oom)
		return;
	if (l->len + n + 1 > l->cap) {
		size_t ncap = l->cap ? l->cap : 256;
		while (ncap < l->len + n + 1)
			ncap *= 2;
		char *nb = realloc(l->buf, ncap);
		if (!nb) {
			l->oom = true;
			return;
		}
		l->buf = nb;
		l->cap = ncap;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

static void puts_(struct line *l, const char *s)
{
	put(l, s, strlen(s));
}

static void putc_(struct line *l, char c)
{
	put(l, &c, 1);
}

/* Length of the valid UTF-8 sequence at p (of at most n bytes), or 0 when
 * the bytes there are not valid UTF-8 (overlong forms, surrogates and code
 * points past U+10FFFF included). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void put_u00(struct line *l, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
	put(l, esc, sizeof(esc));
}

/* Escaped string body (no quotes): the escapes logfmt-quoted values and
 * JSON strings share. */
static void put_escaped(struct line *l, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		switch (c) {
		case '"':
			puts_(l, "\\\"");
			i++;
			continue;
		case '\\':
			puts_(l, "\\\\");
			i++;
			continue;
		case '\n':
			puts_(l, "\\n");
			i++;
			continue;
		case '\r':
			puts_(l, "\\r");
			i++;
			continue;
		case '\t':
			puts_(l, "\\t");
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			put_u00(l, c);
			i++;
			continue;
		}
		size_t len = utf8_len(p + i, n - i);
		if (len == 0) {
			puts_(l, "\\ufffd");
			i++;
			continue;
		}
		put(l, s + i, len);
		i += len;
	}
}

static bool needs_quotes(const char *s, size_t n)
{
	if (n == 0)
		return true;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 0x7f)
			return true;
		size_t len = utf8_len(p + i, n - i);
		if (len == 0)
			return true;
		i += len;
	}
	return false;
}

static void put_key(struct line *l, const char *key, bool json)
{
	if (!key || !key[0])
		key = "_";
	if (json) {
		putc_(l, '"');
		put_escaped(l, key, strlen(key));
		putc_(l, '"');
		return;
	}
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		unsigned char c = *p;
		bool bad = c <= ' ' || c == '=' || c == '"' || c == 0x7f || c >= 0x80;
		putc_(l, bad ? '_' : (char)c);
	}
}

static void put_value(struct line *l, const char *value, bool json)
{
	if (!value)
		value = "";
	size_t n = strnlen(value, CTL_LOG_VALUE_MAX + 1);
	bool cut = n > CTL_LOG_VALUE_MAX;
	if (cut) {
		n = CTL_LOG_VALUE_MAX;
		/* Cut on a character boundary so the marker does not turn a
		 * valid multi-byte character into replacement bytes. */
		while (n > 0 && ((unsigned char)value[n] & 0xc0) == 0x80)
			n--;
	}
	if (json || cut || needs_quotes(value, n)) {
		putc_(l, '"');
		put_escaped(l, value, n);
		if (cut)
			puts_(l, "...");
		putc_(l, '"');
		return;
	}
	put(l, value, n);
}

static void put_pair(struct line *l, bool json, const char *key, const char *value)
{
	/* The first field follows "{" (JSON) or starts the line (logfmt). */
	bool first = l->len == (json ? 1 : 0);
	if (!first)
		putc_(l, json ? ',' : ' ');
	put_key(l, key, json);
	putc_(l, json ? ':' : '=');
	put_value(l, value, json);
}

static void format_time(double t, char *buf, size_t len)
{
	time_t secs = (time_t)t;
	int millis = (int)((t - (double)secs) * 1000);
	if (millis < 0)
		millis = 0;
	if (millis > 999)
		millis = 999;
	struct tm tm;
	buf[0] = '\0';
	if (!gmtime_r(&secs, &tm))
		return;
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03dZ", millis);
}

/* Writes the record; `first_key/first_value` is an optional leading pair. */
static void emit(struct ctl_log *lg, enum ctl_log_level level, const char *first_key,
                 const char *first_value, const char *msg, va_list pairs)
{
	bool json = lg->format == CTL_LOG_JSON;
	struct line l = {0};
	if (json)
		putc_(&l, '{');
	if (lg->with_time) {
		char now[64];
		format_time(lg->now(), now, sizeof(now));
		put_pair(&l, json, "time", now);
	}
	put_pair(&l, json, "level", ctl_log_level_name(level));
	put_pair(&l, json, "msg", msg);
	if (first_key)
		put_pair(&l, json, first_key, first_value);
	for (;;) {
		const char *key = va_arg(pairs, const char *);
		if (!key)
			break;
		const char *value = va_arg(pairs, const char *);
		if (l.len > CTL_LOG_LINE_MAX) {
			put_pair(&l, json, "log_truncated", "true");
			break;
		}
		put_pair(&l, json, key, value);
	}
	if (json)
		putc_(&l, '}');
	putc_(&l, '\n');
	if (!l.oom) {
		fwrite(l.buf, 1, l.len, lg->out);
		fflush(lg->out);
	}
	free(l.buf);
}

void ctl_logv(struct ctl_log *lg, enum ctl_log_level level, const char *msg, va_list pairs)
{
	if (!lg)
		lg = ctl_log_default();
	if (level > lg->level)
		return;
	emit(lg, level, NULL, NULL, msg, pairs);
}

void ctl_log(struct ctl_log *lg, enum ctl_log_level level, const char *msg, ...)
{
	va_list ap;
	va_start(ap, msg);
	ctl_logv(lg, level, msg, ap);
	va_end(ap);
}

void ctl_log_release(struct ctl_log *lg, enum ctl_log_level level, const char *ns, const char *name,
                     const char *msg, ...)
{
	if (!lg)
		lg = ctl_log_default();
	if (level > lg->level)
		return;
	char key[320];
	if (ns && ns[0])
		snprintf(key, sizeof(key), "%s/%s", ns, name ? name : "");
	else
		snprintf(key, sizeof(key), "%s", name ? name : "");
	va_list ap;
	va_start(ap, msg);
	emit(lg, level, CTL_LOG_RELEASE, key, msg, ap);
	va_end(ap);
}
