// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses for every file parser of the main package; see README.md and run.sh.
//
// Build only through run.sh: the sanitizer flags are passed on the command line
// (`--sanitize fuzzer -Xswiftc -sanitize=fuzzer,address`, see README.md for why exactly these) so
// that the main package's targets, which come in as a path dependency, are instrumented for
// coverage too. A plain `swift build` of this package links no `main` and fails; the main
// package's own build and `swift test` never see it.
let fuzzTargets = [
    "fuzz-idx", "fuzz-csv", "fuzz-npy", "fuzz-gzip", "fuzz-safetensors", "fuzz-architecture", "fuzz-cifar", "fuzz-npyimages", "fuzz-onnx",
]

let package = Package(
    name: "CurvatureFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "Curvature", path: "../..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "Curvature", package: "Curvature")]),
    ] + fuzzTargets.map { name in
        .executableTarget(
            name: name, dependencies: ["FuzzSupport", .product(name: "Curvature", package: "Curvature")],
            // No main.swift: libFuzzer supplies `main` and calls LLVMFuzzerTestOneInput.
            swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    },
    swiftLanguageModes: [.v5]
)
