/*
 * drivers/virtio/virtio_blk.h - virtio-blk internals the driver's own
 * tests use (drivers/virtio/virtio_blk_test.c). Not an interface for
 * anyone else.
 */
#ifndef DRIVERS_VIRTIO_BLK_H
#define DRIVERS_VIRTIO_BLK_H

#include <quire/blkdev.h>
#include <quire/virtio.h>

/* Is @disk a virtio-blk disk? */
bool virtblk_is_virtio_disk(struct gendisk *disk);
/* The virtio device behind a virtio-blk @disk. */
struct virtio_device *virtblk_vdev(struct gendisk *disk);
/*
 * Test hook: play a lying device on queue 0 of @disk: publish a used
 * entry {id, len} the device never wrote, and run the queue's interrupt.
 * Only while the queue has nothing in flight (else the real device could
 * write the same slot): -EBUSY. 0 once the forged entry was delivered.
 * Context: process.
 */
int virtblk_test_forge_used(struct gendisk *disk, u32 id, u32 len);

/*
 * Test hook: with @deaf, the driver ignores the device's completions of
 * @disk (its interrupt handler returns at once), as if the device never
 * answered (polling finds nothing either); the block layer's timeout
 * then resets it. Context: any.
 */
void virtblk_test_set_deaf(struct gendisk *disk, bool deaf);

/*
 * Test hook: with @lost, the interrupt handler of @disk ignores every
 * interrupt; only polling (bio_poll()) completes requests. Context: any.
 */
void virtblk_test_set_irq_lost(struct gendisk *disk, bool lost);

#endif
