import Foundation
import Testing
@testable import EventFiles

@Suite struct FaultPlanTests {
    private let jobs = (0..<2000).map { "Prod_Task_job\($0)" }

    @Test func decodesTheDocumentedJSON() throws {
        let json = """
        {"seed": 7, "rules": [
          {"probability": 0.25, "fault": {"kind": "exit", "code": 8021}, "retries": [0]},
          {"probability": 1, "fault": {"kind": "hang", "seconds": 30.5}, "jobNameContains": "Merge"},
          {"probability": 0, "fault": {"kind": "crash", "signal": 9}},
          {"probability": 0, "fault": {"kind": "truncatedReport"}},
          {"probability": 0, "fault": {"kind": "noOutput"}}
        ]}
        """
        let plan = try JSONDecoder().decode(FaultPlan.self, from: Data(json.utf8))
        #expect(plan.seed == 7)
        #expect(plan.rules.map(\.fault) == [.exit(code: 8021), .hang(seconds: 30.5), .crash(signal: 9), .truncatedReport, .noOutput])
        #expect(plan.rules[0].retries == [0])
        #expect(plan.rules[1].jobNameContains == "Merge")
        let again = try JSONDecoder().decode(FaultPlan.self, from: JSONEncoder().encode(plan))
        #expect(again == plan)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Fault.self, from: Data(#"{"kind": "explode"}"#.utf8))
        }
    }

    @Test func decisionsAreDeterministicPerSeedJobAndRetry() {
        let plan = FaultPlan(seed: 42, rules: [FaultRule(probability: 0.3, fault: .exit(code: 8021))])
        let first = jobs.map { plan.decide(jobName: $0, retry: 0) }
        let second = jobs.map { FaultPlan(seed: 42, rules: plan.rules).decide(jobName: $0, retry: 0) }
        #expect(first == second)
        let otherSeed = jobs.map { FaultPlan(seed: 43, rules: plan.rules).decide(jobName: $0, retry: 0) }
        #expect(first != otherSeed)
        let nextRetry = jobs.map { plan.decide(jobName: $0, retry: 1) }
        #expect(first != nextRetry)
        // Pinned values (computed independently in Python from the documented FNV-1a + SplitMix64 recipe):
        // the draw must not depend on the process or machine.
        #expect(plan.draw(jobName: "Prod_Task_job0", retry: 0, rule: 0) == 0.24474300773136315)
        #expect(plan.decide(jobName: "Prod_Task_job0", retry: 0) == .exit(code: 8021))
        // Draws for a…h at retry 2: .860 .738 .769 .239 .489 .125 .975 .128 → below 0.3 for d, f, h.
        #expect(pinnedDecisions(plan) == [false, false, false, true, false, true, false, true])
    }

    @Test func theFaultRateFollowsTheProbability() {
        let plan = FaultPlan(seed: 1, rules: [FaultRule(probability: 0.3, fault: .noOutput)])
        let hits = jobs.filter { plan.decide(jobName: $0, retry: 0) != nil }.count
        #expect((500...700).contains(hits), "got \(hits) of 2000 at p = 0.3")
        #expect(jobs.allSatisfy { FaultPlan(seed: 1, rules: [FaultRule(probability: 0, fault: .noOutput)]).decide(jobName: $0, retry: 0) == nil })
        #expect(jobs.allSatisfy { FaultPlan(seed: 1, rules: [FaultRule(probability: 1, fault: .noOutput)]).decide(jobName: $0, retry: 3) == .noOutput })
    }

    @Test func rulesFilterByNameAndRetryAndTheFirstMatchWins() {
        let plan = FaultPlan(seed: 9, rules: [
            FaultRule(probability: 1, fault: .crash(signal: 11), jobNameContains: "Merge", retries: [0, 1]),
            FaultRule(probability: 1, fault: .exit(code: 50115), retries: [0]),
        ])
        #expect(plan.decide(jobName: "wf-MergeRAWSIMoutput-3", retry: 0) == .crash(signal: 11))
        #expect(plan.decide(jobName: "wf-MergeRAWSIMoutput-3", retry: 1) == .crash(signal: 11))
        #expect(plan.decide(jobName: "wf-MergeRAWSIMoutput-3", retry: 2) == nil)
        #expect(plan.decide(jobName: "wf-Production-3", retry: 0) == .exit(code: 50115))
        #expect(plan.decide(jobName: "wf-Production-3", retry: 1) == nil)
    }

    private func pinnedDecisions(_ plan: FaultPlan) -> [Bool] {
        ["a", "b", "c", "d", "e", "f", "g", "h"].map { plan.decide(jobName: $0, retry: 2) != nil }
    }
}
