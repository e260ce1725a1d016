import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import SpoolLayout
@testable import WMCore

/// Issue 19, Must show: a 4-core request on the local plugin with 4 slots runs one job at a time.
@Suite struct EndToEndCoresTests {
    /// Watches a local plugin's `running/` folder from a thread of its own and keeps the most cores and the most
    /// 4-core jobs it ever saw running together, and which 4-core jobs it saw at all.
    final class RunningWatcher: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        private(set) var mostCores = 0
        private(set) var mostWideJobs = 0
        private(set) var wideJobsSeen: Set<String> = []
        private(set) var samples = 0
        let folder: String

        init(folder: String) { self.folder = folder }

        func start() -> Thread {
            let thread = Thread { [self] in
                while !lock.withLock({ stopped }) {
                    sample()
                    usleep(5_000)
                }
            }
            thread.start()
            return thread
        }

        func stop() { lock.withLock { stopped = true } }

        private func sample() {
            let keys = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            var cores = 0, wide: [String] = []
            for key in keys where !key.hasPrefix(".") {
                guard let text = try? String(contentsOfFile: folder + "/" + key, encoding: .utf8) else { continue }
                let line = text.split(separator: "\n").first { $0.hasPrefix("cores=") }
                let n = line.flatMap { Int($0.dropFirst("cores=".count)) } ?? 1
                cores += n
                if n == 4 { wide.append(key) }
            }
            lock.withLock {
                samples += 1
                mostCores = max(mostCores, cores)
                mostWideJobs = max(mostWideJobs, wide.count)
                wideJobsSeen.formUnion(wide)
            }
        }
    }

    @Test func fourCoreRequestOnFourLocalSlotsRunsOneJobAtATime() throws {
        // Each cmsRun holds 0.3 s, so the watcher sees every job running.
        let agent = try EndToEndAgent("cores", baggage: ["cmsRunKnobs": ["allocateMB": 1, "holdSeconds": 0.3]])
        defer { agent.killLeftovers() }
        var request = try EndToEndRequests.monteCarlo(events: 800, perJob: 200, perLumi: 100, tasks: 1,
                                                      assignment: ["SiteWhitelist": ["T2_CH_CERN"]])
        var create = request["createRequest"] as! [String: Any]
        var task1 = create["Task1"] as! [String: Any]
        task1["Multicore"] = 4
        task1["EventStreams"] = 4
        create["Task1"] = task1
        request["createRequest"] = create
        let name = try agent.submit(request)

        let watcher = RunningWatcher(folder: agent.spool.path(Layout.localBatch(site: "T2_CH_CERN")) + "/running")
        _ = watcher.start()
        defer { watcher.stop() }
        try agent.runUntilQuiet()
        watcher.stop()

        #expect(agent.status(of: name) == "completed")
        let jobs = try agent.archivedJobs(of: name)
        let production = jobs.filter { $0.taskType == "Production" }
        #expect(production.count == 4, "800 events, 200 per job")
        #expect(production.allSatisfy { $0.numberOfCores == 4 }, "\(production.map(\.numberOfCores))")
        #expect(production.allSatisfy { $0.baggage["eventStreams"] == .int(4) })
        #expect(jobs.filter { $0.taskType != "Production" }.allSatisfy { $0.cores == 1 }, "merge, cleanup and log-collect jobs take one core")
        // The site has 4 slots: a 4-core job runs alone, never two at once, and never more than 4 cores in use.
        #expect(watcher.mostWideJobs == 1, "at most one 4-core job running at a time (saw \(watcher.mostWideJobs))")
        #expect(watcher.mostCores <= 4, "at most 4 cores in use (saw \(watcher.mostCores))")
        #expect(watcher.wideJobsSeen.count == 4, "every 4-core job was seen running (\(watcher.samples) samples)")
        let started = try String(contentsOfFile: agent.spool.path(Layout.localBatch(site: "T2_CH_CERN")) + "/started.log", encoding: .utf8)
        #expect(started.split(separator: "\n").count == jobs.count, "every job ran on T2_CH_CERN, once")
    }
}
