/*
 * What a leader-election Lease says about the controller holding it: who,
 * which version (the controller writes MODEL_ANNOTATION_CONTROLLER_VERSION
 * with every acquire and renewal, controller/leader.h), and whether it still
 * holds it. Pure: the Lease and the time are passed in.
 *
 * A Lease is held when its holderIdentity is not empty and renewTime +
 * leaseDurationSeconds is not in the past. A controller that stops with
 * SIGTERM releases its Lease (empty holder); one that dies leaves it to
 * expire. Unlike an elector, this compares renewTime with our own clock:
 * a person asking "is it running?" accepts a verdict a few seconds off.
 */
#ifndef SLIPWAY_CLI_LEASE_H
#define SLIPWAY_CLI_LEASE_H

#include <jansson.h>
#include <time.h>

enum cli_lease_state {
	CLI_LEASE_MISSING = 0, /* no Lease */
	CLI_LEASE_RELEASED,    /* empty holderIdentity */
	CLI_LEASE_EXPIRED,     /* renewTime + leaseDurationSeconds passed (or unreadable) */
	CLI_LEASE_HELD,
};

struct cli_lease_info {
	enum cli_lease_state state;
	const char *holder;  /* borrowed from the Lease; NULL unless RELEASED or later */
	const char *version; /* borrowed; NULL when the holder publishes none */
	time_t expires;      /* EXPIRED and HELD: renewTime + leaseDurationSeconds */
};

/* lease may be NULL (none). */
struct cli_lease_info cli_lease_read(const json_t *lease, time_t now);

#endif
