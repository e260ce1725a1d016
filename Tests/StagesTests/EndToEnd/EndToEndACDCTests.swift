import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// Issue 16, deliverable 1: ACDC is exact for every splitting kind. A ReReco whose even-numbered processing
/// jobs fail for good (8001) completes with ACDC records of exactly the missing lumis and their true event
/// counts, and one resubmission restores exactly the missing work: every input event in the output once.
@Suite struct EndToEndACDCTests {
    /// The input dataset every case processes: 2,000 GEN-SIM events, 100 a lumi (run 1, lumis 1-20), in two
    /// merged files of 1,000 events (ten lumis each), so several failed jobs read one file.
    static let input = "/DemoMinBias/Demo2026-demo-v1/GEN-SIM"
    static let output = "/DemoMinBias/Demo2026-acdc-v1/RECO"
    static let allEvents = EndToEndAgent.monteCarloEvents(1...2000, perLumi: 100)

    /// Runs the MC request that makes the input dataset.
    static func makeInput(_ agent: EndToEndAgent) throws {
        let mc = try EndToEndRequests.monteCarlo(events: 2000, perJob: 200, perLumi: 100, tasks: 1,
                                                 assignment: ["MaxMergeEvents": 1000])
        let name = try agent.submit(mc)
        try agent.runUntilQuiet()
        try #require(agent.status(of: name) == "completed")
        try #require(try agent.events(in: input).sorted() == allEvents)
    }

