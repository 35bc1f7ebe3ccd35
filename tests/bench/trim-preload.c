/*
 * libbench-trim.so, an LD_PRELOAD diagnostic for tests/bench/scale: tells
 * how much of a process's RSS is memory glibc keeps after a peak rather
 * than memory the process still uses. With SLIPWAY_BENCH_TRIM=PATH in the
 * environment, a thread checks every 100 ms whether PATH exists; when it
 * does, it calls malloc_trim(0) (which takes glibc's arena locks, so it is
 * safe next to the main thread) and removes PATH. The benchmark creates
 * PATH, waits until it is gone and reads VmRSS again. Without the variable
 * it does nothing. Never part of the controller.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define PATH_MAX_LEN 4096

static char trigger[PATH_MAX_LEN];

static void *watch(void *arg)
{
	(void)arg;
	const struct timespec tick = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
	for (;;) {
		nanosleep(&tick, NULL);
		if (access(trigger, F_OK) == 0) {
			malloc_trim(0);
			unlink(trigger);
		}
	}
	return NULL;
}

__attribute__((constructor)) static void start(void)
{
	const char *path = getenv("SLIPWAY_BENCH_TRIM");
	size_t i;
	if (!path || !*path)
		return;
	for (i = 0; path[i] && i < sizeof(trigger) - 1; i++)
		trigger[i] = path[i];
	if (path[i])
		return; /* too long: stay inert rather than watch a cut path */
	trigger[i] = '\0';
	pthread_t t;
	pthread_attr_t attr;
	if (pthread_attr_init(&attr) != 0)
		return;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* The thread blocks every signal, so SIGTERM still reaches the
	 * process's own handling (libev may block it and read a signalfd). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_create(&t, &attr, watch, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
}
