#include "cli-capture.h"

#include <stdlib.h>
#include <unistd.h>

void capture_start(struct capture *c)
{
	fflush(stdout);
	fflush(stderr);
	c->out = tmpfile();
	c->err = tmpfile();
	c->saved_out = dup(STDOUT_FILENO);
	c->saved_err = dup(STDERR_FILENO);
	if (c->out)
		dup2(fileno(c->out), STDOUT_FILENO);
	if (c->err)
		dup2(fileno(c->err), STDERR_FILENO);
}

/* What f holds, closing it. Caller frees the result. */
static char *slurp(FILE *f)
{
	char *buf = calloc(1, 65536);
	if (f && buf) {
		rewind(f);
		size_t n = fread(buf, 1, 65535, f);
		buf[n] = '\0';
	}
	if (f)
		fclose(f);
	return buf;
}

void capture_end(struct capture *c, char **out, char **err)
{
	fflush(stdout);
	fflush(stderr);
	dup2(c->saved_out, STDOUT_FILENO);
	dup2(c->saved_err, STDERR_FILENO);
	close(c->saved_out);
	close(c->saved_err);
	*out = slurp(c->out);
	*err = slurp(c->err);
}

int write_test_kubeconfig(int port, const char *prefix, char *path)
{
	snprintf(path, 64, "/tmp/%.40s-XXXXXX", prefix);
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return -1;
	fprintf(f,
	        "apiVersion: v1\nkind: Config\n"
	        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:%d'}}]\n"
	        "users: [{name: u, user: {token: t}}]\n"
	        "contexts: [{name: x, context: {cluster: c, user: u, namespace: dev}}]\n"
	        "current-context: x\n",
	        port);
	return fclose(f) == 0 ? 0 : -1;
}

bool terminal_safe(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	while (*s) {
		unsigned char b = *s;
		size_t n = b < 0x80                 ? 1
		           : b >= 0xc2 && b <= 0xdf ? 2
		           : b >= 0xe0 && b <= 0xef ? 3
		           : b >= 0xf0 && b <= 0xf4 ? 4
		                                    : 0;
		if (n == 0 || (b < 0x20 && b != '\n') || b == 0x7f)
			return false;
		for (size_t i = 1; i < n; i++)
			if ((s[i] & 0xc0) != 0x80)
				return false;
		if ((b == 0xe0 && s[1] < 0xa0) || (b == 0xed && s[1] > 0x9f) ||
		    (b == 0xf0 && s[1] < 0x90) || (b == 0xf4 && s[1] > 0x8f))
			return false;
		if (b == 0xc2 && s[1] <= 0x9f) /* U+0080..U+009F */
			return false;
		s += n;
	}
	return true;
}
