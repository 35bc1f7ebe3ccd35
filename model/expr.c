#include "model/expr.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest number literal; more digits than a double holds is a typo. */
#define NUMBER_MAX_LEN 64
/* Longest piece of source quoted in a message ("unknown name '...'"). */
#define QUOTE_MAX 32

/* ---- values ---- */

void model_value_clear(struct model_value *v)
{
	if (!v)
		return;
	if (v->kind == MODEL_VALUE_STRING)
		free(v->string.s);
	if (v->kind == MODEL_VALUE_VECTOR) {
		for (size_t i = 0; i < v->vector.n; i++)
			free(v->vector.samples[i].labels);
		free(v->vector.samples);
	}
	memset(v, 0, sizeof(*v));
	v->kind = MODEL_VALUE_NUMBER;
}

int model_value_set_string(struct model_value *v, const char *s, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	if (len > 0)
		memcpy(copy, s, len);
	copy[len] = '\0';
	model_value_clear(v);
	v->kind = MODEL_VALUE_STRING;
	v->string.s = copy;
	v->string.len = len;
	return 0;
}

int model_value_append(struct model_value *v, double value, const char *labels)
{
	if (v->kind != MODEL_VALUE_VECTOR)
		return -EINVAL;
	char *copy = NULL;
	if (labels) {
		copy = strdup(labels);
		if (!copy)
			return -ENOMEM;
	}
	/* Grows by one: vectors are built once, from a bounded response. */
	struct model_sample *s =
	    realloc(v->vector.samples, (v->vector.n + 1) * sizeof(*v->vector.samples));
	if (!s) {
		free(copy);
		return -ENOMEM;
	}
	s[v->vector.n] = (struct model_sample){.value = value, .labels = copy};
	v->vector.samples = s;
	v->vector.n++;
	return 0;
}

void model_number_format(double x, char buf[static MODEL_NUMBER_FMT_LEN])
{
	if (isnan(x)) {
		snprintf(buf, MODEL_NUMBER_FMT_LEN, "NaN");
		return;
	}
	if (isinf(x)) {
		snprintf(buf, MODEL_NUMBER_FMT_LEN, "%s", x > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* The shortest precision that reads back exactly; 17 always does. */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, MODEL_NUMBER_FMT_LEN, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			return;
	}
}

/* A bounded text being appended to; cut silently when full. */
struct out {
	char *buf;
	size_t size, len;
};

static void out_add(struct out *o, const char *s, size_t n)
{
	size_t room = o->size - 1 - o->len;
	if (n > room)
		n = room;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
	out_add(o, s, strlen(s));
}

/* s[0..n) with bytes outside printable ASCII as '?': messages go into
 * Kubernetes status and Events, which must be valid UTF-8 and one line. */
static void out_printable(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char p = c >= 0x20 && c < 0x7f ? (char)c : '?';
		out_add(o, &p, 1);
	}
}

static void out_number(struct out *o, double x)
{
	char num[MODEL_NUMBER_FMT_LEN];
	model_number_format(x, num);
	out_str(o, num);
}

/* Samples shown by model_value_format before "..." */
#define FORMAT_SAMPLES 8

void model_value_format(const struct model_value *v, char *buf, size_t size)
{
	struct out o = {buf, size, 0};
	buf[0] = '\0';
	switch (v->kind) {
	case MODEL_VALUE_NUMBER:
		out_number(&o, v->number);
		break;
	case MODEL_VALUE_BOOL:
		out_str(&o, v->boolean ? "true" : "false");
		break;
	case MODEL_VALUE_STRING:
		out_str(&o, "'");
		out_printable(&o, v->string.s, v->string.len);
		out_str(&o, "'");
		break;
	case MODEL_VALUE_VECTOR:
		out_str(&o, "[");
		for (size_t i = 0; i < v->vector.n && i < FORMAT_SAMPLES; i++) {
			if (i > 0)
				out_str(&o, ", ");
			out_number(&o, v->vector.samples[i].value);
		}
		if (v->vector.n > FORMAT_SAMPLES) {
			char more[64];
			snprintf(more, sizeof(more), ", ... (%zu samples)", v->vector.n);
			out_str(&o, more);
		}
		out_str(&o, "]");
		break;
	}
}

/* ---- the compiled form ---- */

enum op {
	OP_NUM,
	OP_STR,
	OP_BOOL,
	OP_RESULT,
	OP_NEG,
	OP_NOT,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_MOD,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_AND,
	OP_OR,
	OP_INDEX,
	OP_LEN,
	OP_ISNAN,
	OP_DEFAULT,
};

static const char *const op_text[] = {
    [OP_NEG] = "-", [OP_NOT] = "!", [OP_ADD] = "+", [OP_SUB] = "-",  [OP_MUL] = "*",
    [OP_DIV] = "/", [OP_MOD] = "%", [OP_EQ] = "==", [OP_NE] = "!=",  [OP_LT] = "<",
    [OP_LE] = "<=", [OP_GT] = ">",  [OP_GE] = ">=", [OP_AND] = "&&", [OP_OR] = "||",
};

/* Types. K_ANY is only known statically: what `result` will hold. */
enum kind {
	K_NUM,
	K_STR,
	K_BOOL,
	K_VEC,
	K_ANY,
};

