#!/usr/bin/env bash
# Makes web/src/fonts/NotoSansSC-onemap.woff2, the one web font of the map
# page: Noto Sans CJK SC Regular (Debian fonts-noto-cjk, SIL Open Font
# License 1.1: /usr/share/doc/fonts-noto-cjk/copyright) cut down to the
# characters the page and the data use: ASCII, common punctuation, and
# every CJK character in the page's sources, the catalogue, the demo data
# generator and the server's Chinese labels. Run it again (and
# `npm run build --prefix web`) when new Chinese text appears; characters
# outside the subset fall back to the system's sans-serif.
# Needs Debian fonts-noto-cjk, python3-fonttools and python3-brotli.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ttc=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
out=$root/web/src/fonts/NotoSansSC-onemap.woff2
chars=$(mktemp)
trap 'rm -f "$chars"' EXIT
/usr/bin/python3 - "$root" "$chars" <<'PY'
import pathlib, re, sys
root, out = pathlib.Path(sys.argv[1]), sys.argv[2]
text = set(chr(c) for c in range(0x20, 0x7f))
text |= set("，。、；：？！“”‘’（）【】《》〔〕…—·－～　°²³±×÷→≥≤㎡")
globs = ["web/src/**/*.js", "web/src/**/*.html", "layers/**/*.json", "fixtures/**/*.go",
         "spatial/**/*.go", "api/**/*.go", "tiles/**/*.go", "layers/**/*.go"]
cjk = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
for g in globs:
    for p in sorted(root.glob(g)):
        if p.name.endswith("_test.go"):
            continue
        text |= set(cjk.findall(p.read_text(encoding="utf-8", errors="ignore")))
pathlib.Path(out).write_text("".join(sorted(text)), encoding="utf-8")
print(len(text), "characters", file=sys.stderr)
PY
/usr/bin/python3 -m fontTools.subset "$ttc" --font-number=2 --text-file="$chars" \
  --flavor=woff2 --layout-features='*' --no-hinting --desubroutinize \
  --name-IDs='*' --output-file="$out"
ls -l "$out" >&2
