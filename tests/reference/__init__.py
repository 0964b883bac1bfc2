"""Slow, obviously correct references for every kernel, in a different formulation: the tests
and the benchmark suite compare the compiled code against them."""
