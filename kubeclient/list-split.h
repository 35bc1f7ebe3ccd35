/*
 * Finding a list response's items in its raw JSON text, so that each item can
 * be parsed on its own. Parsing a 500-item page whole holds every item as a
 * jansson tree at once (~15 KB each for a Release with its managedFields);
 * parsing item by item holds one, and a consumer that keeps items in a
 * smaller form of its own (the informer's compact store) is not left with a
 * heap full of holes where a whole page of trees once was.
 *
 * Pure functions over a byte buffer; no allocation. They find where values
 * begin and end, they do not validate them: every range they return is
 * parsed by jansson afterwards, which rejects what is malformed inside it.
 * Input is untrusted: every scan stays within len, nesting deeper than
 * KC_LIST_SPLIT_MAX_DEPTH is refused, and a NUL byte is an error.
 */
#ifndef SLIPWAY_KUBECLIENT_LIST_SPLIT_H
#define SLIPWAY_KUBECLIENT_LIST_SPLIT_H

#include <stddef.h>

/* Nesting refused beyond this (jansson's own parser stops at 2048). */
#define KC_LIST_SPLIT_MAX_DEPTH 2048

/* Finds the value of the top-level member "items" of the JSON object in
 * buf[0, len): *start and *end (exclusive) delimit it, whatever its type
 * ("items": null is how an empty list may come). 0 when found; -ENOENT when
 * the object has no such member; -EBADMSG when buf is not one JSON object
 * as far as the scan can tell. Out-params untouched on failure. */
int kc_list_split_items(const char *buf, size_t len, size_t *start, size_t *end);

/* Iterates the elements of the JSON array buf[0, len) (as found by
 * kc_list_split_items). *pos starts at 0 and is advanced by each call.
 * 1 with the next element in [*start, *end); 0 at the end of the array;
 * -EBADMSG when buf is not an array as far as the scan can tell. */
int kc_list_split_next(const char *buf, size_t len, size_t *pos, size_t *start, size_t *end);

#endif
