"""Options every command shares, in one place: verbosity (``-v``/``-q``) with the logging set-up,
and the format vocabulary (docs/cli.md, "Formats").

- ``-v``/``--verbose`` (repeatable) and ``-q``/``--quiet`` exist on the ``crashcompat`` group and
  on every command (:func:`add_verbosity` adds them to commands that do not declare them). The
  library logs through the ``crashcompat`` logger; the CLI sends it to stderr: warnings and
  notes by default, details with ``-v``, errors only with ``-q``. Data goes to stdout only.
- ``--format table|csv|json`` is what a command prints on stdout (a summary, a listing, a
  benchmark table), the same words on every command. The format of a data file written with
  ``-o FILE`` comes from its extension, or ``--data-format csv|parquet|zarr`` where the
  extension does not tell (``-o -`` writes CSV to stdout).
"""

from __future__ import annotations

import logging

import click

__all__ = ["LOGGER", "STDOUT_FORMATS", "DATA_FORMATS", "verbosity_options", "add_verbosity",
           "verbosity", "configure_logging", "format_option", "deprecated"]

#: the library's logger; every crashcompat module logs below it
LOGGER = "crashcompat"
#: what a command can print on stdout
STDOUT_FORMATS = ("table", "csv", "json")
#: data-file formats (:data:`crashcompat.runs.writers.FORMATS`; kept literal so that
#: ``--help`` imports nothing heavy)
DATA_FORMATS = ("csv", "parquet", "zarr")

_META = "crashcompat.verbosity"


class _StderrHandler(logging.Handler):
    """Log records to stderr through click (so CliRunner captures them): notes as they are,
    warnings with a ``warning:`` prefix."""

    def emit(self, record):
        try:
            msg = self.format(record)
            if record.levelno >= logging.WARNING:
                msg = f"{record.levelname.lower()}: {msg}"
            click.echo(msg, err=True)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


def configure_logging(level: int) -> None:
    """Send the ``crashcompat`` logger to stderr at ``level`` (replacing an earlier set-up)."""
    logger = logging.getLogger(LOGGER)
    for h in list(logger.handlers):
        if isinstance(h, _StderrHandler):
            logger.removeHandler(h)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)


def _state(ctx) -> dict:
    return ctx.meta.setdefault(_META, {"verbose": 0, "quiet": False})


def verbosity(ctx: click.Context | None = None) -> int:
    """-1 with ``-q``, 0 by default, the number of ``-v`` otherwise (group and command
    together)."""
    ctx = ctx or click.get_current_context(silent=True)
    if ctx is None:
        return 0
    st = _state(ctx)
    return -1 if st["quiet"] else st["verbose"]


def _level(v: int) -> int:
    return logging.ERROR if v < 0 else logging.INFO if v == 0 else logging.DEBUG


def _set(ctx, param, value):
    st = _state(ctx)
    if param.name == "verbose":
        st["verbose"] += value or 0
    elif value:
        st["quiet"] = True
    configure_logging(_level(verbosity(ctx)))
    return value


_VERBOSE = dict(count=True, expose_value=False, callback=_set,
                help="More detail on stderr (repeatable).")
_QUIET = dict(is_flag=True, expose_value=False, callback=_set,
              help="Only data on stdout and errors on stderr.")


def verbosity_options(f):
    """Decorator: ``-v/--verbose`` and ``-q/--quiet``, configuring logging to stderr."""
    f = click.option("-q", "--quiet", "quiet", **_QUIET)(f)
    return click.option("-v", "--verbose", "verbose", **_VERBOSE)(f)


def add_verbosity(cmd: click.Command) -> click.Command:
    """Give ``cmd`` (and every subcommand of a group) ``-v``/``-q`` where it lacks them."""
    names = {p.name for p in cmd.params}
    if "verbose" not in names and "quiet" not in names:
        cmd.params.append(click.Option(["-v", "--verbose", "verbose"], **_VERBOSE))
        cmd.params.append(click.Option(["-q", "--quiet", "quiet"], **_QUIET))
    for sub in getattr(cmd, "commands", {}).values():
        add_verbosity(sub)
    return cmd


def format_option(choices=STDOUT_FORMATS, default="table", what="Output on stdout",
                  hidden_choices=()):
    """``--format`` with the shared vocabulary; ``hidden_choices`` are accepted (old spellings)
    but not shown."""
    shown = "|".join(choices)
    return click.option(
        "--format", "fmt", type=click.Choice([*choices, *hidden_choices], case_sensitive=False),
        default=default, show_default=True, metavar=f"[{shown}]", help=f"{what}: {shown}.")


def deprecated(old: str, new: str) -> None:
    """Say once on stderr that an old spelling still works but is going away."""
    logging.getLogger(LOGGER + ".cli").warning("%s is deprecated; use %s", old, new)
