"""Fault injection on real files: odd inputs are skipped with a named reason and counted while good ones are processed;
Drive-like paths (spaces, Hangul) work end to end; a full disk or a read-only output stops with one clear message and
keeps what was finished. (SIGKILL of extraction and training: tests/test_extract.py and tests/test_train.py.)"""
import csv, hashlib, json, os, shutil, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import soundfile as sf
from facevoice.core import load_audio
from facevoice.extract import extract_dataset, read_manifest
from facevoice.match import read_pairs
from facevoice.data import FaceVoiceDataset

BIN = Path(sys.executable).parent
DRIVE = '내 드라이브'          # what a Colab Drive mount looks like: a space and Hangul


def ff(*a): subprocess.run(['ffmpeg', '-v', 'error', '-y', *map(str, a)], check=True)


def _snapshot(root):
    return {p.relative_to(root).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest() for p in Path(root).rglob('*') if p.is_file()}


def _unprivileged(cmd):
    "Run as root without the capabilities that ignore file permissions, so a read-only folder is read-only."
    if os.geteuid() != 0: return cmd
    if not shutil.which('setpriv'): pytest.skip('running as root without setpriv: cannot make a folder read-only')
    return ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--', *cmd]


def _clean_error(r, *needles):
    assert r.returncode != 0
    assert 'Traceback' not in r.stderr, r.stderr[-3000:]
    for n in needles: assert n in r.stderr, (n, r.stderr[-2000:])


