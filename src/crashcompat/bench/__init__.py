"""``crashcompat bench``: same-run timings of the kernels against vectorised NumPy versions of
the same equations (:mod:`.baselines`, :mod:`.baselines_pulse`), on the inputs of
:mod:`.cases`. Used by the CLI and the benchmark suite; nothing else in the package imports it."""
