import Foundation
import Testing
@testable import SpoolKit

/// What the tests of `.tmp/` and of shared spools make and look at: fabricated temporary files and folders.
enum TemporaryFileFixtures {
    /// A host id that is not this host's.
    static let otherHost = Spool.hostIdentifier == "0123456789ab" ? "ba9876543210" : "0123456789ab"
    /// A process id no process has.
    static let deadPid: pid_t = 999_999_999

    /// A one-byte 0644 file at `path` whose modification time is `age` seconds ago.
    static func oldFile(_ path: String, age: Double) throws {
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)
        let then = timespec(tv_sec: Int(Date().timeIntervalSince1970 - age), tv_nsec: 0)
        var times = [then, then]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    }

    /// A temporary file's name as `pid` on `host` (nil: the older form without a host) made it, with `counter`.
    static func name(pid: pid_t, host: String?, counter: Int) -> String {
        "1700000000.1.\(pid)\(host.map { "@" + $0 } ?? "").\(counter).part"
    }

    /// The names in the folder at `path`.
    static func entries(_ path: String) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: path))
    }

    /// True when the folder at `path` is missing or empty.
    static func isMissingOrEmpty(_ path: String) throws -> Bool {
        try !FileManager.default.fileExists(atPath: path) || entries(path).isEmpty
    }
}
