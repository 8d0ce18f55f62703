"""NSynth-style single notes rendered with fluidsynth from the FluidR3 GM sound font.

    tools/models/run.sh audio-data      # renders (once) into tools/models/.cache/audio-notes.npz

10 families x 2 GM programs x 25 pitches (MIDI 48..72) x 5 velocities = 2,500 notes of 2.0 s at 16 kHz mono.
One MIDI file per program (all 125 notes, one every 3 s: note-on at k*3 s, note-off 1.5 s later), one fluidsynth
process per program (reverb and chorus off), stereo mixed down to mono, sliced at the note-on sample positions and
peak-normalised to 0.9. Velocity 80 is the held-out test split (500 notes), the rest train (2,000).
"""
from __future__ import annotations

import argparse
import struct
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from . import common as C

SR = 16000
FAMILIES = ["keyboard", "mallet", "organ", "guitar", "bass", "string", "brass", "reed", "flute", "synth_lead"]
PROGRAMS = {"keyboard": [0, 4], "mallet": [11, 12], "organ": [16, 19], "guitar": [24, 25], "bass": [32, 33],
            "string": [40, 48], "brass": [56, 61], "reed": [65, 71], "flute": [73, 75], "synth_lead": [80, 81]}
PITCH_MIN, PITCH_MAX = 48, 72
PITCHES = list(range(PITCH_MIN, PITCH_MAX + 1))
VELOCITIES = [40, 60, 80, 100, 127]
TEST_VELOCITY = 80
NOTE_SPACING_S = 3.0
NOTE_OFF_S = 1.5
CLIP_S = 2.0
CLIP = int(CLIP_S * SR)
PEAK = 0.9
SF2 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
CACHE = "audio-notes.npz"
TPQ = 480          # ticks per quarter; default tempo 120 bpm -> 960 ticks per second
FLUID_ARGS = ["-ni", "-R", "0", "-C", "0", "-r", str(SR), "-g", "0.5", "-O", "float"]


def _vlq(n: int) -> bytes:
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F)); n >>= 7
    return bytes(reversed(out))


def write_midi(path: Path, program: int, notes) -> None:
    """Format-0 MIDI file: program change on channel 0, then (pitch, velocity) notes every NOTE_SPACING_S."""
    tps = 2 * TPQ
    ev = []   # (tick, bytes)
    ev.append((0, bytes([0xC0, program])))
    for k, (p, v) in enumerate(notes):
        t0 = int(round(k * NOTE_SPACING_S * tps))
        ev.append((t0, bytes([0x90, p, v])))
        ev.append((t0 + int(round(NOTE_OFF_S * tps)), bytes([0x80, p, 0])))
    ev.sort(key=lambda e: (e[0], e[1][0] == 0x90))   # note-offs before note-ons at the same tick
    trk = b""
    last = 0
    for t, b in ev:
        trk += _vlq(t - last) + b; last = t
    trk += _vlq(int(tps)) + b"\xff\x2f\x00"
    data = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TPQ) + b"MTrk" + struct.pack(">I", len(trk)) + trk
    path.write_bytes(data)


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        ch, sw, n = w.getnchannels(), w.getsampwidth(), w.getnframes()
        raw = w.readframes(n)
    if sw == 2:
        a = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    else:
        a = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
    return a.reshape(-1, ch).mean(1)


def read_audio(path: Path) -> np.ndarray:
    """fluidsynth -O float writes WAVE_FORMAT_IEEE_FLOAT, which the wave module refuses; parse the chunks."""
    b = path.read_bytes()
    assert b[:4] == b"RIFF" and b[8:12] == b"WAVE"
    i = 12
    fmt = None
    while i < len(b):
        cid, size = b[i:i + 4], struct.unpack("<I", b[i + 4:i + 8])[0]
        body = b[i + 8:i + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif cid == b"data":
            tag, ch, sr, _, _, bits = fmt
            assert sr == SR, sr
            if tag == 3 or (tag == 0xFFFE and bits == 32):
                a = np.frombuffer(body, dtype="<f4")
            elif bits == 16:
                a = np.frombuffer(body, dtype="<i2").astype(np.float32) / 32768.0
            else:
                raise ValueError(f"unsupported wav format {fmt}")
            n = len(a) // ch * ch
            return a[:n].reshape(-1, ch).mean(1).astype(np.float32)
        i += 8 + size + (size & 1)
    raise ValueError("no data chunk")


def versions() -> dict:
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package}=${Version}\n", "fluidsynth", "fluid-soundfont-gm"],
                         capture_output=True, text=True).stdout.split()
    return dict(s.split("=", 1) for s in out)


