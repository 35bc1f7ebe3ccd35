/*
 * A scripted HTTP/1.1 server on loopback (optionally over TLS, ss_use_tls), for unit tests of code
 * that talks HTTP (the kubeclient client and watch): the test decides, connection by connection,
 * what the "API server" answers, and afterwards checks which requests it received.
 *
 * A script is an array of struct ss_action, one per connection, taken in
 * order: for each action the server accepts one connection, reads one
 * request (headers and a Content-Length body), records it, answers as the
 * action says and closes the connection. The client therefore needs a new
 * connection per request, which every response here forces with
 * "Connection: close" (ss_response, SS_CHUNKED_HEAD).
 *
 * Every wait is bounded (a connection within SS_ACCEPT_TIMEOUT_MS, each read
 * within SS_READ_TIMEOUT_S): a client that never comes back makes the test
 * fail on its own checks instead of hanging it.
 *
 * Threading: the server answers on a thread of its own, started by
 * ss_start() and ended by ss_join() once the script is done. ss_seen() and
 * ss_request() may be called from the test's thread at any time; every other
 * function belongs to the test's thread and must not be called while a
 * script runs, except ss_response(). Nothing here is reentrant across two
 * test threads.
 *
 * Ownership: the script array and the strings it points to belong to the
 * caller and must stay valid and unchanged, action by action, until the
 * server has taken that action (to be safe: until ss_join). Strings from
 * ss_response() belong to the server and live until ss_free().
 */
#ifndef SLIPWAY_TESTS_SCRIPTED_SERVER_H
#define SLIPWAY_TESTS_SCRIPTED_SERVER_H

#define SS_ACCEPT_TIMEOUT_MS 5000 /* per action, waiting for the connection */
#define SS_READ_TIMEOUT_S    10   /* per read on an accepted connection */
#define SS_CHUNK_GAP_MS      20   /* between the chunks of a stream */
#define SS_MAX_REQUESTS      32   /* requests recorded per script; more are only counted */
#define SS_MAX_REQUEST_BYTES 8192 /* a request longer than this is recorded cut short */

enum ss_act {
	/* Send `text` (a whole response) and close. */
	SS_SEND,
	/* Send nothing; wait until the client closes the connection. */
	SS_HANG,
	/* Send `text` (status line and headers of a chunked response), then each
	 * of `parts` as one chunk, SS_CHUNK_GAP_MS apart, then the last chunk,
	 * and close: a stream that ends cleanly. */
	SS_STREAM_END,
	/* The same without the last chunk: the stream stays open until the client
	 * closes it (a watch that is cut or cancelled, an idle timeout). */
	SS_STREAM_HOLD,
};

#define SS_MAX_PARTS 4

struct ss_action {
	enum ss_act act;
	const char *text;                /* NULL sends nothing */
	const char *parts[SS_MAX_PARTS]; /* streams only; the first NULL ends them */
};

/* Status line and headers of a chunked JSON stream, for SS_STREAM_*. */
#define SS_CHUNKED_HEAD                                                                            \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"               \
	"Transfer-Encoding: chunked\r\n\r\n"

/* One request as the server read it; each field is cut to fit and always
 * NUL-terminated, "" when absent. */
struct ss_request {
	char line[512];          /* "GET /path HTTP/1.1" */
	char authorization[128]; /* the Authorization header's value */
	char content_type[128];  /* the Content-Type header's value */
	char head[2048];         /* the request line and every header, as sent */
	char body[512];
};

struct ss_server;

/*
 * Listens on 127.0.0.1, on a port the kernel picks (ss_port). Returns 0 and
 * sets *out, or a negative errno with *out untouched.
 */
int ss_new(struct ss_server **out);

/* Closes the socket and frees the server and every ss_response() string.
 * Call ss_join() first if a script was started. Accepts NULL; returns NULL. */
struct ss_server *ss_free(struct ss_server *s);

int ss_port(const struct ss_server *s);

/*
 * Starts running `script` (n actions) on the server's thread and forgets the
 * requests of the previous script. Returns 0, or a negative errno when the
 * thread cannot start (then nothing runs and ss_join must not be called).
 */
int ss_start(struct ss_server *s, const struct ss_action *script, int n);

/* Waits for the script's thread to finish: every action taken, or the
 * server gave up waiting for a connection. */
void ss_join(struct ss_server *s);

/* How many requests the server has read since ss_start, including those
 * beyond SS_MAX_REQUESTS that were not recorded. */
int ss_seen(struct ss_server *s);

/*
 * The i-th request (from 0) of the running or last script. When it has not
 * been read (yet) or was not recorded, a record with every field "", so a
 * check against it fails instead of crashing. A returned record does not
 * change until the next ss_start.
 */
const struct ss_request *ss_request(struct ss_server *s, int i);

/*
 * A whole response, for SS_SEND: the status line (reason "X"), JSON content
 * type, "Connection: close", `extra_headers` (each ending in "\r\n", or ""),
 * Content-Length and `body`. The string belongs to the server and lives until
 * ss_free(), so a script may be built while another one runs. Aborts when
 * memory runs out: a test cannot go on without its script.
 */
const char *ss_response(struct ss_server *s, int status, const char *extra_headers,
                        const char *body);

/*
 * Serves TLS from the next script on, with the certificate and private key
 * given as PEM (copied). A client that fails the handshake (it refused the
 * certificate) leaves no request behind; ss_tls_failures counts it. Sets
 * SIGPIPE to be ignored, for TLS writes to a client that has gone. Returns 0,
 * or -EINVAL when the certificate or key do not load.
 */
int ss_use_tls(struct ss_server *s, const char *cert_pem, const char *key_pem);

/* Handshakes that failed since ss_start. */
int ss_tls_failures(struct ss_server *s);

#endif
