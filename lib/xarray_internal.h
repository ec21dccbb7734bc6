/*
 * lib/xarray_internal.h - test hooks of lib/xarray.c, for lib/xarray_test.c
 * only (not an interface).
 */
#ifndef QUIRE_LIB_XARRAY_INTERNAL_H
#define QUIRE_LIB_XARRAY_INTERNAL_H

#include <quire/xarray.h>

/*
 * Fault injection: while xa_fail_array points at an array, its node
 * allocations succeed xa_fail_after more times (counting down), then fail
 * as an exhausted kmalloc(GFP_ATOMIC) would. NULL (the default) = off.
 */
extern struct xarray *xa_fail_array;
extern int xa_fail_after;

#endif
