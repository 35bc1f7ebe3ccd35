/*
 * Leader election against the real control plane in $KUBECONFIG, with
 * candidates in separate processes (this same program, run as
 * `e2e-leader-election candidate NS NAME ID [poll]`, printing one line per
 * callback: LEADING, STOPPED, NEW <holder>, RELEASED <rc>).
 *
 * The runbook:
 *  1. A and B start together: exactly one leads, the other stands by; the
 *     Lease names the leader, leaseTransitions 0.
 *  2. kill -9 the leader: the standby takes over once the lease has expired
 *     (not before lease duration - retry period, not after lease duration +
 *     retry period + 1 s); leaseTransitions 1.
 *  3. C and D join. SIGTERM the leader: it stops leading, releases, exits 0;
 *     a standby leads within 2 s; leaseTransitions 2.
 *  4. SIGSTOP the leader (a process that cannot renew): a standby that only
 *     polls (no watch) takes over after the lease expired; on SIGCONT the
 *     old leader reports STOPPED at once and never LEADING again.
 */
#include "e2e-lib.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "controller/leader.h"
#include "kubeclient/client.h"
#include "kubeclient/config.h"
#include "kubeclient/rest.h"

/* Short durations so the test takes seconds, in the ratios of the defaults. */
#define LD 6.0
#define RD 4.0
#define RP 1.0

/* ---- The candidate ------------------------------------------------------ */

static struct ctl_leader *LE;

static void say(const char *what, const char *arg)
{
	printf("%s%s%s\n", what, arg ? " " : "", arg ? arg : "");
	fflush(stdout);
}

static void on_started(struct ctl_leader *le, void *ud)
{
	(void)ud;
	/* The write gate must agree with the callback. */
	say(ctl_leader_is_leader(le) ? "LEADING" : "LEADING-BUT-NOT-LEADER", NULL);
}

static void on_stopped(struct ctl_leader *le, void *ud)
{
	(void)ud;
	say(ctl_leader_is_leader(le) ? "STOPPED-BUT-LEADER" : "STOPPED", NULL);
}

static void on_new(struct ctl_leader *le, const char *id, void *ud)
{
	(void)le;
	(void)ud;
	say("NEW", id[0] ? id : "-");
}

static void on_released(struct ctl_leader *le, int rc, void *ud)
{
	char buf[16];
	(void)ud;
	snprintf(buf, sizeof(buf), "%d", rc);
	say("RELEASED", buf);
	(void)le;
	ev_break(EV_DEFAULT, EVBREAK_ALL);
}

static void on_term(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	if (ctl_leader_release(LE, on_released, NULL) < 0)
		say("RELEASE-REFUSED", NULL);
}

static int candidate(int argc, char **argv)
{
	if (argc < 5)
		return 2;
	struct ev_loop *loop = ev_default_loop(0);
	struct kc_config *cfg = NULL;
	struct kc_client *c = NULL;
	struct kc_error err = {0};
	if (e2e_client_new(loop, NULL, NULL, &cfg, &c, &err) < 0) {
		say("ERROR", err.message);
		return 1;
	}
	struct ctl_leader_options o = {
	    .ns = argv[2],
	    .name = argv[3],
	    .identity = argv[4],
	    .lease_duration = LD,
	    .renew_deadline = RD,
	    .retry_period = RP,
	    .no_watch = argc > 5 && strcmp(argv[5], "poll") == 0,
	    .on_started_leading = on_started,
	    .on_stopped_leading = on_stopped,
	    .on_new_leader = on_new,
	};
	if (ctl_leader_new(c, &o, &LE, &err) < 0 || ctl_leader_start(LE) < 0) {
		say("ERROR", err.message);
		return 1;
	}
	ev_signal term;
	ev_signal_init(&term, on_term, SIGTERM);
	ev_signal_start(loop, &term);
	ev_run(loop, 0);
	LE = ctl_leader_free(LE);
	kc_client_free(c);
	kc_config_free(cfg);
	return 0;
}

