"""P4 evaluation: every metric on 10k x 10k random embeddings — time and peak memory (measured in a fresh process)."""
import argparse, json, subprocess, sys
from common import machine, table, save

CHILD = r'''
import json, resource, sys, time, numpy as np, torch
from facevoice.evaluate import compute_metrics, make_trials
n, d = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
E = lambda: torch.nn.functional.normalize(torch.from_numpy(rng.normal(size=(n, d)).astype(np.float32)), dim=-1)
F, V = E(), E(); ids = np.arange(n)//2; gen = np.where(ids % 2, 'm', 'f')
import os, threading
page = os.sysconf('SC_PAGE_SIZE')/2**20
rss = lambda: int(open('/proc/self/statm').read().split()[1])*page          # resident MiB now
high, stop = [0.0], threading.Event()
def watch():
    while not stop.is_set(): high[0] = max(high[0], rss()); time.sleep(0.002)
t = time.perf_counter(); tr = make_trials(ids, gen, n_trials=5000, seed=0); t_trials = time.perf_counter() - t
base = rss(); th = threading.Thread(target=watch, daemon=True); th.start()
t = time.perf_counter(); m = compute_metrics(F, V, ids, tr); t_metrics = time.perf_counter() - t
stop.set(); th.join()
print(json.dumps(dict(trials_s=t_trials, metrics_s=t_metrics, peak_mib=max(high[0], base), input_mib=base,
                      auc=m['roc_auc_all_pairs'], one_to_two=m['match_1to2_v2f_U'])))
'''


def run(n:int=10000, d:int=512, repeats:int=3) -> dict:
    res = [json.loads(subprocess.run([sys.executable, '-c', CHILD, str(n), str(d)], capture_output=True, text=True, check=True).stdout)
           for _ in range(repeats)]
    med = lambda k: sorted(x[k] for x in res)[len(res)//2]
    dense = n*n*4/2**20
    r = {k: med(k) for k in res[0]}
    rows = [(f'{n:,} faces x {n:,} voices, {d}-d', f"{r['metrics_s']:.1f} s", 'top-1/5/10, all-pairs AUC, 1:2 U/G, N-way 2-10, verification U/G, mAP'),
            ('trial lists (seeded)', f"{r['trials_s']:.1f} s", 'saved once per run, reused'),
            ('peak resident memory while computing', f"{r['peak_mib']:.0f} MiB", f"+{r['peak_mib'] - r['input_mib']:.0f} MiB over the process before (libraries + embeddings); one dense 10k x 10k score matrix would be {dense:.0f} MiB"),
            ('sanity: random embeddings', f"AUC {r['auc']:.3f}, 1:2 {r['one_to_two']:.3f}", 'chance is 0.5')]
    save('p4_evaluate', table(f'P4 evaluation (median of {repeats} fresh processes) — {machine()}', rows), r)
    return r


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__); ap.add_argument('--n', type=int, default=10000); ap.add_argument('--repeats', type=int, default=3)
    a = ap.parse_args(); run(a.n, repeats=a.repeats)
