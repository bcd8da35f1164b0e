import ArgumentParser
import Curvature
import Foundation

/// The library's messages name settings as its settings types spell them (`maxSteps`); the command
/// line shows each by the flag that sets it (`--max-steps`): `--` and the name in kebab case, but
/// for these.
private let flagsNamedOtherwise = [
    "tolerance": "--tol", "powerIterations": "--max-steps", "end": "--which", "architecture": "--arch",
    "learningRate": "--lr", "skipNonFiniteBatches": "--skip-nonfinite", "resumeFrom": "--resume",
    "searchTolerance": "--search-tol", "minimumCosine": "--min-cosine", "finiteScales": "--h",
]

/// The flag that sets the library setting `name`.
func flag(for name: String) -> String {
    if let flag = flagsNamedOtherwise[name] { return flag }
    return "--" + name.map { $0.isUppercase ? "-" + $0.lowercased() : String($0) }.joined()
}

extension SettingMessage {
    /// The message with each setting named by its flag.
    var inFlags: String { rendered(naming: flag(for:)) }
}

/// Runs `body`, turning settings that cannot run into a usage error naming their flags.
func usage<Result>(_ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as SettingError {
        throw ValidationError(error.message.inFlags)
    }
}

/// A library error in the command line's words: settings named by their flags, and settings that
/// cannot run a usage error (exit status 2); every other error as it is.
func inCommandLineTerms(_ error: Error) -> Error {
    switch error {
    case let error as SettingError: return ValidationError(error.message.inFlags)
    case let error as SettingNamingError: return InputError("\(error.message.inFlags)")
    default: return error
    }
}
