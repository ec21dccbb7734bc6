/*
 * include/quire/shell.h - the serial console shell's command registry.
 *
 * A subsystem adds a command with SHELL_COMMAND(); `help` lists them all.
 * A command gets argc/argv (argv[0] is its name, quotes already removed),
 * prints with cprintf(), and returns 0 on success or a negative errno. The
 * shell prints one line "name: error: <reason>" for a failure, so commands
 * should print their own precise message with shell_error() and return the
 * errno. Nothing a user types may crash the kernel: validate every argument.
 */
#ifndef QUIRE_SHELL_H
#define QUIRE_SHELL_H

#include <quire/compiler.h>

struct shell_command {
	const char *name;
	const char *usage;	/* e.g. "sleep MS" */
	const char *help;	/* one line */
	/* Context: process (the shell thread), may sleep. */
	int (*run)(int argc, char **argv);
};

#define SHELL_COMMAND(sym, _name, _usage, _help, _run)			\
	static const struct shell_command __shell_cmd_##sym = {		\
		.name = _name, .usage = _usage, .help = _help, .run = _run }; \
	static const struct shell_command *__shell_cmd_ptr_##sym	\
		__section("quire_shell_commands") = &__shell_cmd_##sym

/* Print "name: msg" as the command's error line. */
void shell_error(const char *cmd, const char *fmt, ...) __printf(2, 3);

/* Run one command line (may hold several commands separated by ';').
 * Returns 0 when every command succeeded, else the first failure's errno. */
int shell_run_line(const char *line);

/* The interactive loop on the console: prompt "quire> ". Never returns. */
void shell_main(void) __noreturn;

#endif
