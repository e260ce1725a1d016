#if canImport(Glibc)
import Glibc
import SpoolKit
#endif

/// The exclusive lock of a batch plugin's records (`<registry>/lock`), which the submitter, the tracker and
/// `wmctl` share: whoever holds it is the only one moving the plugin's entries.
enum RegistryLock {
    /// Runs `body` holding the lock of the records in `registry` (spool-relative). If the lock file cannot be
    /// opened, `body` runs anyway: the records' moves are no-clobber renames, so a race loses a move, never a job.
    static func withLock<T>(spool: Spool, registry: String, _ body: () throws -> T) rethrows -> T {
        let path = spool.path(registry) + "/lock"
        let fd = (try? SystemCall.open(path, O_RDWR | O_CREAT)) ?? -1
        if fd >= 0 { while flock(fd, LOCK_EX) != 0 && errno == EINTR {} }
        defer { if fd >= 0 { _ = flock(fd, LOCK_UN); _ = Glibc.close(fd) } }
        return try body()
    }
}
