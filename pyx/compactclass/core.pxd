# cython: language_level=3
"""Declarations of the pure-C storage core (csrc/compactcore.h) for Cython code."""

cdef extern from "compactcore.h" nogil:
    enum:
        CC_OK
        CC_ENOMEM
        CC_EOVERFLOW
        CC_EINVAL
        CC_ERANGE
        CC_EDOUBLEFREE
        CC_EFOREIGN

    const char *cc_strerror(int err)

    ctypedef struct cc_allocator:
        pass

    int cc_mul_size(size_t a, size_t b, size_t *out)

    ctypedef struct cc_arena:
        pass

    ctypedef void (*cc_slab_hook)(void *ctx, void *slab, size_t nbytes, int acquired) noexcept

    ctypedef struct cc_arena_stats:
        size_t block_size
        size_t align
        size_t blocks_per_slab
        size_t live_blocks
        size_t slabs
        size_t bytes_reserved
        size_t bytes_in_use
        size_t slabs_acquired
        size_t slabs_released
        int malloc_per_block

    cc_arena *cc_arena_new(size_t block_size, size_t align, const cc_allocator *alloc)
    void cc_arena_set_hook(cc_arena *arena, cc_slab_hook hook, void *ctx)
    void *cc_arena_alloc(cc_arena *arena)
    int cc_arena_free(cc_arena *arena, void *block)
    void cc_arena_get_stats(const cc_arena *arena, cc_arena_stats *out)
    void cc_arena_destroy(cc_arena *arena)

    ctypedef struct cc_vec:
        unsigned char *data
        size_t len
        size_t cap
        size_t itemsize
        size_t align
        const cc_allocator *allocator

    int cc_vec_init(cc_vec *v, size_t itemsize, size_t align, const cc_allocator *alloc)
    void cc_vec_destroy(cc_vec *v)
    int cc_vec_reserve(cc_vec *v, size_t min_cap)
    int cc_vec_resize(cc_vec *v, size_t new_len)
    int cc_vec_push(cc_vec *v, const void *item)
    int cc_vec_insert(cc_vec *v, size_t index, const void *items, size_t n)
    int cc_vec_remove(cc_vec *v, size_t index, size_t n)
    int cc_vec_truncate(cc_vec *v, size_t new_len)
    int cc_vec_shrink_to_fit(cc_vec *v)
    int cc_vec_assign(cc_vec *v, const void *items, size_t n)
    void *cc_vec_get(const cc_vec *v, size_t i)
    void *cc_vec_at(const cc_vec *v, size_t i)
