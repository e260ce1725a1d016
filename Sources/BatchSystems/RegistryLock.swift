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

/// How a plugin that keeps its records in the spool (`local`, `sim`) registers a submit call: every submission's entry
/// is staged in one batch and the batch committed at once. A submission whose entry could not be staged fails with its
/// own error; if the commit fails, whatever became visible before the failure counts as submitted (it will run), the
/// rest fails naming `command`.
enum RegistrySubmission {
    /// Registers `submissions` with `stage` (which stages one entry in the batch) and commits; `isRegistered` tells
    /// whether a key's entry is visible. `committed` runs after a successful commit, still under the caller's lock.
    static func register(_ submissions: [BatchSubmission], spool: Spool, command: String,
                         stage: (BatchSubmission, SpoolBatch) throws -> Void, isRegistered: (String) -> Bool,
                         committed: () -> Void = {}) -> [Result<String, BatchPluginError>] {
        let batch = SpoolBatch(spool: spool)
        let registered = submissions.map { submission -> Result<String, BatchPluginError> in
            do {
                try stage(submission, batch)
                return .success(submission.key)
            } catch let error as BatchPluginError {
                return .failure(error)
            } catch {
                return .failure(.commandFailed(command: command, status: 1, stderr: "\(error)"))
            }
        }
        do {
            try batch.commit()
            committed()
            return registered
        } catch {
            return registered.map { result in
                guard case .success(let key) = result, !isRegistered(key) else { return result }
                return .failure(.commandFailed(command: command, status: 1, stderr: "\(error)"))
            }
        }
    }
}

/// A record of a plugin that keeps its records in the spool (`local`, `sim`): the attempt's work directory on the
/// first line, then `name=value` lines.
struct RegistryEntry {
    /// The attempt's work directory.
    let workDirectory: String
    /// The `name=value` lines.
    let fields: [Substring: Substring]

    /// Reads an entry's bytes.
    init(_ bytes: [UInt8]) {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        workDirectory = String(lines.first ?? "")
        var fields: [Substring: Substring] = [:]
        for line in lines.dropFirst() {
            if let equals = line.firstIndex(of: "=") { fields[line[..<equals]] = line[line.index(after: equals)...] }
        }
        self.fields = fields
    }
}
