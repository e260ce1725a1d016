#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpoolKit

/// The `local` batch system: payloads run as detached processes on this machine, at most `slots`
/// at a time, with every fact on disk so an agent restarted after `kill -9` still knows each job's fate.
///
/// Records live in `<spool>/batch/local/<site>/`: a job is a file named by its idempotency key (also
/// its batch id) holding its work directory, and the folder is its state: `pending/` → `running/` →
/// `finished/`. The entry is published before anything runs and moved to `running/` before the process
/// is spawned, so a crash can lose a start (noticed after `startGrace` seconds) but never start twice.
/// In the work directory: `local-wrapper.sh` (the generated script), `local-submission` (the
/// idempotency record), `local-process` (pid and start time), `exit-code` (written by the wrapper),
/// `local-outcome` (why it ended without an exit code), `stdout`, `stderr`.
/// Every process start is appended to `started.log` (one key per line) for audits.
public final class LocalBatchPlugin: BatchPlugin {
    /// The spool holding the records.
    public let spool: Spool
    /// The site this instance runs jobs for.
    public let site: String
    /// How many payloads may run at once.
    public let slots: Int
    /// Seconds after which a `running/` entry without a process record counts as never started.
    public var startGrace: Double = 30
    /// Spool-relative folder of the records.
    public let registry: String
    private var children: [Int32] = []

    /// Opens (creating if needed) the records of `site`.
    public init(spool: Spool, site: String, slots: Int) throws {
        self.spool = spool
        self.site = site
        self.slots = max(1, slots)
        registry = "batch/local/" + site
        try spool.ensureDirectories([registry + "/pending", registry + "/running", registry + "/finished"])
    }

    private enum Folder: String, CaseIterable { case pending, running, finished }
    private func folder(_ f: Folder) -> String { registry + "/" + f.rawValue }

    private func locate(_ key: String) -> Folder? {
        Folder.allCases.first { SystemCall.exists(spool.path(folder($0)) + "/" + key) }
    }

