import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// Issue 19 item 5: the assignment's `MaxRSS`, `MaxVSize`, `SoftTimeout` and `GracePeriod` reach the job document and the
/// wrapper's watchdog, which stops cmsRun with WMCore's PerformanceMonitor codes (50660, 50661, 50664).
@Suite struct EndToEndWatchdogTests {
    /// A one-task Monte Carlo request (two production jobs of 100 events) with `assignment` added.
    static func request(_ assignment: [String: Any]) throws -> [String: Any] {
        try EndToEndRequests.monteCarlo(events: 200, perJob: 100, perLumi: 50, tasks: 1, assignment: assignment)
    }

    /// The production jobs of the request once the agent is quiet: each failed once with `code` (never retried: WMCore's
    /// NoRetryExitCodes), and the summary's error record counts `code`. Returns the jobs.
    @discardableResult
    func expectProductionFailed(_ agent: EndToEndAgent, _ name: String, code: Int,
                                sourceLocation: SourceLocation = #_sourceLocation) throws -> [JobDocument] {
        let production = try agent.archivedJobs(of: name).filter { $0.taskType == "Production" }
        #expect(production.count == 2, sourceLocation: sourceLocation)
        for job in production {
            #expect(job.exitCodes == [code], "\(job.name): \(job.exitCodes)", sourceLocation: sourceLocation)
            #expect(!job.history.contains { $0.to == "success" }, sourceLocation: sourceLocation)
        }
        let codes = Set(try agent.summary(of: name).errors.values.flatMap(\.values).flatMap(\.keys))
        #expect(codes == [String(code)], "the error record names \(code): \(codes)", sourceLocation: sourceLocation)
        return production
    }

    /// The report of a job's first attempt, from its archived log tarball.
    func report(of job: JobDocument, workflow: String, agent: EndToEndAgent) throws -> String {
        let tarball = agent.spool.path("archive/logs/\(workflow.prefix(1))/\(workflow)/JobCluster_0/Job_\(job.name).tar.gz")
        return try TestSupport.run("/usr/bin/tar", ["-xzOf", tarball, "\(job.name)-0/Report.0.xml"]).stdout
    }

    @Test func jobAboveMaxRSSFailsWith50660NamingTheLimit() throws {
        // Each cmsRun touches 300 MB and holds 2 s; the request allows 100 MB resident.
        let agent = try EndToEndAgent("maxrss", baggage: ["cmsRunKnobs": ["allocateMB": 300, "holdSeconds": 2]])
        defer { agent.killLeftovers() }
        let name = try agent.submit(try Self.request(["MaxRSS": 100]))
        try agent.runUntilQuiet()
        let jobs = try expectProductionFailed(agent, name, code: 50660)
        for job in jobs {
            #expect(job.performanceMonitor == PerformanceLimits(maxRSS: 100, softTimeout: 129_600, gracePeriod: 300))
            let text = try report(of: job, workflow: name, agent: agent)
            #expect(text.contains("exceeded the limit MaxRSS (request) of 100 MB"), "\(job.name): \(text.prefix(2000))")
        }
    }

    @Test func jobAboveMaxVSizeFailsWith50661() throws {
        // Each cmsRun touches 300 MB and holds 2 s; the request allows 200 MB of address space (and no RSS limit).
        let agent = try EndToEndAgent("maxvsize", baggage: ["cmsRunKnobs": ["allocateMB": 300, "holdSeconds": 2]])
        defer { agent.killLeftovers() }
        let name = try agent.submit(try Self.request(["MaxVSize": 200]))
        try agent.runUntilQuiet()
        for job in try expectProductionFailed(agent, name, code: 50661) {
            #expect(try report(of: job, workflow: name, agent: agent).contains("exceeded the limit MaxVSize (request) of 200 MB"))
        }
    }

    @Test func hangingJobIsStoppedAtSoftTimeoutWith50664() throws {
        // Production jobs hang for 10 minutes; the request allows 2 s plus 1 s of grace.
        let hang: [String: Any] = ["faults": ["seed": 1, "rules": [["probability": 1.0, "fault": ["kind": "hang", "seconds": 600],
                                                                    "jobNameContains": "-GenSim-"]]]]
        let agent = try EndToEndAgent("softtimeout", baggage: hang)
        defer { agent.killLeftovers() }
        let name = try agent.submit(try Self.request(["SoftTimeout": 2, "GracePeriod": 1]))
        let started = Date()
        try agent.runUntilQuiet(stallTimeout: 30)
        #expect(Date().timeIntervalSince(started) < 60, "nobody waited for the hanging payloads")
        for job in try expectProductionFailed(agent, name, code: 50664) {
            let text = try report(of: job, workflow: name, agent: agent)
            #expect(text.contains("over the wall-time limit SoftTimeout (request) of 2 s"), "\(job.name): \(text.prefix(2000))")
            #expect((job.lastRunTime ?? 0) < 30, "\(job.name) stopped near its soft timeout: \(job.lastRunTime ?? -1) s")
        }
        #expect(agent.processesOfSpool().isEmpty, "no payload left running: \(agent.processesOfSpool())")
    }
}
