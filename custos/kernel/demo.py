"""Demo data: each app registers a loader; ``custos demo`` runs them in order with a progress bar.

Loaders must be idempotent (running ``custos demo`` twice leaves one copy of everything).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction


@dataclass(frozen=True)
class DemoLoader:
    order: int
    name: str
    load: Callable[[], str]


_LOADERS: dict[str, DemoLoader] = {}


def register_demo(name: str, *, order: int = 100) -> Callable[[Callable[[], str]], Callable[[], str]]:
    def decorator(function: Callable[[], str]) -> Callable[[], str]:
        _LOADERS[name] = DemoLoader(order, name, function)
        return function

    return decorator


def demo_loaders() -> list[DemoLoader]:
    return sorted(_LOADERS.values(), key=lambda loader: (loader.order, loader.name))


def load_demo(*, progress: bool = True) -> list[str]:
    from tqdm import tqdm

    summaries = []
    loaders = demo_loaders()
    with tqdm(total=len(loaders), desc="demo data", unit="part", disable=not progress) as bar:
        for loader in loaders:
            bar.set_postfix_str(loader.name)
            with transaction.atomic():
                summary = loader.load()
            summaries.append(f"{loader.name}: {summary}")
            bar.update(1)
    for line in summaries:
        print(line)
    return summaries
