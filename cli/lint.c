#include "cli/lint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/escape.h"
#include "cli/yamljson.h"
#include "model/api.h"
#include "model/errors.h"
#include "model/release.h"

struct lint_ctx {
	const char *name;
	FILE *out;
	struct cli_lint_result *res;
};

static void report(struct lint_ctx *c, unsigned long line, unsigned long column, const char *field,
                   const char *message)
{
	/* Field paths and messages quote the manifest: a key may hold a line
	 * break or a terminal escape, and each problem must stay one line. */
	cli_fprintf(c->out, "%s:%lu:%lu: %s: %s\n", c->name, line, column, field, message);
	c->res->problems++;
}

static void on_problem(const struct kc_ynode *at, const char *message, void *userdata)
{
	report(userdata, at->line, at->column, "yaml", message);
}

/* Where to point for a model error on `path`: a scalar at its value, a
 * mapping or list at its key (its own start is the next line's first
 * key), a missing field at the parent found. */
static const struct kc_ynode *position_of(const struct kc_ynode *root, const char *path)
{
	const struct kc_ynode *key = NULL;
	const struct kc_ynode *at = cli_yaml_find(root, path, &key);
	if (at && at->kind != KC_YNODE_SCALAR && key)
		return key;
	return at ? at : root;
}

/* "PATH: message" as model_errors_add writes it; a message without a path
 * (the object as a whole) has no such prefix. */
static void split_error(const char *msg, char *path, size_t cap, const char **text)
{
	const char *sep = strstr(msg, ": ");
	path[0] = '\0';
	*text = msg;
	if (!sep || memchr(msg, ' ', (size_t)(sep - msg)))
		return;
	size_t n = (size_t)(sep - msg);
	if (n >= cap)
		n = cap - 1;
	memcpy(path, msg, n);
	path[n] = '\0';
	*text = sep + 2;
}

static int lint_release(struct lint_ctx *c, const struct kc_ynode *root, const json_t *obj)
{
	struct model_errors errs = {0};
	struct rel_release *rel = NULL;
	int r = rel_release_parse(obj, &rel, &errs);
	rel_release_free(rel);
	if (r == -ENOMEM) {
		model_errors_clear(&errs);
		return r;
	}
	for (size_t i = 0; i < errs.n; i++) {
		char path[512];
		const char *text;
		split_error(errs.msg[i], path, sizeof(path), &text);
		const struct kc_ynode *at = position_of(root, path);
		report(c, at->line, at->column, path[0] ? path : "(document)", text);
	}
	if (errs.dropped > 0) {
		char msg[96];
		snprintf(msg, sizeof(msg), "%zu more problems not shown", errs.dropped);
		report(c, root->line, root->column, "(document)", msg);
	}
	model_errors_clear(&errs);
	return 0;
}

static int lint_document(struct lint_ctx *c, const struct kc_ynode *root)
{
	if (!root)
		return 0; /* an empty document, as after a trailing "---" */
	if (root->kind != KC_YNODE_MAP) {
		report(c, root->line, root->column, "(document)",
		       "not a Kubernetes object (expected a mapping with apiVersion and kind)");
		return 0;
	}
	json_t *obj = cli_yaml_to_json(root, on_problem, c);
	if (!obj)
		return -ENOMEM;
	json_t *kind = json_object_get(obj, "kind");
	json_t *api = json_object_get(obj, "apiVersion");
	int r = 0;
	if (!json_is_string(kind)) {
		const struct kc_ynode *at = position_of(root, "kind");
		report(c, at->line, at->column, "kind", kind ? "must be a string" : "required");
	} else if (strcmp(json_string_value(kind), model_release_gvk.kind) == 0) {
		c->res->releases++;
		if (!json_is_string(api) ||
		    strcmp(json_string_value(api), MODEL_API_VERSION) != 0) {
			const struct kc_ynode *at = position_of(root, "apiVersion");
			report(c, at->line, at->column, "apiVersion", "must be " MODEL_API_VERSION);
		}
		r = lint_release(c, root, obj);
	}
	json_decref(obj);
	return r;
}

/* lint's words for a stream the reader refused; they follow the "yaml:" field. */
static const char *fault_text(const struct kc_yaml_fault *f)
{
	switch (f->kind) {
	case KC_YAML_SYNTAX:
		return f->problem;
	case KC_YAML_ALIAS:
		return "aliases are not supported";
	case KC_YAML_COMPLEX_KEY:
		return "a key must be a scalar";
	case KC_YAML_TOO_DEEP:
		return "nested too deeply";
	case KC_YAML_TOO_MANY_NODES:
		return "too many nodes";
	case KC_YAML_TOO_MANY_DOCS:
		return "too many documents";
	}
	return "invalid YAML";
}

int cli_lint_buffer(const char *name, const char *buf, size_t len, FILE *out,
                    struct cli_lint_result *res)
{
	struct lint_ctx c = {.name = name, .out = out, .res = res};
	struct kc_yaml_reader *reader = NULL;
	/* Complex keys are read, then reported (and skipped) by the conversion to
	 * JSON, so that the rest of the document is still linted. */
	int r = kc_yaml_reader_new(buf, len, KC_YAML_COMPLEX_KEYS, &reader);
	if (r < 0)
		return r;
	for (;;) {
		struct kc_ynode *root = NULL;
		struct kc_yaml_fault fault;
		r = kc_yaml_next(reader, &root, &fault);
		if (r == 0 || r == -ENOMEM)
			break;
		if (r < 0) {
			/* The documents before the fault have been linted. */
			report(&c, fault.line, fault.column, "yaml", fault_text(&fault));
			r = 0;
			break;
		}
		r = lint_document(&c, root);
		kc_yaml_free(root);
		if (r < 0)
			break;
	}
	kc_yaml_reader_free(reader);
	return r;
}

/* The whole of fd, up to CLI_LINT_MAX_FILE bytes. Caller frees *ret. */
static int read_all(int fd, char **ret, size_t *ret_len)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap >= CLI_LINT_MAX_FILE) {
				free(buf);
				return -EFBIG;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

int cli_lint_file(const char *path, FILE *out, struct cli_lint_result *res)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0;
	int r = fd < 0 ? -errno : read_all(fd, &buf, &len);
	if (fd >= 0 && !is_stdin)
		close(fd);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		cli_fprintf(out, "%s: %s\n", path,
		            r == -EFBIG ? "larger than 16 MiB, not a manifest" : strerror(-r));
		res->problems++;
		return 0;
	}
	r = cli_lint_buffer(is_stdin ? "<stdin>" : path, buf, len, out, res);
	free(buf);
	return r;
}
