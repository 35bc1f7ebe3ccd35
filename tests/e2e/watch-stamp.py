#!/usr/bin/env python3
"""watch-stamp.py KIND: reads `kubectl get -w -o json` (one pretty-printed
object after another) and prints one line per object, stamped with its
metadata.resourceVersion: the fields check_traffic_invariants and
check_active_invariants (lib.sh) read for KIND route, svc, rs or release.
(A plain `-w -o jsonpath` with a range printed the first state only.)"""
import json
import sys


def line(kind, o):
    st = o.get("status", {})
    if kind == "route":
        # The managed rules only: ours (slipway.*, docs/internals/canary-traffic.md)
        # send a header route to a lone canary backend whose weight means nothing.
        rules = [x for x in o.get("spec", {}).get("rules", []) if not x.get("name", "").startswith("slipway.")]
        refs = [r for rule in rules for r in rule.get("backendRefs", [])]
        return o["metadata"]["name"] + "".join(" %s=%s" % (r.get("name"), r.get("weight", 1)) for r in refs)
    if kind == "svc":
        sel = o.get("spec", {}).get("selector", {}) or {}
        return "%s %s" % (o["metadata"]["name"], sel.get("slipway.dev/revision", "-"))
    if kind == "rs":
        rev = o["metadata"].get("labels", {}).get("slipway.dev/revision", "")
        return "%s %s %d" % (o["metadata"]["name"], rev, st.get("availableReplicas", 0))
    w = st.get("canary", {}).get("weights", {}).get("canary", {}).get("weight", 0)
    return "%s %s %s %s %s" % (st.get("stableRevision", ""), st.get("currentRevision", ""), w,
                               st.get("currentStepIndex", 0), o.get("spec", {}).get("replicas", 1))


def main():
    kind, buf = sys.argv[1], []
    for raw in sys.stdin:
        buf.append(raw)
        if raw.rstrip("\n") != "}":
            continue
        o = json.loads("".join(buf))
        buf = []
        print(o["metadata"]["resourceVersion"], kind, line(kind, o), flush=True)


main()
