/* kc_list_split_items and kc_list_split_next, from tables: each case says
 * where "items" is (or why it cannot be found) and which elements the
 * iteration yields; every yielded range must parse with jansson. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "kubeclient/list-split.h"
#include "tap.h"

struct items_case {
	const char *json;
	int want;          /* return of kc_list_split_items */
	const char *items; /* the text of the items value when found */
};

static const struct items_case items_cases[] = {
    {"{\"kind\":\"ConfigMapList\",\"items\":[{\"a\":1}],\"metadata\":{}}", 0, "[{\"a\":1}]"},
    {"{\"metadata\":{\"items\":[1]},\"items\":[]}", 0, "[]"}, /* nested key is not the member */
    {" {\n\t\"items\" : null , \"x\":1}", 0, "null"},
    {"{\"s\":\"a \\\" } ] \\\\\",\"items\":[\"]\",{}]}", 0, "[\"]\",{}]"},
    {"{\"items\\u0000\":[],\"n\":-1.5e3,\"t\":true}", -ENOENT, NULL}, /* other key */
    {"{}", -ENOENT, NULL},
    {"{\"kind\":\"Status\"}", -ENOENT, NULL},
    {"[]", -EBADMSG, NULL},
    {"", -EBADMSG, NULL},
    {"{\"items\":[1,2", -EBADMSG, NULL},
    {"{\"items\" [1]}", -EBADMSG, NULL},
    {"{\"a\":1 \"items\":[]}", -EBADMSG, NULL},
    {"{\"a\":\"unterminated}", -EBADMSG, NULL},
    {"{\"a\":,\"items\":[]}", -EBADMSG, NULL},
};

struct next_case {
	const char *array;
	int n;                /* elements yielded, or -1 when iteration fails */
	const char *elems[4]; /* their text */
};

static const struct next_case next_cases[] = {
    {"[]", 0, {NULL}},
    {" [ ] ", 0, {NULL}},
    {"[{\"metadata\":{\"name\":\"a\"}},{\"b\":[1,{\"c\":\"}\"}]}]",
     2,
     {"{\"metadata\":{\"name\":\"a\"}}", "{\"b\":[1,{\"c\":\"}\"}]}"}},
    {"[ 1 , \"two\" ,null,[3]]", 4, {"1", "\"two\"", "null", "[3]"}},
    {"[{},", -1, {NULL}},
    {"[{} {}]", -1, {NULL}},
    {"{}", -1, {NULL}},
    {"[{\"a\":\"\\\"\"}]", 1, {"{\"a\":\"\\\"\"}"}},
};

static void test_items(void)
{
	for (size_t i = 0; i < sizeof(items_cases) / sizeof(items_cases[0]); i++) {
		const struct items_case *c = &items_cases[i];
		size_t start = 999, end = 999;
		int r = kc_list_split_items(c->json, strlen(c->json), &start, &end);
		is_int(r, c->want, "items case %zu", i);
		if (c->want == 0 && r == 0) {
			char got[256];
			snprintf(got, sizeof(got), "%.*s", (int)(end - start), c->json + start);
			is_str(got, c->items, "items case %zu: the value's text", i);
		} else {
			ok(start == 999 && end == 999, "items case %zu: out-params untouched", i);
		}
	}
}

static void test_next(void)
{
	for (size_t i = 0; i < sizeof(next_cases) / sizeof(next_cases[0]); i++) {
		const struct next_case *c = &next_cases[i];
		size_t len = strlen(c->array), pos = 0, start, end;
		int n = 0, r;
		bool all_match = true;
		for (r = kc_list_split_next(c->array, len, &pos, &start, &end); r > 0 && n < 8;
		     r = kc_list_split_next(c->array, len, &pos, &start, &end)) {
			char got[256];
			snprintf(got, sizeof(got), "%.*s", (int)(end - start), c->array + start);
			if (n >= 4 || !c->elems[n] || strcmp(got, c->elems[n]) != 0)
				all_match = false;
			json_t *parsed =
			    json_loadb(c->array + start, end - start, JSON_DECODE_ANY, NULL);
			if (!parsed)
				all_match = false;
			json_decref(parsed);
			n++;
		}
		if (c->n < 0) {
			is_int(r, -EBADMSG, "next case %zu fails", i);
		} else {
			is_int(r, 0, "next case %zu: ends cleanly", i);
			is_int(n, c->n, "next case %zu: %d elements", i, c->n);
			ok(all_match, "next case %zu: each element's text, and it parses", i);
			is_int(kc_list_split_next(c->array, len, &pos, &start, &end), 0,
			       "next case %zu: stays at the end", i);
		}
	}
}

static void test_limits(void)
{
	/* Deeper than the limit: refused, not a stack overflow. */
	size_t depth = KC_LIST_SPLIT_MAX_DEPTH + 10;
	static char deep[2 * (KC_LIST_SPLIT_MAX_DEPTH + 10) + 16];
	size_t n = 0;
	n += (size_t)snprintf(deep, sizeof(deep), "{\"items\":");
	for (size_t i = 0; i < depth; i++)
		deep[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	size_t start, end;
	is_int(kc_list_split_items(deep, n, &start, &end), -EBADMSG, "nesting past the limit");
	/* The scan never reads past len, even when a string runs on. */
	const char cut[] = "{\"items\":[\"abc\"]}";
	is_int(kc_list_split_items(cut, 13, &start, &end), -EBADMSG, "a value cut by len");
	const char nul[] = "{\"items\":[\"a\0b\"]}";
	is_int(kc_list_split_items(nul, sizeof(nul) - 1, &start, &end), -EBADMSG, "a NUL byte");
}

int main(void)
{
	test_items();
	test_next();
	test_limits();
	return tap_done();
}
