/*
 * Drawing a view that changes, as `get --watch` does: on a terminal each new
 * frame overwrites the previous one in place (cursor up over the lines last
 * drawn, each line cut to the terminal's width so the count is right);
 * elsewhere (a pipe, a log) each frame is printed in full after a blank
 * line. A frame equal to the last one is not drawn again. The text must be
 * escaped already (the views do it, cli/escape.h): the only control
 * sequences on the terminal are the ones written here.
 */
#ifndef SLIPWAY_CLI_FRAME_H
#define SLIPWAY_CLI_FRAME_H

#include <stdbool.h>
#include <stddef.h>

struct cli_frame {
	bool tty;           /* stdout is a terminal */
	size_t lines_shown; /* tty: lines of the last frame */
	char *last;         /* the last frame drawn, owned */
};

/* Draws text on stdout unless it equals the last frame. Takes ownership of
 * text (which may be NULL: nothing happens). */
void cli_frame_draw(struct cli_frame *f, char *text);

/* Frees what f holds; f can be drawn on again. */
void cli_frame_clear(struct cli_frame *f);

#endif
