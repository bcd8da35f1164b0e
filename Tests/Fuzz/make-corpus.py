#!/usr/bin/env python3
"""Writes the seed corpus of every harness into Corpus/<parser>/ (deterministic output).

Each seed is in its harness's input format: most harnesses read a leading mode byte (see the
comment at the top of Sources/fuzz-*/*.swift); fuzz-architecture takes the JSON as is.
Needs only the standard library, plus numpy (optional) to check the .npy seeds against
numpy.load. Regression inputs that the fuzzer found live next to the seeds as regress-*
and are kept by this script (it only rewrites the files it names).
"""
import gzip
import io
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "Corpus")


def put(parser, name, data):
    folder = os.path.join(CORPUS, parser)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def gz(data):
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=6) as f:
        f.write(data)
    return buffer.getvalue()


def twoparts(mode, first, second):
    return bytes([mode]) + struct.pack("<H", len(first)) + first + second


# ---------------------------------------------------------------- IDX
def idx(dims, payload, dtype=0x08):
    return bytes([0, 0, dtype, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(payload)


labels3 = idx([3], [0, 1, 2])
images3 = idx([3, 2, 2], range(12))
labels2 = idx([2], [0, 1])
images2 = idx([2, 2, 3], range(12))
put("idx", "valid-images", bytes([0]) + images2)
put("idx", "valid-images-gz", bytes([0]) + gz(images2))
put("idx", "valid-labels", bytes([1]) + labels2)
put("idx", "valid-labels-gz", bytes([1]) + gz(labels2))
put("idx", "valid-pair", twoparts(2, labels3, images3))
put("idx", "valid-pair-gz", twoparts(2, gz(labels3), gz(images3)))
put("idx", "valid-pair-classcount1", twoparts(5, idx([2], [0, 0]), idx([2, 1, 1], [7, 9])))
put("idx", "broken-truncated-payload", bytes([0]) + images2[:-3])
put("idx", "broken-truncated-header", bytes([0]) + images2[:9])
put("idx", "broken-lying-count", bytes([0]) + idx([0xFFFFFFFF, 28, 28], range(12)))
put("idx", "broken-overflow", bytes([0]) + idx([0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], []))
put("idx", "broken-dtype-float", bytes([0]) + idx([2, 2, 3], [0] * 48, dtype=0x0D))
put("idx", "broken-rank", bytes([1]) + idx([2, 1], [0, 1]))
put("idx", "broken-label-range", bytes([1]) + idx([2], [0, 200]))
put("idx", "broken-trailing", bytes([0]) + images2 + b"\0\0")
put("idx", "broken-gz-truncated", bytes([0]) + gz(images2)[:-6])
put("idx", "broken-gz-garbage-after", bytes([0]) + gz(images2) + b"junk")
put("idx", "broken-gz-lying-isize", bytes([0]) + gz(images2)[:-4] + b"\xff\xff\xff\x7f")
put("idx", "broken-zero-size", bytes([0]) + idx([2, 0, 3], []))

# ---------------------------------------------------------------- CSV (mode 0: all rows, 2×2)
rows = "".join(f"{i},{2*i},{255-i},0,{i % 10}\n" for i in range(6)).encode()
put("csv", "valid-2x2", bytes([0]) + rows)
put("csv", "valid-2x2-test-split", bytes([2]) + rows)
put("csv", "valid-2x2-crlf-gz", bytes([1]) + gz(rows.replace(b"\n", b"\r\n")))
put("csv", "valid-1x3-no-final-newline", bytes([3]) + b"1,2,3,4\n5,6,7,8")
put("csv", "valid-28x28", bytes([9]) + (",".join(["0"] * 784) + ",7\n").encode())
put("csv", "broken-field-count", bytes([0]) + b"1,2,3,4,5\n1,2,3,4\n")
put("csv", "broken-extra-field", bytes([0]) + b"1,2,3,4,5,6\n")
put("csv", "broken-pixel-range", bytes([0]) + b"1,2,300,4,5\n")
put("csv", "broken-label-range", bytes([24]) + b"1,2,3,4,5\n")
put("csv", "broken-sign", bytes([0]) + b"-1,2,3,4,5\n")
put("csv", "broken-empty-line", bytes([0]) + b"1,2,3,4,5\n\n1,2,3,4,5\n")
put("csv", "broken-long-number", bytes([0]) + b"1,2,3,00000000000000004,5\n")
put("csv", "broken-too-many-rows", bytes([12]) + b"0,0,0,0,0\n" * 9)
put("csv", "broken-gz-truncated", bytes([0]) + gz(rows)[:-5])
# Found by the fuzzer: 4 rows hold no test row, but the split counted (4 + 1) / 5 = 1, so the
# training split wrote its 4th image past a buffer sized for 3 (heap overflow in release builds).
four = b"0,0,255,0,0\n1,2,254,0,1\n2,4,251,0,4\n5,10,250,0,5\n"
put("csv", "regress-split-4-rows-train", bytes([1]) + four)
put("csv", "regress-split-4-rows-test", bytes([2]) + four)
put("csv", "regress-split-9-rows-train-gz", bytes([1]) + gz(four * 2 + b"9,9,9,9,9\n"))

# ---------------------------------------------------------------- NumPy
def npy(descr, shape, data, major=1, fortran=False, dictionary=None):
    shape_text = f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    if dictionary is None:
        dictionary = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape_text}, }}"
    header = dictionary.encode("latin1")
    prefix = 10 if major == 1 else 12
    header += b" " * ((64 - (prefix + len(header) + 1) % 64) % 64) + b"\n"
    length = struct.pack("<H" if major == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([major, 0]) + length + header + bytes(data)


f32 = lambda values, order="<": b"".join(struct.pack(order + "f", v) for v in values)
f64 = lambda values: b"".join(struct.pack("<d", v) for v in values)
u1_labels = npy("|u1", [2], [0, 1])
i8_labels = npy("<i8", [3], struct.pack("<3q", 0, 1, 2))
i4_labels_v2 = npy("<i4", [2], struct.pack("<2i", 1, 0), major=2)
u1_images = npy("|u1", [3, 2, 2], range(12))
f4_images = npy("<f4", [2, 1, 2, 2], f32([0, 0.25, 0.5, 1, 0.1, 0.2, 0.3, 0.4]))
f4_images_be = npy(">f4", [2, 2, 2], f32([0, 0.25, 0.5, 1, 0.1, 0.2, 0.3, 0.4], ">"))
f8_images_v2 = npy("<f8", [1, 784], f64([0.5] * 784), major=2)
put("npy", "header-u1", bytes([0]) + u1_labels)
put("npy", "header-i8-v1", bytes([0]) + i8_labels)
put("npy", "header-i4-v2", bytes([0]) + i4_labels_v2)
put("npy", "header-v3-utf8", bytes([0]) + npy("<i8", [1], struct.pack("<q", 3), major=3))
put("npy", "header-gz", bytes([0]) + gz(i8_labels))
put("npy", "valid-images-f4", bytes([1]) + f4_images)
put("npy", "valid-images-f4-big-endian", bytes([1]) + f4_images_be)
put("npy", "valid-images-u1", bytes([1]) + npy("|u1", [2, 2, 2], range(8)))
put("npy", "valid-labels-i8", bytes([2]) + npy("<i8", [2], struct.pack("<2q", 0, 1)))
put("npy", "valid-labels-i4-v2", bytes([2]) + i4_labels_v2)
put("npy", "valid-pair-u1", twoparts(3, npy("|u1", [3], [0, 1, 2]), u1_images))
put("npy", "valid-pair-f8-784-v2", twoparts(3, npy("|u1", [1], [1]), f8_images_v2))
put("npy", "valid-pair-gz", twoparts(3, gz(i8_labels), gz(npy("<f4", [3, 1, 1], f32([0, 0.5, 1])))))
put("npy", "broken-magic", bytes([0]) + b"\x93NUMPZ" + u1_labels[6:])
put("npy", "broken-version", bytes([0]) + b"\x93NUMPY\x04\x00" + u1_labels[8:])
put("npy", "broken-header-length-lies", bytes([0]) + u1_labels[:8] + b"\xff\xff" + u1_labels[10:])
put("npy", "broken-header-length-lies-v2", bytes([0]) + i4_labels_v2[:8] + b"\xff\xff\xff\xff" + i4_labels_v2[12:])
put("npy", "broken-shape-lies", bytes([1]) + npy("<f4", [1000000000000, 28, 28], f32([0, 0])))
put("npy", "broken-shape-overflow", bytes([0]) + npy("<f4", [2**62, 2**62], []))
put("npy", "broken-fortran", bytes([1]) + npy("<f4", [2, 2, 2], f32([0] * 8), fortran=True))
put("npy", "broken-nan", bytes([1]) + npy("<f4", [2, 1, 1], f32([0, float("nan")])))
put("npy", "broken-descr", bytes([1]) + npy("<c8", [2, 1, 1], [0] * 16))
put("npy", "broken-label-negative", bytes([2]) + npy("<i8", [2], struct.pack("<2q", 0, -1)))
put("npy", "broken-label-shape", bytes([2]) + npy("<i8", [2, 1], struct.pack("<2q", 0, 1)))
put("npy", "broken-dict-duplicate", bytes([0]) + npy("", [], [0], dictionary="{'descr': '|u1', 'descr': '|u1', 'fortran_order': False, 'shape': (1,), }"))
put("npy", "broken-dict-unterminated", bytes([0]) + npy("", [], [0], dictionary="{'descr': '|u1, 'fortran_order': False, 'shape': (1,"))
put("npy", "broken-dict-extra-key", bytes([0]) + npy("", [], [0], dictionary="{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'x': 1}"))
put("npy", "broken-truncated-data", bytes([1]) + f4_images[:-3])
put("npy", "broken-count-mismatch", twoparts(3, i8_labels, u1_images[:-4] + bytes(0)))
put("npy", "broken-zero-width", bytes([1]) + npy("|u1", [2, 0, 3], []))
# Found by the fuzzer: header text with control characters broke the one-line error message.
put("npy", "regress-key-newline", bytes([0]) + npy("", [], [0], dictionary="{'descr': '|u1', 'fortran_order': False, 'shape': (1,), 'x\ny': True}"))
put("npy", "regress-duplicate-key-cr", bytes([0]) + npy("", [], [0], dictionary="{'a\r': True, 'a\r': False}"))
put("npy", "regress-descr-newline", bytes([1]) + npy("<f\n4", [2, 1, 1], [0] * 8))

# ---------------------------------------------------------------- gzip
sample = b"the quick brown fox jumps over the lazy dog\n" * 4
put("gzip", "raw", bytes([3]) + sample)
put("gzip", "gz", bytes([3]) + gz(sample))
put("gzip", "gz-two-members", bytes([3]) + gz(sample[:50]) + gz(sample[50:]))
put("gzip", "gz-limit-64", bytes([2]) + gz(sample))
put("gzip", "gz-empty", bytes([4]) + gz(b""))
put("gzip", "gz-bomb-1MiB", bytes([5]) + gz(bytes(1 << 20)))
put("gzip", "gz-truncated", bytes([3]) + gz(sample)[:-10])
put("gzip", "gz-bad-crc", bytes([3]) + gz(sample)[:-8] + b"\0\0\0\0" + gz(sample)[-4:])
put("gzip", "gz-trailing-junk", bytes([3]) + gz(sample) + b"\x00junk")
put("gzip", "gz-zlib-wrapper", bytes([3]) + b"\x1f\x8b" + b"\x78\x9c\x03\x00\x00\x00\x00\x01")
put("gzip", "roundtrip-level6", bytes([0x86]) + sample)
put("gzip", "roundtrip-level0", bytes([0x80]) + sample)
put("gzip", "roundtrip-empty", bytes([0x89]))

# ---------------------------------------------------------------- safetensors
def safetensors(entries, metadata=None, pad=True, raw_header=None, trailing=b""):
    """entries: list of (name, dtype, shape, bytes)."""
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, blob in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = raw_header if raw_header is not None else json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs) + trailing


