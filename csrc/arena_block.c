/*
 * arena_block.c -- the arena API with one allocation per block, for the
 * AddressSanitizer and valgrind builds (CC_ARENA_MALLOC_PER_BLOCK): every block is
 * its own allocation, so the tools see each one (use-after-free, overruns, leaks).
 *
 * Each block is preceded by a small hidden header linking it into the arena's list
 * of live blocks, so that cc_arena_destroy can free what is still live:
 *
 *     | block_header | pad to align | block |      one allocation of alloc_size bytes
 *
 * The hook is called for every block allocation (slab = the allocation, bytes = its
 * size), so a memory tracer hooked to the arena still sees all memory. Stats report
 * slabs == 0 and blocks_per_slab == 1.
 *
 * With CC_DEBUG, cc_arena_free accepts only a block on the live list (an O(live
 * blocks) walk; ASan finds double frees at full speed in this mode), fills it with
 * CC_FREED_BYTE, and the live list's links and count are asserted (cc_assert).
 *
 * Compiled only with CC_ARENA_MALLOC_PER_BLOCK; arena.c is the slab mode.
 */
#include "internal.h"

#ifdef CC_ARENA_MALLOC_PER_BLOCK
#include <stdint.h>
#include <string.h>

typedef struct block_header block_header;
struct block_header {
    block_header *prev, *next;
};

struct cc_arena {
    size_t block_size;
    size_t align;
    size_t header_size;  /* sizeof(block_header) rounded up to align: keeps blocks aligned */
    size_t alloc_size;   /* header_size + block_size */
    const cc_allocator *allocator;
    cc_slab_hook hook;
    void *hook_ctx;
    block_header *live;  /* doubly-linked list of live blocks */
    size_t live_blocks;
};

static block_header *header_of(const cc_arena *a, void *block) {
    return (block_header *)((unsigned char *)block - a->header_size);
}

/* h's neighbours point back at it; an overwritten header (an underrun of the block)
 * breaks this. */
#define LINKED(a, h) \
    (((h)->prev != NULL ? (h)->prev->next == (h) : (a)->live == (h)) && \
     ((h)->next == NULL || (h)->next->prev == (h)))

cc_arena *cc_arena_new(size_t block_size, size_t align, const cc_allocator *alloc) {
    if (!valid_block_params(block_size, align))
        return NULL;
    if (alloc == NULL)
        alloc = cc_default_allocator();
    size_t header_size, alloc_size;
    if (round_up(sizeof(block_header), align, &header_size) != CC_OK ||
        add_size(header_size, block_size, &alloc_size) != CC_OK)
        return NULL;
    cc_arena *a = alloc->alloc(alloc->ctx, sizeof(cc_arena), _Alignof(cc_arena));
    if (a == NULL)
        return NULL;
    memset(a, 0, sizeof *a);
    a->block_size = block_size;
    a->align = align;
    a->header_size = header_size;
    a->alloc_size = alloc_size;
    a->allocator = alloc;
    return a;
}

void cc_arena_set_hook(cc_arena *a, cc_slab_hook hook, void *ctx) {
    a->hook = hook;
    a->hook_ctx = ctx;
}

void *cc_arena_alloc(cc_arena *a) {
    /* align >= 8 >= alignof(block_header), and header_size is a multiple of align. */
    block_header *h = a->allocator->alloc(a->allocator->ctx, a->alloc_size, a->align);
    if (h == NULL)
        return NULL;
    cc_assert(is_aligned(h, a->align)); /* the allocator honours the alignment asked */
    cc_assert(a->live == NULL ? a->live_blocks == 0 : a->live->prev == NULL);
    h->prev = NULL;
    h->next = a->live;
    if (h->next)
        h->next->prev = h;
    a->live = h;
    a->live_blocks++;
    if (a->hook)
        a->hook(a->hook_ctx, h, a->alloc_size, 1);
    return (unsigned char *)h + a->header_size;
}

int cc_arena_free(cc_arena *a, void *block) {
    if (block == NULL)
        return CC_OK;
    block_header *h = header_of(a, block);
#ifdef CC_DEBUG
    /* A freed block's memory is gone, so a double free cannot be told apart from a
     * foreign pointer here: both are "not a live block of this arena". */
    block_header *it = a->live;
    while (it != NULL && it != h)
        it = it->next;
    if (it == NULL)
        return CC_EFOREIGN;
#endif
    cc_assert(a->live_blocks > 0 && is_aligned(block, a->align));
    cc_assert(LINKED(a, h));
    debug_fill_freed(block, a->block_size);
    if (h->prev)
        h->prev->next = h->next;
    else
        a->live = h->next;
    if (h->next)
        h->next->prev = h->prev;
    a->live_blocks--;
    cc_assert((a->live == NULL) == (a->live_blocks == 0));
    if (a->hook)
        a->hook(a->hook_ctx, h, a->alloc_size, 0);
    a->allocator->free(a->allocator->ctx, h, a->alloc_size);
    return CC_OK;
}

void cc_arena_get_stats(const cc_arena *a, cc_arena_stats *out) {
    cc_assert((a->live == NULL) == (a->live_blocks == 0));
    memset(out, 0, sizeof *out);
    out->block_size = a->block_size;
    out->align = a->align;
    out->blocks_per_slab = 1;
    out->live_blocks = a->live_blocks;
    out->slabs = 0;
    out->bytes_reserved = a->live_blocks * a->alloc_size;
    out->bytes_in_use = a->live_blocks * a->block_size;
    out->malloc_per_block = 1;
}

void cc_arena_destroy(cc_arena *a) {
    if (a == NULL)
        return;
    size_t freed = 0;
    block_header *h = a->live;
    while (h != NULL) {
        block_header *next = h->next;
        cc_assert(next == NULL || next->prev == h);
        if (a->hook)
            a->hook(a->hook_ctx, h, a->alloc_size, 0);
        a->allocator->free(a->allocator->ctx, h, a->alloc_size);
        freed++;
        h = next;
    }
    cc_assert(freed == a->live_blocks); /* the live count agrees with the live list */
    (void)freed; /* read only by the assertion */
    a->allocator->free(a->allocator->ctx, a, sizeof(cc_arena));
}

#endif /* CC_ARENA_MALLOC_PER_BLOCK */
