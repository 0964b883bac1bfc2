"""Grid runs: the grid specification (:mod:`.spec`), the per-run kernel tables
(:mod:`.tables`), chunked runs (:mod:`.grid`), their summaries (:mod:`.summary`) and the
streamed, atomic CSV/Parquet/Zarr writers (:mod:`.writers`)."""
