/*
 * test_vec.c -- tests of the record vector, checked against a naive model.
 *
 * Usage: test_vec [ops]   (or CC_TEST_ITERS=ops) -- random-test operation count.
 */
#include "../compactcore.h"
#include "test_alloc.h"
#include "testhelper.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

typedef struct rec { uint32_t a, b, c; } rec; /* 12 bytes, align 4: three i32 */

static rec mkrec(uint32_t i) {
    rec r = {i, i * 7u + 1u, ~i};
    return r;
}

static int rec_is(const cc_vec *v, size_t i, uint32_t id) {
    rec r = mkrec(id);
    const void *p = cc_vec_get(v, i);
    return p != NULL && memcmp(p, &r, sizeof r) == 0;
}

static int all_zero(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

/* A snapshot of a vector: header and contents, to prove a failed call changed nothing. */
typedef struct snapshot {
    cc_vec v;
    unsigned char *bytes;
} snapshot;

static snapshot take(const cc_vec *v) {
    snapshot s = {*v, malloc(v->len * v->itemsize + 1)};
    if (v->len)
        memcpy(s.bytes, v->data, v->len * v->itemsize);
    return s;
}

static int same_as(const cc_vec *v, snapshot *s) {
    int same = memcmp(v, &s->v, sizeof *v) == 0 &&
               (v->len == 0 || memcmp(v->data, s->bytes, v->len * v->itemsize) == 0);
    free(s->bytes);
    s->bytes = NULL;
    return same;
}

/* ------------------------------------------------------------ tests */

static void test_init(void) {
    cc_vec v;
    CHECK("init ok", cc_vec_init(&v, sizeof(rec), 4, NULL) == CC_OK);
    CHECK("init: empty", v.data == NULL && v.len == 0 && v.cap == 0);
    CHECK("init: fields", v.itemsize == 12 && v.align == 4 && v.allocator == cc_default_allocator());
    cc_vec_destroy(&v);
    CHECK("itemsize 0 rejected", cc_vec_init(&v, 0, 1, NULL) == CC_EINVAL);
    CHECK("align 0 rejected", cc_vec_init(&v, 8, 0, NULL) == CC_EINVAL);
    CHECK("align not a power of two rejected", cc_vec_init(&v, 12, 3, NULL) == CC_EINVAL);
    CHECK("align not dividing itemsize rejected", cc_vec_init(&v, 24, 16, NULL) == CC_EINVAL);
    CHECK("NULL vector rejected", cc_vec_init(NULL, 8, 8, NULL) == CC_EINVAL);
    cc_vec_destroy(&v); /* a failed init leaves a destroyable vector */
    CHECK("failed init leaves v empty", v.data == NULL && v.len == 0 && v.cap == 0);
}

static void test_push_get_growth(void) {
    test_alloc ta;
    test_alloc_init(&ta, -1);
    cc_vec v;
    cc_vec_init(&v, sizeof(rec), 4, &ta.iface);
    CHECK("get on empty is NULL", cc_vec_get(&v, 0) == NULL);
    enum { N = 200000 };
    int ok = 1, slack_ok = 1;
    size_t grows = 0, last_cap = 0;
    for (uint32_t i = 0; i < N; i++) {
        rec r = mkrec(i);
        ok &= cc_vec_push(&v, &r) == CC_OK;
        if (v.cap != last_cap) {
            grows++;
            last_cap = v.cap;
        }
        /* a grown vector wastes at most half of its length */
        slack_ok &= v.cap <= 8 || 2 * v.cap <= 3 * v.len;
    }
    CHECK("push ok", ok && v.len == N);
    CHECK("growth slack <= 1.5x", slack_ok);
    CHECK("geometric growth: O(log n) reallocations", grows < 40 && ta.calls == grows);
    int content = 1;
    for (uint32_t i = 0; i < N; i++)
        content &= rec_is(&v, i, i);
    CHECK("contents after push", content);
    CHECK("get out of range is NULL", cc_vec_get(&v, N) == NULL && cc_vec_get(&v, SIZE_MAX) == NULL);
    CHECK("cc_vec_at agrees with get", cc_vec_at(&v, 123) == cc_vec_get(&v, 123));
    CHECK("push NULL pushes zeros", cc_vec_push(&v, NULL) == CC_OK &&
                                        all_zero(cc_vec_get(&v, N), sizeof(rec)));
    cc_vec_destroy(&v);
    CHECK("destroy empties", v.data == NULL && v.len == 0 && v.cap == 0);
    CHECK("destroy keeps itemsize and allocator", v.itemsize == 12 && v.allocator == &ta.iface);
    rec r = mkrec(5);
    CHECK("reusable after destroy", cc_vec_push(&v, &r) == CC_OK && rec_is(&v, 0, 5));
    cc_vec_destroy(&v);
    cc_vec_destroy(&v); /* twice is harmless */
    CHECK("no leak", ta.outstanding_blocks == 0 && ta.outstanding_bytes == 0);
}

static void test_push_from_itself(void) {
    cc_vec v;
    cc_vec_init(&v, sizeof(rec), 4, NULL);
    rec r = mkrec(1);
    cc_vec_push(&v, &r);
    int ok = 1;
    /* pushing a record of the vector itself, across reallocations */
    for (int i = 0; i < 100; i++)
        ok &= cc_vec_push(&v, cc_vec_at(&v, 0)) == CC_OK;
    for (size_t i = 0; i < v.len; i++)
        ok &= rec_is(&v, i, 1);
    CHECK("push of an own record survives reallocation", ok && v.len == 101);
    cc_vec_destroy(&v);
}

static void test_insert_remove(void) {
    cc_vec v;
    cc_vec_init(&v, sizeof(rec), 4, NULL);
    rec items[5];
    for (uint32_t i = 0; i < 5; i++)
        items[i] = mkrec(100 + i);
    CHECK("insert at 0 into empty", cc_vec_insert(&v, 0, items, 5) == CC_OK && v.len == 5);
    rec x = mkrec(7);
    CHECK("insert at front", cc_vec_insert(&v, 0, &x, 1) == CC_OK && rec_is(&v, 0, 7) &&
                                 rec_is(&v, 1, 100));
    CHECK("insert at end", cc_vec_insert(&v, v.len, &x, 1) == CC_OK && rec_is(&v, 6, 7));
    CHECK("insert in the middle", cc_vec_insert(&v, 3, items, 2) == CC_OK && v.len == 9);
    /* now: 7 100 101 100 101 102 103 104 7 */
    static const uint32_t want[] = {7, 100, 101, 100, 101, 102, 103, 104, 7};
    int ok = 1;
    for (size_t i = 0; i < 9; i++)
        ok &= rec_is(&v, i, want[i]);
    CHECK("insert order", ok);
    CHECK("insert NULL inserts zeros", cc_vec_insert(&v, 1, NULL, 2) == CC_OK &&
                                           all_zero(cc_vec_get(&v, 1), 2 * sizeof(rec)) &&
                                           rec_is(&v, 3, 100) && v.len == 11);
    CHECK("insert 0 records is a no-op", cc_vec_insert(&v, 4, items, 0) == CC_OK && v.len == 11);
    snapshot s = take(&v);
    CHECK("insert past the end is CC_ERANGE", cc_vec_insert(&v, 12, items, 1) == CC_ERANGE);
    CHECK("... and changes nothing", same_as(&v, &s));

    CHECK("remove the zeros", cc_vec_remove(&v, 1, 2) == CC_OK && v.len == 9);
    ok = 1;
    for (size_t i = 0; i < 9; i++)
        ok &= rec_is(&v, i, want[i]);
    CHECK("remove closes the gap", ok);
    CHECK("remove the last", cc_vec_remove(&v, 8, 1) == CC_OK && v.len == 8 && rec_is(&v, 7, 104));
    CHECK("remove the first", cc_vec_remove(&v, 0, 1) == CC_OK && rec_is(&v, 0, 100));
    CHECK("remove 0 at the end", cc_vec_remove(&v, v.len, 0) == CC_OK && v.len == 7);
    s = take(&v);
    CHECK("remove past the end is CC_ERANGE", cc_vec_remove(&v, 5, 3) == CC_ERANGE);
    CHECK("remove at len+1 is CC_ERANGE", cc_vec_remove(&v, 8, 0) == CC_ERANGE);
    CHECK("remove with a huge n is CC_ERANGE (no wrap)", cc_vec_remove(&v, 1, SIZE_MAX) == CC_ERANGE);
    CHECK("... and changes nothing", same_as(&v, &s));
    CHECK("remove everything", cc_vec_remove(&v, 0, v.len) == CC_OK && v.len == 0);
    cc_vec_destroy(&v);
}

/* Inserting a range of the vector into itself, for every source/gap relation. */
static void test_insert_from_itself(void) {
    int ok = 1;
    for (size_t src = 0; src < 10; src++) {
        for (size_t n = 1; src + n <= 10; n++) {
            for (size_t at = 0; at <= 10; at++) {
                cc_vec v;
                cc_vec_init(&v, sizeof(rec), 4, NULL);
                for (uint32_t i = 0; i < 10; i++) {
                    rec r = mkrec(i);
                    cc_vec_push(&v, &r);
                }
                cc_vec_shrink_to_fit(&v); /* force the insert to reallocate */
                ok &= cc_vec_insert(&v, at, cc_vec_at(&v, src), n) == CC_OK;
                /* model: the same operation on a plain array */
                uint32_t model[20];
                size_t m = 0;
                for (size_t i = 0; i < at; i++)
                    model[m++] = (uint32_t)i;
                for (size_t i = 0; i < n; i++)
                    model[m++] = (uint32_t)(src + i);
                for (size_t i = at; i < 10; i++)
                    model[m++] = (uint32_t)i;
                ok &= v.len == m;
                for (size_t i = 0; i < m && ok; i++)
                    ok &= rec_is(&v, i, model[i]);
                cc_vec_destroy(&v);
            }
        }
    }
    CHECK("insert of an own range, every overlap", ok);
}

static void test_truncate_resize(void) {
    cc_vec v;
    cc_vec_init(&v, sizeof(rec), 4, NULL);
    for (uint32_t i = 0; i < 10; i++) {
        rec r = mkrec(i);
        cc_vec_push(&v, &r);
    }
    size_t cap = v.cap;
    CHECK("truncate", cc_vec_truncate(&v, 2) == CC_OK && v.len == 2 && v.cap == cap);
    CHECK("truncate beyond len is CC_ERANGE", cc_vec_truncate(&v, 3) == CC_ERANGE && v.len == 2);
    CHECK("truncate to len is a no-op", cc_vec_truncate(&v, 2) == CC_OK && v.len == 2);
    CHECK("resize up zero-fills reused storage", cc_vec_resize(&v, 10) == CC_OK && v.len == 10 &&
                                                     rec_is(&v, 1, 1) &&
                                                     all_zero(cc_vec_get(&v, 2), 8 * sizeof(rec)));
    CHECK("resize down", cc_vec_resize(&v, 1) == CC_OK && v.len == 1 && rec_is(&v, 0, 0));
    CHECK("resize up past cap grows", cc_vec_resize(&v, 1000) == CC_OK && v.len == 1000 &&
                                          v.cap >= 1000 && all_zero(cc_vec_get(&v, 1), 999 * 12));
    CHECK("resize to 0", cc_vec_resize(&v, 0) == CC_OK && v.len == 0);
    cc_vec_destroy(&v);
}

static void test_reserve_shrink(void) {
    test_alloc ta;
    test_alloc_init(&ta, -1);
    cc_vec v;
    cc_vec_init(&v, sizeof(rec), 4, &ta.iface);
    CHECK("reserve is exact", cc_vec_reserve(&v, 100) == CC_OK && v.cap == 100 && v.len == 0);
    CHECK("reserve smaller does nothing", cc_vec_reserve(&v, 50) == CC_OK && v.cap == 100);
    CHECK("reserve 0 does nothing", cc_vec_reserve(&v, 0) == CC_OK && v.cap == 100);
    CHECK("reserve again exact", cc_vec_reserve(&v, 101) == CC_OK && v.cap == 101);
    for (uint32_t i = 0; i < 7; i++) {
        rec r = mkrec(i);
        cc_vec_push(&v, &r);
    }
    CHECK("shrink_to_fit", cc_vec_shrink_to_fit(&v) == CC_OK && v.cap == 7 && rec_is(&v, 6, 6));
    CHECK("shrink_to_fit when tight", cc_vec_shrink_to_fit(&v) == CC_OK && v.cap == 7);
    cc_vec_truncate(&v, 0);
    CHECK("shrink_to_fit of empty frees", cc_vec_shrink_to_fit(&v) == CC_OK && v.data == NULL &&
                                              v.cap == 0);
    CHECK("nothing held", ta.outstanding_blocks == 0);
    cc_vec_destroy(&v);
}

static void test_assign(void) {
    cc_vec v;
    cc_vec_init(&v, sizeof(rec), 4, NULL);
    rec items[50];
    for (uint32_t i = 0; i < 50; i++)
        items[i] = mkrec(i);
    CHECK("assign into empty, exact capacity", cc_vec_assign(&v, items, 50) == CC_OK &&
                                                   v.len == 50 && v.cap == 50 && rec_is(&v, 49, 49));
    CHECK("assign fewer keeps capacity", cc_vec_assign(&v, items + 10, 5) == CC_OK && v.len == 5 &&
                                             v.cap == 50 && rec_is(&v, 0, 10) && rec_is(&v, 4, 14));
    CHECK("assign zeros", cc_vec_assign(&v, NULL, 3) == CC_OK && v.len == 3 &&
                              all_zero(v.data, 3 * sizeof(rec)));
    CHECK("assign nothing", cc_vec_assign(&v, items, 0) == CC_OK && v.len == 0);
    cc_vec_assign(&v, items, 50);
    CHECK("assign from an own subrange", cc_vec_assign(&v, cc_vec_at(&v, 20), 10) == CC_OK &&
                                             v.len == 10 && rec_is(&v, 0, 20) && rec_is(&v, 9, 29));
    snapshot s = take(&v);
    CHECK("assign an own range running past the end is CC_ERANGE",
          cc_vec_assign(&v, cc_vec_at(&v, 5), 6) == CC_ERANGE && same_as(&v, &s));
    cc_vec_destroy(&v);
}

static void test_alignment(void) {
    static const struct { size_t itemsize, align; } cfg[] = {
        {1, 1}, {3, 1}, {8, 8}, {16, 16}, {24, 8}, {64, 64}, {128, 64}, {4096, 4096}, {8192, 256},
    };
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        cc_vec v;
        size_t size = cfg[c].itemsize, align = cfg[c].align;
        CHECK("init", cc_vec_init(&v, size, align, NULL) == CC_OK);
        unsigned char *item = malloc(size);
        int aligned = 1, content = 1;
        for (size_t i = 0; i < 300; i++) {
            memset(item, (int)(i & 0xFF), size);
            cc_vec_push(&v, item);
            aligned &= (uintptr_t)v.data % align == 0;
        }
        cc_vec_shrink_to_fit(&v);
        aligned &= (uintptr_t)v.data % align == 0;
        for (size_t i = 0; i < 300; i++) {
            const unsigned char *p = cc_vec_get(&v, i);
            for (size_t j = 0; j < size; j++)
                content &= p[j] == (unsigned char)(i & 0xFF);
        }
        CHECK("storage aligned after every growth and shrink", aligned);
        CHECK("contents survive aligned reallocation", content);
        free(item);
        cc_vec_destroy(&v);
    }
}

