/* The libc shim (arch/host/tools/vfs_libc.h): <quire/slab.h> for host programs. */
#include "../../vfs_libc.h"
