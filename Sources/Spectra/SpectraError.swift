/// Everything that can go wrong inside `Spectra`, with a message that says what to do about it.
///
/// LAPACK reports failure through an integer `info`; ``SpectraError/lapack(routine:info:)`` keeps
/// the routine's name and that code so a failure can be looked up in the LAPACK documentation.
public enum SpectraError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A LAPACKE routine returned a nonzero `info`.
    case lapack(routine: String, info: Int)
    /// An argument is out of range or has the wrong size; the text names it.
    case invalidArgument(String)
    /// The operator wrote a result of the wrong length.
    case operatorOutputSize(expected: Int, actual: Int)
    /// The operator returned NaN or an infinity for `sample` at coordinate `index`.
    case operatorOutputNotFinite(sample: Int, index: Int)
    /// More eigenvalues were requested than Lanczos steps were allowed.
    case tooManyEigenvalues(requested: Int, steps: Int)
    /// More Lanczos steps were requested than the dimension allows.
    case tooManySteps(steps: Int, dimension: Int)
    /// The dense solver refuses a dimension above its limit.
    case denseDimensionAboveLimit(dimension: Int, limit: Int)
    /// A matrix given as symmetric is not, to the stated tolerance.
    case notSymmetric(sample: Int, asymmetry: Double, tolerance: Double)

    public var description: String {
        switch self {
        case let .lapack(routine, info):
            return "\(routine) failed with info = \(info): \(lapackInfoMeaning(routine: routine, info: info))"
        case let .invalidArgument(message):
            return "invalid argument: \(message)"
        case let .operatorOutputSize(expected, actual):
            return "the operator wrote \(actual) values, expected batchSize × dimension = \(expected)"
        case let .operatorOutputNotFinite(sample, index):
            return "the operator returned a non-finite value for sample \(sample) at coordinate \(index)"
        case let .tooManyEigenvalues(requested, steps):
            return "requested \(requested) Ritz values from \(steps) Lanczos steps; "
                + "k must be ≤ m (take more steps or ask for fewer values)"
        case let .tooManySteps(steps, dimension):
            return "requested \(steps) Lanczos steps in dimension \(dimension); m must be ≤ dimension "
                + "(at m = dimension Lanczos already spans the whole space)"
        case let .denseDimensionAboveLimit(dimension, limit):
            return "dimension \(dimension) is above the dense solver's limit of \(limit) "
                + "(it stores batchSize × dimension² doubles and costs dimension³ per sample); "
                + "use lanczos(_:options:) for the extreme eigenvalues or raise maxDimension"
        case let .notSymmetric(sample, asymmetry, tolerance):
            return "matrix \(sample) is not symmetric: ‖A − Aᵀ‖/‖A‖ = \(asymmetry) > \(tolerance)"
        }
    }
}

/// What LAPACK's documentation says a given `info` means for the routines `Spectra` calls.
func lapackInfoMeaning(routine: String, info: Int) -> String {
    // LAPACKE's own codes for failed allocations.
    if info == -1010 { return "LAPACKE could not allocate its workspace" }
    if info == -1011 { return "LAPACKE could not allocate memory for a layout transposition" }
    if info < 0 {
        // LAPACKE's NaN check reports a NaN input array as an illegal argument.
        return "argument \(-info) had an illegal value (LAPACKE also reports NaN in an input array this way)"
    }
    switch routine {
    case "LAPACKE_dstev":
        return "the QL/QR iteration failed to converge; \(info) off-diagonal elements did not converge to zero"
    case "LAPACKE_dstebz":
        switch info {
        case 1: return "bisection failed to converge for some eigenvalues"
        case 2: return "not all requested eigenvalues were found (non-monotonic Sturm sequence)"
        case 3: return "bisection failed to converge and not all requested eigenvalues were found"
        case 4: return "the initial Gershgorin interval was too small; no eigenvalues were computed"
        default: return "unexpected positive info"
        }
    case "LAPACKE_dstein":
        return "\(info) eigenvectors failed to converge in the maximum number of inverse iterations"
    case "LAPACKE_dsyevd":
        return "the divide-and-conquer algorithm failed to converge"
    default:
        return "the routine reported a failure"
    }
}
