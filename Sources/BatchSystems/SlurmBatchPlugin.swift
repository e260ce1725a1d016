import Commands
import Foundation
import SpoolKit
import SpoolLayout

/// The `slurm` batch system: `sbatch` of a generated script, status from `squeue` → `scontrol show
/// job -o` → `sacct -c` (the jobcomp file) → `sacct -X`, `scancel` to kill. Every command runs
/// without a shell; every value in the script is single-quoted.
public final class SlurmBatchPlugin: BatchPlugin {
    /// The partition (`--partition`), or nil for the cluster's default.
    public let partition: String?
    /// Extra `sbatch` arguments, each one word.
    public let extraArguments: [String]
    /// Seconds a batch command may take.
    public var commandTimeout: Double = 60
    /// Prefix of every Slurm job name, naming the agent (its spool), so two spools sharing a cluster
    /// never take each other's jobs for their own in `findSubmission`.
    public let agentTag: String

    /// Makes a plugin; `agentTag` defaults to a hash of `spoolRoot`.
    public init(partition: String? = nil, extraArguments: [String] = [], spoolRoot: String) {
        self.partition = partition
        self.extraArguments = extraArguments
        var hash: UInt32 = 2_166_136_261  // FNV-1a
        for byte in spoolRoot.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        agentTag = "wm" + String(hash, radix: 16).leftPadded(to: 8)
    }

    /// The Slurm job name of a key for this agent: `<agentTag>.<encoded key>`.
    public func jobName(forKey key: String) -> String {
        agentTag + "." + Self.jobName(forKey: key)
    }

    /// The Slurm job name for an idempotency key: letters, digits, `.`, `_` and `-` kept, every
    /// other byte written as `=XX` (so `squeue -n` never splits it at a comma, and names stay unique).
    public static func jobName(forKey key: String) -> String {
        var name = ""
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                name.append(Character(Unicode.Scalar(byte)))
            default:
                name += "=" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return name
    }

    /// The `sbatch` arguments for a submission whose script is at `script`: a multicore job (`cores` > 1) asks
    /// for that many CPUs with `--cpus-per-task`, a job that needs GPUs (`gpus` > 0) asks for them with `--gres=gpu:N`.
    public func sbatchArguments(_ submission: BatchSubmission, script: String) -> [String] {
        let dir = submission.workDirectory
        var args = ["--parsable", "--job-name=" + jobName(forKey: submission.key), "--chdir=" + dir,
                    "--output=" + dir + "/stdout", "--error=" + dir + "/stderr"]
        if submission.wallTimeLimit > 0 { args.append("--time=" + String(Int((submission.wallTimeLimit / 60).rounded(.up)))) }
        // `--mem` is per node, so it stays the job's whole memory however many cores it takes.
        if submission.memoryLimitMB > 0 { args.append("--mem=" + String(Int(submission.memoryLimitMB.rounded(.up)))) }
        if submission.cores > 1 { args.append("--cpus-per-task=" + String(submission.cores)) }
        if submission.gpus > 0 { args.append("--gres=gpu:" + String(submission.gpus)) }
        if let partition { args.append("--partition=" + partition) }
        return args + extraArguments + [script]
    }

