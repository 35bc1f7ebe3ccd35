#include "controller/memcount.h"

#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>

static size_t live_bytes;
static size_t live_blocks;
static bool installed;

/* No size header: the block is an ordinary malloc block, so memory jansson
 * hands out (json_dumps) may still be released with plain free(), as the
 * rest of the code does; such a release only leaves the count high. */
static void *counting_malloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		return NULL;
	live_bytes += malloc_usable_size(p);
	live_blocks++;
	return p;
}

static void counting_free(void *p)
{
	if (!p)
		return;
	live_bytes -= malloc_usable_size(p);
	live_blocks--;
	free(p);
}

int ctl_memcount_install(void)
{
	if (installed)
		return -EBUSY;
	json_set_alloc_funcs(counting_malloc, counting_free);
	installed = true;
	return 0;
}

size_t ctl_memcount_bytes(void)
{
	return live_bytes;
}

size_t ctl_memcount_blocks(void)
{
	return live_blocks;
}
