/* escape: what the CLI prints of strings from the cluster (cli/escape.h).
 * The escaping itself from a table; then whole commands against a scripted
 * API server whose answers are hostile: the server's error message reaches
 * stderr escaped, and `undo` prints its revision and images escaped while
 * the template it writes back holds the original bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli-capture.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/escape.h"
#include "kubeclient/apierror.h"
#include "model/api.h"
#include "model/revision.h"
#include "model/timefmt.h"
#include "scripted-server.h"
#include "tap.h"

static void test_table(void)
{
	static const struct {
		const char *what, *in;
		size_t len; /* 0: strlen(in) */
		const char *want;
	} rows[] = {
	    {"plain ASCII", "web-7d9f", 0, "web-7d9f"},
	    {"CSI clear screen", "\x1b[2J", 0, "\\x1b[2J"},
	    {"OSC window title", "\x1b]0;title\x07", 0, "\\x1b]0;title\\a"},
	    {"OSC 52 clipboard", "\x1b]52;c;cHduZWQ=\x1b\\", 0, "\\x1b]52;c;cHduZWQ=\\x1b\\"},
	    {"the named C0 controls", "a\rb\bc\td\ne\vf\fg\a", 0, "a\\rb\\bc\\td\\ne\\vf\\fg\\a"},
	    {"other C0 controls", "\x01\x0e\x1f", 0, "\\x01\\x0e\\x1f"},
	    {"NUL inside", "a\0b", 3, "a\\x00b"},
	    {"DEL", "x\x7fy", 0, "x\\x7fy"},
	    {"C1 CSI (U+009B)",
	     "\xc2\x9b"
	     "31m",
	     0, "\\u009b31m"},
	    {"first and last C1", "\xc2\x80\xc2\x9f", 0, "\\u0080\\u009f"},
	    {"bidi override and isolate",
	     "a\xe2\x80\xae"
	     "b\xe2\x81\xa6"
	     "c",
	     0, "a\\u202eb\\u2066c"},
	    {"line and paragraph separators", "\xe2\x80\xa8\xe2\x80\xa9", 0, "\\u2028\\u2029"},
	    {"printable UTF-8 kept", "caf\xc3\xa9 \xf0\x9f\x9a\x80 \xe6\x97\xa5\xc2\xa0!", 0,
	     "caf\xc3\xa9 \xf0\x9f\x9a\x80 \xe6\x97\xa5\xc2\xa0!"},
	    {"a backslash kept", "a\\x1b", 0, "a\\x1b"},
	    {"invalid byte",
	     "a\xff"
	     "b",
	     0, "a\\xffb"},
	    {"lead byte without continuation", "\xc3(", 0, "\\xc3("},
	    {"lone continuation", "\x80", 0, "\\x80"},
	    {"overlong '/'", "\xc0\xaf", 0, "\\xc0\\xaf"},
	    {"overlong 3-byte", "\xe0\x80\xaf", 0, "\\xe0\\x80\\xaf"},
	    {"surrogate", "\xed\xa0\x80", 0, "\\xed\\xa0\\x80"},
	    {"above U+10FFFF", "\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80"},
	    {"cut at the end", "ok\xf0\x9f\x9a", 0, "ok\\xf0\\x9f\\x9a"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);
		char out[128], again[128];
		size_t n = cli_escape(rows[i].in, len, out, sizeof(out));
		is_str(out, rows[i].want, "escape: %s", rows[i].what);
		is_int(n, strlen(rows[i].want), "escape: %s: length", rows[i].what);
		ok(terminal_safe(out), "escape: %s: safe", rows[i].what);
		cli_escape(out, strlen(out), again, sizeof(again));
		is_str(again, out, "escape: %s: escaping again changes nothing", rows[i].what);
	}

	char small[6];
	is_int(cli_escape("ab\x1b", 3, small, sizeof(small)), 6, "cut: the whole length");
	is_str(small, "ab", "cut: an escape that does not fit is left out whole");
	is_int(cli_escape("a\xc3\xa9", 3, small, 3), 3, "cut: UTF-8 length");
	is_str(small, "a", "cut: a UTF-8 sequence that does not fit is left out whole");
	is_int(cli_escape("\x1b", 1, NULL, 0), 4, "cap 0 only counts");
}