/* ---- The test ----------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define MAX_LINES 64

struct proc {
	const char *id;
	pid_t pid;
	int fd;
	char buf[1024];
	size_t len;
	char lines[MAX_LINES][160];
	double at[MAX_LINES];
	int n;
	bool exited;
	int status;
};

/* Every candidate started, so that lines are read (and timed) as soon as
 * they are printed, whichever process the test is waiting for. */
static struct proc *ALL[8];
static int NALL;

static char NS[64];
static const char *NAME = "slipway-e2e-lock";
static char SELF[4096];

static void spawn(struct proc *p, const char *id, bool poll_only)
{
	int fds[2];
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->fd = -1;
	if (pipe(fds) < 0)
		return;
	p->pid = fork();
	if (p->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		char *args[] = {SELF,         "candidate", NS,
		                (char *)NAME, (char *)id,  poll_only ? "poll" : NULL,
		                NULL};
		execv(SELF, args);
		_exit(127);
	}
	close(fds[1]);
	p->fd = fds[0];
	fcntl(p->fd, F_SETFL, O_NONBLOCK);
	if (NALL < 8)
		ALL[NALL++] = p;
}

/* Reads what the candidates printed, waiting up to `wait` seconds for the
 * first byte. */
static void pump_once(double wait)
{
	struct pollfd pfd[8];
	for (int i = 0; i < NALL; i++)
		pfd[i] = (struct pollfd){.fd = ALL[i]->fd, .events = POLLIN};
	if (poll(pfd, (nfds_t)NALL, (int)(wait * 1000)) <= 0)
		return;
	for (int i = 0; i < NALL; i++) {
		struct proc *p = ALL[i];
		if (p->fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP)))
			continue;
		ssize_t r = read(p->fd, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
		if (r <= 0) {
			if (r == 0) {
				close(p->fd);
				p->fd = -1;
			}
			continue;
		}
		p->len += (size_t)r;
		for (char *nl = memchr(p->buf, '\n', p->len); nl;
		     nl = memchr(p->buf, '\n', p->len)) {
			size_t l = (size_t)(nl - p->buf);
			if (p->n < MAX_LINES) {
				snprintf(p->lines[p->n], sizeof(p->lines[0]), "%.*s", (int)l,
				         p->buf);
				p->at[p->n] = now();
				tap_diag("%.3f %s: %s", p->at[p->n], p->id, p->lines[p->n]);
				p->n++;
			}
			memmove(p->buf, nl + 1, p->len - l - 1);
			p->len -= l + 1;
		}
		if (p->len == sizeof(p->buf) - 1)
			p->len = 0; /* a line too long for us: drop it */
	}
}

/* Reads what the candidates print for `secs` seconds. */
static void pump(double secs)
{
	double end = now() + secs;
	for (double left = secs; left > 0; left = end - now())
		pump_once(left < 0.1 ? left : 0.1);
}

/* Index of the first line of p from `from` on that equals `line`, or -1. */
static int find(const struct proc *p, int from, const char *line)
{
	for (int i = from; i < p->n; i++)
		if (strcmp(p->lines[i], line) == 0)
			return i;
	return -1;
}

/* Pumps until any of ps prints `line` after its first `from[i]` lines, or
 * the timeout. Returns the index in ps of the first to print it, or -1. */
static int wait_line(struct proc **ps, int n, const int *from, const char *line, double timeout)
{
	double end = now() + timeout;
	for (;;) {
		for (int i = 0; i < n; i++)
			if (find(ps[i], from ? from[i] : 0, line) >= 0)
				return i;
		double left = end - now();
		if (left <= 0)
			return -1;
		pump_once(left < 0.1 ? left : 0.1);
	}
}

static int count(const struct proc *p, const char *line)
{
	int c = 0;
	for (int i = 0; i < p->n; i++)
		c += strcmp(p->lines[i], line) == 0;
	return c;
}