    private func workDirectory(of key: String, in f: Folder) -> String? {
        (try? spool.read(key, in: folder(f))).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: BatchPlugin

    public func submit(_ submissions: [BatchSubmission]) -> [Result<String, BatchPluginError>] {
        let results: [Result<String, BatchPluginError>] = withLock {
            submissions.map { submission in
                do {
                    try register(submission)
                    return .success(submission.key)
                } catch let error as BatchPluginError {
                    return .failure(error)
                } catch {
                    return .failure(.commandFailed(command: "local submit", status: 1, stderr: "\(error)"))
                }
            }
        }
        try? withLock { try schedule() }
        return results
    }

    public func status(_ ids: [String]) throws -> [String: BatchStatus] {
        try withLock {
            try schedule()
            var result: [String: BatchStatus] = [:]
            for id in ids {
                switch locate(id) {
                case .pending: result[id] = .pending
                case .running: result[id] = .running
                case .finished: result[id] = finishedStatus(id)
                case nil: result[id] = .unknown
                }
            }
            return result
        }
    }

    public func kill(_ ids: [String]) throws {
        try withLock {
            for id in ids {
                guard let where_ = locate(id), where_ != .finished, let dir = workDirectory(of: id, in: where_) else { continue }
                try writeFile(dir + "/local-outcome", "killed by the agent\n")
                if where_ == .running, let process = readProcess(dir) {
                    process.killTree()
                    LocalProcess.reapIfExited(process.pid)
                }
                _ = try spool.move(id, from: folder(where_), to: folder(.finished))
            }
        }
    }

    public func findSubmissions(_ keys: [String]) throws -> [String: String] {
        var found: [String: String] = [:]
        for key in keys where Spool.isSafeName(key) && locate(key) != nil { found[key] = key }
        return found
    }

    // MARK: Records

    private func register(_ submission: BatchSubmission) throws {
        guard Spool.isSafeName(submission.key) else {
            throw BatchPluginError.invalidSubmission(key: submission.key, field: "key", expected: "a safe file name (letters, digits, . _ - + = @ ,)")
        }
        if locate(submission.key) != nil { return }
        let script = try JobScript.render(submission, recordExitCode: true)
        let dir = submission.workDirectory
        try SystemCall.makeDirectories(dir)
        try writeFile(dir + "/local-wrapper.sh", script)
        try writeFile(dir + "/local-submission", "key=\(submission.key)\nsite=\(site)\ntime=\(SystemCall.now())\n")
        try spool.publish(Array(dir.utf8), as: submission.key, in: folder(.pending))
    }

    /// Moves finished processes out of `running/`, then starts pending jobs while slots are free.
    private func schedule() throws {
        var running = try spool.scan(folder(.running)).names
        running = try running.filter { try !retireIfEnded($0) }
        var free = slots - running.count
        guard free > 0 else { return }
        for key in try spool.scan(folder(.pending), limit: free, order: .age).names {
            guard free > 0, let dir = workDirectory(of: key, in: .pending) else { continue }
            guard try spool.move(key, from: folder(.pending), to: folder(.running)) == .moved else { continue }
            let process = try LocalProcess.spawn(script: dir + "/local-wrapper.sh", stdout: dir + "/stdout", stderr: dir + "/stderr")
            children.append(process.pid)
            try writeFile(dir + "/local-process", "\(process.pid) \(process.startTime)\n")
            appendStartLog(key)
            free -= 1
        }
    }

    /// True (and the entry moved to `finished/`) when the job in `running/` has ended.
    private func retireIfEnded(_ key: String) throws -> Bool {
        guard let dir = workDirectory(of: key, in: .running) else { return true }
        for child in children { LocalProcess.reapIfExited(child) }
        if !SystemCall.exists(dir + "/exit-code") {
            if let process = readProcess(dir) {
                if process.isAlive { return false }
                if !SystemCall.exists(dir + "/exit-code") {
                    try writeFile(dir + "/local-outcome", "process \(process.pid) ended without writing an exit code (killed from outside, or lost)\n")
                }
            } else {
                let age = (try? SystemCall.lstat(spool.path(folder(.running)) + "/" + key)).flatMap { $0 }.map { SystemCall.now() - Double($0.st_mtim.tv_sec) } ?? 0
                if age < startGrace { return false }
                try writeFile(dir + "/local-outcome", "never started: the agent stopped between scheduling and starting it\n")
            }
        }
        _ = try spool.move(key, from: folder(.running), to: folder(.finished))
        return true
    }

    private func finishedStatus(_ key: String) -> BatchStatus {
        guard let dir = workDirectory(of: key, in: .finished) else { return .unknown }
        if let text = readText(dir + "/exit-code"), let code = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return .complete(exitCode: code)
        }
        let outcome = readText(dir + "/local-outcome")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "ended without an exit code"
        return .failed(reason: outcome, removed: !outcome.hasPrefix("never started"))
    }

    private func readProcess(_ dir: String) -> LocalProcess? {
        guard let parts = readText(dir + "/local-process")?.split(whereSeparator: { $0 == " " || $0 == "\n" }), parts.count == 2,
              let pid = Int32(parts[0]), let start = UInt64(parts[1]) else { return nil }
        return LocalProcess(pid: pid, startTime: start)
    }

    private func readText(_ path: String) -> String? {
        (try? SystemCall.readFile(path, limit: 1 << 16)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Writes a small file durably: temporary name, fsync, rename.
    private func writeFile(_ path: String, _ text: String) throws {
        let temp = path + ".tmp." + Spool.uniqueName()
        let fd = try SystemCall.open(temp, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        do {
            try Array(text.utf8).withUnsafeBytes { try SystemCall.writeAll(fd, $0, path: temp) }
            if spool.durability == .full { try SystemCall.fsync(fd, path: temp) }
        } catch {
            _ = Glibc.close(fd)
            throw error
        }
        try SystemCall.close(fd, path: temp)
        try SystemCall.rename(temp, path)
    }

    private func appendStartLog(_ key: String) {
        let path = spool.path(registry) + "/started.log"
        guard let fd = try? SystemCall.open(path, O_WRONLY | O_CREAT | O_APPEND) else { return }
        defer { _ = Glibc.close(fd) }
        _ = try? Array((key + "\n").utf8).withUnsafeBytes { try SystemCall.writeAll(fd, $0, path: path) }
    }

    /// Runs `body` holding the registry's exclusive lock (the submitter and the tracker share it).
    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        let path = spool.path(registry) + "/lock"
        let fd = (try? SystemCall.open(path, O_RDWR | O_CREAT)) ?? -1
        if fd >= 0 { while flock(fd, LOCK_EX) != 0 && errno == EINTR {} }
        defer { if fd >= 0 { _ = flock(fd, LOCK_UN); _ = Glibc.close(fd) } }
        return try body()
    }
}
