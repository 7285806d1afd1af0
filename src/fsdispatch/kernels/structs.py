"""Groups of arrays handed to numba kernels as one pointer (private).

A ``NamedTuple`` of arrays passed to a numba function is flattened into
every field of every array (data pointer, shape, strides, …): one call with
the 50 arrays of :class:`~fsdispatch.problem.problem.KernelData` passes
~450 machine words and reference-counts 50 arrays, and every call site in
compiled code repeats that. It made the kernels slow to compile (most of a
cold start) and slow to call.

:func:`as_struct` copies the fields of such a tuple into a numba *structref*
(one heap object; numba passes a pointer). In compiled code its fields read
exactly like the tuple's (``kd.rt.tech[r]``, ``st.seq[r, k] = j``); the
arrays are shared, not copied, so a kernel writing into ``st.seq`` writes
into the same memory Python sees. From Python, a :class:`KernelStruct`
reads its fields from the tuple it was built from (``problem.data.rt``), is
pickled and deep-copied through that tuple, and can be turned back into it
with :attr:`KernelStruct.fields`.

:func:`kernel_data` normalises a ``KernelData`` before converting it (every
array C-contiguous, read-only, of its one dtype), so every kernel sees one
type for it and is compiled once (one signature per kernel).
"""

from __future__ import annotations

import os
from typing import Any, TypeVar

import numpy as np
from numba import njit, types
from numba.core.extending import overload
from numba.experimental import structref

__all__ = ["KernelStruct", "as_struct", "frozen", "frozen_group", "kernel_data", "struct_of"]

T = TypeVar("T")


@structref.register
class GroupType(types.StructRef):
    """numba type of a struct built from a ``NamedTuple`` (one per field layout)."""

    def preprocess_fields(self, fields: Any) -> Any:
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class KernelStruct(structref.StructRefProxy):
    """Python handle of a struct: numba passes it as a pointer; Python reads the tuple."""

    _nt: Any

    def __getattr__(self, name: str) -> Any:
        # only called for names the proxy itself lacks: the tuple's fields and methods
        try:
            nt = object.__getattribute__(self, "_nt")
        except AttributeError:
            raise AttributeError(name) from None
        return getattr(nt, name)

    @property
    def fields(self) -> Any:
        """The ``NamedTuple`` this struct was built from (same arrays)."""
        return object.__getattribute__(self, "_nt")

    def __reduce__(self) -> Any:
        return (_rebuild, (self.fields,))

    def __repr__(self) -> str:
        return f"KernelStruct({type(self.fields).__name__})"


structref.define_boxing(GroupType, KernelStruct)


def struct_of(nt):  # (no annotations: numba compares this signature with the overload's)
    """In compiled code: a struct with the fields of the ``NamedTuple`` ``nt``."""
    raise NotImplementedError("struct_of is for compiled code; use as_struct() in Python")


@overload(struct_of)
def _struct_of_impl(nt):
    if not isinstance(nt, types.BaseNamedTuple):
        return None
    typ = GroupType(list(zip(nt.fields, nt.types, strict=True)))
    lines = ["def impl(nt):", "    s = structref.new(typ)"]
    lines += [f"    s.{name} = nt[{k}]" for k, name in enumerate(nt.fields)]
    lines.append("    return s")
    scope: dict[str, Any] = {"structref": structref, "typ": typ}
    exec("\n".join(lines), scope)
    return scope["impl"]


@njit(cache=True)
def _to_struct(nt):
    return struct_of(nt)


def as_struct(nt: T, *, one_type: bool = False) -> T:
    """A :class:`KernelStruct` sharing the arrays of the ``NamedTuple`` ``nt``.

    Typed as ``nt``'s type: from Python it reads like ``nt`` (its fields, the
    same arrays). ``one_type``: the caller guarantees that every tuple of
    ``nt``'s class it converts has one numba type (the same dtypes, dimensions,
    layouts and writability): the conversion then skips numba's typing of the
    argument (see :func:`_direct_struct`).

    Fields that are themselves structs stay structs; fields that are tuples
    stay tuples (small groups such as ``kd.win`` are cheap to pass).
    """
    if isinstance(nt, KernelStruct):
        return nt
    out = _direct_struct(nt) if one_type else _to_struct(nt)
    object.__setattr__(out, "_nt", nt)
    # the fields as plain attributes too: Python reads them without __getattr__'s detour
    fields: Any = nt
    out.__dict__.update(zip(fields._fields, fields, strict=True))
    return out


def _rebuild(nt: Any) -> KernelStruct:
    if type(nt).__name__ == "KernelData":
        return kernel_data(nt)
    return as_struct(nt)


