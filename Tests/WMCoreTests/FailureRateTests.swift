import Foundation
import Testing
@testable import WMCore

/// Issue 19 item 6: the workflow-wide failure-rate limit (agent configuration and request argument).
@Suite struct FailureRateTests {
    private func tally(failed: Int, succeeded: Int) -> FailureTally {
        var tally = FailureTally()
        for _ in 0..<failed { tally.add(succeeded: false) }
        for _ in 0..<succeeded { tally.add(succeeded: true) }
        return tally
    }

    @Test func aLimitBreaksOnlyAboveItsThresholdAfterItsMinimumAttempts() throws {
        let limit = FailureRateLimit(threshold: 0.5, minimumAttempts: 10)
        #expect(limit.breach(tally(failed: 9, succeeded: 0)) == nil, "9 attempts are fewer than the minimum 10")
        #expect(limit.breach(tally(failed: 5, succeeded: 5)) == nil, "exactly the threshold is allowed")
        let reason = try #require(limit.breach(tally(failed: 31, succeeded: 9)))
        #expect(reason == "31 of 40 job attempts failed (77.5%), above the failure threshold 50%")
        #expect(FailureRateLimit(threshold: 1).breach(tally(failed: 100, succeeded: 0)) == nil, "threshold 1 never stops")
        #expect(FailureRateLimit(threshold: 0, minimumAttempts: 1).breach(tally(failed: 1, succeeded: 99)) != nil)
    }

    @Test func theRequestsThresholdReplacesTheAgentsAndKeepsItsMinimum() throws {
        let agent = FailureRateLimit(threshold: 0.9, minimumAttempts: 50)
        let fromRequest = try #require(FailureRateLimit.effective(request: 0.2, agent: agent))
        #expect(fromRequest.limit == FailureRateLimit(threshold: 0.2, minimumAttempts: 50))
        #expect(fromRequest.source == "request argument FailureRateThreshold")
        #expect(FailureRateLimit.effective(request: 0.2, agent: nil)?.limit.minimumAttempts == FailureRateLimit.defaultMinimumAttempts)
        #expect(FailureRateLimit.effective(request: nil, agent: agent)?.source == "agent configuration workflowFailureRate")
        #expect(FailureRateLimit.effective(request: nil, agent: nil) == nil, "no limit unless one is set")
    }

    @Test func theAgentConfigurationKeyIsRangeChecked() throws {
        let good = try AgentConfiguration(validating: Array(#"{"workflowFailureRate": {"threshold": 0.4}}"#.utf8), path: "etc/agent.json")
        #expect(good.workflowFailureRate == FailureRateLimit(threshold: 0.4, minimumAttempts: 10))
        #expect(try AgentConfiguration(validating: Array("{}".utf8), path: "etc/agent.json").workflowFailureRate == nil)
        for (text, field) in [(#"{"workflowFailureRate": {"threshold": 1.5}}"#, "workflowFailureRate.threshold"),
                              (#"{"workflowFailureRate": {"threshold": 0.5, "minimumAttempts": 0}}"#, "workflowFailureRate.minimumAttempts"),
                              (#"{"workflowFailureRate": {"minimumAttempts": 5}}"#, "workflowFailureRate.threshold"),
                              (#"{"workflowFailureRate": {"threshold": 0.5, "window": 5}}"#, "workflowFailureRate.window")] {
            let error = #expect(throws: ConfigurationError.self, "\(text)") {
                try AgentConfiguration(validating: Array(text.utf8), path: "etc/agent.json")
            }
            #expect(error?.field == field, "\(text): \(String(describing: error))")
        }
    }

    @Test func theRequestArgumentIsValidatedAndReachesTheWorkload() throws {
        var input = try Support.template("TC_ProdPsi")
        input.applyOverrides(Support.overrides)
        input.create["FailureRateThreshold"] = .double(0.3)
        input.assign?["FailureRateThreshold"] = .double(0.25)
        let (create, assign) = try Support.validator.validate(input)
        let workload = try WorkloadBuilder.build(name: "wf", request: create, assignment: assign, configCache: Support.configCache)
        #expect(workload.failureRateThreshold == 0.25, "the assignment's value wins")
        input.assign?["FailureRateThreshold"] = .double(1.5)
        let error = #expect(throws: RequestRejected.self) { try Support.validator.validate(input) }
        #expect(error?.problems.map(\.field) == ["assignRequest.FailureRateThreshold"], "\(String(describing: error))")
    }
}
