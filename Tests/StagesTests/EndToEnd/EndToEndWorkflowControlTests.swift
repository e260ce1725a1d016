import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

/// Issue 19 item 6 (workflow control): the validation sample runs first and releases or stops the rest.
@Suite struct EndToEndWorkflowControlTests {
    static let datasets = EndToEndAgent.mcDatasets(EndToEndMonteCarloTests.tiers)

    /// The MonteCarlo chain for `events` events with a validation sample of the first `sample` events.
    static func sampled(events: Int, sample: Int) throws -> [String: Any] {
        var request = try EndToEndRequests.monteCarlo(events: events, perJob: 200, perLumi: 100)
        var create = request["createRequest"] as! [String: Any]
        create["ValidationSample"] = ["Events": sample]
        request["createRequest"] = create
        return request
    }

    /// The request's elements, archived once the request finished.
    func archivedElements(_ agent: EndToEndAgent, _ name: String) throws -> [ElementDocument] {
        try ElementStore(spool: agent.spool).archivedElements(ofRequest: name)
    }

    /// When an element entered a status (nil when it never did).
    func time(_ element: ElementDocument, entered status: ElementStatus) -> Double? {
        element.history.first { $0.to == status.rawValue }?.time
    }

    @Test func aSampleThatSucceedsReleasesTheRestAndEveryEventIsInOnce() throws {
        let agent = try EndToEndAgent("sample-ok")
        defer { agent.killLeftovers() }
        let name = try agent.submit(try Self.sampled(events: 1000, sample: 400))
        try agent.runUntilQuiet()
        #expect(agent.status(of: name) == "completed")
        #expect(try agent.datasets() == Self.datasets)
        let expected = EndToEndAgent.monteCarloEvents(1...1000, perLumi: 100)
        for dataset in Self.datasets {
            #expect(try agent.events(in: dataset).sorted() == expected, "\(dataset): every event exactly once")
        }
        // The sample (2 jobs of 200 events, at the top priority) was done before the rest was pulled.
        let elements = try archivedElements(agent, name)
        try #require(elements.count == 2, "the sample and the rest: \(elements.map(\.name))")
        let sample = try #require(elements.first { $0.validationSample })
        let rest = try #require(elements.first { !$0.validationSample })
        #expect(sample.priority == ValidationSample.samplePriority)
        #expect(sample.progress == ElementProgress(jobsSucceeded: 2, jobsFailed: 0, eventsProcessed: 400))
        #expect(sample.state == .done && rest.state == .done)
        let sampleDone = try #require(time(sample, entered: .done))
        let restPulled = try #require(time(rest, entered: .acquired))
        #expect(sampleDone <= restPulled, "the rest is pulled only after the sample is done")
        agent.expectClean()
    }

    @Test func aSampleThatFailsStopsTheRequestBeforeTheRestRuns() throws {
        // Every production job fails with 8001 (never retried): the sample fails 100% of its jobs, above the 10% default.
        let faults: [String: Any] = ["faults": ["seed": 1, "rules": [["probability": 1.0, "fault": ["kind": "exit", "code": 8001],
                                                                      "jobNameContains": "-GenSim-"]]]]
        let agent = try EndToEndAgent("sample-fails", baggage: faults)
        defer { agent.killLeftovers() }
        let name = try agent.submit(try Self.sampled(events: 1000, sample: 400))
        try agent.runUntilQuiet()
        #expect(agent.status(of: name) == "failed")
        guard case .document(let request) = try Areas.requests(agent.spool).load(name, in: .failed, now: SystemCall.now()) else {
            Issue.record("request \(name) unreadable in reqmgr/failed")
            return
        }
        let failure = try #require(request.history.last { $0.to == "failed" })
        #expect(failure.reason.contains("validation sample") && failure.reason.contains("100%") && failure.reason.contains("threshold 10%"),
                "\(failure.reason)")
        // Only the sample's two production jobs ever ran; the rest was canceled without a job.
        let elements = try archivedElements(agent, name)
        let sample = try #require(elements.first { $0.validationSample })
        let rest = try #require(elements.first { !$0.validationSample })
        #expect(sample.progress.jobsFailed == 2 && sample.progress.jobsSucceeded == 0)
        #expect(rest.state == .canceled && time(rest, entered: .acquired) == nil, "\(rest.history)")
        let production = try agent.archivedJobs(of: name).filter { $0.taskType == "Production" }
        #expect(production.count == 2 && production.allSatisfy { $0.name.contains("-GenSim-\(sample.name.prefix(8))-") },
                "\(production.map(\.name))")
        #expect(try agent.datasets().isEmpty)
        agent.expectClean()
    }
}

