import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import BatchSystems
@testable import SpoolLayout
@testable import WMCore

/// Issue 21 item 4: a MonteCarlo TaskChain through the whole agent on sites whose batch system is `sim`: no payload
/// process, jobs ending on a compressed clock with the reports and staged outputs the job wrapper leaves.
@Suite struct EndToEndSimulatedBatchTests {
    /// Puts every site of the agent's `etc/sites.json` on the sim plugin with these settings.
    static func simulateEverySite(_ agent: EndToEndAgent, runSeconds: Double, failureRate: Double, timeScale: Double, seed: Int) throws {
        var configuration = try ExecutionLayout.siteConfiguration(spool: agent.spool)
        for index in configuration.sites.indices {
            configuration.sites[index].compute = ComputeSettings(plugin: "sim", runSeconds: runSeconds, failureRate: failureRate,
                                                                 timeScale: timeScale, seed: seed)
        }
        try ExecutionLayout.saveSiteConfiguration(configuration, spool: agent.spool)
        #expect(try ExecutionLayout.siteConfiguration(spool: agent.spool).sites.allSatisfy { $0.compute.plugin == "sim" })
    }

    /// The keys of the attempts the sim plugin finished, over every site.
    static func finishedAttempts(_ agent: EndToEndAgent) throws -> [String] {
        try SiteConfiguration.defaults().sites.flatMap { site -> [String] in
            let folder = Layout.simulatedBatch(site: site.name) + "/finished"
            return SystemCall.isDirectory(agent.spool.path(folder)) ? try agent.spool.scan(folder).names : []
        }
    }

    /// True when no local-plugin payload was ever started on this spool.
    static func nothingRanLocally(_ agent: EndToEndAgent) -> Bool {
        SiteConfiguration.defaults().sites.allSatisfy { !SystemCall.exists(agent.spool.path(Layout.localBatch(site: $0.name)) + "/started.log") }
    }