tiny_arch = {"input": [1, 4, 4], "layers": [{"type": "flatten"}, {"type": "linear", "in": 16, "out": 3}]}
tiny = [("1.weight", "F32", [3, 16], f32([0.01 * i for i in range(48)])), ("1.bias", "F32", [3], f32([0, 1, 2]))]
conv_entries = [
    ("0.weight", "F32", [2, 1, 3, 3], f32([0.1] * 18)), ("0.bias", "F32", [2], f32([0, 0])),
    ("1.weight", "F32", [2], f32([1, 1])), ("1.bias", "F32", [2], f32([0, 0])),
    ("1.running_mean", "F32", [2], f32([0, 0])), ("1.running_var", "F32", [2], f32([1, 1])),
    ("1.num_batches_tracked", "I64", [], struct.pack("<q", 3)),
    ("4.weight", "F32", [3, 8], f32([0.5] * 24)), ("4.bias", "F32", [3], f32([0, 0, 0])),
]
put("safetensors", "valid-dtypes", bytes([0]) + safetensors([
    ("a", "F64", [2], f64([1, -2])), ("b", "F16", [2], b"\x00\x3c\x00\xc0"), ("c", "BF16", [1, 1], b"\x80\x3f"),
    ("d", "I32", [2], struct.pack("<2i", 1, -1)), ("e", "I16", [1], b"\x01\x00"), ("f", "I8", [1], b"\xff"),
    ("g", "U8", [1], b"\x07"), ("h", "BOOL", [1], b"\x01"), ("i", "F32", [0, 5], b""), ("j", "I64", [], struct.pack("<q", 9)),
], metadata={"format": "pt", "note": "seed"}))
put("safetensors", "valid-unpadded", bytes([0]) + safetensors([("x", "F32", [1], f32([1]))], pad=False))
put("safetensors", "valid-empty", bytes([0]) + safetensors([]))
put("safetensors", "valid-tiny-linear", bytes([1]) + safetensors(tiny))
put("safetensors", "valid-tiny-conv-bn", bytes([2]) + safetensors(conv_entries))
put("safetensors", "valid-tiny-linear-with-arch", bytes([3]) + safetensors(
    tiny, metadata={"architecture": json.dumps(tiny_arch), "format": "pt"}))
