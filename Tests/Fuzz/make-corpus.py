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

# ---------------------------------------------------------------- ONNX
# Needs the `onnx` package (e.g. the venv of Tests/ONNXTests/Fixtures/README.md); without it the
# ONNX seeds are left as they are. Mode byte: bit 0 float64, bit 1 save and reload.
try:
    import onnx
    from onnx import TensorProto, helper
except ImportError:
    onnx = None
    print("make-corpus.py: no `onnx` package, Corpus/onnx/ left as it is", file=sys.stderr)

if onnx is not None:
    FIXTURES = os.path.join(HERE, "..", "ONNXTests", "Fixtures")
    F = TensorProto.FLOAT

    def ramp(count, scale=0.1, offset=0.0):
        return [round(offset + scale * ((7 * k) % 11 - 5), 4) for k in range(count)]

    def init(name, dims, values=None, dtype=TensorProto.FLOAT, raw=True):
        count = 1
        for d in dims:
            count *= d
        values = ramp(count) if values is None else values
        if raw and dtype in (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.INT64, TensorProto.INT32):
            fmt = {TensorProto.FLOAT: "f", TensorProto.DOUBLE: "d", TensorProto.INT64: "q", TensorProto.INT32: "i"}[dtype]
            return helper.make_tensor(name, dtype, dims, struct.pack("<%d%s" % (len(values), fmt), *values), raw=True)
        return helper.make_tensor(name, dtype, dims, values)

    def lying(name, dims, raw, dtype=TensorProto.FLOAT):
        """A tensor whose dims need not match its bytes (helper.make_tensor would refuse it)."""
        tensor = TensorProto()
        tensor.name, tensor.data_type, tensor.raw_data = name, dtype, raw
        tensor.dims.extend(dims)
        return tensor

    def ints(name, values):
        return init(name, [len(values)], values, TensorProto.INT64)

    def node(op, inputs, outputs, name=None, **attributes):
        return helper.make_node(op, inputs, outputs, name=name, **attributes)

    def model(nodes, shape, initializers=(), opset=13, out="y", out_shape=None, batch="N", producer=None):
        graph = helper.make_graph(
            nodes, "g", [helper.make_tensor_value_info("x", F, [batch] + shape)],
            [helper.make_tensor_value_info(out, F, out_shape)], list(initializers))
        kwargs = {"opset_imports": [helper.make_opsetid("", opset)], "ir_version": 8}
        if producer:
            kwargs["producer_name"] = producer
        return helper.make_model(graph, **kwargs).SerializeToString()

    def put_onnx(name, data, mode=0):
        assert len(data) < 16384, (name, len(data))
        put("onnx", name, bytes([mode]) + data)

    def head(inp, features, classes=3, opset=13):
        """Flatten → Gemm (transB) to `classes` logits."""
        return ([node("Flatten", [inp], ["flat"]), node("Gemm", ["flat", "W_head", "b_head"], ["y"], transB=1)],
                [init("W_head", [classes, features]), init("b_head", [classes])])

    # Fixtures small enough for -max_len=16384.
    for fixture, mode in [("unsupported.onnx", 0), ("softmax_head.onnx", 1), ("softmax_head-f64.onnx", 3),
                          ("mnist_bn.onnx", 0), ("external_data.onnx", 0), ("ops_zoo.onnx", 2)]:
        path = os.path.join(FIXTURES, fixture)
        if os.path.exists(path):
            put_onnx("fixture-" + fixture.replace(".onnx", ""), open(path, "rb").read(), mode)

    # MLP with a Softmax head (dropped with a note).
    h, i = head("x", 16, classes=4)
    put_onnx("valid-mlp-softmax", model(
        [node("Flatten", ["x"], ["f0"]), node("Gemm", ["f0", "W1", "b1"], ["h1"], transB=1), node("Relu", ["h1"], ["r1"]),
         node("Gemm", ["r1", "W2", "b2"], ["z"], alpha=0.5, beta=2.0, transB=1), node("Softmax", ["z"], ["y"], axis=1)],
        [1, 4, 4], [init("W1", [8, 16]), init("b1", [8]), init("W2", [3, 8]), init("b2", [3])], opset=11), 0)
    put_onnx("valid-mlp-logsoftmax-f64", model(
        [node("Flatten", ["x"], ["f0"]), node("Gemm", ["f0", "W1"], ["z"]), node("LogSoftmax", ["z"], ["y"])],
        [2, 2], [init("W1", [4, 3], raw=False)], opset=13), 1)

    # Conv with asymmetric pads, dilation, stride; grouped conv; auto_pad.
    h, i = head("r", 2 * 5 * 4)
    put_onnx("valid-conv-pads-dilations", model(
        [node("Conv", ["x", "Wc", "bc"], ["c"], pads=[1, 0, 2, 1], dilations=[2, 1], strides=[1, 1]), node("Relu", ["c"], ["r"])] + h,
        [1, 4, 4], [init("Wc", [2, 1, 2, 2]), init("bc", [2])] + i), 0)
    h, i = head("p", 4)
    put_onnx("valid-conv-group-globalpool", model(
        [node("Conv", ["x", "Wg"], ["c"], group=2, kernel_shape=[3, 3], pads=[1, 1, 1, 1]), node("GlobalAveragePool", ["c"], ["p"])] + h,
        [4, 3, 3], [init("Wg", [4, 2, 3, 3])] + i), 1)
    h, i = head("m", 2 * 3 * 3)
    put_onnx("valid-conv-same-upper-maxpool", model(
        [node("Conv", ["x", "Wc"], ["c"], auto_pad="SAME_UPPER", strides=[2, 2]),
         node("MaxPool", ["c"], ["m"], kernel_shape=[2, 2], pads=[0, 0, 1, 1])] + h,
        [1, 5, 5], [init("Wc", [2, 1, 3, 3])] + i), 2)
    h, i = head("a", 1 * 2 * 2)
    put_onnx("valid-conv-same-lower-avgpool", model(
        [node("Conv", ["x", "Wc"], ["c"], auto_pad="SAME_LOWER"),
         node("AveragePool", ["c"], ["a"], kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 0, 0], count_include_pad=0)] + h,
        [1, 4, 4], [init("Wc", [1, 1, 2, 2])] + i), 0)

    # Pad: opset 11+ (pads, value and axes as inputs), opset 9 (attributes).
    h, i = head("q", 1 * 4 * 5)
    put_onnx("valid-pad-inputs-avgpool", model(
        [node("Pad", ["x", "pads", "pv"], ["p"], mode="constant"),
         node("AveragePool", ["p"], ["q"], kernel_shape=[2, 2], count_include_pad=1)] + h,
        [1, 3, 4], [ints("pads", [0, 0, 1, 1, 0, 0, 1, 1]), init("pv", [], [0.5])] + i), 1)
    h, i = head("p", 1 * 3 * 6)
    put_onnx("valid-pad-axes-opset18", model(
        [node("Pad", ["x", "pads", "", "axes"], ["p"])] + h,
        [1, 2, 3], [ints("pads", [0, 1, 1, 2]), ints("axes", [2, 3])] + i, opset=18), 0)
    h, i = head("p", 2 * 4 * 2)
    put_onnx("valid-pad-attributes-opset9", model(
        [node("Pad", ["x"], ["p"], pads=[0, 1, 1, 0, 0, 0, 1, 0], value=-1.0)] + h,
        [1, 2, 2], i, opset=9), 0)

    # Concat, Transpose, MatMul + Add.
    h, i = head("cat", 3 * 3 * 3)
    put_onnx("valid-concat-two-convs", model(
        [node("Conv", ["x", "Wa"], ["a"]), node("Conv", ["x", "Wb"], ["b"]), node("Concat", ["a", "b"], ["cat"], axis=1)] + h,
        [1, 4, 4], [init("Wa", [1, 1, 2, 2]), init("Wb", [2, 1, 2, 2])] + i), 0)
    put_onnx("valid-transpose-matmul-add", model(
        [node("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]), node("Reshape", ["t", "shape"], ["r"]),
         node("MatMul", ["r", "Wm"], ["mm"]), node("Add", ["mm", "bm"], ["y"])],
        [2, 2, 3], [ints("shape", [-1, 12]), init("Wm", [12, 3]), init("bm", [3])]), 2)
    put_onnx("valid-matmul-3d", model(
        [node("MatMul", ["x", "Wm"], ["mm"]), node("Flatten", ["mm"], ["y"])],
        [2, 3], [init("Wm", [3, 2])]), 1)

    # The exporters' shape chain: Shape → Gather → Unsqueeze → Concat → Reshape.
    h, i = head("r", 2 * 3 * 3)
    put_onnx("valid-shape-gather-unsqueeze-concat-reshape", model(
        [node("Shape", ["x"], ["s"]), node("Constant", [], ["zero"], value=helper.make_tensor("v", TensorProto.INT64, [], [0])),
         node("Gather", ["s", "zero"], ["n"], axis=0), node("Unsqueeze", ["n", "ax0"], ["n1"]),
         node("Concat", ["n1", "minus1"], ["target"], axis=0), node("Reshape", ["x", "target"], ["r"]),
         node("Gemm", ["r", "W_head", "b_head"], ["y"], transB=1)],
        [2, 3, 3], [ints("ax0", [0]), ints("minus1", [-1]), init("W_head", [3, 18]), init("b_head", [3])]), 0)
    put_onnx("valid-shape-chain-opset11", model(
        [node("Shape", ["x"], ["s"]), node("Gather", ["s", "idx"], ["n"], axis=0), node("Unsqueeze", ["n"], ["n1"], axes=[0]),
         node("Concat", ["n1", "rest"], ["target"], axis=0), node("Reshape", ["x", "target"], ["r"]),
         node("Gemm", ["r", "W"], ["y"])],
        [1, 2, 3], [init("idx", [], [0], TensorProto.INT64), ints("rest", [6]), init("W", [6, 2])], opset=11), 1)
    put_onnx("valid-shape-start-end-mul-reshape", model(
        [node("Shape", ["x"], ["s"], start=1), node("ReduceMean", ["x"], ["unused"], axes=[2], keepdims=0)][:1]
        + [node("Slice", ["s", "st", "en", "ax", "sp"], ["hw"]), node("Constant", [], ["prod"], value_ints=[1, 1]),
           node("Mul", ["hw", "prod"], ["hw2"]), node("Concat", ["zero", "c", "hw2"], ["target"], axis=0),
           node("Reshape", ["x", "target"], ["r"]), node("ReduceMean", ["r"], ["m"], axes=[2, 3], keepdims=0),
           node("Gemm", ["m", "W"], ["y"], transB=1)],
        [2, 3, 4], [ints("st", [1]), ints("en", [3]), ints("ax", [0]), ints("sp", [1]), ints("zero", [0]), ints("c", [2]),
                    init("W", [4, 2])]), 0)
    put_onnx("valid-slice-opset9-attributes", model(
        [node("Shape", ["x"], ["s"]), node("Slice", ["s"], ["tail"], starts=[1], ends=[100]),
         node("Slice", ["tail"], ["none"], starts=[5], ends=[2]), node("Concat", ["batch", "flatc"], ["target"], axis=0),
         node("Reshape", ["x", "target"], ["r"]), node("Gemm", ["r", "W"], ["y"])],
        [2, 2], [ints("batch", [0]), ints("flatc", [-1]), init("W", [4, 3])], opset=9), 0)
    put_onnx("valid-slice-negative-step-transpose", model(
        [node("Constant", [], ["m"], value=helper.make_tensor("v", TensorProto.INT64, [2, 3], [1, 2, 3, 4, 5, 6])),
         node("Slice", ["m", "st", "en", "ax", "sp"], ["s"]), node("Transpose", ["s"], ["t"], perm=[1, 0]),
         node("Reshape", ["t", "minus1"], ["v"]), node("Gather", ["v", "gi"], ["g"]),
         node("Concat", ["zero", "g"], ["target"], axis=0), node("Reshape", ["x", "target"], ["r"]),
         node("Gemm", ["r", "W"], ["y"])],
        [2, 2], [ints("st", [-1]), ints("en", [-100]), ints("ax", [1]), ints("sp", [-1]), ints("minus1", [-1]),
                 init("gi", [1], [-1], TensorProto.INT64), ints("zero", [0]), init("W", [4, 2])]), 0)

    # ConstantOfShape: integer pads (as in ops_zoo's F.pad) and a float constant operand.
    h, i = head("p", 1 * 3 * 3)
    put_onnx("valid-constantofshape-pads", model(
        [node("ConstantOfShape", ["eight"], ["zeros8"], value=helper.make_tensor("v", TensorProto.INT64, [1], [0])),
         node("Concat", ["zeros8"], ["pads0"], axis=0), node("Slice", ["pads0", "s0", "s1"], ["pads_a"]),
         node("Concat", ["pads_a", "one_one"], ["pads"], axis=0),
         node("Pad", ["x", "pads", "pv"], ["p"])] + h,
        [1, 2, 2], [ints("eight", [6]), ints("s0", [0]), ints("s1", [6]), ints("one_one", [1, 1]), init("pv", [], [0.25])] + i), 0)
    put_onnx("valid-constantofshape-float", model(
        [node("ConstantOfShape", ["shape"], ["k"], value=helper.make_tensor("v", F, [1], [0.5])),
         node("Add", ["x", "k"], ["a"]), node("Flatten", ["a"], ["f"]), node("Gemm", ["f", "W"], ["y"])],
        [1, 2, 2], [ints("shape", [1, 2, 2]), init("W", [4, 2])]), 1)

    # BatchNormalization on [N, C, H, W] (after Conv) and on [N, C]; typed float_data.
    put_onnx("valid-batchnorm-2d-and-1d", model(
        [node("Conv", ["x", "Wc"], ["c"]),
         node("BatchNormalization", ["c", "s", "b", "mu", "var"], ["bn"], epsilon=1e-3, momentum=0.9), node("Relu", ["bn"], ["r"]),
         node("Flatten", ["r"], ["f"]), node("Gemm", ["f", "W"], ["g"], transB=1),
         node("BatchNormalization", ["g", "s1", "b1", "mu1", "var1"], ["y"])],
        [1, 3, 3], [init("Wc", [2, 1, 2, 2], raw=False), init("s", [2], [1.0, 0.5]), init("b", [2], [0.0, 0.1]), init("mu", [2], [0.1, -0.1]),
                    init("var", [2], [1.0, 2.0]), init("W", [3, 8]), init("s1", [3], [1, 1, 1]), init("b1", [3], [0, 0, 0]),
                    init("mu1", [3], [0, 0, 0]), init("var1", [3], [1, 1, 1])], opset=9), 0)

    # Element-wise operators and their attribute/input variants.
    put_onnx("valid-activations", model(
        [node("Clip", ["x", "lo", "hi"], ["c"]), node("LeakyRelu", ["c"], ["l"], alpha=0.2), node("Elu", ["l"], ["e"], alpha=0.5),
         node("Sigmoid", ["e"], ["s"]), node("Tanh", ["s"], ["t"]), node("Softplus", ["t"], ["sp"]), node("Abs", ["sp"], ["ab"]),
         node("Neg", ["ab"], ["n"]), node("Exp", ["n"], ["ex"]), node("Sqrt", ["ex"], ["sq"]), node("Log", ["sq"], ["lg"]),
         node("Erf", ["lg"], ["er"]), node("Pow", ["er", "three"], ["pw"]), node("Mul", ["pw", "half"], ["mu"]),
         node("Sub", ["mu", "x"], ["su"]), node("Div", ["su", "two"], ["dv"]), node("Div", ["dv", "dv2"], ["dv3"]),
         node("Identity", ["dv3"], ["id"]), node("Dropout", ["id"], ["dr"]), node("Cast", ["dr"], ["ca"], to=1),
         node("Relu", ["ca"], ["re"]), node("Flatten", ["re"], ["f"]), node("Gemm", ["f", "W"], ["y"])],
        [1, 2, 2], [init("lo", [], [-0.5]), init("hi", [], [0.5]), init("three", [], [3.0]), init("half", [1], [0.5]),
                    init("two", [], [2], TensorProto.INT64), init("dv2", [1, 2, 2], [1, 2, 3, 4]), init("W", [4, 2])], opset=13), 1)
    put_onnx("valid-clip-opset9-gelu", model(
        [node("Clip", ["x"], ["c"], min=-1.0, max=2.0), node("Gelu", ["c"], ["g"], approximate="tanh"), node("Gelu", ["g"], ["g2"]),
         node("Flatten", ["g2"], ["f"]), node("Gemm", ["f", "W"], ["y"])],
        [1, 2, 2], [init("W", [4, 2])], opset=9), 0)

    # Squeeze / Unsqueeze with axes as attributes (opset 11) and as inputs (opset 13), ReduceMean.
    put_onnx("valid-squeeze-unsqueeze-opset11", model(
        [node("GlobalAveragePool", ["x"], ["p"]), node("Squeeze", ["p"], ["s"], axes=[2, 3]), node("Unsqueeze", ["s"], ["u"], axes=[2]),
         node("Squeeze", ["u"], ["s2"], axes=[2]), node("ReduceMean", ["x"], ["rm"], axes=[1], keepdims=1), node("Flatten", ["rm"], ["rf"]),
         node("Gemm", ["s2", "W"], ["y"])],
        [3, 2, 2], [init("W", [3, 2])], opset=11), 0)
    put_onnx("valid-squeeze-unsqueeze-reducemean-opset18", model(
        [node("Unsqueeze", ["x", "ax"], ["u"]), node("Squeeze", ["u", "ax"], ["s"]), node("ReduceMean", ["s", "rax"], ["m"], keepdims=0),
         node("Gemm", ["m", "W"], ["y"])],
        [2, 3, 3], [ints("ax", [-1]), ints("rax", [2, 3]), init("W", [2, 2])], opset=18), 2)

    # Element types: float16 initializer + Cast, double, typed int32 pads, Constant kinds.
    half = helper.make_tensor("W16", TensorProto.FLOAT16, [4, 2], [0.5, -0.25, 1.0, 2.0, 0.0, -1.5, 0.125, 3.0])
    put_onnx("valid-float16-cast-double", model(
        [node("Cast", ["W16"], ["W"], to=1), node("Flatten", ["x"], ["f"]), node("MatMul", ["f", "W"], ["m"]),
         node("Add", ["m", "b64"], ["y"])],
        [1, 2, 2], [half, init("b64", [2], [0.5, -0.5], TensorProto.DOUBLE)]), 3)
    put_onnx("valid-constants", model(
        [node("Constant", [], ["cf"], value_float=2.0), node("Constant", [], ["cfs"], value_floats=[1.0, 2.0, 3.0, 4.0]),
         node("Constant", [], ["ci"], value_int=1), node("Mul", ["x", "cf"], ["a"]), node("Reshape", ["a", "tgt"], ["r"]),
         node("Mul", ["r", "cfs"], ["b"]), node("Add", ["b", "ci"], ["y"])],
        [1, 2, 2], [ints("tgt", [0, 4])]), 0)
    put_onnx("valid-int32-uint8-bool", model(
        [node("Cast", ["p32"], ["pads"], to=7), node("Pad", ["x", "pads"], ["p"]), node("Flatten", ["p"], ["f"]),
         node("Gemm", ["f", "W"], ["y"])],
        [1, 1, 2], [init("p32", [8], [0, 0, 0, 1, 0, 0, 0, 1], TensorProto.INT32), init("u8", [2], [1, 2], TensorProto.UINT8, raw=False),
                    init("b", [1], [1], TensorProto.BOOL, raw=False), init("W", [4, 2])]), 0)
    put_onnx("valid-fixed-batch-reshape", model(
        [node("Reshape", ["x", "tgt"], ["r"]), node("Gemm", ["r", "W"], ["y"])],
        [2, 2], [ints("tgt", [4, 4]), init("W", [4, 2])], batch=4), 0)

    # Refused: one of each kind of problem.
    mlp = ([node("Flatten", ["x"], ["f"]), node("Gemm", ["f", "W"], ["y"])], [init("W", [4, 2])])
    put_onnx("broken-opset-8", model(*mlp[:1], [1, 2, 2], mlp[1], opset=8), 0)
    put_onnx("broken-dynamic-axis", model(mlp[0], [1, "h", 2], mlp[1]), 0)
    put_onnx("broken-custom-domain", model([node("Flatten", ["x"], ["f"]), helper.make_node("Gemm", ["f", "W"], ["y"], domain="com.x")],
                                           [1, 2, 2], mlp[1]), 0)
    put_onnx("broken-unsupported-op", model([node("Sin", ["x"], ["s"])] + [node("Flatten", ["s"], ["f"]), mlp[0][1]], [1, 2, 2], mlp[1]), 0)
    put_onnx("broken-nan-weight", model(mlp[0], [1, 2, 2], [init("W", [4, 2], [float("nan")] * 8)]), 0)
    put_onnx("broken-shape-lies", model(mlp[0], [1, 2, 2], [lying("W", [4, 3], bytes(32))]), 0)
    put_onnx("broken-missing-input", model([node("Flatten", ["x"], ["f"]), node("Gemm", ["f", "nothing"], ["y"])], [1, 2, 2]), 0)
    put_onnx("broken-output-not-vector", model([node("Relu", ["x"], ["y"])], [1, 2, 2]), 0)
    put_onnx("broken-batch-mixed", model([node("Reshape", ["x", "t"], ["y"])], [2, 2], [ints("t", [1, -1])]), 0)
    put_onnx("broken-truncated", model(mlp[0], [1, 2, 2], mlp[1])[:-7], 0)
    put_onnx("broken-huge-tensor-dims", model(mlp[0], [1, 2, 2], [lying("W", [1 << 30, 1 << 30], bytes(32))]), 0)
    put_onnx("broken-huge-input", model(mlp[0], [65536, 65536, 65536], mlp[1]), 0)
    put_onnx("broken-huge-reshape", model([node("Reshape", ["x", "t"], ["r"])] + mlp[0][1:], [1, 2, 2],
                                          [ints("t", [0, 1 << 40, 1 << 40])] + mlp[1]), 0)
    put_onnx("broken-huge-constantofshape", model(
        [node("ConstantOfShape", ["s"], ["k"], value=helper.make_tensor("v", F, [1], [1.0])), node("Add", ["x", "k"], ["a"])] +
        [node("Flatten", ["a"], ["f"]), mlp[0][1]], [1, 2, 2], [ints("s", [1 << 20, 1 << 20, 4])] + mlp[1]), 0)
    put_onnx("broken-huge-pad", model([node("Pad", ["x", "pads"], ["p"]), node("Flatten", ["p"], ["f"]), mlp[0][1]], [1, 2, 2],
                                      [ints("pads", [0, 0, 0, 1 << 40, 0, 0, 0, 1 << 40])] + mlp[1]), 0)
    put_onnx("broken-huge-dilation", model([node("Conv", ["x", "Wc"], ["c"], dilations=[1 << 40, 1 << 40])] + mlp[0], [1, 2, 2],
                                           [init("Wc", [1, 1, 2, 2])] + mlp[1]), 0)
    put_onnx("broken-huge-group", model([node("Conv", ["x", "Wc"], ["c"], group=1 << 62)] + mlp[0], [1, 2, 2],
                                        [init("Wc", [1, 1, 2, 2])] + mlp[1]), 0)
    put_onnx("broken-huge-conv-pads", model([node("Conv", ["x", "Wc"], ["c"], pads=[0, 0, 1 << 62, 1 << 62])] + mlp[0], [1, 2, 2],
                                            [init("Wc", [1, 1, 2, 2])] + mlp[1]), 0)
    put_onnx("broken-huge-pool-pads", model([node("MaxPool", ["x"], ["c"], kernel_shape=[2, 2], pads=[1 << 62, 0, 1 << 62, 0])] + mlp[0],
                                            [1, 2, 2], mlp[1]), 0)
    put_onnx("broken-integer-overflow", model(
        [node("Mul", ["big", "big"], ["sq"]), node("Concat", ["zero", "sq"], ["t"], axis=0), node("Reshape", ["x", "t"], ["r"])] + mlp[0][1:],
        [1, 2, 2], [ints("big", [1 << 62]), ints("zero", [0])] + mlp[1]), 0)
    put_onnx("broken-broadcast-batch", model(
        [node("Flatten", ["x"], ["f"]), node("ReduceMean", ["f"], ["m"], axes=[1], keepdims=0), node("Add", ["f", "m"], ["y"])],
        [1, 2, 2]), 0)
    put_onnx("broken-broadcast-moves-batch", model(
        [node("Flatten", ["x"], ["f"]), node("Add", ["f", "c"], ["a"]), node("Flatten", ["a"], ["y"])],
        [1, 2, 2], [init("c", [1, 1, 4])]), 0)
    put_onnx("broken-squeeze-integer-nonunit", model(
        [node("Squeeze", ["e"], ["s"], axes=[0]), node("Slice", ["s"], ["t"], starts=[0], ends=[5]),
         node("Concat", ["zero", "t"], ["tg"], axis=0), node("Reshape", ["x", "tg"], ["r"])] + mlp[0][1:],
        [1, 2, 2], [lying("e", [0, 5], b"", TensorProto.INT64), ints("zero", [0])] + mlp[1], opset=11), 0)
    put_onnx("broken-constantofshape-empty-value", model(
        [node("ConstantOfShape", ["s"], ["k"], value=lying("v", [0], b"")), node("Add", ["x", "k"], ["a"])] +
        [node("Flatten", ["a"], ["f"]), mlp[0][1]], [1, 2, 2], [ints("s", [1, 2, 2])] + mlp[1]), 0)
    put_onnx("broken-node-without-output", model([node("Relu", ["x"], [])] + mlp[0], [1, 2, 2], mlp[1]), 0)
    put_onnx("broken-many-heavy-nodes", model(
        [node("Relu", ["x"], ["r0"])] + [node("Relu", ["r%d" % k], ["r%d" % (k + 1)]) for k in range(600)] +
        [node("ReduceMean", ["r600"], ["y"], axes=[1, 2, 3], keepdims=0)], [16, 512, 512]), 0)
    put_onnx("broken-heavy-conv", model(
        [node("ConstantOfShape", ["ks"], ["k"], value=helper.make_tensor("v", F, [1], [0.01])), node("Conv", ["x", "k"], ["c"]),
         node("ReduceMean", ["c"], ["y"], axes=[2, 3], keepdims=0)], [1, 1024, 1024], [ints("ks", [1024, 1, 2, 2])]), 0)
    put_onnx("broken-heavy-pool", model(
        [node("MaxPool", ["x"], ["m"], kernel_shape=[300, 300]), node("ReduceMean", ["m"], ["y"], axes=[2, 3], keepdims=0)],
        [1, 2048, 2048]), 0)
    put_onnx("broken-heavy-concat", model(
        [node("Concat", ["x"] * 4000, ["c"], axis=1), node("ReduceMean", ["c"], ["y"], axes=[2, 3], keepdims=0)], [1, 32, 32]), 0)
    put_onnx("broken-slice-step-overflow", model(
        [node("Shape", ["x"], ["s"]), node("Slice", ["s", "st", "en", "ax", "sp"], ["t"]), node("Reshape", ["x", "t"], ["r"])] + mlp[0][1:],
        [1, 2, 2], [ints("st", [1]), ints("en", [3]), ints("ax", [0]), ints("sp", [(1 << 63) - 1])] + mlp[1]), 0)

if "--check" in sys.argv:
    import numpy as np
    for name in sorted(os.listdir(os.path.join(CORPUS, "npy"))):
        if name.startswith("valid") and "pair" not in name and "gz" not in name:
            data = open(os.path.join(CORPUS, "npy", name), "rb").read()[1:]
            print(name, np.load(io.BytesIO(data)).shape)
