import Foundation
import Testing
import TestSupport
@testable import SpoolKit
@testable import BatchSystems
@testable import SpoolLayout
@testable import Stages
@testable import WMCore

@Suite struct WorkQueueAgentsTests {
    /// Submits the example request with `events` events at one event per job: `events / 1000` elements.
    func stagedRequest(_ f: RequestFixture, events: Int) throws -> String {
        let (code, out) = f.wmctl(["request", "submit", f.example, "--assign", "--set", "Task1.RequestNumEvents=\(events)",
                                   "--set", "Task1.EventsPerJob=1", "--set", "Task1.EventsPerLumi=1"])
        #expect(code == 0, "\(out.stderr)")
        _ = try GlobalWorkQueueStage().runCycle(f.context)
        return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func fourAgentProcessesAcquireEveryElementExactlyOnce() throws {
        // A million jobs: over the default job ceiling of 100,000 per task, so this agent raises it.
        let f = try RequestFixture("agents", config: #"{"workQueue": {"maxJobsPerTask": 1000000}}"#)
        let name = try stagedRequest(f, events: 1_000_000)
        let store = ElementStore(spool: f.spool)
        #expect(try store.elements(ofRequest: name).count == 1000)
        // Pending slots for about 20 elements (of 1,000 jobs each) per agent cycle: draining the queue takes
        // each agent many cycles, so the four really compete for the same elements.
        var sites = SiteConfiguration.defaults()
        for i in sites.sites.indices { sites.sites[i].slots.pendingSlots = 20_000 }
        try ExecutionLayout.saveSiteConfiguration(sites, spool: f.spool)
        let program = TestSupport.executable("wm-workqueue")
        let root = f.spool.root
        let group = DispatchGroup()
        nonisolated(unsafe) var statuses = [Int32](repeating: -1, count: 4)
        for agent in 0..<4 {
            group.enter()
            DispatchQueue.global().async {
                let result = try? TestSupport.run(program, ["local", "--agent", "a\(agent)", "--once", "--spool", root])
                statuses[agent] = result?.status ?? -2
                group.leave()
            }
        }
        group.wait()
        #expect(statuses == [0, 0, 0, 0])
        let elements = try store.elements(ofRequest: name)
        #expect(elements.count == 1000)
        let notRunning = elements.filter { $0.state != .running }
        #expect(notRunning.isEmpty, "not running: \(notRunning.prefix(3).map { "\($0.name) \($0.state) \($0.agent ?? "-") \($0.history.last?.reason ?? "")" })")
        for element in elements {
            #expect(element.history.filter { $0.to == "Acquired" }.count == 1, "\(element.name) acquired exactly once")
        }
        let agents = Set(elements.compactMap(\.agent))
        #expect(agents.count >= 2, "the agents competed (got \(agents))")
        let (code, out) = f.wmctl(["fsck"])
        #expect(code == 0, "\(out.stdout)")
    }

    @Test func elementsOfASilentAgentAreReleased() throws {
        let f = try RequestFixture("silent", config: #"{"workQueue": {"agentTimeout": 60}}"#)
        let name = try stagedRequest(f, events: 2000)
        let store = ElementStore(spool: f.spool)
        // A ghost agent takes both elements and never comes back.
        let pass = TransitionPass(area: store.area, actor: "ghost")
        _ = try pass.run(.available, batchSize: 10, context: f.context) { element in
            try element.transition(to: .acquired, actor: "ghost", reason: "pulled", at: f.base.clock.now)
            element.agent = "ghost"
            return true
        }
        #expect(try store.elements(ofRequest: name).allSatisfy { $0.state == .acquired && $0.agent == "ghost" })
        f.base.clock.advance(30)
        _ = try LocalWorkQueueStage(agent: "a1").runCycle(f.context)
        #expect(try store.elements(ofRequest: name).allSatisfy { $0.agent == "ghost" }, "not yet: under the timeout")
        f.base.clock.advance(40)
        _ = try LocalWorkQueueStage(agent: "a1").runCycle(f.context)
        let after = try store.elements(ofRequest: name)
        #expect(after.allSatisfy { $0.state == .running && $0.agent == "a1" })
        #expect(after.allSatisfy { $0.history.contains { $0.reason.contains("agent 'ghost' silent") } })
    }
}