# ---------------------------------------------------------------- extraction: odd media in a Drive-like VoxCeleb2 tree
@pytest.fixture(scope='module')
def drive_dataset(demo_corpus, tmp_path_factory):
    "A VoxCeleb2-shaped tree under `내 드라이브/vox celeb2` with good clips plus the odd ones the issue lists."
    root = tmp_path_factory.mktemp('drive')/DRIVE/'vox celeb2'
    clips = sorted(demo_corpus.glob('mp4/*/*/*.mp4'))[:4:2] + sorted(demo_corpus.glob('mp4/*/*/*.mp4'))[4:6]
    for c in clips:
        rel = c.relative_to(demo_corpus/'mp4')
        (root/'mp4'/rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy(c, root/'mp4'/rel)
        m4a = demo_corpus/'aac'/rel.with_suffix('.m4a')
        (root/'aac'/rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy(m4a, root/'aac'/rel.with_suffix('.m4a'))
    stereo = clips[0].relative_to(demo_corpus/'mp4').with_suffix('.m4a')   # this clip's voice: 44.1 kHz stereo AAC
    ff('-i', demo_corpus/'aac'/stereo, '-ar', 44100, '-ac', 2, '-c:a', 'aac', root/'aac'/stereo)
    odd = root/'mp4'/'id09999'/'odd clips'; odd.mkdir(parents=True)
    ff('-i', demo_corpus/'aac'/stereo, '-vn', '-c:a', 'copy', odd/'audio only.mp4')             # audio without video
    ff('-i', clips[1], '-an', '-c:v', 'copy', odd/'v.mp4')
    ff('-i', odd/'v.mp4', '-f', 'lavfi', '-i', 'sine=frequency=220:sample_rate=16000:duration=0.3',
       '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', odd/'short audio.mp4')          # 0.3 s of audio
    (odd/'v.mp4').unlink()
    return root, demo_corpus/'aac'/stereo, clips


def test_odd_media_in_a_drive_path_are_skipped_or_decoded(drive_dataset, tmp_path):
    root, mono_m4a, clips = drive_dataset
    out = tmp_path/DRIVE/'faces out'
    r = subprocess.run([BIN/'facevoice_extract', '--dataset_path', root/'mp4', '--output_dir', out, '--detector_backend', 'opencv',
                        '--align_faces'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    recs = read_manifest(out)
    reasons = {Path(k).name: v['reason'] for k, v in recs.items() if v['status'] == 'skipped'}
    assert reasons == {'audio only.mp4': 'no video stream', 'short audio.mp4': 'audio too short'}
    assert sum(v['status'] == 'done' for v in recs.values()) == len(clips)
    summary = dict(csv.reader((out/'extract_summary.csv').read_text(encoding='utf-8').splitlines()))
    assert summary['  skipped: no video stream'] == '1' and summary['  skipped: audio too short'] == '1' and summary['done'] == str(len(clips))
    # the 44.1 kHz stereo m4a became a 16 kHz mono wav with the same speech as the original mono track
    ident, yt, clip = clips[0].parts[-3], clips[0].parts[-2], clips[0].stem
    wav = out/ident/'voices'/f'{yt}_{clip}.wav'
    info = sf.info(str(wav)); assert (info.samplerate, info.channels) == (16000, 1)
    got, ref = load_audio(wav), load_audio(mono_m4a)
    assert abs(len(got) - len(ref)) < 0.05*16000
    n = min(len(got), len(ref)); assert np.corrcoef(got[:n], ref[:n])[0, 1] > 0.9
    assert list((out/ident/'faces'/f'{yt}_{clip}').glob('frame_*.jpg'))


# ---------------------------------------------------------------- data, training and evaluation on odd pairs
@pytest.fixture(scope='module')
def odd_pairs(demo_pairs, tmp_path_factory):
    "The small demo's pairs copied under a Hangul path (relative paths), plus odd rows: an 8-bit wav, a 0.3 s wav, a silent"
    " wav, a corrupt JPEG, a missing file and a malformed line."
    base = tmp_path_factory.mktemp('odd')/DRIVE/'pairs dir'
    def copy_split(name):
        rows = []
        for k, p in enumerate(read_pairs(demo_pairs/f'{name}.txt').pairs):
            f, v = Path('media')/p.identity/f'{name} {k} 얼굴.jpg', Path('media')/p.identity/f'{name} {k} 목소리.wav'
            for src, dst in ((p.face, f), (p.voice, v)): (base/dst).parent.mkdir(parents=True, exist_ok=True); shutil.copy(src, base/dst)
            rows.append([str(f), str(v), p.identity, p.gender])
        return rows
    train, val = copy_split('train'), copy_split('val')
    f0, v0, i0, g0 = train[0]
    x = load_audio(base/v0)
    odd = base/'media'/'odd'; odd.mkdir()
    ff('-i', base/v0, '-c:a', 'pcm_u8', odd/'eight bit.wav')
    sf.write(str(odd/'short.wav'), x[:int(0.3*16000)], 16000)
    sf.write(str(odd/'silent.wav'), np.zeros(32000, np.float32), 16000)
    (odd/'corrupt.jpg').write_bytes((base/f0).read_bytes()[:200])
    extra = [[f0, 'media/odd/eight bit.wav', i0, g0], [f0, 'media/odd/short.wav', i0, g0], [f0, 'media/odd/silent.wav', i0, g0],
             ['media/odd/corrupt.jpg', v0, i0, g0]]
    lines = ['\t'.join(r) for r in train + extra] + [f'{f0}\tmedia/odd/gone.wav\t{i0}\t{g0}', 'only one column']
    (base/'train.txt').write_text('\n'.join(lines) + '\n', encoding='utf-8')
    (base/'val.txt').write_text('\n'.join('\t'.join(r) for r in val) + '\n', encoding='utf-8')
    return base, len(train)


def test_reader_and_dataset_name_every_bad_row(odd_pairs):
    base, n_good = odd_pairs
    pf = read_pairs(base/'train.txt')
    assert [m[0] for m in pf.malformed] == [n_good + 6] and pf.missing == [(n_good + 5, str(base/'media/odd/gone.wav'))]
    ds = FaceVoiceDataset(pf, train=True, audio_duration_sec=1.0)
    items = [ds[i] for i in range(len(ds))]
    skipped = {ds.pairs[i].voice.name if 'corrupt' not in ds.pairs[i].face.name else ds.pairs[i].face.name: it['skipped']
               for i, it in enumerate(items) if 'skipped' in it}
    assert skipped == {'short.wav': 'audio too short', 'silent.wav': 'silent audio', 'corrupt.jpg': 'unreadable image'}
    eight = next(it for it, p in zip(items, ds.pairs) if p.voice.name == 'eight bit.wav')
    assert eight['input_values'].shape == (16000,) and abs(float(eight['input_values'].mean())) < 0.05  # decoded and centred


def test_training_and_evaluation_finish_and_count_the_skips(odd_pairs, tmp_path):
    base, n_good = odd_pairs
    run = tmp_path/DRIVE/'run 1'
    r = subprocess.run([BIN/'facevoice_train', '--matched_file', base/'train.txt', '--val_file', base/'val.txt', '--save_dir', run,
                        '--model_preset', 'tiny', '--batch_size', '4', '--num_epochs', '2', '--audio_duration_sec', '1.0',
                        '--embedding_dim', '16', '--num_workers', '2', '--seed', '1'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    hist = json.loads((run/'history.json').read_text())
    assert sum(h['skipped_samples'] for h in hist) >= 1      # the sampler drops a few rows per epoch; at least one bad one is drawn
    assert any(w in r.stderr for w in ('audio too short', 'silent audio', 'unreadable image'))
    out = tmp_path/DRIVE/'eval out'
    e = subprocess.run([BIN/'facevoice_evaluate', '--model_dir', run/'best', '--matched_file', base/'train.txt',
                        '--output_file', out/'결과.csv', '--n_trials', '300'], capture_output=True, text=True)
    assert e.returncode == 0, e.stderr[-3000:]
    m = json.loads((out/'metrics.json').read_text())['metrics']
    assert (m['pairs_skipped'], m['n_pairs']) == (3, n_good + 1)           # the 8-bit voice is used, 3 bad rows are not
    rows = list(csv.DictReader((out/'skipped.csv').read_text(encoding='utf-8').splitlines()))
    assert sorted(r['reason'].split(' ')[0] for r in rows) == ['audio', 'not', 'silent']
    assert (out/'결과.csv').is_file() and 'pairs skipped: 3' in e.stdout


# ---------------------------------------------------------------- read-only outputs
def test_read_only_outputs_give_one_clear_error_and_stay_intact(extracted, demo_pairs, drive_dataset, tmp_path):
    done = tmp_path/'done'; shutil.copytree(extracted[0], done)
    before = _snapshot(done)
    for p in [done, *done.rglob('*')]: p.chmod(p.stat().st_mode & 0o555)
    try:
        # a new dataset into a finished, read-only output folder
        r = subprocess.run(_unprivileged([BIN/'facevoice_extract', '--dataset_path', drive_dataset[0], '--output_dir', done,
                                          '--detector_backend', 'opencv']), capture_output=True, text=True)
        _clean_error(r, 'not writable', str(done))
        # dedupe and training into read-only places
        r = subprocess.run(_unprivileged([BIN/'facevoice_dedupe', '--faces_dir', extracted[0], '--dedupe_dir', done/'dd',
                                          '--representative_dir', tmp_path/'reps', '--model_name', 'pixel']), capture_output=True, text=True)
        _clean_error(r, 'cannot write to', 'make it writable')
        r = subprocess.run(_unprivileged([BIN/'facevoice_train', '--matched_file', demo_pairs/'train.txt', '--save_dir', done/'run',
                                          '--model_preset', 'tiny', '--num_epochs', '1']), capture_output=True, text=True)
        _clean_error(r, 'cannot write to', 'Permission denied')
    finally:
        for p in [done, *done.rglob('*')]: p.chmod(p.stat().st_mode | 0o200)
    assert _snapshot(done) == before


# ---------------------------------------------------------------- a disk that fills up mid-run
@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path/'small disk'; mnt.mkdir()
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1200k', 'tmpfs', str(mnt)], capture_output=True, text=True)
    if r.returncode != 0: pytest.skip(f'cannot mount a small tmpfs here (needs root): {r.stderr.strip()}')
    yield mnt
    subprocess.run(['umount', '-l', str(mnt)], check=False)


def test_full_disk_stops_cleanly_and_the_rerun_completes(demo_corpus, extracted, small_disk, tmp_path):
    out = small_disk/'faces'
    cmd = [BIN/'facevoice_extract', '--dataset_path', demo_corpus, '--output_dir', out, '--detector_backend', 'opencv', '--align_faces']
    r = subprocess.run(cmd, capture_output=True, text=True)
    _clean_error(r, 'No space left on device', 'run the same command again')
    recs = read_manifest(out)
    assert 0 < len(recs) < 24
    for rec in recs.values():                            # everything recorded as done is complete and decodable
        assert rec['status'] == 'done', rec
        ident, clip = rec['identity'], rec['clip']
        assert len(list((out/ident/'faces'/clip).glob('*.jpg'))) == rec['faces']
        assert abs(len(load_audio(out/ident/'voices'/f'{clip}.wav'))/16000 - rec['audio_sec']) < 0.01
    assert not [p for p in out.rglob('*') if '.fvtmp' in p.name]
    moved = tmp_path/'roomy'; shutil.copytree(out, moved)    # free space: carry on elsewhere
    cmd[cmd.index(out)] = moved
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    media = lambda root: {k: v for k, v in _snapshot(root).items() if k.endswith(('.jpg', '.wav'))}
    assert media(moved) == media(extracted[0])              # exactly the files of an uninterrupted run
