"""The installed package's version, read from its metadata (pyproject.toml)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ase_godiff")
except PackageNotFoundError:  # a source tree on sys.path, not installed
    __version__ = "0+unknown"
