import Foundation
import TestSupport
import Testing

/// Issue 8: the same production gives the same catalog however the stages are driven — cron-style
/// single `--once` runs of each program, `scripts/chain-stages`, or `wmagent run --once`.
@Suite struct OperationsThreeWaysTests {
    static let events = 600

    @Test func chainStagesListsThePipelineInOrder() throws {
        let script = try String(contentsOfFile: TestSupport.packageRoot + "/scripts/chain-stages", encoding: .utf8)
        guard let start = script.range(of: "STAGES=("), let end = script[start.upperBound...].firstIndex(of: ")") else {
            Issue.record("scripts/chain-stages has no STAGES=(...) list"); return
        }
        let listed = script[start.upperBound..<end].split(separator: "\"").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }.map { $0.replacingOccurrences(of: "$AGENT", with: "agent1").split(separator: " ").map(String.init) }
        #expect(listed == OperationsPrograms.pipeline)
    }

    @Test func cronChainedAndAgentRunsMakeTheSameCatalog() throws {
        let spools = try ["cron", "chain", "agent"].map { try ProgramSpool.fresh("three-ways-" + $0) }
        let names = try spools.map { try $0.submitExample(events: Self.events) }
        let problems = ProblemList()
        DispatchQueue.concurrentPerform(iterations: 3) { way in
            let spool = spools[way]
            do {
                switch way {
                case 0:
                    let cron = CronDriver(spool: spool)
                    problems.add(cron.run(timeout: 150).map { "cron: " + $0 })
                case 1:
                    let chained = try TestSupport.run(TestSupport.packageRoot + "/scripts/chain-stages",
                                                      ["--spool", spool.root, "--bin", TestSupport.productsDirectory, "--quiet", "--stall-timeout", "120"])
                    if chained.status != 0 { problems.add(["chain-stages exited \(chained.status): \(chained.stderr.suffix(800))"]) }
                default:
                    let agent = try spool.run("wmagent", ["run", "--once", "--stall-timeout", "120"])
                    if agent.status != 0 { problems.add(["wmagent run --once exited \(agent.status): \(agent.stderr.suffix(800))"]) }
                }
            } catch {
                problems.add(["way \(way): \(error)"])
            }
        }
        #expect(problems.all.isEmpty, "\(problems.all)")
        for (spool, name) in zip(spools, names) {
            #expect(spool.requestStatus(name) == "completed", "\(spool.root)")
            #expect(spool.wmctl(["pending"]).output.stdout == "0\n")
            let findings = try spool.fsckFindings()
            #expect(findings.isEmpty, "\(findings)")
        }
        let contents = try spools.map { try $0.catalogContent() }
        #expect(contents[0].datasets.map(\.name) == ["/DemoMinBias/Demo2026-demo-v1/AODSIM", "/DemoMinBias/Demo2026-demo-v1/DQMIO",
                                                     "/DemoMinBias/Demo2026-demo-v1/GEN-SIM", "/DemoMinBias/Demo2026-demo-v1/GEN-SIM-RAW"])
        #expect(contents[0].datasetsWithoutEveryEventOnce(count: Self.events).isEmpty, "\(contents[0])")
        #expect(contents[0] == contents[1], "cron: \(contents[0])\nchain-stages: \(contents[1])")
        #expect(contents[0] == contents[2], "cron: \(contents[0])\nwmagent: \(contents[2])")
    }
}

/// Problems collected from concurrent work.
final class ProblemList: @unchecked Sendable {
    private let lock = NSLock()
    private var problems: [String] = []
    /// Adds problems.
    func add(_ more: [String]) { lock.withLock { problems += more } }
    /// Everything added so far.
    var all: [String] { lock.withLock { problems } }
}