static void reap(struct proc *p, double timeout)
{
	double end = now() + timeout;
	while (!p->exited && now() < end) {
		pid_t r = waitpid(p->pid, &p->status, WNOHANG);
		if (r == p->pid)
			p->exited = true;
		else
			usleep(20000);
	}
}

static void kill_all(struct proc **ps, int n)
{
	for (int i = 0; i < n; i++) {
		if (!ps[i]->exited && ps[i]->pid > 0) {
			kill(ps[i]->pid, SIGCONT);
			kill(ps[i]->pid, SIGKILL);
			reap(ps[i], 5);
		}
		if (ps[i]->fd >= 0)
			close(ps[i]->fd);
		ps[i]->fd = -1;
	}
}

/* The Lease as the API server has it. */
static struct kc_client *C;

static int read_lease(char *holder, size_t cap, long long *transitions)
{
	struct kc_sync s = {0};
	struct kc_error err = {0};
	json_t *body = NULL;
	struct kc_ref ref = {.group = "coordination.k8s.io",
	                     .version = "v1",
	                     .resource = "leases",
	                     .ns = NS,
	                     .name = NAME};
	int rc = e2e_sync(C, kc_get(C, &ref, NULL, kc_sync_done, &s, NULL, &err), &s, &body, &err);
	if (rc < 0) {
		tap_diag("get lease: %s", err.message);
		kc_error_clear(&err);
		return rc;
	}
	json_t *spec = json_object_get(body, "spec");
	const char *h = json_string_value(json_object_get(spec, "holderIdentity"));
	snprintf(holder, cap, "%s", h ? h : "");
	*transitions = json_integer_value(json_object_get(spec, "leaseTransitions"));
	const char *rt = json_string_value(json_object_get(spec, "renewTime"));
	tap_diag("lease: holder '%s', transitions %lld, duration %lld, renewTime %s", holder,
	         *transitions, json_integer_value(json_object_get(spec, "leaseDurationSeconds")),
	         rt ? rt : "(none)");
	ok(rt && strlen(rt) == 27 && rt[10] == 'T' && rt[19] == '.' && rt[26] == 'Z',
	   "renewTime is RFC 3339 with microseconds: %s", rt ? rt : "(none)");
	json_decref(body);
	return 0;
}

static void check_lease(const char *want_holder, long long want_transitions, const char *when)
{
	char holder[256] = "";
	long long tr = -1;
	int rc = read_lease(holder, sizeof(holder), &tr);
	is_int(rc, 0, "%s: the Lease can be read", when);
	is_str(holder, want_holder, "%s: holderIdentity", when);
	is_int(tr, want_transitions, "%s: leaseTransitions", when);
}

/* 5. The API server goes away for longer than the renew deadline: the
 * leader stops leading within the renew deadline of its last renewal (it
 * cannot know whether anyone else took over), and once the server is back
 * exactly one candidate leads again. */
