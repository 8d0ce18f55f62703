"""3D shapes: KiCad's CAD part models (Debian kicad-packages3d) as 16^3 solid occupancy grids, and their octree tokens.

    tools/models/run.sh shape-data     # .deb -> chosen class folders -> parse VRML -> voxelise -> dedupe -> split

Data: `apt-get download kicad-packages3d` (Debian bookworm 6.0.10-1, never installed) into tools/models/.cache/, only
the class folders of CLASSES extracted (dpkg-deb --fsys-tarfile | tar -x --wildcards). Each `.wrl` (VRML 2.0, KiCad
StepUp export: flat `Shape { geometry IndexedFaceSet { coordIndex [...] coord Coordinate { point [...] } } }`, no
Transform nodes) is parsed, all its shapes merged, the bounding box centred, the longest side scaled to 1, and
voxelised at 16^3: surface voxels from dense barycentric sampling of every triangle (spacing 1/64 = a quarter voxel),
then the interior filled (scipy.ndimage.binary_fill_holes). Near-duplicates (parts that differ by a pin count or a
value): a shape whose voxel IoU with an already kept shape of its class (files in name order) is >= 0.95 is dropped.
Split: per class a seeded 15 % (rng seed 0) is the held-out test split.

Grid layout everywhere: array vox[z, y, x] (numpy C order), so the flat index is x + 16 * (y + 16 * z) (x fastest);
KiCad's z axis is the board normal (up).

Octree tokens (TOKENS below, the contract the TypeScript side implements): levels k = 0..3, resolution r_k = 2^k;
node n = x + r_k (y + r_k z) of level k has the token sum_i 2^i [child i occupied], i = dx + 2 dy + 4 dz, child
(2x+dx, 2y+dy, 2z+dz) at resolution 2 r_k, occupied when any 16^3 voxel inside it is (max-pool). Sequence: levels in
order, 1 + 8 + 64 + 512 = 585 tokens; level 3 alone is the 16^3 grid.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
from pathlib import Path

import numpy as np

from . import common as C

PACKAGE = "kicad-packages3d"
VERSION = "6.0.10-1"
DEB = f"{PACKAGE}_{VERSION}_all.deb"
ROOT_IN_DEB = "usr/share/kicad/3dmodels"
# class id = position in this list
CLASSES = ["Capacitor_THT", "Resistor_THT", "Package_DIP", "Package_SO", "Connector_PinHeader_2.54mm", "Crystal",
           "LED_THT", "Package_TO_SOT_THT"]
GRID = 16
LEVELS = 4
LEVEL_RES = [1, 2, 4, 8]
LEVEL_LEN = [r ** 3 for r in LEVEL_RES]            # 1, 8, 64, 512
LEVEL_START = [0, 1, 9, 73]
SEQ = 585
DEDUP_IOU = 0.95
TEST_FRACTION = 0.15
SPLIT_SEED = 0
SAMPLE_SPACING = 1.0 / 64
DATA_NPZ = "shapes16.npz"
DATA_JSON = "shapes16.json"

TOKENS = {
    "grid": [GRID, GRID, GRID],
    "grid_layout": "occupancy[x + 16 * (y + 16 * z)] (x fastest); as a tensor [1, 16, 16, 16] = [channel, z, y, x]",
    "levels": LEVELS,
    "level_resolution": LEVEL_RES,
    "level_tokens": LEVEL_LEN,
    "level_start": LEVEL_START,
    "sequence_length": SEQ,
    "vocab": 256,
    "node_order": "raster within a level: n = x + r * (y + r * z), r = 2^k",
    "token": "token(node (x, y, z) of level k) = sum over i = dx + 2 dy + 4 dz of 2^i * occ_{2r}(2x + dx, 2y + dy, 2z + dz)",
    "occupancy_at_resolution": "occ_R(X, Y, Z) = max of the 16^3 voxels in the (16 / R)^3 block at (X, Y, Z) (max-pool); occ_16 = the grid",
    "parent": "node (x, y, z) of level k >= 1 has parent (x >> 1, y >> 1, z >> 1) at level k - 1 and child index c = (x & 1) + 2 (y & 1) + 4 (z & 1)",
    "consistency": "a node whose parent's bit c is 0 has token 0; a node whose parent's bit is 1 has a token in 1..255; the root token is non-zero for a non-empty shape",
    "level_3": "the 512 tokens of level 3 alone determine the 16^3 grid (each is one 2x2x2 block of voxels)",
}


# ---------------------------------------------------------------- octree tokens

def pool(vox: np.ndarray, res: int) -> np.ndarray:
    """(..., 16, 16, 16) [z, y, x] bool -> (..., res, res, res) max-pooled occupancy."""
    f = GRID // res
    s = vox.shape[:-3]
    return vox.reshape(*s, res, f, res, f, res, f).max(axis=(-5, -3, -1))


def child_codes(occ2: np.ndarray) -> np.ndarray:
    """occupancy at resolution 2r (..., 2r, 2r, 2r) [z, y, x] -> tokens (..., r^3) in raster order of the parents."""
    s = occ2.shape[:-3]
    r = occ2.shape[-1] // 2
    a = occ2.reshape(*s, r, 2, r, 2, r, 2).astype(np.int64)  # z, dz, y, dy, x, dx
    tok = np.zeros((*s, r, r, r), np.int64)
    for dz in range(2):
        for dy in range(2):
            for dx in range(2):
                tok |= a[..., :, dz, :, dy, :, dx] << (dx + 2 * dy + 4 * dz)
    return tok.reshape(*s, r ** 3)


def octree_tokens(vox: np.ndarray) -> np.ndarray:
    """(..., 16, 16, 16) bool -> (..., 585) int64: levels 0..3 in order."""
    return np.concatenate([child_codes(pool(vox, 2 * r)) for r in LEVEL_RES], axis=-1)


def level3_to_voxels(tok: np.ndarray) -> np.ndarray:
    """(..., 512) level-3 tokens -> (..., 16, 16, 16) bool [z, y, x]."""
    s = tok.shape[:-1]
    t = tok.reshape(*s, 8, 8, 8)
    out = np.zeros((*s, 8, 2, 8, 2, 8, 2), bool)
    for dz in range(2):
        for dy in range(2):
            for dx in range(2):
                out[..., :, dz, :, dy, :, dx] = (t >> (dx + 2 * dy + 4 * dz)) & 1
    return out.reshape(*s, 16, 16, 16)


def parent_index() -> tuple[np.ndarray, np.ndarray]:
    """For every position p >= 1 of the sequence: the position of its parent node and its child index c (p = 0: -1, 0)."""
    par = np.full(SEQ, -1, np.int64)
    cid = np.zeros(SEQ, np.int64)
    for k in range(1, LEVELS):
        r = LEVEL_RES[k]
        for z in range(r):
            for y in range(r):
                for x in range(r):
                    p = LEVEL_START[k] + x + r * (y + r * z)
                    h = r // 2
                    par[p] = LEVEL_START[k - 1] + (x >> 1) + h * ((y >> 1) + h * (z >> 1))
                    cid[p] = (x & 1) + 2 * (y & 1) + 4 * (z & 1)
    return par, cid


def check_consistent(tok: np.ndarray) -> bool:
    par, cid = parent_index()
    bit = (tok[..., par[1:]] >> cid[1:]) & 1
    t = tok[..., 1:]
    return bool(np.all((bit == 0) == (t == 0)) and np.all(tok[..., 0] > 0))


# ---------------------------------------------------------------- VRML

_IFS = re.compile(r"\bIndexedFaceSet\b")
_CI = re.compile(r"\bcoordIndex\s*\[([^\]]*)\]")
_PT = re.compile(r"\bpoint\s*\[([^\]]*)\]")


def _nums(s: str, dtype) -> np.ndarray:
    s = s.replace(",", " ")
    return np.array(s.split(), dtype=np.float64).astype(dtype) if s.strip() else np.zeros(0, dtype)


def parse_wrl(text: str) -> tuple[np.ndarray, int]:
    """All triangles of all IndexedFaceSets of a file, (T, 3, 3) float64, and the number of shapes.
    Polygons (index runs ended by -1) are fan-triangulated; out-of-range indices dropped."""
    text = re.sub(r"#[^\n]*", "", text)
    parts = _IFS.split(text)[1:]
    tris = []
    for chunk in parts:
        ci, pt = _CI.search(chunk), _PT.search(chunk)
        if not ci or not pt:
            continue
        pts = _nums(pt.group(1), np.float64)
        pts = pts[: len(pts) // 3 * 3].reshape(-1, 3)
        idx = _nums(ci.group(1), np.int64)
        if not len(pts) or not len(idx):
            continue
        ends = np.flatnonzero(idx < 0)
        starts = np.concatenate([[0], ends + 1])
        ends = np.concatenate([ends, [len(idx)]])
        faces = []
        for a, b in zip(starts, ends):
            poly = idx[a:b]
            if len(poly) < 3:
                continue
            if len(poly) == 3:
                faces.append(poly[None])
            else:
                faces.append(np.stack([np.full(len(poly) - 2, poly[0]), poly[1:-1], poly[2:]], 1))
        if not faces:
            continue
        f = np.concatenate(faces)
        f = f[(f < len(pts)).all(1) & (f >= 0).all(1)]
        tris.append(pts[f])
    if not tris:
        return np.zeros((0, 3, 3)), 0
    return np.concatenate(tris), len(tris)


def normalise(tris: np.ndarray) -> np.ndarray:
    lo, hi = tris.reshape(-1, 3).min(0), tris.reshape(-1, 3).max(0)
    return (tris - (lo + hi) / 2) / max(float((hi - lo).max()), 1e-12)


def sample_surface(tris: np.ndarray, spacing: float = SAMPLE_SPACING) -> np.ndarray:
    """Barycentric grid points of every triangle with k = ceil(longest edge / spacing) subdivisions per edge."""
    e = np.stack([np.linalg.norm(tris[:, 1] - tris[:, 0], axis=1), np.linalg.norm(tris[:, 2] - tris[:, 1], axis=1),
                  np.linalg.norm(tris[:, 0] - tris[:, 2], axis=1)], 1).max(1)
    k = np.maximum(1, np.ceil(e / spacing)).astype(np.int64)
    out = [tris.reshape(-1, 3)]
    for kk in np.unique(k):
        t = tris[k == kk]
        i, j = np.meshgrid(np.arange(kk + 1), np.arange(kk + 1), indexing="ij")
        m = i + j <= kk
        u, v = i[m] / kk, j[m] / kk
        w = 1 - u - v
        p = (w[None, :, None] * t[:, None, 0] + u[None, :, None] * t[:, None, 1] + v[None, :, None] * t[:, None, 2])
        out.append(p.reshape(-1, 3))
    return np.concatenate(out)


def voxelise(tris: np.ndarray) -> np.ndarray:
    """Normalised triangles -> (16, 16, 16) bool [z, y, x], solid."""
    from scipy import ndimage
    p = sample_surface(normalise(tris))
    ijk = np.clip(np.floor((p + 0.5) * GRID).astype(np.int64), 0, GRID - 1)
    vox = np.zeros((GRID, GRID, GRID), bool)
    vox[ijk[:, 2], ijk[:, 1], ijk[:, 0]] = True
    return ndimage.binary_fill_holes(vox)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (N, 4096) bool, b (M, 4096) bool -> (N, M) IoU (1 for two empty shapes)."""
    a = a.reshape(len(a), -1).astype(np.float32); b = b.reshape(len(b), -1).astype(np.float32)
    inter = a @ b.T
    union = a.sum(1)[:, None] + b.sum(1)[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


# ---------------------------------------------------------------- build

def deb_path() -> Path:
    return C.CACHE_DIR / DEB


def ensure_extracted() -> Path:
    root = C.CACHE_DIR / "kicad3d"
    deb = deb_path()
    if not deb.exists():
        C.CACHE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", f"{PACKAGE}={VERSION}"], cwd=C.CACHE_DIR, check=True)
    missing = [c for c in CLASSES if not (root / ROOT_IN_DEB / f"{c}.3dshapes").is_dir()]
    if missing:
        root.mkdir(parents=True, exist_ok=True)
        pats = [f"*/{c}.3dshapes/*.wrl" for c in missing]
        p1 = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(root), "--wildcards", *pats], stdin=p1.stdout, check=True)
        p1.wait()
    return root / ROOT_IN_DEB