static void test_overflow_guards(void) {
    cc_vec v;
    /* itemsize near SIZE_MAX */
    cc_vec_init(&v, SIZE_MAX, 1, NULL);
    CHECK("reserve(2) of SIZE_MAX-byte records overflows", cc_vec_reserve(&v, 2) == CC_EOVERFLOW);
    cc_vec_destroy(&v);
    /* (sizes >= 2^63 would make valgrind flag a "fishy" malloc argument: stay below) */
    cc_vec_init(&v, SIZE_MAX / 4 + 1, 1, NULL);
    CHECK("reserve(4) of huge records overflows", cc_vec_reserve(&v, 4) == CC_EOVERFLOW);
    CHECK("resize(5) of huge records overflows", cc_vec_resize(&v, 5) == CC_EOVERFLOW);
    CHECK("insert 4 huge records overflows", cc_vec_insert(&v, 0, NULL, 4) == CC_EOVERFLOW);
    CHECK("assign 4 huge records overflows", cc_vec_assign(&v, NULL, 4) == CC_EOVERFLOW);
    int err = cc_vec_push(&v, NULL); /* 2^62 bytes: no allocator has that */
    CHECK("push of one huge record fails cleanly", err == CC_ENOMEM || err == CC_EOVERFLOW);
    CHECK("huge: state unchanged", v.data == NULL && v.len == 0 && v.cap == 0);
    cc_vec_destroy(&v);

    cc_vec_init(&v, 4, 4, NULL);
    uint32_t x = 42;
    cc_vec_push(&v, &x);
    snapshot s = take(&v);
    CHECK("resize(SIZE_MAX/2) of 4-byte records overflows", cc_vec_resize(&v, SIZE_MAX / 2) == CC_EOVERFLOW);
    CHECK("reserve(SIZE_MAX) overflows", cc_vec_reserve(&v, SIZE_MAX) == CC_EOVERFLOW);
    CHECK("insert n = SIZE_MAX overflows len + n", cc_vec_insert(&v, 0, NULL, SIZE_MAX) == CC_EOVERFLOW);
    CHECK("insert n = SIZE_MAX/4 + 1 overflows n * itemsize",
          cc_vec_insert(&v, 1, NULL, SIZE_MAX / 4 + 1) == CC_EOVERFLOW);
    CHECK("assign n = SIZE_MAX/2 overflows", cc_vec_assign(&v, NULL, SIZE_MAX / 2) == CC_EOVERFLOW);
    err = cc_vec_resize(&v, SIZE_MAX / 8); /* fits size_t, not memory */
    CHECK("resize(SIZE_MAX/8) is out of memory", err == CC_ENOMEM);
    CHECK("overflow guards leave the vector unchanged", same_as(&v, &s));
    cc_vec_destroy(&v);

    cc_vec_init(&v, 1, 1, NULL);
    err = cc_vec_resize(&v, SIZE_MAX / 2);
    CHECK("resize(SIZE_MAX/2) of bytes is out of memory", err == CC_ENOMEM && v.len == 0);
    err = cc_vec_reserve(&v, SIZE_MAX / 2);
    CHECK("reserve(SIZE_MAX/2) of bytes is out of memory", err == CC_ENOMEM && v.cap == 0);
    cc_vec_destroy(&v);
}