/* Widths count display columns of the escaped form; numbers as printf. */
static void test_format(void)
{
	char buf[128];
	cli_snprintf(buf, sizeof(buf), "%-6s|%6s|%-6s|%.2s|", "\x1b", "caf\xc3\xa9",
	             "\xe6\x97\xa5\xe6\x9c\xac", "\x1b[2J");
	is_str(buf, "\\x1b  |  caf\xc3\xa9|\xe6\x97\xa5\xe6\x9c\xac  |\\x1b[|",
	       "format: padded in columns, precision in source bytes");
	int n = cli_snprintf(buf, sizeof(buf), "%d|%05d|%-4u|%x|%lld|%zu|%*d|%-*d|%c|%%|%.1f", -7,
	                     42, 3u, 255u, -5LL, (size_t)9, 3, 1, -3, 2, '\r', 2.25);
	is_str(buf, "-7|00042|3   |ff|-5|9|  1|2  |\\r|%|2.2", "format: numbers as printf does");
	is_int(n, (int)strlen(buf), "format: returns the length");
	char small[8];
	n = cli_snprintf(small, sizeof(small), "%s%s", "abcde", "\x1b[");
	is_str(small, "abcde", "format: cut before an escape that does not fit");
	is_int(n, 10, "format: returns the whole length");
	cli_snprintf(small, sizeof(small), "ab%sc", "\xe6\x97\xa5\xe6\x9c\xac");
	is_str(small, "ab\xe6\x97\xa5", "format: cut before a UTF-8 sequence that does not fit");
}

/* -o json: the same data, with the controls JSON leaves raw escaped too. */
static void test_json_text(void)
{
	json_t *v = json_pack("{s:s, s:[s, s]}", "k\x7f\xc2\x9b", "v\x1b[2J\xc2\x85\x7f", "l",
	                      "caf\xc3\xa9 \xf0\x9f\x9a\x80",
	                      "a\xe2\x80\xae"
	                      "b");
	char *text = json_dumps(v, JSON_INDENT(4));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	is_int(text ? cli_write_json_text(f, text) : -1, 0, "json: written");
	fclose(f);
	ok(buf && terminal_safe(buf), "json: no raw control byte");
	ok(buf && strstr(buf, "\"v\\u001B[2J\\u0085\\u007F\""), "json: as \\u escapes");
	ok(buf && strstr(buf, "caf\xc3\xa9 \xf0\x9f\x9a\x80"), "json: printable UTF-8 as it is");
	json_t *back = buf ? json_loads(buf, 0, NULL) : NULL;
	ok(back && json_equal(back, v), "json: reads back as the same data");
	json_decref(back);
	free(buf);
	free(text);
	json_decref(v);
}

/* ---- whole commands -------------------------------------------------- */

/* Runs cmd with args against the server's script; returns its exit code
 * and what it printed (caller frees). */
static int run(int (*cmd)(struct cli *, int, char **), const char *kubeconfig, char **args,
               int nargs, char **out, char **err)
{
	struct cli c = {.prog = "kubectl-slipway", .kubeconfig = kubeconfig};
	struct capture cap;
	capture_start(&cap);
	int code = cmd(&c, nargs, args);
	cli_disconnect(&c);
	capture_end(&cap, out, err);
	return code;
}

/* An API server's error message, quoting a hostile object, is printed
 * escaped; so is a proxy's plain-text answer that is not even UTF-8. */
