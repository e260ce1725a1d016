import Foundation
import TestSupport

/// The chaos driver: while a production runs, it keeps a few stage processes going (cron-style single
/// `--once` runs of random stage programs, sometimes a whole `wmagent run --once`), starting new ones
/// as they end. A random share of them is doomed at start: SIGKILLed at a random moment of its life —
/// half of them 0–50 ms after the start (a single stage's run lasts tens of milliseconds: start-up,
/// scan, batch), half 0–`maxKillDelay` s (deep into a `wmagent run`) — until `kills` processes were
/// killed. Every process's standard error goes to `<spool>/../chaos-logs/`.
final class ChaosDriver {
    let spool: ProgramSpool
    private var random: SeededGenerator
    private let logs: String
    private var running: [(process: Process, label: String, log: String, killAt: Double?)] = []
    private var started = 0
    /// Processes killed so far.
    private(set) var kills = 0
    /// Processes that ended by themselves with a status other than 0 or 75 (lock held): each a bug.
    private(set) var failures: [String] = []
    /// Kills per program, for the report.
    private(set) var killsByProgram: [String: Int] = [:]
    /// Job documents deleted or copied by hand so far, for the report.
    private(set) var handOperations: [String] = []

    /// The stage programs it starts (each with `--once`).
    let programs: [[String]]

    init(spool: ProgramSpool, seed: UInt64, programs: [[String]] = OperationsPrograms.distinct) {
        self.spool = spool
        self.programs = programs
        random = SeededGenerator(seed: seed)
        logs = URL(fileURLWithPath: spool.root).deletingLastPathComponent().path + "/chaos-logs"
        try? FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
    }

    /// Runs until `target` processes were killed, with at most `concurrency` alive at once, dooming
    /// each new process with probability `killShare`; then waits for the survivors to end by themselves.
    ///
    /// With `handOperations` > 0, it also acts as a mistaken operator that many times at random moments:
    /// deletes a job document from its state folder, copies one into another state folder, or copies one
    /// under another name (issue 16).
    func run(kills target: Int, concurrency: Int = 4, killShare: Double = 0.7, maxKillDelay: Double = 0.6,
             handOperations handTarget: Int = 0) throws {
        while kills < target {
            reap()
            if handOperations.count < handTarget && Int.random(in: 0..<40, using: &random) == 0 { handOperation() }
            while running.count < concurrency {
                let doomed = Double.random(in: 0..<1, using: &random) < killShare
                let delay = Double.random(in: 0...(Bool.random(using: &random) ? 0.05 : maxKillDelay), using: &random)
                try start(pickCommand(), killAt: doomed ? Date().timeIntervalSince1970 + delay : nil)
            }
            usleep(5_000)
            killDue(upTo: target)
        }
        for entry in running { entry.process.waitUntilExit() }
        reap()
    }

    /// A random stage program's command line (1 in 8: the whole agent).
    private func pickCommand() -> [String] {
        if Int.random(in: 0..<8, using: &random) == 0 { return ["wmagent", "run", "--once", "--stall-timeout", "2"] }
        return programs[Int.random(in: 0..<programs.count, using: &random)] + ["--once"]
    }

    private func start(_ command: [String], killAt: Double?) throws {
        started += 1
        let log = logs + "/\(started)-\(command[0]).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.executable(command[0]))
        process.arguments = Array(command.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(["WM_SPOOL": spool.root]) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        running.append((process, command.prefix(2).joined(separator: " "), log, killAt))
    }

    /// Deletes or copies one job document (of `created`, `executing` or `complete`) as a mistaken operator would.
    private func handOperation() {
        let states = ["created", "executing", "complete"]
        let state = states[Int.random(in: 0..<states.count, using: &random)]
        let folder = spool.root + "/jobs/" + state
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else { return }
        let name = names[Int.random(in: 0..<names.count, using: &random)]
        let source = folder + "/" + name
        switch Int.random(in: 0..<3, using: &random) {
        case 0:
            guard (try? FileManager.default.removeItem(atPath: source)) != nil else { return }
            handOperations.append("deleted jobs/\(state)/\(name)")
        case 1:
            let other = states.filter { $0 != state }[Int.random(in: 0..<2, using: &random)]
            guard (try? FileManager.default.copyItem(atPath: source, toPath: spool.root + "/jobs/\(other)/" + name)) != nil else { return }
            handOperations.append("copied jobs/\(state)/\(name) to jobs/\(other)/")
        default:
            let copy = "copy-of-" + name
            guard (try? FileManager.default.copyItem(atPath: source, toPath: folder + "/" + copy)) != nil else { return }
            handOperations.append("copied jobs/\(state)/\(name) to jobs/\(state)/\(copy)")
        }
    }

    /// SIGKILLs live processes whose moment has come, until `target` kills in all.
    private func killDue(upTo target: Int) {
        let now = Date().timeIntervalSince1970
        for victim in running where kills < target {
            guard let killAt = victim.killAt, killAt <= now, victim.process.isRunning,
                  kill(victim.process.processIdentifier, SIGKILL) == 0 else { continue }
            victim.process.waitUntilExit()
            kills += 1
            killsByProgram[victim.label, default: 0] += 1
        }
    }

    /// Forgets ended processes, recording those that failed by themselves.
    private func reap() {
        running.removeAll { entry in
            guard !entry.process.isRunning else { return false }
            let status = entry.process.terminationReason == .uncaughtSignal ? 128 + entry.process.terminationStatus : entry.process.terminationStatus
            if ![0, 75, 128 + SIGKILL].contains(status) {
                let text = (try? String(contentsOfFile: entry.log, encoding: .utf8)) ?? ""
                failures.append("\(entry.label) exited \(status) (\(entry.log)): \(text.suffix(800))")
            }
            return true
        }
    }
}
