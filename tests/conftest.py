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


@pytest.fixture(scope='session')
def extracted(demo_corpus, tmp_path_factory):
    "01_extract of the small demo corpus (opencv detector, aligned): (output folder, summary)."
    from facevoice.extract import extract_dataset
    out = tmp_path_factory.mktemp('faces')
    s = extract_dataset(demo_corpus, out, detector_backend='opencv', align_faces=True, progress=False)
    return out, s


@pytest.fixture(scope='session')
def demo_pairs(demo_corpus, tmp_path_factory):
    "Pair files (train/val/test) of the small demo corpus, through the real 01-03 stages."
    from facevoice.extract import extract_dataset
    from facevoice.dedupe import dedupe_faces
    from facevoice.match import make_splits
    t = tmp_path_factory.mktemp('pipeline')
    extract_dataset(demo_corpus, t/'faces', detector_backend='opencv', align_faces=True, progress=False)
    dedupe_faces(t/'faces', t/'dedup', t/'reps', model_name='pixel', threshold=0.05, progress=False)
    make_splits(t/'faces', t/'pairs', t/'dedup', demo_corpus/'vox2_meta.csv', 0.25, 0.0, seed=0)
    return t/'pairs'


@pytest.fixture(scope='session')
def full_demo_pairs(tmp_path_factory):
    "The default demo corpus (48 identities) through 01-03, as `make demo` builds it."
    from facevoice.demo import make_demo
    from facevoice.extract import extract_dataset
    from facevoice.dedupe import dedupe_faces
    from facevoice.match import make_splits
    t = tmp_path_factory.mktemp('full')
    make_demo(t/'demo')
    extract_dataset(t/'demo', t/'faces', detector_backend='opencv', align_faces=True, workers=2, progress=False)
    dedupe_faces(t/'faces', t/'dedup', t/'reps', model_name='pixel', threshold=0.05, progress=False)
    make_splits(t/'faces', t/'pairs', t/'dedup', t/'demo'/'vox2_meta.csv', 0.15, 0.25, seed=0)
    return t