static void test_server_error(struct ss_server *srv, const char *kubeconfig)
{
	const char *status = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
	                     "\"reason\":\"Invalid\",\"code\":422,\"message\":\"Release "
	                     "\\\"web\\u001b[2J\\u001b]0;owned\\u0007\\\" is invalid: "
	                     "spec.paused: \\u009b6n\\r\\n\\u00e9\"}";
	struct ss_action script[] = {{SS_SEND, ss_response(srv, 422, "", status), {0}}};
	ss_start(srv, script, 1);
	char *args[] = {"web"}, *out = NULL, *err = NULL;
	int code = run(cmd_pause, kubeconfig, args, 1, &out, &err);
	ss_join(srv);
	is_int(code, CLI_EXIT_FAIL, "server error: the command fails");
	ok(err && terminal_safe(err), "server error: stderr holds no raw control");
	ok(err && strstr(err, "\"web\\x1b[2J\\x1b]0;owned\\a\" is invalid: spec.paused: "
	                      "\\u009b6n  \xc3\xa9\n"),
	   "server error: the message, escaped, on one line");
	free(out);
	free(err);

	/* A plain-text body: kubeclient keeps its first line, bytes as sent. */
	static const char body[] = "bad gateway \x1b]52;c;cHduZWQ=\x07 \xff\xfe\x1b[8m";
	struct kc_error e = {0};
	kc_error_from_response(&e, "GET", "/apis/x", 502, body, sizeof(body) - 1);
	struct cli c = {.prog = "kubectl-slipway"};
	struct kc_ref ref = cli_release_ref("dev", "web");
	struct capture cap;
	capture_start(&cap);
	cli_report_api_error(&c, "get", &ref, &e);
	capture_end(&cap, &out, &err);
	kc_error_clear(&e);
	ok(err && terminal_safe(err), "plain-text error: stderr holds no raw control");
	ok(err && strstr(err, "bad gateway \\x1b]52;c;cHduZWQ=\\a \\xff\\xfe\\x1b[8m\n"),
	   "plain-text error: escaped, invalid bytes as \\xHH");
	free(out);
	free(err);
}

/* `version` prints the Lease holder and the version it publishes escaped. */
static void test_version_lease(struct ss_server *srv, const char *kubeconfig)
{
	char now[MODEL_TIME_LEN];
	model_time_format(time(NULL), now);
	json_t *lease = json_pack("{s:s, s:{s:s, s:{s:s}}, s:{s:s, s:s, s:i}}", "kind", "Lease",
	                          "metadata", "name", "slipway-controller", "annotations",
	                          MODEL_ANNOTATION_CONTROLLER_VERSION, "0.1\x1b[2J\xc2\x9b", "spec",
	                          "holderIdentity", "pod\x1b]0;x\x07\r", "renewTime", now,
	                          "leaseDurationSeconds", 3600);
	char *text = json_dumps(lease, JSON_COMPACT);
	struct ss_action script[] = {{SS_SEND, ss_response(srv, 200, "", text), {0}}};
	ss_start(srv, script, 1);
	char *args[] = {"--leader-election-namespace", "dev"}, *out = NULL, *err = NULL;
	int code = run(cmd_version, kubeconfig, args, 2, &out, &err);
	ss_join(srv);
	is_int(code, 0, "version: succeeds");
	ok(out && terminal_safe(out), "version: stdout holds no raw control");
	ok(out && strstr(out, "controller: slipway-controller 0.1\\x1b[2J\\u009b (leader "
	                      "pod\\x1b]0;x\\a\\r, Lease dev/slipway-controller)\n"),
	   "version: holder and version escaped");
	free(text);
	json_decref(lease);
	free(out);
	free(err);
}

/* The template a user wrote, with strings a terminal would act on. */
static const char user_template[] =
    "{\"metadata\":{\"labels\":{\"app\":\"web\"},\"annotations\":{\"note\":"
    "\"\\u001b[2J\\u001b]0;t\\u0007 \\u00e9\\ud83d\\ude80 \\u009b\\u007f\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\\u001b[31m:1\\u009b\"}]}}";

/* The answers `undo web` gets: the Release, then its ReplicaSets (one, of
 * the revision of user_template, under the name rs_name), then the
 * patched Release. Caller frees *rel_text and *rs_text. */
