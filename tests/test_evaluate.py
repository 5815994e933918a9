"06_evaluate: protocol sanity, the report files, the inference API and its errors, the inspector's data path, the CLI."
import csv, json, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from facevoice.evaluate import (FaceVoiceMatcher, compute_metrics, make_trials, evaluate, inspector_ranking, match_inspector,
                                metrics_table)
from facevoice.train import FaceVoiceModel, load_encoder, save_model
from facevoice.match import read_pairs


def _emb(rng, n, d=32): return F.normalize(torch.from_numpy(rng.normal(size=(n, d)).astype(np.float32)), dim=-1)


def test_random_embeddings_give_chance_and_identical_give_perfect():
    rng = np.random.default_rng(1)
    ids = np.repeat(np.arange(300), 2); gen = np.where(np.arange(300) % 2, 'm', 'f')[ids]
    tr = make_trials(ids, gen, n_trials=6000, seed=1)
    m = compute_metrics(_emb(rng, 600), _emb(rng, 600), ids, tr)
    for k in ('match_1to2_v2f_U', 'match_1to2_f2v_U', 'match_1to2_v2f_G', 'verification_auc_U', 'verification_auc_G', 'roc_auc_all_pairs'):
        assert abs(m[k] - 0.5) < 0.035, (k, m[k])
    for N in range(2, 11): assert abs(m[f'nway_{N}_v2f'] - 1/N) < 0.05, (N, m[f'nway_{N}_v2f'])
    assert abs(m['verification_eer_U'] - 0.5) < 0.05
    E = _emb(rng, 600)
    p = compute_metrics(E, E, ids, tr)
    assert all(p[k] == 1.0 for k in p if k.startswith(('match_1to2', 'nway', 'top1', 'verification_auc')))
    assert p['map_v2f'] >= 0.5          # own pair ranked first; the identity's other (random) row lands anywhere
    assert p['verification_eer_U'] == 0.0


def test_trials_are_reproducible_and_gender_constrained():
    ids = np.repeat(np.arange(40), 3); gen = np.where(np.arange(40) % 2, 'm', 'f')[ids]
    a, b = make_trials(ids, gen, 500, seed=4), make_trials(ids, gen, 500, seed=4)
    assert a == b and a != make_trials(ids, gen, 500, seed=5)
    for q, t, o in a['one_to_two_G']: assert gen[q] == gen[o] and ids[q] != ids[o]
    for q, o, same in a['verification_G']: assert gen[q] == gen[o] and (ids[q] == ids[o]) == bool(same)


@pytest.fixture(scope='module')
def model_dir(tmp_path_factory):
    torch.manual_seed(0)
    m = FaceVoiceModel(load_encoder('tiny', 'face'), load_encoder('tiny', 'voice'), 16,
                       meta=dict(image_size=224, image_mean=[0.5]*3, image_std=[0.5]*3, target_sr=16000, audio_duration_sec=1.0))
    return save_model(m, tmp_path_factory.mktemp('m')/'model')


def test_matcher_api_on_real_files(model_dir, demo_pairs):
    pf = read_pairs(demo_pairs/'train.txt')
    m = FaceVoiceMatcher.load(model_dir, device='cpu')
    faces, voices = [str(p.face) for p in pf.pairs[:3]], [str(p.voice) for p in pf.pairs[:3]]
    fe, ve = m.embed_faces(faces), m.embed_voices(voices)
    assert fe.shape == ve.shape == (3, 16) and torch.allclose(fe.norm(dim=1), torch.ones(3), atol=1e-5)
    import soundfile as sf
    wav, sr = sf.read(voices[0], dtype='float32')
    assert torch.allclose(m.embed_voices([wav]), ve[:1], atol=1e-5)               # arrays and paths agree
    from PIL import Image
    assert torch.allclose(m.embed_faces([np.asarray(Image.open(faces[0]).convert('RGB'))]), fe[:1], atol=1e-5)
    assert abs(float(m.score(faces[0], voices[0])) - float(fe[0] @ ve[0])) < 1e-5
    r = m.rank(voices[0], faces, query_type='voice')
    assert sorted(i for i, _ in r) == [0, 1, 2] and [s for _, s in r] == sorted([s for _, s in r], reverse=True)


def test_matcher_errors(model_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match='not found'): FaceVoiceMatcher.load(tmp_path/'nope')
    (tmp_path/'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='facevoice_config.json is missing'): FaceVoiceMatcher.load(tmp_path/'empty')
    bad = tmp_path/'bad'; bad.mkdir(); (bad/'facevoice_config.json').write_text(json.dumps(dict(embedding_dim=16, temperature=0.07, learnable_temperature=False)))
    with pytest.raises(ValueError, match='incompatible or damaged'): FaceVoiceMatcher.load(bad)
    m = FaceVoiceMatcher.load(model_dir)
    (tmp_path/'x.jpg').write_text('not an image'); (tmp_path/'x.wav').write_bytes(b'RIFF0000WAVEjunk')
    with pytest.raises(Exception, match='x.jpg'): m.embed_faces([str(tmp_path/'x.jpg')])
    with pytest.raises(Exception, match='x.wav'): m.embed_voices([str(tmp_path/'x.wav')])


def test_report_files_repeatable_and_inspector(model_dir, demo_pairs, tmp_path):
    out = tmp_path/'eval'
    rep = evaluate(model_dir, demo_pairs/'train.txt', out, top_k=3, seed=2, n_trials=800, progress=False)
    for k in ('per_query_csv', 'trials', 'metrics', 'plot_roc', 'plot_scores', 'plot_nway'): assert Path(rep.files[k]).is_file(), k
    rows = list(csv.DictReader(open(rep.files['per_query_csv'])))
    assert len(rows) == 2*len(rep.pairs) and {'query', 'true_match', 'top1_score', 'bottom1_score', 'true_identity_rank'} <= set(rows[0])
    again = evaluate(model_dir, demo_pairs/'train.txt', out, top_k=3, seed=2, n_trials=800, progress=False)
    assert again.metrics == {**rep.metrics, 'seconds': again.metrics['seconds']}
    assert 'match_1to2_v2f_G' in rep.metrics and 'nway_2_v2f' in rep.metrics
    ranking = inspector_ranking(rep, 0, 'v2f', 4)
    scores = (rep.faces @ rep.voices[0]).tolist()
    assert ranking[0]['score'] == pytest.approx(max(scores)) and len({r['path'] for r in ranking}) == len(ranking) == 4
    ui = match_inspector(rep, k=4)
    assert len(ui.results.children) == 4
    ui.mode.value = 'f2v'                                        # the reverse direction: voices for a face
    assert len(ui.results.children) == 4 and type(ui.results.children[0].children[0]).__name__ == 'Audio'
    assert 'verification AUC' in metrics_table(rep.metrics)


def test_cli(model_dir, demo_pairs, tmp_path):
    out = tmp_path/'r'/'results.csv'
    r = subprocess.run([str(Path(sys.executable).parent/'facevoice_evaluate'), '--model_dir', str(model_dir), '--matched_file',
                        str(demo_pairs/'val.txt'), '--top_k', '3', '--output_file', str(out), '--n_trials', '300'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert out.is_file() and (out.parent/'metrics.json').is_file() and '1:2 matching' in r.stdout
    r = subprocess.run([str(Path(sys.executable).parent/'facevoice_evaluate'), '--model_dir', str(tmp_path), '--matched_file',
                        str(demo_pairs/'val.txt')], capture_output=True, text=True)
    assert r.returncode != 0 and 'facevoice_config.json is missing' in r.stderr and 'Traceback' not in r.stderr
