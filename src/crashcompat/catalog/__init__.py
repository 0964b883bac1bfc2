"""The vehicle catalog: the :class:`~.vehicle.Vehicle` type (SI fields), the documented
estimators for figures no source publishes (:mod:`.estimators`) and the loading and validation of
the cited TOML files (:mod:`.loading`)."""
