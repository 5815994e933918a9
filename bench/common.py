"Shared helpers of the benchmark scripts: the machine, medians, tables, and the demo data they run on."
from __future__ import annotations
import os, sys, json, time, platform, statistics, subprocess
from pathlib import Path

os.environ.setdefault('DEEPFACE_BACKEND_ENGINE', 'pytorch')
os.environ.setdefault('HF_HUB_OFFLINE', '1'); os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
os.environ.setdefault('MPLBACKEND', 'Agg')
ROOT = Path(__file__).resolve().parent.parent
HOME = Path(os.environ.get('FACEVOICE_BENCH_HOME', ROOT/'data'/'bench'))


def machine() -> str:
    "One line: CPU model and cores, memory, GPU, torch version, date."
    import torch
    cpu = next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines() if l.startswith('model name')), platform.processor()) \
        if Path('/proc/cpuinfo').exists() else platform.processor()
    mem = os.sysconf('SC_PAGE_SIZE')*os.sysconf('SC_PHYS_PAGES')/2**30
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU'
    return f'{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, {gpu}; torch {torch.__version__}; {time.strftime("%Y-%m-%d")}'


def median_time(fn, repeats:int=3, warmup:int=0):
    "Median wall time of `fn()` over `repeats` runs (after `warmup` untimed runs) and the last result."
    for _ in range(warmup): fn()
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t)
    return statistics.median(times), out


def table(title:str, rows:list[tuple], header=('measure', 'value', 'note')) -> str:
    "A plain-text table (also valid Markdown)."
    rows = [tuple(str(c) for c in r) for r in rows]
    w = [max(len(str(h)), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = lambda cells: '| ' + ' | '.join(c.ljust(w[i]) for i, c in enumerate(cells)) + ' |'
    return '\n'.join([f'### {title}', '', line(header), '|' + '|'.join('-'*(x + 2) for x in w) + '|', *map(line, rows)])


def demo_corpus() -> Path:
    "The default demo corpus (48 identities x 3 clips) under the bench home, generated when absent."
    from facevoice.demo import make_demo
    d = Path(os.environ.get('FACEVOICE_HOME', ROOT/'data'))/'demo'     # the same corpus `make demo` uses
    make_demo(d)
    return d


def demo_pairs() -> Path:
    "Pair files of the demo corpus through the real 01-03 stages (resumable; cheap when already there)."
    from facevoice.extract import extract_dataset
    from facevoice.dedupe import dedupe_faces
    from facevoice.match import make_splits
    d = demo_corpus()
    if not (HOME/'pairs'/'test.txt').is_file():
        extract_dataset(d, HOME/'faces', detector_backend='opencv', align_faces=True, workers=2, progress=False)
        dedupe_faces(HOME/'faces', HOME/'dedup', HOME/'reps', model_name='pixel', threshold=0.05, progress=False)
        make_splits(HOME/'faces', HOME/'pairs', HOME/'dedup', d/'vox2_meta.csv', 0.15, 0.25, seed=0)
    return HOME/'pairs'


def save(name:str, text:str, data:dict):
    "Print a result table and keep it (and its numbers) under bench/results/."
    out = ROOT/'bench'/'results'; out.mkdir(exist_ok=True)
    (out/f'{name}.md').write_text(text + '\n'); (out/f'{name}.json').write_text(json.dumps(data, indent=2) + '\n')
    print(text, flush=True)
