import Glibc

/// Everything that can go wrong while reading, writing or checksumming event files, or while
/// validating an operation's request. Each case names the file (or field) and what was expected.
public enum EventFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened (`errno` from `open(2)`).
    case openFailed(path: String, errno: Int32)
    /// A read system call failed at `offset`.
    case readFailed(path: String, offset: UInt64, errno: Int32)
    /// The file ends at `offset` although `expected` more bytes were required there.
    case truncated(path: String, offset: UInt64, expected: String)
    /// The bytes at `offset` do not hold what the format requires.
    case corrupt(path: String, offset: UInt64, expected: String)
    /// The writer never finished the file (the header still holds the "unfinished" event count).
    case unfinished(path: String)
    /// The output path already exists; outputs are never overwritten.
    case outputExists(path: String)
    /// A write, `fsync` or `close` failed at `offset`.
    case writeFailed(path: String, offset: UInt64, errno: Int32)
    /// An operation's request is invalid: `field` does not hold what was `expected`.
    case invalidRequest(field: String, expected: String)

    /// The path of the file concerned, when there is one.
    public var path: String? {
        switch self {
        case .openFailed(let path, _), .readFailed(let path, _, _), .truncated(let path, _, _),
             .corrupt(let path, _, _), .unfinished(let path), .outputExists(let path),
             .writeFailed(let path, _, _):
            return path
        case .invalidRequest:
            return nil
        }
    }

    /// The CMSSW exit code a `cmsRun` stand-in reports for this error when it concerns an input file:
    /// 8020 (file open error) or 8021 (file read error). `nil` for output and request errors, which the
    /// caller maps itself.
    public var cmsswInputExitCode: Int? {
        switch self {
        case .openFailed: return 8020
        case .readFailed, .truncated, .corrupt, .unfinished: return 8021
        case .outputExists, .writeFailed, .invalidRequest: return nil
        }
    }

    /// A one-line message naming the file, the byte offset and what was expected.
    public var description: String {
        switch self {
        case .openFailed(let path, let code):
            return "\(path): cannot open: \(Self.reason(code))"
        case .readFailed(let path, let offset, let code):
            return "\(path): read failed at byte \(offset): \(Self.reason(code))"
        case .truncated(let path, let offset, let expected):
            return "\(path): truncated at byte \(offset): expected \(expected)"
        case .corrupt(let path, let offset, let expected):
            return "\(path): corrupt at byte \(offset): expected \(expected)"
        case .unfinished(let path):
            return "\(path): unfinished event file (the writer never closed it): expected a final event count in the header"
        case .outputExists(let path):
            return "\(path): output already exists: expected a new path (outputs are never overwritten)"
        case .writeFailed(let path, let offset, let code):
            return "\(path): write failed at byte \(offset): \(Self.reason(code))"
        case .invalidRequest(let field, let expected):
            return "invalid request: \(field): expected \(expected)"
        }
    }

    private static func reason(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
