"03_match on real extracted files: identity-disjoint splits, the original's format round-trips, the reader reports problems."
import shutil, subprocess, sys
from pathlib import Path
import pytest
from facevoice.extract import extract_dataset
from facevoice.dedupe import dedupe_faces
from facevoice.match import make_splits, read_pairs, original_matched_files, split_identities

CLI = str(Path(sys.executable).parent/'facevoice_match')


@pytest.fixture(scope='module')
def pipeline(demo_corpus, tmp_path_factory):
    t = tmp_path_factory.mktemp('pipe')
    extract_dataset(demo_corpus, t/'faces', detector_backend='opencv', align_faces=True, progress=False)
    dedupe_faces(t/'faces', t/'dedup', t/'reps', model_name='pixel', threshold=0.05, progress=False)
    return t


def test_splits_share_no_identity_and_keep_gender(pipeline, demo_corpus):
    counts = make_splits(pipeline/'faces', pipeline/'pairs', pipeline/'dedup', demo_corpus/'vox2_meta.csv', 0.25, 0.25, seed=1)
    sp = {k: read_pairs(pipeline/'pairs'/f'{k}.txt') for k in ('train', 'val', 'test')}
    ids = {k: set(v.identities) for k, v in sp.items()}
    assert not (ids['train'] & ids['val']) and not (ids['train'] & ids['test']) and not (ids['val'] & ids['test'])
    assert sum(len(v) for v in ids.values()) == 12
    for k, pf in sp.items():
        assert len(pf) == counts[k]['pairs'] > 0
        assert {p.gender for p in pf.pairs} == {'m', 'f'}                # both genders in every split
        for p in pf.pairs:                                             # face and voice come from the same clip
            assert p.face.parent.name == p.voice.stem and p.face.parts[-4] == p.voice.parts[-3] == p.identity
    again = make_splits(pipeline/'faces', pipeline/'pairs2', pipeline/'dedup', demo_corpus/'vox2_meta.csv', 0.25, 0.25, seed=1)
    assert again == counts and (pipeline/'pairs2'/'test.txt').read_text() == (pipeline/'pairs'/'test.txt').read_text()


def test_relative_paths_resolve_against_a_moved_root(pipeline, demo_corpus, tmp_path):
    make_splits(pipeline/'faces', pipeline/'pairs', pipeline/'dedup', demo_corpus/'vox2_meta.csv', 0.25, 0.25)
    moved = tmp_path/'other mount'/'내 드라이브'
    shutil.copytree(pipeline, moved)
    shutil.rmtree(pipeline/'pairs3', ignore_errors=True)
    pf = read_pairs(moved/'pairs'/'train.txt', root=moved)
    assert len(pf) > 0 and not pf.missing and all(str(p.face).startswith(str(moved)) for p in pf.pairs)


def test_original_format_round_trips(pipeline, demo_corpus):
    counts = original_matched_files(pipeline/'faces', demo_corpus/'meta.json', pipeline/'orig', start=0, limit=2)
    assert counts == {0: 12, 1: 12}
    lines = (pipeline/'orig'/'matched_files-1.txt').read_text().splitlines()
    assert len(lines) == 12 and all(len(l.split('\t')) == 2 for l in lines)
    pf = read_pairs(pipeline/'orig'/'matched-files.txt')
    assert len(pf) == 24 and not pf.missing and not pf.malformed
    assert len(set(pf.identities)) == 12
    r = subprocess.run([CLI, '-d', str(pipeline/'faces'), '-m', str(demo_corpus/'meta.json'), '-o', str(pipeline/'orig2'),
                        '-s', '1', '-l', '1', '--original'], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (pipeline/'orig2').iterdir()) == ['matched-files.txt', 'matched_files-1.txt']


def test_reader_reports_malformed_lines_and_missing_files(pipeline, tmp_path):
    good = read_pairs(pipeline/'orig'/'matched-files.txt') if (pipeline/'orig').exists() else None
    f = next((pipeline/'faces').glob('*/faces/*/*.jpg')); v = next((pipeline/'faces').glob('*/voices/*.wav'))
    pf_path = tmp_path/'pairs.txt'
    pf_path.write_text(f'{f}\t{v}\nbroken line without tab\n{f}\t{tmp_path}/nope.wav\n\n# comment\n{f}\t{v}\ta\tb\textra\n')
    pf = read_pairs(pf_path)
    assert len(pf) == 1
    assert [m[0] for m in pf.malformed] == [2, 6] and pf.missing == [(3, f'{tmp_path}/nope.wav')]
    pf_path.write_text('broken\n')
    with pytest.raises(ValueError, match='no usable face/voice pairs'): read_pairs(pf_path)


def test_split_fractions_validated():
    with pytest.raises(ValueError): split_identities({'a': 'm'}, 0.6, 0.5)
    s = split_identities({f'id{i}': 'mf'[i % 2] for i in range(20)}, 0.1, 0.2, seed=3)
    assert (len(s['train']), len(s['val']), len(s['test'])) == (14, 2, 4)
