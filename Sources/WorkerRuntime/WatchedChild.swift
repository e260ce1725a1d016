import Foundation
import Glibc

/// Limits the wrapper enforces on the cmsRun child.
struct ChildLimits {
    /// Wall-time limit in seconds (`nil`: none).
    var wallTime: Double?
    /// Resident-memory limit in MB (`nil`: none).
    var memoryMB: Double?
}

/// How the cmsRun child ended.
enum ChildEnding: Equatable {
    /// It exited with this status.
    case exited(Int32)
    /// A signal it did not handle ended it.
    case signaled(Int32)
    /// The wrapper killed it for running past the wall-time limit.
    case wallTimeExceeded(limit: Double, elapsed: Double)
    /// The wrapper killed it for a resident set above the limit.
    case memoryExceeded(limitMB: Double, rssMB: Double)
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
/// `/proc/<pid>/status` VmRSS; on a breach kills its whole process group (corelibs `Process`
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
            if let limit = limits.wallTime, elapsed > limit {
                breach = .wallTimeExceeded(limit: limit, elapsed: elapsed)
            } else if let rss = residentMB(pid: pid) {
                peakSeen = max(peakSeen, rss)
                if let limit = limits.memoryMB, rss > limit { breach = .memoryExceeded(limitMB: limit, rssMB: rss) }
            }
            if breach != nil {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                break
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

    /// The VmRSS of `pid` in MB, or `nil` if it cannot be read (the process is gone).
    static func residentMB(pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kB = Double(fields[1]) { return kB / 1024 }
        }
        return nil
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
