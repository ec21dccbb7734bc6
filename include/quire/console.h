/*
 * include/quire/console.h - console input for the shell.
 */
#ifndef QUIRE_CONSOLE_H
#define QUIRE_CONSOLE_H

#include <quire/compiler.h>

/* Next byte typed on the console; waits for one. Context: process. */
int console_getc(void);

/* Input not yet read, in bytes. */
unsigned int console_input_pending(void);

#endif
