/// Settings that cannot run together, or a value out of their range: a mistake in what was asked,
/// found before any work (the command line reports it as a usage error naming its flags).
public struct SettingError: SettingNamingError {
    public let message: SettingMessage
    public init(_ message: SettingMessage) { self.message = message }
}
