/*
 * kernel/shell.c - the serial console shell.
 *
 * Layer: kernel. Provides: shell_main(), shell_run_line(), shell_error(),
 * and the built-in commands help, echo, dmesg, uptime, poweroff, reboot.
 *
 * Input comes from outside: a line is at most LINE_LEN bytes (the rest is
 * refused with a message), at most MAX_ARGS words, quotes must balance, and
 * non-printable bytes are ignored. Editing: backspace, Ctrl-U (kill line),
 * Ctrl-C (cancel), Ctrl-L (redraw), up/down arrows (history of HISTORY_LEN
 * lines), left/right arrows and Home/End move the cursor.
 */
#include <quire/shell.h>
#include <quire/errno.h>
#include <quire/console.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>
#include <quire/kernel.h>
#include <quire/platform.h>
#include <arch/power.h>
#include <arch/time.h>

#define LINE_LEN	512	/* bytes in one input line */
#define MAX_ARGS	32	/* words in one command */
#define HISTORY_LEN	16	/* lines remembered */
#define PROMPT		"quire> "

extern const struct shell_command *__start_quire_shell_commands[] __weak;
extern const struct shell_command *__stop_quire_shell_commands[] __weak;

/* Set when the running command reported its own error (one line only). */
static bool error_reported;

void shell_error(const char *cmd, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vscnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cprintf("%s: %s\n", cmd, msg);
	error_reported = true;
}

static const struct shell_command *find_command(const char *name)
{
	const struct shell_command **p;

	for (p = __start_quire_shell_commands; p < __stop_quire_shell_commands; p++)
		if (strcmp((*p)->name, name) == 0)
			return *p;
	return NULL;
}

/*
 * Split @cmd in place into words. Double quotes group words; a backslash
 * escapes the next character. Returns the word count, or -E2BIG (too many
 * words) or -EINVAL (unbalanced quote).
 */
static int split_words(char *cmd, char **argv)
{
	int argc = 0;
	char *in = cmd, *out = cmd;

	for (;;) {
		bool quoted = false;

		while (*in == ' ' || *in == '\t')
			in++;
		if (!*in)
			return argc;
		if (argc == MAX_ARGS)
			return -E2BIG;
		argv[argc++] = out;
		for (; *in && (quoted || (*in != ' ' && *in != '\t')); in++) {
			if (*in == '"') {
				quoted = !quoted;
			} else if (*in == '\\' && in[1]) {
				*out++ = *++in;
			} else {
				*out++ = *in;
			}
		}
		if (quoted)
			return -EINVAL;
		if (*in)
			in++;
		*out++ = '\0';
	}
}

/* Run one command (no ';'). */
static int run_command(char *cmd)
{
	char *argv[MAX_ARGS + 1];
	const struct shell_command *sc;
	int argc = split_words(cmd, argv);
	int err;

	if (argc == -E2BIG) {
		cprintf("shell: too many words (at most %d)\n", MAX_ARGS);
		return argc;
	}
	if (argc == -EINVAL) {
		cprintf("shell: unbalanced quote\n");
		return argc;
	}
	if (argc == 0)
		return 0;
	argv[argc] = NULL;
	sc = find_command(argv[0]);
	if (!sc) {
		cprintf("%s: command not found (try 'help')\n", argv[0]);
		return -ENOENT;
	}
	error_reported = false;
	err = sc->run(argc, argv);
	if (err && !error_reported)	/* one line per failure, never two */
		cprintf("%s: failed: %s\n", argv[0], errname(err));
	return err;
}

