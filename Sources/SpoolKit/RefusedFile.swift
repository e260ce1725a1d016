#if canImport(Glibc)
import Glibc
#endif

/// What a path holds, as `lstat`/`fstat` report it.
public enum FileKind: Sendable, Equatable {
    case regular, directory, symbolicLink, fifo, socket, characterDevice, blockDevice, unknown

    /// The kind of a `st_mode`; nil when there is no mode (never for a real status).
    public init?(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFREG: self = .regular
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink
        case S_IFIFO: self = .fifo
        case S_IFSOCK: self = .socket
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        default: self = .unknown
        }
    }

    /// The kind in words, with its article: "a FIFO (named pipe)".
    public var phrase: String {
        switch self {
        case .regular: return "a regular file"
        case .directory: return "a directory"
        case .symbolicLink: return "a symbolic link"
        case .fifo: return "a FIFO (named pipe)"
        case .socket: return "a socket"
        case .characterDevice: return "a character device"
        case .blockDevice: return "a block device"
        case .unknown: return "a file of unknown type"
        }
    }
}

/// A file the spool would not read: not a regular file, or larger than the limit of its kind.
///
/// Found in a queue, such a file is quarantined with `description` as its reason; found where a single
/// file is expected (`etc/sites.json`, a config cache entry) it is an error naming the file (exit 65).
public struct RefusedFile: Error, Equatable, Sendable, CustomStringConvertible {
    /// What was wrong with the file.
    public enum Problem: Equatable, Sendable {
        /// A directory, link, FIFO, socket or device where a regular file should be.
        case notRegular(FileKind)
        /// A regular file of `size` bytes, more than the limit.
        case tooLarge(size: Int)
    }
    /// The path that was opened.
    public var path: String
    /// What was found.
    public var problem: Problem
    /// The largest size allowed for this kind of file, in bytes.
    public var limit: Int

    /// Makes the error.
    public init(path: String, problem: Problem, limit: Int) {
        self.path = path
        self.problem = problem
        self.limit = limit
    }

    /// "<path> is a FIFO (named pipe); expected a regular file of at most 16777216 bytes".
    public var description: String { description(naming: path) }

    /// The description with `file` (e.g. a spool-relative path) in place of the path.
    public func description(naming file: String) -> String {
        "\(file) is \(foundPhrase); expected a regular file of at most \(limit) bytes"
    }

    /// What was found, e.g. "a FIFO (named pipe)" or "104857600 bytes, too large".
    public var foundPhrase: String {
        switch problem {
        case .notRegular(let kind): kind.phrase
        case .tooLarge(let size): "\(size) bytes, too large"
        }
    }
}
