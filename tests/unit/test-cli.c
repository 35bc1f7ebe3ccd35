/* The CLI's small parsers and printers: a command's flags (as kubectl takes
 * them), what a leader-election Lease says about the controller (for
 * `version`), and -o yaml's quoting of strings that YAML would read as
 * something else, and of control characters. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/lease.h"
#include "cli/restart.h"
#include "cli/yamljson.h"
#include "cli/yamlout.h"
#include "model/api.h"
#include "model/timefmt.h"
#include "tap.h"

static void test_flags(void)
{
	static const struct {
		const char *args[6];
		int want; /* 0 or CLI_EXIT_USAGE */
		bool watch;
		const char *timeout;
		int npos;
		const char *pos0;
	} rows[] = {
	    {{"web"}, 0, false, NULL, 1, "web"},
	    {{"web", "--watch"}, 0, true, NULL, 1, "web"},
	    {{"-w", "web"}, 0, true, NULL, 1, "web"},
	    {{"web", "--watch=false"}, 0, false, NULL, 1, "web"},
	    {{"web", "--watch=maybe"}, CLI_EXIT_USAGE, false, NULL, 0, NULL},
	    {{"web", "--timeout", "5m"}, 0, false, "5m", 1, "web"},
	    {{"web", "--timeout=90s"}, 0, false, "90s", 1, "web"},
	    {{"web", "--timeout"}, CLI_EXIT_USAGE, false, NULL, 0, NULL},
	    {{"web", "--nope"}, CLI_EXIT_USAGE, false, NULL, 0, NULL},
	    {{"web", "other"}, CLI_EXIT_USAGE, false, NULL, 0, NULL},
	    {{"--", "--watch"}, 0, false, NULL, 1, "--watch"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct cli c = {.prog = "test"};
		char *argv[6] = {0};
		int argc = 0;
		while (argc < 6 && rows[i].args[argc]) {
			argv[argc] = (char *)rows[i].args[argc];
			argc++;
		}
		bool watch = false;
		const char *timeout = NULL;
		const struct cli_flag flags[] = {
		    {"watch", 'w', false, NULL, &watch}, {"timeout", 0, true, &timeout, NULL}, {0}};
		char *pos[1] = {0};
		int npos = 0;
		int r = cli_parse_flags(&c, argc, argv, flags, pos, 1, &npos);
		is_int(r, rows[i].want, "flags row %zu: result", i);
		if (r != 0)
			continue;
		is_int(watch, rows[i].watch, "flags row %zu: watch", i);
		is_str(timeout ? timeout : "(none)", rows[i].timeout ? rows[i].timeout : "(none)",
		       "flags row %zu: timeout", i);
		is_int(npos, rows[i].npos, "flags row %zu: positionals", i);
		is_str(pos[0], rows[i].pos0, "flags row %zu: first positional", i);
	}
}

