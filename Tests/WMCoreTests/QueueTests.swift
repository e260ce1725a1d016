import Foundation
import Testing
@testable import WMCore

/// Priority aging, the SingleShot end policy and pull matching.
@Suite struct QueueTests {
    static func element(_ request: String, priority: Int, created: Double, jobs: Int = 10,
                        inputs: [String: [String]] = [:], whitelist: [String] = [], blacklist: [String] = [],
                        team: String = "production") -> ElementBody {
        ElementBody(requestName: request, taskName: "/\(request)/T", startPolicy: "Block", inputs: inputs, jobs: jobs,
                    priority: priority, creationTime: created, siteWhitelist: whitelist, siteBlacklist: blacklist,
                    teamName: team)
    }

    /// Effective priority = priority + 0.01 × seconds queued: an element of priority 1 overtakes a fresh one of
    /// priority 100 once it has waited more than (100 − 1) / 0.01 = 9900 s.
    @Test func agingLetsOldLowPriorityWorkOvertake() {
        let now = 100_000.0
        let fresh = Self.element("fresh", priority: 100, created: now)
        let oldEnough = Self.element("old", priority: 1, created: now - 10_000)
        let notYet = Self.element("young", priority: 1, created: now - 9_000)
        #expect(QueueOrdering.effectivePriority(oldEnough, now: now) == 101)
        #expect(QueueOrdering.sorted([fresh, oldEnough], now: now).map(\.requestName) == ["old", "fresh"])
        #expect(QueueOrdering.sorted([fresh, notYet], now: now).map(\.requestName) == ["fresh", "young"])
        // Weight 0 is today's WorkQueue order: priority, then age.
        #expect(QueueOrdering.sorted([fresh, oldEnough], now: now, weight: 0).map(\.requestName) == ["fresh", "old"])
        let sameA = Self.element("a", priority: 5, created: 10)
        let sameB = Self.element("b", priority: 5, created: 5)
        #expect(QueueOrdering.sorted([sameA, sameB], now: 20, weight: 0).map(\.requestName) == ["b", "a"])
    }

    @Test(arguments: [
        ([ElementStatus.available, .available], nil, ElementStatus.available),
        ([.available, .acquired], nil, .acquired),
        ([.acquired, .running, .done], nil, .running),
        ([.available, .done], nil, .running),
        ([.running, .cancelRequested, .acquired], nil, .cancelRequested),
        ([.done, .done], nil, .done),
        ([.done, .failed], nil, .failed),
        ([.done, .failed, .canceled], nil, .canceled),
        ([.available, .acquired], .running, .running),            // never backwards
        ([.done, .done], .running, .done),
        ([.negotiating, .available], nil, .acquired),
    ] as [([ElementStatus], ElementStatus?, ElementStatus)])
    func endPolicyRollUp(statuses: [ElementStatus], previous: ElementStatus?, expected: ElementStatus) {
        #expect(EndPolicy.rollUp(statuses, previous: previous) == expected)
    }

    @Test func rolledUpStatusMapsToRequestStatus() {
        #expect(EndPolicy.requestStatus(for: .running) == .runningOpen)
        #expect(EndPolicy.requestStatus(for: .done) == .completed)
        #expect(EndPolicy.requestStatus(for: .canceled) == .abortedCompleted)
        #expect(EndPolicy.rollUp([], previous: nil) == nil)
    }