    @Test func aTaskChainCompletesOnTheSimPluginWithEveryEventOnce() throws {
        let agent = try EndToEndAgent("sim")
        defer { agent.killLeftovers() }
        // An hour of simulated running in 0.1 s of wall time.
        try Self.simulateEverySite(agent, runSeconds: 3600, failureRate: 0, timeScale: 36_000, seed: 1)
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 1000, perJob: 200, perLumi: 100))
        try agent.runUntilQuiet()
        try EndToEndMonteCarloTests().checkCompletedChain(agent, name, events: 1...1000, perLumi: 100, limits: .wmcore)
        #expect(try agent.account(of: name).verdict == .complete)
        let jobs = try agent.archivedJobs(of: name)
        #expect(jobs.allSatisfy { $0.retryCount == 0 }, "failure rate 0: no retries")
        let finished = try Self.finishedAttempts(agent)
        #expect(Set(finished) == Set(jobs.map(\.submissionKey)), "every attempt ended through the sim plugin")
        #expect(Self.nothingRanLocally(agent), "no local payload process was started")
    }

    @Test func failedAttemptsAreRetriedAndTheAccountStaysExact() throws {
        // Enough retries for every task type that a 30% failure rate never exhausts them.
        let retries = ["default": 20, "Merge": 20, "Cleanup": 20, "LogCollect": 20, "Harvesting": 20]
        let agent = try EndToEndAgent("sim-failures", maxRetries: retries)
        defer { agent.killLeftovers() }
        try Self.simulateEverySite(agent, runSeconds: 600, failureRate: 0.3, timeScale: 12_000, seed: 7)
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 1000, perJob: 100, perLumi: 100))
        try agent.runUntilQuiet()
        #expect(agent.status(of: name) == "completed")
        #expect(try agent.datasets() == EndToEndMonteCarloTests.datasetNames)
        let expected = EndToEndAgent.monteCarloEvents(1...1000, perLumi: 100)
        for dataset in EndToEndMonteCarloTests.datasetNames {
            #expect(try agent.events(in: dataset).sorted() == expected, "\(dataset): every requested event exactly once")
        }
        let account = try agent.account(of: name)
        #expect(account.verdict == .complete, "\(account)")
        agent.expectClean()

        // Some attempts failed with the sim plugin's CMSSW error and were retried; every failed attempt is one the
        // plugin's decision picked, and every retry count matches the failed attempts before the success.
        let runs = SimulatedRuns(runSeconds: 600, failureRate: 0.3, timeScale: 12_000, seed: 7)
        let jobs = try agent.archivedJobs(of: name)
        #expect(jobs.contains { $0.retryCount > 0 }, "some attempts failed and were retried: \(jobs.map(\.retryCount))")
        for job in jobs {
            let failedAttempts = (0..<job.retryCount).filter { runs.fails(job: job.name, retry: $0) }
            #expect(failedAttempts.count == job.retryCount && !runs.fails(job: job.name, retry: job.retryCount),
                    "\(job.name): retries \(job.retryCount), the plugin's decisions \((0...job.retryCount).map { runs.fails(job: job.name, retry: $0) })")
            #expect(job.exitCodes.allSatisfy { $0 == SimulatedRuns.failureCode }, "\(job.name): exit codes \(job.exitCodes)")
        }
        let attempts = jobs.reduce(0) { $0 + $1.retryCount + 1 }
        #expect(try Self.finishedAttempts(agent).count == attempts, "one sim record per attempt")
        let summary = try agent.summary(of: name)
        #expect(summary.output.values.allSatisfy { $0.events == 1000 }, "\(summary.output)")
        #expect(summary.logArchives == attempts, "failed attempts archive their logs too")
        #expect(Self.nothingRanLocally(agent))
    }

    @Test func anAbortedRequestsSimulatedJobsAreKilledThroughThePlugin() throws {
        let agent = try EndToEndAgent("sim-abort")
        defer { agent.killLeftovers() }
        // An hour on the wall clock: the jobs are still running when the request is aborted.
        try Self.simulateEverySite(agent, runSeconds: 3600, failureRate: 0, timeScale: 1, seed: 1)
        let name = try agent.submit(try EndToEndRequests.monteCarlo(events: 400, perJob: 100, perLumi: 50, tasks: 1))
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, try agent.spool.scan("jobs/executing").names.count < 4 {
            for stage in agent.stages() { _ = try stage.runCycle(agent.context) }
        }
        try #require(try agent.spool.scan("jobs/executing").names.count == 4, "four jobs executing")

        try agent.wmctlOK(["request", "abort", name])
        let started = Date()
        try agent.runUntilQuiet(stallTimeout: 30)
        #expect(Date().timeIntervalSince(started) < 30, "nobody waited for the simulated hour")
        #expect(agent.status(of: name) == "aborted-completed")
        let production = try agent.archivedJobs(of: name).filter { $0.taskType == "Production" }
        #expect(production.count == 4)
        for job in production {
            #expect(job.history.map(\.to).suffix(2) == ["killed", "cleanout"], "\(job.name): \(job.history.map(\.to))")
        }
        // Each attempt's sim record ended killed, with no exit code, and no report or output was made.
        let records = try SiteConfiguration.defaults().sites.flatMap { site -> [String] in
            let folder = Layout.simulatedBatch(site: site.name) + "/finished"
            guard SystemCall.isDirectory(agent.spool.path(folder)) else { return [] }
            return try agent.spool.scan(folder).names.map { String(decoding: try #require(try agent.spool.read($0, in: folder)), as: UTF8.self) }
        }
        #expect(records.count == 4 && records.allSatisfy { $0.contains("\nkilled=") && !$0.contains("\nexit=") }, "\(records)")
        #expect(try agent.datasets().isEmpty)
        #expect(agent.storageFiles(containing: ".root").isEmpty, "no output was staged")
    }
}