struct node {
	enum op op;
	enum kind type;    /* static type */
	int a, b;          /* children, -1 when none */
	int height;        /* levels of the subtree, for MODEL_EXPR_MAX_DEPTH */
	size_t pos;        /* byte offset of the operator or token, for errors */
	size_t start, end; /* byte span of the subexpression, for messages */
	double num;
	bool boolean;
	char *str; /* OP_STR: decoded, owned */
	size_t len;
};

struct model_expr {
	char *src;
	size_t src_len;
	struct node *nodes;
	size_t n, cap;
	int root;
};

const char *model_expr_source(const struct model_expr *e)
{
	return e->src;
}

struct model_expr *model_expr_free(struct model_expr *e)
{
	if (!e)
		return NULL;
	for (size_t i = 0; i < e->n; i++)
		free(e->nodes[i].str);
	free(e->nodes);
	free(e->src);
	free(e);
	return NULL;
}

/* Column (1-based, in UTF-8 characters) of byte offset pos of src. */
static size_t column_of(const char *src, size_t pos)
{
	size_t col = 1;
	for (size_t i = 0; i < pos; i++)
		if (((unsigned char)src[i] & 0xC0) != 0x80)
			col++;
	return col;
}

static void set_error(struct model_expr_error *err, const char *src, size_t pos, const char *msg)
{
	if (!err)
		return;
	err->column = column_of(src, pos);
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "column %zu: ", err->column);
	/* Cut rather than snprintf'd: a long message loses its end, not its
	 * column. */
	struct out o = {err->message, sizeof(err->message), 0};
	err->message[0] = '\0';
	out_str(&o, prefix);
	out_str(&o, msg);
}

/* The source text of [start, end), printable and cut to QUOTE_MAX, into q. */
static void quote(const char *src, size_t start, size_t end, char q[static QUOTE_MAX + 4])
{
	struct out o = {q, QUOTE_MAX + 4, 0};
	q[0] = '\0';
	size_t n = end - start;
	out_printable(&o, src + start, n > QUOTE_MAX ? QUOTE_MAX : n);
	if (n > QUOTE_MAX)
		out_str(&o, "...");
}

static const char *kind_name(enum kind k)
{
	switch (k) {
	case K_NUM:
		return "a number";
	case K_STR:
		return "a string";
	case K_BOOL:
		return "a boolean";
	case K_VEC:
		return "a vector";
	case K_ANY:
		break;
	}
	return "a value";
}

static const char *vector_hint(enum kind k)
{
	return k == K_VEC ? " (index it, e.g. result[0])" : "";
}

/* Whether unary op takes an operand of kind a (K_ANY: not known yet); if not,
 * why, in why[size]. */
static bool unary_ok(enum op op, enum kind a, char *why, size_t size)
{
	enum kind want = op == OP_NOT ? K_BOOL : K_NUM;
	if (a == K_ANY || a == want)
		return true;
	snprintf(why, size, "'%s' needs %s, not %s%s", op_text[op],
	         want == K_BOOL ? "true or false" : "a number", kind_name(a), vector_hint(a));
	return false;
}

/* Same for binary op and operands of kinds a and b. */
static bool binary_ok(enum op op, enum kind a, enum kind b, char *why, size_t size)
{
	const char *t = op_text[op];
	if (op == OP_AND || op == OP_OR || (op >= OP_ADD && op <= OP_MOD)) {
		enum kind want = op == OP_AND || op == OP_OR ? K_BOOL : K_NUM;
		enum kind bad = a != K_ANY && a != want ? a : b;
		if (bad == K_ANY || bad == want)
			return true;
		snprintf(why, size, "'%s' needs %s, not %s%s", t,
		         want == K_BOOL ? "true or false" : "numbers", kind_name(bad),
		         vector_hint(bad));
		return false;
	}
	bool ordering = op >= OP_LT && op <= OP_GE;
	enum kind bad = a == K_VEC || (ordering && a == K_BOOL) ? a : b;
	if (bad == K_VEC || (ordering && bad == K_BOOL)) {
		snprintf(why, size, "'%s' cannot compare %s%s", t, kind_name(bad),
		         vector_hint(bad));
		return false;
	}
	if (a == K_ANY || b == K_ANY || a == b)
		return true;
	snprintf(why, size, "'%s' cannot compare %s with %s", t, kind_name(a), kind_name(b));
	return false;
}

/* ---- lexer ---- */

enum tok {
	TK_EOF,
	TK_NUM,
	TK_STR,
	TK_NAME,
	TK_LPAREN,
	TK_RPAREN,
	TK_LBRACK,
	TK_RBRACK,
	TK_COMMA,
	TK_OP, /* an operator; token.op says which */
};

struct token {
	enum tok kind;
	enum op op;
	size_t start, end;
	double num;
	size_t str_len; /* TK_STR: length once decoded */
};

struct parser {
	struct model_expr *e;
	const char *src;
	struct token tok;
	size_t pos; /* where the lexer reads next */
	int depth;
	struct model_expr_error *err;
};

