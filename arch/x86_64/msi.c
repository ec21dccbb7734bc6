/*
 * arch/x86_64/msi.c - message-signalled interrupt vectors for drivers.
 *
 * Layer: arch/x86_64. Provides: arch_msi_alloc(), arch_msi_free(),
 * synchronize_irq(), x86_msi_init(), x86_msi_capacity().
 *
 * A pool of MSI_POOL_SIZE vectors is taken from the IDT at init; a handle
 * is an index into the pool. The message is Intel's compatibility format:
 * address 0xFEE00000 | (destination APIC id << 12) (physical mode, no
 * redirection hint), data = vector (fixed delivery, edge). The vector is
 * the same on every CPU; the address picks the CPU. The EOI is sent by
 * the common vector path (irq.c).
 *
 * Invariants:
 *   MSI1 a slot is in use iff slots[i].in_use; its vector's handler is the
 *        caller's exactly while it is in use.
 *   MSI2 arch_msi_free() is Linux's free_irq(): when it returns, no CPU
 *        runs the caller's handler and none will again with its data (the
 *        handler is unhooked, then synchronize_irq() waits for the CPUs
 *        that took it before, irq.c IRQ2), so the caller may free the data.
 * Freeing a slot whose device still fires is the caller's bug (mask it
 * first): the interrupt is then acknowledged and dropped, or, once the
 * slot is reused, runs the new owner's handler.
 *
 * Locking: msi_lock guards slots[].in_use.
 */
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/platform.h>
#include <quire/spinlock.h>
#include <arch/irq.h>
#include <asm/apic.h>

#define MSI_POOL_SIZE		32
#define MSI_ADDR_BASE		0xFEE00000ULL

struct msi_slot {
	int vector;
	bool in_use;
};

static struct msi_slot slots[MSI_POOL_SIZE];
static unsigned int nr_slots;
static DEFINE_SPINLOCK(msi_lock);	/* guards slots[].in_use */

static void msi_unclaimed(void *data)
{
}

int x86_msi_init(void)
{
	while (nr_slots < MSI_POOL_SIZE) {
		int v = x86_request_vector(msi_unclaimed, NULL);

		if (v < 0)
			break;
		slots[nr_slots++].vector = v;
	}
	pr_info("msi: %u vectors for devices\n", nr_slots);
	return nr_slots ? 0 : -ENOSPC;
}

unsigned int x86_msi_capacity(void)
{
	return nr_slots;
}

int arch_msi_alloc(unsigned int cpu, irq_handler_t handler, void *data,
		   u64 *msi_addr, u32 *msi_data)
{
	unsigned long flags;
	int handle = -ENOSPC;

	if (cpu >= platform.nr_cpus || !handler)
		return -EINVAL;
	spin_lock_irqsave(&msi_lock, flags);
	for (unsigned int i = 0; i < nr_slots; i++) {
		if (!slots[i].in_use) {
			slots[i].in_use = true;
			handle = (int)i;
			break;
		}
	}
	spin_unlock_irqrestore(&msi_lock, flags);
	if (handle < 0)
		return handle;
	x86_set_vector_handler(slots[handle].vector, handler, data);
	*msi_addr = MSI_ADDR_BASE | ((u64)platform.cpu_hwid[cpu] << 12);
	*msi_data = (u32)slots[handle].vector;
	return handle;
}

static bool msi_handle_in_use(int handle)
{
	return handle >= 0 && handle < (int)nr_slots &&
	       __atomic_load_n(&slots[handle].in_use, __ATOMIC_ACQUIRE);
}

void synchronize_irq(int handle)
{
	if (msi_handle_in_use(handle))
		x86_synchronize_vector(slots[handle].vector);
}

void arch_msi_free(int handle)
{
	unsigned long flags;

	if (!msi_handle_in_use(handle)) {
		pr_err("msi: free of bad handle %d\n", handle);
		return;
	}
	/* MSI2: unhook, wait for handlers that took the old pair, release. */
	x86_set_vector_handler(slots[handle].vector, msi_unclaimed, NULL);
	x86_synchronize_vector(slots[handle].vector);
	spin_lock_irqsave(&msi_lock, flags);
	slots[handle].in_use = false;
	spin_unlock_irqrestore(&msi_lock, flags);
}
