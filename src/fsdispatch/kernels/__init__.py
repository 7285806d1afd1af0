"""The numba kernel layer (private): helpers that every kernel module shares.

Nothing here imports from the rest of :mod:`fsdispatch`; importing this
package imports numba, so the public modules import it lazily.
"""
