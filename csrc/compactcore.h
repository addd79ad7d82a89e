/*
 * compactcore.h -- the public API of compactclass's pure-C storage core (no Python.h).
 *
 * Glossary
 *   block   one fixed-size piece of memory handed out by an arena: one record object.
 *   slab    one large, size-aligned chunk taken from the system allocator and cut into
 *           blocks; a block's slab is found in O(1) by masking the block's address.
 *   arena   a set of slabs that all hold blocks of one size (one arena per record type).
 *           Free blocks are kept on intrusive freelists (the link lives in the free block
 *           itself, so a block carries no header). Allocation prefers the fullest slab so
 *           the others can drain; a slab that becomes empty is returned to the system,
 *           except one spare kept back (hysteresis).
 *   vec     a growable, contiguous array of fixed-width records (a record array's storage).
 *
 * Build switches
 *   CC_DEBUG                   fill freed blocks with CC_FREED_BYTE, detect double frees
 *                              and foreign pointers (cc_arena_free returns an error code),
 *                              and assert the arena and vec invariants (internal.h's
 *                              cc_assert: a corrupted freelist, a count that disagrees
 *                              with the blocks, len > cap, ... abort with file:line).
 *   CC_ARENA_MALLOC_PER_BLOCK  every block is its own allocation, so AddressSanitizer and
 *                              valgrind see each block (use-after-free, leaks). The slab
 *                              arena is arena.c, this mode arena_block.c; both files are
 *                              always compiled and each is empty in the other mode.
 *
 * Thread safety: none. Callers serialise access to one arena or vec (the Python layer
 * holds the GIL).
 */
#ifndef COMPACTCORE_H
#define COMPACTCORE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes returned by the functions below (0 is success). */
enum {
    CC_OK = 0,
    CC_ENOMEM = 1,       /* the system allocator failed */
    CC_EOVERFLOW = 2,    /* a size computation overflowed size_t */
    CC_EINVAL = 3,       /* an argument is invalid (bad size, alignment, ...) */
    CC_ERANGE = 4,       /* an index is out of range */
    CC_EDOUBLEFREE = 5,  /* CC_DEBUG: the block is already free */
    CC_EFOREIGN = 6      /* CC_DEBUG: the pointer was not allocated by this arena */
};

/* A human-readable name of an error code (static string). */
const char *cc_strerror(int err);

/* Where slabs and vector storage come from. Tests inject failing allocators. */
typedef struct cc_allocator {
    void *(*alloc)(void *ctx, size_t size, size_t align);   /* NULL on failure */
    void *(*realloc)(void *ctx, void *p, size_t old_size, size_t new_size, size_t align);
    void (*free)(void *ctx, void *p, size_t size);
    void *ctx;
} cc_allocator;

/* malloc/posix_memalign based allocator used when NULL is passed. */
const cc_allocator *cc_default_allocator(void);

/* a * b into *out; returns CC_OK or CC_EOVERFLOW. */
int cc_mul_size(size_t a, size_t b, size_t *out);

/* ---------------------------------------------------------------- arena */

typedef struct cc_arena cc_arena;

/* Called after a slab is acquired (acquired=1) or before it is released (acquired=0). */
typedef void (*cc_slab_hook)(void *ctx, void *slab, size_t bytes, int acquired);

typedef struct cc_arena_stats {
    size_t block_size;       /* bytes per block, as given at creation */
    size_t align;            /* block alignment */
    size_t blocks_per_slab;
    size_t live_blocks;      /* blocks allocated and not yet freed */
    size_t slabs;            /* slabs held (including the spare) */
    size_t bytes_reserved;   /* bytes held from the system for slabs */
    size_t bytes_in_use;     /* live_blocks * block_size */
    size_t slabs_acquired;   /* total over the arena's life */
    size_t slabs_released;   /* total over the arena's life */
    int malloc_per_block;    /* 1 if built with CC_ARENA_MALLOC_PER_BLOCK */
} cc_arena_stats;

/* block_size >= 16, align a power of two >= 8, block_size a multiple of align.
 * alloc NULL means cc_default_allocator(). Returns NULL on failure. */
cc_arena *cc_arena_new(size_t block_size, size_t align, const cc_allocator *alloc);
void cc_arena_set_hook(cc_arena *arena, cc_slab_hook hook, void *ctx);
void *cc_arena_alloc(cc_arena *arena);           /* NULL if out of memory; contents undefined */
int cc_arena_free(cc_arena *arena, void *block); /* CC_OK, or a CC_DEBUG error */
void cc_arena_get_stats(const cc_arena *arena, cc_arena_stats *out);
void cc_arena_destroy(cc_arena *arena);          /* releases every slab (hook called) */

/* ---------------------------------------------------------------- vec */

typedef struct cc_vec {
    unsigned char *data;     /* len * itemsize bytes of records, cap * itemsize allocated */
    size_t len;
    size_t cap;
    size_t itemsize;
    size_t align;
    const cc_allocator *allocator;
} cc_vec;

/* itemsize >= 1, align a power of two dividing itemsize. alloc NULL means default. */
int cc_vec_init(cc_vec *v, size_t itemsize, size_t align, const cc_allocator *alloc);
void cc_vec_destroy(cc_vec *v);                   /* frees storage; v is left empty */
int cc_vec_reserve(cc_vec *v, size_t min_cap);    /* exact: cap becomes >= min_cap */
int cc_vec_resize(cc_vec *v, size_t new_len);     /* new records are zero-filled */
int cc_vec_push(cc_vec *v, const void *item);     /* item NULL pushes zeros */
int cc_vec_insert(cc_vec *v, size_t index, const void *items, size_t n); /* index <= len */
int cc_vec_remove(cc_vec *v, size_t index, size_t n);  /* remove [index, index+n) */
int cc_vec_truncate(cc_vec *v, size_t new_len);   /* new_len <= len */
int cc_vec_shrink_to_fit(cc_vec *v);              /* cap becomes len */
int cc_vec_assign(cc_vec *v, const void *items, size_t n); /* replace all contents */

/* Pointer to record i, or NULL if i >= len. */
void *cc_vec_get(const cc_vec *v, size_t i);

/* Unchecked: pointer to record i (i < len is the caller's promise). */
static inline void *cc_vec_at(const cc_vec *v, size_t i) {
    return v->data + i * v->itemsize;
}

#ifdef __cplusplus
}
#endif
#endif /* COMPACTCORE_H */
