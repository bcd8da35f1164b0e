import Foundation

/// A run that cannot go on because of its input or its files: one line, naming what is wrong.
public struct RunError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A long run stopped at a safe point on request, with its finished work kept.
public struct RunInterrupted: Error, CustomStringConvertible {
    /// What was kept and how to continue.
    public let description: String
    public init(_ description: String) { self.description = description }
}
