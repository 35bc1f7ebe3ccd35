/*
 * Counts the bytes jansson holds, to report retained bytes per cached
 * object (the benchmark and the store's tests use it). Installs counting
 * allocators with json_set_alloc_funcs, which is process-wide.
 *
 * Install it first thing in main(): a value jansson allocated before would
 * be subtracted without having been added. Counts are malloc's usable sizes (what the heap
 * really gives out, not just what was asked for), without malloc's own
 * per-block header. Blocks stay ordinary malloc blocks, so strings from
 * json_dumps may still be released with free(); that only leaves the count
 * high, which is why the count covers jansson values, not their dumps.
 * Not thread-safe.
 */
#ifndef SLIPWAY_CONTROLLER_MEMCOUNT_H
#define SLIPWAY_CONTROLLER_MEMCOUNT_H

#include <stddef.h>

/* 0, or -EBUSY when already installed. */
int ctl_memcount_install(void);
/* Bytes jansson currently holds (usable sizes) and its live blocks; a
 * benchmark may add ~8 bytes of malloc header per block. */
size_t ctl_memcount_bytes(void);
size_t ctl_memcount_blocks(void);

#endif
