"""Production workers run workflows unsandboxed, so every run of every workflow shares the
worker's modules: a workflow module or class holding a mutable value at module or class level
would carry state from one run into the next, which the sandbox used to hide by executing the
module afresh for each run. (The modules the sandbox passes through were shared already and
are held to the same rule where they are listed.)"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from enum import Enum
from types import ModuleType
from typing import Any

import workflows
from billing.temporal.workflow_sandbox import PASSTHROUGH_MODULES

MUTABLE = (list, dict, set, bytearray)


def workflow_modules() -> list[ModuleType]:
    names = [f"workflows.{info.name}" for info in pkgutil.iter_modules(workflows.__path__)]
    return [importlib.import_module(name) for name in names if name not in PASSTHROUGH_MODULES]


def mutable_values(owner: str, namespace: dict[str, Any]) -> list[str]:
    return [
        f"{owner}.{name}"
        for name, value in namespace.items()
        if isinstance(value, MUTABLE) and not (name.startswith("__") and name.endswith("__"))
    ]


def test_workflow_modules_and_classes_hold_no_mutable_state() -> None:
    found: list[str] = []
    modules = workflow_modules()
    assert {"workflows.order", "workflows.billing_runs"} <= {m.__name__ for m in modules}
    for module in modules:
        found += mutable_values(module.__name__, vars(module))
        for name, cls in vars(module).items():
            # An enum's member tables are its own, fixed when the class is made.
            mine = inspect.isclass(cls) and cls.__module__ == module.__name__
            if mine and not issubclass(cls, Enum):
                found += mutable_values(f"{module.__name__}.{name}", vars(cls))
    assert not found, f"mutable module or class state in workflow code: {found}"
