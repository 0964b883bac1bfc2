"""The impact physics behind the public API: the array front ends of the impact kernels
(:mod:`.impact`), impact geometry from two vehicles (:mod:`.geometry`), :func:`collide`
(:mod:`.collide`) and the restitution model (:mod:`.restitution`). Plain Python and NumPy; the
compiled code is in :mod:`crashcompat.kernels`."""
