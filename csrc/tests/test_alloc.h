/*
 * test_alloc.h -- an injectable cc_allocator for the tests: counts calls and bytes
 * outstanding (so a leak or a wrong size passed to free shows up), and can be told
 * to fail every call after the first N successful ones.
 */
#ifndef CC_TEST_ALLOC_H
#define CC_TEST_ALLOC_H

#include "../compactcore.h"

#include <stddef.h>

typedef struct test_alloc {
    cc_allocator iface;       /* pass &ta.iface to the code under test */
    long fail_after;          /* successful alloc/realloc calls left; < 0 means never fail */
    size_t calls;             /* alloc + realloc calls, including failed ones */
    size_t failures;
    size_t outstanding_bytes; /* allocated minus freed, by the sizes the caller states */
    long outstanding_blocks;
} test_alloc;

static int test_alloc_should_fail(test_alloc *t) {
    t->calls++;
    if (t->fail_after == 0) {
        t->failures++;
        return 1;
    }
    if (t->fail_after > 0)
        t->fail_after--;
    return 0;
}

static void *test_alloc_alloc(void *ctx, size_t size, size_t align) {
    test_alloc *t = ctx;
    if (test_alloc_should_fail(t))
        return NULL;
    void *p = cc_default_allocator()->alloc(NULL, size, align);
    if (p != NULL) {
        t->outstanding_bytes += size;
        t->outstanding_blocks++;
    }
    return p;
}

static void *test_alloc_realloc(void *ctx, void *p, size_t old_size, size_t new_size,
                                size_t align) {
    test_alloc *t = ctx;
    if (test_alloc_should_fail(t))
        return NULL;
    void *q = cc_default_allocator()->realloc(NULL, p, old_size, new_size, align);
    if (q != NULL) {
        if (p == NULL)
            t->outstanding_blocks++;
        t->outstanding_bytes += new_size - old_size; /* modular arithmetic nets out */
    }
    return q;
}

static void test_alloc_free(void *ctx, void *p, size_t size) {
    test_alloc *t = ctx;
    if (p == NULL)
        return;
    t->outstanding_bytes -= size;
    t->outstanding_blocks--;
    cc_default_allocator()->free(NULL, p, size);
}

static void test_alloc_init(test_alloc *t, long fail_after) {
    t->iface.alloc = test_alloc_alloc;
    t->iface.realloc = test_alloc_realloc;
    t->iface.free = test_alloc_free;
    t->iface.ctx = t;
    t->fail_after = fail_after;
    t->calls = 0;
    t->failures = 0;
    t->outstanding_bytes = 0;
    t->outstanding_blocks = 0;
}

#endif /* CC_TEST_ALLOC_H */
