#include "cli/lint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/yamldoc.h"
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
	fprintf(c->out, "%s:%lu:%lu: %s: %s\n", c->name, line, column, field, message);
	c->res->problems++;
}

static void on_problem(const struct ydoc_node *at, const char *message, void *userdata)
{
	report(userdata, at->line, at->column, "yaml", message);
}

/* Where to point for a model error on `path`: a scalar at its value, a
 * mapping or list at its key (its own start is the next line's first
 * key), a missing field at the parent found. */
static const struct ydoc_node *position_of(const struct ydoc_node *root, const char *path)
{
	const struct ydoc_node *key = NULL;
	const struct ydoc_node *at = ydoc_find(root, path, &key);
	if (at && at->kind != YDOC_SCALAR && key)
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

static int lint_release(struct lint_ctx *c, const struct ydoc_node *root, const json_t *obj)
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
		const struct ydoc_node *at = position_of(root, path);
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

static int lint_document(struct lint_ctx *c, const struct ydoc_node *root)
{
	if (!root)
		return 0; /* an empty document, as after a trailing "---" */
	if (root->kind != YDOC_MAP) {
		report(c, root->line, root->column, "(document)",
		       "not a Kubernetes object (expected a mapping with apiVersion and kind)");
		return 0;
	}
	json_t *obj = ydoc_to_json(root, on_problem, c);
	if (!obj)
		return -ENOMEM;
	json_t *kind = json_object_get(obj, "kind");
	json_t *api = json_object_get(obj, "apiVersion");
	int r = 0;
	if (!json_is_string(kind)) {
		const struct ydoc_node *at = position_of(root, "kind");
		report(c, at->line, at->column, "kind", kind ? "must be a string" : "required");
	} else if (strcmp(json_string_value(kind), REL_KIND) == 0) {
		c->res->releases++;
		if (!json_is_string(api) || strcmp(json_string_value(api), REL_API_VERSION) != 0) {
			const struct ydoc_node *at = position_of(root, "apiVersion");
			report(c, at->line, at->column, "apiVersion", "must be " REL_API_VERSION);
		}
		r = lint_release(c, root, obj);
	}
	json_decref(obj);
	return r;
}

int cli_lint_buffer(const char *name, const char *buf, size_t len, FILE *out,
                    struct cli_lint_result *res)
{
	struct lint_ctx c = {.name = name, .out = out, .res = res};
	struct ydoc_stream s;
	int r = ydoc_parse(buf, len, &s);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s.n_docs && r == 0; i++)
		r = lint_document(&c, s.docs[i]);
	if (r == 0 && s.failed)
		report(&c, s.error_line, s.error_column, "yaml", s.error);
	ydoc_stream_clear(&s);
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
		fprintf(out, "%s: %s\n", path,
		        r == -EFBIG ? "larger than 16 MiB, not a manifest" : strerror(-r));
		res->problems++;
		return 0;
	}
	r = cli_lint_buffer(is_stdin ? "<stdin>" : path, buf, len, out, res);
	free(buf);
	return r;
}
