"""P2 dedup grouping (embedding time excluded): the blocked greedy grouping against the original's loop with
`scipy.spatial.distance.cosine`, on near-duplicate-shaped embeddings (bursts of similar frames), and how it grows."""
import argparse, time
import numpy as np
from common import machine, median_time, table, save


def faces_like(n:int, d:int=128, burst:int=10, seed:int=0) -> np.ndarray:
    "Unit vectors in frame order: every `burst` consecutive faces are near-duplicates of one pose."
    rng = np.random.default_rng(seed)
    base = np.repeat(rng.normal(size=(n//burst + 1, d)), burst, axis=0)[:n]
    e = base + 0.15*rng.normal(size=(n, d))
    return (e/np.linalg.norm(e, axis=1, keepdims=True)).astype(np.float32)


def run(sizes=(1000, 10000, 50000), reference_max:int=10000, repeats:int=3, threshold:float=0.1) -> dict:
    from facevoice.dedupe import greedy_representatives, greedy_reference
    rows, r = [], {}
    for n in sizes:
        E = faces_like(n)
        t, rep = median_time(lambda: greedy_representatives(E, threshold), repeats)
        r[f'blocked_{n}'] = t; note = f'{len(np.unique(rep))} representatives'
        if n <= reference_max:
            t_ref, ref = median_time(lambda: greedy_reference(E, threshold), 1)
            assert (ref == rep).all(), 'grouping differs from the original loop'
            r[f'reference_{n}'] = t_ref
            note += f'; original loop {t_ref:.2f} s (x{t_ref/t:.0f} slower), same groups'
        rows.append((f'{n:,} faces in one scope', f'{t*1000:.1f} ms', note))
    n = 10000; E = faces_like(n, burst=10)                     # per clip, as the stage runs by default: 200 clips of 50 faces
    def per_clip(fn): return lambda: [fn(E[i:i+50], threshold) for i in range(0, n, 50)]
    t_c, _ = median_time(per_clip(greedy_representatives), repeats); t_cr, _ = median_time(per_clip(greedy_reference), 1)
    r.update(clip_scope_blocked=t_c, clip_scope_reference=t_cr)
    rows.append(('10,000 faces as 200 clips x 50', f'{t_c*1000:.1f} ms', f'original loop {t_cr:.2f} s (x{t_cr/t_c:.0f})'))
    ks = [k for k in sizes if f'blocked_{k}' in r]
    if len(ks) > 1:
        g = np.polyfit(np.log(ks), np.log([r[f'blocked_{k}'] for k in ks]), 1)[0]
        rows.append(('growth exponent (time ~ n^k)', f'k = {g:.2f}', 'one scope; the work is n x representatives'))
    save('p2_dedupe', table(f'P2 dedup grouping, 128-d, threshold {threshold} (median of {repeats}) — {machine()}', rows), r)
    return r


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__); ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--reference_max', type=int, default=10000, help='largest size the slow original loop is run on')
    a = ap.parse_args(); run(reference_max=a.reference_max, repeats=a.repeats)
