import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// Issue 6/7, proofs 2 and 3: transient failures are retried until every event is in; permanent failures
/// end exhausted, leave ACDC records of exactly the missing work, and a Resubmission request fills the gap.
@Suite struct EndToEndFailureTests {
    static let datasets = EndToEndAgent.mcDatasets(EndToEndMonteCarloTests.tiers)

    /// A fault plan as job baggage.
    static func faults(seed: Int, _ rules: [[String: Any]]) -> [String: Any] {
        ["faults": ["seed": seed, "rules": rules]]
    }

    /// Every dataset of the chain holds each event of `events` exactly once.
    func expectEveryEventOnce(_ agent: EndToEndAgent, events: ClosedRange<Int>, perLumi: Int,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try agent.datasets() == Self.datasets, sourceLocation: sourceLocation)
        let expected = EndToEndAgent.monteCarloEvents(events, perLumi: perLumi)
        for dataset in Self.datasets {
            #expect(try agent.events(in: dataset).sorted() == expected, "\(dataset): every event exactly once", sourceLocation: sourceLocation)
        }
    }

    @Test func transientFailuresAreRetriedUntilEveryEventIsIn() throws {
        // 20% of attempts exit 8028 (a file-open error: retried); at most two failures per job, within every retry limit.
        let faults = Self.faults(seed: 2026, [["probability": 0.2, "fault": ["kind": "exit", "code": 8028], "retries": [0, 1]]])
        let agent = try EndToEndAgent("transient", baggage: faults, maxRetries: ["LogCollect": 2])
        defer { agent.killLeftovers() }
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 1000, perJob: 100, perLumi: 100))
        try agent.runUntilQuiet()
        #expect(agent.status(of: name) == "completed")
        try expectEveryEventOnce(agent, events: 1...1000, perLumi: 100)

        let jobs = try agent.archivedJobs(of: name)
        let retried = jobs.filter { $0.retryCount > 0 }
        #expect(!retried.isEmpty, "with \(jobs.count) jobs at 20%, some failed and were retried")
        for job in retried {
            let states = job.history.map(\.to)
            #expect(states.filter { $0 == "jobfailed" }.count == job.retryCount, "\(job.name): one failure per retry")
            #expect(states.filter { $0 == "jobcooloff" }.count == job.retryCount, "\(job.name): cooled off before each retry")
            #expect(job.exitCodes.allSatisfy { $0 == 8028 }, "\(job.name): \(job.exitCodes)")
            #expect(states.last == "cleanout" && states.contains("success"))
        }
        #expect(jobs.allSatisfy { $0.history.contains { $0.to == "success" } }, "no job exhausted")
        let summary = try agent.summary(of: name)
        #expect(summary.jobs == ["success": jobs.count])
        let failures = summary.errors.values.flatMap(\.values).flatMap(\.values).reduce(0) { $0 + $1.errors }
        #expect(failures == retried.reduce(0) { $0 + $1.retryCount }, "the summary counts every failed attempt")
        #expect(Set(summary.errors.values.flatMap(\.values).flatMap(\.keys)) == ["8028"])
        agent.expectClean()
    }

    @Test func permanentFailuresGoToACDCAndAResubmissionFillsTheGap() throws {
        let agent = try EndToEndAgent("permanent")
        defer { agent.killLeftovers() }
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 1000, perJob: 200, perLumi: 100))
        // The production jobs are named `<workflow key>-GenSim-<element>-<n>`: the global queue makes the element.
        _ = try GlobalWorkQueueStage().runCycle(agent.context)
        let element = try #require(try ElementStore(spool: agent.spool).elements(ofRequest: name).first)
        let prefix = "\(WMBSStore.workflowKey(name))-GenSim-\(element.name.prefix(8))-"
        let doomed = [prefix + "000002", prefix + "000004"]
        try agent.setConfiguration(baggage: Self.faults(seed: 1, doomed.map {
            ["probability": 1.0, "fault": ["kind": "exit", "code": 8001], "jobNameContains": $0]
        }))
        try agent.runUntilQuiet()
        #expect(agent.status(of: name) == "completed", "the request completes with the rest")

        // The two jobs failed once with 8001 (never retried) and ended exhausted.
        let jobs = try agent.archivedJobs(of: name)
        for jobName in doomed {
            let job = try #require(jobs.first { $0.name == jobName })
            #expect(job.retryCount == 0 && job.exitCodes == [8001])
            #expect(job.history.map(\.to).suffix(4) == ["jobfailed", "retrydone", "exhausted", "cleanout"], "\(job.history.map(\.to))")
        }
        #expect(jobs.filter { $0.history.contains { $0.to == "exhausted" } }.count == 2)

        // ACDC holds exactly their work: events 201-400 (lumis 3-4) and 601-800 (lumis 7-8) of run 1.
        let (code, out) = agent.wmctl(["acdc", "ls", "--json"])
        #expect(code == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["workflow"] as? String == name)
        #expect(rows.first?["task"] as? String == "/\(name)/GenSim")
        #expect(rows.first?["events"] as? Int == 400 && rows.first?["lumis"] as? Int == 4)
        let record = try #require(try ACDCStore(spool: agent.spool).merged(workflow: name, task: "/\(name)/GenSim"))
        let masks = record.files.compactMap { $0.mask.map { ($0.firstEvent ?? 0)...($0.lastEvent ?? 0) } }.sorted { $0.lowerBound < $1.lowerBound }
        #expect(masks == [201...400, 601...800])
        #expect(Set(record.files.flatMap(\.lumis).map { "\($0.run):\($0.lumi)" }) == ["1:3", "1:4", "1:7", "1:8"])
        // The datasets miss exactly those events for now.
        let have = Set(try agent.events(in: "/DemoMinBias/Demo2026-demo-v1/GEN-SIM").map(\.event))
        #expect(have == Set(1...1000).subtracting(201...400).subtracting(601...800))

        let resubmission = try agent.wmctlOK(["request", "resubmit", name, "--assign"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(resubmission.contains("ACDC_"))
        try agent.runUntilQuiet()
        #expect(agent.status(of: resubmission) == "completed")
        let resubmitted = try agent.archivedJobs(of: resubmission).filter { $0.taskType == "Production" }
        #expect(resubmitted.count == 2 && resubmitted.allSatisfy { $0.history.contains { $0.to == "success" } })
        try expectEveryEventOnce(agent, events: 1...1000, perLumi: 100)
        agent.expectClean()
    }
}
