import os, json
from pathlib import Path
import pytest

os.environ.setdefault('DEEPFACE_BACKEND_ENGINE', 'pytorch')
os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('MPLBACKEND', 'Agg')


@pytest.fixture(scope='session')
def demo_corpus(tmp_path_factory):
    "A small demo corpus (12 identities x 2 clips) generated once per test session."
    from facevoice.demo import make_demo
    out = tmp_path_factory.mktemp('corpus')/'demo'
    make_demo(out, num_identities=12, clips_per_identity=2, seed=7)
    return out