def build() -> dict:
    timer = C.Timer()
    src = ensure_extracted()
    sha = hashlib.sha256(deb_path().read_bytes()).hexdigest()
    vox_all, lab_all, names_all = [], [], []
    per_class = []
    for ci, cname in enumerate(CLASSES):
        files = sorted((src / f"{cname}.3dshapes").glob("*.wrl"))
        kept, kept_names, empty, dup, transforms = [], [], 0, 0, 0
        for f in files:
            text = f.read_text(errors="replace")
            transforms += "Transform" in text
            tris, _ = parse_wrl(text)
            if not len(tris):
                empty += 1
                continue
            v = voxelise(tris)
            if not v.any():
                empty += 1
                continue
            if kept and iou(v[None], np.stack(kept)).max() >= DEDUP_IOU:
                dup += 1
                continue
            kept.append(v); kept_names.append(f.stem)
        per_class.append({"class": ci, "folder": f"{cname}.3dshapes", "files": len(files), "unparsable_or_empty": empty,
                          "dropped_near_duplicates": dup, "kept": len(kept), "files_with_transform_nodes": transforms})
        print(f"[shape-data] {cname}: {len(files)} files, kept {len(kept)}, near-duplicates {dup}, empty {empty} "
              f"({timer()} s)", flush=True)
        vox_all += kept; lab_all += [ci] * len(kept); names_all += kept_names
    vox = np.stack(vox_all); lab = np.array(lab_all, np.int64); names = np.array(names_all)
    rng = np.random.default_rng(SPLIT_SEED)
    test = np.zeros(len(vox), bool)
    for ci in range(len(CLASSES)):
        idx = np.flatnonzero(lab == ci)
        n_te = int(round(TEST_FRACTION * len(idx)))
        test[rng.permutation(idx)[:n_te]] = True
        per_class[ci]["test"] = n_te; per_class[ci]["train"] = len(idx) - n_te
    tok = octree_tokens(vox)
    assert check_consistent(tok), "octree tokens inconsistent"
    assert np.array_equal(level3_to_voxels(tok[:, LEVEL_START[3]:]), vox)
    prov = {
        "source": f"Debian bookworm package {PACKAGE} {VERSION} (all), KiCad 6 3D part models, VRML 2.0 (.wrl)",
        "fetch": f"apt-get download {PACKAGE}={VERSION} into tools/models/.cache (never installed); only the chosen "
                 f"folders extracted: dpkg-deb --fsys-tarfile {DEB} | tar -x --wildcards '*/<class>.3dshapes/*.wrl'",
        "deb_sha256": sha,
        "license": "CC-BY-SA 4.0 with the KiCad libraries exception (debian/copyright of kicad-packages3d)",
        "classes": CLASSES,
        "class_folders": [f"{ROOT_IN_DEB}/{c}.3dshapes" for c in CLASSES],
        "per_class": per_class,
        "files": int(sum(p["files"] for p in per_class)),
        "kept": int(len(vox)), "train": int((~test).sum()), "test": int(test.sum()),
        "preprocess": "all IndexedFaceSets of a file merged (polygons fan-triangulated), bounding box centred, longest "
                      "side scaled to 1 ([-0.5, 0.5]); surface voxels of a 16^3 grid from barycentric sampling of every "
                      f"triangle (spacing {SAMPLE_SPACING} = 1/4 voxel), interior filled with scipy.ndimage.binary_fill_holes",
        "dedupe": f"per class, files in name order: a shape is dropped when its voxel IoU with an already kept shape of the "
                  f"same class is >= {DEDUP_IOU}",
        "split": f"per class a seeded {int(TEST_FRACTION * 100)} % held out as the test split (numpy default_rng({SPLIT_SEED}) "
                 "permutation over the classes in order, round(0.15 n) shapes)",
        "grid_layout": TOKENS["grid_layout"],
        "command": "tools/models/run.sh shape-data",
        "seconds": timer(),
    }
    C.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(C.CACHE_DIR / DATA_NPZ, vox=np.packbits(vox.reshape(len(vox), -1), axis=1), labels=lab,
                        test=test, names=names)
    C.write_json(C.CACHE_DIR / DATA_JSON, prov)
    print(f"[shape-data] {len(vox)} shapes ({(~test).sum()} train, {test.sum()} test) in {timer()} s", flush=True)
    return prov


def load() -> dict:
    """{'vox': (N,16,16,16) bool [z,y,x], 'labels', 'test' (bool), 'names', 'provenance'}; builds the cache if missing."""
    p = C.CACHE_DIR / DATA_NPZ
    if not p.exists():
        build()
    d = np.load(p)
    vox = np.unpackbits(d["vox"], axis=1)[:, :GRID ** 3].astype(bool).reshape(-1, GRID, GRID, GRID)
    return {"vox": vox, "labels": d["labels"], "test": d["test"], "names": d["names"],
            "provenance": C.read_json(C.CACHE_DIR / DATA_JSON)}


def pack_base64(v: np.ndarray) -> str:
    """(16,16,16) bool [z,y,x] -> base64 of 512 bytes: bit j of the grid (flat index j = x + 16 (y + 16 z)) is bit
    (j % 8) of byte j // 8, least significant bit first."""
    import base64
    return base64.b64encode(np.packbits(v.reshape(-1).astype(np.uint8), bitorder="little").tobytes()).decode()


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.parse_args(argv)
    build()


if __name__ == "__main__":
    main()
