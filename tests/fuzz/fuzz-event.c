/* libFuzzer: {"regarding": an object, "reason", "action", "note"} as the
 * executor turns a plan's Event into a write: the object reference, the
 * Event built from it, and the series cache deciding create, patch or drop
 * for three occurrences. Nothing may crash; a write that is decided carries
 * a body, and the Event's note is never longer than the API allows. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "controller/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void record(struct ctl_events *e, const struct ctl_event *ev, double now)
{
	struct ctl_event_write w;
	if (ctl_events_record(e, ev, now, &w) != 0)
		return;
	bool writes = w.decision == CTL_EVENT_CREATE || w.decision == CTL_EVENT_PATCH;
	if (writes != (w.body != NULL))
		abort();
	const char *note = json_string_value(json_object_get(w.body, "note"));
	if (note && strlen(note) > 1024)
		abort();
	ctl_event_write_clear(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!v)
		return 0;
	struct ctl_event ev = {
	    .type =
	        json_is_true(json_object_get(v, "warning")) ? CTL_EVENT_WARNING : CTL_EVENT_NORMAL,
	    .reason = json_string_value(json_object_get(v, "reason")),
	    .action = json_string_value(json_object_get(v, "action")),
	    .note = json_string_value(json_object_get(v, "note")),
	};
	struct ctl_events_config cfg;
	ctl_events_config_default(&cfg);
	cfg.reporting_instance = "fuzz";
	cfg.max_series = 4;
	struct ctl_events *events = ctl_events_new(&cfg);
	if (events && ctl_object_ref_from(json_object_get(v, "regarding"), &ev.regarding) == 0) {
		json_t *built = ctl_event_build(&ev, "fuzz.1", "fuzz", 1000);
		json_decref(built);
		record(events, &ev, 1000);
		record(events, &ev, 1001);
		record(events, &ev, 2000);
	}
	ctl_events_free(events);
	json_decref(v);
	return 0;
}
