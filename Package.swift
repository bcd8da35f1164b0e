// swift-tools-version:6.0
import Foundation
import PackageDescription

// On x86-64, Curvature's own loops (element-wise ops, im2col, pooling, transcendentals) are
// compiled for x86-64-v3 (AVX2, FMA; every x86 CPU since 2013–2015) instead of the 2003 baseline,
// whose 4-wide SSE2 vectors halved their speed. Results do not change: Swift never contracts
// a·b + c into an FMA by itself, so each element is computed by the same operations. The CLI
// refuses, with a message, to run on a CPU without these extensions (`RequiredCPU` and the
// `CPUFeatures` it reads are compiled for any x86-64); `CURVATURE_BASELINE_ISA=1 swift build` builds for any x86-64.
// (Swift 6.3's clang importer does not know the name x86-64-v3; Haswell's set is the same.)
let buildsForHaswell: Bool = {
    #if arch(x86_64)
    return ProcessInfo.processInfo.environment["CURVATURE_BASELINE_ISA"] != "1"
    #else
    return false
    #endif
}()
let vectorISA: [SwiftSetting] = buildsForHaswell ? [.unsafeFlags(["-target-cpu", "haswell"])] : []
// The C kernels: optimised in every configuration, for the same CPU as the Swift code, and with
// no contraction of a·b + c into FMAs, so they round exactly as the Swift code they replaced.
let cKernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-ffp-contract=off"] + (buildsForHaswell ? ["-march=haswell"] : []))]
let vectorISACheck: [SwiftSetting] = buildsForHaswell ? [.define("CURVATURE_HASWELL_ISA")] : []

// Release builds specialise the Float32/Float64 kernels inside `Tensors`; everything above it
// works with the non-generic `Tensor`, so no generic code crosses a module boundary on the hot path.
// Numeric Swift is 10–50× slower unoptimised; compiling the library targets with -O in debug
// builds too keeps `swift test` on CIFAR-sized networks in seconds (preconditions stay on).
let optimisedEvenInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))] + vectorISA

let package = Package(
    name: "Curvature",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Curvature", targets: ["Curvature"]),
        .executable(name: "curvature", targets: ["curvature"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CLAPACKE", path: "Sources/CLAPACKE", pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .target(name: "Randomness", dependencies: [.product(name: "RealModule", package: "swift-numerics")],
                swiftSettings: optimisedEvenInDebug),
        // Read before anything compiled for AVX2 runs, so compiled for any x86-64 (no vectorISA).
        .target(name: "CPUFeatures"),
        // Float32 transcendental maps in C, which clang vectorises whole (transcendentals.c says why).
        .target(name: "CKernels", cSettings: cKernelFlags),
        .target(
            name: "Tensors",
            dependencies: ["CBLAS", "CKernels", "CPUFeatures", "Randomness", .product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: optimisedEvenInDebug),
        .target(name: "Autodiff", dependencies: ["Tensors"], swiftSettings: optimisedEvenInDebug),
        // Atomic writes and the system's words for a file that failed; below everything that writes.
        .target(name: "FileIO"),
        // Messages that name settings, which the command line shows with its flags' names.
        .target(name: "Messages"),
        .target(name: "NN", dependencies: ["FileIO", "Messages", "Randomness", "Tensors", "Autodiff"], swiftSettings: optimisedEvenInDebug),
        // ONNX graphs evaluated with the engine's own ops; the protobuf code is generated once
        // (scripts/generate-onnx-swift.sh) and committed, so no build plugin runs.
        .target(
            name: "ONNX",
            dependencies: ["FileIO", "Tensors", "Autodiff", "NN", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Generated/onnx.proto"], swiftSettings: optimisedEvenInDebug),
        .target(name: "Datasets", dependencies: ["CZlib", "Randomness"]),
        // A model as a map from images to logits, and batches: what attacks and Hessians both start from.
        .target(name: "Classifiers", dependencies: ["Tensors", "Autodiff", "Datasets"], swiftSettings: optimisedEvenInDebug),
        .target(name: "Robustness", dependencies: ["FileIO", "Messages", "Randomness", "Tensors", "Autodiff", "NN", "Datasets", "Classifiers"],
                swiftSettings: optimisedEvenInDebug),
        .target(name: "Spectra", dependencies: ["CBLAS", "CLAPACKE", "Randomness"], swiftSettings: optimisedEvenInDebug),
        .target(name: "Curvature",
                dependencies: ["CPUFeatures", "FileIO", "Messages", "Randomness", "Tensors", "Autodiff", "NN", "ONNX", "Datasets", "Classifiers", "Robustness", "Spectra"],
                swiftSettings: vectorISACheck),
        .executableTarget(
            name: "curvature",
            dependencies: ["CBLAS", "CPUFeatures", "Curvature", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            resources: [.copy("gnuplot")]),
        .executableTarget(name: "curvature-example", dependencies: ["Curvature"], path: "Sources/CurvatureExample"),
        // What the test targets share: assertMaxError, the one NaN-aware "max error within tolerance",
        // PlottedSeries, a figure's content as gnuplot reports it, and SectionFixture, a section CSV whose
        // boundary is known.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .testTarget(name: "TensorsTests", dependencies: ["CBLAS", "Tensors", "TestSupport"]),
        .testTarget(name: "AutodiffTests", dependencies: ["Autodiff", "Randomness", "Tensors", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Autodiff", "FileIO", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "RobustnessTests", dependencies: ["Randomness", "Robustness", "Classifiers", "NN", "Autodiff", "Tensors", "Datasets", "TestSupport"]),
        .testTarget(name: "CurvatureTests", dependencies: ["Curvature", "CPUFeatures", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["curvature", "curvature-example", "Curvature", "TestSupport",
                                                   .product(name: "ArgumentParser", package: "swift-argument-parser")],
                    exclude: ["Fixtures"]),
        .testTarget(name: "ONNXTests", dependencies: ["ONNX", "NN", "Autodiff", "Tensors", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
        .testTarget(name: "SpectraTests", dependencies: ["CBLAS", "CLAPACKE", "Randomness", "Spectra", "TestSupport"]),
        .testTarget(name: "PlotTests", dependencies: ["TestSupport"], path: "Tests/PlotTests"),
    ],
    swiftLanguageModes: [.v5]
)