/* Split at ';' outside quotes; run each; return the first error. */
int shell_run_line(const char *line)
{
	static char buf[CMDLINE_SIZE];
	int first_err = 0;
	char *start = buf, *p;
	bool quoted = false;

	if (strscpy_len(buf, line, sizeof(buf)) >= sizeof(buf)) {
		cprintf("shell: line too long (at most %zu bytes)\n", sizeof(buf) - 1);
		return -E2BIG;
	}
	for (p = buf;; p++) {
		if (*p == '"' && (p == buf || p[-1] != '\\'))
			quoted = !quoted;
		if ((*p == ';' && !quoted) || *p == '\0') {
			bool end = *p == '\0';
			int err;

			*p = '\0';
			err = run_command(start);
			if (err && !first_err)
				first_err = err;
			if (end)
				break;
			start = p + 1;
		}
	}
	return first_err;
}

/* --- Line editing --- */

struct line_editor {
	char buf[LINE_LEN];
	int len;		/* bytes in buf */
	int cursor;		/* 0..len */
	char history[HISTORY_LEN][LINE_LEN];
	int hist_count;		/* lines stored, <= HISTORY_LEN */
	int hist_pos;		/* browsing position; hist_count = the new line */
	bool overflow_warned;
};

static void redraw(struct line_editor *ed)
{
	cprintf("\r\033[K" PROMPT "%.*s", ed->len, ed->buf);
	if (ed->len > ed->cursor)
		cprintf("\033[%dD", ed->len - ed->cursor);
}

static void insert_char(struct line_editor *ed, char c)
{
	if (ed->len >= LINE_LEN - 1) {
		/* Warn once, then drop further bytes silently: redrawing the
		 * line for each would flood a slow serial line. */
		if (!ed->overflow_warned) {
			cprintf("\nshell: line too long (at most %d bytes)\n", LINE_LEN - 1);
			ed->overflow_warned = true;
			redraw(ed);
		}
		return;
	}
	memmove(ed->buf + ed->cursor + 1, ed->buf + ed->cursor, ed->len - ed->cursor);
	ed->buf[ed->cursor++] = c;
	ed->len++;
	if (ed->cursor == ed->len)
		console_write(&c, 1);
	else
		redraw(ed);
}

static void backspace(struct line_editor *ed)
{
	if (!ed->cursor)
		return;
	memmove(ed->buf + ed->cursor - 1, ed->buf + ed->cursor, ed->len - ed->cursor);
	ed->cursor--;
	ed->len--;
	redraw(ed);
}

static void history_show(struct line_editor *ed, int pos)
{
	if (pos < 0 || pos > ed->hist_count)
		return;
	ed->hist_pos = pos;
	if (pos == ed->hist_count)
		ed->len = 0;
	else
		ed->len = strscpy_len(ed->buf, ed->history[pos], LINE_LEN);
	ed->cursor = ed->len;
	redraw(ed);
}

static void history_add(struct line_editor *ed, const char *line)
{
	if (!*line || (ed->hist_count && !strcmp(ed->history[ed->hist_count - 1], line)))
		return;
	if (ed->hist_count == HISTORY_LEN) {
		memmove(ed->history[0], ed->history[1], (HISTORY_LEN - 1) * LINE_LEN);
		ed->hist_count--;
	}
	strscpy_len(ed->history[ed->hist_count++], line, LINE_LEN);
}

/* Handle the rest of an escape sequence (after ESC). */
static void escape_sequence(struct line_editor *ed)
{
	int c = console_getc();

	if (c != '[' && c != 'O')
		return;
	c = console_getc();
	switch (c) {
	case 'A': history_show(ed, ed->hist_pos - 1); break;
	case 'B': history_show(ed, ed->hist_pos + 1); break;
	case 'C': if (ed->cursor < ed->len) { ed->cursor++; redraw(ed); } break;
	case 'D': if (ed->cursor > 0) { ed->cursor--; redraw(ed); } break;
	case 'H': ed->cursor = 0; redraw(ed); break;
	case 'F': ed->cursor = ed->len; redraw(ed); break;
	default:
		while (c >= '0' && c <= '9')	/* e.g. ESC [ 3 ~ */
			c = console_getc();
		break;
	}
}

