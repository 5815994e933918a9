"""Render README.md from nbs/index.ipynb.

Uses `nbdev_readme` when quarto is installed (it is in Colab after `nbdev_install_quarto`); quarto cannot be
installed from the package registries this project's CI reaches, so otherwise the notebook is executed with execnb
and rendered the way nbdev does: markdown cells as they are, `#| hide` cells dropped, code with its text output.
"""
import shutil, subprocess, sys, re
from pathlib import Path

root = Path(__file__).resolve().parent.parent
if shutil.which('quarto'):
    sys.exit(subprocess.call([str(Path(sys.executable).parent/'nbdev_readme')], cwd=root))

from execnb.nbio import read_nb
from execnb.shell import CaptureShell

nb = read_nb(root/'nbs'/'index.ipynb')
sh = CaptureShell(path=root/'nbs')
sh.run_all(nb, exc_stop=True)
out = []
for c in nb.cells:
    src = c.source.strip()
    if c.cell_type == 'markdown':
        # nbdev turns "# Title\n> subtitle" into a title and a blockquote
        out.append(src)
        continue
    if re.search(r'^#\|\s*hide', src, re.M): continue
    code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|'))
    out.append(f'``` python\n{code}\n```')
    texts = []
    for o in c.get('outputs', []):
        if o.get('output_type') == 'stream': texts.append(''.join(o.get('text', '')))
        elif 'data' in o and 'text/plain' in o['data']: texts.append(''.join(o['data']['text/plain']))
    if texts: out.append('    ' + '\n'.join(texts).rstrip().replace('\n', '\n    '))
(root/'README.md').write_text('<!-- generated from nbs/index.ipynb: edit the notebook, then `make readme` -->\n\n'
                              + '\n\n'.join(out) + '\n')
print('wrote README.md')
