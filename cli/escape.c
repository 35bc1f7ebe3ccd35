/* Terminal-safe text for human-readable output (cli/escape.h). */
#include "cli/escape.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* ---- one unit at a time ----------------------------------------------- */

/* The length of the valid UTF-8 sequence at s[0..len) (len > 0), with its
 * code point in *cp, or 0 when s[0] does not start one. Strict, as RFC 3629
 * says: no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xbf;
	size_t n;
	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		n = 2;
	} else if (b >= 0xe0 && b <= 0xef) {
		n = 3;
		lo = b == 0xe0 ? 0xa0 : lo; /* overlong */
		hi = b == 0xed ? 0x9f : hi; /* surrogates */
	} else if (b >= 0xf0 && b <= 0xf4) {
		n = 4;
		lo = b == 0xf0 ? 0x90 : lo; /* overlong */
		hi = b == 0xf4 ? 0x8f : hi; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	uint32_t v = b & (0xffu >> (n + 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3fu);
	}
	*cp = v;
	return n;
}

/* Valid UTF-8 that still acts on a terminal or on the layout: C1 controls,
 * bidi embeddings, overrides and isolates, line and paragraph separators. */
static bool escaped_code_point(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

/* The escaped form of the unit at s[0..len) (len > 0) into u, NUL-terminated;
 * *used is how many source bytes it stands for. Returns its length. */
static size_t escape_unit(const unsigned char *s, size_t len, char u[CLI_ESCAPE_UNIT_MAX + 1],
                          size_t *used)
{
	static const char named[] = "abtnvfr"; /* \a (7) to \r (13) */
	uint32_t cp = 0;
	size_t n = utf8_seq(s, len, &cp);
	*used = n ? n : 1;
	if (n == 0 || cp < 0x20 || cp == 0x7f) {
		unsigned b = s[0];
		if (n == 1 && b >= 7 && b <= 13)
			return (size_t)snprintf(u, CLI_ESCAPE_UNIT_MAX + 1, "\\%c", named[b - 7]);
		return (size_t)snprintf(u, CLI_ESCAPE_UNIT_MAX + 1, "\\x%02x", b);
	}
	if (escaped_code_point(cp))
		return (size_t)snprintf(u, CLI_ESCAPE_UNIT_MAX + 1, "\\u%04x", (unsigned)cp);
	memcpy(u, s, n);
	u[n] = '\0';
	return n;
}

/* Columns of code point cp (printable: escape_unit kept it). The ranges
 * are those of East Asian Width W/F and the emoji blocks, and the common
 * combining and zero-width ones. */
static size_t cp_width(uint32_t cp)
{
	static const uint32_t zero[][2] = {
	    {0x0300, 0x036f}, {0x200b, 0x200f}, {0x20d0, 0x20ff},
	    {0xfe00, 0xfe0f}, {0xfeff, 0xfeff},
	};
	static const uint32_t wide[][2] = {
	    {0x1100, 0x115f},   {0x2e80, 0x303e},   {0x3041, 0x33ff},   {0x3400, 0x4dbf},
	    {0x4e00, 0x9fff},   {0xa000, 0xa4cf},   {0xac00, 0xd7a3},   {0xf900, 0xfaff},
	    {0xfe30, 0xfe4f},   {0xff00, 0xff60},   {0xffe0, 0xffe6},   {0x1f300, 0x1f64f},
	    {0x1f900, 0x1f9ff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
	};
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (cp >= zero[i][0] && cp <= zero[i][1])
			return 0;
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (cp >= wide[i][0] && cp <= wide[i][1])
			return 2;
	return 1;
}

size_t cli_text_width(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t cols = 0, i = 0;
	while (i < len) {
		uint32_t cp = 0;
		size_t n = utf8_seq(s + i, len - i, &cp);
		cols += n ? cp_width(cp) : 1;
		i += n ? n : 1;
	}
	return cols;
}

/* ---- where text goes ---------------------------------------------------- */

/* A FILE, or a buffer that keeps a prefix cut at a unit boundary. */
struct sink {
	FILE *f;
	char *buf;
	size_t cap;
	size_t len;  /* bytes of the whole text */
	size_t kept; /* buffer: bytes stored, without the NUL */
	bool full;   /* buffer: something did not fit; nothing more is stored */
	bool failed; /* FILE: a write failed */
};

/* Adds p[0..n). atomic: all or nothing (one escape, one UTF-8 sequence);
 * else what fits, cut back to the start of a UTF-8 sequence. */
static void put(struct sink *s, const char *p, size_t n, bool atomic)
{
	s->len += n;
	if (s->f) {
		if (n > 0 && fwrite(p, 1, n, s->f) != n)
			s->failed = true;
		return;
	}
	if (s->full || s->cap == 0)
		return;
	size_t room = s->cap - 1 - s->kept;
	size_t k = n;
	if (n > room) {
		s->full = true;
		k = atomic ? 0 : room;
		while (k > 0 && ((unsigned char)p[k] & 0xc0) == 0x80)
			k--;
	}
	memcpy(s->buf + s->kept, p, k);
	s->kept += k;
	s->buf[s->kept] = '\0';
}

static void put_spaces(struct sink *s, size_t n)
{
	static const char spaces[] = "                                ";
	while (n > 0) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		put(s, spaces, k, false);
		n -= k;
	}
}

/* Columns of the escaped form of s[0..len). */
static size_t escaped_width(const char *s, size_t len)
{
	char u[CLI_ESCAPE_UNIT_MAX + 1];
	size_t cols = 0, i = 0, used;
	while (i < len) {
		size_t n = escape_unit((const unsigned char *)s + i, len - i, u, &used);
		cols += cli_text_width(u, n);
		i += used;
	}
	return cols;
}

static void put_escaped(struct sink *out, const char *s, size_t len)
{
	char u[CLI_ESCAPE_UNIT_MAX + 1];
	size_t i = 0, used;
	while (i < len) {
		size_t n = escape_unit((const unsigned char *)s + i, len - i, u, &used);
		put(out, u, n, true);
		i += used;
	}
}

size_t cli_escape(const char *s, size_t len, char *out, size_t cap)
{
	struct sink k = {.buf = out, .cap = cap};
	if (cap > 0)
		out[0] = '\0';
	put_escaped(&k, s, len);
	return k.len;
}

/* Outside strings a JSON text holds only ASCII structure, numbers and
 * words, so every byte found here is inside a string, where a \u escape
 * is the same character. */
int cli_write_json_text(FILE *f, const char *json)
{
	const unsigned char *s = (const unsigned char *)json;
	size_t len = strlen(json), i = 0, run = 0;
	while (i < len) {
		uint32_t cp = 0;
		size_t n = utf8_seq(s + i, len - i, &cp);
		if (n == 0 || (cp != 0x7f && !escaped_code_point(cp))) {
			i += n ? n : 1; /* jansson writes valid UTF-8: n is 0 only for a bug */
			run += n ? n : 1;
			continue;
		}
		if (fwrite(s + i - run, 1, run, f) != run ||
		    fprintf(f, "\\u%04X", (unsigned)cp) != 6)
			return -EIO;
		run = 0;
		i += n;
	}
	return fwrite(s + i - run, 1, run, f) == run ? 0 : -EIO;
}

/* ---- the formatter -------------------------------------------------------- */

/* One conversion of a format, as parsed. */
struct conv {
	char flags[6]; /* of "-+ #0", NUL-terminated */
	bool left;
	int width;    /* -1: none */
	int prec;     /* -1: none */
	char lmod[3]; /* "", "hh", "h", "l", "ll", "L", "z", "j" or "t" */
	char type;    /* the conversion character, '\0' at the end of fmt */
};

/* Reads a decimal number or '*' (an int argument) at *p. */
static int read_count(const char **p, va_list *ap)
{
	if (**p == '*') {
		(*p)++;
		return va_arg(*ap, int);
	}
	int v = 0;
	while (**p >= '0' && **p <= '9') {
		if (v < 100000)
			v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

/* Parses the conversion after a '%' at *p and advances past it. */
static struct conv parse_conv(const char **p, va_list *ap)
{
	struct conv c = {.width = -1, .prec = -1};
	size_t nf = 0;
	while (**p && strchr("-+ #0", **p)) {
		if (nf < sizeof(c.flags) - 1 && !strchr(c.flags, **p))
			c.flags[nf++] = **p;
		c.left = c.left || **p == '-';
		(*p)++;
	}
	if (**p == '*' || (**p >= '0' && **p <= '9')) {
		c.width = read_count(p, ap);
		if (c.width < 0) { /* a negative * width means '-' */
			c.left = true;
			c.width = c.width == INT_MIN ? 0 : -c.width;
		}
	}
	if (**p == '.') {
		(*p)++;
		c.prec = read_count(p, ap);
		if (c.prec < 0)
			c.prec = -1;
	}
	size_t nl = 0;
	while (**p && strchr("hlLzjt", **p) && nl < sizeof(c.lmod) - 1)
		c.lmod[nl++] = *(*p)++;
	c.type = **p;
	if (**p)
		(*p)++;
	return c;
}

static intmax_t signed_arg(const struct conv *c, va_list *ap)
{
	if (strcmp(c->lmod, "hh") == 0)
		return (signed char)va_arg(*ap, int);
	if (strcmp(c->lmod, "h") == 0)
		return (short)va_arg(*ap, int);
	if (strcmp(c->lmod, "l") == 0)
		return va_arg(*ap, long);
	if (strcmp(c->lmod, "ll") == 0)
		return va_arg(*ap, long long);
	if (strcmp(c->lmod, "z") == 0) /* the signed type of size_t's size */
		return (intmax_t)(ptrdiff_t)va_arg(*ap, size_t);
	if (strcmp(c->lmod, "j") == 0)
		return va_arg(*ap, intmax_t);
	if (strcmp(c->lmod, "t") == 0)
		return va_arg(*ap, ptrdiff_t);
	return va_arg(*ap, int);
}

static uintmax_t unsigned_arg(const struct conv *c, va_list *ap)
{
	if (strcmp(c->lmod, "hh") == 0)
		return (unsigned char)va_arg(*ap, unsigned);
	if (strcmp(c->lmod, "h") == 0)
		return (unsigned short)va_arg(*ap, unsigned);
	if (strcmp(c->lmod, "l") == 0)
		return va_arg(*ap, unsigned long);
	if (strcmp(c->lmod, "ll") == 0)
		return va_arg(*ap, unsigned long long);
	if (strcmp(c->lmod, "z") == 0)
		return va_arg(*ap, size_t);
	if (strcmp(c->lmod, "j") == 0)
		return va_arg(*ap, uintmax_t);
	if (strcmp(c->lmod, "t") == 0)
		return (uintmax_t)va_arg(*ap, ptrdiff_t);
	return va_arg(*ap, unsigned);
}

/* The printf spec of c with the length modifier lmod, into spec. */
static void rebuild_spec(const struct conv *c, const char *lmod, char spec[static 48])
{
	/* Widths beyond the number buffer are a programming error; keep them in it. */
	int w = c->width > 128 ? 128 : c->width, p = c->prec > 128 ? 128 : c->prec;
	bool dash = c->left && !strchr(c->flags, '-'); /* from a negative '*' width */
	int n = snprintf(spec, 48, "%%%s%s", c->flags, dash ? "-" : "");
	if (w >= 0)
		n += snprintf(spec + n, 48 - (size_t)n, "%d", w);
	if (p >= 0)
		n += snprintf(spec + n, 48 - (size_t)n, ".%d", p);
	snprintf(spec + n, 48 - (size_t)n, "%s%c", lmod, c->type);
}

/* A number or a pointer, as printf formats it: the spec is rebuilt with an
 * integer argument widened to intmax_t / uintmax_t, so the format handed to
 * snprintf is made here, from a format the compiler checked. */
static void put_number(struct sink *s, const struct conv *c, va_list *ap)
{
	char spec[48], num[400];
	bool is_float = strchr("fFeEgGaA", c->type) != NULL;
	bool is_long_double = is_float && strcmp(c->lmod, "L") == 0;
	rebuild_spec(c,
	             c->type == 'p' || (is_float && !is_long_double) ? ""
	             : is_float                                      ? "L"
	                                                             : "j",
	             spec);
	int n;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (c->type == 'd' || c->type == 'i')
		n = snprintf(num, sizeof(num), spec, signed_arg(c, ap));
	else if (c->type == 'p')
		n = snprintf(num, sizeof(num), spec, va_arg(*ap, void *));
	else if (is_long_double)
		n = snprintf(num, sizeof(num), spec, va_arg(*ap, long double));
	else if (is_float)
		n = snprintf(num, sizeof(num), spec, va_arg(*ap, double));
	else
		n = snprintf(num, sizeof(num), spec, unsigned_arg(c, ap));
#pragma GCC diagnostic pop
	if (n > 0)
		put(s, num, (size_t)n < sizeof(num) ? (size_t)n : sizeof(num) - 1, false);
}

/* A string (or one character) escaped, padded to the width in columns. */
static void put_string(struct sink *s, const struct conv *c, const char *str, size_t len)
{
	if (c->prec >= 0 && (size_t)c->prec < len)
		len = (size_t)c->prec;
	size_t cols = c->width > 0 ? escaped_width(str, len) : 0;
	size_t pad = c->width > 0 && cols < (size_t)c->width ? (size_t)c->width - cols : 0;
	if (!c->left)
		put_spaces(s, pad);
	put_escaped(s, str, len);
	if (c->left)
		put_spaces(s, pad);
}

static void put_conv(struct sink *s, const struct conv *c, va_list *ap)
{
	switch (c->type) {
	case 's': {
		const char *str = va_arg(*ap, const char *);
		if (!str)
			str = "(null)";
		size_t len = c->prec >= 0 ? strnlen(str, (size_t)c->prec) : strlen(str);
		put_string(s, c, str, len);
		break;
	}
	case 'c': {
		char ch = (char)va_arg(*ap, int);
		put_string(s, c, &ch, 1);
		break;
	}
	case 'd':
	case 'i':
	case 'u':
	case 'o':
	case 'x':
	case 'X':
	case 'p':
	case 'f':
	case 'F':
	case 'e':
	case 'E':
	case 'g':
	case 'G':
	case 'a':
	case 'A':
		put_number(s, c, ap);
		break;
	case 'n': /* never written through: it is how format strings get exploited */
		(void)va_arg(*ap, void *);
		break;
	case '%':
		put(s, "%", 1, false);
		break;
	default: /* not a printf conversion (the compiler checks the format): as is */
		put(s, "%", 1, false);
		if (c->type)
			put(s, &c->type, 1, false);
		break;
	}
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap); /* a va_list parameter may be an array: its address is not a va_list * */
	const char *p = fmt;
	while (*p) {
		const char *pct = strchr(p, '%');
		size_t lit = pct ? (size_t)(pct - p) : strlen(p);
		put(s, p, lit, false);
		if (!pct)
			break;
		p = pct + 1;
		struct conv c = parse_conv(&p, &aq);
		put_conv(s, &c, &aq);
	}
	va_end(aq);
}

static int result(const struct sink *s)
{
	if (s->failed)
		return -1;
	return s->len > INT_MAX ? INT_MAX : (int)s->len;
}

int cli_vfprintf(FILE *f, const char *fmt, va_list ap)
{
	struct sink s = {.f = f};
	format(&s, fmt, ap);
	return result(&s);
}

int cli_fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = cli_vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

int cli_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = cli_vfprintf(stdout, fmt, ap);
	va_end(ap);
	return r;
}

int cli_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct sink s = {.buf = buf, .cap = cap};
	if (cap > 0)
		buf[0] = '\0';
	format(&s, fmt, ap);
	return result(&s);
}

int cli_snprintf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = cli_vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return r;
}
