/*
 * vec.c -- growable, contiguous arrays of fixed-width records.
 *
 * Capacity policy
 *   - Operations that add records one batch at a time (push, insert, resize) grow
 *     geometrically: new_cap = max(needed, cap + cap / 2, VEC_MIN_CAP). Appending is
 *     amortised O(1) and a grown vector wastes at most half of its length.
 *   - cc_vec_reserve and cc_vec_assign are exact: capacity becomes precisely what was
 *     asked (when it has to grow), because the caller knows the final size.
 *   - Capacity never shrinks except in cc_vec_shrink_to_fit (and cc_vec_destroy).
 * Every failing call leaves the vector exactly as it was.
 *
 * Invariants (asserted with CC_DEBUG on entry to every call and wherever the storage
 * or the length grows): len <= cap; data == NULL iff cap == 0; cap * itemsize fits in
 * size_t, so byte counts up to cap need no overflow check; data is aligned to align,
 * a power of two dividing itemsize.
 */
#include "internal.h"

#include <stdint.h>
#include <string.h>

/* First allocation: 8 records, or one if records are big (then slack would matter). */
#define VEC_MIN_CAP 8
#define VEC_BIG_ITEM 1024

#ifdef CC_DEBUG
static void check_vec(const cc_vec *v) {
    cc_assert(v->itemsize != 0 && is_pow2(v->align) && v->itemsize % v->align == 0);
    cc_assert(v->allocator != NULL);
    cc_assert(v->len <= v->cap);
    cc_assert((v->data == NULL) == (v->cap == 0));
    cc_assert(v->cap <= SIZE_MAX / v->itemsize); /* cap * itemsize cannot overflow */
    cc_assert(is_aligned(v->data, v->align));
}
#else
#define check_vec(v) ((void)0)
#endif

/* Sets the capacity to exactly new_cap (> 0, >= len). */
static int set_capacity(cc_vec *v, size_t new_cap) {
    cc_assert(new_cap > 0 && new_cap >= v->len);
    size_t new_bytes;
    if (cc_mul_size(new_cap, v->itemsize, &new_bytes) != CC_OK)
        return CC_EOVERFLOW;
    const cc_allocator *al = v->allocator;
    /* cap * itemsize was checked when the current storage was allocated. */
    void *p = v->data == NULL
        ? al->alloc(al->ctx, new_bytes, v->align)
        : al->realloc(al->ctx, v->data, v->cap * v->itemsize, new_bytes, v->align);
    if (p == NULL)
        return CC_ENOMEM;
    v->data = p;
    v->cap = new_cap;
    check_vec(v);
    return CC_OK;
}

/* Makes room for `needed` records using the geometric growth rule. */
static int grow_for(cc_vec *v, size_t needed) {
    if (needed <= v->cap)
        return CC_OK;
    size_t new_cap = v->cap + v->cap / 2; /* cap * itemsize fits, so this cannot wrap */
    size_t min_cap = v->itemsize > VEC_BIG_ITEM ? 1 : VEC_MIN_CAP;
    if (new_cap < min_cap)
        new_cap = min_cap;
    if (new_cap < needed)
        new_cap = needed;
    size_t bytes;
    if (new_cap > needed && cc_mul_size(new_cap, v->itemsize, &bytes) != CC_OK)
        new_cap = needed; /* the geometric step alone overflows: ask for what is needed */
    cc_assert(new_cap >= needed && new_cap > v->cap);
    return set_capacity(v, new_cap);
}

/* Does items point into the vector's live records? (Compared as integers: relational
 * comparison of pointers into different objects is undefined in C.) */
static int aliases(const cc_vec *v, const void *items, size_t *offset) {
    if (items == NULL || v->data == NULL)
        return 0;
    uintptr_t p = (uintptr_t)items, start = (uintptr_t)v->data;
    if (p < start || p >= start + v->len * v->itemsize)
        return 0;
    *offset = (size_t)(p - start);
    return 1;
}

int cc_vec_init(cc_vec *v, size_t itemsize, size_t align, const cc_allocator *alloc) {
    if (v == NULL)
        return CC_EINVAL;
    memset(v, 0, sizeof *v); /* a failed init still leaves a vector destroy accepts */
    if (itemsize == 0 || !is_pow2(align) || itemsize % align != 0)
        return CC_EINVAL;
    v->itemsize = itemsize;
    v->align = align;
    v->allocator = alloc ? alloc : cc_default_allocator();
    check_vec(v);
    return CC_OK;
}