/// Issue 19 item 6: a priority change reaches the elements, the WMBS subscriptions and the jobs still queued.
@Suite struct PriorityChangeTests {
    @Test func aPriorityChangeIsObservedOnQueuedJobs() throws {
        let agent = try EndToEndAgent("priority")
        defer { agent.killLeftovers() }
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 1000, perJob: 200, perLumi: 100))
        // The queues and the job creator only: the five production jobs wait in jobs/created.
        let stages: [StageCycle] = [GlobalWorkQueueStage(), LocalWorkQueueStage(agent: "agent1"), JobCreatorStage()]
        func cycle() throws { for stage in stages { _ = try stage.runCycle(agent.context) } }
        for _ in 0..<3 { try cycle() }
        let jobs = Areas.jobs(agent.spool)
        func queued() throws -> [JobDocument] {
            try jobs.scan(.created).compactMap { name -> JobDocument? in
                guard case .document(let job) = try jobs.load(name, in: .created, now: SystemCall.now()) else { return nil }
                return job
            }
        }
        let before = try queued()
        try #require(before.count == 5, "five production jobs queued: \(before.map(\.name))")
        let oldPriority = try #require(try ElementStore(spool: agent.spool).elements(ofRequest: name).first?.priority)

        try agent.wmctlOK(["request", "priority", name, "123456"])
        try cycle()

        let requestPriority = try #require(try agent.wmctlOK(["request", "show", name]).split(separator: " ")
            .first { $0.hasPrefix("effective=") }.flatMap { Int($0.dropFirst("effective=".count)) })
        #expect(requestPriority != oldPriority)
        let elements = try ElementStore(spool: agent.spool).elements(ofRequest: name)
        #expect(!elements.isEmpty && elements.allSatisfy { $0.priority == requestPriority }, "\(elements.map(\.priority))")
        let subscriptions = try WMBSStore(spool: agent.spool).subscriptions(of: name)
        #expect(!subscriptions.isEmpty && subscriptions.allSatisfy { $0.requestPriority == requestPriority }, "\(subscriptions.map(\.requestPriority))")
        let after = try queued()
        #expect(after.count == 5)
        for job in after {
            let old = try #require(before.first { $0.name == job.name })
            #expect(job.priority == old.priority - oldPriority + requestPriority, "\(job.name): \(old.priority) → \(job.priority)")
        }
    }
}