def _frozen(a: Any, dtype: Any, ndim: int) -> np.ndarray:
    out = np.ascontiguousarray(a, dtype=dtype)
    if out.ndim != ndim:
        out = out.reshape((0,) * ndim) if out.size == 0 else out.reshape(out.shape[:ndim])
    if out.flags.writeable:
        out = out.view()
        out.flags.writeable = False
    return out


def _is_frozen(a: Any, dtype: Any, ndim: int) -> bool:
    """Whether ``a`` is already a C-contiguous, read-only ndarray of ``dtype`` and ``ndim``."""
    if type(a) is not np.ndarray or a.ndim != ndim or a.dtype != dtype:
        return False
    flags = a.flags
    return bool(flags.c_contiguous and not flags.writeable)


_SEEN: dict[int, tuple[Any, Any]] = {}
"""Groups found normalised lately (read-only arrays of their dtypes), by ``id``: (the
group, the group). A live refresh rebuilds the kernel data from mostly unchanged
groups; they are not checked again."""
_SEEN_SIZE = 64


def _evict(memo: dict[int, Any]) -> None:
    """Drop the oldest entries (dicts keep insertion order) until there is room for one.
    Threads share the memo (simulations on a thread pool): another thread may have
    dropped the same entry first."""
    while len(memo) >= _SEEN_SIZE:
        try:
            memo.pop(next(iter(memo)), None)
        except (RuntimeError, StopIteration):  # changed by another thread meanwhile
            continue


def _normalise(nt: Any, spec: dict[str, tuple[Any, int]]) -> Any:
    hit = _SEEN.get(id(nt))
    if hit is not None and hit[0] is nt:
        return hit[1]
    changes = {}
    for name, (dtype, ndim) in spec.items():
        a = getattr(nt, name)
        if a is None and name in _OPTIONAL:
            continue
        if not _is_frozen(a, dtype, ndim):
            changes[name] = _frozen(a, dtype, ndim)
    if changes:  # copies of writable arrays: not remembered (the caller may write them)
        return nt._replace(**changes)
    _evict(_SEEN)
    _SEEN[id(nt)] = (nt, nt)  # (holding the group keeps its id from being reused)
    return nt


_OPTIONAL = frozenset({"prof"})
"""Fields that may be ``None`` (another numba type of their group): ``tv.prof`` of a
static day (the schedule rule's static variant, ``kernels.timing.leg_time``)."""
_I8, _F8, _B, _I4, _I1 = (np.dtype(t) for t in (np.int64, np.float64, np.bool_, np.int32,
                                                  np.int8))
_SPEC: dict[str, dict[str, tuple[Any, int]]] = {
    "tv": {"node_row": (_I8, 1), "dur": (_I8, 2), "dist": (_F8, 2), "x": (_F8, 1),
           "y": (_F8, 1), "coslat": (_F8, 1), "prof": (_F8, 1)},
    "win": {"ptr": (_I8, 1), "start": (_I8, 1), "end": (_I8, 1), "soft": (_B, 1)},
    "cost": {"late_w": (_F8, 1), "response_by": (_I8, 1), "resolve_by": (_I8, 1),
             "sla_w": (_F8, 1), "penalty": (_F8, 1), "priority": (_I8, 1),
             "skill_col": (_I8, 2), "skill_lvl": (_I8, 2), "prob_col": (_I8, 2),
             "prob_p": (_F8, 2)},
    "brk": {"ptr": (_I8, 1), "earliest": (_I8, 1), "latest": (_I8, 1), "dur": (_I8, 1)},
    "rt": {name: (_I8, 1) for name in ("tech", "start_node", "end_node", "open", "close",
                                       "max_close", "capacity", "group", "group_cap")},
    "res": {"demand": (_I8, 1), "part_ptr": (_I8, 1), "part_sku": (_I8, 1),
            "part_qty": (_I8, 1), "stock": (_I8, 2), "pref_ptr": (_I8, 1),
            "pref_tech": (_I8, 1), "prob_sku": (_I8, 1), "terr": (_I8, 1),
            "terr_w": (_F8, 1), "covers": (_B, 2)},
    "tech": {"service": (_I4, 2), "compat": (_I1, 2), "labour": (_F8, 1), "recent": (_F8, 1),
             "cost_per_hour": (_F8, 1), "cert_end": (_I8, 2)},
    "dep": {"node": (_I8, 1), "pickup": (_I8, 1), "stock": (_I8, 2)},
    "week": {"start": (_I8, 1), "cap": (_I8, 2), "after": (_I8, 2), "done": (_I8, 2)},
}


