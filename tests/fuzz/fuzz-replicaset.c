/* libFuzzer: any JSON document as an owned ReplicaSet (rec_rs_read, what the
 * reconciler believes about it). Reading must not crash; what it reads must
 * be sane: a name and uid, counts never negative, available pods never more
 * than the ReplicaSet wants. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "reconcilers/replicaset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!v)
		return 0;
	struct rec_rs rs;
	if (rec_rs_read(v, &rs) == 0) {
		if (!rs.name || !rs.uid || rs.obj != v)
			abort();
		if (rs.spec_replicas < 0 || rs.available < 0 || rs.ready < 0 ||
		    rs.status_replicas < 0 || rs.available > rs.spec_replicas ||
		    rs.want != rs.spec_replicas || rs.touched || rs.planned)
			abort();
		struct rec_ref ref = rec_rs_ref(&rs, "ns");
		if (!ref.name || !ref.resource)
			abort();
	}
	json_decref(v);
	return 0;
}
