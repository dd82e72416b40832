"""Checks every exported model of an onnx_fixture output folder with
onnx.checker (full check: types and shapes inferred through every node)
and prints its opset and node kinds. Exit 1 on the first invalid model."""
import sys

import onnx

folder = sys.argv[1]
for line in open(f"{folder}/cases.txt"):
    name = line.split()[0]
    model = onnx.load(f"{folder}/{name}.onnx")
    onnx.checker.check_model(model, full_check=True)
    ops = sorted({n.op_type for n in model.graph.node})
    opset = model.opset_import[0].version
    print(f"onnx.checker: {name}.onnx valid (opset {opset}, {len(model.graph.node)} nodes: {' '.join(ops)})")
