import Messages

/// A run that cannot go on because of its input or its files: one line, naming what is wrong.
public struct RunError: SettingNamingError {
    public let message: SettingMessage
    public init(_ message: SettingMessage) { self.message = message }
}

/// A long run stopped at a safe point on request, with its finished work kept.
public struct RunInterrupted: SettingNamingError {
    /// What was kept and how to continue.
    public let message: SettingMessage
    public init(_ message: SettingMessage) { self.message = message }
}