residual_arch = {"input": [1, 4, 4], "layers": [
    {"type": "residual", "in": 1, "out": 2, "stride": 2}, {"type": "flatten"}, {"type": "linear", "in": 8, "out": 2}]}
residual_entries = [
    ("0.conv1.weight", "F32", [2, 1, 3, 3], f32([0.1] * 18)),
    ("0.bn1.weight", "F32", [2], f32([1, 1])), ("0.bn1.bias", "F32", [2], f32([0, 0])),
    ("0.bn1.running_mean", "F32", [2], f32([0, 0])), ("0.bn1.running_var", "F32", [2], f32([1, 1])),
    ("0.bn1.num_batches_tracked", "I64", [], struct.pack("<q", 0)),
    ("0.conv2.weight", "F32", [2, 2, 3, 3], f32([0.1] * 36)),
    ("0.bn2.weight", "F32", [2], f32([1, 1])), ("0.bn2.bias", "F32", [2], f32([0, 0])),
    ("0.bn2.running_mean", "F32", [2], f32([0, 0])), ("0.bn2.running_var", "F32", [2], f32([1, 1])),
    ("0.bn2.num_batches_tracked", "I64", [], struct.pack("<q", 0)),
    ("0.shortcut.0.weight", "F32", [2, 1, 1, 1], f32([1, 1])),
    ("0.shortcut.1.weight", "F32", [2], f32([1, 1])), ("0.shortcut.1.bias", "F32", [2], f32([0, 0])),
    ("0.shortcut.1.running_mean", "F32", [2], f32([0, 0])), ("0.shortcut.1.running_var", "F32", [2], f32([1, 1])),
    ("0.shortcut.1.num_batches_tracked", "I64", [], struct.pack("<q", 0)),
    ("2.weight", "F32", [2, 8], f32([0.1] * 16)), ("2.bias", "F32", [2], f32([0, 0])),
]
put("safetensors", "valid-residual-with-arch", bytes([3]) + safetensors(
    residual_entries, metadata={"architecture": json.dumps(residual_arch)}))