    /// A ReReco of the input with `splitting` (ReReco arguments such as `SplittingAlgo`, `LumisPerJob`).
    static func reReco(_ agent: EndToEndAgent, splitting: [String: Any]) throws -> [String: Any] {
        let configID = try agent.addConfig(#"{"outputModules": {"RECOoutput": {"dataTier": "RECO", "filterName": ""}}, "description": "ACDC test"}"#)
        var create: [String: Any] = [
            "RequestType": "ReReco", "Requestor": "demo", "RequestString": "ReReco_acdc", "Campaign": "Demo2026",
            "CMSSWVersion": "CMSSW_14_0_0", "ScramArch": ["el9_amd64_gcc12"], "GlobalTag": "140X_mcRun3_2024_realistic_v1",
            "AcquisitionEra": "Demo2026", "ProcessingString": "acdc", "ProcessingVersion": 1,
            "InputDataset": input, "ConfigCacheID": configID, "TimePerEvent": 1, "SizePerEvent": 1, "Memory": 2000]
        for (key, value) in splitting { create[key] = value }
        return ["createRequest": create,
                "assignRequest": ["Team": "production", "SiteWhitelist": ["T2_CH_CERN", "T1_US_FNAL"], "AcquisitionEra": "Demo2026",
                                  "ProcessingString": "acdc", "ProcessingVersion": 1, "MergedLFNBase": "/store/mc"]]
    }

    /// Fails every even-numbered job of the request's top task (one element) with 8001, which is never retried.
    static func failEvenJobs(_ agent: EndToEndAgent, request name: String, task: String) throws -> [String] {
        _ = try GlobalWorkQueueStage().runCycle(agent.context)
        let elements = try ElementStore(spool: agent.spool).elements(ofRequest: name)
        try #require(elements.count == 1, "one element (one block)")
        let prefix = "\(WMBSStore.workflowKey(name))-\(task)-\(elements[0].name.prefix(8))-"
        let doomed = stride(from: 2, through: 40, by: 2).map { prefix + String(format: "%06d", $0) }
        try agent.setConfiguration(baggage: EndToEndFailureTests.faults(seed: 1, doomed.map {
            ["probability": 1.0, "fault": ["kind": "exit", "code": 8001], "jobNameContains": $0]
        }))
        return doomed
    }

    /// The whole case: input, a ReReco with half its jobs failing, ACDC of exactly the gap, one resubmission.
    func runCase(_ label: String, splitting: [String: Any], expectedJobs: Int) throws {
        let agent = try EndToEndAgent("acdc-" + label)
        defer { agent.killLeftovers() }
        try Self.makeInput(agent)
        let name = try agent.submit(try Self.reReco(agent, splitting: splitting))
        _ = try Self.failEvenJobs(agent, request: name, task: "DataProcessing")
        try agent.runUntilQuiet()
        #expect(agent.status(of: name) == "completed")

        let jobs = try agent.archivedJobs(of: name).filter { $0.taskType == "Processing" }
        #expect(jobs.count == expectedJobs, "\(label): \(jobs.count) processing jobs")
        let failed = jobs.filter { $0.history.contains { $0.to == "exhausted" } }
        try #require(!failed.isEmpty && failed.count < jobs.count, "\(label): some jobs failed, some succeeded")

        // The output misses exactly the failed jobs' events, and ACDC records exactly those, with true counts.
        let have = try agent.events(in: Self.output)
        #expect(Set(have).count == have.count, "\(label): nothing doubled before the resubmission")
        let missing = Set(Self.allEvents).subtracting(have)
        #expect(!missing.isEmpty)
        let missingLumis = Set(missing.map { LumiSection(run: $0.run, lumi: $0.lumi) })
        let (code, out) = agent.wmctl(["acdc", "ls", name, "--json"])
        #expect(code == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["events"] as? Int == missing.count, "\(label): ACDC claims \(rows.first?["events"] ?? "nothing") events, \(missing.count) are missing")
        let record = try #require(try ACDCStore(spool: agent.spool).merged(workflow: name, task: "/\(name)/DataProcessing"))
        let recorded = record.files.flatMap(\.lumis).map { LumiSection(run: $0.run, lumi: $0.lumi) }
        if splitting["SplittingAlgo"] as? String != "EventBased" {
            #expect(Set(recorded) == missingLumis, "\(label): ACDC holds exactly the missing lumis")
            #expect(recorded.count == Set(recorded).count, "\(label): no lumi recorded twice")
        }

        // The account: incomplete, every missing lumi in ACDC, nothing doubled; announcing is refused until it is complete.
        let account = try agent.account(of: name)
        #expect(account.verdict == .incomplete, "\(label): \(account.text)")
        let recordEntry = try #require(account.datasets.first { $0.dataset == Self.output })
        #expect(recordEntry.acdcEvents == missing.count && recordEntry.missingLumis.isEmpty && recordEntry.duplicatedLumis.isEmpty, "\(account.text)")
        try agent.wmctlOK(["request", "close-out", name])
        #expect(agent.wmctl(["request", "announce", name]).code == 65)

        // A dry run says what it would submit and submits nothing (issue 17: it used to make the request).
        let requestsBefore = try RequestStatus.allCases.flatMap { try agent.spool.scan("reqmgr/\($0.rawValue)").names }
        let dry = try agent.wmctlOK(["request", "resubmit", name, "--assign", "--dry-run"])
        #expect(dry.contains("would submit a Resubmission of \(name)") && dry.contains("dry run: nothing changed"), "\(dry)")
        #expect(try RequestStatus.allCases.flatMap { try agent.spool.scan("reqmgr/\($0.rawValue)").names } == requestsBefore)

        // One resubmission restores exactly the gap.
        let resubmission = try agent.wmctlOK(["request", "resubmit", name, "--assign"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try agent.setConfiguration()
        try agent.runUntilQuiet()
        #expect(agent.status(of: resubmission) == "completed")
        #expect(try agent.events(in: Self.output).sorted() == Self.allEvents, "\(label): every input event in the output exactly once")
        let after = try agent.account(of: name), ofResubmission = try agent.account(of: resubmission)
        #expect(after.verdict == .complete, "\(label): \(after.text)")
        #expect(ofResubmission.verdict == .complete, "\(label): \(ofResubmission.text)")
        try agent.wmctlOK(["request", "announce", name])
        agent.expectClean()
    }

    /// A job document removed by hand before it ran: the request closes with the job's work in ACDC (the job
    /// markers find it) and is marked incomplete (show, summary, status alert, announce refused). The account's
    /// own safety net is shown too: with that ACDC record gone, closing again finds the lumis missing from every
    /// output without a record and records them. One resubmission completes the request.
    @Test func workMissingWithoutARecordIsRecordedWhenTheRequestCloses() throws {
        let agent = try EndToEndAgent("acdc-vanished")
        defer { agent.killLeftovers() }
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 2000, perJob: 200, perLumi: 100))
        for stage in agent.stages() where !(stage is JobSubmitterStage) {
            _ = try stage.runCycle(agent.context)
            if stage is JobCreatorStage { break }
        }
        let created = try agent.spool.scan("jobs/created").names.sorted()
        try #require(created.count == 10)
        try FileManager.default.removeItem(atPath: agent.spool.path("jobs/created/" + created[3]))
        try agent.runUntilQuiet()
        #expect(agent.status(of: name) == "completed")

        let datasets = EndToEndFailureTests.datasets
        var account = try agent.account(of: name)
        #expect(account.verdict == .incomplete, "\(account.text)")
        #expect(Set(account.datasets.map(\.dataset)) == datasets)
        for dataset in account.datasets {
            #expect(dataset.acdcEvents == 200 && dataset.acdcLumis.count == 1 && dataset.missingLumis.isEmpty, "\(account.text)")
            #expect(dataset.outputEvents == 1800 && dataset.duplicatedLumis.isEmpty)
        }
        // The safety net: the ACDC record lost, the account finds the gap without a record and records it.
        try FileManager.default.removeItem(atPath: agent.spool.path("acdc/" + name))
        #expect(try agent.account(of: name).verdict == .inconsistent)
        #expect(agent.wmctl(["request", "account", name]).code == 65)
        account = try RequestAccounting(spool: agent.spool).close(name, now: SystemCall.now())
        #expect(account.verdict == .incomplete && account.recordedAtClose.count == 1, "\(account.text)")
        #expect(account.datasets.allSatisfy { $0.acdcLumis == account.recordedAtClose && $0.acdcEvents == 200 })

        let show = try agent.wmctlOK(["request", "show", name])
        #expect(show.contains("INCOMPLETE"), "\(show)")
        let showJSON = try agent.wmctlOK(["request", "show", name, "--json"])
        #expect(showJSON.contains(#""accountVerdict":"incomplete""#), "\(showJSON)")
        #expect(try agent.summary(of: name).account?.verdict == .incomplete)
        let text = try #require(try agent.spool.read(name + ".txt", in: TaskArchiverStage.summaries))
        #expect(String(decoding: text, as: UTF8.self).contains("Account: INCOMPLETE"))
        #expect(try agent.wmctlOK(["status"]).contains("ALERT request \(name)"))
        try agent.wmctlOK(["request", "close-out", name])
        let refused = agent.wmctl(["request", "announce", name])
        #expect(refused.code == 65 && refused.out.stderr.contains("200 events a dataset recorded in ACDC"), "\(refused.out.stderr)")
        let accountText = try agent.wmctlOK(["request", "account", name])
        #expect(accountText.contains("INCOMPLETE"), "\(accountText)")

        let resubmission = try agent.wmctlOK(["request", "resubmit", name, "--assign"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try agent.runUntilQuiet()
        #expect(agent.status(of: resubmission) == "completed")
        let expected = EndToEndAgent.monteCarloEvents(1...2000, perLumi: 100)
        for dataset in datasets {
            #expect(try agent.events(in: dataset).sorted() == expected, "\(dataset): every event exactly once")
        }
        let after = try agent.account(of: name)
        #expect(after.verdict == .complete, "\(after.text)")
        #expect(!(try agent.wmctlOK(["status"]).contains("ALERT")))
        try agent.wmctlOK(["request", "announce", name])
    }

    @Test func lumiBased() throws {
        try runCase("lumi", splitting: ["SplittingAlgo": "LumiBased", "LumisPerJob": 2], expectedJobs: 10)
    }

    @Test func eventAwareLumiBased() throws {
        try runCase("ealb", splitting: ["SplittingAlgo": "EventAwareLumiBased", "EventsPerJob": 300], expectedJobs: 7)
    }

    @Test func fileBased() throws {
        try runCase("file", splitting: ["SplittingAlgo": "FileBased", "FilesPerJob": 1], expectedJobs: 2)
    }

    @Test func eventBased() throws {
        try runCase("event", splitting: ["SplittingAlgo": "EventBased", "EventsPerJob": 150], expectedJobs: 14)
    }
}
