"""Command-line interface: a thin layer over the library.

Data goes to stdout, logs and progress to stderr (the ``crashcompat`` logger, set up by
:mod:`crashcompat.cli.options`). Expected errors are ``click.ClickException`` (exit 1, one
sentence); usage errors exit 2. Subcommands live one per module and are imported lazily so that
``crashcompat --help`` does not load numba. Every command has ``-v``/``-q`` and the shared
``--format`` vocabulary (docs/cli.md).

To add a command, add one line to :data:`COMMANDS`.
"""

from __future__ import annotations

import importlib

import click

from crashcompat._version import __version__
from crashcompat.cli.options import add_verbosity, verbosity_options

#: name -> (module, attribute, short help); imported only when the command is used.
COMMANDS = {
    "bench": ("crashcompat.cli.bench", "bench", "Measure the kernels' speed on this machine."),
    "grid": ("crashcompat.cli.grid", "grid", "Sweep vehicle pairs x impact conditions; summarise."),
    "validate": ("crashcompat.cli.validate", "validate", "Compare the model with published crash tests."),
    "plot": ("crashcompat.cli.plot", "plot", "Draw one figure of a grid run (png, svg, pdf)."),
    "report": ("crashcompat.cli.report", "report", "Write a grid run's report (HTML, Markdown)."),
    "vehicles": ("crashcompat.cli.vehicles", "vehicles", "List, show and validate the vehicle catalog."),
}
_SUBCOMMANDS = COMMANDS  # the earlier name


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is not None or name not in COMMANDS:
            return cmd
        module, attr, _ = COMMANDS[name]
        return add_verbosity(getattr(importlib.import_module(module), attr))

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="crashcompat")
@verbosity_options
def main():
    """crashcompat: crash-compatibility estimates for kei cars against US trucks and SUVs.

    The model, the catalog methods and this CLI are documented in the repository's docs/
    folder (docs/model.md, docs/catalog.md, docs/cli.md).
    """
