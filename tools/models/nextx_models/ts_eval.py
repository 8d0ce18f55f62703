"""Zero-shot evaluation of chronos-corpus through its exported ONNX graph (onnxruntime), and Python baselines.

    tools/models/run.sh chronos-eval [--no-sweep]   (sampling sweep on the validation tails -> `defaults`, `eval_sweep`;
                                                 then `eval` on the test sets, all in models/chronos-corpus/model.json)
    tools/models/run.sh chronos-baselines    (tools/models/.cache/ts-baselines.json: seasonal naive, ETS, ARIMA AIC grid)

Sets:
  * vega: the series, splits and horizons of tools/bench/timeseries-accuracy.ts, read from node_modules/vega-datasets
    (for evaluation only; never trained on): co2-concentration.csv CO2 (season 12, h 24), global-temp.csv temp
    (season 1, h 10), seattle-weather.csv temp_max (season 7, h 28). Train = all but the last h points.
  * corpus: the held-out tails of the training corpus (ts_data: the model trained only on the part before),
    reported for the fertility panel and the other series apart, and together.

Metrics per series: MASE of the median (MAE / in-sample seasonal-naive MAE of the train part, as libs/timeseries
`mase`), WQL over quantiles 0.1..0.9 (2 * sum_t pinball_q / sum_t |y_t|, averaged over q: Chronos / GluonTS
mean_weighted_sum_quantile_loss), CRPS from the sample paths (mean over t of E|X - y| - E|X - X'| / 2; also divided
by mean |y|). Aggregates: geometric and arithmetic means.
"""
from __future__ import annotations

import csv
import json
import math
import os
import time
from pathlib import Path

import numpy as np

from . import common as C
from . import ts_data as D
from . import ts_tokenizer as T

NAME = "chronos-corpus"
VEGA = [  # tools/bench/timeseries-accuracy.ts
    {"name": "co2-concentration (monthly)", "file": "co2-concentration.csv", "column": "CO2", "season": 12, "horizon": 24},
    {"name": "global-temp (yearly)", "file": "global-temp.csv", "column": "temp", "season": 1, "horizon": 10},
    {"name": "seattle temp_max (daily)", "file": "seattle-weather.csv", "column": "temp_max", "season": 7, "horizon": 28},
]
QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
BASELINES = C.CACHE_DIR / "ts-baselines.json"
SEED = 0


def vega_dir() -> Path:
    return Path(os.environ.get("NEXTX_VEGA", C.REPO / "node_modules" / "vega-datasets"))


def vega_series():
    out = []
    for d in VEGA:
        with open(vega_dir() / "data" / d["file"], newline="") as f:
            x = np.array([float(r[d["column"]]) for r in csv.DictReader(f)])
        h = d["horizon"]
        out.append({"set": "vega", "name": d["name"], "train": x[:-h], "test": x[-h:], "season": d["season"], "horizon": h})
    return out


def corpus_series(kind: str = "heldout"):
    """Held-out test tails (kind "heldout") or the validation tails (kind "validation") of the corpus."""
    c = D.load()
    out = []
    for m, x in zip(c["meta"], c["real"]):
        if m.get(kind):
            h = m["horizon"]
            out.append({"set": "corpus-" + D.group_of(m["name"]), "name": m["name"], "train": x[:-h], "test": x[-h:],
                        "season": m["season"], "horizon": h})
    return out


# ---------------------------------------------------------------- metrics (libs/timeseries/src/quality/metrics.ts)


def seasonal_naive_scale(history, m):
    m = max(1, m)
    h = np.asarray(history, np.float64)
    return float(np.mean(np.abs(h[m:] - h[:-m])))


def seasonal_naive(history, horizon, m):
    m = max(1, m)
    return np.array([history[len(history) - m + (i % m)] for i in range(horizon)], np.float64)


def mase(actual, point, history, m):
    return float(np.mean(np.abs(np.asarray(actual) - point)) / seasonal_naive_scale(history, m))


def wql(actual, qpred: dict):
    y = np.asarray(actual, np.float64)
    den = np.sum(np.abs(y))
    ls = []
    for q, p in qpred.items():
        d = y - p
        ls.append(2 * np.sum(np.maximum(q * d, (q - 1) * d)) / den)
    return float(np.mean(ls))


def crps_samples(actual, paths):
    y = np.asarray(actual, np.float64); X = np.asarray(paths, np.float64)      # [N, h]
    a = np.mean(np.abs(X - y[None]), 0)
    b = np.mean(np.abs(X[:, None, :] - X[None, :, :]), (0, 1))
    c = a - 0.5 * b
    return float(np.mean(c)), float(np.sum(c) / np.sum(np.abs(y)))


