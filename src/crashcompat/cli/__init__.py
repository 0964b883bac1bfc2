"""Command-line interface: a thin layer over the library.

Data goes to stdout, logs and progress to stderr. Expected errors are ``click.ClickException``
(exit 1, one sentence); usage errors exit 2. Subcommands live one per module and are imported
lazily so that ``crashcompat --help`` does not load numba.
"""

from __future__ import annotations

import importlib

import click

from crashcompat._version import __version__

# name -> (module, attribute, short help); imported only when the command is used.
_SUBCOMMANDS = {
    "bench": ("crashcompat.cli.bench", "bench", "Measure the kernels' speed on this machine."),
    "grid": ("crashcompat.cli.grid", "grid", "Sweep vehicle pairs x impact conditions; summarise."),
    "vehicles": ("crashcompat.cli.vehicles", "vehicles", "List, show and validate the vehicle catalog."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(_SUBCOMMANDS))

    def get_command(self, ctx, name):
        cmd = super().get_command(ctx, name)
        if cmd is not None or name not in _SUBCOMMANDS:
            return cmd
        module, attr, _ = _SUBCOMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, _SUBCOMMANDS[name][2]) for name in sorted(_SUBCOMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="crashcompat")
def main():
    """crashcompat: crash-compatibility estimates for kei cars against US trucks and SUVs."""
