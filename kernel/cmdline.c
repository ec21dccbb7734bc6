/*
 * kernel/cmdline.c - reading the kernel command line.
 *
 * Layer: kernel. Provides: cmdline_get(), cmdline_has().
 * The line is "key=value key2 flag ... exec=rest of line". Values may be
 * double-quoted to hold spaces. exec= must come last: its value is
 * everything after it (the commands to run, separated by ';').
 */
#include <quire/kernel.h>
#include <quire/platform.h>
#include <quire/string.h>

/* Find @key as a whole word followed by '=' (or end of word for flags). */
static const char *find_key(const char *line, const char *key, bool want_value)
{
	size_t n = strlen(key);
	const char *p = line;
	bool in_quote = false;

	for (; *p; p++) {
		bool word_start = (p == line || p[-1] == ' ') && !in_quote;

		if (word_start && strncmp(p, key, n) == 0) {
			char next = p[n];

			if (want_value && next == '=')
				return p + n + 1;
			if (!want_value && (next == ' ' || next == '\0'))
				return p;
		}
		if (*p == '"')
			in_quote = !in_quote;
		if (!in_quote && word_start && strncmp(p, "exec=", 5) == 0)
			break;	/* nothing after exec= is a key */
	}
	return NULL;
}

const char *cmdline_get(const char *key, char *buf, size_t size)
{
	const char *v = find_key(platform.cmdline, key, true);
	size_t i = 0;

	if (!v || !size)
		return NULL;
	if (strcmp(key, "exec") == 0) {
		strscpy_len(buf, v, size);
		return buf;
	}
	if (*v == '"') {
		for (v++; *v && *v != '"' && i < size - 1; v++)
			buf[i++] = *v;
	} else {
		for (; *v && *v != ' ' && i < size - 1; v++)
			buf[i++] = *v;
	}
	buf[i] = '\0';
	return buf;
}

bool cmdline_has(const char *flag)
{
	return find_key(platform.cmdline, flag, false) != NULL;
}
