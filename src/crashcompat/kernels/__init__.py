"""Compiled kernels: the only package that imports numba.

Every kernel takes plain SI float64 scalars and contiguous arrays, fills preallocated outputs and
an ``int8`` status array (codes in :mod:`crashcompat.errors`), and never raises inside its
parallel loop. Each has a pure-Python reference in :mod:`reference.impact`.
"""
