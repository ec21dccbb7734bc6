/*
 * drivers/pci/msix.c - MSI-X: the per-function table of interrupt messages.
 *
 * Layer: drivers/pci. Provides: pci_msix_enable(), pci_msix_request(),
 * pci_msix_mask(), pci_msix_disable().
 *
 * The MSI-X capability (PCI 3.0 section 6.8.2) names a BAR and offset of
 * a table of 16-byte entries {address lo, address hi, data, control}.
 * Enabling follows Linux's order: set ENABLE with the function masked
 * (MASKALL), mask every entry we use, then clear MASKALL. An entry is
 * programmed while masked and unmasked last, so the device never sends
 * a half-written message. Vectors come from arch_msi_alloc(), which
 * fills the address/data pair that reaches the chosen CPU.
 *
 * Locking: none; the bound driver owns its device's MSI-X state and calls
 * these in process context (probe/remove).
 */
#include <quire/pci.h>
#include <quire/printk.h>
#include <quire/errno.h>
#include <arch/io.h>

static void entry_write(struct pci_dev *dev, unsigned int entry,
				unsigned int reg, u32 val)
{
	writel(val, (u8 *)dev->msix_table + entry * PCI_MSIX_ENTRY_SIZE + reg);
}

static u32 entry_read(struct pci_dev *dev, unsigned int entry, unsigned int reg)
{
	return readl((u8 *)dev->msix_table + entry * PCI_MSIX_ENTRY_SIZE + reg);
}

void pci_msix_mask(struct pci_dev *dev, unsigned int entry, bool mask)
{
	u32 ctrl;

	if (!dev->msix_enabled || entry >= dev->msix_nvec)
		return;
	ctrl = entry_read(dev, entry, PCI_MSIX_ENTRY_VECTOR_CTRL);
	ctrl = mask ? ctrl | PCI_MSIX_ENTRY_CTRL_MASKBIT : ctrl & ~PCI_MSIX_ENTRY_CTRL_MASKBIT;
	entry_write(dev, entry, PCI_MSIX_ENTRY_VECTOR_CTRL, ctrl);
	(void)entry_read(dev, entry, PCI_MSIX_ENTRY_VECTOR_CTRL);	/* flush */
}

/* Find and map the table; checks it lies inside its BAR. */
static int msix_map_table(struct pci_dev *dev, u8 cap, u16 nr_entries)
{
	u32 table;
	unsigned int bir;
	u64 off, len = (u64)nr_entries * PCI_MSIX_ENTRY_SIZE;
	char name[16];
	u8 *va;

	pci_name(dev, name, sizeof(name));
	pci_read_config_dword(dev, cap + PCI_MSIX_TABLE, &table);
	bir = table & PCI_MSIX_BIR;
	off = table & ~PCI_MSIX_BIR;
	if (bir >= PCI_STD_NUM_BARS || off + len > dev->bar[bir].size) {
		pr_err("pci %s: MSI-X table (BAR %u + 0x%llx, %u entries) outside its BAR\n",
		       name, bir, (unsigned long long)off, nr_entries);
		return -EINVAL;
	}
	va = pci_iomap(dev, bir);
	if (!va)
		return -ENOMEM;
	dev->msix_table = va + off;
	return 0;
}

int pci_msix_enable(struct pci_dev *dev, unsigned int nvec)
{
	u8 cap = pci_find_capability(dev, PCI_CAP_ID_MSIX);
	u16 flags;
	int err;

	if (!cap)
		return -ENODEV;
	if (dev->msix_enabled)
		return -EBUSY;
	pci_read_config_word(dev, cap + PCI_MSIX_FLAGS, &flags);
	dev->msix_table_size = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	if (!nvec || nvec > dev->msix_table_size || nvec > PCI_MSIX_MAX_VECTORS)
		return -ENOSPC;
	err = msix_map_table(dev, cap, dev->msix_table_size);
	if (err)
		return err;
	dev->msix_cap = cap;
	pci_enable_device_mem(dev);
	pci_write_config_word(dev, cap + PCI_MSIX_FLAGS,
			      flags | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	dev->msix_enabled = true;
	dev->msix_nvec = nvec;
	for (unsigned int i = 0; i < dev->msix_table_size; i++)
		entry_write(dev, i, PCI_MSIX_ENTRY_VECTOR_CTRL,
				    PCI_MSIX_ENTRY_CTRL_MASKBIT);
	pci_write_config_word(dev, cap + PCI_MSIX_FLAGS, flags | PCI_MSIX_FLAGS_ENABLE);
	/* INTx must not fire alongside MSI-X. */
	pci_read_config_word(dev, PCI_COMMAND, &flags);
	pci_write_config_word(dev, PCI_COMMAND, flags | PCI_COMMAND_INTX_DISABLE);
	return 0;
}

int pci_msix_request(struct pci_dev *dev, unsigned int entry, unsigned int cpu,
		     irq_handler_t handler, void *data)
{
	u64 addr;
	u32 msg;
	int h;

	if (!dev->msix_enabled || entry >= dev->msix_nvec || dev->msix_handle[entry] >= 0)
		return -EINVAL;
	h = arch_msi_alloc(cpu, handler, data, &addr, &msg);
	if (h < 0)
		return h;
	dev->msix_handle[entry] = h;
	pci_msix_mask(dev, entry, true);
	entry_write(dev, entry, PCI_MSIX_ENTRY_LOWER_ADDR, (u32)addr);
	entry_write(dev, entry, PCI_MSIX_ENTRY_UPPER_ADDR, (u32)(addr >> 32));
	entry_write(dev, entry, PCI_MSIX_ENTRY_DATA, msg);
	pci_msix_mask(dev, entry, false);
	return 0;
}

void pci_msix_disable(struct pci_dev *dev)
{
	u16 flags;

	if (!dev->msix_enabled)
		return;
	for (unsigned int i = 0; i < dev->msix_nvec; i++) {
		pci_msix_mask(dev, i, true);
		if (dev->msix_handle[i] >= 0)
			arch_msi_free(dev->msix_handle[i]);
		dev->msix_handle[i] = -1;
	}
	pci_read_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS, &flags);
	pci_write_config_word(dev, dev->msix_cap + PCI_MSIX_FLAGS,
			      flags & ~PCI_MSIX_FLAGS_ENABLE);
	dev->msix_enabled = false;
	dev->msix_nvec = 0;
}
