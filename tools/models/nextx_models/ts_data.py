"""Training corpus of the chronos reference model: real series bundled inside registry packages, plus KernelSynth.

    tools/models/run.sh ts-data          (writes tools/models/.cache/ts-corpus.npz + ts-corpus.json)

Sources (nothing is downloaded at run time):
  * R's `datasets` package (Debian r-base-core): every numeric `ts` / `mts` object, dumped with Rscript, plus three
    daily / 10-minute data.frame columns (airquality$Temp, beaver1$temp, beaver2$temp).
  * statsmodels' bundled datasets (Debian python3-statsmodels): co2 (weekly), elnino (monthly), macrodata
    (quarterly), sunspots, nile, fertility (yearly, per country), elec_equip, interest_inflation, danish_data.
  * sktime's bundled forecasting datasets (PyPI wheel, read as files from the installed package; sktime is never
    imported): Airline, Lynx, PBS_dataset, ShampooSales, Uschange, solar, segmentation/{GunPoint,ElectricDevices}.
  * KernelSynth (Ansari et al. 2024, Chronos appendix): GP samples from random sums/products of periodic, RBF,
    rational-quadratic, linear, constant and white-noise kernels; numpy, fixed seed.

npm vega-datasets is never read here: it is the evaluation set (ts_eval.py).

Split: exact duplicates across packages are dropped (first one kept); a fixed 20 % of the remaining real series
(per group: the statsmodels fertility panel and all others; seeded permutation, among those long enough and without a relative in the corpus) are "corpus held-out": their
last `horizon` points are the eval tail and only the part before it is trained on; a further 10 % get validation
tails the same way (never trained on; they pick the sampling defaults).
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.metadata as md
import importlib.util
import json
import subprocess
from pathlib import Path

import numpy as np

from . import common as C

CACHE_NPZ = C.CACHE_DIR / "ts-corpus.npz"
CACHE_JSON = C.CACHE_DIR / "ts-corpus.json"
MIN_LENGTH = 36
HOLDOUT_SHARE = 0.2
VALIDATION_SHARE = 0.1
SEED = 0
SYNTH_COUNT = 3000
SYNTH_LENGTH = 512

# (horizon, MASE season) per sampling frequency, M4-style horizons
FREQ_RULES = {"yearly": (6, 1), "quarterly": (8, 4), "monthly": (18, 12), "weekly": (13, 1), "daily": (14, 7),
              "business-daily": (30, 5), "hourly": (48, 24), "half-hourly": (48, 48), "other": (8, 1)}

# Series measured at several frequencies in different packages, or sums of each other (ldeaths = mdeaths + fdeaths):
# a tail held out in one would be seen in another, so they are never held out.
RELATED = ("co2", "sunspot", "nile", "lynx", "airpassengers", "airline", "deaths")

R_SCRIPT = r"""
suppressMessages(library(datasets))
items <- data(package = "datasets")$results[, "Item"]
emit <- function(nm, f, x) cat(nm, f, paste(format(as.numeric(x), digits = 15, trim = TRUE), collapse = ","), sep = "\t", "\n")
for (item in items) {
  nm <- sub(" .*", "", item)
  obj <- tryCatch(get(nm, envir = as.environment("package:datasets")), error = function(e) NULL)
  if (is.null(obj) || !is.ts(obj) || !is.numeric(obj)) next
  if (is.matrix(obj)) { for (j in seq_len(ncol(obj))) emit(paste0(nm, "$", colnames(obj)[j]), frequency(obj), obj[, j]) }
  else emit(nm, frequency(obj), obj)
}
emit("airquality$Temp", 365, airquality$Temp)
emit("beaver1$temp", 144, beaver1$temp)
emit("beaver2$temp", 144, beaver2$temp)
cat("#version", as.character(packageVersion("datasets")), R.version.string, sep = "\t", "\n")
"""


def _freq_of_r(f: float) -> str:
    return {1: "yearly", 4: "quarterly", 12: "monthly", 52: "weekly", 365: "daily", 260: "business-daily",
            144: "other"}.get(int(round(f)), "other")


def _interp_nan(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float64)
    bad = ~np.isfinite(x)
    if bad.any() and (~bad).sum() >= 2:
        idx = np.arange(len(x))
        x = x.copy(); x[bad] = np.interp(idx[bad], idx[~bad], x[~bad])
    return x


def r_datasets():
    out = subprocess.run(["Rscript", "--vanilla", "-e", R_SCRIPT], check=True, capture_output=True, text=True).stdout
    series, version = [], None
    for line in out.splitlines():
        parts = line.rstrip(" \n").split("\t")
        if parts[0] == "#version":
            version = {"package": "R datasets", "version": parts[1], "r": parts[2].strip()}
            continue
        name, f, vals = parts[0], float(parts[1]), parts[2]
        if name == "Seatbelts$law":
            continue                                     # a 0/1 indicator, not a measured series
        x = np.array([float(v) if v != "NA" else np.nan for v in vals.split(",")])
        series.append({"name": f"R:{name}", "source": "r-datasets", "freq": _freq_of_r(f), "values": _interp_nan(x)})
    return series, version


def statsmodels_datasets():
    import statsmodels
    series = []

    def add(name, freq, x):
        series.append({"name": f"statsmodels:{name}", "source": "statsmodels", "freq": freq, "values": _interp_nan(x)})

    load = lambda n: importlib.import_module(f"statsmodels.datasets.{n}").load_pandas().data
    add("co2", "weekly", load("co2")["co2"].to_numpy())
    el = load("elnino")
    add("elnino", "monthly", el.drop(columns=["YEAR"]).to_numpy().reshape(-1))
    mac = load("macrodata")
    for c in mac.columns:
        if c not in ("year", "quarter"):
            add(f"macrodata.{c}", "quarterly", mac[c].to_numpy())
    add("sunspots", "yearly", load("sunspots")["SUNACTIVITY"].to_numpy())
    add("nile", "yearly", load("nile")["volume"].to_numpy())
    fe = load("fertility")
    years = [c for c in fe.columns if c.isdigit()]
    for _, row in fe.iterrows():
        x = row[years].to_numpy(dtype=np.float64)
        ok = np.flatnonzero(np.isfinite(x))
        x = x[ok[0]:ok[-1] + 1] if len(ok) else x[:0]     # recent years are not filled in yet: trim the NaN ends
        if len(x) and np.isfinite(x).all():
            add(f"fertility.{row['Country Code']}", "yearly", x)
    ee = load("elec_equip")
    add("elec_equip", "monthly", ee.iloc[:, 0].to_numpy())
    ii = load("interest_inflation")
    for c in ("Dp", "R"):
        add(f"interest_inflation.{c}", "quarterly", ii[c].to_numpy())
    dd = load("danish_data")
    for c in dd.columns:
        if c != "period":
            add(f"danish_data.{c}", "quarterly", dd[c].to_numpy())
    return series, {"package": "python3-statsmodels (Debian)", "version": statsmodels.__version__}


def sktime_datasets():
    """Reads the CSV files of sktime's bundled forecasting datasets straight from the installed wheel."""
    import pandas as pd
    spec = importlib.util.find_spec("sktime")          # finds the package without importing it
    if spec is None:
        raise SystemExit("sktime is not installed: run tools/models/setup.sh")
    root = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data"
    series = []

    def add(name, freq, x, file):
        series.append({"name": f"sktime:{name}", "source": "sktime", "freq": freq, "values": _interp_nan(x), "file": file})

    add("Airline", "monthly", pd.read_csv(root / "Airline/Airline.csv")["Passengers"].to_numpy(float), "Airline/Airline.csv")
    add("Lynx", "yearly", pd.read_csv(root / "Lynx/Lynx.csv").iloc[:, 1].to_numpy(float), "Lynx/Lynx.csv")
    add("PBS_dataset", "monthly", pd.read_csv(root / "PBS_dataset/PBS_dataset.csv")["Scripts"].to_numpy(float), "PBS_dataset/PBS_dataset.csv")
    add("ShampooSales", "monthly", pd.read_csv(root / "ShampooSales/ShampooSales.csv")["Sales"].to_numpy(float), "ShampooSales/ShampooSales.csv")
    us = pd.read_csv(root / "Uschange/Uschange.csv")
    for c in ("Consumption", "Income", "Production", "Savings", "Unemployment"):
        add(f"Uschange.{c}", "quarterly", us[c].to_numpy(float), "Uschange/Uschange.csv")
    add("solar", "half-hourly", pd.read_csv(root / "solar/solar.csv")["solar_gen"].to_numpy(float), "solar/solar.csv")
    for n in ("GunPoint", "ElectricDevices"):
        add(f"segmentation.{n}", "other", pd.read_csv(root / f"segmentation/{n}.csv", header=None).iloc[:, 1].to_numpy(float),
            f"segmentation/{n}.csv")
    return series, {"package": "sktime (PyPI wheel, data files only)", "version": md.version("sktime"),
                    "root": "sktime/datasets/data"}