put("safetensors", "broken-header-length-lies", bytes([0]) + struct.pack("<Q", 1 << 40) + b"{}")
put("safetensors", "broken-header-not-json", bytes([0]) + safetensors([], raw_header=b"{\"a\":"))
put("safetensors", "broken-shape-lies", bytes([0]) + safetensors([], raw_header=json.dumps(
    {"x": {"dtype": "F32", "shape": [1000000, 1000000], "data_offsets": [0, 4]}}).encode(), trailing=b"\0" * 4))
put("safetensors", "broken-shape-overflow", bytes([0]) + safetensors([], raw_header=json.dumps(
    {"x": {"dtype": "F32", "shape": [2**52, 2**52, 2**52], "data_offsets": [0, 0]}}).encode()))
put("safetensors", "broken-overlap", bytes([0]) + safetensors([], raw_header=json.dumps({
    "x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
    "y": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}).encode(), trailing=b"\0" * 8))
put("safetensors", "broken-gap", bytes([0]) + safetensors([], raw_header=json.dumps({
    "x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}).encode(), trailing=b"\0" * 8))
put("safetensors", "broken-dtype", bytes([0]) + safetensors([("x", "C64", [1], b"\0" * 8)]))
put("safetensors", "broken-metadata-not-string", bytes([0]) + safetensors([], metadata={"n": 1}))
put("safetensors", "broken-trailing", bytes([0]) + safetensors([("x", "F32", [1], f32([1]))], trailing=b"\0"))
put("safetensors", "broken-truncated", bytes([0]) + safetensors(tiny)[:-7])
put("safetensors", "broken-tiny-wrong-shape", bytes([1]) + safetensors(
    [("1.weight", "F32", [16, 3], f32([0] * 48)), ("1.bias", "F32", [3], f32([0, 1, 2]))]))
put("safetensors", "broken-tiny-nan", bytes([1]) + safetensors(
    [("1.weight", "F32", [3, 16], f32([float("nan")] * 48)), ("1.bias", "F32", [3], f32([0, 1, 2]))]))
put("safetensors", "broken-tiny-extra", bytes([1]) + safetensors(tiny + [("2.weight", "F32", [1], f32([0]))]))
put("safetensors", "broken-tiny-stray-integer", bytes([2]) + safetensors(
    conv_entries + [("4.num_batches_tracked", "I64", [], struct.pack("<q", 0))]))
put("safetensors", "broken-arch-metadata-invalid", bytes([3]) + safetensors(
    tiny, metadata={"architecture": "{\"input\":[1,4,4],\"layers\":[{\"type\":\"linear\",\"in\":16}]}"}))

# Control characters in names broke the one-line error messages (fixed: refused / escaped).
put("safetensors", "regress-name-newline", bytes([0]) + safetensors([], raw_header=b'{"a\\nb":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}'))
put("safetensors", "regress-dtype-cr", bytes([0]) + safetensors([], raw_header=b'{"w":{"dtype":"F\\r32","shape":[0],"data_offsets":[0,0]}}'))
put("safetensors", "regress-metadata-key-u2028", bytes([0]) + safetensors([], raw_header=b'{"__metadata__":{"k\\u2028":1}}'))
put("safetensors", "regress-arch-type-newline", bytes([3]) + safetensors(
    tiny, metadata={"architecture": '{"input":[1,4,4],"layers":[{"type":"fl\\natten"}]}'}))

# ---------------------------------------------------------------- architecture JSON
def arch(name, value):
    put("architecture", name, (value if isinstance(value, str) else json.dumps(value)).encode())


arch("valid-tiny", tiny_arch)
arch("valid-mlp", {"input": [1, 28, 28], "layers": [{"type": "flatten"}, {"type": "linear", "in": 784, "out": 512},
                                                    {"type": "softplus", "beta": 1}, {"type": "linear", "in": 512, "out": 10}]})
arch("valid-cnn-small", {"input": [1, 28, 28], "layers": [
    {"type": "conv2d", "in": 1, "out": 16, "kernel": 5, "padding": 2}, {"type": "relu"}, {"type": "maxpool2d", "kernel": 2},
    {"type": "conv2d", "in": 16, "out": 32, "kernel": 5, "padding": 2}, {"type": "relu"}, {"type": "maxpool2d", "kernel": 2},
    {"type": "flatten"}, {"type": "linear", "in": 1568, "out": 100}, {"type": "relu"}, {"type": "linear", "in": 100, "out": 10}]})
arch("valid-residual", residual_arch)
arch("valid-residual-softplus", {"input": [2, 6, 6], "layers": [
    {"type": "residual", "in": 2, "out": 2, "activation": "softplus", "beta": 5},
    {"type": "residual", "in": 2, "out": 3, "stride": 2}, {"type": "avgpool2d", "kernel": 3},
    {"type": "flatten"}, {"type": "dropout", "p": 0.25}, {"type": "linear", "in": 3, "out": 2, "bias": False}]})
arch("valid-every-layer", {"input": [1, 5, 5], "layers": [
    {"type": "conv2d", "in": 1, "out": 2, "kernel": 2, "stride": 2, "padding": 1, "bias": True},
    {"type": "batchnorm2d", "features": 2, "eps": 1e-3, "momentum": 0.2}, {"type": "elu", "alpha": 0.5},
    {"type": "maxpool2d", "kernel": 2, "stride": 1}, {"type": "gelu", "approximate": "tanh"}, {"type": "tanh"},
    {"type": "flatten"}, {"type": "linear", "in": 8, "out": 4}, {"type": "batchnorm1d", "features": 4},
    {"type": "sigmoid"}, {"type": "softplus", "beta": 10, "threshold": 20}, {"type": "gelu"},
    {"type": "linear", "in": 4, "out": 3}]})
arch("broken-unknown-type", {"input": [1, 2, 2], "layers": [{"type": "conv3d"}]})
arch("broken-missing-field", {"input": [4], "layers": [{"type": "linear", "in": 4}]})
arch("broken-shape-chain", {"input": [1, 4, 4], "layers": [{"type": "linear", "in": 16, "out": 3}]})
arch("broken-kernel-too-big", {"input": [1, 4, 4], "layers": [{"type": "conv2d", "in": 1, "out": 1, "kernel": 9}]})
arch("broken-huge-layer", {"input": [1, 28, 28], "layers": [{"type": "flatten"}, {"type": "linear", "in": 784, "out": 1048576}]})
arch("broken-huge-conv", {"input": [1048576, 4, 4], "layers": [
    {"type": "conv2d", "in": 1048576, "out": 1048576, "kernel": 1048576}]})
# broken-huge-flatten and broken-huge-conv trapped on Int overflow before the fix (fuzz-architecture).
arch("broken-huge-flatten", {"input": [65536, 65536, 65536, 65536, 65536], "layers": [{"type": "flatten"}]})
arch("broken-negative-input", {"input": [-1, 4], "layers": [{"type": "relu"}]})
arch("broken-no-layers", {"input": [3], "layers": []})
arch("broken-type-mismatch", '{"input": [1, 2], "layers": [{"type": "relu", "in": "x"}]}')
arch("broken-null", '{"input": null, "layers": []}')
arch("broken-not-json", '{"input": [1, 2], "layers": [')
arch("broken-dropout-p", {"input": [3], "layers": [{"type": "dropout", "p": 1.5}]})
arch("regress-type-newline", '{"input": [1], "layers": [{"type": "re\\nlu"}]}')
arch("regress-activation-tab", '{"input": [1, 3, 3], "layers": [{"type": "residual", "in": 1, "out": 1, "activation": "\\t"}]}')
# A residual block's softplus beta was not validated: beta 0 passed, then the forward pass trapped.
arch("regress-residual-softplus-beta-0", '{"input": [2, 6, 6], "layers": [{"type": "residual", "in": 2, "out": 2, "activation": "softplus", "beta": 0}, {"type": "flatten"}]}')
arch("broken-gelu-approx", {"input": [3], "layers": [{"type": "gelu", "approximate": "erf"}]})

# ---------------------------------------------------------------- CIFAR-10 binary batches
def cifar_record(label, seed):
    return bytes([label]) + bytes((seed * 7 + k) % 256 for k in range(3072))


record = cifar_record(3, 0)
put("cifar", "valid-1-record", bytes([0]) + record)
put("cifar", "valid-2-records-folder", bytes([1]) + cifar_record(0, 1) + cifar_record(9, 2))
put("cifar", "valid-subfolder", bytes([2]) + cifar_record(5, 3))
put("cifar", "valid-gz-3-records", bytes([0]) + gz(record + cifar_record(1, 4) + cifar_record(2, 5)))
put("cifar", "broken-empty", bytes([0]))
put("cifar", "broken-truncated", bytes([0]) + record[:-1])
put("cifar", "broken-extra-byte", bytes([1]) + record + b"\0")
put("cifar", "broken-label-10", bytes([0]) + cifar_record(10, 0))
put("cifar", "broken-label-255-second", bytes([2]) + record + cifar_record(255, 1))
put("cifar", "broken-gz-truncated", bytes([0]) + gz(record)[:-5])
put("cifar", "valid-gz-20-zero-records", bytes([0]) + gz(bytes(3073 * 20)))

# ---------------------------------------------------------------- NumPy image/label pairs
u1_2 = npy("|u1", [2], [0, 3])
put("npyimages", "valid-pair-nchw-u1", twoparts(0, u1_2, npy("|u1", [2, 3, 2, 2], range(24))))
put("npyimages", "valid-folder-nhwc-u1", twoparts(1, u1_2, npy("|u1", [2, 2, 2, 3], range(24))))
put("npyimages", "valid-pair-grey-f4", twoparts(0, npy("<i8", [2], struct.pack("<2q", 1, 0)), npy("<f4", [2, 2, 2], f32([0, 0.25, 0.5, 1] * 2))))
put("npyimages", "valid-pair-nhwc-f8-v2", twoparts(0, npy("<i4", [1], struct.pack("<i", 9), major=2), npy("<f8", [1, 2, 2, 3], f64([k / 11 for k in range(12)]), major=2)))
put("npyimages", "valid-pair-gz", twoparts(0, gz(u1_2), gz(npy("|u1", [2, 1, 4, 4], range(32)))))
put("npyimages", "valid-doubt-nhwc", bytes([2]) + npy("|u1", [2, 3, 3, 1], range(18)))
put("npyimages", "valid-doubt-nchw", bytes([2]) + npy("|u1", [2, 1, 3, 3], range(18)))
put("npyimages", "valid-neither-square-nchw", bytes([2]) + npy("|u1", [2, 4, 2, 2], range(32)))
put("npyimages", "valid-labels-i2", bytes([3]) + npy("<i2", [3], struct.pack("<3h", 2, 0, 7)))
put("npyimages", "valid-labels-u8-be", bytes([3]) + npy(">u8", [2], struct.pack(">2Q", 1, 65535)))
put("npyimages", "valid-labels-i1", bytes([3]) + npy("|i1", [2], [4, 1]))
put("npyimages", "broken-ambiguous", bytes([2]) + npy("|u1", [2, 3, 4, 3], range(72)))
put("npyimages", "broken-rank-2", bytes([2]) + npy("|u1", [2, 4], range(8)))
put("npyimages", "broken-above-one", bytes([2]) + npy("<f4", [2, 1, 1], f32([0.5, 1.5])))
put("npyimages", "broken-negative", bytes([2]) + npy("<f8", [2, 1, 1], f64([-0.0, -1e-9])))
put("npyimages", "broken-nan", bytes([2]) + npy("<f4", [2, 1, 1], f32([float("nan"), 0])))
put("npyimages", "broken-label-negative", bytes([3]) + npy("<i8", [2], struct.pack("<2q", 0, -1)))
put("npyimages", "broken-label-huge", bytes([3]) + npy("<u8", [1], struct.pack("<Q", 2**64 - 1)))
put("npyimages", "broken-label-65536", bytes([3]) + npy("<i4", [1], struct.pack("<i", 65536)))
put("npyimages", "broken-labels-empty", bytes([3]) + npy("<i8", [0], b""))
put("npyimages", "broken-labels-float", bytes([3]) + npy("<f4", [1], f32([1])))
put("npyimages", "broken-count-mismatch", twoparts(0, npy("|u1", [3], [0, 1, 2]), npy("|u1", [2, 2, 2], range(8))))
put("npyimages", "broken-shape-lies", twoparts(1, u1_2, npy("|u1", [2, 3, 100000, 100000], range(8))))
put("npyimages", "broken-fortran", bytes([2]) + npy("|u1", [2, 1, 2, 2], range(8), fortran=True))

if "--check" in sys.argv:
    import numpy as np
    for name in sorted(os.listdir(os.path.join(CORPUS, "npy"))):
        if name.startswith("valid") and "pair" not in name and "gz" not in name:
            data = open(os.path.join(CORPUS, "npy", name), "rb").read()[1:]
            print(name, np.load(io.BytesIO(data)).shape)
