/*
 * net/lwip/include/arch/sys_arch.h - lwIP's OS types on Quire
 * (lwIP's sys.h contract with NO_SYS=0). Implemented by net/lwip/sys_arch.c.
 *
 * Each lwIP object is a pointer to a Quire object allocated by its *_new()
 * (kmalloc) and freed by its *_free(); NULL is "invalid", so lwIP's
 * sys_*_valid()/set_invalid() are pointer tests.
 */
#ifndef QUIRE_LWIP_ARCH_SYS_ARCH_H
#define QUIRE_LWIP_ARCH_SYS_ARCH_H

struct lwip_sem;
struct lwip_mbox;
struct mutex;
struct task_struct;

typedef struct lwip_sem *sys_sem_t;
typedef struct mutex *sys_mutex_t;
typedef struct lwip_mbox *sys_mbox_t;
typedef struct task_struct *sys_thread_t;
typedef unsigned long sys_prot_t; /* the saved interrupt flags */

#define SYS_MBOX_NULL ((struct lwip_mbox *)0)
#define SYS_SEM_NULL  ((struct lwip_sem *)0)

#define sys_sem_valid(s)	 (*(s) != SYS_SEM_NULL)
#define sys_sem_set_invalid(s)	 (*(s) = SYS_SEM_NULL)
#define sys_mutex_valid(m)	 (*(m) != (struct mutex *)0)
#define sys_mutex_set_invalid(m) (*(m) = (struct mutex *)0)
#define sys_mbox_valid(b)	 (*(b) != SYS_MBOX_NULL)
#define sys_mbox_set_invalid(b)	 (*(b) = SYS_MBOX_NULL)

#endif
