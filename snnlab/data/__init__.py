"""Real datasets: MNIST (IDX gz, MD5-checked) and N-MNIST (Orchard et al. .bin).

Lookup order for every file: explicit ``path`` -> ``$SNNLAB_DATA`` -> user cache
(``$SNNLAB_CACHE`` or ``pooch.os_cache("snnlab")``) -> download from public mirrors
with checksums (MNIST, and the N-MNIST archives). Offline copies: ``SNNLAB_DATA=../shared/data``.
"""
from .mnist import load_mnist, read_idx
from .nmnist import load_nmnist, nmnist_to_channels, read_nmnist_bin
from .registry import DataError, cache_dir, find_file

__all__ = ["load_mnist", "load_nmnist", "find_file", "DataError", "read_idx", "read_nmnist_bin",
           "nmnist_to_channels", "cache_dir"]
