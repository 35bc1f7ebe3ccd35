/*
 * The harness itself: a failing check must make the test program fail, or
 * every other unit test could pass while checking nothing.
 */
#include "tap.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs body() in a child with stdout discarded; returns its exit status. */
static int exit_status_of(void (*body)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, STDOUT_FILENO);
		body();
		exit(tap_done());
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void all_pass(void)
{
	ok(1, "true");
	is_int(7, 7, "equal ints");
	is_str("a", "a", "equal strings");
	is_str(NULL, NULL, "two NULLs");
}

static void one_int_differs(void)
{
	ok(1, "true");
	is_int(7, 8, "different ints");
}

static void one_str_differs(void)
{
	is_str("a", NULL, "string against NULL");
}

static void one_false(void)
{
	ok(0, "false");
}

int main(void)
{
	is_int(exit_status_of(all_pass), 0, "passing checks exit 0");
	is_int(exit_status_of(one_int_differs), 1, "a differing is_int fails the program");
	is_int(exit_status_of(one_str_differs), 1, "a differing is_str fails the program");
	is_int(exit_status_of(one_false), 1, "a false ok fails the program");
	return tap_done();
}
