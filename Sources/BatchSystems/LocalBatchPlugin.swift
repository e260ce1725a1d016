#if canImport(Glibc)
import Foundation
import Glibc
import SpoolKit
import SpoolLayout
#endif

/// The `local` batch system: payloads run as detached processes on this machine, using at most `slots`
/// cores at a time (a job takes as many slots as it has cores, so a 4-core job fills 4 slots), with every
/// fact on disk so an agent restarted after `kill -9` still knows each job's fate. Jobs start in submission
/// order: one that does not fit in the free slots waits for them, and jobs behind it wait too; a job with more
/// cores than the site has slots runs alone.
///
/// Records live in `<spool>/batch/local/<site>/`: a job is a file named by its idempotency key (also
/// its batch id) holding its work directory on its first line (then `site=`, `time=` and `cores=` of the
/// submission; an entry without `cores=` takes 1), and the folder is its state: `pending/` → `running/` → `finished/`. The entry is
/// published before anything runs and moved to `running/` before the process is spawned, so a crash
/// can lose a start (noticed after `startGrace` seconds) but never start twice. In the work directory:
/// `local-wrapper.sh` (the generated script), `local-process` (pid and start time), `exit-code`
/// (written by the wrapper), `local-outcome` (why it ended without an exit code), `stdout`, `stderr`.
/// Every process start is appended to `started.log` (one key per line) for audits.
///
/// With `nullPayload` no process is started: a job that gets a slot at submission is given a minimal
/// success report (`LocalNullPayload`) and its entry is published straight into `finished/`, with its exit
/// code (0) as an `exit=0` line; one that waited in `pending/` gets the same when `schedule()` finds it a
/// slot. Nothing the tracker and the accountant read is missing, but there is no fork (which would cap a
/// benchmark of the agent), no `local-wrapper.sh` (nothing would run it) and no `exit-code` file.
/// Submissions, starts and retirements are group-committed: one sync per batch, not per job.
public final class LocalBatchPlugin: BatchPlugin {
    /// The spool holding the records.
    public let spool: Spool
    /// The site this instance runs jobs for.
    public let site: String
    /// How many cores the running payloads may take together (a job takes its `cores`).
    public let slots: Int
    /// Seconds after which a `running/` entry without a process record counts as never started.
    public var startGrace: Double = 30
    /// Spool-relative folder of the records.
    public let registry: String
    /// True when jobs run no process and finish at once with a success report (benchmarks).
    public let nullPayload: Bool
    private var children: [Int32] = []

    /// Opens (creating if needed) the records of `site`.
    public init(spool: Spool, site: String, slots: Int, nullPayload: Bool = false) throws {
        self.spool = spool
        self.site = site
        self.slots = max(1, slots)
        self.nullPayload = nullPayload
        registry = Layout.localBatch(site: site)
        try spool.ensureDirectories([registry + "/pending", registry + "/running", registry + "/finished"])
    }

    private enum Folder: String, CaseIterable { case pending, running, finished }
    private func folder(_ f: Folder) -> String { registry + "/" + f.rawValue }

    private func locate(_ key: String) -> Folder? {
        Folder.allCases.first { SystemCall.exists(spool.path(folder($0)) + "/" + key) }
    }

    /// The file whose presence says a job ended: its exit code (the wrapper writes it by rename).
    static let exitCodeFile = "exit-code"

    /// A job's entry: its work directory on the first line, then `name=value` lines (`site`, `time`, `cores`, and
    /// for a finished null payload `exit`).
    private typealias Entry = RegistryEntry

    private func entry(_ key: String, in f: Folder) -> Entry? {
        (try? spool.read(key, in: folder(f))).flatMap { $0 }.map(Entry.init)
    }

    private func workDirectory(of key: String, in f: Folder) -> String? {
        entry(key, in: f)?.workDirectory
    }

    // MARK: BatchPlugin

    public func submit(_ submissions: [BatchSubmission]) -> [Result<String, BatchPluginError>] {
        // A null payload that gets a slot ends as it starts: its entry goes straight to `finished/`. The slots
        // it took count as this call's scheduling round, as if `schedule()` had run them.
        var free = 0
        let results: [Result<String, BatchPluginError>] = withLock {
            if nullPayload { free = slots - ((try? runningCores()) ?? slots) }
            var finishedNow: [String] = []
            return RegistrySubmission.register(submissions, spool: spool, command: "local submit", stage: { submission, batch in
                let cores = min(submission.cores, slots)
                if try register(submission, in: batch, finishNow: free >= cores) {
                    finishedNow.append(submission.key)
                    free -= cores
                }
            }, isRegistered: { locate($0) != nil }, committed: { appendStartLog(finishedNow) })
        }
        if !nullPayload || free > 0 { try? withLock { try schedule() } }
        return results
    }