/* Read one line with editing; returns it NUL-terminated in ed->buf. */
static void read_line(struct line_editor *ed)
{
	ed->len = ed->cursor = 0;
	ed->hist_pos = ed->hist_count;
	ed->overflow_warned = false;
	cprintf(PROMPT);
	for (;;) {
		int c = console_getc();

		switch (c) {
		case '\r': case '\n':
			ed->buf[ed->len] = '\0';
			cprintf("\n");
			return;
		case 0x7f: case '\b': backspace(ed); break;
		case 0x15: ed->len = ed->cursor = 0; redraw(ed); break;	/* ^U */
		case 0x03: cprintf("^C\n"); ed->len = ed->cursor = 0; cprintf(PROMPT); break;
		case 0x0c: cprintf("\033[2J\033[H"); redraw(ed); break;	/* ^L */
		case 0x1b: escape_sequence(ed); break;
		default:
			if (c >= 0x20 && c < 0x7f)
				insert_char(ed, (char)c);
			break;
		}
	}
}

void shell_main(void)
{
	static struct line_editor ed;

	cprintf("\nQuire shell. Type 'help' for commands.\n");
	for (;;) {
		read_line(&ed);
		history_add(&ed, ed.buf);
		shell_run_line(ed.buf);
	}
}

/* --- Built-in commands --- */

static int cmd_help(int argc, char **argv)
{
	const struct shell_command **p;

	if (argc > 2) {
		shell_error(argv[0], "usage: help [COMMAND]");
		return -EINVAL;
	}
	for (p = __start_quire_shell_commands; p < __stop_quire_shell_commands; p++) {
		if (argc == 2 && strcmp((*p)->name, argv[1]))
			continue;
		cprintf("  %-34s %s\n", (*p)->usage, (*p)->help);
	}
	if (argc == 2 && !find_command(argv[1])) {
		shell_error(argv[0], "no command '%s'", argv[1]);
		return -ENOENT;
	}
	return 0;
}
SHELL_COMMAND(help, "help", "help [COMMAND]", "list commands", cmd_help);

static int cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		cprintf("%s%s", i > 1 ? " " : "", argv[i]);
	cprintf("\n");
	return 0;
}
SHELL_COMMAND(echo, "echo", "echo [WORD...]", "print the words", cmd_echo);

static int cmd_dmesg(int argc, char **argv)
{
	static char buf[64 * 1024];
	size_t n;

	if (argc != 1) {
		shell_error(argv[0], "takes no arguments");
		return -EINVAL;
	}
	n = log_buf_copy(buf, sizeof(buf));
	console_write(buf, n);
	return 0;
}
SHELL_COMMAND(dmesg, "dmesg", "dmesg", "print the kernel log", cmd_dmesg);

static int cmd_uptime(int argc, char **argv)
{
	u64 ns = arch_clock_ns();

	if (argc != 1) {
		shell_error(argv[0], "takes no arguments");
		return -EINVAL;
	}
	cprintf("up %llu.%03llu s\n", (unsigned long long)(ns / 1000000000ULL),
		(unsigned long long)(ns / 1000000ULL % 1000));
	return 0;
}
SHELL_COMMAND(uptime, "uptime", "uptime", "time since boot", cmd_uptime);

static int cmd_poweroff(int argc, char **argv)
{
	int status = 0;

	if (argc > 2 || (argc == 2 && (kstrtoint(argv[1], 0, &status) ||
				       status < 0 || status > 127))) {
		shell_error(argv[0], "usage: poweroff [STATUS 0..127]");
		return -EINVAL;
	}
	cprintf("Powering off.\n");
	kernel_power_off(status);
}
SHELL_COMMAND(poweroff, "poweroff", "poweroff [STATUS]", "power off (STATUS reaches the host in test mode)", cmd_poweroff);

static int cmd_reboot(int argc, char **argv)
{
	if (argc != 1) {
		shell_error(argv[0], "takes no arguments");
		return -EINVAL;
	}
	cprintf("Rebooting.\n");
	kernel_restart();
}
SHELL_COMMAND(reboot, "reboot", "reboot", "restart the machine", cmd_reboot);