def gmean(v):
    v = np.asarray(v, np.float64)
    return float(np.exp(np.mean(np.log(np.maximum(v, 1e-12)))))


# ---------------------------------------------------------------- forecasting through the ONNX graph


class OnnxForecaster:
    """What the TypeScript side will do: tokenize, prefill once, tile the cache to N rows, sample N paths step by step."""

    def __init__(self, folder: Path):
        self.man = C.read_json(folder / "model.json")
        g = self.man["contract"]["graphs"]["decoder"]
        self.L, self.H, self.Dh = g["num_layers"], g["num_heads"], g["head_dim"]
        self.sess = C.ort_session(folder / g["file"])

    def _run(self, ids, am, pos, past):
        f = {"input_ids": ids, "attention_mask": am, "position_ids": pos}
        for i, (k, v) in enumerate(past):
            f[f"past_key_values.{i}.key"] = k; f[f"past_key_values.{i}.value"] = v
        o = self.sess.run(None, f)
        return o[0], [(o[1 + 2 * i], o[2 + 2 * i]) for i in range(self.L)]

    def forecast(self, history, horizon, rng, num_paths=None, temperature=None, top_k=None):
        d = self.man["defaults"]
        N = num_paths or d["num_paths"]; temp = temperature or d["temperature"]; k = top_k or d["top_k"]
        assert 1 <= horizon <= self.man["max_horizon"]
        ctx = np.asarray(history, np.float64)[-self.man["context_length"]:]
        loc, scale = T.loc_scale(ctx)
        tok = T.encode(ctx, loc, scale)[None]
        n = tok.shape[1]
        empty = [(np.zeros((1, self.H, 0, self.Dh), np.float32),) * 2 for _ in range(self.L)]
        logits, past = self._run(tok, np.ones((1, n), np.int64), np.arange(n, dtype=np.int64)[None], empty)
        past = [(np.repeat(kk, N, 0), np.repeat(vv, N, 0)) for kk, vv in past]
        last = np.repeat(logits[:, -1], N, 0)
        out = np.zeros((N, horizon), np.int64)
        for s in range(horizon):
            lg = last.astype(np.float64).copy()
            lg[:, :T.N_SPECIAL] = -np.inf
            lg = lg / temp
            if 0 < k < lg.shape[1]:
                kth = np.sort(lg, 1)[:, -k][:, None]
                lg = np.where(lg < kth, -np.inf, lg)
            p = np.exp(lg - lg.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
            cum = np.cumsum(p, 1)
            u = rng.random((N, 1))
            t = np.minimum((cum < u).sum(1), lg.shape[1] - 1)
            out[:, s] = t
            if s + 1 < horizon:
                logits, past = self._run(t[:, None], np.ones((N, n + s + 1), np.int64),
                                         np.full((N, 1), n + s, np.int64), past)
                last = logits[:, -1]
        paths = T.decode(out, loc, scale)
        return paths


def score(ser, paths=None, point=None, qpred=None):
    y, tr, m = ser["test"], ser["train"], ser["season"]
    if paths is not None:
        point = np.median(paths, 0)
        qpred = {q: np.quantile(paths, q, axis=0) for q in QUANTILES}
    r = {"mase": mase(y, point, tr, m), "wql": wql(y, qpred)}
    if paths is not None:
        r["crps"], r["crps_scaled"] = crps_samples(y, paths)
    return r


def summarise(rows: list, key="mase") -> dict:
    out = {}
    for s in sorted({r["set"] for r in rows}) + ["corpus-all"]:
        sel = [r for r in rows if (r["set"] == s or (s == "corpus-all" and r["set"].startswith("corpus")))]
        if not sel:
            continue
        d = {"series": len(sel)}
        for mkey in ("mase", "wql", "crps_scaled"):
            v = [r[mkey] for r in sel if mkey in r]
            if v:
                d[f"{mkey}_gmean"] = round(gmean(v), 4); d[f"{mkey}_mean"] = round(float(np.mean(v)), 4)
        out[s] = d
    return out


def tokenizer_round_trip(sets) -> dict:
    """MASE of the test window passed through encode/decode with the context's loc/scale: the quantization floor, for
    this tokenizer and for Chronos' loc = 0 at the same bin count and range."""
    res = {}
    for ser in sets:
        ctx = ser["train"][-T.CONTEXT_LENGTH:]
        loc, scale = T.loc_scale(ctx)
        ours = T.decode(T.encode(ser["test"], loc, scale), loc, scale)
        s0 = float(np.mean(np.abs(ctx))) or 1.0
        chron = T.decode(T.encode(ser["test"], 0.0, s0), 0.0, s0)
        res[ser["name"]] = {"centred": round(mase(ser["test"], ours, ser["train"], ser["season"]), 5),
                            "chronos_loc0": round(mase(ser["test"], chron, ser["train"], ser["season"]), 5)}
    return {"what": "MASE of decode(encode(test)) with the context's loc / scale (a perfect forecaster's floor)", "series": res}


SWEEP = {"temperature": [0.5, 0.7, 1.0], "top_k": [20, 50, 200]}


def sweep(folder: Path | None = None) -> dict:
    """Picks temperature / top_k on the corpus validation tails (never trained on, disjoint from the test tails): the
    lowest mean over the two groups (fertility panel, others) of the geometric-mean WQL. Writes `defaults` and
    `eval_sweep` into model.json; the test sets are not looked at."""
    folder = folder or (C.MODELS_DIR / NAME)
    fc = OnnxForecaster(folder)
    val = corpus_series("validation")
    rows = []
    for temp in SWEEP["temperature"]:
        for k in SWEEP["top_k"]:
            rng = np.random.default_rng(SEED)
            sc = [{"set": ser["set"], **score(ser, fc.forecast(ser["train"], ser["horizon"], rng, temperature=temp, top_k=k))}
                  for ser in val]
            summ = summarise(sc)
            groups = [v for g, v in summ.items() if g != "corpus-all"]
            obj = float(np.mean([g["wql_gmean"] for g in groups]))
            rows.append({"temperature": temp, "top_k": k, "objective": round(obj, 5), "summary": summ})
            print(f"[chronos-sweep] temperature {temp} top_k {k}: objective {obj:.4f} "
                  f"(mase gmean {summ['corpus-all']['mase_gmean']}, wql gmean {summ['corpus-all']['wql_gmean']})", flush=True)
    best = min(rows, key=lambda r: r["objective"])
    man = C.read_json(folder / "model.json")
    man["defaults"]["temperature"], man["defaults"]["top_k"] = best["temperature"], best["top_k"]
    man["eval_sweep"] = {"set": f"corpus validation tails ({len(val)} series, never trained on, disjoint from the test tails)",
                         "objective": "mean over the groups (fertility panel, others) of the geometric-mean WQL; lower is better",
                         "grid": SWEEP, "num_paths": man["defaults"]["num_paths"], "picked": {"temperature": best["temperature"], "top_k": best["top_k"]},
                         "chronos_defaults": {"temperature": 1.0, "top_k": 50}, "rows": rows}
    C.write_json(folder / "model.json", man)
    print(f"[chronos-sweep] picked temperature {best['temperature']} top_k {best['top_k']}", flush=True)
    return best


def run(folder: Path | None = None, do_sweep: bool = True):
    folder = folder or (C.MODELS_DIR / NAME)
    if do_sweep:
        sweep(folder)
    fc = OnnxForecaster(folder)
    rng = np.random.default_rng(SEED)
    sets = vega_series() + corpus_series()
    rows = []
    t0 = time.time()
    for ser in sets:
        paths = fc.forecast(ser["train"], ser["horizon"], rng)
        r = {"set": ser["set"], "name": ser["name"], "n_train": int(len(ser["train"])), "horizon": ser["horizon"],
             "season": ser["season"], **{k: round(v, 5) for k, v in score(ser, paths).items()}}
        rows.append(r)
        if ser["set"] == "vega":
            print(f"[chronos-eval] {r}", flush=True)
    sec = round(time.time() - t0, 1)
    ev = {"command": "tools/models/run.sh chronos-eval", "through": "models/chronos-corpus/decoder_model_merged.onnx with onnxruntime (Python), OnnxForecaster in nextx_models/ts_eval.py",
          "sampling": {**fc.man["defaults"], "seed": SEED, "rng": "numpy default_rng(0), inverse-CDF draws, series in the order listed"},
          "seconds": sec, "summary": summarise(rows), "per_series": rows}
    if BASELINES.exists():
        b = C.read_json(BASELINES)
        ev["baselines"] = {"note": "Python side-by-side figures on the same windows (the TypeScript bench does the official comparison)",
                           "methods": b["methods"],
                           "summary": {meth: summarise([r for r in b["rows"] if r["method"] == meth]) for meth in b["methods"]},
                           "per_series": b["rows"]}
    man = C.read_json(folder / "model.json")
    man["eval"] = ev
    man["tokenizer"]["round_trip"] = tokenizer_round_trip([s for s in sets if s["set"] == "vega"])
    C.write_json(folder / "model.json", man)
    print(f"[chronos-eval] {json.dumps(ev['summary'])}", flush=True)
    if "baselines" in ev:
        for meth, s in ev["baselines"]["summary"].items():
            print(f"[chronos-eval] baseline {meth}: {json.dumps(s)}", flush=True)
    return ev


# ---------------------------------------------------------------- baselines


def _arima_grid(y, m, h):
    """A small AutoARIMA: d by KPSS (at most 2), D = 1 when m > 1 and the seasonal difference varies less than the first
    difference;
    (p, q) in 0..2 with p + q <= 3, (P, Q) in 0..1 when m > 1; lowest AICc; Gaussian quantiles."""
    import warnings
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    from statsmodels.tsa.stattools import kpss
    from scipy.stats import norm
    y = np.asarray(y, np.float64)
    D_ = 0
    if m > 1 and len(y) > 3 * m and np.var(y[m:] - y[:-m]) < np.var(np.diff(y)):
        D_ = 1
    z = y[m:] - y[:-m] if D_ else y
    d = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while d < 2:
            try:
                if kpss(z, regression="c", nlags="auto")[1] >= 0.05:
                    break
            except Exception:
                break
            z = np.diff(z); d += 1
        best = None
        seas = [(0, 0), (1, 0), (0, 1), (1, 1)] if m > 1 else [(0, 0)]
        for p in range(3):
            for q in range(3):
                if p + q > 3:
                    continue
                for P, Q in seas:
                    try:
                        trend = "c" if d + D_ == 0 else ("t" if d + D_ == 1 else "n")
                        mod = SARIMAX(y, order=(p, d, q), seasonal_order=(P, D_, Q, m) if m > 1 else (0, 0, 0, 0),
                                      trend=trend)
                        r = mod.fit(disp=False, maxiter=50)
                        if np.isfinite(r.aicc) and (best is None or r.aicc < best[0]):
                            best = (r.aicc, r, (p, d, q, P, D_, Q, m))
                    except Exception:
                        continue
    _, r, order = best
    f = r.get_forecast(h)
    mu, se = np.asarray(f.predicted_mean), np.sqrt(np.asarray(f.var_pred_mean))
    return mu, {q: mu + norm.ppf(q) * se for q in QUANTILES}, order


def _ets(y, m, h):
    """statsmodels ETSModel: additive error, additive damped trend, additive season when m > 1 and >= 2 seasons."""
    import warnings
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    y = pd.Series(np.asarray(y, np.float64))          # statsmodels 0.13's ETS prediction needs an index
    seasonal = "add" if m > 1 and len(y) >= 2 * m + 2 else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = ETSModel(y, error="add", trend="add", damped_trend=True, seasonal=seasonal,
                     seasonal_periods=m if seasonal else None).fit(disp=False, maxiter=200)
        p = r.get_prediction(start=len(y), end=len(y) + h - 1)
        mu = np.asarray(p.predicted_mean)
        qs = {}
        for q in QUANTILES:
            lo = p.pred_int(alpha=2 * min(q, 1 - q))
            lo = np.asarray(lo)
            qs[q] = lo[:, 0] if q < 0.5 else (lo[:, 1] if q > 0.5 else mu)
    return mu, qs


def baselines():
    sets = vega_series() + corpus_series()
    rows = []
    t0 = time.time()
    for ser in sets:
        y, h, m = ser["train"], ser["horizon"], ser["season"]
        sn = seasonal_naive(y, h, m)
        rows.append({"method": "seasonal-naive", "set": ser["set"], "name": ser["name"],
                     **{k: round(v, 5) for k, v in score(ser, point=sn, qpred={q: sn for q in QUANTILES}).items()}})
        try:
            mu, qs = _ets(y, m, h)
            rows.append({"method": "ets", "set": ser["set"], "name": ser["name"],
                         **{k: round(v, 5) for k, v in score(ser, point=mu, qpred=qs).items()}})
        except Exception as e:
            print(f"[baselines] ets failed on {ser['name']}: {e}", flush=True)
        mu, qs, order = _arima_grid(y, m, h)
        rows.append({"method": "arima-aicc-grid", "set": ser["set"], "name": ser["name"], "order": list(order),
                     **{k: round(v, 5) for k, v in score(ser, point=mu, qpred=qs).items()}})
        print(f"[baselines] {ser['name']} ({time.time() - t0:.0f}s): " + ", ".join(
            f"{r['method']} mase {r['mase']:.3f} wql {r['wql']:.3f}" for r in rows if r["name"] == ser["name"]), flush=True)
    out = {"methods": ["seasonal-naive", "ets", "arima-aicc-grid"],
           "notes": {"seasonal-naive": "point only: every quantile = the point forecast (as the bench's seasonal naive)",
                     "ets": _ets.__doc__.strip(), "arima-aicc-grid": " ".join(_arima_grid.__doc__.split())},
           "seconds": round(time.time() - t0, 1), "rows": rows}
    C.write_json(BASELINES, out)
    return out


if __name__ == "__main__":
    import sys
    if sys.argv[1:] == ["baselines"]:
        baselines()
    else:
        run(do_sweep="--no-sweep" not in sys.argv[1:])