static int fail(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, size_t pos, const char *fmt, ...)
{
	char msg[MODEL_EXPR_ERROR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_error(p->err, p->src, pos, msg);
	return -EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || is_digit(c);
}

static size_t skip_digits(const char *s, size_t i)
{
	while (is_digit(s[i]))
		i++;
	return i;
}

/* digits [ "." digits ] [ ("e"|"E") ["+"|"-"] digits ], or "." digits ... */
static int lex_number(struct parser *p)
{
	const char *s = p->src;
	size_t start = p->pos;
	size_t i = skip_digits(s, start);
	if (s[i] == '.') {
		if (!is_digit(s[i + 1]))
			return fail(p, i + 1, "expected a digit after '.'");
		i = skip_digits(s, i + 1);
	}
	if (s[i] == 'e' || s[i] == 'E') {
		size_t j = i + 1;
		if (s[j] == '+' || s[j] == '-')
			j++;
		if (!is_digit(s[j]))
			return fail(p, j, "expected a digit in the exponent");
		i = skip_digits(s, j);
	}
	if (is_name_char(s[i]) || s[i] == '.')
		return fail(p, i, "unexpected '%c' after a number", s[i]);
	if (i - start > NUMBER_MAX_LEN)
		return fail(p, start, "number longer than %d characters", NUMBER_MAX_LEN);
	char text[NUMBER_MAX_LEN + 1];
	memcpy(text, s + start, i - start);
	text[i - start] = '\0';
	/* The syntax is checked above, so strtod sees only decimal text (no
	 * "inf", "nan" or hex) and reads all of it. */
	double x = strtod(text, NULL);
	if (isinf(x))
		return fail(p, start, "number out of range");
	p->tok = (struct token){.kind = TK_NUM, .start = start, .end = i, .num = x};
	p->pos = i;
	return 0;
}

static bool escape_known(char c)
{
	return c == '\\' || c == '\'' || c == '"' || c == 'n' || c == 't' || c == 'r';
}

/* '...' or "..." with \\ \' \" \n \t \r; checked here, decoded by decode(). */
static int lex_string(struct parser *p)
{
	const char *s = p->src;
	size_t start = p->pos;
	char q = s[start];
	size_t i = start + 1, n = 0;
	for (; s[i] != q; i++, n++) {
		if (s[i] == '\0')
			return fail(p, start, "unterminated string");
		if (s[i] != '\\')
			continue;
		i++;
		if (s[i] == '\0')
			return fail(p, start, "unterminated string");
		if (!escape_known(s[i]))
			return fail(
			    p, i - 1, "unknown escape '\\%c'",
			    (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f ? s[i] : '?');
	}
	p->tok = (struct token){.kind = TK_STR, .start = start, .end = i + 1, .str_len = n};
	p->pos = i + 1;
	return 0;
}

static const struct {
	const char *text;
	enum tok kind;
	enum op op;
} punct[] = {
    /* Two-character operators first, so "<=" is not "<" then "=". */
    {"==", TK_OP, OP_EQ},     {"!=", TK_OP, OP_NE},     {"<=", TK_OP, OP_LE},
    {">=", TK_OP, OP_GE},     {"&&", TK_OP, OP_AND},    {"||", TK_OP, OP_OR},
    {"<", TK_OP, OP_LT},      {">", TK_OP, OP_GT},      {"!", TK_OP, OP_NOT},
    {"+", TK_OP, OP_ADD},     {"-", TK_OP, OP_SUB},     {"*", TK_OP, OP_MUL},
    {"/", TK_OP, OP_DIV},     {"%", TK_OP, OP_MOD},     {"(", TK_LPAREN, OP_NUM},
    {")", TK_RPAREN, OP_NUM}, {"[", TK_LBRACK, OP_NUM}, {"]", TK_RBRACK, OP_NUM},
    {",", TK_COMMA, OP_NUM},
};

static int lex_punct(struct parser *p)
{
	const char *s = p->src + p->pos;
	for (size_t i = 0; i < sizeof(punct) / sizeof(punct[0]); i++) {
		size_t n = strlen(punct[i].text);
		if (strncmp(s, punct[i].text, n) != 0)
			continue;
		p->tok = (struct token){
		    .kind = punct[i].kind, .op = punct[i].op, .start = p->pos, .end = p->pos + n};
		p->pos += n;
		return 0;
	}
	/* The usual slips of people used to other languages. */
	if (s[0] == '=')
		return fail(p, p->pos, "expected '==' ('=' alone is not a comparison)");
	if (s[0] == '&' || s[0] == '|')
		return fail(p, p->pos, "expected '%c%c'", s[0], s[0]);
	unsigned char c = (unsigned char)s[0];
	if (c >= 0x20 && c < 0x7f)
		return fail(p, p->pos, "unexpected character '%c'", s[0]);
	return fail(p, p->pos, "unexpected byte 0x%02x", c);
}

/* Reads the next token into p->tok. */
static int next(struct parser *p)
{
	const char *s = p->src;
	while (is_space(s[p->pos]))
		p->pos++;
	char c = s[p->pos];
	if (c == '\0') {
		p->tok = (struct token){.kind = TK_EOF, .start = p->pos, .end = p->pos};
		return 0;
	}
	if (is_digit(c) || (c == '.' && is_digit(s[p->pos + 1])))
		return lex_number(p);
	if (c == '\'' || c == '"')
		return lex_string(p);
	if (is_name_start(c)) {
		size_t i = p->pos;
		while (is_name_char(s[i]))
			i++;
		p->tok = (struct token){.kind = TK_NAME, .start = p->pos, .end = i};
		p->pos = i;
		return 0;
	}
	return lex_punct(p);
}

static bool tok_is_name(const struct parser *p, const char *name)
{
	size_t n = p->tok.end - p->tok.start;
	return p->tok.kind == TK_NAME && strlen(name) == n &&
	       memcmp(p->src + p->tok.start, name, n) == 0;
}

static bool tok_is_op(const struct parser *p, enum op op)
{
	return p->tok.kind == TK_OP && p->tok.op == op;
}

/* Offset of the first token of src (its length when there is none). */
static size_t first_token(const char *src)
{
	size_t i = 0;
	while (is_space(src[i]))
		i++;
	return i;
}

/* The error for an unexpected current token. */
static int unexpected(struct parser *p)
{
	if (p->tok.kind == TK_EOF)
		return fail(p, p->tok.start,
		            p->tok.start == first_token(p->src) ? "empty condition"
		                                                : "unexpected end of condition");
	char q[QUOTE_MAX + 4];
	quote(p->src, p->tok.start, p->tok.end, q);
	return fail(p, p->tok.start, "unexpected '%s'", q);
}

/* Consumes a token of kind k, or fails with "expected WHAT". */
static int expect(struct parser *p, enum tok k, const char *what)
{
	if (p->tok.kind != k)
		return fail(p, p->tok.start, "expected %s", what);
	return next(p);
}

/* ---- parser: one function per precedence level, lowest first ---- */

/* Appends *n to the tree (taking its string) and returns its index, or fails
 * when the tree gets too deep. */
static int add_node(struct parser *p, struct node *n)
{
	struct model_expr *e = p->e;
	int h = 0;
	if (n->a >= 0)
		h = e->nodes[n->a].height;
	if (n->b >= 0 && e->nodes[n->b].height > h)
		h = e->nodes[n->b].height;
	n->height = h + 1;
	if (n->height > MODEL_EXPR_MAX_DEPTH) {
		free(n->str);
		return fail(p, n->pos, "nested too deeply (more than %d levels)",
		            MODEL_EXPR_MAX_DEPTH);
	}
	if (e->n == e->cap) {
		/* Each node takes at least one token, so n <= MAX_LEN. */
		size_t cap = e->cap ? 2 * e->cap : 16;
		struct node *nodes = realloc(e->nodes, cap * sizeof(*nodes));
		if (!nodes) {
			free(n->str);
			return -ENOMEM;
		}
		e->nodes = nodes;
		e->cap = cap;
	}
	e->nodes[e->n] = *n;
	return (int)e->n++;
}

static int binary(struct parser *p, enum op op, size_t pos, int a, int b)
{
	const struct node *na = &p->e->nodes[a], *nb = &p->e->nodes[b];
	char why[MODEL_EXPR_ERROR_LEN];
	if (!binary_ok(op, na->type, nb->type, why, sizeof(why)))
		return fail(p, pos, "%s", why);
	enum kind t = op >= OP_ADD && op <= OP_MOD ? K_NUM : K_BOOL;
	struct node n = {
	    .op = op, .type = t, .a = a, .b = b, .pos = pos, .start = na->start, .end = nb->end};
	return add_node(p, &n);
}

static int parse_or(struct parser *p);

/* A sequence of left-associative binary operators from ops[0..nops) over
 * operands parsed by sub: "a + b - c" is (a + b) - c. */
static int left_assoc(struct parser *p, int (*sub)(struct parser *), const enum op *ops,
                      size_t nops)
{
	int left = sub(p);
	for (;;) {
		if (left < 0)
			return left;
		size_t i = 0;
		while (i < nops && !tok_is_op(p, ops[i]))
			i++;
		if (i == nops)
			return left;
		size_t pos = p->tok.start;
		int r = next(p);
		int right = r < 0 ? r : sub(p);
		if (right < 0)
			return right;
		left = binary(p, ops[i], pos, left, right);
	}
}

/* Parses `name ( args )` after the name (the current token is "("). */
static int parse_call(struct parser *p, enum op op, size_t pos, const char *name, int nargs)
{
	int r = expect(p, TK_LPAREN, "'(' after the function name");
	int args[2] = {-1, -1};
	for (int i = 0; r >= 0 && i < nargs; i++) {
		if (i > 0 && p->tok.kind != TK_COMMA)
			return fail(p, p->tok.start, "%s takes %d arguments", name, nargs);
		r = i > 0 ? next(p) : 0;
		args[i] = r < 0 ? r : parse_or(p);
		r = args[i];
	}
	if (r < 0)
		return r;
	if (p->tok.kind == TK_COMMA)
		return fail(p, p->tok.start, "%s takes %d argument%s", name, nargs,
		            nargs == 1 ? "" : "s");
	size_t end = p->tok.end;
	r = expect(p, TK_RPAREN, "')'");
	if (r < 0)
		return r;
	struct node *a = &p->e->nodes[args[0]];
	if (op == OP_ISNAN && a->type != K_ANY && a->type != K_NUM)
		return fail(p, a->start, "isNaN needs a number, not %s", kind_name(a->type));
	if (op == OP_LEN && a->type != K_ANY && a->type != K_STR)
		return fail(p, a->start, "len needs a string or a vector, not %s",
		            kind_name(a->type));
	enum kind t = op == OP_LEN ? K_NUM : K_BOOL;
	if (op == OP_DEFAULT)
		t = a->type == p->e->nodes[args[1]].type ? a->type : K_ANY;
	struct node n = {
	    .op = op, .type = t, .a = args[0], .b = args[1], .pos = pos, .start = pos, .end = end};
	return add_node(p, &n);
}

static const struct {
	const char *name;
	enum op op;
	int nargs;
} functions[] = {
    {"len", OP_LEN, 1},
    {"isNaN", OP_ISNAN, 1},
    {"default", OP_DEFAULT, 2},
};

static int parse_name(struct parser *p)
{
	size_t pos = p->tok.start, end = p->tok.end;
	struct node n = {
	    .op = OP_RESULT, .type = K_ANY, .a = -1, .b = -1, .pos = pos, .start = pos, .end = end};
	for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++) {
		if (!tok_is_name(p, functions[i].name))
			continue;
		int r = next(p);
		return r < 0 ? r
		             : parse_call(p, functions[i].op, pos, functions[i].name,
		                          functions[i].nargs);
	}
	if (tok_is_name(p, "true") || tok_is_name(p, "false")) {
		n.op = OP_BOOL;
		n.type = K_BOOL;
		n.boolean = tok_is_name(p, "true");
	} else if (!tok_is_name(p, "result")) {
		char q[QUOTE_MAX + 4];
		quote(p->src, pos, end, q);
		/* Words other languages use for these operators. */
		const char *hint = tok_is_name(p, "and")   ? " (use &&)"
		                   : tok_is_name(p, "or")  ? " (use ||)"
		                   : tok_is_name(p, "not") ? " (use !)"
		                                           : "";
		return fail(p, pos, "unknown name '%s'%s", q, hint);
	}
	int r = next(p);
	return r < 0 ? r : add_node(p, &n);
}

/* The decoded text of the string token [start, end) of src (validated by
 * lex_string), NUL-terminated, in a new buffer of len + 1 bytes. */
static char *decode(const char *src, size_t start, size_t end, size_t len)
{
	char *s = malloc(len + 1);
	if (!s)
		return NULL;
	size_t n = 0;
	for (size_t i = start + 1; i < end - 1; i++) {
		char c = src[i];
		if (c == '\\') {
			c = src[++i];
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
		}
		s[n++] = c;
	}
	s[n] = '\0';
	return s;
}

static int parse_primary(struct parser *p)
{
	struct token t = p->tok;
	struct node n = {.a = -1, .b = -1, .pos = t.start, .start = t.start, .end = t.end};
	if (t.kind == TK_NAME)
		return parse_name(p);
	if (t.kind == TK_LPAREN) {
		int r = next(p);
		int inner = r < 0 ? r : parse_or(p);
		if (inner < 0)
			return inner;
		size_t end = p->tok.end;
		r = expect(p, TK_RPAREN, "')'");
		if (r < 0)
			return r;
		/* Messages quote "(a + b)", not "a + b". */
		p->e->nodes[inner].start = t.start;
		p->e->nodes[inner].end = end;
		return inner;
	}
	if (t.kind == TK_NUM) {
		n.op = OP_NUM;
		n.type = K_NUM;
		n.num = t.num;
	} else if (t.kind == TK_STR) {
		n.op = OP_STR;
		n.type = K_STR;
		n.len = t.str_len;
	} else {
		return unexpected(p);
	}
	int r = next(p);
	if (r < 0)
		return r;
	if (n.op == OP_STR) {
		n.str = decode(p->src, t.start, t.end, t.str_len);
		if (!n.str)
			return -ENOMEM;
	}
	return add_node(p, &n);
}

/* primary { "[" expr "]" } */
static int parse_postfix(struct parser *p)
{
	int left = parse_primary(p);
	while (left >= 0 && p->tok.kind == TK_LBRACK) {
		size_t pos = p->tok.start;
		int r = next(p);
		int index = r < 0 ? r : parse_or(p);
		if (index < 0)
			return index;
		size_t end = p->tok.end;
		r = expect(p, TK_RBRACK, "']'");
		if (r < 0)
			return r;
		const struct node *v = &p->e->nodes[left], *i = &p->e->nodes[index];
		if (v->type != K_ANY)
			return fail(p, pos, "cannot index %s", kind_name(v->type));
		if (i->type != K_ANY && i->type != K_NUM)
			return fail(p, i->start, "an index is a number, not %s",
			            kind_name(i->type));
		struct node n = {.op = OP_INDEX,
		                 .type = K_NUM,
		                 .a = left,
		                 .b = index,
		                 .pos = pos,
		                 .start = v->start,
		                 .end = end};
		left = add_node(p, &n);
	}
	return left;
}

/* { "!" | "-" } postfix */
static int parse_unary(struct parser *p)
{
	if (!tok_is_op(p, OP_NOT) && !tok_is_op(p, OP_SUB))
		return parse_postfix(p);
	enum op op = tok_is_op(p, OP_NOT) ? OP_NOT : OP_NEG;
	size_t pos = p->tok.start;
	if (++p->depth > MODEL_EXPR_MAX_DEPTH)
		return fail(p, pos, "nested too deeply (more than %d levels)",
		            MODEL_EXPR_MAX_DEPTH);
	int r = next(p);
	int a = r < 0 ? r : parse_unary(p);
	p->depth--;
	if (a < 0)
		return a;
	const struct node *na = &p->e->nodes[a];
	char why[MODEL_EXPR_ERROR_LEN];
	if (!unary_ok(op, na->type, why, sizeof(why)))
		return fail(p, pos, "%s", why);
	struct node n = {.op = op,
	                 .type = op == OP_NOT ? K_BOOL : K_NUM,
	                 .a = a,
	                 .b = -1,
	                 .pos = pos,
	                 .start = pos,
	                 .end = na->end};
	return add_node(p, &n);
}

static int parse_mul(struct parser *p)
{
	static const enum op ops[] = {OP_MUL, OP_DIV, OP_MOD};
	return left_assoc(p, parse_unary, ops, 3);
}

static int parse_add(struct parser *p)
{
	static const enum op ops[] = {OP_ADD, OP_SUB};
	return left_assoc(p, parse_mul, ops, 2);
}

/* One non-associative comparison from ops[0..nops) over sub: "a < b < c" is
 * an error rather than a surprise. */
static int comparison(struct parser *p, int (*sub)(struct parser *), const enum op *ops,
                      size_t nops)
{
	int left = sub(p);
	if (left < 0)
		return left;
	for (int round = 0;; round++) {
		size_t i = 0;
		while (i < nops && !tok_is_op(p, ops[i]))
			i++;
		if (i == nops)
			return left;
		if (round > 0)
			return fail(p, p->tok.start, "comparisons do not chain; join them with &&");
		size_t pos = p->tok.start;
		int r = next(p);
		int right = r < 0 ? r : sub(p);
		if (right < 0)
			return right;
		left = binary(p, ops[i], pos, left, right);
		if (left < 0)
			return left;
	}
}

static int parse_rel(struct parser *p)
{
	static const enum op ops[] = {OP_LT, OP_LE, OP_GT, OP_GE};
	return comparison(p, parse_add, ops, 4);
}

static int parse_eq(struct parser *p)
{
	static const enum op ops[] = {OP_EQ, OP_NE};
	return comparison(p, parse_rel, ops, 2);
}

static int parse_and(struct parser *p)
{
	static const enum op ops[] = {OP_AND};
	return left_assoc(p, parse_eq, ops, 1);
}

/* Every nested expression (parentheses, arguments, indexes) starts here,
 * so this is where nesting is counted. */
static int parse_or(struct parser *p)
{
	static const enum op ops[] = {OP_OR};
	if (++p->depth > MODEL_EXPR_MAX_DEPTH)
		return fail(p, p->tok.start, "nested too deeply (more than %d levels)",
		            MODEL_EXPR_MAX_DEPTH);
	int r = left_assoc(p, parse_and, ops, 1);
	p->depth--;
	return r;
}

static int parse_all(struct parser *p)
{
	int r = next(p);
	int root = r < 0 ? r : parse_or(p);
	if (root < 0)
		return root;
	if (p->tok.kind != TK_EOF)
		return unexpected(p);
	enum kind t = p->e->nodes[root].type;
	if (t != K_BOOL && t != K_ANY)
		return fail(p, 0, "the condition gives %s, not true or false", kind_name(t));
	return root;
}

int model_expr_parse(const char *src, struct model_expr **out, struct model_expr_error *err)
{
	size_t len = strnlen(src, MODEL_EXPR_MAX_LEN + 1);
	if (len > MODEL_EXPR_MAX_LEN) {
		char msg[64];
		snprintf(msg, sizeof(msg), "condition longer than %d bytes", MODEL_EXPR_MAX_LEN);
		set_error(err, src, 0, msg);
		return -EINVAL;
	}
	struct model_expr *e = calloc(1, sizeof(*e));
	char *copy = strndup(src, len);
	if (!e || !copy) {
		free(e);
		free(copy);
		goto nomem;
	}
	e->src = copy;
	e->src_len = len;
	struct parser p = {.e = e, .src = copy, .err = err};
	int root = parse_all(&p);
	if (root < 0) {
		model_expr_free(e);
		if (root == -ENOMEM)
			goto nomem;
		return root;
	}
	e->root = root;
	*out = e;
	return 0;
nomem:
	if (err) {
		err->column = 0;
		snprintf(err->message, sizeof(err->message), "out of memory");
	}
	return -ENOMEM;
}

/* ---- evaluation ---- */

/* A value during evaluation; strings and samples are borrowed from the
 * expression or the result. */
struct val {
	enum kind kind;
	double num;
	bool boolean;
	const char *s;
	size_t len;
	const struct model_sample *samples;
	size_t n;
};

struct ctx {
	const struct model_expr *e;
	const struct model_value *result;
	struct model_expr_error err;
};

static int eval_fail(struct ctx *c, int code, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int eval_fail(struct ctx *c, int code, size_t pos, const char *fmt, ...)
{
	char msg[MODEL_EXPR_ERROR_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_error(&c->err, c->e->src, pos, msg);
	return code;
}

static int eval(struct ctx *c, int i, struct val *v);

static void eval_result(const struct model_value *r, struct val *v)
{
	switch (r->kind) {
	case MODEL_VALUE_NUMBER:
		*v = (struct val){.kind = K_NUM, .num = r->number};
		break;
	case MODEL_VALUE_STRING:
		*v = (struct val){.kind = K_STR, .s = r->string.s, .len = r->string.len};
		break;
	case MODEL_VALUE_BOOL:
		*v = (struct val){.kind = K_BOOL, .boolean = r->boolean};
		break;
	case MODEL_VALUE_VECTOR:
		*v = (struct val){.kind = K_VEC, .samples = r->vector.samples, .n = r->vector.n};
		break;
	}
}

static int eval_unary(struct ctx *c, const struct node *n, struct val *v)
{
	struct val a;
	int r = eval(c, n->a, &a);
	if (r < 0)
		return r;
	char why[MODEL_EXPR_ERROR_LEN];
	if (!unary_ok(n->op, a.kind, why, sizeof(why)))
		return eval_fail(c, -EINVAL, n->pos, "%s", why);
	if (n->op == OP_NOT)
		*v = (struct val){.kind = K_BOOL, .boolean = !a.boolean};
	else
		*v = (struct val){.kind = K_NUM, .num = -a.num};
	return 0;
}

/* Evaluates both operands of n and checks their types for n->op. */
static int eval_operands(struct ctx *c, const struct node *n, struct val *a, struct val *b)
{
	int r = eval(c, n->a, a);
	if (r < 0)
		return r;
	r = eval(c, n->b, b);
	if (r < 0)
		return r;
	char why[MODEL_EXPR_ERROR_LEN];
	if (!binary_ok(n->op, a->kind, b->kind, why, sizeof(why)))
		return eval_fail(c, -EINVAL, n->pos, "%s", why);
	return 0;
}

static int eval_arith(struct ctx *c, const struct node *n, struct val *v)
{
	struct val a, b;
	int r = eval_operands(c, n, &a, &b);
	if (r < 0)
		return r;
	/* IEEE would give ±Inf or NaN; a ratio of two rates over zero traffic
	 * is a question the template has to answer, with default() or isNaN. */
	if ((n->op == OP_DIV || n->op == OP_MOD) && b.num == 0)
		return eval_fail(c, -EDOM, n->pos, "division by zero");
	double x = 0;
	switch (n->op) {
	case OP_ADD:
		x = a.num + b.num;
		break;
	case OP_SUB:
		x = a.num - b.num;
		break;
	case OP_MUL:
		x = a.num * b.num;
		break;
	case OP_DIV:
		x = a.num / b.num;
		break;
	default:
		x = fmod(a.num, b.num);
		break;
	}
	*v = (struct val){.kind = K_NUM, .num = x};
	return 0;
}

/* The NaN rule: a comparison that sees NaN is an error, so no condition,
 * however negated, passes on NaN. */
static int check_nan(struct ctx *c, const struct node *n, const struct val *a, const struct val *b)
{
	if (a->kind != K_NUM || (!isnan(a->num) && !isnan(b->num)))
		return 0;
	const struct node *side = &c->e->nodes[isnan(a->num) ? n->a : n->b];
	char q[QUOTE_MAX + 4];
	quote(c->e->src, side->start, side->end, q);
	return eval_fail(c, -EDOM, n->pos, "%s is NaN; a comparison with NaN is an error", q);
}

static int eval_compare(struct ctx *c, const struct node *n, struct val *v)
{
	struct val a, b;
	int r = eval_operands(c, n, &a, &b);
	if (r < 0)
		return r;
	r = check_nan(c, n, &a, &b);
	if (r < 0)
		return r;
	int cmp = 0; /* <0, 0, >0 as a is below, equal to or above b */
	if (a.kind == K_NUM) {
		cmp = a.num < b.num ? -1 : a.num > b.num;
	} else if (a.kind == K_STR) {
		size_t m = a.len < b.len ? a.len : b.len;
		cmp = m > 0 ? memcmp(a.s, b.s, m) : 0;
		if (cmp == 0)
			cmp = a.len < b.len ? -1 : a.len > b.len;
	} else {
		cmp = a.boolean != b.boolean;
	}
	bool t = false;
	switch (n->op) {
	case OP_EQ:
		t = cmp == 0;
		break;
	case OP_NE:
		t = cmp != 0;
		break;
	case OP_LT:
		t = cmp < 0;
		break;
	case OP_LE:
		t = cmp <= 0;
		break;
	case OP_GT:
		t = cmp > 0;
		break;
	default:
		t = cmp >= 0;
		break;
	}
	*v = (struct val){.kind = K_BOOL, .boolean = t};
	return 0;
}

/* && and || look at the right side only when the left does not decide. */
static int eval_logic(struct ctx *c, const struct node *n, struct val *v)
{
	char why[MODEL_EXPR_ERROR_LEN];
	struct val a, b;
	int r = eval(c, n->a, &a);
	if (r < 0)
		return r;
	if (!binary_ok(n->op, a.kind, K_ANY, why, sizeof(why)))
		return eval_fail(c, -EINVAL, n->pos, "%s", why);
	if (a.boolean == (n->op == OP_OR)) {
		*v = a;
		return 0;
	}
	r = eval(c, n->b, &b);
	if (r < 0)
		return r;
	if (!binary_ok(n->op, K_ANY, b.kind, why, sizeof(why)))
		return eval_fail(c, -EINVAL, n->pos, "%s", why);
	*v = b;
	return 0;
}

static int eval_index(struct ctx *c, const struct node *n, struct val *v)
{
	struct val a, b;
	int r = eval(c, n->a, &a);
	if (r < 0)
		return r;
	if (a.kind != K_VEC)
		return eval_fail(c, -EINVAL, n->pos, "cannot index %s", kind_name(a.kind));
	r = eval(c, n->b, &b);
	if (r < 0)
		return r;
	const struct node *ni = &c->e->nodes[n->b];
	if (b.kind != K_NUM)
		return eval_fail(c, -EINVAL, ni->start, "an index is a number, not %s",
		                 kind_name(b.kind));
	char num[MODEL_NUMBER_FMT_LEN];
	model_number_format(b.num, num);
	if (isnan(b.num))
		return eval_fail(c, -EDOM, ni->start, "index is NaN");
	if (b.num < 0)
		return eval_fail(c, -EINVAL, ni->start, "index %s is negative", num);
	/* Past any vector's length (and exact in a double) when above 2^53. */
	if (b.num < 9007199254740992.0 && (double)(uint64_t)b.num != b.num)
		return eval_fail(c, -EINVAL, ni->start, "index %s is not a whole number", num);
	if (b.num >= (double)a.n) {
		char q[QUOTE_MAX + 4];
		const struct node *na = &c->e->nodes[n->a];
		quote(c->e->src, na->start, na->end, q);
		return eval_fail(c, -ENODATA, n->pos, "index %s out of range (%s has %zu sample%s)",
		                 num, q, a.n, a.n == 1 ? "" : "s");
	}
	*v = (struct val){.kind = K_NUM, .num = a.samples[(size_t)b.num].value};
	return 0;
}

/* Whether default(x, y) takes y for x = a. */
static bool missing(const struct val *a)
{
	return (a->kind == K_NUM && isnan(a->num)) || (a->kind == K_VEC && a->n == 0);
}

static int eval_call(struct ctx *c, const struct node *n, struct val *v)
{
	struct val a;
	int r = eval(c, n->a, &a);
	if (n->op == OP_DEFAULT) {
		if (r == -ENODATA || (r == 0 && missing(&a)))
			return eval(c, n->b, v);
		if (r == 0)
			*v = a;
		return r;
	}
	if (r < 0)
		return r;
	size_t at = c->e->nodes[n->a].start;
	if (n->op == OP_ISNAN) {
		if (a.kind != K_NUM)
			return eval_fail(c, -EINVAL, at, "isNaN needs a number, not %s%s",
			                 kind_name(a.kind), vector_hint(a.kind));
		*v = (struct val){.kind = K_BOOL, .boolean = isnan(a.num)};
		return 0;
	}
	if (a.kind != K_STR && a.kind != K_VEC)
		return eval_fail(c, -EINVAL, at, "len needs a string or a vector, not %s",
		                 kind_name(a.kind));
	*v = (struct val){.kind = K_NUM, .num = (double)(a.kind == K_STR ? a.len : a.n)};
	return 0;
}

/* Recursion is bounded by the tree's height (MODEL_EXPR_MAX_DEPTH). */
static int eval(struct ctx *c, int i, struct val *v)
{
	const struct node *n = &c->e->nodes[i];
	switch (n->op) {
	case OP_NUM:
		*v = (struct val){.kind = K_NUM, .num = n->num};
		return 0;
	case OP_STR:
		*v = (struct val){.kind = K_STR, .s = n->str, .len = n->len};
		return 0;
	case OP_BOOL:
		*v = (struct val){.kind = K_BOOL, .boolean = n->boolean};
		return 0;
	case OP_RESULT:
		eval_result(c->result, v);
		return 0;
	case OP_NEG:
	case OP_NOT:
		return eval_unary(c, n, v);
	case OP_ADD:
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
	case OP_MOD:
		return eval_arith(c, n, v);
	case OP_EQ:
	case OP_NE:
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		return eval_compare(c, n, v);
	case OP_AND:
	case OP_OR:
		return eval_logic(c, n, v);
	case OP_INDEX:
		return eval_index(c, n, v);
	case OP_LEN:
	case OP_ISNAN:
	case OP_DEFAULT:
		return eval_call(c, n, v);
	}
	return -EINVAL;
}

int model_expr_eval(const struct model_expr *e, const struct model_value *result, bool *ret,
                    struct model_expr_error *err)
{
	struct ctx c = {.e = e, .result = result};
	struct val v;
	int r = eval(&c, e->root, &v);
	if (r == 0 && v.kind != K_BOOL)
		r = eval_fail(&c, -EINVAL, 0, "the condition gives %s, not true or false",
		              kind_name(v.kind));
	if (r < 0) {
		if (err)
			*err = c.err;
		return r;
	}
	*ret = v.boolean;
	return 0;
}
