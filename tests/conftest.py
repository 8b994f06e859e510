"""Test-wide setup, in sections; add fixtures under their own heading.

Hugging Face Hub: a loopback server (tests/hub_server.py) starts when this file is
imported, and HF_ENDPOINT / HF_HOME point at it and at a temporary cache before
huggingface_hub is first imported (it reads them at import time). Subprocesses started by
tests inherit both.
"""

import atexit
import os
import shutil
import tempfile

import pytest

from hub_server import HubServer

# ------------------------------------------------------------------ Hugging Face Hub
HUB = HubServer().start()
HF_HOME = tempfile.mkdtemp(prefix="ase_godiff_hf_")
atexit.register(shutil.rmtree, HF_HOME, ignore_errors=True)
atexit.register(HUB.stop)
os.environ["HF_ENDPOINT"] = HUB.url
os.environ["HF_HOME"] = HF_HOME
os.environ.pop("HF_HUB_CACHE", None)
os.environ.pop("HF_TOKEN", None)
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ.pop("HF_HUB_OFFLINE", None)
os.environ.pop("ASE_GODIFF_ZOO_REGISTRY", None)


@pytest.fixture
def hub() -> HubServer:
    """The loopback Hub the huggingface_hub client talks to (``hub.repos``, ``hub.corrupt``)."""
    return HUB


@pytest.fixture(autouse=True)
def torch_default_dtype_restored():
    """MACECalculator sets torch's global default dtype; no test may leak it into the next."""
    import torch

    yield
    torch.set_default_dtype(torch.float32)