/// Issue 19 item 6: force-complete cancels what no agent has pulled and lets pulled work run to the end.
@Suite struct ForceCompleteTests {
    @Test func aForceCompleteWithUnpulledElementsCancelsThemAndCompletesWithThePulledWork() throws {
        let agent = try EndToEndAgent("force-complete")
        defer { agent.killLeftovers() }
        // Input: 600 GEN-SIM events in lumis of 50, merged into 3 files of 200 events, one file per block: 3 blocks.
        let oneFileBlocks = BlockLimits(maxFiles: 1, maxEvents: 25_000_000, maxSize: 5_000_000_000_000, maxAge: 66_400)
        let first = try agent.submit(try EndToEndRequests.monteCarlo(events: 600, perJob: 200, perLumi: 50, tasks: 1,
                                                                     assignment: ["MaxMergeEvents": 200]))
        try agent.runUntilQuiet(blockLimits: oneFileBlocks)
        try #require(agent.status(of: first) == "completed")
        let input = "/DemoMinBias/Demo2026-demo-v1/GEN-SIM"
        try #require(try agent.blocks(of: input).count == 3, "three input blocks")

        let configID = try agent.addConfig(#"{"outputModules": {"RECOoutput": {"dataTier": "RECO", "filterName": ""}}, "description": "ReReco test"}"#)
        let request: [String: Any] = [
            "createRequest": ["RequestType": "ReReco", "Requestor": "demo", "RequestString": "ReReco_force", "Campaign": "Demo2026",
                              "CMSSWVersion": "CMSSW_14_0_0", "ScramArch": ["el9_amd64_gcc12"], "GlobalTag": "140X_mcRun3_2024_realistic_v1",
                              "AcquisitionEra": "Demo2026", "ProcessingString": "rereco", "ProcessingVersion": 1,
                              "InputDataset": input, "ConfigCacheID": configID,
                              "SplittingAlgo": "LumiBased", "LumisPerJob": 2, "TimePerEvent": 1, "SizePerEvent": 1, "Memory": 2000],
            "assignRequest": ["Team": "production", "SiteWhitelist": ["T2_CH_CERN", "T1_US_FNAL"], "AcquisitionEra": "Demo2026",
                              "ProcessingString": "rereco", "ProcessingVersion": 1, "MergedLFNBase": "/store/mc"],
        ]
        let name = try agent.submit(request)
        // The global queue makes one element per block; this agent pulls one of them only and injects it.
        let store = ElementStore(spool: agent.spool)
        _ = try GlobalWorkQueueStage().runCycle(agent.context)
        try #require(try store.elements(ofRequest: name).count == 3, "one element per block")
        _ = try LocalWorkQueueStage(agent: "agent1", pullLimit: 1).runCycle(agent.context)
        _ = try GlobalWorkQueueStage().runCycle(agent.context)
        try #require(agent.status(of: name) == "running-open")
        let pulled = try #require(try store.elements(ofRequest: name).first { $0.state == .running })

        try agent.wmctlOK(["request", "force-complete", name])
        try agent.runUntilQuiet(blockLimits: oneFileBlocks)

        #expect(agent.status(of: name) == "completed")
        let elements = try ElementStore(spool: agent.spool).archivedElements(ofRequest: name)
        #expect(elements.count == 3)
        #expect(elements.first { $0.name == pulled.name }?.state == .done, "the pulled element ran to the end")
        let canceled = elements.filter { $0.name != pulled.name }
        #expect(canceled.count == 2 && canceled.allSatisfy { $0.state == .canceled && !$0.history.contains { $0.to == "Acquired" } },
                "\(canceled.map { "\($0.name): \($0.history.map(\.to))" })")
        // Only the pulled block's lumis were processed: 4 of the 12.
        let output = "/DemoMinBias/Demo2026-rereco-v1/RECO"
        let lumis = Set(try agent.events(in: output).map(\.lumi))
        #expect(lumis.count == 4, "\(lumis.sorted())")
        // The account says plainly that the rest was left out by the operator, not missing and not in ACDC.
        let account = try agent.account(of: name)
        #expect(account.verdict == .forceCompleted, "\(account.text)")
        let dataset = try #require(account.datasets.first { $0.dataset == output })
        #expect(dataset.missingLumis.isEmpty && dataset.acdcLumis.isEmpty && dataset.leftOutEvents == 400, "\(account.text)")
        #expect(try ACDCStore(spool: agent.spool).records(workflow: name).isEmpty)
        let show = try agent.wmctlOK(["request", "show", name])
        #expect(show.contains("FORCE-COMPLETED: the operator accepted the output as it is"), "\(show)")
        #expect(show.contains("400 events a dataset left out by force-complete"), "\(show)")
        agent.expectClean()
    }
}

