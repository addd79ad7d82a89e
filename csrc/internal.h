/*
 * internal.h -- internal to the C core: debug assertions, size arithmetic, and what the
 * two arena modes (arena.c, arena_block.c) share. Not installed, not part of the API.
 *
 * cc_assert(cond) states an invariant the code relies on. With CC_DEBUG a false
 * condition prints "file:line: function: assertion failed: cond" to stderr and aborts;
 * without CC_DEBUG the condition is not evaluated at all (after mimalloc's mi_assert).
 * Invariants are things only a bug or a memory corruption can break; misuse the API
 * promises to report (a double free, a foreign pointer) stays an error code.
 */
#ifndef CC_INTERNAL_H
#define CC_INTERNAL_H

#include "compactcore.h"

#include <stdint.h>
#include <string.h>

#ifdef CC_DEBUG
#include <stdio.h>
#include <stdlib.h>

static inline void assert_failed(const char *expr, const char *file, int line,
                                 const char *func) {
    fprintf(stderr, "%s:%d: %s: assertion failed: %s\n", file, line, func, expr);
    fflush(stderr);
    abort();
}

#define cc_assert(cond) \
    ((cond) ? (void)0 : assert_failed(#cond, __FILE__, __LINE__, __func__))
#else
#define cc_assert(cond) ((void)0)
#endif

/* ------------------------------------------------------------ size arithmetic */

static inline int is_pow2(size_t x) {
    return x != 0 && (x & (x - 1)) == 0;
}

static inline int add_size(size_t a, size_t b, size_t *out) {
    if (a > SIZE_MAX - b)
        return CC_EOVERFLOW;
    *out = a + b;
    return CC_OK;
}

/* x rounded up to a multiple of align (a power of two). */
static inline int round_up(size_t x, size_t align, size_t *out) {
    if (add_size(x, align - 1, out) != CC_OK)
        return CC_EOVERFLOW;
    *out &= ~(align - 1);
    return CC_OK;
}

static inline int is_aligned(const void *p, size_t align) {
    return ((uintptr_t)p & (align - 1)) == 0;
}

/* ------------------------------------------------------------ both arena modes */

#ifndef CC_FREED_BYTE
#define CC_FREED_BYTE 0xDF /* CC_DEBUG: fills freed blocks, easy to spot in a debugger */
#endif

/* The upper bound keeps a slab of 16 such blocks representable; both build modes
 * accept exactly the same parameters, so switching modes never changes behaviour. */
static inline int valid_block_params(size_t block_size, size_t align) {
    return block_size >= 16 && block_size <= SIZE_MAX / 64 && align >= 8 && is_pow2(align) &&
           block_size % align == 0;
}

/* CC_DEBUG: a freed block is filled with CC_FREED_BYTE, so a stale read shows the
 * pattern; the slab arena also checks the fill when it hands the block out again. */
static inline void debug_fill_freed(void *block, size_t block_size) {
#ifdef CC_DEBUG
    memset(block, CC_FREED_BYTE, block_size);
#else
    (void)block;
    (void)block_size;
#endif
}

#endif /* CC_INTERNAL_H */
