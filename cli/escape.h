/*
 * Terminal-safe text for the CLI's human-readable output.
 *
 * Strings from the cluster (names, messages, condition reasons, images,
 * revision labels, annotations, Lease holders, an API server's error text)
 * may hold bytes a terminal acts on: ESC opens CSI and OSC sequences that
 * clear the screen, move the cursor, retitle the window or write the
 * clipboard; CR and BS overwrite what was printed; C1 controls (U+0080 to
 * U+009F) are the 8-bit forms of the same. Every human-readable line is
 * formatted with cli_fprintf / cli_printf / cli_snprintf, which escape
 * every %s (and %c) argument, so none of them reaches the terminal raw:
 *
 *   \a \b \t \n \v \f \r   those seven C0 controls
 *   \xHH                   any other C0 control (\x1b is ESC), DEL (\x7f),
 *                          and each byte that is not part of valid UTF-8
 *   \uHHHH                 C1 controls (\u009b), and the code points that
 *                          reorder or break lines: U+202A-U+202E,
 *                          U+2066-U+2069 (bidi), U+2028, U+2029
 *
 * Everything else stays as it is: printable ASCII (a backslash too: the
 * form is for reading, not for decoding back) and valid UTF-8 (non-ASCII
 * names, emoji). Escaped text holds no control byte and is valid UTF-8, so
 * escaping it again changes nothing.
 *
 * This is display only. What the CLI writes to the cluster, and what
 * -o json|yaml print, are the objects' own data: the JSON and YAML encoders
 * escape what their formats require.
 */
#ifndef SLIPWAY_CLI_ESCAPE_H
#define SLIPWAY_CLI_ESCAPE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Longest escape of one source unit ("\u009b"), without a NUL. */
#define CLI_ESCAPE_UNIT_MAX 6

/* Escapes s[0..len) into out (cap bytes; cap 0: only counts), always
 * NUL-terminated when cap > 0. An escape or a UTF-8 sequence that does not
 * fit whole is left out with everything after it. Returns the length of the
 * whole escaped text (as snprintf does: >= cap means it was cut). */
size_t cli_escape(const char *s, size_t len, char *out, size_t cap);

/* Display columns of text (valid UTF-8, as cli_escape makes it), the way
 * terminals count: 2 for East Asian wide characters and emoji, 0 for
 * combining marks and zero-width code points, 1 for the rest. An
 * approximation of wcwidth that needs no locale. */
size_t cli_text_width(const char *text, size_t len);

/*
 * printf with every %s and %c argument escaped as above, and a width on
 * them (%-24s) counted in display columns of the escaped form, so table
 * columns line up whatever the strings hold; a precision (%.*s) counts
 * bytes of the original. Numbers and pointers are formatted by snprintf
 * (width and precision up to 128). Supported: flags - + space # 0, width
 * and precision (also *), length hh h l ll L z j t, conversions d i u o x X
 * f F e E g G a A c s p %; %n consumes its argument and writes nothing;
 * anything else (glibc's %m) is written as is.
 * Return the bytes written (cli_snprintf: the length of the whole text), or
 * -1 on a write error.
 */
int cli_vfprintf(FILE *f, const char *fmt, va_list ap);
int cli_fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cli_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes at most cap bytes with the NUL, cut before an escape or a UTF-8
 * sequence that does not fit whole. */
int cli_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);
int cli_snprintf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Writes json, a JSON text as jansson dumps it (valid UTF-8, only C0
 * controls escaped), with DEL, the C1 controls and the other code points
 * above as \u escapes (upper-case hex, as jansson writes its own). JSON
 * does not require it, so jansson leaves them raw; written so, the text
 * means the same data and -o json cannot drive a terminal. 0 or -EIO. */
int cli_write_json_text(FILE *f, const char *json);

#endif
