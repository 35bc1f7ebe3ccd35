#include "controller/memcount.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 16 bytes keeps the returned pointer aligned for any type. */
#define HEADER 16

static size_t live_bytes;
static size_t live_blocks;
static bool installed;

static void *counting_malloc(size_t n)
{
	if (n > SIZE_MAX - HEADER)
		return NULL;
	unsigned char *p = malloc(n + HEADER);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	live_bytes += n;
	live_blocks++;
	return p + HEADER;
}

static void counting_free(void *ptr)
{
	if (!ptr)
		return;
	unsigned char *p = (unsigned char *)ptr - HEADER;
	size_t n;
	memcpy(&n, p, sizeof(n));
	live_bytes -= n;
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
