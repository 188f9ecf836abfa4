"""FLOPs and layers of the backbones of the two SSD detectors in A. Allan's Raspberry Pi 4 TensorFlow benchmark.

``python -m tools.ssd_backbones`` counts, with TensorFlow's graph profiler (the
same counter the profiler uses for blocks), the FLOPs of
``keras.applications.MobileNetV2`` and of ``MobileNet(alpha=0.75)`` at 300 x 300
without their classifier: the feature extractors of "MobileNet v2 SSD" and
"MobileNet v1 SSD 0.75 depth" (COCO, 300 x 300) that the benchmark timed. The
SSD heads and post-processing are not counted, so these are lower bounds of
the detectors' work. The figures calibrate the Pi 4 estimate (tools/pi4.py).
"""

from __future__ import annotations

import json
import sys

BACKBONES = {
    "mobilenet_v2_ssd_300": ("MobileNetV2", {}),
    "mobilenet_v1_075_ssd_300": ("MobileNet", {"alpha": 0.75}),
}


def count() -> dict[str, dict[str, int]]:
    """``{name: {"flops": ..., "layers": ...}}`` for each backbone."""
    import keras
    import tensorflow as tf

    from scission_opt.profiler.costs import count_flops

    out = {}
    for name, (cls, kwargs) in BACKBONES.items():
        model = getattr(keras.applications, cls)(weights=None, include_top=False, input_shape=(300, 300, 3), **kwargs)
        fn = tf.function(lambda x, m=model: m(x, training=False), autograph=False)
        concrete = fn.get_concrete_function(tf.TensorSpec((1, 300, 300, 3), tf.float32))
        out[name] = {"flops": int(count_flops(concrete) or 0), "layers": len(model.layers)}
    return out


if __name__ == "__main__":
    json.dump(count(), sys.stdout, indent=1)
    print()
