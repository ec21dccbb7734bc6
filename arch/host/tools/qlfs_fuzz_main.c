/*
 * arch/host/tools/qlfs_fuzz_main.c - build/fuzz/qlfs-fuzz, the libFuzzer
 * target of `make fuzz`: mount-and-walk of qlfs images made by the
 * mutator (docs/qlfs-fuzz.md).
 *
 * Layer: arch/host (a host tool, built by clang with
 * -fsanitize=address,undefined,fuzzer-no-link; Makefile "fuzz").
 * Provides: main(), and a late initcall that hands the kernel's context
 * to libFuzzer.
 *
 *   qlfs-fuzz [libFuzzer options] [CORPUS_DIR | INPUT...]
 *
 * main() boots the core quietly on one CPU (as the qlfs host tools do);
 * after the device initcalls, qlfs_fuzz_driver() makes the base image
 * (qfz_make_base()) and calls LLVMFuzzerRunDriver() from the kernel's own
 * thread, so each input runs in process context like a shell command.
 * An input is a mutation program (qlfs_mutate.h): libFuzzer mutates the
 * program, qm_apply() turns it into an image, qfz_run_image() runs it
 * (QF1..QF5); a broken QF2..QF5 aborts, so libFuzzer saves the input as
 * a crash. QLFS_FUZZ_SAVE=FILE in the environment writes each input's
 * image to FILE (run one input to take its image out for tests/images/).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../host.h"
#include "../qlfs_fuzz.h"
#include "../qlfs_mutate.h"
#include <quire/init.h>
#include <arch/power.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv,
			int (*cb)(const uint8_t *data, size_t size));

extern int console_loglevel; /* kernel/printk.c */
#define FUZZ_LOGLEVEL 2	     /* kernel log: critical only */

static int fuzz_argc;
static char **fuzz_argv;
static u8 *base, *img;
static u64 size;
static struct qm_index x;
static const char *save;

static int one_input(const uint8_t *data, size_t len)
{
	struct qfz_opts o = {.repair = true};
	struct qfz_report r;
	uint8_t prog[QM_MAX_PROGRAM_OPS * QM_OP_BYTES] = {0};
	char desc[512];

	/* a short last record is padded with zeros, not dropped: every
	 * input libFuzzer tries is at least one edit */
	len = len < sizeof(prog) ? len : sizeof(prog);
	memcpy(prog, data, len);
	memcpy(img, base, size);
	qm_apply(&x, img, prog, (len + QM_OP_BYTES - 1) / QM_OP_BYTES * QM_OP_BYTES, desc,
		 sizeof(desc));
	if (save && qfz_save_image(save, img, size))
		fprintf(stderr, "qlfs-fuzz: cannot write %s\n", save);
	if (qfz_run_image(img, size, &o, &r)) {
		fprintf(stderr, "qlfs-fuzz: the runner could not run\n");
		abort();
	}
	if (r.failed) {
		fprintf(stderr, "qlfs-fuzz: %s\n  edits: %s\n", r.why, desc);
		abort();
	}
	return 0;
}

static int qlfs_fuzz_driver(void)
{
	int err = qfz_make_base(&base, &size);

	if (!err)
		err = qm_index(&x, base, size / QLFS_BLKSIZE);
	img = err ? NULL : qfz_host_alloc(size);
	if (err || !img) {
		fprintf(stderr, "qlfs-fuzz: cannot make the base image: %d\n", err);
		arch_poweroff(2);
	}
	save = getenv("QLFS_FUZZ_SAVE");
	arch_poweroff(LLVMFuzzerRunDriver(&fuzz_argc, &fuzz_argv, one_input));
	return 0;
}
late_initcall(qlfs_fuzz_driver);

int main(int argc, char **argv)
{
	fuzz_argc = argc;
	fuzz_argv = argv;
	host_cfg.cpus = 1;
	host_cfg.nodes = 1;
	host_cfg.mem_bytes = 256ULL << 20;
	host_cfg.seed = 1;
	host_cfg.interactive = false;
	console_loglevel = FUZZ_LOGLEVEL;
	host_boot(NULL);
}
