"Foundation: the demo corpus is real media in VoxCeleb2's layout, with the documented link and quirks."
import csv, json, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from facevoice.core import load_audio, probe_media, read_frames, read_identity_meta, audio_stats


def test_layout_matches_voxceleb2(demo_corpus):
    mp4s = sorted(demo_corpus.glob('mp4/id*/*/*.mp4'))
    m4as = sorted(demo_corpus.glob('aac/id*/*/*.m4a'))
    assert len(mp4s) == len(m4as) == 24
    for m in mp4s:
        ident, ytid, clip = m.relative_to(demo_corpus/'mp4').parts
        assert ident.startswith('id') and len(ident) == 7 and ident[2:].isdigit()
        assert len(ytid) == 11 and clip == '00001.mp4'
        assert (demo_corpus/'aac'/ident/ytid/'00001.m4a').is_file()
    # two clips of one identity come from different "YouTube videos"
    by_id = {}
    for m in mp4s: by_id.setdefault(m.parts[-3], set()).add(m.parts[-2])
    assert all(len(v) == 2 for v in by_id.values())


def test_streams_are_h264_and_aac(demo_corpus):
    m = next(demo_corpus.glob('mp4/id*/*/*.mp4'))
    r = subprocess.run(['ffprobe', '-v', 'error', '-show_entries', 'stream=codec_name,codec_type', '-of', 'json', str(m)],
                       capture_output=True, text=True, check=True)
    codecs = {s['codec_type']: s['codec_name'] for s in json.loads(r.stdout)['streams']}
    assert codecs == {'video': 'h264', 'audio': 'aac'}


def test_vox2_meta_has_voxceleb_quirks_and_reader_tolerates_them(demo_corpus):
    raw = (demo_corpus/'vox2_meta.csv').read_text().splitlines()
    assert raw[0] == 'VoxCeleb2 ID ,VGGFace2 ID ,Gender ,Set '
    assert all(line.endswith(' ') for line in raw)
    plain = list(csv.reader(raw))
    assert plain[0][0] == 'VoxCeleb2 ID '          # a naive reader would get keys with spaces
    meta = read_identity_meta(demo_corpus/'vox2_meta.csv')
    ids = sorted(p.parts[-1] for p in (demo_corpus/'mp4').iterdir())
    assert sorted(meta) == ids
    assert {v['gender'] for v in meta.values()} == {'m', 'f'}
    assert {v['set'] for v in meta.values()} <= {'dev', 'test'}
    js = read_identity_meta(demo_corpus/'meta.json')
    assert sorted(js) == ids and all(js[i]['gender'] == meta[i]['gender'] for i in ids)


def test_audio_is_16k_nonsilent_speech(demo_corpus):
    attrs = json.loads((demo_corpus/'demo_attributes.json').read_text())
    for c in attrs['clips']:
        for rel in (c['m4a'], c['mp4']):
            info = probe_media(demo_corpus/rel)
            assert info['has_audio'] and info['audio_sr'] == 16000
            x = load_audio(demo_corpus/rel, sr=16000)
            st = audio_stats(x)
            assert 1.0 < st['duration'] < 8.0, (rel, st)
            assert st['rms_db'] > -35, (rel, st)                     # not silent
            assert abs(st['duration'] - c['duration']) < 0.25          # the whole sentence is there
    # different sentences per clip of an identity
    texts = {}
    for c in attrs['clips']: texts.setdefault(c['identity'], []).append(c['text'])
    assert all(len(set(t)) == len(t) for t in texts.values())


def _f0(x, sr=16000):
    import torch, torchaudio.functional as AF
    f = AF.detect_pitch_frequency(torch.from_numpy(x), sr, freq_low=60, freq_high=400)
    return float(f.median())


def test_voice_register_follows_the_binary_face_attribute(demo_corpus):
    "The documented link: 'f' identities speak in a higher register than 'm' ones."
    attrs = json.loads((demo_corpus/'demo_attributes.json').read_text())
    g = {p['id']: p['gender'] for p in attrs['identities']}
    f0 = {0: [], 1: []}
    for c in attrs['clips']: f0[g[c['identity']]].append(_f0(load_audio(demo_corpus/c['m4a'])))
    assert np.median(f0[0]) > 1.2*np.median(f0[1]), f0


def test_opencv_detector_finds_faces_in_95_percent_of_sampled_frames(demo_corpus):
    from deepface import DeepFace
    n = hits = 0
    for m in sorted(demo_corpus.glob('mp4/id*/*/*.mp4')):
        for _, rgb in read_frames(m, fps=1):
            faces = DeepFace.extract_faces(rgb[:, :, ::-1].copy(), detector_backend='opencv', enforce_detection=False, align=True)
            n += 1; hits += any(f['confidence'] > 0 for f in faces)
    assert n >= 48
    assert hits/n >= 0.95, f'{hits}/{n}'


def test_oracle_is_written_and_consistent(demo_corpus):
    o = json.loads((demo_corpus/'oracle.json').read_text())
    assert 0.5 < o['exact']['G'] < o['exact']['U'] < 1.0
    assert abs(o['expected']['U'] - (0.5 + 0.5*o['expected']['G'])) < 1e-9


def test_deterministic_and_cli(tmp_path):
    from facevoice.demo import make_demo
    a = make_demo(tmp_path/'a', num_identities=2, clips_per_identity=1, seed=3)
    r = subprocess.run([str(Path(sys.executable).parent/'facevoice_make_demo'), '--output_dir', str(tmp_path/'b'), '--num_identities', '2',
                        '--clips_per_identity', '1', '--seed', '3'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert 'oracle 1:2 accuracy' in r.stdout
    ja, jb = (json.loads((tmp_path/d/'demo_attributes.json').read_text()) for d in 'ab')
    assert ja == jb
    fa = [f for _, f in read_frames(next((tmp_path/'a').glob('mp4/*/*/*.mp4')), fps=1)]
    fb = [f for _, f in read_frames(next((tmp_path/'b').glob('mp4/*/*/*.mp4')), fps=1)]
    assert len(fa) == len(fb) and all(np.abs(x.astype(int) - y).mean() < 1 for x, y in zip(fa, fb))