static void test_api_down(struct proc *leader, struct proc *standby)
{
	const char *src = getenv("SLIPWAY_SOURCE_ROOT");
	const char *kubeconfig = getenv("KUBECONFIG");
	if (!src) {
		tap_diag("SLIPWAY_SOURCE_ROOT unset (not run by meson test): no API server outage");
		return;
	}
	char dirbuf[4096], script[4200];
	snprintf(dirbuf, sizeof(dirbuf), "%s", kubeconfig);
	const char *dir = dirname(dirbuf);
	snprintf(script, sizeof(script), "%s/tests/cluster/restart-apiserver", src);

	struct proc *both[] = {leader, standby};
	pump(0.2);
	int from[] = {leader->n, standby->n};
	double t0 = now();
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1); /* our stdout is TAP */
		execl("/bin/bash", "bash", script, dir, "8", (char *)NULL);
		_exit(127);
	}
	int w = wait_line(both, 1, from, "STOPPED", RD + RP + 5);
	double took = w == 0 ? leader->at[find(leader, from[0], "STOPPED")] - t0 : -1;
	ok(w == 0, "API server down: %s stops leading (%.2f s)", leader->id, took);
	ok(w == 0 && took <= RD + RP + 1.5,
	   "... within renew deadline + retry period (%.2f <= %.2f)", took, RD + RP + 1.5);

	int status = -1;
	double end = now() + 120;
	while (now() < end && waitpid(pid, &status, WNOHANG) != pid)
		pump(0.1);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "restart-apiserver succeeded");
	/* A candidate may lead again as soon as the server answers, before
	 * the script has seen it ready: look from the start of the outage. */
	w = wait_line(both, 2, from, "LEADING", LD + 3 * RP * (1 + CTL_LEADER_JITTER) + 5);
	ok(w >= 0, "after the outage %s leads again", w >= 0 ? both[w]->id : "nobody");
	pump(3 * RP);
	int leads = 0;
	for (int i = 0; i < 2; i++)
		for (int j = from[i]; j < both[i]->n; j++)
			leads += strcmp(both[i]->lines[j], "LEADING") == 0;
	is_int(leads, 1, "... and only one, once");
}