/* Injected failures: every growing operation leaves the vector exactly as it was. */
static void test_allocation_failures(void) {
    test_alloc ta;
    test_alloc_init(&ta, -1);
    cc_vec v;
    cc_vec_init(&v, sizeof(rec), 4, &ta.iface);
    rec r = mkrec(9);
    ta.fail_after = 0;
    snapshot s = take(&v);
    CHECK("first allocation fails cleanly", cc_vec_push(&v, &r) == CC_ENOMEM && same_as(&v, &s));
    ta.fail_after = -1;
    for (uint32_t i = 0; i < 8; i++) {
        r = mkrec(i);
        cc_vec_push(&v, &r);
    }
    CHECK("filled to the first capacity", v.len == 8 && v.cap == 8);
    ta.fail_after = 0;
    r = mkrec(8);
    s = take(&v);
    CHECK("push growth failure", cc_vec_push(&v, &r) == CC_ENOMEM && same_as(&v, &s));
    s = take(&v);
    CHECK("insert growth failure", cc_vec_insert(&v, 3, &r, 1) == CC_ENOMEM && same_as(&v, &s));
    s = take(&v);
    CHECK("resize growth failure", cc_vec_resize(&v, 100) == CC_ENOMEM && same_as(&v, &s));
    s = take(&v);
    CHECK("reserve failure", cc_vec_reserve(&v, 100) == CC_ENOMEM && same_as(&v, &s));
    s = take(&v);
    CHECK("assign failure", cc_vec_assign(&v, NULL, 100) == CC_ENOMEM && same_as(&v, &s));
    s = take(&v);
    CHECK("insert from itself failure",
          cc_vec_insert(&v, 0, cc_vec_at(&v, 1), 2) == CC_ENOMEM && same_as(&v, &s));
    ta.fail_after = -1;
    cc_vec_reserve(&v, 64);
    ta.fail_after = 0;
    s = take(&v);
    CHECK("shrink failure", cc_vec_shrink_to_fit(&v) == CC_ENOMEM && same_as(&v, &s));
    s = take(&v);
    CHECK("operations within capacity need no memory",
          cc_vec_push(&v, &r) == CC_OK && cc_vec_remove(&v, 8, 1) == CC_OK && same_as(&v, &s));
    ta.fail_after = -1;
    CHECK("works again", cc_vec_push(&v, &r) == CC_OK && rec_is(&v, 8, 8) && rec_is(&v, 0, 0));
    cc_vec_destroy(&v);
    CHECK("no leak after failures", ta.outstanding_blocks == 0 && ta.outstanding_bytes == 0);
}

