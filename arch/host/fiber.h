/*
 * arch/host/fiber.h - sanitizer annotations for switching kernel-thread
 * stacks on arch/host, chosen once here (no #ifdef in function bodies).
 *
 * AddressSanitizer must be told when the stack changes
 * (__sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber), or it
 * reports false stack overflows and loses fake stacks; ThreadSanitizer
 * tracks each kernel thread as a fiber (__tsan_create_fiber ...), or it
 * mixes up the happens-before state of tasks sharing one host thread.
 * Used only by arch/host/thread.c.
 */
#ifndef ARCH_HOST_FIBER_H
#define ARCH_HOST_FIBER_H

#include <stddef.h>
#include <stdbool.h>

/* Per task: arch_priv on arch/host. */
struct host_thread {
	void *stack_bottom;	/* lowest address; NULL until known (adopted) */
	size_t stack_size;
	void *fake_stack;	/* ASan's saved fake stack while switched out */
	void *tsan_fiber;	/* TSan fiber, or NULL */
	bool adopted;		/* boot/vCPU context: no stack or fiber of ours */
};

#ifndef __has_feature
#define __has_feature(x) 0
#endif

#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define HOST_FIBER_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
#define HOST_FIBER_TSAN 1
#endif

#ifdef HOST_FIBER_ASAN
void __asan_unpoison_memory_region(const volatile void *addr, size_t size);
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom,
				    size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
				     size_t *size_old);

static inline void fiber_asan_start(struct host_thread *from, struct host_thread *to)
{
	__sanitizer_start_switch_fiber(from ? &from->fake_stack : NULL,
				       to->stack_bottom, to->stack_size);
}

/* On the new stack: finish the switch and learn the old stack's bounds. */
static inline void fiber_asan_finish(struct host_thread *self, struct host_thread *from)
{
	const void *bottom;
	size_t size;

	__sanitizer_finish_switch_fiber(self ? self->fake_stack : NULL, &bottom, &size);
	if (from && from->adopted && !from->stack_bottom) {
		from->stack_bottom = (void *)bottom;
		from->stack_size = size;
	}
}
/*
 * The stack is going back to the page allocator: clear the redzones its
 * frames left poisoned (a frame abandoned by a switch never unpoisons
 * them), or the next user of those pages trips over them.
 */
static inline void fiber_asan_release(struct host_thread *h)
{
	if (!h->adopted && h->stack_bottom)
		__asan_unpoison_memory_region(h->stack_bottom, h->stack_size);
}
#else
static inline void fiber_asan_start(struct host_thread *from, struct host_thread *to)
{
}

static inline void fiber_asan_release(struct host_thread *h)
{
}

static inline void fiber_asan_finish(struct host_thread *self, struct host_thread *from)
{
}
#endif

#ifdef HOST_FIBER_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);

static inline void fiber_tsan_create(struct host_thread *h)
{
	h->tsan_fiber = __tsan_create_fiber(0);
}

static inline void fiber_tsan_adopt(struct host_thread *h)
{
	h->tsan_fiber = __tsan_get_current_fiber();
}

static inline void fiber_tsan_destroy(struct host_thread *h)
{
	if (h->tsan_fiber && !h->adopted)
		__tsan_destroy_fiber(h->tsan_fiber);
}

static inline void fiber_tsan_switch(struct host_thread *to)
{
	__tsan_switch_to_fiber(to->tsan_fiber, 0);
}
#else
static inline void fiber_tsan_create(struct host_thread *h)
{
}

static inline void fiber_tsan_adopt(struct host_thread *h)
{
}

static inline void fiber_tsan_destroy(struct host_thread *h)
{
}

static inline void fiber_tsan_switch(struct host_thread *to)
{
}
#endif

#endif
