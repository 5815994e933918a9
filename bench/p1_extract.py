"""P1 extraction: frames/s of facevoice_extract (opencv detector, 1 fps sampling) on the demo corpus against
(a) decoding the same frames only, (b) decode + detect in a plain loop, (c) DeepFace.extract_faces on every decoded frame."""
import argparse, shutil, tempfile, time
from pathlib import Path
from common import machine, median_time, table, demo_corpus, save


def run(videos:int=36, repeats:int=3) -> dict:
    from facevoice.core import read_frames
    from facevoice.extract import extract_dataset, find_videos, detect_faces, load_detector
    from deepface import DeepFace
    corpus = demo_corpus()
    vids = find_videos(corpus)[:videos]
    work = Path(tempfile.mkdtemp(prefix='fv-bench-p1-'))
    ds = work/'mp4'                              # a dataset of just these videos (links), VoxCeleb2-shaped with aac/
    for v in vids:
        for sub, src in (('mp4', v.path), ('aac', v.audio)):
            if src is None: continue
            dst = work/sub/src.relative_to(corpus/sub); dst.parent.mkdir(parents=True, exist_ok=True); dst.symlink_to(src)
    load_detector('opencv')
    n_frames = sum(1 for v in vids for _ in read_frames(v.path, fps=1.0))

    def decode(): return sum(1 for v in vids for _ in read_frames(v.path, fps=1.0))
    def decode_detect():
        return sum(len(detect_faces(f, 'opencv', True)) >= 0 for v in vids for _, f in read_frames(v.path, fps=1.0))
    def pipeline(workers):
        def go():
            out = work/f'out{workers}'; shutil.rmtree(out, ignore_errors=True)
            return extract_dataset(ds, out, detector_backend='opencv', align_faces=True, workers=workers, progress=False)
        return go
    def every_frame():      # the naive way: decode every frame and run the detector on each (first 4 videos)
        n = 0
        for v in vids[:4]:
            for _, f in read_frames(v.path, fps=None):
                DeepFace.extract_faces(f[:, :, ::-1], detector_backend='opencv', enforce_detection=False, align=True); n += 1
        return n
    t_dec, _ = median_time(decode, repeats)
    t_dd, _ = median_time(decode_detect, repeats)
    t_p1, s1 = median_time(pipeline(1), repeats)
    t_p2, s2 = median_time(pipeline(2), repeats)
    t_ev, n_ev = median_time(every_frame, 1)
    per_video_naive = t_ev/4; per_video_p1 = t_p1/len(vids)
    shutil.rmtree(work, ignore_errors=True)
    fps = lambda t: n_frames/t
    r = dict(videos=len(vids), frames=n_frames, decode_fps=fps(t_dec), decode_detect_fps=fps(t_dd), pipeline_fps_1w=fps(t_p1),
             pipeline_fps_2w=fps(t_p2), every_frame_fps=n_ev/t_ev, seconds_per_video_naive=per_video_naive,
             seconds_per_video_pipeline=per_video_p1, faces_saved=s1.faces_saved)
    rows = [('videos / sampled frames (1 fps)', f'{len(vids)} / {n_frames}', 'demo corpus, 224x224 H.264'),
            ('(a) decode sampled frames only', f"{r['decode_fps']:.0f} frames/s", 'read_frames: grab/retrieve'),
            ('(b) decode + detect, plain loop', f"{r['decode_detect_fps']:.1f} frames/s", 'the limit for 1 process'),
            ('facevoice_extract, 1 worker', f"{r['pipeline_fps_1w']:.1f} frames/s", f"{r['pipeline_fps_1w']/r['decode_detect_fps']:.0%} of (b): + audio, JPEG, manifest"),
            ('facevoice_extract, 2 workers', f"{r['pipeline_fps_2w']:.1f} frames/s", f"x{r['pipeline_fps_2w']/r['pipeline_fps_1w']:.2f} vs 1 worker"),
            ('(c) extract_faces on every frame', f"{r['every_frame_fps']:.1f} frames/s", f"{n_ev} frames of 4 videos"),
            ('seconds per video: (c) vs pipeline', f'{per_video_naive:.2f} s vs {per_video_p1:.2f} s', f'x{per_video_naive/per_video_p1:.1f} less work per video')]
    save('p1_extract', table(f'P1 extraction (median of {repeats}) — {machine()}', rows), r)
    return r


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__); ap.add_argument('--videos', type=int, default=36); ap.add_argument('--repeats', type=int, default=3)
    a = ap.parse_args(); run(a.videos, a.repeats)
