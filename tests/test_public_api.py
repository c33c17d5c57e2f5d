"""Every public module of the package states its API: an explicit ``__all__`` that names every public
class and function it defines, and a docstring of at least two lines on what it owns."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
import typer

import assistant


def _public_modules() -> list[str]:
    return sorted(info.name for info in pkgutil.walk_packages(assistant.__path__, "assistant.")
                  if not info.name.rsplit(".", 1)[-1].startswith("_"))


@pytest.mark.parametrize("name", _public_modules())
def test_all_lists_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = set(getattr(module, "__all__", ()))
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    assert all(hasattr(module, n) for n in exported), exported - set(vars(module))
    # Typer commands are reached through the app, not imported: they are not part of the API
    commands = {c.callback for v in vars(module).values() if isinstance(v, typer.Typer)
                for c in [*v.registered_commands, *[g.typer_instance.registered_callback for g in v.registered_groups
                                                    if g.typer_instance and g.typer_instance.registered_callback]]}
    defined = {n for n, v in vars(module).items()
               if not n.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v))
               and getattr(v, "__module__", None) == name and v not in commands}
    assert defined <= exported, defined - exported
    assert module.__doc__ and len(module.__doc__.strip().splitlines()) >= 2
