"""Benchmarks (``make bench``): timings are measured here, never asserted in tests."""