/* Random sequences of every operation against a shadow byte array. */
static void test_random(unsigned long ops) {
    test_rng rng = {7};
    test_alloc ta;
    test_alloc_init(&ta, -1);
    enum { ITEM = 8, MAXLEN = 4096 };
    cc_vec v;
    cc_vec_init(&v, ITEM, 8, &ta.iface);
    unsigned char *shadow = malloc(MAXLEN * ITEM), *buf = malloc(MAXLEN * ITEM);
    size_t len = 0;
    int ok = 1, slack = 1;
    for (unsigned long op = 0; op < ops && ok; op++) {
        size_t n = test_below(&rng, 16), at = test_below(&rng, len + 1);
        for (size_t i = 0; i < n * ITEM; i++)
            buf[i] = (unsigned char)test_rand(&rng);
        switch (test_below(&rng, 9)) {
        case 0: /* push */
            if (len < MAXLEN) {
                ok &= cc_vec_push(&v, buf) == CC_OK;
                memcpy(shadow + len * ITEM, buf, ITEM);
                len++;
            }
            break;
        case 1: /* insert */
            if (len + n <= MAXLEN) {
                ok &= cc_vec_insert(&v, at, buf, n) == CC_OK;
                memmove(shadow + (at + n) * ITEM, shadow + at * ITEM, (len - at) * ITEM);
                memcpy(shadow + at * ITEM, buf, n * ITEM);
                len += n;
            }
            break;
        case 2: /* remove */
            if (at + n <= len) {
                ok &= cc_vec_remove(&v, at, n) == CC_OK;
                memmove(shadow + at * ITEM, shadow + (at + n) * ITEM, (len - at - n) * ITEM);
                len -= n;
            } else {
                ok &= cc_vec_remove(&v, at, n) == CC_ERANGE;
            }
            break;
        case 3: /* truncate */
            ok &= cc_vec_truncate(&v, at) == CC_OK;
            len = at;
            break;
        case 4: /* resize */
            if (at + n <= MAXLEN) {
                ok &= cc_vec_resize(&v, at + n) == CC_OK;
                if (at + n > len)
                    memset(shadow + len * ITEM, 0, (at + n - len) * ITEM);
                len = at + n;
            }
            break;
        case 5: /* reserve */
            ok &= cc_vec_reserve(&v, len + n) == CC_OK && v.cap >= len + n;
            break;
        case 6: /* shrink */
            if (test_below(&rng, 8) == 0)
                ok &= cc_vec_shrink_to_fit(&v) == CC_OK && v.cap == len;
            break;
        case 7: /* assign */
            if (test_below(&rng, 16) == 0) {
                ok &= cc_vec_assign(&v, buf, n) == CC_OK;
                memcpy(shadow, buf, n * ITEM);
                len = n;
            }
            break;
        default: /* get */
            if (len > 0) {
                size_t i = test_below(&rng, len);
                ok &= cc_vec_get(&v, i) != NULL && memcmp(cc_vec_get(&v, i), shadow + i * ITEM, ITEM) == 0;
            }
            ok &= cc_vec_get(&v, len) == NULL;
            break;
        }
        ok &= v.len == len && v.cap >= len;
        if (op % 64 == 0)
            ok &= len == 0 || memcmp(v.data, shadow, len * ITEM) == 0;
        slack &= v.cap <= 64 || v.cap <= 2 * len + 16 || v.cap <= MAXLEN + 16;
    }
    ok &= len == 0 || memcmp(v.data, shadow, len * ITEM) == 0;
    CHECK("random operations match the model", ok);
    CHECK("random: capacity bounded", slack);
    cc_vec_destroy(&v);
    CHECK("random: no leak", ta.outstanding_blocks == 0 && ta.outstanding_bytes == 0);
    free(shadow);
    free(buf);
}

int main(int argc, char **argv) {
    unsigned long ops = test_iterations(argc, argv, 4000000ul);
    test_init();
    test_push_get_growth();
    test_push_from_itself();
    test_insert_remove();
    test_insert_from_itself();
    test_truncate_resize();
    test_reserve_shrink();
    test_assign();
    test_alignment();
    test_overflow_guards();
    test_allocation_failures();
    test_random(ops / 4);
    return test_summary();
}
