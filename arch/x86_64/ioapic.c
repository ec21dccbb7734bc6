/*
 * arch/x86_64/ioapic.c - I/O APICs and the legacy 8259 PIC.
 *
 * Layer: arch/x86_64. Provides: pic_mask_all(), ioapic_init(),
 * ioapic_route_isa_irq(), ioapic_mask_isa_irq().
 *
 * The MADT lists each I/O APIC with the first global system interrupt
 * (GSI) it serves, and "interrupt source overrides" that move an ISA IRQ
 * to another GSI or change its polarity/trigger (QEMU: IRQ0 -> GSI2).
 * Without an override ISA IRQ n is GSI n, edge-triggered, active high.
 * Every pin starts masked; a routed pin is delivered in physical mode,
 * fixed delivery, to one CPU.
 *
 * The 8259 pair is re-initialised to vectors 0x20-0x2F (so a spurious
 * IRQ7/15 cannot look like an exception) and then fully masked.
 *
 * Locking: ioapic_lock serialises the IOREGSEL/IOWIN pairs.
 */
#include <quire/printk.h>
#include <quire/errno.h>
#include <quire/spinlock.h>
#include <arch/memory.h>
#include <asm/acpi.h>
#include <asm/apic.h>
#include <asm/io.h>

#define MAX_IOAPICS		8
#define IOAPIC_REGSEL		0x00
#define IOAPIC_WINDOW		0x10
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_REDIR(pin)	(0x10 + 2 * (pin))

#define REDIR_MASKED		BIT(16)
#define REDIR_LEVEL		BIT(15)
#define REDIR_ACTIVE_LOW	BIT(13)

#define ACPI_POLARITY_LOW	0x3	/* MPS INTI flags, asm/acpi.h */
#define ACPI_TRIGGER_LEVEL	0xc

struct ioapic {
	volatile u32 *base;
	u32 gsi_base;
	unsigned int nr_pins;
	u8 id;
};

static struct ioapic ioapics[MAX_IOAPICS];
static unsigned int nr_ioapics;
static DEFINE_SPINLOCK(ioapic_lock);	/* guards REGSEL/WINDOW of every ioapic */

void pic_mask_all(void)
{
	outb(0x20, 0x11);	/* ICW1: init, ICW4 follows */
	outb(0xA0, 0x11);
	outb(0x21, 0x20);	/* ICW2: vector bases */
	outb(0xA1, 0x28);
	outb(0x21, 0x04);	/* ICW3: slave on IRQ2 */
	outb(0xA1, 0x02);
	outb(0x21, 0x01);	/* ICW4: 8086 mode */
	outb(0xA1, 0x01);
	outb(0x21, 0xFF);	/* mask everything */
	outb(0xA1, 0xFF);
}

static u32 ioapic_read(struct ioapic *io, u32 reg)
{
	io->base[IOAPIC_REGSEL / 4] = reg;
	return io->base[IOAPIC_WINDOW / 4];
}

static void ioapic_write(struct ioapic *io, u32 reg, u32 val)
{
	io->base[IOAPIC_REGSEL / 4] = reg;
	io->base[IOAPIC_WINDOW / 4] = val;
}

static void ioapic_write_redir(struct ioapic *io, unsigned int pin, u64 entry)
{
	unsigned long flags;

	spin_lock_irqsave(&ioapic_lock, flags);
	/* Mask first so the pin is never live with a half-written entry. */
	ioapic_write(io, IOAPIC_REG_REDIR(pin), REDIR_MASKED);
	ioapic_write(io, IOAPIC_REG_REDIR(pin) + 1, (u32)(entry >> 32));
	ioapic_write(io, IOAPIC_REG_REDIR(pin), (u32)entry);
	spin_unlock_irqrestore(&ioapic_lock, flags);
}

static int ioapic_add(u8 id, phys_addr_t phys, u32 gsi_base)
{
	struct ioapic *io;

	if (nr_ioapics == MAX_IOAPICS) {
		pr_err("ioapic: more than %d I/O APICs, ignoring id %u\n",
		       MAX_IOAPICS, id);
		return -ENOSPC;
	}
	io = &ioapics[nr_ioapics];
	io->base = arch_ioremap(phys, PAGE_SIZE);
	if (!io->base) {
		pr_err("ioapic: cannot map id %u at %#llx\n", id,
		       (unsigned long long)phys);
		return -ENOMEM;
	}
	io->id = id;
	io->gsi_base = gsi_base;
	io->nr_pins = ((ioapic_read(io, IOAPIC_REG_VER) >> 16) & 0xFF) + 1;
	for (unsigned int pin = 0; pin < io->nr_pins; pin++)
		ioapic_write_redir(io, pin, REDIR_MASKED);
	nr_ioapics++;
	pr_info("ioapic: id %u at %#llx, GSI %u-%u\n", id,
		(unsigned long long)phys, gsi_base, gsi_base + io->nr_pins - 1);
	return 0;
}

int ioapic_init(void)
{
	for (unsigned int i = 0; i < acpi_info.nr_ioapics; i++)
		ioapic_add(acpi_info.ioapic[i].id, acpi_info.ioapic[i].phys,
			   acpi_info.ioapic[i].gsi_base);
	if (!nr_ioapics) {
		pr_err("ioapic: none found in the MADT; no device interrupts\n");
		return -ENODEV;
	}
	return 0;
}

static struct ioapic *ioapic_for_gsi(u32 gsi, unsigned int *pin)
{
	for (unsigned int i = 0; i < nr_ioapics; i++) {
		struct ioapic *io = &ioapics[i];

		if (gsi >= io->gsi_base && gsi < io->gsi_base + io->nr_pins) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

/* ISA IRQ -> GSI and redirection flags, applying the MADT overrides. */
static u32 isa_irq_to_gsi(unsigned int irq, u64 *flags)
{
	*flags = 0;
	for (unsigned int i = 0; i < acpi_info.nr_overrides; i++) {
		const struct acpi_irq_override *o = &acpi_info.override[i];

		if (o->bus_irq != irq)
			continue;
		if ((o->flags & ACPI_POLARITY_MASK) == ACPI_POLARITY_LOW)
			*flags |= REDIR_ACTIVE_LOW;
		if ((o->flags & ACPI_TRIGGER_MASK) == ACPI_TRIGGER_LEVEL)
			*flags |= REDIR_LEVEL;
		return o->gsi;
	}
	return irq;
}

static int ioapic_set_isa_irq(unsigned int irq, u64 entry_or_mask, bool mask)
{
	struct ioapic *io;
	unsigned int pin;
	u64 flags;
	u32 gsi;

	if (irq >= 16)
		return -EINVAL;
	gsi = isa_irq_to_gsi(irq, &flags);
	io = ioapic_for_gsi(gsi, &pin);
	if (!io) {
		pr_err("ioapic: no I/O APIC serves GSI %u (ISA IRQ %u)\n", gsi, irq);
		return -ENODEV;
	}
	ioapic_write_redir(io, pin, mask ? REDIR_MASKED : entry_or_mask | flags);
	return 0;
}

int ioapic_route_isa_irq(unsigned int irq, unsigned int vector, u32 apic_id)
{
	if (vector < 32 || vector > 255 || apic_id > 255)
		return -EINVAL;
	return ioapic_set_isa_irq(irq, ((u64)apic_id << 56) | vector, false);
}

int ioapic_mask_isa_irq(unsigned int irq)
{
	return ioapic_set_isa_irq(irq, 0, true);
}
