import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import WMCore

/// The shared stage-program behaviour, through a real stage executable.
@Suite struct StageProgramTests {
    let program = TestSupport.executable("wm-errorhandler")

    /// A spool with the default configuration (`{}`), as programs require.
    static func spool(_ label: String) throws -> String {
        let root = TestSupport.temporaryDirectory(label)
        try Spool(root: root).ensureDirectories(["etc"])
        try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/etc/agent.json"))
        return root
    }

    @Test func helpUsageAndLockHeld() throws {
        let help = try TestSupport.run(program, ["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Example:") && help.stdout.contains("--spool DIR") && help.stdout.contains("--watch"))
        let bad = try TestSupport.run(program, ["--bogus"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("unknown option '--bogus'"))
        let badValue = try TestSupport.run(program, ["--batch", "zero"])
        #expect(badValue.status == 64)

        let root = try Self.spool("lock")
        let spool = try Spool(root: root)
        let lock = try StageLock(spool: spool, stage: "wm-errorhandler")
        let held = try TestSupport.run(program, ["--once", "--spool", root])
        #expect(held.status == 75, "an overlapping cron run backs off with EX_TEMPFAIL")
        #expect(held.stderr.contains("already running"))
        lock.release()
        let ok = try TestSupport.run(program, ["--once"], environment: ["WM_SPOOL": root])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stderr.contains("done"))
        let json = try TestSupport.run(program, ["--once", "--spool", root, "--log-format", "json"])
        #expect(json.stderr.split(separator: "\n").allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
        #expect(FileManager.default.fileExists(atPath: root + "/.status/wm-errorhandler.json"), "health recorded")
    }

    @Test func sigtermFinishesTheCycleAndExitsCleanly() throws {
        let root = try Self.spool("sigterm")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = ["--watch", "--interval", "0.2", "--spool", root]
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(600_000)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }

    @Test func defaultConfigurationFileMatchesTheBuiltInDefaults() throws {
        let config = try AgentConfiguration.load(path: TestSupport.packageRoot + "/etc/agent.json")
        #expect(config.errorHandler == ErrorPolicy.wmcoreDefault)
        #expect(config.retryManager == RetryPolicy.standard)
        let bad = TestSupport.temporaryDirectory("badconfig") + "/agent.json"
        _ = FileManager.default.createFile(atPath: bad, contents: Data(#"{"errorHandler": {"maxFailTime": "soon"}}"#.utf8))
        #expect(throws: ConfigurationError.self) { try AgentConfiguration.load(path: bad) }
        do { _ = try AgentConfiguration.load(path: bad) } catch { #expect("\(error)".contains("errorHandler.maxFailTime")) }
    }
}
