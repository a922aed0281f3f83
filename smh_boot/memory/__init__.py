"""Emulated memory: address space (and, on top of it, the cache and DMA models)."""

from .address_space import AddressSpace, MappedRegion

__all__ = ["AddressSpace", "MappedRegion"]
