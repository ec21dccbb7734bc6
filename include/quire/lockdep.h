/*
 * include/quire/lockdep.h - a small lock-order checker after Linux's lockdep.
 *
 * Each lock belongs to a class: its initialisation site (spin_lock_init(),
 * mutex_init(), init_rwsem(), init_waitqueue_head() plant a static
 * struct lock_class_key there), or for a statically defined lock the lock
 * itself. Every acquisition while other locks are held records the
 * dependency "held -> new" with the stack trace of its first occurrence. If
 * the new lock already (transitively) precedes a held one, two CPUs could
 * deadlock: lockdep prints "possible circular locking dependency" with both
 * stack traces and counts it. Off by default; on with the kernel command
 * line flag `lockdep` or lockdep_set_enabled(true) (the tests do).
 */
#ifndef QUIRE_LOCKDEP_H
#define QUIRE_LOCKDEP_H

#include <quire/compiler.h>

struct lock_class_key;

void lock_acquire(const void *lock, const void *key, const char *name,
		  bool trylock, unsigned long ip);
void lock_release(const void *lock);

void lockdep_set_enabled(bool on);
bool lockdep_enabled(void);
/* Number of circular dependencies reported since boot. */
unsigned long lockdep_inversions(void);
/* Does the current task hold @lock (as recorded by lockdep)? */
bool lockdep_is_held(const void *lock);
/* Read the `lockdep` command-line flag (sched_init()). */
void lockdep_init(void);

#define _THIS_IP_ ((unsigned long)__builtin_return_address(0))

#endif
