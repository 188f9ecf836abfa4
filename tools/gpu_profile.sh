#!/usr/bin/env bash
# Measure the 18 Keras application models on a CUDA GPU with `profile --backend jax` (Keras 3 on JAX/XLA).
#
# Made for this workplace's GPU machine (an NVIDIA H200 with Python 3.12, jax + CUDA plugin, numpy, scipy,
# h5py, rich, ml-dtypes, absl-py; no Keras, no TensorFlow, no OR-Tools or PuLP, no network). Two steps:
#
#   here, once, in the repository root (needs pip access):
#       bash tools/gpu_profile.sh fetch      # Keras and the two wheels it lacks there -> .whl/ (git-ignored)
#   there (the device tool, from this repository's root):
#       run(command="bash tools/gpu_profile.sh run", carry=[".whl"], timeout_s=480)
#
# `run` writes, under $OUT: cloud-h200-jax.json (one profile file: every model finished in time),
# profile-log.txt and nvidia-smi.txt. Models are profiled in the order below and the profile file is
# checkpointed after each one, so when the time budget (BUDGET_S, default 330 s) runs out the run is
# interrupted (SIGINT) and keeps every finished model. Then, here:
#       python tools/compare_h200.py FILES_AT/cloud-h200-jax.json ../shared/measurements/nvidia-h200-keras-jax.json
#
# Blocks compile one at a time on a GPU (XLA autotunes kernels while compiling); COMPILE_THREADS=N compiles
# N at a time, faster, at the risk of autotuning under contention (say so when comparing).
# Settings match the shared H200 file: batch 1, float32, weights=None, 3 warm-up and 50 timed calls, input
# already on the GPU, each call ended by block_until_ready. Nothing here is needed by the project's tests.
set -u

KERAS_VERSION=3.15.1
MODELS="vgg16 resnet50 mobilenet_v2 inception_v3 densenet121 xception mobilenet resnet50v2 vgg19 nasnet_mobile
resnet101 resnet101v2 inception_resnet_v2 densenet169 resnet152 resnet152v2 densenet201 nasnet_large"

fetch() {
    mkdir -p .whl
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d .whl "keras==${KERAS_VERSION}" namex==0.1.0 optree==0.20.0
    ls -l .whl
}

run() {
    local out="${OUT:-/tmp/gpu-profile-out}"
    mkdir -p "$out"
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        .whl/*.whl || { echo "cannot install the wheels in .whl/ (run 'fetch' here and carry .whl)"; exit 2; }
    export PYTHONPATH="/tmp/site:$PWD" KERAS_BACKEND=jax TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1
    export SCISSION_OPT_COMPILE_THREADS="${COMPILE_THREADS:-1}"
    nvidia-smi >"$out/nvidia-smi.txt" 2>&1
    nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,driver_version --format=csv >>"$out/nvidia-smi.txt" 2>&1
    python3 -c "import jax, keras; print('jax', jax.__version__, 'keras', keras.__version__, jax.devices())" \
        2>&1 | tee "$out/profile-log.txt"
    # shellcheck disable=SC2086  # MODELS is a list of words
    timeout -s INT -k 30 "${BUDGET_S:-330}" python3 -m scission_opt profile $MODELS --backend jax \
        --system nvidia-h200 --tier cloud --repeats 50 --warmup 3 --no-progress -o "$out/cloud-h200-jax.json" \
        --note "tools/gpu_profile.sh on the device machine; input on the GPU" 2>&1 | tee -a "$out/profile-log.txt"
    echo "exit ${PIPESTATUS[0]} (130 or 124: the time budget ran out; finished models are in the file)" \
        | tee -a "$out/profile-log.txt"
    nvidia-smi --query-gpu=clocks.sm,temperature.gpu,power.draw --format=csv >>"$out/nvidia-smi.txt" 2>&1
    ls -l "$out"
}

case "${1:-}" in
    fetch) fetch ;;
    run) run ;;
    *) echo "usage: bash tools/gpu_profile.sh fetch|run" >&2; exit 2 ;;
esac