static void undo_objects(const char *rev, char **rel_text, char **rs_text)
{
	json_t *rel =
	    json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:i}, s:{s:{s:{s:s}}}, "
	              "s:{s:s, s:[{s:s}, {s:s}]}}",
	              "apiVersion", "slipway.dev/v1alpha1", "kind", "Release", "metadata", "name",
	              "web", "namespace", "dev", "uid", "u1", "generation", 3, "spec", "selector",
	              "matchLabels", "app", "web", "status", "currentRevision", "newrev", "history",
	              "revision", "newrev", "revision", rev);
	json_t *tmpl = json_loads(user_template, 0, NULL);
	json_object_set_new(json_object_get(json_object_get(tmpl, "metadata"), "labels"),
	                    MODEL_LABEL_REVISION, json_string(rev));
	json_t *rs =
	    json_pack("{s:s, s:{s:s}, s:[{s:{s:s, s:s, s:{s:s}, "
	              "s:[{s:b, s:s, s:s, s:s}]}, s:{s:i, s:o}}]}",
	              "kind", "ReplicaSetList", "metadata", "resourceVersion", "1", "items",
	              "metadata", "name", "web-old\x1b[2J", "uid", "r1", "labels",
	              MODEL_LABEL_REVISION, rev, "ownerReferences", "controller", 1, "uid", "u1",
	              "kind", "Release", "name", "web", "spec", "replicas", 0, "template", tmpl);
	*rel_text = json_dumps(rel, JSON_COMPACT);
	*rs_text = json_dumps(rs, JSON_COMPACT);
	json_decref(rel);
	json_decref(rs);
}

/* `undo` shows what it did escaped, and writes back the template as the
 * ReplicaSet holds it, byte for byte: the escaping is display only. */
static void test_undo_writes_original(struct ss_server *srv, const char *kubeconfig)
{
	json_t *want = json_loads(user_template, 0, NULL);
	char rev[MODEL_REVISION_LEN + 1] = "";
	is_int(model_revision_hash(want, rev), 0, "undo: the revision of the template");
	char *rel_text = NULL, *rs_text = NULL;
	undo_objects(rev, &rel_text, &rs_text);
	struct ss_action script[] = {
	    {SS_SEND, ss_response(srv, 200, "", rel_text), {0}},
	    {SS_SEND, ss_response(srv, 200, "", rs_text), {0}},
	    {SS_SEND, ss_response(srv, 200, "", rel_text), {0}},
	};
	ss_start(srv, script, 3);
	char *args[] = {"web"}, *out = NULL, *err = NULL;
	int code = run(cmd_undo, kubeconfig, args, 1, &out, &err);
	ss_join(srv);
	is_int(code, 0, "undo: succeeds");
	const struct ss_request *patch = ss_request(srv, 2);
	static const char want_line[] =
	    "PATCH /apis/slipway.dev/v1alpha1/namespaces/dev/releases/web ";
	ok(strncmp(patch->line, want_line, sizeof(want_line) - 1) == 0,
	   "undo: patches the Release");
	json_t *sent = json_loads(patch->body, 0, NULL);
	json_t *value = json_object_get(json_array_get(sent, 1), "value");
	ok(value && json_equal(value, want),
	   "undo: the template written holds the original bytes (ESC, BEL, C1, DEL, emoji)");
	ok(!strstr(patch->body, "\\\\x1b") && !strstr(patch->body, "\\\\u009b"),
	   "undo: no display escape in what is written");
	ok(out && terminal_safe(out), "undo: stdout holds no raw control");
	ok(out && strstr(out, "rolled back to revision ") && strstr(out, "\\u009b"),
	   "undo: says what it did, with the C1 control of the image escaped");
	ok(err && terminal_safe(err), "undo: stderr holds no raw control");
	json_decref(sent);
	json_decref(want);
	free(rel_text);
	free(rs_text);
	free(out);
	free(err);
}

int main(void)
{
	test_table();
	test_format();
	test_json_text();
	struct ss_server *srv = NULL;
	char kubeconfig[64] = "";
	if (ss_new(&srv) < 0 ||
	    write_test_kubeconfig(ss_port(srv), "test-escape", kubeconfig) < 0) {
		ok(false, "a scripted server and its kubeconfig");
		ss_free(srv);
		return tap_done();
	}
	test_server_error(srv, kubeconfig);
	test_undo_writes_original(srv, kubeconfig);
	test_version_lease(srv, kubeconfig);
	unlink(kubeconfig);
	ss_free(srv);
	return tap_done();
}
