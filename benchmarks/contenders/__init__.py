"""Record declarations of the contenders, one module per library, each class at module level
so that pickle finds it. Every module declares the same two schemas, named P3i and P3f after
the prefix of its contender."""
