/// Why JSON text could not be read; offsets count bytes from the start of the text.
public enum JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text ended where `expected` was due.
    case unexpectedEnd(expected: String)
    /// Something else than `expected` at `at`.
    case unexpected(at: Int, expected: String)
    /// A raw control character (below U+0020) inside a string.
    case controlCharacter(at: Int)
    /// A string whose bytes are not UTF-8.
    case invalidUTF8(at: Int)
    /// A backslash escape that JSON does not allow.
    case invalidEscape(at: Int, why: String)
    /// A number that does not follow JSON's number grammar.
    case invalidNumber(at: Int)
    /// A number the requested Swift type cannot hold (as `JSONDecoder` would refuse it).
    case numberOutOfRange(String, at: Int, type: String)
    /// Arrays and objects nested deeper than the limit.
    case tooDeep(at: Int, limit: Int)
    /// More than whitespace after the value.
    case trailingContent(at: Int)

    public var description: String {
        switch self {
        case let .unexpectedEnd(expected): return "the text ends where \(expected) was expected"
        case let .unexpected(at, expected): return "byte \(at): expected \(expected)"
        case let .controlCharacter(at): return "byte \(at): a control character inside a string must be escaped"
        case let .invalidUTF8(at): return "string at byte \(at) is not valid UTF-8"
        case let .invalidEscape(at, why): return "byte \(at): invalid escape (\(why))"
        case let .invalidNumber(at): return "byte \(at): not a JSON number"
        case let .numberOutOfRange(text, at, type): return "byte \(at): the number \(text) does not fit in \(type)"
        case let .tooDeep(at, limit): return "byte \(at): arrays and objects are nested deeper than \(limit)"
        case let .trailingContent(at): return "byte \(at): more text after the JSON value"
        }
    }
}
