"""P3 training: tiny-preset step time and samples/s on CPU, model-only and inside the real trainer on the demo pairs,
and the fraction of each step spent waiting on data (goal < 10 %)."""
import argparse, json, statistics, tempfile, time
from pathlib import Path
import torch
from common import machine, median_time, table, demo_pairs, save


def model_step(preset:str='tiny', batch:int=8, audio_sec:float=2.0, steps:int=8, amp:str|None=None, embedding_dim:int=64):
    "Median seconds of one forward+backward+AdamW step on random inputs (no data loading)."
    from facevoice.train import TrainConfig, build_model, InfoNCELoss, _optimizer
    c = TrainConfig(model_preset=preset, embedding_dim=embedding_dim, audio_duration_sec=audio_sec)
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    m = build_model(c).to(dev).train(); opt = _optimizer(m, c); crit = InfoNCELoss()
    px = torch.randn(batch, 3, m.meta['image_size'], m.meta['image_size'], device=dev)
    au = torch.randn(batch, int(16000*audio_sec), device=dev); mask = torch.ones_like(au, dtype=torch.long)
    def step():
        with torch.autocast(dev, dtype=torch.bfloat16, enabled=amp == 'bf16'):
            o = m(px, au, mask); loss = crit(o['face_features'].float(), o['voice_features'].float(), o['logit_scale'])
        loss.backward(); opt.step(); opt.zero_grad()
        if dev == 'cuda': torch.cuda.synchronize()
    for _ in range(2): step()
    ts = []
    for _ in range(steps):
        t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def run(epochs:int=3) -> dict:
    from facevoice.train import TrainConfig, train, DEMO_TRAIN
    r = {}
    for sec in (2.0, 5.0):
        r[f'model_step_{sec:g}s'] = model_step(audio_sec=sec)
    pairs = demo_pairs()
    run_dir = Path(tempfile.mkdtemp(prefix='fv-bench-p3-'))/'run'
    cfg = TrainConfig(matched_file=str(pairs/'train.txt'), val_file=str(pairs/'val.txt'), save_dir=str(run_dir),
                      **{**DEMO_TRAIN, 'num_epochs': epochs, 'histogram_every': 0})
    h = train(cfg, progress=False)['history']
    steps = h[0]['step']
    per_step = statistics.median(e['seconds'] for e in h)/steps
    wait = statistics.median(e['data_wait_fraction'] for e in h)
    bs = DEMO_TRAIN['batch_size']
    r.update(trainer_step=per_step, samples_per_s=bs/per_step, data_wait_fraction=wait, steps_per_epoch=steps)
    rows = [('model step, batch 8, 2 s audio', f"{r['model_step_2s']:.3f} s", f"{8/r['model_step_2s']:.1f} samples/s (demo recipe)"),
            ('model step, batch 8, 5 s audio', f"{r['model_step_5s']:.3f} s", f"{8/r['model_step_5s']:.1f} samples/s (original's duration)"),
            ('trainer step on the demo pairs', f'{per_step:.3f} s', f"{r['samples_per_s']:.1f} samples/s; {steps} steps/epoch, {DEMO_TRAIN['num_workers']} loader workers"),
            ('trainer / model-only step', f"x{per_step/r['model_step_2s']:.2f}", 'loading, augmentation, logging overhead'),
            ('time waiting on data', f'{wait:.1%}', 'goal < 10 %')]
    save('p3_train', table(f'P3 training, tiny preset (median of {epochs} epochs / 8 steps) — {machine()}', rows), r)
    return r


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__); ap.add_argument('--epochs', type=int, default=3)
    run(ap.parse_args().epochs)
