/// A message that names settings, as "`k` 50 is larger than `maxSteps` 20": the library names
/// each setting as its settings type spells it, and a front end shows it in its own terms
/// (``rendered(naming:)``; the command line: its flag, `--max-steps`), so one sentence serves both.
///
/// Written as a string with `\(setting: "maxSteps")` where a setting is named.
public struct SettingMessage: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringInterpolation {
    enum Piece: Sendable, Equatable {
        case text(String)
        case setting(String)
    }

    private let pieces: [Piece]

    public init(stringLiteral value: String) { pieces = [.text(value)] }

    public init(stringInterpolation: Interpolation) { pieces = stringInterpolation.pieces }

    public struct Interpolation: StringInterpolationProtocol {
        var pieces: [Piece] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) { pieces.append(.text(literal)) }

        /// A setting, by its name in its settings type (`maxSteps`).
        public mutating func appendInterpolation(setting name: String) { pieces.append(.setting(name)) }

        /// Another message, its settings still named as settings.
        public mutating func appendInterpolation(_ message: SettingMessage) { pieces += message.pieces }

        public mutating func appendInterpolation<Value>(_ value: Value) { pieces.append(.text("\(value)")) }
    }

    /// The settings named, in order.
    public var settings: [String] {
        pieces.compactMap { piece in
            if case let .setting(name) = piece { return name }
            return nil
        }
    }

    /// The message with each setting called `name(setting)`.
    public func rendered(naming name: (String) -> String) -> String {
        pieces.map { piece in
            switch piece {
            case let .text(text): return text
            case let .setting(setting): return name(setting)
            }
        }.joined()
    }

    /// The library's words: each setting's name in backquotes.
    public var description: String { rendered { "`\($0)`" } }
}

/// An error whose message names settings (``SettingMessage``); its description is the library's words.
public protocol SettingNamingError: Error, CustomStringConvertible {
    var message: SettingMessage { get }
}

extension SettingNamingError {
    public var description: String { message.description }
}
