/*
 * The Release template of a revision, recovered from the ReplicaSet the
 * controller made for it (for `undo`).
 *
 * The controller copies spec.template into the ReplicaSet and adds the
 * slipway.dev/revision label; the API server then fills in Pod defaults
 * (dnsPolicy, restartPolicy, terminationMessagePath, imagePullPolicy, ...)
 * that the Release's own template, a custom resource, never gets. Copying
 * the ReplicaSet's template back as is would therefore hash to a new
 * revision and roll out a new ReplicaSet instead of reusing the old one.
 *
 * So the label is removed and then the defaultable fields that hold their
 * default value are tried removed in every combination until the template
 * hashes (model_revision_hash) to the wanted revision: the result is then
 * exactly what the user wrote, whichever defaults they spelt out.
 */
#ifndef SLIPWAY_CLI_TEMPLATE_H
#define SLIPWAY_CLI_TEMPLATE_H

#include <jansson.h>

/* Candidate fields beyond this many are all removed together, not combined
 * (2^16 hashes of a small template take well under a second). */
#define CLI_TEMPLATE_MAX_CANDIDATES 16

/* From rs_template (the ReplicaSet's spec.template, only read), the template
 * whose revision is `revision`. Returns 0 and *ret (caller owns it) on an
 * exact match; -ESRCH when no combination matches, with *ret set to the
 * template with the label and every default removed (the best guess:
 * applying it makes a new revision); -EINVAL when rs_template is not an
 * object; -ENOMEM. */
int cli_template_recover(const json_t *rs_template, const char *revision, json_t **ret);

#endif