def render(force: bool = False) -> Path:
    path = C.CACHE_DIR / CACHE
    if path.exists() and not force:
        return path
    t = C.Timer()
    audio, fam, prog, pitch, vel, silent = [], [], [], [], [], []
    notes = [(p, v) for p in PITCHES for v in VELOCITIES]
    with tempfile.TemporaryDirectory() as td:
        procs = []
        for f, name in enumerate(FAMILIES):
            for pr in PROGRAMS[name]:
                mid = Path(td) / f"p{pr}.mid"; wav = Path(td) / f"p{pr}.wav"
                write_midi(mid, pr, notes)
                procs.append((f, pr, wav, subprocess.Popen(["fluidsynth", *FLUID_ARGS, "-F", str(wav), SF2, str(mid)],
                                                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
                if len(procs) % 2 == 0:
                    for *_, p in procs[-2:]:
                        p.wait()
        for f, pr, wav, p in procs:
            p.wait()
            if p.returncode:
                raise SystemExit(f"fluidsynth failed for program {pr}: {p.stderr.read().decode()}")
            x = read_audio(wav)
            for k, (pi, v) in enumerate(notes):
                s = int(round(k * NOTE_SPACING_S * SR))
                clip = np.zeros(CLIP, np.float32)
                seg = x[s:s + CLIP]
                clip[:len(seg)] = seg
                peak = float(np.abs(clip).max())
                if peak < 1e-4:
                    silent.append({"family": FAMILIES[f], "program": pr, "pitch": pi, "velocity": v})
                    continue
                audio.append(clip * (PEAK / peak)); fam.append(f); prog.append(pr); pitch.append(pi); vel.append(v)
    C.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.savez(path, audio=np.stack(audio), family=np.array(fam), program=np.array(prog), pitch=np.array(pitch),
             velocity=np.array(vel), silent=np.array([str(s) for s in silent]))
    print(f"[audio-data] {len(audio)} notes ({len(silent)} silent, skipped) in {t()} s -> {path}", flush=True)
    return path


def load(split: str | None = None):
    """dict of arrays (audio (n, 32000) float32, family, program, pitch, velocity); split 'train' | 'test' | None."""
    z = np.load(render())
    d = {k: z[k] for k in ("audio", "family", "program", "pitch", "velocity")}
    if split is not None:
        sel = (d["velocity"] == TEST_VELOCITY) if split == "test" else (d["velocity"] != TEST_VELOCITY)
        d = {k: v[sel] for k, v in d.items()}
    return d


def silent_notes() -> list:
    z = np.load(render())
    return [str(s) for s in z["silent"]]


def provenance() -> dict:
    return {
        "source": "notes rendered locally with fluidsynth from the General MIDI sound font FluidR3_GM (NSynth-style)",
        "packages": versions(),
        "sf2": SF2,
        "families": FAMILIES,
        "programs_per_family": PROGRAMS,
        "program_numbering": "0-based GM program numbers, bank 0, MIDI channel 0",
        "pitches": [PITCH_MIN, PITCH_MAX],
        "velocities": VELOCITIES,
        "notes": len(FAMILIES) * 2 * len(PITCHES) * len(VELOCITIES),
        "silent_notes_skipped": silent_notes(),
        "split": f"velocity {TEST_VELOCITY} = held-out test split (500 notes), all other velocities = train (2,000 notes)",
        "render": {"command": "fluidsynth " + " ".join(FLUID_ARGS) + " -F out.wav " + SF2 + " program.mid",
                   "reverb": False, "chorus": False, "sample_rate": SR, "gain": 0.5, "sample_format": "float32",
                   "channels": "stereo render mixed down to mono (mean of L and R)",
                   "midi": f"one file per program, note k: note-on at {NOTE_SPACING_S:g}*k s, note-off {NOTE_OFF_S:g} s later",
                   "clip": f"{CLIP_S:g} s from the note-on sample (k*{int(NOTE_SPACING_S * SR)})",
                   "normalisation": f"peak-normalised to {PEAK}"},
        "cache": f"tools/models/.cache/{CACHE} (git-ignored, never committed)",
    }


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args(argv)
    render(a.force)
    d = load()
    print({k: v.shape for k, v in d.items()}, "train", len(load("train")["audio"]), "test", len(load("test")["audio"]))


if __name__ == "__main__":
    main()