def _normal_dep(dep: Any) -> Any:
    return dep._replace(win=_normalise(dep.win, _SPEC["win"]))


def _normal_tv(tv: Any) -> Any:
    return tv._replace(kind=int(tv.kind), rounding=int(tv.rounding), detour=float(tv.detour),
                       sec_per_km=float(tv.sec_per_km), td=int(tv.td), lbf=float(tv.lbf))


def _normal_w(w: Any) -> Any:
    return w._replace(**{f: float(getattr(w, f)) for f in w._fields})


_DONE: dict[int, tuple[Any, Any]] = {}
"""Groups lately given their scalar types (by ``id``: the group and its normal form)."""


def _remembered(group: Any, normal: Any) -> Any:
    """``normal(group)``, remembered for the group object (its arrays already normalised:
    a group ``_normalise`` copied is new and not remembered), and for the normal form
    itself (a fixed point: the next conversion reads it from the struct it went into)."""
    hit = _DONE.get(id(group))
    if hit is not None and hit[0] is group:
        return hit[1]
    out = normal(group)
    _evict(_DONE)
    _DONE[id(group)] = (group, out)
    if out is not group:
        _evict(_DONE)
        _DONE[id(out)] = (out, out)
    return out


def kernel_data(kd: Any) -> KernelStruct:
    """The struct of a ``KernelData``, with every array C-contiguous, read-only and of its
    one dtype, and every scalar of its one type, so that kernels compile once for it."""
    if isinstance(kd, KernelStruct):
        return kd
    groups = {name: _normalise(getattr(kd, name), spec) for name, spec in _SPEC.items()}
    groups["dep"] = _remembered(groups["dep"], _normal_dep)
    groups["tv"] = _remembered(groups["tv"], _normal_tv)
    groups["w"] = _remembered(kd.w, _normal_w)
    node = kd.ticket_node
    if not _is_frozen(node, _I8, 1):
        groups["ticket_node"] = _frozen(node, _I8, 1)
    return as_struct(kd._replace(**groups), one_type=True)


_ENTRY: dict[tuple[type, bool], Any] = {}
"""The compiled overload of ``_to_struct`` for a ``NamedTuple`` class of one numba type per
kind of day (static travel or not, :func:`_static_day`)."""


def _static_day(nt: Any) -> bool:
    """Whether ``nt`` holds a static day's travel group (``tv.prof`` ``None``): the one field
    that gives a one-type class (``KernelData``) its second numba type (the schedule rule's
    static variant, see ``kernels.timing.leg_time``)."""
    tv = getattr(nt, "tv", None)
    return tv is not None and getattr(tv, "prof", 0) is None


def _direct_struct(nt: Any) -> Any:
    """``_to_struct(nt)`` for a tuple whose class has one numba type per kind of day,
    calling the compiled entry point directly after the first call.

    The dispatcher types its argument on every call (~25 µs for the ~60 arrays of a
    ``KernelData``: a live refresh pays it per event). A normalised ``KernelData`` has one
    numba type per kind of day (static or time-dependent travel: that is what
    :func:`kernel_data` is for), and so has a route state built by the greedy helpers, so
    the overload compiled for the class and kind is called without typing.
    ``FSDISPATCH_ASSERT=1`` checks the type on each call.
    """
    key = (type(nt), _static_day(nt))
    entry = _ENTRY.get(key)
    if entry is None:
        from numba import typeof

        out = _to_struct(nt)
        entry = _to_struct.overloads.get((typeof(nt),))
        if entry is not None:
            _ENTRY[key] = entry
        return out
    if os.environ.get("FSDISPATCH_ASSERT", "") not in ("", "0"):
        from numba import typeof

        if typeof(nt) != entry.signature.args[0]:  # pragma: no cover - a normalisation bug
            raise TypeError(f"kernel data of an unexpected numba type: {typeof(nt)}")
    return entry.entry_point(nt)


def frozen(a: Any, dtype: Any, ndim: int) -> np.ndarray:
    """``a`` as the kernels take an array of kernel data: C-contiguous, read-only, of
    ``dtype`` (a read-only view when it already is, else a copy)."""
    if _is_frozen(a, dtype, ndim):
        return a
    return _frozen(a, dtype, ndim)


def frozen_group(nt: Any, name: str) -> Any:
    """The group ``nt`` of kernel data (``"tv"``, ``"win"``, ``"brk"``, ``"rt"``, …) with
    its arrays as :func:`kernel_data` makes them, for kernels that take single groups."""
    return _normalise(nt, _SPEC[name])
