// swift-tools-version:6.0
import PackageDescription

// Release builds specialise the Float32/Float64 kernels inside `Tensors`; everything above it
// works with the non-generic `Tensor`, so no generic code crosses a module boundary on the hot path.
// Numeric Swift is 10–50× slower unoptimised; compiling the library targets with -O in debug
// builds too keeps `swift test` on CIFAR-sized networks in seconds (preconditions stay on).
let optimisedEvenInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

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
        .target(
            name: "Tensors",
            dependencies: ["CBLAS", "Randomness", .product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: optimisedEvenInDebug),
        .target(name: "Autodiff", dependencies: ["Tensors"], swiftSettings: optimisedEvenInDebug),
        .target(name: "NN", dependencies: ["Randomness", "Tensors", "Autodiff"], swiftSettings: optimisedEvenInDebug),
        // ONNX graphs evaluated with the engine's own ops; the protobuf code is generated once
        // (scripts/generate-onnx-swift.sh) and committed, so no build plugin runs.
        .target(
            name: "ONNX",
            dependencies: ["Tensors", "Autodiff", "NN", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Generated/onnx.proto"], swiftSettings: optimisedEvenInDebug),
        .target(name: "Datasets", dependencies: ["CZlib", "Randomness"]),
        .target(name: "Robustness", dependencies: ["Randomness", "Tensors", "Autodiff", "NN", "Datasets"],
                swiftSettings: optimisedEvenInDebug),
        .target(name: "Spectra", dependencies: ["CBLAS", "CLAPACKE", "Randomness"], swiftSettings: optimisedEvenInDebug),
        .target(name: "Curvature", dependencies: ["Randomness", "Tensors", "Autodiff", "NN", "ONNX", "Datasets", "Robustness", "Spectra"]),
        .executableTarget(
            name: "curvature",
            dependencies: ["Curvature", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            resources: [.copy("gnuplot")]),
        .executableTarget(name: "curvature-example", dependencies: ["Curvature"], path: "Sources/CurvatureExample"),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .testTarget(name: "AutodiffTests", dependencies: ["Autodiff", "Randomness", "Tensors"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Autodiff", "Tensors"], exclude: ["Fixtures"]),
        .testTarget(name: "RobustnessTests", dependencies: ["Randomness", "Robustness", "NN", "Autodiff", "Tensors", "Datasets"]),
        .testTarget(name: "CurvatureTests", dependencies: ["Curvature"]),
        .testTarget(name: "CLITests", dependencies: ["curvature", "Curvature"]),
        .testTarget(name: "ONNXTests", dependencies: ["ONNX", "NN", "Autodiff", "Tensors"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
        .testTarget(name: "SpectraTests", dependencies: ["Randomness", "Spectra"]),
        .testTarget(name: "PlotTests", dependencies: [], path: "Tests/PlotTests"),
    ],
    swiftLanguageModes: [.v5]
)
