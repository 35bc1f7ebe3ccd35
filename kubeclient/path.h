/*
 * API paths: "/api/v1/namespaces/ns/configmaps/name/status?limit=20&..."
 * built from a resource reference and query options, every segment and
 * value percent-encoded. Pure string code, no I/O.
 */
#ifndef SLIPWAY_KUBECLIENT_PATH_H
#define SLIPWAY_KUBECLIENT_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* Longest path kc_path_build produces; longer ones are -E2BIG. */
#define KC_PATH_MAX 8192

/* Which object or collection. All strings are borrowed for the call. */
struct kc_ref {
	const char *group;    /* "" or NULL: the core group (/api/v1) */
	const char *version;  /* "v1", "v1alpha1"; required */
	const char *resource; /* plural, lower case: "configmaps", "releases"; required */
	const char *ns;       /* namespace, or NULL: cluster-scoped, or all namespaces for a list */
	const char *name;     /* object name, or NULL for the collection */
	const char *subresource; /* "status", "scale", or NULL; needs a name */
};

/* Query parameters; zero/NULL fields are left out. Borrowed for the call. */
struct kc_query {
	const char *label_selector;
	const char *field_selector;
	long limit; /* list page size; 0: no limit */
	const char *continue_token;
	const char *resource_version;       /* "0": any cached state; NULL or "": the most recent */
	const char *resource_version_match; /* "Exact", "NotOlderThan" */
	const char *field_manager;
	bool force;                     /* server-side apply: take over conflicting fields */
	bool dry_run;                   /* dryRun=All */
	const char *propagation_policy; /* "Foreground", "Background", "Orphan" */
	/* watches */
	bool watch;
	bool allow_watch_bookmarks;
	long timeout_seconds; /* server-side timeout of a list or watch; 0: none */
};

/* Appends to buf (size cap) the percent-encoding of s: every byte except the
 * RFC 3986 unreserved characters A-Z a-z 0-9 - . _ ~ becomes %XX. Returns the
 * new length, or -E2BIG (buf left NUL-terminated at `len`) when it does not fit. */
int kc_path_escape(char *buf, size_t cap, size_t len, const char *s);

/* Builds the path for `ref` plus the query `q` (NULL: none). Caller owns *ret
 * (free). -EINVAL when version or resource is missing, a subresource has no
 * name, or a name, namespace or resource is empty, "." or ".." or holds '/';
 * -E2BIG over KC_PATH_MAX. */
int kc_path_build(const struct kc_ref *ref, const struct kc_query *q, char **ret);

/* The path of the next page of a list: `base` (a path built with the first
 * page's query) without its resourceVersion, resourceVersionMatch and
 * continue parameters, which the server refuses next to a continue token
 * (the token carries the snapshot's version), plus continue=`token`.
 * Caller owns *ret (free). -E2BIG over KC_PATH_MAX, -EINVAL for an empty token. */
int kc_path_continue(const char *base, const char *token, char **ret);

#endif
