import Testing
@testable import Tier0

/// §A.4 PromptReco release: lowest unreleased run first, locked at stop + delay − offset, released at stop + delay.
@Suite struct PromptRecoReleaseTests {
    typealias Row = PromptRecoRelease.Row
    static func delays(_ dataset: String) -> (delay: Int, offset: Int) { dataset == "Slow" ? (100, 10) : (10, 4) }

    static func step(_ rows: [Row], _ now: Int, held: Bool = false) -> [Row] {
        PromptRecoRelease.advance(rows, now: now, held: held, delays: delays)
    }

    @Test func aRowIsLockedAtStopPlusDelayMinusOffsetAndReleasedAtStopPlusDelay() {
        var rows = [Row(run: 1, dataset: "A", stopTime: 1000)]
        rows = Self.step(rows, 1006)
        #expect(rows[0].state == .waiting, "1000 + 10 − 4 = 1006 is not yet past")
        rows = Self.step(rows, 1007)
        #expect(rows[0].state == .locked(delay: 10, offset: 4))
        rows = Self.step(rows, 1010)
        #expect(rows[0].state == .locked(delay: 10, offset: 4), "1000 + 10 is not yet past")
        rows = Self.step(rows, 1011)
        #expect(rows[0].state == .released(at: 1011))
        #expect(Self.step(rows, 5000)[0].state == .released(at: 1011), "a released row stays released")
    }

    /// Step 1 considers only the lowest run with waiting rows: a later run waits, even when its own time has come.
    @Test func runsAreLockedInRunOrder() {
        var rows = [Row(run: 2, dataset: "A", stopTime: 100), Row(run: 1, dataset: "Slow", stopTime: 100), Row(run: 1, dataset: "A", stopTime: 100)]
        rows = Self.step(rows, 150)
        #expect(rows[2].state == .released(at: 150), "run 1's A: locked (106 < 150) and released (110 < 150) in one cycle")
        #expect(rows[1].state == .waiting && rows[0].state == .waiting, "Slow locks at 190; run 2 waits for run 1")
        rows = Self.step(rows, 160)
        #expect(rows[0].state == .waiting, "run 2's time (106) has come, but run 1 still has a waiting row")
        rows = Self.step(rows, 195)
        #expect(rows[1].state == .locked(delay: 100, offset: 10) && rows[0].state == .waiting)
        rows = Self.step(rows, 196)
        #expect(rows[0].state == .released(at: 196), "run 1 has no waiting row left: run 2 locks, and is past its release time")
        #expect(rows[1].state == .locked(delay: 100, offset: 10), "100 + 100 = 200 is not yet past")
        rows = Self.step(rows, 201)
        #expect(rows[1].state == .released(at: 201))
    }

    /// A run that has not stopped (stop time 0) never locks, and blocks later runs.
    @Test func aRunningRunNeverLocksAndBlocksLaterRuns() {
        let rows = Self.step([Row(run: 1, dataset: "A", stopTime: 0), Row(run: 2, dataset: "A", stopTime: 10)], 1_000_000)
        #expect(rows.allSatisfy { $0.state == .waiting })
    }

    /// The global switch holds every release, locks included.
    @Test func holdingChangesNothing() {
        let rows = [Row(run: 1, dataset: "A", stopTime: 10), Row(run: 1, dataset: "B", stopTime: 10, state: .locked(delay: 10, offset: 4))]
        #expect(Self.step(rows, 1000, held: true) == rows)
        #expect(Self.step(rows, 1000, held: false).allSatisfy { $0.state != .waiting })
    }
}