# ---------------------------------------------------------------- KernelSynth

SYNTH_PERIODS = [24, 48, 96, 168, 7, 14, 30, 60, 4, 26, 52, 6, 12, 40, 10]


def _kernel_bank(x: np.ndarray, L: int):
    d = x[:, None] - x[None, :]
    bank = []
    for p in SYNTH_PERIODS:
        per = p / L
        bank.append(("periodic", np.exp(-2.0 * np.sin(np.pi * np.abs(d) / per) ** 2)))
    for s0 in (0.0, 1.0, 10.0):
        bank.append(("linear", s0 ** 2 + x[:, None] * x[None, :]))
    for ls in (0.1, 1.0, 10.0):
        bank.append(("rbf", np.exp(-d ** 2 / (2 * ls ** 2))))
    for a in (0.1, 1.0, 10.0):
        bank.append(("rational_quadratic", (1 + d ** 2 / (2 * a)) ** (-a)))
    for nl in (0.1, 1.0):
        bank.append(("white", nl * np.eye(L)))
    bank.append(("constant", np.ones((L, L))))
    return bank


def kernel_synth(count: int = SYNTH_COUNT, length: int = SYNTH_LENGTH, seed: int = SEED, max_kernels: int = 5):
    """KernelSynth: for each series draw 1..max_kernels kernels from the bank (with replacement), join them with random
    + / *, and draw one GP sample on x = linspace(0, 1, length)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, length)
    bank = _kernel_bank(x, length)
    out, recipes = [], []
    while len(out) < count:
        j = int(rng.integers(1, max_kernels + 1))
        picks = rng.integers(0, len(bank), j)
        K = bank[picks[0]][1].copy(); recipe = bank[picks[0]][0]
        for p in picks[1:]:
            if rng.random() < 0.5:
                K = K + bank[p][1]; recipe += " + " + bank[p][0]
            else:
                K = K * bank[p][1]; recipe += " * " + bank[p][0]
        try:
            Lc = np.linalg.cholesky(K + 1e-6 * np.eye(length))
        except np.linalg.LinAlgError:
            w, V = np.linalg.eigh(K)
            Lc = V * np.sqrt(np.clip(w, 0, None))
        y = Lc @ rng.standard_normal(length)
        if not np.isfinite(y).all() or np.std(y) < 1e-8:
            continue
        out.append(y.astype(np.float32)); recipes.append(recipe)
    return np.stack(out), recipes


# ---------------------------------------------------------------- split


def group_of(name: str) -> str:
    """The 200-odd statsmodels fertility curves are one panel: held out, sampled and reported as a group."""
    return "fertility" if name.startswith("statsmodels:fertility.") else "other"


def _key(x: np.ndarray) -> str:
    return hashlib.sha1(np.round(np.asarray(x, np.float64), 6).tobytes()).hexdigest()


def _contains(hay: np.ndarray, needle: np.ndarray) -> bool:
    n = len(needle)
    if len(hay) < n:
        return False
    w = np.lib.stride_tricks.sliding_window_view(np.round(hay, 6), n)
    return bool(np.any(np.all(w == np.round(needle, 6), axis=1)))


def build():
    r, rv = r_datasets()
    s, sv = statsmodels_datasets()
    k, kv = sktime_datasets()
    raw = r + s + k
    seen, real, dropped = {}, [], []
    for ser in raw:
        x = ser["values"]
        if len(x) < MIN_LENGTH or not np.isfinite(x).all() or np.ptp(x) == 0:
            dropped.append({"name": ser["name"], "why": f"length {len(x)} < {MIN_LENGTH} or constant / non-finite"})
            continue
        key = _key(x)
        if key in seen:
            dropped.append({"name": ser["name"], "why": f"exact duplicate of {seen[key]}"}); continue
        seen[key] = ser["name"]
        h, m = FREQ_RULES[ser["freq"]]
        real.append({**ser, "horizon": h, "season": m})
    # held-out candidates: long enough, no relative in another package, tail not contained in any other series
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(real))
    groups = [group_of(ser["name"]) for ser in real]
    target = {g: int(round(HOLDOUT_SHARE * groups.count(g))) for g in set(groups)}
    vtarget = {g: int(round(VALIDATION_SHARE * groups.count(g))) for g in set(groups)}
    held, val = [], []

    def eligible(i):
        ser = real[i]; x = ser["values"]; h, m = ser["horizon"], ser["season"]
        if any(t in ser["name"].lower() for t in RELATED) or len(x) - h < max(3 * m, 30):
            return False
        return not any(_contains(o["values"], x[-h:]) for j, o in enumerate(real) if j != i)

    for i in order:                       # test tails first, then (same permutation) the validation tails
        if sum(groups[j] == groups[i] for j in held) < target[groups[i]]:
            if eligible(i):
                held.append(i)
        elif sum(groups[j] == groups[i] for j in val) < vtarget[groups[i]] and eligible(i):
            val.append(i)
    held_set = set(int(i) for i in held)
    meta, chunks = [], []
    for i, ser in enumerate(real):
        x = ser["values"].astype(np.float64)
        h = ser["horizon"]
        ho = i in held_set
        va = i in val
        train = x[:-h] if ho or va else x
        meta.append({"name": ser["name"], "source": ser["source"], "group": group_of(ser["name"]), "freq": ser["freq"], "length": int(len(x)),
                     "season": ser["season"], "horizon": h, "heldout": ho, "validation": va, "train_length": int(len(train)),
                     **({"file": ser["file"]} if "file" in ser else {})})
        chunks.append(x)
    synth, recipes = kernel_synth()
    offs = np.cumsum([0] + [len(c) for c in chunks])
    np.savez_compressed(CACHE_NPZ, values=np.concatenate(chunks), offsets=offs, synth=synth)
    by_source = {}
    for mm in meta:
        b = by_source.setdefault(mm["source"], {"series": 0, "points": 0, "heldout_series": 0})
        b["series"] += 1; b["points"] += mm["length"]; b["heldout_series"] += int(mm["heldout"])
    prov = {
        "sources": {"r-datasets": rv, "statsmodels": sv, "sktime": kv},
        "counts": {"real_series": len(meta), "real_points": int(offs[-1]), "by_source": by_source,
                   "heldout_series": len(held), "validation_series": len(val), "heldout_tail_points": int(sum(mm["horizon"] for mm in meta if mm["heldout"])),
                   "dropped": len(dropped), "synthetic_series": int(len(synth)), "synthetic_length": SYNTH_LENGTH},
        "split": (f"exact duplicates dropped; a seeded ({SEED}) {int(HOLDOUT_SHARE * 100)} % of the real series of each group (the statsmodels fertility panel; all others), among those with "
                  f"train part >= max(3 x season, 30), no relative measured at another frequency in another package "
                  f"({', '.join(RELATED)}), and a tail found in no other series) have their last `horizon` points held out: "
                  "the model trains only on the part before. A further "
                  f"{int(VALIDATION_SHARE * 100)} % (same rules, next in the permutation) have validation tails, also never trained on, "
                  "used only to pick the sampling defaults (ts_eval.sweep)"),
        "frequency_rules": {k2: {"horizon": v[0], "season": v[1]} for k2, v in FREQ_RULES.items()},
        "missing_values": "linearly interpolated (statsmodels co2 weekly, a few R series)",
        "synthetic": {"method": "KernelSynth (Chronos, Ansari et al. 2024): GP samples, kernels joined by random + / *",
                      "count": int(len(synth)), "length": SYNTH_LENGTH, "max_kernels": 5, "seed": SEED,
                      "kernel_bank": {"periodic (ExpSineSquared, length scale 1)": SYNTH_PERIODS,
                                      "linear (DotProduct) sigma_0": [0, 1, 10], "rbf length scale": [0.1, 1, 10],
                                      "rational_quadratic alpha": [0.1, 1, 10], "white noise": [0.1, 1], "constant": [1]},
                      "recipes_sample": recipes[:10]},
        "not_used": "npm vega-datasets (the evaluation set) is never read for training",
        "overlap_note": ("R co2 (Mauna Loa monthly 1959-1997) and statsmodels co2 (weekly 1958-2001) measure the same quantity "
                         "as the vega CO2 series; its test window (the last 24 months, 2018-2020) lies after both"),
        "dropped": dropped,
        "series": meta,
    }
    C.write_json(CACHE_JSON, prov)
    print(f"[ts-data] {len(meta)} real series ({offs[-1]} points; {len(held)} with held-out tails), {len(dropped)} dropped, "
          f"{len(synth)} KernelSynth series of {SYNTH_LENGTH}", flush=True)
    for src, b in by_source.items():
        print(f"[ts-data]   {src}: {b}", flush=True)
    return prov


def load():
    """dict: meta (list), real (list of float64 arrays, full series), synth [N, L] float32, provenance."""
    if not CACHE_NPZ.exists() or not CACHE_JSON.exists():
        build()
    z = np.load(CACHE_NPZ)
    prov = C.read_json(CACHE_JSON)
    v, o = z["values"], z["offsets"]
    real = [v[o[i]:o[i + 1]] for i in range(len(o) - 1)]
    return {"meta": prov["series"], "real": real, "synth": z["synth"], "provenance": prov}


def provenance_summary(prov: dict) -> dict:
    return {k: prov[k] for k in ("sources", "counts", "split", "frequency_rules", "missing_values", "synthetic", "not_used",
                                  "overlap_note")}


if __name__ == "__main__":
    C.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    build()
