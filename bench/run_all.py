"""Run every benchmark (P1-P4, and P5 when a GPU is present) and print their tables; results also go to bench/results/.
Usage: .venv/bin/python bench/run_all.py [--quick]"""
import argparse, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from common import machine
import p1_extract, p2_dedupe, p3_train, p4_evaluate, p5_gpu

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--quick', action='store_true', help='fewer repeats and no 10k original-loop reference (a smoke run)')
    q = ap.parse_args().quick
    print(f'# facevoice benchmarks — {machine()}\n', flush=True)
    t = time.time()
    p1_extract.run(videos=12 if q else 36, repeats=1 if q else 3); print()
    p2_dedupe.run(reference_max=1000 if q else 10000, repeats=1 if q else 3); print()
    p3_train.run(epochs=1 if q else 3); print()
    p4_evaluate.run(n=3000 if q else 10000, repeats=1 if q else 3); print()
    p5_gpu.run(); print()
    print(f'all benchmarks: {time.time() - t:.0f} s')
