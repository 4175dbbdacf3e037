/* What the terminal a console report goes to can show, read in one place for `run`, `check`
 * and `report`: whether to colour, and how many columns a line may take. */
#ifndef TMGT_TERMINAL_H
#define TMGT_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Narrower widths are raised to this: a check line's marker and indent need room to wrap. */
#define TERMINAL_MIN_WIDTH 20
/* Where nothing says how wide the output is (a pipe, a file, COLUMNS unset). */
#define TERMINAL_DEFAULT_WIDTH 100

typedef struct {
    bool color;   /* ANSI colours: only on a TTY and never with NO_COLOR set */
    size_t width; /* COLUMNS, else the TTY's width (TIOCGWINSZ), else TERMINAL_DEFAULT_WIDTH */
} terminal;

terminal terminal_of(FILE *out);

#endif
