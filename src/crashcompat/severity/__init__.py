"""Severity measures on top of the impulse-momentum result: the crash pulse (:mod:`.pulse`),
occupant-loading criteria for traces (:mod:`.occupant`), injury and fatality risk curves
(:mod:`.risk`) and the glue that ties them to impacts (:mod:`.measures`)."""
