"""SLA policy: priority × customer tier -> response and resolution targets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

import attrs

from ..units import MAX_SLA_TARGET
from ._validate import check_int, fail, optional_seconds
from .ticket import Priority

__all__ = ["SlaPolicy", "SlaTarget"]


@attrs.frozen
class SlaTarget:
    """Response and resolution targets, in seconds after ticket creation (``None`` = none).

    Parameters
    ----------
    response:
        Service must start this long after creation (seconds or timedelta,
        within (0, 365 days]).
    resolution:
        Service must end this long after creation (seconds or timedelta,
        within (0, 365 days], not shorter than ``response``).
    """

    response: int | None = attrs.field(default=None, converter=optional_seconds)
    resolution: int | None = attrs.field(default=None, converter=optional_seconds)

    def __attrs_post_init__(self) -> None:
        for name in ("response", "resolution"):
            value = getattr(self, name)
            if value is not None:
                check_int("SlaTarget", None, name, value, minimum=0, strict_minimum=True,
                          maximum=MAX_SLA_TARGET, in_seconds=True)
        if (self.response is not None and self.resolution is not None
                and self.resolution < self.response):
            fail("SlaTarget", None, "resolution", self.resolution,
                 f"must be >= response {self.response}")


def _targets(value: object) -> object:
    """attrs converter: a mapping, or an iterable of ``((priority, tier), target)`` pairs.

    Keys are normalised to ``(Priority, str)``; two keys naming the same pair
    (``("P1", "*")`` and ``(1, "*")``, or a pair listed twice) are rejected.
    """
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, str) or not isinstance(value, Iterable):
        return value
    else:
        items = []
        for item in value:
            if not (isinstance(item, tuple) and len(item) == 2):
                fail("SlaPolicy", None, "targets", item,
                     "must be a mapping or ((priority, tier), SlaTarget) pairs")
            items.append(item)
    out: dict[tuple[Priority, str], SlaTarget] = {}
    for key, target in items:
        norm: tuple[Priority, str] | None = None
        if isinstance(key, tuple) and len(key) == 2:
            try:
                norm = (Priority.parse(key[0]), str(key[1]))
            except ValueError:
                pass
        if norm is None:
            fail("SlaPolicy", None, "targets", key,
                 "keys must be (priority, customer tier) pairs")
            continue
        if norm in out:
            fail("SlaPolicy", None, f"targets[({norm[0].name}, {norm[1]!r})]", key,
                 "must be given once (duplicate SLA target for this priority and tier)")
        out[norm] = target
    return out


@attrs.frozen
class SlaPolicy:
    """Maps (priority, customer tier) to an :class:`SlaTarget`.

    A ticket created at ``created_at`` without explicit deadlines gets
    ``response_by = created_at + target.response`` and
    ``resolve_by = created_at + target.resolution``. Lookup order: the exact
    (priority, tier), then (priority, ``"*"``), then ``default``.

    Parameters
    ----------
    targets:
        ``{(priority, tier): SlaTarget}``, or an iterable of
        ``((priority, tier), SlaTarget)`` pairs. Priorities may be given as
        ``Priority``, ``1``..``4`` or ``"P1"``..``"P4"``; a (priority, tier)
        pair given twice raises :class:`~fsdispatch.errors.ValidationError`.
    default:
        Target for tickets no entry matches, or ``None``.
    """

    targets: Mapping[tuple[Priority, str], SlaTarget] = attrs.field(factory=dict,
                                                                   converter=_targets)
    default: SlaTarget | None = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.targets, Mapping):
            fail("SlaPolicy", None, "targets", self.targets,
                 "must be a mapping or ((priority, tier), SlaTarget) pairs")
        for key, target in self.targets.items():
            if not isinstance(target, SlaTarget):
                fail("SlaPolicy", None, f"targets[{key}]", target, "must be an SlaTarget")
        if self.default is not None and not isinstance(self.default, SlaTarget):
            fail("SlaPolicy", None, "default", self.default, "must be an SlaTarget or None")

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
