"""Argument checks shared by the command lines (``fsdispatch`` and its ``simulate``)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from .errors import ValidationError

__all__ = ["check_out", "int_at_least"]


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: an integer >= ``minimum`` (else a one-line usage error)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
        return value

    return parse


def check_out(path: str | None, option: str, *, directory: bool = False) -> None:
    """Raise a ValidationError now if ``path`` (given to ``option``) cannot be written later.

    A file's folder must exist and the path must not be a directory; a
    directory (``directory=True``, created if missing) must not be a file.
    """
    if path is None:
        return
    target = Path(path)

    def fail(why: str) -> ValidationError:
        return ValidationError(f"{option}: cannot write {path!r}: {why}", field=option,
                               value=path)

    if directory:
        if target.exists() and not target.is_dir():
            raise fail("it exists and is not a directory")
        return
    if not path or target.is_dir():
        raise fail("it is a directory; expected a file path")
    folder = target.parent
    if not folder.is_dir():
        raise fail(f"folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise fail(f"folder {str(folder)!r} is not writable")
