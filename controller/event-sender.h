/*
 * Sends the writes controller/events.h decides on (an Event created, or a
 * series count patched with a create as fallback when the Event expired).
 * Best effort: nobody waits for an Event, and a failure is only counted.
 */
#ifndef SLIPWAY_CONTROLLER_EVENT_SENDER_H
#define SLIPWAY_CONTROLLER_EVENT_SENDER_H

#include "controller/events.h"
#include "kubeclient/client.h"

/* Starts the write w asks for (CREATE or PATCH; others are ignored). w is
 * only read. *failures (may be NULL; must outlive the request, e.g. a metrics
 * counter) is incremented when the write fails, now or later. */
void ctl_event_send(struct kc_client *c, const char *field_manager, const struct ctl_event_write *w,
                    unsigned long *failures);

#endif
