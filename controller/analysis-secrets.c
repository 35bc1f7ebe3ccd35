/* The Secrets of an AnalysisRun's secretKeyRef arguments: one GET per
 * Secret through the API client (no Secret informer: the controller needs a
 * few, and `get` is all the rights it asks for), kept in the run's memory.
 * A value is never logged: failures name the Secret and the key. */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/analysis-internal.h"
#include "controller/runtime.h"
#include "kubeclient/path.h"
#include "model/api.h"

bool an_needs_secrets(const struct model_analysis_spec *spec)
{
	for (size_t i = 0; i < spec->n_args; i++)
		if (spec->args[i].source == MODEL_ARG_SECRET)
			return true;
	return false;
}

/* base64 (a Secret's data) into a NUL-terminated copy; NULL when invalid
 * or on ENOMEM. */
static char *decode(const char *in)
{
	size_t len = strlen(in);
	if (len % 4 != 0)
		return NULL;
	unsigned char *out = malloc(len / 4 * 3 + 1);
	if (!out)
		return NULL;
	int n = len ? EVP_DecodeBlock(out, (const unsigned char *)in, (int)len) : 0;
	if (n < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	for (size_t i = len; i > 0 && in[i - 1] == '=' && n > 0; i--)
		n--;
	out[n] = '\0';
	return (char *)out;
}

static void fail_reads(struct an_run *run, const char *message)
{
	if (run->secrets_state == AN_SECRETS_FAILED)
		return;
	run->secrets_state = AN_SECRETS_FAILED;
	model_public_clear(&run->secrets_error);
	model_public_redact(message, NULL, &run->secrets_error);
}

/* The values of every arg naming Secret `name`, from its data. */
static int take_values(struct an_run *run, const char *name, const json_t *secret)
{
	const json_t *data = json_object_get(secret, "data");
	for (size_t i = 0; i < run->n_secrets; i++) {
		struct an_secret *s = &run->secrets[i];
		if (strcmp(s->name, name) != 0)
			continue;
		const char *enc = json_string_value(json_object_get(data, s->key));
		char msg[600];
		if (!enc) {
			snprintf(msg, sizeof(msg), "Secret %.250s has no key %.250s", name, s->key);
			fail_reads(run, msg);
			continue;
		}
		free(s->value);
		s->value = decode(enc);
		if (!s->value) {
			snprintf(msg, sizeof(msg), "Secret %.250s key %.250s: not base64", name,
			         s->key);
			fail_reads(run, msg);
		}
	}
	return 0;
}

struct read_ctx {
	struct an_run *run;
	size_t slot;
	char name[MODEL_NAME_MAX + 1];
};

static void secret_read(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct read_ctx *c = userdata;
	struct an_run *run = c->run;
	run->reads[c->slot] = NULL;
	run->read_ctx[c->slot] = NULL;
	if (err) {
		char msg[700];
		snprintf(msg, sizeof(msg), "cannot read Secret %s: HTTP %ld", c->name, status);
		fail_reads(run, msg);
	} else {
		take_values(run, c->name, body);
	}
	free(c);
	if (--run->reads_left > 0)
		return;
	if (run->secrets_state == AN_SECRETS_READING)
		run->secrets_state = AN_SECRETS_READY;
	ctl_runtime_enqueue(run->ac->rt, run->key);
}

static void secrets_free(struct an_run *run)
{
	for (size_t i = 0; i < run->n_secrets; i++) {
		free(run->secrets[i].name);
		free(run->secrets[i].key);
		if (run->secrets[i].value)
			memset(run->secrets[i].value, 0, strlen(run->secrets[i].value));
		free(run->secrets[i].value);
	}
	free(run->secrets);
	run->secrets = NULL;
	run->n_secrets = 0;
}

void an_secrets_clear(struct an_run *run)
{
	for (size_t i = 0; i < run->n_reads; i++) {
		kc_request_cancel(run->reads[i]);
		free(run->read_ctx[i]);
	}
	free(run->reads);
	free(run->read_ctx);
	run->reads = NULL;
	run->read_ctx = NULL;
	run->n_reads = run->reads_left = 0;
	secrets_free(run);
	model_public_clear(&run->secrets_error);
}

/* The (name, key) pairs to read, each once. */
static int collect(struct an_run *run, const struct model_analysis_spec *spec)
{
	secrets_free(run);
	run->secrets = calloc(spec->n_args ? spec->n_args : 1, sizeof(*run->secrets));
	run->n_secrets = 0;
	if (!run->secrets)
		return -ENOMEM;
	for (size_t i = 0; i < spec->n_args; i++) {
		const struct model_analysis_arg *a = &spec->args[i];
		if (a->source != MODEL_ARG_SECRET)
			continue;
		struct an_secret *s = &run->secrets[run->n_secrets];
		s->name = strdup(a->secret_name);
		s->key = strdup(a->secret_key);
		if (!s->name || !s->key)
			return -ENOMEM;
		run->n_secrets++;
	}
	return 0;
}

/* Starts the GET of Secret `name` into slot. */
static int start_read(struct an_run *run, const char *ns, const char *name, size_t slot)
{
	struct read_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->run = run;
	c->slot = slot;
	snprintf(c->name, sizeof(c->name), "%s", name);
	struct kc_ref ref = {.version = model_secret_gvk.version,
	                     .resource = model_secret_gvk.resource,
	                     .ns = ns,
	                     .name = name};
	char *path = NULL;
	run->read_ctx[slot] = c;
	int r = kc_path_build(&ref, NULL, &path);
	struct kc_error err = {0};
	struct kc_request_options o = {
	    .method = KC_GET, .path = path, .on_done = secret_read, .userdata = c};
	if (r == 0)
		r = kc_request_start(run->ac->client, &o, &run->reads[slot], &err);
	kc_error_clear(&err);
	free(path);
	if (r < 0) {
		run->read_ctx[slot] = NULL;
		free(c);
	}
	return r;
}

int an_secrets_read(struct an_run *run, const struct model_analysis_spec *spec, const char *ns)
{
	int r = collect(run, spec);
	if (r < 0)
		return r;
	free(run->reads);
	free(run->read_ctx);
	size_t n = run->n_secrets ? run->n_secrets : 1;
	run->reads = calloc(n, sizeof(*run->reads));
	run->read_ctx = calloc(n, sizeof(*run->read_ctx));
	if (!run->reads || !run->read_ctx)
		return -ENOMEM;
	run->n_reads = run->reads_left = 0;
	run->secrets_state = AN_SECRETS_READING;
	for (size_t i = 0; i < run->n_secrets; i++) {
		bool seen = false;
		for (size_t k = 0; k < i; k++)
			seen = seen || strcmp(run->secrets[k].name, run->secrets[i].name) == 0;
		if (seen)
			continue;
		r = start_read(run, ns, run->secrets[i].name, run->n_reads);
		if (r < 0) {
			fail_reads(run, "cannot start reading a Secret");
			break;
		}
		run->n_reads++;
		run->reads_left++;
	}
	if (run->reads_left == 0 && run->secrets_state == AN_SECRETS_READING)
		run->secrets_state = AN_SECRETS_READY;
	return 0;
}

int an_bind(const struct an_run *run, const struct model_analysis_spec *spec,
            struct model_arg_values *out, struct model_errors *errs)
{
	struct model_secret_value sv[MODEL_ANALYSIS_ARGS_MAX];
	size_t n = 0;
	for (size_t i = 0; i < run->n_secrets && n < MODEL_ANALYSIS_ARGS_MAX; i++)
		if (run->secrets[i].value)
			sv[n++] = (struct model_secret_value){.name = run->secrets[i].name,
			                                      .key = run->secrets[i].key,
			                                      .value = run->secrets[i].value};
	return model_arg_values_bind(spec->args, spec->n_args, sv, n, out, errs);
}
