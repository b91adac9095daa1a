"""Benchmarks: `python -m bench [--quick]` prints one JSON document, each figure next to its floor.

See bench/README.md for what each figure measures, its floor and its target.
"""
