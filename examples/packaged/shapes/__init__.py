"""A small installable project whose records are compiled at install time by compactclass."""