    public func submit(_ submissions: [BatchSubmission]) -> [Result<String, BatchPluginError>] {
        submissions.map { submission in
            do {
                let script = submission.workDirectory + "/slurm-job.sh"
                try SystemCall.makeDirectories(submission.workDirectory)
                guard FileManager.default.createFile(atPath: script, contents: Data(try JobScript.render(submission, recordExitCode: false).utf8),
                                                     attributes: [.posixPermissions: 0o755]) else {
                    return .failure(.invalidSubmission(key: submission.key, field: "workDirectory", expected: "a writable directory for \(script)"))
                }
                let outcome = try checked("sbatch", sbatchArguments(submission, script: script))
                let id = outcome.stdout.split(whereSeparator: \.isNewline).first.map { String($0.split(separator: ";")[0]) } ?? ""
                guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
                    return .failure(.unexpectedOutput(command: "sbatch", output: outcome.stdout, expected: "a job id (--parsable)"))
                }
                return .success(id)
            } catch let error as BatchPluginError {
                return .failure(error)
            } catch {
                return .failure(.commandFailed(command: "sbatch", status: 1, stderr: "\(error)"))
            }
        }
    }

    public func status(_ ids: [String]) throws -> [String: BatchStatus] {
        var result: [String: BatchStatus] = [:]
        let wanted = Set(ids)
        // 1. The queue: pending and running jobs (finished ones appear too while held, without exit codes).
        for line in try checked("squeue", ["-h", "-t", "all", "-o", "%i|%T"]).stdout.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: "|").map(String.init)
            guard parts.count == 2, wanted.contains(parts[0]) else { continue }
            let status = SlurmState.status(state: parts[1], exitCode: nil, reason: nil)
            if status == .pending || status == .running { result[parts[0]] = status }
        }
        // 2. The controller's memory of finished jobs (MinJobAge), with exit codes.
        for id in ids where result[id] == nil {
            let outcome = try run("scontrol", ["show", "job", "-o", id])
            guard outcome.status == 0, let fields = SlurmState.keyValues(outcome.stdout), let state = fields["JobState"] else { continue }
            result[id] = SlurmState.status(state: state, exitCode: fields["ExitCode"], reason: fields["Reason"])
        }
        // 3. Completion records: the jobcomp file (`sacct -c`), then accounting (`sacct -X`).
        let forgotten = ids.filter { result[$0] == nil }
        if !forgotten.isEmpty {
            for flag in ["-c", "-X"] {
                let rest = forgotten.filter { result[$0] == nil }
                if rest.isEmpty { break }
                let outcome = try run("sacct", [flag, "-j", rest.joined(separator: ","), "-P", "-n", "-o", "JobID,State,ExitCode"])
                guard outcome.status == 0 else { continue }
                for line in outcome.stdout.split(whereSeparator: \.isNewline) {
                    let parts = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                    guard parts.count == 3, wanted.contains(parts[0]), result[parts[0]] == nil else { continue }
                    result[parts[0]] = SlurmState.status(state: parts[1], exitCode: parts[2], reason: nil)
                }
            }
        }
        for id in ids where result[id] == nil { result[id] = .unknown }
        return result
    }

    public func kill(_ ids: [String]) throws {
        guard !ids.isEmpty else { return }
        _ = try checked("scancel", ids)
    }

    public func findSubmissions(_ keys: [String]) throws -> [String: String] {
        let byName = Dictionary(keys.map { (jobName(forKey: $0), $0) }, uniquingKeysWith: { a, _ in a })
        var found: [String: String] = [:]
        func record(_ output: String) {
            for line in output.split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: "|", maxSplits: 1).map(String.init)
                if parts.count == 2, let key = byName[parts[1]], found[key] == nil { found[key] = parts[0] }
            }
        }
        record(try checked("squeue", ["-h", "-t", "all", "-o", "%i|%j"]).stdout)
        if found.count < keys.count {
            let outcome = try run("sacct", ["-c", "-P", "-n", "-o", "JobID,JobName"])
            if outcome.status == 0 { record(outcome.stdout) }
        }
        return found
    }

    private func run(_ program: String, _ arguments: [String]) throws -> CommandRunner.Outcome {
        try CommandRunner.run(program, arguments, timeout: commandTimeout)
    }

    private func checked(_ program: String, _ arguments: [String]) throws -> CommandRunner.Outcome {
        let outcome = try run(program, arguments)
        guard outcome.status == 0 else {
            throw BatchPluginError.commandFailed(command: ([program] + arguments).joined(separator: " "), status: outcome.status, stderr: outcome.stderr)
        }
        return outcome
    }
}

/// Slurm job states and exit codes mapped to `BatchStatus` (slurm.md, "Exit codes and states").
public enum SlurmState {
    /// The status for a Slurm `JobState`, `ExitCode` (`status:signal`) and `Reason`.
    public static func status(state rawState: String, exitCode: String?, reason: String?) -> BatchStatus {
        let state = rawState.split(separator: " ").first.map(String.init) ?? rawState  // "CANCELLED by 0"
        let codes = (exitCode ?? "0:0").split(separator: ":").map { Int32($0) ?? 0 }
        let exitStatus = codes.first ?? 0, signal = codes.count > 1 ? codes[1] : 0
        switch state {
        case "PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING":
            return .pending
        case "RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT":
            return .running
        case "COMPLETED":
            return .complete(exitCode: exitStatus)
        case "FAILED":
            if reason == "JobLaunchFailure" || signal == 53 { return .failed(reason: "Slurm could not launch the job (\(exitCode ?? "?"))", removed: false) }
            if signal != 0 { return .failed(reason: "the job was killed by signal \(signal)", removed: false) }
            return .complete(exitCode: exitStatus)
        case "CANCELLED":
            return .failed(reason: "the job was cancelled (scancel)", removed: true)
        case "TIMEOUT", "DEADLINE":
            return .failed(reason: "Slurm removed the job at its time limit (\(state))", removed: true)
        case "OUT_OF_MEMORY":
            return .failed(reason: "Slurm removed the job for exceeding its memory limit", removed: true)
        default:
            return .failed(reason: "Slurm state \(state)", removed: false)
        }
    }

    /// The `key=value` fields of one `scontrol show job -o` line (the first line only).
    public static func keyValues(_ output: String) -> [String: String]? {
        guard let line = output.split(whereSeparator: \.isNewline).first else { return nil }
        var fields: [String: String] = [:]
        for word in line.split(separator: " ") {
            guard let eq = word.firstIndex(of: "=") else { continue }
            let key = String(word[..<eq])
            if fields[key] == nil { fields[key] = String(word[word.index(after: eq)...]) }
        }
        return fields
    }
}
