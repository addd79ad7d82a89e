"""The pure-Python runtime: records and record arrays without a compiled build."""
