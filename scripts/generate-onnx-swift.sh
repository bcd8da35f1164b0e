#!/bin/sh
# Regenerates Sources/ONNX/Generated/onnx.pb.swift from onnx.proto. Run by hand when the proto
# changes; the build never runs a plugin. Needs Debian's protobuf-compiler and protoc-gen-swift
# built from apple/swift-protobuf at the version Package.swift names:
#   git clone --branch 1.39.0 https://github.com/apple/swift-protobuf && cd swift-protobuf &&
#   swift build -c release --product protoc-gen-swift
# then PROTOC_GEN_SWIFT=…/.build/release/protoc-gen-swift scripts/generate-onnx-swift.sh
# onnx.proto comes from the PyPI `onnx` wheel (site-packages/onnx/onnx.proto, 1.23.2 here).
set -eu
cd "$(dirname "$0")/../Sources/ONNX/Generated"
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal --swift_out=. onnx.proto
echo "wrote $(pwd)/onnx.pb.swift"
