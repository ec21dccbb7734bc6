/* The libc shim (arch/host/tools/vfs_libc.h): <arch/debug.h> for host programs. */
#include "../../vfs_libc.h"