static void test_yaml_out(void)
{
	json_t *v =
	    json_loads("{\"s\":\"plain\",\"t\":\"true\",\"y\":\"yes\",\"n\":\"12\",\"e\":\"\","
	               "\"d\":\"2026-11-26T10:00:00Z\",\"nul\":\"null\",\"i\":12,\"b\":false,"
	               "\"z\":null,\"a\":[1.5,\"x: y\"],\"o\":{}}",
	               0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	is_int(cli_yaml_write(f, v), 0, "written");
	fclose(f);
	is_str(buf,
	       "a:\n- 1.5\n- 'x: y'\nb: false\nd: \"2026-11-26T10:00:00Z\"\ne: \"\"\ni: 12\n\"n\": "
	       "\"12\"\n"
	       "nul: \"null\"\no: {}\ns: plain\nt: \"true\"\n\"y\": \"yes\"\nz: null\n",
	       "keys sorted; look-alike strings (and the keys y and n) quoted");
	struct kc_yaml_reader *reader = NULL;
	struct kc_ynode *doc = NULL, *extra = NULL;
	is_int(kc_yaml_reader_new(buf, len, 0, &reader), 0, "a reader");
	int first = reader ? kc_yaml_next(reader, &doc, NULL) : -1;
	is_int(first, 1, "reads back");
	is_int(first == 1 ? kc_yaml_next(reader, &extra, NULL) : -1, 0, "as one document");
	json_t *back = first == 1 ? cli_yaml_to_json(doc, NULL, NULL) : NULL;
	ok(back && json_equal(back, v), "as the same JSON");
	json_decref(back);
	kc_yaml_free(doc);
	kc_yaml_free(extra);
	kc_yaml_reader_free(reader);
	free(buf);
	json_decref(v);
}

/* -o yaml is data, not display: it is not escaped the CLI's way, but the
 * YAML emitter writes every control character as a YAML escape (\e, \r,
 * \x7F, \x9B), so a terminal never gets one raw either; only the line
 * breaks of the format itself are raw. Read back, it is the same data. */
static void test_yaml_controls(void)
{
	json_t *v = json_pack("{s:s, s:s, s:s, s:[s, s, s], s:s}", "name\x1b[2J",
	                      "web\x1b]0;title\x07", "message",
	                      "a\rb\bc\td\x7f"
	                      "e\xc2\x9b"
	                      "6n\xc2\x85",
	                      "lines", "one\ntwo\x1b[1A", "images", "nginx\x1b[31m",
	                      "caf\xc3\xa9 \xf0\x9f\x9a\x80", "\x01\x02\x1f", "bidi",
	                      "a\xe2\x80\xae"
	                      "b");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	is_int(v ? cli_yaml_write(f, v) : -1, 0, "yaml controls: written");
	fclose(f);
	bool raw = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)buf[i];
		if ((b < 0x20 && b != '\n') || b == 0x7f ||
		    (b == 0xc2 && i + 1 < len && (unsigned char)buf[i + 1] <= 0x9f))
			raw = true;
	}
	ok(!raw, "yaml controls: no raw control byte in the output");
	ok(strstr(buf, "caf\xc3\xa9") != NULL, "yaml controls: printable UTF-8 as it is");
	struct kc_yaml_reader *reader = NULL;
	struct kc_ynode *doc = NULL;
	int first =
	    kc_yaml_reader_new(buf, len, 0, &reader) == 0 ? kc_yaml_next(reader, &doc, NULL) : -1;
	json_t *back = first == 1 ? cli_yaml_to_json(doc, NULL, NULL) : NULL;
	ok(back && json_equal(back, v), "yaml controls: reads back as the same data");
	json_decref(back);
	kc_yaml_free(doc);
	kc_yaml_reader_free(reader);
	free(buf);
	json_decref(v);
}

