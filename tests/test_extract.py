"01_extract on real files: faces found, resumable after SIGKILL, bad inputs skipped and reported."
import csv, json, os, shutil, signal, subprocess, sys, time, hashlib
from pathlib import Path
import numpy as np
import pytest
from facevoice.extract import extract_dataset, read_manifest, find_videos, load_detector, DetectorUnavailable

CLI = str(Path(sys.executable).parent/'facevoice_extract')


def _files(root):
    return {p.relative_to(root).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in Path(root).rglob('*') if p.is_file() and p.suffix in ('.jpg', '.wav')}


def test_faces_and_voices_for_95_percent_of_videos(demo_corpus, extracted):
    out, s = extracted
    vids = find_videos(demo_corpus)
    with_faces = [v for v in vids if list(v.faces_dir(out).glob('frame_*.jpg'))]
    assert len(with_faces) >= 0.95*len(vids)
    assert s.done == len(with_faces) and s.audio_written == s.done
    import cv2, soundfile as sf
    for v in with_faces:
        crops = sorted(v.faces_dir(out).glob('frame_*.jpg'))
        assert all(c.name[6:10].isdigit() for c in crops)          # frame index in the name
        img = cv2.imread(str(crops[0])); assert img is not None and min(img.shape[:2]) >= 40
        info = sf.info(str(v.voice_path(out)))
        assert info.samplerate == 16000 and info.channels == 1 and info.duration > 1


def test_summary_csv_counts(extracted):
    out, s = extracted
    rows = dict(csv.reader((out/'extract_summary.csv').read_text().splitlines()[1:]))
    assert int(rows['videos seen']) == s.videos_seen and int(rows['faces saved']) == s.faces_saved > 0
    assert float(rows['frames/s']) > 0


def test_sigkill_then_resume_gives_identical_file_set(demo_corpus, extracted, tmp_path):
    ref, _ = extracted
    out = tmp_path/'faces'
    p = subprocess.Popen([CLI, '--dataset_path', str(demo_corpus), '--output_dir', str(out), '--detector_backend', 'opencv',
                          '--align_faces'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:
        if len(read_manifest(out)) >= 5: break
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    n_before = len(read_manifest(out))
    assert 5 <= n_before < 24, 'the kill must land mid-run'
    r = subprocess.run([CLI, '--dataset_path', str(demo_corpus), '--output_dir', str(out), '--detector_backend', 'opencv',
                        '--align_faces'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert 'already done (resumed)' in r.stdout
    assert _files(out) == _files(ref)
    assert not [p for p in out.rglob('*') if '.fvtmp' in p.name]         # no partial files left
    assert len(read_manifest(out)) == 24


def test_bad_inputs_are_skipped_with_reasons(demo_corpus, tmp_path):
    ds = tmp_path/'videos'/'person a'; ds.mkdir(parents=True)
    good = next(demo_corpus.glob('mp4/*/*/*.mp4'))
    shutil.copy(good, ds/'good.mp4')
    (ds/'zero.mp4').write_bytes(b'')
    (ds/'truncated.mp4').write_bytes(good.read_bytes()[:3000])
    (ds/'notavideo.mp4').write_text('hello')
    ff = lambda *a: subprocess.run(['ffmpeg', '-v', 'error', *a], check=True)
    ff('-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25:duration=2', '-pix_fmt', 'yuv420p', str(ds/'mute.mp4'))
    ff('-f', 'lavfi', '-i', 'color=c=gray:size=160x120:rate=25:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=300:duration=2',
       '-pix_fmt', 'yuv420p', '-shortest', str(ds/'faceless.mp4'))
    ff('-i', str(good), '-an', '-t', '2', '-c:v', 'copy', '-y', str(tmp_path/'v.mp4'))
    ff('-i', str(tmp_path/'v.mp4'), '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '2', '-c:v', 'copy', '-c:a', 'aac', '-shortest', str(ds/'silent.mp4'))
    out = tmp_path/'out'
    s = extract_dataset(tmp_path/'videos', out, detector_backend='opencv', progress=False)
    recs = {Path(k).stem: r for k, r in read_manifest(out).items()}
    assert recs['good']['status'] == 'done' and recs['good']['identity'] == 'person a'
    assert {k: r['reason'] for k, r in recs.items() if k != 'good'} == {
        'zero': 'unreadable video', 'truncated': 'unreadable video', 'notavideo': 'unreadable video',
        'mute': 'no audio track', 'faceless': 'no face found', 'silent': 'silent audio'}
    assert s.done == 1 and sum(s.skipped.values()) == 6
    skipped = list(csv.DictReader((out/'extract_skipped.csv').read_text().splitlines()))
    assert len(skipped) == 6


def test_missing_detector_weights_give_one_clear_error(tmp_path, monkeypatch, demo_corpus):
    monkeypatch.setenv('DEEPFACE_HOME', str(tmp_path/'dfhome'))
    r = subprocess.run([CLI, '--dataset_path', str(demo_corpus), '--output_dir', str(tmp_path/'o'), '--detector_backend', 'retinaface'],
                       capture_output=True, text=True, env={**os.environ, 'DEEPFACE_HOME': str(tmp_path/'dfhome')})
    assert r.returncode != 0
    assert str(tmp_path/'dfhome'/'.deepface'/'weights') in r.stderr and '--detector_backend opencv' in r.stderr
    assert r.stderr.count('Traceback') == 0
    assert not (tmp_path/'o').exists() or not list((tmp_path/'o').rglob('*.jpg'))
