import EventFiles
import Foundation
import FrameworkJobReport
import JobSplitting
import Testing
import TestSupport
@testable import WorkerRuntime
@testable import WMCore

/// Every exit code of the wrapper contract, each provoked for real through `wm-runjob`.
@Suite struct RuntimeExitCodeTests {
    static let base = "/store/unmerged/Era/PD/GEN-SIM/v1"

    func production(_ fixture: RuntimeFixture, baggage: [String: JSONValue] = [:], events: Int = 20) -> JobBody {
        fixture.job("gen-1", type: "Production", mask: RuntimeFixture.productionMask(1, events, lumis: 1...2),
                    outputs: ["RAWSIMoutput": RuntimeFixture.spec("GEN-SIM", base: Self.base)], baggage: baggage)
    }

    /// Runs the job and checks the report and the process status carry `code`; returns the report.
    @discardableResult
    func expectExit(_ code: Int, _ job: JobBody, fixture: RuntimeFixture, runtime: JobRuntime? = nil,
                    rawJob: String? = nil) throws -> FrameworkJobReport {
        let run = try fixture.run(job, runtime: runtime, rawJob: rawJob)
        let report = try #require(run.report, "no readable report: \(run.stderr)")
        #expect(report.exitCode == code, "\(report.errors)")
        #expect(report.wrapper.stepStatus == code)
        #expect(run.status == RuntimeExitCodes.processStatus(for: code))
        #expect(run.status != 0)
        #expect(run.stderr.contains("exit code \(code)"))
        return report
    }

    @Test func missingInputIs8020() throws {
        let fixture = RuntimeFixture("x8020")
        let job = fixture.job("proc-1", type: "Processing", inputs: ["/store/unmerged/nothing/here.root"],
                              outputs: ["RECOoutput": RuntimeFixture.spec("RECO", base: Self.base)])
        let report = try expectExit(8020, job, fixture: fixture)
        #expect(report.errors.first?.details.contains("/store/unmerged/nothing/here.root") == true)
        #expect(report.outputFiles(module: "logArchive").count == 1)
    }

    @Test func corruptInputIs8021() throws {
        let fixture = RuntimeFixture("x8021")
        let lfn = "/store/unmerged/bad/file.root"
        try FileManager.default.createDirectory(atPath: fixture.pfn("/store/unmerged/bad"), withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: fixture.pfn(lfn)))
        let job = fixture.job("proc-1", type: "Processing", inputs: [lfn],
                              outputs: ["RECOoutput": RuntimeFixture.spec("RECO", base: Self.base)])
        try expectExit(8021, job, fixture: fixture)
    }

    @Test func faultPlanExitCodeReachesTheReport() throws {
        let fixture = RuntimeFixture("xfault")
        let report = try expectExit(8028, production(fixture, baggage: RuntimeFixture.always(.exit(code: 8028))), fixture: fixture)
        #expect(report.errors.first?.type == "FaultInjected")
        #expect(report.wrapper.wrapperExitCode == nil)
    }

    @Test func truncatedReportIs50115() throws {
        let fixture = RuntimeFixture("x50115")
        let report = try expectExit(50115, production(fixture, baggage: RuntimeFixture.always(.truncatedReport)), fixture: fixture)
        #expect(report.wrapper.wrapperExitCode == 50115)
        #expect(report.errors.first?.details.contains("exited with status 0") == true)
    }

    @Test func crashKeepsTheSignalAsFirstCauseBeside50115() throws {
        let fixture = RuntimeFixture("xcrash")
        let report = try expectExit(50115, production(fixture, baggage: RuntimeFixture.always(.crash(signal: 11))), fixture: fixture)
        #expect(report.errors.first?.details.contains("killed by signal 11") == true)
        #expect(report.errors.map(\.exitStatus) == [50115, 11])
    }

    @Test func noOutputIs60450() throws {
        let fixture = RuntimeFixture("x60450")
        try expectExit(60450, production(fixture, baggage: RuntimeFixture.always(.noOutput)), fixture: fixture)
    }

    @Test func missingChecksumIs60451() throws {
        let fixture = RuntimeFixture("x60451")
        let knobs: JSONValue = .object(["omitChecksums": .bool(true)])
        try expectExit(60451, production(fixture, baggage: ["cmsRunKnobs": knobs]), fixture: fixture)
    }

    @Test func missingRunLumiIs70452() throws {
        let fixture = RuntimeFixture("x70452")
        let knobs: JSONValue = .object(["omitRunLumis": .bool(true)])
        try expectExit(70452, production(fixture, baggage: ["cmsRunKnobs": knobs]), fixture: fixture)
    }

    @Test func unwritableStorageIs60307NamingThePath() throws {
        let fixture = RuntimeFixture("x60307")
        // A read-only prefix: chmod would not stop root, so the prefix sits below a regular file.
        let blocker = fixture.spool + "/readonly"
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: blocker))
        let runtime = JobRuntime(spool: fixture.spool, site: fixture.pnn, pnn: fixture.pnn, storagePrefix: blocker + "/storage")
        let report = try expectExit(60307, production(fixture), fixture: fixture, runtime: runtime)
        #expect(report.errors.first?.details.contains(blocker) == true)
        #expect(report.wrapper.wrapperExitCode == 60307)
    }

    @Test func wallTimeLimitIs50664() throws {
        let fixture = RuntimeFixture("x50664")
        let runtime = JobRuntime(spool: fixture.spool, site: fixture.pnn, pnn: fixture.pnn, wallTimeLimit: 0.5)
        let started = Date()
        let report = try expectExit(50664, production(fixture, baggage: RuntimeFixture.always(.hang(seconds: 60))),
                                    fixture: fixture, runtime: runtime)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(report.wrapper.wrapperExitCode == 50664)
    }

    @Test func memoryLimitIs50660() throws {
        let fixture = RuntimeFixture("x50660")
        let runtime = JobRuntime(spool: fixture.spool, site: fixture.pnn, pnn: fixture.pnn, memoryLimitMB: 100)
        let knobs: JSONValue = .object(["allocateMB": .int(300), "holdSeconds": .int(20)])
        let started = Date()
        let report = try expectExit(50660, production(fixture, baggage: ["cmsRunKnobs": knobs]), fixture: fixture, runtime: runtime)
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(report.errors.first?.details.contains("exceeded the limit memoryLimitMB (agent) of 100 MB") == true)
        #expect(Double(report.performance.memory["PeakValueRss"] ?? "") ?? 0 > 100)
    }

    @Test func unreadableJobDocumentIs99109() throws {
        let fixture = RuntimeFixture("x99109")
        let report = try expectExit(99109, production(fixture), fixture: fixture, rawJob: "{not json")
        #expect(report.errors.first?.type == "BadJobDocument")
    }

    @Test func unknownTaskTypeIs99109NamingTheField() throws {
        let fixture = RuntimeFixture("x99109b")
        let job = fixture.job("odd-1", type: "Teleport", outputs: ["X": RuntimeFixture.spec("RAW", base: Self.base)])
        let report = try expectExit(99109, job, fixture: fixture)
        #expect(report.errors.first?.details.contains("job.taskType") == true)
    }
}
