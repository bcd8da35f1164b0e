import ArgumentParser
import Curvature
import Foundation

/// A run that cannot go on because of its input: printed as one line, exit status 1.
typealias InputError = RunError

/// Prints `message` on stderr and exits with the interruption's status (130/143).
func exitInterrupted(_ message: String) -> Never {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
    exit(Interruption.exitCode)
}

/// One line of information on stderr (results go to stdout or files).
func printNote(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}
