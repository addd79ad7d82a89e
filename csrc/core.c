/*
 * core.c -- error names, overflow-checked size arithmetic and the default allocator.
 */
#define _POSIX_C_SOURCE 200112L /* posix_memalign under -std=c11 */

#include "compactcore.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *cc_strerror(int err) {
    switch (err) {
    case CC_OK: return "success";
    case CC_ENOMEM: return "out of memory";
    case CC_EOVERFLOW: return "size computation overflowed";
    case CC_EINVAL: return "invalid argument";
    case CC_ERANGE: return "index out of range";
    case CC_EDOUBLEFREE: return "block is already free (double free)";
    case CC_EFOREIGN: return "pointer was not allocated by this arena";
    default: return "unknown error";
    }
}

int cc_mul_size(size_t a, size_t b, size_t *out) {
    /* Division-based check: portable C11 (no __builtin_mul_overflow needed). */
    if (b != 0 && a > SIZE_MAX / b)
        return CC_EOVERFLOW;
    *out = a * b;
    return CC_OK;
}

/* ------------------------------------------------------------ default allocator */

/* malloc already guarantees alignof(max_align_t); only stricter alignments need
 * posix_memalign (which cannot realloc in place, hence the copy below). */
static int needs_memalign(size_t align) {
    return align > _Alignof(max_align_t);
}

static void *default_alloc(void *ctx, size_t size, size_t align) {
    (void)ctx;
    if (size == 0)
        size = 1; /* malloc(0) may return NULL, which callers would take as failure */
    if (!needs_memalign(align))
        return malloc(size);
    void *p = NULL;
    if (posix_memalign(&p, align, size) != 0)
        return NULL;
    return p;
}

static void default_free(void *ctx, void *p, size_t size) {
    (void)ctx;
    (void)size;
    free(p);
}

static void *default_realloc(void *ctx, void *p, size_t old_size, size_t new_size,
                             size_t align) {
    if (p == NULL)
        return default_alloc(ctx, new_size, align);
    if (new_size == 0)
        new_size = 1;
    if (!needs_memalign(align))
        return realloc(p, new_size);
    /* No aligned realloc in C/POSIX: move by hand. On failure p is untouched. */
    void *q = default_alloc(ctx, new_size, align);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old_size < new_size ? old_size : new_size);
    free(p);
    return q;
}

static const cc_allocator default_allocator = {
    default_alloc, default_realloc, default_free, NULL
};

const cc_allocator *cc_default_allocator(void) {
    return &default_allocator;
}
