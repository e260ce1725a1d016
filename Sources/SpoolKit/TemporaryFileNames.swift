#if canImport(Glibc)
import Glibc
#endif

/// The names of temporary files in `.tmp/`: which process of which host writes each one, so that cleanup judges
/// by process id only the files of this host (another host's process ids mean nothing here).
extension Spool {
    /// A short stable id of this host, written into the names of its temporary files so that a shared spool
    /// judges only its own by process id: the first 12 hex digits of `/etc/machine-id`, else the host name
    /// reduced to `[A-Za-z0-9-]` (see `hostIdentifier(machineID:hostName:)`).
    public static let hostIdentifier: String = {
        let machineID = try? SystemCall.readFile("/etc/machine-id", limit: 4096)
        var buffer = [CChar](repeating: 0, count: 256)
        let hostName = gethostname(&buffer, buffer.count - 1) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        return hostIdentifier(machineID: machineID, hostName: hostName)
    }()

    /// The host id made of a machine id's content and a host name: the machine id's first 12 characters when
    /// they are hexadecimal digits (lower case), else the host name with every character outside `[A-Za-z0-9-]`
    /// replaced by `-`, at most 63 characters, else `unknown-host` (hosts without either share that id).
    static func hostIdentifier(machineID: [UInt8]?, hostName: String) -> String {
        if let machineID, machineID.count >= 12 {
            let head = machineID.prefix(12)
            if head.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) {
                return String(decoding: head, as: UTF8.self)
            }
        }
        let sanitised = hostName.utf8.prefix(63).map { byte -> UInt8 in
            let isAlphanumeric = (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
            return isAlphanumeric || byte == UInt8(ascii: "-") ? byte : UInt8(ascii: "-")
        }
        return sanitised.isEmpty ? "unknown-host" : String(decoding: sanitised, as: UTF8.self)
    }

    /// A name for a new file in `.tmp/` that says which process of which host writes it:
    /// `<seconds>.<microseconds>.<pid>@<host>.<counter>.part` (`hostIdentifier`).
    public static func temporaryFileName() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return "\(ts.tv_sec).\(ts.tv_nsec / 1000).\(getpid())@\(hostIdentifier).\(UniqueCounter.next()).part"
    }

    /// Who wrote a temporary file, as its name says.
    public struct TemporaryFileWriter: Equatable, Sendable {
        /// The writer's process id (on its host).
        public let pid: pid_t
        /// The writer's host id, or nil for a name of the older form without one (written on this host).
        public let host: String?

        /// True when the writer ran on this host, so its process id can be checked here.
        public var isOnThisHost: Bool { host == nil || host == Spool.hostIdentifier }

        /// True when the writer is this very process.
        public var isThisProcess: Bool { isOnThisHost && pid == getpid() }
    }

    /// The writer of a temporary file named `<sec>.<usec>.<pid>[@<host>].<n>…` (`temporaryFileName()`, or
    /// `uniqueName()` as older programs named them), or nil for another name.
    public static func temporaryFileWriter(_ name: String) -> TemporaryFileWriter? {
        var fields = name.utf8.split(separator: UInt8(ascii: "."), maxSplits: 4, omittingEmptySubsequences: false).makeIterator()
        guard let seconds = fields.next(), !seconds.isEmpty, seconds.allSatisfy({ $0 >= 48 && $0 <= 57 }),
              fields.next() != nil, let process = fields.next(), fields.next() != nil else { return nil }
        let parts = process.split(separator: UInt8(ascii: "@"), maxSplits: 1, omittingEmptySubsequences: false)
        guard let pid = pid_t(Substring(parts[0])), pid > 0 else { return nil }
        guard parts.count == 2 else { return TemporaryFileWriter(pid: pid, host: nil) }
        guard !parts[1].isEmpty else { return nil }
        return TemporaryFileWriter(pid: pid, host: String(decoding: parts[1], as: UTF8.self))
    }
}