    public func status(_ ids: [String]) throws -> [String: BatchStatus] {
        try withLock {
            try schedule()
            var result: [String: BatchStatus] = [:]
            for id in ids {
                // Entries move only under the lock held here. A finished entry is read at once (it is needed
                // anyway); the other folders are only looked at.
                if let ended = entry(id, in: .finished) {
                    result[id] = finishedStatus(ended)
                } else if SystemCall.exists(spool.path(folder(.running)) + "/" + id) {
                    result[id] = .running
                } else if SystemCall.exists(spool.path(folder(.pending)) + "/" + id) {
                    result[id] = .pending
                } else {
                    result[id] = .unknown
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

    /// Writes the job's wrapper script and submission record and stages its `pending/` entry in `batch`
    /// (the side files are synced with the batch, before the entry becomes visible).
    ///
    /// A null payload with `finishNow` (it has a slot) is run here instead: its report is staged and its entry,
    /// ending in its exit code, goes straight to `finished/`, where `schedule()` would have moved it later.
    /// True when the job was run so (it belongs in `started.log` once the batch is committed).
    private func register(_ submission: BatchSubmission, in batch: SpoolBatch, finishNow: Bool) throws -> Bool {
        guard Spool.isSafeName(submission.key) else {
            throw BatchPluginError.invalidSubmission(key: submission.key, field: "key", expected: "a safe file name (letters, digits, . _ - + = @ ,)")
        }
        if locate(submission.key) != nil { return false }
        // A null payload gets the same refusals, though no script is written for it.
        let script = nullPayload ? nil : try JobScript.render(submission, recordExitCode: true)
        if nullPayload { try JobScript.validate(submission) }
        let dir = submission.workDirectory
        try SystemCall.makeDirectories(dir)
        let entry = "\(dir)\nsite=\(site)\ntime=\(SystemCall.now())\ncores=\(submission.cores)\n"
        if nullPayload && finishNow {
            // Nobody reads the report before the entry is in `finished/`, which this batch publishes after it.
            try writeNullPayloadReport(key: submission.key, in: dir, batch: batch)
            try batch.publish(Array((entry + LocalNullPayload.exitLine).utf8), as: submission.key, in: folder(.finished))
            return true
        }
        // Nobody reads it before the job is in `pending/`, which this batch publishes after it.
        if let script { try batch.writeNewFile(Array(script.utf8), at: dir + "/local-wrapper.sh") }
        try batch.publish(Array(entry.utf8), as: submission.key, in: folder(.pending))
        return false
    }

    /// Stages a null payload's success report in `dir`, written in place: nobody reads it before its entry
    /// is in `finished/`, which the batch publishes after it.
    private func writeNullPayloadReport(key: String, in dir: String, batch: SpoolBatch) throws {
        let report = try LocalNullPayload.report(key: key, site: site, now: SystemCall.now())
        try batch.writeNewFile(report.bytes, at: dir + "/" + report.name)
    }

    /// Moves finished jobs out of `running/`, then starts pending jobs in order while their cores fit in the free
    /// slots, stopping at the first that does not fit (null payloads finish as they start: straight to `finished/`).
    private func schedule() throws {
        children.removeAll { LocalProcess.reapIfExited($0) }
        var free = slots - (try retireEnded())
        guard free > 0 else { return }
        // Null payloads all start at once, so their order does not matter: skip the per-entry lstat of `.age`.
        let pending = try spool.scan(folder(.pending), limit: free, order: nullPayload ? .name : .age).names
        let batch = SpoolBatch(spool: spool)
        var started: [String] = []
        for key in pending {
            guard free > 0, let entryBytes = try spool.read(key, in: folder(.pending)) else { continue }
            let entry = Entry(entryBytes)
            let cores = entry.cores(slots: slots)
            if cores > free { break }
            let dir = entry.workDirectory
            if nullPayload {
                // Straight to `finished/`, its exit code added to the entry.
                try writeNullPayloadReport(key: key, in: dir, batch: batch)
                guard try batch.moveReplacingContent(key, from: folder(.pending), to: folder(.finished),
                                                     with: entryBytes + Array(LocalNullPayload.exitLine.utf8)) == .moved else { continue }
            } else {
                // The move is durable before the process exists: a job is never started twice.
                guard try spool.move(key, from: folder(.pending), to: folder(.running)) == .moved else { continue }
                let process = try LocalProcess.spawn(script: dir + "/local-wrapper.sh", stdout: dir + "/stdout", stderr: dir + "/stderr")
                children.append(process.pid)
                try writeFile(dir + "/local-process", "\(process.pid) \(process.startTime)\n")
            }
            started.append(key)
            free -= cores
        }
        try batch.commit()
        appendStartLog(started)
    }

    /// Moves every job of `running/` that has ended to `finished/` in one group commit; returns the cores of those
    /// that still run.
    private func retireEnded() throws -> Int {
        let batch = SpoolBatch(spool: spool)
        var stillRunning = 0
        for key in try spool.scan(folder(.running)).names {
            if try hasEnded(key) {
                _ = try batch.move(key, from: folder(.running), to: folder(.finished))
            } else {
                stillRunning += entry(key, in: .running)?.cores(slots: slots) ?? 1
            }
        }
        try batch.commit()
        return stillRunning
    }

    /// The cores of the jobs in `running/` (each at most `slots`, so the sum cannot overflow in practice).
    private func runningCores() throws -> Int {
        try spool.scan(folder(.running)).names.reduce(0) { $0 + (entry($1, in: .running)?.cores(slots: slots) ?? 1) }
    }

    /// True when the job in `running/` has ended (an exit code, a dead process, or a start that never happened).
    private func hasEnded(_ key: String) throws -> Bool {
        guard let dir = workDirectory(of: key, in: .running) else { return true }
        if SystemCall.exists(dir + "/" + Self.exitCodeFile) { return true }
        if let process = readProcess(dir) {
            if process.isAlive { return false }
            if !SystemCall.exists(dir + "/" + Self.exitCodeFile) {
                try writeFile(dir + "/local-outcome", "process \(process.pid) ended without writing an exit code (killed from outside, or lost)\n")
            }
            return true
        }
        let age = (try? SystemCall.lstat(spool.path(folder(.running)) + "/" + key)).flatMap { $0 }.map { SystemCall.now() - Double($0.st_mtim.tv_sec) } ?? 0
        if age < startGrace { return false }
        try writeFile(dir + "/local-outcome", "never started: the agent stopped between scheduling and starting it\n")
        return true
    }

    private func finishedStatus(_ entry: Entry) -> BatchStatus {
        if let recorded = entry.fields["exit"], let code = Int32(recorded) { return .complete(exitCode: code) }
        let dir = entry.workDirectory
        if let text = readText(dir + "/" + Self.exitCodeFile), let code = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
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

    /// Writes a small file durably on its own (temporary name, fsync, rename): for the rare single records.
    private func writeFile(_ path: String, _ text: String) throws {
        let batch = SpoolBatch(spool: spool)
        try batch.writeFile(Array(text.utf8), at: path)
        try batch.commit()
    }

    /// Appends the started keys to `started.log` (best effort: an audit trail, not a record).
    private func appendStartLog(_ keys: [String]) {
        guard !keys.isEmpty else { return }
        let path = spool.path(registry) + "/started.log"
        guard let fd = try? SystemCall.open(path, O_WRONLY | O_CREAT | O_APPEND) else { return }
        defer { _ = Glibc.close(fd) }
        _ = try? Array(keys.map { $0 + "\n" }.joined().utf8).withUnsafeBytes { try SystemCall.writeAll(fd, $0, path: path) }
    }

    /// Runs `body` holding the registry's exclusive lock (the submitter and the tracker share it).
    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        try RegistryLock.withLock(spool: spool, registry: registry, body)
    }
}

extension RegistryEntry {
    /// The slots a local job takes: its `cores=` line, 1 when absent; a job wider than the site (or a value the plugin
    /// did not write) takes every slot, so it runs alone rather than never (WMCore's templates ask for 8).
    func cores(slots: Int) -> Int {
        guard let text = fields["cores"] else { return 1 }
        guard let cores = Int(text), (1...slots).contains(cores) else { return slots }
        return cores
    }
}
