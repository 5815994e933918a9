"02_dedupe on real extracted faces: near-duplicates removed, distinct clips kept, originals untouched, cache used."
import csv, hashlib, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
from facevoice.extract import extract_dataset
from facevoice.dedupe import dedupe_faces, greedy_representatives, greedy_reference, list_faces, embed_faces

CLI = str(Path(sys.executable).parent/'facevoice_dedupe')


@pytest.fixture(scope='module')
def faces_dir(demo_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp('faces')
    extract_dataset(demo_corpus, out, detector_backend='opencv', align_faces=True, progress=False)
    return out


def _snapshot(root):
    return {p.relative_to(root).as_posix(): (hashlib.sha1(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in root.rglob('*') if p.is_file()}


def test_clip_scope_drops_consecutive_duplicates_keeps_every_clip(faces_dir, tmp_path):
    before = _snapshot(faces_dir)
    s = dedupe_faces(faces_dir, tmp_path/'d', tmp_path/'r', model_name='pixel', threshold=0.05, progress=False)
    assert _snapshot(faces_dir) == before                         # originals never modified
    assert s.duplicates > 0.2*s.faces_in                            # consecutive frames collapse
    clips = {Path(f.rel).parent.as_posix() for f in list_faces(faces_dir)}
    kept_clips = {p.parent.relative_to(tmp_path/'d').as_posix() for p in (tmp_path/'d').rglob('*.jpg')}
    rep_clips = [p.parent.relative_to(tmp_path/'r').as_posix() for p in (tmp_path/'r').rglob('*.jpg')]
    assert kept_clips == clips and sorted(rep_clips) == sorted(clips)  # one representative per clip
    rows = list(csv.DictReader(open(tmp_path/'d'/'dedupe_groups.csv')))
    assert len(rows) == s.faces_in and sum(int(r['kept']) for r in rows) == s.kept
    assert all(float(r['cosine_distance']) < 0.05 for r in rows if r['kept'] == '0')


def test_identity_scope_keeps_distinct_clips(faces_dir, tmp_path):
    s = dedupe_faces(faces_dir, tmp_path/'d', tmp_path/'r', model_name='pixel', threshold=0.05, scope='identity', progress=False)
    clips = {Path(f.rel).parent.as_posix() for f in list_faces(faces_dir)}
    kept_clips = {p.parent.relative_to(tmp_path/'d').as_posix() for p in (tmp_path/'d').rglob('*.jpg')}
    assert len(kept_clips) >= 0.9*len(clips)                      # different shots of a person are not duplicates
    assert s.representatives == len({c.split('/')[0] for c in clips})


def test_threshold_change_updates_outputs_and_reuses_cache(faces_dir, tmp_path):
    d, r = tmp_path/'d', tmp_path/'r'
    s1 = dedupe_faces(faces_dir, d, r, model_name='pixel', threshold=0.05, progress=False)
    cache = d/'.embedding_cache'/'pixel.npz'; m = cache.stat().st_mtime_ns
    s2 = dedupe_faces(faces_dir, d, r, model_name='pixel', threshold=0.0, progress=False)
    assert cache.stat().st_mtime_ns == m                          # nothing re-embedded
    assert s2.duplicates == 0 and len(list(d.rglob('*.jpg'))) == s2.faces_in > s1.kept


def test_grouping_matches_original_loop_and_cli(faces_dir, tmp_path):
    E = embed_faces([f.path for f in list_faces(faces_dir)], 'pixel', progress=False)
    np.testing.assert_array_equal(greedy_representatives(E, 0.1, block=16), greedy_reference(E, 0.1))
    res = subprocess.run([CLI, '--faces_dir', str(faces_dir), '--dedupe_dir', str(tmp_path/'d'), '--representative_dir',
                          str(tmp_path/'r'), '--model_name', 'pixel', '--threshold', '0.05'], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert 'duplicates dropped' in res.stdout


def test_offline_deepface_model_gives_clear_error(faces_dir, tmp_path, monkeypatch):
    monkeypatch.setenv('DEEPFACE_HOME', str(tmp_path/'dfh'))
    res = subprocess.run([CLI, '--faces_dir', str(faces_dir), '--dedupe_dir', str(tmp_path/'d'), '--representative_dir',
                          str(tmp_path/'r'), '--model_name', 'Facenet'], capture_output=True, text=True)
    assert res.returncode != 0 and '--model_name pixel' in res.stderr and 'Traceback' not in res.stderr
