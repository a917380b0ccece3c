"""Convert MoveNet MultiPose (a TFJS graph model) to ONE float16 TFLite file with one fixed-shape signature per
input size (the weights are stored once and shared by all signatures).

Runs ONLY in the throwaway TensorFlow environment that scripts/convert_movenet.sh creates; the app never
imports TensorFlow. Usage: python convert_movenet.py MODEL_JSON OUT_TFLITE HxW [HxW ...]
Every signature is checked against the original TFJS graph (run in TensorFlow) and the largest difference printed.
"""

from __future__ import annotations

import sys
import types


def _stub_unused_imports() -> None:
    """tensorflowjs imports tensorflow_decision_forests, tensorflow_hub and (through its JAX converter) jax at
    module level; the graph-model path used here never calls them, so empty modules stand in. jax itself is
    not stubbed (keras probes for it), only tensorflowjs's jax_conversion module that needs it."""
    for name in ("tensorflow_decision_forests", "tensorflow_hub", "tensorflowjs.converters.jax_conversion"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["tensorflowjs.converters.jax_conversion"].convert_jax = None  # type: ignore[attr-defined]


def signature_name(height: int, width: int) -> str:
    """The signature key the app looks up, e.g. movenet_256x448 (height x width of the input)."""
    return f"movenet_{height}x{width}"


def main(argv: list[str]) -> int:
    model_json, out_path, *shapes = argv
    _stub_unused_imports()
    import os
    import tempfile

    import numpy as np
    import tensorflow as tf
    from tfjs_graph_converter.api import CompatMode, graph_model_to_saved_model

    saved_dir = os.path.join(tempfile.mkdtemp(prefix="movenet_"), "saved")
    # The default compat mode keeps _FusedConv2D nodes that TFLite cannot take (TArgs); TFLITE mode splits them.
    graph_model_to_saved_model(model_json, saved_dir, compat_mode=CompatMode.TFLITE)
    graph = tf.saved_model.load(saved_dir).signatures["serving_default"]
    input_name = next(iter(graph.structured_input_signature[1].keys()))
    output_name = next(iter(graph.structured_outputs.keys()))
    print(f"TFJS graph as SavedModel: input {input_name!r}, output {output_name!r}")

    sizes = []
    for shape in shapes:
        h, w = (int(v) for v in shape.lower().split("x"))
        assert h % 32 == 0 and w % 32 == 0, f"MoveNet MultiPose needs multiples of 32, got {shape}"
        sizes.append((h, w))

    concretes = []
    for h, w in sizes:

        def run(image: tf.Tensor) -> tf.Tensor:
            return graph(**{input_name: image})[output_name]

        run.__name__ = signature_name(h, w)  # the function name becomes the signature key
        spec = tf.TensorSpec([1, h, w, 3], tf.int32, name="input")
        concretes.append(tf.function(run, input_signature=[spec]).get_concrete_function())

    converter = tf.lite.TFLiteConverter.from_concrete_functions(concretes, tf.Module())
    # Fixed shapes keep every op a TFLite builtin (a dynamic shape needs Flex ops, i.e. TensorFlow at run time).
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    tflite_model = converter.convert()
    with open(out_path, "wb") as f:
        f.write(tflite_model)
    print(f"{out_path}: {len(tflite_model) / 1e6:.2f} MB, signatures {[signature_name(h, w) for h, w in sizes]}")

    # Output check: each signature against the TFJS graph in TensorFlow, on smooth random images.
    interpreter = tf.lite.Interpreter(model_content=tflite_model)
    rng = np.random.default_rng(0)
    for h, w in sizes:
        runner = interpreter.get_signature_runner(signature_name(h, w))
        worst = 0.0
        for _ in range(3):
            small = rng.integers(0, 256, size=(1, h // 8, w // 8, 3)).astype(np.float32)
            image = tf.cast(tf.image.resize(small, (h, w)), tf.int32).numpy()
            want = graph(**{input_name: tf.constant(image)})[output_name].numpy()
            got = next(iter(runner(input=image).values()))
            worst = max(worst, float(np.max(np.abs(got - want))))
        print(f"  {signature_name(h, w)}: max |tflite - tfjs graph| = {worst:.2e} over 3 images")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