void cc_vec_destroy(cc_vec *v) {
    /* a vector whose init failed is all zero */
    cc_assert(v->itemsize != 0 || (v->data == NULL && v->cap == 0 && v->len == 0));
    if (v->itemsize != 0)
        check_vec(v);
    if (v->data != NULL)
        v->allocator->free(v->allocator->ctx, v->data, v->cap * v->itemsize);
    v->data = NULL;
    v->len = 0;
    v->cap = 0;
}

int cc_vec_reserve(cc_vec *v, size_t min_cap) {
    check_vec(v);
    if (min_cap <= v->cap)
        return CC_OK;
    return set_capacity(v, min_cap);
}

int cc_vec_resize(cc_vec *v, size_t new_len) {
    check_vec(v);
    if (new_len <= v->len) {
        v->len = new_len;
        return CC_OK;
    }
    int err = grow_for(v, new_len);
    if (err != CC_OK)
        return err;
    memset(v->data + v->len * v->itemsize, 0, (new_len - v->len) * v->itemsize);
    v->len = new_len;
    check_vec(v);
    return CC_OK;
}

int cc_vec_push(cc_vec *v, const void *item) {
    return cc_vec_insert(v, v->len, item, 1);
}

/* items may point into v itself (e.g. duplicating a record): the source is located
 * by offset, since growing may move the storage and opening the gap moves the tail. */
int cc_vec_insert(cc_vec *v, size_t index, const void *items, size_t n) {
    check_vec(v);
    if (index > v->len)
        return CC_ERANGE;
    if (n == 0)
        return CC_OK;
    size_t new_len, nbytes, src = 0;
    if (n > SIZE_MAX - v->len)
        return CC_EOVERFLOW;
    new_len = v->len + n;
    if (cc_mul_size(n, v->itemsize, &nbytes) != CC_OK)
        return CC_EOVERFLOW;
    int self = aliases(v, items, &src);
    int err = grow_for(v, new_len);
    if (err != CC_OK)
        return err;

    size_t gap = index * v->itemsize;
    unsigned char *data = v->data;
    memmove(data + gap + nbytes, data + gap, (v->len - index) * v->itemsize);
    if (items == NULL) {
        memset(data + gap, 0, nbytes);
    } else if (!self) {
        memcpy(data + gap, items, nbytes);
    } else {
        /* Source bytes before the gap stayed put; those at or after it moved up by
         * nbytes. Neither part overlaps the gap. */
        size_t before = src < gap ? gap - src : 0;
        if (before > nbytes)
            before = nbytes;
        memcpy(data + gap, data + src, before);
        memcpy(data + gap + before, data + src + before + nbytes, nbytes - before);
    }
    v->len = new_len;
    check_vec(v);
    return CC_OK;
}

int cc_vec_remove(cc_vec *v, size_t index, size_t n) {
    check_vec(v);
    if (index > v->len || n > v->len - index)
        return CC_ERANGE;
    size_t tail = v->len - index - n;
    if (n != 0 && tail != 0)
        memmove(v->data + index * v->itemsize, v->data + (index + n) * v->itemsize,
                tail * v->itemsize);
    v->len -= n;
    return CC_OK;
}

int cc_vec_truncate(cc_vec *v, size_t new_len) {
    check_vec(v);
    if (new_len > v->len)
        return CC_ERANGE;
    v->len = new_len;
    return CC_OK;
}

int cc_vec_shrink_to_fit(cc_vec *v) {
    check_vec(v);
    if (v->cap == v->len)
        return CC_OK;
    if (v->len == 0) {
        cc_vec_destroy(v);
        return CC_OK;
    }
    return set_capacity(v, v->len);
}

/* items NULL assigns n zero records. items may point into v's own records. */
int cc_vec_assign(cc_vec *v, const void *items, size_t n) {
    check_vec(v);
    size_t nbytes, src;
    if (cc_mul_size(n, v->itemsize, &nbytes) != CC_OK)
        return CC_EOVERFLOW;
    if (aliases(v, items, &src)) {
        if (n > v->len - src / v->itemsize) /* a source running past our own end */
            return CC_ERANGE;
        memmove(v->data, v->data + src, nbytes);
        v->len = n;
        check_vec(v);
        return CC_OK;
    }
    int err = cc_vec_reserve(v, n);
    if (err != CC_OK)
        return err;
    if (nbytes != 0) {
        if (items == NULL)
            memset(v->data, 0, nbytes);
        else
            memcpy(v->data, items, nbytes);
    }
    v->len = n;
    check_vec(v);
    return CC_OK;
}

void *cc_vec_get(const cc_vec *v, size_t i) {
    check_vec(v);
    if (i >= v->len)
        return NULL;
    return v->data + i * v->itemsize;
}
