import Foundation
import Glibc
import WMCore

/// One limit the wrapper enforces and where it comes from, for the report ("MaxRSS of the request").
struct ChildLimit: Equatable {
    /// The value (MB or seconds).
    var value: Double
    /// Which setting it is, e.g. `MaxRSS (request)` or `memoryLimitMB (agent)`.
    var source: String
}

/// Limits the wrapper enforces on the cmsRun child.
struct ChildLimits {
    /// Wall time in seconds after which the child's process group is killed (`nil`: none).
    var wallTime: ChildLimit?
    /// Wall time in seconds after which the child is asked to stop with SIGUSR2, as WMCore's PerformanceMonitor
    /// does at the soft timeout (`nil`: none); the job fails with 50664 whatever the child then does.
    var softTimeout: ChildLimit?
    /// Resident-memory limit in MB (`nil`: none).
    var memoryMB: ChildLimit?
    /// Virtual-size (VmSize) limit in MB (`nil`: none).
    var virtualMemoryMB: ChildLimit?

    /// The limits of a job: the agent's (`runtime.json`) and its task's (`performanceMonitor`), the smaller where
    /// both set one — each is a limit the job must keep, so the stricter decides. The hard wall-time limit is the
    /// smaller of the agent's and the task's `SoftTimeout` + `GracePeriod`; the soft timeout is the task's alone.
    static func of(job: JobBody, runtime: JobRuntime) -> ChildLimits {
        let task = job.performanceMonitor
        let agentWall = runtime.resolvedWallTimeLimit(estimatedTime: job.estimatedTime).map {
            ChildLimit(value: $0, source: runtime.wallTimeLimit == nil ? "3 x estimated time (agent)" : "wallTimeLimit (agent)")
        }
        return ChildLimits(
            wallTime: smaller(agentWall, task?.hardTimeout.map { ChildLimit(value: Double($0), source: "SoftTimeout + GracePeriod (request)") }),
            softTimeout: task?.softTimeout.map { ChildLimit(value: Double($0), source: "SoftTimeout (request)") },
            memoryMB: smaller(runtime.memoryLimitMB.map { ChildLimit(value: $0, source: "memoryLimitMB (agent)") },
                              task?.maxRSS.map { ChildLimit(value: Double($0), source: "MaxRSS (request)") }),
            virtualMemoryMB: task?.maxVSize.map { ChildLimit(value: Double($0), source: "MaxVSize (request)") })
    }

    /// The stricter of two limits (the first when equal); either alone when the other is nil.
    static func smaller(_ a: ChildLimit?, _ b: ChildLimit?) -> ChildLimit? {
        guard let a else { return b }
        guard let b else { return a }
        return b.value < a.value ? b : a
    }
}

/// How the cmsRun child ended.
enum ChildEnding: Equatable {
    /// It exited with this status.
    case exited(Int32)
    /// A signal it did not handle ended it.
    case signaled(Int32)
    /// The wrapper stopped it for running past a wall-time limit (the soft timeout or the hard limit).
    case wallTimeExceeded(limit: ChildLimit, elapsed: Double)
    /// The wrapper killed it for a resident set above the limit.
    case memoryExceeded(limit: ChildLimit, rssMB: Double)
    /// The wrapper killed it for a virtual size above the limit.
    case virtualMemoryExceeded(limit: ChildLimit, vsizeMB: Double)
}

/// What the wrapper measured of the child.
struct ChildRun {
    /// How it ended.
    var ending: ChildEnding
    /// Wall time in seconds.
    var wallSeconds: Double
    /// User + system CPU time in seconds (getrusage of the reaped child).
    var cpuSeconds: Double
    /// Peak resident set in MB (getrusage `ru_maxrss`, or the largest VmRSS seen if larger).
    var peakRSSMB: Double
}

/// Runs a program with its output in files (no pipes to drain), polling its wall time and its
/// `/proc/<pid>/status` VmRSS and VmSize; at the soft timeout sends it SIGUSR2, on any other breach kills its whole process group (corelibs `Process`
/// puts each child in its own group).
enum WatchedChild {
    /// How often the limits are checked.
    static let pollInterval: Double = 0.05

    static func run(executable: String, arguments: [String], directory: String, stdoutPath: String,
                    stderrPath: String, limits: ChildLimits) throws -> ChildRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let cpuBefore = childrenUsage()
        let start = Date()
        try process.run()
        let pid = process.processIdentifier
        var breach: ChildEnding?
        var peakSeen = 0.0
        while process.isRunning {
            let elapsed = Date().timeIntervalSince(start)
            if let limit = limits.wallTime, elapsed > limit.value {
                // Past the hard limit: the whole group goes, whatever the soft timeout already recorded.
                breach = breach ?? .wallTimeExceeded(limit: limit, elapsed: elapsed)
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                break
            }
            if breach == nil, let limit = limits.softTimeout, elapsed > limit.value {
                // WMCore's soft kill: cmsRun is asked to stop; the hard limit follows after the grace period.
                breach = .wallTimeExceeded(limit: limit, elapsed: elapsed)
                kill(pid, SIGUSR2)
            }
            if breach == nil, let memory = memoryMB(pid: pid) {
                peakSeen = max(peakSeen, memory.resident)
                if let limit = limits.memoryMB, memory.resident > limit.value {
                    breach = .memoryExceeded(limit: limit, rssMB: memory.resident)
                } else if let limit = limits.virtualMemoryMB, memory.virtual > limit.value {
                    breach = .virtualMemoryExceeded(limit: limit, vsizeMB: memory.virtual)
                }
                if breach != nil {
                    kill(-pid, SIGKILL)
                    kill(pid, SIGKILL)
                    break
                }
            }
            Thread.sleep(forTimeInterval: pollInterval)
        }
        process.waitUntilExit()
        let wall = Date().timeIntervalSince(start)
        let usage = childrenUsage()
        let ending = breach ?? (process.terminationReason == .uncaughtSignal
            ? .signaled(process.terminationStatus) : .exited(process.terminationStatus))
        return ChildRun(ending: ending, wallSeconds: wall, cpuSeconds: max(0, usage.cpu - cpuBefore.cpu),
                        peakRSSMB: max(usage.maxRSSMB, peakSeen))
    }

    /// The VmRSS and VmSize of `pid` in MB, or `nil` if they cannot be read (the process is gone).
    static func memoryMB(pid: Int32) -> (resident: Double, virtual: Double)? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var resident: Double?
        var virtual: Double?
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") || line.hasPrefix("VmSize:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kB = Double(fields[1]) else { continue }
            if line.hasPrefix("VmRSS:") { resident = kB / 1024 } else { virtual = kB / 1024 }
        }
        guard let resident, let virtual else { return nil }
        return (resident, virtual)
    }

    /// CPU seconds and peak RSS (MB) of the reaped children so far.
    private static func childrenUsage() -> (cpu: Double, maxRSSMB: Double) {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return (cpu, Double(usage.ru_maxrss) / 1024)
    }
}
