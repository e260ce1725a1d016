#if canImport(Glibc)
import Glibc
#endif

/// An exclusive per-stage lock (`flock` on `<spool>/.locks/<stage>.lock`), so an overlapping cron run
/// of the same stage backs off instead of competing. The lock dies with the process: no stale locks.
public final class StageLock {
    /// The lock file's path.
    public let path: String
    private var fd: Int32

    /// Why a lock could not be taken.
    public enum Failure: Error, CustomStringConvertible {
        /// Another process holds it.
        case held(stage: String, path: String, holder: String)

        public var description: String {
            switch self {
            case let .held(stage, path, holder):
                return "another \(stage) is already running on this spool (lock \(path) held\(holder.isEmpty ? "" : " by pid \(holder)")); try again later"
            }
        }
    }

    /// Takes the lock for `stage` without waiting.
    ///
    /// - Throws: `Failure.held` when another process has it (callers exit 75, EX_TEMPFAIL).
    public init(spool: Spool, stage: String) throws {
        let dir = spool.root + "/.locks"
        try SystemCall.makeDirectories(dir)
        path = dir + "/" + stage + ".lock"
        fd = try SystemCall.open(path, O_RDWR | O_CREAT, mode: 0o644)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = Glibc.errno
            if e == EINTR { continue }
            let holder = (try? SystemCall.readFile(path, limit: 64)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            _ = Glibc.close(fd)
            // The throw still runs `deinit` (the instance is fully initialized): it must not close again.
            fd = -1
            if e == EWOULDBLOCK {
                throw Failure.held(stage: stage, path: path, holder: holder.trimmingWhitespace())
            }
            throw SystemCallError(call: "flock", path: path, errno: e)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Releases the lock.
    public func release() {
        if fd >= 0 {
            _ = flock(fd, LOCK_UN)
            _ = Glibc.close(fd)
            fd = -1
        }
    }

    deinit { release() }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