static void run_test(void)
{
	struct proc a, b, cc, d;
	struct proc *ab[] = {&a, &b};

	/* 1. Two candidates: exactly one leads. */
	spawn(&a, "cand-a", false);
	spawn(&b, "cand-b", false);
	int w = wait_line(ab, 2, NULL, "LEADING", 15);
	ok(w >= 0, "one of two candidates leads");
	if (w < 0) {
		kill_all(ab, 2);
		return;
	}
	struct proc *leader = ab[w], *standby = ab[1 - w];
	pump(3 * RP);
	is_int(count(standby, "LEADING"), 0, "the other (%s) stands by", standby->id);
	is_int(count(leader, "STOPPED"), 0, "the leader (%s) keeps leading", leader->id);
	char seen[64];
	snprintf(seen, sizeof(seen), "NEW %s", leader->id);
	ok(find(standby, 0, seen) >= 0, "the standby was told who leads");
	check_lease(leader->id, 0, "first leader");

	/* 2. kill -9 the leader: the standby takes over when the lease expires. */
	int from_sb = standby->n;
	double t_kill = now();
	kill(leader->pid, SIGKILL);
	reap(leader, 5);
	struct proc *sb1[] = {standby};
	int fr[] = {from_sb};
	w = wait_line(sb1, 1, fr, "LEADING", LD + 3 * RP + 5);
	double took = w >= 0 ? standby->at[find(standby, from_sb, "LEADING")] - t_kill : -1;
	ok(w >= 0, "after kill -9 of %s, %s takes over (%.2f s)", leader->id, standby->id, took);
	ok(took >= LD - RP - 0.5, "... not before the lease could have expired (%.2f >= %.2f)",
	   took, LD - RP - 0.5);
	ok(took <= LD + RP + 1.0, "... within lease duration + retry period (%.2f <= %.2f)", took,
	   LD + RP + 1.0);
	check_lease(standby->id, 1, "after kill -9");

	/* 3. Two more join; SIGTERM the leader: handover in under 2 s. */
	struct proc *cur = standby;
	spawn(&cc, "cand-c", false);
	spawn(&d, "cand-d", true);
	struct proc *cd[] = {&cc, &d};
	snprintf(seen, sizeof(seen), "NEW %s", cur->id);
	ok(wait_line(cd, 1, NULL, seen, 10) == 0, "cand-c sees %s lead", cur->id);
	struct proc *all3[] = {cur, &cc, &d};
	pump(0.5);
	int from3[] = {cur->n, cc.n, d.n};
	double t_term = now();
	kill(cur->pid, SIGTERM);
	w = wait_line(all3 + 1, 2, from3 + 1, "LEADING", 10);
	struct proc *next = w >= 0 ? all3[1 + w] : NULL;
	double handover = next ? next->at[find(next, from3[1 + w], "LEADING")] - t_term : -1;
	ok(next != NULL, "after SIGTERM a standby leads (%s)", next ? next->id : "none");
	ok(next && handover < 2.0, "... in under 2 s (%.3f s)", handover);
	pump(0.5);
	int i_stop = find(cur, from3[0], "STOPPED");
	int i_rel = find(cur, from3[0], "RELEASED 0");
	ok(i_stop >= 0 && i_rel > i_stop, "the old leader stopped leading, then released");
	reap(cur, 5);
	ok(cur->exited && WIFEXITED(cur->status) && WEXITSTATUS(cur->status) == 0,
	   "... and exited 0");
	if (!next) {
		struct proc *rest[] = {&cc, &d};
		kill_all(rest, 2);
		return;
	}
	check_lease(next->id, 2, "after SIGTERM");
	struct proc *other = next == &cc ? &d : &cc;

	/* 4. A leader that cannot renew (frozen): the poll-only standby takes
	 * over after the lease expired, and the old one stops the moment it
	 * runs again. */
	int from_o = other->n, from_n = next->n;
	double t_stop = now();
	kill(next->pid, SIGSTOP);
	struct proc *o1[] = {other};
	int fo[] = {from_o};
	w = wait_line(o1, 1, fo, "LEADING", LD + 3 * RP * (1 + CTL_LEADER_JITTER) + 5);
	took = w >= 0 ? other->at[find(other, from_o, "LEADING")] - t_stop : -1;
	ok(w >= 0, "%s frozen: %s takes over (%.2f s)", next->id, other->id, took);
	ok(took >= LD - RP - 0.5, "... not before the lease could have expired");
	kill(next->pid, SIGCONT);
	struct proc *n1[] = {next};
	int fn[] = {from_n};
	double t_cont = now();
	w = wait_line(n1, 1, fn, "STOPPED", 3);
	ok(w == 0, "the thawed leader reports it stopped leading");
	ok(w == 0 && next->at[find(next, from_n, "STOPPED")] - t_cont < 0.5,
	   "... at once, before it could renew");
	pump(2 * RP);
	is_int(find(next, from_n, "STOPPED-BUT-LEADER"), -1,
	       "its write gate was closed when it said so");
	is_int(find(next, from_n, "LEADING"), -1, "... and it did not lead again");
	check_lease(other->id, 3, "after the freeze");

	test_api_down(other, next);

	struct proc *rest[] = {&cc, &d};
	kill_all(rest, 2);
	is_int(count(&a, "LEADING-BUT-NOT-LEADER") + count(&b, "LEADING-BUT-NOT-LEADER") +
	           count(&cc, "LEADING-BUT-NOT-LEADER") + count(&d, "LEADING-BUT-NOT-LEADER"),
	       0, "is_leader agreed with every on_started_leading");
	kill_all(ab, 2);
}

/* ---- Two electors in this process, racing for an expired Lease ---------- */

struct racer {
	const char *id;
	int started, stopped;
};

static void race_started(struct ctl_leader *le, void *ud)
{
	(void)le;
	((struct racer *)ud)->started++;
}

static void race_stopped(struct ctl_leader *le, void *ud)
{
	(void)le;
	((struct racer *)ud)->stopped++;
}

static void race_error(struct ctl_leader *le, const char *what, const struct kc_error *err,
                       void *ud)
{
	(void)le;
	tap_diag("%s: %s: %s", ((struct racer *)ud)->id, what, err ? err->message : "?");
}

static void on_race_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)t;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* A Lease left by a holder that is gone, with a 1 s duration: both electors
 * read it, see it expire together and update it together; the
 * resourceVersion precondition lets exactly one win, and the loser re-reads
 * and stands by. */
