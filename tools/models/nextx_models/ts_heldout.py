"""Exports the corpus held-out tails for the TypeScript accuracy bench (tools/bench/timeseries-accuracy.ts).

    tools/models/run.sh chronos-heldout      (writes tools/bench/data/timeseries-heldout.json)

The series are exactly those `ts_eval.corpus_series("heldout")` scores (the chronos model trained only on the part
before each tail). Per series: set (corpus-fertility / corpus-other, the groups ts_eval reports), name, season,
horizon, the last TRAIN_TAIL values of the train part (the model reads at most 256, the bench's AR fits read the
same 512), the full train length, `mase_scale` (the in-sample seasonal-naive MAE of the whole train part: the MASE
denominator of ts_eval.mase, which a 512-value tail alone would change), and the test tail. Values are the corpus'
float64 numbers, written exactly (JSON shortest round trip).
"""
from __future__ import annotations

import json
from pathlib import Path

from . import common as C
from . import ts_data as D
from . import ts_eval as E

TRAIN_TAIL = 512
OUT = C.REPO / "tools" / "bench" / "data" / "timeseries-heldout.json"


def export(out: Path = OUT) -> dict:
    prov = D.load()["provenance"]
    sets = E.corpus_series("heldout")
    counts = prov["counts"]
    tail_points = sum(s["horizon"] for s in sets)
    # The split is ts_data's: the export must hold every held-out tail of the corpus the model was evaluated on.
    assert len(sets) == counts["heldout_series"], (len(sets), counts["heldout_series"])
    assert tail_points == counts["heldout_tail_points"], (tail_points, counts["heldout_tail_points"])
    series = [{"set": s["set"], "name": s["name"], "season": int(s["season"]), "horizon": int(s["horizon"]),
               "train_length": int(len(s["train"])),
               "mase_scale": E.seasonal_naive_scale(s["train"], s["season"]),
               "train": [float(v) for v in s["train"][-TRAIN_TAIL:]],
               "test": [float(v) for v in s["test"]]} for s in sets]
    doc = {
        "what": ("held-out test tails of the chronos-corpus training corpus (never trained on), as "
                 "tools/models/nextx_models/ts_eval.py corpus_series('heldout') scores them"),
        "command": "tools/models/run.sh chronos-heldout",
        "sources": prov["sources"],
        "split": prov["split"],
        "frequency_rules": prov["frequency_rules"],
        "missing_values": prov["missing_values"],
        "train": (f"the last {TRAIN_TAIL} values of the train part (everything before the tail); train_length is the "
                  "full length, mase_scale the in-sample seasonal-naive MAE of the full train part"),
        "counts": {"series": len(series), "tail_points": tail_points,
                   "by_set": {g: sum(s["set"] == g for s in series) for g in sorted({s["set"] for s in series})}},
        "series": series,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    # One series a line: small, and a rebuild's diff shows which series changed.
    rows = ",\n".join("  " + json.dumps(s, separators=(",", ":")) for s in series)
    head = json.dumps({**doc, "series": []}, indent=1)
    out.write_text(head.replace('"series": []', '"series": [\n' + rows + "\n ]") + "\n")
    print(f"[chronos-heldout] {len(series)} series, {tail_points} tail points -> {out.relative_to(C.REPO)} "
          f"({out.stat().st_size} bytes)", flush=True)
    return doc


if __name__ == "__main__":
    export()
