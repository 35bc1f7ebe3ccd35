/*
 * Counts the bytes jansson holds, to report retained bytes per cached
 * object (the benchmark and the store's tests use it). Installs counting
 * allocators with json_set_alloc_funcs, which is process-wide.
 *
 * Must be installed before jansson allocates anything in the process (a
 * value allocated by one allocator must not be freed by the other), so call
 * it first thing in main(). Counts are approximate only in that they
 * exclude malloc's own per-block overhead; every block carries a 16-byte
 * size header, which is not counted either. Not thread-safe.
 */
#ifndef SLIPWAY_CONTROLLER_MEMCOUNT_H
#define SLIPWAY_CONTROLLER_MEMCOUNT_H

#include <stddef.h>

/* 0, or -EBUSY when already installed. */
int ctl_memcount_install(void);
/* Bytes jansson currently holds (requested sizes) and live blocks. */
size_t ctl_memcount_bytes(void);
size_t ctl_memcount_blocks(void);

#endif
