"""Atomic output of figures and reports, with the same rules as the grid's data files: refuse
to replace an existing file unless ``overwrite``; write under a hidden temporary name
``.NAME.partial-PID`` in the same folder, then rename, so a reader never sees half a file and
an interrupted run leaves nothing behind (:func:`crashcompat.runs.writers.remove_stale_partials`
knows the pattern)."""

from __future__ import annotations

import os
from pathlib import Path

from crashcompat.errors import CrashCompatError
from crashcompat.runs import writers
from crashcompat.runs.writers import fsync_dir, remove_quietly

__all__ = ["atomic_write", "check_destination", "figure_format", "report_format", "FIGURE_FORMATS",
           "REPORT_FORMATS"]

#: figure file extension -> matplotlib format
FIGURE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
#: report file extension -> report format
REPORT_FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


def _format(path, table, what, option) -> str:
    suffix = Path(str(path)).suffix.lower()
    if suffix in table:
        return table[suffix]
    known = ", ".join(table)
    told = f"the extension {suffix!r} of {path}" if suffix else f"{path}, which has no extension"
    raise CrashCompatError(f"cannot tell the {what} format from {told}; name the file with one "
                           f"of {known}{option}")


def figure_format(path) -> str:
    """png, svg or pdf from the file's extension, or a one-sentence error."""
    return _format(path, FIGURE_FORMATS, "figure", "")


def report_format(path) -> str:
    """html or markdown from the file's extension, or a one-sentence error."""
    return _format(path, REPORT_FORMATS, "report", "")


def check_destination(path, overwrite: bool = False) -> None:
    """Refuse early (before any computing) what :func:`atomic_write` would refuse: a missing or
    read-only folder, or an existing file without ``overwrite``."""
    writers.check_destination(Path(path), overwrite)


def atomic_write(path, write, *, overwrite: bool = False) -> Path:
    """Call ``write(temp_path)`` to produce the file, then rename it to ``path``.

    Refuses an existing ``path`` without ``overwrite`` (before anything is computed into the
    file, and again just before the rename, in case it appeared meanwhile); a missing or
    read-only folder is a one-sentence :class:`CrashCompatError`. On any error the temporary
    file is removed."""
    path = Path(path)
    check_destination(path, overwrite)
    temp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        write(temp)
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if os.path.lexists(path) and not overwrite:
            raise CrashCompatError(f"{path} exists; pass --overwrite to replace it")
        if path.is_dir() and not path.is_symlink():
            raise CrashCompatError(f"{path} is a directory; name a file")
        os.replace(temp, path)
    except OSError as exc:
        remove_quietly(temp)
        raise CrashCompatError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        remove_quietly(temp)
        raise
    fsync_dir(path.parent)
    return path