    @Test func pullMatchesTeamSitesAndLocations() throws {
        let agent = AgentResources(agent: "agent1", teams: ["production"], sites: [
            "T1_US_FNAL": AgentSite(pendingSlots: 40),                  // 20 jobs of room at depth 0.5
            "T2_CH_CERN": AgentSite(pendingSlots: 100, queuedJobs: 60),  // already full: 60 ≥ 50
            "T2_DE_DESY": AgentSite(state: .draining, pendingSlots: 1000),
        ])
        let high = Self.element("high", priority: 900, created: 0, jobs: 15, inputs: ["blk1": ["T1_US_FNAL", "T2_CH_CERN"]])
        let next = Self.element("next", priority: 800, created: 0, jobs: 15, inputs: ["blk2": ["T1_US_FNAL"]])
        let third = Self.element("third", priority: 700, created: 0, jobs: 5, inputs: ["blk3": ["T1_US_FNAL"]])
        let cern = Self.element("cern", priority: 999, created: 0, inputs: ["blk4": ["T2_CH_CERN"]])
        let draining = Self.element("desy", priority: 999, created: 0, inputs: ["blk5": ["T2_DE_DESY"]])
        let otherTeam = Self.element("relval", priority: 999, created: 0, team: "relval")
        let blacklisted = Self.element("black", priority: 999, created: 0, inputs: ["blk6": ["T1_US_FNAL"]],
                                       blacklist: ["T1_US_FNAL"])
        let matches = PullMatching.match([third, next, high, cern, draining, otherTeam, blacklisted], agent: agent, now: 0, agingWeight: 0)
        // high takes T1 (15 of 20); next still fits (15 < 20 before it); then T1 is at 30 ≥ 20, so third waits.
        #expect(matches == [PullMatch(element: high.name, site: "T1_US_FNAL"), PullMatch(element: next.name, site: "T1_US_FNAL")])

        var negotiating = third
        try negotiating.transition(to: .negotiating, actor: "gq", reason: "", at: 1)
        #expect(PullMatching.match([high, negotiating], agent: agent, now: 0).isEmpty)
    }

    @Test func possibleSitesFollowWhitelistOrTrust() {
        var e = Self.element("x", priority: 1, created: 0, inputs: ["blk": ["T1_US_FNAL"]], whitelist: ["T1_US_FNAL", "T2_CH_CERN"])
        #expect(PullMatching.possibleSites(e, agentSites: []) == ["T1_US_FNAL"])
        e.trustSitelists = true
        #expect(PullMatching.possibleSites(e, agentSites: []) == ["T1_US_FNAL", "T2_CH_CERN"])
        e.trustSitelists = false
        e.pileupData = ["pu": ["T2_CH_CERN"]]
        #expect(PullMatching.possibleSites(e, agentSites: []).isEmpty)
    }

    /// Why an element can never be pulled follows the pull rules: team, site lists known to the agent, Normal sites.
    @Test func blockerNamesWhatKeepsAnElementFromEveryAgent() {
        let agent = AgentResources(agent: "a1", teams: ["production"],
                                   sites: ["T2_CH_CERN": AgentSite(pendingSlots: 10), "T1_US_FNAL": AgentSite(state: .draining, pendingSlots: 10)])
        #expect(PullMatching.blocker(Self.element("ok", priority: 1, created: 0), agent: agent) == nil)
        #expect(PullMatching.blocker(Self.element("team", priority: 1, created: 0, team: "other"), agent: agent)?.contains("team 'other'") == true)
        let unknown = PullMatching.blocker(Self.element("unknown", priority: 1, created: 0, whitelist: ["T2_XX_Nowhere"]), agent: agent)
        #expect(unknown?.contains("SiteWhitelist names site(s) the agent does not know: T2_XX_Nowhere") == true, "\(unknown ?? "nil")")
        let blacklisted = PullMatching.blocker(Self.element("black", priority: 1, created: 0, blacklist: ["T2_CH_CERN", "T1_US_FNAL"]), agent: agent)
        #expect(blacklisted?.contains("SiteBlacklist T1_US_FNAL, T2_CH_CERN") == true, "\(blacklisted ?? "nil")")
        let draining = PullMatching.blocker(Self.element("drain", priority: 1, created: 0, whitelist: ["T1_US_FNAL"]), agent: agent)
        #expect(draining == "none of its sites is Normal: T1_US_FNAL Draining")
        let elsewhere = PullMatching.blocker(Self.element("data", priority: 1, created: 0, inputs: ["/A/B/RAW#1": ["T2_DE_DESY"]]), agent: agent)
        #expect(elsewhere?.contains("input at T2_DE_DESY") == true, "\(elsewhere ?? "nil")")
        var held = Self.element("held", priority: 1, created: 0, team: "other")
        held.heldForValidation = true
        #expect(PullMatching.blocker(held, agent: agent) == nil, "held for a validation sample on purpose")
    }
}
