/* Redrawing a view in place on a terminal (cli/frame.h). */
#include "cli/frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Terminal width from the tty, else $COLUMNS, else 0 (no cut). */
static size_t tty_width(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *cols = getenv("COLUMNS");
	if (cols && *cols) {
		long v = strtol(cols, NULL, 10);
		if (v > 0 && v < 10000)
			return (size_t)v;
	}
	return 0;
}

/* Bytes of the first `width` display columns of line[0..len) (UTF-8 aware;
 * width 0: all). */
static size_t cut_at(const char *line, size_t len, size_t width)
{
	size_t cols = 0, i = 0;
	while (i < len && (width == 0 || cols < width)) {
		size_t step = 1;
		unsigned char b = (unsigned char)line[i];
		if (b >= 0xf0)
			step = 4;
		else if (b >= 0xe0)
			step = 3;
		else if (b >= 0xc0)
			step = 2;
		if (i + step > len)
			break;
		i += step;
		cols++;
	}
	return i;
}

/* Prints text, each line cut to width and cleared to its end, so a redraw
 * can count the lines it has to move up over. Returns lines printed. */
static size_t print_cut(const char *text, size_t width)
{
	size_t lines = 0;
	const char *p = text;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		fwrite(p, 1, cut_at(p, len, width), stdout);
		fputs("\033[K\n", stdout);
		lines++;
		p += len + (eol ? 1 : 0);
	}
	return lines;
}

/* Takes ownership of text. */
void cli_frame_draw(struct cli_frame *f, char *text)
{
	if (!text)
		return;
	if (f->last && strcmp(text, f->last) == 0) {
		free(text);
		return;
	}
	if (f->tty) {
		/* Back to the top of the previous frame, then overwrite it. */
		if (f->lines_shown > 0)
			printf("\033[%zuA\r", f->lines_shown);
		f->lines_shown = print_cut(text, tty_width());
		fputs("\033[J", stdout);
	} else {
		if (f->last)
			fputs("\n", stdout);
		fputs(text, stdout);
	}
	fflush(stdout);
	free(f->last);
	f->last = text;
}

void cli_frame_clear(struct cli_frame *f)
{
	free(f->last);
	f->last = NULL;
	f->lines_shown = 0;
}
