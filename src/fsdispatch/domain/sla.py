"""SLA policy: priority × customer tier -> response and resolution targets."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

from ._validate import check_int, fail, optional_seconds
from .ticket import Priority

__all__ = ["SlaPolicy", "SlaTarget"]


@attrs.frozen
class SlaTarget:
    """Response and resolution targets, in seconds after ticket creation (``None`` = none)."""

    response: int | None = attrs.field(default=None, converter=optional_seconds)
    resolution: int | None = attrs.field(default=None, converter=optional_seconds)

    def __attrs_post_init__(self) -> None:
        for name in ("response", "resolution"):
            value = getattr(self, name)
            if value is not None:
                check_int("SlaTarget", None, name, value, minimum=0, strict_minimum=True)
        if (self.response is not None and self.resolution is not None
                and self.resolution < self.response):
            fail("SlaTarget", None, "resolution", self.resolution,
                 f"must be >= response {self.response}")


def _targets(value: object) -> object:
    if not isinstance(value, Mapping):
        return value
    out: dict[tuple[Priority, str], SlaTarget] = {}
    for key, target in value.items():
        if isinstance(key, tuple) and len(key) == 2:
            try:
                out[(Priority.parse(key[0]), str(key[1]))] = target
                continue
            except ValueError:
                pass
        fail("SlaPolicy", None, "targets", key, "keys must be (priority, customer tier) pairs")
    return out


@attrs.frozen
class SlaPolicy:
    """Maps (priority, customer tier) to an :class:`SlaTarget`.

    A ticket created at ``created_at`` without explicit deadlines gets
    ``response_by = created_at + target.response`` and
    ``resolve_by = created_at + target.resolution``. Lookup order: the exact
    (priority, tier), then (priority, ``"*"``), then ``default``.
    """

    targets: Mapping[tuple[Priority, str], SlaTarget] = attrs.field(factory=dict,
                                                                   converter=_targets)
    default: SlaTarget | None = None

    def __attrs_post_init__(self) -> None:
        for key, target in self.targets.items():
            if not isinstance(target, SlaTarget):
                fail("SlaPolicy", None, f"targets[{key}]", target, "must be an SlaTarget")

    def target_for(self, priority: Priority, tier: str) -> SlaTarget | None:
        """The target for a priority and tier, or ``None``."""
        return (self.targets.get((priority, tier)) or self.targets.get((priority, "*"))
                or self.default)

    def deadlines(self, created_at: datetime, priority: Priority,
                  tier: str) -> tuple[datetime | None, datetime | None]:
        """``(response_by, resolve_by)`` for a ticket created at ``created_at``."""
        target = self.target_for(priority, tier)
        if target is None:
            return None, None
        response = (created_at + timedelta(seconds=target.response)
                    if target.response is not None else None)
        resolution = (created_at + timedelta(seconds=target.resolution)
                      if target.resolution is not None else None)
        return response, resolution