/* `version` says "unknown" exactly when no controller holds the Lease. */
static void test_lease(void)
{
	time_t now;
	model_time_parse("2026-12-02T18:30:00Z", &now);
	static const struct {
		const char *what;
		const char *holder;  /* NULL: no Lease at all */
		const char *renew;   /* NULL: no renewTime */
		int duration;        /* 0: no leaseDurationSeconds */
		const char *version; /* NULL: no annotation */
		enum cli_lease_state want;
		const char *want_version;
	} rows[] = {
	    {"held and annotated", "ctl-a_1", "2026-12-02T18:29:55.123456Z", 15, "0.1.0",
	     CLI_LEASE_HELD, "0.1.0"},
	    {"held until the last second", "ctl-a_1", "2026-12-02T18:29:45.000000Z", 15, "0.1.0",
	     CLI_LEASE_HELD, "0.1.0"},
	    {"held, no version published", "ctl-a_1", "2026-12-02T18:29:59.000000Z", 15, NULL,
	     CLI_LEASE_HELD, NULL},
	    {"no Lease", NULL, NULL, 0, NULL, CLI_LEASE_MISSING, NULL},
	    {"empty holder (released)", "", "2026-12-02T18:29:59.000000Z", 1, "0.1.0",
	     CLI_LEASE_RELEASED, NULL},
	    {"expired", "ctl-a_1", "2026-12-02T18:29:44.999999Z", 15, "0.1.0", CLI_LEASE_EXPIRED,
	     "0.1.0"},
	    {"no renewTime", "ctl-a_1", NULL, 15, "0.1.0", CLI_LEASE_EXPIRED, "0.1.0"},
	    {"no leaseDurationSeconds", "ctl-a_1", "2026-12-02T18:29:59.000000Z", 0, "0.1.0",
	     CLI_LEASE_EXPIRED, "0.1.0"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *lease = NULL;
		if (rows[i].holder) {
			lease = json_pack("{s:{s:s, s:{}}, s:{s:s}}", "metadata", "name",
			                  "slipway-controller", "annotations", "spec",
			                  "holderIdentity", rows[i].holder);
			json_t *spec = json_object_get(lease, "spec");
			if (rows[i].renew)
				json_object_set_new(spec, "renewTime", json_string(rows[i].renew));
			if (rows[i].duration)
				json_object_set_new(spec, "leaseDurationSeconds",
				                    json_integer(rows[i].duration));
			if (rows[i].version)
				json_object_set_new(
				    json_object_get(json_object_get(lease, "metadata"),
				                    "annotations"),
				    MODEL_ANNOTATION_CONTROLLER_VERSION,
				    json_string(rows[i].version));
		}
		struct cli_lease_info info = cli_lease_read(lease, now);
		is_int(info.state, rows[i].want, "lease: %s: state", rows[i].what);
		if (rows[i].want >= CLI_LEASE_EXPIRED)
			is_str(info.holder, rows[i].holder, "lease: %s: holder", rows[i].what);
		if (rows[i].want == CLI_LEASE_HELD || rows[i].want_version)
			is_str(info.version ? info.version : "(none)",
			       rows[i].want_version ? rows[i].want_version : "(none)",
			       "lease: %s: version", rows[i].what);
		json_decref(lease);
	}
}

/* The restart contract with the controller: what is written, and when the
 * answer says done. */
static void test_restart(void)
{
	time_t now;
	model_time_parse("2026-12-02T18:30:00Z", &now);
	char at[MODEL_TIME_LEN] = "";
	json_t *patch = NULL;
	is_int(cli_restart_request(now, at, &patch), 0, "restart: request built");
	is_str(at, "2026-12-02T18:30:00Z", "restart: the time, RFC 3339 UTC, whole seconds");
	json_t *want = json_pack("{s:{s:s}}", "spec", "restartAt", "2026-12-02T18:30:00Z");
	ok(json_equal(patch, want), "restart: a merge patch of spec.restartAt alone");
	json_decref(want);
	json_decref(patch);

	static const struct {
		const char *what;
		const char *restarted_at; /* NULL: absent */
		bool done;
	} rows[] = {
	    {"no answer yet", NULL, false},
	    {"an earlier restart's answer", "2026-12-02T18:29:59Z", false},
	    {"the answer to ours", "2026-12-02T18:30:00Z", true},
	    {"a later request's answer", "2026-12-02T18:31:00Z", true},
	    {"not a time", "soon", false},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *rel = json_pack("{s:{s:s}, s:{}}", "spec", "restartAt",
		                        "2026-12-02T18:30:00Z", "status");
		if (rows[i].restarted_at)
			json_object_set_new(json_object_get(rel, "status"), "restartedAt",
			                    json_string(rows[i].restarted_at));
		is_int(cli_restart_done(rel, at), rows[i].done, "restart: %s", rows[i].what);
		json_decref(rel);
	}
}

int main(void)
{
	test_flags();
	test_lease();
	test_restart();
	test_yaml_out();
	test_yaml_controls();
	return tap_done();
}