/// Issue 19 item 6: an abort cancels across agents and records the killed work in ACDC.
@Suite struct AbortAcrossAgentsTests {
    /// Runs the global queue, `agent`'s local queue and the job creator a few times: the request's jobs wait in jobs/created.
    func queueJobs(_ spool: EndToEndAgent, agent: String) throws -> [JobDocument] {
        let stages: [StageCycle] = [GlobalWorkQueueStage(), LocalWorkQueueStage(agent: agent), JobCreatorStage()]
        for _ in 0..<3 { for stage in stages { _ = try stage.runCycle(spool.context) } }
        let jobs = Areas.jobs(spool.spool)
        return try jobs.scan(.created).compactMap { name -> JobDocument? in
            guard case .document(let job) = try jobs.load(name, in: .created, now: SystemCall.now()) else { return nil }
            return job
        }
    }

    @Test func anAbortKillsTheAgentsJobsAndRecordsTheirWorkInACDC() throws {
        let agent = try EndToEndAgent("abort-acdc")
        defer { agent.killLeftovers() }
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 1000, perJob: 200, perLumi: 100, tasks: 1))
        let queued = try queueJobs(agent, agent: "agent1")
        try #require(queued.count == 5, "five production jobs queued")

        try agent.wmctlOK(["request", "abort", name])
        _ = try GlobalWorkQueueStage().runCycle(agent.context)
        _ = try LocalWorkQueueStage(agent: "agent1").runCycle(agent.context)

        let elements = try ElementStore(spool: agent.spool).elements(ofRequest: name)
        #expect(elements.count == 1 && elements.allSatisfy { $0.state == .canceled }, "\(elements.map(\.state))")
        #expect(try agent.spool.scan("jobs/killed").names.count == 5)
        // Every killed job left an ACDC record of its input: the records cover the killed jobs' inputs exactly.
        let records = try ACDCStore(spool: agent.spool).records(workflow: name)
        #expect(records.count == 5)
        let recorded = records.flatMap(\.files).map { "\($0.lfn) \(String(describing: $0.mask))" }.sorted()
        let killed = queued.flatMap { job in job.inputFiles.map { ACDCFile(job: job.body, file: $0, catalogLumis: []) } }
            .map { "\($0.lfn) \(String(describing: $0.mask))" }.sorted()
        #expect(recorded == killed, "records: \(recorded)\nkilled: \(killed)")
        #expect(Set(records.map(\.task)) == Set(queued.map(\.task)))
        let listing = try agent.wmctlOK(["acdc", "ls", name])
        #expect(listing.contains(name), "\(listing)")
    }

    @Test func aCancelRequestedElementOfASilentAgentIsForcedToCanceled() throws {
        let agent = try EndToEndAgent("abort-silent")
        defer { agent.killLeftovers() }
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 1000, perJob: 200, perLumi: 100, tasks: 1))
        try #require(try queueJobs(agent, agent: "agent2").count == 5, "agent2 pulled the element and queued its jobs")

        try agent.wmctlOK(["request", "abort", name])
        _ = try GlobalWorkQueueStage().runCycle(agent.context)
        // agent1 leaves another agent's element alone; agent2 never runs again.
        _ = try LocalWorkQueueStage(agent: "agent1").runCycle(agent.context)
        let store = ElementStore(spool: agent.spool)
        #expect(try store.elements(ofRequest: name).map(\.state) == [.cancelRequested])
        _ = try GlobalWorkQueueStage().runCycle(agent.context)
        #expect(try store.elements(ofRequest: name).map(\.state) == [.cancelRequested], "not before the timeout")

        // Past the agent timeout (3600 s), the global queue forces it Canceled and the request leaves aborted.
        var later = agent.context
        later.now = { SystemCall.now() + 3_700 }
        _ = try GlobalWorkQueueStage().runCycle(later)
        // The request leaves aborted in the same cycle, so the queue has archived the element already.
        let element = try #require(try store.archivedElements(ofRequest: name).first)
        #expect(element.state == .canceled)
        #expect(element.history.last?.reason.contains("agent 'agent2' silent") == true, "\(element.history.last?.reason ?? "")")
        #expect(agent.status(of: name) == "aborted-completed")
    }
}
