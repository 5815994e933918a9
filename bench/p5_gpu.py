"""P5 (GPU only): the real configuration — ViT-B/16 + Wav2Vec2-Base — step time at batch 32 with bf16 autocast.
The towers are built from their configs (same shapes and compute as the hub checkpoints; no download needed)."""
import argparse
import torch
from common import machine, table, save


def run(batch:int=32, audio_sec:float=5.0) -> dict|None:
    if not torch.cuda.is_available():
        print('### P5 GPU: skipped (no CUDA device on this machine)'); return None
    from transformers import ViTConfig, ViTModel, Wav2Vec2Config, Wav2Vec2Model
    import facevoice.train as T
    real = dict(face=lambda *a, **k: ViTModel(ViTConfig(), add_pooling_layer=False), voice=lambda *a, **k: Wav2Vec2Model(Wav2Vec2Config()))
    orig = T.load_encoder
    T.load_encoder = lambda name, kind, image_size=224: real[kind]() if name == 'bench-base' else orig(name, kind, image_size)
    T.PRESETS['bench-base'] = dict(face_model='bench-base', voice_model='bench-base')
    from p3_train import model_step
    r = {}
    for amp in ('bf16', None):
        r[f'step_{amp or "fp32"}'] = model_step('bench-base', batch, audio_sec, steps=10, amp=amp, embedding_dim=512)
    r['peak_gib'] = torch.cuda.max_memory_allocated()/2**30
    rows = [(f'ViT-B/16 + Wav2Vec2-Base, batch {batch}, {audio_sec:g} s, bf16', f"{r['step_bf16']:.3f} s", f"{batch/r['step_bf16']:.0f} samples/s"),
            (f'same, fp32', f"{r['step_fp32']:.3f} s", f"{batch/r['step_fp32']:.0f} samples/s; bf16 x{r['step_fp32']/r['step_bf16']:.2f}"),
            ('peak GPU memory', f"{r['peak_gib']:.1f} GiB", '')]
    save('p5_gpu', table(f'P5 real configuration on GPU (median of 10 steps) — {machine()}', rows), r)
    return r


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__); ap.add_argument('--batch', type=int, default=32)
    run(ap.parse_args().batch)
