import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import BatchSystems
@testable import SpoolLayout
@testable import WMCore

/// Issue 6/7, proof 5: a request aborted while its jobs run ends `aborted-completed`; its running payloads
/// are killed through the plugin and every job goes killed → cleanout.
@Suite struct EndToEndAbortTests {
    @Test func abortedRequestKillsItsRunningJobsAndEndsAbortedCompleted() throws {
        // Production jobs hang for 10 minutes: they are still running when the request is aborted.
        let hang: [String: Any] = ["faults": ["seed": 1, "rules": [["probability": 1.0, "fault": ["kind": "hang", "seconds": 600],
                                                                    "jobNameContains": "-GenSim-"]]]]
        let agent = try EndToEndAgent("abort", baggage: hang)
        defer { agent.killLeftovers() }
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 400, perJob: 100, perLumi: 50, tasks: 1))

        // Drive the stages until the four production jobs are executing and their payloads are running.
        let stages = agent.stages()
        let executing = "jobs/executing"
        var payloads: [Int32: String] = [:]
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            for stage in stages { _ = try stage.runCycle(agent.context) }
            payloads = agent.processesOfSpool().filter { $0.value.contains("wm-cmsrun") }
            if try agent.spool.scan(executing).names.count == 4 && payloads.count == 4 { break }
            usleep(100_000)
        }
        try #require(try agent.spool.scan(executing).names.count == 4, "four jobs executing")
        try #require(payloads.count == 4, "four payloads running: \(payloads)")

        try agent.wmctlOK(["request", "abort", name])
        #expect(agent.status(of: name) == "aborted")
        let started = Date()
        try agent.runUntilQuiet(stallTimeout: 30)
        #expect(Date().timeIntervalSince(started) < 60, "nobody waited for the hanging payloads")

        #expect(agent.status(of: name) == "aborted-completed")
        #expect(agent.processesOfSpool().isEmpty, "no wm-runjob or payload of the request left running: \(agent.processesOfSpool())")
        for pid in payloads.keys { #expect(LocalProcess.stat(pid) == nil || LocalProcess.stat(pid)?.state == "Z", "payload \(pid) gone") }
        let jobs = try agent.archivedJobs(of: name)
        let production = jobs.filter { $0.taskType == "Production" }
        #expect(production.count == 4)
        for job in production {
            let states = job.history.map(\.to)
            #expect(states.suffix(2) == ["killed", "cleanout"], "\(job.name): \(states)")
            #expect(states.contains("executing"), "\(job.name) was running when killed")
            // The local plugin recorded the kill in the attempt's directory, which the job archiver tarred.
            let tarball = agent.spool.path("archive/logs/\(name.prefix(1))/\(name)/JobCluster_0/Job_\(job.name).tar.gz")
            let outcome = try TestSupport.run("/usr/bin/tar", ["-xzOf", tarball, "\(job.name)-0/local-outcome"])
            #expect(outcome.stdout.contains("killed by the agent"), "\(job.name): \(outcome.stdout)\(outcome.stderr)")
        }
        #expect(jobs.allSatisfy { $0.history.last?.to == "cleanout" })
        #expect(!jobs.contains { $0.history.contains { $0.to == "success" } && $0.taskType == "Production" })
        // Nothing of the aborted request reached the catalog, and no job document is left outside the archive.
        #expect(try agent.datasets().isEmpty)
        for state in JobState.allCases { #expect(try agent.spool.scan("jobs/" + state.rawValue).names.isEmpty, "jobs/\(state.rawValue)") }
        // The element ended Canceled; once the request is aborted-completed the queue archives it.
        #expect(try ElementStore(spool: agent.spool).elements(ofRequest: name).isEmpty)
        let archived = try agent.spool.scan("archive/elements/" + name).names
        #expect(archived.count == 1)
        let element = try JSONDecoder().decode(ElementDocument.self, from: Data(try #require(try agent.spool.read(archived[0], in: "archive/elements/" + name))))
        #expect(element.state == .canceled)
        agent.expectClean()
    }
}
