"""Test-wide setup.

The Hugging Face Hub: a loopback server (tests/hub_server.py) starts at import, and
HF_ENDPOINT / HF_HOME point at it and at a temporary cache before huggingface_hub is
first imported (it reads them at import time).
"""

import os
import tempfile

import pytest

from hub_server import HubServer

HUB = HubServer().start()
os.environ["HF_ENDPOINT"] = HUB.url
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="ase_godiff_hf_")
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ.pop("HF_HUB_OFFLINE", None)
os.environ.pop("ASE_GODIFF_ZOO_REGISTRY", None)


@pytest.fixture
def hub():
    return HUB