static void test_race(void)
{
	const char *name = "slipway-e2e-race";
	json_t *lease = json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:i, s:s, s:s, s:i}}", "apiVersion",
	                          "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
	                          name, "spec", "holderIdentity", "ghost", "leaseDurationSeconds",
	                          1, "acquireTime", "2020-01-01T00:00:00.000000Z", "renewTime",
	                          "2020-01-01T00:00:00.000000Z", "leaseTransitions", 7);
	struct kc_ref coll = {
	    .group = "coordination.k8s.io", .version = "v1", .resource = "leases", .ns = NS};
	struct kc_sync s = {0};
	struct kc_error err = {0};
	int rc = e2e_sync(C, kc_create(C, &coll, NULL, lease, kc_sync_done, &s, NULL, &err), &s,
	                  NULL, &err);
	json_decref(lease);
	is_int(rc, 0, "race: create a Lease held by a departed ghost: %s", err.message);
	kc_error_clear(&err);

	struct racer r[2] = {{.id = "racer-1"}, {.id = "racer-2"}};
	struct ctl_leader *le[2] = {NULL, NULL};
	for (int i = 0; i < 2; i++) {
		struct ctl_leader_options o = {
		    .ns = NS,
		    .name = name,
		    .identity = r[i].id,
		    .lease_duration = LD,
		    .renew_deadline = RD,
		    .retry_period = RP,
		    .no_watch = true, /* both act on their polls, at the same moments */
		    .on_started_leading = race_started,
		    .on_stopped_leading = race_stopped,
		    .on_error = race_error,
		    .userdata = &r[i],
		};
		rc = ctl_leader_new(C, &o, &le[i], &err);
		is_int(rc, 0, "race: elector %s: %s", r[i].id, err.message);
		kc_error_clear(&err);
	}
	if (!le[0] || !le[1])
		goto out;
	ok(ctl_leader_start(le[0]) == 0 && ctl_leader_start(le[1]) == 0, "race: both started");
	is_int(ctl_leader_start(le[0]), -EALREADY, "race: starting twice is refused");
	ev_timer t;
	ev_timer_init(&t, on_race_timer, 1.0 + 3 * RP, 0);
	ev_timer_start(kc_client_loop(C), &t);
	ev_run(kc_client_loop(C), 0);
	ev_timer_stop(kc_client_loop(C), &t);

	is_int(r[0].started + r[1].started, 1, "race: exactly one took the expired lease");
	is_int(r[0].stopped + r[1].stopped, 0, "race: and nobody lost it");
	is_int(ctl_leader_is_leader(le[0]) + ctl_leader_is_leader(le[1]), 1,
	       "race: exactly one says it leads");
	int w = r[0].started ? 0 : 1;
	is_str(ctl_leader_holder(le[1 - w]), r[w].id, "race: the loser knows who won");
	const char *keep = NAME;
	NAME = name;
	check_lease(r[w].id, 8, "race");
	NAME = keep;
out:
	for (int i = 0; i < 2; i++)
		le[i] = ctl_leader_free(le[i]);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "candidate") == 0)
		return candidate(argc, argv);

	const char *kubeconfig = e2e_kubeconfig_or_skip();
	if (!kubeconfig)
		return 0;
	ssize_t n = readlink("/proc/self/exe", SELF, sizeof(SELF) - 1);
	if (n <= 0) {
		ok(false, "find our own executable");
		return tap_done();
	}
	SELF[n] = '\0';
	signal(SIGPIPE, SIG_IGN);

	struct ev_loop *loop = ev_default_loop(0);
	struct kc_config *cfg = NULL;
	struct kc_error err = {0};
	int rc = e2e_start(loop, kubeconfig, NULL, "e2e-leader", NS, sizeof(NS), &cfg, &C);
	if (!C)
		return tap_done();

	if (rc == 0) {
		test_race();
		run_test();
	}

	e2e_namespace_delete(C, NS, &err);
	kc_error_clear(&err);
	kc_client_free(C);
	kc_config_free(cfg);
	return tap_done();
}
