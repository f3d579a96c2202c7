"""FDI spillovers and local industrial upgrading: the compendium package."""
__version__ = "0.1.0"
