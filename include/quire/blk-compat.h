/*
 * include/quire/blk-compat.h - the sleeping primitives the block layer
 * uses (wait queues, completions, current->plug), in one place.
 *
 * Layer: block. The kernel's own wait queues and completions; the plug
 * pointer lives in struct task_struct (current->plug), as in Linux.
 */
#ifndef QUIRE_BLK_COMPAT_H
#define QUIRE_BLK_COMPAT_H

#include <quire/compiler.h>
#include <arch/cpu.h>

struct blk_plug;

#include <quire/wait.h>
#include <quire/completion.h>
#include <quire/sched.h>

static inline struct blk_plug **blk_current_plug(void)
{
	return &current->plug;
}

#endif
